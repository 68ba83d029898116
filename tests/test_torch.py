"""fastopt.torch: fastopt's rules as torch.optim optimizers.

Every rule torch also has is run beside torch.optim on the same small model
(a Conv1d, two Linear layers and a 0-d scale: 3-D, 2-D, 1-D and 0-d params
in two param groups with different lr) with an lr scheduler, 50 steps; the
rules torch lacks are run beside the numpy fastopt classes on the same
gradients.  Then sparse embedding gradients, state sharing, state_dict round
trips through torch.save, closures, and the bad-input table.
"""
import copy
import io
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import fastopt  # noqa: E402
import fastopt.torch as ft  # noqa: E402
from torch import nn  # noqa: E402

N_STEPS = 50


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny ops: torch's thread pool only costs (10x on a busy machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)

# (id, fastopt.torch class, torch.optim class, hyperparameters)
TORCH_CASES = [
    ("SGD", "SGD", "SGD", dict(lr=0.05)),
    ("SGD-momentum-wd", "SGD", "SGD",
     dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-2)),
    ("SGD-nesterov", "SGD", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD-maximize", "SGD", "SGD", dict(lr=1e-3, momentum=0.5, maximize=True)),
    ("Adagrad", "Adagrad", "Adagrad",
     dict(lr=0.05, lr_decay=1e-3, weight_decay=1e-2, initial_accumulator_value=0.1)),
    ("Adadelta", "Adadelta", "Adadelta", dict(lr=1.0, rho=0.9, weight_decay=1e-2)),
    ("RMSprop", "RMSprop", "RMSprop", dict(lr=1e-2)),
    ("RMSprop-centered", "RMSprop", "RMSprop", dict(lr=1e-2, centered=True)),
    ("RMSprop-momentum", "RMSprop", "RMSprop",
     dict(lr=1e-2, momentum=0.9, weight_decay=1e-2)),
    ("RMSprop-centered-momentum", "RMSprop", "RMSprop",
     dict(lr=1e-2, momentum=0.9, centered=True)),
    ("Adam", "Adam", "Adam", dict(lr=1e-2)),
    ("Adam-wd-maximize", "Adam", "Adam", dict(lr=1e-3, weight_decay=1e-2, maximize=True)),
    ("AMSGrad", "Adam", "Adam", dict(lr=1e-2, amsgrad=True, weight_decay=1e-2)),
    ("AdamW", "AdamW", "AdamW", dict(lr=1e-2, weight_decay=0.1)),
    ("AdamW-amsgrad", "AdamW", "AdamW", dict(lr=1e-2, amsgrad=True)),
    ("Adamax", "Adamax", "Adamax", dict(lr=2e-2, weight_decay=1e-2)),
    ("NAdam", "NAdam", "NAdam", dict(lr=1e-2)),
    ("NAdam-decoupled", "NAdam", "NAdam",
     dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
]

# the rules torch lacks: (class, hyperparameters, overrides of group 1)
NUMPY_CASES = [
    ("FTRL", dict(lr=0.1, l1=1e-3, l2=1e-2, l2_shrinkage=1e-3, beta=0.1), dict(lr=0.05)),
    ("FTRL", dict(lr=0.1, lr_power=-0.6, l1=1e-2), dict(lr=0.05)),
    ("ProximalAdagrad", dict(lr=0.1, l1=1e-3, l2=1e-3), dict(lr=0.05)),
    ("AdagradDA", dict(lr=0.1, l1=1e-3, l2=1e-3), dict(lr=0.05)),
    ("RDA", dict(l1=1e-3, gamma=5.0, rho=1e-2), dict(gamma=10.0)),
    ("ProximalSGD", dict(lr=0.05, l1=1e-3, l2=1e-3), dict(lr=0.02)),
    ("DeltaBarDelta", dict(lr=0.01, kappa=1e-3, phi=0.1, theta=0.7), dict(kappa=2e-3)),
]

# every class of fastopt.torch once, for the tests that run them all
ALL_CASES = ([(c[0], c[1], c[3]) for c in TORCH_CASES]
             + [(f"{n}-{i}", n, kw) for i, (n, kw, _) in enumerate(NUMPY_CASES)])


class Net(nn.Module):
    """A 3-D conv weight, 2-D and 1-D Linear params and a 0-d scale."""

    def __init__(self, dtype=torch.float64):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, dtype=dtype)
        self.fc1 = nn.Linear(18, 8, dtype=dtype)
        self.fc2 = nn.Linear(8, 4, dtype=dtype)
        self.scale = nn.Parameter(torch.tensor(1.5, dtype=dtype))

    def forward(self, x):
        h = torch.tanh(self.conv(x)).flatten(1)
        return self.fc2(torch.tanh(self.fc1(h))) * self.scale

    def groups(self, lr_key="lr", **second):
        """Two param groups: conv and fc1 with the defaults, fc2 and scale
        with `second` as their own hyperparameters."""
        return [{"params": [*self.conv.parameters(), *self.fc1.parameters()]},
                {"params": [*self.fc2.parameters(), self.scale], **second}]


def make_net(dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return Net(dtype)


def batches(n, dtype=torch.float64, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 2, 8, generator=g, dtype=dtype),
             torch.randn(16, 4, generator=g, dtype=dtype)) for _ in range(n)]


def backward(model, batch):
    model.zero_grad()
    x, y = batch
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    return loss


def assert_same_params(a, b, rtol=1e-12, atol=1e-14):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=rtol, atol=atol, msg=lambda m: f"{name}: {m}")


def scheduler(opt, kind):
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + 0.1 * t))


def train(model, opt, data, sched=None):
    for batch in data:
        backward(model, batch)
        opt.step()
        if sched is not None:
            sched.step()


def second_group(kwargs):
    """Group 1 gets half the lr (and the rest of the defaults)."""
    return dict(lr=kwargs["lr"] / 2) if "lr" in kwargs else {}


# -- same numbers as torch.optim --------------------------------------------
TOL = {torch.float64: dict(rtol=1e-12, atol=1e-14),
       torch.float32: dict(rtol=2e-5, atol=2e-6)}
# float32 state: a centered RMSprop's momentum buffer divides by a small root
STATE_TOL = {torch.float64: TOL[torch.float64], torch.float32: dict(rtol=1e-3, atol=1e-5)}


@pytest.fixture
def torch_scalars_as(request):
    """torch keeps NAdam's mu_product in the default dtype (float32 unless
    set), fastopt in float64: compare float64 runs with torch's scalars in
    float64, as tests/record_golden.py does."""
    old = torch.get_default_dtype()
    yield torch.set_default_dtype
    torch.set_default_dtype(old)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("sched", ["step", "lambda"])
@pytest.mark.parametrize("case", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_matches_torch_optim(case, sched, dtype, torch_scalars_as):
    _, ft_name, torch_name, kwargs = case
    if torch_name == "NAdam":
        torch_scalars_as(dtype)
    ours, theirs = make_net(dtype), make_net(dtype)
    opt = getattr(ft, ft_name)(ours.groups(**second_group(kwargs)), **kwargs)
    ref = getattr(torch.optim, torch_name)(theirs.groups(**second_group(kwargs)), **kwargs)
    data = batches(N_STEPS, dtype)
    train(ours, opt, data, scheduler(opt, sched))
    train(theirs, ref, data, scheduler(ref, sched))
    assert opt.param_groups[0]["lr"] == ref.param_groups[0]["lr"] != kwargs["lr"]
    assert_same_params(ours, theirs, **TOL[dtype])
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        mine, its = opt.state[p], ref.state[q]
        # the same state names as torch (SGD keeps no 'step' there)
        assert {k for k, v in its.items() if v is not None} <= set(mine)
        for key in its.keys() & mine.keys():
            torch.testing.assert_close(mine[key].to(its[key].dtype), its[key], **STATE_TOL[dtype],
                                       msg=lambda m: f"{name}.{key}: {m}")


def test_nadam_with_torch_float32_scalars_is_close():
    """With torch's default float32 mu_product, NAdam in float64 differs from
    fastopt's float64 mu_product at the level of float32 round-off of it."""
    assert torch.get_default_dtype() == torch.float32
    ours, theirs = make_net(), make_net()
    opt, ref = ft.NAdam(ours.parameters(), lr=1e-2), torch.optim.NAdam(theirs.parameters(), lr=1e-2)
    data = batches(N_STEPS)
    train(ours, opt, data)
    train(theirs, ref, data)
    assert ref.state[theirs.scale]["mu_product"].dtype == torch.float32
    assert_same_params(ours, theirs, rtol=1e-7, atol=1e-9)


def test_mixed_dtypes_in_one_group_match_torch():
    """A float32 and a float64 param in one group: one engine, both dtypes."""
    torch.manual_seed(3)
    a32, a64 = torch.randn(7, 3), torch.randn(5, dtype=torch.float64)
    ours = [a32.clone().requires_grad_(), a64.clone().requires_grad_()]
    theirs = [a32.clone().requires_grad_(), a64.clone().requires_grad_()]
    opt, ref = ft.Adam(ours, lr=1e-2), torch.optim.Adam(theirs, lr=1e-2)
    for _ in range(20):
        for ps, o in ((ours, opt), (theirs, ref)):
            o.zero_grad()
            ((ps[0] ** 2).sum() + (ps[1] ** 3).sum()).backward()
            o.step()
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(ours[1], theirs[1], rtol=1e-12, atol=1e-14)
    assert len(opt._bindings) == 1


# -- the rules torch lacks: the numpy classes on the same gradients ----------
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", NUMPY_CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                   enumerate(NUMPY_CASES)])
def test_matches_numpy_fastopt(case, dtype):
    name, kwargs, second = case
    model = make_net(dtype)
    groups = model.groups(**second)
    opt = getattr(ft, name)(groups, **kwargs)
    arrays = [[p.detach().numpy().copy() for p in g["params"]] for g in groups]
    engines = [getattr(fastopt, name)(arrays[0], **kwargs),
               getattr(fastopt, name)(arrays[1], **{**kwargs, **second})]
    for batch in batches(N_STEPS, dtype):
        backward(model, batch)
        for g, engine in zip(groups, engines):
            engine.step([p.grad.numpy().copy() for p in g["params"]])
        opt.step()
    for g, arrs, engine in zip(groups, arrays, engines):
        for i, (p, a) in enumerate(zip(g["params"], arrs)):
            np.testing.assert_array_equal(p.detach().numpy(), a)
            for key, value in engine.state[i].items():
                np.testing.assert_array_equal(opt.state[p][key].numpy(), value, err_msg=key)


# -- sparse gradients ---------------------------------------------------------
def embedding_pair(rows=20, dim=4, seed=0, bag=False):
    torch.manual_seed(seed)
    kind = nn.EmbeddingBag if bag else nn.Embedding
    extra = dict(mode="sum") if bag else {}
    sparse = kind(rows, dim, sparse=True, dtype=torch.float64, **extra)
    dense = kind(rows, dim, sparse=False, dtype=torch.float64, **extra)
    dense.load_state_dict(sparse.state_dict())
    return sparse, dense


def embedding_steps(module, opt, index_batches, bag=False):
    g = torch.Generator().manual_seed(5)
    for idx in index_batches:
        opt.zero_grad()
        if bag:
            offsets = torch.arange(0, len(idx), 3)
            out = module(idx, offsets)
        else:
            out = module(idx)
        w = torch.randn(out.shape, generator=g, dtype=out.dtype)
        (out * w).sum().backward()
        opt.step()


def all_rows_batches(rows, n=8, seed=2):
    """Each batch names every row (shuffled) plus duplicates."""
    g = torch.Generator().manual_seed(seed)
    return [torch.cat([torch.randperm(rows, generator=g),
                       torch.randint(0, rows, (10,), generator=g)]) for _ in range(n)]


def sparse_kwargs(name, kwargs):
    """torch.optim.SGD and Adagrad refuse weight_decay with a sparse gradient
    (so does fastopt.torch: tests/test_torch_dropin.py); drop it."""
    if name in ("SGD", "Adagrad"):
        return {k: v for k, v in kwargs.items() if k != "weight_decay"}
    return kwargs


@pytest.mark.parametrize("bag", [False, True], ids=["Embedding", "EmbeddingBag"])
@pytest.mark.parametrize("case", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_sparse_grads_all_rows_equal_dense(case, bag):
    _, name, kwargs = case
    kwargs = sparse_kwargs(name, kwargs)
    sparse, dense = embedding_pair(bag=bag)
    opt_s = getattr(ft, name)(sparse.parameters(), **kwargs)
    opt_d = getattr(ft, name)(dense.parameters(), **kwargs)
    data = all_rows_batches(20)
    embedding_steps(sparse, opt_s, data, bag)
    embedding_steps(dense, opt_d, data, bag)
    assert sparse.weight.grad.is_sparse and not dense.weight.grad.is_sparse
    # duplicates are summed in a different order than torch's dense backward
    torch.testing.assert_close(sparse.weight, dense.weight, rtol=1e-12, atol=1e-14)


# SGD's momentum decays every row, as torch's does: tests/test_torch_dropin.py
LAZY_CASES = [c for c in ALL_CASES
              if not (c[1] == "SGD" and sparse_kwargs(c[1], c[2]).get("momentum"))]


@pytest.mark.parametrize("case", LAZY_CASES, ids=[c[0] for c in LAZY_CASES])
def test_sparse_grads_touch_only_their_rows(case):
    """Lazy rows, where torch has them (SGD without momentum, Adagrad) and
    for the rules torch refuses sparse gradients for."""
    _, name, kwargs = case
    kwargs = sparse_kwargs(name, kwargs)
    sparse, _ = embedding_pair(rows=30)
    opt = getattr(ft, name)(sparse.parameters(), **kwargs)
    embedding_steps(sparse, opt, [torch.tensor([0, 1, 2, 3])])   # state exists
    before = sparse.weight.detach().clone()
    state_before = {k: v.clone() for k, v in opt.state[sparse.weight].items()}
    hit = torch.tensor([4, 9, 9, 17, 4, 28])
    embedding_steps(sparse, opt, [hit])
    rows = torch.zeros(30, dtype=torch.bool)
    rows[hit] = True
    w = sparse.weight.detach()
    assert torch.equal(w[~rows], before[~rows])
    assert not torch.equal(w[rows], before[rows])
    for key, value in opt.state[sparse.weight].items():
        if value.dim():
            assert torch.equal(value[~rows], state_before[key][~rows]), key


# -- state shares memory with the kernels --------------------------------------
def test_state_tensors_are_the_kernel_state():
    model = make_net()
    opt = ft.Adam(model.groups(lr=1e-3), lr=1e-2)
    data = batches(3)
    assert len(opt.state) == 0          # made at a param's first step, as torch
    backward(model, data[0])
    opt.step()
    p = model.fc1.weight
    st = opt.state[p]
    engine = opt._bindings[0].engine
    i = next(i for i, q in enumerate(opt.param_groups[0]["params"]) if q is p)
    for key in ("exp_avg", "exp_avg_sq"):
        assert np.shares_memory(st[key].numpy(), engine._state[i][key])
    # 'step' as torch keeps it: a float32 0-d tensor, published after each step
    assert st["step"].dtype == torch.float32 and st["step"].dim() == 0
    assert int(st["step"]) == 1
    exp_avg, old = st["exp_avg"], st["exp_avg"].clone()
    backward(model, data[1])
    opt.step()                          # the kernel writes the same tensors
    assert opt.state[p]["exp_avg"] is exp_avg and not torch.equal(exp_avg, old)
    assert int(st["step"]) == 2 and int(engine._steps[i]) == 2
    exp_avg.zero_()                     # and reads them
    st["exp_avg_sq"].fill_(1.0)
    backward(model, data[2])
    g = p.grad.clone()
    opt.step()
    torch.testing.assert_close(exp_avg, 0.1 * g, rtol=1e-14, atol=0)


def test_param_without_grad_is_skipped():
    model = make_net()
    model.scale.requires_grad_(False)
    model.fc2.bias.requires_grad_(True)
    opt = ft.Adam(model.parameters(), lr=1e-2)
    scale0, w0 = model.scale.detach().clone(), model.fc2.weight.detach().clone()
    train(model, opt, batches(3))
    assert model.scale.grad is None and torch.equal(model.scale, scale0)
    assert model.scale not in opt.state
    assert not torch.equal(model.fc2.weight, w0)
    assert int(opt.state[model.fc2.weight]["step"]) == 3


def test_closure_returns_the_loss_like_torch():
    ours, theirs = make_net(), make_net()
    opt, ref = ft.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    for batch in batches(5):
        a = opt.step(lambda: backward(ours, batch))
        b = ref.step(lambda: backward(theirs, batch))
        torch.testing.assert_close(a, b, rtol=1e-13, atol=0)
    assert_same_params(ours, theirs, rtol=1e-13, atol=1e-15)


def test_add_param_group_mid_training_matches_torch():
    ours, theirs = make_net(), make_net()
    opt = ft.RMSprop([ours.conv.weight], lr=1e-2)
    ref = torch.optim.RMSprop([theirs.conv.weight], lr=1e-2)
    data = batches(6)
    train(ours, opt, data[:3])
    train(theirs, ref, data[:3])
    for model, o in ((ours, opt), (theirs, ref)):
        o.add_param_group({"params": list(model.fc1.parameters()), "lr": 5e-3})
    train(ours, opt, data[3:])
    train(theirs, ref, data[3:])
    assert opt.param_groups[1]["alpha"] == 0.99 and len(opt._bindings) == 2
    assert int(opt.state[ours.conv.weight]["step"]) == 6
    assert int(opt.state[ours.fc1.weight]["step"]) == 3
    assert_same_params(ours, theirs)


def test_n_threads_does_not_change_results():
    torch.manual_seed(4)
    p0, grads = torch.randn(300_000), [torch.randn(300_000) for _ in range(4)]
    out = []
    for n in (1, 2):
        p = p0.clone().requires_grad_()
        opt = ft.Adam([p], lr=1e-2, n_threads=n)
        for g in grads:
            p.grad = g
            opt.step()
        out.append(p.detach())
    opt.n_threads = 1
    assert opt._bindings[0].engine.n_threads == 1
    assert torch.equal(out[0], out[1])


# -- checkpoints ----------------------------------------------------------------
def checkpoint(model, opt, sched):
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                "sched": sched.state_dict() if sched else None}, buf)
    buf.seek(0)
    return torch.load(buf)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_state_dict_round_trip_continues_bit_for_bit(case):
    _, name, kwargs = case
    data = batches(24)
    a = make_net()
    opt_a = getattr(ft, name)(a.groups(**second_group(kwargs)), **kwargs)
    sched_a = scheduler(opt_a, "step") if "lr" in kwargs and name != "DeltaBarDelta" else None
    train(a, opt_a, data[:12], sched_a)
    saved = checkpoint(a, opt_a, sched_a)

    b = make_net(seed=7)                       # other weights, other lr: all loaded
    other = {**kwargs, "lr": kwargs["lr"] * 3} if "lr" in kwargs else kwargs
    opt_b = getattr(ft, name)(b.groups(), **other)
    sched_b = scheduler(opt_b, "step") if sched_a else None
    b.load_state_dict(saved["model"])
    opt_b.load_state_dict(saved["opt"])
    if sched_b:
        sched_b.load_state_dict(saved["sched"])
    train(a, opt_a, data[12:], sched_a)
    train(b, opt_b, data[12:], sched_b)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
        assert opt_a.state[p].keys() == opt_b.state[q].keys()
        for key, value in opt_a.state[p].items():
            assert torch.equal(value, opt_b.state[q][key]), key
    # the loaded state is the kernels' state again
    engine = opt_b._bindings[0].engine
    p0 = opt_b.param_groups[0]["params"][0]
    for key, arr in engine._state[0].items():
        assert np.shares_memory(opt_b.state[p0][key].numpy(), arr)
    if name != "SGD":   # torch.optim.SGD keeps no step
        step = opt_b.state[p0]["step"]
        assert step.dtype == torch.float32 and step.dim() == 0
        assert np.shares_memory(step.numpy(), opt_b._bindings[0].steps)
    else:
        assert "step" not in opt_b.state[p0]


def test_load_state_dict_takes_structural_values_from_the_checkpoint():
    a, b = make_net(), make_net()
    opt_a = ft.Adam(a.parameters(), lr=1e-2, amsgrad=True)
    train(a, opt_a, batches(3))
    opt_b = ft.Adam(b.parameters(), lr=1e-2)
    opt_b.load_state_dict(checkpoint(a, opt_a, None)["opt"])
    assert opt_b.param_groups[0]["amsgrad"] is True
    assert "max_exp_avg_sq" in opt_b.state[b.fc1.weight]


@pytest.mark.parametrize("name,kwargs", [("Adam", dict(lr=1e-2)),
                                         ("SGD", dict(lr=0.1, momentum=0.9))])
def test_load_state_dict_from_torch_optim(name, kwargs):
    """torch.optim's checkpoints load and continue as torch would: Adam's
    'step' is a float32 tensor, SGD keeps none."""
    ours, theirs = make_net(), make_net()
    ref = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    data = batches(10)
    train(theirs, ref, data[:5])
    ours.load_state_dict(theirs.state_dict())
    opt = getattr(ft, name)(ours.parameters(), **{**kwargs, "lr": 1.0})
    opt.load_state_dict(checkpoint(theirs, ref, None)["opt"])
    train(ours, opt, data[5:])
    train(theirs, ref, data[5:])
    assert_same_params(ours, theirs)


def test_autograd_sees_the_in_place_update():
    """As with torch.optim: backward through activations computed before
    the step raises, rather than using the updated weights silently."""
    for make in (ft.SGD, torch.optim.SGD):
        model = make_net()
        opt = make(model.parameters(), lr=0.1)
        backward(model, batches(1)[0])
        x, y = batches(1, seed=2)[0]
        loss = nn.functional.mse_loss(model(x), y)
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_base_class_is_not_an_optimizer():
    with pytest.raises(TypeError, match="base class"):
        ft.FastoptOptimizer([torch.zeros(2, requires_grad=True)])


def test_bad_load_state_dict_leaves_optimizer_unchanged():
    model = make_net()
    opt = ft.Adam(model.parameters(), lr=1e-2)
    train(model, opt, batches(2))
    sd = checkpoint(model, opt, None)["opt"]
    del sd["state"][2]["exp_avg_sq"]
    groups, state = opt.param_groups, opt.state
    with pytest.raises(ValueError, match="exp_avg_sq"):
        opt.load_state_dict(sd)
    assert opt.param_groups is groups and opt.state is state
    train(model, opt, batches(1))


def test_deepcopy_is_independent():
    model = make_net()
    opt = ft.Adagrad(model.parameters(), lr=0.1)
    train(model, opt, batches(2))
    twin = copy.deepcopy({"m": model, "o": opt})
    train(twin["m"], twin["o"], batches(2))
    assert int(opt.state[model.fc1.weight]["step"]) == 2
    assert int(twin["o"].state[twin["m"].fc1.weight]["step"]) == 4


def test_replaced_state_starts_fresh():
    """optimizer.state = defaultdict(dict), the usual reset, is honoured."""
    from collections import defaultdict
    ours, theirs = make_net(), make_net()
    opt, ref = ft.Adam(ours.parameters(), lr=1e-2), torch.optim.Adam(theirs.parameters(), lr=1e-2)
    data = batches(6)
    for o in (opt, ref):
        train(ours if o is opt else theirs, o, data[:3])
        o.state = defaultdict(dict)
    train(ours, opt, data[3:])
    train(theirs, ref, data[3:])
    assert_same_params(ours, theirs)


# -- moved tensors -------------------------------------------------------------
def test_replaced_param_data_is_rebound():
    ours, theirs = make_net(), make_net()
    opt, ref = ft.Adam(ours.parameters(), lr=1e-2), torch.optim.Adam(theirs.parameters(), lr=1e-2)
    data = batches(6)
    train(ours, opt, data[:3])
    train(theirs, ref, data[:3])
    ours.fc1.weight.data = ours.fc1.weight.data.clone()   # new memory
    train(ours, opt, data[3:])
    train(theirs, ref, data[3:])
    torch.testing.assert_close(ours.fc1.weight, theirs.fc1.weight, rtol=1e-12, atol=1e-14)


def test_converted_model_raises_instead_of_dropping_updates():
    model = make_net(torch.float32)
    opt = ft.Adam(model.parameters(), lr=1e-2)
    train(model, opt, batches(1, torch.float32))
    model.double()
    backward(model, batches(1)[0])
    with pytest.raises(ValueError, match="no longer uses the memory"):
        opt.step()


# -- bad input ----------------------------------------------------------------
def _p(t):
    return nn.Parameter(t, requires_grad=t.is_floating_point() or t.is_complex())


BAD_PARAMS = [
    ("meta", lambda: _p(torch.empty(3, device="meta")), ValueError, "device meta"),
    ("non-contiguous", lambda: _p(torch.randn(4, 3).t()), ValueError, "not contiguous"),
    ("int64", lambda: torch.zeros(3, dtype=torch.int64), TypeError, "torch.int64"),
    ("complex", lambda: _p(torch.zeros(3, dtype=torch.complex64)), TypeError, "complex64"),
    ("float16", lambda: _p(torch.zeros(3, dtype=torch.float16)), TypeError, "float16"),
    ("sparse", lambda: _p(torch.eye(3).to_sparse()), ValueError, "layout"),
    ("non-leaf", lambda: torch.randn(3, requires_grad=True) * 2, ValueError, "non-leaf"),
]


@pytest.mark.parametrize("make,exc,match", [b[1:] for b in BAD_PARAMS],
                         ids=[b[0] for b in BAD_PARAMS])
def test_bad_params_raise(make, exc, match):
    bad = make()
    with pytest.raises(exc, match=match):
        ft.Adam([torch.zeros(2, requires_grad=True), bad])
    opt = ft.Adam([torch.zeros(2, requires_grad=True)])
    with pytest.raises(exc, match=match):
        opt.add_param_group({"params": [bad]})
    assert len(opt.param_groups) == len(opt._bindings) == 1


def test_bad_param_error_names_it():
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['params'\]\[1\]"):
        ft.SGD([torch.zeros(2), _p(torch.randn(4, 3).t())], lr=0.1)


# torch.optim.Adam's own checks, so torch's messages (tests/test_torch_dropin.py
# compares many more with torch.optim)
BAD_HYPER = [
    ("negative lr", dict(lr=-1.0), ValueError, "Invalid learning rate"),
    ("betas not a pair", dict(betas=0.9), TypeError, "subscriptable"),
    ("beta1 = 1", dict(betas=(1.0, 0.999)), ValueError, "beta parameter at index 0"),
    ("foreach=True", dict(foreach=True), NotImplementedError, "foreach"),
    ("string eps", dict(eps="small"), TypeError, "str"),
    ("unknown keyword", dict(lr_decay=0.1), TypeError, "lr_decay"),
]


@pytest.mark.parametrize("kwargs,exc,match", [b[1:] for b in BAD_HYPER],
                         ids=[b[0] for b in BAD_HYPER])
def test_bad_hyperparameters_raise(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ft.Adam([torch.zeros(2, requires_grad=True)], **kwargs)


def test_bad_group_value_at_step_writes_nothing():
    model = make_net()
    opt = ft.Adam(model.groups(lr=1e-3), lr=1e-2)
    train(model, opt, batches(1))
    before = [p.detach().clone() for p in model.parameters()]
    opt.param_groups[1]["lr"] = -0.5
    backward(model, batches(1)[0])
    with pytest.raises(ValueError, match=r"param_groups\[1\].*lr"):
        opt.step()
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_structural_hyperparameters():
    model = make_net()
    opt = ft.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = batches(3)
    train(model, opt, data[:1])
    opt.param_groups[0]["momentum"] = 0.5          # keeps momentum_buffer: fine
    train(model, opt, data[1:2])
    assert opt._bindings[0].engine.momentum == 0.5
    opt.param_groups[0]["momentum"] = 0.0          # would drop it: refused
    backward(model, data[2])
    with pytest.raises(ValueError, match="momentum changed from 0.5 to 0.0"):
        opt.step()
    opt = ft.Adam(model.parameters())
    opt.param_groups[0]["amsgrad"] = True
    with pytest.raises(ValueError, match="amsgrad"):
        opt.step()
    opt = ft.Adagrad(model.parameters(), initial_accumulator_value=0.1)
    opt.param_groups[0]["initial_accumulator_value"] = 5.0   # ignored, as torch
    opt.step()


def test_duplicate_param_in_group_raises():
    p = torch.zeros(3, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate"), \
            pytest.raises(ValueError, match="share memory"):
        ft.SGD([p, p], lr=0.1)


def test_sparse_grad_over_two_dims_raises():
    p = torch.zeros(3, 3, requires_grad=True)
    opt = ft.SGD([p], lr=0.1)
    p.grad = torch.eye(3).to_sparse()
    with pytest.raises(ValueError, match="sparse over 2 dimensions"):
        opt.step()


def test_import_fastopt_does_not_import_torch(tmp_path):
    code = ("import sys, fastopt, fastopt.optim, fastopt.kernels, fastopt.sparse; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "import fastopt.torch; assert 'torch' in sys.modules")
    # outside the checkout: `python -c` puts the working directory first on
    # sys.path, and the source tree has no compiled extension
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
