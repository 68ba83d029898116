/* loss.h -- the per-example losses of a margin m = w . x + b against a
 * label y, in one place: the online learners (online.inc) and the
 * full-batch GLM kernels (glm.c) both call these.
 *
 *   loss      value l(m; y)                       l'(m)               l''(m)
 *   logistic  log(1 + e^m) - y m   (y in {0, 1})  sigmoid(m) - y      p (1 - p)
 *   squared   (m - y)^2 / 2                       m - y               1
 *   hinge     max(0, 1 - s m), s = 2y - 1         -s if s m < 1, 0    0
 *   quantile  tau r if r >= 0 else (tau - 1) r,   -tau if r > 0,      0
 *             r = y - m                           1 - tau if r < 0, 0
 *   poisson   e^m - y m                           e^m - y             e^m
 *
 * The Poisson value leaves out the constant lgamma(y + 1) of the negative
 * log-likelihood (a GLM objective does not need it; the online learners'
 * progressive loss adds it, and reports the squared loss as (m - y)^2, VW's
 * convention: see fo_online_loss).  Called with a constant `loss`, the
 * switch folds away. */
#ifndef FASTOPT_LOSS_H
#define FASTOPT_LOSS_H

#include <math.h>

#include "fastopt.h"
#include "runtime.h"

FO_INLINE double fo_loss_value(int loss, double tau, double m, double y)
{
    switch (loss) {
    case FO_LOSS_SQUARED:
        return 0.5 * (m - y) * (m - y);
    case FO_LOSS_HINGE: {
        double s = 2.0 * y - 1.0;
        return s * m < 1.0 ? 1.0 - s * m : 0.0;
    }
    case FO_LOSS_QUANTILE: {
        double r = y - m;
        return r >= 0.0 ? tau * r : (tau - 1.0) * r;
    }
    case FO_LOSS_POISSON:
        return exp(m) - y * m;
    default: {
        /* log(1 + e^m) - y m, computed without overflow */
        double a = m > 0 ? m : 0;
        return a + log1p(exp(-fabs(m))) - y * m;
    }
    }
}

FO_INLINE double fo_loss_deriv(int loss, double tau, double m, double y)
{
    switch (loss) {
    case FO_LOSS_SQUARED:
        return m - y;
    case FO_LOSS_HINGE: {
        double s = 2.0 * y - 1.0;
        return s * m < 1.0 ? -s : 0.0;
    }
    case FO_LOSS_QUANTILE: {
        double r = y - m;
        return r > 0.0 ? -tau : r < 0.0 ? 1.0 - tau : 0.0;
    }
    case FO_LOSS_POISSON:
        return exp(m) - y;
    default:
        return 1.0 / (1.0 + exp(-m)) - y;
    }
}

/* l''(m): the weight of x x^T in the Hessian (0 where l is piecewise linear). */
FO_INLINE double fo_loss_curvature(int loss, double m)
{
    switch (loss) {
    case FO_LOSS_SQUARED:
        return 1.0;
    case FO_LOSS_POISSON:
        return exp(m);
    case FO_LOSS_LOGISTIC: {
        double p = 1.0 / (1.0 + exp(-m));
        return p * (1.0 - p);
    }
    default:
        return 0.0;
    }
}

#endif
