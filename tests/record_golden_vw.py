"""Record Vowpal Wabbit's answers for tests/test_vw.py (tests/golden/vw/).

Runs only where VW's Python package is installed (it ships VW's own
command-line driver, `python -m vowpalwabbit`); the tests read the files
this writes, so CI needs no VW:

    python -m venv /work/refenv && /work/refenv/bin/pip install vowpalwabbit numpy
    /work/refenv/bin/python tests/record_golden_vw.py

Writes
* train.vw.gz, test.vw.gz: click-like VW text (namespaces a, b, c, the
  default one, numeric and string names, values, a namespace scale,
  importance weights, tags), the label a logistic function of a and b's
  interaction;
* <run>.json for each run: VW's --invert_hash (name -> [index, weight])
  after training on train.vw with --ftrl and the run's interactions, and
  VW's test-set margins (-t -p) with their logloss;
* hash_all.json, hash_seed.json (HASH_RUNS, on the same train.vw / test.vw:
  `python tests/record_golden_vw.py hash` records only these): the same
  with VW's --hash all / --hash_seed, and VW's -p lines ("margin tag");
* base_train.vw.gz, base_test.vw.gz and base_linear.json, base_q_ab.json
  (`python tests/record_golden_vw.py base` records only these): rows with
  VW's initial prediction (``label importance initial |a ...``, a prior
  model's margin that VW adds to w . x in training and prediction).
"""
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "vw")
BITS = 18
ALPHA, BETA = 0.05, 1.0
RUNS = {"linear": [], "q_ab": ["-q", "ab"], "q_all": ["-q", "::"],
        "cubic": ["--interactions", "abc"],
        # VW drops "ab" (it repeats "ba") and sorts "bab" into "abb"
        "dups": ["-q", "ba", "-q", "ab", "--interactions", "bab"],
        # l1 / l2 apply to VW's constant feature too: fastopt's VW input keeps it
        "l1_l2": ["-q", "ab", "--l1", "0.5", "--l2", "2"]}


def make_rows(n, seed):
    users, ads = 40, 25
    world = np.random.default_rng(0)        # the same users and ads in every set
    ua = world.standard_normal((users, 4))
    ab = world.standard_normal((ads, 4))
    rng = np.random.default_rng(seed)
    u = rng.integers(0, users, n)
    a = rng.integers(0, ads, n)
    x = np.round(rng.random(n), 3)
    dev = rng.integers(0, 5, n)
    margin = -1.0 + 0.8 * np.sum(ua[u] * ab[a], axis=1) + 0.8 * (x - 0.5)
    y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-margin)), 1, -1)
    weight = np.where(rng.random(n) < 0.1, 2.0, 1.0)
    lines = []
    for i in range(n):
        head = f"{y[i]}" + (f" {weight[i]:g}" if weight[i] != 1.0 else "")
        if i % 7 == 0:
            head += f" 'r{i}"
        lines.append(f"{head} |a u{u[i]} g{u[i] % 13} |b ad{a[i]} {a[i] % 9} "
                     f"|c:0.5 x:{x[i]:.3f} |dev d{dev[i]}| {dev[i] + 100}")
    return lines


def make_string_rows(n, seed):
    """VW's rarer spellings: string values (name:US, chained hashes), an
    anonymous string (:DE), anonymous numbers (:2), name: (value 1), a
    namespace scale that string values ignore."""
    rng = np.random.default_rng(seed)
    countries = ["US", "FR", "DE", "JP", "BR"]
    effect = [0.8, -0.5, 0.2, -0.9, 0.4]
    lines = []
    for _ in range(n):
        c, s, x = int(rng.integers(0, 5)), int(rng.integers(0, 30)), rng.random()
        m = effect[c] + 0.05 * (s % 7) - 0.6 + (0.7 if (c + s) % 3 == 0 else -0.3)
        y = 1 if rng.random() < 1 / (1 + np.exp(-m)) else -1
        lines.append(f"{y} |a country:{countries[c]} city:c{s} |b:0.5 x:{x:.3f} "
                     f":{1 + s % 3} {s % 5 + 1} |c:2 ref:site{s % 11} "
                     f":{countries[(c + 1) % 5]} f:")
    return lines


def make_base_rows(n, seed):
    """make_rows' data, each row with an initial prediction: a prior
    model's margin (its one feature, the device, plus noise), written as
    VW's third label field (so every row has an importance weight)."""
    rng = np.random.default_rng(seed + 100)
    out = []
    for line in make_rows(n, seed):
        head, rest = line.split(" |", 1)
        parts = head.split(" ")
        label, weight = parts[0], "1"
        tag = ""
        for p in parts[1:]:
            if p.startswith("'"):
                tag = " " + p
            else:
                weight = p
        dev = int(rest.rsplit("| ", 1)[1]) - 100
        initial = round(-0.4 + 0.3 * dev + 0.5 * float(rng.standard_normal()), 3)
        out.append(f"{label} {weight} {initial:g}{tag} |{rest}")
    return out


BASE_RUNS = {"base_linear": [], "base_q_ab": ["-q", "ab"]}

# VW's hashing options, on train.vw / test.vw (tests/test_model_format.py)
HASH_RUNS = {"hash_all": ["-q", "ab", "--hash", "all"],
             "hash_seed": ["-q", "ab", "--hash_seed", "7"]}

# dataset -> (rows maker, train rows, test rows, {run: extra VW flags})
DATASETS = {"": (make_rows, 30000, 5000, RUNS),
            "strings_": (make_string_rows, 8000, 2000,
                         {"strings_linear": [], "strings_q_ac": ["-q", "ac"]})}


def vw(args, cwd):
    cmd = [sys.executable, "-m", "vowpalwabbit"] + args + ["--quiet"]
    subprocess.run(cmd, cwd=cwd, check=True)


def read_invert_hash(path):
    """name -> [index, weight] from VW's --invert_hash file: after the
    header and the learner's state, lines name:index:weight[ state]."""
    import re
    weight_line = re.compile(r"^(.+):(\d+):(\S+)(?: .*)?$")
    out = {}
    with open(path) as f:
        lines = f.read().splitlines()
    start = lines.index("l2_state 1") + 1 if "l2_state 1" in lines else 0
    for line in lines[start:]:
        m = weight_line.match(line)
        if m:
            out[m.group(1)] = [int(m.group(2)), float(m.group(3))]
    return out


def logloss(y01, margin):
    m = np.asarray(margin)
    return float(np.mean(np.logaddexp(0.0, -(2 * np.asarray(y01) - 1) * m)))


def record(prefix, train, test, runs, write_data=True, pred_lines=False):
    import vowpalwabbit
    for name, lines in (("train", train), ("test", test)):
        path = os.path.join(HERE, f"{prefix}{name}.vw.gz")
        if not write_data:
            continue
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(("\n".join(lines) + "\n").encode())
    y_test = np.array([1 if s.split()[0] == "1" else 0 for s in test])
    with tempfile.TemporaryDirectory() as tmp:
        for name, lines in (("train", train), ("test", test)):
            with open(os.path.join(tmp, f"{name}.vw"), "w") as f:
                f.write("\n".join(lines) + "\n")
        for run, extra in runs.items():
            common = ["-b", str(BITS), "--ftrl", "--ftrl_alpha", str(ALPHA),
                      "--ftrl_beta", str(BETA), "--loss_function", "logistic"] + extra
            vw(["-d", "train.vw", "-f", "model", "--invert_hash", "inv.txt"] + common,
               tmp)
            vw(["-d", "test.vw", "-t", "-i", "model", "-p", "pred.txt"], tmp)
            margins = [float(s.split()[0]) for s in open(os.path.join(tmp, "pred.txt"))]
            rec = dict(vw_version=vowpalwabbit.__version__, args=common,
                       invert_hash=read_invert_hash(os.path.join(tmp, "inv.txt")),
                       test_margins=margins, test_logloss=logloss(y_test, margins))
            if pred_lines:
                rec["test_pred_lines"] = open(os.path.join(tmp, "pred.txt")).read() \
                    .splitlines()
            with open(os.path.join(HERE, f"{run}.json"), "w") as f:
                json.dump(rec, f, indent=0, sort_keys=True)
            print(f"{run}: {len(rec['invert_hash'])} weights, test logloss "
                  f"{rec['test_logloss']:.6f}")
    return rec


def main(only_hash=False, only_base=False):
    os.makedirs(HERE, exist_ok=True)
    maker, n_train, n_test, _runs = DATASETS[""]
    if only_base:
        rec = record("base_", make_base_rows(n_train, 1), make_base_rows(n_test, 2),
                     BASE_RUNS)
        assert not math.isnan(rec["test_logloss"])
        return
    if not only_hash:
        for prefix, (maker_, n_train_, n_test_, runs) in DATASETS.items():
            rec = record(prefix, maker_(n_train_, 1), maker_(n_test_, 2), runs)
        assert not math.isnan(rec["test_logloss"])
    rec = record("", maker(n_train, 1), maker(n_test, 2), HASH_RUNS, write_data=False,
                 pred_lines=True)
    assert not math.isnan(rec["test_logloss"])


if __name__ == "__main__":
    try:
        import vowpalwabbit  # noqa: F401
    except ImportError:
        sys.exit("record_golden_vw.py needs Vowpal Wabbit (pip install vowpalwabbit)")
    main(only_hash=sys.argv[1:] == ["hash"], only_base=sys.argv[1:] == ["base"])
