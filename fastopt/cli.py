"""The ``fastopt`` command line (also ``python -m fastopt.cli``).

    fastopt demo [--out DIR] [--no-plots] [--gif] [--steps N] [--tol TOL]
                 [--rows N] [--problem KEY ...] [--section NAME ...]
    fastopt train ... / fastopt predict ...   (fastopt/cli_online.py)
    fastopt --version

``demo`` shows the whole library in six sections (SECTIONS below; each can
be chosen with --section):

1. rules: every dense update rule on the classic 2-D problems (this module);
2. proximal: "Why proximal", SGD's L1 subgradient against the proximal rules
   (this module);
3. fullbatch: fastopt.minimize against scipy.optimize.minimize on the
   bundled breast-cancer data (fastopt/demo.py);
4. online: FTRL and RDA on a click-like stream of --rows rows
   (fastopt/demo.py);
5. norm: a 10-layer tanh MLP trained by full-batch SGD over an lr sweep,
   plain and with batch / layer normalization (fastopt.norm; its own fixed
   steps, --steps does not apply) (fastopt/demo.py);
6. plots: the picture gallery, PNGs in --out (default ./fastopt-demo) and
   with --gif an animated GIF (fastopt/demo.py, fastopt/viz.py).  Without
   matplotlib the section says how to install it and writes nothing.

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
"""
import argparse
import math
import os
import sys
import time

import numpy as np

import fastopt
from fastopt import problems as _problems

__all__ = ["main", "build_parser", "DEMO_RULES", "demo_configs", "run_rule",
           "RunResult", "format_table", "SPARSE_STEPS", "WHY_PROXIMAL",
           "why_proximal_configs", "run_sparse_rule", "sparsity_counts",
           "format_why_proximal"]

# The dense rules, in table order.
DEMO_RULES = ("SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "RMSProp",
              "RMSProp centered", "Adam", "AMSGrad", "AdamW", "Adamax", "Nadam",
              "DeltaBarDelta")

# rule -> (optimizer class, fixed keyword arguments that make the rule)
_RULE_CLASSES = {
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
_TUNED = {
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


def _g(v):
    """A short number for tables: 0.001, 1e-4, 0.9, 50."""
    if v != 0 and abs(v) < 1e-3:
        mant, exp = f"{v:e}".split("e")
        return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
    return f"{v:g}"


def demo_configs(problem_key):
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


class RunResult:
    """Outcome of one rule on one problem."""

    __slots__ = ("steps_to_tol", "steps_run", "final_f", "final_x",
                 "distance", "diverged")

    def __init__(self, steps_to_tol, steps_run, final_f, final_x, distance,
                 diverged):
        self.steps_to_tol = steps_to_tol
        self.steps_run = steps_run
        self.final_f = final_f
        self.final_x = final_x
        self.distance = distance
        self.diverged = diverged


def run_rule(problem, cls, kwargs, steps, tol):
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
WHY_PROXIMAL = (
    ("SGD (subgradient)", fastopt.SGD, {"lr": 0.01}, "subgradient"),
    ("ProximalSGD", fastopt.ProximalSGD, {"lr": 0.01}, "l1"),
    ("ProximalAdagrad", fastopt.ProximalAdagrad, {"lr": 0.1}, "l1"),
    ("FTRL", fastopt.FTRL, {"lr": 1.0}, "l1*steps"),
    ("RDA", fastopt.RDA, {"gamma": 1.0}, "l1"),
    ("AdagradDA", fastopt.AdagradDA, {"lr": 0.1}, "l1"),
)


def why_proximal_configs(problem, steps=SPARSE_STEPS):
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


def run_sparse_rule(problem, cls, kwargs, steps=SPARSE_STEPS,
                    subgradient=False):
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


def sparsity_counts(problem, w, small=1e-3):
    """(exact zeros, 0 < |w| < small, true non-zeros kept non-zero)."""
    a = np.abs(w)
    return (int(np.count_nonzero(w == 0)),
            int(np.count_nonzero((a < small) & (w != 0))),
            int(np.count_nonzero(w[problem.support])))


def format_why_proximal(problem, configs, results, steps=SPARSE_STEPS):
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


def _why_proximal():
    problem = _problems.SparseRegression()
    configs = why_proximal_configs(problem)
    results = [run_sparse_rule(problem, cls, kw, SPARSE_STEPS, sub)
               for _rule, cls, kw, sub, _label in configs]
    return format_why_proximal(problem, configs, results)


def _dash():
    """An em dash if stdout can encode it, else '-'."""
    enc = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2014".encode(enc)
        return "\u2014"
    except (UnicodeEncodeError, LookupError):
        return "-"


def _fmt_num(v):
    if not math.isfinite(v):
        return str(v)
    return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def _pt(x):
    return f"({_g(x[0])}, {_g(x[1])})"


def format_table(problem, configs, results, tol, dash="-", label_width=0):
    """One problem's table as a string (see the module docstring)."""
    unbounded = problem.min_value is None
    x0 = problem.start
    if unbounded:
        goal = (f"saddle point x* = {_pt(problem.stationary_point)}, no "
                f"minimum; escaped: f < {_g(problem.escape_value)}")
    else:
        goal = (f"min {_g(problem.min_value)} at x* = {_pt(problem.minimiser)}"
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


def _header(number, title):
    line = f"{number}. {title}"
    return f"\n{line}\n{'=' * len(line)}"


def _demo_sections(args):
    """The section keys to run: --section's, else those --problem names
    (a 2-D problem: the rules tables; sparse: why proximal), else all."""
    if args.section:
        return [k for k, _ in SECTIONS if k in args.section]
    if args.problem:
        keys = set(args.problem)
        return (["rules"] if keys - {"sparse"} else []) + (
            ["proximal"] if "sparse" in keys else [])
    return [k for k, _ in SECTIONS]


def _rules_section(args, dash):
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


def _fullbatch_section(args, dash):
    from fastopt import demo
    data = demo.BreastCancer()
    blas, pinned = demo.single_blas_thread()
    with blas:
        rows = demo.fullbatch_rows(data)
    print(demo.format_fullbatch(rows, data))
    if pinned:
        print("  (BLAS on one thread for both, by threadpoolctl.)")
    return 2 * len(rows)


def _online_section(args, dash):
    from fastopt import demo
    rows, info = demo.online_rows(args.rows)
    print(demo.format_online(rows, info))
    return len(rows)


def _norm_section(args, dash):
    from fastopt import demo
    print(demo.format_norm(demo.norm_sweep()))
    return len(demo.NORM_VARIANTS) * len(demo.NORM_LRS)


def _plots_section(args, dash):
    from fastopt import demo, viz
    if args.no_plots:
        print("Skipped (--no-plots).")
        return 0
    try:
        viz.require_matplotlib()
    except ImportError:
        print(f"No pictures: matplotlib is not installed.  To get them: "
              f"{viz.INSTALL_HINT}")
        return 0
    written = demo.write_gallery(args.out, gif=args.gif)
    print(f"Wrote {len(written)} files to {args.out}{os.sep}:")
    width = max(len(os.path.basename(p)) for p, _ in written)
    for path, caption in written:
        print(f"  {os.path.basename(path):<{width}}  {caption}")
    if not args.gif:
        print("  (--gif adds an animated GIF of the rules on Rosenbrock.)")
    return 0


def _demo(args):
    dash = _dash()
    sections = _demo_sections(args)
    omp = "on" if fastopt.openmp_enabled() else "off"
    print(f"fastopt {fastopt.__version__} (OpenMP {omp}) demo: "
          + ", ".join(k for k in sections))
    run = {"rules": _rules_section,
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


def _nonnegative_int(s):
    v = int(s)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {s}")
    return v


def _rows(s):
    v = int(s)
    if v < 100:
        raise argparse.ArgumentTypeError(f"must be >= 100, got {s}")
    return v


def _positive_float(s):
    v = float(s)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {s}")
    return v


def build_parser():
    parser = argparse.ArgumentParser(
        prog="fastopt",
        description="fastopt: first-order optimizers in C with OpenMP.")
    parser.add_argument("--version", action="version",
                        version=f"fastopt {fastopt.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo", help="the whole library at work: tables and pictures",
        description="Run every dense update rule on classic 2-D problems "
                    "(steps to tolerance; on the saddle x^2 - y^2, steps to "
                    "escape), SGD with an L1 subgradient against the proximal "
                    "rules ('Why proximal'), the full-batch methods against "
                    "scipy on the bundled breast-cancer data, FTRL and RDA on "
                    "a click-like stream, and draw the picture gallery "
                    "(matplotlib).")
    demo.add_argument("--out", default="fastopt-demo", metavar="DIR",
                      help="where the pictures go (default: %(default)s)")
    demo.add_argument("--no-plots", action="store_true",
                      help="draw no pictures")
    demo.add_argument("--gif", action="store_true",
                      help="also write an animated GIF of the trajectories")
    demo.add_argument("--steps", type=_nonnegative_int, default=5000,
                      help="steps per run in the 2-D tables (default: %(default)s)")
    demo.add_argument("--tol", type=_positive_float, default=1e-6,
                      help="tolerance on f - f* (default: %(default)g)")
    demo.add_argument("--rows", type=_rows, default=200_000,
                      help="rows of the click-like stream (default: %(default)s)")
    demo.add_argument("--problem", action="append",
                      choices=[c.key for c in _problems.PROBLEMS] + ["sparse"],
                      help="run only this problem's table (repeatable; "
                           "sparse: the 'Why proximal' L1 comparison); "
                           "without --section, no other section runs")
    demo.add_argument("--section", action="append",
                      choices=[k for k, _ in SECTIONS],
                      help="run only this section (repeatable; default: all)")
    demo.set_defaults(func=_demo)
    from fastopt import cli_online     # train, predict
    cli_online.add_parsers(sub)
    return parser


def main(argv=None):
    """Entry point of the ``fastopt`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `fastopt demo | head`: not an error
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
