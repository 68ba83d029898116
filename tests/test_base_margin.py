"""Per-row margin offsets (``base_margin=`` in fit / partial_fit / predict,
VW's initial prediction in `fastopt train`): the C loop adds the offset to
each row's margin before the loss and its gradient.  Checked against the
plain-Python twins of tests/reference_online.py and against Vowpal Wabbit
itself (golden files recorded by `tests/record_golden_vw.py base`)."""
import re
import os

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt import cli
from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier
from fastopt.vw import load_vw
from reference_online import FTRLTwin, RDATwin
from cli_helpers import golden, logloss

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "vw")


def make_data(n=300, d=60, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.1, format="csr", random_state=seed,
                  data_rvs=lambda m: rng.standard_normal(m))
    base = rng.standard_normal(n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(base + X @ rng.standard_normal(d))))).astype(float)
    return X, y, base, rng.uniform(0.2, 2.0, n)


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
@pytest.mark.parametrize("weighted", [False, True])
def test_ftrl_classifier_equals_the_twin(loss, weighted):
    X, y, base, w = make_data()
    sw = w if weighted else None
    est = FTRLClassifier(alpha=0.3, beta=0.5, l1=0.2, l2=0.4, loss=loss).fit(
        X, y, sample_weight=sw, base_margin=base)
    twin = FTRLTwin(X.shape[1], 0.3, 0.5, 0.2, 0.4, loss=loss).fit(X, y, sw, base)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(est.intercept_, twin.weights()[-1:], rtol=1e-12)
    np.testing.assert_allclose(est.progressive_loss_ * (sw.sum() if weighted else len(y)),
                               twin.loss_sum, rtol=1e-12)
    # the same data without the offsets learns another model
    plain = FTRLClassifier(alpha=0.3, beta=0.5, l1=0.2, l2=0.4, loss=loss).fit(
        X, y, sample_weight=sw)
    assert np.max(np.abs(plain.coef_ - est.coef_)) > 1e-3


@pytest.mark.parametrize("loss", ["squared", "quantile", "poisson"])
def test_ftrl_regressor_equals_the_twin(loss):
    X, _y, base, w = make_data()
    rng = np.random.default_rng(5)
    y = rng.poisson(2.0, X.shape[0]).astype(float) if loss == "poisson" \
        else base + rng.standard_normal(X.shape[0])
    base = 0.2 * base if loss == "poisson" else base
    est = FTRLRegressor(alpha=0.05, loss=loss, quantile_tau=0.3).fit(
        X, y, sample_weight=w, base_margin=base)
    twin = FTRLTwin(X.shape[1], 0.05, 1.0, 0.0, 0.0, loss=loss, tau=0.3).fit(X, y, w, base)
    np.testing.assert_allclose(est.coef_, twin.weights()[:-1], rtol=1e-11, atol=1e-14)
    # predict adds the offsets: exp(w . x + b + base) for poisson
    m = twin.decision_function(X) + base
    np.testing.assert_allclose(est.predict(X, base_margin=base),
                               np.exp(m) if loss == "poisson" else m, rtol=1e-11)


def test_rda_equals_the_twin():
    X, y, base, w = make_data()
    est = RDAClassifier(l1=0.01, gamma=2.0, rho=0.1).fit(X, y, sample_weight=w,
                                                         base_margin=base)
    twin = RDATwin(X.shape[1], 0.01, 2.0, 0.1).fit(X, y, w, base)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-12,
                               atol=1e-14)


def test_shuffled_epochs_keep_each_rows_offset():
    """fit's shuffled passes read row r's offset with row r: two epochs
    equal partial_fit over the same permutations, offsets permuted along."""
    X, y, base, _ = make_data()
    est = FTRLClassifier(n_epochs=2, shuffle=True, random_state=4).fit(X, y,
                                                                        base_margin=base)
    rng = np.random.default_rng(4)
    ref = FTRLClassifier()
    for epoch in range(2):
        p = rng.permutation(X.shape[0])
        ref.partial_fit(X[p], y[p], classes=[0, 1], base_margin=base[p])
    np.testing.assert_array_equal(est.coef_, ref.coef_)


def test_multiclass_offsets_are_per_class():
    """K one-vs-rest models with a (n, K) base_margin: model k equals the
    binary learner trained on y == k with base_margin[:, k], bit for bit;
    decision_function adds the offsets."""
    X, _y, _b, _w = make_data()
    rng = np.random.default_rng(2)
    c = rng.integers(0, 3, X.shape[0])
    base = rng.standard_normal((X.shape[0], 3))
    est = FTRLClassifier(l1=0.1).fit(X, c, base_margin=base)
    for k in range(3):
        one = FTRLClassifier(l1=0.1).fit(X, (c == k).astype(float), base_margin=base[:, k])
        np.testing.assert_array_equal(est.coef_[k], one.coef_[0])
    np.testing.assert_array_equal(est.decision_function(X, base_margin=base),
                                  est.decision_function(X) + base)
    with pytest.raises(ValueError, match=r"base_margin must be an array of shape \(300, 3\)"):
        est.partial_fit(X, c, base_margin=base[:, 0])


@pytest.mark.parametrize("bad, match", [
    (np.zeros(5), r"shape \(300,\)"), (np.zeros((300, 1)), r"shape \(300,\)"),
    (np.full(300, np.nan), "must be finite"), (np.array(["a"] * 300), "dtype"),
    (np.r_[np.zeros(299), np.inf], "must be finite")])
def test_bad_base_margin_changes_nothing(bad, match):
    X, y, base, _ = make_data()
    est = FTRLClassifier().partial_fit(X, y, classes=[0, 1], base_margin=base)
    before = est._state["state"].copy(), est._state["t"], est.progressive_loss_
    with pytest.raises(ValueError, match="base_margin"):
        est.partial_fit(X, y, base_margin=bad)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, base_margin=bad)
    with pytest.raises(ValueError, match="base_margin"):
        est.predict_proba(X, base_margin=bad)
    np.testing.assert_array_equal(est._state["state"], before[0])
    assert (est._state["t"], est.progressive_loss_) == before[1:]


@pytest.mark.parametrize("flags, run_name", [([], "base_linear"), (["-q", "ab"], "base_q_ab")])
def test_cli_initial_predictions_equal_vw(tmp_path, capsys, flags, run_name):
    """VW text whose rows carry an initial prediction (`label importance
    initial |...`): `fastopt train` + `fastopt predict` give VW --ftrl's test
    margins (VW adds the initial prediction in training and in -t -p) and
    its holdout logloss."""
    m = str(tmp_path / "m")
    code = cli.main(["train", os.path.join(GOLDEN, "base_train.vw.gz"), "-b", "18",
                     "--alpha", "0.05", "--beta", "1", "-f", m, "--quiet"] + flags)
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    p = str(tmp_path / "p")
    code = cli.main(["predict", m, os.path.join(GOLDEN, "base_test.vw.gz"), "-p", p,
                     "--quiet"])
    assert code == 0, capsys.readouterr().err
    pred = np.array([float(s.split(" ", 1)[0]) for s in open(p).read().splitlines()])
    g = golden(run_name)
    np.testing.assert_allclose(pred, 1 / (1 + np.exp(-np.array(g["test_margins"]))),
                               atol=1e-6)
    lines = [s.split(" ") for s in
             __import__("gzip").open(os.path.join(GOLDEN, "base_test.vw.gz"), "rt")]
    y = np.array([float(s[0]) > 0 for s in lines], dtype=float)
    assert abs(logloss(y, pred) - g["test_logloss"]) < 1e-5


@pytest.mark.parametrize("n_threads", [1, 2])
def test_offsets_that_explain_the_labels_leave_nothing_to_learn(n_threads):
    """Offsets of +-40 toward each row's label make every gradient ~1e-18:
    the model stays at ~0, in the serial loop and in the Hogwild one (whose
    threads read the same offsets); without them it learns."""
    X, y, _b, _w = make_data(n=4000)
    base = np.where(y == 1, 40.0, -40.0)
    est = FTRLClassifier(n_threads=n_threads).fit(X, y, base_margin=base)
    assert np.max(np.abs(est.coef_)) < 1e-12 and abs(est.intercept_[0]) < 1e-12
    assert est.progressive_loss_ < 1e-15
    plain = FTRLClassifier(n_threads=n_threads).fit(X, y)
    assert np.max(np.abs(plain.coef_)) > 0.1


def test_cli_holdout_keeps_each_rows_initial_prediction(tmp_path, capsys):
    """--holdout on rows with initial predictions: the model equals the
    estimator trained on the kept rows with their offsets (bit for bit),
    and the reported holdout logloss is that of the held-out rows'
    margins plus their offsets."""
    from fastopt.cli_online import _held_out
    from fastopt.online import load
    path = os.path.join(GOLDEN, "base_test.vw.gz")   # 5000 rows, every one with one
    m = str(tmp_path / "m")
    code = cli.main(["train", path, "-b", "18", "--holdout", "0.2", "-f", m])
    out = capsys.readouterr().out
    assert code == 0
    reported = float(re.search(r"holdout logloss:\s+(\S+)", out).group(1))
    lines = __import__("gzip").open(path, "rt").read().splitlines()
    heads = [s.split(" |", 1)[0].split(" ") for s in lines]
    initial = np.array([float(h[2]) for h in heads])
    plain = tmp_path / "plain.vw"   # the rows without their initial predictions
    plain.write_text("".join(" ".join(h[:2] + h[3:]) + " |" + s.split(" |", 1)[1] + "\n"
                             for h, s in zip(heads, lines)))
    X, y, w, _ns = load_vw(str(plain), bits=18, constant=True)
    held = _held_out(0, X.shape[0], 0.2)
    trained = load(m)
    ref = FTRLClassifier(**trained.get_params()).partial_fit(
        X[~held], y[~held], classes=[0, 1], sample_weight=w[~held],
        base_margin=initial[~held])
    np.testing.assert_array_equal(trained._state["state"], ref._state["state"])
    margin = trained.decision_function(X[held], base_margin=initial[held])
    expect = np.sum(w[held] * np.logaddexp(0, -(2 * y[held] - 1) * margin)) / w[held].sum()
    assert reported == pytest.approx(expect, rel=1e-5)
