"""Newton's method with a regularised Hessian, or Hessian-free (truncated CG).

With hess: the step p = -(H + alpha I)^{-1} g, factorised by Cholesky
(scipy.linalg.cho_factor).  alpha = 0 when H is positive definite; else it
starts at 1e-3 times the mean |diagonal| (or 1e-3 if that is 0) and grows
tenfold until H + alpha I factorises, so p is always a descent direction
and the method never steps toward a saddle or a maximum.  Where the
gradient is already small but H has negative curvature (at a saddle), the
step follows the eigenvector of the most negative eigenvalue instead.
Every step then goes through the strong-Wolfe line search (unit step tried
first).

With only hessp (or neither: differences of gradients), the direction comes
from truncated CG on H p = -g, stopped at residual min(0.5, sqrt(|g|_1)) |g|_1
or at negative curvature, as scipy's Newton-CG does.

Stops when ||g||_inf <= gtol, or when the step's l1 norm is below n xtol
(scipy Newton-CG's rule), or after maxiter (default 200 n) iterations.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.linalg import LinAlgError, cho_factor, cho_solve, eigh
from scipy.optimize import OptimizeResult

from fastopt.minimize import _common as C
from fastopt.minimize.line_search import LineSearchError, wolfe12

_EPS64 = np.finfo(np.float64).eps


def regularised_cholesky(H: npt.NDArray[np.float64], alpha0: Optional[float] = None,
                         grow: float = 10.0, max_tries: int = 60,
                         ) -> tuple[tuple[npt.NDArray[np.float64], bool], float]:
    """cho_factor(H + alpha I) with the smallest alpha in {0, alpha0 grow^k}.

    Returns (factor, alpha)."""
    try:
        return cho_factor(H, lower=True, check_finite=False), 0.0
    except LinAlgError:
        pass
    if alpha0 is None:
        scale = float(np.mean(np.abs(np.diag(H))))
        alpha0 = 1e-3 * scale if scale > 0 and np.isfinite(scale) else 1e-3
    alpha = alpha0
    eye = np.eye(H.shape[0])
    for _ in range(max_tries):
        try:
            return cho_factor(H + alpha * eye, lower=True, check_finite=False), alpha
        except LinAlgError:
            alpha *= grow
    raise LinAlgError("H + alpha I is not positive definite for any alpha tried; "
                      "the Hessian has non-finite or huge entries")


def _truncated_cg(hessp: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
                  g: npt.NDArray[np.float64], maxiter: int,
                  ) -> Optional[npt.NDArray[np.float64]]:
    """Approximate solution of H p = -g (scipy Newton-CG's inner loop)."""
    b = -g
    maggrad = np.sum(np.abs(b))
    termcond = min(0.5, math.sqrt(maggrad)) * maggrad
    xsupi = np.zeros_like(g)
    ri = -b
    psupi = -ri
    dri0 = np.dot(ri, ri)
    for i in range(maxiter):
        if np.sum(np.abs(ri)) <= termcond:
            return xsupi
        Ap = hessp(psupi)
        curv = np.dot(psupi, Ap)
        if 0 <= curv <= 3 * _EPS64:
            return xsupi
        if curv < 0:
            return xsupi if i > 0 else dri0 / -curv * b
        alphai = dri0 / curv
        xsupi = xsupi + alphai * psupi
        ri = ri + alphai * Ap
        dri1 = np.dot(ri, ri)
        psupi = -ri + (dri1 / dri0) * psupi
        dri0 = dri1
    return None


def minimize_newton(fun: Callable[..., Any], x0: ArrayLike, args: Tuple[Any, ...] = (),
                    jac: Union[Callable[..., Any], str, bool, None] = None,
                    hess: Any = None, hessp: Optional[Callable[..., Any]] = None,
                    callback: Optional[Callable[..., Any]] = None, gtol: float = 1e-5,
                    norm: float = np.inf, xtol: float = 1e-5,
                    eps: Union[float, ArrayLike] = C.EPSILON, maxiter: Optional[int] = None,
                    disp: bool = False, return_all: bool = False, c1: float = 1e-4,
                    c2: float = 0.9, finite_diff_rel_step: Optional[ArrayLike] = None,
                    workers: Optional[Callable[..., Any]] = None,
                    **unknown_options: Any) -> OptimizeResult:
    """Minimise fun by Newton's method: regularised Cholesky, or truncated CG.

    See the module docstring.  With a callable `hess` the step solves
    ``(H + alpha I) p = -g`` with alpha raised until the Cholesky
    factorisation succeeds, so it never steps toward a saddle; without one,
    truncated CG on ``H p = -g`` gives the step, as scipy's Newton-CG.  Stops
    when ``||g||_norm <= gtol``, when the step's l1 norm is below ``n xtol``,
    or after maxiter iterations.

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
    hess : callable, str or scipy.optimize.HessianUpdateStrategy, optional
        ``hess(x, *args) -> (n, n)`` array; ``"2-point" | "3-point" | "cs"``
        (Hessian-vector products by differences of the gradient, truncated CG);
        or a HessianUpdateStrategy (``BFGS()``, ``SR1()``), updated at every new
        point.
    hessp : callable, optional
        ``hessp(x, p, *args) -> H p``, for truncated CG.
    callback : callable, optional
        ``callback(xk)`` or ``callback(intermediate_result=res)`` after each
        iteration; raising StopIteration stops the run (status 99).
    gtol : float
        Stop when the gradient's `norm` is <= gtol.
    norm : float
        The order of the gradient norm of the stopping rule (inf: ``max |g_i|``).
    xtol : float
        Stop when the step's l1 norm is below n * xtol (scipy Newton-CG's rule).
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
    c1 : float
        The sufficient-decrease (Armijo) constant of the line search.
    c2 : float
        The curvature constant of the strong-Wolfe line search, c1 < c2 < 1.
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
        ``success``, ``message``, ``nhev``.

    Raises
    ------
    TypeError
        If fun, jac, hess, hessp return something other than a real scalar / real
        array of x0's shape, or an argument has the wrong type.
    ValueError
        If x0 is not 1-D or an option is out of range (the message names it).

    Examples
    --------
    >>> from scipy.optimize import rosen, rosen_der
    >>> from scipy.optimize import rosen_hess
    >>> from fastopt.minimize import minimize_newton
    >>> res = minimize_newton(rosen, [-1.2, 1.0], jac=rosen_der, hess=rosen_hess)
    >>> bool(res.success), res.x.round(6), res.nhev > 0
    (True, array([1., 1.]), True)
    """
    C.warn_unknown_options(unknown_options)
    x0 = C.check_x0(x0, finite=False)
    n = x0.shape[0]
    # a real number (scipy compares the iteration count with it)
    gtol, norm, iter_limit = C.check_common_options(gtol, norm, maxiter, n)
    xtol = C.check_option("xtol", xtol, 0.0)
    obj = C.Objective(fun, x0, args, jac, hess=hess, hessp=hessp, epsilon=eps,
                      rel_step=finite_diff_rel_step, workers=workers)
    obj.report_nhev = True          # scipy's Newton-CG always reports nhev
    cb = C.wrap_callback(callback)

    xk = x0
    f, g = obj.fun_and_grad(xk)
    old_old_fval = None
    allvecs = [x0] if return_all else None
    k = 0
    stopped = None
    gnorm = C.vecnorm(g, norm)
    while k < iter_limit:
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            stopped = C.NAN                   # NaN in x0 or on the way: scipy's status 3
            break
        if obj.strategy is not None:      # a HessianUpdateStrategy: CG on its products
            if gnorm <= gtol:
                break
            obj.nhev += 1
            pk = _truncated_cg(obj.strategy.dot, g, 20 * n)
        elif obj.hess_fd is not None:     # products by differences of the gradient
            if gnorm <= gtol:
                break
            hp = lambda p, x=xk, g0=g: obj.hessp_difference(x, g0, p)  # noqa: E731
            pk = _truncated_cg(hp, g, 20 * n)
        elif obj._hess is not None:
            H = obj.hess(xk)
            if gnorm <= gtol:
                lam, vec = eigh(H, subset_by_index=[0, 0])
                if not lam[0] < -math.sqrt(_EPS64) * max(1.0, float(np.max(np.abs(H)))):
                    break                     # a minimum: stop
                pk = vec[:, 0] * (-1.0 if np.dot(vec[:, 0], g) > 0 else 1.0)
            else:
                factor, _ = regularised_cholesky(H)
                pk = -cho_solve(factor, g, check_finite=False)
        else:
            if gnorm <= gtol:
                break
            if hessp is not None:
                def hv(p: npt.NDArray[np.float64], x: npt.NDArray[np.float64] = xk,
                       g0: npt.NDArray[np.float64] = g) -> npt.NDArray[np.float64]:
                    return obj.hessp(x, p)
            else:
                step = np.asarray(eps, dtype=np.float64)   # the difference step

                def hv(p: npt.NDArray[np.float64], x: npt.NDArray[np.float64] = xk,
                       g0: npt.NDArray[np.float64] = g) -> npt.NDArray[np.float64]:
                    out: npt.NDArray[np.float64] = (obj.grad(x + step * p) - g0) / step
                    return out
            pk = _truncated_cg(hv, g, 20 * n)
        if pk is None:
            stopped = C.NAN
            break
        try:
            alpha, _, _, f, old_old_fval, g1 = wolfe12(
                obj.fun, obj.grad, xk, pk, g, f, old_old_fval, c1=c1, c2=c2)
        except LineSearchError:
            stopped = C.PR_LOSS
            break
        update = alpha * pk
        xk = xk + update
        g = obj.grad(xk) if g1 is None else g1
        gnorm = C.vecnorm(g, norm)
        if allvecs is not None:
            allvecs.append(xk)
        k += 1
        if C.callback_says_stop(cb, xk, f):
            stopped = C.CALLBACK
            break
        if not np.isfinite(f):
            stopped = C.PR_LOSS
            break
        if np.sum(np.abs(update)) <= xtol * n and gnorm <= max(gtol, 1e3 * gtol):
            break

    return C.finish(xk, f, g, k, stopped, iter_limit, gnorm, obj, disp,
                    allvecs if return_all else None)
