"""Steepest descent: x+ = x - alpha g, with a line search or the exact step.

line_search="wolfe" (default) uses the strong-Wolfe search of BFGS (c2 =
0.9), "backtracking" halves alpha from alpha0 until the Armijo condition
holds.  For a quadratic f = 1/2 x^T A x - b^T x, passing A gives the exact
minimising step along -g, alpha = g^T g / g^T A g, with which successive
directions are orthogonal (the zig-zag of steepest descent).
"""
import numpy as np

from fastopt.minimize import _common as C
from fastopt.minimize.line_search import LineSearchError, backtracking, wolfe12


def minimize_steepest(fun, x0, args=(), jac=None, callback=None, gtol=1e-5,
                      norm=np.inf, eps=C.EPSILON, maxiter=None, disp=False,
                      return_all=False, line_search="wolfe", c1=1e-4, c2=0.9,
                      alpha0=1.0, shrink=0.5, A=None, **unknown_options):
    """Minimise fun by gradient descent; stops when ||g||_norm <= gtol."""
    C.warn_unknown_options(unknown_options)
    if line_search not in ("wolfe", "backtracking"):
        raise ValueError("option line_search must be 'wolfe' or 'backtracking', "
                         f"got {line_search!r}")
    x0 = C.check_x0(x0)
    n = x0.shape[0]
    gtol, norm, maxiter = C.check_common_options(gtol, norm, maxiter, n)
    alpha0 = C.check_option("alpha0", alpha0, 0.0, closed=(False, True))
    shrink = C.check_option("shrink", shrink, 0.0, 1.0, closed=(False, False))
    if A is not None:
        A = C.check_real_input("option A", A, (n, n))
    obj = C.Objective(fun, x0, args, jac, epsilon=eps)
    cb = C.wrap_callback(callback)

    f, g = obj.fun_and_grad(x0)
    old_old_fval = f + np.linalg.norm(g) / 2
    xk = x0
    allvecs = [x0] if return_all else None
    k = 0
    stopped = None
    gnorm = C.vecnorm(g, norm)
    while gnorm > gtol and k < maxiter:
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
        if return_all:
            allvecs.append(xk)
        k += 1
        gnorm = C.vecnorm(g, norm)
        if C.callback_says_stop(cb, xk, f):
            stopped = C.CALLBACK
            break
        if not np.isfinite(f):
            stopped = C.PR_LOSS
            break

    return C.finish(xk, f, g, k, stopped, maxiter, gnorm, obj, disp,
                    allvecs if return_all else None)
