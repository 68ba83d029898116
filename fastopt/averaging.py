"""Averages of the iterates: Polyak-Ruppert and exponential moving averages.

Both keep one average array per parameter (a copy, in the parameter's dtype)
and are fed by ``update()`` after each optimizer step::

    avg = PolyakAverage(params)              # or ExponentialMovingAverage(params, 0.999)
    for ...:
        opt.step(grads); avg.update()
    with avg.swapped():                      # params hold the averages here ...
        evaluate(params)
    # ... and their own values again here, even after an exception

``averaged()`` returns copies of the averages.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, List, Optional, Sequence, Union

import numpy as np

from fastopt._validation import check_int, check_params, check_real

__all__ = ["PolyakAverage", "ExponentialMovingAverage"]


Params = Union[np.ndarray, Sequence[np.ndarray]]


class _Average:
    def __init__(self, params: Params) -> None:
        self._single, self._params = check_params(params)
        self._avg = [p.copy() for p in self._params]
        self.n_updates = 0

    def _out(self, arrays: List[np.ndarray]) -> Union[np.ndarray, List[np.ndarray]]:
        return arrays[0] if self._single else arrays

    def averaged(self) -> Union[np.ndarray, List[np.ndarray]]:
        """Copies of the averages.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            An array, or a list like params.
        """
        return self._out([a.copy() for a in self._avg])

    @contextlib.contextmanager
    def swapped(self) -> Iterator[Union[np.ndarray, List[np.ndarray]]]:
        """Put the averages into the params (in place) for the with-block.

        The params' own values are restored after it, also on an exception.

        Yields
        ------
        numpy.ndarray or list of numpy.ndarray
            The params (holding the averages), as given to the constructor.

        Raises
        ------
        ValueError
            If a param was made read-only since construction (nothing is
            written then).
        """
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
    """The running mean of the iterates (Polyak & Juditsky 1992).

    The mean of x_1, ..., x_n seen by `update`: ``avg += (x - avg) / n``.
    Before the first update the average is the initial params.

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        The float32/float64 params an optimizer updates in place.

    Raises
    ------
    TypeError, ValueError
        If `params` are not float32/float64, C-contiguous, writeable arrays.

    Examples
    --------
    >>> from fastopt.averaging import PolyakAverage
    >>> w = np.zeros(2)
    >>> avg = PolyakAverage(w)
    >>> for value in (1.0, 2.0, 6.0):
    ...     w[:] = value
    ...     avg.update()
    >>> avg.averaged()
    array([3., 3.])
    >>> with avg.swapped():
    ...     print(w)
    [3. 3.]
    >>> w
    array([6., 6.])
    """

    def update(self) -> None:
        """Add the params' current values to the mean."""
        self.n_updates += 1
        for a, p in zip(self._avg, self._params):
            a += (p - a) / a.dtype.type(self.n_updates)


class ExponentialMovingAverage(_Average):
    """An exponential moving average of the iterates.

    ``avg -= (1 - d) * (avg - x)`` at every `update`, starting from the
    params' values at construction: ``tf.train.ExponentialMovingAverage``'s
    rule, in its order of operations (without zero_debias).

    Parameters
    ----------
    params : numpy.ndarray or sequence of numpy.ndarray
        The float32/float64 params an optimizer updates in place.
    decay : float
        In [0, 1].
    num_updates : int, optional
        None for a fixed ``d = decay``; or an int n >= 0 (TF's num_updates,
        usually 0): then update k (counting from n) uses
        ``d = min(decay, (1 + k) / (10 + k))``, which lets the average move
        fast at first.

    Raises
    ------
    TypeError, ValueError
        If `params` are not float32/float64, C-contiguous, writeable arrays,
        or decay or num_updates is out of range.

    Examples
    --------
    >>> from fastopt.averaging import ExponentialMovingAverage
    >>> w = np.zeros(1)
    >>> ema = ExponentialMovingAverage(w, decay=0.5)
    >>> w[:] = 4.0
    >>> ema.update(); ema.update()
    >>> ema.averaged()
    array([3.])
    """

    def __init__(self, params: Params, decay: float,
                 num_updates: Optional[int] = None) -> None:
        super().__init__(params)
        self.decay = check_real("decay", decay, 0.0, 1.0)
        self.num_updates = None if num_updates is None else check_int(
            "num_updates", num_updates, 0)

    def current_decay(self) -> float:
        """The decay the next `update` will use.

        Returns
        -------
        float
            ``decay``, or ``min(decay, (1 + k) / (10 + k))`` with num_updates.
        """
        if self.num_updates is None:
            return self.decay
        k = self.num_updates
        return min(self.decay, (1.0 + k) / (10.0 + k))

    def update(self) -> None:
        """Move the averages toward the params' current values."""
        w = 1.0 - self.current_decay()
        for a, p in zip(self._avg, self._params):
            a -= a.dtype.type(w) * (a - p)
        self.n_updates += 1
        if self.num_updates is not None:
            self.num_updates += 1
