"""Demand forecasts end to end: the demo reports, the forecast bundle through score and serve, covariates, hostile input."""
import json
import re

import numpy as np
import pandas as pd
import pytest

from lepton_nb.bundle import forecast_frame, load_bundle, save_forecast_bundle
from lepton_nb.core import BundleError, DataError
from lepton_nb.datasets import load_bikeshare, load_visnights

from conftest import _Page, _cli, _rewrite, _rewrite_arrays

# Backtest figures pinned on both sides (seed 0, `make demo`): a drop is a regression, a jump is a leak.
BANDS = {"demo-demand": {"test_mase": (0.50, 0.62), "baseline_test_mase": (0.626, 0.628)},
         "demo-tourism": {"test_mase": (1.05, 1.16), "baseline_test_mase": (1.187, 1.189)}}  # AutoETS: 1.160
SHAPE = {"demo-demand": (24, 1, "hour", "bikers"), "demo-tourism": (160, 20, "quarter", "nights")}


def _text(folder) -> str:
    return " ".join(_Page((folder / "report.html").read_text()).text)


@pytest.mark.parametrize("customer", list(BANDS))
def test_forecast_demos_beat_the_seasonal_naive_with_a_range_that_holds(demo, customer):
    folder = demo / customer
    record = json.loads((folder / "metrics.json").read_text())
    assert record["kind"] == "forecast" and record["solution"] == "demand_forecast"
    m = record["metrics"]
    for key, (low, high) in BANDS[customer].items():
        assert low <= m[key] <= high, f"{customer} {key} = {m[key]:.3f} outside [{low}, {high}]"
    assert m["beats_baseline"] is True and m["test_mase"] < m["baseline_test_mase"]
    assert 0.70 <= m["p10_p90_coverage"] <= 0.90, m["p10_p90_coverage"]
    for key in ("test_mae", "test_rmse", "baseline_test_mae", "baseline_p10_p90_coverage", "policy_total_cost",
                "naive_rule_total_cost", "policy_fill_rate", "naive_rule_fill_rate"):
        assert np.isfinite(m[key]), key
    rows, series, time, target = SHAPE[customer]
    ahead = pd.read_csv(folder / "forecast.csv", parse_dates=[time])
    assert len(ahead) == rows and m["n_series"] == series and ahead.step.max() == m["horizon"]
    assert (ahead[f"{target}_p10"] <= ahead[f"{target}_p50"]).all() and (ahead[f"{target}_p50"] <= ahead[f"{target}_p90"]).all()
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 4 and "Traceback" not in page and "import " not in page
    text = _text(folder)
    assert "seasonal naive" in text and "more accurate" in text and "P10–P90 range held" in text
    assert "naive: last period's demand" in text and "order up to" in text


def test_forecast_bundle_forecasts_like_the_report_through_score_and_serve(demo, tmp_path):
    from fastapi.testclient import TestClient
    from lepton_nb.serve import make_app
    folder = demo / "demo-tourism"
    bundle = load_bundle(folder / "model")
    assert bundle.kind == "forecast" and bundle.model.horizon == 8
    reported = pd.read_csv(folder / "forecast.csv", parse_dates=["quarter"])
    history = load_visnights()
    again = forecast_frame(bundle, history.sample(frac=1, random_state=0))  # row order does not matter
    pd.testing.assert_frame_equal(again.reset_index(drop=True), reported, check_dtype=False, rtol=1e-5)
    history.to_csv(tmp_path / "history.csv", index=False)
    run = _cli("score", folder / "model", tmp_path / "history.csv")
    assert run.returncode == 0 and "the next 8 periods of 20 series" in run.stdout, run.stderr
    scored = pd.read_csv(tmp_path / "history.forecast.csv", parse_dates=["quarter"])
    pd.testing.assert_frame_equal(scored, reported, check_dtype=False, rtol=1e-5)
    client = TestClient(make_app(bundle))
    schema = client.get("/schema").json()
    assert schema["kind"] == "forecast" and schema["horizon"] == 8 and schema["series"] == "region"
    three = history[history.region.isin(["NSWMetro", "QLDMetro", "OTHNoMet"])].astype({"quarter": str})
    answer = client.post("/score", json={"records": three.to_dict(orient="records")})
    assert answer.status_code == 200, answer.text
    served = pd.DataFrame(answer.json()["results"]).astype({"quarter": "datetime64[ns]"})
    expected = reported[reported.region.isin(["NSWMetro", "QLDMetro", "OTHNoMet"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(served.sort_values(["region", "step"], ignore_index=True),
                                  expected.sort_values(["region", "step"], ignore_index=True), check_dtype=False, rtol=1e-5)
    for change, why in (({"nights": "many"}, "not numbers|must be a number"),
                        ({"quarter": None}, "missing time stamps|must be"),
                        ({"quarter": "not a date"}, "cannot be read as dates"),
                        ({"nights": -3.0}, "negative values; this model was fitted on positive"),
                        ({"nights": 1e300}, "not finite numbers"),
                        ({"quarter": "0001-01-01"}, "periods are absent")):
        records = three.head(40).to_dict(orient="records")
        records[-1] = records[-1] | change  # the last record of the batch changed, the rest as they were
        refused = client.post("/score", json={"records": records})
        assert refused.status_code == 422 and re.search(why, refused.text), (change, refused.text)
    missing = [*three.head(40).to_dict(orient="records"), {"region": "NSWMetro", "nights": 1.0}]
    assert "missing field" in client.post("/score", json={"records": missing}).text
    nothing = three.head(40).assign(nights=None).to_dict(orient="records")
    assert "has no values" in client.post("/score", json={"records": nothing}).text
    assert client.get("/health").json()["status"] == "ok"
    (tmp_path / "empty.csv").write_text("")
    run = _cli("score", folder / "model", tmp_path / "empty.csv")
    assert run.returncode != 0 and "the file is empty" in run.stderr and "Traceback" not in run.stderr


@pytest.fixture(scope="module")
def small_forecaster():
    "A quickly fitted GlobalForecaster on eight regions of visnights (two networks, few epochs) and its panel."
    from lepton_nb.forecast import prepare_series
    from lepton_nb.forecast_model import GlobalForecaster
    nights = load_visnights()
    panel, _ = prepare_series(nights[nights.region.isin(sorted(nights.region.unique())[:8])], "quarter", "nights",
                              series="region")
    return GlobalForecaster(4, 4, n_models=2, max_epochs=15).fit(panel), panel


def _saved(small_forecaster, folder):
    model, panel = small_forecaster
    return save_forecast_bundle(model, folder, panel, time="quarter", target="nights", series="region", freq="QS")


@pytest.mark.parametrize("change", ["horizon", "lags", "kernel-shape", "columns", "kind", "fill", "nan-weights"])
def test_a_rewritten_forecast_bundle_is_refused(small_forecaster, tmp_path, change):
    "bundle.json and weights.npz are hostile: a consistent rewrite of either is a BundleError, never a traceback."
    folder = _saved(small_forecaster, tmp_path / "m")
    meta = json.loads((folder / "bundle.json").read_text())
    weights = dict(np.load(folder / "weights.npz"))
    first = sorted(weights)[0]
    if change == "horizon": meta["forecaster"]["horizon"] = 10**9
    if change == "lags": meta["forecaster"]["lags"] = [-3, 1]
    if change == "kernel-shape": weights[first] = weights[first][:, :-1] if weights[first].ndim == 2 else weights[first][:-1]
    if change == "columns": meta["columns"]["time"] = {"$ne": 1}
    if change == "kind": meta["kind"] = "binary"
    if change == "fill": meta["fill"] = "__import__('os')"
    if change == "nan-weights": weights[first] = np.full_like(weights[first], np.nan)
    if change in ("kernel-shape", "nan-weights"): _rewrite_arrays(folder, weights)
    else: _rewrite(folder, "bundle.json", json.dumps(meta).encode())
    with pytest.raises(BundleError, match="cannot be rebuilt|cannot score"):
        load_bundle(folder)


def test_a_forecast_bundle_round_trips(small_forecaster, tmp_path):
    model, panel = small_forecaster
    bundle = load_bundle(_saved(small_forecaster, tmp_path / "m"))
    history = panel.rename(columns={"series": "region", "time": "quarter", "y": "nights"}).drop(columns="filled")
    ours = forecast_frame(bundle, history)
    direct = model.predict(panel)
    np.testing.assert_allclose(ours.nights_p50.to_numpy(), direct["p50"].ravel(), rtol=1e-6)
    with pytest.raises(DataError, match="no column 'region'"):
        forecast_frame(bundle, history.drop(columns="region"))
    with pytest.raises(DataError, match="occur twice"):
        forecast_frame(bundle, pd.concat([history, history.head(1)]))


def test_covariates_come_from_the_rows_ahead(tmp_path):
    "Known covariates (working day, holiday) join the inputs; the periods to forecast must carry them."
    from lepton_nb.demand import ForecastParams, run_forecast_case
    bikes = load_bikeshare()
    bikes["hour"] = (pd.Timestamp("2011-01-01") + pd.to_timedelta(bikes["day"] - 1, unit="D")
                     + pd.to_timedelta(bikes["hr"].astype(int), unit="h"))
    table = bikes[bikes.hour < "2011-03-05"][["hour", "bikers", "workingday", "holiday"]]  # its last two days complete
    ahead = table.hour > table.hour.max() - pd.Timedelta("24h")
    table = table.assign(bikers=table.bikers.astype(float).mask(ahead))
    fast = ForecastParams(horizon=24, backtest_windows=1, n_models=1, max_epochs=20)
    case = run_forecast_case(table, "hour", "bikers", covariates=["workingday", "holiday"], params=fast)
    assert list(case.model.covariates_) == ["workingday", "holiday"]
    assert len(case.ahead) == 24 and case.ahead.time.min() == table.hour[ahead].min()
    with pytest.raises(DataError, match="have no row with them"):
        run_forecast_case(table[~ahead], "hour", "bikers", covariates=["workingday", "holiday"], params=fast)
    folder = save_forecast_bundle(case.model, tmp_path / "m", case.panel, time="hour", target="bikers", series=None,
                                  freq=case.series_report.freq)
    again = forecast_frame(load_bundle(folder), table)
    np.testing.assert_allclose(again.bikers_p50.to_numpy(), case.ahead.p50.to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("config, expected", [
    ("time: quarter\ntarget: nights\n", "occur twice within a series"),
    ("time: quarter\ntarget: nope\nseries: region\n", "key 'target': column 'nope' is not in the data"),
    ("time: quarter\ntarget: nights\nseries: region\nparams: {horizon: 40}\n", "fewer than the"),
    ("time: quarter\ntarget: nights\nseries: region\ncovariates: [nights_again]\n", "key 'covariates.1'"),
    ("time: quarter\ntarget: nights\nseries: region\nparams: {freq: fortnightly}\n", "not a pandas offset alias"),
], ids=["no-series", "target", "too-short", "covariate", "freq"])
def test_bad_forecast_configs_are_refused_before_a_kernel_starts(tmp_path, config, expected):
    nights = load_visnights()
    nights.assign(nights_again=nights.nights * 2).to_csv(tmp_path / "nights.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\nsolution: demand_forecast\n"
                                     "data: {sources: {t: {path: nights.csv}}}\n" + config)
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode != 0 and expected in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not re.search(r"papermill|kernel", run.stderr)


def test_a_forecast_over_its_memory_budget_is_refused_not_sampled(tmp_path):
    "Rows sampled one by one would leave gaps in every series: a forecast's table over its budget is refused first."
    load_visnights().to_csv(tmp_path / "nights.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: acme\nname: Acme\nsolution: demand_forecast\ntime: quarter\n"
                                     "target: nights\nseries: region\n"
                                     "data: {sources: {t: {path: nights.csv}}, memory_budget: 10KB}\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode != 0 and "over data.memory_budget" in run.stderr and "demand forecast" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists()


def test_the_shortest_series_accepted_runs_and_one_fewer_is_refused_first(tmp_path):
    "A series of windows × horizon + season + 3 × horizon periods runs the whole template; one period fewer is refused."
    nights = load_visnights()
    one = nights[nights.region == "NSWMetro"].tail(20)  # 1 window of 4 quarters, then 4 + 3 × 4 to learn from
    one.to_csv(tmp_path / "short.csv", index=False)
    (tmp_path / "c.yaml").write_text("customer: short\nname: Short\nsolution: demand_forecast\n"
                                     "data: {sources: {t: {path: short.csv}}}\ntime: quarter\ntarget: nights\n"
                                     "params: {horizon: 4, backtest_windows: 1, n_models: 1, max_epochs: 20}\n")
    run = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stdout + run.stderr
    m = json.loads((tmp_path / "out" / "short" / "metrics.json").read_text())["metrics"]
    assert m["n_periods"] == 20 and m["horizon"] == 4 and np.isfinite(m["test_mase"])
    one.tail(19).to_csv(tmp_path / "short.csv", index=False)
    refused = _cli("report", tmp_path / "c.yaml", "--out", tmp_path / "out2")
    assert refused.returncode != 0 and "1 series have fewer than the 20 periods" in refused.stderr, refused.stderr
