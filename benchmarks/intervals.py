"""Benchmark: a report's bootstrap intervals on a large held-out split, lepton_nb against scikit-learn per resample.

Not a test. Every report gives each held-out metric a 95% interval from 1,000 bootstrap resamples, for the model and
for the baseline. A table over a client's memory budget is sampled (`data.memory_budget`), but the held-out split can
still hold hundreds of thousands of rows. The same resamples are scored two ways, in one run:

- lepton_nb: `metric_intervals` (weighted metrics on blocks of resample counts, `nbs/20_uncertainty.ipynb`);
- scikit-learn: `roc_auc_score`, `average_precision_score`, `log_loss`, `accuracy_score` and `brier_score_loss` on each
  resample's rows (what the weighted metrics replace), timed on `--sklearn-resamples` resamples and scaled to 1,000.

The script checks that both give the same value on every resample it scored both ways, and prints the seconds.

    .venv/bin/python benchmarks/intervals.py [--rows 100000] [--sklearn-resamples 50]
"""
import argparse, json, time
from pathlib import Path
import numpy as np
from machine import machine


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--sklearn-resamples", type=int, default=50)
    args = ap.parse_args()
    from sklearn import metrics as skm
    from lepton_nb.uncertainty import BINARY, metric_intervals, resample_counts, _values
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, args.rows)
    p = np.clip(y * 0.3 + rng.random(args.rows) * 0.7, 1e-6, 1 - 1e-6)
    base = np.full(args.rows, y.mean())
    start = time.perf_counter()
    metric_intervals(BINARY, y, p, base, "auc", strata=y)
    ours = time.perf_counter() - start
    W = resample_counts(args.rows, args.sklearn_resamples, y, 0)
    peers = {"auc": skm.roc_auc_score, "average_precision": skm.average_precision_score,
             "log_loss": lambda t, s: skm.log_loss(t, s, labels=[0, 1]),
             "accuracy": lambda t, s: skm.accuracy_score(t, s >= 0.5), "brier": skm.brier_score_loss}
    start = time.perf_counter()
    theirs = {name: _values(f, y, p, W) for name, f in peers.items()}
    sk = (time.perf_counter() - start) * 2 * 1000 / args.sklearn_resamples  # model and baseline, 1,000 resamples
    worst = max(float(np.max(np.abs(BINARY[name].batch(y, p, W) - theirs[name]))) for name in peers)
    print(f"{args.rows:,} held-out rows, 1,000 resamples, 5 metrics, model and baseline")
    print(f"  lepton_nb metric_intervals: {ours:6.1f} s")
    print(f"  scikit-learn per resample:  {sk:6.1f} s (timed on {args.sklearn_resamples} resamples)")
    print(f"  ratio: {sk / ours:.1f}x; largest difference on the same resamples: {worst:.1e}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    result = {"args": vars(args), "machine": machine(), "lepton_seconds": ours, "sklearn_seconds": sk,
              "speedup": sk / ours, "max_difference": worst}
    (out / "intervals.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
