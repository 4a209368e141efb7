"""statsforecast's side of benchmarks/forecast.py, run in its own environment (statsforecast needs pandas < 3).

Reads a panel (series, time, y) from a Parquet file, runs the rolling-origin backtest with statsforecast's own
`cross_validation` (the last `windows × horizon` steps of each series in consecutive windows of `horizon`, each fitted
only on the steps before it) for AutoETS and SeasonalNaive, and writes every forecast with its P10–P90 interval and the
seconds each model took to a Parquet file. Metrics are computed by the caller with lepton_nb's own code.

    python statsforecast_peer.py PANEL.parquet OUT.parquet HORIZON WINDOWS SEASON FREQ
"""
import sys, time
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, SeasonalNaive

def main(panel_path, out_path, horizon, windows, season, freq):
    horizon, windows, season = int(horizon), int(windows), int(season)
    panel = pd.read_parquet(panel_path).rename(columns={"series": "unique_id", "time": "ds"})[["unique_id", "ds", "y"]]
    parts = []
    for name, model in (("statsforecast AutoETS", AutoETS(season_length=season)),
                        ("statsforecast SeasonalNaive", SeasonalNaive(season_length=season))):
        t = time.perf_counter()
        cv = StatsForecast(models=[model], freq=freq, n_jobs=1).cross_validation(
            df=panel, h=horizon, step_size=horizon, n_windows=windows, level=[80])
        seconds = time.perf_counter() - t
        column = model.alias
        parts.append(pd.DataFrame({"model": name, "series": cv["unique_id"].astype(str), "time": cv["ds"],
                                   "cutoff": cv["cutoff"], "actual": cv["y"], "forecast": cv[column],
                                   "p10": cv[f"{column}-lo-80"], "p90": cv[f"{column}-hi-80"], "seconds": seconds}))
    pd.concat(parts, ignore_index=True).to_parquet(out_path)

if __name__ == "__main__": main(*sys.argv[1:])
