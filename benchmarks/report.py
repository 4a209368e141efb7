"""Benchmark: what a user waits for in a report — one client's report, first and second run, stage by stage, and
`report-all` over several clients with 1 and 2 workers.

Not a test. The first run starts with an empty JAX compilation cache (a fresh LEPTON_NB_JAX_CACHE), as on a new
machine; the second run of the same client finds the programs the first compiled (goal: ≤ 60% of the first run's
wall time). Stages come from each report's manifest (`stages_seconds`); "kernel start and imports" is the notebook's
wall time less the stages the template timed itself.

    .venv/bin/python benchmarks/report.py [--client demo-bank] [--clients demo-bank demo-hospital demo-telco]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "lepton-nb")


def _run(*args, env) -> float:
    "Wall seconds of one lepton-nb command; exits with its output if it fails."
    start = time.perf_counter()
    run = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT)
    if run.returncode != 0: sys.exit(f"lepton-nb {' '.join(map(str, args))} failed:\n{run.stdout}\n{run.stderr}")
    return time.perf_counter() - start


def stages(folder:Path) -> dict:
    "A report's stages in seconds, from its manifest, with the kernel's start and imports worked out."
    s = json.loads((folder / "manifest.json").read_text())["stages_seconds"]
    inside = {k.removeprefix("notebook."): v for k, v in s.items() if k.startswith("notebook.")}
    return {"config and data": s["check_config_and_data"],
            "kernel start and imports": s["execute_notebook"] - sum(inside.values()), **inside, "HTML": s["render"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", default="demo-bank", help="the client run twice (default demo-bank: the default models)")
    ap.add_argument("--clients", nargs="+", default=["demo-bank", "demo-hospital", "demo-telco"],
                    help="the clients of the report-all runs")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "report.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lepton-bench-report-"))
    env = {**os.environ, "LEPTON_NB_JAX_CACHE": str(work / "jax-cache"), "MPLBACKEND": "Agg"}
    customers = work / "customers"
    customers.mkdir()
    for name in {args.client, *args.clients}: shutil.copy(ROOT / "reports" / "customers" / f"{name}.yaml", customers)
    _run("demo-data", customers / "demo-bank-data", env=env)

    first = _run("report", customers / f"{args.client}.yaml", "--out", work / "first", env=env)
    first_stages = stages(work / "first" / args.client)
    second = _run("report", customers / f"{args.client}.yaml", "--out", work / "second", env=env)
    second_stages = stages(work / "second" / args.client)
    print(f"\n{args.client}: first run {first:.1f} s (empty compilation cache), second {second:.1f} s "
          f"({second / first:.0%} of the first; goal ≤ 60%)\n")
    print(f"{'stage':<28}{'first s':>9}{'second s':>10}")
    for k in first_stages: print(f"{k:<28}{first_stages[k]:>9.2f}{second_stages.get(k, float('nan')):>10.2f}")

    several = work / "several"
    several.mkdir()
    for name in args.clients: shutil.copy(customers / f"{name}.yaml", several)
    shutil.copytree(customers / "demo-bank-data", several / "demo-bank-data")
    walls = {w: _run("report-all", several, "--out", work / f"all-{w}", "--workers", w, env=env) for w in (1, 2)}
    print(f"\nreport-all over {len(args.clients)} clients (warm cache): 1 worker {walls[1]:.1f} s, "
          f"2 workers {walls[2]:.1f} s ({walls[1] / walls[2]:.2f}× faster)")

    result = {"args": vars(args), "machine": machine(),
              "goals": {"second_run_at_most_60pct": second / first <= 0.6},
              "one_client": {"client": args.client, "first_seconds": first, "second_seconds": second,
                             "second_over_first": second / first, "first_stages": first_stages,
                             "second_stages": second_stages},
              "report_all": {"clients": args.clients, "seconds_by_workers": walls}}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
