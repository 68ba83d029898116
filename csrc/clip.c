/* clip.c -- gradient norms and scaling (clip.h), instantiated from
 * clip_ops.inc for float32 and float64.
 *
 * One driver runs a block function over every block of every array: the
 * blocks (FO_CLIP_BLOCK elements, the last one of an array shorter) are
 * numbered array by array, and each thread takes one contiguous range of
 * block numbers.  A reduction writes one partial per block into `work`; the
 * partials are then combined serially in block order, so the result does not
 * depend on how the blocks were shared out.  Inside a block the reduction
 * runs in FO_CLIP_LANES double accumulators, lane j summing elements
 * i = j (mod FO_CLIP_LANES) in order -- written so that every clone (default,
 * AVX2, AVX-512) vectorises it without reassociating, and all agree bit for
 * bit.  The block loops live in FO_CLONES functions of their own because GCC
 * does not clone the function OpenMP outlines. */
#include <math.h>
#include <string.h>

#include "clip.h"
#include "runtime.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    void *const *xs;
    const int64_t *ns;
    int kind;                 /* fo_norm_kind (reductions)               */
    double c;                 /* the factor (scaling)                    */
    double *work;             /* one partial per block (reductions)      */
} clip_job;

/* Handle block `b`: elements [off, off + len) of array `k`. */
typedef void (*clip_block_fn)(const clip_job *job, int64_t k, int64_t off,
                              int64_t len, int64_t b);

static int64_t nblocks_of(int64_t n)
{
    return (n + FO_CLIP_BLOCK - 1) / FO_CLIP_BLOCK;
}

int64_t fo_clip_nblocks(const int64_t *ns, int64_t narrays)
{
    int64_t nb = 0;
    for (int64_t k = 0; k < narrays; ++k)
        nb += nblocks_of(ns[k]);
    return nb;
}

/* Blocks [b0, b1) of the numbering, walking the arrays from the first. */
static void run_blocks(const clip_job *job, clip_block_fn fn, int64_t b0,
                       int64_t b1)
{
    int64_t k = 0, first = 0;          /* array k's blocks start at `first` */
    for (int64_t b = b0; b < b1; ++b) {
        while (b >= first + nblocks_of(job->ns[k]))
            first += nblocks_of(job->ns[k++]);
        int64_t off = (b - first) * FO_CLIP_BLOCK;
        int64_t len = job->ns[k] - off < FO_CLIP_BLOCK ? job->ns[k] - off
                                                       : FO_CLIP_BLOCK;
        fn(job, k, off, len, b);
    }
}

/* Serial below FO_GRAIN elements per thread. */
static void clip_run(const clip_job *job, int64_t narrays, clip_block_fn fn,
                     int n_threads)
{
    int64_t total = 0, nb = fo_clip_nblocks(job->ns, narrays);
    for (int64_t k = 0; k < narrays; ++k)
        total += job->ns[k];
    int64_t max_nt = total / FO_GRAIN;
    int nt = (int64_t)n_threads < max_nt ? n_threads : (int)max_nt;
#ifdef _OPENMP
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        {
            int64_t t = omp_get_thread_num(), nth = omp_get_num_threads();
            run_blocks(job, fn, nb * t / nth, nb * (t + 1) / nth);
        }
        return;
    }
#else
    (void)nt;
#endif
    run_blocks(job, fn, 0, nb);
}

/* Combine block partials in block order. */
static double combine(const double *work, int64_t nb, int kind)
{
    double r = 0.0;
    for (int64_t b = 0; b < nb; ++b) {
        if (kind != FO_NORM_INF)
            r += work[b];
        else if (!(work[b] <= r) && r == r)   /* larger, or NaN: NaN sticks */
            r = work[b];
    }
    return r;
}

static int bad_sizes(const int64_t *ns, int64_t narrays)
{
    if (narrays < 0)
        return 1;
    for (int64_t k = 0; k < narrays; ++k)
        if (ns[k] < 0)
            return 1;
    return 0;
}

#define T float
#define SFX f32
#define UI int32_t
#define UI_ABS_MASK INT32_MAX
#include "clip_ops.inc"

#define T double
#define SFX f64
#define UI int64_t
#define UI_ABS_MASK INT64_MAX
#include "clip_ops.inc"
