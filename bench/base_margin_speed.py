"""FTRLClassifier.partial_fit with and without per-row margin offsets
(base_margin): 400k rows of 20 random columns of 2^20, one thread, best
of 5 wall seconds.

    PYTHONPATH=. python bench/base_margin_speed.py none
    PYTHONPATH=. python bench/base_margin_speed.py base
"""
import sys, time, numpy as np, scipy.sparse as sp
from fastopt.online import FTRLClassifier
n, d, k = 400_000, 1 << 20, 20
rng = np.random.default_rng(0)
X = sp.csr_matrix((rng.standard_normal(n * k), rng.integers(0, d, n * k).astype(np.int32),
                   np.arange(0, n * k + 1, k)), shape=(n, d))
y = (rng.random(n) < 0.3).astype(float)
base = rng.standard_normal(n)
mode = sys.argv[1]
best = 1e9
for _ in range(5):
    est = FTRLClassifier(n_threads=1)
    t = time.perf_counter()
    if mode == "none":
        est.partial_fit(X, y, classes=[0, 1])
    else:
        est.partial_fit(X, y, classes=[0, 1], base_margin=base)
    best = min(best, time.perf_counter() - t)
print(f"{mode}: best of 5 {best:.3f} s, {n / best / 1e6:.2f} M rows/s")
