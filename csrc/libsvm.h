/* libsvm.h -- a streaming parser of libsvm / svmlight text (C99, no Python
 * headers).
 *
 * Input: a byte buffer of whole lines
 *
 *     label id:value id:value ... [# comment]
 *
 * separated by spaces or tabs, ending in \n or \r\n (the buffer's last line
 * may lack its \n).  Blank lines and lines whose first non-blank character is
 * '#' are skipped.  A leading `qid:N` token (svmlight ranking) is ignored.
 * Feature ids are non-negative decimal integers, taken as written (no 1-based
 * shift); ids within a line may be unsorted or repeated and are kept as
 * written.  Values and labels are decimal numbers as strtod reads them
 * (integers, decimals, exponents; the common forms are parsed by hand and
 * exactly rounded, the rest by strtod); they must be finite.  float32 values
 * are the float64 value rounded to float32.
 *
 * Labels: FO_LIBSVM_BINARY accepts 0/1 and -1/+1 (in any numeric spelling:
 * 1.0, +1, -1e0) and writes 0 or 1 (-1 -> 0); FO_LIBSVM_REAL writes any
 * finite label as it is.
 *
 * Output: CSR arrays provided by the caller -- labels (double, row_cap),
 * indptr (int64, row_cap + 1), indices (int32 or int64, nnz_cap), values
 * (float or double, nnz_cap).  Ids >= n_features are an error, or with
 * `hash` folded to id % n_features.
 *
 * The parser is resumable: the state holds how far it got.  It returns
 *   FO_OK                 every line of the buffer consumed;
 *   FO_LIBSVM_NEED_ROOM   the next row does not fit in row_cap / nnz_cap:
 *                         the state stops before that line (nothing of it is
 *                         written); grow the arrays (keeping their first
 *                         nrows / nnz entries) and call again;
 *   FO_LIBSVM_BAD_LINE    a malformed line (only without skip_bad_lines):
 *                         the state stops before it, err_* describe it;
 *   FO_BAD_ARG            a bad configuration or state.
 * With skip_bad_lines a malformed line is dropped whole (nothing of it
 * written), counted in bad_lines, and the first one met in a call is
 * described in err_*.
 */
#ifndef FASTOPT_LIBSVM_H
#define FASTOPT_LIBSVM_H

#include "fastopt.h"

/* Statuses beyond fastopt.h's. */
enum { FO_LIBSVM_NEED_ROOM = 16, FO_LIBSVM_BAD_LINE = 17 };

/* Why a line is malformed (err_code). */
enum {
    FO_LIBSVM_E_NONE = 0,
    FO_LIBSVM_E_LABEL = 1,       /* label is not a number                */
    FO_LIBSVM_E_LABEL_VALUE = 2, /* binary label not 0/1/-1              */
    FO_LIBSVM_E_ID = 3,          /* feature id is not an integer         */
    FO_LIBSVM_E_NEG_ID = 4,      /* feature id < 0                       */
    FO_LIBSVM_E_COLON = 5,       /* no ':' after the feature id          */
    FO_LIBSVM_E_VALUE = 6,       /* value is not a number                */
    FO_LIBSVM_E_NONFINITE = 7,   /* value is inf or nan (or, for float32
                                    values, overflows float)            */
    FO_LIBSVM_E_RANGE = 8,       /* id >= n_features (no hash)           */
    FO_LIBSVM_E_ID_OVERFLOW = 9, /* id does not fit in int64             */
    FO_LIBSVM_E_LABEL_NONFINITE = 10, /* label is inf or nan             */
    FO_LIBSVM_E_LONG_LINE = 11   /* line longer than max_line bytes      */
};

enum { FO_LIBSVM_BINARY = 0, FO_LIBSVM_REAL = 1 };

typedef struct {
    int64_t n_features;   /* > 0; ids must be < n_features (or hash)      */
    int hash;             /* fold ids: id % n_features                    */
    int skip_bad_lines;   /* drop malformed lines instead of stopping     */
    int label_mode;       /* FO_LIBSVM_BINARY or FO_LIBSVM_REAL           */
    int idx_size;         /* 4 (int32 indices) or 8 (int64)               */
    int val_size;         /* 4 (float values) or 8 (double)               */
    int64_t max_line;     /* a longer line (its \n not counted) is
                             malformed, comment and blank lines too; 0: no
                             limit */
} fo_libsvm_cfg;

typedef struct {
    /* in/out: where the parse stands; all zero for a fresh buffer */
    int64_t pos;          /* bytes of the buffer consumed (whole lines)   */
    int64_t lines;        /* lines consumed (blank and comment included)  */
    int64_t nrows;        /* rows written                                 */
    int64_t nnz;          /* entries written; indptr[nrows] == nnz        */
    int64_t bad_lines;    /* malformed lines skipped                      */
    /* out: the malformed line (FO_LIBSVM_BAD_LINE, or the first skipped) */
    int64_t err_line;     /* 1-based line number within the buffer        */
    int64_t err_pos;      /* byte offset of the offending token           */
    int64_t err_value;    /* the id, for FO_LIBSVM_E_RANGE                */
    int err_code;         /* FO_LIBSVM_E_*; 0 when none                   */
} fo_libsvm_state;

int fo_libsvm_parse(const char *buf, int64_t len, const fo_libsvm_cfg *cfg,
                    fo_libsvm_state *st,
                    double *labels, int64_t *indptr, int64_t row_cap,
                    void *indices, void *values, int64_t nnz_cap);

#endif
