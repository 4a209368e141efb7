"""Segments and baskets end to end: the demo reports, the segment bundle through score and serve, hostile input."""
import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from lepton_nb.bundle import load_bundle, save_bundle
from lepton_nb.cluster import Segmenter
from lepton_nb.core import BundleError
from lepton_nb.datasets import load_wa_churn

from conftest import _Page, _cli, _rewrite

SERVICE = ["tenure", "internet_service", "contract", "payment_method", "monthly_charges", "streaming_tv"]


def _text(folder) -> str:
    return " ".join(_Page((folder / "report.html").read_text()).text)


def test_segmentation_demo_is_honest_and_in_its_band(demo):
    "Segments as good as scikit-learn's K-means (held-out silhouette within 0.02), stable, and said to be weak structure."
    folder = demo / "demo-telco-segments"
    m = json.loads((folder / "metrics.json").read_text())
    assert m["kind"] == "segmentation" and m["solution"] == "customer_segmentation"
    metrics = m["metrics"]
    assert 3 <= metrics["n_clusters"] <= 8 and len(metrics["segments"]) == metrics["n_clusters"]
    assert 0.15 <= metrics["silhouette"] <= 0.45, metrics["silhouette"]
    assert abs(metrics["silhouette"] - metrics["scikit_learn_silhouette"]) <= 0.02
    assert 0.5 <= metrics["stability_ari"] <= 1.0 and metrics["inertia"] > 0
    assert metrics["n_holdout"] == round(0.2 * 7043) and metrics["n_train"] + metrics["n_holdout"] == 7043
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 4 and "Traceback" not in page and "import " not in page
    text = _text(folder)
    assert "held out of the fit the silhouette" in text and "Stability across 5 seeds" in text
    assert all(name in text for name in metrics["segments"]) and "churn rate" in text
    assert any(action in text for action in ("Retain first", "Reward and protect", "Low-cost retention", "Grow:"))


def test_segment_bundle_scores_and_serves_like_the_model(demo, tmp_path):
    from fastapi.testclient import TestClient
    from lepton_nb.serve import make_app
    bundle = load_bundle(demo / "demo-telco-segments" / "model")
    assert bundle.kind == "segmentation" and bundle.classes == json.loads(
        (demo / "demo-telco-segments" / "metrics.json").read_text())["metrics"]["segments"]
    rows = load_wa_churn().sample(60, random_state=3)
    rows.to_csv(tmp_path / "new.csv", index=False)
    run = _cli("score", demo / "demo-telco-segments" / "model", tmp_path / "new.csv", "-o", tmp_path / "scored.csv")
    assert run.returncode == 0, run.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    expected = bundle.model.predict(rows[bundle.features]) + 1
    assert (scored.segment.to_numpy() == expected).all()
    assert (scored.segment_name == np.asarray(bundle.classes, dtype=object)[expected - 1]).all()
    distances = bundle.model.transform(rows[bundle.features])
    np.testing.assert_allclose(scored.distance, distances.min(axis=1), rtol=1e-9)
    client = TestClient(make_app(bundle))
    assert client.get("/schema").json()["segments"] == bundle.classes
    records = json.loads(rows.head(3)[bundle.features].to_json(orient="records"))
    answer = client.post("/score", json={"records": records})
    assert answer.status_code == 200, answer.text
    assert [r["segment"] for r in answer.json()["results"]] == list(expected[:3])


@pytest.fixture(scope="module")
def segmenter():
    frame = load_wa_churn()[SERVICE].head(400)
    return Segmenter(n_clusters=3, random_state=0).fit(frame), frame


def test_segment_bundle_round_trips(segmenter, tmp_path):
    model, frame = segmenter
    save_bundle(model, tmp_path / "m", frame, kind="segmentation", classes=["a", "b", "c"])
    loaded = load_bundle(tmp_path / "m")
    assert (loaded.model.predict(frame) == model.predict(frame)).all()
    with pytest.raises(BundleError, match="cannot make a 'binary' bundle"):
        save_bundle(model, tmp_path / "x", frame, kind="binary")
    with pytest.raises(BundleError, match="one distinct name per segment"):
        save_bundle(model, tmp_path / "y", frame, kind="segmentation", classes=["a", "a", "b"])


@pytest.mark.parametrize("centres", [np.zeros((3, 2)), np.full((3, 40), np.nan), np.zeros((5000, 40)),
                                     np.zeros((3, 40), dtype=np.int64)], ids=["shape", "nan", "huge", "ints"])
def test_rewritten_centres_are_refused(segmenter, tmp_path, centres):
    model, frame = segmenter
    folder = save_bundle(model, tmp_path / "m", frame, kind="segmentation")
    if centres.shape[1] == 40: centres = centres[:, :len(model.cluster_centers_[0])]
    buffer = io.BytesIO()
    np.savez(buffer, cluster_centers=centres)
    _rewrite(folder, "weights.npz", buffer.getvalue())
    with pytest.raises(BundleError, match="cannot be rebuilt"):
        load_bundle(folder)


def test_basket_demo_rules_hold_on_later_baskets(demo):
    folder = demo / "demo-basket"
    m = json.loads((folder / "metrics.json").read_text())
    assert m["kind"] == "basket" and m["solution"] == "market_basket"
    metrics = m["metrics"]
    assert 50 <= metrics["n_rules"] <= 5000 and metrics["min_support"] == 0.1
    assert 1.5 <= metrics["max_lift"] <= 6 and 1.2 <= metrics["holdout_lift_median"] <= 3
    assert metrics["n_mining_baskets"] + metrics["n_holdout_baskets"] == metrics["n_baskets"]
    rules = json.loads((folder / "rules.json").read_text())
    assert len(rules) == metrics["n_rules"] and all(r["confidence"] >= 0.5 and r["support"] >= 0.1 for r in rules)
    assert not (folder / "model").exists()
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 3 and "Traceback" not in page
    text = _text(folder)
    assert "the rules describe habits, not chance" in text and "viewers" in text
    assert "the 'later' figures are measured on later baskets" in text and "model never saw" not in text
    assert "Star Wars: Episode IV - A New Hope" in text and "Toy Story" in text


def test_hostile_item_names_are_shown_not_run(tmp_path):
    "Item names from a till log are data: markup, Markdown and format braces come out as text."
    rng = np.random.default_rng(0)
    evil = ["<script>alert(1)</script>", "{subject} $x$ **bold**", "=cmd|' /C calc'!A0", "bread", "milk", "eggs"]
    rows = [(b, item) for b in range(120) for item in rng.choice(evil, size=3, replace=False)]
    pd.DataFrame(rows, columns=["receipt", "product"]).to_csv(tmp_path / "till.csv", index=False)
    (tmp_path / "shop.yaml").write_text(
        "customer: evil-shop\nname: Evil Shop\nsolution: market_basket\ndata: {sources: {till: {path: till.csv}}}\n"
        "transaction: receipt\nitem: product\nparams: {min_support: 0.05, min_confidence: 0.1}\n")
    run = _cli("report", tmp_path / "shop.yaml", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stdout + run.stderr
    page = (tmp_path / "out" / "evil-shop" / "report.html").read_text()
    assert "<script>alert(1)</script>" not in page and "<strong>bold</strong>" not in page
    assert "&lt;script&gt;" in page or "&#60;script&#62;" in page
    rules = json.loads((tmp_path / "out" / "evil-shop" / "rules.json").read_text())
    assert any("<script>alert(1)</script>" in r["antecedents"] for r in rules)  # kept as data in the deliverable


@pytest.mark.parametrize("config, expected", [
    ("solution: customer_segmentation\nfeatures: [tenure, nope]\n", "key 'features.2': column 'nope' is not in the data"),
    ("solution: customer_segmentation\nparams: {value_column: contract}\n", "key 'params.value_column'"),
    ("solution: customer_segmentation\nparams: {outcome_column: churn, outcome_positive: maybe}\n", "never holds 'maybe'"),
    ("solution: market_basket\ntransaction: tenure\nitem: nope\n", "key 'item': column 'nope' is not in the data"),
    ("solution: market_basket\ntransaction: tenure\n", "key 'item'"),
], ids=["feature", "value", "outcome", "item", "no-item"])
def test_bad_keys_are_refused_before_a_kernel_starts(tmp_path, config, expected):
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\ndata: {dataset: modeldata/wa_churn}\n" + config)
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode != 0 and expected in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not re.search(r"papermill|kernel", run.stderr)


def test_both_templates_run_on_the_smallest_table_they_accept(tmp_path):
    "50 customers (40 fitted, 10 held out) and 65 baskets (45 to mine, 20 later) run; one fewer is refused first."
    from lepton_nb.datasets import load_movielens
    load_wa_churn().head(50).to_csv(tmp_path / "people.csv", index=False)
    liked = load_movielens().query("rating >= 4").dropna(subset=["title"])
    first = liked.userId.drop_duplicates().head(65)
    liked[liked.userId.isin(first)].to_csv(tmp_path / "likes.csv", index=False)
    common = "data: {{sources: {{t: {{path: {file}}}}}}}\n"
    (tmp_path / "seg.yaml").write_text("customer: small-seg\nname: S\nsolution: customer_segmentation\n"
                                       + common.format(file="people.csv"))
    (tmp_path / "bask.yaml").write_text("customer: small-bask\nname: B\nsolution: market_basket\ntransaction: userId\n"
                                        "item: title\ntime: time\nparams: {min_support: 0.2}\n"
                                        + common.format(file="likes.csv"))
    run = _cli("report-all", tmp_path, "--out", tmp_path / "out", "--workers", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    seg = json.loads((tmp_path / "out" / "small-seg" / "metrics.json").read_text())["metrics"]
    assert seg["n_train"] == 40 and seg["n_holdout"] == 10 and 2 <= seg["n_clusters"] <= 8
    bask = json.loads((tmp_path / "out" / "small-bask" / "metrics.json").read_text())["metrics"]
    assert bask["n_mining_baskets"] == 45 and bask["n_holdout_baskets"] == 20
    load_wa_churn().head(49).to_csv(tmp_path / "people.csv", index=False)
    refused = _cli("report", tmp_path / "seg.yaml", "--out", tmp_path / "out2")
    assert refused.returncode != 0 and "seg.yaml: the table has 49 rows; segments need at least 50" in refused.stderr
    liked[liked.userId.isin(first.head(64))].to_csv(tmp_path / "likes.csv", index=False)
    refused = _cli("report", tmp_path / "bask.yaml", "--out", tmp_path / "out2")
    assert refused.returncode != 0 and "bask.yaml: 64 baskets split 45/19 leave fewer than 20" in refused.stderr


@pytest.mark.parametrize("how", ["compressed", "header-claims-more"])
def test_a_small_rewritten_weights_file_cannot_force_a_huge_allocation(segmenter, tmp_path, how):
    "An array's header is checked against the bytes stored before numpy allocates it."
    import zipfile
    model, frame = segmenter
    folder = save_bundle(model, tmp_path / "m", frame, kind="segmentation")
    buffer = io.BytesIO()
    if how == "compressed":  # 40 MB of zeros in 40 kilobytes: lepton_nb stores arrays uncompressed
        np.savez_compressed(buffer, cluster_centers=np.zeros((10_000, 500), np.float64))
    else:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**4)})
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
            z.writestr("cluster_centers.npy", header.getvalue() + b"\0" * 64)
    _rewrite(folder, "weights.npz", buffer.getvalue())
    with pytest.raises(BundleError, match="not an array as lepton_nb stores it|claims more data than the file holds"):
        load_bundle(folder)


def test_an_item_column_of_personal_data_is_refused_before_a_kernel_starts(tmp_path):
    "A basket report shows its items' values everywhere: personal data there must be refused, not masked halfway."
    rows = [(b, f"person{b % 7}@mail-example.org") for b in range(100)] + [(b, "bread") for b in range(100)]
    pd.DataFrame(rows, columns=["receipt", "buyer"]).to_csv(tmp_path / "till.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\nsolution: market_basket\n"
                                     "data: {sources: {till: {path: till.csv}}}\ntransaction: receipt\nitem: buyer\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode != 0 and "key 'item': column 'buyer' holds personal data" in run.stderr, run.stderr
    assert "mail-example" not in run.stdout + run.stderr and not (tmp_path / "out" / "acme").exists()


def test_personal_data_named_in_features_is_refused_before_a_kernel_starts(tmp_path):
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\nsolution: customer_segmentation\n"
                                     "data: {dataset: modeldata/wa_churn, pii_columns: [tenure]}\n"
                                     "features: [tenure, contract]\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode != 0 and "key 'features': 'tenure' holds personal data" in run.stderr, run.stderr
    assert "template failed" not in run.stderr
