"""Streaming reader for Vowpal Wabbit's text format.

Each line is one example::

    label [importance] ['tag] |ns[:scale] name[:value] name ... |ns2 ...

parsed in C (csrc/vw.c) block by block, exactly as fastopt.libsvm streams
libsvm files: plain or gzip (detected from the magic bytes, not the name),
"-" for standard input, errors as ``ValueError("PATH:LINE: reason")`` (or
skipped and counted with ``skip_bad_lines=True``).

Feature names are hashed as VW hashes them (``--hash strings``, seed 0):
a namespace's hash is h(name, 0) (0 for the default namespace ``| ...``),
a feature's index h(feature name, namespace hash) & (2**bits - 1), where h
is 32-bit MurmurHash3 -- or, for an all-digit name, its decimal value plus
the seed.  So feature ``f1`` of namespace ``a`` lands on the weight VW's
``--invert_hash`` lists as ``a^f1`` for the same ``-b``.  A namespace's
index (VW's) is its name's first byte; each feature carries it, for the
interactions (``-q ab``) that the learners generate per example.  A value
of 0 drops the feature (VW does); ``|a:2`` scales the namespace's values.
VW's constant feature (index 11650396 & (2**bits - 1), namespace byte 128)
is appended to every row with ``constant=True`` -- `fastopt train` does so
for VW text and fits no separate intercept, so the bias is hashed and
regularised (l1, l2) exactly as VW's; by default the learners' intercept
plays its part.  ``name:string`` (a value that does not begin as a number) is VW's
string feature: value 1, index h(string, h(name, namespace hash)); a value
that begins as a number but is not one (``1x``) is an error.  Not
supported (an error, FILE:LINE): VW's initial-prediction label field.

:func:`iter_vw_chunks` yields ``(X, y, sample_weight, namespaces,
first_line)``: X a CSR matrix of shape (rows, 2**bits), y the labels
(0/1 for ``binary=True``; NaN for an unlabeled line with
``allow_unlabeled=True``), sample_weight the importance weights, namespaces
one namespace byte per entry of X (aligned with ``X.data``).
:func:`load_vw` reads a whole file; :func:`feature_index` hashes a name.
"""

import numpy as np

from fastopt import _kernels
from fastopt.libsvm import MAX_LINE_BYTES, LibsvmReader, _long_line, _make_csr, _token

__all__ = ["iter_vw_chunks", "load_vw", "feature_index", "VWReader", "sniff_format"]

# Reason codes of csrc/libsvm.h and csrc/vw.h.
_REASONS = {
    1: "bad label {tok!r}: not a number",
    2: "bad label {tok!r}: expected 0/1 or -1/+1",
    10: "bad label {tok!r}: not finite",
    20: "bad namespace {tok!r}: '|' must be followed by a name, a blank or '|'",
    21: "bad namespace {tok!r}: its scale (name:scale) is not a finite number",
    22: "bad importance weight {tok!r}: expected a finite number >= 0",
    23: "no label (unlabeled examples are accepted only for prediction)",
    24: "bad label section at {tok!r}: expected label [importance] ['tag] "
        "(VW's initial prediction is not supported)",
    25: "bad feature {tok!r}: expected name or name:value with a number value",
    26: "bad feature {tok!r}: value is not finite",
}
_E_LONG_LINE = 11


def feature_index(name, namespace=" ", bits=18, value=None):
    """The column VW (and fastopt) give feature `name` of `namespace`
    (" ": VW's default namespace) for ``-b bits``; with `value`, the string
    feature ``name:value`` (VW's chained hash h(value, h(name, ns)))."""
    enc = (lambda s: s.encode("utf-8") if isinstance(s, str) else bytes(s))
    seed = 0 if namespace == " " else _kernels.vw_hash(enc(namespace), 0)
    h = _kernels.vw_hash(enc(name), seed)
    if value is not None:
        h = _kernels.vw_hash(enc(value), h)
    return int(h & ((1 << bits) - 1))


def _check_bits(bits):
    if isinstance(bits, (bool, np.bool_)) or not isinstance(bits, (int, np.integer)) \
            or not 1 <= bits <= 32:
        raise ValueError(f"bits must be an int in [1, 32], got {bits!r}")
    return int(bits)


class VWReader(LibsvmReader):
    """An iterable over ``(X, y, sample_weight, namespaces, first_line)``
    blocks of a VW text file; see :func:`iter_vw_chunks`.  Reports
    ``n_lines``, ``n_rows``, ``bad_lines``, ``first_bad_line`` as
    fastopt.libsvm.LibsvmReader does.

    fmt="auto" also reads libsvm: the format is that of the first line
    neither blank nor a '#' comment (VW's has a '|'), and ``fmt`` tells it
    once known; libsvm blocks have n_features columns (ids folded with
    `hash`), sample_weight and namespaces None."""

    def __init__(self, path, bits=18, *, chunk_bytes=8 << 20, skip_bad_lines=False,
                 dtype=np.float64, binary=True, allow_unlabeled=False,
                 max_line_bytes=MAX_LINE_BYTES, fmt="vw", n_features=None, hash=False,
                 constant=False):
        if fmt not in ("vw", "libsvm", "auto"):
            raise ValueError(f"fmt must be 'vw', 'libsvm' or 'auto', got {fmt!r}")
        self.bits = _check_bits(bits)
        self.libsvm_features = int(n_features) if n_features is not None else 1 << self.bits
        super().__init__(path, 1 << self.bits, chunk_bytes=chunk_bytes,
                         skip_bad_lines=skip_bad_lines, hash=hash,
                         index_dtype=np.int32 if self.bits <= 31 else np.int64,
                         dtype=dtype, binary=binary, max_line_bytes=max_line_bytes)
        self.allow_unlabeled = bool(allow_unlabeled)
        self.constant = bool(constant)
        self.given_fmt = fmt
        self._set_format(fmt)

    def _set_format(self, fmt):
        self.fmt = fmt
        if fmt == "libsvm":
            self.n_features = self.libsvm_features
            self.index_dtype = np.dtype(np.int32 if self.n_features <= 2**31 else np.int64)
        else:
            self.n_features = 1 << self.bits
            self.index_dtype = np.dtype(np.int32 if self.bits <= 31 else np.int64)

    def __iter__(self):
        self._set_format(self.given_fmt)
        return super().__iter__()

    def _parse(self, data, line0, row_ratio, nnz_ratio):
        if self.fmt == "auto":
            fmt = sniff_format(bytes(data[:1 << 16]))
            if fmt is not None:
                self._set_format(fmt)
        if self.fmt != "vw":      # libsvm, or blank / comment lines only so far
            X, y, first, lines, row_ratio, nnz_ratio = super()._parse(
                data, line0, row_ratio, nnz_ratio)
            block = None if X is None else (X, y, None, None)
            return block, None, first, lines, row_ratio, nnz_ratio
        n = len(data)
        out = _kernels.vw_parse(
            data, self.bits, self.skip_bad_lines, self.binary, self.allow_unlabeled,
            self.index_dtype, self.dtype, int(n * row_ratio) + 16,
            int(n * nnz_ratio) + 16, self.max_line_bytes, self.constant)
        labels, weights, indptr, indices, values, ns, lines, bad, err = out
        nrows = labels.shape[0]
        row_ratio = max(row_ratio, 1.05 * nrows / n)
        nnz_ratio = max(nnz_ratio, 1.05 * indices.shape[0] / n)
        if err is not None:
            code, line, pos, _value = err
            if code == _E_LONG_LINE:
                reason = _long_line(self.max_line_bytes)
            else:
                reason = _REASONS.get(code, "malformed line (code {tok!r})").format(
                    tok=_token(data, pos) if code in _REASONS else code)
            self._bad_line(line0 + line - 1, reason)
        self.bad_lines += bad
        self.n_lines += lines
        block = None
        if nrows:
            self.n_rows += nrows
            X = _make_csr(values, indices, indptr, (nrows, self.n_features))
            block = (X, labels, weights, ns)
        return block, None, line0, lines, row_ratio, nnz_ratio

    def _blocks(self, f):
        for block, _none, first in super()._blocks(f):
            X, y, w, ns = block
            yield X, y, w, ns, first


def iter_vw_chunks(path, bits=18, *, chunk_bytes=8 << 20, skip_bad_lines=False,
                   dtype=np.float64, binary=True, allow_unlabeled=False,
                   max_line_bytes=MAX_LINE_BYTES, constant=False):
    """Stream a VW text file as CSR blocks ``(X, y, sample_weight,
    namespaces, first_line)`` (module docstring).  bits: VW's ``-b``, the
    model has 2**bits columns.  binary: labels 0/1 or -1/+1 (written 0/1),
    else any finite number.  allow_unlabeled: a line without a label is a
    row with label NaN (for prediction) instead of an error.  constant:
    append VW's constant feature to every row (module docstring)."""
    return VWReader(path, bits, chunk_bytes=chunk_bytes, skip_bad_lines=skip_bad_lines,
                    dtype=dtype, binary=binary, allow_unlabeled=allow_unlabeled,
                    max_line_bytes=max_line_bytes, constant=constant)


def load_vw(path, bits=18, **kw):
    """A whole VW file: ``(X, y, sample_weight, namespaces)``."""
    blocks = list(iter_vw_chunks(path, bits, **kw))
    if not blocks:
        idt = np.int32 if bits <= 31 else np.int64
        X = _make_csr(np.zeros(0, kw.get("dtype", np.float64)), np.zeros(0, idt),
                      np.zeros(1, np.int64), (0, 1 << bits))
        return X, np.zeros(0), np.zeros(0), np.zeros(0, np.uint8)
    import scipy.sparse as sp
    X = sp.vstack([b[0] for b in blocks], format="csr")
    return (X, np.concatenate([b[1] for b in blocks]),
            np.concatenate([b[2] for b in blocks]), np.concatenate([b[3] for b in blocks]))


def sniff_format(head):
    """'vw' or 'libsvm' from the first bytes of a file -- the first line
    that is neither blank nor a '#' comment is VW's when it has a '|' --
    or None when there is no such line in `head`."""
    lines = head.split(b"\n")
    for k, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith(b"#"):
            continue
        if b"|" in s or k + 1 < len(lines):   # a whole line, or a '|' already
            return "vw" if b"|" in s else "libsvm"
    return None


FNV_PRIME = 16777619
VW_CONSTANT = 11650396      # VW's constant feature (hash), namespace byte 128


def interaction_index(indices, bits=18):
    """The column of a crossed feature from its parts' columns, as VW and
    the learners' C loop combine them: (FNV * i1) ^ i2 for a pair, (FNV *
    ((FNV * i1) ^ i2)) ^ i3 for a triple, masked to `bits` bits."""
    h = 0
    for k, i in enumerate(indices):
        h = (int(i) if k == 0 else (FNV_PRIME * h) ^ int(i)) & 0xFFFFFFFFFFFFFFFF
    return h & ((1 << bits) - 1)
