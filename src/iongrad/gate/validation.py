"""The data gate: validate one input file against the measurement contract.

:func:`validate_file` reads a file with :func:`iongrad.gate.ingest.ingest`, runs the
compiled contract (:mod:`iongrad.gate.contract`) with pandera's ``lazy=True``
(collect every failure, never stop at the first), maps each failure back to the file
and line it came from, and splits the rows itself (pandera's ``drop_invalid_rows`` is
not trusted):

* a row with any ``error`` failure is rejected with every reason it has; a failing
  per-sample check marks all rows of the sample, so the whole sample is quarantined;
* ``warning`` failures are reported and the row is kept;
* ``rows_read == rows_accepted + rows_rejected`` always.

Modes: ``strict`` (any error fails the file: nothing is accepted, every row goes to
``rejected.csv``, those without errors with the reason ``withheld``) and ``lenient``
(error rows are quarantined and the rest goes on). ``ok`` says whether the gate
passed in the chosen mode: strict, no error at all; lenient, no file-level error and
at least one accepted row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines.pandas_engine import Engine, NpString

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.files import atomic_path, jsonable, write_csv, write_text
from iongrad.gate import parallel
from iongrad.gate.checks import (
    BIG_TABLE,
    EXPLAIN,
    distinct_cells,
    get_check,
    sample_codes,
    table_reads,
)
from iongrad.gate.contract import ColumnPlan, Contract, empty_frame, load_contract
from iongrad.gate.failures import Failure, FailureBlock, with_detail
from iongrad.gate.ingest import Ingested, ingest
from iongrad.gate.readers import ReadOptions
from iongrad.gate.sheets import cell_name
from iongrad.ions import UnknownIonError, lookup

__all__ = [
    "MODES",
    "ValidationResult",
    "check_table",
    "validate_file",
    "write_outputs",
]

#: Accepted validation modes.
MODES = ("strict", "lenient")
#: How many failures :meth:`ValidationResult.summary` lists before "... and N more".
SUMMARY_LINES = 12
#: validation.json keeps this many example failures of each rule and column (the
#: first ones, in row order) and counts all; every failure is in failures.parquet.
EXAMPLES = 20


@dataclass
class ValidationResult:
    """Outcome of :func:`validate_file`.

    Attributes
    ----------
    accepted : pandas.DataFrame
        Canonical rows that passed (empty in strict mode when there are errors).
    rejected : pandas.DataFrame
        ``source_file``, ``source_row`` (and ``ion`` for wide files), the source
        cells as read, and ``reason``.
    report : dict
        The ``validation.json`` content: counts, and the first :data:`EXAMPLES`
        failures of each rule and column.
    records : pandas.DataFrame, optional
        Every failure, one row each, its message in parts (:data:`PART_KEYS`):
        a million messages of a big table are written a row group at a time
        (:func:`write_failures`), never held at once.
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    report: dict
    records: pd.DataFrame | None = None

    @property
    def failures(self) -> pd.DataFrame | None:
        """Every failure, one row each (columns :data:`RECORD_KEYS`, and a
        workbook's ``cell``): the content of ``failures.parquet``."""
        return None if self.records is None else _with_messages(self.records)

    @property
    def ok(self) -> bool:
        """True when the file passed the gate in its mode (warnings allowed)."""
        return bool(self.report["ok"])

    def summary(self) -> str:
        """Return a one-screen human summary."""
        r = self.report
        status = "OK" if r["ok"] else "FAILED"
        head = (
            f"{r['file']}: {status} ({r['mode']}) dataset {r['dataset']!r}: "
            f"{r['rows_read']} rows read, {r['rows_accepted']} accepted, "
            f"{r['rows_rejected']} rejected; {r['errors']} error(s), "
            f"{r['warnings']} warning(s)"
        )
        lines = [head]
        for f in r["failures"][:SUMMARY_LINES]:
            lines.append(f"  {f['severity']}: {f['message']}")
        more = r.get("failures_total", len(r["failures"])) - SUMMARY_LINES
        if more > 0:
            lines.append(
                f"  ... and {more} more (see validation.json and failures.parquet)"
            )
        return "\n".join(lines)


#: (pandera dtype, pandas dtype) -> result of pandera's dtype check, when it is a
#: plain bool (it then depends on the dtypes alone).
_DTYPE_OK: dict[tuple, bool] = {}


def _dtype_passes(column: pa.Column, s: pd.Series) -> bool:
    """Pandera's dtype check of ``column`` on ``s`` (cached when data-independent)."""
    if column.dtype is None:
        return True
    if isinstance(column.dtype, NpString) and isinstance(s.dtype, pd.StringDtype):
        # pandera checks isinstance(cell, str) | isna per cell: a pandas string
        # array holds nothing else.
        return True
    key = (str(column.dtype), s.dtype)
    if key in _DTYPE_OK:
        return _DTYPE_OK[key]
    result = column.dtype.check(Engine.dtype(s.dtype), s)
    if isinstance(result, bool | np.bool_):
        _DTYPE_OK[key] = bool(result)
        return bool(result)
    return bool(np.all(result))


def _plan_passes(
    plan: tuple[ColumnPlan, ...], df: pd.DataFrame, factors: dict | None = None
) -> bool:
    """True when pandera would find nothing: the same core checks, without pandera.

    For every column of the schema: present, dtype accepted, no missing value if not
    nullable, and every check True on the non-missing cells (pandera's
    ``ignore_na``; a column with no value at all gives pandera an empty series, which
    passes). A False answer only means "let pandera report it".

    Elementwise checks see each distinct value once: the values of the reader's
    ``factors`` (:attr:`iongrad.gate.ingest.Ingested.factors`) when it has the column,
    else, for checks that hash the column anyway, the
    :func:`~iongrad.gate.checks.distinct_cells`.
    """
    factors = factors or {}
    for col in plan:
        if col.name not in df.columns:
            return False
        s = df[col.name]
        if not _dtype_passes(col.column, s):
            return False
        has_na = s.hasnans
        if has_na and not col.nullable:
            return False
        if not col.checks or (has_na and s.isna().all()):
            continue
        big = len(s) >= BIG_TABLE
        factor = factors.get(col.name) if col.elementwise and big else None
        if factor is not None:  # every value the reader used (a superset is safe)
            data = pd.Series(factor[1], dtype=s.dtype)
        else:
            data = s.dropna() if has_na else s
            if col.per_value and big:
                data = distinct_cells(data)
        for _, func in col.checks:
            if not bool(np.all(np.asarray(func(data), dtype=bool))):
                return False
    return True


def _schema_failures(
    schema: pa.DataFrameSchema,
    df: pd.DataFrame,
    contract: Contract,
    severity: str,
    plan: tuple[ColumnPlan, ...] | None = None,
    factors: dict | None = None,
) -> list[Failure]:
    """Run one compiled schema lazily; return failures with table indices.

    With ``plan`` (the schema's :class:`~iongrad.gate.contract.ColumnPlan` tuple),
    a table that passes the plan's screen skips pandera: it would report nothing.
    """
    if plan is not None and _plan_passes(plan, df, factors):
        return []
    try:
        schema.validate(df, lazy=True, inplace=True)  # checks only: no copy
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    else:
        return []
    if not isinstance(cases, pd.DataFrame):  # defensive: pandera#1946
        return [Failure(rule="schema", message=str(cases), severity=severity)]
    out = []
    seen: set[tuple] = set()
    for col, check, value, index in zip(
        cases["column"], cases["check"], cases["failure_case"], cases["index"],
        strict=True,
    ):  # fmt: skip
        rule_name = str(check)
        rule = contract.rules.get(rule_name)
        if rule is not None and rule.kind == "table":
            col = rule.column
        if rule_name.startswith("dtype("):
            rule_name = "dtype"
        idx = None if index is None or pd.isna(index) else int(index)
        # One failure per cell: its first rule in the contract's order (-1 mM is
        # reported as negative, not also as below the range).
        key = (idx, col) if idx is not None else (idx, col, rule_name)
        if key in seen:
            continue
        seen.add(key)
        if rule is not None and rule.kind == "table" and idx is not None:
            value = df.at[idx, col]
        out.append(
            Failure(
                rule=rule_name,
                message=contract.describe(rule_name),
                column=None if col is None or pd.isna(col) else str(col),
                value=value,
                severity=severity,
                index=idx,
            )
        )
    return out


def _table_failures(
    df: pd.DataFrame,
    contract: Contract,
    factors: dict | None = None,
    pool: ThreadPoolExecutor | None = None,
) -> list[FailureBlock]:
    """Evaluate the contract's table (cross-row) rules; vectorized per rule.

    ``factors`` as in :func:`_plan_passes`; its ``ion`` entry spares hashing the ion
    column again. With a ``pool``, the rules run in its threads (they only read the
    frame); the failures keep the contract's rule order, one block per rule.
    """
    out = []
    frame = df.copy(deep=False)  # the checks read it; _sample is added, no data copied
    frame["_sample"] = sample_codes(df)
    factor = (factors or {}).get("ion") if len(df) >= BIG_TABLE else None
    if factor is None:
        codes, uniques = pd.factorize(df["ion"], use_na_sentinel=True)
    else:  # the reader's values may repeat (two spellings, one symbol): merge them
        codes, values = factor
        keys, uniques = pd.factorize(np.asarray(values, dtype=object))
        if (keys != np.arange(len(keys))).any():
            codes = np.where(codes < 0, -1, keys[codes])
    categories = pd.Index(uniques, dtype=df["ion"].dtype)
    frame["_ion"] = pd.Categorical.from_codes(codes, categories=categories)

    def verdict(rule):
        check = get_check(rule.check, "table")
        return np.asarray(check(frame, **rule.params), dtype=bool)

    rules = contract.table_rules
    verdicts = (pool.map if pool is not None else map)(verdict, rules)
    for rule, ok in zip(rules, verdicts, strict=True):
        idx = np.flatnonzero(~ok)
        if not len(idx):
            continue
        values = np.asarray(df[rule.column].take(idx).to_numpy(), dtype=object)
        explain = EXPLAIN.get(rule.check)
        out.append(
            FailureBlock(
                rule=rule.name,
                severity=rule.severity,
                column=rule.column,
                index=idx,
                value=values,
                message=_repeat(rule.description, len(idx)),
                detail=_objects(explain(frame, idx)) if explain else None,
            )
        )
    return out


def check_table(
    df: pd.DataFrame, *, contract: str | os.PathLike | None = None
) -> list[Failure]:
    """Run the contract's error and warning checks on a canonical table.

    Returns one :class:`~iongrad.gate.failures.Failure` per failure (located by
    table ``index``), all at once; an empty list means the table passes.

    Examples
    --------
    >>> from iongrad.gate.ingest import read_table
    >>> from iongrad.gate.contract import DEFAULT_CONTRACT
    >>> good = DEFAULT_CONTRACT.parents[3] / "tests" / "data" / "good" / "long_mM.csv"
    >>> table = read_table(good)
    >>> check_table(table)
    []
    >>> table.loc[0, "c_in_mM"] = -1.0
    >>> [f.rule for f in check_table(table)]
    ['c_in_nonnegative_finite']
    """
    spec = load_contract(contract)
    frame = df[CANONICAL_COLUMNS].reset_index(drop=True)
    return _expanded(_contract_failures(frame, spec))


def _expanded(failures: list) -> list[Failure]:
    """``failures`` with every :class:`FailureBlock` as its Failure objects."""
    out: list[Failure] = []
    for f in failures:
        out.extend(f.failures() if isinstance(f, FailureBlock) else [f])
    return out


def _unjudged(found: list, parsed: set[tuple]) -> list:
    """``found`` without the failures at cells in ``parsed`` ((index, column))."""
    out = []
    for f in found:
        if not isinstance(f, FailureBlock):
            if (f.index, f.column) not in parsed:
                out.append(f)
            continue
        done = [i for i, column in parsed if column == f.column and i is not None]
        keep = ~np.isin(f.index, done)
        out.append(f if keep.all() else f.subset(keep))
    return out


def _typed(plan: tuple[ColumnPlan, ...], df: pd.DataFrame) -> bool:
    """Every column of ``plan`` is present with an accepted dtype."""
    return all(
        col.name in df.columns and _dtype_passes(col.column, df[col.name])
        for col in plan
    )


def _contract_failures(
    frame: pd.DataFrame,
    spec: Contract,
    factors: dict | None = None,
    unclean: np.ndarray | None = None,
) -> list[Failure]:
    """The contract's failures on ``frame``: column rules, then table rules.

    The table rules (sums and comparisons over a sample) run on the rows without
    errors only: neither the rows of ``unclean`` (errors found while reading) nor
    those a column rule rejects, so that a rejected value (-142 mM) never enters
    a sum.
    """
    screens = (
        (spec.column_error_schema, "error", spec.column_error_plan),
        (spec.column_warning_schema, "warning", spec.column_warning_plan),
    )
    workers = parallel.threads(len(frame))
    clean_read = unclean is None or not unclean.any()
    if workers > 1 and clean_read and all(_typed(p, frame) for _, _, p in screens):
        # No dtype failure is possible, so the table rules will run: screen the
        # columns (one task each) while this thread numbers the samples, then run
        # the table rules. Pandera, for a screen that found something, runs
        # afterwards in this thread (and the table rules again, on the clean rows).
        with ThreadPoolExecutor(workers) as pool:
            passed = [
                [pool.submit(_plan_passes, (col,), frame, factors) for col in plan]
                for _, _, plan in screens
            ]
            table = _table_failures(frame, spec, factors, pool)
            clean = [all(f.result() for f in futures) for futures in passed]
        if all(clean):
            return table
        del table  # found on rows with errors: the clean rows' run replaces it
        failures = []
        for (schema, severity, _), ok in zip(screens, clean, strict=True):
            if not ok:
                failures += _schema_failures(schema, frame, spec, severity)
        return failures + _clean_table_failures(frame, spec, factors, failures)
    failures = [
        *_schema_failures(
            spec.column_error_schema, frame, spec, "error", spec.column_error_plan,
            factors,
        ),
        *_schema_failures(
            spec.column_warning_schema, frame, spec, "warning",
            spec.column_warning_plan, factors,
        ),
    ]  # fmt: skip
    # Table rules need well-typed key columns; skip them if a dtype check failed.
    if not any(f.rule == "dtype" for f in failures):
        failures += _clean_table_failures(frame, spec, factors, failures, unclean)
    return failures


def _clean_table_failures(
    frame: pd.DataFrame,
    spec: Contract,
    factors: dict | None,
    failures: list[Failure],
    unclean: np.ndarray | None = None,
) -> list[Failure]:
    """The table rules on the rows of ``frame`` without an error (of ``failures``
    or ``unclean``), located by ``frame``'s index.

    The clean rows are copied with the columns the rules read only
    (:func:`iongrad.gate.checks.table_reads`): one bad cell in a ten-million-row
    table copied every column of the other rows (2 GB).
    """
    bad = np.zeros(len(frame), dtype=bool) if unclean is None else unclean.copy()
    for f in failures:
        if f.is_error and f.index is not None:
            bad[f.index] = True
    if not bad.any():
        return _table_failures(frame, spec, factors)
    keep = np.flatnonzero(~bad)
    if not len(keep):
        return []
    reads = [c for r in spec.table_rules for c in table_reads(r.check, r.params)]
    part = frame[list(dict.fromkeys(reads))].take(keep).reset_index(drop=True)
    sub = {k: (codes[keep], values) for k, (codes, values) in (factors or {}).items()}
    return [block.at(keep) for block in _table_failures(part, spec, sub or None)]


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
    cells = records["cell"] if "cell" in records else _repeat(None, n)
    return _objects([
        _message(*parts)
        for parts in zip(
            records["file"], records["row"], cells, records["column"],
            records["ion"], records["value"], records["rule"], records["text"],
            records["detail"], strict=True,
        )
    ])  # fmt: skip


def _with_messages(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with their messages, as failures.parquet holds them: columns
    :data:`RECORD_KEYS` and a workbook's ``cell``."""
    keys = [*RECORD_KEYS, *(["cell"] if "cell" in records else [])]
    out = records.drop(columns=["text", "detail"])
    # object dtype, as the other columns (an array would be inferred as text)
    out["message"] = pd.Series(_messages(records), index=out.index, dtype=object)
    return out[keys]


def validate_file(
    path: str | os.PathLike,
    *,
    dataset: str | None = None,
    mode: str = "strict",
    contract: str | os.PathLike | None = None,
    options: ReadOptions | Mapping[str, Any] | None = None,
    number_format: Mapping[str, Any] | None = None,
) -> ValidationResult:
    """Validate one CSV or parquet file and split its rows into accepted/rejected.

    Parameters
    ----------
    path : str or path-like
        Input table.
    dataset : str, optional
        Dataset name (default: the file's ``dataset`` column, else its stem).
    mode : {"strict", "lenient"}
        See the module docstring.
    contract : str or path-like, optional
        YAML contract (default ``schemas/measurements.yaml``).
    options : ReadOptions or mapping, optional
        How the file is read (:class:`~iongrad.gate.readers.ReadOptions`, or the
        dataset's config entry: ``number_format``, ``sheet``, ``header_row``,
        ``units_row``, ``skip_rows``).
    number_format : dict, optional
        A CSV file's stated ``{"decimal": ",", "thousands": "."}``, applied to
        every cell (default: the decimal mark follows the separator, and an
        ambiguous number such as ``140.000`` in a ``;`` file is an error).

    Raises
    ------
    iongrad.gate.ingest.IngestError
        Only when the file cannot be read at all (missing, empty, not UTF-8, corrupt).
    ValueError
        For an unknown ``mode`` or unusable ``options`` or ``number_format``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    spec = load_contract(contract)
    ing = ingest(path, dataset=dataset, options=options, number_format=number_format)
    table = ing.table
    failures = list(ing.failures)
    if not ing.file_failures:
        canonical = table[CANONICAL_COLUMNS]
        parsed = {(f.index, f.column) for f in ing.failures}
        # A row whose unit could not be read has no concentrations to judge.
        parsed |= {
            (f.index, col)
            for f in ing.failures
            if f.column == "concentration_scale"
            for col in ("c_in_mM", "c_out_mM")
        }
        unclean = np.zeros(len(table), dtype=bool)
        unclean[[f.index for f in ing.failures if f.is_error]] = True
        found = _contract_failures(canonical, spec, ing.factors, unclean)
        if len(table) < BIG_TABLE:  # the plain path: one object per failure
            found = _expanded(found)
        # a cell already reported as unparsable is not judged again
        failures += _at_source(ing, _unjudged(found, parsed))
        del canonical, table  # the accepted rows are taken from ing.table alone
    return _split(ing, failures, spec, mode, dataset)


def _at_source(ing: Ingested, failures: list[Failure]) -> list[Failure]:
    """Failures of the canonical table told at the cells the user wrote.

    The file's header replaces the canonical column and the cell as written the
    canonical value (``temperature_C`` '98.6', not ``temperature_K`` 371.75); a
    wide file's ion column names its ion. The canonical ``column`` stays, for the
    gate's own bookkeeping.
    """
    if not failures:
        return failures
    raw_pos = ing.table["_raw_pos"].to_numpy()
    ions = ing.table["ion"].array
    cells: dict[str, object] = {}  # header -> its raw cells (no copy)
    out = []
    for f in failures:
        if isinstance(f, FailureBlock):
            out.append(_block_at_source(ing, f, raw_pos))
            continue
        header, ion = None, None
        if f.index is not None and f.column is not None:
            if ing.ion_sources:
                ion = ions[f.index]
                header = ing.ion_sources.get((f.column, ion))
            if header is None:
                header, ion = ing.sources.get(f.column), None
        if header is None:
            out.append(f)
            continue
        if header not in cells:
            cells[header] = ing.raw[header].array
        value = cells[header][raw_pos[f.index]]
        if isinstance(value, str):
            value = value.strip() or None  # an empty cell holds no value
        out.append(replace(f, source_column=header, value=value, ion=ion))
    return out


def _block_at_source(ing: Ingested, block: FailureBlock, raw_pos) -> FailureBlock:
    """:func:`_at_source` for a block of failures, per distinct header."""
    n = len(block)
    header = np.full(n, None, dtype=object)
    ion = np.full(n, None, dtype=object)
    if block.column is None:
        return block
    if ing.ion_sources:
        row_ions = ing.table["ion"].take(block.index).to_numpy(dtype=object)
        codes, names = pd.factorize(row_ions)
        per_ion = [ing.ion_sources.get((block.column, name)) for name in names]
        header = np.array([*per_ion, None], dtype=object)[codes]
        named = pd.notna(header)
        ion[named] = row_ions[named]
    unnamed = pd.isna(header)
    header[unnamed] = ing.sources.get(block.column)
    value = block.value.copy()
    told = pd.notna(header)
    if not told.any():
        return block
    for name in pd.unique(header[told]):
        at = np.flatnonzero(header == name)
        cells = ing.raw[name].array.take(raw_pos[block.index[at]])
        value[at] = [
            (c.strip() or None) if isinstance(c, str) else c
            for c in np.asarray(cells, dtype=object)
        ]  # an empty cell holds no value
    return replace(block, value=value, source_column=header, ion=ion)


def _split(
    ing: Ingested, failures: list, spec: Contract, mode: str, dataset
) -> ValidationResult:
    """Accepted and rejected rows, and the ``validation.json`` report."""
    table = ing.table
    n = len(table)
    file_level = any(f.index is None and f.is_error for f in failures)
    records, bad, reasons = _reported(ing, failures, spec)
    records = _in_cells(ing, records)
    n_errors = int((records["severity"] == "error").sum())
    n_warn = len(records) - n_errors
    withhold = mode == "strict" and n_errors > 0
    reject = np.ones(n, dtype=bool) if withhold else bad
    # a rejected row without an error of its own was withheld (strict mode)
    withheld = (
        f"withheld: strict mode accepts no row of a file with errors "
        f"({int(bad.sum())} row(s) have errors)"
    )
    rejected = _rejected_frame(ing, np.flatnonzero(reject), reasons, withheld)
    name = _dataset_name(ing, dataset)
    if reject.all():  # no row (or no row at all)
        accepted = empty_frame(spec)[CANONICAL_COLUMNS]
    elif not reject.any():  # every row: the columns as they are (a RangeIndex)
        accepted = table[CANONICAL_COLUMNS]
    else:
        incomplete = _incomplete(table, reasons)
        accepted = _taken_out(ing, np.flatnonzero(~reject))
        _mark_incomplete(accepted, *incomplete, ~reject)
    if mode == "strict":
        ok = n_errors == 0 and n > 0
    else:
        ok = not file_level and len(accepted) > 0
    report = {
        "file": ing.path,
        "dataset": name,
        "mode": mode,
        "ok": ok,
        "layout": ing.layout,
        "rows_read": n,
        "rows_accepted": len(accepted),
        "rows_rejected": int(reject.sum()),
        "rows_with_errors": int(bad.sum()),
        "errors": n_errors,
        "warnings": n_warn,
        **_bounded(records),
        "reading": _jsonable_tree(ing.info.get("reading", {})),
        "input": _jsonable_tree(
            {k: v for k, v in ing.info.items() if k not in _NOT_INPUT}
        ),
        "contract": {"path": spec.path, "version": spec.version},
    }
    if report["rows_read"] != report["rows_accepted"] + report["rows_rejected"]:
        raise AssertionError("row accounting broken")  # pragma: no cover
    return ValidationResult(
        accepted=accepted, rejected=rejected, report=report, records=records
    )


#: What the file's ``info`` holds for the gate itself, or in the ``reading`` block.
_NOT_INPUT = frozenset({"reading", "column_index"})


def _in_cells(ing: Ingested, records: pd.DataFrame) -> pd.DataFrame:
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
    out["cell"] = _objects(cells)
    return out


def _bounded(records: pd.DataFrame) -> dict:
    """validation.json's failures: the first :data:`EXAMPLES` of each rule and
    column (in record order) and the count of each, so the file stays small for
    any table; every failure is in ``failures.parquet``."""
    key = records[["rule", "column"]].astype(str)
    groups = key.groupby(["rule", "column"], sort=False, dropna=False)
    rank = groups.cumcount().to_numpy()
    examples = _with_messages(records[rank < EXAMPLES])
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


#: At most this many rejected rows are named in a sample's ``sample_rejected``.
REJECTED_NAMED = 10


def _taken_out(ing: Ingested, keep: np.ndarray) -> pd.DataFrame:
    """The canonical columns of ``ing.table`` at rows ``keep``, taken out of it one
    column at a time: each column of the table (and the raw cells, which share
    buffers with it) is let go once copied, so a big table's accepted rows are not
    held beside all of it (the gate's peak in a lenient run with errors). The
    table has no column left afterwards: nothing reads it again."""
    ing.raw = ing.raw.iloc[:0]  # the rejected rows' cells are in rejected.csv
    table = ing.table
    out = {}
    for column in CANONICAL_COLUMNS:
        out[column] = table[column].take(keep).reset_index(drop=True)
        del table[column]
    return pd.DataFrame(out, copy=False)


def _incomplete(table: pd.DataFrame, reasons: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each row's sample code and each sample's ``sample_rejected`` text (empty for
    a complete sample; see :func:`_mark_incomplete`)."""
    codes = sample_codes(table)
    at = np.array(sorted(reasons), dtype=np.int64)
    rows = table["source_row"].to_numpy()[at]
    # the rejected rows' ions only: a text object per row of a big table was 1 GB
    ions = table["ion"].take(at).to_numpy(dtype=object)
    named: dict[int, list[str]] = {}
    for i, row, ion in zip(at.tolist(), rows, ions, strict=True):
        named.setdefault(int(codes[i]), []).append(
            _rejected_words(row, ion, reasons[i])
        )
    text = np.full(int(codes.max()) + 1, "", dtype=object)
    for code, words in named.items():
        more = len(words) - REJECTED_NAMED
        text[code] = "; ".join(words[:REJECTED_NAMED]) + (
            f"; and {more} more row(s)" if more > 0 else ""
        )
    return codes, text


def _mark_incomplete(
    accepted: pd.DataFrame, codes: np.ndarray, text: np.ndarray, kept: np.ndarray
) -> None:
    """Fill ``accepted``'s ``sample_complete`` and ``sample_rejected`` (in place).

    ``kept`` says which rows of the table were accepted, ``codes`` and ``text``
    are each row's sample and each sample's text (:func:`_incomplete`). A sample
    (dataset, sample_id) with a rejected row is incomplete, and its rejected rows
    are named as the file gives them: ``row 9 K+ (number_format: c_in_mM '14O')``.
    """
    import pyarrow as pa  # here, pa is pandera

    mine = codes[kept]
    accepted["sample_complete"] = np.array([t == "" for t in text])[mine]
    # per row by arrow's take of the per-sample texts, not a text object per row
    per_row = pa.array(text, type=pa.large_string()).take(mine)
    accepted["sample_rejected"] = pd.array(per_row, dtype="str")


def _rejected_words(row, ion, errors: list[tuple]) -> str:
    """One rejected row: ``row 9 K+ (number_format: c_in_mM '14O')``."""
    what = "; ".join(
        " ".join(
            [f"{rule}:"]
            + ([str(column)] if column is not None else [])
            + [_as_written(value)]
        )
        for rule, column, value in errors
    )
    name = f" {ion}" if isinstance(ion, str) and ion else ""
    return f"row {row}{name} ({what})"


def _as_written(value) -> str:
    """A cell for a sentence: a number bare, a text quoted, nothing as 'empty'."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return repr(value)
    return str(value)


#: The columns of a failure record (validation.json's examples, failures.parquet).
RECORD_KEYS = ("file", "row", "column", "value", "ion", "rule", "severity", "message")
#: The columns of :attr:`ValidationResult.records`: a record's message in parts,
#: its ``text`` (shared by a rule's failures) and ``detail`` (see :func:`_message`).
PART_KEYS = (*RECORD_KEYS[:-1], "text", "detail")


def _reported(
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
        if not f.is_error:
            continue
        short = (f.rule, column, value)
        if idx is None:
            bad[:] = True
            for i in range(n):
                reasons.setdefault(i, []).append(short)
        else:
            bad[idx] = True
            reasons.setdefault(idx, []).append(short)
    frame = pd.DataFrame(
        {key: _objects([r[k] for r in records]) for k, key in enumerate(PART_KEYS)},
        dtype=object,  # cells as they are: no text column of missing values
    )
    return frame, bad, reasons


def _objects(values) -> np.ndarray:
    """A 1-d object array of ``values`` (tuples stay cells)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _repeat(text: str | None, n: int) -> np.ndarray:
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
        parts["rule"].append(_objects([f.rule for f in singles]))
        parts["message"].append(_objects([f.message for f in singles]))
        parts["detail"].append(np.full(len(singles), None, dtype=object))
        parts["column"].append(_objects([f.column for f in singles]))
        parts["reported"].append(_objects([f.reported_column for f in singles]))
        parts["value"].append(_objects([f.value for f in singles]))
        parts["severity"].append(_objects([f.severity for f in singles]))
        parts["ion"].append(_objects([f.ion for f in singles]))
        index = [-1 if f.index is None else f.index for f in singles]
        parts["index"].append(np.asarray(index, dtype=np.int64))
        parts["row"].append(_objects([f.row for f in singles]))
        singles.clear()

    for f in failures:
        if not isinstance(f, FailureBlock):
            singles.append(f)
            continue
        flush()
        m = len(f)
        source = f.source_column if f.source_column is not None else np.full(m, None)
        reported = np.where(pd.isna(source), f.column, source).astype(object)
        parts["rule"].append(_repeat(f.rule, m))
        parts["message"].append(np.asarray(f.message, dtype=object))
        parts["detail"].append(
            np.full(m, None, dtype=object) if f.detail is None else f.detail
        )
        parts["column"].append(_repeat(f.column, m))
        parts["reported"].append(reported)
        parts["value"].append(np.asarray(f.value, dtype=object))
        parts["severity"].append(_repeat(f.severity, m))
        parts["ion"].append(f.ion if f.ion is not None else np.full(m, None))
        parts["index"].append(np.asarray(f.index, dtype=np.int64))
        parts["row"].append(np.full(m, None, dtype=object))
    flush()
    return {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}


def _reported_columns(
    ing: Ingested, failures: list, spec: Contract
) -> tuple[pd.DataFrame, np.ndarray, dict[int, list[tuple]]]:
    """:func:`_reported` column-wise: no object per failure."""
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
    value = _objects([jsonable(v) for v in cols["value"]])
    keep = np.ones(len(idx), dtype=bool)
    if ing.layout == "wide":  # a wide row's cell is reported once (see _reported)
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
            "file": _repeat(ing.path, len(kept)),
            "row": row[kept],
            "column": cols["reported"][kept],
            "value": value[kept],
            "ion": cols["ion"][kept],
            "rule": cols["rule"][kept],
            "severity": cols["severity"][kept],
            "text": _objects(text),
            "detail": cols["detail"][kept],
        },
        dtype=object,
    )
    bad = np.zeros(n, dtype=bool)
    reasons: dict[int, list[tuple]] = {}
    for k in np.flatnonzero(cols["severity"] == "error"):
        short = (cols["rule"][k], cols["reported"][k], value[k])
        if idx[k] < 0:
            bad[:] = True
            for i in range(n):
                reasons.setdefault(i, []).append(short)
        else:
            bad[idx[k]] = True
            reasons.setdefault(int(idx[k]), []).append(short)
    return frame, bad, reasons


def _dataset_name(ing: Ingested, dataset: str | None) -> str:
    """The dataset the report names: the caller's, else the first the file gives,
    else the file's stem."""
    if dataset is not None:
        return dataset
    table = ing.table
    if "dataset" in table:
        given = table["dataset"].notna().to_numpy()
        if given.any():
            return table["dataset"].iloc[int(given.argmax())]
    return Path(ing.path).stem


def _jsonable_tree(value):
    """Nested dicts, lists and tuples with :func:`iongrad.files.jsonable` leaves."""
    if isinstance(value, dict):
        return {str(k): _jsonable_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable_tree(v) for v in value]
    return jsonable(value)


def _rejected_frame(
    ing: Ingested, idx: np.ndarray, reasons: dict, default: str
) -> pd.DataFrame:
    """The rejected rows ``idx`` (sorted) as the file gave them, with their reasons.

    ``reasons`` maps a row to its errors; a row without is given ``default``. The
    cells keep the types they were read with, and ``reason`` is a categorical: a
    strict run's ten million withheld rows are one text, not ten million (nor
    seventy million cells as objects).
    """
    table = ing.table
    raw_cols = [str(c) for c in ing.raw.columns]
    lead = ["source_file", "source_row"] + (["ion"] if ing.layout == "wide" else [])
    renamed = [f"raw:{c}" if c in lead or c == "reason" else c for c in raw_cols]
    if not len(idx):
        return pd.DataFrame(columns=[*lead, *renamed, "reason"])
    pos = table["_raw_pos"].to_numpy()[idx]
    raw = ing.raw.iloc[pos].reset_index(drop=True)
    raw.columns = renamed
    head = pd.DataFrame(
        {
            "source_file": ing.path,
            "source_row": table["source_row"].to_numpy()[idx],
        }
    )
    if ing.layout == "wide":
        head["ion"] = table["ion"].to_numpy(dtype=object)[idx]
    out = pd.concat([head, raw], axis=1)
    rows = np.fromiter(reasons, dtype=np.int64, count=len(reasons))
    texts = [
        "; ".join(f"{rule} ({column}={value!r})" for rule, column, value in found)
        for found in (reasons[int(row)] for row in rows)
    ]
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object))
    reason = np.zeros(len(idx), dtype=np.int64)  # 0: the default
    reason[np.searchsorted(idx, rows)] = codes + 1  # every row with errors is in idx
    categories = [default, *uniques]
    out["reason"] = pd.Categorical.from_codes(reason, categories=categories)
    if len(rows) == len(idx):  # no row takes the default
        out["reason"] = out["reason"].cat.remove_categories([default])
    return out


def write_outputs(
    result: ValidationResult,
    *,
    validation_json: str | os.PathLike,
    rejected_csv: str | os.PathLike,
    failures_parquet: str | os.PathLike | None = None,
) -> None:
    """Write ``validation.json`` and ``rejected.csv`` (always, header-only if empty),
    and with ``failures_parquet`` every failure as a table (no row if none).

    Each file is written to a temporary name and renamed: whole or not at all.
    ``rejected.csv`` is for people: written through :func:`iongrad.files.write_csv`,
    so a cell such as a sample id ``=HYPERLINK(...)`` opens as text, not a formula.
    """
    text = json.dumps(result.report, indent=2, allow_nan=False, default=str)
    write_text(validation_json, text + "\n")
    write_csv(rejected_csv, result.rejected)
    if failures_parquet is not None:
        write_failures(failures_parquet, result.records)


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

    ``records`` hold their messages (:attr:`ValidationResult.failures`) or their
    parts (:attr:`ValidationResult.records`: each row group's messages are made
    as it is written).
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
