"""What the data gate finds wrong: one :class:`Failure` per problem.

A failure names the rule it breaks, where it is and what was there. It is made
where the problem is found (the reader, the table builder, the contract's checks)
and located step by step: the table builder knows the source row's position
(:class:`RowFailures`), the built table knows its row ``index``, and
:func:`iongrad.gate.validation.validate_file` finally sets ``file`` and the line
``row`` a spreadsheet shows, which :meth:`Failure.to_dict` writes to
``validation.json``.

Examples
--------
>>> f = Failure(rule="number_format", message="not a number", column="c_in_mM",
...             value="abc", source_column="c_in", file="a.csv", row=3)
>>> f.reported_column
'c_in'
>>> f.to_dict()["value"], f.to_dict()["severity"]
('abc', 'error')
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from iongrad.files import jsonable

__all__ = [
    "Failure",
    "FailureBlock",
    "IngestError",
    "RowFailure",
    "RowFailures",
    "with_detail",
]


@dataclass(frozen=True)
class Failure:
    """One problem in an input file.

    Attributes
    ----------
    rule : str
        Name of the broken rule (a contract rule, an ingest rule or a builtin).
    message : str
        What is wrong, for a person.
    column : str, optional
        Canonical column (``c_in_mM``), or the file's header for a problem of the
        header itself.
    value : object, optional
        The offending cell or a description of it.
    severity : {"error", "warning"}
        Errors reject rows; warnings are reported only.
    index : int, optional
        Row of the canonical table; None for a problem of the whole file.
    source_column : str, optional
        The file's header the value came from, when it differs from ``column``.
    file, row : optional
        The input file and the line a spreadsheet shows (header = line 1), set
        when the failure is reported.
    ion : str, optional
        The ion a wide file's column implies (``Ca_in [nM]``: ``Ca2+``); None for a
        long file's cells and for cells that belong to the whole row.
    cell : str, optional
        A workbook's cell as a spreadsheet names it (``Sheet1!D17``; a whole row
        ``Sheet1!17:17``), set when the failure is reported; None for CSV and
        parquet, whose ``row`` and ``column`` locate it.
    """

    rule: str
    message: str
    column: str | None = None
    value: Any = None
    severity: str = "error"
    index: int | None = None
    source_column: str | None = None
    file: str | None = None
    row: int | None = None
    ion: str | None = None
    cell: str | None = None

    @property
    def is_error(self) -> bool:
        """True for an error (rejects its rows), False for a warning."""
        return self.severity == "error"

    @property
    def reported_column(self) -> str | None:
        """The column as the user wrote it: the source header when known."""
        return self.source_column or self.column

    def to_dict(self) -> dict:
        """The ``validation.json`` record: file, row, column, value, ion, rule,
        severity, message (``value`` as JSON can hold it), and a workbook's
        ``cell`` when there is one."""
        out = {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": jsonable(self.value),
            "ion": self.ion,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }
        if self.cell is not None:
            out["cell"] = self.cell
        return out


#: The fields of a :class:`FailureBlock` that hold an entry per failure.
_PER_FAILURE = ("index", "value", "message", "source_column", "ion", "detail")


@dataclass(frozen=True)
class FailureBlock:
    """Failures of one rule at many rows of the canonical table, column-wise.

    What a list of :class:`Failure` with the same ``rule``, ``severity`` and
    ``column`` holds, as arrays with one entry per failure: ``index`` (table rows,
    ascending), ``value`` and ``message``; ``source_column`` and ``ion`` (object
    arrays, None entries where unknown) once the failures are told at the file's
    cells. A table rule failing at a million rows costs arrays, not a million
    objects; :meth:`failures` gives the objects (the plain path).
    """

    rule: str
    severity: str
    column: str | None
    index: np.ndarray
    value: np.ndarray
    message: np.ndarray
    source_column: np.ndarray | None = None
    ion: np.ndarray | None = None
    detail: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.index)

    @property
    def is_error(self) -> bool:
        """True for errors (they reject their rows), False for warnings."""
        return self.severity == "error"

    def at(self, positions: np.ndarray) -> FailureBlock:
        """The same failures located in a larger table: row i becomes
        ``positions[i]``."""
        return replace(self, index=np.asarray(positions)[self.index])

    def subset(self, keep: np.ndarray) -> FailureBlock:
        """The failures where ``keep`` (bool per failure) is True."""
        pick = {}
        for name in _PER_FAILURE:
            arr = getattr(self, name)
            pick[name] = None if arr is None else arr[keep]
        return replace(self, **pick)

    @classmethod
    def joined(cls, blocks: list[FailureBlock]) -> FailureBlock:
        """The failures of ``blocks`` (of one rule, at distinct rows) as one block,
        in ascending row order."""
        first = blocks[0]
        if len(blocks) == 1:
            return first
        order = np.argsort(np.concatenate([b.index for b in blocks]), kind="stable")
        pick = {}
        for name in _PER_FAILURE:
            parts = [getattr(b, name) for b in blocks]
            if all(p is None for p in parts):
                pick[name] = None
            elif any(p is None for p in parts):  # pragma: no cover - programming error
                raise ValueError(f"{first.rule}: {name} given for some blocks only")
            else:
                pick[name] = np.concatenate(parts)[order]
        return replace(first, **pick)

    def failures(self) -> list[Failure]:
        """One :class:`Failure` per entry."""
        n = len(self)
        sources = self.source_column if self.source_column is not None else [None] * n
        ions = self.ion if self.ion is not None else [None] * n
        details = self.detail if self.detail is not None else [None] * n
        return [
            Failure(
                rule=self.rule,
                message=with_detail(m, d),
                column=self.column,
                value=v,
                severity=self.severity,
                index=int(i),
                source_column=src,
                ion=ion,
            )
            for i, v, m, d, src, ion in zip(
                self.index,
                self.value,
                self.message,
                details,
                sources,
                ions,
                strict=True,
            )
        ]


def with_detail(message: str, detail: str | None) -> str:
    """A failure's message with what it found: ``message (detail)``."""
    return f"{message} ({detail})" if detail else message


class RowFailure(NamedTuple):
    """A failure of one source row, found before the canonical table exists.

    ``pos`` is the row's position among the file's data rows; ``ion`` the ion of a
    wide file's cell (None when the failure concerns the whole row).
    """

    pos: int
    ion: str | None
    failure: Failure


class RowFailures:
    """Failures located by source-row position, in the order they were found."""

    def __init__(self) -> None:
        self.items: list[RowFailure] = []

    def add(self, pos: int, failure: Failure, ion: str | None = None) -> None:
        """Record ``failure`` for the source row at ``pos``."""
        self.items.append(RowFailure(int(pos), ion, failure))

    def add_mask(
        self,
        mask: np.ndarray,
        values,
        *,
        column: str,
        source_column: str,
        rule: str,
        message: str,
        ion: str | None = None,
    ) -> None:
        """One failure per True of ``mask``, with the cell of ``values`` there."""
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        cells = np.asarray(pd.Series(values).iloc[positions], dtype=object)
        for pos, cell in zip(positions, cells, strict=True):
            failure = Failure(
                rule=rule,
                message=message,
                column=column,
                value=cell,
                source_column=source_column,
            )
            self.items.append(RowFailure(int(pos), ion, failure))

    def extend(self, other: RowFailures) -> None:
        """Append the failures ``other`` found (after this one's)."""
        self.items.extend(other.items)


class IngestError(Exception):
    """A file that cannot be read, or (from ``read_table``) has failures.

    Attributes ``file``, ``row``, ``column``, ``value`` and ``rule`` locate the first
    problem; ``failures`` lists all of them (:class:`Failure`, located by table
    ``index``); ``unreadable`` is True when the file could not be read at all (exit
    status 2).
    """

    def __init__(
        self,
        file: str,
        message: str,
        *,
        rule: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        failures: list[Failure] | None = None,
        unreadable: bool = True,
    ):
        self.file, self.row, self.column, self.value, self.rule = (
            file,
            row,
            column,
            value,
            rule,
        )
        self.failures = failures or []
        self.unreadable = unreadable
        where = f"{file}" + (f", row {row}" if row is not None else "")
        where += f", column {column!r}" if column is not None else ""
        what = f": value {value!r}" if value is not None else ""
        super().__init__(f"{where}{what}: {rule}: {message}")
