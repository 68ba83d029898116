"""fastopt.torch against torch.optim, one thread each (torch.set_num_threads(1),
n_threads=1).

Dense: the Adam step, fastopt.torch.Adam against torch.optim.Adam(fused=True)
and (foreach=True), on
  10M     one 10M-element float32 tensor (benchdata.make_data, as
          test_bench_rules.py);
  mlp200  the parameters of MLP200, 100 nn.Linear(256, 256) layers: 200
          tensors, 6.6M float32 elements.
Gradients are set once (N(0, 1e-2)); WARM_STEPS untimed steps first.

Sparse: logistic regression on click-like rows (fastopt.datasets'
make_clicklike through bench/clicklike.py: 39 hashed one-hot fields in 2^20
columns) as nn.EmbeddingBag(2**20 + 1, 1, mode="sum", sparse=True), weights
starting at 0; the extra row is the bias, named in every row.  Trained
online in batches of BATCH rows, BCE-with-logits summed over the batch, by
  fastopt_ftrl       fastopt.torch.FTRL, FTRL-Proximal with alpha 0.1, beta 1,
                     lambda1 1, lambda2 1 (TF's l2 = lambda2 / 2), the
                     hyperparameters of bench/test_bench_online.py;
  fastopt_adagrad    fastopt.torch.Adagrad(lr=ADAGRAD_LR), the same rule as
  torch_adagrad      torch.optim.Adagrad(lr=ADAGRAD_LR) on sparse gradients;
  fastopt_adam       fastopt.torch.Adam(lr=ADAM_LR), lazy Adam on the rows, and
  torch_sparse_adam  torch.optim.SparseAdam(lr=ADAM_LR) (which adds eps before
                     the bias correction, so not quite the same numbers).
Reported: rows/s of the training step (forward, backward, optimizer step)
and of the optimizer step alone, the progressive logloss (each batch scored
before it is trained on) and the held-out logloss of the last rows.

    PYTHONPATH=$PWD pytest bench/test_bench_torch.py --benchmark-json=bench/results_torch.json
    PYTHONPATH=$PWD python bench/test_bench_torch.py dense [--rounds 60]
    PYTHONPATH=$PWD python bench/test_bench_torch.py sparse [--rows 1000000]

The two commands below pytest time every implementation round-robin (one
step of each per round, interleaved.py's way), so that a noisy neighbour
slows all of them alike; they print min / p10 / median.
"""
import argparse
import time

import numpy as np
import pytest

from benchdata import N_ELEMS, SEED, make_data, torch, torch_or_skip
from interleaved import _print_stats, _round_robin

WARM_STEPS = 3
ROUNDS = {"fastopt": 60, "torch_fused": 60, "torch_foreach": 15}
DENSE_IMPLS = ["fastopt", "torch_fused", "torch_foreach"]
MLP_LAYERS, MLP_WIDTH = 100, 256

N_COLS = 2 ** 20
BATCH = 512
N_TEST = 100_000
FTRL = dict(lr=0.1, beta=1.0, l1=1.0, l2=0.5, initial_accumulator_value=0.0)
ADAGRAD_LR = 0.05
ADAM_LR = 0.01
SPARSE_IMPLS = ["fastopt_ftrl", "fastopt_adagrad", "torch_adagrad", "fastopt_adam",
                "torch_sparse_adam"]
SPARSE_BENCH_ROWS = 51_200     # the pytest-benchmark case cycles through these


# ----------------------------------------------------------------- dense ---
def dense_case(case):
    """(params0, grads): float32 numpy arrays of the case."""
    if case == "10M":
        return make_data([N_ELEMS], SEED)
    torch = torch_or_skip()
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(*[torch.nn.Linear(MLP_WIDTH, MLP_WIDTH)
                                  for _ in range(MLP_LAYERS)])
    params0 = [p.detach().numpy().copy() for p in model.parameters()]
    rng = np.random.default_rng(SEED + 1)
    grads = [rng.standard_normal(p.shape, dtype=np.float32) * np.float32(1e-2)
             for p in params0]
    return params0, grads


def adam_step(impl, params0, grads):
    """One Adam step of `impl` on its own copy of the tensors, warmed up."""
    torch = torch_or_skip()
    import fastopt.torch
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in params0]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g.copy())
    if impl == "fastopt":
        opt = fastopt.torch.Adam(params, lr=1e-3, n_threads=1)
    else:
        opt = torch.optim.Adam(params, lr=1e-3, **{impl[len("torch_"):]: True})
    for _ in range(WARM_STEPS):
        opt.step()
    return opt.step


@pytest.mark.parametrize("impl", DENSE_IMPLS)
@pytest.mark.parametrize("case", ["10M", "mlp200"])
def test_adam_torch(benchmark, case, impl):
    params0, grads = dense_case(case)
    step = adam_step(impl, params0, grads)
    benchmark.group = f"torch Adam {case}"
    benchmark.extra_info.update(case=case, impl=impl, n_arrays=len(params0),
                                n_elems=int(sum(p.size for p in params0)),
                                dtype="float32", n_threads=1)
    benchmark.pedantic(step, rounds=ROUNDS[impl], iterations=1, warmup_rounds=1)


# ---------------------------------------------------------------- sparse ---
def click_batches(n_train, n_test=N_TEST, batch=BATCH, seed=0):
    """(train batches, test batch): (indices, offsets, labels) tensors for
    nn.EmbeddingBag, the bias column N_COLS appended to every row."""
    torch = torch_or_skip()
    from clicklike import make_clicklike, train_test_split
    X, y, _ = make_clicklike(n_train + n_test, seed=seed)
    parts = train_test_split(X, y, n_test)

    def as_bag(X, y):
        n = X.shape[0]
        idx = np.insert(X.indices.astype(np.int64), X.indptr[1:], N_COLS)
        offsets = X.indptr[:-1].astype(np.int64) + np.arange(n)
        return idx, offsets, y.astype(np.float32)

    idx, off, ytr = as_bag(parts[0], parts[1])
    bounds = np.append(off, idx.size)
    train = []
    for lo in range(0, len(off), batch):
        hi = min(lo + batch, len(off))
        a, b = bounds[lo], bounds[hi]
        train.append((torch.from_numpy(idx[a:b]), torch.from_numpy(off[lo:hi] - a),
                      torch.from_numpy(ytr[lo:hi])))
    test = tuple(torch.from_numpy(a) for a in as_bag(parts[2], parts[3]))
    return train, test


def click_model(impl):
    """(model, optimizer) of `impl`: the embedding bag at zero."""
    torch = torch_or_skip()
    import fastopt.torch
    model = torch.nn.EmbeddingBag(N_COLS + 1, 1, mode="sum", sparse=True)
    torch.nn.init.zeros_(model.weight)
    make = {
        "fastopt_ftrl": lambda p: fastopt.torch.FTRL(p, n_threads=1, **FTRL),
        "fastopt_adagrad": lambda p: fastopt.torch.Adagrad(p, lr=ADAGRAD_LR, n_threads=1),
        "torch_adagrad": lambda p: torch.optim.Adagrad(p, lr=ADAGRAD_LR),
        "fastopt_adam": lambda p: fastopt.torch.Adam(p, lr=ADAM_LR, n_threads=1),
        "torch_sparse_adam": lambda p: torch.optim.SparseAdam(p, lr=ADAM_LR),
    }[impl]
    return model, make(list(model.parameters()))


def logloss(model, batch):
    idx, offsets, y = batch
    with torch.no_grad():
        z = model(idx, offsets).squeeze(1)
        return torch.nn.functional.binary_cross_entropy_with_logits(z, y).item()


def train_step(model, opt, batch, times=None):
    """One online step; returns the batch's summed loss before the update.
    times (a list) gets the optimizer step's own seconds."""
    idx, offsets, y = batch
    opt.zero_grad()
    z = model(idx, offsets).squeeze(1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum")
    loss.backward()
    t0 = time.perf_counter()
    opt.step()
    if times is not None:
        times.append(time.perf_counter() - t0)
    return loss.item()


@pytest.fixture(scope="module")
def click_data():
    return click_batches(SPARSE_BENCH_ROWS, n_test=BATCH)


@pytest.mark.parametrize("impl", SPARSE_IMPLS)
def test_click_embeddingbag(benchmark, click_data, impl):
    train, _ = click_data
    model, opt = click_model(impl)
    for batch in train[:WARM_STEPS]:
        train_step(model, opt, batch)
    it = iter(range(10 ** 9))

    def step():
        train_step(model, opt, train[next(it) % len(train)])
    benchmark.group = f"torch EmbeddingBag logistic, {BATCH}-row batches"
    benchmark.extra_info.update(impl=impl, rows_per_step=BATCH, n_cols=N_COLS + 1,
                                n_threads=1)
    benchmark.pedantic(step, rounds=len(train), iterations=1)


# ------------------------------------------------------------------- main ---
def dense_main(rounds):
    for case in ["10M", "mlp200"]:
        params0, grads = dense_case(case)
        steps = {i: adam_step(i, params0, grads) for i in DENSE_IMPLS}
        ts = _round_robin(steps, rounds)
        _print_stats(f"Adam, {case} ({len(params0)} tensors, "
                     f"{sum(p.size for p in params0) / 1e6:.1f}M float32, {rounds} rounds)",
                     ts)
        del steps


def sparse_main(n_rows, impls):
    t0 = time.perf_counter()
    train, test = click_batches(n_rows)
    print(f"{n_rows} train rows in {len(train)} batches of {BATCH}, {N_TEST} held out; "
          f"data {time.perf_counter() - t0:.1f} s")
    models = {i: click_model(i) for i in impls}
    total = {i: [] for i in impls}
    steps = {i: [] for i in impls}
    losses = {i: 0.0 for i in impls}
    for batch in train:           # round-robin: every implementation, each batch
        for i, (model, opt) in models.items():
            t = time.perf_counter()
            losses[i] += train_step(model, opt, batch, steps[i])
            total[i].append(time.perf_counter() - t)
    n = sum(len(b[2]) for b in train)
    print(f"{'impl':18s} {'rows/s':>9s} {'step rows/s':>12s} {'step us min/median':>19s} "
          f"{'progressive':>11s} {'held-out':>9s}")
    for i, (model, _) in models.items():
        st = np.array(steps[i])
        print(f"{i:18s} {n / sum(total[i]):9.0f} {n / st.sum():12.0f} "
              f"{st.min() * 1e6:9.0f} /{np.median(st) * 1e6:8.0f} "
              f"{losses[i] / n:11.4f} {logloss(model, test):9.4f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["dense", "sparse"])
    ap.add_argument("--rounds", type=int, default=60, help="dense: rounds")
    ap.add_argument("--rows", type=int, default=1_000_000, help="sparse: train rows")
    ap.add_argument("--impls", nargs="*", default=SPARSE_IMPLS, help="sparse: which")
    args = ap.parse_args(argv)
    torch_or_skip()
    if args.what == "dense":
        dense_main(args.rounds)
    else:
        sparse_main(args.rows, args.impls)


if __name__ == "__main__":
    main()
