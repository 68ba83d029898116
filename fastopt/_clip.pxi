# Included at the end of _kernels.pyx: the gradient norms and scaling of
# csrc/clip.c.
#
# fastopt/clip.py validates everything and passes a list of C-contiguous
# arrays of one dtype (writeable ones for scaling); these wrappers collect
# their pointers, release the GIL around the C call and turn a status into an
# exception.
cdef extern from "clip.h" nogil:
    int FO_NORM_INF, FO_NORM_L1, FO_NORM_L2
    int64_t fo_clip_nblocks(const int64_t *ns, int64_t narrays)
    int fo_norm_reduce_f32(const float *const *, const int64_t *, int64_t, int,
                           double *, int, double *)
    int fo_norm_reduce_f64(const double *const *, const int64_t *, int64_t, int,
                           double *, int, double *)
    int fo_scale_f32(float *const *, const int64_t *, int64_t, double, int)
    int fo_scale_f64(double *const *, const int64_t *, int64_t, double, int)


cdef class _ArrayList:
    """Pointers and sizes of a list of same-dtype contiguous arrays; keeps
    the arrays referenced while it lives."""
    cdef void **ptrs
    cdef int64_t *ns
    cdef int64_t n
    cdef bint f32
    cdef list arrays

    def __cinit__(self, list arrays, bint writeable):
        cdef Py_buffer view
        cdef int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT
        cdef Py_ssize_t i
        if writeable:
            flags |= PyBUF_WRITABLE
        self.arrays = arrays
        self.n = len(arrays)
        self.ptrs = <void **>calloc(self.n + 1, sizeof(void *))
        self.ns = <int64_t *>calloc(self.n + 1, sizeof(int64_t))
        if not (self.ptrs and self.ns):
            raise MemoryError()
        for i in range(self.n):
            PyObject_GetBuffer(arrays[i], &view, flags)
            code = _dtype_code(view.format)
            self.ptrs[i] = view.buf
            self.ns[i] = view.len // view.itemsize
            PyBuffer_Release(&view)
            if code == 0 or (i > 0 and (code == b'f') != self.f32):
                raise TypeError("arrays must all be float32 or all float64")
            self.f32 = code == b'f'

    def __dealloc__(self):
        free(self.ptrs)
        free(self.ns)


cdef int _clip_check(int rc, str name) except -1:
    if rc != FO_OK:
        raise ValueError(f"{name}: kernel rejected its arguments (status {rc})")
    return 0


def norm_reduce(list arrays, str kind, int n_threads):
    """sum x^2 ('l2'), sum |x| ('l1') or max |x| ('inf', NaN wins) over all
    elements of `arrays` (one dtype), in double, deterministic."""
    cdef _ArrayList a = _ArrayList(arrays, False)
    cdef int k = {"l2": FO_NORM_L2, "l1": FO_NORM_L1, "inf": FO_NORM_INF}[kind]
    cdef double result = 0.0
    cdef int rc
    work = np.empty(max(fo_clip_nblocks(a.ns, a.n), 1), dtype=np.float64)
    cdef double[::1] w = work
    with nogil:
        if a.f32:
            rc = fo_norm_reduce_f32(<const float *const *>a.ptrs, a.ns, a.n, k,
                                    &w[0], n_threads, &result)
        else:
            rc = fo_norm_reduce_f64(<const double *const *>a.ptrs, a.ns, a.n, k,
                                    &w[0], n_threads, &result)
    _clip_check(rc, "norm_reduce")
    return result


def scale(list arrays, double c, int n_threads):
    """x *= c (rounded to the arrays' dtype) for every array, in place."""
    cdef _ArrayList a = _ArrayList(arrays, True)
    cdef int rc
    with nogil:
        if a.f32:
            rc = fo_scale_f32(<float *const *>a.ptrs, a.ns, a.n, c, n_threads)
        else:
            rc = fo_scale_f64(<double *const *>a.ptrs, a.ns, a.n, c, n_threads)
    _clip_check(rc, "scale")
