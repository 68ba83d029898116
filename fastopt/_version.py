"""fastopt's version: the one place it is written.

pyproject.toml reads it (``[tool.setuptools.dynamic]``), so the installed
package's metadata and ``fastopt.__version__`` cannot disagree.  Versions
follow semantic versioning; CHANGELOG.md lists what each one changed.
"""
__version__ = "0.1.0"
