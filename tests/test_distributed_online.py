"""fastopt.distributed.fit: online FTRL / RDA on a Dask LocalCluster.

One LocalCluster (2 worker processes, 1 thread each) serves the module.
References: estimator.fit on the same rows (one partition: bit for bit), and
the pure-Python twins of tests/reference_online.py run round by round with
the merge formulas written here from the module's docstring (several
partitions: to round-off)."""
import copy
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

import fastopt.distributed as fd  # noqa: E402
from fastopt.datasets import make_clicklike  # noqa: E402
from fastopt.libsvm import dump_libsvm, load_libsvm  # noqa: E402
from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier, load  # noqa: E402
from reference_online import FTRLTwin, RDATwin  # noqa: E402
from subproc import describe, run_ok, run_python  # noqa: E402

D = 2**10


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Three libsvm files (one gzip) of click-like rows, and their rows."""
    folder = tmp_path_factory.mktemp("dist")
    X, y, _ = make_clicklike(900, seed=3, n_cols_log2=10)
    X = sp.csr_matrix(X, dtype=np.float64)
    # a few non-binary values, so that x_i != 1 somewhere
    X.data[::7] = 0.5
    names = ["part-0.svm", "part-1.svm.gz", "part-2.svm"]
    files = []
    for k, name in enumerate(names):
        path = str(folder / name)
        dump_libsvm(X[300 * k:300 * (k + 1)], y[300 * k:300 * (k + 1)], path)
        files.append(path)
    return dict(folder=str(folder), files=files, X=X, y=y)


def _state(est):
    return est._state["state"], est._state["t"]


ESTIMATORS = [
    lambda: FTRLClassifier(alpha=0.2, beta=1.0, l1=0.3, l2=0.1),
    lambda: FTRLRegressor(alpha=0.05, l1=0.1, loss="squared"),
    lambda: RDAClassifier(l1=0.01, gamma=2.0, rho=0.001),
]


# -- one partition: estimator.fit, bit for bit ----------------------------------

@pytest.mark.parametrize("make, merge", [
    (ESTIMATORS[0], "sum"), (ESTIMATORS[1], "sum"), (ESTIMATORS[2], "sum"),
    (ESTIMATORS[0], "average"), (ESTIMATORS[1], "average")],
    ids=["ftrl-sum", "ftrl-reg-sum", "rda-sum", "ftrl-average", "ftrl-reg-average"])
def test_one_partition_equals_fit(client, data, make, merge):
    est = fd.fit(make(), data["files"], client, sync_rows=97, n_partitions=1,
                 n_features=D, merge=merge)
    ref = make().fit(data["X"], data["y"])
    s, t = _state(est)
    rs, rt = _state(ref)
    assert t == rt == 900
    np.testing.assert_array_equal(s, rs)
    assert est.progressive_loss_ == ref.progressive_loss_
    assert est.n_examples_seen_ == 900
    np.testing.assert_array_equal(est.predict(data["X"]), ref.predict(data["X"]))
    assert est.distributed_info_["rows"] == [900]
    assert est.distributed_info_["rounds"] == 10      # ceil(900 / 97)


def test_no_progressive_metrics_from_rounds(client, data, tmp_path):
    """The rounds keep no per-row margins: a distributed classifier reports
    NaN progressive logloss/AUC (not those of an earlier fit), and its model
    file keeps none; progressive_loss_ (the C loop's sums) is kept."""
    est = FTRLClassifier(l1=0.2).fit(data["X"], data["y"])
    assert 0.5 < est.progressive_auc_ <= 1.0
    fd.fit(est, data["files"], client, sync_rows=97, n_features=D)
    assert np.isnan(est.progressive_auc_) and np.isnan(est.progressive_logloss_)
    assert np.isfinite(est.progressive_loss_)
    est.save(str(tmp_path / "m.npz"))
    with np.load(tmp_path / "m.npz") as f:
        assert not [k for k in f.files if k.startswith("progressive_")]
    assert np.isnan(load(str(tmp_path / "m.npz")).progressive_auc_)


def test_sync_rows_auto(client, data):
    from fastopt.distributed.online import auto_sync_rows
    assert auto_sync_rows("sum", 3) == 2666 and auto_sync_rows("sum", 8) == 1000
    assert auto_sync_rows("sum", 100_000) == 1 and auto_sync_rows("average", 8) == 100_000
    auto = fd.fit(FTRLClassifier(l1=0.2), data["files"], client, n_features=D)
    given = fd.fit(FTRLClassifier(l1=0.2), data["files"], client, n_features=D,
                   sync_rows=2666)
    assert auto.distributed_info_["sync_rows"] == 2666
    assert auto.distributed_info_["rounds"] == 1      # 300 rows a file, 3 files
    np.testing.assert_array_equal(_state(auto)[0], _state(given)[0])
    with pytest.raises(ValueError, match="sync_rows"):
        fd.fit(FTRLClassifier(), data["files"], client, n_features=D, sync_rows="fast")


def test_one_partition_with_interactions_equals_fit(client, data):
    make = lambda: FTRLClassifier(l1=0.1, interactions=["ab"],  # noqa: E731
                                  fields={"a": [0, 400], "b": [400, D]})
    est = fd.fit(make(), data["files"][:2], client, sync_rows=111, n_partitions=1,
                 n_features=D)
    ref = make().fit(data["X"][:600], data["y"][:600])
    np.testing.assert_array_equal(_state(est)[0], _state(ref)[0])
    two = fd.fit(make(), data["files"][:2], client, sync_rows=111, n_features=D)
    again = fd.fit(make(), data["files"][:2], client, sync_rows=111, n_features=D)
    np.testing.assert_array_equal(_state(two)[0], _state(again)[0])
    assert not np.array_equal(_state(two)[0], _state(est)[0])


def test_one_partition_passes_equals_n_epochs(client, data):
    est = fd.fit(FTRLClassifier(l1=0.2), data["files"][:2], client, sync_rows=128,
                 n_partitions=1, n_features=D, passes=3)
    ref = FTRLClassifier(l1=0.2, n_epochs=3).fit(data["X"][:600], data["y"][:600])
    np.testing.assert_array_equal(_state(est)[0], _state(ref)[0])
    assert est.n_examples_seen_ == ref.n_examples_seen_ == 1800
    assert est.distributed_info_["rounds"] == 15      # 5 a pass, never across passes


@pytest.mark.parametrize("sparse", [True, False])
def test_dask_arrays_one_chunk_equals_fit(client, data, sparse):
    import dask
    import dask.array as da
    X, y = data["X"][:400], data["y"][:400]
    if sparse:
        Xd = da.from_delayed(dask.delayed(X), shape=X.shape, dtype=X.dtype,
                             meta=sp.csr_matrix((0, X.shape[1])))
    else:
        Xd = da.from_array(X.toarray(), chunks=(400, -1))
    yd = da.from_array(y * 2 - 1, chunks=400)             # labels -1 / +1
    est = fd.fit(FTRLClassifier(l1=0.1), (Xd, yd), client, sync_rows=50)
    ref = FTRLClassifier(l1=0.1).fit(X if sparse else X.toarray(), y * 2 - 1)
    np.testing.assert_array_equal(_state(est)[0], _state(ref)[0])
    np.testing.assert_array_equal(est.classes_, [-1.0, 1.0])
    with pytest.raises(ValueError, match="holdout: for files"):
        fd.fit(FTRLClassifier(), (Xd, yd), client, holdout=0.1)


# -- several partitions: the twins, merged by the documented formulas -----------

def _twin_fit(make_twin, parts, sync_rows, merge):
    """Round by round: every partition trains a copy of the global twin on
    its next rows; the copies are merged as the module's docstring says.
    parts: (X, y) or (X, y, sample_weight, base_margin) (each None or one
    value per row)."""
    model = make_twin()
    pos = [0] * len(parts)
    while any(p < part[0].shape[0] for p, part in zip(pos, parts)):
        copies = []
        for k, (X, y, *more) in enumerate(parts):
            if pos[k] >= X.shape[0]:
                continue
            c = copy.deepcopy(model)
            rows = slice(pos[k], pos[k] + sync_rows)
            c.fit(X[rows], y[rows], *(None if a is None else a[rows] for a in more))
            pos[k] += sync_rows
            copies.append(c)
        if isinstance(model, RDATwin):
            G0, t0 = list(model.G), model.t
            model.G = [G0[i] + sum(c.G[i] - G0[i] for c in copies)
                       for i in range(len(G0))]
            model.t = t0 + sum(c.t - t0 for c in copies)
            continue
        z0, n0 = list(model.z), list(model.n)
        for i in range(len(z0)):
            n = n0[i] + sum(c.n[i] - n0[i] for c in copies)
            z = z0[i] + sum(c.z[i] - z0[i] for c in copies)
            a = [c.n[i] - n0[i] for c in copies]
            if merge == "average" and sum(a) > 0:
                w = sum(ak * c.weight(i) for ak, c in zip(a, copies)) / sum(a)
                l1, l2 = (0.0, 0.0) if i == model.d else (model.l1, model.l2)
                if w != 0.0:
                    z = -w * ((model.beta + np.sqrt(n)) / model.alpha + l2) - np.sign(w) * l1
                else:
                    z_avg = sum(ak * c.z[i] for ak, c in zip(a, copies)) / sum(a)
                    z = min(max(z_avg, -l1), l1)
            model.z[i], model.n[i] = z, n
    return model


@pytest.mark.parametrize("merge", ["sum", "average"])
def test_ftrl_partitions_match_twin(client, data, merge):
    files = data["files"]
    est = fd.fit(FTRLClassifier(alpha=0.3, l1=0.2, l2=0.5), files, client,
                 sync_rows=70, n_features=D, merge=merge)
    parts = [(data["X"][300 * k:300 * (k + 1)], data["y"][300 * k:300 * (k + 1)])
             for k in range(3)]
    twin = _twin_fit(lambda: FTRLTwin(D, 0.3, 1.0, 0.2, 0.5), parts, 70, merge)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, twin.weights()[-1], rtol=1e-9)
    np.testing.assert_allclose(_state(est)[0][:, 1], twin.n, rtol=1e-12)
    assert est.distributed_info_["rows"] == [300, 300, 300]
    ref = FTRLClassifier(alpha=0.3, l1=0.2, l2=0.5).fit(data["X"], data["y"])
    assert not np.array_equal(est.coef_, ref.coef_)   # 3 partitions: not one pass


def test_rda_partitions_match_twin(client, data):
    est = fd.fit(RDAClassifier(l1=0.01, gamma=2.0), data["files"], client,
                 sync_rows=130, n_features=D)
    parts = [(data["X"][300 * k:300 * (k + 1)], data["y"][300 * k:300 * (k + 1)])
             for k in range(3)]
    twin = _twin_fit(lambda: RDATwin(D, 0.01, 2.0), parts, 130, "sum")
    assert _state(est)[1] == twin.t == 900
    np.testing.assert_allclose(_state(est)[0][:, 0], twin.G, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-9, atol=1e-12)


def test_deterministic_across_worker_counts(client, data):
    kw = dict(sync_rows=64, n_features=D, holdout=0.1)
    a = fd.fit(FTRLClassifier(l1=0.2), data["files"], client, **kw)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0", silence_logs=logging.ERROR) as one, \
            Client(one, set_as_default=False) as c1:
        b = fd.fit(FTRLClassifier(l1=0.2), data["files"], c1, **kw)
    np.testing.assert_array_equal(_state(a)[0], _state(b)[0])
    assert a.progressive_loss_ == b.progressive_loss_
    assert a.distributed_info_["holdout_loss"] == b.distributed_info_["holdout_loss"]
    assert (a.distributed_info_["workers"], b.distributed_info_["workers"]) == (2, 1)


def test_holdout_matches_cli_rule(client, data):
    from fastopt.cli_online import _held_out, _loss_sum
    est = fd.fit(FTRLClassifier(), data["files"][:1], client, sync_rows=1000,
                 n_features=D, holdout=0.2)
    X, y = data["X"][:300], data["y"][:300]
    mask = _held_out(0, 300, 0.2)
    ref = FTRLClassifier().fit(X[~mask], y[~mask])
    np.testing.assert_array_equal(_state(est)[0], _state(ref)[0])
    info = est.distributed_info_
    assert info["n_held_out"] == mask.sum() > 0
    expect = _loss_sum("logistic", 0.5, ref.decision_function(X[mask]), y[mask]) / mask.sum()
    assert info["holdout_loss"] == pytest.approx(expect, rel=1e-12)


def test_progress_and_model_file(client, data, tmp_path):
    lines = []
    est = fd.fit(FTRLClassifier(), data["folder"] + "/part-*", client, sync_rows=100,
                 n_features=D, progress=lines.append)
    assert len(lines) == 3 and lines[-1].startswith("round 3/3  900 rows")
    assert "rows/s" in lines[-1] and "progressive logloss" in lines[-1]
    est.save(tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.predict_proba(data["X"]),
                                  est.predict_proba(data["X"]))


# -- faults and bad input -------------------------------------------------------

def test_killed_worker_changes_nothing(client, data):
    kw = dict(sync_rows=20, n_features=D)
    clean = fd.fit(FTRLClassifier(l1=0.2), data["files"], client, **kw)
    pids = list(client.run(os.getpid).values())
    killed = []

    def progress(line):
        if line.startswith("round 3/") and not killed:
            # during the next round: the driver goes on while the worker dies
            killed.append(pids[0])
            threading.Timer(0.01, os.kill, (pids[0], signal.SIGKILL)).start()

    faulty = fd.fit(FTRLClassifier(l1=0.2), data["files"], client, progress=progress,
                    **kw)
    assert killed
    np.testing.assert_array_equal(_state(clean)[0], _state(faulty)[0])
    assert clean.progressive_loss_ == faulty.progressive_loss_
    client.wait_for_workers(2, timeout=60)     # the nanny restarted it


def test_malformed_line_names_file_and_line(client, data, tmp_path):
    bad = tmp_path / "bad.svm"
    text = open(data["files"][0]).read().splitlines()
    text[41] = "1 3:1 x:2"
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match=rf"{bad}:42: bad feature 'x:2'"):
        fd.fit(FTRLClassifier(), [data["files"][2], str(bad)], client, n_features=D)
    est = fd.fit(FTRLClassifier(), [data["files"][2], str(bad)], client, n_features=D,
                 skip_bad_lines=True)
    assert est.distributed_info_["bad_lines"] == [0, 1]
    assert est.distributed_info_["rows"] == [300, 299]
    assert f"{bad}:42:" in est.distributed_info_["first_bad_line"]


def test_unreadable_file_is_named(client, data, tmp_path):
    missing = str(tmp_path / "nope.svm")
    with pytest.raises(OSError, match="nope.svm"):
        fd.fit(FTRLClassifier(), [data["files"][0], missing], client, n_features=D)
    with pytest.raises(OSError, match=str(tmp_path)):
        fd.fit(FTRLClassifier(), [str(tmp_path)], client, n_features=D)
    with pytest.raises(ValueError, match="no file matches"):
        fd.fit(FTRLClassifier(), str(tmp_path / "*.none"), client, n_features=D)


def test_unreachable_scheduler_times_out():
    import time
    from fastopt.distributed._dask import connect
    t0 = time.perf_counter()
    with pytest.raises(OSError, match=r"cannot reach the Dask scheduler at "
                                      r"tcp://127.0.0.1:9 within 1 s"):
        connect("tcp://127.0.0.1:9", timeout=1.0)
    assert time.perf_counter() - t0 < 30


def test_handshake_race_is_retried(monkeypatch):
    """distributed's Client handshake asserts that the scheduler's first
    batch is its stream-start alone, and fails when a broadcast to every
    client lands in the same batch (seen connecting to a scheduler whose
    other client had just cancelled tasks): connect tries again, and after
    three failures says so as an OSError."""
    import distributed
    from fastopt.distributed._dask import connect
    calls = []

    def flaky(address, timeout):
        calls.append(address)
        if len(calls) < 3:
            raise AssertionError
        return "client"

    monkeypatch.setattr(distributed, "Client", flaky)
    assert connect("tcp://127.0.0.1:8786") == ("client", None)
    assert len(calls) == 3
    calls.clear()

    def broken(address, timeout):
        calls.append(address)
        raise AssertionError

    monkeypatch.setattr(distributed, "Client", broken)
    with pytest.raises(OSError, match=r"tcp://127.0.0.1:8786: its handshake failed 3 "
                                      r"times"):
        connect("tcp://127.0.0.1:8786")
    assert len(calls) == 3


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(sync_rows=0), ValueError, "sync_rows must be an int >= 1"),
    (dict(passes=1.5), ValueError, "passes must be an int >= 1"),
    (dict(merge="median"), ValueError, "merge must be one of"),
    (dict(n_partitions=4), ValueError, "n_partitions=4 is more than the 3 file"),
    (dict(holdout=1.0), ValueError, "holdout must be None or a fraction"),
])
def test_bad_arguments(client, data, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fd.fit(FTRLClassifier(), data["files"], client, n_features=D, **kwargs)


def test_bad_estimators(client, data):
    with pytest.raises(TypeError, match="estimator must be a fastopt.online"):
        fd.fit(object(), data["files"], client)
    with pytest.raises(ValueError, match="n_epochs must be 1"):
        fd.fit(FTRLClassifier(n_epochs=2), data["files"], client)
    with pytest.raises(ValueError, match="RDA does not keep"):
        fd.fit(RDAClassifier(), data["files"], client, merge="average")


# -- command line ---------------------------------------------------------------

def _cli(*args, timeout=240):
    """The command, run from elsewhere (the same fastopt as the tests')."""
    return subprocess.run([sys.executable, "-m", "fastopt.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=tempfile.gettempdir())


def test_cli_dask_local(client, data, tmp_path):
    model = tmp_path / "m.npz"
    res = _cli("train", data["folder"] + "/part-*", "--dask", "local:2", "--n-features",
               str(D), "--l1", "0.2", "--sync-rows", "64", "--holdout", "0.1",
               "-f", str(model), "--quiet")
    assert res.returncode == 0, describe(res)
    assert "dask:                 local:2, 2 workers, 3 partitions" in res.stdout
    assert "holdout logloss:" in res.stdout
    ref = fd.fit(FTRLClassifier(l1=0.2), data["folder"] + "/part-*", client,
                 sync_rows=64, n_features=D, holdout=0.1)
    got = load(model)
    np.testing.assert_array_equal(_state(got)[0], _state(ref)[0])
    pred = tmp_path / "p.txt"
    res = _cli("predict", str(model), data["files"][0], "-p", str(pred))
    assert res.returncode == 0, describe(res)
    p = np.loadtxt(pred)
    np.testing.assert_allclose(p, ref.predict_proba(data["X"][:300])[:, 1], rtol=1e-8)


def test_cli_dask_errors(data, tmp_path):
    bad = tmp_path / "bad.svm"
    bad.write_text("1 1:1\n0 2:1\n1 3:one\n")
    model = tmp_path / "m.npz"
    res = _cli("train", str(bad), "--dask", "local:1", "--n-features", "16",
               "-f", str(model))
    assert res.returncode == 2, describe(res)
    assert res.stderr.strip().splitlines()[-1] == (
        f"fastopt train: error: {bad}:3: bad feature '3:one': value is not a number")
    assert not model.exists()
    res = _cli("train", str(tmp_path / "*.svm"), "--dask", "tcp://127.0.0.1:9",
               "--dask-timeout", "1", "-f", str(model))
    assert res.returncode == 2, describe(res)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.stderr
    res = _cli("train", str(bad), "--dask", "local:0", "-f", str(model))
    assert res.returncode == 2 and "expected local:N with N >= 1" in res.stderr
    # single-machine training control that --dask does not do: refused by name,
    # before any cluster starts
    for flag in (["-i", str(model)], ["--cache-file", str(tmp_path / "c")],
                 ["--invert-hash", str(tmp_path / "inv")]):
        res = _cli("train", str(bad), "--dask", "local:1", "-f", str(model), *flag)
        assert res.returncode == 2, describe(res)
        assert res.stderr.strip().splitlines()[-1].endswith("is not supported with --dask")
        assert not model.exists()


# -- the optional dependency ----------------------------------------------------

def test_import_fastopt_never_imports_dask():
    run_ok("""
        import sys, fastopt, fastopt.online, fastopt.cli, fastopt.cli_online
        bad = [m for m in ("dask", "distributed") if m in sys.modules]
        assert not bad, bad
    """)


def test_missing_dask_names_the_extra():
    res = run_python("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("dask", "distributed"):
                    raise ModuleNotFoundError(f"No module named {name!r}")
        sys.meta_path.insert(0, Block())
        import fastopt.distributed
    """)
    assert res.returncode == 1, describe(res)
    assert 'pip install "fastopt[dask]"' in res.stderr.strip().splitlines()[-1]
