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
from lepton_nb.report import load_client_data, load_config
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
    np.testing.assert_allclose(scored.score, bundle.model.predict_proba(rows[bundle.features])[:, 1], rtol=0, atol=1e-12)
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
    server = uvicorn.Server(uvicorn.Config(make_app(bundle, max_batch=100), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True); thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline: time.sleep(0.05)
    assert json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10).read())["status"] == "ok"

    def call(i):
        idx = [i % 600, (i * 7 + 3) % 600]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/score", json.dumps({"records": [records[j] for j in idx]}).encode(),
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r: return idx, r.status, json.loads(r.read())["results"]

    try:
        with ThreadPoolExecutor(8) as pool: answers = list(pool.map(call, range(1000)))
    finally:
        server.should_exit = True; thread.join(10)
    assert all(status == 200 for _, status, _ in answers)
    for idx, _, results in answers:
        for j, res in zip(idx, results):
            assert res["score"] == scored.score[j]
            assert res["decision"] == (scored.decision[j] if isinstance(scored.decision[j], str) else "")
            assert res["reasons"] == [r for r in scored.loc[j, ["reason_1", "reason_2", "reason_3"]] if isinstance(r, str) and r]


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
