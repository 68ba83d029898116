"""Gradient clipping: by value, by norm, by the global norm of many arrays.

Everything works in place on float32/float64, C-contiguous, writeable numpy
arrays (one array, or a list/tuple of them; None entries of a list are
skipped, as torch skips parameters without a gradient).

The norms are reduced in C with OpenMP, accumulating in double whatever the
arrays' dtype.  The result is deterministic: bitwise the same for every
n_threads and every instruction set, because the arrays are cut into blocks
of a fixed size, each block is summed in a fixed lane order, and the block
sums are added in block order (see csrc/clip.h).  The scaling runs in C too.

clip_by_norm / clip_by_global_norm follow torch.nn.utils.clip_grad_norm_:

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
import math
import numbers

import numpy as np

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import check_float_arrays, check_real
from fastopt.prox import project_box

__all__ = ["clip_by_value", "clip_by_norm", "clip_by_global_norm", "global_norm"]

_KINDS = {1.0: "l1", 2.0: "l2", math.inf: "inf"}
EPS = 1e-6   # torch's clip_grad_norm_ constant


def _norm_kind(norm_type):
    if isinstance(norm_type, str) and norm_type == "inf":
        norm_type = math.inf
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"norm_type must be 1, 2 or inf, got {norm_type!r}")
    kind = _KINDS.get(float(norm_type))
    if kind is None:
        raise ValueError(f"norm_type must be 1, 2 or inf, got {norm_type!r}")
    return kind


def _by_dtype(arrays):
    """The arrays grouped by dtype (float32 first), flattened to 1-D views."""
    groups = {}
    for a in arrays:
        groups.setdefault(a.dtype.itemsize, []).append(a.reshape(-1))
    return [groups[k] for k in sorted(groups)]


def _reduce(groups, kind, nt):
    """The norm over all groups from their C reductions (in double)."""
    parts = [_kernels.norm_reduce(g, kind, nt) for g in groups]
    if kind == "inf":
        return max(parts, key=lambda v: (math.isnan(v), v), default=0.0)
    total = sum(parts, 0.0)
    return math.sqrt(total) if kind == "l2" else total


def global_norm(grads, norm_type=2.0, *, n_threads=None):
    """The norm of all elements of `grads` taken together (read only; any
    float32/float64 arrays, None entries skipped)."""
    _, arrays = check_float_arrays("grads", grads, writeable=False, allow_none=True)
    kind = _norm_kind(norm_type)
    arrays = [np.ascontiguousarray(a) for a in arrays]
    return _reduce(_by_dtype(arrays), kind, effective_n_threads(n_threads))


def clip_by_global_norm(grads, max_norm, norm_type=2.0, *, n_threads=None):
    """Scale every array of `grads` in place so that their global norm is at
    most max_norm (torch.nn.utils.clip_grad_norm_); returns the norm before
    clipping.  norm_type: 1, 2 or inf; max_norm: finite, >= 0."""
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


def clip_by_norm(grad, max_norm, norm_type=2.0, *, n_threads=None):
    """clip_by_global_norm of one array: scale `grad` in place so that its
    norm is at most max_norm; returns the norm before clipping."""
    if not isinstance(grad, np.ndarray):
        raise TypeError(f"grad must be a numpy array, got {type(grad).__name__} "
                        "(use clip_by_global_norm for a list)")
    return clip_by_global_norm(grad, max_norm, norm_type, n_threads=n_threads)


def clip_by_value(grads, lo, hi, *, n_threads=None):
    """Clamp every element of `grads` to [lo, hi] in place (NaN stays NaN);
    returns grads.  lo <= hi, scalars (-inf/inf allowed)."""
    _, arrays = check_float_arrays("grads", grads, allow_none=True)
    for name, v in (("lo", lo), ("hi", hi)):
        if isinstance(v, np.ndarray) and v.ndim:
            raise TypeError(f"{name} must be a real number, got an array")
    project_box(np.zeros(1), lo, hi)          # checks lo, hi before any write
    for a in arrays:
        project_box(a, lo, hi, out=a, n_threads=n_threads)
    return grads
