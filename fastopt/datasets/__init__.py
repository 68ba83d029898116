"""Data for examples, tests and ``fastopt demo``: one small real data set,
bundled, and a seeded generator of click-like sparse data.

``load_breast_cancer() -> (X, y)``: the Breast Cancer Wisconsin (Diagnostic)
data set, 569 samples x 30 real features (the mean, standard error and
"worst" value of ten measurements of cell nuclei in a digitised image of a
fine-needle aspirate of a breast mass), y = 0 for malignant (212) and 1 for
benign (357).  Source: the UCI Machine Learning Repository, "Breast Cancer
Wisconsin (Diagnostic)", W. H. Wolberg, W. N. Street and O. L. Mangasarian
(1995), https://doi.org/10.24432/C5DW2B, licensed CC BY 4.0.  The file
``breast_cancer.csv.gz`` is scikit-learn's bundled copy
(sklearn/datasets/data/breast_cancer.csv), gzipped, so that
``fastopt.datasets.load_breast_cancer()`` returns the same arrays as
``sklearn.datasets.load_breast_cancer(return_X_y=True)`` without needing
scikit-learn.  Feature names: ``BREAST_CANCER_FEATURES``.

``make_clicklike(n_rows, seed=0, ...) -> (X, y, info)``: hashed one-hot CSR
rows like click-through-rate logs, labels from a sparse logistic model (see
fastopt.datasets._clicklike).
"""
from __future__ import annotations

import gzip
import os
from typing import Tuple

import numpy as np

from fastopt.datasets._clicklike import (N_COLS_LOG2, N_FIELDS, field_cardinalities,
                                         hash_fv, make_clicklike, mix64)

__all__ = ["load_breast_cancer", "BREAST_CANCER_FEATURES", "make_clicklike",
           "field_cardinalities", "hash_fv", "mix64", "N_FIELDS", "N_COLS_LOG2"]

_DIR = os.path.dirname(os.path.abspath(__file__))

_MEASUREMENTS = ("radius", "texture", "perimeter", "area", "smoothness",
                 "compactness", "concavity", "concave points", "symmetry",
                 "fractal dimension")
#: The 30 column names, in column order (scikit-learn's feature_names).
BREAST_CANCER_FEATURES = tuple(
    [f"mean {m}" for m in _MEASUREMENTS] + [f"{m} error" for m in _MEASUREMENTS]
    + [f"worst {m}" for m in _MEASUREMENTS])


def load_breast_cancer() -> Tuple[np.ndarray, np.ndarray]:
    """The Breast Cancer Wisconsin (Diagnostic) data set, bundled.

    Unscaled, as measured; fresh arrays on every call.  See the module
    docstring for the source and licence; the column names are
    ``BREAST_CANCER_FEATURES``.

    Returns
    -------
    X : numpy.ndarray
        float64, shape (569, 30).
    y : numpy.ndarray
        int64, shape (569,): 0 = malignant, 1 = benign.

    Raises
    ------
    OSError
        If the bundled file is missing or damaged.

    Examples
    --------
    >>> from fastopt.datasets import load_breast_cancer
    >>> X, y = load_breast_cancer()
    >>> X.shape, np.bincount(y)
    ((569, 30), array([212, 357]))
    """
    path = os.path.join(_DIR, "breast_cancer.csv.gz")
    with gzip.open(path, "rt", encoding="ascii") as f:
        n_samples, n_features = (int(v) for v in f.readline().split(",")[:2])
        data = np.loadtxt(f, delimiter=",", dtype=np.float64)
    if data.shape != (n_samples, n_features + 1):
        raise OSError(f"{path}: expected {n_samples} rows of {n_features + 1} "
                      f"values, got {data.shape}")
    return np.ascontiguousarray(data[:, :-1]), data[:, -1].astype(np.int64)
