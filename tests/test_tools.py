"""fastopt.noise, .averaging, EarlyStopping, .data.minibatches and .init:
statistics with seeded generators, numpy twins of the averages, Keras's
early-stopping rule step by step, exact row coverage, bad input."""
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

import fastopt
from fastopt import averaging as A, data as D, init as I, noise as N

DTYPES = [np.float32, np.float64]


# ---- gradient noise -------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_noise_variance(dtype):
    n, eta, gamma, t = 200_000, 0.3, 0.55, 9
    g = np.full(n, 2.0, dtype=dtype)
    out = N.GradientNoise(eta, gamma, seed=0)([g], t)
    assert out[0] is g and g.dtype == dtype
    var = eta / (1 + t) ** gamma
    z = (g.astype(np.float64) - 2.0) / math.sqrt(var)
    # mean 0 within 5 standard errors; variance within 5 of its standard errors
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1) < 5 * math.sqrt(2 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_noise_anneals_and_is_seeded():
    noise = N.GradientNoise(1.0, 0.55)
    assert [noise.sigma(t) for t in (0, 3)] == [1.0, math.sqrt(4 ** -0.55)]
    a, b = np.zeros(5), np.zeros(5)
    N.GradientNoise(0.01, seed=7)(a, 0)
    N.GradientNoise(0.01, seed=np.random.default_rng(7))([b, None], 0)
    np.testing.assert_array_equal(a, b)


# ---- averaging ------------------------------------------------------------------

def iterates(dtype, k=25):
    rng = np.random.default_rng(3)
    return [rng.standard_normal((4, 3)).astype(dtype) for _ in range(k)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_polyak_is_the_mean(dtype):
    xs = iterates(dtype)
    p = xs[0].copy()
    avg = A.PolyakAverage(p)
    np.testing.assert_array_equal(avg.averaged(), xs[0])
    for x in xs:
        p[...] = x
        avg.update()
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(avg.averaged(), np.mean(xs, axis=0, dtype=np.float64),
                               rtol=tol, atol=tol)
    assert avg.averaged().dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_updates", [None, 0, 5])
def test_ema_twin(dtype, num_updates):
    xs = iterates(dtype)
    p, q = np.zeros((4, 3), dtype), np.zeros((4, 3), dtype)
    ema = A.ExponentialMovingAverage([p, q], 0.9, num_updates=num_updates)
    shadow, k = np.zeros((4, 3), dtype), num_updates
    for x in xs:
        p[...] = x
        ema.update()
        d = 0.9 if k is None else min(0.9, (1 + k) / (10 + k))
        shadow -= dtype(1 - d) * (shadow - x)       # TF's assign_moving_average
        k = None if k is None else k + 1
    got = ema.averaged()
    np.testing.assert_array_equal(got[0], shadow)
    np.testing.assert_array_equal(got[1], 0.0)


def test_swapped_restores_even_on_error():
    p = np.arange(6.0)
    avg = A.ExponentialMovingAverage(p, 0.5)
    p += 10
    avg.update()
    with avg.swapped() as inside:
        assert inside is p
        np.testing.assert_array_equal(p, np.arange(6.0) + 5)
    np.testing.assert_array_equal(p, np.arange(6.0) + 10)
    with pytest.raises(RuntimeError):
        with avg.swapped():
            raise RuntimeError
    np.testing.assert_array_equal(p, np.arange(6.0) + 10)


# ---- early stopping ---------------------------------------------------------------

def keras_twin(values, patience, min_delta, mode, baseline=None):
    """keras.callbacks.EarlyStopping.on_epoch_end, transcribed."""
    sign = -1 if mode == "min" else 1
    better = (lambda a, b: a < b) if mode == "min" else (lambda a, b: a > b)
    best, wait = None, 0
    for epoch, v in enumerate(values):
        wait += 1
        if best is None or better(v - sign * min_delta, best):
            best = v
            if baseline is None or better(v - sign * min_delta, baseline):
                wait = 0
            continue
        if wait >= patience and epoch > 0:
            return epoch
    return None


@pytest.mark.parametrize("seed", range(40))
def test_early_stopping_like_keras(seed):
    rng = np.random.default_rng(seed)
    values = list(np.round(np.cumsum(rng.normal(-0.05, 0.3, 40)), 1))
    patience, mode = int(rng.integers(0, 5)), ["min", "max"][seed % 2]
    min_delta = [0.0, 0.1, 0.25][seed % 3]
    baseline = None if seed % 4 else float(values[0])
    es = fastopt.EarlyStopping(patience, min_delta, mode, baseline=baseline)
    stops = [es.step(v) for v in values]
    expected = keras_twin(values, patience, min_delta, mode, baseline)
    first = stops.index(True) if True in stops else None
    assert first == expected == es.stopped_step
    assert all(stops[first:]) if first is not None else True


def test_early_stopping_min_delta_and_best():
    es = fastopt.EarlyStopping(patience=2, min_delta=0.5)
    assert [es.step(v) for v in [3.0, 2.6, 2.55]] == [False, False, True]
    assert es.best == 3.0 and es.best_step == 0
    es = fastopt.EarlyStopping(patience=2, min_delta=0.5)
    assert [es.step(v) for v in [3.0, 2.6, 2.4, 2.0]] == [False] * 4   # 2.4 beats 3 by 0.6
    assert es.best == 2.4 and es.wait == 1
    es = fastopt.EarlyStopping(patience=1, mode="max")
    assert [es.step(v) for v in [0.1, 0.3, float("nan")]] == [False, False, True]
    assert es.best == 0.3 and es.best_step == 1


# ---- minibatches -----------------------------------------------------------------

@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_minibatches_cover_every_row_once(sparse, drop_last):
    n, bs = 103, 10
    X = np.arange(n * 3, dtype=float).reshape(n, 3)
    Xin = sp.csr_matrix(X) if sparse else X
    y = np.arange(n)
    seen = []
    for epoch in range(3):
        rows = []
        for xb, yb in D.minibatches(Xin, y, bs, rng=epoch, drop_last=drop_last):
            xb = xb.toarray() if sparse else xb
            np.testing.assert_array_equal(xb, X[yb])       # X and y stay paired
            assert len(yb) == bs or not drop_last
            rows.extend(yb)
        expected = n - n % bs if drop_last else n
        assert len(rows) == len(set(rows)) == expected
        seen.append(rows)
    assert seen[0] != seen[1]                             # reshuffled per epoch


def test_minibatches_order_y_none_and_curriculum():
    X = np.arange(10.0)
    batches = [xb for xb, yb in D.minibatches(X, None, 4, shuffle=False)]
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    scores = np.array([5, 1, 3, 1, 0, 9, 2, 2, 7, 4])
    rows = np.concatenate([xb for xb, _ in D.minibatches(X, None, 3, order=scores, rng=1)])
    assert np.all(np.diff(scores[rows.astype(int)]) >= 0)   # easy first
    plain = np.concatenate([xb for xb, _ in D.minibatches(X, None, 3, shuffle=False,
                                                          order=scores)])
    assert plain.tolist() == np.argsort(scores, kind="stable").tolist()
    coo = sp.coo_matrix(np.eye(5))
    assert sum(xb.nnz for xb, _ in D.minibatches(coo, None, 2)) == 5


# ---- init ------------------------------------------------------------------------

INITS = [(I.uniform_fan_in, "uniform", lambda fi, fo: math.sqrt(1 / fi)),
         (I.glorot_uniform, "uniform", lambda fi, fo: math.sqrt(6 / (fi + fo))),
         (I.glorot_normal, "norm", lambda fi, fo: math.sqrt(2 / (fi + fo))),
         (I.he_normal, "norm", lambda fi, fo: math.sqrt(2 / fi))]


@pytest.mark.parametrize("fn, dist, param", INITS, ids=[f[0].__name__ for f in INITS])
@pytest.mark.parametrize("dtype", DTYPES)
def test_init_distribution(fn, dist, param, dtype):
    shape = (3, 3, 40, 50)                     # conv kernel: field 9
    fi, fo = 360, 450
    assert I.fans(shape) == (fi, fo)
    W = fn(shape, rng=0, dtype=dtype)
    assert W.shape == shape and W.dtype == dtype
    w = W.astype(np.float64).ravel()
    a = param(fi, fo)
    if dist == "uniform":
        assert np.abs(w).max() <= a
        p = stats.kstest(w, "uniform", args=(-a, 2 * a)).pvalue
    else:
        p = stats.kstest(w, "norm", args=(0, a)).pvalue
    assert p > 1e-3
    np.testing.assert_array_equal(W, fn(shape, rng=np.random.default_rng(0), dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_init_exact_count(dtype):
    W = I.sparse_init((200, 70), k=15, rng=5, scale=2.0, dtype=dtype)
    assert W.dtype == dtype
    np.testing.assert_array_equal((W != 0).sum(axis=0), 15)
    nz = W[W != 0].astype(np.float64)
    assert stats.kstest(nz, "norm", args=(0, 2.0)).pvalue > 1e-3
    assert len({tuple(np.flatnonzero(W[:, j])) for j in range(70)}) > 60   # rows vary
    assert (I.sparse_init((15, 3), k=15, rng=0) != 0).all()


BAD = [
    (lambda: N.GradientNoise(-1.0), ValueError, "eta"),
    (lambda: N.GradientNoise(1.0, seed="x"), TypeError, "seed"),
    (lambda: N.GradientNoise(1.0)(np.zeros(2), -1), ValueError, "t"),
    (lambda: N.GradientNoise(1.0)([np.zeros(2), np.zeros(2, int)], 0), TypeError, r"grads\[1\]"),
    (lambda: A.ExponentialMovingAverage(np.zeros(2), 1.5), ValueError, "decay"),
    (lambda: A.ExponentialMovingAverage(np.zeros(2), 0.9, num_updates=-1), ValueError,
     "num_updates"),
    (lambda: A.PolyakAverage([np.zeros(2), np.zeros(2, int)]), TypeError, r"params\[1\]"),
    (lambda: fastopt.EarlyStopping(-1), ValueError, "patience"),
    (lambda: fastopt.EarlyStopping(1, min_delta=-0.1), ValueError, "min_delta"),
    (lambda: fastopt.EarlyStopping(1, mode="lowest"), ValueError, "mode"),
    (lambda: fastopt.EarlyStopping(1).step("1.0"), TypeError, "value"),
    (lambda: D.minibatches([[1, 2]], None, 1), TypeError, "X"),
    (lambda: D.minibatches(np.zeros((5, 2)), np.zeros(4), 1), ValueError, "y"),
    (lambda: D.minibatches(np.zeros((5, 2)), None, 0), ValueError, "batch_size"),
    (lambda: D.minibatches(np.zeros((5, 2)), None, 2, rng=1.5), TypeError, "rng"),
    (lambda: D.minibatches(np.zeros((5, 2)), None, 2, order=np.zeros(4)), ValueError, "order"),
    (lambda: D.minibatches(np.zeros(5), None, 2, order=[0, 1, 2, 3, np.nan]), ValueError,
     "order"),
    (lambda: I.glorot_uniform((3, 0)), ValueError, r"shape\[1\]"),
    (lambda: I.glorot_uniform((3, 4), dtype=np.int32), TypeError, "dtype"),
    (lambda: I.he_normal("3x4"), TypeError, "shape"),
    (lambda: I.sparse_init((10, 4), k=11), ValueError, "k must be <= fan_in"),
    (lambda: I.sparse_init((10, 4, 2), k=1), ValueError, "2-D"),
    (lambda: I.sparse_init((10, 4), k=2, scale=0), ValueError, "scale"),
]


@pytest.mark.parametrize("make, exc, match", BAD, ids=[m for _, _, m in BAD])
def test_bad_input(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_noise_changes_nothing():
    a = np.zeros(3)
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        N.GradientNoise(1.0)([a, ro], 0)
    np.testing.assert_array_equal(a, 0.0)
