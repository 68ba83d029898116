"""Steepest descent: x+ = x - alpha g, with a line search or the exact step.

line_search="wolfe" (default) uses the strong-Wolfe search of BFGS (c2 =
0.9), "backtracking" halves alpha from alpha0 until the Armijo condition
holds.  For a quadratic f = 1/2 x^T A x - b^T x, passing A gives the exact
minimising step along -g, alpha = g^T g / g^T A g, with which successive
directions are orthogonal (the zig-zag of steepest descent).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union, cast

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from fastopt.minimize import _common as C
from fastopt.minimize.line_search import LineSearchError, backtracking, wolfe12


def minimize_steepest(fun: Callable[..., Any], x0: ArrayLike, args: Tuple[Any, ...] = (),
                      jac: Union[Callable[..., Any], str, bool, None] = None,
                      callback: Optional[Callable[..., Any]] = None, gtol: float = 1e-5,
                      norm: float = np.inf, eps: Union[float, ArrayLike] = C.EPSILON,
                      maxiter: Optional[int] = None, disp: bool = False,
                      return_all: bool = False, line_search: str = "wolfe",
                      c1: float = 1e-4, c2: float = 0.9, alpha0: float = 1.0,
                      shrink: float = 0.5, A: Any = None,
                      **unknown_options: Any) -> OptimizeResult:
    """Minimise fun by steepest (gradient) descent with a line search.

    ``x+ = x - alpha g``.  Stops when ``||g||_norm <= gtol``, after maxiter
    iterations, or when the line search fails (status 2).

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
    gtol : float
        Stop when the gradient's `norm` is <= gtol.
    norm : float
        The order of the gradient norm of the stopping rule (inf: ``max |g_i|``).
    eps : float or array_like
        The absolute finite-difference step when ``jac`` is None (a scalar or
        one per variable).
    maxiter : int, optional
        The iteration limit (status 1 when reached); None: 200 times the
        number of variables.
    disp : bool
        On failure, warn OptimizeWarning (scipy's ``disp``).
    return_all : bool
        Add ``allvecs``, the list of iterates, to the result.
    line_search : {"wolfe", "backtracking"}
        The strong-Wolfe search of BFGS, or Armijo backtracking from alpha0.
    c1 : float
        The sufficient-decrease (Armijo) constant of the line search.
    c2 : float
        The curvature constant of the strong-Wolfe line search, c1 < c2 < 1.
    alpha0 : float
        The first trial step of backtracking, > 0.
    shrink : float
        The factor backtracking multiplies alpha by, in (0, 1).
    A : numpy.ndarray, optional
        For a quadratic ``f = 1/2 x'Ax - b'x``: the matrix A (n x n), which
        gives the exact minimising step ``g'g / g'Ag`` instead of a search.
    **unknown_options
        Other options are ignored with an OptimizeWarning naming them, as
        scipy does.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``status``,
        ``success``, ``message``.

    Raises
    ------
    TypeError
        If fun, jac return something other than a real scalar / real
        array of x0's shape, or an argument has the wrong type.
    ValueError
        If x0 is not 1-D or an option is out of range (the message names it).

    Examples
    --------
    >>> from fastopt.minimize import minimize_steepest
    >>> A = np.diag([1.0, 10.0])
    >>> res = minimize_steepest(lambda x: 0.5 * x @ A @ x, [1.0, 1.0], jac=lambda x: A @ x, A=A)
    >>> bool(res.success), res.nit        # the zig-zag of exact steps
    (True, 11)
    """
    C.warn_unknown_options(unknown_options)
    if line_search not in ("wolfe", "backtracking"):
        raise ValueError("option line_search must be 'wolfe' or 'backtracking', "
                         f"got {line_search!r}")
    x0 = C.check_x0(x0)
    n = x0.shape[0]
    # a real number (scipy compares the iteration count with it)
    gtol, norm, iter_limit = C.check_common_options(gtol, norm, maxiter, n)
    alpha0 = C.check_option("alpha0", alpha0, 0.0, closed=(False, True))
    shrink = C.check_option("shrink", shrink, 0.0, 1.0, closed=(False, False))
    if A is not None:
        A = C.check_real_input("option A", A, (n, n))
    obj = C.Objective(fun, x0, args, jac, epsilon=eps)
    cb = C.wrap_callback(callback)

    f, g = obj.fun_and_grad(x0)
    old_old_fval = cast(float, f + np.linalg.norm(g) / 2)   # a numpy float
    xk = x0
    allvecs = [x0] if return_all else None
    k = 0
    stopped = None
    gnorm = C.vecnorm(g, norm)
    while gnorm > gtol and k < iter_limit:
        pk = -g
        try:
            if A is not None:
                curv = float(np.dot(g, A @ g))
                if not curv > 0:
                    raise ValueError("option A is not positive definite along the "
                                     "gradient: the exact step does not exist")
                alpha = float(np.dot(g, g)) / curv
                xk = xk + alpha * pk
                f, g = obj.fun_and_grad(xk)
            elif line_search == "wolfe":
                alpha, _, _, f, old_old_fval, g1 = wolfe12(
                    obj.fun, obj.grad, xk, pk, g, f, old_old_fval, c1=c1, c2=c2)
                xk = xk + alpha * pk
                g = obj.grad(xk) if g1 is None else g1
            else:
                alpha, _, f = backtracking(obj.fun, xk, pk, g, f, c1=c1,
                                           alpha0=alpha0, shrink=shrink)
                xk = xk + alpha * pk
                g = obj.grad(xk)
        except LineSearchError:
            stopped = C.PR_LOSS
            break
        if allvecs is not None:
            allvecs.append(xk)
        k += 1
        gnorm = C.vecnorm(g, norm)
        if C.callback_says_stop(cb, xk, f):
            stopped = C.CALLBACK
            break
        if not np.isfinite(f):
            stopped = C.PR_LOSS
            break

    return C.finish(xk, f, g, k, stopped, iter_limit, gnorm, obj, disp,
                    allvecs if return_all else None)
