"""fastopt.online: the estimators against their plain-Python twins (McMahan
2013, Xiao 2010), input handling, partial_fit, persistence, bad input."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt.online import (FTRLClassifier, FTRLRegressor, NotFittedError, RDAClassifier, load,
                            load_info)
from fastopt.online._base import csr_arrays
from reference_online import FTRLTwin, RDATwin


def make_data(n=400, d=60, density=0.08, seed=0, regression=False):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=seed,
                  data_rvs=lambda k: rng.standard_normal(k))
    w = rng.standard_normal(d) * (rng.random(d) < 0.3)
    m = X @ w + 0.3 * rng.standard_normal(n)
    y = m if regression else (m > 0).astype(np.float64)
    return X, y


FTRL_PARAMS = [dict(alpha=0.3, beta=1.0, l1=0.0, l2=0.0),
               dict(alpha=0.1, beta=0.5, l1=0.5, l2=1.0),
               dict(alpha=1.0, beta=0.1, l1=2.0, l2=0.0, fit_intercept=False)]
RDA_PARAMS = [dict(l1=0.0, gamma=2.0), dict(l1=0.02, gamma=5.0),
              dict(l1=0.01, gamma=3.0, rho=0.05), dict(l1=0.01, gamma=1.0, fit_intercept=False)]


def margins(est, X):
    """w . x + intercept: decision_function, or predict for the regressor."""
    return est.predict(X) if isinstance(est, FTRLRegressor) else est.decision_function(X)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("params", FTRL_PARAMS)
@pytest.mark.parametrize("cls,loss", [(FTRLClassifier, "logistic"), (FTRLRegressor, "squared")])
def test_ftrl_matches_mcmahan_twin(cls, loss, params):
    X, y = make_data(regression=loss == "squared")
    est = cls(**params).fit(X, y)
    twin = FTRLTwin(X.shape[1], params["alpha"], params["beta"], params["l1"], params["l2"],
                    params.get("fit_intercept", True), loss).fit(X, y)
    close(est.progressive_loss_, twin.loss_sum / twin.seen)
    close(margins(est, X), twin.decision_function(X))
    w = twin.weights()
    close(est.coef_.ravel(), w[:-1])
    close(np.ravel(est.intercept_), w[-1] if params.get("fit_intercept", True) else 0.0)
    if params["l1"] > 0:
        assert np.sum(est.coef_ == 0) > 0
        np.testing.assert_array_equal(est.coef_.ravel() == 0, w[:-1] == 0)


def rows_with_repeats_and_long_rows(seed=3):
    """CSR rows that repeat a column (hashed features collide) and rows of
    more than 256 features: the two cases FTRL updates one coordinate at a
    time instead of as one vector loop (csrc/online.inc)."""
    rng = np.random.default_rng(seed)
    d, rows = 400, []
    for r in range(300):
        k = 300 if r % 7 == 0 else 12
        cols = rng.choice(d, size=k, replace=False)
        if r % 3 == 0:
            cols[-1] = cols[0]            # a repeat, not adjacent
        rows.append(cols)
    indptr = np.concatenate([[0], np.cumsum([len(c) for c in rows])])
    indices = np.concatenate(rows).astype(np.int32)
    X = sp.csr_matrix((rng.standard_normal(len(indices)), indices, indptr), shape=(300, d))
    y = (rng.random(300) < 0.4).astype(np.float64)
    return X, y


@pytest.mark.parametrize("params", FTRL_PARAMS[1:])
def test_ftrl_repeated_columns_and_long_rows_match_twin(params):
    X, y = rows_with_repeats_and_long_rows()
    assert not X.has_canonical_format
    est = FTRLClassifier(**params).fit(X, y)
    twin = FTRLTwin(X.shape[1], params["alpha"], params["beta"], params["l1"], params["l2"],
                    params.get("fit_intercept", True)).fit(X, y)
    close(est.progressive_loss_, twin.loss_sum / twin.seen)
    close(est.coef_.ravel(), twin.weights()[:-1])
    # the accumulators the vector path marks while gathering are all restored
    close(est._state["state"][:-1, 1], twin.n[:-1])
    # summing the repeats first is a different model: the repeats really are
    # updated one after the other
    summed = FTRLClassifier(**params).fit(X.tocoo().tocsr(), y)
    assert np.abs(summed.coef_ - est.coef_).max() > 1e-6


@pytest.mark.parametrize("params", RDA_PARAMS)
def test_rda_matches_xiao_twin(params):
    X, y = make_data(seed=1)
    est = RDAClassifier(**params).fit(X, y)
    twin = RDATwin(X.shape[1], params["l1"], params["gamma"], params.get("rho", 0.0),
                   params.get("fit_intercept", True)).fit(X, y)
    close(est.progressive_loss_, twin.loss_sum / twin.seen)
    close(est.decision_function(X), twin.decision_function(X))
    close(est.coef_.ravel(), twin.weights()[:-1])
    np.testing.assert_array_equal(est.coef_.ravel() == 0, twin.weights()[:-1] == 0)


@pytest.mark.parametrize("cls", [FTRLClassifier, RDAClassifier, FTRLRegressor])
def test_partial_fit_in_chunks_equals_one_fit(cls):
    X, y = make_data(regression=cls is FTRLRegressor)
    one = cls().fit(X, y)
    chunked = cls()
    for lo in range(0, X.shape[0], 37):
        chunked.partial_fit(X[lo:lo + 37], y[lo:lo + 37],
                            classes=[0.0, 1.0] if cls is not FTRLRegressor else None)
    np.testing.assert_array_equal(one.coef_, chunked.coef_)
    assert one.progressive_loss_ == chunked.progressive_loss_
    assert chunked.n_examples_seen_ == X.shape[0]


def test_every_input_layout_gives_the_same_model():
    X, y = make_data()
    ref = FTRLClassifier(l1=0.1).fit(X, y)
    dense = X.toarray()
    for Xi in [X.tocsc(), X.tocoo(), dense,
               sp.csr_matrix((X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)),
                             shape=X.shape)]:
        np.testing.assert_array_equal(FTRLClassifier(l1=0.1).fit(Xi, y).coef_, ref.coef_)
    # float32 values are read as float32 (the model stays float64)
    X32 = X.astype(np.float32)
    est32 = FTRLClassifier(l1=0.1).fit(X32, y)
    twin = FTRLTwin(X.shape[1], 0.1, 1.0, 0.1, 0.0).fit(X32, y)
    close(est32.coef_.ravel(), twin.weights()[:-1])


def test_csr_input_is_not_copied():
    X, _ = make_data()
    X64 = sp.csr_matrix((X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)),
                        shape=X.shape)
    for Xi in (X, X64):
        indptr, indices, data, shape = csr_arrays(Xi)
        assert indptr is Xi.indptr and indices is Xi.indices and data is Xi.data
        assert shape == Xi.shape
    assert csr_arrays(X.astype(np.float32))[2].dtype == np.float32


def test_any_two_labels():
    X, y = make_data()
    labels = np.where(y > 0, "spam", "ham")
    est = FTRLClassifier().fit(X, labels)
    assert list(est.classes_) == ["ham", "spam"]
    ref = FTRLClassifier().fit(X, y)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    np.testing.assert_array_equal(est.predict(X), np.where(ref.predict(X) > 0, "spam", "ham"))
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert 0.5 < est.score(X, labels) <= 1.0


@pytest.mark.parametrize("cls", [FTRLClassifier, RDAClassifier, FTRLRegressor])
def test_pickle_and_save_load_round_trip_and_continue(cls, tmp_path):
    X, y = make_data(regression=cls is FTRLRegressor)
    half = X.shape[0] // 2
    kw = {} if cls is FTRLRegressor else dict(classes=[0.0, 1.0])
    straight = cls().partial_fit(X[:half], y[:half], **kw).partial_fit(X[half:], y[half:])
    first = cls().partial_fit(X[:half], y[:half], **kw)
    first.save(tmp_path / "m.model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.model"]
    for resumed in [load(tmp_path / "m.model"), pickle.loads(pickle.dumps(first))]:
        assert type(resumed) is cls
        np.testing.assert_array_equal(margins(resumed, X), margins(first, X))
        resumed.partial_fit(X[half:], y[half:])
        np.testing.assert_array_equal(resumed.coef_, straight.coef_)
        assert resumed.progressive_loss_ == straight.progressive_loss_


def test_save_info_round_trip_and_bad_info(tmp_path):
    X, y = make_data()
    est = FTRLClassifier().fit(X, y)
    path = tmp_path / "m.npz"
    est.save(path)
    assert load_info(path) == {}
    est.save(path, info={"hash": True, "source": "x.svm"})
    assert load_info(path) == {"hash": True, "source": "x.svm"}
    np.testing.assert_array_equal(load(path).coef_, est.coef_)
    with pytest.raises(TypeError, match="info must be a dict"):
        est.save(path, info=[1])
    with pytest.raises(ValueError, match="info must be JSON"):
        est.save(path, info={"a": object()})


def test_get_set_params():
    est = FTRLClassifier(alpha=0.2)
    assert est.get_params()["alpha"] == 0.2
    est.set_params(l1=0.5, n_epochs=2)
    assert est.l1 == 0.5 and est.n_epochs == 2
    with pytest.raises(ValueError, match="invalid parameter 'gamma'"):
        est.set_params(gamma=1.0)
    assert "RDAClassifier(l1=0.0, gamma=1.0" in repr(RDAClassifier())


def test_epochs_and_shuffle_are_seeded():
    X, y = make_data()
    a = FTRLClassifier(n_epochs=3, shuffle=True, random_state=7).fit(X, y)
    b = FTRLClassifier(n_epochs=3, shuffle=True, random_state=7).fit(X, y)
    c = FTRLClassifier(n_epochs=3, shuffle=True, random_state=8).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)
    assert a.n_examples_seen_ == 3 * X.shape[0]


def test_hogwild_threads_train_a_comparable_model():
    X, y = make_data(n=20000, d=200, density=0.05)
    one = FTRLClassifier(n_threads=1).fit(X, y)
    two = FTRLClassifier(n_threads=2).fit(X, y)
    assert abs(one.score(X, y) - two.score(X, y)) < 0.02
    assert abs(one.progressive_loss_ - two.progressive_loss_) < 0.02


BAD = [
    (lambda: FTRLClassifier(alpha=0.0), ValueError, "alpha must be > 0"),
    (lambda: FTRLClassifier(alpha=-1.0), ValueError, "alpha"),
    (lambda: FTRLClassifier(l1=-0.1), ValueError, "l1 must be >= 0"),
    (lambda: FTRLClassifier(l2=float("nan")), ValueError, "l2 must be a finite"),
    (lambda: FTRLClassifier(beta=-1.0), ValueError, "beta"),
    (lambda: RDAClassifier(gamma=0.0), ValueError, "gamma must be > 0"),
    (lambda: RDAClassifier(rho=-1.0), ValueError, "rho"),
    (lambda: FTRLClassifier(n_epochs=0), ValueError, "n_epochs"),
    (lambda: FTRLClassifier(n_threads=0), ValueError, "n_threads"),
]


@pytest.mark.parametrize("make,exc,msg", BAD)
def test_bad_parameters_raise_at_fit(make, exc, msg):
    X, y = make_data(n=20)
    est = make()
    with pytest.raises(exc, match=msg):
        est.fit(X, y)


def test_bad_data():
    X, y = make_data(n=50)
    est = FTRLClassifier().fit(X, y)
    with pytest.raises(ValueError, match="X has 61 features, but FTRLClassifier is expecting 60 features"):
        est.partial_fit(sp.random(5, 61, format="csr"), y[:5])
    with pytest.raises(ValueError, match="X has 61 features"):
        est.predict(sp.random(5, 61, format="csr"))
    Xn = X.copy()
    Xn.data[3] = np.nan
    row = int(np.searchsorted(Xn.indptr, 3, side="right") - 1)
    before = est.coef_.copy()
    with pytest.raises(ValueError, match=f"X row {row} contains NaN or infinity"):
        est.partial_fit(Xn, y)
    np.testing.assert_array_equal(est.coef_, before)  # nothing trained
    with pytest.raises(ValueError, match="NaN or infinity"):
        FTRLClassifier().fit(np.array([[np.inf, 1.0], [0.0, 1.0]]), [0, 1])
    with pytest.raises(ValueError, match="has to be greater than one; got 1 class"):
        FTRLClassifier().fit(X, np.zeros(50))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        FTRLClassifier().fit(X, np.linspace(0, 1, 50))
    with pytest.raises(ValueError, match="requires y to be passed"):
        FTRLClassifier().fit(X, None)
    with pytest.raises(ValueError, match="Reshape your data"):
        est.predict(np.ones(60))
    with pytest.raises(ValueError, match="0 sample"):
        FTRLClassifier().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="Complex data not supported"):
        FTRLClassifier().fit(X.toarray() * 1j, y)
    with pytest.raises(ValueError, match=r"labels \[7\] not in classes"):
        est.partial_fit(X[:2], [0, 7])
    with pytest.raises(ValueError, match="rows but y has"):
        FTRLClassifier().fit(X, y[:10])
    with pytest.raises(NotFittedError, match="not fitted"):
        FTRLClassifier().predict(X)


def test_divergence_is_an_error_not_nan():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.standard_normal((200, 5)) * 1e155)
    y = rng.standard_normal(200) * 1e155
    with pytest.raises(FloatingPointError, match="diverged"):
        FTRLRegressor(alpha=1e10, beta=0.0).fit(X, y)


@pytest.mark.parametrize("est", [FTRLClassifier(), FTRLRegressor(), RDAClassifier()],
                         ids=lambda e: type(e).__name__)
def test_scikit_learn_check_estimator(est):
    """scikit-learn's own estimator checks, all of them (where sklearn is
    installed; fastopt does not depend on it) but the two that ask an
    importance weight of 2 to equal the row repeated: not so for an online
    learner (nor for Vowpal Wabbit) -- one adaptive step of twice the
    gradient is not two steps."""
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = estimator_checks.check_estimator(est, on_fail=None)
    online = {"check_sample_weight_equivalence_on_dense_data",
              "check_sample_weight_equivalence_on_sparse_data"}
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed" and r["check_name"] not in online]
    assert len(results) > 40
    assert not failed, failed
