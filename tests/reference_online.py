"""Plain-Python twins of the online learners, written from the papers:
FTRL-Proximal as McMahan et al. (2013), Algorithm 1, and l1-RDA as Xiao
(2010), example by example.  Independent of fastopt's C code."""
import math

import numpy as np


def _rows(X):
    for r in range(X.shape[0]):
        lo, hi = X.indptr[r], X.indptr[r + 1]
        yield X.indices[lo:hi].tolist(), X.data[lo:hi].astype(np.float64).tolist()


def _loss(loss, margin, y, tau=0.5):
    """The loss of a margin against a label (0/1 for logistic and hinge)."""
    if loss in ("squared", "squared_vw"):
        return (margin - y) ** 2
    if loss == "hinge":
        return max(0.0, 1.0 - (2 * y - 1) * margin)
    if loss == "quantile":
        r = y - margin
        return tau * r if r >= 0 else (tau - 1) * r
    if loss == "poisson":
        return math.exp(margin) - y * margin + math.lgamma(y + 1)
    return max(margin, 0.0) + math.log1p(math.exp(-abs(margin))) - y * margin


def _dloss(loss, margin, y, tau=0.5):
    """d loss / d margin, written from the formulas (the squared loss's
    of (m - y)^2 / 2, as fastopt and McMahan's regression use;
    "squared_vw": VW's, of (m - y)^2)."""
    if loss == "squared":
        return margin - y
    if loss == "squared_vw":
        return 2.0 * (margin - y)
    if loss == "hinge":
        s = 2 * y - 1
        return -s if s * margin < 1 else 0.0
    if loss == "quantile":
        r = y - margin
        return -tau if r > 0 else (1 - tau) if r < 0 else 0.0
    if loss == "poisson":
        return math.exp(margin) - y
    return 1.0 / (1.0 + math.exp(-margin)) - y


class FTRLTwin:
    def __init__(self, d, alpha, beta, l1, l2, fit_intercept=True, loss="logistic",
                 tau=0.5):
        self.d, self.alpha, self.beta, self.l1, self.l2 = d, alpha, beta, l1, l2
        self.fit_intercept, self.loss, self.tau = fit_intercept, loss, tau
        self.z = [0.0] * (d + 1)
        self.n = [0.0] * (d + 1)
        self.loss_sum, self.seen = 0.0, 0

    def weight(self, i):
        l1, l2 = (0.0, 0.0) if i == self.d else (self.l1, self.l2)
        z = self.z[i]
        if abs(z) <= l1:
            return 0.0
        return -(z - math.copysign(l1, z)) / ((self.beta + math.sqrt(self.n[i])) / self.alpha + l2)

    def margin(self, feats):
        return sum(self.weight(i) * x for i, x in feats)

    def feats(self, idx, val):
        return list(zip(idx, val)) + ([(self.d, 1.0)] if self.fit_intercept else [])

    def fit(self, X, y, sample_weight=None, base_margin=None):
        """Example by example; sample_weight multiplies each row's loss and
        gradient (an importance weight, as VW's); base_margin adds to each
        row's margin before the loss and its gradient (VW's initial
        prediction)."""
        w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        b = np.zeros(X.shape[0]) if base_margin is None else base_margin
        for (idx, val), yr, wr, br in zip(_rows(X), y, w, b):
            feats = self.feats(idx, val)
            m = br + self.margin(feats)
            self.loss_sum += wr * _loss(self.loss, m, yr, self.tau)
            self.seen += 1
            err = wr * _dloss(self.loss, m, yr, self.tau)
            for i, x in feats:
                g = err * x
                w = self.weight(i)
                sigma = (math.sqrt(self.n[i] + g * g) - math.sqrt(self.n[i])) / self.alpha
                self.z[i] += g - sigma * w
                self.n[i] += g * g
        return self

    def decision_function(self, X):
        return np.array([self.margin(self.feats(idx, val)) for idx, val in _rows(X)])

    def weights(self):
        return np.array([self.weight(i) for i in range(self.d + 1)])


class RDATwin:
    def __init__(self, d, l1, gamma, rho=0.0, fit_intercept=True, loss="logistic"):
        self.d, self.l1, self.gamma, self.rho = d, l1, gamma, rho
        self.fit_intercept, self.loss = fit_intercept, loss
        self.G = [0.0] * (d + 1)
        self.t = 0
        self.loss_sum, self.seen = 0.0, 0

    def weight(self, i):
        if self.t == 0:
            return 0.0
        l1, rho = (0.0, 0.0) if i == self.d else (self.l1, self.rho)
        gbar = self.G[i] / self.t
        lam = l1 + self.gamma * rho / math.sqrt(self.t)
        if abs(gbar) <= lam:
            return 0.0
        return -(math.sqrt(self.t) / self.gamma) * (gbar - math.copysign(lam, gbar))

    def feats(self, idx, val):
        return list(zip(idx, val)) + ([(self.d, 1.0)] if self.fit_intercept else [])

    def fit(self, X, y, sample_weight=None, base_margin=None):
        w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        b = np.zeros(X.shape[0]) if base_margin is None else base_margin
        for (idx, val), yr, wr, br in zip(_rows(X), y, w, b):
            feats = self.feats(idx, val)
            m = br + sum(self.weight(i) * x for i, x in feats)
            self.loss_sum += wr * _loss(self.loss, m, yr)
            self.seen += 1
            err = wr * _dloss(self.loss, m, yr)
            for i, x in feats:
                self.G[i] += err * x
            self.t += 1
        return self

    def decision_function(self, X):
        return np.array([sum(self.weight(i) * x for i, x in self.feats(idx, val))
                         for idx, val in _rows(X)])

    def weights(self):
        return np.array([self.weight(i) for i in range(self.d + 1)])


def cross_columns(X, fields, interactions, d):
    """X with the crossed features of `interactions` appended to every row
    as explicit entries (materialised: the twin of what the C loop
    generates per example), columns hashed as VW does -- (FNV * i1) ^ i2,
    (FNV * ((FNV * i1) ^ i2)) ^ i3 -- folded into [0, d).  fields: {ns:
    [(start, stop)]}; other columns are namespace ' '.  A term repeating a
    namespace takes each unordered combination once (with itself)."""
    import scipy.sparse as sp
    FNV = 16777619

    def ns_of(j):
        for ns, ranges in fields.items():
            if any(lo <= j < hi for lo, hi in ranges):
                return ns
        return " "

    def fold(h):
        h &= 0xFFFFFFFFFFFFFFFF
        return h & (d - 1) if d & (d - 1) == 0 else h % d

    rows, cols, vals = [], [], []
    for r, (idx, val) in enumerate(_rows(X)):
        entries = list(zip(idx, val))
        by_ns = {}
        for j, x in entries:
            by_ns.setdefault(ns_of(j), []).append((j, x))
        out = list(entries)
        for term in interactions:
            lists = [by_ns.get(c, []) for c in term]
            if len(term) == 2:
                for p, (i1, x1) in enumerate(lists[0]):
                    for (i2, x2) in lists[1][p if term[0] == term[1] else 0:]:
                        out.append((fold(((FNV * i1) & 0xFFFFFFFFFFFFFFFF) ^ i2), x1 * x2))
            else:
                for p, (i1, x1) in enumerate(lists[0]):
                    q0 = p if term[0] == term[1] else 0
                    for q, (i2, x2) in enumerate(lists[1][q0:], start=q0):
                        h2 = (FNV * (((FNV * i1) & 0xFFFFFFFFFFFFFFFF) ^ i2)) \
                            & 0xFFFFFFFFFFFFFFFF
                        for (i3, x3) in lists[2][q if term[1] == term[2] else 0:]:
                            out.append((fold(h2 ^ i3), x1 * x2 * x3))
        for j, x in out:
            rows.append(r)
            cols.append(j)
            vals.append(x)
    # duplicates kept as separate entries, in order (coo -> csr would sum them)
    indptr = np.searchsorted(np.asarray(rows), np.arange(X.shape[0] + 1))
    return sp.csr_matrix((np.asarray(vals, dtype=np.float64), np.asarray(cols, np.int64),
                          indptr), shape=(X.shape[0], d))
