"""A job returns the memory it freed: a warm worker does not hold a big job's peak.

arrow's pool and glibc's malloc keep freed memory for reuse; a worker that ran a
big table's job would otherwise hold it while the other worker runs the next job.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from iongrad.pipeline import workers

LINUX = Path("/proc/self/status").is_file()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1e3
    raise AssertionError("no VmRSS")


def _job() -> None:
    """What a table's job does to the heap: arrow buffers, texts of sample ids."""
    table = pa.table({"a": np.arange(30_000_000, dtype=float)})
    ids = pd.Series([f"s{i}" for i in range(2_000_000)], dtype="string[pyarrow]")
    names = [str(i) for i in range(3_000_000)]
    assert table.num_rows == 30_000_000
    assert len(ids) + len(names) == 5_000_000


@pytest.mark.skipif(not LINUX, reason="reads the resident set size from /proc")
def test_a_finished_job_gives_its_freed_memory_back():
    _job()  # the pools hold what it freed
    held = _rss_mb()
    workers.give_back_memory()
    assert _rss_mb() < held - 30


def test_a_job_run_in_this_process_gives_its_memory_back(monkeypatch):
    calls = []
    monkeypatch.setattr(workers, "give_back_memory", lambda: calls.append(1))

    @workers.in_worker_process
    def job(*, fail: bool) -> None:
        if fail:
            raise ValueError("bad table")

    job(fail=False)
    with pytest.raises(ValueError, match="bad table"):
        job(fail=True)  # also when the job fails
    assert calls == [1, 1]
