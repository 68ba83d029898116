"""Averages of the iterates: Polyak-Ruppert and exponential moving averages.

Both keep one average array per parameter (a copy, in the parameter's dtype)
and are fed by ``update()`` after each optimizer step:

    avg = PolyakAverage(params)              # or ExponentialMovingAverage(params, 0.999)
    for ...:
        opt.step(grads); avg.update()
    with avg.swapped():                      # params hold the averages here ...
        evaluate(params)
    # ... and their own values again here, even after an exception

``averaged()`` returns copies of the averages.
"""
import contextlib

import numpy as np

from fastopt._validation import check_int, check_params, check_real

__all__ = ["PolyakAverage", "ExponentialMovingAverage"]


class _Average:
    def __init__(self, params):
        self._single, self._params = check_params(params)
        self._avg = [p.copy() for p in self._params]
        self.n_updates = 0

    def _out(self, arrays):
        return arrays[0] if self._single else arrays

    def averaged(self):
        """Copies of the averages: an array, or a list like params."""
        return self._out([a.copy() for a in self._avg])

    @contextlib.contextmanager
    def swapped(self):
        """Put the averages into the params (in place) for the with-block,
        then restore the params' own values, also on an exception."""
        # a param made read-only since construction: refuse before any write
        check_params(self._out(self._params))
        saved = [p.copy() for p in self._params]
        try:
            for p, a in zip(self._params, self._avg):
                p[...] = a
            yield self._out(self._params)
        finally:
            for p, s in zip(self._params, saved):
                p[...] = s


class PolyakAverage(_Average):
    """The running mean of the iterates x_1, ..., x_n seen by update()
    (Polyak & Juditsky 1992): avg += (x - avg) / n.  Before the first
    update the average is the initial params."""

    def update(self):
        self.n_updates += 1
        for a, p in zip(self._avg, self._params):
            a += (p - a) / a.dtype.type(self.n_updates)


class ExponentialMovingAverage(_Average):
    """avg -= (1 - d) * (avg - x) at every update(), starting from the params'
    values at construction -- tf.train.ExponentialMovingAverage's rule, in its
    order of operations (without zero_debias).

    decay: in [0, 1].  num_updates: None for a fixed d = decay, or an int n
    (TF's num_updates, usually 0): then update k (counting from n) uses
    d = min(decay, (1 + k) / (10 + k)), which lets the average move fast at
    first."""

    def __init__(self, params, decay, num_updates=None):
        super().__init__(params)
        self.decay = check_real("decay", decay, 0.0, 1.0)
        self.num_updates = None if num_updates is None else check_int(
            "num_updates", num_updates, 0)

    def current_decay(self):
        """The d the next update() will use."""
        if self.num_updates is None:
            return self.decay
        k = self.num_updates
        return min(self.decay, (1.0 + k) / (10.0 + k))

    def update(self):
        w = 1.0 - self.current_decay()
        for a, p in zip(self._avg, self._params):
            a -= a.dtype.type(w) * (a - p)
        self.n_updates += 1
        if self.num_updates is not None:
            self.num_updates += 1
