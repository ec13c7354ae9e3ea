"""Results files a run can no longer read: found before the DAG is built, and read
with a message that names the file and the cure.

Every results file is written whole or not at all (:mod:`iongrad.files`), so a
damaged one was damaged afterwards: a disk that filled up during a copy, a quota, a
sync tool. Snakemake judges files by their modification times and recorded
metadata, not by their content, so it would keep a truncated parquet as up to date
and every later job reading it would fail.

- :func:`damaged_results` checks each results parquet's frame before a run: a
  parquet file starts and ends with the magic bytes ``PAR1``, and the 4 bytes
  before the final ones give the length of the footer (the schema and the row
  groups), which must fit in the file. A file cut short loses its end. This reads 12
  bytes per file (about a millisecond for a dataset), where checking the SHA-256
  recorded in provenance.json would read every byte of every file at every run.
- :func:`remove_damaged` removes them (the workflow then rebuilds them: every
  results file is a target of the default run) and says so; in a dry run it only
  says what a run would do.
- :func:`read_parquet` and :func:`read_json` read a results file inside a job; a file
  that cannot be read (damaged where the frame check does not look) is removed and
  reported in one line naming it and the cure, instead of a traceback from the
  parquet or JSON library.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "PARQUET_RESULTS",
    "DamagedResultError",
    "damaged_results",
    "parquet_damage",
    "read_json",
    "read_parquet",
    "remove_damaged",
]

#: The parquet files under ``results/<dataset>/``.
PARQUET_RESULTS = (
    "measurements.parquet",
    "potentials.parquet",
    "temperature_scan.parquet",
    "samples.parquet",
    "donnan.parquet",
)
_MAGIC = b"PAR1"
_CURE = "it was removed: run the workflow again to rebuild it"


class DamagedResultError(RuntimeError):
    """A results file that exists but cannot be read (it is removed, to be rebuilt)."""


def parquet_damage(path: str | os.PathLike) -> str | None:
    """Why ``path`` is not a whole parquet file (its frame only), or None.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> _ = p.write_bytes(b"PAR1" + b"x" * 20)
    >>> parquet_damage(p)
    'its end (the parquet footer) is missing: the file was cut short'
    """
    size = os.stat(path).st_size
    if size < 12:
        return f"{size} bytes: too short for a parquet file"
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(-8, os.SEEK_END)
        tail = fh.read(8)
    if tail[4:] != _MAGIC:
        return "its end (the parquet footer) is missing: the file was cut short"
    if head != _MAGIC:
        return "it does not start as a parquet file"
    if int.from_bytes(tail[:4], "little") > size - 12:
        return "its footer is longer than the file: the file was cut short"
    return None


def damaged_results(
    results_root: str | os.PathLike, datasets: Iterable[str]
) -> list[tuple[str, str]]:
    """(path, reason) of every results parquet of ``datasets`` that is damaged."""
    found = []
    for name in datasets:
        for table in PARQUET_RESULTS:
            path = Path(results_root, name, table)
            try:
                reason = parquet_damage(path)
            except FileNotFoundError:
                continue
            if reason is not None:
                found.append((path.as_posix(), reason))
    return found


def remove_damaged(
    results_root: str | os.PathLike, datasets: Iterable[str], *, dry_run: bool
) -> list[str]:
    """Remove the damaged results parquets (not in a dry run); one note for each."""
    notes = []
    for path, reason in damaged_results(results_root, datasets):
        if dry_run:
            notes.append(f"{path} is damaged ({reason}): a run removes and rebuilds it")
            continue
        Path(path).unlink(missing_ok=True)
        notes.append(f"{path} was damaged ({reason}): removed, this run rebuilds it")
    return notes


def _damaged(path: str | os.PathLike, err: Exception) -> DamagedResultError:
    """Remove ``path`` and return the error that says so (one line)."""
    Path(path).unlink(missing_ok=True)
    reason = " ".join(str(err).split()) or type(err).__name__
    return DamagedResultError(
        f"{Path(path).as_posix()} cannot be read ({reason}); {_CURE}"
    )


def read_parquet(path: str | os.PathLike, columns=None):
    """``pd.read_parquet(path)``; a damaged file is removed and reported.

    With ``columns``, only those of them the file has are read.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not Path(path).is_file():
        raise FileNotFoundError(f"{Path(path).as_posix()}: no such results file")
    try:
        if columns is not None:
            names = set(pq.read_schema(path).names)
            columns = [c for c in columns if c in names]
        return pd.read_parquet(path, columns=columns)
    except (OSError, pa.ArrowException) as err:
        raise _damaged(path, err) from None


def read_json(path: str | os.PathLike) -> Any:
    """The JSON document in ``path``; a damaged file is removed and reported."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _damaged(path, err) from None
