/* norm.c -- batch/layer/instance/group normalization (norm.h), instantiated
 * from norm_ops.inc for float32 and float64.
 *
 * A partition cuts every group row (v, g) -- M contiguous elements -- into
 * M / L segments of L elements (L = M, or L = Q: one affine channel per
 * segment), and every segment into blocks of at most FO_NORM_BLOCK elements.
 * Blocks are numbered in memory order, and each pass (statistics, the
 * backward's sums, the normalisation itself) runs a block function over all
 * of them, each thread taking one contiguous range of block numbers (serial
 * below FO_GRAIN elements per thread).  Reductions write one partial per
 * block; the partials are then combined serially in block order, so no result
 * depends on how the blocks were shared out.  The block loops live in
 * FO_CLONES functions of their own (GCC does not clone the function OpenMP
 * outlines).
 *
 * Statistics take one pass over memory: each block is reduced twice while it
 * sits in cache (its mean, then its sum of squared deviations from that
 * mean), and the blocks are merged with Chan et al.'s pairwise update -- as
 * accurate as a two-pass variance, without a second read of x.
 *
 * Where there is one group row per group (V = 1: layer, instance and group
 * norm), "row mode" (is_rows below) runs the passes row by row instead, a
 * row's passes back to back while it is in cache; the blocks and the order of
 * every sum stay the same.  Layer norm's weight varies along the row (Q = 1):
 * its per-channel sums (grad_weight, grad_bias) are column sums over the rows,
 * taken in row mode as per-chunk column partials, added in chunk order. */
#include <math.h>
#include <string.h>

#include "norm.h"
#include "runtime.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define NORM_COL_TILE 64   /* columns per tile of column mode's sums */

typedef struct {
    int64_t L;        /* segment length                                 */
    int64_t nseg;     /* segments per group row (M / L)                 */
    int64_t nbl;      /* blocks per segment                             */
    int64_t nblocks;  /* V * G * nseg * nbl                             */
} norm_part;

/* Everything a block function may need; each pass uses its own subset. */
typedef struct {
    const fo_norm_shape *s;
    norm_part part;
    const void *x, *dy, *w, *b;
    void *out;                   /* y or dx                                */
    const double *mean, *rstd;
    const double *kr, *ar;       /* backward: per-group constants          */
    double *work;                /* partials, two per block                */
    const double *cm, *c1, *c2, *c3; /* column mode: per-column constants  */
    int sq;                      /* column mode: sum (x - mean)^2 pass     */
    int vec;                     /* the weight varies inside a block       */
    /* row mode (is_rows): the statistics and constants each row computes */
    norm_part spart;             /* the statistics' partition (L = M)      */
    double eps;
    int batch_stats;
    double *mean_w, *var_w, *rstd_w, *kr_w, *ar_w;
    void *cols;                  /* per chunk: 2 M column partials (ACC)   */
} norm_job;

typedef void (*norm_block_fn)(const norm_job *job, int64_t b);

static norm_part make_part(const fo_norm_shape *s, int64_t L)
{
    norm_part p;
    p.L = L;
    p.nseg = s->M / L;
    p.nbl = (L + FO_NORM_BLOCK - 1) / FO_NORM_BLOCK;
    p.nblocks = s->V * s->G * p.nseg * p.nbl;
    return p;
}

/* Block b of partition p: its group row (v * G + g), segment, first element
 * and length. */
static void block_in(const fo_norm_shape *s, const norm_part *p, int64_t b,
                     int64_t *row, int64_t *seg, int64_t *off, int64_t *len)
{
    int64_t lb = b % p->nbl, rs = b / p->nbl;
    *seg = rs % p->nseg;
    *row = rs / p->nseg;
    int64_t start = lb * FO_NORM_BLOCK;
    *len = p->L - start < FO_NORM_BLOCK ? p->L - start : FO_NORM_BLOCK;
    *off = *row * s->M + *seg * p->L + start;
}

static void block_at(const norm_job *job, int64_t b, int64_t *row,
                     int64_t *seg, int64_t *off, int64_t *len)
{
    block_in(job->s, &job->part, b, row, seg, off, len);
}

/* The affine channel of segment `seg` of group row `row`. */
static int64_t channel_of(const fo_norm_shape *s, const norm_part *p,
                          int64_t row, int64_t seg)
{
    int64_t g = row % s->G;
    return (g % s->P) * (s->M / s->Q) + seg * p->L / s->Q;
}

static int threads_for(int64_t nelems, int n_threads)
{
    int64_t max_nt = nelems / FO_GRAIN;
    return (int64_t)n_threads < max_nt ? n_threads : (int)max_nt;
}

/* Run fn over `nitems` items (blocks or column tiles) covering `nelems`
 * elements: one contiguous range of items per thread. */
static void norm_run(const norm_job *job, norm_block_fn fn, int64_t nitems,
                     int64_t nelems, int n_threads)
{
    int nt = threads_for(nelems, n_threads);
#ifdef _OPENMP
    if (nt > 1 && nitems > 1) {
#pragma omp parallel num_threads(nt)
        {
            int64_t t = omp_get_thread_num(), nth = omp_get_num_threads();
            for (int64_t b = nitems * t / nth; b < nitems * (t + 1) / nth; ++b)
                fn(job, b);
        }
        return;
    }
#else
    (void)nt;
#endif
    for (int64_t b = 0; b < nitems; ++b)
        fn(job, b);
}

static int bad_shape(const fo_norm_shape *s)
{
    return s->V < 1 || s->G < 1 || s->M < 1 || s->P < 1 || s->Q < 1
        || s->G % s->P != 0 || s->M % s->Q != 0
        || s->V > INT64_MAX / s->G || s->V * s->G > INT64_MAX / s->M;
}

static int64_t n_channels(const fo_norm_shape *s)
{
    return s->P * (s->M / s->Q);
}

/* Layer norm's shape: the weight varies inside a row and there is one row
 * per group (V = 1), so the channel sums are column sums over the rows. */
static int is_vec(const fo_norm_shape *s)
{
    return s->Q == 1 && s->M > 1 && s->V == 1;
}

/* Batch norm with short rows (M < NORM_COLS_BELOW, e.g. (N, C) input): a
 * block per row segment would be a few elements, so the statistics and sums
 * are taken by columns of the (V, G * M) matrix instead -- chunks of
 * NORM_COL_ROWS rows times tiles of NORM_COL_TILE columns, each column summed
 * over its chunk's rows in order, the chunks combined in order, then a
 * group's M columns in order -- and the element loops run along whole rows
 * with per-column constants. */
#define NORM_COLS_BELOW 16
#define NORM_COL_ROWS 256

static int is_cols(const fo_norm_shape *s)
{
    return s->V > 1 && s->Q == s->M && s->P == s->G && s->M < NORM_COLS_BELOW;
}

/* Row mode: one group row per g (V = 1) whose passes run back to back while
 * the row is in cache -- the forward's statistics then y, the backward's
 * sums then dx -- over chunks of whole rows, a thread taking a contiguous
 * range of chunks.  Used when the rows fit in cache (M <= NORM_ROW_MAX), and
 * always for layer norm's weight per element (is_vec): there each chunk sums
 * grad_weight's and grad_bias's columns over its rows, and the chunks'
 * partials are added in chunk order.  The rows' block partition and the
 * order of every sum are those of the other mode. */
#define NORM_ROW_MAX 16384
#define NORM_CHUNK_ELEMS 16384
#define NORM_CHUNK_ROWS_MAX 32   /* column partials sum at most this many rows */

static int is_rows(const fo_norm_shape *s)
{
    return s->V == 1 && (s->M <= NORM_ROW_MAX || is_vec(s));
}

static int64_t chunk_rows(const fo_norm_shape *s)
{
    int64_t r = NORM_CHUNK_ELEMS / s->M;
    return r < 1 ? 1 : r > NORM_CHUNK_ROWS_MAX ? NORM_CHUNK_ROWS_MAX : r;
}

static int64_t row_chunks(const fo_norm_shape *s)
{
    return (s->G + chunk_rows(s) - 1) / chunk_rows(s);
}

/* Row mode: ask for the next row (into L2) while this one is worked on in L1,
 * when it fits there. */
#define NORM_PREFETCH_MAX ((int64_t)65536)   /* bytes */

static void prefetch_row(const void *p, int64_t bytes)
{
    if (bytes > NORM_PREFETCH_MAX)
        return;
#if defined(__GNUC__)
    for (int64_t i = 0; i < bytes; i += 64)
        __builtin_prefetch((const char *)p + i, 0, 2);
#else
    (void)p;
#endif
}

static int64_t col_chunks(const fo_norm_shape *s)
{
    return (s->V + NORM_COL_ROWS - 1) / NORM_COL_ROWS;
}

int64_t fo_norm_work_size(const fo_norm_shape *s)
{
    if (bad_shape(s))
        return 0;
    int64_t extra = 2 * s->G + 2 * n_channels(s);
    if (is_cols(s))   /* two partials per (chunk, column), 4 per column */
        return (2 * col_chunks(s) + 4) * s->G * s->M + extra;
    /* The finest partition used (L = Q) has the most blocks. */
    norm_part p = make_part(s, s->Q);
    if (is_rows(s) && is_vec(s))   /* and the chunks' column partials */
        return 2 * p.nblocks + extra + 2 * row_chunks(s) * n_channels(s);
    return 2 * p.nblocks + extra;
}

/* Column mode: per group, the sum over the chunks' column partials
 * (work[2 * (chunk * D + j) + which]) of its M columns, in order. */
static void combine_cols(const fo_norm_shape *s, const double *work, int which,
                         double *out)
{
    int64_t D = s->G * s->M, nch = col_chunks(s);
    for (int64_t g = 0; g < s->G; ++g) {
        double acc = 0.0;
        for (int64_t m = 0; m < s->M; ++m) {
            double col = 0.0;
            for (int64_t k = 0; k < nch; ++k)
                col += work[2 * (k * D + g * s->M + m) + which];
            acc += col;
        }
        out[g] = acc;
    }
}

/* The dx constants of a group from A = sum dy w and B = sum dy w (x - mean)
 * over its n elements (zero for constant statistics: eval mode). */
static void group_consts(double n, double r, double A, double B, int batch_stats,
                         double *kr, double *ar)
{
    *kr = batch_stats ? B / n * (r * r * r) : 0.0;
    *ar = batch_stats ? A / n * r : 0.0;
}

/* Merge group g's blocks' (mean, sum of squared deviations), in block order
 * (Chan, Golub & LeVeque's pairwise update). */
static void combine_group(const fo_norm_shape *s, const norm_part *p,
                          const double *work, int64_t g, double *mean,
                          double *var)
{
    {
        double n = 0.0, mu = 0.0, m2 = 0.0;
        for (int64_t v = 0; v < s->V; ++v) {
            int64_t b0 = (v * s->G + g) * p->nbl;
            for (int64_t lb = 0; lb < p->nbl; ++lb) {
                int64_t start = lb * FO_NORM_BLOCK;
                double nb = (double)(p->L - start < FO_NORM_BLOCK ? p->L - start
                                                                  : FO_NORM_BLOCK);
                double mb = work[2 * (b0 + lb)], m2b = work[2 * (b0 + lb) + 1];
                double tot = n + nb, delta = mb - mu;
                mu += delta * (nb / tot);
                m2 += m2b + delta * delta * (n * nb / tot);
                n = tot;
            }
        }
        *mean = mu;
        *var = m2 / n;
    }
}

static void combine_stats(const fo_norm_shape *s, const norm_part *p,
                          const double *work, double *mean, double *var)
{
    for (int64_t g = 0; g < s->G; ++g)
        combine_group(s, p, work, g, &mean[g], &var[g]);
}

/* ACC: the type the block sums accumulate in for NM_SUB steps per lane before
 * a double lane sum takes the partial (norm_ops.inc). */
#define NM_SUB 16

#define T float
#define ACC float
#define SFX f32
#include "norm_ops.inc"

#define T double
#define ACC double
#define SFX f64
#include "norm_ops.inc"
