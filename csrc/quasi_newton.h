/* quasi_newton.h -- the per-iteration linear algebra of BFGS and L-BFGS
 * (C99, no Python headers, float64 only: these methods work in double).
 *
 * BFGS keeps a dense symmetric n x n inverse-Hessian approximation H
 * (row-major, both triangles stored).  Its update
 *     H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T,   rho = 1 / y^T s
 * is computed, with h = H y and t = h - rho (y^T h) s, as
 *     H+ = ((H - rho h s^T) - rho s t^T) + rho s s^T,
 * one matrix-vector product and one pass over H: O(n^2), where forming
 * the two products as written costs O(n^3).  The corrections are applied
 * in the order of scipy's dense products (A1 (H A2) + rho s s^T), not as
 * the expanded H - rho (s h^T + h s^T) + (rho^2 y^T h + rho) s s^T: that
 * form adds the small rho s s^T to an O(1) term before the large terms
 * cancel and loses it when rho s y^T ~ I (stiff directions).
 *
 * L-BFGS keeps the last m pairs (s_k, y_k) in ring buffers S, Y of shape
 * (mem, n) and applies the implicit inverse Hessian by the two-loop
 * recursion, O(m n), with H0 = gamma I.
 *
 * Rows are split across threads; every dot product runs in one thread in
 * index order, so results are bitwise identical for every n_threads.
 */
#ifndef FASTOPT_QUASI_NEWTON_H
#define FASTOPT_QUASI_NEWTON_H

#include "fastopt.h"

/* d = -H g for symmetric H (n x n). */
int fo_bfgs_direction(double *d, const double *H, const double *g, int64_t n,
                      int n_threads);

/* H <- the BFGS update of H with the step s and gradient change y;
 * work holds 2 n doubles (H y and t). */
int fo_bfgs_update(double *H, const double *s, const double *y, double rho,
                   double *work, int64_t n, int n_threads);

/* d = -H_k g by the two-loop recursion over the m_used newest pairs of the
 * ring buffers S, Y (mem rows of n), the newest at row `newest`;
 * rho[k] = 1 / (y_k^T s_k); alpha holds mem doubles of scratch. */
int fo_lbfgs_direction(double *d, const double *g, const double *S,
                       const double *Y, const double *rho, double *alpha,
                       int64_t mem, int64_t m_used, int64_t newest, int64_t n,
                       double gamma);

#endif
