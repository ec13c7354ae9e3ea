"""Shared helpers for the subcommands: argument errors, unit parsing, JSON output.

Single calculations obey the same plausibility rules as tables: the range rules of
the measurement contract (``schemas/measurements.yaml``: ``temperature_range``,
``c_in_range``, ``vm_range``, ...) are applied to each argument by name, so 37 K is
refused here as it is in a table, with the same rule name and description.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import pandas as pd

from iongrad.gate.checks import get_check
from iongrad.gate.contract import load_contract
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
    "composition_arg",
    "concentration_arg",
    "emit_error_json",
    "emit_json",
    "ion_arg",
    "plausible",
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
