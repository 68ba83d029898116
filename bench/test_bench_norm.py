"""fastopt.norm against torch.nn.functional on CPU: forward + backward.

Cases (float32, affine weight and bias, training mode: batch statistics):
  ln  layer_norm on (256, 1024), normalized_shape (1024,)
  bn  batch_norm on (32, 64, 56, 56) (running statistics updated)
  gn  group_norm on (32, 64, 56, 56), 32 groups
One step = the forward, then the backward of sum(y * grad_y): for fastopt
`f(...)` and `f_backward(grad_y, x, saved, weight)`; for torch the functional
call on a leaf tensor and `y.backward(grad_y)` (autograd, as a user runs it;
x.grad and the parameters' .grad are reset each step).  Each at 1 thread and
at all usable cores (fastopt n_threads, torch.set_num_threads).

    PYTHONPATH=$PWD pytest bench/test_bench_norm.py --benchmark-json=bench/results_norm.json
    PYTHONPATH=$PWD python bench/test_bench_norm.py [--rounds 30]

The second times fastopt and torch round-robin (one step of each per round,
interleaved.py's way) and prints min / p10 / median and the ratio
torch time / fastopt time (> 1: fastopt faster).
"""
import argparse
import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fastopt import norm as fn  # noqa: E402
from fastopt._threads import effective_n_threads  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None

CASES = {
    "ln": ("layer_norm", (256, 1024)),
    "bn": ("batch_norm", (32, 64, 56, 56)),
    "gn": ("group_norm", (32, 64, 56, 56)),
}
GROUPS = 32
SEED = 0
WARM = 2


def case_data(case):
    kind, shape = CASES[case]
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(shape, dtype=np.float32) + np.float32(0.5)
    gy = rng.standard_normal(shape, dtype=np.float32)
    ash = shape[-1:] if kind == "layer_norm" else shape[1:2]
    w = rng.standard_normal(ash, dtype=np.float32)
    b = rng.standard_normal(ash, dtype=np.float32)
    return kind, x, gy, w, b


def make_step(case, impl, n_threads):
    """A no-argument callable running one forward + backward."""
    kind, x, gy, w, b = case_data(case)
    c = x.shape[1]
    if impl == "fastopt":
        rm, rv = np.zeros(c, np.float32), np.ones(c, np.float32)
        backward = getattr(fn, f"{kind}_backward")
        if kind == "layer_norm":
            def fwd():
                return fn.layer_norm(x, x.shape[-1:], w, b, n_threads=n_threads)
        elif kind == "batch_norm":
            def fwd():
                return fn.batch_norm(x, rm, rv, w, b, True, n_threads=n_threads)
        else:
            def fwd():
                return fn.group_norm(x, GROUPS, w, b, n_threads=n_threads)

        def step():
            y, saved = fwd()
            return backward(gy, x, saved, w, n_threads=n_threads)
    else:
        if torch is None:
            pytest.skip("torch is not installed")
        torch.set_num_threads(n_threads)
        tx = torch.from_numpy(x).requires_grad_()
        tw = torch.from_numpy(w).requires_grad_()
        tb = torch.from_numpy(b).requires_grad_()
        tgy = torch.from_numpy(gy)
        rm, rv = torch.zeros(c), torch.ones(c)
        if kind == "layer_norm":
            def fwd():
                return F.layer_norm(tx, x.shape[-1:], tw, tb)
        elif kind == "batch_norm":
            def fwd():
                return F.batch_norm(tx, rm, rv, tw, tb, True)
        else:
            def fwd():
                return F.group_norm(tx, GROUPS, tw, tb)

        def step():
            tx.grad = tw.grad = tb.grad = None
            fwd().backward(tgy)
    for _ in range(WARM):
        step()
    return step


THREADS = {"1t": 1, "all": None}


@pytest.mark.parametrize("threads", list(THREADS))
@pytest.mark.parametrize("impl", ["fastopt", "torch"])
@pytest.mark.parametrize("case", list(CASES))
def test_norm_forward_backward(benchmark, case, impl, threads):
    nt = effective_n_threads(THREADS[threads])
    if torch is not None:
        torch.set_num_threads(nt)
    step = make_step(case, impl, nt)
    benchmark.extra_info.update(case=case, impl=impl, n_threads=nt)
    benchmark.pedantic(step, rounds=10, iterations=1, warmup_rounds=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--case", action="append", choices=list(CASES))
    args = parser.parse_args(argv)
    if torch is None:
        print("torch is not installed")
        return 1
    nt_all = effective_n_threads(None)
    print(f"fastopt.norm vs torch {torch.__version__}, float32, forward + backward, "
          f"round-robin over {args.rounds} rounds; threads: 1 and {nt_all}")
    rows = []
    for case in args.case or list(CASES):
        for nt in sorted({1, nt_all}):
            torch.set_num_threads(nt)
            steps = {impl: make_step(case, impl, nt) for impl in ("fastopt", "torch")}
            ts = {i: [] for i in steps}
            for _ in range(args.rounds):
                for i, f in steps.items():
                    torch.set_num_threads(nt)
                    t0 = time.perf_counter()
                    f()
                    ts[i].append(time.perf_counter() - t0)
            st = {i: (np.min(v), np.median(v)) for i, v in ts.items()}
            rows.append((case, nt, st))
            kind, shape = CASES[case]
            print(f"  {kind:11s} {str(shape):17s} {nt:2d} thr  "
                  f"fastopt {st['fastopt'][0] * 1e3:8.2f} / {st['fastopt'][1] * 1e3:8.2f} ms  "
                  f"torch {st['torch'][0] * 1e3:8.2f} / {st['torch'][1] * 1e3:8.2f} ms  "
                  f"x torch (min) {st['torch'][0] / st['fastopt'][0]:5.2f}  "
                  f"(median) {st['torch'][1] / st['fastopt'][1]:5.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
