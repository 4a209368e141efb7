"""Client reports end to end: papermill runs of every template, the CLI, bad configs, failures."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import nbformat
import pandas as pd
import pytest

from lepton_nb.cli import main
from lepton_nb.datasets import load_credit_data
from lepton_nb.config import load_client_data
from lepton_nb.solutions import load_config
from lepton_nb.bundle import load_bundle

from conftest import CLI, ROOT, TEMPLATES, _Page, _cli, _model


# Demo metrics pinned on both sides: a drop is a regression, a jump is a leak. Measured with `make demo` (seed 0).
BANDS = {"demo-bank": {"test_auc": (0.81, 0.87)}, "demo-hospital": {"test_auc": (0.97, 0.999)},
         "demo-telco": {"test_auc": (0.82, 0.88)},
         "demo-pharma": {"test_macro_auc": (0.54, 0.70), "test_log_loss": (0.88, 1.08)},
         "demo-realty": {"test_r2": (0.85, 0.93), "interval_coverage": (0.72, 0.88)}}


@pytest.mark.parametrize("customer", list(BANDS))
def test_demo_metrics_are_held_out_and_in_their_band(demo, customer):
    m = json.loads((demo / customer / "metrics.json").read_text())
    assert m["customer"] == customer and m["solution"] and m["kind"]
    metrics = m["metrics"]
    for key, (low, high) in BANDS[customer].items():
        assert low <= metrics[key] <= high, f"{customer} {key} = {metrics[key]:.3f} outside [{low}, {high}]"
    assert metrics["n_test"] > 0 and metrics["n_train"] > metrics["n_test"]
    honest = {"demo-pharma": False}.get(customer, True)  # the liver data carry little signal: the report says so
    assert metrics["beats_baseline"] is honest
    small = {"demo-pharma": True}.get(customer, False)  # 30 'severe' compounds: headline figures cross-validated
    assert ("cv_folds" in metrics) is small
    main = {"demo-pharma": "log_loss", "demo-realty": "rmse"}.get(customer, "auc")
    assert metrics[f"trees_test_{main}"] > 0 and metrics["model"] != "boosted-tree model (reference)"
    prefixes = ("test_", "baseline_test_", "cv_", "baseline_cv_")
    for key in (k for k in metrics if k.startswith(prefixes) and not k.endswith("_ci") and k != "cv_folds"):
        low, high = metrics[f"{key}_ci"]
        assert low - 1e-9 <= metrics[key] <= high + 1e-9, f"{customer}: {key} {metrics[key]} outside its interval [{low}, {high}]"


@pytest.mark.parametrize("customer, name", [("demo-bank", "Demo Bank"), ("demo-hospital", "Demo Hospital"),
                                            ("demo-telco", "Demo Telco"), ("demo-pharma", "Demo Pharma"),
                                            ("demo-realty", "Demo Realty")])
def test_html_is_for_the_client(demo, customer, name):
    page = (demo / customer / "report.html").read_text()
    assert name in page
    assert page.count("data:image/png;base64") >= 2, "figures must be embedded"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no remote assets: the report opens offline"
    for code in ("import ", "BinaryReport", "config_path", "output_dir", "report.finish", "jp-InputArea", "In&nbsp;["):
        assert code not in page, f"code or prompts leaked into the HTML: {code!r}"
    assert "application/vnd.lepton-nb" not in page and "Traceback" not in page
    text = " ".join(_Page(page).text)
    assert "95% interval" in text, "headline numbers say how sure they are"
    assert "boosted-tree model" in text and ("were not chosen" in text or "Shapley" in text), \
        "every report has the free boosted-tree default among its candidates, and says how it scored"
    if customer not in ("demo-pharma", "demo-bank"):  # three demo clients opt in to the deep ensemble (see their configs)
        assert all(name in text for name in ("logistic regression" if customer != "demo-realty" else "linear regression",
                                             "neural network (MLP)", "boosted-tree model", "deep ensemble (TabM)"))
    assert not re.search(r"\d[eE][+-]\d", text) and not re.search(r"\(-?\d[\d.]*, -?\d[\d.]*\]", text), \
        "no scientific notation and no raw interval labels in what the client reads"


def test_executed_notebook_manifest_and_model(demo, demo_customers):
    folder = demo / "demo-bank"
    nb = nbformat.read(folder / "report.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("library_version", "git", "template", "parameters", "seed", "inputs", "environment", "started", "finished", "stages_seconds"):
        assert key in manifest, key
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["template"]["sha256"])
    inputs = {i["input"]: i for i in manifest["inputs"]}
    assert set(inputs) == {"applications", "people", "repayments"}
    assert inputs["applications"]["rows"] == 4454 + 45 and inputs["people"]["columns"] == 6
    assert all(len(i["sha256"]) == 64 for i in inputs.values())
    env = manifest["environment"]
    assert env["jax"] and env["backend"] and env["devices"]
    assert {"execute_notebook", "notebook.train", "notebook.load_data"} <= set(manifest["stages_seconds"])
    bundle = load_bundle(folder / "model")
    assert bundle.meta["cutoff"] == json.loads((folder / "metrics.json").read_text())["metrics"]["cutoff"]
    assert not {"client_id", "full_name", "email", "phone", "Marital"} & set(bundle.features), \
        "identifiers, personal data and the fairness group are not inputs"
    frame = load_client_data(load_config(demo_customers / "demo-bank.yaml", TEMPLATES)).frame
    p = bundle.model.predict_proba(frame[bundle.features].head(5))
    assert p.shape == (5, 2) and ((p >= 0) & (p <= 1)).all()


def test_demo_bank_is_built_from_three_cleaned_sources(demo, demo_customers):
    page = (demo / "demo-bank" / "report.html").read_text()
    for text in ("built from 3 sources", "drop_duplicates", "coerce", "normalize", "Left out of the model", "Personal data",
                 "Reasons for individual scores", "Recalibration", "Groups compared", "How the top drivers move the risk"):
        assert text in page, text
    reasons = _table_after(page, "Reasons for individual scores")
    assert "<th>row</th>" in reasons and ">client_id</th>" in reasons, "each reason row names its case: row and key"
    ids = set(pd.read_csv(demo_customers / "demo-bank-data" / "applications.csv").client_id.astype(str))
    shown = re.findall(r"<td>(\d{6})</td>", reasons)
    assert len(shown) == 5 and set(shown) <= ids, "the client's own ids, one per row"


def _table_after(page, marker):
    "The HTML of the first table after `marker` in `page`."
    start = page.index("<table", page.index(marker))
    return page[start:page.index("</table>", start)]


def test_planted_personal_data_never_reaches_any_output(demo, demo_customers):
    import sqlite3
    with sqlite3.connect(demo_customers / "demo-bank-data" / "registry.db") as db:
        people = pd.read_sql("select full_name, email, phone from people", db)
    outputs = {name: (demo / "demo-bank" / name).read_text() for name in ("report.html", "report.ipynb", "metrics.json", "manifest.json")}
    for column in people:
        for value in people[column].unique():
            for name, text in outputs.items():
                assert value not in text, f"{column} value {value!r} leaked into {name}"


def test_index_lists_every_client_in_a_table_per_kind(demo):
    page = (demo / "index.html").read_text()
    for customer in BANDS:
        assert f'href="{customer}/report.html"' in page
    assert "11 of 11 reports succeeded" in page
    for kind, metric in (("binary", "auc"), ("multiclass", "macro auc"), ("regression", "r2"),
                         ("segmentation", "silhouette"), ("basket", "holdout lift median"), ("forecast", "mase"),
                         ("text", "auc"), ("recommendation", "precision at 10")):
        assert f"<h2>{kind} solutions</h2>" in page and f"<th>{metric}</th>" in page
    assert page.count("<th>estimated by</th>") == 8 and "<td>5-fold cross-validation</td>" in page  # demo-pharma
    assert "<td>backtest of 3 windows</td>" in page and "<td>backtest of 2 windows</td>" in page  # the forecasts
    summary = json.loads((demo / "summary.json").read_text())
    assert [s["status"] for s in summary] == ["ok"] * 11


def test_templates_are_committed_without_outputs():
    for path in TEMPLATES.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), path.name
        for c in nb.cells:
            if c.cell_type == "code": assert not c.outputs and c.execution_count is None, path.name


# --- a new client made as a user would: a CSV and a YAML ---------------------------------------

CLIENT = """customer: {customer}
name: Acme Credit Union
solution: credit_risk
data:
  sources:
    applications: {{path: applications.csv}}
  pii_columns: [holder]
  keys: {{applications: [holder]}}
target: Status
positive: bad
seed: 7
params: {params}
"""


def _with_planted_pii(df):
    "Personal data a client might leave in a file: found by content (e-mails, national ids) or declared (names)."
    n = len(df)
    return df.assign(contact_info=[f"person{i}@mail-example.org" for i in range(n)],
                     ref_code=[f"{100 + i % 800:03d}-{i % 90 + 10:02d}-{i % 9000 + 1000:04d}" for i in range(n)],
                     holder=[f"Zed{i} Quill{i}" for i in range(n)])


# a template whose kernel says who it is (its pid and its parent's, the worker's) and then waits to be killed
STUCK = ("import os, pathlib, time\n"
         "pathlib.Path(output_dir).parent.parent.joinpath('stuck.pids').write_text(f'{os.getpid()} {os.getppid()}')\n"
         "time.sleep(600)")


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    folder = tmp_path_factory.mktemp("customers")
    _with_planted_pii(load_credit_data()).to_csv(folder / "applications.csv", index=False)
    (folder / "acme.yaml").write_text(CLIENT.format(customer="acme", params="{models: [logistic], permutation_repeats: 2}"))
    # a project's own template of the binary kind, next to the shipped ones; it fails inside the notebook
    _template(folder / "templates", "raise ValueError('the template broke on purpose')", name="broken_risk", kind="binary")
    (folder / "broken.yaml").write_text(CLIENT.format(customer="broken", params="{}").replace("credit_risk", "broken_risk"))
    _template(folder / "templates", STUCK, name="stuck_risk", kind="binary")
    (folder / "stuck.yaml").write_text(CLIENT.format(customer="stuck", params="{}").replace("credit_risk", "stuck_risk"))
    return folder


def _pids_when_stuck(out, run, seconds=300):
    "The stuck kernel's pid and its parent's, once it has written them; None if the run ended first."
    pids = out.parent / "stuck.pids"
    for _ in range(seconds * 10):
        if pids.exists() and pids.read_text(): return tuple(map(int, pids.read_text().split()))
        if run.poll() is not None: return None
        time.sleep(0.1)
    return None


def _gone(pid, seconds=20) -> bool:
    "Whether process `pid` has exited (or become a zombie) within `seconds`."
    import psutil
    for _ in range(seconds * 10):
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE: return True
        except psutil.NoSuchProcess: return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def clients_built(clients, tmp_path_factory):
    "report-all over acme, broken and stuck, with stuck's worker process killed (SIGKILL) while its kernel runs."
    out = tmp_path_factory.mktemp("build") / "clients"
    run = subprocess.Popen([*CLI, "report-all", clients, "--out", out, "--workers", "2", "--templates",
                            clients / "templates"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    pids = _pids_when_stuck(out, run)
    if pids: os.kill(pids[1], signal.SIGKILL)  # the worker, as the out-of-memory killer would
    stdout, stderr = run.communicate(timeout=1200)
    return out, subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr), pids


def test_one_failing_client_does_not_stop_the_others(clients_built):
    out, run, _ = clients_built
    assert run.returncode == 1, "a failed client sets the exit status"
    summary = {s["customer"]: s for s in json.loads((out / "summary.json").read_text())}
    assert summary["acme"]["status"] == "ok" and (out / "acme" / "report.html").exists()
    assert summary["broken"]["status"] == "failed" and not (out / "broken").exists()
    error = summary["broken"]["error"]
    assert "failed in cell" in error and "ValueError: the template broke on purpose" in error, "the failing cell and its exception"
    assert (out / "_failed" / "broken" / "report.ipynb").exists()
    index = (out / "index.html").read_text()
    assert "1 of 3 reports succeeded" in index and "broken" in index and "failed" in index
    assert "Traceback" not in run.stdout


def test_a_dead_worker_takes_no_other_client_with_it(clients_built):
    out, run, pids = clients_built
    assert pids, "the stuck client's kernel never started"
    summary = {s["customer"]: s for s in json.loads((out / "summary.json").read_text())}
    assert summary["acme"]["status"] == "ok" and summary["broken"]["status"] == "failed"
    assert summary["stuck"]["status"] == "failed" and "died (killed by SIGKILL)" in summary["stuck"]["error"]
    assert "died (killed by SIGKILL)" in (out / "index.html").read_text()
    assert not (out / "stuck").exists()
    assert _gone(pids[0]), "the dead worker's kernel is still running"


def test_a_report_killed_at_any_point_leaves_the_last_good_one(clients, clients_built, tmp_path):
    "SIGKILL while the data loads, and while the notebook runs: the report already there stays whole, nothing else shows."
    out, _, _ = clients_built
    before = _snapshot(out / "acme")
    shutil.copy(clients / "applications.csv", tmp_path)
    cfg = tmp_path / "acme.yaml"
    cfg.write_text(CLIENT.format(customer="acme", params="{}").replace("credit_risk", "stuck_risk"))
    (out.parent / "stuck.pids").unlink(missing_ok=True)
    for when in ("loading", "notebook"):
        run = subprocess.Popen([*CLI, "report", cfg, "--out", out, "--templates", clients / "templates"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        pids = _pids_when_stuck(out, run) if when == "notebook" else time.sleep(1.5)
        run.kill()
        run.wait()
        assert _snapshot(out / "acme") == before, f"killed while {when}: the last good report changed"
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["_failed", "acme", "index.html",
                                                                                       "summary.json"]
    assert pids and _gone(pids[0]), "the killed run's kernel is still running"


def test_personal_data_found_by_content_or_declared_stays_out(clients, clients_built):
    out, *_ = clients_built
    planted = pd.read_csv(clients / "applications.csv", usecols=["contact_info", "ref_code", "holder"])
    texts = {name: (out / "acme" / name).read_text() for name in ("report.html", "report.ipynb", "metrics.json", "manifest.json")}
    for column in planted:
        for value in planted[column].sample(300, random_state=0):
            for name, text in texts.items(): assert value not in text, f"{column} value {value!r} leaked into {name}"
    features = json.loads((out / "acme" / "model" / "bundle.json").read_text())["features"]
    assert not {"contact_info", "ref_code", "holder"} & set(features)
    reasons = _table_after(texts["report.html"], "Reasons for individual scores")
    assert ">holder</th>" in reasons and reasons.count("<td>[masked]</td>") == 5, "a personal key is shown masked"


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_rerun_leaves_the_last_good_report_untouched(clients, clients_built, tmp_path):
    out, *_ = clients_built
    before = _snapshot(out / "acme")
    cfg = tmp_path / "acme.yaml"
    shutil.copy(clients / "applications.csv", tmp_path)
    cfg.write_text(CLIENT.format(customer="acme", params="{}").replace("credit_risk", "broken_risk"))
    run = _cli("report", cfg, "--out", out, "--templates", clients / "templates")
    assert run.returncode == 1 and "broke on purpose" in run.stderr and "Traceback" not in run.stderr
    assert _snapshot(out / "acme") == before
    assert not [p for p in out.iterdir() if p.name.startswith(".acme")], "no temporary folder is left behind"


def test_a_full_disk_while_publishing_leaves_the_last_good_report(clients, clients_built, capsys, monkeypatch):
    import errno
    import lepton_nb.report
    out, *_ = clients_built
    before = _snapshot(out / "acme")

    def full(*args, **kwargs): raise OSError(errno.ENOSPC, "No space left on device", str(out / ".acme" / "report.html"))
    monkeypatch.setattr(lepton_nb.report, "render_html", full)
    code = main(["report", str(clients / "acme.yaml"), "--out", str(out), "--templates", str(TEMPLATES)])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "free some space" in err and "Traceback" not in err
    assert _snapshot(out / "acme") == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(f".acme.{os.getpid()}.")]


def test_same_config_and_seed_give_identical_metrics_and_weights(clients, clients_built, tmp_path):
    "From another folder, with one worker instead of two, after killed runs: the same metrics and weights, bit for bit."
    out, *_ = clients_built
    first, (arrays, meta) = json.loads((out / "acme" / "metrics.json").read_text())["metrics"], _model(out / "acme" / "model")
    (tmp_path / "one").mkdir()
    shutil.copy(clients / "acme.yaml", tmp_path / "one")
    shutil.copy(clients / "applications.csv", tmp_path / "one")
    run = _cli("report-all", "one", "--out", os.path.relpath(out, tmp_path), "--workers", "1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    second = json.loads((out / "acme" / "metrics.json").read_text())["metrics"]
    assert {k: v for k, v in first.items() if "seconds" not in k} == {k: v for k, v in second.items() if "seconds" not in k}
    again, meta_again = _model(out / "acme" / "model")
    assert meta_again == meta and arrays.keys() == again.keys()
    assert all((arrays[k] == again[k]).all() for k in arrays), "the same seed gave other weights"
    assert not [p.name for p in out.iterdir() if p.name.startswith(".acme")], "a killed run's folder is left behind"


def test_report_all_runs_on_a_dask_cluster(clients, clients_built, tmp_path):
    "report-all --scheduler: each client on a worker of a two-worker LocalCluster, the outputs fetched back."
    from distributed import LocalCluster
    out, *_ = clients_built
    folder = tmp_path / "customers"
    folder.mkdir()
    for name in ("acme.yaml", "broken.yaml", "applications.csv"): shutil.copy(clients / name, folder)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = _cli("report-all", folder, "--out", tmp_path / "out", "--scheduler", cluster.scheduler_address,
                   "--templates", clients / "templates")
    assert run.returncode == 1 and "1 of 2 reports ok" in run.stdout, run.stdout + run.stderr
    summary = {s["customer"]: s for s in json.loads((tmp_path / "out" / "summary.json").read_text())}
    assert summary["acme"]["status"] == "ok" and summary["acme"]["path"] == str(tmp_path / "out" / "acme" / "report.html")
    local = json.loads((out / "acme" / "metrics.json").read_text())["metrics"]
    clustered = json.loads((tmp_path / "out" / "acme" / "metrics.json").read_text())["metrics"]
    assert {k: v for k, v in local.items() if "seconds" not in k} == {k: v for k, v in clustered.items() if "seconds" not in k}
    assert _model(out / "acme" / "model")[1] == _model(tmp_path / "out" / "acme" / "model")[1]
    assert "broke on purpose" in summary["broken"]["error"] and (tmp_path / "out" / "_failed" / "broken" / "report.ipynb").exists()
    assert not (tmp_path / "out" / "broken").exists() and "1 of 2 reports succeeded" in (tmp_path / "out" / "index.html").read_text()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["_failed", "acme", "index.html", "summary.json"]


# --- bad configs: one clear message naming the file and the key, exit status 1, no traceback ------

GOOD = {"customer": "acme", "name": "Acme", "solution": "credit_risk", "data": {"sources": {"applications": {"path": "applications.csv"}}},
        "target": "Status", "positive": "bad"}


def _bad(tmp_path, capsys, change=None, text=None, csv=None, raw=None):
    import yaml
    (pd.DataFrame({"Income": [1, 2, 3, 4], "Status": ["good", "bad", "good", "bad"]}) if csv is None else csv).to_csv(
        tmp_path / "applications.csv", index=False)
    if raw is not None: (tmp_path / "applications.csv").write_bytes(raw)
    cfg = tmp_path / "client.yaml"
    cfg.write_text(text if text is not None else yaml.safe_dump({**GOOD, **(change or {})}))
    code = main(["report", str(cfg), "--out", str(tmp_path / "out"), "--templates", str(TEMPLATES)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and str(cfg) in err
    assert not (tmp_path / "out" / "acme").exists()
    return err


@pytest.mark.parametrize("change, expected", [
    ({"colour": "blue"}, "key 'colour': unknown key"),
    ({"seed": "seven"}, "key 'seed'"),
    ({"customer": "Acme Bank!"}, "key 'customer'"),
    ({"solution": "fraud"}, "no template 'fraud'"),
    ({"data": {"sources": {"applications": {"path": "nope.csv"}}}}, "key 'data.sources.applications.path': file 'nope.csv' does not exist"),
    ({"params": {"cutof": 0.3}}, "key 'params.cutof': unknown key"),
    ({"params": {"cutoff": "high"}}, "key 'params.cutoff'"),
    ({"target": "Default"}, "target column 'Default' is not in the data"),
    ({"positive": "late"}, "positive class 'late' does not occur"),
], ids=["unknown-key", "wrong-type", "customer-id", "template", "data-file", "param-name", "param-type", "target-missing", "positive-absent"])
def test_bad_config_gets_one_clear_message(tmp_path, capsys, change, expected):
    assert expected in _bad(tmp_path, capsys, change)


def test_constant_target_and_bad_yaml(tmp_path, capsys):
    constant = pd.DataFrame({"Income": [1, 2, 3], "Status": ["good"] * 3})
    assert "is constant" in _bad(tmp_path, capsys, csv=constant)
    assert "not valid YAML" in _bad(tmp_path, capsys, text="customer: [unclosed\n")
    assert "missing (required)" in _bad(tmp_path, capsys, text="customer: acme\n")


# --- kernels that hang or die are stopped and reported ------------------------------------------

def _template(folder, body, name="credit_risk", kind=None):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('config_path = ""\noutput_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if kind: nb.metadata["lepton_nb"] = {"kind": kind}
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.mark.parametrize("body, timeout, expected", [("import time; time.sleep(120)", "8", "time limit of 8 s while running the notebook"),
                                                    ("import os; os._exit(1)", "300", "died")])
def test_hanging_or_dying_kernel_is_reported(tmp_path, body, timeout, expected):
    _template(tmp_path / "templates", body)
    load_credit_data().head(200).to_csv(tmp_path / "applications.csv", index=False)
    import yaml
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(GOOD))
    run = _cli("report", tmp_path / "client.yaml", "--out", tmp_path / "out", "--templates", tmp_path / "templates", "--timeout", timeout)
    assert run.returncode == 1 and expected in run.stderr, run.stderr
    assert not (tmp_path / "out" / "acme").exists()


SRC = {"applications": {"path": "applications.csv"}}


@pytest.mark.parametrize("raw, change, expected", [
    (b"Income,Status\n1,good\n2,bad,extra\n3,good\n", None, "line 3 has 3 fields where the first line has 2"),
    (b"Income,Status\n1,good\n2,bad\n3,good,extra\n", None, "line 4 has 3 fields where the first line has 2"),
    (b"Income,Status\n1,good\ninf,bad\n3,good\n", None, "infinite values in column(s) 'Income' (1 value)"),
    (b"Income,Status,Income,\n1,good,2,x\n", None, "the header names 'Income' more than once and has no name for column(s) 4"),
    ("Income,Status\n1,caf\xe9\n2,bad\n".encode("latin-1"), None, "not utf-8"),
    (b"Income,Status\n", None, "the table is empty"),
    (None, {"data": {"sources": SRC, "query": "select Salary, Status from applications"}}, 'the query failed: Referenced column "Salary" not found'),
    (None, {"data": {"sources": SRC, "query": "select * from loans"}}, "Table with name loans does not exist"),
    (b"Income,Status\n1,good\nten,bad\n3,good\n", {"data": {"sources": SRC, "cleaning": [{"table": "applications", "coerce": {"Income": "number"}}]}},
     "column 'Income': 1 value(s) cannot be read as number, e.g. 'ten'"),
    (b"Income,Status\n1,good\n1,bad\n3,good\n", {"data": {"sources": SRC, "keys": {"applications": ["Income"]}}},
     "should have one row per Income, but 1 key value(s) repeat, e.g. 1 (2 rows)"),
], ids=["ragged", "ragged-last", "infinity", "header-names", "encoding", "empty", "query-column", "query-table", "uncoercible", "duplicate-key"])
def test_bad_input_gets_a_data_error_naming_what_is_wrong(tmp_path, capsys, raw, change, expected):
    err = _bad(tmp_path, capsys, change, raw=raw)
    assert expected in err


def test_profile_command_prints_data_quality_without_a_report(clients, capsys, tmp_path):
    code = main(["profile", str(clients / "acme.yaml"), "--templates", str(TEMPLATES)])
    out = capsys.readouterr().out
    assert code == 0 and "4,454 rows" in out and "Left out of the model" in out
    for col in ("contact_info", "ref_code", "holder"): assert f"{col}:" in out
    assert "person0@mail-example.org" not in out, "personal data are masked in the profile"


def test_multi_source_client_is_reproducible(demo, demo_customers, tmp_path):
    "Joins and aggregates come back from DuckDB in any order; the report must not depend on it."
    run = _cli("report", demo_customers / "demo-bank.yaml", "--out", tmp_path, "--templates", TEMPLATES)
    assert run.returncode == 0, run.stderr
    first = json.loads((demo / "demo-bank" / "metrics.json").read_text())["metrics"]
    second = json.loads((tmp_path / "demo-bank" / "metrics.json").read_text())["metrics"]
    assert {k: v for k, v in first.items() if "seconds" not in k} == {k: v for k, v in second.items() if "seconds" not in k}


# --- solution kinds: the seam, templates from anywhere, figures whatever the environment -------------

def test_manifest_names_no_absolute_path(demo, demo_customers):
    text = (demo / "demo-realty" / "manifest.json").read_text()
    manifest = json.loads(text)
    assert manifest["kind"] == "regression" and manifest["config"]["file"] == "demo-realty.yaml"
    assert manifest["template"]["name"] == "value_estimate" and manifest["template"]["source"] == "lepton_nb"
    assert str(demo_customers) not in text and str(TEMPLATES) not in text


@pytest.mark.parametrize("customer", ["demo-pharma", "demo-realty"])
def test_new_kinds_bundles_score_like_the_reports_model(demo, demo_customers, tmp_path, customer):
    import numpy as np
    bundle = load_bundle(demo / customer / "model")
    frame = load_client_data(load_config(demo_customers / f"{customer}.yaml")).frame.head(40)
    frame.to_csv(tmp_path / "new.csv", index=False)
    run = _cli("score", demo / customer / "model", tmp_path / "new.csv", "-o", tmp_path / "scored.csv")
    assert run.returncode == 0, run.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    X = pd.read_csv(tmp_path / "new.csv")[bundle.features]
    if customer == "demo-pharma":
        proba = bundle.model.predict_proba(X)
        for i, c in enumerate(bundle.model.classes_): np.testing.assert_allclose(scored[f"p_{c}"], proba[:, i], atol=1e-9)
        assert (scored.prediction.astype(str) == bundle.model.classes_[proba.argmax(1)].astype(str)).all()
    else:
        value = np.expm1(bundle.model.predict(X)) if bundle.meta["log_target"] else bundle.model.predict(X)
        np.testing.assert_allclose(scored.prediction, value, rtol=1e-9)
        assert (scored.lower <= scored.prediction).all() and (scored.prediction <= scored.upper).all()
    assert scored.reason_1.notna().mean() > 0.5  # most rows have a reason, whichever model the report chose


def test_a_report_that_chooses_boosted_trees_ships_them_with_reasons(demo, demo_customers):
    """The realty client's report chooses the boosted trees: its bundle holds them (node tables, no scikit-learn object), its reasons are
    Shapley values that add up to each estimate minus the typical row's, and the scoring service answers with them."""
    import numpy as np
    from fastapi.testclient import TestClient
    from lepton_nb.explain import attributions
    from lepton_nb.serve import make_app
    metrics = json.loads((demo / "demo-realty" / "metrics.json").read_text())["metrics"]
    assert metrics["model"] == "boosted-tree model"
    assert (demo / "demo-realty" / "model" / "trees.npz").is_file()
    assert not (demo / "demo-realty" / "model" / "weights.npz").exists()
    text = " ".join(_Page((demo / "demo-realty" / "report.html").read_text()).text)
    assert "sampled Shapley values" in text, "the report names the method behind its reasons"
    bundle = load_bundle(demo / "demo-realty" / "model")
    rows = load_client_data(load_config(demo_customers / "demo-realty.yaml")).frame.head(5)[bundle.features]
    base = np.asarray(bundle.meta["baseline"])
    att = attributions(bundle.model, rows, base)
    gap = att.sum(axis=1).to_numpy() - (bundle.model._raw(rows)[:, 0] - bundle.model._raw(None, base[None])[0, 0])
    assert np.abs(gap).max() < 1e-9, "per row the contributions add up to the estimate minus the typical row's"
    records = json.loads(rows.to_json(orient="records"))
    answer = TestClient(make_app(bundle)).post("/score", json={"records": records})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert len(results) == 5 and all(r["lower"] <= r["prediction"] <= r["upper"] and r["reasons"] for r in results)


def test_figures_survive_an_agg_backend(demo_customers, tmp_path):
    import os
    env = {**os.environ, "MPLBACKEND": "Agg"}  # common on servers and in CI: figures would become "<Figure size ...>"
    run = subprocess.run([*CLI, "report", str(demo_customers / "demo-hospital.yaml"), "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "demo-hospital" / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 4 and "&lt;Figure size" not in page
    assert "running over TCP" not in run.stderr, "the kernel's warnings stay out of the user's terminal"


def test_templates_and_a_report_from_an_empty_folder(tmp_path):
    listed = _cli("templates", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for template, kind in (("credit_risk", "binary"), ("disease_risk", "binary"), ("churn_risk", "binary"),
                           ("triage", "multiclass"), ("value_estimate", "regression"),
                           ("demand_forecast", "forecast"), ("feedback_triage", "text"),
                           ("recommendation", "recommendation")):
        assert f"{template} ({kind})" in listed.stdout
    (tmp_path / "acme.yaml").write_text("customer: acme\nname: Acme\nsolution: credit_risk\n"
                                        "data: {dataset: modeldata/credit_data}\ntarget: Status\npositive: bad\n"
                                        "params: {models: [logistic], permutation_repeats: 1}\n")
    run = _cli("report", "acme.yaml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "reports" / "_build" / "acme" / "report.html").exists()


def test_yaml_yes_no_and_duplicate_ids(tmp_path, capsys):
    telco = "customer: {id}\nname: Telco\nsolution: churn_risk\ndata: {{dataset: modeldata/wa_churn}}\ntarget: churn\npositive: Yes\n"
    (tmp_path / "one.yaml").write_text(telco.format(id="telco"))
    assert main(["profile", str(tmp_path / "one.yaml")]) == 0, "unquoted Yes is matched to the target's 'Yes'"
    (tmp_path / "two.yml").write_text(telco.format(id="telco"))
    assert main(["report-all", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "one.yaml and " in err and "two.yml both have customer id 'telco'" in err
    assert not (tmp_path / "out" / "telco").exists()


@pytest.mark.parametrize("change, expected", [
    ({"solution": "value_estimate", "positive": "bad"}, "key 'positive': unknown key"),
    ({"group": "Maritl"}, "key 'group': column 'Maritl' is not in the data"),
    ({"params": {"drop_columns": ["Salary"]}}, "key 'params.drop_columns.1': column 'Salary' is not in the data"),
], ids=["other-kind-key", "group", "drop-columns"])
def test_every_key_is_checked_before_a_kernel_starts(tmp_path, capsys, change, expected):
    err = _bad(tmp_path, capsys, change, csv=load_credit_data().head(300))
    assert expected in err


def test_reports_speak_the_clients_words(tmp_path):
    """The churn template on attrition data: HR's words only, and the default words never mention employees. The
    shop's table (about 560 KB by the estimate) is over its 350 KB memory budget: it is modelled on a sample, and says so."""
    from lepton_nb.datasets import load_wa_churn

    load_wa_churn().head(800).to_csv(tmp_path / "people.csv", index=False)
    base = {"name": "Acme", "solution": "churn_risk", "data": {"sources": {"people": {"path": "people.csv"}}},
            "target": "churn", "positive": "Yes", "params": {"models": ["logistic"], "permutation_repeats": 1}}
    import yaml
    hr = {**base, "customer": "acme-hr", "params": {**base["params"], "subject": "employee", "owner": "HR team"}}
    (tmp_path / "hr.yaml").write_text(yaml.safe_dump(hr))
    shop = {**base, "customer": "acme-shop", "data": {**base["data"], "memory_budget": "350KB"}}
    (tmp_path / "shop.yaml").write_text(yaml.safe_dump(shop))
    run = _cli("report-all", tmp_path, "--out", tmp_path / "out", "--workers", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    sample = json.loads((tmp_path / "out" / "acme-shop" / "manifest.json").read_text())["sample"]
    assert sample["rows"] == 800 and 400 < sample["kept"] < 600 and sample["budget"] == 350_000, sample
    assert json.loads((tmp_path / "out" / "acme-hr" / "manifest.json").read_text())["sample"] is None
    text = lambda c: " ".join(_Page((tmp_path / "out" / c / "report.html").read_text()).text).lower()
    hr_page, shop_page = text("acme-hr"), text("acme-shop")
    assert "employees" in hr_page and "hr team" in hr_page
    for word in ("customer", "marketing", "retention", "campaign"): assert word not in hr_page, word  # data say "billing"
    assert "customers" in shop_page and "employee" not in shop_page and "hr team" not in shop_page
    assert "the query gives 800 rows" in shop_page and f"a random {sample['kept']:,} of them" in shop_page
    assert "a sample" not in hr_page


# --- small data: the smallest table each template accepts runs; below it, a clear refusal ------------

@pytest.fixture(scope="module")
def smallest(tmp_path_factory):
    "Every template on the smallest table it accepts (10 rows of each class; 30 rows for a value)."
    import yaml
    from lepton_nb.datasets import load_ames, load_breast_cancer, load_hepatic_injury, load_wa_churn
    folder = tmp_path_factory.mktemp("smallest")
    def pick(df, target, classes): return pd.concat([df[df[target] == c].head(n) for c, n in classes.items()])
    tables = {"credit": (pick(load_credit_data(), "Status", {"bad": 10, "good": 20}), "credit_risk", "Status", "bad"),
              "disease": (pick(load_breast_cancer(), "diagnosis", {"malignant": 10, "benign": 20}), "disease_risk",
                          "diagnosis", "malignant"),
              "churn": (pick(load_wa_churn(), "churn", {"Yes": 10, "No": 20}), "churn_risk", "churn", "Yes"),
              "triage": (pick(load_hepatic_injury(), "class", {"none": 10, "mild": 10, "severe": 10}), "triage", "class", None),
              "value": (load_ames().head(30), "value_estimate", "Sale_Price", None)}
    credit = tables["credit"][0]
    noise = credit.assign(Status=credit.Status.sample(frac=1, random_state=1).to_numpy())  # a target the inputs cannot tell
    tables["random"] = (noise, "credit_risk", "Status", "bad")
    for name, (df, solution, target, positive) in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
        models = ["linear"] if solution == "value_estimate" else ["logistic"]
        config = {"customer": f"small-{name}", "name": name, "solution": solution, "target": target,
                  "data": {"sources": {"t": {"path": f"{name}.csv"}}}, "params": {"models": models, "permutation_repeats": 1}}
        if positive: config["positive"] = positive
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(config))
    run = _cli("report-all", folder, "--out", folder / "out", "--workers", "2")
    return folder, run


def test_every_template_runs_on_the_smallest_table_it_accepts(smallest):
    folder, run = smallest
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("credit", "disease", "churn", "triage", "value", "random"):
        metrics = json.loads((folder / "out" / f"small-{name}" / "metrics.json").read_text())["metrics"]
        page = " ".join(_Page((folder / "out" / f"small-{name}" / "report.html").read_text()).text)
        assert metrics["cv_folds"] == 5 and "A small table." in page and "Cross-validated over all 30" in page, name
        main = {"triage": "log_loss", "value": "rmse"}.get(name, "auc")
        assert metrics[f"{main}_cv_difference_ci"] and metrics["n_test"] == 6, name
        verdict = "better than" if metrics["beats_baseline"] else "cannot tell"
        assert verdict in page and "clearly better" not in page, name
    random = json.loads((folder / "out" / "small-random" / "metrics.json").read_text())["metrics"]
    assert random["beats_baseline"] is False, "a shuffled target must never read as a model that works"


@pytest.mark.parametrize("rows, expected", [
    ({"bad": 9, "good": 21}, "has only 9 'bad' rows; a binary solution needs at least 10 of each class"),
    ({"bad": 4, "good": 26}, "has only 4 'bad' rows"),
], ids=["nine-positives", "four-positives"])
def test_too_small_a_table_is_refused_before_a_kernel_starts(tmp_path, capsys, rows, expected):
    credit = load_credit_data()
    table = pd.concat([credit[credit.Status == c].head(n) for c, n in rows.items()])
    err = _bad(tmp_path, capsys, csv=table)
    assert expected in err and "key 'target'" in err
