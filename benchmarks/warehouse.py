"""Benchmark: a 10-million-row transaction log (over 1 GB of CSV) through a client's warehouse.

Not a test. The log is aggregated per customer into features inside DuckDB, joined to the customer
table, and the result trains the churn models, all through the same code path as a client report
(`load_config` -> `load_client_data` -> `run_binary_case`). The pipeline runs in a child process,
whose peak resident memory (ru_maxrss) and per-stage seconds are printed. Goal: peak under 2 GB.

    .venv/bin/python benchmarks/warehouse.py                 # 10,000,000 rows, 200,000 customers
    .venv/bin/python benchmarks/warehouse.py --rows 1000000  # a quicker look

The generated files go to benchmarks/results/ (git-ignored) and are reused by later runs.
"""
import argparse, json, resource, subprocess, sys, time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
CONFIG = """customer: bench-retail
name: Benchmark Retail
solution: churn_risk
data:
  sources:
    transactions: {{path: {tx}}}
    customers: {{path: {customers}}}
  keys: {{customers: [customer_id]}}
  query: >
    select c.customer_id, c.segment, c.churned, t.*
    from customers c
    join (select customer_id as cid, count(*) as n_tx, sum(amount) as total, avg(amount) as mean_amount,
                 stddev(amount) as sd_amount, max(ts) - min(ts) as active_span,
                 avg(case when channel = 'online' then 1 else 0 end) as online_share,
                 count(distinct category) as categories
          from transactions group by customer_id) t on t.cid = c.customer_id
target: churned
positive: "yes"
params: {{models: [logistic, mlp], max_epochs: 30, permutation_repeats: 1}}
"""


def generate(rows, customers):
    "Write the transaction log and the customer table with DuckDB (fast, bounded memory)."
    import duckdb
    RESULTS.mkdir(exist_ok=True)
    tx, cust = RESULTS / f"transactions_{rows}.csv", RESULTS / f"customers_{customers}.csv"
    con = duckdb.connect()
    con.execute("set memory_limit = '1GB'")
    if not tx.exists():
        start = time.perf_counter()
        # each customer has a latent spend level (customer_id % 97) that also drives churn
        con.execute(f"""copy (select hash(i) % {customers} as customer_id,
                               timestamp '2024-01-01' + to_seconds(cast(hash(i * 7) % 31536000 as bigint)) as ts,
                               round((5 + (hash(i) % {customers}) % 97) * (0.5 + (hash(i * 11) % 1000) / 1000.0), 2) as amount,
                               ['grocery', 'fuel', 'travel', 'online', 'other'][1 + cast(hash(i * 13) % 5 as int)] as category,
                               ['card', 'online', 'transfer'][1 + cast(hash(i * 17) % 3 as int)] as channel,
                               'merchant-' || cast(hash(i * 19) % 50000 as varchar) as merchant,
                               md5(cast(i as varchar)) as reference,
                               'card payment, terminal ' || cast(hash(i * 23) % 9000 + 1000 as varchar) as note
                        from range({rows}) t(i)) to '{tx}' (header, delimiter ',')""")
        print(f"generated {tx.name} in {time.perf_counter() - start:.0f} s")
    if not cust.exists():
        con.execute(f"""copy (select i as customer_id, ['a', 'b', 'c'][1 + cast(i % 3 as int)] as segment,
                               case when (i % 97) + (hash(i * 3) % 40) < 45 then 'yes' else 'no' end as churned
                        from range({customers}) t(i)) to '{cust}' (header, delimiter ',')""")
    return tx, cust


def child(config):
    "The pipeline, timed stage by stage; prints one JSON line."
    t0 = time.perf_counter()
    from lepton_nb.binary import run_binary_case
    from lepton_nb.config import load_client_data
    from lepton_nb.solutions import client_profile, load_config
    stages = {"import": time.perf_counter() - t0}
    t = time.perf_counter()
    cfg = load_config(config, need_template=False)
    data = load_client_data(cfg, memory_limit="1GB")
    stages["warehouse_load_and_aggregate"], t = time.perf_counter() - t, time.perf_counter()
    prof = client_profile(cfg, data)
    case = run_binary_case(data.frame, cfg.target, cfg.positive, cfg.params, cfg.seed, exclude=list(prof.excluded))
    stages["profile_and_train"] = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stages": stages, "peak_rss_mb": peak_mb, "modelling_rows": len(data.frame),
                      "inputs": [{k: i[k] for k in ("input", "rows")} for i in data.inputs],
                      "model": case.model_name, "test_auc": case.metrics["test_auc"], "baseline_auc": case.metrics["baseline_test_auc"]}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child: return child(args.child)
    tx, cust = generate(args.rows, args.customers)
    config = RESULTS / "bench-retail.yaml"
    config.write_text(CONFIG.format(tx=tx.resolve(), customers=cust.resolve()))
    start = time.perf_counter()
    run = subprocess.run([sys.executable, __file__, "--child", str(config)], capture_output=True, text=True)
    if run.returncode: sys.exit(run.stderr)
    r = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"transaction log: {args.rows:,} rows, {tx.stat().st_size / 1e9:.2f} GB of CSV; {args.customers:,} customers")
    print(f"end to end {time.perf_counter() - start:.0f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["stages"].items()))
    print(f"modelling table {r['modelling_rows']:,} rows; {r['model']} test AUC {r['test_auc']:.3f} (baseline {r['baseline_auc']:.3f})")
    print(f"peak resident memory {r['peak_rss_mb']:,.0f} MB (goal: under 2,048 MB) -> {'met' if r['peak_rss_mb'] < 2048 else 'NOT met'}")
    (RESULTS / "warehouse.json").write_text(json.dumps({"rows": args.rows, "customers": args.customers, "csv_bytes": tx.stat().st_size, **r}, indent=2))


if __name__ == "__main__":
    main()
