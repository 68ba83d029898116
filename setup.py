"""Build fastopt's compiled core: C99 kernels in csrc/ wrapped by Cython.

Two probes decide the flags, each by compiling (and, for OpenMP, running) a
tiny program with the compiler that will build the extension:

* OpenMP: with it the kernels are threaded; without it they are built serial
  and fastopt.openmp_enabled() says so.
* target_clones: where GCC/clang can clone functions per instruction set and
  the platform resolves them at load time (x86-64 Linux), every element loop
  gets AVX2 and AVX-512 versions beside the baseline one, so a portable build
  (no -march=native) still runs the widest vectors the CPU has.

FASTOPT_NO_OPENMP=1 forces the serial build (CI uses it to test that path).
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Flags that let loops with sqrt vectorise (no errno), let if-converted
# comparisons vectorise (no trapping math), and keep results bitwise identical
# between the vector body, the scalar tail and every instruction set (no FMA
# contraction).  None of them changes a computed value.
KERNEL_FLAGS = ["-std=c99", "-O3", "-fno-math-errno", "-fno-trapping-math",
                "-ffp-contract=off"]

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


def _try(compiler, source, flags, run=False):
    """Compile (and link, and optionally run) `source`; True on success."""
    tmp = tempfile.mkdtemp(prefix="fastopt-probe-")
    try:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(source)
        cmd = compiler + [src, "-o", exe] + flags
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            return False
        if run:
            out = subprocess.run([exe], capture_output=True, text=True)
            return out.returncode == 0 and out.stdout.strip() == "1"
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    def build_extensions(self):
        cc = list(self.compiler.compiler_so[:1]) or [sysconfig.get_config_var("CC") or "cc"]
        compile_args = list(KERNEL_FLAGS)
        link_args = []
        macros = []
        if os.environ.get("FASTOPT_NO_OPENMP"):
            print("fastopt: FASTOPT_NO_OPENMP set; building serial kernels")
        elif _try(cc, OPENMP_PROBE, ["-fopenmp"], run=True):
            compile_args.append("-fopenmp")
            link_args.append("-fopenmp")
            print("fastopt: OpenMP found; building threaded kernels")
        else:
            print("fastopt: no working OpenMP; building serial kernels")
        if _try(cc, CLONES_PROBE, []):
            macros.append(("FO_HAVE_TARGET_CLONES", "1"))
            print("fastopt: target_clones available; AVX2/AVX-512 dispatch on")
        else:
            print("fastopt: no target_clones; baseline vector code only")
        for ext in self.extensions:
            ext.extra_compile_args = compile_args + ext.extra_compile_args
            ext.extra_link_args = link_args + ext.extra_link_args
            ext.define_macros = macros + ext.define_macros
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


if sys.platform == "win32":  # pragma: no cover - the flags above are GCC/clang's
    KERNEL_FLAGS = ["/O2"]

setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
