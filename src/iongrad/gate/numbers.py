"""Cells to numbers, explicitly: a cell that is not a number is a failure, never NaN.

Text cells are stripped; the tokens of :data:`NA_TOKENS` (any case) and empty cells
mean "no value". Parquet number columns are taken as stored; a parquet text or
boolean column where a number belongs is refused as a whole.

A CSV file's number format is stated (:func:`stated_format`: ``{"decimal": ",",
"thousands": "."}``, applied to every cell of the file) or follows from its
separator: a decimal comma in ``;``-separated files (where a decimal point is read
too), a decimal point otherwise. Without a stated format a cell whose reading is
ambiguous is refused (``ambiguous_number``), never guessed: one that reads as
digits grouped in threes by the file's *other* mark (``'.'`` in a decimal-comma
file, ``','`` in a decimal-point file), i.e. a first group of 1 to 3 digits not
starting with 0, then one or more groups of exactly three digits each after the
other mark, optionally followed by the decimal mark and digits: ``140.000``,
``1.500``, ``1.000,5`` in a ``;`` file, ``140,000`` in a ``,`` file. ``1.5``,
``0.140`` and ``0.0001`` are not ambiguous. A cell holding both marks in another
order (``1,000.5`` in a ``;`` file) is no number there.

Examples
--------
>>> import pandas as pd
>>> from iongrad.gate.failures import RowFailures
>>> fails = RowFailures()
>>> cells = pd.Series(["1,5", " 2 ", "n/a", "1.000,5"], name="c_in", dtype="str")
>>> parse_number(cells, decimal=",", fmt="csv", column="c_in_mM", fails=fails)
array([1.5, 2. , nan, nan])
>>> [(item.pos, item.failure.rule) for item in fails.items]
[(3, 'ambiguous_number')]
>>> temperature_offset("degC")
(1.0, 273.15)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from iongrad.gate.checks import BIG_TABLE
from iongrad.gate.failures import RowFailures
from iongrad.gate.text import blank_cells, may_have_edge_space
from iongrad.units import UnitError, parse_temperature

__all__ = [
    "NA_TOKENS",
    "cell_text",
    "is_na_text",
    "is_typed",
    "parse_number",
    "stated_format",
    "temperature_offset",
]

#: Cell texts that mean "no value" in number columns.
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "none", "null", "-", "--"})
#: Decimal marks and thousands separators a stated number format may name.
DECIMALS = (".", ",")
THOUSANDS = (".", ",", " ", "'", "\u00a0", "\u202f")
#: Without a stated format: digits grouped in threes by the mark that is not the
#: file's decimal mark (key: the decimal mark), see the module docstring.
_GROUPED = {
    ",": re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?"),
    ".": re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"),
}
_AMBIGUOUS = (
    "ambiguous number: {other!r} followed by three digits may be a thousands "
    "separator (140{other}000 = 140000) or a decimal mark (140{other}000 = 140); "
    "state the file's number format (number_format: {{decimal: '{dec}', "
    "thousands: '{other}'}} for its dataset, or iongrad validate --decimal "
    "'{dec}' --thousands '{other}') or write the number without grouping"
)


def stated_format(spec: Mapping | None) -> tuple[str, str | None] | None:
    """``(decimal, thousands)`` of a stated number format; None when not stated.

    ``spec`` is ``{"decimal": "," or ".", "thousands": one of THOUSANDS or None}``.

    Raises
    ------
    ValueError
        For an unknown key or mark, no decimal mark, or the same mark twice.

    >>> stated_format({"decimal": ",", "thousands": "."})
    (',', '.')
    """
    if spec is None:
        return None
    unknown = set(spec) - {"decimal", "thousands"}
    decimal, thousands = spec.get("decimal"), spec.get("thousands") or None
    if (
        unknown
        or decimal not in DECIMALS
        or (
            thousands is not None
            and (thousands not in THOUSANDS or thousands == decimal)
        )
    ):
        raise ValueError(
            f"number_format {dict(spec)!r}: expected {{decimal: '.' or ',', "
            f"thousands: one of {list(THOUSANDS)} other than the decimal mark, or "
            "none}"
        )
    return decimal, thousands


def is_typed(series: pd.Series) -> bool:
    """True for numeric or boolean columns (parquet), False for text columns."""
    return pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
        series.dtype
    )


def cell_text(series: pd.Series) -> pd.Series:
    """Source cells as stripped text (``str`` dtype, NaN for missing).

    Typed (parquet number or boolean) columns are returned as they are.
    """
    if is_typed(series):
        return series
    text = series.astype("str")
    if len(text) >= BIG_TABLE and not may_have_edge_space(text):
        return text  # nothing to strip (the scan pays off for long columns only)
    return text.str.strip()


def is_na_text(text: pd.Series) -> np.ndarray:
    """Cells that hold no value: missing, or an :data:`NA_TOKENS` text."""
    if is_typed(text):
        return text.isna().to_numpy()
    return (text.isna() | text.str.lower().isin(NA_TOKENS)).to_numpy()


def parse_number(
    series: pd.Series,
    *,
    decimal: str,
    fmt: str,
    column: str,
    fails: RowFailures,
    ion: str | None = None,
    na_cells: dict | None = None,
    thousands: str | None = None,
    stated: bool = False,
) -> np.ndarray:
    """Parse a number column explicitly; unparsable cells become failures.

    Parameters
    ----------
    series : pandas.Series
        The source cells (named by their header).
    decimal : {".", ","}
        The file's decimal mark.
    fmt : {"csv", "parquet"}
        The file's format.
    column : str
        Canonical column the numbers go to (named in the failures).
    fails : RowFailures
        Receives one failure per cell that is not a number, by row position.
    ion : str, optional
        The ion of a wide file's column.
    na_cells : dict, optional
        Receives ``{header: positions}`` of the cells that spell a missing value
        (``NaN``, ``NA``, ``-``...: read as empty, but reported), when there are any.
    thousands : str, optional
        The thousands separator of a stated number format.
    stated : bool
        Whether ``decimal`` and ``thousands`` were stated for the file (else the
        decimal mark follows from the separator and ambiguous cells are refused).

    Returns
    -------
    numpy.ndarray of float64
        The numbers (a new array); NaN where there is no value or no number.
    """
    if pd.api.types.is_bool_dtype(series.dtype) or (
        fmt == "parquet" and not pd.api.types.is_numeric_dtype(series.dtype)
    ):
        kind = str(series.dtype)
        missing = series.isna().to_numpy()
        fails.add_mask(
            ~missing,
            series,
            column=column,
            source_column=str(series.name),
            rule="parquet_dtype" if fmt == "parquet" else "number_format",
            message=f"column is stored as {kind}; a number type is required",
            ion=ion,
        )
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        # a copy: the table must not share memory with the raw cells
        return series.to_numpy(dtype=float, na_value=np.nan, copy=True)
    text = cell_text(series)
    na = is_na_text(text)
    if na_cells is not None and na.any():
        spelled = na & ~blank_cells(text)
        if spelled.any():
            na_cells[str(series.name)] = np.flatnonzero(spelled)
    cleaned = text.where(~na, None)
    if stated:
        values = _read_stated(cleaned, decimal, thousands)
        ambiguous = None
    else:
        values, ambiguous = _read_sniffed(cleaned, decimal, na)
    bad = ~na & np.isnan(values)
    where = {"column": column, "source_column": str(series.name), "ion": ion}
    if ambiguous is not None:
        bad &= ~ambiguous
        other = "." if decimal == "," else ","
        fails.add_mask(
            ambiguous, text, rule="ambiguous_number",
            message=_AMBIGUOUS.format(other=other, dec=decimal), **where,
        )  # fmt: skip
    sep_hint = "decimal comma" if decimal == "," else "decimal point"
    if stated:
        sep_hint += f" and thousands separator {thousands!r}" if thousands else ""
        sep_hint += " (the file's stated number format)"
    fails.add_mask(
        bad, text, rule="number_format",
        message=f"not a number (expected digits with a {sep_hint}; units belong "
        "in the header or a unit column)",
        **where,
    )  # fmt: skip
    return values


def _contains(text: pd.Series, mark: str) -> np.ndarray:
    return text.str.contains(mark, regex=False).to_numpy(dtype=bool, na_value=False)


def _read_sniffed(
    cleaned: pd.Series, decimal: str, na: np.ndarray
) -> tuple[np.ndarray, object]:
    """Numbers of a file whose format follows from its separator, and the mask of
    its ambiguous cells (None when there is none), which read as NaN.

    ``na`` marks the cells without a value (missing in ``cleaned``).
    """
    written = cleaned
    if decimal == ",":
        candidates = _contains(cleaned, ".")  # '.' in a decimal-comma file
        if candidates.any():  # both marks: a number only when grouped (refused)
            cleaned = cleaned.mask(candidates & _contains(cleaned, ","), "x")
        cleaned = cleaned.str.replace(",", ".", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
    if decimal == ".":  # a ',' makes no number here: only cells that failed
        candidates = np.isnan(values) & ~na
    if not candidates.any():
        return values, None
    at = np.flatnonzero(candidates)
    grouped = written.iloc[at].str.fullmatch(_GROUPED[decimal].pattern)
    hit = grouped.to_numpy(dtype=bool, na_value=False)
    if not hit.any():
        return values, None
    ambiguous = np.zeros(len(values), dtype=bool)
    ambiguous[at[hit]] = True
    values = np.where(ambiguous, np.nan, values)
    return values, ambiguous


def _read_stated(cleaned: pd.Series, decimal: str, thousands: str | None) -> np.ndarray:
    """Numbers in the file's stated format; a cell that does not fit it is NaN.

    Thousands separators must group digits in threes before the decimal mark; the
    mark that is neither the decimal mark nor the separator makes no number.
    """
    bad = np.zeros(len(cleaned), dtype=bool)
    if thousands:
        has = _contains(cleaned, thousands)
        if has.any():
            sep, dec = re.escape(thousands), re.escape(decimal)
            pattern = rf"[+-]?\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d*)?(?:[eE][+-]?\d+)?"
            ok = cleaned[has].str.fullmatch(pattern).to_numpy(bool, na_value=False)
            bad[np.flatnonzero(has)[~ok]] = True
            cleaned = cleaned.str.replace(thousands, "", regex=False)
    other = "," if decimal == "." else "."
    if other != thousands:
        bad |= _contains(cleaned, other)
    if bad.any():
        cleaned = cleaned.mask(bad, "x")
    if decimal == ",":
        cleaned = cleaned.str.replace(",", ".", regex=False)
    return pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)


def temperature_offset(unit: str) -> tuple[float, float] | None:
    """Return ``(scale, offset)`` with T_K = scale * value + offset, or None."""
    try:
        one = parse_temperature(f"1 {unit}")
        two = parse_temperature(f"2 {unit}")
    except UnitError:
        return None
    return two - one, one - (two - one)
