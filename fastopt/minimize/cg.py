"""Nonlinear conjugate gradient: Polak-Ribiere (+), Fletcher-Reeves.

p+ = -g+ + beta p with, for y = g+ - g,
    "pr+": beta = max(0, y^T g+ / g^T g)   (scipy's CG, the default)
    "pr":  beta = y^T g+ / g^T g
    "fr":  beta = g+^T g+ / g^T g
The iteration is scipy's (_minimize_cg): the strong-Wolfe search with
c2 = 0.4 must also give a sufficient-descent next direction,
p+^T g+ <= -0.01 ||g+||^2, else it looks further (and then falls back on the
zoom search); the default "pr+" path reproduces scipy's iterates.  `restart`
= k resets beta to 0 every k iterations; a direction that is not a descent
direction is replaced by -g+ in any case.  The work per iteration is a few
O(n) vector operations, done by numpy.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union, cast

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from fastopt.minimize import _common as C
from fastopt.minimize.line_search import LineSearchError, wolfe12

_SIGMA3 = 0.01
VARIANTS = ("pr+", "pr", "fr")


def minimize_cg(fun: Callable[..., Any], x0: ArrayLike, args: Tuple[Any, ...] = (),
                jac: Union[Callable[..., Any], str, bool, None] = None,
                callback: Optional[Callable[..., Any]] = None, gtol: float = 1e-5,
                norm: float = np.inf, eps: Union[float, ArrayLike] = C.EPSILON,
                maxiter: Optional[int] = None, disp: bool = False, return_all: bool = False,
                c1: float = 1e-4, c2: float = 0.4, variant: str = "pr+",
                restart: Optional[int] = None,
                finite_diff_rel_step: Optional[ArrayLike] = None,
                workers: Optional[Callable[..., Any]] = None,
                **unknown_options: Any) -> OptimizeResult:
    """Minimise fun by nonlinear conjugate gradient, with scipy CG's options.

    See the module docstring for the variants.  The default ``"pr+"``
    reproduces scipy's iterates.  Stops when ``||g||_norm <= gtol``, after
    maxiter iterations, or when the line search fails (status 2).

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
    c1 : float
        The sufficient-decrease (Armijo) constant of the line search.
    c2 : float
        The curvature constant of the strong-Wolfe search (scipy CG's 0.4).
    variant : {"pr+", "pr", "fr"}
        Polak-Ribiere with beta clipped at 0, plain Polak-Ribiere, or
        Fletcher-Reeves.
    restart : int, optional
        Reset beta to 0 every `restart` iterations; None: only when the
        direction is not a descent direction.
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
    >>> from scipy.optimize import rosen, rosen_der
    >>> from fastopt.minimize import minimize_cg
    >>> res = minimize_cg(rosen, [-1.2, 1.0], jac=rosen_der, variant="fr", gtol=1e-8)
    >>> bool(res.success), res.x.round(6)
    (True, array([1., 1.]))
    """
    C.warn_unknown_options(unknown_options)
    if variant not in VARIANTS:
        raise ValueError(f"option variant must be one of {VARIANTS}, got {variant!r}")
    x0 = C.check_x0(x0, finite=False)
    n = x0.shape[0]
    # a real number (scipy compares the iteration count with it)
    gtol, norm, iter_limit = C.check_common_options(gtol, norm, maxiter, n)
    if restart is not None:
        restart = C.check_option("restart", restart, 1, integer=True)
    obj = C.Objective(fun, x0, args, jac, epsilon=eps, rel_step=finite_diff_rel_step,
                      workers=workers)
    cb = C.wrap_callback(callback)

    f, g = obj.fun_and_grad(x0)
    old_old_fval = cast(float, f + np.linalg.norm(g) / 2)   # a numpy float
    xk = x0
    pk = -g
    allvecs = [x0] if return_all else None
    k = 0
    stopped = None
    gnorm = C.vecnorm(g, norm)
    while gnorm > gtol and k < iter_limit:
        deltak = np.dot(g, g)
        reset = restart is not None and (k + 1) % restart == 0
        cached: list[Any] = [None]

        def step(alpha: float, g1: Optional[npt.NDArray[np.float64]] = None,
                 xk: npt.NDArray[np.float64] = xk, pk: npt.NDArray[np.float64] = pk,
                 g: npt.NDArray[np.float64] = g, deltak: float = deltak, reset: bool = reset,
                 ) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64],
                            npt.NDArray[np.float64], float]:
            x1 = xk + alpha * pk
            if g1 is None:
                g1 = obj.grad(x1)
            if reset:
                beta = 0.0
            elif variant == "fr":
                beta = np.dot(g1, g1) / deltak
            else:
                beta = np.dot(g1 - g, g1) / deltak
                if variant == "pr+":
                    beta = max(0, beta)
            p1 = -g1 + beta * pk
            return alpha, x1, p1, g1, C.vecnorm(g1, norm)

        def descent(alpha: float, x1: npt.NDArray[np.float64], f1: float,
                    g1: npt.NDArray[np.float64]) -> bool:
            cached[:] = step(alpha, g1)
            _, _, p1, g1, gn1 = cached
            return bool(gn1 <= gtol or np.dot(p1, g1) <= -_SIGMA3 * np.dot(g1, g1))

        try:
            alpha, _, _, f, old_old_fval, g1 = wolfe12(
                obj.fun, obj.grad, xk, pk, g, f, old_old_fval, c1=c1, c2=c2,
                extra_condition=descent)
        except LineSearchError:
            stopped = C.PR_LOSS
            break
        if alpha == cached[0]:
            alpha, xk, pk, g, gnorm = cached
        else:
            alpha, xk, pk, g, gnorm = step(alpha, g1)
        if np.dot(pk, g) >= 0:         # lost descent: restart along -g
            pk = -g
        if allvecs is not None:
            allvecs.append(xk)
        k += 1
        if C.callback_says_stop(cb, xk, f):
            stopped = C.CALLBACK
            break

    return C.finish(xk, f, g, k, stopped, iter_limit, gnorm, obj, disp,
                    allvecs if return_all else None)
