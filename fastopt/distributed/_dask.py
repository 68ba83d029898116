"""What every part of fastopt.distributed shares: the check that Dask
distributed is installed, the client a call runs on, and `connect` (the
CLI's --dask).

Dask distributed is the engine -- its scheduler, workers, futures and its
recomputation of lost tasks; nothing here opens a socket itself.
"""
from __future__ import annotations

import logging
from typing import Any, Optional, Tuple

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


def get_client(client: Any = None) -> Any:
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


def worker_threads() -> Optional[int]:
    """Threads of the worker this task runs on (None outside a worker): the
    kernels use that many, not every core of a machine shared by workers."""
    try:
        from distributed import get_worker

        w = get_worker()
    except (ImportError, ValueError):
        return None
    n = getattr(getattr(w, "state", w), "nthreads", None)
    return int(n) if n else None


_HANDSHAKE_TRIES = 3


def connect(address: str, timeout: float = 10.0) -> Tuple[Any, Optional[Any]]:
    """A Client of the scheduler at `address` ("tcp://host:8786"), or of a
    new LocalCluster for "local:N" (N worker processes, one thread each),
    returned with the cluster to close (None for a remote scheduler).

    A scheduler that cannot be reached within `timeout` seconds is an
    OSError naming the address."""
    from distributed import Client, LocalCluster
    if address.startswith("local:"):
        try:
            n = int(address[len("local:"):])
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"--dask {address}: expected local:N with N >= 1 workers")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        return Client(cluster), cluster
    if "://" not in address:
        raise ValueError(f"--dask {address}: expected local:N or a scheduler address "
                         "such as tcp://host:8786")
    attempt = 1
    while True:
        try:
            return Client(address, timeout=f"{timeout}s"), None
        except (OSError, TimeoutError) as e:
            raise OSError(f"cannot reach the Dask scheduler at {address} within "
                          f"{timeout:g} s ({type(e).__name__}: {e})") from None
        except AssertionError:
            # distributed's handshake (Client._ensure_connected) asserts that
            # the scheduler's first batch of messages is its stream-start
            # alone; a message the scheduler sends to every client within the
            # same 2 ms batch -- other clients at work on a shared cluster --
            # breaks that assertion.  The scheduler is there: connect again.
            if attempt == _HANDSHAKE_TRIES:
                raise OSError(f"cannot connect to the Dask scheduler at {address}: "
                              f"its handshake failed {_HANDSHAKE_TRIES} times") from None
            attempt += 1
