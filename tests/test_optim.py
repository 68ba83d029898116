"""fastopt's optimizers against the numpy twins of tests/reference.py.

Crossed: every rule variant x float32/float64 x sizes 0, 1, 7, 33, 100003,
with two params and a skipped gradient now and then.  Plus thread-count
invariance, inputs left alone, read-only gradients, checkpoints, and the
functional kernels reproducing the classes.
"""
import numpy as np
import pytest

import fastopt
import fastopt.kernels as K
import reference

# (class name, kwargs): every compile-time variant of every rule.
CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                     initial_accumulator_value=0.3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    ("RMSProp", dict()),
    ("RMSProp", dict(momentum=0.9, weight_decay=0.1)),
    ("RMSProp", dict(centered=True, alpha=0.9)),
    ("RMSProp", dict(centered=True, momentum=0.5, maximize=True)),
    ("RMSProp", dict(eps_in_sqrt=True, alpha=0.9)),
    ("RMSProp", dict(eps_in_sqrt=True, momentum=0.9, weight_decay=0.1)),
    ("RMSProp", dict(eps_in_sqrt=True, centered=True, eps=1e-3)),
    ("RMSProp", dict(eps_in_sqrt=True, centered=True, momentum=0.5, eps=1e-3)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.8), maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, betas=(0.4, 0.9))),
    ("Nadam", dict(lr=0.01)),
    ("Nadam", dict(lr=0.01, weight_decay=0.1)),
    ("Nadam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("DeltaBarDelta", dict(lr=0.01, kappa=0.001, phi=0.1, theta=0.7)),
    ("ProximalSGD", dict(lr=0.1)),
    ("ProximalSGD", dict(lr=0.1, l1=0.05, l2=0.1)),
    ("ProximalAdagrad", dict(lr=0.1, l2=0.1)),
    ("ProximalAdagrad", dict(lr=0.1, l1=0.02, l2=0.05, initial_accumulator_value=0.3)),
    ("AdagradDA", dict(lr=0.1, l2=0.01)),
    ("AdagradDA", dict(lr=0.1, l1=0.05, l2=0.01, initial_accumulator_value=0.5)),
    ("FTRL", dict(lr=0.1, l1=0.1, l2=0.01)),
    ("FTRL", dict(lr=0.1, lr_power=-0.7, l1=0.1, l2=0.01, beta=0.5,
                  initial_accumulator_value=0.0)),
    ("FTRL", dict(lr=0.2, l1=0.05, l2_shrinkage=0.1, beta=1.0)),
    ("FTRL", dict(lr=0.2, lr_power=-0.3, l2=0.1, l2_shrinkage=0.05)),
    ("FTRL", dict(lr=0.2, lr_power=0.0, l1=0.2)),
    ("RDA", dict(l1=0.1, gamma=2.0)),
    ("RDA", dict(l1=0.05, gamma=1.0, rho=0.5)),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def make_params(rng, shapes, dtype):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def grad_stream(rng, shapes, dtype, steps, skip_every=5):
    """Gradients per step; param 1 gets None every `skip_every` steps."""
    out = []
    for t in range(steps):
        gs = [rng.standard_normal(s).astype(dtype) for s in shapes]
        if len(shapes) > 1 and t % skip_every == 3:
            gs[1] = None
        out.append(gs)
    return out


def run_pair(name, kwargs, shapes, dtype, steps, seed=0, **fo_kwargs):
    rng = np.random.default_rng(seed)
    params = make_params(rng, shapes, dtype)
    grads = grad_stream(rng, shapes, dtype, steps)
    fo_params = [p.copy() for p in params]
    ref_params = [p.copy() for p in params]
    opt = getattr(fastopt, name)(fo_params, **kwargs, **fo_kwargs)
    ref = getattr(reference, name)(ref_params, **kwargs)
    for gs in grads:
        opt.step(gs)
        ref.step(gs)
    return opt, ref


def assert_state_close(opt, ref, **tol):
    for i, (p, q) in enumerate(zip(opt.params, ref.params)):
        np.testing.assert_allclose(p, q, err_msg=f"params[{i}]", **tol)
    for i, (st, rst) in enumerate(zip(opt.state, ref.state)):
        assert set(st) == set(rst), (sorted(st), sorted(rst))
        assert st["step"] == rst["step"]
        for k, v in st.items():
            if isinstance(v, np.ndarray):
                assert v.dtype == opt.params[i].dtype
                np.testing.assert_allclose(v, rst[k], err_msg=f"state[{i}][{k}]", **tol)
            elif k != "step":
                np.testing.assert_allclose(v, rst[k], rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_matches_reference(name, kwargs, dtype):
    shapes = [(33, 7), (33,), (7,), (1,), (0,), (2, 0, 3)]
    opt, ref = run_pair(name, kwargs, shapes, dtype, steps=25)
    assert_state_close(opt, ref, **TOL[dtype])
    assert opt.t == 25


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_large_array_and_thread_counts_bitwise(name, kwargs, dtype):
    """100003 elements (odd, so every vector tail runs) on 1 and 2 threads:
    the reference agrees to round-off, and the thread counts bit for bit."""
    shapes = [(100003,), (70001,)]
    opt1, ref = run_pair(name, kwargs, shapes, dtype, steps=6, n_threads=1)
    opt2, _ = run_pair(name, kwargs, shapes, dtype, steps=6, n_threads=2)
    assert_state_close(opt1, ref, **TOL[dtype])
    for a, b in zip(opt1.params, opt2.params):
        np.testing.assert_array_equal(a, b)
    for s1, s2 in zip(opt1.state, opt2.state):
        for k in s1:
            np.testing.assert_array_equal(s1[k], s2[k])


def test_many_small_arrays_one_step():
    """400 arrays of assorted sizes in one step equal 400 separate optimizers."""
    rng = np.random.default_rng(1)
    shapes = [(int(n),) for n in rng.integers(1, 3000, size=400)]
    params = make_params(rng, shapes, np.float32)
    grads = [make_params(rng, shapes, np.float32) for _ in range(3)]
    together = [p.copy() for p in params]
    opt = fastopt.Adam(together, lr=0.01, n_threads=2)
    alone = [p.copy() for p in params]
    opts = [fastopt.Adam(p, lr=0.01, n_threads=1) for p in alone]
    for gs in grads:
        opt.step(gs)
        for o, g in zip(opts, gs):
            o.step(g)
    for a, b in zip(together, alone):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_inputs_not_modified_and_read_only_grads(name, kwargs):
    rng = np.random.default_rng(2)
    p = rng.standard_normal((4, 5))
    g = rng.standard_normal((4, 5))
    g.flags.writeable = False
    g_copy = g.copy()
    opt = getattr(fastopt, name)(p, **kwargs)
    opt.step(g)
    np.testing.assert_array_equal(g, g_copy)
    assert opt.t == 1 and opt.state[0]["step"] == 1


def test_single_array_params():
    p = np.ones(5)
    opt = fastopt.SGD(p, lr=0.5)
    opt.step(np.full(5, 2.0))
    np.testing.assert_array_equal(p, np.zeros(5))
    assert opt.params is p
    opt.step(None)
    np.testing.assert_array_equal(p, np.zeros(5))
    assert opt.state[0]["step"] == 1 and opt.t == 2


def test_mixed_dtypes_in_one_optimizer():
    rng = np.random.default_rng(3)
    params = [rng.standard_normal(50).astype(np.float32), rng.standard_normal(60)]
    grads = [rng.standard_normal(50).astype(np.float32), rng.standard_normal(60)]
    opt = fastopt.Adam([p.copy() for p in params], lr=0.1)
    ref = reference.Adam([p.copy() for p in params], lr=0.1)
    opt.step(grads)
    ref.step(grads)
    np.testing.assert_allclose(opt.params[0], ref.params[0], rtol=1e-6)
    np.testing.assert_allclose(opt.params[1], ref.params[1], rtol=1e-14)
    assert opt.state[0]["exp_avg"].dtype == np.float32


def test_lr_set_between_steps_takes_effect():
    rng = np.random.default_rng(4)
    p = rng.standard_normal(10)
    opt = fastopt.Adam(p.copy(), lr=0.1)
    ref = reference.Adam(p.copy(), lr=0.1)
    for t in range(10):
        opt.lr = ref.lr = 0.1 / (1 + t)
        g = rng.standard_normal(10)
        opt.step(g)
        ref.step(g)
    np.testing.assert_allclose(opt.params, ref.params[0], rtol=1e-13)


def test_nan_and_inf_gradients_propagate_like_the_reference():
    for name, kwargs in CONFIGS:
        g = np.array([np.nan, np.inf, -np.inf, 1.0, 0.0])
        p = np.linspace(-1, 1, 5)
        opt = getattr(fastopt, name)(p.copy(), **kwargs)
        ref = getattr(reference, name)(p.copy(), **kwargs)
        with np.errstate(all="ignore"):
            for _ in range(2):
                opt.step(g)
                ref.step(g)
        np.testing.assert_array_equal(np.isnan(opt.params), np.isnan(ref.params[0]), err_msg=name)
        np.testing.assert_allclose(opt.params, ref.params[0], rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_state_dict_round_trip_is_bit_identical(name, kwargs):
    rng = np.random.default_rng(5)
    shapes = [(6, 3), (4,)]
    params = make_params(rng, shapes, np.float64)
    grads = grad_stream(rng, shapes, np.float64, 12)
    straight = getattr(fastopt, name)([p.copy() for p in params], **kwargs)
    for gs in grads:
        straight.step(gs)
    first = getattr(fastopt, name)([p.copy() for p in params], **kwargs)
    for gs in grads[:5]:
        first.step(gs)
    sd = first.state_dict()
    saved_params = [p.copy() for p in first.params]
    for gs in grads[5:7]:  # moving on must not alter the checkpoint
        first.step(gs)
    second = getattr(fastopt, name)(saved_params, **kwargs)
    second.load_state_dict(sd)
    assert second.t == 5
    for gs in grads[5:]:
        second.step(gs)
    for a, b in zip(straight.params, second.params):
        np.testing.assert_array_equal(a, b)
    for s1, s2 in zip(straight.state, second.state):
        assert s1.keys() == s2.keys()
        for k in s1:
            np.testing.assert_array_equal(s1[k], s2[k])


def test_state_dict_is_plain_and_copied():
    p = np.zeros(3)
    opt = fastopt.Nadam(p, lr=0.1)
    opt.step(np.ones(3))
    sd = opt.state_dict()
    assert sd["optimizer"] == "Nadam" and sd["t"] == 1
    st = sd["state"][0]
    assert st["step"] == 1 and isinstance(st["mu_product"], float)
    assert st["exp_avg"] is not opt.state[0]["exp_avg"]
    st["exp_avg"][...] = 123.0
    assert not np.any(opt.state[0]["exp_avg"] == 123.0)


def test_load_state_dict_rejects_mismatches_and_changes_nothing():
    p = np.zeros(3)
    opt = fastopt.Adam(p, lr=0.1)
    opt.step(np.ones(3))
    sd = opt.state_dict()
    other = fastopt.Adam(np.zeros(4), lr=0.1)
    before = other.state_dict()
    with pytest.raises(ValueError, match="exp_avg"):
        other.load_state_dict(sd)
    ams = fastopt.Adam(np.zeros(3), lr=0.1, amsgrad=True)
    with pytest.raises(ValueError, match="keys|amsgrad"):
        ams.load_state_dict(sd)
    with pytest.raises(ValueError, match="Adam"):
        fastopt.SGD(np.zeros(3), lr=0.1).load_state_dict(sd)
    after = other.state_dict()
    assert after["t"] == before["t"]
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])


# ---------------------------------------------------------------- kernels --
def test_functional_kernels_reproduce_the_classes():
    rng = np.random.default_rng(6)
    p0 = rng.standard_normal(40)
    gs = [rng.standard_normal(40) for _ in range(8)]
    cases = [
        ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True),
         lambda p, g, st, t: K.sgd(p, g, st["momentum_buffer"], step=t, lr=0.1,
                                   momentum=0.9, nesterov=True)),
        ("Adagrad", dict(lr=0.1, lr_decay=0.1),
         lambda p, g, st, t: K.adagrad(p, g, st["sum"], step=t, lr=0.1, lr_decay=0.1)),
        ("Adadelta", dict(weight_decay=0.1),
         lambda p, g, st, t: K.adadelta(p, g, st["square_avg"], st["acc_delta"],
                                        step=t, weight_decay=0.1)),
        ("RMSProp", dict(centered=True, momentum=0.5, eps_in_sqrt=True),
         lambda p, g, st, t: K.rmsprop(p, g, st["square_avg"], st["grad_avg"],
                                       st["momentum_buffer"], step=t, centered=True,
                                       momentum=0.5, eps_in_sqrt=True)),
        ("Adam", dict(lr=0.01, amsgrad=True),
         lambda p, g, st, t: K.adam(p, g, st["exp_avg"], st["exp_avg_sq"],
                                    st["max_exp_avg_sq"], step=t, lr=0.01, amsgrad=True)),
        ("AdamW", dict(lr=0.01, weight_decay=0.1),
         lambda p, g, st, t: K.adam(p, g, st["exp_avg"], st["exp_avg_sq"], step=t,
                                    lr=0.01, weight_decay=0.1,
                                    decoupled_weight_decay=True)),
        ("Adamax", dict(lr=0.01),
         lambda p, g, st, t: K.adamax(p, g, st["exp_avg"], st["exp_inf"], step=t, lr=0.01)),
        ("DeltaBarDelta", dict(lr=0.01, kappa=0.01, phi=0.2, theta=0.5),
         lambda p, g, st, t: K.delta_bar_delta(p, g, st["rate"], st["trace"],
                                               kappa=0.01, phi=0.2, theta=0.5)),
    ]
    cases += [
        ("ProximalSGD", dict(lr=0.1, l1=0.05, l2=0.1),
         lambda p, g, st, t: K.proximal_sgd(p, g, lr=0.1, l1=0.05, l2=0.1)),
        ("ProximalAdagrad", dict(lr=0.1, l1=0.05),
         lambda p, g, st, t: K.proximal_adagrad(p, g, st["accumulator"], lr=0.1, l1=0.05)),
        ("AdagradDA", dict(lr=0.1, l1=0.01, l2=0.1),
         lambda p, g, st, t: K.adagrad_da(p, g, st["gradient_accumulator"],
                                          st["gradient_squared_accumulator"], step=t,
                                          lr=0.1, l1=0.01, l2=0.1)),
        ("FTRL", dict(lr=0.1, l1=0.1, lr_power=-0.6, l2_shrinkage=0.1, beta=0.5),
         lambda p, g, st, t: K.ftrl(p, g, st["accumulator"], st["linear"], lr=0.1,
                                    l1=0.1, lr_power=-0.6, l2_shrinkage=0.1, beta=0.5)),
        ("RDA", dict(l1=0.1, gamma=2.0, rho=0.01),
         lambda p, g, st, t: K.rda(p, g, st["grad_sum"], step=t, l1=0.1, gamma=2.0,
                                   rho=0.01)),
    ]
    for name, kwargs, call in cases:
        opt = getattr(fastopt, name)(p0.copy(), **kwargs)
        p = p0.copy()
        st = {k: v.copy() for k, v in opt.state[0].items() if isinstance(v, np.ndarray)}
        for t, g in enumerate(gs, 1):
            opt.step(g)
            call(p, g, st, t)
        np.testing.assert_array_equal(p, opt.params, err_msg=name)
    # Nadam threads mu_product through the caller
    opt = fastopt.Nadam(p0.copy(), lr=0.01)
    p, m, v, prod = p0.copy(), np.zeros(40), np.zeros(40), 1.0
    for t, g in enumerate(gs, 1):
        opt.step(g)
        prod = K.nadam(p, g, m, v, step=t, mu_product=prod, lr=0.01)
    np.testing.assert_array_equal(p, opt.params)
    assert prod == opt.state[0]["mu_product"]


def test_functional_kernel_argument_errors():
    p, g, m, v = np.zeros(3), np.ones(3), np.zeros(3), np.zeros(3)
    with pytest.raises(ValueError, match="step"):
        K.adam(p, g, m, v, step=0)
    with pytest.raises(ValueError, match="exp_avg_sq"):
        K.adam(p, g, m, np.zeros(4), step=1)
    with pytest.raises(ValueError, match="max_exp_avg_sq"):
        K.adam(p, g, m, v, step=1, amsgrad=True)
    with pytest.raises(ValueError, match="lr"):
        K.adam(p, g, m, v, step=1, lr=-1.0)
    with pytest.raises(ValueError, match="momentum_buffer"):
        K.sgd(p, g, step=1, lr=0.1, momentum=0.9)
    np.testing.assert_array_equal(p, 0)


# ---------------------------------------------------------------- threads --
def test_effective_n_threads(monkeypatch):
    assert fastopt.effective_n_threads(1) == 1
    if fastopt.openmp_enabled():
        from fastopt._threads import available_cpus
        assert fastopt.effective_n_threads(3) == min(3, available_cpus())
        # a request beyond the cores is capped (20000 threads exhausted the process)
        assert fastopt.effective_n_threads(100000) == available_cpus()
        assert fastopt.effective_n_threads(2**62) == available_cpus()
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert fastopt.effective_n_threads(2) == min(2, available_cpus())
        assert fastopt.effective_n_threads(None) == 1
        monkeypatch.delenv("OMP_NUM_THREADS")
        assert fastopt.effective_n_threads(None) >= 1
        assert fastopt.effective_n_threads(-1) == fastopt.effective_n_threads(None)
    else:
        assert fastopt.effective_n_threads(4) == 1
    with pytest.raises(ValueError, match="n_threads"):
        fastopt.effective_n_threads(0)
    with pytest.raises(TypeError, match="n_threads"):
        fastopt.effective_n_threads(1.5)


def test_rda_exact_zeros_where_mean_gradient_is_below_lambda():
    """l1-RDA sets w_i = 0 exactly where |G_i / t| <= lambda_t."""
    rng = np.random.default_rng(7)
    for rho in (0.0, 0.5):
        p = np.ones(2000)
        opt = fastopt.RDA(p, l1=0.3, gamma=1.5, rho=rho)
        for t in range(1, 9):
            opt.step(rng.standard_normal(2000) * 0.5 + 0.1)
            gbar = opt.state[0]["grad_sum"] / t
            lam = 0.3 + 1.5 * rho / np.sqrt(t)
            small = np.abs(gbar) <= lam
            assert small.any() and (~small).any()
            assert np.all(p[small] == 0.0)
            assert np.all(p[~small] != 0.0)
            np.testing.assert_array_equal(np.sign(p[~small]), -np.sign(gbar[~small]))


def test_submodules_reachable_from_the_package():
    """fastopt.kernels and fastopt.prox load lazily on attribute access (in a
    fresh interpreter, outside the checkout, so nothing is imported yet)."""
    import subprocess
    import sys
    import tempfile
    code = ("import sys, fastopt; assert 'fastopt.prox' not in sys.modules; "
            "assert callable(fastopt.prox.soft_threshold); "
            "assert callable(fastopt.kernels.adam); "
            "assert fastopt.SparseGrad.__module__ == 'fastopt.sparse'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tempfile.gettempdir())
