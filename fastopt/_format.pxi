# Included at the end of _kernels.pyx: doubles to text, one per line, with 9
# significant digits (csrc/format.c) -- the bytes of Python's '%.9g' % v.
# `fastopt predict` writes its output with it instead of a per-element loop.

cdef extern from "format.h" nogil:
    int FO_FORMAT_G9_MAX
    int64_t fo_format_g9(const double *x, int64_t n, char *out, int n_threads)


def format_g9(const double[::1] x, int n_threads=1):
    """x as ASCII bytes, one value per line: b''.join(b'%.9g\\n' % v for v in x)."""
    cdef int64_t n = x.shape[0]
    cdef int64_t written
    cdef char *buf
    if n == 0:
        return b""
    if n > INT64_MAX // FO_FORMAT_G9_MAX:
        raise OverflowError("too many values")
    buf = <char *>malloc(<size_t>(n * FO_FORMAT_G9_MAX))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            written = fo_format_g9(&x[0], n, buf, n_threads)
        return buf[:written]
    finally:
        free(buf)
