"""Click-like data for the online-learner benchmarks: the generator lives in
fastopt.datasets (make_clicklike, see fastopt/datasets/_clicklike.py); this
module re-exports it and adds a time-ordered train/test split and writers.

    from bench.clicklike import make_clicklike, train_test_split
    X, y, info = make_clicklike(1_000_000, seed=0)

Writers: `write_libsvm` (``label idx:1 idx:1 ...``, labels 0/1) and
`write_vw` (``1 | idx:1 ...``, labels -1/+1, default namespace so that VW
maps the numeric feature name i to weight index i).  Both format the text
vectorised in numpy, in chunks of rows.
"""
import numpy as np

from fastopt.datasets import (N_COLS_LOG2, N_FIELDS, field_cardinalities,  # noqa: F401
                              hash_fv, make_clicklike, mix64)


def train_test_split(X, y, n_test):
    """The last n_test rows are the test set (time order, as for clicks)."""
    n = X.shape[0] - n_test
    return X[:n], y[:n], X[n:], y[n:]


def _format_tokens(X, width):
    """(chars, keep): uint8 (n, k * (width + 3)) holding ' idx:1' for each
    entry of each row, zero-padded to `width` digits, and the mask of the
    characters to keep (the padding zeros dropped).  All rows must have the
    same number of entries k (one-hot click rows)."""
    n = X.shape[0]
    k = int(X.indptr[1] - X.indptr[0]) if n else 0
    if not np.all(np.diff(X.indptr) == k):
        raise ValueError("rows must all have the same number of entries")
    idx = X.indices.reshape(n, k).astype(np.int64)
    tok = 1 + width + 2  # ' ' + digits + ':1'
    buf = np.zeros((n, k, tok), dtype=np.uint8)
    keep = np.zeros((n, k, tok), dtype=bool)
    buf[:, :, 0] = ord(" ")
    keep[:, :, 0] = True
    ndig = np.ones_like(idx)
    t = idx // 10
    while np.any(t):
        ndig += t > 0
        t //= 10
    t = idx.copy()
    for pos in range(width, 0, -1):  # least significant digit last
        buf[:, :, pos] = ord("0") + t % 10
        keep[:, :, pos] = (width - pos) < ndig
        t //= 10
    buf[:, :, width + 1] = ord(":")
    buf[:, :, width + 2] = ord("1")
    keep[:, :, width + 1:] = True
    return buf.reshape(n, -1), keep.reshape(n, -1)


def _write(path_or_file, X, labels, label_text, chunk=100_000):
    """label_text: {label value: bytes prefix}."""
    width = len(str(X.shape[1] - 1))
    own = isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__")
    f = open(path_or_file, "wb") if own else path_or_file
    try:
        for lo in range(0, X.shape[0], chunk):
            Xc = X[lo:lo + chunk]
            yc = np.asarray(labels[lo:lo + chunk])
            n = Xc.shape[0]
            buf, keep = _format_tokens(Xc, width)
            pre_w = max(len(v) for v in label_text.values())
            pre = np.zeros((n, pre_w), dtype=np.uint8)
            pre_keep = np.zeros((n, pre_w), dtype=bool)
            for lab, text in label_text.items():
                rows = yc == lab
                arr = np.frombuffer(text, dtype=np.uint8)
                pre[rows, :len(arr)] = arr
                pre_keep[rows, :len(arr)] = True
            nl = np.full((n, 1), ord("\n"), dtype=np.uint8)
            allb = np.concatenate([pre, buf, nl], axis=1)
            allk = np.concatenate([pre_keep, keep,
                                   np.ones((n, 1), dtype=bool)], axis=1)
            f.write(allb[allk].tobytes())
    finally:
        if own:
            f.close()


def write_libsvm(path, X, y, chunk=100_000):
    """``0 idx:1 idx:1 ...`` lines (labels 0/1, indices 0-based as stored)."""
    _write(path, X, y, {0.0: b"0", 1.0: b"1"}, chunk)


def write_vw(path, X, y, chunk=100_000):
    """VW text: ``1 | idx:1 ...`` / ``-1 | ...`` (default namespace)."""
    _write(path, X, y, {0.0: b"-1 |", 1.0: b"1 |"}, chunk)


def vw_lines(X, y, chunk=100_000):
    """The VW text lines (str, no newline) of the rows, for the binding."""
    import io
    b = io.BytesIO()
    write_vw(b, X, y, chunk)
    return b.getvalue().decode("ascii").splitlines()


if __name__ == "__main__":
    import sys
    import time
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t0 = time.perf_counter()
    X, y, info = make_clicklike(n)
    t1 = time.perf_counter()
    print(f"{n} rows in {t1 - t0:.2f} s; CTR {info['ctr']:.3f}, bias {info['bias']:.3f}, "
          f"Bayes logloss {info['bayes_logloss']:.4f}, distinct cols {np.unique(X.indices).size}")
