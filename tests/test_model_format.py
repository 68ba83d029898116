"""Model files (issue 12 item 6): the compact format (version 3: only the
touched coordinates' weights and accumulators), its round trips and
compatibility with version 2 files; `fastopt train --readable-model` /
`--invert-hash` against Vowpal Wabbit's own output (golden files recorded
by tests/record_golden_vw.py); VW's --hash all, --hash_seed, tags in -p
output, initial predictions, and the CLI's squared loss (VW's gradient
2 (m - y)) against a numpy twin."""
import io
import json
import os
import re
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from fastopt import cli
from fastopt.libsvm import dump_libsvm
from fastopt.online import FTRLClassifier, FTRLRegressor, RDAClassifier, load
from fastopt.online._base import FORMAT_VERSION, READ_VERSIONS, compact_state
from fastopt.vw import FeatureNames, feature_index, load_vw
from reference_online import FTRLTwin

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "vw")


def golden(run):
    with open(os.path.join(GOLDEN, f"{run}.json")) as f:
        return json.load(f)


def make_data(n=400, d=2000, seed=0):
    """n rows of 8 random columns of d each, normal values; labels from a
    random linear model."""
    rng = np.random.default_rng(seed)
    cols = rng.integers(0, d, (n, 8))
    X = sp.csr_matrix((rng.standard_normal(8 * n), (np.repeat(np.arange(n), 8),
                                                    cols.ravel())), shape=(n, d))
    y = (X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n) > 0).astype(float)
    return X, y


ESTIMATORS = {
    "ftrl": lambda: FTRLClassifier(l1=0.5),
    "ftrl_fields": lambda: FTRLClassifier(interactions=["ab"],
                                          fields={"a": [0, 1000], "b": [1000, 2000]}),
    "rda": lambda: RDAClassifier(l1=0.01),
    "regressor": lambda: FTRLRegressor(loss="quantile", quantile_tau=0.3),
}


def fitted(name, X=None, y=None):
    if X is None:
        X, y = make_data()
    est = ESTIMATORS[name]()
    return est.fit(X, X @ np.ones(X.shape[1]) if name == "regressor" else y)


def bits_of(a):
    return np.asarray(a, dtype=np.float64).view(np.uint64)


def write_v2(est, path):
    """The dense layout (version 2) of the release before this one: the
    whole (d + 1, stride) state."""
    buf = io.BytesIO()
    est.save(buf, info={"hash": False})
    buf.seek(0)
    with np.load(buf) as f:
        fields = {k: f[k] for k in f.files}
    state = np.zeros((est.n_features_in_ + 1, fields["values"].shape[1]))
    state[fields.pop("rows").astype(np.int64)] = fields.pop("values")
    for name in ("progressive_bins", "progressive_counts", "progressive_sums"):
        fields.pop(name, None)      # format 3's
    fields.update(state=state, format_version=np.asarray(2))
    with open(path, "wb") as f:
        np.savez(f, **fields)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_compact_round_trip_is_bit_for_bit(tmp_path, name):
    """save -> load gives the same state bit for bit (weights and
    accumulators), the same counters and predictions; load -> save ->
    load again the same."""
    X, y = make_data()
    est = fitted(name, X, y)
    est.save(tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(bits_of(back._state["state"]), bits_of(est._state["state"]))
    assert back._state["t"] == est._state["t"]
    assert (back._n_seen, back._loss_sum, back._weight_sum) == \
        (est._n_seen, est._loss_sum, est._weight_sum)
    np.testing.assert_array_equal(bits_of(back._margin(X)), bits_of(est._margin(X)))
    back.save(tmp_path / "again.npz")
    again = load(tmp_path / "again.npz")
    np.testing.assert_array_equal(bits_of(again._state["state"]), bits_of(est._state["state"]))
    with zipfile.ZipFile(tmp_path / "m.npz") as a, zipfile.ZipFile(tmp_path / "again.npz") as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for member in a.namelist():
            assert a.read(member) == b.read(member), member


@pytest.mark.parametrize("name", ["ftrl", "ftrl_fields", "rda"])
def test_continuing_from_a_compact_file_equals_one_run(tmp_path, name):
    """Half the rows, save, load, the other half == all rows in one run,
    bit for bit: the file carries every accumulator and counter."""
    X, y = make_data()
    one = ESTIMATORS[name]()
    one.partial_fit(X[:200], y[:200], classes=[0, 1])
    one.partial_fit(X[200:], y[200:])
    half = ESTIMATORS[name]().partial_fit(X[:200], y[:200], classes=[0, 1])
    half.save(tmp_path / "half.npz")
    cont = load(tmp_path / "half.npz").partial_fit(X[200:], y[200:])
    np.testing.assert_array_equal(bits_of(cont._state["state"]), bits_of(one._state["state"]))
    assert cont.progressive_loss_ == one.progressive_loss_
    assert cont._state["t"] == one._state["t"]


def test_file_keeps_only_touched_rows(tmp_path):
    """The file holds one row per touched coordinate (every state row with
    a bit set; -0.0 included), far smaller than the dense state."""
    X, y = make_data(d=1 << 20)
    est = FTRLClassifier(l1=1.0).fit(X, y)
    est.save(tmp_path / "m.npz")
    state = est._state["state"]
    with np.load(tmp_path / "m.npz") as f:
        rows, values = f["rows"], f["values"]
        assert int(f["format_version"]) == FORMAT_VERSION == 3
    touched = np.flatnonzero(np.any(state != 0, axis=1))
    np.testing.assert_array_equal(rows, touched)
    np.testing.assert_array_equal(values, state[touched])
    assert rows.dtype == np.uint32 and values.shape == (touched.size, 3)
    assert os.path.getsize(tmp_path / "m.npz") < 40 * touched.size + 4096
    s = np.zeros((5, 3))
    s[3, 1] = -0.0
    r, v = compact_state(s)
    assert r.tolist() == [3] and np.signbit(v[0, 1])


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_version_2_files_are_still_read(tmp_path, name):
    """A dense file of the previous format (2) loads to the same model as
    the compact one; this release reads versions 2 and 3, writes 3."""
    assert READ_VERSIONS == (2, 3)
    X, y = make_data()
    est = fitted(name, X, y)
    write_v2(est, tmp_path / "v2.npz")
    back = load(tmp_path / "v2.npz")
    np.testing.assert_array_equal(bits_of(back._state["state"]), bits_of(est._state["state"]))
    np.testing.assert_array_equal(back.predict(X), est.predict(X))


def test_unknown_version_names_the_versions_read(tmp_path):
    est = fitted("ftrl")
    buf = io.BytesIO()
    est.save(buf)
    buf.seek(0)
    with np.load(buf) as f:
        fields = {k: f[k] for k in f.files}
    fields["format_version"] = np.asarray(4)
    with open(tmp_path / "v4.npz", "wb") as f:
        np.savez(f, **fields)
    with pytest.raises(ValueError, match=r"v4\.npz: unsupported model format 4 \(this "
                                         r"fastopt reads formats 2, 3\)"):
        load(tmp_path / "v4.npz")


def test_cli_model_size_against_the_dense_state(tmp_path, capsys):
    """`fastopt train -b 24`: a few hundred touched weights make a file of
    a few KiB, not the dense state's 400 MiB."""
    path = tmp_path / "d.vw"
    rng = np.random.default_rng(0)
    path.write_text("".join(f"{1 if rng.random() < .5 else -1} |a f{rng.integers(300)} "
                            f"|b g{rng.integers(50)}\n" for _ in range(2000)))
    assert cli.main(["train", str(path), "-b", "24", "-q", "ab", "-f",
                     str(tmp_path / "m"), "--quiet"]) == 0
    capsys.readouterr()
    est = load(tmp_path / "m")
    touched = int(np.count_nonzero(np.any(est._state["state"] != 0, axis=1)))
    assert 300 < touched < 20000
    assert os.path.getsize(tmp_path / "m") < 40 * touched + 4096


# -- readable model / invert hash ------------------------------------------------------

def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def read_invert_hash(path):
    """name -> (index, weight) and the lines without a name."""
    named, plain = {}, []
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("Version fastopt") and lines[1].startswith(("bits:", "n_"))
    assert lines[2].startswith("options:")
    for line in lines[3:]:
        m = re.match(r"^(.+):(\d+):(\S+)$", line)
        if m:
            assert m.group(1) not in named
            named[m.group(1)] = (int(m.group(2)), float(m.group(3)))
        else:
            k, v = line.split(":")
            plain.append((int(k), float(v)))
    return named, plain


def train_golden(tmp_path, capsys, run_name, extra=()):
    g = golden(run_name)
    args = g["args"]
    flags = ["--alpha", args[args.index("--ftrl_alpha") + 1],
             "--beta", args[args.index("--ftrl_beta") + 1], "-b", "18"]
    for q in ("-q", "--interactions"):
        flags += [a for i, a in enumerate(args) if i and args[i - 1] == q for a in (q, a)]
    if "--hash" in args:
        flags += ["--hash", args[args.index("--hash") + 1]]
    if "--hash_seed" in args:
        flags += ["--hash_seed", args[args.index("--hash_seed") + 1]]
    model = tmp_path / "m.npz"
    code, out, err = run(["train", os.path.join(GOLDEN, "train.vw.gz"), "-f", str(model),
                          "--invert-hash", str(tmp_path / "inv.txt"),
                          "--readable-model", str(tmp_path / "rm.txt"), "--quiet",
                          *flags, *extra], capsys)
    assert code == 0, err
    return g, model


@pytest.mark.parametrize("run_name", ["q_ab", "q_all", "cubic", "hash_all", "hash_seed"])
def test_invert_hash_equals_vw(tmp_path, capsys, run_name):
    """Every name of VW's --invert_hash (linear, crossed 'a^g0*b^1',
    'Constant') is in fastopt's at VW's index with VW's weight (float32
    precision), and fastopt names no weight VW does not: the same hashing,
    --hash all and --hash_seed included."""
    g, _model = train_golden(tmp_path, capsys, run_name)
    ours, plain = read_invert_hash(tmp_path / "inv.txt")
    assert plain == []
    vw = g["invert_hash"]
    assert len(vw) > 1000 if run_name != "linear" else True
    for name, (index, weight) in vw.items():
        assert name in ours, name
        assert ours[name][0] == index, name
        assert ours[name][1] == pytest.approx(weight, abs=1e-5), name
    extra = set(ours) - set(vw)
    # a name VW lists once per index may be one of several at a collision
    assert all(ours[n][0] in {i for i, _ in vw.values()} for n in extra), sorted(extra)[:5]
    assert len(extra) <= 0.01 * len(vw)


def test_readable_model_lists_the_nonzero_weights(tmp_path, capsys):
    g, model = train_golden(tmp_path, capsys, "q_ab")
    est = load(model)
    lines = (tmp_path / "rm.txt").read_text().splitlines()
    assert lines[1] == "bits:18" and lines[2] == "options: -q ab"
    got = [(int(a), float(b)) for a, b in (ln.split(":") for ln in lines[3:])]
    coef = est.coef_.ravel()
    nz = np.flatnonzero(coef)
    assert [i for i, _ in got] == nz.tolist()
    np.testing.assert_array_equal([w for _, w in got],
                                  np.float64([f"{v:.9g}" for v in coef[nz]]))
    vw = {i: w for i, w in g["invert_hash"].values()}
    assert set(vw) == set(nz.tolist())


def test_feature_names_of_vw_spellings():
    """String values, anonymous features, a namespace scale, the default
    namespace and crosses, named as VW's audit names them, at the columns
    fastopt.vw hashes them to."""
    names = FeatureNames(18, ["ab", "::"])
    names.add_text(b"1 2 'tag|a country:US :2 f: |b:0.5 x:0.25 7 | 100 zero:0\n")
    table = {n: i for i, s in names.names.items() for n in s}
    assert table["a^country^US"] == feature_index("country", "a", value="US")
    assert table["a^f"] == feature_index("f", "a")
    assert table["b^x"] == feature_index("x", "b")
    assert table["b^7"] == feature_index("7", "b")
    assert table["100"] == feature_index("100")
    assert table["Constant"] == 11650396 % (1 << 18)
    assert "zero" not in table            # value 0: VW drops it
    from fastopt.vw import interaction_index
    assert table["a^f*b^x"] == interaction_index([table["a^f"], table["b^x"]], 18)
    assert table["100*a^f"] == interaction_index([table["100"], table["a^f"]], 18)
    assert table["b^x*b^x"] == interaction_index([table["b^x"]] * 2, 18)
    assert "b^7*b^x" not in table or "b^x*b^7" not in table   # each pair once
    anon = [n for n in table if n == "a^"]
    assert anon == ["a^"]


def test_libsvm_invert_hash_names_ids_and_crosses(tmp_path, capsys):
    X, y = make_data(n=300, d=40)
    dump_libsvm(X, y, str(tmp_path / "d.svm"))
    code, out, err = run(["train", str(tmp_path / "d.svm"), "--n-features", "40",
                          "-q", "ab", "--field-map", "a=0-19,b=20-39", "-f",
                          str(tmp_path / "m"), "--invert-hash", str(tmp_path / "inv"),
                          "--quiet"], capsys)
    assert code == 0, err
    ours, plain = read_invert_hash(tmp_path / "inv")
    est = load(tmp_path / "m")
    assert ours["Constant"] == (40, pytest.approx(est.intercept_[0], rel=1e-8))
    crossed = [n for n in ours if "*" in n]
    assert crossed
    for n in crossed:           # ids of a times ids of b, folded into 40 columns
        a, b = map(int, n.split("*"))
        assert a < 20 <= b and ours[n][0] == ((16777619 * a) ^ b) % 40
    for n, (i, w) in ours.items():
        if n != "Constant" and "*" not in n:
            assert int(n) == i and w == pytest.approx(est.coef_[0, i], rel=1e-8)


def test_text_models_are_refused_over_inputs(tmp_path, capsys):
    data = tmp_path / "d.vw"
    data.write_text("1 |a x\n")
    code, out, err = run(["train", str(data), "-f", str(tmp_path / "m"),
                          "--readable-model", str(data)], capsys)
    assert code == 2 and "same file as FILE" in err


# -- VW's hashing options, tags, initial predictions ------------------------------------

@pytest.mark.parametrize("run_name", ["hash_all", "hash_seed"])
def test_hash_options_predict_as_vw(tmp_path, capsys, run_name):
    """Trained with VW's --hash all / --hash_seed 7 (the model file keeps
    them), predict gives VW's test margins, and writes VW's -p lines: the
    prediction, then the row's tag."""
    g, model = train_golden(tmp_path, capsys, run_name)
    pred = tmp_path / "p.txt"
    code, out, err = run(["predict", str(model), os.path.join(GOLDEN, "test.vw.gz"),
                          "-p", str(pred), "--quiet"], capsys)
    assert code == 0, err
    lines = pred.read_text().splitlines()
    p = np.array([float(s.split()[0]) for s in lines])
    np.testing.assert_allclose(np.log(p / (1 - p)), g["test_margins"], atol=1e-5)
    vw_tags = [s.split()[1:] for s in g["test_pred_lines"]]
    assert [s.split()[1:] for s in lines] == vw_tags
    assert sum(1 for t in vw_tags if t) > 100


def test_tags_are_written_as_vw_writes_them(tmp_path, capsys):
    data = tmp_path / "d.vw"
    data.write_text("1 'first|a x\n0 |a y\n1 2 second|a x\n-1 'th:ird |a y\n"
                    "1 'caf\u00e9|a x\n", encoding="utf-8")
    assert run(["train", str(data), "-f", str(tmp_path / "m"), "--quiet"], capsys)[0] == 0
    assert run(["predict", str(tmp_path / "m"), str(data), "-p", str(tmp_path / "p"),
                "--quiet"], capsys)[0] == 0
    lines = (tmp_path / "p").read_text(encoding="utf-8").splitlines()
    assert [s.split(" ", 1)[1:] for s in lines] == [["first"], [], ["second"], ["th:ird"],
                                                     ["caf\u00e9"]]


def test_initial_prediction_adds_to_the_margin(tmp_path, capsys):
    """VW's label section `label importance initial`: predict adds the
    initial prediction to w . x (numpy: sigmoid(margin + initial)); train
    takes it as each row's base_margin (the model equals the estimator's
    fit with base_margin=initial; VW's own answers: tests/test_base_margin.py)."""
    data = tmp_path / "d.vw"
    data.write_text("1 |a x y\n-1 |a y\n1 |a x\n")
    assert run(["train", str(data), "-f", str(tmp_path / "m"), "--quiet"], capsys)[0] == 0
    test = tmp_path / "t.vw"
    test.write_text("1 1 0.75 |a x\n1 |a x\n-1 1 -2 'tag|a y\n-1 |a y\n")
    code, out, err = run(["predict", str(tmp_path / "m"), str(test), "--quiet"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    p = np.array([float(s.split()[0]) for s in lines])
    m = np.log(p / (1 - p))
    np.testing.assert_allclose(m[0] - m[1], 0.75, atol=1e-7)
    np.testing.assert_allclose(m[2] - m[3], -2.0, atol=1e-7)
    assert lines[2].endswith(" tag")
    code, out, err = run(["train", str(test), "-f", str(tmp_path / "m2"), "--quiet"],
                         capsys)
    assert code == 0, err
    plain = tmp_path / "plain.vw"    # the same rows without their initial predictions
    plain.write_text("1 |a x\n1 |a x\n-1 'tag|a y\n-1 |a y\n")
    X, y, w, _ns = load_vw(str(plain), constant=True)
    trained = load(tmp_path / "m2")
    ref = FTRLClassifier(**trained.get_params()).partial_fit(
        X, y, classes=[0, 1], sample_weight=w, base_margin=np.array([0.75, 0.0, -2.0, 0.0]))
    np.testing.assert_array_equal(bits_of(trained._state["state"]),
                                  bits_of(ref._state["state"]))
    bad = tmp_path / "b.vw"
    bad.write_text("1 1 nope |a x\n")
    code, out, err = run(["predict", str(tmp_path / "m"), str(bad)], capsys)
    assert code == 2 and f"{bad}:1: bad initial prediction 'nope'" in err


def test_bad_hash_options(tmp_path, capsys):
    data = tmp_path / "d.vw"
    data.write_text("1 |a x\n")
    code, out, err = run(["train", str(data), "-f", str(tmp_path / "m"), "--hash",
                          "some"], capsys)
    assert code == 2 and "--hash some: expected --hash alone" in err
    for argv in (["--hash_seed", "-1"], ["--hash-seed", str(2**32)]):
        code, out, err = run(["train", str(data), "-f", str(tmp_path / "m"), *argv],
                             capsys)
        assert code == 2 and "--hash-seed" in err and "must be in [0, 2**32)" in err


def test_hash_alone_still_folds_libsvm_ids(tmp_path, capsys):
    X, y = make_data(n=50, d=30)
    dump_libsvm(X, y, str(tmp_path / "d.svm"))
    code, out, err = run(["train", "--hash", str(tmp_path / "d.svm"), "--n-features", "8",
                          "-f", str(tmp_path / "m"), "--quiet"], capsys)
    assert code == 0, err
    assert load(tmp_path / "m").n_features_in_ == 8


# -- squared loss: VW's gradient in the CLI ------------------------------------------------

def test_cli_squared_loss_is_vws_gradient(tmp_path, capsys):
    """`fastopt train --loss squared` updates with VW's gradient 2 (m - y)
    (the numpy twin with "squared_vw"), while FTRLRegressor keeps
    scikit-learn's (m - y); the progressive loss is the mean (m - y)^2
    either way."""
    rng = np.random.default_rng(3)
    X = sp.random(300, 20, density=0.3, format="csr", random_state=3)
    y = X @ rng.standard_normal(20) + 0.1 * rng.standard_normal(300)
    dump_libsvm(X, y, str(tmp_path / "d.svm"), labels="raw")
    code, out, err = run(["train", str(tmp_path / "d.svm"), "--n-features", "20",
                          "--loss", "squared", "--alpha", "0.2", "--l2", "0.5",
                          "-f", str(tmp_path / "m"), "--quiet"], capsys)
    assert code == 0, err
    twin = FTRLTwin(20, 0.2, 1.0, 0.0, 0.5, loss="squared_vw").fit(X, y)
    est = load(tmp_path / "m")
    np.testing.assert_allclose(est.coef_, twin.weights()[:-1], rtol=1e-10, atol=1e-12)
    assert est.intercept_ == pytest.approx(twin.weights()[-1], rel=1e-10)
    m = re.search(r"progressive squared loss:\s+(\S+)", out)
    assert float(m.group(1)) == pytest.approx(twin.loss_sum / 300, rel=1e-5)
    half = FTRLTwin(20, 0.2, 1.0, 0.0, 0.5, loss="squared").fit(X, y)
    sk = FTRLRegressor(loss="squared", alpha=0.2, l2=0.5).fit(X, y)
    np.testing.assert_allclose(sk.coef_, half.weights()[:-1], rtol=1e-10, atol=1e-12)
    assert not np.allclose(sk.coef_, est.coef_)


@pytest.mark.parametrize("info, msg", [
    ({"hash_all": "yes"}, "info 'hash_all' must be true or false"),
    ({"hash_seed": -1}, r"info 'hash_seed' must be an int in \[0, 2\*\*32\)"),
    ({"hash_seed": 2**32}, "info 'hash_seed'"),
    ({"hash_seed": True}, "info 'hash_seed'"),
])
def test_bad_hash_records_in_a_model_are_refused(tmp_path, capsys, info, msg):
    data = tmp_path / "d.vw"
    data.write_text("1 |a x\n-1 |a y\n")
    X, y, w, ns = load_vw(str(data), 4, constant=True)
    est = FTRLClassifier(fit_intercept=False).fit(X, y)
    est.save(tmp_path / "m", info={"hash": False, "format": "vw", "bits": 4,
                                   "constant": True, **info})
    code, out, err = run(["predict", str(tmp_path / "m"), str(data)], capsys)
    assert code == 2 and re.search(msg, err), err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("chunk", [48, 200, 1 << 20])
def test_extras_are_the_same_for_any_block_size(tmp_path, chunk):
    """Tags and initial predictions of VW lines (quoted, touching the bar,
    none; with and without importance), read in blocks of any size, equal
    a plain-Python reading of the label sections."""
    from fastopt.vw import iter_vw_chunks
    rng = np.random.default_rng(5)
    lines, want = [], []
    for i in range(300):
        label = f"{rng.choice([-1, 1])}"
        kind = i % 5
        if kind == 0:
            head, tag, init = f"{label} 2 0.{i}", f"t{i}", float(f"0.{i}")
        elif kind == 1:
            head, tag, init = f"{label} 'q{i}", f"q{i}", 0.0
        elif kind == 2:
            head, tag, init = f"{label} 1 -{i}.5 x{i}", f"x{i}", -(i + 0.5)
        elif kind == 3:
            head, tag, init = label, None, 0.0
        else:
            head, tag, init = f"{label} 3 {i}e-3 ", None, i * 1e-3
        sep = "" if kind in (0, 2) else " "
        if kind == 0:
            head += f" '{tag}"
        lines.append(f"{head}{sep}|a f{i % 7} |b g{i % 3}")
        want.append((tag, init))
    path = tmp_path / "d.vw"
    path.write_text("\n".join(lines) + "\n")
    got = []
    for X, y, w, ns, first, extras in iter_vw_chunks(str(path), 10, chunk_bytes=chunk,
                                                     extras=True):
        got += [(None if t is None else t.decode(), float(v))
                for t, v in zip(extras.tags, extras.initial)]
    assert [t for t, _ in got] == [t for t, _ in want]
    np.testing.assert_allclose([v for _, v in got], [v for _, v in want], rtol=1e-15)


def test_cli_predictions_from_compact_and_dense_files_are_identical(tmp_path, capsys):
    """`fastopt predict` with the compact file `train -f` wrote and with
    the same model as a dense (format 2) file: the same bytes."""
    m = tmp_path / "m.npz"
    code, out, err = run(["train", os.path.join(GOLDEN, "train.vw.gz"), "-q", "ab",
                          "--l1", "0.5", "-f", str(m), "--quiet"], capsys)
    assert code == 0, err
    est = load(m)
    buf = io.BytesIO()
    est.save(buf)
    buf.seek(0)
    with np.load(buf) as f:
        fields = {k: f[k] for k in f.files}
    with np.load(m) as f:
        info = f["info"]
    state = np.zeros((est.n_features_in_ + 1, 3))
    state[fields.pop("rows").astype(np.int64)] = fields.pop("values")
    for name in ("progressive_bins", "progressive_counts", "progressive_sums"):
        fields.pop(name, None)      # format 3's
    fields.update(state=state, format_version=np.asarray(2), info=info)
    with open(tmp_path / "dense.npz", "wb") as f:
        np.savez(f, **fields)
    assert os.path.getsize(tmp_path / "dense.npz") > 20 * os.path.getsize(m)
    outs = []
    for model in (m, tmp_path / "dense.npz"):
        p = tmp_path / (model.name + ".pred")
        code, out, err = run(["predict", str(model), os.path.join(GOLDEN, "test.vw.gz"),
                              "-p", str(p), "--quiet"], capsys)
        assert code == 0, err
        outs.append(p.read_bytes())
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 5000


# -- multi-class (one-vs-rest) models in format 3 ---------------------------------

def make_multiclass(n=400, d=300, k=4, seed=3):
    """Rows of sparse normal features; the class of the largest of k random
    linear scores (every class present)."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.05, format="csr", random_state=seed,
                  data_rvs=lambda m: rng.standard_normal(m))
    cls = np.argmax(X @ rng.standard_normal((d, k)) + 0.2 * rng.standard_normal((n, k)),
                    axis=1)
    return X, cls


# label kind -> the labels of classes 0..k-1, as a user would pass them
LABELS = {
    "int": lambda k: np.array([7, -2, 40, 3, 11][:k]),
    "float": lambda k: np.array([0.0, -1.0, 3.0, 1e9, 2.0][:k]),
    "str": lambda k: np.array(["cat", "dog", "émeu", "ant", "yak"][:k]),
    "object str": lambda k: np.array(["cat", "dog", "émeu", "ant", "yak"][:k], dtype=object),
    "object int": lambda k: np.array([7, -2, 40, 3, 11][:k], dtype=object),
}


@pytest.mark.parametrize("kind", list(LABELS))
@pytest.mark.parametrize("cls", [FTRLClassifier, RDAClassifier])
def test_multiclass_round_trip_is_bit_for_bit(tmp_path, kind, cls):
    """A K-class model (and a binary one with the same kind of labels):
    save -> load gives the same (d + 1, K, stride) state bit for bit, the
    same classes (object arrays come back as str / int64 arrays, equal
    label by label) and the same predictions; no pickle in the file."""
    X, c = make_multiclass()
    for k in (4, 2):
        keep = c < k
        y = LABELS[kind](k)[c[keep]]
        est = cls(**({"l1": 0.01} if cls is FTRLClassifier else {})).fit(X[keep], y)
        path = tmp_path / f"m{k}.npz"
        est.save(path)
        back = load(path)
        assert back._state["state"].shape == est._state["state"].shape
        np.testing.assert_array_equal(bits_of(back._state["state"]),
                                      bits_of(est._state["state"]))
        assert back.classes_.dtype.kind != "O"
        assert back.classes_.tolist() == est.classes_.tolist()
        assert back._state["t"] == est._state["t"]
        np.testing.assert_array_equal(bits_of(back.decision_function(X)),
                                      bits_of(est.decision_function(X)))
        assert back.predict(X).tolist() == est.predict(X).tolist()
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                with zf.open(member) as f:
                    np.lib.format.read_magic(f)
                    assert not np.lib.format.read_array_header_1_0(f)[2].hasobject


@pytest.mark.parametrize("cls", [FTRLClassifier, RDAClassifier])
def test_multiclass_continuing_after_load_equals_one_run(tmp_path, cls):
    """Half the rows, save, load, the other half == one run, bit for bit
    (state, t, progressive loss)."""
    X, c = make_multiclass()
    y = LABELS["str"](4)[c]
    one = cls().partial_fit(X[:200], y[:200], classes=np.unique(y))
    one.partial_fit(X[200:], y[200:])
    half = cls().partial_fit(X[:200], y[:200], classes=np.unique(y))
    half.save(tmp_path / "half.npz")
    cont = load(tmp_path / "half.npz").partial_fit(X[200:], y[200:])
    np.testing.assert_array_equal(bits_of(cont._state["state"]), bits_of(one._state["state"]))
    assert cont._state["t"] == one._state["t"]
    assert cont.progressive_loss_ == one.progressive_loss_
    np.testing.assert_array_equal(bits_of(cont.predict_proba(X)), bits_of(one.predict_proba(X)))


def test_multiclass_file_holds_the_touched_rows_of_every_class(tmp_path):
    """values: (touched rows, K, stride) -- a row is kept when any class's
    record has a bit set -- and the format stays 3."""
    X, c = make_multiclass()
    est = FTRLClassifier().fit(X[:, :150], c)
    est.save(tmp_path / "m.npz")
    state = est._state["state"]
    touched = np.flatnonzero(np.any(state.reshape(state.shape[0], -1) != 0, axis=1))
    with np.load(tmp_path / "m.npz") as f:
        assert int(f["format_version"]) == 3
        np.testing.assert_array_equal(f["rows"], touched)
        assert f["values"].shape == (len(touched), 4, 3)
        np.testing.assert_array_equal(f["values"], state[touched])
        np.testing.assert_array_equal(f["classes_"], [0, 1, 2, 3])


@pytest.mark.parametrize("labels, what", [
    ([__import__("fractions").Fraction(1, 3), __import__("fractions").Fraction(1, 2),
      __import__("fractions").Fraction(2, 1)], "Fraction"),
    ([__import__("datetime").date(2020, 1, d) for d in (1, 2, 3)], "date"),
    ([2**70, 2**71, 2**72], "int"),
    ([(1, 2), (1, 3), (2, 0)], "tuple")])
def test_unstorable_class_labels_are_refused_at_save(tmp_path, labels, what):
    """Sortable labels that a model file cannot hold without pickle:
    ValueError naming their type at save time, no file written; the
    estimator itself (and pickle) keep working."""
    X, c = make_multiclass(k=3)
    y = np.empty(len(c), dtype=object)
    for i, ci in enumerate(c):
        y[i] = labels[ci]
    est = FTRLClassifier().fit(X, y)
    with pytest.raises(ValueError, match=f"class labels of type {what} cannot be stored"):
        est.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()
    assert len(est.predict(X)) == X.shape[0]


def _write_svm(X, path):
    dump_libsvm(X, np.zeros(X.shape[0]), str(path))


def test_cli_predict_with_a_multiclass_model(tmp_path, capsys):
    """`fastopt predict` with a K-class model saved from Python writes each
    row's predicted class (= est.predict), and with --probabilities every
    class's probability (= est.predict_proba, '%.9g', columns in classes_
    order)."""
    X, c = make_multiclass()
    y = LABELS["str"](4)[c]
    est = FTRLClassifier().fit(X, y)
    est.save(tmp_path / "m.npz", info={"hash": False})
    _write_svm(X, tmp_path / "d.svm")
    code, out, err = run(["predict", str(tmp_path / "m.npz"), str(tmp_path / "d.svm"),
                          "--quiet"], capsys)
    assert code == 0, err
    assert out.splitlines() == est.predict(X).tolist()
    code, out, err = run(["predict", str(tmp_path / "m.npz"), str(tmp_path / "d.svm"),
                          "--probabilities", "--quiet"], capsys)
    assert code == 0, err
    got = np.array([[float(v) for v in line.split(" ")] for line in out.splitlines()])
    np.testing.assert_allclose(got, est.predict_proba(X), rtol=1e-8, atol=1e-12)


def test_cli_multiclass_raw_test_only_and_continuation(tmp_path, capsys):
    """A K-class model: --raw writes each row's K margins (=
    decision_function); train -i (continues binary models) is refused with
    one line; --raw with --probabilities is refused (-t on it:
    tests/test_cli_progressive.py)."""
    X, c = make_multiclass()
    est = FTRLClassifier().fit(X, c)
    m, d = str(tmp_path / "m.npz"), str(tmp_path / "d.svm")
    est.save(m, info={"hash": False})
    dump_libsvm(X, c.astype(float), d, labels="raw")
    code, out, err = run(["predict", m, d, "--raw", "--quiet"], capsys)
    assert code == 0, err
    got = np.array([[float(v) for v in line.split(" ")] for line in out.splitlines()])
    assert got.shape == (X.shape[0], len(est.classes_))
    np.testing.assert_allclose(got, est.decision_function(X), rtol=1e-8, atol=1e-12)
    for argv, msg in ((["predict", m, d, "--raw", "--probabilities"], "exclude each other"),
                      (["train", "-i", m, d, "-f", str(tmp_path / "m2")],
                       "is a multi-class (one-vs-rest) model; fastopt train")):
        code, out, err = run(argv, capsys)
        assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err


def test_cli_probabilities_of_binary_and_other_models(tmp_path, capsys):
    """--probabilities: two columns for a binary logistic model; refused
    (exit 2, one line) for a hinge classifier and a regressor."""
    X, y = make_data()
    _write_svm(X, tmp_path / "d.svm")
    est = FTRLClassifier().fit(X, y)
    est.save(tmp_path / "b.npz", info={"hash": False})
    code, out, err = run(["predict", str(tmp_path / "b.npz"), str(tmp_path / "d.svm"),
                          "--probabilities", "--quiet"], capsys)
    assert code == 0, err
    got = np.array([[float(v) for v in line.split(" ")] for line in out.splitlines()])
    np.testing.assert_allclose(got, est.predict_proba(X), rtol=1e-8, atol=1e-12)
    for name, model in (("h", FTRLClassifier(loss="hinge").fit(X, y)),
                        ("r", FTRLRegressor().fit(X, y))):
        model.save(tmp_path / f"{name}.npz", info={"hash": False})
        code, out, err = run(["predict", str(tmp_path / f"{name}.npz"),
                              str(tmp_path / "d.svm"), "--probabilities"], capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert "--probabilities" in err and "logistic" in err


def test_cli_multiclass_model_refuses_initial_predictions(tmp_path, capsys):
    """A VW row's initial prediction has no meaning for K one-vs-rest
    models: exit 2, one line naming FILE and the row."""
    X, c = make_multiclass(d=64)
    rows = [f"{ci} |a " + " ".join(f"f{j}:{v:.3f}" for j, v in
                                   zip(X[i].indices, X[i].data)) for i, ci in enumerate(c)]
    (tmp_path / "train.vw").write_text("\n".join(rows) + "\n")
    Xv, _, _, _ = load_vw(str(tmp_path / "train.vw"), bits=8, binary=False)
    est = FTRLClassifier().fit(Xv, c)
    est.save(tmp_path / "m.npz", info={"hash": True, "format": "vw", "bits": 8})
    test = tmp_path / "t.vw"
    test.write_text(rows[0] + "\n" + rows[1].replace(" |a", " 1 0.5 |a", 1) + "\n")
    code, out, err = run(["predict", str(tmp_path / "m.npz"), str(test), "-o",
                          str(tmp_path / "p")], capsys)
    assert code == 2 and f"{test}: row 2: a multi-class model takes no VW initial" in err
    assert len(err.strip().splitlines()) == 1
    test.write_text(rows[0] + "\n" + rows[1] + "\n")
    code, out, err = run(["predict", str(tmp_path / "m.npz"), str(test), "-o",
                          str(tmp_path / "p")], capsys)
    assert code == 0, err
    assert (tmp_path / "p").read_text().splitlines() == [str(v) for v in
                                                         est.predict(Xv[:2]).tolist()]


@pytest.mark.parametrize("name", ["ftrl", "rda", "multi-class"])
@pytest.mark.parametrize("weighted", [False, True])
def test_progressive_metrics_go_on_after_a_load(tmp_path, name, weighted):
    """A classifier's file keeps its progressive logloss and AUC: trained on
    A, saved, loaded and trained on B, it reports the same bits as the model
    trained on A and B in one call -- and both equal sklearn.metrics on the
    predictions made before each update (a numpy twin of the progressive
    sums, independent of the histograms' save format)."""
    from sklearn.metrics import log_loss, roc_auc_score
    X, y = make_data(n=600)
    rng = np.random.default_rng(1)
    if name == "multi-class":
        y = y + (rng.random(600) < 0.3)          # classes 0, 1, 2
        make = lambda: FTRLClassifier(l1=0.5)    # noqa: E731
    else:
        make = ESTIMATORS[name]
    classes = np.unique(y)
    w = rng.uniform(0.5, 2.0, 600) if weighted else None
    cut = 250
    one = make().partial_fit(X, y, classes=classes, sample_weight=w)
    first = make().partial_fit(X[:cut], y[:cut], classes=classes,
                               sample_weight=None if w is None else w[:cut])
    first.save(str(tmp_path / "a.npz"))
    cont = load(str(tmp_path / "a.npz"))
    assert cont.progressive_auc_ == first.progressive_auc_
    assert cont.progressive_logloss_ == first.progressive_logloss_
    cont.partial_fit(X[cut:], y[cut:], sample_weight=None if w is None else w[cut:])
    for attr in ("progressive_logloss_", "progressive_auc_", "progressive_auc_bound_",
                 "progressive_loss_"):
        assert bits_of(getattr(cont, attr)) == bits_of(getattr(one, attr)), attr
    # the same file either way
    one.save(str(tmp_path / "one.npz"))
    cont.save(str(tmp_path / "cont.npz"))
    with np.load(tmp_path / "one.npz") as a, np.load(tmp_path / "cont.npz") as b:
        for f in ("progressive_bins", "progressive_counts", "progressive_sums"):
            np.testing.assert_array_equal(a[f], b[f])
    # against sklearn on the predictions before each update, row by row
    slow = make()
    proba = np.empty((600, len(classes)))
    for r in range(600):
        if r:
            proba[r] = slow.predict_proba(X[r])[0]
        else:
            proba[r] = 1.0 / len(classes)            # the zero model
        slow.partial_fit(X[r], y[r:r + 1], classes=classes,
                         sample_weight=None if w is None else w[r:r + 1])
    assert cont.progressive_logloss_ == pytest.approx(
        log_loss(y, proba, labels=classes, sample_weight=w), rel=1e-9)
    auc = roc_auc_score(y, proba[:, 1], sample_weight=w) if len(classes) == 2 else \
        roc_auc_score(y, proba, multi_class="ovr", average="macro", sample_weight=w)
    assert abs(cont.progressive_auc_ - auc) <= cont.progressive_auc_bound_ + 1e-12


def test_models_without_progressive_fields_still_load(tmp_path):
    """A format 3 file written before the progressive fields (and a format 2
    file) loads; its progressive metrics are NaN (not kept), the rest is
    the same model."""
    X, y = make_data()
    est = fitted("ftrl", X, y)
    buf = io.BytesIO()
    est.save(buf)
    buf.seek(0)
    with np.load(buf) as f:
        fields = {k: f[k] for k in f.files if not k.startswith("progressive_")}
    with open(tmp_path / "old.npz", "wb") as f:
        np.savez(f, **fields)
    back = load(str(tmp_path / "old.npz"))
    assert np.isnan(back.progressive_auc_) and np.isnan(back.progressive_logloss_)
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
