"""Sphinx configuration of fastopt's documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(doctests: ``-b doctest``).  fastopt must be importable: the installed
package, or an in-place build of this checkout (``pip install -e .`` or
``python setup.py build_ext --inplace``), which is then used.  No network is
needed (no intersphinx, no remote images).
"""
import glob
import os
import re
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
sys.path.insert(0, os.path.join(_HERE, "_ext"))
# As tests/conftest.py: the checkout is used only when it holds a build; an
# uncompiled source tree would shadow the installed package (`python -m
# sphinx` run from the checkout puts it first on sys.path), so it is taken
# off the path then.
if any(f.endswith((".so", ".pyd")) for f in glob.glob(os.path.join(_ROOT, "fastopt", "_kernels*"))):
    sys.path.insert(0, _ROOT)
else:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _ROOT]

import fastopt  # noqa: E402

project = "fastopt"
author = "the fastopt developers"
copyright = "the fastopt developers, BSD-3-Clause"
release = getattr(fastopt, "__version__", "")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "numpydoc",
    "mdsection",
]

# fastopt.distributed (Dask, an optional extra) gets its API page when this
# is True: set it once the package is merged and its dependencies are
# installed where the docs are built.
DOCUMENT_DISTRIBUTED = True
smartquotes = False       # "--flag" stays two hyphens, quotes stay straight
exclude_patterns = ["_build"] + ([] if DOCUMENT_DISTRIBUTED else ["api/fastopt.distributed.rst"])
html_theme = "alabaster"
html_static_path = []

autodoc_default_options = {"show-inheritance": True}   # :members: is on each API page
autodoc_member_order = "bysource"
autodoc_typehints = "none"           # the signature shows them; numpydoc lists the types

numpydoc_show_class_members = False  # autodoc's :members: lists them once
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# numpydoc's validation of every documented object during the build: with -W
# a failing check fails the build.  PR01: a parameter is not documented; PR02:
# a documented parameter does not exist; RT01: no Returns section; GL08: no
# docstring.  The modules of other owners are excluded until their
# docstrings are complete (numpydoc_validation_exclude below).
numpydoc_validation_checks = {"PR01", "PR02", "RT01", "GL08"}
# fastopt.torch's drop-ins ("torch.optim.X run by fastopt.Y") take
# torch.optim.X's own signature, read from the installed torch when the
# module is imported: its flags (foreach, fused, capturable, differentiable)
# are accepted and checked but not used, and their set changes with torch's
# version.  Their docstring says "Arguments: torch.optim.X's" and shows the
# fastopt rule's documented parameters; a Parameters section that copied
# torch's would go stale with the next torch.  PR01 only is waived for them
# (matched on that docstring opening); every other check still applies.
numpydoc_validation_overrides = {"PR01": [r"^torch\.optim\.\w+ run by fastopt\."]}
numpydoc_validation_exclude = {
    # not yet documented to the numpydoc standard by their owners
    # properties and dunder methods document themselves in the class
    r"\.__\w+__$",
    # the problems' value and grad inherit Problem's docstrings (autodoc shows
    # them; numpydoc's validation looks at the override's own __doc__)
    r"^fastopt\.problems\.\w+\.(value|grad)$",
}

doctest_global_setup = """
import numpy as np
import fastopt
"""

# Docstrings of modules whose owners have not yet converted them to reST /
# numpydoc.  Such a docstring is shown verbatim (a literal block) when, and
# only when, it is not valid reST on its own (e.g. ``|x|`` read as a
# substitution); a valid one renders normally.  Remove a module from this
# list once its docstrings are converted: then any reST error in it fails the
# -W build like everywhere else.
PREFORMATTED_DOCSTRINGS = ()


def _is_valid_rst(text):
    import io

    from docutils.core import publish_doctree
    # Sphinx's roles (:class:`x` ...) need Sphinx's environment: they are
    # read as literals here, which is all this check needs of them.
    text = re.sub(r":[\w:.-]+:`([^`]*)`", r"``\1``", text)
    stream = io.StringIO()
    try:
        publish_doctree(text, settings_overrides={"report_level": 2, "halt_level": 5,
                                                  "warning_stream": stream})
    except Exception:   # Sphinx's own roles need Sphinx: let Sphinx judge it
        return True
    return not stream.getvalue()


def _preformat_unconverted(app, what, name, obj, options, lines):
    if not name.startswith(PREFORMATTED_DOCSTRINGS) and not (
            getattr(obj, "__module__", "") or "").startswith(PREFORMATTED_DOCSTRINGS):
        return
    if not lines or _is_valid_rst("\n".join(lines)):
        return
    lines[:] = ["::", ""] + ["    " + line for line in lines] + [""]


def setup(app):
    # after numpydoc's handler (priority 500), which dedents what it is given
    app.connect("autodoc-process-docstring", _preformat_unconverted, priority=900)
