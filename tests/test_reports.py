"""Client reports end to end: papermill runs of every template, the CLI, bad configs, failures."""
import json
import re
import shutil

import nbformat
import pandas as pd
import pytest

from lepton_nb.cli import main
from lepton_nb.datasets import load_credit_data
from lepton_nb.report import load_client_data, load_config
from lepton_nb.bundle import load_bundle

from conftest import TEMPLATES, _cli


@pytest.mark.parametrize("customer, floor", [("demo-bank", 0.81), ("demo-hospital", 0.98), ("demo-telco", 0.82)])
def test_demo_metrics_are_held_out_and_good_enough(demo, customer, floor):
    m = json.loads((demo / customer / "metrics.json").read_text())
    assert m["customer"] == customer and m["solution"]
    metrics = m["metrics"]
    assert {"test_auc", "test_accuracy", "test_log_loss"} <= set(metrics)
    assert metrics["test_auc"] >= floor
    assert metrics["baseline_test_auc"] == 0.5 and metrics["beats_baseline"] is True
    assert metrics["n_test"] > 0 and metrics["n_train"] > metrics["n_test"]


@pytest.mark.parametrize("customer, name", [("demo-bank", "Demo Bank"), ("demo-hospital", "Demo Hospital"), ("demo-telco", "Demo Telco")])
def test_html_is_for_the_client(demo, customer, name):
    page = (demo / customer / "report.html").read_text()
    assert name in page
    assert page.count("data:image/png;base64") >= 3, "figures must be embedded"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no remote assets: the report opens offline"
    for code in ("import ", "BinaryReport", "config_path", "output_dir", "report.finish", "jp-InputArea", "In&nbsp;["):
        assert code not in page, f"code or prompts leaked into the HTML: {code!r}"
    assert "application/vnd.lepton-nb" not in page and "Traceback" not in page


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


def test_demo_bank_is_built_from_three_cleaned_sources(demo):
    page = (demo / "demo-bank" / "report.html").read_text()
    for text in ("built from 3 sources", "drop_duplicates", "coerce", "normalize", "Left out of the model", "Personal data",
                 "Reasons for individual scores", "Recalibration", "Groups compared", "How the top drivers move the risk"):
        assert text in page, text


def test_planted_personal_data_never_reaches_any_output(demo, demo_customers):
    import sqlite3
    with sqlite3.connect(demo_customers / "demo-bank-data" / "registry.db") as db:
        people = pd.read_sql("select full_name, email, phone from people", db)
    outputs = {name: (demo / "demo-bank" / name).read_text() for name in ("report.html", "report.ipynb", "metrics.json", "manifest.json")}
    for column in people:
        for value in people[column].unique():
            for name, text in outputs.items():
                assert value not in text, f"{column} value {value!r} leaked into {name}"


def test_index_lists_every_client(demo):
    page = (demo / "index.html").read_text()
    for customer in ("demo-bank", "demo-hospital", "demo-telco"):
        assert f'href="{customer}/report.html"' in page
    assert "3 of 3 reports succeeded" in page
    summary = json.loads((demo / "summary.json").read_text())
    assert [s["status"] for s in summary] == ["ok"] * 3


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


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    folder = tmp_path_factory.mktemp("customers")
    _with_planted_pii(load_credit_data()).to_csv(folder / "applications.csv", index=False)
    (folder / "acme.yaml").write_text(CLIENT.format(customer="acme", params="{models: [logistic], permutation_repeats: 2}"))
    # passes validation, fails inside the template: a column to drop that is not in the data
    (folder / "broken.yaml").write_text(CLIENT.format(customer="broken", params="{drop_columns: [Salary]}"))
    return folder


@pytest.fixture(scope="module")
def clients_built(clients, tmp_path_factory):
    out = tmp_path_factory.mktemp("clients_build")
    run = _cli("report-all", clients, "--out", out, "--workers", "2", "--templates", TEMPLATES)
    return out, run


def test_one_failing_client_does_not_stop_the_others(clients_built):
    out, run = clients_built
    assert run.returncode == 1, "a failed client sets the exit status"
    summary = {s["customer"]: s for s in json.loads((out / "summary.json").read_text())}
    assert summary["acme"]["status"] == "ok" and (out / "acme" / "report.html").exists()
    assert summary["broken"]["status"] == "failed" and not (out / "broken").exists()
    error = summary["broken"]["error"]
    assert "DataError" in error and "Salary" in error and "BinaryReport.start" in error, "the failing cell and its exception"
    assert (out / "_failed" / "broken" / "report.ipynb").exists()
    index = (out / "index.html").read_text()
    assert "1 of 2 reports succeeded" in index and "broken" in index and "failed" in index
    assert "Traceback" not in run.stdout


def test_personal_data_found_by_content_or_declared_stays_out(clients, clients_built):
    out, _ = clients_built
    planted = pd.read_csv(clients / "applications.csv", usecols=["contact_info", "ref_code", "holder"])
    texts = {name: (out / "acme" / name).read_text() for name in ("report.html", "report.ipynb", "metrics.json", "manifest.json")}
    for column in planted:
        for value in planted[column].sample(300, random_state=0):
            for name, text in texts.items(): assert value not in text, f"{column} value {value!r} leaked into {name}"
    features = json.loads((out / "acme" / "model" / "bundle.json").read_text())["features"]
    assert not {"contact_info", "ref_code", "holder"} & set(features)


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_rerun_leaves_the_last_good_report_untouched(clients, clients_built, tmp_path):
    out, _ = clients_built
    before = _snapshot(out / "acme")
    cfg = tmp_path / "acme.yaml"
    shutil.copy(clients / "applications.csv", tmp_path)
    cfg.write_text(CLIENT.format(customer="acme", params="{drop_columns: [Salary]}"))
    run = _cli("report", cfg, "--out", out, "--templates", TEMPLATES)
    assert run.returncode == 1 and "Salary" in run.stderr and "Traceback" not in run.stderr
    assert _snapshot(out / "acme") == before
    assert not [p for p in out.iterdir() if p.name.startswith(".acme")], "no temporary folder is left behind"


def test_same_config_and_seed_give_identical_metrics(clients, clients_built, tmp_path):
    out, _ = clients_built
    first = json.loads((out / "acme" / "metrics.json").read_text())["metrics"]
    run = _cli("report", clients / "acme.yaml", "--out", tmp_path, "--templates", TEMPLATES)
    assert run.returncode == 0, run.stderr
    second = json.loads((tmp_path / "acme" / "metrics.json").read_text())["metrics"]
    assert {k: v for k, v in first.items() if "seconds" not in k} == {k: v for k, v in second.items() if "seconds" not in k}


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

def _template(folder, body):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('config_path = ""\noutput_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / "credit_risk.ipynb")


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
    ("Income,Status\n1,caf\xe9\n2,bad\n".encode("latin-1"), None, "not utf-8"),
    (b"Income,Status\n", None, "the table is empty"),
    (None, {"data": {"sources": SRC, "query": "select Salary, Status from applications"}}, 'the query failed: Referenced column "Salary" not found'),
    (None, {"data": {"sources": SRC, "query": "select * from loans"}}, "Table with name loans does not exist"),
    (b"Income,Status\n1,good\nten,bad\n3,good\n", {"data": {"sources": SRC, "cleaning": [{"table": "applications", "coerce": {"Income": "number"}}]}},
     "column 'Income': 1 value(s) cannot be read as number, e.g. 'ten'"),
    (b"Income,Status\n1,good\n1,bad\n3,good\n", {"data": {"sources": SRC, "keys": {"applications": ["Income"]}}},
     "should have one row per Income, but 1 key value(s) repeat, e.g. 1 (2 rows)"),
], ids=["ragged", "encoding", "empty", "query-column", "query-table", "uncoercible", "duplicate-key"])
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
