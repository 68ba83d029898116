"""L-BFGS and L-BFGS-B: limited-memory BFGS, unconstrained or with bounds.

Without bounds the iteration follows scipy's L-BFGS-B with no bounds (Byrd,
Lu, Nocedal & Zhu; there its compact-form direction equals the two-loop one,
run here in C): H0 = (s^T y / y^T y) I from the newest pair; the first step
is min(1 / ||g||_2, 1e10) along -g and later ones start at 1; the
More-Thuente search with ftol=1e-3, gtol=0.9, xtol=0.1 and at most maxls
trials, whose warnings are accepted as the new point; a pair with
s^T y <= eps (-g^T s) is skipped; a failed search forgets the memory and
retries along -g once.

With bounds (a sequence of (lo, hi) pairs, None for no bound, or a
scipy.optimize.Bounds) it is L-BFGS-B itself (Byrd, Lu, Nocedal and Zhu 1995,
with the projection of Morales and Nocedal 2011, as scipy's): x0 is clipped
into the box; each iteration finds the generalized Cauchy point of the
quadratic model B = theta I - W M W^T (the compact representation, W =
[Y, theta S], M the 2m x 2m middle matrix) by walking the breakpoints of the
projected steepest-descent path, minimises the model over the variables
still free there (the direct primal method, Sherman-Morrison-Woodbury on
the 2m x 2m system), projects that point into the box (or, if the
projection is not a descent direction, backs off to the box), and searches
along the result with the same More-Thuente search, the step capped at the
box.  The work per iteration is O(m n) numpy operations plus O(m^2) per
breakpoint crossed.

Stops when the projected gradient's inf-norm <= gtol, when
(f_old - f) / max(|f_old|, |f|, 1) <= ftol, or after an iteration that
reaches maxiter or passes maxfun evaluations (status 1), as scipy.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union, cast

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.optimize import Bounds, LbfgsInvHessProduct, OptimizeResult

from fastopt import _kernels
from fastopt.minimize import _common as C
from fastopt.minimize.line_search import more_thuente

_MSG_PGTOL = "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"
_MSG_FTOL = "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH"
_MSG_MAXFUN = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
_MSG_MAXITER = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
_MSG_CALLBACK = "STOP: CALLBACK REQUESTED HALT"
_MSG_ABNORMAL = "ABNORMAL: "
_EPSMCH = np.finfo(float).eps

FloatArray = npt.NDArray[np.float64]
#: what _unbounded and _bounded return: x, f, g, nit, status, message, S, Y
_Run = Tuple[FloatArray, float, FloatArray, int, int, str, FloatArray, FloatArray]


def check_bounds(bounds: Any, n: int) -> tuple[FloatArray, FloatArray]:
    """bounds as (lb, ub) float arrays of length n, scipy's ways: a
    scipy.optimize.Bounds or (lo, hi) pairs with None for no bound, either
    broadcast to n as scipy's front end does (one pair serves every
    variable).  ValueError with scipy's messages for a wrong length or
    lo > hi."""
    if isinstance(bounds, Bounds):
        lb = np.asarray(bounds.lb, dtype=float)
        ub = np.asarray(bounds.ub, dtype=float)
    else:
        try:
            pairs = list(bounds)
        except TypeError:
            raise TypeError("bounds must be a sequence of (min, max) pairs or a "
                            f"scipy.optimize.Bounds, got {bounds!r}") from None
        lb, ub = np.empty(len(pairs)), np.empty(len(pairs))
        for i, pair in enumerate(pairs):
            try:
                lo, hi = pair
            except (TypeError, ValueError):
                raise TypeError(f"bounds[{i}] must be a (min, max) pair, got {pair!r}") from None
            lb[i] = -np.inf if lo is None else float(np.asarray(lo).item())
            ub[i] = np.inf if hi is None else float(np.asarray(hi).item())
    if np.isnan(lb).any() or np.isnan(ub).any():
        raise ValueError("bounds must not be NaN")
    if np.any(ub < lb):
        raise ValueError("An upper bound is less than the corresponding lower bound.")
    try:
        lb = np.broadcast_to(lb, (n,)).copy()
        ub = np.broadcast_to(ub, (n,)).copy()
    except ValueError:
        raise ValueError("The number of bounds is not compatible with the length "
                         "of `x0`.") from None
    return lb, ub


def inv_hess(S: FloatArray, Y: FloatArray) -> LbfgsInvHessProduct:
    """scipy's LbfgsInvHessProduct of the kept pairs, oldest first (none: an
    empty one)."""
    if len(S) == 0:
        n = S.shape[1]
        return LbfgsInvHessProduct(np.zeros((0, n)), np.zeros((0, n)))
    return LbfgsInvHessProduct(np.array(S), np.array(Y))


def minimize_lbfgs(fun: Callable[..., Any], x0: ArrayLike, args: Tuple[Any, ...] = (),
                   jac: Union[Callable[..., Any], str, bool, None] = None,
                   callback: Optional[Callable[..., Any]] = None, maxcor: int = 10,
                   ftol: float = 2.2204460492503131e-09, gtol: float = 1e-5,
                   eps: Union[float, ArrayLike] = 1e-8, maxfun: int = 15000,
                   maxiter: int = 15000, maxls: int = 20, disp: bool = False,
                   bounds: Any = None, finite_diff_rel_step: Optional[ArrayLike] = None,
                   workers: Optional[Callable[..., Any]] = None,
                   **unknown_options: Any) -> OptimizeResult:
    """Minimise fun by L-BFGS, or L-BFGS-B with bounds; scipy L-BFGS-B's options.

    See the module docstring for the iteration.  Stops when the projected
    gradient's inf-norm is <= gtol, when the relative reduction of f is <=
    ftol, or after an iteration that reaches maxiter or passes maxfun
    evaluations (status 1), as scipy.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, the objective (a real scalar; a size-1
        array counts).  With ``jac=True`` it returns ``(f, g)``.
    x0 : array_like
        The start, 1-D (a scalar or 0-d array is one variable; ints are
        converted).  Never modified.
    args : tuple
        Extra arguments of fun, jac (and hess, hessp).
    jac : callable, bool, str or None
        ``jac(x, *args) -> g``; True if fun returns ``(f, g)``;
        ``"2-point" | "3-point" | "cs"`` for scipy's finite differences; None
        for forward differences with the absolute step `eps`.
    callback : callable, optional
        ``callback(xk)`` or ``callback(intermediate_result=res)`` after each
        iteration; raising StopIteration stops the run (status 99).
    maxcor : int
        The number of (s, y) pairs kept, >= 1.
    ftol : float
        Stop when ``(f_old - f) / max(|f_old|, |f|, 1) <= ftol``.
    gtol : float
        Stop when the projected gradient's inf-norm is <= gtol.
    eps : float or array_like
        The absolute finite-difference step when ``jac`` is None.
    maxfun : int
        The limit on evaluations of fun.
    maxiter : int
        The iteration limit.
    maxls : int
        The limit on line-search trials per iteration.
    disp : bool
        Print a summary at the end (scipy's ``disp``).
    bounds : sequence of (float or None, float or None) or scipy.optimize.Bounds, optional
        n ``(lo, hi)`` pairs (None: no bound), one pair for all variables, or
        a Bounds; None: unconstrained.
    finite_diff_rel_step : float or array_like, optional
        The relative step of the ``"2-point" | "3-point" | "cs"`` differences
        (scipy's).
    workers : callable, optional
        A map-like callable evaluating the finite differences (e.g.
        ``Pool.map``); an integer is not supported (NotImplementedError).
    **unknown_options
        Other options are ignored with an OptimizeWarning naming them, as
        scipy does.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``status``,
        ``success``, ``message``, and ``hess_inv``
        (a ``scipy.optimize.LbfgsInvHessProduct``).

    Raises
    ------
    TypeError
        If fun, jac return something other than a real scalar / real
        array of x0's shape, or an argument has the wrong type.
    ValueError
        If x0 is not 1-D or an option is out of range (the message names it).

    Examples
    --------
    >>> from scipy.optimize import rosen, rosen_der
    >>> from fastopt.minimize import minimize_lbfgs
    >>> res = minimize_lbfgs(rosen, [-1.2, 1.0], jac=rosen_der, bounds=[(-2, 0.5), (None, None)])
    >>> bool(res.success), res.x.round(6)       # the bound x <= 0.5 is active
    (True, array([0.5 , 0.25]))
    """
    C.warn_unknown_options(unknown_options)
    xs = C.check_x0(x0, finite=False)
    n = xs.shape[0]
    maxcor = C.check_option("maxcor", maxcor, 1, integer=True)
    ftol = C.check_option("ftol", ftol, 0.0)
    gtol = C.check_option("gtol", gtol, 0.0)
    fun_limit = C.check_option("maxfun", maxfun)       # real numbers, as scipy's
    iter_limit = C.check_maxiter(maxiter, 15000)
    if not (isinstance(maxls, (int, float, np.integer, np.floating)) and maxls > 0):
        raise ValueError("maxls must be positive.")
    maxls = C.check_option("maxls", maxls, 1, integer=True)
    box: Optional[tuple[FloatArray, FloatArray]] = None    # None: unbounded
    if bounds is not None:
        lb, ub = check_bounds(bounds, n)
        if not (np.all(np.isneginf(lb)) and np.all(np.isposinf(ub))):
            box = (lb, ub)
            xs = np.clip(xs, lb, ub)      # scipy clips x0 into the box
    obj = C.Objective(fun, xs, args, jac, epsilon=eps, rel_step=finite_diff_rel_step,
                      workers=workers, bounds=box)
    cb = C.wrap_callback(callback)
    if box is not None and np.all(box[0] == box[1]):   # scipy: nothing left to minimise
        return OptimizeResult(x=xs, fun=obj.fun(xs), success=True, status=0, nit=0,
                              message="All independent variables were fixed by bounds.",
                              nfev=obj.nfev, njev=obj.njev, nhev=0)
    if box is None:
        out = _unbounded(obj, cb, xs, maxcor, ftol, gtol, fun_limit, iter_limit, maxls)
    else:
        out = _bounded(obj, cb, xs, box[0], box[1], maxcor, ftol, gtol, fun_limit,
                       iter_limit, maxls)
    x, f, g, k, status, message, S, Y = out
    if disp:
        C.print_summary(status, f, k, obj, message)
    return C.make_result(x, f, g, k, status, obj, message=message,
                         hess_inv=inv_hess(S, Y))


def _after_iteration(obj: C.Objective, cb: Optional[C.Callback], x: FloatArray, f: float,
                     k: int, maxiter: float, maxfun: float) -> Optional[tuple[int, str]]:
    """scipy's checks on each new x, before the convergence tests."""
    if C.callback_says_stop(cb, x, f):
        return C.CALLBACK, C.STATUS_MESSAGES[C.CALLBACK]
    if k >= maxiter:
        return C.MAXITER, _MSG_MAXITER
    if obj.nfev > maxfun:
        return C.MAXITER, _MSG_MAXFUN
    return None


class TwoLoopMemory:
    """The m newest pairs (s, y) in a ring, for the two-loop recursion in C
    (unbounded L-BFGS and OWL-QN): H0 = gamma I from the newest pair."""

    def __init__(self, maxcor: int, n: int) -> None:
        self.S = np.zeros((maxcor, n))
        self.Y = np.zeros((maxcor, n))
        self.rho = np.zeros(maxcor)
        self.scratch = np.zeros(maxcor)
        self.m_used, self.newest, self.gamma = 0, maxcor - 1, 1.0

    def __len__(self) -> int:
        return self.m_used

    def clear(self) -> None:
        self.m_used = 0

    def direction(self, d: FloatArray, g: FloatArray) -> None:
        """d = -H g (m_used > 0)."""
        _kernels.lbfgs_direction(d, g, self.S, self.Y, self.rho, self.scratch, self.m_used,
                                 self.newest, self.gamma)

    def add(self, s: FloatArray, y: FloatArray, sy: float) -> None:
        """Keep (s, y), sy = s . y > 0, as the newest pair."""
        maxcor = self.S.shape[0]
        self.newest = (self.newest + 1) % maxcor
        self.S[self.newest] = s
        self.Y[self.newest] = y
        self.rho[self.newest] = 1.0 / sy
        self.m_used = min(self.m_used + 1, maxcor)
        self.gamma = sy / float(np.dot(y, y))

    def kept(self) -> tuple[FloatArray, FloatArray]:
        """The kept pairs (S, Y), oldest first."""
        maxcor = self.S.shape[0]
        order = [(self.newest - t) % maxcor for t in range(self.m_used - 1, -1, -1)]
        return self.S[order], self.Y[order]


def _unbounded(obj: C.Objective, cb: Optional[C.Callback], x0: FloatArray, maxcor: int,
               ftol: float, gtol: float, maxfun: float, maxiter: float, maxls: int) -> _Run:
    n = x0.shape[0]
    mem = TwoLoopMemory(maxcor, n)
    d = np.empty(n)
    x = x0
    f, g = obj.fun_and_grad(x)
    k = 0
    if not (np.isfinite(f) and np.all(np.isfinite(g))):
        return x, f, g, 0, C.PR_LOSS, _MSG_ABNORMAL, *mem.kept()
    if np.max(np.abs(g)) <= gtol:
        return x, f, g, 0, C.SUCCESS, _MSG_PGTOL, *mem.kept()
    while True:
        if len(mem) == 0:
            np.negative(g, out=d)
            stp0 = cast(float, min(1.0 / np.linalg.norm(d), 1e10))   # a numpy float
        else:
            mem.direction(d, g)
            stp0 = 1.0
        gd = float(np.dot(g, d))
        if gd >= 0:                  # not a descent direction: forget, go along -g
            if len(mem) == 0:
                status, message = C.PR_LOSS, _MSG_ABNORMAL
                break
            mem.clear()
            continue
        x_start, f_start, g_start = x, f, g

        def phi(a: float, x_start: FloatArray = x_start) -> float:
            return obj.fun(x_start + a * d)

        def derphi(a: float, x_start: FloatArray = x_start) -> float:
            return float(np.dot(obj.grad(x_start + a * d), d))

        stp, f_new, task = more_thuente(phi, derphi, stp0, f_start, gd, 1e-3, 0.9, 0.1,
                                        0.0, 1e10, maxiter=maxls + 1)
        if stp is None or not np.isfinite(f_new):
            x, f, g = x_start, f_start, g_start
            if len(mem) == 0:
                status, message = C.PR_LOSS, _MSG_ABNORMAL
                break
            mem.clear()              # as L-BFGS-B: refresh the memory and retry
            continue
        x = x_start + stp * d
        f, g = obj.fun_and_grad(x)   # cached: the search's last trial point
        k += 1
        stop = _after_iteration(obj, cb, x, f, k, maxiter, maxfun)
        if stop is not None:
            status, message = stop
            break
        if np.max(np.abs(g)) <= gtol:
            status, message = C.SUCCESS, _MSG_PGTOL
            break
        if (f_start - f) <= ftol * max(abs(f_start), abs(f), 1.0):
            status, message = C.SUCCESS, _MSG_FTOL
            break
        s = x - x_start
        y = g - g_start
        sy = float(np.dot(s, y))
        if sy > _EPSMCH * (-gd * stp):   # curvature positive enough: keep the pair
            mem.add(s, y, sy)
    if np.isnan(f) or np.isnan(x).any():
        status = C.PR_LOSS if status == C.PR_LOSS else C.NAN
        message = message if status == C.PR_LOSS else C.STATUS_MESSAGES[C.NAN]
    return x, f, g, k, status, message, *mem.kept()


# ---- L-BFGS-B -----------------------------------------------------------------------

def _projected_gradient_norm(x: FloatArray, g: FloatArray, lb: FloatArray,
                             ub: FloatArray) -> float:
    """max |P(x - g) - x|: L-BFGS-B's stopping measure."""
    pg = np.where(g < 0, np.maximum(x - ub, g), np.minimum(x - lb, g))
    return float(np.max(np.abs(pg)))


class _Memory:
    """The m newest pairs, oldest first, with S^T Y and S^T S kept up to
    date in O(m n) per pair, and the compact representation's middle matrix
    M = [[-D, L^T], [L, theta S^T S]]^{-1}."""

    def __init__(self, m: int, n: int) -> None:
        self.m, self.n = m, n
        self.clear()

    def clear(self) -> None:
        self.S = np.zeros((0, self.n))
        self.Y = np.zeros((0, self.n))
        self.SY = np.zeros((0, 0))
        self.SS = np.zeros((0, 0))
        self.theta = 1.0

    def __len__(self) -> int:
        return int(self.S.shape[0])

    def add(self, s: FloatArray, y: FloatArray) -> None:
        if len(self) == self.m:
            self.S, self.Y = self.S[1:], self.Y[1:]
            self.SY, self.SS = self.SY[1:, 1:], self.SS[1:, 1:]
        k = len(self)
        Sy, Ys, Ss = self.S @ y, self.Y @ s, self.S @ s
        SY = np.empty((k + 1, k + 1))
        SY[:k, :k] = self.SY
        SY[:k, k] = Sy                   # s_i^T y_new
        SY[k, :k] = Ys                   # s_new^T y_j
        SY[k, k] = s @ y
        SS = np.empty((k + 1, k + 1))
        SS[:k, :k] = self.SS
        SS[:k, k] = SS[k, :k] = Ss
        SS[k, k] = s @ s
        self.S, self.Y = np.vstack([self.S, s]), np.vstack([self.Y, y])
        self.SY, self.SS = SY, SS
        self.theta = float(y @ y) / float(s @ y)

    def compact(self) -> tuple[FloatArray, FloatArray]:
        """(W^T, M): W^T = [Y; theta S] (2k x n) and the middle matrix."""
        k = len(self)
        th = self.theta
        WT = np.vstack([self.Y, th * self.S])
        D = np.diag(np.diag(self.SY))
        L = np.tril(self.SY, -1)
        K = np.block([[-D, L.T], [L, th * self.SS]])
        return WT, np.linalg.inv(K) if k else np.zeros((0, 0))


def _cauchy_point(x: FloatArray, g: FloatArray, lb: FloatArray, ub: FloatArray,
                  mem: _Memory, WT: FloatArray, M: FloatArray,
                  ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """The generalized Cauchy point: the first local minimiser of the model
    along the projected path x(t) = P(x - t g), found by walking the
    breakpoints in order (Byrd et al. 1995, section 4).  Returns (xcp, c,
    free): c = W^T (xcp - x) and the mask of variables not at a bound there."""
    theta = mem.theta
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(g < 0, (x - ub) / g, np.where(g > 0, (x - lb) / g, np.inf))
    t = np.where(np.isnan(t), np.inf, t)
    d = np.where(t == 0, 0.0, -g)
    xcp = np.copy(x)
    fixed = t == 0                       # at a bound, the gradient pushing out
    p = WT @ d
    c = np.zeros(WT.shape[0])
    f1 = -float(d @ d)
    f2 = -theta * f1 - (float(p @ (M @ p)) if len(mem) else 0.0)
    f2_org = f2
    if f2 <= 0:
        f2 = _EPSMCH * max(abs(f2_org), 1.0)
    dtm = -f1 / f2
    told = 0.0
    cand = np.flatnonzero((t > 0) & np.isfinite(t))
    order = cand[np.argsort(t[cand], kind="stable")]
    hit_all = True
    for b in order:
        tb = t[b]
        dt = tb - told
        if dtm < dt:
            hit_all = False
            break
        xcp[b] = ub[b] if d[b] > 0 else lb[b]
        zb = xcp[b] - x[b]
        c += dt * p
        gb = g[b]
        wb = WT[:, b]
        if len(mem):
            Mc, Mp, Mw = M @ c, M @ p, M @ wb
            f1 += dt * f2 + gb * gb + theta * gb * zb - gb * float(wb @ Mc)
            f2 += -theta * gb * gb - 2.0 * gb * float(wb @ Mp) - gb * gb * float(wb @ Mw)
        else:
            f1 += dt * f2 + gb * gb + theta * gb * zb
            f2 += -theta * gb * gb
        f2 = max(_EPSMCH * f2_org, f2)
        p += gb * wb
        d[b] = 0.0
        fixed[b] = True
        dtm = -f1 / f2 if f2 > 0 else np.inf
        told = tb
    if hit_all and not np.any(d):
        dtm = 0.0
    dtm = max(dtm, 0.0) if np.isfinite(dtm) else 0.0
    told += dtm
    free = ~fixed
    xcp[free] = x[free] + told * d[free]
    c += dtm * p
    return np.clip(xcp, lb, ub), c, free & (lb != ub)


def _subspace_min(x: FloatArray, g: FloatArray, lb: FloatArray, ub: FloatArray,
                  xcp: FloatArray, c: FloatArray, free: npt.NDArray[np.bool_], mem: _Memory,
                  WT: FloatArray, M: FloatArray) -> FloatArray:
    """Minimise the model over the free variables from xcp (direct primal
    method), then project into the box; if that projection is not a descent
    direction, back off along the unconstrained step to the box instead."""
    Z = np.flatnonzero(free)
    if Z.size == 0:
        return xcp
    theta = mem.theta
    if len(mem):
        WZ = WT[:, Z]
        r = g[Z] + theta * (xcp[Z] - x[Z]) - WZ.T @ (M @ c)
        v = M @ (WZ @ r)
        N = np.eye(WT.shape[0]) - (M @ (WZ @ WZ.T)) / theta
        u = np.linalg.solve(N, v)
        du = -(r / theta + (WZ.T @ u) / theta ** 2)
    else:
        r = g[Z] + theta * (xcp[Z] - x[Z])
        du = -r / theta
    xbar = np.copy(xcp)
    xbar[Z] = np.clip(xcp[Z] + du, lb[Z], ub[Z])
    if float((xbar - x) @ g) <= 0:
        return xbar
    # the projected point does not descend: the longest step alpha <= 1 along du
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(du < 0, (lb[Z] - xcp[Z]) / du,
                        np.where(du > 0, (ub[Z] - xcp[Z]) / du, np.inf))
    alpha = float(min(1.0, np.min(np.where(np.isnan(room), np.inf, room))))
    xbar = np.copy(xcp)
    xbar[Z] = np.clip(xcp[Z] + max(alpha, 0.0) * du, lb[Z], ub[Z])
    return xbar


def _max_step(x: FloatArray, d: FloatArray, lb: FloatArray, ub: FloatArray) -> float:
    """The largest step along d that stays in the box (L-BFGS-B's stpmx)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(d < 0, (lb - x) / d, np.where(d > 0, (ub - x) / d, np.inf))
    room = np.where(np.isnan(room), np.inf, room)
    return float(min(1e10, max(0.0, np.min(room))))


def _bounded(obj: C.Objective, cb: Optional[C.Callback], x0: FloatArray,
             lb: FloatArray, ub: FloatArray, maxcor: int, ftol: float, gtol: float,
             maxfun: float, maxiter: float, maxls: int) -> _Run:
    n = x0.shape[0]
    mem = _Memory(maxcor, n)
    boxed = bool(np.all(np.isfinite(lb)) and np.all(np.isfinite(ub)))
    x = x0
    f, g = obj.fun_and_grad(x)
    k = 0
    if not (np.isfinite(f) and np.all(np.isfinite(g))):
        return x, f, g, 0, C.PR_LOSS, _MSG_ABNORMAL, mem.S, mem.Y
    if _projected_gradient_norm(x, g, lb, ub) <= gtol:
        return x, f, g, 0, C.SUCCESS, _MSG_PGTOL, mem.S, mem.Y
    status: int                      # set by every break below
    message: str
    while True:
        WT, M = mem.compact()
        xcp, c, free = _cauchy_point(x, g, lb, ub, mem, WT, M)
        xbar = _subspace_min(x, g, lb, ub, xcp, c, free, mem, WT, M)
        d = xbar - x
        gd = float(g @ d)
        ok = gd < 0
        if ok:
            stpmx = 1.0 if k == 0 else _max_step(x, d, lb, ub)
            stp0 = (cast(float, min(1.0 / np.linalg.norm(d), stpmx))
                    if (k == 0 and not boxed) else 1.0)
            stp0 = min(stp0, stpmx)

            def point(a: float, x: FloatArray = x, d: FloatArray = d,
                      xbar: FloatArray = xbar) -> FloatArray:
                return xbar if a == 1.0 else np.clip(x + a * d, lb, ub)

            def phi(a: float) -> float:
                return obj.fun(point(a))

            def derphi(a: float) -> float:
                return float(obj.grad(point(a)) @ d)

            stp, f_new, task = more_thuente(phi, derphi, stp0, f, gd, 1e-3, 0.9, 0.1,
                                            0.0, stpmx, maxiter=maxls + 1)
            ok = stp is not None and np.isfinite(f_new)
        if not ok:
            if len(mem) == 0:
                status, message = C.PR_LOSS, _MSG_ABNORMAL
                break
            mem.clear()              # refresh the memory and restart from x
            continue
        assert stp is not None       # ok
        x_new = point(stp)
        f_new, g_new = obj.fun_and_grad(x_new)
        s, y = x_new - x, g_new - g
        f_old = f
        x, f, g = x_new, f_new, g_new
        k += 1
        stop = _after_iteration(obj, cb, x, f, k, maxiter, maxfun)
        if stop is not None:
            status, message = stop
            break
        if _projected_gradient_norm(x, g, lb, ub) <= gtol:
            status, message = C.SUCCESS, _MSG_PGTOL
            break
        if (f_old - f) <= ftol * max(abs(f_old), abs(f), 1.0):
            status, message = C.SUCCESS, _MSG_FTOL
            break
        sy = float(s @ y)
        if sy > _EPSMCH * (-gd * stp):   # curvature positive enough: keep the pair
            mem.add(s, y)
    if np.isnan(f) or np.isnan(x).any():
        if status != C.PR_LOSS:
            status, message = C.NAN, C.STATUS_MESSAGES[C.NAN]
    return x, f, g, k, status, message, mem.S, mem.Y
