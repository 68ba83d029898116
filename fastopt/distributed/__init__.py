"""fastopt on Dask distributed (the optional extra: ``pip install
"fastopt[dask]"``): the same C learners and solvers, their data spread over
a cluster's workers.

- :func:`fit`: an online learner (FTRLClassifier, FTRLRegressor,
  RDAClassifier) trained on libsvm files or row-chunked Dask arrays, in
  rounds of ``sync_rows`` rows per partition whose sparse deltas are merged
  in a fixed order (fastopt/distributed/online.py).

``import fastopt`` never imports Dask; this package checks first that Dask
distributed is installed and otherwise raises ImportError naming the extra.
"""
from fastopt.distributed._dask import require_dask

require_dask()

from fastopt.distributed.online import fit  # noqa: E402

__all__ = ["fit"]
