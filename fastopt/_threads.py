"""How many threads a kernel call gets."""
from __future__ import annotations

import functools
import math
import os
from typing import Optional

from fastopt import _kernels
from fastopt._validation import check_n_threads


def openmp_enabled() -> bool:
    """True when fastopt's kernels were built with OpenMP (threaded)."""
    return _kernels.openmp_enabled()


@functools.lru_cache(maxsize=None)
def _cgroup_cpu_limit() -> Optional[int]:
    """CPUs allowed by a cgroup quota (v2 cpu.max or v1 cfs), or None.  Read
    once per process: the files cost ~40 us a read, paid by every call of a
    functional kernel, and a container's quota does not change under it."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return max(1, math.ceil(int(quota) / int(period)))
        return None
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota_us = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period_us = int(f.read())
        if quota_us > 0 and period_us > 0:
            return max(1, math.ceil(quota_us / period_us))
    except (OSError, ValueError):
        pass
    return None


def available_cpus() -> int:
    """Cores this process may run on: the affinity mask and the cgroup quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    if limit is not None:
        n = min(n, limit)
    return max(1, n)


def usable_cpus() -> int:
    """Cores this process may use: affinity mask, cgroup quota, OMP_NUM_THREADS."""
    n = available_cpus()
    omp = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if omp.isdigit() and int(omp) > 0:
        n = min(n, int(omp))
    return max(1, n)


def effective_n_threads(n_threads: Optional[int] = None) -> int:
    """The number of threads a kernel will use for `n_threads`.

    None or -1: all usable cores; -k: all but k - 1; a positive k: k, but
    never more than the cores this process may run on (the affinity mask and
    cgroup quota; an explicit k may exceed OMP_NUM_THREADS): more threads
    than cores only add overhead, and a huge k would exhaust the process.
    Always 1 when fastopt was built without OpenMP.  Results never depend on
    it: every kernel is bitwise identical for any thread count.
    """
    n_threads = check_n_threads(n_threads)
    if not openmp_enabled():
        return 1
    if n_threads is None:
        return usable_cpus()
    if n_threads < 0:
        return max(1, usable_cpus() + 1 + n_threads)
    return min(n_threads, available_cpus())
