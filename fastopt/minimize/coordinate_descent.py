"""Coordinate descent for the lasso / elastic net and for penalised quadratics.

Two kinds of problem, chosen by which arrays are given:

* least squares with a design matrix ``X`` (dense, or scipy.sparse, used as
  CSC) and targets ``y``, in scikit-learn's convention for Lasso/ElasticNet::

      (1 / (2 n)) ||y - X w - c||^2 + alpha * l1_ratio * ||w||_1
                                     + alpha * (1 - l1_ratio) / 2 * ||w||^2

  with the intercept c = 0 (``fit_intercept=False``, the default here) or
  fitted by centring X and y as scikit-learn does (sparse X is centred
  implicitly, never densified);
* a quadratic given by ``A`` (symmetric positive semidefinite) and ``b``::

      1/2 x'Ax - b'x + l1 ||x||_1 + l2/2 ||x||^2.

The per-coordinate loop is C (csrc/coordinate_descent.c, GIL released):
scikit-learn's update, duality-gap stopping and gap-safe screening, dense,
CSC, or on the Gram matrix X'X (``precompute``), which is also how the
quadratic is solved.  ``block`` coordinate descent (``blocks=``) is the
numpy loop at the end of this file.

Stopping (``tol``), as scikit-learn: least squares stops when the duality gap
of the problem above is <= tol * ||y_c||^2 / n (y_c: y, centred when an
intercept is fitted), looked at after a sweep whose largest coordinate
change is <= tol * max |w_j|.  A quadratic has no gap (no ||y||^2 behind it):
it stops when the largest minimum-norm subgradient max_j |d_j F(x)| has
dropped to tol times its value at x0.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable, Optional, Tuple, Union, cast

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import numpy.typing as npt
from numpy.typing import ArrayLike

from fastopt import _kernels
from fastopt._threads import effective_n_threads
from fastopt._validation import check_compressed
from fastopt.minimize._common import (CALLBACK, MAXITER, SUCCESS, STATUS_MESSAGES,
                                      callback_says_stop, check_option, check_x0,
                                      sparse_to_dense, warn_unknown_options,
                                      wrap_callback, Callback)
from scipy.optimize import OptimizeResult

__all__ = ["minimize_coordinate_descent"]

_ORDERS = ("cyclic", "random")


_F64 = npt.NDArray[np.float64]


def minimize_coordinate_descent(fun: Optional[Callable[..., Any]] = None,
                                x0: Optional[ArrayLike] = None, args: Tuple[Any, ...] = (),
                                jac: None = None,
                                callback: Optional[Callable[..., Any]] = None, *,
                                X: Any = None, y: Optional[ArrayLike] = None,
                                alpha: Optional[float] = None, l1_ratio: float = 1.0,
                                fit_intercept: bool = False, A: Any = None,
                                b: Optional[ArrayLike] = None, l1: float = 0.0,
                                l2: float = 0.0, blocks: Any = None, group_l2: float = 0.0,
                                order: str = "cyclic",
                                random_state: Union[None, int, np.random.Generator] = None,
                                precompute: Union[bool, str] = "auto",
                                screening: bool = True, tol: Optional[float] = 1e-4,
                                maxiter: int = 1000, n_threads: Optional[int] = None,
                                **unknown_options: Any) -> OptimizeResult:
    """Coordinate descent (Friedman et al. 2010) on a lasso / elastic net or a penalised quadratic.

    See the module docstring for the two objectives and the stopping rules.

    Parameters
    ----------
    fun : None
        Must be None: the objective is defined by X, y or A, b (so that
        ``minimize(None, x0, method="coordinate_descent", options=...)``
        works).
    x0 : array_like, optional
        The start, shape (n_features,); None: zeros.  Never modified.
    args : tuple
        Must be empty.
    jac : None
        Must be None.
    callback : callable, optional
        ``callback(xk)`` or ``callback(intermediate_result=res)`` after each
        sweep (the run is then one C call per sweep, each also computing the
        gap); raising StopIteration stops the run.
    X : numpy.ndarray or scipy.sparse matrix, optional
        The design matrix of least squares, (n_samples, n_features); sparse
        X is used as CSC and never changed.
    y : numpy.ndarray, optional
        The targets, (n_samples,).
    alpha : float, optional
        scikit-learn's penalty weight; None: 1.0.
    l1_ratio : float
        scikit-learn's mix of L1 and L2, in [0, 1]; 1 is the lasso.
    fit_intercept : bool
        Fit an intercept by centring X and y, as scikit-learn does.
    A : numpy.ndarray or scipy.sparse matrix, optional
        The quadratic's symmetric positive semidefinite matrix.
    b : numpy.ndarray, optional
        The quadratic's linear term.
    l1 : float
        The quadratic's L1 weight, >= 0.
    l2 : float
        The quadratic's L2 weight, >= 0.
    blocks : int or sequence of array_like, optional
        Block coordinate descent: an int k (consecutive blocks of k
        coordinates) or index arrays partitioning ``range(n_features)``.  A
        block is solved exactly when the penalty is smooth (l1 = group_l2 =
        0); otherwise it takes one proximal-gradient step with step 1/L_B
        and the prox of ``l1 ||x_B||_1 + group_l2 ||x_B||_2``.
    group_l2 : float
        The group-lasso weight, >= 0; > 0 needs `blocks`.
    order : {"cyclic", "random"}
        The coordinates in order, or a fresh random permutation every sweep.
    random_state : None, int or numpy.random.Generator
        The random source of ``order="random"``.
    precompute : {"auto", True, False}
        Run on the Gram matrix X'X.  "auto" takes it only when X is dense,
        n_samples >= 2 n_features and n_features <= 100.
    screening : bool
        Gap-safe screening of coordinates that are zero at the optimum.
    tol : float
        The stopping tolerance (module docstring), >= 0.
    maxiter : int
        The limit on sweeps.
    n_threads : int, optional
        Threads of the C loop's reductions; None: all usable cores.
    **unknown_options
        Other options are ignored with an OptimizeWarning naming them.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun`` (the full objective), ``jac`` (the gradient of its
        smooth part), ``nit`` (sweeps), ``nfev = njev = 0``, ``status``,
        ``success``, ``message``, and for least squares ``dual_gap`` (on the
        1/(2n) scale) and ``intercept``.

    Raises
    ------
    TypeError
        If fun, jac or args are given, or an option has the wrong type.
    ValueError
        If neither (X, y) nor (A, b) is given, or both, an option is out of
        range, or a shape does not fit (the message names it).

    Examples
    --------
    >>> from fastopt.minimize import minimize_coordinate_descent
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); y = np.array([1.0, 0.1, 1.1])
    >>> res = minimize_coordinate_descent(X=X, y=y, alpha=0.1)
    >>> bool(res.success), res.x.round(4)          # as sklearn.linear_model.Lasso(alpha=0.1)
    (True, array([0.9, 0. ]))
    """
    warn_unknown_options(unknown_options, stacklevel=3)
    if fun is not None:
        raise TypeError("coordinate_descent takes its objective from X, y (least "
                        "squares) or A, b (a quadratic), not from fun; pass fun=None")
    if jac is not None:
        raise TypeError("coordinate_descent does not use jac; pass jac=None")
    if args not in ((), None):
        raise TypeError("coordinate_descent does not use args; pass args=()")
    cb = wrap_callback(callback)
    if order not in _ORDERS:
        raise ValueError(f"option order must be one of {_ORDERS}, got {order!r}")
    tol = check_option("tol", tol, 0.0)
    maxiter = check_option("maxiter", maxiter, 0, integer=True)
    if not isinstance(screening, (bool, np.bool_)):
        raise TypeError(f"option screening must be a bool, got {screening!r}")
    if not (isinstance(precompute, (bool, np.bool_)) or precompute == "auto"):
        raise ValueError(f"option precompute must be 'auto', True or False, got {precompute!r}")
    group_l2 = check_option("group_l2", group_l2, 0.0, finite=True)
    nt = effective_n_threads(n_threads)
    seed = _seed(random_state)

    prob: Union[_LeastSquares, _Quadratic]
    if X is not None or y is not None:
        if A is not None or b is not None:
            raise ValueError("give either X, y (least squares) or A, b (a quadratic), not both")
        if l1 != 0.0 or l2 != 0.0:
            raise ValueError("with X, y the penalty is alpha and l1_ratio (scikit-learn's); "
                             "l1 and l2 are for a quadratic A, b")
        prob = _LeastSquares(X, y, 1.0 if alpha is None else alpha, l1_ratio, fit_intercept)
    elif A is not None or b is not None:
        if alpha is not None or l1_ratio != 1.0 or fit_intercept:
            raise ValueError("alpha, l1_ratio and fit_intercept are for least squares "
                             "(X, y); a quadratic A, b takes l1 and l2")
        prob = _Quadratic(A, b, l1, l2)
    else:
        raise ValueError("coordinate_descent needs X and y (least squares) or A and b "
                         "(a quadratic)")
    p = prob.p
    if x0 is None:
        w = np.zeros(p)
    else:
        w = check_x0(x0)
        if w.shape[0] != p:
            raise ValueError(f"x0 has {w.shape[0]} elements; expected {p}, one per "
                             f"{'column of X' if prob.lsq else 'row of A'}")
    if group_l2 > 0.0 and blocks is None:
        raise ValueError("option group_l2 (the group lasso) needs blocks= (the groups)")

    if blocks is not None:
        bl = _check_blocks(blocks, p)
        nit, status, gap = _block_cd(prob, w, bl, group_l2, order, seed, tol, maxiter, cb)
    else:
        nit, status, gap = _run_c(prob, w, order, seed, precompute, screening, tol,
                                  maxiter, nt, cb)
    return prob.result(w, nit, status, gap, group_l2, bl if blocks is not None else None)


# ---- problems -------------------------------------------------------------------

def _array(name: str, value: object, ndim: int) -> npt.NDArray[Any]:
    if sp.issparse(value):
        raise TypeError(f"{name} must be a dense numpy array here, got a sparse matrix")
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating)
                                   or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _canonical_csc(X: Any) -> Any:   # scipy sparse in and out (untyped)
    """A new float64 CSC matrix in canonical form (sorted row indices, no
    duplicates, finite) equal to the scipy.sparse X.

    scipy's constructors do not check a CSR/CSC structure, and its
    conversions and sum_duplicates run C++ that trusts it (and work in place
    on the arrays they are given): X's structure is checked first, and the
    canonical form is built from copies, so that the caller's arrays and
    flags are never touched."""
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    compressed = X.format in ("csr", "csc")
    if compressed:
        indptr, indices, data = check_compressed(X, "X")
    dtype = data.dtype if compressed else X.dtype
    if dtype.kind not in "fiub":
        raise TypeError(f"X must hold real numbers, got dtype {dtype}")
    if compressed:
        nnz = int(indptr[-1])
        X = (sp.csc_matrix if X.format == "csc" else sp.csr_matrix)(
            (data[:nnz].astype(np.float64), indices[:nnz].copy(), indptr.copy()),
            shape=X.shape)
    X = X.tocsc().astype(np.float64, copy=False)  # other formats: scipy's new arrays
    X.sum_duplicates()
    if not np.all(np.isfinite(X.data)):
        raise ValueError("X must be finite (no NaN or inf)")
    return X


class _LeastSquares:
    lsq = True

    def __init__(self, X: Any, y: Optional[ArrayLike], alpha: float, l1_ratio: float,
                 fit_intercept: bool) -> None:
        self.alpha = check_option("alpha", alpha, 0.0, finite=True)
        self.l1_ratio = check_option("l1_ratio", l1_ratio, 0.0, 1.0)
        if not isinstance(fit_intercept, (bool, np.bool_)):
            raise TypeError(f"option fit_intercept must be a bool, got {fit_intercept!r}")
        if X is None or y is None:
            raise ValueError("least squares needs both X and y")
        self.sparse = sp.issparse(X)
        if self.sparse:
            X = _canonical_csc(X)
        else:
            X = _array("X", X, 2)
        y = _array("y", y, 1).astype(np.float64)
        n, p = X.shape
        if n == 0 or p == 0:
            raise ValueError(f"X must have at least one sample and one feature, got shape {X.shape}")
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} elements; expected {n}, one per row of X")
        self.n, self.p = n, p
        self.fit_intercept = bool(fit_intercept)
        if self.fit_intercept:
            self.X_offset = np.asarray(X.mean(axis=0), dtype=np.float64).reshape(p)
            self.y_offset = float(y.mean())
        else:
            self.X_offset = np.zeros(p)
            self.y_offset = 0.0
        self.y = y - self.y_offset
        if self.sparse:
            self.X = X
            self.mu = self.X_offset if self.fit_intercept else None
            # what C reads: the canonical matrix's own arrays, checked
            indptr, indices, values = check_compressed(X, "X")
            self.csc = (indptr.astype(np.int64), indices.astype(np.int64), values)
        else:
            if self.fit_intercept:  # one copy, centred in place
                Xc = np.array(X, dtype=np.float64, order="F", copy=True)
                Xc -= self.X_offset
            else:
                Xc = np.asfortranarray(X, dtype=np.float64)
            self.X = Xc
            self.mu = None
        # the C problem: 1/2||y - Xw||^2 + a||w||_1 + b/2||w||^2 is n times ours
        self.l1 = self.alpha * self.l1_ratio
        self.l2 = self.alpha * (1.0 - self.l1_ratio)
        self.c_alpha, self.c_beta = self.l1 * n, self.l2 * n
        self.y_norm2 = float(self.y @ self.y)

    def matvec(self, w: _F64) -> _F64:
        """X_c w (the centred design)."""
        out: _F64
        if self.sparse:
            out = self.X @ w
            if self.mu is not None:
                out = out - self.mu @ w
            return out
        nz = np.flatnonzero(w)  # a lasso solution is sparse: use its columns only
        out = self.X[:, nz] @ w[nz] if nz.size < self.p // 2 else self.X @ w
        return out

    def rmatvec(self, r: _F64) -> _F64:
        """X_c' r."""
        if self.sparse:
            out = self.X.T @ r
            if self.mu is not None:
                out = out - self.mu * r.sum()
            return np.asarray(out).reshape(self.p)
        dense: _F64 = self.X.T @ r
        return dense

    def gram(self) -> tuple[_F64, _F64]:
        """Q = X_c'X_c, q = X_c'y_c (dense, C order)."""
        if self.sparse:
            Q = (self.X.T @ self.X).toarray()
            if self.mu is not None:
                Q -= self.n * np.outer(self.mu, self.mu)
        else:
            Q = self.X.T @ self.X
        return np.ascontiguousarray(Q), np.ascontiguousarray(self.rmatvec(self.y))

    def objective(self, w: _F64) -> tuple[float, _F64]:
        r = self.y - self.matvec(w)
        return (float(r @ r) / (2 * self.n) + self.l1 * float(np.abs(w).sum())
                + 0.5 * self.l2 * float(w @ w)), r

    def result(self, w: _F64, nit: int, status: int, gap: Optional[float], group_l2: float,
               blocks: Optional[list[npt.NDArray[np.int64]]]) -> OptimizeResult:
        f, r = self.objective(w)
        f += group_l2 * _group_norms(w, blocks)
        g = -self.rmatvec(r) / self.n + self.l2 * w
        res = _result(w, f, g, nit, status)
        res["dual_gap"] = gap / self.n if gap is not None else None
        res["intercept"] = self.y_offset - float(self.X_offset @ w)
        return res


class _Quadratic:
    lsq = False

    def __init__(self, A: Any, b: Optional[ArrayLike], l1: float, l2: float) -> None:
        if A is None or b is None:
            raise ValueError("a quadratic needs both A and b")
        if sp.issparse(A):
            A = sparse_to_dense(A, "A")
        A = _array("A", A, 2)
        b = _array("b", b, 1)
        p = b.shape[0]
        if A.shape != (p, p):
            raise ValueError(f"A has shape {A.shape}; expected ({p}, {p}) to match b")
        if p == 0:
            raise ValueError("b must have at least one element")
        self.A = np.ascontiguousarray(A, dtype=np.float64)
        self.b = np.ascontiguousarray(b, dtype=np.float64)
        self.l1 = check_option("l1", l1, 0.0, finite=True)
        self.l2 = check_option("l2", l2, 0.0, finite=True)
        scale = np.abs(self.A).max()
        if np.abs(self.A - self.A.T).max() > 1e-12 * scale:
            raise ValueError("A must be symmetric (A == A.T up to round-off)")
        d = np.diag(self.A)
        if (d < 0).any():
            j = int(np.flatnonzero(d < 0)[0])
            raise ValueError(f"A must be positive semidefinite; A[{j}, {j}] = {d[j]!r} < 0")
        flat = (d + self.l2 == 0) & (np.abs(self.b) > self.l1)
        if flat.any():
            j = int(np.flatnonzero(flat)[0])
            raise ValueError(f"the objective is unbounded below along coordinate {j}: "
                             f"A[{j}, {j}] + l2 = 0 and |b[{j}]| > l1")
        self.p = p
        self.c_alpha, self.c_beta = self.l1, self.l2

    def kkt(self, w: _F64) -> float:
        """The largest minimum-norm subgradient of F at w."""
        g = self.A @ w - self.b + self.l2 * w
        r = np.where(w > 0, np.abs(g + self.l1),
                     np.where(w < 0, np.abs(g - self.l1),
                              np.maximum(np.abs(g) - self.l1, 0.0)))
        return float(r.max())

    def gram(self) -> tuple[_F64, _F64]:
        return self.A, self.b

    def result(self, w: _F64, nit: int, status: int, gap: Optional[float], group_l2: float,
               blocks: Optional[list[npt.NDArray[np.int64]]]) -> OptimizeResult:
        Aw = self.A @ w
        f = (0.5 * float(w @ Aw) - float(self.b @ w) + self.l1 * float(np.abs(w).sum())
             + 0.5 * self.l2 * float(w @ w) + group_l2 * _group_norms(w, blocks))
        return _result(w, f, Aw - self.b + self.l2 * w, nit, status)


def _group_norms(w: _F64, blocks: Optional[list[npt.NDArray[np.int64]]]) -> float:
    if blocks is None:
        return 0.0
    return float(sum(np.linalg.norm(w[B]) for B in blocks))


def _result(w: _F64, f: float, g: _F64, nit: int, status: int) -> OptimizeResult:
    return OptimizeResult(x=w, fun=f, jac=g, nit=nit, nfev=0, njev=0, status=status,
                          success=status == SUCCESS, message=STATUS_MESSAGES[status])


def _seed(random_state: object) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(0, 2**63))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63))
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, numbers.Integral):
        raise TypeError("option random_state must be None, an int or a numpy Generator, "
                        f"got {random_state!r}")
    if random_state < 0:
        raise ValueError(f"option random_state must be >= 0, got {random_state!r}")
    return int(random_state) % 2**64


# ---- the C coordinate loop ---------------------------------------------------------

def _run_c(prob: Union[_LeastSquares, _Quadratic], w: _F64, order: str, seed: int,
           precompute: Union[bool, str], screening: bool, tol: float, maxiter: int, nt: int,
           cb: Optional[Callback]) -> tuple[int, int, Optional[float]]:
    kw: dict[str, Any] = dict(alpha=prob.c_alpha, beta=prob.c_beta, tol=tol,
                              random=order == "random", screening=bool(screening),
                              n_threads=nt)
    if isinstance(prob, _Quadratic):    # prob.lsq False
        Q, q = prob.gram()
        data: dict[str, Any] = dict(kind="gram", y=q, X=Q.reshape(-1), y_norm2=None)
        gap_tol = tol * prob.kkt(w)
    else:
        gap_tol = tol * prob.y_norm2
        use_gram = precompute is True or (
            precompute == "auto" and not prob.sparse and prob.n >= 2 * prob.p
            and prob.p <= 100)
        if use_gram:
            Q, q = prob.gram()
            data = dict(kind="gram", y=q, X=Q.reshape(-1), y_norm2=prob.y_norm2)
        elif prob.sparse:
            indptr, indices, values = prob.csc
            data = dict(kind="csc", y=prob.y, indptr=indptr, indices=indices,
                        data=values, mu=prob.mu)
        else:
            data = dict(kind="dense", y=prob.y, X=prob.X.reshape(-1, order="F"))
    rng = seed
    if cb is None:
        nit, gap, conv, rng = _kernels.cd_enet(w=w, max_iter=maxiter, gap_tol=gap_tol,
                                               rng=rng, **data, **kw)
        return nit, SUCCESS if conv else MAXITER, gap
    nit = 0
    while True:
        it, gap, conv, rng = _kernels.cd_enet(w=w, max_iter=1 if nit < maxiter else 0,
                                              gap_tol=gap_tol, rng=rng, **data, **kw)
        nit += it
        if conv:
            return nit, SUCCESS, gap
        if nit >= maxiter:
            return nit, MAXITER, gap
        if callback_says_stop(cb, w, prob.result(w, nit, SUCCESS, None, 0.0, None).fun):
            return nit, CALLBACK, gap


# ---- block coordinate descent ------------------------------------------------------

def _check_blocks(blocks: object, p: int) -> list[npt.NDArray[np.int64]]:
    if isinstance(blocks, (bool, np.bool_)):
        raise TypeError(f"option blocks must be an int or a sequence of index arrays, got {blocks!r}")
    if isinstance(blocks, numbers.Integral):
        if blocks < 1:
            raise ValueError(f"option blocks must be >= 1 (the block size), got {blocks!r}")
        return [np.arange(s, min(s + int(blocks), p)) for s in range(0, p, int(blocks))]
    try:
        out = [np.asarray(B) for B in cast(Iterable[ArrayLike], blocks)]  # else TypeError
    except TypeError:
        raise TypeError("option blocks must be an int or a sequence of index arrays, "
                        f"got {type(blocks).__name__}") from None
    seen = np.zeros(p, dtype=np.int64)
    for k, B in enumerate(out):
        if B.ndim != 1 or B.size == 0 or B.dtype.kind not in "iu":
            raise ValueError(f"blocks[{k}] must be a non-empty 1-D integer index array")
        if B.min() < 0 or B.max() >= p:
            raise ValueError(f"blocks[{k}] holds an index outside [0, {p})")
        np.add.at(seen, B, 1)
    if (seen != 1).any():
        j = int(np.flatnonzero(seen != 1)[0])
        raise ValueError(f"blocks must partition range({p}): coordinate {j} is in "
                         f"{int(seen[j])} blocks")
    return [B.astype(np.int64) for B in out]


def _block_cd(prob: Union[_LeastSquares, _Quadratic], w: _F64, blocks: list[npt.NDArray[np.int64]],
              group_l2: float, order: str, seed: int, tol: float, maxiter: int,
              cb: Optional[Callback]) -> tuple[int, int, Optional[float]]:
    """Block coordinate descent on the Gram form 1/2 w'Qw - q'w + penalties
    (least squares: Q = X_c'X_c / n, q = X_c'y_c / n, its l1 and l2).

    Stops when the largest block gradient mapping, L_B (w_B - prox(w_B -
    grad_B / L_B)) (exact blocks: the block gradient), is <= tol times its
    value at x0."""
    Q, q = prob.gram()
    if isinstance(prob, _LeastSquares):   # prob.lsq
        Q, q = Q / prob.n, q / prob.n
    l1, l2 = prob.l1, prob.l2
    exact = l1 == 0.0 and group_l2 == 0.0
    facts: list[Any] = []   # cho_factor results (exact) or step scales (float)
    for B in blocks:
        H = Q[np.ix_(B, B)] + l2 * np.eye(B.size)
        if exact:
            try:
                facts.append(scipy.linalg.cho_factor(H))
            except np.linalg.LinAlgError:
                raise ValueError("a diagonal block of the quadratic is singular; exact "
                                 "block solves need it positive definite (add l2 > 0)") from None
        else:
            facts.append(max(float(scipy.linalg.eigvalsh(H)[-1]), 1e-300))
    Qw = Q @ w
    rng = np.random.default_rng(seed)

    def step(B: npt.NDArray[np.int64], fact: Any, g: _F64) -> _F64:
        """The block's new value from its gradient g."""
        if exact:
            solved: _F64 = w[B] - scipy.linalg.cho_solve(fact, g)
            return solved
        v = w[B] - g / fact
        v = np.sign(v) * np.maximum(np.abs(v) - l1 / fact, 0.0)
        nv = np.linalg.norm(v)
        lam = group_l2 / fact
        shrunk: _F64 = v * (max(0.0, 1.0 - lam / nv) if nv > 0 else 0.0)
        return shrunk

    def mapping() -> float:
        m = 0.0
        for B, fact in zip(blocks, facts):
            g = Qw[B] - q[B] + l2 * w[B]
            G = g if exact else fact * (w[B] - step(B, fact, g))
            m = max(m, float(np.abs(G).max()))
        return m

    m0 = mapping()
    gtol = tol * m0
    status, nit = MAXITER, 0
    if m0 == 0.0:
        return 0, SUCCESS, None
    idx = np.arange(len(blocks))
    while nit < maxiter:
        if order == "random":
            rng.shuffle(idx)
        for k in idx:
            B, fact = blocks[k], facts[k]
            g = Qw[B] - q[B] + l2 * w[B]
            new = step(B, fact, g)
            d = new - w[B]
            if d.any():
                w[B] = new
                Qw += Q[:, B] @ d
        nit += 1
        if mapping() <= gtol:
            return nit, SUCCESS, None
        if callback_says_stop(cb, w, prob.result(w, nit, SUCCESS, None, group_l2, blocks).fun):
            return nit, CALLBACK, None
    return nit, status, None
