"""Weight initialisation, seeded.

Shape convention (Keras's): a dense weight matrix has shape
(fan_in, fan_out) and is used as ``x @ W`` -- rows are inputs, columns are
units.  For more than two axes (a convolution kernel (..., in, out)) the
receptive field prod(shape[:-2]) multiplies both fans; a 1-D shape has
fan_in = fan_out = shape[0].  (torch's Linear stores the transpose,
(fan_out, fan_in): pass the shape reversed and transpose.)

Every function takes rng (None, an int seed or a numpy Generator) and dtype
(float32 or float64, default float64) and returns a new array.
"""
import math

import numpy as np

from fastopt._validation import FLOAT_DTYPES, check_int, check_real, check_rng

__all__ = ["fans", "uniform_fan_in", "glorot_uniform", "glorot_normal", "he_normal",
           "sparse_init"]


def _shape(shape):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"shape must be a non-empty tuple of ints, got {shape!r}")
    return tuple(check_int(f"shape[{i}]", s, 1) for i, s in enumerate(shape))


def fans(shape):
    """(fan_in, fan_out) of a weight of this shape (see the module note)."""
    shape = _shape(shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    field = math.prod(shape[:-2])
    return shape[-2] * field, shape[-1] * field


def _setup(shape, rng, dtype):
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    shape = _shape(shape)
    return shape, fans(shape), check_rng("rng", rng), dtype


def _uniform(shape, limit, rng, dtype):
    return rng.uniform(-limit, limit, shape).astype(dtype, copy=False)


def _normal(shape, std, rng, dtype):
    return (rng.standard_normal(shape) * std).astype(dtype, copy=False)


def uniform_fan_in(shape, rng=None, dtype=np.float64):
    """U(-1/sqrt(m), 1/sqrt(m)), m = fan_in (Goodfellow et al. 8.4)."""
    shape, (fi, _), rng, dtype = _setup(shape, rng, dtype)
    return _uniform(shape, math.sqrt(1.0 / fi), rng, dtype)


def glorot_uniform(shape, rng=None, dtype=np.float64):
    """U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    shape, (fi, fo), rng, dtype = _setup(shape, rng, dtype)
    return _uniform(shape, math.sqrt(6.0 / (fi + fo)), rng, dtype)


def glorot_normal(shape, rng=None, dtype=np.float64):
    """N(0, 2 / (fan_in + fan_out)), untruncated (torch xavier_normal_;
    Keras truncates at 2 std and rescales)."""
    shape, (fi, fo), rng, dtype = _setup(shape, rng, dtype)
    return _normal(shape, math.sqrt(2.0 / (fi + fo)), rng, dtype)


def he_normal(shape, rng=None, dtype=np.float64):
    """N(0, 2 / fan_in), untruncated (He et al. 2015; torch kaiming_normal_
    with its defaults)."""
    shape, (fi, _), rng, dtype = _setup(shape, rng, dtype)
    return _normal(shape, math.sqrt(2.0 / fi), rng, dtype)


def sparse_init(shape, k=15, rng=None, scale=1.0, dtype=np.float64):
    """Sparse initialisation (Martens 2010): each unit (column of a
    (fan_in, fan_out) matrix) gets exactly k non-zero incoming weights, at
    distinct random rows, drawn from N(0, scale^2); all others are 0."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be 2-D (fan_in, fan_out), got {shape!r}")
    shape, (fi, fo), rng, dtype = _setup(shape, rng, dtype)
    k = check_int("k", k, 1)
    if k > fi:
        raise ValueError(f"k must be <= fan_in = {fi} (non-zeros per unit), got {k}")
    scale = check_real("scale", scale, 0.0, closed=(False, True))
    rows = np.argpartition(rng.random((fo, fi)), k - 1, axis=1)[:, :k]
    W = np.zeros(shape, dtype=dtype)
    W[rows, np.arange(fo)[:, None]] = rng.standard_normal((fo, k)) * scale
    return W
