"""The functional form of every rule: one array, state held by the caller.

Like TensorFlow's raw training ops, each function applies one update to
`param` in place given its gradient and its state arrays, which it also
updates in place.  `step` is the 1-based number of this update (it drives
bias corrections and schedules; pass 1 on the first call).  The hyperparameters
mean what they mean in the optimizer classes of the same name, are checked by
the same rules, and the arithmetic is the same C code: calling these with the
arrays of `opt.state` reproduces `opt.step` exactly.

>>> import numpy as np, fastopt.kernels as K
>>> p = np.ones(3); m = np.zeros(3); v = np.zeros(3)
>>> K.adam(p, np.full(3, 0.5), m, v, step=1, lr=0.1)
>>> p
array([0.9, 0.9, 0.9])

Every function raises TypeError or ValueError naming the argument when an
array or a hyperparameter is unusable (wrong dtype, shape, layout, range,
arrays sharing memory), IndexError for a SparseGrad index out of range, and
changes nothing then.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import FloatArray, check_params
from fastopt.optim import adaptive, proximal, sgd as _sgd
from fastopt.optim.base import Optimizer
from fastopt.sparse import SparseGrad

#: A gradient: a dense array of the param's shape and dtype, or a SparseGrad.
Grad = Union[FloatArray, SparseGrad]

__all__ = ["sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam",
           "delta_bar_delta", "proximal_sgd", "proximal_adagrad", "adagrad_da",
           "ftrl", "rda"]


def _hyper(cls: type[Optimizer], **values: Any) -> dict[str, Any]:
    """Check each value with the declared rule of the optimizer class."""
    return {name: getattr(cls, name).check(v) for name, v in values.items()}


def _step_number(step: object) -> int:
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)) \
            or not 1 <= step <= 2**63 - 1:
        raise ValueError("step must be an int in [1, 2**63 - 1] (the number of this "
                         f"update), got {step!r}")
    return int(step)


def _run(kernel: _kernels.RuleKernel, param: FloatArray, grad: Grad,
         states: Sequence[tuple[str, Optional[FloatArray]]], step: int,
         n_threads: Optional[int], aux: float = 1.0, **cfg: Any) -> float:
    """Check the arrays, bind a one-parameter table, and run `kernel`."""
    _, (param,) = check_params([param])
    slots: list[Optional[FloatArray]] = []
    for name, arr in states:
        if arr is None:
            slots.append(None)
            continue
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(arr).__name__}")
        if arr.dtype != param.dtype or arr.shape != param.shape:
            raise ValueError(f"{name} must match param: {param.dtype}{list(param.shape)}, "
                             f"got {arr.dtype}{list(arr.shape)}")
        if not arr.flags.c_contiguous or not arr.flags.writeable:
            raise ValueError(f"{name} must be C-contiguous and writeable (updated in place)")
        slots.append(arr)
    _check_distinct([("param", param)] + [(n, a) for n, a in states if a is not None],
                    grad)
    table = _kernels.ParamTable([param], [slots], True)
    steps = np.array([_step_number(step) - 1], dtype=np.int64)
    auxv = np.array([aux], dtype=np.float64)
    kernel(table, [grad], steps, auxv, n_threads=effective_n_threads(n_threads), **cfg)
    return float(auxv[0])


def _check_distinct(written: Sequence[tuple[str, FloatArray]], grad: object) -> None:
    """Refuse arrays that share memory when one of them is written: the
    result would depend on the order of the writes (and on n_threads)."""
    read: list[tuple[str, object]] = [("grad", grad)] if isinstance(grad, np.ndarray) else []
    if isinstance(grad, SparseGrad):
        read = [("grad.indices", grad.indices), ("grad.values", grad.values)]
    for k, (na, a) in enumerate(written):
        for nb, b in list(written[k + 1:]) + read:
            if isinstance(b, np.ndarray) and np.shares_memory(a, b):
                raise ValueError(f"{na} and {nb} share memory; {na} is updated in "
                                 "place, so each must be a separate array")


def sgd(param: FloatArray, grad: Grad, momentum_buffer: Optional[FloatArray] = None, *,
        step: int, lr: float, momentum: float = 0.0, dampening: float = 0.0,
        nesterov: bool = False, weight_decay: float = 0.0, maximize: bool = False,
        n_threads: Optional[int] = None) -> None:
    """SGD update (fastopt.SGD).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    momentum_buffer : numpy.ndarray, optional
        Needed when momentum > 0; on step 1 it is overwritten with the
        gradient, as torch does.
    step : int
        The 1-based number of this update.
    lr, momentum, dampening, nesterov, weight_decay, maximize
        As in `fastopt.SGD`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).

    Examples
    --------
    >>> import numpy as np, fastopt.kernels as K
    >>> p, buf = np.ones(2), np.zeros(2)
    >>> for t in (1, 2):
    ...     K.sgd(p, np.ones(2), buf, step=t, lr=0.1, momentum=0.5)
    >>> p
    array([0.75, 0.75])
    """
    h = _hyper(_sgd.SGD, lr=lr, momentum=momentum, dampening=dampening,
               nesterov=nesterov, weight_decay=weight_decay, maximize=maximize)
    if h["momentum"] > 0 and momentum_buffer is None:
        raise ValueError("momentum_buffer is required when momentum > 0")
    if h["nesterov"] and (h["momentum"] == 0 or h["dampening"] != 0):
        raise ValueError("nesterov requires momentum > 0 and dampening = 0")
    buf = momentum_buffer if h["momentum"] > 0 else None
    _run(_kernels.sgd, param, grad, [("momentum_buffer", buf)], step, n_threads, **h)


def adagrad(param: FloatArray, grad: Grad, sum: FloatArray, *, step: int,
            lr: float = 0.01, lr_decay: float = 0.0, weight_decay: float = 0.0,
            eps: float = 1e-10, maximize: bool = False,
            n_threads: Optional[int] = None) -> None:
    """Adagrad update (fastopt.Adagrad).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    sum : numpy.ndarray
        The squared-gradient sum.
    step : int
        The 1-based number of this update.
    lr, lr_decay, weight_decay, eps, maximize
        As in `fastopt.Adagrad`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(adaptive.Adagrad, lr=lr, lr_decay=lr_decay, eps=eps,
               weight_decay=weight_decay, maximize=maximize)
    _run(_kernels.adagrad, param, grad, [("sum", sum)], step, n_threads, **h)


def adadelta(param: FloatArray, grad: Grad, square_avg: FloatArray,
             acc_delta: FloatArray, *, step: int, lr: float = 1.0, rho: float = 0.9,
             eps: float = 1e-6, weight_decay: float = 0.0, maximize: bool = False,
             n_threads: Optional[int] = None) -> None:
    """Adadelta update (fastopt.Adadelta).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    square_avg : numpy.ndarray
        Running average of g^2.
    acc_delta : numpy.ndarray
        Running average of the squared updates.
    step : int
        The 1-based number of this update.
    lr, rho, eps, weight_decay, maximize
        As in `fastopt.Adadelta`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(adaptive.Adadelta, lr=lr, rho=rho, eps=eps,
               weight_decay=weight_decay, maximize=maximize)
    _run(_kernels.adadelta, param, grad,
         [("square_avg", square_avg), ("acc_delta", acc_delta)], step, n_threads, **h)


def rmsprop(param: FloatArray, grad: Grad, square_avg: FloatArray,
            grad_avg: Optional[FloatArray] = None,
            momentum_buffer: Optional[FloatArray] = None, *, step: int,
            lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
            weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
            eps_in_sqrt: bool = False, maximize: bool = False,
            n_threads: Optional[int] = None) -> None:
    """RMSProp update (fastopt.RMSProp).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    square_avg : numpy.ndarray
        Running average of g^2.
    grad_avg : numpy.ndarray, optional
        Running average of g; needed when centered.
    momentum_buffer : numpy.ndarray, optional
        Needed when momentum > 0.
    step : int
        The 1-based number of this update.
    lr, alpha, eps, weight_decay, momentum, centered, eps_in_sqrt, maximize
        As in `fastopt.RMSProp`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(adaptive.RMSProp, lr=lr, alpha=alpha, eps=eps,
               weight_decay=weight_decay, momentum=momentum, centered=centered,
               eps_in_sqrt=eps_in_sqrt, maximize=maximize)
    if h["centered"] and grad_avg is None:
        raise ValueError("grad_avg is required when centered=True")
    if h["momentum"] > 0 and momentum_buffer is None:
        raise ValueError("momentum_buffer is required when momentum > 0")
    _run(_kernels.rmsprop, param, grad,
         [("square_avg", square_avg),
          ("grad_avg", grad_avg if h["centered"] else None),
          ("momentum_buffer", momentum_buffer if h["momentum"] > 0 else None)],
         step, n_threads, **h)


def adam(param: FloatArray, grad: Grad, exp_avg: FloatArray, exp_avg_sq: FloatArray,
         max_exp_avg_sq: Optional[FloatArray] = None, *, step: int, lr: float = 1e-3,
         betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
         weight_decay: float = 0.0, decoupled_weight_decay: bool = False,
         amsgrad: bool = False, maximize: bool = False,
         n_threads: Optional[int] = None) -> None:
    """Adam / AMSGrad / AdamW update (fastopt.Adam, fastopt.AdamW).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    exp_avg : numpy.ndarray
        First moment.
    exp_avg_sq : numpy.ndarray
        Second moment.
    max_exp_avg_sq : numpy.ndarray, optional
        Running maximum of the second moment; needed when amsgrad.
    step : int
        The 1-based number of this update.
    lr, betas, eps, weight_decay
        As in `fastopt.Adam`.
    decoupled_weight_decay : bool, default False
        True is AdamW's weight decay.
    amsgrad, maximize
        As in `fastopt.Adam`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).

    Examples
    --------
    >>> import numpy as np, fastopt.kernels as K
    >>> p = np.ones(3); m = np.zeros(3); v = np.zeros(3)
    >>> K.adam(p, np.full(3, 0.5), m, v, step=1, lr=0.1)
    >>> p
    array([0.9, 0.9, 0.9])
    """
    beta1, beta2 = betas
    h = _hyper(adaptive.Adam, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
               weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
    if h["amsgrad"] and max_exp_avg_sq is None:
        raise ValueError("max_exp_avg_sq is required when amsgrad=True")
    wd_mode = adaptive.WD_DECOUPLED if decoupled_weight_decay else adaptive.WD_L2
    _run(_kernels.adam, param, grad,
         [("exp_avg", exp_avg), ("exp_avg_sq", exp_avg_sq),
          ("max_exp_avg_sq", max_exp_avg_sq if h["amsgrad"] else None)],
         step, n_threads, wd_mode=wd_mode, **h)


def adamax(param: FloatArray, grad: Grad, exp_avg: FloatArray, exp_inf: FloatArray,
           *, step: int, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
           eps: float = 1e-8, weight_decay: float = 0.0, maximize: bool = False,
           n_threads: Optional[int] = None) -> None:
    """Adamax update (fastopt.Adamax).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    exp_avg : numpy.ndarray
        First moment.
    exp_inf : numpy.ndarray
        Infinity norm of the past gradients.
    step : int
        The 1-based number of this update.
    lr, betas, eps, weight_decay, maximize
        As in `fastopt.Adamax`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    beta1, beta2 = betas
    h = _hyper(adaptive.Adamax, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
               weight_decay=weight_decay, maximize=maximize)
    _run(_kernels.adamax, param, grad, [("exp_avg", exp_avg), ("exp_inf", exp_inf)],
         step, n_threads, **h)


def nadam(param: FloatArray, grad: Grad, exp_avg: FloatArray, exp_avg_sq: FloatArray,
          *, step: int, mu_product: float, lr: float = 2e-3,
          betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 0.0, momentum_decay: float = 4e-3,
          decoupled_weight_decay: bool = False, maximize: bool = False,
          n_threads: Optional[int] = None) -> float:
    """NAdam update (fastopt.Nadam).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    exp_avg : numpy.ndarray
        First moment.
    exp_avg_sq : numpy.ndarray
        Second moment.
    step : int
        The 1-based number of this update.
    mu_product : float
        The product of the momentum schedule over the previous steps (1.0
        before the first).
    lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize
        As in `fastopt.Nadam`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    float
        The new mu_product, to pass to the next call.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    beta1, beta2 = betas
    h = _hyper(adaptive.Nadam, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
               weight_decay=weight_decay, momentum_decay=momentum_decay,
               maximize=maximize)
    wd_mode = adaptive.WD_DECOUPLED if decoupled_weight_decay else adaptive.WD_L2
    return float(_run(_kernels.nadam, param, grad,
                      [("exp_avg", exp_avg), ("exp_avg_sq", exp_avg_sq)],
                      step, n_threads, aux=float(mu_product), wd_mode=wd_mode, **h))


def delta_bar_delta(param: FloatArray, grad: Grad, rate: FloatArray, trace: FloatArray,
                    *, kappa: float, phi: float, theta: float,
                    n_threads: Optional[int] = None) -> None:
    """Delta-bar-delta update (fastopt.DeltaBarDelta).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    rate : numpy.ndarray
        The per-parameter learning rates.
    trace : numpy.ndarray
        The averaged past gradients.
    kappa, phi, theta
        As in `fastopt.DeltaBarDelta`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(adaptive.DeltaBarDelta, kappa=kappa, phi=phi, theta=theta)
    _run(_kernels.delta_bar_delta, param, grad, [("rate", rate), ("trace", trace)],
         1, n_threads, **h)


def proximal_sgd(param: FloatArray, grad: Grad, *, lr: float, l1: float = 0.0,
                 l2: float = 0.0, n_threads: Optional[int] = None) -> None:
    """Proximal gradient descent update (fastopt.ProximalSGD).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    lr, l1, l2
        As in `fastopt.ProximalSGD`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(proximal.ProximalSGD, lr=lr, l1=l1, l2=l2)
    _run(_kernels.proximal_sgd, param, grad, [], 1, n_threads, **h)


def proximal_adagrad(param: FloatArray, grad: Grad, accumulator: FloatArray, *,
                     lr: float, l1: float = 0.0, l2: float = 0.0,
                     n_threads: Optional[int] = None) -> None:
    """Proximal Adagrad update (fastopt.ProximalAdagrad).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    accumulator : numpy.ndarray
        The sum of squared gradients (start it at a positive value,
        0.1 in TF).
    lr, l1, l2
        As in `fastopt.ProximalAdagrad`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(proximal.ProximalAdagrad, lr=lr, l1=l1, l2=l2)
    _run(_kernels.proximal_adagrad, param, grad, [("accumulator", accumulator)],
         1, n_threads, **h)


def adagrad_da(param: FloatArray, grad: Grad, gradient_accumulator: FloatArray,
               gradient_squared_accumulator: FloatArray, *, step: int, lr: float,
               l1: float = 0.0, l2: float = 0.0,
               n_threads: Optional[int] = None) -> None:
    """Adagrad dual averaging update (fastopt.AdagradDA).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    gradient_accumulator : numpy.ndarray
        The sum of gradients.
    gradient_squared_accumulator : numpy.ndarray
        The sum of squared gradients (start it positive).
    step : int
        TF's global_step, the 1-based number of this update.
    lr, l1, l2
        As in `fastopt.AdagradDA`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(proximal.AdagradDA, lr=lr, l1=l1, l2=l2)
    _run(_kernels.adagrad_da, param, grad,
         [("gradient_accumulator", gradient_accumulator),
          ("gradient_squared_accumulator", gradient_squared_accumulator)],
         step, n_threads, **h)


def ftrl(param: FloatArray, grad: Grad, accumulator: FloatArray, linear: FloatArray,
         *, lr: float = 0.001, lr_power: float = -0.5, l1: float = 0.0, l2: float = 0.0,
         l2_shrinkage: float = 0.0, beta: float = 0.0,
         n_threads: Optional[int] = None) -> None:
    """FTRL-Proximal update (fastopt.FTRL, TF ApplyFtrlV2).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    accumulator : numpy.ndarray
        The sum of squared gradients (n).
    linear : numpy.ndarray
        The linear term (z).
    lr, lr_power, l1, l2, l2_shrinkage, beta
        As in `fastopt.FTRL`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(proximal.FTRL, lr=lr, lr_power=lr_power, l1=l1, l2=l2,
               l2_shrinkage=l2_shrinkage, beta=beta)
    _run(_kernels.ftrl, param, grad, [("accumulator", accumulator), ("linear", linear)],
         1, n_threads, **h)


def rda(param: FloatArray, grad: Grad, grad_sum: FloatArray, *, step: int, l1: float,
        gamma: float, rho: float = 0.0, n_threads: Optional[int] = None) -> None:
    """l1-RDA update (fastopt.RDA).

    Parameters
    ----------
    param : numpy.ndarray
        float32/float64, C-contiguous, writeable; updated in place.
    grad : numpy.ndarray or SparseGrad
        Its gradient: an array of param's shape and dtype, or some rows.
    grad_sum : numpy.ndarray
        The running sum of gradients.
    step : int
        t, the 1-based number of this update.
    l1, gamma, rho
        As in `fastopt.RDA`.
    n_threads : int or None, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    None
        The param and the state arrays are updated in place.

    Raises
    ------
    TypeError, ValueError, IndexError
        For an unusable array or hyperparameter (see the module notes).
    """
    h = _hyper(proximal.RDA, l1=l1, gamma=gamma, rho=rho)
    _run(_kernels.rda, param, grad, [("grad_sum", grad_sum)], step, n_threads, **h)
