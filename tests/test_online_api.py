"""fastopt.online's Python API parity (issue 12 item 8): multi-class by
one-vs-rest against K independent binary learners and against
scikit-learn's SGDClassifier (shapes, formulas, exceptions); river's
learn_one / predict_one / predict_proba_one on dicts against the same
learner fed arrays or VW lines, and against river's protocol; progressive
logloss / AUC against sklearn.metrics on the progressive predictions."""
import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt import vw
from fastopt.online import (FTRLClassifier, FTRLRegressor, NotFittedError, RDAClassifier,
                            load)

CLASSIFIERS = [(FTRLClassifier, dict(alpha=0.3, beta=1.0, l1=0.05, l2=0.1)),
               (RDAClassifier, dict(l1=0.01, gamma=3.0, rho=0.02))]
IDS = ["ftrl", "rda"]


def make_multiclass(n=500, d=40, k=4, seed=0, labels=None):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.15, format="csr", random_state=seed,
                  data_rvs=lambda m: rng.standard_normal(m))
    W = rng.standard_normal((d, k)) * (rng.random((d, k)) < 0.4)
    cls = np.argmax(X @ W + 0.3 * rng.standard_normal((n, k)), axis=1)
    labels = np.array(labels if labels is not None else [f"c{i}" for i in range(k)])
    return X, labels[cls]


# -- one-vs-rest == K binary learners ------------------------------------------------
@pytest.mark.parametrize("cls,params", CLASSIFIERS, ids=IDS)
@pytest.mark.parametrize("variant", ["plain", "weights", "shuffle2", "chunks", "crossed",
                                     "hogwild1"])
def test_ovr_equals_k_binary_learners_bit_for_bit(cls, params, variant):
    """Each one-vs-rest model is exactly the binary learner trained alone on
    y == k with the same row weights and order -- an independent reference
    (the binary path has its own tests against the numpy twins); with
    class_weight, model k's is scikit-learn's one-vs-rest rule: {True:
    cw[k], False: 1}."""
    X, y = make_multiclass()
    labels = np.unique(y)
    rng = np.random.default_rng(1)
    kw, fit_kw = dict(params), {}
    if variant == "weights":
        fit_kw["sample_weight"] = rng.uniform(0.0, 3.0, len(y))
        kw["class_weight"] = {"c1": 2.5, "c3": 0.5}
    if variant == "shuffle2":
        kw.update(shuffle=True, random_state=7, n_epochs=2)
    if variant == "crossed":
        kw.update(interactions=["ab"], fields={"a": [0, 20], "b": [20, 40]})
    est = cls(**kw)
    if variant == "chunks":
        for i in range(0, len(y), 97):
            est.partial_fit(X[i:i + 97], y[i:i + 97], classes=labels)
    else:
        est.fit(X, y, **fit_kw)
    assert est.coef_.shape == (len(labels), X.shape[1])
    assert est.intercept_.shape == (len(labels),)
    np.testing.assert_array_equal(est.classes_, labels)
    cw = kw.pop("class_weight", None)
    row_w = fit_kw.get("sample_weight")
    margins = est.decision_function(X)
    for k, label in enumerate(labels):
        ref = cls(**kw) if cw is None else \
            cls(**kw, class_weight={True: cw.get(label, 1.0), False: 1.0})
        if variant == "chunks":
            for i in range(0, len(y), 97):
                ref.partial_fit(X[i:i + 97], y[i:i + 97] == label, classes=[False, True])
        else:
            ref.fit(X, y == label, sample_weight=row_w)
        np.testing.assert_array_equal(est.coef_[k], ref.coef_[0])
        np.testing.assert_array_equal(est.intercept_[k], ref.intercept_[0])
        np.testing.assert_array_equal(margins[:, k], ref.decision_function(X))


# -- shapes, formulas and exceptions as scikit-learn's SGDClassifier ---------------------
@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("cls,params", CLASSIFIERS, ids=IDS)
def test_shapes_and_formulas_match_sgdclassifier(cls, params, k):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = make_multiclass(k=k, labels=[3 * i - 2 for i in range(k)])   # int labels
    est = cls(**params).fit(X, y)
    sk = linear_model.SGDClassifier(loss="log_loss", max_iter=5, tol=None,
                                    random_state=0).fit(X, y)
    for attr in ("coef_", "intercept_", "classes_"):
        assert getattr(est, attr).shape == getattr(sk, attr).shape, attr
    np.testing.assert_array_equal(est.classes_, sk.classes_)
    assert est.decision_function(X).shape == sk.decision_function(X).shape
    assert est.predict_proba(X).shape == sk.predict_proba(X).shape
    assert est.predict(X).dtype == sk.predict(X).dtype
    # scikit-learn's own formulas over our weights: the same decision
    # function, probabilities (OvR normalised) and predictions
    sk.coef_, sk.intercept_ = est.coef_, est.intercept_
    np.testing.assert_allclose(est.decision_function(X), sk.decision_function(X),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(est.predict_proba(X), sk.predict_proba(X),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(est.predict(X), sk.predict(X))
    assert est.score(X, y) == pytest.approx(sk.score(X, y))


def test_predict_proba_all_underflow_is_uniform_as_sklearn():
    """Every class's sigmoid underflows to 0: uniform, as sklearn."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = make_multiclass(k=3)
    est = FTRLClassifier().fit(X, y)
    sk = linear_model.SGDClassifier(loss="log_loss", max_iter=2, tol=None).fit(X, y)
    huge = sp.csr_matrix(np.full((2, X.shape[1]), 1e5))
    est.fit(X, y)
    est._model.state[:, :, 0] = -1.0      # every weight -1: margins -4e6
    sk.coef_, sk.intercept_ = est.coef_, est.intercept_
    np.testing.assert_array_equal(est.predict_proba(huge), sk.predict_proba(huge))
    np.testing.assert_array_equal(est.predict_proba(huge), np.full((2, 3), 1 / 3))


@pytest.mark.parametrize("labels", [["b", "a", "c"], [2.0, -1.0, 7.0, 0.0], [True, False]])
def test_any_sortable_labels(labels):
    X, _ = make_multiclass(k=len(labels))
    rng = np.random.default_rng(0)
    y = np.array(labels, dtype=object if isinstance(labels[0], str) else None)[
        rng.integers(0, len(labels), X.shape[0])]
    est = FTRLClassifier().fit(X, y)
    np.testing.assert_array_equal(est.classes_, np.unique(y))
    assert set(est.predict(X).tolist()) <= set(labels)
    n_models = 1 if len(labels) == 2 else len(labels)
    assert est.coef_.shape == (n_models, X.shape[1])


def test_partial_fit_classes_as_sklearn():
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = make_multiclass(k=4)
    labels = np.unique(y)
    first = np.isin(y, labels[:2])          # the first chunk holds 2 of the 4 classes
    for est in (FTRLClassifier(), linear_model.SGDClassifier(loss="log_loss")):
        est.partial_fit(X[first], y[first], classes=labels)
        assert est.coef_.shape == (4, X.shape[1])
        est.partial_fit(X, y)                    # classes may be left out later
        est.partial_fit(X, y, classes=labels)    # or repeated
        with pytest.raises(ValueError):
            est.partial_fit(X, y, classes=labels[:3])   # but not changed
        with pytest.raises(ValueError):
            est.partial_fit(X[:3], ["zz", "c0", "c1"])  # nor a new label
    # the first call needs classes= (tests/test_online_sklearn_dropin.py)
    for est in (FTRLClassifier(), linear_model.SGDClassifier(loss="log_loss")):
        with pytest.raises(ValueError, match="classes must be passed on the first call"):
            est.partial_fit(X, y)


def test_exceptions_match_sgdclassifier():
    linear_model = pytest.importorskip("sklearn.linear_model")
    from sklearn.exceptions import NotFittedError as SkNotFitted
    X, y = make_multiclass(k=3)
    for est in (FTRLClassifier(), RDAClassifier(),
                linear_model.SGDClassifier(loss="log_loss")):
        with pytest.raises(SkNotFitted):
            est.predict(X)
        with pytest.raises(ValueError):
            est.fit(X, np.zeros(X.shape[0]))           # one class
        with pytest.raises(ValueError):
            est.fit(X, np.linspace(0, 1, X.shape[0]))  # continuous
        est.fit(X, y)
        with pytest.raises(ValueError):
            est.predict(X[:, :5])                      # wrong number of features
    with pytest.raises(AttributeError):
        FTRLClassifier(loss="hinge").fit(X, y).predict_proba(X)


def test_coef_shapes_binary_and_no_intercept():
    X, y = make_multiclass(k=2)
    est = FTRLClassifier(fit_intercept=False).fit(X, y)
    assert est.coef_.shape == (1, X.shape[1]) and est.intercept_.shape == (1,)
    assert est.intercept_[0] == 0.0
    assert est.decision_function(X).shape == (X.shape[0],)
    est3 = RDAClassifier(fit_intercept=False).fit(*make_multiclass(k=3))
    np.testing.assert_array_equal(est3.intercept_, np.zeros(3))
    reg = FTRLRegressor().fit(X, np.arange(X.shape[0], dtype=float) / 100)
    assert reg.coef_.shape == (X.shape[1],)      # SGDRegressor's


def test_balanced_class_weight_multiclass_is_sklearns_formula():
    class_weight = pytest.importorskip("sklearn.utils.class_weight")
    X, y = make_multiclass(k=3)
    labels, counts = np.unique(y, return_counts=True)
    bal = FTRLClassifier(class_weight="balanced").fit(X, y)
    per_class = class_weight.compute_class_weight("balanced", classes=labels, y=y)
    np.testing.assert_allclose(per_class, len(y) / (3 * counts), rtol=1e-15)
    ref = FTRLClassifier(class_weight=dict(zip(labels, per_class))).fit(X, y)
    np.testing.assert_array_equal(bal.coef_, ref.coef_)


def test_multiclass_pickles_and_saves(tmp_path):
    X, y = make_multiclass(k=3)
    est = FTRLClassifier().fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.coef_, est.coef_)
    back.partial_fit(X, y)
    est.partial_fit(X, y)
    np.testing.assert_array_equal(back.coef_, est.coef_)
    assert back.progressive_auc_ == est.progressive_auc_
    est.save(str(tmp_path / "m.npz"))   # model format 3 (tests/test_model_format.py)
    np.testing.assert_array_equal(load(str(tmp_path / "m.npz")).coef_, est.coef_)


def test_multiclass_hogwild_trains_every_model():
    X, y = make_multiclass(n=3000, k=3)
    est = FTRLClassifier(n_threads=2).fit(X, y)
    assert est.n_examples_seen_ == 3000 and est._model.t == 3000
    assert est.score(X, y) > 0.6
    assert np.all(np.abs(est.coef_).sum(axis=1) > 0)


# -- river's protocol on dicts ----------------------------------------------------------
def _dicts_and_vw(n=300, seed=0, k=2):
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(30)] + ["12", "7"]     # all-digit names too
    rows, lines, ys = [], [], []
    for _ in range(n):
        chosen = rng.choice(len(names), size=rng.integers(1, 8), replace=False)
        x = {names[j]: float(np.round(rng.standard_normal(), 3) or 0.5) for j in chosen}
        label = int(sum(x.get(f"f{i}", 0) for i in range(5)) > 0) if k == 2 \
            else int(rng.integers(0, k))
        rows.append(x)
        ys.append(label)
        feats = " ".join(f"{name}:{v!r}" for name, v in x.items())
        lines.append(f"{2 * label - 1 if k == 2 else label + 1} | {feats}")
    return rows, np.array(ys), lines


def _csr_of_dicts(rows, bits):
    """The dicts as CSR rows, entries in each dict's order (the order the
    margin is summed in), hashed by fastopt.vw.feature_index."""
    indptr, indices, data = [0], [], []
    for x in rows:
        indices += [vw.feature_index(name, bits=bits) for name in x]
        data += list(x.values())
        indptr.append(len(indices))
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), 1 << bits))


@pytest.mark.parametrize("cls,params", CLASSIFIERS, ids=IDS)
def test_learn_one_on_dicts_equals_partial_fit_on_vw_lines(cls, params, tmp_path):
    rows, y, lines = _dicts_and_vw()
    path = tmp_path / "data.vw"
    path.write_text("\n".join(lines) + "\n")
    X, y01, _, _ = vw.load_vw(str(path), bits=12)
    np.testing.assert_array_equal(y01, y)
    by_lines = cls(**params).partial_fit(X, y01, classes=[0.0, 1.0])
    by_dicts = cls(bits=12, **params)
    for x, label in zip(rows, y):
        by_dicts.learn_one(x, label, classes=[0, 1])
    np.testing.assert_array_equal(by_dicts.coef_, by_lines.coef_)
    np.testing.assert_array_equal(by_dicts.intercept_, by_lines.intercept_)
    assert by_dicts.progressive_loss_ == pytest.approx(by_lines.progressive_loss_,
                                                       rel=1e-12)
    assert by_dicts.progressive_auc_ == by_lines.progressive_auc_
    p = by_dicts.predict_proba_one(rows[0])
    np.testing.assert_allclose([p[0], p[1]], by_lines.predict_proba(X[:1])[0], rtol=1e-12)
    assert by_dicts.predict_one(rows[0]) == int(by_lines.predict(X[:1])[0])


def test_learn_one_multiclass_and_weights_equal_fit():
    rows, y, _ = _dicts_and_vw(k=4, seed=2)
    labels = np.array(["a", "b", "c", "d"])[y]
    X = _csr_of_dicts(rows, 10)
    w = np.linspace(0.2, 2.0, len(rows))
    ref = FTRLClassifier(alpha=0.5).fit(X.tocsr(), labels, sample_weight=w)
    est = FTRLClassifier(alpha=0.5, bits=10)
    for x, label, wi in zip(rows, labels, w):
        est.learn_one(x, label, wi, classes=["a", "b", "c", "d"])
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    assert est.progressive_logloss_ == pytest.approx(ref.progressive_logloss_, rel=1e-12)
    probs = est.predict_proba_one(rows[3])
    assert list(probs) == ["a", "b", "c", "d"] and all(type(k) is str for k in probs)
    np.testing.assert_allclose(list(probs.values()), ref.predict_proba(X.tocsr()[3])[0],
                               rtol=1e-12)
    assert est.predict_one(rows[3]) == ref.predict(X.tocsr()[3])[0]


def test_regressor_learn_one_equals_partial_fit():
    rows, _, _ = _dicts_and_vw(seed=4)
    rng = np.random.default_rng(0)
    target = rng.standard_normal(len(rows))
    X = _csr_of_dicts(rows, 9)
    ref = FTRLRegressor().partial_fit(X.tocsr(), target)
    est = FTRLRegressor(bits=9)
    assert est.predict_one(rows[0]) == 0.0                # river: 0 before learning
    assert FTRLRegressor(loss="poisson").predict_one(rows[0]) == 1.0
    for x, t in zip(rows, target):
        assert est.learn_one(x, t) is None                # river: learn_one returns None
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    assert type(est.predict_one(rows[1])) is float
    assert est.predict_one(rows[1]) == pytest.approx(ref.predict(X.tocsr()[1])[0],
                                                     rel=1e-12)


def test_protocol_matches_river():
    """Types and behaviour as river.linear_model.LogisticRegression's (a
    different algorithm: only the protocol is compared)."""
    river = pytest.importorskip("river.linear_model")
    ours, theirs = FTRLClassifier(bits=16), river.LogisticRegression()
    x = {"a": 1.0, "b": 2.0}
    # before learning: river's binary model knows {False, True}; ours knows no
    # class yet and answers as river's multi-class learners do
    assert ours.predict_proba_one(x) == {} and ours.predict_one(x) is None
    assert isinstance(theirs.predict_proba_one(x), dict)
    for i in range(50):
        xi = {"a": float(i % 3), "b": float(i % 5), f"id{i % 7}": 1.0}
        yi = bool(i % 3 == 1)
        assert ours.learn_one(xi, yi) is None and theirs.learn_one(xi, yi) is None
    po, pt = ours.predict_proba_one(x), theirs.predict_proba_one(x)
    assert set(po) == set(pt) == {False, True}
    assert all(type(v) is float for v in po.values())
    assert sum(po.values()) == pytest.approx(1.0)
    assert type(ours.predict_one(x)) is type(theirs.predict_one(x)) is bool
    unknown = {"never-seen": 3.0}                 # unknown features: no error
    po, pt = ours.predict_proba_one(unknown), theirs.predict_proba_one(unknown)
    assert set(po) == set(pt)
    w = {k: v for k, v in zip(ours.classes_.tolist(), ours.predict_proba(
        sp.csr_matrix((1, 1 << 16)))[0].tolist())}
    assert po == pytest.approx(w)                 # as an empty row: only the intercept


def test_learn_one_bad_input_changes_nothing():
    est = FTRLClassifier(bits=8)
    with pytest.raises(ValueError, match="classes="):
        est.learn_one({"a": 1.0}, 1)                  # classes unknown
    est.learn_one({"a": 1.0}, True)
    before = (est.coef_.copy(), est.n_examples_seen_)
    for x, y, w, exc in [([("a", 1.0)], True, 1.0, TypeError),
                         ({"a": "x"}, True, 1.0, TypeError),
                         ({"a": "1.5"}, True, 1.0, TypeError),
                         ({"a": None}, True, 1.0, TypeError),
                         ({"a": 1.0, "b": [1, 2]}, True, 1.0, TypeError),
                         ({3: 1.0}, True, 1.0, TypeError),
                         ({"a": math.nan}, True, 1.0, ValueError),
                         ({"a": 1.0}, "maybe", 1.0, ValueError),
                         ({"a": 1.0}, True, -1.0, ValueError),
                         ({"a": 1.0}, True, math.inf, ValueError)]:
        with pytest.raises(exc):
            est.learn_one(x, y, w)
    np.testing.assert_array_equal(est.coef_, before[0])
    assert est.n_examples_seen_ == before[1]
    with pytest.raises(ValueError, match="differ"):
        est.learn_one({"a": 1.0}, True, classes=[0, 1, 2])
    np.testing.assert_array_equal(est.coef_, before[0])
    with pytest.raises(ValueError, match="bits"):
        FTRLClassifier(bits=40).learn_one({"a": 1.0}, True)
    X, y = make_multiclass(d=40)
    with pytest.raises(ValueError, match="power of two"):
        FTRLClassifier().fit(X, y).learn_one({"a": 1.0}, "c0")
    with pytest.raises(AttributeError):
        FTRLClassifier(loss="hinge").predict_proba_one


# -- progressive validation -------------------------------------------------------------
def _progressive_predictions(est, X, y, w, classes):
    """The predictions made before each update, the slow way: predict, then
    learn, row by row."""
    preds = []
    for i in range(X.shape[0]):
        if i:
            preds.append(est.predict_proba(X[i:i + 1])[0])
        else:
            preds.append(np.full(len(classes), 0.5 if len(classes) == 2
                                 else 1.0 / len(classes)))
        est.partial_fit(X[i:i + 1], y[i:i + 1], classes=classes,
                        sample_weight=None if w is None else w[i:i + 1])
    return np.array(preds)


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls,params", CLASSIFIERS, ids=IDS)
def test_progressive_metrics_match_sklearn_metrics(cls, params, k, weighted):
    metrics = pytest.importorskip("sklearn.metrics")
    X, y = make_multiclass(n=400, k=k)
    labels = np.unique(y)
    w = np.random.default_rng(3).uniform(0.1, 2.0, len(y)) if weighted else None
    slow = cls(**params)
    p = _progressive_predictions(slow, X, y, w, labels)
    est = cls(**params).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(est.coef_, slow.coef_)
    logloss = metrics.log_loss(y, p, labels=labels, sample_weight=w)
    assert est.progressive_logloss_ == pytest.approx(logloss, rel=1e-9)
    if k == 2:
        assert est.progressive_logloss_ == pytest.approx(est.progressive_loss_, rel=1e-12)
        auc = metrics.roc_auc_score(y, p[:, 1], sample_weight=w)
    else:
        auc = metrics.roc_auc_score(y, p, multi_class="ovr", labels=labels,
                                    sample_weight=w)
    assert 0 <= est.progressive_auc_bound_ < 1e-2
    assert abs(est.progressive_auc_ - auc) <= est.progressive_auc_bound_ + 1e-12
    assert 0.55 < est.progressive_auc_ < 1.0


def test_progressive_auc_exact_without_shared_bins():
    """Scores in distinct bins: the histogram AUC is the exact AUC."""
    metrics = pytest.importorskip("sklearn.metrics")
    from fastopt.online._progressive import Progressive
    rng = np.random.default_rng(0)
    m = (rng.permutation(200) - 100) / 16.0          # 1/16 apart: never one bin
    cls = (rng.random(200) < 1 / (1 + np.exp(-m))).astype(np.intp)
    prog = Progressive(2, logistic=True)
    prog.update(m[:, None], cls, None)
    assert prog.auc_bound == 0.0
    assert prog.auc == pytest.approx(metrics.roc_auc_score(cls, m), abs=1e-15)


def test_progressive_metrics_accumulate_over_calls_and_hinge():
    X, y = make_multiclass(k=2)
    one = FTRLClassifier().fit(X, y)
    parts = FTRLClassifier()
    for i in range(0, len(y), 50):
        parts.partial_fit(X[i:i + 50], y[i:i + 50], classes=np.unique(y))
    assert parts.progressive_auc_ == one.progressive_auc_
    assert parts.progressive_logloss_ == pytest.approx(one.progressive_logloss_, rel=1e-12)
    hinge = FTRLClassifier(loss="hinge").fit(X, y)
    assert 0.5 < hinge.progressive_auc_ <= 1.0
    assert not hasattr(hinge, "progressive_logloss_")
    with pytest.raises(NotFittedError):
        FTRLClassifier().progressive_auc_
