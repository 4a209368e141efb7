"""Benchmark: lepton_nb's KMeans and DBSCAN against scikit-learn's, on the same data in the same run.

Not a test. Two tasks, each fitted by both libraries in one process:

- k-means: 1,000,000 x 16 float32 points drawn around 16 centres (uniform in [-3, 3] per feature, unit-variance
  Gaussian noise, numpy seed 0), k = 16. Both start from the same 16 rows (drawn with the same seed), passed as
  `init=array, n_init=1`, with `max_iter=20, tol=0`: both run exactly 20 Lloyd iterations (the table shows each
  one's `n_iter_`; scikit-learn would stop early only if no label changed, which on this table does not happen).
- DBSCAN: 20,000 rows in 4 features, 8 Gaussian blobs plus 5% uniform noise (seed 0), standardised;
  eps = 0.25, min_samples = 10 (scikit-learn searches a KD tree here). Labels must be equal.

Timing: lepton_nb's first fit includes compiling for the table's shapes and is reported apart ("first fit"); then
`--repeats` warm fits of each library, alternating lepton_nb and scikit-learn so that both see the same load on a
shared machine; the table gives the median and the best of the warm fits, and the ratio of scikit-learn's median
to lepton_nb's (above 1: lepton_nb is faster). Inertia is each library's `inertia_` (lepton_nb sums float32
coordinate differences in float64; scikit-learn accumulates in float32); the relative difference is printed.

    .venv/bin/python benchmarks/cluster.py                 # both tasks, 5 warm fits each
    .venv/bin/python benchmarks/cluster.py --only kmeans --repeats 9

Results go to benchmarks/results/cluster.json (git-ignored; `--json PATH` elsewhere) with the machine's description.
OMP_WAIT_POLICY is set to PASSIVE before scikit-learn loads OpenMP, as lepton_nb itself does (and as the other
benchmarks do); no other thread or XLA setting is changed.
"""
import argparse, json, os, platform, statistics, time
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as lepton_nb sets it, before scikit-learn loads OpenMP
from datetime import datetime, timezone
from pathlib import Path
import numpy as np

TASKS = ("kmeans", "dbscan")


def kmeans_table(n:int=1_000_000, d:int=16, k:int=16, seed:int=0) -> tuple:
    "(X float32 (n, d), the k starting rows): points around k centres uniform in [-3, 3]^d, unit Gaussian noise."
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-3.0, 3.0, (k, d)).astype(np.float32)
    X = centres[rng.integers(0, k, n)] + rng.standard_normal((n, d), dtype=np.float32)
    return X, X[rng.choice(n, k, replace=False)].copy()


def dbscan_table(n:int=20_000, d:int=4, blobs:int=8, noise:float=0.05, seed:int=0) -> np.ndarray:
    "Standardised float64 rows: `blobs` Gaussian blobs of different widths plus a share `noise` of uniform rows."
    rng = np.random.default_rng(seed)
    clustered = int(n * (1 - noise))
    centres = rng.uniform(-10.0, 10.0, (blobs, d))
    widths = rng.uniform(0.5, 1.5, blobs)
    which = rng.integers(0, blobs, clustered)
    X = np.r_[centres[which] + rng.standard_normal((clustered, d)) * widths[which, None],
              rng.uniform(-12.0, 12.0, (n - clustered, d))]
    return (X - X.mean(axis=0)) / X.std(axis=0)


def timed(fit) -> tuple:
    "(seconds, fitted model) of one call."
    start = time.perf_counter()
    model = fit()
    return time.perf_counter() - start, model


def alternate(ours, theirs, repeats:int) -> tuple:
    "Warm fits of both, alternating: (our seconds, their seconds, our last model, their last model)."
    our_times, their_times = [], []
    for _ in range(repeats):
        seconds, our_model = timed(ours)
        our_times.append(seconds)
        seconds, their_model = timed(theirs)
        their_times.append(seconds)
    return our_times, their_times, our_model, their_model


def summary(first:float, our_times:list, their_times:list) -> dict:
    "Seconds: our first fit, medians and bests of the warm fits, and the ratio of the medians."
    ours, theirs = statistics.median(our_times), statistics.median(their_times)
    return dict(first_fit_s=first, lepton_nb_s=ours, lepton_nb_best_s=min(our_times), sklearn_s=theirs,
                sklearn_best_s=min(their_times), speedup=theirs / ours, lepton_nb_all_s=our_times,
                sklearn_all_s=their_times)


def run_kmeans(repeats:int) -> dict:
    "lepton_nb vs scikit-learn k-means from the same starting centres, 20 iterations."
    from sklearn.cluster import KMeans as SkKMeans
    from lepton_nb.cluster import KMeans
    X, start = kmeans_table()
    params = dict(n_clusters=len(start), init=start, n_init=1, max_iter=20, tol=0.0)
    first, _ = timed(lambda: KMeans(**params).fit(X))
    our_times, their_times, ours, theirs = alternate(lambda: KMeans(**params).fit(X),
                                                     lambda: SkKMeans(**params).fit(X), repeats)
    return dict(task=f"k-means, {X.shape[0]:,} x {X.shape[1]} float32, k = {len(start)}, 20 iterations",
                **summary(first, our_times, their_times), lepton_nb_iterations=ours.n_iter_,
                sklearn_iterations=int(theirs.n_iter_), lepton_nb_inertia=ours.inertia_,
                sklearn_inertia=float(theirs.inertia_),
                inertia_difference=ours.inertia_ / float(theirs.inertia_) - 1,
                same_labels=float(np.mean(ours.labels_ == theirs.labels_)))


def run_dbscan(repeats:int) -> dict:
    "lepton_nb vs scikit-learn DBSCAN on the same rows."
    from sklearn.cluster import DBSCAN as SkDBSCAN
    from lepton_nb.cluster import DBSCAN
    X = dbscan_table()
    params = dict(eps=0.25, min_samples=10)
    first, _ = timed(lambda: DBSCAN(**params).fit(X))
    our_times, their_times, ours, theirs = alternate(lambda: DBSCAN(**params).fit(X),
                                                     lambda: SkDBSCAN(**params).fit(X), repeats)
    return dict(task=f"DBSCAN, {X.shape[0]:,} x {X.shape[1]}, eps {params['eps']}, min_samples {params['min_samples']}",
                **summary(first, our_times, their_times), clusters=len(set(ours.labels_) - {-1}),
                noise_rows=int(np.sum(ours.labels_ == -1)),
                same_labels=bool(np.array_equal(ours.labels_, theirs.labels_)))


def machine() -> dict:
    "What ran the benchmark."
    import jax, sklearn
    import lepton_nb
    return dict(platform=platform.platform(), processor=platform.processor() or platform.machine(),
                cpu_count=os.cpu_count(), python=platform.python_version(), jax=jax.__version__,
                jax_backend=jax.default_backend(), sklearn=sklearn.__version__, numpy=np.__version__,
                lepton_nb=lepton_nb.__version__, omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
                omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"), xla_flags=os.environ.get("XLA_FLAGS"),
                date=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def table(results:dict) -> str:
    "A markdown table of the results, one row per task."
    lines = ["| task | lepton_nb first fit (s) | lepton_nb warm (s) | scikit-learn (s) | speed-up | result |",
             "|---|---:|---:|---:|---:|---|"]
    for r in results.values():
        result = (f"inertia {r['lepton_nb_inertia']:,.1f} vs {r['sklearn_inertia']:,.1f} "
                  f"({r['inertia_difference']:+.2e}); iterations {r['lepton_nb_iterations']} vs "
                  f"{r['sklearn_iterations']}" if "lepton_nb_inertia" in r else
                  f"labels equal: {r['same_labels']}; {r['clusters']} clusters, {r['noise_rows']:,} noise rows")
        lines.append(f"| {r['task']} | {r['first_fit_s']:.3f} | {r['lepton_nb_s']:.3f} "
                     f"(best {r['lepton_nb_best_s']:.3f}) | {r['sklearn_s']:.3f} (best {r['sklearn_best_s']:.3f}) "
                     f"| {r['speedup']:.2f}x | {result} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=TASKS, default=None, help="one task only")
    ap.add_argument("--repeats", type=int, default=5, help="warm fits of each library per task (default 5)")
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "cluster.json")
    args = ap.parse_args()
    info = machine()
    print(f"{info['cpu_count']} CPUs ({info['processor']}), JAX {info['jax']} ({info['jax_backend']}), "
          f"scikit-learn {info['sklearn']}, OMP_WAIT_POLICY={info['omp_wait_policy']}", flush=True)
    runners = dict(kmeans=run_kmeans, dbscan=run_dbscan)
    results = {name: runners[name](args.repeats) for name in TASKS if args.only in (None, name)}
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    arguments = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    args.json.write_text(json.dumps(dict(args=arguments, machine=info, results=results), indent=2))
    print(f"results: {args.json}")


if __name__ == "__main__":
    main()
