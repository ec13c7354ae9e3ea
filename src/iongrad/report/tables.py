"""Table models for the HTML reports: formatted cells with exact sort keys.

A :class:`Table` is what the templates render: column headers with units, and rows of
cells carrying the displayed text, the exact value (``data-value``, used by the inline
sort script and by tests that compare the page with the results files), a CSS class
for flags, and a tooltip. Long tables are capped at :data:`MAX_TABLE_ROWS` rows; the
full data go to a CSV file beside the HTML and the table links to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from iongrad.constants import kelvin_to_celsius

__all__ = [
    "MAX_TABLE_ROWS",
    "Cell",
    "Column",
    "Table",
    "direction_summary",
    "fmt_number",
    "frame_table",
    "summary_by_group",
]

#: Rows shown in any one HTML table; the rest are in the linked CSV.
MAX_TABLE_ROWS = 300


@dataclass(frozen=True)
class Column:
    """A table column: source key, header label, unit, decimals (None = text)."""

    key: str
    label: str
    unit: str = ""
    decimals: int | None = None
    fmt: str | None = None  # e.g. ".4g" overrides decimals


@dataclass
class Cell:
    """One rendered cell: text shown, exact sort value, CSS class and tooltip."""

    text: str
    value: str = ""
    cls: str = ""
    title: str = ""
    badge: str = ""
    href: str | None = None


@dataclass
class Table:
    """A rendered table: id, caption, columns, rows (already capped), CSV link."""

    id: str
    caption: str
    columns: list[Column]
    rows: list[list[Cell]]
    total_rows: int
    csv_href: str | None = None
    notes: list[str] = field(default_factory=list)

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
        numeric = [c.decimals is not None or bool(c.fmt) for c in self.columns]
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


def fmt_number(x, decimals: int | None = 2, fmt: str | None = None) -> str:
    """Format a number for display: ``—`` for NaN, ``+inf``/``−inf`` spelled out.

    >>> fmt_number(-75.7049), fmt_number(float("nan")), fmt_number(float("-inf"))
    ('-75.70', '—', '-inf')
    """
    if x is None or x is pd.NA:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    if fmt:
        return format(x, fmt)
    return f"{x:.{decimals}f}"


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


def _cell(value, col: Column) -> Cell:
    if col.decimals is None and col.fmt is None:
        if (
            value is None
            or value is pd.NA
            or (isinstance(value, float) and np.isnan(value))
        ):
            return Cell("—", "")
        text = str(value)
        return Cell(text, text)
    text = fmt_number(value, col.decimals, col.fmt)
    if (
        col.decimals == 0
        and text not in ("—", "+inf", "-inf")
        and (float(value).is_integer())
    ):
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
    keys = [c.key for c in columns] + [k for k in extra if k in shown.columns]
    data = {
        k: shown[k].tolist() if k in shown.columns else [None] * len(shown)
        for k in dict.fromkeys(keys)
    }
    rows = []
    for i in range(len(shown)):
        record = {k: v[i] for k, v in data.items()}
        row = []
        for col in columns:
            cell = _cell(record[col.key], col)
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


def direction_summary(labels: pd.Series) -> str:
    """One label if all rows agree, else the counts (``"efflux 3, influx 1"``).

    >>> direction_summary(pd.Series(["efflux", "influx", "efflux"]))
    'mixed: efflux 2, influx 1'
    """
    counts = labels.astype(str).value_counts()
    if len(counts) == 1:
        return str(counts.index[0])
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return f"mixed: {parts}"


def _group_directions(group: np.ndarray, labels: pd.Series, n: int) -> np.ndarray:
    """:func:`direction_summary` of ``labels`` within each of ``n`` groups.

    ``group`` numbers each row's group (``GroupBy.ngroup``); one ``bincount`` over
    (group, label) pairs replaces a ``value_counts`` per group.
    """
    names, codes = np.unique(
        np.asarray(labels.astype(str).to_numpy(), dtype=object), return_inverse=True
    )
    m = len(names)
    counts = np.bincount(
        np.asarray(group, dtype=np.int64) * m + codes.reshape(-1), minlength=n * m
    ).reshape(n, m)
    out = np.empty(n, dtype=object)
    for k in range(n):  # one pass per group (a handful), labels in sorted order
        present = np.flatnonzero(counts[k])
        out[k] = (
            str(names[present[0]])
            if len(present) == 1
            else "mixed: "
            + ", ".join(f"{names[j]} {int(counts[k, j])}" for j in present)
        )
    return out


def summary_by_group(pot: pd.DataFrame) -> pd.DataFrame:
    """Per (cell type, temperature, ion) summary of the potentials table.

    Means over samples of E_conc, E_act, delta_act, driving force and measured Vm
    (NaN and infinite values of undefined rows are left out of the mean and counted in
    ``n_undefined``), the sample standard deviation of E_act, the direction labels,
    the number of rows outside the activity model's range (``n_activity_invalid``)
    and the temperature in degC.
    """
    means = ("E_conc_mV", "E_act_mV", "delta_act_mV", "driving_force_mV", "vm_mV")
    # Only the columns summarised; one cythonised call per statistic (the named
    # aggregation of all of them at once costs more in pandas than the sums).
    df = pd.DataFrame(
        {
            "cell_type": pot["cell_type"],
            "temperature_key": pot["temperature_K"].round(6),
            "ion": pot["ion"],
            "valence": pot["valence"],
            **{c: pot[c].where(np.isfinite(pot[c].astype(float))) for c in means},
            "n_undefined": (pot["status"].astype(str) != "ok").astype(int),
            "n_activity_invalid": (
                (~pot["activity_valid"].fillna(False).astype(bool)).astype(int)
                if "activity_valid" in pot
                else 0
            ),
        },
        index=pot.index,
    )
    keys = ["cell_type", "temperature_key", "ion"]
    g = df.groupby(keys, sort=True, dropna=False)
    mean = g[list(means)].mean()
    counts = g[["n_undefined", "n_activity_invalid"]].sum()
    out = pd.DataFrame(
        {
            "valence": g["valence"].first(),
            "n": g.size(),
            "E_conc_mV": mean["E_conc_mV"],
            "E_act_mV": mean["E_act_mV"],
            "E_act_sd_mV": g["E_act_mV"].std(),
            "delta_act_mV": mean["delta_act_mV"],
            "driving_force_mV": mean["driving_force_mV"],
            "vm_mV": mean["vm_mV"],
            "n_undefined": counts["n_undefined"],
            "n_activity_invalid": counts["n_activity_invalid"],
        }
    ).reset_index()
    flux = pot["flux_direction"]
    current = pot["current_direction"]
    group = g.ngroup().to_numpy()
    out["flux_direction"] = _group_directions(group, flux, len(out))
    out["current_direction"] = _group_directions(group, current, len(out))
    out = out.rename(columns={"temperature_key": "temperature_K"})
    out["temperature_C"] = kelvin_to_celsius(out["temperature_K"].to_numpy())
    return out
