"""Stochastic gradient descent with momentum and Nesterov momentum."""
from __future__ import annotations

from typing import Any, Optional

from fastopt import _kernels
from fastopt._validation import Hyper, Params
from fastopt.optim.base import Optimizer


class SGD(Optimizer):
    """SGD, heavy-ball momentum and Nesterov momentum (torch.optim.SGD).

    With g the gradient (negated if maximize) plus weight_decay * p::

        b <- momentum * b + (1 - dampening) * g     (b <- g on the first step)
        d <- g + momentum * b  if nesterov  else  b (or g without momentum)
        p <- p - lr * d

    State: 'momentum_buffer' when momentum > 0.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        float32/float64 C-contiguous writeable arrays, updated in place.
    lr : float
        Learning rate, >= 0.
    momentum : float, default 0
        Momentum factor, >= 0 (fixed after construction: it decides the state).
    dampening : float, default 0
        Dampening of the momentum, >= 0.
    nesterov : bool, default False
        Nesterov momentum (needs momentum > 0 and dampening 0; fixed).
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

    Examples
    --------
    >>> import numpy as np, fastopt
    >>> w = np.array([1.0, 2.0])
    >>> opt = fastopt.SGD(w, lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.step(w.copy())         # the gradient of sum(w ** 2) / 2
    >>> w
    array([0.72, 1.44])
    """

    lr = Hyper(0.0)
    momentum = Hyper(0.0, structural=True)
    dampening = Hyper(0.0)   # torch accepts any dampening >= 0
    weight_decay = Hyper(0.0)
    nesterov = Hyper(kind="bool", structural=True)
    maximize = Hyper(kind="bool")
    _kernel = _kernels.sgd

    def __init__(self, params: Params, lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, maximize: bool = False,
                 n_threads: Optional[int] = None) -> None:
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _check_hypers(self, hyper: dict[str, Any]) -> None:
        if hyper["nesterov"] and (hyper["momentum"] == 0 or hyper["dampening"] != 0):
            raise ValueError("nesterov requires momentum > 0 and dampening = 0")

    def _slots(self) -> tuple[Optional[str], ...]:
        return ("momentum_buffer",) if self.momentum > 0 else ()

    def _kernel_args(self) -> dict[str, Any]:
        return dict(lr=self.lr, momentum=self.momentum, dampening=self.dampening,
                    weight_decay=self.weight_decay, nesterov=self.nesterov,
                    maximize=self.maximize)
