"""Batch, layer, instance and group normalization: functional forward and
backward, in C with OpenMP, equal to torch.nn.functional.

Each forward takes the arguments of the torch.nn.functional function of the
same name, in the same order and with the same defaults, on numpy arrays
(float32 or float64, C-contiguous; input laid out (N, C, *) as torch lays it
out), and returns ``(y, saved)``.  ``saved`` (a `NormSaved`) holds what the
backward needs -- the statistics used (mean, rstd = 1 / sqrt(var + eps)) and
whether they came from the batch -- and is passed to the matching backward:

    y, saved = fastopt.norm.batch_norm(x, running_mean, running_var, w, b,
                                       training=True)
    grad_x, grad_w, grad_b = fastopt.norm.batch_norm_backward(grad_y, x, saved, w)

The backward returns None for grad_weight / grad_bias when the forward had no
weight / bias.  ``n_threads`` (keyword only) is resolved by
fastopt._threads.effective_n_threads; results are bitwise identical for every
n_threads.

All four are one computation (csrc/norm.h): the input viewed as (V, G, M),
statistics per g over (v, m), and an affine weight and bias per channel:

    batch_norm      statistics per channel over (N, *)
    instance_norm   per (sample, channel) over (*)
    group_norm      per (sample, group) over (C / num_groups, *)
    layer_norm      per leading index over the trailing normalized_shape

Sums run in a fixed order (blocks of fixed size, each in fixed lanes, merged
in order), so no result depends on n_threads.  For float32 input each lane
sums 16 elements in float32, and those partials are accumulated in double.  Semantics are torch's: the biased variance normalizes;
running statistics (batch_norm and instance_norm in training, when given)
are updated in place with torch's momentum and the unbiased variance,

    running_mean = (1 - momentum) running_mean + momentum mean
    running_var  = (1 - momentum) running_var  + momentum var * n / (n - 1)

(instance_norm averages the per-sample updates over N, as torch does); in
eval mode (training=False, use_input_stats=False) the running statistics
normalize and are constants for the backward.  A training batch with one
value per channel raises torch's ValueError.  Every check comes before the
first write: on error nothing (no running statistic) has changed.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import FLOAT_DTYPES, FloatArray, check_like, check_real

_Stats = npt.NDArray[np.float64]
#: What every backward returns: (grad_x, grad_weight, grad_bias).
Grads = tuple[FloatArray, Optional[FloatArray], Optional[FloatArray]]
_View = tuple[int, int, int, int, int]

__all__ = ["NormSaved", "batch_norm", "batch_norm_backward", "layer_norm",
           "layer_norm_backward", "instance_norm", "instance_norm_backward",
           "group_norm", "group_norm_backward"]


class NormSaved:
    """What a normalization's backward needs from its forward.

    kind: "batch_norm", "layer_norm", "instance_norm" or "group_norm";
    mean, rstd: the statistics used, float64, shaped as torch saves them
    (batch_norm (C,), instance_norm (N, C), group_norm (N, num_groups),
    layer_norm input.shape[:-k] + (1,) * k); batch_stats: True when they are
    the batch's (training), False for running statistics (eval);
    input_shape, dtype: the forward's input; has_weight, has_bias: which
    affine parameters the forward had.  Made by the forwards, read by the
    backwards; mean and rstd are read-only."""

    kind: str
    mean: _Stats
    rstd: _Stats
    batch_stats: bool
    input_shape: tuple[int, ...]
    dtype: np.dtype[Any]
    has_weight: bool
    has_bias: bool
    _view: _View
    _affine_shape: tuple[int, ...]

    __slots__ = ("kind", "mean", "rstd", "batch_stats", "input_shape", "dtype",
                 "has_weight", "has_bias", "_view", "_affine_shape")

    def __init__(self, kind: str, mean: _Stats, rstd: _Stats, batch_stats: bool,
                 x: FloatArray, view: _View, affine_shape: tuple[int, ...],
                 weight: Optional[FloatArray], bias: Optional[FloatArray]) -> None:
        self.kind = kind
        self.mean, self.rstd = mean, rstd
        self.batch_stats = batch_stats
        self.input_shape, self.dtype = x.shape, x.dtype
        self.has_weight, self.has_bias = weight is not None, bias is not None
        self._view, self._affine_shape = view, affine_shape
        for a in (mean, rstd):
            a.flags.writeable = False

    def __repr__(self) -> str:
        return (f"NormSaved({self.kind}, input {self.input_shape} {self.dtype}, "
                f"{'batch' if self.batch_stats else 'running'} statistics)")


# ---- checks ----------------------------------------------------------------------

def _check_input(x: object, min_ndim: int = 2, name: str = "input") -> FloatArray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions "
                         f"(N, C, *), got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    return x


def _check_param(name: str, a: object, shape: Sequence[int], dtype: np.dtype[Any], *,
                 writeable: bool = False) -> Optional[FloatArray]:
    """None, or an array of `shape` and `dtype` (C-contiguous and writeable
    when it is updated in place)."""
    if a is None:
        return None
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or None, got {type(a).__name__}")
    if a.dtype != dtype:
        raise TypeError(f"{name} has dtype {a.dtype}; expected {dtype} like input")
    if a.shape != tuple(shape):
        raise ValueError(f"{name} has shape {a.shape}; expected {tuple(shape)}")
    if writeable:
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (it is updated in place)")
        if not a.flags.writeable:
            raise ValueError(f"{name} is read-only; it is updated in place")
    return a


def _check_bool(name: str, v: object) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {v!r}")
    return bool(v)


def _check_eps(eps: object, positive: bool) -> float:
    # fast path: a finite float in range (anything else takes check_real's
    # checks and messages)
    if type(eps) is float and (eps > 0.0 if positive else eps >= 0.0) and eps < math.inf:
        return eps
    if positive:
        return check_real("eps", eps, 0.0, closed=(False, True))
    return check_real("eps", eps, 0.0)


def _check_running(x: FloatArray, running_mean: object, running_var: object, c: int,
                   required: Optional[str], update: bool
                   ) -> tuple[Optional[FloatArray], Optional[FloatArray]]:
    rm = _check_param("running_mean", running_mean, (c,), x.dtype, writeable=update)
    rv = _check_param("running_var", running_var, (c,), x.dtype, writeable=update)
    if (rm is None) != (rv is None):
        missing = "running_var" if rv is None else "running_mean"
        raise ValueError(f"{missing} is None but the other running statistic is "
                         "not; pass both or neither")
    if required and rm is None:
        raise ValueError(required)
    if update and rm is not None:
        if np.shares_memory(rm, rv):
            raise ValueError("running_mean and running_var share memory")
        if np.shares_memory(rm, x) or np.shares_memory(rv, x):
            raise ValueError("running statistics share memory with input")
    return rm, rv


def _verify_values_per_channel(size_prod: int, x: FloatArray) -> None:
    if size_prod == 1:
        raise ValueError("Expected more than 1 value per channel when training, "
                         f"got input size {list(x.shape)}")


# ---- the shared core -----------------------------------------------------------------

def _flat(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return a.reshape(-1)


def _rstd(var: _Stats, eps: float) -> _Stats:
    return 1.0 / np.sqrt(var + eps)


def _stats_apply(x: FloatArray, view: _View, eps: float, weight: Optional[FloatArray],
                 bias: Optional[FloatArray], nt: int
                 ) -> tuple[_Stats, _Stats, _Stats, FloatArray]:
    """The batch statistics, rstd = 1 / sqrt(var + eps) (the bits of _rstd)
    and y, in one kernel call."""
    g = view[1]
    mean, var, rstd = np.empty(g), np.empty(g), np.empty(g)
    y = np.empty_like(x)
    xf = _flat(x)
    _kernels.norm_stats_forward(xf, view, eps,
                                xf if weight is None else _flat(weight), weight is not None,
                                xf if bias is None else _flat(bias), bias is not None,
                                mean, var, rstd, _flat(y), nt)
    return mean, var, rstd, y


def _apply(x: FloatArray, view: _View, mean: _Stats, rstd: _Stats,
           weight: Optional[FloatArray], bias: Optional[FloatArray], nt: int) -> FloatArray:
    y = np.empty_like(x)
    xf = _flat(x)
    _kernels.norm_forward(xf, view, mean, rstd,
                          xf if weight is None else _flat(weight), weight is not None,
                          xf if bias is None else _flat(bias), bias is not None,
                          _flat(y), nt)
    return y


def _blend(running: FloatArray, value: _Stats, momentum: float) -> FloatArray:
    """torch's running update, in double, rounded to running's dtype."""
    return (momentum * value + (1.0 - momentum) * running.astype(np.float64)
            ).astype(running.dtype)


def _spatial(x: FloatArray) -> int:
    return math.prod(x.shape[2:])


def _affine(weight: object, bias: object, shape: Sequence[int], x: FloatArray
            ) -> tuple[Optional[FloatArray], Optional[FloatArray]]:
    """The checked affine weight and bias (None or contiguous arrays)."""
    w, b = (None if a is None else np.ascontiguousarray(_check_param(name, a, shape, x.dtype))
            for name, a in (("weight", weight), ("bias", bias)))
    return w, b


# ---- forward functions ---------------------------------------------------------------

def batch_norm(input: FloatArray, running_mean: Optional[FloatArray],
               running_var: Optional[FloatArray], weight: Optional[FloatArray] = None,
               bias: Optional[FloatArray] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05, *,
               n_threads: Optional[int] = None) -> tuple[FloatArray, NormSaved]:
    """torch.nn.functional.batch_norm: statistics per channel over (N, *).

    Parameters
    ----------
    input : numpy.ndarray
        Shape (N, C, *), float32 or float64, C-contiguous, not empty.
    running_mean, running_var : numpy.ndarray or None
        Shape (C,), input's dtype: updated in place in training (when not
        None), used to normalize otherwise (then required).
    weight, bias : numpy.ndarray or None, optional
        Per-channel affine scale and shift, shape (C,), input's dtype.
    training : bool, default False
        Normalize with the batch statistics (else the running ones).
    momentum : float, default 0.1
        Weight of the batch in the running update.
    eps : float, default 1e-5
        Added to the variance (> 0 in training).
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    y : numpy.ndarray
        The normalized input, input's shape and dtype.
    saved : NormSaved
        What the matching backward needs.

    Raises
    ------
    TypeError
        If an array is not a float32/float64 numpy array of input's dtype, or
        a flag or number has the wrong type.
    ValueError
        If a shape does not fit, an array that is written is read-only or not
        C-contiguous, arrays that are written share memory, or a number is out
        of range.  Nothing has been changed then.

    Examples
    --------
    >>> import numpy as np, fastopt.norm as N
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> y, saved = N.batch_norm(x, None, None, training=True)
    >>> y.round(3)
    array([[-1., -1.],
           [ 1.,  1.]])
    """
    x = _check_input(input)
    training = _check_bool("training", training)
    momentum = check_real("momentum", momentum)
    eps = _check_eps(eps, positive=training)
    n, c, s = x.shape[0], x.shape[1], _spatial(x)
    w, b = _affine(weight, bias, (c,), x)
    rm, rv = _check_running(
        x, running_mean, running_var, c, update=training,
        required=None if training else
        "running_mean and running_var are required in evaluation mode "
        "(training=False)")
    if training:
        _verify_values_per_channel(n * s, x)
    nt = effective_n_threads(n_threads)
    view = (n, c, s, c, s)
    if training:
        mean, var, rstd, y = _stats_apply(x, view, eps, w, b, nt)
    else:
        assert rm is not None and rv is not None    # required above
        mean, var = rm.astype(np.float64), rv.astype(np.float64)
        rstd = _rstd(var, eps)
        y = _apply(x, view, mean, rstd, w, b, nt)
    if training and rm is not None and rv is not None:
        count = n * s
        rm[...] = _blend(rm, mean, momentum)
        rv[...] = _blend(rv, var * (count / (count - 1)), momentum)
    return y, NormSaved("batch_norm", mean, rstd, training, x, view, (c,), w, b)


def instance_norm(input: FloatArray, running_mean: Optional[FloatArray] = None,
                  running_var: Optional[FloatArray] = None,
                  weight: Optional[FloatArray] = None, bias: Optional[FloatArray] = None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-05, *,
                  n_threads: Optional[int] = None) -> tuple[FloatArray, NormSaved]:
    """torch.nn.functional.instance_norm: statistics per (sample, channel)
    over (*).

    Parameters
    ----------
    input : numpy.ndarray
        Shape (N, C, *) with more than one spatial element, float32 or
        float64, C-contiguous.
    running_mean, running_var : numpy.ndarray or None, optional
        Shape (C,), input's dtype: updated in place (averaged over N) with
        use_input_stats, used to normalize otherwise (then required).
    weight, bias : numpy.ndarray or None, optional
        Per-channel affine scale and shift, shape (C,), input's dtype.
    use_input_stats : bool, default True
        Normalize with each sample's statistics (else the running ones).
    momentum : float, default 0.1
        Weight of the batch in the running update.
    eps : float, default 1e-5
        Added to the variance.
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    y : numpy.ndarray
        The normalized input, input's shape and dtype.
    saved : NormSaved
        What the matching backward needs.

    Raises
    ------
    TypeError
        If an array is not a float32/float64 numpy array of input's dtype, or
        a flag or number has the wrong type.
    ValueError
        If a shape does not fit, an array that is written is read-only or not
        C-contiguous, arrays that are written share memory, or a number is out
        of range.  Nothing has been changed then.
    """
    x = _check_input(input)
    use_input_stats = _check_bool("use_input_stats", use_input_stats)
    momentum = check_real("momentum", momentum)
    eps = _check_eps(eps, positive=False)
    n, c, s = x.shape[0], x.shape[1], _spatial(x)
    w, b = _affine(weight, bias, (c,), x)
    rm, rv = _check_running(
        x, running_mean, running_var, c, update=use_input_stats,
        required=None if use_input_stats else
        "running_mean and running_var are required when use_input_stats is False")
    if use_input_stats and s == 1:
        raise ValueError("Expected more than 1 spatial element when training, "
                         f"got input size {list(x.shape)}")
    nt = effective_n_threads(n_threads)
    view = (1, n * c, s, c, s)
    if use_input_stats:
        mean, var, rstd, y = _stats_apply(x, view, eps, w, b, nt)
    else:
        assert rm is not None and rv is not None    # required above
        mean = np.tile(rm.astype(np.float64), n)
        var = np.tile(rv.astype(np.float64), n)
        rstd = _rstd(var, eps)
        y = _apply(x, view, mean, rstd, w, b, nt)
    if use_input_stats and rm is not None and rv is not None:
        # torch: the batch-norm update of the running statistics repeated per
        # sample, then averaged over the samples
        rm_new = _blend(np.tile(rm, n), mean, momentum).reshape(n, c)
        rv_new = _blend(np.tile(rv, n), var * (s / (s - 1)), momentum).reshape(n, c)
        rm[...] = rm_new.mean(axis=0, dtype=np.float64).astype(rm.dtype)
        rv[...] = rv_new.mean(axis=0, dtype=np.float64).astype(rv.dtype)
    return y, NormSaved("instance_norm", mean.reshape(n, c), rstd.reshape(n, c),
                        use_input_stats, x, view, (c,), w, b)


def group_norm(input: FloatArray, num_groups: int, weight: Optional[FloatArray] = None,
               bias: Optional[FloatArray] = None, eps: float = 1e-05, *,
               n_threads: Optional[int] = None) -> tuple[FloatArray, NormSaved]:
    """torch.nn.functional.group_norm: statistics per (sample, group) over
    (C / num_groups, *).

    Parameters
    ----------
    input : numpy.ndarray
        Shape (N, C, *), float32 or float64, C-contiguous.
    num_groups : int
        A positive divisor of C.
    weight, bias : numpy.ndarray or None, optional
        Per-channel affine scale and shift, shape (C,), input's dtype.
    eps : float, default 1e-5
        Added to the variance.
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    y : numpy.ndarray
        The normalized input, input's shape and dtype.
    saved : NormSaved
        What the matching backward needs.

    Raises
    ------
    TypeError
        If an array is not a float32/float64 numpy array of input's dtype, or
        a flag or number has the wrong type.
    ValueError
        If a shape does not fit, an array that is written is read-only or not
        C-contiguous, arrays that are written share memory, or a number is out
        of range.  Nothing has been changed then.
    """
    x = _check_input(input)
    if (isinstance(num_groups, (bool, np.bool_))
            or not isinstance(num_groups, numbers.Integral)):
        raise TypeError(f"num_groups must be an int, got {num_groups!r}")
    n, c, s = x.shape[0], x.shape[1], _spatial(x)
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"num_groups must be a positive divisor of the number of "
                         f"channels C = {c}, got {num_groups}")
    ng = int(num_groups)
    eps = _check_eps(eps, positive=False)
    w, b = _affine(weight, bias, (c,), x)
    _verify_values_per_channel(n * (c // ng) * s, x)
    nt = effective_n_threads(n_threads)
    view = (1, n * ng, (c // ng) * s, ng, s)
    mean, var, rstd, y = _stats_apply(x, view, eps, w, b, nt)
    return y, NormSaved("group_norm", mean.reshape(n, ng), rstd.reshape(n, ng),
                        True, x, view, (c,), w, b)


def _normalized_shape(normalized_shape: object, x: FloatArray) -> tuple[int, ...]:
    ns: Any = normalized_shape
    if type(ns) is tuple and all(type(d) is int for d in ns):
        pass                                  # fast path: a tuple of ints
    elif isinstance(ns, numbers.Integral) and not isinstance(ns, (bool, np.bool_)):
        ns = (int(ns),)
    elif isinstance(ns, (tuple, list)) and all(
            isinstance(d, numbers.Integral) and not isinstance(d, (bool, np.bool_))
            for d in ns):
        ns = tuple(int(d) for d in ns)
    else:
        raise TypeError("normalized_shape must be an int or a tuple/list of ints, "
                        f"got {normalized_shape!r}")
    if not ns or x.shape[len(x.shape) - len(ns):] != ns or len(ns) > x.ndim:
        raise ValueError(f"normalized_shape={list(ns)} must be the trailing "
                         f"dimensions of input, whose shape is {list(x.shape)}")
    return tuple(ns)


def layer_norm(input: FloatArray, normalized_shape: Union[int, Sequence[int]],
               weight: Optional[FloatArray] = None, bias: Optional[FloatArray] = None,
               eps: float = 1e-05, *,
               n_threads: Optional[int] = None) -> tuple[FloatArray, NormSaved]:
    """torch.nn.functional.layer_norm: statistics per leading index over the
    trailing dimensions normalized_shape.

    Parameters
    ----------
    input : numpy.ndarray
        float32 or float64, C-contiguous, at least one dimension.
    normalized_shape : int or sequence of int
        The trailing dimensions of input that are normalized together.
    weight, bias : numpy.ndarray or None, optional
        Elementwise affine scale and shift, shape normalized_shape.
    eps : float, default 1e-5
        Added to the variance.
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    y : numpy.ndarray
        The normalized input, input's shape and dtype.
    saved : NormSaved
        What the matching backward needs.

    Raises
    ------
    TypeError
        If an array is not a float32/float64 numpy array of input's dtype, or
        a flag or number has the wrong type.
    ValueError
        If a shape does not fit, an array that is written is read-only or not
        C-contiguous, arrays that are written share memory, or a number is out
        of range.  Nothing has been changed then.

    Examples
    --------
    >>> import numpy as np, fastopt.norm as N
    >>> x = np.array([[0.0, 2.0], [5.0, 5.0]])
    >>> y, saved = N.layer_norm(x, 2)
    >>> y.round(3)
    array([[-1.,  1.],
           [ 0.,  0.]])
    >>> grad_x, grad_w, grad_b = N.layer_norm_backward(np.ones((2, 2)), x, saved)
    >>> grad_x.shape, grad_w is None
    ((2, 2), True)
    """
    x = _check_input(input, min_ndim=1)
    ns = _normalized_shape(normalized_shape, x)
    eps = _check_eps(eps, positive=False)
    w, b = _affine(weight, bias, ns, x)
    nt = effective_n_threads(n_threads)
    m = math.prod(ns)
    view = (1, x.size // m, m, 1, 1)
    mean, var, rstd, y = _stats_apply(x, view, eps, w, b, nt)
    stat_shape = x.shape[:x.ndim - len(ns)] + (1,) * len(ns)
    return y, NormSaved("layer_norm", mean.reshape(stat_shape),
                        rstd.reshape(stat_shape), True, x, view, ns, w, b)


# ---- backward ------------------------------------------------------------------------

def _backward(kind: str, grad_y: object, x: object, saved: object, weight: object,
              n_threads: Optional[int]) -> Grads:
    if not isinstance(saved, NormSaved):
        raise TypeError(f"saved must be the NormSaved that {kind} returned, "
                        f"got {type(saved).__name__}")
    if saved.kind != kind:
        raise ValueError(f"saved comes from {saved.kind}, not {kind}")
    x = _check_input(x, min_ndim=1, name="x")
    if x.shape != saved.input_shape or x.dtype != saved.dtype:
        raise ValueError(f"x has shape {x.shape} and dtype {x.dtype}; the forward's "
                         f"input had {saved.input_shape} and {saved.dtype}")
    gy = check_like("grad_y", grad_y, x, "x")
    if weight is None and saved.has_weight:
        raise ValueError("weight is None, but the forward had a weight: pass it")
    if weight is not None and not saved.has_weight:
        raise ValueError("weight was given, but the forward had none")
    w, _ = _affine(weight, None, saved._affine_shape, x)
    nt = effective_n_threads(n_threads)
    grad_x = np.empty_like(x)
    nch = math.prod(saved._affine_shape)
    gw = np.empty(nch, x.dtype) if saved.has_weight else None
    gb = np.empty(nch, x.dtype) if saved.has_bias else None
    xf, gxf = _flat(x), _flat(grad_x)
    _kernels.norm_backward(
        _flat(gy), xf, saved._view, _flat(saved.mean), _flat(saved.rstd),
        xf if w is None else _flat(w), w is not None, saved.batch_stats,
        gxf, gxf if gw is None else gw, gw is not None,
        gxf if gb is None else gb, gb is not None, nt)
    shape = saved._affine_shape
    return (grad_x, None if gw is None else gw.reshape(shape),
            None if gb is None else gb.reshape(shape))


def batch_norm_backward(grad_y: FloatArray, x: FloatArray, saved: NormSaved,
                        weight: Optional[FloatArray] = None, *,
                        n_threads: Optional[int] = None) -> Grads:
    """Gradients of batch_norm: (grad_x, grad_weight, grad_bias).

    Parameters
    ----------
    grad_y : numpy.ndarray
        The gradient of the loss with respect to the forward's y (x's shape
        and dtype).
    x : numpy.ndarray
        The forward's input.
    saved : NormSaved
        What the forward of the same kind returned.
    weight : numpy.ndarray or None, optional
        The forward's weight (required when it had one).
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    grad_x : numpy.ndarray
        The gradient of the input, x's shape and dtype.
    grad_weight, grad_bias : numpy.ndarray or None
        Shape (C,); None when the forward had no weight / bias.

    Raises
    ------
    TypeError
        If saved is not a NormSaved, or an array has the wrong type or dtype.
    ValueError
        If saved comes from another kind of normalization, x or grad_y do not
        match the forward, or weight is missing or unexpected.
    """
    return _backward("batch_norm", grad_y, x, saved, weight, n_threads)


def instance_norm_backward(grad_y: FloatArray, x: FloatArray, saved: NormSaved,
                           weight: Optional[FloatArray] = None, *,
                           n_threads: Optional[int] = None) -> Grads:
    """Gradients of instance_norm: (grad_x, grad_weight, grad_bias).

    Parameters
    ----------
    grad_y : numpy.ndarray
        The gradient of the loss with respect to the forward's y (x's shape
        and dtype).
    x : numpy.ndarray
        The forward's input.
    saved : NormSaved
        What the forward of the same kind returned.
    weight : numpy.ndarray or None, optional
        The forward's weight (required when it had one).
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    grad_x : numpy.ndarray
        The gradient of the input, x's shape and dtype.
    grad_weight, grad_bias : numpy.ndarray or None
        Shape (C,); None when the forward had no weight / bias.

    Raises
    ------
    TypeError
        If saved is not a NormSaved, or an array has the wrong type or dtype.
    ValueError
        If saved comes from another kind of normalization, x or grad_y do not
        match the forward, or weight is missing or unexpected.
    """
    return _backward("instance_norm", grad_y, x, saved, weight, n_threads)


def group_norm_backward(grad_y: FloatArray, x: FloatArray, saved: NormSaved,
                        weight: Optional[FloatArray] = None, *,
                        n_threads: Optional[int] = None) -> Grads:
    """Gradients of group_norm: (grad_x, grad_weight, grad_bias).

    Parameters
    ----------
    grad_y : numpy.ndarray
        The gradient of the loss with respect to the forward's y (x's shape
        and dtype).
    x : numpy.ndarray
        The forward's input.
    saved : NormSaved
        What the forward of the same kind returned.
    weight : numpy.ndarray or None, optional
        The forward's weight (required when it had one).
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    grad_x : numpy.ndarray
        The gradient of the input, x's shape and dtype.
    grad_weight, grad_bias : numpy.ndarray or None
        Shape (C,); None when the forward had no weight / bias.

    Raises
    ------
    TypeError
        If saved is not a NormSaved, or an array has the wrong type or dtype.
    ValueError
        If saved comes from another kind of normalization, x or grad_y do not
        match the forward, or weight is missing or unexpected.
    """
    return _backward("group_norm", grad_y, x, saved, weight, n_threads)


def layer_norm_backward(grad_y: FloatArray, x: FloatArray, saved: NormSaved,
                        weight: Optional[FloatArray] = None, *,
                        n_threads: Optional[int] = None) -> Grads:
    """Gradients of layer_norm: (grad_x, grad_weight, grad_bias).

    Parameters
    ----------
    grad_y : numpy.ndarray
        The gradient of the loss with respect to the forward's y (x's shape
        and dtype).
    x : numpy.ndarray
        The forward's input.
    saved : NormSaved
        What the forward of the same kind returned.
    weight : numpy.ndarray or None, optional
        The forward's weight (required when it had one).
    n_threads : int or None, optional
        Threads (None: all usable cores); results do not depend on it.

    Returns
    -------
    grad_x : numpy.ndarray
        The gradient of the input, x's shape and dtype.
    grad_weight, grad_bias : numpy.ndarray or None
        Shape normalized_shape; None when the forward had no weight / bias.

    Raises
    ------
    TypeError
        If saved is not a NormSaved, or an array has the wrong type or dtype.
    ValueError
        If saved comes from another kind of normalization, x or grad_y do not
        match the forward, or weight is missing or unexpected.
    """
    return _backward("layer_norm", grad_y, x, saved, weight, n_threads)
