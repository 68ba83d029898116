/* fastopt.h -- the C kernel layer of fastopt (C99, no Python headers).
 *
 * Every update rule is one per-element function (csrc/rules_dense.inc).  A
 * "span" describes one parameter array, its gradient and its state arrays; a
 * kernel entry point takes an array of spans so that one call (one OpenMP
 * region) updates every parameter of an optimizer, however many arrays it has.
 *
 * The same source is compiled for float32 (suffix _f32) and float64 (_f64);
 * the span's pointers are untyped and the suffix says what they point to.
 * Hyperparameters arrive as a per-rule *_cfg struct of doubles; quantities
 * that depend on the step (bias corrections, decayed rates) are derived once
 * per span in double, outside the element loop.
 */
#ifndef FASTOPT_H
#define FASTOPT_H

#include <stddef.h>
#include <stdint.h>

#define FO_MAX_STATE 3

typedef enum {
    FO_OK = 0,
    FO_BAD_INDEX = 1,
    FO_NONFINITE = 2,
    FO_BAD_ARG = 3,
    FO_DIVERGED = 4,     /* a model's prediction became inf or NaN */
    FO_NOMEM = 5         /* a scratch buffer could not be allocated */
} fo_status;

/* One parameter's update.  Dense: rows == NULL, g has the param's n
 * elements.  Sparse rows: g holds nrows = n / row_len rows of row_len
 * elements; row k updates param row rows[k] (unique indices, so rows can be
 * updated in any order or in parallel).  Either way the same per-element
 * rule runs; rows not named are untouched. */
typedef struct {
    void *p;                  /* parameter, updated in place            */
    const void *g;            /* gradient, read only                    */
    void *s[FO_MAX_STATE];    /* state arrays; NULL where unused        */
    int64_t n;                /* number of gradient elements            */
    int64_t step;             /* 1-based number of this update          */
    double aux;               /* per-parameter scalar (NAdam mu_product) */
    const int64_t *rows;      /* NULL (dense) or the param rows g names  */
    int64_t row_len;          /* elements per row (sparse only)          */
} fo_span;

/* Sparse gradients: check that all k indices (int32 if idx_size is 4, else
 * int64) lie in [0, nrows), then sum the value rows (k rows of d elements)
 * of equal indices, in order of appearance, so the result does not depend
 * on anything but the input.  Writes the unique indices, increasing, to
 * out_rows and sets *n_unique.  When the indices are already strictly
 * increasing nothing is summed: *as_given = 1 and the values serve as they
 * are; otherwise *as_given = 0 and the summed rows are in out_vals (k * d).
 * On a bad index returns FO_BAD_INDEX with its position in *bad_pos, having
 * written nothing but out_rows. */
int fo_coalesce_f32(const void *idx, int idx_size, int64_t k, const float *values,
                    int64_t d, int64_t nrows, int64_t *out_rows, float *out_vals,
                    int64_t *n_unique, int *as_given, int64_t *bad_pos);
int fo_coalesce_f64(const void *idx, int idx_size, int64_t k, const double *values,
                    int64_t d, int64_t nrows, int64_t *out_rows, double *out_vals,
                    int64_t *n_unique, int *as_given, int64_t *bad_pos);

/* Compressed sparse structures (CSR rows or CSC columns), checked before any
 * kernel reads one: scipy's constructors do not check them, and attributes can
 * be reassigned after construction.  indptr has n_major + 1 entries and
 * indices nnz_avail (each int32 if its *_size is 4, else int64); they are
 * valid when indptr[0] == 0, indptr never decreases, indptr[n_major] <=
 * nnz_avail and every index lies in [0, n_minor).  Returns FO_OK; FO_BAD_ARG
 * with *bad_pos = the first indptr entry that breaks the rule; or
 * FO_BAD_INDEX with *bad_pos = the position of the first index out of range.
 * One O(n_major + nnz) pass; reads nothing outside the arrays. */
int fo_check_compressed(const void *indptr, int indptr_size, int64_t n_major,
                        const void *indices, int idx_size, int64_t nnz_avail,
                        int64_t n_minor, int64_t *bad_pos);

/* SGD, torch.optim.SGD semantics.  State: s0 momentum_buffer. */
typedef struct {
    double lr, momentum, dampening, weight_decay;
    int nesterov, maximize;
} fo_sgd_cfg;

/* Adagrad, torch.optim.Adagrad.  State: s0 sum. */
typedef struct {
    double lr, lr_decay, weight_decay, eps;
    int maximize;
} fo_adagrad_cfg;

/* Adadelta, torch.optim.Adadelta.  State: s0 square_avg, s1 acc_delta. */
typedef struct {
    double lr, rho, eps, weight_decay;
    int maximize;
} fo_adadelta_cfg;

/* RMSProp: torch.optim.RMSprop, or with eps_in_sqrt TF's ApplyRMSProp /
 * ApplyCenteredRMSProp.  State: s0 square_avg, s1 grad_avg (centered),
 * s2 momentum_buffer (momentum > 0). */
typedef struct {
    double lr, alpha, eps, weight_decay, momentum;
    int centered, eps_in_sqrt, maximize;
} fo_rmsprop_cfg;

/* Weight decay modes shared by the Adam family. */
enum { FO_WD_NONE = 0, FO_WD_L2 = 1, FO_WD_DECOUPLED = 2 };

/* Adam / AdamW, torch.optim.Adam / AdamW.  State: s0 exp_avg, s1 exp_avg_sq,
 * s2 max_exp_avg_sq (amsgrad). */
typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
    int wd_mode, amsgrad, maximize;
} fo_adam_cfg;

/* Adamax, torch.optim.Adamax.  State: s0 exp_avg, s1 exp_inf. */
typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
    int maximize;
} fo_adamax_cfg;

/* NAdam, torch.optim.NAdam.  State: s0 exp_avg, s1 exp_avg_sq; the span's aux
 * holds mu_product including this step's mu (see fo_nadam_mu). */
typedef struct {
    double lr, beta1, beta2, eps, weight_decay, momentum_decay;
    int wd_mode, maximize;
} fo_nadam_cfg;

/* Delta-bar-delta, Jacobs 1988.  State: s0 rate (per-parameter learning
 * rate), s1 trace (exponential average of past gradients). */
typedef struct {
    double kappa, phi, theta;
} fo_dbd_cfg;

/* The streaming limit that bench/ compares every rule with: p += g and
 * s_k += g for the first `nstate` state arrays -- the bytes of a rule with
 * that much state (12, 20, 28 B per float32 element for 0, 1, 2) and no
 * arithmetic to speak of, run by the same driver as the rules. */
typedef struct {
    int nstate;
} fo_stream_cfg;

/* The proximal and dual-averaging rules (csrc/rules_proximal.inc).
 * ProximalSGD, TF ApplyProximalGradientDescent.  No state. */
typedef struct {
    double lr, l1, l2;
} fo_proxsgd_cfg;

/* ProximalAdagrad, TF ApplyProximalAdagrad.  State: s0 accumulator. */
typedef struct {
    double lr, l1, l2;
} fo_proxadagrad_cfg;

/* AdagradDA, TF ApplyAdagradDA with global_step = the span's step.
 * State: s0 gradient_accumulator, s1 gradient_squared_accumulator. */
typedef struct {
    double lr, l1, l2;
} fo_adagrad_da_cfg;

/* FTRL, TF ApplyFtrlV2 (the kernel's arithmetic); beta as Keras's Ftrl: the
 * kernel uses l2 + beta / (2 lr), formed in T.  lr > 0, lr_power <= 0.
 * State: s0 accumulator, s1 linear. */
typedef struct {
    double lr, lr_power, l1, l2, l2_shrinkage, beta;
} fo_ftrl_cfg;

/* l1-RDA (Xiao 2010), beta_t = gamma sqrt(t); rho > 0: enhanced l1-RDA.
 * gamma > 0.  State: s0 grad_sum. */
typedef struct {
    double l1, gamma, rho;
} fo_rda_cfg;

#define FO_DECLARE_RULE(rule)                                                  \
    int fo_##rule##_f32(const fo_span *spans, int64_t nspans,                  \
                        const fo_##rule##_cfg *cfg, int n_threads);            \
    int fo_##rule##_f64(const fo_span *spans, int64_t nspans,                  \
                        const fo_##rule##_cfg *cfg, int n_threads);

FO_DECLARE_RULE(sgd)
FO_DECLARE_RULE(adagrad)
FO_DECLARE_RULE(adadelta)
FO_DECLARE_RULE(rmsprop)
FO_DECLARE_RULE(adam)
FO_DECLARE_RULE(adamax)
FO_DECLARE_RULE(nadam)
FO_DECLARE_RULE(dbd)
FO_DECLARE_RULE(stream)
FO_DECLARE_RULE(proxsgd)
FO_DECLARE_RULE(proxadagrad)
FO_DECLARE_RULE(adagrad_da)
FO_DECLARE_RULE(ftrl)
FO_DECLARE_RULE(rda)

/* ------------------------------------------------------------------------
 * Online learners (fastopt.online): one pass of FTRL-Proximal (McMahan et
 * al. 2013) or l1-RDA (Xiao 2010) over CSR rows, predict - gradient - update
 * per example, with the optimizers' own per-coordinate rules (the FTRL and
 * RDA element functions of rules_proximal.inc). */
enum { FO_ONLINE_FTRL = 0, FO_ONLINE_RDA = 1 };
/* Losses of the margin m = w . x + b against the label y (0/1 for the
 * logistic and hinge losses), and the derivative d/dm the update uses:
 *   logistic  log(1 + e^m) - y m            sigmoid(m) - y
 *   squared   (m - y)^2                     m - y   (of (m - y)^2 / 2)
 *   hinge     max(0, 1 - s m), s = 2y - 1   -s if s m < 1 else 0
 *   quantile  tau r if r >= 0 else (tau - 1) r, r = y - m
 *                                           -tau if r > 0, 1 - tau if r < 0, 0
 *   poisson   e^m - y m + lgamma(y + 1)     e^m - y */
enum { FO_LOSS_LOGISTIC = 0, FO_LOSS_SQUARED = 1, FO_LOSS_HINGE = 2,
       FO_LOSS_QUANTILE = 3, FO_LOSS_POISSON = 4 };
/* Interactions (VW's -q / --interactions): up to FO_ONLINE_MAX_INTER terms
 * of 2 or 3 namespace indices each, or all pairs (VW's -q ::). */
#define FO_ONLINE_MAX_INTER 64

typedef struct {
    int model, loss, fit_intercept;
    double alpha, beta, l1, l2;   /* FTRL; l2 is the paper's lambda2      */
    double gamma, rho;            /* RDA; l1 is shared                    */
    double tau;                   /* the quantile loss's quantile         */
    int n_inter;                  /* interaction terms in inter[]         */
    int all_pairs;                /* every pair of namespaces (-q ::)     */
    unsigned char inter[FO_ONLINE_MAX_INTER * 3];  /* term k: 3k .. 3k+2  */
    int inter_len[FO_ONLINE_MAX_INTER];            /* 2 or 3              */
} fo_online_cfg;

/* The model's state, one record per coordinate (d features, then the
 * intercept), so that an example costs one cache line per feature, not one
 * per state array: FTRL keeps (w, n, z) -- weight, squared-gradient sum, z
 * -- in 3 doubles a coordinate; RDA keeps G, the gradient sum, in 1. */
#define FO_ONLINE_STRIDE(model) ((model) == FO_ONLINE_FTRL ? 3 : 1)

typedef struct {
    double *state;  /* coordinate j's record at state + pitch * j          */
    int64_t d;      /* number of features                                 */
    int64_t t;      /* examples seen                                      */
    int64_t pitch;  /* doubles from one record to the next: the stride, or */
                    /* K strides when K one-vs-rest models interleave      */
                    /* their records, (d + 1) x K x stride, so that a      */
                    /* row's K updates of a feature share cache lines      */
} fo_online_model;

/* Train on rows order[0..m) of a CSR matrix (rows 0..m when order is NULL)
 * with labels y (0/1 for the logistic and hinge losses) and importance
 * weights sw (NULL: all 1), each row's gradient multiplied by its weight.
 * Adds the weighted loss of each prediction, made before its update, to the
 * running sum *loss_sum, one example at a time (so training in chunks sums
 * exactly as in one go).  First checks every feature index (< d) and value
 * (finite) of those rows: FO_BAD_INDEX or FO_NONFINITE with *bad_row set,
 * nothing trained.  A non-finite margin while training stops with
 * FO_DIVERGED at that row.
 * ns: each entry's namespace index (aligned with data), which the
 * interactions of cfg read; NULL when there are none.  The crossed features
 * are generated per example (VW's hashing: (FNV * i1) ^ i2, (FNV * ((FNV *
 * i1) ^ i2)) ^ i3, folded into [0, d)), never stored.
 * n_threads > 1 trains lock-free (Hogwild): fast, not reproducible.
 * m: n_models models of the same d and t, trained on each row in turn (the
 * row read, and crossed, once; m[k].state = base + k stride, pitch K stride): with one model y is its target; with more
 * (one-vs-rest) y[r] is row r's class k in [0, n_models), model k's target
 * is 1 for it and 0 for the others, and *loss_sum adds every model's loss.
 * pos_w (NULL: all 1; one-vs-rest only): model k multiplies the weight of
 * its positive rows (y[r] == k) by pos_w[k] and keeps the others' --
 * scikit-learn's SGDClassifier's class_weight (pos_weight cw[k], neg_weight
 * 1); one model's class weights come folded into sw.
 * order (NULL: every row in turn): the rows, in the order trained; an
 * entry ~r (= -1 - r, negative) predicts row r where it stands and learns
 * nothing from it (a held-out row: its margins to pred, t unchanged).
 * pred (NULL: not kept): nrows x n_models, row r's margins before its
 * update (the progressive predictions).  base (NULL: none): nrows x
 * n_models offsets added to the margins (VW's initial prediction, XGBoost's
 * base_margin) -- in the prediction, so in the gradient and the loss. */
#define FO_DECLARE_ONLINE(XT, IT, SFX)                                        \
    int fo_online_fit_##SFX(const fo_online_cfg *cfg, fo_online_model *m,     \
                            int64_t n_models,                                 \
                            int64_t nrows, const IT *indptr, const IT *indices, \
                            const XT *data, const unsigned char *ns,          \
                            const double *y, const double *sw,                \
                            const double *pos_w, const double *base,          \
                            const int64_t *order, int64_t norder,             \
                            int n_threads, double *loss_sum, double *pred,    \
                            int64_t *bad_row);                                \
    int fo_online_margin_##SFX(const fo_online_cfg *cfg,                      \
                               const fo_online_model *m, int64_t nrows,       \
                               const IT *indptr, const IT *indices,           \
                               const XT *data, const unsigned char *ns,       \
                               double *out, int n_threads, int64_t *bad_row);
FO_DECLARE_ONLINE(float, int32_t, f32_i32)
FO_DECLARE_ONLINE(float, int64_t, f32_i64)
FO_DECLARE_ONLINE(double, int32_t, f64_i32)
FO_DECLARE_ONLINE(double, int64_t, f64_i64)

/* The model's d + 1 weights now (RDA's follow from G and t). */
void fo_online_weights(const fo_online_cfg *cfg, const fo_online_model *m,
                       double *out);

/* NAdam's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)). */
double fo_nadam_mu(double beta1, double momentum_decay, int64_t step);

/* 1 when the library was built with OpenMP. */
int fo_openmp_enabled(void);

/* Which instruction set the kernels dispatch to on this CPU: 512 (AVX-512),
 * 256 (AVX2) or 128 (baseline SSE2 / non-x86). */
int fo_simd_width(void);


#endif
