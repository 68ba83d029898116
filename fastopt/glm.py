"""Loss, gradient and Hessian-vector product of a generalized linear model
over one block of rows, in C (csrc/glm.c).

With margins m_i = X[i] . w[:d] + b (b = w[d] when fit_intercept), labels y
and sample weights s (1 by default)::

    loss_grad(w, X, y, loss)  ->  f = sum_i s_i l(m_i; y_i),
                                  g = sum_i s_i l'(m_i; y_i) (X[i], 1)
    hessp(w, v, X, loss)      ->  sum_i s_i l''(m_i) ((X[i], 1) . v) (X[i], 1)

    loss        l(m; y)                  y
    "logistic"  log(1 + e^m) - y m       in [0, 1] (0/1 labels)
    "squared"   (m - y)^2 / 2            any real
    "poisson"   e^m - y m                >= 0 (log link; the constant
                                         lgamma(y + 1) is left out)

Sums, not means: the results of blocks of rows add up, which is how
fastopt.distributed combines them.  One fused pass over X (dense
C-contiguous float32/float64, or scipy.sparse CSR with float32/float64
values and int32/int64 indices), read in place; y and sample_weight are used
as float64.  The loss and its derivative are the C functions the online
learners use (csrc/loss.h).  Results are bitwise the same for every
n_threads: the rows are cut into chunks by shape alone, summed chunk by chunk
in double and added in chunk order.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional, Tuple

import numpy as np
import scipy.sparse as sp

from fastopt import _kernels
from fastopt._threads import effective_n_threads

__all__ = ["LOSSES", "loss_grad", "hessp", "check_block", "n_chunks", "block_loss_grad",
           "block_hessp"]

#: the loss names and their C codes (csrc/fastopt.h's FO_LOSS_*)
LOSSES = {"logistic": 0, "squared": 1, "poisson": 4}


def _loss_code(loss: Any) -> int:
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    return LOSSES[loss]


def check_block(X: Any, name: str = "X"):
    """X as the kernels read it: a 2-D C-contiguous float32/float64 ndarray,
    or a scipy.sparse CSR matrix/array with float32/float64 data and int32/int64
    indices.  Returns X (never a copy).  TypeError/ValueError naming `name`."""
    if sp.issparse(X):
        if X.format != "csr":
            raise TypeError(f"{name} must be a dense ndarray or a CSR matrix, got a "
                            f"{X.format.upper()} matrix (convert with .tocsr())")
        if X.data.dtype not in (np.float32, np.float64):
            raise TypeError(f"{name}.data must be float32 or float64, got {X.data.dtype}")
        if X.indices.dtype not in (np.int32, np.int64) or X.indptr.dtype != X.indices.dtype:
            raise TypeError(f"{name}.indices and {name}.indptr must both be int32 or both "
                            f"int64, got {X.indices.dtype} and {X.indptr.dtype}")
        return X
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a numpy ndarray or a scipy.sparse CSR matrix, "
                        f"got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got {X.dtype} "
                        f"(convert with {name}.astype(np.float64))")
    if not X.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (np.ascontiguousarray({name}))")
    return X


def _vector(v: Any, n: int, name: str, *, allow_none: bool = False):
    if v is None and allow_none:
        return None
    try:
        arr = np.ascontiguousarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(v).__name__}") from None
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    return arr


def _check_labels(y: np.ndarray, loss: str) -> None:
    if not np.all(np.isfinite(y)):
        raise ValueError("y must be finite")
    if loss == "logistic" and (np.any(y < 0) or np.any(y > 1)):
        raise ValueError("y must lie in [0, 1] for the logistic loss (0/1 labels)")
    if loss == "poisson" and np.any(y < 0):
        raise ValueError("y must be >= 0 for the Poisson loss")


def _args(w, X, sample_weight, fit_intercept, n_threads):
    X = check_block(X)
    n, d = X.shape
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {fit_intercept!r}")
    w = _vector(w, d + bool(fit_intercept), "w")
    sw = _vector(sample_weight, n, "sample_weight", allow_none=True)
    if sw is not None and (not np.all(np.isfinite(sw)) or np.any(sw < 0)):
        raise ValueError("sample_weight must be finite and >= 0")
    return X, n, d, w, sw, effective_n_threads(n_threads)


def _run(code, fit_intercept, X, d, y, sw, w, v, out, nt):
    if sp.issparse(X):
        return _kernels.glm_csr(code, fit_intercept, d, X.indptr, X.indices, X.data,
                                y, sw, w, v, out, nt)
    return _kernels.glm_dense(code, fit_intercept, X, y, sw, w, v, out, nt)


def loss_grad(w: Any, X: Any, y: Any, loss: str = "logistic", *,
              sample_weight: Any = None, fit_intercept: bool = False,
              n_threads: Optional[int] = None) -> Tuple[float, np.ndarray]:
    """The summed loss of a GLM over the rows of X and its gradient in w.

    Parameters
    ----------
    w : array_like of shape (n_features,) or (n_features + 1,)
        The coefficients, then the intercept when fit_intercept.
    X : ndarray of shape (n_samples, n_features) or scipy.sparse CSR
        float32 or float64, C-contiguous when dense; read in place.
    y : array_like of shape (n_samples,)
        Labels (module docstring for each loss's range).
    loss : {"logistic", "squared", "poisson"}
    sample_weight : array_like of shape (n_samples,), optional
        Non-negative weights of the rows (default 1).
    fit_intercept : bool
        Whether w[-1] is an intercept.
    n_threads : int, optional
        Threads (None: all usable cores); the result does not depend on it.

    Returns
    -------
    f : float
    g : ndarray of shape w.shape, float64

    Raises
    ------
    TypeError, ValueError
        A bad argument, named; IndexError for a CSR column index >= n_features.

    Examples
    --------
    >>> import numpy as np, fastopt.glm
    >>> X = np.array([[1.0, 2.0], [0.0, -1.0]]); y = np.array([1.0, 0.0])
    >>> f, g = fastopt.glm.loss_grad(np.zeros(2), X, y, "logistic")
    >>> round(f, 6), g
    (1.386294, array([-0.5, -1.5]))
    """
    code = _loss_code(loss)
    X, n, d, w, sw, nt = _args(w, X, sample_weight, fit_intercept, n_threads)
    y = _vector(y, n, "y")
    _check_labels(y, loss)
    g = np.empty_like(w)
    f = _run(code, bool(fit_intercept), X, d, y, sw, w, None, g, nt)
    return float(f), g


def hessp(w: Any, v: Any, X: Any, loss: str = "logistic", *,
          sample_weight: Any = None, fit_intercept: bool = False,
          n_threads: Optional[int] = None) -> np.ndarray:
    """The Hessian of loss_grad's f at w times v (y does not enter it).

    Parameters
    ----------
    w, v : array_like of shape (n_features,) or (n_features + 1,)
    X, loss, sample_weight, fit_intercept, n_threads
        As for loss_grad.

    Returns
    -------
    ndarray of shape w.shape, float64

    Raises
    ------
    TypeError, ValueError, IndexError
        As loss_grad.
    """
    code = _loss_code(loss)
    X, n, d, w, sw, nt = _args(w, X, sample_weight, fit_intercept, n_threads)
    v = _vector(v, w.shape[0], "v")
    out = np.empty_like(w)
    _run(code, bool(fit_intercept), X, d, None, sw, w, v, out, nt)
    return out


def n_chunks(n_samples: int, n_features: int) -> int:
    """The number of row chunks the kernels cut a block into (shape only)."""
    for v, name in ((n_samples, "n_samples"), (n_features, "n_features")):
        if not isinstance(v, numbers.Integral) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    return int(_kernels.glm_chunks(int(n_samples), int(n_features)))


def block_loss_grad(code: int, fit_intercept: bool, X: Any, y: np.ndarray,
                    sw: Optional[np.ndarray], w: np.ndarray,
                    n_threads: Optional[int] = None) -> Tuple[float, np.ndarray]:
    """loss_grad on a block already prepared and checked once (X by
    check_block, y and sw float64 of the right length and range, w float64
    of length d + fit_intercept, `code` a value of LOSSES): the per-iteration
    path of the estimators, without the O(n) label checks.  C still checks the
    CSR structure it reads."""
    g = np.empty_like(w)
    f = _run(code, fit_intercept, X, X.shape[1], y, sw, w, None, g,
             effective_n_threads(n_threads))
    return float(f), g


def block_hessp(code: int, fit_intercept: bool, X: Any, sw: Optional[np.ndarray],
                w: np.ndarray, v: np.ndarray, n_threads: Optional[int] = None) -> np.ndarray:
    """hessp on a prepared block (as block_loss_grad)."""
    out = np.empty_like(w)
    _run(code, fit_intercept, X, X.shape[1], None, sw, w, v, out,
         effective_n_threads(n_threads))
    return out
