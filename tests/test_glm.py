"""fastopt.glm's C kernels against their numpy twins (tests/reference_glm.py),
and OWL-QN (fastopt.minimize method="owlqn") against independent optima."""
import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

import fastopt
import fastopt.glm as G
from fastopt.minimize.owlqn import pseudo_gradient
import reference_glm as R

LOSSES = ["logistic", "squared", "poisson"]


def make(n, d, loss, dtype=np.float64, seed=0, density=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < density)
    X = X.astype(dtype)
    m = X.astype(float) @ rng.standard_normal(d) * 0.3
    if loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-m))).astype(float)
    elif loss == "poisson":
        y = rng.poisson(np.exp(np.clip(m, -3, 3))).astype(float)
    else:
        y = m + rng.standard_normal(n)
    return X, y, rng


def layouts(X, kind):
    if kind == "dense":
        return X
    A = sp.csr_matrix(X)
    if kind == "csr64":
        A.indices = A.indices.astype(np.int64)
        A.indptr = A.indptr.astype(np.int64)
    return A


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["dense", "csr32", "csr64"])
@pytest.mark.parametrize("n,d", [(1, 1), (7, 13), (4099, 5)])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_grad_hessp_match_numpy_twin(loss, dtype, kind, n, d, fit_intercept, weighted):
    X, y, rng = make(n, d, loss, dtype, density=0.6)
    w = rng.standard_normal(d + fit_intercept) * 0.2
    v = rng.standard_normal(d + fit_intercept)
    sw = rng.random(n) * 2 if weighted else None
    A = layouts(X, kind)
    f, g = G.loss_grad(w, A, y, loss, sample_weight=sw, fit_intercept=fit_intercept)
    fr, gr = R.loss_grad(w, X, y, loss, sw, fit_intercept)
    assert g.dtype == np.float64 and g.shape == w.shape
    np.testing.assert_allclose(f, fr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, gr, rtol=1e-11, atol=1e-11 * max(1.0, np.abs(gr).max()))
    h = G.hessp(w, v, A, loss, sample_weight=sw, fit_intercept=fit_intercept)
    hr = R.hessp(w, v, X, loss, sw, fit_intercept)
    np.testing.assert_allclose(h, hr, rtol=1e-11, atol=1e-11 * max(1.0, np.abs(hr).max()))


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("kind", ["dense", "csr32"])
def test_bitwise_identical_for_every_thread_count(loss, kind):
    X, y, rng = make(30011, 17, loss, density=0.5)
    A = layouts(X, kind)
    w = rng.standard_normal(18) * 0.1
    v = rng.standard_normal(18)
    assert G.n_chunks(30011, 17) > 4       # several chunks, so threads share them
    f1, g1 = G.loss_grad(w, A, y, loss, fit_intercept=True, n_threads=1)
    h1 = G.hessp(w, v, A, loss, fit_intercept=True, n_threads=1)
    for nt in (2, 3, 8):
        f, g = G.loss_grad(w, A, y, loss, fit_intercept=True, n_threads=nt)
        assert f == f1 and np.array_equal(g, g1)
        assert np.array_equal(G.hessp(w, v, A, loss, fit_intercept=True, n_threads=nt), h1)


def test_hessp_is_the_derivative_of_the_gradient():
    X, y, rng = make(500, 6, "logistic")
    w, v = rng.standard_normal(7) * 0.3, rng.standard_normal(7)
    eps = 1e-6
    fd = (G.loss_grad(w + eps * v, X, y, fit_intercept=True)[1]
          - G.loss_grad(w - eps * v, X, y, fit_intercept=True)[1]) / (2 * eps)
    np.testing.assert_allclose(G.hessp(w, v, X, fit_intercept=True), fd, rtol=1e-6)


def test_blocks_add_up_and_inputs_are_untouched_and_read_only_ok():
    X, y, rng = make(1000, 4, "squared")
    w = rng.standard_normal(5)
    X.flags.writeable = False
    y.flags.writeable = False
    keep = X.copy(), y.copy()
    f, g = G.loss_grad(w, X, y, "squared", fit_intercept=True)
    fa, ga = G.loss_grad(w, X[:600], y[:600], "squared", fit_intercept=True)
    fb, gb = G.loss_grad(w, X[600:], y[600:], "squared", fit_intercept=True)
    np.testing.assert_allclose(fa + fb, f, rtol=1e-13)
    np.testing.assert_allclose(ga + gb, g, rtol=1e-12)
    assert np.array_equal(X, keep[0]) and np.array_equal(y, keep[1])


def test_zero_rows_and_zero_features():
    f, g = G.loss_grad(np.zeros(3), np.zeros((0, 3)), np.zeros(0))
    assert f == 0.0 and np.array_equal(g, np.zeros(3))
    f, g = G.loss_grad(np.array([0.5]), np.zeros((4, 0)), np.array([0, 1, 1, 0.0]),
                       fit_intercept=True)
    fr, gr = R.loss_grad(np.array([0.5]), np.zeros((4, 0)), np.array([0, 1, 1, 0.0]),
                         "logistic", fit_intercept=True)
    assert f == pytest.approx(fr) and g == pytest.approx(gr)


def test_bad_input_names_the_argument():
    X, y, _ = make(10, 3, "logistic")
    w = np.zeros(3)
    with pytest.raises(ValueError, match="loss"):
        G.loss_grad(w, X, y, "hinge")
    with pytest.raises(ValueError, match="w must have shape"):
        G.loss_grad(np.zeros(4), X, y)
    with pytest.raises(ValueError, match="y must have shape"):
        G.loss_grad(w, X, y[:5])
    with pytest.raises(ValueError, match="y must lie in"):
        G.loss_grad(w, X, y * 2)
    with pytest.raises(ValueError, match="y must be >= 0"):
        G.loss_grad(w, X, -y, "poisson")
    with pytest.raises(ValueError, match="sample_weight"):
        G.loss_grad(w, X, y, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="C-contiguous"):
        G.loss_grad(w, np.asfortranarray(X), y)
    with pytest.raises(TypeError, match="float32 or float64"):
        G.loss_grad(w, X.astype(int), y)
    with pytest.raises(TypeError, match="CSR"):
        G.loss_grad(w, sp.coo_matrix(X), y)
    with pytest.raises(ValueError, match="v must have shape"):
        G.hessp(w, np.zeros(2), X)
    A = sp.csr_matrix(X)
    A.indices[3] = 7                       # a column outside [0, 3)
    with pytest.raises(IndexError, match="row"):
        G.loss_grad(w, A, y)
    B = sp.csr_matrix(X)
    B.indptr[4] = 10 ** 6                  # points past the stored entries
    with pytest.raises(ValueError, match="indptr"):
        G.loss_grad(w, B, y)


def test_lazy_attribute():
    assert fastopt.glm is G
    assert "glm" in fastopt.__all__


# ---- OWL-QN --------------------------------------------------------------------

def test_owlqn_soft_threshold_exact():
    a = np.array([3.0, -0.5, 0.2, -2.0, 0.0])
    res = fastopt.minimize(lambda x: (0.5 * np.sum((x - a) ** 2), x - a), np.zeros(5),
                           jac=True, method="owlqn", options={"l1": 1.0, "gtol": 1e-12})
    assert res.success
    np.testing.assert_allclose(res.x, np.sign(a) * np.maximum(np.abs(a) - 1.0, 0.0),
                               atol=1e-10)
    assert res.x[1] == 0.0 and res.x[2] == 0.0        # exact zeros, not tiny values
    assert res.fun == pytest.approx(0.5 * np.sum((res.x - a) ** 2) + np.abs(res.x).sum())


def _split_variable_optimum(X, y, lam, pen):
    """min sum loss(w) + sum lam pen_i |w_i| by L-BFGS-B on w = u - v, u, v >= 0."""
    d = X.shape[1]

    def fg(z):
        w = z[:d] - z[d:]
        f, g = R.loss_grad(w, X, y, "logistic")
        return f + lam * np.dot(pen, z[:d] + z[d:]), np.concatenate([g + lam * pen,
                                                                     -g + lam * pen])

    res = scipy.optimize.minimize(fg, np.zeros(2 * d), jac=True, method="L-BFGS-B",
                                  bounds=[(0, None)] * (2 * d),
                                  options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 5000})
    return res.x[:d] - res.x[d:], res.fun


@pytest.mark.parametrize("lam", [0.5, 5.0, 40.0])
def test_owlqn_l1_logistic_matches_split_variable_lbfgsb(lam):
    X, y, _ = make(400, 12, "logistic", seed=3)
    X = np.column_stack([X, np.ones(400)])        # an intercept column, unpenalised
    pen = np.r_[np.ones(12), 0.0]
    w_ref, F_ref = _split_variable_optimum(X, y, lam, pen)
    res = fastopt.minimize(lambda w: G.loss_grad(w, X, y), np.zeros(13), jac=True,
                           method="owlqn", options={"l1": lam * pen, "gtol": 1e-9, "ftol": 0})
    assert res.success, res.message
    assert res.fun <= F_ref + 1e-8 * abs(F_ref)
    np.testing.assert_allclose(res.x, w_ref, atol=2e-5)
    # the zeros are exact, and where the reference has them
    assert np.array_equal(res.x == 0, np.abs(w_ref) < 1e-7)
    # at the limit of float64 in F (about 200 here): a pseudo-gradient near 0
    assert np.max(np.abs(pseudo_gradient(res.x, res.jac, lam * pen))) <= 1e-5


def test_owlqn_matches_sklearn_liblinear_l1():
    sklearn = pytest.importorskip("sklearn.linear_model")
    from sklearn import __version__

    X, y, _ = make(300, 8, "logistic", seed=5)
    C = 0.05
    # sklearn 1.8 deprecated penalty= for l1_ratio=
    l1 = ({"l1_ratio": 1.0} if tuple(int(p) for p in __version__.split(".")[:2]) >= (1, 8)
          else {"penalty": "l1"})
    clf = sklearn.LogisticRegression(**l1, C=C, solver="liblinear",
                                     fit_intercept=False, tol=1e-10, max_iter=10000).fit(X, y)
    res = fastopt.minimize(lambda w: G.loss_grad(w, X, y), np.zeros(8), jac=True,
                           method="owlqn", options={"l1": 1.0 / C, "gtol": 1e-10, "ftol": 0})
    np.testing.assert_allclose(res.x, clf.coef_.ravel(), atol=1e-4)


def test_owlqn_without_l1_is_lbfgs_optimum():
    X, y, _ = make(300, 5, "logistic", seed=1)
    a = fastopt.minimize(lambda w: G.loss_grad(w, X, y), np.zeros(5), jac=True,
                         method="owlqn", options={"gtol": 1e-10, "ftol": 0})
    b = fastopt.minimize(lambda w: G.loss_grad(w, X, y), np.zeros(5), jac=True,
                         method="lbfgs", options={"gtol": 1e-10, "ftol": 0})
    np.testing.assert_allclose(a.x, b.x, atol=1e-8)


def test_owlqn_options_and_callback():
    q = (lambda x: (float(np.sum((x - 1) ** 2)), 2 * (x - 1)))
    with pytest.raises(ValueError, match="l1"):
        fastopt.minimize(q, np.zeros(3), jac=True, method="owlqn", options={"l1": -1.0})
    with pytest.raises(ValueError, match="l1"):
        fastopt.minimize(q, np.zeros(3), jac=True, method="owlqn", options={"l1": [1, 2]})

    def stop(xk):
        raise StopIteration

    res = fastopt.minimize(q, np.zeros(3), jac=True, method="owlqn", callback=stop,
                           options={"l1": 0.1})
    assert res.status == 99 and res.nit == 1
    res = fastopt.minimize(q, np.zeros(3), jac=True, method="owlqn",
                           options={"l1": 0.1, "maxiter": 1, "gtol": 0})
    assert res.status == 1 and res.nit == 1
