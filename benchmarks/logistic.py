"""Benchmark: lepton_nb's LogisticRegression against scikit-learn's on 1,000,000 × 50, the whole `fit`, same run.

Not a test. Every report fits a logistic regression, so its whole `fit` — input checks, the Preprocessor, the
optimisation — is paid by every client. Data: 1,000,000 rows × 50 standard-normal float32 columns in a DataFrame
(no gaps), a label from a logistic model of them (seed 0), and 200,000 more rows to score. Peers, alternating:

- scikit-learn: `make_pipeline(StandardScaler(), LogisticRegression())` (lbfgs, C=1) on the same frame;
- lepton_nb: `LogisticRegression()` (its Preprocessor: impute, scale, gap flags; L-BFGS in JAX).

Each model is fitted once untimed (lepton_nb compiles; its seconds are reported as the cold fit), then `--repeat`
times; figures are medians, with lepton_nb's Preprocessor timed apart (`fit_transform` on the same frame), and the
held-out log loss of each. Goal (issue 15): lepton_nb's whole fit ≥ 1× scikit-learn's speed warm, ≥ 0.5× cold; the
same log loss within 1e-6.

    .venv/bin/python benchmarks/logistic.py [--rows 1000000] [--repeat 3]

Results go to benchmarks/results/logistic.json (git-ignored; `--json PATH` elsewhere) with the machine's description.
"""
import argparse, json, statistics, time
from pathlib import Path
import numpy as np
import pandas as pd
from machine import machine


def data(rows:int, cols:int=50, seed:int=0):
    "(X, y, X_test, y_test): standard-normal float32 frames and labels from a logistic model of them."
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.3, cols)
    def draw(n):
        X = rng.standard_normal((n, cols), dtype=np.float32)
        y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(int)
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(cols)]), y
    X, y = draw(rows)
    return (X, y, *draw(rows // 5))


def makers() -> dict:
    "Each compared model's maker, by name."
    from sklearn.linear_model import LogisticRegression as SkLogistic
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from lepton_nb.tabular import LogisticRegression
    return {"scikit-learn StandardScaler + LogisticRegression": lambda: make_pipeline(StandardScaler(), SkLogistic()),
            "lepton_nb LogisticRegression": LogisticRegression}


def timed(fn) -> tuple[object, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "logistic.json")
    args = ap.parse_args()
    from sklearn.metrics import log_loss
    from lepton_nb.preprocess import Preprocessor
    X, y, Xt, yt = data(args.rows)
    cold = {name: timed(lambda: make().fit(X, y))[1] for name, make in makers().items()}
    runs = {name: [] for name in makers()}
    prep = []
    for _ in range(args.repeat):
        for name, make in makers().items():
            runs[name].append(timed(lambda: make().fit(X, y))[1])
        prep.append(timed(lambda: Preprocessor().fit_transform(X))[1])
    rows = []
    for name, make in makers().items():
        model = make().fit(X, y)
        p = model.predict_proba(Xt)[:, 1]
        rows.append({"model": name, "fit_seconds": statistics.median(runs[name]), "cold_fit_seconds": cold[name],
                     "test_log_loss": float(log_loss(yt, p))})
    table = pd.DataFrame(rows).set_index("model")
    sk = table.loc["scikit-learn StandardScaler + LogisticRegression"]
    table["speed_vs_scikit_learn"] = sk.fit_seconds / table.fit_seconds
    print(table.round(6).to_string())
    ours = table.loc["lepton_nb LogisticRegression"]
    print(f"lepton_nb Preprocessor fit_transform: {statistics.median(prep):.2f} s of the {ours.fit_seconds:.2f} s fit")
    goals = {"warm_at_least_1x": bool(ours.fit_seconds <= sk.fit_seconds),
             "cold_at_least_0.5x": bool(ours.cold_fit_seconds <= 2 * sk.fit_seconds),
             "same_log_loss_1e-6": bool(abs(ours.test_log_loss - sk.test_log_loss) <= 1e-6)}
    print("goals:", goals)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(args=vars(args) | {"json": str(args.json)}, machine=machine(), goals=goals,
                                         preprocessor_seconds=statistics.median(prep),
                                         results=table.reset_index().to_dict(orient="records")), indent=2, default=str))
    print(f"results: {args.json}")


if __name__ == "__main__": main()
