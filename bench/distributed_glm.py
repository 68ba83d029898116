"""Distributed full-batch GLM benchmark (issue 13, bench (a)).

1M x 50 dense float64 L2 logistic regression (no intercept) on a 2-worker
LocalCluster (processes, 1 thread each) of this machine:

* fastopt.distributed.LogisticRegression, solver lbfgs and newton;
* dask-glm's lbfgs (same objective: sum of losses + lamduh ||w||^2 / 2 with
  lamduh = n l2, pgtol = n gtol) and newton (dask-glm's newton has no
  regularizer: the unregularised optimum), run with /work/refenv/bin/python
  (where dask-glm lives) in a subprocess that builds the same cluster and the
  same data (dask.array.random.RandomState(0), same dask version);
* single process: fastopt (fastopt.distributed.LogisticRegression on the
  numpy array: fastopt.glm's kernel on 2 threads + fastopt.minimize's
  L-BFGS) and scipy's L-BFGS-B on a numpy objective (BLAS matrix products).

Each timing is the min of --repeat runs; the blocks are persisted on the
workers before timing (for both libraries).  The objective value each run
reaches, F(w) = mean logistic loss + l2/2 ||w||^2, is printed beside it.

    PYTHONPATH=$PWD python bench/distributed_glm.py [--rows 1000000] [--repeat 3]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

L2 = 1e-4
GTOL = 1e-5
CHUNKS = 8
REFPY = "/work/refenv/bin/python"


def make_data(n, d):
    import dask.array as da

    rs = da.random.RandomState(0)
    X = rs.standard_normal((n, d), chunks=(n // CHUNKS, d))
    w_true = np.linspace(-1.0, 1.0, d)
    p = 1.0 / (1.0 + da.exp(-(X @ w_true)))
    y = (rs.random_sample(n, chunks=n // CHUNKS) < p).astype(np.float64)
    return X, y


def objective(X, y, w):
    m = X @ w
    return float(np.mean(np.logaddexp(0.0, m) - y * m) + 0.5 * L2 * np.dot(w, w))


def cluster():
    from distributed import Client, LocalCluster

    cl = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None)
    return cl, Client(cl)


def timed(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run_dask_glm(n, d, repeat):
    """In refenv: dask-glm lbfgs and newton; prints one JSON line."""
    from dask_glm.algorithms import lbfgs, newton

    cl, client = cluster()
    X, y = make_data(n, d)
    X, y = client.persist([X, y])
    from distributed import wait
    wait([X, y])
    t_l, w_l = timed(lambda: lbfgs(X, y, regularizer="l2", lamduh=n * L2, tol=n * GTOL,
                                   max_iter=200), repeat)
    t_n, w_n = timed(lambda: newton(X, y, max_iter=50, tol=1e-8), repeat)
    print(json.dumps({"lbfgs": t_l, "w_lbfgs": np.asarray(w_l).tolist(),
                      "newton": t_n, "w_newton": np.asarray(w_n).tolist()}))
    client.close()
    cl.close()


class _Rows(list):
    """The table's rows, each also printed to stderr as soon as it is measured."""

    def append(self, row):
        super().append(row)
        print(f"{row[0]}: {row[1]:.2f} s, {row[2]} iterations, F = {row[3]:.10f}",
              file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-ref", type=int, default=None,
                    help="repeats for dask-glm (default: --repeat)")
    ap.add_argument("--dask-glm", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--skip-dask-glm", action="store_true")
    a = ap.parse_args()
    if a.dask_glm:
        return run_dask_glm(a.rows, a.cols, a.repeat)
    from distributed import wait
    import scipy.optimize

    from fastopt.distributed import LogisticRegression

    rows = _Rows()
    print("uptime:", os.popen("uptime").read().strip(), file=sys.stderr)
    cl, client = cluster()
    X, y = make_data(a.rows, a.cols)
    X, y = client.persist([X, y])
    wait([X, y])
    Xn, yn = X.compute(), y.compute()
    for solver in ("lbfgs", "newton"):
        est = LogisticRegression(l2=L2, fit_intercept=False, solver=solver, tol=GTOL,
                                 max_iter=200, client=client)
        t, est = timed(lambda: est.fit(X, y), a.repeat)
        rows.append((f"fastopt.distributed {solver}, 2 workers", t, est.n_iter_,
                     objective(Xn, yn, est.coef_)))
    client.close()
    cl.close()
    if not a.skip_dask_glm:
        env = dict(os.environ, PYTHONPATH="")
        out = subprocess.run([REFPY, os.path.abspath(__file__), "--dask-glm", "--rows",
                              str(a.rows), "--cols", str(a.cols), "--repeat",
                              str(a.repeat_ref or a.repeat)],
                             capture_output=True, text=True, env=env, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(("dask-glm lbfgs, 2 workers", r["lbfgs"], None,
                     objective(Xn, yn, np.array(r["w_lbfgs"]))))
        rows.append(("dask-glm newton (no L2), 2 workers", r["newton"], None,
                     objective(Xn, yn, np.array(r["w_newton"]))))
    est = LogisticRegression(l2=L2, fit_intercept=False, tol=GTOL, max_iter=200)
    t, est = timed(lambda: est.fit(Xn, yn), a.repeat)
    rows.append(("fastopt single process lbfgs (2 threads)", t, est.n_iter_,
                 objective(Xn, yn, est.coef_)))
    n = Xn.shape[0]

    def fg(w):
        m = Xn @ w
        e = np.exp(-np.abs(m))
        f = np.sum(np.maximum(m, 0) + np.log1p(e) - yn * m) / n + 0.5 * L2 * (w @ w)
        p = np.where(m >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return f, Xn.T @ (p - yn) / n + L2 * w

    t, res = timed(lambda: scipy.optimize.minimize(fg, np.zeros(Xn.shape[1]), jac=True,
                                                   method="L-BFGS-B",
                                                   options={"gtol": GTOL, "maxiter": 200}),
                   a.repeat)
    rows.append(("scipy L-BFGS-B single process (numpy/BLAS)", t, res.nit,
                 objective(Xn, yn, res.x)))
    print("uptime:", os.popen("uptime").read().strip(), file=sys.stderr)
    print(f"| {a.rows} x {a.cols} dense, L2 logistic | seconds (min of {a.repeat}) | "
          "iterations | F at the result |")
    print("|---|---:|---:|---:|")
    for name, t, it, f in rows:
        print(f"| {name} | {t:.2f} | {'' if it is None else it} | {f:.10f} |")


if __name__ == "__main__":
    main()
