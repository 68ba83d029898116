"""fastopt.minimize on Dask: minimise sum_b ``fun_block(w, *blocks_b)`` over the
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

from typing import (TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple,
                    TypeVar)

import numpy as np
import numpy.typing as npt

from fastopt.distributed._dask import get_client

if TYPE_CHECKING:
    from scipy.optimize import OptimizeResult

_T = TypeVar("_T")

__all__ = ["minimize", "BlockSum", "check_data", "persist_blocks", "tree_sum"]

METHODS = ("lbfgs", "bfgs", "cg", "newton", "proximal_gradient", "owlqn")
# w is scattered to every worker once per evaluation above this size; below,
# it travels inside each task (cheaper than a scatter's round trip)
_SCATTER_BYTES = 1 << 16


def check_data(data: Any, name: str = "data", names: Optional[Sequence[str]] = None
               ) -> Tuple[List[Any], Optional[Tuple[int, ...]]]:
    """The Dask arrays of `data` (a tuple, or one array) and their row chunks.

    Every array must be 1-D or 2-D, chunked along rows only (one chunk across
    the columns), with the same row chunks as the first one, all known.

    Parameters
    ----------
    data : dask.array.Array or tuple of dask.array.Array
        The arrays, row-aligned.
    name : str, default "data"
        The argument's name in messages (``name[i]`` for the i-th array).
    names : sequence of str, optional
        The arrays' own names in messages, used instead of ``name[i]``.

    Returns
    -------
    arrays : list of dask.array.Array
        The arrays, in order.
    rows : tuple of int
        Their common row chunk sizes.

    Raises
    ------
    TypeError
        If `data` is not a non-empty tuple of dask arrays (or one).
    ValueError
        If an array is not 1-D or 2-D, has unknown row chunk sizes, is chunked
        along the columns, or has other row chunks than the first one.
    """
    import dask.array as da

    if isinstance(data, da.Array):
        data = (data,)
    if not isinstance(data, tuple) or len(data) == 0:
        raise TypeError(f"{name} must be a non-empty tuple of dask arrays, got "
                        f"{type(data).__name__}")
    rows: Optional[Tuple[int, ...]] = None
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


def _pack(prep: Optional[Callable[..., Any]], *blocks: Any) -> Any:
    return tuple(blocks) if prep is None else prep(*blocks)


def persist_blocks(client: Any, arrays: Sequence[Any],
                   prep: Optional[Callable[..., Any]] = None) -> List[Any]:
    """One future per row block, holding the tuple of that block of each array
    (or ``prep(*blocks)`` when given), computed once on the workers.

    Parameters
    ----------
    client : distributed.Client
        The client that computes them.
    arrays : sequence of dask.array.Array
        Row-aligned arrays, as `check_data` returns them.
    prep : callable, optional
        ``prep(*blocks)`` turns one row block of each array into what the
        block functions receive; None keeps the tuple of blocks.

    Returns
    -------
    list of distributed.Future
        One per row block, in row order.
    """
    from dask.delayed import delayed

    per_array = [a.to_delayed().ravel() for a in arrays]
    nb = len(per_array[0])
    packed = [delayed(_pack, pure=True)(prep, *(p[b] for p in per_array))
              for b in range(nb)]
    futures: List[Any] = client.compute(packed)
    return futures


def tree_sum(items: List[_T], add: Callable[[_T, _T], _T]) -> _T:
    """Items combined in the fixed binary tree over their order.

    ``((i0 + i1) + (i2 + i3)) + ...``, an odd last item carried up a level:
    the same items in the same order give the same bits.

    Parameters
    ----------
    items : list
        The items, at least one.
    add : callable
        ``add(a, b)`` combines two items.

    Returns
    -------
    object
        The combination of all items.

    Raises
    ------
    ValueError
        If `items` is empty.

    Examples
    --------
    >>> from fastopt.distributed.minimize import tree_sum
    >>> tree_sum(["a", "b", "c", "d", "e"], lambda x, y: f"({x}+{y})")
    '(((a+b)+(c+d))+e)'
    """
    items = list(items)
    if not items:
        raise ValueError("nothing to sum: there are no blocks")
    while len(items) > 1:
        nxt = [add(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, tuple):
        return tuple(x + y for x, y in zip(a, b))
    return a + b


def _as_fg(out: Any, n: int) -> Tuple[float, npt.NDArray[np.float64]]:
    try:
        f, g = out
    except (TypeError, ValueError):
        raise TypeError("fun_block must return a pair (f, g)") from None
    g = np.asarray(g, dtype=np.float64)
    if g.shape != (n,):
        raise ValueError(f"fun_block's gradient must have shape ({n},), got {g.shape}")
    return float(f), g


def _call_fg(fun_block: Callable[..., Any], w: npt.NDArray[np.float64],
             block: Tuple[Any, ...]) -> Tuple[float, npt.NDArray[np.float64]]:
    return _as_fg(fun_block(w, *block), w.shape[0])


def _call_many(fn: Callable[..., _T], args: Tuple[Any, ...], *blocks: Any) -> List[_T]:
    return [fn(*args, b) for b in blocks]


def _call_hessp(hessp_block: Callable[..., Any], w: npt.NDArray[np.float64],
                v: npt.NDArray[np.float64],
                block: Tuple[Any, ...]) -> npt.NDArray[np.float64]:
    h = np.asarray(hessp_block(w, v, *block), dtype=np.float64)
    if h.shape != w.shape:
        raise ValueError(f"hessp_block must return shape {w.shape}, got {h.shape}")
    return h


class BlockSum:
    """The oracle over persisted blocks: ``oracle(w) -> (f, g)`` and
    ``oracle.hessp(w, v)``, each the sum over blocks of ``fun_block(w, *block)``
    (``hessp_block(w, v, *block)``), reduced in the fixed tree of `tree_sum`.

    Parameters
    ----------
    client : distributed.Client
    blocks : list of futures
        One per row block (persist_blocks).
    fun_block : callable
        ``fun_block(w, *block) -> (f, g)``.
    hessp_block : callable, optional
        ``hessp_block(w, v, *block) -> Hv``.
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

    def __init__(self, client: Any, blocks: List[Any], fun_block: Callable[..., Any],
                 hessp_block: Optional[Callable[..., Any]] = None,
                 reduce: str = "driver") -> None:
        if reduce not in ("tree", "driver"):
            raise ValueError(f"reduce must be 'tree' or 'driver', got {reduce!r}")
        self.client, self.blocks = client, blocks
        self.fun_block, self.hessp_block, self.reduce = fun_block, hessp_block, reduce
        self.rounds = 0
        self._groups: Optional[List[Tuple[Optional[str], List[int]]]] = None

    def _worker_groups(self) -> List[Tuple[Optional[str], List[int]]]:
        """[(worker address, [block numbers])], from where the blocks are."""
        if self._groups is None:
            from distributed import wait

            wait(self.blocks)
            who = self.client.who_has(self.blocks)
            groups: Dict[Optional[str], List[int]] = {}
            for i, b in enumerate(self.blocks):
                addrs = sorted(who.get(b.key, ()))
                groups.setdefault(addrs[0] if addrs else None, []).append(i)
            self._groups = list(groups.items())
        return self._groups

    def _ship(self, a: Any) -> Any:
        if isinstance(a, np.ndarray) and a.nbytes > _SCATTER_BYTES:
            return self.client.scatter(a, broadcast=True, hash=False)
        return a

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        c = self.client
        args = tuple(self._ship(a) for a in args)
        self.rounds += 1
        if self.reduce == "tree":
            parts: List[Any] = [c.submit(fn, *args, b, pure=False) for b in self.blocks]
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

    def __call__(self, w: npt.ArrayLike) -> Tuple[float, npt.NDArray[np.float64]]:
        w = np.ascontiguousarray(w, dtype=np.float64)
        fg: Tuple[float, npt.NDArray[np.float64]] = self._run(_call_fg, self.fun_block, w)
        return fg

    def hessp(self, w: npt.ArrayLike, v: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The sum over blocks of ``hessp_block(w, v, *block)``.

        Parameters
        ----------
        w, v : array_like of shape (n,)
            The point and the vector the Hessian multiplies.

        Returns
        -------
        ndarray of shape (n,), float64
            The Hessian of the summed objective at w times v.

        Raises
        ------
        ValueError
            If the oracle was made without `hessp_block`.
        """
        if self.hessp_block is None:
            raise ValueError("hessp needs hessp_block")
        w = np.ascontiguousarray(w, dtype=np.float64)
        v = np.ascontiguousarray(v, dtype=np.float64)
        hv: npt.NDArray[np.float64] = self._run(_call_hessp, self.hessp_block, w, v)
        return hv


def minimize(fun_block: Callable[..., Any], x0: Any, data: Any, method: str = "lbfgs",
             client: Any = None, options: Optional[Dict[str, Any]] = None,
             hessp_block: Optional[Callable[..., Any]] = None,
             callback: Optional[Callable[..., Any]] = None,
             reduce: str = "driver") -> OptimizeResult:
    """Minimise sum over row blocks of ``fun_block(w, *blocks)`` on a Dask cluster.

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
        kwargs: Dict[str, Any] = {}
        if hessp_block is not None:
            kwargs["hessp"] = oracle.hessp
        res = fastopt_minimize(oracle, x0, jac=True, method=method, callback=callback,
                               options=options, **kwargs)
    finally:
        oracle.blocks = []         # the last reference: Dask releases the blocks
    res["rounds"] = oracle.rounds
    res["n_blocks"] = n_blocks
    return res
