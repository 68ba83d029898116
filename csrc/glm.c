/* glm.c -- per-block loss, gradient and Hessian-vector product of the
 * logistic, squared and Poisson GLMs (glm.h), instantiated from glm_ops.inc
 * for dense and CSR blocks, float32 and float64 values, int32 and int64
 * indices.
 *
 * One driver (glm_run) cuts the n rows into K = fo_glm_chunks(n, d) chunks
 * of consecutive rows, runs a chunk function over each -- every thread takes
 * a contiguous range of chunk numbers -- and adds the chunks' partials (f and
 * the d (+1) gradient entries, in double) in chunk order.  K depends on the
 * shape only, so nothing depends on n_threads.  The per-row work is one
 * fused pass: the margin (a dot product in 4 fixed lanes), the loss and its
 * derivative from loss.h (the functions the online learners use), and the
 * gradient's axpy into the chunk's partial.  A chunk function switches on the
 * loss once and runs a row loop inlined for that loss, so the row loop has
 * no branch on it.  The chunk loops are FO_CLONES functions of their own
 * (GCC does not clone the function OpenMP outlines). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glm.h"
#include "loss.h"
#include "runtime.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define GLM_ROWS ((int64_t)2048)          /* rows per chunk, at least      */
#define GLM_SCRATCH ((int64_t)1 << 21)    /* partial doubles, at most      */

int64_t fo_glm_chunks(int64_t n, int64_t d)
{
    int64_t k = (n + GLM_ROWS - 1) / GLM_ROWS;
    int64_t cap = GLM_SCRATCH / (d + 2);
    if (k > cap)
        k = cap;
    return k < 1 ? 1 : k;
}

typedef struct {
    int loss, fit_intercept;
    int64_t n, d, nnz, K, stride;     /* stride: doubles per partial      */
    const void *X, *indptr, *indices; /* X: dense rows or CSR data        */
    const double *y, *sw, *w, *v;
    double *part;                     /* K partials: f, then d (+1) sums  */
    int64_t *bad;                     /* per chunk: -1 or the bad row     */
    int *code;                        /* per chunk: its status            */
} glm_job;

typedef void (*glm_chunk_fn)(const glm_job *job, int64_t k);

/* Chunk k's rows [*lo, *hi): the first n % K chunks have one row more. */
FO_INLINE void glm_chunk_rows(const glm_job *job, int64_t k, int64_t *lo,
                              int64_t *hi)
{
    int64_t q = job->n / job->K, r = job->n % job->K;
    *lo = k * q + (k < r ? k : r);
    *hi = *lo + q + (k < r);
}

/* Threads for `work` elements split into `units` pieces: one per FO_GRAIN
 * elements, at most n_threads and units, at least 1. */
static int64_t glm_threads(int64_t work, int64_t units, int n_threads)
{
    int64_t nt = work / FO_GRAIN;
    if (nt > n_threads)
        nt = n_threads;
    if (nt > units)
        nt = units;
    return nt < 1 ? 1 : nt;
}

static int glm_run(glm_job *job, glm_chunk_fn fn, double *f, double *out,
                   int n_threads, int64_t *bad_row)
{
    if (job->n < 0 || job->d < 0 || job->nnz < 0)
        return FO_BAD_ARG;
    if (job->loss != FO_LOSS_LOGISTIC && job->loss != FO_LOSS_SQUARED &&
        job->loss != FO_LOSS_POISSON)
        return FO_BAD_ARG;
    const int64_t dim = job->d + (job->fit_intercept ? 1 : 0);
    job->K = fo_glm_chunks(job->n, job->d);
    job->stride = dim + 1;
    job->part = (double *)malloc((size_t)(job->K * job->stride) * sizeof(double));
    job->bad = (int64_t *)malloc((size_t)job->K * sizeof(int64_t));
    job->code = (int *)malloc((size_t)job->K * sizeof(int));
    if (job->part == NULL || job->bad == NULL || job->code == NULL) {
        free(job->part);
        free(job->bad);
        free(job->code);
        return FO_NOMEM;
    }
    const int64_t K = job->K, stride = job->stride;
    const int64_t nt = glm_threads(job->n * (job->d + 1) + job->nnz, K, n_threads);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads((int)nt) if (nt > 1)
#endif
    for (int64_t k = 0; k < K; ++k)
        fn(job, k);
    int status = FO_OK;
    for (int64_t k = 0; k < K && status == FO_OK; ++k)
        if (job->code[k] != FO_OK) {
            status = job->code[k];
            if (bad_row != NULL)
                *bad_row = job->bad[k];
        }
    if (status == FO_OK) {
        if (f != NULL) {
            double s = 0.0;
            for (int64_t k = 0; k < K; ++k)
                s += job->part[k * stride];
            *f = s;
        }
        const double *part = job->part;
        const int64_t ntc = glm_threads(dim * K, dim, n_threads);
        /* each entry summed over the chunks in chunk order */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads((int)ntc) if (ntc > 1)
#endif
        for (int64_t j = 0; j < dim; ++j) {
            double s = 0.0;
            for (int64_t k = 0; k < K; ++k)
                s += part[k * stride + 1 + j];
            out[j] = s;
        }
    }
    free(job->part);
    free(job->bad);
    free(job->code);
    return status;
}

#define GLM_T float
#define GLM_SFX f32
#include "glm_ops.inc"
#define GLM_T double
#define GLM_SFX f64
#include "glm_ops.inc"

#define GLM_CSR
#define GLM_T float
#define GLM_IT int32_t
#define GLM_SFX f32_i32
#include "glm_ops.inc"
#define GLM_T float
#define GLM_IT int64_t
#define GLM_SFX f32_i64
#include "glm_ops.inc"
#define GLM_T double
#define GLM_IT int32_t
#define GLM_SFX f64_i32
#include "glm_ops.inc"
#define GLM_T double
#define GLM_IT int64_t
#define GLM_SFX f64_i64
#include "glm_ops.inc"
#undef GLM_CSR
