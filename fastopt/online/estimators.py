"""FTRLClassifier, FTRLRegressor, RDAClassifier."""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Callable, Optional

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from fastopt import _kernels
from fastopt.online._base import (F64, AnyArray, OnlineLinearModel, _check_bits,
                                  _check_real, _check_sample_weight, _warning_class)
from fastopt.online._progressive import Progressive, ovr_proba

# one row of a feature dict: indptr, indices (int64), values (float64)
_Row = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], F64]


# The docstrings of the three estimators are put together from these parts
# (numpydoc sections), so that the shared parameters are written once.
_FTRL_PARAMS = """
    alpha : float, default=0.1
        FTRL's learning rate (> 0): the step of a coordinate is
        alpha / (beta + sqrt(n_i)).
    beta : float, default=1.0
        FTRL's smoothing of the adaptive step (>= 0).
    l1 : float, default=0.0
        L1 penalty (>= 0); weights with ``|z_i| <= l1`` are exactly 0.
    l2 : float, default=0.0
        L2 penalty (>= 0; the paper's lambda2, twice TF's l2)."""

_RDA_PARAMS = """
    l1 : float, default=0.0
        L1 penalty (>= 0) of l1-RDA.
    gamma : float, default=1.0
        The scale (> 0) of beta_t = gamma sqrt(t).
    rho : float, default=0.0
        Enhanced l1-RDA's extra penalty (>= 0): lambda_t = l1 + gamma rho / sqrt(t)."""

_COMMON_PARAMS = """
    fit_intercept : bool, default=True
        Learn an intercept (a coordinate every example has, not penalised).
    n_epochs : int, default=1
        Passes of fit over the data (partial_fit makes one).
    shuffle : bool, default=False
        Shuffle the rows before each pass of fit (seeded by random_state).
    n_threads : int or None, default=1
        1: deterministic.  > 1 (None: every usable CPU): lock-free parallel
        training (Hogwild), faster, not bit-reproducible.
    random_state : int, numpy Generator or None, default=None
        Seed of shuffle.
    loss : str, default={loss_default!r}
        {loss_doc}
    {extra}interactions : list of str or None, default=None
        VW's -q / --interactions, e.g. ["ab"], ["ab", "abc"] or ["::"]
        (every pair of namespaces): crossed features generated per example
        in C, hashed as VW does and folded into the n_features columns.
        Each entry's namespace comes from namespaces= (fit, partial_fit and
        the predictions; fastopt.vw yields it), from fields=, or, for
        feature dicts (learn_one), VW's default namespace " ".
    fields : dict or None, default=None
        {{namespace: [[start, stop], ...]}} column ranges: the namespace of
        each column of an array X (other columns are namespace " ").
    bits : int, default=18
        Feature dicts (learn_one, predict_one) are hashed into 2**bits
        columns, as VW's -b, when learn_one creates the model; a model
        fitted on arrays hashes into its ``n_features_in_`` columns, which must
        then be a power of two."""

_CLASSIFIER_LOSS = ('"logistic" (logistic regression) or "hinge" (a linear SVM; no '
                    'predict_proba).')
_CLASS_WEIGHT = """class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into each row's importance
        weight (sample_weight): {label: weight}, or "balanced" --
        n_samples / (n_classes * count(class)), fit only.  As
        scikit-learn's SGDClassifier: with two classes each row's weight is
        times its class's; with more, one-vs-rest model k weighs the rows
        of classes_[k] by its weight and every other row by 1.
        Negatives downsampled at rate r are recalibrated by
        class_weight={negative: 1 / r}.
    """

_CLASSIFIER_ATTRS = """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (any sortable type, as np.unique orders them).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        The weights, as scikit-learn's linear classifiers: one row for two
        classes, else one per class (one-vs-rest).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercepts.
    n_features_in_ : int
        Columns of X seen by fit.
    feature_names_in_ : ndarray of str objects, shape (n_features,)
        The column names of a DataFrame X seen by fit (only when they are
        all strings); predicting on other names raises ValueError.
    n_examples_seen_ : int
        Examples trained on (every pass counted).
    progressive_loss_ : float
        Mean training loss of each example before its update (summed over
        the one-vs-rest models for more than two classes).
    progressive_logloss_ : float
        Progressive logloss (loss="logistic" only).
    progressive_auc_ : float
        Progressive ROC AUC (one-vs-rest macro average for more than two
        classes); progressive_auc_bound_ bounds its histogram error.

    Notes
    -----
    Multi-class: one-vs-rest, K binary models trained together by the C loop
    (each row read -- and crossed -- once, the K models updated in turn; a
    feature's K records lie side by side in memory, so they share cache
    lines);
    model k equals the binary learner trained alone on y == classes_[k],
    bit for bit.  decision_function is (n_samples,) for two classes, else
    (n_samples, n_classes); predict_proba normalises the K sigmoids over the
    classes, as scikit-learn's SGDClassifier(loss="log_loss").

    river's protocol: learn_one(x, y, w), predict_one(x),
    predict_proba_one(x) take feature dicts {name: value}, hashed as
    Vowpal Wabbit hashes its default namespace (``| name:value``): a
    learner fed dicts equals one fed the equivalent VW lines.

    X: scipy.sparse (CSR used as is) or dense, float32/float64.  Calls on one
    estimator from several Python threads are serialised by a per-estimator
    lock: the result is that of some serial order.
"""

_CLASSIFIER_EXAMPLE = """
    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.online import {name}
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 5))
    >>> y = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    >>> clf = {name}().fit(X, y)
    >>> clf.coef_.shape, clf.predict_proba(X[:2]).shape
    ((3, 5), (2, 3))
    >>> 0.5 < clf.progressive_auc_ <= 1.0
    True
"""

_FTRL_ALGO = """
    Per coordinate i, from the running sums z_i and n_i:
    w_i = 0 if abs(z_i) <= l1 else -(z_i - sign(z_i) l1) / ((beta + sqrt(n_i)) / alpha + l2);
    on each example with margin m = w . x, g_i = dloss(m, y) x_i,
    z_i += g_i - (sqrt(n_i + g_i^2) - sqrt(n_i)) / alpha * w_i, n_i += g_i^2.
    The whole loop (predict, gradient, update) runs in C with the GIL
    released, sharing its per-coordinate rule with fastopt.FTRL.
    csrc/online.inc has each loss and its gradient.
"""


_DEFAULT_NAMESPACE = ord(" ")   # VW's default namespace, whose hash seed is 0
_NAME_CACHE_MAX = 1 << 20       # hashed names kept per estimator (then forgotten)


def _score_targets(pred: npt.NDArray[Any], y: Any, sample_weight: Any
                   ) -> tuple[npt.NDArray[Any], Optional[npt.NDArray[np.float64]]]:
    """score's y (as an array) and sample_weight (checked as fit checks it,
    or None), one per prediction."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != pred.shape[0]:
        raise ValueError(f"y must have one value per row of X ({pred.shape[0]}), got "
                         f"shape {y.shape}")
    if sample_weight is not None and np.ndim(sample_weight) != 1:   # as sklearn's metrics
        raise ValueError("sample_weight must be an array of one weight per row, got "
                         f"{sample_weight!r}")
    sw = _check_sample_weight(sample_weight, pred.shape[0])
    if sw is not None and not np.sum(sw) > 0:
        raise ValueError("sample_weight is zero for every row")
    return y, sw


class _DictProtocol(OnlineLinearModel):
    """river's protocol on feature dicts {name: value}: learn_one,
    predict_one (and predict_proba_one for the classifiers).  A name is
    hashed as Vowpal Wabbit hashes a feature of its default namespace
    (``| name:value``; fastopt.vw.feature_index(name)): 32-bit MurmurHash3
    of its UTF-8 bytes, seed 0 (an all-digit name is its own value), folded
    into the model's 2**bits columns -- so a learner fed dicts equals one
    fed the equivalent VW lines.  Unknown names need no registration: they
    hash to a column like any other (a new name's column starts at 0,
    unless another name shares it)."""

    def _dict_columns(self) -> int:
        """The columns dicts are hashed into: ``n_features_in_`` once fitted
        (a power of two), else 2**bits."""
        if self._is_fitted():
            d = self.n_features_in_
            if d & (d - 1):
                raise ValueError(f"feature dicts are hashed into 2**bits columns; this "
                                 f"{type(self).__name__} was fitted on {d} columns, not "
                                 "a power of two")
            return d
        return 1 << _check_bits(self.bits)

    def _dict_names(self, x: Any, d: int) -> dict[Any, int]:
        """The cache of feature names -> columns of d columns (TypeError
        unless x is a dict)."""
        if not isinstance(x, dict):
            raise TypeError(f"x must be a dict {{feature name: value}}, got "
                            f"{type(x).__name__}")
        cache = self.__dict__.get("_dict_cache")
        if cache is None or cache[0] != d:
            cache = self.__dict__["_dict_cache"] = (d, {})
        names: dict[Any, int] = cache[1]
        return names

    def _dict_row(self, x: Any, d: int) -> _Row:
        """Feature dict x as one CSR row of d columns (d a power of two):
        (indptr, indices int64, data float64), entries in x's order (the
        general path: any real values, numpy scalars included)."""
        names = self._dict_names(x, d)
        try:
            idx = [names[name] for name in x]
        except KeyError:
            idx = [self._hash_name(names, name, d - 1) for name in x]
        try:
            vals = np.array(list(x.values()))
        except (TypeError, ValueError):   # ragged values
            vals = np.zeros((0, 0))
        if vals.ndim != 1 or vals.dtype.kind not in "biuf":
            raise TypeError("x's values must be real numbers, got "
                            f"{list(x.values())[:5]!r}")
        vals = vals.astype(np.float64, copy=False)
        if not np.isfinite(vals).all():
            raise ValueError("x contains NaN or infinity")
        return np.array([0, len(idx)], dtype=np.int64), np.array(idx, dtype=np.int64), vals

    def _load_row(self, model: _kernels.OnlineModel, x: Any) -> None:
        """Feature dict x into the model's one-row buffer (learn_row,
        margin_row): in C where its values are floats and ints, else
        through _dict_row's general conversion (checked the same way).
        The model's buffer is the estimator's: callers hold its lock."""
        cache = self.__dict__.get("_dict_cache")
        if cache is None or cache[0] != self.n_features_in_:   # fitted: callers check
            self._dict_names(x, self._dict_columns())          # d checked, cache made
            cache = self.__dict__["_dict_cache"]
        # a dict subclass may iterate its own way: the general path reads it
        if type(x) is not dict or not model.row_from_dict(x, cache[1], _NAME_CACHE_MAX):
            _, indices, data = self._dict_row(x, cache[0])
            model.row_from_arrays(indices, data)

    @staticmethod
    def _hash_name(names: dict[Any, int], name: Any, mask: int) -> int:
        """The column of a feature name (cached in names)."""
        j = names.get(name)
        if j is None:
            if not isinstance(name, str):
                raise TypeError(f"feature names must be str, got {name!r}")
            j = _kernels.vw_hash(name.encode("utf-8"), 0) & mask
            if len(names) >= _NAME_CACHE_MAX:
                names.clear()
            names[name] = j
        return j

    def _labels(self) -> tuple[list[Any], dict[Any, float]]:
        """A fitted classifier's ``classes_.tolist()`` and {label: class
        index as a float}, cached while ``classes_`` stays the same array."""
        cached = self.__dict__.get("_label_cache")
        if cached is None or cached[0] is not self.classes_:
            labels = self.classes_.tolist()
            cached = (self.classes_, labels, {c: float(i) for i, c in enumerate(labels)})
            self.__dict__["_label_cache"] = cached
        return cached[1], cached[2]

    def _label_map(self) -> Optional[dict[Any, float]]:
        """A fitted classifier's {label: class index as a float} (cached);
        None for a regressor."""
        return self._labels()[1] if self._is_classifier else None

    def _label_index(self, y: Any) -> float:
        """The class index of label y of a fitted classifier (a float), or
        the float target of a regressor; ValueError for anything else."""
        if not self._is_classifier:
            if isinstance(y, (bool, np.bool_)) or not isinstance(y, numbers.Real) \
                    or not math.isfinite(y):
                raise ValueError(f"y must be a finite real number, got {y!r}")
            if self.loss == "poisson" and y < 0:
                raise ValueError("loss='poisson' needs counts: y must be >= 0")
            return float(y)
        index = self._labels()[1]
        try:
            return index[y]
        except (KeyError, TypeError):
            raise ValueError(f"y = {y!r} is not one of the classes "
                             f"{self.classes_.tolist()}") from None

    def learn_one(self, x: dict[str, float], y: Any, w: float = 1.0, *,
                  classes: Any = None) -> None:
        """Learn from one example, as river's ``learn_one`` (one step of the
        same C loop as partial_fit, the model's state then exactly that of
        partial_fit on the equivalent row).

        Parameters
        ----------
        x : dict of {str: float}
            The features, hashed as VW hashes the default namespace
            (see the class docstring).
        y : label (a classifier) or float (a regressor)
            The target.
        w : float, default=1.0
            The example's importance weight (>= 0), times ``class_weight``
            for a classifier as partial_fit applies it.
        classes : array-like, optional
            A classifier's labels, needed on the first call (as in
            partial_fit) unless y is a bool (the classes are then [False,
            True]); later calls may repeat them, not change them.

        Returns
        -------
        None
            As river's learn_one.

        Raises
        ------
        TypeError
            x not a dict of str -> real number.
        ValueError
            A non-finite value or weight, a label not in ``classes_`` (nothing
            is learned), bad ``bits``, or a classifier's first call without
            classes and a non-bool y.
        FloatingPointError
            The model diverged.

        Examples
        --------
        >>> from fastopt.online import FTRLClassifier
        >>> clf = FTRLClassifier(alpha=0.5, bits=18)
        >>> for x, y in [({"user=1": 1.0, "ad=7": 1.0}, True),
        ...              ({"user=2": 1.0, "ad=7": 1.0}, False)]:
        ...     clf.learn_one(x, y)
        >>> sorted(clf.predict_proba_one({"user=1": 1.0}))
        [False, True]
        """
        if type(w) is not float or not (w >= 0.0 and w != math.inf):
            w = _check_real("w", w, 0.0)
        with self._lock():
            if not self._is_fitted():
                return self._learn_first(x, y, w, classes)
            model = self._check_usable()
            if classes is not None and self._is_classifier:   # as partial_fit checks
                self._encode_y(np.asarray([y]), classes, self.classes_)
            # the common case in one C call: a plain dict, its names' cache
            # made, a known label and no class_weight
            out: Any = None
            loaded = False
            cache = self.__dict__.get("_dict_cache")
            if type(x) is dict and cache is not None and cache[0] == self.n_features_in_ \
                    and getattr(self, "class_weight", None) is None:
                index = self._label_map()
                out = model.learn_dict(x, cache[1], _NAME_CACHE_MAX, index, y, w,
                                       self._loss_sum, _DEFAULT_NAMESPACE)
                loaded = out is None            # the row loaded, y not in index
            pos_w = None
            if out:
                # learn_dict learned: y is a key of index (never None then)
                target = index[y]               # type: ignore[index]
            else:
                if not loaded:
                    self._load_row(model, x)
                target = self._label_index(y)
                if self._is_classifier and getattr(self, "class_weight", None) is not None:
                    cwr, pos_w = self._row_weights(np.array([target]), self.classes_, None,
                                                   partial=True)
                    if pos_w is None and cwr is not None:
                        w *= float(cwr[0])
                out = model.learn_row(target, w, self._loss_sum, _DEFAULT_NAMESPACE, pos_w)
            rc, loss_sum, bad, margins = out
            self._state["t"] = model.t
            if rc == _kernels.STATUS_OK:
                self._loss_sum = loss_sum
                if pos_w is not None:   # the row's own weight: its class's model's
                    w *= float(pos_w[int(target)])
                self._n_seen += 1
                self._weight_sum += w
                if self._is_classifier:
                    self._progressive.update_one(margins, int(target), w)
            elif rc == _kernels.STATUS_DIVERGED:
                self._diverged = True
            self._raise_status(rc, bad)

    def _learn_first(self, x: Any, y: Any, w: float, classes: Any) -> None:
        """learn_one on an untrained estimator: the general partial_fit path
        (checks, a fresh model of 2**bits columns)."""
        d = self._dict_columns()
        indptr, indices, data = self._dict_row(x, d)
        if self._is_classifier and classes is None:
            if not isinstance(y, (bool, np.bool_)):
                raise ValueError(
                    f"the first learn_one of an untrained {type(self).__name__} needs "
                    "classes= (every label) unless y is a bool")
            classes = [False, True]
        y01, labels = self._encode_y([y], classes, None)
        new = self._fresh(d, labels)
        sw = None if w == 1.0 else np.array([w])
        pos_w = None
        if self._is_classifier and getattr(self, "class_weight", None) is not None:
            sw, pos_w = self._row_weights(y01, labels, sw, partial=True)
        ns = np.full(len(indices), _DEFAULT_NAMESPACE, np.uint8) if new["_model"].crossed \
            else None
        self._train(new, indptr, indices, data, y01, None, ns, sw, None, pos_w)

    def _dict_margins(self, x: Any) -> Any:
        """The margin(s) of feature dict x: a float, or K floats (K > 2
        classes)."""
        model = self._check_usable()
        out = None
        cache = self.__dict__.get("_dict_cache")
        if type(x) is dict and cache is not None and cache[0] == self.n_features_in_:
            out = model.margin_dict(x, cache[1], _NAME_CACHE_MAX, _DEFAULT_NAMESPACE)
        if out is None:                 # no cache yet, or general values
            self._load_row(model, x)
            out = model.margin_row(_DEFAULT_NAMESPACE)
        rc, m, bad = out
        if rc != _kernels.STATUS_OK:
            self._raise_status(rc, bad)
        return m


class _Classifier(_DictProtocol, OnlineLinearModel):
    _losses = ("logistic", "hinge")
    _is_classifier = True

    def decision_function(self, X: Any, namespaces: Any = None,
                          base_margin: Any = None) -> F64:
        """Confidence scores: w_k . x + b_k for each row and class model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        namespaces : array-like of uint8, optional
            One namespace byte per entry of a CSR X (models with
            interactions on VW data).
        base_margin : array-like, optional
            The offsets the model was trained with (see fit): shape
            (n_samples,), or (n_samples, n_classes) for more than two
            classes; added to the margins.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The margins: one per row for two classes (> 0 predicts
            ``classes_[1]``), else one per row and class.

        Raises
        ------
        NotFittedError
            Before fit / partial_fit.
        ValueError
            Bad X (NaN, wrong number of features).
        """
        return self._margin(X, namespaces, base_margin)

    @property
    def predict_proba(self) -> Callable[..., F64]:
        """Probability estimates (loss="logistic" only: the hinge loss gives
        none, and this attribute then raises AttributeError).

        As scikit-learn's SGDClassifier(loss="log_loss"): for two classes
        [1 - sigmoid(m), sigmoid(m)]; for more, one-vs-rest -- sigmoid of
        each class's margin, normalised over the classes (uniform where
        every sigmoid underflows to 0).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        namespaces : array-like of uint8, optional
            One namespace byte per entry of a CSR X (models with
            interactions on VW data).
        base_margin : array-like, optional
            The offsets the model was trained with (see fit): shape
            (n_samples,), or (n_samples, n_classes) for more than two
            classes; added to the margins.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        if self.loss != "logistic":
            raise AttributeError(f"predict_proba is not available for loss={self.loss!r}")
        return self._predict_proba

    def _predict_proba(self, X: Any, namespaces: Any = None, base_margin: Any = None) -> F64:
        return self._proba(self._margin(X, namespaces, base_margin))

    @staticmethod
    def _proba(m: F64) -> F64:
        if m.ndim == 1:
            p = expit(m)
            return np.column_stack([1.0 - p, p])
        return ovr_proba(m)

    def predict(self, X: Any, namespaces: Any = None, base_margin: Any = None) -> AnyArray:
        """The class of each row: ``classes_[1]`` where the margin is > 0
        (two classes), else the class of the largest margin.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        namespaces : array-like of uint8, optional
            One namespace byte per entry of a CSR X (models with
            interactions on VW data).
        base_margin : array-like, optional
            The offsets the model was trained with (see fit): shape
            (n_samples,), or (n_samples, n_classes) for more than two
            classes; added to the margins.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        m = self._margin(X, namespaces, base_margin)
        index = (m > 0).astype(np.intp) if m.ndim == 1 else np.argmax(m, axis=1)
        labels: AnyArray = self.classes_[index]
        return labels

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy of predict(X) against y (scikit-learn's
        ``accuracy_score``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            The true labels.
        sample_weight : array-like of shape (n_samples,), optional
            Each row's weight in the mean (finite, >= 0, not all 0).

        Returns
        -------
        float
            The (weighted) fraction of rows predicted right.

        Raises
        ------
        ValueError
            y or sample_weight not one per row of X, or bad X.
        """
        pred = self.predict(X)
        y, sw = _score_targets(pred, y, sample_weight)
        return float(np.average(pred == y, weights=sw))

    # -- scikit-learn's linear-classifier attributes ------------------------
    @property
    def coef_(self) -> F64:
        """Weights, shape (1, n_features) for two classes, else (n_classes,
        n_features) (one-vs-rest: row k separates classes_[k] from the
        rest); a copy (RDA's follow from its sums)."""
        return np.atleast_2d(self._weights())[:, :-1]

    @property
    def intercept_(self) -> F64:
        """Intercepts, shape (1,) for two classes, else (n_classes,); zeros
        with fit_intercept=False."""
        w = np.atleast_2d(self._weights())
        return w[:, -1].copy() if self.fit_intercept else np.zeros(w.shape[0])

    # -- progressive validation ----------------------------------------------
    def _progress(self) -> Optional[Progressive]:
        self._check_fitted()
        return self.__dict__.get("_progressive")

    @property
    def progressive_logloss_(self) -> float:
        """Progressive logloss: the mean (importance-weighted) logloss of
        each training example's prediction made before the model learned on
        it, over every example trained on so far (n_epochs > 1: every pass).
        Two classes: log(1 + e^m) - y m (equal to progressive_loss_);
        more: -log p_y with p predict_proba's one-vs-rest probabilities.
        loss="logistic" only (AttributeError otherwise).  A model file keeps
        it (load, then partial_fit, goes on as if never stopped); NaN for a
        file written without it."""
        if self.loss != "logistic":
            raise AttributeError("progressive_logloss_ is not available for "
                                 f"loss={self.loss!r}")
        prog = self._progress()
        return prog.logloss if prog is not None else float("nan")

    @property
    def progressive_auc_(self) -> float:
        """Progressive ROC AUC: that of each training example's prediction
        made before the model learned on it, weighted by the importance
        weights, over every example trained on so far.  Two classes: the
        AUC of the margins; more: the mean over the classes of each class's
        one-vs-rest AUC of predict_proba's column (the margin with the hinge
        loss) -- sklearn.metrics.roc_auc_score's multi_class="ovr",
        average="macro".  Computed from histograms of 1/256-wide bins of
        the margin (the logit of the probability, multi-class): equal to the
        exact AUC up to the pairs sharing a bin, at most
        progressive_auc_bound_ away.  NaN before both a positive and a
        negative were seen, and for a model file written without it."""
        prog = self._progress()
        return prog.auc if prog is not None else float("nan")

    @property
    def progressive_auc_bound_(self) -> float:
        """The most progressive_auc_ can differ from the exact AUC of the
        same predictions (half the weight of the pairs that share a
        histogram bin)."""
        prog = self._progress()
        return prog.auc_bound if prog is not None else float("nan")

    # -- river's protocol -----------------------------------------------------
    @property
    def predict_proba_one(self) -> Callable[[dict[str, float]], dict[Any, float]]:
        """The class probabilities of one feature dict, as river's
        ``predict_proba_one``: {label: probability} over ``classes_``
        (Python scalars), as predict_proba computes them; {} before any
        learning (no class is known yet).  loss="logistic" only.

        Parameters
        ----------
        x : dict of {str: float}

        Returns
        -------
        dict
            {label: probability} over ``classes_``.
        """
        if self.loss != "logistic":
            raise AttributeError("predict_proba_one is not available for "
                                 f"loss={self.loss!r}")
        return self._predict_proba_one

    def _predict_proba_one(self, x: dict[str, float]) -> dict[Any, float]:
        with self._lock():
            if not self._is_fitted():
                return {}
            m = self._dict_margins(x)
            labels = self._labels()[0]
        if type(m) is float:
            # scipy's expit is 1 / (1 + exp(-m)) too: the same float
            p = 1.0 / (1.0 + math.exp(-m)) if m > -700.0 else float(expit(m))
            return {labels[0]: 1.0 - p, labels[1]: p}
        return dict(zip(labels, ovr_proba(np.array([m]))[0].tolist()))

    def predict_one(self, x: dict[str, float]) -> Any:
        """The predicted class of one feature dict, as river's
        ``predict_one`` (a Python scalar from ``classes_``); None before any
        learning.

        Parameters
        ----------
        x : dict of {str: float}

        Returns
        -------
        label or None
            The most probable class, None before any learning.
        """
        with self._lock():
            if not self._is_fitted():
                return None
            m = self._dict_margins(x)
            i = int(m > 0) if type(m) is float else int(np.argmax(m))
            return self._labels()[0][i]


# help(clf.predict_proba) shows the method the property hands out
_Classifier._predict_proba.__doc__ = _Classifier.predict_proba.__doc__
_Classifier._predict_proba_one.__doc__ = _Classifier.predict_proba_one.__doc__


class _Regressor(_DictProtocol, OnlineLinearModel):
    _losses = ("squared", "quantile", "poisson")
    _is_classifier = False

    def predict(self, X: Any, namespaces: Any = None, base_margin: Any = None) -> F64:
        """w . x + intercept for each row of X (its exp for loss="poisson").

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        namespaces : array-like of uint8, optional
            One namespace byte per entry of a CSR X (models with
            interactions on VW data).
        base_margin : array-like, optional
            The offsets the model was trained with (see fit): shape
            (n_samples,), or (n_samples, n_classes) for more than two
            classes; added to the margins.

        Returns
        -------
        ndarray of shape (n_samples,)
            The predictions.
        """
        m = self._margin(X, namespaces, base_margin)
        return np.exp(m) if self.loss == "poisson" else m

    def predict_one(self, x: dict[str, float]) -> float:
        """The prediction for one feature dict, as river's ``predict_one``;
        before any learning, that of the all-zero model (0.0, or 1.0 for
        loss="poisson").

        Parameters
        ----------
        x : dict of {str: float}

        Returns
        -------
        float
            The prediction.
        """
        with self._lock():
            m = float(self._dict_margins(x)) if self._is_fitted() else 0.0
        return math.exp(m) if self.loss == "poisson" else m

    def _encode_y(self, y: Any, classes: Any,
                  known: Optional[AnyArray]) -> tuple[F64, Optional[AnyArray]]:
        y, labels = super()._encode_y(y, classes, known)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs counts: y must be >= 0")
        return y, labels

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R^2, the coefficient of determination of predict(X) against y, as
        scikit-learn's ``r2_score``: 1.0 for a perfect prediction (even of a
        constant y), 0.0 for an imperfect one of a constant y, NaN with an
        UndefinedMetricWarning for fewer than two rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            The true targets.
        sample_weight : array-like of shape (n_samples,), optional
            Each row's weight in the sums (finite, >= 0, not all 0).

        Returns
        -------
        float
            The score.

        Raises
        ------
        ValueError
            y or sample_weight not one per row of X, a non-finite y, or bad X.
        """
        pred = self.predict(X)
        y, sw = _score_targets(pred, y, sample_weight)
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric, got dtype {y.dtype}") from None
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity")
        if y.shape[0] < 2:
            warnings.warn("R^2 score is not well-defined with less than two samples.",
                          _warning_class("UndefinedMetricWarning", UserWarning),
                          stacklevel=2)
            return float("nan")
        weight = 1.0 if sw is None else sw
        resid = np.sum(weight * (y - pred) ** 2)
        total = np.sum(weight * (y - np.average(y, weights=sw)) ** 2)
        if resid == 0:
            return 1.0
        return float(1.0 - resid / total) if total != 0 else 0.0

    @property
    def coef_(self) -> F64:
        """Weights, shape (n_features,) (as scikit-learn's SGDRegressor)."""
        return self._weights()[:-1]

    @property
    def intercept_(self) -> float:
        """The intercept (0.0 with fit_intercept=False)."""
        w = self._weights()
        return float(w[-1]) if self.fit_intercept else 0.0


class _FTRL:
    """FTRL-Proximal's parameters (shared by the classifier and regressor)."""

    _algorithm = _kernels.ONLINE_FTRL
    alpha: Any     # the constructor's parameters, as given
    beta: Any
    l1: Any
    l2: Any

    def _algorithm_params(self) -> dict[str, float]:
        return dict(alpha=_check_real("alpha", self.alpha, 0.0, low_open=True),
                    beta=_check_real("beta", self.beta, 0.0),
                    l1=_check_real("l1", self.l1, 0.0),
                    l2=_check_real("l2", self.l2, 0.0))


class FTRLClassifier(_FTRL, _Classifier):
    """Linear classifier trained online by FTRL-Proximal (McMahan et al.
    2013, "Ad click prediction: a view from the trenches", Algorithm 1): one
    coordinate-wise adaptive step per example, for huge sparse data.
    """

    def __init__(self, alpha: float = 0.1, beta: float = 1.0, l1: float = 0.0,
                 l2: float = 0.0, fit_intercept: bool = True, n_epochs: int = 1,
                 shuffle: bool = False, n_threads: Optional[int] = 1,
                 random_state: Any = None, loss: str = "logistic",
                 class_weight: Any = None, interactions: Optional[list[str]] = None,
                 fields: Optional[dict[str, Any]] = None, bits: int = 18) -> None:
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
        self.bits = bits


class FTRLRegressor(_FTRL, _Regressor):
    """Linear regression trained online by FTRL-Proximal: FTRLClassifier's
    algorithm with the squared loss (p = w . x, g_i = (p - y) x_i), the
    pinball loss of quantile_tau (loss="quantile") or the Poisson loss
    (loss="poisson": p = exp(w . x), g_i = (p - y) x_i).
    """

    def __init__(self, alpha: float = 0.1, beta: float = 1.0, l1: float = 0.0,
                 l2: float = 0.0, fit_intercept: bool = True, n_epochs: int = 1,
                 shuffle: bool = False, n_threads: Optional[int] = 1,
                 random_state: Any = None, loss: str = "squared",
                 quantile_tau: float = 0.5, interactions: Optional[list[str]] = None,
                 fields: Optional[dict[str, Any]] = None, bits: int = 18) -> None:
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
        self.bits = bits


class RDAClassifier(_Classifier):
    """Linear classifier trained online by l1-regularised dual averaging
    (Xiao 2010, JMLR 11), plain (rho = 0) or enhanced (rho > 0) l1-RDA with
    beta_t = gamma sqrt(t), t counting examples.

    With G_i the sum of the gradients of coordinate i over the t examples
    seen, gbar = G_i / t and lambda_t = l1 + gamma rho / sqrt(t):
    w_i = 0 if abs(gbar) <= lambda_t else -(sqrt(t) / gamma) (gbar - lambda_t sign(gbar)).
    A coordinate's weight moves with t even when examples do not have it; it
    is computed from (G_i, t) whenever it is needed, so the lazy computation
    on sparse data is exact.  The intercept has l1 = rho = 0.  Shares its
    per-coordinate rule with fastopt.RDA.
    """

    _algorithm = _kernels.ONLINE_RDA

    def __init__(self, l1: float = 0.0, gamma: float = 1.0, rho: float = 0.0,
                 fit_intercept: bool = True, n_epochs: int = 1, shuffle: bool = False,
                 n_threads: Optional[int] = 1, random_state: Any = None,
                 loss: str = "logistic", class_weight: Any = None,
                 interactions: Optional[list[str]] = None,
                 fields: Optional[dict[str, Any]] = None, bits: int = 18) -> None:
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
        self.bits = bits

    def _algorithm_params(self) -> dict[str, float]:
        return dict(l1=_check_real("l1", self.l1, 0.0),
                    gamma=_check_real("gamma", self.gamma, 0.0, low_open=True),
                    rho=_check_real("rho", self.rho, 0.0))


def _docstring(intro: Optional[str], algo_params: str, loss_default: str, loss_doc: str,
               extra: str, tail: str) -> str:
    """A numpydoc class docstring: intro, Parameters (the algorithm's, then
    the shared ones), then tail (Attributes, Notes, Examples)."""
    return ((intro or "").rstrip() + "\n\n    Parameters\n    ----------" + algo_params
            + _COMMON_PARAMS.format(loss_default=loss_default, loss_doc=loss_doc,
                                    extra=extra) + "\n" + tail)


FTRLClassifier.__doc__ = _docstring(
    (FTRLClassifier.__doc__ or "") + _FTRL_ALGO, _FTRL_PARAMS, "logistic", _CLASSIFIER_LOSS,
    _CLASS_WEIGHT, _CLASSIFIER_ATTRS + _CLASSIFIER_EXAMPLE.format(name="FTRLClassifier"))
RDAClassifier.__doc__ = _docstring(
    RDAClassifier.__doc__, _RDA_PARAMS, "logistic", _CLASSIFIER_LOSS, _CLASS_WEIGHT,
    _CLASSIFIER_ATTRS + _CLASSIFIER_EXAMPLE.format(name="RDAClassifier"))
FTRLRegressor.__doc__ = _docstring(
    (FTRLRegressor.__doc__ or "") + _FTRL_ALGO, _FTRL_PARAMS, "squared",
    '"squared", "quantile" (pinball loss of quantile_tau) or "poisson" (predicts '
    "exp(w . x)).",
    """quantile_tau : float, default=0.5
        The quantile (in (0, 1)) of loss="quantile".
    """, """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The weights (as scikit-learn's SGDRegressor).
    intercept_ : float
        The intercept.
    n_features_in_ : int
        Columns of X seen by fit.
    feature_names_in_ : ndarray of str objects, shape (n_features,)
        The column names of a DataFrame X seen by fit (only when they are
        all strings); predicting on other names raises ValueError.
    n_examples_seen_ : int
        Examples trained on (every pass counted).
    progressive_loss_ : float
        Mean loss of each example's prediction made before its update.

    Notes
    -----
    river's protocol: learn_one(x, y, w) and predict_one(x) on feature
    dicts, hashed as FTRLClassifier's.

    Examples
    --------
    >>> import numpy as np
    >>> from fastopt.online import FTRLRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3))
    >>> reg = FTRLRegressor(alpha=0.5, n_epochs=5).fit(X, X @ [1.0, -2.0, 0.5])
    >>> reg.coef_.shape
    (3,)
""")
