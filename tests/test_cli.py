"""`fastopt demo` / `fastopt --version` and the 2-D test problems."""
import contextlib
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import fastopt
import fastopt.datasets
from fastopt import cli, demo, problems

STEPS = 5000          # the default, which the demo_output fixture runs
TOL = 1e-6
TITLES = {"quadratic": "Ill-conditioned quadratic", "rosenbrock": "Rosenbrock",
          "beale": "Beale", "saddle": "Saddle"}
WHY_TITLE = "Why proximal:"
WHY_RULES = [c[0] for c in demo.WHY_PROXIMAL]


def _run_main(argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli.main(argv)
    return rc, buf.getvalue()


def _parse(output):
    """{problem key: {rule: (steps cell, final f cell, distance cell)}}."""
    blocks = {}
    current = None
    for line in output.splitlines():
        if line.startswith(WHY_TITLE):
            current = None
        for key, title in TITLES.items():
            if line.startswith(title + ":"):
                current = blocks.setdefault(key, {})
        if current is None:
            continue
        for rule in demo.DEMO_RULES:
            if line.startswith("  " + rule + "  "):
                current[rule] = tuple(line.split()[-3:])
    return blocks


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The default demo (every section, default sizes), pictures into a
    temporary directory: (stdout, that directory)."""
    out_dir = str(tmp_path_factory.mktemp("demo") / "pictures")
    rc, out = _run_main(["demo", "--out", out_dir])
    assert rc == 0
    return out, out_dir


@pytest.fixture(scope="module")
def demo_output(demo_run):
    return demo_run[0]


@pytest.fixture(scope="module")
def tables(demo_output):
    return _parse(demo_output)


# -- the demo's output --------------------------------------------------------
def test_demo_every_rule_in_every_table(demo_output):
    out = demo_output
    assert out.splitlines()[0].startswith(f"fastopt {fastopt.__version__} ")
    assert ("OpenMP on" if fastopt.openmp_enabled() else "OpenMP off") in out
    tables = _parse(out)
    assert set(tables) == set(TITLES)
    for key, rows in tables.items():
        assert list(rows) == list(demo.DEMO_RULES), key


def test_demo_lines_fit_a_terminal(demo_output):
    assert max(len(line) for line in demo_output.splitlines()) <= 100


@pytest.mark.parametrize("rule", ["SGD", "Momentum", "Adam"])
def test_quadratic_reached_by_basic_rules(tables, rule):
    steps, final_f, dist = tables["quadratic"][rule]
    assert steps.isdigit(), (rule, steps)
    assert 0 < int(steps) <= STEPS
    assert float(final_f) <= TOL


def test_converged_rules_end_within_tol(tables):
    """A plain integer in the steps column: reached and still within tol."""
    for key in ("quadratic", "rosenbrock"):
        problem = problems.get_problem(key)
        for rule, (steps, final_f, dist) in tables[key].items():
            if steps.isdigit():
                assert abs(float(final_f) - problem.min_value) <= TOL, (key, rule)
                assert int(steps) <= STEPS


def test_rosenbrock_reached_by_momentum(tables):
    steps, final_f, dist = tables["rosenbrock"]["Momentum"]
    assert steps.isdigit()
    assert float(dist) < 1e-3


def test_saddle_sgd_escapes_in_table(tables):
    steps, final_f, dist = tables["saddle"]["SGD"]
    assert steps.isdigit() and int(steps) <= STEPS
    assert float(final_f) < problems.Saddle().escape_value


def test_run_rule_matches_a_plain_numpy_loop():
    """fastopt's SGD inside run_rule against gradient descent written out."""
    p = problems.Rosenbrock()
    r = demo.run_rule(p, fastopt.SGD, {"lr": 1e-3}, 300, TOL)
    x = p.start
    for _ in range(300):
        x = x - 1e-3 * p.grad(x)
    np.testing.assert_allclose(r.final_x, x, rtol=1e-12, atol=1e-14)
    assert r.steps_run == 300 and not r.diverged
    assert r.final_f == pytest.approx(p.value(x), rel=1e-12)


def test_demo_steps_zero_and_single_problem():
    rc, out = _run_main(["demo", "--steps", "0", "--problem", "rosenbrock"])
    assert rc == 0
    rows = _parse(out)
    assert set(rows) == {"rosenbrock"}
    assert all(cell[0] == "-" or cell[0] == "\u2014"
               for cell in rows["rosenbrock"].values())


def test_bad_arguments_give_usage_error(capsys):
    assert cli.main(["demo", "--steps", "-3"]) == 2
    assert cli.main(["demo", "--tol", "0"]) == 2
    assert cli.main(["nope"]) == 2
    capsys.readouterr()


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fastopt {fastopt.__version__}"


def test_cli_and_demo_do_not_import_each_other():
    """cli.py parses and dispatches; the demo's sections live in demo.py,
    which does not import cli.py, and `import fastopt.cli` (train, predict)
    does not load the demo.  --section's choices are the demo's keys."""
    assert list(cli.DEMO_SECTIONS) == [k for k, _ in demo.SECTIONS]
    src = open(demo.__file__, encoding="utf-8").read()
    assert "import cli" not in src and "fastopt.cli" not in src
    code = ("import sys, fastopt.cli; "
            "print('fastopt.demo' in sys.modules, 'scipy' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, cwd=OUTSIDE, env=_subprocess_env(), timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["False", "False"]


def _subprocess_env(**extra):
    env = dict(os.environ)
    env.update(extra)
    return env


# Subprocesses run outside the checkout, so that `python -m` imports the
# installed fastopt (with its compiled core), not the source tree.
OUTSIDE = tempfile.gettempdir()


SMALL = ["--steps", "200", "--rows", "2000"]     # a quick run of every section


def test_python_m_fastopt_cli_demo_ascii(tmp_path):
    """`python -m fastopt.cli demo`: every section, ASCII-only stdout."""
    res = subprocess.run(
        [sys.executable, "-m", "fastopt.cli", "demo", "--no-plots"] + SMALL,
        capture_output=True, timeout=120, cwd=str(tmp_path),
        env=_subprocess_env(PYTHONIOENCODING="ascii"))
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode("ascii")
    assert set(_parse(out)) == set(TITLES)
    assert _section_titles(out) == [t for _, t in demo.SECTIONS]
    assert "Skipped (--no-plots)." in out
    assert os.listdir(tmp_path) == []


# -- the demo's sections and pictures -------------------------------------------
PICTURES = ["quadratic.png", "rosenbrock.png", "beale.png", "saddle.png",
            "steepest_vs_cg.png", "newton_bfgs_lbfgs.png", "proximal_l1.png",
            "normalization.png"]


def _section_titles(output):
    """Titles of the numbered sections, in order ("3. Title" over "====")."""
    lines = output.splitlines()
    out = []
    for line, under in zip(lines, lines[1:]):
        if under and set(under) == {"="} and len(under) == len(line):
            number, _, title = line.partition(". ")
            titles = [t for _, t in demo.SECTIONS]
            assert number == str(titles.index(title) + 1), line
            out.append(title)
    return out


def _section(output, title):
    """The lines of one section of the demo's output."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(". " + title))
    end = next((i for i in range(start + 2, len(lines) - 1)
                if set(lines[i + 1] or "x") == {"="}), len(lines))
    return lines[start + 2:end]


def _png_size(path):
    """(width, height) from a PNG's IHDR; fails unless the file is a PNG."""
    with open(path, "rb") as f:
        head = f.read(33)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    assert head[12:16] == b"IHDR", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_demo_runs_every_section_in_order(demo_output):
    assert _section_titles(demo_output) == [t for _, t in demo.SECTIONS]
    assert demo_output.rstrip().splitlines()[-1].endswith(" s")


def test_demo_writes_the_pictures(demo_run):
    pytest.importorskip("matplotlib")
    out, out_dir = demo_run
    assert sorted(os.listdir(out_dir)) == sorted(PICTURES)   # no GIF without --gif
    for name in PICTURES:
        path = os.path.join(out_dir, name)
        w, h = _png_size(path)
        assert w >= 400 and h >= 250, (name, w, h)
        assert 8_000 < os.path.getsize(path) < 150_000, name
        assert any(line.split()[:1] == [name] for line in
                   _section(out, "Pictures (fastopt.viz)")), name
    from PIL import Image      # a picture, not a blank canvas
    with Image.open(os.path.join(out_dir, "quadratic.png")) as im:
        assert len(im.convert("RGB").getcolors(1 << 16)) > 20


def _run_hidden_matplotlib(argv, cwd):
    """Run fastopt's main(argv) in a subprocess where matplotlib cannot be
    imported."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from fastopt.cli import main\n"
            f"sys.exit(main({argv!r}))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=120, cwd=str(cwd),
                          env=_subprocess_env())


def test_demo_without_matplotlib_prints_tables_and_the_hint(tmp_path):
    out_dir = str(tmp_path / "pictures")
    res = _run_hidden_matplotlib(["demo", "--out", out_dir] + SMALL, tmp_path)
    assert res.returncode == 0, res.stderr
    assert set(_parse(res.stdout)) == set(TITLES)
    assert _section_titles(res.stdout) == [t for _, t in demo.SECTIONS]
    pictures = _section(res.stdout, "Pictures (fastopt.viz)")
    assert any("matplotlib is not installed" in line and "pip install fastopt[plot]"
               in line for line in pictures), pictures
    assert not os.path.exists(out_dir)
    assert os.listdir(tmp_path) == []


def test_demo_gif(tmp_path, monkeypatch):
    """--gif adds the animation (the PNGs are left out here to save time)."""
    pytest.importorskip("matplotlib")
    from PIL import Image
    monkeypatch.setattr(demo, "_GALLERY", {})
    rc, out = _run_main(["demo", "--section", "plots", "--gif", "--out", str(tmp_path)])
    assert rc == 0
    assert os.listdir(tmp_path) == [demo.GIF_NAME]
    assert any(line.split()[:1] == [demo.GIF_NAME] for line in out.splitlines())
    with Image.open(tmp_path / demo.GIF_NAME) as im:
        assert im.format == "GIF" and im.n_frames == 60 and im.size == (360, 270)


def test_demo_no_plots_and_section_choice(tmp_path):
    out_dir = str(tmp_path / "p")
    rc, out = _run_main(["demo", "--section", "plots", "--no-plots", "--out", out_dir])
    assert rc == 0 and _section_titles(out) == ["Pictures (fastopt.viz)"]
    assert "Skipped (--no-plots)." in out and not os.path.exists(out_dir)
    rc, out = _run_main(["demo", "--section", "online", "--section", "rules",
                         "--problem", "saddle", "--rows", "1000", "--steps", "10"])
    assert rc == 0
    assert _section_titles(out) == [demo.SECTIONS[0][1], demo.SECTIONS[3][1]]
    assert set(_parse(out)) == {"saddle"}
    assert cli.main(["demo", "--rows", "5"]) == 2
    assert cli.main(["demo", "--section", "nope"]) == 2


# -- the full-batch section ------------------------------------------------------
def _fullbatch_table(output):
    """{method: (scipy method, nit, scipy nit, f, |f - f_scipy|, zeros or
    None)} from the demo's full-batch section."""
    methods = [m for m, _, _ in demo.FULLBATCH]
    rows = {}
    for line in _section(output, demo.SECTIONS[2][1]):
        t = line.split()
        if t and t[0] in methods:
            zeros = (int(t[9]), int(t[11])) if len(t) > 9 else None
            rows[t[0]] = (t[1], int(t[2]), int(t[4]), float(t[5]), float(t[6]), zeros)
    return rows


@pytest.fixture(scope="module")
def breast_cancer():
    return demo.BreastCancer()


def _reference_minimum(data, key):
    """The objective's minimum, independently: scipy with tight tolerances
    (trust-exact on the smooth problem, L-BFGS-B on the split l1 ones)."""
    from scipy.optimize import minimize
    if key == "l2":
        res = minimize(data.logistic, data.start, jac=True, hess=data.hess,
                       method="trust-exact", options={"gtol": 1e-12})
        return data.objective(key, res.x)
    res = data.fit_scipy(key, "L-BFGS-B")     # a warm start, then tighten
    smooth, lam = data._smooth_and_lam(key)
    d = data.d

    def fun(z):
        f, g = smooth(np.concatenate([z[:1], z[1:d + 1] - z[d + 1:]]))
        return f + lam * z[1:].sum(), np.concatenate([g[:1], g[1:] + lam, lam - g[1:]])
    tight = minimize(fun, res.z, jac=True, method="L-BFGS-B",
                     bounds=[(None, None)] + [(0, None)] * (2 * d),
                     options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    return min(tight.fun, res.fun)


def test_fullbatch_table_agrees_with_scipy(demo_output, breast_cancer):
    table = _fullbatch_table(demo_output)
    assert list(table) == [m for m, _, _ in demo.FULLBATCH]
    runs = demo.fullbatch_rows(breast_cancer, timing=False)
    minima = {key: _reference_minimum(breast_cancer, key) for key in ("l2", "l1", "lasso")}
    for r in runs:
        smethod, nit, snit, f, df, zeros = table[r.method]
        assert smethod == r.scipy_method + ("*" if r.method == "steepest" else "")
        # the table shows these runs (deterministic but for the times)
        assert (nit, snit) == (r.res.nit, r.sres.nit), r.method
        assert f == pytest.approx(r.f, abs=1e-10), r.method
        assert df == pytest.approx(abs(r.f - r.f_scipy), rel=0.06, abs=1e-15), r.method
        # both at the minimum
        assert r.res.success and r.sres.success, r.method
        assert df <= 1e-7, r.method
        assert abs(r.f - minima[r.objective]) <= 1e-7, r.method
        assert abs(r.f_scipy - minima[r.objective]) <= 1e-7, r.method
        if r.objective == "l2":
            assert zeros is None
        else:   # the l1 solutions are sparse, and the table counts exactly
            assert zeros == (np.count_nonzero(r.res.x[1:] == 0),
                             np.count_nonzero(r.sres.x[1:] == 0)), r.method
            assert 5 <= zeros[0] <= 25, r.method


def test_breast_cancer_objectives_derivatives(breast_cancer):
    from scipy.optimize import approx_fprime
    data = breast_cancer
    rng = np.random.default_rng(0)
    for w in (data.start, 0.3 * rng.standard_normal(data.d + 1)):
        for fg in (data.logistic, data.logloss, data.lasso_smooth):
            f, g = fg(w)
            num = approx_fprime(w, lambda v: fg(v)[0], 1e-7)
            np.testing.assert_allclose(g, num, atol=2e-6)
        H = np.array([(data.logistic(w + 1e-6 * e)[1] - data.logistic(w - 1e-6 * e)[1])
                      / 2e-6 for e in np.eye(data.d + 1)])
        np.testing.assert_allclose(data.hess(w), H, atol=1e-6)
        assert data.objective("l2", w) == data.logistic(w)[0]
        assert data.objective("l1", w) == pytest.approx(
            data.logloss(w)[0] + data.l1 * np.abs(w[1:]).sum())
    # the intercept is neither penalised nor thresholded
    v = np.full(data.d + 1, 1e-4)
    out = data.prox_l1(v, 1.0)
    assert out[0] == 1e-4 and np.all(out[1:] == 0)


# -- the online section ---------------------------------------------------------
def _online_table(output):
    """[(learner label, progressive, holdout, rows/s, non-zero)] and the
    number of columns that occur in training."""
    rows, seen = [], None
    for line in _section(output, demo.SECTIONS[3][1]):
        t = line.split()
        if "columns occur in training" in line:
            seen = int(t[0].replace(",", ""))
        if t and t[0] in ("FTRL", "RDA") and len(t) >= 5:
            rows.append((" ".join(t[:-4]), float(t[-4]), float(t[-3]),
                         float(t[-2].replace(",", "")), int(t[-1].replace(",", ""))))
    return rows, seen


def test_online_table_matches_the_models(demo_output):
    """The table's losses and non-zero counts are those of the same learners
    refitted on the same rows (n_threads=1 is deterministic)."""
    rows, seen = _online_table(demo_output)
    assert len(rows) == len(demo.ONLINE_LEARNERS)
    X, y, _info = fastopt.datasets.make_clicklike(200_000, seed=0)
    Xtr, ytr, Xte, yte = X[:180_000], y[:180_000], X[180_000:], y[180_000:]
    assert seen == np.unique(Xtr.indices).size
    for (label, cls, hyper), (shown, prog, hold, rps, nonzero) in zip(
            demo.ONLINE_LEARNERS, rows):
        assert shown.split()[0] == label
        model = cls(**hyper, n_threads=1).fit(Xtr, ytr)
        assert nonzero == np.count_nonzero(model.coef_), shown
        assert prog == pytest.approx(model.progressive_loss_, abs=6e-5), shown
        p = np.clip(model.predict_proba(Xte)[:, 1], 1e-15, 1 - 1e-15)
        ll = -np.mean(yte * np.log(p) + (1 - yte) * np.log1p(-p))
        assert hold == pytest.approx(ll, abs=6e-5), shown
        assert rps > 1000
    (_, _, h0, _, nz0), (_, _, h1, _, nz1), (_, _, h2, _, nz2) = rows
    assert nz0 == seen                  # FTRL without l1 moves every column seen
    assert nz1 < nz0 / 3 and nz2 < nz0 / 3     # l1 makes the models sparse
    assert max(h0, h1, h2) < 0.53       # and they learn: the constant model is ~0.56


# -- the "Why proximal" section -------------------------------------------------
def _parse_why(output):
    """{rule: (exact zeros, 0 < |w| < 1e-3, support kept, F)} of the "Why
    proximal" table, or None if there is none."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(WHY_TITLE)]
    if not starts:
        return None
    assert len(starts) == 1
    rows = {}
    for line in lines[starts[0]:]:
        for rule in WHY_RULES:
            if line.startswith("  " + rule + "  "):
                zeros, tiny, support, f = line.split()[-4:]
                kept, k = support.split("/")
                rows[rule] = (int(zeros), int(tiny), (int(kept), int(k)),
                              float(f))
    return rows


def test_why_proximal_section(demo_output):
    rows = _parse_why(demo_output)
    assert rows is not None and list(rows) == WHY_RULES
    # after the 2-D tables
    assert demo_output.index(WHY_TITLE) > demo_output.index(TITLES["saddle"])
    assert "d=100, k=10 true non-zeros" in demo_output
    p = problems.SparseRegression()
    zeros, tiny, (kept, k), f_sgd = rows["SGD (subgradient)"]
    assert k == p.k == 10
    assert zeros <= 1                    # SGD: (almost) no exact zeros,
    assert tiny >= 45                    # but many weights hovering near 0
    assert kept == k
    for rule in WHY_RULES[1:]:
        zeros, tiny, (kept, k), f = rows[rule]
        assert zeros >= 0.7 * (p.d - p.k), rule    # many exact zeros
        assert kept >= k - 1, rule
        assert p.min_value - 1e-3 <= f <= 1.1 * f_sgd, rule
    assert {"ProximalSGD", "ProximalAdagrad", "FTRL", "RDA"} <= set(rows)


def test_why_proximal_table_matches_the_runs():
    """The table's counts are those of run_sparse_rule's final weights."""
    p = problems.SparseRegression()
    configs = demo.why_proximal_configs(p)
    results = [demo.run_sparse_rule(p, cls, kw, demo.SPARSE_STEPS, sub)
               for _rule, cls, kw, sub, _label in configs]
    rows = _parse_why(demo.format_why_proximal(p, configs, results))
    for (rule, _cls, kw, sub, label), w in zip(configs, results):
        zeros, tiny, (kept, k), f = rows[rule]
        assert zeros == np.count_nonzero(w == 0)
        assert kept == np.count_nonzero(w[p.support]) and k == p.k
        assert f == pytest.approx(p.objective(w), abs=1e-4)
        assert sub == (rule == "SGD (subgradient)")
        if rule == "FTRL":                  # l1 on the summed gradient
            assert kw["l1"] == pytest.approx(p.l1 * demo.SPARSE_STEPS)
            assert "x 1000 steps" in label
        elif not sub:
            assert kw["l1"] == p.l1


def test_demo_sparse_only_and_not_with_other_problems():
    rc, out = _run_main(["demo", "--problem", "sparse"])
    assert rc == 0
    assert _parse(out) == {}
    assert list(_parse_why(out)) == WHY_RULES
    assert out.rstrip().splitlines()[-1].startswith(f"{len(WHY_RULES)} runs in ")
    rc, out = _run_main(["demo", "--steps", "10", "--problem", "saddle"])
    assert rc == 0
    assert set(_parse(out)) == {"saddle"}
    assert _parse_why(out) is None
    assert out.rstrip().splitlines()[-1].startswith(
        f"{len(demo.DEMO_RULES)} runs in ")


# -- the problems -------------------------------------------------------------
ALL_PROBLEMS = [problems.IllConditionedQuadratic(),
                problems.IllConditionedQuadratic(kappa=1000),
                problems.Rosenbrock(), problems.Rosenbrock(a=2.0, b=10.0),
                problems.Beale(), problems.Saddle()]


def _central_diff(f, x, h=1e-6):
    g = np.empty(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("problem", ALL_PROBLEMS, ids=repr)
def test_gradient_matches_central_differences(problem):
    rng = np.random.default_rng(0)
    points = [problem.start, np.zeros(2)] + list(rng.uniform(-2, 2, (20, 2)))
    for x in points:
        g = problem.grad(x)
        ref = _central_diff(problem.value, x)
        np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-5 * (1 + abs(g).max()))
        out = np.empty(2)
        assert problem.grad(x, out) is out
        np.testing.assert_array_equal(out, g)


@pytest.mark.parametrize("problem", ALL_PROBLEMS, ids=repr)
def test_minimiser_and_stationary_point(problem):
    s = problem.stationary_point
    np.testing.assert_allclose(problem.grad(s), 0.0, atol=1e-12)
    assert problem.distance(s) == 0.0
    if problem.minimiser is None:
        assert problem.min_value is None
        # unbounded below along y
        assert problem.value(np.array([0.0, 1e3])) < -1e5
    else:
        np.testing.assert_array_equal(problem.minimiser, s)
        assert problem.value(s) == problem.min_value
        rng = np.random.default_rng(1)
        for x in rng.uniform(-3, 3, (50, 2)):
            assert problem.value(x) >= problem.min_value


@pytest.mark.parametrize("problem", ALL_PROBLEMS, ids=repr)
def test_value_on_a_grid(problem):
    xs, ys = np.meshgrid(np.linspace(*problem.xlim, 7), np.linspace(*problem.ylim, 5))
    grid = problem.value(np.stack([xs, ys]))
    assert grid.shape == xs.shape
    for i in range(xs.shape[0]):
        for j in range(xs.shape[1]):
            assert grid[i, j] == problem.value(np.array([xs[i, j], ys[i, j]]))
    x0 = problem.start
    assert problem.xlim[0] <= x0[0] <= problem.xlim[1]
    assert problem.ylim[0] <= x0[1] <= problem.ylim[1]


def test_start_is_a_fresh_copy():
    p = problems.Rosenbrock()
    a = p.start
    a[:] = 7.0
    np.testing.assert_array_equal(p.start, [-1.2, 1.0])


def test_saddle_gradient_descent_escapes():
    """Plain gradient descent (numpy, not fastopt) from (1, 1e-3) escapes."""
    p = problems.Saddle()
    np.testing.assert_array_equal(p.start, [1.0, 1e-3])
    x = p.start
    escaped_at = None
    for k in range(1, STEPS + 1):
        x = x - 0.01 * p.grad(x)
        if p.value(x) < p.escape_value:
            escaped_at = k
            break
    assert escaped_at is not None
    # analytic: y_k = 1e-3 * 1.02^k, x_k = 0.98^k -> f < -1 at k = 349
    assert escaped_at == 349
    assert p.reached(p.value(x), TOL) and not p.reached(0.0, TOL)


def test_get_problem():
    assert isinstance(problems.get_problem("saddle"), problems.Saddle)
    with pytest.raises(KeyError):
        problems.get_problem("himmelblau")
    with pytest.raises(ValueError):
        problems.IllConditionedQuadratic(kappa=0.5)


def test_rosenbrock_hessian_matches_differences_of_the_gradient():
    p = problems.Rosenbrock(a=1.5, b=30.0)
    for x in (p.start, np.array([0.3, -0.7]), p.minimiser):
        H = np.array([(p.grad(x + 1e-6 * e) - p.grad(x - 1e-6 * e)) / 2e-6
                      for e in np.eye(2)]).T
        np.testing.assert_allclose(p.hess(x), H, rtol=1e-7, atol=1e-6)


def test_beale_minimum():
    p = problems.Beale()
    assert p.value(np.array([3.0, 0.5])) == 0.0
    np.testing.assert_array_equal(p.grad(np.array([3.0, 0.5])), 0.0)
    assert p.value(p.start) == pytest.approx(41.25)   # 2^2 + 3.5^2 + 5^2
