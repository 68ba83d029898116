# Included by _kernels.pyx: the online learners' C loop (csrc/online.inc).
# The model state ((d + 1) x stride float64, or K of them for one-vs-rest)
# belongs to the Python estimator; X arrives as CSR arrays in any of float32/float64 values x
# int32/int64 indices, read in place (no copy).
from cpython.dict cimport PyDict_GetItem, PyDict_Next
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.object cimport PyObject
from libc.math cimport INFINITY, isfinite
from libc.stdint cimport int32_t
from libc.stdlib cimport realloc


cdef extern from "Python.h":
    long long PyLong_AsLongLongAndOverflow(object, int *) except? -1

cdef extern from "fastopt.h" nogil:
    int FO_ONLINE_FTRL, FO_ONLINE_RDA, FO_LOSS_LOGISTIC, FO_LOSS_SQUARED
    int FO_LOSS_HINGE, FO_LOSS_QUANTILE, FO_LOSS_POISSON, FO_NOMEM
    int FO_ONLINE_MAX_INTER

    ctypedef struct fo_online_cfg:
        int model, loss, fit_intercept
        double alpha, beta, l1, l2, gamma, rho, tau
        int n_inter, all_pairs
        unsigned char inter[192]
        int inter_len[64]

    ctypedef struct fo_online_model:
        double *state
        int64_t d
        int64_t t
        int64_t pitch
    int FO_ONLINE_STRIDE(int model)

    int fo_online_fit_f32_i32(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int32_t *, const int32_t *, const float *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_fit_f32_i64(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int64_t *, const int64_t *, const float *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_fit_f64_i32(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int32_t *, const int32_t *, const double *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_fit_f64_i64(const fo_online_cfg *, fo_online_model *, int64_t,
                              int64_t, const int64_t *, const int64_t *, const double *,
                              const unsigned char *, const double *, const double *,
                              const double *, const double *, const int64_t *, int64_t,
                              int,
                              double *, double *, int64_t *)
    int fo_online_margin_f32_i32(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int32_t *, const int32_t *,
                                 const float *, const unsigned char *, double *, int,
                                 int64_t *)
    int fo_online_margin_f32_i64(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int64_t *, const int64_t *,
                                 const float *, const unsigned char *, double *, int,
                                 int64_t *)
    int fo_online_margin_f64_i32(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int32_t *, const int32_t *,
                                 const double *, const unsigned char *, double *, int,
                                 int64_t *)
    int fo_online_margin_f64_i64(const fo_online_cfg *, const fo_online_model *,
                                 int64_t, const int64_t *, const int64_t *,
                                 const double *, const unsigned char *, double *, int,
                                 int64_t *)
    void fo_online_weights(const fo_online_cfg *, const fo_online_model *, double *)

ctypedef fused xvalue:
    float
    double

ctypedef fused xindex:
    int32_t
    int64_t

STATUS_OK, STATUS_BAD_INDEX, STATUS_NONFINITE, STATUS_DIVERGED, STATUS_NOMEM = (
    FO_OK, FO_BAD_INDEX, FO_NONFINITE, FO_DIVERGED, FO_NOMEM)
STATUS_BAD_ARG = FO_BAD_ARG
ONLINE_FTRL = FO_ONLINE_FTRL
ONLINE_RDA = FO_ONLINE_RDA
LOSS_LOGISTIC = FO_LOSS_LOGISTIC
LOSS_SQUARED = FO_LOSS_SQUARED
LOSS_HINGE = FO_LOSS_HINGE
LOSS_QUANTILE = FO_LOSS_QUANTILE
LOSS_POISSON = FO_LOSS_POISSON
ONLINE_MAX_INTER = FO_ONLINE_MAX_INTER


def online_stride(int model):
    """Doubles of state per coordinate: 3 for FTRL (w, n, z), 1 for RDA (G)."""
    return FO_ONLINE_STRIDE(model)


# a non-NULL pointer for an empty array, so that C can tell "no entries"
# from "no namespaces"
cdef unsigned char _NO_ENTRIES = 0


cdef const unsigned char *_ns_pointer(const unsigned char[::1] ns, Py_ssize_t nnz,
                                      bint needed) except? NULL:
    """The namespaces' pointer (one per entry), or NULL when none are given
    (an error when the model's interactions need them)."""
    if ns is None:
        if needed:
            raise ValueError("a model with interactions needs each entry's namespace")
        return NULL
    if ns.shape[0] != nnz:
        raise ValueError(f"namespaces has {ns.shape[0]} entries; X has {nnz}")
    return &ns[0] if nnz else &_NO_ENTRIES


cdef class OnlineModel:
    """The C model of an online learner: its configuration, its state -- a
    (d + 1, online_stride(model)) float64 array, one row per coordinate,
    the intercept last, or (d + 1, K, stride) for K one-vs-rest models
    trained together (coordinate j's K records side by side) -- and t, the examples seen.  Owned and validated by
    fastopt.online's estimators."""
    cdef fo_online_cfg cfg
    cdef fo_online_model *ms
    cdef readonly int64_t n_models
    cdef readonly object state
    # the one-row buffer of learn_row / margin_row (row_from_dict or
    # row_from_arrays fill it): n entries, room for cap
    cdef int64_t *row_idx
    cdef double *row_val
    cdef unsigned char *row_ns
    cdef int64_t row_n, row_cap

    def __cinit__(self, int model, int loss, bint fit_intercept, double alpha,
                  double beta, double l1, double l2, double gamma, double rho,
                  state, int64_t t, double tau=0.5, interactions=(),
                  bint all_pairs=False):
        """interactions: terms of 2 or 3 namespace indices (bytes), at most
        ONLINE_MAX_INTER; all_pairs: every pair of namespaces (-q ::)."""
        cdef int k, i
        cdef int stride = FO_ONLINE_STRIDE(model)
        cdef int64_t n_models = 1 if state.ndim == 2 else (state.shape[1] if state.ndim == 3 else 0)
        if n_models < 1 or state.shape[0] < 1 or state.shape[state.ndim - 1] != stride:
            raise ValueError(f"state must have shape (d + 1, [K,] {stride})")
        if not (isinstance(state, np.ndarray) and state.dtype == np.float64
                and state.flags.c_contiguous and state.flags.writeable):
            raise ValueError("state must be a writeable C-contiguous float64 array")
        cdef double[::1] sv = state.reshape(-1)  # a view
        cdef int64_t rows = state.shape[0]
        if len(interactions) > FO_ONLINE_MAX_INTER:
            raise ValueError(f"at most {FO_ONLINE_MAX_INTER} interactions")
        self.cfg.model, self.cfg.loss, self.cfg.fit_intercept = model, loss, fit_intercept
        self.cfg.alpha, self.cfg.beta, self.cfg.l1, self.cfg.l2 = alpha, beta, l1, l2
        self.cfg.gamma, self.cfg.rho, self.cfg.tau = gamma, rho, tau
        self.cfg.n_inter = len(interactions)
        self.cfg.all_pairs = all_pairs
        for k, term in enumerate(interactions):
            term = bytes(term)
            if len(term) not in (2, 3):
                raise ValueError("an interaction has 2 or 3 namespaces")
            self.cfg.inter_len[k] = len(term)
            for i in range(3):
                self.cfg.inter[3 * k + i] = term[i] if i < len(term) else 0
        self.ms = <fo_online_model *>malloc(n_models * sizeof(fo_online_model))
        if self.ms == NULL:
            raise MemoryError()
        self.n_models = n_models
        self.state = state
        for k in range(n_models):
            self.ms[k].state = &sv[k * stride]
            self.ms[k].d = rows - 1
            self.ms[k].t = t
            self.ms[k].pitch = n_models * stride

    def __dealloc__(self):
        free(self.ms)
        free(self.row_idx)
        free(self.row_val)
        free(self.row_ns)

    @property
    def t(self):
        return self.ms[0].t

    @property
    def crossed(self):
        """Whether the model has interactions (fit and margin need ns)."""
        return self.cfg.n_inter > 0 or self.cfg.all_pairs

    def fit(self, const xindex[::1] indptr, const xindex[::1] indices,
            const xvalue[::1] data, const double[::1] y, const int64_t[::1] order,
            int n_threads, double loss_sum, const unsigned char[::1] ns=None,
            const double[::1] sw=None, double[:, ::1] pred=None,
            const double[::1] base=None, const double[::1] pos_w=None):
        """Train on the rows (in `order`, or all in turn when it is None),
        adding each prediction's loss (times its weight in sw) to
        loss_sum.  An entry ~r (-1 - r) of `order` predicts row r where it
        stands (its margins to pred) and learns nothing from it.  y: the targets, or with K models each row's class index
        in [0, K).  ns: each entry's namespace index (needed with
        interactions).  pred: (rows, K), receives each row's margins made
        before its update.  base: (rows * K,) finite offsets added to the
        margins, row r's for model k at r * K + k (VW's initial prediction;
        checked by the caller).  pos_w: (K,) finite weights >= 0, K > 1
        models only: model k's positive rows (y == k) weigh sw times
        pos_w[k], its others sw (scikit-learn's one-vs-rest class_weight).
        Returns (status, loss_sum, bad_row)."""
        cdef int64_t nrows = indptr.shape[0] - 1, bad = -1
        cdef int64_t norder = order.shape[0] if order is not None else nrows
        cdef const int64_t *op = &order[0] if order is not None and norder else NULL
        cdef double loss = loss_sum
        cdef int rc
        cdef int64_t K = self.n_models
        cdef const xindex *ip = &indptr[0]
        cdef const xindex *ix = &indices[0] if indices.shape[0] else NULL
        cdef const xvalue *xv = &data[0] if data.shape[0] else NULL
        cdef const double *yp = &y[0] if y.shape[0] else NULL
        cdef const unsigned char *nsp = _ns_pointer(ns, data.shape[0], self.crossed)
        cdef const double *swp = NULL
        cdef const double *bp = NULL
        cdef const double *pwp = NULL
        cdef double *pp = NULL
        cdef int64_t i
        if y.shape[0] != nrows:
            raise ValueError("y must have one label per row")
        if K > 1:
            for i in range(nrows):
                if not (0 <= y[i] < K) or y[i] != <double>(<int64_t>y[i]):
                    raise ValueError(f"y[{i}] = {y[i]} is not a class index in [0, {K})")
        if sw is not None:
            if sw.shape[0] != nrows:
                raise ValueError("sample_weight must have one weight per row")
            swp = &sw[0] if nrows else NULL
        if base is not None:
            if base.shape[0] != nrows * K:
                raise ValueError(f"base must have {nrows * K} entries (rows x models)")
            bp = &base[0] if nrows else NULL
        if pos_w is not None:
            if K < 2 or pos_w.shape[0] != K:
                raise ValueError(f"pos_w must have one weight per model ({K}) of a "
                                 "one-vs-rest model")
            for i in range(K):
                if not (0.0 <= pos_w[i] < INFINITY):
                    raise ValueError(f"pos_w[{i}] = {pos_w[i]} is not a finite weight >= 0")
            pwp = &pos_w[0]
        if pred is not None:
            if pred.shape[0] != nrows or pred.shape[1] != K:
                raise ValueError(f"pred must have shape ({nrows}, {K})")
            pp = &pred[0, 0] if nrows else NULL
        if order is not None:
            for i in range(norder):
                if not -nrows <= order[i] < nrows:
                    raise ValueError(f"order[{i}] = {order[i]} is not a row of X "
                                     "(r, or ~r to predict it only)")
        with nogil:
            if xvalue is float and xindex is int32_t:
                rc = fo_online_fit_f32_i32(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
            elif xvalue is float:
                rc = fo_online_fit_f32_i64(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
            elif xindex is int32_t:
                rc = fo_online_fit_f64_i32(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
            else:
                rc = fo_online_fit_f64_i64(&self.cfg, self.ms, K, nrows, ip, ix, xv, nsp,
                                           yp, swp, pwp, bp, op, norder, n_threads, &loss, pp, &bad)
        return rc, loss, bad

    def margin(self, const xindex[::1] indptr, const xindex[::1] indices,
               const xvalue[::1] data, int n_threads, const unsigned char[::1] ns=None):
        """w . x (crossed features included) + intercept for every row (and
        every model: shape (rows, K) for K > 1 models).  Returns (status,
        margins, bad_row)."""
        cdef int64_t nrows = indptr.shape[0] - 1, bad = -1, k
        out = np.empty((self.n_models, nrows), dtype=np.float64)
        cdef double[:, ::1] ov = out
        cdef double *op
        cdef int rc = FO_OK
        cdef const xindex *ip = &indptr[0]
        cdef const xindex *ix = &indices[0] if indices.shape[0] else NULL
        cdef const xvalue *xv = &data[0] if data.shape[0] else NULL
        cdef const unsigned char *nsp = _ns_pointer(ns, data.shape[0], self.crossed)
        for k in range(self.n_models):
            op = &ov[k, 0] if nrows else NULL
            with nogil:
                if xvalue is float and xindex is int32_t:
                    rc = fo_online_margin_f32_i32(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
                elif xvalue is float:
                    rc = fo_online_margin_f32_i64(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
                elif xindex is int32_t:
                    rc = fo_online_margin_f64_i32(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
                else:
                    rc = fo_online_margin_f64_i64(&self.cfg, &self.ms[k], nrows, ip, ix, xv, nsp, op, n_threads, &bad)
            if rc != FO_OK:
                break
        return rc, (out[0] if self.n_models == 1 else np.ascontiguousarray(out.T)), bad

    cdef int _row_reserve(self, int64_t n) except -1:
        """Room for n entries in the one-row buffer."""
        cdef int64_t cap = 16 if self.row_cap < 16 else self.row_cap
        cdef void *p
        cdef int k
        if n <= self.row_cap:
            return 0
        while cap < n:
            cap *= 2
        for k in range(3):
            p = realloc(self.row_idx if k == 0 else self.row_val if k == 1
                        else <void *>self.row_ns,
                        cap * (sizeof(int64_t) if k == 0 else sizeof(double) if k == 1
                               else 1))
            if p == NULL:
                raise MemoryError()
            if k == 0:
                self.row_idx = <int64_t *>p
            elif k == 1:
                self.row_val = <double *>p
            else:
                self.row_ns = <unsigned char *>p
        self.row_cap = cap
        return 0

    def row_from_dict(self, dict x, dict names, Py_ssize_t cache_max):
        """Load feature dict x into the one-row buffer (_load_dict): True,
        or False where x needs the general path (nothing loaded)."""
        return self._load_dict(x, names, cache_max) == 1

    cdef int _load_dict(self, dict x, dict names, Py_ssize_t cache_max) except -1:
        """Load feature dict x {name: value} into the one-row buffer: each
        name's column from `names` (a cache of name -> column), a new name
        hashed as VW hashes its default namespace (fo_vw_hash, seed 0) into
        the model's d columns (a power of two) and cached (`names` cleared
        first once it holds cache_max names).  Returns 1, or 0 -- nothing
        loaded -- where a value is not a float or an int of int64 range (the
        caller converts such rows itself: row_from_arrays).  Raises
        TypeError for a name that is not a str, ValueError for a value that
        is not finite (names are all checked first)."""
        cdef int64_t d = self.ms[0].d, n = len(x), e = 0, col
        cdef Py_ssize_t pos = 0
        cdef PyObject *kp
        cdef PyObject *vp
        cdef PyObject *cp
        cdef int overflow = 0
        cdef bint finite = True, general = False
        cdef double v
        if d & (d - 1):
            raise ValueError(f"feature dicts are hashed into 2**bits columns, not {d}")
        self.row_n = 0
        self._row_reserve(n)
        while PyDict_Next(x, &pos, &kp, &vp):
            # own the key and value before any Python code can run (a key's
            # __hash__ / __eq__, a finalizer, another thread) and change x;
            # and never write past the n entries reserved
            name = <object>kp
            value = <object>vp
            if e >= n:
                raise RuntimeError("dictionary changed size during iteration")
            cp = PyDict_GetItem(names, name)
            if cp != NULL:
                col = <object>cp
            else:
                if not isinstance(name, str):
                    raise TypeError(f"feature names must be str, got {name!r}")
                b = (<str>name).encode("utf-8")
                col = <int64_t>(fo_vw_hash(<const char *>b, len(b), 0) & <unsigned long long>(d - 1))
                if len(names) >= cache_max:
                    names.clear()
                names[name] = col
            self.row_idx[e] = col
            if type(value) is float:
                v = PyFloat_AS_DOUBLE(value)
            elif type(value) is int:
                v = <double>PyLong_AsLongLongAndOverflow(value, &overflow)
                general = general or overflow != 0
            else:
                general, v = True, 0.0
            finite = finite and isfinite(v)
            self.row_val[e] = v
            e += 1
        if e != n:
            raise RuntimeError("dictionary changed size during iteration")
        if general:
            return 0
        if not finite:
            raise ValueError("x contains NaN or infinity")
        self.row_n = n
        return 1

    def row_from_arrays(self, const int64_t[::1] indices, const double[::1] data):
        """Load one row (its column indices and values, checked by the
        caller) into the one-row buffer."""
        cdef int64_t e, n = indices.shape[0]
        if data.shape[0] != n:
            raise ValueError("indices and data must have one entry each")
        self._row_reserve(n)
        for e in range(n):
            self.row_idx[e] = indices[e]
            self.row_val[e] = data[e]
        self.row_n = n

    cdef const unsigned char *_row_ns(self, int ns_byte):
        """The loaded row's namespaces (every entry ns_byte) where the model
        crosses namespaces, else NULL."""
        cdef int64_t e
        if not self.crossed:
            return NULL
        for e in range(self.row_n):
            self.row_ns[e] = ns_byte
        return self.row_ns if self.row_n else &_NO_ENTRIES

    def learn_row(self, double target, double weight, double loss_sum, int ns_byte,
                  const double[::1] pos_w=None):
        """fit on the loaded row (_learn): (status, loss_sum, bad_row,
        margins)."""
        return self._learn(target, weight, loss_sum, ns_byte, pos_w)

    cdef tuple _learn(self, double target, double weight, double loss_sum, int ns_byte,
                      const double[::1] pos_w):
        """fit on the loaded row (one step of the same C loop, nrows = 1):
        target (a class index of K > 1 models), weight (>= 0; 1.0 is no
        weight), ns_byte: every entry's namespace (models with
        interactions), pos_w as fit's.  Returns (status, loss_sum, bad_row,
        margins): margins, the list of the K margins made before the
        update."""
        cdef int64_t K = self.n_models, bad = -1, k
        cdef int64_t indptr[2]
        cdef double y = target, loss = loss_sum
        cdef double stack_pred[8]
        cdef double *pred = stack_pred
        cdef const double *pwp = NULL
        cdef int rc
        if K > 1 and (not (0 <= target < K) or target != <double>(<int64_t>target)):
            raise ValueError(f"target = {target} is not a class index in [0, {K})")
        if not (0.0 <= weight < INFINITY):
            raise ValueError(f"weight = {weight} is not a finite weight >= 0")
        if pos_w is not None:
            if K < 2 or pos_w.shape[0] != K:
                raise ValueError(f"pos_w must have one weight per model ({K}) of a "
                                 "one-vs-rest model")
            for k in range(K):
                if not (0.0 <= pos_w[k] < INFINITY):
                    raise ValueError(f"pos_w[{k}] = {pos_w[k]} is not a finite weight >= 0")
            pwp = &pos_w[0]
        if K > 8:
            pred = <double *>malloc(K * sizeof(double))
            if pred == NULL:
                raise MemoryError()
        indptr[0], indptr[1] = 0, self.row_n
        try:
            rc = fo_online_fit_f64_i64(&self.cfg, self.ms, K, 1, indptr, self.row_idx,
                                       self.row_val, self._row_ns(ns_byte), &y,
                                       NULL if weight == 1.0 else &weight, pwp, NULL,
                                       NULL, 1, 1, &loss, pred, &bad)
            margins = [pred[k] for k in range(K)]
        finally:
            if pred != stack_pred:
                free(pred)
        return rc, loss, bad, margins

    def learn_dict(self, dict x, dict names, Py_ssize_t cache_max, dict index, y,
                   double weight, double loss_sum, int ns_byte):
        """row_from_dict(x, names, cache_max), then, where y is a key of
        index (label -> class index, or None for none), learn_row(index[y],
        weight, loss_sum, ns_byte): learn_one's common case in one call.
        Returns learn_row's tuple; else nothing is learned: False where x
        needs the general path (row_from_dict False: nothing loaded), None
        where y is not in index (the row is loaded: the caller resolves y
        and calls learn_row)."""
        cdef PyObject *tp
        if not self._load_dict(x, names, cache_max):
            return False
        if index is None:
            return None
        tp = PyDict_GetItem(index, y)   # NULL: missing (or unhashable: no error set)
        if tp == NULL:
            return None
        return self._learn(<double>(<object>tp), weight, loss_sum, ns_byte, None)

    def margin_dict(self, dict x, dict names, Py_ssize_t cache_max, int ns_byte):
        """row_from_dict(x, names, cache_max), then margin_row(ns_byte):
        its tuple, or None -- nothing loaded -- where x needs the general
        path."""
        if not self._load_dict(x, names, cache_max):
            return None
        return self.margin_row(ns_byte)

    def margin_row(self, int ns_byte):
        """w . x + intercept of the loaded row: (status, margin, bad_row),
        the margin a float, or the list of the K margins of K > 1 models."""
        cdef int64_t indptr[2]
        cdef int64_t bad = -1, k
        cdef double m = 0.0
        cdef int rc = FO_OK
        cdef const unsigned char *nsp = self._row_ns(ns_byte)
        indptr[0], indptr[1] = 0, self.row_n
        if self.n_models == 1:
            rc = fo_online_margin_f64_i64(&self.cfg, self.ms, 1, indptr, self.row_idx,
                                          self.row_val, nsp, &m, 1, &bad)
            return rc, m, bad
        out = []
        for k in range(self.n_models):
            rc = fo_online_margin_f64_i64(&self.cfg, &self.ms[k], 1, indptr, self.row_idx,
                                          self.row_val, nsp, &m, 1, &bad)
            if rc != FO_OK:
                break
            out.append(m)
        return rc, out, bad

    def weights(self):
        """The d + 1 weights now (intercept last); (K, d + 1) for K models."""
        cdef int64_t k
        out = np.empty((self.n_models, self.ms[0].d + 1), dtype=np.float64)
        cdef double[:, ::1] ov = out
        for k in range(self.n_models):
            fo_online_weights(&self.cfg, &self.ms[k], &ov[k, 0])
        return out[0] if self.n_models == 1 else out
