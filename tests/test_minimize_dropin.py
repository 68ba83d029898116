"""fastopt.minimize through scipy.optimize.minimize's own calling conventions
(issue 14): each case makes the same call on both and compares the outcome --
result fields, exception types, warning categories."""
import warnings

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import OptimizeWarning, rosen, rosen_der, rosen_hess

import fastopt

SCIPY_NAME = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "cg": "CG", "newton": "Newton-CG"}
METHODS = list(SCIPY_NAME)


def both(fun, x0, method, **kw):
    """The same call on fastopt.minimize and scipy.optimize.minimize."""
    r = fastopt.minimize(fun, x0, method=method, **kw)
    s = so.minimize(fun, x0, method=SCIPY_NAME[method], **kw)
    return r, s


# ---- the two bugs at the top of the issue ------------------------------------------

def test_lbfgs_maxfun_stops_with_status_1():
    r, s = both(rosen, np.full(7, 1e3), "lbfgs", jac=rosen_der, options={"maxfun": 50})
    assert r.status == s.status == 1 and not r.success and not s.success
    assert r.message == s.message
    assert abs(r.nfev - s.nfev) <= 2


def test_bfgs_stiff_update_keeps_the_tiny_inverse_curvature():
    kw = dict(jac=lambda x: 2e30 * (x - 1), options={"gtol": 1e22})
    r, s = both(lambda x: 1e30 * (x[0] - 1) ** 2, [-1.0], "bfgs", **kw)
    np.testing.assert_allclose(r.x, [1.0])
    np.testing.assert_allclose(r.x, s.x)
    assert r.success == s.success and r.nit == s.nit
    assert r.hess_inv[0, 0] > 0
