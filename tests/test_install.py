"""The install path: what the library imports is declared, the wheel carries every module,
and environment.yml agrees with pyproject.toml."""
import ast
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _imported_modules(path):
    "Top-level names of every module imported anywhere in `path` (functions included)."
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: names.add(node.module.split(".")[0])
    return names


def _nodeps():
    lines = (ROOT / "requirements-nodeps.txt").read_text().splitlines()
    return {canonicalize_name(Requirement(l).name) for l in lines if l.strip() and not l.startswith("#")}


def test_every_imported_module_is_a_declared_dependency():
    # the runtime extras count: `cluster` (Dask's distributed) is imported only by report-all --scheduler, which says
    # to install it when it is missing
    runtime = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["cluster"]
    declared = {canonicalize_name(Requirement(r).name) for r in runtime} | _nodeps()
    dists = packages_distributions()
    missing = {}
    for py in (ROOT / "lepton_nb").glob("*.py"):
        for mod in _imported_modules(py) - set(sys.stdlib_module_names) - {"lepton_nb", "__future__"}:
            owners = {canonicalize_name(d) for d in dists.get(mod, [])}
            if not owners & declared: missing.setdefault(mod, []).append(py.name)
    assert not missing, f"imported but not declared in pyproject.toml dependencies: {missing}"


def test_wheel_holds_every_module_and_the_cli(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("lepton_nb-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {f"lepton_nb/{p.name}" for p in (ROOT / "lepton_nb").glob("*.py")}
    assert modules <= names, f"missing from the wheel: {modules - names}"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "lepton-nb = lepton_nb.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge names that differ from PyPI's


def _spec(req):
    r = Requirement(req)
    return canonicalize_name(CONDA_NAMES.get(r.name, r.name)), str(r.specifier)


def test_environment_yml_mirrors_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = [], []
    for dep in env["dependencies"]:
        if isinstance(dep, dict): pip += dep["pip"]
        else: conda.append(re.sub(r"^([A-Za-z0-9_.-]+)=([^=<>])", r"\1==\2", dep))
    in_env = dict(_spec(r) for r in conda + pip if Requirement(r).name not in ("python", "pip"))
    extras = PYPROJECT["project"]["optional-dependencies"]
    wanted = dict(_spec(r) for r in PYPROJECT["project"]["dependencies"] + extras["dev"] + extras["lab"])
    assert in_env == wanted
    py = next(Requirement(d) for d in conda if d.startswith("python"))
    assert str(py.specifier) == PYPROJECT["project"]["requires-python"]
