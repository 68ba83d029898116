"""Plain numpy twins of fastopt.glm, written from the formulas (in float64
whatever X's dtype: the kernels compute in double)."""
import numpy as np
import scipy.sparse as sp


def _split(w, d, fit_intercept):
    return (w[:d], w[d]) if fit_intercept else (w, 0.0)


def _dense(X):
    return (X.toarray() if sp.issparse(X) else np.asarray(X)).astype(np.float64)


def loss_terms(loss, m, y):
    """l(m; y), l'(m; y), l''(m)."""
    if loss == "logistic":
        p = 1.0 / (1.0 + np.exp(-m))
        return np.logaddexp(0.0, m) - y * m, p - y, p * (1.0 - p)
    if loss == "squared":
        return 0.5 * (m - y) ** 2, m - y, np.ones_like(m)
    if loss == "poisson":
        return np.exp(m) - y * m, np.exp(m) - y, np.exp(m)
    raise ValueError(loss)


def loss_grad(w, X, y, loss, sample_weight=None, fit_intercept=False):
    X = _dense(X)
    coef, b = _split(np.asarray(w, float), X.shape[1], fit_intercept)
    m = X @ coef + b
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    l, dl, _ = loss_terms(loss, m, np.asarray(y, float))
    r = s * dl
    g = X.T @ r
    return float(np.sum(s * l)), (np.append(g, r.sum()) if fit_intercept else g)


def hessp(w, v, X, loss, sample_weight=None, fit_intercept=False):
    X = _dense(X)
    d = X.shape[1]
    coef, b = _split(np.asarray(w, float), d, fit_intercept)
    vc, vb = _split(np.asarray(v, float), d, fit_intercept)
    m = X @ coef + b
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    _, _, c = loss_terms(loss, m, np.zeros_like(m))
    t = s * c * (X @ vc + vb)
    h = X.T @ t
    return np.append(h, t.sum()) if fit_intercept else h
