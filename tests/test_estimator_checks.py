"""scikit-learn's own estimator checks, run on the JAX estimators (the networks, the linear models, TabM, the
clusterers).

Checks that cannot pass are listed in EXPECTED_FAILED with the reason; none is skipped silently.
"""
import warnings
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks
from lepton_nb.cluster import DBSCAN, KMeans
from lepton_nb.tabm import TabMClassifier, TabMRegressor
from lepton_nb.tabular import LinearRegression, LogisticRegression, MLPClassifier, MLPRegressor

# Small networks and few epochs keep the suite fast; the checks test the contract, not accuracy at scale.
ESTIMATORS = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, random_state=0),
    LogisticRegression(random_state=0),
    LinearRegression(random_state=0),
    TabMClassifier(k=2, width=16, depth=1, n_bins=8, d_emb=4, batch_size=32, max_iter=60, random_state=0),
    TabMRegressor(k=2, width=16, depth=1, n_bins=8, d_emb=4, batch_size=32, max_iter=60, random_state=0),
    KMeans(),  # its defaults: the checks' small tables are padded to 256 rows, so few shapes compile
    DBSCAN(),
]

# No check is expected to fail. The one check pytest reports as skipped is scikit-learn's own
# `check_array_api_input`, which scikit-learn runs only when SCIPY_ARRAY_API=1; our estimators take
# NumPy arrays and pandas frames and do not claim array-API support (their `array_api_support` tag
# is False), so we list it here with that reason rather than leave it silent.
ARRAY_API = {"check_array_api_input": "array-API inputs are not supported; scikit-learn skips this check "
                                      "unless SCIPY_ARRAY_API=1"}
EXPECTED_FAILED = {name: ARRAY_API
                   for name in ("MLPClassifier", "MLPRegressor", "LogisticRegression", "LinearRegression",
                                "TabMClassifier", "TabMRegressor", "KMeans", "DBSCAN")}


def expected_failed_checks(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
