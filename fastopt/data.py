"""Mini-batches of a data set, one epoch per call."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from fastopt._validation import check_int, check_rng

__all__ = ["minibatches"]


def minibatches(X: Any, y: Optional[Any] = None, batch_size: int = 32,
                shuffle: bool = True,
                rng: Union[None, int, np.random.Generator] = None,
                drop_last: bool = False,
                order: Optional[Any] = None) -> Iterator[Tuple[Any, Optional[np.ndarray]]]:
    """Mini-batches of one epoch: every row of X exactly once.

    Rows are sampled without replacement, in batches of `batch_size` rows;
    the last batch is smaller unless `drop_last`.  The arguments are checked
    when the function is called, before the first batch is asked for.

    Parameters
    ----------
    X : numpy.ndarray or scipy.sparse matrix or array
        Rows on axis 0.  CSR is sliced as it is; another sparse format is
        converted to CSR once (a copy).
    y : array_like, optional
        One entry (or row) per row of X; None gives ``y_batch = None``.
    batch_size : int
        Rows per batch, >= 1.
    shuffle : bool
        A random order of the rows (from `rng`); else the rows in order.
    rng : None, int or numpy.random.Generator
        The random source (an int is a seed).
    drop_last : bool
        Drop the last batch when it is smaller than batch_size.
    order : array_like, optional
        Difficulty scores, one per row, for a curriculum (Bengio et al.
        2009): rows go easiest (lowest score) first, ties in random order
        when `shuffle`, by row index otherwise.

    Returns
    -------
    iterator of (X_batch, y_batch)
        The batches.  They are copies (fancy indexing), so they may be
        modified freely.

    Raises
    ------
    TypeError
        If X is neither a numpy array nor a scipy.sparse matrix, or a flag is
        not a bool.
    ValueError
        If y or order does not have one entry per row, order holds NaN or
        non-real values, or batch_size < 1.

    Examples
    --------
    >>> from fastopt.data import minibatches
    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [yb.tolist() for _, yb in minibatches(X, y, batch_size=2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> [yb.tolist() for _, yb in minibatches(X, y, batch_size=2, shuffle=False,
    ...                                       order=[5, 4, 3, 2, 1], drop_last=True)]
    [[4, 3], [2, 1]]
    """
    if sp.issparse(X):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D when sparse, got shape {X.shape}")
        X = X if X.format == "csr" else X.tocsr()
    elif isinstance(X, np.ndarray):
        if X.ndim < 1:
            raise ValueError("X must have at least one dimension (rows on axis 0)")
    else:
        raise TypeError(f"X must be a numpy array or a scipy.sparse matrix, "
                        f"got {type(X).__name__}")
    n = X.shape[0]
    if y is not None:
        y = np.asarray(y)
        if y.ndim < 1 or y.shape[0] != n:
            raise ValueError(f"y must have one entry per row of X ({n}), "
                             f"got shape {y.shape}")
    batch_size = check_int("batch_size", batch_size, 1)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be a bool, got {shuffle!r}")
    if not isinstance(drop_last, (bool, np.bool_)):
        raise TypeError(f"drop_last must be a bool, got {drop_last!r}")
    rng = check_rng("rng", rng)
    idx = _row_order(n, shuffle, rng, order)
    return _batches(X, y, idx, batch_size, drop_last)


def _row_order(n: int, shuffle: bool, rng: np.random.Generator,
               order: Optional[Any]) -> npt.NDArray[np.intp]:
    if order is None:
        return rng.permutation(n) if shuffle else np.arange(n)
    scores = np.asarray(order)
    if scores.shape != (n,):
        raise ValueError(f"order must hold one difficulty score per row of X "
                         f"(shape ({n},)), got shape {scores.shape}")
    if scores.dtype.kind not in "iuf" or (scores.dtype.kind == "f"
                                         and np.isnan(scores).any()):
        raise ValueError("order must hold real, non-NaN difficulty scores")
    ties = rng.permutation(n) if shuffle else np.arange(n)
    return np.lexsort((ties, scores))


def _batches(X: Any, y: Optional[Any], idx: npt.NDArray[np.intp], batch_size: int,
             drop_last: bool) -> Iterator[Tuple[Any, Optional[np.ndarray]]]:
    stop = len(idx) - (len(idx) % batch_size if drop_last else 0)
    for start in range(0, stop, batch_size):
        rows = idx[start:start + batch_size]
        yield X[rows], (None if y is None else y[rows])
