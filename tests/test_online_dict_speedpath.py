"""learn_one / predict_one / predict_proba_one on feature dicts: the one-row
path (OnlineModel.row_from_dict + learn_row / margin_row) against
partial_fit / fit / predict on the equivalent CSR rows -- the general path,
whose results the tests in test_online_api.py already tie to VW lines --
and its error cases: each leaves the model as it was."""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt import vw
from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier
from fastopt.online import estimators as est_mod


def _stream(n=200, seed=0, n_names=40, max_len=12, ints=False):
    rng = np.random.default_rng(seed)
    names = [f"n{i}" for i in range(n_names)] + ["12", "7", "é"]
    rows = []
    for _ in range(n):
        chosen = rng.choice(len(names), size=rng.integers(1, max_len), replace=False)
        rows.append({names[j]: (int(rng.integers(-3, 4)) if ints and j % 2
                                else float(np.round(rng.standard_normal(), 3)))
                     for j in chosen})
    return rows


def _csr(rows, bits):
    indptr, indices, data = [0], [], []
    for x in rows:
        indices += [vw.feature_index(name, bits=bits) for name in x]
        data += [float(v) for v in x.values()]
        indptr.append(len(indices))
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), 1 << bits))


def _state(est):
    return est._state["state"].copy(), est._state["t"], est.n_examples_seen_


@pytest.mark.parametrize("cls,params", [
    (FTRLClassifier, dict(alpha=0.3, l1=0.05, l2=0.1)),
    (RDAClassifier, dict(l1=0.01, gamma=3.0, rho=0.02)),
    (FTRLClassifier, dict(alpha=0.3, interactions=["  "])),   # crossed: namespace " "
    (FTRLClassifier, dict(alpha=0.3, interactions=["::"])),
    (RDAClassifier, dict(l1=0.01, gamma=3.0, interactions=["   "])),
])
@pytest.mark.parametrize("k", [2, 3, 11])      # 11 > 8: the margins outside the stack
def test_learn_one_equals_partial_fit_row_by_row(cls, params, k):
    rows = _stream(seed=k, ints=True)
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, len(rows))
    w = rng.uniform(0.0, 2.0, len(rows))
    w[::7] = 1.0
    X = _csr(rows, 10)
    ns = np.full(X.nnz, ord(" "), np.uint8)
    ref = cls(**params)
    for i in range(len(rows)):
        kw = dict(namespaces=ns[X.indptr[i]:X.indptr[i + 1]]) if "interactions" in params \
            else {}
        ref.partial_fit(X[i], y[i:i + 1], classes=list(range(k)), sample_weight=w[i:i + 1],
                        **kw)
    est = cls(bits=10, **params)
    for x, yi, wi in zip(rows, y.tolist(), w.tolist()):
        est.learn_one(x, yi, wi, classes=list(range(k)))
    np.testing.assert_array_equal(est._state["state"], ref._state["state"])
    assert est._state["t"] == ref._state["t"] == len(rows)
    assert est.progressive_logloss_ == pytest.approx(ref.progressive_logloss_, rel=1e-12)
    assert est.progressive_auc_ == pytest.approx(ref.progressive_auc_, rel=1e-12,
                                                 nan_ok=True)
    kw = dict(namespaces=ns) if "interactions" in params else {}
    want = ref.predict_proba(X, **kw)
    margins = ref.decision_function(X, **kw)
    for i, x in enumerate(rows[:40]):
        p = est.predict_proba_one(x)
        assert list(p) == list(range(k)) and all(type(v) is float for v in p.values())
        np.testing.assert_array_equal(list(p.values()), want[i])
        top = int(margins[i] > 0) if k == 2 else int(np.argmax(margins[i]))
        assert est.predict_one(x) == top and type(est.predict_one(x)) is int


@pytest.mark.parametrize("loss,params", [("squared", {}), ("poisson", dict(alpha=0.05)),
                                         ("quantile", dict(quantile_tau=0.3))])
def test_regressor_learn_one_equals_partial_fit(loss, params):
    rows = _stream(seed=5, ints=True)
    rng = np.random.default_rng(1)
    target = rng.poisson(2.0, len(rows)).astype(float) if loss == "poisson" \
        else rng.standard_normal(len(rows))
    X = _csr(rows, 9)
    ref = FTRLRegressor(loss=loss, **params)
    est = FTRLRegressor(loss=loss, bits=9, **params)
    for i, x in enumerate(rows):
        ref.partial_fit(X[i], target[i:i + 1])
        est.learn_one(x, target[i])
    np.testing.assert_array_equal(est._state["state"], ref._state["state"])
    pred = ref.predict(X)
    for i, x in enumerate(rows[:30]):
        # predict_one's exp is math.exp, predict's numpy's: within an ulp or so
        assert type(est.predict_one(x)) is float
        assert est.predict_one(x) == (pytest.approx(pred[i], rel=1e-15) if loss == "poisson"
                                      else pred[i])


def test_general_values_take_the_general_path_with_the_same_result():
    """numpy scalars, bools, huge ints and dict subclasses are converted by
    numpy (the general path): the same model as plain floats."""
    rows = _stream(n=60, seed=3)

    class Sub(dict):
        pass

    variants = [lambda x: x,
                lambda x: {k: np.float64(v) for k, v in x.items()},
                lambda x: Sub(x),
                lambda x: {k: np.float32(v) for k, v in x.items()},
                lambda x: {k: float(np.float32(v)) for k, v in x.items()}]
    states = []
    for make in variants:
        est = FTRLClassifier(alpha=0.4, bits=8)
        for i, x in enumerate(rows):
            est.learn_one(make(x), bool(i % 3))
        states.append((est._state["state"].copy(), est.predict_proba_one(make(rows[0]))))
    for s, p in states[1:3]:
        np.testing.assert_array_equal(s, states[0][0])
        assert p == states[0][1]
    np.testing.assert_array_equal(states[3][0], states[4][0])
    assert states[3][1] == states[4][1]
    ints = FTRLClassifier(bits=8)
    floats = FTRLClassifier(bits=8)
    for i, x in enumerate(rows):
        ints.learn_one({k: 3 for k in x}, bool(i % 2))
        floats.learn_one({k: 3.0 for k in x}, bool(i % 2))
    np.testing.assert_array_equal(ints._state["state"], floats._state["state"])
    # True is 1.0; an int past int64 takes numpy's conversion
    a, b = FTRLClassifier(bits=8), FTRLClassifier(bits=8)
    a.learn_one({"x": True, "y": 2 ** 40}, True)
    b.learn_one({"x": 1.0, "y": float(2 ** 40)}, True)
    np.testing.assert_array_equal(a._state["state"], b._state["state"])
    a.learn_one({"x": 2 ** 63}, False)          # uint64 for numpy
    b.learn_one({"x": float(2 ** 63)}, False)
    np.testing.assert_array_equal(a._state["state"], b._state["state"])


def test_bad_input_raises_and_changes_nothing():
    est = FTRLClassifier(bits=8)
    est.learn_one({"a": 1.0, "b": 2.0}, True)
    before = _state(est)
    cases = [({"a": 1.0, "b": math.nan}, True, 1.0, ValueError, "NaN or infinity"),
             ({"a": math.inf}, True, 1.0, ValueError, "NaN or infinity"),
             ({"a": 1.0}, True, math.inf, ValueError, "w"),
             ({"a": 1.0}, True, math.nan, ValueError, "w"),
             ({"a": 1.0}, True, -0.5, ValueError, "w"),
             ({"a": 1.0, 3: 1.0}, True, 1.0, TypeError, "must be str"),
             ({"a": 1.0, b"b": 1.0}, True, 1.0, TypeError, "must be str"),
             ({"a": 1.0, "b": math.nan, 3: 1.0}, True, 1.0, TypeError, "must be str"),
             ({"a": 1.0}, "maybe", 1.0, ValueError, "not one of the classes"),
             ({"a": 1.0}, 2, 1.0, ValueError, "not one of the classes"),
             ({"a": 1.0, "b": "1"}, True, 1.0, TypeError, "real numbers"),
             ({"a": 1.0, "b": 1j}, True, 1.0, TypeError, "real numbers"),
             ([("a", 1.0)], True, 1.0, TypeError, "dict")]
    for x, y, w, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            est.learn_one(x, y, w)
        after = _state(est)
        np.testing.assert_array_equal(after[0], before[0])
        assert after[1:] == before[1:]
    for x, exc in [({"a": math.nan}, ValueError), ({4: 1.0}, TypeError),
                   ({"a": None}, TypeError)]:
        with pytest.raises(exc):
            est.predict_proba_one(x)
        with pytest.raises(exc):
            est.predict_one(x)
    # a failed call leaves no row behind: the next prediction is of its own x
    ref = est.predict_proba(sp.csr_matrix((1, 256)))[0]
    assert list(est.predict_proba_one({}).values()) == ref.tolist()


def test_unknown_label_multiclass_and_regressor_checks():
    est = FTRLClassifier(bits=8)
    est.learn_one({"a": 1.0}, "x", classes=["x", "y", "z"])
    before = _state(est)
    with pytest.raises(ValueError, match="not one of the classes"):
        est.learn_one({"a": 1.0}, "w")
    np.testing.assert_array_equal(_state(est)[0], before[0])
    reg = FTRLRegressor(loss="poisson", bits=8)
    reg.learn_one({"a": 1.0}, 2.0)
    before = _state(reg)
    for y in (-1.0, math.nan, math.inf, "3", True):
        with pytest.raises(ValueError):
            reg.learn_one({"a": 1.0}, y)
    np.testing.assert_array_equal(_state(reg)[0], before[0])
    assert _state(reg)[1:] == before[1:]


def test_diverged_model_raises_then_stays_unusable():
    est = FTRLRegressor(alpha=1e10, beta=0.0, bits=4)
    with pytest.raises(FloatingPointError, match="diverged"):
        for i in range(200):
            est.learn_one({"a": 1e155 * (-1) ** i, "b": 3e154}, 1e155 * (-1) ** (i // 2))
    for call in (lambda: est.learn_one({"a": 1.0}, 1.0), lambda: est.predict_one({"a": 1.0})):
        with pytest.raises(FloatingPointError, match="diverged"):
            call()
    ref = FTRLRegressor(alpha=1e10, beta=0.0)
    X = _csr([{"a": 1e155 * (-1) ** i, "b": 3e154} for i in range(200)], 4)
    with pytest.raises(FloatingPointError, match="diverged"):
        ref.fit(X, [1e155 * (-1) ** (i // 2) for i in range(200)])


def test_name_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(est_mod, "_NAME_CACHE_MAX", 5)
    rows = _stream(n=80, seed=9, n_names=30)
    est, ref = FTRLClassifier(bits=9), FTRLClassifier()
    X = _csr(rows, 9)
    for i, x in enumerate(rows):
        est.learn_one(x, bool(i % 2))
        assert len(est._dict_cache[1]) <= 5 + len(x)
        ref.partial_fit(X[i], [bool(i % 2)], classes=[False, True])
    np.testing.assert_array_equal(est._state["state"], ref._state["state"])


def test_long_dicts_grow_the_row_buffer():
    rows = _stream(n=20, seed=2, n_names=400, max_len=300)
    X = _csr(rows, 12)
    est, ref = RDAClassifier(bits=12), RDAClassifier()
    for i, x in enumerate(rows):
        est.learn_one(x, bool(i % 2))
        ref.partial_fit(X[i], [bool(i % 2)], classes=[False, True])
    np.testing.assert_array_equal(est._state["state"], ref._state["state"])
    assert est.predict_proba_one(rows[0])[True] == ref.predict_proba(X[:1])[0, 1]


@pytest.mark.parametrize("k", [2, 4])
def test_class_weight_learn_one_equals_partial_fit(k):
    rows = _stream(n=120, seed=11)
    y = np.random.default_rng(3).integers(0, k, len(rows))
    cw = {c: 0.5 + c for c in range(k)}
    X = _csr(rows, 9)
    ref, est = FTRLClassifier(class_weight=cw), FTRLClassifier(class_weight=cw, bits=9)
    for i, x in enumerate(rows):
        ref.partial_fit(X[i], y[i:i + 1], classes=list(range(k)), sample_weight=[0.7])
        est.learn_one(x, int(y[i]), 0.7, classes=list(range(k)))
    np.testing.assert_array_equal(est._state["state"], ref._state["state"])
    assert est.progressive_logloss_ == pytest.approx(ref.progressive_logloss_, rel=1e-12)


def test_unhashable_label_is_a_value_error():
    est = FTRLClassifier(bits=6)
    est.learn_one({"a": 1.0}, True)
    before = _state(est)
    with pytest.raises(ValueError, match="not one of the classes"):
        est.learn_one({"a": 1.0}, [True])
    np.testing.assert_array_equal(_state(est)[0], before[0])


def test_dict_changed_while_read_is_an_error_not_a_crash():
    """A key whose __hash__ grows or shrinks the dict being read (as a
    finalizer or another thread could) must not make the one-row path
    write past its buffer or use a freed key: RuntimeError, as Python's own
    dict iteration, and the model unchanged.  Run in a child, where a crash
    fails the test instead of killing the run."""
    from subproc import run_ok
    run_ok("""
        import numpy as np
        from fastopt.online import FTRLClassifier

        class Key(str):
            # a str subclass (a valid feature name) that changes x when hashed
            change = None
            def __hash__(self):
                if self.change is not None:
                    change, self.change = self.change, None
                    change()
                return str.__hash__(self)

        clf = FTRLClassifier(bits=12)
        clf.learn_one({"a": 1.0, "b": 2.0}, True)
        before = clf._state["state"].copy(), clf.n_examples_seen_
        calls = {"learn_one": lambda x: clf.learn_one(x, False),
                 "predict_proba_one": clf.predict_proba_one,
                 "predict_one": clf.predict_one}
        n = 0
        for mode in ("grow", "shrink"):
            for name, call in calls.items():
                n += 1
                k = Key(f"new{n}")              # a name not cached yet
                x = {"a": 1.0, k: 2.0, "c": 3.0}
                k.change = (lambda x=x: x.update({f"extra{i}": 1.0 for i in range(1000)})) \
                    if mode == "grow" else x.clear
                try:
                    call(x)
                except RuntimeError as e:
                    assert "changed size" in str(e), (mode, name, e)
                else:
                    raise AssertionError(f"{mode} {name}: no error")
        assert np.array_equal(clf._state["state"], before[0])
        assert clf.n_examples_seen_ == before[1]
        print("ok")
    """)
