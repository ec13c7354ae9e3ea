"""Failure records: every failure of a validated file, told at the user's cells.

A record names the file, the row (a workbook's cell), the column as the file's
header says it, the value as written, the ion of a wide file's column, the rule, its
severity and a message saying all of it. :func:`reported` makes the records of the
gate's failures (one object each for a small table, column-wise for a big one's
:class:`~iongrad.gate.failures.FailureBlock`), with each message kept in parts: the
rule's text, shared by its failures, and what each failure found. The messages are
made where they are read: :func:`bounded` for ``validation.json``'s first examples of
each rule and column, :func:`write_failures` a row group of ``failures.parquet`` at
a time (a big table's million messages are never held at once).
"""

from __future__ import annotations

import json
import os
from functools import cache

import numpy as np
import pandas as pd

from iongrad.files import atomic_path, jsonable
from iongrad.gate.contract import Contract
from iongrad.gate.failures import Failure, FailureBlock, with_detail
from iongrad.gate.ingest import Ingested
from iongrad.gate.sheets import cell_name
from iongrad.ions import UnknownIonError, lookup

__all__ = [
    "EXAMPLES",
    "PART_KEYS",
    "RECORD_KEYS",
    "bounded",
    "in_cells",
    "objects",
    "repeat",
    "reported",
    "with_messages",
    "write_failures",
]

#: validation.json keeps this many example failures of each rule and column (the
#: first ones, in row order) and counts all; every failure is in failures.parquet.
EXAMPLES = 20


@cache
def _ion_hint(value: str) -> str:
    try:
        lookup(value)
    except UnknownIonError as err:
        return f" ({err})"
    return ""


def _text(rule: str, message: str | None, value, contract: Contract) -> str:
    """What a failure says about its rule: its own message, else the rule's text
    (the same text object for every failure of the rule), with a hint for an
    unknown ion."""
    text = message or contract.describe(rule)
    if rule == "known_ion" and value is not None:
        text += _ion_hint(str(value))
    return text


def _message(file: str, row, cell, column, ion, value, rule, text, detail) -> str:
    """A failure's message: where (file, then a workbook's ``cell`` or the row,
    column, ion), the value, the rule, its text and what the failure found
    (``detail``, see :class:`FailureBlock`)."""
    where = f"{file}"
    if cell is not None:
        where += f", {cell}"
    elif row is not None:
        where += f", row {row}"
    where += f", column {column!r}" if column else ""
    where += f" ({ion})" if ion else ""
    what = f": value {value!r}" if value is not None else ""
    return f"{where}{what}: rule {rule}: {with_detail(text, detail)}"


def _messages(records: pd.DataFrame) -> np.ndarray:
    """The message of each record (an object array; see :func:`_message`)."""
    n = len(records)
    cells = records["cell"] if "cell" in records else repeat(None, n)
    return objects([
        _message(*parts)
        for parts in zip(
            records["file"], records["row"], cells, records["column"],
            records["ion"], records["value"], records["rule"], records["text"],
            records["detail"], strict=True,
        )
    ])  # fmt: skip


def with_messages(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with their messages, as failures.parquet holds them: columns
    :data:`RECORD_KEYS` and a workbook's ``cell``."""
    keys = [*RECORD_KEYS, *(["cell"] if "cell" in records else [])]
    out = records.drop(columns=["text", "detail"])
    # object dtype, as the other columns (an array would be inferred as text)
    out["message"] = pd.Series(_messages(records), index=out.index, dtype=object)
    return out[keys]


def in_cells(ing: Ingested, records: pd.DataFrame) -> pd.DataFrame:
    """A workbook's failure records located as a spreadsheet shows the cell: a
    ``cell`` column (``Sheet1!D17``; a whole row ``Sheet1!17:17``), which the
    message then names instead of the row. Records of other files are returned as
    they are.
    """
    sheet = ing.info.get("sheet")
    if sheet is None or not len(records):
        return records
    at = ing.info.get("column_index", {})
    cells = [
        None if row is None else cell_name(sheet, at.get(column), row)
        for row, column in zip(records["row"], records["column"], strict=True)
    ]
    out = records.copy()
    out["cell"] = objects(cells)
    return out


def bounded(records: pd.DataFrame) -> dict:
    """validation.json's failures: the first :data:`EXAMPLES` of each rule and
    column (in record order) and the count of each, so the file stays small for
    any table; every failure is in ``failures.parquet``."""
    key = records[["rule", "column"]].astype(str)
    groups = key.groupby(["rule", "column"], sort=False, dropna=False)
    rank = groups.cumcount().to_numpy()
    examples = with_messages(records[rank < EXAMPLES])
    first = records.loc[rank == 0, ["rule", "column", "severity"]]
    counts = zip(*(first[c].tolist() for c in first), groups.size().tolist(),
                 strict=True)  # fmt: skip
    return {
        "failures": [
            dict(zip(examples.columns, r, strict=True))
            for r in examples.itertuples(index=False)
        ],
        "failures_total": len(records),
        "failures_shown": len(examples),
        "examples_per_rule_and_column": EXAMPLES,
        "failure_counts": [
            {"rule": r, "column": c, "severity": sev, "count": int(k)}
            for r, c, sev, k in counts
        ],
    }


#: The columns of a failure record (validation.json's examples, failures.parquet).
RECORD_KEYS = ("file", "row", "column", "value", "ion", "rule", "severity", "message")
#: The columns of a validation result's ``records``: a record's message in parts,
#: its ``text`` (shared by a rule's failures) and ``detail`` (see :func:`_message`).
PART_KEYS = (*RECORD_KEYS[:-1], "text", "detail")


def reported(
    ing: Ingested, failures: list, spec: Contract
) -> tuple[pd.DataFrame, np.ndarray, dict[int, list[tuple]]]:
    """The failure records of ``failures`` (file-level first, then by row; columns
    :data:`PART_KEYS`, object dtype), the table rows with errors, and each such
    row's errors as ``(rule, column, value)`` in the file's words.

    Failure objects go one by one (the plain path); a list with a
    :class:`FailureBlock` (a big table) goes column-wise.
    """
    if any(isinstance(f, FailureBlock) for f in failures):
        return _reported_columns(ing, failures, spec)
    n = len(ing.table)
    rows = ing.table["source_row"].to_numpy() if n else np.array([], np.int64)
    raw_pos = ing.table["_raw_pos"].to_numpy()
    header_row = ing.info.get("header_row")
    bad = np.zeros(n, dtype=bool)
    reasons: dict[int, list[tuple]] = {}
    records = []
    cells: set[tuple] = set()  # (source row, header, rule) reported so far
    for f in sorted(failures, key=lambda f: (f.index is not None, f.index or 0)):
        idx = f.index
        row = (f.row or header_row) if idx is None else int(rows[idx])
        column = f.reported_column
        value = jsonable(f.value)
        # A wide row's cell that concerns the whole row (its temperature) fails
        # every record of the row, but is one cell: reported once.
        cell = None if idx is None else (int(raw_pos[idx]), column, f.rule)
        if ing.layout != "wide" or cell is None or cell not in cells:
            cells.add(cell)
            text = _text(f.rule, f.message, value, spec)
            records.append(
                (ing.path, row, column, value, f.ion, f.rule, f.severity, text, None)
            )
        if f.is_error:
            _note_error(bad, reasons, idx, (f.rule, column, value))
    frame = pd.DataFrame(
        {key: objects([r[k] for r in records]) for k, key in enumerate(PART_KEYS)},
        dtype=object,  # cells as they are: no text column of missing values
    )
    return frame, bad, reasons


def objects(values) -> np.ndarray:
    """A 1-d object array of ``values`` (tuples stay cells)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def repeat(text: str | None, n: int) -> np.ndarray:
    """An object array of ``n`` references to one ``text`` (``np.full`` makes a
    copy of the text per entry: a million copies of a rule's sentence)."""
    out = np.empty(n, dtype=object)
    out[:] = text
    return out


def _flat(failures: list) -> dict[str, np.ndarray]:
    """Failures and blocks of failures as columns, in list order: rule, message,
    detail (a block's, else None), column (canonical), reported (the file's
    header), value, severity, ion and index (-1 for a file-level failure)."""
    parts: dict[str, list] = {k: [] for k in (
        "rule", "message", "detail", "column", "reported", "value", "severity",
        "ion", "index", "row",
    )}  # fmt: skip
    singles: list[Failure] = []

    def flush():
        if not singles:
            return
        parts["rule"].append(objects([f.rule for f in singles]))
        parts["message"].append(objects([f.message for f in singles]))
        parts["detail"].append(repeat(None, len(singles)))
        parts["column"].append(objects([f.column for f in singles]))
        parts["reported"].append(objects([f.reported_column for f in singles]))
        parts["value"].append(objects([f.value for f in singles]))
        parts["severity"].append(objects([f.severity for f in singles]))
        parts["ion"].append(objects([f.ion for f in singles]))
        index = [-1 if f.index is None else f.index for f in singles]
        parts["index"].append(np.asarray(index, dtype=np.int64))
        parts["row"].append(objects([f.row for f in singles]))
        singles.clear()

    for f in failures:
        if not isinstance(f, FailureBlock):
            singles.append(f)
            continue
        flush()
        m = len(f)
        source = f.source_column if f.source_column is not None else repeat(None, m)
        reported = np.where(pd.isna(source), f.column, source).astype(object)
        parts["rule"].append(repeat(f.rule, m))
        parts["message"].append(np.asarray(f.message, dtype=object))
        parts["detail"].append(repeat(None, m) if f.detail is None else f.detail)
        parts["column"].append(repeat(f.column, m))
        parts["reported"].append(reported)
        parts["value"].append(np.asarray(f.value, dtype=object))
        parts["severity"].append(repeat(f.severity, m))
        parts["ion"].append(f.ion if f.ion is not None else repeat(None, m))
        parts["index"].append(np.asarray(f.index, dtype=np.int64))
        parts["row"].append(repeat(None, m))
    flush()
    return {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}


def _reported_columns(
    ing: Ingested, failures: list, spec: Contract
) -> tuple[pd.DataFrame, np.ndarray, dict[int, list[tuple]]]:
    """:func:`reported` column-wise: no object per failure."""
    n = len(ing.table)
    cols = _flat(failures)
    has = cols["index"] >= 0
    order = np.lexsort((np.where(has, cols["index"], 0), has))  # stable
    cols = {k: v[order] for k, v in cols.items()}
    has, idx = has[order], cols["index"]
    rows = ing.table["source_row"].to_numpy()
    row = np.full(len(idx), ing.info.get("header_row"), dtype=object)
    row[has] = rows[idx[has]].tolist()
    given = ~has & pd.notna(cols["row"])  # a row the reader left out
    row[given] = cols["row"][given]
    value = objects([jsonable(v) for v in cols["value"]])
    keep = np.ones(len(idx), dtype=bool)
    if ing.layout == "wide":  # a wide row's cell is reported once (see reported)
        pos = np.where(has, ing.table["_raw_pos"].to_numpy()[np.where(has, idx, 0)], -1)
        cell = pd.DataFrame(
            {"pos": pos, "column": np.where(has, cols["reported"], ""),
             "rule": np.where(has, cols["rule"], "")}
        )  # fmt: skip
        keep = ~cell.astype(str).duplicated().to_numpy() | ~has  # file-level: all
    kept = np.flatnonzero(keep)
    text = [
        _text(rule, m, v, spec)
        for rule, m, v in zip(
            cols["rule"][kept], cols["message"][kept], value[kept], strict=True
        )
    ]
    frame = pd.DataFrame(
        {
            "file": repeat(ing.path, len(kept)),
            "row": row[kept],
            "column": cols["reported"][kept],
            "value": value[kept],
            "ion": cols["ion"][kept],
            "rule": cols["rule"][kept],
            "severity": cols["severity"][kept],
            "text": objects(text),
            "detail": cols["detail"][kept],
        },
        dtype=object,
    )
    bad = np.zeros(n, dtype=bool)
    reasons: dict[int, list[tuple]] = {}
    for k in np.flatnonzero(cols["severity"] == "error"):
        at = None if idx[k] < 0 else int(idx[k])
        _note_error(bad, reasons, at, (cols["rule"][k], cols["reported"][k], value[k]))
    return frame, bad, reasons


def _note_error(bad: np.ndarray, reasons: dict, index: int | None, short: tuple):
    """Mark the row ``index`` (every row for a file-level error, None) as having
    the error ``short``, ``(rule, column, value)``, in ``bad`` and ``reasons``."""
    if index is None:
        bad[:] = True
        for i in range(len(bad)):
            reasons.setdefault(i, []).append(short)
    else:
        bad[index] = True
        reasons.setdefault(index, []).append(short)


def _value_text(value) -> str | None:
    """A record's value as text: a number as JSON writes it (repr for a float)."""
    kind = type(value)
    if value is None or kind is str:
        return value
    if kind is float:  # finite: jsonable made NaN None and infinities text
        return repr(value)
    return json.dumps(value, default=str)


#: Rows per row group of failures.parquet, each converted and written on its own:
#: a million messages converted at once took 1.4 GB for their 0.5 GB of text.
_FAILURE_GROUP_ROWS = 1 << 17


def write_failures(path: str | os.PathLike, records: pd.DataFrame | None) -> None:
    """Every failure as a parquet table (columns :data:`RECORD_KEYS`, and a
    workbook's ``cell`` when the records have it; ``row`` an integer, ``value``
    the cell as text: a number as JSON writes it), written a row group of
    :data:`_FAILURE_GROUP_ROWS` records at a time.

    ``records`` hold their messages (a validation result's ``failures``) or their
    parts (its ``records``: each row group's messages are made as it is written).
    """
    import pyarrow.parquet as pq

    if records is None:
        records = pd.DataFrame({k: [] for k in RECORD_KEYS})
    keys = [*RECORD_KEYS, *(["cell"] if "cell" in records else [])]
    parts = (
        _failure_table(records.iloc[start : start + _FAILURE_GROUP_ROWS], keys)
        for start in range(0, max(len(records), 1), _FAILURE_GROUP_ROWS)
    )
    first = next(parts)
    # parquet would try a dictionary for every column it is not told otherwise
    # of: for a million distinct messages, for nothing
    coded = [f.name for f in first.schema if f.name in _FEW_TEXTS]
    with (
        atomic_path(path) as tmp,
        pq.ParquetWriter(tmp, first.schema, use_dictionary=coded) as writer,
    ):
        writer.write_table(first)
        for part in parts:
            writer.write_table(part)


#: failures.parquet's columns of few distinct texts, each stored once.
_FEW_TEXTS = frozenset({"file", "column", "ion", "rule", "severity"})


def _failure_table(records: pd.DataFrame, keys: list[str]):
    """``records``' columns ``keys`` as failures.parquet stores them."""
    import pyarrow as pa

    columns = {}
    for k in keys:
        if k == "message" and k not in records:
            cells = _messages(records)
        else:
            cells = records[k].to_numpy(dtype=object)
        if k == "row":
            columns[k] = pa.array(cells, type=pa.int64())
        elif k == "value":
            columns[k] = pa.array([_value_text(v) for v in cells], type=pa.string())
        elif k in _FEW_TEXTS:
            columns[k] = pa.array(cells, type=pa.string()).dictionary_encode()
        else:  # message, cell
            columns[k] = pa.array(cells, type=pa.string())
    return pa.table(columns)
