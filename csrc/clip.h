/* clip.h -- gradient norms and in-place scaling for clipping (C99, no Python
 * headers).
 *
 * The arrays are a list: xs[k] points at ns[k] contiguous elements.  A norm
 * reduction accumulates in double and its result depends on the data only,
 * never on n_threads or the instruction set: every array is cut into blocks
 * of FO_CLIP_BLOCK elements (a fixed partition), each block is reduced in
 * FO_CLIP_LANES interleaved lanes combined in lane order, and the blocks'
 * partial results are combined in block order.  Threads only decide who
 * computes which block.
 *
 * Returns FO_OK, or FO_BAD_ARG for a negative size or an unknown norm.
 */
#ifndef FASTOPT_CLIP_H
#define FASTOPT_CLIP_H

#include "fastopt.h"

#define FO_CLIP_BLOCK ((int64_t)4096)
#define FO_CLIP_LANES 16

/* Which reduction: sum |x| (L1), sum x^2 (L2, the square of the norm), or
 * max |x| (INF; a NaN anywhere makes it NaN). */
typedef enum { FO_NORM_INF = 0, FO_NORM_L1 = 1, FO_NORM_L2 = 2 } fo_norm_kind;

/* The number of blocks of the arrays: the size `work` must have. */
int64_t fo_clip_nblocks(const int64_t *ns, int64_t narrays);

#define FO_DECLARE_CLIP(SFX, T)                                                \
    /* *result = the reduction `kind` over all elements of all arrays;         \
     * work: caller-provided scratch of fo_clip_nblocks(ns, narrays) doubles */ \
    int fo_norm_reduce_##SFX(const T *const *xs, const int64_t *ns,            \
                             int64_t narrays, int kind, double *work,          \
                             int n_threads, double *result);                   \
    /* x *= (T)c for every element of every array */                          \
    int fo_scale_##SFX(T *const *xs, const int64_t *ns, int64_t narrays,       \
                       double c, int n_threads);

FO_DECLARE_CLIP(f32, float)
FO_DECLARE_CLIP(f64, double)

#undef FO_DECLARE_CLIP

#endif
