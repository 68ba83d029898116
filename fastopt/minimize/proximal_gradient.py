"""Proximal gradient: ISTA and FISTA with backtracking (Beck & Teboulle 2009).

Minimises F(x) = f(x) + phi(x) with f smooth (fun, jac as everywhere in
fastopt.minimize) and phi known through its proximal operator::

    prox(v, step) = argmin_z  phi(z) + ||z - v||^2 / (2 step).

Iteration k at the point y (y = x_k for ISTA, the extrapolated point for
FISTA), step lam carried over from the previous iteration::

    z = prox(y - lam grad f(y), lam), halving lam (lam *= eta) until
        f(z) <= f(y) + grad f(y)'(z - y) + ||z - y||^2 / (2 lam)   (+ round-off)
    ISTA:  x_{k+1} = z
    FISTA: x_{k+1} = z,  t+ = (1 + sqrt(1 + 4 t^2)) / 2,
           y = z + ((t - 1) / t+) (z - x_k)

The step never grows again (the classic backtracking; 1/lam ends at most 2L).
Stopping: the prox-gradient mapping G = (y - z) / lam, the gradient when
phi = 0, has ``max |G_i| <= gtol`` (scipy's gtol, norm inf), or the relative
change max |x_{k+1} - x_k| <= xrtol * max(1, max |x_{k+1}|) (off unless
xrtol > 0), or maxiter iterations.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from fastopt import prox as _prox
from fastopt.minimize._common import (CALLBACK, MAXITER, NAN, PR_LOSS, SUCCESS,
                                      Objective, callback_says_stop, check_option,
                                      check_real_array, check_scalar_value, check_x0,
                                      make_result, warn_unknown_options, wrap_callback)

__all__ = ["minimize_proximal_gradient", "make_prox"]

_F64 = npt.NDArray[np.float64]
#: prox(v, step) -> the proximal point
ProxFn = Callable[[_F64, float], _F64]
#: phi(x) -> the regulariser's value
PhiFn = Callable[[_F64], float]

# The relative slack that lets the sufficient-decrease test survive round-off
# near the optimum, where both sides agree to the last bits of f.
_SLACK = 8 * np.finfo(float).eps


def minimize_proximal_gradient(fun: Callable[..., Any], x0: ArrayLike,
                               args: Tuple[Any, ...] = (),
                               jac: Union[Callable[..., Any], str, bool, None] = None,
                               callback: Optional[Callable[..., Any]] = None, *,
                               prox: Any = None, accelerated: bool = True,
                               step: float = 1.0, eta: float = 0.5,
                               backtracking: bool = True, restart: bool = False,
                               gtol: float = 1e-5, xrtol: float = 0.0,
                               maxiter: Optional[int] = None,
                               phi: Optional[Callable[[np.ndarray], float]] = None,
                               lam: Optional[float] = None, l1: Optional[float] = None,
                               l2: Optional[float] = None,
                               groups: Optional[ArrayLike] = None, lo: Any = None,
                               hi: Any = None, **unknown_options: Any) -> OptimizeResult:
    """ISTA or FISTA, with backtracking, for F = f + phi (Beck & Teboulle 2009).

    See the module docstring for the iteration and the stopping rules.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``: the smooth part f (with ``jac=True`` it
        returns ``(f, g)``).
    x0 : array_like
        The start, 1-D.  Never modified.
    args : tuple
        Extra arguments of fun and jac.
    jac : callable, bool, str or None
        The gradient of f, as for `minimize`.
    callback : callable, optional
        ``callback(xk)`` or ``callback(intermediate_result=res)`` after each
        iteration; raising StopIteration stops the run (status 99).
    prox : None, callable, str or dict
        How phi enters.  None: phi = 0 (gradient descent with the same
        backtracking).  A callable ``prox(v, step) -> array of v's shape``,
        with `phi` for the reported value.  Or a built-in of fastopt.prox by
        name, its parameters given as options (or as a dict
        ``{"name": ..., **params}``): ``"l1"`` (phi = lam ||x||_1),
        ``"elastic_net"`` (l1 ||x||_1 + l2/2 ||x||^2), ``"group_l2"``
        (lam sum_g ||x_g||_2, `groups` an integer label per coordinate),
        ``"box"`` (the indicator of lo <= x <= hi), ``"nonneg"`` (the
        indicator of x >= 0).
    accelerated : bool
        FISTA (True) or ISTA (False).
    step : float
        The initial step (> 0); with ``backtracking=False`` the fixed step,
        which must be <= 1/L for f's Lipschitz constant L.
    eta : float
        The factor backtracking multiplies the step by, in (0, 1).
    backtracking : bool
        Shrink the step until the sufficient-decrease condition holds.
    restart : bool
        FISTA only: restart the momentum when it points uphill (O'Donoghue
        & Candes 2015).
    gtol : float
        Stop when the prox-gradient mapping's ``max |G_i|`` is <= gtol.
    xrtol : float
        Stop when ``max |x_{k+1} - x_k| <= xrtol * max(1, max |x_{k+1}|)``
        (0: off).
    maxiter : int, optional
        The iteration limit; None: ``max(1000, 200 n)``.
    phi : callable, optional
        ``phi(x) -> float`` for a callable prox, so that ``fun`` in the
        result is f + phi; None counts phi as 0 (right for projections).
    lam : float, optional
        The weight of ``"l1"`` and ``"group_l2"``.
    l1 : float, optional
        The L1 weight of ``"elastic_net"``.
    l2 : float, optional
        The L2 weight of ``"elastic_net"``.
    groups : numpy.ndarray, optional
        The integer group label of every coordinate, for ``"group_l2"``.
    lo : float or numpy.ndarray, optional
        The lower bounds of ``"box"``.
    hi : float or numpy.ndarray, optional
        The upper bounds of ``"box"``.
    **unknown_options
        Other options are ignored with an OptimizeWarning naming them.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun`` (f + phi), ``jac`` (the gradient of f at x), ``nit``,
        ``nfev``, ``njev``, ``status``, ``success``, ``message``, and
        ``step`` (the final step).

    Raises
    ------
    TypeError
        If fun, jac or prox return something other than a real scalar /
        real array of x0's shape, or an argument has the wrong type.
    ValueError
        If an option is out of range or the prox's parameters are missing
        (the message names it).

    Examples
    --------
    A lasso: the L1 term gives exact zeros.

    >>> from fastopt.minimize import minimize_proximal_gradient
    >>> A = np.array([[1.0, 0.2], [0.2, 1.0]]); b = np.array([1.0, 0.1])
    >>> res = minimize_proximal_gradient(lambda x: 0.5 * x @ A @ x - b @ x, np.zeros(2),
    ...                                  jac=lambda x: A @ x - b, prox="l1", lam=0.3,
    ...                                  gtol=1e-10)
    >>> bool(res.success), res.x.round(6)
    (True, array([0.7, 0. ]))
    """
    warn_unknown_options(unknown_options, stacklevel=3)
    x = check_x0(x0)
    n = x.shape[0]
    obj = Objective(fun, x, args, jac)
    if not isinstance(accelerated, (bool, np.bool_)):
        raise TypeError(f"option accelerated must be a bool, got {accelerated!r}")
    if not isinstance(backtracking, (bool, np.bool_)):
        raise TypeError(f"option backtracking must be a bool, got {backtracking!r}")
    if not isinstance(restart, (bool, np.bool_)):
        raise TypeError(f"option restart must be a bool, got {restart!r}")
    lam_step = check_option("step", step, 0.0, closed=(False, True), finite=True)
    eta = check_option("eta", eta, 0.0, 1.0, closed=(False, False))
    gtol = check_option("gtol", gtol, 0.0)
    xrtol = check_option("xrtol", xrtol, 0.0)
    maxiter = max(1000, 200 * n) if maxiter is None else check_option(
        "maxiter", maxiter, 0, integer=True)
    proxf, phif = make_prox(prox, n, phi=phi, lam=lam, l1=l1, l2=l2, groups=groups,
                            lo=lo, hi=hi)
    cb = wrap_callback(callback)

    x_prev = x
    ycur = x
    t = 1.0
    nit = 0
    status = MAXITER
    fz = gz = None
    while nit < maxiter:
        fy, gy = obj.fun_and_grad(ycur)
        if not (math.isfinite(fy) and np.all(np.isfinite(gy))):
            status = NAN
            break
        # backtracking: shrink lam until the quadratic model bounds f at z
        while True:
            z = proxf(ycur - lam_step * gy, lam_step)
            d = z - ycur
            fz = obj.fun(z)
            bound = fy + float(gy @ d) + float(d @ d) / (2.0 * lam_step)
            if not backtracking or fz <= bound + _SLACK * abs(fy):
                break
            lam_step *= eta
            if lam_step < 1e-300 or not np.any(d):
                break
        if backtracking and not fz <= bound + _SLACK * abs(fy):
            status = PR_LOSS
            break
        nit += 1
        G = (ycur - z) / lam_step
        dx = z - x
        x_prev, x = x, z
        if float(np.abs(G).max()) <= gtol:
            status = SUCCESS
            break
        if xrtol > 0 and float(np.abs(dx).max()) <= xrtol * max(1.0, float(np.abs(x).max())):
            status = SUCCESS
            break
        if callback_says_stop(cb, x, fz + phif(x)):
            status = CALLBACK
            break
        if accelerated:
            if restart and float((ycur - z) @ (z - x_prev)) > 0:
                t = 1.0
                ycur = z
                continue
            t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
            ycur = z + ((t - 1.0) / t_next) * (z - x_prev)
            t = t_next
        else:
            ycur = z
    fx = obj.fun(x)
    gx = obj.grad(x) if np.all(np.isfinite(x)) else np.full(n, np.nan)
    return make_result(x, fx + phif(x), gx, nit, status, obj, step=lam_step)


# ---- prox specifications -----------------------------------------------------------

_BUILTIN = {
    "l1": ("lam",),
    "elastic_net": ("l1", "l2"),
    "group_l2": ("lam", "groups"),
    "box": ("lo", "hi"),
    "nonneg": (),
}


def make_prox(prox: object, n: int, *, phi: Optional[Callable[..., Any]] = None,
              **params: Any) -> tuple[ProxFn, PhiFn]:
    """(prox(v, step), phi(x)) for a prox spec (see minimize_proximal_gradient).

    params: the built-ins' parameters (None where not given)."""
    given = {k: v for k, v in params.items() if v is not None}
    if prox is None:
        if given or phi is not None:
            raise ValueError(f"options {sorted(given) + (['phi'] if phi is not None else [])} "
                             "need prox= (a name or a callable)")
        return (lambda v, s: v), (lambda x: 0.0)
    if callable(prox):
        if given:
            raise ValueError(f"options {sorted(given)} are for the built-in proxes; "
                             "a callable prox takes its own parameters")
        if phi is not None and not callable(phi):
            raise TypeError(f"option phi must be a callable phi(x) -> float, got {phi!r}")

        def call(v: _F64, s: float) -> _F64:
            out = check_real_array(prox(np.copy(v), s), "prox",
                                   f"an array of shape ({n},) of real numbers")
            if out.shape != (n,):
                raise ValueError(f"prox must return an array of shape ({n},), got "
                                 f"shape {out.shape}")
            # a copy: the iterates must not share a buffer the prox reuses
            return np.array(out, dtype=np.float64)
        phif = ((lambda x: check_scalar_value(phi(np.copy(x)), "phi"))
                if phi is not None else (lambda x: 0.0))
        return call, phif
    if isinstance(prox, dict):
        spec = dict(prox)
        if "name" not in spec:
            raise ValueError("a prox spec dict needs a 'name' key, e.g. "
                             "{'name': 'l1', 'lam': 0.1}")
        name = spec.pop("name")
        if given:
            raise ValueError(f"give the prox parameters either in the spec dict or as "
                             f"options, not both (got options {sorted(given)})")
        given = spec
    elif isinstance(prox, str):
        name = prox
    else:
        raise TypeError("prox must be None, a callable prox(v, step), a name in "
                        f"{sorted(_BUILTIN)} or a dict spec, got {type(prox).__name__}")
    if phi is not None:
        raise ValueError("option phi is only for a callable prox; the built-ins know theirs")
    if name not in _BUILTIN:
        raise ValueError(f"unknown prox {name!r}; expected a callable or one of "
                         f"{sorted(_BUILTIN)}")
    wanted = _BUILTIN[name]
    extra = sorted(set(given) - set(wanted))
    if extra:
        raise ValueError(f"prox {name!r} takes {list(wanted) or 'no parameters'}, "
                         f"got unexpected {extra}")
    missing = [k for k in wanted if k not in given and k not in ("lo", "hi")]
    if missing:
        raise ValueError(f"prox {name!r} needs {missing}")
    if name == "l1":
        lam = check_option("lam", given["lam"], 0.0, finite=True)
        return ((lambda v, s: _prox.soft_threshold(v, lam * s)),
                (lambda x: lam * float(np.abs(x).sum())))
    if name == "elastic_net":
        a = check_option("l1", given["l1"], 0.0, finite=True)
        b = check_option("l2", given["l2"], 0.0, finite=True)
        # the prox of step*(a|z|_1 + b/2|z|^2): soft(v, step a) / (1 + step b)
        return ((lambda v, s: _prox.prox_elastic_net(v, a * s, b * s)),
                (lambda x: a * float(np.abs(x).sum()) + 0.5 * b * float(x @ x)))
    if name == "group_l2":
        lam = check_option("lam", given["lam"], 0.0, finite=True)
        labels = _labels(given["groups"], n)
        return ((lambda v, s: _prox.prox_group_l2(v, lam * s, groups=labels)),
                (lambda x: lam * float(np.sqrt(np.bincount(labels, weights=x * x)).sum())))
    if name == "box":
        lo = _bound("lo", given.get("lo", -np.inf), n)
        hi = _bound("hi", given.get("hi", np.inf), n)
        if np.any(np.asarray(lo) > np.asarray(hi)):
            raise ValueError("prox 'box' needs lo <= hi everywhere")
        return (lambda v, s: _prox.project_box(v, lo, hi)), (lambda x: 0.0)
    return (lambda v, s: _prox.project_nonneg(v)), (lambda x: 0.0)


def _labels(groups: ArrayLike, n: int) -> npt.NDArray[np.int64]:
    if not isinstance(groups, np.ndarray):
        groups = np.asarray(groups)
    if groups.dtype.kind not in "iu":
        raise TypeError(f"option groups must be an integer array (one label per "
                        f"coordinate), got dtype {groups.dtype}")
    if groups.shape != (n,):
        raise ValueError(f"option groups has shape {groups.shape}; expected ({n},), "
                         "one label per coordinate")
    if groups.min() < 0:
        raise ValueError("option groups must hold labels >= 0")
    return np.ascontiguousarray(groups, dtype=np.int64)


def _bound(name: str, value: object, n: int) -> Union[float, _F64]:
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        if math.isnan(value):
            raise ValueError(f"option {name} must not be NaN")
        return float(value)
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or arr.shape != (n,):
        raise ValueError(f"option {name} must be a real scalar or an array of shape ({n},)")
    arr = arr.astype(np.float64)
    if np.isnan(arr).any():
        raise ValueError(f"option {name} must not contain NaN")
    return arr
