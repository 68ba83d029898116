"""``fastopt demo``: its sections and tables (fastopt/cli.py only parses the
arguments and calls run_demo).

``demo`` shows the whole library in six sections (SECTIONS below; each can
be chosen with --section):

1. rules: every dense update rule on the classic 2-D problems;
2. proximal: "Why proximal", SGD's L1 subgradient against the proximal
   rules;
3. fullbatch: fastopt.minimize against scipy.optimize.minimize on the
   bundled breast-cancer data;
4. online: FTRL and RDA on a click-like stream of --rows rows;
5. norm: a 10-layer tanh MLP trained by full-batch SGD over an lr sweep,
   plain and with batch / layer normalization (fastopt.norm; its own fixed
   steps, --steps does not apply);
6. plots: the picture gallery, PNGs in --out (default ./fastopt-demo) and
   with --gif an animated GIF (fastopt/viz.py).  Without matplotlib the
   section says how to install it and writes nothing.

Section 1 runs every dense rule on the 2-D problems of fastopt.problems --
an ill-conditioned quadratic, Rosenbrock's banana, Beale's function and the
saddle x^2 - y^2 -- with hand-tuned hyperparameters (the ``_TUNED``
table below), and prints one table per problem: rule, hyperparameters, steps
to tolerance, final f, and final distance |x - x*| to the minimiser (to the
saddle point on the saddle).  --problem KEY limits it to those problems
(and, without --section, the demo to this section; "sparse" is section 2).

Steps to tolerance: the first step k (the start is step 0) at which
f(x_k) - f* <= TOL, "-" if never within the run.  A star ("650*") marks a
rule that got there but ended the run outside the tolerance again (e.g.
constant-lr RMSProp, which ends in a small limit cycle).  The saddle has no
minimum: there the column is "escaped", the first step with f < -1
(``Saddle.escape_value``), and TOL is not used.  A run whose f stops being
finite ends there: "diverged", or "-inf" on the saddle, where |y| overflowed
after escaping.

Section 2 (problem key "sparse") is "Why proximal": an L1-regularised
least-squares problem in d = 100 dimensions with k = 10 true non-zeros
(fastopt.problems.SparseRegression), solved from w = 0 with the same seeded
mini-batch gradients (its own fixed SPARSE_STEPS steps; --steps and --tol do
not apply) by plain SGD with the subgradient l1 sign(w) added to the gradient
and by the proximal / dual-averaging rules (the ``WHY_PROXIMAL`` table below).
Its table counts exact zeros (w == 0), weights that hover near zero without
reaching it (0 < |w| < 1e-3), the true non-zeros kept, and the final
objective F(w) = f(w) + l1 |w|_1.  SGD ends with (almost) no exact zeros but
many tiny weights; the proximal rules zero the off-support weights exactly.

Every function here is deterministic (seeded data, n_threads=1 learners)
but for the times.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Callable, ContextManager, Dict, List, Mapping,
                    Optional, Sequence, Tuple, TypeVar, Union, cast)

import numpy as np
import numpy.typing as npt
import scipy.optimize

import fastopt
from fastopt import problems as _problems
from fastopt import viz
from fastopt._files import atomic_output
from fastopt._validation import FloatArray
from fastopt._version import __version__
from fastopt.datasets import load_breast_cancer, make_clicklike
from fastopt.minimize import minimize as _fo_minimize
from fastopt.online import FTRLClassifier, RDAClassifier
from fastopt.optim import Optimizer
from fastopt.problems import Problem, SparseRegression
from fastopt.prox import soft_threshold

if TYPE_CHECKING:   # imported where used: matplotlib is optional (the pictures),
    # fastopt.norm is loaded on first use (the norm section)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from fastopt.norm import NormSaved

__all__ = ["single_blas_thread", "BreastCancer", "FULLBATCH", "FullBatchRow", "fullbatch_rows",
           "format_fullbatch", "ONLINE_LEARNERS", "OnlineRow", "online_rows",
           "format_online", "GALLERY_RULES", "GALLERY_STEPS", "gallery_paths",
           "write_gallery", "NORM_VARIANTS", "NORM_LRS", "norm_run", "norm_sweep",
           "format_norm", "DEMO_RULES", "demo_configs", "run_rule", "RunResult",
           "format_table", "SPARSE_STEPS", "WHY_PROXIMAL", "why_proximal_configs",
           "run_sparse_rule", "sparsity_counts", "format_why_proximal", "SECTIONS",
           "run_demo"]


_F64 = npt.NDArray[np.float64]
#: An optimizer class, called as ``cls(params, n_threads=1, **hyperparameters)``.
_OptimizerClass = Callable[..., Optimizer]
#: Keyword hyperparameters (floats; bools for the switches).
_Hyper = Dict[str, float]
#: demo_configs' rows: (rule, optimizer class, keyword arguments, label).
_RuleConfig = Tuple[str, _OptimizerClass, _Hyper, str]
#: why_proximal_configs' rows: (rule, optimizer class, keyword arguments,
#: subgradient?, label).
_SparseConfig = Tuple[str, _OptimizerClass, _Hyper, bool, str]
_T = TypeVar("_T")

# The dense rules, in table order.
DEMO_RULES = ("SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "RMSProp",
              "RMSProp centered", "Adam", "AMSGrad", "AdamW", "Adamax", "Nadam",
              "DeltaBarDelta")

# rule -> (optimizer class, fixed keyword arguments that make the rule)
_RULE_CLASSES: Dict[str, Tuple[_OptimizerClass, _Hyper]] = {
    "SGD": (fastopt.SGD, {}),
    "Momentum": (fastopt.SGD, {"momentum": 0.9}),
    "Nesterov": (fastopt.SGD, {"momentum": 0.9, "nesterov": True}),
    "Adagrad": (fastopt.Adagrad, {}),
    "Adadelta": (fastopt.Adadelta, {}),
    "RMSProp": (fastopt.RMSProp, {}),
    "RMSProp centered": (fastopt.RMSProp, {"centered": True}),
    "Adam": (fastopt.Adam, {}),
    "AMSGrad": (fastopt.Adam, {"amsgrad": True}),
    "AdamW": (fastopt.AdamW, {}),
    "Adamax": (fastopt.Adamax, {}),
    "Nadam": (fastopt.Nadam, {}),
    "DeltaBarDelta": (fastopt.DeltaBarDelta, {}),
}

# Hand-tuned hyperparameters: problem key -> rule -> keyword arguments (on
# top of _RULE_CLASSES' fixed ones; library defaults for everything else).
# Chosen so that each rule does reasonably well within the default 5000
# steps, not as the best possible setting for each.
_TUNED: Dict[str, Dict[str, _Hyper]] = {
    "quadratic": {
        "SGD": {"lr": 0.035},
        "Momentum": {"lr": 0.02},
        "Nesterov": {"lr": 0.02},
        "Adagrad": {"lr": 0.5},
        "Adadelta": {"lr": 1.0},
        "RMSProp": {"lr": 0.01},
        "RMSProp centered": {"lr": 0.01},
        "Adam": {"lr": 0.1},
        "AMSGrad": {"lr": 0.1},
        "AdamW": {"lr": 0.1, "weight_decay": 0.01},
        "Adamax": {"lr": 0.1},
        "Nadam": {"lr": 0.1},
        "DeltaBarDelta": {"lr": 0.01, "kappa": 1e-3, "phi": 0.5, "theta": 0.7},
    },
    "rosenbrock": {
        "SGD": {"lr": 0.0015},
        "Momentum": {"lr": 0.001},
        "Nesterov": {"lr": 0.001},
        "Adagrad": {"lr": 1.0},
        "Adadelta": {"lr": 1.0},
        "RMSProp": {"lr": 0.001},
        "RMSProp centered": {"lr": 0.0003},
        "Adam": {"lr": 0.03},
        "AMSGrad": {"lr": 0.05},
        "AdamW": {"lr": 0.03, "weight_decay": 1e-4},
        "Adamax": {"lr": 0.03},
        "Nadam": {"lr": 0.01, "momentum_decay": 0.02},
        "DeltaBarDelta": {"lr": 0.001, "kappa": 1e-4, "phi": 0.5, "theta": 0.7},
    },
    "beale": {
        "SGD": {"lr": 0.03},
        "Momentum": {"lr": 0.003},
        "Nesterov": {"lr": 0.003},
        "Adagrad": {"lr": 1.0},
        "Adadelta": {"lr": 1.0},
        "RMSProp": {"lr": 0.001},
        "RMSProp centered": {"lr": 0.0003},
        "Adam": {"lr": 0.1},
        "AMSGrad": {"lr": 0.1},
        "AdamW": {"lr": 0.1, "weight_decay": 1e-4},
        "Adamax": {"lr": 0.3},
        "Nadam": {"lr": 0.03},
        "DeltaBarDelta": {"lr": 0.01, "kappa": 1e-3, "phi": 0.5, "theta": 0.7},
    },
    # The same lr everywhere (but Adadelta, which has none to speak of), so
    # that the escape times compare the rules, not the step sizes.
    "saddle": {
        "SGD": {"lr": 0.01},
        "Momentum": {"lr": 0.01},
        "Nesterov": {"lr": 0.01},
        "Adagrad": {"lr": 0.01},
        "Adadelta": {"lr": 1.0},
        "RMSProp": {"lr": 0.01},
        "RMSProp centered": {"lr": 0.01},
        "Adam": {"lr": 0.01},
        "AMSGrad": {"lr": 0.01},
        "AdamW": {"lr": 0.01, "weight_decay": 0.01},
        "Adamax": {"lr": 0.01},
        "Nadam": {"lr": 0.01},
        "DeltaBarDelta": {"lr": 0.01, "kappa": 1e-3, "phi": 0.5, "theta": 0.7},
    },
}

# How hyperparameters are shown in the tables.
_SHORT = {"weight_decay": "wd"}


def _g(v: float) -> str:
    """A short number for tables: 0.001, 1e-4, 0.9, 50."""
    if v != 0 and abs(v) < 1e-3:
        mant, exp = f"{v:e}".split("e")
        return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
    return f"{v:g}"


def demo_configs(problem_key: str) -> List[_RuleConfig]:
    """[(rule, optimizer class, keyword arguments, label)] for a problem."""
    tuned = _TUNED[problem_key]
    out = []
    for rule in DEMO_RULES:
        cls, fixed = _RULE_CLASSES[rule]
        kwargs = dict(fixed)
        kwargs.update(tuned[rule])
        shown = [k for k in tuned[rule]]
        shown += [k for k in fixed if k not in ("centered", "amsgrad", "nesterov")]
        label = " ".join(f"{_SHORT.get(k, k)}={_g(kwargs[k])}" for k in shown)
        out.append((rule, cls, kwargs, label))
    return out


@dataclass(eq=False)
class RunResult:
    """Outcome of one rule on one problem."""

    __slots__ = ("steps_to_tol", "steps_run", "final_f", "final_x",
                 "distance", "diverged")
    steps_to_tol: Optional[int]
    steps_run: int
    final_f: float
    final_x: _F64
    distance: float
    diverged: bool


def run_rule(problem: Problem, cls: _OptimizerClass, kwargs: _Hyper, steps: int,
             tol: float) -> RunResult:
    """Run the optimizer `cls(**kwargs)` on `problem` for `steps` steps.

    Returns a RunResult; steps_to_tol is the first step k (0 = the start)
    with problem.reached(f(x_k), tol), or None.
    """
    x = problem.start
    # 2-element arrays: threads would only add overhead.
    opt = cls(x, n_threads=1, **kwargs)
    g = np.empty_like(x)
    value, grad, reached = problem.value, problem.grad, problem.reached
    f = float(value(x))
    hit = 0 if reached(f, tol) else None
    k = 0
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            grad(x, g)
            opt.step(g)
            f = float(value(x))
            if hit is None and reached(f, tol):
                hit = k
            if not math.isfinite(f):
                diverged = True
                break
    return RunResult(hit, k, f, x.copy(), problem.distance(x), diverged)


# -- Why proximal -------------------------------------------------------------
# Steps of the "Why proximal" runs, each with one mini-batch gradient of
# SparseRegression (batch 50); FTRL's l1 is mapped from it.
SPARSE_STEPS = 1000

# rule -> (optimizer class, hyperparameters but l1, how l1 is passed), in
# table order.  How l1 is passed, so that every rule regularises like the
# problem's F = f + l1 |w|_1:
#   "subgradient": SGD gets l1 * sign(w) added to its gradient (no l1 hyper);
#   "l1":          the rule's own l1 is the problem's: ProximalSGD and
#                  ProximalAdagrad threshold by lr * l1 per step, AdagradDA
#                  by l1 * t on the summed gradient, RDA zeroes w where
#                  |mean gradient| <= l1;
#   "l1*steps":    TF's FTRL thresholds the accumulated linear term z (about
#                  the sum of the gradients) by a fixed l1, so l1 = l1 * T
#                  makes its final threshold on the mean gradient the lasso's
#                  (it zeroes the same coordinates, but, unlike the others,
#                  does not shrink the surviving weights: a higher F).
# Learning rates hand-tuned for SPARSE_STEPS steps.
WHY_PROXIMAL: Tuple[Tuple[str, _OptimizerClass, _Hyper, str], ...] = (
    ("SGD (subgradient)", fastopt.SGD, {"lr": 0.01}, "subgradient"),
    ("ProximalSGD", fastopt.ProximalSGD, {"lr": 0.01}, "l1"),
    ("ProximalAdagrad", fastopt.ProximalAdagrad, {"lr": 0.1}, "l1"),
    ("FTRL", fastopt.FTRL, {"lr": 1.0}, "l1*steps"),
    ("RDA", fastopt.RDA, {"gamma": 1.0}, "l1"),
    ("AdagradDA", fastopt.AdagradDA, {"lr": 0.1}, "l1"),
)


def why_proximal_configs(problem: SparseRegression,
                         steps: int = SPARSE_STEPS) -> List[_SparseConfig]:
    """[(rule, optimizer class, keyword arguments, subgradient?, label)]
    for the SparseRegression `problem` run for `steps` steps."""
    out = []
    lam = problem.l1
    for rule, cls, hyper, how in WHY_PROXIMAL:
        kwargs = dict(hyper)
        label = " ".join(f"{k}={_g(v)}" for k, v in hyper.items())
        if how == "subgradient":
            label += f", g += {_g(lam)} sign(w)"
        elif how == "l1*steps":
            kwargs["l1"] = lam * steps
            label += f" l1={_g(lam * steps)} (={_g(lam)} x {steps} steps)"
        else:
            kwargs["l1"] = lam
            label += f" l1={_g(lam)}"
        out.append((rule, cls, kwargs, how == "subgradient", label))
    return out


def run_sparse_rule(problem: SparseRegression, cls: _OptimizerClass, kwargs: _Hyper,
                    steps: int = SPARSE_STEPS, subgradient: bool = False) -> _F64:
    """Run `cls(w, **kwargs)` from w = 0 on the SparseRegression `problem`
    with its mini-batch gradients ``problem.batches(steps)`` (the same for
    every rule); with `subgradient`, l1 * sign(w) is added to each gradient
    (plain SGD on F).  Returns the final w."""
    w = problem.start
    opt = cls(w, n_threads=1, **kwargs)    # d = 100: threads only add overhead
    g = np.empty_like(w)
    lam = problem.l1
    for idx in problem.batches(steps):
        problem.grad(w, idx, out=g)
        if subgradient:
            g += lam * np.sign(w)
        opt.step(g)
    return w


def sparsity_counts(problem: SparseRegression, w: _F64,
                    small: float = 1e-3) -> Tuple[int, int, int]:
    """(exact zeros, 0 < |w| < small, true non-zeros kept non-zero)."""
    a = np.abs(w)
    return (int(np.count_nonzero(w == 0)),
            int(np.count_nonzero((a < small) & (w != 0))),
            int(np.count_nonzero(w[problem.support])))


def format_why_proximal(problem: SparseRegression, configs: Sequence[_SparseConfig],
                        results: Sequence[_F64], steps: int = SPARSE_STEPS) -> str:
    """The "Why proximal" table as a string; `results` are final w's."""
    lines = [f"Why proximal: {problem.name}, d={problem.d}, k={problem.k} "
             f"true non-zeros",
             f"  F(w) = |X w - y|^2 / (2 n) + {_g(problem.l1)} |w|_1, "
             f"n={problem.n}, noise {_g(problem.noise)}; min F = "
             f"{problem.min_value:.4f}",
             f"  {steps} steps from w = 0, the same seeded mini-batches of "
             f"{problem.batch_size} for every rule"]
    wr = max(len("rule"), max(len(c[0]) for c in configs))
    wh = max(len("hyperparameters"), max(len(c[4]) for c in configs))
    head = (f"  {'rule':<{wr}}  {'hyperparameters':<{wh}}  {'w == 0':>6}"
            f"  {'0<|w|<1e-3':>10}  {'support':>7}  {'F(w)':>7}")
    lines += [head, "  " + "-" * (len(head) - 2)]
    for (rule, _cls, _kw, _sub, label), w in zip(configs, results):
        zeros, tiny, kept = sparsity_counts(problem, w)
        f = problem.objective(w)
        fv = f"{f:.4f}" if math.isfinite(f) else str(f)
        lines.append(f"  {rule:<{wr}}  {label:<{wh}}  {zeros:>6}  {tiny:>10}"
                     f"  {f'{kept}/{problem.k}':>7}  {fv:>7}")
    lines.append(f"  w == 0: exact zeros of the {problem.d} weights; support: "
                 f"true non-zeros kept non-zero.")
    lines.append("  SGD's subgradient leaves the off-support weights flipping "
                 "sign around 0, never at 0.")
    lines.append("  FTRL's l1 acts on the summed gradients: the same zeros, "
                 "unshrunk survivors, a higher F.")
    return "\n".join(lines)


def _why_proximal() -> str:
    problem = _problems.SparseRegression()
    configs = why_proximal_configs(problem)
    results = [run_sparse_rule(problem, cls, kw, SPARSE_STEPS, sub)
               for _rule, cls, kw, sub, _label in configs]
    return format_why_proximal(problem, configs, results)


def _dash() -> str:
    """An em dash if stdout can encode it, else '-'."""
    enc = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2014".encode(enc)
        return "\u2014"
    except (UnicodeEncodeError, LookupError):
        return "-"


def _fmt_num(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def _pt(x: _F64) -> str:
    return f"({_g(x[0])}, {_g(x[1])})"


def format_table(problem: Problem, configs: Sequence[_RuleConfig],
                 results: Sequence[RunResult], tol: float, dash: str = "-",
                 label_width: int = 0) -> str:
    """One problem's table as a string (see the module docstring)."""
    unbounded = problem.min_value is None
    x0 = problem.start
    if problem.min_value is None:     # unbounded: the saddle
        # A cast, not an isinstance test, to change nothing at run time: the
        # saddle is fastopt.problems' one problem without a minimum.
        escape = cast(_problems.Saddle, problem).escape_value
        goal = (f"saddle point x* = {_pt(problem.stationary_point)}, no "
                f"minimum; escaped: f < {_g(escape)}")
    else:       # stationary_point: the minimiser, which exists here
        goal = (f"min {_g(problem.min_value)} at x* = {_pt(problem.stationary_point)}"
                f"; tol {_g(tol)} on f - f*")
    lines = [f"{problem.name}: {problem.formula}",
             f"  start {_pt(x0)}, {goal}"]
    steps_head = "escaped" if unbounded else "steps"
    wr = max(len("rule"), max(len(c[0]) for c in configs))
    wh = max(len("hyperparameters"), label_width,
             max(len(c[3]) for c in configs))
    head = (f"  {'rule':<{wr}}  {'hyperparameters':<{wh}}  {steps_head:>7}"
            f"  {'final f':>9}  {'|x - x*|':>9}")
    lines += [head, "  " + "-" * (len(head) - 2)]
    notes = set()
    for (rule, _cls, _kw, label), r in zip(configs, results):
        st = dash if r.steps_to_tol is None else str(r.steps_to_tol)
        if r.diverged:
            if unbounded and r.final_f == -math.inf:
                fv = "-inf"            # ran off to -infinity: escaped for good
                notes.add("inf")
            else:
                fv = "diverged"
            dv = dash
        else:
            fv = _fmt_num(r.final_f)
            dv = _fmt_num(r.distance)
            if r.steps_to_tol is not None and not problem.reached(r.final_f, tol):
                st += "*"
                notes.add("*")
        lines.append(f"  {rule:<{wr}}  {label:<{wh}}  {st:>7}  {fv:>9}"
                     f"  {dv:>9}")
    if "*" in notes:
        lines.append("  * reached the tolerance at that step, but ended outside it")
    if "inf" in notes:
        lines.append(f"  -inf: |y| overflowed (the run stopped there)")
    return "\n".join(lines)


# The demo's sections, in order: (key, title).
SECTIONS = (
    ("rules", "Every first-order rule on classic 2-D problems"),
    ("proximal", "L1 regularisation: proximal rules against SGD's subgradient"),
    ("fullbatch", "Full-batch methods: fastopt.minimize against scipy.optimize.minimize"),
    ("online", "Online learners (fastopt.online) on a click-like stream"),
    ("norm", "Normalization (fastopt.norm): a deep tanh MLP with and without batch / layer norm"),
    ("plots", "Pictures (fastopt.viz)"),
)


def _header(number: int, title: str) -> str:
    line = f"{number}. {title}"
    return f"\n{line}\n{'=' * len(line)}"


def _demo_sections(args: argparse.Namespace) -> List[str]:
    """The section keys to run: --section's, else those --problem names
    (a 2-D problem: the rules tables; sparse: why proximal), else all."""
    if args.section:
        return [k for k, _ in SECTIONS if k in args.section]
    if args.problem:
        keys = set(args.problem)
        return (["rules"] if keys - {"sparse"} else []) + (
            ["proximal"] if "sparse" in keys else [])
    return [k for k, _ in SECTIONS]


def _rules_section(args: argparse.Namespace, dash: str) -> int:
    keys = [k for k in (args.problem or [c.key for c in _problems.PROBLEMS])
            if k != "sparse"]
    all_configs = {key: demo_configs(key) for key in keys}
    width = max([len(c[3]) for cs in all_configs.values() for c in cs],
                default=0)
    print(f"Up to {args.steps} steps per run from the problem's start, "
          f"hand-tuned hyperparameters;\n{dash} = not reached.")
    for key in keys:
        problem = _problems.get_problem(key)
        configs = all_configs[key]
        results = [run_rule(problem, cls, kw, args.steps, args.tol)
                   for _rule, cls, kw, _label in configs]
        print()
        print(format_table(problem, configs, results, args.tol, dash, width))
    return len(DEMO_RULES) * len(keys)


def _fullbatch_section(args: argparse.Namespace, dash: str) -> int:
    data = BreastCancer()
    blas, pinned = single_blas_thread()
    with blas:
        rows = fullbatch_rows(data)
    print(format_fullbatch(rows, data))
    if pinned:
        print("  (BLAS on one thread for both, by threadpoolctl.)")
    return 2 * len(rows)


def _online_section(args: argparse.Namespace, dash: str) -> int:
    rows, info = online_rows(args.rows)
    print(format_online(rows, info))
    return len(rows)


def _norm_section(args: argparse.Namespace, dash: str) -> int:
    print(format_norm(norm_sweep()))
    return len(NORM_VARIANTS) * len(NORM_LRS)


def _plots_section(args: argparse.Namespace, dash: str) -> int:
    if args.no_plots:
        print("Skipped (--no-plots).")
        return 0
    try:
        viz.require_matplotlib()
    except ImportError:
        print(f"No pictures: matplotlib is not installed.  To get them: "
              f"{viz.INSTALL_HINT}")
        return 0
    written = write_gallery(args.out, gif=args.gif)
    print(f"Wrote {len(written)} files to {args.out}{os.sep}:")
    width = max(len(os.path.basename(p)) for p, _ in written)
    for path, caption in written:
        print(f"  {os.path.basename(path):<{width}}  {caption}")
    if not args.gif:
        print("  (--gif adds an animated GIF of the rules on Rosenbrock.)")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """`fastopt demo` with parsed arguments (fastopt/cli.py); the exit status."""
    dash = _dash()
    sections = _demo_sections(args)
    omp = "on" if fastopt.openmp_enabled() else "off"
    print(f"fastopt {__version__} (OpenMP {omp}) demo: "
          + ", ".join(k for k in sections))
    run: Dict[str, Callable[[argparse.Namespace, str], int]] = {
        "rules": _rules_section,
        "proximal": lambda a, d: (print(_why_proximal()), len(WHY_PROXIMAL))[1],
        "fullbatch": _fullbatch_section, "online": _online_section,
        "norm": _norm_section, "plots": _plots_section}
    t0 = time.perf_counter()
    runs = 0
    for number, (key, title) in enumerate(SECTIONS, 1):
        if key in sections:
            print(_header(number, title))
            runs += run[key](args, dash)
    print()
    seconds = time.perf_counter() - t0
    print(f"{runs} runs in {seconds:.1f} s" if runs else f"Done in {seconds:.1f} s")
    return 0


def single_blas_thread() -> Tuple[ContextManager[object], bool]:
    """A context that runs numpy's BLAS on one thread (threadpoolctl, when it
    is installed; else a no-op) and whether it does: on a small or busy
    machine a threaded BLAS can make scipy's L-BFGS-B, which calls it on
    tiny matrices, ten to a hundred times slower, which says nothing about
    the method."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext(), False
    return threadpool_limits(limits=1, user_api="blas"), True


def _best_time(fn: Callable[[], _T], min_total: float = 0.05,
               max_reps: int = 5) -> Tuple[_T, float]:
    """(fn()'s value, the least wall time of up to max_reps calls; calls stop
    once min_total seconds have been spent)."""
    best, spent, reps = math.inf, 0.0, 0
    while reps < max_reps and (reps == 0 or spent < min_total):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best, spent, reps = min(best, dt), spent + dt, reps + 1
    return out, best


# -- full-batch methods ------------------------------------------------------------
class BreastCancer:
    """The breast-cancer data, standardised, and three objectives of the
    weights w = (b, coef), b the intercept (never penalised), y in {0, 1}
    and s = 2y - 1:

    * "l2":    mean log(1 + exp(-s (b + X coef))) + l2/2 |coef|^2, smooth;
    * "l1":    the mean logistic loss + l1 |coef|_1;
    * "lasso": |y - b - X coef|^2 / (2 n) + alpha |coef|_1 (scikit-learn's
               Lasso objective).

    ``objective(key, w)`` is the value; ``fit(key, method)`` runs
    fastopt.minimize and ``fit_scipy(key, method)`` scipy.optimize.minimize
    from w = 0, both returning an OptimizeResult whose x is w.  scipy gets
    the l1 objectives in the usual bound-constrained form, coef = u - v with
    u, v >= 0 and the penalty lam (sum u + sum v) (its result keeps (b, u,
    v) as ``z``).  ``logistic`` / ``logloss`` / ``lasso_smooth`` return (f,
    gradient) of the smooth parts; ``hess`` is the Hessian of "l2".
    """

    def __init__(self, l2: float = 1e-2, l1: float = 1e-2, alpha: float = 1e-2) -> None:
        X, y = load_breast_cancer()
        self.X: _F64 = (X - X.mean(axis=0)) / X.std(axis=0)
        self.y: _F64 = y.astype(np.float64)
        self.n: int
        self.d: int
        self.n, self.d = self.X.shape
        self.A: _F64 = np.hstack([np.ones((self.n, 1)), self.X])    # (n, d + 1)
        self.s: _F64 = 2.0 * self.y - 1.0
        self.l2, self.l1, self.alpha = float(l2), float(l1), float(alpha)
        self.mask: _F64 = np.ones(self.d + 1)
        self.mask[0] = 0.0                                    # the intercept

    @property
    def start(self) -> _F64:
        return np.zeros(self.d + 1)

    def logloss(self, w: _F64) -> Tuple[float, _F64]:
        m = self.s * (self.A @ w)
        f = float(np.mean(np.logaddexp(0.0, -m)))
        return f, self.A.T @ (-self.s * _sigmoid(-m)) / self.n

    def logistic(self, w: _F64) -> Tuple[float, _F64]:
        f, g = self.logloss(w)
        c = self.mask * w
        return f + 0.5 * self.l2 * float(c @ c), g + self.l2 * c

    def hess(self, w: _F64) -> _F64:
        p = _sigmoid(self.A @ w)
        H = (self.A.T * (p * (1.0 - p))) @ self.A / self.n
        H[np.diag_indices_from(H)] += self.l2 * self.mask
        return H

    def lasso_smooth(self, w: _F64) -> Tuple[float, _F64]:
        r = self.A @ w - self.y
        return float(r @ r) / (2 * self.n), self.A.T @ r / self.n

    def l1_penalty(self, w: _F64) -> float:
        return self.l1 * float(np.abs(w[1:]).sum())

    def prox_l1(self, v: _F64, step: float) -> _F64:
        """Soft-thresholding of the coefficients by step l1; b is kept."""
        out = soft_threshold(v, step * self.l1)
        out[0] = v[0]
        return out

    def _smooth_and_lam(self, key: str
                        ) -> Tuple[Callable[[_F64], Tuple[float, _F64]], float]:
        return ((self.logloss, self.l1) if key == "l1"
                else (self.lasso_smooth, self.alpha))

    def objective(self, key: str, w: _F64) -> float:
        if key == "l2":
            return self.logistic(w)[0]
        smooth, lam = self._smooth_and_lam(key)
        return smooth(w)[0] + lam * float(np.abs(w[1:]).sum())

    def fit(self, key: str, method: str) -> scipy.optimize.OptimizeResult:
        if key == "l2":
            return _fo_minimize(self.logistic, self.start, method=method, jac=True,
                                hess=self.hess if method == "newton" else None)
        if key == "l1":
            return _fo_minimize(self.logloss, self.start, method=method, jac=True,
                                options=dict(prox=self.prox_l1, phi=self.l1_penalty,
                                             restart=True))
        if method != "coordinate_descent":
            raise ValueError(f"the lasso is solved by coordinate_descent, not {method!r}")
        res = _fo_minimize(None, np.zeros(self.d), method=method,
                           options=dict(X=self.X, y=self.y, alpha=self.alpha,
                                        fit_intercept=True))
        res.x = np.concatenate([[res.intercept], res.x])
        return res

    def fit_scipy(self, key: str, method: str) -> scipy.optimize.OptimizeResult:
        if key == "l2":
            return scipy.optimize.minimize(
                self.logistic, self.start, jac=True, method=method,
                hess=self.hess if method == "Newton-CG" else None)
        smooth, lam = self._smooth_and_lam(key)
        d = self.d

        def fun(z: _F64) -> Tuple[float, _F64]:
            f, g = smooth(_unsplit(z, d))
            return (f + lam * float(z[1:].sum()),
                    np.concatenate([g[:1], g[1:] + lam, lam - g[1:]]))
        res = scipy.optimize.minimize(fun, np.zeros(2 * d + 1), jac=True,
                                      method=method,
                                      bounds=[(None, None)] + [(0.0, None)] * (2 * d))
        res.z, res.x = res.x, _unsplit(res.x, d)
        return res


def _unsplit(z: _F64, d: int) -> _F64:
    """(b, u, v) -> (b, u - v)."""
    return np.concatenate([z[:1], z[1:d + 1] - z[d + 1:]])


def _sigmoid(t: _F64) -> _F64:
    return 0.5 * (1.0 + np.tanh(0.5 * t))


# (fastopt method, scipy method, objective key); see fullbatch_rows.
FULLBATCH = (
    ("newton", "Newton-CG", "l2"),
    ("bfgs", "BFGS", "l2"),
    ("lbfgs", "L-BFGS-B", "l2"),
    ("cg", "CG", "l2"),
    ("steepest", "BFGS", "l2"),     # scipy has no steepest descent
    ("proximal_gradient", "L-BFGS-B", "l1"),
    ("coordinate_descent", "L-BFGS-B", "lasso"),
)


@dataclass(eq=False)
class FullBatchRow:
    """One method against scipy: the OptimizeResults (res, sres), their
    objective values (f, f_scipy) and wall times in seconds."""

    __slots__ = ("method", "scipy_method", "objective", "res", "sres",
                 "f", "f_scipy", "time", "time_scipy")
    method: str
    scipy_method: str
    objective: str
    res: scipy.optimize.OptimizeResult
    sres: scipy.optimize.OptimizeResult
    f: float
    f_scipy: float
    time: float
    time_scipy: float


def fullbatch_rows(data: Optional[BreastCancer] = None,
                   timing: bool = True) -> List[FullBatchRow]:
    """Every FULLBATCH method run by fastopt and by scipy (BreastCancer.fit,
    fit_scipy); a list of FullBatchRow.  Without timing each runs once and
    the times are NaN."""
    data = data or BreastCancer()
    rows = []
    for method, smethod, key in FULLBATCH:
        fo: Callable[[], scipy.optimize.OptimizeResult] = \
            lambda: data.fit(key, method)                 # noqa: E731
        sp: Callable[[], scipy.optimize.OptimizeResult] = \
            lambda: data.fit_scipy(key, smethod)          # noqa: E731
        if timing:
            (res, t), (sres, st) = _best_time(fo), _best_time(sp)
        else:
            res, sres, t, st = fo(), sp(), math.nan, math.nan
        rows.append(FullBatchRow(method=method, scipy_method=smethod,
                                 objective=key, res=res, sres=sres,
                                 f=data.objective(key, res.x),
                                 f_scipy=data.objective(key, sres.x),
                                 time=t, time_scipy=st))
    return rows


def _ms(t: float) -> str:
    return "-" if not math.isfinite(t) else (f"{t * 1e3:.1f}" if t < 0.1
                                             else f"{t * 1e3:.0f}")


def format_fullbatch(rows: Sequence[FullBatchRow], data: BreastCancer) -> str:
    """The full-batch table as a string."""
    titles = {
        "l2": [f"L2-regularised logistic regression: mean log-loss + "
               f"{_g(data.l2 / 2)} |coef|^2"],
        "l1": [f"L1-regularised logistic regression: mean log-loss + "
               f"{_g(data.l1)} |coef|_1",
               "  (FISTA with adaptive restart; scipy: L-BFGS-B on coef = u - v, "
               "u, v >= 0)"],
        "lasso": [f"Lasso: |y - b - X coef|^2 / (2 n) + {_g(data.alpha)} "
                  f"|coef|_1, y in {{0, 1}}  (scipy: as above)"],
    }
    wm = max(len(r.method) for r in rows)
    ws = max(len("scipy"), max(len(r.scipy_method) for r in rows))
    head = (f"  {'method':<{wm}}  {'scipy':<{ws}}  {'iters':>9}  "
            f"{'final f':>12}  {'|f - f_scipy|':>13}  {'ms':>6}  "
            f"{'scipy ms':>8}  {'zeros':>7}")
    lines = [f"Breast cancer data (fastopt.datasets; UCI, CC BY 4.0): {data.n} x "
             f"{data.d}, standardised,",
             "  plus an intercept b.  From w = 0, default tolerances, the same "
             "(f, gradient) function", "  for both libraries.", head,
             "  " + "-" * (len(head) - 2)]
    last: Optional[str] = None
    for r in rows:
        if r.objective != last:
            lines += ["  " + t for t in titles[r.objective]]
            last = r.objective
        method = r.scipy_method + ("*" if r.method == "steepest" else "")
        its = f"{r.res.nit} / {r.sres.nit}"
        zeros = "" if r.objective == "l2" else (
            f"{np.count_nonzero(r.res.x[1:] == 0)} / "
            f"{np.count_nonzero(r.sres.x[1:] == 0)}")
        lines.append(f"  {r.method:<{wm}}  {method:<{ws}}  {its:>9}  "
                     f"{r.f:>12.10f}  {abs(r.f - r.f_scipy):>13.1e}  "
                     f"{_ms(r.time):>6}  {_ms(r.time_scipy):>8}  {zeros:>7}".rstrip())
    lines += [f"  iterations and zeros (exact zeros of the {data.d} "
              f"coefficients): fastopt / scipy.",
              "  ms: the best of up to 5 runs.",
              "  * scipy has no steepest descent: compared with its BFGS."]
    return "\n".join(lines)


# -- online learners ---------------------------------------------------------------
#: An estimator class, called as ``cls(**hyperparameters, n_threads=1)``.
_OnlineClass = Callable[..., Union[FTRLClassifier, RDAClassifier]]

# (label, estimator class, hyperparameters)
ONLINE_LEARNERS: Tuple[Tuple[str, _OnlineClass, _Hyper], ...] = (
    ("FTRL", FTRLClassifier, dict(alpha=0.1, beta=1.0, l1=0.0, l2=1.0)),
    ("FTRL", FTRLClassifier, dict(alpha=0.1, beta=1.0, l1=1.0, l2=1.0)),
    ("RDA", RDAClassifier, dict(l1=1e-5, gamma=0.3)),
)


@dataclass(eq=False)
class OnlineRow:
    """One learner: the fitted model, its training time and rows/s, its
    progressive and holdout logloss and its number of non-zero weights."""

    __slots__ = ("label", "hyper", "model", "seconds", "rows_per_s",
                 "progressive", "holdout", "nonzero")
    label: str
    hyper: _Hyper
    model: Union[FTRLClassifier, RDAClassifier]
    seconds: float
    rows_per_s: float
    progressive: float
    holdout: float
    nonzero: int


def _logloss(y: _F64, p: _F64) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log1p(-p))))


def online_rows(n_rows: int = 200_000, holdout: float = 0.1,
                seed: int = 0) -> Tuple[List[OnlineRow], Dict[str, Any]]:
    """(rows, info): each ONLINE_LEARNERS learner fitted in one pass over
    the first (1 - holdout) of make_clicklike(n_rows, seed), and scored on
    the rest; info is make_clicklike's dict plus n_train, n_test, the
    columns present in the training rows and the constant predictor's
    holdout logloss."""
    X, y, info = make_clicklike(int(n_rows), seed=seed)
    n_test = max(1, int(round(holdout * X.shape[0])))
    n_train = X.shape[0] - n_test
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    out = []
    for label, cls, hyper in ONLINE_LEARNERS:
        model = cls(**hyper, n_threads=1)
        t0 = time.perf_counter()
        model.fit(Xtr, ytr)
        dt = time.perf_counter() - t0
        out.append(OnlineRow(
            label=label, hyper=hyper, model=model, seconds=dt,
            rows_per_s=n_train / dt, progressive=model.progressive_loss_,
            holdout=_logloss(yte, model.predict_proba(Xte)[:, 1]),
            nonzero=int(np.count_nonzero(model.coef_))))
    info = dict(info, n_train=n_train, n_test=n_test,
                columns_seen=int(np.unique(Xtr.indices).size),
                constant_logloss=_logloss(yte, np.full(n_test, ytr.mean())))
    return out, info


def format_online(rows: Sequence[OnlineRow], info: Mapping[str, Any]) -> str:
    """The online-learner table as a string."""
    labels = [f"{r.label} " + " ".join(f"{k}={_g(v)}" for k, v in r.hyper.items())
              for r in rows]
    wl = max(len("learner"), max(len(s) for s in labels))
    head = (f"  {'learner':<{wl}}  {'progressive':>11}  {'holdout':>8}  "
            f"{'rows/s':>10}  {'non-zero w':>10}")
    lines = [f"Click-like stream (fastopt.datasets.make_clicklike, seed "
             f"{info['seed']}): {info['n_fields']} hashed one-hot fields,",
             f"  2^{int(math.log2(info['n_cols']))} columns, CTR {info['ctr']:.3f}; "
             f"one pass over {info['n_train']:,} rows (n_threads=1), "
             f"the next {info['n_test']:,} held out",
             f"  {info['columns_seen']:,} columns occur in training.  Logloss of "
             f"the true model {info['bayes_logloss']:.4f}",
             f"  (all rows), of the constant predictor "
             f"{info['constant_logloss']:.4f} (holdout).",
             head, "  " + "-" * (len(head) - 2)]
    for label, r in zip(labels, rows):
        lines.append(f"  {label:<{wl}}  {r.progressive:>11.4f}  {r.holdout:>8.4f}"
                     f"  {r.rows_per_s:>10,.0f}  {r.nonzero:>10,}")
    lines.append("  progressive: the mean logloss of each prediction made "
                 "before its update.")
    return "\n".join(lines)


# -- the gallery ---------------------------------------------------------------------
GALLERY_RULES = ("SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta",
                 "RMSProp", "Adam", "Adamax", "Nadam")
# steps drawn per problem
GALLERY_STEPS = {"quadratic": 200, "rosenbrock": 3000, "beale": 1000,
                 "saddle": 600}
# The tables' hyperparameters (demo_configs) but where these
# replace them: on the quadratic, SGD near its stability limit lr < 2/50
# zig-zags across the valley, (Nesterov) momentum with a smaller lr does not.
GALLERY_HYPER: Dict[str, Dict[str, _Hyper]] = {
    "quadratic": {"SGD": {"lr": 0.038}, "Momentum": {"lr": 0.01},
                  "Nesterov": {"lr": 0.01}}}
_COLORS = {rule: f"C{i}" for i, rule in enumerate(GALLERY_RULES)}
_FIRST_PANEL = ("SGD", "Momentum", "Nesterov")


def gallery_configs(key: str) -> List[Tuple[str, _OptimizerClass, _Hyper]]:
    """[(rule, optimizer class, keyword arguments)] drawn on problem `key`."""
    out = []
    for rule, cls, kw, _label in demo_configs(key):
        if rule in GALLERY_RULES:
            out.append((rule, cls, dict(kw, **GALLERY_HYPER.get(key, {}).get(rule, {}))))
    return out


def gallery_paths(key: str, steps: Optional[int] = None) -> Dict[str, _F64]:
    """{rule: path} of the GALLERY_RULES on problem `key` (gallery_configs),
    GALLERY_STEPS[key] steps."""
    problem = _problems.get_problem(key)
    steps = GALLERY_STEPS[key] if steps is None else steps
    return {rule: viz.record_path(cls, problem.grad, problem.start, steps, **kw)
            for rule, cls, kw in gallery_configs(key)}


def _figure(ncols: int, width: float = 5.2,
            height: float = 4.0) -> Tuple[Figure, Sequence[Axes]]:
    """A figure and its row of ncols Axes (a numpy object array; typed by
    what the callers do with it: index, unpack, zip)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width * ncols, height))
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def _fig_rules(key: str) -> Figure:
    problem = _problems.get_problem(key)
    paths = gallery_paths(key)
    labels = {rule: f"{rule} lr={_g(kw['lr'])}"
              for rule, _cls, kw in gallery_configs(key)}
    colors = {labels[r]: _COLORS[r] for r in labels}
    fig, (a, b, c) = _figure(3, width=4.4, height=3.8)
    for ax, names, what in ((a, _FIRST_PANEL, "SGD and momentum"),
                            (b, [r for r in GALLERY_RULES if r not in _FIRST_PANEL],
                             "adaptive rules")):
        viz.plot_trajectories(problem, {labels[r]: paths[r] for r in names}, ax,
                              colors=colors, title=what, levels=20)
        ax.legend(fontsize="x-small", loc="lower right", framealpha=0.85)
    with np.errstate(over="ignore", invalid="ignore"):
        values = {labels[r]: problem.value(paths[r].T) for r in GALLERY_RULES}
    if problem.min_value is None:
        viz.plot_convergence(values, c, log=False, ylabel="f", xlabel="step",
                             colors=colors, legend=False,
                             title="f: the plateau is the stall")
        c.set_ylim(-2.0, 1.1)
    else:
        viz.plot_convergence(values, c, f_star=problem.min_value, xlabel="step",
                             colors=colors, legend=False, title="f - f*")
    fig.suptitle(f"{problem.name}: {problem.formula}, {GALLERY_STEPS[key]} steps")
    return fig


def _fig_steepest_cg() -> Figure:
    problem = _problems.IllConditionedQuadratic(kappa=10.0)
    A = np.diag([1.0, problem.kappa])
    fun, jac, x0 = problem.value, problem.grad, problem.start
    runs = {"steepest descent, exact line search":
            viz.record_minimize(fun, x0, "steepest", jac=jac, options={"A": A}),
            "CG (PR+), line search c2 = 0.1":
            viz.record_minimize(fun, x0, "cg", jac=jac, options={"c2": 0.1})}
    fig, (ax,) = _figure(1, width=8.0, height=3.6)
    viz.plot_trajectories(problem, {f"{k}: {t.result.nit} iterations": t.x
                                    for k, t in runs.items()}, ax,
                          title=f"{problem.formula}: steepest descent's "
                                f"orthogonal zig-zag vs CG")
    ax.set_aspect("equal")
    return fig


def _fig_newton_bfgs() -> Figure:
    rb = _problems.Rosenbrock()
    bc = BreastCancer()
    fig, axes = _figure(2)
    # (title, fun, jac: a function or True (fun returns (f, g)), hess, x0)
    cases: Tuple[Tuple[str, Callable[[_F64], Any], Union[Callable[[_F64], Any], bool],
                       Callable[[_F64], Any], _F64], ...] = (
        ("Rosenbrock from (-1.2, 1)", rb.value, rb.grad, rb.hess, rb.start),
        (f"logistic regression, breast cancer ({bc.n} x {bc.d})",
         bc.logistic, True, bc.hess, bc.start))
    for ax, (name, fun, jac, hess, x0) in zip(axes, cases):
        f_star = _fo_minimize(fun, x0, method="newton", jac=jac, hess=hess,
                              options={"gtol": 1e-12}).fun
        hist = {m: viz.record_minimize(fun, x0, m, jac=jac,
                                       hess=hess if m == "newton" else None).f
                for m in ("newton", "bfgs", "lbfgs")}
        viz.plot_convergence(hist, ax, f_star=f_star, title=name,
                             colors={"newton": "C3", "bfgs": "C0", "lbfgs": "C2"})
    fig.suptitle("Newton (quadratic), BFGS and L-BFGS (superlinear): f - f* "
                 "per iteration")
    return fig


def _fig_proximal() -> Figure:
    problem = _problems.SparseRegression()
    steps = SPARSE_STEPS
    zeros, final = {}, {}
    for rule, cls, kw, sub, _label in why_proximal_configs(problem, steps):
        path = viz.record_path(cls, _sparse_grad(problem, steps, sub),
                               problem.start, steps, **kw)
        zeros[rule] = np.count_nonzero(path == 0, axis=1)
        final[rule] = path[-1]
    colors = {rule: f"C{i}" for i, rule in enumerate(zeros)}
    fig, (a, b) = _figure(2)
    viz.plot_convergence(zeros, a, log=False, xlabel="step",
                         ylabel=f"exact zeros of the {problem.d} weights",
                         title="exact zeros over the steps", colors=colors)
    viz.plot_magnitudes(final, b, colors=colors, legend=False,
                        title=f"final |w| (true support: {problem.k})")
    fig.suptitle(f"Proximal vs subgradient L1: {problem.formula}")
    return fig


def _sparse_grad(problem: SparseRegression, steps: int,
                 subgradient: bool) -> Callable[[_F64], _F64]:
    """grad(w) for record_path: the next seeded mini-batch's gradient (as
    run_sparse_rule takes them), plus l1 sign(w) for the subgradient."""
    batches = iter(problem.batches(steps))

    def grad(w: _F64) -> _F64:
        g = problem.grad(w, next(batches))
        if subgradient:
            g += problem.l1 * np.sign(w)
        return g
    return grad


# ---- normalization: a deep tanh MLP with and without batch / layer norm -------

NORM_VARIANTS = ("plain", "batch norm", "layer norm")
NORM_LRS = (0.03, 0.1, 0.3, 1.0, 3.0)
NORM_DEPTH, NORM_WIDTH, NORM_BATCH, NORM_CLASSES, NORM_DIM = 10, 32, 256, 4, 16
NORM_STEPS = 100


def _norm_problem(seed: int = 0) -> Tuple[_F64, npt.NDArray[np.intp]]:
    """A fixed classification problem: 4 classes given by a random tanh
    teacher network on Gaussian inputs (N = NORM_BATCH, d = NORM_DIM)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((NORM_BATCH, NORM_DIM))
    t1 = rng.standard_normal((NORM_DIM, 32)) / math.sqrt(NORM_DIM)
    t2 = rng.standard_normal((32, NORM_CLASSES))
    y = np.argmax(np.tanh(X @ t1 * 2.0) @ t2, axis=1)
    return X, y


def _norm_init(variant: str, seed: int = 1) -> List[_F64]:
    """Parameters: per hidden layer W (and a bias c without normalization,
    gamma and beta with it), then the output layer; LeCun-normal weights."""
    rng = np.random.default_rng(seed)
    dims = [NORM_DIM] + [NORM_WIDTH] * NORM_DEPTH
    params = []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        params.append(rng.standard_normal((fan_in, fan_out)) / math.sqrt(fan_in))
        if variant == "plain":
            params.append(np.zeros(fan_out))
        else:
            params += [np.ones(fan_out), np.zeros(fan_out)]
    params.append(rng.standard_normal((NORM_WIDTH, NORM_CLASSES)) / math.sqrt(NORM_WIDTH))
    params.append(np.zeros(NORM_CLASSES))
    return params


def _norm_loss_grads(variant: str, params: Sequence[FloatArray], X: _F64,
                     y: npt.NDArray[np.intp], stats: Sequence[Tuple[_F64, _F64]]
                     ) -> Tuple[float, List[FloatArray]]:
    """Mean softmax cross-entropy of the MLP and its gradients (numpy for
    the MLP, fastopt.norm for the normalization layers)."""
    from fastopt import norm
    per = 2 if variant == "plain" else 3
    h: FloatArray
    tape: List[Tuple[FloatArray, FloatArray, Optional[NormSaved]]]
    h, tape = X, []
    a: FloatArray
    z: FloatArray
    saved: Optional[NormSaved]
    for i in range(NORM_DEPTH):
        W = params[per * i]
        a = h @ W
        if variant == "plain":
            z, saved = a + params[per * i + 1], None
        elif variant == "batch norm":
            rm, rv = stats[i]
            z, saved = norm.batch_norm(a, rm, rv, params[per * i + 1],
                                       params[per * i + 2], training=True)
        else:
            z, saved = norm.layer_norm(a, (NORM_WIDTH,), params[per * i + 1],
                                       params[per * i + 2])
        tape.append((h, a, saved))
        h = np.tanh(z)
    logits = h @ params[-2] + params[-1]
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.mean(np.log(p[np.arange(n), y] + 1e-300))
    d = p
    d[np.arange(n), y] -= 1.0
    d /= n
    grads: List[Optional[FloatArray]] = [None] * len(params)
    grads[-2], grads[-1] = h.T @ d, d.sum(axis=0)
    dh = d @ params[-2].T
    da: FloatArray
    for i in reversed(range(NORM_DEPTH)):
        h_prev, a, saved = tape[i]
        dz = dh * (1.0 - h * h)
        if variant == "plain":
            da = dz
            grads[per * i + 1] = dz.sum(axis=0)
        else:
            backward = (norm.batch_norm_backward if variant == "batch norm"
                        else norm.layer_norm_backward)
            # casts, not asserts, to change nothing at run time: only the
            # plain variant saves None
            da, grads[per * i + 1], grads[per * i + 2] = backward(
                dz, a, cast("NormSaved", saved), params[per * i + 1])
        grads[per * i] = h_prev.T @ da
        dh = da @ params[per * i].T
        h = h_prev
    # every slot is filled by now (backward returns the weight's and the
    # bias's gradients, as both are given): a cast, to change nothing at run time
    return loss, cast(List[FloatArray], grads)


def norm_run(variant: str, lr: float, steps: int = NORM_STEPS) -> _F64:
    """Full-batch fastopt.SGD(lr) on the fixed problem: the loss before each
    step (stops early once the loss is no longer finite)."""
    from fastopt.optim import SGD
    X, y = _norm_problem()
    params = _norm_init(variant)
    stats = [(np.zeros(NORM_WIDTH), np.ones(NORM_WIDTH)) for _ in range(NORM_DEPTH)]
    opt = SGD(params, lr=lr, n_threads=1)
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            loss, grads = _norm_loss_grads(variant, params, X, y, stats)
            losses.append(loss)
            if not np.isfinite(loss) or not all(np.all(np.isfinite(g)) for g in grads):
                break
            opt.step(grads)
    return np.array(losses)


_NORM_CACHE: Dict[int, Dict[str, Dict[float, _F64]]] = {}


def norm_sweep(steps: int = NORM_STEPS) -> Dict[str, Dict[float, _F64]]:
    """{variant: {lr: losses}} over NORM_VARIANTS x NORM_LRS (computed once
    per process: the section and the picture share it)."""
    if steps not in _NORM_CACHE:
        _NORM_CACHE[steps] = {v: {lr: norm_run(v, lr, steps) for lr in NORM_LRS}
                              for v in NORM_VARIANTS}
    return _NORM_CACHE[steps]


def _norm_stable(losses: _F64, steps: int) -> Union[bool, np.bool_]:
    """Stable: ran every step with a finite loss and ended below the start."""
    return len(losses) == steps and np.isfinite(losses[-1]) and losses[-1] < losses[0]


def format_norm(sweep: Mapping[str, Mapping[float, _F64]],
                steps: int = NORM_STEPS) -> str:
    """The table: final loss per (variant, lr), the largest stable lr and the
    best final loss."""
    head = f"  {'':12s}" + "".join(f"{'lr=' + _g(lr):>10s}" for lr in NORM_LRS)
    lines = [f"A {NORM_DEPTH}-layer tanh MLP (width {NORM_WIDTH}) on a fixed 4-class "
             f"problem ({NORM_BATCH} points),",
             f"full-batch fastopt.SGD for {steps} steps at each lr.  Final loss "
             "(softmax cross-entropy,",
             f"start {sweep[NORM_VARIANTS[0]][NORM_LRS[0]][0]:.3f}); "
             "div = diverged or ended above its start.", "",
             head + f"{'largest stable lr':>19s}{'best loss':>11s}"]
    for v in NORM_VARIANTS:
        cells, stable, best = "", None, math.inf
        for lr in NORM_LRS:
            losses = sweep[v][lr]
            if _norm_stable(losses, steps):
                cells += f"{losses[-1]:10.4f}"
                stable = lr
                best = min(best, losses[-1])
            else:
                cells += f"{'div':>10s}"
        lines.append(f"  {v:12s}{cells}{'-' if stable is None else _g(stable):>19s}"
                     f"{best:11.4f}")
    return "\n".join(lines)


def _fig_norm() -> Figure:
    sweep = norm_sweep()
    fig, axes = _figure(3, width=4.4, height=3.6)
    for ax, v in zip(axes, NORM_VARIANTS):
        runs = {f"lr={_g(lr)}": sweep[v][lr] for lr in NORM_LRS}
        colors = {f"lr={_g(lr)}": f"C{i}" for i, lr in enumerate(NORM_LRS)}
        viz.plot_convergence(runs, ax, xlabel="step", ylabel="loss", colors=colors,
                             legend=v == NORM_VARIANTS[0], title=v)
        ax.set_ylim(1e-3, 10.0)
    fig.suptitle(f"{NORM_DEPTH}-layer tanh MLP, full-batch SGD: loss per lr, "
                 "with and without normalization")
    return fig



# file name -> (figure maker, what it shows)
_GALLERY: Dict[str, Tuple[Callable[[], Figure], str]] = {
    "quadratic.png": (lambda: _fig_rules("quadratic"),
                      "momentum's straight path vs SGD's zig-zag"),
    "rosenbrock.png": (lambda: _fig_rules("rosenbrock"), "the banana valley"),
    "beale.png": (lambda: _fig_rules("beale"), "Beale's curved valley"),
    "saddle.png": (lambda: _fig_rules("saddle"), "who escapes x^2 - y^2, who stalls"),
    "steepest_vs_cg.png": (_fig_steepest_cg,
                           "steepest descent's orthogonal zig-zag vs CG"),
    "newton_bfgs_lbfgs.png": (_fig_newton_bfgs,
                              "convergence of Newton, BFGS, L-BFGS (log scale)"),
    "proximal_l1.png": (_fig_proximal,
                        "exact zeros: proximal rules vs SGD's subgradient"),
    "normalization.png": (_fig_norm,
                          "a deep tanh MLP's loss per lr, plain vs batch / layer norm"),
}
GIF_NAME = "trajectories.gif"


def _save_png(fig: Figure, path: str, dpi: int) -> None:
    """Save fig as a 256-colour PNG (a third of the RGBA file's size; the
    colours of lines and text are kept)."""
    import io
    from PIL import Image
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    buf.seek(0)
    with Image.open(buf) as im, atomic_output(path) as f:
        im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(
            f, format="PNG", optimize=True)


def write_gallery(out_dir: Union[str, os.PathLike[str]], gif: bool = False,
                  dpi: int = 80) -> List[Tuple[str, str]]:
    """Draw the gallery into out_dir (created if needed); a list of (path,
    caption).  With gif, also an animated GIF of the rules on Rosenbrock."""
    viz.require_matplotlib()
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name, (make, caption) in _GALLERY.items():
        path = os.path.join(out_dir, name)
        _save_png(make(), path, dpi)
        written.append((path, caption))
    if gif:
        path = os.path.join(out_dir, GIF_NAME)
        problem = _problems.Rosenbrock()
        viz.animate_trajectories(problem, gallery_paths("rosenbrock"), path,
                                 colors=_COLORS, title="Rosenbrock")
        written.append((path, "the rules on Rosenbrock, animated"))
    return written
