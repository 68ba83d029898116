"""`fastopt train -p`: progressive predictions (each row's prediction made
before the model learns on it, VW's -p while training), `--link`, and
`-t` on a multi-class model.

References: Vowpal Wabbit's own -p output (tests/golden/vw/progressive.json.gz,
recorded by tests/record_golden_vw_progressive.py), the plain-Python FTRL
twin of tests/reference_online.py (held-out rows, early stopping), and
scikit-learn's log_loss / accuracy_score (multi-class -t)."""
import gzip
import json
import math
import os

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt.libsvm import dump_libsvm
from fastopt.online import FTRLClassifier
from fastopt.vw import load_vw
from cli_helpers import GOLDEN_VW, run
from reference_online import FTRLTwin, RDATwin

with gzip.open(os.path.join(GOLDEN_VW, "progressive.json.gz")) as _f:
    VW = json.load(_f)["runs"]
# VW writes 6 decimals: 5e-7 of rounding, the rest is float32 vs float64
ATOL = 2e-6
FTRL = ["--alpha", "0.05", "--beta", "1", "-b", "18", "--quiet"]


def data(name):
    return os.path.join(GOLDEN_VW, f"{name}.vw.gz")


def parse(lines):
    """(values, tags) of -p lines 'value' / 'value tag'."""
    parts = [line.split(" ", 1) for line in lines]
    return (np.array([float(p[0]) for p in parts]),
            [p[1] if len(p) > 1 else None for p in parts])


def assert_as_vw(path, run_name):
    """The -p file at `path` is VW's run `run_name`: as many lines, the
    same tags, values within ATOL."""
    got, got_tags = parse(open(path).read().splitlines())
    want, want_tags = parse(VW[run_name]["pred_lines"])
    assert got.shape == want.shape
    assert got_tags == want_tags
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)


def train(capsys, argv):
    code, out, err = run(["train"] + argv, capsys)
    assert code == 0, err
    return out, err


def summary(out):
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


# -- progressive predictions against VW ---------------------------------------

@pytest.mark.parametrize("flags, run_name", [
    (["--raw"], "identity"), (["--link", "identity"], "identity"),
    ([], "logistic"),                       # the logistic loss's default: P(y = 1)
    (["--link", "logistic"], "logistic"), (["--link", "glf1"], "glf1"),
    (["--link", "poisson"], "poisson_link")])
def test_progressive_predictions_equal_vw(tmp_path, capsys, flags, run_name):
    """Every training row's prediction before its update, through each of
    VW's links, tags after the value: VW's -p lines."""
    p = str(tmp_path / "p")
    train(capsys, [data("prog_train"), "-f", str(tmp_path / "m"), "-p", p] + flags + FTRL)
    assert_as_vw(p, run_name)


def test_passes_over_the_cache_write_every_pass(tmp_path, capsys):
    """--passes 3: VW writes every pass's predictions (2000 x 3 lines), the
    tags of passes 2 and 3 from its cache; so does fastopt, whether pass 1
    parses the text or reads a valid --cache-file of an earlier run."""
    cache = str(tmp_path / "cache")
    for k in range(2):
        p = str(tmp_path / f"p{k}")
        out, _ = train(capsys, [data("prog_train"), "-q", "ab", "--passes", "3", "--raw",
                                "-f", str(tmp_path / "m"), "-p", p, "--cache-file", cache]
                       + FTRL)
        assert_as_vw(p, "q_ab_passes3")
        assert summary(out)["saved"].strip() == str(tmp_path / "m")


def test_continued_model_predicts_as_vw_with_i(tmp_path, capsys):
    """-i: VW continues its saved model (with its FTRL state); the
    progressive predictions of the second file are VW's."""
    lines = gzip.decompress(open(data("prog_train"), "rb").read()).decode().splitlines()
    a, b = tmp_path / "a.vw", tmp_path / "b.vw"
    a.write_text("\n".join(lines[:1000]) + "\n")
    b.write_text("\n".join(lines[1000:]) + "\n")
    m1, p = str(tmp_path / "m1"), str(tmp_path / "p")
    train(capsys, [str(a), "-f", m1] + FTRL)
    train(capsys, [str(b), "-i", m1, "-f", str(tmp_path / "m2"), "-p", p, "--raw",
                   "--quiet"])
    assert_as_vw(p, "continued")


def test_initial_predictions_are_in_the_margin(tmp_path, capsys):
    """Rows with VW's initial prediction: it is part of the prediction."""
    p = str(tmp_path / "p")
    train(capsys, [data("prog_base"), "-q", "ab", "--raw", "-f", str(tmp_path / "m"),
                   "-p", p] + FTRL)
    assert_as_vw(p, "initial")


@pytest.mark.parametrize("loss", ["poisson", "squared"])
def test_regression_losses_equal_vw(tmp_path, capsys, loss):
    """--loss poisson: the default output is exp(m), VW's --link poisson;
    --loss squared: the margin, VW's (which trains with the gradient
    2 (m - y) as the CLI does)."""
    p = str(tmp_path / "p")
    train(capsys, [data("prog_counts"), "--loss", loss, "-f", str(tmp_path / "m"),
                   "-p", p] + FTRL)
    assert_as_vw(p, loss)


@pytest.mark.parametrize("link", ["identity", "logistic", "glf1"])
@pytest.mark.parametrize("cmd", ["predict", "train"])
def test_test_only_links_equal_vw(tmp_path, capsys, cmd, link):
    """-t -i MODEL -p --link: VW's test-only predictions through each link."""
    m, p = str(tmp_path / "m"), str(tmp_path / "p")
    train(capsys, [data("prog_train"), "-f", m] + FTRL)
    argv = ([cmd, "-t", "-i", m, data("prog_test"), "-p", p, "--link", link,
             "--quiet"])
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert_as_vw(p, f"test_{link}")


def test_predict_defaults_unchanged(tmp_path, capsys):
    """predict writes probabilities by default and --raw margins, as before
    --link: VW's --link logistic and identity."""
    m, p, q = str(tmp_path / "m"), str(tmp_path / "p"), str(tmp_path / "q")
    train(capsys, [data("prog_train"), "-f", m] + FTRL)
    assert run(["predict", m, data("prog_test"), "-p", p, "--quiet"], capsys)[0] == 0
    assert run(["predict", m, data("prog_test"), "-p", q, "--raw", "--quiet"],
               capsys)[0] == 0
    assert_as_vw(p, "test_logistic")
    assert_as_vw(q, "test_identity")


# -- held-out rows, early stopping, threads: the FTRL twin -------------------

def _held(n, fraction):
    """Rows held out by --holdout (README: r * 0x9E3779B97F4A7C15 mod 2**64
    below fraction * 2**64), written from the formula."""
    return np.array([(r * 0x9E3779B97F4A7C15) % 2**64 < int(fraction * 2.0**64)
                     for r in range(n)])


def _twin_passes(path, passes, fraction, model="ftrl"):
    """Per pass: every row's margin before its update (a held-out row's
    under the model where it stands, not learned), and the holdout's
    mean log loss after the pass (as the CLI trains VW text: the constant
    feature is the bias, importance weights as read)."""
    X, y, w, _ns = load_vw(path, constant=True)
    w = np.ones(X.shape[0]) if w is None else w
    held = _held(X.shape[0], fraction)
    twin = (FTRLTwin(X.shape[1], 0.05, 1.0, 0.0, 0.0, fit_intercept=False)
            if model == "ftrl" else RDATwin(X.shape[1], 0.01, 1.0, fit_intercept=False))
    preds, losses = [], []
    for _ in range(passes):
        out = np.empty(X.shape[0])
        for r in range(X.shape[0]):
            out[r] = twin.decision_function(X[r])[0]
            if not held[r]:
                twin.fit(X[r], y[r:r + 1], sample_weight=w[r:r + 1])
        preds.append(out)
        m = twin.decision_function(X[held])
        s = 2 * y[held] - 1
        losses.append(float(np.sum(w[held] * np.logaddexp(0, -s * m)) / w[held].sum()))
    return preds, losses


@pytest.fixture(scope="module")
def small_vw(tmp_path_factory):
    lines = gzip.decompress(open(data("prog_train"), "rb").read()).decode().splitlines()
    path = tmp_path_factory.mktemp("prog") / "small.vw"
    path.write_text("\n".join(lines[:300]) + "\n")
    return str(path)


@pytest.mark.parametrize("model", ["ftrl", "rda"])
def test_held_out_rows_are_predicted_in_place(tmp_path, capsys, small_vw, model):
    """--holdout with -p, over 2 passes and blocks of a few rows: a line
    for every row of every pass; a held-out row's is the model's where the
    row stands, made by the C loop, which learns nothing from it (RDA's
    step count t stays) -- the twin's, which learns only the other rows."""
    want, _ = _twin_passes(small_vw, 2, 0.3, model)
    p = str(tmp_path / "p")
    flags = FTRL if model == "ftrl" else ["--model", "rda", "--l1", "0.01", "-b", "18",
                                          "--quiet"]
    train(capsys, [small_vw, "--holdout", "0.3", "--passes", "2", "--raw", "-f",
                   str(tmp_path / "m"), "-p", p, "--chunk-bytes", "700"] + flags)
    got, _ = parse(open(p).read().splitlines())
    np.testing.assert_allclose(got, np.concatenate(want), rtol=2e-8, atol=1e-12)   # %.9g


def test_early_terminate_writes_the_passes_run(tmp_path, capsys, small_vw):
    """--early-terminate: the predictions of every pass run (VW writes the
    passes it ran), the twin's for those passes; the pass it stopped after
    is where the twin's holdout loss last failed to improve."""
    want, losses = _twin_passes(small_vw, 12, 0.3)
    best, stop = 0, len(losses)
    for k in range(1, len(losses)):
        if losses[k] < losses[best]:
            best = k
        elif k - best >= 1:
            stop = k + 1
            break
    assert stop < 12            # the data over-fit: early stopping is exercised
    p = str(tmp_path / "p")
    out, _ = train(capsys, [small_vw, "--holdout", "0.3", "--passes", "12",
                            "--early-terminate", "1", "--raw", "-f", str(tmp_path / "m"),
                            "-p", p] + FTRL)
    assert f"after pass {stop} of 12" in out
    got, _ = parse(open(p).read().splitlines())
    np.testing.assert_allclose(got, np.concatenate(want[:stop]), rtol=2e-8, atol=1e-12)   # %.9g


@pytest.mark.parametrize("loss, twin_loss", [("squared", "squared_vw"),
                                              ("quantile", "quantile")])
def test_regressor_progressive_margins_equal_twin(tmp_path, capsys, loss, twin_loss):
    """The regression losses (their margins are computed for -p only): each
    row's margin before its update is the twin's, which trains with VW's
    squared-loss gradient 2 (m - y) as the CLI does."""
    lines = gzip.decompress(open(data("prog_counts"), "rb").read()).decode().splitlines()
    path = tmp_path / "counts.vw"
    path.write_text("\n".join(lines[:400]) + "\n")
    X, y, w, _ = load_vw(str(path), binary=False, constant=True)
    twin = FTRLTwin(X.shape[1], 0.05, 1.0, 0.0, 0.0, fit_intercept=False, loss=twin_loss)
    want = np.empty(X.shape[0])
    for r in range(X.shape[0]):
        want[r] = twin.decision_function(X[r])[0]
        twin.fit(X[r], y[r:r + 1])
    p = str(tmp_path / "p")
    train(capsys, [str(path), "--loss", loss, "-f", str(tmp_path / "m"), "-p", p,
                   "--chunk-bytes", "3000"] + FTRL)
    got, _ = parse(open(p).read().splitlines())
    np.testing.assert_allclose(got, want, rtol=2e-8, atol=1e-12)   # %.9g


def test_threads_keep_rows_in_order(tmp_path, capsys):
    """--n-threads 2 (Hogwild) with -p, --holdout and the reader thread: a
    line for every row in input order (VW's tags where VW has them), each
    a prediction made before its row's update -- not reproducible bit for
    bit, but as good as VW's sequential ones."""
    p = str(tmp_path / "p")
    train(capsys, [data("prog_train"), "--n-threads", "2", "--raw", "-f",
                   str(tmp_path / "m"), "-p", p, "--chunk-bytes", "20000",
                   "--holdout", "0.1"] + FTRL)
    got, tags = parse(open(p).read().splitlines())
    want, want_tags = parse(VW["identity"]["pred_lines"])
    assert tags == want_tags and np.all(np.isfinite(got))
    _, y, w, _ = load_vw(data("prog_train"))
    s = 2 * y - 1

    def loss(m):
        return float(np.sum(w * np.logaddexp(0, -s * m)) / w.sum())
    assert abs(loss(got) - loss(want)) < 0.01


def test_no_p_trains_the_same_model(tmp_path, capsys):
    """-p only writes: the model saved with it is the model saved without."""
    from fastopt import online
    m1, m2 = str(tmp_path / "m1"), str(tmp_path / "m2")
    argv = [data("prog_train"), "-q", "ab", "--holdout", "0.2", "--passes", "2"] + FTRL
    train(capsys, argv + ["-f", m1])
    train(capsys, argv + ["-f", m2, "-p", str(tmp_path / "p")])
    np.testing.assert_array_equal(online.load(m1)._state["state"],
                                  online.load(m2)._state["state"])


def test_predictions_on_stdout_summary_on_stderr(tmp_path, capsys):
    code, out, err = run(["train", data("prog_train"), "-f", str(tmp_path / "m"), "-p",
                          "-", "--raw"] + FTRL, capsys)
    assert code == 0, err
    got, _ = parse(out.splitlines())
    np.testing.assert_allclose(got, parse(VW["identity"]["pred_lines"])[0], atol=ATOL)
    assert "rows:" in err


# -- errors: one line, exit 2, no output left behind --------------------------

@pytest.mark.parametrize("extra, msg", [
    (["--raw"], "--raw goes with -p PRED"),
    (["--link", "glf1"], "--link goes with -p PRED"),
    (["-p", "P", "--raw", "--link", "logistic"], "--raw and --link logistic exclude"),
    (["-p", "M"], "-p M and -f M are the same output"),
    (["-p", "-", "-f", "-"], "-p - and -f - are the same output"),
    (["-p", "FILE"], "-p FILE is the same file as FILE"),
    (["-p", "P", "--dask", "local:1"], "-p does not go with --dask"),
    (["-p", "P", "--link", "identity", "--dask", "local:1"], "-p does not go with --dask"),
    (["--link", "identity", "--dask", "local:1"], "--link does not go with --dask"),
    (["-p", "P", "--link", "nope"], "--link: invalid choice"),
])
def test_bad_combinations(tmp_path, capsys, extra, msg):
    path = str(tmp_path / "d.vw")
    open(path, "w").write("1 |a x\n-1 |a y\n")
    subst = {"P": str(tmp_path / "P"), "M": str(tmp_path / "M"), "FILE": path}
    argv = ["train", path] + ([] if "-f" in extra else ["-f", str(tmp_path / "M")])
    argv += [subst.get(a, a) for a in extra]
    code, out, err = run(argv, capsys)
    if "nope" in extra:                   # argparse's usage and message
        assert code == 2 and msg in err
        return
    msg = msg.replace(" M ", f" {subst['M']} ").replace("-p FILE", f"-p {path}") \
        .replace("as FILE", f"as FILE {path}")
    assert code == 2 and err.count("\n") == 1 and msg in err, err
    assert not os.path.exists(subst["P"]) and not os.path.exists(subst["M"])


@pytest.mark.parametrize("extra, msg", [
    (["--raw", "--link", "glf1"], "--raw and --link glf1 exclude each other"),
    (["--probabilities", "--link", "logistic"],
     "--probabilities and --link logistic exclude each other")])
def test_predict_bad_link_combinations(tmp_path, capsys, extra, msg):
    m, p = str(tmp_path / "m"), str(tmp_path / "p")
    train(capsys, [data("prog_train"), "-f", m] + FTRL)
    code, out, err = run(["predict", m, data("prog_test"), "-p", p] + extra, capsys)
    assert code == 2 and err.count("\n") == 1 and msg in err, err
    assert not os.path.exists(p)


def test_failure_mid_file_leaves_no_predictions(tmp_path, capsys):
    """A bad line at row 150: exit 2 naming FILE:LINE; the -p file is not
    created, and an existing one is left as it was."""
    lines = gzip.decompress(open(data("prog_train"), "rb").read()).decode().splitlines()
    path = tmp_path / "bad.vw"
    path.write_text("\n".join(lines[:149] + ["1 |a f:1x"] + lines[150:300]) + "\n")
    p = tmp_path / "p"
    for before in (None, "old predictions\n"):
        if before is not None:
            p.write_text(before)
        code, out, err = run(["train", str(path), "-f", str(tmp_path / "m"), "-p", str(p),
                              "--chunk-bytes", "2000"] + FTRL, capsys)
        assert code == 2 and f"{path}:150:" in err and err.count("\n") == 1
        assert (not p.exists()) if before is None else p.read_text() == before
        assert not (tmp_path / "m").exists()


# -- -t on a multi-class (one-vs-rest) model ----------------------------------

def _multiclass(n=500, d=60, k=4, seed=5):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.1, format="csr", random_state=seed,
                  data_rvs=lambda m: rng.standard_normal(m))
    c = np.argmax(X @ rng.standard_normal((d, k)) + 0.5 * rng.standard_normal((n, k)),
                  axis=1) + 1                      # classes 1..k, as VW's --oaa
    return X, c


@pytest.mark.parametrize("cmd", [["predict", "-t"], ["train", "-t", "-i"]])
def test_multiclass_test_only_equals_sklearn(tmp_path, capsys, cmd):
    """-t on a K-class model: the multi-class log loss and the accuracy of
    the labeled rows are scikit-learn's log_loss / accuracy_score of the
    model's predict_proba / predict; the -p lines are the predicted
    classes, as predict writes them."""
    from sklearn.metrics import accuracy_score, log_loss
    X, c = _multiclass()
    est = FTRLClassifier(alpha=0.5).fit(X[:300], c[:300])
    m, d, p = str(tmp_path / "m.npz"), str(tmp_path / "d.svm"), str(tmp_path / "p")
    est.save(m, info={"hash": False})
    dump_libsvm(X[300:], c[300:].astype(float), d, labels="raw")
    code, out, err = run(cmd + [m, d, "-p", p, "--quiet"], capsys)
    assert code == 0, err
    got = summary(out)
    Xt, ct = X[300:], c[300:]
    assert int(got["labeled rows"]) == 200
    assert math.isclose(float(got["test logloss"].split()[0]),
                        log_loss(ct, est.predict_proba(Xt), labels=est.classes_),
                        rel_tol=0, abs_tol=2e-6)
    assert math.isclose(float(got["test accuracy"]),
                        accuracy_score(ct, est.predict(Xt)), abs_tol=1e-6)
    assert open(p).read().splitlines() == [str(v) for v in est.predict(Xt).tolist()]


def test_multiclass_test_only_refusals(tmp_path, capsys):
    """A label that is not one of the model's classes: FILE, row and label,
    exit 2; --link other than identity on a multi-class model: one line."""
    X, c = _multiclass()
    est = FTRLClassifier().fit(X, c)
    m, d = str(tmp_path / "m.npz"), str(tmp_path / "d.svm")
    est.save(m, info={"hash": False})
    bad = c.astype(float)
    bad[7] = 9.0
    dump_libsvm(X, bad, d, labels="raw")
    code, out, err = run(["predict", "-t", m, d, "-p", str(tmp_path / "p"), "--quiet"],
                         capsys)
    assert code == 2 and f"{d}: row 8: label 9 is not one of the model's classes" in err
    assert err.count("\n") == 1 and not (tmp_path / "p").exists()
    code, out, err = run(["predict", m, d, "--link", "logistic"], capsys)
    assert code == 2 and "--link logistic: a multi-class" in err
    code, out, err = run(["predict", m, d, "--link", "identity", "--quiet"], capsys)
    assert code == 0, err
    got = np.array([[float(v) for v in line.split()] for line in out.splitlines()])
    np.testing.assert_allclose(got, est.decision_function(X), rtol=1e-8, atol=1e-12)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_full_disk_fails_before_the_model_is_saved(tmp_path, capsys):
    """-p /dev/full (written straight through): exit 2 naming -p's path,
    and no model saved."""
    m = tmp_path / "m"
    for threads in ([], ["--no-reader-thread"]):
        code, out, err = run(["train", data("prog_train"), "-f", str(m), "-p", "/dev/full"]
                             + threads + FTRL, capsys)
        assert code == 2 and err == ("fastopt train: error: cannot write /dev/full: "
                                     "No space left on device\n")
        assert not m.exists()


def test_write_behind_order_errors_abort():
    """fastopt._training.WriteBehind: items consumed in order; a consumer's
    error raised by the next put or by close; abort drops the rest."""
    from fastopt._training import WriteBehind
    got = []
    w = WriteBehind(got.append, depth=1)
    for k in range(50):
        w.put(k)
    w.close()
    assert got == list(range(50))

    def fail(k):
        if k == 3:
            raise OSError("disk full")
        got.append(k)
    got.clear()
    w = WriteBehind(fail)
    with pytest.raises(OSError, match="disk full"):
        for k in range(1000):
            w.put(k)
        w.close()
    w.abort()
    assert got == [0, 1, 2]
    w = WriteBehind(fail)
    w.put(3)
    w.abort()                 # the error is dropped with the thread
    w.close()


@pytest.mark.parametrize("n_threads", [1, 2])
def test_partial_fit_held_rows_in_the_c_loop(n_threads):
    """The estimator's side of it: _partial_fit(held=mask, margins=True)
    learns only the rows not held, predicts the held ones where they stand
    (one C call: `order` entries ~r), and counts only the rows learned --
    the FTRL twin's margins and weights (n_threads 2 on a model without
    shared coordinates between the two halves' rows is exact too); an
    order entry outside [-n, n) is refused."""
    from fastopt import _kernels
    rng = np.random.default_rng(2)
    n, d = 300, 40
    X = sp.random(n, d, density=0.2, format="csr", random_state=2,
                  data_rvs=lambda k: rng.standard_normal(k))
    if n_threads == 2:     # rows of the halves touch disjoint columns
        X = sp.csr_matrix(np.where(np.arange(n)[:, None] < n // 2,
                                   np.arange(d) < d // 2, np.arange(d) >= d // 2)
                          * X.toarray())
    y = (rng.random(n) < 0.4).astype(float)
    held = rng.random(n) < 0.25
    est = FTRLClassifier(alpha=0.3, fit_intercept=False, n_threads=n_threads)
    got = est._partial_fit(X, y, classes=[0.0, 1.0], margins=True, held=held)[:, 0]
    twin = FTRLTwin(d, 0.3, 1.0, 0.0, 0.0, fit_intercept=False)
    want = np.empty(n)
    for r in range(n):
        want[r] = twin.decision_function(X[r])[0]
        if not held[r]:
            twin.fit(X[r], y[r:r + 1])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:d], rtol=1e-12,
                               atol=1e-12)
    assert est.n_examples_seen_ == int((~held).sum())
    with pytest.raises(ValueError, match=r"order\[0\] = -301 is not a row of X"):
        est._model.fit(X.indptr, X.indices, X.data, y, np.array([-n - 1], np.int64), 1,
                       0.0)
