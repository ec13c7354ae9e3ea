"""Figures for the HTML reports, as inline SVG strings (matplotlib, no pyplot).

Figures are drawn on :class:`matplotlib.figure.Figure` objects with the Agg-based
canvas and saved as SVG (text kept as text, no timestamp, a per-figure hash salt so
ids do not collide when several SVGs share one page). Scatter plots with more than
:data:`MAX_PLOT_POINTS` points show a fixed-seed random subset and say so.

No physics is computed here except calls to
:func:`iongrad.physics.nernst.nernst_potential`
for the E-versus-temperature curves.
"""

from __future__ import annotations

import html
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import (
    AutoLocator,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullLocator,
)
from matplotlib.transforms import Affine2D, ScaledTranslation

from iongrad.constants import ZERO_CELSIUS_K
from iongrad.physics.nernst import nernst_potential

__all__ = [
    "MAX_FACETS",
    "MAX_PLOT_POINTS",
    "Plot",
    "conc_vs_activity_plot",
    "donnan_plot",
    "e_vs_temperature_plot",
    "ghk_plot",
    "index_ladder_plot",
    "ladder_plot",
    "note_svg",
]

#: Points drawn in one scatter plot; larger data are randomly subsampled (seed 0).
MAX_PLOT_POINTS = 2000
#: Panels (cell types) in one small-multiples figure; others are named as left out.
MAX_FACETS = 6
#: Ladder plots label each rung with its ion up to this many groups.
MAX_LABELLED_GROUPS = 12
#: Temperature grid points for E-versus-temperature curves.
N_TEMPERATURE_POINTS = 41
#: Intervals between major ticks on a linear axis (at most this many + 1 ticks):
#: each tick is several matplotlib artists to build, lay out and draw.
N_TICK_BINS = 6

_PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
]
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_XML_HEAD = re.compile(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


@dataclass
class Plot:
    """A rendered figure: id, title, caption, inline SVG (or None and a reason)."""

    id: str
    title: str
    caption: str
    svg: str | None = None
    note: str = ""


def note_svg(plot: Plot) -> str:
    """A small stand-alone SVG saying why ``plot`` was not drawn."""
    text = html.escape(f"{plot.title}: not drawn. {plot.note}", quote=True)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="720" height="60" '
        'viewBox="0 0 720 60"><rect width="720" height="60" fill="#fff4d6"/>'
        f'<text x="10" y="35" font-family="sans-serif" font-size="13">{text}</text>'
        "</svg>\n"
    )


def ion_colors(ions) -> dict[str, str]:
    """Stable colour per ion symbol (sorted order, cycling the palette)."""
    return {ion: _PALETTE[i % len(_PALETTE)] for i, ion in enumerate(sorted(ions))}


#: ``rc_context`` changes matplotlib's global rcParams: reports rendered in threads of
#: one process (Snakemake's in-process jobs) must not restore them under each other.
_SAVE_LOCK = threading.Lock()


def _svg(fig: Figure, salt: str) -> str:
    """``fig`` as an SVG string: text as text, no date, ids salted with ``salt``.

    Linear axes still on matplotlib's default locator get :data:`N_TICK_BINS`
    intervals. The figure is drawn once.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "linear" and isinstance(
                axis.get_major_locator(), AutoLocator
            ):
                axis.set_major_locator(
                    MaxNLocator(nbins=N_TICK_BINS, steps=[1, 2, 2.5, 5, 10])
                )
    buf = io.StringIO()
    rc = {"svg.fonttype": "none", "svg.hashsalt": salt}
    with _SAVE_LOCK, matplotlib.rc_context(rc):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return _METADATA.sub("", _XML_HEAD.sub("", buf.getvalue(), count=1), count=1)


def _legend(
    fig: Figure,
    handles: list,
    labels: list[str],
    *,
    anchor: tuple[float, float],
    transform,
    fontsize: float = 7.0,
) -> None:
    """A legend drawn as plain artists: per entry, a sample of the handle and a text.

    The entries are stacked in one column whose left edge, vertically centred, is at
    ``anchor`` (in the coordinates of ``transform``), as matplotlib's
    ``legend(loc="center left", bbox_to_anchor=anchor)`` would place them, without a
    frame. matplotlib's :class:`~matplotlib.legend.Legend` lays its offset boxes out
    several times per draw; this draws each entry once, at a fraction of the cost.
    ``handles`` are :class:`~matplotlib.lines.Line2D` (markers and/or a line).
    """
    if not labels:
        return
    n = len(labels)
    row = 1.7 * fontsize  # [pt] text height plus matplotlib's labelspacing (0.5 em)
    sample = max(2.0 * fontsize, *(h.get_markersize() + 2.0 for h in handles))  # [pt]
    points = Affine2D().scale(1 / 72) + fig.dpi_scale_trans  # [pt] -> display
    for i, (handle, label) in enumerate(zip(handles, labels, strict=True)):
        dy = ((n - 1) / 2 - i) * row
        at = points + ScaledTranslation(*anchor, transform)
        fig.add_artist(
            Line2D(
                [0.4 * fontsize, 0.4 * fontsize + sample / 2, 0.4 * fontsize + sample],
                [dy, dy, dy],
                color=handle.get_color(),
                linestyle=handle.get_linestyle(),
                linewidth=handle.get_linewidth(),
                marker=handle.get_marker(),
                markersize=handle.get_markersize(),
                markerfacecolor=handle.get_markerfacecolor(),
                markeredgecolor=handle.get_markeredgecolor(),
                markeredgewidth=handle.get_markeredgewidth(),
                markevery=[1],
                transform=at,
                clip_on=False,
            )
        )
        fig.add_artist(
            Text(
                (1.2 * fontsize) + sample,
                dy,
                label,
                fontsize=fontsize,
                va="center",
                ha="left",
                transform=at,
            )
        )


def _axes_legend(ax, fontsize: float = 7.0) -> None:
    """:func:`_legend` of ``ax``'s labelled artists, at the right of the axes."""
    handles, labels = ax.get_legend_handles_labels()
    _legend(
        ax.get_figure(),
        handles,
        labels,
        anchor=(1.01, 0.5),
        transform=ax.transAxes,
        fontsize=fontsize,
    )


#: Figures kept per thread for reuse (an LRU over their geometry).
MAX_CACHED_FIGURES = 8
_FIGURES = threading.local()


def _figure(
    kind: str,
    width=6.4,
    height=4.0,
    *,
    right=0.78,
    bottom=0.14,
    left=0.12,
    nrows: int = 1,
    ncols: int = 1,
    sharey: bool = False,
    hspace: float | None = None,
    wspace: float | None = None,
    log: bool = False,
):
    """A figure with fixed margins and an ``nrows x ncols`` array of empty axes.

    Fixed margins: one draw, no constrained or tight layout. Building a figure and
    its axes, and the tick artists drawn the first time, costs more than drawing a
    small plot, so figures are kept per thread (never shared between threads) by
    ``kind`` (the plot id) and geometry, and handed out again emptied by
    :func:`_clear`: the SVG of a reused
    figure is the same as that of a new one (tested).

    Returns
    -------
    fig : Figure
    axes : numpy.ndarray of Axes, shape (nrows, ncols)
    """
    key = (
        kind,
        width,
        height,
        right,
        bottom,
        left,
        nrows,
        ncols,
        sharey,
        hspace,
        wspace,
        log,
    )
    cache = getattr(_FIGURES, "cache", None)
    if cache is None:
        cache = _FIGURES.cache = OrderedDict()
    hit = cache.pop(key, None)
    if hit is None:
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(left=left, right=right, bottom=bottom, top=0.95)
        if hspace is not None or wspace is not None:
            fig.subplots_adjust(hspace=hspace, wspace=wspace)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey)
        if log:
            for ax in axes.flat:
                _log_axes(ax)
        hit = (fig, axes)
    else:
        _clear(hit[0])
    cache[key] = hit
    while len(cache) > MAX_CACHED_FIGURES:
        cache.popitem(last=False)
    return hit


def _clear(fig: Figure) -> None:
    """Remove everything a plot function added to ``fig``; keep axes and ticks.

    Data artists and legend entries go; data limits, autoscaling, the colour
    cycle and visibility are reset. Scales are part of the cache key (``log``);
    titles, axis labels, limits that are set explicitly, tick locations and
    labels are set again by every plot function on every call.
    """
    for artist in [*fig.artists, *fig.lines, *fig.texts, *fig.patches]:
        artist.remove()
    for ax in fig.axes:
        for artist in [
            *ax.lines,
            *ax.texts,
            *ax.collections,
            *ax.patches,
            *ax.images,
            *ax.artists,
        ]:
            artist.remove()
        if ax.legend_ is not None:
            ax.legend_.remove()
        ax.relim()
        ax.set_autoscale_on(True)
        ax.set_prop_cycle(None)
        ax.set_visible(True)


def _subsample(frame: pd.DataFrame, n: int = MAX_PLOT_POINTS):
    if len(frame) <= n:
        return frame, ""
    note = f"{n:,} of {len(frame):,} points shown (random subset, seed 0)."
    return frame.sample(n=n, random_state=0), note


def _finite(frame: pd.DataFrame, *cols) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for c in cols:
        mask &= np.isfinite(frame[c].to_numpy(dtype=float))
    return frame[mask]


def _identity(ax, lo, hi):
    """The dashed y = x line from ``lo`` to ``hi``."""
    ax.plot([lo, hi], [lo, hi], color="#888", lw=0.8, ls="--", label="y = x")


def _log_axes(ax) -> None:
    """Logarithmic x and y with plain labels (no mathtext) and few ticks."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, numticks=8))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_locator(NullLocator())


def _points(ax, x, y, *, size: float, marker: str = "o", hollow=False, **kw):
    """Markers of one size and colour: a marker-only Line2D, cheaper than ``scatter``.

    ``size`` is scatter's ``s`` (marker area, [pt^2]); the edge is 1.5 pt wide as
    scatter's default (``lines.linewidth``) unless ``markeredgewidth`` is given.
    ``hollow`` leaves filled markers unfilled (open circles).
    """
    color = kw.pop("color", None)
    kw.setdefault("markeredgewidth", 1.5)
    ax.plot(
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        ls="none",
        marker=marker,
        markersize=float(np.sqrt(size)),
        color=color,
        markerfacecolor="none" if hollow else color,
        **kw,
    )


def ladder_plot(summary: pd.DataFrame, *, plot_id: str = "plot-ladder") -> Plot:
    """Equilibrium potentials per ion against measured Vm, one column per group.

    ``summary`` is :func:`iongrad.report.tables.summary_by_group` output.
    """
    title = "Equilibrium potentials and membrane potential"
    caption = (
        "Activity-corrected E per ion (coloured bar) and concentration-based E "
        "(open circle) for each cell type and temperature, with the measured resting "
        "Vm (black bar) where given; means over samples, [mV]. Vm = phi_in - phi_out."
    )
    s = summary.copy()
    s["group"] = [
        f"{ct}\n{tc:.1f} °C"
        for ct, tc in zip(s["cell_type"], s["temperature_C"], strict=True)
    ]
    groups = list(dict.fromkeys(s["group"]))
    if not groups:
        return Plot(plot_id, title, caption, note="No rows to plot.")
    colors = ion_colors(s["ion"].unique())
    width = max(6.0, 1.2 * len(groups) + 3.2)
    fig, ((ax,),) = _figure(
        plot_id, width, 4.4, left=0.9 / width, right=1 - 1.5 / width, bottom=0.2
    )
    x_of = {g: i for i, g in enumerate(groups)}
    seen = set()
    for ion, part in s.groupby("ion", sort=True):
        xs = part["group"].map(x_of).to_numpy(dtype=float)
        for col, marker in (("E_act_mV", "_"), ("E_conc_mV", "o")):
            y = part[col].to_numpy(dtype=float)
            ok = np.isfinite(y)
            if not ok.any():
                continue
            style = (
                {"size": 320, "markeredgewidth": 2.2}
                if marker == "_"
                else {"size": 30, "hollow": True}
            )
            _points(
                ax,
                xs[ok],
                y[ok],
                marker=marker,
                color=colors[ion],
                label=f"E({ion})" if ion not in seen else None,
                zorder=3,
                **style,
            )
            seen.add(ion)
            if marker == "_" and len(groups) <= MAX_LABELLED_GROUPS:
                for xi, yi in zip(xs[ok], y[ok], strict=True):  # label the rungs
                    ax.text(
                        xi + 0.2, yi, ion, fontsize=7, va="center", color=colors[ion]
                    )
    _draw_measured_vm(ax, s, x_of, size=700)
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylabel("Potential [mV]")
    ax.set_xlabel("Cell type and temperature")
    _axes_legend(ax)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id))


def e_vs_temperature_plot(
    pot: pd.DataFrame,
    temperatures_K: list[float],
    *,
    scan: pd.DataFrame | None = None,
    plot_id: str = "plot-temperature",
) -> Plot:
    """Equilibrium potential per ion against temperature, one panel per cell type.

    With the pipeline's ``temperature_scan`` table (potentials recomputed, activity
    included, at each configured temperature), its sample means are drawn: solid
    lines and dots for activity-corrected E, dashed for concentration-based E.
    Without it, concentration-based curves are computed from the mean measured
    concentrations with :func:`iongrad.physics.nernst.nernst_potential` over the span
    of the configured and measured temperatures, and the caption says so.
    """
    title = "Equilibrium potential versus temperature"
    cells = list(dict.fromkeys(pot["cell_type"].astype(str)))
    note = ""
    if len(cells) > MAX_FACETS:
        note = f"First {MAX_FACETS} of {len(cells)} cell types shown."
        cells = cells[:MAX_FACETS]
    use_scan = scan is not None and {
        "cell_type",
        "ion",
        "temperature_K",
        "E_act_mV",
        "E_conc_mV",
    } <= set(scan.columns)
    span = _temperature_span(pot, temperatures_K, scan if use_scan else None)
    if span is None:
        return Plot(plot_id, title, "", note="No temperatures to plot.")
    lo, hi, caption = span
    grid = np.linspace(lo, hi, N_TEMPERATURE_POINTS)
    use = pot[pot["valence"] != 0]
    if "permeant" in use:
        use = use[use["permeant"].fillna(True).astype(bool)]
    colors = ion_colors(pot["ion"].unique())
    ncol = min(3, max(1, len(cells)))
    nrow = int(np.ceil(len(cells) / ncol))
    key_in = 0.9  # one legend for all panels, at the right, [in]
    width, height = 3.3 * ncol + 0.9 + key_in, 2.9 * nrow + 0.5
    fig, axes = _figure(
        plot_id,
        width,
        height,
        right=1 - (0.15 + key_in) / width,
        bottom=0.5 / height,
        left=0.8 / width,
        nrows=nrow,
        ncols=ncol,
        sharey=True,
        hspace=0.45,
        wspace=0.15,
    )
    for k, cell in enumerate(cells):
        ax = axes[k // ncol][k % ncol]
        if use_scan:
            _scan_curves(ax, scan[scan["cell_type"].astype(str) == cell], colors)
        else:
            _nernst_curves(ax, use[use["cell_type"].astype(str) == cell], grid, colors)
        _temperature_panel(ax, pot[pot["cell_type"].astype(str) == cell], cell)
        if k % ncol == 0:
            ax.set_ylabel("E [mV]", fontsize=8)
        ax.tick_params(labelsize=7)
    for k in range(len(cells), nrow * ncol):
        axes[k // ncol][k % ncol].set_visible(False)
    key: dict[str, Line2D] = {}  # ion -> first handle; colours are per ion
    for ax in fig.axes[: len(cells)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            key.setdefault(label, handle)
    _legend(
        fig,
        list(key.values()),
        list(key),
        anchor=(1 - (key_in + 0.05) / width, 0.5),
        transform=fig.transFigure,
    )
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def _temperature_span(
    pot: pd.DataFrame, temperatures_K: list[float], scan: pd.DataFrame | None
) -> tuple[float, float, str] | None:
    """(lowest, highest temperature [K], caption) of the temperature figure.

    With a scan: its temperatures. Without: the configured and measured ones,
    widened to at least 10 K. None when there is no finite temperature at all.
    """
    if scan is not None:
        span = scan["temperature_K"].to_numpy(dtype=float)
        span = span[np.isfinite(span)].tolist()
    else:
        measured = sorted(set(np.round(pot["temperature_K"].to_numpy(dtype=float), 6)))
        span = [t for t in [*temperatures_K, *measured] if np.isfinite(t)]
    if not span:
        return None
    lo, hi = min(span), max(span)
    if scan is not None:
        caption = (
            f"Mean over samples of each ion's activity-corrected E (solid, dots) and "
            f"concentration-based E (dashed), [mV], recomputed at the configured "
            f"temperatures and the measured ones ({lo - ZERO_CELSIUS_K:.1f} to "
            f"{hi - ZERO_CELSIUS_K:.1f} °C; dotted lines mark measured temperatures). "
            f"Concentrations are held fixed."
        )
        return lo, hi, caption
    if hi - lo < 1.0:
        lo, hi = lo - 5.0, hi + 5.0
    caption = (
        f"Concentration-based Nernst potential [mV] of each ion from the mean "
        f"measured concentrations of each cell type, between "
        f"{lo - ZERO_CELSIUS_K:.1f} and {hi - ZERO_CELSIUS_K:.1f} °C (dotted lines "
        f"mark measured temperatures). No temperature scan was found, so the "
        f"activity correction is not shown here; only RT/zF changes."
    )
    return lo, hi, caption


def _scan_curves(ax, part: pd.DataFrame, colors: dict[str, str]) -> None:
    """One cell type's scan means per ion: E (activity) solid with dots, E (conc.)
    dashed."""
    part = part.copy()
    part["t"] = part["temperature_K"].round(6)
    for col in ("E_act_mV", "E_conc_mV"):
        part[col] = part[col].where(np.isfinite(part[col].astype(float)))
    means = part.groupby(["ion", "t"], sort=True)[["E_act_mV", "E_conc_mV"]]
    means = means.mean().reset_index()
    t_C = means["t"].to_numpy(dtype=float) - ZERO_CELSIUS_K
    e_act = means["E_act_mV"].to_numpy(dtype=float)
    e_conc = means["E_conc_mV"].to_numpy(dtype=float)
    for ion, rows in means.groupby("ion", sort=True).indices.items():
        if not np.isnan(e_act[rows]).all():
            ax.plot(
                t_C[rows],
                e_act[rows],
                color=colors[ion],
                marker="o",
                ms=3,
                label=ion,
            )
        if not np.isnan(e_conc[rows]).all():
            ax.plot(t_C[rows], e_conc[rows], color=colors[ion], ls="--", lw=0.9)


def _nernst_curves(
    ax, part: pd.DataFrame, grid: np.ndarray, colors: dict[str, str]
) -> None:
    """One cell type's Nernst potential per ion over ``grid`` [K], from the mean
    measured concentrations."""
    comp = part.groupby("ion", sort=True).agg(
        c_in=("c_in_mM", "mean"),
        c_out=("c_out_mM", "mean"),
        z=("valence", "first"),
    )
    for ion, row in comp.iterrows():
        res = nernst_potential(
            c_in=row["c_in"],
            c_out=row["c_out"],
            valence=int(row["z"]),
            temperature_K=grid,
        )
        if np.isfinite(res.E_mV).any():
            ax.plot(grid - ZERO_CELSIUS_K, res.E_mV, color=colors[ion], label=ion)


def _temperature_panel(ax, cell_rows: pd.DataFrame, cell: str) -> None:
    """Dotted lines at one cell type's measured temperatures; title and x label."""
    for t in sorted(set(cell_rows["temperature_K"].round(6))):
        ax.axvline(t - ZERO_CELSIUS_K, color="#999", ls=":", lw=0.8)
    ax.set_title(cell, fontsize=9, y=1.0)  # fixed y: no automatic repositioning
    ax.set_xlabel("Temperature [°C]", fontsize=8)


def conc_vs_activity_plot(pot: pd.DataFrame, *, plot_id="plot-activity") -> Plot:
    """Activity-corrected against concentration-based E, per ion (y = x dashed)."""
    title = "Concentration-based versus activity-corrected E"
    caption = (
        "Each point is one sample and ion: x = E from concentrations, y = E from "
        "activities, [mV]; the distance from the dashed y = x line is the activity "
        "correction. Crosses mark rows outside the activity model's ionic-strength "
        "range."
    )
    data = _finite(pot, "E_conc_mV", "E_act_mV")
    if data.empty:
        return Plot(plot_id, title, caption, note="No finite potentials to plot.")
    data, note = _subsample(data)
    colors = ion_colors(pot["ion"].unique())
    fig, ((ax,),) = _figure(plot_id, 6.4, 4.4, left=0.14, right=0.74)
    valid = (
        data["activity_valid"].fillna(False).astype(bool).to_numpy()
        if "activity_valid" in data
        else np.ones(len(data), dtype=bool)
    )
    x_all = data["E_conc_mV"].to_numpy(dtype=float)
    y_all = data["E_act_mV"].to_numpy(dtype=float)
    for ion, part_idx in data.groupby("ion", sort=True).indices.items():
        x, y, v = x_all[part_idx], y_all[part_idx], valid[part_idx]
        _points(ax, x[v], y[v], size=14, color=colors[ion], label=ion)
        if (~v).any():
            _points(
                ax,
                x[~v],
                y[~v],
                size=22,
                marker="x",
                color=colors[ion],
                label=f"{ion} (outside model range)",
            )
    lo = float(min(data["E_conc_mV"].min(), data["E_act_mV"].min()))
    hi = float(max(data["E_conc_mV"].max(), data["E_act_mV"].max()))
    _identity(ax, lo, hi)
    ax.set_xlabel("E from concentrations [mV]")
    ax.set_ylabel("E from activities [mV]")
    _axes_legend(ax)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def donnan_plot(donnan: pd.DataFrame | None, *, plot_id="plot-donnan") -> Plot:
    """Donnan-predicted against measured intracellular concentration (log-log)."""
    title = "Donnan-predicted versus measured intracellular concentration"
    caption = (
        "Each point is one sample and permeant ion: x = measured c_in, y = c_in at "
        "Donnan equilibrium with the bath, [mM], logarithmic axes; points off the "
        "dashed y = x line are held away from Donnan equilibrium (pumps, metabolism)."
    )
    if donnan is None:
        return Plot(plot_id, title, caption, note="donnan.parquet is missing.")
    need = {"c_in_mM", "c_in_donnan_mM", "ion"}
    if not need <= set(donnan.columns):
        lacking = ", ".join(sorted(need - set(donnan.columns)))
        return Plot(plot_id, title, caption, note=f"donnan.parquet lacks {lacking}.")
    data = _finite(donnan, "c_in_mM", "c_in_donnan_mM")
    data = data[(data["c_in_mM"] > 0) & (data["c_in_donnan_mM"] > 0)]
    if data.empty:
        return Plot(plot_id, title, caption, note="No positive concentrations to plot.")
    data, note = _subsample(data)
    colors = ion_colors(donnan["ion"].unique())
    fig, ((ax,),) = _figure(plot_id, 6.4, 4.4, left=0.14, right=0.74, log=True)
    for ion, part in data.groupby("ion", sort=True):
        _points(
            ax,
            part["c_in_mM"],
            part["c_in_donnan_mM"],
            size=14,
            color=colors[ion],
            label=ion,
        )
    lo = float(min(data["c_in_mM"].min(), data["c_in_donnan_mM"].min())) / 1.5
    hi = float(max(data["c_in_mM"].max(), data["c_in_donnan_mM"].max())) * 1.5
    _identity(ax, lo, hi)
    ax.set_xlabel("Measured intracellular concentration [mM]")
    ax.set_ylabel("Donnan-predicted intracellular [mM]")
    _axes_legend(ax)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def ghk_plot(samples: pd.DataFrame | None, *, plot_id="plot-ghk") -> Plot:
    """GHK-predicted against measured resting potential, one point per sample."""
    title = "GHK-predicted versus measured membrane potential"
    caption = (
        "Each point is one sample: x = measured resting Vm, y = Goldman-Hodgkin-Katz "
        "steady-state Vm from the permeabilities in force, [mV]; dashed: y = x."
    )
    if samples is None:
        return Plot(plot_id, title, caption, note="samples.parquet is missing.")
    if not {"vm_ghk_mV", "vm_mV"} <= set(samples.columns):
        return Plot(
            plot_id, title, caption, note="samples.parquet lacks vm_ghk_mV/vm_mV."
        )
    data = _finite(samples, "vm_ghk_mV", "vm_mV")
    if data.empty:
        return Plot(
            plot_id,
            title,
            caption,
            note="No sample has both a measured Vm and a GHK prediction; the GHK "
            "predictions are listed in the samples table.",
        )
    data, note = _subsample(data)
    cells = (
        sorted(data["cell_type"].astype(str).unique()) if "cell_type" in data else []
    )
    colors = ion_colors(cells)
    fig, ((ax,),) = _figure(plot_id, 6.4, 4.4, left=0.14, right=0.74)
    if cells:
        for cell, part in data.groupby(data["cell_type"].astype(str), sort=True):
            _points(
                ax,
                part["vm_mV"],
                part["vm_ghk_mV"],
                size=16,
                color=colors[cell],
                label=cell,
            )
    else:
        _points(ax, data["vm_mV"], data["vm_ghk_mV"], size=16, color="C0")
    lo = float(min(data["vm_mV"].min(), data["vm_ghk_mV"].min())) - 5
    hi = float(max(data["vm_mV"].max(), data["vm_ghk_mV"].max())) + 5
    _identity(ax, lo, hi)
    ax.set_xlabel("Measured Vm [mV]")
    ax.set_ylabel("GHK-predicted Vm [mV]")
    _axes_legend(ax)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def index_ladder_plot(combined: pd.DataFrame, *, plot_id="plot-index-ladder") -> Plot:
    """Activity-corrected E per ion for every dataset x cell type x temperature.

    ``combined`` has columns dataset, cell_type, temperature_C, ion, E_act_mV, vm_mV
    (means per group).
    """
    title = "Equilibrium potentials across datasets"
    caption = (
        "Mean activity-corrected E per ion [mV] and measured Vm (black bar) for each "
        "dataset, cell type and temperature."
    )
    if combined.empty:
        return Plot(plot_id, title, caption, note="No dataset results to compare.")
    c = combined.copy()
    c["group"] = [
        f"{d} · {ct} · {t:.1f} °C"
        for d, ct, t in zip(
            c["dataset"], c["cell_type"], c["temperature_C"], strict=True
        )
    ]
    groups = list(dict.fromkeys(c["group"]))
    note = ""
    if len(groups) > 40:
        note = f"First 40 of {len(groups)} groups shown; see the tables for all."
        groups = groups[:40]
        c = c[c["group"].isin(groups)]
    x_of = {g: i for i, g in enumerate(groups)}
    colors = ion_colors(c["ion"].unique())
    longest = min(60, max(len(g) for g in groups))
    label_in = 0.3 + 0.06 * longest  # vertical tick labels, [in]
    width = max(6.0, 0.45 * len(groups) + 3.2)
    height = 3.6 + label_in
    fig, ((ax,),) = _figure(
        plot_id,
        width,
        height,
        left=0.9 / width,
        right=1 - 1.5 / width,
        bottom=label_in / height,
    )
    for ion, part in c.groupby("ion", sort=True):
        part = _finite(part, "E_act_mV")
        _points(
            ax,
            part["group"].map(x_of),
            part["E_act_mV"],
            size=30,
            color=colors[ion],
            label=f"E({ion})",
            zorder=3,
        )
    _draw_measured_vm(ax, c, x_of, size=500)
    ax.set_xticks(
        range(len(groups)),
        [g if len(g) <= 60 else g[:57] + "..." for g in groups],
        fontsize=7,
        rotation=90,
    )
    ax.set_ylabel("Potential [mV]")
    _axes_legend(ax)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def _draw_measured_vm(ax, frame: pd.DataFrame, x_of: dict, *, size: float) -> None:
    """Black bar at each group's mean measured Vm [mV] (where measured), and 0 mV."""
    vm = frame.groupby("group", sort=False)["vm_mV"].mean()
    vm = vm[np.isfinite(vm.to_numpy(dtype=float))]
    if len(vm):
        _points(
            ax,
            [x_of[g] for g in vm.index],
            vm.to_numpy(),
            marker="_",
            size=size,
            color="black",
            markeredgewidth=2.5,
            label="measured Vm",
            zorder=4,
        )
    ax.axhline(0.0, color="#bbb", lw=0.6)
