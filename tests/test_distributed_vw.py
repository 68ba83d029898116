"""fastopt.distributed.fit and `fastopt train --dask` on Vowpal Wabbit text.

References: single-process training on the same VW rows
(``estimator.partial_fit`` block by block with the reader's importance
weights, namespaces and initial predictions, and `fastopt train FILE`
itself) for one partition, bit for bit; the pure-Python twins of
tests/reference_online.py merged round by round (test_distributed_online's
_twin_fit) for several partitions.  One LocalCluster (2 worker processes)
serves the module; the CLI runs in process against its scheduler (no
cluster start per run), except one `--dask local:2` run."""
import gzip
import logging

import numpy as np
import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

import fastopt.distributed as fd  # noqa: E402
from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier, load  # noqa: E402
from fastopt.vw import iter_vw_chunks  # noqa: E402
from cli_helpers import run  # noqa: E402
from reference_online import FTRLTwin, RDATwin  # noqa: E402
from subproc import describe  # noqa: E402
# client: that module's fixture (a 2-worker LocalCluster), one per module
from test_distributed_online import _cli, _state, _twin_fit, client  # noqa: E402,F401

BITS = 12
ROWS = 200


def _vw_lines(n, seed):
    """VW rows with two namespaces (named and all-digit features, values,
    a namespace scale), importance weights, initial predictions and tags."""
    rng = np.random.default_rng(seed)
    lines = []
    for r in range(n):
        head = "1" if rng.random() < 0.4 else "-1"
        if r % 5 == 1:
            head += f" {rng.choice(['0.5', '2', '3'])}"
        elif r % 5 == 2:
            head += f" 2 {rng.normal() * 0.5:.3f}"        # importance, initial
        if r % 7 == 3:
            head += f" 'row{r}"
        a = " ".join(f"u{rng.integers(40)}" for _ in range(rng.integers(1, 4)))
        b = " ".join(f"{rng.integers(30)}" + (":0.5" if rng.random() < 0.3 else "")
                     for _ in range(2))
        lines.append(f"{head} |a {a} |b:2 {b} |c x:{rng.random():.3f}")
    return lines


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Three VW files of ROWS rows (one gzip)."""
    folder = tmp_path_factory.mktemp("distvw")
    files = []
    for k, name in enumerate(["part-0.vw", "part-1.vw.gz", "part-2.vw"]):
        path = folder / name
        text = ("\n".join(_vw_lines(ROWS, k)) + "\n").encode()
        path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
        files.append(str(path))
    return dict(folder=str(folder), files=files)


def _blocks(paths, binary=True, **kw):
    """The reader's blocks of the files, as `fastopt train` reads them:
    (X, y, sample_weight, namespaces, base_margin or None)."""
    for path in paths:
        for X, y, w, ns, _line, extras in iter_vw_chunks(path, BITS, binary=binary,
                                                         extras=True, chunk_bytes=4096,
                                                         **kw):
            yield X, y, w, ns, (extras.initial if np.any(extras.initial) else None)


def _partial_fit(est, paths, binary=True, **kw):
    for X, y, w, ns, base in _blocks(paths, binary, **kw):
        est.partial_fit(X, y, **({"classes": [0, 1]} if binary else {}),
                        sample_weight=w, namespaces=ns, base_margin=base)
    return est


def _rows(path, **kw):
    import scipy.sparse as sp
    blocks = list(_blocks([path], **kw))
    return (sp.vstack([b[0] for b in blocks], format="csr"),
            np.concatenate([b[1] for b in blocks]), np.concatenate([b[2] for b in blocks]),
            np.concatenate([b[3] for b in blocks]),
            np.concatenate([np.zeros(b[0].shape[0]) if b[4] is None else b[4]
                            for b in blocks]))


# -- (1) one partition: single-process training on the same rows, bit for bit ----

@pytest.mark.parametrize("make, vw", [
    (lambda: FTRLClassifier(alpha=0.2, l1=0.1, l2=0.5, interactions=["ab"],
                            fit_intercept=False, bits=BITS),
     dict(constant=True, hash_all=True)),
    (lambda: FTRLRegressor(alpha=0.05, l1=0.1, loss="squared", bits=BITS),
     dict(hash_seed=7)),
    (lambda: RDAClassifier(l1=0.01, gamma=2.0, interactions=["ac"], bits=BITS), {}),
], ids=["ftrl-q-ab-constant-hash-all", "ftrl-squared-seed", "rda-q-ac"])
def test_one_partition_equals_partial_fit(client, data, make, vw):
    est = fd.fit(make(), data["files"][:2], client, sync_rows=37, n_partitions=1,
                 format="vw", **vw)
    ref = _partial_fit(make(), data["files"][:2], binary=est._is_classifier, **vw)
    s, t = _state(est)
    np.testing.assert_array_equal(s, _state(ref)[0])
    assert t == _state(ref)[1]
    assert est.progressive_loss_ == ref.progressive_loss_
    assert est.n_examples_seen_ == 2 * ROWS
    info = est.distributed_info_
    assert info["format"] == "vw" and info["rows"] == [2 * ROWS]
    w = np.concatenate([b[2] for b in _blocks(data["files"][:2], **vw)])
    assert info["importance_weight"] == w.sum() != 2 * ROWS
    # the rows do carry initial predictions and several namespaces
    assert any(b[4] is not None for b in _blocks(data["files"][:1]))


def test_format_auto_detects_vw(client, data):
    make = lambda: FTRLClassifier(l1=0.1, bits=BITS)  # noqa: E731
    auto = fd.fit(make(), data["files"][0], client, sync_rows=50)
    ref = _partial_fit(make(), data["files"][:1])
    np.testing.assert_array_equal(_state(auto)[0], _state(ref)[0])
    assert auto.distributed_info_["format"] == "vw"
    assert auto.n_features_in_ == 2**BITS
    other = fd.fit(make(), data["files"][0], client, sync_rows=50, bits=BITS + 1)
    assert other.n_features_in_ == 2**(BITS + 1)


@pytest.mark.parametrize("fmt, flags", [
    ("vw", ["-q", "ab", "--hash", "all", "--l1", "0.1", "--holdout", "0.2"]),
    ("vw", ["--loss", "squared", "--hash_seed", "5", "--alpha", "0.02"]),
    ("libsvm", ["--loss", "squared", "--alpha", "0.02", "--holdout", "0.1"]),
], ids=["logistic-q-ab-hash-all-holdout", "squared-seed", "libsvm-squared"])
def test_cli_dask_one_file_equals_cli(client, data, tmp_path, capsys, fmt, flags):
    """`fastopt train FILE --dask` with one file is `fastopt train FILE`:
    the same model bits, the same summary numbers (--loss squared: both
    train with VW's squared-loss gradient, libsvm input too)."""
    single, dist = str(tmp_path / "single.npz"), str(tmp_path / "dist.npz")
    path = data["files"][1]
    if fmt == "libsvm":
        from fastopt.libsvm import dump_libsvm
        X, y, _w, _ns, _b = _rows(data["files"][0])
        path = str(tmp_path / "rows.svm")
        dump_libsvm(X, y * 3.0 - 1.0, path, labels="raw")
    base = ["train", path, "-b", str(BITS), "--quiet"] + flags
    code, out1, err = run(base + ["-f", single], capsys)
    assert code == 0, err
    code, out2, err = run(base + ["-f", dist, "--dask", client.scheduler.address,
                                  "--sync-rows", "45"], capsys)
    assert code == 0, err
    a, b = load(single), load(dist)
    np.testing.assert_array_equal(_state(a)[0], _state(b)[0])
    assert a.progressive_loss_ == b.progressive_loss_

    def lines(out, *keys):
        return [ln for ln in out.splitlines() if ln.split(":")[0] in keys]
    keys = ("progressive logloss", "progressive squared loss", "holdout logloss",
            "holdout squared loss",
            "importance weight", "non-zero weights", "model")
    assert lines(out1, *keys) == lines(out2, *keys) and len(lines(out1, *keys)) >= 4
    assert (f"(vw, {BITS} bits, 1 file)" if fmt == "vw" else "(libsvm, 1 file)") in out2


# -- (2) several partitions: the twins, merged by the documented formulas --------

@pytest.mark.parametrize("merge", ["sum", "average"])
def test_ftrl_partitions_match_twin(client, data, merge):
    est = fd.fit(FTRLClassifier(alpha=0.3, l1=0.2, l2=0.5, bits=BITS), data["files"],
                 client, sync_rows=70, merge=merge, format="vw")
    parts = [(X, y, w, b) for X, y, w, _ns, b in map(_rows, data["files"])]
    twin = _twin_fit(lambda: FTRLTwin(2**BITS, 0.3, 1.0, 0.2, 0.5), parts, 70, merge)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(est.intercept_, twin.weights()[-1], rtol=1e-9)
    np.testing.assert_allclose(_state(est)[0][:, 1], twin.n, rtol=1e-12)
    assert est.distributed_info_["rows"] == [ROWS] * 3
    # the weights and initial predictions matter: the twin without them differs
    plain = _twin_fit(lambda: FTRLTwin(2**BITS, 0.3, 1.0, 0.2, 0.5),
                      [p[:2] for p in parts], 70, merge)
    assert np.max(np.abs(plain.weights() - twin.weights())) > 1e-3


def test_rda_partitions_match_twin(client, data):
    est = fd.fit(RDAClassifier(l1=0.01, gamma=2.0, fit_intercept=False, bits=BITS),
                 data["files"], client, sync_rows=130, format="vw", constant=True)
    parts = [(X, y, w, b) for X, y, w, _ns, b in
             (_rows(f, constant=True) for f in data["files"])]
    twin = _twin_fit(lambda: RDATwin(2**BITS, 0.01, 2.0, fit_intercept=False), parts,
                     130, "sum")
    assert _state(est)[1] == twin.t == 3 * ROWS
    np.testing.assert_allclose(_state(est)[0][:-1, 0], twin.G[:-1], rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-9,
                               atol=1e-12)


# -- (3) the number of workers changes nothing ----------------------------------

def test_one_and_two_workers_same_bits(client, data):
    make = lambda: FTRLClassifier(l1=0.1, interactions=["ab"],  # noqa: E731
                                  fit_intercept=False, bits=BITS)
    kw = dict(sync_rows=40, holdout=0.1, format="vw", constant=True, hash_all=True)
    two = fd.fit(make(), data["files"], client, **kw)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as one, \
            Client(one, set_as_default=False) as c1:
        single = fd.fit(make(), data["files"], c1, **kw)
    np.testing.assert_array_equal(_state(two)[0], _state(single)[0])
    assert two.progressive_loss_ == single.progressive_loss_
    assert two.distributed_info_["holdout_loss"] == single.distributed_info_["holdout_loss"]
    assert (two.distributed_info_["workers"], single.distributed_info_["workers"]) == (2, 1)


# -- (4) the command line on a glob, and `fastopt predict` ------------------------

def test_cli_dask_local_equals_python_and_predicts(client, data, tmp_path):
    model = tmp_path / "m.npz"
    res = _cli("train", data["folder"] + "/part-*", "--dask", "local:2", "-b", str(BITS),
               "-q", "ab", "--l1", "0.1", "--sync-rows", "64", "--holdout", "0.1",
               "-f", str(model), "--quiet")
    assert res.returncode == 0, describe(res)
    assert f"(vw, {BITS} bits, 3 files)" in res.stdout
    assert "dask:                 local:2, 2 workers, 3 partitions" in res.stdout
    ref = fd.fit(FTRLClassifier(l1=0.1, interactions=["ab"], fit_intercept=False,
                                bits=BITS),
                 data["folder"] + "/part-*", client, sync_rows=64, holdout=0.1,
                 format="vw", constant=True)
    got = load(model)
    np.testing.assert_array_equal(_state(got)[0], _state(ref)[0])
    hl = ref.distributed_info_["holdout_loss"]
    assert f"holdout logloss:      {hl:.6f}" in res.stdout
    pred = tmp_path / "p.txt"
    res = _cli("predict", str(model), data["files"][0], "-p", str(pred))
    assert res.returncode == 0, describe(res)
    p = np.array([ln.split(" ", 1)[0] for ln in pred.read_text().splitlines()], float)
    X, _y, _w, ns, base = _rows(data["files"][0], constant=True)
    m = ref._margin(X, ns, base)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-m)), rtol=1e-8)
    assert np.any(base != 0)       # the initial predictions were applied


# -- (5) bad lines ----------------------------------------------------------------

def test_bad_line_names_file_and_line(client, data, tmp_path, capsys):
    bad = tmp_path / "bad.vw"
    text = open(data["files"][0]).read().splitlines()
    text[41] = "1 |a f:1x"
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match=rf"{bad}:42: bad feature 'f:1x'"):
        fd.fit(FTRLClassifier(bits=BITS), [data["files"][2], str(bad)], client)
    est = fd.fit(FTRLClassifier(bits=BITS), [data["files"][2], str(bad)], client,
                 skip_bad_lines=True)
    assert est.distributed_info_["bad_lines"] == [0, 1]
    assert est.distributed_info_["rows"] == [ROWS, ROWS - 1]
    model = tmp_path / "m.npz"
    argv = ["train", str(bad), "--dask", client.scheduler.address, "-b", str(BITS),
            "-f", str(model), "--quiet"]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        f"fastopt train: error: {bad}:42: bad feature 'f:1x': expected name or "
        "name:value with a number value")
    assert not model.exists()
    code, out, err = run(argv + ["--skip-bad-lines"], capsys)
    assert code == 0, err
    assert "skipped lines:        1" in out
    assert f"skipped 1 malformed line(s); first: {bad}:42:" in err
    assert load(model).n_examples_seen_ == ROWS - 1


def test_mixed_formats_are_refused(client, data, tmp_path):
    svm = tmp_path / "x.svm"
    svm.write_text("1 3:1\n0 4:1\n")
    with pytest.raises(ValueError, match=r"x.svm: libsvm text, but .*part-0.vw is vw"):
        fd.fit(FTRLClassifier(bits=BITS), [data["files"][0], str(svm)], client)
    with pytest.raises(ValueError, match=r"x.svm: libsvm text, but .*part-0.vw is vw"):
        fd.fit(FTRLClassifier(bits=BITS), [data["files"][0], str(svm)], client,
               n_partitions=1)
    with pytest.raises(ValueError, match="format must be 'auto', 'libsvm' or 'vw'"):
        fd.fit(FTRLClassifier(), data["files"], client, format="svm")
    with pytest.raises(ValueError, match=r"bits must be an int in \[1, 32\]"):
        fd.fit(FTRLClassifier(), data["files"], client, bits=40)


# -- (6) what --dask cannot do: refused by name, before any cluster starts --------

def test_cli_refusals_name_the_flag(data, tmp_path, capsys, monkeypatch):
    model = tmp_path / "m.npz"
    vw = data["files"][0]
    for argv, flag in (([vw, "-p", str(tmp_path / "p")], "-p"),
                       ([vw, "--readable-model", str(tmp_path / "r")], "--readable-model"),
                       ([vw, "--invert-hash", str(tmp_path / "i")], "--invert-hash"),
                       ([vw, "--cache-file", str(tmp_path / "c")], "--cache-file"),
                       ([vw, "--class-weight", "0:2"], "--class-weight"),
                       ([vw, "--format", "vw", "--field-map", "a:0-9"], "--field-map"),
                       (["-"], "FILE -")):
        code, out, err = run(["train", *argv, "--dask", "tcp://127.0.0.1:9", "-f",
                              str(model)], capsys, b"1 |a x\n", monkeypatch)
        assert code == 2, (argv, err)
        last = err.strip().splitlines()
        assert len(last) == 1 and last[0].startswith("fastopt train: error: ")
        assert flag in last[0], (flag, last[0])
        assert not model.exists()
