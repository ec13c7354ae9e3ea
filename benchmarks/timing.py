"""Timing helper shared by the benchmarks (imported as a sibling module)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(func: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best process CPU time of ``func`` over ``repeat`` runs, [s].

    CPU time is reported too because the machine may be shared: wall time then
    includes waiting for a core, CPU time does not (pyarrow may use several threads,
    which CPU time adds up). The two minima may come from different runs.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)
