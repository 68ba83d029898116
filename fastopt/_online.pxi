# Included by _kernels.pyx: the online learners' C loop (csrc/online.inc).
# The model arrays (w, n, z: d + 1 float64 each) belong to the Python
# estimator; X arrives as CSR arrays in any of float32/float64 values x
# int32/int64 indices, read in place (no copy).
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
    int FO_ONLINE_STRIDE(int model)

    int fo_online_fit_f32_i32(const fo_online_cfg *, fo_online_model *, int64_t,
                              const int32_t *, const int32_t *, const float *,
                              const unsigned char *, const double *, const double *,
                              const int64_t *, int64_t, int,
                              double *, int64_t *)
    int fo_online_fit_f32_i64(const fo_online_cfg *, fo_online_model *, int64_t,
                              const int64_t *, const int64_t *, const float *,
                              const unsigned char *, const double *, const double *,
                              const int64_t *, int64_t, int,
                              double *, int64_t *)
    int fo_online_fit_f64_i32(const fo_online_cfg *, fo_online_model *, int64_t,
                              const int32_t *, const int32_t *, const double *,
                              const unsigned char *, const double *, const double *,
                              const int64_t *, int64_t, int,
                              double *, int64_t *)
    int fo_online_fit_f64_i64(const fo_online_cfg *, fo_online_model *, int64_t,
                              const int64_t *, const int64_t *, const double *,
                              const unsigned char *, const double *, const double *,
                              const int64_t *, int64_t, int,
                              double *, int64_t *)
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
    the intercept last -- and t, the examples seen.  Owned and validated by
    fastopt.online's estimators."""
    cdef fo_online_cfg cfg
    cdef fo_online_model m
    cdef readonly object state

    def __cinit__(self, int model, int loss, bint fit_intercept, double alpha,
                  double beta, double l1, double l2, double gamma, double rho,
                  state, int64_t t, double tau=0.5, interactions=(),
                  bint all_pairs=False):
        """interactions: terms of 2 or 3 namespace indices (bytes), at most
        ONLINE_MAX_INTER; all_pairs: every pair of namespaces (-q ::)."""
        cdef double[:, ::1] sv = state
        cdef int k, i
        if sv.shape[0] < 1 or sv.shape[1] != FO_ONLINE_STRIDE(model):
            raise ValueError(f"state must have shape (d + 1, {FO_ONLINE_STRIDE(model)})")
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
        self.state = state
        self.m.state = &sv[0, 0]
        self.m.d = sv.shape[0] - 1
        self.m.t = t

    @property
    def t(self):
        return self.m.t

    @property
    def crossed(self):
        """Whether the model has interactions (fit and margin need ns)."""
        return self.cfg.n_inter > 0 or self.cfg.all_pairs

    def fit(self, const xindex[::1] indptr, const xindex[::1] indices,
            const xvalue[::1] data, const double[::1] y, const int64_t[::1] order,
            int n_threads, double loss_sum, const unsigned char[::1] ns=None,
            const double[::1] sw=None):
        """Train on the rows (in `order`, or all in turn when it is None),
        adding each prediction's loss (times its weight in sw) to
        loss_sum.  ns: each entry's namespace index (needed with
        interactions).  Returns (status, loss_sum, bad_row)."""
        cdef int64_t nrows = indptr.shape[0] - 1, bad = -1
        cdef int64_t norder = order.shape[0] if order is not None else nrows
        cdef const int64_t *op = &order[0] if order is not None and norder else NULL
        cdef double loss = loss_sum
        cdef int rc
        cdef const xindex *ip = &indptr[0]
        cdef const xindex *ix = &indices[0] if indices.shape[0] else NULL
        cdef const xvalue *xv = &data[0] if data.shape[0] else NULL
        cdef const double *yp = &y[0] if y.shape[0] else NULL
        cdef const unsigned char *nsp = _ns_pointer(ns, data.shape[0], self.crossed)
        cdef const double *swp = NULL
        if y.shape[0] != nrows:
            raise ValueError("y must have one label per row")
        if sw is not None:
            if sw.shape[0] != nrows:
                raise ValueError("sample_weight must have one weight per row")
            swp = &sw[0] if nrows else NULL
        with nogil:
            if xvalue is float and xindex is int32_t:
                rc = fo_online_fit_f32_i32(&self.cfg, &self.m, nrows, ip, ix, xv, nsp,
                                           yp, swp, op, norder, n_threads, &loss, &bad)
            elif xvalue is float:
                rc = fo_online_fit_f32_i64(&self.cfg, &self.m, nrows, ip, ix, xv, nsp,
                                           yp, swp, op, norder, n_threads, &loss, &bad)
            elif xindex is int32_t:
                rc = fo_online_fit_f64_i32(&self.cfg, &self.m, nrows, ip, ix, xv, nsp,
                                           yp, swp, op, norder, n_threads, &loss, &bad)
            else:
                rc = fo_online_fit_f64_i64(&self.cfg, &self.m, nrows, ip, ix, xv, nsp,
                                           yp, swp, op, norder, n_threads, &loss, &bad)
        return rc, loss, bad

    def margin(self, const xindex[::1] indptr, const xindex[::1] indices,
               const xvalue[::1] data, int n_threads, const unsigned char[::1] ns=None):
        """w . x (crossed features included) + intercept for every row.
        Returns (status, margins, bad_row)."""
        cdef int64_t nrows = indptr.shape[0] - 1, bad = -1
        out = np.empty(nrows, dtype=np.float64)
        cdef double[::1] ov = out
        cdef double *op = &ov[0] if nrows else NULL
        cdef int rc
        cdef const xindex *ip = &indptr[0]
        cdef const xindex *ix = &indices[0] if indices.shape[0] else NULL
        cdef const xvalue *xv = &data[0] if data.shape[0] else NULL
        cdef const unsigned char *nsp = _ns_pointer(ns, data.shape[0], self.crossed)
        with nogil:
            if xvalue is float and xindex is int32_t:
                rc = fo_online_margin_f32_i32(&self.cfg, &self.m, nrows, ip, ix, xv, nsp, op, n_threads, &bad)
            elif xvalue is float:
                rc = fo_online_margin_f32_i64(&self.cfg, &self.m, nrows, ip, ix, xv, nsp, op, n_threads, &bad)
            elif xindex is int32_t:
                rc = fo_online_margin_f64_i32(&self.cfg, &self.m, nrows, ip, ix, xv, nsp, op, n_threads, &bad)
            else:
                rc = fo_online_margin_f64_i64(&self.cfg, &self.m, nrows, ip, ix, xv, nsp, op, n_threads, &bad)
        return rc, out, bad

    def weights(self):
        """The d + 1 weights now (intercept last)."""
        out = np.empty(self.m.d + 1, dtype=np.float64)
        cdef double[::1] ov = out
        fo_online_weights(&self.cfg, &self.m, &ov[0])
        return out
