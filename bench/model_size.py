"""Model file sizes: `fastopt train -f` against Vowpal Wabbit's `-f` on the
same VW text, both with -b 24, and fastopt's save / load times.

    python bench/model_size.py --rows 300000

The data are bench/clicklike.py's click-like rows written as VW text
(``1 | idx:1 ...``, the default namespace, so feature i is weight i in
both).  VW: ``python -m vowpalwabbit -d FILE --ftrl -b 24 -f MODEL`` from
--vw-python (VW 9 keeps the learner's state in -f: weights and FTRL
accumulators).  fastopt: ``python -m fastopt.cli train FILE -b 24 -f MODEL``
(format 3: the touched coordinates' weight and accumulators, deflated).
Each is run once without and once with --l1 (sparser weights).  The save /
load times are the best of 3 of ``estimator.save`` / ``fastopt.online.load``
on the trained model.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from clicklike import make_clicklike, write_vw  # noqa: E402


def best_of(f, n=3):
    best = np.inf
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--bits", type=int, default=24)
    ap.add_argument("--vw-python", default="/work/refenv/bin/python")
    a = ap.parse_args(argv)
    from fastopt.online import load
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "train.vw")
        X, y, _ = make_clicklike(a.rows, seed=0)
        write_vw(data, X, y)
        print(f"{a.rows} rows, -b {a.bits}")
        print("| run | VW -f bytes | fastopt -f bytes | ratio | non-zero weights "
              "| touched coordinates | save s | load s |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, extra_vw, extra_fo in (("l1 = 0", [], []),
                                         ("l1 = 1", ["--l1", "1"], ["--l1", "1"])):
            vw_model, fo_model = os.path.join(tmp, "vw.model"), os.path.join(tmp, "fo.model")
            subprocess.run([a.vw_python, "-m", "vowpalwabbit", "-d", data, "--ftrl",
                            "--ftrl_alpha", "0.05", "--ftrl_beta", "1", "-b", str(a.bits),
                            "--loss_function", "logistic", "-f", vw_model, "--quiet"]
                           + extra_vw, check=True)
            subprocess.run([sys.executable, "-m", "fastopt.cli", "train", data,
                            "--alpha", "0.05", "--beta", "1", "-b", str(a.bits),
                            "-f", fo_model, "--quiet"] + extra_fo, check=True,
                           stdout=subprocess.DEVNULL)
            est = load(fo_model)
            nnz = int(np.count_nonzero(est.coef_))
            touched = int(np.count_nonzero(np.any(est._state["state"] != 0, axis=1)))
            out = os.path.join(tmp, "again.model")
            save_s = best_of(lambda: est.save(out))
            load_s = best_of(lambda: load(fo_model))
            vs, fs = os.path.getsize(vw_model), os.path.getsize(fo_model)
            print(f"| {name} | {vs:,} | {fs:,} | {fs / vs:.2f} | {nnz:,} | {touched:,} "
                  f"| {save_s:.3f} | {load_s:.3f} |")


if __name__ == "__main__":
    main()
