/* norm.h -- batch, layer, instance and group normalization, forward and
 * backward (C99, no Python headers).
 *
 * The four normalizations are one computation on a view of the input:
 *
 *     x viewed as (V, G, M); group g's statistics are the mean and the
 *     biased variance over all (v, m);  y = (x - mean_g) rstd_g w_c + b_c
 *
 *   batch norm     (N, C, S):     V = N, G = C,     M = S
 *   instance norm  (1, N*C, S):   V = 1, G = N*C,   M = S
 *   group norm     (1, N*G, C/G*S): V = 1, G = N*G, M = C/G*S
 *   layer norm     (1, rows, M):  V = 1, G = rows,  M = prod(normalized_shape)
 *
 * and the affine channel c of element (v, g, m) is (g % P) * (M / Q) + m / Q:
 * P = C, Q = M for batch and instance norm (one channel per group row),
 * P = num_groups, Q = S for group norm, P = 1, Q = 1 for layer norm (a weight
 * per element of the row).
 *
 * Every reduction is deterministic: its result depends on the data and the
 * shape only, never on n_threads or the instruction set.  The elements are cut
 * into a fixed partition of blocks (at most FO_NORM_BLOCK contiguous elements
 * of one group row), each block is reduced in FO_NORM_LANES interleaved
 * lanes -- for float32 input each lane sums 16 elements in float, then adds
 * that partial to a double lane -- combined in a fixed order, and the blocks'
 * results are combined in block order; threads only decide who computes which
 * block (or which chunk of whole rows: see norm.c's row mode).
 *
 * Returns FO_OK, or FO_BAD_ARG for an inconsistent shape.
 */
#ifndef FASTOPT_NORM_H
#define FASTOPT_NORM_H

#include "fastopt.h"

#define FO_NORM_BLOCK ((int64_t)4096)
#define FO_NORM_LANES 32

typedef struct {
    int64_t V, G, M;   /* the view (V, G, M); statistics per g             */
    int64_t P, Q;      /* affine channel of (v, g, m): (g % P) * (M/Q) + m/Q */
} fo_norm_shape;

/* Doubles of scratch `work` that every entry point below needs. */
int64_t fo_norm_work_size(const fo_norm_shape *s);

#define FO_DECLARE_NORM(SFX, T)                                                \
    /* mean[g] and the biased variance var[g] of every group (double) */      \
    int fo_norm_stats_##SFX(const fo_norm_shape *s, const T *x, double *work, \
                            double *mean, double *var, int n_threads);        \
    /* y = (x - mean_g) rstd_g w_c + b_c; w, b may be NULL (1 and 0) */       \
    int fo_norm_forward_##SFX(const fo_norm_shape *s, const T *x,             \
                              const double *mean, const double *rstd,         \
                              const T *w, const T *b, double *work, T *y,     \
                              int n_threads);                                 \
    /* Both: the statistics, rstd[g] = 1 / sqrt(var[g] + eps), then y. */     \
    int fo_norm_stats_forward_##SFX(const fo_norm_shape *s, const T *x,       \
                                    double eps, const T *w, const T *b,       \
                                    double *work, double *mean, double *var,  \
                                    double *rstd, T *y, int n_threads);       \
    /* The gradients of the forward.  batch_stats: mean and rstd were         \
     * computed from x (their dependence on x enters dx); 0: constants (eval  \
     * mode, running statistics).  dw and db may be NULL (not wanted); they   \
     * are sum dy (x - mean) rstd and sum dy over each channel's elements. */     \
    int fo_norm_backward_##SFX(const fo_norm_shape *s, const T *dy,           \
                               const T *x, const double *mean,                \
                               const double *rstd, const T *w,                \
                               int batch_stats, double *work, T *dx, T *dw,   \
                               T *db, int n_threads);

FO_DECLARE_NORM(f32, float)
FO_DECLARE_NORM(f64, double)

#undef FO_DECLARE_NORM

#endif
