"""The validation section: rejected rows with their sample and ion, warnings grouped.

Every failure (of ``validation.json``, or of ``failures.parquet`` when the gate
writes one) names a file and a row; the sample and the ion of that row come from
``rejected.csv`` (rows the gate quarantined) or the potentials table (rows that were
accepted), looked up for the failures' rows only. Errors (rejected rows) are listed
one by one; warnings are grouped by rule, with how many rows and which samples each
rule concerns, and their first rows behind a click.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from iongrad.tables.locate import as_text

__all__ = [
    "FAILURE_KEYS",
    "OWNER_COLUMNS",
    "Failures",
    "RuleGroup",
    "failure_digest",
    "locate_failures",
    "rule_groups",
]

#: Columns of a failure record, in table order.
FAILURE_KEYS = (
    "sample_id",
    "ion",
    "file",
    "row",
    "column",
    "value",
    "rule",
    "severity",
    "message",
)


@dataclass
class RuleGroup:
    """The warnings of one rule: how many, which samples, and their rows."""

    rule: str
    severity: str
    count: int
    samples: list[str]
    frame: pd.DataFrame
    message: str


#: Columns of the potentials table that give a failure's row its sample and ion.
OWNER_COLUMNS = ("source_file", "source_row", "sample_id", "ion")


def _owners(
    pot: pd.DataFrame, rejected: Path | None, files: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The sample and ion of each failure's row (its file's text and row number):
    those of the first results row with that source file and row, the potentials'
    rows first, then rejected.csv's; None where no row owns it.

    The rows are matched on codes (one factorization of the files' texts, one of
    the row numbers), with the texts of the owners taken for the failures only: a
    big table has a million failures, each the owner of a potentials row.
    """
    n = len(rows)
    sample, ion = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    wanted = np.unique(rows[np.isfinite(rows)])
    todo = np.flatnonzero(np.isfinite(rows))
    for source in _owner_sources(pot, rejected, wanted):
        if not len(todo):
            break
        file_s, row_s, sample_s, ion_s = source
        vocab = pd.Index(pd.unique(files[todo]))
        known = vocab.get_indexer(file_s)
        both = pd.factorize(np.concatenate([rows[todo], row_s]))[0]
        width = int(both.max(initial=0)) + 1
        key_s = np.where(known >= 0, known * width + both[len(todo) :], -1)
        key_f = vocab.get_indexer(files[todo]) * width + both[: len(todo)]
        keys, first = np.unique(key_s, return_index=True)  # the first owner of each
        hit = np.zeros(len(todo), dtype=bool)
        if len(keys):
            at = np.minimum(np.searchsorted(keys, key_f), len(keys) - 1)
            hit = keys[at] == key_f  # key_f >= 0; a file no failure names is -1
            owner = first[at[hit]]
            sample[todo[hit]] = sample_s.iloc[owner].to_numpy(dtype=object)
            ion[todo[hit]] = ion_s.iloc[owner].to_numpy(dtype=object)
        todo = todo[~hit]
    return sample, ion


def _owner_sources(pot: pd.DataFrame, rejected: Path | None, wanted: np.ndarray):
    """(source file, source row, sample, ion) of the potentials' rows whose source
    row is one of ``wanted`` (file, sample and ion as texts), then of rejected.csv's
    rows (its sample and ion empty where it has none)."""
    if {"source_file", "source_row"} <= set(pot.columns):
        rows = pd.to_numeric(pot["source_row"], errors="coerce").to_numpy(float)
        owned = np.isin(rows, wanted)
        # only the four columns of the rows wanted, not a copy of every column
        part = pot.loc[owned, list(OWNER_COLUMNS)]
        yield (
            as_text(part["source_file"]),
            rows[owned],
            as_text(part["sample_id"]),
            as_text(part["ion"]),
        )
    if rejected is not None and rejected.is_file():
        try:
            rej = pd.read_csv(rejected, dtype=str, keep_default_na=False)
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            rej = pd.DataFrame()
        if {"source_file", "source_row"} <= set(rej.columns):
            rows = pd.to_numeric(rej["source_row"], errors="coerce").to_numpy(float)
            empty = pd.Series("", index=rej.index, dtype=object)
            yield (
                rej["source_file"].astype(str),
                rows,
                rej.get("sample_id", empty),
                rej.get("ion", empty),
            )


def _texts(values: pd.Series) -> pa.Array:
    """``values`` as an arrow string array: text as it is, anything else null."""
    items = values.to_numpy(dtype=object)
    return pa.array([v if isinstance(v, str) else None for v in items], pa.string())


def _re2_literal(text: str) -> str:
    """``text`` as a literal in an RE2 pattern (arrow's regular expressions)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _short_messages(frame: pd.DataFrame) -> pd.Series:
    """The messages without the "file, row, column, value, rule:" they repeat: the
    text after the first ``rule <rule>: `` of each message that has one (per rule,
    in arrow's compute kernels: a big table has hundreds of thousands)."""
    messages = frame["message"].astype(object)
    text = _texts(messages)
    rules = frame["rule"].astype(str).to_numpy(dtype=object)
    out = text
    for rule in frame["rule"].dropna().astype(str).unique():
        prefix = "(?s)^.*?" + _re2_literal(f"rule {rule}: ")
        cut = pc.replace_substring_regex(text, prefix, "", max_replacements=1)
        out = pc.if_else(pa.array(rules == rule), cut, out)
    short = pd.Series(out.to_numpy(zero_copy_only=False), index=frame.index)
    return short.where(short.notna(), messages)


@dataclass
class Failures:
    """A dataset's failures: every one counted, the ones a report shows located.

    ``frame`` holds the failures kept (columns :data:`FAILURE_KEYS`; every failure,
    or above ``limit`` of :func:`locate_failures` the first ones of each rule and
    key), errors first and each severity in source-row order, with the sample and
    the ion of their row and the message without the prefix it repeats. The counts
    are over every failure: ``rules`` and ``samples`` per (severity, rule) in order
    of first appearance, ``key_counts`` per row of ``frame`` the failures of its
    (severity, rule, column).
    """

    frame: pd.DataFrame
    total: int
    warnings: int
    error_rows: int
    rules: dict[tuple[str, str], int]
    samples: dict[tuple[str, str], list[str]]
    key_counts: np.ndarray

    @property
    def errors(self) -> int:
        """Failures that are not warnings (their rows were rejected)."""
        return self.total - self.warnings

    @property
    def complete(self) -> bool:
        """Whether ``frame`` holds every failure."""
        return len(self.frame) == self.total


def locate_failures(
    source,
    pot: pd.DataFrame,
    rejected: Path | None = None,
    *,
    limit: int | None = None,
    first: int = 0,
    examples: int = 0,
) -> Failures:
    """The failures of validation.json (a list of records) or of a failures.parquet
    (its path, or its table) with the sample and ion of their row, counted.

    With more than ``limit`` failures, only those a report can show are kept and
    located in full: the first ``first`` errors, the first ``first`` of each
    (severity, rule), the first ``examples`` of each (severity, rule, column), the
    first row of each of the first eight rejected rows and each rule's first
    message; the counts are still over every failure. A failures.parquet's values
    and messages (a big table has a million) are then read for the kept rows and
    the rows whose sample only the message names; the other columns are a code
    per row.
    """
    frame, parquet = _slim(source)
    n = len(frame)
    if n == 0:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in FAILURE_KEYS})
        return Failures(empty, 0, 0, 0, {}, {}, np.zeros(0, np.int64))
    row = pd.to_numeric(frame["row"], errors="coerce")
    rank = frame["severity"].map({"error": 0, "warning": 1}).fillna(2)
    order = np.lexsort((row.fillna(np.inf).to_numpy(), rank.to_numpy()))
    files = frame["file"].astype(str).to_numpy(dtype=object)
    sample, ion = _owners(pot, rejected, files, row.to_numpy(dtype=float))
    known = pd.notna(sample)
    ion = np.where(known, ion, None)
    if not known.all():  # a sample-level message names its sample
        unknown = np.flatnonzero(~known)
        named = _texts(pd.Series(_column_at(frame, parquet, "message", unknown)))
        named = named.to_pandas()
        found_in = named.str.extract(_SAMPLE_IN_MESSAGE.pattern, expand=False)
        sample[unknown] = found_in.to_numpy(dtype=object)
    frame["sample_id"], frame["ion"] = sample, ion
    located = frame[["sample_id", "ion"]].astype(object)
    frame[["sample_id", "ion"]] = located.where(located.notna(), None)

    ordered = frame.iloc[order].reset_index(drop=True)
    severity, rule = _text(ordered["severity"]), _text(ordered["rule"])
    warning = severity == "warning"
    by_rule = _groups(severity, rule)
    by_key = _groups(severity, rule, _text(ordered["column"]))
    pairs = ordered.loc[~warning, ["file", "row"]]
    first_of_pair = ~pairs.duplicated().to_numpy()

    keep = np.ones(n, dtype=bool)
    if limit is not None and n > limit:
        keep = (by_rule.rank < first) | (by_key.rank < examples)
        error_rank = np.cumsum(~warning) - 1
        keep |= ~warning & (error_rank < first)
        firsts = np.flatnonzero(~warning)[first_of_pair][:8]
        keep[firsts] = True
        has_message = _column_at(frame, parquet, "message", None, valid=True)[order]
        with_message = np.flatnonzero(has_message)
        keep[with_message[_groups(by_rule.code[with_message]).rank == 0]] = True
    kept = ordered.loc[keep].reset_index(drop=True)
    for column in ("value", "message"):
        if column not in kept:
            kept[column] = _column_at(frame, parquet, column, order[keep])
    kept = kept[list(FAILURE_KEYS)]
    kept["message"] = _short_messages(kept)

    groups = [(severity[i], rule[i]) for i in by_rule.first]
    samples: dict[tuple[str, str], list[str]] = {}
    named = np.flatnonzero(pd.notna(ordered["sample_id"]).to_numpy())
    texts = ordered["sample_id"].to_numpy(dtype=object)[named].astype(str)
    for k in _groups(by_rule.code[named], texts).first:
        samples.setdefault(groups[by_rule.code[named[k]]], []).append(str(texts[k]))
    return Failures(
        frame=kept,
        total=n,
        warnings=int(warning.sum()),
        error_rows=int(first_of_pair.sum()),
        rules={g: int(c) for g, c in zip(groups, by_rule.sizes, strict=True)},
        samples=samples,
        key_counts=by_key.size[keep],
    )


def _text(values) -> np.ndarray:
    """``values`` as texts (objects), a missing value as the empty text: grouped
    and compared as one (pandas' ``astype(str)`` makes None "None" in pandas 2 and
    leaves it missing in pandas 3, where a grouping then drops it)."""
    # each distinct value made a text once, then taken by code: a big table's
    # million failures made a new text object per row and column otherwise
    codes, uniques = pd.factorize(
        pd.Series(values, dtype=object), use_na_sentinel=False
    )
    texts = pd.Series(uniques, dtype=object).fillna("").astype(str).to_numpy(object)
    return texts[codes]


def failure_digest(failures: Failures, examples: int) -> pd.DataFrame:
    """Failures counted per (severity, rule, column), with the first ``examples``
    of each (of :attr:`Failures.frame`, errors first, in row order): columns
    severity, rule, column, count, then the example's sample, ion, file, row,
    value and message."""
    frame = failures.frame
    keys = ["severity", "rule", "column"]
    rank = _groups(*(_text(frame[k]) for k in keys)).rank
    keep = rank < examples
    out = frame.loc[keep].copy()
    out.insert(0, "count", failures.key_counts[keep])
    rest = [c for c in out.columns if c not in ("count", *keys)]
    return out[[*keys, "count", *rest]].reset_index(drop=True)


@dataclass
class _Groups:
    """Rows grouped by their keys, groups in order of first appearance: per row
    ``code`` (its group), ``size`` (its group's) and ``rank`` (0 for the group's
    first row); per group ``sizes`` and ``first`` (its first row)."""

    code: np.ndarray
    size: np.ndarray
    rank: np.ndarray
    sizes: np.ndarray
    first: np.ndarray


def _groups(*keys: np.ndarray) -> _Groups:
    """Group rows by ``keys`` (arrays of texts or codes, one value per row): numpy
    on the codes of the keys, which are factorized once (pandas' groupby costs a
    millisecond a call on a handful of failures, and a report makes several)."""
    code = pd.factorize(keys[0])[0].astype(np.int64)
    for key in keys[1:]:
        part = pd.factorize(key)[0].astype(np.int64)
        code = pd.factorize(code * (int(part.max(initial=0)) + 1) + part)[0]
    sizes = np.bincount(code)
    by_group = np.argsort(code, kind="stable")
    starts = np.cumsum(sizes) - sizes
    rank = np.empty(len(code), dtype=np.int64)
    rank[by_group] = np.arange(len(code)) - np.repeat(starts, sizes)
    return _Groups(code, sizes[code], rank, sizes, by_group[starts])


def _slim(source) -> tuple[pd.DataFrame, pq.ParquetFile | None]:
    """The failures as a frame of object columns (None where missing) and, for a
    failures.parquet, the file: its ``value`` and ``message`` columns are then left
    out of the frame, to be read for the rows that need them."""
    parquet = None
    if isinstance(source, (str, os.PathLike)):
        parquet = pq.ParquetFile(source)
        names = parquet.schema_arrow.names
        wanted = [k for k in FAILURE_KEYS if k in names and k not in _TEXTS]
        frame = parquet.read(columns=wanted).to_pandas()
    elif source is None:
        frame = pd.DataFrame()
    elif isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
    else:
        rows = [r if isinstance(r, dict) else {"message": str(r)} for r in source]
        frame = pd.DataFrame(rows)
    cols = [c for c in FAILURE_KEYS if parquet is None or c not in _TEXTS]
    for c in cols:
        if c not in frame:
            frame[c] = None
    return frame[cols].astype(object).where(frame[cols].notna(), None), parquet


#: The columns of a failures.parquet read only for the rows that need them.
_TEXTS = ("value", "message")
#: Rows of a failures.parquet read at a time for their values and messages.
_BATCH_ROWS = 65_536


def _column_at(
    frame: pd.DataFrame,
    parquet: pq.ParquetFile | None,
    column: str,
    at: np.ndarray | None,
    *,
    valid: bool = False,
) -> np.ndarray:
    """``column`` at the rows ``at`` (all when None) of the failures, as objects
    (None where missing); with ``valid``, whether each row has a value. A
    failures.parquet is read :data:`_BATCH_ROWS` rows at a time, keeping only the
    rows asked for."""
    n = len(frame)
    at = np.arange(n) if at is None else np.asarray(at, dtype=np.int64)
    if parquet is None:
        values = frame[column].to_numpy(dtype=object)[at]
        return pd.notna(values) if valid else values
    if column not in parquet.schema_arrow.names:
        return np.zeros(len(at), bool) if valid else np.full(len(at), None, object)
    out = np.empty(len(at), dtype=bool if valid else object)
    where = np.argsort(at, kind="stable")
    wanted = at[where]
    start = 0
    for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=[column]):
        stop = start + batch.num_rows
        lo, hi = np.searchsorted(wanted, [start, stop])
        if hi > lo:
            part = batch.column(0).take(pa.array(wanted[lo:hi] - start))
            if valid:
                out[where[lo:hi]] = part.is_valid().to_numpy(zero_copy_only=False)
            else:
                out[where[lo:hi]] = np.asarray(part.to_pylist(), dtype=object)
        start = stop
    return out


_SAMPLE_IN_MESSAGE = re.compile(r"\(sample '([^']*)'")


def rule_groups(
    failures: Failures, severity: str = "warning", shown: int | None = None
) -> list[RuleGroup]:
    """The failures of one severity grouped by rule, most frequent rule first; each
    group's ``frame`` holds its first ``shown`` failures (all kept when None), its
    count and samples are over every failure of the rule."""
    frame = failures.frame
    part = frame[_text(frame["severity"]) == severity]
    groups = []
    for rule, rows in part.groupby(_text(part["rule"]), sort=False):
        first = rows["message"].dropna()
        groups.append(
            RuleGroup(
                rule=rule,
                severity=severity,
                count=failures.rules[(severity, rule)],
                samples=failures.samples.get((severity, rule), []),
                frame=rows.iloc[:shown].reset_index(drop=True),
                message=_rule_text(str(first.iloc[0])) if len(first) else "",
            )
        )
    return sorted(groups, key=lambda g: -g.count)


def _rule_text(message: str) -> str:
    """What a rule says, without the one row's particulars in brackets at the end."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", message).strip()
