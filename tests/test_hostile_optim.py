"""Hostile input against the optimizers, fastopt.kernels and fastopt.torch
(issue 11, items 1, 2, 4, 7, 8, 9): each case names the exception, the
argument its message must name, and checks that nothing changed.  Cases that
crashed the interpreter before their fix run in a child process, so that a
regression fails one test instead of killing the run."""
import os
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastopt
import fastopt.kernels as K
from subproc import describe, run_python
from test_errors import assert_unchanged, fresh, snapshot

# ---------------------------------------------------------------------------
# 1. SparseGrad: immutable, and its arrays checked again at step time


def test_sparse_grad_attributes_cannot_be_reassigned():
    sg = fastopt.SparseGrad(np.arange(2), np.ones((2, 3)))
    for name in ("indices", "values", "other"):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(sg, name, np.ones(2))
    with pytest.raises(AttributeError, match="immutable"):
        del sg.values


def _sparse_opt():
    opt = fastopt.Adam([np.zeros((10, 3)), np.zeros(4)], lr=0.1)
    opt.step([np.ones((10, 3)), np.ones(4)])
    return opt


def _swap(name, value):   # what a hostile caller can still do
    return lambda sg: object.__setattr__(sg, "_" + name, value)


def _reshape(name, shape):   # in place: the SparseGrad holds the same array
    return lambda sg: setattr(getattr(sg, name), "shape", shape)


def _retype(name, dtype):    # in place, the same bytes
    return lambda sg: setattr(getattr(sg, name), "dtype", dtype)


def _poke(pos, value):
    return lambda sg: sg.indices.__setitem__(pos, value)


MUTATED_SPARSE = [
    # (id, index dtype, what is done to the SparseGrad after construction,
    #  exception, message)
    ("values-one-row-for-many-indices", np.int64, _swap("values", np.ones((1, 3))),
     ValueError, r"grads\[0\]\.values must have one row per index"),
    ("values-reshaped-in-place", np.int64, _reshape("values", (3, 2)),
     ValueError, r"grads\[0\]\.values must have one row per index"),
    ("indices-2d-in-place", np.int64, _reshape("indices", (2, 1)),
     ValueError, r"grads\[0\]\.indices must be 1-D"),
    ("indices-retyped-int16", np.int32, _retype("indices", np.int16),
     IndexError, r"grads\[0\]\.indices must have dtype int32 or int64, got int16"),
    ("indices-swapped-float", np.int64, _swap("indices", np.arange(2.0)),
     IndexError, r"grads\[0\]\.indices must have dtype"),
    ("indices-swapped-list", np.int64, _swap("indices", [0, 1]),
     TypeError, r"grads\[0\]\.indices must be a 1-D int32 or int64 numpy array"),
    ("values-retyped-float32", np.int64, _retype("values", np.float32),
     TypeError, r"grads\[0\]\.values has dtype float32; expected float64"),
    ("values-noncontiguous", np.int64, _swap("values", np.ones((2, 6))[:, ::2]),
     ValueError, r"grads\[0\]\.values must be C-contiguous"),
    ("index-out-of-range-after-construction", np.int64, _poke(1, 10**9),
     IndexError, r"grads\[0\]\.indices\[1\] = 1000000000 is out of range"),
]


@pytest.mark.parametrize("case", MUTATED_SPARSE, ids=[c[0] for c in MUTATED_SPARSE])
def test_sparse_grad_mutated_after_construction(case):
    _, idx_dtype, mutate, exc, msg = case
    sg = fastopt.SparseGrad(np.arange(2, dtype=idx_dtype), np.ones((2, 3)))
    mutate(sg)
    opt = _sparse_opt()
    snap = snapshot(opt)
    with pytest.raises(exc, match=msg):
        opt.step([sg, None])
    assert_unchanged(opt, snap)


def test_sparse_grad_swapped_values_crash_case_in_subprocess():
    """Values of 1 row for 2M indices reached C unchecked: a segfault."""
    res = run_python("""
        import numpy as np, fastopt
        p = np.zeros((2_000_000, 4), np.float32)
        opt = fastopt.FTRL(p, lr=0.1)
        sg = fastopt.SparseGrad(np.arange(2_000_000), np.ones((2_000_000, 4), np.float32))
        object.__setattr__(sg, "_values", np.ones((1, 4), np.float32))
        try:
            opt.step(sg)
        except ValueError as e:
            print("refused:", e)
        assert not p.any() and opt.t == 0
    """)
    assert res.returncode == 0, describe(res)
    assert "refused: grads.values must have one row per index" in res.stdout


# ---------------------------------------------------------------------------
# 2. One optimizer stepped from several threads: serialised

def _threaded_steps(step, n_threads=4, per_thread=100):
    errors = []
    barrier = threading.Barrier(n_threads)

    def work():
        try:
            barrier.wait()
            for _ in range(per_thread):
                step()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.parametrize("sparse", [False, True])
def test_four_threads_step_one_optimizer_like_400_serial_steps(sparse):
    """The same gradient every step, so any order of the 400 steps gives one
    result: the serial one, bit for bit (no lost update, no torn state)."""
    rng = np.random.default_rng(1)
    shape = (20_000, 8)       # above the grain: the kernel runs threaded too
    idx = rng.integers(0, shape[0], 5000)
    g = (fastopt.SparseGrad(idx, rng.standard_normal((5000, 8)))
         if sparse else rng.standard_normal(shape))
    ref = np.zeros(shape)
    ref_opt = fastopt.FTRL(ref, lr=0.1, l1=0.01)
    for _ in range(400):
        ref_opt.step(g)
    p = np.zeros(shape)
    opt = fastopt.FTRL(p, lr=0.1, l1=0.01)
    _threaded_steps(lambda: opt.step(g))
    assert opt.t == 400 and opt.state[0]["step"] == 400
    np.testing.assert_array_equal(p, ref)
    for k in ref_opt.state[0]:
        np.testing.assert_array_equal(opt.state[0][k], ref_opt.state[0][k])


def test_threads_in_subprocess_no_crash():
    """The segfault case (shared sparse scratch buffers), in a child."""
    res = run_python("""
        import threading, numpy as np, fastopt
        p = np.zeros((50_000, 4))
        opt = fastopt.FTRL(p, lr=0.1)
        rng = np.random.default_rng(0)
        gs = [fastopt.SparseGrad(rng.integers(0, 50_000, 20_000),
                                 rng.standard_normal((20_000, 4))) for _ in range(4)]
        def work(g):
            for _ in range(100):
                opt.step(g)
        ts = [threading.Thread(target=work, args=(g,)) for g in gs]
        [t.start() for t in ts]; [t.join() for t in ts]
        assert opt.t == 400, opt.t
        assert np.isfinite(p).all()
        print("ok")
    """)
    assert res.returncode == 0 and "ok" in res.stdout, describe(res)


def test_setters_and_load_state_dict_race_with_steps():
    """Assignments and checkpoint loads from other threads are serialised
    with the steps: every step sees a consistent set of hyperparameters."""
    p = np.zeros(50_000)
    opt = fastopt.Adam(p, lr=1e-3)
    g = np.ones_like(p)
    opt.step(g)
    ckpt = opt.state_dict()
    stop = threading.Event()

    def meddle():
        while not stop.is_set():
            opt.betas = (0.8, 0.99)
            opt.lr = 2e-3
            opt.load_state_dict(ckpt)

    t = threading.Thread(target=meddle)
    t.start()
    try:
        for _ in range(200):
            opt.step(g)
    finally:
        stop.set()
        t.join()
    assert np.isfinite(p).all()
    assert opt.betas in ((0.8, 0.99), (0.9, 0.999))


# ---------------------------------------------------------------------------
# 4. Thread counts far beyond the machine

def test_huge_n_threads_is_capped_in_subprocess():
    res = run_python("""
        import numpy as np, fastopt
        from fastopt._threads import available_cpus
        for n in (100_000, 20_000, 2**31 - 1):
            p = np.zeros(3_000_000, np.float32)
            opt = fastopt.Adam(p, lr=0.1, n_threads=n)
            opt.step(np.ones_like(p))
            q = np.zeros_like(p)
            fastopt.Adam(q, lr=0.1, n_threads=1).step(np.ones_like(q))
            assert (p == q).all()
            assert opt._n_threads_eff <= available_cpus()
        print("ok")
    """)
    assert res.returncode == 0 and "ok" in res.stdout, describe(res)


# ---------------------------------------------------------------------------
# 7. load_state_dict: checked in full before anything is applied

def _bad_sd(mutate, name="Nadam"):
    def make(opt):
        sd = opt.state_dict()
        sd["hyperparameters"]["lr"] = 0.5     # an early, valid change ...
        sd["state"][0][next(iter(opt.state[0]))][...] = 7.0   # ... and another
        mutate(sd)                            # ... then the bad entry
        return sd
    return make


def _set(path, value):
    def mutate(sd):
        d = sd
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value
    return mutate


BAD_STATE_DICTS = [
    ("mu-product-not-numeric", _set(("state", 1, "mu_product"), "x"), ValueError, r"\['mu_product'\] must be a finite real"),
    ("mu-product-nan", _set(("state", 1, "mu_product"), float("nan")), ValueError, "mu_product"),
    ("mu-product-none", _set(("state", 1, "mu_product"), None), ValueError, "mu_product"),
    ("step-2**70", _set(("state", 1, "step"), 2**70), ValueError, r"\[1\]\['step'\] must be an int in \[0, 9223372036854775806\]"),
    ("step-int64-max", _set(("state", 1, "step"), 2**63 - 1), ValueError, r"\['step'\] must be an int in"),
    ("step-negative", _set(("state", 1, "step"), -1), ValueError, r"\['step'\]"),
    ("step-float", _set(("state", 1, "step"), 3.0), ValueError, r"\['step'\]"),
    ("step-bool", _set(("state", 1, "step"), True), ValueError, r"\['step'\]"),
    ("t-2**64", _set(("t",), 2**64), ValueError, r"state_dict\['t'\]"),
    ("t-string", _set(("t",), "3"), ValueError, r"state_dict\['t'\]"),
    ("state-not-a-list", _set(("state",), {"0": {}}), TypeError, r"state_dict\['state'\] must be a list"),
    ("state-entry-not-a-dict", _set(("state", 1), [1, 2]), TypeError, r"state_dict\['state'\]\[1\] must be a dict"),
    ("state-array-wrong-dtype", lambda sd: sd["state"][1].__setitem__("exp_avg", sd["state"][1]["exp_avg"].astype(np.float32)),
     ValueError, r"\[1\]\['exp_avg'\] is float32\[5\]"),
    ("state-array-a-list", lambda sd: sd["state"][1].__setitem__("exp_avg", [0.0] * 5), ValueError, r"\['exp_avg'\] is list"),
    ("state-missing-key", lambda sd: sd["state"][1].pop("exp_avg_sq"), ValueError, r"\[1\] has keys"),
    ("hyper-not-a-dict", _set(("hyperparameters",), [("lr", 0.1)]), TypeError, r"\['hyperparameters'\] must be a dict"),
    ("hyper-bad-late-value", _set(("hyperparameters", "momentum_decay"), -1.0), ValueError, "momentum_decay must be"),
    ("hyper-string", _set(("hyperparameters", "eps"), "1e-8"), TypeError, "eps must be"),
]


@pytest.mark.parametrize("case", BAD_STATE_DICTS, ids=[c[0] for c in BAD_STATE_DICTS])
def test_bad_state_dict_changes_nothing(case):
    _, mutate, exc, msg = case
    opt = fresh("Nadam")
    snap, lr, aux = snapshot(opt), opt.lr, opt._aux.copy()
    sd = _bad_sd(mutate)(opt)
    with pytest.raises(exc, match=msg):
        opt.load_state_dict(sd)
    assert_unchanged(opt, snap)
    assert opt.lr == lr
    np.testing.assert_array_equal(opt._aux, aux)


def test_state_dict_with_a_combination_the_constructor_refuses():
    opt = fastopt.SGD(np.zeros(3), lr=0.1, momentum=0.9, nesterov=True)
    sd = opt.state_dict()
    sd["hyperparameters"]["dampening"] = 0.5
    sd["hyperparameters"]["lr"] = 0.2
    with pytest.raises(ValueError, match="nesterov requires"):
        opt.load_state_dict(sd)
    assert opt.lr == 0.1 and opt.dampening == 0.0


def test_step_count_at_int64_max_cannot_advance():
    """2**63 - 1 used to wrap to a negative count and skip the update."""
    opt = fastopt.Adam(np.zeros(3), lr=0.1)
    opt._steps[0] = 2**63 - 1     # what an unchecked load used to allow
    with pytest.raises(OverflowError, match="step count cannot advance"):
        opt.step(np.ones(3))
    assert opt.params.tolist() == [0, 0, 0] and opt._steps[0] == 2**63 - 1
    with pytest.raises(ValueError, match="step must be an int in"):
        K.adam(np.zeros(3), np.ones(3), np.zeros(3), np.zeros(3), step=2**63, lr=0.1)
    p = np.zeros(3)   # the largest step is accepted and advances nothing wrongly
    K.adam(p, np.ones(3), np.zeros(3), np.zeros(3), step=2**63 - 1, lr=0.1)
    assert np.isfinite(p).all() and (p < 0).all()


# ---------------------------------------------------------------------------
# 8. Setters: all-or-nothing, and combinations checked on every assignment

BAD_ASSIGNMENTS = [
    ("Adam", dict(), "betas", (0.5, 1.5), ValueError, "beta2 must be", ("beta1", "beta2")),
    ("Adam", dict(), "betas", (1.5, 0.5), ValueError, "beta1 must be", ("beta1", "beta2")),
    ("Adam", dict(), "betas", (0.5,), TypeError, "betas must be a pair", ("beta1", "beta2")),
    ("Nadam", dict(), "betas", (0.5, float("nan")), ValueError, "beta2", ("beta1", "beta2")),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), "dampening", 0.5, ValueError,
     "nesterov requires momentum > 0 and dampening = 0", ("dampening",)),
    ("SGD", dict(lr=0.1), "lr", -1.0, ValueError, "lr must be", ("lr",)),
    ("SGD", dict(lr=0.1), "momentum", 0.5, AttributeError, "momentum decides", ("momentum",)),
]


@pytest.mark.parametrize("case", BAD_ASSIGNMENTS, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in BAD_ASSIGNMENTS])
def test_bad_assignment_changes_nothing(case):
    name, kwargs, attr, value, exc, msg, watched = case
    opt = getattr(fastopt, name)(np.zeros(3), **kwargs)
    before = opt.hyperparameters()
    with pytest.raises(exc, match=msg):
        setattr(opt, attr, value)
    assert opt.hyperparameters() == before, watched


@pytest.mark.parametrize("value,exc", [("x", ValueError), (-1, ValueError), (1.5, ValueError),
                                       (2**64, ValueError), (None, ValueError)])
def test_step_counter_assignment_is_checked(value, exc):
    """A bad opt.t used to fail only after the kernel had written the params."""
    opt = fastopt.SGD(np.zeros(3), lr=0.1)
    with pytest.raises(exc, match=r"t must be an int in \[0, "):
        opt.t = value
    opt.step(np.ones(3))
    assert opt.t == 1
    opt.t = 10
    opt.step(np.ones(3))
    assert opt.t == 11


def test_constructor_refuses_the_same_combination():
    with pytest.raises(ValueError, match="nesterov requires"):
        fastopt.SGD(np.zeros(3), lr=0.1, momentum=0.9, dampening=0.5, nesterov=True)
    opt = fastopt.SGD(np.zeros(3), lr=0.1, momentum=0.9, dampening=0.5)
    opt.dampening = 0.0   # without nesterov any dampening in [0, 1] goes
    assert opt.dampening == 0.0


# ---------------------------------------------------------------------------
# 9. Aliasing between what a step writes and what it reads

def _two():
    params = [np.zeros((4, 3)), np.zeros(12)]
    opt = fastopt.Adam(params, lr=0.1)
    opt.step([np.ones((4, 3)), np.ones(12)])
    return opt, params


ALIASES = [
    ("grad-is-another-param", lambda o, ps: [np.ones((4, 3)), ps[1]], r"grads\[1\] shares memory with params\[1\]"),
    ("grad-views-another-param", lambda o, ps: [ps[1].reshape(4, 3), None], r"grads\[0\] shares memory with params\[1\]"),
    ("grad-is-own-param", lambda o, ps: [ps[0], None], r"grads\[0\] shares memory with params\[0\]"),
    ("grad-is-state", lambda o, ps: [o.state[0]["exp_avg"], None], r"grads\[0\] shares memory with the 'exp_avg' state of params\[0\]"),
    ("grad-is-other-state", lambda o, ps: [None, o.state[0]["exp_avg_sq"].reshape(12)], r"grads\[1\] shares memory with the 'exp_avg_sq' state of params\[0\]"),
    ("sparse-values-view-param", lambda o, ps: [fastopt.SparseGrad(np.arange(1), ps[1][:3].reshape(1, 3)), None],
     r"grads\[0\]\.values shares memory with params\[1\]"),
    ("sparse-indices-view-param", lambda o, ps: [fastopt.SparseGrad(ps[1][:2].view(np.int64), np.ones((2, 3))), None],
     r"grads\[0\]\.indices shares memory with params\[1\]"),
]


@pytest.mark.parametrize("case", ALIASES, ids=[c[0] for c in ALIASES])
def test_grad_aliasing_written_memory_is_refused(case):
    _, make, msg = case
    opt, params = _two()
    grads = make(opt, params)
    snap = snapshot(opt)
    with pytest.raises(ValueError, match=msg):
        opt.step(grads)
    assert_unchanged(opt, snap)


class _LyingList(list):
    def __len__(self):
        return 2     # but it iterates over 1 entry


def test_grads_container_that_lies_about_its_length():
    opt, params = _two()
    snap = snapshot(opt)
    with pytest.raises(ValueError, match="grads has 1 entries; expected 2"):
        opt.step(_LyingList([np.ones((4, 3))]))
    assert_unchanged(opt, snap)


def test_grads_may_share_memory_with_each_other():
    """Two gradients reading the same memory is fine: nothing writes it."""
    params = [np.zeros(6), np.zeros(6)]
    g = np.arange(6.0)
    opt = fastopt.SGD(params, lr=0.1)
    opt.step([g, g])
    np.testing.assert_array_equal(params[0], params[1])


FUNCTIONAL_ALIASES = [
    ("same-state-twice", lambda p, g, m, v: K.adam(p, g, m, m, step=1, lr=0.1), "exp_avg and exp_avg_sq share memory"),
    ("state-views-state", lambda p, g, m, v: K.adam(p, g, m, m[:], step=1, lr=0.1), "exp_avg and exp_avg_sq share memory"),
    ("grad-is-state", lambda p, g, m, v: K.adam(p, m, m, v, step=1, lr=0.1), "exp_avg and grad share memory"),
    ("state-is-param", lambda p, g, m, v: K.adam(p, g, p, v, step=1, lr=0.1), "param and exp_avg share memory"),
    ("grad-is-param", lambda p, g, m, v: K.sgd(p, p, step=1, lr=0.1), "param and grad share memory"),
    ("adadelta-states", lambda p, g, m, v: K.adadelta(p, g, m, m, step=1), "square_avg and acc_delta share memory"),
    ("ftrl-states-overlap", lambda p, g, m, v: K.ftrl(p[:4], g[:4], m[:4], m[2:6], lr=0.1),
     "accumulator and linear share memory"),
]


@pytest.mark.parametrize("case", FUNCTIONAL_ALIASES, ids=[c[0] for c in FUNCTIONAL_ALIASES])
def test_functional_kernels_refuse_aliasing(case):
    _, call, msg = case
    p, g, m, v = np.ones(6), np.full(6, 0.5), np.full(6, 0.1), np.full(6, 0.2)
    before = [a.copy() for a in (p, g, m, v)]
    with pytest.raises(ValueError, match=msg):
        call(p, g, m, v)
    for a, b in zip((p, g, m, v), before):
        np.testing.assert_array_equal(a, b)


def test_param_made_read_only_after_construction_is_not_written():
    opt, params = _two()
    snap = snapshot(opt)
    params[1].flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[1\] is no longer writeable"):
        opt.step([np.ones((4, 3)), np.ones(12)])
    assert_unchanged(opt, snap)   # params[0] was not written either
    opt.step([np.ones((4, 3)), None])   # a param without a gradient is not touched
    params[1].flags.writeable = True
    opt.step([None, np.ones(12)])


def test_state_made_read_only_is_not_written():
    opt, params = _two()
    opt.state[1]["exp_avg_sq"].flags.writeable = False
    snap = snapshot(opt)
    with pytest.raises(ValueError, match=r"the 'exp_avg_sq' state of params\[1\] is no longer writeable"):
        opt.step([np.ones((4, 3)), np.ones(12)])
    assert_unchanged(opt, snap)


def test_param_reallocated_in_place_is_refused_in_subprocess():
    """resize(refcheck=False) frees the memory the optimizer was bound to:
    writing there was a use after free."""
    res = run_python("""
        import numpy as np, fastopt
        p = np.zeros(1000)
        opt = fastopt.SGD(p, lr=0.1)
        p.resize(2_000_000, refcheck=False)
        try:
            opt.step(np.ones(1000))
        except ValueError as e:
            print("refused:", e)
        p2 = np.zeros(1000, np.float64)
        opt2 = fastopt.SGD(p2, lr=0.1)
        p2.dtype = np.int64          # retyped in place: same bytes, not floats
        try:
            opt2.step(np.ones(1000))
        except ValueError as e:
            print("refused:", e)
    """)
    assert res.returncode == 0, describe(res)
    assert res.stdout.count("no longer is the memory the optimizer was bound to") == 2


# ---------------------------------------------------------------------------
# fastopt.torch: the same rules through torch's calling conventions

def _torch():
    return pytest.importorskip("torch")


def test_torch_concurrent_steps_serialised():
    torch = _torch()
    import fastopt.torch as ft
    torch.manual_seed(0)
    w = torch.zeros(30_000, 4, dtype=torch.float64, requires_grad=True)
    w.grad = torch.randn(30_000, 4, dtype=torch.float64)
    ref = w.detach().clone().requires_grad_(True)
    ref.grad = w.grad.clone()
    opt, ref_opt = ft.Adam([w], lr=1e-2), ft.Adam([ref], lr=1e-2)
    for _ in range(200):
        ref_opt.step()
    _threaded_steps(opt.step, per_thread=50)
    assert int(opt.state[w]["step"]) == 200
    assert torch.equal(w, ref)


def test_torch_bad_group_value_changes_no_hyperparameter():
    torch = _torch()
    import fastopt.torch as ft
    w = torch.zeros(3, requires_grad=True)
    opt = ft.Adam([w], lr=1e-2, betas=(0.9, 0.99))
    w.grad = torch.ones(3)
    opt.step()
    engine = opt._bindings[0].engine
    before = engine.hyperparameters()
    opt.param_groups[0]["lr"] = 0.5
    opt.param_groups[0]["betas"] = (0.5, 1.5)
    with pytest.raises(ValueError, match=r"param_groups\[0\]: beta2"):
        opt.step()
    assert engine.hyperparameters() == before


def test_torch_optimizer_pickles_with_its_lock():
    torch = _torch()
    import copy
    import fastopt.torch as ft
    w = torch.zeros(3, requires_grad=True)
    opt = ft.SGD([w], lr=0.1)
    clone = copy.deepcopy(opt)
    assert clone._lock is not opt._lock


# ---------------------------------------------------------------------------
# Fuzzing: SparseGrad from arbitrary arrays; state dicts with arbitrary leaves

_INDEX_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint32, np.uint64, np.float64, np.bool_]


@st.composite
def sparse_grads(draw):
    k = draw(st.integers(0, 12))
    idx_dtype = draw(st.sampled_from(_INDEX_DTYPES))
    idx = np.array(draw(st.lists(st.integers(-3, 9), min_size=k, max_size=k)), dtype=np.int64)
    if draw(st.booleans()):
        idx = idx.astype(idx_dtype)
    if draw(st.booleans()) and k % 2 == 0 and k:
        idx = idx.reshape(2, -1)
    rows = draw(st.sampled_from([k, max(k - 1, 0), k + 1]))
    width = draw(st.sampled_from([3, 2]))
    vdtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    vals = np.arange(rows * width, dtype=np.float64).reshape(rows, width).astype(vdtype) / 7
    if draw(st.booleans()):
        vals = np.asfortranarray(vals) if draw(st.booleans()) else vals.T
    return idx, vals


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_grads(), st.booleans())
def test_fuzz_sparse_grad(arrays, swap_after):
    """Any pair of arrays: the SparseGrad is refused at construction or at
    the step (nothing written), or the step equals the dense step on
    to_dense() of the same gradient."""
    idx, vals = arrays
    p = np.linspace(-1, 1, 30).reshape(10, 3)
    opt = fastopt.SGD(p, lr=0.5)
    good = fastopt.SparseGrad(np.arange(1), np.ones((1, 3)))
    try:
        sg = fastopt.SparseGrad(idx, vals)
    except (TypeError, ValueError, IndexError):
        if not swap_after:
            return
        sg = good   # the hostile route: the arrays put in after construction
        object.__setattr__(sg, "_indices", idx)
        object.__setattr__(sg, "_values", vals)
    before = p.copy()
    try:
        opt.step(sg)
    except (TypeError, ValueError, IndexError):
        np.testing.assert_array_equal(p, before)
        assert opt.t == 0
        return
    expected = before - 0.5 * sg.to_dense(p.shape)
    np.testing.assert_array_equal(p, expected)


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
                    st.just([1.0, 2.0]), st.just({}),
                    st.sampled_from([np.zeros(5), np.zeros(5, np.float32), np.zeros((4, 3)),
                                     np.zeros(4), np.array(3), np.array(2**62)]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_state_dict(data):
    """One leaf of a valid checkpoint replaced by anything: the load either
    applies the whole dict or raises and changes nothing."""
    opt = fresh(data.draw(st.sampled_from(["Nadam", "SGD", "FTRL", "Adam"]), label="rule"),
                **{})
    sd = opt.state_dict()
    paths = [("t",), ("optimizer",)]
    paths += [("hyperparameters", k) for k in sd["hyperparameters"]]
    paths += [("state", i, k) for i, s in enumerate(sd["state"]) for k in s]
    path = data.draw(st.sampled_from(paths), label="path")
    value = data.draw(_LEAVES, label="value")
    _set(path, value)(sd)
    snap, hyper = snapshot(opt), opt.hyperparameters()
    try:
        opt.load_state_dict(sd)
    except (TypeError, ValueError):
        assert_unchanged(opt, snap)
        assert opt.hyperparameters() == hyper
        return
    assert opt.t == sd["t"]
    for mine, theirs in zip(opt.state, sd["state"]):
        for k, v in theirs.items():
            np.testing.assert_array_equal(mine[k], v)
    opt.step([np.ones((4, 3)), np.ones(5)])   # and it can still step


# ---------------------------------------------------------------------------
# 12. The source tree: a clear message instead of "circular import", and
# `python -m pytest` in a checkout tests the installed package

def _source_checkout(tmp_path):
    """A copy of the checkout's package and tests, without the compiled core."""
    import os
    import shutil
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shutil.copytree(os.path.join(root, "fastopt"), tmp_path / "fastopt",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.c"))
    (tmp_path / "tests").mkdir()
    shutil.copy(os.path.join(root, "tests", "conftest.py"), tmp_path / "tests")
    return tmp_path


def test_importing_the_unbuilt_source_tree_says_what_to_do(tmp_path):
    src = _source_checkout(tmp_path)
    res = run_python("import fastopt", cwd=str(src), env={"PYTHONPATH": ""})
    assert res.returncode == 1, describe(res)
    last = res.stderr.strip()
    assert "circular import" not in last.splitlines()[-1]
    assert "fastopt's compiled core (fastopt._kernels) cannot be imported from" in last
    assert "pip install -e ." in last and "build_ext --inplace" in last


def test_python_m_pytest_in_a_checkout_tests_the_installed_package(tmp_path):
    src = _source_checkout(tmp_path)
    (src / "tests" / "test_where.py").write_text(
        "import os, fastopt\n"
        "def test_where():\n"
        f"    assert not fastopt.__file__.startswith({str(src)!r}), fastopt.__file__\n"
        "    assert fastopt.openmp_enabled() in (True, False)\n")
    res = run_python("import sys, pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests']))",
                     cwd=str(src), env={"PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    assert res.returncode == 0 and "1 passed" in res.stdout, describe(res)
