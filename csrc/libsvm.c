/* libsvm.c -- the libsvm / svmlight text parser (libsvm.h).
 *
 * One pass over the bytes, line by line, writing straight into the caller's
 * CSR arrays.  Numbers are parsed by text_number.inc (shared with vw.c);
 * feature ids are parsed as integers with an overflow check.
 *
 * The line loop is written once and instantiated for the four index/value
 * type pairs by inlining it with constant sizes. */
#include "libsvm.h"

#include "text_number.inc"

FO_INLINE int parse_impl(const char *buf, int64_t len, const fo_libsvm_cfg *cfg,
                         fo_libsvm_state *st, double *labels, int64_t *indptr,
                         int64_t row_cap, void *indices, void *values,
                         int64_t nnz_cap, const int idx4, const int val4)
{
    const char *const end = buf + len;
    const char *p = buf + st->pos;
    int64_t line = st->lines, nrows = st->nrows, nnz = st->nnz;
    int64_t bad_lines = st->bad_lines;
    const uint64_t nf = (uint64_t)cfg->n_features;
    const int hash = cfg->hash, binary = cfg->label_mode == FO_LIBSVM_BINARY;
    /* the longest line allowed, as a count of bytes before its '\n' */
    const int64_t max_line = cfg->max_line > 0 ? cfg->max_line : INT64_MAX;
    int status = FO_OK;

    indptr[nrows] = nnz;
    while (p < end) {
        const char *ls = p;            /* the line's first byte */
        const char *bad = NULL;        /* the offending token   */
        int code = FO_LIBSVM_E_NONE;
        uint64_t badval = 0;
        int64_t row0 = nnz;
        double lab;

        while (p < end && CLASS(*p) == C_BLANK)
            ++p;
        if (p - ls > max_line) {
            code = FO_LIBSVM_E_LONG_LINE;
            bad = ls;
            goto badline;
        }
        if (p == end) {                /* an unterminated blank last line */
            ++line;
            break;
        }
        if (*p == '\n') {
            ++p;
            ++line;
            continue;
        }
        if (*p == '#') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if ((nl ? nl : end) - ls > max_line) {
                code = FO_LIBSVM_E_LONG_LINE;
                bad = ls;
                goto badline;
            }
            p = nl ? nl + 1 : end;
            ++line;
            continue;
        }
        if (nrows >= row_cap) {
            p = ls;
            status = FO_LIBSVM_NEED_ROOM;
            break;
        }

        /* the label */
        const char *q = parse_number(p, end, &lab);
        if (q == NULL) {
            code = FO_LIBSVM_E_LABEL;
            bad = p;
            goto badline;
        }
        if ((code = check_label(&lab, binary)) != 0) {
            bad = p;
            goto badline;
        }
        p = q;

        /* the features */
        for (;;) {
            while (p < end && CLASS(*p) == C_BLANK)
                ++p;
            if (p == end || *p == '\n')
                break;
            if (*p == '#') {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                p = nl ? nl : end;
                break;
            }
            const char *t = p;
            uint64_t id = 0;
            unsigned d;
            if (DIGIT(*p) > 9) {
                if (*p == 'q' && nnz == row0 && end - p > 4
                        && memcmp(p, "qid:", 4) == 0) {
                    while (p < end && !CLASS(*p))   /* svmlight's qid: ignored */
                        ++p;
                    continue;
                }
                bad = t;
                code = (*p == '-' && p + 1 < end && DIGIT(p[1]) <= 9)
                       ? FO_LIBSVM_E_NEG_ID : FO_LIBSVM_E_ID;
                goto badline;
            }
            do {
                d = DIGIT(*p);
                if (id >= 922337203685477580ULL
                        && (id > 922337203685477580ULL || d > 7)) {
                    code = FO_LIBSVM_E_ID_OVERFLOW;
                    bad = t;
                    goto badline;
                }
                id = id * 10 + d;
                ++p;
            } while (p < end && DIGIT(*p) <= 9);
            if (p == end || *p != ':') {
                code = (p == end || CLASS(*p)) ? FO_LIBSVM_E_COLON : FO_LIBSVM_E_ID;
                bad = t;
                goto badline;
            }
            ++p;
            double v;
            q = parse_number(p, end, &v);
            if (q == NULL) {
                code = FO_LIBSVM_E_VALUE;
                bad = t;
                goto badline;
            }
            if (!isfinite(v) || (val4 && !isfinite((float)v))) {
                code = FO_LIBSVM_E_NONFINITE;
                bad = t;
                goto badline;
            }
            p = q;
            if (id >= nf) {
                if (hash) {
                    id %= nf;
                } else {
                    code = FO_LIBSVM_E_RANGE;
                    bad = t;
                    badval = id;
                    goto badline;
                }
            }
            if (nnz >= nnz_cap) {
                nnz = row0;
                p = ls;
                status = FO_LIBSVM_NEED_ROOM;
                goto out;
            }
            store_entry(indices, values, nnz, id, v, idx4, val4);
            ++nnz;
        }
        if (p - ls > max_line) {
            code = FO_LIBSVM_E_LONG_LINE;
            bad = ls;
            goto badline;
        }
        if (p < end)                   /* the '\n' */
            ++p;
        ++line;
        labels[nrows] = lab;
        ++nrows;
        indptr[nrows] = nnz;
        continue;

    badline:
        record_bad_line(st, cfg->skip_bad_lines, code, line, buf, ls, bad, end, max_line,
                        (int64_t)badval);
        nnz = row0;
        if (!cfg->skip_bad_lines) {
            p = ls;
            status = FO_LIBSVM_BAD_LINE;
            break;
        }
        ++bad_lines;
        {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl + 1 : end;
        }
        ++line;
    }
out:
    finish_block(st, buf, p, line, nrows, nnz, bad_lines);
    return status;
}

int fo_libsvm_parse(const char *buf, int64_t len, const fo_libsvm_cfg *cfg,
                    fo_libsvm_state *st,
                    double *labels, int64_t *indptr, int64_t row_cap,
                    void *indices, void *values, int64_t nnz_cap)
{
    if (cfg == NULL || st == NULL || len < 0 || cfg->n_features <= 0
            || (cfg->idx_size != 4 && cfg->idx_size != 8)
            || (cfg->val_size != 4 && cfg->val_size != 8) || cfg->max_line < 0
            || (cfg->idx_size == 4 && cfg->n_features > (int64_t)INT32_MAX + 1)
            || (cfg->label_mode != FO_LIBSVM_BINARY
                && cfg->label_mode != FO_LIBSVM_REAL)
            || st->pos < 0 || st->pos > len || st->nrows < 0 || st->nnz < 0
            || row_cap < st->nrows || nnz_cap < st->nnz || indptr == NULL
            || (len > 0 && buf == NULL))
        return FO_BAD_ARG;
    if (cfg->idx_size == 4) {
        if (cfg->val_size == 4)
            return parse_impl(buf, len, cfg, st, labels, indptr, row_cap,
                              indices, values, nnz_cap, 1, 1);
        return parse_impl(buf, len, cfg, st, labels, indptr, row_cap,
                          indices, values, nnz_cap, 1, 0);
    }
    if (cfg->val_size == 4)
        return parse_impl(buf, len, cfg, st, labels, indptr, row_cap,
                          indices, values, nnz_cap, 0, 1);
    return parse_impl(buf, len, cfg, st, labels, indptr, row_cap,
                      indices, values, nnz_cap, 0, 0);
}
