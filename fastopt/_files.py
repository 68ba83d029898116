"""How fastopt writes files: never a damaged or half-written file where a
good one was (DESIGN.md section 4).

`atomic_output(path)` writes to a temp file in the target's directory,
fsyncs it and renames it into place; any failure -- an exception, SIGINT,
SIGTERM -- removes the temp file and leaves the old file as it was.  A
symlink stays a symlink (its target is replaced), and what cannot be
renamed over is written straight through: "-" (stdout), FIFOs, character
and block devices.  `same_file` tells whether an output would overwrite an
input (through symlinks and hard links).
"""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import sys
import threading
from types import FrameType
from typing import IO, Any, Iterator, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["atomic_output", "same_file"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def same_file(a: Union[PathLike, int], b: Union[PathLike, int]) -> bool:
    """True when a and b -- paths, or open file descriptors such as 0 for
    stdin -- are one existing file (the same device and inode, so through
    symlinks and hard links); False when either is missing or "-"."""
    if "-" in (a, b):
        return False
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _write_through(st: Optional[os.stat_result]) -> bool:
    """Whether an existing file of this stat is written in place: a FIFO or
    a device cannot be replaced by a renamed regular file."""
    return st is not None and (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)
                               or stat.S_ISBLK(st.st_mode) or stat.S_ISSOCK(st.st_mode))


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


@contextlib.contextmanager
def _remove_on_signal(tmp: str) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM first remove `tmp`, then do
    what they did before (kill the process, or call the previous Python
    handler, e.g. raise KeyboardInterrupt).  Only the main thread can set
    handlers; elsewhere only exceptions clean up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Optional[FrameType]) -> None:
        _remove(tmp)
        old = previous.get(signum)
        signal.signal(signum, old if old is not None else signal.SIG_DFL)
        if callable(old):
            old(signum, frame)
        else:                       # SIG_DFL: die of the signal, as before
            os.kill(os.getpid(), signum)

    try:
        for sig in _SIGNALS:
            old = signal.getsignal(sig)
            if old is signal.SIG_IGN:   # ignored before: stays ignored
                continue
            previous[sig] = old
            signal.signal(sig, handler)
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)


@contextlib.contextmanager
def atomic_output(path: PathLike, mode: str = "wb", **open_kw: Any) -> Iterator[IO[Any]]:
    """A file object for writing `path`; the file appears, whole, when the
    block ends without an exception.

    mode: "wb" or "w" (text; open_kw such as encoding, newline go to open).
    "-" is stdout (not closed).  An existing FIFO or device is written
    straight through.  Otherwise the data go to a temp file beside the
    target (the target of a symlink), fsynced and renamed into place with
    the permission bits of the file it replaces; on an exception, SIGINT or
    SIGTERM the temp file is removed and the old file is left untouched."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    if os.fspath(path) == "-":
        out = sys.stdout.buffer if mode == "wb" else sys.stdout
        yield out
        out.flush()
        return
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", os.fspath(path))
    if _write_through(st):
        with open(real, mode, **open_kw) as f:
            yield f
        return
    folder, name = os.path.split(real)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    with _remove_on_signal(tmp):
        # 0o666 less the umask, as open() would create it
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o666)
        fd_owned = True      # until the file object owns (and closes) it
        try:
            if st is not None:
                os.fchmod(fd, stat.S_IMODE(st.st_mode))
            with os.fdopen(fd, mode, **open_kw) as f:
                fd_owned = False
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, real)
        except BaseException:
            if fd_owned:
                os.close(fd)
            _remove(tmp)
            raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    """Make the rename itself durable (best effort: not every file system
    lets a directory be opened)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
