"""Every template is reproducible: the demo clients built again with 4 workers instead of 2, from another folder, give
the same metrics and the same model weights, bit for bit. A second build of every demo takes minutes, so this runs in
`make fuzz` (LEPTON_NB_LONG=1), not in `make test`; test_reports.py checks one client the same way in every run."""
import json
import os
import shutil

import numpy as np
import pytest

from conftest import _cli, _model

pytestmark = pytest.mark.skipif(not os.environ.get("LEPTON_NB_LONG"), reason="the long checks run in `make fuzz`")


def _metrics(folder):
    return {k: v for k, v in json.loads((folder / "metrics.json").read_text())["metrics"].items() if "seconds" not in k}


def test_every_template_gives_the_same_metrics_and_weights_with_4_workers_from_another_folder(demo, demo_customers,
                                                                                             tmp_path):
    copy = tmp_path / "elsewhere" / "customers"
    shutil.copytree(demo_customers, copy)
    run = _cli("report-all", "customers", "--out", "again", "--workers", "4", cwd=copy.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    again = copy.parent / "again"
    clients = sorted(p.name for p in demo.iterdir() if (p / "metrics.json").exists())
    assert clients and clients == sorted(p.name for p in again.iterdir() if (p / "metrics.json").exists())
    for client in clients:
        assert _metrics(again / client) == _metrics(demo / client), f"{client}: other metrics"
        if not (demo / client / "model" / "bundle.json").exists(): continue
        (arrays, meta), (arrays2, meta2) = _model(demo / client / "model"), _model(again / client / "model")
        assert meta == meta2 and arrays.keys() == arrays2.keys(), f"{client}: another model"
        for k in arrays: np.testing.assert_array_equal(arrays[k], arrays2[k], err_msg=f"{client}: {k}")
