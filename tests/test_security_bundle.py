"""Security of a shipped model: bundles run no code when loaded, can be signed, hold no rare raw values;
the scoring service bounds request bodies and refuses numbers it cannot score."""
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import _cli, _rewrite
from lepton_nb.bundle import KEY_ENV, check_input, load_bundle, save_bundle, score_file
from lepton_nb.core import BundleError, DataError
from lepton_nb.serve import make_app
from lepton_nb.tabular import LogisticRegression

EMAILS = [f"client.{i:03d}@example.com" for i in range(120)]


class Payload:
    "A pickle that creates `marker` when it is unpickled: what an attacker would plant."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def frame():
    "A small client table: a number, a common category, and one e-mail address per row."
    rng = np.random.default_rng(0)
    income = rng.normal(2000, 500, len(EMAILS)).round(2)
    home = rng.choice(["rent", "owner", "other"], len(EMAILS))
    X = pd.DataFrame({"income": income, "home": home, "contact": EMAILS})
    y = (income + rng.normal(0, 300, len(EMAILS)) < 2000).astype(int)
    return X, y


@pytest.fixture(scope="module")
def model(frame):
    return LogisticRegression(random_state=0).fit(*frame)


@pytest.fixture
def bundle_dir(model, frame, tmp_path, monkeypatch):
    "A fresh, unsigned bundle of the small model."
    monkeypatch.delenv(KEY_ENV, raising=False)
    return save_bundle(model, tmp_path / "model", frame[0], cutoff=0.5, positive="bad")


def _plant_pickle(folder, marker):
    "Turn the bundle into a format-1 one whose preprocessor.pkl runs code, with consistent checksums."
    _rewrite(folder, "preprocessor.pkl", pickle.dumps(Payload(marker)))
    meta = json.loads((folder / "bundle.json").read_text())
    _rewrite(folder, "bundle.json", json.dumps({**meta, "format_version": 1}).encode())


def test_pickle_payload_is_never_run_by_load_bundle(bundle_dir, tmp_path):
    marker = tmp_path / "pwned"
    _plant_pickle(bundle_dir, marker)
    with pytest.raises(BundleError, match="format that could run code"):
        load_bundle(bundle_dir)
    assert not marker.exists()


def test_pickle_payload_is_never_run_by_the_score_cli(bundle_dir, frame, tmp_path):
    marker = tmp_path / "pwned"
    _plant_pickle(bundle_dir, marker)
    frame[0].head(5).to_csv(tmp_path / "in.csv", index=False)
    run = _cli("score", bundle_dir, tmp_path / "in.csv", "-o", tmp_path / "out.csv")
    assert run.returncode == 1 and "could run code" in run.stderr and "re-run the report" in run.stderr
    assert "Traceback" not in run.stderr
    assert not marker.exists() and not (tmp_path / "out.csv").exists()


def test_loaded_bundle_scores_like_the_estimator(bundle_dir, model, frame):
    X = frame[0]
    assert not list(bundle_dir.glob("*.pkl"))
    np.testing.assert_array_equal(load_bundle(bundle_dir).model.predict_proba(X), model.predict_proba(X))


def test_signed_bundle_refuses_a_consistent_rewrite(model, frame, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "a secret kept outside the bundle")
    folder = save_bundle(model, tmp_path / "signed", frame[0], cutoff=0.5)
    assert load_bundle(folder).cutoff == 0.5
    meta = json.loads((folder / "bundle.json").read_text())
    _rewrite(folder, "bundle.json", json.dumps({**meta, "cutoff": 0.01}).encode())
    with pytest.raises(BundleError,
                       match="bad signature: the bundle was changed after it was signed, or signed with another key"):
        load_bundle(folder)
    frame[0].head(5).to_csv(tmp_path / "in.csv", index=False)
    run = _cli("score", folder, tmp_path / "in.csv")  # the subprocess inherits the key
    assert run.returncode == 1 and "bad signature" in run.stderr and "Traceback" not in run.stderr
    (folder / "signature.json").unlink()
    with pytest.raises(BundleError, match="not signed"):
        load_bundle(folder)
    monkeypatch.delenv(KEY_ENV)
    assert load_bundle(folder).cutoff == 0.01  # without the key only the checksums are checked


def _all_bytes(folder):
    "Every file of the bundle, and every member of its zip files (npz), as bytes."
    for p in sorted(folder.rglob("*")):
        if not p.is_file(): continue
        yield p.name, p.read_bytes()
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                for name in z.namelist(): yield f"{p.name}:{name}", z.read(name)


def test_no_email_reaches_the_bundle_or_the_schema_endpoint(bundle_dir):
    files = dict(_all_bytes(bundle_dir))
    assert {"weights.npz", "preprocessor.json", "preprocessor.npz", "bundle.json", "checksums.json"} <= set(files)
    for name, data in files.items():
        assert b"@example.com" not in data and b"client." not in data, name
    schema = json.loads((bundle_dir / "bundle.json").read_text())["schema"]
    assert schema["contact"]["distinct"] == len(EMAILS) and "categories" not in schema["contact"]
    assert schema["home"]["categories"] == ["other", "owner", "rent"]
    body = TestClient(make_app(load_bundle(bundle_dir))).get("/schema").text
    assert "@" not in body and "client." not in body and "owner" in body


@pytest.fixture
def client(bundle_dir):
    return TestClient(make_app(load_bundle(bundle_dir), max_body_bytes=4_000))


def _post(client, body:bytes):
    return client.post("/score", content=body, headers={"content-type": "application/json"})


ROW = '{"income": %s, "home": "rent", "contact": "x"}'


def test_serve_refuses_a_body_over_the_limit(client):
    big = json.dumps({"records": [{"income": 1.0, "home": "rent", "contact": "x" * 100}] * 40}).encode()
    assert len(big) > 4_000
    assert _post(client, big).status_code == 413  # told by Content-Length
    streamed = client.post("/score", content=iter([big[i:i + 512] for i in range(0, len(big), 512)]),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and "larger than 4,000 bytes" in streamed.json()["detail"]


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1" + "0" * 399])
def test_serve_answers_422_for_numbers_it_cannot_score(client, value):
    r = _post(client, ('{"records": [%s, %s]}' % (ROW % 1, ROW % value)).encode())
    assert r.status_code == 422 and r.json()["detail"].startswith("record 1: field 'income'")


def test_serve_scores_an_extreme_finite_value(client):
    r = _post(client, ('{"records": [%s, %s]}' % (ROW % "1e308", ROW % "-1e308")).encode())
    assert r.status_code == 200
    assert all(np.isfinite(res["score"]) for res in r.json()["results"])
    assert r.json()["issues"]["income"]["out_of_range"] == 2


def test_score_files_refuse_infinite_numbers(bundle_dir, frame, tmp_path):
    bundle = load_bundle(bundle_dir)
    rows = frame[0].head(4).astype({"income": object})
    rows.loc[rows.index[1], "income"] = "-inf"
    with pytest.raises(DataError, match="column 'income': 1 value"):
        check_input(bundle.meta, rows)
    rows.to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(DataError, match="infinite"):
        score_file(bundle, tmp_path / "in.csv", verbose=False)
