"""Shipping a model: a demo client's bundle scores a new file (CLI) and serves HTTP, with identical results."""
import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from conftest import TEMPLATES, _cli
from lepton_nb.bundle import load_bundle, score
from lepton_nb.config import load_client_data
from lepton_nb.solutions import load_config
from lepton_nb.serve import make_app


@pytest.fixture(scope="module")
def bank(demo, demo_customers, tmp_path_factory):
    "The demo bank's bundle, and next month's applications (the modelling table's rows, as a CSV file)."
    folder = tmp_path_factory.mktemp("ship")
    bundle = load_bundle(demo / "demo-bank" / "model")
    frame = load_client_data(load_config(demo_customers / "demo-bank.yaml", TEMPLATES)).frame
    frame.sample(600, random_state=1).to_csv(folder / "next_month.csv", index=False)
    return bundle, folder


@pytest.fixture(scope="module")
def scored(bank):
    bundle, folder = bank
    run = _cli("score", bundle.path, folder / "next_month.csv", "-o", folder / "scored.csv", "--chunksize", "250")
    assert run.returncode == 0, run.stderr
    return pd.read_csv(folder / "scored.csv", keep_default_na=False, na_values=[""])


def test_score_cli_matches_the_estimator(bank, scored):
    bundle, folder = bank
    rows = pd.read_csv(folder / "next_month.csv")
    assert len(scored) == 600 and {"score", "decision", "reason_1", "reason_2", "reason_3"} <= set(scored.columns)
    np.testing.assert_allclose(scored.score, bundle.model.predict_proba(rows[bundle.features])[:, 1],
                               rtol=0, atol=1e-12)
    assert ((scored.score >= bundle.cutoff) == (scored.decision == "bad")).all()
    direct = score(bundle, rows)
    assert (direct.reason_1.fillna("").to_numpy() == scored.reason_1.fillna("").to_numpy()).all()
    drift = pd.read_csv(folder / "scored.csv.drift.csv")
    assert set(drift.column) >= {"Income", "Seniority"} and (drift.psi < 0.2).all()


def test_served_scores_are_identical_under_concurrent_load(bank, scored):
    import uvicorn
    bundle, folder = bank
    records = json.loads(pd.read_csv(folder / "next_month.csv").to_json(orient="records"))
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(bundle, max_batch=100), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True); thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline: time.sleep(0.05)
    assert json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10).read())["status"] == "ok"

    def call(i):
        idx = [i % 600, (i * 7 + 3) % 600]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/score",
                                     json.dumps({"records": [records[j] for j in idx]}).encode(),
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r: return idx, r.status, json.loads(r.read())["results"]

    try:
        with ThreadPoolExecutor(8) as pool: answers = list(pool.map(call, range(300)))
    finally:
        server.should_exit = True; thread.join(10)
    assert all(status == 200 for _, status, _ in answers)
    for idx, _, results in answers:
        for j, res in zip(idx, results):
            assert res["score"] == scored.score[j]
            assert res["decision"] == (scored.decision[j] if isinstance(scored.decision[j], str) else "")
            assert res["reasons"] == [r for r in scored.loc[j, ["reason_1", "reason_2", "reason_3"]]
                                      if isinstance(r, str) and r]


def test_demo_bundle_is_data_only(bank):
    bundle, _ = bank
    names = {p.name for p in bundle.path.iterdir()}
    assert names == {"weights.npz", "preprocessor.json", "preprocessor.npz", "bundle.json", "checksums.json"}
    assert bundle.meta["format_version"] == 2


def test_tampered_bundle_is_refused(bank, tmp_path):
    bundle, folder = bank
    copy = tmp_path / "model"
    shutil.copytree(bundle.path, copy)
    blob = bytearray((copy / "weights.npz").read_bytes()); blob[len(blob) // 2] ^= 0x01
    (copy / "weights.npz").write_bytes(bytes(blob))
    run = _cli("score", copy, folder / "next_month.csv", "-o", tmp_path / "out.csv")
    assert run.returncode == 1 and "weights.npz: checksum mismatch" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out.csv").exists()


def test_schema_errors_and_drift_warning(bank, tmp_path):
    bundle, folder = bank
    rows = pd.read_csv(folder / "next_month.csv")
    rows.drop(columns=["Income"]).to_csv(tmp_path / "no_income.csv", index=False)
    run = _cli("score", bundle.path, tmp_path / "no_income.csv")
    assert run.returncode == 1 and "lacks 1 column(s) the model needs: Income" in run.stderr
    rows.assign(Income=rows.Income / 3, Home="castle").to_parquet(tmp_path / "poorer.parquet")
    run = _cli("score", bundle.path, tmp_path / "poorer.parquet")
    assert run.returncode == 0, run.stderr
    assert "drifted" in run.stderr and "Income" in run.stderr
    assert "600 unseen categories" in run.stdout
    assert len(pd.read_parquet(tmp_path / "poorer.scored.parquet")) == 600


# Every kind ships: small models trained here, scored by `lepton-nb score` and by the service.

@pytest.fixture(scope="module")
def rows():
    "A small client table: two numbers and a category, with a value and a tier that depend on them."
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"area": rng.uniform(50, 250, 240).round(1), "age": rng.integers(0, 80, 240).astype(float),
                      "zone": rng.choice(["north", "south", "centre"], 240)})
    value = np.exp(10 + 0.006 * X.area - 0.004 * X.age + (X.zone == "centre") * 0.3 + rng.normal(0, 0.1, 240))
    tier = pd.cut(value, [0, 40_000, 80_000, np.inf], labels=["low", "mid", "high"]).astype(str).to_numpy()
    return X, value.to_numpy(), tier


def _bundles(rows, tmp_path):
    from lepton_nb.bundle import save_bundle
    from lepton_nb.tabular import LogisticRegression, MLPRegressor
    X, value, tier = rows
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X[:200], np.log1p(value[:200]))
    clf = LogisticRegression(random_state=0).fit(X[:200], tier[:200])
    saved = {"regression": save_bundle(reg, tmp_path / "value", X[:200], kind="regression", target="value",
                                       log_target=True, interval_offsets=(-0.2, 0.15)),
             "multiclass": save_bundle(clf, tmp_path / "tier", X[:200], kind="multiclass", target="tier")}
    return reg, clf, {k: load_bundle(v) for k, v in saved.items()}


@pytest.mark.filterwarnings("ignore:training stopped at max_iter")
def test_regression_and_multiclass_bundles_score_like_their_estimators(rows, tmp_path):
    from fastapi.testclient import TestClient
    X, _, _ = rows
    reg, clf, bundles = _bundles(rows, tmp_path)
    new = X[200:]
    new.to_csv(tmp_path / "new.csv", index=False)
    value = np.expm1(reg.predict(new))
    for kind, bundle in bundles.items():
        run = _cli("score", bundle.path, tmp_path / "new.csv", "-o", tmp_path / f"{kind}.csv")
        assert run.returncode == 0, run.stderr
    got = pd.read_csv(tmp_path / "regression.csv")
    np.testing.assert_allclose(got.prediction, value, rtol=1e-12)
    np.testing.assert_allclose(got.upper, np.expm1(reg.predict(new) + 0.15), rtol=1e-12)
    assert (got.lower < got.prediction).all() and (got.prediction < got.upper).all()
    got = pd.read_csv(tmp_path / "multiclass.csv")
    np.testing.assert_allclose(got[[f"p_{c}" for c in clf.classes_]], clf.predict_proba(new), rtol=0, atol=1e-12)
    assert (got.prediction == clf.predict(new)).all() and set(got.prediction) <= {"low", "mid", "high"}
    assert (bundles["multiclass"].model.predict(new) == clf.predict(new)).all()  # the client's labels, not codes

    records = json.loads(new.to_json(orient="records"))
    answer = TestClient(make_app(bundles["regression"])).post("/score", json={"records": records}).json()["results"]
    assert {"prediction", "lower", "upper", "reasons"} == set(answer[0])
    np.testing.assert_allclose([r["prediction"] for r in answer], value, rtol=1e-12)
    answer = TestClient(make_app(bundles["multiclass"])).post("/score", json={"records": records}).json()["results"]
    assert {"probabilities", "prediction", "reasons"} == set(answer[0])
    np.testing.assert_allclose([[r["probabilities"][c] for c in clf.classes_] for r in answer], clf.predict_proba(new),
                               rtol=0, atol=1e-12)
    assert [r["prediction"] for r in answer] == clf.predict(new).tolist()
    assert sum(bool(r["reasons"]) for r in answer) > len(answer) // 2  # toward the predicted class
    schema = TestClient(make_app(bundles["multiclass"])).get("/schema").json()
    assert schema["kind"] == "multiclass" and schema["classes"] == ["high", "low", "mid"]


def test_binary_decisions_name_both_classes(rows, tmp_path):
    from fastapi.testclient import TestClient
    from lepton_nb.bundle import save_bundle
    from lepton_nb.tabular import LogisticRegression
    X, value, _ = rows
    y = (value > np.median(value)).astype(int)
    model = LogisticRegression(random_state=0).fit(X, y)
    bundle = load_bundle(save_bundle(model, tmp_path / "m", X, cutoff=0.5, positive="dear", classes=["cheap", "dear"]))
    scored = score(bundle, X)
    assert set(scored.decision) == {"cheap", "dear"}
    assert ((scored.score >= 0.5) == (scored.decision == "dear")).all()
    assert (bundle.model.predict(X) == np.where(model.predict(X) == 1, "dear", "cheap")).all()
    records = json.loads(X.head(20).to_json(orient="records"))
    answer = TestClient(make_app(bundle)).post("/score", json={"records": records}).json()["results"]
    assert [r["decision"] for r in answer] == scored.decision.head(20).tolist()
