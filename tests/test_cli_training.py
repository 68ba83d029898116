"""Training control in `fastopt train` / `fastopt predict` (issue 12 item 5):
-i continuation (bit-identical to one run), -t test-only (loss and AUC
against scikit-learn), --passes over the binary cache (the same model as
re-parsed text; stale / damaged caches rebuilt), per-pass holdout and
early stopping, --raw, --n-threads, stdin pipelines, VW's -q, and the
reader thread."""
import gzip
import os
import re
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from fastopt import cli, online
from fastopt._training import (CacheError, CacheReader, CacheWriter, binary_auc,
                               prefetch, source_fingerprint)
from fastopt.libsvm import dump_libsvm, load_libsvm
from fastopt.vw import VWReader
from cli_helpers import run


def summary(out):
    return dict(re.match(r"([^:]+):\s+(.*)", line).groups()
                for line in out.strip().splitlines() if ":" in line)


def vw_lines(n, seed=0, weights=True, noise=1.0):
    """VW text with namespaces a and b, a real a x b interaction, labels
    -1/+1 and (some) importance weights."""
    rng = np.random.default_rng(seed)
    wa, wb = rng.standard_normal(20), rng.standard_normal(8)
    wab = rng.standard_normal((20, 8))
    lines = []
    for r in range(n):
        a = rng.choice(20, size=3, replace=False)
        b = rng.choice(8)
        v = rng.uniform(0.5, 2.0)
        m = wa[a].sum() * v + wb[b] + wab[a, b].sum() + noise * rng.standard_normal()
        label = 1 if m > 0 else -1
        imp = f" {rng.choice([0.5, 1, 2])}" if weights and r % 3 == 0 else ""
        fa = " ".join(f"f{i}:{v:.3g}" for i in a)
        lines.append(f"{label}{imp} 'r{r} |a {fa} |b g{b}")
    return lines


def write(path, lines, gz=False):
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        data = gzip.compress(data)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def libsvm_files(tmp_path, n=900, seed=0):
    import scipy.sparse as sp
    rng = np.random.default_rng(seed)
    X = sp.random(n, 30, density=0.2, random_state=rng, format="csr")
    X.data = rng.standard_normal(X.nnz)
    y = (X @ rng.standard_normal(30) + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return X, y


def split_files(tmp_path, fmt, n=900, cut=517):
    """FILE (all rows), A (the first `cut`) and B (the rest)."""
    paths = [str(tmp_path / f"{k}.{fmt}") for k in ("all", "a", "b")]
    if fmt == "vw":
        lines = vw_lines(n)
        for p, part in zip(paths, (lines, lines[:cut], lines[cut:])):
            write(p, part)
    else:
        X, y = libsvm_files(tmp_path, n)
        for p, rows in zip(paths, (slice(None), slice(0, cut), slice(cut, None))):
            dump_libsvm(X[rows], y[rows], p)
    return paths


FLAGS = {("ftrl", "vw"): ["-q", "ab", "--alpha", "0.3", "--l1", "0.01"],
         ("rda", "vw"): ["-q", "ab", "--model", "rda", "--l1", "0.001"],
         ("ftrl", "libsvm"): ["--n-features", "30", "--l2", "0.1"],
         ("rda", "libsvm"): ["--n-features", "30", "--model", "rda"]}


# -- -i ------------------------------------------------------------------------

@pytest.mark.parametrize("holdout", [None, "0.2"])
@pytest.mark.parametrize("fmt", ["vw", "libsvm"])
@pytest.mark.parametrize("model", ["ftrl", "rda"])
def test_initial_model_continues_bit_for_bit(tmp_path, capsys, model, fmt, holdout):
    """Training A, then B with -i, writes the same model file (byte for
    byte) as one run on A + B, and the same predictions."""
    full, a, b = split_files(tmp_path, fmt)
    flags = FLAGS[model, fmt] + ["--quiet", "--chunk-bytes", "2000"]
    if holdout:
        flags += ["--holdout", holdout]
    m_full, m_a, m_ab = (str(tmp_path / k) for k in ("m_full", "m_a", "m_ab"))
    assert run(["train", full, "-f", m_full] + flags, capsys)[0] == 0
    assert run(["train", a, "-f", m_a] + flags, capsys)[0] == 0
    # the structure flags may be repeated (they agree) or left out
    cont = ["--quiet", "--chunk-bytes", "700"] + (["--holdout", holdout] if holdout else [])
    code, out, err = run(["train", b, "-i", m_a, "-f", m_ab] + cont, capsys)
    assert code == 0, err
    assert open(m_ab, "rb").read() == open(m_full, "rb").read()
    assert open(m_a, "rb").read() != open(m_full, "rb").read()
    preds = []
    for m in (m_full, m_ab):
        p = str(tmp_path / "p")
        assert run(["predict", m, full, "-p", p, "--quiet"], capsys)[0] == 0
        preds.append(open(p, "rb").read())
    assert preds[0] == preds[1]
    # the held-out rows of B are those of rows 517.. of the whole file
    if holdout:
        s_full = summary(run(["train", full, "-f", m_full] + flags, capsys)[1])
        s_a = summary(run(["train", a, "-f", m_a] + flags, capsys)[1])
        s_b = summary(run(["train", b, "-i", m_a, "-f", m_ab] + cont, capsys)[1])
        held = [int(s["held out"].split()[0]) for s in (s_full, s_a, s_b)]
        assert held[0] == held[1] + held[2] > 0


def test_initial_model_flags(tmp_path, capsys):
    full, a, b = split_files(tmp_path, "vw")
    m = str(tmp_path / "m")
    assert run(["train", a, "-q", "ab", "-f", m, "--quiet"], capsys)[0] == 0
    m2 = str(tmp_path / "m2")
    for argv, message in [
            (["--loss", "hinge"], "--loss hinge differs from -i"),
            (["--model", "rda"], "--model rda differs"),
            (["-q", "ba", "-q", "aa"], "differ from -i"),
            (["-b", "20"], "-b 20 differs"),
            (["--class-weight", "0:2"], "keeps the class weights"),
            (["--gamma", "2"], "--gamma do not apply"),
            (["--alpha", "-1"], "alpha must be")]:
        code, out, err = run(["train", b, "-i", m, "-f", m2, "--quiet"] + argv, capsys)
        assert code == 2 and message in err and err.count("\n") == 1, (argv, err)
    code, out, err = run(["train", b, "-i", str(tmp_path / "nope"), "-f", m2], capsys)
    assert code == 2 and "no such file" in err
    # hyperparameters override the model's: the same as a Python continuation
    code, out, err = run(["train", b, "-i", m, "-f", m2, "--alpha", "0.05", "--quiet"],
                         capsys)
    assert code == 0, err
    ref = online.load(m)
    ref.set_params(alpha=0.05)
    ref = _python_continue(ref, b)
    np.testing.assert_array_equal(online.load(m2).coef_, ref.coef_)
    # -i m -f m: the model is replaced (read first, written atomically)
    assert run(["train", b, "-i", m, "-f", m, "--quiet"], capsys)[0] == 0


def _python_continue(est, path):
    """est (loaded, params maybe changed) rebound and trained on path's rows."""
    est.__dict__.update(est._bind(est._check_params(), est._state))
    for X, y, w, ns, _ in VWReader(path, 18, constant=True):
        est.partial_fit(X, y, sample_weight=w, namespaces=ns)
    return est


# -- -t ------------------------------------------------------------------------

def test_test_only_metrics_against_sklearn(tmp_path, capsys):
    train = write(tmp_path / "train.vw", vw_lines(1500, seed=1))
    test_lines = vw_lines(700, seed=2)
    test_lines[5] = "|" + test_lines[5].split("|", 1)[1]       # unlabeled: left out
    test = write(tmp_path / "test.vw.gz", test_lines, gz=True)
    m = str(tmp_path / "m")
    assert run(["train", train, "-q", "ab", "-f", m, "--quiet"], capsys)[0] == 0
    est = online.load(m)
    X, y, w, ns = _read_all(test)
    margins = est.decision_function(X, ns)
    labeled = ~np.isnan(y)
    p_ref = 1 / (1 + np.exp(-margins))
    want_loss = log_loss(y[labeled], p_ref[labeled], sample_weight=w[labeled])
    want_auc = roc_auc_score(y[labeled], margins[labeled], sample_weight=w[labeled])

    p1, p2 = str(tmp_path / "p1"), str(tmp_path / "p2")
    for argv, pred in ((["train", "-t", "-i", m, test, "-p", p1], p1),
                       (["predict", "-t", m, test, "-p", p2], p2),
                       (["predict", "-t", "-i", m, test, "-p", p2], p2)):
        code, out, err = run(argv + ["--quiet"], capsys)
        assert code == 0, err
        s = summary(out)
        assert s["labeled rows"] == str(int(labeled.sum()))
        assert float(s["test logloss"]) == pytest.approx(want_loss, abs=1e-6)
        assert float(s["test AUC"]) == pytest.approx(want_auc, abs=1e-6)
        # the first column; VW text rows' tags follow, as VW's -p
        assert [line.split(" ")[0] for line in open(pred).read().splitlines()] \
            == ["%.9g" % v for v in p_ref]
    # --raw: the margins; train -t without -p writes no predictions
    code, out, err = run(["predict", m, test, "-p", p2, "--raw", "--quiet"], capsys)
    assert code == 0 and [line.split(" ")[0] for line in open(p2).read().splitlines()] \
        == ["%.9g" % v for v in margins]
    code, out, err = run(["train", "-t", "-i", m, test, "--quiet"], capsys)
    assert code == 0 and "test AUC" in out and "predicted 700 rows in" in out
    # -t needs -i; learns nothing, so no -f / --passes
    for argv, message in ((["train", "-t", test], "-t (test only) needs -i"),
                          (["train", "-t", "-i", m, test, "-f", p1], "-f/--output does"),
                          (["train", "-t", "-i", m, test, "--passes", "2"], "--passes")):
        code, out, err = run(argv, capsys)
        assert code == 2 and message in err, err


def _read_all(path, bits=18):
    from fastopt.vw import load_vw
    X, y, w, ns = load_vw(path, bits, allow_unlabeled=True, constant=True)
    return X, y, w, ns


@pytest.mark.parametrize("seed", range(5))
def test_binary_auc_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = 300
    score = rng.integers(0, 20, n).astype(float)       # many ties
    y = (rng.random(n) < 0.3).astype(float)
    w = rng.choice([0.5, 1.0, 3.0], n)
    assert binary_auc(score, y) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert binary_auc(score, y, w) == pytest.approx(
        roc_auc_score(y, score, sample_weight=w), abs=1e-12)
    assert np.isnan(binary_auc(score, np.ones(n)))


def test_test_only_and_raw_include_initial_predictions(tmp_path, capsys):
    """-t's loss and AUC and --raw's margins are of w . x plus each row's VW
    initial prediction (as VW's), against scikit-learn."""
    train = write(tmp_path / "train.vw", with_initial(vw_lines(900, seed=11), seed=11))
    test = write(tmp_path / "test.vw", with_initial(vw_lines(400, seed=12), seed=12))
    m = str(tmp_path / "m")
    assert run(["train", train, "-q", "ab", "-f", m, "--quiet"], capsys)[0] == 0
    est = online.load(m)
    (X, y, w, ns, _, ex), = VWReader(test, 18, constant=True, extras=True)
    assert np.count_nonzero(ex.initial) > 200
    margins = est.decision_function(X, ns, base_margin=ex.initial)
    p_ref = 1 / (1 + np.exp(-margins))
    want_loss = log_loss(y, p_ref, sample_weight=w)
    want_auc = roc_auc_score(y, margins, sample_weight=w)
    assert want_loss != pytest.approx(log_loss(
        y, 1 / (1 + np.exp(-est.decision_function(X, ns))), sample_weight=w), abs=1e-3)
    p = str(tmp_path / "p")
    for argv in (["predict", "-t", m, test, "-p", p], ["train", "-t", "-i", m, test]):
        code, out, err = run(argv + ["--quiet"], capsys)
        assert code == 0, err
        s = summary(out)
        assert float(s["test logloss"]) == pytest.approx(want_loss, abs=1e-6)
        assert float(s["test AUC"]) == pytest.approx(want_auc, abs=1e-6)
    code, out, err = run(["predict", m, test, "-p", p, "--raw", "--quiet"], capsys)
    assert code == 0 and [line.split(" ")[0] for line in open(p).read().splitlines()] \
        == ["%.9g" % v for v in margins]


# -- --passes, the cache, holdout, early stopping -------------------------------

def _python_passes(path, passes, holdout=None, flags=None):
    """The reference: each pass re-parses the text (VWReader) and calls
    partial_fit, each row's VW initial prediction as its base_margin;
    held-out rows follow the documented rule."""
    est = online.FTRLClassifier(interactions=["ab"], fit_intercept=False, **(flags or {}))
    losses = []
    for _ in range(passes):
        row = 0
        for X, y, w, ns, _, ex in VWReader(path, 18, constant=True, chunk_bytes=1500,
                                           extras=True):
            mask = _held(row, X.shape[0], holdout)
            row += X.shape[0]
            keep = ~mask
            nsk = ns[np.repeat(keep, np.diff(X.indptr))]
            est.partial_fit(X[keep], y[keep], classes=[0, 1], sample_weight=w[keep],
                            namespaces=nsk, base_margin=ex.initial[keep])
        if holdout:
            losses.append(_held_loss(est, path, holdout))
    return est, losses


def with_initial(lines, seed=0):
    """VW lines given an initial prediction (VW's third label field) on
    two rows of three; the others have none (0)."""
    rng = np.random.default_rng(seed)
    out = []
    for r, line in enumerate(lines):
        head, rest = line.split(" '", 1)
        fields = head.split()
        if r % 3 != 2:
            fields = fields[:1] + [fields[1] if len(fields) > 1 else "1",
                                   f"{rng.uniform(-2, 2):.6g}"]
        out.append(" ".join(fields) + " '" + rest)
    return out


def _held(start, n, fraction):
    r = np.arange(start, start + n)
    if not fraction:
        return np.zeros(n, bool)
    return np.array([(int(k) * 0x9E3779B97F4A7C15) % 2**64 < fraction * 2**64 for k in r])


def _held_loss(est, path, fraction):
    (X, y, w, ns, _, ex), = VWReader(path, 18, constant=True, extras=True)
    mask = _held(0, X.shape[0], fraction)
    m = est.decision_function(X[mask], ns[np.repeat(mask, np.diff(X.indptr))],
                              base_margin=ex.initial[mask])
    per = np.logaddexp(0, -(2 * y[mask] - 1) * m)
    return float(np.sum(w[mask] * per) / np.sum(w[mask]))


@pytest.mark.parametrize("initial", [False, True])
@pytest.mark.parametrize("cache_file", [False, True])
def test_passes_over_cache_equal_reparsed_text(tmp_path, capsys, cache_file, initial):
    """Passes 2 and 3 read the cache -- with VW's initial predictions (the
    rows' margin offsets) stored in it -- and train bit for bit as passes
    over re-parsed text."""
    lines = vw_lines(1200, seed=3)
    if initial:
        lines = with_initial(lines, seed=3)
    path = write(tmp_path / "d.vw", lines)
    m = str(tmp_path / "m")
    extra = ["--cache-file", str(tmp_path / "c.cache")] if cache_file else []
    code, out, err = run(["train", path, "-q", "ab", "--passes", "3", "-f", m,
                          "--quiet", "--chunk-bytes", "1500"] + extra, capsys)
    assert code == 0, err
    ref, _ = _python_passes(path, 3)
    got = online.load(m)
    np.testing.assert_array_equal(got._state["state"], ref._state["state"])
    assert got.progressive_loss_ == ref.progressive_loss_
    assert summary(out)["rows"] == "1200 trained per pass x 3 passes = 3600"
    if initial:     # the offsets matter: without them the model differs
        plain = online.FTRLClassifier(interactions=["ab"], fit_intercept=False)
        for X, y, w, ns, _, _ex in VWReader(path, 18, constant=True, chunk_bytes=1500,
                                            extras=True):
            plain.partial_fit(X, y, classes=[0, 1], sample_weight=w, namespaces=ns)
        assert not np.array_equal(plain._state["state"], ref._state["state"])
    assert os.path.exists(tmp_path / "c.cache") == cache_file
    leftovers = [f for f in os.listdir(tmp_path) if f.startswith(".fastopt-cache")]
    assert leftovers == []


def test_cache_reused_stale_and_damaged(tmp_path, capsys):
    path = write(tmp_path / "d.vw", vw_lines(1000, seed=4))
    cache, m = str(tmp_path / "c"), str(tmp_path / "m")
    argv = ["train", path, "-q", "ab", "--passes", "2", "-f", m, "--cache-file", cache,
            "--chunk-bytes", "3000"]
    assert run(argv + ["--quiet"], capsys)[0] == 0
    first = open(m, "rb").read()
    # reused from pass 1: new text of the same size and time is not read
    st = os.stat(path)
    text = open(path, "rb").read()
    other = text.replace(b"|b g1", b"|b g2")
    assert len(other) == len(text) and other != text
    with open(path, "wb") as f:
        f.write(other)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, out, err = run(argv, capsys)
    assert code == 0 and "rebuilding" not in err
    assert open(m, "rb").read() == first
    # stale (the file's time changed): rebuilt from the new text
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    code, out, err = run(argv, capsys)
    assert code == 0 and "rebuilding the cache" in err and "stale cache" in err
    new = open(m, "rb").read()
    assert new != first
    ref, _ = _python_passes(path, 2)
    np.testing.assert_array_equal(online.load(m)._state["state"], ref._state["state"])
    # damaged: a flipped byte, a cut, another file -- each rebuilt, same model
    good = open(cache, "rb").read()
    for bad, why in ((good[:5000] + bytes([good[5000] ^ 1]) + good[5001:], "checksum"),
                     (good[:len(good) // 2], "damaged cache"),
                     (b"not a cache at all", "not a fastopt cache")):
        with open(cache, "wb") as f:
            f.write(bad)
        code, out, err = run(argv, capsys)
        assert code == 0 and "rebuilding the cache" in err and why in err, err
        assert open(m, "rb").read() == new
        assert open(cache, "rb").read() == good


def test_cache_reader_rejects_damage(tmp_path):
    X, y = libsvm_files(tmp_path, 50)
    fp = source_fingerprint("-", {"k": 1})
    path = str(tmp_path / "c")
    w = CacheWriter(path, fp)
    w.write(X, y, None, None)
    w.finish({"fmt": "libsvm"})
    good = open(path, "rb").read()
    (X2, y2, w2, ns2, _, ex), = list(CacheReader(path, 30))
    assert (X2 != X).nnz == 0 and np.array_equal(y2, y) and w2 is None and ns2 is None
    assert np.array_equal(ex.initial, np.zeros(50)) and ex.tags == [None] * 50
    assert np.array_equal(X2.data, X.data)       # bit for bit, float64 values
    assert CacheReader(path, 30).check(fp) == {"fmt": "libsvm"}
    with pytest.raises(CacheError, match="stale"):
        CacheReader(path, 30).check(source_fingerprint("-", {"k": 2}))
    for k in range(len(MAGIC_HEAD()), len(good), 97):
        with open(path, "wb") as f:
            f.write(good[:k] + bytes([good[k] ^ 0x40]) + good[k + 1:])
        with pytest.raises(CacheError):
            CacheReader(path, 30).check(fp)


def test_cache_keeps_initial_predictions(tmp_path):
    """A block's initial predictions come back bit for bit (float64),
    beside its weights; a block without tags keeps none."""
    X, y = libsvm_files(tmp_path, 40)
    rng = np.random.default_rng(1)
    init = rng.standard_normal(40) / 3.0
    sw = rng.uniform(0.5, 2, 40)
    path = str(tmp_path / "c")
    w = CacheWriter(path, source_fingerprint("-", {}))
    w.write(X, y, sw, None, initial=init)
    w.write(X[:7], y[:7], None, None)
    w.finish({"fmt": "libsvm"})
    (a, b) = list(CacheReader(path, 30))
    assert np.array_equal(a[0].toarray(), X.toarray()) and np.array_equal(a[2], sw)
    assert a[5].initial.tobytes() == init.tobytes() and a[5].tags == [None] * 40
    assert np.array_equal(b[5].initial, np.zeros(7)) and b[2] is None


def test_cache_tags_round_trip_and_damaged_lengths(tmp_path):
    """A block's VW tags come back as written (None for a row without);
    tag lengths that a damaged file makes absurd -- past the block, or
    summing past int64 -- are a CacheError (the cache is rebuilt), never
    an allocation error or a wrong slice."""
    X, y = libsvm_files(tmp_path, 4)
    path = str(tmp_path / "c")
    tags = [b"ab", None, b"", b"tag-3"]
    w = CacheWriter(path, source_fingerprint("-", {}))
    w.write(X, y, None, None, tags=tags)
    w.finish({"fmt": "vw"})
    (block,) = list(CacheReader(path, 30))
    assert block[5].tags == tags
    good = open(path, "rb").read()
    lengths = np.array([2, -1, 0, 5], dtype=np.int64).tobytes()
    assert good.count(lengths) == 1
    # 4 x 2**62 - 1 wraps to -1 in int64
    for bad in ([2**62, 2**62, 2**62, 2**62 - 1], [10**6, -1, 0, 5], [2, -2, 0, 5]):
        with open(path, "wb") as f:
            f.write(good.replace(lengths, np.array(bad, dtype=np.int64).tobytes()))
        with pytest.raises(CacheError, match="damaged cache"):
            list(CacheReader(path, 30))


@pytest.mark.parametrize("old", [b"FOCACHE1", b"FOCACHE2"])
def test_old_cache_version_is_rebuilt(tmp_path, capsys, old):
    """A version 1 cache (no initial predictions) or 2 (no tags) named by
    --cache-file is rebuilt, not misread."""
    from fastopt._training import MAGIC
    assert MAGIC == b"FOCACHE3"
    path = write(tmp_path / "d.vw", with_initial(vw_lines(300, seed=8), seed=8))
    cache, m = str(tmp_path / "c"), str(tmp_path / "m")
    argv = ["train", path, "-q", "ab", "--passes", "2", "-f", m, "--cache-file", cache,
            "--chunk-bytes", "1500"]
    assert run(argv + ["--quiet"], capsys)[0] == 0
    good = open(cache, "rb").read()
    with open(cache, "wb") as f:
        f.write(old + good[8:])
    code, out, err = run(argv, capsys)
    assert code == 0 and "rebuilding the cache" in err and "another fastopt version" in err
    assert open(cache, "rb").read() == good
    ref, _ = _python_passes(path, 2)
    np.testing.assert_array_equal(online.load(m)._state["state"], ref._state["state"])


def test_holdout_passes_with_initial_predictions(tmp_path, capsys):
    """--holdout with --passes: the held-out rows' initial predictions are
    masked with them -- trained rows keep theirs, and the per-pass holdout
    loss includes them (as the reference computes it)."""
    path = write(tmp_path / "d.vw", with_initial(vw_lines(600, seed=9), seed=9))
    ref, losses = _python_passes(path, 3, holdout=0.3)
    m = str(tmp_path / "m")
    code, out, err = run(["train", path, "-q", "ab", "--passes", "3", "--holdout", "0.3",
                          "-f", m, "--chunk-bytes", "1500", "--quiet"], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(online.load(m)._state["state"], ref._state["state"])
    printed = [float(v) for v in summary(out)["holdout per pass"].split()]
    np.testing.assert_allclose(printed, losses, rtol=0, atol=1e-6)


def MAGIC_HEAD():
    from fastopt._training import MAGIC
    return MAGIC


def test_holdout_per_pass_and_early_stop(tmp_path, capsys):
    """Per-pass holdout losses as the reference computes them; early
    stopping after K passes without improvement; the saved model is the
    best pass's."""
    path = write(tmp_path / "d.vw", vw_lines(600, seed=5, noise=3.0))
    flags = {"alpha": 2.0}
    _, losses = _python_passes(path, 8, holdout=0.3, flags=flags)
    best = int(np.argmin(losses[:3]))
    # the first pass p after which K = 2 passes bring no lower loss
    k, run_best, stop = 2, 0, None
    for p in range(1, len(losses)):
        if losses[p] < losses[run_best]:
            run_best = p
        elif p - run_best >= k:
            stop = p + 1
            break
    assert stop is not None and stop < 8, losses      # the data overfit
    m = str(tmp_path / "m")
    code, out, err = run(["train", path, "-q", "ab", "--passes", "8", "--holdout", "0.3",
                          "--early-terminate", "2", "--alpha", "2", "-f", m,
                          "--chunk-bytes", "1500"], capsys)
    assert code == 0, err
    s = summary(out)
    printed = [float(v) for v in s["holdout per pass"].split()]
    np.testing.assert_allclose(printed, losses[:stop], rtol=0, atol=1e-6)
    assert f"after pass {stop} of 8" in s["early stop"]
    assert f"the model of pass {run_best + 1}, saved" in s["holdout logloss"]
    ref, _ = _python_passes(path, run_best + 1, holdout=0.3, flags=flags)
    np.testing.assert_array_equal(online.load(m)._state["state"], ref._state["state"])
    assert len([ln for ln in err.splitlines() if "holdout logloss" in ln]) == stop
    del best
    code, out, err = run(["train", path, "--early-terminate", "2", "-f", m], capsys)
    assert code == 2 and "needs --holdout" in err


# -- stdin, VW's flags -----------------------------------------------------------

def test_stdin_passes_equal_file(tmp_path, capsys, monkeypatch):
    lines = vw_lines(800, seed=6)
    path = write(tmp_path / "d.vw.gz", lines, gz=True)
    m1, m2 = str(tmp_path / "m1"), str(tmp_path / "m2")
    flags = ["-q", "ab", "--passes", "3", "--holdout", "0.1", "--quiet"]
    assert run(["train", path, "-f", m1] + flags, capsys)[0] == 0
    code, out, err = run(["train", "-", "-f", m2] + flags, capsys,
                         open(path, "rb").read(), monkeypatch)
    assert code == 0, err
    assert open(m1, "rb").read() == open(m2, "rb").read()


def test_pipeline_end_to_end(tmp_path):
    """`zcat data.gz | fastopt train - -q ab --passes 3 -f MODEL` and
    `fastopt predict -t`, as processes with a real pipe."""
    path = write(tmp_path / "d.vw.gz", vw_lines(2000, seed=7), gz=True)
    m, p = str(tmp_path / "m"), str(tmp_path / "p")
    kw = dict(cwd=tempfile.gettempdir(), capture_output=True, timeout=120)
    cmd = [sys.executable, "-m", "fastopt.cli"]
    zcat = subprocess.Popen(["gzip", "-dc", path], stdout=subprocess.PIPE)
    r = subprocess.run(cmd + ["train", "-", "-q", "ab", "--passes", "3", "-f", m],
                       stdin=zcat.stdout, **kw)
    zcat.stdout.close()
    assert zcat.wait() == 0 and r.returncode == 0, r.stderr
    assert b"= 6000" in r.stdout and b"pass 3/3" in r.stderr
    r = subprocess.run(cmd + ["predict", "-t", m, path, "-p", p], **kw)
    assert r.returncode == 0, r.stderr
    s = summary(r.stdout.decode())
    assert 0 < float(s["test logloss"]) < 0.69 and 0.5 < float(s["test AUC"]) <= 1
    assert len(open(p).read().splitlines()) == 2000


def test_q_is_vw_q(tmp_path, capsys):
    path = write(tmp_path / "d.vw", vw_lines(50))
    m = str(tmp_path / "m")
    code, out, err = run(["train", path, "-f", m, "-q"], capsys)     # needs AB
    assert code == 2 and "-q" in err and "expected one argument" in err
    assert run(["train", path, "-f", m, "--quiet"], capsys)[0] == 0
    code, out, err = run(["predict", m, path, "-q"], capsys)
    assert code == 2
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["train"] \
        .format_help()
    assert "-q always means this" in " ".join(help_text.split())
    assert "-i MODEL" in help_text and "--early-terminate" in help_text


def test_n_threads(tmp_path, capsys):
    path = write(tmp_path / "d.vw", vw_lines(3000, seed=8))
    m1, m2 = str(tmp_path / "m1"), str(tmp_path / "m2")
    assert run(["train", path, "-q", "ab", "-f", m1, "--quiet"], capsys)[0] == 0
    code, out, err = run(["train", path, "-q", "ab", "-f", m2, "--quiet",
                          "--n-threads", "2"], capsys)
    assert code == 0, err
    # Hogwild: not bit-reproducible, but the same model up to a few races
    a, b = online.load(m1), online.load(m2)
    assert b.n_threads == 2 and a.n_threads == 1
    X, y, w, ns = _read_all(path)
    for est in (a, b):
        assert roc_auc_score(y, est.decision_function(X, ns)) > 0.75
    outs = []
    for threads in ("1", "2"):
        p = str(tmp_path / f"p{threads}")
        assert run(["predict", m1, path, "-p", p, "--quiet", "--n-threads", threads],
                   capsys)[0] == 0
        outs.append(open(p, "rb").read())
    assert outs[0] == outs[1]


# -- the reader thread -----------------------------------------------------------

def test_prefetch_order_errors_and_early_stop():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def failing():
        yield 1
        raise ValueError("bad block")
    with pytest.raises(ValueError, match="bad block"):
        list(prefetch(failing()))
    closed = threading.Event()

    def endless():
        try:
            k = 0
            while True:
                yield k
                k += 1
        finally:
            closed.set()
    before = threading.active_count()
    it = prefetch(endless())
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]
    it.close()
    assert closed.is_set() and threading.active_count() == before


def test_reader_thread_error_is_file_line(tmp_path, capsys):
    lines = vw_lines(400)
    lines[350] = "1 |a f1:1x"
    path = write(tmp_path / "d.vw", lines)
    code, out, err = run(["train", path, "-f", str(tmp_path / "m"), "--passes", "2",
                          "--chunk-bytes", "1000"], capsys)
    assert code == 2 and f"{path}:351: bad feature 'f1:1x'" in err
    assert not os.path.exists(tmp_path / "m")


@pytest.mark.parametrize("flags", [[], ["-q", "ab", "--passes", "2", "--holdout", "0.1"]])
def test_reader_thread_same_model(tmp_path, capsys, flags):
    """Parsing in the reader thread gives the model of parsing in turn,
    bit for bit (and the same predictions)."""
    path = write(tmp_path / "d.vw.gz", vw_lines(2500, seed=9), gz=True)
    files = []
    for k, extra in enumerate(([], ["--no-reader-thread"])):
        m, p = str(tmp_path / f"m{k}"), str(tmp_path / f"p{k}")
        assert run(["train", path, "-f", m, "--quiet", "--chunk-bytes", "4000"]
                   + flags + extra, capsys)[0] == 0
        assert run(["predict", m, path, "-p", p, "--quiet", "--chunk-bytes", "4000"]
                   + extra, capsys)[0] == 0
        files.append((open(m, "rb").read(), open(p, "rb").read()))
    assert files[0] == files[1]


def test_cache_file_and_model_arguments(tmp_path, capsys):
    path = write(tmp_path / "d.vw", vw_lines(100))
    m = str(tmp_path / "m")
    code, out, err = run(["train", path, "-f", m, "--passes", "2", "--cache-file", path],
                         capsys)
    assert code == 2 and f"--cache-file {path} is the same file as FILE" in err
    assert open(path).read().startswith(vw_lines(100)[0])
    code, out, err = run(["train", path, "-f", m, "--passes", "2", "--cache-file", m],
                         capsys)
    assert code == 2 and "--cache-file" in err
    assert run(["train", path, "-f", m, "--quiet"], capsys)[0] == 0
    code, out, err = run(["predict", m, path, "-i", m], capsys)
    assert code == 2 and "not both" in err
    code, out, err = run(["predict"], capsys)
    assert code == 2 and "MODEL is required" in err
    # train's -p writes progressive predictions (tests/test_cli_progressive.py);
    # --raw without it shapes nothing
    code, out, err = run(["train", path, "-f", m, "--raw"], capsys)
    assert code == 2 and "--raw goes with -p PRED" in err


def test_predict_bits_must_match(tmp_path, capsys):
    path = write(tmp_path / "d.vw", vw_lines(100))
    m, p = str(tmp_path / "m"), str(tmp_path / "p")
    assert run(["train", path, "-b", "16", "-f", m, "--quiet"], capsys)[0] == 0
    assert run(["predict", "-t", "-i", m, "-b", "16", path, "-p", p, "--quiet"],
               capsys)[0] == 0
    code, out, err = run(["predict", m, path, "-b", "18"], capsys)
    assert code == 2 and "-b 18 differs from" in err
    # train -t: the model's bits, whatever -b says
    code, out, err = run(["train", "-t", "-i", m, path, "-b", "18"], capsys)
    assert code == 2 and "-b 18 differs from" in err


@pytest.mark.parametrize("cls", [online.FTRLClassifier, online.RDAClassifier])
def test_python_save_load_continues_exactly(tmp_path, cls):
    """fastopt.online's side of -i: save after A, load, partial_fit B ==
    partial_fit A then B on one estimator (state, t, progressive loss and
    its weights, bit for bit)."""
    from fastopt.vw import load_vw
    path = write(tmp_path / "d.vw", vw_lines(700, seed=11))
    X, y, w, ns = load_vw(path, 18, constant=True)
    cut = 333
    nsa = ns[:X.indptr[cut]]
    nsb = ns[X.indptr[cut]:]
    one = cls(interactions=["ab"], fit_intercept=False)
    one.partial_fit(X[:cut], y[:cut], classes=[0, 1], sample_weight=w[:cut], namespaces=nsa)
    one.partial_fit(X[cut:], y[cut:], sample_weight=w[cut:], namespaces=nsb)
    a = cls(interactions=["ab"], fit_intercept=False)
    a.partial_fit(X[:cut], y[:cut], classes=[0, 1], sample_weight=w[:cut], namespaces=nsa)
    a.save(str(tmp_path / "a"))
    b = online.load(str(tmp_path / "a"))
    b.partial_fit(X[cut:], y[cut:], sample_weight=w[cut:], namespaces=nsb)
    np.testing.assert_array_equal(b._state["state"], one._state["state"])
    assert b._state["t"] == one._state["t"]
    assert b.progressive_loss_ == one.progressive_loss_
    assert b.n_examples_seen_ == one.n_examples_seen_ == 700
