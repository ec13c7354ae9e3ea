"""The canonical measurement table: its columns and its grouping by sample.

Every table the gate accepts has these columns (one row per sample x ion); the
tables layer and the reports group its rows by (``dataset``, ``sample_id``) with
:func:`sample_index`, the one grouping used everywhere.

``sample_complete`` is False on every accepted row of a sample of which validation
rejected a row (lenient mode), and ``sample_rejected`` names those rows in the
file's words (``row 9 K+ (number_format: c_in_mM '14O')``; empty when complete):
a sample with a rejected row must not be computed as if it were whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "CANONICAL_COLUMNS",
    "SAMPLE_KEYS",
    "SampleIndex",
    "bool_column",
    "no_rows",
    "rows_at",
    "sample_index",
]

#: Column order of the canonical long table.
CANONICAL_COLUMNS = [
    "dataset",
    "sample_id",
    "cell_type",
    "temperature_K",
    "ion",
    "valence",
    "c_in_mM",
    "c_out_mM",
    "concentration_scale",
    "gamma_in",
    "gamma_out",
    "permeant",
    "vm_mV",
    "erev_mV",
    "permeability",
    "ljp_mV",
    "ljp_corrected",
    "pipette_solution",
    "bath_solution",
    "sample_complete",
    "sample_rejected",
    "source_file",
    "source_row",
]

#: The columns that identify a sample.
SAMPLE_KEYS = ["dataset", "sample_id"]


@dataclass(frozen=True)
class SampleIndex:
    """Rows grouped by sample, in order of first appearance.

    Attributes
    ----------
    key : numpy.ndarray of int64
        Sample code of each row (0 .. n-1).
    n : int
        Number of samples.
    first : numpy.ndarray of int
        Row position of each sample's first row.
    frame : pandas.DataFrame
        One row per sample: ``dataset``, ``sample_id`` and ``cell_type`` (when the
        table has them), taken from each sample's first row.
    """

    key: np.ndarray
    n: int
    first: np.ndarray
    frame: pd.DataFrame


def sample_index(df: pd.DataFrame) -> SampleIndex:
    """Group the rows of ``df`` (with a default RangeIndex) by (dataset, sample_id).

    Examples
    --------
    >>> t = pd.DataFrame({"dataset": "d", "sample_id": ["b", "a", "b"]})
    >>> idx = sample_index(t)
    >>> idx.key.tolist(), idx.n, idx.first.tolist()
    ([0, 1, 0], 2, [0, 1])
    """
    nrow = len(df)
    key = df.groupby(["dataset", "sample_id"], sort=False, dropna=False).ngroup()
    key = key.to_numpy(dtype=np.int64)
    n = int(key.max()) + 1 if nrow else 0
    first = pd.Series(np.arange(nrow)).groupby(key).first().to_numpy()
    keep = [c for c in ("dataset", "sample_id", "cell_type") if c in df.columns]
    frame = df.loc[first, keep].reset_index(drop=True)
    return SampleIndex(key=key, n=n, first=first, frame=frame)


def bool_column(df: pd.DataFrame, name: str, default: bool) -> np.ndarray:
    """A boolean column as a numpy array; missing column or cells mean ``default``."""
    if name not in df.columns:
        return np.full(len(df), default)
    return df[name].astype("boolean").fillna(default).to_numpy(dtype=bool)


def no_rows(df: pd.DataFrame) -> pd.DataFrame:
    """``df``'s columns and dtypes without a row, and without its memory: an empty
    slice (``df.iloc[:0]``) is a view of each column, which keeps a big table's
    buffers alive."""
    out = pd.DataFrame({i: pd.Series([], dtype=t) for i, t in enumerate(df.dtypes)})
    out.columns = df.columns
    return out


#: A text column's rows are taken as slices of its own buffers when they make at
#: most this many runs of consecutive rows (each run adds a chunk to the column).
SLICED_RUNS = 1024


def rows_at(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """``column``'s values at the positions ``rows`` (ascending), with a fresh
    RangeIndex. A text column held by arrow whose rows make at most
    :data:`SLICED_RUNS` runs of consecutive positions is made of slices of its
    own buffers, one per run: nothing is copied, so a big table that loses a few
    rows (a lenient table's rejected samples) is not held twice while its kept
    rows are taken; any other column is taken (copied).

    Examples
    --------
    >>> texts = pd.Series(["a", "b", None, "d"], dtype="str")
    >>> rows_at(texts, np.array([0, 1, 3])).tolist()
    ['a', 'b', 'd']
    """
    values = column.array
    if isinstance(values.dtype, pd.StringDtype) and hasattr(values, "__arrow_array__"):
        starts = np.flatnonzero(np.diff(rows, prepend=-2) != 1)
        if len(starts) <= SLICED_RUNS:
            ends = rows[np.append(starts[1:], len(rows)) - 1] + 1 if len(rows) else []
            whole = values.__arrow_array__()  # the column's chunks, not a copy
            parts = [
                chunk
                for a, b in zip(rows[starts], ends, strict=True)
                for chunk in whole.slice(int(a), int(b - a)).chunks
            ]
            sliced = pa.chunked_array(parts, whole.type)
            return pd.Series(pd.array(sliced, dtype=column.dtype), name=column.name)
    return pd.Series(values.take(rows), name=column.name)
