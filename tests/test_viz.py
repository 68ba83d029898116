"""fastopt.viz: the recorders (numpy only) and the plots (matplotlib)."""
import sys

import numpy as np
import pytest

import fastopt
from fastopt import demo, problems, viz


# -- recorders ---------------------------------------------------------------------
def test_record_path_is_the_optimizer_run_by_hand():
    p = problems.Rosenbrock()
    path = viz.record_path(fastopt.Adam, p.grad, p.start, 300, lr=0.03)
    x = p.start
    opt = fastopt.Adam(x, lr=0.03, n_threads=1)
    by_hand = [x.copy()]
    for _ in range(300):
        opt.step(p.grad(x))
        by_hand.append(x.copy())
    assert path.shape == (301, 2) and path.dtype == np.float64
    np.testing.assert_array_equal(path, np.array(by_hand))


def test_record_path_factory_float32_and_x0_untouched():
    p = problems.IllConditionedQuadratic()
    x0 = p.start.astype(np.float32)
    keep = x0.copy()
    path = viz.record_path(lambda x: fastopt.SGD(x, lr=0.01, momentum=0.9), p.grad, x0, 50)
    np.testing.assert_array_equal(x0, keep)
    assert path.dtype == np.float32 and path.shape == (51, 2)
    np.testing.assert_array_equal(path[0], keep)
    same = viz.record_path(fastopt.SGD, p.grad, x0, 50, lr=0.01, momentum=0.9)
    np.testing.assert_array_equal(path, same)
    with pytest.raises(TypeError):
        viz.record_path(lambda x: fastopt.SGD(x, lr=0.1), p.grad, x0, 5, lr=0.1)


def test_record_path_stops_before_non_finite_points():
    p = problems.Saddle()
    path = viz.record_path(fastopt.SGD, p.grad, p.start, 5000, lr=0.9)
    # |y| grows by 2.8x a step: overflow after a few hundred steps
    assert 100 < len(path) < 5001
    assert np.all(np.isfinite(path))
    with np.errstate(over="ignore"):
        assert np.isinf(path[-1, 1] * 2.8)     # the next point overflows
    y = p.start[1] * 2.8 ** np.arange(600)
    np.testing.assert_allclose(path[:600, 1], y, rtol=1e-9)


@pytest.mark.parametrize("method", ["bfgs", "lbfgs", "newton", "cg", "steepest"])
def test_record_minimize_records_every_iterate(method):
    p = problems.Rosenbrock()
    hess = p.hess if method == "newton" else None
    options = {"maxiter": 400} if method == "steepest" else None
    trace = viz.record_minimize(p.value, p.start, method, jac=p.grad, hess=hess,
                                options=options)
    res = fastopt.minimize(p.value, p.start, method=method, jac=p.grad, hess=hess,
                           options=options)
    assert len(trace.x) == len(trace.f) == res.nit + 1
    np.testing.assert_array_equal(trace.x[0], p.start)
    np.testing.assert_array_equal(trace.x[-1], res.x)
    np.testing.assert_array_equal(trace.result.x, res.x)
    assert trace.f[-1] == res.fun
    np.testing.assert_allclose(trace.f, [p.value(x) for x in trace.x], rtol=1e-14)


def test_record_minimize_matches_bfgs_return_all():
    p = problems.Rosenbrock()
    trace = viz.record_minimize(p.value, p.start, "bfgs", jac=p.grad)
    res = fastopt.minimize(p.value, p.start, method="bfgs", jac=p.grad,
                           options={"return_all": True})
    np.testing.assert_array_equal(trace.x, np.array(res.allvecs))


def test_record_minimize_with_jac_true_and_coordinate_descent():
    data = demo.BreastCancer()
    trace = viz.record_minimize(data.logistic, data.start, "lbfgs", jac=True)
    assert trace.f[0] == pytest.approx(np.log(2.0))
    assert np.all(np.diff(trace.f) <= 0)
    cd = viz.record_minimize(None, np.zeros(data.d), "coordinate_descent",
                             options=dict(X=data.X, y=data.y, alpha=0.01))
    assert np.isnan(cd.f[0]) and len(cd.x) == cd.result.nit + 1
    np.testing.assert_array_equal(cd.x[-1], cd.result.x)


def test_gallery_paths_are_the_tables_runs():
    """The gallery draws the runs of the 2-D tables (same rule, same
    hyperparameters but where GALLERY_HYPER says otherwise)."""
    paths = demo.gallery_paths("rosenbrock", steps=200)
    assert list(paths) == list(demo.GALLERY_RULES)
    p = problems.Rosenbrock()
    for rule, cls, kw, _label in demo.demo_configs("rosenbrock"):
        if rule in paths:
            r = demo.run_rule(p, cls, kw, 200, 1e-6)
            np.testing.assert_array_equal(paths[rule][-1], r.final_x)
    sgd = dict((r, kw) for r, _c, kw in demo.gallery_configs("quadratic"))["SGD"]
    assert sgd["lr"] == 0.038


# -- plots --------------------------------------------------------------------------
@pytest.fixture
def mpl():
    mpl = pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure
    return Figure


def test_plot_trajectories_lines(mpl):
    p = problems.Beale()
    runs = {"SGD": viz.record_path(fastopt.SGD, p.grad, p.start, 100, lr=0.01),
            "Adam": viz.record_path(fastopt.Adam, p.grad, p.start, 400, lr=0.1)}
    ax = mpl().add_subplot()
    assert viz.plot_trajectories(p, runs, ax, title="t") is ax
    assert len(ax.lines) == len(runs) + 2
    for line, (label, path) in zip(ax.lines, runs.items()):
        assert line.get_label() == label
        np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), path[:, 1])
    assert ax.lines[0].get_marker() == "o"      # 101 points: dots
    assert ax.lines[1].get_marker() in (None, "None", "")   # 401: a line only
    np.testing.assert_array_equal(ax.lines[-2].get_xydata()[0], p.start)
    np.testing.assert_array_equal(ax.lines[-1].get_xydata()[0], p.minimiser)
    assert ax.get_xlim() == p.xlim and ax.get_ylim() == p.ylim
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(runs)
    assert ax.get_title() == "t" and len(ax.collections) >= 1   # the contours


def test_plot_trajectories_on_the_saddle_and_pairs(mpl):
    p = problems.Saddle()
    runs = [("a", viz.record_path(fastopt.SGD, p.grad, p.start, 10, lr=0.1))]
    ax = viz.plot_trajectories(p, runs, mpl().add_subplot(), legend=False)
    assert len(ax.lines) == 3 and ax.get_legend() is None
    np.testing.assert_array_equal(ax.lines[-1].get_xydata()[0], [0.0, 0.0])


def test_plot_convergence(mpl):
    hist = {"a": [3.0, 2.0, 1.5, 1.0], "b": [3.0, 1.0, 1.0]}
    ax = viz.plot_convergence(hist, mpl().add_subplot(), f_star=1.0)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    y = ax.lines[0].get_ydata()
    np.testing.assert_array_equal(y[:3], [2.0, 1.0, 0.5])
    assert np.isnan(y[3])                      # f - f* = 0: not on a log axis
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 1, 2])
    ax = viz.plot_convergence(hist, mpl().add_subplot(), log=False)
    assert ax.get_yscale() == "linear"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), hist["a"])


def test_plot_magnitudes(mpl):
    w = {"prox": np.array([0.0, -2.0, 0.0, 0.5]), "sgd": np.array([1e-4, -2.0, 3e-5, 0.5])}
    ax = viz.plot_magnitudes(w, mpl().add_subplot(), floor=1e-8)
    assert len(ax.lines) == 3
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [2.0, 0.5, 1e-8, 1e-8])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [2.0, 0.5, 1e-4, 3e-5])
    assert ax.get_yscale() == "log"


def test_plot_with_ax_none_uses_pyplot(mpl):
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.figure()
    try:
        ax = viz.plot_convergence({"a": [1.0, 0.5]})
        assert ax is plt.gca() and len(ax.lines) == 1
    finally:
        plt.close("all")


def test_animate_trajectories_writes_a_gif(mpl, tmp_path):
    from PIL import Image
    p = problems.Rosenbrock()
    runs = {"SGD": viz.record_path(fastopt.SGD, p.grad, p.start, 50, lr=1e-3),
            "Adam": viz.record_path(fastopt.Adam, p.grad, p.start, 80, lr=0.03)}
    path = str(tmp_path / "a.gif")
    assert viz.animate_trajectories(p, runs, path, frames=5) == path
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 5
        first = np.asarray(im.convert("RGB")).copy()
        im.seek(4)
        last = np.asarray(im.convert("RGB"))
        assert (first != last).any()               # the paths grew


def test_viz_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install fastopt\[plot\]"):
        viz.require_matplotlib()
    with pytest.raises(ImportError, match=r"pip install fastopt\[plot\]"):
        viz.plot_convergence({"a": [1.0]})
    with pytest.raises(ImportError, match=r"pip install fastopt\[plot\]"):
        demo.write_gallery("never-written")
    # the recorders need no matplotlib
    p = problems.Saddle()
    assert len(viz.record_path(fastopt.Adam, p.grad, p.start, 3, lr=0.1)) == 4
