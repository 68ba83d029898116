/* glm.h -- loss, gradient and Hessian-vector product of a generalized linear
 * model over one block of rows (C99, no Python headers).
 *
 * With margins m_i = x_i . w[0:d] + b (b = w[d] when fit_intercept, else 0),
 * labels y_i and sample weights s_i (1 when sw is NULL), in one fused pass:
 *
 *     f    = sum_i s_i l(m_i; y_i)
 *     g    = sum_i s_i l'(m_i; y_i) (x_i, 1)          (the 1: intercept only)
 *     Hv   = sum_i s_i l''(m_i) ((x_i, 1) . v) (x_i, 1)
 *
 * with l the logistic, squared or Poisson loss of loss.h.  Sums, not means:
 * blocks of rows add up.  X is dense (n x d, row-major) or CSR (indptr of
 * n + 1, int32 or int64 indices, float32 or float64 values); y, sw, w, v and
 * the results are double.
 *
 * Determinism: the rows are cut into K chunks, K a function of (n, d) only;
 * each chunk sums its rows in order into a partial of its own, in double, and
 * the partials are added in chunk order.  Threads only decide who computes
 * which chunk, so f, g and Hv are bitwise the same for every n_threads.
 *
 * Returns FO_OK, FO_BAD_ARG (a loss other than logistic/squared/Poisson,
 * negative sizes; for CSR also an indptr that is not 0 <= indptr[i] <=
 * indptr[i + 1] <= nnz: *bad_row is the row), FO_BAD_INDEX (a CSR index
 * outside [0, d): *bad_row is its row) or FO_NOMEM; on an error f, g and hv
 * hold nothing useful.  C checks the CSR structure it reads, row by row. */
#ifndef FASTOPT_GLM_H
#define FASTOPT_GLM_H

#include "fastopt.h"

typedef struct {
    int loss;           /* FO_LOSS_LOGISTIC, FO_LOSS_SQUARED, FO_LOSS_POISSON */
    int fit_intercept;  /* w (and g, v, Hv) have d + 1 entries, b last       */
} fo_glm_cfg;

#define FO_DECLARE_GLM_DENSE(T, SFX)                                           \
    int fo_glm_loss_grad_dense_##SFX(const fo_glm_cfg *cfg, int64_t n,         \
                                     int64_t d, const T *X, const double *y,   \
                                     const double *sw, const double *w,        \
                                     double *f, double *g, int n_threads);     \
    int fo_glm_hessp_dense_##SFX(const fo_glm_cfg *cfg, int64_t n, int64_t d,  \
                                 const T *X, const double *sw,                 \
                                 const double *w, const double *v,             \
                                 double *hv, int n_threads);
#define FO_DECLARE_GLM_CSR(T, IT, SFX)                                         \
    int fo_glm_loss_grad_csr_##SFX(const fo_glm_cfg *cfg, int64_t n,           \
                                   int64_t d, int64_t nnz, const IT *indptr,   \
                                   const IT *indices, const T *data,           \
                                   const double *y, const double *sw,          \
                                   const double *w, double *f, double *g,      \
                                   int n_threads, int64_t *bad_row);           \
    int fo_glm_hessp_csr_##SFX(const fo_glm_cfg *cfg, int64_t n, int64_t d,    \
                               int64_t nnz, const IT *indptr,                  \
                               const IT *indices,                              \
                               const T *data, const double *sw,                \
                               const double *w, const double *v, double *hv,   \
                               int n_threads, int64_t *bad_row);
FO_DECLARE_GLM_DENSE(float, f32)
FO_DECLARE_GLM_DENSE(double, f64)
FO_DECLARE_GLM_CSR(float, int32_t, f32_i32)
FO_DECLARE_GLM_CSR(float, int64_t, f32_i64)
FO_DECLARE_GLM_CSR(double, int32_t, f64_i32)
FO_DECLARE_GLM_CSR(double, int64_t, f64_i64)

/* The number of row chunks (and of partials of d + 1 doubles) for n rows of
 * d features: what the kernels above use. */
int64_t fo_glm_chunks(int64_t n, int64_t d);

#endif
