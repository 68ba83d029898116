"""Annealed Gaussian gradient noise (Neelakantan et al. 2015, "Adding
Gradient Noise Improves Learning for Very Deep Networks"):

    g_t <- g_t + N(0, sigma_t^2),   sigma_t^2 = eta / (1 + t)^gamma,

with eta in {0.01, 0.3, 1.0} and gamma = 0.55 in the paper.
"""
import math

import numpy as np

from fastopt._validation import check_float_arrays, check_int, check_real, check_rng

__all__ = ["GradientNoise"]


class GradientNoise:
    """``noise(grads, t)`` adds N(0, eta / (1 + t)^gamma) to every element of
    grads in place (an array or a list of them, None entries skipped; each
    keeps its dtype -- float32 noise for float32 gradients) and returns grads.

    seed: None, an int or a numpy Generator; the draws come from
    numpy.random.Generator.standard_normal, so a seed fixes them.
    """

    def __init__(self, eta, gamma=0.55, seed=None):
        self.eta = check_real("eta", eta, 0.0)
        self.gamma = check_real("gamma", gamma, 0.0)
        self.rng = check_rng("seed", seed)

    def sigma(self, t):
        """The standard deviation at step t: sqrt(eta / (1 + t)^gamma)."""
        t = check_int("t", t, 0)
        try:
            base = 1.0 + t
        except OverflowError:  # t beyond float: the limit, not a traceback
            base = math.inf
        return math.sqrt(self.eta / base ** self.gamma)

    def __call__(self, grads, t):
        _, arrays = check_float_arrays("grads", grads, allow_none=True)
        sigma = self.sigma(t)
        for g in arrays:
            z = self.rng.standard_normal(g.shape, dtype=g.dtype)
            z *= g.dtype.type(sigma)
            g += z
        return grads

    def __repr__(self):
        return f"GradientNoise(eta={self.eta!r}, gamma={self.gamma!r})"
