"""``fastopt train`` and ``fastopt predict``: online learning on libsvm or
Vowpal Wabbit text.

    fastopt train [FILE] --model {ftrl,rda} [hyperparameters] -f MODEL
    fastopt predict [-t] MODEL [FILE] [-p PRED]      (or -i MODEL, VW's way)
    fastopt train -i MODEL FILE -f MODEL2            (continue training)
    fastopt train -t -i MODEL FILE [-p PRED]         (test only, VW's way)
    fastopt train FILE -f MODEL -p PRED [--link L]   (progressive predictions)
    zcat data.vw.gz | fastopt train -q ab -b 22 --loss logistic -f model

FILE is libsvm / svmlight or VW text (``--format``, default: detected from
the first line that is neither blank nor a '#' comment -- VW's has a
'|'), plain or gzip (detected from the magic bytes, whatever the name);
no FILE or "-" is standard input.  VW text is hashed as VW hashes it into
``-b`` bits (fastopt.vw), with VW's constant feature as the bias (so l1 and
l2 act on it as in VW; ``--noconstant`` drops it); importance weights and
tags are read, ``-q ab`` /
``--interactions abc`` / ``-q ::`` cross namespaces as VW does, generated
per example in C.  libsvm columns are crossed through ``--field-map``
(namespace = feature-id ranges).  ``--loss`` logistic (default), hinge,
squared, quantile (``--quantile-tau``) or poisson; ``--class-weight``.
VW's ``-f`` (model), ``-p`` (predictions), ``-i`` (initial model), ``-t``
(test only), ``-b`` (bits), ``-d`` (data) and ``-q`` are accepted with VW's
meanings; ``-q`` is always VW's interaction (``--quiet`` is the quiet flag).

`train` streams FILE through fastopt.vw.VWReader (both formats), block
by block, into the estimator's
``partial_fit`` -- memory stays at about one block whatever the file's size --
and saves the model with ``estimator.save``; a reader thread parses the next
block while the C loop learns on this one (fastopt._training.prefetch).
``--passes N``: pass 1 parses the text and writes the rows to a binary cache
(``--cache-file``; fastopt._training), passes 2..N read the cache.
``-i MODEL`` continues a saved model (training A, then B with ``-i``, is one
run on A + B, bit for bit: the model keeps its row count for the holdout).
``-t`` learns nothing: with ``-i`` it writes predictions (``-p``) and the
loss and AUC of the labeled rows (a multi-class model: the multi-class log
loss and the accuracy).  Without ``-t``, ``-p PRED`` writes VW's
progressive predictions: for every row of every pass, the prediction the
model made before it learned on that row -- the margin the C loop computes
for its update, returned by ``_partial_fit(margins=True)``, not predicted
again -- with the row's tag; a held-out row's is the model's where it
stands.  A writer thread (fastopt._training.WriteBehind) formats and
writes one block's lines while the C loop learns on the next; the file is
renamed into place once the model is saved.  ``--link`` (VW's) is the
function of the margin written by ``-p`` (train and predict); ``--raw`` is
``--link identity``.  ``--holdout F`` keeps a deterministic fraction F of the rows out of
training (row r is held out when the multiplicative hash
``(r * 0x9E3779B97F4A7C15) mod 2**64`` is below ``F * 2**64`` -- the same rows
in every pass, evenly spread, with no period in the data to align with) and
reports their log loss under each pass's model (from the cache, or one more
stream of the file); ``--early-terminate K`` stops after K passes without a
lower holdout loss and saves the best pass's model.

Progress on stderr (rows, rows/s, progressive log loss -- the mean loss of
each prediction made before its update -- and the holdout loss once known)
unless ``--quiet``: on a terminal one line, rewritten with ``\r`` at most four
times a second; when stderr is not a terminal (a log file, a pipe), one full
line every 5 seconds, so that logs read well.  ``--progress-interval SECONDS``
sets the interval of either.  A summary goes to stdout.

`predict` loads a model, streams FILE in the model's format (labels must
parse but are ignored; VW lines may have none) and writes, one per line
(``%.9g``), P(y = 1) for the logistic loss, the margin w . x for hinge,
squared and quantile, exp(w . x) for poisson; to stdout by default or -p.

Models (issue 12 item 6): ``-f MODEL`` is fastopt.online's model file
(format 3: only the touched coordinates' weights and accumulators, so
training can continue from it bit for bit); ``--readable-model FILE``
adds the non-zero weights as ``index:weight`` lines (VW's
--readable_model) and ``--invert-hash FILE`` as ``name:index:weight``
lines with VW's audit names (``a^f1``, ``a^f1*b^f2``, ``Constant``; names
kept while training, from pass 1).  VW's ``--hash all`` and
``--hash_seed S`` hash as VW (recorded in the model for predict; ``--hash``
alone folds libsvm ids).  On VW text, predict adds VW's initial
prediction (``label importance initial``) to the margin and writes each
row's tag after its prediction (``0.25 tag``), as VW's -p.  The squared
loss trains with VW's gradient 2 (m - y) (every importance weight
doubled), not the estimators' m - y.

FILE "-" is standard input (read once; --passes and --holdout read the cache).
``predict -t`` also reports the loss and AUC; ``--raw`` writes margins,
``--link`` VW's links of them.
Outputs are written atomically (fastopt._files.atomic_output: a temp file
beside the target, renamed into place; a failure or SIGINT/SIGTERM leaves
an old file as it was), straight through to "-" (stdout), FIFOs and
devices, and through a symlink to its target.  An output that is the same
file as an input (also through symlinks or hard links) is refused.  A
model file is checked field by field before use (fastopt.online.load).

Exit status: 0 on success, 2 for usage and input errors (a missing file, a
malformed or too long line -- named as FILE:LINE --, a bad hyperparameter, a
bad model file, an output that is an input), 1 when training diverges; the
message is one line on stderr.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import operator
import os
import sys
import tempfile
import time
import zlib
from types import SimpleNamespace
from typing import (IO, TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional,
                    Sequence, TextIO, TypeVar, Union, overload)

import numpy as np
import numpy.typing as npt

from fastopt._files import atomic_output, same_file

if TYPE_CHECKING:
    from typing import Literal

    from fastopt._training import CachedBlock, CacheReader, CacheWriter, WriteBehind
    from fastopt.libsvm import LibsvmReader
    from fastopt.online.estimators import FTRLClassifier, FTRLRegressor, RDAClassifier
    from fastopt.vw import Extras, FeatureNames, VWReader

    #: what the CLI trains and loads: fastopt.online's three estimators
    _Estimator = Union[FTRLClassifier, FTRLRegressor, RDAClassifier]

_F64 = npt.NDArray[np.float64]
_Mask = npt.NDArray[np.bool_]
#: a reader's block: (X (a scipy CSR matrix, untyped), y, sample_weight,
#: namespaces, first line, extras) as fastopt.vw.VWReader and
#: fastopt._training.CacheReader yield it (their own type: a tuple of Any)
_Block = tuple[Any, ...]
#: --field-map: {namespace: [[first id, last id + 1], ...]}
_Fields = dict[str, list[list[int]]]
#: -t: each block's (margins, labels, importance weights or None)
_Scored = tuple[_F64, _F64, Optional[_F64]]
#: one -p block for the writer thread: (margins, tags)
_PredItem = tuple[_F64, Optional[list[Optional[bytes]]]]
_T = TypeVar("_T")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PROGRESS_EVERY = 0.25    # seconds between progress updates on a terminal
_PROGRESS_LOG_EVERY = 5.0  # seconds between progress lines in a log (not a terminal)


class _Fail(Exception):
    """A one-line error for the user; exit status `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# -- argument types ------------------------------------------------------------

def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {s}")
    return v


def _n_features(s: str) -> int:
    base, sep, exp = s.strip().partition("**")   # "2**20" is what people type
    try:
        if sep:
            b, e = int(base), int(exp)
            if b < 1 or e < 0:
                raise ValueError
            v = 1 if b == 1 else b ** min(e, 64)   # larger: out of range anyway
        elif s.strip().lower().startswith("0x"):
            v = int(s, 16)
        else:
            try:
                v = int(s)
            except ValueError:
                v = int(float(s))                 # 1e6; inf: OverflowError
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"expected a positive integer such as 1048576 or 2**20, got {s!r}") from None
    if v < 1 or v > 2**62:
        raise argparse.ArgumentTypeError(f"must be in [1, 2**62], got {s}")
    return v


def _nonnegative_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {s!r}")
    if not v >= 0.0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {s}")
    return v


def _fraction(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {s!r}")
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {s}")
    return v


def _real(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {s!r}")
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be finite, got {s}")
    return v


# -- parsers -------------------------------------------------------------------

_FTRL_HYPER = ("alpha", "beta", "l1", "l2")
_RDA_HYPER = ("l1", "gamma", "rho")


_LOSSES = ("logistic", "hinge", "squared", "quantile", "poisson")
_LINKS = ("identity", "logistic", "glf1", "poisson")
_REGRESSION = ("squared", "quantile", "poisson")


def _hash_seed(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**32), got {s!r}")
    if not 0 <= v < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32), got {s}")
    return v


def _sync_rows(s: str) -> Union[str, int]:
    return "auto" if s == "auto" else _positive_int(s)


def _bits(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [1, 32], got {s!r}")
    if not 1 <= v <= 32:
        raise argparse.ArgumentTypeError(f"must be in [1, 32], got {s}")
    return v


def _add_link_flags(group: "argparse._ActionsContainer", prefix: str, logistic: str, tail: str) -> None:
    """--raw and --link (what -p writes) on `group`, their help starting with
    `prefix`, the logistic default described as `logistic`, ending `tail`."""
    group.add_argument("--raw", action="store_true",
                       help=f"{prefix}write margins w . x instead of probabilities "
                            "(logistic) or counts (poisson) (= --link identity, "
                            "VW's default)")
    group.add_argument("--link", choices=_LINKS, metavar="identity|logistic|glf1|poisson",
                       help=f"{prefix}VW's --link, the function of the margin m "
                            "written: identity m, logistic 1 / (1 + exp(-m)), glf1 "
                            "2 / (1 + exp(-m)) - 1, poisson exp(m) (default: "
                            f"logistic for {logistic}, poisson for poisson, else "
                            f"identity{tail}")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]
                ) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """Register `train` and `predict` on an argparse subparsers object."""
    tr = sub.add_parser(
        "train", help="train FTRL / RDA online on a libsvm or VW text file",
        description="Train an FTRL-Proximal or l1-RDA model online on libsvm / "
                    "svmlight or Vowpal Wabbit text (plain or gzip; no FILE or "
                    "'-': stdin), streamed block by block, and save it for "
                    "`fastopt predict`.  Labels 0/1 or -1/+1 (real numbers for "
                    "the regression losses).  -p PRED writes each row's "
                    "progressive prediction (before learning on it), as VW's "
                    "-p.")
    tr.add_argument("file", metavar="FILE", nargs="?", default="-",
                    help="libsvm or VW text (gzip ok; '-' or none: stdin)")
    tr.add_argument("-d", "--data", metavar="FILE", help="FILE, VW's way")
    tr.add_argument("--model", choices=("ftrl", "rda"), default=None,
                    help="FTRL-Proximal or l1-RDA (default: ftrl; with -i: "
                         "the initial model's)")
    tr.add_argument("--loss", choices=_LOSSES, default=None,
                    help="logistic and hinge classify (ftrl, rda); squared, "
                         "quantile and poisson regress (ftrl) "
                         "(default: logistic; with -i: the initial model's)")
    tr.add_argument("--quantile-tau", type=_real, default=None, metavar="TAU",
                    help="the quantile loss's quantile in (0, 1) (default: 0.5)")
    tr.add_argument("--class-weight", metavar="0:W0,1:W1",
                    help="weight of each class's rows (labels 0/1; -1 is 0), "
                         "multiplied into VW's importance weights; e.g. "
                         "0:10 for negatives kept at rate 0.1; 'balanced': "
                         "n / (2 count(class)), counted in a first read of "
                         "FILE (not stdin)")
    hp = tr.add_argument_group("hyperparameters (default: the estimator's)")
    hp.add_argument("--alpha", type=_real, help="FTRL learning rate (0.1)")
    hp.add_argument("--beta", type=_real, help="FTRL beta (1.0)")
    hp.add_argument("--l1", type=_real, help="L1 strength, FTRL and RDA (0)")
    hp.add_argument("--l2", type=_real, help="FTRL L2 strength (0)")
    hp.add_argument("--gamma", type=_real, help="RDA gamma (1.0)")
    hp.add_argument("--rho", type=_real, help="enhanced RDA rho (0)")
    tr.add_argument("--passes", type=_positive_int, default=1,
                    help="passes over the data (default: %(default)s); pass 1 "
                         "parses FILE (stdin too) into a binary cache that "
                         "passes 2.. read (--cache-file)")
    tr.add_argument("--format", choices=("auto", "vw", "libsvm"), default="auto",
                    help="input format (default: detected from the first line)")
    tr.add_argument("-b", "--bits", type=_bits,
                    help="VW text: feature names hash into 2**BITS columns "
                         "(default: 18, as VW); libsvm: --n-features 2**BITS")
    tr.add_argument("-q", "--quadratic", action="append", metavar="AB",
                    help="cross namespaces A and B (VW's -q; '::' for every "
                         "pair); repeatable.  -q always means this, as in VW "
                         "(a quiet run is --quiet)")
    tr.add_argument("--interactions", action="append", metavar="ABC",
                    help="cross 2 or 3 namespaces (VW's --interactions); "
                         "repeatable")
    tr.add_argument("--field-map", metavar="SPEC",
                    help="libsvm input: namespaces of feature ids for -q, as "
                         "'a=0-99,b=100-199 300-310' or a file of lines 'a 0-99'")
    tr.add_argument("--n-features", type=_n_features, default=None,
                    help="libsvm: feature ids must be below this (default: 2**20; "
                         "at most 2**62, and the model keeps 3 (ftrl) or 1 (rda) "
                         "float64 per feature in memory: a model larger than "
                         "the machine's memory is refused)")
    tr.add_argument("--hash", nargs="?", const=True, default=False,
                    metavar="all|strings",
                    help="alone: libsvm ids fold into range (id %% n_features); "
                         "'all' / 'strings': VW's --hash (VW text: 'all' "
                         "hashes numeric names too; default strings)")
    tr.add_argument("--hash-seed", "--hash_seed", type=_hash_seed, default=0,
                    metavar="S", help="VW's --hash_seed (VW text; default 0)")
    tr.add_argument("--readable-model", "--readable_model", metavar="FILE",
                    help="also write the non-zero weights as text, "
                         "'index:weight' per line (VW's --readable_model)")
    tr.add_argument("--invert-hash", "--invert_hash", metavar="FILE",
                    help="also write the non-zero weights by feature name, "
                         "'name:index:weight' (VW's --invert_hash; names such "
                         "as a^f1 and a^f1*b^f2 are kept while training: slower)")
    tr.add_argument("--skip-bad-lines", action="store_true",
                    help="skip (and count) malformed lines instead of stopping")
    tr.add_argument("--no-intercept", "--noconstant", action="store_true",
                    help="fit no intercept (VW text: no constant feature)")
    tr.add_argument("--holdout", type=_fraction, metavar="FRACTION",
                    help="hold this fraction of the rows out of training and "
                         "report their loss under each pass's model")
    tr.add_argument("--output", "-o", "-f", "--final-regressor", metavar="MODEL",
                    help="where to save the model ('-': stdout; VW's -f); never "
                         "FILE; required unless -t")
    tr.add_argument("--quiet", action="store_true",
                    help="no progress line on stderr")
    # -- training control (issue 12 item 5) --
    tc = tr.add_argument_group("training control")
    tc.add_argument("-i", "--initial-model", "--initial-regressor", metavar="MODEL",
                    help="continue training MODEL (saved by `fastopt train`): "
                         "its hyperparameters (--alpha ... may override them), "
                         "loss, interactions, format and features, its state, "
                         "and its holdout row count, so that training A then B "
                         "with -i gives the model of one run on A+B, bit for bit")
    tc.add_argument("-t", "--test-only", action="store_true",
                    help="learn nothing (VW's -t): with -i MODEL, write "
                         "predictions (-p) and report the loss and AUC of the "
                         "labeled rows (a multi-class model: multi-class log "
                         "loss and accuracy)")
    tc.add_argument("-p", "--predictions", metavar="PRED",
                    help="where to write the predictions ('-': stdout), one per "
                         "line (then ' tag' where the row has a VW tag): while "
                         "training, each row's progressive prediction -- made "
                         "by the model before it learns on that row, VW's -p --"
                         " for every row of every pass (held-out rows too, "
                         "predicted where they stand; --n-threads > 1: in "
                         "input order, not bit-reproducible; not with --dask); "
                         "with -t, the model's.  Written whole once the model "
                         "is saved")
    _add_link_flags(tc, "with -p: ", "--loss logistic", ")")
    tc.add_argument("--cache-file", metavar="PATH",
                    help="the binary cache of the parsed rows that passes 2.. "
                         "(and the holdout evaluation) read instead of "
                         "FILE's text (default: a temp file, removed at the "
                         "end).  A cache of PATH that matches FILE (path, "
                         "size, modification time, reader settings) and "
                         "verifies is used from pass 1; a stale or damaged "
                         "one is rebuilt")
    tc.add_argument("--early-terminate", type=_positive_int, metavar="K",
                    help="with --holdout and --passes: stop after K passes "
                         "without a lower holdout loss, and save the model of "
                         "the best pass (VW's --early_terminate)")
    tc.add_argument("--n-threads", type=_positive_int, default=1, metavar="N",
                    help="threads of the learning loop (default: 1, "
                         "deterministic; N > 1 trains lock-free in parallel, "
                         "Hogwild: faster, not bit-reproducible)")
    # -- issue 13: training on a Dask cluster (fastopt/distributed/online.py) --
    dk = tr.add_argument_group("Dask (pip install \"fastopt[dask]\"; FILE may be a "
                               "quoted glob of libsvm or VW text files)")
    dk.add_argument("--dask", metavar="local:N|tcp://HOST:PORT",
                    help="train on a Dask cluster: local:N starts a LocalCluster "
                         "of N worker processes; an address uses a running "
                         "scheduler (one partition per file)")
    dk.add_argument("--sync-rows", type=_sync_rows, default="auto", metavar="N|auto",
                    help="with --dask: rows each partition trains on between "
                         "merges (default auto: 8000 // partitions for --merge "
                         "sum, 100000 for average; see README 'Scaling out')")
    dk.add_argument("--merge", choices=("sum", "average"), default="sum",
                    help="with --dask: add the partitions' (z, n) / gradient sums, "
                         "or average weights by squared-gradient sums (ftrl) "
                         "(default: %(default)s)")
    dk.add_argument("--dask-timeout", type=_nonnegative_float, default=10.0,
                    metavar="SECONDS",
                    help="with --dask ADDRESS: give up reaching the scheduler after "
                         "this long (default: %(default)s)")
    # -- end issue 13 --
    _add_common(tr)
    tr.set_defaults(func=train)

    pr = sub.add_parser(
        "predict", help="predict with a model saved by `fastopt train`",
        description="Write a prediction for every example of a libsvm or VW "
                    "text file, one per line: P(y = 1) for the logistic loss, "
                    "w . x for hinge, squared and quantile, exp(w . x) for "
                    "poisson (a VW row's tag follows its prediction, and VW's "
                    "initial prediction adds to w . x); for a multi-class "
                    "(one-vs-rest) model saved from Python, the predicted "
                    "class.  --link applies VW's links instead.  Labels must "
                    "parse; -t reports the loss and AUC of the labeled rows "
                    "(multi-class: log loss and accuracy; VW lines may have "
                    "none).")
    pr.add_argument("model", metavar="MODEL", nargs="?",
                    help="a model saved by `fastopt train` (or give it as -i MODEL)")
    pr.add_argument("file", metavar="FILE", nargs="?", default="-",
                    help="libsvm or VW text (gzip ok; '-' or none: stdin)")
    pr.add_argument("-d", "--data", metavar="FILE", help="FILE, VW's way")
    pr.add_argument("--output", "-o", "-p", default="-", metavar="PRED",
                    help="where to write the predictions (default '-': stdout); "
                         "never MODEL or FILE")
    pr.add_argument("--format", choices=("auto", "vw", "libsvm"), default=None,
                    help="input format (default: the training file's)")
    pr.add_argument("--hash", action=argparse.BooleanOptionalAction, default=None,
                    help="fold feature ids into range (default: as training did, "
                         "which the model file records)")
    pr.add_argument("--probabilities", action="store_true",
                    help="classifiers with the logistic loss: every class's "
                         "probability on each line, space-separated, in the "
                         "order of the model's classes_")
    pr.add_argument("--quiet", action="store_true",
                    help="no progress line on stderr (not -q: VW's -q is an "
                         "interaction, which the model fixes)")
    # -- training control (issue 12 item 5) --
    pr.add_argument("-i", "--initial-model", metavar="MODEL", dest="model_opt",
                    help="MODEL, VW's way (fastopt predict -t -i MODEL FILE)")
    pr.add_argument("-b", "--bits", type=_bits,
                    help="VW's -b: must be the model's bits when given (the "
                         "model fixes its features)")
    pr.add_argument("-t", "--test-only", action="store_true",
                    help="also report the loss and AUC of the labeled rows "
                         "(importance-weighted; unlabeled rows left out); a "
                         "multi-class model: the multi-class log loss and the "
                         "accuracy")
    _add_link_flags(pr, "", "a logistic model",
                    "; a multi-class model: identity only, its K margins)")
    pr.add_argument("--n-threads", type=_positive_int, default=None, metavar="N",
                    help="threads for the predictions (default: the usable CPUs)")
    _add_common(pr)
    pr.set_defaults(func=predict)
    return tr, pr


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-line-bytes", type=_positive_int, default=64 << 20,
                        metavar="N",
                        help="a longer line is malformed (default: 64 MiB), so "
                             "a stream without newlines fails instead of "
                             "filling memory")
    parser.add_argument("--chunk-bytes", type=_positive_int, default=8 << 20,
                        help=argparse.SUPPRESS)
    parser.add_argument("--no-reader-thread", action="store_true",
                        help=argparse.SUPPRESS)     # benchmarks, tests
    parser.add_argument("--progress-interval", type=_nonnegative_float, default=None,
                        metavar="SECONDS",
                        help="seconds between progress updates (default: 0.25 on "
                             "a terminal, where one line is rewritten; 5 when "
                             "stderr is not a terminal, one line each)")


# -- helpers -------------------------------------------------------------------

class _Progress:
    """Progress on stderr (or `stream`).  On a terminal one line, rewritten
    with a carriage return at most every `interval` seconds (default
    _PROGRESS_EVERY); otherwise (a log file, a pipe) one full line every
    `interval` seconds (default _PROGRESS_LOG_EVERY) and no carriage return.
    A forced update is always written."""

    def __init__(self, quiet: bool, stream: Optional[TextIO] = None,
                 interval: Optional[float] = None) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError, OSError):   # no isatty, or closed
            self.tty = False
        if interval is None:
            interval = _PROGRESS_EVERY if self.tty else _PROGRESS_LOG_EVERY
        self.interval = interval
        self.t0 = time.perf_counter()
        self.last = self.t0
        self.width = 0

    def update(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        if self.tty:
            pad = max(self.width - len(text), 0)
            self.width = len(text)
            self.stream.write("\r" + text + " " * pad)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        """Ends the terminal line (if any); the next update starts a new one."""
        if not self.quiet and self.width:
            self.stream.write("\n")
            self.stream.flush()
        self.width = 0


def _rate(rows: float, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def _held_out(start: int, n: int, fraction: Optional[float]) -> Optional[_Mask]:
    """Mask of the rows start .. start + n - 1 that are held out."""
    if not fraction:
        return None
    r = np.arange(start, start + n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = r * _GOLDEN
    return h < np.uint64(min(int(fraction * 2.0**64), 2**64 - 1))


def _stream_error(path: str, e: Exception, hint: str = "") -> _Fail:
    """A _Fail for an error raised while reading `path`; `hint` follows an
    out-of-range feature id."""
    if isinstance(e, ValueError):
        msg = str(e)
        if " (hash=True folds ids" in msg:
            msg = msg.split(" (hash=True")[0] + hint
        return _Fail(msg.replace("(max_line_bytes=", "(--max-line-bytes "))
    if isinstance(e, FileNotFoundError):
        return _Fail(f"{path}: no such file")
    if isinstance(e, IsADirectoryError):
        return _Fail(f"{path}: is a directory")
    if isinstance(e, OSError) and e.strerror:
        return _Fail(f"{path}: {e.strerror}")
    return _Fail(f"{path}: {e}")      # gzip: BadGzipFile, EOFError, zlib.error


_TRAIN_HINT = " (pass --hash to fold ids into range, or a larger --n-features)"
_READ_ERRORS = (ValueError, OSError, EOFError, zlib.error)


def _chunks(path: str, reader: Iterable[_T], hint: str = "") -> Iterator[_T]:
    """Iterate `reader`, turning read and parse errors into _Fail."""
    it = iter(reader)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except _READ_ERRORS as e:
            raise _stream_error(path, e, hint) from None
        yield item


def _loss_sum(loss: str, tau: float, margin: npt.ArrayLike, y: _F64,
              w: Optional[_F64] = None) -> float:
    """Sum of the (weighted) losses of margins against labels (0/1 for the
    logistic and hinge losses), as csrc/online.inc defines them."""
    m = np.asarray(margin, dtype=np.float64)
    if loss == "logistic":
        per = np.logaddexp(0.0, -(2.0 * y - 1.0) * m)
    elif loss == "hinge":
        per = np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * m)
    elif loss == "squared":
        per = (m - y) ** 2
    elif loss == "quantile":
        r = y - m
        per = np.where(r >= 0, tau * r, (tau - 1.0) * r)
    else:
        from scipy.special import gammaln
        per = np.exp(m) - y * m + gammaln(y + 1.0)
    return float(np.sum(per if w is None else w * per))


def _loss_name(loss: str) -> str:
    return "logloss" if loss == "logistic" else f"{loss} loss"


def _fmt(v: float) -> str:
    return f"{v:.6f}" if math.isfinite(v) else str(v)


def _reader(path: str, n_features: int, args: argparse.Namespace, hash: bool,
            skip_bad_lines: bool = False) -> LibsvmReader:
    """A libsvm block reader of FILE, with int64 feature ids when they need it."""
    from fastopt.libsvm import iter_chunks
    return iter_chunks(path, n_features, chunk_bytes=args.chunk_bytes, hash=hash,
                       skip_bad_lines=skip_bad_lines,
                       index_dtype=np.int64 if n_features > 2**31 else np.int32,
                       max_line_bytes=args.max_line_bytes)


def _text_reader(path: str, args: argparse.Namespace, fmt: str, bits: int,
                 n_features: int, hash: bool, skip_bad_lines: bool = False,
                 binary: bool = True, allow_unlabeled: bool = False,
                 constant: bool = False, **vw: Any) -> VWReader:
    """The block reader of FILE (libsvm or VW text; fastopt.vw.VWReader):
    blocks (X, y, sample_weight, namespaces, first_line); VW rows end with
    VW's constant feature when `constant`.  vw: VWReader's hash_all,
    hash_seed, extras, names."""
    from fastopt.vw import VWReader
    return VWReader(path, bits, fmt=fmt, n_features=n_features, hash=hash,
                    chunk_bytes=args.chunk_bytes, skip_bad_lines=skip_bad_lines,
                    binary=binary, allow_unlabeled=allow_unlabeled,
                    max_line_bytes=args.max_line_bytes, constant=constant, **vw)


# -- models: VW's hashing options, squared loss, text weights (issue 12 item 6) --

def _vw_hash_options(args: argparse.Namespace) -> tuple[bool, bool]:
    """(fold libsvm ids, hash_all) from train's --hash: alone it folds
    libsvm ids; 'all' / 'strings' is VW's --hash.  A value that is neither
    was FILE (argparse's optional value took it)."""
    h = args.hash
    if h is True or h is False:
        return h, False
    if h in ("all", "strings"):
        return False, h == "all"
    if args.file == "-" and args.data is None:
        args.file = h
        return True, False
    raise _Fail(f"--hash {h}: expected --hash alone (libsvm), 'all' or 'strings' (VW)")


def _vw_gradient_weights(loss: str, w: Optional[_F64], n: int) -> Optional[_F64]:
    """The importance weights the CLI trains with: VW's squared loss has
    the gradient 2 (m - y), the estimators' (scikit-learn's convention,
    loss (m - y)^2 / 2) m - y; so for --loss squared every row's weight is
    doubled, which doubles its gradient and leaves the progressive loss (a
    weighted mean) as it was."""
    if loss != "squared":
        return w
    return np.full(n, 2.0) if w is None else 2.0 * w


def _feature_names(args: argparse.Namespace, bits: int, n_features: int,
                   interactions: Optional[list[str]], fields: Optional[_Fields],
                   hash_all: bool) -> Optional[FeatureNames]:
    """The FeatureNames that --invert-hash fills while training, or None."""
    if args.invert_hash is None:
        return None
    from fastopt.vw import FeatureNames
    return FeatureNames(bits, interactions, hash_all=hash_all, hash_seed=args.hash_seed,
                        fields=fields, n_features=n_features,
                        constant=not args.no_intercept)


def _write_text_models(args: argparse.Namespace, est: _Estimator, reader: VWReader,
                       bits: int, interactions: Optional[list[str]],
                       hash_all: bool) -> None:
    """--readable-model and --invert-hash: the non-zero weights as text;
    a fitted intercept is the column after the last, named Constant."""
    from fastopt import __version__
    from fastopt.vw import write_weights
    w = np.ravel(est.coef_)          # the CLI trains one model: (1, n) -> (n,)
    names = reader.names
    if est.fit_intercept:
        w = np.append(w, est.intercept_)
        if names is not None:
            names.add(est.n_features_in_, "Constant")
    options = [f"-q {t}" for t in interactions or []]
    if hash_all:
        options.append("--hash all")
    if args.hash_seed:
        options.append(f"--hash_seed {args.hash_seed}")
    size = f"bits:{bits}" if reader.fmt == "vw" else f"n_features:{est.n_features_in_}"
    header = [f"Version fastopt {__version__}", size, "options: " + " ".join(options)]
    for path, with_names in ((args.readable_model, False), (args.invert_hash, True)):
        if path is None:
            continue
        try:
            write_weights(path, w, names if with_names else None, header)
        except OSError as e:
            raise _Fail(f"cannot write {path}: {e.strerror or e}") from None


def _parse_field_map(spec: str) -> _Fields:
    """{namespace: [[start, stop], ...]} from 'a=0-99,b=100-199 300' or from
    a file of lines 'a 0-99 300' (ranges inclusive, as written)."""
    text = spec
    if os.path.exists(spec):
        try:
            with open(spec) as f:
                text = ",".join(line.strip().replace(" ", "=", 1) for line in f
                                if line.strip() and not line.lstrip().startswith("#"))
        except (OSError, UnicodeDecodeError) as e:
            raise _Fail(f"--field-map {spec}: {e}") from None
    fields: _Fields = {}
    for item in text.split(","):
        name, eq, ranges = item.strip().partition("=")
        if not eq or len(name) != 1 or not ranges.split():
            raise _Fail(f"--field-map: expected NS=FIRST-LAST[ FIRST-LAST...] with a "
                        f"one-character namespace, got {item.strip()!r}")
        for r in ranges.split():
            first, dash, last = r.partition("-")
            try:
                lo, hi = int(first), int(last) if dash else int(first)
            except ValueError:
                raise _Fail(f"--field-map: bad range {r!r} for namespace {name!r}") from None
            if not 0 <= lo <= hi:
                raise _Fail(f"--field-map: bad range {r!r} for namespace {name!r}")
            fields.setdefault(name, []).append([lo, hi + 1])
    return fields


def _parse_class_weight(spec: Optional[str], counts: Optional[Sequence[int]] = None
                        ) -> Optional[dict[int, float]]:
    """{0: w0, 1: w1} from '0:W0,1:W1', or for 'balanced' from the class
    counts (scikit-learn's n / (2 * count))."""
    if spec is None:
        return None
    if spec == "balanced":
        assert counts is not None, "_train counts the classes for 'balanced'"
        n = sum(counts)
        return {c: n / (2.0 * k) if k else 0.0 for c, k in enumerate(counts)}
    out: dict[int, float] = {}
    for item in spec.split(","):
        label_text, colon, w_text = item.partition(":")
        try:
            label, w = int(float(label_text)), float(w_text)
        except ValueError:
            raise _Fail(f"--class-weight: expected LABEL:WEIGHT pairs such as 0:1,1:5, "
                        f"got {item!r}") from None
        label = 0 if label == -1 else label
        if label not in (0, 1) or not colon or not (math.isfinite(w) and w >= 0):
            raise _Fail(f"--class-weight: expected LABEL:WEIGHT with label 0/1 (or -1) "
                        f"and a weight >= 0, got {item!r}")
        out[label] = w
    return out


def _interactions(args: argparse.Namespace) -> Optional[list[str]]:
    """The -q / --interactions terms (None for none)."""
    terms = []
    for q in args.quadratic or []:
        if q == "::" or len(q) == 2:
            terms.append(q)
        else:
            raise _Fail(f"-q {q}: expected two namespace characters (VW's -q ab) or "
                        "'::'; for a quiet run use --quiet")
    for t in args.interactions or []:
        if t == "::" or len(t) in (2, 3):
            terms.append(t)
        else:
            raise _Fail(f"--interactions {t}: expected 2 or 3 namespace characters")
    return terms or None


def _mask_block(block: _Block, keep: _Mask) -> _Block:
    """The rows `keep` (a boolean mask) of a block (X, y, w, ns, *per-row
    arrays such as base margins, each None or one value per row)."""
    X, y, w, ns, *more = block
    if ns is not None:
        ns = ns[np.repeat(keep, np.diff(X.indptr))]
    return (X[keep], y[keep], None if w is None else w[keep], ns) + tuple(
        None if a is None else a[keep] for a in more)


def _base_margin(extras: Extras) -> Optional[_F64]:
    """A block's VW initial predictions as base_margin (None when all are
    0: the rows without one, and libsvm input)."""
    return extras.initial if np.any(extras.initial) else None


def _check_output(output: str, inputs: Iterable[tuple[str, str]],
                  name: str = "--output") -> None:
    """Refuse an output that is one of the inputs (the same file, also
    through symlinks and hard links; "-" as input: stdin), and one that
    cannot be written -- before any work is done."""
    if output == "-":
        return
    for flag, path in inputs:
        if same_file(output, 0 if path == "-" else path):
            raise _Fail(f"{name} {output} is the same file as {flag} {path}; "
                        "refusing to overwrite an input")
    real = os.path.realpath(output)
    if os.path.isdir(real):
        raise _Fail(f"cannot write {output}: is a directory")
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise _Fail(f"cannot write {output}: no such directory {folder}")


def _run(cmd: str, body: Callable[[argparse.Namespace], int],
         args: argparse.Namespace) -> int:
    try:
        return body(args)
    except _Fail as e:
        sys.stderr.write(f"fastopt {cmd}: error: {e}\n")
        return e.code


# -- train ---------------------------------------------------------------------

def _make_estimator(args: argparse.Namespace, n_features: int,
                    interactions: Optional[list[str]], fields: Optional[_Fields],
                    vw_constant: bool) -> tuple[_Estimator, str]:
    from fastopt import online
    from fastopt.online._base import check_model_size

    given = {k: getattr(args, k) for k in ("alpha", "beta", "l1", "l2", "gamma", "rho")
             if getattr(args, k) is not None}
    allowed = _FTRL_HYPER if args.model == "ftrl" else _RDA_HYPER
    wrong = [k for k in given if k not in allowed]
    if wrong:
        flags = ", ".join("--" + k for k in wrong)
        raise _Fail(f"{flags} do{'es' if len(wrong) == 1 else ''} not apply to "
                    f"--model {args.model} (it takes "
                    f"{', '.join('--' + k for k in allowed)})")
    regression = args.loss in _REGRESSION
    if args.model == "rda" and regression:
        raise _Fail(f"--model rda takes --loss logistic or hinge, not {args.loss}")
    if regression and args.class_weight is not None:
        raise _Fail(f"--class-weight goes with a classification loss, not {args.loss}")
    if not 0.0 < args.quantile_tau < 1.0:
        raise _Fail(f"--quantile-tau must be in (0, 1), got {args.quantile_tau:g}")
    cls = (online.FTRLRegressor if regression else
           online.FTRLClassifier if args.model == "ftrl" else online.RDAClassifier)
    try:
        check_model_size(cls, n_features)
    except ValueError as e:
        flag = f"-b {args.bits}" if args.bits else f"--n-features {n_features}"
        raise _Fail(f"{flag}: {e}") from None
    extra = dict(loss=args.loss, interactions=interactions, fields=fields,
                 n_threads=args.n_threads)
    if regression:
        extra["quantile_tau"] = args.quantile_tau
    else:
        extra["class_weight"] = _parse_class_weight(args.class_weight,
                                                    getattr(args, "class_counts", None))
    # VW text: VW's constant feature is the bias (hashed and regularised as
    # VW's), so no separate intercept
    est = cls(fit_intercept=not args.no_intercept and not vw_constant, **given, **extra)
    try:
        est._check_params()
    except ValueError as e:
        raise _Fail(str(e)) from None
    shown = " ".join(f"{k}={getattr(est, k):g}" for k in allowed)
    shown += f" loss={args.loss}" + (f" tau={args.quantile_tau:g}"
                                      if args.loss == "quantile" else "")
    if interactions:
        shown += " interactions=" + ",".join(interactions)
    if vw_constant:
        shown += ", VW's constant feature"
    return est, shown


# -- training control (issue 12 item 5): -i, -t, --passes over a cache,
#    per-pass holdout, early stopping, the reader thread ---------------------

def _initial(args: argparse.Namespace, interactions: Optional[list[str]],
             fields: Optional[_Fields]) -> tuple[_Estimator, dict[str, Any], str]:
    """The estimator and info of -i MODEL, the flags checked against it:
    what fixes the model's structure (model, loss, interactions, format,
    features, intercept, class weights) must agree or be left out; the
    hyperparameters given override the model's."""
    from fastopt.online._base import _check_fields, _check_interactions
    est, info = _load_model(args.initial_model)
    name = f"-i {args.initial_model}"
    if len(getattr(est, "classes_", ())) > 2:
        raise _Fail(f"{name} is a multi-class (one-vs-rest) model; fastopt train "
                    "continues binary classifiers and regressors only")
    model = "rda" if est._algorithm == _rda_algorithm() else "ftrl"
    fmt = info.get("format", "libsvm")
    bits = info.get("bits")

    def differ(flag: str, given: object, has: object) -> None:
        if given is not None and given != has:
            raise _Fail(f"{flag} {given} differs from {name}'s {has}; a continued "
                        "model keeps its structure (leave the flag out)")
    differ("--model", args.model, model)
    differ("--loss", args.loss, est.loss)
    if args.quantile_tau is not None:
        differ("--quantile-tau", args.quantile_tau, getattr(est, "quantile_tau", None))
    if args.format not in (None, "auto"):
        differ("--format", args.format, fmt)
    if args.bits is not None:
        differ("-b", args.bits, bits if fmt == "vw" else
               (est.n_features_in_.bit_length() - 1
                if est.n_features_in_ & (est.n_features_in_ - 1) == 0 else None))
    differ("--n-features", args.n_features, est.n_features_in_)
    if args.hash and not info.get("hash", False):
        raise _Fail(f"--hash differs from {name}, trained without --hash")
    if interactions is not None and (_check_interactions(interactions)
                                     != _check_interactions(est.interactions)):
        raise _Fail(f"-q / --interactions {','.join(interactions)} differ from {name}'s "
                    f"{','.join(est.interactions or []) or 'none'}")
    if fields is not None and _check_fields(fields) != _check_fields(est.fields):
        raise _Fail(f"--field-map differs from {name}'s")
    if args.no_intercept and (info.get("constant", False) if fmt == "vw"
                              else est.fit_intercept):
        raise _Fail(f"--no-intercept differs from {name}, which has an intercept")
    if args.class_weight is not None:
        raise _Fail(f"--class-weight: {name} keeps the class weights it was trained "
                    "with (leave the flag out)")
    given = {k: getattr(args, k) for k in ("alpha", "beta", "l1", "l2", "gamma", "rho")
             if getattr(args, k) is not None}
    allowed = _FTRL_HYPER if model == "ftrl" else _RDA_HYPER
    wrong = [k for k in given if k not in allowed]
    if wrong:
        raise _Fail(f"{', '.join('--' + k for k in wrong)} do not apply to {name} "
                    f"(a {model} model)")
    if given or est.n_threads != args.n_threads:
        old = est.get_params()
        est.set_params(**given, n_threads=args.n_threads)
        try:
            cfg = est._check_params()
        except ValueError as e:
            est.set_params(**old)
            raise _Fail(str(e)) from None
        state = est._state
        est.__dict__.update(est._bind(cfg, state))
    args.model, args.loss = model, est.loss
    args.quantile_tau = getattr(est, "quantile_tau", 0.5)
    shown = " ".join(f"{k}={getattr(est, k):g}" for k in allowed)
    shown += f" loss={est.loss}"
    if est.interactions:
        shown += " interactions=" + ",".join(est.interactions)
    if fmt == "vw" and info.get("constant", False):
        shown += ", VW's constant feature"
    return est, info, shown + f", continued from {args.initial_model}"


def _ahead(args: argparse.Namespace, blocks: Iterator[_T]) -> Iterator[_T]:
    """The blocks read a block ahead in a reader thread (the parser and the
    learning loop release the GIL, so they overlap), unless
    --no-reader-thread (for benchmarks and tests: the same results)."""
    if getattr(args, "no_reader_thread", False):
        return blocks
    from fastopt._training import keep_freed_blocks, prefetch
    keep_freed_blocks()
    return prefetch(blocks)


def _rda_algorithm() -> int:
    from fastopt import _kernels
    return _kernels.ONLINE_RDA


def _tee_to_cache(blocks: Iterable[_Block], writer: CacheWriter,
                  reader: VWReader) -> Iterator[_Block]:
    """The blocks, each written to the cache as it goes by (with the rows'
    VW initial predictions when any is non-zero, and their tags, which the
    progressive predictions of passes 2.. write); the cache is finished
    (trailer, renamed into place) once the last one is."""
    rows = 0
    for block in blocks:
        try:
            writer.write(block[0], block[1], block[2], block[3],
                         initial=_base_margin(block[5]), tags=block[5].tags)
        except OSError as e:
            raise _Fail(f"cannot write the cache {writer.path}: {e.strerror or e}") \
                from None
        rows += block[0].shape[0]
        yield block
    try:
        writer.finish(dict(fmt=reader.fmt, rows=rows, bad_lines=reader.bad_lines,
                           first_bad_line=reader.first_bad_line))
    except OSError as e:
        raise _Fail(f"cannot write the cache {writer.path}: {e.strerror or e}") from None


def _cached_blocks(cache: CacheReader) -> Iterator[CachedBlock]:
    """The cache's blocks, a damaged cache a one-line error."""
    from fastopt._training import CacheError
    try:
        yield from cache
    except CacheError as e:
        raise _Fail(str(e)) from None
    except OSError as e:
        raise _Fail(f"{cache.path}: {e.strerror or e}") from None


class _Data:
    """Where each pass's blocks come from: FILE's text, parsed, for pass 1
    (written to the cache when there is one), the cache after it -- or the
    cache from pass 1 when --cache-file names a valid one.  Every pass is
    read in a reader thread (fastopt._training.prefetch), a block ahead of
    the learning loop."""

    writer: Optional[CacheWriter]
    cache: Optional[CacheReader]
    cache_path: Optional[str]
    trailer: Optional[dict[str, Any]]
    fingerprint: dict[str, Any]
    fmt: str

    def __init__(self, path: str, args: argparse.Namespace, reader: VWReader,
                 settings: dict[str, Any], need_cache: bool) -> None:
        from fastopt._training import CacheError, CacheReader, source_fingerprint
        self.path, self.reader, self.args = path, reader, args
        self.writer = self.cache = None
        self.cache_path = None
        self.remove_cache = False
        self.trailer = None          # a valid cache's: format, bad lines
        if not need_cache:
            return
        try:
            self.fingerprint = source_fingerprint(path, settings)
        except OSError as e:
            raise _stream_error(path, e) from None
        if args.cache_file is not None:
            self.cache_path = args.cache_file
            # --invert-hash collects the names while parsing: no reuse then
            if path != "-" and os.path.exists(self.cache_path) \
                    and args.invert_hash is None:
                try:
                    self.trailer = CacheReader(self.cache_path, 1).check(self.fingerprint)
                except (CacheError, OSError, ValueError) as e:
                    if not args.quiet:
                        sys.stderr.write(f"fastopt train: rebuilding the cache: {e}\n")
        else:
            fd, self.cache_path = tempfile.mkstemp(prefix="fastopt-cache-", suffix=".bin")
            os.close(fd)
            self.remove_cache = True
        if self.trailer is not None:
            self.fmt = self.trailer["fmt"]
            self.cache = self._reader_for(self.fmt)

    def _reader_for(self, fmt: str) -> CacheReader:
        from fastopt._training import CacheReader
        n = (1 << self.reader.bits) if fmt == "vw" else self.reader.libsvm_features
        assert self.cache_path is not None, "called only when there is a cache"
        return CacheReader(self.cache_path, n)

    @property
    def fmt_known(self) -> str:
        return self.trailer["fmt"] if self.trailer is not None else self.reader.fmt

    @property
    def bad_lines(self) -> tuple[int, Optional[str]]:
        if self.trailer is not None:
            return self.trailer["bad_lines"], self.trailer["first_bad_line"]
        return self.reader.bad_lines, self.reader.first_bad_line

    def blocks(self, hint: str = _TRAIN_HINT) -> Iterator[_Block]:
        """One pass over the data, in a reader thread."""
        from fastopt._training import CacheWriter
        if self.cache is not None:
            return _ahead(self.args, _cached_blocks(self.cache))
        it = _chunks(self.path, self.reader, hint)
        if self.cache_path is not None:
            try:
                self.writer = CacheWriter(self.cache_path, self.fingerprint)
            except OSError as e:
                raise _Fail(f"cannot write the cache {self.cache_path}: "
                            f"{e.strerror or e}") from None
            it = self._then_cached(_tee_to_cache(it, self.writer, self.reader))
        return _ahead(self.args, it)

    def _then_cached(self, blocks: Iterable[_Block]) -> Iterator[_Block]:
        yield from blocks
        self.cache = self._reader_for(self.reader.fmt)   # the next pass reads it

    def close(self) -> None:
        if self.writer is not None:
            self.writer.abort()        # no-op for a finished one: its temp is gone
        if self.remove_cache and self.cache_path is not None:
            try:
                os.remove(self.cache_path)
            except OSError:
                pass


def _holdout_loss(est: _Estimator, data: _Data, row0: int,
                  args: argparse.Namespace) -> float:
    """The held-out rows' mean (weighted) loss under `est` now."""
    loss_sum, w_held, row = 0.0, 0.0, row0
    for X, y, w, ns, _line, extras in data.blocks():
        n = X.shape[0]
        mask = _held_out(row, n, args.holdout)
        row += n
        if mask is not None and mask.any():   # None: no --holdout (not called then)
            Xh, yh, wh, nsh, bh = _mask_block((X, y, w, ns, _base_margin(extras)), mask)
            loss_sum += _loss_sum(args.loss, args.quantile_tau,
                                  est._margin(Xh, nsh, bh), yh, wh)
            w_held += Xh.shape[0] if wh is None else float(wh.sum())
    return loss_sum / w_held if w_held else float("nan")


def _train(args: argparse.Namespace) -> int:
    # before FILE: --hash may hold it; from here on args.hash is the libsvm fold
    args.hash, args.hash_all = _vw_hash_options(args)
    if getattr(args, "dask", None):   # issue 13: the rounds run on a Dask cluster
        for flag, given in (("-p", args.predictions), ("--link", args.link)):
            if given is not None:
                raise _Fail(f"{flag} does not go with --dask: the partitions learn "
                            "in parallel, so no one model predicts each row before "
                            "its update (progressive predictions need one stream)")
        try:
            from fastopt.distributed.online import cli_train
        except ImportError as e:
            raise _Fail(f"--dask: {e}") from None
        return cli_train(args)
    path = args.data if args.data is not None else args.file
    interactions = _interactions(args)
    if args.test_only:
        return _test_only(args, path, interactions)
    if args.output is None:
        raise _Fail("-f/--output MODEL is required (where the model goes)")
    if args.predictions is None:
        for flag, given in (("--raw", args.raw), ("--link", args.link is not None)):
            if given:
                raise _Fail(f"{flag} goes with -p PRED (the predictions it shapes)")
    if args.early_terminate is not None and not (args.holdout and args.passes > 1):
        raise _Fail("--early-terminate needs --holdout FRACTION and --passes > 1")
    _check_output(args.output, [("FILE", path)])
    if args.predictions is not None:
        inputs = [("FILE", path)] + ([("-i", args.initial_model)]
                                     if args.initial_model else [])
        _check_output(args.predictions, inputs, name="-p")
        if (args.predictions == "-" and args.output == "-") or (
                args.predictions != "-" and (
                    same_file(args.predictions, args.output) or
                    os.path.realpath(args.predictions) == os.path.realpath(args.output))):
            raise _Fail(f"-p {args.predictions} and -f {args.output} are the same "
                        "output; give each its own")
    for flag, out in (("--readable-model", args.readable_model),
                      ("--invert-hash", args.invert_hash)):
        if out is not None:
            _check_output(out, [("FILE", path), ("MODEL", args.output)])
    if args.cache_file is not None:
        _check_output(args.cache_file, [("FILE", path), ("-f", args.output)]
                      + ([("-i", args.initial_model)] if args.initial_model else []),
                      name="--cache-file")
        if args.cache_file == "-" or same_file(args.cache_file, args.output) or (
                os.path.realpath(args.cache_file) == os.path.realpath(args.output)):
            raise _Fail(f"--cache-file {args.cache_file}: must be a file other than "
                        "the model")
    if args.n_features is not None and args.bits is not None:
        raise _Fail("give -b/--bits or --n-features, not both")
    fields = None
    if args.field_map is not None:
        if args.format == "vw":
            raise _Fail("--field-map is for libsvm input (VW text has namespaces)")
        fields = _parse_field_map(args.field_map)
    est = shown = info0 = None
    if args.initial_model is not None:
        est, info0, shown = _initial(args, interactions, fields)
        fmt = info0.get("format", "libsvm")
        bits = info0.get("bits", 18)
        libsvm_features = est.n_features_in_
        args.hash = bool(info0.get("hash", False))
        vw_hash = (bool(info0.get("hash_all", False)), info0.get("hash_seed", 0))
        if (args.hash_all or args.hash_seed) and (args.hash_all, args.hash_seed) != vw_hash:
            raise _Fail(f"--hash / --hash_seed differ from -i {args.initial_model}'s "
                        "hashing (leave them out)")
        args.hash_all, args.hash_seed = vw_hash
        constant = bool(info0.get("constant", False))
        row0 = info0.get("rows_read", 0)
        if not (isinstance(row0, int) and not isinstance(row0, bool) and row0 >= 0):
            raise _Fail(f"{args.initial_model}: info 'rows_read' must be an integer "
                        f">= 0, got {row0!r}")
    else:
        args.model = args.model or "ftrl"
        args.loss = args.loss or "logistic"
        args.quantile_tau = 0.5 if args.quantile_tau is None else args.quantile_tau
        fmt, bits = args.format, args.bits or 18
        libsvm_features = args.n_features or (2**args.bits if args.bits else 2**20)
        constant = not args.no_intercept
        row0 = 0
    binary = args.loss not in _REGRESSION
    reader = _text_reader(path, args, fmt, bits, libsvm_features, args.hash,
                          args.skip_bad_lines, binary=binary, constant=constant,
                          hash_all=args.hash_all, hash_seed=args.hash_seed,
                          extras=True,     # VW's initial predictions (and tags)
                          names=_feature_names(args, bits, libsvm_features,
                                               interactions, fields, args.hash_all))
    if args.class_weight == "balanced" and binary:
        if path == "-":
            raise _Fail("--class-weight balanced counts the classes in a first read "
                        "of FILE; standard input can be read only once")
        counts = [0, 0]     # the training rows' classes (not the held-out ones)
        row = 0
        for X, y, w, ns, _line, _extras in _chunks(path, reader, _TRAIN_HINT):
            mask = _held_out(row, X.shape[0], args.holdout)
            row += X.shape[0]
            yk = y if mask is None else y[~mask]
            counts[1] += int(np.count_nonzero(yk == 1))
            counts[0] += int(yk.shape[0] - np.count_nonzero(yk == 1))
        args.class_counts = counts
    settings = dict(fmt=fmt, bits=bits, n_features=libsvm_features, hash=args.hash,
                    hash_all=args.hash_all, hash_seed=args.hash_seed,
                    constant=constant, binary=binary, skip_bad_lines=args.skip_bad_lines,
                    max_line_bytes=args.max_line_bytes, chunk_bytes=args.chunk_bytes)
    need_cache = (args.passes > 1 or (bool(args.holdout) and path == "-")
                  or args.cache_file is not None)
    link = _resolve_link(args, args.loss) if args.predictions is not None else None
    data = _Data(path, args, reader, settings, need_cache)
    try:
        with contextlib.ExitStack() as stack:
            # the progressive predictions appear, whole, once the model is saved
            pred = None if args.predictions is None else stack.enter_context(
                atomic_output(args.predictions, "w", encoding="utf-8",
                              errors="surrogateescape", newline="\n"))
            return _train_passes(args, path, data, est, shown, info0, row0, interactions,
                                 fields, bits, (pred, link))
    except OSError as e:   # writing the predictions (reading and saving say so)
        if args.predictions is None:
            raise
        raise _Fail(f"cannot write {args.predictions}: {e.strerror or e}") from None
    finally:
        data.close()


@overload
def _learn(est: _Estimator, X: Any, y: _F64, w: Optional[_F64],
           ns: Optional[npt.NDArray[np.uint8]], base: Optional[_F64],
           args: argparse.Namespace, path: str, margins: Literal[False] = ...,
           held: Optional[_Mask] = None) -> None: ...
@overload
def _learn(est: _Estimator, X: Any, y: _F64, w: Optional[_F64],
           ns: Optional[npt.NDArray[np.uint8]], base: Optional[_F64],
           args: argparse.Namespace, path: str, margins: Literal[True],
           held: Optional[_Mask] = None) -> _F64: ...
def _learn(est: _Estimator, X: Any, y: _F64, w: Optional[_F64],
           ns: Optional[npt.NDArray[np.uint8]], base: Optional[_F64],
           args: argparse.Namespace, path: str, margins: bool = False,
           held: Optional[_Mask] = None) -> Optional[_F64]:
    """partial_fit on a block's rows (losses as the CLI trains them); with
    `margins`, returns each row's margin made by the C loop before its
    update (VW's progressive prediction), else None.  held: a mask of rows
    the C loop predicts where they stand and does not learn from."""
    kw = {} if args.loss in _REGRESSION else {"classes": [0, 1]}
    try:
        m = est._partial_fit(X, y, namespaces=ns, **kw, sample_weight=(
            _vw_gradient_weights(args.loss, w, X.shape[0])), base_margin=base,
            margins=margins, held=held)
    except FloatingPointError as e:
        raise _Fail(f"{path}: training diverged: {e}", code=1) from None
    except ValueError as e:
        raise _Fail(str(e)) from None
    return None if m is None else m[:, 0]


def _write_predictions(out: IO[str], est: _Estimator, m: _F64, link: Optional[str],
                       tags: Optional[list[Optional[bytes]]],
                       args: argparse.Namespace) -> None:
    """One block's -p lines: link(margins), each with its row's tag."""
    text = _prediction_text(est, m, False, link, args.n_threads)
    try:
        out.write(_with_tags(text, tags))
    except OSError as e:
        raise _Fail(f"cannot write {args.predictions}: {e.strerror or e}") from None


def _train_passes(args: argparse.Namespace, path: str, data: _Data,
                  est: Optional[_Estimator], shown: Optional[str],
                  info0: Optional[dict[str, Any]], row0: int,
                  interactions: Optional[list[str]], fields: Optional[_Fields], bits: int,
                  predictions: tuple[Optional[IO[str]], Optional[str]] = (None, None)
                  ) -> int:
    """The passes of `fastopt train` (the reader, the holdout, early
    stopping), the model saved and the summary printed; predictions: (the
    open -p output or None, its link)."""
    import copy
    pred_out, link = predictions
    writer: Union[SimpleNamespace, WriteBehind[_PredItem], None] = None
    if pred_out is not None:   # a block's lines are written while the next one learns
        from fastopt._training import WriteBehind

        def write(item: _PredItem) -> None:
            margins, tags = item
            assert est is not None, "a block is put after the estimator is made"
            _write_predictions(pred_out, est, margins, link, tags, args)
        writer = (SimpleNamespace(put=write, close=lambda: None, abort=lambda: None)
                  if args.no_reader_thread else WriteBehind(write))
    progress = _Progress(args.quiet, interval=args.progress_interval)
    t0 = time.perf_counter()
    trained = held = rows_read = 0
    weight_trained = 0.0
    loss_name = _loss_name(args.loss)
    n_seen0 = est.n_examples_seen_ if est is not None else 0
    holdout_losses: list[float] = []
    names: Optional[FeatureNames] = None     # --invert-hash's, from pass 1
    # (holdout loss, pass, model) with --early-terminate
    best: Optional[tuple[float, int, _Estimator]] = None
    passes_run = 0
    try:
        for p in range(1, args.passes + 1):
            row = row0
            for X, y, w, ns, _line, extras in data.blocks():
                base = _base_margin(extras)   # VW's initial predictions
                if est is None:       # the format is known from the first block
                    fmt = data.fmt_known
                    if fmt == "vw" and fields is not None:
                        raise _Fail("--field-map is for libsvm input (VW text has "
                                    "namespaces)")
                    if fmt == "libsvm" and interactions and fields is None:
                        raise _Fail("-q / --interactions on libsvm input need "
                                    "--field-map (which ids are which namespace)")
                    est, shown = _make_estimator(args, X.shape[1], interactions, fields,
                                                 fmt == "vw" and data.reader.constant)
                n = X.shape[0]
                mask = _held_out(row, n, args.holdout)
                row += n
                if mask is not None and p == 1:
                    held += int(mask.sum())
                if writer is not None:       # -p: every row's prediction, in order
                    writer.put((_learn(est, X, y, w, ns, base, args, path, margins=True,
                                       held=mask), extras.tags))
                    if mask is not None:
                        w = None if w is None else w[~mask]
                        n -= int(mask.sum())
                else:
                    if mask is not None:
                        if mask.all():
                            continue
                        if mask.any():
                            X, y, w, ns, base = _mask_block((X, y, w, ns, base), ~mask)
                    _learn(est, X, y, w, ns, base, args, path)
                trained += n
                weight_trained += n if w is None else float(w.sum())
                dt = time.perf_counter() - t0
                progress.update(
                    f"pass {p}/{args.passes}  {trained:,} rows  "
                    f"{_rate(trained, dt):,.0f} rows/s  progressive {loss_name} "
                    f"{_fmt(est.progressive_loss_)}")
            passes_run = p
            if p == 1:
                rows_read = row - row0
                # --invert-hash: names are collected in pass 1 only
                names, data.reader.names = data.reader.names, None
                bad, first_bad = data.bad_lines
                if bad:
                    progress.done()
                    sys.stderr.write(f"fastopt train: warning: skipped {bad} malformed "
                                     f"line(s); first: {first_bad}\n")
            if est is None or not est._is_fitted() \
                    or est.n_examples_seen_ == n_seen0:
                raise _Fail(f"{path}: no examples to train on"
                            + (" (all held out)" if held else ""))
            dt = time.perf_counter() - t0
            line = (f"pass {p}/{args.passes}  {trained:,} rows  "
                    f"{_rate(trained, dt):,.0f} rows/s  progressive {loss_name} "
                    f"{_fmt(est.progressive_loss_)}")
            if p == args.passes or not args.holdout:
                progress.update(line, force=True)
            if args.holdout:
                h = _holdout_loss(est, data, row0, args)
                holdout_losses.append(h)
                progress.update(f"{line}  holdout {loss_name} {_fmt(h)}", force=True)
                progress.done()
                if args.early_terminate is not None:
                    if best is None or h < best[0]:
                        best = (h, p, est if p == args.passes else copy.deepcopy(est))
                    elif p - best[1] >= args.early_terminate:
                        break
        if writer is not None and pred_out is not None:   # both or neither
            writer.close()
            try:
                pred_out.flush()     # a full disk fails here, before the model is saved
            except OSError as e:
                raise _Fail(f"cannot write {args.predictions}: {e.strerror or e}") \
                    from None
    finally:
        progress.done()
        if writer is not None:
            writer.abort()
    train_time = time.perf_counter() - t0
    # --passes >= 1 (argparse): pass 1 made the estimator or raised
    assert est is not None, "no pass ran"
    kept = passes_run
    holdout_loss: Optional[float]
    if best is not None:
        holdout_loss, kept, est = best
    else:
        holdout_loss = holdout_losses[-1] if holdout_losses else None

    fmt = data.fmt_known
    info: dict[str, Any] = dict(info0) if info0 is not None else {"hash": bool(args.hash)}
    if fmt == "vw":
        info.update(format="vw", bits=bits, constant=data.reader.constant)
        if args.hash_all or args.hash_seed:
            info.update(hash_all=args.hash_all, hash_seed=args.hash_seed)
    info["rows_read"] = row0 + rows_read      # where the holdout sequence goes on
    try:
        est.save(args.output, info=info)   # predict reads it
    except OSError as e:
        raise _Fail(f"cannot write {args.output}: {e.strerror or e}") from None
    data.reader.names = names
    _write_text_models(args, est, data.reader, bits, interactions, args.hash_all)

    nnz = int(np.count_nonzero(est.coef_))
    lines = [
        f"model:                {args.model} ({shown}"
        f"{', no intercept' if args.no_intercept else ''})",
        f"file:                 {path} ({fmt}"
        + (f", {bits} bits" if fmt == "vw" else "") + ")",
        f"rows:                 {rows_read - held} trained per pass x {passes_run} "
        f"pass{'es' if passes_run > 1 else ''} = {trained}",
    ]
    if passes_run < args.passes:
        lines.append(f"early stop:           after pass {passes_run} of {args.passes}: "
                     f"no lower holdout {loss_name} for {args.early_terminate} "
                     f"pass{'es' if args.early_terminate > 1 else ''}")
    if weight_trained != trained:
        lines.append(f"importance weight:    {weight_trained:g} in all")
    if args.holdout:
        lines.append(f"held out:             {held} ({args.holdout:g} of the rows)")
    bad, _first = data.bad_lines
    if bad:
        lines.append(f"skipped lines:        {bad}")
    lines += [
        f"seconds:              {train_time:.3f}",
        f"rows/s:               {_rate(trained, train_time):.0f}",
        f"{'progressive ' + loss_name + ':':<21} {_fmt(est.progressive_loss_)}",
    ]
    if len(holdout_losses) > 1:
        lines.append(f"{'holdout per pass:':<21} "
                     + " ".join(_fmt(h) for h in holdout_losses))
    if holdout_loss is not None:
        lines.append(f"{'holdout ' + loss_name + ':':<21} {_fmt(holdout_loss)}"
                     + ("" if held else " (no rows held out)")
                     + (f" (the model of pass {kept}, saved)" if best is not None else ""))
    lines += [
        f"non-zero weights:     {nnz} of {est.n_features_in_}",
        f"saved:                {'stdout' if args.output == '-' else args.output}",
    ]
    # the model or the predictions may be on stdout
    print("\n".join(lines), file=sys.stderr if "-" in (args.output, args.predictions)
          else sys.stdout)
    return 0


def _test_only(args: argparse.Namespace, path: str,
               interactions: Optional[list[str]]) -> int:
    """`fastopt train -t -i MODEL`: VW's test-only run -- no learning;
    predictions (-p) and the loss / AUC of the labeled rows."""
    if args.initial_model is None:
        raise _Fail("-t (test only) needs -i MODEL, the model to test")
    for flag, bad in (("-f/--output", args.output is not None),
                      ("--passes", args.passes > 1), ("--holdout", bool(args.holdout)),
                      ("--early-terminate", args.early_terminate is not None),
                      ("--cache-file", args.cache_file is not None)):
        if bad:
            raise _Fail(f"{flag} does not go with -t (test only: nothing is learned)")
    args.model, args.model_opt = args.initial_model, None
    args.output = args.predictions
    args.file, args.data = path, None
    if args.format == "auto":
        args.format = None
    if not args.hash:
        args.hash = None                  # as the model was trained
    if args.n_threads == 1:
        args.n_threads = None             # predictions: every usable CPU
    return _predict(args)


def train(args: argparse.Namespace) -> int:
    """`fastopt train`; returns the exit status."""
    return _run("train", _train, args)


# -- predict -------------------------------------------------------------------

def _load_model(path: str) -> tuple[_Estimator, dict[str, Any]]:
    """(estimator, info) of a model file, every field checked; a bad one is
    a one-line "MODEL: reason" error."""
    from fastopt.online._base import read_model
    try:
        est, info = read_model(path)
    except FileNotFoundError:
        raise _Fail(f"{path}: no such file") from None
    except IsADirectoryError:
        raise _Fail(f"{path}: is a directory") from None
    except OSError as e:
        raise _Fail(f"{path}: {e.strerror or e}") from None
    except ValueError as e:   # "MODEL: reason"
        raise _Fail(str(e)) from None
    if not isinstance(info.get("hash", False), bool):
        raise _Fail(f"{path}: info 'hash' must be true or false, got {info['hash']!r}")
    fmt = info.get("format", "libsvm")
    if fmt not in ("vw", "libsvm"):
        raise _Fail(f"{path}: info 'format' must be 'vw' or 'libsvm', got {fmt!r}")
    if fmt == "vw":
        bits = info.get("bits")
        if not (isinstance(bits, int) and not isinstance(bits, bool) and 1 <= bits <= 32
                and est.n_features_in_ == 1 << bits):
            raise _Fail(f"{path}: info 'bits' must be the model's log2(n_features), "
                        f"got {bits!r}")
        if not isinstance(info.get("constant", False), bool):
            raise _Fail(f"{path}: info 'constant' must be true or false, got "
                        f"{info['constant']!r}")
        if not isinstance(info.get("hash_all", False), bool):
            raise _Fail(f"{path}: info 'hash_all' must be true or false, got "
                        f"{info['hash_all']!r}")
        seed = info.get("hash_seed", 0)
        if not (isinstance(seed, int) and not isinstance(seed, bool)
                and 0 <= seed < 2**32):
            raise _Fail(f"{path}: info 'hash_seed' must be an int in [0, 2**32), got "
                        f"{seed!r}")
    return est, info


def _with_tags(text: bytes, tags: Optional[Sequence[Optional[bytes]]]) -> str:
    """The prediction lines (bytes, one per row) as str, each followed by
    its row's tag as VW's -p writes them ('0.25 tag'); tags None or all
    None: the lines as they are.  Python touches the tagged rows only."""
    tagged = None if tags is None else np.flatnonzero(np.fromiter(
        map(operator.is_not, tags, itertools.repeat(None)), dtype=bool, count=len(tags)))
    # (tagged is None exactly when tags is)
    if tags is not None and tagged is not None and tagged.size:
        # numbers or labels; tags byte for byte
        ends = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10)[tagged].tolist()
        pieces: list[bytes] = []
        prev = 0
        for r, e in zip(tagged.tolist(), ends):
            tag = tags[r]
            if tag is not None:      # always: r is a tagged row
                pieces += (text[prev:e], b" ", tag)
                prev = e
        pieces.append(text[prev:])
        text = b"".join(pieces)
    return text.decode("utf-8", "surrogateescape")


def _resolve_link(args: argparse.Namespace, loss: str,
                  multi: bool = False) -> Optional[str]:
    """The link of the -p output: --link, or identity for --raw, or the
    model's own (logistic: P(y = 1); poisson: exp(m); else the margin).
    None for a multi-class model's default (its labels).  A conflicting
    combination is a one-line error naming both flags."""
    link: Optional[str] = getattr(args, "link", None)    # not on predict -t
    if link is not None:
        if args.raw and link != "identity":
            raise _Fail(f"--raw and --link {link} exclude each other (--raw is "
                        "--link identity)")
        if getattr(args, "probabilities", False):
            raise _Fail(f"--probabilities and --link {link} exclude each other "
                        "(every class's probability, or one value per row)")
        if multi and link != "identity":
            raise _Fail(f"--link {link}: a multi-class (one-vs-rest) model writes "
                        "its labels, or its K margins with --link identity")
        return link
    if args.raw:
        return "identity"
    if multi:
        return None
    return {"logistic": "logistic", "poisson": "poisson"}.get(loss, "identity")


def _linked(m: _F64, link: Optional[str]) -> _F64:
    """VW's link functions of margins m."""
    if link == "logistic":
        return 1.0 / (1.0 + np.exp(-m))
    if link == "glf1":
        return 2.0 / (1.0 + np.exp(-m)) - 1.0
    if link == "poisson":
        return np.exp(m)
    return m


def _prediction_text(est: _Estimator, m: _F64, probabilities: bool,
                     link: Optional[str], threads: int) -> bytes:
    """The output lines (bytes) of margins m: '%.9g' values formatted in C
    (fastopt/_format.pxi) of link(m) (_resolve_link; a multi-class model's
    K margins per line for identity); with `probabilities` every class's
    probability, space-separated -- or a multi-class model's predicted
    labels (link None)."""
    from fastopt._kernels import format_g9
    if probabilities or (link is not None and m.ndim == 2):
        if probabilities:
            from fastopt.online.estimators import _Classifier
            # _predict checked that est is a classifier
            assert isinstance(est, _Classifier)
            p = est._proba(m)
        else:
            p = m
        k = p.shape[1]
        text = np.frombuffer(format_g9(np.ascontiguousarray(p.reshape(-1)), threads),
                             dtype=np.uint8).copy()
        ends = np.flatnonzero(text == ord("\n"))
        text[ends[np.arange(ends.shape[0]) % k != k - 1]] = ord(" ")
        return text.tobytes()
    if m.ndim == 2:    # one-vs-rest: the class of the largest margin
        names = np.array([str(c) for c in est.classes_.tolist()], dtype=object)
        labels = names[np.argmax(m, axis=1)]
        return ("\n".join(labels.tolist()) + "\n").encode("utf-8") if len(labels) else b""
    return format_g9(np.ascontiguousarray(_linked(m, link), dtype=np.float64), threads)


def _predict(args: argparse.Namespace) -> int:
    # -- training control (issue 12 item 5): -i MODEL, -t, --raw, --n-threads --
    test_only = getattr(args, "test_only", False)
    if getattr(args, "model_opt", None) is not None:     # -i MODEL: FILE is the positional
        if args.model is not None and args.file != "-":
            raise _Fail("give MODEL as -i MODEL or as the first argument, not both")
        if args.model is not None:
            args.file = args.model
        args.model = args.model_opt
    if args.model is None:
        raise _Fail("MODEL is required (fastopt predict MODEL [FILE], or -i MODEL)")
    path = args.data if args.data is not None else args.file
    output = args.output                 # None: no predictions written (train -t)
    if output is not None:
        _check_output(output, [("MODEL", args.model), ("FILE", path)])
    est, info = _load_model(args.model)
    if args.hash is None:
        args.hash = info.get("hash", False)
    trained_on = info.get("format", "libsvm")
    fmt = args.format or trained_on
    if fmt not in ("auto", trained_on):
        raise _Fail(f"{args.model} was trained on {trained_on} input; --format {fmt} "
                    "would give its columns another meaning")
    fmt = trained_on if fmt == "auto" else fmt
    bits = info.get("bits", 18)
    if getattr(args, "bits", None) is not None and fmt == "vw" and args.bits != bits:
        raise _Fail(f"-b {args.bits} differs from {args.model}'s {bits} bits")
    if fmt == "vw" and est.n_features_in_ != 1 << bits:
        raise _Fail(f"{args.model}: a model of {est.n_features_in_} features is not "
                    "one of VW text's 2**bits")
    vw = {}
    if fmt == "vw":   # as training hashed; initial predictions and tags, as VW
        vw = dict(hash_all=info.get("hash_all", False), hash_seed=info.get("hash_seed", 0),
                  extras=True)
    classes = getattr(est, "classes_", None)
    multi = classes is not None and len(classes) > 2
    probabilities = getattr(args, "probabilities", False)    # not on train -t
    if probabilities and (classes is None or est.loss != "logistic"):
        raise _Fail(f"--probabilities: {args.model} is not a classifier with the "
                    f"logistic loss (loss {est.loss!r})")
    if probabilities and args.raw:
        raise _Fail("--probabilities and --raw exclude each other (probabilities "
                    "or margins)")
    link = _resolve_link(args, est.loss, multi)
    if test_only and multi and not all(isinstance(c, (int, float, np.integer,
                                                      np.floating))
                                       for c in est.classes_.tolist()):
        raise _Fail(f"-t: {args.model}'s classes are not numbers; a file's labels "
                    "(numbers) cannot name them")
    # a multi-class model's files carry class labels, not 0/1 (ignored here)
    reader = _text_reader(path, args, fmt, bits, est.n_features_in_, args.hash,
                          binary=est.loss not in _REGRESSION and not multi,
                          allow_unlabeled=True,
                          constant=bool(info.get("constant", False)), **vw)
    to_stdout = output == "-"
    from fastopt._threads import effective_n_threads
    threads = effective_n_threads(getattr(args, "n_threads", None))
    if est.n_threads != threads:
        est.set_params(n_threads=threads)    # predictions only: not saved
    progress = _Progress(args.quiet, interval=args.progress_interval)
    t0 = time.perf_counter()
    rows = 0
    scored = []                          # -t: (margins, labels, weights) per block
    hint = " (the model's n_features)" if not args.hash else ""
    try:
        # tags are written back byte for byte (surrogateescape)
        with contextlib.ExitStack() as stack:
            out = (stack.enter_context(atomic_output(output, "w", encoding="utf-8",
                                                     errors="surrogateescape",
                                                     newline="\n"))
                   if output is not None else None)
            for X, y, w, ns, _line, *extras in _ahead(args, _chunks(path, reader, hint)):
                try:
                    m = est._margin(X, ns)
                except ValueError as e:
                    raise _Fail(f"{path}: {e}") from None
                if extras and np.any(extras[0].initial):
                    if multi:
                        r = rows + 1 + int(np.flatnonzero(extras[0].initial)[0])
                        raise _Fail(f"{path}: row {r}: a multi-class model takes no "
                                    "VW initial prediction")
                    m = m + extras[0].initial   # VW text: initial predictions add to w . x
                if out is not None:
                    text = _prediction_text(est, m, probabilities, link, threads)
                    out.write(_with_tags(text, extras[0].tags if extras else None))
                if test_only:
                    if multi:      # before the predictions are kept
                        _check_classes(est, y, rows, path)
                    scored.append((m, y, w))
                rows += X.shape[0]
                progress.update(f"{rows:,} rows  "
                                f"{_rate(rows, time.perf_counter() - t0):,.0f} rows/s")
    except OSError as e:   # writing
        raise _Fail(f"cannot write {output}: {e.strerror or e}") from None
    finally:
        progress.done()
    dt = time.perf_counter() - t0
    msg = (f"predicted {rows} rows in {dt:.3f} s ({_rate(rows, dt):.0f} rows/s)"
           + ("" if output is None or to_stdout else f": {output}"))
    lines = [msg]
    if test_only:
        lines += (_multiclass_metrics(est, scored) if multi
                  else _test_metrics(est, scored))
    print("\n".join(lines), file=sys.stderr if to_stdout else sys.stdout)
    return 0


def _labeled(scored: Sequence[_Scored]) -> Optional[_Scored]:
    """The margins, labels and weights (None: all 1) of -t's labeled rows,
    from the (margins, labels, weights) of each block; None when none."""
    if not scored:
        return None
    m = np.concatenate([s[0] for s in scored])
    y = np.concatenate([s[1] for s in scored])
    w = (None if all(s[2] is None for s in scored) else
         np.concatenate([np.ones(s[0].shape[0]) if s[2] is None else s[2]
                         for s in scored]))
    labeled = ~np.isnan(y)
    if not labeled.any():
        return None
    return m[labeled], y[labeled], None if w is None else w[labeled]


def _check_classes(est: _Estimator, y: _F64, rows: int, path: str) -> None:
    """-t on a multi-class model: every labeled row's label (a number) must
    be one of the model's classes; `rows` rows came before this block."""
    classes = np.asarray(est.classes_.tolist(), dtype=np.float64)
    labeled = ~np.isnan(y)
    unknown = labeled & ~np.isin(y, classes)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise _Fail(f"{path}: row {rows + i + 1}: label {y[i]:g} is not one of the "
                    f"model's classes {', '.join(f'{c:g}' for c in classes)}")


def _multiclass_metrics(est: _Estimator, scored: Sequence[_Scored]) -> list[str]:
    """The summary lines of -t for a multi-class (one-vs-rest) model: the
    labeled rows' multi-class log loss -- the mean of -log p(true class)
    under predict_proba's probabilities -- and accuracy (the largest
    margin's class, as predict), both importance weighted."""
    from fastopt.online.estimators import _Classifier
    assert isinstance(est, _Classifier)     # multi-class: a classifier
    rows = _labeled(scored)
    if rows is None:
        return ["labeled rows:         0 (no loss or accuracy)"]
    m, y, w = rows
    classes = np.asarray(est.classes_.tolist(), dtype=np.float64)
    true = np.argmax(y[:, None] == classes[None, :], axis=1)   # _check_classes: one hits
    p = est._proba(m)[np.arange(true.shape[0]), true]
    eps = np.finfo(np.float64).eps          # scikit-learn's log_loss clips so
    nll = -np.log(np.clip(p, eps, 1.0))
    right = (np.argmax(m, axis=1) == true).astype(np.float64)
    weight = float(m.shape[0] if w is None else w.sum())

    def mean(v: _F64) -> float:
        return float(np.sum(v if w is None else w * v)) / weight if weight else math.nan

    return [f"labeled rows:         {m.shape[0]}",
            f"{'test logloss:':<21} {_fmt(mean(nll))} (multi-class, {len(classes)} "
            "classes)",
            f"{'test accuracy:':<21} {_fmt(mean(right))}"]


def _test_metrics(est: _Estimator, scored: Sequence[_Scored]) -> list[str]:
    """The summary lines of -t: the labeled rows' mean loss (importance
    weighted) and, for a classifier, the AUC of the margins."""
    from fastopt._training import binary_auc
    rows = _labeled(scored)
    if rows is None:
        return ["labeled rows:         0 (no loss or AUC)"]
    m, y, w = rows
    n = m.shape[0]
    weight = float(n if w is None else w.sum())
    name = _loss_name(est.loss)
    loss = _loss_sum(est.loss, getattr(est, "quantile_tau", 0.5), m, y, w)
    lines = [f"labeled rows:         {n}",
             f"{'test ' + name + ':':<21} {_fmt(loss / weight if weight else math.nan)}"]
    if est._is_classifier:
        lines.append(f"{'test AUC:':<21} {_fmt(binary_auc(m, y, w))}")
    return lines


def predict(args: argparse.Namespace) -> int:
    """`fastopt predict`; returns the exit status."""
    return _run("predict", _predict, args)
