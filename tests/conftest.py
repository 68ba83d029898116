import glob
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))  # tests/reference.py, golden_cases.py

# `python -m pytest` in the checkout puts the checkout first on sys.path, so
# `import fastopt` would find the uncompiled source tree.  Without an in-place
# build there (`pip install -e .`, `python setup.py build_ext --inplace`), take
# the checkout off the path: the tests then run against the installed package,
# as `pytest` alone does.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BUILT = [f for f in glob.glob(os.path.join(_ROOT, "fastopt", "_kernels*"))
          if f.endswith((".so", ".pyd"))]
if not _BUILT:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _ROOT]
