"""Benchmark: how long one small scoring request takes, per bundle, with and without reasons.

Not a test. For each bundle folder, `lepton_nb.bundle.score` (what `serve` runs per request) scores `--rows` rows
of the CSV at a time, `--requests` times after one warm-up request (compilation), with the top 3 reasons and
without them; the script prints the mean milliseconds per request. Compare bundles in the same run.

    .venv/bin/python benchmarks/latency.py next_month.csv reports/_build/demo-bank/model reports/_build/demo-telco/model
"""
import argparse, os, time
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as lepton_nb sets it
import pandas as pd


def per_request(bundle, frame, rows:int, requests:int, reasons:int) -> float:
    "Mean seconds of `score` on `rows` rows at a time, over `requests` requests after a warm-up."
    from lepton_nb.bundle import score
    score(bundle, frame.head(rows), reasons=reasons)
    start = time.perf_counter()
    for i in range(requests): score(bundle, frame.iloc[i * rows:(i + 1) * rows], reasons=reasons)
    return (time.perf_counter() - start) / requests


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", help="rows to score (the bundles' input columns)")
    ap.add_argument("bundles", nargs="+", help="bundle folders (a report's model/)")
    ap.add_argument("--rows", type=int, default=2, help="rows per request (default 2)")
    ap.add_argument("--requests", type=int, default=10, help="timed requests (default 10)")
    args = ap.parse_args()
    from lepton_nb.bundle import load_bundle
    frame = pd.read_csv(args.csv)
    if len(frame) < args.rows * args.requests: frame = pd.concat([frame] * (args.rows * args.requests // len(frame) + 1))
    for folder in args.bundles:
        bundle = load_bundle(folder)
        with_reasons = per_request(bundle, frame, args.rows, args.requests, 3)
        without = per_request(bundle, frame, args.rows, args.requests, 0)
        print(f"{folder}: {bundle.meta['estimator']}, {args.rows}-row request: {with_reasons * 1000:.0f} ms with 3 reasons, "
              f"{without * 1000:.0f} ms without")


if __name__ == "__main__":
    main()
