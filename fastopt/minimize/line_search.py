"""Line searches along xk + alpha pk: strong Wolfe (More-Thuente and zoom) and Armijo.

* `wolfe1`: More and Thuente's safeguarded cubic/quadratic search (MINPACK-2's
  dcsrch/dcstep), the search scipy's BFGS and CG try first.  Written here
  step for step after the published algorithm so that, given the same
  function values, it proposes the same trial steps as scipy's port.
* `wolfe2`: bracketing and zoom (Nocedal & Wright, Algorithms 3.5 and 3.6),
  the fallback; also the public `line_search`, whose arguments and return
  values are scipy.optimize.line_search's.
* `wolfe12`: wolfe1, then wolfe2 if it fails; raises LineSearchError if
  both fail (the methods then stop with the precision-loss status).
* `backtracking`: halve (or shrink) alpha until the Armijo condition holds.

Internal searches take f(x) and fprime(x) already bound to their `args`.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Optional, Tuple

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.optimize._linesearch import LineSearchWarning  # not re-exported publicly

from fastopt.minimize._common import check_real_array, check_real_input, check_scalar_value

__all__ = ["line_search", "LineSearchError"]

FloatArray = npt.NDArray[np.float64]
#: phi(alpha) or its derivative along the ray
ScalarFun = Callable[[float], float]
#: scipy's line_search result: alpha, fc, gc, new f, old f, new gradient
LineSearchResult = Tuple[Optional[float], int, int, Optional[float], Optional[float],
                         Optional[FloatArray]]


class LineSearchError(RuntimeError):
    """No step satisfying the line-search conditions was found.

    Raised by the internal searches; the methods catch it and stop with the
    precision-loss status (2).  `line_search` itself returns None values
    instead, as scipy's does.
    """


def _check_c1_c2(c1: float, c2: float) -> None:
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"c1 and c2 must satisfy 0 < c1 < c2 < 1, got c1={c1!r}, c2={c2!r}")


def _initial_step(phi0: float, old_phi0: Optional[float], derphi0: float) -> float:
    """Step that would reach the previous decrease again, capped at 1."""
    if old_phi0 is not None and derphi0 != 0:
        alpha1 = min(1.0, 1.01 * 2 * (phi0 - old_phi0) / derphi0)
        return 1.0 if alpha1 < 0 else alpha1
    return 1.0


# ---------------------------------------------------------------- More-Thuente
def _dcstep(stx: float, fx: float, dx: float, sty: float, fy: float, dy: float, stp: float,
            fp: float, dp: float, brackt: bool, stpmin: float, stpmax: float,
            ) -> tuple[float, float, float, float, float, float, float, bool]:
    """One safeguarded step of More-Thuente: the new trial step and interval."""
    sgnd = np.sign(dp) * np.sign(dx)
    if fp > fx:                       # higher value: the minimum is bracketed
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        stpc = stx + (p / q) * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) <= abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:                  # derivatives of opposite sign: bracketed
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        stpc = stp + (p / q) * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):           # same sign, derivative decreasing
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt(max(0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0 and gamma != 0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:
            stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
            if stp > stx:
                stpf = min(stp + 0.66 * (sty - stp), stpf)
            else:
                stpf = max(stp + 0.66 * (sty - stp), stpf)
        else:
            stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
            stpf = np.clip(stpf, stpmin, stpmax)
    elif brackt:                      # same sign, not decreasing, bracketed
        theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
        s = max(abs(theta), abs(dy), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dy / s) * (dp / s))
        if stp > sty:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dy
        stpf = stp + (p / q) * (sty - stp)
    else:
        stpf = stpmax if stp > stx else stpmin
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt


def more_thuente(phi: ScalarFun, derphi: ScalarFun, stp: float, phi0: float, derphi0: float,
                 ftol: float, gtol: float, xtol: float, stpmin: float, stpmax: float,
                 maxiter: int = 100) -> tuple[Optional[float], float, str]:
    """Find stp with phi(stp) <= phi0 + ftol stp phi'(0), |phi'(stp)| <= gtol |phi'(0)|.

    Returns (stp, phi(stp), task): task "conv" on success; "warn" when
    dcsrch stops short (rounding errors, interval below xtol, stp at a bound;
    stp is then the last step tried, which L-BFGS-B accepts and the Wolfe
    searches do not); "error" (bad arguments, a non-finite step or maxiter
    trials), stp None.
    """
    if stp < stpmin or stp > stpmax or derphi0 >= 0 or stpmax < stpmin:
        return None, phi0, "error"
    xtrapl, xtrapu = 1.1, 4.0
    brackt, stage = False, 1
    finit, ginit = phi0, derphi0
    gtest = ftol * ginit
    width = stpmax - stpmin
    width1 = width / 0.5
    stx = sty = 0.0
    fx = fy = finit
    gx = gy = ginit
    stmin, stmax = 0.0, stp + xtrapu * stp
    f = phi0
    for _ in range(maxiter - 1):      # dcsrch's first call only sets up
        if not np.isfinite(stp):
            return None, f, "error"
        f = phi(stp)
        g = derphi(stp)
        ftest = finit + stp * gtest
        if stage == 1 and f <= ftest and g >= 0:
            stage = 2
        if f <= ftest and abs(g) <= gtol * -ginit:
            return stp, f, "conv"
        if ((brackt and (stp <= stmin or stp >= stmax))     # rounding errors
                or (brackt and stmax - stmin <= xtol * stmax)
                or (stp == stpmax and f <= ftest and g <= gtest)
                or (stp == stpmin and (f > ftest or g >= gtest))):
            return stp, f, "warn"
        with np.errstate(invalid="ignore", over="ignore"):
            if stage == 1 and f <= fx and f > ftest:
                # modified function psi(a) = phi(a) - phi(0) - a gtest
                fm, fxm, fym = f - stp * gtest, fx - stx * gtest, fy - sty * gtest
                gm, gxm, gym = g - gtest, gx - gtest, gy - gtest
                stx, fxm, gxm, sty, fym, gym, stp, brackt = _dcstep(
                    stx, fxm, gxm, sty, fym, gym, stp, fm, gm, brackt, stmin, stmax)
                fx, fy = fxm + stx * gtest, fym + sty * gtest
                gx, gy = gxm + gtest, gym + gtest
            else:
                stx, fx, gx, sty, fy, gy, stp, brackt = _dcstep(
                    stx, fx, gx, sty, fy, gy, stp, f, g, brackt, stmin, stmax)
        if brackt:
            if abs(sty - stx) >= 0.66 * width1:   # force sufficient shrinkage
                stp = stx + 0.5 * (sty - stx)
            width1, width = width, abs(sty - stx)
            stmin, stmax = min(stx, sty), max(stx, sty)
        else:
            stmin = stp + xtrapl * (stp - stx)
            stmax = stp + xtrapu * (stp - stx)
        stp = np.clip(stp, stpmin, stpmax)
        if brackt and (stp <= stmin or stp >= stmax or stmax - stmin <= xtol * stmax):
            stp = stx
    return None, f, "error"


class _Ray:
    """phi(a) = f(xk + a pk) and phi'(a), counting calls, keeping the last g."""

    def __init__(self, f: Callable[[FloatArray], float],
                 fprime: Callable[[FloatArray], FloatArray], xk: FloatArray,
                 pk: FloatArray) -> None:
        self.f, self.fprime, self.xk, self.pk = f, fprime, xk, pk
        self.fc = self.gc = 0
        self.gval: Optional[FloatArray] = None
        self.galpha: Optional[float] = None

    def phi(self, a: float) -> float:
        self.fc += 1
        return self.f(self.xk + a * self.pk)

    def derphi(self, a: float) -> float:
        self.gc += 1
        self.gval = self.fprime(self.xk + a * self.pk)
        self.galpha = a
        slope: float = np.dot(self.gval, self.pk)   # a numpy float: inf/nan, not raise
        return slope


def wolfe1(f: Callable[[FloatArray], float], fprime: Callable[[FloatArray], FloatArray],
           xk: FloatArray, pk: FloatArray, gfk: FloatArray, old_fval: float,
           old_old_fval: Optional[float], c1: float = 1e-4, c2: float = 0.9,
           amax: float = 50, amin: float = 1e-8, xtol: float = 1e-14) -> LineSearchResult:
    """More-Thuente strong-Wolfe search: (alpha, fc, gc, new_f, old_f, new_g)."""
    _check_c1_c2(c1, c2)
    ray = _Ray(f, fprime, xk, pk)
    ray.gval = gfk
    derphi0 = np.dot(gfk, pk)
    alpha1 = _initial_step(old_fval, old_old_fval, derphi0)
    stp, fval, task = more_thuente(ray.phi, ray.derphi, alpha1, old_fval, derphi0,
                                   c1, c2, xtol, amin, amax)
    if task != "conv":
        stp = None
    return stp, ray.fc, ray.gc, fval, old_fval, ray.gval


def _cubicmin(a: float, fa: float, fpa: float, b: float, fb: float, c: float,
              fc: float) -> Optional[float]:
    """Minimiser of the cubic through (a, fa; slope fpa), (b, fb), (c, fc), or None."""
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        try:
            C = fpa
            db, dc = b - a, c - a
            denom = (db * dc) ** 2 * (db - dc)
            d1 = np.array([[dc ** 2, -db ** 2], [-dc ** 3, db ** 3]])
            A, B = np.dot(d1, np.asarray([fb - fa - C * db, fc - fa - C * dc]))
            A /= denom
            B /= denom
            xmin = a + (-B + np.sqrt(B * B - 3 * A * C)) / (3 * A)
        except ArithmeticError:
            return None
    return xmin if np.isfinite(xmin) else None


def _quadmin(a: float, fa: float, fpa: float, b: float, fb: float) -> Optional[float]:
    """Minimiser of the quadratic through (a, fa; slope fpa), (b, fb), or None."""
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        try:
            db = b - a * 1.0
            B = (fb - fa - fpa * db) / (db * db)
            xmin = a - fpa / (2.0 * B)
        except ArithmeticError:
            return None
    return xmin if np.isfinite(xmin) else None


def _zoom(a_lo: float, a_hi: float, phi_lo: float, phi_hi: float, derphi_lo: float,
          phi: ScalarFun, derphi: ScalarFun, phi0: float, derphi0: float, c1: float,
          c2: float, extra_condition: Callable[[float, float], bool],
          ) -> tuple[Optional[float], Optional[float], Optional[float]]:
    """Shrink [a_lo, a_hi] (cubic, else quadratic, else bisection) to a Wolfe step."""
    phi_rec, a_rec = phi0, 0.0
    for i in range(11):
        dalpha = a_hi - a_lo
        a, b = (a_hi, a_lo) if dalpha < 0 else (a_lo, a_hi)
        a_j = None
        if i > 0:
            cchk = 0.2 * dalpha
            a_j = _cubicmin(a_lo, phi_lo, derphi_lo, a_hi, phi_hi, a_rec, phi_rec)
        if i == 0 or a_j is None or a_j > b - cchk or a_j < a + cchk:
            qchk = 0.1 * dalpha
            a_j = _quadmin(a_lo, phi_lo, derphi_lo, a_hi, phi_hi)
            if a_j is None or a_j > b - qchk or a_j < a + qchk:
                a_j = a_lo + 0.5 * dalpha
        phi_aj = phi(a_j)
        if phi_aj > phi0 + c1 * a_j * derphi0 or phi_aj >= phi_lo:
            phi_rec, a_rec = phi_hi, a_hi
            a_hi, phi_hi = a_j, phi_aj
        else:
            derphi_aj = derphi(a_j)
            if abs(derphi_aj) <= -c2 * derphi0 and extra_condition(a_j, phi_aj):
                return a_j, phi_aj, derphi_aj
            if derphi_aj * (a_hi - a_lo) >= 0:
                phi_rec, a_rec = phi_hi, a_hi
                a_hi, phi_hi = a_lo, phi_lo
            else:
                phi_rec, a_rec = phi_lo, a_lo
            a_lo, phi_lo, derphi_lo = a_j, phi_aj, derphi_aj
    return None, None, None


def _scalar_wolfe2(phi: ScalarFun, derphi: ScalarFun, phi0: float, old_phi0: Optional[float],
                   derphi0: float, c1: float, c2: float, amax: Optional[float],
                   extra_condition: Callable[[float, float], bool], maxiter: int,
                   ) -> tuple[Optional[float], Optional[float], Optional[float],
                          Optional[float]]:
    """Bracketing phase: (alpha, phi(alpha), phi0, phi'(alpha)) or alpha None."""
    alpha0: float = 0
    alpha1 = _initial_step(phi0, old_phi0, derphi0)
    if amax is not None:
        alpha1 = min(alpha1, amax)
    phi_a1 = phi(alpha1)
    phi_a0, derphi_a0 = phi0, derphi0
    for i in range(maxiter):
        if alpha1 == 0 or (amax is not None and alpha0 > amax):
            msg = ("Rounding errors prevent the line search from converging"
                   if alpha1 == 0 else "The line search algorithm could not find "
                   f"a solution less than or equal to amax: {amax}")
            warnings.warn(msg, LineSearchWarning, stacklevel=3)
            return None, phi0, old_phi0, None
        if phi_a1 > phi0 + c1 * alpha1 * derphi0 or (phi_a1 >= phi_a0 and i > 0):
            a, p, d = _zoom(alpha0, alpha1, phi_a0, phi_a1, derphi_a0, phi, derphi,
                            phi0, derphi0, c1, c2, extra_condition)
            return a, p, phi0, d
        derphi_a1 = derphi(alpha1)
        if abs(derphi_a1) <= -c2 * derphi0 and extra_condition(alpha1, phi_a1):
            return alpha1, phi_a1, phi0, derphi_a1
        if derphi_a1 >= 0:
            a, p, d = _zoom(alpha1, alpha0, phi_a1, phi_a0, derphi_a1, phi, derphi,
                            phi0, derphi0, c1, c2, extra_condition)
            return a, p, phi0, d
        alpha2 = 2 * alpha1
        if amax is not None:
            alpha2 = min(alpha2, amax)
        alpha0, alpha1 = alpha1, alpha2
        phi_a0, phi_a1 = phi_a1, phi(alpha1)
        derphi_a0 = derphi_a1
    return alpha1, phi_a1, phi0, None


def wolfe2(f: Callable[[FloatArray], float], fprime: Callable[[FloatArray], FloatArray],
           xk: FloatArray, pk: FloatArray, gfk: Optional[FloatArray] = None,
           old_fval: Optional[float] = None, old_old_fval: Optional[float] = None,
           c1: float = 1e-4, c2: float = 0.9, amax: Optional[float] = None,
           extra_condition: Optional[Callable[..., bool]] = None,
           maxiter: int = 10) -> LineSearchResult:
    """Bracket-and-zoom strong-Wolfe search: (alpha, fc, gc, new_f, old_f, new_g)."""
    _check_c1_c2(c1, c2)
    ray = _Ray(f, fprime, xk, pk)
    if gfk is None:
        gfk = fprime(xk)
    if old_fval is None:
        old_fval = ray.phi(0.0)
    derphi0 = np.dot(gfk, pk)
    if extra_condition is None:
        cond: Callable[[float, float], bool] = lambda alpha, phi: True  # noqa: E731
    else:
        def cond(alpha: float, phi: float) -> bool:
            if ray.galpha != alpha:
                ray.derphi(alpha)
            return extra_condition(alpha, xk + alpha * pk, phi, ray.gval)
    alpha, fval, old_fval, dstar = _scalar_wolfe2(
        ray.phi, ray.derphi, old_fval, old_old_fval, derphi0, c1, c2, amax, cond, maxiter)
    if dstar is None:
        warnings.warn("The line search algorithm did not converge", LineSearchWarning,
                      stacklevel=2)
        return alpha, ray.fc, ray.gc, fval, old_fval, None
    return alpha, ray.fc, ray.gc, fval, old_fval, ray.gval


def wolfe12(f: Callable[[FloatArray], float], fprime: Callable[[FloatArray], FloatArray],
            xk: FloatArray, pk: FloatArray, gfk: FloatArray, old_fval: float,
            old_old_fval: Optional[float], c1: float = 1e-4, c2: float = 0.9,
            amin: float = 1e-100, amax: float = 1e100,
            extra_condition: Optional[Callable[..., bool]] = None,
            ) -> tuple[float, int, int, float, float, Optional[FloatArray]]:
    """wolfe1, falling back on wolfe2; raises LineSearchError if both fail.

    Returns (alpha, fc, gc, new_f, old_f, new_g); new_f becomes the caller's
    old_fval and old_f its old_old_fval.
    """
    ret = wolfe1(f, fprime, xk, pk, gfk, old_fval, old_old_fval, c1=c1, c2=c2,
                 amax=amax, amin=amin)
    if ret[0] is not None and extra_condition is not None:
        if not extra_condition(ret[0], xk + ret[0] * pk, ret[3], ret[5]):
            ret = (None,) + ret[1:]    # refused: wolfe2 replaces it all
    if ret[0] is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LineSearchWarning)
            ret = wolfe2(f, fprime, xk, pk, gfk, old_fval, old_old_fval, c1=c1, c2=c2,
                         amax=amax, extra_condition=extra_condition)
    alpha, fc, gc, fval, old, gval = ret
    if alpha is None:
        raise LineSearchError("no step satisfying the strong Wolfe conditions was found")
    assert fval is not None and old is not None  # found with the step
    return alpha, fc, gc, fval, old, gval


def backtracking(f: Callable[[FloatArray], float], xk: FloatArray, pk: FloatArray,
                 gfk: FloatArray, old_fval: float, c1: float = 1e-4, alpha0: float = 1.0,
                 shrink: float = 0.5, amin: float = 1e-16) -> tuple[float, int, float]:
    """Armijo backtracking: alpha0 shrink^k, the first with sufficient decrease.

    Returns (alpha, fc, new_f); raises LineSearchError below amin.
    """
    derphi0 = float(np.dot(gfk, pk))
    alpha, fc = alpha0, 0
    while alpha >= amin:
        fc += 1
        fval = f(xk + alpha * pk)
        if fval <= old_fval + c1 * alpha * derphi0:
            return alpha, fc, fval
        alpha *= shrink
    raise LineSearchError("backtracking found no step with sufficient decrease")


def line_search(f: Callable[..., Any], myfprime: Callable[..., Any], xk: ArrayLike,
                pk: ArrayLike, gfk: Optional[ArrayLike] = None,
                old_fval: Optional[float] = None, old_old_fval: Optional[float] = None,
                args: Tuple[Any, ...] = (), c1: float = 1e-4, c2: float = 0.9,
                amax: Optional[float] = None,
                extra_condition: Optional[Callable[..., bool]] = None,
                maxiter: int = 10) -> Tuple[Optional[float], int, int, Optional[float], Optional[float], Optional[np.ndarray]]:
    """A step alpha satisfying the strong Wolfe conditions along pk from xk.

    scipy.optimize.line_search's arguments and return values: bracketing and
    zoom (Nocedal & Wright, Algorithms 3.5 and 3.6).

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float``.
    myfprime : callable
        ``myfprime(x, *args) -> gradient``, an array of x's shape.
    xk : array_like
        The current point, 1-D.  f and myfprime see copies only.
    pk : array_like
        The search direction, xk's shape.
    gfk : array_like, optional
        The gradient at xk; None: computed.
    old_fval : float, optional
        f(xk); None: computed.
    old_old_fval : float, optional
        f at the previous point, for the initial step guess.
    args : tuple
        Extra arguments of f and myfprime.
    c1 : float
        The sufficient-decrease (Armijo) constant.
    c2 : float
        The curvature constant, ``c1 < c2 < 1``.
    amax : float, optional
        The largest step.
    extra_condition : callable, optional
        ``extra_condition(alpha, x, f, g) -> bool``, which an accepted step
        must also satisfy.
    maxiter : int
        The limit on iterations.

    Returns
    -------
    alpha : float or None
        The step; None (with a LineSearchWarning) when no step was found,
        e.g. pk is not a descent direction.
    fc : int
        Evaluations of f.
    gc : int
        Evaluations of myfprime.
    new_fval : float or None
        f at the new point.
    old_fval : float
        f at xk.
    new_slope : numpy.ndarray or None
        The gradient at the new point.

    Raises
    ------
    TypeError
        If f or myfprime is not callable, or they return non-real values.
    ValueError
        If xk is not 1-D, pk's shape differs, or c1, c2 are out of range.

    Examples
    --------
    >>> from fastopt.minimize import line_search
    >>> f = lambda x: float(x @ x)
    >>> g = lambda x: 2 * x
    >>> alpha, fc, gc, new_f, old_f, new_g = line_search(f, g, np.array([1.0]), np.array([-1.0]))
    >>> alpha, new_f, old_f
    (1.0, 0.0, 1.0)
    """
    if not callable(f) or not callable(myfprime):
        raise TypeError("f and myfprime must be callable")
    if not isinstance(args, tuple):
        args = (args,)
    x = check_real_input("xk", xk).copy()  # f and myfprime see copies only
    p = check_real_input("pk", pk)
    if x.ndim != 1 or p.shape != x.shape:
        raise ValueError(f"xk must be 1-D and pk of the same shape, got {x.shape} and {p.shape}")
    fx = lambda z: check_scalar_value(f(z, *args), "f")  # noqa: E731
    gx = lambda z: _gradient(myfprime(z, *args), x.shape)  # noqa: E731
    g = None if gfk is None else check_real_input("gfk", gfk, x.shape)
    return wolfe2(fx, gx, x, p, g, old_fval, old_old_fval, c1=c1, c2=c2,
                  amax=amax, extra_condition=extra_condition, maxiter=maxiter)


def _gradient(value: object, shape: tuple[int, ...]) -> FloatArray:
    """What myfprime returned, as a float64 gradient of x's shape."""
    arr = check_real_array(value, "myfprime", "a 1-D array of real numbers")
    if arr.shape != shape:
        raise ValueError(f"myfprime must return an array of shape {shape}, got "
                         f"shape {arr.shape}")
    return arr.astype(np.float64, copy=False)
