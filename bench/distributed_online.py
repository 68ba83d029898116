"""Online FTRL on Dask (fastopt.distributed.fit): throughput with 1 and 2
workers, and holdout logloss against single-process one-pass FTRL for k
partitions.

    python bench/distributed_online.py --rows 4000000 --files 32 \\
        --dir /tmp/fo_dist_bench --sync-rows 50000 --repeat 2

Data: click-like rows (fastopt.datasets.make_clicklike, 39 one-hot fields
hashed into 2^20 columns), written once as `--files` libsvm files in time
order.  Each file holds out the rows `fastopt train --holdout 0.05` holds
out, so every run is scored on the same rows.

1. rows/s: a LocalCluster of 1, then 2 worker processes (one thread each),
   `--partitions-speed` partitions (default 8): the whole fit (parsing on
   the workers included) and the rounds alone; min over `--repeat` runs.
2. holdout logloss for k = 1, 2, 8, 32 partitions (consecutive files) on 2
   workers, against single-process one-pass FTRL over the same files in
   the same order (estimator.partial_fit, block by block, in this process).
Prints markdown tables; bench/README.md keeps the latest.
"""
import argparse
import glob
import logging
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.clicklike import make_clicklike, write_libsvm  # noqa: E402
from fastopt.online import FTRLClassifier  # noqa: E402

N_FEATURES = 2**20
HOLDOUT = 0.05
PARAMS = dict(alpha=0.05, beta=1.0, l1=1.0, l2=1.0)


def make_files(folder, rows, files):
    paths = sorted(glob.glob(os.path.join(folder, "part-*.svm")))
    if len(paths) == files:
        return paths
    os.makedirs(folder, exist_ok=True)
    X, y, info = make_clicklike(rows, seed=0)
    bounds = np.linspace(0, rows, files + 1).astype(int)
    paths = []
    for k in range(files):
        path = os.path.join(folder, f"part-{k:03d}.svm")
        write_libsvm(path, X[bounds[k]:bounds[k + 1]], y[bounds[k]:bounds[k + 1]])
        paths.append(path)
    print(f"wrote {files} files of {rows} rows in all (Bayes logloss "
          f"{info['bayes_logloss']:.4f})", flush=True)
    return paths


def single_process(paths):
    """One pass of FTRL over the files in order, the CLI's holdout rule; the
    holdout logloss and the training rows/s."""
    from fastopt.cli_online import _held_out, _loss_sum
    from fastopt.libsvm import iter_chunks
    est = FTRLClassifier(**PARAMS)
    held = []
    t0 = time.perf_counter()
    train_s, rows = 0.0, 0
    for path in paths:
        row = 0
        for X, y, _ in iter_chunks(path, N_FEATURES):
            mask = _held_out(row, X.shape[0], HOLDOUT)
            row += X.shape[0]
            held.append((X[mask], y[mask]))
            t1 = time.perf_counter()
            est.partial_fit(X[~mask], y[~mask], classes=[0, 1])
            train_s += time.perf_counter() - t1
            rows += int((~mask).sum())
    total = time.perf_counter() - t0
    loss = sum(_loss_sum("logistic", 0.5, est.decision_function(X), y)
               for X, y in held) / sum(X.shape[0] for X, _ in held)
    return loss, rows / train_s, rows / total


def run(client, paths, k, sync_rows, merge):
    from fastopt.distributed import fit
    t0 = time.perf_counter()
    est = fit(FTRLClassifier(**PARAMS), paths, client, sync_rows=sync_rows,
              n_partitions=k, n_features=N_FEATURES, holdout=HOLDOUT, merge=merge)
    wall = time.perf_counter() - t0
    info = est.distributed_info_
    rows = sum(info["rows"])
    return dict(wall=wall, rounds_s=info["seconds"], rows=rows,
                rows_s_total=rows / wall, rows_s_rounds=rows / info["seconds"],
                s_round=info["seconds_per_round"], n_rounds=info["rounds"],
                holdout=info["holdout_loss"], task_s=info["task_seconds"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=4_000_000)
    ap.add_argument("--files", type=int, default=32)
    ap.add_argument("--dir", default="/tmp/fo_dist_bench")
    ap.add_argument("--sync-rows", type=int, default=50_000)
    ap.add_argument("--partitions-speed", type=int, default=8)
    ap.add_argument("--ks", default="1,2,8,32")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--merges", default="average,sum",
                    help="merges for the logloss table (the first also times)")
    args = ap.parse_args()
    from distributed import Client, LocalCluster
    paths = make_files(args.dir, args.rows, args.files)
    merges = args.merges.split(",")
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)

    speed = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.ERROR) as lc, \
                Client(lc) as client:
            runs = []
            for _ in range(args.repeat):
                runs.append(run(client, paths, args.partitions_speed, args.sync_rows,
                                merges[0]))
                print(f"  {workers} worker(s): {runs[-1]}", flush=True)
            speed[workers] = dict(wall=min(r["wall"] for r in runs),
                                  rounds_s=min(r["rounds_s"] for r in runs),
                                  s_round=min(r["s_round"] for r in runs),
                                  rows=runs[0]["rows"], n_rounds=runs[0]["n_rounds"])
            if workers == 2:
                quality = {}
                for merge in merges:
                    for k in [int(v) for v in args.ks.split(",") if v]:
                        if k == 1 and merge != merges[0]:
                            continue        # one partition: no merge at all
                        quality[k, merge] = run(client, paths, k, args.sync_rows, merge)
                        print(f"  k={k} {merge}: {quality[k, merge]}", flush=True)
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)
    ref_loss, ref_train_rate, ref_total_rate = single_process(paths)

    print(f"\n{args.rows:,} rows in {args.files} files, sync_rows={args.sync_rows}, "
          f"{args.partitions_speed} partitions, merge={merges[0]}, min of "
          f"{args.repeat}\n")
    print("| workers | fit s (parse + rounds) | rows/s, whole fit | rounds s | "
          "rows/s, rounds | s per round (median) |")
    print("|---|---|---|---|---|---|")
    for w, s in speed.items():
        print(f"| {w} | {s['wall']:.1f} | {s['rows'] / s['wall']:,.0f} | "
              f"{s['rounds_s']:.1f} | {s['rows'] / s['rounds_s']:,.0f} | "
              f"{s['s_round']:.3f} |")
    print(f"\nspeed-up 2 vs 1 worker: whole fit {speed[1]['wall'] / speed[2]['wall']:.2f}x, "
          f"rounds {speed[1]['rounds_s'] / speed[2]['rounds_s']:.2f}x")
    print(f"single process (this process, partial_fit per block): "
          f"{ref_train_rate:,.0f} rows/s training, {ref_total_rate:,.0f} rows/s with "
          "parsing\n")
    print("| partitions k | merge | rounds | holdout logloss | minus single-process |")
    print("|---|---|---|---|---|")
    for (k, merge), q in quality.items():
        print(f"| {k} | {merge if k > 1 else '-'} | {q['n_rounds']} | {q['holdout']:.6f} | "
              f"{q['holdout'] - ref_loss:+.6f} |")
    print(f"| single process | - | - | {ref_loss:.6f} | 0 |")


if __name__ == "__main__":
    main()
