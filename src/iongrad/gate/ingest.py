"""Read lab ion-concentration tables (CSV or parquet) into the canonical long table.

Accepted inputs
---------------
* **Layouts.** Long (one row per sample x ion: ``ion``, ``c_in``, ``c_out`` columns)
  or wide (one row per sample, one column per ion and compartment: ``K_in_mM``,
  ``Na+ [mM] in``, ``Cl- (uM) out``), melted into the long table. In a wide file an
  ion whose two cells are both empty in a row was not measured there and yields no
  record (counted in ``info["empty_wide_cells"]``).
* **Units.** Concentration units from the header (``c_in_mM``, ``c_out [uM]``), a
  parquet field's ``unit``/``units`` metadata, or a unit column (``unit``,
  ``c_in_unit``); M, mM, uM/µM, nM (molar) and mol/kg, mmol/kg (molal), converted once
  with :func:`iongrad.units.unit_factor`. Molal values stay molal and
  ``concentration_scale`` says so; mixing the two scales in one file is an error.
  Temperature as ``temperature_C``, ``temperature_K``, ``temperature [degC]`` or with a
  ``temperature_unit`` column. Potentials are mV.
* **CSV dialects.** UTF-8 with or without BOM; ``,``, ``;`` or tab separator sniffed
  from the header; decimal comma when the separator is ``;`` unless the number
  format is stated (``number_format``); a number whose reading is ambiguous
  (``140.000`` in a decimal-comma file) is refused; quoted fields; blank lines are
  skipped (their line numbers still count).

Every value is parsed explicitly: a text cell in a number column is a failure naming
file, line, column and value, never a silent NaN. ``source_file`` and ``source_row``
(the 1-based line a spreadsheet shows, header = line 1; for parquet the 1-based record
number) are attached before any transform, and a melted wide row keeps the line of its
source row.

:func:`read_table` returns the canonical table and raises :class:`IngestError` when
anything in the file is wrong; :func:`iongrad.gate.validation.validate_file` uses
:func:`ingest` to keep going and report everything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from iongrad.gate.build import (
    Findings,
    assemble,
    build_columns,
    plan_columns,
    source_headers,
)
from iongrad.gate.failures import Failure, IngestError
from iongrad.gate.headers import read_columns
from iongrad.gate.readers import ReadOptions, read_options, read_source

__all__ = [
    "IngestError",
    "Ingested",
    "ingest",
    "read_table",
]


@dataclass
class Ingested:
    """What :func:`ingest` read: the table plus everything needed to report on it.

    ``table`` has the canonical columns and a RangeIndex; ``raw`` holds the source
    cells (text for CSV, typed for parquet), one row per source record, and
    ``table["_raw_pos"]`` points each table row to its raw row. ``failures`` lists
    :class:`~iongrad.gate.failures.Failure` located by table ``index`` (None for a
    failure of the whole file).

    ``factors`` maps some text columns of ``table`` to ``(codes, values)``: row ``i``
    holds ``values[codes[i]]`` (code -1: missing). They are the columns the reader
    built from a few values (ion symbols, the concentration scale, constants), so
    validation can judge each value once instead of a million cells.

    ``sources`` maps a canonical column to the file's header its cells come from,
    and ``ion_sources`` a wide file's ``(column, ion)`` to its header
    (:func:`iongrad.gate.build.source_headers`), so that a failure found in the
    canonical table is reported at the cell the user wrote.
    """

    path: str
    layout: str
    table: pd.DataFrame
    raw: pd.DataFrame
    raw_lines: np.ndarray
    failures: list[Failure] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    factors: dict[str, tuple[np.ndarray, list]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    ion_sources: dict[tuple, str] = field(default_factory=dict)

    @property
    def file_failures(self) -> list[Failure]:
        """Errors that concern the whole file (missing column, unit conflict...)."""
        return [f for f in self.failures if f.index is None and f.is_error]


def ingest(
    path: str | os.PathLike,
    *,
    dataset: str | None = None,
    options: ReadOptions | Mapping[str, Any] | None = None,
    number_format: Mapping[str, Any] | None = None,
) -> Ingested:
    """Read ``path`` into the canonical table, collecting every failure.

    The steps are :mod:`iongrad.gate.build`'s: read the cells, plan the columns
    from the headers, parse the values, assemble the table. ``options`` say how
    the file is read (:class:`~iongrad.gate.readers.ReadOptions`, or a dataset's
    config entry); ``number_format`` (also one of the options) states a CSV file's
    ``{"decimal": ",", "thousands": "."}``
    (:func:`iongrad.gate.numbers.stated_format`; a ValueError when unusable).

    Raises :class:`IngestError` only for files that cannot be read at all (missing,
    empty, not UTF-8, corrupt parquet); everything else is a failure in the result.
    """
    opts = read_options(options, number_format)  # unusable options: ValueError
    source = read_source(path, opts)
    found = Findings(source.failures)
    found.file.extend(source.file_failures)
    plan = plan_columns(source, found, read_columns(opts.columns))
    _ignored_cell_errors(found, plan.ignored)
    per_sample, records = build_columns(
        source, plan, dataset, found, opts.solution_names
    )
    table, failures, factors = assemble(source, records, per_sample, found, plan.layout)
    info = source.info
    info.update(found.info)
    info["layout"] = plan.layout
    sources, ion_sources = source_headers(plan)
    return Ingested(
        path=source.path,
        layout=plan.layout,
        table=table,
        raw=source.cells,
        raw_lines=source.lines,
        failures=failures,
        info=info,
        factors=factors,
        sources=sources,
        ion_sources=ion_sources,
    )


def _ignored_cell_errors(found: Findings, ignored: list[str]) -> None:
    """A spreadsheet error value in a column the gate does not read is a warning:
    the row's measurement does not depend on it."""
    if not ignored:
        return
    skip = set(ignored)
    items = found.rows.items
    for k, item in enumerate(items):
        f = item.failure
        if f.rule == "spreadsheet_error" and f.source_column in skip:
            items[k] = item._replace(failure=replace(f, severity="warning"))


# ---------------------------------------------------------------------- public API
def read_table(
    path: str | os.PathLike,
    *,
    dataset: str | None = None,
    options: ReadOptions | Mapping[str, Any] | None = None,
    number_format: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Read a CSV or parquet measurement table into the canonical long table.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` (any accepted dialect) or ``.parquet`` file.
    dataset : str, optional
        Dataset name for files without a ``dataset`` column (default: the file stem).
    options : ReadOptions or mapping, optional
        How the file is read (sheet, header and units rows...), as :func:`ingest`
        takes.
    number_format : dict, optional
        The file's decimal mark and thousands separator, as :func:`ingest` takes.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CANONICAL_COLUMNS`; concentrations in mM (molar) or mmol/kg
        (molal, see ``concentration_scale``), temperature in K.

    Raises
    ------
    IngestError
        If the file cannot be read, or any value cannot be parsed (text in a number
        column, unknown unit, missing column...). Contract checks (ranges, one
        temperature per sample, ...) are
        :func:`iongrad.gate.validation.validate_file`'s.
    """
    result = ingest(path, dataset=dataset, options=options, number_format=number_format)
    errors = [f for f in result.failures if f.is_error]
    if errors:
        first = errors[0]
        idx = first.index
        row = None if idx is None else int(result.table["source_row"].iloc[idx])
        raise IngestError(
            str(path),
            f"{first.message} ({len(errors)} problem(s) in all)",
            rule=first.rule,
            row=row,
            column=first.reported_column,
            value=first.value,
            failures=errors,
            unreadable=False,
        )
    return result.table.drop(columns="_raw_pos")
