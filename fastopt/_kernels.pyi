"""Type stub of fastopt's compiled core (fastopt/_kernels.pyx and its _*.pxi).

Partial by design: it types what the strictly typed modules call.  The
module-level ``__getattr__`` marks it incomplete (PEP 484), so the other
functions of the extension type-check as ``Any`` until a typed caller adds
them here.  The rule kernels all share one signature: the table, the grads
(one entry per param: array, SparseGrad or None), the per-param step counts
and scalars, then the rule's hyperparameters and n_threads as keywords.
"""
from typing import Any, Optional, Protocol, Sequence

import numpy as np
import numpy.typing as npt

_Array = npt.NDArray[Any]

class ParamTable:
    params: list[_Array]
    slots: list[Any]
    def __init__(self, params: list[_Array], slots: list[list[Optional[_Array]]],
                 single: bool = ..., slot_names: Sequence[Optional[str]] = ...) -> None: ...

class RuleKernel(Protocol):
    """What every rule kernel (sgd, adam, ...) accepts."""
    def __call__(self, t: ParamTable, grads: object,
                 steps: npt.NDArray[np.int64], aux: npt.NDArray[np.float64], *,
                 n_threads: int, **hyper: Any) -> None: ...

def openmp_enabled() -> bool: ...
def simd_width() -> int: ...
def check_compressed(indptr: _Array, indices: _Array, n_minor: int) -> tuple[int, int]: ...

sgd: RuleKernel
adagrad: RuleKernel
adadelta: RuleKernel
rmsprop: RuleKernel
adam: RuleKernel
adamax: RuleKernel
nadam: RuleKernel
delta_bar_delta: RuleKernel
proximal_sgd: RuleKernel
proximal_adagrad: RuleKernel
adagrad_da: RuleKernel
ftrl: RuleKernel
rda: RuleKernel
stream: RuleKernel

def libsvm_parse(
    buf: Any, n_features: int, hash: bool, skip_bad_lines: bool, binary: bool,
    index_dtype: npt.DTypeLike, dtype: npt.DTypeLike, row_cap: int = ...,
    nnz_cap: int = ..., max_line: int = ...,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], _Array, _Array, int, int,
           Optional[tuple[int, int, int, int]]]: ...

def norm_stats_forward(x: _Array, view: tuple[int, ...], eps: float, weight: _Array,
                       use_weight: bool, bias: _Array, use_bias: bool,
                       mean: npt.NDArray[np.float64], var: npt.NDArray[np.float64],
                       rstd: npt.NDArray[np.float64], y: _Array, n_threads: int) -> None: ...
def norm_forward(x: _Array, view: tuple[int, ...], mean: npt.NDArray[np.float64],
                 rstd: npt.NDArray[np.float64], weight: _Array, use_weight: bool,
                 bias: _Array, use_bias: bool, y: _Array, n_threads: int) -> None: ...
def norm_backward(grad_y: _Array, x: _Array, view: tuple[int, ...],
                  mean: npt.NDArray[np.float64], rstd: npt.NDArray[np.float64],
                  weight: _Array, use_weight: bool, batch_stats: bool, grad_x: _Array,
                  grad_weight: _Array, want_weight: bool, grad_bias: _Array,
                  want_bias: bool, n_threads: int) -> None: ...

def __getattr__(name: str) -> Any: ...
