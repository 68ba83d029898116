/* format.h -- doubles to text, one per line (C99, no Python headers).
 *
 * fo_format_g9 writes x[0..n-1] as text with 9 significant digits, each
 * followed by '\n': the same bytes as Python's '%.9g' % v for every value.
 * Finite values are C's "%.9g" (correctly rounded, as Python's own dtoa;
 * exponents of at least two digits, "-0" for negative zero) with '.' as the
 * decimal point whatever the C locale; non-finite ones are spelled as Python
 * does: "inf", "-inf", and "nan" for a NaN of either sign (C prints "-nan").
 *
 * `out` must hold FO_FORMAT_G9_MAX bytes per value; the number of bytes
 * written is returned (no terminating NUL).  n_threads > 1 formats blocks of
 * the input in parallel (OpenMP), the output is the same.
 */
#ifndef FASTOPT_FORMAT_H
#define FASTOPT_FORMAT_H

#include <stdint.h>

/* "-1.23456789e-308\n" is 17 bytes; the rest is slack for snprintf's NUL. */
#define FO_FORMAT_G9_MAX 24

int64_t fo_format_g9(const double *x, int64_t n, char *out, int n_threads);

#endif
