"""`fastopt train` / `fastopt predict` on Vowpal Wabbit text: VW's flags,
stdin and gzip, interactions (VW's and a libsvm field map), losses,
weights, and bad input (one FILE:LINE line, exit 2)."""
import gzip
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from fastopt import cli, online
from fastopt.libsvm import dump_libsvm, load_libsvm
from fastopt.vw import load_vw
from cli_helpers import golden, logloss, run

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "vw")
TRAIN, TEST = os.path.join(GOLDEN, "train.vw.gz"), os.path.join(GOLDEN, "test.vw.gz")


@pytest.fixture(scope="module")
def plain_train(tmp_path_factory):
    path = tmp_path_factory.mktemp("vw") / "train.txt"
    path.write_bytes(gzip.decompress(open(TRAIN, "rb").read()))
    return str(path)


def first_column(text):
    """The predictions of `fastopt predict` output: the first field of
    each line (a tagged row's line goes on with its tag, as VW's -p)."""
    return np.array([line.split(" ", 1)[0] for line in text.splitlines()], dtype=float)


@pytest.mark.parametrize("flags, run_name", [([], "linear"), (["-q", "ab"], "q_ab"),
                                             (["-q", "::"], "q_all"),
                                             (["--interactions", "abc"], "cubic"),
                                             (["-q", "ba", "-q", "ab", "--interactions",
                                               "bab"], "dups"),
                                             (["-q", "ab", "--l1", "0.5", "--l2", "2"],
                                              "l1_l2")])
def test_cli_equals_vw(tmp_path, capsys, flags, run_name):
    """VW's pipeline, VW's flags: the holdout logloss of `fastopt predict`
    equals VW's --ftrl on the same file within 1e-5 (contract: 0.002)."""
    m, p = str(tmp_path / "m"), str(tmp_path / "p")
    code, out, err = run(["train", TRAIN, "-b", "18", "--alpha", "0.05", "--beta", "1",
                          "-f", m, "--quiet"] + flags, capsys)
    assert code == 0, err
    assert "(vw, 18 bits)" in out and "importance weight:" in out
    code, out, err = run(["predict", m, TEST, "-p", p, "--quiet"], capsys)
    assert code == 0, err
    _, yt, _, _ = load_vw(TEST)
    pred = first_column(open(p).read())
    g = golden(run_name)
    assert abs(logloss(yt, pred) - g["test_logloss"]) < 1e-5
    np.testing.assert_allclose(pred, 1 / (1 + np.exp(-np.array(g["test_margins"]))),
                               atol=1e-6)


def test_stdin_gzip_and_plain_give_one_model(tmp_path, capsys, monkeypatch, plain_train):
    """`zcat | fastopt train -`, `fastopt train` with no FILE on gzip stdin,
    the gzip file and the plain file: the same model."""
    coefs = []
    raw = open(TRAIN, "rb").read()
    for k, (argv, stdin) in enumerate([([TRAIN], None), ([plain_train], None),
                                       (["-"], gzip.decompress(raw)), ([], raw)]):
        m = str(tmp_path / f"m{k}")
        code, out, err = run(["train"] + argv + ["-q", "ab", "-f", m, "--quiet"], capsys,
                             stdin, monkeypatch)
        assert code == 0, err
        coefs.append(online.load(m).coef_)
    for c in coefs[1:]:
        np.testing.assert_array_equal(c, coefs[0])


def test_predictions_to_stdout_summary_to_stderr(tmp_path, capsys, monkeypatch):
    m = str(tmp_path / "m")
    assert run(["train", TRAIN, "-q", "ab", "-f", m, "--quiet"], capsys)[0] == 0
    code, out, err = run(["predict", m, TEST, "-p", "-", "--quiet"], capsys)
    assert code == 0 and "predicted 5000 rows" in err
    from_stdout = first_column(out)
    assert from_stdout.shape == (5000,)
    # no -p: stdout too; FILE from stdin, unlabeled lines accepted
    lines = gzip.decompress(open(TEST, "rb").read()).decode().splitlines()
    unlabeled = "\n".join("|" + line.split("|", 1)[1] for line in lines) + "\n"
    code, out, err = run(["predict", m, "--quiet"], capsys, unlabeled.encode(),
                         monkeypatch)
    assert code == 0, err
    np.testing.assert_array_equal(first_column(out), from_stdout)
    # training refuses unlabeled lines
    code, out, err = run(["train", "-", "-f", m, "--quiet"], capsys, unlabeled.encode(),
                         monkeypatch)
    assert code == 2 and err == "fastopt train: error: -:1: no label (unlabeled " \
        "examples are accepted only for prediction)\n"


BAD = {
    "bad label": ("x |a f", "bad label 'x': not a number"),
    "label not binary": ("3 |a f", "bad label '3': expected 0/1 or -1/+1"),
    "bad weight": ("1 w |a f", "bad importance weight 'w'"),
    "negative weight": ("1 -1 |a f", "bad importance weight '-1'"),
    "namespace without name": ("1 |:1 f", "bad namespace '|:1'"),
    "bad namespace scale": ("1 |a:z f", "bad namespace 'a:z'"),
    "bad feature value": ("1 |a f:1x", "bad feature 'f:1x'"),
    "nan feature value": ("1 |a f:nan", "bad feature 'f:nan': value is not finite"),
    # VW's initial prediction (third field) is read; a bad one is refused
    "bad initial prediction": ("1 2 nope |a f", "bad initial prediction 'nope'"),
    "infinite initial prediction": ("1 2 inf |a f", "bad initial prediction 'inf'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_vw_input_is_one_line_file_line_exit_2(tmp_path, capsys, case):
    line, reason = BAD[case]
    path = tmp_path / "bad.vw"
    path.write_text("1 |a ok\n-1 |b fine\n" + line + "\n")
    code, out, err = run(["train", str(path), "-f", str(tmp_path / "m"), "--quiet"],
                         capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"fastopt train: error: {path}:3: {reason}")


def test_usage_errors(tmp_path, capsys):
    m = str(tmp_path / "m")
    svm = tmp_path / "d.svm"
    svm.write_text("1 0:1 3:1\n0 1:1\n")
    for argv, msg in (
            (["train", TRAIN, "-q", "abcd", "-f", m], "-q abcd: expected two namespace"),
            (["train", TRAIN, "--field-map", "a=0-3", "-f", m], "--field-map is for libsvm"),
            (["train", str(svm), "-q", "ab", "-f", m], "need --field-map"),
            (["train", str(svm), "--field-map", "ab=0-3", "-q", "ab", "-f", m],
             "one-character namespace"),
            (["train", TRAIN, "--model", "rda", "--loss", "squared", "-f", m],
             "--model rda takes --loss logistic or hinge"),
            (["train", "-", "--class-weight", "balanced", "-f", m], "first read of FILE"),
            (["train", TRAIN, "--class-weight", "2:1", "-f", m], "label 0/1"),
            (["train", TRAIN, "-b", "20", "--n-features", "100", "-f", m], "not both"),
            (["train", TRAIN, "--loss", "quantile", "--quantile-tau", "1.5", "-f", m],
             "--quantile-tau must be in (0, 1)"),
            (["train", str(svm), "--format", "vw", "-f", m], ":1: bad importance weight")):
        code, out, err = run(argv + ["--quiet"], capsys)
        assert code == 2 and msg in err and err.count("\n") == 1, (argv, err)


def test_libsvm_field_map_crosses_as_the_estimator(tmp_path, capsys):
    rng = np.random.default_rng(0)
    import scipy.sparse as sp
    X = sp.random(2000, 40, density=0.1, format="csr", random_state=0,
                  data_rvs=lambda k: np.ones(k))
    y = (X @ rng.standard_normal(40) + rng.standard_normal(2000) > 0).astype(float)
    path = str(tmp_path / "d.svm")
    dump_libsvm(X, y, path)
    fmap = tmp_path / "fields.txt"
    fmap.write_text("# namespace ids\na 0-19\nb 20-29 35-39\n")
    m = str(tmp_path / "m")
    for spec in (str(fmap), "a=0-19,b=20-29 35-39"):
        code, out, err = run(["train", path, "--n-features", "64", "--field-map", spec,
                              "-q", "ab", "-q", "bb", "-f", m, "--quiet"], capsys)
        assert code == 0, err
        Xl, yl = load_libsvm(path, 64)
        ref = online.FTRLClassifier(interactions=["ab", "bb"],
                                    fields={"a": [[0, 20]], "b": [[20, 30], [35, 40]]})
        ref.partial_fit(Xl, yl, classes=[0, 1])
        np.testing.assert_allclose(online.load(m).coef_, ref.coef_, rtol=1e-12)
    code, out, err = run(["predict", m, path, "-p", str(tmp_path / "p"), "--quiet"], capsys)
    assert code == 0, err
    np.testing.assert_allclose(np.loadtxt(tmp_path / "p"), ref.predict_proba(Xl)[:, 1],
                               rtol=1e-8)


@pytest.mark.parametrize("loss", ["squared", "quantile", "poisson", "hinge"])
def test_losses_on_the_command_line(tmp_path, capsys, loss):
    rng = np.random.default_rng(1)
    n = 1500
    lines, ys = [], []
    for i in range(n):
        u, v = rng.integers(0, 20), rng.random()
        if loss == "hinge":
            yv = 1 if (u % 2) ^ (v > 0.5) else -1
        elif loss == "poisson":
            yv = int(rng.poisson(np.exp(0.05 * (u % 5) + v)))
        else:
            yv = round(0.1 * (u % 5) + v + 0.1 * rng.standard_normal(), 4)
        ys.append(yv)
        lines.append(f"{yv} |a u{u} |b v:{v:.4f}")
    path = tmp_path / "r.vw"
    path.write_text("\n".join(lines) + "\n")
    m, p = str(tmp_path / "m"), str(tmp_path / "p")
    code, out, err = run(["train", str(path), "--loss", loss, "-f", m, "--holdout", "0.2",
                          "--quiet"], capsys)
    assert code == 0, err
    name = "hinge loss" if loss == "hinge" else f"{loss} loss"
    assert re.search(rf"holdout {name}: +\d", out), out
    code, out, err = run(["predict", m, str(path), "-p", p, "--quiet"], capsys)
    assert code == 0, err
    X, y, w, ns = load_vw(str(path), binary=loss == "hinge", constant=True)
    est = online.load(m)
    np.testing.assert_allclose(np.loadtxt(p), est.predict(X, namespaces=ns)
                               if loss != "hinge" else est.decision_function(X, namespaces=ns),
                               rtol=1e-8)


def test_class_weight_and_importance_weights_multiply(tmp_path, capsys):
    path = tmp_path / "w.vw"
    path.write_text("1 2 |a x\n-1 |a y\n-1 0.5 |a x y\n1 |a y\n" * 50)
    m = str(tmp_path / "m")
    code, out, err = run(["train", str(path), "--class-weight", "0:3,1:1", "-f", m,
                          "--quiet"], capsys)
    assert code == 0, err
    X, y, w, ns = load_vw(str(path), constant=True)     # VW's bias, as the CLI
    ref = online.FTRLClassifier(fit_intercept=False).partial_fit(
        X, y, classes=[0, 1], sample_weight=w * np.where(y == 0, 3, 1))
    np.testing.assert_array_equal(online.load(m).coef_, ref.coef_)


def test_subprocess_pipeline(tmp_path):
    """The installed command in a shell pipeline: zcat | fastopt train - ...;
    fastopt predict MODEL - < test > PRED."""
    m = str(tmp_path / "m")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(cli.__file__)))]
        + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    kw = dict(cwd=tempfile.gettempdir(), capture_output=True, env=env, timeout=120,
              shell=True)
    py = sys.executable
    r = subprocess.run(f"gzip -dc {TRAIN} | {py} -m fastopt.cli train - -q ab -b 18 "
                       f"--alpha 0.05 -f {m}", **kw)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(f"gzip -dc {TEST} | {py} -m fastopt.cli predict {m} -", **kw)
    assert r.returncode == 0, r.stderr
    _, yt, _, _ = load_vw(TEST)
    pred = first_column(r.stdout.decode() if isinstance(r.stdout, bytes) else r.stdout)
    assert abs(logloss(yt, pred) - golden("q_ab")["test_logloss"]) < 1e-5


def test_noconstant_fits_no_bias(tmp_path, capsys):
    m = str(tmp_path / "m")
    code, out, err = run(["train", TRAIN, "--noconstant", "-f", m, "--quiet"], capsys)
    assert code == 0, err
    assert "VW's constant" not in out
    est = online.load(m)
    assert online.load_info(m) == {"hash": False, "format": "vw", "bits": 18,
                                    "constant": False, "rows_read": 30000}
    assert est.fit_intercept is False and est.coef_[0, 11650396 % (1 << 18)] == 0.0
    code, out, err = run(["train", TRAIN, "-f", m, "--quiet"], capsys)
    assert "VW's constant feature" in out
    assert online.load(m).coef_[0, 11650396 % (1 << 18)] != 0.0


def test_predict_keeps_the_training_format(tmp_path, capsys):
    m = str(tmp_path / "m")
    assert run(["train", TRAIN, "-f", m, "--quiet"], capsys)[0] == 0
    code, out, err = run(["predict", m, TEST, "--format", "libsvm", "--quiet"], capsys)
    assert code == 2 and "was trained on vw input" in err and err.count("\n") == 1


def test_balanced_class_weight_counts_the_file(tmp_path, capsys):
    m = str(tmp_path / "m")
    code, out, err = run(["train", TRAIN, "--class-weight", "balanced", "-f", m,
                          "--quiet"], capsys)
    assert code == 0, err
    X, y, w, ns = load_vw(TRAIN, constant=True)
    counts = np.bincount(y.astype(int))
    ref = online.FTRLClassifier(fit_intercept=False, class_weight="balanced")
    ref.fit(X, y, sample_weight=w, namespaces=ns)
    np.testing.assert_allclose(online.load(m).coef_, ref.coef_, rtol=1e-12, atol=1e-15)
    assert online.load(m).class_weight == [[0, len(y) / (2 * counts[0])],
                                           [1, len(y) / (2 * counts[1])]]
