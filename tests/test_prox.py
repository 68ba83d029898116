"""fastopt.prox: each operator against its definition

    prox_f(x) = argmin_z f(z) + 1/2 ||z - x||^2

(optimality conditions, and brute-force minimisation on small inputs), against
its numpy twin (tests/reference_prox.py) for float32/float64 and odd sizes,
and for the kernel contract: n_threads 1 and 2 bitwise equal, in place,
read-only input, inputs not modified, NaN propagation, bad input."""
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import minimize

import fastopt.prox as P
import reference_prox as R

DTYPES = [np.float32, np.float64]
SIZES = [0, 1, 7, 33, 100003]
BIG = 2 * 32768 + 4321          # above the grain for two threads
SETTINGS = settings(max_examples=60, deadline=None)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
nonneg = st.floats(0.0, 1e2, allow_nan=False, allow_infinity=False)
vectors = hnp.arrays(np.float64, st.integers(1, 12), elements=finite)


def sgn(z):
    return np.sign(z)


# ---- optimality conditions (float64) -------------------------------------------

@SETTINGS
@given(vectors, nonneg)
def test_soft_threshold_optimality(x, t):
    z = P.soft_threshold(x, t)
    nz = z != 0
    np.testing.assert_allclose(z[nz], x[nz] - t * sgn(z[nz]), rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(x[~nz]) <= t)
    assert np.all(sgn(z[nz]) == sgn(x[nz]))


@SETTINGS
@given(vectors, st.data())
def test_soft_threshold_per_coordinate_optimality(x, data):
    t = data.draw(hnp.arrays(np.float64, x.shape, elements=nonneg))
    z = P.prox_l1(x, t)
    nz = z != 0
    np.testing.assert_allclose(z[nz], x[nz] - t[nz] * sgn(z[nz]), rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(x[~nz]) <= t[~nz])


@SETTINGS
@given(vectors, nonneg)
def test_prox_l2_optimality(x, lam):
    z = P.prox_l2(x, lam)
    np.testing.assert_allclose(z + lam * z - x, 0, atol=1e-12 * (1 + np.abs(x).max()))


@SETTINGS
@given(vectors, nonneg, nonneg)
@example(np.array([5e-324]), 0.0, 1.0)     # the exact 2.5e-324 rounds to 0
def test_elastic_net_optimality(x, l1, l2):
    z = P.prox_elastic_net(x, l1, l2)
    nz = z != 0
    np.testing.assert_allclose(z[nz] - x[nz] + l1 * sgn(z[nz]) + l2 * z[nz], 0,
                               atol=1e-10 * (1 + np.abs(x).max()))
    # a zero: |x| <= l1, or the exact (|x| - l1) / (1 + l2) is below the
    # smallest subnormal (it rounds to 0: a float result below it is 0)
    tiny = np.finfo(np.float64).smallest_subnormal
    assert np.all((np.abs(x[~nz]) <= l1) | ((np.abs(x[~nz]) - l1) / (1 + l2) < tiny))


@SETTINGS
@given(st.integers(1, 5), st.integers(1, 6), nonneg, st.data())
def test_group_l2_rows_optimality(g, m, lam, data):
    x = data.draw(hnp.arrays(np.float64, (g, m), elements=finite))
    z = P.prox_group_l2(x, lam)
    for xr, zr in zip(x, z):
        nrm = np.linalg.norm(zr)
        if nrm == 0:
            assert np.linalg.norm(xr) <= lam * (1 + 1e-12)
        else:
            np.testing.assert_allclose(zr - xr + lam * zr / nrm, 0,
                                       atol=1e-9 * (1 + np.abs(xr).max()))


@SETTINGS
@given(vectors, st.data())
def test_group_l2_labels_optimality(x, data):
    lab = data.draw(hnp.arrays(np.int64, x.shape, elements=st.integers(0, 3)))
    lam = data.draw(nonneg)
    z = P.prox_group_l2(x, lam, groups=lab)
    for g in np.unique(lab):
        xr, zr = x[lab == g], z[lab == g]
        nrm = np.linalg.norm(zr)
        if nrm == 0:
            assert np.linalg.norm(xr) <= lam * (1 + 1e-12)
        else:
            np.testing.assert_allclose(zr - xr + lam * zr / nrm, 0,
                                       atol=1e-9 * (1 + np.abs(xr).max()))


@SETTINGS
@given(vectors, finite, nonneg)
def test_project_box_optimality(x, lo, width):
    hi = lo + width
    z = P.project_box(x, lo, hi)
    assert np.all((lo <= z) & (z <= hi))
    inside = (lo < z) & (z < hi)
    assert np.array_equal(z[inside], x[inside])
    assert np.all(x[(z == lo) & (z < hi)] <= lo)
    assert np.all(x[(z == hi) & (z > lo)] >= hi)


@SETTINGS
@given(vectors)
def test_project_nonneg_optimality(x):
    z = P.project_nonneg(x)
    assert np.all(z >= 0)
    assert np.array_equal(z[z > 0], x[z > 0])
    assert np.all(x[z == 0] <= 0)


# ---- brute force: nothing beats the prox on small inputs ------------------------

small = hnp.arrays(np.float64, st.integers(1, 2), elements=st.floats(-5, 5))
lams = st.floats(0.0, 4.0)


def _objectives(x, t_scalar):
    """(name, prox, objective f(z) + 1/2 ||z - x||^2, feasible(z))."""
    t = t_scalar
    half = lambda z: 0.5 * np.sum((z - x) ** 2)  # noqa: E731
    always = lambda z: True  # noqa: E731
    lo, hi = -t, 0.5 * t + 0.1
    return [
        ("soft_threshold", P.soft_threshold(x, t),
         lambda z: t * np.abs(z).sum() + half(z), always),
        ("prox_l2", P.prox_l2(x, t), lambda z: 0.5 * t * np.sum(z * z) + half(z), always),
        ("elastic_net", P.prox_elastic_net(x, t, 0.5 * t),
         lambda z: t * np.abs(z).sum() + 0.25 * t * np.sum(z * z) + half(z), always),
        ("group_l2", P.prox_group_l2(x[None, :], t)[0],
         lambda z: t * np.linalg.norm(z) + half(z), always),
        ("project_box", P.project_box(x, lo, hi), half,
         lambda z: bool(np.all((z >= lo) & (z <= hi)))),
        ("project_nonneg", P.project_nonneg(x), half, lambda z: bool(np.all(z >= 0))),
    ]


@settings(max_examples=40, deadline=None)
@given(small, lams, st.integers(0, 2**31 - 1))
def test_brute_force_minimisation(x, t, seed):
    rng = np.random.default_rng(seed)
    for name, z, f, feasible in _objectives(x, t):
        assert feasible(z), name
        fz = f(z)
        # a grid around x and the prox, random points, and a local minimiser
        n = x.size
        axis = np.linspace(-6, 6, 121 if n == 1 else 41)
        grid = np.stack(np.meshgrid(*([axis] * n)), -1).reshape(-1, n)
        cands = np.concatenate([grid, z + 1e-3 * rng.standard_normal((50, n)),
                                rng.uniform(-6, 6, (50, n))])
        for c in cands:
            if feasible(c):
                assert fz <= f(c) + 1e-9, (name, x, t, z, c)
        if name not in ("project_box", "project_nonneg"):
            res = minimize(f, x, method="Nelder-Mead",
                           options={"xatol": 1e-10, "fatol": 1e-12})
            assert fz <= res.fun + 1e-9, (name, x, t, z, res.x)
            # f is 1-strongly convex (the 1/2 |z - x|^2 term), so any point is
            # as close to the minimiser as its excess objective allows:
            # |z* - c|^2 <= 2 (f(c) - f(z*)).  Nelder-Mead can stall near a
            # kink, so it is held to that bound, not to a fixed distance.
            assert np.sum((z - res.x) ** 2) <= 2 * (res.fun - fz) + 1e-9, (
                name, x, t, z, res.x)


# ---- numpy twins, dtypes and sizes ---------------------------------------------

def _data(n, dtype, seed=0):
    rng = np.random.default_rng(seed + n)
    return (rng.standard_normal(n) * 3).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_elementwise_match_twins(n, dtype):
    x = _data(n, dtype)
    t = np.abs(_data(n, dtype, 1))
    lo = -np.abs(_data(n, dtype, 2))
    hi = np.abs(_data(n, dtype, 3))
    eq = np.testing.assert_array_equal
    eq(P.soft_threshold(x, 1.3), R.soft_threshold(x, 1.3))
    eq(P.prox_l1(x, t), R.soft_threshold(x, t))
    eq(P.prox_l2(x, 0.7), R.prox_l2(x, 0.7))
    eq(P.prox_elastic_net(x, 0.9, 0.3), R.prox_elastic_net(x, 0.9, 0.3))
    eq(P.project_box(x, -1.1, 0.4), R.project_box(x, -1.1, 0.4))
    eq(P.project_box(x, lo, 0.4), R.project_box(x, lo, 0.4))
    eq(P.project_box(x, -np.inf, hi), R.project_box(x, -np.inf, hi))
    eq(P.project_box(x, lo, hi), R.project_box(x, lo, hi))
    eq(P.project_nonneg(x), R.project_nonneg(x))
    for r in (P.soft_threshold(x, 1.3), P.prox_l2(x, 0.7), P.project_nonneg(x)):
        assert r.dtype == dtype and r.shape == x.shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_group_l2_match_twins(n, dtype):
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    x = _data(n, dtype)
    m = 7 if n % 7 == 0 and n else 1
    rows = x.reshape(-1, m)
    np.testing.assert_allclose(P.prox_group_l2(rows, 2.0), R.prox_group_l2_rows(rows, 2.0),
                               rtol=rtol, atol=0)
    lab = np.random.default_rng(n).integers(0, 5, n)
    np.testing.assert_allclose(P.prox_group_l2(x, 2.0, groups=lab),
                               R.prox_group_l2_labels(x, 2.0, lab), rtol=rtol, atol=0)


def test_group_l2_zero_group_stays_zero():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    z = P.prox_group_l2(x, 0.0)
    np.testing.assert_array_equal(z, x)
    z = P.prox_group_l2(x, 10.0)
    np.testing.assert_array_equal(z, 0)
    np.testing.assert_array_equal(P.prox_group_l2(x.ravel(), 0.0, groups=np.array([0, 0, 1, 1])),
                                  x.ravel())


def test_nd_arrays_are_processed_flat():
    x = _data(60, np.float64).reshape(3, 4, 5)
    np.testing.assert_array_equal(P.soft_threshold(x, 0.5), R.soft_threshold(x, 0.5))
    lab = np.arange(60).reshape(3, 4, 5) % 4
    np.testing.assert_allclose(P.prox_group_l2(x, 1.0, groups=lab),
                               R.prox_group_l2_labels(x, 1.0, lab), rtol=1e-13)


def test_non_contiguous_x_is_copied_when_out_is_none():
    base = _data(40, np.float64).reshape(8, 5)
    x = base[:, ::2]
    z = P.project_box(x, -1.0, 1.0)
    assert z.flags.c_contiguous
    np.testing.assert_array_equal(z, R.project_box(x, -1.0, 1.0))
    z = P.prox_group_l2(base.T, 1.0)
    np.testing.assert_allclose(z, R.prox_group_l2_rows(base.T.copy(), 1.0), rtol=1e-13)


# ---- threads, in place, read-only, inputs untouched -----------------------------

def _all_ops(x, out=None, n_threads=None):
    n = x.size
    t = np.abs(_data(n, x.dtype, 5))
    lo, hi = -np.abs(_data(n, x.dtype, 6)), np.abs(_data(n, x.dtype, 7))
    lab = (np.arange(n) * 7919) % 97
    m = 64 if n % 64 == 0 else 1
    ops = {
        "soft_threshold": lambda o: P.soft_threshold(x, 1.1, out=o, n_threads=n_threads),
        "soft_threshold_arr": lambda o: P.soft_threshold(x, t, out=o, n_threads=n_threads),
        "prox_l1": lambda o: P.prox_l1(x, 0.4, out=o, n_threads=n_threads),
        "prox_l2": lambda o: P.prox_l2(x, 0.6, out=o, n_threads=n_threads),
        "elastic_net": lambda o: P.prox_elastic_net(x, 0.5, 0.2, out=o, n_threads=n_threads),
        "box": lambda o: P.project_box(x, -0.8, 0.9, out=o, n_threads=n_threads),
        "box_arr": lambda o: P.project_box(x, lo, hi, out=o, n_threads=n_threads),
        "nonneg": lambda o: P.project_nonneg(x, out=o, n_threads=n_threads),
        "group_labels": lambda o: P.prox_group_l2(x, 5.0, groups=lab, out=o,
                                                  n_threads=n_threads),
        "group_rows": lambda o: P.prox_group_l2(
            x.reshape(-1, m), 5.0, out=None if o is None else o.reshape(-1, m),
            n_threads=n_threads).reshape(-1),
    }
    return ops


@pytest.mark.parametrize("dtype", DTYPES)
def test_threads_bitwise_equal(dtype):
    x = _data(BIG * 2 - BIG % 64 * 2, dtype)      # a multiple of 64: rows of 64
    one = {k: f(None) for k, f in _all_ops(x, n_threads=1).items()}
    two = {k: f(None) for k, f in _all_ops(x, n_threads=2).items()}
    for k in one:
        assert one[k].tobytes() == two[k].tobytes(), k


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [7, BIG])
def test_in_place_and_inputs_unchanged(n, dtype):
    x0 = _data(n, dtype)
    for name in _all_ops(x0):
        x = x0.copy()
        expected = _all_ops(x)[name](None)
        np.testing.assert_array_equal(x, x0, err_msg=name)   # input untouched
        got = _all_ops(x, n_threads=2)[name](x)
        assert got.tobytes() == expected.tobytes(), name
        assert np.shares_memory(got, x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_read_only_x_with_out(dtype):
    x = _data(33, dtype)
    x.flags.writeable = False
    t = np.abs(_data(33, dtype, 9))
    t.flags.writeable = False
    for name, f in _all_ops(x).items():
        out = np.empty_like(x)
        assert f(out) is not None
        np.testing.assert_array_equal(out, f(None), err_msg=name)
    out = np.empty_like(x)
    assert P.soft_threshold(x, t, out=out) is out


def test_returns_out():
    x = _data(9, np.float64)
    out = np.empty_like(x)
    assert P.prox_l2(x, 1.0, out=out) is out
    assert P.project_nonneg(x, out=x) is x


# ---- NaN ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_propagates(dtype):
    x = np.array([np.nan, 1.0, -3.0, np.nan, 0.0, np.inf, -np.inf], dtype=dtype)
    nan = np.isnan(x)
    for z in (P.soft_threshold(x, 0.5), P.prox_l1(x, np.full(7, 0.5)),
              P.prox_l2(x, 1.0), P.prox_elastic_net(x, 0.5, 0.5),
              P.project_box(x, -1.0, 1.0), P.project_box(x, np.full(7, -1.0), 2.0),
              P.project_nonneg(x)):
        np.testing.assert_array_equal(np.isnan(z), nan)
    np.testing.assert_array_equal(P.soft_threshold(x, 0.5)[5:], [np.inf, -np.inf])
    z = P.prox_group_l2(np.array([[1.0, np.nan], [3.0, 4.0]], dtype=dtype), 1.0)
    assert np.isnan(z[0]).all() and not np.isnan(z[1]).any()
    z = P.prox_group_l2(x[:5], 1.0, groups=np.array([0, 1, 1, 0, 2]))
    np.testing.assert_array_equal(np.isnan(z), [True, False, False, True, False])


# ---- bad input ------------------------------------------------------------------

X = np.ones(4)
BAD = [
    (lambda: P.soft_threshold([1.0, 2.0], 1.0), TypeError, "x must be a numpy array"),
    (lambda: P.soft_threshold(np.ones(3, np.int64), 1.0), TypeError, "x must have dtype"),
    (lambda: P.soft_threshold(X, -1.0), ValueError, "t must be a finite real number >= 0"),
    (lambda: P.soft_threshold(X, np.nan), ValueError, "t must be"),
    (lambda: P.soft_threshold(X, np.inf), ValueError, "t must be"),
    (lambda: P.soft_threshold(X, "1"), TypeError, "t must be a real number"),
    (lambda: P.soft_threshold(X, np.ones(3)), ValueError, "t has shape (3,)"),
    (lambda: P.soft_threshold(X, np.array([1.0, -1, 1, 1])), ValueError, "t.flat[1]"),
    (lambda: P.prox_l1(X, -0.5), ValueError, "lam must be"),
    (lambda: P.prox_l2(X, -0.5), ValueError, "lam must be"),
    (lambda: P.prox_l2(X, True), TypeError, "lam must be a real number"),
    (lambda: P.prox_elastic_net(X, -1.0, 0.0), ValueError, "l1 must be"),
    (lambda: P.prox_elastic_net(X, 1.0, np.inf), ValueError, "l2 must be"),
    (lambda: P.project_box(X, 1.0, 0.0), ValueError, "lo must be <= hi"),
    (lambda: P.project_box(X, np.zeros(4), np.array([1.0, -1, 1, 1])), ValueError,
     "lo must be <= hi everywhere"),
    (lambda: P.project_box(X, np.nan, 1.0), ValueError, "lo must be"),
    (lambda: P.project_box(X, 0.0, np.array([1.0, np.nan, 1, 1])), ValueError, "hi must be"),
    (lambda: P.project_nonneg(X, out=np.ones(4, np.float32)), TypeError, "out has dtype"),
    (lambda: P.project_nonneg(X, out=np.ones(5)), ValueError, "out has shape"),
    (lambda: P.project_nonneg(X, out=[0.0] * 4), TypeError, "out must be None or a numpy"),
    (lambda: P.project_nonneg(X, out=np.ones(8)[::2]), ValueError, "out must be C-contiguous"),
    (lambda: P.project_nonneg(np.ones(8)[::2], out=np.ones(4)), ValueError,
     "x must be C-contiguous"),
    (lambda: P.project_nonneg(np.ones(4), out=np.ones(4)), None, None),
    (lambda: P.project_nonneg(X, n_threads=0), ValueError, "n_threads"),
    (lambda: P.project_nonneg(X, n_threads=1.5), TypeError, "n_threads"),
    (lambda: P.prox_group_l2(X, 1.0), ValueError, "x must be 2-D"),
    (lambda: P.prox_group_l2(X, 1.0, groups="cols"), ValueError, "groups must be 'rows'"),
    (lambda: P.prox_group_l2(X, 1.0, groups=[0, 0, 1, 1]), TypeError, "groups must be"),
    (lambda: P.prox_group_l2(X, 1.0, groups=np.zeros(4)), TypeError, "integer dtype"),
    (lambda: P.prox_group_l2(X, 1.0, groups=np.zeros(3, int)), ValueError, "groups has shape"),
    (lambda: P.prox_group_l2(X, 1.0, groups=np.array([0, -1, 0, 0])), ValueError,
     "labels >= 0"),
    (lambda: P.prox_group_l2(X.reshape(2, 2), -1.0), ValueError, "lam must be"),
]


def _read_only():
    out = np.ones(4)
    out.flags.writeable = False
    return P.project_nonneg(X, out=out)


def _partial_overlap():
    buf = np.arange(8.0)
    return P.project_nonneg(buf[:4], out=buf[2:6])


def _t_overlaps_out():
    buf = np.arange(8.0)
    return P.soft_threshold(np.ones(4), buf[:4], out=buf[1:5])


BAD += [(_read_only, ValueError, "out is read-only"),
        (_partial_overlap, ValueError, "out overlaps x partially"),
        (_t_overlaps_out, ValueError, "out overlaps t partially")]


@pytest.mark.parametrize("call,exc,fragment", BAD)
def test_bad_input(call, exc, fragment):
    if exc is None:
        call()          # a good call in the table's neighbourhood: no error
        return
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)
