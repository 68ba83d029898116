"""Early stopping on a monitored value (keras.callbacks.EarlyStopping's rule)."""
from __future__ import annotations

import math
import numbers
from typing import Optional

import numpy as np

from fastopt._validation import check_int, check_real

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Early stopping on a monitored value, by Keras's rule.

    ``stop = es.step(value)`` once per evaluation; True once training should
    stop (and from then on).

    A value is an improvement when it beats the best so far by more than
    min_delta: value < best - min_delta (mode "min") or value > best +
    min_delta (mode "max"); the first value always is.  After `patience`
    evaluations in a row without improvement, step returns True.  With a
    baseline, the wait is only reset by values that also beat the baseline
    by min_delta, so training stops after `patience` evaluations if the
    baseline is never reached.  A NaN value is never an improvement.

    Parameters
    ----------
    patience : int
        Evaluations without improvement before stopping, >= 0.
    min_delta : float
        The margin an improvement must beat the best by, finite, >= 0.
    mode : {"min", "max"}
        Whether lower or higher values are better.
    baseline : float, optional
        A value to reach (see above).

    Attributes
    ----------
    best : float or None
        The best value so far.
    best_step : int or None
        The 0-based index of the step that gave it.
    wait : int
        Evaluations since the last improvement.
    n_steps : int
        Evaluations so far.
    stopped_step : int or None
        The step that stopped training; None until then.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range.

    Examples
    --------
    >>> from fastopt import EarlyStopping
    >>> es = EarlyStopping(patience=2)
    >>> [es.step(v) for v in (1.0, 0.5, 0.6, 0.7, 0.4)]
    [False, False, False, True, True]
    >>> es.best, es.best_step, es.stopped_step
    (0.5, 1, 3)
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str = "min",
                 baseline: Optional[float] = None) -> None:
        self.patience = check_int("patience", patience, 0)
        self.min_delta = check_real("min_delta", min_delta, 0.0)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.mode = mode
        self.baseline = None if baseline is None else check_real("baseline", baseline)
        self.best, self.best_step, self.stopped_step = None, None, None
        self.wait = self.n_steps = 0

    def _improves(self, value: float, reference: Optional[float]) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def step(self, value: float) -> bool:
        """Record one evaluation's value.

        Parameters
        ----------
        value : float
            The monitored value (NaN counts as no improvement).

        Returns
        -------
        bool
            True once training should stop, and on every call after that.

        Raises
        ------
        TypeError
            If `value` is not a real number.
        """
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"value must be a real number, got {value!r}")
        value = float(value)
        if self.stopped_step is not None:
            return True
        k, self.n_steps = self.n_steps, self.n_steps + 1
        self.wait += 1
        if not math.isnan(value) and self._improves(value, self.best):
            self.best, self.best_step = value, k
            if self.baseline is None or self._improves(value, self.baseline):
                self.wait = 0
            return False
        if self.wait >= self.patience and k > 0:
            self.stopped_step = k
            return True
        return False

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta!r}, "
                f"mode={self.mode!r}, best={self.best!r}, wait={self.wait})")
