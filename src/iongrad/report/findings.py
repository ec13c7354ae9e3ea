"""The validation section: rejected rows with their sample and ion, warnings grouped.

Every failure of ``validation.json`` names a file and a row; the sample and the ion
of that row come from ``rejected.csv`` (rows the gate quarantined) or the potentials
table (rows that were accepted). Errors (rejected rows) are listed one by one;
warnings are grouped by rule, with how many rows and which samples each rule
concerns, and their rows behind a click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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


def _row_owners(pot: pd.DataFrame, rejected: Path | None) -> dict:
    """(file, row) -> (sample_id, ion) for every source row the results know."""
    owners: dict = {}
    frames = []
    if {"source_file", "source_row"} <= set(pot.columns):
        frames.append(pot[["source_file", "source_row", "sample_id", "ion"]])
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
    for frame in frames:
        rows = pd.to_numeric(frame["source_row"], errors="coerce")
        for f, r, s, i in zip(
            frame["source_file"].astype(str),
            rows,
            frame["sample_id"],
            frame["ion"],
            strict=True,
        ):
            if np.isfinite(r):
                owners.setdefault((f, int(r)), (str(s), str(i)))
    return owners


def _short_message(message, rule) -> str:
    """The message without the "file, row, column, value, rule:" it repeats."""
    if isinstance(message, str) and rule and f"rule {rule}: " in message:
        return message.split(f"rule {rule}: ", 1)[1]
    return message


def failure_frame(
    records: list, pot: pd.DataFrame, rejected: Path | None = None
) -> pd.DataFrame:
    """The failures of validation.json as a table with the sample and ion of their
    row; errors first, each severity in source-row order."""
    cols = list(FAILURE_KEYS)
    if not records:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    rows = [r if isinstance(r, dict) else {"message": str(r)} for r in records]
    frame = pd.DataFrame(rows)
    for c in cols:
        if c not in frame:
            frame[c] = None
    frame = frame[cols].astype(object).where(frame[cols].notna(), None)
    owners = _row_owners(pot, rejected)
    found = [
        owners.get((str(f), int(r))) if _is_row(r) else None
        for f, r in zip(frame["file"], frame["row"], strict=True)
    ]
    frame["sample_id"] = [
        o[0] if o else _sample_in(m)
        for o, m in zip(found, frame["message"], strict=True)
    ]
    frame["ion"] = [o[1] if o else None for o in found]
    frame["message"] = [
        _short_message(m, r)
        for m, r in zip(frame["message"], frame["rule"], strict=True)
    ]
    rank = frame["severity"].map({"error": 0, "warning": 1}).fillna(2)
    row = pd.to_numeric(frame["row"], errors="coerce")
    order = np.lexsort((row.fillna(np.inf).to_numpy(), rank.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _is_row(value) -> bool:
    try:
        return np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


_SAMPLE_IN_MESSAGE = re.compile(r"\(sample '([^']*)'")


def _sample_in(message) -> str | None:
    """The sample a sample-level message names, ``(sample 'x': ...)``."""
    if not isinstance(message, str):
        return None
    m = _SAMPLE_IN_MESSAGE.search(message)
    return m.group(1) if m else None


def rule_groups(frame: pd.DataFrame, severity: str = "warning") -> list[RuleGroup]:
    """The failures of one severity grouped by rule, most frequent rule first."""
    part = frame[frame["severity"].astype(str) == severity]
    groups = []
    for rule, rows in part.groupby(part["rule"].astype(str), sort=False):
        samples = [str(s) for s in dict.fromkeys(rows["sample_id"].dropna())]
        first = rows["message"].dropna()
        groups.append(
            RuleGroup(
                rule=rule,
                severity=severity,
                count=len(rows),
                samples=samples,
                frame=rows.reset_index(drop=True),
                message=_rule_text(str(first.iloc[0])) if len(first) else "",
            )
        )
    return sorted(groups, key=lambda g: -g.count)


def _rule_text(message: str) -> str:
    """What a rule says, without the one row's particulars in brackets at the end."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", message).strip()
