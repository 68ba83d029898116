# Included by _kernels.pyx: the online learners' C loop (csrc/online.inc).
# The model state ((d + 1) x stride float64, or K of them for one-vs-rest)
# belongs to the Python estimator; X arrives as CSR arrays in any of float32/float64 values x
# int32/int64 indices, read in place (no copy).
from libc.math cimport INFINITY
from libc.stdint cimport int32_t

cdef extern from "fastopt.h" nogil:
    int FO_ONLINE_FTRL, FO_ONLINE_RDA, FO_LOSS_LOGISTIC, FO_LOSS_SQUARED
    int FO_LOSS_HINGE, FO_LOSS_QUANTILE, FO_LOSS_POISSON, FO_NOMEM
    int FO_ONLINE_MAX_INTER

    ctypedef struct fo_online_cfg:
        int model, loss, fit_intercept
        double alpha, beta, l1, l2, gamma, rho, tau
        int n_inter, all_pairs
        unsigned char inter[192]
        int inter_len[64]

    ctypedef struct fo_online_model:
        double *state
        int64_t d
        int64_t t
        int64_t pitch
    int FO_ONLINE_STRIDE(int model)

    int fo_online_fit_f32_i32(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int32_t *, const int32_t *, const float *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_fit_f32_i64(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int64_t *, const int64_t *, const float *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_fit_f64_i32(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int32_t *, const int32_t *, const double *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_fit_f64_i64(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int64_t *, const int64_t *, const double *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_margin_f32_i32(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int32_t *, const int32_t *,
                                 const float *, const unsigned char *, double *, int,
                                 int64_t *)
    int fo_online_margin_f32_i64(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int64_t *, const int64_t *,
                                 const float *, const unsigned char *, double *, int,
                                 int64_t *)
    int fo_online_margin_f64_i32(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int32_t *, const int32_t *,
                                 const double *, const unsigned char *, double *, int,
                                 int64_t *)
    int fo_online_margin_f64_i64(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int64_t *, const int64_t *,
                                 const double *, const unsigned char *, double *, int,
                                 int64_t *)
    void fo_online_weights(const fo_online_cfg *, const fo_online_model *, double *)

ctypedef fused xvalue:
    float
    double

ctypedef fused xindex:
    int32_t
    int64_t

STATUS_OK, STATUS_BAD_INDEX, STATUS_NONFINITE, STATUS_DIVERGED, STATUS_NOMEM = (
    FO_OK, FO_BAD_INDEX, FO_NONFINITE, FO_DIVERGED, FO_NOMEM)
STATUS_BAD_ARG = FO_BAD_ARG
ONLINE_FTRL = FO_ONLINE_FTRL
ONLINE_RDA = FO_ONLINE_RDA
LOSS_LOGISTIC = FO_LOSS_LOGISTIC
LOSS_SQUARED = FO_LOSS_SQUARED
LOSS_HINGE = FO_LOSS_HINGE
LOSS_QUANTILE = FO_LOSS_QUANTILE
LOSS_POISSON = FO_LOSS_POISSON
ONLINE_MAX_INTER = FO_ONLINE_MAX_INTER


def online_stride(int model):
    """Doubles of state per coordinate: 3 for FTRL (w, n, z), 1 for RDA (G)."""
    return FO_ONLINE_STRIDE(model)


# a non-NULL pointer for an empty array, so that C can tell "no entries"
# from "no namespaces"
cdef unsigned char _NO_ENTRIES = 0


cdef const unsigned char *_ns_pointer(const unsigned char[::1] ns, Py_ssize_t nnz,
                                      bint needed) except? NULL:
    """The namespaces' pointer (one per entry), or NULL when none are given
    (an error when the model's interactions need them)."""
    if ns is None:
        if needed:
            raise ValueError("a model with interactions needs each entry's namespace")
        return NULL
    if ns.shape[0] != nnz:
        raise ValueError(f"namespaces has {ns.shape[0]} entries; X has {nnz}")
    return &ns[0] if nnz else &_NO_ENTRIES


cdef class OnlineModel:
    """The C model of an online learner: its configuration, its state -- a
    (d + 1, online_stride(model)) float64 array, one row per coordinate,
    the intercept last, or (d + 1, K, stride) for K one-vs-rest models
    trained together (coordinate j's K records side by side) -- and t, the examples seen.  Owned and validated by
    fastopt.online's estimators."""
    cdef fo_online_cfg cfg
    cdef fo_online_model *ms
    cdef readonly int64_t n_models
    cdef readonly object state

    def __cinit__(self, int model, int loss, bint fit_intercept, double alpha,
                  double beta, double l1, double l2, double gamma, double rho,
                  state, int64_t t, double tau=0.5, interactions=(),
                  bint all_pairs=False):
        """interactions: terms of 2 or 3 namespace indices (bytes), at most
        ONLINE_MAX_INTER; all_pairs: every pair of namespaces (-q ::)."""
        cdef int k, i
        cdef int stride = FO_ONLINE_STRIDE(model)
        cdef int64_t n_models = 1 if state.ndim == 2 else (state.shape[1] if state.ndim == 3 else 0)
        if n_models < 1 or state.shape[0] < 1 or state.shape[state.ndim - 1] != stride:
            raise ValueError(f"state must have shape (d + 1, [K,] {stride})")
        if not (isinstance(state, np.ndarray) and state.dtype == np.float64
                and state.flags.c_contiguous and state.flags.writeable):
            raise ValueError("state must be a writeable C-contiguous float64 array")
        cdef double[::1] sv = state.reshape(-1)  # a view
        cdef int64_t rows = state.shape[0]
        if len(interactions) > FO_ONLINE_MAX_INTER:
            raise ValueError(f"at most {FO_ONLINE_MAX_INTER} interactions")
        self.cfg.model, self.cfg.loss, self.cfg.fit_intercept = model, loss, fit_intercept
        self.cfg.alpha, self.cfg.beta, self.cfg.l1, self.cfg.l2 = alpha, beta, l1, l2
        self.cfg.gamma, self.cfg.rho, self.cfg.tau = gamma, rho, tau
        self.cfg.n_inter = len(interactions)
        self.cfg.all_pairs = all_pairs
        for k, term in enumerate(interactions):
            term = bytes(term)
            if len(term) not in (2, 3):
                raise ValueError("an interaction has 2 or 3 namespaces")
            self.cfg.inter_len[k] = len(term)
            for i in range(3):
                self.cfg.inter[3 * k + i] = term[i] if i < len(term) else 0
        self.ms = <fo_online_model *>malloc(n_models * sizeof(fo_online_model))
        if self.ms == NULL:
            raise MemoryError()
        self.n_models = n_models
        self.state = state
        for k in range(n_models):
            self.ms[k].state = &sv[k * stride]
            self.ms[k].d = rows - 1
            self.ms[k].t = t
            self.ms[k].pitch = n_models * stride

    def __dealloc__(self):
        free(self.ms)

    @property
    def t(self):
        return self.ms[0].t

    @property
    def crossed(self):
        """Whether the model has interactions (fit and margin need ns)."""
        return self.cfg.n_inter > 0 or self.cfg.all_pairs

    def fit(self, const xindex[::1] indptr, const xindex[::1] indices,
            const xvalue[::1] data, const double[::1] y, const int64_t[::1] order,
            int n_threads, double loss_sum, const unsigned char[::1] ns=None,
            const double[::1] sw=None, double[:, ::1] pred=None,
            const double[::1] base=None, const double[::1] pos_w=None):
        """Train on the rows (in `order`, or all in turn when it is None),
        adding each prediction's loss (times its weight in sw) to
        loss_sum.  An entry ~r (-1 - r) of `order` predicts row r where it
        stands (its margins to pred) and learns nothing from it.  y: the targets, or with K models each row's class index
        in [0, K).  ns: each entry's namespace index (needed with
        interactions).  pred: (rows, K), receives each row's margins made
        before its update.  base: (rows * K,) finite offsets added to the
        margins, row r's for model k at r * K + k (VW's initial prediction;
        checked by the caller).  pos_w: (K,) finite weights >= 0, K > 1
        models only: model k's positive rows (y == k) weigh sw times
        pos_w[k], its others sw (scikit-learn's one-vs-rest class_weight).
        Returns (status, loss_sum, bad_row)."""
        cdef int64_t nrows = indptr.shape[0] - 1, bad = -1
        cdef int64_t norder = order.shape[0] if order is not None else nrows
        cdef const int64_t *op = &order[0] if order is not None and norder else NULL
        cdef double loss = loss_sum
        cdef int rc
        cdef int64_t K = self.n_models
        cdef const xindex *ip = &indptr[0]
        cdef const xindex *ix = &indices[0] if indices.shape[0] else NULL
        cdef const xvalue *xv = &data[0] if data.shape[0] else NULL
        cdef const double *yp = &y[0] if y.shape[0] else NULL
        cdef const unsigned char *nsp = _ns_pointer(ns, data.shape[0], self.crossed)
        cdef const double *swp = NULL
        cdef const double *bp = NULL
        cdef const double *pwp = NULL
        cdef double *pp = NULL
        cdef int64_t i
        if y.shape[0] != nrows:
            raise ValueError("y must have one label per row")
        if K > 1:
            for i in range(nrows):
                if not (0 <= y[i] < K) or y[i] != <double>(<int64_t>y[i]):
                    raise ValueError(f"y[{i}] = {y[i]} is not a class index in [0, {K})")
        if sw is not None:
            if sw.shape[0] != nrows:
                raise ValueError("sample_weight must have one weight per row")
            swp = &sw[0] if nrows else NULL
        if base is not None:
            if base.shape[0] != nrows * K:
                raise ValueError(f"base must have {nrows * K} entries (rows x models)")
            bp = &base[0] if nrows else NULL
        if pos_w is not None:
            if K < 2 or pos_w.shape[0] != K:
                raise ValueError(f"pos_w must have one weight per model ({K}) of a "
                                 "one-vs-rest model")
            for i in range(K):
                if not (0.0 <= pos_w[i] < INFINITY):
                    raise ValueError(f"pos_w[{i}] = {pos_w[i]} is not a finite weight >= 0")
            pwp = &pos_w[0]
        if pred is not None:
            if pred.shape[0] != nrows or pred.shape[1] != K:
                raise ValueError(f"pred must have shape ({nrows}, {K})")
            pp = &pred[0, 0] if nrows else NULL
        if order is not None:
            for i in range(norder):
                if not -nrows <= order[i] < nrows:
                    raise ValueError(f"order[{i}] = {order[i]} is not a row of X "
                                     "(r, or ~r to predict it only)")
        with nogil:
            if xvalue is float and xindex is int32_t:
                rc = fo_online_fit_f32_i32(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
            elif xvalue is float:
                rc = fo_online_fit_f32_i64(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
            elif xindex is int32_t:
                rc = fo_online_fit_f64_i32(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
            else:
                rc = fo_online_fit_f64_i64(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
        return rc, loss, bad

    def margin(self, const xindex[::1] indptr, const xindex[::1] indices,
               const xvalue[::1] data, int n_threads, const unsigned char[::1] ns=None):
        """w . x (crossed features included) + intercept for every row (and
        every model: shape (rows, K) for K > 1 models).  Returns (status,
        margins, bad_row)."""
        cdef int64_t nrows = indptr.shape[0] - 1, bad = -1, k
        out = np.empty((self.n_models, nrows), dtype=np.float64)
        cdef double[:, ::1] ov = out
        cdef double *op
        cdef int rc = FO_OK
        cdef const xindex *ip = &indptr[0]
        cdef const xindex *ix = &indices[0] if indices.shape[0] else NULL
        cdef const xvalue *xv = &data[0] if data.shape[0] else NULL
        cdef const unsigned char *nsp = _ns_pointer(ns, data.shape[0], self.crossed)
        for k in range(self.n_models):
            op = &ov[k, 0] if nrows else NULL
            with nogil:
                if xvalue is float and xindex is int32_t:
                    rc = fo_online_margin_f32_i32(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
                elif xvalue is float:
                    rc = fo_online_margin_f32_i64(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
                elif xindex is int32_t:
                    rc = fo_online_margin_f64_i32(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
                else:
                    rc = fo_online_margin_f64_i64(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
            if rc != FO_OK:
                break
        return rc, (out[0] if self.n_models == 1 else np.ascontiguousarray(out.T)), bad

    def weights(self):
        """The d + 1 weights now (intercept last); (K, d + 1) for K models."""
        cdef int64_t k
        out = np.empty((self.n_models, self.ms[0].d + 1), dtype=np.float64)
        cdef double[:, ::1] ov = out
        for k in range(self.n_models):
            fo_online_weights(&self.cfg, &self.ms[k], &ov[k, 0])
        return out[0] if self.n_models == 1 else out
