"""Type stub of fastopt's compiled core (fastopt/_kernels.pyx and its _*.pxi).

Partial by design: it types what the strictly typed modules call.  The
module-level ``__getattr__`` marks it incomplete (PEP 484), so the other
functions of the extension type-check as ``Any`` until a typed caller adds
them here.  The rule kernels all share one signature: the table, the grads
(one entry per param: array, SparseGrad or None), the per-param step counts
and scalars, then the rule's hyperparameters and n_threads as keywords.
"""
from typing import Any, Optional, Protocol, Sequence, Union

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

# fastopt/_libsvm.pxi (VW text): labels, importance weights, indptr, indices,
# values, namespace bytes, lines, bad lines, error; with extra=True also each
# row's initial prediction and its tag's (start, end) offsets (-1: no tag)
_VWBlock = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64],
                 _Array, _Array, npt.NDArray[np.uint8], int, int,
                 Optional[tuple[int, int, int, int]]]
_VWBlockExtra = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                      npt.NDArray[np.int64], _Array, _Array, npt.NDArray[np.uint8], int,
                      int, Optional[tuple[int, int, int, int]], npt.NDArray[np.float64],
                      npt.NDArray[np.int64]]

def vw_parse(
    buf: Any, bits: int, skip_bad_lines: bool, binary: bool, allow_unlabeled: bool,
    index_dtype: npt.DTypeLike, dtype: npt.DTypeLike, row_cap: int = ...,
    nnz_cap: int = ..., max_line: int = ..., constant: bool = ..., hash_all: bool = ...,
    hash_seed: int = ..., extra: bool = ...,
) -> Union[_VWBlock, _VWBlockExtra]: ...
def vw_hash(name: bytes, seed: int = ...) -> int: ...
def murmur3_32(key: bytes, seed: int = ...) -> int: ...

# fastopt/_format.pxi
def format_g9(x: npt.NDArray[np.float64], n_threads: int = ...) -> bytes: ...

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

# fastopt/_prox.pxi: x and out share a dtype (float32 or float64); out may be x
_Floating = npt.NDArray[np.floating[Any]]
_F64 = npt.NDArray[np.float64]

def prox_soft_threshold(x: _Floating, out: _Floating, t: float, t_arr: _Floating,
                        use_arr: bool, n_threads: int) -> None: ...
def prox_l2(x: _Floating, out: _Floating, lam: float, n_threads: int) -> None: ...
def prox_elastic_net(x: _Floating, out: _Floating, l1: float, l2: float,
                     n_threads: int) -> None: ...
def prox_project_box(x: _Floating, out: _Floating, lo: float, lo_arr: _Floating,
                     use_lo: bool, hi: float, hi_arr: _Floating, use_hi: bool,
                     n_threads: int) -> None: ...
def prox_project_nonneg(x: _Floating, out: _Floating, n_threads: int) -> None: ...
def prox_group_l2_rows(x: _Floating, out: _Floating, n_rows: int, row_len: int,
                       lam: float, n_threads: int) -> None: ...
def prox_group_l2_labels(x: _Floating, out: _Floating, labels: npt.NDArray[np.int64],
                         work: _F64, lam: float, n_threads: int) -> None: ...

# fastopt/_clip.pxi: arrays of one dtype; kind "l2", "l1" or "inf"
def norm_reduce(arrays: list[_Array], kind: str, n_threads: int) -> float: ...
def scale(arrays: list[_Array], c: float, n_threads: int) -> None: ...

# fastopt/_minimize.pxi
def bfgs_direction(d: _F64, H: _F64, g: _F64, n_threads: int) -> None: ...
def bfgs_update(H: _F64, s: _F64, y: _F64, rho: float, work: _F64, n_threads: int) -> None: ...
def lbfgs_direction(d: _F64, g: _F64, S: _F64, Y: _F64, rho: _F64, alpha: _F64,
                    m_used: int, newest: int, gamma: float) -> None: ...

# fastopt/_cd.pxi: returns (n_iter, duality gap, converged, rng state)
def cd_enet(kind: str, w: _F64, y: _F64, *, X: Optional[_F64] = ...,
            indptr: Optional[npt.NDArray[np.int64]] = ...,
            indices: Optional[npt.NDArray[np.int64]] = ..., data: Optional[_F64] = ...,
            mu: Optional[_F64] = ..., y_norm2: Optional[float] = ..., alpha: float,
            beta: float, tol: float, gap_tol: float, max_iter: int, random: bool,
            screening: bool, rng: int, n_threads: int) -> tuple[int, float, bool, int]: ...

# fastopt/_glm.pxi: X float32/float64; y, sw, v None or float64 of the right
# length; returns f (v None, gradient into out) or 0.0 (Hv into out)
def glm_chunks(n: int, d: int) -> int: ...
def glm_dense(loss: int, fit_intercept: bool, X: _Floating, y: Optional[_F64],
              sw: Optional[_F64], w: _F64, v: Optional[_F64], out: _F64,
              n_threads: int) -> float: ...
def glm_csr(loss: int, fit_intercept: bool, d: int, indptr: npt.NDArray[np.integer[Any]],
            indices: npt.NDArray[np.integer[Any]], data: _Floating, y: Optional[_F64],
            sw: Optional[_F64], w: _F64, v: Optional[_F64], out: _F64,
            n_threads: int) -> float: ...

# fastopt/_online.pxi
STATUS_OK: int
STATUS_BAD_INDEX: int
STATUS_NONFINITE: int
STATUS_DIVERGED: int
STATUS_NOMEM: int
STATUS_BAD_ARG: int
ONLINE_FTRL: int
ONLINE_RDA: int
LOSS_LOGISTIC: int
LOSS_SQUARED: int
LOSS_HINGE: int
LOSS_QUANTILE: int
LOSS_POISSON: int
ONLINE_MAX_INTER: int
def online_stride(model: int) -> int: ...

_Index = npt.NDArray[np.integer[Any]]

class OnlineModel:
    """The C model of an online learner (fastopt/_online.pxi)."""
    n_models: int
    state: _F64
    def __init__(self, model: int, loss: int, fit_intercept: bool, alpha: float,
                 beta: float, l1: float, l2: float, gamma: float, rho: float,
                 state: _F64, t: int, tau: float = ...,
                 interactions: Sequence[bytes] = ..., all_pairs: bool = ...) -> None: ...
    @property
    def t(self) -> int: ...
    @property
    def crossed(self) -> bool: ...
    def fit(self, indptr: _Index, indices: _Index, data: _Floating, y: _F64,
            order: Optional[npt.NDArray[np.int64]], n_threads: int, loss_sum: float,
            ns: Optional[npt.NDArray[np.uint8]] = ..., sw: Optional[_F64] = ...,
            pred: Optional[_F64] = ..., base: Optional[_F64] = ...,
            pos_w: Optional[_F64] = ...) -> tuple[int, float, int]: ...
    def margin(self, indptr: _Index, indices: _Index, data: _Floating, n_threads: int,
               ns: Optional[npt.NDArray[np.uint8]] = ...) -> tuple[int, _F64, int]: ...
    def row_from_dict(self, x: dict[Any, Any], names: dict[Any, int],
                      cache_max: int) -> bool: ...
    def row_from_arrays(self, indices: npt.NDArray[np.int64],
                        data: _F64) -> None: ...
    def learn_row(self, target: float, weight: float, loss_sum: float, ns_byte: int,
                  pos_w: Optional[_F64] = ...) -> tuple[int, float, int, list[float]]: ...
    def learn_dict(self, x: dict[Any, Any], names: dict[Any, int], cache_max: int,
                   index: Optional[dict[Any, float]], y: Any, weight: float,
                   loss_sum: float, ns_byte: int
                   ) -> Union[None, bool, tuple[int, float, int, list[float]]]: ...
    def margin_dict(self, x: dict[Any, Any], names: dict[Any, int], cache_max: int,
                    ns_byte: int) -> Optional[tuple[int, Union[float, list[float]], int]]: ...
    def margin_row(self, ns_byte: int) -> tuple[int, Union[float, list[float]], int]: ...
    def weights(self) -> _F64: ...

def __getattr__(name: str) -> Any: ...
