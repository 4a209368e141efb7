"Intervals on the headline numbers: coverage, and small data that can no longer claim to beat the baseline."
import numpy as np
import pytest
from lepton_nb.core import DataError
from lepton_nb.binary import BinaryParams, BinaryReport, run_binary_case
from lepton_nb.datasets import load_credit_data
from lepton_nb.uncertainty import BINARY, REGRESSION, bootstrap_ci, difference_ci


def test_mean_error_interval_covers_the_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    hits = []
    for seed in range(100):
        errors = rng.normal(0, 1, 60)  # true mean absolute error of N(0, 1): sqrt(2/pi)
        low, high = bootstrap_ci(REGRESSION["mae"], errors, np.zeros(60), n_boot=300, seed=seed)
        hits.append(low <= np.sqrt(2 / np.pi) <= high)
    assert 0.85 <= np.mean(hits) <= 0.99


def test_difference_interval_is_paired_and_width_shrinks_with_n():
    rng = np.random.default_rng(1)
    widths = []
    for n in (100, 1600):
        y = rng.integers(0, 2, n)
        s = rng.normal(y, 1)
        d = difference_ci(BINARY["auc"], y, s, np.full(n, 0.5), strata=y)
        assert d[0] > 0
        widths.append(d[1] - d[0])
    assert widths[1] < 0.4 * widths[0]


def _headline(case):
    "The report's headline for a case, without a config or data behind it."
    report = BinaryReport.__new__(BinaryReport)
    report.case = case
    return report.headline()


def test_thirty_credit_rows_cannot_tell():
    case = run_binary_case(load_credit_data().sample(30, random_state=0), "Status", "bad",
                           BinaryParams(models=["logistic"]))
    assert not case.beats_baseline and "cannot tell" in _headline(case)
    assert "clearly better" not in _headline(case) and "30 cross-validated cases" in case.verdict_detail
    assert case.split == "cv" and case.metrics["n_test"] == 6  # the verdict rests on all 30 rows, not 6


def test_random_target_with_four_positives_cannot_tell():
    df = load_credit_data().sample(300, random_state=1).reset_index(drop=True)
    target = np.array(["no"] * 300, dtype=object)
    target[np.random.default_rng(0).choice(300, 4, replace=False)] = "yes"
    with pytest.raises(DataError, match="has only 4 'yes' rows"):  # refused: too few to learn or to judge
        run_binary_case(df.assign(Status=target), "Status", "yes", BinaryParams(models=["logistic"]))
    target[np.random.default_rng(0).choice(np.flatnonzero(target == "no"), 6, replace=False)] = "yes"  # 10 positives
    case = run_binary_case(df.assign(Status=target), "Status", "yes", BinaryParams(models=["logistic"]))
    assert not case.beats_baseline and "cannot tell" in _headline(case)
    assert all(k in case.metrics for k in ("test_auc_ci", "baseline_test_brier_ci", "auc_difference_ci"))
