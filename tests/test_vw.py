"""Vowpal Wabbit's text format, interactions, losses and weights
(fastopt.vw, fastopt.online): against VW itself (golden files recorded by
tests/record_golden_vw.py) and against the plain-Python twins of
tests/reference_online.py."""
import gzip
import json
import os
import re

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier, load
from fastopt.vw import feature_index, interaction_index, iter_vw_chunks, load_vw

from reference_online import FTRLTwin, RDATwin, cross_columns

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "vw")
RUNS = {"linear": None, "q_ab": ["ab"], "q_all": ["::"], "cubic": ["abc"],
        "dups": ["ba", "ab", "bab"], "l1_l2": ["ab"]}


def golden(run):
    with open(os.path.join(GOLDEN, f"{run}.json")) as f:
        return json.load(f)


def vw_name_index(name, bits=18):
    """The column of a name of VW's --invert_hash output: ns^feature (a bare
    feature: the default namespace; ns^feature^value: a string value),
    crossed ones joined by '*'.  None for an anonymous ':value' feature
    (VW prints "ns^", without its number)."""
    parts = []
    for term in name.split("*"):
        if "^" not in term:
            parts.append(feature_index(term, " ", bits))
            continue
        ns, feat, *value = term.split("^")
        if not feat and not value:
            return None
        parts.append(feature_index(feat, ns, bits, value[0] if value else None))
    return interaction_index(parts, bits) if len(parts) > 1 else parts[0]


@pytest.fixture(scope="module")
def vw_data():
    return (load_vw(os.path.join(GOLDEN, "train.vw.gz"), 18),
            load_vw(os.path.join(GOLDEN, "test.vw.gz"), 18))


def logloss(y01, margin):
    return float(np.mean(np.logaddexp(0.0, -(2 * y01 - 1) * margin)))


# -- equality with VW ------------------------------------------------------------

@pytest.fixture(scope="module")
def vw_data_constant():
    return (load_vw(os.path.join(GOLDEN, "train.vw.gz"), 18, constant=True),
            load_vw(os.path.join(GOLDEN, "test.vw.gz"), 18, constant=True))


def _regularised(run):
    args = golden(run)["args"]
    return "--l1" in args or "--l2" in args


# l1 / l2 act on VW's constant feature, not on fastopt's intercept: the
# intercept form is compared on the runs without them
BIAS_CASES = [(run, bias) for run in RUNS for bias in ("intercept", "constant")
              if not (bias == "intercept" and _regularised(run))]


@pytest.mark.parametrize("run,bias", BIAS_CASES, ids=[f"{r}-{b}" for r, b in BIAS_CASES])
def test_hashing_and_weights_equal_vw(vw_data, vw_data_constant, run, bias):
    """Every feature of VW's --invert_hash (linear and crossed) sits at the
    column fastopt hashes it to, and FTRL trained on the same file (with
    its importance weights) has VW's weight there, to float32 precision;
    the holdout margins equal VW's within 1e-5 (the contract: logloss
    within 0.002).  The bias either as fastopt's intercept (equal to VW's
    while l1 = l2 = 0) or as VW's constant feature (constant=True, what
    `fastopt train` does on VW text: equal with l1 and l2 too)."""
    g = golden(run)
    args = g["args"]
    hp = {k: float(args[args.index(f) + 1]) for k, f in
          (("alpha", "--ftrl_alpha"), ("beta", "--ftrl_beta"), ("l1", "--l1"),
           ("l2", "--l2")) if f in args}
    (X, y, w, ns), (Xt, yt, _wt, nst) = vw_data if bias == "intercept" else vw_data_constant
    est = FTRLClassifier(interactions=RUNS[run], fit_intercept=bias == "intercept", **hp)
    est.fit(X, y, sample_weight=w, namespaces=ns)
    coef = est.coef_.ravel()
    inv = g["invert_hash"]
    assert len(inv) > 90
    for name, (index, weight) in inv.items():
        if name == "Constant":
            assert index == 11650396 % (1 << 18)
            got = est.intercept_ if bias == "intercept" else coef[index]
            assert got == pytest.approx(weight, abs=1e-5)
            continue
        assert vw_name_index(name) == index, name
        assert coef[index] == pytest.approx(weight, abs=1e-5), name
    margin = est.decision_function(Xt, namespaces=nst)
    np.testing.assert_allclose(margin, g["test_margins"], atol=1e-5)
    assert abs(logloss(yt, margin) - g["test_logloss"]) < 1e-5


@pytest.mark.parametrize("run, interactions", [("strings_linear", None),
                                               ("strings_q_ac", ["ac"])])
def test_string_values_and_anonymous_features_equal_vw(run, interactions):
    """VW's rarer spellings (name:US, :DE, :2, name:, a namespace scale
    that string values ignore) land where VW puts them, with VW's weights."""
    X, y, w, ns = load_vw(os.path.join(GOLDEN, "strings_train.vw.gz"), 18, constant=True)
    Xt, yt, _, nst = load_vw(os.path.join(GOLDEN, "strings_test.vw.gz"), 18,
                             constant=True)
    g = golden(run)
    est = FTRLClassifier(alpha=0.05, beta=1.0, interactions=interactions,
                         fit_intercept=False).fit(X, y, sample_weight=w, namespaces=ns)
    checked = 0
    for name, (index, weight) in g["invert_hash"].items():
        expect = vw_name_index(name) if name != "Constant" else 11650396 % (1 << 18)
        if expect is not None:
            assert expect == index, name
            checked += 1
        assert est.coef_.ravel()[index] == pytest.approx(weight, abs=1e-5), name
    assert checked > 50
    np.testing.assert_allclose(est.decision_function(Xt, namespaces=nst),
                               g["test_margins"], atol=1e-5)


def test_interactions_help_on_the_golden_data():
    """The data have a real a x b interaction: VW's -q ab lowers the test
    logloss, and so does fastopt's (the same numbers)."""
    assert golden("q_ab")["test_logloss"] < golden("linear")["test_logloss"] - 0.03


# -- the parser -------------------------------------------------------------------

def write(path, text, gz=False):
    data = text.encode()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)
    return str(path)


def test_vw_line_grammar(tmp_path):
    text = ("1 2.0 'tag|a f1 f2:0.5 |b x 12 y:-3\n"
            "\n"
            "-1 |a f1 |b z:0\n"          # value 0: dropped, as VW drops it
            "0 t2|a:2 f3 |c w:2 |b x\n"   # tag touching the bar; a namespace scale
            "1 |  f\t| 7\n")               # the default namespace
    X, y, w, ns = load_vw(write(tmp_path / "t.vw", text), 18)
    assert X.shape == (4, 1 << 18)
    np.testing.assert_array_equal(y, [1, 0, 0, 1])
    np.testing.assert_array_equal(w, [2, 1, 1, 1])
    assert ns.tobytes() == b"aabbb" + b"a" + b"acb" + b"  "
    assert X.indices[:5].tolist() == [feature_index("f1", "a"), feature_index("f2", "a"),
                                      feature_index("x", "b"), feature_index("12", "b"),
                                      feature_index("y", "b")]
    np.testing.assert_array_equal(X.data[:5], [1, 0.5, 1, 1, -3])
    np.testing.assert_array_equal(X.data[6:9], [2, 2, 1])   # |a:2 f3, |c w:2, |b x
    assert X.indices[9:].tolist() == [feature_index("f", " "), 7]
    # a numeric name is its value plus the namespace's hash
    from fastopt import _kernels
    assert feature_index("12", "b") == (12 + _kernels.vw_hash(b"b")) % (1 << 18)
    assert feature_index("7", " ") == 7


def test_string_values(tmp_path):
    """name:string is VW's string feature (value 1, not scaled; chained
    hash); name: is name; :string hashes the string with the namespace's
    hash; -1.5e is half a number: an error."""
    X, _, _, ns = load_vw(write(tmp_path / "s.vw",
                                "1 |s:3 country:US f: :DE n:2\n"), 18)
    from fastopt import _kernels
    assert X.indices.tolist() == [feature_index("country", "s", 18, "US"),
                                  feature_index("f", "s"),
                                  _kernels.vw_hash(b"DE", _kernels.vw_hash(b"s")) % (1 << 18),
                                  feature_index("n", "s")]
    np.testing.assert_array_equal(X.data, [1, 1, 1, 6])
    # an anonymous string does not count among the anonymous numbers (VW
    # 9.11.9 puts "|s :DE :2 :3" on 5583, 183025, 183026)
    X, _, _, _ = load_vw(write(tmp_path / "a.vw", "1 |s :DE :2 :3\n"), 18)
    assert X.indices.tolist() == [5583, 183025, 183026]
    with pytest.raises(ValueError, match=r"s2.vw:1: bad feature 'x:-1.5e'"):
        load_vw(write(tmp_path / "s2.vw", "1 |s x:-1.5e\n"))


def test_utf8_bom_is_skipped(tmp_path):
    path = tmp_path / "bom.vw"
    path.write_bytes(b"\xef\xbb\xbf1 |a x\n0 |a y\n")
    X, y, _, _ = load_vw(str(path))
    np.testing.assert_array_equal(y, [1, 0])
    assert X.indices.tolist() == [feature_index("x", "a"), feature_index("y", "a")]


def test_unlabeled_rows_for_prediction(tmp_path):
    path = write(tmp_path / "u.vw", "|a x\n 'tag|a y\n1 |a z\n")
    with pytest.raises(ValueError, match=r"u\.vw:1: no label"):
        load_vw(path)
    _, y, _, _ = load_vw(path, allow_unlabeled=True)
    assert np.isnan(y[:2]).all() and y[2] == 1


BAD_LINES = {
    "bad label": ("x |a f", r":2: bad label 'x'"),
    "label not 0/1": ("2 |a f", r":2: bad label '2': expected 0/1"),
    "label inf": ("inf |a f", r":2: bad label 'inf': not finite"),
    "bad weight": ("1 abc 'tag|a f", r":2: bad importance weight 'abc'"),
    "negative weight": ("1 -2 |a f", r":2: bad importance weight '-2'"),
    "nan weight": ("1 nan |a f", r":2: bad importance weight 'nan'"),
    "initial prediction": ("1 1 0.5 |a f", r":2: bad label section at '0.5'"),
    "namespace without name": ("1 |:2 f", r":2: bad namespace '\|:2'"),
    "bad namespace scale": ("1 |a:x f", r":2: bad namespace 'a:x'"),
    "bad feature value": ("1 |a f:1.5.2", r":2: bad feature 'f:1.5.2'"),
    "value half a number": ("1 |a f:-2x", r":2: bad feature 'f:-2x'"),
    "infinite feature value": ("1 |a f:1e999", r":2: bad feature 'f:1e999': value is not finite"),
    "no label": ("|a f", r":2: no label"),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_bad_lines_name_file_and_line(tmp_path, case):
    line, msg = BAD_LINES[case]
    path = write(tmp_path / "bad.vw", f"1 |a ok\n{line}\n1 |a ok\n")
    with pytest.raises(ValueError, match="bad.vw" + msg):
        load_vw(path)
    X, y, w, ns = load_vw(path, skip_bad_lines=True)
    assert X.shape[0] == 2


def test_gzip_by_magic_bytes_and_chunks(tmp_path):
    lines = "".join(f"{i % 2} {1 + i % 3} |a u{i % 17} |b v{i % 5}:{i / 7:.3f}\n"
                    for i in range(3000))
    plain = load_vw(write(tmp_path / "p.txt", lines))
    gz = load_vw(write(tmp_path / "g.dat", lines, gz=True))       # no .gz name
    small = list(iter_vw_chunks(write(tmp_path / "q.vw", lines), chunk_bytes=1000))
    assert len(small) > 10
    for a, b in ((plain, gz),):
        assert (a[0] != b[0]).nnz == 0
        for k in (1, 2, 3):
            np.testing.assert_array_equal(a[k], b[k])
    X = sp.vstack([c[0] for c in small], format="csr")
    assert (X != plain[0]).nnz == 0
    np.testing.assert_array_equal(np.concatenate([c[3] for c in small]), plain[3])


# -- interactions on column data (fields) ---------------------------------------

def column_data(n=300, d=64, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.15, format="csr", random_state=seed,
                  data_rvs=lambda k: rng.integers(1, 4, k).astype(np.float64))
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(np.float64)
    return X, y


@pytest.mark.parametrize("interactions", [["ab"], ["aa"], ["abc", "bb"], ["aab"]])
@pytest.mark.parametrize("d", [64, 60])        # a power of two (a mask) or not
def test_crossed_features_equal_the_materialised_twin(interactions, d):
    """fields + interactions on libsvm-like columns: the same model as
    FTRL on X with every crossed feature written out (reference_online.
    cross_columns, the Python twin of the C generation)."""
    X, y = column_data(d=d)
    fields = {"a": [[0, 20]], "b": [[20, 40], [50, 55]], "c": [[40, 50]]}
    est = FTRLClassifier(alpha=0.2, interactions=interactions, fields=fields).fit(X, y)
    Xc = cross_columns(X, fields, interactions, d)
    assert Xc.nnz > X.nnz
    twin = FTRLTwin(d, 0.2, 1.0, 0.0, 0.0).fit(Xc, y)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.decision_function(X), twin.decision_function(Xc),
                               rtol=1e-9, atol=1e-12)
    assert est.progressive_loss_ == pytest.approx(twin.loss_sum / twin.seen, rel=1e-9)
    # the same through a model file (interactions and fields are saved)
    import io
    buf = io.BytesIO()
    est.save(buf)
    buf.seek(0)
    np.testing.assert_array_equal(load(buf).decision_function(X), est.decision_function(X))


def test_all_pairs_is_every_pair_of_namespaces():
    X, y = column_data()
    fields = {"a": [[0, 20]], "b": [[20, 40]]}
    every = FTRLClassifier(interactions=["::"], fields=fields).fit(X, y)
    listed = FTRLClassifier(interactions=["  ", " a", " b", "aa", "ab", "bb"],
                            fields=fields).fit(X, y)
    np.testing.assert_allclose(every.decision_function(X), listed.decision_function(X),
                               rtol=1e-12)


def test_duplicate_interactions_as_vw():
    """VW's rules, checked against VW 9.11 (tests/golden/vw/dups.json and by
    hand): one term per set of namespaces, the smallest spelling; a term
    repeating a namespace sorted."""
    from fastopt.online._base import _check_interactions
    for given, terms in ((["ab", "ba"], [b"ab"]), (["ba", "ab"], [b"ab"]),
                         (["ba", "ba"], [b"ba"]), (["ba", "ca"], [b"ba", b"ca"]),
                         (["ca", "ba", "ab"], [b"ca", b"ab"]), (["bab"], [b"abb"]),
                         (["bba"], [b"abb"]), (["ba", "bab"], [b"ba", b"abb"]),
                         (["::", "ba", "abc"], [b"abc"])):
        assert _check_interactions(given)[0] == terms, given


def test_interactions_with_threads_and_rda():
    X, y = column_data(n=3000)
    fields = {"a": [[0, 32]], "b": [[32, 64]]}
    one = FTRLClassifier(interactions=["ab"], fields=fields).fit(X, y)
    two = FTRLClassifier(interactions=["ab"], fields=fields, n_threads=2).fit(X, y)
    assert abs(one.score(X, y) - two.score(X, y)) < 0.05     # Hogwild: close, not equal
    two.n_threads = 1       # predictions do not depend on the threads
    p1 = two.decision_function(X)
    two.n_threads = 2
    np.testing.assert_array_equal(two.decision_function(X), p1)
    rda = RDAClassifier(interactions=["ab"], fields=fields).fit(X, y)
    Xc = cross_columns(X, {"a": [(0, 32)], "b": [(32, 64)]}, ["ab"], 64)
    twin = RDATwin(64, 0.0, 1.0).fit(Xc[:200], y[:200])
    rda200 = RDAClassifier(interactions=["ab"], fields=fields).fit(X[:200], y[:200])
    np.testing.assert_allclose(rda200.coef_.ravel(), twin.weights()[:-1], rtol=1e-9, atol=1e-12)
    assert rda.score(X, y) > 0.6


@pytest.mark.parametrize("bad, msg", [
    (dict(interactions="ab"), "list of strings"),
    (dict(interactions=["a"]), "2 or 3 namespace"),
    (dict(interactions=["abcd"]), "2 or 3 namespace"),
    (dict(interactions=["a:"]), "2 or 3 namespace"),
    (dict(interactions=[a + b for a in "abcdefghijkl" for b in "abcdefghijkl"
                        if a <= b][:65]),
     "at most 64"),
    (dict(fields=[0, 1]), "fields must be"),
    (dict(fields={"ab": [[0, 1]]}), "single ASCII"),
    (dict(fields={"a": [[3, 1]]}), "0 <= start < stop"),
])
def test_bad_interaction_parameters(bad, msg):
    X, y = column_data()
    with pytest.raises(ValueError, match=msg):
        FTRLClassifier(**bad).fit(X, y)


def test_interactions_need_namespaces():
    X, y = column_data()
    with pytest.raises(ValueError, match="give fields="):
        FTRLClassifier(interactions=["ab"]).fit(X, y)
    est = FTRLClassifier(interactions=["ab"]).fit(X, y, namespaces=np.zeros(X.nnz, np.uint8))
    with pytest.raises(ValueError, match="one byte"):
        est.predict(X, namespaces=np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="CSR"):
        est.predict(X.toarray(), namespaces=np.zeros(X.nnz, np.uint8))


# -- losses -----------------------------------------------------------------------

def regression_data(n=400, d=20, seed=1, counts=False):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.3, format="csr", random_state=seed,
                  data_rvs=rng.standard_normal)
    m = X @ (0.3 * rng.standard_normal(d))
    y = rng.poisson(np.exp(m)).astype(np.float64) if counts else m + 0.1 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("loss, tau", [("squared", 0.5), ("quantile", 0.5),
                                       ("quantile", 0.9), ("poisson", 0.5)])
def test_regression_losses_equal_the_twin(loss, tau):
    X, y = regression_data(counts=loss == "poisson")
    w = np.random.default_rng(3).uniform(0.0, 2.0, X.shape[0])
    for sw in (None, w):
        est = FTRLRegressor(alpha=0.1, l1=0.01, l2=0.1, loss=loss, quantile_tau=tau)
        est.fit(X, y, sample_weight=sw)
        twin = FTRLTwin(X.shape[1], 0.1, 1.0, 0.01, 0.1, loss=loss, tau=tau).fit(X, y, sw)
        np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(est._margin(X), twin.decision_function(X), rtol=1e-10,
                                   atol=1e-13)
        wsum = X.shape[0] if sw is None else sw.sum()
        assert est.progressive_loss_ == pytest.approx(twin.loss_sum / wsum, rel=1e-10)
    pred = est.predict(X)
    if loss == "poisson":
        np.testing.assert_allclose(pred, np.exp(est._margin(X)))


def test_quantile_loss_estimates_the_quantile():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(np.ones((20000, 1)))
    y = rng.standard_normal(20000)
    for tau in (0.1, 0.5, 0.9):
        est = FTRLRegressor(alpha=0.05, loss="quantile", quantile_tau=tau,
                            fit_intercept=False).fit(X, y)
        assert np.mean(y < est.predict(X[:1])[0]) == pytest.approx(tau, abs=0.03)


@pytest.mark.parametrize("cls, twin", [(FTRLClassifier, "ftrl"), (RDAClassifier, "rda")])
def test_hinge_loss_equals_the_twin(cls, twin):
    X, y = column_data()
    est = cls(loss="hinge").fit(X, y)
    ref = (FTRLTwin(X.shape[1], 0.1, 1.0, 0.0, 0.0, loss="hinge") if twin == "ftrl"
           else RDATwin(X.shape[1], 0.0, 1.0, loss="hinge")).fit(X, y)
    np.testing.assert_allclose(est.coef_.ravel(), ref.weights()[:-1], rtol=1e-10, atol=1e-13)
    assert not hasattr(est, "predict_proba")
    assert est.score(X, y) > 0.6


@pytest.mark.parametrize("bad, msg", [
    (dict(loss="hinge"), "loss must be one of"),
    (dict(loss="poisson", quantile_tau=0.5), None),
    (dict(loss="quantile", quantile_tau=1.0), "quantile_tau must be < 1"),
    (dict(loss="quantile", quantile_tau=0.0), "quantile_tau must be > 0"),
])
def test_bad_regression_loss_parameters(bad, msg):
    X, y = regression_data(counts=True)
    if msg is None:
        FTRLRegressor(**bad).fit(X, y)
        with pytest.raises(ValueError, match="y must be >= 0"):
            FTRLRegressor(**bad).fit(X, -y - 1)
        return
    with pytest.raises(ValueError, match=msg):
        FTRLRegressor(**bad).fit(X, y)


def test_classifier_refuses_regression_losses():
    X, y = column_data()
    with pytest.raises(ValueError, match="loss must be one of"):
        FTRLClassifier(loss="squared").fit(X, y)


# -- weights ----------------------------------------------------------------------

def test_sample_weight_equals_the_twin_and_is_checked():
    X, y = column_data()
    w = np.random.default_rng(1).uniform(0, 3, X.shape[0])
    est = FTRLClassifier(alpha=0.3, l1=0.1).fit(X, y, sample_weight=w)
    twin = FTRLTwin(X.shape[1], 0.3, 1.0, 0.1, 0.0).fit(X, y, w)
    np.testing.assert_allclose(est.coef_.ravel(), twin.weights()[:-1], rtol=1e-10, atol=1e-13)
    # chunks with partial_fit: the same model, the same weighted progressive loss
    part = FTRLClassifier(alpha=0.3, l1=0.1)
    for lo in range(0, X.shape[0], 70):
        part.partial_fit(X[lo:lo + 70], y[lo:lo + 70], classes=[0, 1],
                         sample_weight=w[lo:lo + 70])
    np.testing.assert_array_equal(part.coef_, est.coef_)
    assert part.progressive_loss_ == pytest.approx(twin.loss_sum / w.sum(), rel=1e-12)
    for bad, msg in ((w[:5], "one per row"), (-w, ">= 0"), (np.full_like(w, np.nan), "finite"),
                     (np.zeros_like(w), "zero for every row")):
        before = est.coef_.copy()
        with pytest.raises(ValueError, match=msg):
            est.fit(X, y, sample_weight=bad)
        np.testing.assert_array_equal(est.coef_, before)


def test_class_weight_is_a_per_class_sample_weight():
    X, y = column_data()
    lab = np.where(y == 1, "yes", "no")
    est = FTRLClassifier(class_weight={"yes": 3.0, "no": 0.5}).fit(X, lab)
    ref = FTRLClassifier().fit(X, lab, sample_weight=np.where(y == 1, 3.0, 0.5))
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    counts = np.bincount(y.astype(int))
    bal = FTRLClassifier(class_weight="balanced").fit(X, y)
    ref = FTRLClassifier().fit(X, y, sample_weight=(len(y) / (2 * counts))[y.astype(int)])
    np.testing.assert_array_equal(bal.coef_, ref.coef_)
    with pytest.raises(ValueError, match="not supported for partial_fit"):
        FTRLClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not one of the classes"):
        FTRLClassifier(class_weight={7: 1.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight must be"):
        FTRLClassifier(class_weight="heavy").fit(X, y)
    # a dict survives a model file (as (label, weight) pairs)
    import io
    buf = io.BytesIO()
    est.save(buf)
    buf.seek(0)
    again = load(buf)
    again.partial_fit(X, lab)
    est.partial_fit(X, lab)
    np.testing.assert_array_equal(again.coef_, est.coef_)


@pytest.mark.parametrize("method", ["weights", "logit"])
def test_downsampled_negatives_recalibrate_to_the_base_rate(method):
    """Click data with a 3% base rate, negatives kept with probability r =
    0.1: trained on the sample with the negatives weighted 1 / r
    (class_weight), or trained unweighted and corrected by adding log(r)
    to the margin, the mean predicted probability on the full data matches
    the true base rate; uncorrected it is far above."""
    rng = np.random.default_rng(7)
    n, d = 200_000, 50
    X = sp.random(n, d, density=0.1, format="csr", random_state=7,
                  data_rvs=lambda k: np.ones(k))
    margin = -3.2 + X @ (0.5 * rng.standard_normal(d))
    y = (rng.random(n) < 1 / (1 + np.exp(-margin))).astype(np.float64)
    base = y.mean()
    assert 0.02 < base < 0.08
    r = 0.1
    keep = (y == 1) | (rng.random(n) < r)
    Xs, ys = X[keep], y[keep]
    if method == "weights":
        est = FTRLClassifier(alpha=0.2, class_weight={0: 1 / r}, n_epochs=2,
                             shuffle=True, random_state=0).fit(Xs, ys)
        p = est.predict_proba(X)[:, 1]
    else:
        est = FTRLClassifier(alpha=0.2, n_epochs=2, shuffle=True,
                             random_state=0).fit(Xs, ys)
        naive = est.predict_proba(X)[:, 1]
        assert naive.mean() > 2 * base
        p = 1 / (1 + np.exp(-(est.decision_function(X) + np.log(r))))
    assert p.mean() == pytest.approx(base, rel=0.1)


# -- model files: the new parameters are checked on load -------------------------

def _tampered(tmp_path, est, **changes):
    path = str(tmp_path / "m.npz")
    est.save(path)
    with np.load(path) as z:
        fields = {k: z[k] for k in z.files}
    params = json.loads(str(fields["params"]))
    for k, v in changes.items():
        if k in params:
            params[k] = v
        else:
            fields[k] = np.asarray(v)
    fields["params"] = np.asarray(json.dumps(params))
    bad = str(tmp_path / "bad.npz")
    with open(bad, "wb") as f:
        np.savez(f, **fields)
    return bad


@pytest.mark.parametrize("change, msg", [
    (dict(loss="squared"), "params: loss must be one of"),
    (dict(loss=["logistic"]), "params: loss must be one of"),
    (dict(interactions=["abcd"]), "params: each interaction"),
    (dict(interactions="ab"), "params: interactions must be"),
    (dict(fields={"a": [[5, 2]]}), "params: fields"),
    (dict(class_weight=[[0, -1.0]]), r"params: class_weight\[0\] must be >= 0"),
    (dict(class_weight="heavy"), "params: class_weight must be"),
    (dict(weight_sum=-1.0), "field 'weight_sum' = -1.0 is out of range"),
    (dict(weight_sum=float("nan")), "field 'weight_sum' is not finite"),
])
def test_model_file_with_bad_new_parameters_is_refused(tmp_path, change, msg):
    X, y = column_data()
    est = FTRLClassifier(interactions=["ab"], fields={"a": [[0, 20]], "b": [[20, 40]]},
                         class_weight={0: 2.0}).fit(X, y)
    bad = _tampered(tmp_path, est, **change)
    with pytest.raises(ValueError, match=f"bad.npz: {msg}"):
        load(bad)


def test_regressor_model_file_keeps_loss_and_tau(tmp_path):
    X, y = regression_data()
    est = FTRLRegressor(loss="quantile", quantile_tau=0.8).fit(X, y)
    path = str(tmp_path / "r.npz")
    est.save(path)
    again = load(path)
    assert (again.loss, again.quantile_tau) == ("quantile", 0.8)
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    bad = _tampered(tmp_path, est, quantile_tau=1.5)
    with pytest.raises(ValueError, match="quantile_tau must be < 1"):
        load(bad)


def test_parser_survives_random_lines(tmp_path):
    """Lines of random VW-ish bytes: rows with in-range indices and finite
    values, or a "FILE:LINE: reason" ValueError -- never a crash."""
    rng = np.random.default_rng(11)
    alphabet = np.frombuffer(b"|:' \t\r-+.e0123456789abAB#\x00\xff,", dtype=np.uint8)
    outcomes = set()
    for k in range(300):
        lines = [bytes(rng.choice(alphabet, rng.integers(0, 40))) for _ in range(5)]
        path = tmp_path / f"f{k}.vw"
        path.write_bytes(b"\n".join(lines))
        try:
            X, y, w, ns = load_vw(str(path), bits=int(rng.integers(1, 33)),
                                  binary=bool(k % 2), allow_unlabeled=bool(k % 3))
        except ValueError as e:
            assert re.match(rf"{re.escape(str(path))}:[1-5]: ", str(e)), str(e)
            outcomes.add("error")
            continue
        outcomes.add("rows" if X.shape[0] else "empty")
        assert X.indices.min(initial=0) >= 0 and X.indices.max(initial=0) < X.shape[1]
        assert np.all(np.isfinite(X.data)) and np.all(X.data != 0)
        assert np.all(np.isfinite(w)) and np.all(w >= 0) and ns.shape == X.data.shape
    assert outcomes == {"error", "rows", "empty"} or outcomes >= {"error", "rows"}


@pytest.mark.parametrize("chunk", [37, 1000, 1 << 16])
def test_any_block_size_reads_the_same(tmp_path, chunk):
    lines = gzip.decompress(open(os.path.join(GOLDEN, "strings_train.vw.gz"), "rb")
                            .read()).splitlines()[:1500]
    path = write(tmp_path / "s.vw", b"\n".join(lines).decode() + "\n")
    whole = load_vw(path, 18, constant=True)
    parts = list(iter_vw_chunks(path, 18, chunk_bytes=chunk, constant=True))
    X = sp.vstack([p[0] for p in parts], format="csr")
    assert (X != whole[0]).nnz == 0
    for k in (1, 2, 3):
        np.testing.assert_array_equal(np.concatenate([p[k] for p in parts]), whole[k])
    assert [p[4] for p in parts][0] == 1
