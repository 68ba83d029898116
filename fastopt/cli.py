"""The ``fastopt`` command line (also ``python -m fastopt.cli``).

    fastopt demo [--out DIR] [--no-plots] [--gif] [--steps N] [--tol TOL]
                 [--rows N] [--problem KEY ...] [--section NAME ...]
    fastopt train ... / fastopt predict ...   (fastopt/cli_online.py)
    fastopt --version

``demo``'s sections and tables are in fastopt/demo.py; this module parses
the arguments and dispatches.
"""
import argparse
import os
import sys
from typing import Callable, Optional, Sequence

from fastopt import problems as _problems
from fastopt._version import __version__

__all__ = ["main", "build_parser"]

# The keys of the demo's sections, in order (fastopt.demo.SECTIONS' keys; a
# test checks): --section's choices, known without importing the demo module
# (scipy, the data sets), which `train` and `predict` do not need.
DEMO_SECTIONS = ("rules", "proximal", "fullbatch", "online", "norm", "plots")


def _demo(args: argparse.Namespace) -> int:
    from fastopt.demo import run_demo      # the demo's sections and tables
    return run_demo(args)


def _nonnegative_int(s: str) -> int:
    v = int(s)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {s}")
    return v


def _rows(s: str) -> int:
    v = int(s)
    if v < 100:
        raise argparse.ArgumentTypeError(f"must be >= 100, got {s}")
    return v


def _positive_float(s: str) -> float:
    v = float(s)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {s}")
    return v


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastopt",
        description="fastopt: first-order optimizers in C with OpenMP.")
    parser.add_argument("--version", action="version",
                        version=f"fastopt {__version__}")
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
                      choices=DEMO_SECTIONS,
                      help="run only this section (repeatable; default: all)")
    demo.set_defaults(func=_demo)
    from fastopt import cli_online     # train, predict
    cli_online.add_parsers(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``fastopt`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if args.command is None:
        parser.print_help()
        return 0
    func: Callable[[argparse.Namespace], int] = args.func   # set_defaults(func=...)
    try:
        return func(args)
    except BrokenPipeError:  # e.g. `fastopt demo | head`: not an error
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
