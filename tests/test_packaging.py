"""Packaging: the version has one source, the type information ships and
tells the truth about the compiled module, and setup.py picks the right
flags for GCC, clang (macOS with and without Homebrew's libomp) and MSVC.

The compiler families other than this machine's are checked through
setup.select_flags with fake probes (the probe is the only thing that
touches a compiler); .ci/run checks the sdist and the wheel themselves.
"""
import ast
import importlib.metadata
import importlib.resources
import importlib.util
import os
import re
import sys

import pytest

import fastopt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_setup():
    """setup.py as a module, without running setup()."""
    pytest.importorskip("setuptools")
    spec = importlib.util.spec_from_file_location("fastopt_setup_py",
                                                  os.path.join(ROOT, "setup.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def setup_py():
    return _load_setup()


class FakeCompiler:
    """A probe standing in for one compiler: `accepts(compile_args,
    link_args)` says whether a program builds with those flags, and `runs`
    whether a built OpenMP program prints 1.  Records every call."""

    def __init__(self, accepts=lambda c, l: True, runs=True, c11=True, clones=True):
        self.accepts, self.runs, self.c11, self.clones = accepts, runs, c11, clones
        self.calls = []

    def __call__(self, source, compile_args, link_args, run):
        self.calls.append((source, list(compile_args), list(link_args), run))
        if "target_clones" in source:
            return self.clones and self.accepts(compile_args, link_args)
        if "restrict" in source:
            return self.c11
        ok = self.accepts(compile_args, link_args)
        return ok and (self.runs if run else True)


def _gcc_like(c, l):
    return not any(a.startswith("/") for a in c + l)


def test_gcc_linux_threaded_with_clones(setup_py):
    probe = FakeCompiler(accepts=_gcc_like)
    flags = setup_py.select_flags("unix", "linux", {}, probe)
    assert flags.compile_args == setup_py.KERNEL_FLAGS + ["-fopenmp"]
    assert flags.link_args == ["-fopenmp"]
    assert flags.macros == [("FO_HAVE_TARGET_CLONES", "1")]
    assert flags.openmp
    assert "-ffp-contract=off" in flags.compile_args


def test_no_openmp_env_builds_serial_without_probing_openmp(setup_py):
    probe = FakeCompiler(accepts=_gcc_like)
    flags = setup_py.select_flags("unix", "linux", {"FASTOPT_NO_OPENMP": "1"}, probe)
    assert "-fopenmp" not in flags.compile_args and not flags.link_args
    assert not flags.openmp
    assert not any("omp.h" in src for src, *_ in probe.calls)
    assert any("FASTOPT_NO_OPENMP" in n for n in flags.notes)


def test_openmp_that_compiles_but_does_not_run_is_refused(setup_py):
    probe = FakeCompiler(accepts=_gcc_like, runs=False)
    flags = setup_py.select_flags("unix", "linux", {}, probe)
    assert not flags.openmp and "-fopenmp" not in flags.compile_args
    assert any("serial" in n for n in flags.notes)


def test_mingw_is_gcc_without_clones(setup_py):
    probe = FakeCompiler(accepts=_gcc_like, clones=False)
    flags = setup_py.select_flags("mingw32", "win32", {}, probe)
    assert flags.compile_args == setup_py.KERNEL_FLAGS + ["-fopenmp"]
    assert flags.macros == []


def _apple_clang(c, l):
    """Apple's clang: no -fopenmp of its own; -Xpreprocessor -fopenmp works
    with libomp's headers and library."""
    if "-fopenmp" in c and "-Xpreprocessor" not in c:
        return False
    return _gcc_like(c, l)


def test_apple_clang_without_libomp_builds_serial(setup_py):
    probe = FakeCompiler(accepts=_apple_clang, clones=False)
    prefixes = setup_py.libomp_prefixes({}, brew=lambda: None)
    flags = setup_py.select_flags("unix", "darwin", {}, probe, prefixes,
                                  isfile=lambda path: False)
    assert not flags.openmp
    assert not any("omp" in a for a in flags.compile_args + flags.link_args)
    assert flags.macros == []
    assert any("brew install libomp" in n for n in flags.notes)


@pytest.mark.parametrize("where", ["/opt/homebrew/opt/libomp", "/usr/local/opt/libomp",
                                   "/custom/libomp"])
def test_apple_clang_with_homebrew_libomp(setup_py, where):
    probe = FakeCompiler(accepts=_apple_clang, clones=False)
    env = {"FASTOPT_LIBOMP_PREFIX": "/custom/libomp"} if where == "/custom/libomp" else {}
    prefixes = setup_py.libomp_prefixes(env, brew=lambda: None)
    omp_h = os.path.join(where, "include", "omp.h")
    flags = setup_py.select_flags("unix", "darwin", env, probe, prefixes,
                                  isfile=lambda path: path == omp_h)
    assert flags.openmp
    assert flags.compile_args[-3:] == ["-Xpreprocessor", "-fopenmp",
                                       "-I" + os.path.join(where, "include")]
    assert flags.link_args == ["-L" + os.path.join(where, "lib"), "-lomp"]


def test_libomp_prefixes_order(setup_py):
    got = setup_py.libomp_prefixes({"FASTOPT_LIBOMP_PREFIX": "/a"}, brew=lambda: "/b")
    assert got == ["/a", "/b", "/opt/homebrew/opt/libomp", "/usr/local/opt/libomp"]


def test_msvc_openmp_baseline_build(setup_py):
    probe = FakeCompiler()
    flags = setup_py.select_flags("msvc", "win32", {}, probe)
    assert flags.compile_args == ["/O2", "/std:c11", "/openmp"]
    assert flags.link_args == [] and flags.macros == []
    assert flags.openmp
    # no GCC flag reaches MSVC, and target_clones is not even probed
    for _, c, l, _ in probe.calls:
        assert not any(a.startswith("-") for a in c + l)
    assert not any("target_clones" in src for src, *_ in probe.calls)


def test_msvc_without_openmp_builds_serial(setup_py):
    probe = FakeCompiler(accepts=lambda c, l: "/openmp" not in c)
    flags = setup_py.select_flags("msvc", "win32", {}, probe)
    assert flags.compile_args == ["/O2", "/std:c11"] and not flags.openmp


def test_msvc_too_old_fails_with_a_clear_message(setup_py):
    with pytest.raises(RuntimeError, match="Visual Studio 2019 16.8"):
        setup_py.select_flags("msvc", "win32", {}, FakeCompiler(c11=False))


def test_unknown_compiler_fails_with_a_clear_message(setup_py):
    with pytest.raises(RuntimeError, match="unsupported compiler type 'bcpp'"):
        setup_py.select_flags("bcpp", "win32", {}, FakeCompiler())


def test_setup_never_reads_compiler_so(setup_py):
    # setuptools' MSVC compiler class has no compiler_so: the build must
    # reach the compiler only through the compiler object's methods.
    with open(os.path.join(ROOT, "setup.py")) as f:
        tree = ast.parse(f.read())
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "compiler_so" not in attrs


def test_compiler_probe_with_this_machines_compiler(setup_py):
    """The real probe: a good program builds (and runs), a bad one does not."""
    from setuptools.command.build_ext import build_ext
    from setuptools.dist import Distribution

    cmd = build_ext(Distribution({"name": "probe"}))
    cmd.finalize_options()
    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler
    compiler = new_compiler(compiler=cmd.compiler)
    customize_compiler(compiler)
    probe = setup_py.compiler_probe(compiler)
    good = '#include <stdio.h>\nint main(void) { printf("1\\n"); return 0; }\n'
    if not probe(good, [], [], False):
        pytest.skip("no working C compiler here")
    assert probe(good, [], [], True)
    assert not probe("int main(void) { return syntax error; }", [], [], False)
    assert not probe('#include <stdio.h>\nint main(void) { printf("0\\n"); return 0; }\n',
                     [], [], True)


# ---- the version ----------------------------------------------------------------

def test_version_has_one_source():
    from fastopt._version import __version__

    assert fastopt.__version__ == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", __version__)
    try:
        dist = importlib.metadata.distribution("fastopt")
        files = [os.path.realpath(dist.locate_file(f)) for f in dist.files or ()]
    except importlib.metadata.PackageNotFoundError:
        dist, files = None, []
    if os.path.realpath(fastopt.__file__) in files:
        # an installed fastopt: its metadata was made from _version.py
        assert dist.version == __version__
    else:
        # the source tree: pyproject.toml reads the version from _version.py
        from setuptools.config.pyprojecttoml import read_configuration

        cfg = read_configuration(os.path.join(ROOT, "pyproject.toml"), expand=True)
        assert cfg["project"]["version"] == __version__


def test_changelog_has_this_version():
    with open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8") as f:
        text = f.read()
    assert "## [Unreleased]" in text
    assert re.search(rf"^## \[{re.escape(fastopt.__version__)}\] - \d{{4}}-\d\d-\d\d$",
                     text, re.M)


# ---- type information ------------------------------------------------------------

def test_py_typed_and_stub_ship_with_the_package():
    pkg = importlib.resources.files("fastopt")
    assert pkg.joinpath("py.typed").is_file()
    assert pkg.joinpath("_kernels.pyi").is_file()


def test_kernels_stub_names_exist_in_the_extension():
    """Every name the stub declares is in the compiled module (the stub may
    lag behind the extension -- it ends in __getattr__ -- but never lie)."""
    from fastopt import _kernels

    stub = importlib.resources.files("fastopt").joinpath("_kernels.pyi").read_text()
    names = []
    for node in ast.parse(stub).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.append(node.target.id)
    declared = [n for n in names if n not in ("__getattr__", "RuleKernel")]
    assert len(declared) > 20
    missing = [n for n in declared if not hasattr(_kernels, n)]
    assert not missing


def test_public_api_is_annotated():
    """The strictly typed modules annotate every public function (mypy
    --strict checks the rest in CI)."""
    import inspect

    import fastopt.kernels
    import fastopt.libsvm
    import fastopt.norm

    strict = ("fastopt.optim", "fastopt.sparse", "fastopt._threads", "fastopt.kernels",
              "fastopt.norm", "fastopt.libsvm")
    checked = 0
    for mod in (fastopt, fastopt.kernels, fastopt.norm, fastopt.libsvm):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not getattr(obj, "__module__", "").startswith(strict):
                continue   # another module's (typed by its owner)
            checked += 1
            if inspect.isfunction(obj):
                assert "return" in obj.__annotations__, f"{mod.__name__}.{name}"
            elif inspect.isclass(obj):
                assert "return" in obj.__init__.__annotations__, f"{mod.__name__}.{name}"
    assert checked > 40
