"""Hostile configs and data against the report runner: escaping, paths, limits, output folders, config checks."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lepton_nb.cli import main
from lepton_nb.datasets import load_credit_data

from conftest import CLI, TEMPLATES, _Page, _cli

# --- every string from a config or the data is shown as text, never as markup ---------------------

NAME = 'Acme <script>alert("name")</script> [x](javascript:alert(1)) $\\frac{ **b**'
HOME = '<img src=x onerror=alert("col")>'
GROUP = '<i onmouseover=alert("grp")>Marital'
POSITIVE = '<b onclick=alert("pos")>bad</b>'
CATEGORY = '<svg onload=alert("cat")>'
LINK = '[job](javascript:alert("job"))'
WHAT = {"credit_risk": "loan approval model", "disease_risk": "risk model", "churn_risk": "risk model"}


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    df = load_credit_data().head(600).rename(columns={"Home": HOME, "Marital": GROUP})
    df["Status"] = df["Status"].replace({"bad": POSITIVE})
    df[GROUP] = df[GROUP].replace({"widow": CATEGORY})
    df["Job"] = df["Job"].replace({"fixed": LINK})
    df.to_csv(folder / "applications.csv", index=False)
    for solution in WHAT:
        config = {"customer": f"hostile-{solution.replace('_', '-')}", "name": NAME, "solution": solution,
                  "data": {"sources": {"applications": {"path": "applications.csv"}}}, "target": "Status",
                  "positive": POSITIVE, "group": GROUP, "params": {"models": ["logistic"], "permutation_repeats": 2}}
        (folder / f"{solution}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    out = tmp_path_factory.mktemp("hostile_build")
    run = _cli("report-all", folder, "--out", out, "--workers", "2", "--templates", TEMPLATES)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


@pytest.mark.parametrize("solution", list(WHAT))
def test_hostile_strings_are_shown_as_text_never_as_markup(hostile_reports, solution):
    page = _Page((hostile_reports / f"hostile-{solution.replace('_', '-')}" / "report.html").read_text())
    assert not {"script", "svg", "iframe", "object", "embed", "form", "input", "button"} & set(page.tags), page.tags
    for tag, name, value in page.attributes:
        assert not name.startswith("on"), (tag, name, value)
        assert "javascript:" not in value and "alert(" not in value, (tag, name, value)
    text = "".join(page.text)
    assert f"{NAME} · {WHAT[solution]}" in text, "the client's name is shown as written, in the title line"
    for shown in (HOME, POSITIVE, GROUP):
        assert shown in text, f"{shown!r} should be shown to the reader as text"
    index = _Page((hostile_reports / "index.html").read_text())
    assert "script" not in index.tags and NAME in "".join(index.text)


# --- data files stay inside the client's folder ---------------------------------------------------

GOOD = {"customer": "acme", "name": "Acme", "solution": "credit_risk",
        "data": {"sources": {"applications": {"path": "applications.csv"}}}, "target": "Status", "positive": "bad"}


def _report(tmp_path, capsys, config=None, text=None, data=True, extra=()):
    "Run `lepton-nb report` in process; (exit code, stderr)."
    if data: load_credit_data().head(200).to_csv(tmp_path / "applications.csv", index=False)
    cfg = tmp_path / "client.yaml"
    if isinstance(text, bytes): cfg.write_bytes(text)
    else: cfg.write_text(text if text is not None else yaml.safe_dump({**GOOD, **(config or {})}))
    code = main(["report", str(cfg), "--out", str(tmp_path / "out"), "--templates", str(TEMPLATES), *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/passwd", "link.csv", "linked/passwd"])
def test_sources_outside_the_client_folder_are_refused(tmp_path, capsys, path):
    (tmp_path / "link.csv").symlink_to("/etc/passwd")
    (tmp_path / "linked").symlink_to("/etc")
    code, err = _report(tmp_path, capsys, {"data": {"sources": {"applications": {"path": path}}}})
    assert code == 1 and "key 'data.sources.applications.path'" in err and "root:" not in err, err
    assert not (tmp_path / "out" / "acme").exists()


def test_a_named_data_root_allows_files_outside(tmp_path, capsys):
    shared = tmp_path / "shared"
    shared.mkdir()
    load_credit_data().head(200).to_csv(shared / "applications.csv", index=False)
    client = tmp_path / "client"
    client.mkdir()
    config = {"data": {"sources": {"applications": {"path": str(shared / "applications.csv")}}}}
    (client / "client.yaml").write_text(yaml.safe_dump({**GOOD, **config}))
    assert main(["profile", str(client / "client.yaml"), "--templates", str(TEMPLATES)]) == 1
    assert "--data-root" in capsys.readouterr().err
    try:
        allowed = ["--templates", str(TEMPLATES), "--data-root", str(shared)]
        assert main(["profile", str(client / "client.yaml"), *allowed]) == 0
    finally: os.environ.pop("LEPTON_NB_DATA_ROOTS", None)


def test_a_template_that_arrives_beside_a_config_never_runs(tmp_path):
    "A client's package may hold templates/credit_risk.ipynb next to customers/: a template is code."
    import nbformat
    package = tmp_path / "from-client"
    (package / "customers").mkdir(parents=True)
    (package / "templates").mkdir()
    marker = tmp_path / "ran.txt"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('config_path = ""\noutput_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').write('code from the client ran')")])
    nbformat.write(nb, package / "templates" / "credit_risk.ipynb")
    load_credit_data().head(200).to_csv(package / "customers" / "applications.csv", index=False)
    config = {**GOOD, "params": {"models": ["logistic"], "permutation_repeats": 1}}
    (package / "customers" / "acme.yaml").write_text(yaml.safe_dump(config))
    run = _cli("report", package / "customers" / "acme.yaml", "--out", tmp_path / "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert not marker.exists(), "the client's template did not run"
    template = json.loads((tmp_path / "out" / "acme" / "manifest.json").read_text())["template"]
    assert template["name"] == "credit_risk" and template["source"] == "lepton_nb", "the shipped template ran"


# --- config checks ------------------------------------------------------------------------------

@pytest.mark.parametrize("config, expected", [
    ({"customer": "a" * 300}, "key 'customer'"),
    ({"params": {"cutoffs": [1.5, -0.2, float("nan")]}}, "key 'params.cutoffs.1'"),
    ({"solution": "disease_risk", "params": {"sensitivities": [1.5, -1]}}, "key 'params.sensitivities.1'"),
    ({"params": {"hidden_layer_sizes": [10 ** 9]}}, "key 'params.hidden_layer_sizes.1'"),
    ({"name": "x" * 100_000}, "key 'name'"),
], ids=["long-customer", "cutoffs", "sensitivities", "layer-size", "long-name"])
def test_out_of_range_config_values_are_refused(tmp_path, capsys, config, expected):
    code, err = _report(tmp_path, capsys, config)
    assert code == 1 and expected in err, err
    assert len(err) < 3000, "the message stays short however large the value"


def _alias_bomb(levels=9):
    "The billion-laughs YAML: nine levels of nine aliases make a 424-byte file stand for 9**9 strings."
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join([*lines, f"name: *a{levels - 1}", ""])


@pytest.mark.parametrize("text, expected", [
    ("customer: acme\nname: Zürich\n".encode("latin-1"), "not UTF-8 text: byte 0xfc on line 2"),
    (yaml.safe_dump(GOOD) + "customer: other\n", "key 'customer' is given twice"),
    (_alias_bomb(), "aliases (*name) are not allowed"),
], ids=["latin-1", "duplicate-key", "alias-bomb"])
def test_unreadable_yaml_gets_one_bounded_message(tmp_path, capsys, text, expected):
    start = time.perf_counter()
    code, err = _report(tmp_path, capsys, text=text)
    assert code == 1 and expected in err, err
    assert time.perf_counter() - start < 10 and len(err) < 3000


# --- output folders -----------------------------------------------------------------------------

def test_unusable_output_folders_get_one_message(tmp_path, capsys):
    load_credit_data().head(200).to_csv(tmp_path / "applications.csv", index=False)
    cfg = tmp_path / "client.yaml"
    cfg.write_text(yaml.safe_dump(GOOD))
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "acme").write_text("not a folder")
    for out, expected in ((tmp_path / "a-file", "is a file, not a folder"),
                          (tmp_path / ("long" * 100), "too long for the file system"),
                          (tmp_path / "out", "a file is where this client's report folder belongs")):
        code = main(["report", str(cfg), "--out", str(out), "--templates", str(TEMPLATES)])
        err = capsys.readouterr().err
        assert code == 1 and expected in err and "Traceback" not in err, err
    assert (tmp_path / "out" / "acme").read_text() == "not a folder", "nothing is deleted"


def test_read_only_output_folder_gets_one_message(tmp_path, capsys):
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o555)
    if os.geteuid() == 0: read_only = Path("/sys/lepton-nb-test")  # root writes anywhere but in sysfs
    load_credit_data().head(200).to_csv(tmp_path / "applications.csv", index=False)
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(GOOD))
    code = main(["report", str(tmp_path / "client.yaml"), "--out", str(read_only), "--templates", str(TEMPLATES)])
    err = capsys.readouterr().err
    assert code == 1 and "cannot write reports there" in err and "Traceback" not in err, err


# --- one time limit for everything; Ctrl-C stops at once ---------------------------------------

def test_time_limit_covers_the_query(tmp_path):
    load_credit_data().head(200).to_csv(tmp_path / "applications.csv", index=False)
    query = "select * from applications where (select count(*) from range(100000000000)) > 0"
    config = {**GOOD, "data": {"sources": {"applications": {"path": "applications.csv"}}, "query": query}}
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    run = _cli("report", tmp_path / "client.yaml", "--out", tmp_path / "out", "--templates", TEMPLATES,
               "--timeout", "3")
    assert run.returncode == 1 and "time limit of 3 s while loading the data" in run.stderr, run.stderr
    assert time.perf_counter() - start < 60


def _sleeping_template(folder):
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('config_path = ""\noutput_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time; time.sleep(600)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir()
    nbformat.write(nb, folder / "credit_risk.ipynb")


def _kernels_of(pid):
    import psutil
    try: children = psutil.Process(pid).children(recursive=True)
    except psutil.Error: return []
    return [c for c in children if "ipykernel_launcher" in " ".join(c.cmdline())]


def test_ctrl_c_stops_a_report_at_once_and_keeps_the_last_good_one(tmp_path):
    _sleeping_template(tmp_path / "templates")
    load_credit_data().head(200).to_csv(tmp_path / "applications.csv", index=False)
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(GOOD))
    (tmp_path / "out" / "acme").mkdir(parents=True)
    (tmp_path / "out" / "acme" / "report.html").write_text("last good")
    proc = subprocess.Popen([*CLI, "report", str(tmp_path / "client.yaml"), "--out", str(tmp_path / "out"),
                             "--templates", str(tmp_path / "templates")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (kernels := _kernels_of(proc.pid)) and time.monotonic() < deadline: time.sleep(0.5)
    assert kernels, "the kernel started"
    time.sleep(2)  # the kernel is in the sleeping cell
    proc.send_signal(signal.SIGINT)
    start = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 15, "Ctrl-C stops the run promptly"
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert (tmp_path / "out" / "acme" / "report.html").read_text() == "last good"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".acme")]
    assert not any(k.is_running() and k.status() != "zombie" for k in kernels), "the kernel is stopped too"


# --- personal data that simple detection misses reaches no output file and no HTTP response -------

GIVEN = ["Maria", "James", "Aisha", "Chen", "Olga", "Pedro", "Fatima", "Liam", "Sofia", "Kwame", "Ingrid", "Ravi"]
FAMILY = ["Lopez", "Smith", "Okafor", "Wang", "Petrova", "Silva", "Haddad", "Murphy", "Rossi", "Mensah", "Berg",
          "Patel"]


def _planted(n):
    "An owner's name, a contact that is an e-mail 45% of the time, and a memo with a phone number in some rows."
    owner = [f"{GIVEN[i % 12]} {FAMILY[(i * 5 + i // 12) % 12]}" for i in range(n)]
    contact = [f"{o.lower().replace(' ', '.')}{i}@mailbox-example.org" if i % 20 < 9 else f"ZQ-{4000 + i}"
               for i, o in enumerate(owner)]
    memo = [f"Called on {['Monday', 'Friday'][i % 2]}; call back on +1 415 555 {1000 + i:04d} about the rate"
            if i % 3 == 0 else f"Asked about the rate, reference {i} noted" for i in range(n)]
    return pd.DataFrame({"owner": owner, "contact": contact, "memo": memo})


def test_planted_personal_data_reaches_no_output_file_or_http_response(tmp_path):
    from fastapi.testclient import TestClient
    from lepton_nb.bundle import load_bundle
    from lepton_nb.serve import make_app
    data = pd.concat([load_credit_data().head(600), _planted(600)], axis=1)
    data.to_csv(tmp_path / "applications.csv", index=False)
    config = {**GOOD, "params": {"models": ["logistic"], "permutation_repeats": 2}}
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(config))
    run = _cli("report", tmp_path / "client.yaml", "--out", tmp_path / "out", "--templates", TEMPLATES)
    assert run.returncode == 0, run.stderr
    model = tmp_path / "out" / "acme" / "model"
    data.head(100).to_csv(tmp_path / "next.csv", index=False)
    scored = _cli("score", model, tmp_path / "next.csv", "-o", tmp_path / "next.scored.csv")
    assert scored.returncode == 0, scored.stderr
    client = TestClient(make_app(load_bundle(model)))
    schema = client.get("/schema").text
    answer = client.post("/score", json={"records": json.loads(data.head(20).to_json(orient="records"))}).text
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    outputs = {str(p.relative_to(tmp_path)): p.read_bytes().decode("latin-1") for p in files}
    outputs |= {"drift file": (tmp_path / "next.scored.csv.drift.csv").read_text(), "GET /schema": schema,
                "POST /score": answer, "score's output": scored.stdout + scored.stderr}
    phones = data.memo.str.extract(r"(\+1 415 555 \d{4})")[0].dropna()
    secrets = {*data.owner, *[c for c in data.contact if "@" in c], *data.memo, *phones}
    for name, text in outputs.items():
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{len(leaked)} personal values leaked into {name}, e.g. {leaked[:3]}"
    features = json.loads((model / "bundle.json").read_text())["features"]
    assert not {"owner", "contact", "memo"} & set(features)


def test_ctrl_c_stops_every_client_of_report_all(tmp_path):
    _sleeping_template(tmp_path / "templates")
    load_credit_data().head(200).to_csv(tmp_path / "applications.csv", index=False)
    for customer in ("one", "two", "three"):
        (tmp_path / f"{customer}.yaml").write_text(yaml.safe_dump({**GOOD, "customer": customer}))
    proc = subprocess.Popen([*CLI, "report-all", str(tmp_path), "--out", str(tmp_path / "out"), "--workers", "2",
                             "--templates", str(tmp_path / "templates")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(kernels := _kernels_of(proc.pid)) < 2 and time.monotonic() < deadline: time.sleep(0.5)
    assert len(kernels) == 2, "two clients run at once"
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: to the command and its workers
    start = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 20, "Ctrl-C stops report-all promptly; the queued client does not start"
    assert proc.returncode == 130 and "interrupted" in err, err
    assert not (tmp_path / "out" / "three").exists() and not (tmp_path / "out" / "index.html").exists()
    assert not any(k.is_running() and k.status() != "zombie" for k in kernels)
