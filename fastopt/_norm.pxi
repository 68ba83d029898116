# Included at the end of _kernels.pyx: the normalization kernels of
# csrc/norm.c.
#
# fastopt/norm.py validates everything and passes flat, C-contiguous arrays
# of one dtype with the (V, G, M, P, Q) view of csrc/norm.h; these wrappers
# take pointers, release the GIL around the C call and turn a status into an
# exception.  Optional arrays (weight, bias, their gradients) are passed with
# a `use_*` flag and a placeholder of the right type when absent, which keeps
# the fused-type dispatch on arrays that exist.
from cython cimport floating


cdef extern from "norm.h" nogil:
    ctypedef struct fo_norm_shape:
        int64_t V, G, M, P, Q
    int64_t fo_norm_work_size(const fo_norm_shape *)
    int fo_norm_stats_f32(const fo_norm_shape *, const float *, double *,
                          double *, double *, int)
    int fo_norm_stats_f64(const fo_norm_shape *, const double *, double *,
                          double *, double *, int)
    int fo_norm_forward_f32(const fo_norm_shape *, const float *, const double *,
                            const double *, const float *, const float *,
                            double *, float *, int)
    int fo_norm_forward_f64(const fo_norm_shape *, const double *, const double *,
                            const double *, const double *, const double *,
                            double *, double *, int)
    int fo_norm_stats_forward_f32(const fo_norm_shape *, const float *, double,
                                  const float *, const float *, double *, double *,
                                  double *, double *, float *, int)
    int fo_norm_stats_forward_f64(const fo_norm_shape *, const double *, double,
                                  const double *, const double *, double *, double *,
                                  double *, double *, double *, int)
    int fo_norm_backward_f32(const fo_norm_shape *, const float *, const float *,
                             const double *, const double *, const float *, int,
                             double *, float *, float *, float *, int)
    int fo_norm_backward_f64(const fo_norm_shape *, const double *, const double *,
                             const double *, const double *, const double *, int,
                             double *, double *, double *, double *, int)


cdef fo_norm_shape _norm_shape(tuple view, int64_t n, int64_t n_groups) except *:
    """The C view from (V, G, M, P, Q), checked against the arrays' sizes."""
    cdef fo_norm_shape s
    s.V, s.G, s.M, s.P, s.Q = view
    if (s.V < 1 or s.G < 1 or s.M < 1 or s.V * s.G * s.M != n or s.G != n_groups
            or fo_norm_work_size(&s) <= 0):
        raise ValueError(f"normalization view {view} does not fit the arrays")
    return s


cdef int _norm_check(int rc, str name) except -1:
    if rc != FO_OK:
        raise ValueError(f"{name}: kernel rejected its arguments (status {rc})")
    return 0


def norm_stats(const floating[::1] x, tuple view, double[::1] mean,
               double[::1] var, int n_threads):
    """mean and biased variance of every group of the view (double)."""
    cdef fo_norm_shape s = _norm_shape(view, x.shape[0], mean.shape[0])
    if var.shape[0] != mean.shape[0]:
        raise ValueError("norm_stats: mean and var differ in size")
    work = np.empty(fo_norm_work_size(&s), dtype=np.float64)
    cdef double[::1] w = work
    cdef int rc
    with nogil:
        if floating is float:
            rc = fo_norm_stats_f32(&s, &x[0], &w[0], &mean[0], &var[0], n_threads)
        else:
            rc = fo_norm_stats_f64(&s, &x[0], &w[0], &mean[0], &var[0], n_threads)
    _norm_check(rc, "norm_stats")


def norm_forward(const floating[::1] x, tuple view, const double[::1] mean,
                 const double[::1] rstd, const floating[::1] weight, bint use_weight,
                 const floating[::1] bias, bint use_bias, floating[::1] y,
                 int n_threads):
    """y = (x - mean) rstd weight + bias over the view."""
    cdef fo_norm_shape s = _norm_shape(view, x.shape[0], mean.shape[0])
    cdef int64_t nch = s.P * (s.M // s.Q)
    if (rstd.shape[0] != s.G or y.shape[0] != x.shape[0]
            or (use_weight and weight.shape[0] != nch)
            or (use_bias and bias.shape[0] != nch)):
        raise ValueError("norm_forward: array sizes do not fit the view")
    cdef const floating *wp = &weight[0] if use_weight else NULL
    cdef const floating *bp = &bias[0] if use_bias else NULL
    work = np.empty(fo_norm_work_size(&s), dtype=np.float64)
    cdef double[::1] wk = work
    cdef int rc
    with nogil:
        if floating is float:
            rc = fo_norm_forward_f32(&s, &x[0], &mean[0], &rstd[0], wp, bp, &wk[0],
                                     &y[0], n_threads)
        else:
            rc = fo_norm_forward_f64(&s, &x[0], &mean[0], &rstd[0], wp, bp, &wk[0],
                                     &y[0], n_threads)
    _norm_check(rc, "norm_forward")


def norm_stats_forward(const floating[::1] x, tuple view, double eps,
                       const floating[::1] weight, bint use_weight,
                       const floating[::1] bias, bint use_bias, double[::1] mean,
                       double[::1] var, double[::1] rstd, floating[::1] y,
                       int n_threads):
    """norm_stats, rstd = 1 / sqrt(var + eps), then norm_forward: one call,
    each row's passes back to back where the kernel can."""
    cdef fo_norm_shape s = _norm_shape(view, x.shape[0], mean.shape[0])
    cdef int64_t nch = s.P * (s.M // s.Q)
    if (var.shape[0] != s.G or rstd.shape[0] != s.G or y.shape[0] != x.shape[0]
            or (use_weight and weight.shape[0] != nch)
            or (use_bias and bias.shape[0] != nch)):
        raise ValueError("norm_stats_forward: array sizes do not fit the view")
    cdef const floating *wp = &weight[0] if use_weight else NULL
    cdef const floating *bp = &bias[0] if use_bias else NULL
    work = np.empty(fo_norm_work_size(&s), dtype=np.float64)
    cdef double[::1] wk = work
    cdef int rc
    with nogil:
        if floating is float:
            rc = fo_norm_stats_forward_f32(&s, &x[0], eps, wp, bp, &wk[0], &mean[0],
                                           &var[0], &rstd[0], &y[0], n_threads)
        else:
            rc = fo_norm_stats_forward_f64(&s, &x[0], eps, wp, bp, &wk[0], &mean[0],
                                           &var[0], &rstd[0], &y[0], n_threads)
    _norm_check(rc, "norm_stats_forward")


def norm_backward(const floating[::1] grad_y, const floating[::1] x, tuple view,
                  const double[::1] mean, const double[::1] rstd,
                  const floating[::1] weight, bint use_weight, bint batch_stats,
                  floating[::1] grad_x, floating[::1] grad_weight, bint want_weight,
                  floating[::1] grad_bias, bint want_bias, int n_threads):
    """grad_x (and the per-channel grad_weight, grad_bias where wanted)."""
    cdef fo_norm_shape s = _norm_shape(view, x.shape[0], mean.shape[0])
    cdef int64_t nch = s.P * (s.M // s.Q)
    if (rstd.shape[0] != s.G or grad_y.shape[0] != x.shape[0]
            or grad_x.shape[0] != x.shape[0]
            or (use_weight and weight.shape[0] != nch)
            or (want_weight and grad_weight.shape[0] != nch)
            or (want_bias and grad_bias.shape[0] != nch)):
        raise ValueError("norm_backward: array sizes do not fit the view")
    work = np.empty(fo_norm_work_size(&s), dtype=np.float64)
    cdef double[::1] w = work
    cdef const floating *wp = &weight[0] if use_weight else NULL
    cdef floating *dwp = &grad_weight[0] if want_weight else NULL
    cdef floating *dbp = &grad_bias[0] if want_bias else NULL
    cdef int rc
    with nogil:
        if floating is float:
            rc = fo_norm_backward_f32(&s, &grad_y[0], &x[0], &mean[0], &rstd[0], wp,
                                      batch_stats, &w[0], &grad_x[0], dwp, dbp,
                                      n_threads)
        else:
            rc = fo_norm_backward_f64(&s, &grad_y[0], &x[0], &mean[0], &rstd[0], wp,
                                      batch_stats, &w[0], &grad_x[0], dwp, dbp,
                                      n_threads)
    _norm_check(rc, "norm_backward")
