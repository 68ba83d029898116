# Included at the end of _kernels.pyx: the libsvm / svmlight text parser of
# csrc/libsvm.c.
#
# fastopt/libsvm.py reads the file, cuts it into chunks of whole lines and
# composes the messages; this wrapper parses one chunk into freshly allocated
# CSR arrays with the GIL released, growing them when the parser asks for room.

cdef extern from "libsvm.h" nogil:
    int FO_LIBSVM_NEED_ROOM, FO_LIBSVM_BAD_LINE
    int FO_LIBSVM_BINARY, FO_LIBSVM_REAL

    ctypedef struct fo_libsvm_cfg:
        int64_t n_features
        int hash
        int skip_bad_lines
        int label_mode
        int idx_size
        int val_size
        int64_t max_line

    ctypedef struct fo_libsvm_state:
        int64_t pos
        int64_t lines
        int64_t nrows
        int64_t nnz
        int64_t bad_lines
        int64_t err_line
        int64_t err_pos
        int64_t err_value
        int err_code

    int fo_libsvm_parse(const char *buf, int64_t len, const fo_libsvm_cfg *cfg,
                        fo_libsvm_state *st, double *labels, int64_t *indptr,
                        int64_t row_cap, void *indices, void *values,
                        int64_t nnz_cap)


cdef object _libsvm_grow(object a, int64_t used, int64_t need):
    """A copy of a[:used] in an array of at least `need` (and 2x) entries."""
    cdef int64_t cap = a.shape[0] * 2
    if cap < need:
        cap = need
    b = np.empty(cap, dtype=a.dtype)
    b[:used] = a[:used]
    return b


def libsvm_parse(const unsigned char[::1] buf, int64_t n_features, bint hash,
                 bint skip_bad_lines, bint binary, object index_dtype,
                 object dtype, int64_t row_cap=-1, int64_t nnz_cap=-1,
                 int64_t max_line=0):
    """Parse a buffer of whole libsvm lines.

    Returns (labels, indptr, indices, values, lines, bad_lines, err) where the
    arrays are trimmed to the rows parsed, lines counts the buffer's lines,
    and err is None, or (code, line, pos, value) for the malformed line at
    which parsing stopped (without skip_bad_lines) or the first one skipped.
    row_cap / nnz_cap: the arrays' first sizes (the caller passes upper
    bounds: lines, ':' count; < 0: a guess); they grow as needed.
    max_line: a line of more bytes (before its newline) is malformed; 0:
    no limit.
    """
    cdef fo_libsvm_cfg cfg
    cdef fo_libsvm_state st
    cdef int64_t n = buf.shape[0]
    cdef const char *p = <const char *>&buf[0] if n > 0 else NULL
    cdef int rc
    cdef double *lab_p
    cdef int64_t *ptr_p
    cdef void *idx_p
    cdef void *val_p
    cdef int64_t rcap, ncap
    cdef uintptr_t addr

    cfg.n_features = n_features
    cfg.hash = hash
    cfg.skip_bad_lines = skip_bad_lines
    cfg.label_mode = FO_LIBSVM_BINARY if binary else FO_LIBSVM_REAL
    idt = np.dtype(index_dtype)
    vdt = np.dtype(dtype)
    cfg.idx_size = idt.itemsize
    cfg.val_size = vdt.itemsize
    cfg.max_line = max_line
    st.pos = 0
    st.lines = 0
    st.nrows = 0
    st.nnz = 0
    st.bad_lines = 0
    st.err_line = 0
    st.err_pos = 0
    st.err_value = 0
    st.err_code = 0

    if row_cap < 0:
        row_cap = n // 2 + 1
    if nnz_cap < 0:
        nnz_cap = n // 4 + 1
    labels = np.empty(max(row_cap, 0), dtype=np.float64)
    indptr = np.empty(max(row_cap, 0) + 1, dtype=np.int64)
    indices = np.empty(max(nnz_cap, 0), dtype=idt)
    values = np.empty(max(nnz_cap, 0), dtype=vdt)
    while True:
        rcap = labels.shape[0]
        ncap = indices.shape[0]
        addr = labels.ctypes.data
        lab_p = <double *>addr
        addr = indptr.ctypes.data
        ptr_p = <int64_t *>addr
        addr = indices.ctypes.data
        idx_p = <void *>addr
        addr = values.ctypes.data
        val_p = <void *>addr
        with nogil:
            rc = fo_libsvm_parse(p, n, &cfg, &st, lab_p, ptr_p, rcap,
                                 idx_p, val_p, ncap)
        if rc != FO_LIBSVM_NEED_ROOM:
            break
        if st.nrows >= rcap:
            labels = _libsvm_grow(labels, st.nrows, rcap + 1)
            indptr = _libsvm_grow(indptr, st.nrows + 1, rcap + 2)
        else:
            indices = _libsvm_grow(indices, st.nnz, ncap + 1)
            values = _libsvm_grow(values, st.nnz, ncap + 1)
    if rc != FO_OK and rc != FO_LIBSVM_BAD_LINE:
        raise ValueError(f"libsvm parser rejected its arguments (status {rc})")
    err = None
    if st.err_code != 0:
        err = (st.err_code, st.err_line, st.err_pos, st.err_value)
    return (labels[:st.nrows], indptr[:st.nrows + 1], indices[:st.nnz],
            values[:st.nnz], st.lines, st.bad_lines, err)


# Vowpal Wabbit's text format (csrc/vw.c): the same block parser's
# contract, plus the importance weights and each feature's namespace index.

cdef extern from "vw.h" nogil:
    ctypedef struct fo_vw_cfg:
        int bits
        int constant
        int skip_bad_lines
        int label_mode
        int allow_unlabeled
        int idx_size
        int val_size
        int64_t max_line
        int hash_all
        uint32_t hash_seed

    ctypedef struct fo_vw_extra:
        double *initial
        int64_t *tag

    int fo_vw_parse(const char *buf, int64_t len, const fo_vw_cfg *cfg,
                    fo_libsvm_state *st, double *labels, double *weights,
                    int64_t *indptr, int64_t row_cap, void *indices, void *values,
                    unsigned char *ns, int64_t nnz_cap, fo_vw_extra *extra)
    unsigned long long fo_vw_hash(const char *s, int64_t len, unsigned long long seed)
    uint32_t fo_murmur3_32(const void *key, int64_t len, uint32_t seed)


def vw_hash(const unsigned char[::1] name, unsigned long long seed=0):
    """VW's hash of a feature or namespace name (bytes) with seed (the
    namespace's hash for a feature): csrc/vw.h."""
    cdef const char *p = <const char *>&name[0] if name.shape[0] else <const char *>""
    return fo_vw_hash(p, name.shape[0], seed)


def murmur3_32(const unsigned char[::1] key, uint32_t seed=0):
    """MurmurHash3_x86_32 of bytes with seed (VW's --hash all hashes every
    name with it): csrc/vw.h."""
    cdef const char *p = <const char *>&key[0] if key.shape[0] else <const char *>""
    return fo_murmur3_32(p, key.shape[0], seed)


def vw_parse(const unsigned char[::1] buf, int bits, bint skip_bad_lines,
             bint binary, bint allow_unlabeled, object index_dtype, object dtype,
             int64_t row_cap=-1, int64_t nnz_cap=-1, int64_t max_line=0,
             bint constant=False, bint hash_all=False, uint32_t hash_seed=0,
             bint extra=False):
    """Parse a buffer of whole VW text lines.  Returns (labels, weights,
    indptr, indices, values, ns, lines, bad_lines, err) as libsvm_parse,
    with the importance weights and the namespace index of each entry;
    constant: every row ends with VW's constant feature; hash_all,
    hash_seed: VW's --hash all and --hash_seed (csrc/vw.h).  extra: accept
    VW's initial prediction and append (initial, tags) to the result --
    each row's initial prediction and its tag's [start, stop) byte offsets
    in buf (-1, -1: none), an (n, 2) int64 array."""
    cdef fo_vw_cfg cfg
    cdef fo_vw_extra ext
    cdef fo_vw_extra *extp = &ext if extra else NULL
    cdef uintptr_t a_init, a_tag
    cdef fo_libsvm_state st
    cdef int64_t n = buf.shape[0]
    cdef const char *p = <const char *>&buf[0] if n > 0 else NULL
    cdef int rc
    cdef int64_t rcap, ncap
    cdef uintptr_t a_lab, a_wt, a_ptr, a_idx, a_val, a_ns

    cfg.bits = bits
    cfg.constant = constant
    cfg.skip_bad_lines = skip_bad_lines
    cfg.label_mode = FO_LIBSVM_BINARY if binary else FO_LIBSVM_REAL
    cfg.allow_unlabeled = allow_unlabeled
    idt = np.dtype(index_dtype)
    vdt = np.dtype(dtype)
    cfg.idx_size = idt.itemsize
    cfg.val_size = vdt.itemsize
    cfg.max_line = max_line
    cfg.hash_all = hash_all
    cfg.hash_seed = hash_seed
    st.pos = st.lines = st.nrows = st.nnz = st.bad_lines = 0
    st.err_line = st.err_pos = st.err_value = 0
    st.err_code = 0
    if row_cap < 0:
        row_cap = n // 8 + 1
    if nnz_cap < 0:
        nnz_cap = n // 4 + 1
    labels = np.empty(max(row_cap, 0), dtype=np.float64)
    weights = np.empty(max(row_cap, 0), dtype=np.float64)
    indptr = np.empty(max(row_cap, 0) + 1, dtype=np.int64)
    indices = np.empty(max(nnz_cap, 0), dtype=idt)
    values = np.empty(max(nnz_cap, 0), dtype=vdt)
    ns = np.empty(max(nnz_cap, 0), dtype=np.uint8)
    initial = np.empty(max(row_cap, 0) if extra else 0, dtype=np.float64)
    tags = np.empty(2 * max(row_cap, 0) if extra else 0, dtype=np.int64)
    while True:
        rcap = labels.shape[0]
        ncap = indices.shape[0]
        a_lab, a_wt, a_ptr = labels.ctypes.data, weights.ctypes.data, indptr.ctypes.data
        a_idx, a_val, a_ns = indices.ctypes.data, values.ctypes.data, ns.ctypes.data
        a_init, a_tag = initial.ctypes.data, tags.ctypes.data
        ext.initial = <double *>a_init
        ext.tag = <int64_t *>a_tag
        with nogil:
            rc = fo_vw_parse(p, n, &cfg, &st, <double *>a_lab, <double *>a_wt,
                             <int64_t *>a_ptr, rcap, <void *>a_idx, <void *>a_val,
                             <unsigned char *>a_ns, ncap, extp)
        if rc != FO_LIBSVM_NEED_ROOM:
            break
        if st.nrows >= rcap:
            labels = _libsvm_grow(labels, st.nrows, rcap + 1)
            weights = _libsvm_grow(weights, st.nrows, rcap + 1)
            indptr = _libsvm_grow(indptr, st.nrows + 1, rcap + 2)
            if extra:
                initial = _libsvm_grow(initial, st.nrows, labels.shape[0])
                tags = _libsvm_grow(tags, 2 * st.nrows, 2 * labels.shape[0])
        else:
            indices = _libsvm_grow(indices, st.nnz, ncap + 1)
            values = _libsvm_grow(values, st.nnz, ncap + 1)
            ns = _libsvm_grow(ns, st.nnz, ncap + 1)
    if rc != FO_OK and rc != FO_LIBSVM_BAD_LINE:
        raise ValueError(f"VW parser rejected its arguments (status {rc})")
    err = None
    if st.err_code != 0:
        err = (st.err_code, st.err_line, st.err_pos, st.err_value)
    out = (labels[:st.nrows], weights[:st.nrows], indptr[:st.nrows + 1],
           indices[:st.nnz], values[:st.nnz], ns[:st.nnz], st.lines,
           st.bad_lines, err)
    if extra:
        out += (initial[:st.nrows], tags[:2 * st.nrows].reshape(st.nrows, 2))
    return out
