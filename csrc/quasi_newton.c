/* quasi_newton.c -- BFGS's O(n^2) inverse-Hessian update and L-BFGS's
 * two-loop recursion; the formulas are in quasi_newton.h. */
#include "quasi_newton.h"

#include "runtime.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Rows per thread below which the n x n kernels stay serial: below ~500
 * rows a thread team costs more than the O(n^2) pass it would split. */
#define QN_ROW_GRAIN ((int64_t)512)

static int qn_threads(int64_t n, int n_threads)
{
    int64_t max_nt = n / QN_ROW_GRAIN;
    if (max_nt < 1)
        max_nt = 1;
    return (int64_t)n_threads < max_nt ? n_threads : (int)max_nt;
}

FO_CLONES
static double qn_dot(const double *a, const double *b, int64_t n)
{
    double acc = 0.0;
    for (int64_t j = 0; j < n; ++j)
        acc += a[j] * b[j];
    return acc;
}

/* BFGS's n x n matrix-vector products: a dot product in eight fixed partial
 * sums.  The compiler may not reorder one floating-point sum (no fast-math
 * here), so a single accumulator is a chain of dependent adds; eight
 * independent lanes vectorise and overlap, and the fixed order keeps the
 * result deterministic.  (L-BFGS's O(mn) dots keep qn_dot: they are not its
 * cost, and its stopping rule is sensitive to their rounding.) */
FO_CLONES
static double qn_dot8(const double *a, const double *b, int64_t n)
{
    double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; ++k)
            acc[k] += a[j + k] * b[j + k];
    double tail = 0.0;
    for (; j < n; ++j)
        tail += a[j] * b[j];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) +
           ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

FO_CLONES
static void qn_axpy(double *y, double a, const double *x, int64_t n)
{
    for (int64_t j = 0; j < n; ++j)
        y[j] += a * x[j];
}

/* row i of H+ = ((H - rho h s^T) - rho s t^T) + rho s s^T, written in place:
 * scipy's grouping A1 (H A2) + rho s s^T with A2 = I - rho y s^T (so
 * (H A2)_ij = H_ij - rho h_i s_j) and y^T (H A2) = t^T.  Each correction is
 * applied in the order of the dense product, so when H+ is tiny next to H
 * (a stiff direction: rho s y^T ~ I) H - rho h s^T cancels first and the
 * small rho s s^T survives; the expanded rank-two form adds rho s s^T to
 * the O(1) (rho^2 y^T h) s s^T before the cancellation and loses it. */
FO_CLONES
static void qn_update_row(double *row, const double *s, const double *t,
                          double rh_i, double rs_i, double ps_i, int64_t n)
{
    for (int64_t j = 0; j < n; ++j)
        row[j] = ((row[j] - rh_i * s[j]) - rs_i * t[j]) + ps_i * s[j];
}

int fo_bfgs_direction(double *d, const double *H, const double *g, int64_t n,
                      int n_threads)
{
    if (n < 0)
        return FO_BAD_ARG;
    int nt = qn_threads(n, n_threads);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if(nt > 1)
    for (int64_t i = 0; i < n; ++i)
        d[i] = -qn_dot8(H + i * n, g, n);
    return FO_OK;
}

int fo_bfgs_update(double *H, const double *s, const double *y, double rho,
                   double *work, int64_t n, int n_threads)
{
    if (n < 0)
        return FO_BAD_ARG;
    int nt = qn_threads(n, n_threads);
    (void)nt;
    double *h = work, *t = work + n;
#pragma omp parallel for schedule(static) num_threads(nt) if(nt > 1)
    for (int64_t i = 0; i < n; ++i)
        h[i] = qn_dot8(H + i * n, y, n);         /* h = H y */
    /* t = y^T (H - rho h s^T) = h - rho (y^T h) s, computed like a row of it */
    double ryh = rho * qn_dot(y, h, n);
    for (int64_t j = 0; j < n; ++j)
        t[j] = h[j] - ryh * s[j];
#pragma omp parallel for schedule(static) num_threads(nt) if(nt > 1)
    for (int64_t i = 0; i < n; ++i)
        qn_update_row(H + i * n, s, t, rho * h[i], rho * s[i], rho * s[i], n);
    return FO_OK;
}

int fo_lbfgs_direction(double *d, const double *g, const double *S,
                       const double *Y, const double *rho, double *alpha,
                       int64_t mem, int64_t m_used, int64_t newest, int64_t n,
                       double gamma)
{
    if (n < 0 || mem < 1 || m_used < 0 || m_used > mem || newest < 0 || newest >= mem)
        return FO_BAD_ARG;
    for (int64_t j = 0; j < n; ++j)
        d[j] = -g[j];
    /* first loop, newest to oldest: alpha_k = rho_k s_k^T q; q -= alpha_k y_k */
    for (int64_t t = 0; t < m_used; ++t) {
        int64_t k = (newest - t + mem) % mem;
        alpha[k] = rho[k] * qn_dot(S + k * n, d, n);
        qn_axpy(d, -alpha[k], Y + k * n, n);
    }
    for (int64_t j = 0; j < n; ++j)
        d[j] *= gamma;
    /* second loop, oldest to newest: beta = rho_k y_k^T r; r += (alpha_k - beta) s_k */
    for (int64_t t = m_used - 1; t >= 0; --t) {
        int64_t k = (newest - t + mem) % mem;
        double beta = rho[k] * qn_dot(Y + k * n, d, n);
        qn_axpy(d, alpha[k] - beta, S + k * n, n);
    }
    return FO_OK;
}
