"""fastopt's update rules as torch.optim optimizers (the optional extra `torch`).

    import fastopt.torch
    opt = fastopt.torch.Adam(model.parameters(), lr=1e-3)     # for torch.optim.Adam
    opt = fastopt.torch.FTRL(emb.parameters(), lr=0.05, l1=1.0)  # sparse embeddings

One class per fastopt rule -- SGD, Adagrad, Adadelta, RMSProp, Adam, AdamW,
Adamax, Nadam, DeltaBarDelta, ProximalSGD, ProximalAdagrad, AdagradDA, FTRL,
RDA (and torch's spellings RMSprop, NAdam) -- each a torch.optim.Optimizer.
Importing fastopt never imports torch; this module does.

Drop-in for torch.optim.  The classes torch also has (SGD, Adagrad,
Adadelta, RMSprop, Adam, AdamW, Adamax, NAdam) take torch's signature: its
positional order, its defaults (SGD's lr=1e-3), its keywords (foreach, fused,
capturable, differentiable, Adam's decoupled_weight_decay), a 1-element
tensor lr or tensor betas; fastopt's extras are keyword-only (n_threads, and
RMSprop's eps_in_sqrt).  The arguments are first validated by torch.optim's
own class (built over a one-element dummy param, before params are read), so
a bad call raises what torch raises, with torch's message; the param groups
hold torch's keys.  foreach, fused, capturable and differentiable are
accepted when False or None; True raises NotImplementedError (fastopt has
one CPU implementation, and its in-place numpy update is not differentiable).
The rules torch lacks keep the signature of their fastopt class.

How it works.  Each param group is bound to one fastopt optimizer (its
engine) over zero-copy numpy views of the group's tensors; float32 and
float64 may mix in a group (the engine makes one C call per dtype).  Before
each step the group's hyperparameters are pushed to the engine, so
torch.optim.lr_scheduler and edits of param_groups take effect; gradients
are passed as numpy views, sparse COO gradients (nn.Embedding(sparse=True),
nn.EmbeddingBag(sparse=True)) as fastopt.SparseGrad rows, duplicates summed
in C; the engine updates params and state in place.

State.  optimizer.state[p] holds what torch.optim keeps, with torch's names
and dtypes.  The state arrays (exp_avg, momentum_buffer, ...) are
torch.from_numpy tensors over the engine's arrays: the state itself, not
copies.  The scalars cannot be views -- the engine counts steps in int64 and
keeps NAdam's mu_product in a float64 array -- so they are published: 'step'
(and 'mu_product') are 0-d tensors in torch's scalar dtype (float32, or
float64 under torch.set_default_dtype(torch.float64); torch's
_get_scalar_dtype), views of one small mirror array per group that is
refreshed from the engine after every step.  Before every step the mirrors
are read back: a scalar changed in place (state['step'].fill_(0)) or any
entry assigned anew (state[p]['exp_avg'] = t) is checked and copied into the
engine, and a param whose entry was emptied or deleted starts afresh, as in
torch.  With a float32 mu_product the engine multiplies it in float32, as
torch does, so NAdam equals torch's under the default dtype too.  SGD keeps
no 'step' entry (only momentum_buffer, with momentum), as torch; Adagrad's
state exists from construction, as torch's.  A float32 'step' counts exactly
to 2**24, like torch's.  A param gets its state entry at its first step
(Adagrad: at construction), as in torch; a param without a gradient is
skipped and its step count kept.

Sparse gradients.  Where torch.optim takes sparse gradients, fastopt does
what it does: SGD with momentum keeps a dense momentum buffer that decays on
every row at every step (torch's sparse buffer gives the same numbers), so
its sparse gradient is densified; SGD without momentum and Adagrad update
only the named rows; weight_decay with a sparse gradient raises torch's
RuntimeError.  The rules torch refuses sparse gradients for (Adam, RMSprop,
...) and the rules torch lacks take them with fastopt's lazy semantics: only
the named rows and their state change, with the param's step count.

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
torch.optim.Adagrad ignores them.  Group values are checked at every step
(torch checks only the constructor's): a bad one raises, nothing written.

state_dict() / load_state_dict() are torch's (so checkpoints go through
torch.save / torch.load, and load into torch.optim and back); loading
rebuilds the engines from the loaded param_groups and copies the loaded
state into their arrays, so the state keeps sharing memory with the kernels
and training continues bit for bit.

Types.  The classes are made from torch's and fastopt's signatures when this
module is imported, so a type checker sees each as ``type[FastoptOptimizer]``
(any arguments); ``inspect.signature`` and ``help()`` show the real ones.
"""
from __future__ import annotations

import inspect
import threading
from collections import defaultdict
from typing import Any, Callable, ClassVar, Iterable, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt
import torch
from torch.optim.optimizer import required

from fastopt import optim as _optim
from fastopt._validation import FloatArray, Hyper, Params, check_n_threads
from fastopt.optim.adaptive import WD_DECOUPLED, WD_L2
from fastopt.optim.base import Optimizer as _Rule
from fastopt.sparse import SparseGrad

_Group = dict[str, Any]

__all__ = ["FastoptOptimizer", "SGD", "Adagrad", "Adadelta", "RMSProp", "RMSprop",
           "Adam", "AdamW", "Adamax", "Nadam", "NAdam", "DeltaBarDelta",
           "ProximalSGD", "ProximalAdagrad", "AdagradDA", "FTRL", "RDA"]

_FLOAT_DTYPES = (torch.float32, torch.float64)
# torch.optim's implementation switches: fastopt has one implementation
_FLAGS = ("foreach", "fused", "capturable", "differentiable")
# structural hyperparameters that only set a group's initial state
_INIT_ONLY = frozenset({"initial_accumulator_value"})
# structural hyperparameters the kernels read at every step: they may change
# while the state kept stays the same (momentum from one non-zero to another)
_LIVE = frozenset({"momentum"})
# rules that only tell a param's first step from the others: a loaded state
# may lack 'step' (torch.optim.SGD keeps none), and then counts one step
_STEP_FREE = frozenset({_optim.SGD, _optim.ProximalSGD})


class _TorchAdam(_optim.Adam):
    """fastopt.Adam with torch.optim.Adam's decoupled_weight_decay: True is
    AdamW's rule (torch.optim.AdamW is Adam with it set)."""

    decoupled_weight_decay = Hyper(kind="bool")

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False,
                 decoupled_weight_decay: bool = False,
                 n_threads: Optional[int] = None) -> None:
        self.decoupled_weight_decay = decoupled_weight_decay
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, n_threads=n_threads)

    def _kernel_args(self) -> dict[str, Any]:
        args = super()._kernel_args()
        args["wd_mode"] = WD_DECOUPLED if self.decoupled_weight_decay else WD_L2
        return args


_SIGNATURES: dict[type[_Rule], inspect.Signature] = {}


def _hyper_signature(rule: type[_Rule]) -> inspect.Signature:
    """The signature of rule's hyperparameters (its __init__ less params
    and n_threads), computed once per rule."""
    out = _SIGNATURES.get(rule)
    if out is None:
        sig = inspect.signature(rule.__init__)
        out = _SIGNATURES[rule] = sig.replace(parameters=[
            p for name, p in sig.parameters.items()
            if name not in ("self", "params", "n_threads")])
    return out


def _scalar_dtype() -> torch.dtype:
    """torch's dtype for 'step' and mu_product (optimizer._get_scalar_dtype)."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _plain(value: Any) -> Any:
    """A group value as the engine takes it: one-element tensors unwrapped
    (torch allows a tensor lr), tuples of them too."""
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return value


def _check_flags(values: dict[str, Any], where: str) -> None:
    """foreach/fused/capturable/differentiable: False or None, as fastopt runs
    one implementation; True is torch's, not fastopt's."""
    for flag in _FLAGS:
        if values.get(flag):
            raise NotImplementedError(
                f"{where}{flag}=True: fastopt.torch runs fastopt's one CPU kernel per "
                f"rule and has no {flag} implementation; pass {flag}=False or None "
                f"(or use torch.optim for {flag}=True)")


def _param_view(p: object, name: str) -> FloatArray:
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
        view: FloatArray = p.detach().numpy()
        return view
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"{name} has no numpy view: {e}") from None


def _grad_array(g: torch.Tensor, name: str, densify: bool = False
                ) -> Union[FloatArray, SparseGrad]:
    """A param's .grad as the engine takes it: a numpy view of a dense
    gradient (a contiguous copy if it is strided -- it is only read) or the
    rows of a sparse COO gradient as a SparseGrad (densified, duplicates
    summed, with `densify`)."""
    if g.layout is torch.strided:
        if g.requires_grad:
            g = g.detach()
        if not g.is_contiguous():
            g = g.contiguous()
        dense: FloatArray = g.numpy()
        return dense
    if g.layout is torch.sparse_coo:
        if g.sparse_dim() != 1:
            raise ValueError(f"{name} is sparse over {g.sparse_dim()} dimensions; "
                             "fastopt takes sparse gradients over rows (sparse_dim "
                             "1), as nn.Embedding(sparse=True) makes")
        g = g.detach()
        if densify:
            densified: FloatArray = g.to_dense().numpy()
            return densified
        return SparseGrad(g._indices()[0].contiguous().numpy(),
                          g._values().contiguous().numpy())
    raise ValueError(f"{name} has layout {g.layout}; expected a dense or sparse "
                     "COO gradient")


def _bump_versions(tensors: list[torch.Tensor]) -> None:
    """Tell autograd the tensors were written in place (as a torch op does),
    so that using a stale activation still raises."""
    try:
        torch.autograd.graph.increment_version(tensors)
    except (AttributeError, TypeError):   # torch before 2.5: one tensor a call
        for t in tensors:
            torch._C._increment_version(t)


def _as_array(src: object) -> npt.NDArray[Any]:
    if isinstance(src, torch.Tensor):
        src = src.detach()
        if src.layout is not torch.strided:   # torch.optim.SGD's sparse momentum_buffer
            src = src.to_dense()
        out: npt.NDArray[Any] = src.cpu().numpy()
        return out
    return np.asarray(src)


def _copy_state(engine: _Rule, i: int, st: dict[str, Any], name: str) -> None:
    """Copy a loaded state dict `st` of param i into the engine's arrays."""
    aux = engine._aux_name
    if "step" not in st and type(engine) in _STEP_FREE:
        st = {**st, "step": 1}
    want = list(engine._state[i]) + ["step"] + ([aux] if aux else [])
    missing = [k for k in want if k not in st]
    if missing:
        raise ValueError(f"{name} lacks {missing} (it has {sorted(st)}): was it "
                         f"saved by another optimizer than {type(engine).__name__}?")
    arrays: dict[str, npt.NDArray[Any]] = {}
    for k, arr in engine._state[i].items():
        src = _as_array(st[k])
        if src.shape != arr.shape:
            raise ValueError(f"{name}[{k!r}] has shape {list(src.shape)}; expected "
                             f"{list(arr.shape)}")
        arrays[k] = src
    step = _plain(st["step"])
    if isinstance(step, bool) or not isinstance(step, (int, float, np.number)) \
            or not float(step).is_integer() or step < 0:
        raise ValueError(f"{name}['step'] must be a whole number >= 0, got {step!r}")
    mu: Any = None
    if aux:
        mu = _plain(st[aux])
        if isinstance(mu, bool) or not isinstance(mu, (int, float, np.number)) \
                or not np.isfinite(mu):
            raise ValueError(f"{name}[{aux!r}] must be a finite real number, got {mu!r}")
    for k, src in arrays.items():
        np.copyto(engine._state[i][k], src, casting="same_kind")
    engine._steps[i] = int(step)
    if aux:
        engine._aux[i] = float(mu)


def _reset_state(engine: _Rule, i: int) -> None:
    """Param i's state as a fresh optimizer has it (torch: an emptied entry)."""
    for k, arr in engine._state[i].items():
        np.copyto(arr, engine._init_state(k, engine._params[i]))
    engine._steps[i] = 0
    engine._aux[i] = engine._aux_init


class _Binding:
    """One param group's engine and what the torch side tracks about it:
    the mirrors publishing the engine's int64 step counts and float64 aux
    scalars as 0-d tensors of torch's scalar dtype, and what was published."""

    __slots__ = ("engine", "ptrs", "published", "steps", "steps_seen", "aux",
                 "aux_seen")

    def __init__(self, engine: _Rule, ptrs: list[int], dtype: np.dtype[Any]) -> None:
        self.engine = engine
        self.ptrs = ptrs                      # data_ptr() of each param when bound
        # i -> (its state dict, {key: tensor})
        self.published: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.steps = np.zeros(len(ptrs), dtype=dtype)
        self.steps_seen = self.steps.copy()   # the mirrors as last written
        self.aux = np.ones(len(ptrs), dtype=dtype)
        self.aux_seen = self.aux.copy()
        if engine._aux_name == "mu_product":  # torch multiplies it in its dtype
            engine._mu_product_f32 = dtype == np.float32  # type: ignore[attr-defined]

    def refresh(self) -> None:
        """Mirrors <- engine, after a step or a load."""
        self.steps[:] = self.engine._steps
        self.steps_seen[:] = self.steps
        self.aux[:] = self.engine._aux
        self.aux_seen[:] = self.aux


class FastoptOptimizer(torch.optim.Optimizer):
    """A fastopt rule as a torch.optim.Optimizer; a subclass names the rule
    (`_rule`, a fastopt.Optimizer class) and, where torch.optim has the same
    optimizer, torch's class (`_torch`), and inherits everything else.

    Parameters
    ----------
    params : iterable of torch.Tensor or of dict
        Tensors or param-group dicts, as for torch.optim: dense CPU float32 or
        float64 contiguous tensors, updated in place.
    *args, **kwargs
        The hyperparameters: torch's (where torch has the optimizer) or those
        of the rule's fastopt class, by position or name; they are the
        defaults of the param groups.  Keyword ``n_threads``: threads of the
        kernels (None = all usable cores); results are identical for any
        value.

    Raises
    ------
    TypeError
        For arguments the signature does not take, a param that is not a
        float32/float64 tensor, or a hyperparameter of the wrong type (torch's
        own error where torch has the optimizer).
    ValueError
        For a hyperparameter out of range, or a param on another device, not
        contiguous, or not dense.
    NotImplementedError
        For foreach, fused, capturable or differentiable set to True.

    Examples
    --------
    >>> import torch, fastopt.torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    >>> opt = fastopt.torch.Adam([w], lr=0.1)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w.detach()
    tensor([ 0.9000, -1.9000])
    """

    _rule: ClassVar[Optional[type[_Rule]]] = None
    _torch: ClassVar[Optional[type[torch.optim.Optimizer]]] = None  # what this stands in for
    _torch_params: ClassVar[frozenset[str]] = frozenset()  # torch's argument names
    _engine_keys: ClassVar[tuple[str, ...]] = ()  # group keys the engine takes
    _state_on_init: ClassVar[bool] = False  # torch.optim.Adagrad makes state at construction
    _forced: ClassVar[dict[str, Any]] = {}  # group values torch's __setstate__ forces (AdamW)
    __signature__: ClassVar[inspect.Signature]

    def __init__(self, params: Iterable[Any], *args: Any, **kwargs: Any) -> None:
        if self._rule is None:
            raise TypeError("FastoptOptimizer is the base class; use one of "
                            "fastopt.torch's rules (fastopt.torch.Adam, ...)")
        try:
            bound = self.__signature__.bind(params, *args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{type(self).__name__}.__init__(): {e}") from None
        bound.apply_defaults()
        given = dict(bound.arguments)
        given.pop("params")
        self._n_threads = check_n_threads(given.pop("n_threads", None))
        defaults = self._check_defaults(given)
        self._bindings: list[_Binding] = []
        self._lock = threading.RLock()
        super().__init__(params, defaults)
        self._bound_state = self.state

    @classmethod
    def _check_defaults(cls, given: dict[str, Any]) -> dict[str, Any]:
        """The param groups' defaults, checked before any param is read: by
        torch's own class where there is one (its exceptions, its messages,
        its keys), then the flags, then fastopt's rule."""
        assert cls._rule is not None   # checked by __init__
        if cls._torch is not None:
            extras = {k: given.pop(k) for k in list(given)
                      if k not in cls._torch_params}
            probe = cls._torch([torch.zeros(1, requires_grad=True)], **given)
            defaults = {**probe.defaults, **extras}
            _check_flags(defaults, "")
        else:
            defaults = {name: given[name] for name in _hyper_signature(cls._rule).parameters}
        hyper = {k: _plain(defaults[k]) for k in cls._engine_keys}
        cls._rule([np.zeros(1)], n_threads=1, **hyper)   # fastopt's own checks
        return defaults

    @property
    def n_threads(self) -> Optional[int]:
        """Threads of the kernels (settable; None = all usable cores)."""
        return self._n_threads

    @n_threads.setter
    def n_threads(self, value: Optional[int]) -> None:
        value = check_n_threads(value)
        for b in self._bindings:
            b.engine.n_threads = value
        self._n_threads = value

    # -- binding ----------------------------------------------------------
    def _bind_group(self, gi: int, dtype: Optional[torch.dtype] = None) -> _Binding:
        """A fresh engine over param group gi's tensors and hyperparameters."""
        group = self.param_groups[gi]
        where = f"param_groups[{gi}]"
        params = group["params"]
        for key, value in self.defaults.items():
            group.setdefault(key, value)   # a loaded group may lack a key
        group.update(self._forced)
        _check_flags(group, f"{where}: ")
        views = [_param_view(p, f"{where}['params'][{i}]") for i, p in enumerate(params)]
        hyper: dict[str, Any] = {}
        for key in self._engine_keys:
            value = group.get(key, required)
            if value is required:
                raise ValueError(f"{where} has no value for {key!r}")
            hyper[key] = _plain(value)
        assert self._rule is not None   # checked by __init__
        try:
            engine = self._rule(views, n_threads=self._n_threads, **hyper)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{where}: {e}") from None
        np_dtype = torch.empty(0, dtype=dtype or _scalar_dtype()).numpy().dtype
        return _Binding(engine, [p.data_ptr() for p in params], np_dtype)

    def _adopt(self, loaded: dict[Any, Any]) -> None:
        """Bind fresh engines to self.param_groups, copy the state in
        `loaded` (param -> dict of tensors) into them, and make self.state
        their tensors.  Nothing changes if a loaded entry does not fit."""
        steps = [st.get("step") for st in loaded.values() if isinstance(st, dict)]
        dtype = next((s.dtype for s in steps if isinstance(s, torch.Tensor)
                      and s.dtype in _FLOAT_DTYPES), None)
        bindings = [self._bind_group(gi, dtype) for gi in range(len(self.param_groups))]
        had: list[list[int]] = []
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
            b.refresh()
            self._publish(group, b, set(idx))

    def _entries(self, b: _Binding, i: int) -> dict[str, torch.Tensor]:
        """Param i's optimizer.state entry as torch keeps it."""
        engine = b.engine
        st = {k: torch.from_numpy(v) for k, v in engine._state[i].items()}
        if type(engine) is not _optim.SGD:   # torch.optim.SGD keeps no step
            st["step"] = torch.from_numpy(b.steps)[i]
        if engine._aux_name:
            st[engine._aux_name] = torch.from_numpy(b.aux)[i]
        return st

    def _publish(self, group: _Group, b: _Binding, force: Iterable[int] = ()) -> None:
        """Give the params of `b` that have taken a step (or are in `force`)
        their optimizer.state entry (an SGD without momentum keeps none)."""
        engine = b.engine
        force = set(force)
        for i, p in enumerate(group["params"]):
            if i in b.published or (engine._steps[i] == 0 and i not in force
                                    and not self._state_on_init):
                continue
            st = self._entries(b, i)
            if st:
                self.state[p] = st
                b.published[i] = (st, dict(st))

    def _read_back(self, gi: int, group: _Group, b: _Binding) -> None:
        """Take in what was written to optimizer.state since the last step:
        scalars changed in place, entries assigned anew, entries emptied."""
        engine = b.engine
        edited = set(np.flatnonzero((b.steps != b.steps_seen) | (b.aux != b.aux_seen)))
        taken: list[tuple[int, torch.Tensor]] = []
        for i, (st, mine) in list(b.published.items()):
            p = group["params"][i]
            now = self.state.get(p)
            if now is st and i not in edited and all(st.get(k) is v for k, v in mine.items()):
                continue
            if not now:                       # deleted or emptied: start afresh
                _reset_state(engine, i)
                del b.published[i]
                self.state.pop(p, None)
                continue
            if type(engine) is _optim.SGD:
                now = {"step": max(1, int(engine._steps[i])), **now}
            _copy_state(engine, i, now, f"state of param_groups[{gi}]['params'][{i}]")
            taken.append((i, p))
        if edited or taken:
            b.refresh()
        for i, p in taken:                    # the engine's tensors again
            st = self._entries(b, i)
            self.state[p] = st
            b.published[i] = (st, dict(st))

    def _rebind(self, gi: int, b: _Binding, i: int, p: torch.Tensor) -> None:
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
    def _push(self, gi: int, group: _Group, engine: _Rule) -> None:
        """Set the engine's hyperparameters from the group (validated, all
        together: a bad value changes none)."""
        _check_flags(group, f"param_groups[{gi}]: ")
        settable: dict[str, Any] = {}
        for key in self._engine_keys:
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

    def _check_sparse(self, gi: int, group: _Group, i: int, g: torch.Tensor) -> bool:
        """torch's refusals for a sparse gradient; True: densify it."""
        return False

    def _grads(self, gi: int, group: _Group, b: _Binding
               ) -> tuple[list[Union[FloatArray, SparseGrad, None]], list[torch.Tensor]]:
        """(grads for the engine, params that have one)."""
        params = group["params"]
        if len(params) != len(b.ptrs):
            raise RuntimeError(f"param_groups[{gi}]['params'] changed length since "
                               "the group was added; use add_param_group to add "
                               "parameters")
        grads: list[Union[FloatArray, SparseGrad, None]] = []
        touched: list[torch.Tensor] = []
        for i, p in enumerate(params):
            if p.data_ptr() != b.ptrs[i]:
                self._rebind(gi, b, i, p)
            g = p.grad
            if g is None:
                grads.append(None)
                continue
            densify = g.layout is torch.sparse_coo and self._check_sparse(gi, group, i, g)
            touched.append(p)
            grads.append(_grad_array(g, f"param_groups[{gi}]['params'][{i}].grad",
                                     densify))
        return grads, touched

    @overload
    def step(self, closure: None = None) -> None: ...

    @overload
    def step(self, closure: Callable[[], float]) -> float: ...

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        """One update of every param that has a gradient.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; it runs first, with
            grad enabled.

        Returns
        -------
        float or None
            The closure's loss (None without a closure).

        Raises
        ------
        TypeError, ValueError
            For a group hyperparameter or a gradient that is not usable (all
            groups are checked before any param is written).
        RuntimeError
            For torch's refusals (a sparse gradient with weight_decay) or
            param groups changed without add_param_group.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with self._lock:   # one step at a time (see the module's notes)
            self._step()
        return loss

    def _step(self) -> None:
        if len(self._bindings) != len(self.param_groups):
            raise RuntimeError("param_groups changed without add_param_group")
        if self.state is not self._bound_state:
            self._adopt(self.state)   # optimizer.state was replaced: take it in
        work: list[tuple[_Group, _Binding, list[Any], list[torch.Tensor]]] = []
        for gi, (group, b) in enumerate(zip(self.param_groups, self._bindings)):
            self._push(gi, group, b.engine)
            grads, touched = self._grads(gi, group, b)
            self._read_back(gi, group, b)
            if touched:
                work.append((group, b, grads, touched))
        for group, b, grads, touched in work:
            b.engine.step(grads)
            _bump_versions(touched)   # written through numpy, unseen by autograd
            b.refresh()
            self._publish(group, b)

    # -- checkpoints and copies ---------------------------------------------
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's load_state_dict, then the engines rebuilt from the loaded
        param_groups and the loaded state copied into their arrays.

        Parameters
        ----------
        state_dict : dict
            A checkpoint from `state_dict()` of this class or of the
            torch.optim optimizer it stands in for.

        Raises
        ------
        ValueError
            If the checkpoint does not fit the param groups or its state does
            not fit the rule; the optimizer is left as it was.
        """
        with self._lock:
            saved = (self.param_groups, self.state, self._bindings, self._bound_state)
            try:
                super().load_state_dict(state_dict)   # ends in __setstate__
            except BaseException:
                self.param_groups, self.state, self._bindings, self._bound_state = saved
                raise

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """torch's add_param_group, binding the new group to an engine.

        Parameters
        ----------
        param_group : dict
            ``{"params": tensors, **hyperparameters}``; missing values come
            from the defaults.

        Raises
        ------
        TypeError, ValueError
            As the constructor, for the group's params and values; the group
            is not added then.
        """
        with self._lock:
            super().add_param_group(param_group)
            try:
                b = self._bind_group(len(self.param_groups) - 1)
                self._bindings.append(b)
                if self._state_on_init:
                    self._publish(self.param_groups[-1], b)
            except BaseException:
                self.param_groups.pop()
                raise

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_n_threads"] = self._n_threads
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("_n_threads", None)
        self.__dict__.setdefault("_lock", threading.RLock())
        self._adopt(self.state)


class _SparseSGD:
    """torch.optim.SGD's sparse gradients: with momentum the buffer decays on
    every row (torch's sparse buffer; here dense, the gradient densified);
    weight_decay raises torch's error."""

    def _check_sparse(self, gi: int, group: _Group, i: int, g: torch.Tensor) -> bool:
        if _plain(group["weight_decay"]) != 0:
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, "
                               "sparse) instead. (torch.optim.SGD with weight_decay "
                               f"and the sparse gradient of param_groups[{gi}]"
                               f"['params'][{i}])")
        return bool(_plain(group["momentum"]) != 0)


class _SparseAdagrad:
    """torch.optim.Adagrad's sparse gradients: lazy rows, no weight_decay."""

    def _check_sparse(self, gi: int, group: _Group, i: int, g: torch.Tensor) -> bool:
        if _plain(group["weight_decay"]) != 0:
            raise RuntimeError("weight_decay option is not compatible with sparse "
                               f"gradients (param_groups[{gi}]['params'][{i}])")
        return False


def _fastopt_class(rule: type[_Rule]) -> type[FastoptOptimizer]:
    """The torch.optim.Optimizer subclass running a fastopt rule torch lacks,
    with that rule's signature."""
    sig = _hyper_signature(rule)
    kw = inspect.Parameter.KEYWORD_ONLY
    params = ([inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
              + list(sig.parameters.values())
              + [inspect.Parameter("n_threads", kw, default=None)])
    doc = (f"fastopt.{rule.__name__} as a torch.optim.Optimizer (see fastopt.torch "
           f"and FastoptOptimizer).\n\n{inspect.getdoc(rule)}")
    return type(rule.__name__, (FastoptOptimizer,), {
        "_rule": rule, "_engine_keys": tuple(sig.parameters), "__doc__": doc,
        "__module__": __name__, "__signature__": inspect.Signature(params)})


def _torch_class(name: str, rule: type[_Rule], extras: Sequence[str] = (),
                 hidden: Sequence[str] = (), mixins: tuple[type, ...] = (),
                 **attrs: Any) -> type[FastoptOptimizer]:
    """The drop-in for torch.optim.<name>: torch's signature (positional
    order, defaults, keywords) then fastopt's keyword-only extras, run by
    fastopt rule `rule` (which also takes `hidden`, keys of torch's
    defaults that are not in its signature).  Every parameter of torch's but the flags must be a
    hyperparameter of the rule: a torch with more fails here, not silently."""
    tcls: type[torch.optim.Optimizer] = getattr(torch.optim, name)
    tparams = [p.replace(annotation=inspect.Parameter.empty)
               for p in inspect.signature(tcls.__init__).parameters.values()
               if p.name != "self"]
    names = {p.name for p in tparams} - {"params"}
    engine_keys = tuple(k for k in _hyper_signature(rule).parameters
                        if k in names or k in extras or k in hidden)
    unknown = names - set(engine_keys) - set(_FLAGS)
    if unknown or set(_hyper_signature(rule).parameters) - set(engine_keys):
        raise ImportError(f"fastopt.torch.{name} does not know torch.optim.{name}'s "
                          f"{sorted(unknown)} (torch {torch.__version__})")
    kw = inspect.Parameter.KEYWORD_ONLY
    rule_sig = _hyper_signature(rule).parameters
    params = (tparams + [rule_sig[k].replace(kind=kw) for k in extras]
              + [inspect.Parameter("n_threads", kw, default=None)])
    doc = (f"torch.optim.{name} run by fastopt.{rule.__name__} (see fastopt.torch "
           f"and FastoptOptimizer).\n\nArguments: torch.optim.{name}'s; extra "
           f"keywords: {', '.join(list(extras) + ['n_threads'])}.\n\n"
           f"{inspect.getdoc(rule)}")
    return type(name, (*mixins, FastoptOptimizer), {
        "_rule": rule, "_torch": tcls, "_torch_params": frozenset(names),
        "_engine_keys": engine_keys, "__doc__": doc, "__module__": __name__,
        "__signature__": inspect.Signature(params), **attrs})


SGD = _torch_class("SGD", _optim.SGD, mixins=(_SparseSGD,))
Adagrad = _torch_class("Adagrad", _optim.Adagrad, mixins=(_SparseAdagrad,),
                       _state_on_init=True)
Adadelta = _torch_class("Adadelta", _optim.Adadelta)
RMSprop = _torch_class("RMSprop", _optim.RMSProp, extras=("eps_in_sqrt",))
Adam = _torch_class("Adam", _TorchAdam)
AdamW = _torch_class("AdamW", _TorchAdam, hidden=("decoupled_weight_decay",),
                     _forced={"decoupled_weight_decay": True})
Adamax = _torch_class("Adamax", _optim.Adamax)
NAdam = _torch_class("NAdam", _optim.Nadam)
DeltaBarDelta = _fastopt_class(_optim.DeltaBarDelta)
ProximalSGD = _fastopt_class(_optim.ProximalSGD)
ProximalAdagrad = _fastopt_class(_optim.ProximalAdagrad)
AdagradDA = _fastopt_class(_optim.AdagradDA)
FTRL = _fastopt_class(_optim.FTRL)
RDA = _fastopt_class(_optim.RDA)
RMSProp = RMSprop   # fastopt's spellings
Nadam = NAdam
