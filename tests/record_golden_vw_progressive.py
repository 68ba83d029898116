"""Record Vowpal Wabbit's -p output for tests/test_cli_progressive.py
(tests/golden/vw/progressive.json.gz, prog_*.vw.gz).

Runs only where VW's Python package is installed (it ships VW's own
command-line driver, `python -m vowpalwabbit`); the tests read the files
this writes, so CI needs no VW:

    /work/refenv/bin/python tests/record_golden_vw_progressive.py

Writes
* prog_train.vw.gz (2000 rows of record_golden_vw.make_rows: namespaces,
  importance weights, tags), prog_test.vw.gz (500 rows), prog_base.vw.gz
  (1000 rows with VW's initial prediction) and prog_counts.vw.gz (1500
  rows with Poisson counts as labels);
* progressive.json.gz: for each run, VW's flags and its -p lines verbatim
  ("margin" or "margin tag"):
  - training runs (VW's progressive validation: each row's prediction
    before VW learns on it, every pass): the links identity (VW's
    default), logistic, glf1 and poisson; -q ab with --passes 3 over a
    cache (--holdout_off: VW's holdout is every 10th row, fastopt's a
    hashed fraction); -i (train on the first 1000 rows, then -i on the
    last 1000); initial predictions; --loss_function poisson and squared
    (VW clips a squared-loss prediction to the labels seen so far; on these
    counts the predictions stay inside, so fastopt's equal VW's);
  - test runs (-t -i MODEL -p) with the links identity, logistic, glf1.
Every run: -b 18 --ftrl --ftrl_alpha 0.05 --ftrl_beta 1 (VW's FTRL, as the
other VW goldens).
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from record_golden_vw import make_base_rows, make_rows  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "vw")
FTRL = ["-b", "18", "--ftrl", "--ftrl_alpha", "0.05", "--ftrl_beta", "1"]
LOGISTIC = FTRL + ["--loss_function", "logistic"]

# run -> (data file, VW flags); every run writes -p
TRAIN_RUNS = {
    "identity": ("prog_train", LOGISTIC),
    "logistic": ("prog_train", LOGISTIC + ["--link", "logistic"]),
    "glf1": ("prog_train", LOGISTIC + ["--link", "glf1"]),
    "poisson_link": ("prog_train", LOGISTIC + ["--link", "poisson"]),
    "q_ab_passes3": ("prog_train", LOGISTIC + ["-q", "ab", "-c", "--passes", "3",
                                               "--holdout_off"]),
    "initial": ("prog_base", LOGISTIC + ["-q", "ab"]),
    "poisson": ("prog_counts", FTRL + ["--loss_function", "poisson",
                                       "--link", "poisson"]),
    "squared": ("prog_counts", FTRL + ["--loss_function", "squared"]),
}
TEST_LINKS = ("identity", "logistic", "glf1")


def make_count_rows(n, seed):
    """Poisson counts y ~ Poisson(exp(margin)) of a few namespaces."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        a, b, x = int(rng.integers(0, 20)), int(rng.integers(0, 8)), rng.random()
        m = -0.3 + 0.08 * (a % 7) - 0.1 * b + 0.6 * x
        y = int(rng.poisson(np.exp(m)))
        tag = f" 'c{i}" if i % 11 == 0 else ""
        lines.append(f"{y}{tag} |a u{a} |b k{b} |c x:{x:.3f}")
    return lines


def vw(args, cwd):
    cmd = [sys.executable, "-m", "vowpalwabbit"] + args + ["--quiet"]
    subprocess.run(cmd, cwd=cwd, check=True)


def main():
    import vowpalwabbit
    data = {"prog_train": make_rows(2000, 3), "prog_test": make_rows(500, 4),
            "prog_base": make_base_rows(1000, 5), "prog_counts": make_count_rows(1500, 6)}
    out = {"vw_version": vowpalwabbit.__version__, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, lines in data.items():
            text = ("\n".join(lines) + "\n").encode()
            with gzip.GzipFile(os.path.join(HERE, f"{name}.vw.gz"), "wb", mtime=0) as f:
                f.write(text)
            with open(os.path.join(tmp, f"{name}.vw"), "wb") as f:
                f.write(text)

        def pred_lines():
            with open(os.path.join(tmp, "pred.txt")) as f:
                return f.read().splitlines()

        for run, (name, flags) in TRAIN_RUNS.items():
            for leftover in ("pred.txt", f"{name}.vw.cache"):
                if os.path.exists(os.path.join(tmp, leftover)):
                    os.remove(os.path.join(tmp, leftover))
            vw(["-d", f"{name}.vw", "-p", "pred.txt", "-f", "model"] + flags, tmp)
            out["runs"][run] = {"data": name, "args": flags, "pred_lines": pred_lines()}
        # -i: the first 1000 rows, then the last 1000 continuing that model
        lines = data["prog_train"]
        for part, rows in (("a", lines[:1000]), ("b", lines[1000:])):
            with open(os.path.join(tmp, f"{part}.vw"), "w") as f:
                f.write("\n".join(rows) + "\n")
        vw(["-d", "a.vw", "-f", "model_a"] + LOGISTIC, tmp)
        vw(["-d", "b.vw", "-i", "model_a", "-p", "pred.txt"] + LOGISTIC, tmp)
        out["runs"]["continued"] = {"data": "prog_train", "args": LOGISTIC,
                                    "pred_lines": pred_lines()}
        # -t: a model of prog_train tested on prog_test, each link
        vw(["-d", "prog_train.vw", "-f", "model"] + LOGISTIC, tmp)
        for link in TEST_LINKS:
            vw(["-d", "prog_test.vw", "-t", "-i", "model", "-p", "pred.txt",
                "--link", link], tmp)
            out["runs"][f"test_{link}"] = {"data": "prog_test", "args": LOGISTIC,
                                           "pred_lines": pred_lines()}
    with gzip.GzipFile(os.path.join(HERE, "progressive.json.gz"), "wb", mtime=0) as f:
        f.write(json.dumps(out, indent=0, sort_keys=True).encode())
    for run, rec in out["runs"].items():
        print(f"{run}: {len(rec['pred_lines'])} lines")


if __name__ == "__main__":
    try:
        import vowpalwabbit  # noqa: F401
    except ImportError:
        sys.exit("record_golden_vw_progressive.py needs Vowpal Wabbit "
                 "(pip install vowpalwabbit)")
    main()
