"""fastopt.schedules against torch's schedulers (golden values recorded by
tests/record_golden_schedules.py) and against the formulas written out here
independently, step by step; attach() on every optimizer with an lr; bad
arguments."""
import json
import math
import os
import pickle

import numpy as np
import pytest

import fastopt
import fastopt.schedules as S

GOLDEN = np.load(os.path.join(os.path.dirname(__file__), "golden", "schedules", "torch.npz"))
CASES = sorted(k[len("lrs/"):] for k in GOLDEN.files if k.startswith("lrs/"))


def build(spec):
    fn, kwargs = spec
    kwargs = dict(kwargs)
    if "schedule" in kwargs:
        kwargs["schedule"] = build(kwargs["schedule"])
    return getattr(S, fn)(**kwargs)


def test_golden_covers_every_torch_counterpart():
    fns = {json.loads(str(GOLDEN[f"spec/{c}"]))["fastopt"][0] for c in CASES}
    assert fns >= {"step", "multistep", "exponential", "linear_decay", "polynomial",
                   "cosine", "cosine_restarts", "cyclic", "one_cycle", "warmup"}


@pytest.mark.parametrize("case", CASES)
def test_matches_torch(case):
    ref = GOLDEN[f"lrs/{case}"]
    s = build(json.loads(str(GOLDEN[f"spec/{case}"]))["fastopt"])
    t = np.arange(len(ref))
    # torch's recursive updates drift by a relative 3e-14 at most (cosine
    # near lr_min); the atol covers lrs that are 0 in one and 1e-18 in the other
    np.testing.assert_allclose(s(t), ref, rtol=1e-12, atol=1e-15 * ref.max())
    assert [s(int(k)) for k in t[::37]] == list(s(t[::37]))   # scalar == vector


# ---- the formulas, written out step by step --------------------------------------

def loop_cosine_restarts(lr0, T_0, T_mult, lr_min, n):
    out, t_cur, t_i = [], 0, T_0
    for _ in range(n):
        out.append(lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur, t_i = t_cur - t_i, t_i * T_mult
    return out


def cyclic_ref(t, base, peak, up, down, mode, gamma):
    cycle_len = up + down
    k, pos = divmod(t, cycle_len)
    frac = pos / up if pos <= up else 1 - (pos - up) / down
    amp = {"triangular": 1, "triangular2": 0.5 ** k, "exp_range": gamma ** t}[mode]
    return base + (peak - base) * frac * amp


FORMULAS = [
    (S.constant(0.3), lambda t: 0.3),
    (S.step(0.2, 4, 0.5), lambda t: 0.2 * 0.5 ** (t // 4)),
    (S.multistep(1.0, [3, 8, 8], 0.1),
     lambda t: 1.0 * 0.1 ** ((t >= 3) + 2 * (t >= 8))),
    (S.exponential(2.0, 0.97), lambda t: 2.0 * 0.97 ** t),
    (S.inverse_time(0.5, 0.3, 4), lambda t: 0.5 / (1 + 0.3 * t / 4)),
    (S.inverse_time(0.5, 0.3, 4, staircase=True), lambda t: 0.5 / (1 + 0.3 * (t // 4))),
    (S.linear_decay(0.1, 0.001, 25),
     lambda t: 0.1 + (0.001 - 0.1) * min(t, 25) / 25),
    (S.polynomial(0.4, 0.01, 30, 3.0),
     lambda t: 0.01 + 0.39 * (1 - min(t, 30) / 30) ** 3),
    (S.cosine(1.0, 20, 0.1), lambda t: 0.1 + 0.45 * (1 + math.cos(math.pi * t / 20))),
    (S.cyclic(0.1, 1.0, 5, 3, "triangular2"),
     lambda t: cyclic_ref(t, 0.1, 1.0, 5, 3, "triangular2", 1.0)),
    (S.cyclic(0.1, 1.0, 4, mode="exp_range", gamma=0.9),
     lambda t: cyclic_ref(t, 0.1, 1.0, 4, 4, "exp_range", 0.9)),
    (S.warmup(S.exponential(1.0, 0.9), 10, 0.2),
     lambda t: 0.2 + 0.8 * t / 10 if t < 10 else 0.9 ** (t - 10)),
]


@pytest.mark.parametrize("s, f", FORMULAS, ids=[repr(s) for s, _ in FORMULAS])
def test_formula(s, f):
    t = np.arange(60)
    np.testing.assert_allclose(s(t), [f(int(k)) for k in t], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_cosine_restarts_loop(T_mult):
    s = S.cosine_restarts(0.5, 7, T_mult, 0.01)
    np.testing.assert_allclose(s(np.arange(200)), loop_cosine_restarts(0.5, 7, T_mult, 0.01, 200),
                               rtol=1e-14)


def test_one_cycle_shape():
    s = S.one_cycle(1.0, 100, pct_start=0.25, div_factor=10, final_div_factor=100)
    lrs = s(np.arange(101))
    peak = int(np.argmax(lrs))
    assert lrs[0] == pytest.approx(0.1) and peak == 24 and lrs[peak] == 1.0
    assert lrs[99] == pytest.approx(0.1 / 100, rel=1e-12)
    assert np.all(np.diff(lrs[:25]) > 0) and np.all(np.diff(lrs[24:100]) < 0)
    with pytest.raises(ValueError, match="t <= total_steps"):
        s(101)


def test_warmup_of_any_callable_and_shapes():
    s = S.warmup(lambda t: 1.0 / (1 + t), 4)
    assert [s(t) for t in range(7)] == [0.0, 0.25, 0.5, 0.75, 1.0, 0.5, 1 / 3]
    grid = np.arange(12).reshape(3, 4)
    assert S.cosine(1.0, 10)(grid).shape == (3, 4)
    assert isinstance(S.step(1.0, 2)(np.int64(3)), float)


def test_repr_equality_pickle():
    s = S.warmup(S.cosine(0.1, 100, lr_min=1e-3), 10)
    assert repr(s) == ("warmup(schedule=cosine(lr0=0.1, total_steps=100, lr_min=0.001), "
                       "warmup_steps=10, start_factor=0.0)")
    s2 = pickle.loads(pickle.dumps(s))
    assert s2 == s and s2(57) == s(57)
    assert S.multistep(1.0, [5, 2]) == S.multistep(1.0, (2, 5))


# ---- attach ----------------------------------------------------------------------

LR_OPTIMIZERS = [fastopt.SGD, fastopt.Adagrad, fastopt.Adadelta, fastopt.RMSProp,
                 fastopt.Adam, fastopt.AdamW, fastopt.Adamax, fastopt.Nadam,
                 fastopt.ProximalSGD, fastopt.ProximalAdagrad, fastopt.AdagradDA,
                 fastopt.FTRL]


@pytest.mark.parametrize("cls", LR_OPTIMIZERS, ids=lambda c: c.__name__)
def test_attach_sets_lr_before_every_step(cls):
    """The attached optimizer's params equal a twin whose lr is set by hand."""
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(13)
    sched = S.warmup(S.step(0.05, 3, 0.5), 2, 0.5)
    a, b = x0.copy(), x0.copy()
    opt_a = S.attach(cls(a, lr=0.123), sched)
    opt_b = cls(b, lr=0.123)
    assert opt_a.lr == sched(0)
    for t in range(9):
        g = rng.standard_normal(13)
        opt_b.lr = sched(t)
        opt_a.step(g)
        opt_b.step(g)
        assert opt_a.lr == sched(t)
    np.testing.assert_array_equal(a, b)
    S.detach(opt_a)
    opt_a.step(np.ones(13))
    assert opt_a.lr == sched(8)


def test_attach_again_replaces_and_bad_step_keeps_params():
    x = np.zeros(3)
    opt = S.attach(S.attach(fastopt.SGD(x, lr=1.0), S.constant(5.0)), S.constant(0.5))
    opt.step(np.ones(3))
    np.testing.assert_array_equal(x, -0.5)
    with pytest.raises(ValueError):
        opt.step(np.ones(4))
    np.testing.assert_array_equal(x, -0.5)
    assert opt.t == 1


def test_attach_errors():
    opt = fastopt.SGD(np.zeros(2), lr=0.1)
    with pytest.raises(TypeError, match="schedule"):
        S.attach(opt, 0.1)
    with pytest.raises(TypeError, match="optimizer .* RDA"):
        S.attach(fastopt.RDA(np.zeros(2), l1=0.1, gamma=1.0), S.constant(0.1))
    with pytest.raises(ValueError, match="lr"):        # the optimizer refuses lr < 0
        S.attach(opt, lambda t: -1.0)
    assert opt.lr == 0.1 and "step" not in vars(opt)
    dbd = fastopt.DeltaBarDelta(np.zeros(2), lr=0.1, kappa=0.1, phi=0.5, theta=0.5)
    with pytest.raises(AttributeError, match="lr"):    # its lr is the initial rate
        S.attach(dbd, S.constant(0.1))
    assert "step" not in vars(dbd)


# ---- bad arguments -----------------------------------------------------------------

BAD = [
    (lambda: S.constant(-0.1), ValueError, "lr"),
    (lambda: S.constant("0.1"), TypeError, "lr"),
    (lambda: S.constant(float("nan")), ValueError, "lr"),
    (lambda: S.step(0.1, 0), ValueError, "step_size"),
    (lambda: S.step(0.1, 2.5), TypeError, "step_size"),
    (lambda: S.step(0.1, 2, gamma=-1), ValueError, "gamma"),
    (lambda: S.multistep(0.1, 5), TypeError, "milestones"),
    (lambda: S.multistep(0.1, [3, -1]), ValueError, r"milestones\[1\]"),
    (lambda: S.exponential(0.1, float("inf")), ValueError, "gamma"),
    (lambda: S.inverse_time(0.1, 0.5, 0), ValueError, "decay_steps"),
    (lambda: S.inverse_time(0.1, 0.5, staircase=1), TypeError, "staircase"),
    (lambda: S.linear_decay(0.1, 0.01, 0), ValueError, "tau"),
    (lambda: S.linear_decay(0.1, -0.01, 5), ValueError, "lr_tau"),
    (lambda: S.polynomial(0.1, 0.0, 10, power=0), ValueError, "power"),
    (lambda: S.polynomial(0.1, 0.0, True), TypeError, "total_steps"),
    (lambda: S.cosine(0.1, 0), ValueError, "total_steps"),
    (lambda: S.cosine(0.1, 10, lr_min=-1), ValueError, "lr_min"),
    (lambda: S.cosine_restarts(0.1, 10, T_mult=0), ValueError, "T_mult"),
    (lambda: S.cosine_restarts(0.1, 0), ValueError, "T_0"),
    (lambda: S.cyclic(0.1, 1.0, mode="triangle"), ValueError, "mode"),
    (lambda: S.cyclic(0.1, 1.0, 0), ValueError, "step_size_up"),
    (lambda: S.cyclic(0.1, 1.0, 5, -2), ValueError, "step_size_down"),
    (lambda: S.one_cycle(0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda: S.one_cycle(0.1, 10, pct_start=0.05), ValueError, "pct_start"),
    (lambda: S.one_cycle(0.1, 10, div_factor=0), ValueError, "div_factor"),
    (lambda: S.warmup(0.1, 5), TypeError, "schedule"),
    (lambda: S.warmup(S.constant(0.1), -1), ValueError, "warmup_steps"),
    (lambda: S.constant(0.1)(-1), ValueError, "t must be >= 0"),
    (lambda: S.constant(0.1)(1.5), TypeError, "t must be an int"),
    (lambda: S.constant(0.1)(True), TypeError, "t must be an int"),
    (lambda: S.constant(0.1)(np.array([0, -2])), ValueError, "t must be >= 0"),
]


@pytest.mark.parametrize("make, exc, match", BAD, ids=[m for _, _, m in BAD])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
