/* vw.h -- a streaming parser of Vowpal Wabbit's text format (C99, no Python
 * headers), beside libsvm.h and resumable the same way.
 *
 * A line is one example:
 *
 *     [label [importance] ['tag]] |ns[:scale] name[:value] ... |ns ...
 *
 * The label section (before the first '|') holds the label, an optional
 * importance weight (a finite number >= 0, default 1), an optional initial
 * prediction (VW's simple label: label [importance [initial]]; accepted
 * only where the caller takes it, through `extra`) and an optional tag
 * (the last token when it starts with ' or touches the '|'; reported
 * through `extra`).
 * A line without a label is unlabeled: an error, or with allow_unlabeled a
 * row whose label is NaN.  Binary labels are 0/1 or -1/+1 (written 0 or 1),
 * real ones any finite number.
 *
 * Each '|' opens a namespace: `|a ...` names it "a", `|a:2.0 ...` also
 * scales every value in it by 2, `| ...` (a blank after the bar) is VW's
 * default namespace " ".  The namespace's index is its name's first byte
 * (VW's namespace index), written per feature into `ns`.  Features are
 * `name` (value 1) or `name:value` (value * scale); value 0 drops the
 * feature, as VW does.  Hashing is VW's (hash.h, parse_example.cc):
 *
 *   h(s, seed) = s all digits ? (uint64) decimal(s) + seed   (mod 2^64)
 *              : MurmurHash3_x86_32(s, seed)
 *   (s without leading / trailing bytes <= 0x20) -- --hash strings, the
 *   default; with hash_all (--hash all) MurmurHash3_x86_32(s, seed) for
 *   every s -- and, for VW's --hash_seed S (0 by default),
 *   namespace hash  nh = h(namespace name, S); MurmurHash3("", S) for the
 *   default namespace (0 when S = 0);
 *   feature index   h(name, nh) & (2^bits - 1);
 *   `:value` with an empty name: nh + k for the k-th such feature of the
 *   namespace, masked;
 *   `name:string` (a value that does not begin as a number): value 1 (not
 *   scaled), index h(string, h(name, nh)) & mask -- VW's chained hash;
 *   `name:` is `name` (value 1, not scaled).
 * With `constant`, every row ends with VW's constant feature: index
 * FO_VW_CONSTANT & (2^bits - 1), value 1, namespace FO_VW_CONSTANT_NS (VW's
 * constant_namespace, which -q :: leaves out), so that a learner without an
 * intercept of its own has VW's bias weight, regularised and hashed as
 * VW's.  Blank lines are skipped.  Errors are reported as libsvm.h's, with
 * the extra reason codes below.
 */
#ifndef FASTOPT_VW_H
#define FASTOPT_VW_H

#include "libsvm.h"

enum {
    FO_VW_E_NAMESPACE = 20,    /* '|' followed by ':' (no name)          */
    FO_VW_E_NS_VALUE = 21,     /* namespace scale is not a finite number  */
    FO_VW_E_WEIGHT = 22,       /* importance weight not a number >= 0     */
    FO_VW_E_NO_LABEL = 23,     /* unlabeled line where labels are needed  */
    FO_VW_E_LABEL_EXTRA = 24,  /* more than label, weight and tag         */
    FO_VW_E_FEATURE = 25,      /* value begins as a number, is not one    */
    FO_VW_E_NONFINITE = 26,    /* feature value is inf or nan             */
    FO_VW_E_INITIAL = 27       /* initial prediction not a finite number  */
};

#define FO_VW_CONSTANT 11650396u   /* VW's constant feature hash          */
#define FO_VW_CONSTANT_NS 128      /* VW's constant_namespace             */

typedef struct {
    int bits;             /* 1..32: indices are hashes & (2^bits - 1)    */
    int constant;         /* append VW's constant feature to every row    */
    int skip_bad_lines;
    int label_mode;       /* FO_LIBSVM_BINARY or FO_LIBSVM_REAL           */
    int allow_unlabeled;  /* a line without a label: NaN, not an error    */
    int idx_size;         /* 4 (int32 indices, bits <= 31) or 8           */
    int val_size;         /* 4 or 8                                       */
    int64_t max_line;     /* as fo_libsvm_cfg                             */
    int hash_all;         /* VW's --hash all: MurmurHash3 for every name  */
    uint32_t hash_seed;   /* VW's --hash_seed (0: VW's default)           */
} fo_vw_cfg;

/* Per row, where wanted (fo_vw_parse's `extra`; row_cap entries each):
 * the initial prediction (label importance initial; 0 when not given) and
 * the tag, as byte offsets [tag[2r], tag[2r + 1]) into buf without the
 * leading quote (-1, -1 when the row has none). */
typedef struct {
    double *initial;
    int64_t *tag;
} fo_vw_extra;

/* As fo_libsvm_parse, plus weights (row_cap doubles: the importance
 * weights), ns (nnz_cap bytes: each feature's namespace index) and extra
 * (NULL: initial predictions are an error and tags are not reported). */
int fo_vw_parse(const char *buf, int64_t len, const fo_vw_cfg *cfg,
                fo_libsvm_state *st, double *labels, double *weights,
                int64_t *indptr, int64_t row_cap, void *indices, void *values,
                unsigned char *ns, int64_t nnz_cap, fo_vw_extra *extra);

/* VW's hash of a name (h above), and MurmurHash3_x86_32. */
uint64_t fo_vw_hash(const char *s, int64_t len, uint64_t seed);
uint32_t fo_murmur3_32(const void *key, int64_t len, uint32_t seed);

#endif
