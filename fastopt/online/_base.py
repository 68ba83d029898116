"""What the online learners share: parameters, input checks, the C model,
progressive loss, persistence.  The per-example loop is C (csrc/online.inc).

The estimators follow scikit-learn's conventions without depending on it:
constructor arguments are stored as given and checked at fit time;
get_params / set_params; fitted attributes end in an underscore.
"""
from __future__ import annotations

import inspect
import json
import math
import numbers
import os
import struct
import sys
import threading
import warnings
import zipfile
import zlib
from typing import IO, TYPE_CHECKING, Any, Optional, TypeVar, Union, cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from fastopt import _kernels
from fastopt._files import atomic_output
from fastopt._threads import effective_n_threads
from fastopt._validation import check_compressed, check_n_threads
from fastopt.online._progressive import Progressive

if TYPE_CHECKING:
    from fastopt.online.estimators import FTRLClassifier, FTRLRegressor, RDAClassifier

F64 = npt.NDArray[np.float64]
AnyArray = npt.NDArray[Any]
# the CSR arrays the C loop reads: indptr, indices, data, shape
CSR = tuple[AnyArray, AnyArray, AnyArray, tuple[int, int]]
# the checked configuration of the C model (_check_params)
Config = dict[str, Any]
# a model file: a path or a binary file object
PathOrFile = Union[str, "os.PathLike[str]", IO[bytes]]
_T = TypeVar("_T")
# what a model file holds (load's result)
Estimator = Union["FTRLClassifier", "FTRLRegressor", "RDAClassifier"]

# Model files (.npz): version 3 (written) keeps only the touched rows of
# the state -- `rows`, the row numbers of every row with a bit set, and
# `values`, those rows: (len(rows), stride), or (len(rows), K, stride) for
# a one-vs-rest model of K > 2 classes (its K records of a coordinate side
# by side, as in memory) -- version 2 (still read) the whole (d + 1,
# stride) `state` of a single model.  A multi-class file is a format 3 file
# whose classes_ has K > 2 labels: fastopt versions before it refuse it
# (classes_ / values shape), never misread it.  A classifier's format 3
# file also keeps its progressive metrics (_PROGRESSIVE_FIELDS; a file
# without them loads with NaN metrics).  README "Model files" states the
# rule.
FORMAT_VERSION = 3
READ_VERSIONS = (2, 3)


class NotFittedError(ValueError, AttributeError):
    """The estimator has not been fitted yet."""


def _warning_class(name: str, default: _T) -> _T:
    """scikit-learn's warning or exception class `name` when sklearn is
    already loaded (so that its tools recognise ours), else `default`;
    fastopt never imports sklearn itself."""
    mod = sys.modules.get("sklearn.exceptions")
    return cast(_T, getattr(mod, name, default)) if mod is not None else default


_combined_not_fitted: dict[type, type[NotFittedError]] = {}


def _not_fitted(message: str) -> NotFittedError:
    sk: Optional[type] = _warning_class("NotFittedError", None)
    if sk is None:
        return NotFittedError(message)
    if sk not in _combined_not_fitted:
        _combined_not_fitted[sk] = type("NotFittedError", (NotFittedError, sk),
                                        {"__module__": __name__})
    return _combined_not_fitted[sk](message)


def _check_real(name: str, value: Any, low: Optional[float] = None,
                low_open: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not np.isfinite(cast(float, value)):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or int(value) < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_bits(value: Any) -> int:
    """bits (the 2**bits columns feature dicts are hashed into): an int in
    [1, 32], as VW's -b."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or not 1 <= int(value) <= 32:
        raise ValueError(f"bits must be an int in [1, 32], got {value!r}")
    return int(value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return bool(value)


_LOSS_CODES: dict[str, int] = {"logistic": _kernels.LOSS_LOGISTIC, "squared": _kernels.LOSS_SQUARED,
               "hinge": _kernels.LOSS_HINGE, "quantile": _kernels.LOSS_QUANTILE,
               "poisson": _kernels.LOSS_POISSON}


def _check_loss(value: Any, allowed: tuple[str, ...]) -> int:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"loss must be one of {list(allowed)}, got {value!r}")
    return _LOSS_CODES[value]


def _namespace_byte(ch: Any, what: str) -> bytes:
    """A namespace given as a one-character str (or a byte): VW's index is
    the first byte of the namespace's name."""
    if isinstance(ch, str) and len(ch) == 1 and len(ch.encode("utf-8")) == 1:
        return ch.encode("utf-8")
    raise ValueError(f"{what}: namespaces are single ASCII characters, got {ch!r}")


def _check_interactions(value: Any) -> tuple[list[bytes], bool]:
    """(terms as bytes, all_pairs) from None or a list of strings like
    "ab", "abc" (VW's -q / --interactions) or "::" (every pair).  As VW
    (9.x) does by default: terms of the same namespaces in any order are
    one term, the smallest spelling ("-q ba -q ab" is "ab"; "-q ba" alone
    stays "ba"), and a term with a repeated namespace has its namespaces
    sorted ("bab" -> "abb"); with "::" the explicit pairs are dropped
    (every pair is in it, as "ab" with a < b)."""
    if value is None:
        return [], False
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValueError("interactions must be None or a list of strings such as "
                         f"['ab', 'abc'] or ['::'], got {value!r}")
    terms: list[bytes] = []
    where: dict[bytes, int] = {}
    all_pairs = False
    for term in value:
        if term == "::":
            all_pairs = True
            continue
        if not isinstance(term, str) or len(term) not in (2, 3) or ":" in term:
            raise ValueError("each interaction is a string of 2 or 3 namespace "
                             f"characters (or '::' for all pairs), got {term!r}")
        b = b"".join(_namespace_byte(c, "interactions") for c in term)
        key = bytes(sorted(b))
        spelling = key if len(set(b)) < len(b) else b
        if key in where:
            terms[where[key]] = min(terms[where[key]], spelling)
        else:
            where[key] = len(terms)
            terms.append(spelling)
    if all_pairs:
        terms = [t for t in terms if len(t) == 3]
    if len(terms) > _kernels.ONLINE_MAX_INTER:
        raise ValueError(f"at most {_kernels.ONLINE_MAX_INTER} interactions, got "
                         f"{len(terms)}")
    return terms, all_pairs


def _check_fields(value: Any) -> Optional[dict[bytes, list[tuple[int, int]]]]:
    """{namespace byte: [(start, stop), ...]} from None or a dict mapping a
    namespace character to feature-id ranges: [start, stop) pairs (or one
    pair); columns in no field are in VW's default namespace ' '."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("fields must be None or a dict {namespace: [[start, stop], "
                         f"...]}}, got {value!r}")
    out: dict[bytes, list[tuple[int, int]]] = {}
    for ch, ranges in value.items():
        b = _namespace_byte(ch, "fields")
        if (isinstance(ranges, (list, tuple)) and len(ranges) == 2
                and all(isinstance(v, numbers.Integral) for v in ranges)):
            ranges = [ranges]
        if not isinstance(ranges, (list, tuple)) or not ranges:
            raise ValueError(f"fields[{ch!r}] must be a list of [start, stop) ranges")
        checked = []
        for r in ranges:
            if (not isinstance(r, (list, tuple)) or len(r) != 2
                    or not all(isinstance(v, numbers.Integral)
                               and not isinstance(v, (bool, np.bool_)) for v in r)
                    or not 0 <= r[0] < r[1] <= 2**62):
                raise ValueError(f"fields[{ch!r}]: a range is [start, stop) with "
                                 f"0 <= start < stop, got {r!r}")
            checked.append((int(r[0]), int(r[1])))
        out[b] = checked
    return out


def _str_labels(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """An object array of str labels as a str array (as scikit-learn's
    unique_labels makes classes_ of them); anything else as it is."""
    if a.dtype == object and a.size and all(isinstance(v, str) for v in a.ravel().tolist()):
        return a.astype(str)
    return a


def _check_sample_weight(sample_weight: Any, n: int) -> Optional[npt.NDArray[np.float64]]:
    """sample_weight as (n,) finite float64 >= 0, or None; a number is
    every row's weight (as scikit-learn)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 0 and w.dtype.kind in "biuf":
        w = np.full(n, w, dtype=np.float64)
    if w.dtype.kind not in "biuf" or w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"sample_weight must be a 1-d array of {n} numbers (one per "
                         f"row), got shape {w.shape} and dtype {w.dtype}")
    w = np.ascontiguousarray(w, dtype=np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and >= 0")
    return w


def _check_base_margin(base_margin: Any, n: int, k: int) -> Optional[F64]:
    """base_margin as the C loop reads it: None, or (n * k,) finite float64
    (row r's offset for model j at r k + j) from a (n,) array for one model
    or (n, k) for k one-vs-rest models."""
    if base_margin is None:
        return None
    b = np.asarray(base_margin)
    want = (n,) if k == 1 else (n, k)
    if b.dtype.kind not in "biuf" or b.shape != want:
        raise ValueError(f"base_margin must be an array of shape {want} (one margin "
                         f"offset per row{'' if k == 1 else ' and class'}), got shape "
                         f"{b.shape} and dtype {b.dtype}")
    b = np.ascontiguousarray(b, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(b)):
        raise ValueError("base_margin must be finite")
    return b


# dataframe libraries whose frames carry column names in `.columns` (what
# scikit-learn reads, through narwhals, as feature names); fastopt imports none
_FRAME_MODULES = ("pandas", "polars", "modin", "cudf")


def _feature_names(X: Any) -> Optional[npt.NDArray[np.object_]]:
    """X's column names as scikit-learn reads them: an object array when X
    is a dataframe whose column names are all str, else None; TypeError
    for a mix of str and other names."""
    if type(X).__module__.split(".")[0] not in _FRAME_MODULES:
        return None
    names = np.asarray(list(getattr(X, "columns", ())), dtype=object)
    if len(names) == 0:
        return None
    types = sorted({type(v).__qualname__ for v in names})
    if len(types) > 1 and "str" in types:
        raise TypeError("Feature names are only supported if all input features have "
                        f"string names, but your input has {types} as feature name / "
                        "column name types; convert them all to strings, e.g. "
                        "X.columns = X.columns.astype(str)")
    return names if types == ["str"] else None


def _check_feature_names(est: "OnlineLinearModel", X: Any) -> None:
    """X's column names against the feature_names_in_ the fitted `est` got
    from fit, as scikit-learn: a UserWarning when only one of them has
    names, ValueError when they differ."""
    fitted = est.__dict__.get("feature_names_in_")
    names = _feature_names(X)
    name = type(est).__name__
    if fitted is None and names is None:
        return
    if fitted is None:
        warnings.warn(f"X has feature names, but {name} was fitted without feature "
                      "names", UserWarning, stacklevel=4)
        return
    if names is None:
        warnings.warn(f"X does not have valid feature names, but {name} was fitted "
                      "with feature names", UserWarning, stacklevel=4)
        return
    if len(fitted) != len(names) or np.any(fitted != names):
        unseen = sorted(set(names) - set(fitted))[:5]
        missing = sorted(set(fitted) - set(names))[:5]
        detail = "".join(f" {what}: {shown}." for what, shown in (
            ("Feature names unseen at fit time", unseen),
            ("Feature names seen at fit time, yet now missing", missing)) if shown)
        raise ValueError("The feature names should match those that were passed "
                         "during fit." + (detail or " Feature names must be in the "
                                          "same order as they were in fit."))


def _coo_to_csr(X: Any) -> sp.csr_matrix:
    """A CSR matrix from any other scipy.sparse format, through COO arrays
    checked here: scipy's own conversions trust the structure, and its
    attributes can be reassigned after construction."""
    X = X.tocoo() if X.format != "coo" else X
    shape = tuple(X.shape)
    arrays = {}
    for attr in ("row", "col", "data"):
        a = getattr(X, attr, None)
        if not isinstance(a, np.ndarray) or a.ndim != 1:
            raise ValueError(f"X.{attr} must be a 1-D numpy array")
        if attr != "data" and a.dtype.kind not in "iu":
            raise TypeError(f"X.{attr} must hold integers, got dtype {a.dtype}")
        arrays[attr] = a
    row, col, data = arrays["row"], arrays["col"], arrays["data"]
    if not len(row) == len(col) == len(data):
        raise ValueError(f"X.row, X.col and X.data have {len(row)}, {len(col)} and "
                         f"{len(data)} entries; they must have one each per value")
    for a, attr, n, what in ((row, "row", shape[0], "rows"), (col, "col", shape[1], "columns")):
        bad = np.flatnonzero((a < 0) | (a >= n))
        if bad.size:
            raise IndexError(f"X.{attr}[{bad[0]}] = {a[bad[0]]} is out of range for "
                             f"{n} {what}")
    return sp.csr_matrix((data, (row, col)), shape=shape)


def csr_arrays(X: Any, n_features: Optional[int] = None,
               owner: str = "this estimator") -> CSR:
    """X as the CSR arrays the C loop reads: (indptr, indices, data, shape),
    float32/float64 values, int32/int64 indices of one dtype.

    A caller's CSR / CSC structure is checked first (one C pass,
    fastopt._validation.check_compressed), and only the arrays that check
    returned reach C -- never X's attributes read again.  A CSR matrix that
    already is usable is not copied; anything else is converted."""
    if sp.issparse(X):
        fmt = X.format
        if fmt not in ("csr", "csc"):
            X, fmt = _coo_to_csr(X), "csr"
        shape = tuple(X.shape)
        indptr, indices, data = check_compressed(X, name="X")
        if np.iscomplexobj(data):
            raise ValueError("Complex data not supported")
        if data.dtype not in (np.float32, np.float64):
            data = data.astype(np.float64)
        if fmt == "csc":    # converted from the checked arrays only
            X = sp.csc_matrix((data, indices, indptr), shape=shape).tocsr()
            indptr, indices, data = X.indptr, X.indices, X.data
    else:
        if isinstance(X, np.matrix):   # as scikit-learn (numpy deprecates np.matrix)
            raise TypeError("np.matrix is not supported. Please convert to a numpy "
                            "array with np.asarray.")
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
        shape, indptr, indices, data = X.shape, X.indptr, X.indices, X.data
    if indices.dtype != indptr.dtype:   # the C loop takes one index type
        indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
    if shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={shape}) while a "
                         "minimum of 1 is required.")
    if shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={shape}) while a "
                         "minimum of 1 is required.")
    if n_features is not None and shape[1] != n_features:
        raise ValueError(f"X has {shape[1]} features, but {owner} is expecting "
                         f"{n_features} features as input")
    return indptr, indices, data, shape


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def check_model_size(cls: type[OnlineLinearModel], n_features: int) -> None:
    """Refuse, before allocating it, a model that cannot fit in this
    machine's memory: the state is (n_features + 1) x stride float64."""
    stride = _kernels.online_stride(cls._algorithm)
    need = (n_features + 1) * stride * 8
    try:
        have = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):   # pragma: no cover - not POSIX
        return
    if need > have:
        raise ValueError(f"a {cls.__name__} of {n_features} features needs "
                         f"{_bytes(need)} ({stride} float64 per feature), more than "
                         f"this machine's {_bytes(have)} of memory; use fewer "
                         "features (hash them into range)")


class OnlineLinearModel:
    """Base of FTRLClassifier, FTRLRegressor and RDAClassifier.

    Calls on one estimator are serialised: fit, partial_fit, the
    predictions, coef_ / intercept_, save and pickling hold a per-estimator
    lock (not pickled or copied), so that threads sharing an estimator get
    the result of some serial order of their calls."""

    _algorithm: int       # _kernels.ONLINE_FTRL or ONLINE_RDA (each estimator's)
    _losses: tuple[str, ...] = ()   # the loss names the estimator takes
    _is_classifier = False

    # The constructor parameters every estimator has, stored as given and
    # checked at fit time (scikit-learn's convention): hence Any.
    fit_intercept: Any
    n_epochs: Any
    shuffle: Any
    n_threads: Any
    random_state: Any
    loss: Any
    interactions: Any
    fields: Any
    bits: Any
    # The fitted state (_fresh, _bind, read_model's _build).  _model is None
    # only while a pickled estimator is being restored without a state.
    n_features_in_: int
    _model: Optional[_kernels.OnlineModel]
    _state: dict[str, Any]        # {"state": (d + 1, [K,] stride) float64, "t": int}
    _cfg: Config
    _loss_sum: float
    _n_seen: int
    _weight_sum: float
    _diverged: bool
    classes_: AnyArray            # classifiers only: their labels
    _progressive: Progressive     # classifiers only: progressive logloss and AUC

    # -- parameters ----------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters, as scikit-learn's get_params.

        Parameters
        ----------
        deep : bool, default=True
            Ignored (no sub-estimators).

        Returns
        -------
        dict
            {name: value} of every constructor parameter.
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> OnlineLinearModel:
        """Set constructor parameters (checked at the next fit or call).

        Parameters
        ----------
        **params
            name=value pairs of constructor parameters.

        Returns
        -------
        self
            The estimator.

        Raises
        ------
        ValueError
            An unknown parameter name.
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's description of the estimator (only sklearn calls
        this, so sklearn is importable when it runs): classifier (binary and
        multi-class, one-vs-rest) or regressor, sparse input accepted, no NaN."""
        from sklearn.utils import (ClassifierTags, InputTags, RegressorTags, Tags,
                                   TargetTags)
        return Tags(
            estimator_type="classifier" if self._is_classifier else "regressor",
            target_tags=TargetTags(required=True),
            # poor_score: with class_weight {0: 1000, 1: 1e-4} one pass over 50
            # noisy rows does not reach sklearn's 87%
            classifier_tags=ClassifierTags(multi_class=True, poor_score=True)
            if self._is_classifier else None,
            # one pass with fixed default rates: not meant to score well on
            # sklearn's small dense test problems
            regressor_tags=None if self._is_classifier else RegressorTags(poor_score=True),
            non_deterministic=self.n_threads not in (None, 1),
            input_tags=InputTags(sparse=True))

    def _check_params(self) -> Config:
        """The C configuration, from checked parameters."""
        cfg: Config = dict(alpha=0.0, beta=0.0, l1=0.0, l2=0.0, gamma=1.0, rho=0.0)
        cfg.update(self._algorithm_params())
        cfg["n_epochs"] = _check_int("n_epochs", self.n_epochs, 1)
        cfg["fit_intercept"] = _check_bool("fit_intercept", self.fit_intercept)
        cfg["loss"] = _check_loss(self.loss, self._losses)
        tau = getattr(self, "quantile_tau", 0.5)
        cfg["tau"] = _check_real("quantile_tau", tau, 0.0, low_open=True)
        if not tau < 1.0:
            raise ValueError(f"quantile_tau must be < 1, got {tau!r}")
        cfg["inter"], cfg["all_pairs"] = _check_interactions(self.interactions)
        cfg["fields"] = _check_fields(self.fields)
        if self._is_classifier:
            self._check_class_weight(getattr(self, "class_weight", None))
        _check_bool("shuffle", self.shuffle)
        _check_bits(getattr(self, "bits", 18))
        check_n_threads(self.n_threads)
        return cfg

    def _algorithm_params(self) -> dict[str, float]:
        """The algorithm's hyperparameters, checked (each estimator's)."""
        raise NotImplementedError

    def _n_threads(self) -> int:
        """Threads for one C call: always through effective_n_threads, which
        caps a request at the usable CPUs (never a user's int straight to C)."""
        return effective_n_threads(self.n_threads)

    # -- concurrency ---------------------------------------------------------
    def _lock(self) -> threading.Lock:
        lock: Optional[threading.Lock] = self.__dict__.get("_call_lock")
        if lock is None:   # setdefault: two threads get the same lock
            lock = self.__dict__.setdefault("_call_lock", threading.Lock())
        return lock

    # -- model ---------------------------------------------------------------
    def _bind(self, cfg: Config, state: dict[str, Any]) -> dict[str, Any]:
        """The attributes of a C model over `state`, not yet the estimator's."""
        model = _kernels.OnlineModel(
            self._algorithm, cfg["loss"], cfg["fit_intercept"], cfg["alpha"], cfg["beta"],
            cfg["l1"], cfg["l2"], cfg["gamma"], cfg["rho"], state["state"], state["t"],
            cfg["tau"], cfg["inter"], cfg["all_pairs"])
        return dict(_model=model, _state=state, _cfg=cfg)

    def _fresh(self, d: int, labels: Optional[npt.NDArray[Any]],
               names: Optional[npt.NDArray[np.object_]] = None) -> dict[str, Any]:
        """A new, untrained model of d features (committed by _train);
        names: X's column names (feature_names_in_), or None."""
        cfg = self._check_params()
        stride = _kernels.online_stride(self._algorithm)
        # one-vs-rest, K > 2 classes: K models interleaved, (d + 1, K, stride)
        shape = (d + 1, stride) if labels is None or len(labels) == 2 \
            else (d + 1, len(labels), stride)
        check_model_size(type(self), d * (shape[1] if len(shape) == 3 else 1))
        new = self._bind(cfg, dict(state=np.zeros(shape), t=0))
        new.update(n_features_in_=d, _loss_sum=0.0, _n_seen=0, _weight_sum=0.0,
                   _diverged=False)
        if names is not None:
            new["feature_names_in_"] = names
        if labels is not None:     # a classifier (a regressor has no labels)
            new["classes_"] = labels
            new["_progressive"] = Progressive(len(labels), cfg["loss"] == _kernels.LOSS_LOGISTIC)
        return new

    def _is_fitted(self) -> bool:
        return getattr(self, "_model", None) is not None

    def _check_fitted(self) -> _kernels.OnlineModel:
        """The C model; NotFittedError before fit or partial_fit."""
        model: Optional[_kernels.OnlineModel] = getattr(self, "_model", None)
        if model is None:
            raise _not_fitted(f"this {type(self).__name__} is not fitted yet; "
                              "call fit or partial_fit first")
        return model

    def _check_usable(self) -> _kernels.OnlineModel:
        """The C model, fitted and not diverged: a diverged model's weights
        are not finite, and it stays unusable until fit starts it again."""
        model = self._check_fitted()
        if getattr(self, "_diverged", False):
            raise FloatingPointError(
                f"this {type(self).__name__} diverged during training (its state is "
                "not finite) and cannot predict, continue or be saved; call fit "
                "to train it again")
        return model

    def _encode_y(self, y: Any, classes: Any,
                  known: Optional[AnyArray]) -> tuple[F64, Optional[AnyArray]]:
        """y as float64 (0/1 for a classifier) and the classes: the labels
        of y (or `classes`) on a first call, else `known`, checked."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but "
                             "the target y is None")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; "
                          "using y.ravel()",
                          _warning_class("DataConversionWarning", UserWarning),
                          stacklevel=4)
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y should be a 1d array, got shape {y.shape}")
        if classes is not None and np.ndim(classes) == 0:   # a set, a scalar
            raise ValueError(f"classes must be an array-like of labels, got {classes!r}")
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
            return y, None
        y = _str_labels(y)
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity")
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("Unknown label type: continuous. "
                             f"{type(self).__name__} is a classifier; y must hold "
                             "class labels")
        if known is None:
            try:
                labels = np.unique(y) if classes is None else \
                    np.unique(_str_labels(np.asarray(classes)))
            except TypeError as e:   # labels that cannot be sorted together
                raise TypeError(f"the class labels must be sortable: {e}") from None
            if len(labels) < 2:
                raise ValueError("The number of classes has to be greater than one; "
                                 f"got {len(labels)} class: {labels.tolist()}")
        else:
            labels = known
            if classes is not None and not np.array_equal(np.unique(np.asarray(classes)),
                                                          labels):
                raise ValueError(f"classes {np.unique(np.asarray(classes)).tolist()} "
                                 f"differ from the first call's {labels.tolist()}")
        unknown = ~np.isin(y, labels)
        if unknown.any():
            raise ValueError(f"y has labels {np.unique(y[unknown]).tolist()} not in "
                             f"classes {labels.tolist()}")
        # each row's class index: 0/1 is also the target of a binary model
        return np.searchsorted(labels, y).astype(np.float64), labels

    @staticmethod
    def _check_class_weight(cw: Any) -> None:
        """None, "balanced", a dict {label: weight} or a list of (label,
        weight) pairs (as a model file keeps a dict); weights finite >= 0."""
        if cw is None or (isinstance(cw, str) and cw == "balanced"):
            return
        items = list(cw.items()) if isinstance(cw, dict) else cw
        if not isinstance(items, (list, tuple)) or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 for p in items):
            raise ValueError("class_weight must be None, 'balanced', a dict {label: "
                             f"weight}} or a list of (label, weight) pairs, got {cw!r}")
        for label, w in items:
            _check_real(f"class_weight[{label!r}]", w, 0.0)

    def _row_weights(self, y01: npt.NDArray[np.float64], labels: Optional[AnyArray],
                     sample_weight: Any, partial: bool
                     ) -> tuple[Optional[npt.NDArray[np.float64]],
                                Optional[npt.NDArray[np.float64]]]:
        """The importance weights the C loop takes, as scikit-learn's
        SGDClassifier weighs its binary problems: (sw, pos_w).  sw: each
        row's weight (None: all 1), sample_weight times, for one model (two
        classes), its class's weight.  pos_w: with class_weight and K > 2
        classes, the K class weights -- one-vs-rest model k weighs its
        positives (class k) by pos_w[k], every other row by sample_weight
        alone -- else None."""
        sw = _check_sample_weight(sample_weight, y01.shape[0])
        cw = getattr(self, "class_weight", None) if self._is_classifier else None
        if cw is None or labels is None:    # labels: a classifier's classes
            return sw, None
        if isinstance(cw, str):             # "balanced": scikit-learn's formula
            if partial:
                raise ValueError("class_weight 'balanced' is not supported for "
                                 "partial_fit (the class counts of one call are not "
                                 "the data's); pass a dict of weights, e.g. "
                                 "n_samples / (n_classes * np.bincount(y)) over all "
                                 "the data")
            k = len(labels)
            counts = np.bincount(y01.astype(np.intp), minlength=k).astype(np.float64)
            per_class = np.where(counts > 0, y01.shape[0] / (k * np.maximum(counts, 1)),
                                 0.0)
        else:
            items = cw.items() if isinstance(cw, dict) else cw
            per_class = np.ones(len(labels))
            known = labels.tolist()
            for label, w in items:
                hit = [i for i, c in enumerate(known) if c == label]
                if len(hit) != 1:
                    raise ValueError(f"class_weight: class label {label!r} is not one of "
                                     f"the classes {known}")
                per_class[hit[0]] = float(w)
        if len(labels) > 2:
            return sw, per_class
        cwr = per_class[y01.astype(np.intp)]
        return (cwr if sw is None else sw * cwr), None

    def _namespaces(self, model: _kernels.OnlineModel, cfg: Config, d: int,
                    indices: AnyArray, X: Any,
                    namespaces: Any) -> Optional[npt.NDArray[np.uint8]]:
        """Each entry's namespace index (uint8, aligned with the CSR arrays)
        for a model with interactions, else None: `namespaces` as given
        (VW-format data: fastopt.vw yields them), or looked up from the
        `fields` column ranges."""
        if not model.crossed:
            return None
        nnz = int(indices.shape[0])
        if namespaces is not None:
            if not (sp.issparse(X) and X.format == "csr"):
                raise ValueError("namespaces= goes with a CSR X (one namespace per "
                                 "entry of X.data)")
            ns = np.frombuffer(namespaces, dtype=np.uint8) \
                if isinstance(namespaces, (bytes, bytearray)) else np.asarray(namespaces)
            if ns.ndim != 1 or ns.shape[0] != nnz or ns.dtype.kind not in "iu" or (
                    ns.size and (ns.min() < 0 or ns.max() > 255)):
                raise ValueError(f"namespaces must hold one byte (0..255) per entry of "
                                 f"X ({nnz}), got shape {ns.shape} and dtype {ns.dtype}")
            return np.ascontiguousarray(ns, dtype=np.uint8)
        fields = cfg["fields"]
        if fields is None:
            raise ValueError(f"{type(self).__name__} has interactions: give fields= "
                             "(feature-id ranges per namespace) or namespaces= (one "
                             "per entry of X, as fastopt.vw yields)")
        key = (d, sorted(fields.items()))
        cached = self.__dict__.get("_field_table")
        if cached is None or cached[0] != key:
            table = np.full(d, ord(" "), dtype=np.uint8)
            for b, ranges in fields.items():
                for lo, hi in ranges:
                    table[lo:min(hi, d)] = b[0]
            cached = self.__dict__["_field_table"] = (key, table)
        return cached[1][indices]

    @staticmethod
    def _check_rows(shape: tuple[int, int], y01: F64) -> None:
        if y01.shape[0] != shape[0]:
            raise ValueError(f"X has {shape[0]} rows but y has {y01.shape[0]} labels")

    def _train(self, new: dict[str, Any], indptr: npt.NDArray[np.integer[Any]],
               indices: npt.NDArray[np.integer[Any]], data: npt.NDArray[np.floating[Any]],
               y01: npt.NDArray[np.float64], order: Optional[npt.NDArray[np.int64]],
               ns: Optional[npt.NDArray[np.uint8]] = None,
               sw: Optional[npt.NDArray[np.float64]] = None,
               base: Optional[npt.NDArray[np.float64]] = None,
               pos_w: Optional[npt.NDArray[np.float64]] = None,
               margins: bool = False) -> Optional[F64]:
        """One pass of the C loop.  `new`: a fresh model's attributes (or
        {} to continue the current one), committed unless the C check -- run
        before anything is written -- rejects X.  A divergence is committed
        and marks the model unusable until fit.  sw, pos_w: _row_weights'.
        Returns the (rows, K) margins the C loop made before each update
        when computed (always for a classifier; with `margins` for a
        regressor too), else None."""
        model: _kernels.OnlineModel = new["_model"] if new else self._check_fitted()
        loss0: float = new["_loss_sum"] if new else self._loss_sum
        # the margins before each update: the progressive metrics' input
        pred = np.empty((len(indptr) - 1, model.n_models)) \
            if self._is_classifier or margins else None
        rc, loss_sum, bad = model.fit(indptr, indices, data, y01, order,
                                      self._n_threads(), loss0, ns, sw, pred, base, pos_w)
        if rc in (_kernels.STATUS_BAD_INDEX, _kernels.STATUS_NONFINITE):
            self._raise_status(rc, bad)
        if new:     # a fresh model: the names of the X it is fitted on, if any
            self.__dict__.pop("feature_names_in_", None)
        self.__dict__.update(new)
        self._state["t"] = model.t
        if rc == _kernels.STATUS_DIVERGED:
            self._diverged = True
        elif rc == _kernels.STATUS_OK:
            self._loss_sum = loss_sum
            if pos_w is not None:   # a row's own weight: its class's model's
                cwr = pos_w[y01.astype(np.intp)]
                sw = cwr if sw is None else sw * cwr
            # the rows learned (an order entry ~r only predicts row r)
            learned = None if order is None else order[order >= 0]
            n = len(indptr) - 1 if learned is None else len(learned)
            rows = slice(None) if learned is None else learned
            self._n_seen += n
            self._weight_sum = getattr(self, "_weight_sum", 0.0) + (
                float(n) if sw is None else float(np.sum(sw[rows])))
            prog = self.__dict__.get("_progressive")
            if prog is not None and pred is not None:
                prog.update(pred[rows], y01[rows], None if sw is None else sw[rows])
        self._raise_status(rc, bad)
        return pred

    def _raise_status(self, rc: int, bad: int) -> None:
        if rc == _kernels.STATUS_BAD_INDEX:
            raise ValueError(f"X row {bad} has a feature index outside [0, {self.n_features_in_})")
        if rc == _kernels.STATUS_NONFINITE:
            raise ValueError(f"X row {bad} contains NaN or infinity")
        if rc == _kernels.STATUS_DIVERGED:
            raise FloatingPointError(
                f"the model diverged: its prediction for row {bad} is not finite "
                "(lower alpha or raise beta / l2); it stays unusable until fit")
        if rc == _kernels.STATUS_NOMEM:
            raise MemoryError(f"row {bad}: no memory for its crossed features")
        if rc != _kernels.STATUS_OK:
            raise RuntimeError(f"online kernel failed with status {rc}")

    # -- fitting -------------------------------------------------------------
    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None,
                    namespaces: Any = None, base_margin: Any = None) -> OnlineLinearModel:
        """One pass over (X, y) in order, continuing from the current model.

        Everything is checked before the model changes: a bad call leaves
        it as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            float32/float64; a CSR matrix is read in place.
        y : array-like of shape (n_samples,)
            Class labels (classifiers) or targets (regressor).
        classes : array-like, optional
            Classifiers: every label, required on the first call (as
            scikit-learn's partial_fit: ValueError without it).  Later calls
            may repeat them, not change them.
        sample_weight : array-like of shape (n_samples,), optional
            Importance weights (>= 0): each row's gradient and loss are
            multiplied by its weight (times class_weight for a classifier).
        namespaces : array-like of uint8, optional
            One namespace byte per entry of a CSR X, for a model with
            interactions on VW-format data (fastopt.vw yields them).
        base_margin : array-like, optional
            A fixed offset added to each row's margin w . x + b before the
            loss and its gradient are computed (XGBoost's ``base_margin``,
            VW's initial prediction): shape (n_samples,), or (n_samples,
            n_classes) for more than two classes.  The model learns the
            residual on top of it; pass the same offsets to predict.

        Returns
        -------
        self
            The estimator.

        Raises
        ------
        ValueError
            Bad X, y, classes, sample_weight, namespaces or base_margin, or a
            classifier's first call without classes (nothing trained).
        FloatingPointError
            The model diverged (it stays unusable until fit).
        """
        self._partial_fit(X, y, classes, sample_weight, namespaces, base_margin)
        return self

    def _partial_fit(self, X: Any, y: Any, classes: Any = None,
                     sample_weight: Any = None, namespaces: Any = None,
                     base_margin: Any = None, margins: bool = False,
                     held: Optional[npt.NDArray[np.bool_]] = None) -> Optional[F64]:
        """partial_fit, returning the margins the C loop made before each
        row's update ((n_samples, K), base_margin's offsets included: VW's
        progressive predictions) when `margins` (None otherwise).  held: a
        boolean mask of rows that the C loop predicts where they stand and
        does not learn from (held-out rows; their labels still checked)."""
        with self._lock():
            first = not self._is_fitted()
            if not first:
                self._check_usable()
                _check_feature_names(self, X)
            names = _feature_names(X) if first else None
            indptr, indices, data, shape = csr_arrays(
                X, None if first else self.n_features_in_, type(self).__name__)
            if first and self._is_classifier and classes is None:   # as scikit-learn
                raise ValueError("classes must be passed on the first call to "
                                 "partial_fit.")
            y01, labels = self._encode_y(
                y, classes, None if first else getattr(self, "classes_", None))
            self._check_rows(shape, y01)
            new = self._fresh(shape[1], labels, names) if first else {}
            sw, pos_w = self._row_weights(
                y01, new.get("classes_", getattr(self, "classes_", None)), sample_weight,
                partial=True)
            cur = new or self.__dict__
            ns = self._namespaces(cur["_model"], cur["_cfg"], cur["n_features_in_"],
                                  indices, X, namespaces)
            base = _check_base_margin(base_margin, shape[0], cur["_model"].n_models)
            order = None
            if held is not None and np.any(held):
                r = np.arange(shape[0], dtype=np.int64)
                order = np.where(held, ~r, r)
            pred = self._train(new, indptr, indices, data, y01, order, ns, sw, base,
                               pos_w, margins)
        return pred if margins else None

    def fit(self, X: Any, y: Any, sample_weight: Any = None, namespaces: Any = None,
            base_margin: Any = None) -> OnlineLinearModel:
        """n_epochs passes over (X, y) from a fresh model (shuffled each
        epoch with shuffle=True, seeded by random_state).

        A fit rejected for bad input leaves the previous model in place.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (two or more; any sortable type) or targets.
        sample_weight : array-like of shape (n_samples,), optional
            Importance weights, as in partial_fit.
        namespaces : array-like of uint8, optional
            As in partial_fit.
        base_margin : array-like, optional
            Each row's margin offset, as in partial_fit.

        Returns
        -------
        self
            The estimator.

        Raises
        ------
        ValueError
            Bad X, y, sample_weight, namespaces, base_margin or parameters.
        FloatingPointError
            The model diverged.
        """
        with self._lock():
            names = _feature_names(X)
            indptr, indices, data, shape = csr_arrays(X)
            y01, labels = self._encode_y(y, None, None)
            self._check_rows(shape, y01)
            new = self._fresh(shape[1], labels, names)
            sw, pos_w = self._row_weights(y01, labels, sample_weight, partial=False)
            if sample_weight is not None and sw is not None and not np.any(sw > 0):
                raise ValueError("sample_weight is zero for every row: nothing to fit")
            ns = self._namespaces(new["_model"], new["_cfg"], shape[1], indices, X,
                                  namespaces)
            base = _check_base_margin(base_margin, shape[0], new["_model"].n_models)
            rng = np.random.default_rng(self.random_state)
            for epoch in range(new["_cfg"]["n_epochs"]):
                order = rng.permutation(shape[0]).astype(np.int64) if self.shuffle else None
                self._train(new if epoch == 0 else {}, indptr, indices, data, y01, order,
                            ns, sw, base, pos_w)
        return self

    # -- prediction ----------------------------------------------------------
    def _margin(self, X: Any, namespaces: Any = None, base_margin: Any = None) -> F64:
        """w . x (crossed features included) + intercept for each row of X
        (plus base_margin's offsets when given)."""
        with self._lock():
            model = self._check_usable()
            _check_feature_names(self, X)
            indptr, indices, data, shape = csr_arrays(X, self.n_features_in_,
                                                      type(self).__name__)
            ns = self._namespaces(model, self._cfg, self.n_features_in_, indices, X,
                                  namespaces)
            base = _check_base_margin(base_margin, shape[0], model.n_models)
            rc, out, bad = model.margin(indptr, indices, data, self._n_threads(), ns)
        self._raise_status(rc, bad)
        return out if base is None else out + base.reshape(out.shape)

    def _weights(self) -> F64:
        with self._lock():
            return self._check_fitted().weights()

    @property
    def progressive_loss_(self) -> float:
        """Mean loss of the predictions made before each update, over every
        example trained on so far, weighted by the importance weights (what
        Vowpal Wabbit reports).  For more than two classes, the sum of the
        one-vs-rest models' losses, each weighted as its model trains on the
        row (class_weight: by the row's class's weight in that class's
        model only), over the rows' own weights (progressive_logloss_ is
        the multi-class logloss)."""
        self._check_fitted()
        wsum = getattr(self, "_weight_sum", self._n_seen)
        return self._loss_sum / wsum if wsum else float("nan")

    @property
    def n_examples_seen_(self) -> int:
        """Examples trained on so far (every pass of fit counted)."""
        self._check_fitted()
        return self._n_seen

    # -- persistence ---------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """A snapshot: neither the lock nor the C model, the state copied
        under the lock (another thread may be training)."""
        with self._lock():
            state = {k: v for k, v in self.__dict__.items()
                     if k not in ("_model", "_call_lock", "_field_table", "_dict_cache")}
            if "_state" in state:
                state["_state"] = dict(state["_state"], state=state["_state"]["state"].copy())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._model = None
        if "_state" in state:
            st = dict(state["_state"])  # unpickled arrays may be read-only
            st["state"] = np.array(st["state"], dtype=np.float64, order="C", copy=True)
            self.__dict__.update(self._bind(self._check_params(), st))

    def _json_params(self) -> str:
        """The parameters as JSON, checked as fit checks them (random_state:
        an int or None survives; a Generator or RandomState is not saved)."""
        self._check_params()
        params = {k: v.item() if isinstance(v, np.generic) else v
                  for k, v in self.get_params().items()}
        rs = params.get("random_state")
        if not (rs is None or isinstance(rs, int)):
            params["random_state"] = None
        cw = params.get("class_weight")
        if isinstance(cw, dict):     # JSON would turn the labels into strings
            params["class_weight"] = [[k.item() if isinstance(k, np.generic) else k,
                                       float(v)] for k, v in cw.items()]
        for key in ("interactions",):
            if params.get(key) is not None:
                params[key] = list(params[key])
        if params.get("fields") is not None:
            # the checked form: one [start, stop) pair is a list of one
            checked = _check_fields(params["fields"]) or {}
            params["fields"] = {k.decode(): [list(r) for r in v] for k, v in checked.items()}
        try:
            return json.dumps(params, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ValueError(f"the parameters cannot be saved as JSON: {e}") from None

    def save(self, path: PathOrFile, info: Optional[dict[str, Any]] = None) -> None:
        """Write the fitted model to `path` (a file name or a binary file
        object), in .npz format (version FORMAT_VERSION: only the touched
        coordinates' state -- weights and accumulators --, deflated); load
        with fastopt.online.load.  Loading gives back the same state, bit
        for bit, so training continues as if never interrupted.
        info: an optional JSON-serialisable dict kept beside the model (e.g.
        how the features were prepared), read back by load_info.

        A named file is replaced atomically (fastopt._files.atomic_output):
        everything is checked and serialised first, the data go to a temp
        file beside it, renamed into place; a failure or a signal leaves
        the previous file as it was.  A symlink stays a symlink."""
        with self._lock():
            self._check_usable()
            classes = _storable_classes(self.classes_) if self._is_classifier else None
            rows, values = compact_state(self._state["state"])
            fields = dict(format_version=FORMAT_VERSION, estimator=type(self).__name__,
                          params=self._json_params(), rows=rows, values=values,
                          t=self._state["t"], n_features_in_=self.n_features_in_,
                          loss_sum=self._loss_sum, n_seen=self._n_seen,
                          weight_sum=getattr(self, "_weight_sum", float(self._n_seen)))
            if classes is not None:
                fields["classes_"] = classes
            prog = self.__dict__.get("_progressive")
            if prog is not None:      # the progressive metrics go on after a load
                (fields["progressive_bins"], fields["progressive_counts"],
                 fields["progressive_sums"]) = prog.to_arrays()
            if info is not None:
                if not isinstance(info, dict):
                    raise TypeError(f"info must be a dict, got {type(info).__name__}")
                try:
                    fields["info"] = json.dumps(info, allow_nan=False)
                except (TypeError, ValueError) as e:
                    raise ValueError(f"info must be JSON-serialisable: {e}") from None
            if hasattr(path, "write"):
                np.savez_compressed(path, **fields)
                return
            with atomic_output(path, "wb") as f:   # a file object: savez adds no .npz
                np.savez_compressed(f, **fields)


# -- model files ----------------------------------------------------------------
# A model file is read as untrusted input: every field is checked (type,
# shape, range, finiteness) before anything is built from it, and every
# fault is a ValueError "FILE: reason" -- never numpy's pickle advice.

_REQUIRED = ("format_version", "estimator", "params", "t", "n_features_in_",
             "loss_sum", "n_seen")
_OPTIONAL = ("classes_", "info", "weight_sum")
# a classifier's progressive logloss and AUC (format 3; all or none):
# Progressive.to_arrays's increasing histogram indices, their counts, and
# [logloss sum, weight sum]
_PROGRESSIVE_FIELDS = ("progressive_bins", "progressive_counts", "progressive_sums")
# the state's fields in each layout: version 2 dense, version 3 compact
_LAYOUTS = {2: ("state",), 3: ("rows", "values")}
_STATE_FIELDS = ("state", "rows", "values")


def _storable_classes(classes: Any) -> AnyArray:
    """classes_ as a model file can hold them without pickle: numbers,
    bools, or strings (an object array of str becomes a str array, one of
    Python ints an int64 one); anything else is refused (ValueError)."""
    c: Optional[AnyArray] = np.asarray(classes)
    if c is not None and c.dtype.kind == "O":
        items = c.tolist()
        if all(isinstance(v, str) for v in items):
            c = np.array(items, dtype=str)
        elif all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                 for v in items):
            try:
                c = np.array(items, dtype=np.int64)
            except OverflowError:
                c = None
        else:
            c = None
    if c is None or c.dtype.kind not in "biufUS":
        kinds = sorted({type(v).__name__ for v in np.asarray(classes).tolist()})
        raise ValueError(f"save: class labels of type {', '.join(kinds)} cannot be stored "
                         "in a model file (numbers, bools and strings can); map them to "
                         "such labels or pickle the estimator")
    return c


def compact_state(state: F64) -> tuple[AnyArray, F64]:
    """Only the touched rows of a model state.

    Parameters
    ----------
    state : ndarray of float64, shape (d + 1, stride) or (d + 1, K, stride)
        A model's state: one row per coordinate (K one-vs-rest models'
        records side by side).

    Returns
    -------
    rows : ndarray of uint32 (uint64 beyond 2**32 rows)
        The increasing numbers of the rows with any bit set.
    values : ndarray of float64, shape (len(rows),) + state.shape[1:]
        Those rows.  The rows left out are +0.0 throughout, so expand_state
        gives back `state` bit for bit (a -0.0 is kept).
    """
    bits = state.reshape(state.shape[0], -1).view(np.uint64)
    touched = np.flatnonzero(np.any(bits != 0, axis=1))
    rows = touched.astype(np.uint32 if state.shape[0] <= 2**32 else np.uint64)
    return rows, np.ascontiguousarray(state[touched])


def expand_state(rows: AnyArray, values: AnyArray, n_rows: int) -> F64:
    """The state compact_state made (rows and values checked by the caller).

    Parameters
    ----------
    rows : ndarray of int
        Increasing row numbers in [0, n_rows).
    values : ndarray of float64, shape (len(rows), ...)
        Those rows.
    n_rows : int
        d + 1.

    Returns
    -------
    ndarray of float64, shape (n_rows,) + values.shape[1:]
        Zero but for the given rows.
    """
    state = np.zeros((n_rows,) + values.shape[1:], dtype=np.float64)
    state[rows] = values
    return state


def _estimator_classes() -> dict[str, type[Estimator]]:
    """The allow-list of estimators a model file may name."""
    from fastopt.online.estimators import FTRLClassifier, FTRLRegressor, RDAClassifier
    return {c.__name__: c for c in (FTRLClassifier, FTRLRegressor, RDAClassifier)}


class _BadModel(ValueError):
    pass


def _read_arrays(path: PathOrFile) -> dict[str, AnyArray]:
    """The .npy members of the .npz archive at `path` as {field: array};
    each header is checked before its data are read (an absurd shape is
    refused, not allocated).  The state -- `state` (version 2) or `rows`
    and `values` (version 3) -- is read last, once n_features_in_ and the
    estimator tell what shape it must have."""
    arrays = {}
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        for member in names:
            field = member[:-4] if member.endswith(".npy") else member
            if field not in _REQUIRED + _OPTIONAL + _STATE_FIELDS + _PROGRESSIVE_FIELDS:
                raise _BadModel(f"unexpected field {member!r}")
            if field in arrays or names.count(member) > 1:
                raise _BadModel(f"field {field!r} appears twice")
            with zf.open(member) as f:
                version = np.lib.format.read_magic(f)
                if version not in ((1, 0), (2, 0)):
                    raise _BadModel(f"field {field!r} has .npy format {version}")
                read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                        else np.lib.format.read_array_header_2_0)
                shape, _fortran, dtype = read(f)
            if dtype.hasobject:
                raise _BadModel(f"field {field!r} holds Python objects")
            if dtype.itemsize > 64 << 20:   # a JSON text of more than 16M characters
                raise _BadModel(f"field {field!r} is too large ({dtype})")
            size = int(np.prod(shape, dtype=np.float64))
            if field == "classes_":   # K labels: bounded by the model size below
                if len(shape) != 1 or size * dtype.itemsize > 64 << 20:
                    raise _BadModel(f"field {field!r} has shape {shape}")
            elif field not in _STATE_FIELDS + _PROGRESSIVE_FIELDS and size > 1:
                raise _BadModel(f"field {field!r} has shape {shape}")
            arrays[field] = (member, shape, dtype)
        missing = [k for k in _REQUIRED if k not in arrays]
        if missing:
            raise _BadModel(f"missing field {missing[0]!r}")
        out = {}
        for field, (member, shape, dtype) in arrays.items():
            if field in _STATE_FIELDS + _PROGRESSIVE_FIELDS:
                continue    # read below, once their shapes are checked
            with zf.open(member) as f:
                out[field] = np.lib.format.read_array(f, allow_pickle=False)
        version = _scalar(out, "format_version", "iu")
        if version not in READ_VERSIONS:
            raise _BadModel(f"unsupported model format {version} (this fastopt reads "
                            f"formats {', '.join(map(str, READ_VERSIONS))})")
        layout = _LAYOUTS[version]
        for field in _STATE_FIELDS:
            if field in arrays and field not in layout:
                raise _BadModel(f"unexpected field {arrays[field][0]!r} in a "
                                f"format {version} model")
            if field in layout and field not in arrays:
                raise _BadModel(f"missing field {field!r}")
        d = _scalar(out, "n_features_in_", "iu", 1, 2**62)
        name = _scalar(out, "estimator", "U")
        cls = _estimator_classes().get(name)
        if cls is None:
            raise _BadModel(f"unknown estimator {name!r}")
        stride = _kernels.online_stride(cls._algorithm)
        # one-vs-rest models (format 3 only): one per class of K > 2
        n_classes = arrays["classes_"][1][0] if "classes_" in arrays else 2
        n_models = n_classes if version == 3 and n_classes > 2 else 1
        expected: dict[str, tuple[int, ...]]
        if version == 2:
            expected = {"state": (d + 1, stride)}
        else:
            k = arrays["rows"][1]
            if len(k) != 1 or not 0 <= k[0] <= d + 1:
                raise _BadModel(f"field 'rows' has shape {tuple(k)}; expected (k,) "
                                f"with k <= {d + 1}")
            expected = {"rows": (k[0],), "values": (k[0], stride) if n_models == 1
                        else (k[0], n_models, stride)}
        for field, want in expected.items():
            if tuple(arrays[field][1]) != want:
                what = "model state" if field == "state" else f"field {field!r}"
                raise _BadModel(f"{what} has shape {tuple(arrays[field][1])}; "
                                f"expected {want}")
        try:
            check_model_size(cls, d * n_models)
        except ValueError as e:
            raise _BadModel(str(e)) from None
        progressive = _progressive_shapes(arrays, version, cls, n_classes)
        for field in layout + progressive:
            with zf.open(arrays[field][0]) as f:
                out[field] = np.lib.format.read_array(f, allow_pickle=False)
    return out


def _checked_state(fields: dict[str, AnyArray], cls: type[OnlineLinearModel], d: int) -> F64:
    """The (d + 1, [K,] stride) float64 state of a model file's checked fields:
    real, finite, FTRL accumulators >= 0; version 3's rows increasing
    integers in [0, d]."""
    if "state" in fields:
        state = fields["state"]
        if state.dtype.kind != "f":
            raise _BadModel(f"model state must be real floating point, got {state.dtype}")
        values = state
    else:
        rows, values = fields["rows"], fields["values"]
        if rows.dtype.kind not in "iu":
            raise _BadModel(f"field 'rows' must hold integers, got {rows.dtype}")
        if values.dtype.kind != "f":
            raise _BadModel(f"model state ('values') must be real floating point, got "
                            f"{values.dtype}")
        if rows.size and (rows[0] < 0 or rows[-1] > d
                          or np.any(rows[1:] <= rows[:-1])):
            raise _BadModel(f"field 'rows' must be increasing row numbers in "
                            f"[0, {d}]")
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise _BadModel("model state contains NaN or infinity")
    if cls._algorithm == _kernels.ONLINE_FTRL and np.any(values[..., 1] < 0):
        raise _BadModel("model state has a negative FTRL accumulator")
    if "state" in fields:
        return np.array(values, dtype=np.float64, order="C", copy=True)
    return expand_state(fields["rows"].astype(np.int64), values, d + 1)


def _progressive_shapes(arrays: dict[str, tuple[str, tuple[int, ...], np.dtype[Any]]],
                        version: int, cls: type[OnlineLinearModel],
                        n_classes: int) -> tuple[str, ...]:
    """The progressive-metrics fields to read (all three or none), their
    shapes checked from the headers: a format 3 classifier's only.  Checked
    after the state, whose faults are named first; none to read without
    classes_ (_build names that fault)."""
    present = [f for f in _PROGRESSIVE_FIELDS if f in arrays]
    if not present or (not cls._is_classifier and "classes_" in arrays):
        return ()           # (a regressor's classes_: _build names that fault)
    if version != 3 or not cls._is_classifier:
        raise _BadModel(f"unexpected field {arrays[present[0]][0]!r} (progressive "
                        f"metrics are a format 3 classifier's)")
    missing = [f for f in _PROGRESSIVE_FIELDS if f not in arrays]
    if missing:
        raise _BadModel(f"missing field {missing[0]!r}")
    if "classes_" not in arrays:
        return ()
    k = arrays["progressive_bins"][1]
    most = Progressive.hist_size(n_classes)
    if len(k) != 1 or not 0 <= k[0] <= most:
        raise _BadModel(f"field 'progressive_bins' has shape {tuple(k)}; expected "
                        f"(k,) with k <= {most}")
    for field, want in (("progressive_counts", (k[0],)), ("progressive_sums", (2,))):
        if tuple(arrays[field][1]) != want:
            raise _BadModel(f"field {field!r} has shape {tuple(arrays[field][1])}; "
                            f"expected {want}")
    return _PROGRESSIVE_FIELDS


def _checked_progressive(fields: dict[str, AnyArray], n_classes: int,
                         cfg: Config) -> Progressive:
    """A classifier's progressive metrics from a model file's checked
    fields: histogram indices increasing integers in range, counts and sums
    finite >= 0."""
    bins, counts, sums = (fields[f] for f in _PROGRESSIVE_FIELDS)
    size = Progressive.hist_size(n_classes)
    if bins.dtype.kind not in "iu" or (bins.size and (
            bins[0] < 0 or bins[-1] >= size or np.any(bins[1:] <= bins[:-1]))):
        raise _BadModel(f"field 'progressive_bins' must be increasing integers in "
                        f"[0, {size})")
    for field, a in (("progressive_counts", counts), ("progressive_sums", sums)):
        if a.dtype.kind != "f" or not np.all(np.isfinite(a)) or np.any(a < 0):
            raise _BadModel(f"field {field!r} must hold finite numbers >= 0")
    return Progressive.from_arrays(n_classes, cfg["loss"] == _kernels.LOSS_LOGISTIC,
                                   bins, counts.astype(np.float64),
                                   sums.astype(np.float64))


def _scalar(fields: dict[str, AnyArray], field: str, kinds: str,
            low: Optional[float] = None, high: Optional[float] = None) -> Any:
    """The 0-d field as a Python value of one of the dtype kinds."""
    a = fields[field]
    if a.shape != () or a.dtype.kind not in kinds:
        raise _BadModel(f"field {field!r} must be a scalar of kind {kinds!r}, got "
                        f"{a.dtype} of shape {a.shape}")
    v = a.item()
    if isinstance(v, float) and not math.isfinite(v):
        raise _BadModel(f"field {field!r} is not finite: {v!r}")
    if (low is not None and v < low) or (high is not None and v > high):
        raise _BadModel(f"field {field!r} = {v!r} is out of range")
    return v


def _json_field(fields: dict[str, AnyArray], field: str) -> dict[str, Any]:
    text = _scalar(fields, field, "U")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _BadModel(f"field {field!r} is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise _BadModel(f"field {field!r} must be a JSON object, got "
                        f"{type(value).__name__}")
    return value


def _build(fields: dict[str, AnyArray]) -> tuple[Estimator, dict[str, Any]]:
    """The estimator and info a model file's checked fields describe."""
    name = _scalar(fields, "estimator", "U")
    cls = _estimator_classes()[name]      # an allowed name (_read_arrays)
    params = _json_field(fields, "params")
    unknown = sorted(set(params) - set(cls._param_names()))
    if unknown:
        raise _BadModel(f"params: invalid parameter {unknown[0]!r} for {name}")
    rs = params.get("random_state")
    if not (rs is None or (isinstance(rs, int) and not isinstance(rs, bool) and rs >= 0)):
        raise _BadModel(f"params: random_state must be None or a seed >= 0, got {rs!r}")
    est = cls(**params)
    try:
        cfg = est._check_params()            # the constructor's checks
    except (TypeError, ValueError) as e:
        raise _BadModel(f"params: {e}") from None
    d = _scalar(fields, "n_features_in_", "iu", 1, 2**62)
    state = _checked_state(fields, cls, d)
    t = _scalar(fields, "t", "iu", 0, 2**63 - 1)
    n_seen = _scalar(fields, "n_seen", "iu", 0, 2**63 - 1)
    loss_sum = _scalar(fields, "loss_sum", "f", 0.0)
    weight_sum = (_scalar(fields, "weight_sum", "f", 0.0) if "weight_sum" in fields
                  else float(n_seen))
    if "classes_" in fields:
        if not cls._is_classifier:
            raise _BadModel(f"a {name} has no classes_")
        classes = fields["classes_"]
        # K > 2 labels go with a (d + 1, K, stride) state (checked above)
        n_classes = state.shape[1] if state.ndim == 3 else 2
        if (classes.shape != (n_classes,) or classes.dtype.kind not in "biufUS"
                or (classes.dtype.kind == "f" and not np.all(np.isfinite(classes)))
                or not np.all(classes[:-1] < classes[1:])):
            shown = classes.tolist() if classes.size <= 10 else \
                f"{classes.size} labels of {classes.dtype}"
            raise _BadModel(f"classes_ must be {n_classes} distinct labels in "
                            f"increasing order, got {shown!r}")
        est.classes_ = classes
        if "progressive_bins" in fields:
            est._progressive = _checked_progressive(fields, n_classes, cfg)
    elif cls._is_classifier:
        raise _BadModel("missing field 'classes_'")
    info = _json_field(fields, "info") if "info" in fields else {}
    est.__dict__.update(est._bind(cfg, dict(state=state, t=t)))
    est.n_features_in_, est._loss_sum, est._n_seen = d, float(loss_sum), n_seen
    est._weight_sum = float(weight_sum)
    est._diverged = False
    return est, info


def read_model(path: PathOrFile) -> tuple[Estimator, dict[str, Any]]:
    """(estimator, info) from a model file written by `save`, every field
    checked; ValueError "FILE: reason" for anything that is not such a
    file (OSError for a file that cannot be opened)."""
    name = os.fspath(path) if isinstance(path, (str, bytes, os.PathLike)) \
        else getattr(path, "name", "model file")
    try:
        return _build(_read_arrays(path))
    except _BadModel as e:
        raise ValueError(f"{name}: {e}") from None
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except MemoryError:
        raise ValueError(f"{name}: the model is too large to load") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, ValueError,
            KeyError, TypeError, struct.error, NotImplementedError, RuntimeError,
            OverflowError, OSError) as e:
        # numpy's own messages would advise allow_pickle=True: not for this
        detail = "" if "pickle" in str(e) else f" ({e})"
        raise ValueError(f"{name}: not a model saved by fastopt, or a damaged "
                         f"one{detail}") from None


def load_info(path: PathOrFile) -> dict[str, Any]:
    """The `info` dict a model file was saved with.

    Parameters
    ----------
    path : str or path-like
        A model file written by `save` or by ``fastopt train``.

    Returns
    -------
    dict
        The JSON object saved with the model ({} if none); ``fastopt
        train`` records its input format, hashing and rows read there.

    Raises
    ------
    ValueError
        For anything that is not a valid model file, naming the file.
    OSError
        If the file cannot be opened.
    """
    return read_model(path)[1]


def load(path: PathOrFile) -> Estimator:
    """Load a model written by `save` (or by ``fastopt train``).

    The file is checked field by field -- format version, estimator (from
    an allow-list), parameters (as the constructor checks them), state
    (shape, real, finite), ``classes_`` (sorted distinct labels), info (a
    JSON object) -- before anything is built.

    Parameters
    ----------
    path : str or path-like
        The model file (formats 2 and 3; README "Model files").

    Returns
    -------
    FTRLClassifier, FTRLRegressor or RDAClassifier
        The fitted estimator, bit for bit as it was saved.

    Raises
    ------
    ValueError
        For any fault in the file, naming the file.
    OSError
        If the file cannot be opened.
    """
    return read_model(path)[0]
