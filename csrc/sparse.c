/* sparse.c -- index checking and duplicate summing for sparse gradients
 * (see fo_coalesce_* in fastopt.h). */
#include <stdlib.h>
#include <string.h>

#include "fastopt.h"

typedef struct {
    int64_t index, pos;
} fo_ipos;

/* Sorts a[0..k) by index, keeping equal indices in their order (LSD radix
 * sort, 8 bits a pass, as many passes as indices below nrows need): O(k) per
 * pass where qsort was O(k log k) calls of a comparator.  tmp has room for
 * k entries; returns whichever of a, tmp holds the result. */
static fo_ipos *radix_sort(fo_ipos *a, fo_ipos *tmp, int64_t k, int64_t nrows)
{
    int bits = 0;
    while (bits < 63 && ((int64_t)1 << bits) < nrows)
        ++bits;
    for (int shift = 0; shift < bits; shift += 8) {
        int64_t start[257] = {0};
        for (int64_t j = 0; j < k; ++j)
            ++start[((a[j].index >> shift) & 255) + 1];
        for (int b = 0; b < 256; ++b)
            start[b + 1] += start[b];
        for (int64_t j = 0; j < k; ++j)
            tmp[start[(a[j].index >> shift) & 255]++] = a[j];
        fo_ipos *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

static inline int64_t index_at(const void *idx, int idx_size, int64_t k)
{
    return idx_size == 4 ? (int64_t)((const int32_t *)idx)[k]
                         : ((const int64_t *)idx)[k];
}

/* Checks the indices and copies them to out_rows; 1 if strictly increasing. */
static int check_indices(const void *idx, int idx_size, int64_t k, int64_t nrows,
                         int64_t *out_rows, int64_t *bad_pos, int *status)
{
    int increasing = 1;
    for (int64_t j = 0; j < k; ++j) {
        int64_t v = index_at(idx, idx_size, j);
        if (v < 0 || v >= nrows) {
            *bad_pos = j;
            *status = FO_BAD_INDEX;
            return 0;
        }
        if (j > 0 && v <= out_rows[j - 1])
            increasing = 0;
        out_rows[j] = v;
    }
    *status = FO_OK;
    return increasing;
}

#define FO_DEFINE_COALESCE(T, SFX)                                             \
    int fo_coalesce_##SFX(const void *idx, int idx_size, int64_t k,            \
                          const T *values, int64_t d, int64_t nrows,           \
                          int64_t *out_rows, T *out_vals, int64_t *n_unique,   \
                          int *as_given, int64_t *bad_pos)                     \
    {                                                                          \
        int status;                                                            \
        *n_unique = 0;                                                         \
        *as_given = check_indices(idx, idx_size, k, nrows, out_rows, bad_pos,  \
                                  &status);                                    \
        if (status != FO_OK)                                                   \
            return status;                                                     \
        if (*as_given) {                                                       \
            *n_unique = k;                                                     \
            return FO_OK;                                                      \
        }                                                                      \
        fo_ipos *buf = malloc(2 * (size_t)k * sizeof(fo_ipos));                \
        if (!buf)                                                              \
            return FO_BAD_ARG;                                                 \
        for (int64_t j = 0; j < k; ++j) {                                      \
            buf[j].index = out_rows[j];                                        \
            buf[j].pos = j;                                                    \
        }                                                                      \
        const fo_ipos *order = radix_sort(buf, buf + k, k, nrows);             \
        int64_t m = -1;                                                        \
        for (int64_t j = 0; j < k; ++j) {                                      \
            const T *src = values + order[j].pos * d;                          \
            if (m < 0 || order[j].index != out_rows[m]) {                      \
                out_rows[++m] = order[j].index;                                \
                memcpy(out_vals + m * d, src, (size_t)d * sizeof(T));          \
            } else {                                                           \
                T *dst = out_vals + m * d;                                     \
                for (int64_t e = 0; e < d; ++e)                                \
                    dst[e] += src[e];                                          \
            }                                                                  \
        }                                                                      \
        free(buf);                                                             \
        *n_unique = m + 1;                                                     \
        return FO_OK;                                                          \
    }

FO_DEFINE_COALESCE(float, f32)
FO_DEFINE_COALESCE(double, f64)

int fo_check_compressed(const void *indptr, int indptr_size, int64_t n_major,
                        const void *indices, int idx_size, int64_t nnz_avail,
                        int64_t n_minor, int64_t *bad_pos)
{
    int64_t prev = 0;
    for (int64_t j = 0; j <= n_major; ++j) {
        int64_t v = index_at(indptr, indptr_size, j);
        if ((j == 0 && v != 0) || v < prev || v > nnz_avail) {
            *bad_pos = j;
            return FO_BAD_ARG;
        }
        prev = v;
    }
    for (int64_t j = 0; j < prev; ++j) {
        int64_t v = index_at(indices, idx_size, j);
        if (v < 0 || v >= n_minor) {
            *bad_pos = j;
            return FO_BAD_INDEX;
        }
    }
    return FO_OK;
}
