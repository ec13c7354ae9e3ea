"""One table too big for one job: split it by sample, compute the parts, gather.

A dataset with ``partitions: N`` in its config entry is validated as a whole (row
numbers, strict/lenient decisions and the rejected rows are those of the file), then
its measurements are split into N parts by sample: whole samples in order of first
appearance, cut where the cumulative row count crosses k/N of the table, so the parts
hold about equal numbers of rows and no sample is ever split. Each part runs the
compute stages as its own job (on SLURM, its own submission, on any node), and the
gather jobs put the parts' results back into the same files, in the same row order,
as a single job would have written them.

Every per-row and per-sample computation of iongrad depends only on the rows of one
sample, which is what makes the split exact; the workflow tests compare a partitioned
run with a single-job run file by file.

How each result is put back together (``positions`` are the parts' rows in the whole
measurements table, recomputed from it by :func:`part_rows`, so no index file is
kept beside the parts):

- potentials.parquet: one row per measurement row, in table order.
- temperature_scan.parquet: one block per temperature (the measured one, then the
  config's), each block one row per measurement row in table order.
- donnan.parquet: one row per permeant charged measurement row, in table order;
  a row is matched to its measurement row by (dataset, sample_id, source_row, ion).
- samples.parquet: one row per sample, sorted by (dataset, sample_id).

Examples
--------
>>> t = pd.DataFrame({"dataset": "d", "sample_id": list("aabbbcd"), "ion": "K+"})
>>> [p.tolist() for p in part_rows(t, 2)]
[[0, 1, 2, 3, 4], [5, 6]]
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from iongrad.canonical import SAMPLE_KEYS, sample_index
from iongrad.pipeline.integrity import read_json, read_parquet
from iongrad.pipeline.jobs import gate_strict, write_result
from iongrad.pipeline.logs import job_log
from iongrad.pipeline.workers import in_worker_process
from iongrad.tables.locate import concat_tables

__all__ = [
    "GATHERED",
    "PartitionError",
    "gather_donnan",
    "gather_job",
    "gather_potentials",
    "gather_samples",
    "gather_temperature_scan",
    "part_paths",
    "part_rows",
    "split_job",
    "split_part",
]


class PartitionError(ValueError):
    """A table that cannot be split as configured, or parts that do not fit."""


def part_rows(measurements: pd.DataFrame, n_parts: int) -> list[np.ndarray]:
    """Row positions of each of ``n_parts`` parts, split by whole samples.

    Samples are taken in order of first appearance; sample ``s`` goes to part
    ``floor(N * rows_before_s / rows)``, so parts are contiguous runs of samples
    with about ``rows / N`` rows each. Within a part, rows keep table order.

    Raises
    ------
    PartitionError
        When the table has fewer samples than parts (a part would be empty).
    """
    if n_parts < 1:
        raise PartitionError(f"partitions must be >= 1, got {n_parts}")
    table = measurements.reset_index(drop=True)
    idx = sample_index(table)
    if idx.n < n_parts:
        raise PartitionError(
            f"a table of {idx.n} sample(s) cannot be split into {n_parts} "
            f"partitions (every part holds whole samples): set `partitions` to "
            f"at most {max(idx.n, 1)} for this dataset"
        )
    sizes = np.bincount(idx.key, minlength=idx.n)
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    base = (before * n_parts) // max(len(table), 1)
    # Steps of at most one part from sample to sample, and the last samples fill
    # the last parts: every part gets at least one sample, even when one sample
    # holds most of the rows.
    step = np.arange(idx.n)
    part_of_sample = step + np.minimum.accumulate(base - step)
    part_of_sample = np.maximum(part_of_sample, n_parts - idx.n + step)
    part_of_row = part_of_sample[idx.key]
    order = np.argsort(part_of_row, kind="stable")
    bounds = np.searchsorted(part_of_row[order], np.arange(n_parts + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(n_parts)]


def split_part(measurements: pd.DataFrame, n_parts: int, part: int) -> pd.DataFrame:
    """The measurement rows of part ``part`` (0-based) of ``n_parts``."""
    if not 0 <= part < n_parts:
        raise PartitionError(f"part {part} is not one of 0..{n_parts - 1}")
    rows = part_rows(measurements, n_parts)[part]
    return measurements.reset_index(drop=True).iloc[rows].reset_index(drop=True)


def _lengths_fit(parts: Sequence[pd.DataFrame], sizes: Sequence[int], what: str):
    for k, (frame, size) in enumerate(zip(parts, sizes, strict=True)):
        if size == 0 or len(frame) % size:
            raise PartitionError(
                f"{what} of part {k} has {len(frame)} rows, not a multiple of the "
                f"part's {size} measurement rows: the parts are not from this table"
            )


def _in_table_order(frames: Sequence[pd.DataFrame], positions) -> pd.DataFrame:
    """Concatenate part frames whose rows sit at ``positions`` in the table."""
    joined = concat_tables(frames)
    order = np.argsort(np.concatenate(positions), kind="stable")
    return joined.iloc[order].reset_index(drop=True)


def gather_potentials(
    measurements: pd.DataFrame, parts: Sequence[pd.DataFrame]
) -> pd.DataFrame:
    """The parts' potentials tables as one, in the measurements' row order."""
    positions = part_rows(measurements, len(parts))
    sizes = [len(p) for p in positions]
    for k, (frame, size) in enumerate(zip(parts, sizes, strict=True)):
        if len(frame) != size:
            raise PartitionError(
                f"potentials of part {k} have {len(frame)} rows for {size} "
                "measurement rows: the parts are not from this table"
            )
    return _in_table_order(parts, positions)


def gather_temperature_scan(
    measurements: pd.DataFrame, parts: Sequence[pd.DataFrame]
) -> pd.DataFrame:
    """The parts' temperature scans as one: per temperature block, table order."""
    positions = part_rows(measurements, len(parts))
    sizes = [len(p) for p in positions]
    _lengths_fit(parts, sizes, "temperature_scan")
    blocks = {len(f) // s for f, s in zip(parts, sizes, strict=True)}
    if len(blocks) != 1:
        raise PartitionError(
            f"the parts' temperature scans hold different numbers of temperatures "
            f"({sorted(blocks)})"
        )
    (n_blocks,) = blocks
    out = []
    for b in range(n_blocks):
        block = [f.iloc[b * s : (b + 1) * s] for f, s in zip(parts, sizes, strict=True)]
        out.append(_in_table_order(block, positions))
    return concat_tables(out)


def gather_donnan(
    measurements: pd.DataFrame, parts: Sequence[pd.DataFrame]
) -> pd.DataFrame:
    """The parts' per-ion Donnan tables as one, in the measurements' row order."""
    keys = [*SAMPLE_KEYS, *_DONNAN_KEYS]
    joined = concat_tables(parts)
    if joined.empty or not set(keys) <= set(joined.columns):
        return joined
    table = measurements.reset_index(drop=True)[keys]
    lookup = pd.MultiIndex.from_frame(table.astype(str))
    if not lookup.is_unique:
        raise PartitionError(
            "rows of this table share (dataset, sample_id, source_row, ion): their "
            "Donnan rows cannot be put back in table order"
        )
    where = lookup.get_indexer(pd.MultiIndex.from_frame(joined[keys].astype(str)))
    if (where < 0).any():
        raise PartitionError("Donnan rows of the parts match no measurement row")
    order = np.argsort(where, kind="stable")
    return joined.iloc[order].reset_index(drop=True)


def gather_samples(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The parts' per-sample tables as one, sorted by (dataset, sample_id)."""
    joined = concat_tables(parts)
    if joined.duplicated(SAMPLE_KEYS).any():
        raise PartitionError("a sample appears in more than one part")
    return joined.sort_values(SAMPLE_KEYS, kind="stable").reset_index(drop=True)


def part_name(part: int) -> str:
    """Folder name of one part under ``results/<dataset>/parts/``."""
    return f"{part:03d}"


def part_paths(root: str | os.PathLike, dataset: str, n_parts: int, name: str):
    """``results/<dataset>/parts/<k>/<name>`` for every part, in part order."""
    return [
        os.path.join(root, dataset, "parts", part_name(k), name) for k in range(n_parts)
    ]


# ------------------------------------------------------------------ job functions
#: The results files a partitioned dataset gathers from its parts.
GATHERED = ("potentials", "temperature_scan", "samples", "donnan")


@in_worker_process
def split_job(
    *,
    measurements: str,
    validation_json: str,
    part: int,
    partitions: int,
    output: str,
    log: str | None = None,
) -> None:
    """``parts/<k>/measurements.parquet``: one part's rows (strict gate first)."""
    with job_log(log) as log_:
        # A dataset that failed strict validation stops here with its summary, as
        # compute_potentials would, not with a complaint about its parts.
        gate_strict(read_json(validation_json))
        table = read_parquet(measurements)
        rows = split_part(table, partitions, part)
        log_.info(
            "part %d of %d: %d of %d rows, %d samples",
            part + 1,
            partitions,
            len(rows),
            len(table),
            rows.groupby(SAMPLE_KEYS, sort=False).ngroups,
        )
        write_result(rows, output)


@in_worker_process
def gather_job(
    *,
    measurements: str,
    parts: Mapping[str, Sequence[str]],
    outputs: Mapping[str, str],
    log: str | None = None,
) -> None:
    """The dataset's potentials, temperature scan, samples and Donnan files from
    its parts, in the row order a single job writes them.

    One file at a time, and of the measurements only the columns that place rows:
    the job holds one results file and its parts, not the whole dataset's results.
    """
    with job_log(log) as log_:
        table = read_parquet(measurements, columns=[*SAMPLE_KEYS, *_DONNAN_KEYS])
        for key in GATHERED:
            frames = [read_parquet(p) for p in parts[key]]
            if key == "samples":
                gathered = gather_samples(frames)
            else:
                gathered = _GATHER[key](table, frames)
            del frames
            log_.info("%s: %d rows from %d parts", key, len(gathered), len(parts[key]))
            write_result(gathered, outputs[key])
            del gathered


#: Columns of the measurements that match a Donnan row to its measurement row.
_DONNAN_KEYS = ("source_row", "ion")
_GATHER = {
    "potentials": gather_potentials,
    "temperature_scan": gather_temperature_scan,
    "donnan": gather_donnan,
}
