"""Compile the YAML measurement contract (``schemas/measurements.yaml``) into pandera.

The YAML file is the single source of truth for the canonical measurement table:
columns, dtypes, units, nullability, ranges and named cross-row checks, each with a
severity (``error`` or ``warning``) and a one-line description. This module reads it,
resolves every ``check:`` through the registry in :mod:`iongrad.gate.checks` and
builds two pandera schemas: one for errors (dtypes, nullability and error checks)
and one for warnings. Both are always run with ``lazy=True`` and never with
``coerce=True``: ingestion parses every value explicitly before validation.

:func:`iongrad.gate.validation.validate_file` runs the column part of these schemas
through pandera and evaluates the table (cross-row) rules with the same registry
functions directly: pandera reports a failing row of a DataFrame-wide check once per
column and formats each one in Python (about 0.5 ms per failing row), which made a
table whose every sample is flagged take minutes. Both paths use the same compiled
rules.

Each compiled schema also carries a :class:`ColumnPlan` per column: the same rules as
plain ``(name, function)`` pairs, which :func:`iongrad.gate.validation.validate_file`
evaluates first (vectorized, a few microseconds per column). Only when that screen
finds something does pandera run, to produce its failure report; a clean table never
pays pandera's per-column overhead. Compiled contracts are cached per file path,
modification time and size, so editing the YAML takes effect in a running process.

Examples
--------
>>> contract = load_contract()
>>> contract.columns["temperature_K"].unit
'K'
>>> contract.rules["temperature_range"].severity
'error'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from iongrad.gate.checks import get_check, is_elementwise, is_per_value

__all__ = [
    "DEFAULT_CONTRACT",
    "ColumnPlan",
    "ColumnSpec",
    "Contract",
    "Rule",
    "SchemaDefinitionError",
    "load_contract",
]

#: The contract shipped with iongrad (package data
#: ``iongrad/schemas/measurements.yaml``, which the repository's top-level
#: ``schemas/`` links to), so an installed wheel finds it.
DEFAULT_CONTRACT = Path(str(files("iongrad") / "schemas" / "measurements.yaml"))

#: Rules pandera applies itself, with the descriptions used in messages.
BUILTIN_RULES = {
    "not_nullable": "This column must have a value in every row.",
    "dtype": "The column has the wrong data type.",
    "column_in_dataframe": "A required column is missing.",
}

_DTYPES = {"str": str, "float64": "float64", "int64": "int64", "bool": bool}
_SEVERITIES = {"error", "warning"}


class SchemaDefinitionError(ValueError):
    """The YAML contract itself is malformed (unknown key, check or severity)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the contract."""

    name: str
    dtype: str
    nullable: bool
    unit: str | None
    description: str


@dataclass(frozen=True)
class Rule:
    """One named rule: a registered check with parameters, severity and description."""

    name: str
    kind: str  # "column", "table", "ingest" or "builtin"
    severity: str
    description: str
    check: str | None = None
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnPlan:
    """The pandera column of one schema as plain data, for a fast pre-screen.

    ``checks`` holds ``(rule name, check function with its parameters bound)`` in the
    schema's order; ``column`` is the pandera column itself (for its dtype check).
    ``elementwise`` is True when every check judges a cell by its value alone
    (:func:`iongrad.gate.checks.is_elementwise`), so the checks may see each
    distinct value once; ``per_value`` when, besides, one of them hashes the column
    to do so (:func:`iongrad.gate.checks.is_per_value`), so that finding the
    distinct cells first pays.
    """

    name: str
    nullable: bool
    column: pa.Column
    checks: tuple[tuple[str, Any], ...]
    elementwise: bool = False
    per_value: bool = False


@dataclass(frozen=True)
class Contract:
    """The compiled contract: column specs, rules and the two pandera schemas."""

    path: str
    version: int
    columns: dict[str, ColumnSpec]
    rules: dict[str, Rule]
    error_schema: pa.DataFrameSchema
    warning_schema: pa.DataFrameSchema
    column_error_schema: pa.DataFrameSchema
    column_warning_schema: pa.DataFrameSchema
    table_rules: tuple[Rule, ...]
    #: The column error/warning schemas as :class:`ColumnPlan` tuples.
    column_error_plan: tuple[ColumnPlan, ...] = ()
    column_warning_plan: tuple[ColumnPlan, ...] = ()

    @property
    def units(self) -> dict[str, str]:
        """Map of dimensional column -> unit (for parquet field metadata)."""
        return {n: c.unit for n, c in self.columns.items() if c.unit}

    def describe(self, rule: str) -> str:
        """Return the one-line description of ``rule`` (builtin rules included)."""
        if rule in self.rules:
            return self.rules[rule].description
        return BUILTIN_RULES.get(rule.split("(")[0], rule)


def _check(rule: Rule) -> pa.Check:
    func = get_check(rule.check, rule.kind)
    return pa.Check(partial(func, **rule.params), name=rule.name)


def _rule(entry: dict, kind: str, column: str | None, where: str) -> Rule:
    allowed = {"name", "check", "severity", "params", "description", "column"}
    unknown = set(entry) - allowed
    if unknown or "name" not in entry or "description" not in entry:
        raise SchemaDefinitionError(
            f"{where}: a rule needs name, description (and check); "
            f"unknown keys: {sorted(unknown)}"
        )
    severity = entry.get("severity", "error")
    if severity not in _SEVERITIES:
        raise SchemaDefinitionError(f"{where}: severity must be error or warning")
    rule = Rule(
        name=entry["name"],
        kind=kind,
        severity=severity,
        description=" ".join(str(entry["description"]).split()),
        check=entry.get("check"),
        column=entry.get("column", column),
        params=dict(entry.get("params") or {}),
    )
    if kind != "ingest":
        try:
            get_check(rule.check, kind)
        except KeyError as err:
            raise SchemaDefinitionError(f"{where}: {err.args[0]}") from None
    return rule


def _plan(schema: pa.DataFrameSchema, rules: dict[str, Rule]) -> tuple:
    """The columns of ``schema`` as :class:`ColumnPlan` (same functions, same order)."""
    out = []
    for name, col in schema.columns.items():
        col_rules = [rules[check.name] for check in col.checks]
        checks = [
            (rule.name, partial(get_check(rule.check), **rule.params))
            for rule in col_rules
        ]
        elementwise = all(is_elementwise(rule.check) for rule in col_rules)
        per_value = elementwise and any(is_per_value(rule.check) for rule in col_rules)
        out.append(
            ColumnPlan(
                name, bool(col.nullable), col, tuple(checks), elementwise, per_value
            )
        )
    return tuple(out)


@lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int, size: int) -> Contract:
    """Compile ``path``; the stat fields key the cache (a changed file recompiles)."""
    try:
        with open(path, encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SchemaDefinitionError(
            f"the measurement contract {path} cannot be read "
            f"({type(err).__name__}: {err}); reinstall iongrad if it is the bundled one"
        ) from None
    if not isinstance(doc, dict):
        raise SchemaDefinitionError(f"{path}: the contract is not a YAML mapping")
    rules: dict[str, Rule] = {}

    def add(rule: Rule) -> None:
        if rule.name in rules:
            raise SchemaDefinitionError(f"{path}: rule {rule.name!r} defined twice")
        rules[rule.name] = rule

    columns, error_cols, warn_cols = _columns(doc, path, add)
    table_rules = [
        _rule(e, "table", None, f"{path}: table_checks")
        for e in doc.get("table_checks") or []
    ]
    for rule in table_rules:
        if rule.column not in columns:
            raise SchemaDefinitionError(
                f"{path}: table check {rule.name}: column {rule.column!r} unknown"
            )
        add(rule)
    for entry in doc.get("ingest_rules") or []:
        add(_rule(entry, "ingest", None, f"{path}: ingest_rules"))
    return _compile(path, doc, columns, rules, error_cols, warn_cols, table_rules)


def _columns(doc: dict, path: str, add) -> tuple[dict, dict, dict]:
    """The contract's columns: specs, and pandera columns for errors and warnings.

    Each column rule is passed to ``add`` (which refuses a name defined twice).
    """
    columns: dict[str, ColumnSpec] = {}
    error_cols: dict[str, pa.Column] = {}
    warn_cols: dict[str, pa.Column] = {}
    for name, spec in (doc.get("columns") or {}).items():
        dtype = spec.get("dtype")
        if dtype not in _DTYPES:
            raise SchemaDefinitionError(
                f"{path}: column {name}: unknown dtype {dtype!r}"
            )
        columns[name] = ColumnSpec(
            name=name,
            dtype=dtype,
            nullable=bool(spec.get("nullable", False)),
            unit=spec.get("unit"),
            description=" ".join(str(spec.get("description", "")).split()),
        )
        col_rules = [
            _rule(e, "column", name, f"{path}: column {name}")
            for e in spec.get("checks") or []
        ]
        for rule in col_rules:
            add(rule)
        errors = [_check(r) for r in col_rules if r.severity == "error"]
        warns = [_check(r) for r in col_rules if r.severity == "warning"]
        error_cols[name] = pa.Column(
            _DTYPES[dtype], checks=errors, nullable=columns[name].nullable
        )
        if warns:
            warn_cols[name] = pa.Column(checks=warns, nullable=True)
    return columns, error_cols, warn_cols


def _compile(
    path: str,
    doc: dict,
    columns: dict[str, ColumnSpec],
    rules: dict[str, Rule],
    error_cols: dict[str, pa.Column],
    warn_cols: dict[str, pa.Column],
    table_rules: list[Rule],
) -> Contract:
    """The pandera schemas (column-only and whole) and their plans."""
    column_error_schema = pa.DataFrameSchema(
        error_cols, coerce=False, strict=False, name="measurements (column errors)"
    )
    column_warning_schema = pa.DataFrameSchema(
        warn_cols, coerce=False, strict=False, name="measurements (column warnings)"
    )
    error_schema = pa.DataFrameSchema(
        error_cols,
        checks=[_check(r) for r in table_rules if r.severity == "error"],
        coerce=False,
        strict=False,
        name="measurements (errors)",
    )
    warning_schema = pa.DataFrameSchema(
        warn_cols,
        checks=[_check(r) for r in table_rules if r.severity == "warning"],
        coerce=False,
        strict=False,
        name="measurements (warnings)",
    )
    return Contract(
        path=str(path),
        version=int(doc.get("version", 1)),
        columns=columns,
        rules=rules,
        error_schema=error_schema,
        warning_schema=warning_schema,
        column_error_schema=column_error_schema,
        column_warning_schema=column_warning_schema,
        table_rules=tuple(table_rules),
        column_error_plan=_plan(column_error_schema, rules),
        column_warning_plan=_plan(column_warning_schema, rules),
    )


def load_contract(path: str | Path | None = None) -> Contract:
    """Load and compile a measurement contract (cached per path, mtime and size).

    Parameters
    ----------
    path : str or Path, optional
        YAML contract; defaults to :data:`DEFAULT_CONTRACT`.

    Raises
    ------
    SchemaDefinitionError
        When the file cannot be read, or the YAML names an unknown dtype, check,
        severity or column.
    """
    resolved = str(Path(path or DEFAULT_CONTRACT).resolve())
    try:
        st = os.stat(resolved)
    except OSError:
        return _load(resolved, -1, -1)  # open() in _load raises the real error
    return _load(resolved, st.st_mtime_ns, st.st_size)


def empty_frame(contract: Contract) -> pd.DataFrame:
    """An empty DataFrame with the contract's columns and dtypes."""
    dtypes = {"str": object, "float64": "float64", "int64": "int64", "bool": bool}
    return pd.DataFrame(
        {n: pd.Series(dtype=dtypes[c.dtype]) for n, c in contract.columns.items()}
    )
