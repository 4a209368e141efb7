"""Benchmark: training on a table larger than memory would like — 10 million rows from Parquet — whole or streamed.

Not a test. A 10,000,000-row training table (16 numbers, 2 categories, a binary target, rows in random order) and a
200,000-row test table are written once as Parquet under benchmarks/results/ (git-ignored). Then, each in a child
process whose peak resident memory (ru_maxrss) is measured, the same network (64-32-1, Adam, batch 1024, 2 epochs):

- whole: the table read into pandas, the Preprocessor fitted on all of it, `train.fit` on the arrays;
- streamed: `parquet_chunks` (262,144 rows at a time), the Preprocessor fitted on the first chunk, `train.fit` on
  `model_chunks` — one chunk in memory at a time.

    .venv/bin/python benchmarks/stream.py [--rows 10000000]
"""
import argparse, json, resource, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
RESULTS = Path(__file__).parent / "results"
FEATURES = [f"x{i}" for i in range(16)]


def generate(rows:int, path:Path, seed:int) -> None:
    "A table with a known logistic signal, in random row order, written by DuckDB (bounded memory)."
    import duckdb
    numbers = ", ".join(f"random() * 2 - 1 as x{i}" for i in range(16))
    signal = " + ".join(f"{(-1) ** i * (i % 5 + 1) / 5:.2f} * x{i}" for i in range(16))
    duckdb.execute(f"select setseed({seed / 10})")
    duckdb.execute(f"""copy (select *, case when random() < 1 / (1 + exp(-({signal} + case region when 'north' then 0.5
                                                                               else -0.5 end))) then 1 else 0 end as y
                            from (select {numbers}, ['north', 'south', 'east', 'west'][1 + (random() * 4)::int % 4] as region,
                                         ['a', 'b', 'c'][1 + (random() * 3)::int % 3] as plan
                                  from range({rows})))
                      to '{path}' (format parquet)""")


def child(mode:str, train:Path, test:Path, epochs:int) -> dict:
    "One way of training, in this process: seconds, held-out AUC and peak memory."
    import numpy as np, pandas as pd
    from flax import nnx
    from sklearn.metrics import roc_auc_score
    from lepton_nb.data import parquet_chunks
    from lepton_nb.preprocess import Preprocessor, model_chunks
    from lepton_nb.train import MLP, fit, predict
    start = time.perf_counter()
    if mode == "whole":
        df = pd.read_parquet(train)
        pre = Preprocessor().fit(df.drop(columns=["y"]))
        X, y = pre.transform(df.drop(columns=["y"])), df.y.to_numpy(np.float32)
        data = (X, y)
    else:
        frames = parquet_chunks(train, rows=262_144)
        pre = Preprocessor().fit(next(frames()).drop(columns=["y"]))
        data = (model_chunks(frames, pre, "y", lambda y: y.astype(np.float32)), None)
    model = MLP(len(pre.feature_names_out_), (64, 32), 1, rngs=nnx.Rngs(0))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(model, *data, epochs=epochs, batch_size=1024, verbose=False)
    seconds = time.perf_counter() - start
    held_out = pd.read_parquet(test)
    auc = roc_auc_score(held_out.y, predict(model, pre.transform(held_out.drop(columns=["y"])))[:, 0])
    return {"mode": mode, "seconds": seconds, "test_auc": float(auc),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    train, test = RESULTS / f"stream_train_{args.rows}.parquet", RESULTS / "stream_test.parquet"
    if args.child:
        print(json.dumps(child(args.child, train, test, args.epochs)))
        return
    RESULTS.mkdir(exist_ok=True)
    if not train.exists(): generate(args.rows, train, 1)
    if not test.exists(): generate(200_000, test, 2)
    print(f"{args.rows:,} training rows ({train.stat().st_size / 1e6:,.0f} MB of Parquet), {args.epochs} epochs, "
          "batch 1024")
    results = []
    for mode in ("streamed", "whole"):
        run = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--epochs", str(args.epochs),
                              "--child", mode], capture_output=True, text=True)
        if run.returncode != 0: sys.exit(run.stderr[-3000:])
        r = json.loads(run.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"  {mode:<9} {r['seconds']:7.1f} s   test AUC {r['test_auc']:.4f}   peak memory {r['peak_rss_mb']:,.0f} MB")
    from machine import machine
    (RESULTS / "stream.json").write_text(json.dumps({"args": vars(args), "machine": machine(), "results": results},
                                                    indent=1))


if __name__ == "__main__":
    main()
