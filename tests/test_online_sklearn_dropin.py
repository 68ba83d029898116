"""fastopt.online's estimators as drop-ins for scikit-learn's SGDClassifier /
SGDRegressor where they mirror them: the same call made on both, and the
results, exceptions (type and the situation that raises) and warnings
compared.  The learning rules differ (FTRL / RDA against SGD), so models are
compared where they can be exactly: scikit-learn's formulas over fastopt's
weights, the per-model weights of one-vs-rest class_weight through the
numpy twins, and scikit-learn's own one-vs-rest against its own binary
problems.  The differences kept on purpose are pinned at the end (README,
"Differences from scikit-learn")."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier
from reference_online import FTRLTwin, RDATwin

linear_model = pytest.importorskip("sklearn.linear_model")
from sklearn.utils.class_weight import compute_class_weight  # noqa: E402

CLASSIFIERS = [FTRLClassifier, RDAClassifier]
# SGD fitted in a few epochs, without early stopping: no ConvergenceWarning
SK_KW = dict(max_iter=5, tol=None, random_state=0)


def sk_classifier(**kw):
    return linear_model.SGDClassifier(loss="log_loss", **SK_KW, **kw)


def sk_regressor(**kw):
    return linear_model.SGDRegressor(**SK_KW, **kw)


def make_data(n=60, d=4, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.argmax(X[:, :k], axis=1) if k > 2 else (X[:, 0] > 0).astype(int)
    return X, y, X @ np.arange(1.0, d + 1)


def make_sparse_multiclass(n=400, d=30, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.2, format="csr", random_state=seed,
                  data_rvs=lambda m: rng.standard_normal(m))
    W = rng.standard_normal((d, k))
    y = np.argmax(X @ W + 0.5 * rng.standard_normal((n, k)), axis=1)
    return X, np.array(["a", "b", "c", "d", "e"][:k])[y]


# -- 1. partial_fit's first call needs classes= -------------------------------------------
@pytest.mark.parametrize("make", [FTRLClassifier, RDAClassifier, sk_classifier],
                         ids=["ftrl", "rda", "sklearn"])
def test_first_partial_fit_without_classes_raises(make):
    X, y, _ = make_data(k=3)
    est = make()
    with pytest.raises(ValueError, match="classes must be passed on the first call "
                                         "to partial_fit"):
        est.partial_fit(X, y)
    assert getattr(est, "classes_", None) is None      # nothing fitted
    est.partial_fit(X, y, classes=[0, 1, 2])            # with them: trained
    est.partial_fit(X, y)                               # later calls may leave them out
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])


@pytest.mark.parametrize("make", [FTRLRegressor, sk_regressor], ids=["ftrl", "sklearn"])
def test_regressor_partial_fit_needs_no_classes(make):
    X, _, t = make_data()
    assert make().partial_fit(X, t).coef_.shape == (X.shape[1],)


def test_learn_one_keeps_river_protocol():
    """river's learn_one: a bool y still implies classes [False, True] (it
    does not go through partial_fit's rule); any other first label needs
    classes=."""
    clf = FTRLClassifier()
    clf.learn_one({"a": 1.0}, True)
    np.testing.assert_array_equal(clf.classes_, [False, True])
    with pytest.raises(ValueError, match="needs classes="):
        FTRLClassifier().learn_one({"a": 1.0}, 1)
    clf = FTRLClassifier()
    clf.learn_one({"a": 1.0}, 1, classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


# -- 2. one-vs-rest class_weight: model k weighs class k by cw[k], the rest by 1 -------------
def test_sklearn_one_vs_rest_class_weight_rule_on_sklearn_itself():
    """What is matched, on scikit-learn itself: SGDClassifier's one-vs-rest
    model k equals its binary problem y == classes_[k] with class_weight
    {True: cw[k], False: 1} (sklearn/linear_model/_stochastic_gradient.py,
    _fit_multiclass: pos_weight = expanded_class_weight[i], neg_weight =
    1.0) -- and not the rule fastopt had (every model weighing a row of
    class j by cw[j])."""
    X, y = make_sparse_multiclass()
    sw = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    cw = {"a": 3.0, "c": 0.25}
    kw = dict(shuffle=False, learning_rate="constant", eta0=0.05)
    multi = sk_classifier(class_weight=cw, **kw).fit(X, y, sample_weight=sw)
    for k, label in enumerate(multi.classes_):
        binary = sk_classifier(class_weight={True: cw.get(label, 1.0), False: 1.0},
                               **kw).fit(X, y == label, sample_weight=sw)
        np.testing.assert_allclose(multi.coef_[k], binary.coef_[0], rtol=1e-12, atol=1e-15)
    old_rule = sw * np.array([cw.get(v, 1.0) for v in y])
    binary = sk_classifier(**kw).fit(X, y == "b", sample_weight=old_rule)
    assert not np.allclose(multi.coef_[1], binary.coef_[0])


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=["ftrl", "rda"])
@pytest.mark.parametrize("class_weight", ["dict", "balanced"])
@pytest.mark.parametrize("weighted", [False, True], ids=["", "sample_weight"])
def test_ovr_class_weight_equals_sklearns_binary_problems(cls, class_weight, weighted):
    """fastopt's model k is bit for bit its binary learner on y ==
    classes_[k] with class_weight {True: cw[k], False: 1} -- scikit-learn's
    rule above -- with "balanced" weights equal to sklearn's
    compute_class_weight and sample_weight multiplied in."""
    X, y = make_sparse_multiclass(k=4)
    labels = np.unique(y)
    sw = np.random.default_rng(4).uniform(0.0, 3.0, len(y)) if weighted else None
    if class_weight == "balanced":
        cw = dict(zip(labels, compute_class_weight("balanced", classes=labels, y=y)))
    else:
        cw = {"a": 2.5, "d": 0.5}
    est = cls(class_weight=class_weight if class_weight == "balanced" else cw,
              shuffle=True, random_state=5, n_epochs=2).fit(X, y, sample_weight=sw)
    for k, label in enumerate(labels):
        ref = cls(class_weight={True: cw.get(label, 1.0), False: 1.0}, shuffle=True,
                  random_state=5, n_epochs=2).fit(X, y == label, sample_weight=sw)
        np.testing.assert_array_equal(est.coef_[k], ref.coef_[0])
        np.testing.assert_array_equal(est.intercept_[k], ref.intercept_[0])


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=["ftrl", "rda"])
def test_ovr_class_weight_per_model_weights_against_twins(cls):
    """The weights the C loop applies, through the numpy twins: K twins, twin
    k fed row r with weight sw[r] * (cw[k] if y[r] == k else 1), give the
    estimator's weights, and the loss sum is theirs (the progressive loss
    divides it by the rows' own weights, sw[r] cw[y[r]])."""
    X, y = make_sparse_multiclass(n=60, k=3)
    labels = np.unique(y)
    sw = np.random.default_rng(6).uniform(0.2, 2.0, len(y))
    cw = {"a": 4.0, "b": 0.5}
    if cls is FTRLClassifier:
        params = dict(alpha=0.3, beta=0.7, l1=0.05, l2=0.2)
        twins = [FTRLTwin(X.shape[1], 0.3, 0.7, 0.05, 0.2) for _ in labels]
    else:
        params = dict(l1=0.01, gamma=2.0, rho=0.03)
        twins = [RDATwin(X.shape[1], 0.01, 2.0, 0.03) for _ in labels]
    est = cls(class_weight=cw, **params).fit(X, y, sample_weight=sw)
    for k, label in enumerate(labels):
        pos = y == label
        twins[k].fit(X, pos.astype(float), np.where(pos, sw * cw.get(label, 1.0), sw))
        w = twins[k].weights()
        np.testing.assert_allclose(est.coef_[k], w[:-1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(est.intercept_[k], w[-1], rtol=1e-12, atol=1e-14)
    row_w = sw * np.array([cw.get(v, 1.0) for v in y])
    assert est.progressive_loss_ == pytest.approx(
        sum(t.loss_sum for t in twins) / row_w.sum(), rel=1e-12)


def test_ovr_class_weight_learn_one_equals_partial_fit():
    """learn_one on dicts applies the same per-model weights as partial_fit
    on the equivalent rows."""
    rng = np.random.default_rng(7)
    rows = [{f"f{j}": float(rng.standard_normal()) for j in rng.choice(20, 4, False)}
            for _ in range(50)]
    y = rng.integers(0, 3, 50)
    w = rng.uniform(0.5, 2.0, 50)
    one = FTRLClassifier(class_weight={0: 3.0, 2: 0.5}, bits=10)
    for x, label, wr in zip(rows, y, w):
        one.learn_one(x, int(label), float(wr), classes=[0, 1, 2])
    from fastopt import vw
    indptr, indices, data = [0], [], []
    for x in rows:
        indices += [vw.feature_index(name, bits=10) for name in x]
        data += list(x.values())
        indptr.append(len(indices))
    X = sp.csr_matrix((data, indices, indptr), shape=(50, 1024))
    ref = FTRLClassifier(class_weight={0: 3.0, 2: 0.5}, bits=10)
    for r in range(50):
        ref.partial_fit(X[r], y[r:r + 1], classes=[0, 1, 2], sample_weight=w[r:r + 1])
    np.testing.assert_array_equal(one.coef_, ref.coef_)
    assert one.progressive_loss_ == ref.progressive_loss_
    assert one.progressive_logloss_ == ref.progressive_logloss_


@pytest.mark.parametrize("pos_w,match", [
    (np.ones(2), "one weight per model"), (np.array([1.0, -1.0, 1.0]), "finite weight"),
    (np.array([1.0, np.nan, 1.0]), "finite weight"), (np.array([1.0, np.inf, 1.0]), "finite")])
def test_c_loop_checks_its_per_model_weights(pos_w, match):
    """OnlineModel.fit checks pos_w before C reads it; nothing is trained."""
    X, y = make_sparse_multiclass(n=20, k=3)
    est = FTRLClassifier().fit(X, y)
    before = est._model.state.copy()
    y01 = np.searchsorted(est.classes_, y).astype(np.float64)
    with pytest.raises(ValueError, match=match):
        est._model.fit(X.indptr, X.indices, X.data, y01, None, 1, 0.0, None, None, None,
                       None, pos_w)
    np.testing.assert_array_equal(est._model.state, before)
    binary = FTRLClassifier().fit(X, y == "a")
    with pytest.raises(ValueError, match="one weight per model"):
        binary._model.fit(X.indptr, X.indices, X.data, (y == "a").astype(float), None, 1,
                          0.0, None, None, None, None, np.ones(1))


def test_binary_class_weight_is_unchanged():
    """Two classes: one model, each row weighted by its class's weight (as
    sklearn's fit_binary: pos_weight cw[1], neg_weight cw[0])."""
    X, y, _ = make_data(n=200)
    est = FTRLClassifier(class_weight={0: 0.3, 1: 2.0}).fit(X, y)
    ref = FTRLClassifier().fit(X, y, sample_weight=np.where(y == 1, 2.0, 0.3))
    np.testing.assert_array_equal(est.coef_, ref.coef_)


# -- 3. the same call on both: edge inputs -------------------------------------------------
def _outcome(call):
    """("ok", result) or ("raise", exception), and the warning categories."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", call())
        except Exception as e:           # noqa: BLE001 -- compared below
            out = ("raise", e)
    cats = sorted({w.category.__name__ for w in caught
                   if not issubclass(w.category, (DeprecationWarning, FutureWarning))})
    return out, cats


def _builtin(exc):
    """The first built-in class of an exception's MRO (scikit-learn's
    InvalidParameterError and NotFittedError are ValueErrors)."""
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


X0, Y0, T0 = make_data()
NAN_X = np.where(X0 > 1.5, np.nan, X0)
INF_X = np.where(X0 > 1.5, np.inf, X0)
ONE_BAD = np.arange(len(Y0)) == 3
SPARSE_FORMATS = ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]


def _fitted(make, kind):
    return make().fit(X0, Y0 if kind == "clf" else T0)


def _cases(kind):
    """{name: call(make)}: the same call on a fastopt or sklearn maker."""
    yy = Y0 if kind == "clf" else T0
    c = {
        "fit 1-D X": lambda m: m().fit(X0[:, 0], yy),
        "fit 3-D X": lambda m: m().fit(X0[:, :, None], yy),
        "fit NaN in X": lambda m: m().fit(NAN_X, yy),
        "fit inf in X": lambda m: m().fit(INF_X, yy),
        "fit NaN in sparse X": lambda m: m().fit(sp.csr_matrix(NAN_X), yy),
        "fit NaN in y": lambda m: m().fit(X0, np.where(ONE_BAD, np.nan, yy)),
        "fit inf in y": lambda m: m().fit(X0, np.where(ONE_BAD, np.inf, yy)),
        "fit empty X": lambda m: m().fit(X0[:0], yy[:0]),
        "fit no columns": lambda m: m().fit(X0[:, :0], yy),
        "fit y of another length": lambda m: m().fit(X0, yy[:-1]),
        "fit y column vector": lambda m: m().fit(X0, yy[:, None]),
        "fit y 2-D": lambda m: m().fit(X0, np.c_[yy, yy]),
        "fit y None": lambda m: m().fit(X0, None),
        "fit string X": lambda m: m().fit(np.full(X0.shape, "a"), yy),
        "fit complex X": lambda m: m().fit(X0 + 0j, yy),
        "fit object X of numbers": lambda m: m().fit(X0.astype(object), yy),
        "fit bool X": lambda m: m().fit(X0 > 0, yy),
        "fit int X": lambda m: m().fit((3 * X0).astype(int), yy),
        "fit lists": lambda m: m().fit(X0.tolist(), yy.tolist()),
        "fit np.matrix X": lambda m: m().fit(np.asmatrix(X0), yy),
        "fit Fortran-ordered X": lambda m: m().fit(np.asfortranarray(X0), yy),
        "fit read-only X": lambda m: m().fit(_read_only(X0), yy),
        "fit float16 X": lambda m: m().fit(X0.astype(np.float16), yy),
        "fit X with None": lambda m: m().fit(np.where(X0 > 1, None, X0), yy),
        "fit float32 X": lambda m: m().fit(X0.astype(np.float32), yy),
        "fit sparse int64 indices": lambda m: m().fit(_int64_csr(X0), yy),
        "fit empty sparse X": lambda m: m().fit(sp.csr_matrix((0, 4)), yy[:0]),
        "fit sparse int values": lambda m: m().fit(sp.csr_matrix((3 * X0).astype(int)), yy),
        "predict sparse wrong n_features":
            lambda m: _fitted(m, kind).predict(sp.csr_matrix(X0[:, :3])),
        "predict inf in sparse X": lambda m: _fitted(m, kind).predict(sp.csr_matrix(INF_X)),
        "partial_fit NaN in y": lambda m: _fitted(m, kind).partial_fit(
            X0, np.where(ONE_BAD, np.nan, yy)),
        "partial_fit sample_weight NaN": lambda m: _fitted(m, kind).partial_fit(
            X0, yy, sample_weight=np.r_[np.nan, np.ones(59)]),
        "sample_weight of another length": lambda m: m().fit(X0, yy, sample_weight=np.ones(59)),
        "sample_weight NaN": lambda m: m().fit(X0, yy, sample_weight=np.r_[np.nan, np.ones(59)]),
        "sample_weight inf": lambda m: m().fit(X0, yy, sample_weight=np.r_[np.inf, np.ones(59)]),
        "sample_weight all zero": lambda m: m().fit(X0, yy, sample_weight=np.zeros(60)),
        "sample_weight 2-D": lambda m: m().fit(X0, yy, sample_weight=np.ones((60, 1))),
        "sample_weight strings": lambda m: m().fit(X0, yy, sample_weight=np.full(60, "a")),
        "sample_weight a number": lambda m: m().fit(X0, yy, sample_weight=2.0),
        "predict unfitted": lambda m: m().predict(X0),
        "score unfitted": lambda m: m().score(X0, yy),
        "coef_ unfitted": lambda m: m().coef_,
        "predict 1-D X": lambda m: _fitted(m, kind).predict(X0[0]),
        "predict wrong n_features": lambda m: _fitted(m, kind).predict(X0[:, :3]),
        "predict NaN in X": lambda m: _fitted(m, kind).predict(NAN_X),
        "predict empty X": lambda m: _fitted(m, kind).predict(X0[:0]),
        "predict float32 X": lambda m: _fitted(m, kind).predict(X0.astype(np.float32)),
        "partial_fit wrong n_features": lambda m: _fitted(m, kind).partial_fit(X0[:, :3], yy),
        "score wrong n_features": lambda m: _fitted(m, kind).score(X0[:, :3], yy),
        "score y of another length": lambda m: _fitted(m, kind).score(X0, yy[:-1]),
        "score y of length 1": lambda m: _fitted(m, kind).score(X0[:5], yy[:1]),
        "score sample_weight": lambda m: _fitted(m, kind).score(X0, yy, np.linspace(0, 1, 60)),
        "score sample_weight of another length":
            lambda m: _fitted(m, kind).score(X0, yy, np.ones(59)),
        "score one row": lambda m: _fitted(m, kind).score(X0[:1], yy[:1]),
        "score sample_weight a number": lambda m: _fitted(m, kind).score(X0, yy, 3.0),
        "set_params unknown": lambda m: m().set_params(no_such_parameter=1),
    }
    # the same bad X through every method that takes one
    bad_x = {"1-D X": X0[0], "NaN in X": NAN_X, "inf in X": INF_X, "empty X": X0[:0],
             "wrong n_features": X0[:, :3]}
    first = {"classes": np.unique(Y0)} if kind == "clf" else {}
    methods = {
        "partial_fit (first)": lambda m, Z: m().partial_fit(Z, yy[:len(Z)], **first),
        "partial_fit": lambda m, Z: _fitted(m, kind).partial_fit(Z, yy[:len(Z)]),
        "score": lambda m, Z: _fitted(m, kind).score(Z, yy[:len(Z)]),
    }
    if kind == "clf":
        methods["decision_function"] = lambda m, Z: _fitted(m, kind).decision_function(Z)
        methods["predict_proba"] = lambda m, Z: _fitted(m, kind).predict_proba(Z)
    for mname, method in methods.items():
        for xname, Z in bad_x.items():
            if Z.ndim == 2 and mname == "partial_fit (first)" and xname == "wrong n_features":
                continue     # any width is right for a first call
            c[f"{mname} {xname}"] = (lambda f, Z: lambda m: f(m, Z))(method, Z)
    for fmt in SPARSE_FORMATS:
        for maker in (sp.csr_matrix, sp.csr_array):
            name = f"{fmt}_{'matrix' if maker is sp.csr_matrix else 'array'}"
            c[f"fit {name}"] = (lambda f, mk: lambda m: m().fit(mk(X0).asformat(f), yy))(fmt, maker)
            c[f"predict {name}"] = (lambda f, mk: lambda m: _fitted(m, kind).predict(
                mk(X0).asformat(f)))(fmt, maker)
    if kind == "clf":
        y3 = np.argmax(X0[:, :3], axis=1)
        strs = np.array(["neg", "pos"])[Y0]
        c.update({
            "fit one class": lambda m: m().fit(X0, np.zeros(60, int)),
            "fit continuous y": lambda m: m().fit(X0, X0[:, 0]),
            "fit float y of whole numbers": lambda m: m().fit(X0, Y0.astype(float)),
            "fit bool y": lambda m: m().fit(X0, Y0.astype(bool)),
            "fit string labels": lambda m: m().fit(X0, strs),
            "fit object string labels": lambda m: m().fit(X0, strs.astype(object)),
            "fit unsortable labels": lambda m: m().fit(X0, np.array(["a", 1], object)[Y0]),
            "predict string labels": lambda m: m().fit(X0, strs).predict(X0),
            "score string labels": lambda m: m().fit(X0, strs).score(X0, strs),
            "fit 3 classes": lambda m: m().fit(X0, y3),
            "decision_function 3 classes": lambda m: m().fit(X0, y3).decision_function(X0),
            "predict_proba 3 classes": lambda m: m().fit(X0, y3).predict_proba(X0),
            "decision_function wrong n_features":
                lambda m: _fitted(m, kind).decision_function(X0[:, :3]),
            "predict_proba wrong n_features":
                lambda m: _fitted(m, kind).predict_proba(X0[:, :3]),
            "predict_proba hinge": lambda m: m(loss="hinge").fit(X0, Y0).predict_proba(X0),
            "partial_fit no classes": lambda m: m().partial_fit(X0, Y0),
            "partial_fit one class": lambda m: m().partial_fit(X0, np.zeros(60), classes=[0]),
            "partial_fit label not in classes": lambda m: m().partial_fit(X0, y3, classes=[0, 1]),
            "partial_fit classes changed":
                lambda m: m().partial_fit(X0, Y0, classes=[0, 1]).partial_fit(
                    X0, Y0, classes=[0, 1, 2]),
            "partial_fit new label later":
                lambda m: m().partial_fit(X0, Y0, classes=[0, 1]).partial_fit(X0, y3),
            "partial_fit classes a superset": lambda m: m().partial_fit(X0, Y0, classes=[0, 1, 2]),
            "partial_fit classes a set": lambda m: m().partial_fit(X0, Y0, classes={0, 1}),
            "partial_fit classes of another type":
                lambda m: m().partial_fit(X0, Y0, classes=["0", "1"]),
            "partial_fit balanced": lambda m: m(class_weight="balanced").partial_fit(
                X0, Y0, classes=[0, 1]),
            "class_weight unknown label": lambda m: m(class_weight={5: 2.0}).fit(X0, Y0),
            "class_weight some classes": lambda m: m(class_weight={1: 2.0}).fit(X0, y3),
            "class_weight balanced": lambda m: m(class_weight="balanced").fit(X0, y3),
            "class_weight bad string": lambda m: m(class_weight="bal").fit(X0, Y0),
            "class_weight a number": lambda m: m(class_weight=2.0).fit(X0, Y0),
        })
    else:
        c.update({
            "fit string y": lambda m: m().fit(X0, np.array(["a", "b"])[Y0]),
            "fit int y": lambda m: m().fit(X0, Y0),
            "score NaN y": lambda m: _fitted(m, kind).score(X0, np.where(ONE_BAD, np.nan, T0)),
        })
    return c


def _read_only(X):
    X = X.copy()
    X.flags.writeable = False
    return X


def _int64_csr(X):
    A = sp.csr_matrix(X)
    return sp.csr_matrix((A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64)),
                         shape=A.shape)


def _makers(kind, fastopt_cls):
    if kind == "reg":
        return FTRLRegressor, sk_regressor

    def sk(**kw):
        if kw.get("loss") == "hinge":
            return linear_model.SGDClassifier(**SK_KW, **kw)
        return sk_classifier(**kw)
    return fastopt_cls, sk


EDGE = ([("clf", cls, name) for cls in CLASSIFIERS for name in _cases("clf")]
        + [("reg", FTRLRegressor, name) for name in _cases("reg")])


@pytest.mark.parametrize("kind,cls,case", EDGE,
                         ids=[f"{c.__name__}-{n}" for _, c, n in EDGE])
def test_same_call_same_outcome_as_sgd(kind, cls, case):
    """The call raises on fastopt exactly when it raises on scikit-learn,
    an exception of the same built-in type (sklearn's own classes derive
    from them: fastopt's NotFittedError is sklearn's when sklearn is
    loaded); it warns with the same categories; and where both return,
    the same kind of result (shape, dtype, labels)."""
    ours, theirs = _makers(kind, cls)
    call = _cases(kind)[case]
    (fo_kind, fo), fo_warn = _outcome(lambda: call(ours))
    (sk_kind, skr), sk_warn = _outcome(lambda: call(theirs))
    if sk_kind == "raise":
        assert fo_kind == "raise", f"sklearn raises {skr!r}; fastopt returned {fo!r}"
        assert isinstance(fo, _builtin(skr)), (fo, skr)
        if type(skr).__name__ == "NotFittedError":
            from sklearn.exceptions import NotFittedError
            assert isinstance(fo, NotFittedError)
    else:
        assert fo_kind == "ok", f"fastopt raises {fo!r}; sklearn returned"
        if isinstance(skr, np.ndarray):
            assert fo.shape == skr.shape and fo.dtype == skr.dtype, (fo, skr)
            if skr.dtype.kind in "OUSb" or case.startswith("predict string"):
                assert set(fo.tolist()) <= set(skr.tolist()) | set(np.unique(Y0).tolist()) \
                    | {"neg", "pos"}
        elif isinstance(skr, float):
            assert isinstance(fo, float) and np.isnan(fo) == np.isnan(skr)
        elif hasattr(skr, "classes_"):
            np.testing.assert_array_equal(fo.classes_, skr.classes_)
            assert fo.classes_.dtype == skr.classes_.dtype
            assert fo.coef_.shape == skr.coef_.shape
    assert fo_warn == sk_warn


# -- the same formulas over the same weights ----------------------------------------------
def _copy_weights(est, sk):
    sk.coef_ = est.coef_.copy()
    sk.intercept_ = np.atleast_1d(est.intercept_).copy()
    return sk


@pytest.mark.parametrize("sample_weight", [None, "weights"])
@pytest.mark.parametrize("cls,k", [(FTRLClassifier, 2), (RDAClassifier, 3),
                                   (FTRLRegressor, 0)])
def test_score_is_sklearns_formula(cls, k, sample_weight):
    """score = accuracy_score / r2_score of the predictions, sample_weight
    included, equal to sklearn's score over the same weights."""
    X, y, t = make_data(n=80, k=max(k, 2), seed=2)
    yy = t + np.random.default_rng(0).standard_normal(80) if k == 0 else y
    sw = np.random.default_rng(1).uniform(0, 2, 80) if sample_weight == "weights" \
        else sample_weight
    est = cls().fit(X, yy)
    sk = (sk_regressor() if k == 0 else sk_classifier()).fit(X, yy)
    _copy_weights(est, sk)
    np.testing.assert_allclose(est.predict(X), sk.predict(X), rtol=1e-12)
    assert est.score(X, yy, sample_weight=sw) == pytest.approx(
        sk.score(X, yy, sample_weight=sw), rel=1e-12)


def test_r2_special_cases_as_sklearn():
    """A constant y predicted exactly scores 1.0, predicted inexactly 0.0;
    fewer than two rows: NaN and an UndefinedMetricWarning."""
    from sklearn.exceptions import UndefinedMetricWarning
    X, _, t = make_data(n=20)
    est = FTRLRegressor().fit(X, t)
    sk = _copy_weights(est, sk_regressor().fit(X, t))
    est._model.state[:, :] = 0.0
    sk.coef_[:], sk.intercept_[:] = 0.0, 0.0
    for y in (np.zeros(20), np.ones(20)):
        assert est.score(X, y) == sk.score(X, y)
    assert est.score(X, np.zeros(20)) == 1.0 and est.score(X, np.ones(20)) == 0.0
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(est.score(X[:1], t[:1]))


@pytest.mark.parametrize("cls", [FTRLClassifier, RDAClassifier, FTRLRegressor])
@pytest.mark.parametrize("fmt", SPARSE_FORMATS)
@pytest.mark.parametrize("container", ["matrix", "array"])
def test_every_scipy_sparse_format_as_dense(cls, fmt, container):
    """Every scipy.sparse format sklearn accepts trains and predicts as the
    dense X does (the values reach C in the same order)."""
    X, y, t = make_data(n=50, seed=4)
    yy = t if cls is FTRLRegressor else y
    make = sp.csr_matrix if container == "matrix" else sp.csr_array
    Xs = make(X).asformat(fmt)
    dense = cls().fit(X, yy)
    est = cls().fit(Xs, yy)
    np.testing.assert_array_equal(est.coef_, dense.coef_)
    np.testing.assert_array_equal(est.predict(Xs), dense.predict(X))


@pytest.mark.parametrize("cls", [FTRLClassifier, RDAClassifier, FTRLRegressor])
def test_float32_is_the_same_values_in_double(cls):
    """float32 X is used as is (no copy for CSR) and read in double: the
    model equals the one fitted on X.astype(float64)."""
    X, y, t = make_data(n=50, seed=5)
    yy = t if cls is FTRLRegressor else y
    X32 = X.astype(np.float32)
    a = cls().fit(X32, yy)
    b = cls().fit(X32.astype(np.float64), yy)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.predict(X32).dtype == b.predict(X32).dtype


# -- feature names (pandas) -----------------------------------------------------------------
@pytest.mark.parametrize("cls", [FTRLClassifier, RDAClassifier, FTRLRegressor])
def test_feature_names_as_sklearn(cls):
    """A DataFrame's column names become feature_names_in_; predicting with
    other names raises, with none (or fitted without) warns -- the same
    calls on SGD* raise and warn alike."""
    pd = pytest.importorskip("pandas")
    X, y, t = make_data(n=40, d=3)
    yy = t if cls is FTRLRegressor else y
    sk_make = sk_regressor if cls is FTRLRegressor else sk_classifier
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    for est in (cls(), sk_make()):
        est.fit(df, yy)
        np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])
        assert est.feature_names_in_.dtype == object
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            est.predict(df)                                   # same names: silent
        with pytest.warns(UserWarning, match="X does not have valid feature names"):
            est.predict(X)
        with pytest.raises(ValueError, match="feature names should match"):
            est.predict(df.rename(columns={"a": "z"}))
        with pytest.raises(ValueError, match="same order"):
            est.predict(df[["b", "a", "c"]])
        with pytest.raises(ValueError, match="feature names should match"):
            est.partial_fit(df.rename(columns={"a": "z"}), yy)
        est.fit(X, yy)                                        # a new fit forgets them
        assert not hasattr(est, "feature_names_in_")
        with pytest.warns(UserWarning, match="X has feature names, but"):
            est.predict(df)
        assert not hasattr(est.fit(pd.DataFrame(X), yy), "feature_names_in_")   # int names
        with pytest.raises(TypeError):
            est.fit(pd.DataFrame(X, columns=["a", 1, "c"]), yy)


# -- differences kept on purpose (README "Differences from scikit-learn") -------------------
def test_documented_differences():
    X, y, t = make_data()
    neg = np.r_[-1.0, np.ones(59)]
    # negative importance weights: an FTRL step needs w >= 0 (sklearn's SGD
    # takes them); the same for a negative class weight
    sk_classifier().fit(X, y, sample_weight=neg)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        FTRLClassifier().fit(X, y, sample_weight=neg)
    sk_classifier(class_weight={0: -1.0}).fit(X, y)
    with pytest.raises(ValueError, match=r"class_weight\[0\] must be >= 0"):
        FTRLClassifier(class_weight={0: -1.0}).fit(X, y)
    # class_weight as (label, weight) pairs (how a model file keeps a dict)
    with pytest.raises(ValueError):
        sk_classifier(class_weight=[[0, 2.0]]).fit(X, y)
    FTRLClassifier(class_weight=[[0, 2.0]]).fit(X, y)
    # a partial_fit chunk whose weights are all 0 is taken (a stream's block
    # may hold only VW's zero-weight, test-only examples); fit refuses, as sklearn
    zero = np.zeros(60)
    with pytest.raises(ValueError, match="at least one non-zero"):
        sk_classifier().fit(X, y).partial_fit(X, y, sample_weight=zero)
    FTRLClassifier().fit(X, y).partial_fit(X, y, sample_weight=zero)
    with pytest.raises(ValueError, match="zero for every row"):
        FTRLClassifier().fit(X, y, sample_weight=zero)
    # a model that diverges raises FloatingPointError (the CLI's exit 1),
    # SGD a ValueError
    huge = X * 1e300
    with pytest.raises(FloatingPointError, match="diverged"):
        FTRLClassifier().fit(huge, y)
    with pytest.raises(ValueError, match="overflow"):
        sk_classifier().fit(huge, y)
    # the model is kept in double whatever X's dtype
    X32 = X.astype(np.float32)
    assert sk_classifier().fit(X32, y).coef_.dtype == np.float32
    assert FTRLClassifier().fit(X32, y).coef_.dtype == np.float64
    # hyperparameters: alpha is FTRL's learning rate, not a penalty
    assert "penalty" not in FTRLClassifier().get_params()
    assert FTRLClassifier().alpha == 0.1 and sk_classifier().alpha == 1e-4
