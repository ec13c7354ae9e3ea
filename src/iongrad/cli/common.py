"""Shared helpers for the subcommands: argument errors, unit parsing, read options,
JSON output.

Single calculations obey the same plausibility rules as tables: the range rules of
the measurement contract (``schemas/measurements.yaml``: ``temperature_range``,
``c_in_range``, ``vm_range``, ...) are applied to each argument by name, so 37 K is
refused here as it is in a table, with the same rule name and description.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from iongrad.gate.checks import get_check
from iongrad.gate.contract import load_contract
from iongrad.gate.headers import MappingError, read_columns
from iongrad.gate.numbers import stated_format
from iongrad.gate.readers import ReadOptions
from iongrad.ions import UnknownIonError, lookup
from iongrad.units import (
    Concentration,
    UnitError,
    parse_composition,
    parse_concentration,
    parse_temperature,
)

__all__ = [
    "CLIError",
    "add_read_options",
    "composition_arg",
    "concentration_arg",
    "emit_error_json",
    "emit_json",
    "ion_arg",
    "plausible",
    "read_options_arg",
    "temperature_arg",
    "vm_warnings",
]

#: |Vm| below this [mV] (and not 0) is more likely a value in volts.
VOLTS_SUSPECT_MV = 1.0


class CLIError(Exception):
    """A bad argument: printed as one line and exit status 2."""


def ion_arg(option: str, text: str):
    """Resolve an ion name through the registry or raise :class:`CLIError`."""
    try:
        return lookup(text)
    except UnknownIonError as err:
        raise CLIError(f"{option}: {err}") from None


def plausible(option: str, column: str, value: float, shown: str) -> None:
    """Apply the contract's error-severity range rules of ``column`` to ``value``.

    Raises :class:`CLIError` naming the option, the text the user gave (``shown``),
    the rule and its description, as validation does for a table cell.
    """
    contract = load_contract()
    for rule in contract.rules.values():
        if rule.column != column or rule.check != "in_range":
            continue
        check = get_check(rule.check)
        if bool(check(pd.Series([float(value)]), **rule.params).iloc[0]):
            continue
        if rule.severity == "error":
            raise CLIError(f"{option}: {shown!r}: rule {rule.name}: {rule.description}")


def concentration_arg(option: str, text: str, column: str = "c_in_mM"):
    """Parse a concentration (mM unless a unit is given) or raise :class:`CLIError`.

    ``column`` names the contract column whose range rules apply (``c_in_mM`` or
    ``c_out_mM``).
    """
    try:
        conc = parse_concentration(text)
    except UnitError as err:
        raise CLIError(f"{option}: {err}") from None
    plausible(option, column, conc.value, text)
    return conc


def composition_arg(
    option: str, text: str, column: str = "c_out_mM"
) -> dict[str, Concentration]:
    """Parse ``"Na+=140, Cl-=140"`` and check each value against ``column``'s rules."""
    try:
        comp = parse_composition(text)
    except (UnitError, UnknownIonError) as err:
        raise CLIError(f"{option}: {err}") from None
    for symbol, conc in comp.items():
        plausible(f"{option} {symbol}", column, conc.value, f"{conc.value:g} mM")
    return comp


def temperature_arg(option: str, text: str) -> float:
    """Parse a temperature with its unit into kelvin or raise :class:`CLIError`."""
    try:
        kelvin = parse_temperature(text)
    except UnitError as err:
        raise CLIError(f"{option}: {err}") from None
    plausible(option, "temperature_K", kelvin, text)
    return kelvin


def vm_warnings(vm_mV: float | None) -> list[str]:
    """Warnings for a membrane potential that is legal but likely a unit slip."""
    if vm_mV is not None and 0 < abs(vm_mV) < VOLTS_SUSPECT_MV:
        return [
            f"--vm {vm_mV:g} mV is smaller than {VOLTS_SUSPECT_MV:g} mV in size: if it "
            f"is in volts, write {vm_mV * 1000:g} (Vm is in mV)"
        ]
    return []


#: The flag of each read option (a :class:`ReadOptions` field, as config spells it).
READ_FLAGS = {
    "sheet": "--sheet",
    "columns": "--columns",
    "header_row": "--header-row",
    "units_row": "--units-row",
    "skip_rows": "--skip-rows",
    "number_format": "--decimal/--thousands",
}


def add_read_options(parser: argparse.ArgumentParser) -> None:
    """Add the flags of a dataset's read options, so a file is read from the command
    line as the workflow reads it with the same keys in its config."""
    parser.add_argument("--sheet", help="the workbook sheet to read (its tab's name)")
    parser.add_argument(
        "--columns",
        metavar="MAPPING.yaml",
        help="a YAML file mapping headers to their meaning, as a dataset's "
        "`columns` in the config ({'[K+]i (mM)': {ion: K+, side: in}})",
    )
    parser.add_argument(
        "--header-row",
        type=int,
        metavar="N",
        help="the row of column names (1 = first)",
    )
    parser.add_argument(
        "--units-row", type=int, metavar="N", help="a row of units below the names"
    )
    parser.add_argument(
        "--skip-rows",
        type=_row_numbers,
        metavar="N[,N...]",
        help="rows that are no data (a totals line, a comment; 1 = first)",
    )
    parser.add_argument(
        "--decimal",
        choices=[".", ","],
        help="the CSV files' decimal mark (default: ',' in ';'-separated files, "
        "else '.'); stating it reads every cell that way",
    )
    parser.add_argument(
        "--thousands",
        help="the CSV files' thousands separator (with --decimal); without it, a "
        "number such as 140.000 in a decimal-comma file is an error",
    )


def read_options_arg(args: argparse.Namespace) -> ReadOptions:
    """The :class:`ReadOptions` of the flags :func:`add_read_options` added.

    Raises :class:`CLIError` naming the flag (and a mapping's header, with the
    closest field, ion, side or key) when one is unusable.
    """
    columns = _mapping(args.columns)
    try:
        read_columns(columns)
    except MappingError as err:
        raise CLIError(f"--columns {args.columns}: {err}") from None
    try:
        return ReadOptions(
            number_format=_number_format(args.decimal, args.thousands),
            sheet=args.sheet,
            header_row=args.header_row,
            units_row=args.units_row,
            skip_rows=args.skip_rows or (),
            columns=columns,
        )
    except ValueError as err:  # the message names the keys; the user typed flags
        flags = [flag for key, flag in READ_FLAGS.items() if key in str(err)]
        raise CLIError(f"{'/'.join(flags) or 'read options'}: {err}") from None


def _row_numbers(text: str) -> tuple[int, ...]:
    """``--skip-rows 5,7``: the row numbers (checked to be >= 1 by ReadOptions)."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write row numbers, 1 = the first row (5 or 5,7)"
        ) from None


def _number_format(decimal: str | None, thousands: str | None) -> dict | None:
    """The stated number format of --decimal/--thousands (None: not stated)."""
    if decimal is None:
        if thousands is not None:
            raise CLIError("--thousands needs --decimal (the files' decimal mark)")
        return None
    fmt = {"decimal": decimal, "thousands": thousands}
    try:
        stated_format(fmt)
    except ValueError as err:
        raise CLIError(f"--decimal/--thousands: {err}") from None
    return fmt


def _mapping(path: str | None) -> dict | None:
    """The ``columns`` mapping of a YAML file (bare, or under a ``columns`` key)."""
    if path is None:
        return None
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise CLIError(f"--columns {path}: cannot read it ({err})") from None
    if isinstance(data, dict) and set(data) == {"columns"}:
        data = data["columns"]
    if not isinstance(data, dict):
        raise CLIError(
            f"--columns {path}: the file must map headers to their meaning "
            "('[K+]i (mM)': {ion: K+, side: in})"
        )
    return data


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: non-finite floats become strings ("inf", "nan")."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def emit_json(obj: dict) -> None:
    """Print one JSON object (strict JSON: no NaN/Infinity literals)."""
    json.dump(_clean(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def emit_error_json(command: str, message: str, exit_status: int) -> None:
    """Print a bad argument as one JSON object, for scripts that parse ``--json``."""
    emit_json({"command": command, "error": message, "exit_status": exit_status})
