"""The Optimizer base class: binding, stepping, state, checkpoints.

A subclass declares its hyperparameters as `Hyper` descriptors, names its
state arrays (`_slots`, at most three, in the order its C rule expects them),
and says which kernel of fastopt._kernels runs it with which arguments
(`_kernel`, `_kernel_args`).  Everything else -- validation, the one-pass
multi-array step, state_dict round trips -- lives here once.
"""
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

    def __init__(self, params, n_threads=None):
        self._single, self._params = check_params(params)
        self.n_threads = n_threads
        self.t = 0
        n = len(self._params)
        self._steps = np.zeros(n, dtype=np.int64)
        self._aux = np.full(n, self._aux_init, dtype=np.float64)
        slots = self._slots()
        self._state = [
            {name: self._init_state(name, p) for name in slots if name}
            for p in self._params]
        self._bind()

    def _bind(self):
        """(Re)build the C table of params and state slots."""
        slots = self._slots()
        self._table = _kernels.ParamTable(
            self._params,
            [[st[name] if name else None for name in slots] for st in self._state],
            self._single)

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

    # -- public API ----------------------------------------------------------
    @property
    def params(self):
        return self._params[0] if self._single else list(self._params)

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
        type(self)._kernel(self._table, grads, self._steps, self._aux,
                           n_threads=self._n_threads_eff, **self._kernel_args())
        self.t += 1

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
        return {
            "optimizer": type(self).__name__,
            "t": int(self.t),
            "hyperparameters": self.hyperparameters(),
            "state": [{k: (v.copy() if isinstance(v, np.ndarray) else v)
                       for k, v in st.items()} for st in self.state],
        }

    def load_state_dict(self, state_dict):
        """Restore a checkpoint made by `state_dict` of the same optimizer
        class over params of the same shapes and dtypes.  Checked in full
        before anything is changed; arrays are copied into the bound state."""
        if not isinstance(state_dict, dict):
            raise TypeError("state_dict must be a dict made by state_dict()")
        missing = {"optimizer", "t", "hyperparameters", "state"} - set(state_dict)
        if missing:
            raise ValueError(f"state_dict lacks {sorted(missing)}")
        if state_dict["optimizer"] != type(self).__name__:
            raise ValueError(f"state_dict is of a {state_dict['optimizer']}, "
                             f"not a {type(self).__name__}")
        hyper = dict(state_dict["hyperparameters"])
        names = self._hyper_names()
        if set(hyper) != set(names):
            raise ValueError(f"state_dict hyperparameters {sorted(hyper)} differ "
                             f"from {sorted(names)}")
        for name in names:
            desc = getattr(type(self), name)
            value = desc.check(hyper[name])
            if desc.structural and value != getattr(self, name):
                raise ValueError(f"state_dict was saved with {name}={value!r}; "
                                 f"this optimizer has {name}={getattr(self, name)!r}")
            hyper[name] = value
        states = state_dict["state"]
        if len(states) != len(self._state):
            raise ValueError(f"state_dict has state for {len(states)} params; "
                             f"this optimizer has {len(self._state)}")
        for i, (mine, theirs) in enumerate(zip(self._state, states)):
            expected = set(mine) | {"step"} | ({self._aux_name} if self._aux_name else set())
            if set(theirs) != expected:
                raise ValueError(f"state[{i}] has keys {sorted(theirs)}; "
                                 f"expected {sorted(expected)}")
            for name, arr in mine.items():
                src = np.asarray(theirs[name])
                if src.shape != arr.shape or src.dtype != arr.dtype:
                    raise ValueError(
                        f"state[{i}][{name!r}] is {src.dtype}{list(src.shape)}; "
                        f"expected {arr.dtype}{list(arr.shape)}")
            step = theirs["step"]
            if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
                raise ValueError(f"state[{i}]['step'] must be an int >= 0, got {step!r}")
        t = state_dict["t"]
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"state_dict['t'] must be an int >= 0, got {t!r}")
        # all checked: apply
        for name in names:
            if not getattr(type(self), name).structural:
                self.__dict__[name] = hyper[name]
        for i, (mine, theirs) in enumerate(zip(self._state, states)):
            for name, arr in mine.items():
                np.copyto(arr, theirs[name])
            self._steps[i] = theirs["step"]
            if self._aux_name:
                self._aux[i] = float(theirs[self._aux_name])
        self.t = int(t)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"
