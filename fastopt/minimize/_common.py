"""What every method of fastopt.minimize shares (scipy.optimize's conventions).

* `check_x0`: the starting point as a fresh 1-D finite float64 array.
* `check_scalar_value` / `check_real_array`: what a user's function returned,
  as scipy would take it (a real scalar; a size-1 array is one), else a
  TypeError/ValueError naming the function -- never numpy's silent parsing
  of strings, None as NaN, or a complex value cast with a warning.
* `check_real_input` / `sparse_to_dense`: array options and sparse inputs
  (a CSR/CSC structure checked before scipy densifies it).
* `dense_matrix`: an n x n float64 matrix, refused with a clear MemoryError
  when it cannot fit in this machine's memory.
* `Objective`: wraps fun / jac / hess / hessp with `args`, checks what they
  return (a real scalar, a gradient of x's shape, an (n, n) Hessian), caches
  the last point (asking for f and then g at the same x costs one call of a
  `jac=True` fun) and counts calls the way scipy does (nfev, njev, nhev).
  `jac=None` gives scipy's forward differences (step sqrt(eps), each
  difference's f counted in nfev).
* `warn_unknown_options`: OptimizeWarning "Unknown solver options: ...".
* `make_result`: an OptimizeResult from a status code and the counters, the
  message taken from one table (`STATUS_MESSAGES`, scipy's wording).
* `wrap_callback` / `callback_says_stop`: callback(xk) or
  callback(intermediate_result=OptimizeResult(x, fun)); raising
  StopIteration stops the method with status 99, as scipy does.
"""
from __future__ import annotations

import inspect
import math
import numbers
import os
import reprlib
import warnings

import numpy as np
import scipy.sparse as sp
from typing import Any, Callable, Iterable, Iterator, Literal, Optional, Union, cast, overload

import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult, OptimizeWarning

FloatArray = npt.NDArray[np.float64]
#: a map-like callable: ``map`` or a pool's ``map``
MapLike = Callable[..., Iterable[Any]]
#: the wrapped callback: called with (x, f)
Callback = Callable[[FloatArray, float], object]

EPSILON = float(np.sqrt(np.finfo(float).eps))  # scipy's finite-difference step

# status code -> message.  0-3 are scipy's BFGS/CG codes; 99 its callback stop.
SUCCESS, MAXITER, PR_LOSS, NAN, MAXFEV, CALLBACK = 0, 1, 2, 3, 4, 99
STATUS_MESSAGES = {
    SUCCESS: "Optimization terminated successfully.",
    MAXITER: "Maximum number of iterations has been exceeded.",
    PR_LOSS: "Desired error not necessarily achieved due to precision loss.",
    NAN: "NaN result encountered.",
    MAXFEV: "Maximum number of function evaluations has been exceeded.",
    CALLBACK: "`callback` raised `StopIteration`.",
}


def check_x0(x0: ArrayLike, name: str = "x0", finite: bool = True) -> np.ndarray:
    """x0 checked and converted as scipy's methods take it.

    Parameters
    ----------
    x0 : array_like
        A 1-D array of real numbers; ints and bools are converted, and a
        scalar or 0-d array becomes one element (scipy's
        ``np.atleast_1d``).
    name : str
        The name used in error messages.
    finite : bool
        Refuse NaN and inf.  False lets them through: scipy's BFGS, CG,
        L-BFGS-B and Newton-CG run from such a point and return it with
        success False.

    Returns
    -------
    numpy.ndarray
        A new 1-D float64 array: x0 is never modified.

    Raises
    ------
    TypeError
        If x0 is not an array of real numbers.
    ValueError
        If x0 is not 1-D, is empty, or (``finite=True``) holds NaN or inf.

    Examples
    --------
    >>> from fastopt.minimize import check_x0
    >>> check_x0(3), check_x0([1, 2])
    (array([3.]), array([1., 2.]))
    """
    if isinstance(x0, np.ndarray):
        arr = x0
    else:
        try:
            arr = np.asarray(x0)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{name} must be a 1-D array of real numbers: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating)
                                   or np.issubdtype(arr.dtype, np.integer)
                                   or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be a 1-D array of real numbers, got dtype {arr.dtype}")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one element")
    arr = np.array(arr, dtype=np.float64)  # always a copy: x0 is never modified
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _what(value: object) -> str:
    """A short description of a returned value for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{reprlib.repr(value)} ({type(value).__name__})"


def _real_array_or_none(value: object) -> Optional[npt.NDArray[Any]]:
    """np.asarray(value) when it holds real numbers (bool, int, float), else
    None: numpy would turn None into NaN, parse strings and drop imaginary
    parts with only a warning."""
    try:
        arr = np.asarray(value)
    except Exception:  # ragged nested lists and the like
        return None
    return arr if arr.dtype.kind in "biuf" else None


def check_real_array(value: object, name: str, expected: str) -> npt.NDArray[Any]:
    """value (what `name` returned) as an array of real numbers, else a
    TypeError; `expected` describes the result wanted, for the message.  Not
    necessarily a copy."""
    arr = _real_array_or_none(value)
    if arr is None:
        raise TypeError(f"{name} must return {expected}, got {_what(value)}")
    return arr


def sparse_to_dense(M: Any, name: str) -> npt.NDArray[Any]:
    """A scipy.sparse matrix as a dense array.  A CSR/CSC structure is
    checked first (scipy's toarray trusts it and writes out of bounds on a
    bad index); other formats are scipy's to convert."""
    from fastopt._validation import check_compressed

    if M.format in ("csr", "csc"):
        indptr, indices, data = check_compressed(M, name)
        M = type(M)((data, indices, indptr), shape=M.shape)
    return np.asarray(M.toarray())


def check_scalar_value(value: object, name: str = "fun") -> float:
    """What an objective returned, as a float: a real number, or an array of
    one real element (scipy accepts size-1 arrays).  None, strings, complex
    values and objects raise TypeError, larger arrays ValueError, like
    scipy.optimize.minimize (which fails on None or a string, and on a
    complex value casts with a ComplexWarning: refused here)."""
    if isinstance(value, numbers.Real):   # float, int, bool, np.float32, Fraction
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{name} returned {reprlib.repr(value)}, too large "
                             "for a float") from None
    arr = check_real_array(value, name, "a real scalar")
    if arr.size != 1:
        raise ValueError(f"{name} must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def dense_matrix(n: int, name: str, hint: str) -> FloatArray:
    """A new n x n float64 identity, or a MemoryError naming `name` (whose
    size n is) with `hint` when n x n doubles cannot fit in memory; never
    numpy's 'array is too big' nor an allocation that fails later."""
    need = 8 * n * n                       # Python ints: no overflow
    try:
        limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        limit = None
    msg = (f"{name} has {n} elements: the dense {n} x {n} matrix would need "
           f"{need / 2**30:.3g} GiB; {hint}")
    if limit is not None and need > limit:
        raise MemoryError(msg)
    try:
        return np.eye(n)
    except (MemoryError, ValueError):
        raise MemoryError(msg) from None


def warn_unknown_options(unknown_options: Iterable[object], stacklevel: int = 4) -> None:
    """Warn about options a method does not know, as scipy does."""
    if unknown_options:
        msg = ", ".join(map(str, unknown_options))
        warnings.warn(f"Unknown solver options: {msg}", OptimizeWarning,
                      stacklevel=stacklevel)


@overload
def check_option(name: str, value: object, low: Optional[float] = None,
                 high: Optional[float] = None, *, integer: Literal[False] = False,
                 closed: tuple[bool, bool] = (True, True), finite: bool = False) -> float: ...
@overload
def check_option(name: str, value: object, low: Optional[float] = None,
                 high: Optional[float] = None, *, integer: Literal[True],
                 closed: tuple[bool, bool] = (True, True), finite: bool = False) -> int: ...
def check_option(name: str, value: object, low: Optional[float] = None,
                 high: Optional[float] = None, *, integer: bool = False,
                 closed: tuple[bool, bool] = (True, True),
                 finite: bool = False) -> Union[int, float]:
    """Validate one numeric option; returns it as float (or int).  finite:
    refuse +-inf too (penalty weights, steps)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"option {name} must be a real number, got {value!r}")
    # math.trunc is int() for a numbers.Real (which must define __trunc__)
    out: Union[int, float]
    if integer:
        if not (math.isfinite(value) and value == math.trunc(value)):
            raise ValueError(f"option {name} must be an integer, got {value!r}")
        out = int(math.trunc(value))
    else:
        out = float(value)
    ok = out == out
    if ok and low is not None:
        ok = out >= low if closed[0] else out > low
    if ok and high is not None:
        ok = out <= high if closed[1] else out < high
    if not ok:
        lo = "-inf" if low is None else repr(low)
        hi = "inf" if high is None else repr(high)
        left = "[" if closed[0] and low is not None else "("
        right = "]" if closed[1] and high is not None else ")"
        raise ValueError(f"option {name} must lie in {left}{lo}, {hi}{right}, got {out!r}")
    if finite and not math.isfinite(out):
        raise ValueError(f"option {name} must be finite, got {out!r}")
    return out


def check_real_input(name: str, value: object,
                     shape: Optional[tuple[int, ...]] = None) -> FloatArray:
    """An input array of real numbers (with `shape` unless None) as float64,
    not necessarily a copy (callers only read it); `name` as messages say
    it ("option A", "xk")."""
    arr = _real_array_or_none(value)
    if arr is None:
        raise TypeError(f"{name} must be an array of real numbers, got {_what(value)}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr.astype(np.float64, copy=False)


def vecnorm(x: npt.NDArray[Any], ord: float = np.inf) -> float:
    """scipy's vecnorm: max |x| for inf, min |x| for -inf, else the p-norm."""
    if ord == np.inf:
        return cast(float, np.amax(np.abs(x)))  # a numpy float64
    if ord == -np.inf:
        return cast(float, np.amin(np.abs(x)))
    return cast(float, np.sum(np.abs(x) ** ord, axis=0) ** (1.0 / ord))


FD_METHODS = ("2-point", "3-point", "cs")
_EPS64 = float(np.finfo(np.float64).eps)


def _fd_rstep(method: Optional[str]) -> float:
    """scipy's default relative step: sqrt(eps) for 2-point and cs, eps^(1/3)
    for 3-point."""
    return float(_EPS64 ** (1 / 3) if method == "3-point" else _EPS64 ** 0.5)


def _fd_steps(x: FloatArray, method: str, abs_step: Optional[ArrayLike],
              rel_step: Optional[ArrayLike], lb: Optional[FloatArray],
              ub: Optional[FloatArray]) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """The per-variable steps h and which variables take a one-sided scheme,
    as scipy's approx_derivative chooses them: abs_step (jac=None: eps) where
    it moves x, else rel_step * sign(x) |x| (default: the method's step times
    sign(x) max(1, |x|)), then shrunk or flipped to stay within [lb, ub]."""
    sign = np.where(x >= 0, 1.0, -1.0)
    default = _fd_rstep(method) * sign * np.maximum(1.0, np.abs(x))
    if abs_step is not None:
        h = np.broadcast_to(np.asarray(abs_step, dtype=float), x.shape).copy()
        h = np.where((x + h) - x == 0, default, h)
    elif rel_step is None:
        h = default
    else:
        h = np.asarray(rel_step, dtype=float) * sign * np.abs(x)
        h = np.where((x + h) - x == 0, default, h)
    one_sided = np.full(x.shape, method == "2-point")
    if method == "cs" or lb is None or ub is None:   # lb and ub come together
        return h, one_sided
    lower, upper = x - lb, ub - x
    if method == "2-point":
        out = ((x + h) < lb) | ((x + h) > ub)
        fits = np.abs(h) <= np.maximum(lower, upper)
        h = np.where(out & fits, -h, h)
        h = np.where(~fits & (upper >= lower), upper, h)
        h = np.where(~fits & (upper < lower), -lower, h)
    else:                                    # 3-point: central unless a bound is near
        h = np.abs(h)
        central = (lower >= h) & (upper >= h)
        fwd = ~central & (upper >= lower)
        bwd = ~central & (upper < lower)
        h = np.where(fwd, np.minimum(h, 0.5 * upper), h)
        h = np.where(bwd, -np.minimum(h, 0.5 * lower), h)
        one_sided = fwd | bwd
        min_dist = np.minimum(upper, lower)
        back = ~central & (np.abs(h) <= min_dist)
        h = np.where(back, min_dist, h)
        one_sided &= ~back
    return h, one_sided


def check_workers(workers: object) -> MapLike:
    """scipy's `workers`: None (serial) or a map-like callable such as
    multiprocessing.Pool.map, used for the finite-difference evaluations."""
    if workers is None or workers == 1:
        return map
    if callable(workers):
        return workers
    raise NotImplementedError(
        f"workers={workers!r}: pass a map-like callable (e.g. a "
        "multiprocessing.Pool's map); fastopt does not create process pools itself")


class Objective:
    """fun, its gradient and Hessian at x, checked, cached and counted.

    fun(x, *args) -> float; jac: callable -> (n,) array, True (fun returns
    (f, g)), None (scipy's forward differences with the absolute step eps, a
    scalar or one per variable) or "2-point" / "3-point" / "cs" (scipy's
    relative steps, finite_diff_rel_step); hess(x, *args) -> (n, n), or for
    newton "2-point" / "3-point" / "cs" (products of differences of the
    gradient) or a scipy.optimize.HessianUpdateStrategy (updated at every new
    point, as scipy's ScalarFunction does); hessp(x, p, *args) -> (n,).
    nfev / njev / nhev count evaluations at points not already cached, like
    scipy's ScalarFunction (a difference gradient's f calls in nfev).
    bounds (lb, ub) keep difference steps inside the box.
    """

    def __init__(self, fun: Callable[..., Any], x0: FloatArray, args: Any = (),
                 jac: Any = None, hess: Any = None, hessp: Optional[Callable[..., Any]] = None,
                 epsilon: ArrayLike = EPSILON, rel_step: Optional[ArrayLike] = None,
                 workers: object = None,
                 bounds: Optional[tuple[FloatArray, FloatArray]] = None) -> None:
        from scipy.optimize import HessianUpdateStrategy

        if not callable(fun):
            raise TypeError(f"fun must be callable, got {fun!r}")
        if not isinstance(args, tuple):
            args = (args,)
        self.fd_method: Optional[str] = None
        if isinstance(jac, str):
            if jac not in FD_METHODS:
                raise TypeError(f"jac must be None, True (fun returns (f, g)), a callable "
                                f"or one of {FD_METHODS}, got {jac!r}")
            self.fd_method, jac = jac, None
        elif not (jac is None or jac is True or callable(jac)):
            if jac is False:
                jac = None
            else:
                raise TypeError("jac must be None, True (fun returns (f, g)), a callable "
                                f"or one of {FD_METHODS}, got {jac!r}")
        self.strategy: Optional[Any] = None     # a scipy HessianUpdateStrategy
        self.hess_fd: Optional[str] = None
        if isinstance(hess, HessianUpdateStrategy):
            self.strategy, hess = hess, None
        elif isinstance(hess, str):
            if hess not in FD_METHODS:
                raise TypeError(f"hess must be a callable, one of {FD_METHODS} or a "
                                f"HessianUpdateStrategy, got {hess!r}")
            if not callable(jac) and jac is not True:
                raise ValueError("Whenever the gradient is estimated via finite-differences, "
                                 "we require the Hessian to be estimated using one of the "
                                 "quasi-Newton strategies.")
            if hess == "cs" and jac is True:
                raise ValueError("hess='cs' needs jac as a callable that accepts complex x")
            self.hess_fd, hess = hess, None
        elif hess is not None and not callable(hess):
            raise TypeError(f"hess must be a callable, one of {FD_METHODS} or a "
                            f"HessianUpdateStrategy, got {hess!r}")
        if hessp is not None and not callable(hessp):
            raise TypeError(f"hessp must be a callable, got {hessp!r}")
        self._fun, self._jac, self._hess, self._hessp = fun, jac, hess, hessp
        self.args = args
        self.n = x0.shape[0]
        if self.fd_method is None:       # jac=None: absolute steps eps
            eps = check_real_input("option eps", epsilon)
            if eps.ndim > 1 or eps.size not in (1, self.n):
                raise ValueError(f"option eps must be a scalar or have shape ({self.n},), "
                                 f"got shape {eps.shape}")
            self.abs_step: Optional[FloatArray] = eps
            self.rel_step: Optional[FloatArray] = None
        else:
            self.abs_step = None
            self.rel_step = None if rel_step is None else check_real_input(
                "option finite_diff_rel_step", rel_step)
        self.epsilon = epsilon
        self.workers = check_workers(workers)
        self.lb: Optional[FloatArray] = None
        self.ub: Optional[FloatArray] = None
        if bounds is not None and not (np.all(np.isneginf(bounds[0]))
                                       and np.all(np.isposinf(bounds[1]))):
            self.lb, self.ub = bounds
        self.nfev = self.njev = self.nhev = 0
        # the points of the cached f and g, as bytes: comparing two short
        # byte strings costs far less than np.array_equal, per evaluation
        self._fx: Optional[bytes] = None
        self._gx: Optional[bytes] = None
        self._f: Optional[float] = None
        self._g: Optional[FloatArray] = None
        self.has_hess = hess is not None or self.hess_fd is not None \
            or self.strategy is not None
        self.has_hessp = hessp is not None
        self.report_nhev = False
        if self.strategy is not None:
            self.strategy.initialize(self.n, "hess")
            self._hx, self._hxarr = x0.tobytes(), np.copy(x0)

    # -- checking what the user's functions return
    def _vector(self, value: object, what: str) -> FloatArray:
        arr = check_real_array(value, what, "a 1-D array of real numbers")
        if arr.shape != (self.n,):
            if arr.size == self.n and arr.ndim <= 2:
                # a float for one variable, (1, n) or (n, 1): accepted, as scipy's atleast_1d
                arr = arr.reshape(self.n)
            else:
                raise ValueError(f"{what} must return an array of shape ({self.n},), "
                                 f"got shape {arr.shape}")
        return np.array(arr, dtype=np.float64)  # a copy: never the caller's buffer

    def _call_fun(self, x: FloatArray) -> float:
        self.nfev += 1
        out = self._fun(np.copy(x), *self.args)
        if self._jac is True:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("with jac=True, fun must return a pair (f, g)")
            self._gx, self._g = x.tobytes(), self._vector(out[1], "jac (fun's second value)")
            self.njev += 1
            out = out[0]
        return check_scalar_value(out)

    # -- a HessianUpdateStrategy moves with every new point (scipy's _update_x)
    def _track(self, x: FloatArray) -> None:
        xb = x.tobytes()
        if xb == self._hx:
            return
        old = self._hxarr
        g_old = self._grad(old)
        self._hx, self._hxarr = xb, np.copy(x)
        g_new = self._grad(x)
        assert self.strategy is not None  # _track runs only with a strategy
        self.strategy.update(x - old, g_new - g_old)

    # -- public evaluations
    def fun(self, x: FloatArray) -> float:
        if self.strategy is not None:
            self._track(x)
        if self._fx != x.tobytes():
            self._f = self._call_fun(x)
            self._fx = x.tobytes()
        assert self._f is not None  # set with _fx
        return self._f

    def grad(self, x: FloatArray) -> FloatArray:
        if self.strategy is not None:
            self._track(x)
        return self._grad(x)

    def _grad(self, x: FloatArray) -> FloatArray:
        if self._gx == x.tobytes():
            assert self._g is not None  # set with _gx
            return self._g
        if self._jac is True:
            self._f = self._call_fun(x)
            self._fx = x.tobytes()
        elif callable(self._jac):
            self.njev += 1
            self._g = self._vector(self._jac(np.copy(x), *self.args), "jac")
            self._gx = x.tobytes()
        else:
            self._g = self._difference_gradient(x)
            self._gx = x.tobytes()
        assert self._g is not None  # set above (jac=True: by _call_fun)
        return self._g

    def fun_and_grad(self, x: FloatArray) -> tuple[float, FloatArray]:
        f = self.fun(x)
        return f, self.grad(x)

    def _difference_gradient(self, x: FloatArray) -> FloatArray:
        """scipy's approx_derivative of fun at x (f(x) reused): 2-point,
        3-point (central, one-sided at a bound) or complex step; each f call
        counted in nfev, the gradient in njev."""
        method = self.fd_method or "2-point"
        self.njev += 1
        f0: Optional[float]
        if self._fx == x.tobytes():
            f0 = self._f
        else:
            f0 = self._f = self._call_fun(x)
            self._fx = x.tobytes()
        assert f0 is not None  # set with _fx
        h, one_sided = _fd_steps(x, method, self.abs_step, self.rel_step, self.lb, self.ub)
        n = self.n
        fun, args = self._fun, self.args

        if method == "cs":
            def points() -> Iterator[npt.NDArray[np.complex128]]:
                for i in range(n):
                    xc = x.astype(complex)
                    xc[i] += h[i] * 1j
                    yield xc
            vals = list(self.workers(lambda z: fun(z, *args), points()))
            self.nfev += n
            out = np.empty(n)
            for i, v in enumerate(vals):
                im = np.imag(np.asarray(v))
                if im.size != 1:
                    raise ValueError(f"fun must return a scalar, got shape {np.shape(v)}")
                out[i] = float(im.reshape(())) / h[i]
            return out

        def call(z: FloatArray) -> float:
            return check_scalar_value(fun(z, *args))

        if method == "2-point":
            def points2() -> Iterator[FloatArray]:
                for i in range(n):
                    z = np.copy(x)
                    z[i] = x[i] + h[i]
                    yield z
            fv = np.fromiter(self.workers(call, points2()), float, n)
            self.nfev += n
            return (fv - f0) / ((x + h) - x)

        def points3() -> Iterator[FloatArray]:
            for i in range(n):
                a, b = np.copy(x), np.copy(x)
                if one_sided[i]:
                    a[i], b[i] = x[i] + h[i], x[i] + 2 * h[i]
                else:
                    a[i], b[i] = x[i] - h[i], x[i] + h[i]
                yield a
                yield b
        fv = np.fromiter(self.workers(call, points3()), float, 2 * n)
        self.nfev += 2 * n
        f1, f2 = fv[0::2], fv[1::2]
        df = np.where(one_sided, -3.0 * f0 + 4 * f1 - f2, f2 - f1)
        dx = np.where(one_sided, (x + h) - x, (x + h) - (x - h))
        out3: FloatArray = df / dx
        return out3

    def hess(self, x: FloatArray) -> FloatArray:
        if self._hess is None:
            raise ValueError("this method needs hess= (a callable returning the "
                             "(n, n) Hessian)")
        self.nhev += 1
        H = self._hess(np.copy(x), *self.args)
        if sp.issparse(H):
            H = sparse_to_dense(H, "hess")
        H = check_real_array(H, "hess", f"an ({self.n}, {self.n}) array of real numbers")
        if H.shape != (self.n, self.n):
            raise ValueError(f"hess must return an array of shape ({self.n}, {self.n}), "
                             f"got shape {H.shape}")
        return np.array(H, dtype=np.float64)

    def hessp(self, x: FloatArray, p: FloatArray) -> FloatArray:
        if self._hessp is None:
            return self.hess(x) @ p
        self.nhev += 1
        return self._vector(self._hessp(np.copy(x), np.copy(p), *self.args), "hessp")

    def _raw_grad(self, z: npt.NDArray[Any]) -> Any:
        """The gradient at z, not cached (difference Hessians); njev counts it."""
        self.njev += 1
        if self._jac is True:
            self.nfev += 1
            out = self._fun(np.copy(z), *self.args)
            return self._vector(out[1], "jac (fun's second value)")
        return self._jac(np.copy(z), *self.args)

    def hessp_difference(self, x: FloatArray, g0: FloatArray, p: FloatArray) -> FloatArray:
        """H(x) p by differences of the gradient along p, as scipy's
        approx_derivative(as_linear_operator=True) for hess="2-point" |
        "3-point" | "cs": the step is the method's relative step / ||p||."""
        self.nhev += 1
        if not np.any(p):
            return np.zeros(self.n)
        h = _fd_rstep(self.hess_fd)
        if self.hess_fd == "2-point":
            dx = h / np.linalg.norm(p)
            return (self._vector(self._raw_grad(x + dx * p), "jac") - g0) / dx
        if self.hess_fd == "3-point":
            dx = 2 * h / np.linalg.norm(p)
            g1 = self._vector(self._raw_grad(x - (dx / 2) * p), "jac")
            g2 = self._vector(self._raw_grad(x + (dx / 2) * p), "jac")
            return (g2 - g1) / dx
        dx = h / np.linalg.norm(p)
        gc = np.asarray(self._raw_grad(x + dx * p * 1j))
        out: FloatArray = np.imag(gc).reshape(self.n) / dx
        return out


def wrap_callback(callback: Optional[Callable[..., Any]]) -> Optional[Callback]:
    """callback(xk) or callback(intermediate_result=res); None stays None."""
    if callback is None:
        return None
    if not callable(callback):
        raise TypeError(f"callback must be callable, got {callback!r}")
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = set()
    if params == {"intermediate_result"}:
        return lambda x, f: callback(intermediate_result=OptimizeResult(x=np.copy(x), fun=f))
    return lambda x, f: callback(np.copy(x))


def callback_says_stop(callback: Optional[Callback], x: FloatArray, f: float) -> bool:
    """Call a wrapped callback; True when it raised StopIteration."""
    if callback is None:
        return False
    try:
        callback(x, f)
    except StopIteration:
        return True
    return False


def make_result(x: FloatArray, fun: float, jac: Optional[FloatArray], nit: int, status: int,
                objective: Objective, message: Optional[str] = None,
                **extra: Any) -> OptimizeResult:
    """An OptimizeResult with scipy's fields; nhev only where it was used."""
    res = OptimizeResult(
        x=x, fun=fun, jac=jac, nit=nit, nfev=objective.nfev, njev=objective.njev,
        status=status, success=status == SUCCESS,
        message=message if message is not None else STATUS_MESSAGES[status], **extra)
    if (objective.has_hess or objective.has_hessp or objective.nhev
            or objective.report_nhev):
        res["nhev"] = objective.nhev
    return res


def final_status(stopped: Optional[int], nit: int, maxiter: float, gnorm: float,
                 fval: float, x: FloatArray) -> int:
    """scipy's end-of-run status: `stopped` (a status already decided, e.g.
    PR_LOSS or CALLBACK, or None), else MAXITER, NAN or SUCCESS."""
    if stopped is not None:
        return stopped
    if nit >= maxiter:
        return MAXITER
    if np.isnan(gnorm) or np.isnan(fval) or np.isnan(x).any():
        return NAN
    return SUCCESS


def finish(x: FloatArray, fun: float, jac: Optional[FloatArray], nit: int,
           stopped: Optional[int], maxiter: float, gnorm: float, objective: Objective,
           disp: bool = False, allvecs: Optional[list[FloatArray]] = None,
           **extra: Any) -> OptimizeResult:
    """How every method ends: the status, the optional printed summary, and
    the result (with allvecs when they were kept)."""
    status = final_status(stopped, nit, maxiter, gnorm, fun, x)
    if disp:
        print_summary(status, fun, nit, objective)
    res = make_result(x, fun, jac, nit, status, objective, **extra)
    if allvecs is not None:
        res["allvecs"] = allvecs
    return res


def print_summary(status: int, res_fun: float, nit: int, objective: Objective,
                  message: Optional[str] = None) -> None:
    """The disp=True report of scipy's methods."""
    if status == SUCCESS:
        print(STATUS_MESSAGES[status])
    else:   # scipy's _print_success_message_or_warn: a failure is a warning
        warnings.warn(message or STATUS_MESSAGES[status], OptimizeWarning, stacklevel=4)
    print(f"         Current function value: {res_fun:f}")
    print(f"         Iterations: {nit:d}")
    print(f"         Function evaluations: {objective.nfev:d}")
    print(f"         Gradient evaluations: {objective.njev:d}")


def check_maxiter(maxiter: object, default: int) -> Union[int, float]:
    """scipy's maxiter: any real number compared with the iteration count
    (negative or 0: no iteration, status 1; 2.5: three iterations; inf: no
    limit); None means `default`.  NaN, bools and non-numbers are refused."""
    if maxiter is None:
        return default
    if isinstance(maxiter, (bool, np.bool_)) or not isinstance(maxiter, numbers.Real):
        raise TypeError(f"option maxiter must be a real number, got {maxiter!r}")
    if maxiter != maxiter:
        raise ValueError("option maxiter must be an integer or a real number, got nan")
    if math.isfinite(maxiter) and maxiter == math.trunc(maxiter):
        return int(math.trunc(maxiter))
    return float(maxiter)


def check_common_options(gtol: object, norm: object, maxiter: object, n: int,
                         default_maxiter_per_n: int = 200,
                         ) -> tuple[float, float, Union[int, float]]:
    """gtol >= 0, norm a real or +-inf, maxiter as scipy takes it (default 200 n)."""
    gtol = check_option("gtol", gtol, 0.0)
    if isinstance(norm, (bool, np.bool_)) or not isinstance(norm, numbers.Real):
        raise TypeError(f"option norm must be a real number or +-inf, got {norm!r}")
    maxiter = check_maxiter(maxiter, default_maxiter_per_n * n)
    return gtol, float(norm), maxiter


def check_positive_definite(H: FloatArray) -> None:
    """scipy's check of hess_inv0: exactly symmetric and Cholesky-factorisable."""
    from scipy.linalg import LinAlgError, cholesky, issymmetric

    ok = bool(np.all(np.isfinite(H))) and issymmetric(H)
    if ok:
        try:
            cholesky(H)
        except LinAlgError:
            ok = False
    if not ok:
        raise ValueError("'hess_inv0' matrix isn't positive definite.")
