"""The cost of `fastopt train -p` (progressive predictions written while
training) and of the code path without -p against another checkout (main):
wall and CPU seconds of `fastopt train` on the same VW text file.

    python bench/cli_progressive.py --rows 1000000 --repeats 5 --base /work/main

The data are tests/record_golden_vw.py's generator (namespaces, string and
numeric names, values, importance weights, a tag on every 7th row), written
once as text.  Runs, interleaved (base, branch, branch -p, ...) so that
load drifts hit all alike; each command `python -m fastopt.cli train FILE
--alpha 0.05 --beta 1 -b 18 -f MODEL --quiet` plus the run's flags, with
PYTHONPATH the checkout's root:
* base: the --base checkout (no -p);
* branch: this checkout, no -p;
* branch -p: this checkout, -p PRED (P(y = 1) per row, tags; '%.9g');
* branch -p --raw: margins (no link function);
* with --vw-python: VW's driver without and with -p, for scale.
Prints the best and the median of --repeats runs (wall, CPU = the child's
user + system seconds).
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from record_golden_vw import make_rows  # noqa: E402


def timed(cmd, root=None):
    env = dict(os.environ)
    if root is not None:
        env["PYTHONPATH"] = root
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--base", default="/work/main", help="the checkout to compare with")
    ap.add_argument("--vw-python", default=None)
    ap.add_argument("--tmpdir", default=None)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=a.tmpdir) as tmp:
        train = os.path.join(tmp, "train.vw")
        with open(train, "w") as f:
            for start in range(0, a.rows, 100_000):
                n = min(100_000, a.rows - start)
                f.write("\n".join(make_rows(n, 1 + start)) + "\n")
        model, pred = os.path.join(tmp, "m"), os.path.join(tmp, "p")
        fo = [sys.executable, "-m", "fastopt.cli", "train", train, "--alpha", "0.05",
              "--beta", "1", "-b", "18", "-f", model, "--quiet"]
        runs = [("base (no -p)", fo, a.base), ("branch (no -p)", fo, ROOT),
                ("branch -p", fo + ["-p", pred], ROOT),
                ("branch -p --raw", fo + ["-p", pred, "--raw"], ROOT)]
        if a.vw_python:
            vw = [a.vw_python, "-m", "vowpalwabbit", "-d", train, "--ftrl", "--ftrl_alpha",
                  "0.05", "--ftrl_beta", "1", "-b", "18", "--loss_function", "logistic",
                  "-f", model, "--quiet"]
            runs += [("VW (no -p)", vw, None), ("VW -p", vw + ["-p", pred], None)]
        times = {name: [] for name, _, _ in runs}
        load0 = os.getloadavg()[0]
        for _ in range(a.repeats):
            for name, cmd, root in runs:
                times[name].append(timed(cmd, root))
        mb = os.path.getsize(train) / 2**20
        print(f"{a.rows} rows, {mb:.0f} MiB of VW text, best / median of {a.repeats}; "
              f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after")
        print("| run | wall best s | wall median s | CPU best s | CPU median s |")
        print("|---|---:|---:|---:|---:|")
        for name, _, _ in runs:
            w = [t[0] for t in times[name]]
            c = [t[1] for t in times[name]]
            print(f"| {name} | {min(w):.2f} | {statistics.median(w):.2f} | "
                  f"{min(c):.2f} | {statistics.median(c):.2f} |")


if __name__ == "__main__":
    main()
