"""Generalized linear models fitted by full-batch solvers, on Dask arrays or
on numpy/scipy inputs: LogisticRegression, LinearRegression,
PoissonRegression.

The objective, with s_i the sample weights (1 by default) and S = sum_i s_i:

    F(w, b) = (1 / S) sum_i s_i l(x_i . w + b; y_i) + (l2 / 2) ||w||^2 + l1 ||w||_1

l the logistic (labels mapped to 0/1), squared ((m - y)^2 / 2) or Poisson
(log link) loss of fastopt.glm; the intercept b is not penalised.  With
l1 = 0 it is scikit-learn's LogisticRegression(C = 1 / (n l2)) objective
divided by C n.

Per evaluation, each row block's (f, g) -- or Hessian-vector product -- is one
call of the C kernel of fastopt.glm; on Dask the blocks are persisted once and
the partials summed in a fixed tree over block order
(fastopt.distributed.minimize's BlockSum), so the fit is bitwise the same for
any number of workers, and with one block the same as the in-process fit of
numpy/scipy input.  The solvers are fastopt.minimize's: lbfgs; newton
(truncated Newton-CG on Hessian-vector products); owlqn and fista
(proximal_gradient) for l1 > 0.

warm_start="ftrl" starts the solver from one online FTRL pass (Agarwal et
al. 2014, Vowpal Wabbit's AllReduce recipe): on Dask, one pass per row block
on its worker, the blocks' weights averaged with their row counts as
weights, in block order.
"""
from __future__ import annotations

import inspect
import math
import numbers
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from fastopt import glm as _glm
from fastopt.distributed._dask import get_client, worker_threads
from fastopt.distributed.minimize import BlockSum, check_data, persist_blocks, tree_sum

if TYPE_CHECKING:
    from scipy.optimize import OptimizeResult

_F64 = npt.NDArray[np.float64]
# a prepared row block: X (dense or CSR), y, sample weights, their sum
_Block = Tuple[Any, _F64, Optional[_F64], float]
# raw (f, g), raw Hv, S, d, close, FTRL start, classes
_Objective = Tuple[Callable[[_F64], Tuple[float, _F64]], Callable[[_F64, _F64], _F64], float,
                   int, Callable[[], None], Callable[[], _F64], Optional[npt.NDArray[Any]]]

__all__ = ["LogisticRegression", "LinearRegression", "PoissonRegression"]

_SOLVERS = ("auto", "lbfgs", "newton", "owlqn", "fista")


def _is_dask(a: Any) -> bool:
    try:
        import dask.array as da
    except ImportError:       # pragma: no cover - the package needs dask
        return False
    return isinstance(a, da.Array)


def _prepare_X(X: Any, name: str = "X") -> Any:
    """X as the kernels read it (an explicit conversion, documented in fit):
    CSR stays CSR (values to float64 unless float32, index arrays to a common
    type), anything else becomes a C-contiguous float32/float64 ndarray."""
    if sp.issparse(X):
        X = X.tocsr()
        if X.data.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.indices.dtype != X.indptr.dtype or X.indices.dtype not in (np.int32, np.int64):
            X = sp.csr_matrix((X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)),
                              shape=X.shape)
        return _glm.check_block(X, name)
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be array-like or scipy.sparse, got "
                        f"{type(X).__name__}") from None
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape "
                         f"{arr.shape}")
    if arr.dtype not in (np.float32, np.float64):
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    return _glm.check_block(np.ascontiguousarray(arr), name)


def _prepare_block(loss: str, classes: Any, d: int, Xb: Any, yb: Any,
                   swb: Any = None) -> _Block:
    """One row block made ready for the kernel, checked once (runs on the
    worker that holds the block): X converted as in fit, y as float64 (0/1
    for the logistic loss), sample weights checked."""
    Xb = _prepare_X(Xb)
    if Xb.shape[1] != d:
        raise ValueError(f"X: a block has {Xb.shape[1]} columns, expected {d}")
    yb = np.asarray(yb)
    if yb.ndim != 1 or yb.shape[0] != Xb.shape[0]:
        raise ValueError(f"y: a block has shape {yb.shape}, expected ({Xb.shape[0]},)")
    if loss == "logistic":
        known = np.isin(yb, classes)
        if not np.all(known):
            raise ValueError(f"y: label {yb[~known][0]!r} is not one of classes_ "
                             f"{list(classes)}")
        yb = (yb == classes[1]).astype(np.float64)
    else:
        yb = np.ascontiguousarray(yb, dtype=np.float64)
        if not np.all(np.isfinite(yb)):
            raise ValueError("y must be finite")
        if loss == "poisson" and np.any(yb < 0):
            raise ValueError("y must be >= 0 for PoissonRegression (counts)")
    if swb is not None:
        swb = np.ascontiguousarray(swb, dtype=np.float64)
        if swb.shape != yb.shape:
            raise ValueError(f"sample_weight: a block has shape {swb.shape}, expected "
                             f"{yb.shape}")
        if not np.all(np.isfinite(swb)) or np.any(swb < 0):
            raise ValueError("sample_weight must be finite and >= 0")
    return Xb, yb, swb, float(yb.shape[0] if swb is None else swb.sum())


def _block_fg(code: int, fit_intercept: bool, w: _F64, Xb: Any, yb: _F64, swb: Optional[_F64],
              _s: float) -> Tuple[float, _F64]:
    return _glm.block_loss_grad(code, fit_intercept, Xb, yb, swb, w, worker_threads())


def _block_hessp(code: int, fit_intercept: bool, w: _F64, v: _F64, Xb: Any, yb: _F64,
                 swb: Optional[_F64], _s: float) -> _F64:
    return _glm.block_hessp(code, fit_intercept, Xb, swb, w, v, worker_threads())


def _block_weight(block: _Block) -> float:
    return block[3]


def _ftrl_block(make: Callable[[], Any], w_dim: int, block: _Block) -> Tuple[_F64, float]:
    """One FTRL pass over a prepared block: (its d + 1 weights times the
    block's weight, the block's weight)."""
    Xb, yb, swb, s = block
    est = make()
    if s > 0:
        est.partial_fit(Xb, yb, sample_weight=swb, **(
            {"classes": np.array([0.0, 1.0])} if hasattr(est, "predict_proba") else {}))
        w = np.append(np.ravel(est.coef_), est.intercept_)
    else:
        w = np.zeros(w_dim + 1)
    return w * s, s


class _GLM:
    """Base of the three estimators: parameters, fit, the shared predictions."""

    _loss = "squared"
    _is_classifier = False
    coef_: _F64
    intercept_: Union[_F64, float]
    classes_: npt.NDArray[Any]
    n_features_in_: int
    n_iter_: int
    result_: OptimizeResult

    def __init__(self, l1: float = 0.0, l2: float = 0.0, fit_intercept: bool = True,
                 solver: str = "auto", max_iter: int = 100, tol: float = 1e-6,
                 warm_start: Optional[str] = None, client: Any = None) -> None:
        self.l1 = l1
        self.l2 = l2
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.client = client

    # -- parameters ----------------------------------------------------------
    @classmethod
    def _param_names(cls) -> List[str]:
        return [p for p in inspect.signature(_GLM.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """The constructor's parameters, as scikit-learn's get_params."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "_GLM":
        """Set constructor parameters (ValueError for an unknown one)."""
        valid = self._param_names()
        for name in params:
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters: {valid}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_params(self) -> str:
        for name in ("l1", "l2", "tol"):
            v = getattr(self, name)
            if (not isinstance(v, numbers.Real) or isinstance(v, bool)
                    or not math.isfinite(v) or v < 0 or (name == "tol" and v == 0)):
                raise ValueError(f"{name} must be a finite number "
                                 f"{'> 0' if name == 'tol' else '>= 0'}, got {v!r}")
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")
        if (not isinstance(self.max_iter, numbers.Integral) or isinstance(self.max_iter, bool)
                or self.max_iter < 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {list(_SOLVERS)}, got {self.solver!r}")
        if self.warm_start not in (None, "ftrl"):
            raise ValueError(f"warm_start must be None or 'ftrl', got {self.warm_start!r}")
        solver = self.solver
        if solver == "auto":
            solver = "owlqn" if self.l1 > 0 else "lbfgs"
        if self.l1 > 0 and solver in ("lbfgs", "newton"):
            raise ValueError(f"solver={solver!r} cannot handle l1 > 0: use 'owlqn' or "
                             "'fista' (or 'auto')")
        return solver

    # -- fitting -------------------------------------------------------------
    def _classes(self, y: Any) -> Optional[npt.NDArray[Any]]:
        return None

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "_GLM":
        """Fit on all rows of X, y.

        Parameters
        ----------
        X : dask array (chunked by rows only), ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features).  Dask blocks and local inputs may
            be dense or CSR; other dtypes than float32/float64 are converted
            to float64, other sparse formats to CSR (once, per block).
        y : dask array (same row chunks as X) or array_like, (n_samples,)
        sample_weight : same kind as y, optional
            Non-negative row weights.

        Returns
        -------
        self

        Raises
        ------
        TypeError, ValueError
            A bad parameter or input, named (non-row-chunked or mismatched
            Dask chunks, wrong shapes, labels out of range).
        """
        solver = self._check_params()
        if _is_dask(X) or _is_dask(y) or _is_dask(sample_weight):
            raw, raw_h, S, d, close, ftrl_x0, classes = self._dask_objective(
                X, y, sample_weight)
        else:
            raw, raw_h, S, d, close, ftrl_x0, classes = self._local_objective(
                X, y, sample_weight)
        try:
            if S <= 0:
                raise ValueError("sample_weight sums to 0: nothing to fit")
            x0 = np.zeros(d + bool(self.fit_intercept))
            if self.warm_start == "ftrl":
                x0 = ftrl_x0()
            res = self._solve(solver, raw, raw_h, S, d, x0)
        finally:
            close()
        w = res.x                      # all checks passed: now update the estimator
        if classes is not None:
            self.classes_ = classes
        b = float(w[d]) if self.fit_intercept else 0.0
        if self._is_classifier:     # scikit-learn's LogisticRegression: (1, n), (1,)
            self.coef_, self.intercept_ = w[None, :d].copy(), np.array([b])
        else:
            self.coef_, self.intercept_ = w[:d].copy(), b
        self.n_features_in_ = d
        self.n_iter_ = int(res.nit)
        self.result_ = res
        return self

    def _ftrl_factory(self) -> Callable[[], Any]:
        from fastopt.online import FTRLClassifier, FTRLRegressor

        if self._loss == "logistic":
            return partial(FTRLClassifier, fit_intercept=bool(self.fit_intercept))
        return partial(FTRLRegressor, loss=self._loss, fit_intercept=bool(self.fit_intercept))

    def _local_objective(self, X: Any, y: Any, sample_weight: Any) -> _Objective:
        X = _prepare_X(X)
        n, d = X.shape
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must have shape ({n},) to match X, got {y.shape}")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
            if sample_weight.shape != (n,):
                raise ValueError(f"sample_weight must have shape ({n},), got "
                                 f"{sample_weight.shape}")
        classes = self._classes(np.unique(y) if self._is_classifier else None)
        block = _prepare_block(self._loss, classes, d, X, y, sample_weight)
        code, fi = _glm.LOSSES[self._loss], bool(self.fit_intercept)

        def ftrl_x0() -> _F64:
            w, s = _ftrl_block(self._ftrl_factory(), d, block)
            return self._trim(w / s, d)

        return (lambda w: _block_fg(code, fi, w, *block),
                lambda w, v: _block_hessp(code, fi, w, v, *block),
                block[3], d, lambda: None, ftrl_x0, classes)

    def _dask_objective(self, X: Any, y: Any, sample_weight: Any) -> _Objective:
        names = ["X", "y"] + (["sample_weight"] if sample_weight is not None else [])
        arrays = [X, y] + ([sample_weight] if sample_weight is not None else [])
        arrays, _ = check_data(tuple(arrays), names=names)
        X, y = arrays[0], arrays[1]
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim}-D")
        for a, nm in zip(arrays[1:], names[1:]):
            if a.ndim != 1:
                raise ValueError(f"{nm} must be 1-D, got shape {a.shape}")
        d = int(X.shape[1])
        client = get_client(self.client)
        classes = None
        if self._is_classifier:
            import dask.array as da

            classes = self._classes(client.compute(da.unique(y)).result())
        blocks = persist_blocks(client, arrays,
                                prep=partial(_prepare_block, self._loss, classes, d))
        # the weights S of the blocks, added in block order on the driver
        S = tree_sum(client.gather([client.submit(_block_weight, b, pure=False)
                                    for b in blocks]), lambda a, b: a + b)
        code, fi = _glm.LOSSES[self._loss], bool(self.fit_intercept)
        oracle = BlockSum(client, blocks, partial(_block_fg, code, fi),
                          partial(_block_hessp, code, fi))

        def ftrl_x0() -> _F64:
            parts = client.gather([client.submit(_ftrl_block, self._ftrl_factory(), d, b,
                                                 pure=False) for b in blocks])
            w, s = tree_sum(parts, lambda a, b: (a[0] + b[0], a[1] + b[1]))
            return self._trim(w / s, d)

        def close() -> None:
            oracle.blocks = []
            blocks.clear()

        return oracle, oracle.hessp, S, d, close, ftrl_x0, classes

    def _trim(self, w: _F64, d: int) -> _F64:
        return w if self.fit_intercept else w[:d]

    def _solve(self, solver: str, raw: Callable[[_F64], Tuple[float, _F64]],
               raw_h: Callable[[_F64, _F64], _F64], S: float, d: int,
               x0: _F64) -> OptimizeResult:
        from fastopt.minimize import minimize as fastopt_minimize

        l1, l2 = float(self.l1), float(self.l2)

        def fun(w: _F64) -> Tuple[float, _F64]:
            f, g = raw(w)
            f, g = f / S, g / S
            coef = w[:d]
            f += 0.5 * l2 * float(np.dot(coef, coef))
            g[:d] += l2 * coef
            return f, g

        def hessp(w: _F64, v: _F64) -> _F64:
            h = raw_h(w, v) / S
            h[:d] += l2 * v[:d]
            return h

        # tol is a gradient tolerance; the decrease of F near the optimum is of
        # the order of the gradient squared, hence ftol = tol^2
        opts: Dict[str, Any] = {"maxiter": int(self.max_iter), "gtol": float(self.tol)}
        if solver in ("lbfgs", "owlqn"):
            opts["ftol"] = float(self.tol) ** 2
        if solver == "lbfgs":
            return fastopt_minimize(fun, x0, jac=True, method="lbfgs", options=opts)
        if solver == "newton":
            opts["xtol"] = float(self.tol)
            return fastopt_minimize(fun, x0, jac=True, method="newton", hessp=hessp,
                                    options=opts)
        weights = np.zeros(x0.shape[0])
        weights[:d] = l1
        if solver == "owlqn":
            return fastopt_minimize(fun, x0, jac=True, method="owlqn",
                                    options=dict(opts, l1=weights))

        def prox(v: _F64, step: float) -> _F64:
            return np.sign(v) * np.maximum(np.abs(v) - weights * step, 0.0)

        return fastopt_minimize(fun, x0, jac=True, method="proximal_gradient",
                                options=dict(opts, prox=prox,
                                             phi=lambda w: float(np.dot(weights, np.abs(w)))))

    # -- predictions ---------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise AttributeError(f"this {type(self).__name__} is not fitted yet: call fit")

    def decision_function(self, X: Any) -> Any:
        """X @ coef_ + intercept_: a dask array for dask input (lazy, per block),
        else an ndarray."""
        self._check_fitted()
        if _is_dask(X):
            check_data((X,), names=["X"])
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(f"X must have {self.n_features_in_} columns, got shape "
                                 f"{X.shape}")
            return X.map_blocks(_margin_block, *self._weights(), drop_axis=1,
                                dtype=np.float64)
        X = _prepare_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} columns, got {X.shape[1]}")
        return _margin_block(X, *self._weights())

    def _weights(self) -> Tuple[_F64, float]:
        """(coef as (n,), intercept as float), whatever their public shapes."""
        return np.ravel(self.coef_), float(np.ravel(self.intercept_)[0])


def _margin_block(Xb: Any, coef: _F64, intercept: float) -> _F64:
    return np.asarray(Xb @ coef, dtype=np.float64).ravel() + intercept


def _labels(margin: _F64, classes: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return classes[(margin > 0).astype(np.intp)]


def _local(a: Any) -> npt.NDArray[Any]:
    return a.compute() if _is_dask(a) else np.asarray(a)


# The constructor's parameters, shared by the three estimators' docstrings.
_PARAMETERS = """Parameters
    ----------
    l1, l2 : float
        L1 and L2 penalties on the coefficients (not on the intercept).
    fit_intercept : bool
        Whether to fit an intercept (unpenalised).
    solver : {"auto", "lbfgs", "newton", "owlqn", "fista"}
        "auto": lbfgs when l1 == 0, owlqn otherwise; lbfgs and newton need
        l1 == 0.
    max_iter : int
        Iterations of the solver.
    tol : float
        The solver's gradient tolerance (inf-norm of the objective's
        gradient, or pseudo-gradient / prox-gradient mapping for l1 > 0).
    warm_start : {None, "ftrl"}
        Start from one online FTRL pass (module docstring).
    client : distributed.Client, optional
        For Dask input; None: the default client.
"""


class LogisticRegression(_GLM):
    __doc__ = f"""Binary logistic regression (module docstring for the objective).

    {_PARAMETERS}
    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        As scikit-learn's LogisticRegression.
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray
        The two labels (``classes_[1]`` is the positive one).
    n_iter_ : int
    result_ : scipy.optimize.OptimizeResult of the solver

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.distributed import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression(l2=0.1).fit(X, y)
    >>> clf.predict(X).tolist()
    [0, 0, 1, 1]
    """

    _loss = "logistic"
    _is_classifier = True

    def _classes(self, labels: npt.ArrayLike) -> npt.NDArray[Any]:
        labels = np.asarray(labels)
        if labels.shape[0] != 2:
            raise ValueError(f"y: LogisticRegression needs exactly 2 classes, got "
                             f"{labels.shape[0]}: {labels.tolist()[:10]}")
        return labels

    def predict_proba(self, X: Any) -> Any:
        """The probabilities of the two classes.

        Parameters
        ----------
        X : dask array, ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features), as for fit.

        Returns
        -------
        dask array or ndarray of shape (n_samples, 2)
            ``[P(classes_[0]), P(classes_[1])]`` per row; a dask array (lazy)
            for dask input.
        """
        m = self.decision_function(X)
        if _is_dask(m):
            import dask.array as da

            p = 1.0 / (1.0 + da.exp(-m))
            return da.stack([1.0 - p, p], axis=1)
        p = 1.0 / (1.0 + np.exp(-m))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> Any:
        """The predicted labels.

        Parameters
        ----------
        X : dask array, ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features), as for fit.

        Returns
        -------
        dask array or ndarray of shape (n_samples,)
            ``classes_[1]`` where the margin is > 0, else ``classes_[0]``; a
            dask array (lazy) for dask input.
        """
        m = self.decision_function(X)
        if _is_dask(m):
            return m.map_blocks(_labels, self.classes_, dtype=self.classes_.dtype)
        return _labels(m, self.classes_)

    def score(self, X: Any, y: Any) -> float:
        """The accuracy on X, y.

        Parameters
        ----------
        X : dask array, ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features), as for fit.
        y : dask array or array_like of shape (n_samples,)
            The true labels.

        Returns
        -------
        float
            The fraction of rows predicted right.
        """
        return float(np.mean(_local(self.predict(X)) == _local(y)))


class LinearRegression(_GLM):
    __doc__ = f"""Least squares, ``(1 / 2S) sum_i s_i (x_i . w + b - y_i)^2`` + penalties.

    {_PARAMETERS}
    Attributes
    ----------
    coef_, intercept_, n_iter_, result_
        As LogisticRegression's (no ``classes_``).
    """

    _loss = "squared"

    def predict(self, X: Any) -> Any:
        """The predicted values, ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : dask array, ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features), as for fit.

        Returns
        -------
        dask array or ndarray of shape (n_samples,)
            A dask array (lazy) for dask input.
        """
        return self.decision_function(X)

    def score(self, X: Any, y: Any) -> float:
        """R^2, the coefficient of determination, on X, y.

        Parameters
        ----------
        X : dask array, ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features), as for fit.
        y : dask array or array_like of shape (n_samples,)
            The true values.

        Returns
        -------
        float
            1 - (residual sum of squares) / (total sum of squares); 0 when y
            is constant.
        """
        y = _local(y).astype(np.float64)
        resid = np.sum((y - _local(self.predict(X))) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - resid / total) if total > 0 else 0.0


class PoissonRegression(_GLM):
    __doc__ = f"""Poisson regression with the log link: the loss ``e^m - y m``,
    predictions ``exp(x . w + b)``.

    {_PARAMETERS}
    Attributes
    ----------
    coef_, intercept_, n_iter_, result_
        As LogisticRegression's (no ``classes_``).
    """

    _loss = "poisson"

    def predict(self, X: Any) -> Any:
        """The expected counts, ``exp(X @ coef_ + intercept_)``.

        Parameters
        ----------
        X : dask array, ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features), as for fit.

        Returns
        -------
        dask array or ndarray of shape (n_samples,)
            A dask array (lazy) for dask input.
        """
        m = self.decision_function(X)
        if _is_dask(m):
            import dask.array as da

            return da.exp(m)
        return np.exp(m)

    def score(self, X: Any, y: Any) -> float:
        """D^2, the fraction of Poisson deviance explained on X, y (as
        scikit-learn's PoissonRegressor.score).

        Parameters
        ----------
        X : dask array, ndarray or scipy.sparse matrix
            Of shape (n_samples, n_features), as for fit.
        y : dask array or array_like of shape (n_samples,)
            The observed counts.

        Returns
        -------
        float
            1 - deviance / (the deviance of the mean); 0 when y is constant.
        """
        y = _local(y).astype(np.float64)
        mu = _local(self.predict(X))

        def deviance(mu: _F64) -> float:
            ylog = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
            return float(2.0 * np.sum(ylog - y + mu))

        null = deviance(np.full_like(y, y.mean()))
        return float(1.0 - deviance(mu) / null) if null > 0 else 0.0
