"""fastopt.minimize through scipy.optimize.minimize's own calling conventions
(issue 14): each case makes the same call on both and compares the outcome --
result fields, exception types, warning categories."""
import warnings

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import OptimizeWarning, rosen, rosen_der, rosen_hess

import fastopt

SCIPY_NAME = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "cg": "CG", "newton": "Newton-CG"}
METHODS = list(SCIPY_NAME)


def both(fun, x0, method, **kw):
    """The same call on fastopt.minimize and scipy.optimize.minimize."""
    r = fastopt.minimize(fun, x0, method=method, **kw)
    s = so.minimize(fun, x0, method=SCIPY_NAME[method], **kw)
    return r, s


# ---- the two bugs at the top of the issue ------------------------------------------

def test_lbfgs_maxfun_stops_with_status_1():
    r, s = both(rosen, np.full(7, 1e3), "lbfgs", jac=rosen_der, options={"maxfun": 50})
    assert r.status == s.status == 1 and not r.success and not s.success
    assert r.message == s.message
    assert abs(r.nfev - s.nfev) <= 2


def test_bfgs_stiff_update_keeps_the_tiny_inverse_curvature():
    kw = dict(jac=lambda x: 2e30 * (x - 1), options={"gtol": 1e22})
    r, s = both(lambda x: 1e30 * (x[0] - 1) ** 2, [-1.0], "bfgs", **kw)
    np.testing.assert_allclose(r.x, [1.0])
    np.testing.assert_allclose(r.x, s.x)
    assert r.success == s.success and r.nit == s.nit
    assert r.hess_inv[0, 0] > 0


# ---- item 3: tol, x0 forms, NaN x0, a float gradient --------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("tol", [1e-2, 1e-10])
def test_tol_sets_the_options_scipy_sets(method, tol):
    names = {"bfgs": ("gtol",), "cg": ("gtol",), "lbfgs": ("ftol", "gtol"),
             "newton": ("xtol",)}[method]          # scipy's front end, Newton-CG for newton
    hess = rosen_hess if method == "newton" else None
    x0 = np.array([-1.2, 1.0])
    r, s = both(rosen, x0, method, jac=rosen_der, hess=hess, tol=tol)
    t = fastopt.minimize(rosen, x0, method=method, jac=rosen_der, hess=hess,
                         options={k: tol for k in names})
    np.testing.assert_array_equal(r.x, t.x)
    assert r.nit == t.nit and r.success and s.success
    if method != "newton":        # newton is a different (Cholesky) Newton from Newton-CG
        assert abs(r.nit - s.nit) <= 2
        np.testing.assert_allclose(r.x, s.x, atol=max(10 * np.sqrt(tol), 1e-4))


def test_tol_does_not_override_an_explicit_option():
    r = fastopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, tol=1e-1, options=dict(gtol=1e-8))
    s = so.minimize(rosen, [-1.2, 1.0], jac=rosen_der, tol=1e-1, options=dict(gtol=1e-8))
    assert r.nit == s.nit and np.abs(r.jac).max() <= 1e-8


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("x0", [3, 3.0, np.float64(3.0), np.array(3.0), [3]])
def test_scalar_x0_and_float_jac(method, x0):
    fun = lambda x: float((x[0] - 2) ** 2)          # noqa: E731
    jac = lambda x: 2 * (x[0] - 2)                   # a Python float  # noqa: E731
    hess = (lambda x: np.array([[2.0]])) if method == "newton" else None
    r, s = both(fun, x0, method, jac=jac, hess=hess)
    assert r.x.shape == s.x.shape == (1,)
    np.testing.assert_allclose(r.x, s.x, atol=1e-6)
    assert r.success and s.success


@pytest.mark.parametrize("method", METHODS)
def test_int_x0(method):
    hess = rosen_hess if method == "newton" else None
    r, s = both(rosen, np.array([-1, 2]), method, jac=rosen_der, hess=hess)
    assert r.x.dtype == s.x.dtype == np.float64
    np.testing.assert_allclose(r.x, s.x, atol=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_nan_in_x0_runs_and_fails_like_scipy(method):
    hess = rosen_hess if method == "newton" else None
    with np.errstate(all="ignore"):
        r, s = both(rosen, np.array([1.0, np.nan]), method, jac=rosen_der, hess=hess)
    assert r.status == s.status and r.success is s.success is False
    assert r.nit == s.nit == 0
    assert np.isnan(r.x[1]) and np.isnan(s.x[1])


# ---- item 4: finite differences, jac=True, newton's hess variants, eps arrays -------

@pytest.mark.parametrize("method", ["bfgs", "cg", "lbfgs"])
@pytest.mark.parametrize("jac", ["2-point", "3-point", "cs"])
def test_difference_gradients(method, jac):
    r, s = both(rosen, np.array([-1.2, 1.0]), method, jac=jac)
    assert r.success == s.success
    np.testing.assert_allclose(r.x, s.x, atol=1e-4)
    per = {"2-point": 2, "3-point": 2, "cs": 2}[jac]   # n f calls (2n for 3-point) + shared f
    if method != "lbfgs":
        assert abs(r.nit - s.nit) <= 3
    # scipy's counting: each gradient costs n (3-point: 2n) evaluations of f
    step = 2 * per if jac == "3-point" else per
    assert r.nfev >= step * r.njev and s.nfev >= step * s.njev


def test_difference_gradient_counts_equal_scipy_for_a_few_iterations():
    for jac in ["2-point", "3-point", "cs"]:
        r, s = both(rosen, np.array([-1.2, 1.0]), "bfgs", jac=jac, options=dict(maxiter=5))
        assert (r.nfev, r.njev, r.nit) == (s.nfev, s.njev, s.nit)
        np.testing.assert_allclose(r.x, s.x, rtol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_jac_true(method):
    fg = lambda x: (rosen(x), rosen_der(x))          # noqa: E731
    hess = rosen_hess if method == "newton" else None
    r, s = both(fg, np.array([-1.2, 1.0]), method, jac=True, hess=hess)
    assert r.success and s.success
    np.testing.assert_allclose(r.x, s.x, atol=1e-4)
    if method == "bfgs":
        assert (r.nit, r.nfev, r.njev) == (s.nit, s.nfev, s.njev)


@pytest.mark.parametrize("hess", ["2-point", "3-point", "cs", "BFGS", "SR1"])
def test_newton_hess_variants(hess):
    h1 = getattr(so, hess)() if hess in ("BFGS", "SR1") else hess
    h2 = getattr(so, hess)() if hess in ("BFGS", "SR1") else hess
    x0 = np.array([-1.2, 1.0])
    r = fastopt.minimize(rosen, x0, method="newton", jac=rosen_der, hess=h1)
    s = so.minimize(rosen, x0, method="Newton-CG", jac=rosen_der, hess=h2)
    assert r.success and s.success
    np.testing.assert_allclose(r.x, s.x, atol=1e-3)
    assert "nhev" in r and r.nhev > 0
    assert abs(r.nit - s.nit) <= max(3, 0.2 * s.nit)


def test_newton_hess_strategy_counts_like_scipy():
    x0 = np.array([-1.2, 1.0])
    r = fastopt.minimize(rosen, x0, method="newton", jac=rosen_der, hess=so.BFGS(),
                         options=dict(maxiter=5))
    s = so.minimize(rosen, x0, method="Newton-CG", jac=rosen_der, hess=so.BFGS(),
                    options=dict(maxiter=5))
    assert (r.nit, r.nhev) == (s.nit, s.nhev)
    assert r.nfev == r.njev and s.nfev == s.njev   # a gradient at every new point


def test_difference_hessian_needs_a_gradient():
    for call in (fastopt.minimize, so.minimize):
        with pytest.raises(ValueError, match="finite-differences"):
            call(rosen, [1.0, 2.0], method="newton" if call is fastopt.minimize else "trust-constr",
                 jac="2-point", hess="2-point")


@pytest.mark.parametrize("method", ["bfgs", "cg", "lbfgs"])
def test_eps_as_an_array(method):
    eps = np.array([1e-8, 1e-6])
    r, s = both(rosen, np.array([-1.2, 1.0]), method, options=dict(eps=eps, maxiter=5))
    assert (r.nit, r.nfev, r.njev) == (s.nit, s.nfev, s.njev)
    np.testing.assert_allclose(r.x, s.x, rtol=1e-6)


@pytest.mark.parametrize("method", ["bfgs", "cg", "lbfgs"])
def test_workers_map_like(method):
    r = fastopt.minimize(rosen, [-1.2, 1.0], method=method, options=dict(workers=map))
    s = so.minimize(rosen, [-1.2, 1.0], method=SCIPY_NAME[method], options=dict(workers=map))
    assert r.status == s.status and np.allclose(r.x, s.x, atol=1e-3)


# ---- item 5: options as scipy treats them --------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("maxiter", [-1, 0, 2.5])
def test_maxiter_negative_or_float(method, maxiter):
    hess = rosen_hess if method == "newton" else None
    r, s = both(rosen, np.array([-1.2, 1.0]), method, jac=rosen_der, hess=hess,
                options=dict(maxiter=maxiter))
    assert r.status == s.status == 1 and r.nit == s.nit


def test_hess_inv0_must_be_positive_definite():
    for call, m in ((fastopt.minimize, "bfgs"), (so.minimize, "BFGS")):
        with pytest.raises(ValueError, match="'hess_inv0' matrix isn't positive definite."):
            call(rosen, [1.0, 2.0], method=m, options=dict(hess_inv0=np.diag([1.0, -1.0])))
        with pytest.raises(ValueError, match="positive definite"):
            call(rosen, [1.0, 2.0], method=m, options=dict(hess_inv0=np.array([[1.0, 0.5],
                                                                               [0.0, 1.0]])))


@pytest.mark.parametrize("method", ["bfgs", "cg", "newton"])
def test_disp_on_failure_warns(method, capsys):
    hess = rosen_hess if method == "newton" else None
    for call, m in ((fastopt.minimize, method), (so.minimize, SCIPY_NAME[method])):
        with pytest.warns(OptimizeWarning, match="Maximum number of iterations"):
            call(rosen, [-1.2, 1.0], method=m, jac=rosen_der, hess=hess,
                 options=dict(maxiter=2, disp=True))
    assert "Iterations: 2" in capsys.readouterr().out


@pytest.mark.parametrize("method", ["bfgs", "cg", "lbfgs"])
def test_hess_warns_runtime_warning(method):
    for call, m in ((fastopt.minimize, method), (so.minimize, SCIPY_NAME[method])):
        with pytest.warns(RuntimeWarning, match="does not use Hessian information"):
            call(rosen, [-1.2, 1.0], method=m, jac=rosen_der, hess=rosen_hess)


@pytest.mark.parametrize("method", ["bfgs", "cg", "newton"])
def test_bounds_warn_for_unbounded_methods(method):
    hess = rosen_hess if method == "newton" else None
    msgs = []
    for call, m in ((fastopt.minimize, method), (so.minimize, SCIPY_NAME[method])):
        with pytest.warns(RuntimeWarning, match="cannot handle bounds") as rec:
            res = call(rosen, [-1.2, 1.0], method=m, jac=rosen_der, hess=hess,
                       bounds=[(0, 0.5), (0, 0.5)])
        msgs.append(str([w.message for w in rec if "bounds" in str(w.message)][0]))
        assert np.allclose(res.x, 1.0, atol=1e-3)     # ignored, as scipy
    assert msgs[1] == f"Method {SCIPY_NAME[method]} cannot handle bounds."


def test_scipy_method_names_and_default():
    for name in ("BFGS", "L-BFGS-B", "CG", "Newton-CG"):
        r = fastopt.minimize(rosen, [-1.2, 1.0], method=name, jac=rosen_der,
                             hess=rosen_hess if name == "Newton-CG" else None)
        assert r.success
    r = fastopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, bounds=[(0, 0.5), (0, 0.5)])
    s = so.minimize(rosen, [-1.2, 1.0], jac=rosen_der, bounds=[(0, 0.5), (0, 0.5)])
    np.testing.assert_allclose(r.x, s.x, atol=1e-8)     # None + bounds: L-BFGS-B on both


# ---- item 6: L-BFGS-B ----------------------------------------------------------------

_rng = np.random.default_rng(0)
_A = _rng.standard_normal((30, 30))
_Q = _A @ _A.T / 30 + np.eye(30)
_b = _rng.standard_normal(30) * 3


def _quad(x):
    return 0.5 * x @ _Q @ x - _b @ x


def _quad_g(x):
    return _Q @ x - _b


LBFGSB_CASES = {
    "rosen box": (rosen, rosen_der, np.full(10, -1.5), [(-2, 0.5)] * 10),
    "rosen lower only": (rosen, rosen_der, np.linspace(-1, 2, 8), [(1.2, None)] * 8),
    "rosen mixed one-sided": (rosen, rosen_der, np.zeros(8),
                              [(None, 0.7), (0.2, None), (-1, 1), (None, None)] * 2),
    "quadratic active Bounds": (_quad, _quad_g, np.zeros(30), so.Bounds(-0.5, 0.5)),
    "quadratic x0 outside": (_quad, _quad_g, np.full(30, 5.0), [(-1, 1)] * 30),
    "quadratic degenerate lo == hi": (_quad, _quad_g, np.zeros(30),
                                      [(0.3, 0.3)] * 10 + [(-1, 1)] * 20),
    "rosen n=200": (rosen, rosen_der, np.full(200, 3.0), [(-1, 0.8)] * 200),
}


@pytest.mark.parametrize("case", list(LBFGSB_CASES))
def test_lbfgsb_equals_scipy(case):
    f, g, x0, bounds = LBFGSB_CASES[case]
    r, s = both(f, x0, "lbfgs", jac=g, bounds=bounds)
    assert r.status == s.status == 0 and r.success
    np.testing.assert_allclose(r.x, s.x, atol=1e-4)
    assert r.fun <= s.fun + 1e-8 * max(1.0, abs(s.fun))
    assert r.nit <= 1.2 * s.nit + 2
    lb, ub = (bounds.lb, bounds.ub) if isinstance(bounds, so.Bounds) else zip(*bounds)
    lb = np.array([-np.inf if v is None else v for v in np.broadcast_to(lb, x0.shape)], float)
    ub = np.array([np.inf if v is None else v for v in np.broadcast_to(ub, x0.shape)], float)
    assert np.all(r.x >= lb) and np.all(r.x <= ub)


def test_lbfgsb_difference_gradient_stays_in_the_box():
    seen = []

    def f(x):
        seen.append(x.copy())
        return rosen(x)
    r = fastopt.minimize(f, np.zeros(4), method="L-BFGS-B", bounds=[(0, 0.5)] * 4)
    s = so.minimize(rosen, np.zeros(4), method="L-BFGS-B", bounds=[(0, 0.5)] * 4)
    assert np.all(np.array(seen) >= 0) and np.all(np.array(seen) <= 0.5)
    np.testing.assert_allclose(r.x, s.x, atol=1e-5)


def test_lbfgsb_all_fixed():
    r, s = both(rosen, [0.5, 0.5], "lbfgs", jac=rosen_der, bounds=[(0.3, 0.3), (2, 2)])
    assert r.message == s.message and r.success and s.success
    np.testing.assert_array_equal(r.x, s.x)
    assert r.fun == s.fun


def test_lbfgsb_bad_bounds_like_scipy():
    for call, m in ((fastopt.minimize, "lbfgs"), (so.minimize, "L-BFGS-B")):
        with pytest.raises(ValueError):
            call(rosen, [1.0, 2.0], method=m, bounds=[(0, 1)] * 3)
        with pytest.raises(ValueError, match="An upper bound is less than"):
            call(rosen, [1.0, 2.0], method=m, bounds=[(0, 1), (2, 1)])
    r, s = both(rosen, [1.5, 2.0], "lbfgs", jac=rosen_der, bounds=[(0, 1)])   # one pair: all
    np.testing.assert_allclose(r.x, s.x, atol=1e-6)


def test_lbfgsb_maxiter_and_callback():
    f, g, x0, bounds = LBFGSB_CASES["rosen box"]
    r, s = both(f, x0, "lbfgs", jac=g, bounds=bounds, options=dict(maxiter=3))
    assert r.status == s.status == 1 and r.nit == s.nit == 3 and r.message == s.message
    np.testing.assert_allclose(r.x, s.x, rtol=1e-8)


# ---- item 7: result fields -------------------------------------------------------------

@pytest.mark.parametrize("bounds", [None, [(-2, 0.5)] * 5])
def test_lbfgs_hess_inv_is_scipys_operator(bounds):
    r, s = both(rosen, np.full(5, -1.0), "lbfgs", jac=rosen_der, bounds=bounds)
    assert isinstance(r.hess_inv, so.LbfgsInvHessProduct)
    assert r.hess_inv.todense().shape == s.hess_inv.todense().shape == (5, 5)
    v = np.arange(5.0)
    np.testing.assert_allclose(r.hess_inv.matvec(v), r.hess_inv.todense() @ v)
    H = r.hess_inv.todense()
    np.testing.assert_allclose(H, H.T, atol=1e-10)


@pytest.mark.parametrize("kw", [dict(hess=rosen_hess), dict(hessp=lambda x, p: rosen_hess(x) @ p),
                                dict()])
def test_newton_always_reports_nhev(kw):
    r = fastopt.minimize(rosen, [-1.2, 1.0], method="newton", jac=rosen_der, **kw)
    s = so.minimize(rosen, [-1.2, 1.0], method="Newton-CG", jac=rosen_der, **kw)
    assert "nhev" in r and "nhev" in s
    if not kw:
        assert r.nhev == s.nhev == 0


# ---- item 8: the public line search still matches scipy's ------------------------------

def test_line_search_matches_wolfe2():
    xk, pk = np.array([-1.2, 1.0]), -rosen_der(np.array([-1.2, 1.0]))
    a = fastopt.minimize.line_search(rosen, rosen_der, xk, pk)
    b = so.line_search(rosen, rosen_der, xk, pk)
    assert a[0] == pytest.approx(b[0]) and a[3] == pytest.approx(b[3])
