"""Pictures of optimizers at work: trajectories on 2-D contours, convergence
curves, weight magnitudes, and animated trajectories (matplotlib, optional:
``pip install fastopt[plot]``).

Recording (numpy only, no matplotlib needed):

* ``record_path(optimizer, grad, x0, steps, **hyper)`` -- the iterates of a
  fastopt.optim optimizer, (k + 1, n): x0 and the point after each step;
* ``record_minimize(fun, x0, method, ...)`` -- a ``Trace(x, f, result)`` of a
  fastopt.minimize run, recorded through its callback.

Drawing (each takes ``ax=None``: the current pyplot Axes then, else draws on
the given one; each returns the Axes):

* ``plot_trajectories(problem, runs, ax)`` -- contours of a 2-D problem
  (fastopt.problems) and one line per run, plus a marker for the start and one
  for the minimiser (or saddle point): ``len(runs) + 2`` lines;
* ``plot_convergence(histories, ax, log=True, f_star=None)`` -- one line per
  history (f, or f - f_star, against the iteration);
* ``plot_magnitudes(weights, ax)`` -- each weight vector's ``|w|`` sorted in
  decreasing order on a log scale, exact zeros drawn on a floor line:
  ``len(weights) + 1`` lines;
* ``animate_trajectories(problem, runs, filename)`` -- an animated GIF (pillow).

::

    import fastopt, fastopt.viz as viz
    from fastopt.problems import Rosenbrock
    p = Rosenbrock()
    runs = {"Adam": viz.record_path(fastopt.Adam, p.grad, p.start, 2000, lr=0.03),
            "SGD": viz.record_path(fastopt.SGD, p.grad, p.start, 2000, lr=1e-3)}
    viz.plot_trajectories(p, runs)
"""
from __future__ import annotations

import math
from typing import (IO, Any, Callable, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple, Union)

import numpy as np

from fastopt._files import atomic_output

__all__ = ["record_path", "record_minimize", "Trace", "plot_trajectories",
           "plot_convergence", "plot_magnitudes", "animate_trajectories",
           "require_matplotlib", "INSTALL_HINT"]

INSTALL_HINT = "pip install fastopt[plot]  (or: pip install matplotlib)"


#: ``{label: value}`` or a sequence of ``(label, value)`` pairs.
Labelled = Union[Mapping[str, Any], Sequence[Tuple[str, Any]]]


def require_matplotlib() -> Any:
    """Import matplotlib, or say how to install it.

    Returns
    -------
    module
        The matplotlib module.

    Raises
    ------
    ImportError
        If matplotlib is not installed; the message says how to install it.
    """
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(f"fastopt.viz needs matplotlib: {INSTALL_HINT}") from e
    return matplotlib


def _axes(ax: Any) -> Any:   # a matplotlib Axes (matplotlib is optional)
    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt
    return plt.gca()


def _items(mapping: Labelled) -> List[Tuple[str, Any]]:
    """(label, value) pairs of a dict or of a sequence of pairs."""
    return list(mapping.items()) if hasattr(mapping, "items") else list(mapping)


# -- recording -------------------------------------------------------------------
def record_path(optimizer: Union[type, Callable[[np.ndarray], Any]],
                grad: Callable[[np.ndarray], Any], x0: Any, steps: int,
                **hyper: Any) -> np.ndarray:
    """The iterates of a fastopt.optim optimizer started at x0.

    Parameters
    ----------
    optimizer : type or callable
        An optimizer class, constructed as
        ``optimizer(x, n_threads=1, **hyper)``, or a callable
        ``x -> optimizer`` (`hyper` must then be empty).
    grad : callable
        ``grad(x) -> gradient`` (e.g. ``problem.grad``), called once per
        step.
    x0 : array_like
        The start; not modified.
    steps : int
        The number of steps.
    **hyper
        The optimizer's hyperparameters (``lr=...``).

    Returns
    -------
    numpy.ndarray
        ``(k + 1, n)``: row 0 is x0, row i the parameters after step i
        (float32 or float64, as x0; ints become float64).  ``k = steps``
        unless the parameters stop being finite: the run ends before that
        point, which is not included.

    Raises
    ------
    TypeError
        If `hyper` is given with an optimizer that is not a class.

    Examples
    --------
    >>> import fastopt
    >>> from fastopt.viz import record_path
    >>> path = record_path(fastopt.SGD, lambda x: 2 * x, [1.0, -2.0], 3, lr=0.25)
    >>> path
    array([[ 1.   , -2.   ],
           [ 0.5  , -1.   ],
           [ 0.25 , -0.5  ],
           [ 0.125, -0.25 ]])
    """
    x0 = np.asarray(x0)
    x = np.array(x0, dtype=np.result_type(x0.dtype, np.float32)).ravel()
    if isinstance(optimizer, type):
        opt = optimizer(x, n_threads=1, **hyper)
    elif hyper:
        raise TypeError("hyperparameters go to the optimizer factory, not to "
                        "record_path, when `optimizer` is not a class")
    else:
        opt = optimizer(x)
    steps = int(steps)
    path = np.empty((steps + 1, x.size), dtype=x.dtype)
    path[0] = x
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            opt.step(np.asarray(grad(x), dtype=x.dtype).reshape(x.shape))
            if not np.all(np.isfinite(x)):
                return path[:k]
            path[k] = x
    return path[:k + 1]


class Trace(NamedTuple):
    """A recorded fastopt.minimize run.

    Parameters
    ----------
    x : numpy.ndarray
        ``(k + 1, n)``: the start and the iterate after each iteration.
    f : numpy.ndarray
        ``(k + 1,)``: their objective values (``f[0]`` is NaN when there is
        no `fun` to evaluate, as for coordinate descent on X, y).
    result : scipy.optimize.OptimizeResult
        The run's result.
    """

    x: np.ndarray
    f: np.ndarray
    result: Any


def record_minimize(fun: Any, x0: Any, method: str = "bfgs", *, args: Tuple[Any, ...] = (),
                    jac: Any = None, hess: Any = None,
                    options: Optional[Dict[str, Any]] = None) -> Trace:
    """Run ``fastopt.minimize(fun, x0, ...)``, recording every iterate.

    Every iterate and its objective value are recorded through the callback.
    A final point the callback did not see (coordinate descent does not
    report the sweep that converges) is added from the result.

    Parameters
    ----------
    fun : callable or None
        The objective, as for `fastopt.minimize.minimize`.
    x0 : array_like
        The start.
    method : str
        A method of `fastopt.minimize.minimize`.
    args : tuple
        Extra arguments of fun, jac and hess.
    jac : callable, bool, str or None
        As for `fastopt.minimize.minimize`.
    hess : callable, str or None
        As for `fastopt.minimize.minimize` (newton).
    options : dict, optional
        The method's options.

    Returns
    -------
    Trace
        The iterates, their values and the OptimizeResult.

    Raises
    ------
    TypeError, ValueError
        As `fastopt.minimize.minimize` for bad arguments.

    Examples
    --------
    >>> from fastopt.viz import record_minimize
    >>> from fastopt.problems import Rosenbrock
    >>> p = Rosenbrock()
    >>> trace = record_minimize(p.value, p.start, "bfgs", jac=p.grad)
    >>> trace.x.shape == (trace.result.nit + 1, 2), bool(trace.f[-1] < 1e-10)
    (True, True)
    """
    from fastopt.minimize import minimize
    xs, fs = [], []

    def callback(intermediate_result: Any) -> None:
        xs.append(np.array(intermediate_result.x, dtype=np.float64))
        fs.append(float(intermediate_result.fun))

    res = minimize(fun, x0, args=args, method=method, jac=jac, hess=hess,
                   callback=callback, options=options)
    x0 = np.asarray(x0, dtype=np.float64).ravel()
    if not np.array_equal(xs[-1] if xs else x0, res.x):
        xs.append(np.array(res.x, dtype=np.float64))   # a last step not reported
        fs.append(float(res.fun))
    f0 = math.nan
    if callable(fun):
        v = fun(x0, *args)
        f0 = float(v[0] if jac is True else v)
    return Trace(np.array([x0] + xs), np.array([f0] + fs), res)


# -- drawing ---------------------------------------------------------------------
def _contour_levels(z: np.ndarray, n: int, log: bool, f_min: Optional[float]) -> np.ndarray:
    finite = z[np.isfinite(z)]
    lo, hi = float(finite.min()), float(finite.max())
    if log and f_min is not None:
        base = max(lo - f_min, (hi - f_min) * 1e-6, 1e-12)
        return f_min + np.geomspace(base, hi - f_min, n)
    return np.linspace(lo, hi, n)


def plot_trajectories(problem: Any, runs: Labelled, ax: Any = None, *, levels: int = 25,
                      log_levels: bool = True, resolution: int = 200,
                      title: Optional[str] = None, legend: bool = True,
                      colors: Optional[Mapping[str, Any]] = None,
                      markers_below: int = 150, linewidth: float = 1.6) -> Any:
    """Contours of a 2-D problem and the path of each run.

    Parameters
    ----------
    problem : Problem
        An object with ``value`` (taking a ``(2, ...)`` stack of points),
        ``xlim`` and ``ylim``: any fastopt.problems problem.  Its
        ``stationary_point`` is marked when it has one.
    runs : dict or sequence of (str, array_like)
        ``{label: path}``, a path being ``(k, 2)`` points as record_path or
        record_minimize return.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None: the current pyplot Axes.
    levels : int
        The number of contour levels.
    log_levels : bool
        Log-spaced levels above the minimum where the problem has one
        (``min_value``); else linear.
    resolution : int
        Grid points per axis for the contours.
    title : str, optional
        The Axes' title.
    legend : bool
        Draw a legend.
    colors : dict, optional
        ``{label: colour}``.
    markers_below : int
        Paths with fewer points show a dot at each iterate.
    linewidth : float
        The paths' line width.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with ``len(runs) + 2`` lines (one per run, the start
        marker, the stationary-point marker).

    Raises
    ------
    ImportError
        If `ax` is None and matplotlib is not installed.

    Examples
    --------
    >>> import fastopt
    >>> from matplotlib.figure import Figure
    >>> from fastopt.problems import Rosenbrock
    >>> from fastopt.viz import plot_trajectories, record_path
    >>> p = Rosenbrock()
    >>> runs = {"Adam": record_path(fastopt.Adam, p.grad, p.start, 200, lr=0.03)}
    >>> ax = plot_trajectories(p, runs, Figure().add_subplot())
    >>> len(ax.lines)
    3
    """
    ax = _axes(ax)
    runs = _items(runs)
    (x_lo, x_hi), (y_lo, y_hi) = problem.xlim, problem.ylim
    xs, ys = np.meshgrid(np.linspace(x_lo, x_hi, resolution),
                         np.linspace(y_lo, y_hi, resolution))
    with np.errstate(over="ignore", invalid="ignore"):
        z = problem.value(np.stack([xs, ys]))
    f_min = getattr(problem, "min_value", None)
    ax.contour(xs, ys, z, levels=_contour_levels(z, levels, log_levels, f_min),
               cmap="Greys_r", linewidths=0.6, alpha=0.55)
    colors = colors or {}
    for label, path in runs:
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], label=label, color=colors.get(label),
                lw=linewidth, marker="o" if len(path) < markers_below else None,
                ms=2.5, alpha=0.9)
    starts = [np.asarray(p)[0] for _, p in runs]
    start = starts[0] if starts else getattr(problem, "start", [np.nan, np.nan])
    ax.plot([start[0]], [start[1]], "o", color="black", ms=6, zorder=5)
    sp = getattr(problem, "stationary_point", None)
    sp = [np.nan, np.nan] if sp is None else sp
    ax.plot([sp[0]], [sp[1]], "*", color="black", ms=12, zorder=5)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title is not None:
        ax.set_title(title)
    if legend and runs:
        ax.legend(fontsize="small", loc="best", framealpha=0.85)
    return ax


def plot_convergence(histories: Labelled, ax: Any = None, *, log: bool = True,
                     f_star: Optional[float] = None, xlabel: str = "iteration",
                     ylabel: Optional[str] = None, title: Optional[str] = None,
                     legend: bool = True, colors: Optional[Mapping[str, Any]] = None,
                     styles: Optional[Mapping[str, str]] = None) -> Any:
    """One line per history of values, against the iteration.

    Parameters
    ----------
    histories : dict or sequence of (str, array_like)
        ``{label: values}``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None: the current pyplot Axes.
    log : bool
        A log y axis (values <= 0 are not drawn then).
    f_star : float, optional
        The optimal value: the lines show ``value - f_star``.
    xlabel : str
        The x axis' label.
    ylabel : str, optional
        The y axis' label; None: "f" or "f - f*".
    title : str, optional
        The Axes' title.
    legend : bool
        Draw a legend.
    colors : dict, optional
        ``{label: colour}``.
    styles : dict, optional
        ``{label: line style}``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with ``len(histories)`` lines.

    Raises
    ------
    ImportError
        If `ax` is None and matplotlib is not installed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from fastopt.viz import plot_convergence
    >>> ax = plot_convergence({"halving": 0.5 ** np.arange(20)}, Figure().add_subplot())
    >>> ax.get_yscale(), len(ax.lines)
    ('log', 1)
    """
    ax = _axes(ax)
    colors, styles = colors or {}, styles or {}
    for label, values in _items(histories):
        v = np.asarray(values, dtype=np.float64)
        if f_star is not None:
            v = v - f_star
        if log:
            v = np.where(v > 0, v, np.nan)
        ax.plot(np.arange(len(v)), v, label=label, color=colors.get(label),
                ls=styles.get(label, "-"), lw=1.6)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel if ylabel is not None
                  else ("f - f*" if f_star is not None else "f"))
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    return ax


def plot_magnitudes(weights: Labelled, ax: Any = None, *, floor: float = 1e-10,
                    title: Optional[str] = None, legend: bool = True,
                    colors: Optional[Mapping[str, Any]] = None) -> Any:
    """The magnitudes ``|w|`` of weight vectors, sorted, on a log scale.

    Exact zeros are drawn on the dashed floor line at `floor` (labelled
    "exactly 0").

    Parameters
    ----------
    weights : dict or sequence of (str, array_like)
        ``{label: w}``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None: the current pyplot Axes.
    floor : float
        Where exact zeros are drawn, > 0.
    title : str, optional
        The Axes' title.
    legend : bool
        Draw a legend.
    colors : dict, optional
        ``{label: colour}``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with ``len(weights) + 1`` lines.

    Raises
    ------
    ImportError
        If `ax` is None and matplotlib is not installed.
    """
    ax = _axes(ax)
    colors = colors or {}
    n = 0
    for label, w in _items(weights):
        a = np.sort(np.abs(np.asarray(w, dtype=np.float64)).ravel())[::-1]
        n = max(n, a.size)
        ax.plot(np.arange(1, a.size + 1), np.maximum(a, floor), label=label,
                color=colors.get(label), lw=1.6, drawstyle="steps-mid")
    ax.axhline(floor, color="black", ls="--", lw=0.8)
    ax.text(1, floor * 2.0, "exactly 0", fontsize="small", va="bottom")
    ax.set_yscale("log")
    ax.set_xlim(1, max(n, 2))
    ax.set_xlabel("weights, largest |w| first")
    ax.set_ylabel("|w|")
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize="small")
    return ax


def animate_trajectories(problem: Any, runs: Labelled, filename: Union[str, IO[bytes]], *,
                         frames: int = 60, fps: int = 12, dpi: int = 60,
                         figsize: Tuple[float, float] = (6.0, 4.5),
                         title: Optional[str] = None,
                         colors: Optional[Mapping[str, Any]] = None) -> Union[str, IO[bytes]]:
    """Write an animated GIF (pillow) of the runs' paths growing over contours.

    The contours are those of `plot_trajectories`.  Frame i of F shows the
    first ``round(m (i / (F - 1))^2) + 1`` points of each path, m the longest
    path's number of steps (the early steps, where most happens, get more
    frames); the last frame holds for a second.  The contours are drawn once
    and the lines blitted over them, so a frame costs little.  A file name is
    written atomically (a failure leaves no half a GIF).

    Parameters
    ----------
    problem : Problem
        As for `plot_trajectories`.
    runs : dict or sequence of (str, array_like)
        As for `plot_trajectories`.
    filename : str or binary file object
        Where to write the GIF.
    frames : int
        The number of frames.
    fps : int
        Frames per second.
    dpi : int
        Resolution.
    figsize : tuple of float
        The figure's size in inches.
    title : str, optional
        The title.
    colors : dict, optional
        ``{label: colour}``.

    Returns
    -------
    str or file object
        `filename`.

    Raises
    ------
    ImportError
        If matplotlib or pillow is not installed.
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image
    fig = Figure(figsize=figsize, dpi=dpi)
    # Any: matplotlib's Agg canvas methods carry no annotations
    canvas: Any = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    runs = _items(runs)
    plot_trajectories(problem, runs, ax, title=title, colors=colors,
                      markers_below=0)
    lines = ax.lines[:len(runs)]
    paths = [np.asarray(p) for _, p in runs]
    m = max((len(p) for p in paths), default=1) - 1
    for line in lines:
        line.set_animated(True)          # left out of the background
    fig.tight_layout()
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for i in range(frames):
        k = round(m * (i / max(frames - 1, 1)) ** 2) + 1
        canvas.restore_region(background)
        for line, p in zip(lines, paths):
            line.set_data(p[:k, 0], p[:k, 1])
            ax.draw_artist(line)
        rgba = np.asarray(canvas.buffer_rgba())
        images.append(Image.fromarray(rgba[..., :3].copy()))
    palette = images[-1].quantize(256)   # the last frame has every colour
    images = [im.quantize(palette=palette) for im in images]
    step_ms = round(1000 / fps)
    gif: Dict[str, Any] = dict(format="GIF", save_all=True, append_images=images[1:],
               duration=[step_ms] * (frames - 1) + [1000], loop=0)
    if hasattr(filename, "write"):
        images[0].save(filename, **gif)
    else:
        with atomic_output(filename) as f:   # a failure leaves no half a GIF
            images[0].save(f, **gif)
    return filename
