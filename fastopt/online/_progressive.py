"""Progressive validation of the online classifiers: the logloss and the
ROC AUC of each example's prediction made *before* the model learned on it
(Blum, Kalai & Langford 1999; what Vowpal Wabbit reports as "average loss").

The C loop hands back each row's margins before its update (one per
one-vs-rest model); this module turns them into running sums:

- logloss: binary, log(1 + e^m) - y m (the logistic loss of the margin);
  multi-class, -log p_y with p the one-vs-rest probabilities normalised over
  the classes (scikit-learn's SGDClassifier.predict_proba), clipped below at
  the float64 epsilon as sklearn.metrics.log_loss clips;
- AUC: a weighted histogram of the scores of positives and negatives per
  class, in _BINS equal bins of the score over [-_SPAN, _SPAN] (scores
  beyond go to the end bins).  The score is the margin (binary) or the
  logit of the normalised probability of the class (multi-class with the
  logistic loss; the raw margin with the hinge loss): both are monotone in
  what scikit-learn's roc_auc_score ranks, so the histogram's AUC differs
  from the exact one only by the pairs that share a bin (counted 1/2, as
  exact ties are).  That error is at most half the weight of the (positive,
  negative) pairs in one bin -- `auc_bound` computes it -- and the bins are
  1/256 wide in margin.  Multi-class AUC is the unweighted mean over the
  classes of the one-vs-rest AUCs (roc_auc_score's multi_class="ovr",
  average="macro"), over the classes seen both as positive and negative.

Memory: 2 x _BINS float64 (256 KiB) per one-vs-rest problem, fixed.

The sums are accumulated row after row (np.add.accumulate, np.add.at), so
they do not depend on how the rows were split into calls: a model saved
(to_arrays) and loaded (from_arrays) between two calls goes on to the same
bits as one that never stopped.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
import numpy.typing as npt
from scipy.special import expit

_BINS = 1 << 14
_SPAN = 32.0
_SCALE = _BINS / (2 * _SPAN)
_EPS = float(np.finfo(np.float64).eps)


def _bin(score: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """The histogram bin of each score (array)."""
    b = np.floor((np.clip(score, -_SPAN, _SPAN) + _SPAN) * _SCALE).astype(np.intp)
    return np.minimum(b, _BINS - 1)


def ovr_proba(margins: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """scikit-learn's one-vs-rest probabilities of the (n, K) margins:
    sigmoid of each, normalised over the classes (uniform where every
    sigmoid underflows to 0)."""
    p: npt.NDArray[np.float64] = expit(margins)
    s: npt.NDArray[np.float64] = p.sum(axis=1)
    zero = s == 0
    if zero.any():
        p[zero] = 1.0
        s[zero] = p.shape[1]
    return p / s[:, None]


def _running_sum(total: float, values: npt.NDArray[np.float64]) -> float:
    """total + values[0] + values[1] + ..., added in that order (the same
    bits however the values are split into calls)."""
    if values.shape[0] == 0:
        return total
    return float(np.add.accumulate(np.concatenate(([total], values)))[-1])


def _bin_one(score: float) -> int:
    """_bin of one float, in plain Python."""
    b = int((min(max(score, -_SPAN), _SPAN) + _SPAN) * _SCALE)
    return b if b < _BINS else _BINS - 1


class Progressive:
    """Running progressive logloss and AUC of a classifier with n_classes
    classes (n_models = 1 for two classes, else n_classes); `logistic`:
    whether the loss gives probabilities (the logloss and the probability
    scores need them)."""

    def __init__(self, n_classes: int, logistic: bool) -> None:
        self.n_classes = int(n_classes)
        self.logistic = bool(logistic)
        problems = self.hist_size(self.n_classes) // (2 * _BINS)
        self.hist = np.zeros((problems, 2, _BINS))   # [problem, negative/positive, bin]
        self.logloss_sum = 0.0
        self.weight_sum = 0.0

    @staticmethod
    def hist_size(n_classes: int) -> int:
        """The entries of the histograms of n_classes classes: 2 x _BINS
        per problem (1 problem for two classes, else n_classes)."""
        return (1 if n_classes == 2 else n_classes) * 2 * _BINS

    def to_arrays(self) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64],
                                 npt.NDArray[np.float64]]:
        """(bins, counts, sums) as a model file keeps them: the increasing
        flat indices of the histogram entries with any bit set, those
        entries, and [logloss_sum, weight_sum]."""
        flat = self.hist.reshape(-1)
        bins = np.flatnonzero(flat.view(np.uint64) != 0)
        return (bins.astype(np.uint32), flat[bins].copy(),
                np.array([self.logloss_sum, self.weight_sum]))

    @classmethod
    def from_arrays(cls, n_classes: int, logistic: bool, bins: npt.NDArray[Any],
                    counts: npt.NDArray[np.float64],
                    sums: npt.NDArray[np.float64]) -> Progressive:
        """The Progressive to_arrays saved (the arrays checked by the
        caller: bins increasing in range, counts and sums finite >= 0)."""
        prog = cls(n_classes, logistic)
        prog.hist.reshape(-1)[bins.astype(np.intp)] = counts
        prog.logloss_sum, prog.weight_sum = float(sums[0]), float(sums[1])
        return prog

    def _scores(self, margins: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], Optional[npt.NDArray[np.float64]]]:
        """(n, problems) scores and, multi-class, the probabilities."""
        if margins.shape[1] == 1:
            return margins, None
        if not self.logistic:
            return margins, None
        p = ovr_proba(margins)
        with np.errstate(divide="ignore"):
            return np.log(p) - np.log1p(-p), p

    def update(self, margins: npt.NDArray[np.float64], cls: npt.NDArray[Any],
               weights: Optional[npt.ArrayLike]) -> None:
        """Add rows: margins (n, n_models) before their updates, cls (n,)
        their class indices, weights (n,) or None."""
        n = margins.shape[0]
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        cls = cls.astype(np.intp)
        scores, p = self._scores(margins)
        if self.logistic:
            if margins.shape[1] == 1:
                m = margins[:, 0]
                ll = np.logaddexp(0.0, m) - cls * m
            else:
                assert p is not None      # multi-class logistic: probabilities
                ll = -np.log(np.maximum(p[np.arange(n), cls], _EPS))
            self.logloss_sum = _running_sum(self.logloss_sum, w * ll)
        self.weight_sum = _running_sum(self.weight_sum, w)
        bins = _bin(scores)
        if scores.shape[1] == 1:
            np.add.at(self.hist[0], (cls, bins[:, 0]), w)
        else:
            for k in range(scores.shape[1]):
                np.add.at(self.hist[k], ((cls == k).astype(np.intp), bins[:, k]), w)

    def update_one(self, margins: list[float], cls: int, w: float) -> None:
        """update() for one row in plain Python (learn_one's cost): margins
        a list of n_models floats, cls the class index, w the weight."""
        self.weight_sum += w
        if len(margins) == 1:
            m = margins[0]
            if self.logistic:
                self.logloss_sum += w * ((m if m > 0 else 0.0)
                                         + math.log1p(math.exp(-abs(m))) - cls * m)
            # _bin_one(m), inlined: the binary case is learn_one's per-call cost
            b = int(((-_SPAN if m < -_SPAN else _SPAN if m > _SPAN else m) + _SPAN) * _SCALE)
            self.hist[0, cls, b if b < _BINS else _BINS - 1] += w
            return
        if not self.logistic:
            for k, m in enumerate(margins):
                self.hist[k, int(k == cls), _bin_one(m)] += w
            return
        p = [1.0 / (1.0 + math.exp(-m)) if m > -700 else 0.0 for m in margins]
        s = sum(p)
        p = [v / s for v in p] if s > 0 else [1.0 / len(p)] * len(p)
        self.logloss_sum += -w * math.log(max(p[cls], _EPS))
        for k, v in enumerate(p):
            score = _SPAN if v >= 1.0 else -_SPAN if v <= 0.0 else \
                math.log(v) - math.log1p(-v)
            self.hist[k, int(k == cls), _bin_one(score)] += w

    @property
    def logloss(self) -> float:
        return self.logloss_sum / self.weight_sum if self.weight_sum > 0 else math.nan

    def _aucs(self) -> list[tuple[float, float]]:
        """Per problem: (AUC, error bound), NaN where a class is missing."""
        out = []
        for neg, pos in self.hist:
            P, N = pos.sum(), neg.sum()
            if P <= 0 or N <= 0:
                out.append((math.nan, math.nan))
                continue
            below = np.cumsum(neg) - neg
            auc = float(np.dot(pos, below + 0.5 * neg)) / (P * N)
            out.append((auc, 0.5 * float(np.dot(pos, neg)) / (P * N)))
        return out

    @property
    def auc(self) -> float:
        aucs = [a for a, _ in self._aucs() if not math.isnan(a)]
        return float(np.mean(aucs)) if aucs else math.nan

    @property
    def auc_bound(self) -> float:
        """The largest |histogram AUC - exact AUC| the bins allow."""
        b = [e for a, e in self._aucs() if not math.isnan(a)]
        return float(np.mean(b)) if b else math.nan
