"""fastopt.minimize on Dask: minimise sum_b fun_block(w, *blocks_b) over the
row blocks b of Dask arrays.

The design (Spark MLlib's treeAggregate around a driver-side solver):

- The blocks are computed once and stay on the workers as futures (one per
  row block, a tuple of that block of each array); nothing else is
  materialised.  A lost worker's blocks are recomputed by Dask from their
  graph.
- fastopt.minimize's own solvers run on the driver, unchanged (same stopping
  rules, same OptimizeResult), with an oracle fun(w) -> (f, g) that does one
  round trip: one task per block, w shipped with the tasks (scattered to every
  worker once when it is large), and the partial (f, g) combined in a fixed
  binary tree over block order -- ((b0 + b1) + (b2 + b3)) + ... -- on the
  driver once they are gathered (the default) or on the workers
  (reduce="tree"), whichever worker computes what.  So the result is bitwise
  the same for any number of workers, and equals a single-process run on the
  concatenated rows to round-off (one block: the same bits).
- Tasks are pure functions of (w, block): a task lost with a worker is
  recomputed and gives the same bits.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from fastopt.distributed._dask import get_client

__all__ = ["minimize", "BlockSum", "check_data", "persist_blocks", "tree_sum"]

METHODS = ("lbfgs", "bfgs", "cg", "newton", "proximal_gradient", "owlqn")
# w is scattered to every worker once per evaluation above this size; below,
# it travels inside each task (cheaper than a scatter's round trip)
_SCATTER_BYTES = 1 << 16


def check_data(data: Any, name: str = "data", names: Optional[Sequence[str]] = None):
    """The Dask arrays of `data` (a tuple, or one array) and their row chunks.

    Every array must be 1-D or 2-D, chunked along rows only (one chunk across
    the columns), with the same row chunks as the first one, all known.
    TypeError/ValueError naming the argument: names[i] when given, else
    name[i]."""
    import dask.array as da

    if isinstance(data, da.Array):
        data = (data,)
    if not isinstance(data, tuple) or len(data) == 0:
        raise TypeError(f"{name} must be a non-empty tuple of dask arrays, got "
                        f"{type(data).__name__}")
    rows = None
    first = names[0] if names else f"{name}[0]"
    for i, a in enumerate(data):
        what = names[i] if names else f"{name}[{i}]"
        if not isinstance(a, da.Array):
            raise TypeError(f"{what} must be a dask.array.Array, got {type(a).__name__} "
                            "(dask.array.from_array / from_delayed make one)")
        if a.ndim not in (1, 2):
            raise ValueError(f"{what} must be 1-D or 2-D, got {a.ndim}-D")
        if any(np.isnan(c) for c in a.chunks[0]):
            raise ValueError(f"{what} has unknown row chunk sizes; call "
                             f"{what}.compute_chunk_sizes() first")
        if a.ndim == 2 and len(a.chunks[1]) != 1:
            raise ValueError(f"{what} must be chunked by rows only, but it has "
                             f"{len(a.chunks[1])} chunks along the columns; use "
                             f"{what}.rechunk({{1: -1}})")
        if rows is None:
            rows = a.chunks[0]
        elif a.chunks[0] != rows:
            raise ValueError(f"{what} has row chunks {a.chunks[0]}, not those of "
                             f"{first} {rows}: rechunk them alike")
    return list(data), rows


def _pack(prep, *blocks):
    return tuple(blocks) if prep is None else prep(*blocks)


def persist_blocks(client, arrays: Sequence[Any], prep: Optional[Callable] = None) -> list:
    """One future per row block, holding the tuple of that block of each array
    (or prep(*blocks) when given), computed once on the workers."""
    import dask

    per_array = [a.to_delayed().ravel() for a in arrays]
    nb = len(per_array[0])
    packed = [dask.delayed(_pack, pure=True)(prep, *(p[b] for p in per_array))
              for b in range(nb)]
    return client.compute(packed)


def tree_sum(items: List[Any], add: Callable[[Any, Any], Any]):
    """items combined in the fixed binary tree over their order:
    ((i0 + i1) + (i2 + i3)) + ..., an odd last item carried up a level."""
    items = list(items)
    if not items:
        raise ValueError("nothing to sum: there are no blocks")
    while len(items) > 1:
        nxt = [add(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]


def _add(a, b):
    if isinstance(a, tuple):
        return tuple(x + y for x, y in zip(a, b))
    return a + b


def _as_fg(out, n):
    try:
        f, g = out
    except (TypeError, ValueError):
        raise TypeError("fun_block must return a pair (f, g)") from None
    g = np.asarray(g, dtype=np.float64)
    if g.shape != (n,):
        raise ValueError(f"fun_block's gradient must have shape ({n},), got {g.shape}")
    return float(f), g


def _call_fg(fun_block, w, block):
    return _as_fg(fun_block(w, *block), w.shape[0])


def _call_many(fn, args, *blocks):
    return [fn(*args, b) for b in blocks]


def _call_hessp(hessp_block, w, v, block):
    h = np.asarray(hessp_block(w, v, *block), dtype=np.float64)
    if h.shape != w.shape:
        raise ValueError(f"hessp_block must return shape {w.shape}, got {h.shape}")
    return h


class BlockSum:
    """The oracle over persisted blocks: ``oracle(w) -> (f, g)`` and
    ``oracle.hessp(w, v)``, each the sum over blocks of fun_block(w, *block)
    (hessp_block(w, v, *block)), reduced in the fixed tree of `tree_sum`.

    Parameters
    ----------
    client : distributed.Client
    blocks : list of futures
        One per row block (persist_blocks).
    fun_block : callable
        fun_block(w, *block) -> (f, g).
    hessp_block : callable, optional
        hessp_block(w, v, *block) -> Hv.
    reduce : {"driver", "tree"}
        "driver" (the default): one task per worker, over the blocks that
        worker held when the oracle was first called, returning each block's
        partial; the driver gathers them and runs the tree.  "tree": one task
        per block, and the tree's additions as tasks on the workers (Spark's
        treeAggregate: less traffic into the driver for a large w).  The same
        per-block partials and the same tree either way, so the same bits;
        "driver" makes fewer tasks per round, which is what a round costs on
        a LocalCluster (bench/README.md).  A task pinned to a worker that
        died runs elsewhere (allow_other_workers) on recomputed blocks.
    """

    def __init__(self, client, blocks: list, fun_block: Callable,
                 hessp_block: Optional[Callable] = None, reduce: str = "driver"):
        if reduce not in ("tree", "driver"):
            raise ValueError(f"reduce must be 'tree' or 'driver', got {reduce!r}")
        self.client, self.blocks = client, blocks
        self.fun_block, self.hessp_block, self.reduce = fun_block, hessp_block, reduce
        self.rounds = 0
        self._groups = None

    def _worker_groups(self):
        """[(worker address, [block numbers])], from where the blocks are."""
        if self._groups is None:
            from distributed import wait

            wait(self.blocks)
            who = self.client.who_has(self.blocks)
            groups = {}
            for i, b in enumerate(self.blocks):
                addrs = sorted(who.get(b.key, ()))
                groups.setdefault(addrs[0] if addrs else None, []).append(i)
            self._groups = list(groups.items())
        return self._groups

    def _ship(self, a):
        if isinstance(a, np.ndarray) and a.nbytes > _SCATTER_BYTES:
            return self.client.scatter(a, broadcast=True, hash=False)
        return a

    def _run(self, fn, *args):
        c = self.client
        args = tuple(self._ship(a) for a in args)
        self.rounds += 1
        if self.reduce == "tree":
            parts = [c.submit(fn, *args, b, pure=False) for b in self.blocks]
            return tree_sum(parts, lambda a, b: c.submit(_add, a, b, pure=False)).result()
        groups = self._worker_groups()
        futs = [c.submit(_call_many, fn, args, *(self.blocks[i] for i in idx),
                         workers=None if addr is None else [addr],
                         allow_other_workers=True, pure=False) for addr, idx in groups]
        parts = [None] * len(self.blocks)
        for (_, idx), res in zip(groups, c.gather(futs)):
            for i, r in zip(idx, res):
                parts[i] = r
        return tree_sum(parts, _add)

    def __call__(self, w):
        w = np.ascontiguousarray(w, dtype=np.float64)
        return self._run(_call_fg, self.fun_block, w)

    def hessp(self, w, v):
        if self.hessp_block is None:
            raise ValueError("hessp needs hessp_block")
        w = np.ascontiguousarray(w, dtype=np.float64)
        v = np.ascontiguousarray(v, dtype=np.float64)
        return self._run(_call_hessp, self.hessp_block, w, v)


def minimize(fun_block: Callable, x0: Any, data: Any, method: str = "lbfgs",
             client: Any = None, options: Optional[dict] = None,
             hessp_block: Optional[Callable] = None, callback: Optional[Callable] = None,
             reduce: str = "driver"):
    """Minimise sum over row blocks of fun_block(w, *blocks) on a Dask cluster.

    Parameters
    ----------
    fun_block : callable
        ``fun_block(w, *blocks) -> (f, g)`` for one block of rows: `blocks`
        holds that block of each array of `data` (ndarray or scipy.sparse
        blocks, as the arrays hold them).  Must be a pure function (Dask may
        run it twice) and picklable.
    x0 : array_like of shape (n,)
    data : tuple of dask arrays
        Chunked by rows only, all with the same row chunks.
    method : {"lbfgs", "bfgs", "cg", "newton", "proximal_gradient", "owlqn"}
        fastopt.minimize's solver; its options go in `options` (e.g. owlqn's
        l1, proximal_gradient's prox).
    client : distributed.Client, optional
        Default: the current client (distributed.get_client()).
    options : dict, optional
        The method's options, as for fastopt.minimize.
    hessp_block : callable, optional
        ``hessp_block(w, v, *blocks) -> H v`` for newton (truncated Newton-CG);
        without it newton differences gradients.
    callback : callable, optional
        As for fastopt.minimize.
    reduce : {"driver", "tree"}
        Where the fixed tree of partial sums is added up (BlockSum).

    Returns
    -------
    scipy.optimize.OptimizeResult
        As fastopt.minimize, plus ``rounds`` (evaluations on the cluster) and
        ``n_blocks``.

    Raises
    ------
    TypeError, ValueError
        A bad argument, named (data not row-chunked, mismatched chunks, an
        unknown method, x0 of the wrong shape for fun_block's gradient).

    Examples
    --------
    >>> import dask.array as da, numpy as np, fastopt.glm
    >>> from distributed import Client
    >>> from fastopt.distributed import minimize
    >>> client = Client(processes=False)                   # doctest: +SKIP
    >>> X = da.random.random((10000, 5), chunks=(2500, 5))
    >>> y = (X.sum(axis=1) > 2.5).astype(float)
    >>> fb = lambda w, Xb, yb: fastopt.glm.loss_grad(w, Xb, yb, "logistic")
    >>> res = minimize(fb, np.zeros(5), (X, y), method="lbfgs")  # doctest: +SKIP
    """
    from fastopt.minimize import minimize as fastopt_minimize

    if not callable(fun_block):
        raise TypeError(f"fun_block must be callable, got {fun_block!r}")
    if hessp_block is not None and not callable(hessp_block):
        raise TypeError(f"hessp_block must be callable or None, got {hessp_block!r}")
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    method = method.lower()
    if hessp_block is not None and method != "newton":
        raise ValueError(f"hessp_block is used by method='newton' only, not {method!r}")
    arrays, _ = check_data(data)
    client = get_client(client)
    oracle = BlockSum(client, persist_blocks(client, arrays), fun_block, hessp_block,
                      reduce=reduce)
    n_blocks = len(oracle.blocks)
    try:
        kwargs = {}
        if hessp_block is not None:
            kwargs["hessp"] = oracle.hessp
        res = fastopt_minimize(oracle, x0, jac=True, method=method, callback=callback,
                               options=options, **kwargs)
    finally:
        oracle.blocks = None       # the last reference: Dask releases the blocks
    res["rounds"] = oracle.rounds
    res["n_blocks"] = n_blocks
    return res
