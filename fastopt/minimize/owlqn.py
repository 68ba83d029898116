"""OWL-QN: orthant-wise limited-memory quasi-Newton for f(x) + sum_i l1_i |x_i|
(Andrew and Gao 2007, "Scalable training of L1-regularized log-linear
models"; the L1 solver of Spark MLlib's logistic regression).

f is smooth (fun, jac as everywhere in fastopt.minimize); l1 >= 0 is a scalar
or one weight per coordinate (0 leaves a coordinate, e.g. an intercept,
unpenalised).  Iteration k at x with gradient g = grad f(x):

    pseudo-gradient   p_i = g_i + l1_i sign(x_i)                  if x_i != 0
                      p_i = g_i + l1_i  if g_i + l1_i < 0,
                            g_i - l1_i  if g_i - l1_i > 0, else 0  if x_i == 0
    direction         d = -H p by L-BFGS's two-loop recursion over the pairs
                      (s, y = change of grad f), then d_i = 0 where d_i p_i >= 0
    orthant           xi_i = sign(x_i), or sign(-p_i) where x_i == 0
    line search       x(a) = P(x + a d): coordinates leaving orthant xi are 0;
                      a = a0, a0 / 2, ... until
                      F(x(a)) <= F(x) + c1 p . (x(a) - x)
                      a0 = min(1 / ||p||_2, 1) on the first iteration (and
                      after a reset of the memory), 1 after.

The pair (s, y) is kept when s . y > eps (-p . s), as lbfgs does.  A search
that fails forgets the memory and retries along -p once.  Stops when
max |p_i| <= gtol (success), when (F_old - F) / max(|F_old|, |F|, 1) <= ftol
(success), or at maxiter iterations / maxfun evaluations (status 1).  With
l1 = 0 it is L-BFGS with a backtracking search.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union, cast

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from fastopt.minimize import _common as C
from fastopt.minimize.lbfgs import TwoLoopMemory, inv_hess

__all__ = ["minimize_owlqn", "pseudo_gradient"]

FloatArray = npt.NDArray[np.float64]
_EPSMCH = np.finfo(float).eps
_MSG_PGTOL = "CONVERGENCE: NORM OF PSEUDO-GRADIENT <= GTOL"
_MSG_FTOL = "CONVERGENCE: RELATIVE REDUCTION OF F <= FTOL"
_MSG_MAXITER = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
_MSG_MAXFUN = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
_MSG_LS = "ABNORMAL: THE LINE SEARCH FOUND NO DECREASE"


def pseudo_gradient(x: FloatArray, g: FloatArray, l1: Union[float, FloatArray]
                    ) -> FloatArray:
    """The pseudo-gradient of f + sum l1_i |x_i| at x, g = grad f(x)."""
    right = g + l1          # derivative to the right of x_i = 0
    left = g - l1
    at_zero = np.where(right < 0, right, np.where(left > 0, left, 0.0))
    return np.where(x > 0, right, np.where(x < 0, left, at_zero))


def _check_l1(l1: Any, n: int) -> FloatArray:
    arr = np.asarray(l1, dtype=float) if not isinstance(l1, (str, bytes)) else None
    if arr is None or arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(f"option l1 must be a number >= 0 or an array of {n} of them, "
                         f"got {l1!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"option l1 must be finite and >= 0, got {l1!r}")
    return np.broadcast_to(arr, (n,)).copy()


def minimize_owlqn(fun: Callable[..., Any], x0: ArrayLike, args: Tuple[Any, ...] = (),
                   jac: Union[Callable[..., Any], str, bool, None] = None,
                   callback: Optional[Callable[..., Any]] = None, *,
                   l1: Union[float, ArrayLike] = 0.0, maxcor: int = 10,
                   ftol: float = 2.2204460492503131e-09, gtol: float = 1e-5,
                   c1: float = 1e-4, maxfun: float = 15000, maxiter: float = 15000,
                   maxls: int = 30, eps: Union[float, ArrayLike] = C.EPSILON,
                   disp: bool = False, **unknown_options: Any) -> OptimizeResult:
    """Minimise fun(x) + sum_i l1_i |x_i| by OWL-QN (module docstring).

    Parameters
    ----------
    fun, x0, args, jac, callback
        As for every method of fastopt.minimize (jac=True: fun returns (f, g)).
    l1 : float or array_like of shape (n,)
        The L1 weights (>= 0); 0 for a coordinate leaves it unpenalised.
    maxcor : int
        Pairs kept by the L-BFGS memory.
    ftol, gtol : float
        Relative reduction of F, and inf-norm of the pseudo-gradient, that stop.
    c1 : float
        Sufficient-decrease constant of the backtracking search.
    maxfun, maxiter, maxls : int
        Limits on evaluations, iterations and trials per search.

    Returns
    -------
    scipy.optimize.OptimizeResult
        x, fun (f + the L1 term), jac (grad f at x), pseudo_grad, nit, nfev,
        njev, status, success, message, hess_inv (the kept pairs).

    Raises
    ------
    ValueError
        For a negative or non-finite l1, or l1 of the wrong length.

    Examples
    --------
    >>> import numpy as np, fastopt
    >>> res = fastopt.minimize(lambda x: (0.5 * ((x - 2.0) ** 2).sum(), x - 2.0),
    ...                        np.zeros(3), jac=True, method="owlqn",
    ...                        options={"l1": 1.0})
    >>> np.round(res.x, 6)
    array([1., 1., 1.])
    """
    C.warn_unknown_options(unknown_options)
    x = C.check_x0(x0)
    n = x.shape[0]
    w1 = _check_l1(l1, n)
    maxcor = C.check_option("maxcor", maxcor, 1, integer=True)
    ftol = C.check_option("ftol", ftol, 0.0)
    gtol = C.check_option("gtol", gtol, 0.0)
    c1 = C.check_option("c1", c1, 0.0, 1.0)
    maxfun = C.check_option("maxfun", maxfun)
    maxiter = C.check_maxiter(maxiter, 15000)
    maxls = C.check_option("maxls", maxls, 1, integer=True)
    obj = C.Objective(fun, x, args, jac, epsilon=eps)
    cb = C.wrap_callback(callback)

    def penalty(z: FloatArray) -> float:
        return float(np.dot(w1, np.abs(z)))

    mem = TwoLoopMemory(maxcor, n)
    d = np.empty(n)

    f, g = obj.fun_and_grad(x)
    F = f + penalty(x)
    p = pseudo_gradient(x, g, w1)
    k = 0
    status, message = C.SUCCESS, _MSG_PGTOL
    if not (np.isfinite(F) and np.all(np.isfinite(g))):
        status, message = C.PR_LOSS, "ABNORMAL: NON-FINITE F OR GRADIENT AT x0"
    while status == C.SUCCESS and np.max(np.abs(p), initial=0.0) > gtol:
        if len(mem) == 0:
            np.negative(p, out=d)
            a = min(1.0 / float(np.linalg.norm(p)), 1.0)
        else:
            mem.direction(d, p)
            a = 1.0
        d[d * p >= 0] = 0.0              # keep only the descent components of -H p
        dp = float(np.dot(d, p))
        if not dp < 0:
            if len(mem) == 0:
                status, message = C.PR_LOSS, _MSG_LS
                break
            mem.clear()
            continue
        xi = np.where(x != 0, np.sign(x), -np.sign(p))
        for _ in range(maxls):
            x_new = x + a * d
            x_new[np.sign(x_new) != xi] = 0.0
            f_new, g_new = obj.fun_and_grad(x_new)
            F_new = f_new + penalty(x_new)
            if F_new <= F + c1 * float(np.dot(p, x_new - x)):
                break
            a *= 0.5
        else:
            if len(mem) == 0:
                status, message = C.PR_LOSS, _MSG_LS
                break
            mem.clear()                  # forget the memory, retry along -p
            continue
        s = x_new - x
        y = g_new - g
        F_old = F
        x, f, g, F = x_new, f_new, g_new, F_new
        p = pseudo_gradient(x, g, w1)
        k += 1
        if C.callback_says_stop(cb, x, F):
            status, message = C.CALLBACK, C.STATUS_MESSAGES[C.CALLBACK]
            break
        if k >= maxiter:
            status, message = C.MAXITER, _MSG_MAXITER
            break
        if obj.nfev > maxfun:
            status, message = C.MAXITER, _MSG_MAXFUN
            break
        if (F_old - F) <= ftol * max(abs(F_old), abs(F), 1.0):
            message = _MSG_FTOL
            break
        sy = float(np.dot(s, y))
        if sy > _EPSMCH * float(-np.dot(p, s)) and sy > 0:
            mem.add(s, y, sy)
    if np.isnan(F) or np.isnan(x).any():
        status, message = C.NAN, C.STATUS_MESSAGES[C.NAN]
    if disp:
        C.print_summary(status, F, k, obj, message)
    return C.make_result(x, F, g, k, status, obj, message=message, pseudo_grad=p,
                         hess_inv=inv_hess(*mem.kept()))
