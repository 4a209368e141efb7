"""Benchmark: the Preprocessor on a table of categories against scikit-learn's ColumnTransformer doing the same.

Not a test. 1,000,000 rows × 10 text columns of 5 to 32 levels and 2 numeric columns (one with gaps): lepton_nb's
`Preprocessor` (one-hot with rare levels pooled, gap flags, scaling, written into one float32 array) and the
scikit-learn pipeline it replaced (SimpleImputer + StandardScaler; SimpleImputer + OneHotEncoder with the same
`min_frequency` and `max_categories`), fit and transform, in the same run; the outputs are checked equal.

    .venv/bin/python benchmarks/preprocess.py [--rows 1000000] [--repeat 3]
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine


def table(rows:int, seed:int=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cats = {f"c{i}": rng.choice([f"level{j}" for j in range(5 + 3 * i)], rows) for i in range(10)}
    numbers = {"x": rng.normal(size=rows), "y": np.where(rng.random(rows) < 0.1, np.nan, rng.gamma(2.0, size=rows))}
    return pd.DataFrame({**cats, **numbers})


def sklearn_pipeline(pre):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    num = make_pipeline(SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True), StandardScaler())
    cat = make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)", keep_empty_features=True),
                        OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=pre.max_categories,
                                      min_frequency=pre.min_frequency, sparse_output=False, dtype=np.float32))
    return ColumnTransformer([("n", num, ["x", "y"]), ("c", cat, [f"c{i}" for i in range(10)])])


def timed(fn, repeat:int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=str(Path(__file__).parent / "results" / "preprocess.json"))
    args = ap.parse_args()
    from lepton_nb.preprocess import Preprocessor
    df = table(args.rows)
    fit_ours, pre = timed(lambda: Preprocessor().fit(df), args.repeat)
    transform_ours, ours = timed(lambda: pre.transform(df), args.repeat)
    ct = sklearn_pipeline(pre)
    fit_theirs, ct = timed(lambda: ct.fit(df), args.repeat)
    transform_theirs, theirs = timed(lambda: ct.transform(df).astype(np.float32), args.repeat)
    same = ours.shape == theirs.shape and bool(np.allclose(ours, theirs, atol=1e-5))
    results = [{"model": "lepton_nb Preprocessor", "fit_seconds": fit_ours, "transform_seconds": transform_ours,
                "speed_vs_scikit_learn": (fit_theirs + transform_theirs) / (fit_ours + transform_ours)},
               {"model": "scikit-learn ColumnTransformer", "fit_seconds": fit_theirs,
                "transform_seconds": transform_theirs, "speed_vs_scikit_learn": 1.0}]
    print(f"{args.rows:,} rows, 10 categorical + 2 numeric columns, best of {args.repeat}; outputs equal: {same}")
    for r in results:
        print(f"  {r['model']:<32} fit {r['fit_seconds']:6.2f} s  transform {r['transform_seconds']:6.2f} s  "
              f"{r['speed_vs_scikit_learn']:5.2f}× scikit-learn's speed")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"args": vars(args), "machine": machine(), "same_outputs": same,
                                           "results": results}, indent=1))


if __name__ == "__main__":
    main()
