"""Cells to numbers, explicitly: a cell that is not a number is a failure, never NaN.

Text cells are stripped; the tokens of :data:`NA_TOKENS` (any case) and empty cells
mean "no value". With a decimal comma (``;``-separated files) ``1,5`` is 1.5 and a
cell holding both ``,`` and ``.`` is refused (a thousands separator would change the
number). Parquet number columns are taken as stored; a parquet text or boolean
column where a number belongs is refused as a whole.

Examples
--------
>>> import pandas as pd
>>> from iongrad.gate.failures import RowFailures
>>> fails = RowFailures()
>>> cells = pd.Series(["1,5", " 2 ", "n/a", "1.000,5"], name="c_in", dtype="str")
>>> parse_number(cells, decimal=",", fmt="csv", column="c_in_mM", fails=fails)
array([1.5, 2. , nan, nan])
>>> [(item.pos, item.failure.rule) for item in fails.items]
[(3, 'number_format')]
>>> temperature_offset("degC")
(1.0, 273.15)
"""

from __future__ import annotations

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
    "temperature_offset",
]

#: Cell texts that mean "no value" in number columns.
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "none", "null", "-", "--"})


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
    if decimal == ",":
        both = cleaned.str.contains(",", regex=False) & cleaned.str.contains(
            ".", regex=False
        )
        cleaned = cleaned.mask(both, "x").str.replace(",", ".", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
    bad = ~na & np.isnan(values)
    sep_hint = "decimal comma" if decimal == "," else "decimal point"
    fails.add_mask(
        bad,
        text,
        column=column,
        source_column=str(series.name),
        rule="number_format",
        message=f"not a number (expected digits with a {sep_hint}; units belong "
        "in the header or a unit column)",
        ion=ion,
    )
    return values


def temperature_offset(unit: str) -> tuple[float, float] | None:
    """Return ``(scale, offset)`` with T_K = scale * value + offset, or None."""
    try:
        one = parse_temperature(f"1 {unit}")
        two = parse_temperature(f"2 {unit}")
    except UnitError:
        return None
    return two - one, one - (two - one)
