"""fastopt.distributed's full-batch solvers and GLM estimators on a
LocalCluster (processes, 1 thread per worker; small data): equal to the
single-process results, bitwise the same for 1, 2 and 4 workers, unchanged by
a worker killed mid-fit; scikit-learn's optima; bad input named."""
import os
import signal
import sys
import time
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp

from subproc import run_python

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import fastopt  # noqa: E402
import fastopt.distributed as fd  # noqa: E402
import fastopt.glm as G  # noqa: E402

N, D, CHUNK = 3000, 6, 400        # 8 row blocks (the last one shorter)


def logistic_hessp(w, v, Xb, yb):
    return G.hessp(w, v, Xb, "logistic")


def make_logistic(seed=0, n=N, d=D):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ np.linspace(-1, 1, d) + 0.3)))).astype(float)
    return X, y


@pytest.fixture(scope="module")
def client():
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def scale_to(client, n):
    client.cluster.scale(n)
    deadline = time.time() + 60
    while len(client.scheduler_info()["workers"]) != n:
        assert time.time() < deadline, "the cluster did not reach its worker count"
        time.sleep(0.1)


def dask_data(X, y, chunk=CHUNK):
    return da.from_array(X, chunks=(chunk, X.shape[1])), da.from_array(y, chunks=chunk)


FB = partial(G.loss_grad, loss="logistic")


def fits(client):
    """Everything whose bits must not depend on the worker count."""
    X, y = make_logistic()
    Xd, yd = dask_data(X, y)
    out = []
    for kw in ({"l2": 1e-2}, {"l2": 1e-2, "solver": "newton"}, {"l1": 1e-2},
               {"l2": 1e-2, "warm_start": "ftrl"}):
        m = fd.LogisticRegression(client=client, max_iter=6, **kw).fit(Xd, yd)
        out.append(np.append(m.coef_, m.intercept_))
    it = {"maxiter": 6}
    for method in ("lbfgs", "cg"):
        out.append(fd.minimize(FB, np.zeros(D), (Xd, yd), method=method, client=client,
                               options=it).x)
    out.append(fd.minimize(FB, np.zeros(D), (Xd, yd), method="newton", client=client,
                           hessp_block=logistic_hessp, options=it).x)
    out.append(fd.minimize(FB, np.zeros(D), (Xd, yd), method="owlqn", client=client,
                           options=dict(it, l1=20.0)).x)
    out.append(fd.minimize(FB, np.zeros(D), (Xd, yd), method="lbfgs", client=client,
                           reduce="tree", options=it).x)
    return out


def test_bitwise_same_for_4_2_1_workers_and_both_reductions(client):
    scale_to(client, 4)
    ref = fits(client)
    assert np.array_equal(ref[4], ref[-1])        # reduce="tree" == reduce="driver"
    for k in (2, 1):
        scale_to(client, k)
        got = fits(client)
        for a, b in zip(ref, got):
            assert np.array_equal(a, b), (k, a, b)
    scale_to(client, 4)


@pytest.mark.parametrize("method", ["lbfgs", "bfgs", "cg", "newton", "owlqn",
                                    "proximal_gradient"])
def test_minimize_equals_single_process_on_concatenated_rows(client, method):
    # the same iterations on the same objective: after a fixed number of them,
    # x agrees to round-off (the sums differ only in their order)
    X, y = make_logistic(1)
    Xd, yd = dask_data(X, y)
    opts = {"maxiter": 8, "gtol": 0.0}
    kw = {}
    if method == "owlqn":
        opts.update(l1=15.0)
    if method == "newton":
        opts = {"maxiter": 4, "xtol": 0.0}
        kw["hessp"] = lambda w, v: G.hessp(w, v, X)
    if method == "proximal_gradient":
        opts.update(prox="l1", lam=15.0)
    local = fastopt.minimize(lambda w: G.loss_grad(w, X, y), np.zeros(D), jac=True,
                             method=method, options=dict(opts), **kw)
    dist = fd.minimize(FB, np.zeros(D), (Xd, yd), method=method, client=client,
                       options=dict(opts),
                       hessp_block=logistic_hessp if method == "newton" else None)
    assert dist.n_blocks == 8 and dist.nit == local.nit > 1
    assert dist.rounds >= dist.nfev >= 1
    np.testing.assert_allclose(dist.x, local.x, rtol=1e-9, atol=1e-12)
    assert dist.fun == pytest.approx(local.fun, rel=1e-12)


def test_one_block_is_bitwise_the_in_process_fit(client):
    X, y = make_logistic(2)
    Xd, yd = dask_data(X, y, chunk=N)
    for kw in ({"l2": 1e-3}, {"l1": 1e-3}):
        a = fd.LogisticRegression(client=client, **kw).fit(Xd, yd)
        b = fd.LogisticRegression(**kw).fit(X, y)
        assert np.array_equal(a.coef_, b.coef_) and a.intercept_ == b.intercept_


def test_many_blocks_equal_in_process_fit_to_round_off(client):
    X, y = make_logistic(3)
    Xd, yd = dask_data(X, y)
    a = fd.LogisticRegression(l2=1e-3, tol=1e-10, client=client).fit(Xd, yd)
    b = fd.LogisticRegression(l2=1e-3, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)
    assert a.score(Xd, yd) == b.score(X, y)
    np.testing.assert_allclose(a.predict_proba(Xd).compute(), b.predict_proba(X), atol=1e-8)
    assert np.array_equal(a.predict(Xd).compute(), b.predict(X))


def test_sparse_blocks_equal_dense_blocks(client):
    X, y = make_logistic(4)
    X[np.abs(X) < 0.7] = 0.0
    Xd, yd = dask_data(X, y)
    Xs = Xd.map_blocks(sp.csr_matrix, meta=sp.csr_matrix((0, D)))
    a = fd.LogisticRegression(l2=1e-3, tol=1e-10, client=client).fit(Xs, yd)
    b = fd.LogisticRegression(l2=1e-3, tol=1e-10, client=client).fit(Xd, yd)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)
    c = fd.LinearRegression(l2=1e-3, client=client).fit(Xs, yd)
    d = fd.LinearRegression(l2=1e-3).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(c.coef_, d.coef_, atol=1e-8)


def test_killed_worker_mid_fit_gives_the_same_bits(client):
    scale_to(client, 2)
    X, y = make_logistic(5)
    Xd, yd = dask_data(X, y)
    opts = {"gtol": 1e-9, "ftol": 0}
    ref = fd.minimize(FB, np.zeros(D), (Xd, yd), client=client, options=opts)
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(xk):
        if not killed:
            os.kill(pids[0], signal.SIGKILL)    # a worker process dies mid-fit
            killed.append(pids[0])

    got = fd.minimize(FB, np.zeros(D), (Xd, yd), client=client, options=opts,
                      callback=kill_one)
    assert killed and got.nit > 1
    assert np.array_equal(got.x, ref.x) and got.fun == ref.fun and got.nit == ref.nit
    scale_to(client, 4)


def test_warm_start_ftrl_reaches_the_same_optimum(client):
    X, y = make_logistic(6)
    Xd, yd = dask_data(X, y)
    cold = fd.LogisticRegression(l2=1e-2, tol=1e-10).fit(X, y)
    warm = fd.LogisticRegression(l2=1e-2, tol=1e-10, warm_start="ftrl").fit(X, y)
    dwarm = fd.LogisticRegression(l2=1e-2, tol=1e-10, warm_start="ftrl",
                                  client=client).fit(Xd, yd)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-7)
    np.testing.assert_allclose(dwarm.coef_, cold.coef_, atol=1e-7)
    assert warm.n_iter_ <= cold.n_iter_


# ---- single process: against scikit-learn and closed forms ---------------------

def test_l2_logistic_matches_sklearn():
    lm = pytest.importorskip("sklearn.linear_model")
    X, y = make_logistic(7)
    l2 = 1e-2
    ours = fd.LogisticRegression(l2=l2, tol=1e-10).fit(X, y)
    ref = lm.LogisticRegression(C=1.0 / (N * l2), tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert ours.intercept_[0] == pytest.approx(ref.intercept_[0], abs=1e-6)
    newton = fd.LogisticRegression(l2=l2, tol=1e-10, solver="newton").fit(X, y)
    np.testing.assert_allclose(newton.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert list(ours.classes_) == [0.0, 1.0]


def test_string_labels_and_l1_solvers_agree():
    X, y = make_logistic(8)
    labels = np.where(y > 0, "spam", "ham")
    a = fd.LogisticRegression(l1=0.1, tol=1e-9, max_iter=5000).fit(X, labels)
    b = fd.LogisticRegression(l1=0.1, tol=1e-9, solver="fista", max_iter=20000).fit(X, labels)
    assert list(a.classes_) == ["ham", "spam"] and a.result_.success
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-5)
    assert np.sum(a.coef_ == 0) >= 1                 # L1 gives exact zeros
    assert set(a.predict(X)) <= {"ham", "spam"}


def test_ridge_closed_form_and_poisson_matches_sklearn():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((500, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 3.0 + rng.standard_normal(500)
    l2 = 0.1
    m = fd.LinearRegression(l2=l2, tol=1e-11).fit(X, y)
    Xc, yc = X - X.mean(0), y - y.mean()
    coef = np.linalg.solve(Xc.T @ Xc / 500 + l2 * np.eye(4), Xc.T @ yc / 500)
    np.testing.assert_allclose(m.coef_, coef, atol=1e-8)
    assert m.intercept_ == pytest.approx(y.mean() - X.mean(0) @ coef, abs=1e-8)
    assert m.score(X, y) > 0.8
    lm = pytest.importorskip("sklearn.linear_model")
    counts = rng.poisson(np.exp(X @ np.array([0.3, -0.2, 0.1, 0.0]) + 0.5)).astype(float)
    p = fd.PoissonRegression(l2=0.01, tol=1e-11).fit(X, counts)
    ref = lm.PoissonRegressor(alpha=0.01, tol=1e-12, max_iter=10000).fit(X, counts)
    np.testing.assert_allclose(p.coef_, ref.coef_, atol=1e-6)
    assert p.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    np.testing.assert_allclose(p.predict(X), ref.predict(X), rtol=1e-5)
    assert p.score(X, counts) == pytest.approx(ref.score(X, counts), abs=1e-6)


def test_params_roundtrip():
    m = fd.LogisticRegression(l2=0.5)
    assert m.get_params()["l2"] == 0.5 and m.get_params()["solver"] == "auto"
    assert m.set_params(l1=0.1, solver="owlqn") is m and m.l1 == 0.1
    with pytest.raises(ValueError, match="invalid parameter 'C'"):
        m.set_params(C=1.0)
    assert "l1=0.1" in repr(m)


# ---- bad input ----------------------------------------------------------------

def test_bad_parameters_are_named():
    X, y = make_logistic(10, n=50)
    for kw, pat in (({"l2": -1}, "l2"), ({"l1": float("nan")}, "l1"), ({"tol": 0}, "tol"),
                    ({"max_iter": 0}, "max_iter"), ({"solver": "sag"}, "solver"),
                    ({"l1": 0.1, "solver": "lbfgs"}, "solver='lbfgs' cannot handle l1"),
                    ({"warm_start": True}, "warm_start"),
                    ({"fit_intercept": 1}, "fit_intercept")):
        with pytest.raises((ValueError, TypeError), match=pat):
            fd.LogisticRegression(**kw).fit(X, y)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        fd.LogisticRegression().fit(X, np.arange(50) % 3)
    with pytest.raises(ValueError, match=r"y must have shape \(50,\)"):
        fd.LogisticRegression().fit(X, y[:40])
    with pytest.raises(ValueError, match="y must be >= 0"):
        fd.PoissonRegression().fit(X, -np.ones(50))
    with pytest.raises(AttributeError, match="not fitted"):
        fd.LinearRegression().predict(X)
    with pytest.raises(ValueError, match="6 columns"):
        fd.LinearRegression().fit(X, y).predict(X[:, :3])


def test_a_failed_refit_changes_nothing():
    X, y = make_logistic(12, n=80)
    m = fd.LogisticRegression(l2=0.1).fit(X, np.where(y > 0, 5, 3))
    before = (m.coef_.copy(), m.intercept_, m.classes_.copy())
    for bad_y in (np.arange(80) % 3, np.where(y > 0, 7.0, np.nan)[:79]):
        with pytest.raises(ValueError):
            m.fit(X, bad_y)
        assert np.array_equal(m.coef_, before[0]) and m.intercept_ == before[1]
        assert list(m.classes_) == [3, 5]


def test_bad_dask_input_is_named(client):
    X, y = make_logistic(11)
    Xd, yd = dask_data(X, y)
    with pytest.raises(ValueError, match=r"X must be chunked by rows only.*rechunk"):
        fd.LogisticRegression(client=client).fit(Xd.rechunk((CHUNK, 3)), yd)
    with pytest.raises(ValueError, match="y has row chunks"):
        fd.LogisticRegression(client=client).fit(Xd, yd.rechunk(500))
    with pytest.raises(TypeError, match="y must be a dask.array.Array"):
        fd.LogisticRegression(client=client).fit(Xd, y)
    with pytest.raises(ValueError, match="y must be 1-D"):
        fd.LogisticRegression(client=client).fit(Xd, Xd)
    with pytest.raises(ValueError, match="sample_weight has row chunks"):
        fd.LinearRegression(client=client).fit(Xd, yd, sample_weight=yd.rechunk(300))
    with pytest.raises(TypeError, match="data must be a non-empty tuple"):
        fd.minimize(FB, np.zeros(D), [Xd, yd], client=client)
    with pytest.raises(ValueError, match=r"data\[0\] must be chunked by rows only"):
        fd.minimize(FB, np.zeros(D), (Xd.rechunk((CHUNK, 2)), yd), client=client)
    with pytest.raises(ValueError, match="method must be one of"):
        fd.minimize(FB, np.zeros(D), (Xd, yd), method="nelder-mead", client=client)
    with pytest.raises(ValueError, match="hessp_block is used by method='newton'"):
        fd.minimize(FB, np.zeros(D), (Xd, yd), client=client, hessp_block=logistic_hessp)
    with pytest.raises(ValueError, match=r"w must have shape \(6,\)"):
        fd.minimize(FB, np.zeros(4), (Xd, yd), client=client)
    with pytest.raises(TypeError, match="client must be a distributed.Client"):
        fd.minimize(FB, np.zeros(D), (Xd, yd), client="tcp://nowhere:1")


# ---- packaging ----------------------------------------------------------------

def test_import_fastopt_never_imports_dask():
    res = run_python("""
        import sys, fastopt, fastopt.glm, fastopt.minimize
        bad = [m for m in ("dask", "distributed") if m in sys.modules]
        print("loaded:", bad)
    """)
    assert res.returncode == 0, res.stderr
    assert "loaded: []" in res.stdout


def test_without_dask_the_error_names_the_extra():
    res = run_python("""
        import sys
        sys.modules["distributed"] = None      # as if it were not installed
        try:
            import fastopt.distributed
        except ImportError as e:
            print("ImportError:", e)
    """)
    assert res.returncode == 0, res.stderr
    assert 'pip install "fastopt[dask]"' in res.stdout
