"""Online learning on Dask distributed: FTRL-Proximal and l1-RDA in rounds.

Design.  The data are split into partitions (a group of libsvm or VW text
files, or one row chunk of a Dask array).  Each partition is parsed once, by
fastopt's C parsers, in a task that runs on a worker; its result (CSR
arrays, labels, VW importance weights, namespaces and initial predictions,
held-out rows) stays there, and is recomputed from the file by Dask if that
worker is lost.  Then, round after round, every partition that still has rows
trains from the current global state on its next ``sync_rows`` rows -- with
the estimator's own C per-example loop (``OnlineModel.fit``, the loop of
``estimator.fit``), on a compact copy of the coordinates those rows touch --
and returns a sparse delta: the touched coordinates' new state.  A round task
is a pure function of (global state, partition, round): nothing lives only on
a worker, so a lost task is recomputed and gives the same delta.

The driver merges the deltas in partition order (whatever order they arrive
in), so the model depends on the partitioning and sync_rows only -- not on the
number of workers or on timing.  It keeps the global state; a round task is
sent only the state rows of the coordinates its rows touch (which a small
task computes on the worker one round ahead), so a round moves about
touched coordinates x (24 B out + 32 B back) per partition, whatever the
model's size.  (A model with interactions -- crossed features hashed over
all the columns -- gets the whole state instead, one scatter a round.)  A
coordinate touched by one partition in a round takes that partition's state
as it is, so one partition gives ``estimator.fit``'s model
bit for bit (``old + (new - old)`` is not ``new`` in floating point).  Where
several partitions touched coordinate i, with old the state before the round
and p = 1..k the partitions that touched it:

merge="sum" (parameter-server semantics; FTRL and RDA):
    FTRL:  z_i = z_i^old + sum_p (z_i^p - z_i^old),  n_i likewise,
           w_i = the FTRL weight of (z_i, n_i) (the C rule);
    RDA:   G_i = G_i^old + sum_p (G_i^p - G_i^old);
    and t = t^old + sum_p (t^p - t^old): the examples seen by all.
merge="average" (Agarwal et al. 2014, VW's AllReduce; FTRL only -- RDA keeps
no squared-gradient sums):
    with a_i^p = n_i^p - n_i^old, partition p's squared-gradient sum,
    w_i = sum_p a_i^p w_i^p / sum_p a_i^p;  n_i = n_i^old + sum_p a_i^p;
    z_i is set so that the FTRL rule gives back w_i from (z_i, n_i):
    z_i = -w_i ((beta + sqrt(n_i)) / alpha + l2) - sign(w_i) l1 (l1 = l2 = 0 for
    the intercept) where w_i != 0, and where w_i = 0 the averaged
    sum_p a_i^p z_i^p / sum_p a_i^p clipped to [-l1, l1] (so that a feature
    on its way to the l1 threshold keeps its progress); w_i is then
    recomputed from (z_i, n_i) by the C rule.  A coordinate one partition
    touched keeps that partition's state, as with "sum".

The FTRL weight of merged coordinates is recomputed by the C loop itself: one
example over those coordinates with importance weight 0 has gradient 0, so
the rule leaves (z, n) as they are and writes w from them -- no second copy of
the rule in Python.
"""
from __future__ import annotations

import glob
import numbers
import os
import sys
import time
import uuid
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple,
                    TypedDict, Union)

import numpy as np
import numpy.typing as npt

from fastopt import _kernels
from fastopt.distributed._dask import get_client

if TYPE_CHECKING:
    import argparse
    from typing import TypeAlias

    from fastopt.online._base import Estimator, OnlineLinearModel

__all__ = ["fit"]

_MERGES = ("sum", "average")

_F64 = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.integer[Any]]
# a loaded partition ("train", "held": _Rows or None, and counts), or its
# facts for the driver
_Part = Dict[str, Any]
# a partition's rows: (CSR X, labels, importance weights or None, each
# entry's namespace byte or None, VW initial predictions or None)
_Rows = Tuple[Any, _F64, Optional[_F64], Optional[npt.NDArray[np.uint8]], Optional[_F64]]
# an estimator of fastopt.online (what a model file holds)
_Estimator: "TypeAlias" = "Estimator"


class _RoundResult(TypedDict, total=False):
    """What a round task returns (idx: the coordinates of rows, set by the
    driver when it sent the compact rows)."""
    t: int
    loss: float
    n: int
    seconds: float
    weight: float
    weight_used: float
    idx: _Ints
    rows: _F64


# -- tasks (run on the workers; pure functions of their arguments) ---------------

def _load_files(paths: List[str], opts: Dict[str, Any]) -> _Part:
    """Parse one partition's files (libsvm or VW text, as opts["format"]
    says; "auto": each file's first line tells) with the C parsers of
    fastopt.vw.VWReader, as `fastopt train` reads them: the training rows
    and the held-out rows, each (CSR X, labels, importance weights or None,
    namespaces of X's entries or None, VW initial predictions or None),
    with the counts.  Row r of a file is held out as `fastopt train
    --holdout` holds it out (rows numbered from 0 in each file)."""
    from fastopt.cli_online import _held_out, _mask_block
    from fastopt.vw import VWReader
    train: List[_Rows] = []
    held: List[_Rows] = []
    bad, first_bad, rows_per_file = 0, None, []
    fmt: Optional[str] = None
    fmt_path = ""
    for path in paths:
        reader = VWReader(path, opts["bits"], fmt=opts["format"],
                          n_features=opts["n_features"], hash=opts["hash"],
                          chunk_bytes=opts["chunk_bytes"],
                          skip_bad_lines=opts["skip_bad_lines"], binary=opts["binary"],
                          max_line_bytes=opts["max_line_bytes"], constant=opts["constant"],
                          hash_all=opts["hash_all"], hash_seed=opts["hash_seed"],
                          extras=True)
        row = 0
        try:
            for X, y, w, ns, _line, extras in reader:
                if fmt is None:
                    fmt, fmt_path = reader.fmt, path
                elif reader.fmt != fmt:
                    raise ValueError(f"{path}: {reader.fmt} text, but {fmt_path} is "
                                     f"{fmt}: the files of one fit share one format")
                base = extras.initial if np.any(extras.initial) else None
                block: _Rows = (X, y, w, ns, base)
                mask = _held_out(row, X.shape[0], opts["holdout"])
                row += X.shape[0]
                if mask is None:
                    train.append(block)
                    continue
                if mask.any():
                    held.append(_mask_block(block, mask))
                if not mask.all():
                    train.append(_mask_block(block, ~mask))
        except OSError as e:
            raise OSError(f"{path}: cannot read it on worker: "
                          f"{e.strerror or e}") from None
        except EOFError as e:
            raise ValueError(f"{path}: {e}") from None
        bad += reader.bad_lines
        if first_bad is None:
            first_bad = reader.first_bad_line
        rows_per_file.append(row)
    return dict(train=_stack(train), held=_stack(held), bad_lines=bad,
                first_bad_line=first_bad, rows_per_file=rows_per_file, format=fmt)


def _stack(blocks: List[_Rows]) -> Optional[_Rows]:
    """The blocks' rows as one (X, y, w, ns, base); w, ns: None when the
    blocks have none (libsvm); base: None when no row has one (else 0 for
    the rows without)."""
    import scipy.sparse as sp
    if not blocks:
        return None
    X = sp.vstack([b[0] for b in blocks], format="csr")
    y = np.concatenate([b[1] for b in blocks])
    w = None if blocks[0][2] is None else np.concatenate([b[2] for b in blocks])
    ns = None if blocks[0][3] is None else np.concatenate([b[3] for b in blocks])
    base = None
    if any(b[4] is not None for b in blocks):
        base = np.concatenate([np.zeros(b[0].shape[0]) if b[4] is None else b[4]
                               for b in blocks])
    return X, y, w, ns, base


def _load_block(X: Any, y: Any, proto: _Estimator,
                labels: Optional[npt.NDArray[Any]]) -> _Part:
    """One row chunk of a Dask array pair as a partition (X checked as
    estimator.fit checks it, y encoded against the classes)."""
    import scipy.sparse as sp
    from fastopt.online._base import csr_arrays
    indptr, indices, data, shape = csr_arrays(X, None, type(proto).__name__)
    y01, _ = proto._encode_y(y, labels, labels)
    proto._check_rows(shape, y01)
    Xc = sp.csr_matrix((data, indices, indptr), shape=shape, copy=False)
    return dict(train=(Xc, y01, None, None, None), held=None, bad_lines=0,
                first_bad_line=None, rows_per_file=[shape[0]], format=None)


def _partition_meta(part: _Part) -> Dict[str, Any]:
    """The small facts about a loaded partition that the driver needs."""
    tr = part["train"]
    return dict(rows=0 if tr is None else tr[0].shape[0],
                held=0 if part["held"] is None else part["held"][0].shape[0],
                bad_lines=part["bad_lines"], first_bad_line=part["first_bad_line"],
                rows_per_file=part["rows_per_file"], format=part["format"],
                n_features=None if tr is None else tr[0].shape[1])


def _model(proto: _Estimator, state: _F64, t: int) -> Tuple[Any, Dict[str, Any]]:
    cfg = proto._check_params()
    return proto._bind(cfg, dict(state=state, t=t))["_model"], cfg


_DENSE_LIMIT = 1 << 26   # below this many features: bitmaps and lookup tables


def _sorted_unique(indices: _Ints, d: int) -> _Ints:
    """The distinct values of `indices` (all in [0, d)), sorted, as int64:
    through a bitmap of d bytes when d is moderate (O(nnz + d), much faster
    than np.unique's sort or hash on millions of entries)."""
    if d > _DENSE_LIMIT:
        return np.unique(indices).astype(np.int64)
    mark = np.zeros(d, dtype=bool)
    mark[indices] = True
    return np.flatnonzero(mark)


def _renumber(indices: _Ints, touched: _Ints, d: int) -> _Ints:
    """Each entry of `indices` as its position in `touched` (sorted, holding
    every value of indices), in indices' dtype."""
    if d > _DENSE_LIMIT:
        return np.searchsorted(touched, indices).astype(indices.dtype)
    table = np.empty(d, dtype=indices.dtype)
    table[touched] = np.arange(touched.shape[0], dtype=indices.dtype)
    return table[indices]


def _touched(part: _Part, start: int, stop: int) -> _Ints:
    """The coordinates rows [start, stop) of a partition touch (sorted)."""
    X = part["train"][0]
    return _sorted_unique(X.indices[X.indptr[start]:X.indptr[stop]], X.shape[1])


def _train_round(proto: _Estimator, state: _F64, t: int, part: _Part, start: int, stop: int,
                 loss0: float, name: str, vw_squared: bool = False) -> _RoundResult:
    """Train on rows [start, stop) of a partition from the global model;
    returns the new state rows, the new t and the partition's running loss
    sum.  `state` (not modified): without interactions the compact rows of
    the coordinates these rows touch (_touched's order, the intercept
    last) -- each coordinate's arithmetic is that of the full model, the
    indices renumbered 0..m-1; with interactions (crossed features are
    hashed over all the columns) the whole state, and the rows that changed
    come back with their coordinates.  The rows' importance weights (VW
    text), doubled with `vw_squared` as `fastopt train --loss squared`
    trains (cli_online._vw_gradient_weights), and their VW initial
    predictions go to the C loop as estimator.partial_fit passes them."""
    from fastopt.cli_online import _vw_gradient_weights
    t0 = time.perf_counter()
    X, y, w, ns_all, base = part["train"]
    lo, hi = X.indptr[start], X.indptr[stop]
    X = X[start:stop]
    y = y[start:stop]
    w = None if w is None else w[start:stop]
    sw = _vw_gradient_weights("squared", w, stop - start) if vw_squared else w
    base = None if base is None else base[start:stop]
    model0, cfg = _model(proto, state, t)
    local = state.copy()
    model, _ = _model(proto, local, t)
    if model0.crossed:
        ns = proto._namespaces(model, cfg, state.shape[0] - 1, X.indices, X,
                               None if ns_all is None else ns_all[lo:hi])
        indices = X.indices
    else:
        touched = _sorted_unique(X.indices, X.shape[1])
        if touched.shape[0] + 1 != state.shape[0]:
            raise ValueError(f"{name}: {state.shape[0] - 1} coordinates sent for rows "
                             f"touching {touched.shape[0]}")
        ns = None
        indices = _renumber(X.indices, touched, X.shape[1])
    rc, loss, bad = model.fit(X.indptr, indices, X.data, y, None, 1, loss0, ns, sw,
                              None, base)
    if rc == _kernels.STATUS_DIVERGED:
        raise FloatingPointError(f"{name}: the model diverged at its row "
                                 f"{start + bad} (lower alpha or raise beta / l2)")
    if rc != _kernels.STATUS_OK:
        raise ValueError(f"{name}: online kernel failed with status {rc} at its row "
                         f"{start + bad}")
    out: _RoundResult = dict(
        t=model.t, loss=loss, n=stop - start, seconds=time.perf_counter() - t0,
        weight=float(stop - start) if w is None else float(np.sum(w)),
        weight_used=float(stop - start) if sw is None else float(np.sum(sw)))
    if model0.crossed:
        out["idx"] = np.flatnonzero(np.any(local != state, axis=1))
        out["rows"] = local[out["idx"]]
    else:
        out["rows"] = local
    return out


def _holdout_loss(proto: _Estimator, state: _F64, t: int, part: _Part, loss_name: str,
                  tau: float) -> Tuple[float, float]:
    """(loss sum, weight sum) of a partition's held-out rows under the
    model, each row weighted by its importance weight (1 without), as
    `fastopt train --holdout` weighs them."""
    from fastopt.cli_online import _loss_sum
    if part["held"] is None:
        return 0.0, 0.0
    X, y, w, ns, base = part["held"]
    est = type(proto)(**proto.get_params())
    cfg = est._check_params()
    est.__dict__.update(est._bind(cfg, dict(state=state, t=t)))
    est.n_features_in_ = state.shape[0] - 1
    est._diverged = False
    return (_loss_sum(loss_name, tau, est._margin(X, ns, base), y, w),
            float(X.shape[0]) if w is None else float(np.sum(w)))


# -- the driver -----------------------------------------------------------------

def _files(source: Union[str, os.PathLike[str], Sequence[Any]]) -> List[str]:
    """The sorted files of a glob, or a list of paths as given."""
    if isinstance(source, (str, os.PathLike)):
        pattern = os.fspath(source)
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not paths:
            raise ValueError(f"source {pattern!r}: no file matches")
        return paths
    paths = [os.fspath(p) for p in source]
    if not paths:
        raise ValueError("source: an empty list of files")
    return paths


def _check_int(name: str, v: Any, low: int) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < low:
        raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
    return int(v)


def _merge_into(state: _F64, t: int, results: List[_RoundResult], merge: str,
                proto: _Estimator, cfg: Dict[str, Any]) -> int:
    """Merge the round's deltas (in partition order) into state (in place);
    returns the new t.  See the module's docstring for the formulas."""
    if len(results) == 1:
        r = results[0]
        state[r["idx"]] = r["rows"]
        return r["t"]
    ftrl = proto._algorithm == _kernels.ONLINE_FTRL
    # how many partitions touched each coordinate (a partition's idx are distinct)
    counts = np.bincount(np.concatenate([r["idx"] for r in results]),
                         minlength=state.shape[0])
    shared = np.flatnonzero(counts > 1)
    old = state[shared]                     # a copy: fancy indexing
    acc = old.copy()
    add = slice(1, 3) if ftrl else slice(0, 1)   # FTRL's (n, z); RDA's G
    if merge == "average":
        a_sum = np.zeros(shared.shape[0])
        aw_sum = np.zeros(shared.shape[0])
        az_sum = np.zeros(shared.shape[0])
    for r in results:
        idx, rows = r["idx"], r["rows"]
        one = counts[idx] == 1
        state[idx[one]] = rows[one]
        pos = np.searchsorted(shared, idx[~one])
        mine = rows[~one]
        acc[pos, add] += mine[:, add] - old[pos, add]
        if merge == "average":
            a = mine[:, 1] - old[pos, 1]
            a_sum[pos] += a
            aw_sum[pos] += a * mine[:, 0]
            az_sum[pos] += a * mine[:, 2]
    if merge == "average":
        d = state.shape[0] - 1
        avg = a_sum > 0                 # else: no gradient anywhere, keep the sum
        w = aw_sum[avg] / a_sum[avg]
        n = acc[avg, 1]
        intercept = shared[avg] == d
        l1 = np.where(intercept, 0.0, cfg["l1"])
        l2 = np.where(intercept, 0.0, cfg["l2"])
        z_avg = az_sum[avg] / a_sum[avg]
        acc[avg, 2] = np.where(
            w != 0.0, -w * ((cfg["beta"] + np.sqrt(n)) / cfg["alpha"] + l2) - np.sign(w) * l1,
            np.clip(z_avg, -l1, l1))
    if ftrl and shared.shape[0]:
        _refresh_ftrl_weights(proto, acc, shared, state.shape[0] - 1)
    state[shared] = acc
    return t + sum(r["t"] - t for r in results)


def _refresh_ftrl_weights(proto: _Estimator, rows: _F64, idx: _Ints, d: int) -> None:
    """Recompute w (column 0) of FTRL state rows from their (n, z) with the
    C rule: one example of importance weight 0 over them (gradient 0 leaves
    n and z as they are).  idx: the rows' coordinates (d: the intercept)."""
    is_b = idx == d
    feats = np.flatnonzero(~is_b)
    local = np.zeros((feats.shape[0] + 1, 3))
    local[:-1] = rows[feats]
    if is_b.any():
        local[-1] = rows[is_b][0]
    plain = type(proto)(**dict(proto.get_params(), interactions=None, fields=None))
    model, _ = _model(plain, local, 0)     # the same rule, no crossed features
    m = feats.shape[0]
    rc, _, _ = model.fit(np.array([0, m], np.int64), np.arange(m, dtype=np.int64),
                         np.ones(m), np.zeros(1), None, 1, 0.0, None, np.zeros(1))
    if rc != _kernels.STATUS_OK:
        raise FloatingPointError("the merged model is not finite (lower alpha or "
                                 "raise beta / l2)")
    rows[feats, 0] = local[:-1, 0]
    if is_b.any():
        rows[is_b, 0] = local[-1, 0]


def auto_sync_rows(merge: str, n_partitions: int) -> int:
    """fit's sync_rows="auto": rows per partition between merges.

    Parameters
    ----------
    merge : {"sum", "average"}
        The merge rule.
    n_partitions : int
        The number of partitions, k.

    Returns
    -------
    int
        ``max(1, 8000 // k)`` for "sum" (k x sync_rows <= 8000: the rows
        trained on the same stale weights per round, within which the sweep
        in bench/README.md stays at single-process quality), 100,000 for
        "average" (fewer rounds are better there).
    """
    return max(1, 8000 // max(1, n_partitions)) if merge == "sum" else 100_000


def fit(estimator: "OnlineLinearModel",
        source: Union[str, "os.PathLike[str]", Sequence[str], Tuple[Any, Any]],
        client: Optional[Any] = None, *, sync_rows: Union[int, str] = "auto",
        merge: str = "sum",
        passes: int = 1, n_partitions: Optional[int] = None, n_features: int = 2**20,
        hash: bool = False, holdout: Optional[float] = None,
        skip_bad_lines: bool = False, max_line_bytes: int = 64 << 20,
        chunk_bytes: int = 8 << 20, format: str = "auto", bits: Optional[int] = None,
        hash_all: bool = False, hash_seed: int = 0, constant: bool = False,
        progress: Optional[Callable[[str], None]] = None) -> "OnlineLinearModel":
    """Train an online learner on a Dask cluster, in rounds; return it fitted.

    Every partition of the data trains, from the current global model, on its
    next `sync_rows` rows with the estimator's C per-example loop; the
    driver merges the partitions' sparse deltas in partition order (the
    module's docstring has the formulas) and sends each partition the new
    state of the coordinates it touches next.  The
    result is a plain single-machine estimator (predict, save, ``fastopt
    predict``), equal bit for bit to ``estimator.fit`` on the same rows when
    there is one partition, and for a given partitioning and sync_rows
    independent of the number of workers and of timing.

    Parameters
    ----------
    estimator : FTRLClassifier, FTRLRegressor or RDAClassifier
        Its parameters are used (n_epochs must be 1 and shuffle False: use
        `passes`); it is fitted in place and returned.
    source : str, list of str, or (dask.array.Array, dask.array.Array)
        A glob or a list of libsvm or Vowpal Wabbit text files (plain or
        gzip), each parsed on a worker by fastopt's C parsers (the workers
        must see the paths: a shared file system); or (X, y) Dask arrays
        chunked by rows only (X's blocks dense or scipy.sparse), one
        partition per row chunk.
    client : distributed.Client, optional
        Default: the current default client.
    sync_rows : int or "auto"
        Rows each partition trains on between merges.  "auto" (the
        default): ``max(1, 8000 // k)`` for k partitions with merge="sum",
        100,000 with merge="average".  Measured (bench/README.md, 8
        partitions): "sum" stays within 0.002 of single-process holdout
        logloss while k x sync_rows is at most about 8,000 and diverges
        far above it; "average" is stable but 0.01-0.03 behind and gets
        worse with more rounds.  Larger values mean fewer rounds (faster);
        the README's cost model has the trade-off.
    merge : {"sum", "average"}
        "sum": FTRL's (z, n) and RDA's gradient sums add up; "average":
        weights averaged per coordinate, weighted by each partition's
        squared-gradient sums (FTRL only).
    passes : int
        Passes over each partition (a round never spans two passes).
    n_partitions : int, optional
        Files: how many partitions to group the files into (consecutive
        files, in order; default one per file, at most one per file).
    n_features, hash, holdout, skip_bad_lines, max_line_bytes, chunk_bytes
        Files only, as ``fastopt train``: ids must be below n_features (or
        with hash are folded into range); a fraction `holdout` of each file's
        rows (the CLI's rule) is held out and its loss reported; a malformed
        line raises ``ValueError("FILE:LINE: reason")`` or with
        skip_bad_lines is skipped and counted.
    format : {"auto", "libsvm", "vw"}
        Files: their format; "auto" (the default): each file's first line
        that is neither blank nor a '#' comment tells (VW's has a '|'), as
        `fastopt train` detects it.  All the files must share one format.
        VW rows carry what single-process training uses: their namespaces
        (for the estimator's `interactions`), importance weights
        (``sample_weight``) and initial predictions (``base_margin``);
        tags are read and ignored.
    bits : int, optional
        VW text: feature names hash into 2**bits columns (VW's ``-b``);
        default: the estimator's `bits`.
    hash_all, hash_seed : bool, int
        VW text: VW's ``--hash all`` and ``--hash_seed``.
    constant : bool
        VW text: append VW's constant feature to every row, as `fastopt
        train` does (with an estimator of ``fit_intercept=False``, so that
        the bias is hashed and regularised as VW's).
    progress : callable, optional
        Called with a line of text (rows, rows/s over all workers,
        progressive loss) after every round.

    Returns
    -------
    estimator
        Fitted, with ``distributed_info_``: a dict of the partitions, their
        training and held-out row counts, bad lines, rounds, seconds of the
        rounds (and their median per round; task_seconds: the round tasks'
        own time, summed over partitions), workers, and the holdout loss
        (files with holdout).

    Raises
    ------
    ValueError
        A bad argument, a malformed line (FILE:LINE), no rows to train on,
        files of different formats.
    OSError
        A file a worker cannot read (named).
    FloatingPointError
        The model diverged.

    Examples
    --------
    >>> from distributed import Client, LocalCluster      # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=4, threads_per_worker=1))  # doctest: +SKIP
    >>> est = fastopt.distributed.fit(FTRLClassifier(alpha=0.05, l1=1.0),  # doctest: +SKIP
    ...                               "clicks/part-*.svm.gz", sync_rows=50_000,
    ...                               n_features=2**24, hash=True, holdout=0.05)
    >>> est.distributed_info_["holdout_loss"], est.predict_proba(X)  # doctest: +SKIP
    >>> vw = fastopt.distributed.fit(                              # doctest: +SKIP
    ...     FTRLClassifier(interactions=["ab"], fit_intercept=False),
    ...     "clicks/part-*.vw.gz", format="vw", bits=22, constant=True)
    """
    return _fit(estimator, source, client, sync_rows=sync_rows, merge=merge, passes=passes,
                n_partitions=n_partitions, n_features=n_features, hash=hash,
                holdout=holdout, skip_bad_lines=skip_bad_lines,
                max_line_bytes=max_line_bytes, chunk_bytes=chunk_bytes, format=format,
                bits=bits, hash_all=hash_all, hash_seed=hash_seed, constant=constant,
                progress=progress)


def _fit(estimator: "OnlineLinearModel",
         source: Union[str, "os.PathLike[str]", Sequence[str], Tuple[Any, Any]],
         client: Optional[Any], *, sync_rows: Union[int, str], merge: str, passes: int,
         n_partitions: Optional[int], n_features: int, hash: bool,
         holdout: Optional[float], skip_bad_lines: bool, max_line_bytes: int,
         chunk_bytes: int, format: str, bits: Optional[int], hash_all: bool,
         hash_seed: int, constant: bool, progress: Optional[Callable[[str], None]],
         vw_squared: bool = False) -> "OnlineLinearModel":
    """fit; vw_squared: train as `fastopt train --loss squared` does, each
    row's importance weight doubled (VW's squared-loss gradient)."""
    from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier
    if not isinstance(estimator, (FTRLClassifier, FTRLRegressor, RDAClassifier)):
        raise TypeError("estimator must be a fastopt.online FTRLClassifier, "
                        f"FTRLRegressor or RDAClassifier, got {type(estimator).__name__}")
    proto: _Estimator = type(estimator)(**estimator.get_params())
    cfg = proto._check_params()
    if cfg["n_epochs"] != 1 or proto.shuffle:
        raise ValueError("estimator: n_epochs must be 1 and shuffle False for a "
                         "distributed fit (rows are read in order; use passes=)")
    if getattr(proto, "class_weight", None) is not None:
        raise ValueError("estimator: class_weight is not supported by "
                         "fastopt.distributed.fit")
    if not (isinstance(sync_rows, str) and sync_rows == "auto"):
        sync_rows = _check_int("sync_rows", sync_rows, 1)
    passes = _check_int("passes", passes, 1)
    if merge not in _MERGES:
        raise ValueError(f"merge must be one of {list(_MERGES)}, got {merge!r}")
    if merge == "average" and proto._algorithm != _kernels.ONLINE_FTRL:
        raise ValueError("merge='average' weighs partitions by their squared-gradient "
                         "sums, which RDA does not keep: use merge='sum'")
    if holdout is not None and not (isinstance(holdout, numbers.Real)
                                    and 0.0 < holdout < 1.0):
        raise ValueError(f"holdout must be None or a fraction in (0, 1), got {holdout!r}")
    if format not in ("auto", "libsvm", "vw"):
        raise ValueError(f"format must be 'auto', 'libsvm' or 'vw', got {format!r}")
    from fastopt.vw import _check_bits, _check_seed
    bits = _check_bits(proto.bits if bits is None else bits)
    hash_seed = _check_seed(hash_seed)
    client = get_client(client)
    labels = None
    tag = uuid.uuid4().hex[:12]

    if isinstance(source, tuple) and len(source) == 2 and hasattr(source[0], "to_delayed"):
        given = [k for k, v in (("n_partitions", n_partitions), ("hash", hash),
                                ("holdout", holdout), ("skip_bad_lines", skip_bad_lines),
                                ("format", None if format == "auto" else format),
                                ("hash_all", hash_all), ("hash_seed", hash_seed),
                                ("constant", constant))
                 if v not in (None, False, 0)]
        if given:
            raise ValueError(f"{', '.join(given)}: for files; Dask arrays give one "
                             "partition per row chunk (rechunk them to change it)")
        parts, names, labels = _array_partitions(client, proto, source)
    else:
        if isinstance(source, tuple):
            raise TypeError("source must be a glob, a list of files or a pair (X, y) "
                            "of dask arrays")
        paths = _files(source)
        k = len(paths) if n_partitions is None else _check_int("n_partitions",
                                                               n_partitions, 1)
        if k > len(paths):
            raise ValueError(f"n_partitions={k} is more than the {len(paths)} file(s); "
                             "a file is read whole by one partition")
        groups = [list(g) for g in np.array_split(np.array(paths, dtype=object), k)]
        n_features = _check_int("n_features", n_features, 1)
        opts = dict(n_features=n_features, hash=bool(hash),
                    skip_bad_lines=bool(skip_bad_lines), holdout=holdout,
                    binary=proto._is_classifier, max_line_bytes=max_line_bytes,
                    chunk_bytes=chunk_bytes, format=format, bits=bits,
                    hash_all=bool(hash_all), hash_seed=hash_seed, constant=bool(constant))
        parts = [client.submit(_load_files, g, opts, key=f"fastopt-load-{tag}-{p}",
                               pure=False) for p, g in enumerate(groups)]
        names = [g[0] if len(g) == 1 else f"{g[0]} .. {g[-1]}" for g in groups]
        if proto._is_classifier:
            labels = np.unique(np.asarray([0, 1]))
    rows_per_round = (auto_sync_rows(merge, len(parts)) if sync_rows == "auto"
                      else int(sync_rows))
    metas = client.gather([client.submit(_partition_meta, f, pure=False) for f in parts])
    rows = [m["rows"] for m in metas]
    if sum(rows) == 0:
        raise ValueError(f"{names[0] if len(names) == 1 else 'source'}: no examples "
                         "to train on" + (" (all held out)" if any(m["held"] for m in metas)
                                          else ""))
    d = next(m["n_features"] for m in metas if m["n_features"] is not None)
    formats = {m["format"]: name for m, name in zip(metas, names) if m["format"]}
    if len(formats) > 1:
        (f1, n1), (f2, n2) = list(formats.items())[:2]
        raise ValueError(f"{n2}: {f2} text, but {n1} is {f1}: the files of one fit "
                         "share one format")
    fmt = next(iter(formats), None)

    from fastopt.online._base import check_model_size
    check_model_size(type(proto), d)
    state = np.zeros((d + 1, _kernels.online_stride(proto._algorithm)))
    t = 0
    loss = [0.0] * len(parts)
    # each partition's rounds: (start, stop) rows, a round never spanning passes
    plans = [[(s, min(s + rows_per_round, n)) for _ in range(passes)
              for s in range(0, n, rows_per_round)] for n in rows]
    n_rounds = max(len(p) for p in plans)
    t0 = time.perf_counter()
    round_seconds = []
    trained, task_seconds = 0, 0.0
    weight, weight_used = 0.0, 0.0
    crossed = _model(proto, state, 0)[0].crossed

    def touched_of(r: int) -> Dict[int, Any]:
        # the coordinates each partition's round-r rows touch, computed on
        # the workers while the previous round trains
        if crossed or r >= n_rounds:
            return {}
        return {p: client.submit(_touched, parts[p], *plan[r], pure=False)
                for p, plan in enumerate(plans) if r < len(plan)}

    pending = touched_of(0)
    for r in range(n_rounds):
        tr = time.perf_counter()
        if crossed:     # the whole state, once a round
            full = client.scatter(state, broadcast=True, hash=False)
        else:
            touched = dict(zip(pending, client.gather(list(pending.values()))))
            pending = touched_of(r + 1)
        futs = []
        for p, plan in enumerate(plans):
            if r >= len(plan):
                continue
            if crossed:
                sent = full
            else:       # only the rows of the coordinates it will touch
                sent = np.empty((touched[p].shape[0] + 1, state.shape[1]))
                sent[:-1] = state[touched[p]]
                sent[-1] = state[d]
            start, stop = plan[r]
            futs.append((p, client.submit(
                _train_round, proto, sent, t, parts[p], start, stop, loss[p],
                names[p], vw_squared, key=f"fastopt-round-{tag}-{r}-{p}", pure=False)))
        results = client.gather([f for _, f in futs])   # in partition order
        for (p, _fut), res in zip(futs, results):
            task_seconds += res["seconds"]
            loss[p] = res["loss"]
            trained += res["n"]
            weight += res["weight"]
            weight_used += res["weight_used"]
            if not crossed:
                res["idx"] = np.append(touched[p], d)
                if not cfg["fit_intercept"]:
                    res["idx"], res["rows"] = res["idx"][:-1], res["rows"][:-1]
        t = _merge_into(state, t, results, merge, proto, cfg)
        del futs, _fut, sent      # the round's data leave the cluster
        round_seconds.append(time.perf_counter() - tr)
        if progress is not None:
            dt = time.perf_counter() - t0
            progress(f"round {r + 1}/{n_rounds}  {trained:,} rows  "
                     f"{trained / dt if dt > 0 else float('inf'):,.0f} rows/s  "
                     f"progressive {_loss_name(proto.loss)} "
                     f"{sum(loss) / trained:.6f}")
    full = None
    seconds = time.perf_counter() - t0

    holdout_loss, held = None, sum(m["held"] for m in metas)
    if held:
        state_f = client.scatter(state, broadcast=True, hash=False)
        sums = client.gather([client.submit(_holdout_loss, proto, state_f, t, f,
                                            proto.loss, getattr(proto, "quantile_tau", 0.5),
                                            pure=False) for f in parts])
        held_weight = sum(w for _, w in sums)
        holdout_loss = (sum(s for s, _ in sums) / held_weight if held_weight
                        else float("nan"))
        del state_f
    workers = len(client.scheduler_info().get("workers", {}))
    client.cancel(parts)

    with estimator._lock():
        new = estimator._fresh(d, labels)
        # the rounds keep no per-row margins: no progressive logloss / AUC
        # (NaN, and none in a model file), rather than one of later rows only
        new.pop("_progressive", None)
        estimator.__dict__.pop("_progressive", None)
        new.update(estimator._bind(new["_cfg"], dict(state=state, t=t)))
        new.update(_loss_sum=float(sum(loss)), _n_seen=trained, _weight_sum=weight_used,
                   _diverged=False)
        new["distributed_info_"] = dict(
            partitions=names, rows=rows, held_out=[m["held"] for m in metas],
            bad_lines=[m["bad_lines"] for m in metas],
            first_bad_line=next((m["first_bad_line"] for m in metas
                                 if m["first_bad_line"]), None),
            rounds=n_rounds, sync_rows=rows_per_round, merge=merge, passes=passes,
            format=fmt, importance_weight=weight,
            workers=workers, seconds=seconds, task_seconds=task_seconds,
            seconds_per_round=float(np.median(round_seconds)) if round_seconds else 0.0,
            holdout_loss=holdout_loss, n_held_out=held)
        estimator.__dict__.update(new)
    return estimator


def _loss_name(loss: str) -> str:
    return "logloss" if loss == "logistic" else f"{loss} loss"


def _array_partitions(client: Any, proto: _Estimator, source: Tuple[Any, Any]
                      ) -> Tuple[List[Any], List[str], Optional[npt.NDArray[Any]]]:
    """Partitions of (X, y) Dask arrays: one per row chunk."""
    import dask.array as da
    from dask.delayed import delayed
    X, y = source
    if not isinstance(X, da.Array) or not isinstance(y, da.Array):
        raise TypeError("source (X, y): both must be dask arrays")
    if X.ndim != 2 or y.ndim != 1:
        raise ValueError(f"source (X, y): X must be 2-d and y 1-d, got {X.ndim}-d and "
                         f"{y.ndim}-d")
    if X.numblocks[1] != 1:
        raise ValueError("source X must be chunked by rows only (one chunk across "
                         "the columns): X.rechunk({1: -1})")
    if X.chunks[0] != y.chunks[0]:
        raise ValueError(f"source: X and y must have the same row chunks, got "
                         f"{X.chunks[0]} and {y.chunks[0]}")
    labels = None
    if proto._is_classifier:
        labels = np.unique(client.compute(da.unique(y)).result())
        proto._encode_y(labels, None, None)          # two labels, or ValueError
    xs, ys = X.to_delayed().ravel(), y.to_delayed().ravel()
    parts = client.compute([delayed(_load_block, pure=True)(xb, yb, proto, labels)
                            for xb, yb in zip(xs, ys)])
    names = [f"X block {i}" for i in range(len(parts))]
    return parts, names, labels


# -- `fastopt train --dask` -------------------------------------------------------

def _first_line_is_vw(path: str) -> bool:
    """Whether the first line of `path` that is neither blank nor a comment
    looks like VW text (has a '|')."""
    from fastopt.libsvm import _open
    try:
        f, owned = _open(path)
    except OSError:
        return False            # the worker that reads it names the error
    try:
        for _ in range(1000):
            line = f.readline(1 << 16)
            if not line:
                return False
            s = line.strip()
            if s and not s.startswith(b"#"):
                return b"|" in s
        return False
    except (OSError, EOFError, ValueError):
        return False
    finally:
        for g in owned:
            g.close()


def cli_train(args: argparse.Namespace) -> int:
    """`fastopt train FILES --dask local:N|tcp://host:port`: the same flags,
    progress, summary and model file as a single-machine `train`, the
    rounds run by :func:`fit` on the cluster.  Raises cli_online._Fail."""
    from fastopt import cli_online as co
    from fastopt.distributed._dask import connect
    path = args.data if args.data is not None else args.file
    if path == "-":
        raise co._Fail("FILE -: --dask reads files (a glob or one file), not standard "
                       "input")
    if args.class_weight is not None:
        raise co._Fail("--class-weight is not supported with --dask")
    for flag, given in (("-i", args.initial_model), ("-t", args.test_only),
                        ("-p", args.predictions), ("--raw", args.raw),
                        ("--cache-file", args.cache_file),
                        ("--early-terminate", args.early_terminate),
                        ("--readable-model", args.readable_model),
                        ("--invert-hash", args.invert_hash)):
        if given:
            raise co._Fail(f"{flag} is not supported with --dask")
    if args.output is None:
        raise co._Fail("-f/--output MODEL is required (where the model goes)")
    interactions = co._interactions(args)
    args.model = args.model or "ftrl"
    args.loss = args.loss or "logistic"
    args.quantile_tau = 0.5 if args.quantile_tau is None else args.quantile_tau
    try:
        paths = _files(path)
    except ValueError as e:
        raise co._Fail(str(e).replace("source ", "FILE ")) from None
    co._check_output(args.output, [("FILE", p) for p in paths])
    if args.n_features is not None and args.bits is not None:
        raise co._Fail("give -b/--bits or --n-features, not both")
    # the format of the first file, read here (a driver that cannot read
    # it takes libsvm; --format vw says so where the files are VW text)
    fmt = args.format if args.format != "auto" else (
        "vw" if _first_line_is_vw(paths[0]) else "libsvm")
    bits = args.bits or 18
    constant = fmt == "vw" and not args.no_intercept
    if fmt == "vw":
        n_features = 1 << bits
        if args.field_map is not None:
            raise co._Fail("--field-map is for libsvm input (VW text has namespaces)")
        fields = None
    else:
        n_features = args.n_features or (2**args.bits if args.bits else 2**20)
        fields = co._parse_field_map(args.field_map) if args.field_map is not None \
            else None
        if interactions and fields is None:
            raise co._Fail("-q / --interactions on libsvm input need --field-map (which "
                           "ids are which namespace)")
    est, shown = co._make_estimator(args, n_features, interactions, fields, constant)
    try:
        client, cluster = connect(args.dask, args.dask_timeout)
    except (ValueError, OSError) as e:
        raise co._Fail(str(e)) from None
    progress = co._Progress(args.quiet, interval=args.progress_interval)
    try:
        t0 = time.perf_counter()
        try:
            _fit(est, paths, client, sync_rows=args.sync_rows, merge=args.merge,
                 passes=args.passes, n_partitions=None, n_features=n_features,
                 hash=args.hash, holdout=args.holdout, skip_bad_lines=args.skip_bad_lines,
                 max_line_bytes=args.max_line_bytes, chunk_bytes=args.chunk_bytes,
                 format=fmt, bits=bits, hash_all=args.hash_all, hash_seed=args.hash_seed,
                 constant=constant, progress=progress.update,
                 vw_squared=args.loss == "squared")
        except FloatingPointError as e:
            raise co._Fail(f"{path}: training diverged: {e}", code=1) from None
        except OSError as e:            # a worker could not read a file: named
            raise co._Fail(str(e)) from None
        except (ValueError, EOFError) as e:
            raise co._stream_error(path, e, co._TRAIN_HINT) from None
        finally:
            progress.done()
        train_time = time.perf_counter() - t0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    # fit sets distributed_info_ through the estimator's __dict__ (the
    # estimator classes do not declare it)
    info_: Dict[str, Any] = getattr(est, "distributed_info_")
    loss_name = co._loss_name(args.loss)
    if sum(info_["bad_lines"]):
        sys.stderr.write(f"fastopt train: warning: skipped {sum(info_['bad_lines'])} "
                         f"malformed line(s); first: {info_['first_bad_line']}\n")
    if info_["holdout_loss"] is not None:
        progress.update(f"holdout {loss_name} {co._fmt(info_['holdout_loss'])}",
                        force=True)
        progress.done()
    info: Dict[str, Any] = {"hash": bool(args.hash)}
    if fmt == "vw":        # what `fastopt predict` reads the rows with
        info.update(format="vw", bits=bits, constant=constant)
        if args.hash_all or args.hash_seed:
            info.update(hash_all=args.hash_all, hash_seed=args.hash_seed)
    try:
        est.save(args.output, info=info)
    except OSError as e:
        raise co._Fail(f"cannot write {args.output}: {e.strerror or e}") from None
    trained = est.n_examples_seen_
    lines = [
        f"model:                {args.model} ({shown}"
        f"{', no intercept' if args.no_intercept else ''})",
        f"file:                 {path} ({fmt}"
        + (f", {bits} bits" if fmt == "vw" else "") + f", {len(paths)} file"
        f"{'s' if len(paths) > 1 else ''})",
        f"dask:                 {args.dask}, {info_['workers']} workers, "
        f"{len(info_['partitions'])} partitions, {info_['rounds']} rounds of "
        f"{info_['sync_rows']} rows, merge={info_['merge']}, "
        f"{info_['seconds_per_round']:.3f} s/round",
        f"rows:                 {trained // args.passes} trained per pass x "
        f"{args.passes} pass{'es' if args.passes > 1 else ''} = {trained}",
    ]
    if info_["importance_weight"] != trained:
        lines.append(f"importance weight:    {info_['importance_weight']:g} in all")
    if args.holdout:
        lines.append(f"held out:             {info_['n_held_out']} ({args.holdout:g} "
                     "of the rows)")
    if sum(info_["bad_lines"]):
        lines.append(f"skipped lines:        {sum(info_['bad_lines'])}")
    lines += [
        f"seconds:              {train_time:.3f}",
        f"rows/s:               {co._rate(trained, train_time):.0f}",
        f"{'progressive ' + loss_name + ':':<21} {co._fmt(est.progressive_loss_)}",
    ]
    if args.holdout:
        hl = info_["holdout_loss"]
        lines.append(f"{'holdout ' + loss_name + ':':<21} "
                     + (co._fmt(hl) if hl is not None else "nan (no rows held out)"))
    lines += [
        f"non-zero weights:     {int(np.count_nonzero(est.coef_))} of "
        f"{est.n_features_in_}",
        f"saved:                {'stdout' if args.output == '-' else args.output}",
    ]
    print("\n".join(lines), file=sys.stderr if args.output == "-" else sys.stdout)
    return 0
