"""`fastopt train` / `fastopt predict`: the command line equals the Python
estimators on the same rows; holdout, hashing, errors (exit 2, FILE:LINE)."""
import gzip
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt import cli, online
from fastopt.libsvm import dump_libsvm, load_libsvm

D = 40


def make_data(seed=0, n=600, d=D):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.15, random_state=rng, format="csr")
    X.data = rng.standard_normal(X.nnz)
    w = rng.standard_normal(d) * 2
    y = (X @ w + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return X, y


@pytest.fixture
def data_file(tmp_path):
    X, y = make_data()
    path = str(tmp_path / "train.txt")
    dump_libsvm(X, y, path, labels="pm1", comment="generated")
    return path


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def summary(out):
    """The summary's 'key: value' lines as a dict."""
    return dict(re.match(r"([^:]+):\s+(.*)", line).groups()
                for line in out.strip().splitlines())


def read_pred(path):
    with open(path) as f:
        return np.array([float(line) for line in f])


def held_out(n, fraction):
    """The documented rule, in plain Python integers."""
    return np.array([(r * 0x9E3779B97F4A7C15) % 2**64 < fraction * 2**64
                     for r in range(n)])


def logloss(est, X, y):
    m = est.decision_function(X)
    return float(np.mean(np.logaddexp(0, -(2 * y - 1) * m)))


@pytest.mark.parametrize("model,flags,est", [
    ("ftrl", ["--alpha", "0.5", "--beta", "0.7", "--l1", "0.3", "--l2", "0.1"],
     lambda: online.FTRLClassifier(alpha=0.5, beta=0.7, l1=0.3, l2=0.1)),
    ("rda", ["--l1", "0.01", "--gamma", "2", "--rho", "0.001"],
     lambda: online.RDAClassifier(l1=0.01, gamma=2.0, rho=0.001)),
    ("ftrl", ["--no-intercept"], lambda: online.FTRLClassifier(fit_intercept=False)),
])
@pytest.mark.parametrize("passes", [1, 3])
def test_train_predict_equals_estimator(tmp_path, data_file, capsys, model,
                                        flags, est, passes):
    model_path = str(tmp_path / "model.bin")
    pred_path = str(tmp_path / "pred.txt")
    code, out, err = run(["train", data_file, "--model", model, *flags,
                          "--passes", str(passes), "--n-features", str(D),
                          "--output", model_path, "--quiet",
                          "--chunk-bytes", "700"], capsys)
    assert code == 0, err
    assert err == ""
    s = summary(out)
    assert s["rows"].endswith(f"= {600 * passes}")
    assert os.path.exists(model_path)            # the name given, no .npz added

    X, y = load_libsvm(data_file, D)
    ref = est()
    for _ in range(passes):
        ref.partial_fit(X, y, classes=[0, 1])
    loaded = online.load(model_path)
    np.testing.assert_allclose(loaded.coef_, ref.coef_, rtol=0, atol=1e-12)
    assert loaded.intercept_ == pytest.approx(ref.intercept_, abs=1e-12)
    p_ref = ref.predict_proba(X)[:, 1]
    np.testing.assert_allclose(loaded.predict_proba(X)[:, 1], p_ref, rtol=0,
                               atol=1e-12)
    assert float(s["progressive logloss"]) == pytest.approx(
        ref.progressive_loss_, abs=1e-6)
    assert s["non-zero weights"] == f"{np.count_nonzero(ref.coef_)} of {D}"

    code, out, err = run(["predict", model_path, data_file, "--output", pred_path,
                          "--quiet", "--chunk-bytes", "300"], capsys)
    assert code == 0, err
    with open(pred_path) as f:
        lines = f.read().splitlines()
    assert lines == ["%.9g" % v for v in p_ref]


def test_holdout(tmp_path, data_file, capsys):
    model_path = str(tmp_path / "m")
    code, out, err = run(["train", data_file, "--holdout", "0.2", "--passes", "2",
                          "--n-features", str(D), "-o", model_path, "--quiet",
                          "--chunk-bytes", "1000"], capsys)
    assert code == 0, err
    s = summary(out)
    X, y = load_libsvm(data_file, D)
    mask = held_out(X.shape[0], 0.2)
    assert 90 < mask.sum() < 150
    assert s["held out"].startswith(f"{mask.sum()} ")
    ref = online.FTRLClassifier()
    for _ in range(2):
        ref.partial_fit(X[~mask], y[~mask], classes=[0, 1])
    assert float(s["holdout logloss"]) == pytest.approx(
        logloss(ref, X[mask], y[mask]), abs=1e-6)
    np.testing.assert_allclose(online.load(model_path).coef_, ref.coef_, atol=1e-12)


def test_progress_lines_and_gzip(tmp_path, capsys):
    """stderr captured (not a terminal): full progress lines, no carriage
    return; --progress-interval 0 writes one per block."""
    X, y = make_data(1)
    path = str(tmp_path / "train.txt.gz")
    dump_libsvm(X, y, path)
    code, out, err = run(["train", path, "--n-features", str(D), "-o",
                          str(tmp_path / "m"), "--chunk-bytes", "2000",
                          "--progress-interval", "0"], capsys)
    assert code == 0, err
    assert "\r" not in err and err.endswith("\n")
    lines = err.splitlines()
    assert len(lines) > 3
    assert all("rows/s" in line and "progressive logloss" in line for line in lines)
    assert summary(out)["rows"].endswith("= 600")


class _FakeStream:
    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_on_a_terminal_rewrites_one_line():
    from fastopt.cli_online import _PROGRESS_EVERY, _Progress
    stream = _FakeStream(tty=True)
    p = _Progress(False, stream)
    assert p.interval == _PROGRESS_EVERY
    p.interval = 0.0
    p.update("10 rows  100 rows/s")
    p.update("20 rows")
    p.update("30 rows  300 rows/s  holdout logloss 0.5", force=True)
    p.done()
    assert stream.text == ("\r10 rows  100 rows/s" "\r20 rows" + " " * 12
                           + "\r30 rows  300 rows/s  holdout logloss 0.5\n")


def test_progress_in_a_log_writes_lines():
    from fastopt.cli_online import _PROGRESS_LOG_EVERY, _Progress
    stream = _FakeStream(tty=False)
    p = _Progress(False, stream)
    assert p.interval == _PROGRESS_LOG_EVERY
    p.update("not yet")                 # within the interval: nothing
    p.update("forced", force=True)
    p.interval = 0.0
    p.update("10 rows")
    p.done()
    p.update("holdout", force=True)
    p.done()
    assert stream.text == "forced\n10 rows\nholdout\n"
    quiet = _FakeStream(tty=False)
    q = _Progress(True, quiet, interval=0.0)
    q.update("x", force=True)
    q.done()
    assert quiet.text == ""
    # a stream without isatty (or a closed one) counts as a log
    assert _Progress(False, object()).tty is False


def test_progress_subprocess_log(tmp_path):
    """`fastopt train` with stderr a pipe: several full lines, no '\\r', the
    last with the holdout loss; a bad interval is a usage error."""
    X, y = make_data(4, n=3000)
    path = str(tmp_path / "train.txt")
    dump_libsvm(X, y, path)
    base = [sys.executable, "-m", "fastopt.cli", "train", path, "--n-features", str(D),
            "-o", str(tmp_path / "m"), "--chunk-bytes", "4000", "--holdout", "0.1"]
    kw = dict(cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=120)
    r = subprocess.run(base + ["--progress-interval", "0"], **kw)
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) >= 5, r.stderr
    assert all(re.match(r"pass 1/1  [\d,]+ rows  [\d,]+ rows/s  progressive logloss ", line)
               for line in lines), r.stderr
    assert "holdout logloss" in lines[-1] and "holdout" not in lines[-2]
    r = subprocess.run(base, **kw)     # default interval: only the forced lines
    assert r.returncode == 0 and len(r.stderr.splitlines()) == 2, r.stderr
    r = subprocess.run(base + ["--progress-interval", "-1"], **kw)
    assert r.returncode == 2 and "--progress-interval" in r.stderr


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_hash(tmp_path, capsys, index_dtype):
    rng = np.random.default_rng(3)
    X, y = make_data(2, d=5000)
    path = str(tmp_path / "wide.txt")
    dump_libsvm(X, y, path)
    model_path = str(tmp_path / "m")
    code, out, err = run(["train", path, "--n-features", "64", "-o", model_path,
                          "--quiet"], capsys)
    assert code == 2
    assert re.match(rf"fastopt train: error: {re.escape(path)}:\d+: feature id \d+ "
                    r">= n_features 64 \(pass --hash", err)
    code, out, err = run(["train", path, "--n-features", "64", "--hash", "-o",
                          model_path, "--quiet", "--l1", "0.5"], capsys)
    assert code == 0, err
    Xh, yh = load_libsvm(path, 64, hash=True, index_dtype=index_dtype)
    ref = online.FTRLClassifier(l1=0.5).partial_fit(Xh, yh, classes=[0, 1])
    np.testing.assert_allclose(online.load(model_path).coef_, ref.coef_, atol=1e-12)
    assert online.load_info(model_path) == {"hash": True, "rows_read": 600}
    pred = str(tmp_path / "p")
    # --no-hash overrides what the model file records: ids out of range
    code, out, err = run(["predict", model_path, path, "-o", pred, "--no-hash",
                          "--quiet"], capsys)
    assert code == 2 and "n_features 64 (the model's n_features)" in err
    assert not os.path.exists(pred)
    # by default predict folds the ids as training did (the model records it)
    for flags in ([], ["--hash"]):
        code, out, err = run(["predict", model_path, path, "-o", pred, "--quiet"]
                             + flags, capsys)
        assert code == 0, err
        np.testing.assert_allclose(read_pred(pred), ref.predict_proba(Xh)[:, 1],
                                   rtol=1e-8)


@pytest.mark.parametrize("bad,reason", [
    ("1 3:abc", "bad feature '3:abc': value is not a number"),
    ("3 1:1", "bad label '3'"),
    ("1 2 3:1", "missing ':'"),
])
def test_malformed_file_exit_2(tmp_path, data_file, capsys, bad, reason):
    with open(data_file) as f:
        lines = f.read().splitlines()
    lines.insert(300, bad)
    path = str(tmp_path / "bad.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    model_path = str(tmp_path / "m")
    code, out, err = run(["train", path, "--n-features", str(D), "-o", model_path,
                          "--quiet", "--chunk-bytes", "512"], capsys)
    assert code == 2
    assert err == f"fastopt train: error: {path}:301: {err.split(':301: ')[1]}"
    assert reason in err and err.count("\n") == 1
    assert not os.path.exists(model_path)
    # predict parses the labels too
    code, out, err = run(["train", data_file, "--n-features", str(D), "-o",
                          model_path, "--quiet"], capsys)
    assert code == 0
    code, out, err = run(["predict", model_path, path, "-o", str(tmp_path / "p"),
                          "--quiet"], capsys)
    assert code == 2 and f"{path}:301: " in err and reason in err
    # --skip-bad-lines trains on the rest
    code, out, err = run(["train", path, "--n-features", str(D), "-o", model_path,
                          "--quiet", "--skip-bad-lines"], capsys)
    assert code == 0
    assert summary(out)["skipped lines"] == "1"
    assert f"{path}:301:" in err and "warning" in err


def test_input_errors_exit_2(tmp_path, data_file, capsys):
    m = str(tmp_path / "m")
    missing = str(tmp_path / "missing.txt")
    cases = [
        (["train", missing, "-o", m], f"{missing}: no such file"),
        (["train", data_file, "--model", "ftrl", "--gamma", "2", "-o", m],
         "--gamma does not apply to --model ftrl"),
        (["train", data_file, "--model", "rda", "--alpha", "2", "-o", m],
         "--alpha does not apply to --model rda"),
        (["train", data_file, "--alpha", "-1", "-o", m], "alpha"),
        (["predict", missing, data_file, "-o", m], f"{missing}: no such file"),
        (["predict", data_file, data_file, "-o", m], "not a model"),
    ]
    for argv, message in cases:
        code, out, err = run(argv + ["--quiet"], capsys)
        assert code == 2, (argv, err)
        assert message in err and "Traceback" not in err, (argv, err)
        assert err.count("\n") == 1, err
    truncated = str(tmp_path / "t.gz")
    with open(truncated, "wb") as f:
        f.write(gzip.compress(open(data_file, "rb").read())[:500])
    code, out, err = run(["train", truncated, "-o", m, "--quiet"], capsys)
    assert code == 2 and truncated in err and err.count("\n") == 1
    # usage errors (argparse): exit 2 too
    code, out, err = run(["train", data_file], capsys)     # no model to write (not -t)
    assert code == 2 and "-f/--output MODEL is required" in err and err.count("\n") == 1
    for argv in (["train", data_file, "-o", m, "--holdout", "2"],
                 ["train", data_file, "-o", m, "--model", "sgd"]):
        code, out, err = run(argv, capsys)
        assert code == 2 and "usage" in err


def test_subprocess(tmp_path, data_file):
    """The installed command, run from elsewhere: train, predict, and an error."""
    m, p = str(tmp_path / "m"), str(tmp_path / "p")
    base = [sys.executable, "-m", "fastopt.cli"]
    kw = dict(cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=120)
    r = subprocess.run(base + ["train", data_file, "--n-features", str(D),
                               "--holdout", "0.1", "-o", m], **kw)
    assert r.returncode == 0, r.stderr
    assert "holdout logloss" in r.stdout and "rows/s" in r.stderr
    r = subprocess.run(base + ["predict", m, data_file, "-o", p, "--quiet"], **kw)
    assert r.returncode == 0, r.stderr
    assert read_pred(p).shape == (600,)
    bad = str(tmp_path / "bad.txt")
    with open(bad, "w") as f:
        f.write("1 0:1\n1 0:x\n")
    r = subprocess.run(base + ["train", bad, "-o", m], **kw)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        f"fastopt train: error: {bad}:2: bad feature '0:x': value is not a number")
    assert "Traceback" not in r.stderr
