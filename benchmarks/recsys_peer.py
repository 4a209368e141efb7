"""The peers' side of benchmarks/recsys.py, run in their own environment (.venv-recsys: scikit-surprise, implicit).

Reads the split benchmarks/recsys.py wrote (an .npz of user and item codes and ratings, train and test rows), and in
this order, each fit `repeats` times: scikit-surprise's `SVD()` with its defaults (the rating scale set to the data's
0.5–5; random_state=0 only fixes the initialisation), its predictions for the test pairs; the `implicit` library's
`AlternatingLeastSquares(factors=64, iterations=15)` on the training ratings ≥ 4, its top 10 for the evaluated users
with every training rating left out; the same at lepton_nb's ImplicitALS settings (30 iterations, regularization 30,
alpha 4: implicit's confidence alpha·r is lepton_nb's 1 + 3·r for 0/1 data). Writes predictions, lists and seconds to OUT.npz. Needs numpy, scipy and the two.

    .venv-recsys/bin/python benchmarks/recsys_peer.py SPLIT.npz OUT.npz [REPEATS]
"""
import os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit asks for it: its own threads do the work
import numpy as np
import scipy.sparse as sp


def surprise_svd(s, repeats:int) -> tuple[np.ndarray, list]:
    "Test predictions of SVD() and the seconds of each fit."
    from surprise import SVD, Dataset, Reader
    data = Dataset(Reader(rating_scale=(0.5, 5.0)))
    data.raw_ratings = [(int(u), int(i), float(r), None) for u, i, r in zip(s["train_user"], s["train_item"], s["train_rating"])]
    trainset = data.construct_trainset(data.raw_ratings)
    seconds = []
    for _ in range(repeats):
        model, start = SVD(random_state=0), time.perf_counter()
        model.fit(trainset)
        seconds.append(time.perf_counter() - start)
    return np.array([model.predict(int(u), int(i)).est for u, i in zip(s["test_user"], s["test_item"])]), seconds


def implicit_als(s, repeats:int, **settings) -> tuple[np.ndarray, list]:
    "Top 10 of AlternatingLeastSquares(factors=64, **settings) for the evaluated users, and each fit's seconds."
    from implicit.als import AlternatingLeastSquares
    shape = (int(s["n_users"]), int(s["n_items"]))
    liked = s["train_rating"] >= 4
    train = sp.csr_matrix((np.ones(liked.sum(), np.float32), (s["train_user"][liked], s["train_item"][liked])), shape=shape)
    seen = sp.csr_matrix((np.ones(len(s["train_user"]), np.float32), (s["train_user"], s["train_item"])), shape=shape)
    train.sum_duplicates(); seen.sum_duplicates()
    seconds = []
    for _ in range(repeats):
        model, start = AlternatingLeastSquares(factors=64, random_state=0, **settings), time.perf_counter()
        model.fit(train, show_progress=False)
        seconds.append(time.perf_counter() - start)
    users = s["eval_users"]
    recs, _ = model.recommend(users, seen[users], N=10, filter_already_liked_items=True)
    return recs, seconds


def main(split_path:str, out_path:str, repeats:int=3) -> None:
    s = np.load(split_path)
    svd_prediction, svd_seconds = surprise_svd(s, repeats)
    als_recs, als_seconds = implicit_als(s, repeats, iterations=15)
    tuned_recs, tuned_seconds = implicit_als(s, repeats, iterations=30, regularization=30.0, alpha=4.0)
    import implicit, surprise
    np.savez(out_path, svd_prediction=svd_prediction, svd_seconds=svd_seconds, als_recs=als_recs, als_seconds=als_seconds,
             tuned_recs=tuned_recs, tuned_seconds=tuned_seconds,
             versions=np.array([f"scikit-surprise {surprise.__version__}", f"implicit {implicit.__version__}"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
