"""Proximal and dual-averaging rules: ProximalSGD, ProximalAdagrad,
AdagradDA, FTRL (TensorFlow's training_ops kernels, to round-off) and RDA
(Xiao 2010).

Each class validates its hyperparameters and names its state; the arithmetic
is one C function per rule in csrc/rules_proximal.inc, shared by the dense
and the sparse-row loops, with the formulas written above the code.
"""
from __future__ import annotations

from typing import Any, ClassVar, Optional

from fastopt import _kernels
from fastopt._validation import FloatArray, Hyper, Params
from fastopt.optim.base import Optimizer


class ProximalSGD(Optimizer):
    """Proximal gradient descent, FOBOS (TF ApplyProximalGradientDescent).

    v = p - lr g;  p <- sign(v) max(|v| - lr l1, 0) / (1 + lr l2).

    No state.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float
        Learning rate, >= 0.
    l1 : float, default 0
        L1 regularisation strength, >= 0.
    l2 : float, default 0
        L2 regularisation strength, >= 0.
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
    >>> w = np.array([1.0, 0.05, -0.5])
    >>> fastopt.ProximalSGD(w, lr=0.1, l1=1.0).step(np.zeros(3))
    >>> w                         # shrunk by lr * l1 = 0.1, small ones to 0
    array([ 0.9,  0. , -0.4])
    """

    lr = Hyper(0.0)
    l1 = Hyper(0.0)
    l2 = Hyper(0.0)
    _kernel = _kernels.proximal_sgd

    def __init__(self, params: Params, lr: float, l1: float = 0.0, l2: float = 0.0,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.l1 = l1
        self.l2 = l2
        super().__init__(params, n_threads)

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, l1=self.l1, l2=self.l2)


class _AccumulatorRule(Optimizer):
    """lr, l1, l2 and a squared-gradient accumulator that starts at
    initial_accumulator_value > 0 (as TF's optimizers require): what
    ProximalAdagrad and AdagradDA share."""

    lr = Hyper(0.0)
    l1 = Hyper(0.0)
    l2 = Hyper(0.0)
    initial_accumulator_value = Hyper(0.0, closed=(False, True), structural=True)
    _accumulator: ClassVar[Optional[str]] = None  # the state array that starts there

    def __init__(self, params: Params, lr: float, l1: float = 0.0, l2: float = 0.0,
                 initial_accumulator_value: float = 0.1,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.l1 = l1
        self.l2 = l2
        self.initial_accumulator_value = initial_accumulator_value
        super().__init__(params, n_threads)

    def _init_state(self, name: str, p: FloatArray) -> FloatArray:
        out = super()._init_state(name, p)
        if name == self._accumulator:
            out[...] = self.initial_accumulator_value
        return out

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, l1=self.l1, l2=self.l2)


class ProximalAdagrad(_AccumulatorRule):
    """FOBOS with Adagrad's rates (TF ApplyProximalAdagrad).

    a <- a + g^2;  r = lr / sqrt(a);  v = p - r g;
    p <- sign(v) max(|v| - r l1, 0) / (1 + r l2).

    State: 'accumulator' (a, starts at initial_accumulator_value > 0).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float
        Learning rate, >= 0.
    l1 : float, default 0
        L1 regularisation strength, >= 0.
    l2 : float, default 0
        L2 regularisation strength, >= 0.
    initial_accumulator_value : float, default 0.1
        Start of the squared-gradient accumulator, > 0 (fixed after
        construction).
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

    _kernel = _kernels.proximal_adagrad
    _accumulator = "accumulator"

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("accumulator",)


class AdagradDA(_AccumulatorRule):
    """Adagrad dual averaging (TF ApplyAdagradDA), global step t = the
    number of updates the parameter has received, this one included.

    G <- G + g;  S <- S + g^2;
    p <- -lr sign(G) max(|G| - t l1, 0) / (t lr l2 + sqrt(S)).

    The parameter's current value is not used: each step sets it from G and
    S.  State: 'gradient_accumulator' (G, starts at 0) and
    'gradient_squared_accumulator' (S, starts at initial_accumulator_value
    > 0).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float
        Learning rate, >= 0.
    l1 : float, default 0
        L1 regularisation strength, >= 0.
    l2 : float, default 0
        L2 regularisation strength, >= 0.
    initial_accumulator_value : float, default 0.1
        Start of the squared-gradient accumulator, > 0 (fixed after
        construction).
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

    _kernel = _kernels.adagrad_da
    _accumulator = "gradient_squared_accumulator"

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("gradient_accumulator", "gradient_squared_accumulator")


class FTRL(Optimizer):
    """FTRL-Proximal as TF's ApplyFtrlV2 kernel computes it (McMahan et al.
    2013, per-coordinate rates), with Keras's `beta`.

    With n = a + g^2 and P(x) = x^(-lr_power) (sqrt for lr_power = -0.5):
    z <- z + (g + 2 l2_shrinkage p) - (P(n) - P(a)) / lr * p;
    p <- (l1 sign(z) - z) / (P(n) / lr + 2 l2')  if |z| > l1, else 0;
    a <- n.
    The accumulator adds g^2, not the shrunk gradient's square (the kernel,
    not its documentation).  l2' = l2 + beta / (2 lr), as
    keras.optimizers.Ftrl; TF's l2 is half of the paper's lambda2.

    State: 'accumulator' (a, starts at initial_accumulator_value >= 0) and
    'linear' (z, starts at 0).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float, default 0.001
        Learning rate, > 0.
    lr_power : float, default -0.5
        Power of the per-coordinate rate, <= 0.
    l1 : float, default 0
        L1 regularisation strength, >= 0.
    l2 : float, default 0
        L2 regularisation strength, >= 0.
    l2_shrinkage : float, default 0
        L2 shrinkage added to the gradient in z only, >= 0.
    beta : float, default 0
        Keras's beta, >= 0: adds beta / (2 lr) to l2.
    initial_accumulator_value : float, default 0.1
        Start of 'accumulator', >= 0 (fixed after construction).
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
    >>> w = np.zeros(3)
    >>> opt = fastopt.FTRL(w, lr=0.5, l1=0.2)
    >>> opt.step(np.array([1.0, 0.1, -2.0]))
    >>> w != 0                    # |z| <= l1: the coordinate stays at zero
    array([ True, False,  True])
    """

    lr = Hyper(0.0, closed=(False, True))
    lr_power = Hyper(None, 0.0)
    l1 = Hyper(0.0)
    l2 = Hyper(0.0)
    l2_shrinkage = Hyper(0.0)
    beta = Hyper(0.0)
    initial_accumulator_value = Hyper(0.0, structural=True)
    _kernel = _kernels.ftrl

    def __init__(self, params: Params, lr: float = 0.001, lr_power: float = -0.5,
                 l1: float = 0.0, l2: float = 0.0, l2_shrinkage: float = 0.0,
                 beta: float = 0.0, initial_accumulator_value: float = 0.1,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.lr_power = lr_power
        self.l1 = l1
        self.l2 = l2
        self.l2_shrinkage = l2_shrinkage
        self.beta = beta
        self.initial_accumulator_value = initial_accumulator_value
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("accumulator", "linear")

    def _init_state(self, name: str, p: FloatArray) -> FloatArray:
        out = super()._init_state(name, p)
        if name == "accumulator":
            out[...] = self.initial_accumulator_value
        return out

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, lr_power=self.lr_power, l1=self.l1, l2=self.l2,
                    l2_shrinkage=self.l2_shrinkage, beta=self.beta)


class RDA(Optimizer):
    """l1-regularised dual averaging (Xiao 2010, JMLR 11), beta_t = gamma
    sqrt(t), t the number of updates the parameter has received.

    G <- G + g;  gbar = G / t;  lambda_t = l1 + gamma rho / sqrt(t);
    p <- 0 where |gbar| <= lambda_t, else
    p <- -(sqrt(t) / gamma) (gbar - lambda_t sign(gbar)).

    rho = 0 is plain l1-RDA, rho > 0 the enhanced variant.  The parameter's
    current value is not used (the method starts from w = 0).
    State: 'grad_sum' (G).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    l1 : float
        L1 regularisation strength (lambda), >= 0.
    gamma : float
        Scale of beta_t = gamma sqrt(t), > 0.
    rho : float, default 0
        Enhanced l1-RDA's extra sparsity, >= 0.
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

    l1 = Hyper(0.0)
    gamma = Hyper(0.0, closed=(False, True))
    rho = Hyper(0.0)
    _kernel = _kernels.rda

    def __init__(self, params: Params, l1: float, gamma: float, rho: float = 0.0,
                 n_threads: Optional[int] = None) -> None:
        self.l1 = l1
        self.gamma = gamma
        self.rho = rho
        super().__init__(params, n_threads)

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("grad_sum",)

    def _kernel_args(self) -> dict[str, Any]:
        return dict(l1=self.l1, gamma=self.gamma, rho=self.rho)
