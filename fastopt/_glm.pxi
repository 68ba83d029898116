# Included by _kernels.pyx: the GLM block kernels of csrc/glm.c (loss,
# gradient and Hessian-vector product of the logistic, squared and Poisson
# losses over a dense or CSR block of rows).  fastopt/glm.py validates every
# argument first; these wrappers only take pointers, release the GIL and turn
# a status into an exception (C itself checks the CSR structure it reads).

cdef extern from "glm.h" nogil:
    ctypedef struct fo_glm_cfg:
        int loss, fit_intercept
    int64_t fo_glm_chunks(int64_t n, int64_t d)
    int fo_glm_loss_grad_dense_f32(const fo_glm_cfg *, int64_t, int64_t, const float *,
                                   const double *, const double *, const double *,
                                   double *, double *, int)
    int fo_glm_loss_grad_dense_f64(const fo_glm_cfg *, int64_t, int64_t, const double *,
                                   const double *, const double *, const double *,
                                   double *, double *, int)
    int fo_glm_hessp_dense_f32(const fo_glm_cfg *, int64_t, int64_t, const float *,
                               const double *, const double *, const double *,
                               double *, int)
    int fo_glm_hessp_dense_f64(const fo_glm_cfg *, int64_t, int64_t, const double *,
                               const double *, const double *, const double *,
                               double *, int)
    int fo_glm_loss_grad_csr_f32_i32(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                     const int32_t *, const int32_t *, const float *,
                                     const double *, const double *, const double *,
                                     double *, double *, int, int64_t *)
    int fo_glm_loss_grad_csr_f32_i64(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                     const int64_t *, const int64_t *, const float *,
                                     const double *, const double *, const double *,
                                     double *, double *, int, int64_t *)
    int fo_glm_loss_grad_csr_f64_i32(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                     const int32_t *, const int32_t *, const double *,
                                     const double *, const double *, const double *,
                                     double *, double *, int, int64_t *)
    int fo_glm_loss_grad_csr_f64_i64(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                     const int64_t *, const int64_t *, const double *,
                                     const double *, const double *, const double *,
                                     double *, double *, int, int64_t *)
    int fo_glm_hessp_csr_f32_i32(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                 const int32_t *, const int32_t *, const float *,
                                 const double *, const double *, const double *,
                                 double *, int, int64_t *)
    int fo_glm_hessp_csr_f32_i64(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                 const int64_t *, const int64_t *, const float *,
                                 const double *, const double *, const double *,
                                 double *, int, int64_t *)
    int fo_glm_hessp_csr_f64_i32(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                 const int32_t *, const int32_t *, const double *,
                                 const double *, const double *, const double *,
                                 double *, int, int64_t *)
    int fo_glm_hessp_csr_f64_i64(const fo_glm_cfg *, int64_t, int64_t, int64_t,
                                 const int64_t *, const int64_t *, const double *,
                                 const double *, const double *, const double *,
                                 double *, int, int64_t *)

ctypedef fused glm_real:
    float
    double

ctypedef fused glm_index:
    int32_t
    int64_t


cdef const double *_glm_opt(const double[::1] a):
    return &a[0] if a is not None and a.shape[0] > 0 else NULL


cdef int _glm_check(int rc, int64_t bad_row) except -1:
    if rc == FO_OK:
        return 0
    if rc == FO_BAD_INDEX:
        raise IndexError(f"X: row {bad_row} has a column index outside [0, n_features)")
    if rc == FO_BAD_ARG and bad_row >= 0:
        raise ValueError(f"X: the CSR indptr is inconsistent at row {bad_row}")
    if rc == FO_NOMEM:
        raise MemoryError("glm: cannot allocate the per-chunk partial sums")
    raise ValueError(f"glm: kernel rejected its arguments (status {rc})")


def glm_chunks(int64_t n, int64_t d):
    """The number of row chunks the GLM kernels cut n rows of d features into."""
    return fo_glm_chunks(n, d)


def glm_dense(int loss, bint fit_intercept, const glm_real[:, ::1] X,
              const double[::1] y, const double[::1] sw, const double[::1] w,
              const double[::1] v, double[::1] out, int n_threads):
    """v None: f (returned) and the gradient (into out); else Hv into out."""
    cdef fo_glm_cfg c
    cdef int rc
    cdef double f = 0.0
    cdef int64_t n = X.shape[0], d = X.shape[1]
    cdef const glm_real *xp = &X[0, 0] if n > 0 and d > 0 else NULL
    cdef const double *yp = _glm_opt(y)
    cdef const double *swp = _glm_opt(sw)
    cdef const double *vp = _glm_opt(v)
    cdef const double *wp = _glm_opt(w)
    cdef double *op = &out[0] if out.shape[0] > 0 else NULL
    cdef bint hess = v is not None
    c.loss, c.fit_intercept = loss, fit_intercept
    if w.shape[0] != d + fit_intercept or out.shape[0] != w.shape[0] or \
            (v is not None and v.shape[0] != w.shape[0]):
        raise ValueError("glm_dense: w, v and out must have n_features (+1) entries")
    if v is None and (y is None or y.shape[0] != n):
        raise ValueError("glm_dense: y must have one entry per row")
    if sw is not None and sw.shape[0] != n:
        raise ValueError("glm_dense: sample_weight must have one entry per row")
    with nogil:
        if glm_real is float:
            if not hess:
                rc = fo_glm_loss_grad_dense_f32(&c, n, d, xp, yp, swp, wp, &f,
                                                op, n_threads)
            else:
                rc = fo_glm_hessp_dense_f32(&c, n, d, xp, swp, wp, vp, op,
                                            n_threads)
        else:
            if not hess:
                rc = fo_glm_loss_grad_dense_f64(&c, n, d, xp, yp, swp, wp, &f,
                                                op, n_threads)
            else:
                rc = fo_glm_hessp_dense_f64(&c, n, d, xp, swp, wp, vp, op,
                                            n_threads)
    _glm_check(rc, -1)
    return f


def glm_csr(int loss, bint fit_intercept, int64_t d, const glm_index[::1] indptr,
            const glm_index[::1] indices, const glm_real[::1] data,
            const double[::1] y, const double[::1] sw, const double[::1] w,
            const double[::1] v, double[::1] out, int n_threads):
    """As glm_dense for a CSR block of d columns."""
    cdef fo_glm_cfg c
    cdef int rc
    cdef double f = 0.0
    cdef int64_t bad = -1
    cdef int64_t n = indptr.shape[0] - 1
    cdef int64_t nnz = min(indices.shape[0], data.shape[0])
    cdef const glm_index *ipp = &indptr[0]
    cdef const glm_index *ixp = &indices[0] if nnz > 0 else NULL
    cdef const glm_real *xp = &data[0] if nnz > 0 else NULL
    cdef const double *yp = _glm_opt(y)
    cdef const double *swp = _glm_opt(sw)
    cdef const double *vp = _glm_opt(v)
    cdef const double *wp = _glm_opt(w)
    cdef double *op = &out[0] if out.shape[0] > 0 else NULL
    cdef bint hess = v is not None
    c.loss, c.fit_intercept = loss, fit_intercept
    if n < 0:
        raise ValueError("glm_csr: indptr must have n_rows + 1 entries")
    if w.shape[0] != d + fit_intercept or out.shape[0] != w.shape[0] or \
            (v is not None and v.shape[0] != w.shape[0]):
        raise ValueError("glm_csr: w, v and out must have n_features (+1) entries")
    if v is None and (y is None or y.shape[0] != n):
        raise ValueError("glm_csr: y must have one entry per row")
    if sw is not None and sw.shape[0] != n:
        raise ValueError("glm_csr: sample_weight must have one entry per row")
    with nogil:
        if glm_real is float and glm_index is int32_t:
            if not hess:
                rc = fo_glm_loss_grad_csr_f32_i32(&c, n, d, nnz, ipp, ixp, xp, yp, swp,
                                                  wp, &f, op, n_threads, &bad)
            else:
                rc = fo_glm_hessp_csr_f32_i32(&c, n, d, nnz, ipp, ixp, xp, swp, wp,
                                              vp, op, n_threads, &bad)
        elif glm_real is float:
            if not hess:
                rc = fo_glm_loss_grad_csr_f32_i64(&c, n, d, nnz, ipp, ixp, xp, yp, swp,
                                                  wp, &f, op, n_threads, &bad)
            else:
                rc = fo_glm_hessp_csr_f32_i64(&c, n, d, nnz, ipp, ixp, xp, swp, wp,
                                              vp, op, n_threads, &bad)
        elif glm_index is int32_t:
            if not hess:
                rc = fo_glm_loss_grad_csr_f64_i32(&c, n, d, nnz, ipp, ixp, xp, yp, swp,
                                                  wp, &f, op, n_threads, &bad)
            else:
                rc = fo_glm_hessp_csr_f64_i32(&c, n, d, nnz, ipp, ixp, xp, swp, wp,
                                              vp, op, n_threads, &bad)
        else:
            if not hess:
                rc = fo_glm_loss_grad_csr_f64_i64(&c, n, d, nnz, ipp, ixp, xp, yp, swp,
                                                  wp, &f, op, n_threads, &bad)
            else:
                rc = fo_glm_hessp_csr_f64_i64(&c, n, d, nnz, ipp, ixp, xp, swp, wp,
                                              vp, op, n_threads, &bad)
    _glm_check(rc, bad)
    return f
