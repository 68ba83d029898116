"""Classic two-dimensional test problems for optimizers.

Each problem is a small object with

* ``value(x)``        -- f(x); ``x`` is a point of shape (2,), or a stack of
                         points of shape (2, ...) (e.g. ``np.stack(np.meshgrid(
                         xs, ys))``), in which case an array of values comes
                         back -- handy for drawing contours;
* ``grad(x, out=None)`` -- the analytic gradient at a single point, shape (2,)
                         (written into ``out`` when one is given);
* ``start``           -- the conventional starting point (a fresh copy each
                         time it is read, so it can be handed to an optimizer,
                         which updates its parameters in place);
* ``minimiser``, ``min_value`` -- the global minimiser and minimum, or None
                         where f is unbounded below;
* ``stationary_point`` -- the point ``distance(x)`` measures from: the
                         minimiser, or the saddle point where there is none;
* ``reached(f, tol)`` -- whether the value ``f`` counts as "solved" at
                         tolerance ``tol``: f - f* <= tol where a minimum
                         exists, and f below ``escape_value`` (the tolerance
                         is ignored) for the saddle;
* ``xlim``, ``ylim``  -- a window that shows the interesting part of the
                         landscape (and the start point) for plots;
* ``name``, ``key``, ``formula`` -- for tables, titles and command lines.

The problems are independent of fastopt; ``fastopt demo`` runs every dense
update rule on them (see fastopt/demo.py).

``SparseRegression`` is of another kind: a seeded synthetic L1-regularised
least-squares problem in d dimensions (a lasso) with stochastic mini-batch
gradients, on which ``fastopt demo`` shows why the proximal rules exist --
they produce exact zeros, SGD with an L1 subgradient does not.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["Problem", "IllConditionedQuadratic", "Rosenbrock", "Beale", "Saddle",
           "PROBLEMS", "get_problem", "SparseRegression"]


class Problem:
    """Base class: a smooth function of two variables with a start point.

    See the module docstring for the members every problem has.

    Examples
    --------
    >>> from fastopt.problems import Rosenbrock
    >>> p = Rosenbrock()
    >>> p.start, float(p.value(p.start)), p.grad(p.minimiser) == 0
    (array([-1.2,  1. ]), 24.199999999999996, array([ True,  True]))
    >>> p.value(np.zeros((2, 3, 4))).shape          # a stack of points
    (3, 4)
    """

    key = ""          # short name for command lines ("quadratic", ...)
    name = ""         # human-readable title
    formula = ""      # one-line formula, plain text
    xlim = (-2.0, 2.0)
    ylim = (-2.0, 2.0)
    _start: Tuple[float, float] = (0.0, 0.0)
    _minimiser: Optional[Tuple[float, float]] = None
    min_value: Optional[float] = None

    @property
    def start(self) -> np.ndarray:
        """The starting point, a new float64 array of shape (2,)."""
        return np.array(self._start, dtype=np.float64)

    @property
    def minimiser(self) -> Optional[np.ndarray]:
        """The global minimiser as a new array, or None if there is none."""
        if self._minimiser is None:
            return None
        return np.array(self._minimiser, dtype=np.float64)

    def value(self, x: Any) -> Any:
        """The function's value.

        Parameters
        ----------
        x : array_like
            A point of shape (2,), or a stack of points of shape (2, ...).

        Returns
        -------
        float or numpy.ndarray
            f(x): a scalar for one point, an array of shape ``x.shape[1:]``
            for a stack.
        """
        raise NotImplementedError

    def grad(self, x: Any, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The analytic gradient at one point.

        Parameters
        ----------
        x : array_like
            A point of shape (2,).
        out : numpy.ndarray, optional
            A writeable float array of shape (2,) to write into; may be x
            itself, but must not overlap it otherwise.

        Returns
        -------
        numpy.ndarray
            `out`, or a new float64 array of shape (2,).

        Raises
        ------
        TypeError, ValueError
            If `out` is not a writeable float array of shape (2,) or overlaps
            x partially.
        """
        raise NotImplementedError

    __call__ = value

    def reached(self, f: float, tol: Optional[float]) -> bool:
        """Whether the value f counts as solved: within tol of the minimum.

        Parameters
        ----------
        f : float
            A value of the function.
        tol : float
            The tolerance on ``f - min_value``.

        Returns
        -------
        bool
            ``f - min_value <= tol``.
        """
        if self.min_value is None or tol is None:
            raise ValueError(f"{type(self).__name__} has no minimum to be within tol of")
        return f - self.min_value <= tol

    @property
    def stationary_point(self) -> np.ndarray:
        """The minimiser, or for a problem without one its saddle point."""
        return np.array(self._stationary, dtype=np.float64)

    @property
    def _stationary(self) -> Optional[Tuple[float, float]]:
        return self._minimiser

    def distance(self, x: Any) -> float:
        """Euclidean distance from x to the stationary point.

        Parameters
        ----------
        x : array_like
            A point of shape (2,).

        Returns
        -------
        float
            The distance to `stationary_point`.
        """
        st = self._stationary
        if st is None:    # a problem with neither a minimiser nor a stationary point
            raise TypeError(f"{type(self).__name__} has no stationary point")
        sx, sy = st
        return float(np.hypot(x[0] - sx, x[1] - sy))

    @staticmethod
    def _out(out: Optional[np.ndarray], x: Any) -> np.ndarray:
        """out, checked, or a new (2,) array.  The grads write the two
        components one at a time from values read first, so out may be x
        itself but must not overlap it otherwise."""
        if out is None:
            return np.empty(2, dtype=np.float64)
        if not isinstance(out, np.ndarray) or out.dtype.kind != "f":
            raise TypeError(f"out must be None or a float numpy array, got {out!r}")
        if out.shape != (2,):
            raise ValueError(f"out must have shape (2,), got {out.shape}")
        if not out.flags.writeable:
            raise ValueError("out is read-only; the gradient is written into it")
        if (isinstance(x, np.ndarray) and np.shares_memory(out, x)
                and not (out.__array_interface__ == x.__array_interface__)):
            raise ValueError("out overlaps x partially; pass out=x or a separate array")
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class IllConditionedQuadratic(Problem):
    """f(x, y) = 0.5 (x^2 + kappa y^2) = 0.5 p^T A p with A = diag(1, kappa).

    The condition number is kappa (default 50): plain gradient descent must
    take lr < 2 / kappa to be stable along y, and then crawls along x at the
    rate 1 - lr per step, zig-zagging across the narrow valley on the way --
    the textbook case for momentum and per-coordinate scaling.  Start
    (-4, 1): far out along the flat direction, off-axis along the steep one,
    so the zig-zag is visible.  Minimum 0 at (0, 0).

    Parameters
    ----------
    kappa : float
        The condition number, >= 1.

    Raises
    ------
    ValueError
        If kappa is not a number >= 1.
    """

    key = "quadratic"
    name = "Ill-conditioned quadratic"
    _start = (-4.0, 1.0)
    _minimiser = (0.0, 0.0)
    min_value = 0.0
    xlim = (-4.5, 4.5)
    ylim = (-1.5, 1.5)

    def __init__(self, kappa: float = 50.0) -> None:
        kappa = float(kappa)
        if not kappa >= 1.0:
            raise ValueError(f"kappa must be >= 1, got {kappa!r}")
        self.kappa = kappa
        self.formula = f"f = (x^2 + {kappa:g} y^2) / 2"

    def value(self, x: Any) -> Any:
        return 0.5 * (x[0] * x[0] + self.kappa * x[1] * x[1])

    def grad(self, x: Any, out: Optional[np.ndarray] = None) -> np.ndarray:
        out = self._out(out, x)
        out[0] = x[0]
        out[1] = self.kappa * x[1]
        return out

    def __repr__(self) -> str:
        return f"IllConditionedQuadratic(kappa={self.kappa:g})"


class Rosenbrock(Problem):
    """Rosenbrock's banana, f(x, y) = (a - x)^2 + b (y - x^2)^2.

    Defaults a = 1, b = 100, from the classic start (-1.2, 1).  The minimum
    0 at (a, a^2) lies at the end of a long, curved, flat-bottomed valley:
    finding the valley is easy, following it to the end is not.

    Parameters
    ----------
    a : float
        The minimiser is ``(a, a^2)``.
    b : float
        The weight of the valley's walls.
    """

    key = "rosenbrock"
    name = "Rosenbrock"
    _start = (-1.2, 1.0)
    xlim = (-2.0, 2.0)
    ylim = (-1.0, 3.0)

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = float(a)
        self.b = float(b)
        self._minimiser = (self.a, self.a * self.a)
        self.min_value = 0.0
        self.formula = f"f = ({self.a:g} - x)^2 + {self.b:g} (y - x^2)^2"

    def value(self, x: Any) -> Any:
        u = self.a - x[0]
        v = x[1] - x[0] * x[0]
        return u * u + self.b * v * v

    def grad(self, x: Any, out: Optional[np.ndarray] = None) -> np.ndarray:
        out = self._out(out, x)
        x0 = x[0]
        v = x[1] - x0 * x0
        out[0] = -2.0 * (self.a - x0) - 4.0 * self.b * x0 * v
        out[1] = 2.0 * self.b * v
        return out

    def hess(self, x: Any) -> np.ndarray:
        """The 2 x 2 Hessian at a single point (for Newton's method).

        Parameters
        ----------
        x : array_like
            A point of shape (2,).

        Returns
        -------
        numpy.ndarray
            A new float64 array of shape (2, 2).
        """
        x0, x1 = x[0], x[1]
        return np.array([[2.0 - 4.0 * self.b * (x1 - 3.0 * x0 * x0), -4.0 * self.b * x0],
                         [-4.0 * self.b * x0, 2.0 * self.b]])

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


class Beale(Problem):
    """Beale's function, f(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2
    + (2.625 - x + x y^3)^2.

    Minimum 0 at (3, 0.5), at the end of a narrow curved valley; the
    function climbs steeply (as y^6) away from y in [-1, 1], and the plateau
    near the x axis (f ~ 14 at (0, 0)) has small gradients.  Start (1, 1.5):
    on the steep side, where the gradient is large and rules without
    per-coordinate scaling must take small steps.
    """

    key = "beale"
    name = "Beale"
    formula = "f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    _start = (1.0, 1.5)
    _minimiser = (3.0, 0.5)
    min_value = 0.0
    xlim = (-1.0, 4.5)
    ylim = (-1.5, 2.0)

    def value(self, x: Any) -> Any:
        u, v = x[0], x[1]
        t1 = 1.5 - u + u * v
        t2 = 2.25 - u + u * v * v
        t3 = 2.625 - u + u * v * v * v
        return t1 * t1 + t2 * t2 + t3 * t3

    def grad(self, x: Any, out: Optional[np.ndarray] = None) -> np.ndarray:
        out = self._out(out, x)
        u, v = x[0], x[1]
        v2 = v * v
        t1 = 2.0 * (1.5 - u + u * v)
        t2 = 2.0 * (2.25 - u + u * v2)
        t3 = 2.0 * (2.625 - u + u * v2 * v)
        out[0] = t1 * (v - 1.0) + t2 * (v2 - 1.0) + t3 * (v2 * v - 1.0)
        out[1] = u * (t1 + 2.0 * v * t2 + 3.0 * v2 * t3)
        return out


class Saddle(Problem):
    """The saddle f(x, y) = x^2 - y^2: a stationary point at (0, 0) that is
    not a minimum, and no minimum at all (f is unbounded below along y).

    The start (1, 1e-3) is just off the ridge y = 0: the gradient pulls x to
    0 quickly and pushes y away only in proportion to y itself, so plain
    gradient descent first stalls near the saddle point and then escapes
    exponentially.  Since there is no minimum, "solved" means *escaped*:
    f has gone below ``escape_value`` (default -1, i.e.
    ``|y| > sqrt(1 + x^2)``),
    and the tolerance is ignored; ``stationary_point`` is the saddle point
    (0, 0).  The final value tells how far a method got -- gradient descent
    runs away exponentially, sign-like methods (Adam and friends) linearly.

    Parameters
    ----------
    escape_value : float
        "Solved" means f < escape_value.
    start : tuple of float
        The start point.
    """

    key = "saddle"
    name = "Saddle"
    formula = "f = x^2 - y^2"
    _minimiser = None
    _stationary = (0.0, 0.0)
    min_value = None
    xlim = (-1.5, 1.5)
    ylim = (-1.5, 1.5)

    def __init__(self, escape_value: float = -1.0,
                 start: Tuple[float, float] = (1.0, 1e-3)) -> None:
        self.escape_value = float(escape_value)
        self._start = (float(start[0]), float(start[1]))

    def value(self, x: Any) -> Any:
        return x[0] * x[0] - x[1] * x[1]

    def grad(self, x: Any, out: Optional[np.ndarray] = None) -> np.ndarray:
        out = self._out(out, x)
        out[0] = 2.0 * x[0]
        out[1] = -2.0 * x[1]
        return out

    def reached(self, f: float, tol: Optional[float] = None) -> bool:
        """Whether the saddle has been escaped: f < escape_value.

        Parameters
        ----------
        f : float
            A value of the function.
        tol : float, optional
            Ignored (there is no minimum to be near).

        Returns
        -------
        bool
            ``f < escape_value``.
        """
        return f < self.escape_value

    def __repr__(self) -> str:
        return f"Saddle(escape_value={self.escape_value:g}, start={self._start})"


PROBLEMS = (IllConditionedQuadratic, Rosenbrock, Beale, Saddle)


def get_problem(key: str) -> Problem:
    """A problem with default parameters, by its key.

    Parameters
    ----------
    key : {"quadratic", "rosenbrock", "beale", "saddle"}
        The problem's ``key``.

    Returns
    -------
    Problem
        A new instance.

    Raises
    ------
    KeyError
        If no problem has that key.

    Examples
    --------
    >>> from fastopt.problems import get_problem
    >>> get_problem("beale").minimiser
    array([3. , 0.5])
    """
    for cls in PROBLEMS:
        if cls.key == key:
            return cls()
    raise KeyError(f"no problem {key!r}; choose from "
                   + ", ".join(c.key for c in PROBLEMS))


class SparseRegression:
    """A seeded synthetic lasso: minimise F(w) = f(w) + l1 ||w||_1 with the
    smooth least-squares loss f(w) = ||X w - y||^2 / (2 n).

    X is n x d with independent N(0, 1) entries, y = X w_true + noise e with
    e ~ N(0, 1), and w_true has k non-zeros (the true support, chosen at
    random) of magnitude uniform in [0.5, 1.5] and random sign.  Everything
    is float64 and drawn from ``numpy.random.default_rng(seed)``: the same
    arguments give the same problem, bit for bit.

    Stochastic gradients: ``batches(steps)`` gives a (steps, batch_size)
    array of sample indices (with replacement, from its own seeded stream,
    the same on every call), and ``grad(w, idx)`` the mini-batch gradient
    ``X_B^T (X_B w - y_B) / |B|`` of the smooth part only -- the l1 term is the
    optimizer's business (a proximal step, or a subgradient l1 sign(w) added
    by hand).  ``grad(w)`` without indices is the full gradient of f.

    Other members: ``loss(w)`` = f(w); ``objective(w)`` = F(w);
    ``w_true`` and ``support`` (sorted indices of its non-zeros), fresh
    copies; ``start`` = zeros(d); ``solution()``, the lasso minimiser w* (by
    FISTA on the full problem, to high accuracy, cached) and ``min_value``
    = F(w*).  With the defaults (n = 1000, d = 100, k = 10, noise 0.1,
    l1 = 0.1, batches of 50) w* has exactly the true support, and l1 is
    above the mini-batch gradient noise of the off-support coordinates near
    w*, so that a proximal step can keep them at exactly 0.

    Parameters
    ----------
    n : int
        Samples, >= 1.
    d : int
        Features, >= 1.
    k : int
        True non-zeros, ``0 <= k <= d``.
    noise : float
        The noise's standard deviation, >= 0.
    l1 : float
        The L1 weight, >= 0.
    batch_size : int
        Samples per mini-batch, ``1 <= batch_size <= n``.
    seed : int
        The seed of everything random.

    Raises
    ------
    ValueError
        If a size or weight is out of range.

    Examples
    --------
    >>> import fastopt
    >>> from fastopt.problems import SparseRegression
    >>> p = SparseRegression()
    >>> w = p.start
    >>> opt = fastopt.ProximalSGD(w, lr=0.01, l1=p.l1)
    >>> for idx in p.batches(2000):
    ...     opt.step(p.grad(w, idx))
    >>> int((w == 0).sum()), int((w[p.support] == 0).sum())   # 90 weights are 0 in w*
    (89, 0)
    >>> bool(p.objective(w) - p.min_value < 1e-4)
    True
    """

    key = "sparse"
    name = "L1-regularised regression"

    def __init__(self, n: int = 1000, d: int = 100, k: int = 10, noise: float = 0.1,
                 l1: float = 0.1, batch_size: int = 50, seed: int = 0) -> None:
        n, d, k, batch_size = int(n), int(d), int(k), int(batch_size)
        if not (n >= 1 and d >= 1 and 0 <= k <= d and 1 <= batch_size <= n):
            raise ValueError(f"need n >= 1, d >= 1, 0 <= k <= d and "
                             f"1 <= batch_size <= n; got n={n}, d={d}, k={k}, "
                             f"batch_size={batch_size}")
        if not (noise >= 0 and l1 >= 0):
            raise ValueError(f"noise and l1 must be >= 0, got {noise!r}, {l1!r}")
        self.n, self.d, self.k = n, d, k
        self.noise, self.l1 = float(noise), float(l1)
        self.batch_size, self.seed = batch_size, int(seed)
        rng = np.random.default_rng(self.seed)
        self.X = rng.standard_normal((n, d))
        w = np.zeros(d)
        support = np.sort(rng.choice(d, size=k, replace=False))
        w[support] = rng.uniform(0.5, 1.5, k) * rng.choice([-1.0, 1.0], k)
        self._w_true = w
        self._support = support
        self.y = self.X @ w + self.noise * rng.standard_normal(n)
        self._solution: Optional[np.ndarray] = None
        self.formula = (f"F(w) = |X w - y|^2 / (2 n) + {self.l1:g} |w|_1, "
                        f"n={n}, d={d}, k={k}")

    @property
    def w_true(self) -> np.ndarray:
        """The true weights, a new float64 array of shape (d,)."""
        return self._w_true.copy()

    @property
    def support(self) -> np.ndarray:
        """Sorted indices of the true non-zeros."""
        return self._support.copy()

    @property
    def start(self) -> np.ndarray:
        """w = 0, a new float64 array of shape (d,)."""
        return np.zeros(self.d)

    def batches(self, steps: int) -> np.ndarray:
        """Sample indices of mini-batches, the same on every call.

        Parameters
        ----------
        steps : int
            The number of mini-batches.

        Returns
        -------
        numpy.ndarray
            ``(steps, batch_size)`` int64 indices, drawn with replacement.
        """
        rng = np.random.default_rng([self.seed, 1])
        return rng.integers(0, self.n, size=(int(steps), self.batch_size))

    def grad(self, w: np.ndarray, idx: Optional[Any] = None,
             out: Optional[np.ndarray] = None) -> np.ndarray:
        """Gradient of the smooth part f at w.

        Parameters
        ----------
        w : numpy.ndarray
            The weights, shape (d,).
        idx : array_like of int, optional
            The samples of a mini-batch (a row of `batches`); None: all
            samples.
        out : numpy.ndarray, optional
            Where to write the gradient (shape (d,)).

        Returns
        -------
        numpy.ndarray
            ``X_B^T (X_B w - y_B) / |B|``: `out`, or a new array.
        """
        if idx is None:
            X, y = self.X, self.y
        else:
            X, y = self.X[idx], self.y[idx]
        g: np.ndarray = X.T @ (X @ w - y)
        g /= len(y)
        if out is None:
            return g
        out[...] = g
        return out

    def loss(self, w: np.ndarray) -> float:
        """The smooth part ``f(w) = ||X w - y||^2 / (2 n)``.

        Parameters
        ----------
        w : numpy.ndarray
            The weights, shape (d,).

        Returns
        -------
        float
            f(w).
        """
        r = self.X @ w - self.y
        return float(r @ r) / (2 * self.n)

    def objective(self, w: np.ndarray) -> float:
        """The lasso objective ``F(w) = f(w) + l1 ||w||_1``.

        Parameters
        ----------
        w : numpy.ndarray
            The weights, shape (d,).

        Returns
        -------
        float
            F(w).
        """
        return self.loss(w) + self.l1 * float(np.abs(w).sum())

    __call__ = objective

    def solution(self, iters: int = 3000) -> np.ndarray:
        """The lasso minimiser w*.

        FISTA with step 1/L on the full problem, computed once and cached.

        Parameters
        ----------
        iters : int
            FISTA iterations of the first call (later calls return the cached
            solution).

        Returns
        -------
        numpy.ndarray
            A new copy of w*, shape (d,).
        """
        if self._solution is None:
            L = np.linalg.norm(self.X, 2) ** 2 / self.n
            w = z = np.zeros(self.d)
            t = 1.0
            for _ in range(iters):
                v = z - self.grad(z) / L
                w_next = np.sign(v) * np.maximum(np.abs(v) - self.l1 / L, 0.0)
                t_next = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
                z = w_next + ((t - 1) / t_next) * (w_next - w)
                w, t = w_next, t_next
            self._solution = w
        return self._solution.copy()

    @property
    def min_value(self) -> float:
        """F(w*), the minimum of the objective."""
        return self.objective(self.solution())

    def __repr__(self) -> str:
        return (f"SparseRegression(n={self.n}, d={self.d}, k={self.k}, "
                f"noise={self.noise:g}, l1={self.l1:g}, "
                f"batch_size={self.batch_size}, seed={self.seed})")
