"Readable numbers and small data in the shared functions (issue 16): each test reproduces a finding of the issue."
import numpy as np
import pandas as pd
from lepton_nb.bundle import TOO_FEW, drift_table
from lepton_nb.data import profile
from lepton_nb.datasets import load_credit_data
from lepton_nb.evaluate import cutoff_table, gain_table, operating_points, risk_groups
from lepton_nb.explain import reason_codes
from lepton_nb.render import number, table, value_range

SCIENTIFIC = r"\de[+-]?\d"

def test_numbers_read_with_separators_never_scientific():
    assert value_range(1009, 2e4) == "1,009 to 20,000"
    assert value_range(0.012, 0.87) == "0.012 to 0.87"
    assert number(None) == "missing" and number(np.nan) == "missing"
    assert number(pd.Timestamp("2025-03-01")) == "2025-03-01"
    for v in (1e-30, 3e-9, 1e15, -2.5e7, 123456.789):
        assert "e" not in number(v), number(v)

def test_credit_profile_has_no_scientific_notation():
    shown = profile(load_credit_data(), "Status", pii={}).columns.set_index("column").range_or_top
    assert not shown.str.contains(SCIENTIFIC).any(), shown.tolist()
    assert shown["Assets"] == "0 to 300,000"

def test_profile_shows_missing_not_none():
    p = profile(pd.DataFrame({"home": ["own", None, None, "rent"]}), pii={})
    assert p.columns.range_or_top.item() == "missing (2), own (1), rent (1)"

def _churn_like(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"tenure": rng.integers(0, 72, n), "contract": rng.choice(["month", "year", "two year"], n),
                      "charges": rng.uniform(18, 120, n).round(2)})
    return X, rng.integers(0, 2, n), rng.random(n)

def test_risk_groups_on_small_data_is_empty_not_keyerror():
    X, y, p = _churn_like()
    groups = risk_groups(X.head(40), y[:40], p[:40], ["tenure", "contract"])  # no group reaches min_size=30
    assert list(groups.columns) == ["group", "customers", "predicted_rate", "observed_rate"] and groups.empty
    shown = groups.rename(columns={"predicted_rate": "predicted risk", "observed_rate": "actually left"})
    table(shown, {"predicted risk": "{:.1%}", "actually left": "{:.1%}"}).to_html()  # the churn template's cell

def test_risk_groups_show_ranges_not_interval_labels():
    X, y, p = _churn_like(400)
    groups = risk_groups(X, y, p, ["tenure", "charges"], min_size=1).group
    assert not groups.str.contains(r"[(\[\]]").any(), groups.tolist()
    assert groups.str.fullmatch(r"(tenure|charges) = [\d,.]+ to [\d,.]+").all(), groups.tolist()

def test_tables_carry_counts_beside_shares():
    X, y, p = _churn_like()
    assert gain_table(y, p).reached.str.fullmatch(r"\d+ of \d+").all()
    assert cutoff_table(y, p).approved_cases.iloc[-1].endswith(f"of {len(y)}")
    ops = operating_points(y, p, y, p, (0.9,))
    assert ops.positives_found.item().endswith(f"of {int(y.sum())}")

def test_fifty_rows_judge_no_drift():
    meta = {"schema": {"a": {"bins": {"shares": [0.1] * 10}}}}
    skewed = {"a": np.array([50] + [0] * 9)}
    assert drift_table(meta, skewed).status.item() == TOO_FEW  # formerly "shifted (PSI > 0.2)"
    assert drift_table(meta, {"a": skewed["a"] * 4}).status.item() == "shifted (PSI > 0.2)"

def test_reasons_carry_their_values():
    att = pd.DataFrame({"Amount": [2.0, 0.1], "Home": [-1.0, 0.4]}, index=["c1", "c2"])
    rows = pd.DataFrame({"Amount": [1800.0, 25000.0], "Home": ["rent", "own"]}, index=["c1", "c2"])
    assert reason_codes(att, 2, X=rows).to_numpy().tolist() == [["Amount = 1,800", ""],
                                                                 ["Home = own", "Amount = 25,000"]]
    assert reason_codes(att, 1).reason_1.tolist() == ["Amount", "Home"]  # without rows: names, as before
