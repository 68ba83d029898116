"""What every part of fastopt.distributed shares: the check that Dask
distributed is installed, and the client a call runs on."""
from __future__ import annotations

from typing import Any

EXTRA_HINT = 'pip install "fastopt[dask]"'


def require_dask() -> None:
    """Raise ImportError naming the extra when dask or distributed is missing."""
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as e:
        raise ImportError(f"fastopt.distributed needs Dask distributed ({e}); install it "
                          f"with: {EXTRA_HINT}") from None


def get_client(client: Any = None):
    """`client` if given (a distributed.Client), else the default client
    (distributed.get_client: the one created last in this process, or the
    worker's own inside a task).  ValueError when there is none."""
    import distributed

    if client is not None:
        if not isinstance(client, distributed.Client):
            raise TypeError(f"client must be a distributed.Client or None, got "
                            f"{type(client).__name__}")
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError("client=None and there is no default Dask client: create one "
                         "(distributed.Client(...), or LocalCluster) or pass client=") from None


def worker_threads():
    """Threads of the worker this task runs on (None outside a worker): the
    kernels use that many, not every core of a machine shared by workers."""
    try:
        from distributed import get_worker

        w = get_worker()
    except (ImportError, ValueError):
        return None
    n = getattr(getattr(w, "state", w), "nthreads", None)
    return int(n) if n else None
