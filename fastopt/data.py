"""Mini-batches of a data set, one epoch per call."""
import numpy as np
import scipy.sparse as sp

from fastopt._validation import check_int, check_rng

__all__ = ["minibatches"]


def minibatches(X, y=None, batch_size=32, shuffle=True, rng=None, drop_last=False,
                order=None):
    """Yield (X_batch, y_batch) over one epoch: every row of X exactly once
    (sampling without replacement), in batches of batch_size rows; the last
    batch is smaller unless drop_last (then it is dropped).

    X: a numpy array (rows on axis 0) or a scipy.sparse matrix/array (CSR is
    sliced as it is; another format is converted to CSR once, a copy).
    y: None (y_batch is None) or an array of len(X) rows.
    shuffle: a random order of the rows (from rng: None, an int seed or a
    numpy Generator); else the rows in order.
    order: None, or difficulty scores, one per row, for a curriculum (Bengio
    et al. 2009): rows go easiest (lowest score) first, ties in random order
    when shuffle, by row index otherwise.
    Batches are copies (fancy indexing), so they may be modified freely.
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


def _row_order(n, shuffle, rng, order):
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


def _batches(X, y, idx, batch_size, drop_last):
    stop = len(idx) - (len(idx) % batch_size if drop_last else 0)
    for start in range(0, stop, batch_size):
        rows = idx[start:start + batch_size]
        yield X[rows], (None if y is None else y[rows])
