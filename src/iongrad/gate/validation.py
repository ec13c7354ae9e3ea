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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines.pandas_engine import Engine, NpString

from iongrad.canonical import CANONICAL_COLUMNS, no_rows, rows_at
from iongrad.files import jsonable, write_csv, write_text
from iongrad.gate import parallel, records
from iongrad.gate.checks import (
    BIG_TABLE,
    EXPLAIN,
    distinct_cells,
    get_check,
    is_per_sample,
    sample_codes,
    table_reads,
)
from iongrad.gate.contract import ColumnPlan, Contract, empty_frame, load_contract
from iongrad.gate.failures import Failure, FailureBlock
from iongrad.gate.ingest import Ingested, ingest
from iongrad.gate.readers import ReadOptions

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
        The ``validation.json`` content: counts, and the first
        :data:`~iongrad.gate.records.EXAMPLES`
        failures of each rule and column.
    records : pandas.DataFrame, optional
        Every failure, one row each, its message in parts
        (:data:`~iongrad.gate.records.PART_KEYS`):
        a million messages of a big table are written a row group at a time
        (:func:`~iongrad.gate.records.write_failures`), never held at once.
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    report: dict
    records: pd.DataFrame | None = None

    @property
    def failures(self) -> pd.DataFrame | None:
        """Every failure, one row each (columns
        :data:`~iongrad.gate.records.RECORD_KEYS`, and a
        workbook's ``cell``): the content of ``failures.parquet``."""
        return None if self.records is None else records.with_messages(self.records)

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
                message=records.repeat(rule.description, len(idx)),
                detail=records.objects(explain(frame, idx)) if explain else None,
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
        failures = []
        for (schema, severity, _), ok in zip(screens, clean, strict=True):
            if not ok:
                failures += _schema_failures(schema, frame, spec, severity)
        return failures + _clean_table_failures(
            frame, spec, factors, failures, table=table
        )
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
    table: list[FailureBlock] | None = None,
) -> list[Failure]:
    """The table rules on the rows of ``frame`` without an error (of ``failures``
    or ``unclean``), located by ``frame``'s index.

    When every table rule judges a row by its sample's rows alone
    (:func:`iongrad.gate.checks.is_per_sample`), the samples without an error
    keep the verdicts of the rules over the whole table (``table``, that run,
    when the caller has it) and only the samples with an error are judged again,
    on their clean rows: one bad cell in a ten-million-row table no longer has
    the other ten million rows copied and judged twice. Otherwise every clean row
    is judged again.
    """
    bad = np.zeros(len(frame), dtype=bool) if unclean is None else unclean.copy()
    for f in failures:
        if f.is_error and f.index is not None:
            bad[f.index] = True
    if not bad.any():
        return table if table is not None else _table_failures(frame, spec, factors)
    if not all(is_per_sample(r.check, r.params) for r in spec.table_rules):
        return _rows_table_failures(frame, spec, factors, np.flatnonzero(~bad))
    if table is None:
        table = _table_failures(frame, spec, factors)
    codes = sample_codes(frame)
    again = (np.bincount(codes[bad], minlength=int(codes.max()) + 1) > 0)[codes]
    redone = _rows_table_failures(frame, spec, factors, np.flatnonzero(again & ~bad))
    kept = [block.subset(~again[block.index]) for block in table]
    return _by_rule(spec, [*kept, *redone])


def _rows_table_failures(
    frame: pd.DataFrame, spec: Contract, factors: dict | None, rows: np.ndarray
) -> list[FailureBlock]:
    """The table rules on ``frame``'s ``rows`` (positions, ascending) alone,
    located by ``frame``'s index. The rows are copied with the columns the rules
    read only (:func:`iongrad.gate.checks.table_reads`)."""
    if not len(rows):
        return []
    reads = [c for r in spec.table_rules for c in table_reads(r.check, r.params)]
    part = frame[list(dict.fromkeys(reads))].take(rows).reset_index(drop=True)
    sub = {k: (codes[rows], values) for k, (codes, values) in (factors or {}).items()}
    return [block.at(rows) for block in _table_failures(part, spec, sub or None)]


def _by_rule(spec: Contract, blocks: list[FailureBlock]) -> list[FailureBlock]:
    """``blocks`` as :func:`_table_failures` gives them: one per rule that failed
    somewhere, in the contract's rule order, each in ascending row order."""
    out = []
    for rule in spec.table_rules:
        mine = [b for b in blocks if b.rule == rule.name and len(b)]
        if mine:
            out.append(FailureBlock.joined(mine))
    return out


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
    found, bad, reasons = records.reported(ing, failures, spec)
    found = records.in_cells(ing, found)
    n_errors = int((found["severity"] == "error").sum())
    n_warn = len(found) - n_errors
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
        **records.bounded(found),
        "reading": _jsonable_tree(ing.info.get("reading", {})),
        "input": _jsonable_tree(
            {k: v for k, v in ing.info.items() if k not in _NOT_INPUT}
        ),
        "contract": {"path": spec.path, "version": spec.version},
    }
    if report["rows_read"] != report["rows_accepted"] + report["rows_rejected"]:
        raise AssertionError("row accounting broken")  # pragma: no cover
    return ValidationResult(
        accepted=accepted, rejected=rejected, report=report, records=found
    )


#: What the file's ``info`` holds for the gate itself, or in the ``reading`` block.
_NOT_INPUT = frozenset({"reading", "column_index"})


#: At most this many rejected rows are named in a sample's ``sample_rejected``.
REJECTED_NAMED = 10


def _taken_out(ing: Ingested, keep: np.ndarray) -> pd.DataFrame:
    """The canonical columns of ``ing.table`` at rows ``keep``, taken out of it one
    column at a time (:func:`iongrad.canonical.rows_at`: a text column as slices
    of its own buffers when the rows kept make few runs, as when a few samples are
    rejected; any other copied, and let go from the table once copied), so a big
    table's accepted rows are not held beside all of it (the gate's peak in a
    lenient run with errors). The raw cells go first (the rejected rows' cells
    are in rejected.csv). The table has no column left afterwards: nothing reads
    it again."""
    # the rejected rows' cells are in rejected.csv; the reader's codes were for
    # the checks
    ing.raw, ing.factors = no_rows(ing.raw), {}
    table = ing.table
    out = {}
    for column in CANONICAL_COLUMNS:
        out[column] = rows_at(table[column], keep)
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
    cells keep the types they were read with, and ``source_file`` and ``reason``
    are categoricals: a strict run's ten million withheld rows hold one text of
    each, not ten million (nor seventy million cells as objects).
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
        {  # the file's name as one category: not a text per row
            "source_file": pd.Categorical.from_codes(
                np.zeros(len(idx), dtype=np.int8), [ing.path]
            ),
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
        records.write_failures(failures_parquet, result.records)
