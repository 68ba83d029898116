"""Hostile input for the online learners, their model files, fastopt's file
writes and `fastopt train` / `predict` (issue 11: items 2-6, 10, 11).

Every bad input must raise a clear exception naming what is wrong (or exit
2 with one line), change nothing, and never crash the interpreter.  What
could crash runs in a child process (tests/subproc.py): the child works
through a whole table and reports, the tests here check each row.
"""
import copy
import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt import cli, cli_online
from fastopt._files import atomic_output, same_file
from fastopt.libsvm import dump_libsvm, iter_chunks
from fastopt.online import FTRLClassifier, FTRLRegressor, load
from subproc import describe, run_ok

# -- shared pieces ---------------------------------------------------------------

DATA = """
import numpy as np, scipy.sparse as sp
def make_data(n=120, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.3, format="csr", random_state=seed,
                  data_rvs=rng.standard_normal)
    y = (X @ rng.standard_normal(d) > 0).astype(np.float64)
    return X, y
"""
exec(DATA)


def run_cli(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err, cmd):
    lines = err.strip().splitlines()
    return (len(lines) == 1 and lines[0].startswith(f"fastopt {cmd}: error: ")
            and "Traceback" not in err)


def child_table(code):
    """Run a child that prints one JSON dict of results per table."""
    res = run_ok(DATA + code)
    return json.loads(res.stdout.strip().splitlines()[-1])


def no_temp_files(folder):
    return [p for p in os.listdir(folder) if p.endswith(".tmp") or ".tmp" in p]


# -- item 3: CSR structures reach C only checked ---------------------------------

# name -> (code that makes `B` from a good CSR `G`, exception, message)
CSR_FAULTS = {
    "indptr decreases": ("B = G.copy(); B.indptr = B.indptr.copy(); B.indptr[5] = 0",
                         "ValueError", r"X\.indptr decreases at position 5"),
    "indptr[0] not 0": ("B = G.copy(); B.indptr = B.indptr + 1",
                        "ValueError", r"X\.indptr\[0\] = 1"),
    "data shorter than nnz": ("B = G.copy(); B.data = B.data[:5]",
                              "ValueError", r"stored values"),
    "indices shorter than nnz": ("B = G.copy(); B.indices = B.indices[:5]",
                                 "ValueError", r"stored indices"),
    "index 10**9": ("B = G.copy(); B.indices = B.indices.copy(); B.indices[3] = 10**9",
                    "IndexError", r"X\.indices\[3\] = 1000000000 is out of range"),
    "negative index": ("B = G.copy(); B.indices = B.indices.copy(); B.indices[0] = -1",
                       "IndexError", r"X\.indices\[0\] = -1"),
    "indptr too short": ("B = G.copy(); B.indptr = B.indptr[:-1]",
                         "ValueError", r"X\.indptr has 120 entries"),
    "float indptr": ("B = G.copy(); B.indptr = B.indptr.astype(float)",
                     "TypeError", r"X\.indptr must hold integers"),
    "2-D indices": ("B = G.copy(); B.indices = B.indices.reshape(1, -1)",
                    "ValueError", r"X\.indices must be 1-D"),
    "CSC row out of range": ("B = G.tocsc(); B.indices = B.indices.copy(); B.indices[2] = 500",
                             "IndexError", r"X\.indices\[2\] = 500 is out of range for 120 rows"),
    "COO col out of range": ("B = G.tocoo(); B.col = B.col.copy(); B.col[4] = 12",
                             "IndexError", r"X\.col\[4\] = 12 is out of range for 12 columns"),
    "COO lengths differ": ("B = G.tocoo(); B.row = B.row[:-1]",
                           "ValueError", r"X\.row, X\.col and X\.data have"),
    "complex data": ("B = G.astype(complex)", "ValueError", "Complex data not supported"),
}
CSR_METHODS = ("fit", "partial_fit", "predict", "predict_proba", "decision_function", "score")


@pytest.fixture(scope="module")
def csr_results():
    faults = {k: v[0] for k, v in CSR_FAULTS.items()}
    return child_table(f"""
import json
from fastopt.online import FTRLClassifier, RDAClassifier
G, y = make_data()
out = {{}}
for name, make in {faults!r}.items():
    for cls in (FTRLClassifier, RDAClassifier):
        est = cls().fit(G, y)
        before = (est.coef_.copy(), est.intercept_, est.n_examples_seen_)
        for method in {CSR_METHODS!r}:
            ns = dict(G=G)
            exec(make, ns)
            B = ns["B"]
            args = (B, y) if method in ("fit", "partial_fit", "score") else (B,)
            try:
                getattr(est, method)(*args)
                got = ("ok", "")
            except Exception as e:
                got = (type(e).__name__, str(e))
            after = (est.coef_, est.intercept_, est.n_examples_seen_)
            same = (np.array_equal(before[0], after[0]) and before[1:] == after[1:])
            out[f"{{name}}|{{cls.__name__}}|{{method}}"] = got + (same,)
print(json.dumps(out))
""")


@pytest.mark.parametrize("fault", list(CSR_FAULTS))
def test_bad_csr_structure_is_refused_everywhere(csr_results, fault):
    import re
    _, exc, msg = CSR_FAULTS[fault]
    for cls in ("FTRLClassifier", "RDAClassifier"):
        for method in CSR_METHODS:
            got_exc, got_msg, unchanged = csr_results[f"{fault}|{cls}|{method}"]
            assert got_exc == exc and re.search(msg, got_msg), (fault, cls, method, got_msg)
            assert unchanged, (fault, cls, method)


def test_odd_index_dtypes_still_work():
    X, y = make_data()
    ref = FTRLClassifier().fit(X, y).coef_
    mixed = sp.csr_matrix(X.shape)
    mixed.data, mixed.indices, mixed.indptr = X.data, X.indices.astype(np.int64), X.indptr
    small = sp.csr_matrix(X.shape)
    small.data, small.indices, small.indptr = (X.data, X.indices.astype(np.int16),
                                               X.indptr.astype(np.uint16))
    for Xi in (mixed, small):
        np.testing.assert_array_equal(FTRLClassifier().fit(Xi, y).coef_, ref)


def test_fuzzed_csr_structures_raise_or_work():
    """hypothesis builds CSR structures with faults (indptr out of order or
    beyond the arrays, indices out of range, short data, odd dtypes); every
    online entry point must raise IndexError/ValueError/TypeError or work."""
    run_ok(DATA + """
import numpy as np, scipy.sparse as sp
from hypothesis import given, settings, strategies as st, HealthCheck
from fastopt.online import FTRLClassifier, RDAClassifier
G, y = make_data(n=8, d=6)
fitted = [FTRLClassifier().fit(G, y), RDAClassifier().fit(G, y)]
idx_dtypes = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint32, np.float64])
@settings(max_examples=250, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(indptr=st.lists(st.integers(-3, 40), min_size=0, max_size=11),
       indices=st.lists(st.integers(-(2**40), 2**40) | st.integers(-2, 8), max_size=40),
       ndata=st.integers(0, 40), pdt=idx_dtypes, idt=idx_dtypes,
       fmt=st.sampled_from(["csr", "csc"]), method=st.integers(0, 4))
def fuzz(indptr, indices, ndata, pdt, idt, fmt, method):
    M = sp.csr_matrix((8, 6)) if fmt == "csr" else sp.csc_matrix((8, 6))
    try:
        M.indptr = np.array(indptr).astype(pdt)
        M.indices = np.array(indices).astype(idt)
    except (OverflowError, ValueError):
        return
    M.data = np.linspace(-1, 1, ndata)
    est = fitted[method % 2]
    try:
        if method < 2:
            est.partial_fit(M, y)
        elif method == 2:
            FTRLClassifier().fit(M, y)
        elif method == 3:
            est.predict_proba(M)
        else:
            est.score(M, y)
    except (IndexError, ValueError, TypeError):
        pass
fuzz()
print("ok")
""")


# -- item 2: one estimator, many threads --------------------------------------------

def test_concurrent_partial_fit_equals_some_serial_order():
    run_ok(DATA + """
import itertools, threading
from fastopt.online import FTRLClassifier, RDAClassifier
X, y = make_data(n=400, d=30)
batches = [(X[i::4], y[i::4]) for i in range(4)]
serial = {}
for cls in (FTRLClassifier, RDAClassifier):
    for order in itertools.permutations(range(4)):
        est = cls()
        for i in order:
            est.partial_fit(*batches[i], classes=[0.0, 1.0])
        serial[cls, order] = est.coef_
    for trial in range(15):
        est = cls()
        start = threading.Barrier(5)
        errors = []
        def work(i):
            start.wait()
            try:
                est.partial_fit(*batches[i], classes=[0.0, 1.0])
                est.predict_proba(X)      # races the other threads' fits
            except Exception as e:
                errors.append(e)
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        start.wait()
        for t in threads:
            t.join()
        assert not errors, errors
        assert est.n_examples_seen_ == 400, est.n_examples_seen_
        assert any(np.array_equal(est.coef_, serial[cls, o])
                   for o in itertools.permutations(range(4))), "no serial order matches"
print("ok")
""")


def test_lock_is_not_pickled_or_shared_by_copies():
    X, y = make_data()
    est = FTRLClassifier().fit(X, y)
    for twin in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        assert "_call_lock" not in twin.__dict__ or twin._lock() is not est._lock()
        np.testing.assert_array_equal(twin.coef_, est.coef_)
        twin.partial_fit(X, y)                 # its own lock, its own state
        assert twin.n_examples_seen_ == 2 * est.n_examples_seen_
    assert "_call_lock" not in est.__getstate__()
    with est._lock():           # a snapshot waits for a running call to end
        t = threading.Thread(target=pickle.dumps, args=(est,))
        t.start()
        t.join(0.2)
        assert t.is_alive()
    t.join()


# -- item 4: thread counts ------------------------------------------------------------

def test_every_c_call_resolves_n_threads(monkeypatch):
    from fastopt.online import _base
    seen = []
    monkeypatch.setattr(_base, "effective_n_threads", lambda n: seen.append(n) or 1)
    X, y = make_data()
    est = FTRLClassifier(n_threads=10**6)
    est.fit(X, y)
    est.partial_fit(X, y)
    est.predict(X), est.predict_proba(X), est.decision_function(X), est.score(X, y)
    assert seen == [10**6] * 6


@pytest.mark.parametrize("value,exc", [("4", TypeError), (2.0, TypeError), (0, ValueError),
                                       (True, TypeError)])
def test_bad_n_threads_is_refused(value, exc):
    X, y = make_data()
    with pytest.raises(exc, match="n_threads"):
        FTRLClassifier(n_threads=value).fit(X, y)


def _caps_threads():
    from fastopt._threads import effective_n_threads, usable_cpus
    return effective_n_threads(100000) <= usable_cpus()


@pytest.mark.skipif(not _caps_threads(),
                    reason="effective_n_threads does not cap requests yet (core branch)")
def test_huge_n_threads_do_not_crash(tmp_path):
    run_ok(DATA + f"""
from fastopt import cli
from fastopt.online import FTRLClassifier, RDAClassifier, load
X, y = make_data(n=3000)
for n in (100000, 20000):
    for cls in (FTRLClassifier, RDAClassifier):
        est = cls(n_threads=n).fit(X, y)
        assert np.all(np.isfinite(est.predict_proba(X)))
est.save({str(tmp_path / 'm.npz')!r})
assert load({str(tmp_path / 'm.npz')!r}).n_threads == 20000
# a model file carrying n_threads: predict on more rows than the serial cutoff
from fastopt.libsvm import dump_libsvm
model = FTRLClassifier(n_threads=100000).fit(X, y)
model.save({str(tmp_path / 'm.npz')!r}, info={{"hash": False}})
dump_libsvm(X, y, {str(tmp_path / 'd.svm')!r})
code = cli.main(["predict", {str(tmp_path / 'm.npz')!r}, {str(tmp_path / 'd.svm')!r},
                 "-o", {str(tmp_path / 'p.txt')!r}, "--quiet"])
assert code == 0
""")


# -- item 10: model files are untrusted -------------------------------------------------

def _good_fields(cls=FTRLClassifier, version=3, multi=False):
    """A saved model's fields: as `save` writes them (format 3: the touched
    rows of the state, `rows` and `values`), or as the release before
    wrote them (format 2: the dense `state`), which is still read.  multi:
    a 3-class one-vs-rest model (labels "a" < "b" < "c"; values (k, 3, 3))."""
    import io
    X, y = make_data()
    if multi:
        y = np.array(["a", "b", "c"])[(X @ np.arange(12.0) > 0).astype(int) + y.astype(int)]
    est = cls().fit(X, y) if cls is not FTRLRegressor else cls().fit(X, X @ np.ones(12))
    buf = io.BytesIO()
    est.save(buf, info={"hash": False})
    buf.seek(0)
    with np.load(buf) as f:
        fields = {k: f[k] for k in f.files}
    if version == 2:
        state = np.zeros((est.n_features_in_ + 1,) + fields["values"].shape[1:])
        state[fields.pop("rows").astype(np.int64)] = fields.pop("values")
        for name in ("progressive_bins", "progressive_counts", "progressive_sums"):
            fields.pop(name, None)      # format 3's
        fields.update(state=state, format_version=np.asarray(2))
    return fields


def _params(**change):
    p = FTRLClassifier().get_params()
    p.update(change)
    return json.dumps(p)


# name -> (field changes (None: remove), message)
MODEL_FAULTS = {
    # format 2 (dense state), still read
    "NaN state": (dict(_v=2, state="nan"), "NaN or infinity"),
    "inf state": (dict(_v=2, state="inf"), "NaN or infinity"),
    "complex state": (dict(_v=2, state="complex"), "real floating point"),
    "integer state": (dict(_v=2, state="int"), "real floating point"),
    "state shape": (dict(_v=2, state="short"),
                    r"state has shape \(12, 3\); expected \(13, 3\)"),
    "negative accumulator": (dict(_v=2, state="negn"), "negative FTRL accumulator"),
    "huge n_features": (dict(_v=2, n_features_in_=2**40), r"state has shape"),
    "rows in format 2": (dict(_v=2, rows=np.arange(3, dtype=np.uint32)),
                         "unexpected field 'rows.npy' in a format 2 model"),
    "format 2 without state": (dict(_v=2, state=None), "missing field 'state'"),
    # format 3 (rows and values: the touched rows of the state)
    "NaN values": (dict(values="nan"), "NaN or infinity"),
    "inf values": (dict(values="inf"), "NaN or infinity"),
    "complex values": (dict(values="complex"), "real floating point"),
    "integer values": (dict(values="int"), "real floating point"),
    "values shape": (dict(values="short"), r"field 'values' has shape"),
    "values 1-d": (dict(values="flat"), r"field 'values' has shape"),
    "negative accumulator v3": (dict(values="negn"), "negative FTRL accumulator"),
    "rows float": (dict(rows="float"), "'rows' must hold integers"),
    "rows decreasing": (dict(rows="reversed"), r"increasing row numbers in \[0, 12\]"),
    "rows repeated": (dict(rows="repeat"), "increasing row numbers"),
    "rows beyond d": (dict(rows="beyond"), "increasing row numbers"),
    "rows negative": (dict(rows="negative"), "increasing row numbers"),
    "rows too many": (dict(rows="many"), r"field 'rows' has shape \(14,\); expected"),
    "rows 2-d": (dict(rows="2d"), r"field 'rows' has shape"),
    "missing rows": (dict(rows=None), "missing field 'rows'"),
    "missing values": (dict(values=None), "missing field 'values'"),
    "state in format 3": (dict(state=np.zeros((13, 3))),
                          "unexpected field 'state.npy' in a format 3 model"),
    "huge n_features v3": (dict(n_features_in_=2**40), "more than this machine's"),
    # either format
    "one class": (dict(classes_=np.array([0.0])), "classes_"),
    "three classes": (dict(classes_=np.array([0.0, 1.0, 2.0])),
                      r"field 'values' has shape \(\d+, 3\); expected \(\d+, 3, 3\)"),
    "equal classes": (dict(classes_=np.array([1.0, 1.0])), "2 distinct labels"),
    "NaN class": (dict(classes_=np.array([0.0, np.nan])), "2 distinct labels"),
    # one-vs-rest (format 3, classes_ of K > 2 labels, values (k, K, stride))
    "mc NaN values": (dict(_mc=True, values="nan"), "NaN or infinity"),
    "mc negative accumulator": (dict(_mc=True, values="negn"), "negative FTRL accumulator"),
    "mc values 2-d": (dict(_mc=True, values="flat2"),
                      r"field 'values' has shape \(\d+, 9\); expected \(\d+, 3, 3\)"),
    "mc values of 2 classes": (dict(_mc=True, values="two"),
                               r"field 'values' has shape \(\d+, 2, 3\)"),
    "mc four labels": (dict(_mc=True, classes_=np.array(["a", "b", "c", "d"])),
                       r"expected \(\d+, 4, 3\)"),
    "mc two labels": (dict(_mc=True, classes_=np.array(["a", "b"])),
                      r"expected \(\d+, 3\)"),
    "mc no classes": (dict(_mc=True, classes_=None), r"field 'values' has shape"),
    "mc classes unsorted": (dict(_mc=True, classes_=np.array(["c", "b", "a"])),
                            "3 distinct labels in increasing order"),
    "mc classes repeated": (dict(_mc=True, classes_=np.array(["a", "a", "c"])),
                            "3 distinct labels"),
    "mc NaN class": (dict(_mc=True, classes_=np.array([0.0, np.nan, 2.0])),
                     "3 distinct labels"),
    "mc complex classes": (dict(_mc=True, classes_=np.array([0, 1j, 2])),
                           "3 distinct labels"),
    "mc classes 2-d": (dict(_mc=True, classes_=np.array([["a", "b", "c"]])),
                       "field 'classes_' has shape"),
    "mc classes 0-d": (dict(_mc=True, classes_=np.asarray("abc")),
                       "field 'classes_' has shape"),
    "mc object classes": (dict(_mc=True, classes_=np.array(["a", "b", "c"], dtype=object)),
                          "Python objects"),
    "mc in format 2": (dict(_mc=True, _v=2),
                       r"state has shape \(13, 3, 3\); expected \(13, 3\)"),
    "mc huge n_features": (dict(_mc=True, n_features_in_=2**40), "more than this machine's"),
    "mc regressor classes": (dict(_mc=True, estimator="FTRLRegressor",
                                  params=json.dumps(FTRLRegressor().get_params())),
                             "has no classes_"),
    "no classes": (dict(classes_=None), "missing field 'classes_'"),
    "params a list": (dict(params="[1]"), "'params' must be a JSON object"),
    "params not JSON": (dict(params="{alpha"), "'params' is not JSON"),
    "params deeply nested": (dict(params="[" * 100000), "'params' is not JSON"),
    "params unknown": (dict(params=_params(gamma=1.0)), "invalid parameter 'gamma'"),
    "params alpha": (dict(params=_params(alpha=-1)), "params: alpha must be > 0"),
    "params alpha NaN": (dict(params=_params(alpha=float("nan"))), "alpha"),
    "params n_threads": (dict(params=_params(n_threads="x")), "params: n_threads"),
    "params n_threads 0": (dict(params=_params(n_threads=0)), "params: n_threads"),
    "params random_state": (dict(params=_params(random_state=-1)), "random_state"),
    "estimator load": (dict(estimator="load"), "unknown estimator 'load'"),
    "estimator base": (dict(estimator="OnlineLinearModel"), "unknown estimator"),
    "format version": (dict(format_version=1), "unsupported model format 1"),
    "format version 4": (dict(format_version=4), r"unsupported model format 4 \(this "
                                                 r"fastopt reads formats 2, 3\)"),
    "info a list": (dict(info="[1]"), "'info' must be a JSON object"),
    "info not JSON": (dict(info="nope"), "'info' is not JSON"),
    "info hash": (dict(info='{"hash": "yes"}'), None),   # load: fine; predict: refused
    "missing t": (dict(t=None), "missing field 't'"),
    "extra field": (dict(extra=np.zeros(3)), "unexpected field 'extra.npy'"),
    "object field": (dict(t="object"), "Python objects"),
    "n_features 0": (dict(n_features_in_=0), "out of range"),
    "t negative": (dict(t=-1), "'t' = -1 is out of range"),
    "loss NaN": (dict(loss_sum=np.nan), "not finite"),
    "t a string": (dict(t="5"), "'t' must be a scalar"),
    # a classifier's progressive metrics (format 3; all three fields or none)
    "progressive negative count": (dict(progressive_bins=np.array([0, 5], np.uint32),
                                        progressive_counts=np.array([1.0, -1.0])),
                                   "'progressive_counts' must hold finite numbers >= 0"),
    "progressive NaN count": (dict(progressive_bins=np.array([0, 5], np.uint32),
                                   progressive_counts=np.array([1.0, np.nan])),
                              "'progressive_counts' must hold finite"),
    "progressive NaN sums": (dict(progressive_sums=np.array([np.nan, 1.0])),
                             "'progressive_sums' must hold finite"),
    "progressive int sums": (dict(progressive_sums=np.array([1, 2])),
                             "'progressive_sums' must hold finite"),
    "progressive bins decreasing": (dict(progressive_bins=np.array([5, 0], np.uint32),
                                         progressive_counts=np.ones(2)),
                                    r"'progressive_bins' must be increasing integers "
                                    r"in \[0, 32768\)"),
    "progressive bins beyond": (dict(progressive_bins=np.array([0, 32768], np.uint32),
                                     progressive_counts=np.ones(2)),
                                "'progressive_bins' must be increasing integers"),
    "progressive bins negative": (dict(progressive_bins=np.array([-1, 3]),
                                       progressive_counts=np.ones(2)),
                                  "'progressive_bins' must be increasing integers"),
    "progressive bins float": (dict(progressive_bins=np.array([0.0, 3.0]),
                                    progressive_counts=np.ones(2)),
                               "'progressive_bins' must be increasing integers"),
    "progressive bins too many": (dict(progressive_bins=np.arange(32769, dtype=np.uint32),
                                       progressive_counts=np.ones(32769)),
                                  r"'progressive_bins' has shape \(32769,\); expected "
                                  r"\(k,\) with k <= 32768"),
    "progressive counts shape": (dict(progressive_counts=np.ones(1)),
                                 "field 'progressive_counts' has shape"),
    "progressive sums shape": (dict(progressive_sums=np.ones(3)),
                               r"field 'progressive_sums' has shape \(3,\); expected \(2,\)"),
    "progressive without sums": (dict(progressive_sums=None),
                                 "missing field 'progressive_sums'"),
    "progressive in format 2": (dict(_v=2, progressive_bins=np.array([0], np.uint32),
                                     progressive_counts=np.ones(1),
                                     progressive_sums=np.ones(2)),
                                "progressive metrics are a format 3 classifier's"),
    "progressive of a regressor": (dict(estimator="FTRLRegressor", classes_=None,
                                        params=json.dumps(FTRLRegressor().get_params())),
                                   "progressive metrics are a format 3 classifier's"),
    "mc progressive bins beyond": (dict(_mc=True,
                                        progressive_bins=np.array([0, 98304], np.uint32),
                                        progressive_counts=np.ones(2)),
                                   r"increasing integers in \[0, 98304\)"),
}
# whole-file damage: name -> (bytes from the good file's bytes, message)
FILE_FAULTS = {
    "empty": ("b''", "not a model saved by fastopt"),
    "truncated": ("good[:len(good) // 2]", "not a model saved by fastopt"),
    "not a zip": ("b'label 1:2\\n' * 50", "not a model saved by fastopt"),
    "a pickle": ("__import__('pickle').dumps({'a': 1})", "not a model saved by fastopt"),
    "a .npy": ("npy_bytes", "not a model saved by fastopt"),
}


# Faults of a model file's float arrays (the dense `state` of format 2, the
# touched rows' `values` of format 3), by name.
_ARRAY_FAULTS = {"nan": lambda s: np.where(s == s.max(), np.nan, s),
                 "inf": lambda s: np.full_like(s, np.inf),
                 "complex": lambda s: s + 1j,
                 "int": lambda s: s.astype(np.int64),
                 "short": lambda s: s[:-1],
                 "flat": lambda s: s.ravel(),
                 "flat2": lambda s: s.reshape(s.shape[0], -1),
                 "two": lambda s: s[:, :2],
                 "negn": lambda s: s * np.array([1, -1, 1])}


def _write_model(path, change):
    change = dict(change)
    fields = _good_fields(version=change.pop("_v", 3), multi=change.pop("_mc", False))
    for k, v in change.items():
        if v is None:
            fields.pop(k)
        elif k in ("state", "values") and isinstance(v, str):
            fields[k] = _ARRAY_FAULTS[v](fields[k])
        elif k == "rows" and isinstance(v, str):
            r = fields["rows"]
            if v == "many":
                fields["rows"] = np.arange(14, dtype=np.uint32)
                fields["values"] = np.ones((14, 3))
                continue
            fields["rows"] = {"float": lambda: r.astype(np.float64),
                              "reversed": lambda: r[::-1].copy(),
                              "repeat": lambda: np.r_[r[:1], r[:-1]],
                              "beyond": lambda: np.r_[r[:-1], 13].astype(r.dtype),
                              "negative": lambda: np.r_[-1, r[1:].astype(np.int64)],
                              "2d": lambda: r[:, None]}[v]()
        elif k == "t" and v == "object":
            fields["t"] = np.array([None], dtype=object)
        else:
            fields[k] = np.asarray(v)
    with open(path, "wb") as f:
        np.savez(f, **fields)


@pytest.fixture(scope="module")
def model_results(tmp_path_factory):
    """load() and `fastopt predict` on every damaged file, in one child."""
    folder = tmp_path_factory.mktemp("models")
    data = folder / "d.svm"
    data.write_text("1 0:1 3:2\n0 5:1\n")
    paths = {}
    for name, (change, _) in MODEL_FAULTS.items():
        paths[name] = str(folder / f"{len(paths)}.npz")
        _write_model(paths[name], change)
    good = (folder / "good.npz")
    _write_model(good, {})
    good = good.read_bytes()
    import io
    npy = io.BytesIO()
    np.save(npy, np.zeros(3))
    for name, (expr, _) in FILE_FAULTS.items():
        paths[name] = str(folder / f"{len(paths)}.npz")
        with open(paths[name], "wb") as f:
            f.write(eval(expr, {"good": good, "npy_bytes": npy.getvalue()}))
    return child_table(f"""
import contextlib, io, json
from fastopt import cli
from fastopt.online import load
out = {{}}
for name, path in {paths!r}.items():
    try:
        est = load(path)
        got = ["ok", "", bool(np.all(np.isfinite(est.predict_proba(make_data()[0]))))]
    except Exception as e:
        got = [type(e).__name__, str(e), None]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["predict", path, {str(data)!r}, "-o", path + ".pred", "--quiet"])
    out[name] = got + [code, err.getvalue(), path]
print(json.dumps(out))
""")


@pytest.mark.parametrize("fault", list(MODEL_FAULTS) + list(FILE_FAULTS))
def test_damaged_model_file_is_a_clear_error(model_results, fault):
    import re
    msg = (MODEL_FAULTS.get(fault) or FILE_FAULTS.get(fault))[1]
    exc, text, finite, code, err, path = model_results[fault]
    if msg is None:          # a file load accepts: it must predict finite values
        assert exc == "ok" and finite, text
    else:
        assert exc == "ValueError" and re.search(msg, text), (fault, exc, text)
        assert text.startswith(path + ": ") and "allow_pickle" not in text
    if fault == "huge n_features" or msg is not None or fault == "info hash":
        assert code == 2, (fault, err)
        assert one_line_error(err, "predict"), err
        assert err.startswith(f"fastopt predict: error: {path}: "), err
        assert "allow_pickle" not in err
        assert not os.path.exists(path + ".pred")


@pytest.mark.parametrize("version", [2, 3, "3 multi-class"])
def test_fuzzed_model_files_load_or_raise_valueerror(tmp_path, version):
    """Random byte flips, truncations and JSON field mutations of a saved
    model (format 3's fields as `save` writes them, stored uncompressed so
    that flips reach the arrays, for a binary and a 3-class model; format
    2, still read): load works and predicts finite
    values, or raises ValueError; the CLI exits 0 or 2 with one line."""
    good = tmp_path / "good.npz"
    _write_model(good, {"_v": 3, "_mc": True} if version == "3 multi-class"
                 else {"_v": version})
    data = tmp_path / "d.svm"
    data.write_text("1 0:1 3:2\n0 5:1\n")
    keys = ["alpha", "beta", "l1", "l2", "n_epochs", "random_state", "fit_intercept",
            "shuffle", "hash", "zzz"] + (["n_threads"] if _caps_threads() else [])
    run_ok(DATA + f"""
import contextlib, io, json, zipfile
from hypothesis import given, settings, strategies as st, HealthCheck
from fastopt import cli
from fastopt.online import load
good = open({str(good)!r}, "rb").read()
X = make_data()[0]
path = {str(tmp_path / 'fuzz.npz')!r}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6)
def check(blob):
    with open(path, "wb") as f:
        f.write(blob)
    try:
        est = load(path)
    except ValueError as e:
        assert "allow_pickle" not in str(e)
    else:
        assert np.all(np.isfinite(est.predict_proba(X)))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["predict", path, {str(data)!r}, "-o", path + ".pred", "--quiet"])
    assert code in (0, 2), (code, err.getvalue())
    assert code == 0 or len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
settings_ = settings(max_examples=120, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))
@settings_
@given(flips=st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(1, 255)), max_size=4),
       cut=st.integers(0, len(good)))
def bytes_fuzz(flips, cut):
    b = bytearray(good[:cut] if cut < len(good) // 3 else good)
    for pos, x in flips:
        if pos < len(b):
            b[pos] ^= x
    check(bytes(b))
@settings_
@given(field=st.sampled_from(["params", "info"]), key=st.sampled_from({keys!r}),
       value=json_values)
def json_fuzz(field, key, value):
    with np.load(io.BytesIO(good)) as f:
        fields = {{k: f[k] for k in f.files}}
    obj = json.loads(str(fields[field]))
    obj[key] = value
    fields[field] = np.asarray(json.dumps(obj))
    buf = io.BytesIO()
    np.savez(buf, **fields)
    check(buf.getvalue())
bytes_fuzz()
json_fuzz()
print("ok")
""", timeout=300)


def test_float32_params_save_and_load(tmp_path):
    X, y = make_data()
    est = FTRLClassifier(alpha=np.float32(0.5), n_epochs=np.int64(1),
                         fit_intercept=np.bool_(True)).fit(X, y)
    est.save(tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    assert back.alpha == float(np.float32(0.5)) and type(back.alpha) is float
    np.testing.assert_array_equal(back.coef_, est.coef_)


# -- item 5: atomic saves -----------------------------------------------------------------

def _fitted():
    X, y = make_data()
    return FTRLClassifier().fit(X, y)


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    est = _fitted()
    est.save(path)
    old = path.read_bytes()
    est.partial_fit(*make_data(seed=1))
    failures = [
        (lambda: est.save(path, info={"a": object()}), ValueError, "info must be JSON"),
        (lambda: est.save(path, info={"a": float("nan")}), ValueError, "info must be JSON"),
        (lambda: est.set_params(alpha=-1.0).save(path), ValueError, "alpha must be > 0"),
        (lambda: est.set_params(alpha=1.0, random_state=object()).save(path), None, None),
    ]
    for call, exc, msg in failures:
        if exc is None:
            call()                 # a non-JSON random_state is dropped, not an error
            est.save(path)
            old = path.read_bytes()
            continue
        with pytest.raises(exc, match=msg):
            call()
        assert path.read_bytes() == old
        assert no_temp_files(tmp_path) == []
    est.set_params(random_state=None)

    def half_then_fail(f, **fields):   # disk full after some bytes
        f.write(b"PK" * 1000)
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez_compressed", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        est.save(path)
    assert path.read_bytes() == old
    assert no_temp_files(tmp_path) == []


def test_save_keeps_symlinks_and_permissions(tmp_path):
    est = _fitted()
    target = tmp_path / "real.npz"
    est.save(target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    est.partial_fit(*make_data(seed=1))
    est.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    np.testing.assert_array_equal(load(target).coef_, est.coef_)
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]


def test_save_killed_mid_write_leaves_a_good_file(tmp_path):
    """A child saves a big model over and over; SIGTERM (and SIGINT) kill
    it mid-write: the file still loads and no temp file is left."""
    path = tmp_path / "big.npz"
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen([sys.executable, "-c", DATA + f"""
import sys
from fastopt.online import FTRLClassifier
X = sp.random(50, 2**18, density=1e-3, format="csr", random_state=0)
y = np.arange(50) % 2
est = FTRLClassifier().fit(X, y)
while True:
    est.save({str(path)!r})
    print("saved", flush=True)
"""], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ), cwd=str(tmp_path))
        try:
            assert proc.stdout.readline() == "saved\n", proc.stderr.read()
            time.sleep(0.05)
            proc.send_signal(sig)
            proc.wait(timeout=60)
        finally:
            proc.kill()
        assert proc.returncode != 0
        assert no_temp_files(tmp_path) == [], os.listdir(tmp_path)
        assert load(path).n_features_in_ == 2**18


def test_file_size_limit_leaves_the_old_file(tmp_path):
    """`ulimit -f`: the write fails (EFBIG), the old file stays whole."""
    path = tmp_path / "m.npz"
    res = run_ok(DATA + f"""
import resource, signal
from fastopt.online import FTRLClassifier, load
X = sp.random(50, 2**16, density=1e-3, format="csr", random_state=0)
y = np.arange(50) % 2
small = FTRLClassifier().fit(X[:, :100], y)
small.save({str(path)!r})
old = open({str(path)!r}, "rb").read()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (len(old) + 4096, resource.RLIM_INFINITY))
big = FTRLClassifier().fit(X, y)
try:
    big.save({str(path)!r})
    print("saved?!")
except OSError as e:
    print("OSError", e.errno)
assert open({str(path)!r}, "rb").read() == old
""")
    assert "OSError 27" in res.stdout, describe(res)
    assert no_temp_files(tmp_path) == []


def test_atomic_output_writes_through_fifos_and_stdout(tmp_path, capsysbinary):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    with atomic_output(fifo) as f:
        f.write(b"hello")
    reader.join(10)
    assert got == [b"hello"] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    with atomic_output("-") as f:
        f.write(b"out")
    assert capsysbinary.readouterr().out == b"out"
    with pytest.raises(IsADirectoryError):
        with atomic_output(tmp_path):
            pass
    with pytest.raises(ValueError, match="mode"):
        with atomic_output(tmp_path / "x", "a"):
            pass


def test_dump_libsvm_is_atomic_and_checks_first(tmp_path, monkeypatch):
    X, y = make_data(n=5)
    for name in ("d.svm", "d.svm.gz"):
        path = tmp_path / name
        dump_libsvm(X, y, path)
        old = path.read_bytes()
        with pytest.raises(ValueError, match="comment must be one line"):
            dump_libsvm(X, y, path, comment="two\nlines")
        with pytest.raises(ValueError, match="comment must be one line"):
            dump_libsvm(X, y, path, comment="caf\xe9")
        assert path.read_bytes() == old
    import gzip
    with gzip.open(tmp_path / "d.svm.gz") as f:
        f.read()
        # gzip's header names the file, not the temp file it was written as
    assert old[10:10 + len(b"d.svm")] == b"d.svm"
    assert no_temp_files(tmp_path) == []


# -- item 6: outputs never overwrite inputs ---------------------------------------------------

@pytest.fixture
def svm(tmp_path):
    path = tmp_path / "d.svm"
    X, y = make_data(n=60)
    dump_libsvm(X, y, path)
    return path


def test_output_that_is_an_input_is_refused(tmp_path, svm, capsys):
    model = tmp_path / "m.npz"
    assert run_cli(["train", str(svm), "-o", str(model), "--quiet"], capsys)[0] == 0
    hard = tmp_path / "hard.svm"
    os.link(svm, hard)
    soft = tmp_path / "soft.npz"
    soft.symlink_to(model)
    before = {p: p.read_bytes() for p in (svm, model)}
    cases = [
        (["train", str(svm), "-o", str(svm)], "train",
         f"--output {svm} is the same file as FILE {svm}"),
        (["train", str(svm), "-o", str(hard)], "train", "is the same file as FILE"),
        (["predict", str(model), str(svm), "-o", str(model)], "predict",
         "is the same file as MODEL"),
        (["predict", str(model), str(svm), "-o", str(soft)], "predict",
         "is the same file as MODEL"),
        (["predict", str(model), str(svm), "-o", str(hard)], "predict",
         "is the same file as FILE"),
        (["train", str(svm), "-o", str(tmp_path / "no" / "m.npz")], "train",
         "no such directory"),
        (["train", str(svm), "-o", str(tmp_path)], "train", "is a directory"),
    ]
    for argv, cmd, message in cases:
        code, out, err = run_cli(argv + ["--quiet"], capsys)
        assert code == 2 and message in err and one_line_error(err, cmd), (argv, err)
        assert {p: p.read_bytes() for p in (svm, model)} == before
    assert soft.is_symlink()


def test_stdin_that_is_the_output_is_refused(svm):
    with open(svm, "rb") as stdin:
        res = subprocess.run([sys.executable, "-m", "fastopt.cli", "train", "-", "-o", str(svm)],
                             stdin=stdin, capture_output=True, text=True, timeout=60,
                             cwd=tempfile.gettempdir())
    assert res.returncode == 2 and "is the same file as FILE -" in res.stderr, describe(res)


def test_predict_writes_through_a_fifo_and_keeps_a_symlink(tmp_path, svm, capsys):
    model = tmp_path / "m.npz"
    assert run_cli(["train", str(svm), "-o", str(model), "--quiet"], capsys)[0] == 0
    fifo = tmp_path / "pred.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    assert run_cli(["predict", str(model), str(svm), "-o", str(fifo), "--quiet"], capsys)[0] == 0
    reader.join(10)
    assert len(got[0].splitlines()) == 60 and stat.S_ISFIFO(os.stat(fifo).st_mode)
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "pred.txt"
    link.symlink_to(real)
    assert run_cli(["predict", str(model), str(svm), "-o", str(link), "--quiet"], capsys)[0] == 0
    assert link.is_symlink() and len(real.read_text().splitlines()) == 60
    # train's model can go to stdout, its summary then to stderr
    res = subprocess.run([sys.executable, "-m", "fastopt.cli", "train", str(svm), "-o", "-",
                          "--quiet"], capture_output=True, timeout=60, cwd=tempfile.gettempdir())
    assert res.returncode == 0 and b"saved:                stdout" in res.stderr, res.stderr
    import io
    assert load(io.BytesIO(res.stdout)).n_features_in_ == 2**20


def test_killed_predict_leaves_no_temp_file(tmp_path, svm, capsys):
    model = tmp_path / "m.npz"
    assert run_cli(["train", str(svm), "-o", str(model), "--quiet"], capsys)[0] == 0
    fifo = tmp_path / "in.fifo"      # an input that never ends: predict waits
    os.mkfifo(fifo)
    out = tmp_path / "pred.txt"
    out.write_text("old\n")
    proc = subprocess.Popen([sys.executable, "-m", "fastopt.cli", "predict", str(model),
                             str(fifo), "-o", str(out), "--quiet"],
                            stderr=subprocess.PIPE, text=True, cwd=tempfile.gettempdir())
    fd = None
    while fd is None:     # open for writing once predict reads; never hang on a dead one
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:   # ENXIO: no reader yet
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
    os.set_blocking(fd, True)
    with os.fdopen(fd, "w") as w:
        w.write("1 0:1\n" * 1000)
        w.flush()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGTERM, proc.stderr.read()
    assert out.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["d.svm", "in.fifo", "m.npz", "pred.txt"]


# -- item 11: --n-features, line length, divergence -----------------------------------------

@pytest.mark.parametrize("value,message", [
    ("2**40", "needs 24.0 TiB"), ("2**63", "must be in [1, 2**62]"),
    ("inf", "expected a positive integer"), ("1e400", "expected a positive integer"),
    ("2**99999999", "must be in [1, 2**62]"), ("nan", "expected a positive integer"),
    ("0", "must be in [1, 2**62]")])
def test_n_features_out_of_reach_is_exit_2(svm, tmp_path, capsys, value, message):
    code, out, err = run_cli(["train", str(svm), "--n-features", value,
                              "-o", str(tmp_path / "m.npz"), "--quiet"], capsys)
    assert code == 2 and message in err and "Traceback" not in err, err


def test_n_features_above_2_31_reads_int64_ids(tmp_path):
    path = tmp_path / "big.svm"
    path.write_text(f"1 {2**33 - 1}:1 5:2\n0 {2**31 + 7}:1\n")
    args = cli.build_parser().parse_args(["train", str(path), "--n-features", "2**33",
                                          "-o", "m"])
    (X, y, _), = list(cli_online._reader(str(path), args.n_features, args, False))
    assert X.indices.dtype == np.int64 and X.shape == (2, 2**33)
    assert X.indices.tolist() == [2**33 - 1, 5, 2**31 + 7]
    with pytest.raises(ValueError, match="needs 24.0 TiB"):
        FTRLClassifier().fit(sp.csr_matrix((2, 2**40)), [0, 1])


def test_a_stream_without_newlines_is_a_line_error(tmp_path, capsys):
    code, out, err = run_cli(["train", "/dev/zero", "--max-line-bytes", "1000000",
                              "-o", str(tmp_path / "m.npz"), "--quiet"], capsys)
    assert code == 2 and one_line_error(err, "train"), err
    assert "/dev/zero:1: line longer than 1000000 bytes (--max-line-bytes 1000000)" in err
    res = subprocess.run([sys.executable, "-m", "fastopt.cli", "train", "-", "-o",
                          str(tmp_path / "m.npz"), "--max-line-bytes", "4096", "--quiet"],
                         input=b"1 0:1\n" * 3 + b"\0" * 100000, capture_output=True,
                         timeout=60, cwd=tempfile.gettempdir())
    assert res.returncode == 2 and b"-:4: line longer than 4096 bytes" in res.stderr, res.stderr
    assert not os.path.exists(tmp_path / "m.npz")


@pytest.mark.parametrize("chunk", [64, 1 << 20])
def test_line_limit_in_the_reader(tmp_path, chunk):
    """The limit holds wherever the line falls (carried over blocks or
    inside one), for data, comment and blank lines; skip_bad_lines skips."""
    path = tmp_path / "d.svm"
    long_lines = ["1 " + " ".join(f"{i}:1" for i in range(60)), "# " + "c" * 300,
                  " " * 300]
    for bad in long_lines:
        path.write_text("1 0:1\n0 1:1\n" + bad + "\n1 2:1\n")
        with pytest.raises(ValueError, match=r"d\.svm:3: line longer than 200 bytes"):
            list(iter_chunks(path, 100, chunk_bytes=chunk, max_line_bytes=200))
        reader = iter_chunks(path, 100, chunk_bytes=chunk, max_line_bytes=200,
                             skip_bad_lines=True)
        y = np.concatenate([b[1] for b in reader])
        assert y.tolist() == [1, 0, 1] and reader.bad_lines == 1
        assert reader.first_bad_line.startswith(f"{path}:3: line longer")
        assert len(list(iter_chunks(path, 100, chunk_bytes=chunk))) >= 1   # default 64 MiB
    with pytest.raises(ValueError, match="max_line_bytes"):
        iter_chunks(path, 100, max_line_bytes=0)


DIVERGE = """
from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier
rng = np.random.default_rng(0)
X = sp.csr_matrix(rng.standard_normal((200, 5)) * 1e200)
y = (rng.random(200) > 0.5).astype(float)
out = {}
for est, yy, safe in ((RDAClassifier(gamma=1e-300), y, dict(gamma=1.0)),
                      (FTRLClassifier(alpha=1e300, beta=0.0), y, dict(alpha=0.1, beta=1.0)),
                      (FTRLRegressor(alpha=1e10, beta=0.0), rng.standard_normal(200) * 1e155,
                       dict(alpha=0.1, beta=1.0))):
    name = type(est).__name__
    try:
        est.fit(X, yy)
        out[name + "|fit"] = "ok"
    except FloatingPointError as e:
        out[name + "|fit"] = "FloatingPointError"
    calls = {"predict": lambda: est.predict(X), "score": lambda: est.score(X, yy),
             "partial_fit": lambda: est.partial_fit(X, yy),
             "save": lambda: est.save(io.BytesIO())}
    if name != "FTRLRegressor":
        calls.update(decision_function=lambda: est.decision_function(X),
                     predict_proba=lambda: est.predict_proba(X))
    for k, call in calls.items():
        try:
            call()
            out[name + "|" + k] = "ok"
        except FloatingPointError as e:
            out[name + "|" + k] = str(e)
    small = X[:4] * 1e-200
    est.set_params(**safe).fit(small, [0.0, 1.0, 1.0, 0.0])
    out[name + "|refit"] = bool(np.all(np.isfinite(est.predict(small))))
import gc; gc.collect()
print(json.dumps(out))
"""


def test_a_diverged_model_is_unusable_until_fit():
    out = child_table("import io, json\n" + DIVERGE)
    for name in ("RDAClassifier", "FTRLClassifier", "FTRLRegressor"):
        assert out[f"{name}|fit"] == "FloatingPointError", out
        for call in ("predict", "score", "partial_fit", "save") + (
                () if name == "FTRLRegressor" else ("decision_function", "predict_proba")):
            assert "diverged during training" in out[f"{name}|{call}"], (name, call, out)
        assert out[f"{name}|refit"] is True


# -- siblings: nothing half-applied ------------------------------------------------------------

def test_failed_calls_change_nothing():
    X, y = make_data()
    est = FTRLClassifier()
    bad = X.copy()
    bad.data = bad.data.copy()
    bad.data[7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.partial_fit(bad, y, classes=np.unique(y))   # a first call that fails ...
    assert not est._is_fitted() and not hasattr(est, "classes_")   # ... leaves it unfitted
    est.fit(X, y)
    coef, classes = est.coef_.copy(), est.classes_.copy()
    for call in (lambda: est.fit(bad, y), lambda: est.fit(X, np.zeros(120)),
                 lambda: est.fit(X, y[:5]), lambda: est.set_params(alpha=0).fit(X, y)):
        with pytest.raises(ValueError):
            call()
        est.set_params(alpha=0.1)
        np.testing.assert_array_equal(est.coef_, coef)       # the old model serves on
        np.testing.assert_array_equal(est.classes_, classes)
        assert est.predict(X).shape == (120,)


def test_same_file():
    here = os.path.abspath(__file__)
    assert same_file(here, here) and not same_file(here, "-")
    assert not same_file(here, here + ".missing")
