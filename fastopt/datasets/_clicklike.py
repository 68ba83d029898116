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

    from fastopt.datasets import make_clicklike
    X, y, info = make_clicklike(1_000_000, seed=0)

bench/clicklike.py adds the train/test split and the libsvm / VW writers.
"""
import numpy as np
import scipy.sparse as sp

N_FIELDS = 39
N_COLS_LOG2 = 20
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x):
    """splitmix64's finaliser on a uint64 array (wraps mod 2^64)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def hash_fv(field, values, n_cols_log2=N_COLS_LOG2, seed=0):
    """Column of (field, value) pairs: mix64 of (seed, field, value) mod 2^b."""
    key = (np.uint64(seed) << np.uint64(56)) ^ (np.uint64(field) << np.uint64(40)) \
        ^ np.asarray(values, dtype=np.uint64)
    return (mix64(key) & np.uint64((1 << n_cols_log2) - 1)).astype(np.int32)


def field_cardinalities(n_fields=N_FIELDS):
    """Cardinalities from 3 to 300,000, log-spaced (deterministic)."""
    return np.round(np.logspace(np.log10(3), np.log10(3e5), n_fields)).astype(np.int64)


def make_clicklike(n_rows, seed=0, n_fields=N_FIELDS, n_cols_log2=N_COLS_LOG2,
                   zipf_s=1.1, active_frac=0.3, weight_scale=0.35, ctr=0.25,
                   dtype=np.float64):
    """(X, y, info): X a CSR (n_rows, 2^n_cols_log2) of 0/1 `dtype` values
    with int32 indices, y float64 0/1, info a dict (true bias, CTR, ...)."""
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
