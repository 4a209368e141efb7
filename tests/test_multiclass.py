"""The multi-class (triage) engine on the demo pharma data: held-out numbers pinned in a band, and no worse than
scikit-learn's own logistic regression on the same split."""
import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lepton_nb.core import DataError
from lepton_nb.datasets import load_hepatic_injury
from lepton_nb.explain import baseline_inputs
from lepton_nb.multiclass import (TriageParams, multiclass_metrics, multiclass_reasons, multiclass_target,
                                  run_multiclass_case)

KEYS = ("accuracy", "balanced_accuracy", "macro_f1", "macro_auc", "log_loss")


@pytest.fixture(scope="module")
def liver():
    return load_hepatic_injury()


@pytest.fixture(scope="module")
def case(liver):
    return run_multiclass_case(liver, "class", TriageParams(max_epochs=60), seed=0)


def test_metric_keys(case):
    for k in KEYS: assert f"test_{k}" in case.metrics and f"baseline_test_{k}" in case.metrics
    assert (case.metrics["n_train"], case.metrics["n_valid"], case.metrics["n_test"]) == (168, 56, 57)
    assert case.metrics["class_shares"] == pytest.approx({"mild": 145 / 281, "none": 106 / 281, "severe": 30 / 281})


def test_demo_numbers_in_band(case):
    # Measured (seed 0, max_epochs=60): the MLP is chosen (validation log loss 0.981 vs 2.879 for the logistic
    # regression); test macro AUC 0.620, test log loss 0.969 against the baseline's 0.948. A single split of 57 test
    # rows is noisy, so the bands are wide, and pinned on both sides: a leak that lifts the AUC fails too.
    m = case.metrics
    assert m["test_macro_auc"] == pytest.approx(0.62, abs=0.08)
    assert m["test_log_loss"] == pytest.approx(0.97, abs=0.08)
    assert m["baseline_test_log_loss"] == pytest.approx(0.9485, abs=1e-3)  # the entropy of the training shares
    assert m["baseline_test_macro_auc"] == pytest.approx(0.5)
    # The model ranks compounds clearly better than no skill (macro AUC above 0.5 by the case's margin)...
    assert m["test_macro_auc"] > m["baseline_test_macro_auc"] + 0.05
    # ...but its probabilities are not clearly better than the class shares, so the case says it does not beat
    # the baseline; the triage report must say so. (Five-fold CV of a random forest on all 281 rows: AUC ~0.66.)
    assert m["test_log_loss"] > m["baseline_test_log_loss"] - 0.02 and not case.beats_baseline


def test_no_worse_than_sklearn_logistic_regression(case):
    # The acceptance check: on the same split and numeric columns, scikit-learn's standard pipeline.
    # Measured: chosen model 0.620, scikit-learn 0.569. Tolerance 0.03: about 3/4 of one macro AUC standard
    # error on 57 test rows (~0.04), so "no worse" up to the noise of comparing two model families on one split.
    cols = case.X_train.select_dtypes("number").columns
    assert len(cols) == 376
    sk = make_pipeline(SimpleImputer(), StandardScaler(), SkLogisticRegression(max_iter=2000))
    sk.fit(case.X_train[cols], case.y_train)
    assert list(sk.classes_) == case.classes
    sk_auc = multiclass_metrics(case.y_test, sk.predict_proba(case.X_test[cols]), case.classes)["test_macro_auc"]
    print(f"chosen {case.model_name}: {case.metrics['test_macro_auc']:.3f}; scikit-learn pipeline: {sk_auc:.3f}")
    assert case.metrics["test_macro_auc"] >= sk_auc - 0.03


def test_reasons_toward_predicted_class(case):
    rows = case.X_test.head(5)
    why = multiclass_reasons(case.model, rows, baseline_inputs(case.model, case.X_train), case.classes, k=2)
    assert list(why.columns) == ["predicted", "reason_1", "reason_2"]
    assert why.predicted.tolist() == case.predicted_test[:5].tolist()
    assert {r.split(" = ")[0] for r in why.reason_1} - {""} <= set(case.X_test.columns)


def test_target_errors(liver):
    with pytest.raises(DataError, match="not in the data"): multiclass_target(liver, "toxicity")
    with pytest.raises(DataError, match="2 missing values"):
        multiclass_target(liver.assign(c=[None, None] + ["a", "b", "c"] * 93), "c")
    with pytest.raises(DataError, match="binary solutions"):
        multiclass_target(liver.assign(c=np.where(liver["class"] == "none", "no", "yes")), "c")
    with pytest.raises(DataError, match="51 classes"): multiclass_target(liver.assign(c=np.arange(281) % 51), "c")
    rare = liver.assign(c=["a"] * 270 + ["b"] * 7 + ["z"] * 4)
    with pytest.raises(DataError, match=r"'z' \(4 rows\)") as e: multiclass_target(rare, "c")
    assert "merge rare classes" in str(e.value)
    assert multiclass_target(liver, "class").dtype.kind in "OU"


def test_case_errors(liver):
    with pytest.raises(DataError, match="drop_columns names columns not in the data: nope"):
        run_multiclass_case(liver, "class", TriageParams(drop_columns=["nope"]))
    with pytest.raises(DataError, match="no input columns"):
        run_multiclass_case(liver[["class"]], "class")
    with pytest.raises(ValueError, match="cutoff"): TriageParams(cutoff=0.5)
    assert TriageParams.__doc__.startswith("triage: ")
    assert set(TriageParams().model_dump()) == {
        "models", "hidden_layer_sizes", "max_epochs", "class_weight", "valid_size", "test_size", "drop_columns",
        "permutation_repeats", "cross_validate"}
