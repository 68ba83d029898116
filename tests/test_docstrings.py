"""Docstrings of the public API: numpydoc sections that match the signatures,
and examples that run.

Every public callable (a module's ``__all__``, and the public methods of its
classes) of the modules below must have a numpydoc docstring whose Parameters
section names exactly the parameters of its signature, and a Returns (or
Yields) section unless it is annotated ``-> None``.  Their examples run as
doctests here, as ``sphinx -b doctest`` runs them in CI.  The command line
(fastopt.cli, fastopt.cli_online, fastopt.demo) is documented by its --help
and the README, not here.
"""
import doctest
import importlib
import importlib.util
import inspect
import warnings

import numpy as np
import pytest

docscrape = pytest.importorskip("numpydoc.docscrape")  # the `docs` extra

MODULES = ["fastopt.prox", "fastopt.schedules", "fastopt.clip", "fastopt.averaging",
           "fastopt.noise", "fastopt.init", "fastopt.data", "fastopt.early_stopping",
           "fastopt.viz", "fastopt.problems", "fastopt.datasets", "fastopt.minimize",
           "fastopt.minimize.line_search", "fastopt.optim", "fastopt.sparse",
           "fastopt.norm", "fastopt.glm", "fastopt.kernels", "fastopt.libsvm", "fastopt.vw",
           "fastopt.online"]
if importlib.util.find_spec("distributed") is not None:   # the `dask` extra
    MODULES += ["fastopt.distributed", "fastopt.distributed.minimize",
                "fastopt.distributed.glm"]
# Not here: fastopt.torch, whose drop-ins take
# the installed torch.optim class's signature (foreach, fused, ... change with
# torch's version) and document the fastopt rule's parameters only (docs/conf.py
# waives numpydoc's PR01 for them, and for them only).


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _public_callables():
    """(qualified name, object) of every public function, class and method."""
    seen = set()
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{modname}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        yield f"{modname}.{name}.{attr}", member


CALLABLES = list(_public_callables())


def _signature_names(obj):
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return []            # an exception's arguments are its message
    names = []
    for p in inspect.signature(obj).parameters.values():
        if p.name in ("self", "cls"):
            continue
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        names.append(prefix + p.name)
    return names


def _numpydoc(obj):
    doc = inspect.getdoc(obj)   # inherits an overridden method's docstring
    assert doc, "no docstring"
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # e.g. a mis-underlined section
        return docscrape.NumpyDocString(doc)


def test_the_list_is_not_empty():
    # a broken __all__ or import would otherwise pass every test vacuously
    assert len(CALLABLES) > 80


@pytest.mark.parametrize("name,obj", CALLABLES, ids=[n for n, _ in CALLABLES])
def test_parameters_section_matches_the_signature(name, obj):
    doc = _numpydoc(obj)
    assert doc["Summary"], f"{name}: no one-line summary"
    documented = []
    for param in doc["Parameters"]:
        # "x, y : float" documents two parameters
        documented += [p.strip() for p in param.name.split(",")]
    expected = _signature_names(obj)
    assert documented == expected, (
        f"{name}: the Parameters section lists {documented}, the signature has {expected}")


@pytest.mark.parametrize("name,obj", [(n, o) for n, o in CALLABLES if not inspect.isclass(o)],
                         ids=[n for n, o in CALLABLES if not inspect.isclass(o)])
def test_returns_section(name, obj):
    if inspect.signature(obj).return_annotation in (None, "None"):
        return
    doc = _numpydoc(obj)
    assert doc["Returns"] or doc["Yields"], f"{name}: no Returns section"


def test_a_missing_parameter_is_caught():
    # the check above can fail: a docstring that forgets a parameter
    def f(a, b=1):
        """Do something.

        Parameters
        ----------
        a : int
            The first.

        Returns
        -------
        int
            Something.
        """
    with pytest.raises(AssertionError, match=r"lists \['a'\], the signature has \['a', 'b'\]"):
        test_parameters_section_matches_the_signature("f", f)


DOCTEST_MODULES = [m for m in MODULES + ["fastopt.datasets._clicklike", "fastopt.minimize._common",
                                         "fastopt.minimize.bfgs", "fastopt.minimize.lbfgs",
                                         "fastopt.minimize.cg", "fastopt.minimize.steepest",
                                         "fastopt.minimize.newton",
                                         "fastopt.minimize.proximal_gradient",
                                         "fastopt.minimize.coordinate_descent",
                                         "fastopt.minimize.owlqn", "fastopt.optim.adaptive",
                                         "fastopt.optim.base", "fastopt.optim.proximal",
                                         "fastopt.optim.sgd", "fastopt._threads",
                                         "fastopt.online.estimators"]
                   if m not in ("fastopt.optim", "fastopt.distributed", "fastopt.online")   # packages: their
                   # classes and functions (and examples) live in their modules
                   and (m != "fastopt.viz" or _has_matplotlib())]


@pytest.mark.parametrize("modname", DOCTEST_MODULES)
def test_examples_run(modname):
    import fastopt
    mod = importlib.import_module(modname)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(mod, modname, globs={"np": np, "fastopt": fastopt})
             if t.examples]
    for t in tests:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
    assert result.attempted > 0, f"{modname} has no examples"
