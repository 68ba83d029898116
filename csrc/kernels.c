/* kernels.c -- instantiates every rule (rules_all.inc) for float32 and
 * float64, and the online learners (online.inc) once, in double. */
#include <math.h>
#include <stdlib.h>

#include "runtime.h"

double fo_nadam_mu(double beta1, double momentum_decay, int64_t step)
{
    return beta1 * (1.0 - 0.5 * pow(0.96, (double)step * momentum_decay));
}

#define T float
#define SFX f32
#define SQRT sqrtf
#define FABS fabsf
#define COPYSIGN copysignf
#include "rules_all.inc"

#define T double
#define SFX f64
#define SQRT sqrt
#define FABS fabs
#define COPYSIGN copysign
#define FO_WITH_ONLINE  /* the online learners keep their model in double */
#include "rules_all.inc"
#undef FO_WITH_ONLINE
