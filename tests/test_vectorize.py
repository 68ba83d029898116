"""The compiler's own report: every element loop of every rule vectorises,
for float32 and float64 and for each instruction-set clone.

Runs gcc on csrc/kernels.c with the build's flags (read from setup.py) and
-fopt-info-vec-optimized; skipped where gcc or x86-64 is missing.
"""
import ast
import os
import platform
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRC = os.path.join(ROOT, "csrc")


def build_flags():
    tree = ast.parse(open(os.path.join(ROOT, "setup.py")).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "KERNEL_FLAGS":
            return ast.literal_eval(node.value)
    raise AssertionError("KERNEL_FLAGS not found in setup.py")


def vectorised_loops(tmp_path, source, include_re):
    """Compile csrc/`source` as setup.py does (all clones) and count, per
    (file, line) of the included files matching include_re, the loops GCC
    reports vectorised."""
    cmd = (["gcc"] + build_flags() + ["-fopenmp", "-DFO_HAVE_TARGET_CLONES", "-fPIC",
            "-c", os.path.join(CSRC, source), "-o", str(tmp_path / "k.o"),
            "-fopt-info-vec-optimized"])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    counts = {}
    for m in re.finditer(rf"({include_re}):(\d+):\d+: optimized: loop vectorized", out):
        key = (m.group(1), int(m.group(2)))
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.skipif(shutil.which("gcc") is None or platform.machine() != "x86_64",
                    reason="needs gcc on x86-64")
def test_every_rule_loop_vectorises(tmp_path):
    vectorised = vectorised_loops(tmp_path, "kernels.c", r"rules_\w+\.inc")
    ranges = {}
    for name in sorted(os.listdir(CSRC)):
        if name.startswith("rules_") and name.endswith(".inc"):
            lines = open(os.path.join(CSRC, name)).read().splitlines()
            ranges.update({(name, i + 1): line for i, line in enumerate(lines)
                           if line.startswith("FO_RANGE(")})
    assert len(ranges) >= 40
    # 2 dtypes x 3 clones (default, avx2, avx512f), at least one loop each
    missing = {line: vectorised.get(n, 0) for n, line in ranges.items()
               if vectorised.get(n, 0) < 6}
    assert not missing, f"element loops not vectorised in every build: {missing}"


@pytest.mark.skipif(shutil.which("gcc") is None or platform.machine() != "x86_64",
                    reason="needs gcc on x86-64")
def test_clip_loops_vectorise(tmp_path):
    """The norm reductions and the scaling of csrc/clip_ops.inc: every block
    loop vectorises in every clone (the 64-bit integer max of float64's
    inf-norm has no SSE2 form, so its default clone may stay scalar)."""
    counts = {line: n for (_, line), n in
              vectorised_loops(tmp_path, "clip.c", r"clip_ops\.inc").items()}
    lines = open(os.path.join(CSRC, "clip_ops.inc")).read().splitlines()
    loops = {i + 1: line for i, line in enumerate(lines)
             if line.startswith("CL_SUM_BLOCK(") or "i < len; ++i)" in line}
    assert len(loops) == 4
    missing = {line: counts.get(n, 0) for n, line in loops.items() if counts.get(n, 0) < 5}
    assert not missing, f"clip loops not vectorised in every build: {missing}"


@pytest.mark.skipif(shutil.which("gcc") is None or platform.machine() != "x86_64",
                    reason="needs gcc on x86-64")
def test_norm_loops_vectorise(tmp_path):
    """Every block and element loop of csrc/norm_ops.inc (statistics,
    backward sums, forward and backward element loops, layer norm's column
    sums, batch norm's column mode): each FO_CLONES function has a loop vectorised in all 2 dtypes x 3
    clones."""
    counts = {}
    for (_, line), n in vectorised_loops(tmp_path, "norm.c", r"norm_ops\.inc").items():
        counts[line] = counts.get(line, 0) + n
    lines = open(os.path.join(CSRC, "norm_ops.inc")).read().splitlines()
    starts = [i + 1 for i, line in enumerate(lines)
              if line.startswith(("FO_CLONES static", "NM_FWD_VEC(", "NM_COL_SUMS("))]
    assert len(starts) == 16
    ends = starts[1:] + [len(lines) + 1]
    missing = {lines[a - 1].strip(): sum(counts.get(k, 0) for k in range(a, b))
               for a, b in zip(starts, ends)
               if sum(counts.get(k, 0) for k in range(a, b)) < 6}
    assert not missing, f"norm loops not vectorised in every build: {missing}"
