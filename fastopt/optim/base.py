"""The Optimizer base class: binding, stepping, state, checkpoints.

A subclass declares its hyperparameters as `Hyper` descriptors, names its
state arrays (`_slots`, at most three, in the order its C rule expects them),
and says which kernel of fastopt._kernels runs it with which arguments
(`_kernel`, `_kernel_args`).  Everything else -- validation, the one-pass
multi-array step, state_dict round trips -- lives here once.
"""
import numbers
import threading

import numpy as np

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import Hyper, check_n_threads, check_params


class Optimizer:
    """Base class of fastopt's first-order optimizers.

    params: a numpy array or a sequence of them (float32/float64, C-contiguous,
    writeable); they are updated in place by `step`.
    n_threads: None = all usable cores; results are identical for every value.
    """

    _kernel = None        # function of fastopt._kernels running this rule
    _aux_name = None      # name of a per-parameter scalar state (NAdam)
    _aux_init = 1.0

    _built = False
    _MAX_STEP = 2**63 - 2   # a step count that can still advance in int64

    def __init__(self, params, n_threads=None):
        self._check_hypers(self.hyperparameters())
        self._lock = threading.Lock()
        self._single, self._params = check_params(params)
        self.n_threads = n_threads
        self._t = 0
        n = len(self._params)
        self._steps = np.zeros(n, dtype=np.int64)
        self._aux = np.full(n, self._aux_init, dtype=np.float64)
        slots = self._slots()
        self._state = [
            {name: self._init_state(name, p) for name in slots if name}
            for p in self._params]
        self._bind()
        self._built = True

    def _bind(self):
        """(Re)build the C table of params and state slots."""
        slots = self._slots()
        self._table = _kernels.ParamTable(
            self._params,
            [[st[name] if name else None for name in slots] for st in self._state],
            self._single, slots)

    def _rebind_param(self, i, array):
        """Bind param i to `array` (same shape and dtype, e.g. the same
        tensor's data after it moved), keeping its state."""
        old = self._params[i]
        if array.shape != old.shape or array.dtype != old.dtype:
            raise ValueError(f"params[{i}] is now {array.dtype}{list(array.shape)}; "
                             f"its state was made for {old.dtype}{list(old.shape)}")
        params = list(self._params)
        params[i] = array
        check_params(params)
        with self._lock:
            self._params = params
            self._bind()

    # -- what a subclass provides -------------------------------------------
    def _slots(self):
        """Names of the state arrays, in kernel slot order (None = unused)."""
        return ()

    def _init_state(self, name, p):
        return np.zeros_like(p)

    def _kernel_args(self):
        raise NotImplementedError

    def _check_hypers(self, hyper):
        """Raise ValueError if the hyperparameters in dict `hyper` do not go
        together (each one alone has passed its own check)."""

    def _expand_hyper(self, name, value):
        """{hyperparameter: value} that assigning `value` to `name` sets
        (a pair like Adam's betas sets two)."""
        return {name: value}

    def _set_hypers(self, **values):
        """Assign several hyperparameters at once: all are checked, alone and
        together, before any changes (so `opt.betas = (0.5, 1.5)` changes
        neither beta)."""
        expanded = {}
        for key, value in values.items():
            expanded.update(self._expand_hyper(key, value))
        checked = {}
        for name, value in expanded.items():
            desc = getattr(type(self), name)
            if desc.structural:
                raise AttributeError(
                    f"{name} decides which state the optimizer keeps and is fixed "
                    "after construction; create a new optimizer instead")
            checked[name] = desc.check(value)
        self._check_hypers({**self.hyperparameters(), **checked})
        with self._lock:   # a step in another thread sees all or none
            self.__dict__.update(checked)

    # -- public API ----------------------------------------------------------
    @property
    def params(self):
        return self._params[0] if self._single else list(self._params)

    @property
    def t(self):
        """The number of step() calls taken (settable to an int >= 0)."""
        return self._t

    @t.setter
    def t(self, value):
        value = _check_count("t", value, 2**63 - 1)
        with self._lock:
            self._t = value

    @property
    def n_threads(self):
        return self._n_threads

    @n_threads.setter
    def n_threads(self, value):
        self._n_threads = check_n_threads(value)
        self._n_threads_eff = effective_n_threads(self._n_threads)

    def step(self, grads):
        """Apply one update with `grads` (same structure as params; an entry
        may be None to skip that param).  Everything is checked before
        anything is written: on error, params and state are unchanged."""
        if self._single:
            grads = [grads]
        # One step at a time: the table's spans and scratch arrays, the step
        # counts and the state are shared by every caller of this optimizer.
        with self._lock:
            type(self)._kernel(self._table, grads, self._steps, self._aux,
                               n_threads=self._n_threads_eff, **self._kernel_args())
            self._t += 1

    @property
    def state(self):
        """One dict per param: its state arrays (live, not copies) and 'step',
        the number of updates that param has received."""
        out = []
        for i, st in enumerate(self._state):
            d = dict(st)
            d["step"] = int(self._steps[i])
            if self._aux_name:
                d[self._aux_name] = float(self._aux[i])
            out.append(d)
        return out

    @classmethod
    def _hyper_names(cls):
        names = []
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, Hyper) and name not in names:
                    names.append(name)
        return names

    def hyperparameters(self):
        """The hyperparameters as a dict of Python scalars."""
        return {name: getattr(self, name) for name in self._hyper_names()}

    def state_dict(self):
        """A checkpoint of plain numpy arrays and Python scalars (copies)."""
        with self._lock:   # not torn by a step in another thread
            return {
                "optimizer": type(self).__name__,
                "t": int(self._t),
                "hyperparameters": self.hyperparameters(),
                "state": [{k: (v.copy() if isinstance(v, np.ndarray) else v)
                           for k, v in st.items()} for st in self.state],
            }

    def load_state_dict(self, state_dict):
        """Restore a checkpoint made by `state_dict` of the same optimizer
        class over params of the same shapes and dtypes.  Checked in full
        before anything is changed; arrays are copied into the bound state."""
        hyper, arrays, steps, aux, t = self._check_state_dict(state_dict)
        with self._lock:
            self.__dict__.update(hyper)
            for mine, theirs in zip(self._state, arrays):
                for name, arr in mine.items():
                    np.copyto(arr, theirs[name])
            self._steps[:] = steps
            if self._aux_name:
                self._aux[:] = aux
            self._t = t

    def _check_state_dict(self, state_dict):
        """Everything load_state_dict applies, checked: (settable
        hyperparameters, per-param dicts of arrays, steps, aux, t)."""
        if not isinstance(state_dict, dict):
            raise TypeError("state_dict must be a dict made by state_dict()")
        missing = {"optimizer", "t", "hyperparameters", "state"} - set(state_dict)
        if missing:
            raise ValueError(f"state_dict lacks {sorted(missing)}")
        if state_dict["optimizer"] != type(self).__name__:
            raise ValueError(f"state_dict is of a {state_dict['optimizer']!r}, "
                             f"not a {type(self).__name__}")
        hyper = state_dict["hyperparameters"]
        if not isinstance(hyper, dict):
            raise TypeError("state_dict['hyperparameters'] must be a dict, got "
                            f"{type(hyper).__name__}")
        names = self._hyper_names()
        if set(hyper) != set(names):
            raise ValueError(f"state_dict hyperparameters {sorted(map(str, hyper))} "
                             f"differ from {sorted(names)}")
        checked = {}
        for name in names:
            desc = getattr(type(self), name)
            try:
                value = desc.check(hyper[name])
            except (TypeError, ValueError) as e:
                raise type(e)(f"state_dict['hyperparameters']: {e}") from None
            if desc.structural and value != getattr(self, name):
                raise ValueError(f"state_dict was saved with {name}={value!r}; "
                                 f"this optimizer has {name}={getattr(self, name)!r}")
            checked[name] = value
        self._check_hypers(checked)
        states = state_dict["state"]
        if not isinstance(states, (list, tuple)):
            raise TypeError("state_dict['state'] must be a list of dicts, got "
                            f"{type(states).__name__}")
        if len(states) != len(self._state):
            raise ValueError(f"state_dict has state for {len(states)} params; "
                             f"this optimizer has {len(self._state)}")
        arrays, steps, aux = [], [], []
        for i, (mine, theirs) in enumerate(zip(self._state, states)):
            where = f"state_dict['state'][{i}]"
            if not isinstance(theirs, dict):
                raise TypeError(f"{where} must be a dict, got {type(theirs).__name__}")
            expected = set(mine) | {"step"} | ({self._aux_name} if self._aux_name else set())
            if set(theirs) != expected:
                raise ValueError(f"{where} has keys {sorted(map(str, theirs))}; "
                                 f"expected {sorted(expected)}")
            got = {}
            for name, arr in mine.items():
                src = theirs[name]
                if not isinstance(src, np.ndarray) or src.shape != arr.shape \
                        or src.dtype != arr.dtype:
                    what = (f"{src.dtype}{list(src.shape)}" if isinstance(src, np.ndarray)
                            else type(src).__name__)
                    raise ValueError(f"{where}[{name!r}] is {what}; expected a numpy "
                                     f"array {arr.dtype}{list(arr.shape)}")
                got[name] = src
            arrays.append(got)
            steps.append(_check_count(f"{where}['step']", theirs["step"], self._MAX_STEP))
            if self._aux_name:
                value = theirs[self._aux_name]
                if isinstance(value, np.ndarray) and value.ndim == 0:
                    value = value[()]
                if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                        or not np.isfinite(value):
                    raise ValueError(f"{where}[{self._aux_name!r}] must be a finite real "
                                     f"number, got {value!r}")
                aux.append(float(value))
        t = _check_count("state_dict['t']", state_dict["t"], 2**63 - 1)
        return ({k: v for k, v in checked.items()
                 if not getattr(type(self), k).structural}, arrays, steps, aux, t)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


def _check_count(name, value, high):
    """A step count: an int in [0, high] (int64 arithmetic must advance it)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or not 0 <= value <= high:
        raise ValueError(f"{name} must be an int in [0, {high}], got {value!r}")
    return int(value)
