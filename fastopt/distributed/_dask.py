"""What fastopt.distributed shares: the check that Dask distributed is
installed (the optional extra), and the client helpers.

Dask distributed is the engine -- its scheduler, workers, futures and its
recomputation of lost tasks; nothing here opens a socket itself.
"""
import logging
from typing import Any, Optional, Tuple

EXTRA = 'pip install "fastopt[dask]"'


def require_dask() -> None:
    """Import dask and distributed, or raise ImportError naming the extra."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as e:
        raise ImportError(f"fastopt.distributed needs Dask distributed ({e}): "
                          f"{EXTRA}") from e


def get_client(client: Optional[Any] = None) -> Any:
    """`client` as given, else the current default Dask client (the last
    ``distributed.Client`` created in this process); ValueError when there
    is none."""
    from distributed import Client, default_client
    if client is not None:
        if not isinstance(client, Client):
            raise TypeError(f"client must be a distributed.Client or None, got "
                            f"{type(client).__name__}")
        return client
    try:
        return default_client()
    except ValueError:
        raise ValueError("no Dask client: pass client=distributed.Client(...) (or "
                         "create one first, it becomes the default)") from None


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
    try:
        return Client(address, timeout=f"{timeout}s"), None
    except (OSError, TimeoutError) as e:
        raise OSError(f"cannot reach the Dask scheduler at {address} within "
                      f"{timeout:g} s ({type(e).__name__}: {e})") from None
