"""Big tables in chunks of whole samples: a job holds one chunk at a time.

Every per-row and per-sample number iongrad computes depends on one sample only (a
solution is a sample at one temperature; the LJP, Donnan and GHK are per sample),
so a table whose samples are contiguous runs of rows can be computed chunk by chunk,
each result written as it comes, in the table's order: the files one computation of
the whole table writes, with memory bounded by the chunk size instead of the table.

A table of at most :data:`CHUNK_ROWS` rows, or whose samples are not contiguous runs
(rows of one sample spread through the file), is one chunk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iongrad.canonical import SAMPLE_KEYS

__all__ = ["CHUNK_ROWS", "read_chunks", "sample_cuts"]

#: Rows per chunk (about: a chunk ends at a sample's last row).
CHUNK_ROWS = 1_000_000
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
    keys = pd.read_parquet(path, columns=SAMPLE_KEYS)
    code = keys.groupby(SAMPLE_KEYS, sort=False, dropna=False).ngroup().to_numpy()
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
