"""L-BFGS: limited-memory BFGS, the two-loop recursion in C.  Unconstrained.

The iteration follows scipy's L-BFGS-B with no bounds (Byrd, Lu, Nocedal &
Zhu; without bounds its compact-form direction equals the two-loop one):
H0 = (s^T y / y^T y) I from the newest pair; the first step is
min(1 / ||g||_2, 1e10) along -g and later ones start at 1; the More-Thuente
search with ftol=1e-3, gtol=0.9, xtol=0.1 and at most maxls trials, whose
warnings are accepted as the new point; a pair with s^T y <= eps (-g^T s)
is skipped; a failed search forgets the memory and retries along -g once.
Stops when ||g||_inf <= gtol, when (f_old - f) / max(|f_old|, |f|, 1) <=
ftol, or at maxiter / maxfun.  Bounds are not supported (use scipy's
L-BFGS-B for box constraints).
"""
import numpy as np

from fastopt import _kernels
from fastopt.minimize import _common as C
from fastopt.minimize.line_search import more_thuente

_MSG_PGTOL = "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"
_MSG_FTOL = "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH"
_MSG_MAXFUN = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
_MSG_MAXITER = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
_MSG_ABNORMAL = "ABNORMAL: "
_EPSMCH = np.finfo(float).eps


def minimize_lbfgs(fun, x0, args=(), jac=None, callback=None, maxcor=10,
                   ftol=2.2204460492503131e-09, gtol=1e-5, eps=1e-8,
                   maxfun=15000, maxiter=15000, maxls=20, disp=False,
                   bounds=None, **unknown_options):
    """Minimise fun by L-BFGS with `maxcor` pairs; scipy L-BFGS-B's options.

    bounds must be None: this method is unconstrained.
    """
    if bounds is not None:
        raise ValueError("lbfgs is unconstrained: bounds are not supported "
                         "(use scipy.optimize.minimize(method='L-BFGS-B') for bounds)")
    C.warn_unknown_options(unknown_options)
    x0 = C.check_x0(x0)
    n = x0.shape[0]
    maxcor = C.check_option("maxcor", maxcor, 1, integer=True)
    ftol = C.check_option("ftol", ftol, 0.0)
    gtol = C.check_option("gtol", gtol, 0.0)
    maxfun = C.check_option("maxfun", maxfun, 1, integer=True)
    maxiter = C.check_option("maxiter", maxiter, 0, integer=True)
    maxls = C.check_option("maxls", maxls, 1, integer=True)
    obj = C.Objective(fun, x0, args, jac, epsilon=eps)
    cb = C.wrap_callback(callback)

    S = np.zeros((maxcor, n))
    Y = np.zeros((maxcor, n))
    rho = np.zeros(maxcor)
    scratch = np.zeros(maxcor)
    d = np.empty(n)
    m_used, newest, gamma = 0, maxcor - 1, 1.0

    x = x0
    f, g = obj.fun_and_grad(x)
    k = 0
    status, message = C.SUCCESS, _MSG_PGTOL
    if np.max(np.abs(g)) <= gtol:
        return C.make_result(x, f, g, 0, status, obj, message=message)
    while True:
        if m_used == 0:
            np.negative(g, out=d)
            stp0 = min(1.0 / np.linalg.norm(d), 1e10)
        else:
            _kernels.lbfgs_direction(d, g, S, Y, rho, scratch, m_used, newest, gamma)
            stp0 = 1.0
        gd = float(np.dot(g, d))
        if gd >= 0:                  # not a descent direction: forget, go along -g
            if m_used == 0:
                status, message = C.PR_LOSS, _MSG_ABNORMAL + "THE DIRECTION IS NOT DESCENT"
                break
            m_used = 0
            continue
        x_start, f_start, g_start = x, f, g

        def phi(a, x_start=x_start):
            return obj.fun(x_start + a * d)

        def derphi(a, x_start=x_start):
            return float(np.dot(obj.grad(x_start + a * d), d))

        left = max(1, min(maxls, maxfun - obj.nfev))
        stp, f_new, task = more_thuente(phi, derphi, stp0, f_start, gd, 1e-3, 0.9, 0.1,
                                        0.0, 1e10, maxiter=left + 1)
        if stp is None or not np.isfinite(f_new):
            if obj.nfev >= maxfun:
                status, message = C.MAXITER, _MSG_MAXFUN
                break
            if m_used == 0:
                status, message = C.PR_LOSS, _MSG_ABNORMAL + "LINE SEARCH FAILED"
                break
            m_used = 0               # as L-BFGS-B: refresh the memory and retry
            continue
        x = x_start + stp * d
        f, g = obj.fun_and_grad(x)   # cached: the search's last trial point
        k += 1
        if C.callback_says_stop(cb, x, f):
            status, message = C.CALLBACK, C.STATUS_MESSAGES[C.CALLBACK]
            break
        if np.max(np.abs(g)) <= gtol:
            status, message = C.SUCCESS, _MSG_PGTOL
            break
        if (f_start - f) <= ftol * max(abs(f_start), abs(f), 1.0):
            status, message = C.SUCCESS, _MSG_FTOL
            break
        if k >= maxiter:
            status, message = C.MAXITER, _MSG_MAXITER
            break
        if obj.nfev >= maxfun:
            status, message = C.MAXITER, _MSG_MAXFUN
            break
        s = x - x_start
        y = g - g_start
        sy = float(np.dot(s, y))
        if sy > _EPSMCH * (-gd * stp):   # curvature positive enough: keep the pair
            newest = (newest + 1) % maxcor
            S[newest] = s
            Y[newest] = y
            rho[newest] = 1.0 / sy
            m_used = min(m_used + 1, maxcor)
            gamma = sy / float(np.dot(y, y))
    if np.isnan(f) or np.isnan(x).any():
        status, message = C.NAN, C.STATUS_MESSAGES[C.NAN]
    if disp:
        C.print_summary(status, f, k, obj)
    return C.make_result(x, f, g, k, status, obj, message=message)
