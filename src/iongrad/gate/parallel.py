"""How many threads the ingestion and checks of one table may use.

Numpy and arrow kernels release the global interpreter lock, so independent steps
of reading and checking one big table run side by side in threads: the per-sample
and the per-ion columns while building the table (:mod:`iongrad.gate.build`), the
column screens and the table rules while validating
(:mod:`iongrad.gate.validation`). The results are the same as in one thread, in the
same order. Small tables (the workflow's usual) stay in one thread, where starting
threads costs more than it saves.

Examples
--------
>>> threads(120)
1
"""

from __future__ import annotations

import os

__all__ = ["MAX_THREADS", "PARALLEL_FROM", "threads"]

#: Tables from this many rows use threads.
PARALLEL_FROM = 100_000
#: At most this many threads per table (there are at most a few independent steps).
MAX_THREADS = 4


def threads(rows: int) -> int:
    """Threads for a table of ``rows`` rows.

    1 below :data:`PARALLEL_FROM`; otherwise the CPUs this process may run on (a
    cgroup or SLURM CPU set counts, not the machine's), at most :data:`MAX_THREADS`.
    """
    if rows < PARALLEL_FROM:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS and Windows
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_THREADS))
