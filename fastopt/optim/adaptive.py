"""Per-parameter adaptive rates: Adagrad, Adadelta, RMSProp, the Adam family
(Adam, AMSGrad, AdamW, Adamax, NAdam) and delta-bar-delta.

Each class validates its hyperparameters and names its state; the arithmetic
is one C function per rule in csrc/rules_dense.inc, where the formulas are
written above the code.
"""
from __future__ import annotations

from typing import Any, Optional

from fastopt import _kernels
from fastopt._validation import FloatArray, Hyper, Params
from fastopt.optim.base import Optimizer

WD_NONE, WD_L2, WD_DECOUPLED = 0, 1, 2


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad): s <- s + g^2,
    p <- p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps).

    State: 'sum' (starts at initial_accumulator_value).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 0.01
        Learning rate, >= 0.
    lr_decay : float, default 0
        Learning-rate decay, >= 0.
    weight_decay : float, default 0
        L2 penalty added to the gradient, >= 0.
    initial_accumulator_value : float, default 0
        Start of 'sum', >= 0 (fixed after construction).
    eps : float, default 1e-10
        Added to sqrt(sum), >= 0.
    maximize : bool, default False
        Maximise instead of minimise.
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).
    """

    lr = Hyper(0.0)
    lr_decay = Hyper(0.0)
    weight_decay = Hyper(0.0)
    initial_accumulator_value = Hyper(0.0, structural=True)
    eps = Hyper(0.0)
    maximize = Hyper(kind="bool")
    _kernel = _kernels.adagrad

    def __init__(self, params: Params, lr: float = 0.01, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, maximize: bool = False,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("sum",)

    def _init_state(self, name: str, p: FloatArray) -> FloatArray:
        out = super()._init_state(name, p)
        out[...] = self.initial_accumulator_value
        return out

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, lr_decay=self.lr_decay, eps=self.eps,
                    weight_decay=self.weight_decay, maximize=self.maximize)


class Adadelta(Optimizer):
    """Adadelta (torch.optim.Adadelta): v <- rho v + (1 - rho) g^2,
    d = sqrt(u + eps) / sqrt(v + eps) g, u <- rho u + (1 - rho) d^2,
    p <- p - lr d.

    State: 'square_avg' (v), 'acc_delta' (u).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 1.0
        Scale of the update, >= 0.
    rho : float, default 0.9
        Decay of the running averages, in [0, 1].
    eps : float, default 1e-6
        Added inside both square roots, >= 0.
    weight_decay : float, default 0
        L2 penalty added to the gradient, >= 0.
    maximize : bool, default False
        Maximise instead of minimise.
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).
    """

    lr = Hyper(0.0)
    rho = Hyper(0.0, 1.0)
    eps = Hyper(0.0)
    weight_decay = Hyper(0.0)
    maximize = Hyper(kind="bool")
    _kernel = _kernels.adadelta

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, maximize: bool = False,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.rho = rho
        self.eps = eps
        self.weight_decay = weight_decay
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("square_avg", "acc_delta")

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, rho=self.rho, eps=self.eps,
                    weight_decay=self.weight_decay, maximize=self.maximize)


class RMSProp(Optimizer):
    """RMSProp, plain, centered and with momentum.

    eps_in_sqrt=False: torch.optim.RMSprop -- v <- alpha v + (1 - alpha) g^2,
    r = sqrt(v - c^2) + eps (c, the mean gradient, only if centered),
    b <- momentum b + g / r, p <- p - lr b (or p <- p - lr g / r).

    eps_in_sqrt=True: TensorFlow's ApplyRMSProp / ApplyCenteredRMSProp --
    r = sqrt(v - c^2 + eps), b <- momentum b + lr g / r, p <- p - b.

    State: 'square_avg'; 'grad_avg' if centered; 'momentum_buffer' if
    momentum > 0.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 0.01
        Learning rate, >= 0.
    alpha : float, default 0.99
        Decay of the squared-gradient average, >= 0.
    eps : float, default 1e-8
        Added to the root (or under it with eps_in_sqrt), >= 0.
    weight_decay : float, default 0
        L2 penalty added to the gradient, >= 0.
    momentum : float, default 0
        Momentum factor, >= 0 (fixed after construction).
    centered : bool, default False
        Subtract the squared mean gradient (fixed after construction).
    eps_in_sqrt : bool, default False
        TensorFlow's placement of eps, inside the square root.
    maximize : bool, default False
        Maximise instead of minimise.
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).
    """

    lr = Hyper(0.0)
    alpha = Hyper(0.0)       # torch accepts any alpha >= 0
    eps = Hyper(0.0)
    weight_decay = Hyper(0.0)
    momentum = Hyper(0.0, structural=True)
    centered = Hyper(kind="bool", structural=True)
    eps_in_sqrt = Hyper(kind="bool")
    maximize = Hyper(kind="bool")
    _kernel = _kernels.rmsprop

    def __init__(self, params: Params, lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, eps_in_sqrt: bool = False,
                 maximize: bool = False, n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered
        self.eps_in_sqrt = eps_in_sqrt
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("square_avg", "grad_avg" if self.centered else None,
                "momentum_buffer" if self.momentum > 0 else None)

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, alpha=self.alpha, eps=self.eps,
                    weight_decay=self.weight_decay, momentum=self.momentum,
                    centered=self.centered, eps_in_sqrt=self.eps_in_sqrt,
                    maximize=self.maximize)


class _Betas(Optimizer):
    """`betas` as a (beta1, beta2) tuple over two validated hyperparameters."""

    beta1 = Hyper(0.0, 1.0, closed=(True, False))
    beta2 = Hyper(0.0, 1.0, closed=(True, False))

    @property
    def betas(self) -> tuple[float, float]:
        """(beta1, beta2), each in [0, 1); settable (both or neither)."""
        return (self.beta1, self.beta2)

    @betas.setter
    def betas(self, value: tuple[float, float]) -> None:
        if self._built:
            self._set_hypers(betas=value)   # both or neither
        else:
            self.__dict__.update(
                {k: getattr(type(self), k).check(v)
                 for k, v in self._expand_hyper("betas", value).items()})

    def _expand_hyper(self, name: str, value: Any) -> dict[str, Any]:
        if name != "betas":
            return {name: value}
        try:
            beta1, beta2 = value
        except (TypeError, ValueError):
            raise TypeError(f"betas must be a pair (beta1, beta2), got {value!r}") from None
        return {"beta1": beta1, "beta2": beta2}


class Adam(_Betas):
    """Adam and AMSGrad (torch.optim.Adam).

    m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,
    vhat = max(vhat, v) with amsgrad (else v),
    p <- p - lr / (1 - beta1^t) * m / (sqrt(vhat) / sqrt(1 - beta2^t) + eps),
    with g the gradient (negated if maximize) plus weight_decay * p (L2).

    State: 'exp_avg', 'exp_avg_sq', and 'max_exp_avg_sq' with amsgrad.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 1e-3
        Learning rate, >= 0.
    betas : tuple of float, default (0.9, 0.999)
        Decays (beta1, beta2) of the first and second moments, each in [0, 1).
    eps : float, default 1e-8
        Added to the root of the second moment, >= 0.
    weight_decay : float, default 0
        L2 penalty added to the gradient, >= 0 (AdamW: decoupled decay).
    amsgrad : bool, default False
        Use the running maximum of the second moment (fixed after
        construction).
    maximize : bool, default False
        Maximise instead of minimise.
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).

    Examples
    --------
    >>> import numpy as np, fastopt
    >>> w = np.array([1.0, -1.0], dtype=np.float32)
    >>> opt = fastopt.Adam(w, lr=0.01, betas=(0.8, 0.99))
    >>> opt.step(np.array([0.5, -0.5], dtype=np.float32))
    >>> w
    array([ 0.99, -0.99], dtype=float32)
    >>> opt.betas
    (0.8, 0.99)
    """

    lr = Hyper(0.0)
    eps = Hyper(0.0)
    weight_decay = Hyper(0.0)
    amsgrad = Hyper(kind="bool", structural=True)
    maximize = Hyper(kind="bool")
    _kernel = _kernels.adam
    _wd_mode = WD_L2

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False, n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq" if self.amsgrad else None)

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps,
                    weight_decay=self.weight_decay, wd_mode=self._wd_mode,
                    amsgrad=self.amsgrad, maximize=self.maximize)


class AdamW(Adam):
    """AdamW (torch.optim.AdamW): Adam with decoupled weight decay,
    p <- (1 - lr weight_decay) p before the Adam step.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 1e-3
        Learning rate, >= 0.
    betas : tuple of float, default (0.9, 0.999)
        Decays (beta1, beta2) of the first and second moments, each in [0, 1).
    eps : float, default 1e-8
        Added to the root of the second moment, >= 0.
    weight_decay : float, default 1e-2
        Decoupled weight decay, >= 0.
    amsgrad : bool, default False
        Use the running maximum of the second moment (fixed after
        construction).
    maximize : bool, default False
        Maximise instead of minimise.
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).
    """

    _wd_mode = WD_DECOUPLED

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False, n_threads: Optional[int] = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps,
                         weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, n_threads=n_threads)


class Adamax(_Betas):
    """Adamax (torch.optim.Adamax): m <- beta1 m + (1 - beta1) g,
    u <- max(beta2 u, |g| + eps), p <- p - lr / (1 - beta1^t) * m / u.

    State: 'exp_avg', 'exp_inf'.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 2e-3
        Learning rate, >= 0.
    betas : tuple of float, default (0.9, 0.999)
        Decays (beta1, beta2) of the first and second moments, each in [0, 1).
    eps : float, default 1e-8
        Added to |g| in the infinity norm, >= 0.
    weight_decay : float, default 0
        L2 penalty added to the gradient, >= 0.
    maximize : bool, default False
        Maximise instead of minimise.
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).
    """

    lr = Hyper(0.0)
    eps = Hyper(0.0)
    weight_decay = Hyper(0.0)
    maximize = Hyper(kind="bool")
    _kernel = _kernels.adamax

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, maximize: bool = False,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("exp_avg", "exp_inf")

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps,
                    weight_decay=self.weight_decay, maximize=self.maximize)


class Nadam(_Betas):
    """NAdam (torch.optim.NAdam): Adam with Nesterov momentum and the momentum
    schedule mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay)).

    r = sqrt(v / (1 - beta2^t)) + eps;
    p <- p - lr (1 - mu_t) / (1 - prod_{k<=t} mu_k) g / r
           - lr mu_{t+1} / (1 - prod_{k<=t+1} mu_k) m / r.

    State: 'exp_avg', 'exp_avg_sq' and the scalar 'mu_product'.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 2e-3
        Learning rate, >= 0.
    betas : tuple of float, default (0.9, 0.999)
        Decays (beta1, beta2) of the first and second moments, each in [0, 1).
    eps : float, default 1e-8
        Added to the root of the second moment, >= 0.
    weight_decay : float, default 0
        Weight decay, >= 0: L2 on the gradient, or as AdamW does with
        decoupled_weight_decay.
    momentum_decay : float, default 4e-3
        Decay of the momentum schedule, >= 0.
    decoupled_weight_decay : bool, default False
        Apply weight_decay as AdamW does.
    maximize : bool, default False
        Maximise instead of minimise.
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).
    """

    lr = Hyper(0.0)
    eps = Hyper(0.0)
    weight_decay = Hyper(0.0)
    momentum_decay = Hyper(0.0)
    decoupled_weight_decay = Hyper(kind="bool")
    maximize = Hyper(kind="bool")
    _kernel = _kernels.nadam
    _aux_name = "mu_product"
    # fastopt.torch sets this where torch keeps mu_product as a float32 tensor
    _mu_product_f32 = False

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, maximize: bool = False,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum_decay = momentum_decay
        self.decoupled_weight_decay = decoupled_weight_decay
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("exp_avg", "exp_avg_sq")

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps,
                    weight_decay=self.weight_decay,
                    momentum_decay=self.momentum_decay,
                    wd_mode=WD_DECOUPLED if self.decoupled_weight_decay else WD_L2,
                    maximize=self.maximize, mu_product_f32=self._mu_product_f32)


class DeltaBarDelta(Optimizer):
    """Delta-bar-delta (Jacobs 1988): a learning rate per parameter.

    Each parameter's rate e starts at lr and its trace b at 0.  With gradient
    g: e <- e + kappa if b g > 0, e <- (1 - phi) e if b g < 0 (additive
    increase, multiplicative decrease); p <- p - e g;
    b <- (1 - theta) g + theta b.

    `lr` is the initial rate; changing it later does not touch the rates
    already adapted.  State: 'rate' (e), 'trace' (b).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float
        The initial rate of every parameter, >= 0 (fixed after construction).
    kappa : float
        Additive increase of a rate, >= 0.
    phi : float
        Multiplicative decrease of a rate, in [0, 1].
    theta : float
        Decay of the gradient trace, in [0, 1).
    n_threads : int or None, optional
        Threads per step (None: all usable cores); results do not depend on it.

    Raises
    ------
    TypeError
        If `params` or a hyperparameter has the wrong type (see `Optimizer`).
    ValueError
        If a hyperparameter is out of its range, or `params` are not usable
        (see `Optimizer`).
    """

    lr = Hyper(0.0, structural=True)
    kappa = Hyper(0.0)
    phi = Hyper(0.0, 1.0)
    theta = Hyper(0.0, 1.0, closed=(True, False))
    _kernel = _kernels.delta_bar_delta

    def __init__(self, params: Params, lr: float, kappa: float, phi: float,
                 theta: float, n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.kappa = kappa
        self.phi = phi
        self.theta = theta
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("rate", "trace")

    def _init_state(self, name: str, p: FloatArray) -> FloatArray:
        out = super()._init_state(name, p)
        if name == "rate":
            out[...] = self.lr
        return out

    def _kernel_args(self) -> dict[str, Any]:
        return dict(kappa=self.kappa, phi=self.phi, theta=self.theta)
