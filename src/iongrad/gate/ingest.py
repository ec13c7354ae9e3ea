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
  from the header; decimal comma when the separator is ``;``; quoted fields; blank
  lines are skipped (their line numbers still count).

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

import copy
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.gate import parallel
from iongrad.gate.checks import map_distinct
from iongrad.gate.failures import Failure, IngestError, RowFailures
from iongrad.gate.headers import (
    HeaderRole,
    plan_headers,
    separator_failure,
    unit_text,
)
from iongrad.gate.numbers import (
    cell_text,
    is_na_text,
    parse_number,
    temperature_offset,
)
from iongrad.gate.readers import read_source
from iongrad.gate.text import blank_cells
from iongrad.ions import UnknownIonError, lookup
from iongrad.units import UnitError, unit_factor

__all__ = [
    "IngestError",
    "Ingested",
    "ingest",
    "read_table",
    "write_parquet",
]


#: Species that are impermeant unless the file says otherwise.
IMPERMEANT_BY_DEFAULT = frozenset({"A-"})

#: Concentration scales by code (0 = no concentration given in the row).
_SCALES = ("", "molar", "molal")
_SCALE_CODE = {"molar": 1, "molal": 2}

_POTENTIALS = {"vm": "vm_mV", "erev": "erev_mV", "ljp": "ljp_mV"}


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
    """

    path: str
    layout: str
    table: pd.DataFrame
    raw: pd.DataFrame
    raw_lines: np.ndarray
    failures: list[Failure] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    factors: dict[str, tuple[np.ndarray, list]] = field(default_factory=dict)

    @property
    def file_failures(self) -> list[Failure]:
        """Errors that concern the whole file (missing column, unit conflict...)."""
        return [f for f in self.failures if f.index is None and f.is_error]


# ------------------------------------------------------------------ value parsing
def _str_full(value: str | None, n: int) -> pd.Series:
    """``str`` Series of ``n`` copies of ``value`` (None: all missing); no list.

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
        return pd.Series(pd.array(block, dtype="str"))
    whole, rest = divmod(n, _FULL_CHUNK)
    chunks = [block] * whole + ([block.slice(0, rest)] if rest else [])
    return pd.Series(pd.array(pa.chunked_array(chunks, kind), dtype="str"))


#: Rows per shared block of :func:`_str_full`.
_FULL_CHUNK = 1 << 16


def _str_take(values: list, codes: np.ndarray) -> pd.Series:
    """``str`` Series of ``values[codes]`` (code -1 = missing) without a Python loop."""
    return pd.Series(pd.array(values, dtype="str").take(codes, allow_fill=True))


# ------------------------------------------------------------------------ building
def ingest(path: str | os.PathLike, *, dataset: str | None = None) -> Ingested:
    """Read ``path`` into the canonical table, collecting every failure.

    Raises :class:`IngestError` only for files that cannot be read at all (missing,
    empty, not UTF-8, corrupt parquet); everything else is a failure in the result.
    """
    source = read_source(path)
    builder = _Builder(source.path, source.cells, source.lines, source.info, dataset)
    builder.fails.items.extend(source.failures)
    return builder.build()


class _Builder:
    def __init__(self, name, raw, lines, info, dataset):
        self.name = name
        self.raw = raw
        self.lines = lines
        self.info = info
        self.dataset = dataset
        self.fails = RowFailures()
        self.file_fails: list[Failure] = []
        self.fmt = info["format"]
        self.decimal = info.get("decimal", ".")
        self.n = len(raw)
        self._unit_cache: dict[str, tuple] = {}
        # text columns built from a few values: name -> (rows, codes, values), rows
        # "raw" (one code per source row) or "records" (one per table row)
        self.factors: dict[str, tuple[str, np.ndarray, list]] = {}

    def _constant(self, name: str, value: str) -> pd.Series:
        """``_str_full(value, n)``, remembered as a factor of column ``name``."""
        self.factors[name] = ("raw", np.zeros(self.n, dtype=np.intp), [value])
        return _str_full(value, self.n)

    def file_fail(self, column, value, rule, message, severity="error"):
        self.file_fails.append(Failure(rule, message, column, value, severity))

    @property
    def file_errors(self) -> list[Failure]:
        return [f for f in self.file_fails if f.is_error]

    # -- structure
    def _structure(self):
        headers = list(self.raw.columns)
        if self.fmt == "csv":
            failure = separator_failure(headers)
            if failure is not None:
                self.file_fails.append(failure)
                return {}, [], "long"
        plan, failures = plan_headers(
            headers,
            self.info.get("field_units", {}),
            self.info.get("separator", "n/a"),
        )
        self.info["ignored_columns"] = plan.ignored
        self.file_fails.extend(failures)
        return plan.fields, plan.wide, plan.layout

    # -- units
    def _conc_units(self, col: HeaderRole, per_row_field: str | None, fields) -> tuple:
        """Return (factor, scale) for a concentration column.

        Arrays (one value per row), or two scalars when one unit (header or field
        metadata) holds for the whole column.
        """
        factor = np.full(self.n, np.nan)
        scale = np.zeros(self.n, dtype=np.int8)
        if col.unit is not None:
            try:
                f, s = unit_factor(unit_text(col.unit))
            except UnitError as err:
                self.file_fail(col.header, col.unit, "unknown_unit", str(err))
                return factor, scale
            for other in (per_row_field, "unit"):
                if other and other in fields:
                    self.file_fail(
                        fields[other].header,
                        f"{col.header!r} and {fields[other].header!r}",
                        "unit_conflict",
                        "the unit is given both in the header and in a unit column",
                    )
            return np.float64(f), np.int8(_SCALE_CODE[s])
        unit_col = next(
            (fields[k] for k in (per_row_field, "unit") if k and k in fields), None
        )
        if unit_col is None:
            self.file_fail(
                col.header,
                None,
                "missing_unit",
                "no unit in the header, field metadata or a unit column "
                "(write e.g. c_in_mM or 'K_in [mM]')",
            )
            return factor, scale
        return self._unit_column(unit_col.header)

    def _unit_column(self, header: str) -> tuple:
        """Parse a per-row unit column once; unknown units fail once per cell."""
        if header in self._unit_cache:
            f, s = self._unit_cache[header]
            return f.copy(), s.copy()
        factor = np.full(self.n, np.nan)
        scale = np.zeros(self.n, dtype=np.int8)
        text = cell_text(self.raw[header]).astype("str")
        for unit in pd.unique(text.dropna()):
            mask = (text == unit).to_numpy(dtype=bool, na_value=False)
            if unit == "":
                continue
            try:
                f, s = unit_factor(unit_text(str(unit)))
            except UnitError as err:
                self.fails.add_mask(
                    mask, text, column="concentration_scale", source_column=header,
                    rule="unknown_unit", message=str(err),
                )  # fmt: skip
                factor[mask] = -1.0  # marks "unit given but unknown"
                continue
            factor[mask] = f
            scale[mask] = _SCALE_CODE[s]
        self._unit_cache[header] = (factor, scale)
        return factor.copy(), scale.copy()

    def _concentration(self, col: HeaderRole, per_row_field, fields, ion=None):
        values = parse_number(
            self.raw[col.header],
            decimal=self.decimal,
            fmt=self.fmt,
            column=f"c_{col.comp or col.name[2:]}_mM",
            fails=self.fails,
            ion=ion,
        )
        factor, scale = self._conc_units(col, per_row_field, fields)
        present = ~np.isnan(values)
        if np.ndim(factor) == 0:  # one unit for the column: no per-row arrays
            f = float(factor)
            # Exact integer division for sub-mM units (100 nM is exactly 1e-4 mM).
            out = values / np.round(1.0 / f) if f < 1 else values * f
            return out, np.where(present, scale, np.int8(0)).astype(np.int8)
        unknown = factor < 0
        factor[unknown] = np.nan
        no_unit = present & np.isnan(factor) & ~unknown & (col.unit is None)
        if no_unit.any() and not self.file_errors:
            self.fails.add_mask(
                no_unit, self.raw[col.header],
                column=f"c_{col.comp or col.name[2:]}_mM",
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

    def _temperature(self, fields) -> np.ndarray:
        col = fields["temperature"]
        values = parse_number(
            self.raw[col.header], decimal=self.decimal, fmt=self.fmt,
            column="temperature_K", fails=self.fails,
        )  # fmt: skip
        out = np.full(self.n, np.nan)
        if col.unit is not None:
            conv = temperature_offset(col.unit)
            if conv is None:
                self.file_fail(
                    col.header, col.unit, "unknown_unit",
                    f"unknown temperature unit {col.unit!r}; use degC (C) or K",
                )  # fmt: skip
                return out
            if "temperature_unit" in fields:
                self.file_fail(
                    fields["temperature_unit"].header, col.header, "unit_conflict",
                    "the temperature unit is given in the header and in a column",
                )  # fmt: skip
            return values * conv[0] + conv[1]
        if "temperature_unit" not in fields:
            self.file_fail(
                col.header, None, "missing_unit",
                "temperature needs a unit: temperature_C, temperature_K, "
                "'temperature [degC]' or a temperature_unit column",
            )  # fmt: skip
            return out
        ucol = fields["temperature_unit"].header
        text = cell_text(self.raw[ucol]).astype("str")
        for unit in pd.unique(text.dropna()):
            mask = (text == unit).to_numpy(dtype=bool, na_value=False)
            conv = temperature_offset(str(unit))
            if conv is None:
                self.fails.add_mask(
                    mask, text, column="temperature_K", source_column=ucol,
                    rule="unknown_unit",
                    message=f"unknown temperature unit {unit!r}; use degC (C) or K",
                )  # fmt: skip
                continue
            out[mask] = values[mask] * conv[0] + conv[1]
        return out

    def _strings(self, fields, key, default=None) -> pd.Series:
        """A text field as a ``str`` Series; empty cells become ``default``."""
        if key not in fields:
            return _str_full(default, self.n)
        s = cell_text(self.raw[fields[key].header]).astype("str")
        empty = blank_cells(s)
        return s.mask(empty, default) if empty.any() else s

    def _potential(self, fields, key) -> np.ndarray:
        if key not in fields:
            return np.full(self.n, np.nan)
        col = fields[key]
        if col.unit is not None and col.unit != "mV":
            self.file_fail(
                col.header, col.unit, "unknown_unit", "potentials must be given in mV"
            )
            return np.full(self.n, np.nan)
        return parse_number(
            self.raw[col.header], decimal=self.decimal, fmt=self.fmt,
            column=_POTENTIALS[key], fails=self.fails,
        )  # fmt: skip

    def _plain(self, fields, key, column) -> np.ndarray:
        if key not in fields:
            return np.full(self.n, np.nan)
        return parse_number(
            self.raw[fields[key].header], decimal=self.decimal, fmt=self.fmt,
            column=column, fails=self.fails,
        )  # fmt: skip

    def _per_sample(self, fields) -> dict[str, np.ndarray]:
        stem = Path(self.name).stem
        given = self._strings(fields, "dataset")
        target = self.dataset if self.dataset is not None else None
        if "dataset" in fields:
            ds = given.fillna(target or stem)
            if target is not None:
                mismatch = (given.notna() & (given != target)).to_numpy()
                self.fails.add_mask(
                    mismatch, given, column="dataset",
                    source_column=fields["dataset"].header, rule="dataset_mismatch",
                    message=f"the file says this row belongs to another dataset "
                    f"than {target!r}",
                )  # fmt: skip
        else:
            ds = self._constant("dataset", target or stem)
        if "ljp_corrected" in fields:
            ljp = map_distinct(
                self._strings(fields, "ljp_corrected", "unreported"),
                lambda v: {"true": "yes", "false": "no"}.get(
                    str(v).lower(), str(v).lower()
                ),
                "unreported",
                "str",
            )
        else:
            ljp = self._constant("ljp_corrected", "unreported")
        return {
            "dataset": ds,
            "sample_id": self._strings(fields, "sample_id"),
            "cell_type": self._strings(fields, "cell_type"),
            "temperature_K": self._temperature(fields),
            "vm_mV": self._potential(fields, "vm"),
            "ljp_mV": self._potential(fields, "ljp"),
            "ljp_corrected": ljp,
        }

    def _ions(self, text: pd.Series) -> tuple[pd.Series, tuple]:
        """Canonical symbols; unknown spellings are kept as written.

        Also returns ``(codes, symbols)``: one factorization of the column (code -1 =
        missing) that :meth:`_valence` and :meth:`_permeant` reuse.
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

    @staticmethod
    def _per_ion(ions, factor, func, missing, dtype) -> np.ndarray:
        """``func`` of each row's ion symbol, once per distinct symbol."""
        if factor is None:
            return map_distinct(ions, func, missing, dtype)
        codes, symbols = factor
        return np.array([func(s) for s in symbols] + [missing], dtype=dtype)[codes]

    def _permeant(
        self, fields, ions: np.ndarray, positions: np.ndarray, factor=None
    ) -> np.ndarray:
        default = self._per_ion(
            ions, factor, lambda s: s not in IMPERMEANT_BY_DEFAULT, True, bool
        )
        if "permeant" not in fields:
            return default
        col = fields["permeant"].header
        s = self.raw[col].iloc[positions].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(s.dtype):
            return s.to_numpy(dtype=bool)
        lowered = cell_text(s).astype("str").str.lower().fillna("")
        table = {
            "true": True, "yes": True, "1": True, "y": True, "t": True,
            "false": False, "no": False, "0": False, "n": False, "f": False,
            "1.0": True, "0.0": False,
        }  # fmt: skip
        parsed = pd.Series(map_distinct(lowered, table.get, None))
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
            self.fails.add(positions[i], failure)
        out = parsed.to_numpy(dtype=object)
        return np.where(pd.isna(out), default, out).astype(bool)

    def _valence(self, fields, ions, positions, factor=None) -> np.ndarray:

        def valence(sym):
            try:
                return lookup(str(sym)).valence
            except UnknownIonError:
                return 0

        expected = self._per_ion(ions, factor, valence, 0, np.int64)
        if "valence" not in fields:
            return expected
        col = fields["valence"].header
        src = self.raw[col].iloc[positions].reset_index(drop=True)
        sub = RowFailures()
        declared = parse_number(
            src, decimal=self.decimal, fmt=self.fmt, column="valence", fails=sub
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
            self.fails.add(positions[item.pos], item.failure, item.ion)
        ok = ~np.isnan(declared) & ~noint
        return np.where(ok, declared, expected).astype(np.int64)

    # -- assemble
    def build(self) -> Ingested:
        fields, wide, layout = self._structure()
        if self.n == 0:
            self.file_fail(None, None, "no_data_rows", "the file has no data rows")
        if self.file_errors:
            return self._finish(layout, None, None)
        per_sample, records = self._side_by_side(
            lambda builder: builder._per_sample(fields),
            (lambda builder: builder._long(fields))
            if layout == "long"
            else (lambda builder: builder._wide(fields, wide)),
        )
        if self.file_errors:
            return self._finish(layout, None, None)
        return self._finish(layout, records, per_sample)

    def _side_by_side(self, first, second):
        """``first(self)``, then ``second(self)``: in two threads for a big table.

        The steps share only read-only state, and the second records its failures
        and factors in a copy of this builder, merged after the first's: the result
        is the serial one. The second step consults the file-level errors found so
        far (a concentration without a unit is reported only in a file without
        them), so when the first step found one, the second runs again after it.
        """
        if parallel.threads(self.n) < 2:
            return first(self), second(self)
        before, start = len(self.file_errors), len(self.file_fails)
        other = copy.copy(self)
        other.fails, other.file_fails = RowFailures(), list(self.file_fails)
        other.factors = {}
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(second, other)
            result = first(self)
            other_result = later.result()
        if len(self.file_errors) > before:  # what the second step saw has changed
            return result, second(self)
        self.fails.items.extend(other.fails.items)
        self.file_fails.extend(other.file_fails[start:])
        self.factors.update(other.factors)
        return result, other_result

    def _long(self, fields):
        positions = np.arange(self.n)
        cols = {}
        for comp in ("in", "out"):
            key = f"c_{comp}"
            if key in fields:
                v, s = self._concentration(fields[key], f"c_{comp}_unit", fields)
            else:
                v, s = np.full(self.n, np.nan), np.zeros(self.n, dtype=np.int8)
            cols[f"c_{comp}_mM"], cols[f"scale_{comp}"] = v, s
        ion_text = cell_text(self.raw[fields["ion"].header]).astype("str")
        blank = blank_cells(ion_text)
        ions, factor = self._ions(ion_text.mask(blank) if blank.any() else ion_text)
        cols["ion"] = ions
        self.factors["ion"] = ("records", *factor)
        cols["valence"] = self._valence(fields, ions, positions, factor)
        cols["permeant"] = self._permeant(fields, ions, positions, factor)
        cols["gamma_in"] = self._plain(fields, "gamma_in", "gamma_in")
        cols["gamma_out"] = self._plain(fields, "gamma_out", "gamma_out")
        cols["permeability"] = self._plain(fields, "permeability", "permeability")
        cols["erev_mV"] = self._potential(fields, "erev")
        cols["_raw_pos"] = positions
        # fresh arrays of this call: no copy (a copy would stack them into blocks)
        return pd.DataFrame(cols, copy=False)

    def _wide(self, fields, wide):
        ions = list(dict.fromkeys(c.name for c in wide))
        blocks = []
        empty_cells = 0
        for ion in ions:
            comp = {}
            for side in ("in", "out"):
                col = next((c for c in wide if c.name == ion and c.comp == side), None)
                if col is None:
                    comp[side] = (
                        np.full(self.n, np.nan),
                        np.zeros(self.n, dtype=np.int8),
                        np.zeros(self.n, dtype=bool),
                    )
                    continue
                v, s = self._concentration(col, f"c_{side}_unit", fields, ion=ion)
                text = self.raw[col.header]
                filled = ~is_na_text(cell_text(text))
                comp[side] = (v, s, filled)
            has = comp["in"][2] | comp["out"][2]
            empty_cells += int((~has).sum())
            pos = np.flatnonzero(has)
            blocks.append(
                pd.DataFrame(
                    {
                        "_raw_pos": pos,
                        "_ion_order": ions.index(ion),
                        "ion": ion,
                        "c_in_mM": comp["in"][0][pos],
                        "c_out_mM": comp["out"][0][pos],
                        "scale_in": comp["in"][1][pos],
                        "scale_out": comp["out"][1][pos],
                    }
                )
            )
        records = pd.concat(blocks, ignore_index=True)
        # A source row with no ion value at all still yields one (failing) record.
        orphan = np.setdiff1d(np.arange(self.n), records["_raw_pos"].to_numpy())
        if len(orphan):
            records = pd.concat(
                [
                    records,
                    pd.DataFrame(
                        {
                            "_raw_pos": orphan,
                            "_ion_order": 0,
                            "ion": ions[0],
                            "c_in_mM": np.nan,
                            "c_out_mM": np.nan,
                            "scale_in": np.int8(0),
                            "scale_out": np.int8(0),
                        }
                    ),
                ],
                ignore_index=True,
            )
            empty_cells -= len(orphan)
        records = records.sort_values(["_raw_pos", "_ion_order"], kind="stable")
        records = records.reset_index(drop=True)
        order = records.pop("_ion_order").to_numpy(dtype=np.intp)
        self.factors["ion"] = ("records", order, ions)
        self.info["empty_wide_cells"] = empty_cells
        positions = records["_raw_pos"].to_numpy()
        sym = records["ion"].to_numpy(dtype=object)
        records["valence"] = self._valence(fields, sym, positions)
        records["permeant"] = self._permeant(fields, sym, positions)
        for name in ("gamma_in", "gamma_out", "permeability", "erev_mV"):
            records[name] = np.nan
        return records

    def _finish(self, layout, records, per_sample) -> Ingested:
        if records is None:
            # File-level failure: one placeholder record per source row, all rejected.
            records = pd.DataFrame({"_raw_pos": np.arange(self.n)})
            per_sample = {}
        pos = records["_raw_pos"].to_numpy()
        n = len(pos)
        identity = n == self.n and bool((pos == np.arange(self.n)).all())
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
        if "scale_in" in records:
            s_in = records["scale_in"].to_numpy(dtype=np.int8)
            s_out = records["scale_out"].to_numpy(dtype=np.int8)
            cols["concentration_scale"] = self._scales(s_in, s_out, records).array
        cols["source_file"] = _str_full(self.name, n).array
        factors = {"source_file": (np.zeros(n, dtype=np.intp), [self.name])}
        if per_sample:  # no factors after a file-level failure
            for name, (rows, codes, values) in self.factors.items():
                if rows == "raw" and not identity:
                    codes = codes[pos]
                factors[name] = (codes, values)
        cols["source_row"] = self.lines[pos] if self.n else np.array([], np.int64)
        cols["_raw_pos"] = pos
        for name in CANONICAL_COLUMNS:
            if name not in cols:  # only after a file-level failure
                cols[name] = np.full(n, np.nan, dtype=object)
        # One frame, built once in its final column order without copying the
        # columns (they are all fresh arrays of this call).
        ordered = [*CANONICAL_COLUMNS, "_raw_pos"]
        table = pd.DataFrame({k: cols[k] for k in ordered}, copy=False)
        failures = [
            replace(f, index=None, source_column=f.column) for f in self.file_fails
        ]
        failures += self._locate(table)
        self.info["layout"] = layout
        return Ingested(
            path=self.name,
            layout=layout,
            table=table,
            raw=self.raw,
            raw_lines=self.lines,
            failures=failures,
            info=self.info,
            factors=factors,
        )

    def _scales(self, s_in, s_out, records) -> pd.Series:
        """Row scale codes -> ``concentration_scale``; mixed scales are failures."""
        both = (s_in > 0) & (s_out > 0)
        row_code = np.where(s_in > 0, s_in, s_out)
        split = both & (s_in != s_out)
        counts = np.bincount(row_code, minlength=3)
        # the majority scale (ties: molar); rows of the other scale are flagged
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
            self.fails.add(pos[i], failure, ion[i])
        codes = np.where(row_code > 0, row_code, major).astype(np.intp) - 1
        self.factors["concentration_scale"] = ("records", codes, list(_SCALES[1:]))
        if not (codes != codes[:1]).any():  # one scale (usual): it is the majority
            return _str_full(_SCALES[major], len(codes))
        return _str_take(list(_SCALES[1:]), codes)

    def _locate(self, table: pd.DataFrame) -> list[Failure]:
        """Turn raw-position failures into table-index failures."""
        if not self.fails.items:
            return []
        wide = "ion" in table and self.info.get("layout") == "wide"
        by_pos: dict[int, list[int]] = {}
        for idx, pos in enumerate(table["_raw_pos"].to_numpy()):
            by_pos.setdefault(int(pos), []).append(idx)
        ions = table["ion"].to_numpy(dtype=object) if "ion" in table else None
        out = []
        for item in self.fails.items:
            for idx in by_pos.get(item.pos, []):
                if item.ion is not None and wide and ions[idx] != item.ion:
                    continue
                out.append(replace(item.failure, index=idx))
        return out


# ---------------------------------------------------------------------- public API
def read_table(path: str | os.PathLike, *, dataset: str | None = None) -> pd.DataFrame:
    """Read a CSV or parquet measurement table into the canonical long table.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` (any accepted dialect) or ``.parquet`` file.
    dataset : str, optional
        Dataset name for files without a ``dataset`` column (default: the file stem).

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
    result = ingest(path, dataset=dataset)
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


def write_parquet(df: pd.DataFrame, path: str | os.PathLike, units: dict) -> None:
    """Write ``df`` to parquet with field metadata ``unit`` for dimensional columns.

    The file is written to a temporary name next to ``path`` and renamed, so a
    reader never sees a partial file.

    Parameters
    ----------
    df : pandas.DataFrame
        Table to write (the index is not stored).
    path : str or path-like
        Destination ``.parquet`` file.
    units : dict
        Column -> unit text (``{"c_in_mM": "mM", "temperature_K": "K"}``); columns
        not in ``df`` are ignored.
    """
    table = pa.Table.from_pandas(df, preserve_index=False)
    fields = []
    for f in table.schema:
        if f.name in units:
            meta = dict(f.metadata or {})
            meta[b"unit"] = str(units[f.name]).encode("utf-8")
            f = f.with_metadata(meta)
        fields.append(f)
    table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
