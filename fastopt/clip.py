"""Gradient clipping: by value, by norm, by the global norm of many arrays.

Everything works in place on float32/float64, C-contiguous, writeable numpy
arrays (one array, or a list/tuple of them; None entries of a list are
skipped, as torch skips parameters without a gradient).

The norms are reduced in C with OpenMP, accumulating in double whatever the
arrays' dtype.  The result is deterministic: bitwise the same for every
n_threads and every instruction set, because the arrays are cut into blocks
of a fixed size, each block is summed in a fixed lane order, and the block
sums are added in block order (see csrc/clip.h).  The scaling runs in C too.

clip_by_norm / clip_by_global_norm follow ``torch.nn.utils.clip_grad_norm_``::

    total = ||(||g_1||, ..., ||g_k||)||     (the norm of all elements at once)
    coef  = max_norm / (total + 1e-6)
    if coef < 1: every g_i *= coef          (coef rounded to g_i's dtype)

and return the total norm as a Python float.  Non-finite norms are not an
error (torch's default, error_if_nonfinite=False): a NaN norm gives a NaN
coefficient and every gradient becomes NaN; an inf norm gives coefficient 0
(finite elements become 0, infinite ones NaN), exactly as torch does.  The
norm itself is more accurate than torch's for float32 gradients (torch sums
in float32), so results agree with torch to float32 round-off.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import check_float_arrays, check_real
from fastopt.prox import project_box

__all__ = ["clip_by_value", "clip_by_norm", "clip_by_global_norm", "global_norm"]

#: One array, or a list/tuple of arrays with None entries allowed.
Grads = Union[np.ndarray, Sequence[Optional[np.ndarray]]]
#: 1, 2, inf (float or the string "inf").
NormType = Union[float, str]

_KINDS = {1.0: "l1", 2.0: "l2", math.inf: "inf"}
EPS = 1e-6   # torch's clip_grad_norm_ constant


def _norm_kind(norm_type: object) -> str:
    if isinstance(norm_type, str) and norm_type == "inf":
        norm_type = math.inf
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"norm_type must be 1, 2 or inf, got {norm_type!r}")
    kind = _KINDS.get(float(norm_type))
    if kind is None:
        raise ValueError(f"norm_type must be 1, 2 or inf, got {norm_type!r}")
    return kind


def _by_dtype(arrays: Sequence[npt.NDArray[Any]]) -> list[list[npt.NDArray[Any]]]:
    """The arrays grouped by dtype (float32 first), flattened to 1-D views."""
    groups: dict[int, list[npt.NDArray[Any]]] = {}
    for a in arrays:
        groups.setdefault(a.dtype.itemsize, []).append(a.reshape(-1))
    return [groups[k] for k in sorted(groups)]


def _reduce(groups: list[list[npt.NDArray[Any]]], kind: str, nt: int) -> float:
    """The norm over all groups from their C reductions (in double)."""
    parts = [_kernels.norm_reduce(g, kind, nt) for g in groups]
    if kind == "inf":
        return max(parts, key=lambda v: (math.isnan(v), v), default=0.0)
    total = sum(parts, 0.0)
    return math.sqrt(total) if kind == "l2" else total


def global_norm(grads: Grads, norm_type: NormType = 2.0, *,
                n_threads: Optional[int] = None) -> float:
    """The norm of all elements of `grads` taken together.

    Parameters
    ----------
    grads : numpy.ndarray or sequence of (numpy.ndarray or None)
        float32/float64 arrays (read only, any layout); None entries are
        skipped.
    norm_type : {2.0, 1.0, inf, "inf"}
        Which norm.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    float
        The norm, accumulated in double; 0.0 for no elements.

    Raises
    ------
    TypeError
        If `grads` holds something other than float arrays, or `norm_type`
        is not a number.
    ValueError
        If `norm_type` is not 1, 2 or inf.

    Examples
    --------
    >>> from fastopt.clip import global_norm
    >>> global_norm([np.array([3.0]), None, np.array([[4.0]])])
    5.0
    """
    _, arrays = check_float_arrays("grads", grads, writeable=False, allow_none=True)
    kind = _norm_kind(norm_type)
    arrays = [np.ascontiguousarray(a) for a in arrays]
    return _reduce(_by_dtype(arrays), kind, effective_n_threads(n_threads))


def clip_by_global_norm(grads: Grads, max_norm: float, norm_type: NormType = 2.0, *,
                        n_threads: Optional[int] = None) -> float:
    """Scale `grads` in place so that their global norm is at most `max_norm`.

    The rule of ``torch.nn.utils.clip_grad_norm_`` (see the module
    docstring): when the norm exceeds max_norm, every array is multiplied by
    ``max_norm / (norm + 1e-6)``.

    Parameters
    ----------
    grads : numpy.ndarray or sequence of (numpy.ndarray or None)
        float32/float64 arrays, C-contiguous and writeable; None entries are
        skipped.
    max_norm : float
        Finite, >= 0.
    norm_type : {2.0, 1.0, inf, "inf"}
        Which norm.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    float
        The global norm before clipping.

    Raises
    ------
    TypeError
        If `grads` holds something other than writeable float arrays, or a
        number is not real.
    ValueError
        If `max_norm` is negative or not finite, or `norm_type` is not 1, 2
        or inf.

    Examples
    --------
    >>> from fastopt.clip import clip_by_global_norm
    >>> g = [np.array([3.0]), np.array([4.0])]
    >>> clip_by_global_norm(g, max_norm=1.0)
    5.0
    >>> g                  # scaled by 1 / (5 + 1e-6), as torch scales
    [array([0.59999988]), array([0.79999984])]
    """
    _, arrays = check_float_arrays("grads", grads, allow_none=True)
    max_norm = check_real("max_norm", max_norm, 0.0)
    kind = _norm_kind(norm_type)
    nt = effective_n_threads(n_threads)
    groups = _by_dtype(arrays)
    total = _reduce(groups, kind, nt)
    coef = max_norm / (total + EPS)
    if not coef >= 1.0:          # also NaN, as torch's clamp keeps it
        for g in groups:
            _kernels.scale(g, coef, nt)
    return total


def clip_by_norm(grad: np.ndarray, max_norm: float, norm_type: NormType = 2.0, *,
                 n_threads: Optional[int] = None) -> float:
    """Scale one array in place so that its norm is at most `max_norm`.

    ``clip_by_global_norm`` of a single array.

    Parameters
    ----------
    grad : numpy.ndarray
        float32/float64, C-contiguous, writeable.
    max_norm : float
        Finite, >= 0.
    norm_type : {2.0, 1.0, inf, "inf"}
        Which norm.
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    float
        The norm before clipping.

    Raises
    ------
    TypeError
        If `grad` is not a numpy array (a list: use clip_by_global_norm).
    ValueError
        As clip_by_global_norm.

    Examples
    --------
    >>> from fastopt.clip import clip_by_norm
    >>> g = np.array([-2.0, 0.0])
    >>> clip_by_norm(g, 1.0, norm_type="inf"), g
    (2.0, array([-0.9999995,  0.       ]))
    """
    if not isinstance(grad, np.ndarray):
        raise TypeError(f"grad must be a numpy array, got {type(grad).__name__} "
                        "(use clip_by_global_norm for a list)")
    return clip_by_global_norm(grad, max_norm, norm_type, n_threads=n_threads)


def clip_by_value(grads: Grads, lo: float, hi: float, *,
                  n_threads: Optional[int] = None) -> Grads:
    """Clamp every element of `grads` to ``[lo, hi]`` in place (NaN stays NaN).

    Parameters
    ----------
    grads : numpy.ndarray or sequence of (numpy.ndarray or None)
        float32/float64 arrays, C-contiguous and writeable; None entries are
        skipped.
    lo : float
        Lower bound (-inf allowed, NaN not).
    hi : float
        Upper bound, ``hi >= lo`` (inf allowed, NaN not).
    n_threads : int, optional
        OpenMP threads; None uses all usable cores.  The result is the same
        for every value.

    Returns
    -------
    numpy.ndarray or sequence of (numpy.ndarray or None)
        `grads` itself.

    Raises
    ------
    TypeError
        If `grads` holds something other than writeable float arrays, or lo
        or hi is not a real number.
    ValueError
        If lo or hi is NaN or lo > hi; nothing is changed then.

    Examples
    --------
    >>> from fastopt.clip import clip_by_value
    >>> clip_by_value(np.array([-3.0, 0.5, 9.0]), -1.0, 1.0)
    array([-1. ,  0.5,  1. ])
    """
    _, arrays = check_float_arrays("grads", grads, allow_none=True)
    for name, v in (("lo", lo), ("hi", hi)):
        if isinstance(v, np.ndarray) and v.ndim:
            raise TypeError(f"{name} must be a real number, got an array")
    project_box(np.zeros(1), lo, hi)          # checks lo, hi before any write
    for a in arrays:
        project_box(a, lo, hi, out=a, n_threads=n_threads)
    return grads
