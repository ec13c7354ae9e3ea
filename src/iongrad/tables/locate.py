"""Text about rows of a table: where rows came from, and labels joined per sample.

Error messages of the table adapters name the offending rows by source file and line
when the table carries provenance (``source_file``, ``source_row``), else by table
index; per-sample results list ions as one comma-separated cell per sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["join_by_sample", "where"]

#: Rows named in one message at most (the rest are left out).
MAX_NAMED_ROWS = 5


def where(df: pd.DataFrame, rows) -> str:
    """Name rows (positions in ``df``) for an error message.

    Examples
    --------
    >>> t = pd.DataFrame({"source_file": "lab.csv", "source_row": [2, 3]})
    >>> where(t, [1])
    'lab.csv row 3'
    >>> where(t.drop(columns="source_file"), [0, 1])
    'table rows 0, 1'
    """
    sub = df.iloc[np.asarray(rows, dtype=np.int64)[:MAX_NAMED_ROWS]]
    if {"source_file", "source_row"} <= set(df.columns):
        return ", ".join(
            f"{f} row {r}" for f, r in zip(sub["source_file"], sub["source_row"],
                                           strict=True)
        )  # fmt: skip
    return "table rows " + ", ".join(map(str, sub.index))


def join_by_sample(keys: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Comma-joined labels per sample code (0 .. n-1); empty string where none.

    Examples
    --------
    >>> join_by_sample(np.array([1, 0, 1]), np.array(["K+", "Na+", "Cl-"]), 3)
    array(['Na+', 'K+, Cl-', ''], dtype=object)
    """
    out = np.full(n, "", dtype=object)
    if len(keys):
        joined = pd.Series(labels).groupby(keys).agg(", ".join)
        out[joined.index.to_numpy()] = joined.to_numpy()
    return out
