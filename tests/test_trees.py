"""Boosted trees chosen by a binary or multi-class case ship like any model: a bundle without pickle, the CLI's
`score` and the service's `POST /score` give the trees' own probabilities and reasons that add up."""
import json

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import _cli
from lepton_nb.binary import BinaryParams, run_binary_case
from lepton_nb.bundle import load_bundle, save_bundle
from lepton_nb.datasets import load_credit_data, load_hepatic_injury
from lepton_nb.explain import attributions, baseline_inputs
from lepton_nb.multiclass import TriageParams, run_multiclass_case
from lepton_nb.serve import make_app


def _cli_scores(folder, rows:pd.DataFrame, tmp_path) -> pd.DataFrame:
    "What `lepton-nb score` writes for `rows` with the bundle in `folder`."
    rows.to_csv(tmp_path / "new.csv", index=False)
    run = _cli("score", folder, tmp_path / "new.csv", "-o", tmp_path / "scored.csv")
    assert run.returncode == 0, run.stderr
    return pd.read_csv(tmp_path / "scored.csv")


@pytest.fixture(scope="module")
def credit():
    return load_credit_data()


@pytest.fixture(scope="module")
def credit_trees(credit, tmp_path_factory):
    "The credit case with the trees as the only candidate, and its bundle."
    case = run_binary_case(credit, "Status", "bad", BinaryParams(models=["gbdt"]), seed=0)
    folder = save_bundle(case.model, tmp_path_factory.mktemp("trees") / "model", case.X_train, cutoff=case.cutoff,
                         positive="bad", classes=["good", "bad"], baseline=baseline_inputs(case.model, case.X_train))
    return case, folder


def test_the_chosen_trees_score_like_scikit_learn_and_beat_chance(credit_trees):
    case, _ = credit_trees
    assert case.model_name == "boosted-tree model" and 0.78 < case.metrics["test_auc"] < 0.90
    trees = case.model.model_  # scikit-learn's own HistGradientBoostingClassifier
    np.testing.assert_allclose(case.p_test, trees.predict_proba(case.model.preprocessor_.transform(case.X_test))[:, 1])


def test_cli_score_gives_the_trees_probabilities_and_reasons(credit_trees, credit, tmp_path):
    case, folder = credit_trees
    rows = credit.drop(columns="Status").head(30)
    scored = _cli_scores(folder, rows, tmp_path)
    np.testing.assert_allclose(scored.score, case.model.predict_proba(rows)[:, 1], rtol=1e-9)
    assert set(scored.decision) <= {"good", "bad"} and scored.reason_1.notna().mean() > 0.8
    assert scored.reason_1.dropna().isin(rows.columns).all(), "reasons name the client's own columns"
    quiet = _cli("score", folder, tmp_path / "new.csv", "-o", tmp_path / "fast.csv", "--reasons", "0")
    assert quiet.returncode == 0 and not any(c.startswith("reason_") for c in pd.read_csv(tmp_path / "fast.csv"))


def test_service_answers_with_the_trees_reasons(credit_trees, credit):
    case, folder = credit_trees
    bundle = load_bundle(folder)
    rows = credit.drop(columns="Status").head(8)
    answer = TestClient(make_app(bundle)).post("/score", json={"records": json.loads(rows.to_json(orient="records"))})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    np.testing.assert_allclose([r["score"] for r in results], case.model.predict_proba(rows)[:, 1], rtol=1e-9)
    assert all(isinstance(r["reasons"], list) for r in results) and any(r["reasons"] for r in results)


def test_multiclass_trees_reasons_add_up_to_the_predicted_class_score():
    liver = load_hepatic_injury()
    case = run_multiclass_case(liver, "class", TriageParams(models=["gbdt"], cross_validate=False), seed=0)
    assert case.model_name == "boosted-tree model"
    rows = case.X_test.head(10)
    chosen = case.model.predict_proba(rows).argmax(axis=1)
    base = baseline_inputs(case.model, case.X_train)
    att = attributions(case.model, rows, base, output=chosen)
    raw, base_raw = case.model._raw(rows), case.model._raw(None, base[None])[0]
    np.testing.assert_allclose(att.sum(axis=1), raw[np.arange(10), chosen] - base_raw[chosen], atol=1e-9)


def test_a_project_can_choose_the_tabm_ensemble_and_ship_it(tmp_path):
    "`models: [tabm]`: the deep ensemble is fitted, chosen, bundled, scored by the CLI with reasons."
    from lepton_nb.datasets import load_breast_cancer
    cancer = load_breast_cancer()
    case = run_binary_case(cancer, "diagnosis", "malignant", BinaryParams(models=["tabm"], cross_validate=False), seed=0)
    assert case.model_name == "deep ensemble (TabM)" and case.metrics["test_auc"] > 0.95
    assert "boosted-tree model (reference)" in case.comparison.index  # the trees still shown beside it
    folder = save_bundle(case.model, tmp_path / "model", case.X_train, cutoff=case.cutoff, positive="malignant",
                         classes=["benign", "malignant"], baseline=baseline_inputs(case.model, case.X_train))
    rows = cancer.drop(columns="diagnosis").head(20)
    scored = _cli_scores(folder, rows, tmp_path)
    np.testing.assert_allclose(scored.score, case.model.predict_proba(rows)[:, 1], rtol=1e-5)
    assert scored.reason_1.notna().any()
