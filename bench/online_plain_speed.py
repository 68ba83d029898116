"""The plain (no interactions, no weights) FTRL path's speed: CPU and wall
seconds of FTRLClassifier.fit on click-like data (bench/clicklike.py),
best and median of --repeats runs, one thread.  Used to check that the VW-format work
(losses, weights, interactions in csrc/online.inc) left this path as fast
as before:

    PYTHONPATH=. python bench/online_plain_speed.py --rows 300000 --repeats 7
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from clicklike import make_clicklike  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    from fastopt.online import FTRLClassifier
    X, y, _ = make_clicklike(a.rows, seed=a.seed)
    X = X.tocsr()
    times, cpu = [], []
    for _ in range(a.repeats):
        est = FTRLClassifier(alpha=0.1, beta=1.0, l1=1.0, l2=1.0)
        t0, c0 = time.perf_counter(), time.process_time()
        est.fit(X, y)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    best, med = min(times), float(np.median(times))
    # CPU seconds: on a shared host, waiting for a core counts in wall time
    # but not here (one thread)
    print(f"rows {a.rows}  nnz/row {X.nnz / a.rows:.1f}  CPU best {min(cpu):.4f} s "
          f"median {float(np.median(cpu)):.4f} s  wall best {best:.4f} s "
          f"({a.rows / best:,.0f} rows/s) median {med:.4f} s  "
          f"progressive logloss {est.progressive_loss_:.6f}")


if __name__ == "__main__":
    main()
