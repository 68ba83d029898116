"""fastopt.datasets: the bundled breast-cancer data and the click-like
generator."""
import numpy as np
import pytest

from fastopt import datasets


def test_breast_cancer_equals_scikit_learns():
    sk = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_breast_cancer()
    ref = sk.load_breast_cancer()
    assert X.shape == (569, 30) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (569,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, ref.data)
    np.testing.assert_array_equal(y, ref.target)
    assert list(datasets.BREAST_CANCER_FEATURES) == list(ref.feature_names)


def test_breast_cancer_without_sklearn():
    X, y = datasets.load_breast_cancer()
    assert np.bincount(y).tolist() == [212, 357]       # malignant, benign
    assert X[0, 0] == 17.99 and X[-1, -1] == 0.07039  # first and last values of the file
    assert np.all(np.isfinite(X)) and np.all(X >= 0)
    X2, _ = datasets.load_breast_cancer()
    X2[0, 0] = -1.0                                    # a fresh copy each call
    assert datasets.load_breast_cancer()[0][0, 0] == 17.99


def test_clicklike_rows():
    X, y, info = datasets.make_clicklike(3000, seed=3)
    assert X.shape == (3000, 1 << datasets.N_COLS_LOG2)
    assert np.all(np.diff(X.indptr) == datasets.N_FIELDS)
    assert np.all(X.data == 1.0) and X.indices.dtype == np.int32
    assert set(np.unique(y)) == {0.0, 1.0}
    assert abs(y.mean() - 0.25) < 0.03 and info["ctr"] == y.mean()
    X2, y2, _ = datasets.make_clicklike(3000, seed=3)
    assert (X != X2).nnz == 0 and np.array_equal(y, y2)
    X3, _, _ = datasets.make_clicklike(3000, seed=4)
    assert (X != X3).nnz > 0


def test_bench_clicklike_reexports_the_generator():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), os.pardir, "bench", "clicklike.py")
    spec = importlib.util.spec_from_file_location("bench_clicklike", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.make_clicklike is datasets.make_clicklike
    assert mod.hash_fv is datasets.hash_fv
