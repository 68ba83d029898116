"""Proximal operators and projections, in C with OpenMP.

The proximal operator of a convex function f maps x to::

    prox_f(x) = argmin_z  f(z) + 1/2 ||z - x||_2^2,

and for the indicator of a convex set it is the Euclidean projection onto the
set.  Every function here computes one of them for a float32/float64 numpy
array of any shape, element by element (prox_group_l2: group by group), in the
array's dtype, with scalar parameters rounded to that dtype once.

Arrays.  N-d arrays are processed as their flat C-order sequence.  With
``out=None`` a new array is returned (a non-contiguous ``x`` is first copied
to a contiguous one); with ``out`` given, the result is written there and
``out`` is returned: it must have x's shape and dtype, be C-contiguous and
writeable, and may be ``x`` itself (in place) but must not overlap x partially.
A read-only ``x`` is fine.  ``x`` is never modified unless it is ``out``.

NaN in x propagates to the result (for prox_group_l2: to its whole group).
``n_threads=None`` uses all usable cores; results are bitwise identical for
every n_threads.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Union

import numpy as np
import numpy.typing as npt

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import FLOAT_DTYPES, check_like

__all__ = ["soft_threshold", "prox_l1", "prox_l2", "prox_elastic_net",
           "prox_group_l2", "project_box", "project_nonneg"]


#: an array of x's dtype (float32 or float64)
_Arr = npt.NDArray[Any]


# ---- validation ---------------------------------------------------------------

def _check_x(x: object, out: Optional[np.ndarray]) -> tuple[_Arr, _Arr]:
    """x as an array (contiguous copy only when out is None), and the output."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"x must have dtype float32 or float64, got {x.dtype}")
    if out is None:
        x = np.ascontiguousarray(x)
        return x, np.empty_like(x)
    if not x.flags.c_contiguous:
        raise ValueError("x must be C-contiguous when out is given (only "
                         "out=None copies a non-contiguous x)")
    check_like("out", out, x, "x", writeable=True, none_ok=True)
    _check_overlap("x", x, out)
    return x, out


def _same_memory(a: _Arr, b: _Arr) -> bool:
    return bool(a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.nbytes == b.nbytes)


def _check_overlap(name: str, a: _Arr, out: _Arr) -> None:
    """a may be out itself (element i is read before it is written) but must
    not share memory with it otherwise."""
    if a.nbytes and np.shares_memory(a, out) and not (
            a.dtype == out.dtype and _same_memory(a, out)):
        raise ValueError(f"out overlaps {name} partially; pass out={name} for "
                         "an in-place update, or a separate array")


def _check_scalar(name: str, value: object, low: Optional[float] = 0.0,
                  allow_inf: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    bad = math.isnan(value) or (math.isinf(value) and not allow_inf)
    if bad or (low is not None and value < low):
        what = "a finite real number >= 0" if low is not None else (
            "a real number (inf allowed, not NaN)" if allow_inf else "a finite real number")
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return value


def _param(name: str, value: object, x: _Arr, out: _Arr, low: Optional[float] = 0.0,
           allow_inf: bool = False) -> tuple[float, Optional[_Arr]]:
    """A scalar (float, None) or a per-element array (0.0, flat array).

    An array must have x's shape; it is converted to x's dtype (a copy only
    when it has another dtype or is not contiguous)."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        if value.shape != x.shape:
            raise ValueError(f"{name} has shape {value.shape}; expected a scalar "
                             f"or an array of x's shape {x.shape}")
        if value.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real array, got dtype {value.dtype}")
        arr = np.ascontiguousarray(value, dtype=x.dtype)
        bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
        if low is not None:
            bad |= arr < low
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            rule = ("finite and >= 0" if low is not None else
                    "not NaN" if allow_inf else "finite")
            raise ValueError(f"{name} must be {rule} everywhere; {name}.flat[{i}] "
                             f"is {arr.ravel()[i]!r}")
        _check_overlap(name, arr, out)
        return 0.0, arr.reshape(-1)
    if isinstance(value, np.ndarray):
        value = value[()]
    return _check_scalar(name, value, low, allow_inf), None


def _flat(a: _Arr) -> _Arr:
    return a.reshape(-1)


#: A scalar or a per-element array of x's shape.
Scalar = Union[float, np.ndarray]


# ---- operators ----------------------------------------------------------------

def _soft(x: np.ndarray, t: Scalar, out: Optional[np.ndarray], n_threads: Optional[int],
          name: str) -> np.ndarray:
    """soft_threshold / prox_l1, with `name` for the threshold in messages."""
    x, out = _check_x(x, out)
    t, t_arr = _param(name, t, x, out)
    nt = effective_n_threads(n_threads)
    xf = _flat(x)
    _kernels.prox_soft_threshold(xf, _flat(out), t,
                                 t_arr if t_arr is not None else xf,
                                 t_arr is not None, nt)
    return out


def soft_threshold(x: np.ndarray, t: Scalar, out: Optional[np.ndarray] = None, *,
                   n_threads: Optional[int] = None) -> np.ndarray:
    """Soft thresholding, the prox of ``t * ||z||_1``.

    ::

        z_i = sign(x_i) * max(|x_i| - t_i, 0)

    Elements with ``|x_i| <= t_i`` become +0.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape; never modified unless it is `out`.
    t : float or numpy.ndarray
        A finite scalar >= 0, or an array of x's shape of per-coordinate
        thresholds (finite, >= 0; e.g. ``lr * l1 / sqrt(accumulator)`` in a
        proximal Adagrad step).
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype, C-contiguous and
        writeable; may be `x` itself (in place).  None: a new array.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of x's shape and dtype.

    Raises
    ------
    TypeError
        If x is not a float32/float64 array or a parameter is not a real number.
    ValueError
        If a parameter is out of range or `out` does not fit (shape, dtype,
        contiguity, partial overlap with x).

    Examples
    --------
    >>> from fastopt.prox import soft_threshold
    >>> soft_threshold(np.array([-2.0, -0.5, 0.0, 1.5]), 1.0)
    array([-1. ,  0. ,  0. ,  0.5])
    """
    return _soft(x, t, out, n_threads, "t")


def prox_l1(x: np.ndarray, lam: Scalar, out: Optional[np.ndarray] = None, *,
            n_threads: Optional[int] = None) -> np.ndarray:
    """The prox of ``lam * ||z||_1``: ``soft_threshold(x, lam)``.

    ``z_i = sign(x_i) * max(|x_i| - lam, 0)``.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape; never modified unless it is `out`.
    lam : float or numpy.ndarray
        A finite scalar >= 0 or an array of x's shape (finite, >= 0).
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype, C-contiguous and
        writeable; may be `x` itself (in place).  None: a new array.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of x's shape and dtype.

    Raises
    ------
    TypeError
        If x is not a float32/float64 array or a parameter is not a real number.
    ValueError
        If a parameter is out of range or `out` does not fit (shape, dtype,
        contiguity, partial overlap with x).

    Examples
    --------
    >>> from fastopt.prox import prox_l1
    >>> x = np.array([3.0, -0.2, -4.0])
    >>> prox_l1(x, 0.5, out=x)           # in place
    array([ 2.5,  0. , -3.5])
    """
    return _soft(x, lam, out, n_threads, "lam")


def prox_l2(x: np.ndarray, lam: float, out: Optional[np.ndarray] = None, *,
            n_threads: Optional[int] = None) -> np.ndarray:
    """The prox of ``lam/2 * ||z||_2^2`` (ridge shrinkage): ``z = x / (1 + lam)``.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape; never modified unless it is `out`.
    lam : float
        Finite, >= 0.
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype, C-contiguous and
        writeable; may be `x` itself (in place).  None: a new array.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of x's shape and dtype.

    Raises
    ------
    TypeError
        If x is not a float32/float64 array or a parameter is not a real number.
    ValueError
        If a parameter is out of range or `out` does not fit (shape, dtype,
        contiguity, partial overlap with x).

    Examples
    --------
    >>> from fastopt.prox import prox_l2
    >>> prox_l2(np.array([2.0, -4.0]), 1.0)
    array([ 1., -2.])
    """
    x, out = _check_x(x, out)
    lam = _check_scalar("lam", lam)
    nt = effective_n_threads(n_threads)
    _kernels.prox_l2(_flat(x), _flat(out), lam, nt)
    return out


def prox_elastic_net(x: np.ndarray, l1: float, l2: float,
                     out: Optional[np.ndarray] = None, *,
                     n_threads: Optional[int] = None) -> np.ndarray:
    """The prox of ``l1 * ||z||_1 + l2/2 * ||z||_2^2``.

    ::

        z_i = sign(x_i) * max(|x_i| - l1, 0) / (1 + l2)

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape; never modified unless it is `out`.
    l1 : float
        The L1 weight, finite, >= 0.
    l2 : float
        The L2 weight, finite, >= 0.
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype, C-contiguous and
        writeable; may be `x` itself (in place).  None: a new array.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of x's shape and dtype.

    Raises
    ------
    TypeError
        If x is not a float32/float64 array or a parameter is not a real number.
    ValueError
        If a parameter is out of range or `out` does not fit (shape, dtype,
        contiguity, partial overlap with x).

    Examples
    --------
    >>> from fastopt.prox import prox_elastic_net
    >>> prox_elastic_net(np.array([3.0, -0.5]), l1=1.0, l2=1.0)
    array([1., 0.])
    """
    x, out = _check_x(x, out)
    l1 = _check_scalar("l1", l1)
    l2 = _check_scalar("l2", l2)
    nt = effective_n_threads(n_threads)
    _kernels.prox_elastic_net(_flat(x), _flat(out), l1, l2, nt)
    return out


def prox_group_l2(x: np.ndarray, lam: float, groups: Union[str, np.ndarray] = "rows",
                  out: Optional[np.ndarray] = None, *,
                  n_threads: Optional[int] = None) -> np.ndarray:
    """Block soft thresholding, the prox of ``lam * sum_g ||z_g||_2``.

    ::

        z_g = x_g * max(0, 1 - lam / ||x_g||_2)

    for every group g; a group with ``||x_g|| <= lam`` (a zero group
    included) becomes 0, and a NaN anywhere in a group makes the whole group
    NaN.  The norms are summed in double in a fixed order, so the result does
    not depend on n_threads.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape; never modified unless it is `out`.
    lam : float
        Finite, >= 0.
    groups : {"rows"} or numpy.ndarray
        ``"rows"``: x is 2-D ``(n_groups, group_size)`` and each row is a
        group.  Or an integer array of x's shape holding a group label >= 0
        for every element, in any order.
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype, C-contiguous and
        writeable; may be `x` itself (in place).  None: a new array.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of x's shape and dtype.

    Raises
    ------
    TypeError
        If x is not a float32/float64 array, or `groups` is neither "rows" nor
        an integer array.
    ValueError
        If lam is out of range, x is not 2-D with ``groups="rows"``, `groups`
        has the wrong shape or a negative label, or `out` does not fit.

    Examples
    --------
    >>> from fastopt.prox import prox_group_l2
    >>> prox_group_l2(np.array([[3.0, 4.0], [0.3, 0.4]]), 1.0)   # norms 5 and 0.5
    array([[2.4, 3.2],
           [0. , 0. ]])
    """
    if isinstance(groups, str):
        if groups != "rows":
            raise ValueError(f"groups must be 'rows' or an integer label array of "
                             f"x's shape, got {groups!r}")
        if isinstance(x, np.ndarray) and x.ndim != 2:
            raise ValueError(f"x must be 2-D (n_groups, group_size) with "
                             f"groups='rows', got shape {x.shape}")
        x, out = _check_x(x, out)
        lam = _check_scalar("lam", lam)
        nt = effective_n_threads(n_threads)
        _kernels.prox_group_l2_rows(_flat(x), _flat(out), x.shape[0], x.shape[1],
                                    lam, nt)
        return out
    if not isinstance(groups, np.ndarray):
        raise TypeError("groups must be 'rows' or a numpy integer array of labels, "
                        f"got {type(groups).__name__}")
    x, out = _check_x(x, out)
    if groups.dtype.kind not in "iu":
        raise TypeError(f"groups must have an integer dtype, got {groups.dtype}")
    if groups.shape != x.shape:
        raise ValueError(f"groups has shape {groups.shape}; expected x's shape {x.shape}")
    lam = _check_scalar("lam", lam)
    if groups.size and np.shares_memory(groups, out):
        raise ValueError("out shares memory with groups")
    hi = -1
    if groups.size:
        lo, hi = int(groups.min()), int(groups.max())
        if lo < 0:
            raise ValueError(f"groups must hold labels >= 0, got {lo}")
    labels = np.ascontiguousarray(groups, dtype=np.int64).reshape(-1)
    if hi >= labels.size:
        # sparse labels (up to 2**64 - 1): number the groups 0..k-1 in label
        # order, so the scratch holds one double per group, not per label
        # value; the same groups, summed in the same order
        labels = np.unique(labels, return_inverse=True)[1].astype(np.int64).reshape(-1)
        hi = int(labels.max())
    work = np.empty(hi + 1, dtype=np.float64)
    nt = effective_n_threads(n_threads)
    _kernels.prox_group_l2_labels(_flat(x), _flat(out), labels, work, lam, nt)
    return out


def project_box(x: np.ndarray, lo: Scalar, hi: Scalar, out: Optional[np.ndarray] = None,
                *, n_threads: Optional[int] = None) -> np.ndarray:
    """Projection onto the box ``[lo, hi]``: ``z_i = min(max(x_i, lo_i), hi_i)``.

    NaN in x stays NaN.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape; never modified unless it is `out`.
    lo : float or numpy.ndarray
        Lower bounds: a scalar or an array of x's shape (-inf allowed, NaN
        not).
    hi : float or numpy.ndarray
        Upper bounds, likewise; ``lo <= hi`` everywhere.
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype, C-contiguous and
        writeable; may be `x` itself (in place).  None: a new array.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of x's shape and dtype.

    Raises
    ------
    TypeError
        If x is not a float32/float64 array or a parameter is not a real number.
    ValueError
        If a parameter is out of range or `out` does not fit (shape, dtype,
        contiguity, partial overlap with x).

    Examples
    --------
    >>> from fastopt.prox import project_box
    >>> project_box(np.array([-2.0, 0.5, 7.0]), 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    x, out = _check_x(x, out)
    lo_s, lo_arr = _param("lo", lo, x, out, low=None, allow_inf=True)
    hi_s, hi_arr = _param("hi", hi, x, out, low=None, allow_inf=True)
    lo_v = lo_arr if lo_arr is not None else x.dtype.type(lo_s)
    hi_v = hi_arr if hi_arr is not None else x.dtype.type(hi_s)
    if lo_arr is None and hi_arr is None:
        if not lo_v <= hi_v:
            raise ValueError(f"lo must be <= hi, got lo={lo_s!r} > hi={hi_s!r}")
    elif x.size:
        bad = np.asarray(lo_v > hi_v)
        if bad.any():
            i = int(np.flatnonzero(np.broadcast_to(bad, (x.size,)))[0])
            raise ValueError(f"lo must be <= hi everywhere; at flat index {i} "
                             f"lo={np.broadcast_to(lo_v, (x.size,))[i]!r} > "
                             f"hi={np.broadcast_to(hi_v, (x.size,))[i]!r}")
    nt = effective_n_threads(n_threads)
    xf = _flat(x)
    _kernels.prox_project_box(xf, _flat(out),
                              lo_s, lo_arr if lo_arr is not None else xf, lo_arr is not None,
                              hi_s, hi_arr if hi_arr is not None else xf, hi_arr is not None,
                              nt)
    return out


def project_nonneg(x: np.ndarray, out: Optional[np.ndarray] = None, *,
                   n_threads: Optional[int] = None) -> np.ndarray:
    """Projection onto the non-negative orthant: ``z_i = max(x_i, 0)``, NaN kept.

    Parameters
    ----------
    x : numpy.ndarray
        float32 or float64, any shape; never modified unless it is `out`.
    out : numpy.ndarray, optional
        Where to write the result: x's shape and dtype, C-contiguous and
        writeable; may be `x` itself (in place).  None: a new array.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray
        `out`, or a new array of x's shape and dtype.

    Raises
    ------
    TypeError
        If x is not a float32/float64 array or a parameter is not a real number.
    ValueError
        If a parameter is out of range or `out` does not fit (shape, dtype,
        contiguity, partial overlap with x).

    Examples
    --------
    >>> from fastopt.prox import project_nonneg
    >>> project_nonneg(np.array([-1.0, 2.0, np.nan]))
    array([ 0.,  2., nan])
    """
    x, out = _check_x(x, out)
    nt = effective_n_threads(n_threads)
    _kernels.prox_project_nonneg(_flat(x), _flat(out), nt)
    return out
