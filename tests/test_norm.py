"""fastopt.norm against torch.nn.functional and autograd (golden values
recorded by tests/record_golden_norm.py, and live where torch is installed),
determinism across n_threads, untouched and read-only inputs, bad input.

Errors are measured per array as max |ours - torch| / max |torch|: float64
within 1e-12, float32 within 1e-5."""
import os

import numpy as np
import pytest

from fastopt import _kernels
from fastopt import norm as fn

from record_golden_norm import (CASES, CASE_NAMES, GOLDEN, case_inputs, seed_of,
                                torch_reference)

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch; the golden file covers it
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
TOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}
KEYS = ("y", "grad_x", "grad_weight", "grad_bias", "running_mean", "running_var")


def rel_err(ours, ref):
    ours = np.asarray(ours, np.float64)
    ref = np.asarray(ref, np.float64)
    assert ours.shape == ref.shape
    scale = np.max(np.abs(ref))
    return np.max(np.abs(ours - ref)) / (scale if scale > 0 else 1.0)


def run_fastopt(kind, xs, grad_y, weight, bias, running_mean, running_var,
                training, extra, n_threads=None, momentum=0.1, eps=1e-5):
    """The same calls as torch_reference, through fastopt.norm."""
    rm = None if running_mean is None else running_mean.copy()
    rv = None if running_var is None else running_var.copy()
    for x in xs:
        if kind == "batch_norm":
            y, saved = fn.batch_norm(x, rm, rv, weight, bias, training, momentum, eps,
                                     n_threads=n_threads)
        elif kind == "instance_norm":
            y, saved = fn.instance_norm(x, rm, rv, weight, bias, training, momentum,
                                        eps, n_threads=n_threads)
        elif kind == "group_norm":
            y, saved = fn.group_norm(x, extra["num_groups"], weight, bias, eps,
                                     n_threads=n_threads)
        else:
            y, saved = fn.layer_norm(x, extra["normalized_shape"], weight, bias, eps,
                                     n_threads=n_threads)
    backward = getattr(fn, f"{kind}_backward")
    gx, gw, gb = backward(grad_y, xs[-1], saved, weight, n_threads=n_threads)
    out = {"y": y, "grad_x": gx, "grad_weight": gw, "grad_bias": gb}
    if kind in ("batch_norm", "instance_norm"):
        out["running_mean"], out["running_var"] = rm, rv
    return out, saved


def inputs(case):
    name, kind, shape, dtype, affine, training, extra = case
    return case_inputs(shape, dtype, affine, kind, extra, seed_of(name))


def compare(ours, ref, dtype, what):
    tol = TOL[np.dtype(dtype)]
    for key in KEYS:
        if key not in ref:
            continue
        if ref[key] is None:
            assert ours[key] is None, (what, key)
            continue
        assert ours[key].dtype == np.dtype(dtype), (what, key)
        err = rel_err(ours[key], ref[key])
        assert err <= tol, f"{what} {key}: relative error {err:.2e} > {tol:g}"


# ---- against torch ---------------------------------------------------------------

GOLD = np.load(GOLDEN) if os.path.exists(GOLDEN) else None


def test_golden_file_covers_every_case():
    assert GOLD is not None, "run tests/record_golden_norm.py"
    names = {k.split("/")[0] for k in GOLD.files if "/" in k}
    assert names == set(CASE_NAMES)


@pytest.mark.parametrize("case", CASES, ids=CASE_NAMES)
def test_matches_torch_golden(case):
    name, kind, shape, dtype, affine, training, extra = case
    xs, gy, w, b, rm, rv = inputs(case)
    ours, _ = run_fastopt(kind, xs, gy, w, b, rm, rv, training, extra)
    ref = {k: GOLD[f"{name}/{k}"] if f"{name}/{k}" in GOLD.files else None
           for k in KEYS if k in ours}
    compare(ours, ref, dtype, name)


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=CASE_NAMES)
def test_matches_torch_live(case):
    name, kind, shape, dtype, affine, training, extra = case
    xs, gy, w, b, rm, rv = inputs(case)
    ours, _ = run_fastopt(kind, xs, gy, w, b, rm, rv, training, extra)
    compare(ours, torch_reference(kind, xs, gy, w, b, rm, rv, training, extra),
            dtype, name)


# Larger and odd shapes, live only: rows longer than a block (4096), many
# blocks per channel, a weight per element with several groups (group norm
# on (N, C)), momentum and eps not the defaults.
BIG = [
    ("batch_norm", (5, 3, 37, 41), True, {}),
    ("batch_norm", (300, 7), True, {}),
    ("instance_norm", (2, 3, 71, 67), True, {}),
    ("group_norm", (3, 12, 23, 29), True, {"num_groups": 4}),
    ("group_norm", (33, 12), True, {"num_groups": 3}),
    ("layer_norm", (5, 9001), True, {"normalized_shape": (9001,)}),
    ("layer_norm", (37, 3, 129), True, {"normalized_shape": (3, 129)}),
]


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind,shape,training,extra", BIG,
                         ids=[f"{k}{s}" for k, s, _, _ in BIG])
def test_large_and_odd_shapes_match_torch(kind, shape, training, extra, dtype):
    xs, gy, w, b, rm, rv = case_inputs(shape, dtype, True, kind, extra, 7)
    ours, _ = run_fastopt(kind, xs, gy, w, b, rm, rv, training, extra,
                          momentum=0.3, eps=1e-3)
    ref = torch_reference(kind, xs, gy, w, b, rm, rv, training, extra,
                          momentum=0.3, eps=1e-3)
    compare(ours, ref, dtype, f"{kind}{shape}")


@needs_torch
def test_bias_without_weight_and_weight_without_bias():
    for kind, shape, extra in [("batch_norm", (4, 3, 5), {}),
                               ("group_norm", (4, 6, 5), {"num_groups": 3}),
                               ("layer_norm", (4, 3, 5), {"normalized_shape": (3, 5)})]:
        xs, gy, w, b, rm, rv = case_inputs(shape, "float64", True, kind, extra, 3)
        for ww, bb in ((w, None), (None, b)):
            ours, _ = run_fastopt(kind, xs, gy, ww, bb, rm, rv, True, extra)
            # torch 2.13's batch_norm backward fails with a bias and no weight
            # ("tensor does not have a device"): compare with a weight of ones
            ref = torch_reference(kind, xs, gy, np.ones_like(w) if ww is None else ww,
                                  bb, rm, rv, True, extra)
            if ww is None:
                ref["grad_weight"] = None
            compare(ours, ref, "float64", kind)


def test_saved_statistics_shapes():
    x = np.random.default_rng(0).standard_normal((4, 6, 5, 3))
    assert fn.batch_norm(x, None, None, training=True)[1].mean.shape == (6,)
    assert fn.instance_norm(x)[1].rstd.shape == (4, 6)
    assert fn.group_norm(x, 3)[1].mean.shape == (4, 3)
    saved = fn.layer_norm(x, (5, 3))[1]
    assert saved.mean.shape == (4, 6, 1, 1) and saved.batch_stats
    np.testing.assert_allclose(saved.mean[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-13)
    assert not saved.mean.flags.writeable


def test_batch_norm_without_running_stats_in_training():
    x = np.random.default_rng(1).standard_normal((6, 3, 4))
    y, saved = fn.batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0.0, atol=1e-14)
    assert saved.batch_stats


# ---- determinism -----------------------------------------------------------------

DET = [("batch_norm", (6, 5, 71, 53), {}),
       ("batch_norm", (40001, 7), {}),
       ("instance_norm", (3, 4, 97, 89), {}),
       ("group_norm", (3, 12, 61, 59), {"num_groups": 4}),
       ("layer_norm", (37, 4099), {"normalized_shape": (4099,)}),
       ("layer_norm", (517, 257), {"normalized_shape": (257,)})]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind,shape,extra", DET, ids=[k for k, _, _ in DET])
def test_bitwise_identical_for_any_n_threads(kind, shape, extra, dtype, monkeypatch):
    """Forward, backward and running stats: the same bits for 1, 2, 3 and 4
    threads (the kernels get the count as asked, past the core cap)."""
    xs, gy, w, b, rm, rv = case_inputs(shape, dtype, True, kind, extra, 11)
    monkeypatch.setattr(fn, "effective_n_threads", lambda n: n)
    results = [run_fastopt(kind, xs[:2], gy, w, b, rm, rv, True, extra, n_threads=nt)
               for nt in (1, 2, 3, 4)]
    (first, saved1), rest = results[0], results[1:]
    for out, saved in rest:
        np.testing.assert_array_equal(saved.mean, saved1.mean)
        np.testing.assert_array_equal(saved.rstd, saved1.rstd)
        for key, val in first.items():
            if val is not None:
                assert np.array_equal(out[key], val), key


# ---- inputs ------------------------------------------------------------------------

def _readonly(a):
    if a is None:
        return None
    a = a.copy()
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("case", [c for c in CASES if c[3] == "float32"],
                         ids=[c[0] for c in CASES if c[3] == "float32"])
def test_inputs_never_modified_and_read_only_accepted(case):
    name, kind, shape, dtype, affine, training, extra = case
    xs, gy, w, b, rm, rv = inputs(case)
    ref, _ = run_fastopt(kind, xs, gy, w, b, rm, rv, training, extra)
    ro = [_readonly(a) for a in (gy, w, b)]
    xs_ro = [_readonly(x) for x in xs]
    copies = [a.copy() for a in xs_ro + [a for a in ro if a is not None]]
    stats_ro = not (training and kind in ("batch_norm", "instance_norm"))
    rm_in = _readonly(rm) if stats_ro else rm
    rv_in = _readonly(rv) if stats_ro else rv
    out, _ = run_fastopt(kind, xs_ro, ro[0], ro[1], ro[2], rm_in, rv_in, training,
                         extra)
    for a, c in zip(xs_ro + [a for a in ro if a is not None], copies):
        assert np.array_equal(a, c)
    for key, val in ref.items():
        if val is not None:
            assert np.array_equal(out[key], val), key


def test_running_stats_updated_in_place():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3, 5))
    rm, rv = np.zeros(3), np.ones(3)
    ids = (id(rm), id(rv))
    fn.batch_norm(x, rm, rv, training=True, momentum=0.5)
    assert (id(rm), id(rv)) == ids
    np.testing.assert_allclose(rm, 0.5 * x.mean(axis=(0, 2)), rtol=1e-13)
    np.testing.assert_allclose(rv, 0.5 + 0.5 * x.var(axis=(0, 2), ddof=1), rtol=1e-13)


# ---- bad input ---------------------------------------------------------------------

def _bad_cases():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 5))
    x32 = x.astype(np.float32)
    w = np.ones(3)
    rm, rv = np.zeros(3), np.ones(3)
    one = rng.standard_normal((1, 3))
    bn = fn.batch_norm
    cases = [
        ("list input", lambda r, v: bn(x.tolist(), r, v, training=True), TypeError, "input"),
        ("int input", lambda r, v: bn(x.astype(int), r, v, training=True), TypeError, "input"),
        ("1-d input", lambda r, v: bn(x[0, 0], r, v, training=True), ValueError, "input"),
        ("empty input", lambda r, v: bn(x[:0], r, v, training=True), ValueError, "input"),
        ("strided input", lambda r, v: bn(x[:, :, ::2], r, v, training=True), ValueError,
         "C-contiguous"),
        ("weight shape", lambda r, v: bn(x, r, v, np.ones(4), training=True), ValueError,
         "weight"),
        ("weight dtype", lambda r, v: bn(x, r, v, w.astype(np.float32), training=True),
         TypeError, "weight"),
        ("bias shape", lambda r, v: bn(x, r, v, w, np.ones((3, 1)), training=True),
         ValueError, "bias"),
        ("running_mean shape", lambda r, v: bn(x, np.zeros(4), v, training=True),
         ValueError, "running_mean"),
        ("running_var dtype", lambda r, v: bn(x, r, v.astype(np.float32), training=True),
         TypeError, "running_var"),
        ("running_var read-only", lambda r, v: bn(x, r, _readonly(v), training=True),
         ValueError, "running_var"),
        ("running_var missing", lambda r, v: bn(x, r, None, training=True), ValueError,
         "running_var"),
        ("running stats aliased", lambda r, v: bn(x, r, r, training=True), ValueError,
         "share memory"),
        ("eval without stats", lambda r, v: bn(x, None, None), ValueError, "running_mean"),
        ("eps 0 training", lambda r, v: bn(x, r, v, training=True, eps=0.0), ValueError,
         "eps"),
        ("eps negative", lambda r, v: bn(x, r, v, eps=-1e-5), ValueError, "eps"),
        ("eps nan", lambda r, v: bn(x, r, v, training=True, eps=float("nan")), ValueError,
         "eps"),
        ("momentum str", lambda r, v: bn(x, r, v, training=True, momentum="0.1"),
         TypeError, "momentum"),
        ("training int", lambda r, v: bn(x, r, v, training=1), TypeError, "training"),
        ("one value per channel", lambda r, v: bn(one, r, v, training=True), ValueError,
         "Expected more than 1 value per channel when training"),
        ("n_threads 0", lambda r, v: bn(x, r, v, training=True, n_threads=0), ValueError,
         "n_threads"),
        ("instance one spatial", lambda r, v: fn.instance_norm(x[:, :, :1].copy(), r, v),
         ValueError, "Expected more than 1 spatial element when training"),
        ("instance eval without stats",
         lambda r, v: fn.instance_norm(x, use_input_stats=False), ValueError,
         "running_mean"),
        ("instance stats shape", lambda r, v: fn.instance_norm(x, r[:2], v[:2]),
         ValueError, "running_mean"),
        ("num_groups divides C", lambda r, v: fn.group_norm(x, 2), ValueError, "num_groups"),
        ("num_groups 0", lambda r, v: fn.group_norm(x, 0), ValueError, "num_groups"),
        ("num_groups float", lambda r, v: fn.group_norm(x, 1.0), TypeError, "num_groups"),
        ("group one value", lambda r, v: fn.group_norm(one, 3), ValueError,
         "Expected more than 1 value per channel"),
        ("group weight shape", lambda r, v: fn.group_norm(x, 3, np.ones(5)), ValueError,
         "weight"),
        ("normalized_shape mismatch", lambda r, v: fn.layer_norm(x, (3,)), ValueError,
         "normalized_shape"),
        ("normalized_shape too long", lambda r, v: fn.layer_norm(x, (2, 4, 3, 5)),
         ValueError, "normalized_shape"),
        ("normalized_shape empty", lambda r, v: fn.layer_norm(x, ()), ValueError,
         "normalized_shape"),
        ("normalized_shape str", lambda r, v: fn.layer_norm(x, "5"), TypeError,
         "normalized_shape"),
        ("layer weight shape", lambda r, v: fn.layer_norm(x, (5,), np.ones(4)),
         ValueError, "weight"),
        ("layer eps negative", lambda r, v: fn.layer_norm(x32, (5,), eps=-1.0),
         ValueError, "eps"),
    ]
    return cases, rm, rv


_BAD, _, _ = _bad_cases()


@pytest.mark.parametrize("i", range(len(_BAD)), ids=[c[0] for c in _BAD])
def test_bad_input(i):
    cases, rm, rv = _bad_cases()
    _, call, exc, words = cases[i]
    rm0, rv0 = rm.copy(), rv.copy()
    with pytest.raises(exc, match=words):
        call(rm, rv)
    assert np.array_equal(rm, rm0) and np.array_equal(rv, rv0)


def test_bad_backward_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 3, 5))
    w = np.ones(3)
    _, saved = fn.batch_norm(x, None, None, w, training=True)
    _, lsaved = fn.layer_norm(x, (5,))
    bad = [
        (lambda: fn.batch_norm_backward(x, x, "saved", w), TypeError, "saved"),
        (lambda: fn.batch_norm_backward(x, x, lsaved), ValueError, "saved"),
        (lambda: fn.batch_norm_backward(x, x[:2].copy(), saved, w), ValueError, "x"),
        (lambda: fn.batch_norm_backward(x[:2].copy(), x, saved, w), ValueError, "grad_y"),
        (lambda: fn.batch_norm_backward(x.astype(np.float32), x, saved, w), TypeError,
         "grad_y"),
        (lambda: fn.batch_norm_backward(x[..., ::-1], x, saved, w), ValueError, "grad_y"),
        (lambda: fn.batch_norm_backward(x, x, saved), ValueError, "weight"),
        (lambda: fn.layer_norm_backward(x, x, lsaved, np.ones(5)), ValueError, "weight"),
        (lambda: fn.batch_norm_backward(x, x, saved, np.ones(4)), ValueError, "weight"),
    ]
    for call, exc, words in bad:
        with pytest.raises(exc, match=words):
            call()


def test_kernel_rejects_views_that_do_not_fit():
    x = np.zeros(12)
    mean, var = np.empty(3), np.empty(3)
    with pytest.raises(ValueError):
        _kernels.norm_stats(x, (1, 3, 5, 1, 1), mean, var, 1)
    with pytest.raises(ValueError):
        _kernels.norm_stats(x, (1, 3, 4, 2, 1), mean, var, 1)   # P does not divide G
