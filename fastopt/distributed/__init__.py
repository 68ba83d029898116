"""fastopt on Dask distributed: the same C kernels, with Dask's scheduler,
workers, futures and recomputation of lost work as the engine.

Optional: ``pip install "fastopt[dask]"``.  ``import fastopt`` never imports
Dask; importing this package without Dask raises ImportError naming that
extra.

- `minimize`: fastopt.minimize's solvers (lbfgs, bfgs, cg, newton,
  proximal_gradient, owlqn) on a sum over row blocks of Dask arrays.
- `LogisticRegression`, `LinearRegression`, `PoissonRegression`: GLM
  estimators (scikit-learn style) on Dask arrays or numpy/scipy inputs.
"""
from fastopt.distributed._dask import require_dask as _require_dask

_require_dask()

from fastopt.distributed.glm import (LinearRegression, LogisticRegression,  # noqa: E402
                                     PoissonRegression)
from fastopt.distributed.minimize import BlockSum, minimize  # noqa: E402

__all__ = ["minimize", "BlockSum", "LogisticRegression", "LinearRegression",
           "PoissonRegression"]
