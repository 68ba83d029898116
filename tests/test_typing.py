"""The mypy configuration covers every module, and the strictly typed modules
annotate their public API (mypy itself runs in CI: `python -m mypy`)."""
import fnmatch
import importlib
import inspect
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _overrides():
    tomllib = pytest.importorskip("tomllib")   # Python >= 3.11
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    strict, untyped = [], []
    for o in cfg["overrides"]:
        mods = o["module"] if isinstance(o["module"], list) else [o["module"]]
        if o.get("strict"):
            strict += mods
        elif o.get("ignore_errors"):
            untyped += mods
    return strict, untyped


def _fastopt_modules():
    out = []
    for path in sorted((ROOT / "fastopt").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append(".".join(parts))
    return out


def _covered(module, patterns):
    return [p for p in patterns if p == module or fnmatch.fnmatchcase(module, p)]


def test_every_module_is_strict_or_listed_as_not_typed_yet():
    """A new module must be put in one list (fastopt._training was in
    neither, and failed mypy)."""
    strict, untyped = _overrides()
    modules = _fastopt_modules()
    assert "fastopt._training" in modules and "fastopt.minimize.lbfgs" in modules
    nowhere = [m for m in modules if not _covered(m, strict) and not _covered(m, untyped)]
    both = [m for m in modules if _covered(m, strict) and _covered(m, untyped)]
    assert not nowhere, f"in neither mypy list: {nowhere}"
    assert not both, f"in both mypy lists: {both}"


STRICT_PUBLIC = ["fastopt.minimize", "fastopt.prox", "fastopt.schedules", "fastopt.clip",
                 "fastopt.averaging", "fastopt.noise", "fastopt.init", "fastopt.data",
                 "fastopt.early_stopping", "fastopt.viz", "fastopt.problems",
                 "fastopt.datasets", "fastopt._training", "fastopt.glm",
                 "fastopt.distributed", "fastopt.distributed.minimize",
                 "fastopt.distributed.online", "fastopt.vw", "fastopt.online",
                 "fastopt.demo", "fastopt.cli"]


@pytest.mark.parametrize("name", STRICT_PUBLIC)
def test_strict_module_is_in_the_strict_list(name):
    strict, _ = _overrides()
    assert _covered(name, strict)


def _annotated_functions(obj):
    """(name, function) for what a user calls on obj: a function itself, or
    a class's __init__ and its public methods and property getters (its
    own and inherited from fastopt's classes)."""
    if not inspect.isclass(obj):
        return [("", obj)] if inspect.isfunction(obj) else []   # constants, aliases
    out = []
    for klass in obj.__mro__:
        if not klass.__module__.startswith("fastopt"):
            continue              # object's, an exception's, torch's own methods
        for name, member in vars(klass).items():
            if name.startswith("_") and name != "__init__":
                continue
            if isinstance(member, property):
                member = member.fget
            elif isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if inspect.isfunction(member):
                out.append((f".{name}", member))
    return out


@pytest.mark.parametrize("name", STRICT_PUBLIC)
def test_public_api_of_strict_module_is_annotated(name):
    if name.startswith("fastopt.distributed"):
        pytest.importorskip("distributed")     # the optional [dask] extra
    mod = importlib.import_module(name)
    checked = 0
    for attr in mod.__all__:
        for method, fn in _annotated_functions(getattr(mod, attr)):
            checked += 1
            where = f"{name}.{attr}{method}"
            assert "return" in fn.__annotations__, f"{where}: no return annotation"
            for p in inspect.signature(fn).parameters.values():
                if p.name in ("self", "cls"):
                    continue
                assert p.annotation is not inspect.Parameter.empty, \
                    f"{where}: parameter {p.name} has no annotation"
    assert checked >= 1
