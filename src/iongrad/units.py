"""Unit parsing and normalization at iongrad's boundary.

Inside :mod:`iongrad` every array is a plain float64 in the unit its name states
(``c_in_mM``, ``temperature_K``). This module is where text with units becomes such
numbers, once: concentrations (M, mM, uM/µM, nM on the molar scale; mol/kg and mmol/kg
on the molal scale), temperatures (degC or K) and compositions such as
``"Na+=140, K+=5, Cl-=145"``.

Molar (mol per litre of solution) and molal (mol per kg of water) are different
scales; converting between them needs the solution density, so this module never does
it silently: each parsed concentration says which scale it is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iongrad.constants import ZERO_CELSIUS_K
from iongrad.ions import lookup

__all__ = [
    "CONCENTRATION_UNITS",
    "Concentration",
    "UnitError",
    "parse_composition",
    "parse_concentration",
    "parse_ion_assignments",
    "parse_temperature",
    "unit_factor",
]


class UnitError(ValueError):
    """Text that cannot be read as a quantity with a known unit."""


#: Accepted concentration units -> (factor to mM or mmol/kg, scale).
CONCENTRATION_UNITS: dict[str, tuple[float, str]] = {
    "m": (1000.0, "molar"),
    "mol/l": (1000.0, "molar"),
    "mm": (1.0, "molar"),
    "mmol/l": (1.0, "molar"),
    "um": (1e-3, "molar"),
    "µm": (1e-3, "molar"),
    "μm": (1e-3, "molar"),
    "umol/l": (1e-3, "molar"),
    "µmol/l": (1e-3, "molar"),
    "nm": (1e-6, "molar"),
    "nmol/l": (1e-6, "molar"),
    "mol/kg": (1000.0, "molal"),
    "mmol/kg": (1.0, "molal"),
    "umol/kg": (1e-3, "molal"),
    "µmol/kg": (1e-3, "molal"),
}
# "M" and "mM" differ only in case; everything else is case-insensitive.
_CASE_SENSITIVE = {"M": "m", "mM": "mm", "uM": "um", "µM": "µm", "μM": "μm", "nM": "nm"}


def unit_factor(unit: str) -> tuple[float, str]:
    """Return ``(factor, scale)`` turning ``unit`` into mM (molar) or mmol/kg (molal).

    Raises
    ------
    UnitError
        For an unknown or case-ambiguous unit (``"MM"`` could be M or mM).

    Examples
    --------
    >>> unit_factor("uM"), unit_factor("mol/kg")
    ((0.001, 'molar'), (1000.0, 'molal'))
    """
    text = unit.strip().replace(" ", "")
    if text in _CASE_SENSITIVE:
        key = _CASE_SENSITIVE[text]
    elif text.lower() in {"m", "mm", "um", "nm"}:
        raise UnitError(
            f"unit {unit!r} is ambiguous: write M, mM, uM or nM with that exact case"
        )
    else:
        key = text.lower()
    if key not in CONCENTRATION_UNITS:
        known = "M, mM, uM (µM), nM, mol/kg, mmol/kg"
        raise UnitError(f"unknown concentration unit {unit!r}; expected one of {known}")
    return CONCENTRATION_UNITS[key]


@dataclass(frozen=True)
class Concentration:
    """A parsed concentration: value in mM (molar scale) or mmol/kg (molal scale)."""

    value: float
    scale: str  # "molar" or "molal"


# Digits with commas are matched too, so that _number can refuse them by name.
_NUMBER = r"[-+]?(?:\d[\d,]*(?:\.[\d,]*)?|\.\d+)(?:[eE][-+]?\d+)?"


def _number(text: str, what: str) -> float:
    """Read a number written with ``.`` as the decimal mark.

    A comma is refused, never guessed: ``1,000`` is a thousand with a thousands
    separator and one with a decimal comma, 1000-fold apart. ``-0`` is zero.
    Non-finite values (``1e999``, ``nan``) are refused.
    """
    if "," in text:
        raise UnitError(
            f"{what} {text!r} contains a comma: the command line takes '.' as the "
            "decimal mark and no thousands separator (write 1000 or 1.5)"
        )
    try:
        value = float(text)
    except ValueError:
        raise UnitError(f"{what} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UnitError(f"{what} {text!r} is not a finite number")
    return value + 0.0  # -0.0 -> 0.0: a zero concentration has one sign


def parse_concentration(text: str, default_unit: str = "mM") -> Concentration:
    """Parse ``"140"``, ``"140mM"``, ``"0.14 M"``, ``"140000uM"`` or ``"0.1mol/kg"``.

    A bare number is in ``default_unit``. Negative and non-finite values are rejected.

    Examples
    --------
    >>> parse_concentration("0.14M")
    Concentration(value=140.0, scale='molar')
    """
    match = re.fullmatch(rf"\s*({_NUMBER})\s*(\S.*?)?\s*", str(text))
    if not match:
        raise UnitError(f"concentration {text!r} is not a number with an optional unit")
    value = _number(match.group(1), "concentration")
    factor, scale = unit_factor(match.group(2) or default_unit)
    if not value >= 0:
        raise UnitError(f"concentration {text!r} must be >= 0")
    # Divide by the exact integer for sub-mM units so 100 nM is exactly 1e-4 mM.
    scaled = value * factor if factor >= 1 else value / round(1.0 / factor)
    return Concentration(scaled, scale)


def parse_temperature(text: str) -> float:
    """Parse ``"37C"``, ``"37 degC"``, ``"37 °C"``, ``"310.15K"`` into kelvin.

    A unit is required: a bare ``"37"`` is ambiguous and rejected. Temperatures at or
    below absolute zero are rejected.

    Examples
    --------
    >>> parse_temperature("37C"), parse_temperature("310.15 K")
    (310.15, 310.15)
    """
    match = re.fullmatch(rf"\s*({_NUMBER})\s*([A-Za-z°º ]*)\s*", str(text))
    if not match:
        raise UnitError(f"temperature {text!r} is not a number with a unit (37C, 310K)")
    value = _number(match.group(1), "temperature")
    unit = match.group(2).replace(" ", "").replace("°", "").replace("º", "").lower()
    if unit in {"c", "degc", "celsius"}:
        kelvin = value + ZERO_CELSIUS_K
    elif unit in {"k", "kelvin"}:
        kelvin = value
    elif unit == "":
        raise UnitError(f"temperature {text!r} needs a unit: write 37C or 310.15K")
    else:
        raise UnitError(f"unknown temperature unit {match.group(2)!r}; use C or K")
    if not kelvin > 0:
        raise UnitError(f"temperature {text!r} is at or below absolute zero")
    return kelvin


def parse_ion_assignments(text: str, what: str = "composition") -> dict[str, str]:
    """Split ``"Na+=140, K=5mM; Cl-=0.145M"`` into canonical symbol -> value text.

    Entries are separated by ``,`` or ``;`` (a comma followed by a digit belongs to
    the value, where :func:`parse_concentration` refuses it as ambiguous); ion names
    go through the registry (:func:`iongrad.ions.lookup`). An empty
    text, an entry without ``=`` or a repeated ion is a :class:`UnitError` naming
    ``what``; an unknown ion is an :class:`iongrad.ions.UnknownIonError`.

    Examples
    --------
    >>> parse_ion_assignments("K=1, Na+=0.04")
    {'K+': '1', 'Na+': '0.04'}
    """
    items = [item for item in re.split(r"[;,](?!\d)", text) if item.strip()]
    if not items:
        raise UnitError(f"{what} is empty; write e.g. 'Na+=140, Cl-=140'")
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise UnitError(f"{what} entry {item.strip()!r} has no '=' (ion=value)")
        symbol = lookup(name.strip()).symbol
        if symbol in result:
            raise UnitError(f"ion {symbol} appears twice in the {what}")
        result[symbol] = value.strip()
    return result


def parse_composition(text: str, default_unit: str = "mM") -> dict[str, Concentration]:
    """Parse ``"Na+=140, K+=5mM, Cl-=0.145M"`` into canonical symbol -> concentration.

    Ion names go through the registry (:func:`iongrad.ions.lookup`); a repeated ion,
    a missing ``=`` or an unknown ion is an error. All entries must share one scale.

    Examples
    --------
    >>> comp = parse_composition("K=5, Cl-=0.005M")
    >>> {k: v.value for k, v in comp.items()}
    {'K+': 5.0, 'Cl-': 5.0}
    """
    result = {
        symbol: parse_concentration(value, default_unit)
        for symbol, value in parse_ion_assignments(text).items()
    }
    scales = {c.scale for c in result.values()}
    if len(scales) > 1:
        raise UnitError("composition mixes molar (M, mM) and molal (mol/kg) units")
    return result
