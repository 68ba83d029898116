"""Sparse gradients: updates that touch only the rows a gradient names."""
import numpy as np

from fastopt._validation import check_sparse_arrays


class SparseGrad:
    """The gradient of some rows of a parameter's first axis.

    indices: 1-D int32 or int64 array of row numbers into the parameter.
    values: float array of shape ``(len(indices),) + param.shape[1:]`` and the
    parameter's dtype, C-contiguous; ``values[k]`` is the gradient of row
    ``indices[k]``.

    Passed to any optimizer's ``step`` in place of a dense array.  Duplicate
    indices are summed first (in order of appearance, so the result is
    reproducible); the rule is then applied to the named rows only, with the
    parameter's step count, so a SparseGrad naming every row once gives
    exactly the dense step.  Rows not named are untouched (lazy), their state
    included.  Every index is checked before anything is written: a negative
    or out-of-range index raises IndexError naming its offset and value.
    Neither array is copied or modified.  A SparseGrad is immutable, and a
    step checks its arrays again when it uses them.
    """

    __slots__ = ("_indices", "_values")

    def __init__(self, indices, values):
        check_sparse_arrays(indices, values)
        object.__setattr__(self, "_indices", indices)
        object.__setattr__(self, "_values", values)

    # Immutable: a step checks these arrays again anyway (they can be
    # reshaped in place), but an attribute swapped after construction is
    # the first mistake to refuse.
    @property
    def indices(self):
        return self._indices

    @property
    def values(self):
        return self._values

    def __setattr__(self, name, value):
        raise AttributeError(f"SparseGrad is immutable; make a new one to change {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"SparseGrad is immutable; {name!r} cannot be deleted")

    def __reduce__(self):
        return (SparseGrad, (self._indices, self._values))

    def to_dense(self, shape):
        """The equivalent dense gradient (duplicates summed)."""
        out = np.zeros(shape, dtype=self.values.dtype)
        np.add.at(out, self.indices, self.values)
        return out

    def __repr__(self):
        return (f"SparseGrad(indices=<{len(self.indices)} x {self.indices.dtype}>, "
                f"values=<{self.values.shape} {self.values.dtype}>)")
