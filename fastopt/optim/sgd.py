"""Stochastic gradient descent with momentum and Nesterov momentum."""
from fastopt import _kernels
from fastopt._validation import Hyper
from fastopt.optim.base import Optimizer


class SGD(Optimizer):
    """SGD, heavy-ball momentum and Nesterov momentum (torch.optim.SGD).

    With g the gradient (negated if maximize) plus weight_decay * p::

        b <- momentum * b + (1 - dampening) * g     (b <- g on the first step)
        d <- g + momentum * b  if nesterov  else  b (or g without momentum)
        p <- p - lr * d

    State: 'momentum_buffer' when momentum > 0.
    """

    lr = Hyper(0.0)
    momentum = Hyper(0.0, structural=True)
    dampening = Hyper(0.0)   # torch accepts any dampening >= 0
    weight_decay = Hyper(0.0)
    nesterov = Hyper(kind="bool", structural=True)
    maximize = Hyper(kind="bool")
    _kernel = _kernels.sgd

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False,
                 weight_decay=0.0, maximize=False, n_threads=None):
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.maximize = maximize
        super().__init__(params, n_threads)

    def _check_hypers(self, hyper):
        if hyper["nesterov"] and (hyper["momentum"] == 0 or hyper["dampening"] != 0):
            raise ValueError("nesterov requires momentum > 0 and dampening = 0")

    def _slots(self):
        return ("momentum_buffer",) if self.momentum > 0 else ()

    def _kernel_args(self):
        return dict(lr=self.lr, momentum=self.momentum, dampening=self.dampening,
                    weight_decay=self.weight_decay, nesterov=self.nesterov,
                    maximize=self.maximize)
