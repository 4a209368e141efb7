"""Ablation of lepton_nb's TabM ensemble: what each part buys, on seven tables of the public suite.

Not a test. Each variant is `TabMClassifier`/`TabMRegressor` with one setting changed from the defaults (k=8
members, width 128, depth 3, dropout 0.1, 32-bin piecewise-linear embeddings), fitted on the solutions' own
60/20/20 split (seed 0 unless --seeds) with early stopping on the validation rows; lepton_nb's MLP and
scikit-learn's HistGradientBoosting (as in benchmarks/tabular.py) run beside them in the same process. The script
prints test AUC (binary) or R² (regression) per table, the mean per variant and its difference from the defaults,
and the mean fit seconds.

    .venv/bin/python benchmarks/tabm_ablation.py                 # about 5 minutes on 2 CPU cores
    .venv/bin/python benchmarks/tabm_ablation.py --seeds 0 1     # means over two splits and model seeds
"""
import argparse, os, sys, time, warnings
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as lepton_nb sets it, before scikit-learn loads OpenMP
from pathlib import Path
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, str(Path(__file__).parent))
from tabular import SUITE, SklearnHGB, score  # the suite's tables and peers, loaded and scored the same way

warnings.simplefilter("ignore", ConvergenceWarning)
TABLES = ["cells", "ad_data", "Males", "credit_data", "attrition", "concrete", "Computers"]
VARIANTS = {  # name -> TabM parameters changed from the defaults
    "defaults (k=8, width 128)": {},
    "k=1 (no ensemble)": {"k": 1},
    "no numeric embeddings": {"n_bins": 0},
    "k=16, width 256 (the paper's size)": {"k": 16, "width": 256},
}


def fit_scores(kind, make, split):
    "(test score, fit seconds) of the model `make()` on one split."
    X_tr, X_va, X_te, y_tr, y_va, y_te = split
    start = time.perf_counter()
    model = make().fit(X_tr, y_tr, validation_data=(X_va, y_va))
    return score(kind, model, X_te, y_te), time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--only", type=lambda s: s.split(","), default=TABLES)
    args = ap.parse_args()
    from lepton_nb.preprocess import train_valid_test_split
    from lepton_nb.tabm import TabMClassifier, TabMRegressor
    from lepton_nb.tabular import MLPClassifier, MLPRegressor
    rows = []
    for name in args.only:
        kind, load = SUITE[name]
        X, y, _ = load()
        for seed in args.seeds:
            split = train_valid_test_split(X, y, valid_size=0.2, test_size=0.2,
                                           stratify=None if kind == "regression" else y, random_state=seed)
            tabm, mlp = (TabMRegressor, MLPRegressor) if kind == "regression" else (TabMClassifier, MLPClassifier)
            models = {**{v: (lambda p=p: tabm(random_state=seed, **p)) for v, p in VARIANTS.items()},
                      "lepton_nb MLP": lambda: mlp(random_state=seed), "sklearn HGB": lambda: SklearnHGB(kind, seed)}
            for model_name, make in models.items():
                test, seconds = fit_scores(kind, make, split)
                rows.append(dict(table=name, seed=seed, model=model_name, score=test, seconds=seconds))
                print(f"  [{name} seed {seed}] {model_name:>36}: {test:.4f} in {seconds:6.1f} s", file=sys.stderr, flush=True)
    t = pd.DataFrame(rows).groupby(["model", "table"], sort=False)[["score", "seconds"]].mean().reset_index()
    scores = t.pivot(index="table", columns="model", values="score").loc[args.only, list(dict.fromkeys(t.model))]
    print("test AUC (binary) or R² (regression), mean over seeds", args.seeds)
    print(scores.round(4).to_string())
    summary = pd.DataFrame({"mean score": scores.mean(), "vs defaults": scores.mean() - scores.mean().iloc[0],
                            "mean fit seconds": t.groupby("model", sort=False).seconds.mean()})
    print(summary.round(4).to_string())


if __name__ == "__main__":
    main()
