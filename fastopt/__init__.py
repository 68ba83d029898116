"""fastopt: an optimizer core for Python, hot loops in C with OpenMP.

Every first-order update rule of deep-learning optimization, reproducing
torch.optim (and TensorFlow where named) to round-off, float32 and float64,
many arrays per step in one pass.  See README.md.

The optimizer classes, SparseGrad, EarlyStopping and the thread helpers are
imported here; the submodules kernels, prox, minimize, schedules, clip,
noise, averaging, data and init are imported on first use.

Examples
--------
>>> import numpy as np, fastopt
>>> w = np.array([3.0, -4.0])
>>> opt = fastopt.SGD(w, lr=0.25)
>>> for _ in range(3):
...     opt.step(2 * w)                 # the gradient of sum(w ** 2)
>>> w
array([ 0.375, -0.5  ])
>>> fastopt.__version__ == fastopt._version.__version__
True
"""
from types import ModuleType as _ModuleType
from typing import TYPE_CHECKING as _TYPE_CHECKING

try:
    from fastopt import _kernels as _kernels  # the compiled core
except ImportError as _e:  # pragma: no cover - exercised in a subprocess test
    import os as _os
    raise ImportError(
        f"fastopt's compiled core (fastopt._kernels) cannot be imported from "
        f"{_os.path.dirname(__file__)}: {_e}\n"
        "If that folder is a source checkout, Python is importing the uncompiled "
        "source tree instead of the installed package. Either\n"
        "  - run from outside the checkout (pytest does: `pip install \".[test]\" && "
        "pytest`), or\n"
        "  - build in place for development: `pip install -e .` or "
        "`python setup.py build_ext --inplace`.\n"
        "If fastopt was installed from a wheel or sdist, the installation is broken: "
        "reinstall it with `pip install --force-reinstall --no-cache-dir fastopt`."
    ) from None
from fastopt._threads import effective_n_threads, openmp_enabled
from fastopt.early_stopping import EarlyStopping
from fastopt.optim import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamW,
                           DeltaBarDelta, Nadam, Optimizer, RMSProp)
from fastopt.optim import FTRL, RDA, AdagradDA, ProximalAdagrad, ProximalSGD
from fastopt.sparse import SparseGrad
from fastopt._version import __version__ as __version__  # re-exported (mypy)

if _TYPE_CHECKING:  # imported lazily at run time (see __getattr__)
    from fastopt import (averaging, clip, data, init, kernels, minimize, noise,
                         prox, schedules)

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSProp", "Adam",
           "AdamW", "Adamax", "Nadam", "DeltaBarDelta", "ProximalSGD",
           "ProximalAdagrad", "AdagradDA", "FTRL", "RDA", "SparseGrad", "openmp_enabled",
           "effective_n_threads", "EarlyStopping", "kernels", "prox", "minimize",
           "schedules", "clip", "noise", "averaging", "data", "init", "glm"]

_LAZY = ("kernels", "prox", "minimize", "schedules", "clip", "noise", "averaging",
         "data", "init", "glm")


def __getattr__(name: str) -> _ModuleType:
    """Import the submodules of `_LAZY` on first use (so ``import fastopt``
    stays light); AttributeError for any other unknown name."""
    if name in _LAZY:
        import importlib
        return importlib.import_module(f"fastopt.{name}")
    raise AttributeError(f"module 'fastopt' has no attribute {name!r}")
