"""Build fastopt's compiled core: C99 kernels in csrc/ wrapped by Cython.

Probes decide the flags, each by compiling (and, for OpenMP, running) a tiny
program with the compiler object that will build the extension, so that they
work for every compiler setuptools drives:

* GCC and clang ("unix", "mingw32", "cygwin" compiler types): the kernel
  flags below; OpenMP with -fopenmp.  On macOS, where Apple's clang has no
  OpenMP of its own, Homebrew's libomp is used when it is installed
  (FASTOPT_LIBOMP_PREFIX, `brew --prefix libomp`, /opt/homebrew/opt/libomp
  or /usr/local/opt/libomp); otherwise the kernels are built serial.
* target_clones: where GCC/clang can clone functions per instruction set and
  the platform resolves them at load time (x86-64 Linux), every element loop
  gets AVX2 and AVX-512 versions beside the baseline one, so a portable build
  (no -march=native) still runs the widest vectors the CPU has.
* MSVC: /O2 /std:c11 (C11 for `restrict` and `_Pragma`; Visual Studio 2019
  16.8 or newer) and /openmp.  No target_clones: a baseline build.

Without a working OpenMP the kernels are built serial and
fastopt.openmp_enabled() says so; FASTOPT_NO_OPENMP=1 forces that (CI uses it
to test the serial path).  An unsupported compiler, or an MSVC too old for
C11, stops the build with a message saying so.

`select_flags` holds every decision and takes the probe as an argument, so
tests/test_packaging.py checks it with fake compilers for all three families.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Flags that let loops with sqrt vectorise (no errno), let if-converted
# comparisons vectorise (no trapping math), and keep results bitwise identical
# between the vector body, the scalar tail and every instruction set (no FMA
# contraction).  None of them changes a computed value.
KERNEL_FLAGS = ["-std=c99", "-O3", "-fno-math-errno", "-fno-trapping-math",
                "-ffp-contract=off"]
# MSVC: /fp:precise (its default) does not contract to FMA in C.
MSVC_FLAGS = ["/O2", "/std:c11"]

GCC_LIKE = ("unix", "mingw32", "cygwin")

OPENMP_PROBE = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n > 0 && omp_get_max_threads() > 0);
    return 0;
}
"""

CLONES_PROBE = r"""
__attribute__((target_clones("default", "avx2", "avx512f")))
static int f(int x) { return x + 1; }
int (*volatile fp)(int) = f;
int main(void) { __builtin_cpu_init(); return fp(-1); }
"""

# What csrc/ needs of C beyond C89 that MSVC accepts only in its C11 mode.
C11_PROBE = r"""
#define FO_PARALLEL _Pragma("omp parallel")
static int sum(int n, const int *restrict a) {
    int s = 0;
    for (int i = 0; i < n; i++) s += a[i];
    return s;
}
static void touch(int *x) {
    FO_PARALLEL
    { *x += 0; }
}
int main(void) { int a[2] = {1, -1}; touch(a); return sum(2, a); }
"""


class BuildFlags:
    """The outcome of `select_flags`: arguments for every extension and the
    lines the build prints about them."""

    def __init__(self):
        self.compile_args = []
        self.link_args = []
        self.macros = []
        self.notes = []
        self.openmp = False


def libomp_prefixes(environ=os.environ, brew=None):
    """Where Homebrew's libomp may live, most specific first."""
    out = []
    if environ.get("FASTOPT_LIBOMP_PREFIX"):
        out.append(environ["FASTOPT_LIBOMP_PREFIX"])
    if brew is None:
        brew = _brew_prefix
    found = brew()
    if found:
        out.append(found)
    out += ["/opt/homebrew/opt/libomp", "/usr/local/opt/libomp"]
    return out


def _brew_prefix():
    """`brew --prefix libomp`, or None without Homebrew."""
    try:
        out = subprocess.run(["brew", "--prefix", "libomp"], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def openmp_candidates(compiler_type, platform, prefixes=(), isfile=os.path.isfile):
    """(compile args, link args) pairs to try for OpenMP, in order."""
    if compiler_type == "msvc":
        return [(["/openmp"], [])]
    out = [(["-fopenmp"], ["-fopenmp"])]
    if platform == "darwin":
        # Apple clang: the preprocessor flag plus Homebrew's libomp.
        for prefix in prefixes:
            if isfile(os.path.join(prefix, "include", "omp.h")):
                out.append((["-Xpreprocessor", "-fopenmp",
                             "-I" + os.path.join(prefix, "include")],
                            ["-L" + os.path.join(prefix, "lib"), "-lomp"]))
                break
    return out


def select_flags(compiler_type, platform, environ, probe, prefixes=(),
                 isfile=os.path.isfile):
    """Decide the compile and link arguments.

    probe(source, compile_args, link_args, run) -> bool compiles and links
    `source` (and with run=True runs it and wants "1" on stdout).  Raises
    RuntimeError for a compiler fastopt cannot be built with.
    """
    flags = BuildFlags()
    if compiler_type == "msvc":
        if not probe(C11_PROBE, MSVC_FLAGS, [], False):
            raise RuntimeError(
                "fastopt: this MSVC does not compile C11 (/std:c11: `restrict`, "
                "_Pragma); fastopt needs Visual Studio 2019 16.8 or newer")
        flags.compile_args += MSVC_FLAGS
    elif compiler_type in GCC_LIKE:
        flags.compile_args += KERNEL_FLAGS
    else:
        raise RuntimeError(
            f"fastopt: unsupported compiler type {compiler_type!r}; fastopt builds "
            "with GCC or clang (compiler types unix, mingw32, cygwin) or MSVC")

    if environ.get("FASTOPT_NO_OPENMP"):
        flags.notes.append("fastopt: FASTOPT_NO_OPENMP set; building serial kernels")
    else:
        for cflags, lflags in openmp_candidates(compiler_type, platform, prefixes, isfile):
            if probe(OPENMP_PROBE, flags.compile_args + cflags, lflags, True):
                flags.compile_args += cflags
                flags.link_args += lflags
                flags.openmp = True
                flags.notes.append("fastopt: OpenMP found (%s); building threaded "
                                   "kernels" % " ".join(cflags))
                break
        else:
            hint = (" (on macOS: `brew install libomp`, or set FASTOPT_LIBOMP_PREFIX)"
                    if platform == "darwin" else "")
            flags.notes.append("fastopt: no working OpenMP; building serial kernels"
                               + hint)

    if compiler_type == "msvc":
        flags.notes.append("fastopt: MSVC has no target_clones; baseline vector code only")
    elif probe(CLONES_PROBE, flags.compile_args, [], False):
        flags.macros.append(("FO_HAVE_TARGET_CLONES", "1"))
        flags.notes.append("fastopt: target_clones available; AVX2/AVX-512 dispatch on")
    else:
        flags.notes.append("fastopt: no target_clones; baseline vector code only")
    return flags


def compiler_probe(compiler):
    """A `select_flags` probe that uses setuptools' compiler object (any
    compiler type: it never looks at compiler-specific attributes)."""
    from setuptools.errors import CompileError, LinkError

    def probe(source, compile_args, link_args, run):
        tmp = tempfile.mkdtemp(prefix="fastopt-probe-")
        try:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as f:
                f.write(source)
            objects = compiler.compile([src], output_dir=tmp,
                                       extra_postargs=list(compile_args))
            compiler.link_executable(objects, "probe", output_dir=tmp,
                                     extra_postargs=list(link_args))
            if not run:
                return True
            exe = os.path.join(tmp, compiler.executable_filename("probe"))
            out = subprocess.run([exe], capture_output=True, text=True, timeout=60)
            return out.returncode == 0 and out.stdout.strip() == "1"
        except (CompileError, LinkError, OSError, subprocess.SubprocessError):
            return False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    return probe


class BuildExt(build_ext):
    def build_extensions(self):
        kind = self.compiler.compiler_type
        prefixes = libomp_prefixes() if sys.platform == "darwin" else ()
        flags = select_flags(kind, sys.platform, os.environ,
                             compiler_probe(self.compiler), prefixes)
        for line in flags.notes:
            print(line)
        for ext in self.extensions:
            ext.extra_compile_args = flags.compile_args + ext.extra_compile_args
            ext.extra_link_args = flags.link_args + ext.extra_link_args
            ext.define_macros = flags.macros + ext.define_macros
        super().build_extensions()


def extensions():
    from Cython.Build import cythonize

    csrc = ["csrc/runtime.c", "csrc/kernels.c", "csrc/sparse.c", "csrc/prox.c", "csrc/libsvm.c",
            "csrc/quasi_newton.c", "csrc/coordinate_descent.c", "csrc/clip.c",
            "csrc/norm.c", "csrc/vw.c", "csrc/format.c", "csrc/glm.c"]
    ext = Extension(
        "fastopt._kernels",
        sources=["fastopt/_kernels.pyx"] + csrc,
        include_dirs=["csrc"],
        depends=[os.path.join("csrc", f) for f in os.listdir("csrc")],
    )
    return cythonize(
        [ext],
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False},
    )


if __name__ == "__main__":
    setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
