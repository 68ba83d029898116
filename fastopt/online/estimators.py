"""FTRLClassifier, FTRLRegressor, RDAClassifier."""
import numpy as np

from fastopt import _kernels
from fastopt.online._base import OnlineLinearModel, _check_real


_COMMON_DOC = """
    Losses, weights and interactions (all estimators):
    loss: the classifiers take "logistic" (default) or "hinge" (no
    predict_proba), FTRLRegressor "squared" (default), "quantile" (with
    quantile_tau) or "poisson" (predicts exp(w . x)); csrc/online.inc has
    each loss and its gradient.  fit / partial_fit take sample_weight
    (importance weights: each row's gradient and loss times its weight);
    the classifiers also take class_weight (None, "balanced" -- n_samples /
    (2 * count(class)), fit only -- or {label: weight}), multiplied into
    the row weights.  Negatives downsampled at rate r are recalibrated by
    class_weight={negative: 1 / r}, or afterwards by adding log(r) to the
    margin.
    interactions: VW's -q / --interactions, e.g. ["ab"], ["ab", "abc"] or
    ["::"] (every pair of namespaces): crossed features generated per
    example in C, hashed as VW does and folded into the n_features columns;
    each entry's namespace comes from namespaces= (fit, partial_fit and the
    predictions; fastopt.vw yields it) or from fields= ({namespace:
    [[start, stop], ...]} column ranges; other columns are namespace " ").
"""


class _Classifier(OnlineLinearModel):
    _losses = ("logistic", "hinge")
    _is_classifier = True

    def decision_function(self, X, namespaces=None):
        """w . x + intercept for each row of X (> 0 predicts classes_[1])."""
        return self._margin(X, namespaces)

    @property
    def predict_proba(self):
        """[P(classes_[0]), P(classes_[1])] for each row (loss="logistic"
        only: the hinge loss gives no probabilities)."""
        if self.loss != "logistic":
            raise AttributeError(f"predict_proba is not available for loss={self.loss!r}")
        return self._predict_proba

    def _predict_proba(self, X, namespaces=None):
        p = 1.0 / (1.0 + np.exp(-self._margin(X, namespaces)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X, namespaces=None):
        positive = self._margin(X, namespaces) > 0
        return self.classes_[positive.astype(np.intp)]

    def score(self, X, y):
        """Accuracy."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


class _Regressor(OnlineLinearModel):
    _losses = ("squared", "quantile", "poisson")
    _is_classifier = False

    def predict(self, X, namespaces=None):
        """w . x + intercept for each row of X (its exp for loss="poisson")."""
        m = self._margin(X, namespaces)
        return np.exp(m) if self.loss == "poisson" else m

    def _encode_y(self, y, classes, known):
        y, labels = super()._encode_y(y, classes, known)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs counts: y must be >= 0")
        return y, labels

    def score(self, X, y):
        """R^2, the coefficient of determination."""
        y = np.asarray(y, dtype=np.float64)
        resid = np.sum((y - self.predict(X)) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - resid / total) if total > 0 else 0.0


class _FTRL:
    """FTRL-Proximal's parameters (shared by the classifier and regressor)."""

    _algorithm = _kernels.ONLINE_FTRL

    def _algorithm_params(self):
        return dict(alpha=_check_real("alpha", self.alpha, 0.0, low_open=True),
                    beta=_check_real("beta", self.beta, 0.0),
                    l1=_check_real("l1", self.l1, 0.0),
                    l2=_check_real("l2", self.l2, 0.0))


class FTRLClassifier(_FTRL, _Classifier):

    """Logistic regression by FTRL-Proximal (McMahan et al. 2013, "Ad click
    prediction: a view from the trenches", Algorithm 1), one coordinate-wise
    adaptive step per example, for huge sparse data.

    Per coordinate i, from the running sums z_i and n_i:
    w_i = 0 if |z_i| <= l1 else -(z_i - sign(z_i) l1) / ((beta + sqrt(n_i)) / alpha + l2);
    on each example p = sigmoid(w . x), g_i = (p - y) x_i,
    z_i += g_i - (sqrt(n_i + g_i^2) - sqrt(n_i)) / alpha * w_i, n_i += g_i^2.
    The intercept is a coordinate every example has, not penalised by l1/l2.
    The whole loop (predict, gradient, update) runs in C with the GIL
    released, sharing its per-coordinate rule with fastopt.FTRL.

    X: scipy.sparse (CSR used as is) or dense, float32/float64.  n_threads >
    1 trains lock-free in parallel (Hogwild): faster, not bit-reproducible;
    n_threads=1 is deterministic (n_threads is capped at the usable CPUs).
    Calls on one estimator from several Python threads are serialised by a
    per-estimator lock: the result is that of some serial order.
    """

    def __init__(self, alpha=0.1, beta=1.0, l1=0.0, l2=0.0, fit_intercept=True,
                 n_epochs=1, shuffle=False, n_threads=1, random_state=None,
                 loss="logistic", class_weight=None, interactions=None, fields=None):
        self.alpha = alpha
        self.beta = beta
        self.l1 = l1
        self.l2 = l2
        self.fit_intercept = fit_intercept
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.n_threads = n_threads
        self.random_state = random_state
        self.loss = loss
        self.class_weight = class_weight
        self.interactions = interactions
        self.fields = fields


class FTRLRegressor(_FTRL, _Regressor):
    """FTRLClassifier's algorithm with the squared loss: p = w . x, g_i =
    (p - y) x_i, progressive_loss_ the mean squared error of the predictions
    made before each update; or with loss="quantile" (pinball loss of
    quantile_tau) or "poisson" (p = exp(w . x), g_i = (p - y) x_i)."""

    def __init__(self, alpha=0.1, beta=1.0, l1=0.0, l2=0.0, fit_intercept=True,
                 n_epochs=1, shuffle=False, n_threads=1, random_state=None,
                 loss="squared", quantile_tau=0.5, interactions=None, fields=None):
        self.alpha = alpha
        self.beta = beta
        self.l1 = l1
        self.l2 = l2
        self.fit_intercept = fit_intercept
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.n_threads = n_threads
        self.random_state = random_state
        self.loss = loss
        self.quantile_tau = quantile_tau
        self.interactions = interactions
        self.fields = fields


class RDAClassifier(_Classifier):
    """Logistic regression by l1-regularised dual averaging (Xiao 2010, JMLR
    11), plain (rho = 0) or enhanced (rho > 0) l1-RDA with beta_t = gamma
    sqrt(t), t counting examples.

    With G_i the sum of the gradients of coordinate i over the t examples
    seen, gbar = G_i / t and lambda_t = l1 + gamma rho / sqrt(t):
    w_i = 0 if |gbar| <= lambda_t else -(sqrt(t) / gamma) (gbar - lambda_t sign(gbar)).
    A coordinate's weight moves with t even when examples do not have it; it
    is computed from (G_i, t) whenever it is needed, so the lazy computation
    on sparse data is exact.  The intercept has l1 = rho = 0.  Shares its
    per-coordinate rule with fastopt.RDA.  Calls from several threads are
    serialised, as for FTRLClassifier.
    """

    _algorithm = _kernels.ONLINE_RDA

    def __init__(self, l1=0.0, gamma=1.0, rho=0.0, fit_intercept=True, n_epochs=1,
                 shuffle=False, n_threads=1, random_state=None, loss="logistic",
                 class_weight=None, interactions=None, fields=None):
        self.l1 = l1
        self.gamma = gamma
        self.rho = rho
        self.fit_intercept = fit_intercept
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.n_threads = n_threads
        self.random_state = random_state
        self.loss = loss
        self.class_weight = class_weight
        self.interactions = interactions
        self.fields = fields

    def _algorithm_params(self):
        return dict(l1=_check_real("l1", self.l1, 0.0),
                    gamma=_check_real("gamma", self.gamma, 0.0, low_open=True),
                    rho=_check_real("rho", self.rho, 0.0))


for _cls in (FTRLClassifier, FTRLRegressor, RDAClassifier):
    _cls.__doc__ = _cls.__doc__.rstrip() + "\n" + _COMMON_DOC
del _cls
