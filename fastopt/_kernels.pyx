# cython: language_level=3
"""Cython bridge between fastopt's Python API and the C kernels in csrc/.

Design note.  A ParamTable binds an optimizer's parameters and state arrays
once: it keeps references to them and a C array of fo_span records (pointers,
sizes) per floating type.  A step then only has to look at the gradients: each
is checked through the buffer protocol (contiguity, dtype, shape, aliasing --
no copy, read-only buffers accepted), its pointer is written into the span,
and one C call per dtype -- one OpenMP region for all parameters, with the
GIL released -- does the update.  Nothing is written before every gradient
has passed its checks, so a bad step leaves parameters and state untouched.

The functional kernels (fastopt.kernels) use the same path with a table of
one parameter.  Error messages are composed in fastopt/_validation.py; this
module only detects that something is wrong and asks it to explain.
"""
from cpython.buffer cimport (PyBUF_C_CONTIGUOUS,
                             PyBUF_FORMAT, PyBUF_WRITABLE, PyBuffer_Release,
                             PyObject_GetBuffer)
from libc.stdint cimport INT64_MAX, int64_t, uint32_t, uintptr_t
from libc.stdlib cimport calloc, free, malloc

import numpy as np

from fastopt import _validation
from fastopt.sparse import SparseGrad


cdef extern from "fastopt.h" nogil:
    int FO_MAX_STATE
    int FO_OK, FO_BAD_INDEX, FO_NONFINITE, FO_BAD_ARG, FO_DIVERGED

    ctypedef struct fo_span:
        void *p
        const void *g
        void *s[3]
        int64_t n
        int64_t step
        double aux
        const int64_t *rows
        int64_t row_len

    ctypedef struct fo_sgd_cfg:
        double lr, momentum, dampening, weight_decay
        int nesterov, maximize
    ctypedef struct fo_adagrad_cfg:
        double lr, lr_decay, weight_decay, eps
        int maximize
    ctypedef struct fo_adadelta_cfg:
        double lr, rho, eps, weight_decay
        int maximize
    ctypedef struct fo_rmsprop_cfg:
        double lr, alpha, eps, weight_decay, momentum
        int centered, eps_in_sqrt, maximize
    ctypedef struct fo_adam_cfg:
        double lr, beta1, beta2, eps, weight_decay
        int wd_mode, amsgrad, maximize
    ctypedef struct fo_adamax_cfg:
        double lr, beta1, beta2, eps, weight_decay
        int maximize
    ctypedef struct fo_nadam_cfg:
        double lr, beta1, beta2, eps, weight_decay, momentum_decay
        int wd_mode, maximize
    ctypedef struct fo_dbd_cfg:
        double kappa, phi, theta
    ctypedef struct fo_stream_cfg:
        int nstate
    ctypedef struct fo_proxsgd_cfg:
        double lr, l1, l2
    ctypedef struct fo_proxadagrad_cfg:
        double lr, l1, l2
    ctypedef struct fo_adagrad_da_cfg:
        double lr, l1, l2
    ctypedef struct fo_ftrl_cfg:
        double lr, lr_power, l1, l2, l2_shrinkage, beta
    ctypedef struct fo_rda_cfg:
        double l1, gamma, rho

    int fo_sgd_f32(const fo_span *, int64_t, const fo_sgd_cfg *, int)
    int fo_sgd_f64(const fo_span *, int64_t, const fo_sgd_cfg *, int)
    int fo_adagrad_f32(const fo_span *, int64_t, const fo_adagrad_cfg *, int)
    int fo_adagrad_f64(const fo_span *, int64_t, const fo_adagrad_cfg *, int)
    int fo_adadelta_f32(const fo_span *, int64_t, const fo_adadelta_cfg *, int)
    int fo_adadelta_f64(const fo_span *, int64_t, const fo_adadelta_cfg *, int)
    int fo_rmsprop_f32(const fo_span *, int64_t, const fo_rmsprop_cfg *, int)
    int fo_rmsprop_f64(const fo_span *, int64_t, const fo_rmsprop_cfg *, int)
    int fo_adam_f32(const fo_span *, int64_t, const fo_adam_cfg *, int)
    int fo_adam_f64(const fo_span *, int64_t, const fo_adam_cfg *, int)
    int fo_adamax_f32(const fo_span *, int64_t, const fo_adamax_cfg *, int)
    int fo_adamax_f64(const fo_span *, int64_t, const fo_adamax_cfg *, int)
    int fo_nadam_f32(const fo_span *, int64_t, const fo_nadam_cfg *, int)
    int fo_nadam_f64(const fo_span *, int64_t, const fo_nadam_cfg *, int)
    int fo_dbd_f32(const fo_span *, int64_t, const fo_dbd_cfg *, int)
    int fo_dbd_f64(const fo_span *, int64_t, const fo_dbd_cfg *, int)
    int fo_stream_f32(const fo_span *, int64_t, const fo_stream_cfg *, int)
    int fo_stream_f64(const fo_span *, int64_t, const fo_stream_cfg *, int)
    int fo_proxsgd_f32(const fo_span *, int64_t, const fo_proxsgd_cfg *, int)
    int fo_proxsgd_f64(const fo_span *, int64_t, const fo_proxsgd_cfg *, int)
    int fo_proxadagrad_f32(const fo_span *, int64_t, const fo_proxadagrad_cfg *, int)
    int fo_proxadagrad_f64(const fo_span *, int64_t, const fo_proxadagrad_cfg *, int)
    int fo_adagrad_da_f32(const fo_span *, int64_t, const fo_adagrad_da_cfg *, int)
    int fo_adagrad_da_f64(const fo_span *, int64_t, const fo_adagrad_da_cfg *, int)
    int fo_ftrl_f32(const fo_span *, int64_t, const fo_ftrl_cfg *, int)
    int fo_ftrl_f64(const fo_span *, int64_t, const fo_ftrl_cfg *, int)
    int fo_rda_f32(const fo_span *, int64_t, const fo_rda_cfg *, int)
    int fo_rda_f64(const fo_span *, int64_t, const fo_rda_cfg *, int)

    double fo_nadam_mu(double beta1, double momentum_decay, int64_t step)
    int fo_coalesce_f32(const void *idx, int idx_size, int64_t k,
                        const float *values, int64_t d, int64_t nrows,
                        int64_t *out_rows, float *out_vals, int64_t *n_unique,
                        int *as_given, int64_t *bad_pos)
    int fo_coalesce_f64(const void *idx, int idx_size, int64_t k,
                        const double *values, int64_t d, int64_t nrows,
                        int64_t *out_rows, double *out_vals, int64_t *n_unique,
                        int *as_given, int64_t *bad_pos)
    int fo_check_compressed(const void *indptr, int indptr_size, int64_t n_major,
                            const void *indices, int idx_size, int64_t nnz_avail,
                            int64_t n_minor, int64_t *bad_pos)
    int fo_openmp_enabled()
    int fo_simd_width()


# Every rule's entry point has this shape once its cfg pointer is untyped.
ctypedef int (*kernel_fn)(const fo_span *, int64_t, const void *, int) noexcept nogil


def openmp_enabled():
    """True when the kernels were built with OpenMP."""
    return bool(fo_openmp_enabled())


def simd_width():
    """Vector width in bits the kernels dispatch to on this CPU."""
    return fo_simd_width()


def check_compressed(indptr, indices, int64_t n_minor):
    """(status, position) of the first fault of a compressed sparse structure
    (see fo_check_compressed); indptr and indices are 1-D C-contiguous int32
    or int64 arrays, checked by the caller (fastopt._validation)."""
    cdef const unsigned char[::1] ip = indptr.view(np.uint8)
    cdef const unsigned char[::1] ix = indices.view(np.uint8)
    cdef const void *ipp = &ip[0] if ip.shape[0] else NULL
    cdef const void *ixp = &ix[0] if ix.shape[0] else NULL
    cdef int ips = indptr.itemsize, ixs = indices.itemsize
    cdef int64_t n_major = indptr.shape[0] - 1, nnz = indices.shape[0], bad = -1
    cdef int rc
    if n_major < 0:
        return FO_BAD_ARG, 0
    with nogil:
        rc = fo_check_compressed(ipp, ips, n_major, ixp, ixs, nnz, n_minor, &bad)
    return rc, bad


cdef enum:
    MAXDIM = 64  # numpy's NPY_MAXDIMS


cdef inline char _dtype_code(const char *fmt) noexcept:
    """'f' or 'd' for native float32/float64 buffers, 0 for anything else
    (a NULL format means unsigned bytes; explicit byte orders are refused)."""
    if fmt == NULL:
        return 0
    if fmt[0] == b'@':
        fmt += 1
    if (fmt[0] == b'f' or fmt[0] == b'd') and fmt[1] == 0:
        return fmt[0]
    return 0


cdef inline bint _index_code(const char *fmt, Py_ssize_t itemsize) noexcept:
    """True for a native signed integer buffer of 4 or 8 bytes."""
    if fmt == NULL or (itemsize != 4 and itemsize != 8):
        return False
    if fmt[0] == b'@':
        fmt += 1
    return (fmt[0] == b'i' or fmt[0] == b'l' or fmt[0] == b'q') and fmt[1] == 0


cdef class ParamTable:
    """The parameters and state slots of one optimizer, bound for C.

    params: list of float32/float64 C-contiguous writeable arrays.
    slots: one sequence per param of at most 3 state arrays (or
    None), each of the param's shape and dtype.  The table keeps references,
    so the pointers it holds stay valid while it lives.
    """
    cdef fo_span *spans          # one per param, in params order
    cdef fo_span *run32          # compacted spans of this step, float32
    cdef fo_span *run64          # ... float64
    cdef int64_t n32, n64
    cdef char *codes             # dtype code per param
    cdef int *ndims              # ndim per param
    cdef Py_ssize_t *dims        # shape of param i at dims[i * MAXDIM]
    cdef Py_ssize_t nparams
    cdef readonly list params
    cdef readonly list slots
    cdef list shapes
    cdef bint single             # params was one array, not a list
    cdef int64_t *sizes          # elements per param
    cdef char *active            # param has a gradient this step
    cdef list scratch            # per param: (rows, summed) reused for sparse
    cdef int64_t[::1] steps      # the optimizer's per-param step counts ...
    cdef double[::1] aux         # ... and scalars, updated after a good run
    cdef uintptr_t *wlo          # the memory a step writes (params, state),
    cdef uintptr_t *whi          # as [wlo, whi) regions sorted by address,
    cdef Py_ssize_t *wown        # owner: param i as 4 i, its state k as 4 i + 1 + k
    cdef Py_ssize_t nw
    cdef list held               # what this step reads, alive until the kernel ran
    cdef tuple slot_names        # names of the state slots, for messages

    def __cinit__(self, list params, list slots, bint single=False, slot_names=()):
        cdef Py_ssize_t i, k, n = len(params)
        self.nparams = n
        self.spans = <fo_span *>calloc(n + 1, sizeof(fo_span))
        self.run32 = <fo_span *>calloc(n + 1, sizeof(fo_span))
        self.run64 = <fo_span *>calloc(n + 1, sizeof(fo_span))
        self.codes = <char *>calloc(n + 1, sizeof(char))
        self.ndims = <int *>calloc(n + 1, sizeof(int))
        self.dims = <Py_ssize_t *>calloc((n + 1) * MAXDIM, sizeof(Py_ssize_t))
        self.sizes = <int64_t *>calloc(n + 1, sizeof(int64_t))
        self.active = <char *>calloc(n + 1, sizeof(char))
        self.wlo = <uintptr_t *>calloc(4 * n + 1, sizeof(uintptr_t))
        self.whi = <uintptr_t *>calloc(4 * n + 1, sizeof(uintptr_t))
        self.wown = <Py_ssize_t *>calloc(4 * n + 1, sizeof(Py_ssize_t))
        if not (self.spans and self.run32 and self.run64 and self.codes
                and self.ndims and self.dims and self.sizes and self.active
                and self.wlo and self.whi and self.wown):
            raise MemoryError()
        self.held = []
        if len(slots) != n:
            raise ValueError("slots must have one entry per parameter")
        self.single = single
        self.slot_names = tuple(slot_names)
        self.params = list(params)
        self.slots = [list(s) for s in slots]
        self.shapes = [tuple(p.shape) for p in params]
        self.scratch = [(np.empty(0, np.int64), np.empty(0, p.dtype)) for p in params]
        for i in range(n):
            code = self._bind(params[i], &self.spans[i].p, &self.sizes[i],
                              f"params[{i}]")
            self.spans[i].n = self.sizes[i]
            self.codes[i] = code
            self.ndims[i] = len(self.shapes[i])
            for k in range(self.ndims[i]):
                self.dims[i * MAXDIM + k] = self.shapes[i][k]
            if len(self.slots[i]) > 3:
                raise ValueError("at most 3 state arrays per parameter")
            for k in range(len(self.slots[i])):
                s = self.slots[i][k]
                if s is None:
                    continue
                if tuple(s.shape) != self.shapes[i] or s.dtype != params[i].dtype:
                    raise ValueError(f"state {k} of params[{i}] does not match it")
                if self._bind(s, &self.spans[i].s[k], NULL, f"state[{i}][{k}]") != code:
                    raise ValueError(f"state {k} of params[{i}] does not match it")
        self._index_regions()

    cdef int _index_regions(self) except -1:
        """Sort the memory a step writes and refuse any overlap in it: two
        arrays sharing memory would get one update applied twice, in an
        order that depends on the threads."""
        cdef Py_ssize_t i, k, m = 0
        cdef int64_t nbytes
        regions = []
        for i in range(self.nparams):
            nbytes = self.sizes[i] * (4 if self.codes[i] == b'f' else 8)
            if nbytes == 0:
                continue
            regions.append((<uintptr_t>self.spans[i].p, nbytes, 4 * i))
            for k in range(len(self.slots[i])):
                if self.slots[i][k] is not None:
                    regions.append((<uintptr_t>self.spans[i].s[k], nbytes, 4 * i + 1 + k))
        regions.sort()
        for lo, nbytes, own in regions:
            if m and <uintptr_t>lo < self.whi[m - 1]:
                raise ValueError(f"{self._owner_name(self.wown[m - 1])} and "
                                 f"{self._owner_name(own)} share memory; every array "
                                 "a step writes must be distinct")
            self.wlo[m], self.whi[m], self.wown[m] = lo, <uintptr_t>lo + <uintptr_t>nbytes, own
            m += 1
        self.nw = m
        return 0

    cdef str _owner_name(self, Py_ssize_t own):
        cdef Py_ssize_t i = own // 4, k = own % 4
        pname = "params" if self.single else f"params[{i}]"
        if k == 0:
            return pname
        slot = (repr(self.slot_names[k - 1]) if k - 1 < len(self.slot_names)
                else f"slot {k - 1}")
        return f"the {slot} state of {pname}"

    cdef Py_ssize_t _writer_of(self, uintptr_t lo, uintptr_t hi) noexcept:
        """Owner of a written region that [lo, hi) overlaps, or -1."""
        cdef Py_ssize_t a = 0, b = self.nw, mid
        if hi <= lo:
            return -1
        while a < b:   # first region ending after lo
            mid = (a + b) // 2
            if self.whi[mid] <= lo:
                a = mid + 1
            else:
                b = mid
        if a < self.nw and self.wlo[a] < hi:
            return self.wown[a]
        return -1

    cdef int _check_reads(self, Py_ssize_t i, const void *buf, Py_ssize_t nbytes,
                          str what) except -1:
        """Refuse an input of params[i]'s update that overlaps any array the
        step writes: the result would depend on the order of the writes."""
        cdef Py_ssize_t own = self._writer_of(<uintptr_t>buf, <uintptr_t>buf + <uintptr_t>nbytes)
        if own >= 0:
            name = ("grads" if self.single else f"grads[{i}]") + what
            raise ValueError(f"{name} shares memory with {self._owner_name(own)}, which "
                             "the step writes; pass a separate array")
        return 0

    cdef int _check_bound(self, Py_ssize_t i) except -1:
        """params[i] and its state still are the memory the table was bound
        to, writeable: an array can be made read-only (or reallocated with
        resize(refcheck=False)) after the optimizer was made."""
        cdef Py_buffer view
        cdef Py_ssize_t k
        cdef list slots = self.slots[i]
        cdef void *bound = self.spans[i].p
        cdef bint ok
        a = self.params[i]
        for k in range(len(slots) + 1):
            if k:
                a = slots[k - 1]
                if a is None:
                    continue
                bound = self.spans[i].s[k - 1]
            try:
                PyObject_GetBuffer(a, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT
                                   | PyBUF_WRITABLE)
            except (TypeError, ValueError, BufferError):
                raise ValueError(f"{self._owner_name(4 * i + k)} is no longer writeable "
                                 "(or no longer C-contiguous); the optimizer updates "
                                 "it in place") from None
            ok = (view.buf == bound and _dtype_code(view.format) == self.codes[i]
                  and view.len == self.sizes[i] * view.itemsize)
            PyBuffer_Release(&view)
            if not ok:
                raise ValueError(f"{self._owner_name(4 * i + k)} no longer is the memory "
                                 "the optimizer was bound to (reallocated or retyped "
                                 "in place)")
        return 0

    def __dealloc__(self):
        free(self.spans)
        free(self.run32)
        free(self.run64)
        free(self.codes)
        free(self.ndims)
        free(self.dims)
        free(self.sizes)
        free(self.active)
        free(self.wlo)
        free(self.whi)
        free(self.wown)

    cdef char _bind(self, obj, void **ptr, int64_t *n, str name) except 0:
        """Pointer to a writeable C-contiguous float32/float64 array."""
        cdef Py_buffer view
        try:
            PyObject_GetBuffer(obj, &view,
                               PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE)
        except (TypeError, ValueError, BufferError):
            raise ValueError(f"{name} must be a writeable C-contiguous float32 "
                             "or float64 array") from None
        try:
            code = _dtype_code(view.format)
            if code == 0:
                raise TypeError(f"{name} must be float32 or float64")
            ptr[0] = view.buf
            if n != NULL:
                n[0] = view.len // view.itemsize
        finally:
            PyBuffer_Release(&view)
        return code

    cdef int _gather(self, grads, int64_t[::1] steps, double[::1] aux,
                     double nadam_beta1, double nadam_psi,
                     bint aux_f32=False) except -1:
        """Check every gradient, then fill this step's span lists.

        Stages the next step number of each param that has a gradient and,
        for NAdam (nadam_beta1 >= 0), its mu_product times this step's mu
        (with aux_f32, both rounded to float32 and multiplied in float32, as
        torch.optim.NAdam does with a float32 mu_product tensor);
        _run commits them once the kernel has run.  Raises (through
        _validation) if a gradient is bad, with nothing changed.  Everything
        C is told comes from buffer views taken here, never from attributes
        checked earlier, and every array read is kept alive in self.held
        until the kernel has run (another thread may drop the caller's
        references meanwhile).
        """
        cdef Py_ssize_t i, k, n = self.nparams
        cdef double mu
        cdef bint ok
        cdef Py_buffer view
        self.held = []
        if isinstance(grads, (list, tuple)):
            grads = tuple(grads)   # a snapshot: the caller's list may change
        if not isinstance(grads, tuple) or len(grads) != n:
            _validation.explain_grads(grads, self.params, self.single)
        if steps.shape[0] != n or aux.shape[0] != n:
            raise ValueError("steps and aux must have one entry per parameter")
        for i in range(n):
            g = grads[i]
            self.spans[i].g = NULL
            self.spans[i].rows = NULL
            self.spans[i].n = self.sizes[i]
            self.active[i] = g is not None
            if g is None:
                continue
            self._check_bound(i)
            if steps[i] >= INT64_MAX:
                name = "params" if self.single else f"params[{i}]"
                raise OverflowError(f"{name} has taken {steps[i]} steps; its step "
                                    "count cannot advance")
            self.held.append(g)
            if type(g) is SparseGrad:
                self._gather_sparse(i, g)
                continue
            try:
                PyObject_GetBuffer(g, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
            except (TypeError, ValueError, BufferError):
                _validation.explain_grad(i, g, self.params[i], self.single)
            ok = (_dtype_code(view.format) == self.codes[i]
                  and view.ndim == self.ndims[i])
            for k in range(view.ndim if ok else 0):
                ok = ok and view.shape[k] == self.dims[i * MAXDIM + k]
            self.spans[i].g = view.buf
            PyBuffer_Release(&view)
            if not ok:
                _validation.explain_grad(i, g, self.params[i], self.single)
            self._check_reads(i, self.spans[i].g,
                              self.sizes[i] * (4 if self.codes[i] == b'f' else 8), "")
        self.n32 = 0
        self.n64 = 0
        self.steps = steps
        self.aux = aux
        for i in range(n):
            if not self.active[i]:
                continue
            # staged here, committed to steps/aux by _run once the kernel ran
            self.spans[i].step = steps[i] + 1
            self.spans[i].aux = aux[i]
            if nadam_beta1 >= 0:
                mu = fo_nadam_mu(nadam_beta1, nadam_psi, self.spans[i].step)
                if aux_f32:
                    self.spans[i].aux = <double>(<float>self.spans[i].aux * <float>mu)
                else:
                    self.spans[i].aux *= mu
            if self.codes[i] == b'f':
                self.run32[self.n32] = self.spans[i]
                self.n32 += 1
            else:
                self.run64[self.n64] = self.spans[i]
                self.n64 += 1
        return 0

    cdef int _gather_sparse(self, Py_ssize_t i, g) except -1:
        """Check a SparseGrad against params[i], check its indices and sum
        duplicates (in C), and point span i at the rows.  Writes nothing but
        its scratch arrays, which the table keeps and reuses from step to
        step (growing them when a gradient has more rows).  Shapes, dtypes
        and pointers come from buffer views of the two arrays taken here:
        a SparseGrad's arrays can be reshaped or retyped in place after it
        was made."""
        cdef int64_t k, d = 1, nrows, n_unique = 0, bad_pos = -1
        cdef int as_given = 0, rc, idx_size, dim
        cdef Py_buffer iv, vv
        cdef bint ok
        cdef const void *idx_p
        cdef const void *val_p
        cdef void *sum_p
        cdef int64_t *rows_p
        indices, values = g.indices, g.values
        self.held.append(indices)
        self.held.append(values)
        try:
            PyObject_GetBuffer(indices, &iv, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
        except (TypeError, ValueError, BufferError):
            _validation.explain_sparse_grad(i, g, self.params[i], self.single)
        idx_size = iv.itemsize
        ok = iv.ndim == 1 and _index_code(iv.format, iv.itemsize)
        k = iv.shape[0] if ok else 0
        idx_p = iv.buf
        PyBuffer_Release(&iv)
        if not ok:
            _validation.explain_sparse_grad(i, g, self.params[i], self.single)
        try:
            PyObject_GetBuffer(values, &vv, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
        except (TypeError, ValueError, BufferError):
            _validation.explain_sparse_grad(i, g, self.params[i], self.single)
        ok = (self.ndims[i] >= 1 and vv.ndim == self.ndims[i]
              and _dtype_code(vv.format) == self.codes[i] and vv.shape[0] == k)
        for dim in range(1, vv.ndim if ok else 0):
            ok = ok and vv.shape[dim] == self.dims[i * MAXDIM + dim]
            d *= self.dims[i * MAXDIM + dim]
        ok = ok and vv.len == k * d * vv.itemsize
        val_p = vv.buf
        PyBuffer_Release(&vv)
        if not ok:
            _validation.explain_sparse_grad(i, g, self.params[i], self.single)
        self._check_reads(i, idx_p, k * idx_size, ".indices")
        self._check_reads(i, val_p, k * d * (4 if self.codes[i] == b'f' else 8), ".values")
        nrows = self.shapes[i][0]
        rows, summed = self.scratch[i]
        if rows.shape[0] < k:
            rows = np.empty(k, dtype=np.int64)
            summed = np.empty(k * d, dtype=values.dtype)
            self.scratch[i] = (rows, summed)
        cdef int64_t[::1] rows_v = rows
        cdef unsigned char[::1] sum_b = summed.view(np.uint8).reshape(-1)
        sum_p = &sum_b[0] if summed.size else NULL
        rows_p = &rows_v[0] if k else NULL
        if k == 0:
            idx_p = NULL
            val_p = NULL
        with nogil:
            if self.codes[i] == b'f':
                rc = fo_coalesce_f32(idx_p, idx_size, k, <const float *>val_p, d,
                                     nrows, rows_p, <float *>sum_p, &n_unique,
                                     &as_given, &bad_pos)
            else:
                rc = fo_coalesce_f64(idx_p, idx_size, k, <const double *>val_p, d,
                                     nrows, rows_p, <double *>sum_p, &n_unique,
                                     &as_given, &bad_pos)
        if rc == FO_BAD_INDEX:
            name = "grads" if self.single else f"grads[{i}]"
            pname = "params" if self.single else f"params[{i}]"
            raise IndexError(f"{name}.indices[{bad_pos}] = {indices[bad_pos]} is out "
                             f"of range for {pname}, which has {nrows} rows")
        if rc != FO_OK:
            raise MemoryError()
        self.spans[i].g = val_p if as_given else sum_p
        self.spans[i].rows = rows_p
        self.spans[i].row_len = d
        self.spans[i].n = n_unique * d
        return 0

    cdef int _run(self, kernel_fn f32, kernel_fn f64, const void *cfg,
                  int n_threads) except -1:
        cdef int rc = FO_OK
        with nogil:
            if self.n32:
                rc = f32(self.run32, self.n32, cfg, n_threads)
            if rc == FO_OK and self.n64:
                rc = f64(self.run64, self.n64, cfg, n_threads)
        # A rule refuses a cfg before touching any element, and both dtypes
        # get the same cfg, so on failure nothing has been written.
        if rc != FO_OK:
            raise ValueError(f"kernel rejected its arguments (status {rc})")
        cdef Py_ssize_t i
        for i in range(self.nparams):
            if self.active[i]:
                self.steps[i] = self.spans[i].step
                self.aux[i] = self.spans[i].aux
        self.held = []
        return 0


# One function per rule: fill the rule's cfg, check and gather, run.  The
# Python optimizers and fastopt.kernels validate hyperparameters first.

def sgd(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
        double lr, double momentum, double dampening, double weight_decay,
        bint nesterov, bint maximize, int n_threads):
    cdef fo_sgd_cfg c
    c.lr, c.momentum, c.dampening, c.weight_decay = lr, momentum, dampening, weight_decay
    c.nesterov, c.maximize = nesterov, maximize
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_sgd_f32, <kernel_fn>fo_sgd_f64, &c, n_threads)


def adagrad(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
            double lr, double lr_decay, double weight_decay, double eps,
            bint maximize, int n_threads):
    cdef fo_adagrad_cfg c
    c.lr, c.lr_decay, c.weight_decay, c.eps, c.maximize = (
        lr, lr_decay, weight_decay, eps, maximize)
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_adagrad_f32, <kernel_fn>fo_adagrad_f64, &c, n_threads)


def adadelta(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
             double lr, double rho, double eps, double weight_decay,
             bint maximize, int n_threads):
    cdef fo_adadelta_cfg c
    c.lr, c.rho, c.eps, c.weight_decay, c.maximize = (
        lr, rho, eps, weight_decay, maximize)
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_adadelta_f32, <kernel_fn>fo_adadelta_f64, &c, n_threads)


def rmsprop(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
            double lr, double alpha, double eps, double weight_decay,
            double momentum, bint centered, bint eps_in_sqrt, bint maximize,
            int n_threads):
    cdef fo_rmsprop_cfg c
    c.lr, c.alpha, c.eps, c.weight_decay, c.momentum = (
        lr, alpha, eps, weight_decay, momentum)
    c.centered, c.eps_in_sqrt, c.maximize = centered, eps_in_sqrt, maximize
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_rmsprop_f32, <kernel_fn>fo_rmsprop_f64, &c, n_threads)


def adam(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
         double lr, double beta1, double beta2, double eps, double weight_decay,
         int wd_mode, bint amsgrad, bint maximize, int n_threads):
    cdef fo_adam_cfg c
    c.lr, c.beta1, c.beta2, c.eps, c.weight_decay = lr, beta1, beta2, eps, weight_decay
    c.wd_mode, c.amsgrad, c.maximize = wd_mode, amsgrad, maximize
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_adam_f32, <kernel_fn>fo_adam_f64, &c, n_threads)


def adamax(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
           double lr, double beta1, double beta2, double eps,
           double weight_decay, bint maximize, int n_threads):
    cdef fo_adamax_cfg c
    c.lr, c.beta1, c.beta2, c.eps, c.weight_decay, c.maximize = (
        lr, beta1, beta2, eps, weight_decay, maximize)
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_adamax_f32, <kernel_fn>fo_adamax_f64, &c, n_threads)


def nadam(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
          double lr, double beta1, double beta2, double eps,
          double weight_decay, double momentum_decay, int wd_mode,
          bint maximize, int n_threads, bint mu_product_f32=False):
    cdef fo_nadam_cfg c
    c.lr, c.beta1, c.beta2, c.eps, c.weight_decay, c.momentum_decay = (
        lr, beta1, beta2, eps, weight_decay, momentum_decay)
    c.wd_mode, c.maximize = wd_mode, maximize
    t._gather(grads, steps, aux, beta1, momentum_decay, mu_product_f32)
    t._run(<kernel_fn>fo_nadam_f32, <kernel_fn>fo_nadam_f64, &c, n_threads)


def delta_bar_delta(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
                    double kappa, double phi, double theta, int n_threads):
    cdef fo_dbd_cfg c
    c.kappa, c.phi, c.theta = kappa, phi, theta
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_dbd_f32, <kernel_fn>fo_dbd_f64, &c, n_threads)


def proximal_sgd(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
                 double lr, double l1, double l2, int n_threads):
    cdef fo_proxsgd_cfg c
    c.lr, c.l1, c.l2 = lr, l1, l2
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_proxsgd_f32, <kernel_fn>fo_proxsgd_f64, &c, n_threads)


def proximal_adagrad(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
                     double lr, double l1, double l2, int n_threads):
    cdef fo_proxadagrad_cfg c
    c.lr, c.l1, c.l2 = lr, l1, l2
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_proxadagrad_f32, <kernel_fn>fo_proxadagrad_f64, &c,
           n_threads)


def adagrad_da(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
               double lr, double l1, double l2, int n_threads):
    cdef fo_adagrad_da_cfg c
    c.lr, c.l1, c.l2 = lr, l1, l2
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_adagrad_da_f32, <kernel_fn>fo_adagrad_da_f64, &c,
           n_threads)


def ftrl(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
         double lr, double lr_power, double l1, double l2, double l2_shrinkage,
         double beta, int n_threads):
    cdef fo_ftrl_cfg c
    c.lr, c.lr_power, c.l1, c.l2, c.l2_shrinkage, c.beta = (
        lr, lr_power, l1, l2, l2_shrinkage, beta)
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_ftrl_f32, <kernel_fn>fo_ftrl_f64, &c, n_threads)


def rda(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
        double l1, double gamma, double rho, int n_threads):
    cdef fo_rda_cfg c
    c.l1, c.gamma, c.rho = l1, gamma, rho
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_rda_f32, <kernel_fn>fo_rda_f64, &c, n_threads)


def stream(ParamTable t, grads, int64_t[::1] steps, double[::1] aux, *,
           int nstate, int n_threads):
    """The bandwidth reference of bench/: p += g and s_k += g, k < nstate."""
    cdef fo_stream_cfg c
    c.nstate = nstate
    t._gather(grads, steps, aux, -1.0, 0.0)
    t._run(<kernel_fn>fo_stream_f32, <kernel_fn>fo_stream_f64, &c, n_threads)
include "_prox.pxi"
include "_online.pxi"
include "_libsvm.pxi"
include "_minimize.pxi"
include "_cd.pxi"
include "_clip.pxi"
include "_norm.pxi"
include "_format.pxi"
include "_glm.pxi"
