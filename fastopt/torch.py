"""fastopt's update rules as torch.optim optimizers (the optional extra `torch`).

    import fastopt.torch
    opt = fastopt.torch.Adam(model.parameters(), lr=1e-3)     # for torch.optim.Adam
    opt = fastopt.torch.FTRL(emb.parameters(), lr=0.05, l1=1.0)  # sparse embeddings

One class per fastopt rule -- SGD, Adagrad, Adadelta, RMSProp, Adam, AdamW,
Adamax, Nadam, DeltaBarDelta, ProximalSGD, ProximalAdagrad, AdagradDA, FTRL,
RDA (and torch's spellings RMSprop, NAdam) -- each a torch.optim.Optimizer
taking the hyperparameters of the fastopt class of that name, plus
n_threads.  Importing fastopt never imports torch; this module does.

How it works.  Each param group is bound to one fastopt optimizer (its
engine) over zero-copy numpy views of the group's tensors; float32 and
float64 may mix in a group (the engine makes one C call per dtype).  Before
each step the group's hyperparameters are pushed to the engine, so
torch.optim.lr_scheduler and edits of param_groups take effect; gradients
are passed as numpy views, sparse COO gradients (nn.Embedding(sparse=True),
nn.EmbeddingBag(sparse=True)) as fastopt.SparseGrad rows, duplicates summed
in C; the engine updates params and state in place.  optimizer.state[p]
holds torch.from_numpy tensors over the engine's state arrays -- 'step' is
a 0-d int64 view of the engine's per-param step count -- so they are the
state, not copies.  A param gets its state entry at its first step, as in
torch; a param without a gradient is skipped and its step count kept.

Params must be dense CPU float32/float64 contiguous tensors (anything else
would need a copy, and the update would not reach the model): others raise
an error naming the param.  If a param's data is replaced after the
optimizer was made (p.data = ..., model.to()), the next step rebinds it
when shape and dtype still match, and raises otherwise.

Hyperparameters that decide which state exists (SGD's and RMSProp's
momentum between zero and non-zero, nesterov, amsgrad, centered,
DeltaBarDelta's lr, which sets the initial rates) are fixed once a group is
added; a later change raises at the next step.  initial_accumulator_value
only sets the state a group starts with: later changes are ignored, as
torch.optim.Adagrad ignores them.

state_dict() / load_state_dict() are torch's (so checkpoints go through
torch.save / torch.load); loading rebuilds the engines from the loaded
param_groups and copies the loaded state into their arrays, so the state
keeps sharing memory with the kernels and training continues bit for bit.
"""
import functools
import inspect
import threading
from collections import defaultdict

import numpy as np
import torch
from torch.optim.optimizer import required

from fastopt import optim as _optim
from fastopt._validation import Hyper, check_n_threads
from fastopt.sparse import SparseGrad

__all__ = ["FastoptOptimizer", "SGD", "Adagrad", "Adadelta", "RMSProp", "RMSprop",
           "Adam", "AdamW", "Adamax", "Nadam", "NAdam", "DeltaBarDelta",
           "ProximalSGD", "ProximalAdagrad", "AdagradDA", "FTRL", "RDA"]

_FLOAT_DTYPES = (torch.float32, torch.float64)
# structural hyperparameters that only set a group's initial state
_INIT_ONLY = frozenset({"initial_accumulator_value"})
# structural hyperparameters the kernels read at every step: they may change
# while the state kept stays the same (momentum from one non-zero to another)
_LIVE = frozenset({"momentum"})
# rules that only tell a param's first step from the others: a loaded state
# may lack 'step' (torch.optim.SGD keeps none), and then counts one step
_STEP_FREE = frozenset({_optim.SGD, _optim.ProximalSGD})


@functools.lru_cache(maxsize=None)
def _hyper_signature(rule):
    """The signature of rule's hyperparameters (its __init__ less params
    and n_threads)."""
    sig = inspect.signature(rule.__init__)
    return sig.replace(parameters=[
        p for name, p in sig.parameters.items()
        if name not in ("self", "params", "n_threads")])


def _plain(value):
    """A group value as the engine takes it: one-element tensors unwrapped
    (torch allows a tensor lr), tuples of them too."""
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return value


def _param_view(p, name):
    """The zero-copy numpy view of param `p`, or a clear error."""
    if not isinstance(p, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(p).__name__}")
    if p.device.type != "cpu":
        raise ValueError(f"{name} is on device {p.device}; fastopt.torch updates "
                         "CPU tensors in place (use torch.optim for other devices)")
    if p.layout is not torch.strided:
        raise ValueError(f"{name} has layout {p.layout}; expected a dense tensor")
    if p.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} has dtype {p.dtype}; expected torch.float32 or "
                        "torch.float64")
    if not p.is_contiguous():
        raise ValueError(f"{name} is not contiguous: it is updated in place, and a "
                         "contiguous copy would not be the model's tensor (make the "
                         "parameter contiguous before creating the optimizer)")
    try:
        return p.detach().numpy()
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"{name} has no numpy view: {e}") from None


def _grad_array(g, name):
    """A param's .grad as the engine takes it: a numpy view of a dense
    gradient (a contiguous copy if it is strided -- it is only read) or the
    rows of a sparse COO gradient as a SparseGrad."""
    if g.layout is torch.strided:
        if g.requires_grad:
            g = g.detach()
        if not g.is_contiguous():
            g = g.contiguous()
        return g.numpy()
    if g.layout is torch.sparse_coo:
        if g.sparse_dim() != 1:
            raise ValueError(f"{name} is sparse over {g.sparse_dim()} dimensions; "
                             "fastopt takes sparse gradients over rows (sparse_dim "
                             "1), as nn.Embedding(sparse=True) makes")
        g = g.detach()
        return SparseGrad(g._indices()[0].contiguous().numpy(),
                          g._values().contiguous().numpy())
    raise ValueError(f"{name} has layout {g.layout}; expected a dense or sparse "
                     "COO gradient")


def _bump_versions(tensors):
    """Tell autograd the tensors were written in place (as a torch op does),
    so that using a stale activation still raises."""
    try:
        torch.autograd.graph.increment_version(tensors)
    except (AttributeError, TypeError):   # torch before 2.5: one tensor a call
        for t in tensors:
            torch._C._increment_version(t)


def _copy_state(engine, i, st, name):
    """Copy a loaded state dict `st` of param i into the engine's arrays."""
    aux = engine._aux_name
    if "step" not in st and type(engine) in _STEP_FREE:
        st = {**st, "step": 1}
    want = list(engine._state[i]) + ["step"] + ([aux] if aux else [])
    missing = [k for k in want if k not in st]
    if missing:
        raise ValueError(f"{name} lacks {missing} (it has {sorted(st)}): was it "
                         f"saved by another optimizer than {type(engine).__name__}?")
    arrays = {}
    for k, arr in engine._state[i].items():
        src = st[k]
        src = src.detach().cpu().numpy() if isinstance(src, torch.Tensor) else np.asarray(src)
        if src.shape != arr.shape:
            raise ValueError(f"{name}[{k!r}] has shape {list(src.shape)}; expected "
                             f"{list(arr.shape)}")
        arrays[k] = src
    step = _plain(st["step"])
    if isinstance(step, bool) or not float(step).is_integer() or step < 0:
        raise ValueError(f"{name}['step'] must be a whole number >= 0, got {step!r}")
    for k, src in arrays.items():
        np.copyto(engine._state[i][k], src, casting="same_kind")
    engine._steps[i] = int(step)
    if aux:
        engine._aux[i] = float(_plain(st[aux]))


class _Binding:
    """One param group's engine and what the torch side tracks about it."""

    __slots__ = ("engine", "ptrs", "unpublished")

    def __init__(self, engine, ptrs):
        self.engine = engine
        self.ptrs = ptrs                         # data_ptr() of each param when bound
        self.unpublished = list(range(len(ptrs)))  # params not yet in optimizer.state


class FastoptOptimizer(torch.optim.Optimizer):
    """A fastopt rule as a torch.optim.Optimizer; a subclass names the rule
    (`_rule`, a fastopt.Optimizer class) and inherits everything else.

    params: an iterable of tensors or of param-group dicts, as for torch.optim.
    Hyperparameters: those of the rule's fastopt class, by position or name;
    they are the defaults of the param groups.  n_threads: threads of the
    kernels (None = all usable cores); results are identical for any value.
    """

    _rule = None

    def __init__(self, params, *args, n_threads=None, **kwargs):
        if self._rule is None:
            raise TypeError("FastoptOptimizer is the base class; use one of "
                            "fastopt.torch's rules (fastopt.torch.Adam, ...)")
        sig = _hyper_signature(self._rule)
        try:
            given = sig.bind_partial(*args, **kwargs).arguments
        except TypeError as e:
            raise TypeError(f"{type(self).__name__}: {e}") from None
        defaults = {name: given.get(name, required if p.default is p.empty else p.default)
                    for name, p in sig.parameters.items()}
        self._n_threads = check_n_threads(n_threads)
        self._bindings = []
        self._lock = threading.RLock()
        super().__init__(params, defaults)
        self._bound_state = self.state

    @property
    def n_threads(self):
        return self._n_threads

    @n_threads.setter
    def n_threads(self, value):
        value = check_n_threads(value)
        for b in self._bindings:
            b.engine.n_threads = value
        self._n_threads = value

    # -- binding ----------------------------------------------------------
    def _bind_group(self, gi):
        """A fresh engine over param group gi's tensors and hyperparameters."""
        group = self.param_groups[gi]
        where = f"param_groups[{gi}]"
        params = group["params"]
        views = [_param_view(p, f"{where}['params'][{i}]") for i, p in enumerate(params)]
        hyper = {}
        for key, p in _hyper_signature(self._rule).parameters.items():
            value = group.get(key, self.defaults.get(key, p.default))
            if value is required or value is p.empty:
                raise ValueError(f"{where} has no value for {key!r}")
            group.setdefault(key, value)   # a loaded group may lack a key
            hyper[key] = _plain(value)
        try:
            engine = self._rule(views, n_threads=self._n_threads, **hyper)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{where}: {e}") from None
        return _Binding(engine, [p.data_ptr() for p in params])

    def _adopt(self, loaded):
        """Bind fresh engines to self.param_groups, copy the state in
        `loaded` (param -> dict of tensors) into them, and make self.state
        their tensors.  Nothing changes if a loaded entry does not fit."""
        bindings = [self._bind_group(gi) for gi in range(len(self.param_groups))]
        had = []
        for gi, (group, b) in enumerate(zip(self.param_groups, bindings)):
            had.append([i for i, p in enumerate(group["params"]) if loaded.get(p)])
            for i in had[-1]:
                _copy_state(b.engine, i, loaded[group["params"][i]],
                            f"state of param_groups[{gi}]['params'][{i}]")
        self._bindings = bindings
        self.state = defaultdict(dict, {k: v for k, v in loaded.items()
                                        if not isinstance(k, torch.Tensor)})
        self._bound_state = self.state
        for group, b, idx in zip(self.param_groups, bindings, had):
            self._publish(group, b, set(idx))

    def _publish(self, group, b, force=()):
        """Give the params of `b` that have taken a step (or are in `force`)
        their optimizer.state entry: tensors over the engine's arrays."""
        engine = b.engine
        steps = torch.from_numpy(engine._steps)
        aux = torch.from_numpy(engine._aux) if engine._aux_name else None
        still = []
        for i in b.unpublished:
            if engine._steps[i] == 0 and i not in force:
                still.append(i)
                continue
            st = {k: torch.from_numpy(v) for k, v in engine._state[i].items()}
            st["step"] = steps[i]
            if aux is not None:
                st[engine._aux_name] = aux[i]
            self.state[group["params"][i]] = st
        b.unpublished = still

    def _rebind(self, gi, b, i, p):
        name = f"param_groups[{gi}]['params'][{i}]"
        view = _param_view(p, name)
        try:
            b.engine._rebind_param(i, view)
        except ValueError as e:
            raise ValueError(
                f"{name} no longer uses the memory the optimizer was bound to (its "
                f"data was replaced, e.g. by p.data = ... or model.to()) and cannot "
                f"be rebound ({e}); create the optimizer after converting the "
                "model") from None
        b.ptrs[i] = p.data_ptr()

    # -- stepping ----------------------------------------------------------
    def _push(self, gi, group, engine):
        """Set the engine's hyperparameters from the group (validated, all
        together: a bad value changes none)."""
        settable = {}
        for key in _hyper_signature(self._rule).parameters:
            value = _plain(group[key])
            desc = getattr(type(engine), key)
            try:
                if not (isinstance(desc, Hyper) and desc.structural):  # betas too
                    settable[key] = value
                    continue
                value, current = desc.check(value), getattr(engine, key)
                if value == current or key in _INIT_ONLY:
                    continue
                layout = engine._slots()
                engine.__dict__[key] = value
                if key in _LIVE and engine._slots() == layout:
                    continue
                engine.__dict__[key] = current
                raise ValueError(f"{key} changed from {current!r} to {value!r}, but it "
                                 f"decides the state {type(engine).__name__} keeps and "
                                 "is fixed once the group is added; create a new "
                                 "optimizer to change it")
            except (TypeError, ValueError) as e:
                raise type(e)(f"param_groups[{gi}]: {e}") from None
        try:
            engine._set_hypers(**settable)
        except (TypeError, ValueError) as e:
            raise type(e)(f"param_groups[{gi}]: {e}") from None

    def _grads(self, gi, group, b):
        """(grads for the engine, params that have one)."""
        params = group["params"]
        if len(params) != len(b.ptrs):
            raise RuntimeError(f"param_groups[{gi}]['params'] changed length since "
                               "the group was added; use add_param_group to add "
                               "parameters")
        grads, touched = [], []
        for i, p in enumerate(params):
            if p.data_ptr() != b.ptrs[i]:
                self._rebind(gi, b, i, p)
            g = p.grad
            if g is None:
                grads.append(None)
                continue
            touched.append(p)
            grads.append(_grad_array(g, f"param_groups[{gi}]['params'][{i}].grad"))
        return grads, touched

    def step(self, closure=None):
        """One update of every param that has a gradient; returns the
        closure's loss (the closure runs first, with grad enabled).  All
        groups' hyperparameters and gradients are checked before any param
        is written."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with self._lock:   # one step at a time (see the module's notes)
            self._step()
        return loss

    def _step(self):
        if len(self._bindings) != len(self.param_groups):
            raise RuntimeError("param_groups changed without add_param_group")
        if self.state is not self._bound_state:
            self._adopt(self.state)   # optimizer.state was replaced: take it in
        work = []
        for gi, (group, b) in enumerate(zip(self.param_groups, self._bindings)):
            self._push(gi, group, b.engine)
            grads, touched = self._grads(gi, group, b)
            if touched:
                work.append((group, b, grads, touched))
        for group, b, grads, touched in work:
            b.engine.step(grads)
            _bump_versions(touched)   # written through numpy, unseen by autograd
            if b.unpublished:
                self._publish(group, b)

    # -- checkpoints and copies ---------------------------------------------
    def load_state_dict(self, state_dict):
        """torch's load_state_dict, then the engines rebuilt from the loaded
        param_groups and the loaded state copied into their arrays; on error
        the optimizer is left as it was."""
        with self._lock:
            saved = (self.param_groups, self.state, self._bindings, self._bound_state)
            try:
                super().load_state_dict(state_dict)   # ends in __setstate__
            except BaseException:
                self.param_groups, self.state, self._bindings, self._bound_state = saved
                raise

    def add_param_group(self, param_group):
        with self._lock:
            super().add_param_group(param_group)
            try:
                self._bindings.append(self._bind_group(len(self.param_groups) - 1))
            except BaseException:
                self.param_groups.pop()
                raise

    def __getstate__(self):
        state = super().__getstate__()
        state["_n_threads"] = self._n_threads
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("_n_threads", None)
        self.__dict__.setdefault("_lock", threading.RLock())
        self._adopt(self.state)


def _torch_class(rule):
    """The torch.optim.Optimizer subclass running fastopt rule `rule`."""
    sig = _hyper_signature(rule)
    kw = inspect.Parameter.KEYWORD_ONLY
    params = ([inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
              + list(sig.parameters.values())
              + [inspect.Parameter("n_threads", kw, default=None)])
    doc = (f"fastopt.{rule.__name__} as a torch.optim.Optimizer (see fastopt.torch "
           f"and FastoptOptimizer).\n\n{inspect.getdoc(rule)}")
    return type(rule.__name__, (FastoptOptimizer,), {
        "_rule": rule, "__doc__": doc, "__module__": __name__,
        "__signature__": inspect.Signature(params)})


SGD = _torch_class(_optim.SGD)
Adagrad = _torch_class(_optim.Adagrad)
Adadelta = _torch_class(_optim.Adadelta)
RMSProp = _torch_class(_optim.RMSProp)
Adam = _torch_class(_optim.Adam)
AdamW = _torch_class(_optim.AdamW)
Adamax = _torch_class(_optim.Adamax)
Nadam = _torch_class(_optim.Nadam)
DeltaBarDelta = _torch_class(_optim.DeltaBarDelta)
ProximalSGD = _torch_class(_optim.ProximalSGD)
ProximalAdagrad = _torch_class(_optim.ProximalAdagrad)
AdagradDA = _torch_class(_optim.AdagradDA)
FTRL = _torch_class(_optim.FTRL)
RDA = _torch_class(_optim.RDA)
RMSprop = RMSProp   # torch.optim's spellings
NAdam = Nadam
