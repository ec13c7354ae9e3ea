"""Numbers as the reports show them: one format per kind of quantity.

Potentials to 0.1 mV (a tenth of a millivolt is below any electrode's accuracy, and
more digits invite citing noise); concentrations in the unit that keeps them between
1 and 1000 (100 nM rather than 0.0001 mM) with three significant digits;
temperatures in °C to one decimal everywhere (tables, headings, plots); booleans
as yes/no; a missing value as a dash or, where the reason is known, in words. The
exact values stay in the tables' ``data-value`` attributes and in the CSV files.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = [
    "DASH",
    "fmt_bool",
    "fmt_conc_mM",
    "fmt_count",
    "fmt_mV",
    "fmt_number",
    "fmt_pm",
    "fmt_temp_C",
    "is_missing",
]

#: What a missing number reads as.
DASH = "—"

#: (lower bound [mM], unit, factor from mM): concentrations shown between 1 and 1000.
_CONC_UNITS = ((1e3, "M", 1e-3), (1.0, "mM", 1.0), (1e-3, "µM", 1e3), (0.0, "nM", 1e6))


def is_missing(value) -> bool:
    """True for None, pandas' NA and NaN (not for infinities)."""
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def fmt_number(x, decimals: int | None = 2, fmt: str | None = None) -> str:
    """Format a number for display: ``—`` for NaN, ``+inf``/``−inf`` spelled out.

    >>> fmt_number(-75.7049), fmt_number(float("nan")), fmt_number(float("-inf"))
    ('-75.70', '—', '-inf')
    """
    if is_missing(x):
        return DASH
    x = float(x)
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    if fmt:
        return format(x, fmt)
    return f"{x:.{decimals}f}"


def fmt_mV(value, *, signed: bool = False) -> str:
    """A potential [mV] to 0.1 mV; ``+`` shown when ``signed`` (driving forces).

    >>> fmt_mV(-94.137), fmt_mV(4.14, signed=True), fmt_mV(float("nan"))
    ('-94.1', '+4.1', '—')
    """
    if is_missing(value):
        return DASH
    x = float(value)
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.1f}" if signed else f"{x:.1f}"


def fmt_pm(mean, sd, *, signed: bool = False) -> str:
    """``mean ± sd`` [mV] to 0.1 mV; only the mean when there is no SD (n = 1).

    >>> fmt_pm(4.14, 3.66, signed=True), fmt_pm(-90.0, float("nan"))
    ('+4.1 ± 3.7', '-90.0')
    """
    if is_missing(mean):
        return DASH
    text = fmt_mV(mean, signed=signed)
    if is_missing(sd) or math.isinf(float(mean)):
        return text
    return f"{text} ± {fmt_mV(sd)}"


def fmt_conc_mM(value) -> str:
    """A concentration given in mM, in nM, µM, mM or M, three significant digits.

    >>> fmt_conc_mM(1e-4), fmt_conc_mM(0.05), fmt_conc_mM(145.0), fmt_conc_mM(4.5)
    ('100 nM', '50 µM', '145 mM', '4.5 mM')
    """
    if is_missing(value):
        return DASH
    x = float(value)
    if math.isinf(x):
        return "+inf mM" if x > 0 else "-inf mM"
    if x == 0:
        return "0 mM"
    for lower, unit, factor in _CONC_UNITS:
        if abs(x) >= lower:
            scaled = float(f"{x * factor:.3g}")
            if abs(scaled) >= 1000 and unit != "M":  # 999.9 uM rounds to 1 mM
                continue
            return f"{scaled:g} {unit}"
    return f"{x:g} mM"  # pragma: no cover (the last unit takes every x)


def fmt_temp_C(value, *, unit: bool = False) -> str:
    """A temperature [°C] to one decimal, with its unit when ``unit``.

    >>> fmt_temp_C(37), fmt_temp_C(20.0, unit=True)
    ('37.0', '20.0 °C')
    """
    if is_missing(value):
        return DASH
    text = f"{float(value):.1f}"
    return f"{text} °C" if unit else text


def fmt_bool(value) -> str:
    """``yes`` or ``no``; ``not recorded`` when missing.

    >>> fmt_bool(True), fmt_bool(False), fmt_bool(None)
    ('yes', 'no', 'not recorded')
    """
    if is_missing(value):
        return "not recorded"
    return "yes" if bool(value) else "no"


def fmt_count(value) -> str:
    """A count as an integer (``—`` when missing)."""
    if is_missing(value):
        return DASH
    return str(int(value))
