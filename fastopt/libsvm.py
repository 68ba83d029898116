"""Streaming reader (and a small writer) for libsvm / svmlight text files.

Each line of such a file is one example::

    label id:value id:value ... [# comment]

Labels are 0/1 or -1/+1 (any numeric spelling: 1.0, +1, -1e0); they come back
as 0.0/1.0 (-1 -> 0).  Feature ids are non-negative integers, used as written
(no 1-based shift), and may be unsorted or repeated within a line (kept as
written).  Values are decimal numbers in any form strtod reads and must be
finite.  Fields are separated by spaces or tabs, lines end in \\n or \\r\\n,
blank lines and lines starting with '#' are skipped, and a leading svmlight
``qid:N`` token is ignored.

:func:`iter_chunks` streams a file (gzip-compressed or not: detected from its
first bytes) in blocks of whole lines, never holding more than about one
block, and parses each block in C with the GIL released into a CSR matrix.
:func:`load_libsvm` reads a whole (small) file; :func:`dump_libsvm` writes one.

Errors name the file and the 1-based line: ``ValueError("data.txt:17: bad
feature '3x:1': expected id:value with a non-negative integer id")``.  With
``skip_bad_lines=True`` malformed lines are dropped and counted instead.  A
line longer than ``max_line_bytes`` (default 64 MiB) is malformed too: the
reader never buffers more than about one block or one such line, so a
stream without newlines (``/dev/zero``) is an error, not a growing buffer.
The path "-" reads standard input (once).
"""
from __future__ import annotations

import contextlib
import gzip
import io
import numbers
import os
import sys
from typing import IO, Any, Iterator, Optional, Protocol, cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from fastopt import _kernels
from fastopt._files import PathLike, atomic_output

#: One block of a libsvm file: (X, y, first_line).
Block = tuple[Any, npt.NDArray[np.float64], int]


class _Source(Protocol):
    """What the reader needs of an open file (plain, gzip or stdin)."""

    def readinto(self, b: Any, /) -> Optional[int]: ...

    def close(self) -> None: ...

__all__ = ["iter_chunks", "load_libsvm", "dump_libsvm", "LibsvmReader"]

_GZIP_MAGIC = b"\x1f\x8b"

# Reason codes of csrc/libsvm.h.
_E_LABEL, _E_LABEL_VALUE, _E_ID, _E_NEG_ID, _E_COLON = 1, 2, 3, 4, 5
_E_VALUE, _E_NONFINITE, _E_RANGE, _E_ID_OVERFLOW, _E_LABEL_NONFINITE = 6, 7, 8, 9, 10
_E_LONG_LINE = 11

MAX_LINE_BYTES = 64 << 20   # the default limit on one line


def _open(path: PathLike) -> tuple[_Source, list[_Source]]:
    """(file, owned): a binary file object for `path` ("-": standard
    input), gzip-decompressing when the data start with the gzip magic
    bytes (whatever the name: a plain file named *.gz is read as plain
    text), and the files to close after reading (not stdin)."""
    raw: Any
    owned: list[_Source]
    if os.fspath(path) == "-":
        raw, owned = sys.stdin.buffer, []
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)
    else:
        raw = open(path, "rb")
        owned = [raw]
    try:
        head = raw.peek(2)[:2]     # not read + seek: pipes and FIFOs cannot seek
    except BaseException:
        raw.close()
        raise
    if head == _GZIP_MAGIC:
        gz = gzip.GzipFile(fileobj=raw, mode="rb")
        return gz, [gz] + owned
    return raw, owned


def _token(data: memoryview, pos: int) -> str:
    """The text of the token starting at byte `pos` of `data`."""
    piece = bytes(data[pos:pos + 64])
    end = len(piece)
    for sep in (b" ", b"\t", b"\r", b"\n", b"\v", b"\f"):
        k = piece.find(sep)
        if 0 <= k < end:
            end = k
    tok = piece[:end].decode("utf-8", errors="replace")
    if end == len(piece) and len(piece) == 64:
        tok = tok[:40] + "..."
    return tok


_REASONS = {
    _E_LABEL: "bad label {tok!r}: not a number",
    _E_LABEL_VALUE: "bad label {tok!r}: expected 0/1 or -1/+1",
    _E_LABEL_NONFINITE: "bad label {tok!r}: not finite",
    _E_ID: "bad feature {tok!r}: expected id:value with a non-negative integer id",
    _E_NEG_ID: "bad feature {tok!r}: negative feature id",
    _E_COLON: "bad feature {tok!r}: missing ':' between id and value",
    _E_VALUE: "bad feature {tok!r}: value is not a number",
    _E_NONFINITE: "bad feature {tok!r}: value is not finite",
    _E_ID_OVERFLOW: "bad feature {tok!r}: feature id too large",
}


def _long_line(max_line_bytes: int) -> str:
    return f"line longer than {max_line_bytes} bytes (max_line_bytes={max_line_bytes})"


def _reason(err: tuple[int, int, int, int], data: memoryview, n_features: int,
            max_line_bytes: int) -> str:
    code, _line, pos, value = err
    if code == _E_RANGE:
        return (f"feature id {value} >= n_features {n_features} (hash=True "
                "folds ids into range: id % n_features)")
    if code == _E_LONG_LINE:
        return _long_line(max_line_bytes)
    if code in _REASONS:
        return _REASONS[code].format(tok=_token(data, pos))
    return f"malformed line (code {code})"


def _check_args(n_features: object, chunk_bytes: object, index_dtype: npt.DTypeLike,
                dtype: npt.DTypeLike, max_line_bytes: object
                ) -> tuple[int, int, np.dtype[Any], np.dtype[Any], int]:
    if isinstance(n_features, (bool, np.bool_)) or not isinstance(
            n_features, numbers.Integral):
        raise TypeError(f"n_features must be a positive int, got {n_features!r}")
    if not 1 <= int(n_features) <= 2**63 - 1:
        raise ValueError(f"n_features must be a positive int below 2**63, got {n_features}")
    for name, v in (("chunk_bytes", chunk_bytes), ("max_line_bytes", max_line_bytes)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) \
                or not 1 <= cast(int, v) <= 2**62:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    idt = np.dtype(index_dtype)
    if idt not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise TypeError(f"index_dtype must be int32 or int64, got {idt}")
    vdt = np.dtype(dtype)
    if vdt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {vdt}")
    if idt == np.int32 and int(n_features) > 2**31:
        raise ValueError(f"n_features={n_features} does not fit int32 indices "
                         "(at most 2**31); pass index_dtype=np.int64")
    return (int(n_features), int(cast(int, chunk_bytes)), idt, vdt,
            int(cast(int, max_line_bytes)))


def _make_csr(data: npt.NDArray[Any], indices: npt.NDArray[Any], indptr: npt.NDArray[Any],
              shape: tuple[int, int]) -> Any:
    """A csr_matrix on these arrays, without copies, with indptr in the
    indices' dtype (int32 only while nnz fits) -- scipy would otherwise
    downcast int64 indices that fit in int32."""
    if indices.dtype == np.int32 and indices.shape[0] < 2**31:
        indptr = indptr.astype(np.int32)
    else:
        indices = indices.astype(np.int64, copy=False)
        indptr = indptr.astype(np.int64, copy=False)
    X = sp.csr_matrix(shape, dtype=data.dtype)
    X.data, X.indices, X.indptr = data, indices, indptr
    return X


class LibsvmReader:
    """An iterable over ``(X, y, first_line)`` blocks of a libsvm file.

    While and after iterating, it tells how far it got: ``n_lines`` (lines
    read), ``n_rows`` (examples yielded), ``bad_lines`` (malformed lines
    skipped, with ``skip_bad_lines``) and ``first_bad_line`` (the message for
    the first of them, or None).  Iterating again re-reads the file.

    Parameters
    ----------
    path, n_features, chunk_bytes, hash, skip_bad_lines, index_dtype, dtype, binary, max_line_bytes
        As in :func:`iter_chunks`, which makes it.

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type or out of range (at construction);
        iteration raises ValueError("PATH:LINE: reason") for a malformed
        line and OSError when the file cannot be read.
    """

    n_lines: int
    n_rows: int
    bad_lines: int
    first_bad_line: Optional[str]

    def __init__(self, path: PathLike, n_features: int, *, chunk_bytes: int = 8 << 20,
                 hash: bool = False, skip_bad_lines: bool = False,
                 index_dtype: npt.DTypeLike = np.int32, dtype: npt.DTypeLike = np.float64,
                 binary: bool = True, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        (self.n_features, self.chunk_bytes, self.index_dtype, self.dtype,
         self.max_line_bytes) = _check_args(n_features, chunk_bytes, index_dtype,
                                            dtype, max_line_bytes)
        self.path = path
        self._read_stdin = False
        self.hash = bool(hash)
        self.skip_bad_lines = bool(skip_bad_lines)
        self.binary = bool(binary)
        self.n_lines = 0
        self.n_rows = 0
        self.bad_lines = 0
        self.first_bad_line = None

    def __iter__(self) -> Iterator[Block]:
        if os.fspath(self.path) == "-":
            if self._read_stdin:
                raise ValueError("-: standard input can be read only once")
            self._read_stdin = True
        self.n_lines = self.n_rows = self.bad_lines = 0
        self.first_bad_line = None
        f, owned = _open(self.path)
        try:
            yield from self._blocks(f)
        finally:
            for g in owned:
                g.close()

    def _blocks(self, f: _Source) -> Iterator[Block]:
        # One buffer, reused: the unfinished last line of a block is moved to
        # its front and the next read appended after it, so no block is
        # copied; a line longer than the buffer grows it, up to just past
        # max_line_bytes -- then it is a malformed line.
        limit = self.max_line_bytes
        buf = bytearray(self.chunk_bytes)
        filled = 0          # bytes of carried-over line at the front
        line0 = 1           # the number of the next block's first line
        row_ratio, nnz_ratio = 1 / 32, 1 / 6    # first capacity guesses
        while True:
            if filled == len(buf):
                buf.extend(bytes(max(1, min(len(buf), limit + 1 - len(buf)))))
            with memoryview(buf) as mv:
                got = f.readinto(mv[filled:])
            eof = not got
            end = filled + (got or 0)
            if eof and end == 0:
                return
            cut = end - 1 if eof else buf.rfind(b"\n", filled, end)
            if cut < 0 and end > limit:          # the line at the front is too long
                self._long_line(line0)
                filled = self._skip_line(f, buf)
                line0 += 1
                self.n_lines += 1
                if filled < 0:
                    return
                continue
            if cut < 0:                          # no line ends in this read
                filled = end
                continue
            with memoryview(buf) as mv, mv[:cut + 1] as data:
                block = self._parse(data, line0, row_ratio, nnz_ratio)
            X, y, first, lines, row_ratio, nnz_ratio = block
            line0 += lines
            if X is not None:
                yield X, y, first
            if eof:
                return
            buf[:end - cut - 1] = buf[cut + 1:end]
            filled = end - cut - 1

    def _long_line(self, line: int) -> None:
        """A line over max_line_bytes: raise, or count it (skip_bad_lines)."""
        msg = f"{os.fspath(self.path)}:{line}: {_long_line(self.max_line_bytes)}"
        if not self.skip_bad_lines:
            raise ValueError(msg)
        self.bad_lines += 1
        if self.first_bad_line is None:
            self.first_bad_line = msg

    @staticmethod
    def _skip_line(f: _Source, buf: bytearray) -> int:
        """Read past the end of the line that fills buf; moves what follows
        its newline to the front of buf and returns its length (-1 at the
        end of the file)."""
        with memoryview(buf) as mv:
            while True:
                got = f.readinto(mv)
                if not got:
                    return -1
                k = buf.find(b"\n", 0, got)
                if k >= 0:
                    buf[:got - k - 1] = buf[k + 1:got]
                    return got - k - 1

    def _parse(self, data: memoryview, line0: int, row_ratio: float, nnz_ratio: float
               ) -> tuple[Any, npt.NDArray[np.float64], int, int, float, float]:
        n = len(data)
        out = _kernels.libsvm_parse(
            data, self.n_features, self.hash, self.skip_bad_lines,
            self.binary, self.index_dtype, self.dtype,
            int(n * row_ratio) + 16, int(n * nnz_ratio) + 16, self.max_line_bytes)
        labels, indptr, indices, values, lines, bad, err = out
        nrows = labels.shape[0]
        row_ratio = max(row_ratio, 1.05 * nrows / n)
        nnz_ratio = max(nnz_ratio, 1.05 * indices.shape[0] / n)
        if err is not None:
            self._bad_line(line0 + err[1] - 1,
                           _reason(err, data, self.n_features, self.max_line_bytes))
        self.bad_lines += bad
        self.n_lines += lines
        X = None
        if nrows:
            self.n_rows += nrows
            X = self._csr(labels, indptr, indices, values)
        return X, labels, line0, lines, row_ratio, nnz_ratio

    def _bad_line(self, line: int, reason: str) -> None:
        """Raise FILE:LINE: reason, or with skip_bad_lines remember the first."""
        msg = f"{os.fspath(self.path)}:{line}: {reason}"
        if not self.skip_bad_lines:
            raise ValueError(msg)
        if self.first_bad_line is None:
            self.first_bad_line = msg

    def _csr(self, labels: npt.NDArray[np.float64], indptr: npt.NDArray[Any],
             indices: npt.NDArray[Any], values: npt.NDArray[Any]) -> Any:
        return _make_csr(values, indices, indptr,
                         (labels.shape[0], self.n_features))


def iter_chunks(path: PathLike, n_features: int, *, chunk_bytes: int = 8 << 20,
                hash: bool = False, skip_bad_lines: bool = False,
                index_dtype: npt.DTypeLike = np.int32, dtype: npt.DTypeLike = np.float64,
                binary: bool = True, max_line_bytes: int = MAX_LINE_BYTES) -> LibsvmReader:
    """Stream a libsvm / svmlight file as CSR blocks.

    Reads `path` (plain or gzip, detected from the magic bytes) `chunk_bytes`
    at a time, carries each block's unfinished last line over to the next,
    and parses every block of whole lines in C (the GIL released).  Yields
    ``(X, y, first_line)``: X a ``scipy.sparse.csr_matrix`` of shape
    ``(rows, n_features)`` with `dtype` values and `index_dtype` indices, y
    float64 labels mapped to 0/1 (-1 -> 0; with ``binary=False`` any finite
    labels, as written), first_line the 1-based file line number where the
    block starts.  Blocks without examples (only blank or comment lines) are
    not yielded.

    n_features: feature ids must be < n_features, or with ``hash=True`` are
    folded to ``id % n_features``.  A malformed line -- or one longer than
    `max_line_bytes` -- raises ``ValueError("PATH:LINE: reason")``; with
    ``skip_bad_lines=True`` it is dropped and counted.  path "-" reads
    standard input (which can be iterated once).

    Parameters
    ----------
    path : str or os.PathLike
        The file, plain or gzip; "-" reads standard input.
    n_features : int
        Number of columns, >= 1; ids must be below it (or are folded).
    chunk_bytes : int, default 8 MiB
        Bytes read per block.
    hash : bool, default False
        Fold ids into range as ``id % n_features`` instead of refusing them.
    skip_bad_lines : bool, default False
        Drop and count malformed lines instead of raising.
    index_dtype : {numpy.int32, numpy.int64}, default numpy.int32
        dtype of X's indices.
    dtype : {numpy.float32, numpy.float64}, default numpy.float64
        dtype of X's values.
    binary : bool, default True
        Labels must be 0/1 or -1/+1 (mapped to 0/1); False keeps any finite
        label as written.
    max_line_bytes : int, default 64 MiB
        A longer line is malformed.

    Returns
    -------
    LibsvmReader
        Iterate it for ``(X, y, first_line)`` blocks, then read its
        ``bad_lines``, ``first_bad_line``, ``n_lines`` and ``n_rows``.
        Opening the file (and any OSError) happens when iteration starts.

    Raises
    ------
    TypeError
        If n_features is not an int, or a dtype is not one of those allowed.
    ValueError
        If n_features, chunk_bytes or max_line_bytes is out of range, or
        n_features does not fit int32 indices.  While iterating:
        ValueError("PATH:LINE: reason") for a malformed line.

    Examples
    --------
    >>> import os, tempfile, fastopt.libsvm as L
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("1 0:0.5 3:2\\n-1 2:1\\n")
    >>> reader = L.iter_chunks(path, n_features=4)
    >>> [(X.shape, y.tolist(), first) for X, y, first in reader]
    [((2, 4), [1.0, 0.0], 1)]
    >>> reader.n_rows, reader.bad_lines
    (2, 0)
    """
    return LibsvmReader(path, n_features, chunk_bytes=chunk_bytes, hash=hash,
                        skip_bad_lines=skip_bad_lines, index_dtype=index_dtype,
                        dtype=dtype, binary=binary, max_line_bytes=max_line_bytes)


def load_libsvm(path: PathLike, n_features: Optional[int] = None, *, hash: bool = False,
                skip_bad_lines: bool = False, index_dtype: npt.DTypeLike = np.int32,
                dtype: npt.DTypeLike = np.float64, binary: bool = True,
                chunk_bytes: int = 8 << 20, max_line_bytes: int = MAX_LINE_BYTES
                ) -> tuple[Any, npt.NDArray[np.float64]]:
    """Read a whole libsvm file: ``(X, y)`` with X one CSR matrix.

    Parameters
    ----------
    path : str or os.PathLike
        The file, plain or gzip; "-" reads standard input.
    n_features : int or None, optional
        Number of columns; None: the largest id + 1 (ids may be as large as
        the index dtype holds; `hash` needs an n_features).
    hash, skip_bad_lines, index_dtype, dtype, binary, chunk_bytes, max_line_bytes
        As in :func:`iter_chunks`.

    Returns
    -------
    X : scipy.sparse.csr_matrix
        Shape (rows, n_features), `dtype` values, `index_dtype` indices.
    y : numpy.ndarray
        The labels (float64), one per row.

    Raises
    ------
    TypeError, ValueError
        As :func:`iter_chunks`; also ValueError for hash=True without
        n_features.
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import os, tempfile, fastopt.libsvm as L
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("+1 0:0.5 3:2\\n-1 2:1\\n")
    >>> X, y = L.load_libsvm(path)
    >>> X.toarray(), y
    (array([[0.5, 0. , 0. , 2. ],
           [0. , 0. , 1. , 0. ]]), array([1., 0.]))
    """
    if n_features is None:
        if hash:
            raise ValueError("hash=True needs n_features")
        limit = 2**31 if np.dtype(index_dtype) == np.int32 else 2**63 - 1
    else:
        limit = n_features
    reader = iter_chunks(path, limit, chunk_bytes=chunk_bytes, hash=hash,
                         skip_bad_lines=skip_bad_lines,
                         index_dtype=index_dtype, dtype=dtype, binary=binary,
                         max_line_bytes=max_line_bytes)
    blocks = list(reader)
    idt, vdt = np.dtype(index_dtype), np.dtype(dtype)
    data: npt.NDArray[Any]
    if blocks:
        data = np.concatenate([X.data for X, _, _ in blocks])
        indices = np.concatenate([X.indices for X, _, _ in blocks]).astype(
            idt, copy=False)
        starts = np.cumsum([0] + [X.nnz for X, _, _ in blocks])
        indptr = np.concatenate(
            [np.zeros(1, np.int64)]
            + [X.indptr[1:].astype(np.int64) + s for (X, _, _), s in
               zip(blocks, starts)])
        y = np.concatenate([yb for _, yb, _ in blocks])
    else:
        data = np.zeros(0, vdt)
        indices = np.zeros(0, idt)
        indptr = np.zeros(1, np.int64)
        y = np.zeros(0, np.float64)
    if n_features is None:
        n_features = int(indices.max()) + 1 if indices.size else 0
    return _make_csr(data, indices, indptr, (y.shape[0], n_features)), y


def _fmt(v: float) -> str:
    """Shortest text that reads back as the same float64 (ints as ints)."""
    f = float(v)
    if f.is_integer() and abs(f) < 1e16:
        return str(int(f))
    return repr(f)


@contextlib.contextmanager
def _text(raw: IO[bytes], path: PathLike) -> Iterator[io.TextIOWrapper]:
    """ASCII text over the binary file raw, gzip-compressed for a .gz path
    (the header names the file as gzip.open would, not a temp file)."""
    gz: Optional[gzip.GzipFile] = None
    stream: Any = raw
    if os.fspath(path).endswith(".gz"):
        gz = stream = gzip.GzipFile(filename=os.path.basename(os.fspath(path)),
                                 mode="wb", fileobj=raw)
    f = io.TextIOWrapper(stream, encoding="ascii", newline="\n")
    try:
        yield f
    finally:
        try:
            f.detach()  # flushes, leaving atomic_output's file open for it
        finally:
            if gz is not None:
                gz.close()


def dump_libsvm(X: Any, y: npt.ArrayLike, path: PathLike, *, labels: str = "01",
                comment: Optional[str] = None) -> None:
    """Write X and y as a libsvm file.

    Ids are column numbers (0-based), values in shortest round-trip form,
    explicit zeros of a sparse X kept.  Everything is checked before the file
    is opened, and the file is replaced atomically
    (fastopt._files.atomic_output): a failure leaves an old file as it was.

    Parameters
    ----------
    X : scipy.sparse matrix or array_like
        The examples, one per row (2-d).
    y : array_like
        One label per row of X.
    path : str or os.PathLike
        The file to write; a path ending in .gz is gzip-compressed; "-" is
        standard output.
    labels : {"01", "pm1", "raw"}, default "01"
        "01" writes 0/1, "pm1" writes -1/+1 (y must be 0/1 or -1/+1 for
        either), "raw" writes y as it is.
    comment : str or None, optional
        One line of ASCII written first as '# comment'.

    Raises
    ------
    ValueError
        If y does not have one entry per row, a label does not fit `labels`,
        `labels` is unknown, or `comment` is not one line of ASCII.
    OSError
        If the file cannot be written (an old file is left as it was).

    Examples
    --------
    >>> import os, tempfile, numpy as np, fastopt.libsvm as L
    >>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> L.dump_libsvm(np.array([[0.0, 1.5], [2.0, 0.0]]), [1, 0], path, labels="pm1")
    >>> print(open(path).read(), end="")
    +1 1:1.5
    -1 0:2
    """
    if comment is not None and (not isinstance(comment, str) or not comment.isascii()
                                or "\n" in comment or "\r" in comment):
        raise ValueError(f"comment must be one line of ASCII text, got {comment!r}")
    X = sp.csr_matrix(X)
    y = np.asarray(y, dtype=np.float64).ravel()
    ltext: list[str]
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} entries; expected {X.shape[0]}, "
                         "one per row of X")
    if labels in ("01", "pm1"):
        ok = np.isin(y, (0.0, 1.0, -1.0))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise ValueError(f"y[{i}] is {float(y[i])!r}; expected 0/1 or -1/+1 "
                             f"for labels={labels!r}")
        pos = y == 1.0
        names = ("0", "1") if labels == "01" else ("-1", "+1")
        ltext = [names[1] if p else names[0] for p in pos.tolist()]
    elif labels == "raw":
        ltext = [_fmt(v) for v in y.tolist()]
    else:
        raise ValueError(f"labels must be '01', 'pm1' or 'raw', got {labels!r}")
    indptr, indices, data = X.indptr, X.indices.tolist(), X.data.tolist()
    with atomic_output(path, "wb") as raw, _text(raw, path) as f:
        if comment is not None:
            f.write(f"# {comment}\n")
        for i in range(X.shape[0]):
            a, b = int(indptr[i]), int(indptr[i + 1])
            feats = " ".join(f"{indices[k]}:{_fmt(data[k])}" for k in range(a, b))
            f.write(f"{ltext[i]} {feats}\n" if feats else f"{ltext[i]}\n")
