"""Hostile input to fastopt.minimize, fastopt.prox, fastopt.clip, averaging
and noise (issue 11): each bad input raises a clear exception naming the
argument, changes nothing, and never crashes the interpreter.

Tables: bad input -> exception type and a match on the message; after the
failed call the inputs are byte-identical.  What a user's function returns
is compared with scipy.optimize.minimize making the same call.  Calls that
could crash (an out-of-range CSC index at 10**9, a dense matrix that cannot
fit) run in a child process (tests/subproc.py).
"""
import copy
import json
import os
import re
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings, strategies as st

import fastopt.clip
import fastopt.minimize.bfgs
import fastopt.minimize.coordinate_descent
import fastopt.prox
from fastopt import prox as P
from fastopt.averaging import ExponentialMovingAverage, PolyakAverage
from fastopt.clip import clip_by_global_norm, clip_by_norm, clip_by_value, global_norm
from fastopt.minimize import line_search, minimize
from fastopt.minimize.coordinate_descent import minimize_coordinate_descent as cd
from fastopt.noise import GradientNoise
from fastopt.problems import PROBLEMS
from subproc import describe, run_python

METHODS = ["bfgs", "lbfgs", "cg", "steepest", "newton", "proximal_gradient", "owlqn"]


def _snapshot(*objs):
    """Deep copies of the arrays (and sparse matrices' arrays) in objs."""
    out = []
    for o in objs:
        if sp.issparse(o) and o.format in ("csr", "csc"):
            out.append((o.indptr.copy(), o.indices.copy(), o.data.copy()))
        else:
            out.append(copy.deepcopy(o))
    return out


def _same(a, b):
    """Byte-identical arrays, recursively through tuples, lists and dicts."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return (a.dtype == b.dtype and a.shape == b.shape
                and a.tobytes() == b.tobytes())
    if sp.issparse(a):
        return a.format == b.format and _same(a.toarray(), b.toarray())
    if isinstance(a, float) and a != a:
        return b != b
    return a is b or a == b


def assert_unchanged(before, *objs):
    after = _snapshot(*objs)
    for k, (a, b) in enumerate(zip(before, after)):
        assert _same(a, b), f"argument {k} was modified by a failed call"


# ---- what fun / jac / hess return: the scipy convention -------------------------------

def _sq(x):
    return float(x @ x)


def _g(x):
    return 2 * x


# (label, fun, jac, our exception, match); scipy.optimize.minimize(method="BFGS")
# makes the same call with warnings as errors: it must refuse too, and where it
# raises TypeError/ValueError, with the same type.
REFUSED = [
    ("fun None", lambda x: None, _g, TypeError, "fun must return a real scalar, got None"),
    ("fun str", lambda x: "1.0", _g, TypeError, "fun must return a real scalar, got '1.0'"),
    ("fun np.str_", lambda x: np.str_("1.0"), _g, TypeError, "fun must return a real scalar"),
    ("fun bytes", lambda x: b"1.0", _g, TypeError, "fun must return a real scalar"),
    ("fun complex128", lambda x: np.complex128(_sq(x)), _g, TypeError,
     r"fun must return a real scalar, got np.complex128"),
    ("fun complex", lambda x: complex(_sq(x)), _g, TypeError, "fun must return a real scalar"),
    ("fun object", lambda x: object(), _g, TypeError, "fun must return a real scalar"),
    ("fun 2 values", lambda x: np.array([1.0, 2.0]), _g, ValueError,
     r"fun must return a scalar, got an array of shape \(2,\)"),
    ("fun complex array", lambda x: np.array([_sq(x)], dtype=complex), _g, TypeError,
     "fun must return a real scalar, got an array of dtype complex128"),
    ("jac None", _sq, lambda x: None, TypeError, "jac must return a 1-D array of real numbers"),
    ("jac complex", _sq, lambda x: (2 * x).astype(complex), TypeError,
     "jac must return a 1-D array of real numbers, got an array of dtype complex128"),
    # a string: TypeError whatever it holds (scipy's type depends on whether
    # numpy can parse it: "12" TypeError, "ab" ValueError)
    ("jac str", _sq, lambda x: "12", TypeError, "jac must return"),
    ("jac strings", _sq, lambda x: ["1.0", "2.0"], TypeError, "jac must return"),
    ("jac scalar", _sq, lambda x: 1.0, ValueError, r"jac must return an array of shape \(2,\)"),
    ("jac=True, g None", lambda x: (_sq(x), None), True, TypeError, r"jac \(fun's second value\)"),
    ("jac=True, f alone", _sq, True, TypeError, "with jac=True, fun must return a pair"),
]


def _scipy_refuses(fun, jac):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            scipy.optimize.minimize(fun, np.array([1.0, 2.0]), jac=jac, method="BFGS",
                                    options=dict(maxiter=3))
        except Exception as exc:  # noqa: BLE001 - any refusal counts
            return exc
    return None


@pytest.mark.parametrize("label,fun,jac,exc,match", REFUSED, ids=[r[0] for r in REFUSED])
def test_returned_values_refused_as_scipy(label, fun, jac, exc, match):
    x0 = np.array([1.0, 2.0])
    before = _snapshot(x0)
    with pytest.raises(exc, match=match):
        minimize(fun, x0, jac=jac, options=dict(maxiter=3))
    assert_unchanged(before, x0)
    theirs = _scipy_refuses(fun, jac)
    assert theirs is not None, f"scipy accepts {label}"
    if isinstance(theirs, (TypeError, ValueError)):
        # scipy's complex casts are a ComplexWarning, not an exception: refused here
        assert isinstance(theirs, exc), f"scipy raised {theirs!r}"


ACCEPTED = [   # what scipy accepts, and so do we: real numbers, size-1 arrays
    ("size-1 array", lambda x: np.array([_sq(x)])),
    ("(1, 1) array", lambda x: np.array([[_sq(x)]])),
    ("list of one", lambda x: [_sq(x)]),
    ("float32", lambda x: np.float32(_sq(x))),
    ("int", lambda x: int(round(_sq(x) * 1e6))),
]


@pytest.mark.parametrize("label,fun", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_real_scalars_accepted_as_scipy(label, fun):
    x0 = np.array([1.0, 2.0])
    ours = minimize(fun, x0, jac=_g, options=dict(maxiter=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theirs = scipy.optimize.minimize(fun, x0, jac=_g, method="BFGS",
                                         options=dict(maxiter=3))
    assert isinstance(ours.fun, float)
    assert ours.fun == pytest.approx(float(np.asarray(theirs.fun).reshape(())), abs=1e-6)


BAD_RETURNS = [  # every method, through the one shared check
    (lambda x: None, TypeError, "fun must return a real scalar"),
    (lambda x: "1.0", TypeError, "fun must return a real scalar"),
    (lambda x: np.complex128(1.0), TypeError, "fun must return a real scalar"),
    (lambda x: np.ones(2), ValueError, "fun must return a scalar"),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fun,exc,match", BAD_RETURNS)
def test_every_method_checks_fun(method, fun, exc, match):
    x0 = np.array([1.0, 2.0])
    before = _snapshot(x0)
    hess = (lambda x: 2 * np.eye(2)) if method == "newton" else None
    with pytest.raises(exc, match=match):
        minimize(fun, x0, method=method, jac=_g, hess=hess)
    with pytest.raises(exc, match=match):   # forward differences too
        minimize(fun, x0, method=method, hess=hess)
    assert_unchanged(before, x0)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_checks_jac(method):
    hess = (lambda x: 2 * np.eye(2)) if method == "newton" else None
    with pytest.raises(TypeError, match="jac must return a 1-D array of real numbers"):
        minimize(_sq, np.ones(2), method=method, jac=lambda x: (2 * x).astype(complex),
                 hess=hess)
    with pytest.raises(ValueError, match=r"jac must return an array of shape \(2,\)"):
        minimize(_sq, np.ones(2), method=method, jac=lambda x: np.zeros(3), hess=hess)


BAD_HESS = [
    (dict(hess=lambda x: None), TypeError, r"hess must return an \(2, 2\) array of real"),
    (dict(hess=lambda x: [["2", "0"], ["0", "2"]]), TypeError, "hess must return"),
    (dict(hess=lambda x: 2 * np.eye(2, dtype=complex)), TypeError, "hess must return"),
    (dict(hess=lambda x: sp.eye(2, dtype=complex, format="csr")), TypeError, "hess must return"),
    (dict(hess=lambda x: np.eye(3)), ValueError, r"hess must return an array of shape \(2, 2\)"),
    (dict(hess=lambda x: np.eye(2).ravel()), ValueError, "hess must return an array of shape"),
    (dict(hessp=lambda x, p: None), TypeError, "hessp must return"),
    (dict(hessp=lambda x, p: p.astype(complex)), TypeError, "hessp must return"),
    (dict(hessp=lambda x, p: np.zeros(5)), ValueError, r"hessp must return an array of shape"),
]


@pytest.mark.parametrize("kw,exc,match", BAD_HESS)
def test_newton_checks_hess_and_hessp(kw, exc, match):
    x0 = np.array([1.0, 2.0])
    before = _snapshot(x0)
    with pytest.raises(exc, match=match):
        minimize(_sq, x0, method="newton", jac=_g, **kw)
    assert_unchanged(before, x0)


BAD_PROX = [
    (dict(prox=lambda v, s: v[:-1]), ValueError, r"prox must return an array of shape \(3,\)"),
    (dict(prox=lambda v, s: None), TypeError, "prox must return an array of shape"),
    (dict(prox=lambda v, s: v.astype(complex)), TypeError, "prox must return"),
    (dict(prox=lambda v, s: [str(t) for t in v]), TypeError, "prox must return"),
    (dict(prox=lambda v, s: v, phi=lambda x: "1.0"), TypeError, "phi must return a real scalar"),
    (dict(prox=lambda v, s: v, phi=lambda x: None), TypeError, "phi must return a real scalar"),
    (dict(prox="l1", lam=np.inf), ValueError, "option lam must be finite"),
    (dict(prox="elastic_net", l1=0.1, l2=np.inf), ValueError, "option l2 must be finite"),
    (dict(prox="l1", lam="0.1"), TypeError, "option lam must be a real number"),
    (dict(step=np.inf), ValueError, "option step must be finite"),
    (dict(maxiter=np.inf), ValueError, "option maxiter must be an integer"),
    (dict(maxiter=np.nan), ValueError, "option maxiter must be an integer"),
]


@pytest.mark.parametrize("kw,exc,match", BAD_PROX)
def test_proximal_gradient_checks_prox(kw, exc, match):
    x0 = np.array([1.0, -2.0, 3.0])
    before = _snapshot(x0)
    with pytest.raises(exc, match=match):
        minimize(_sq, x0, method="proximal_gradient", jac=_g, options=kw)
    assert_unchanged(before, x0)


BAD_OPTIONS = [
    (dict(method="bfgs", options=dict(hess_inv0=np.eye(2, dtype=complex))), TypeError,
     "option hess_inv0 must be an array of real numbers"),
    (dict(method="bfgs", options=dict(hess_inv0=[["1", "0"], ["0", "1"]])), TypeError,
     "option hess_inv0"),
    (dict(method="bfgs", options=dict(hess_inv0=np.eye(3))), ValueError,
     r"option hess_inv0 must have shape \(2, 2\)"),
    (dict(method="steepest", options=dict(A=[["2", "0"], ["0", "2"]])), TypeError,
     "option A must be an array of real numbers"),
    (dict(method="bfgs", options=dict(maxiter=np.nan)), ValueError,
     "option maxiter must be an integer"),
    (dict(method="lbfgs", options=dict(maxcor=np.nan)), ValueError,
     "option maxcor must be an integer"),
]


@pytest.mark.parametrize("kw,exc,match", BAD_OPTIONS)
def test_bad_options(kw, exc, match):
    x0 = np.array([1.0, 2.0])
    before = _snapshot(x0, kw)
    with pytest.raises(exc, match=match):
        minimize(_sq, x0, jac=_g, **kw)
    assert_unchanged(before, x0, kw)


def test_hess_inv0_is_not_updated_in_place():
    H0 = np.eye(2)
    before = _snapshot(H0)
    minimize(lambda x: float(x @ x + x[0] * x[1]), np.ones(2), method="bfgs",
             options=dict(hess_inv0=H0))
    assert_unchanged(before, H0)


def test_line_search_checks_what_it_is_given():
    xk, pk = np.array([1.0, 2.0]), np.array([-1.0, -2.0])
    with pytest.raises(TypeError, match="f must return a real scalar"):
        line_search(lambda x: None, _g, xk, pk)
    with pytest.raises(TypeError, match="myfprime must return"):
        line_search(_sq, lambda x: (2 * x).astype(complex), xk, pk)
    with pytest.raises(TypeError, match="xk must be an array of real numbers"):
        line_search(_sq, _g, np.array(["a", "b"]), pk)
    with pytest.raises(ValueError, match=r"gfk must have shape \(2,\)"):
        line_search(_sq, _g, xk, pk, gfk=np.zeros(3))
    assert line_search(_sq, _g, xk, pk)[0] == 1.0


# ---- inputs and internal buffers are never the user's to change -----------------------

def _quartic(x):
    return float(np.sum((x - 1.0) ** 4) + x @ x), 4 * (x - 1.0) ** 3 + 2 * x


@pytest.mark.parametrize("method", METHODS)
def test_x0_of_any_layout_is_never_modified(method):
    hess = (lambda x: np.diag(12 * (x - 1.0) ** 2 + 2)) if method == "newton" else None
    ref = minimize(_quartic, np.array([3.0, -1.0, 0.5]), method=method, jac=True, hess=hess)
    base = np.array([3, 9, -1, 9, 0.5, 9.0])
    for x0 in (base[::2], np.array([3, -1, 0]), np.array([3.0, -1.0, 0.5])):
        if x0.dtype == np.float64 and x0.flags.c_contiguous:
            x0.flags.writeable = False
        before = _snapshot(x0, base)
        res = minimize(_quartic, x0, method=method, jac=True, hess=hess)
        assert_unchanged(before, x0, base)
        if x0.dtype == np.float64:
            np.testing.assert_array_equal(res.x, ref.x)


BAD_X0 = [
    # NaN / inf: refused by the fastopt-only methods; scipy's four run (below)
    (np.array([1.0, np.nan, 0.0]), ValueError, "x0 must be finite"),
    (np.array([1.0, np.inf, 0.0]), ValueError, "x0 must be finite"),
    (np.zeros(0), ValueError, "x0 must have at least one element"),
    (np.zeros((3, 1)), ValueError, "x0 must be 1-D"),
    (np.zeros(3, complex), TypeError, "x0 must be a 1-D array of real numbers"),
    (np.array(["1", "2", "3"]), TypeError, "x0 must be a 1-D array of real numbers"),
    (None, TypeError, "x0 must be a 1-D array of real numbers"),
    ([1.0, [2.0]], TypeError, "x0 must be a 1-D array of real numbers"),
]


@pytest.mark.parametrize("method", METHODS + ["coordinate_descent"])
@pytest.mark.parametrize("x0,exc,match", BAD_X0)
def test_bad_x0_for_every_method(method, x0, exc, match):
    if method == "coordinate_descent":
        if x0 is None:
            return            # None means zeros there
        call = lambda: cd(None, x0, A=np.eye(3), b=np.ones(3))  # noqa: E731
    else:
        hess = (lambda x: np.eye(x.size)) if method == "newton" else None
        call = lambda: minimize(_sq, x0, method=method, jac=_g, hess=hess)  # noqa: E731
    before = _snapshot(x0)
    if method in SCIPY_RUNS_NONFINITE and match == "x0 must be finite":
        with np.errstate(all="ignore"):   # scipy's behaviour: it runs and reports the NaN
            res = call()
        assert not res.success and res.status in (2, 3) and not np.isfinite(res.x).all()
    else:
        with pytest.raises(exc, match=match):
            call()
    assert_unchanged(before, x0)


SCIPY_RUNS_NONFINITE = ("bfgs", "lbfgs", "cg", "newton")


@pytest.mark.parametrize("method", METHODS + ["coordinate_descent"])
def test_callbacks_and_fun_that_mutate_their_argument_change_nothing(method):
    def vandal(xk):
        xk[:] = 1e6

    def vandal_ir(intermediate_result):
        intermediate_result.x[:] = 1e6

    def fun(x):
        f, g = _quartic(x)
        x[:] = -7.0          # the method's point must not be this buffer
        return f, g

    if method == "coordinate_descent":
        A, b = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -1.0])
        run = lambda cb: cd(None, np.zeros(2), A=A, b=b, l1=0.1, callback=cb).x  # noqa: E731
    else:
        hess = (lambda x: np.diag(12 * (x - 1.0) ** 2 + 2)) if method == "newton" else None
        run = lambda cb, f=_quartic: minimize(f, np.array([3.0, -1.0]), method=method,  # noqa: E731
                                              jac=True, hess=hess, callback=cb).x
        np.testing.assert_array_equal(run(None, fun), run(None))
    np.testing.assert_array_equal(run(vandal), run(None))
    np.testing.assert_array_equal(run(vandal_ir), run(None))


def test_prox_returning_a_reused_buffer():
    buf = np.empty(3)

    def prox(v, s):          # returns the same array every time
        np.copyto(buf, np.sign(v) * np.maximum(np.abs(v) - 0.1 * s, 0))
        return buf

    x0 = np.array([3.0, -1.0, 0.5])
    ref = minimize(_quartic, x0, method="proximal_gradient", jac=True, options=dict(
        prox=lambda v, s: np.sign(v) * np.maximum(np.abs(v) - 0.1 * s, 0)))
    res = minimize(_quartic, x0, method="proximal_gradient", jac=True, options=dict(prox=prox))
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.nit == ref.nit


# ---- BFGS's dense matrix: refused clearly when it cannot fit --------------------------

def test_bfgs_refuses_a_matrix_that_cannot_fit():
    res = run_python("""
        import numpy as np, fastopt
        calls = []
        try:
            fastopt.minimize(lambda x: calls.append(1) or 0.0, np.zeros(2**22),
                             method="bfgs", jac=lambda x: x)
        except MemoryError as e:
            assert "x0 has 4194304 elements" in str(e) and "lbfgs" in str(e), e
            assert not calls, "fun was called before the refusal"
            print("refused")
    """)
    assert res.returncode == 0 and "refused" in res.stdout, describe(res)


# ---- coordinate descent: CSC/CSR structure, canonical form, penalties -----------------

_rng = np.random.default_rng(0)
_Xd = _rng.standard_normal((5, 3))
_y = _rng.standard_normal(5)


def _csc(indptr, indices, data, shape=(5, 3), fmt="csc"):
    """A matrix whose arrays are exactly these (scipy's constructor would
    check some of them; assigning bypasses it, as a user can)."""
    X = (sp.csc_matrix if fmt == "csc" else sp.csr_matrix)(shape)
    X.indptr, X.indices, X.data = (np.asarray(indptr), np.asarray(indices),
                                   np.asarray(data))
    return X


BAD_CSC = [
    ("row index 7 of 5", _csc([0, 1, 2, 3], [0, 7, 2], [1.0, 2, 3]), IndexError,
     r"X.indices\[1\] = 7 is out of range for 5 rows"),
    ("row index -1", _csc([0, 1, 2, 3], [0, -1, 2], [1.0, 2, 3]), IndexError,
     r"X.indices\[1\] = -1"),
    ("decreasing indptr", _csc([0, 2, 1, 3], [0, 1, 2], [1.0, 2, 3]), ValueError,
     "X.indptr decreases at position 2"),
    ("indptr[0] != 0", _csc([1, 1, 2, 3], [0, 1, 2], [1.0, 2, 3]), ValueError,
     r"X.indptr\[0\] = 1"),
    ("indptr past indices", _csc([0, 1, 2, 5], [0, 1, 2], [1.0, 2, 3]), ValueError,
     r"X.indptr\[3\] = 5 exceeds"),
    ("data shorter than nnz", _csc([0, 1, 2, 3], [0, 1, 2], [1.0, 2]), ValueError,
     "exceeds the 3 stored indices or the 2 stored values"),
    ("indptr too short", _csc([0, 1, 3], [0, 1, 2], [1.0, 2, 3]), ValueError,
     "X.indptr has 3 entries"),
    ("float indices", _csc([0, 1, 2, 3], [0.0, 1.0, 2.0], [1.0, 2, 3]), TypeError,
     "X.indices must hold integers"),
    ("complex data", _csc([0, 1, 2, 3], [0, 1, 2], np.ones(3, complex)), TypeError,
     "X must hold real numbers"),
    ("string data", _csc([0, 1, 2, 3], [0, 1, 2], ["1", "2", "3"]), TypeError,
     "X must hold real numbers"),
    ("NaN data", _csc([0, 1, 2, 3], [0, 1, 2], [1.0, np.nan, 3]), ValueError,
     "X must be finite"),
    ("CSR column 9 of 3", _csc([0, 1, 2, 3, 3, 3], [0, 9, 2], [1.0, 2, 3], fmt="csr"),
     IndexError, r"X.indices\[1\] = 9 is out of range for 3 columns"),
    ("CSR decreasing", _csc([0, 2, 1, 3, 3, 3], [0, 1, 2], [1.0, 2, 3], fmt="csr"),
     ValueError, "X.indptr decreases"),
]


def _bad_csc_outcomes():
    """Run every BAD_CSC case (CSC and the Gram path; with and without an
    intercept); returns [(label, exception type name, message, unchanged)].
    In the child process of test_cd_checks_sparse_structure: a regression here
    reaches scipy's conversions or the C loop with a broken structure."""
    out = []
    for label, X, _, _ in BAD_CSC:
        for kw in (dict(fit_intercept=False), dict(fit_intercept=True),
                   dict(precompute=True)):
            before = _snapshot(X, _y)
            try:
                cd(None, None, X=X, y=_y, alpha=0.01, **kw)
                name, msg = "no exception", ""
            except Exception as exc:  # noqa: BLE001 - reported to the parent
                name, msg = type(exc).__name__, str(exc)
            out.append((label, name, msg,
                        all(_same(a, b) for a, b in zip(before, _snapshot(X, _y)))))
    return out


def test_cd_checks_sparse_structure():
    res = run_python(f"""
        import json, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import test_hostile_minimize as t
        print(json.dumps(t._bad_csc_outcomes()))
    """)
    assert res.returncode == 0, describe(res)
    outcomes = json.loads(res.stdout.strip().splitlines()[-1])
    expected = {label: (exc, match) for label, _, exc, match in BAD_CSC}
    assert len(outcomes) == 3 * len(BAD_CSC)
    for label, name, msg, unchanged in outcomes:
        exc, match = expected[label]
        assert name == exc.__name__ and re.search(match, msg), (label, name, msg)
        assert unchanged, f"{label}: X or y modified by the failed call"


def test_cd_far_out_of_range_index_does_not_crash():
    res = run_python("""
        import numpy as np, scipy.sparse as sp
        from fastopt.minimize import minimize
        for bad, itype in ((10**9, np.int64), (2**31 - 1, np.int32)):
            X = sp.csc_matrix((np.ones(3), np.array([0, bad, 2], itype),
                               np.array([0, 1, 2, 3], itype)), shape=(5, 3))
            for fmt in ("csc", "csr"):
                try:
                    minimize(None, None, method="coordinate_descent",
                             options=dict(X=X if fmt == "csc" else X.T, y=np.ones(5),
                                          alpha=0.01))
                except IndexError as e:
                    print("IndexError:", e)
    """)
    assert res.returncode == 0, describe(res)
    for bad in (10**9, 2**31 - 1):
        assert f"X.indices[1] = {bad} is out of range for 5 rows" in res.stdout, describe(res)



def test_sparse_a_and_hess_are_checked_before_densifying():
    """scipy's toarray trusts a CSR/CSC structure: A (coordinate descent's
    quadratic) and what hess returns are checked first."""
    res = run_python("""
        import numpy as np, scipy.sparse as sp
        from fastopt.minimize import minimize
        bad = sp.csr_matrix(np.eye(3))
        bad.indices = np.array([0, 10**9, 2])
        for call in (
                lambda: minimize(None, None, method="coordinate_descent",
                                 options=dict(A=bad, b=np.ones(3))),
                lambda: minimize(lambda x: float(x @ x), np.ones(3), method="newton",
                                 jac=lambda x: 2 * x, hess=lambda x: bad)):
            try:
                call()
            except IndexError as e:
                print("IndexError:", e)
        good = minimize(lambda x: float(x @ x), np.ones(3), method="newton",
                        jac=lambda x: 2 * x, hess=lambda x: sp.csc_matrix(2 * np.eye(3)))
        print("ok", good.success)
    """)
    assert res.returncode == 0, describe(res)
    for name in ("A", "hess"):
        assert f"{name}.indices[1] = 1000000000 is out of range for 3 columns" in res.stdout
    assert "ok True" in res.stdout, describe(res)

def _unsorted_with_duplicates(fmt):
    # column (CSC) / row (CSR) 0 holds rows 3, 1, 3 (3 twice), 1 nothing, 2 rows 0, 4
    data = np.array([1.0, -2.0, 3.0, 4.0, 0.5])
    idx = np.array([3, 1, 3, 0, 4] if fmt == "csc" else [2, 1, 2, 0, 2])
    ptr = np.array([0, 3, 3, 5] if fmt == "csc" else [0, 3, 3, 5, 5, 5])
    M = (sp.csc_matrix if fmt == "csc" else sp.csr_matrix)((data, idx, ptr), shape=(5, 3))
    return M


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("precompute", [False, True])
def test_cd_leaves_the_callers_matrix_alone(fmt, fit_intercept, precompute):
    X = _unsorted_with_duplicates(fmt)
    flags = (X.has_sorted_indices, X.has_canonical_format)
    assert flags == (False, False)
    before = _snapshot(X)
    ids = (id(X.indptr), id(X.indices), id(X.data))
    res = cd(None, None, X=X, y=_y, alpha=0.01, fit_intercept=fit_intercept,
             precompute=precompute, tol=1e-10)
    assert_unchanged(before, X)
    assert (id(X.indptr), id(X.indices), id(X.data)) == ids
    assert (X.has_sorted_indices, X.has_canonical_format) == flags
    canon = sp.csc_matrix(X.toarray())
    ref = cd(None, None, X=canon, y=_y, alpha=0.01, fit_intercept=fit_intercept,
             precompute=precompute, tol=1e-10)
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun


def test_cd_leaves_dense_inputs_alone():
    X = np.asfortranarray(_Xd)
    X.flags.writeable = False
    y = _y.copy()
    y.flags.writeable = False
    x0 = np.ones(3)
    before = _snapshot(X, y, x0)
    cd(None, x0, X=X, y=y, alpha=0.01, fit_intercept=True)
    assert_unchanged(before, X, y, x0)
    A, b = _Xd.T @ _Xd, _Xd.T @ _y
    before = _snapshot(A, b)
    cd(None, None, A=A, b=b, l1=0.1, blocks=2)
    cd(None, None, A=A, b=b, l1=0.1)
    assert_unchanged(before, A, b)


BAD_CD = [
    (dict(alpha=np.inf), ValueError, "option alpha must be finite"),
    (dict(alpha=np.nan), ValueError, "option alpha must lie in"),
    (dict(alpha=-0.1), ValueError, "option alpha must lie in"),
    (dict(alpha="0.1"), TypeError, "option alpha must be a real number"),
    (dict(alpha=np.array([0.1])), TypeError, "option alpha must be a real number"),
    (dict(alpha=True), TypeError, "option alpha must be a real number"),
    (dict(l1_ratio=np.nan), ValueError, "option l1_ratio must lie in"),
    (dict(l1_ratio=1 + 1e-12), ValueError, "option l1_ratio must lie in"),
    (dict(l1_ratio=None), TypeError, "option l1_ratio must be a real number"),
    (dict(group_l2=np.inf, blocks=1), ValueError, "option group_l2 must be finite"),
    (dict(maxiter=np.inf), ValueError, "option maxiter must be an integer"),
    (dict(tol=np.nan), ValueError, "option tol must lie in"),
    (dict(x0=np.array([0.0, np.nan, 0.0])), ValueError, "x0 must be finite"),
    (dict(x0=np.zeros(3, complex)), TypeError, "x0"),
    (dict(y=_y.astype(complex)), TypeError, "y must be an array of real numbers"),
    (dict(y=np.zeros(0)), ValueError, "y has 0 elements"),
    (dict(X=np.zeros((0, 3)), y=np.zeros(0)), ValueError, "at least one sample"),
    (dict(X=sp.csc_matrix((5, 0))), ValueError, "at least one sample and one feature"),
]
BAD_QUADRATIC = [
    (dict(l1=np.inf), ValueError, "option l1 must be finite"),
    (dict(l2=np.inf), ValueError, "option l2 must be finite"),
    (dict(l1=-1.0), ValueError, "option l1 must lie in"),
    (dict(l2="1"), TypeError, "option l2 must be a real number"),
    (dict(A=np.eye(3, dtype=complex)), TypeError, "A must be an array of real numbers"),
    (dict(b=np.zeros(0), A=np.zeros((0, 0))), ValueError, "b must have at least one element"),
]


@pytest.mark.parametrize("kw,exc,match", BAD_CD)
def test_cd_bad_least_squares(kw, exc, match):
    kw = dict(kw)
    x0 = kw.pop("x0", None)
    call = dict(X=_Xd, y=_y, alpha=0.1)
    call.update(kw)
    before = _snapshot(x0, call)
    with pytest.raises(exc, match=match):
        cd(None, x0, **call)
    assert_unchanged(before, x0, call)


@pytest.mark.parametrize("kw,exc,match", BAD_QUADRATIC)
def test_cd_bad_quadratic(kw, exc, match):
    call = dict(A=np.eye(3), b=np.ones(3))
    call.update(kw)
    before = _snapshot(call)
    with pytest.raises(exc, match=match):
        cd(None, None, **call)
    assert_unchanged(before, call)


# Fuzzing: random CSC structures, many of them broken.  The validator runs
# before any C, so this runs in-process (the subprocess test above is the
# crash smoke test).

@st.composite
def _structures(draw):
    n_rows = draw(st.integers(1, 5))
    n_cols = draw(st.integers(1, 4))
    nnz = draw(st.integers(0, 10))
    wild = st.one_of(st.integers(-3, 13), st.sampled_from([10**9, -10**9, 2**31 - 1]))
    if draw(st.booleans()):   # a structurally valid indptr, maybe broken later
        cuts = sorted(draw(st.lists(st.integers(0, nnz), min_size=n_cols - 1,
                                    max_size=n_cols - 1)))
        indptr = [0] + cuts + [nnz]
        if draw(st.integers(0, 4)) == 0:
            indptr[draw(st.integers(0, n_cols))] = draw(wild)
    else:
        indptr = draw(st.lists(wild, min_size=n_cols + 1, max_size=n_cols + 1))
    row = st.integers(0, n_rows - 1)
    bad_row = st.one_of(st.integers(-2, n_rows + 2), st.sampled_from([10**9, -10**9]))
    indices = draw(st.lists(st.one_of(row, row, row, bad_row), min_size=nnz,
                            max_size=nnz))
    extra = draw(st.integers(-1, 2))          # stored arrays longer or shorter
    data = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=max(nnz + extra, 0),
                         max_size=max(nnz + extra, 0)))
    indices = indices + [0] * max(extra, 0)
    itype = draw(st.sampled_from([np.int32, np.int64]))
    with np.errstate(over="ignore"):
        ip = np.array(indptr, dtype=np.int64)
        ix = np.array(indices, dtype=np.int64)
    if itype is np.int32 and (np.abs(ip).max(initial=0) < 2**31
                              and np.abs(ix).max(initial=0) < 2**31):
        ip, ix = ip.astype(np.int32), ix.astype(np.int32)
    return (n_rows, n_cols), ip, ix, np.array(data, dtype=np.float64)


def _valid(shape, ip, ix, data):
    n_rows, n_cols = shape
    ip, ix = ip.astype(np.int64), ix.astype(np.int64)   # no wrap-around in diff
    if len(ip) != n_cols + 1 or ip[0] != 0 or np.any(np.diff(ip) < 0):
        return False
    nnz = int(ip[-1])
    if nnz > len(ix) or nnz > len(data):
        return False
    return bool(np.all((ix[:nnz] >= 0) & (ix[:nnz] < n_rows)))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_structures(), st.booleans(), st.booleans())
def test_cd_fuzz_csc_structures(structure, fit_intercept, random_order):
    shape, ip, ix, data = structure
    X = _csc(ip, ix, data, shape=shape)
    y = np.linspace(-1.0, 2.0, shape[0])
    before = _snapshot(X)
    kw = dict(y=y, alpha=0.05, fit_intercept=fit_intercept, maxiter=50, tol=1e-8,
              order="random" if random_order else "cyclic", random_state=3)
    try:
        res = cd(None, None, X=X, **kw)
    except (IndexError, ValueError) as exc:
        assert not _valid(shape, ip, ix, data), f"valid structure refused: {exc}"
        assert "X" in str(exc)
    else:
        assert _valid(shape, ip, ix, data), "broken structure accepted"
        nnz = int(ip[-1])
        canon = sp.csc_matrix((data[:nnz].copy(), ix[:nnz].copy(), ip.copy()), shape=shape)
        canon.sum_duplicates()
        ref = cd(None, None, X=canon, **kw)
        np.testing.assert_array_equal(res.x, ref.x)
    assert_unchanged(before, X)


# ---- n_threads: every path resolves it before C ----------------------------------------

def _n_threads_calls():
    x = np.linspace(-2, 2, 40)
    A, b = np.eye(3) * 2, np.ones(3)
    return [
        ("bfgs", lambda nt: minimize(_sq, np.ones(3), jac=_g,
                                     options=dict(n_threads=nt)).x),
        ("cd dense", lambda nt: cd(None, None, X=_Xd, y=_y, alpha=0.01, n_threads=nt).x),
        ("cd csc", lambda nt: cd(None, None, X=sp.csc_matrix(_Xd), y=_y, alpha=0.01,
                                 n_threads=nt).x),
        ("cd gram", lambda nt: cd(None, None, A=A, b=b, l1=0.1, n_threads=nt).x),
        ("soft_threshold", lambda nt: P.soft_threshold(x, 0.5, n_threads=nt)),
        ("prox_l1", lambda nt: P.prox_l1(x, 0.5, n_threads=nt)),
        ("prox_l2", lambda nt: P.prox_l2(x, 0.5, n_threads=nt)),
        ("prox_elastic_net", lambda nt: P.prox_elastic_net(x, 0.5, 0.1, n_threads=nt)),
        ("prox_group_l2 rows", lambda nt: P.prox_group_l2(x.reshape(8, 5), 0.5, n_threads=nt)),
        ("prox_group_l2 labels", lambda nt: P.prox_group_l2(
            x, 0.5, groups=np.arange(40) % 3, n_threads=nt)),
        ("project_box", lambda nt: P.project_box(x, -1, 1, n_threads=nt)),
        ("project_nonneg", lambda nt: P.project_nonneg(x, n_threads=nt)),
        ("global_norm", lambda nt: global_norm([x], n_threads=nt)),
        ("clip_by_global_norm", lambda nt: clip_by_global_norm([x.copy()], 1.0, n_threads=nt)),
        ("clip_by_norm", lambda nt: clip_by_norm(x.copy(), 1.0, n_threads=nt)),
        ("clip_by_value", lambda nt: clip_by_value([x.copy()], -1, 1, n_threads=nt)),
    ]


_NT_CALLS = _n_threads_calls()


@pytest.mark.parametrize("label,call", _NT_CALLS, ids=[c[0] for c in _NT_CALLS])
@pytest.mark.parametrize("nt,exc", [(0, ValueError), (1.5, TypeError), ("2", TypeError),
                                    (True, TypeError), (np.float64(2), TypeError)])
def test_n_threads_checked(label, call, nt, exc):
    with pytest.raises(exc, match="n_threads"):
        call(nt)


@pytest.mark.parametrize("label,call", _NT_CALLS, ids=[c[0] for c in _NT_CALLS])
def test_n_threads_goes_through_the_resolver(label, call, monkeypatch):
    """Every path hands C what effective_n_threads returned, never the raw int."""
    seen = []

    def resolver(n_threads=None):
        seen.append(n_threads)
        return 2

    for mod in (fastopt.prox, fastopt.clip, fastopt.minimize.bfgs,
                fastopt.minimize.coordinate_descent):
        monkeypatch.setattr(mod, "effective_n_threads", resolver)
    ref = call(1)
    seen.clear()
    np.testing.assert_array_equal(call(10**6), ref)
    assert 10**6 in seen and set(seen) <= {10**6, None}   # None: clip_by_value's own check


def test_huge_n_threads_does_not_crash():
    res = run_python("""
        import numpy as np, scipy.sparse as sp
        from fastopt import prox, clip
        from fastopt.minimize import minimize
        x = np.linspace(-3, 3, 1 << 20)
        a = prox.soft_threshold(x, 0.5, n_threads=1)
        assert np.array_equal(prox.soft_threshold(x, 0.5, n_threads=100000), a)
        g1, g2 = [x.copy()], [x.copy()]
        assert clip.clip_by_global_norm(g1, 1.0, n_threads=1) == \\
            clip.clip_by_global_norm(g2, 1.0, n_threads=100000)
        X = sp.random(2000, 50, density=0.1, random_state=0, format="csc")
        y = np.ones(2000)
        r = [minimize(None, None, method="coordinate_descent",
                      options=dict(X=X, y=y, alpha=1e-3, n_threads=nt)).x
             for nt in (1, 100000)]
        assert np.array_equal(*r)
        print("ok")
    """)
    assert res.returncode == 0 and "ok" in res.stdout, describe(res)


# ---- aliasing: an output that overlaps an input, other than exactly -------------------

def _prox_calls():
    return [
        ("soft_threshold", lambda x, out: P.soft_threshold(x, 0.5, out=out)),
        ("prox_l1", lambda x, out: P.prox_l1(x, 0.5, out=out)),
        ("prox_l2", lambda x, out: P.prox_l2(x, 0.5, out=out)),
        ("prox_elastic_net", lambda x, out: P.prox_elastic_net(x, 0.5, 0.1, out=out)),
        ("prox_group_l2 labels", lambda x, out: P.prox_group_l2(
            x, 0.5, groups=np.arange(x.size) % 3, out=out)),
        ("project_box", lambda x, out: P.project_box(x, -1, 1, out=out)),
        ("project_nonneg", lambda x, out: P.project_nonneg(x, out=out)),
    ]


_PROX = _prox_calls()


@pytest.mark.parametrize("label,call", _PROX, ids=[c[0] for c in _PROX])
@pytest.mark.parametrize("shift", [1, -1, 7])
def test_prox_out_partially_overlapping_x(label, call, shift):
    buf = np.linspace(-3, 3, 64)
    if shift > 0:
        x, out = buf[:-shift], buf[shift:]
    else:
        x, out = buf[-shift:], buf[:shift]
    before = _snapshot(buf)
    with pytest.raises(ValueError, match="out overlaps x partially"):
        call(x, out)
    assert_unchanged(before, buf)


@pytest.mark.parametrize("label,call", _PROX, ids=[c[0] for c in _PROX])
def test_prox_in_place_is_allowed_and_thread_independent(label, call):
    x = np.linspace(-3, 3, 1 << 17)
    ref = call(x, None)
    y = x.copy()
    assert call(y, y) is y
    np.testing.assert_array_equal(y, ref)


PROX_PARAM_OVERLAP = [
    ("t", lambda buf: P.soft_threshold(buf[:-1], buf[1:], out=buf[:-1]),
     "out overlaps t partially"),
    ("lo", lambda buf: P.project_box(buf[1:], buf[:-1], 10.0, out=buf[1:]),
     "out overlaps lo partially"),
    ("hi", lambda buf: P.project_box(buf[:-1], -10.0, buf[1:], out=buf[:-1]),
     "out overlaps hi partially"),
    ("groups", lambda buf: P.prox_group_l2(
        np.ones(4, np.int64).view(np.float64), 0.5,
        groups=buf.view(np.int64)[:4], out=buf[:4]), "out shares memory with groups"),
]


@pytest.mark.parametrize("label,call,match", PROX_PARAM_OVERLAP,
                         ids=[c[0] for c in PROX_PARAM_OVERLAP])
def test_prox_out_overlapping_a_parameter(label, call, match):
    buf = np.abs(np.linspace(1, 3, 16))
    before = _snapshot(buf)
    with pytest.raises(ValueError, match=match):
        call(buf)
    assert_unchanged(before, buf)


ALIASED_LISTS = [
    ("clip_by_value", lambda gs: clip_by_value(gs, -0.1, 0.1)),
    ("clip_by_global_norm", lambda gs: clip_by_global_norm(gs, 0.1)),
    ("GradientNoise", lambda gs: GradientNoise(0.1, seed=0)(gs, 1)),
    ("PolyakAverage", lambda gs: PolyakAverage(gs)),
    ("ExponentialMovingAverage", lambda gs: ExponentialMovingAverage(gs, 0.9)),
]


@pytest.mark.parametrize("label,call", ALIASED_LISTS, ids=[c[0] for c in ALIASED_LISTS])
@pytest.mark.parametrize("layout", ["same", "overlap", "with None"])
def test_lists_whose_arrays_share_memory(label, call, layout):
    buf = np.linspace(-3, 3, 12)
    gs = {"same": [buf, buf], "overlap": [buf[:8], buf[4:]],
          "with None": [buf[:6], None, buf[5:]]}[layout]
    if label.endswith("Average") and layout == "with None":
        gs = [g for g in gs if g is not None]
    before = _snapshot(buf)
    with pytest.raises(ValueError, match=r"(grads|params)\[0\] and (grads|params)\[\d\] share memory"):
        call(gs)
    assert_unchanged(before, buf)


def test_average_swap_refuses_a_param_made_read_only():
    p = [np.ones(3), np.zeros(2)]
    avg = PolyakAverage(p)
    p[0] += 1.0
    avg.update()
    p[1].flags.writeable = False
    before = _snapshot(p)
    with pytest.raises(ValueError, match=r"params\[1\] is read-only"):
        with avg.swapped():
            pass
    assert_unchanged(before, p)


def test_prox_group_l2_sparse_labels():
    x = np.linspace(-2, 2, 6)
    dense = P.prox_group_l2(x, 0.3, groups=np.array([0, 1, 0, 2, 1, 2]))
    sparse_labels = np.array([5, 10**12, 5, 2**62, 10**12, 2**62], dtype=np.int64)
    np.testing.assert_array_equal(P.prox_group_l2(x, 0.3, groups=sparse_labels), dense)
    huge = np.array([5, 2**64 - 1, 5, 2**63, 2**64 - 1, 2**63], dtype=np.uint64)
    np.testing.assert_array_equal(P.prox_group_l2(x, 0.3, groups=huge), dense)


@pytest.mark.parametrize("problem", [P() for P in PROBLEMS],
                         ids=lambda p: p.key)
def test_problem_grad_out(problem):
    x = np.array([0.3, -0.7])
    g = problem.grad(x)
    y = x.copy()
    assert problem.grad(y, out=y) is y          # in place: allowed
    np.testing.assert_array_equal(y, g)
    buf = np.array([0.3, -0.7, 0.0])
    before = _snapshot(buf)
    with pytest.raises(ValueError, match="out overlaps x partially"):
        problem.grad(buf[:2], out=buf[1:])
    with pytest.raises(ValueError, match=r"out must have shape \(2,\)"):
        problem.grad(x, out=buf)
    assert_unchanged(before, buf)


def test_gradient_noise_at_a_step_beyond_float():
    g = np.zeros(3)
    before = _snapshot(g)
    assert GradientNoise(0.1, gamma=0.55).sigma(10**400) == 0.0
    assert GradientNoise(0.1, gamma=0.0).sigma(10**400) == pytest.approx(0.1 ** 0.5)
    with pytest.raises(ValueError, match="t must be an int >= 0"):
        GradientNoise(0.1)(g, -1)
    with pytest.raises(TypeError, match="t must be an int"):
        GradientNoise(0.1)(g, 1.5)
    assert_unchanged(before, g)
