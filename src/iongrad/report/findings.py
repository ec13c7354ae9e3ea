"""The validation section: rejected rows with their sample and ion, warnings grouped.

Every failure (of ``validation.json``, or of ``failures.parquet`` when the gate
writes one) names a file and a row; the sample and the ion of that row come from
``rejected.csv`` (rows the gate quarantined) or the potentials table (rows that were
accepted), looked up for the failures' rows only. Errors (rejected rows) are listed
one by one; warnings are grouped by rule, with how many rows and which samples each
rule concerns, and their first rows behind a click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["FAILURE_KEYS", "RuleGroup", "failure_frame", "rule_groups"]

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


def _owner_rows(pot: pd.DataFrame, rejected: Path | None, wanted) -> pd.DataFrame:
    """(source_file, source_row, sample_id, ion) of the results' rows whose source
    row is one of ``wanted``: the potentials first, then rejected.csv; the first
    owner of a (file, row) wins."""
    frames = []
    if {"source_file", "source_row"} <= set(pot.columns):
        rows = pd.to_numeric(pot["source_row"], errors="coerce").to_numpy(float)
        # only the four columns of the rows wanted, not a copy of every column
        keys = ["source_file", "source_row", "sample_id", "ion"]
        frames.append(pot.loc[np.isin(rows, wanted), keys])
    if rejected is not None and rejected.is_file():
        try:
            rej = pd.read_csv(rejected, dtype=str, keep_default_na=False)
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            rej = pd.DataFrame()
        if {"source_file", "source_row"} <= set(rej.columns):
            for col in ("sample_id", "ion"):
                if col not in rej:
                    rej[col] = ""
            frames.append(rej[["source_file", "source_row", "sample_id", "ion"]])
    if not frames:
        return pd.DataFrame(columns=["source_file", "source_row", "sample_id", "ion"])
    owners = pd.concat(frames, ignore_index=True)
    owners["source_row"] = pd.to_numeric(owners["source_row"], errors="coerce")
    owners = owners[np.isfinite(owners["source_row"].to_numpy(float))]
    owners = owners.astype({"source_file": str, "source_row": float})
    owners = owners.astype({"sample_id": str, "ion": str}).astype(object)
    return owners.drop_duplicates(["source_file", "source_row"], keep="first")


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


def failure_frame(
    records, pot: pd.DataFrame, rejected: Path | None = None
) -> pd.DataFrame:
    """The failures of validation.json (a list of records, or the table of a
    failures.parquet) with the sample and ion of their row; errors first, each
    severity in source-row order."""
    cols = list(FAILURE_KEYS)
    if records is None or not len(records):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    if isinstance(records, pd.DataFrame):
        frame = records.reset_index(drop=True)
    else:
        rows = [r if isinstance(r, dict) else {"message": str(r)} for r in records]
        frame = pd.DataFrame(rows)
    for c in cols:
        if c not in frame:
            frame[c] = None
    frame = frame[cols].astype(object).where(frame[cols].notna(), None)
    row = pd.to_numeric(frame["row"], errors="coerce")
    keys = pd.DataFrame({"source_file": frame["file"].astype(str), "source_row": row})
    owners = _owner_rows(pot, rejected, row.dropna().unique())
    found = keys.merge(owners, on=["source_file", "source_row"], how="left")
    known = found["sample_id"].notna().to_numpy()
    in_message = np.full(len(frame), None, dtype=object)
    if not known.all():  # a sample-level message names its sample
        named = _texts(frame["message"][~known]).to_pandas()
        found_in = named.str.extract(_SAMPLE_IN_MESSAGE.pattern, expand=False)
        in_message[~known] = found_in.to_numpy(dtype=object)
    frame["sample_id"] = np.where(known, found["sample_id"], in_message)
    frame["ion"] = np.where(known, found["ion"], None)
    frame[["sample_id", "ion"]] = frame[["sample_id", "ion"]].astype(object)
    frame[["sample_id", "ion"]] = frame[["sample_id", "ion"]].where(
        frame[["sample_id", "ion"]].notna(), None
    )
    frame["message"] = _short_messages(frame)
    rank = frame["severity"].map({"error": 0, "warning": 1}).fillna(2)
    order = np.lexsort((row.fillna(np.inf).to_numpy(), rank.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


_SAMPLE_IN_MESSAGE = re.compile(r"\(sample '([^']*)'")


def rule_groups(
    frame: pd.DataFrame, severity: str = "warning", shown: int | None = None
) -> list[RuleGroup]:
    """The failures of one severity grouped by rule, most frequent rule first; each
    group's ``frame`` holds its first ``shown`` failures (all when None), its count
    and samples are over all of them."""
    part = frame[frame["severity"].astype(str) == severity]
    groups = []
    for rule, rows in part.groupby(part["rule"].astype(str), sort=False):
        samples = [str(s) for s in rows["sample_id"].dropna().astype(str).unique()]
        first = rows["message"].dropna()
        groups.append(
            RuleGroup(
                rule=rule,
                severity=severity,
                count=len(rows),
                samples=samples,
                frame=rows.iloc[:shown].reset_index(drop=True),
                message=_rule_text(str(first.iloc[0])) if len(first) else "",
            )
        )
    return sorted(groups, key=lambda g: -g.count)


def _rule_text(message: str) -> str:
    """What a rule says, without the one row's particulars in brackets at the end."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", message).strip()
