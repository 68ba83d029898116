# Included at the end of _kernels.pyx: coordinate descent (csrc/coordinate_descent.c).
#
# fastopt/minimize/coordinate_descent.py validates and prepares everything
# (float64, contiguous, int64 CSC indices checked by check_compressed,
# penalties scaled to the C problem); this wrapper checks that the sizes
# agree (O(1): C indexes X, indptr and mu by n and p), fills the problem
# struct, runs the whole descent with the GIL released and returns
# (n_iter, gap, converged, rng_state).
from libc.math cimport NAN
from libc.stdint cimport uint64_t


cdef extern from "coordinate_descent.h" nogil:
    int FO_CD_DENSE, FO_CD_CSC, FO_CD_GRAM

    ctypedef struct fo_cd_problem:
        int kind
        int64_t n, p
        const double *X
        const int64_t *indptr
        const int64_t *indices
        const double *data
        const double *mu
        const double *y
        double y_norm2

    ctypedef struct fo_cd_cfg:
        double alpha, beta, tol, gap_tol
        int64_t max_iter
        int random, screening, n_threads

    ctypedef struct fo_cd_info:
        int64_t n_iter
        double gap
        int converged
        uint64_t rng

    int fo_cd_enet(const fo_cd_problem *pb, const fo_cd_cfg *cfg, double *w,
                   fo_cd_info *info)


def cd_enet(str kind, double[::1] w, const double[::1] y, *,
            const double[::1] X=None, const int64_t[::1] indptr=None,
            const int64_t[::1] indices=None, const double[::1] data=None,
            const double[::1] mu=None, y_norm2=None,
            double alpha, double beta, double tol, double gap_tol,
            int64_t max_iter, bint random, bint screening, uint64_t rng,
            int n_threads):
    """Coordinate descent on 1/2||y - Xw||^2 + alpha|w|_1 + beta/2 ||w||^2.

    kind "dense": X is the flat column-major n x p matrix; "csc": indptr,
    indices, data (and mu to centre by, or None); "gram": X is the flat
    row-major p x p Q, y is q, y_norm2 ||y||^2 or None (a plain quadratic)."""
    cdef fo_cd_problem pb
    cdef fo_cd_cfg cfg
    cdef fo_cd_info info
    cdef int rc
    cdef int64_t p = w.shape[0], n = y.shape[0]
    if p == 0:
        raise ValueError("cd_enet: w is empty")
    if kind == "dense" and (X is None or X.shape[0] != n * p):
        raise ValueError("cd_enet: X must hold n * p values")
    if kind == "gram" and (X is None or X.shape[0] != p * p or n != p):
        raise ValueError("cd_enet: Q must hold p * p values and q p")
    if kind == "csc":
        if indptr is None or indices is None or data is None or indptr.shape[0] != p + 1:
            raise ValueError("cd_enet: indptr must hold p + 1 values")
        if (indptr[0] != 0 or indptr[p] > indices.shape[0]
                or indptr[p] > data.shape[0]):
            raise ValueError("cd_enet: indptr does not fit indices and data")
        if mu is not None and mu.shape[0] != p:
            raise ValueError("cd_enet: mu must hold p values")
    pb.p = p
    pb.X = NULL
    pb.indptr = NULL
    pb.indices = NULL
    pb.data = NULL
    pb.mu = NULL
    pb.y = &y[0] if y.shape[0] else NULL
    pb.y_norm2 = NAN
    if kind == "dense":
        pb.kind = FO_CD_DENSE
        pb.n = y.shape[0]
        pb.X = &X[0] if X.shape[0] else NULL
    elif kind == "csc":
        pb.kind = FO_CD_CSC
        pb.n = y.shape[0]
        pb.indptr = &indptr[0]
        pb.indices = &indices[0] if indices.shape[0] else NULL
        pb.data = &data[0] if data.shape[0] else NULL
        if mu is not None:
            pb.mu = &mu[0]
    elif kind == "gram":
        pb.kind = FO_CD_GRAM
        pb.n = 0
        pb.X = &X[0]
        if y_norm2 is not None:
            pb.y_norm2 = y_norm2
    else:
        raise ValueError(f"cd_enet: unknown kind {kind!r}")
    cfg.alpha, cfg.beta, cfg.tol, cfg.gap_tol = alpha, beta, tol, gap_tol
    cfg.max_iter = max_iter
    cfg.random, cfg.screening, cfg.n_threads = random, screening, n_threads
    info.rng = rng
    with nogil:
        rc = fo_cd_enet(&pb, &cfg, &w[0], &info)
    if rc != FO_OK:
        raise MemoryError("coordinate descent: could not allocate its scratch arrays")
    return info.n_iter, info.gap, bool(info.converged), info.rng
