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

    Labels keep their order within a sample. A table has few distinct sequences of
    labels (the same ions in every sample), so each sequence is joined once: the
    samples' sequences are numbered position by position on integer codes, and one
    sample of each number gives the text.

    Examples
    --------
    >>> join_by_sample(np.array([1, 0, 1]), np.array(["K+", "Na+", "Cl-"]), 3)
    array(['Na+', 'K+, Cl-', ''], dtype=object)
    """
    out = np.full(n, "", dtype=object)
    if not len(keys):
        return out
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object)[order])
    sample = keys[order]
    starts = np.flatnonzero(np.r_[True, sample[1:] != sample[:-1]])
    sizes = np.diff(np.r_[starts, len(sample)])
    seq = _sequence_numbers(codes, starts, sizes, len(uniques))
    numbers, first, inverse = np.unique(seq, return_index=True, return_inverse=True)
    names = [str(u) for u in uniques]
    texts = np.empty(len(numbers), dtype=object)
    texts[:] = [
        ", ".join(names[c] for c in codes[starts[g] : starts[g] + sizes[g]])
        for g in first
    ]
    out[sample[starts]] = texts[inverse.reshape(-1)]
    return out


def _sequence_numbers(codes, starts, sizes, n_labels: int) -> np.ndarray:
    """A number per group of ``codes`` (group g: ``starts[g]``, ``sizes[g]`` long),
    equal for two groups exactly when their code sequences are equal.

    Position p renumbers the groups longer than p from (number, code at p), with
    numbers above every earlier one, so a group that ended keeps a number no longer
    group can reach.
    """
    seq = np.zeros(len(starts), dtype=np.int64)
    top = 1
    for p in range(int(sizes.max())):
        longer = np.flatnonzero(sizes > p)
        pair = seq[longer] * (n_labels + 1) + codes[starts[longer] + p]
        renumbered, uniq = pd.factorize(pair)
        seq[longer] = top + renumbered
        top += len(uniq)
    return seq
