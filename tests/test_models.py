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
