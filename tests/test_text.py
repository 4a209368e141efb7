"""Feedback triage end to end: the demo report, the text bundle through score and serve, hostile messages and files."""
import json
import re

import numpy as np
import pandas as pd
import pytest

from lepton_nb.bundle import load_bundle, save_text_bundle
from lepton_nb.core import BundleError
from lepton_nb.datasets import load_food_reviews

from conftest import _Page, _cli, _rewrite, _rewrite_arrays


def _text(folder) -> str:
    return " ".join(_Page((folder / "report.html").read_text()).text)


def test_reviews_demo_is_held_out_in_its_band_and_routes_honestly(demo):
    folder = demo / "demo-reviews"
    record = json.loads((folder / "metrics.json").read_text())
    assert record["kind"] == "text" and record["solution"] == "feedback_triage"
    m = record["metrics"]
    assert 0.82 <= m["test_auc"] <= 0.91, m["test_auc"]  # scikit-learn's TF-IDF + logistic regression: 0.877 on its own split
    assert m["test_auc_ci"][0] < m["test_auc"] < m["test_auc_ci"][1] and m["beats_baseline"] is True
    assert m["n_train"] + m["n_valid"] + m["n_test"] == 4000 and abs(m["n_test"] - 800) <= 10 and m["baseline_test_auc"] == 0.5
    assert abs(m["baseline_test_accuracy"] - 0.65) < 0.01 and m["test_accuracy"] > 0.75
    assert 0 <= m["auto_share"] <= 1 and (m["auto_precision"] is None or m["auto_precision"] > 0.85)
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 3 and "Traceback" not in page and 'class="lift"' in page
    text = _text(folder)
    assert "held-out reviews" in text and "customer care team" in text and "routed" in text


def test_text_bundle_scores_and_serves_like_the_model(demo, tmp_path):
    from fastapi.testclient import TestClient
    from lepton_nb.serve import make_app
    folder = demo / "demo-reviews" / "model"
    bundle = load_bundle(folder)
    assert bundle.kind == "text" and bundle.classes == ["great", "other"]
    later = load_food_reviews("testing").head(120)
    later.to_csv(tmp_path / "new.csv", index=False)
    run = _cli("score", folder, tmp_path / "new.csv", "-o", tmp_path / "scored.csv")
    assert run.returncode == 0, run.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    np.testing.assert_allclose(scored.p_great, bundle.model.predict_proba(later.review)[:, 0], rtol=1e-6)
    assert set(scored.prediction) <= {"great", "other"} and scored.reason_1.notna().all()
    threshold = bundle.meta["threshold"]
    assert (scored.routed == (scored.confidence >= threshold)).all() if threshold is not None else not scored.routed.any()
    client = TestClient(make_app(bundle))
    assert client.get("/schema").json()["classes"] == ["great", "other"]
    answer = client.post("/score", json={"records": [{"review": r} for r in later.review[:20]]})
    assert answer.status_code == 200, answer.text
    served = answer.json()["results"]
    np.testing.assert_allclose([r["probabilities"]["great"] for r in served], scored.p_great[:20], rtol=1e-6)
    assert all(r["reasons"] and isinstance(r["routed"], bool) for r in served)
    for bad in ({"text": "wrong field"}, {"review": {"nested": 1}}, {"review": 5}, {"review": True}):
        assert client.post("/score", json={"records": [bad]}).status_code == 422
    assert client.get("/health").json()["status"] == "ok"


def test_hostile_reviews_are_escaped_and_their_addresses_masked(tmp_path):
    "A review carrying markup and an e-mail address shows escaped, with the address masked, everywhere in the report."
    reviews = load_food_reviews().head(400).copy()
    planted = reviews.index[::3]
    reviews.loc[planted, "review"] = reviews.loc[planted, "review"] + " <script>alert(1)</script> write to jo.doe@mail-example.org"
    reviews.to_csv(tmp_path / "reviews.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: evil-shop\nname: Evil Shop\nsolution: feedback_triage\n"
                                     "data: {sources: {t: {path: reviews.csv}}}\ntext: review\ntarget: score\n"
                                     "params: {models: [tfidf_logistic], examples: 12}\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "out" / "evil-shop"
    page = (out / "report.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "[email]" in page
    for path in out.rglob("*"):
        if path.is_file(): assert b"mail-example" not in path.read_bytes(), path


def _bundle(tmp_path):
    from lepton_nb.feedback import TfidfLogistic
    reviews = load_food_reviews().head(300)
    model = TfidfLogistic().fit(reviews.review, reviews.score)
    return save_text_bundle(model, tmp_path / "m", text="review", threshold=0.9)


@pytest.mark.parametrize("change", ["classes", "threshold", "terms", "coef-shape", "text"])
def test_a_rewritten_text_bundle_is_refused(tmp_path, change):
    folder = _bundle(tmp_path)
    meta = json.loads((folder / "bundle.json").read_text())
    if change == "classes": meta["classes"] = ["great", "other", "third"]
    if change == "threshold": meta["threshold"] = 2.5
    if change == "terms": meta["model_state"]["terms"][0] = "x" * 10_000
    if change == "text": meta["text"] = {"$gt": ""}
    if change == "coef-shape":
        arrays = dict(np.load(folder / "weights.npz"))
        _rewrite_arrays(folder, {**arrays, "coef": arrays["coef"][:, :-1]})
    else: _rewrite(folder, "bundle.json", json.dumps(meta).encode())
    with pytest.raises(BundleError, match="cannot be rebuilt"):
        load_bundle(folder)


@pytest.mark.parametrize("change, expected", [
    ("score: [great]", "one class only"),
    ("rare", "has only 5 messages"),
    ("text: product", "not messages"),
], ids=["one-class", "rare-class", "not-text"])
def test_bad_triage_configs_are_refused_before_a_kernel_starts(tmp_path, change, expected):
    reviews = load_food_reviews().head(300).copy()
    if change == "score: [great]": reviews["score"] = "great"
    if change == "rare": reviews.loc[reviews.index[:5], "score"] = "awful"
    reviews.to_csv(tmp_path / "r.csv", index=False)
    column = "product" if change == "text: product" else "review"
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\nsolution: feedback_triage\n"
                                     f"data: {{sources: {{t: {{path: r.csv}}}}}}\ntext: {column}\ntarget: score\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode != 0 and expected in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not re.search(r"papermill|kernel", run.stderr)


def test_a_free_text_note_is_a_model_input_but_never_shown_raw(tmp_path):
    "A churn table with a complaint note: the note is read (masked), and no address, phone or note reaches an output."
    from lepton_nb.data import detect_pii
    from lepton_nb.datasets import load_wa_churn
    churn = load_wa_churn().head(400).copy()
    words = load_food_reviews().review.head(400).str.slice(0, 120).to_numpy()
    leak = " call Maria Kowalska on +44 20 7946 0958 or maria.k@victim-example.org"
    churn["note"] = [w + (leak if i % 10 == 0 else "") for i, w in enumerate(words)]
    assert detect_pii(churn[["note"]]) == {}  # free text, 10% with contact details: kept, masked when read
    assert "note" in detect_pii(churn.assign(note=[w + leak for w in words])[["note"]])  # most rows: contact data
    churn.to_csv(tmp_path / "churn.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: notes\nname: Notes\nsolution: churn_risk\n"
                                     "data: {sources: {t: {path: churn.csv}}}\ntarget: churn\npositive: 'Yes'\n"
                                     "params: {models: [logistic, gbdt], permutation_repeats: 1}\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "out" / "notes"
    assert "free text" in (out / "report.html").read_text()
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"victim-example" not in data and b"7946 0958" not in data and words[1][:40].encode() not in data, path
