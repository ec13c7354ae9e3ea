"""Build the canonical long table from a file's cells, step by step.

:func:`iongrad.gate.ingest.ingest` runs the steps in this order:

1. :func:`plan_columns`: what each header holds (:mod:`iongrad.gate.headers`),
   hence the layout, and the failures of the header itself.
2. :func:`build_columns`: the canonical values, each cell parsed explicitly
   (:mod:`iongrad.gate.numbers`), in two independent parts:

   * :func:`sample_columns`, one value per source row: ``dataset``,
     ``sample_id``, ``cell_type``, ``temperature_K``, ``vm_mV``, ``ljp_mV``,
     ``ljp_corrected``, ``pipette_solution``, ``bath_solution``;
   * :func:`long_records` or :func:`wide_records`, one record per source row and
     ion (a wide row is melted into one record per ion it has a value for):
     ``ion``, ``valence``, ``permeant``, the concentrations with their scale,
     ``gamma_in/out``, ``permeability``, ``erev_mV``.

   For a big table the two run side by side in two threads
   (:func:`iongrad.gate.parallel.threads`); the result is the serial one.
3. :func:`assemble`: the per-row values taken to the records, the
   ``concentration_scale``, ``source_file`` and ``source_row``, and every failure
   located on its table row.

A failure of the whole file (a missing column, an unknown unit in a header) stops
step 2: the table then has one placeholder record per source row, all rejected.
Every step records what it finds in one :class:`Findings`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.gate import parallel
from iongrad.gate.checks import map_distinct
from iongrad.gate.failures import Failure, RowFailure, RowFailures
from iongrad.gate.headers import (
    MAPPED_FORM,
    HeaderPlan,
    HeaderRole,
    MappedHeader,
    mapping_record,
    plan_headers,
    separator_failure,
    unit_text,
)
from iongrad.gate.numbers import (
    NA_TOKENS,
    cell_text,
    is_na_text,
    parse_number,
    temperature_offset,
)
from iongrad.gate.readers import Source
from iongrad.gate.text import blank_cells
from iongrad.ions import UnknownIonError, lookup
from iongrad.units import UnitError, unit_factor

__all__ = [
    "IMPERMEANT_BY_DEFAULT",
    "Cells",
    "Findings",
    "assemble",
    "build_columns",
    "column_warnings",
    "long_records",
    "plan_columns",
    "sample_columns",
    "source_headers",
    "wide_records",
]

#: Species that are impermeant unless the file says otherwise.
IMPERMEANT_BY_DEFAULT = frozenset({"A-"})

#: Concentration scales by code (0 = no concentration given in the row).
_SCALES = ("", "molar", "molal")
_SCALE_CODE = {"molar": 1, "molal": 2}
#: Potential fields -> canonical columns.
_POTENTIALS = {"vm": "vm_mV", "erev": "erev_mV", "ljp": "ljp_mV"}
#: Contract fields -> the canonical column their cells go to (the others: same name).
_CANONICAL = {
    "temperature": "temperature_K",
    "c_in": "c_in_mM",
    "c_out": "c_out_mM",
    **_POTENTIALS,
}
#: Accepted spellings of a permeant flag (lower case).
_BOOLEANS = {
    "true": True, "yes": True, "1": True, "y": True, "t": True,
    "false": False, "no": False, "0": False, "n": False, "f": False,
    "1.0": True, "0.0": False,
}  # fmt: skip
#: Rows per shared block of :func:`_str_full`.
_FULL_CHUNK = 1 << 16


class Findings:
    """What the build steps found, in the order they found it.

    Attributes
    ----------
    rows : RowFailures
        Failures of source rows, by position.
    file : list of Failure
        Failures of the whole file (errors and warnings).
    info : dict
        What the build adds to the file's ``info`` (ignored columns, empty wide
        cells).
    factors : dict
        Text columns built from a few values: name -> ``(rows, codes, values)``,
        row ``i`` holding ``values[codes[i]]`` (code -1: missing); ``rows`` is
        ``"raw"`` (one code per source row) or ``"records"`` (one per record).
    """

    def __init__(self, rows: list[RowFailure] | None = None) -> None:
        self.rows = RowFailures()
        self.rows.items.extend(rows or [])
        self.file: list[Failure] = []
        self.info: dict = {}
        self.factors: dict[str, tuple[str, np.ndarray, list]] = {}
        #: header -> positions of its cells spelled as a missing value ("NaN")
        self.na_cells: dict[str, np.ndarray] = {}

    def file_fail(self, column, value, rule, message, severity="error") -> None:
        """Record a failure of the whole file."""
        self.file.append(Failure(rule, message, column, value, severity))

    @property
    def has_file_errors(self) -> bool:
        """Whether an error of the whole file has been found."""
        return any(f.is_error for f in self.file)

    def absorb(self, other: Findings) -> None:
        """Append what ``other`` found after this one's findings."""
        self.rows.extend(other.rows)
        self.file.extend(other.file)
        self.info.update(other.info)
        self.factors.update(other.factors)
        self.na_cells.update(other.na_cells)


@dataclass
class Cells:
    """A file's cells under its header plan, read into canonical arrays.

    Each reading records the failures it finds in ``found``. Per-row unit columns
    are parsed once per ``Cells`` (and their unknown units reported once).
    """

    source: Source
    fields: dict[str, HeaderRole]
    found: Findings
    _units: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of source rows."""
        return self.source.n

    def raw(self, header: str) -> pd.Series:
        """The source cells under ``header``."""
        return self.source.cells[header]

    def number(self, header: str, column: str, ion: str | None = None) -> np.ndarray:
        """The numbers under ``header``, going to canonical ``column``."""
        return parse_number(
            self.raw(header),
            decimal=self.source.decimal,
            fmt=self.source.fmt,
            column=column,
            fails=self.found.rows,
            ion=ion,
            na_cells=self.found.na_cells,
            thousands=self.source.thousands,
            stated=self.source.stated,
        )

    def text(self, key: str, default: str | None = None) -> pd.Series:
        """Field ``key`` as a ``str`` Series; empty cells become ``default``."""
        if key not in self.fields:
            return _str_full(default, self.n)
        s = cell_text(self.raw(self.fields[key].header)).astype("str")
        empty = blank_cells(s)
        return s.mask(empty, default) if empty.any() else s

    def constant(self, name: str, value: str) -> pd.Series:
        """``value`` in every row, remembered as a factor of column ``name``."""
        self.found.factors[name] = ("raw", np.zeros(self.n, dtype=np.intp), [value])
        return _str_full(value, self.n)

    def unit_column(self, header: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-row (factor to mM, scale code) of a unit column, parsed once.

        An unknown unit fails once per cell and gets factor -1 ("given but
        unknown"); an empty cell gets NaN.
        """
        if header in self._units:
            f, s = self._units[header]
            return f.copy(), s.copy()
        factor = np.full(self.n, np.nan)
        scale = np.zeros(self.n, dtype=np.int8)
        text = cell_text(self.raw(header)).astype("str")
        for unit in pd.unique(text.dropna()):
            mask = (text == unit).to_numpy(dtype=bool, na_value=False)
            if unit == "":
                continue
            try:
                f, s = unit_factor(unit_text(str(unit)))
            except UnitError as err:
                self.found.rows.add_mask(
                    mask, text, column="concentration_scale", source_column=header,
                    rule="unknown_unit", message=str(err),
                )  # fmt: skip
                factor[mask] = -1.0
                continue
            factor[mask] = f
            scale[mask] = _SCALE_CODE[s]
        self._units[header] = (factor, scale)
        return factor.copy(), scale.copy()


# ------------------------------------------------------------------ step 1: headers
def plan_columns(
    source: Source, found: Findings, mapping: Mapping[str, MappedHeader] | None = None
) -> HeaderPlan:
    """What each column of ``source`` holds; header failures go to ``found``.

    ``mapping`` is the dataset's ``columns``
    (:func:`~iongrad.gate.headers.read_columns`): what some headers mean,
    recorded in ``info["columns"]`` as it was applied.
    """
    headers = list(source.cells.columns)
    if source.fmt == "csv":
        failure = separator_failure(headers)
        if failure is not None:
            found.file.append(failure)
            return HeaderPlan({}, [], "long", [])
    plan, failures = plan_headers(
        source.info.get("headers", headers),
        source.info.get("field_units", {}),
        source.info.get("separator", "n/a"),
        names=headers,
        mapping=mapping,
    )
    found.info["ignored_columns"] = plan.ignored
    if mapping:
        written = source.info.get("headers", headers)
        found.info["columns"] = mapping_record(mapping, written)
    found.file.extend(failures)
    return plan


def source_headers(plan: HeaderPlan) -> tuple[dict[str, str], dict[tuple, str]]:
    """Where each canonical column's cells come from, in the file's own headers.

    Returns ``{canonical column: header}`` for the contract's fields and, for a
    wide file, ``{(canonical column, ion): header}`` for its ion columns
    (``("c_in_mM", "Ca2+"): "Ca_in [nM]"``). Unit columns are not listed: their
    cells go to no canonical column of their own.
    """
    fields = {
        _CANONICAL.get(key, key): role.header
        for key, role in plan.fields.items()
        if key in CANONICAL_COLUMNS or key in _CANONICAL
    }
    ions = {(f"c_{role.comp}_mM", role.name): role.header for role in plan.wide}
    return fields, ions


# ------------------------------------------------------------------- step 2: values
def build_columns(
    source: Source,
    plan: HeaderPlan,
    dataset: str | None,
    found: Findings,
    solution_names: tuple[str, ...] | None = None,
) -> tuple[dict | None, pd.DataFrame | None]:
    """The per-row columns and the records; ``(None, None)`` after a failure of the
    whole file.

    ``dataset`` is the caller's dataset name (None: the file's, else its stem);
    ``solution_names`` the recording solutions the config names (None: the
    ``pipette_solution``/``bath_solution`` cells are not checked).
    """
    if source.n == 0:
        found.file_fail(None, None, "no_data_rows", "the file has no data rows")
    if found.has_file_errors:
        return None, None

    def samples(into: Findings) -> dict:
        return sample_columns(Cells(source, plan.fields, into), dataset, solution_names)

    def records(into: Findings) -> pd.DataFrame:
        cells = Cells(source, plan.fields, into)
        if plan.layout == "long":
            return long_records(cells)
        return wide_records(cells, plan.wide)

    per_sample, table = _side_by_side(source.n, samples, records, found)
    if found.has_file_errors:
        return None, None
    found.file += column_warnings(source, plan, found.na_cells)
    return per_sample, table


#: At most this many rows are listed in a warning about cells of one column.
ROWS_LISTED = 10


def column_warnings(
    source: Source, plan: HeaderPlan, na_cells: dict[str, np.ndarray]
) -> list[Failure]:
    """Warnings about whole columns read, in the file's column order.

    ``empty_column``: every cell of the column is empty (or spells a missing
    value); ``na_text``: cells spelled as a missing value (``NaN``, ``NA``, ``-``)
    were read as empty, listed with their rows (at most :data:`ROWS_LISTED`).
    """
    read = {role.header for role in plan.fields.values()}
    read |= {role.header for role in plan.wide}
    first = source.cells.iloc[0].to_numpy(dtype=object) if source.n else []
    out = []
    for header, cell in zip(source.cells.columns, first, strict=False):
        if header not in read:
            continue
        if not _has_value(cell) and _all_empty(source.cells[header]):
            out.append(
                Failure(
                    rule="empty_column",
                    message="every cell of this column is empty: it gives no value",
                    column=header,
                    severity="warning",
                )
            )
        elif header in na_cells:
            out.append(_na_text_warning(source, header, na_cells[header]))
    return out


def _has_value(cell) -> bool:
    """A cell holds a value: neither missing, blank nor an NA spelling."""
    if isinstance(cell, str):
        return cell.strip().lower() not in NA_TOKENS
    return not pd.isna(cell)


def _all_empty(cells: pd.Series) -> bool:
    """Every cell is missing, blank or an NA spelling."""
    return bool(is_na_text(cell_text(cells)).all())


def _na_text_warning(source: Source, header: str, positions: np.ndarray) -> Failure:
    text = source.cells[header].iloc[positions].astype(str).str.strip()
    tokens = ", ".join(repr(t) for t in dict.fromkeys(text))
    lines = [str(int(r)) for r in source.lines[positions[:ROWS_LISTED]]]
    more = len(positions) - len(lines)
    listed = ", ".join(lines) + (f" and {more} more" if more > 0 else "")
    return Failure(
        rule="na_text",
        message=f"{len(positions)} cell(s) spelled as a missing value ({tokens}) "
        f"were read as empty: rows {listed}",
        column=header,
        value=tokens,
        severity="warning",
    )


def _side_by_side(n: int, first: Callable, second: Callable, found: Findings):
    """``first(found)``, then ``second(found)``: in two threads for a big table.

    In threads, ``second`` records its findings apart, appended after ``first``'s:
    the serial result. ``second`` consults the errors of the whole file found so far
    (a concentration without a unit is reported only in a file without them), so
    when ``first`` found one, ``second`` runs again, after it.
    """
    if parallel.threads(n) < 2:
        return first(found), second(found)
    apart = Findings()
    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(second, apart)
        result = first(found)
        other = later.result()
    if found.has_file_errors:  # ``second`` ran without knowing them
        return result, second(found)
    found.absorb(apart)
    return result, other


def sample_columns(
    cells: Cells, dataset: str | None, solution_names: tuple[str, ...] | None = None
) -> dict[str, object]:
    """The values of each source row that belong to its sample.

    ``dataset`` (when given) names the dataset; a file whose ``dataset`` column
    names another fails on those rows. A ``pipette_solution``/``bath_solution``
    cell naming no solution of ``solution_names`` fails (when they are given).
    """
    stem = Path(cells.source.path).stem
    given = cells.text("dataset")
    if "dataset" in cells.fields:
        ds = given.fillna(dataset or stem)
        if dataset is not None:
            mismatch = (given.notna() & (given != dataset)).to_numpy()
            cells.found.rows.add_mask(
                mismatch, given, column="dataset",
                source_column=cells.fields["dataset"].header, rule="dataset_mismatch",
                message=f"the file says this row belongs to another dataset "
                f"than {dataset!r}",
            )  # fmt: skip
    else:
        ds = cells.constant("dataset", dataset or stem)
    if "ljp_corrected" in cells.fields:
        ljp = map_distinct(
            cells.text("ljp_corrected", "unreported"),
            lambda v: {"true": "yes", "false": "no"}.get(
                str(v).lower(), str(v).lower()
            ),
            "unreported",
            "str",
        )
    else:
        ljp = cells.constant("ljp_corrected", "unreported")
    return {
        "dataset": ds,
        "sample_id": cells.text("sample_id"),
        "cell_type": cells.text("cell_type"),
        "temperature_K": temperature(cells),
        "vm_mV": potential(cells, "vm"),
        "ljp_mV": potential(cells, "ljp"),
        "ljp_corrected": ljp,
        **{
            key: _solution_cells(cells, key, solution_names)
            for key in ("pipette_solution", "bath_solution")
        },
    }


def _solution_cells(cells: Cells, key: str, known: tuple[str, ...] | None) -> pd.Series:
    """The solution names of field ``key``; a name the config does not know fails
    at its cells, with the close matches among the known names."""
    text = cells.text(key)
    if known is None or key not in cells.fields:
        return text
    for name in pd.unique(text.dropna()):
        if name in known:
            continue
        close = difflib.get_close_matches(str(name), list(known), n=3, cutoff=0.6)
        hint = (
            f"close matches: {', '.join(close)}"
            if close
            else (f"named: {', '.join(known)}" if known else "it names no solutions")
        )
        cells.found.rows.add_mask(
            (text == name).to_numpy(dtype=bool, na_value=False), text, column=key,
            source_column=cells.fields[key].header, rule="unknown_solution",
            message=f"not a recording solution of the config's `solutions` ({hint})",
        )  # fmt: skip
    return text


def long_records(cells: Cells) -> pd.DataFrame:
    """One record per source row of a long file."""
    n, fields = cells.n, cells.fields
    positions = np.arange(n)
    cols = {}
    for comp in ("in", "out"):
        key = f"c_{comp}"
        if key in fields:
            v, s = concentration(cells, fields[key], f"c_{comp}_unit")
        else:
            v, s = np.full(n, np.nan), np.zeros(n, dtype=np.int8)
        cols[f"c_{comp}_mM"], cols[f"scale_{comp}"] = v, s
    ion_text = cell_text(cells.raw(fields["ion"].header)).astype("str")
    blank = blank_cells(ion_text)
    ions, factor = ion_symbols(ion_text.mask(blank) if blank.any() else ion_text)
    cols["ion"] = ions
    cells.found.factors["ion"] = ("records", *factor)
    cols["valence"] = valence(cells, ions, positions, factor)
    cols["permeant"] = permeant(cells, ions, positions, factor)
    for name in ("gamma_in", "gamma_out", "permeability"):
        cols[name] = plain_number(cells, name)
    cols["erev_mV"] = potential(cells, "erev")
    cols["_raw_pos"] = positions
    # fresh arrays of this call: no copy (a copy would stack them into blocks)
    return pd.DataFrame(cols, copy=False)


def wide_records(cells: Cells, wide: list[HeaderRole]) -> pd.DataFrame:
    """The records of a wide file: each row melted into one record per ion.

    An ion whose two cells are both empty in a row yields no record (counted in
    ``info["empty_wide_cells"]``); a row without any ion value yields one record
    (of the first ion, without concentrations), which then fails.
    """
    ions = list(dict.fromkeys(c.name for c in wide))
    blocks, empty_cells = [], 0
    for order, ion in enumerate(ions):
        block, empty = _wide_block(cells, wide, ion, order)
        blocks.append(block)
        empty_cells += empty
    records = pd.concat(blocks, ignore_index=True)
    orphan = np.setdiff1d(np.arange(cells.n), records["_raw_pos"].to_numpy())
    if len(orphan):
        block = pd.DataFrame(
            {
                "_raw_pos": orphan,
                "_ion_order": 0,
                "ion": ions[0],
                "c_in_mM": np.nan,
                "c_out_mM": np.nan,
                "scale_in": np.int8(0),
                "scale_out": np.int8(0),
            }
        )
        records = pd.concat([records, block], ignore_index=True)
        empty_cells -= len(orphan)
    records = records.sort_values(["_raw_pos", "_ion_order"], kind="stable")
    records = records.reset_index(drop=True)
    order = records.pop("_ion_order").to_numpy(dtype=np.intp)
    cells.found.factors["ion"] = ("records", order, ions)
    cells.found.info["empty_wide_cells"] = empty_cells
    positions = records["_raw_pos"].to_numpy()
    sym = records["ion"].to_numpy(dtype=object)
    records["valence"] = valence(cells, sym, positions)
    records["permeant"] = permeant(cells, sym, positions)
    for name in ("gamma_in", "gamma_out", "permeability", "erev_mV"):
        records[name] = np.nan
    return records


def _wide_block(
    cells: Cells, wide: list[HeaderRole], ion: str, order: int
) -> tuple[pd.DataFrame, int]:
    """The records of one ion of a wide file, and its number of empty rows."""
    n = cells.n
    comp = {}
    for side in ("in", "out"):
        col = next((c for c in wide if c.name == ion and c.comp == side), None)
        if col is None:
            no_values = np.full(n, np.nan), np.zeros(n, np.int8), np.zeros(n, bool)
            comp[side] = no_values
            continue
        v, s = concentration(cells, col, f"c_{side}_unit", ion=ion)
        filled = ~is_na_text(cell_text(cells.raw(col.header)))
        comp[side] = (v, s, filled)
    has = comp["in"][2] | comp["out"][2]
    pos = np.flatnonzero(has)
    block = pd.DataFrame(
        {
            "_raw_pos": pos,
            "_ion_order": order,
            "ion": ion,
            "c_in_mM": comp["in"][0][pos],
            "c_out_mM": comp["out"][0][pos],
            "scale_in": comp["in"][1][pos],
            "scale_out": comp["out"][1][pos],
        }
    )
    return block, int((~has).sum())


# ----------------------------------------------------------------- the field readers
def concentration(
    cells: Cells, col: HeaderRole, per_row_field: str, ion: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A concentration column in mM (or mmol/kg) and its scale code per row.

    ``per_row_field`` is the field of its own unit column (``c_in_unit``); the
    shared ``unit`` column serves otherwise.
    """
    column = f"c_{col.comp or col.name[2:]}_mM"
    values = cells.number(col.header, column, ion)
    factor, scale = _concentration_units(cells, col, per_row_field)
    present = ~np.isnan(values)
    if np.ndim(factor) == 0:  # one unit for the column: no per-row arrays
        f = float(factor)
        # Exact integer division for sub-mM units (100 nM is exactly 1e-4 mM).
        out = values / np.round(1.0 / f) if f < 1 else values * f
        return out, np.where(present, scale, np.int8(0)).astype(np.int8)
    unknown = factor < 0
    factor[unknown] = np.nan
    no_unit = present & np.isnan(factor) & ~unknown & (col.unit is None)
    if no_unit.any() and not cells.found.has_file_errors:
        cells.found.rows.add_mask(
            no_unit, cells.raw(col.header), column=column,
            source_column=col.header, rule="missing_unit",
            message="a concentration is given but its unit cell is empty",
            ion=ion,
        )  # fmt: skip
    # Exact integer division for sub-mM units (100 nM is exactly 1e-4 mM).
    with np.errstate(invalid="ignore", divide="ignore"):
        small = factor < 1
        out = np.where(small, values / np.round(1.0 / factor), values * factor)
    scale = np.where(present, scale, 0).astype(np.int8)
    return out, scale


def _concentration_units(cells: Cells, col: HeaderRole, per_row_field: str) -> tuple:
    """Return (factor, scale) for a concentration column.

    Arrays (one value per row), or two scalars when one unit (header or field
    metadata) holds for the whole column.
    """
    fields, found = cells.fields, cells.found
    factor = np.full(cells.n, np.nan)
    scale = np.zeros(cells.n, dtype=np.int8)
    if col.unit is not None:
        try:
            f, s = unit_factor(unit_text(col.unit))
        except UnitError as err:
            found.file_fail(col.header, col.unit, "unknown_unit", str(err))
            return factor, scale
        for other in (per_row_field, "unit"):
            if other in fields:
                found.file_fail(
                    fields[other].header,
                    f"{col.header!r} and {fields[other].header!r}",
                    "unit_conflict",
                    "the unit is given both in the header and in a unit column",
                )
        return np.float64(f), np.int8(_SCALE_CODE[s])
    unit_col = next((fields[k] for k in (per_row_field, "unit") if k in fields), None)
    if unit_col is None:
        found.file_fail(
            col.header,
            None,
            "missing_unit",
            "no unit in the header, field metadata or a unit column "
            "(write e.g. c_in_mM or 'K_in [mM]')" + _mapped_unit_hint(col, "mM"),
        )
        return factor, scale
    return cells.unit_column(unit_col.header)


def _mapped_unit_hint(col: HeaderRole, example: str) -> str:
    """For a header the config's columns mapping reads: where its unit can go."""
    if col.form != MAPPED_FORM:
        return ""
    return f", or unit: {example} in its entry of the dataset's columns mapping"


def temperature(cells: Cells) -> np.ndarray:
    """``temperature_K`` of each row, from the header's unit or a unit column."""
    fields, found = cells.fields, cells.found
    col = fields["temperature"]
    values = cells.number(col.header, "temperature_K")
    out = np.full(cells.n, np.nan)
    if col.unit is not None:
        conv = temperature_offset(col.unit)
        if conv is None:
            found.file_fail(
                col.header, col.unit, "unknown_unit",
                f"unknown temperature unit {col.unit!r}; use degC (C) or K",
            )  # fmt: skip
            return out
        if "temperature_unit" in fields:
            found.file_fail(
                fields["temperature_unit"].header, col.header, "unit_conflict",
                "the temperature unit is given in the header and in a column",
            )  # fmt: skip
        return values * conv[0] + conv[1]
    if "temperature_unit" not in fields:
        found.file_fail(
            col.header, None, "missing_unit",
            "temperature needs a unit: temperature_C, temperature_K, "
            "'temperature [degC]' or a temperature_unit column"
            + _mapped_unit_hint(col, "degC"),
        )  # fmt: skip
        return out
    ucol = fields["temperature_unit"].header
    text = cell_text(cells.raw(ucol)).astype("str")
    for unit in pd.unique(text.dropna()):
        mask = (text == unit).to_numpy(dtype=bool, na_value=False)
        conv = temperature_offset(str(unit))
        if conv is None:
            found.rows.add_mask(
                mask, text, column="temperature_K", source_column=ucol,
                rule="unknown_unit",
                message=f"unknown temperature unit {unit!r}; use degC (C) or K",
            )  # fmt: skip
            continue
        out[mask] = values[mask] * conv[0] + conv[1]
    return out


def potential(cells: Cells, key: str) -> np.ndarray:
    """A potential field (``vm``, ``erev``, ``ljp``) in mV; NaN when absent."""
    if key not in cells.fields:
        return np.full(cells.n, np.nan)
    col = cells.fields[key]
    if col.unit is not None and col.unit != "mV":
        cells.found.file_fail(
            col.header, col.unit, "unknown_unit", "potentials must be given in mV"
        )
        return np.full(cells.n, np.nan)
    return cells.number(col.header, _POTENTIALS[key])


def plain_number(cells: Cells, key: str) -> np.ndarray:
    """A dimensionless field (its canonical column has its name); NaN when absent."""
    if key not in cells.fields:
        return np.full(cells.n, np.nan)
    return cells.number(cells.fields[key].header, key)


def ion_symbols(text: pd.Series) -> tuple[pd.Series, tuple]:
    """Canonical symbols; unknown spellings are kept as written.

    Also returns ``(codes, symbols)``: one factorization of the column (code -1 =
    missing) that :func:`valence` and :func:`permeant` reuse.
    """

    def symbol(value):
        try:
            return lookup(str(value)).symbol
        except UnknownIonError:
            return value

    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    symbols = [symbol(u) for u in uniques]
    ions = map_distinct(text, symbol, None, "str", factorized=(codes, uniques))
    return ions, (codes, symbols)


def _per_ion(ions, factor, func, missing, dtype) -> np.ndarray:
    """``func`` of each row's ion symbol, once per distinct symbol."""
    if factor is None:
        return map_distinct(ions, func, missing, dtype)
    codes, symbols = factor
    return np.array([func(s) for s in symbols] + [missing], dtype=dtype)[codes]


def permeant(cells: Cells, ions, positions: np.ndarray, factor=None) -> np.ndarray:
    """The ``permeant`` flag of each record (default: not an impermeant anion).

    ``positions`` are the records' source rows; ``factor`` the
    :func:`ion_symbols` factorization when the records are the source rows.
    """
    default = _per_ion(
        ions, factor, lambda s: s not in IMPERMEANT_BY_DEFAULT, True, bool
    )
    if "permeant" not in cells.fields:
        return default
    col = cells.fields["permeant"].header
    s = cells.raw(col).iloc[positions].reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool)
    lowered = cell_text(s).astype("str").str.lower().fillna("")
    parsed = pd.Series(map_distinct(lowered, _BOOLEANS.get, None))
    empty = lowered.isin(["", "nan", "none"]).to_numpy()
    bad = parsed.isna().to_numpy() & ~empty
    for i in np.flatnonzero(bad):
        failure = Failure(
            rule="boolean_format",
            message="permeant must be true/false, yes/no or 1/0",
            column="permeant",
            value=s.iloc[i],
            source_column=col,
        )
        cells.found.rows.add(positions[i], failure)
    out = parsed.to_numpy(dtype=object)
    return np.where(pd.isna(out), default, out).astype(bool)


def valence(cells: Cells, ions, positions: np.ndarray, factor=None) -> np.ndarray:
    """The valence of each record: the file's whole number, else the registry's.

    Arguments as for :func:`permeant`.
    """

    def registry(sym):
        try:
            return lookup(str(sym)).valence
        except UnknownIonError:
            return 0

    expected = _per_ion(ions, factor, registry, 0, np.int64)
    if "valence" not in cells.fields:
        return expected
    col = cells.fields["valence"].header
    src = cells.raw(col).iloc[positions].reset_index(drop=True)
    sub = RowFailures()  # by record; moved to the source rows below
    declared = parse_number(
        src,
        decimal=cells.source.decimal,
        fmt=cells.source.fmt,
        column="valence",
        fails=sub,
        thousands=cells.source.thousands,
        stated=cells.source.stated,
    )
    # inf is no whole number either (it would become a garbage int64)
    noint = ~np.isnan(declared) & (
        ~np.isfinite(declared) | (declared != np.round(declared))
    )
    sub.add_mask(
        noint, src, column="valence", source_column=col,
        rule="integer_format", message="the valence must be a whole number",
    )  # fmt: skip
    for item in sub.items:
        cells.found.rows.add(positions[item.pos], item.failure, item.ion)
    ok = ~np.isnan(declared) & ~noint
    return np.where(ok, declared, expected).astype(np.int64)


# ----------------------------------------------------------------- step 3: assemble
def assemble(
    source: Source,
    records: pd.DataFrame | None,
    per_sample: dict | None,
    found: Findings,
    layout: str,
) -> tuple[pd.DataFrame, list[Failure], dict]:
    """The canonical table, its failures located by table index, and its factors.

    ``records`` and ``per_sample`` are :func:`build_columns`' (None after a
    failure of the whole file: one placeholder record per source row); ``layout``
    the plan's (a wide cell's failure goes to its own ion's record).
    """
    if records is None:
        records = pd.DataFrame({"_raw_pos": np.arange(source.n)})
        per_sample = {}
    pos = records["_raw_pos"].to_numpy()
    n = len(pos)
    identity = n == source.n and bool((pos == np.arange(source.n)).all())
    cols = _record_columns(records, per_sample, pos, identity)
    if "scale_in" in records:
        cols["concentration_scale"] = concentration_scale(records, found).array
    cols["source_file"] = _str_array(source.path, n)
    factors = {"source_file": (np.zeros(n, dtype=np.intp), [source.path])}
    if per_sample:  # no factors after a file-level failure
        for name, (rows, codes, values) in found.factors.items():
            if rows == "raw" and not identity:
                codes = codes[pos]
            factors[name] = (codes, values)
    # complete until validation rejects a row of the sample
    cols["sample_complete"] = np.ones(n, dtype=bool)
    cols["sample_rejected"] = _str_array("", n)
    cols["source_row"] = source.lines[pos] if source.n else np.array([], np.int64)
    cols["_raw_pos"] = pos
    for name in CANONICAL_COLUMNS:
        if name not in cols:  # only after a file-level failure
            cols[name] = np.full(n, np.nan, dtype=object)
    # One frame, built once in its final column order without copying the
    # columns (they are all fresh arrays of this call).
    ordered = [*CANONICAL_COLUMNS, "_raw_pos"]
    table = pd.DataFrame({k: cols[k] for k in ordered}, copy=False)
    failures = [replace(f, index=None, source_column=f.column) for f in found.file]
    wide = layout == "wide" and "ion" in records and bool(found.rows.items)
    ions = records["ion"].to_numpy(dtype=object) if wide else None
    failures += _locate(pos, ions, found.rows.items, wide)
    return table, failures, factors


def _record_columns(
    records: pd.DataFrame, per_sample: dict, pos: np.ndarray, identity: bool
) -> dict[str, object]:
    """The canonical columns of the records, per-row values taken to each record.

    ``identity``: the records are the source rows in order (no take needed).
    """
    cols: dict[str, object] = {}
    for name in CANONICAL_COLUMNS:
        if name in records:
            cols[name] = records[name].array
        elif name in per_sample:
            values = per_sample[name]
            if isinstance(values, pd.Series):
                cols[name] = values.array if identity else values.array.take(pos)
            else:
                cols[name] = values if identity else values[pos]
    return cols


def concentration_scale(records: pd.DataFrame, found: Findings) -> pd.Series:
    """Each record's ``concentration_scale``; the minority scale's records fail.

    A file is molar or molal: the scale of most records (a tie: molar) is the
    file's, and records of the other scale, or of both (molar in, molal out), fail.
    """
    s_in = records["scale_in"].to_numpy(dtype=np.int8)
    s_out = records["scale_out"].to_numpy(dtype=np.int8)
    both = (s_in > 0) & (s_out > 0)
    row_code = np.where(s_in > 0, s_in, s_out)
    split = both & (s_in != s_out)
    counts = np.bincount(row_code, minlength=3)
    major = 2 if counts[2] > counts[1] else 1
    majority = _SCALES[major]
    minority = (row_code > 0) & (row_code != major)
    bad = np.flatnonzero(split | minority)
    if len(bad):  # text only for the flagged rows
        pos = records["_raw_pos"].to_numpy()
        ion = records["ion"].to_numpy(dtype=object)
    for i in bad:
        failure = Failure(
            rule="mixed_scale",
            message=f"this file is mostly {majority}; molar (M, mM) and "
            "molal (mol/kg) units must not be mixed in one file",
            column="concentration_scale",
            value=f"{_SCALES[s_in[i]]} in / {_SCALES[s_out[i]]} out"
            if split[i]
            else _SCALES[row_code[i]],
        )
        found.rows.add(pos[i], failure, ion[i])
    codes = np.where(row_code > 0, row_code, major).astype(np.intp) - 1
    found.factors["concentration_scale"] = ("records", codes, list(_SCALES[1:]))
    if not (codes != codes[:1]).any():  # one scale (usual): it is the majority
        return _str_full(_SCALES[major], len(codes))
    return _str_take(list(_SCALES[1:]), codes)


def _locate(
    pos: np.ndarray, ions: np.ndarray | None, items: list[RowFailure], wide: bool
) -> list[Failure]:
    """Source-row failures as table-index failures (``pos``: each record's row).

    A failure of a wide file's ion cell (``item.ion``) goes to that ion's record
    of the row and names the ion; any other failure of a row (its temperature, its
    sample id) goes to every record of the row, which it concerns as a whole.
    """
    if not items:
        return []
    by_pos: dict[int, list[int]] = {}
    for idx, p in enumerate(pos):
        by_pos.setdefault(int(p), []).append(idx)
    out = []
    for item in items:
        at = by_pos.get(item.pos, [])
        ion = item.ion if wide else None
        if ion is not None and ions is not None and len(at) > 1:
            at = [i for i in at if ions[i] == ion] or at
        out += [replace(item.failure, index=i, ion=ion) for i in at]
    return out


# ---------------------------------------------------------------- str column helpers
def _str_full(value: str | None, n: int) -> pd.Series:
    """``str`` Series of ``n`` copies of ``value`` (None: all missing); no list."""
    return pd.Series(_str_array(value, n))


def _str_array(value: str | None, n: int):
    """``str`` array of ``n`` copies of ``value`` (None: all missing); no list.

    The arrow column is one block of up to :data:`_FULL_CHUNK` copies, repeated:
    arrow buffers are immutable, so the chunks may share it, and a million-row
    column costs one block.
    """
    kind = pa.large_string()  # what pandas' ``str`` arrays hold
    size = min(n, _FULL_CHUNK)
    block = (
        pa.nulls(size, kind)
        if value is None
        else pa.repeat(pa.scalar(value, kind), size)
    )
    if n <= _FULL_CHUNK:
        return pd.array(block, dtype="str")
    whole, rest = divmod(n, _FULL_CHUNK)
    chunks = [block] * whole + ([block.slice(0, rest)] if rest else [])
    return pd.array(pa.chunked_array(chunks, kind), dtype="str")


def _str_take(values: list, codes: np.ndarray) -> pd.Series:
    """``str`` Series of ``values[codes]`` (code -1 = missing) without a Python loop."""
    return pd.Series(pd.array(values, dtype="str").take(codes, allow_fill=True))
