"""fastopt.online's Python API costs (issue 12 item 8), recorded in
bench/README.md ("Online learners: Python API"):

1. learn_one / predict_proba_one per-call overhead (us/call) on feature
   dicts, against partial_fit one row at a time and river's
   LogisticRegression.learn_one / predict_proba_one on the same stream (river: another
   algorithm, plain SGD; only the per-call cost is compared).
2. One-vs-rest: one fit of K classes (the C loop trains the K models on
   each row in one pass) against K separate binary fits on y == k -- the
   same K models bit for bit (tests/test_online_api.py).

    PYTHONPATH=$PWD python bench/online_api.py [--rows 200000] [--calls 20000]

Single-threaded (n_threads=1); min of --repeat runs.
"""
import argparse
import time

import numpy as np
import scipy.sparse as sp

from fastopt.online import FTRLClassifier


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def stream(calls, n_features=10, seed=0):
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(5000)]
    rows = [{names[j]: 1.0 for j in rng.integers(0, len(names), n_features)}
            for _ in range(calls)]
    ys = [bool(v) for v in rng.random(calls) < 0.3]
    return rows, ys


def per_call(calls, repeat):
    rows, ys = stream(calls)
    out = {}

    def learn():
        est = FTRLClassifier(bits=18)
        for x, y in zip(rows, ys):
            est.learn_one(x, y)
        return est
    out["learn_one"] = best(learn, repeat) / calls
    est = learn()
    out["predict_proba_one"] = best(lambda: [est.predict_proba_one(x) for x in rows],
                                    repeat) / calls
    out["predict_one"] = best(lambda: [est.predict_one(x) for x in rows], repeat) / calls

    from fastopt.vw import feature_index
    X = sp.csr_matrix((np.ones(sum(len(x) for x in rows)),
                       [feature_index(n) for x in rows for n in x],
                       np.cumsum([0] + [len(x) for x in rows])), shape=(calls, 1 << 18))
    Xr = [X[i:i + 1] for i in range(calls)]
    y = np.array(ys)

    def rowwise():
        e = FTRLClassifier()
        for i in range(calls):
            e.partial_fit(Xr[i], y[i:i + 1], classes=[False, True])
    out["partial_fit, 1 row"] = best(rowwise, repeat) / calls
    out["fit, whole stream (per row)"] = best(lambda: FTRLClassifier().fit(X, y),
                                              repeat) / calls
    try:
        from river import linear_model

        def river_learn():
            m = linear_model.LogisticRegression()
            for x, yy in zip(rows, ys):
                m.learn_one(x, yy)
            return m
        out["river LogisticRegression.learn_one"] = best(river_learn, repeat) / calls
        rm = river_learn()
        out["river LogisticRegression.predict_proba_one"] = best(
            lambda: [rm.predict_proba_one(x) for x in rows], repeat) / calls
    except ImportError:
        pass
    return out


def ovr(rows, k, repeat, d=1 << 18, nnz=30, seed=0):
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, d, rows * nnz)
    X = sp.csr_matrix((np.ones(rows * nnz), indices, np.arange(0, rows * nnz + 1, nnz)),
                      shape=(rows, d))
    y = rng.integers(0, k, rows)
    one = best(lambda: FTRLClassifier(l1=1.0).fit(X, y), repeat)
    sep = best(lambda: [FTRLClassifier(l1=1.0).fit(X, y == c) for c in range(k)], repeat)
    binary = best(lambda: FTRLClassifier(l1=1.0).fit(X, y == 0), repeat)
    return one, sep, binary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--calls", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"per call, {args.calls} calls of 10 features, min of {args.repeat}:")
    for name, sec in per_call(args.calls, args.repeat).items():
        print(f"| {name} | {sec * 1e6:.1f} us |")
    print(f"\none-vs-rest, {args.rows} rows x 30 features, 2^18 columns, l1=1:")
    print("| K | one OvR fit (s) | K binary fits (s) | one binary fit (s) |")
    for k in (3, 10):
        one, sep, binary = ovr(args.rows, k, args.repeat)
        print(f"| {k} | {one:.3f} | {sep:.3f} | {binary:.3f} |")


if __name__ == "__main__":
    main()
