"""fastopt on Dask distributed: the same C kernels, with Dask's scheduler,
workers, futures and recomputation of lost work as the engine.

Optional: ``pip install "fastopt[dask]"``.  ``import fastopt`` never imports
Dask; importing this package without Dask raises ImportError naming that
extra.

- `minimize`: fastopt.minimize's solvers (lbfgs, bfgs, cg, newton,
  proximal_gradient, owlqn) on a sum over row blocks of Dask arrays
  (fastopt/distributed/minimize.py).
- `LogisticRegression`, `LinearRegression`, `PoissonRegression`: GLM
  estimators (scikit-learn style) on Dask arrays or numpy/scipy inputs
  (fastopt/distributed/glm.py).
- `fit`: an online learner (FTRLClassifier, FTRLRegressor, RDAClassifier)
  trained on libsvm or VW text files or row-chunked Dask arrays, in rounds of
  ``sync_rows`` rows per partition whose sparse deltas are merged in a fixed
  order (fastopt/distributed/online.py).
"""
from fastopt.distributed._dask import require_dask as _require_dask

_require_dask()

from fastopt.distributed.glm import (LinearRegression, LogisticRegression,  # noqa: E402
                                     PoissonRegression)
from fastopt.distributed.minimize import BlockSum, minimize  # noqa: E402
from fastopt.distributed.online import fit  # noqa: E402

__all__ = ["minimize", "BlockSum", "LogisticRegression", "LinearRegression",
           "PoissonRegression", "fit"]
