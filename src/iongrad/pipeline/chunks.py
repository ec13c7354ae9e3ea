"""Big tables in chunks of whole samples: a job holds one chunk at a time.

Every per-row and per-sample number iongrad computes depends on one sample only (a
solution is a sample at one temperature; the LJP, Donnan and GHK are per sample),
so a table whose samples are contiguous runs of rows can be computed chunk by chunk,
each result written as it comes, in the table's order: the files one computation of
the whole table writes, with memory bounded by the chunk size instead of the table.

A table of at most :data:`CHUNK_ROWS` rows, or whose samples are not contiguous runs
(rows of one sample spread through the file), is one chunk.

Chunks are independent, so a job given more than one core computes them in as many
processes (:func:`map_chunks`), each chunk read by the process that computes it,
the results written by the job in the table's order: the same files, both cores
busy. The workflow gives a big table's compute jobs every core
(:func:`processes_for`); a small table's jobs take one each and run side by side.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iongrad.canonical import SAMPLE_KEYS
from iongrad.files import Spilled
from iongrad.gate.checks import sample_codes
from iongrad.pipeline.workers import process_pool

__all__ = [
    "BIG_TABLE_BYTES",
    "CHUNK_ROWS",
    "chunk_rows",
    "map_chunks",
    "processes_for",
    "read_chunks",
    "read_rows",
    "sample_cuts",
]

#: Rows per chunk (about: a chunk ends at a sample's last row).
CHUNK_ROWS = 1_000_000
#: Rows per chunk at the least when chunks are computed in parallel processes.
MIN_PARALLEL_ROWS = 250_000
#: A table file bigger than this (16 MiB: about 300,000 rows of CSV, or 1,000,000
#: of parquet) has its compute jobs run on every core (:func:`processes_for`).
BIG_TABLE_BYTES = 16 << 20
#: Most processes one job computes its chunks in.
MAX_PROCESSES = 8
#: Rows per batch read from the parquet file while a chunk is filled.
_BATCH_ROWS = 1 << 16


def sample_cuts(path: str | os.PathLike, rows: int | None = None) -> list[int]:
    """Row positions where the chunks of the table in ``path`` start, and its
    length: ``[0, ..., n]``; chunks of whole samples of about ``rows`` (default
    :data:`CHUNK_ROWS`) rows. ``[0, n]`` (one chunk) for a small table or one
    whose samples are not contiguous runs."""
    rows = CHUNK_ROWS if rows is None else rows
    n = pq.ParquetFile(path).metadata.num_rows
    if n <= rows:
        return [0, n]
    # numbered by runs of equal keys (gate.checks.sample_codes: a big table's
    # samples come in runs; pandas' grouping of 10 M texts took 3.4 s)
    code = sample_codes(pd.read_parquet(path, columns=SAMPLE_KEYS))
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    if len(starts) != int(code.max()) + 1:  # a sample in more than one run
        return [0, n]
    at = np.searchsorted(starts, np.arange(rows, n, rows))
    cuts = starts[at[at < len(starts)]]
    return sorted({0, *cuts.tolist(), n})


def read_chunks(
    path: str | os.PathLike,
    cuts: Sequence[int],
    columns: Sequence[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """The rows ``cuts[k]:cuts[k + 1]`` of the parquet file, one chunk at a time
    (each with a fresh RangeIndex, as ``pd.read_parquet`` reads them); with
    ``columns``, only those of them the file has."""
    pf = pq.ParquetFile(path)
    if columns is not None:
        names = set(pf.schema_arrow.names)
        columns = [c for c in columns if c in names]
    if len(cuts) <= 2:  # one chunk: as pd.read_parquet reads the file
        yield pd.read_parquet(path, columns=columns)
        return
    buffer: list[pa.RecordBatch] = []
    held, start, k = 0, 0, 1  # rows in buffer, table row of its first, next cut
    batches = pf.iter_batches(batch_size=_BATCH_ROWS, columns=columns)
    for batch in batches:
        buffer.append(batch)
        held += batch.num_rows
        while k < len(cuts) and start + held >= cuts[k]:
            table = pa.Table.from_batches(buffer, schema=batch.schema)
            size = cuts[k] - start
            yield table.slice(0, size).to_pandas()
            buffer = table.slice(size).to_batches()
            held, start, k = held - size, cuts[k], k + 1


def processes_for(path: str | os.PathLike, cores: int | None) -> int:
    """Processes (Snakemake threads) for the compute jobs of the table in ``path``.

    Every core (at most :data:`MAX_PROCESSES`) for a file of more than
    :data:`BIG_TABLE_BYTES`, else 1. Decided from the file's size alone, so that
    building the DAG of thousands of datasets opens none of them; a table just
    over the size in one chunk runs in one of its processes.
    """
    try:
        big = os.path.getsize(path) > BIG_TABLE_BYTES
    except OSError:  # not there (yet): validation will say so
        big = False
    return max(1, min(int(cores or 1), MAX_PROCESSES)) if big else 1


def chunk_rows(processes: int) -> int:
    """Rows per chunk for a job computing in ``processes`` processes: each holds
    a chunk, so together they hold about what one process holds alone."""
    if processes <= 1:
        return CHUNK_ROWS
    return max(CHUNK_ROWS // processes, MIN_PARALLEL_ROWS)


def read_rows(
    path: str | os.PathLike, start: int, stop: int, columns: Sequence[str] | None
) -> pd.DataFrame:
    """The rows ``start:stop`` of the parquet file (fresh RangeIndex), reading
    only the row groups that hold them; ``columns`` as :func:`read_chunks`."""
    pf = pq.ParquetFile(path)
    if columns is not None:
        names = set(pf.schema_arrow.names)
        columns = [c for c in columns if c in names]
    meta = pf.metadata
    ends = np.cumsum([meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
    first = int(np.searchsorted(ends, start, side="right"))
    last = int(np.searchsorted(ends, stop - 1, side="right")) if stop > start else first
    groups = list(range(first, min(last, pf.num_row_groups - 1) + 1))
    table = pf.read_row_groups(groups, columns=columns)
    offset = int(ends[first - 1]) if first else 0
    return table.slice(start - offset, stop - start).to_pandas()


def map_chunks(
    func: Callable[..., Any],
    path: str | os.PathLike,
    cuts: Sequence[int],
    *,
    columns: Sequence[str] | None = None,
    processes: int = 1,
    scratch: str | os.PathLike | None = None,
    **kwargs: Any,
) -> Iterator[Any]:
    """``func(chunk, **kwargs)`` for each chunk (:func:`read_chunks`), in order.

    With ``processes > 1`` and more than one chunk, the chunks are read and
    computed in that many processes (:func:`iongrad.pipeline.workers.process_pool`;
    ``func`` importable by name), at most one more waiting beside those computing,
    and the results still come in the table's order; else here, one after the
    other. A result is a tuple whose items are picklable values, arrow tables or
    lists of arrow tables; from a process, each table comes parked in the folder
    ``scratch`` (:class:`iongrad.files.Spilled`: take it with
    :func:`iongrad.files.unparked`; the caller removes the folder), so that the
    rows never pass through a pipe. An error in any chunk is raised here.
    """
    if processes <= 1 or len(cuts) <= 2:
        for chunk in read_chunks(path, cuts, columns):
            yield func(chunk, **kwargs)
        return
    if scratch is None:
        raise ValueError("chunks computed in processes need a scratch folder")
    spans = list(itertools.pairwise(cuts))
    with process_pool(min(processes, len(spans))) as pool:
        pending = []
        for k, (start, stop) in enumerate(spans):
            where = Path(scratch) / f"chunk{k:06d}"
            pending.append(
                pool.submit(
                    _computed, func, path, (start, stop), columns, kwargs, where
                )
            )
            if len(pending) > processes:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def _computed(func, path, span, columns, kwargs, where: Path) -> tuple:
    """One chunk, read and computed in a pool process, its tables parked at
    ``where.<item>[.<part>]`` (:func:`map_chunks`)."""
    result = func(read_rows(path, *span, columns), **kwargs)
    out = []
    for i, item in enumerate(result):
        if isinstance(item, pa.Table):
            item = Spilled.write(item, f"{where}.{i}")
        elif isinstance(item, list) and all(isinstance(t, pa.Table) for t in item):
            item = [Spilled.write(t, f"{where}.{i}.{j}") for j, t in enumerate(item)]
        out.append(item)
    return tuple(out)
