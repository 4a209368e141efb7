"""Fixtures shared by the report and shipping tests: the demo clients' reports, made once."""
import hashlib
import html.parser
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = ROOT / "reports" / "customers"
TEMPLATES = ROOT / "lepton_nb" / "templates"  # shipped with the package
CLI = [str(Path(sys.executable).parent / "lepton-nb")]  # the installed console script


def _rewrite(folder, name, data:bytes):
    "Write `name` in a bundle and recompute its checksum, as an attacker who can edit the folder would."
    (folder / name).write_bytes(data)
    sums = json.loads((folder / "checksums.json").read_text())
    sums[name] = hashlib.sha256(data).hexdigest()
    (folder / "checksums.json").write_text(json.dumps(sums))


def _rewrite_arrays(folder, arrays:dict, name:str="weights.npz"):
    "Rewrite a bundle's arrays file as np.savez writes it, with its checksum recomputed."
    import io
    import numpy as np
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _rewrite(folder, name, buffer.getvalue())


def _model(folder):
    "A model folder's arrays and description, without the time it was written: what a rerun must reproduce exactly."
    import numpy as np
    arrays = {f"{p.name}/{k}": v for p in sorted(folder.glob("*.npz")) for k, v in np.load(p).items()}
    meta = {k: v for k, v in json.loads((folder / "bundle.json").read_text()).items() if k != "created"}
    return arrays, meta


def _cli(*args, cwd=ROOT):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=1200)


@pytest.fixture(scope="session")
def demo_customers(tmp_path_factory):
    "The demo client configs, with the demo bank's files written beside them as `make demo` does."
    folder = tmp_path_factory.mktemp("customers_demo")
    for cfg in CUSTOMERS.glob("*.yaml"): shutil.copy(cfg, folder)
    run = _cli("demo-data", folder / "demo-bank-data")
    assert run.returncode == 0, run.stderr
    return folder


@pytest.fixture(scope="session")
def demo(demo_customers, tmp_path_factory):
    "Every demo client's report, made once by `lepton-nb report-all`."
    out = tmp_path_factory.mktemp("build")
    run = _cli("report-all", demo_customers, "--out", out, "--workers", "2", "--templates", TEMPLATES)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


class _Page(html.parser.HTMLParser):
    "The tags, attributes and text of an HTML page."
    def __init__(self, text):
        super().__init__()
        self.tags, self.attributes, self.text = [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_data(self, data): self.text.append(data)
