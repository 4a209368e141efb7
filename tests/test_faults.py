"""Faults for every kind's bundle: a truncated or half-copied bundle is refused, and the service answers 50 concurrent
clients, malformed requests mixed in, with every good answer the same as alone and every bad one a 4xx."""
import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from conftest import CUSTOMERS, TEMPLATES
from lepton_nb.bundle import load_bundle
from lepton_nb.config import load_client_data
from lepton_nb.core import BundleError
from lepton_nb.serve import make_app
from lepton_nb.solutions import load_config

SHIPPED = sorted(p.stem for p in CUSTOMERS.glob("*.yaml") if p.stem != "demo-basket")  # a basket's deliverable is rules


def _good_requests(bundle, frame:pd.DataFrame) -> list[list[dict]]:
    "Requests the bundle must answer: a record each (for a forecast, one series' whole history)."
    if bundle.kind == "recommendation":
        users = frame[bundle.meta["columns"]["user"]].dropna().unique()[:6]
        return [[{bundle.meta["columns"]["user"]: u.item() if hasattr(u, "item") else u}] for u in users]
    rows = json.loads(frame[bundle.features].to_json(orient="records", date_format="iso"))
    if bundle.kind == "forecast":
        series = bundle.meta["columns"]["series"]
        keys = frame[series].astype(str).to_numpy() if series else ["all"] * len(frame)
        return [[r for r, k in zip(rows, keys) if k == key] for key in list(dict.fromkeys(keys))[:4]]
    return [rows[i:i + 1] for i in range(0, 6)]


def _bad_requests(good:list[dict], max_batch:int) -> list[tuple[bytes, str]]:
    "Malformed bodies, each with what it is: none of them may break the service or get a 200."
    first = dict(good[0])
    nested = {**first, next(iter(first)): {"$gt": ""}}
    return [(b"not json at all", "not JSON"), (b'{"records": "x"}', "records not a list"),
            (b'{"records": [{}]}', "a record without fields"), (json.dumps({"records": [nested]}).encode(), "nested"),
            (json.dumps({"records": [first] * (max_batch + 1)}).encode(), "too many records"),
            (b'{"records": [' + b"1," * 50 + b"1]}", "records not objects")]


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request, demo, demo_customers):
    "Each demo client's bundle, with requests built from its own data."
    bundle = load_bundle(demo / request.param / "model")
    frame = load_client_data(load_config(demo_customers / f"{request.param}.yaml", TEMPLATES)).frame
    return request.param, bundle, _good_requests(bundle, frame)


def _serve(bundle, max_batch):
    import uvicorn
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(bundle, max_batch=max_batch), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline: time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def _post(url, body:bytes) -> tuple[int, object]:
    request = urllib.request.Request(f"{url}/score", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as r: return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e: return e.code, e.read().decode()


def test_every_kind_serves_50_concurrent_clients_with_bad_requests_mixed_in(shipped):
    name, bundle, good = shipped
    max_batch = max(map(len, good))
    bad = _bad_requests(good[0], max_batch)
    server, thread, url = _serve(bundle, max_batch)
    try:
        alone = [_post(url, json.dumps({"records": g}).encode()) for g in good]
        assert all(status == 200 for status, _ in alone), (name, [a for a in alone if a[0] != 200][:1])

        def client(i):  # each of 50 clients: a malformed request, then a good one
            asked = [("bad", i % len(bad)), ("good", i % len(good))]
            return [(kind, j, *_post(url, json.dumps({"records": good[j]}).encode() if kind == "good" else bad[j][0]))
                    for kind, j in asked]

        with ThreadPoolExecutor(50) as pool: answers = [a for one in pool.map(client, range(50)) for a in one]
        health = json.loads(urllib.request.urlopen(f"{url}/health", timeout=10).read())
    finally:
        server.should_exit = True
        thread.join(10)
    for kind, j, status, body in answers:
        if kind == "good": assert (status, body) == alone[j], f"{name}: request {j} answered otherwise under load"
        else: assert 400 <= status < 500, f"{name}: {bad[j][1]} got {status}: {str(body)[:200]}"
    assert health["status"] == "ok", f"{name}: the service is not well after the load"


@pytest.mark.parametrize("damage", ["truncated", "empty", "missing", "no-checksums", "cut-json"])
def test_every_kind_refuses_a_truncated_bundle(shipped, tmp_path, damage):
    name, bundle, _ = shipped
    copy = tmp_path / "model"
    shutil.copytree(bundle.path, copy)
    arrays = sorted(copy.glob("*.npz")) or sorted(p for p in copy.iterdir() if p.name != "checksums.json")
    victim = arrays[0] if damage in ("truncated", "empty", "missing") else copy / "bundle.json"
    if damage == "truncated": victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif damage == "empty": victim.write_bytes(b"")
    elif damage == "missing": victim.unlink()
    elif damage == "no-checksums": (copy / "checksums.json").unlink()
    else: victim.write_bytes(victim.read_bytes()[:-10])
    with pytest.raises(BundleError) as refused:
        load_bundle(copy)
    assert str(copy) in str(refused.value) or "checksums.json" in str(refused.value), str(refused.value)
