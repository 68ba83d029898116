/* vw.c -- the Vowpal Wabbit text parser (vw.h).
 *
 * One pass over the bytes, line by line, writing straight into the caller's
 * CSR arrays, as libsvm.c does; the numbers go through the same parser
 * (text_number.inc), every token bounded by the separator VW's grammar ends
 * it with (a blank, ':' or '|').  Feature names are hashed as VW hashes
 * them (vw.h); the interactions (-q) are not generated here but per example
 * in the learners' loop (online.inc), from the namespace index each feature
 * carries. */
#include "vw.h"

#include "text_number.inc"

/* MurmurHash3_x86_32 (Appleby, public domain), little-endian block reads as
 * VW's hash.h: the length is mixed in modulo 2^32. */
static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t fo_murmur3_32(const void *key, int64_t len, uint32_t seed)
{
    const unsigned char *data = (const unsigned char *)key;
    const int64_t nblocks = len / 4;
    const uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
    uint32_t h = seed, k;
    for (int64_t i = 0; i < nblocks; ++i) {
        const unsigned char *b = data + 4 * i;
        k = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16
            | (uint32_t)b[3] << 24;
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64u;
    }
    const unsigned char *tail = data + 4 * nblocks;
    k = 0;
    switch (len & 3) {
    case 3:
        k ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* VW's hashstring: trimmed of ASCII blanks and controls; an all-digit name
 * is its decimal value (wrapping mod 2^64) plus the seed, anything else
 * MurmurHash3 seeded with the seed's low 32 bits. */
uint64_t fo_vw_hash(const char *s, int64_t len, uint64_t seed)
{
    while (len > 0 && (unsigned char)s[0] <= 0x20) {
        ++s;
        --len;
    }
    while (len > 0 && (unsigned char)s[len - 1] <= 0x20)
        --len;
    uint64_t v = 0;
    for (int64_t i = 0; i < len; ++i) {
        unsigned d = (unsigned)(unsigned char)s[i] - (unsigned)'0';
        if (d > 9)
            return fo_murmur3_32(s, len, (uint32_t)seed);
        v = 10 * v + d;
    }
    return v + seed;
}

/* A name's hash under cfg: --hash all hashes every name with MurmurHash3
 * (VW's hashall), --hash strings (the default) as fo_vw_hash. */
FO_INLINE uint64_t vw_hash_cfg(const char *s, int64_t len, uint64_t seed,
                               const fo_vw_cfg *cfg)
{
    return cfg->hash_all ? fo_murmur3_32(s, len, (uint32_t)seed)
                         : fo_vw_hash(s, len, seed);
}

/* Separators: a blank ends every token; '|' ends a namespace's tokens and
 * ':' a name. */
#define VW_BLANK(c) (CLASS(c) == C_BLANK)
#define VW_END_NAME(c) (VW_BLANK(c) || (c) == ':' || (c) == '|')
#define VW_END_VALUE(c) (VW_BLANK(c) || (c) == '|')

/* The number in [p, q) (a whole token), or NULL. */
FO_INLINE const char *vw_number(const char *p, const char *q, double *out)
{
    if (p == q)
        return NULL;
    const char *e = parse_number(p, q, out);
    return e == q ? e : NULL;
}

/* Whether strtod reads a number from the start of [p, q) (VW's parseFloat
 * falls back on strtof): a value that begins as a number but is not one
 * ("1x") is malformed; one that does not begin as a number ("US") is a
 * string value. */
static int vw_has_number_prefix(const char *p, const char *q)
{
    char tmp[64];
    size_t n = (size_t)(q - p) < sizeof tmp - 1 ? (size_t)(q - p) : sizeof tmp - 1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *e;
    (void)strtod(tmp, &e);
    return e != tmp;
}

FO_INLINE int vw_impl(const char *buf, int64_t len, const fo_vw_cfg *cfg,
                      fo_libsvm_state *st, double *labels, double *weights,
                      int64_t *indptr, int64_t row_cap, void *indices,
                      void *values, unsigned char *nsout, int64_t nnz_cap,
                      fo_vw_extra *extra, const int idx4, const int val4)
{
    const char *const end = buf + len;
    const char *p = buf + st->pos;
    int64_t line = st->lines, nrows = st->nrows, nnz = st->nnz;
    int64_t bad_lines = st->bad_lines;
    const uint64_t mask = cfg->bits >= 64 ? ~(uint64_t)0
                          : ((uint64_t)1 << cfg->bits) - 1;
    const int binary = cfg->label_mode == FO_LIBSVM_BINARY;
    const int64_t max_line = cfg->max_line > 0 ? cfg->max_line : INT64_MAX;
    /* the default namespace's hash: MurmurHash3 of "" (0 for seed 0) */
    const uint64_t default_nh = fo_murmur3_32("", 0, cfg->hash_seed);
    int status = FO_OK;
/* one entry of the row, or (no room) back to the line's start */
#define VW_PUSH(ID, V, NS)                                                    \
    do {                                                                      \
        if (nnz >= nnz_cap) {                                                 \
            nnz = row0;                                                       \
            p = ls;                                                           \
            status = FO_LIBSVM_NEED_ROOM;                                     \
            goto out;                                                         \
        }                                                                     \
        store_entry(indices, values, nnz, (ID), (V), idx4, val4);             \
        nsout[nnz++] = (NS);                                                  \
    } while (0)

    indptr[nrows] = nnz;
    while (p < end) {
        const char *ls = p;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;      /* the line's end, '\r' cut */
        const char *next = nl ? nl + 1 : end;
        const char *bad = ls;
        int code = FO_LIBSVM_E_NONE;
        int64_t row0 = nnz;
        double lab = NAN, wt = 1.0, init = 0.0;
        int64_t tag0 = -1, tag1 = -1;

        if (le - ls > max_line) {
            code = FO_LIBSVM_E_LONG_LINE;
            goto badline;
        }
        while (le > ls && le[-1] == '\r')
            --le;
        if (le - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
            p += 3;                        /* a UTF-8 BOM, skipped as VW does */
        while (p < le && VW_BLANK(*p))
            ++p;
        if (p == le) {                     /* blank */
            p = next;
            ++line;
            continue;
        }
        if (nrows >= row_cap) {
            p = ls;
            status = FO_LIBSVM_NEED_ROOM;
            break;
        }

        /* the label section: label [weight] [tag] */
        {
            const char *bar = memchr(p, '|', (size_t)(le - p));
            const char *se = bar ? bar : le;
            const char *tok[5], *tend[5];
            int ntok = 0;
            const char *q = p;
            while (q < se) {
                while (q < se && VW_BLANK(*q))
                    ++q;
                if (q == se)
                    break;
                const char *t = q;
                while (q < se && !VW_BLANK(*q))
                    ++q;
                if (ntok < 5) {
                    tok[ntok] = t;
                    tend[ntok] = q;
                }
                ++ntok;
            }
            /* VW: the last token is the tag when it starts with a quote
               or touches the bar (or the line's end) */
            if (ntok > 0 && ntok <= 5
                    && (*tok[ntok - 1] == '\'' || tend[ntok - 1] == se)) {
                --ntok;
                tag0 = tok[ntok] - buf + (*tok[ntok] == '\'');
                tag1 = tend[ntok] - buf;
            }
            if (ntok > 3 || (ntok == 3 && extra == NULL)) {
                code = FO_VW_E_LABEL_EXTRA;
                bad = ntok <= 5 ? tok[ntok == 3 ? 2 : 3] : p;
                goto badline;
            }
            if (ntok == 0) {
                if (!cfg->allow_unlabeled) {
                    code = FO_VW_E_NO_LABEL;
                    bad = p;
                    goto badline;
                }
            } else {
                bad = tok[0];
                if (vw_number(tok[0], tend[0], &lab) == NULL) {
                    code = FO_LIBSVM_E_LABEL;
                    goto badline;
                }
                if ((code = check_label(&lab, binary)) != 0)
                    goto badline;
                if (ntok >= 2) {
                    bad = tok[1];
                    if (vw_number(tok[1], tend[1], &wt) == NULL || !isfinite(wt)
                            || !(wt >= 0.0)) {
                        code = FO_VW_E_WEIGHT;
                        goto badline;
                    }
                }
                if (ntok == 3) {
                    bad = tok[2];
                    if (vw_number(tok[2], tend[2], &init) == NULL || !isfinite(init)) {
                        code = FO_VW_E_INITIAL;
                        goto badline;
                    }
                }
            }
            p = se;
        }

        /* the namespaces */
        while (p < le) {                   /* *p == '|' */
            ++p;
            unsigned char index = ' ';
            uint64_t nh = default_nh, anon = 0;
            double scale = 1.0;
            if (p < le && *p == ':') {
                code = FO_VW_E_NAMESPACE;
                bad = p - 1;
                goto badline;
            }
            if (p < le && !VW_END_NAME(*p)) {
                const char *n0 = p;
                while (p < le && !VW_END_NAME(*p))
                    ++p;
                index = (unsigned char)*n0;
                nh = vw_hash_cfg(n0, p - n0, cfg->hash_seed, cfg);
                if (p < le && *p == ':') {
                    const char *v0 = ++p;
                    while (p < le && !VW_END_VALUE(*p))
                        ++p;
                    if (vw_number(v0, p, &scale) == NULL || !isfinite(scale)) {
                        code = FO_VW_E_NS_VALUE;
                        bad = n0;
                        goto badline;
                    }
                }
            }
            for (;;) {
                while (p < le && VW_BLANK(*p))
                    ++p;
                if (p == le || *p == '|')
                    break;
                const char *n0 = p;
                while (p < le && !VW_END_NAME(*p))
                    ++p;
                const char *n1 = p, *s0 = NULL;
                double v = 1.0;
                if (p < le && *p == ':') {
                    const char *v0 = ++p;
                    while (p < le && !VW_END_VALUE(*p))
                        ++p;
                    if (vw_number(v0, p, &v) == NULL) {
                        if (vw_has_number_prefix(v0, p)) {   /* 1x, -1.5e */
                            code = FO_VW_E_FEATURE;
                            bad = n0;
                            goto badline;
                        }
                        s0 = v0;        /* name:string, or name: (value 1) */
                        v = 1.0;
                    }
                }
                uint64_t h;
                if (s0 != NULL && p > s0) {  /* chained: h(value, h(name, nh)) */
                    h = vw_hash_cfg(s0, p - s0, vw_hash_cfg(n0, n1 - n0, nh, cfg), cfg);
                } else if (s0 != NULL) {     /* name: -- VW: value 1, not scaled */
                    h = n1 > n0 ? vw_hash_cfg(n0, n1 - n0, nh, cfg) : nh + anon++;
                } else {
                    v *= scale;
                    if (!isfinite(v) || (val4 && !isfinite((float)v))) {
                        code = FO_VW_E_NONFINITE;
                        bad = n0;
                        goto badline;
                    }
                    h = n1 > n0 ? vw_hash_cfg(n0, n1 - n0, nh, cfg) : nh + anon++;
                }
                if (v == 0.0)                  /* VW drops zero values */
                    continue;
                VW_PUSH(h & mask, v, index);
            }
        }
        if (cfg->constant)
            VW_PUSH(FO_VW_CONSTANT & mask, 1.0, FO_VW_CONSTANT_NS);
        p = next;
        ++line;
        labels[nrows] = lab;
        weights[nrows] = wt;
        if (extra != NULL) {
            extra->initial[nrows] = init;
            extra->tag[2 * nrows] = tag0;
            extra->tag[2 * nrows + 1] = tag1;
        }
        ++nrows;
        indptr[nrows] = nnz;
        continue;

    badline:
        record_bad_line(st, cfg->skip_bad_lines, code, line, buf, ls, bad, end, max_line, 0);
        nnz = row0;
        if (!cfg->skip_bad_lines) {
            p = ls;
            status = FO_LIBSVM_BAD_LINE;
            break;
        }
        ++bad_lines;
        p = next;
        ++line;
    }
out:
    finish_block(st, buf, p, line, nrows, nnz, bad_lines);
    return status;
#undef VW_PUSH
}

int fo_vw_parse(const char *buf, int64_t len, const fo_vw_cfg *cfg,
                fo_libsvm_state *st, double *labels, double *weights,
                int64_t *indptr, int64_t row_cap, void *indices, void *values,
                unsigned char *ns, int64_t nnz_cap, fo_vw_extra *extra)
{
    if (cfg == NULL || st == NULL || len < 0 || cfg->bits < 1 || cfg->bits > 32
            || (cfg->idx_size != 4 && cfg->idx_size != 8)
            || (cfg->val_size != 4 && cfg->val_size != 8) || cfg->max_line < 0
            || (cfg->idx_size == 4 && cfg->bits > 31)
            || (cfg->label_mode != FO_LIBSVM_BINARY
                && cfg->label_mode != FO_LIBSVM_REAL)
            || st->pos < 0 || st->pos > len || st->nrows < 0 || st->nnz < 0
            || row_cap < st->nrows || nnz_cap < st->nnz || indptr == NULL
            || (len > 0 && buf == NULL)
            || (extra != NULL && (extra->initial == NULL || extra->tag == NULL)))
        return FO_BAD_ARG;
#define VW_CALL(I4, V4)                                                       \
    vw_impl(buf, len, cfg, st, labels, weights, indptr, row_cap, indices,     \
            values, ns, nnz_cap, extra, I4, V4)
    if (cfg->idx_size == 4)
        return cfg->val_size == 4 ? VW_CALL(1, 1) : VW_CALL(1, 0);
    return cfg->val_size == 4 ? VW_CALL(0, 1) : VW_CALL(0, 0);
#undef VW_CALL
}
