"""Ladders of potentials: every ion's E next to the measured Vm and the GHK Vm.

:func:`ladder_plot` draws, per cell type and temperature, one column: each ion's
activity-corrected E as a short rung in its colour and marker, labelled with its
value (``K+ -94.1``), and the measured Vm and V_GHK as lines across the whole column,
labelled at its left. Labels that would overlap are pushed apart
(:func:`spread_labels`) and joined to their rung by a thin line. :func:`index_plot`
draws the cross-dataset comparison lying down: one row per dataset, cell type and
temperature, the ions side by side within the row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iongrad.constants import ZERO_CELSIUS_K
from iongrad.report import style
from iongrad.report.formats import fmt_mV, fmt_temp_C
from iongrad.report.plots import (
    FONT,
    FULL_WIDTH_IN,
    Plot,
    _axes_legend,
    _figure,
    _points,
    _svg,
    _text_in,
    short_label,
)

__all__ = [
    "LABEL_STEP_PT",
    "MAX_INDEX_ROWS",
    "MAX_LABELLED_GROUPS",
    "index_plot",
    "ladder_plot",
    "spread_labels",
]

#: Ladder columns whose rungs are labelled; wider ladders get a legend instead.
MAX_LABELLED_GROUPS = 12
#: Vertical distance between the centres of two labels [pt]: one line of
#: :data:`iongrad.report.plots.FONT` text (1.17 em), the white box that keeps a
#: label readable over a line (0.2 em each side) and a small gap.
LABEL_STEP_PT = 1.75 * FONT
#: Rows of the cross-dataset figure; the others are in the tables.
MAX_INDEX_ROWS = 40
#: Half the width of a rung, and the gap between a rung and its label [in].
_RUNG_IN, _GAP_IN = 0.22, 0.08


def spread_labels(targets, step: float) -> np.ndarray:
    """Label positions as close as possible to ``targets`` and ``step`` apart.

    Minimises the summed squared displacement subject to consecutive labels (in
    the order of their targets) being at least ``step`` apart: with
    :math:`q_i = p_i - i\\,step` the constraint is :math:`q` non-decreasing, so
    :math:`q` is the isotonic regression of :math:`y_i - i\\,step` (pool adjacent
    violators). Labels far apart do not move.

    >>> spread_labels([-100.0, -99.0, -98.5, 50.0], 4.0).tolist()
    [-103.16666666666667, -99.16666666666667, -95.16666666666667, 50.0]
    """
    y = np.asarray(targets, dtype=float)
    order = np.argsort(y, kind="stable")
    shifted = y[order] - step * np.arange(len(y))
    blocks: list[list[float]] = []  # [sum, count] of each pooled block
    for v in shifted:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and (
            blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]
        ):
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    if not blocks:
        return y
    fitted = np.concatenate([np.full(int(c), t / c) for t, c in blocks])
    out = np.empty_like(y)
    out[order] = fitted + step * np.arange(len(y))
    return out


def _columns(summary: pd.DataFrame, lines: pd.DataFrame | None) -> list[dict]:
    """One column of the ladder per cell type and temperature: its name, rungs
    (ion, E) in physiological order, and the lines (look, value) that exist."""
    keyed = {}
    if lines is not None and len(lines):
        for rec in lines.to_dict("records"):
            keyed[(str(rec["cell_type"]), round(float(rec["temperature_K"]), 6))] = rec
    columns = []
    for (cell, temp_K), part in summary.groupby(["cell_type", "temperature_K"]):
        e = dict(
            zip(part["ion"].astype(str), part["E_act_mV"].astype(float), strict=True)
        )
        rungs = [(i, e[i]) for i in style.ion_order(e) if np.isfinite(e[i])]
        rec = keyed.get((str(cell), round(float(temp_K), 6)), {})
        found = [
            (look, float(rec.get(key, np.nan)))
            for key, look in (("vm_mV", style.VM), ("vm_ghk_mV", style.GHK))
        ]
        t = fmt_temp_C(float(temp_K) - ZERO_CELSIUS_K, unit=True)
        columns.append(
            {
                "name": f"{short_label(cell, 30)}\n{t}",
                "rungs": rungs,
                "lines": [(look, v) for look, v in found if np.isfinite(v)],
            }
        )
    return columns


def _ladder_geometry(columns: list[dict]) -> tuple[float, float, float]:
    """(column width, figure width, figure height) [in], from the labels' widths:
    a rung with its labels on both sides must fit in its column."""
    right = max(
        (_text_in(f"{i} {fmt_mV(e)}") for c in columns for i, e in c["rungs"]),
        default=0.0,
    )
    left = max(
        (
            _text_in(f"{look.short} {fmt_mV(v)}")
            for c in columns
            for look, v in c["lines"]
        ),
        default=0.0,
    )
    need = 2 * (max(left, right) + _RUNG_IN + _GAP_IN) + 0.3
    fill = (FULL_WIDTH_IN - 1.3) / max(1, len(columns))
    col = max(need, min(7.7, fill))  # one or two columns: still 9 in or more
    return col, 1.0 + col * len(columns) + 0.3, 6.2


def ladder_plot(
    summary: pd.DataFrame,
    lines: pd.DataFrame | None = None,
    *,
    plot_id: str = "plot-ladder",
) -> Plot:
    """Equilibrium potentials per ion against measured Vm and V_GHK, one column per
    cell type and temperature.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`iongrad.report.tables.summary_by_group` output (mean E per ion).
    lines : pandas.DataFrame, optional
        Per (cell_type, temperature_K): mean measured ``vm_mV`` and mean
        ``vm_ghk_mV``, drawn across the column where finite.
    """
    title = "Equilibrium potentials and membrane potential"
    caption = (
        "Mean activity-corrected equilibrium potential E of each ion (rung in the "
        "ion's colour and marker, with its value in mV) for each cell type and "
        "temperature, with the measured resting Vm, corrected for the liquid "
        "junction potential where known (black line), and the GHK "
        "steady-state V_GHK (grey dashed line) across the column. Labels moved "
        "apart to stay readable are joined to their rung by a thin line. "
        "Vm = φ_in − φ_out."
    )
    columns = _columns(summary, lines)
    if not any(c["rungs"] or c["lines"] for c in columns):
        return Plot(plot_id, title, caption, note="No potentials to plot.")
    labelled = len(columns) <= MAX_LABELLED_GROUPS
    col_in, width, height = _ladder_geometry(columns)
    key_in = 0.0 if labelled else 1.4
    width += key_in
    fig, ((ax,),) = _figure(
        plot_id,
        width,
        height,
        left=0.95 / width,
        right=1 - (0.3 + key_in) / width,
        bottom=0.85 / height,
        top=1 - 0.25 / height,
    )
    axes_h_pt = (height - 0.85 - 0.25) * 72.0
    values = [v for c in columns for _, v in c["rungs"] + c["lines"]]
    ylim = _padded(min(values), max(values))
    for _ in range(3):  # the labels' room depends on the limits, and back
        step = LABEL_STEP_PT * (ylim[1] - ylim[0]) / axes_h_pt
        placed = [_place(c, step) for c in columns] if labelled else []
        spots = [p for col in placed for side in col for p in side[1]]
        wanted = _padded(min(values + spots), max(values + spots), step)
        if wanted[0] >= ylim[0] and wanted[1] <= ylim[1]:
            break
        ylim = (min(ylim[0], wanted[0]), max(ylim[1], wanted[1]))
    ax.set_ylim(*ylim)
    ax.set_xlim(-0.5, len(columns) - 0.5)
    for g, column in enumerate(columns):
        _draw_column(ax, g, column, col_in)
    if labelled:
        _draw_labels(ax, columns, placed, col_in, plot_id)
    else:
        _axes_legend(ax)
    for g in range(1, len(columns)):
        ax.axvline(g - 0.5, color="#ddd", lw=0.8)
    ax.axhline(0.0, color="#bbb", lw=0.6, zorder=0)
    ax.set_xticks(range(len(columns)), [c["name"] for c in columns], fontsize=FONT)
    ax.tick_params(axis="y", labelsize=FONT)
    ax.set_ylabel("Potential [mV]", fontsize=FONT + 1)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id))


def _padded(lo: float, hi: float, margin: float = 0.0) -> tuple[float, float]:
    """Axis limits around ``lo``..``hi`` with 6 % (at least 5 mV) to spare."""
    pad = max(0.06 * (hi - lo), 5.0) + margin
    return lo - pad, hi + pad


def _place(column: dict, step: float):
    """Label positions of one column: (values, positions) for the rungs (right)
    and for the lines (left)."""
    out = []
    for items in (column["rungs"], column["lines"]):
        y = np.array([v for _, v in items], dtype=float)
        out.append((y, spread_labels(y, step) if len(y) else y))
    return out


def _draw_column(ax, g: int, column: dict, col_in: float) -> None:
    """Lines across column ``g`` and its rungs (in the ion's colour and marker)."""
    half = 0.5 - 0.06 / col_in
    for look, v in column["lines"]:
        ax.plot(
            [g - half, g + half],
            [v, v],
            color=look.colour,
            ls=look.linestyle,
            lw=1.8,
            zorder=2,
            label=look.label,
        )
    rung = _RUNG_IN / col_in
    for ion, e in column["rungs"]:
        look = style.ion_style(ion)
        ax.plot(
            [g - rung, g + rung], [e, e], color=look.colour, lw=3.2, zorder=3, label=ion
        )
        _points(
            ax,
            [g],
            [e],
            size=70,
            marker=look.marker,
            color=look.colour,
            markeredgecolor="white",
            markeredgewidth=0.8,
            zorder=4,
        )


def _draw_labels(ax, columns, placed, col_in: float, plot_id: str) -> None:
    """The value labels, each with an id (``<plot_id>-label-<k>``) so a browser can
    check that none overlaps another; leader lines where a label had to move."""
    k = 0
    rung, gap = _RUNG_IN / col_in, _GAP_IN / col_in
    for g, (column, ((ey, ep), (ly, lp))) in enumerate(
        zip(columns, placed, strict=True)
    ):
        items = [
            (f"{ion} {fmt_mV(e)}", style.ion_style(ion).colour, y, p, +1)
            for (ion, e), y, p in zip(column["rungs"], ey, ep, strict=True)
        ] + [
            (f"{look.short} {fmt_mV(v)}", look.colour, y, p, -1)
            for (look, v), y, p in zip(column["lines"], ly, lp, strict=True)
        ]
        for text, colour, y, p, side in items:
            x0, x1 = g + side * rung, g + side * (rung + gap)
            if abs(p - y) > 1e-9:
                ax.plot([x0, x1], [y, p], color=colour, lw=0.7, zorder=2)
            label = ax.text(
                x1 + side * 0.01,
                p,
                text,
                fontsize=FONT,
                color=colour,
                va="center",
                ha="left" if side > 0 else "right",
                zorder=5,
                bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"},
            )
            label.set_gid(f"{plot_id}-label-{k}")
            k += 1


def _row_label(dataset: str, cell: str, temp_C: float) -> str:
    """``dataset · cell type · 37.0 °C``, each name cut short in the middle; when
    one name contains the other (``squid_giant_axon``, ``squid giant axon``), only
    the longer is kept. The temperature is always kept.

    >>> _row_label("lab_a", "squid axon", 18.0)
    'lab_a · squid axon · 18.0 °C'
    >>> _row_label("plant_nitella", "plant_Nitella_cytoplasm", 20.0)
    'plant_Nitella_cytoplasm · 20.0 °C'
    """
    a, b = str(dataset), str(cell)
    fa, fb = a.casefold().replace("_", " "), b.casefold().replace("_", " ")
    if fa in fb or fb in fa:
        parts = [short_label(b if len(b) >= len(a) else a, 34)]
    else:
        parts = [short_label(a, 24), short_label(b, 24)]
    return " · ".join([*parts, fmt_temp_C(temp_C, unit=True)])


def index_plot(combined: pd.DataFrame, *, plot_id="plot-index-ladder") -> Plot:
    """Mean activity-corrected E per ion and measured Vm, one row per dataset, cell
    type and temperature (the cross-dataset figure of the index).

    ``combined`` has columns dataset, cell_type, temperature_C, ion, E_act_mV and
    vm_mV (means per group and ion).
    """
    title = "Equilibrium potentials across datasets"
    caption = (
        "Mean activity-corrected E per ion [mV] (each ion in its colour and marker, "
        "side by side within a row) and the mean measured Vm, corrected for the "
        "liquid junction potential where known (black bar), for each "
        "dataset, cell type and temperature."
    )
    if combined.empty:
        return Plot(plot_id, title, caption, note="No dataset results to compare.")
    c = combined.copy()
    c["row"] = [
        _row_label(d, ct, t)
        for d, ct, t in zip(
            c["dataset"], c["cell_type"], c["temperature_C"], strict=True
        )
    ]
    rows = list(dict.fromkeys(c["row"]))
    note = ""
    if len(rows) > MAX_INDEX_ROWS:
        note = f"First {MAX_INDEX_ROWS} of {len(rows)} rows shown; see the tables."
        rows = rows[:MAX_INDEX_ROWS]
        c = c[c["row"].isin(rows)]
    ions = style.ion_order(c.loc[np.isfinite(c["E_act_mV"]), "ion"].astype(str))
    left = max(_text_in(r) for r in rows) + 0.3
    width, height = FULL_WIDTH_IN, 0.5 * len(rows) + 1.0
    fig, ((ax,),) = _figure(
        plot_id,
        width,
        height,
        left=left / width,
        right=1 - 1.5 / width,
        bottom=0.7 / height,
        top=1 - 0.15 / height,
    )
    y_of = {r: i for i, r in enumerate(rows)}
    lane = min(0.14, 0.7 / max(1, len(ions)))
    for k, ion in enumerate(ions):
        part = c[(c["ion"].astype(str) == ion) & np.isfinite(c["E_act_mV"])]
        if part.empty:
            continue  # no legend entry for an ion without a potential
        look = style.ion_style(ion)
        y = part["row"].map(y_of).to_numpy(float) + (k - (len(ions) - 1) / 2) * lane
        _points(
            ax,
            part["E_act_mV"],
            y,
            size=55,
            marker=look.marker,
            color=look.colour,
            label=ion,
            zorder=3,
        )
    vm = c.groupby("row", sort=False)["vm_mV"].mean()
    vm = vm[np.isfinite(vm.to_numpy(dtype=float))]
    if len(vm):
        _points(
            ax,
            vm.to_numpy(),
            [y_of[r] for r in vm.index],
            size=420,
            marker="|",
            color="black",
            markeredgewidth=2.5,
            label="Vm measured",
            zorder=4,
        )
    ax.axvline(0.0, color="#bbb", lw=0.6, zorder=0)
    ax.grid(axis="x", color="#eee", lw=0.6)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), rows, fontsize=FONT)
    ax.tick_params(axis="x", labelsize=FONT)
    ax.set_xlabel("Potential [mV]", fontsize=FONT + 1)
    _axes_legend(ax)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)
