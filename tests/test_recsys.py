"""The recommendation kind end to end: the demo's lists against 'most popular', the bundle through score and serve,
hostile bundles, bad configs."""
import json
import re

import numpy as np
import pandas as pd
import pytest

from lepton_nb.bundle import load_bundle, recommend_frame, save_recommendation_bundle
from lepton_nb.core import BundleError
from lepton_nb.datasets import load_movielens
from lepton_nb.recsys import EASE, HybridRecommender, ImplicitALS

from conftest import _Page, _cli, _rewrite, _rewrite_arrays

# Held-out figures of demo-retail pinned on both sides (seed 0, temporal split, `make demo`): a drop is a regression,
# a jump is a leak (a model that saw the held-out events would list them).
BANDS = {"precision_at_10": (0.075, 0.10), "baseline_precision_at_10": (0.045, 0.06), "test_rmse": (0.86, 0.95)}


def _text(folder) -> str:
    return re.sub(r"\s+", " ", " ".join(_Page((folder / "report.html").read_text()).text))


def test_retail_demo_beats_most_popular_on_held_out_behaviour(demo):
    folder = demo / "demo-retail"
    record = json.loads((folder / "metrics.json").read_text())
    assert record["kind"] == "recommendation" and record["solution"] == "recommendation"
    m = record["metrics"]
    for key, (low, high) in BANDS.items():
        assert low <= m[key] <= high, f"{key} = {m[key]:.3f} outside [{low}, {high}]"
    assert m["precision_at_10_difference_ci"][0] > 0, "the lists beat 'most popular' with a margin the data can tell"
    assert m["test_rmse"] < m["baseline_test_rmse"] and m["split"] == "temporal" and m["like"] == 4
    for key in ("recall_at_10", "ndcg_at_10", "map_at_10", "hit_rate_at_10", "coverage", "novelty"):
        assert m[key] > m[f"baseline_{key}"], key
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 3 and "Traceback" not in page and "import " not in page
    text = _text(folder)
    assert "the lists beat 'most popular'" in text and "viewers with a full list of 10 100%" in text
    assert "new viewer, who picks drama" in text and "Their list before and after" in text
    assert "Viewer 1 liked before" in text and "A viewer (id masked)" in text  # numbered, never named by their id


def test_retail_bundle_lists_for_known_new_and_unknown_users_through_score_and_serve(demo, tmp_path):
    from fastapi.testclient import TestClient
    from lepton_nb.serve import make_app
    bundle = load_bundle(demo / "demo-retail" / "model")
    assert bundle.kind == "recommendation" and bundle.meta["columns"] == {"user": "userId", "item": "movieId", "rating": "rating"}
    asked = pd.DataFrame({"userId": [1, 2, "new", "new", "new", "stranger"], "movieId": [None, None, 4896, 5816, 8368, None],
                          "rating": [None, None, 5, 5, 4.5, None]})  # the new viewer liked three Harry Potter films
    asked.to_csv(tmp_path / "asked.csv", index=False)
    run = _cli("score", demo / "demo-retail" / "model", tmp_path / "asked.csv")
    assert run.returncode == 0 and "lists for 4 users (1 of them the most popular items" in run.stdout, run.stderr
    lists = pd.read_csv(tmp_path / "asked.recommended.csv")
    assert lists.groupby("userId", sort=False).size().to_dict() == {"1": 10, "2": 10, "new": 10, "stranger": 10}
    assert lists.drop_duplicates("userId").source.to_list() == ["history", "history", "history", "popular"]
    films = load_movielens().drop_duplicates("movieId").set_index("movieId").title
    new = films[lists.loc[lists.userId == "new", "movieId"]]
    assert new.str.contains("Harry Potter").any() and not {4896, 5816, 8368} & set(lists.loc[lists.userId == "new", "movieId"])
    seen = set(load_movielens().query("userId == 1").movieId)
    assert not seen & set(lists.loc[lists.userId == "1", "movieId"]), "what a user already rated is not listed again"
    client = TestClient(make_app(bundle))
    answer = client.post("/score", json={"records": [{"userId": 1}, {"userId": None, "movieId": 4896},
                                                     {"userId": "stranger"}]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["user"], r["source"]) for r in results] == [(1, "history"), ("stranger", "popular"), (None, "history")]
    known = lists[lists.userId == "1"].movieId.to_list()
    assert [i["item"] for i in results[0]["items"]] == known, "serve and score give the same list"
    for record, why in (({"userId": {"$ne": 1}}, "must be a number, text or null"),
                        ({"userId": 1, "movieId": 1, "rating": "top"}, "must be a number or null"),
                        ({"rating": 5}, "give 'userId'")):
        refused = client.post("/score", json={"records": [record]})
        assert refused.status_code == 422 and why in refused.text, (record, refused.text)
    assert client.get("/schema").json()["kind"] == "recommendation"


@pytest.fixture(scope="module")
def small_shop():
    ratings = load_movielens()
    return ratings[ratings.userId <= 60].reset_index(drop=True)


@pytest.mark.parametrize("model", [EASE(), ImplicitALS(iterations=3), HybridRecommender(EASE())], ids=["ease", "als", "hybrid"])
def test_a_recommendation_bundle_round_trips(small_shop, tmp_path, model):
    model.fit(small_shop, "userId", "movieId", rating="rating", items=small_shop if isinstance(model, HybridRecommender) else None)
    folder = save_recommendation_bundle(model, tmp_path / "m", user="userId", item="movieId", rating="rating")
    asked = pd.DataFrame({"userId": [1, 7, "x"]})
    pd.testing.assert_frame_equal(recommend_frame(load_bundle(folder), asked),
                                  model.recommend([1, 7, "x"]).rename(columns={"user": "userId", "item": "movieId"}),
                                  rtol=1e-4)


@pytest.mark.parametrize("change", ["indices", "indptr", "ids", "factors", "params", "estimator", "columns", "kind",
                                    "alpha-none", "float-ids", "float64-factors", "unsorted"])
def test_a_rewritten_recommendation_bundle_is_refused(small_shop, tmp_path, change):
    "bundle.json and weights.npz are hostile: a consistent rewrite of either is a BundleError, never a traceback."
    model = ImplicitALS(iterations=2).fit(small_shop, "userId", "movieId", rating="rating")
    folder = save_recommendation_bundle(model, tmp_path / "m", user="userId", item="movieId", rating="rating")
    meta = json.loads((folder / "bundle.json").read_text())
    arrays = dict(np.load(folder / "weights.npz"))
    if change == "indices": arrays["history_indices"] = arrays["history_indices"] + 10**6  # out of bounds
    if change == "indptr": arrays["seen_indptr"] = arrays["seen_indptr"][::-1].copy()
    if change == "ids": arrays["items"] = np.zeros_like(arrays["items"])  # repeated ids
    if change == "factors": arrays["item_factors"] = np.full_like(arrays["item_factors"], np.inf)
    if change == "params": meta["model_state"]["params"]["factors"] = 10**9
    if change == "estimator": meta["estimator"] = meta["model_state"]["estimator"] = "LogisticRegression"
    if change == "columns": meta["columns"]["user"] = {"$ne": 1}
    if change == "kind": meta["kind"] = "binary"
    if change == "alpha-none": meta["model_state"]["params"]["alpha"] = None  # would fail at every request, not at load
    if change == "float-ids": arrays["users"] = arrays["users"].astype(float)
    if change == "float64-factors": arrays["item_factors"] = np.full(arrays["item_factors"].shape, 1e300)  # inf as float32
    if change == "unsorted": arrays["seen_indices"][:2] = arrays["seen_indices"][1::-1].copy()
    if change in ("indices", "indptr", "ids", "factors", "float-ids", "float64-factors", "unsorted"): _rewrite_arrays(folder, arrays)
    else: _rewrite(folder, "bundle.json", json.dumps(meta).encode())
    with pytest.raises(BundleError, match="cannot be rebuilt|cannot score|bundle needs"):
        load_bundle(folder)


@pytest.mark.parametrize("config, expected", [
    ("user: userId\nitem: nope\n", "key 'item': column 'nope' is not in the data"),
    ("user: userId\nitem: movieId\nrating: title\n", "key 'rating'"),
    ("user: userId\nitem: movieId\ntime: title\n", "key 'time': column 'title' holds text"),
    ("user: userId\nitem: movieId\nparams: {models: [hybrid]}\n", "the hybrid needs item attributes"),
    ("user: userId\nitem: movieId\nparams: {split: sideways}\n", "split"),
], ids=["item", "rating", "time", "hybrid", "split"])
def test_bad_recommendation_configs_are_refused_before_a_kernel_starts(small_shop, tmp_path, config, expected):
    small_shop.to_csv(tmp_path / "ratings.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\nsolution: recommendation\n"
                                     "data: {sources: {t: {path: ratings.csv}}}\n" + config)
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode != 0 and expected in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not re.search(r"papermill|kernel", run.stderr)


def test_hostile_item_names_are_escaped_in_the_report(small_shop, tmp_path):
    "Titles come from the client: markup in one is shown as text, never run."
    top = small_shop.movieId.value_counts().idxmax()  # on every new customer's list
    shop = small_shop.assign(title=small_shop.title.where(small_shop.movieId != top, "<script>alert(1)</script>"))
    shop.to_csv(tmp_path / "ratings.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\nsolution: recommendation\n"
                                     "data: {sources: {t: {path: ratings.csv}}}\nuser: userId\nitem: movieId\n"
                                     "rating: rating\nitem_name: title\nparams: {models: [ease], split: random}\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stdout + run.stderr
    page = (tmp_path / "out" / "acme" / "report.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_ids_and_ratings_from_files_and_requests_are_read_as_the_model_stores_them(small_shop, tmp_path):
    "A user column with gaps is float (1.0): the bundle still finds user 1; True is no id; a rating off the scale is refused."
    from lepton_nb.core import DataError
    from lepton_nb.recsys import MatrixFactorization
    shop = pd.concat([small_shop, pd.DataFrame({"movieId": [999_999], "genres": ["Drama"]})], ignore_index=True)
    events = shop[shop.userId.notna()]  # what the report fits on: userId is float now
    assert events.userId.dtype == float
    folder = save_recommendation_bundle(EASE().fit(events, "userId", "movieId", rating="rating"), tmp_path / "m",
                                        user="userId", item="movieId", rating="rating")
    lists = recommend_frame(load_bundle(folder), pd.DataFrame({"userId": [1, "1", True]}))
    assert lists.drop_duplicates("userId").source.to_list() == ["history", "popular"]  # 1 and "1" are one user
    mf = save_recommendation_bundle(MatrixFactorization(epochs=2).fit(events, "userId", "movieId", rating="rating"),
                                    tmp_path / "mf", user="userId", item="movieId", rating="rating")
    with pytest.raises(DataError, match="not numbers from 0.5 to 5"):
        recommend_frame(load_bundle(mf), pd.DataFrame({"userId": [1], "movieId": [1], "rating": [1e300]}))
