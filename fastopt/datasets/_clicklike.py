"""Seeded generator of click-like data (online-learner benchmarks, `fastopt demo`).

Each row has 39 categorical fields (like Criteo's 13 bucketised counts + 26
categories); field f draws a value id v from a finite Zipf law (P(rank k) ~
1 / k^s over card_f values, card_f from 3 to 300,000).  The pair (f, v) is
hashed by a multiply-xorshift (splitmix64 finaliser) into one of 2^20
columns: a one-hot CSR row with exactly 39 entries of value 1.0 (indices not
sorted within a row; a hash collision can repeat a column in a row, as with
real hashed features).

Labels come from a sparse logistic model on the (field, value) pairs: a pair
has a non-zero true weight N(0, weight_scale^2) with probability
`active_frac`, and the bias is set by bisection so that the mean click
probability is `ctr` (default 0.25).  y ~ Bernoulli(sigmoid(margin)).
::

    from fastopt.datasets import make_clicklike
    X, y, info = make_clicklike(1_000_000, seed=0)

bench/clicklike.py adds the train/test split and the libsvm / VW writers.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, DTypeLike

N_FIELDS = 39
N_COLS_LOG2 = 20
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: ArrayLike) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (wraps mod 2^64).

    Parameters
    ----------
    x : array_like
        Values converted to uint64.

    Returns
    -------
    numpy.ndarray
        The mixed uint64 values, x's shape.

    Examples
    --------
    >>> from fastopt.datasets import mix64
    >>> mix64([0, 1])
    array([                  0, 6238072747940578789], dtype=uint64)
    """
    a = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        a = (a ^ (a >> np.uint64(30))) * _M1
        a = (a ^ (a >> np.uint64(27))) * _M2
    return a ^ (a >> np.uint64(31))


def hash_fv(field: int, values: ArrayLike, n_cols_log2: int = N_COLS_LOG2,
            seed: int = 0) -> np.ndarray:
    """The hashed column of (field, value) pairs: mix64 of (seed, field, value) mod 2^b.

    Parameters
    ----------
    field : int
        The field, ``0 <= field < 2**16``.
    values : array_like of int
        Value ids, ``< 2**40``.
    n_cols_log2 : int
        b: the columns are ``[0, 2**b)``, ``b <= 31``.
    seed : int
        The data set's seed, ``< 2**8``.

    Returns
    -------
    numpy.ndarray
        int32 column indices, values' shape.
    """
    key = (np.uint64(seed) << np.uint64(56)) ^ (np.uint64(field) << np.uint64(40)) \
        ^ np.asarray(values, dtype=np.uint64)
    return (mix64(key) & np.uint64((1 << n_cols_log2) - 1)).astype(np.int32)


def field_cardinalities(n_fields: int = N_FIELDS) -> np.ndarray:
    """The fields' cardinalities: from 3 to 300,000, log-spaced (deterministic).

    Parameters
    ----------
    n_fields : int
        The number of fields.

    Returns
    -------
    numpy.ndarray
        int64, shape (n_fields,).

    Examples
    --------
    >>> from fastopt.datasets import field_cardinalities
    >>> field_cardinalities(3)
    array([     3,    949, 300000])
    """
    return np.round(np.logspace(np.log10(3), np.log10(3e5), n_fields)).astype(np.int64)


def make_clicklike(n_rows: int, seed: int = 0, n_fields: int = N_FIELDS,
                   n_cols_log2: int = N_COLS_LOG2, zipf_s: float = 1.1,
                   active_frac: float = 0.3, weight_scale: float = 0.35, ctr: float = 0.25,
                   dtype: DTypeLike = np.float64
                   ) -> Tuple[sp.csr_matrix, np.ndarray, Dict[str, Any]]:
    """Seeded click-like data: hashed one-hot rows and labels of a sparse logistic model.

    See the module docstring for the model.

    Parameters
    ----------
    n_rows : int
        Rows, >= 1.
    seed : int
        The seed of everything random (the same arguments give the same
        data), ``0 <= seed < 256``.
    n_fields : int
        Categorical fields per row (one entry each).
    n_cols_log2 : int
        The rows have ``2**n_cols_log2`` columns.
    zipf_s : float
        The Zipf exponent of the value ids' frequencies.
    active_frac : float
        The fraction of (field, value) pairs with a non-zero true weight.
    weight_scale : float
        The standard deviation of the non-zero true weights.
    ctr : float
        The mean click probability, in (0, 1).
    dtype : {numpy.float64, numpy.float32}
        The dtype of X's values.

    Returns
    -------
    X : scipy.sparse.csr_matrix
        ``(n_rows, 2**n_cols_log2)``, 0/1 values of `dtype`, int32 indices,
        exactly n_fields entries per row (unsorted; a hash collision can
        repeat a column).
    y : numpy.ndarray
        float64 0/1 labels, shape (n_rows,).
    info : dict
        ``bias`` (the true bias), ``ctr`` (the labels' mean), ``cards``,
        ``bayes_logloss`` (the generating model's logloss on these rows, the
        floor of any learner's), ``seed``, ``n_fields``, ``n_cols``.

    Examples
    --------
    >>> from fastopt.datasets import make_clicklike
    >>> X, y, info = make_clicklike(1000, seed=0)
    >>> X.shape, X.nnz, sorted(np.unique(y).tolist())
    ((1000, 1048576), 39000, [0.0, 1.0])
    """
    rng = np.random.default_rng(seed)
    cards = field_cardinalities(n_fields)
    cols = np.empty((n_rows, n_fields), dtype=np.int32)
    margin = np.zeros(n_rows)
    for f, card in enumerate(cards):
        ranks = np.arange(1, card + 1, dtype=np.float64)
        cdf = np.cumsum(ranks ** -zipf_s)
        cdf /= cdf[-1]
        v = np.searchsorted(cdf, rng.random(n_rows), side="right")
        v = np.minimum(v, card - 1)
        cols[:, f] = hash_fv(f, v, n_cols_log2, seed)
        # the true weight of each of this field's values
        wf = rng.normal(0.0, weight_scale, card) * (rng.random(card) < active_frac)
        margin += wf[v]
    lo, hi = -20.0, 20.0  # bias giving the mean click probability `ctr`
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.mean(1.0 / (1.0 + np.exp(-(margin + mid)))) < ctr:
            lo = mid
        else:
            hi = mid
    bias = 0.5 * (lo + hi)
    p = 1.0 / (1.0 + np.exp(-(margin + bias)))
    y = (rng.random(n_rows) < p).astype(np.float64)
    indptr = np.arange(0, n_fields * (n_rows + 1), n_fields, dtype=np.int32)
    X = sp.csr_matrix((np.ones(n_rows * n_fields, dtype=dtype), cols.ravel(), indptr),
                      shape=(n_rows, 1 << n_cols_log2))
    # true test loss floor: the Bayes logloss of the generating model
    bayes = float(np.mean(-(y * np.log(p) + (1 - y) * np.log1p(-p))))
    info = dict(bias=bias, ctr=float(y.mean()), cards=cards.tolist(), bayes_logloss=bayes,
                seed=seed, n_fields=n_fields, n_cols=1 << n_cols_log2)
    return X, y, info
