"""The Optimizer base class: binding, stepping, state, checkpoints.

A subclass declares its hyperparameters as `Hyper` descriptors, names its
state arrays (`_slots`, at most three, in the order its C rule expects them),
and says which kernel of fastopt._kernels runs it with which arguments
(`_kernel`, `_kernel_args`).  Everything else -- validation, the one-pass
multi-array step, state_dict round trips -- lives here once.
"""
from __future__ import annotations

import numbers
import threading
from typing import Any, ClassVar, Optional, Sequence, Union, cast

import numpy as np

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import FloatArray, Hyper, Params, check_n_threads, check_params
from fastopt.sparse import SparseGrad

#: One parameter's gradient: a dense array, a SparseGrad, or None (skip it).
Grad = Union[FloatArray, SparseGrad, None]
#: What `Optimizer.step` takes: one Grad when the optimizer was given one
#: array, else a list/tuple with one Grad per parameter.
Grads = Union[Grad, Sequence[Grad]]
#: A checkpoint made by `Optimizer.state_dict`.
StateDict = dict[str, Any]


class Optimizer:
    """Base class of fastopt's first-order optimizers.

    A subclass declares its hyperparameters, names its state arrays and
    says which C kernel runs it; construction, stepping, state and
    checkpoints are shared and behave the same for every rule.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        The arrays to optimise: float32 or float64, C-contiguous, writeable,
        no two sharing memory.  They are updated in place by `step`; each
        one's state arrays take its dtype.
    n_threads : int or None, optional
        None or -1: all usable cores (affinity and cgroup aware,
        OMP_NUM_THREADS respected); -k: all but k - 1; k > 0: k, at most the
        cores available.  Results are bitwise identical for every value.

    Raises
    ------
    TypeError
        If `params` is not an array or a list/tuple of arrays, an array is
        not float32/float64, a hyperparameter has the wrong type, or
        `n_threads` is not None or an int.
    ValueError
        If an array is not C-contiguous or is read-only, two arrays share
        memory, a hyperparameter is out of its range, or `n_threads` is 0.

    Examples
    --------
    >>> import numpy as np, fastopt
    >>> w = np.array([1.0, -2.0])
    >>> opt = fastopt.Adam(w, lr=0.1)
    >>> opt.step(2 * w)          # the gradient of sum(w ** 2)
    >>> w
    array([ 0.9, -1.9])
    >>> opt.t, sorted(opt.state[0])
    (1, ['exp_avg', 'exp_avg_sq', 'step'])
    """

    _kernel: ClassVar[Optional[_kernels.RuleKernel]] = None  # the C rule
    _aux_name: ClassVar[Optional[str]] = None  # a per-parameter scalar state (NAdam)
    _aux_init: ClassVar[float] = 1.0

    _built = False
    _MAX_STEP = 2**63 - 2   # a step count that can still advance in int64

    def __init__(self, params: Params, n_threads: Optional[int] = None) -> None:
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

    def _bind(self) -> None:
        """(Re)build the C table of params and state slots."""
        slots = self._slots()
        self._table = _kernels.ParamTable(
            self._params,
            [[st[name] if name else None for name in slots] for st in self._state],
            self._single, slots)

    def _rebind_param(self, i: int, array: FloatArray) -> None:
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
    def _slots(self) -> tuple[Optional[str], ...]:
        """Names of the state arrays, in kernel slot order (None = unused)."""
        return ()

    def _init_state(self, name: str, p: FloatArray) -> FloatArray:
        return np.zeros_like(p)

    def _kernel_args(self) -> dict[str, Any]:
        raise NotImplementedError

    def _check_hypers(self, hyper: dict[str, Any]) -> None:
        """Raise ValueError if the hyperparameters in dict `hyper` do not go
        together (each one alone has passed its own check)."""

    def _expand_hyper(self, name: str, value: Any) -> dict[str, Any]:
        """{hyperparameter: value} that assigning `value` to `name` sets
        (a pair like Adam's betas sets two)."""
        return {name: value}

    def _set_hypers(self, **values: Any) -> None:
        """Assign several hyperparameters at once: all are checked, alone and
        together, before any changes (so `opt.betas = (0.5, 1.5)` changes
        neither beta)."""
        expanded: dict[str, Any] = {}
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
    def params(self) -> Union[FloatArray, list[FloatArray]]:
        """The bound arrays: the one array, or a list in the order given."""
        return self._params[0] if self._single else list(self._params)

    @property
    def t(self) -> int:
        """The number of step() calls taken (settable to an int >= 0)."""
        return self._t

    @t.setter
    def t(self, value: int) -> None:
        value = _check_count("t", value, 2**63 - 1)
        with self._lock:
            self._t = value

    @property
    def n_threads(self) -> Optional[int]:
        """The n_threads asked for (settable; see the class parameters)."""
        return self._n_threads

    @n_threads.setter
    def n_threads(self, value: Optional[int]) -> None:
        self._n_threads = check_n_threads(value)
        self._n_threads_eff = effective_n_threads(self._n_threads)

    def step(self, grads: Grads) -> None:
        """Apply one update to every parameter that has a gradient.

        Parameters
        ----------
        grads : numpy.ndarray, SparseGrad, None or sequence of them
            Same structure as `params`: one entry when the optimizer was given
            one array, else a list/tuple with one entry per parameter.  An
            entry is a dense array (the parameter's shape and dtype,
            C-contiguous; read-only is fine), a `fastopt.SparseGrad` of some
            rows, or None to skip that parameter.

        Raises
        ------
        TypeError
            If an entry is neither an array, a SparseGrad nor None, or its
            dtype differs from the parameter's.
        ValueError
            If `grads` has the wrong length, an entry has the wrong shape or is
            not C-contiguous.
        IndexError
            If a SparseGrad index is negative or out of range.

        Notes
        -----
        Everything is checked before anything is written: on error, params
        and state are unchanged.  Steps from several threads are serialised.
        """
        entries: object = [grads] if self._single else grads
        kernel = type(self)._kernel
        if kernel is None:
            raise TypeError(f"{type(self).__name__} names no kernel; subclass a rule")
        # One step at a time: the table's spans and scratch arrays, the step
        # counts and the state are shared by every caller of this optimizer.
        with self._lock:
            kernel(self._table, entries, self._steps, self._aux,
                   n_threads=self._n_threads_eff, **self._kernel_args())
            self._t += 1

    @property
    def state(self) -> list[dict[str, Any]]:
        """One dict per param: its state arrays (live, not copies) and 'step',
        the number of updates that param has received."""
        out = []
        for i, st in enumerate(self._state):
            d: dict[str, Any] = dict(st)
            d["step"] = int(self._steps[i])
            if self._aux_name:
                d[self._aux_name] = float(self._aux[i])
            out.append(d)
        return out

    @classmethod
    def _hyper_names(cls) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, Hyper) and name not in names:
                    names.append(name)
        return names

    def hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters as a dict of Python scalars.

        Returns
        -------
        dict
            ``{name: value}`` with float and bool values, in declaration order.

        Examples
        --------
        >>> import numpy as np, fastopt
        >>> fastopt.SGD(np.zeros(2), lr=0.1, momentum=0.9).hyperparameters()["momentum"]
        0.9
        """
        return {name: getattr(self, name) for name in self._hyper_names()}

    def state_dict(self) -> StateDict:
        """A checkpoint of plain numpy arrays and Python scalars (copies).

        Returns
        -------
        dict
            ``{"optimizer": class name, "t": steps taken, "hyperparameters":
            dict, "state": one dict of state arrays and 'step' per param}``;
            picklable, and restored by `load_state_dict`.
        """
        with self._lock:   # not torn by a step in another thread
            return {
                "optimizer": type(self).__name__,
                "t": int(self._t),
                "hyperparameters": self.hyperparameters(),
                "state": [{k: (v.copy() if isinstance(v, np.ndarray) else v)
                           for k, v in st.items()} for st in self.state],
            }

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore a checkpoint made by `state_dict`.

        Parameters
        ----------
        state_dict : dict
            A checkpoint of the same optimizer class over params of the same
            shapes and dtypes.  Its arrays are copied into the bound state;
            its hyperparameters replace the current ones.

        Raises
        ------
        TypeError
            If `state_dict` or a part of it has the wrong type.
        ValueError
            If it was made by another class, for other shapes or dtypes, with
            another structural hyperparameter (e.g. amsgrad), or holds a value
            out of range.

        Notes
        -----
        Checked in full before anything is changed: on error the optimizer is
        as it was.

        Examples
        --------
        >>> import numpy as np, fastopt
        >>> w = np.ones(3)
        >>> opt = fastopt.Adam(w, lr=0.1)
        >>> opt.step(w.copy())
        >>> sd = opt.state_dict()
        >>> opt2 = fastopt.Adam(np.ones(3), lr=0.5)
        >>> opt2.load_state_dict(sd)
        >>> opt2.t, opt2.lr
        (1, 0.1)
        """
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

    def _check_state_dict(self, state_dict: object) -> tuple[
            dict[str, Any], list[dict[str, FloatArray]], list[int], list[float], int]:
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
        checked: dict[str, Any] = {}
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
        arrays: list[dict[str, FloatArray]] = []
        steps: list[int] = []
        aux: list[float] = []
        for i, (mine, theirs) in enumerate(zip(self._state, states)):
            where = f"state_dict['state'][{i}]"
            if not isinstance(theirs, dict):
                raise TypeError(f"{where} must be a dict, got {type(theirs).__name__}")
            expected = set(mine) | {"step"} | ({self._aux_name} if self._aux_name else set())
            if set(theirs) != expected:
                raise ValueError(f"{where} has keys {sorted(map(str, theirs))}; "
                                 f"expected {sorted(expected)}")
            got: dict[str, FloatArray] = {}
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
                        or not np.isfinite(cast(float, value)):
                    raise ValueError(f"{where}[{self._aux_name!r}] must be a finite real "
                                     f"number, got {value!r}")
                aux.append(float(value))
        t = _check_count("state_dict['t']", state_dict["t"], 2**63 - 1)
        return ({k: v for k, v in checked.items()
                 if not getattr(type(self), k).structural}, arrays, steps, aux, t)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


def _check_count(name: str, value: object, high: int) -> int:
    """A step count: an int in [0, high] (int64 arithmetic must advance it)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or not 0 <= cast(int, value) <= high:
        raise ValueError(f"{name} must be an int in [0, {high}], got {value!r}")
    return int(value)
