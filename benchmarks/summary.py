"""The table of every benchmark's latest figures: each JSON in benchmarks/results, its goals met or missed, and per
model its seconds, quality and ratio to the peer; written as one JSON with this machine's description.

Not a test; `make bench` runs it last. Each benchmark's own JSON says on which machine and when it ran.

    .venv/bin/python benchmarks/summary.py [--results benchmarks/results]
"""
import argparse, json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine

SECONDS = ("fit_seconds", "lepton_seconds", "seconds", "first_seconds", "second_seconds")
MEMORY = "peak_rss_mb"
QUALITY = ("auc", "test_auc", "test", "test_log_loss", "mase", "rmse", "precision_at_10", "ndcg_at_10", "accuracy",
           "inertia")
RATIO = ("speed_vs_scikit_learn", "fit_ratio_vs_scikit_learn", "fit_ratio_vs_peer", "ratio_end_to_end",
         "second_over_first", "speedup", "mase_vs_seasonal_naive", "lepton_nb_fit_speedup")


def _first(row:dict, keys) -> tuple[str, object]:
    "The first of `keys` that `row` holds a number for (NaN is none)."
    return next(((k, row[k]) for k in keys if isinstance(row.get(k), (int, float)) and row[k] == row[k]), ("", None))


def _found(result:dict) -> list[dict]:
    "A benchmark's rows, whatever its JSON's shape: one dict per model, setting or table."
    found = result.get("results")
    if "one_client" in result: return [{"model": f"{result['one_client']['client']} report, second run",
                                        **result["one_client"]}]
    if "summary" in result:  # the tabular suite: a row per table and model
        return [{"model": f"{table}: {model}", "fit_seconds": t["fit_seconds"][model], "test": score}
                for table, t in result["summary"]["tables"].items() for model, score in t["test"].items()]
    if isinstance(found, dict) and "kmeans" in found:
        k = found["kmeans"]
        return [{"model": "lepton_nb KMeans", "fit_seconds": k["lepton_nb_s"], "inertia": k["lepton_nb_inertia"],
                 "speedup": k["speedup"]},
                {"model": "scikit-learn KMeans", "fit_seconds": k["sklearn_s"], "inertia": k["sklearn_inertia"]}]
    if isinstance(found, dict) and "lepton_nb" in found and "samples_per_second" in found["lepton_nb"]:  # the MLP
        ours = found["lepton_nb"]["fit_samples_per_second"]
        return [{"model": f"MLP batch {result['args']['batch']}: {k}", "fit_seconds": v["fit_seconds"], "auc": v["auc"],
                 **({"lepton_nb_fit_speedup": ours / v["fit_samples_per_second"]} if k != "lepton_nb" else {})}
                for k, v in found.items()]
    if isinstance(found, dict):  # forecasting: per client, its forecasters
        return [{"model": f"{client}: {f['forecaster']}", **f} for client, r in found.items()
                for f in r.get("forecasters", [])]
    return found or []


def rows_of(name:str, result:dict) -> list[dict]:
    "One row per model (or setting) of a benchmark's JSON, with its seconds, quality and ratio where it has them."
    found = _found(result)
    rows = []
    for r in found or []:
        label = r.get("model") or r.get("mode") or ", ".join(f"{k}={r[k]}" for k in ("min_support", "min_confidence")
                                                             if k in r)
        (sk, s), (qk, q), (rk, x) = _first(r, SECONDS), _first(r, QUALITY), _first(r, RATIO)
        rows.append({"benchmark": name, "model": str(label), "seconds": s, "seconds_of": sk, "quality": q,
                     "quality_of": qk, "ratio": x, "ratio_of": rk})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    folder = Path(args.results)
    table, goals = [], []
    for path in sorted(folder.glob("*.json")):
        if path.name == "summary.json": continue
        result = json.loads(path.read_text())
        when = (result.get("machine") or {}).get("date", "")
        table += rows_of(path.stem, result)
        for goal, met in (result.get("goals") or ({"goal_met": result["goal_met"]} if "goal_met" in result else {})).items():
            goals.append({"benchmark": path.stem, "goal": goal, "met": bool(met), "measured": when})
    fmt = lambda v, spec: "" if v is None else format(v, spec)
    print(f"{'benchmark':<16} {'model':<50} {'seconds':>8}  {'quality':<24} {'ratio':<30}")
    for r in table:
        quality = f"{r['quality_of']} {r['quality']:.4g}" if r["quality"] is not None else ""
        ratio = f"{r['ratio_of']} {r['ratio']:.2f}" if r["ratio"] is not None else ""
        print(f"{r['benchmark']:<16} {r['model'][:50]:<50} {fmt(r['seconds'], '8.2f'):>8}  {quality:<24} {ratio:<30}")
    print()
    for g in goals: print(f"{'met   ' if g['met'] else 'MISSED'} {g['benchmark']:<14} {g['goal']:<40} {g['measured']}")
    (folder / "summary.json").write_text(json.dumps({"machine": machine(), "table": table, "goals": goals}, indent=1))


if __name__ == "__main__":
    main()
