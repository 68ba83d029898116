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
from __future__ import annotations

import math
from typing import Any, Sequence, Tuple, Union

import numpy as np
from numpy.typing import DTypeLike

from fastopt._validation import FLOAT_DTYPES, check_int, check_real, check_rng

__all__ = ["fans", "uniform_fan_in", "glorot_uniform", "glorot_normal", "he_normal",
           "sparse_init"]


Shape = Union[int, Sequence[int]]
Rng = Union[None, int, np.random.Generator]


def _shape(shape: object) -> Tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"shape must be a non-empty tuple of ints, got {shape!r}")
    return tuple(check_int(f"shape[{i}]", s, 1) for i, s in enumerate(shape))


def fans(shape: Shape) -> Tuple[int, int]:
    """The fan-in and fan-out of a weight of this shape (see the module note).

    Parameters
    ----------
    shape : int or tuple of int
        The weight's shape; every entry >= 1.

    Returns
    -------
    fan_in, fan_out : int
        For ``(..., in, out)``: ``in`` and ``out`` times the receptive field
        ``prod(shape[:-2])``; for a 1-D shape both are ``shape[0]``.

    Raises
    ------
    TypeError
        If `shape` is not a non-empty tuple of ints.
    ValueError
        If an entry is < 1.

    Examples
    --------
    >>> from fastopt.init import fans
    >>> fans((784, 10)), fans((3, 3, 16, 32))
    ((784, 10), (144, 288))
    """
    dims = _shape(shape)
    if len(dims) == 1:
        return dims[0], dims[0]
    field = math.prod(dims[:-2])
    return dims[-2] * field, dims[-1] * field


def _setup(shape: Shape, rng: Rng, dtype: DTypeLike,
           ) -> Tuple[Tuple[int, ...], Tuple[int, int], np.random.Generator, np.dtype[Any]]:
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    shape = _shape(shape)
    return shape, fans(shape), check_rng("rng", rng), dtype


def _uniform(shape: Tuple[int, ...], limit: float, rng: np.random.Generator,
             dtype: np.dtype[Any]) -> np.ndarray:
    return rng.uniform(-limit, limit, shape).astype(dtype, copy=False)


def _normal(shape: Tuple[int, ...], std: float, rng: np.random.Generator,
            dtype: np.dtype[Any]) -> np.ndarray:
    return (rng.standard_normal(shape) * std).astype(dtype, copy=False)


def uniform_fan_in(shape: Shape, rng: Rng = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Uniform in ``(-1/sqrt(m), 1/sqrt(m))``, m = fan_in (Goodfellow et al. 8.4).

    Parameters
    ----------
    shape : int or tuple of int
        The weight's shape, ``(fan_in, fan_out)`` for a dense layer; every
        entry >= 1.
    rng : None, int or numpy.random.Generator
        The random source (an int is a seed).
    dtype : {numpy.float64, numpy.float32}
        The result's dtype.

    Returns
    -------
    numpy.ndarray
        A new array of `shape` and `dtype`.

    Raises
    ------
    TypeError
        If `shape` is not a non-empty tuple of ints or `dtype` is not a float
        dtype.
    ValueError
        If an entry of `shape` is < 1.

    Examples
    --------
    >>> from fastopt.init import uniform_fan_in
    >>> W = uniform_fan_in((100, 5), rng=0)
    >>> W.shape, bool(np.abs(W).max() <= 0.1)
    ((100, 5), True)
    """
    shape, (fi, _), rng, dtype = _setup(shape, rng, dtype)
    return _uniform(shape, math.sqrt(1.0 / fi), rng, dtype)


def glorot_uniform(shape: Shape, rng: Rng = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Uniform in ``(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010).

    Parameters
    ----------
    shape : int or tuple of int
        The weight's shape, ``(fan_in, fan_out)`` for a dense layer; every
        entry >= 1.
    rng : None, int or numpy.random.Generator
        The random source (an int is a seed).
    dtype : {numpy.float64, numpy.float32}
        The result's dtype.

    Returns
    -------
    numpy.ndarray
        A new array of `shape` and `dtype`.

    Raises
    ------
    TypeError
        If `shape` is not a non-empty tuple of ints or `dtype` is not a float
        dtype.
    ValueError
        If an entry of `shape` is < 1.

    Examples
    --------
    >>> from fastopt.init import glorot_uniform
    >>> W = glorot_uniform((30, 20), rng=1, dtype=np.float32)
    >>> W.dtype, bool(np.abs(W).max() <= np.sqrt(6 / 50))
    (dtype('float32'), True)
    """
    shape, (fi, fo), rng, dtype = _setup(shape, rng, dtype)
    return _uniform(shape, math.sqrt(6.0 / (fi + fo)), rng, dtype)


def glorot_normal(shape: Shape, rng: Rng = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Normal ``N(0, 2 / (fan_in + fan_out))``, untruncated.

    As torch's ``xavier_normal_``; Keras truncates at 2 std and rescales.

    Parameters
    ----------
    shape : int or tuple of int
        The weight's shape, ``(fan_in, fan_out)`` for a dense layer; every
        entry >= 1.
    rng : None, int or numpy.random.Generator
        The random source (an int is a seed).
    dtype : {numpy.float64, numpy.float32}
        The result's dtype.

    Returns
    -------
    numpy.ndarray
        A new array of `shape` and `dtype`.

    Raises
    ------
    TypeError
        If `shape` is not a non-empty tuple of ints or `dtype` is not a float
        dtype.
    ValueError
        If an entry of `shape` is < 1.

    Examples
    --------
    >>> from fastopt.init import glorot_normal
    >>> W = glorot_normal((1000, 1000), rng=0)
    >>> round(float(W.std()) ** 2 * 1000, 2)          # variance 2 / 2000
    1.0
    """
    shape, (fi, fo), rng, dtype = _setup(shape, rng, dtype)
    return _normal(shape, math.sqrt(2.0 / (fi + fo)), rng, dtype)


def he_normal(shape: Shape, rng: Rng = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Normal ``N(0, 2 / fan_in)``, untruncated (He et al. 2015).

    As torch's ``kaiming_normal_`` with its defaults.

    Parameters
    ----------
    shape : int or tuple of int
        The weight's shape, ``(fan_in, fan_out)`` for a dense layer; every
        entry >= 1.
    rng : None, int or numpy.random.Generator
        The random source (an int is a seed).
    dtype : {numpy.float64, numpy.float32}
        The result's dtype.

    Returns
    -------
    numpy.ndarray
        A new array of `shape` and `dtype`.

    Raises
    ------
    TypeError
        If `shape` is not a non-empty tuple of ints or `dtype` is not a float
        dtype.
    ValueError
        If an entry of `shape` is < 1.

    Examples
    --------
    >>> from fastopt.init import he_normal
    >>> he_normal((3, 2), rng=0).shape
    (3, 2)
    """
    shape, (fi, _), rng, dtype = _setup(shape, rng, dtype)
    return _normal(shape, math.sqrt(2.0 / fi), rng, dtype)


def sparse_init(shape: Tuple[int, int], k: int = 15, rng: Rng = None, scale: float = 1.0,
                dtype: DTypeLike = np.float64) -> np.ndarray:
    """Sparse initialisation (Martens 2010).

    Each unit (column of a ``(fan_in, fan_out)`` matrix) gets exactly k
    non-zero incoming weights, at distinct random rows, drawn from
    ``N(0, scale^2)``; all others are 0.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)``, 2-D.
    k : int
        Non-zeros per unit, ``1 <= k <= fan_in``.
    rng : None, int or numpy.random.Generator
        The random source (an int is a seed).
    scale : float
        The standard deviation of the non-zeros, > 0.
    dtype : {numpy.float64, numpy.float32}
        The result's dtype.

    Returns
    -------
    numpy.ndarray
        A new ``(fan_in, fan_out)`` array.

    Raises
    ------
    TypeError
        If `dtype` is not a float dtype or an argument has the wrong type.
    ValueError
        If `shape` is not 2-D, k is out of range or scale <= 0.

    Examples
    --------
    >>> from fastopt.init import sparse_init
    >>> W = sparse_init((50, 4), k=3, rng=0)
    >>> (W != 0).sum(axis=0)
    array([3, 3, 3, 3])
    """
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be 2-D (fan_in, fan_out), got {shape!r}")
    dims, (fi, fo), gen, dt = _setup(shape, rng, dtype)
    k = check_int("k", k, 1)
    if k > fi:
        raise ValueError(f"k must be <= fan_in = {fi} (non-zeros per unit), got {k}")
    scale = check_real("scale", scale, 0.0, closed=(False, True))
    rows = np.argpartition(gen.random((fo, fi)), k - 1, axis=1)[:, :k]
    W = np.zeros(dims, dtype=dt)
    W[rows, np.arange(fo)[:, None]] = gen.standard_normal((fo, k)) * scale
    return W
