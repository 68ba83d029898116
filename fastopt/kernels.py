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
"""
import numpy as np

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import check_params
from fastopt.sparse import SparseGrad
from fastopt.optim import adaptive, proximal, sgd as _sgd

__all__ = ["sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam",
           "delta_bar_delta", "proximal_sgd", "proximal_adagrad", "adagrad_da",
           "ftrl", "rda"]


def _hyper(cls, **values):
    """Check each value with the declared rule of the optimizer class."""
    return {name: getattr(cls, name).check(v) for name, v in values.items()}


def _step_number(step):
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)) \
            or not 1 <= step <= 2**63 - 1:
        raise ValueError("step must be an int in [1, 2**63 - 1] (the number of this "
                         f"update), got {step!r}")
    return int(step)


def _run(kernel, param, grad, states, step, n_threads, aux=1.0, **cfg):
    """Check the arrays, bind a one-parameter table, and run `kernel`."""
    _, (param,) = check_params([param])
    slots = []
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
    return auxv[0]


def _check_distinct(written, grad):
    """Refuse arrays that share memory when one of them is written: the
    result would depend on the order of the writes (and on n_threads)."""
    read = [("grad", grad)] if isinstance(grad, np.ndarray) else []
    if isinstance(grad, SparseGrad):
        read = [("grad.indices", grad.indices), ("grad.values", grad.values)]
    for k, (na, a) in enumerate(written):
        for nb, b in written[k + 1:] + read:
            if isinstance(b, np.ndarray) and np.shares_memory(a, b):
                raise ValueError(f"{na} and {nb} share memory; {na} is updated in "
                                 "place, so each must be a separate array")


def sgd(param, grad, momentum_buffer=None, *, step, lr, momentum=0.0,
        dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False,
        n_threads=None):
    """SGD update (fastopt.SGD).  momentum_buffer is needed when momentum > 0;
    on step 1 it is overwritten with the gradient, as torch does."""
    h = _hyper(_sgd.SGD, lr=lr, momentum=momentum, dampening=dampening,
               nesterov=nesterov, weight_decay=weight_decay, maximize=maximize)
    if h["momentum"] > 0 and momentum_buffer is None:
        raise ValueError("momentum_buffer is required when momentum > 0")
    if h["nesterov"] and (h["momentum"] == 0 or h["dampening"] != 0):
        raise ValueError("nesterov requires momentum > 0 and dampening = 0")
    buf = momentum_buffer if h["momentum"] > 0 else None
    _run(_kernels.sgd, param, grad, [("momentum_buffer", buf)], step, n_threads, **h)


def adagrad(param, grad, sum, *, step, lr=0.01, lr_decay=0.0, weight_decay=0.0,
            eps=1e-10, maximize=False, n_threads=None):
    """Adagrad update (fastopt.Adagrad); `sum` is the squared-gradient sum."""
    h = _hyper(adaptive.Adagrad, lr=lr, lr_decay=lr_decay, eps=eps,
               weight_decay=weight_decay, maximize=maximize)
    _run(_kernels.adagrad, param, grad, [("sum", sum)], step, n_threads, **h)


def adadelta(param, grad, square_avg, acc_delta, *, step, lr=1.0, rho=0.9,
             eps=1e-6, weight_decay=0.0, maximize=False, n_threads=None):
    """Adadelta update (fastopt.Adadelta)."""
    h = _hyper(adaptive.Adadelta, lr=lr, rho=rho, eps=eps,
               weight_decay=weight_decay, maximize=maximize)
    _run(_kernels.adadelta, param, grad,
         [("square_avg", square_avg), ("acc_delta", acc_delta)], step, n_threads, **h)


def rmsprop(param, grad, square_avg, grad_avg=None, momentum_buffer=None, *,
            step, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
            centered=False, eps_in_sqrt=False, maximize=False, n_threads=None):
    """RMSProp update (fastopt.RMSProp): grad_avg is needed when centered,
    momentum_buffer when momentum > 0."""
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


def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq=None, *, step,
         lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
         decoupled_weight_decay=False, amsgrad=False, maximize=False,
         n_threads=None):
    """Adam / AMSGrad / AdamW update (decoupled_weight_decay=True is AdamW)."""
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


def adamax(param, grad, exp_avg, exp_inf, *, step, lr=2e-3, betas=(0.9, 0.999),
           eps=1e-8, weight_decay=0.0, maximize=False, n_threads=None):
    """Adamax update (fastopt.Adamax)."""
    beta1, beta2 = betas
    h = _hyper(adaptive.Adamax, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
               weight_decay=weight_decay, maximize=maximize)
    _run(_kernels.adamax, param, grad, [("exp_avg", exp_avg), ("exp_inf", exp_inf)],
         step, n_threads, **h)


def nadam(param, grad, exp_avg, exp_avg_sq, *, step, mu_product, lr=2e-3,
          betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
          decoupled_weight_decay=False, maximize=False, n_threads=None):
    """NAdam update (fastopt.Nadam).  mu_product is the product of the
    momentum schedule over the previous steps (1.0 before the first); returns
    the new product, to pass to the next call."""
    beta1, beta2 = betas
    h = _hyper(adaptive.Nadam, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
               weight_decay=weight_decay, momentum_decay=momentum_decay,
               maximize=maximize)
    wd_mode = adaptive.WD_DECOUPLED if decoupled_weight_decay else adaptive.WD_L2
    return float(_run(_kernels.nadam, param, grad,
                      [("exp_avg", exp_avg), ("exp_avg_sq", exp_avg_sq)],
                      step, n_threads, aux=float(mu_product), wd_mode=wd_mode, **h))


def delta_bar_delta(param, grad, rate, trace, *, kappa, phi, theta, n_threads=None):
    """Delta-bar-delta update (fastopt.DeltaBarDelta): `rate` holds the
    per-parameter learning rates, `trace` the averaged past gradients."""
    h = _hyper(adaptive.DeltaBarDelta, kappa=kappa, phi=phi, theta=theta)
    _run(_kernels.delta_bar_delta, param, grad, [("rate", rate), ("trace", trace)],
         1, n_threads, **h)


def proximal_sgd(param, grad, *, lr, l1=0.0, l2=0.0, n_threads=None):
    """Proximal gradient descent update (fastopt.ProximalSGD)."""
    h = _hyper(proximal.ProximalSGD, lr=lr, l1=l1, l2=l2)
    _run(_kernels.proximal_sgd, param, grad, [], 1, n_threads, **h)


def proximal_adagrad(param, grad, accumulator, *, lr, l1=0.0, l2=0.0,
                     n_threads=None):
    """Proximal Adagrad update (fastopt.ProximalAdagrad); `accumulator` holds
    the sum of squared gradients (start it at a positive value, 0.1 in TF)."""
    h = _hyper(proximal.ProximalAdagrad, lr=lr, l1=l1, l2=l2)
    _run(_kernels.proximal_adagrad, param, grad, [("accumulator", accumulator)],
         1, n_threads, **h)


def adagrad_da(param, grad, gradient_accumulator, gradient_squared_accumulator,
               *, step, lr, l1=0.0, l2=0.0, n_threads=None):
    """Adagrad dual averaging update (fastopt.AdagradDA); `step` is TF's
    global_step, the 1-based number of this update."""
    h = _hyper(proximal.AdagradDA, lr=lr, l1=l1, l2=l2)
    _run(_kernels.adagrad_da, param, grad,
         [("gradient_accumulator", gradient_accumulator),
          ("gradient_squared_accumulator", gradient_squared_accumulator)],
         step, n_threads, **h)


def ftrl(param, grad, accumulator, linear, *, lr=0.001, lr_power=-0.5, l1=0.0,
         l2=0.0, l2_shrinkage=0.0, beta=0.0, n_threads=None):
    """FTRL-Proximal update (fastopt.FTRL, TF ApplyFtrlV2)."""
    h = _hyper(proximal.FTRL, lr=lr, lr_power=lr_power, l1=l1, l2=l2,
               l2_shrinkage=l2_shrinkage, beta=beta)
    _run(_kernels.ftrl, param, grad, [("accumulator", accumulator), ("linear", linear)],
         1, n_threads, **h)


def rda(param, grad, grad_sum, *, step, l1, gamma, rho=0.0, n_threads=None):
    """l1-RDA update (fastopt.RDA); `step` is t, the 1-based number of this
    update, and grad_sum the running sum of gradients."""
    h = _hyper(proximal.RDA, l1=l1, gamma=gamma, rho=rho)
    _run(_kernels.rda, param, grad, [("grad_sum", grad_sum)], step, n_threads, **h)
