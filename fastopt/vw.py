"""Streaming reader for Vowpal Wabbit's text format.

Each line is one example::

    label [importance] ['tag] |ns[:scale] name[:value] name ... |ns2 ...

parsed in C (csrc/vw.c) block by block, exactly as fastopt.libsvm streams
libsvm files: plain or gzip (detected from the magic bytes, not the name),
"-" for standard input, errors as ``ValueError("PATH:LINE: reason")`` (or
skipped and counted with ``skip_bad_lines=True``).

Feature names are hashed as VW hashes them (``--hash strings``, seed 0,
by default; ``hash_all=True`` is VW's ``--hash all``, ``hash_seed`` its
``--hash_seed``): a namespace's hash is h(name, seed) (MurmurHash3 of ""
for the default namespace ``| ...``: 0 for seed 0),
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
that begins as a number but is not one (``1x``) is an error.  VW's label
section is ``label [importance [initial]] ['tag]``: with ``extras=True``
the initial predictions and tags are reported (blocks gain a sixth item,
:class:`Extras`); without, an initial prediction is an error (FILE:LINE).
``names=`` (a :class:`FeatureNames`) collects each hashed index's feature
names, crossed ones included, for ``--invert-hash``.

:func:`iter_vw_chunks` yields ``(X, y, sample_weight, namespaces,
first_line)``: X a CSR matrix of shape (rows, 2**bits), y the labels
(0/1 for ``binary=True``; NaN for an unlabeled line with
``allow_unlabeled=True``), sample_weight the importance weights, namespaces
one namespace byte per entry of X (aligned with ``X.data``).
:func:`load_vw` reads a whole file; :func:`feature_index` hashes a name.
"""

from typing import Any, Callable, Iterator, Mapping, Optional

import numpy as np
import numpy.typing as npt

from fastopt import _kernels
from fastopt._files import PathLike
from fastopt.libsvm import _Source
from fastopt.libsvm import MAX_LINE_BYTES, LibsvmReader, _long_line, _make_csr, _token

__all__ = ["iter_vw_chunks", "load_vw", "feature_index", "VWReader", "sniff_format",
           "Extras", "FeatureNames", "write_weights"]

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
        "(VW's initial prediction is read with extras=True)",
    25: "bad feature {tok!r}: expected name or name:value with a number value",
    26: "bad feature {tok!r}: value is not finite",
    27: "bad initial prediction {tok!r}: expected a finite number",
}
_E_LONG_LINE = 11


def _hasher(hash_all: bool, hash_seed: int) -> "tuple[Callable[[bytes, int], int], int]":
    """h(bytes, seed) as VW's --hash strings (default) or --hash all, and
    the default namespace's hash for --hash_seed."""
    h = _kernels.murmur3_32 if hash_all else _kernels.vw_hash
    return h, _kernels.murmur3_32(b"", hash_seed)


def feature_index(name: "str | bytes", namespace: "str | bytes" = " ", bits: int = 18,
                  value: "str | bytes | None" = None, hash_all: bool = False,
                  hash_seed: int = 0) -> int:
    """The column VW (and fastopt) give feature `name` of `namespace`.

    Parameters
    ----------
    name : str or bytes
        The feature's name (UTF-8 when str).
    namespace : str or bytes, default " "
        Its namespace; " " is VW's default namespace.
    bits : int, default 18
        VW's ``-b``: the column is masked to `bits` bits.
    value : str or bytes, optional
        For the string feature ``name:value`` (VW's chained hash
        ``h(value, h(name, ns))``).
    hash_all : bool, default False
        VW's ``--hash all`` (all-digit names hashed too).
    hash_seed : int, default 0
        VW's ``--hash_seed``, in [0, 2**32).

    Returns
    -------
    int
        The column, in [0, 2**bits).

    Raises
    ------
    ValueError
        If `hash_seed` is out of range.

    Examples
    --------
    >>> from fastopt.vw import feature_index
    >>> feature_index("7", bits=4)            # an all-digit name is its value
    7
    """
    def enc(s: "str | bytes") -> bytes:
        return s.encode("utf-8") if isinstance(s, str) else bytes(s)
    h, default = _hasher(hash_all, _check_seed(hash_seed))
    seed = default if namespace == " " else h(enc(namespace), hash_seed)
    k = h(enc(name), seed)
    if value is not None:
        k = h(enc(value), k)
    return int(k & ((1 << bits) - 1))


def _check_seed(seed: object) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed < 2**32:
        raise ValueError(f"hash_seed must be an int in [0, 2**32), got {seed!r}")
    return int(seed)


class Extras:
    """What a VW block holds beside (X, y, weights, namespaces) with
    ``extras=True``: `initial`, each row's initial prediction (VW's third
    label field; 0 when absent), and `tags`, each row's tag as bytes (without
    the leading quote) or None -- VW writes ``prediction tag`` lines with
    ``-p``.

    Parameters
    ----------
    initial : numpy.ndarray of shape (n_rows,)
        Each row's initial prediction.
    tags : list of bytes or None
        Each row's tag, or None.
    """

    def __init__(self, initial: np.ndarray, tags: "list[bytes | None]") -> None:
        self.initial = initial
        self.tags = tags

    @classmethod
    def none(cls, n: int) -> "Extras":
        """The extras of n rows without initial predictions or tags.

        Parameters
        ----------
        n : int
            The number of rows.

        Returns
        -------
        Extras
            Initial predictions 0 and tags None.
        """
        return cls(np.zeros(n), [None] * n)


def _check_bits(bits: object) -> int:
    if isinstance(bits, (bool, np.bool_)) or not isinstance(bits, (int, np.integer)) \
            or not 1 <= bits <= 32:
        raise ValueError(f"bits must be an int in [1, 32], got {bits!r}")
    return int(bits)


# The parameters VWReader and iter_vw_chunks share (first and last ones).
_READER_HEAD = """path : str or path-like
        The file, plain or gzip; "-" for standard input.
    bits : int, default 18
        VW's ``-b``: the model has 2**bits columns.
    chunk_bytes : int, default 8 MiB
        Bytes read per block.
    skip_bad_lines : bool, default False
        Drop and count malformed lines instead of raising.
    dtype : {numpy.float32, numpy.float64}, default numpy.float64
        dtype of X's values.
    binary : bool, default True
        Labels must be 0/1 or -1/+1 (written 0/1); False keeps any finite
        label as written.
    allow_unlabeled : bool, default False
        A line without a label is a row with label NaN (for prediction)
        instead of an error.
    max_line_bytes : int, default 64 MiB
        A longer line is malformed."""
_READER_TAIL = """constant : bool, default False
        Append VW's constant feature to every row (module docstring).
    hash_all, hash_seed : bool, int
        VW's ``--hash all`` and ``--hash_seed``.
    extras : bool, default False
        Accept VW's initial prediction, and yield a sixth item, the block's
        :class:`Extras` (initial predictions and tags).
    names : FeatureNames, optional
        Collects the names of every row read."""


class VWReader(LibsvmReader):
    __doc__ = f"""An iterable over ``(X, y, sample_weight, namespaces, first_line)``
    blocks of a VW text file; see :func:`iter_vw_chunks`.  Reports
    ``n_lines``, ``n_rows``, ``bad_lines``, ``first_bad_line`` as
    fastopt.libsvm.LibsvmReader does.

    fmt="auto" also reads libsvm: the format is that of the first line
    neither blank nor a '#' comment (VW's has a '|'), and ``fmt`` tells it
    once known; libsvm blocks have n_features columns (ids folded with
    `hash`), sample_weight and namespaces None.

    Parameters
    ----------
    {_READER_HEAD}
    fmt : {{"vw", "libsvm", "auto"}}, default "vw"
        The file's format ("auto": sniffed from the first line).
    n_features : int, optional
        The columns of libsvm blocks; None: 2**bits.
    hash : bool, default False
        Fold libsvm ids into range as ``id % n_features``.
    {_READER_TAIL}

    Raises
    ------
    TypeError
        If `names` is not a FeatureNames, or an argument has the wrong type.
    ValueError
        If `fmt`, `bits`, `hash_seed` or a size is out of range; a malformed
        line (``PATH:LINE: reason``) while iterating, unless skipped.
    """

    def __init__(self, path: PathLike, bits: int = 18, *, chunk_bytes: int = 8 << 20,
                 skip_bad_lines: bool = False, dtype: npt.DTypeLike = np.float64,
                 binary: bool = True, allow_unlabeled: bool = False,
                 max_line_bytes: int = MAX_LINE_BYTES, fmt: str = "vw",
                 n_features: Optional[int] = None, hash: bool = False,
                 constant: bool = False, hash_all: bool = False, hash_seed: int = 0,
                 extras: bool = False, names: "Optional[FeatureNames]" = None) -> None:
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
        self.hash_all = bool(hash_all)
        self.hash_seed = _check_seed(hash_seed)
        self.extras = bool(extras)
        if names is not None and not isinstance(names, FeatureNames):
            raise TypeError(f"names must be a FeatureNames, got {type(names).__name__}")
        self.names = names
        self.given_fmt = fmt
        self._set_format(fmt)

    def _set_format(self, fmt: str) -> None:
        self.fmt = fmt
        if fmt == "libsvm":
            self.n_features = self.libsvm_features
            if self.names is not None:
                self.names.d = self.n_features
            self.index_dtype = np.dtype(np.int32 if self.n_features <= 2**31 else np.int64)
        else:
            self.n_features = 1 << self.bits
            if self.names is not None:
                self.names.d = self.n_features
            self.index_dtype = np.dtype(np.int32 if self.bits <= 31 else np.int64)

    def __iter__(self) -> "Iterator[tuple[Any, ...]]":
        self._set_format(self.given_fmt)
        return super().__iter__()

    def _parse(self, data: memoryview, line0: int, row_ratio: float, nnz_ratio: float
               ) -> "tuple[Any, Any, int, int, float, float]":
        if self.fmt == "auto":
            fmt = sniff_format(bytes(data[:1 << 16]))
            if fmt is not None:
                self._set_format(fmt)
        if self.fmt != "vw":      # libsvm, or blank / comment lines only so far
            X, y, first, lines, row_ratio, nnz_ratio = super()._parse(
                data, line0, row_ratio, nnz_ratio)
            block: "Optional[tuple[Any, ...]]" = None if X is None else (X, y, None, None)
            if block is not None and self.extras:
                block += (Extras.none(X.shape[0]),)
            if block is not None and self.names is not None:
                self.names.add_columns(X)
            return block, None, first, lines, row_ratio, nnz_ratio
        n = len(data)
        out = _kernels.vw_parse(
            data, self.bits, self.skip_bad_lines, self.binary, self.allow_unlabeled,
            self.index_dtype, self.dtype, int(n * row_ratio) + 16,
            int(n * nnz_ratio) + 16, self.max_line_bytes, self.constant,
            self.hash_all, self.hash_seed, self.extras)
        labels, weights, indptr, indices, values, ns, lines, bad, err = out[:9]
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
            if self.extras:
                block += (_extras(data, *out[9:]),)
            if self.names is not None:
                self.names.add_text(data)
        return block, None, line0, lines, row_ratio, nnz_ratio

    def _blocks(self, f: _Source) -> "Iterator[tuple[Any, ...]]":
        for block, _none, first in super()._blocks(f):
            yield block[:4] + (first,) + block[4:]


def _extras(data: memoryview, initial: npt.NDArray[np.float64],
            spans: npt.NDArray[Any]) -> Extras:
    """Extras from the parser's initial predictions and tag offsets."""
    tags: "list[bytes | None]" = [None] * spans.shape[0]
    for r in np.flatnonzero(spans[:, 0] >= 0):   # only the rows with a tag
        tags[r] = bytes(data[spans[r, 0]:spans[r, 1]])
    return Extras(initial, tags)


def iter_vw_chunks(path: PathLike, bits: int = 18, *, chunk_bytes: int = 8 << 20,
                   skip_bad_lines: bool = False, dtype: npt.DTypeLike = np.float64,
                   binary: bool = True, allow_unlabeled: bool = False,
                   max_line_bytes: int = MAX_LINE_BYTES, constant: bool = False,
                   hash_all: bool = False, hash_seed: int = 0, extras: bool = False,
                   names: "Optional[FeatureNames]" = None) -> VWReader:
    return VWReader(path, bits, chunk_bytes=chunk_bytes, skip_bad_lines=skip_bad_lines,
                    dtype=dtype, binary=binary, allow_unlabeled=allow_unlabeled,
                    max_line_bytes=max_line_bytes, constant=constant,
                    hash_all=hash_all, hash_seed=hash_seed, extras=extras, names=names)


# (its Parameters are VWReader's, less the libsvm ones: assembled once)
iter_vw_chunks.__doc__ = f"""Stream a VW text file as CSR blocks ``(X, y, sample_weight,
    namespaces, first_line)`` (module docstring).

    Parameters
    ----------
    {_READER_HEAD}
    {_READER_TAIL}

    Returns
    -------
    VWReader
        Iterate it for the blocks, then read its ``bad_lines``,
        ``first_bad_line``, ``n_lines`` and ``n_rows``.

    Raises
    ------
    TypeError, ValueError
        As VWReader.
    """


def load_vw(path: PathLike, bits: int = 18, **kw: Any) -> "tuple[Any, ...]":
    """A whole VW file: ``(X, y, sample_weight, namespaces)``.

    Parameters
    ----------
    path : str or path-like
        The file, plain or gzip; "-" for standard input.
    bits : int, default 18
        VW's ``-b``: X has 2**bits columns.
    **kw
        The keywords of `iter_vw_chunks`.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_rows, 2**bits)
    y : numpy.ndarray of shape (n_rows,)
    sample_weight : numpy.ndarray of shape (n_rows,)
    namespaces : numpy.ndarray of uint8, aligned with ``X.data``

    Raises
    ------
    TypeError, ValueError
        As `iter_vw_chunks`.
    """
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


def sniff_format(head: bytes) -> Optional[str]:
    """The format of a file from its first bytes.

    The first line that is neither blank nor a '#' comment is VW's when it
    has a '|'.

    Parameters
    ----------
    head : bytes
        The file's first bytes.

    Returns
    -------
    {"vw", "libsvm"} or None
        None when there is no such (whole) line in `head` yet.

    Examples
    --------
    >>> from fastopt.vw import sniff_format
    >>> sniff_format(b"# comment\\n1 |a f1\\n"), sniff_format(b"1 3:1\\n")
    ('vw', 'libsvm')
    """
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
VW_CONSTANT_NS = 128


def interaction_index(indices: "list[int] | tuple[int, ...]", bits: int = 18) -> int:
    """The column of a crossed feature from its parts' columns, as VW and
    the learners' C loop combine them: (FNV * i1) ^ i2 for a pair, (FNV *
    ((FNV * i1) ^ i2)) ^ i3 for a triple, masked to `bits` bits."""
    h = 0
    for k, i in enumerate(indices):
        h = (int(i) if k == 0 else (FNV_PRIME * h) ^ int(i)) & 0xFFFFFFFFFFFFFFFF
    return h & ((1 << bits) - 1)


_MASK64 = 0xFFFFFFFFFFFFFFFF


class FeatureNames:
    """Each hashed column's feature names, as VW's ``--invert_hash`` writes
    them: ``ns^name`` (``name`` in the default namespace), ``ns^name^value``
    for a string value, ``Constant`` for VW's constant feature, and the
    crossed features of the interactions as their parts' names joined by
    ``*`` (``a^f1*b^f2``), at the column the learners' C loop crosses them
    to.  Filled by :class:`VWReader` (``names=``) while it reads: from the
    text of VW rows, from the column ids of libsvm rows (names are the ids;
    a crossed id pair ``12*105``, namespaces from ``fields``).

    Parameters
    ----------
    bits : int
        VW's ``-b``: columns are hashes & (2**bits - 1).  For libsvm input
        give `n_features` instead (crossed ids are folded into it).
    interactions : list of str, optional
        The learner's interactions (``["ab", "abc"]``, ``["::"]``).
    hash_all : bool
        VW's ``--hash all``.
    hash_seed : int
        VW's ``--hash_seed``.
    fields : dict, optional
        libsvm input: namespace -> [start, stop) id ranges (``--field-map``).
    n_features : int, optional
        libsvm input: the number of columns.
    constant : bool
        VW text: name VW's constant feature (``Constant``), which the reader
        appends with ``constant=True``.

    Notes
    -----
    Collecting names is a per-feature Python loop (VW's own is slow too):
    meant for audits, not for every training run.  With skip_bad_lines,
    the names of a skipped line's features are collected as well.

    Examples
    --------
    >>> from fastopt.vw import FeatureNames
    >>> names = FeatureNames(18, ["ab"], constant=False)
    >>> names.add_text(b"1 |a f1 |b f2\\n")
    >>> sorted(n for s in names.names.values() for n in s)
    ['a^f1', 'a^f1*b^f2', 'b^f2']
    """

    def __init__(self, bits: int = 18, interactions: "list[str] | None" = None,
                 hash_all: bool = False, hash_seed: int = 0,
                 fields: "Mapping[Any, Any] | None" = None, n_features: "int | None" = None,
                 constant: bool = True) -> None:
        from fastopt.online._base import _check_fields, _check_interactions
        self.bits = _check_bits(bits)
        self.d = int(n_features) if n_features is not None else 1 << self.bits
        self.terms, self.all_pairs = _check_interactions(interactions)
        self._hash, self._default = _hasher(hash_all, _check_seed(hash_seed))
        self.hash_seed = int(hash_seed)
        self.constant = bool(constant)
        self._table = None
        fields = _check_fields(fields)
        if fields is not None:
            table = np.full(self.d, ord(" "), dtype=np.uint8)
            for b, ranges in fields.items():
                for lo, hi in ranges:
                    table[lo:min(hi, self.d)] = b[0]
            self._table = table
        self.names: "dict[int, set[str]]" = {}          # column -> set of names
        self._seen: "set[tuple[int, ...]]" = set()       # crossed (column tuple) already named

    def add(self, index: int, name: str) -> None:
        """Record `name` as one of column `index`'s names.

        Parameters
        ----------
        index : int
            The column.
        name : str
            One of its names.
        """
        self.names.setdefault(index, set()).add(name)

    def _fold(self, h: int) -> int:
        return h & (self.d - 1) if self.d & (self.d - 1) == 0 else h % self.d

    def _cross(self, groups: "dict[int, list[tuple[int, str]]]") -> None:
        """Name the crossed features of one row: groups maps a namespace
        byte to its [(column, name), ...] in the row's order."""
        terms = [bytes(t) for t in self.terms]
        if self.all_pairs:
            present = sorted(b for b in groups if b != VW_CONSTANT_NS)
            terms += [bytes((a, b)) for i, a in enumerate(present) for b in present[i:]]
        for t in terms:
            if any(b not in groups for b in t):
                continue
            parts = [groups[b] for b in t]
            self._cross_term(t, parts)

    def _cross_term(self, t: bytes, parts: "list[list[tuple[int, str]]]") -> None:
        a = parts[0]
        for i, (i1, n1) in enumerate(a):
            h1 = (FNV_PRIME * i1) & _MASK64
            b = parts[1]
            for j in range(i if t[0] == t[1] else 0, len(b)):
                i2, n2 = b[j]
                if len(t) == 2:
                    key: "tuple[int, ...]" = (i1, i2)
                    if key not in self._seen:
                        self._seen.add(key)
                        self.add(self._fold(h1 ^ i2), f"{n1}*{n2}")
                    continue
                h2 = (FNV_PRIME * (h1 ^ i2)) & _MASK64
                c = parts[2]
                for k in range(j if t[1] == t[2] else 0, len(c)):
                    i3, n3 = c[k]
                    key = (i1, i2, i3)
                    if key not in self._seen:
                        self._seen.add(key)
                        self.add(self._fold(h2 ^ i3), f"{n1}*{n2}*{n3}")

    def add_text(self, data: "bytes | memoryview") -> None:
        """Collect the names of VW text lines.

        Parameters
        ----------
        data : bytes or memoryview
            Whole lines of VW text.
        """
        h, mask = self._hash, (1 << self.bits) - 1
        crossed = bool(self.terms) or self.all_pairs
        for line in bytes(data).split(b"\n"):
            bar = line.find(b"|")
            if bar < 0:
                continue
            groups: "dict[int, list[tuple[int, str]]]" = {}
            for chunk in line[bar + 1:].split(b"|"):
                if chunk[:1].strip() and chunk[:1] != b":":
                    head, *rest = chunk.split(None, 1)
                    chunk = rest[0] if rest else b""
                    nsname, _, scale_text = head.partition(b":")
                    nh, index = h(nsname, self.hash_seed), nsname[0]
                    prefix = nsname.decode("utf-8", "replace") + "^"
                    try:
                        scale = float(scale_text) if scale_text else 1.0
                    except ValueError:
                        continue
                else:
                    nh, index, prefix, scale = self._default, 32, "", 1.0
                anon = 0
                for tok in chunk.split():
                    name, colon, value = tok.partition(b":")
                    text = prefix + name.decode("utf-8", "replace")
                    if colon and value:
                        try:
                            v = float(value) * scale
                        except ValueError:
                            col = h(value, h(name, nh)) & mask
                            text += "^" + value.decode("utf-8", "replace")
                        else:
                            col = (h(name, nh) if name else nh + anon) & mask
                            anon += not name
                            if v == 0.0:
                                continue
                    else:
                        col = (h(name, nh) if name else nh + anon) & mask
                        anon += not name
                    self.add(col, text)
                    if crossed:
                        groups.setdefault(index, []).append((col, text))
            if crossed and groups:
                self._cross(groups)
        if self.constant:
            self.add(VW_CONSTANT & mask, "Constant")

    def add_columns(self, X: Any) -> None:
        """Collect the names of libsvm rows: the column ids, and the crossed
        id pairs of the interactions (namespaces from `fields`).

        Parameters
        ----------
        X : scipy.sparse.csr_matrix
            A block of rows.
        """
        for col in np.unique(X.indices).tolist():
            self.add(col, str(col))
        if not (self.terms or self.all_pairs) or self._table is None:
            return
        indptr, indices = X.indptr, X.indices
        for r in range(X.shape[0]):
            groups: "dict[int, list[tuple[int, str]]]" = {}
            for col in indices[indptr[r]:indptr[r + 1]].tolist():
                groups.setdefault(int(self._table[col]), []).append((col, str(col)))
            self._cross(groups)


def write_weights(path: str, weights: np.ndarray, names: "FeatureNames | None" = None,
                  header: "tuple[str, ...] | list[str]" = ()) -> None:
    """Write a model's non-zero weights as text, atomically
    (fastopt._files.atomic_output): VW's ``--readable_model`` lines
    ``index:weight`` (`names` None) or its ``--invert_hash`` lines
    ``name:index:weight``, one per name of each column (a column without a
    known name as ``index:weight``); in column order, after the `header`
    lines.  Weights are written as ``%.9g`` (float32 round trip).

    Parameters
    ----------
    path : str
        The file ("-": standard output).
    weights : ndarray
        One weight per column.
    names : FeatureNames, optional
        The columns' names.
    header : sequence of str
        Lines written first.
    """
    from fastopt._files import atomic_output
    w = np.asarray(weights, dtype=np.float64)
    nz = np.flatnonzero(w)
    text = _kernels.format_g9(np.ascontiguousarray(w[nz]), 1).decode("ascii").split("\n")
    with atomic_output(path, "w", encoding="utf-8", newline="\n") as f:
        for line in header:
            f.write(line + "\n")
        table = names.names if names is not None else {}
        for col, v in zip(nz.tolist(), text):
            known = table.get(col)
            if known:
                for name in sorted(known):
                    f.write(f"{name}:{col}:{v}\n")
            else:
                f.write(f"{col}:{v}\n")
