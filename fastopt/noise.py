"""Annealed Gaussian gradient noise (Neelakantan et al. 2015, "Adding
Gradient Noise Improves Learning for Very Deep Networks")::

    g_t <- g_t + N(0, sigma_t^2),   sigma_t^2 = eta / (1 + t)^gamma,

with eta in {0.01, 0.3, 1.0} and gamma = 0.55 in the paper.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np

from fastopt._validation import check_float_arrays, check_int, check_real, check_rng

__all__ = ["GradientNoise"]


Grads = Union[np.ndarray, Sequence[Optional[np.ndarray]]]


class GradientNoise:
    """Adds annealed Gaussian noise to gradients.

    ``noise(grads, t)`` adds N(0, eta / (1 + t)^gamma) to every element of
    grads in place (an array or a list of them, None entries skipped; each
    keeps its dtype -- float32 noise for float32 gradients) and returns grads.

    Parameters
    ----------
    eta : float
        The variance at t = 0; finite, >= 0.
    gamma : float
        The decay exponent; finite, >= 0.
    seed : None, int or numpy.random.Generator
        The draws come from ``numpy.random.Generator.standard_normal``, so a
        seed fixes them.

    Raises
    ------
    TypeError
        If a parameter has the wrong type.
    ValueError
        If eta or gamma is negative or not finite.

    Examples
    --------
    >>> from fastopt.noise import GradientNoise
    >>> noise = GradientNoise(eta=0.3, gamma=0.55, seed=0)
    >>> round(noise.sigma(0), 6)
    0.547723
    >>> g = noise(np.zeros(1000), t=10)
    >>> bool(abs(g.std() - noise.sigma(10)) < 0.05)
    True
    """

    def __init__(self, eta: float, gamma: float = 0.55,
                 seed: Union[None, int, np.random.Generator] = None) -> None:
        self.eta = check_real("eta", eta, 0.0)
        self.gamma = check_real("gamma", gamma, 0.0)
        self.rng = check_rng("seed", seed)

    def sigma(self, t: int) -> float:
        """The standard deviation at step t: ``sqrt(eta / (1 + t)^gamma)``.

        Parameters
        ----------
        t : int
            The step, >= 0.

        Returns
        -------
        float
            The standard deviation.
        """
        t = check_int("t", t, 0)
        try:
            base = 1.0 + t
        except OverflowError:  # t beyond float: the limit, not a traceback
            base = math.inf
        return math.sqrt(self.eta / base ** self.gamma)

    def __call__(self, grads: Grads, t: int) -> Grads:
        _, arrays = check_float_arrays("grads", grads, allow_none=True)
        sigma = self.sigma(t)
        for g in arrays:
            z = self.rng.standard_normal(g.shape, dtype=g.dtype)
            z *= g.dtype.type(sigma)
            g += z
        return grads

    def __repr__(self) -> str:
        return f"GradientNoise(eta={self.eta!r}, gamma={self.gamma!r})"
