"""One place for argument and array checks.

Hyperparameters are described declaratively: each optimizer class lists its
hyperparameters as `Hyper` descriptors with the interval they must lie in, and
assignment (at construction or later, e.g. by a schedule setting `lr`) is
checked against it.  Arrays are checked here too; the Cython layer detects a
bad gradient cheaply and calls `explain_grad` to raise the precise error.
"""
from __future__ import annotations

import math
import numbers
from typing import (TYPE_CHECKING, Any, Generic, Literal, Optional, Sequence, TypeVar,
                    Union, cast, overload)

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from fastopt.sparse import SparseGrad

#: A float32 or float64 array (the dtype is checked at run time).
FloatArray = npt.NDArray[np.floating[Any]]
#: An int32 or int64 index array.
IndexArray = npt.NDArray[np.signedinteger[Any]]
#: What an optimizer binds: one array or a list/tuple of them.
Params = Union[FloatArray, Sequence[FloatArray]]

_T = TypeVar("_T", float, bool)

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


class Hyper(Generic[_T]):
    """A validated numeric hyperparameter.

    interval: (low, high, closed_low, closed_high); None for an open end.
    structural: fixed at construction (it decides which state exists).
    kind "real" holds a float, kind "bool" a bool.
    """

    name: str

    @overload
    def __init__(self: Hyper[float], low: Optional[float] = None,
                 high: Optional[float] = None, *, closed: tuple[bool, bool] = ...,
                 kind: Literal["real"] = ..., structural: bool = ...) -> None: ...

    @overload
    def __init__(self: Hyper[bool], low: None = None, high: None = None, *,
                 closed: tuple[bool, bool] = ..., kind: Literal["bool"],
                 structural: bool = ...) -> None: ...

    def __init__(self, low: Optional[float] = None, high: Optional[float] = None, *,
                 closed: tuple[bool, bool] = (True, True), kind: str = "real",
                 structural: bool = False) -> None:
        self.low, self.high, self.closed = low, high, closed
        self.kind = kind
        self.structural = structural

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: Optional[type] = None) -> Hyper[_T]: ...

    @overload
    def __get__(self, obj: object, objtype: Optional[type] = None) -> _T: ...

    def __get__(self, obj: object, objtype: Optional[type] = None) -> Union[Hyper[_T], _T]:
        if obj is None:
            return self
        return cast(_T, obj.__dict__[self.name])

    def __set__(self, obj: Any, value: _T) -> None:
        if self.structural and self.name in obj.__dict__:
            raise AttributeError(
                f"{self.name} decides which state the optimizer keeps and is "
                "fixed after construction; create a new optimizer instead")
        set_many = getattr(obj, "_set_hypers", None)
        if set_many is not None and getattr(obj, "_built", False):
            set_many(**{self.name: value})   # checks the combination too
        else:
            obj.__dict__[self.name] = self.check(value)

    def describe(self) -> str:
        if self.kind == "bool":
            return "a bool"
        lo = "-inf" if self.low is None else repr(self.low)
        hi = "inf" if self.high is None else repr(self.high)
        left = "[" if self.closed[0] and self.low is not None else "("
        right = "]" if self.closed[1] and self.high is not None else ")"
        return f"a finite real number in {left}{lo}, {hi}{right}"

    def check(self, value: object) -> _T:
        """`value` as this hyperparameter's type, or TypeError/ValueError."""
        if self.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{self.name} must be a bool, got {value!r}")
            flag: object = bool(value)
            return cast(_T, flag)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{self.name} must be {self.describe()}, got {value!r}")
        value = float(value)
        ok = math.isfinite(value)
        if ok and self.low is not None:
            ok = value >= self.low if self.closed[0] else value > self.low
        if ok and self.high is not None:
            ok = value <= self.high if self.closed[1] else value < self.high
        if not ok:
            raise ValueError(f"{self.name} must be {self.describe()}, got {value!r}")
        number: object = value
        return cast(_T, number)


def check_params(params: object) -> tuple[bool, list[FloatArray]]:
    """Normalise `params` to a list of bound arrays; returns (single, list).

    Each must be a float32/float64, C-contiguous, writeable numpy array, and no
    two may share memory (one update would be applied twice).
    """
    single = isinstance(params, np.ndarray)
    if single:
        params = [params]
    elif isinstance(params, (list, tuple)):
        params = list(params)
    else:
        raise TypeError("params must be a numpy array or a list/tuple of numpy "
                        f"arrays, got {type(params).__name__}")
    for i, p in enumerate(params):
        name = "params" if single else f"params[{i}]"
        if not isinstance(p, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(p).__name__}")
        if p.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name} must have dtype float32 or float64, got {p.dtype}")
        if not p.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (updates are made in "
                             "place; a copy would not be the caller's array)")
        if not p.flags.writeable:
            raise ValueError(f"{name} is read-only; the optimizer updates it in place")
    spans = sorted(
        (p.__array_interface__["data"][0], p.nbytes, i)
        for i, p in enumerate(params) if p.nbytes)
    for (a, na, i), (b, _, j) in zip(spans, spans[1:]):
        if b < a + na:
            i, j = sorted((i, j))
            raise ValueError(f"params[{i}] and params[{j}] share memory; each "
                             "parameter must be bound once")
    return single, cast("list[FloatArray]", params)


def _grad_name(i: int, single: bool) -> str:
    return "grads" if single else f"grads[{i}]"


def explain_grads(grads: object, params: Sequence[FloatArray], single: bool = False) -> None:
    """Raise the error for a grads container that does not match params."""
    if single:
        raise TypeError("grads must be a numpy array, a SparseGrad or None, "
                        "like params")
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be a list or tuple of {len(params)} arrays "
                        f"(one per param, None to skip), got {type(grads).__name__}")
    raise ValueError(f"grads has {len(grads)} entries; expected {len(params)}, "
                     "one per param")


def explain_grad(i: int, g: object, p: FloatArray, single: bool = False) -> None:
    """Raise the error for gradient `g` of param `p` (always raises)."""
    name = _grad_name(i, single)
    pname = "params" if single else f"params[{i}]"
    if not isinstance(g, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, a SparseGrad or None, "
                        f"got {type(g).__name__}")
    if g.dtype != p.dtype:
        raise TypeError(f"{name} has dtype {g.dtype}; expected {p.dtype} like {pname}")
    if g.shape != p.shape:
        raise ValueError(f"{name} has shape {g.shape}; expected {p.shape} like {pname}")
    if not g.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    raise ValueError(f"{name} is not usable as the gradient of {pname}")


def explain_sparse_grad(i: int, g: SparseGrad, p: FloatArray, single: bool = False) -> None:
    """Raise the error for SparseGrad `g` of param `p` (always raises).  Its
    arrays are looked at again: they can be reshaped or retyped in place
    after the SparseGrad was made."""
    name = _grad_name(i, single)
    pname = "params" if single else f"params[{i}]"
    if p.ndim < 1:
        raise ValueError(f"{name} is a SparseGrad but {pname} is 0-d and has no rows")
    indices, values = g.indices, g.values
    check_sparse_arrays(indices, values, f"{name}.indices", f"{name}.values")
    if values.dtype != p.dtype:
        raise TypeError(f"{name}.values has dtype {values.dtype}; expected "
                        f"{p.dtype} like {pname}")
    expected = (len(indices),) + p.shape[1:]
    if values.shape != expected:
        raise ValueError(f"{name}.values has shape {values.shape}; expected "
                         f"{expected}: one row of {pname} per index")
    raise ValueError(f"{name} is not usable as the gradient of {pname}")


def check_sparse_arrays(indices: object, values: object, iname: str = "indices",
                        vname: str = "values") -> None:
    """The rules a SparseGrad's two arrays obey (see fastopt.SparseGrad)."""
    if not isinstance(indices, np.ndarray):
        raise TypeError(f"{iname} must be a 1-D int32 or int64 numpy array, "
                        f"got {type(indices).__name__}")
    if indices.dtype not in _INDEX_DTYPES or not indices.dtype.isnative:
        # numpy's own answer to indexing with floats is an IndexError
        raise IndexError(f"{iname} must have dtype int32 or int64, got {indices.dtype}"
                         " (convert with indices.astype(np.int64))")
    if indices.ndim != 1:
        raise ValueError(f"{iname} must be 1-D, got shape {indices.shape}")
    if not indices.flags.c_contiguous:
        raise ValueError(f"{iname} must be C-contiguous")
    if not isinstance(values, np.ndarray):
        raise TypeError(f"{vname} must be a numpy array, got {type(values).__name__}")
    if values.dtype not in FLOAT_DTYPES or not values.dtype.isnative:
        raise TypeError(f"{vname} must have dtype float32 or float64, got {values.dtype}")
    if values.ndim < 1 or values.shape[0] != indices.shape[0]:
        raise ValueError(f"{vname} must have one row per index: shape "
                         f"({indices.shape[0]}, ...), got {values.shape}")
    if not values.flags.c_contiguous:
        raise ValueError(f"{vname} must be C-contiguous")


def check_like(name: str, a: object, like: npt.NDArray[Any], like_name: str, *,
               writeable: bool = False, none_ok: bool = False) -> npt.NDArray[Any]:
    """`a` must be a C-contiguous numpy array with the dtype and shape of the
    array `like` (named `like_name` in messages), writeable when results are
    written into it."""
    if not isinstance(a, np.ndarray):
        what = "None or a numpy array" if none_ok else "a numpy array"
        raise TypeError(f"{name} must be {what}, got {type(a).__name__}")
    if a.dtype != like.dtype:
        raise TypeError(f"{name} has dtype {a.dtype}; expected {like.dtype} like {like_name}")
    if a.shape != like.shape:
        raise ValueError(f"{name} has shape {a.shape}; expected {like.shape} like {like_name}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{name} is read-only; the result is written into it")
    return a


def check_n_threads(n_threads: object) -> Optional[int]:
    """None, or a nonzero int (TypeError/ValueError otherwise)."""
    if n_threads is None:
        return None
    if isinstance(n_threads, (bool, np.bool_)) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be None or an int, got {n_threads!r}")
    if n_threads == 0:
        raise ValueError("n_threads must be None, a positive int, or negative "
                         "(-1 = all usable cores), got 0")
    return int(n_threads)


# ---- scalars, generators and array lists of the training tools ---------------

def check_real(name: str, value: object, low: Optional[float] = None,
               high: Optional[float] = None, *,
               closed: tuple[bool, bool] = (True, True)) -> float:
    """A finite real number in the interval; returned as float."""
    h: Hyper[float] = Hyper(low, high, closed=closed)
    h.name = name
    return h.check(value)


def check_int(name: str, value: object, low: Optional[int] = None) -> int:
    """An int (not a bool) >= low; returned as int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def check_rng(name: str, value: object) -> np.random.Generator:
    """None, an int seed or a numpy Generator -> a numpy Generator."""
    if isinstance(value, np.random.Generator):
        return value
    if value is None or (isinstance(value, numbers.Integral)
                         and not isinstance(value, (bool, np.bool_))):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be a seed >= 0, got {value!r}")
        return np.random.default_rng(cast(Optional[int], value))
    raise TypeError(f"{name} must be None, an int seed or a numpy Generator, "
                    f"got {type(value).__name__}")


def check_float_arrays(name: str, arrays: object, *, writeable: bool = True,
                       allow_none: bool = False) -> tuple[bool, list[FloatArray]]:
    """One float32/float64 array or a list/tuple of them -> (single, list).

    With allow_none, None entries of a list are dropped.  With writeable,
    every array must be C-contiguous and writeable (it is changed in place)
    and no two may share memory (one would be changed twice)."""
    single = isinstance(arrays, np.ndarray)
    if not single and not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{name} must be a numpy array or a list/tuple of numpy "
                        f"arrays, got {type(arrays).__name__}")
    items = [arrays] if single else list(cast(Sequence[Any], arrays))
    out = []
    for i, a in enumerate(items):
        label = name if single else f"{name}[{i}]"
        if a is None and allow_none and not single:
            continue
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{label} must be a numpy array, got {type(a).__name__}")
        if a.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{label} must have dtype float32 or float64, got {a.dtype}")
        if writeable and not a.flags.c_contiguous:
            raise ValueError(f"{label} must be C-contiguous (it is changed in place)")
        if writeable and not a.flags.writeable:
            raise ValueError(f"{label} is read-only; it is changed in place")
        out.append((a, label))
    if writeable:
        for k, (a, la) in enumerate(out):
            for b, lb in out[k + 1:]:
                if a.nbytes and b.nbytes and np.shares_memory(a, b):
                    raise ValueError(f"{la} and {lb} share memory; each array must "
                                     "appear once")
    return single, [a for a, _ in out]


# ---- compressed sparse matrices ------------------------------------------------


def _structure_array(X: object, attr: str, name: str) -> npt.NDArray[Any]:
    a = getattr(X, attr, None)
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}.{attr} must be a numpy array, got {type(a).__name__}")
    if a.ndim != 1:
        raise ValueError(f"{name}.{attr} must be 1-D, got shape {a.shape}")
    if attr != "data" and a.dtype not in _INDEX_DTYPES:
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name}.{attr} must hold integers, got dtype {a.dtype}")
        a = a.astype(np.int64)
    return np.ascontiguousarray(a)


def check_compressed(X: Any, name: str = "X") -> tuple[npt.NDArray[Any], npt.NDArray[Any],
                                                      npt.NDArray[Any]]:
    """(indptr, indices, data) of a scipy CSR or CSC matrix, checked so that
    C code may read them: scipy's constructors do not check the structure,
    and its attributes can be reassigned after construction.

    indptr has one entry per row (CSR) or column (CSC) plus one, starts at 0,
    never decreases and ends within both indices and data; every index lies
    in range.  One O(nnz) pass in C.  The arrays returned are 1-D and
    C-contiguous, indices int32 or int64 -- the caller's own arrays when they
    already are so (never modified), converted copies otherwise.  Raises
    ValueError/TypeError naming the attribute, or IndexError naming the
    position and value of an index out of range.
    """
    from fastopt import _kernels  # _kernels imports this module

    fmt = getattr(X, "format", None)
    if fmt not in ("csr", "csc"):
        raise TypeError(f"{name} must be a scipy CSR or CSC matrix, got {type(X).__name__}")
    shape = tuple(X.shape)
    n_major, n_minor = shape if fmt == "csr" else shape[::-1]
    minor = "columns" if fmt == "csr" else "rows"
    indptr = _structure_array(X, "indptr", name)
    indices = _structure_array(X, "indices", name)
    data = _structure_array(X, "data", name)
    if len(indptr) != n_major + 1:
        raise ValueError(f"{name}.indptr has {len(indptr)} entries; a {fmt.upper()} "
                         f"matrix of shape {shape} needs {n_major + 1}")
    stored = min(len(indices), len(data))
    rc, pos = _kernels.check_compressed(indptr, indices[:stored], n_minor)
    if rc == 0:
        return indptr, indices, data
    if rc == 1:  # FO_BAD_INDEX
        raise IndexError(f"{name}.indices[{pos}] = {indices[pos]} is out of range "
                         f"for {n_minor} {minor}")
    v = int(indptr[pos])
    if pos == 0:
        raise ValueError(f"{name}.indptr[0] = {v}; it must be 0")
    if v < indptr[pos - 1]:
        raise ValueError(f"{name}.indptr decreases at position {pos} "
                         f"({v} < {int(indptr[pos - 1])})")
    raise ValueError(f"{name}.indptr[{pos}] = {v} exceeds the {len(indices)} stored "
                     f"indices or the {len(data)} stored values")
