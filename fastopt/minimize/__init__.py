"""Full-batch minimisation: Newton, BFGS, L-BFGS, nonlinear CG, steepest
descent, proximal gradient (ISTA/FISTA), coordinate descent and OWL-QN
(L-BFGS for f + l1 ||x||_1).

    from fastopt.minimize import minimize
    res = minimize(fun, x0, method="bfgs", jac=grad)      # scipy.optimize.OptimizeResult

`fastopt.minimize` is also callable itself: ``fastopt.minimize(fun, x0, ...)``
is ``fastopt.minimize.minimize(fun, x0, ...)``.  Defaults, stopping rules and
result fields follow scipy.optimize (see each minimize_<method>); the
per-iteration linear algebra of BFGS and L-BFGS runs in C (csrc/quasi_newton.c).
"""
import sys
import types
import warnings

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

METHODS = {
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


def minimize(fun, x0, args=(), method=None, jac=None, hess=None, hessp=None,
             bounds=None, constraints=(), tol=None, callback=None, options=None):
    """Minimise fun(x, *args) from x0 with `method`; a scipy OptimizeResult.

    The signature and the front-end rules are scipy.optimize.minimize's:
    method None is "bfgs" (or "lbfgs" with bounds); scipy's names work
    ("BFGS", "L-BFGS-B", "CG", "Newton-CG").  jac: a callable, True if fun
    returns (f, g), "2-point" | "3-point" | "cs" (scipy's finite
    differences), or None (forward differences with the step `eps`).
    hess / hessp: newton's Hessian (a callable, "2-point" | "3-point" | "cs",
    or a scipy.optimize.HessianUpdateStrategy) or Hessian-vector product;
    other methods warn RuntimeWarning, as scipy.  bounds: a sequence of
    (lo, hi) pairs (None: unbounded) or a scipy.optimize.Bounds, for lbfgs
    (L-BFGS-B); other methods warn RuntimeWarning and ignore them, as scipy.
    tol: sets the method's tolerance options as scipy does.  callback(xk) or
    callback(intermediate_result=res) after each iteration; raising
    StopIteration stops with status 99.  options: a dict of method options
    (unknown ones warn OptimizeWarning).
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

    def __call__(self, *args, **kwargs):
        return minimize(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
