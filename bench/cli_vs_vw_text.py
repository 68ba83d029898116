"""`fastopt train` against Vowpal Wabbit's driver on the same VW-format
text file, with and without interactions (-q ab): wall and CPU seconds,
rows/s, holdout logloss of each model on a test file.

    python bench/cli_vs_vw_text.py --rows 500000 --repeats 3

The data are tests/record_golden_vw.py's generator (namespaces a, b, c,
dev and the default one; string and numeric names; values, a namespace
scale, importance weights, tags; a real a x b interaction), written once
as text.  VW: `python -m vowpalwabbit -d FILE --ftrl ...` from the
environment given by --vw-python (the PyPI wheel ships no `vw` executable;
this is VW's own C++ reader and learner, parsing in a second thread).
fastopt: `python -m fastopt.cli train FILE ...` (one learning thread; the
C parser runs a block ahead in a reader thread), and the same with
--no-reader-thread (parse, then learn, in turn).  --passes N: N passes,
VW with its cache (-c -k --holdout_off), fastopt with its own.  Both with
-b 18, --ftrl_alpha/--alpha 0.05, beta 1, l1 = l2 = 0.  Timings are the
best of --repeats runs, interleaved (VW, fastopt, VW, ...); CPU = the
child's user + system seconds.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from record_golden_vw import make_rows  # noqa: E402


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r


def logloss(y01, margin):
    return float(np.mean(np.logaddexp(0.0, -(2 * y01 - 1) * np.asarray(margin))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--test", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vw-python", default="/work/refenv/bin/python")
    ap.add_argument("--tmpdir", default=None)
    ap.add_argument("--passes", type=int, default=1)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=a.tmpdir) as tmp:
        train, test = os.path.join(tmp, "train.vw"), os.path.join(tmp, "test.vw")
        for path, n, seed in ((train, a.rows, 1), (test, a.test, 2)):
            with open(path, "w") as f:
                f.write("\n".join(make_rows(n, seed)) + "\n")
        y_test = np.array([1 if s.startswith("1") else 0 for s in open(test)])
        mb = os.path.getsize(train) / 2**20
        print(f"train: {a.rows} rows, {mb:.0f} MiB VW text; test: {a.test} rows; "
              f"{a.passes} pass(es); load average {os.getloadavg()[0]:.2f}")
        print("| run | wall s | CPU s | rows/s (wall) | holdout logloss |")
        print("|---|---:|---:|---:|---:|")
        for name, q in (("no -q", []), ("-q ab", ["-q", "ab"])):
            vw_model, fo_model = os.path.join(tmp, "vw.model"), os.path.join(tmp, "fo.model")
            vw_cmd = [a.vw_python, "-m", "vowpalwabbit", "-d", train, "--ftrl",
                      "--ftrl_alpha", "0.05", "--ftrl_beta", "1", "-b", "18",
                      "--loss_function", "logistic", "-f", vw_model, "--quiet"] + q
            fo_cmd = [sys.executable, "-m", "fastopt.cli", "train", train, "--alpha", "0.05",
                      "--beta", "1", "-b", "18", "-f", fo_model, "--quiet"] + q
            if a.passes > 1:
                vw_cache = os.path.join(tmp, "vw.cache")
                vw_cmd += ["-c", "--cache_file", vw_cache, "-k", "--passes",
                           str(a.passes), "--holdout_off"]
                fo_cmd += ["--passes", str(a.passes)]
            serial_cmd = fo_cmd + ["--no-reader-thread"]
            best = {"vw": (np.inf, 0), "fastopt": (np.inf, 0), "serial": (np.inf, 0)}
            for _ in range(a.repeats):
                for who, cmd in (("vw", vw_cmd), ("fastopt", fo_cmd),
                                 ("serial", serial_cmd)):
                    wall, cpu, _ = timed(cmd)
                    if wall < best[who][0]:
                        best[who] = (wall, cpu)
            vw_pred, fo_pred = os.path.join(tmp, "vw.pred"), os.path.join(tmp, "fo.pred")
            timed([a.vw_python, "-m", "vowpalwabbit", "-d", test, "-t", "-i", vw_model,
                   "-p", vw_pred, "--quiet"])
            timed([sys.executable, "-m", "fastopt.cli", "predict", fo_model, test,
                   "-p", fo_pred, "--quiet"])
            vw_ll = logloss(y_test, [float(s.split()[0]) for s in open(vw_pred)])
            p = np.clip(np.loadtxt(fo_pred), 1e-15, 1 - 1e-15)
            fo_ll = float(-np.mean(y_test * np.log(p) + (1 - y_test) * np.log1p(-p)))
            for who, key, ll in (("VW driver", "vw", vw_ll),
                                 ("fastopt train", "fastopt", fo_ll),
                                 ("fastopt train --no-reader-thread", "serial", fo_ll)):
                wall, cpu = best[key]
                print(f"| {who} {name} | {wall:.2f} | {cpu:.2f} | "
                      f"{a.rows * a.passes / wall:,.0f} | {ll:.6f} |")
            print(f"| speed-up {name}: VW wall / fastopt wall | "
                  f"{best['vw'][0] / best['fastopt'][0]:.2f}x "
                  f"(no reader thread {best['vw'][0] / best['serial'][0]:.2f}x) | | | |")


if __name__ == "__main__":
    main()
