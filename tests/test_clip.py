"""fastopt.clip against a numpy twin written from torch's definition and
against torch.nn.utils.clip_grad_norm_ itself (where torch is installed):
float32/float64, mixed lists, odd sizes, 1/2/inf norms, n_threads 1 and 2
bitwise equal, NaN/inf, bad input that changes nothing."""
import math

import numpy as np
import pytest

import fastopt.clip as C

DTYPES = [np.float32, np.float64]
SIZES = [0, 1, 7, 4095, 4097, 100003, 2 * 32768 + 4321]
NORMS = [1.0, 2.0, math.inf]


def twin_norm(grads, p):
    """The norm of all elements, in float64 (numpy)."""
    flat = np.concatenate([g.astype(np.float64).ravel() for g in grads] + [np.zeros(0)])
    return float(np.linalg.norm(flat, ord=p)) if flat.size else 0.0


def twin_clip(grads, max_norm, p):
    total = twin_norm(grads, p)
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:
        for g in grads:
            g *= g.dtype.type(coef)
    return total


def make(sizes, dtypes, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(n) * scale).astype(d) for n, d in zip(sizes, dtypes)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("p", NORMS)
def test_global_norm_matches_twin(dtype, n, p):
    grads = make([n, 5, 33], [dtype] * 3)
    twin = [g.copy() for g in grads]
    total = C.clip_by_global_norm(grads, 1.0, p)
    ref = twin_clip(twin, 1.0, p)
    assert isinstance(total, float)
    assert total == pytest.approx(ref, rel=1e-13)
    for g, r in zip(grads, twin):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, r, rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("p", NORMS)
def test_mixed_dtypes_none_entries_and_shapes(p):
    a, b = make([1000, 2001], [np.float32, np.float64])
    grads = [a.reshape(10, 100), None, b]
    twin = [a.copy(), b.copy()]
    assert C.clip_by_global_norm(grads, 0.5, p) == pytest.approx(
        twin_clip(twin, 0.5, p), rel=1e-13)
    np.testing.assert_array_equal(grads[0].ravel(), twin[0])
    np.testing.assert_array_equal(grads[2], twin[1])
    assert C.global_norm([a, b], p) == pytest.approx(twin_norm(twin, p), rel=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", NORMS)
def test_n_threads_bitwise_equal(dtype, p):
    base = make([300001, 70000, 3], [dtype] * 3, seed=4)
    runs = []
    for nt in (1, 2, 3):
        grads = [g.copy() for g in base]
        total = C.clip_by_global_norm(grads, 1.0, p, n_threads=nt)
        runs.append((total, grads))
    for total, grads in runs[1:]:
        assert total == runs[0][0]
        for g, g0 in zip(grads, runs[0][1]):
            assert g.tobytes() == g0.tobytes()


def test_no_clip_below_max_norm_and_single_array():
    g = np.array([3.0, 4.0])
    assert C.clip_by_norm(g, 10.0) == 5.0
    np.testing.assert_array_equal(g, [3.0, 4.0])
    assert C.clip_by_norm(g, 1.0) == 5.0
    np.testing.assert_allclose(g, np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-15)
    assert C.clip_by_global_norm([], 1.0) == 0.0


def test_nonfinite_like_torch():
    g = np.array([1.0, np.nan, 2.0])
    assert math.isnan(C.clip_by_global_norm(g, 1.0))
    assert np.isnan(g).all()
    g = np.array([1.0, np.inf, -2.0], dtype=np.float32)
    assert C.clip_by_global_norm(g, 1.0) == math.inf
    np.testing.assert_array_equal(g, [0.0, np.nan, -0.0])
    assert math.isnan(C.global_norm([np.array([np.inf]), np.array([np.nan])], math.inf))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", NORMS)
def test_against_torch(dtype, p):
    torch = pytest.importorskip("torch")
    grads = make([1000, 37, 4096], [dtype] * 3, seed=2)
    params = []
    for g in grads:
        t = torch.zeros(g.shape, dtype=torch.float32 if dtype == np.float32 else torch.float64)
        t.grad = torch.from_numpy(g.copy())
        params.append(t)
    ref = float(torch.nn.utils.clip_grad_norm_(params, 2.0, p))
    total = C.clip_by_global_norm(grads, 2.0, p)
    tol = 1e-5 if dtype == np.float32 else 1e-12    # torch sums float32 in float32
    assert total == pytest.approx(ref, rel=tol)
    for g, t in zip(grads, params):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_by_value(dtype):
    g = np.array([-3.0, -0.5, np.nan, 0.2, 7.0], dtype=dtype)
    h = np.linspace(-2, 2, 9).astype(dtype)
    out = C.clip_by_value([g, None, h], -1.0, 0.5)
    assert out[0] is g
    np.testing.assert_array_equal(g, np.array([-1.0, -0.5, np.nan, 0.2, 0.5], dtype=dtype))
    np.testing.assert_array_equal(h, np.clip(np.linspace(-2, 2, 9), -1, 0.5).astype(dtype))
    C.clip_by_value(h, -np.inf, 0.0)
    assert h.max() == 0.0


ok = np.ones(3)
BAD = [
    (lambda: C.clip_by_global_norm([ok.copy(), "x"], 1.0), TypeError, r"grads\[1\]"),
    (lambda: C.clip_by_global_norm([ok.copy(), np.ones(3, int)], 1.0), TypeError, r"grads\[1\]"),
    (lambda: C.clip_by_global_norm(ok.copy(), -1.0), ValueError, "max_norm"),
    (lambda: C.clip_by_global_norm(ok.copy(), np.nan), ValueError, "max_norm"),
    (lambda: C.clip_by_global_norm(ok.copy(), 1.0, 3), ValueError, "norm_type"),
    (lambda: C.clip_by_global_norm(ok.copy(), 1.0, "two"), TypeError, "norm_type"),
    (lambda: C.clip_by_global_norm({"a": ok}, 1.0), TypeError, "grads"),
    (lambda: C.clip_by_norm([ok.copy()], 1.0), TypeError, "grad"),
    (lambda: C.clip_by_value(ok.copy(), 1.0, -1.0), ValueError, "lo must be <= hi"),
    (lambda: C.clip_by_value(ok.copy(), np.nan, 1.0), ValueError, "lo"),
    (lambda: C.clip_by_value(ok.copy(), np.zeros(3), 1.0), TypeError, "lo"),
    (lambda: C.clip_by_global_norm(ok.copy(), 1.0, n_threads=0), ValueError, "n_threads"),
]


@pytest.mark.parametrize("make_call, exc, match", BAD, ids=[m for _, _, m in BAD])
def test_bad_input(make_call, exc, match):
    with pytest.raises(exc, match=match):
        make_call()


def test_bad_input_changes_nothing():
    a, ro = 10 * np.ones(4), 10 * np.ones(4)
    ro.flags.writeable = False
    for grads, exc in [([a, ro], ValueError), ([a, a], ValueError),
                       ([a, np.ones((4, 4))[:, 0]], ValueError)]:
        with pytest.raises(exc):
            C.clip_by_global_norm(grads, 1.0)
        with pytest.raises(exc):
            C.clip_by_value(grads, -1.0, 1.0)
        np.testing.assert_array_equal(a, 10.0)
    assert C.global_norm([ro, np.ones((4, 4))[:, 0]]) == pytest.approx(math.sqrt(404))
