# Included at the end of _kernels.pyx: the quasi-Newton linear algebra of
# csrc/quasi_newton.c (BFGS's O(n^2) update, L-BFGS's two-loop recursion).
#
# fastopt/minimize/bfgs.py and lbfgs.py own the arrays (float64, contiguous,
# shapes checked once when the method starts); these wrappers check that the
# shapes agree (O(1): C indexes every array by n and mem), take pointers,
# release the GIL around the C call and turn a status into an exception.


cdef extern from "quasi_newton.h" nogil:
    int fo_bfgs_direction(double *, const double *, const double *, int64_t, int)
    int fo_bfgs_update(double *, const double *, const double *, double, double *,
                       int64_t, int)
    int fo_lbfgs_direction(double *, const double *, const double *, const double *,
                           const double *, double *, int64_t, int64_t, int64_t,
                           int64_t, double)


cdef int _qn_check(int rc, str name) except -1:
    if rc == FO_OK:
        return 0
    raise ValueError(f"{name}: kernel rejected its arguments (status {rc})")


def bfgs_direction(double[::1] d, const double[:, ::1] H, const double[::1] g,
                   int n_threads):
    """d = -H g."""
    cdef int64_t n = d.shape[0]
    cdef int rc
    if H.shape[0] != n or H.shape[1] != n or g.shape[0] != n:
        raise ValueError("bfgs_direction: H must be n x n and g of length n")
    if n == 0:
        return
    with nogil:
        rc = fo_bfgs_direction(&d[0], &H[0, 0], &g[0], n, n_threads)
    _qn_check(rc, "bfgs_direction")


def bfgs_update(double[:, ::1] H, const double[::1] s, const double[::1] y,
                double rho, double[::1] work, int n_threads):
    """H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, in O(n^2)."""
    cdef int64_t n = s.shape[0]
    cdef int rc
    if H.shape[0] != n or H.shape[1] != n or y.shape[0] != n or work.shape[0] < 2 * n:
        raise ValueError("bfgs_update: H must be n x n, y of length n, work of 2 n")
    if n == 0:
        return
    with nogil:
        rc = fo_bfgs_update(&H[0, 0], &s[0], &y[0], rho, &work[0], n, n_threads)
    _qn_check(rc, "bfgs_update")


def lbfgs_direction(double[::1] d, const double[::1] g, const double[:, ::1] S,
                    const double[:, ::1] Y, const double[::1] rho, double[::1] alpha,
                    int64_t m_used, int64_t newest, double gamma):
    """d = -H g by the two-loop recursion over the m_used newest pairs."""
    cdef int64_t n = d.shape[0]
    cdef int64_t mem = S.shape[0]
    cdef int rc
    if (g.shape[0] != n or S.shape[1] != n or Y.shape[0] != mem or Y.shape[1] != n
            or rho.shape[0] != mem or alpha.shape[0] != mem):
        raise ValueError("lbfgs_direction: S and Y must be mem x n, g of length n, "
                         "rho and alpha of length mem")
    if n == 0:
        return
    with nogil:
        rc = fo_lbfgs_direction(&d[0], &g[0], &S[0, 0], &Y[0, 0], &rho[0], &alpha[0],
                                mem, m_used, newest, n, gamma)
    _qn_check(rc, "lbfgs_direction")
