"""Table models for the HTML reports: formatted cells with exact sort keys.

A :class:`Table` is what the templates render: column headers with units, and rows of
cells carrying the displayed text (in the formats of :mod:`iongrad.report.formats`),
the exact value (``data-value``, used by the inline sort script and by tests that
compare the page with the results files), a CSS class for flags, a tooltip and, for
ions, the ion's marker in its colour (:mod:`iongrad.report.style`). Long tables are
capped at :data:`MAX_TABLE_ROWS` rows; the table links to the CSV file beside the
HTML with every row or, for a table too long for one
(:mod:`iongrad.report.companions`), names the results file that has them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from iongrad.constants import kelvin_to_celsius
from iongrad.report import style
from iongrad.report.directions import NO_VM, stated_directions
from iongrad.report.formats import (
    DASH,
    fmt_bool,
    fmt_conc_mM,
    fmt_count,
    fmt_mV,
    fmt_number,
    fmt_pm,
    fmt_temp_C,
    is_missing,
)
from iongrad.tables.locate import text_codes, text_is

if TYPE_CHECKING:
    from pandas.api.typing import DataFrameGroupBy

__all__ = [
    "MAX_TABLE_ROWS",
    "POTENTIALS_SUMMARY_COLUMNS",
    "SUMMARY_COLUMNS",
    "Cell",
    "Column",
    "Table",
    "finite",
    "fmt_number",
    "frame_table",
    "potentials_summary",
    "summary_by_group",
]

#: Rows shown in any one HTML table; the rest are in the linked CSV.
MAX_TABLE_ROWS = 300


#: Column kinds shown as numbers (right-aligned, tabular digits).
_NUMERIC_KINDS = ("mV", "conc", "temp", "count")


@dataclass(frozen=True)
class Column:
    """A table column: source key, header label, unit and how to show its values.

    ``decimals``/``fmt`` format a plain number; ``kind`` picks one of the report's
    formats instead: ``"mV"`` (0.1 mV; ``sd`` names the column of its SD, shown as
    mean ± SD; ``signed`` shows a ``+``), ``"conc"`` (nM/µM/mM, unit in the cell),
    ``"temp"`` (°C to 0.1), ``"count"``, ``"bool"`` (yes/no) or ``"ion"`` (the
    symbol with its marker). ``missing`` is the text of a missing value.
    """

    key: str
    label: str
    unit: str = ""
    decimals: int | None = None
    fmt: str | None = None  # e.g. ".4g" overrides decimals
    kind: str | None = None
    sd: str | None = None
    signed: bool = False
    missing: str = DASH

    @property
    def numeric(self) -> bool:
        """True when the column holds numbers (right-aligned)."""
        return (
            self.decimals is not None or bool(self.fmt) or self.kind in _NUMERIC_KINDS
        )


@dataclass
class Cell:
    """One rendered cell: text shown, exact sort value, CSS class and tooltip."""

    text: str
    value: str = ""
    cls: str = ""
    title: str = ""
    badge: str = ""
    href: str | None = None
    swatch: str = ""  # trusted markup (the ion's marker), never user text


@dataclass
class Table:
    """A rendered table: id, caption, columns, rows (already capped), CSV link.

    ``elsewhere`` names the results file holding every row when the CSV beside the
    page holds only a summary of them (more than ``row_limit`` rows); ``csv_label``
    is then the link text of that summary.
    """

    id: str
    caption: str
    columns: list[Column]
    rows: list[list[Cell]]
    total_rows: int
    csv_href: str | None = None
    notes: list[str] = field(default_factory=list)
    elsewhere: str = ""
    csv_label: str = ""
    row_limit: int = 0

    @property
    def capped(self) -> bool:
        """True when fewer rows are shown than the table has."""
        return self.total_rows > len(self.rows)

    @property
    def rows_html(self) -> Markup:
        """The ``<tr>`` elements of the table body, one line per row, escaped.

        Built here rather than in a Jinja loop (a template call per cell costs more
        than the cell): the same markup, every text and attribute escaped as
        Jinja's autoescape does (``& < > ' "``).
        """
        numeric = [c.numeric for c in self.columns]
        lines = []
        for row in self.rows:
            tds = []
            for cell, num in zip(row, numeric, strict=True):
                cls = cell.cls
                attrs = f'<td data-value="{_esc(cell.value)}"'
                if num:
                    attrs += f' class="num {_esc(cls)}"'
                elif cls:
                    attrs += f' class="{_esc(cls)}"'
                if cell.title:
                    attrs += f' title="{_esc(cell.title)}"'
                text = f'<span class="v">{_esc(cell.text)}</span>'
                if cell.swatch:
                    text = str(cell.swatch) + text
                if cell.href:
                    text = f'<a href="{_esc(cell.href)}">{text}</a>'
                if cell.badge:
                    text += f'<span class="badge">⚠ {_esc(cell.badge)}</span>'
                tds.append(f"{attrs}>{text}</td>")
            lines.append(f"<tr>{''.join(tds)}</tr>\n")
        return Markup("".join(lines))


def _esc(value) -> str:
    r"""``value`` as text escaped for HTML text and attributes: markupsafe's escape,
    exactly what Jinja's autoescape applies.

    >>> _esc("<b title=\"x\">&'</b>")
    '&lt;b title=&#34;x&#34;&gt;&amp;&#39;&lt;/b&gt;'
    """
    return str(escape(value))


def _sort_value(x) -> str:
    """Exact sort key for ``data-value``: repr of a float, empty for missing."""
    if x is None or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "1" if x else "0"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        xf = float(x)
        if math.isnan(xf):
            return ""
        if math.isinf(xf):
            return "Infinity" if xf > 0 else "-Infinity"
        return repr(xf)
    return str(x)


def _text(value, col: Column, record: dict) -> str:
    """The displayed text of ``value`` in column ``col`` (a known kind)."""
    kind = col.kind
    if kind == "mV":
        if col.sd is not None:
            return fmt_pm(value, record.get(col.sd), signed=col.signed)
        return fmt_mV(value, signed=col.signed)
    if kind == "conc":
        return fmt_conc_mM(value)
    if kind == "temp":
        return fmt_temp_C(value)
    if kind == "bool":
        return fmt_bool(value)
    return fmt_count(value)


def _cell(value, col: Column, record: dict) -> Cell:
    if col.kind is not None and col.kind != "ion":
        if is_missing(value):
            return Cell(col.missing, "")
        if col.kind == "count":
            return Cell(fmt_count(value), _sort_value(int(value)))
        return Cell(_text(value, col, record), _sort_value(value))
    if col.decimals is None and col.fmt is None:
        if is_missing(value):
            return Cell(col.missing, "")
        text = str(value)
        cell = Cell(text, text)
        if col.kind == "ion":
            cell.cls = "ion"
            if style.is_known(text):
                cell.swatch = style.ion_style(text).swatch()
        return cell
    text = fmt_number(value, col.decimals, col.fmt)
    if text == DASH:
        return Cell(col.missing, "")
    if col.decimals == 0 and text not in ("+inf", "-inf") and float(value).is_integer():
        return Cell(text, _sort_value(int(value)))  # counts stay integers
    return Cell(text, _sort_value(value))


def frame_table(
    frame: pd.DataFrame,
    columns: list[Column],
    *,
    id: str,
    caption: str,
    max_rows: int = MAX_TABLE_ROWS,
    csv_href: str | None = None,
    flags=None,
    extra: tuple[str, ...] = (),
) -> Table:
    """Build a :class:`Table` from a DataFrame, showing at most ``max_rows`` rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Source rows, in display order.
    columns : list of Column
        Which columns to show and how.
    id, caption : str
        HTML id and caption.
    max_rows : int
        Cap on displayed rows.
    csv_href : str, optional
        Link to the full data (shown when the table is capped, and always if given).
    flags : callable, optional
        ``flags(row_dict, column_key, cell)`` may set ``cell.cls`` and ``cell.title``
        (validity warnings shown where the number is).
    extra : tuple of str
        Further columns passed to ``flags`` in ``row_dict`` but not shown.
    """
    shown = frame.iloc[:max_rows]
    keys = [c.key for c in columns] + [c.sd for c in columns if c.sd]
    keys += [k for k in extra if k in shown.columns]
    data = {
        k: shown[k].tolist() if k in shown.columns else [None] * len(shown)
        for k in dict.fromkeys(keys)
    }
    rows = []
    for i in range(len(shown)):
        record = {k: v[i] for k, v in data.items()}
        row = []
        for col in columns:
            cell = _cell(record[col.key], col, record)
            if flags is not None:
                flags(record, col.key, cell)
            row.append(cell)
        rows.append(row)
    return Table(
        id=id,
        caption=caption,
        columns=columns,
        rows=rows,
        total_rows=len(frame),
        csv_href=csv_href,
    )


#: Columns :func:`summary_by_group` reads.
SUMMARY_COLUMNS = (
    "cell_type",
    "temperature_K",
    "ion",
    "valence",
    "E_conc_mV",
    "E_act_mV",
    "delta_act_mV",
    "driving_force_mV",
    "vm_mV",
    "status",
    "activity_valid",
)


#: What the summaries group the rows by, in this order.
_GROUP_KEYS = ("cell_type", "temperature_K", "ion")


def _grouped(
    pot: pd.DataFrame, columns: dict[str, Any], rows: np.ndarray | None = None
) -> tuple[DataFrameGroupBy, pd.MultiIndex, np.ndarray]:
    """``columns`` (one value per row of ``pot``) grouped by (cell type, temperature
    rounded to 1e-6 K, ion), sorted, missing keys last; the groups' keys, in the
    order of the aggregates (``g[column].mean()`` is indexed by the group's number:
    set its index to the keys); and each row's group number. The rows are grouped
    by one number per row (:func:`_group_numbers`) and the columns are not copied
    into a new frame (a table of millions of rows is not held twice): aggregate
    them one at a time, the rows are grouped once for all of them. ``rows`` (a
    boolean per row) picks the rows grouped; the others, numbered -1, are in no
    group, and only groups with rows picked are kept."""
    numbers, keys = _group_numbers(pot)
    if rows is not None:  # renumbered among the rows picked: the table not copied
        present, picked = _renumbered(numbers[rows])
        numbers = np.full(len(numbers), -1, dtype=np.int64)
        numbers[rows] = picked
        keys = keys[present]
    group = pd.Categorical.from_codes(numbers, categories=pd.RangeIndex(len(keys)))
    frame = pd.DataFrame({"_group": group, **columns}, index=pot.index, copy=False)
    return frame.groupby("_group", sort=True, observed=True), keys, numbers


def _group_numbers(pot: pd.DataFrame) -> tuple[np.ndarray, pd.MultiIndex]:
    """Each row's (cell type, temperature rounded to 1e-6 K, ion) group as a number,
    the groups numbered in the order pandas' sorted grouping (``dropna=False``)
    gives them: each key sorted as a sorted factorisation sorts it (a categorical
    by its categories' order, missing last), the first key first; and the groups'
    keys in that order. Only groups that occur are numbered."""
    numbers = np.zeros(len(pot), dtype=np.int64)
    labels_of, codes_of = [], []  # per key: its labels; each group's code of it
    for key in _GROUP_KEYS:
        values = pot[key].round(6) if key == "temperature_K" else pot[key]
        codes, labels = pd.factorize(values, sort=True, use_na_sentinel=False)
        numbers *= len(labels)
        numbers += codes
        del codes
        # the combinations that occur numbered in order: the numbers stay below
        # the row count before the next key multiplies them
        present, numbers = _renumbered(numbers)
        before, code = np.divmod(present, max(len(labels), 1))
        codes_of = [c[before] for c in codes_of] + [code]
        labels_of.append(labels)
    keys = pd.MultiIndex.from_arrays(
        [labels.take(c) for labels, c in zip(labels_of, codes_of, strict=True)],
        names=list(_GROUP_KEYS),
    )
    return numbers, keys


def _renumbered(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``numbers`` sorted, and ``numbers`` as their ranks."""
    top = int(numbers.max()) + 1 if len(numbers) else 0
    if top <= 4 * len(numbers) + 1024:  # a count per value, no sort
        present = np.flatnonzero(np.bincount(numbers, minlength=top))
        rank = np.zeros(top, dtype=np.int64)
        rank[present] = np.arange(len(present))
        return present, rank[numbers]
    present, ranks = np.unique(numbers, return_inverse=True)
    return present, ranks.astype(np.int64, copy=False)


def finite(column: pd.Series) -> pd.Series:
    """``column`` with its infinite values missing (itself when it has none)."""
    values = column.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(values).any():
        return column.where(np.isfinite(values))
    return column


def _activity_invalid(pot: pd.DataFrame) -> np.ndarray:
    """Per row, 1 outside the activity model's range (0 when the table does not say)."""
    if "activity_valid" not in pot:
        return np.zeros(len(pot), dtype=np.int64)
    valid = pot["activity_valid"].fillna(False).astype(bool).to_numpy()
    return (~valid).astype(np.int64)


def summary_by_group(
    pot: pd.DataFrame, atol_mV: float = 0.0, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """Per (cell type, temperature, ion) summary of the potentials table.

    Means over samples of E_conc, E_act, delta_act, driving force and measured Vm
    (NaN and infinite values of undefined rows are left out of the mean and counted
    in ``n_undefined``), the sample standard deviations of E_act and of the driving
    force, the number of rows outside the activity model's range
    (``n_activity_invalid``) and the temperature in degC. ``flux_direction`` and
    ``current_direction`` are stated only when the mean driving force is clear of
    its SD and of ``atol_mV`` (:func:`iongrad.report.directions.stated_directions`);
    without a measured Vm they read ``no Vm measured``. Rows of samples that must
    not count are left out by the caller: ``rows`` (a boolean per row, every row
    when None) says which rows count, so that a big table is not copied to leave
    a few out.
    """
    means = ("E_conc_mV", "E_act_mV", "delta_act_mV", "driving_force_mV", "vm_mV")
    g, keys, _ = _grouped(
        pot,
        {
            "valence": pot["valence"],
            **{c: finite(pot[c]) for c in means},
            "n_undefined": (~text_is(pot["status"], "ok")).astype(np.int64),
            "n_activity_invalid": _activity_invalid(pot),
        },
        rows,
    )
    out = (
        pd.DataFrame(
            {
                "valence": g["valence"].first(),
                "n": g.size(),
                "E_conc_mV": g["E_conc_mV"].mean(),
                "E_act_mV": g["E_act_mV"].mean(),
                "E_act_sd_mV": g["E_act_mV"].std(),
                "delta_act_mV": g["delta_act_mV"].mean(),
                "driving_force_mV": g["driving_force_mV"].mean(),
                "driving_force_sd_mV": g["driving_force_mV"].std(),
                "vm_mV": g["vm_mV"].mean(),
                "n_undefined": g["n_undefined"].sum(),
                "n_activity_invalid": g["n_activity_invalid"].sum(),
            }
        )
        .set_axis(keys)
        .reset_index()
    )
    flux, current = stated_directions(
        out["driving_force_mV"].to_numpy(float),
        out["driving_force_sd_mV"].to_numpy(float),
        out["valence"].to_numpy(),
        atol_mV,
    )
    no_vm = out["vm_mV"].isna().to_numpy()
    out["flux_direction"] = np.where(no_vm, NO_VM, flux)
    out["current_direction"] = np.where(no_vm, NO_VM, current)
    out["temperature_C"] = kelvin_to_celsius(out["temperature_K"].to_numpy())
    return out


#: Columns :func:`potentials_summary` describes (mean, SD, min, max of finite values).
_DESCRIBED = ("E_conc_mV", "E_act_mV", "delta_act_mV", "driving_force_mV", "vm_mV")
#: Columns :func:`potentials_summary` reads.
POTENTIALS_SUMMARY_COLUMNS = (
    "cell_type",
    "temperature_K",
    "ion",
    "valence",
    "status",
    "activity_valid",
    *_DESCRIBED,
    "c_in_mM",
    "c_out_mM",
)


def potentials_summary(pot: pd.DataFrame) -> pd.DataFrame:
    """Every row of the potentials table, summarised per (cell type, temperature,
    ion): how many rows (``rows``) and how many of each status (``rows_<status>``),
    rows outside the activity model's range, and the mean, SD, min and max of the
    finite values of each potential (``E_act_mV_mean`` ...) and the mean
    concentrations. Unlike :func:`summary_by_group`, no sample is left out: this is
    what the per-row file holds, in short.
    """
    cols = [c for c in _DESCRIBED if c in pot]
    conc = [c for c in ("c_in_mM", "c_out_mM") if c in pot]
    g, keys, numbers = _grouped(
        pot,
        {
            "valence": pot["valence"],
            "invalid": _activity_invalid(pot),
            **{c: finite(pot[c]) for c in cols},
            **{f"{c}_conc": pot[c] for c in conc},
        },
    )
    out = pd.DataFrame({"valence": g["valence"].first(), "rows": g.size()})
    counts, statuses = _counts(numbers, len(out), pot["status"])
    for k, status in enumerate(statuses):
        out[f"rows_{status}"] = counts[:, k]
    out["rows_activity_invalid"] = g["invalid"].sum()
    for c in cols:
        for name, how in (
            ("mean", "mean"),
            ("sd", "std"),
            ("min", "min"),
            ("max", "max"),
        ):
            out[f"{c}_{name}"] = getattr(g[c], how)()
    for c in conc:
        out[f"{c}_mean"] = g[f"{c}_conc"].mean()
    out = out.set_axis(keys).reset_index()
    out.insert(2, "temperature_C", kelvin_to_celsius(out["temperature_K"].to_numpy()))
    return out


def _counts(groups: np.ndarray, n: int, labels: pd.Series) -> tuple[np.ndarray, list]:
    """Per group (``groups``: a code per row, ``n`` groups), how many rows have each
    text of ``as_text(labels)``; the texts present, sorted (the counts' columns),
    a missing one (pandas 3 keeps it missing) last, as a grouping sorts them."""
    codes, texts = text_codes(labels)
    per_code, names = pd.factorize(texts, sort=True, use_na_sentinel=False)
    k = len(names)
    which = groups * k  # each row's (group, text) as one number, made in place
    which += per_code[codes]
    flat = np.bincount(which, minlength=n * k).reshape(n, k)
    present = flat.sum(axis=0) > 0
    return flat[:, present], list(names[present])
