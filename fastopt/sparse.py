"""Sparse gradients: updates that touch only the rows a gradient names."""
from __future__ import annotations

from typing import Any, NoReturn, SupportsIndex, Union

import numpy as np

from fastopt._validation import FloatArray, IndexArray, check_sparse_arrays

_Shape = Union[SupportsIndex, "tuple[SupportsIndex, ...]"]


class SparseGrad:
    """The gradient of some rows of a parameter's first axis.

    Passed to any optimizer's ``step`` in place of a dense array.  Duplicate
    indices are summed first (in order of appearance, so the result is
    reproducible); the rule is then applied to the named rows only, with the
    parameter's step count, so a SparseGrad naming every row once gives
    exactly the dense step.  Rows not named are untouched (lazy), their state
    included.  Every index is checked before anything is written: a negative
    or out-of-range index raises IndexError naming its offset and value.
    Neither array is copied or modified.  A SparseGrad is immutable, and a
    step checks its arrays again when it uses them.

    Parameters
    ----------
    indices : numpy.ndarray
        1-D int32 or int64 array of row numbers into the parameter,
        C-contiguous.
    values : numpy.ndarray
        float32 or float64 array of shape ``(len(indices),) +
        param.shape[1:]`` in the parameter's dtype, C-contiguous;
        ``values[k]`` is the gradient of row ``indices[k]``.

    Raises
    ------
    TypeError
        If `indices` or `values` is not a numpy array, or `values` is not
        float32/float64.
    IndexError
        If `indices` is not int32/int64.
    ValueError
        If `indices` is not 1-D, the arrays are not C-contiguous, or `values`
        does not have one row per index.

    Examples
    --------
    >>> import numpy as np, fastopt
    >>> table = np.zeros((4, 2))
    >>> opt = fastopt.SGD(table, lr=0.5)
    >>> opt.step(fastopt.SparseGrad(np.array([1, 3, 1]), np.ones((3, 2))))
    >>> table
    array([[ 0. ,  0. ],
           [-1. , -1. ],
           [ 0. ,  0. ],
           [-0.5, -0.5]])
    """

    __slots__ = ("_indices", "_values")

    _indices: IndexArray
    _values: FloatArray

    def __init__(self, indices: IndexArray, values: FloatArray) -> None:
        check_sparse_arrays(indices, values)
        object.__setattr__(self, "_indices", indices)
        object.__setattr__(self, "_values", values)

    # Immutable: a step checks these arrays again anyway (they can be
    # reshaped in place), but an attribute swapped after construction is
    # the first mistake to refuse.
    @property
    def indices(self) -> IndexArray:
        """The row numbers (the caller's array, not a copy)."""
        return self._indices

    @property
    def values(self) -> FloatArray:
        """The rows' gradients (the caller's array, not a copy)."""
        return self._values

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"SparseGrad is immutable; make a new one to change {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"SparseGrad is immutable; {name!r} cannot be deleted")

    def __reduce__(self) -> tuple[type[SparseGrad], tuple[IndexArray, FloatArray]]:
        return (SparseGrad, (self._indices, self._values))

    def to_dense(self, shape: _Shape) -> FloatArray:
        """The equivalent dense gradient (duplicates summed).

        Parameters
        ----------
        shape : int or tuple of int
            The parameter's shape; its first axis must hold every index.

        Returns
        -------
        numpy.ndarray
            A new array of `shape` in the values' dtype: zero in the rows not
            named, the sum of a row's values where it is named.

        Raises
        ------
        IndexError
            If an index does not fit `shape`'s first axis.
        ValueError
            If `values` rows do not broadcast to ``shape[1:]``.

        Examples
        --------
        >>> import numpy as np, fastopt
        >>> g = fastopt.SparseGrad(np.array([2, 0, 2]), np.array([1.0, 2.0, 3.0]))
        >>> g.to_dense(3)
        array([2., 0., 4.])
        """
        out: FloatArray = np.zeros(shape, dtype=self.values.dtype)
        np.add.at(out, self.indices, self.values)
        return out

    def __repr__(self) -> str:
        return (f"SparseGrad(indices=<{len(self.indices)} x {self.indices.dtype}>, "
                f"values=<{self.values.shape} {self.values.dtype}>)")
