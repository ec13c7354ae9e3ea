"""Shared helpers for the subcommands: argument errors, unit parsing, JSON output."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from iongrad.ions import UnknownIonError, lookup
from iongrad.units import UnitError, parse_concentration, parse_temperature

__all__ = ["CLIError", "concentration_arg", "emit_json", "ion_arg", "temperature_arg"]


class CLIError(Exception):
    """A bad argument: printed as one line and exit status 2."""


def ion_arg(option: str, text: str):
    """Resolve an ion name through the registry or raise :class:`CLIError`."""
    try:
        return lookup(text)
    except UnknownIonError as err:
        raise CLIError(f"{option}: {err}") from None


def concentration_arg(option: str, text: str):
    """Parse a concentration (mM unless a unit is given) or raise :class:`CLIError`."""
    try:
        return parse_concentration(text)
    except UnitError as err:
        raise CLIError(f"{option}: {err}") from None


def temperature_arg(option: str, text: str) -> float:
    """Parse a temperature with its unit into kelvin or raise :class:`CLIError`."""
    try:
        return parse_temperature(text)
    except UnitError as err:
        raise CLIError(f"{option}: {err}") from None


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
