"""The tabular models on real public data: held-out quality, determinism, pickling, errors."""
import pickle
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from lepton_nb.core import TrainingError
from lepton_nb.datasets import load_breast_cancer, load_credit_data
from lepton_nb.preprocess import train_valid_test_split
from lepton_nb.tabular import LogisticRegression, MLPClassifier
from lepton_nb import train
from flax import nnx


def _splits(df, target, positive, seed=0):
    X, y = df.drop(columns=target), (df[target] == positive).astype(int)
    return train_valid_test_split(X, y, stratify=y, random_state=seed)


@pytest.fixture(scope="module")
def credit():
    return _splits(load_credit_data(), "Status", "bad")


@pytest.fixture(scope="module")
def cancer():
    return _splits(load_breast_cancer(), "diagnosis", "malignant")


def _test_auc(model, parts):
    X_tr, X_va, X_te, y_tr, y_va, y_te = parts
    kwargs = {"validation_data": (X_va, y_va)} if isinstance(model, MLPClassifier) else {}
    model.fit(X_tr, y_tr, **kwargs)
    return roc_auc_score(y_te, model.predict_proba(X_te)[:, 1])


@pytest.mark.parametrize("make", [lambda: MLPClassifier(random_state=0), lambda: LogisticRegression()],
                         ids=["mlp", "logistic"])
def test_credit_heldout_auc(make, credit):
    # a scikit-learn logistic pipeline scores about 0.83 AUC in 5-fold CV on this data
    assert _test_auc(make(), credit) >= 0.81


@pytest.mark.parametrize("make", [lambda: MLPClassifier(random_state=0), lambda: LogisticRegression()],
                         ids=["mlp", "logistic"])
def test_breast_cancer_heldout_auc(make, cancer):
    assert _test_auc(make(), cancer) >= 0.98


def test_same_seed_same_predictions_and_pickle_round_trip(cancer):
    X_tr, _, X_te, y_tr, _, _ = cancer
    a = MLPClassifier(random_state=3, max_iter=5).fit(X_tr, y_tr)
    b = MLPClassifier(random_state=3, max_iter=5).fit(X_tr, y_tr)
    np.testing.assert_array_equal(a.predict_proba(X_te), b.predict_proba(X_te))
    c = MLPClassifier(random_state=4, max_iter=5).fit(X_tr, y_tr)
    assert not np.array_equal(a.predict_proba(X_te), c.predict_proba(X_te))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X_te), a.predict_proba(X_te))


def test_planted_nan_stops_training_with_the_epoch(cancer):
    X_tr, _, _, y_tr, _, _ = cancer
    X = X_tr.to_numpy(np.float32).copy()
    X[5, 2] = np.nan
    with pytest.raises(TrainingError, match="at epoch 1"):
        train.fit(train.MLP(X.shape[1], (8,), 1, rngs=nnx.Rngs(0)), X, y_tr.to_numpy(), epochs=2, verbose=False)


def test_arrays_with_nan_are_rejected_by_the_estimator():
    X = np.ones((20, 3)); X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier().fit(X, np.arange(20) % 2)


def test_frames_with_gaps_and_unseen_categories(credit):
    X_tr, _, X_te, y_tr, _, _ = credit
    model = LogisticRegression().fit(X_tr, y_tr)
    odd = X_te.head(3).copy()
    odd["Home"] = ["castle", None, "rent"]
    odd["Income"] = np.nan
    p = model.predict_proba(odd)[:, 1]
    assert p.shape == (3,) and np.isfinite(p).all()
    with pytest.raises(ValueError, match="Income"):
        model.predict_proba(X_te.drop(columns="Income"))


def test_works_inside_scikit_learn_model_selection(cancer):
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.feature_selection import VarianceThreshold
    X_tr, _, X_te, y_tr, _, y_te = cancer
    scores = cross_val_score(make_pipeline(VarianceThreshold(), LogisticRegression()), X_tr, y_tr, cv=3,
                             scoring="roc_auc")
    assert scores.min() > 0.95
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, cv=3, scoring="roc_auc").fit(X_tr, y_tr)
    assert search.score(X_te, y_te) > 0.95


SHARDED = """
import json, warnings
import numpy as np, jax
from lepton_nb.datasets import load_breast_cancer
from lepton_nb.tabular import LogisticRegression, MLPClassifier
from sklearn.metrics import log_loss
warnings.simplefilter("ignore")
df = load_breast_cancer()
X, y = df.drop(columns="diagnosis"), (df.diagnosis == "malignant").astype(int)
mlp = MLPClassifier(hidden_layer_sizes=(16, 8), batch_size=32, max_iter=4, early_stopping=False, random_state=0).fit(X, y)
logistic = LogisticRegression(C=1.0).fit(X, y)
print(json.dumps({"devices": jax.device_count(), "shards": mlp.history_.devices, "losses": mlp.loss_curve_,
                  "mlp": mlp.predict_proba(X)[:, 1].tolist(),
                  "logistic": float(log_loss(y, logistic.predict_proba(X)[:, 1]))}))
"""


def test_training_on_4_devices_gives_the_losses_of_one():
    "Each batch split across 4 (virtual) devices, the parameters replicated: the same losses and predictions as one device."
    import json, os, subprocess, sys
    runs = {}
    for devices in (1, 4):
        env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
        run = subprocess.run([sys.executable, "-c", SHARDED], capture_output=True, text=True, env=env, timeout=600)
        assert run.returncode == 0, run.stderr
        runs[devices] = json.loads(run.stdout.strip().splitlines()[-1])
    assert runs[4]["devices"] == 4 and runs[4]["shards"] == 4 and runs[1]["shards"] == 1
    np.testing.assert_allclose(runs[4]["losses"], runs[1]["losses"], rtol=1e-5)
    np.testing.assert_allclose(runs[4]["mlp"], runs[1]["mlp"], atol=1e-5)
    # L-BFGS stops at a gradient tolerance: summed in another order, it stops a step apart at the same optimum
    np.testing.assert_allclose(runs[4]["logistic"], runs[1]["logistic"], rtol=0, atol=1e-4)
