/* format.c -- doubles to text with 9 significant digits (see format.h).
 *
 * C's "%.9g" already gives Python's '%.9g' bytes for finite values (both
 * round the exact binary value correctly, ties to even); only the decimal
 * point (locale) and the non-finite spellings differ, and are fixed here.
 * Blocks of BLOCK values are formatted independently, each at its worst-case
 * offset in `out`, then moved down in order: the same bytes for any thread
 * count.
 */
#include "format.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define BLOCK 16384

/* One value and its '\n' at p; returns the bytes written. */
static int format_one(double v, char *p, char point)
{
    int len;
    if (isnan(v)) {
        memcpy(p, "nan", 3);
        len = 3;
    } else if (isinf(v)) {
        if (v < 0) {
            memcpy(p, "-inf", 4);
            len = 4;
        } else {
            memcpy(p, "inf", 3);
            len = 3;
        }
    } else {
        len = snprintf(p, FO_FORMAT_G9_MAX, "%.9g", v);
        if (point != '.') {
            for (int i = 0; i < len; i++)
                if (p[i] == point)
                    p[i] = '.';
        }
    }
    p[len] = '\n';
    return len + 1;
}

int64_t fo_format_g9(const double *x, int64_t n, char *out, int n_threads)
{
    if (n <= 0)
        return 0;
    const char *dp = localeconv()->decimal_point;
    char point = (dp && dp[0]) ? dp[0] : '.';
    int64_t n_blocks = (n + BLOCK - 1) / BLOCK;
    if (n_blocks == 1 || n_threads < 2) {
        char *p = out;
        for (int64_t i = 0; i < n; i++)
            p += format_one(x[i], p, point);
        return (int64_t)(p - out);
    }
    int64_t *lens = (int64_t *)malloc((size_t)n_blocks * sizeof(int64_t));
    if (!lens) {   /* no memory for the bookkeeping: serial */
        char *p = out;
        for (int64_t i = 0; i < n; i++)
            p += format_one(x[i], p, point);
        return (int64_t)(p - out);
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
#endif
    for (int64_t b = 0; b < n_blocks; b++) {
        int64_t lo = b * BLOCK, hi = lo + BLOCK < n ? lo + BLOCK : n;
        char *start = out + lo * FO_FORMAT_G9_MAX, *p = start;
        for (int64_t i = lo; i < hi; i++)
            p += format_one(x[i], p, point);
        lens[b] = (int64_t)(p - start);
    }
    int64_t total = lens[0];
    for (int64_t b = 1; b < n_blocks; b++) {
        memmove(out + total, out + b * BLOCK * FO_FORMAT_G9_MAX, (size_t)lens[b]);
        total += lens[b];
    }
    free(lens);
    return total;
}
