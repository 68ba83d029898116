"""Training control for `fastopt train` / `fastopt predict`: the binary
cache of parsed rows (``--passes``, ``--cache-file``), the reader thread
that parses the next block while the C loop learns on the current one, the
writer thread that writes a block's progressive predictions (``train -p``)
meanwhile, and the test-time metrics (log loss, AUC).

The cache
---------
Pass 1 parses the text and writes every block it yields to the cache;
passes 2..N (and the holdout evaluation) read the blocks back instead of
parsing again, as Vowpal Wabbit's ``--cache_file`` does.  The file is::

    b"FOCACHE3"  u32 n  header (n bytes of JSON: the source and the reader
                        settings the rows depend on)
    block*       i64 nrows, i64 nnz, u8 index code, u8 value code,
                 u8 has weights, u8 has namespaces, u8 has initial
                 predictions, u8 has tags, then the arrays (y f64, [w f64],
                 [initial f64], indptr, indices, [values], [ns u8], [tag
                 lengths i64, -1 for none; the tags' bytes]), then u32
                 CRC-32 of the block's bytes
    i64 -1       u32 n  trailer (JSON: format, rows, bad lines), u32 CRC-32

Values are stored as float64, as float32 when every value is exactly one
(no precision lost), or not at all when every value is 1.0 -- the rows
read back are bit for bit the rows parsed.  A block's VW initial
predictions (the per-row margin offsets, base_margin) are stored as float64
when any is non-zero, so passes over the cache train exactly as passes over
the text; VW's tags are stored when a block has any, so that the
progressive predictions of passes 2..N (``train -p``) carry them as pass
1's do.  Older caches (b"FOCACHE1" without initial predictions,
b"FOCACHE2" without tags) are not read: ``--cache-file`` rebuilds them.  The cache is written under a
temporary name and renamed into place once complete, so a cache file
either is whole or is not there.  Reading checks everything: the magic,
the header (a cache of another file, of another version of the file --
size and modification time -- or parsed with other settings is stale),
each block's sizes against what is left of the file and its CRC, the
trailer.  A stale or damaged cache named by ``--cache-file`` is rebuilt
from the text; one found damaged while it is read is an error.
"""
from __future__ import annotations

import io
import json
import os
import queue
import struct
import tempfile
import threading
import zlib
from typing import Any, Callable, Generic, Iterable, Iterator, Optional, TypeVar

import numpy as np
import numpy.typing as npt

from fastopt._files import PathLike
from fastopt.vw import Extras

__all__ = ["CacheError", "CacheWriter", "CacheReader", "source_fingerprint",
           "prefetch", "keep_freed_blocks", "WriteBehind", "binary_auc"]

MAGIC = b"FOCACHE3"
_BLOCK = struct.Struct("<qqBBBBBB")
_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_INDEX_CODES: dict[np.dtype[Any], int] = {np.dtype(np.int32): 1, np.dtype(np.int64): 2}
_INDEX_DTYPES = {v: k for k, v in _INDEX_CODES.items()}
_V_ONES, _V_F32, _V_F64 = 0, 1, 2     # value encodings

#: a CSR matrix (scipy publishes no types), labels, weights, namespaces,
#: line numbers (always None here) and extras (initial predictions, tags), as
#: fastopt.vw.VWReader(extras=True) yields them (y and w float64, ns uint8)
CachedBlock = tuple[Any, npt.NDArray[Any], Optional[npt.NDArray[Any]],
                    Optional[npt.NDArray[Any]], None, Extras]
_T = TypeVar("_T")


class CacheError(ValueError):
    """A cache file that is not one, is damaged, or is stale."""


def source_fingerprint(path: PathLike, settings: dict[str, Any]) -> dict[str, Any]:
    """What the rows of `path` parsed with `settings` (a JSON-able dict)
    depend on: the file's real path, size and modification time (None for
    standard input, whose cache is never reused by another run)."""
    if os.fspath(path) == "-":
        return {"source": None, "settings": settings}
    st = os.stat(path)
    return {"source": os.path.realpath(path), "size": st.st_size,
            "mtime_ns": st.st_mtime_ns, "settings": settings}


def _normalise(fp: dict[str, Any]) -> Any:
    return json.loads(json.dumps(fp, sort_keys=True))


class CacheWriter:
    """Write blocks (X, y, w, ns[, initial, tags]) to a cache file: to a
    temporary name beside `path`, renamed into place by `finish` (`abort`
    removes it).  initial: None or each row's initial prediction (VW's
    margin offset); tags: None or each row's VW tag (bytes or None)."""

    def __init__(self, path: PathLike, fingerprint: dict[str, Any]) -> None:
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        fd, self.tmp = tempfile.mkstemp(prefix=".fastopt-cache-", dir=folder)
        self.f = os.fdopen(fd, "wb")
        head = json.dumps(_normalise(fingerprint), sort_keys=True).encode()
        self.f.write(MAGIC + _U32.pack(len(head)) + head)
        self.rows = 0

    def write(self, X: Any, y: npt.ArrayLike, w: Optional[npt.ArrayLike],
              ns: Optional[npt.ArrayLike], initial: Optional[npt.ArrayLike] = None,
              tags: Optional[list[Optional[bytes]]] = None) -> None:
        data = np.asarray(X.data)
        if data.size and np.all(data == 1.0):
            vcode, values = _V_ONES, None
        elif data.dtype == np.float64 and np.array_equal(
                data.astype(np.float32).astype(np.float64), data):
            vcode, values = _V_F32, data.astype(np.float32)
        else:
            vcode, values = _V_F64, data.astype(np.float64, copy=False)
        indices = X.indices
        code = _INDEX_CODES[indices.dtype]
        indptr = X.indptr.astype(indices.dtype, copy=False)
        if tags is not None and all(t is None for t in tags):
            tags = None
        parts: list[Any] = [_BLOCK.pack(X.shape[0], indices.shape[0], code, vcode,
                             w is not None, ns is not None, initial is not None,
                             tags is not None),
                 np.ascontiguousarray(y, dtype=np.float64)]
        if w is not None:
            parts.append(np.ascontiguousarray(w, dtype=np.float64))
        if initial is not None:
            parts.append(np.ascontiguousarray(initial, dtype=np.float64))
        parts += [indptr, indices]
        if values is not None:
            parts.append(values)
        if ns is not None:
            parts.append(np.ascontiguousarray(ns, dtype=np.uint8))
        if tags is not None:
            parts.append(np.array([-1 if t is None else len(t) for t in tags],
                                  dtype=np.int64))
            parts.append(b"".join(t for t in tags if t is not None))
        crc = 0
        for p in parts:
            mv = (p.data if isinstance(p, np.ndarray) else memoryview(p)).cast("B")
            crc = zlib.crc32(mv, crc)
            self.f.write(mv)
        self.f.write(_U32.pack(crc))
        self.rows += X.shape[0]

    def finish(self, trailer: dict[str, Any]) -> None:
        """Write the trailer (a JSON-able dict) and rename into place."""
        body = json.dumps(trailer, sort_keys=True).encode()
        self.f.write(_I64.pack(-1) + _U32.pack(len(body)) + body
                     + _U32.pack(zlib.crc32(body)))
        self.f.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.f.close()
        finally:
            try:
                os.remove(self.tmp)
            except OSError:
                pass


class CacheReader:
    """The blocks of a cache file, checked as they are read (module
    docstring).  `check(fingerprint)` reads the header (and with `full`,
    every block) and returns the trailer, or raises CacheError.
    Iterating yields (X, y, w, ns, None, extras) as fastopt.vw.VWReader
    with extras=True does (without line numbers; extras.initial the rows'
    initial predictions, zeros when the block had none; extras.tags the
    rows' tags)."""

    def __init__(self, path: PathLike, n_features: int) -> None:
        self.path = path
        self.n_features = int(n_features)
        self.trailer: Optional[dict[str, Any]] = None

    def _open(self) -> tuple[io.BufferedReader, int, Any]:
        f = open(self.path, "rb")
        size = os.fstat(f.fileno()).st_size
        magic = f.read(len(MAGIC))
        if magic != MAGIC:
            f.close()
            if magic[:7] == MAGIC[:7]:
                raise CacheError(f"{self.path}: a cache of another fastopt version "
                                 f"({magic[7:].decode('ascii', 'replace')}, this one "
                                 f"reads {MAGIC[7:].decode()})")
            raise CacheError(f"{self.path}: not a fastopt cache file")
        n = self._unpack(f, _U32, size)[0]
        if n > size:
            f.close()
            raise CacheError(f"{self.path}: damaged cache (header)")
        try:
            header = json.loads(f.read(n))
        except ValueError:
            f.close()
            raise CacheError(f"{self.path}: damaged cache (header)") from None
        return f, size, header

    def _unpack(self, f: io.BufferedReader, st: struct.Struct, size: int) -> tuple[Any, ...]:
        raw = f.read(st.size)
        if len(raw) != st.size:
            raise CacheError(f"{self.path}: damaged cache (truncated)")
        return st.unpack(raw)

    def check(self, fingerprint: dict[str, Any],
              full: bool = True) -> Optional[dict[str, Any]]:
        """The trailer when the cache holds the rows `fingerprint`
        describes and (with `full`) every block and the trailer verify."""
        f, size, header = self._open()
        with f:
            if header != _normalise(fingerprint):
                raise CacheError(f"{self.path}: stale cache (made from another file, "
                                 "another version of it, or other settings)")
            if full:
                for _ in self._blocks(f, size):
                    pass
        return self.trailer

    def __iter__(self) -> Iterator[CachedBlock]:
        f, size, _header = self._open()
        with f:
            yield from self._blocks(f, size)

    def _array(self, f: io.BufferedReader, dtype: npt.DTypeLike, n: int,
               left: int) -> tuple[npt.NDArray[Any], int]:
        nbytes = n * np.dtype(dtype).itemsize
        if nbytes > left:
            raise CacheError(f"{self.path}: damaged cache (a block runs past the end)")
        a = np.empty(n, dtype=dtype)
        if n and f.readinto(a.data.cast("B")) != nbytes:
            raise CacheError(f"{self.path}: damaged cache (truncated)")
        return a, nbytes

    def _blocks(self, f: io.BufferedReader, size: int) -> Iterator[CachedBlock]:
        from fastopt.libsvm import _make_csr
        while True:
            raw = f.read(_BLOCK.size)
            if len(raw) >= _I64.size and _I64.unpack(raw[:_I64.size])[0] == -1:
                f.seek(_I64.size - len(raw), os.SEEK_CUR)
                n = self._unpack(f, _U32, size)[0]
                body = f.read(n)
                crc = self._unpack(f, _U32, size)[0]
                if len(body) != n or zlib.crc32(body) != crc or f.read(1):
                    raise CacheError(f"{self.path}: damaged cache (trailer)")
                self.trailer = json.loads(body)
                return
            if len(raw) != _BLOCK.size:
                raise CacheError(f"{self.path}: damaged cache (truncated, no trailer)")
            nrows, nnz, code, vcode, has_w, has_ns, has_init, has_tags = \
                _BLOCK.unpack(raw)
            left = size - f.tell()
            if (nrows < 1 or nnz < 0 or code not in _INDEX_DTYPES
                    or vcode not in (_V_ONES, _V_F32, _V_F64) or has_w > 1 or has_ns > 1
                    or has_init > 1 or has_tags > 1):
                raise CacheError(f"{self.path}: damaged cache (block header)")
            crc = zlib.crc32(raw)
            idt = _INDEX_DTYPES[code]
            arrays: list[Optional[npt.NDArray[Any]]] = []
            vdt = np.float32 if vcode == _V_F32 else np.float64
            specs: tuple[tuple[npt.DTypeLike, int], ...] = (
                (np.float64, nrows), (np.float64, nrows if has_w else -1),
                (np.float64, nrows if has_init else -1),
                (idt, nrows + 1), (idt, nnz), (vdt, nnz if vcode != _V_ONES else -1),
                (np.uint8, nnz if has_ns else -1), (np.int64, nrows if has_tags else -1))
            for dtype, n in specs:
                if n < 0:
                    arrays.append(None)
                    continue
                a, nbytes = self._array(f, dtype, n, left)
                left -= nbytes
                crc = zlib.crc32(a.data.cast("B"), crc)
                arrays.append(a)
            y, w, initial, indptr, indices, values, ns, lengths = arrays
            tags: list[Optional[bytes]] = [None] * nrows
            if lengths is not None:
                # every length and their sum (in float64: no int64 overflow)
                # within what is left of the block, before any is added up
                if np.any(lengths < -1) or float(np.maximum(lengths, 0).sum(
                        dtype=np.float64)) > left:
                    raise CacheError(f"{self.path}: damaged cache (tags)")
                text, nbytes = self._array(f, np.uint8, int(np.maximum(lengths, 0).sum()),
                                           left)
                crc = zlib.crc32(text.data.cast("B"), crc)
                blob, ends = text.tobytes(), np.cumsum(np.maximum(lengths, 0))
                for r in np.flatnonzero(lengths >= 0).tolist():
                    tags[r] = blob[ends[r] - lengths[r]:ends[r]]
            if self._unpack(f, _U32, size)[0] != crc:
                raise CacheError(f"{self.path}: damaged cache (checksum)")
            assert y is not None and indptr is not None and indices is not None  # n >= 0
            if indptr[0] != 0 or indptr[-1] != nnz or np.any(np.diff(indptr) < 0):
                raise CacheError(f"{self.path}: damaged cache (row pointers)")
            values = (np.ones(nnz) if values is None
                      else values.astype(np.float64, copy=False))
            X = _make_csr(values, indices, indptr, (nrows, self.n_features))
            yield X, y, w, ns, None, Extras(
                np.zeros(nrows) if initial is None else initial, tags)


_MALLOC_TUNED = False


def keep_freed_blocks() -> None:
    """On glibc, keep freed block arrays for reuse instead of returning
    them to the system: fixed mmap (32 MiB) and trim (256 MiB) thresholds.
    A block's arrays are allocated in the reader thread (its own malloc
    arena) and freed in the learning thread; with glibc's defaults the
    arena's heap is trimmed and every block faults its pages in afresh
    (measured: 5-20 thousand page faults and 0.1 s of system time more per
    2M rows than reading in turn; about none with this).  Once per process;
    nothing elsewhere (no mallopt)."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):    # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 256 << 20)


def prefetch(iterable: Iterable[_T], depth: int = 2) -> Iterator[_T]:
    """Iterate `iterable` in a thread, `depth` items ahead: the reader
    thread parses the next block (the parsers release the GIL) while the
    caller learns on this one.  Items come in order, so what is computed
    from them is the same as without the thread; an exception in the
    thread is raised here; stopping early stops the thread."""
    q: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[int, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        it = iter(iterable)
        try:
            for item in it:
                if not put((0, item)):
                    return
            put((1, None))
        except BaseException as e:     # noqa: B036 -- handed to the caller
            put((2, e))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="fastopt-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == 0:
                yield item
            elif kind == 1:
                return
            else:
                raise item
    finally:
        stop.set()
        thread.join()


class WriteBehind(Generic[_T]):
    """Hand items to `consume` in a thread, in order, at most `depth`
    waiting: the writer formats and writes the predictions of one block
    (fastopt/_format.pxi releases the GIL) while the C loop learns on the
    next.  An exception in `consume` is raised by the next `put` or by
    `close`; `close` waits for every item, `abort` drops those left.  Both
    end the thread; call one of them in every case (a finally).

    Parameters
    ----------
    consume : callable
        Called with each item, in the order put.
    depth : int, optional
        Items that may wait (default 2): `put` blocks beyond that.
    """

    def __init__(self, consume: Callable[[_T], None], depth: int = 2) -> None:
        self._consume = consume
        self._q: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
        self._error: Optional[BaseException] = None
        self._dropping = False
        self._thread = threading.Thread(target=self._work, name="fastopt-writer",
                                        daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            last, item = self._q.get()
            if last:
                return
            if self._error is None and not self._dropping:
                try:
                    self._consume(item)
                except BaseException as e:   # noqa: B036 -- handed to the caller
                    self._error = e

    def _raise(self) -> None:
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    def put(self, item: _T) -> None:
        """Queue `item` for `consume` (raising an earlier item's error)."""
        self._raise()
        self._q.put((False, item))

    def close(self) -> None:
        """Wait until every item is consumed; raise the first error."""
        if self._thread.is_alive():
            self._q.put((True, None))
            self._thread.join()
        self._raise()

    def abort(self) -> None:
        """End the thread without consuming the items left (errors dropped)."""
        self._dropping = True
        if self._thread.is_alive():
            self._q.put((True, None))
            self._thread.join()
        self._error = None


def binary_auc(score: npt.ArrayLike, y: npt.ArrayLike,
               w: Optional[npt.ArrayLike] = None) -> float:
    """The area under the ROC curve of scores for 0/1 labels y (weighted by
    w): the probability that a positive scores above a negative, ties
    counting half -- scikit-learn's roc_auc_score.  NaN without both
    classes."""
    score = np.asarray(score, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(score) if w is None else np.asarray(w, dtype=np.float64)
    order = np.argsort(score, kind="mergesort")
    s, pos, wt = score[order], (y[order] == 1), w[order]
    # groups of tied scores
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    wp = np.add.reduceat(np.where(pos, wt, 0.0), starts)
    wn = np.add.reduceat(np.where(pos, 0.0, wt), starts)
    total_p, total_n = wp.sum(), wn.sum()
    if not (total_p > 0 and total_n > 0):
        return float("nan")
    below = np.cumsum(wn) - wn            # negatives scored below each group
    return float(np.sum(wp * (below + 0.5 * wn)) / (total_p * total_n))
