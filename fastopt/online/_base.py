"""What the online learners share: parameters, input checks, the C model,
progressive loss, persistence.  The per-example loop is C (csrc/online.inc).

The estimators follow scikit-learn's conventions without depending on it:
constructor arguments are stored as given and checked at fit time;
get_params / set_params; fitted attributes end in an underscore.
"""
import inspect
import json
import numbers
import sys
import warnings

import numpy as np
import scipy.sparse as sp

from fastopt import _kernels
from fastopt._threads import effective_n_threads

FORMAT_VERSION = 2  # 2: one (d + 1, stride) state array


class NotFittedError(ValueError, AttributeError):
    """The estimator has not been fitted yet."""


def _warning_class(name, default):
    """scikit-learn's warning or exception class `name` when sklearn is
    already loaded (so that its tools recognise ours), else `default`;
    fastopt never imports sklearn itself."""
    mod = sys.modules.get("sklearn.exceptions")
    return getattr(mod, name, default) if mod is not None else default


_combined_not_fitted = {}


def _not_fitted(message):
    sk = _warning_class("NotFittedError", None)
    if sk is None:
        return NotFittedError(message)
    if sk not in _combined_not_fitted:
        _combined_not_fitted[sk] = type("NotFittedError", (NotFittedError, sk),
                                        {"__module__": __name__})
    return _combined_not_fitted[sk](message)


def _check_real(name, value, low=None, low_open=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


def _check_int(name, value, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def as_csr(X, n_features=None, owner="this estimator"):
    """X as a CSR matrix usable by the C loop: float32/float64 values,
    int32/int64 indices of one dtype, canonical arrays.  CSR input that
    already is so is used as it is (no copy); anything else is converted."""
    if sp.issparse(X):
        X = X.tocsr() if X.format != "csr" else X
        if np.iscomplexobj(X.data):
            raise ValueError("Complex data not supported")
        if X.data.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
    else:
        arr = np.asarray(X)
        if np.iscomplexobj(arr):
            raise ValueError("Complex data not supported")
        if arr.dtype == object:
            arr = arr.astype(np.float64)  # numbers in an object array, or a TypeError
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise ValueError(f"X must be numeric, got dtype {arr.dtype}")
        if arr.ndim == 1:
            raise ValueError("Expected 2D array, got 1D array instead. Reshape your "
                             "data with X.reshape(-1, 1) for one feature or "
                             "X.reshape(1, -1) for one sample.")
        if arr.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {arr.shape}")
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError("X contains NaN or infinity")
        X = sp.csr_matrix(arr)
    if X.indices.dtype != X.indptr.dtype or X.indices.dtype not in (np.int32, np.int64):
        X = sp.csr_matrix((X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)),
                          shape=X.shape)
    if X.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a "
                         "minimum of 1 is required.")
    if X.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a "
                         "minimum of 1 is required.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but {owner} is expecting "
                         f"{n_features} features as input")
    return X


class OnlineLinearModel:
    """Base of FTRLClassifier, FTRLRegressor and RDAClassifier."""

    _algorithm = None     # _kernels.ONLINE_FTRL or ONLINE_RDA
    _loss = None          # _kernels.LOSS_LOGISTIC or LOSS_SQUARED
    _is_classifier = False

    # -- parameters ----------------------------------------------------------
    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __sklearn_tags__(self):
        """scikit-learn's description of the estimator (only sklearn calls
        this, so sklearn is importable when it runs): binary classifier or
        regressor, sparse input accepted, no NaN."""
        from sklearn.utils import (ClassifierTags, InputTags, RegressorTags, Tags,
                                   TargetTags)
        return Tags(
            estimator_type="classifier" if self._is_classifier else "regressor",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(multi_class=False) if self._is_classifier else None,
            # one pass with fixed default rates: not meant to score well on
            # sklearn's small dense test problems
            regressor_tags=None if self._is_classifier else RegressorTags(poor_score=True),
            non_deterministic=self.n_threads not in (None, 1),
            input_tags=InputTags(sparse=True))

    def _check_params(self):
        """The C configuration, from checked parameters."""
        cfg = dict(alpha=0.0, beta=0.0, l1=0.0, l2=0.0, gamma=1.0, rho=0.0)
        cfg.update(self._algorithm_params())
        _check_int("n_epochs", self.n_epochs, 1)
        _check_bool("fit_intercept", self.fit_intercept)
        _check_bool("shuffle", self.shuffle)
        if self.n_threads is not None:
            if isinstance(self.n_threads, bool) or not isinstance(self.n_threads, numbers.Integral) \
                    or self.n_threads == 0:
                raise ValueError(f"n_threads must be None or a non-zero int, got {self.n_threads!r}")
        return cfg

    # -- model ---------------------------------------------------------------
    def _new_model(self, d, state=None):
        cfg = self._check_params()
        if state is None:
            stride = _kernels.online_stride(self._algorithm)
            state = dict(state=np.zeros((d + 1, stride)), t=0)
        self._state = state
        self._cfg = cfg
        self._model = _kernels.OnlineModel(
            self._algorithm, self._loss, self.fit_intercept, cfg["alpha"], cfg["beta"],
            cfg["l1"], cfg["l2"], cfg["gamma"], cfg["rho"], state["state"], state["t"])

    def _is_fitted(self):
        return getattr(self, "_model", None) is not None

    def _check_fitted(self):
        if not self._is_fitted():
            raise _not_fitted(f"this {type(self).__name__} is not fitted yet; "
                              "call fit or partial_fit first")

    def _encode_y(self, y, classes, first):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but "
                             "the target y is None")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; "
                          "using y.ravel()",
                          _warning_class("DataConversionWarning", UserWarning),
                          stacklevel=3)
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y should be a 1d array, got shape {y.shape}")
        if np.iscomplexobj(y):
            raise ValueError("Complex data not supported")
        if not self._is_classifier:
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"Unknown label type: y must be numeric for "
                                 f"{type(self).__name__}, got dtype {y.dtype}") from None
            if not np.all(np.isfinite(y)):
                raise ValueError("y contains NaN or infinity")
            return y
        if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
            raise ValueError("Unknown label type: continuous. "
                             f"{type(self).__name__} is a binary classifier; y must "
                             "hold two class labels")
        if first:
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(labels) > 2:
                raise ValueError("Only binary classification is supported. The type "
                                 f"of the target is multiclass: {len(labels)} labels "
                                 f"{labels.tolist()[:10]}")
            if len(labels) != 2:
                raise ValueError(f"{type(self).__name__} is a binary classifier: y (or "
                                 f"classes) must hold two labels, got {len(labels)} "
                                 f"class: {labels.tolist()}")
            self.classes_ = labels
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)),
                                                        self.classes_):
            raise ValueError(f"classes {np.unique(np.asarray(classes)).tolist()} differ "
                             f"from the first call's {self.classes_.tolist()}")
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(f"y has labels {np.unique(y[unknown]).tolist()} not in "
                             f"classes {self.classes_.tolist()}")
        return (y == self.classes_[1]).astype(np.float64)

    def _train(self, X, y01, order):
        rc, loss_sum, bad = self._model.fit(X.indptr, X.indices, X.data, y01, order,
                                            effective_n_threads(self.n_threads),
                                            self._loss_sum)
        self._state["t"] = self._model.t
        if rc != _kernels.STATUS_DIVERGED:
            self._loss_sum = loss_sum
            self._n_seen += X.shape[0] if order is None else len(order)
        self._raise_status(rc, bad)

    def _raise_status(self, rc, bad):
        if rc == _kernels.STATUS_BAD_INDEX:
            raise ValueError(f"X row {bad} has a feature index outside [0, {self.n_features_in_})")
        if rc == _kernels.STATUS_NONFINITE:
            raise ValueError(f"X row {bad} contains NaN or infinity")
        if rc == _kernels.STATUS_DIVERGED:
            raise FloatingPointError(
                f"the model diverged: its prediction for row {bad} is not finite "
                "(lower alpha or raise beta / l2)")
        if rc != _kernels.STATUS_OK:
            raise RuntimeError(f"online kernel failed with status {rc}")

    # -- fitting -------------------------------------------------------------
    def partial_fit(self, X, y, classes=None):
        """One pass over (X, y) in order, continuing from the current model."""
        first = not self._is_fitted()
        X = as_csr(X, None if first else self.n_features_in_, type(self).__name__)
        y01 = self._encode_y(y, classes, first)
        if y01.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y01.shape[0]} labels")
        if first:
            self._check_params()
            self.n_features_in_ = X.shape[1]
            self._loss_sum, self._n_seen = 0.0, 0
            self._new_model(self.n_features_in_)
        self._train(X, y01, None)
        return self

    def fit(self, X, y):
        """n_epochs passes over (X, y) from a fresh model (shuffled each epoch
        with shuffle=True, seeded by random_state)."""
        X = as_csr(X)
        self._model = None
        y01 = self._encode_y(y, None, True)
        if y01.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y01.shape[0]} labels")
        self._check_params()
        self.n_features_in_ = X.shape[1]
        self._loss_sum, self._n_seen = 0.0, 0
        self._new_model(self.n_features_in_)
        rng = np.random.default_rng(self.random_state)
        for _ in range(self.n_epochs):
            order = rng.permutation(X.shape[0]).astype(np.int64) if self.shuffle else None
            self._train(X, y01, order)
        return self

    # -- prediction ----------------------------------------------------------
    def _margin(self, X):
        """w . x + intercept for each row of X."""
        self._check_fitted()
        X = as_csr(X, self.n_features_in_, type(self).__name__)
        rc, out, bad = self._model.margin(X.indptr, X.indices, X.data,
                                          effective_n_threads(self.n_threads))
        self._raise_status(rc, bad)
        return out

    @property
    def coef_(self):
        self._check_fitted()
        return self._model.weights()[:-1]

    @property
    def intercept_(self):
        self._check_fitted()
        return float(self._model.weights()[-1]) if self.fit_intercept else 0.0

    @property
    def progressive_loss_(self):
        """Mean loss of the predictions made before each update, over every
        example trained on so far (what Vowpal Wabbit reports)."""
        self._check_fitted()
        return self._loss_sum / self._n_seen if self._n_seen else float("nan")

    @property
    def n_examples_seen_(self):
        self._check_fitted()
        return self._n_seen

    # -- persistence ---------------------------------------------------------
    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k != "_model"}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._model = None
        if "_state" in state:
            st = dict(state["_state"])  # unpickled arrays may be read-only
            st["state"] = np.array(st["state"], dtype=np.float64, order="C", copy=True)
            self._new_model(self.n_features_in_, st)

    def _json_params(self):
        """The parameters as JSON (random_state: an int or None survives; a
        Generator or RandomState is not saved)."""
        params = self.get_params()
        rs = params.get("random_state")
        if not (rs is None or isinstance(rs, (int, np.integer))):
            params["random_state"] = None
        elif rs is not None:
            params["random_state"] = int(rs)
        return params

    def save(self, path, info=None):
        """Write the fitted model to `path` (a file name, used as given, or a
        binary file object), in .npz format; load with fastopt.online.load.
        info: an optional JSON-serialisable dict kept beside the model (e.g.
        how the features were prepared), read back by load_info."""
        self._check_fitted()
        extra = {"classes_": self.classes_} if self._is_classifier else {}
        if info is not None:
            if not isinstance(info, dict):
                raise TypeError(f"info must be a dict, got {type(info).__name__}")
            try:
                extra["info"] = json.dumps(info)
            except (TypeError, ValueError) as e:
                raise ValueError(f"info must be JSON-serialisable: {e}") from None
        if not hasattr(path, "write"):  # np.savez would append .npz to a name
            with open(path, "wb") as f:
                return self.save(f, info)
        np.savez(path, format_version=FORMAT_VERSION,
                 estimator=type(self).__name__,
                 params=json.dumps(self._json_params()),
                 state=self._state["state"],
                 t=self._state["t"], n_features_in_=self.n_features_in_,
                 loss_sum=self._loss_sum, n_seen=self._n_seen, **extra)


def load_info(path):
    """The `info` dict a model file was saved with ({} if none)."""
    with np.load(path, allow_pickle=False) as f:
        return json.loads(str(f["info"])) if "info" in f else {}


def load(path):
    """Load a model written by `save` (or by `fastopt train`)."""
    from fastopt import online
    with np.load(path, allow_pickle=False) as f:
        if int(f["format_version"]) != FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported model format {int(f['format_version'])}")
        cls = getattr(online, str(f["estimator"]), None)
        if cls is None or not issubclass(cls, OnlineLinearModel):
            raise ValueError(f"{path}: unknown estimator {str(f['estimator'])!r}")
        params = json.loads(str(f["params"]))
        est = cls(**params)
        est.n_features_in_ = int(f["n_features_in_"])
        if "classes_" in f:
            est.classes_ = f["classes_"]
        est._loss_sum, est._n_seen = float(f["loss_sum"]), int(f["n_seen"])
        state = dict(state=np.ascontiguousarray(f["state"], dtype=np.float64).copy(),
                     t=int(f["t"]))
        stride = _kernels.online_stride(cls._algorithm)
        if state["state"].shape != (est.n_features_in_ + 1, stride):
            raise ValueError(f"{path}: model state has shape {state['state'].shape}; "
                             f"expected ({est.n_features_in_ + 1}, {stride})")
    est._new_model(est.n_features_in_, state)
    return est
