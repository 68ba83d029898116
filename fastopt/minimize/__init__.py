"""Full-batch minimisation: Newton, BFGS, L-BFGS, nonlinear CG, steepest
descent, proximal gradient (ISTA/FISTA), coordinate descent and OWL-QN
(L-BFGS for f + l1 ||x||_1)::

    from fastopt.minimize import minimize
    res = minimize(fun, x0, method="bfgs", jac=grad)      # scipy.optimize.OptimizeResult

`fastopt.minimize` is also callable itself: ``fastopt.minimize(fun, x0, ...)``
is ``fastopt.minimize.minimize(fun, x0, ...)``.  Defaults, stopping rules and
result fields follow scipy.optimize (see each ``minimize_<method>``); the
per-iteration linear algebra of BFGS and L-BFGS runs in C (csrc/quasi_newton.c).
"""
from __future__ import annotations

import sys
import types
import warnings
from typing import Any, Callable, Dict, Optional, Tuple, Union

from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from fastopt.minimize._common import check_x0
from fastopt.minimize.bfgs import minimize_bfgs
from fastopt.minimize.cg import minimize_cg
from fastopt.minimize.coordinate_descent import minimize_coordinate_descent
from fastopt.minimize.lbfgs import minimize_lbfgs
from fastopt.minimize.line_search import LineSearchError, line_search
from fastopt.minimize.newton import minimize_newton
from fastopt.minimize.owlqn import minimize_owlqn
from fastopt.minimize.proximal_gradient import minimize_proximal_gradient
from fastopt.minimize.steepest import minimize_steepest

METHODS: Dict[str, Callable[..., OptimizeResult]] = {
    "bfgs": minimize_bfgs,
    "lbfgs": minimize_lbfgs,
    "cg": minimize_cg,
    "steepest": minimize_steepest,
    "newton": minimize_newton,
    "owlqn": minimize_owlqn,
    "proximal_gradient": minimize_proximal_gradient,
    "coordinate_descent": minimize_coordinate_descent,
}


# scipy's front end: which options `tol` sets, per method (setdefault: an
# explicit option wins).  newton plays scipy's Newton-CG.
_TOL_OPTIONS = {"bfgs": ("gtol",), "cg": ("gtol",), "lbfgs": ("ftol", "gtol"),
                "newton": ("xtol",), "steepest": ("gtol",),
                "proximal_gradient": ("gtol",), "coordinate_descent": ("tol",),
                "owlqn": ("ftol", "gtol")}
_USES_HESS = ("newton",)


def minimize(fun: Optional[Callable[..., Any]], x0: ArrayLike, args: Tuple[Any, ...] = (),
             method: Optional[str] = None,
             jac: Union[Callable[..., Any], str, bool, None] = None, hess: Any = None,
             hessp: Optional[Callable[..., Any]] = None, bounds: Any = None,
             constraints: Any = (), tol: Optional[float] = None,
             callback: Optional[Callable[..., Any]] = None,
             options: Optional[Dict[str, Any]] = None) -> OptimizeResult:
    """Minimise ``fun(x, *args)`` from x0 by `method`; scipy.optimize.minimize's interface.

    The signature and the front-end rules are scipy.optimize.minimize's, and
    the methods' options are those of ``minimize_<method>``.

    Parameters
    ----------
    fun : callable or None
        ``fun(x, *args) -> float`` (a real scalar; a size-1 array counts).
        With ``jac=True`` it returns ``(f, g)``.  None for
        ``"coordinate_descent"``, whose objective comes from its options.
    x0 : array_like
        The start, 1-D (a scalar or 0-d array is one variable; ints are
        converted).  Never modified.
    args : tuple
        Extra arguments of fun, jac, hess and hessp.
    method : str, optional
        ``"bfgs"``, ``"lbfgs"``, ``"cg"``, ``"steepest"``, ``"newton"``,
        ``"proximal_gradient"``, ``"coordinate_descent"``, or scipy's names
        (``"BFGS"``, ``"L-BFGS-B"``, ``"CG"``, ``"Newton-CG"``).  None:
        ``"bfgs"``, or ``"lbfgs"`` with bounds.
    jac : callable, bool, str or None
        ``jac(x, *args) -> g``; True if fun returns ``(f, g)``;
        ``"2-point" | "3-point" | "cs"`` (scipy's finite differences); None:
        forward differences with the step option ``eps``.
    hess : callable, str or scipy.optimize.HessianUpdateStrategy, optional
        newton's Hessian (see `minimize_newton`); other methods warn
        RuntimeWarning and ignore it, as scipy.
    hessp : callable, optional
        newton's Hessian-vector product; other methods warn, as scipy.
    bounds : sequence of (float or None, float or None) or scipy.optimize.Bounds, optional
        For ``"lbfgs"`` (L-BFGS-B); other methods warn RuntimeWarning and
        ignore them, as scipy.
    constraints : sequence
        Not supported: anything but an empty sequence warns RuntimeWarning
        and is ignored, as scipy does for methods without constraints.
    tol : float, optional
        Sets the method's tolerance options (gtol; ftol and gtol for
        lbfgs; xtol for newton; tol for coordinate descent) unless given.
    callback : callable, optional
        ``callback(xk)`` or ``callback(intermediate_result=res)`` after each
        iteration; raising StopIteration stops the run (status 99).
    options : dict, optional
        The method's options (unknown ones warn OptimizeWarning).

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``status``,
        ``success``, ``message`` and the method's extra fields (see
        ``minimize_<method>``).

    Raises
    ------
    TypeError
        If method is not a string, options is not a dict, bounds are given
        twice, or fun / jac / hess return something other than real values
        of the right shape.
    ValueError
        If method is unknown or an option is out of range.

    Examples
    --------
    >>> import fastopt
    >>> from scipy.optimize import rosen, rosen_der
    >>> res = fastopt.minimize(rosen, [-1.2, 1.0], method="BFGS", jac=rosen_der)
    >>> bool(res.success), res.x.round(6), res.nit
    (True, array([1., 1.]), 32)
    """
    if method is None:
        method = "L-BFGS-B" if bounds is not None else "BFGS"
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    key = method.lower().replace("-", "_")
    key = {"l_bfgs": "lbfgs", "l_bfgs_b": "lbfgs", "gd": "steepest", "newton_cg": "newton",
           "gradient_descent": "steepest"}.get(key, key)
    if key not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {sorted(METHODS)}")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    if key not in _USES_HESS and hess is not None:
        warnings.warn(f"Method {method} does not use Hessian information (hess).",
                      RuntimeWarning, stacklevel=2)
    if key not in _USES_HESS and hessp is not None:
        warnings.warn(f"Method {method} does not use Hessian-vector product "
                      "information (hessp).", RuntimeWarning, stacklevel=2)
    if constraints is not None and not (isinstance(constraints, (list, tuple))
                                        and len(constraints) == 0):
        warnings.warn(f"Method {method} cannot handle constraints.", RuntimeWarning,
                      stacklevel=2)
    if key != "lbfgs" and bounds is not None:
        warnings.warn(f"Method {method} cannot handle bounds.", RuntimeWarning, stacklevel=2)
    if key == "lbfgs" and options.get("return_all", False):
        warnings.warn(f"Method {method} does not support the return_all option.",
                      RuntimeWarning, stacklevel=2)
    if tol is not None:
        options = dict(options)
        for name in _TOL_OPTIONS.get(key, ()):
            options.setdefault(name, tol)
    kwargs = dict(args=args, jac=jac, callback=callback)
    if key == "newton":
        kwargs.update(hess=hess, hessp=hessp)
    if key == "lbfgs" and bounds is not None:
        if "bounds" in options:
            raise TypeError("bounds given both as an argument and in options")
        kwargs["bounds"] = bounds
    return METHODS[key](fun, x0, **kwargs, **options)


__all__ = ["minimize", "minimize_bfgs", "minimize_lbfgs", "minimize_cg",
           "minimize_steepest", "minimize_newton", "minimize_proximal_gradient",
           "minimize_coordinate_descent", "minimize_owlqn", "line_search", "LineSearchError",
           "METHODS", "check_x0"]


class _CallableModule(types.ModuleType):
    """Lets `fastopt.minimize(fun, x0, ...)` call the function of that name."""

    def __call__(self, *args: Any, **kwargs: Any) -> OptimizeResult:
        return minimize(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
