"""BFGS with a dense inverse-Hessian approximation, updated in O(n^2) in C.

The iteration is scipy.optimize's (_minimize_bfgs): direction -H g, the
More-Thuente strong-Wolfe search with the bracket-and-zoom fallback, the
update of H from s = x+ - x and y = g+ - g, and the same stopping rules
(gtol on the norm of g, xrtol on the step, maxiter = 200 n).  Only the
update differs in how it is computed: the rank-two form in
csrc/quasi_newton.c costs O(n^2) where scipy's two dense products cost
O(n^3), so iterates agree with scipy's to round-off.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union, cast

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt.minimize import _common as C
from fastopt.minimize.line_search import LineSearchError, wolfe12


def minimize_bfgs(fun: Callable[..., Any], x0: ArrayLike, args: Tuple[Any, ...] = (),
                  jac: Union[Callable[..., Any], str, bool, None] = None,
                  callback: Optional[Callable[..., Any]] = None, gtol: float = 1e-5,
                  norm: float = np.inf, eps: Union[float, ArrayLike] = C.EPSILON,
                  maxiter: Optional[int] = None, disp: bool = False,
                  return_all: bool = False, xrtol: float = 0.0, c1: float = 1e-4,
                  c2: float = 0.9, hess_inv0: Optional[ArrayLike] = None,
                  finite_diff_rel_step: Optional[ArrayLike] = None,
                  workers: Optional[Callable[..., Any]] = None,
                  n_threads: Optional[int] = None,
                  **unknown_options: Any) -> OptimizeResult:
    """Minimise fun by BFGS, with scipy's options and result.

    The iteration is scipy's: the direction ``-H g``, the More-Thuente
    strong-Wolfe search with the bracket-and-zoom fallback, and the update
    of the inverse-Hessian approximation H, computed in C in O(n^2).  Stops
    when ``||g||_norm <= gtol``, when ``alpha ||p|| <= xrtol (xrtol + ||x||)``,
    after maxiter iterations, or when the line search fails (status 2).  A
    NaN in x0 gives status 3, as scipy.

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
    xrtol : float
        Stop when the step is <= xrtol times the norm of x (0: off).
    c1 : float
        The sufficient-decrease (Armijo) constant of the line search.
    c2 : float
        The curvature constant of the strong-Wolfe line search, c1 < c2 < 1.
    hess_inv0 : numpy.ndarray, optional
        The initial inverse Hessian (n x n, symmetric positive definite);
        None: the identity.
    finite_diff_rel_step : float or array_like, optional
        The relative step of the ``"2-point" | "3-point" | "cs"`` differences
        (scipy's).
    workers : callable, optional
        A map-like callable evaluating the finite differences (e.g.
        ``Pool.map``); an integer is not supported (NotImplementedError).
    n_threads : int, optional
        Threads for the n x n update; None: all usable cores.
    **unknown_options
        Other options are ignored with an OptimizeWarning naming them, as
        scipy does.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``status``,
        ``success``, ``message``, and ``hess_inv``
        (the final H).

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
    >>> from fastopt.minimize import minimize_bfgs
    >>> res = minimize_bfgs(rosen, [-1.2, 1.0], jac=rosen_der)
    >>> bool(res.success), res.x.round(6), res.hess_inv.shape
    (True, array([1., 1.]), (2, 2))
    """
    C.warn_unknown_options(unknown_options)
    x0 = C.check_x0(x0, finite=False)
    n = x0.shape[0]
    # a real number (scipy compares the iteration count with it)
    gtol, norm, iter_limit = C.check_common_options(gtol, norm, maxiter, n)
    xrtol = C.check_option("xrtol", xrtol, 0.0)
    nt = effective_n_threads(n_threads)
    obj = C.Objective(fun, x0, args, jac, epsilon=eps, rel_step=finite_diff_rel_step,
                      workers=workers)
    cb = C.wrap_callback(callback)

    H = C.dense_matrix(n, "x0", "BFGS keeps a dense inverse Hessian; use "
                       "method='lbfgs' for problems this large")
    if hess_inv0 is not None:
        H0 = C.check_real_input("option hess_inv0", hess_inv0, (n, n))
        C.check_positive_definite(H0)
        np.copyto(H, H0)   # into BFGS's own matrix: the caller's is never updated
    f, g = obj.fun_and_grad(x0)
    old_old_fval = cast(float, f + np.linalg.norm(g) / 2)   # ~1 first step (a numpy float)
    xk = x0
    pk = np.empty(n)
    work = np.empty(2 * n)
    allvecs = [x0] if return_all else None
    k = 0
    stopped = None
    gnorm = C.vecnorm(g, norm)
    while gnorm > gtol and k < iter_limit:
        _kernels.bfgs_direction(pk, H, g, nt)
        try:
            alpha, _, _, f, old_old_fval, g1 = wolfe12(
                obj.fun, obj.grad, xk, pk, g, f, old_old_fval, c1=c1, c2=c2)
        except LineSearchError:
            stopped = C.PR_LOSS
            break
        sk = alpha * pk
        xk = xk + sk
        if allvecs is not None:
            allvecs.append(xk)
        if g1 is None:
            g1 = obj.grad(xk)
        yk = g1 - g
        g = g1
        k += 1
        if C.callback_says_stop(cb, xk, f):
            stopped = C.CALLBACK
            break
        gnorm = C.vecnorm(g, norm)
        if gnorm <= gtol:
            break
        if alpha * C.vecnorm(pk) <= xrtol * (xrtol + C.vecnorm(xk)):
            break
        if not np.isfinite(f):
            stopped = C.PR_LOSS
            break
        sy = np.dot(yk, sk)
        rho = 1000.0 if sy == 0.0 else 1.0 / sy   # scipy's guard, kept for parity
        _kernels.bfgs_update(H, sk, yk, rho, work, nt)

    return C.finish(xk, f, g, k, stopped, iter_limit, gnorm, obj, disp,
                    allvecs if return_all else None, hess_inv=H)
