"""Figures for the HTML reports, as inline SVG strings (matplotlib, no pyplot).

Figures are drawn on :class:`matplotlib.figure.Figure` objects with the Agg-based
canvas and saved as SVG (text kept as text, no timestamp, a per-figure hash salt so
ids do not collide when several SVGs share one page). They are sized for the page
(:data:`FULL_WIDTH_IN` wide, text at :data:`FONT` pt, shown at their natural size),
and every ion is drawn in its own colour and marker (:mod:`iongrad.report.style`).
Scatter plots with more than :data:`MAX_PLOT_POINTS` points show a fixed-seed
random subset of each ion's (or group's) points and say so; a mean or SD they state
is over every point, not the subset drawn. The ladders of potentials are in
:mod:`iongrad.report.ladder`.

No physics is computed here except calls to
:func:`iongrad.physics.nernst.nernst_potential`
for the E-versus-temperature curves.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import rcParams
from matplotlib.backends.backend_svg import RendererSVG
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
from matplotlib.transforms import (
    Affine2D,
    ScaledTranslation,
    blended_transform_factory,
)

from iongrad.constants import ZERO_CELSIUS_K
from iongrad.physics.nernst import nernst_potential
from iongrad.report import style
from iongrad.report.formats import fmt_mV, fmt_pm, fmt_temp_C
from iongrad.report.results import SCAN_COLUMNS
from iongrad.tables.locate import text_codes, text_is

__all__ = [
    "ACTIVITY_COLUMNS",
    "FONT",
    "FULL_WIDTH_IN",
    "MAX_FACETS",
    "MAX_PLOT_POINTS",
    "TEMPERATURE_COLUMNS",
    "Plot",
    "activity_effect_plot",
    "donnan_plot",
    "e_vs_temperature_plot",
    "note_svg",
    "vm_predictions_plot",
]

#: Points drawn in one scatter plot; larger data are randomly subsampled (seed 0).
MAX_PLOT_POINTS = 2000
#: Panels (cell types) in one small-multiples figure; others are named as left out.
MAX_FACETS = 6
#: Temperature grid points for E-versus-temperature curves.
N_TEMPERATURE_POINTS = 41
#: Intervals between major ticks on a linear axis (at most this many + 1 ticks):
#: each tick is several matplotlib artists to build, lay out and draw.
N_TICK_BINS = 6
#: Text size in figures [pt]: figures are shown at their natural size, so 10 pt
#: reads as the page's own small text.
FONT = 10.0
#: Width of a figure that spans the page's text column [in] (96 px per inch).
FULL_WIDTH_IN = 11.5
#: Average width of a character of the figures' font, per pt of font size [pt/pt]
#: (DejaVu Sans digits and letters, 0.55-0.64 em): to size margins for labels.
CHAR_EM = 0.62
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


#: ``rc_context`` changes matplotlib's global rcParams: reports rendered in threads of
#: one process (Snakemake's in-process jobs) must not restore them under each other.
_SAVE_LOCK = threading.Lock()

#: Settings a text's measured extent depends on besides its font properties.
_METRIC_RC = (
    "text.hinting",
    "text.hinting_factor",
    "text.usetex",
    "font.family",
    "font.sans-serif",
    "font.serif",
    "font.monospace",
    "font.cursive",
    "font.fantasy",
    "mathtext.fontset",
)
#: Texts measured while saving SVG, kept across figures (at most this many).
MAX_TEXT_METRICS = 20_000
_TEXT_METRICS: dict = {}
_measure_text = RendererSVG.get_text_width_height_descent


def _remembered_metrics(renderer, s, prop, ismath):
    """``RendererSVG.get_text_width_height_descent``, remembered across figures.

    matplotlib caches a text's extent per renderer, and every ``savefig`` makes a
    new renderer, so each figure measured its tick labels, titles and legend texts
    again with FreeType (a quarter of the figures' saving time). The SVG renderer's
    measure depends only on the text, its font properties and the settings in
    :data:`_METRIC_RC` (the renderer's resolution is fixed at 72 dpi), which form
    the key; the SVG written is byte-identical.
    """
    key = (s, prop.copy(), ismath, tuple(str(rcParams[k]) for k in _METRIC_RC))
    hit = _TEXT_METRICS.get(key)
    if hit is None:
        if len(_TEXT_METRICS) >= MAX_TEXT_METRICS:
            _TEXT_METRICS.clear()
        hit = _TEXT_METRICS[key] = _measure_text(renderer, s, prop, ismath)
    return hit


@contextlib.contextmanager
def _measured_once() -> Iterator[None]:
    """Let SVG renderers use :func:`_remembered_metrics` (hold ``_SAVE_LOCK``)."""
    RendererSVG.get_text_width_height_descent = _remembered_metrics
    try:
        yield
    finally:
        RendererSVG.get_text_width_height_descent = _measure_text


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
    with _SAVE_LOCK, matplotlib.rc_context(rc), _measured_once():
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return _METADATA.sub("", _XML_HEAD.sub("", buf.getvalue(), count=1), count=1)


def _legend(
    fig: Figure,
    handles: list,
    labels: list[str],
    *,
    anchor: tuple[float, float],
    transform,
    fontsize: float = FONT,
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


def _axes_legend(ax, fontsize: float = FONT) -> None:
    """:func:`_legend` of ``ax``'s labelled artists, at the right of the axes (one
    entry per label, ions in physiological order, then the other entries)."""
    key: dict[str, Line2D] = {}
    for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
        key.setdefault(label, handle)
    looks = (style.VM.label, style.GHK.label, style.DONNAN.label, "y = x")
    labels = style.ion_order(k for k in key if k not in looks)
    labels += [k for k in key if k in looks]
    _legend(
        ax.get_figure(),
        [key[k] for k in labels],
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
    top=0.95,
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
        top,
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
        fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
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


def _rows_by_text(
    values: pd.Series, picked: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The positions of the rows of each text of ``as_text(values)``, in row order,
    missing values included (a big table's ions taken by their codes: no text is
    made per row); only the rows at the positions ``picked`` (ascending; every row
    when None), their positions still those of ``values``."""
    if picked is not None:
        values = values.iloc[picked]
    codes, texts = text_codes(values)
    if not len(codes):
        return {}
    # two categories may read as one text; a missing ion is a text of its own
    same, distinct = pd.factorize(texts, use_na_sentinel=False)
    # codes of the smallest integer type: numpy sorts them stably by radix
    codes = same.astype(np.min_scalar_type(len(distinct)))[codes]
    ends = np.cumsum(np.bincount(codes, minlength=len(distinct)))[:-1]
    order = np.argsort(codes, kind="stable")
    if picked is not None:  # positions among the picked rows -> in ``values``
        np.take(picked, order, out=order, mode="clip")  # in place: no second copy
    rows = np.split(order, ends)
    return {str(t): r for t, r in zip(distinct, rows, strict=True) if len(r)}


def _subset_per_group(
    where: dict[str, np.ndarray], n: int = MAX_PLOT_POINTS
) -> tuple[dict[str, np.ndarray], str]:
    """The rows each group (an ion) draws: all of them when the groups hold at most
    ``n`` in all, else a random subset of each group's own (at most its share of
    ``n``, in row order), so a group with few rows keeps them; and the figure's
    note saying how many points of how many are shown."""
    total = sum(len(rows) for rows in where.values())
    if total <= n:
        return where, ""
    share = max(1, n // len(where))
    rng = np.random.default_rng(0)
    drawn = {  # drawn group by group in the groups' order, whatever the dict's
        key: rows if len(rows) <= share else np.sort(rng.choice(rows, share, False))
        for key, rows in sorted(where.items())
    }
    shown = sum(len(rows) for rows in drawn.values())
    return drawn, f"{shown:,} of {total:,} points shown (random subset, seed 0)."


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


#: Columns of the potentials and of the temperature scan the temperature figure uses.
TEMPERATURE_COLUMNS = (
    "cell_type",
    "ion",
    "valence",
    "permeant",
    "c_in_mM",
    "c_out_mM",
    "temperature_K",
)


def e_vs_temperature_plot(
    pot: pd.DataFrame,
    temperatures_K: list[float],
    *,
    scan: pd.DataFrame | None = None,
    rows: np.ndarray | None = None,
    plot_id: str = "plot-temperature",
) -> Plot:
    """Equilibrium potential per ion against temperature, one panel per cell type.

    With the pipeline's ``temperature_scan`` table (potentials recomputed, activity
    included, at each configured temperature), its sample means are drawn: solid
    lines and dots for activity-corrected E, dashed for concentration-based E.
    Without it, concentration-based curves are computed from the mean measured
    concentrations with :func:`iongrad.physics.nernst.nernst_potential` over the span
    of the configured and measured temperatures, and the caption says so.
    ``rows`` (a boolean per row, every row when None) picks the rows drawn.
    """
    title = "Equilibrium potential versus temperature"
    if scan is not None:
        scan = scan[[c for c in SCAN_COLUMNS if c in scan]]
    # each cell type's rows, by position, in the order the cell types first appear:
    # the rows drawn are picked, never copied
    picked = None if rows is None else np.flatnonzero(rows)
    by_cell = _rows_by_text(pot["cell_type"], picked)
    by_cell = dict(sorted(by_cell.items(), key=lambda item: item[1][0]))
    cells = list(by_cell)
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
    kelvin = pot["temperature_K"].to_numpy(dtype=float)
    # the measured temperatures (rounded to 1e-6 K) of each cell type's rows
    measured = {c: _distinct_temperatures(kelvin[at]) for c, at in by_cell.items()}
    every = np.unique(np.concatenate([[], *measured.values()]))
    span = _temperature_span(every, temperatures_K, scan if use_scan else None)
    if span is None:
        return Plot(plot_id, title, "", note="No temperatures to plot.")
    if not cells:  # every sample left out: no panel to draw
        return Plot(plot_id, title, "", note="No samples to plot.")
    lo, hi, caption = span
    grid = np.linspace(lo, hi, N_TEMPERATURE_POINTS)
    # the ions whose Nernst curves are drawn without a scan: charged and permeant
    curved = pot["valence"].to_numpy() != 0
    if "permeant" in pot:
        curved &= pot["permeant"].fillna(True).astype(bool).to_numpy()
    ncol = min(2, max(1, len(cells)))
    nrow = int(np.ceil(len(cells) / ncol))
    key_in = 1.3  # one legend for all panels, at the right, [in]
    panel = (6.4, 4.0) if ncol == 1 else (4.6, 3.4)  # [in]
    width = panel[0] * ncol + 1.0 + key_in
    height = panel[1] * nrow + 0.5 * (nrow - 1) + 1.0
    fig, axes = _figure(
        plot_id,
        width,
        height,
        right=1 - (0.15 + key_in) / width,
        bottom=0.6 / height,
        left=0.9 / width,
        top=1 - 0.4 / height,
        nrows=nrow,
        ncols=ncol,
        sharey=True,
        hspace=0.5 / panel[1],
        wspace=0.1,
    )
    for k, cell in enumerate(cells):
        ax = axes[k // ncol][k % ncol]
        if use_scan:
            _scan_curves(ax, scan[text_is(scan["cell_type"], cell)])
        else:
            at = by_cell[cell][curved[by_cell[cell]]]
            _nernst_curves(ax, pot.iloc[at][list(_NERNST_COLUMNS)], grid)
        _temperature_panel(ax, measured[cell], cell)
        if k % ncol == 0:
            ax.set_ylabel("E [mV]", fontsize=FONT)
        ax.tick_params(labelsize=FONT)
    for k in range(len(cells), nrow * ncol):
        axes[k // ncol][k % ncol].set_visible(False)
    _ion_key(fig, fig.axes[: len(cells)], anchor=(1 - (key_in + 0.05) / width, 0.5))
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def _ion_key(fig: Figure, axes, *, anchor: tuple[float, float]) -> None:
    """One legend for the ions of several panels (each ion once, in physiological
    order), its left edge at ``anchor`` in figure coordinates."""
    key: dict[str, Line2D] = {}  # ion -> first handle; looks are per ion
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            key.setdefault(label, handle)
    ions = style.ion_order(key)
    _legend(fig, [key[i] for i in ions], ions, anchor=anchor, transform=fig.transFigure)


def _distinct_temperatures(kelvin: np.ndarray) -> np.ndarray:
    """The distinct finite temperatures of ``kelvin`` rounded to 1e-6 K, sorted."""
    rounded = pd.unique(np.round(kelvin, 6))
    return np.sort(rounded[np.isfinite(rounded)])


def _temperature_span(
    measured: np.ndarray, temperatures_K: list[float], scan: pd.DataFrame | None
) -> tuple[float, float, str] | None:
    """(lowest, highest temperature [K], caption) of the temperature figure.

    With a scan: its temperatures. Without: the configured and the ``measured``
    ones, widened to at least 10 K. None when there is no finite temperature at all.
    """
    if scan is not None:
        span = scan["temperature_K"].to_numpy(dtype=float)
    else:
        span = np.concatenate([np.asarray(temperatures_K, dtype=float), measured])
    span = span[np.isfinite(span)]
    if not len(span):
        return None
    lo, hi = float(span.min()), float(span.max())
    if scan is not None:
        caption = (
            f"Mean over samples of each ion's activity-corrected E (solid, with the "
            f"ion's marker) and "
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


def _scan_curves(ax, part: pd.DataFrame) -> None:
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
        look = style.ion_style(ion)
        if not np.isnan(e_act[rows]).all():
            ax.plot(
                t_C[rows],
                e_act[rows],
                color=look.colour,
                marker=look.marker,
                ms=5,
                lw=1.6,
                label=ion,
            )
        if not np.isnan(e_conc[rows]).all():
            ax.plot(t_C[rows], e_conc[rows], color=look.colour, ls="--", lw=1.0)


#: Columns :func:`_nernst_curves` reads.
_NERNST_COLUMNS = ("ion", "c_in_mM", "c_out_mM", "valence")


def _nernst_curves(ax, part: pd.DataFrame, grid: np.ndarray) -> None:
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
            look = style.ion_style(ion)
            ax.plot(
                grid - ZERO_CELSIUS_K,
                res.E_mV,
                color=look.colour,
                marker=look.marker,
                markevery=[0, len(grid) - 1],  # the marker tells ions apart in grey
                ms=5,
                lw=1.6,
                label=ion,
            )


def _temperature_panel(ax, measured: np.ndarray, cell: str) -> None:
    """Dotted lines at one cell type's ``measured`` temperatures [K] (distinct,
    sorted); title and x label."""
    for t in measured:
        ax.axvline(float(t) - ZERO_CELSIUS_K, color="#999", ls=":", lw=0.8)
    ax.set_title(cell, fontsize=FONT + 1, y=1.0)  # fixed y: no automatic moves
    ax.set_xlabel("Temperature [°C]", fontsize=FONT)


def _text_in(text: str, fontsize: float = FONT) -> float:
    """Estimated width of ``text`` at ``fontsize`` [in] (to size margins)."""
    return len(text) * CHAR_EM * fontsize / 72.0


def short_label(text: str, limit: int = 28) -> str:
    """``text`` cut in the middle to at most ``limit`` characters (``…`` marks the
    cut), so both its start and its end stay readable.

    >>> short_label("mammalian_skeletal_muscle_fibre_bundle", 20)
    'mammalian_…re_bundle'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2 + (limit - 1) % 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _row_jitter(n: int, width: float = 0.18) -> np.ndarray:
    """Vertical offsets for ``n`` points of one row (fixed, no randomness): points
    are spread over five lanes of ``±width`` so equal values do not hide each
    other."""
    lanes = np.array([0.0, -0.5, 0.5, -1.0, 1.0]) * width
    return lanes[np.arange(n) % len(lanes)]


#: Columns :func:`activity_effect_plot` reads.
ACTIVITY_COLUMNS = ("ion", "E_conc_mV", "E_act_mV", "activity_valid")


def activity_effect_plot(
    pot: pd.DataFrame, *, rows: np.ndarray | None = None, plot_id="plot-activity"
) -> Plot:
    """E (activity) − E (conc.) per ion and sample: the activity correction, [mV].

    One row per ion (physiological order); each point is a sample, the bar and the
    number at the right their mean (over every sample: above
    :data:`MAX_PLOT_POINTS` points each ion draws a random subset of its own, so an
    ion with few rows keeps its row). Rows outside the activity model's
    ionic-strength range are crosses. ``rows`` (a boolean per row, every row when
    None) picks the rows drawn.
    """
    title = "Activity correction per ion"
    caption = (
        "E (activity) − E (conc.) for each sample and ion, [mV]: how far the "
        "activity coefficients move each equilibrium potential. Each marker is one "
        "sample; the bar and the number at the right are the mean over every "
        "sample, also when only a subset of the markers is drawn. Crosses mark rows "
        "outside the activity model's ionic-strength range."
    )
    # only the columns drawn, as arrays: a big table's rows are not copied
    e_act = pot["E_act_mV"].to_numpy(dtype=float, na_value=np.nan)
    delta = e_act - pot["E_conc_mV"].to_numpy(dtype=float, na_value=np.nan)
    del e_act
    drawable = np.isfinite(delta)
    if rows is not None:
        drawable &= rows
    finite = np.flatnonzero(drawable)
    if not len(finite):
        return Plot(plot_id, title, caption, note="No finite potentials to plot.")
    valid = (
        pot["activity_valid"].fillna(False).astype(bool).to_numpy()
        if "activity_valid" in pot
        else np.ones(len(pot), dtype=bool)
    )
    where = _rows_by_text(pot["ion"], finite)
    ions = style.ion_order(where)
    drawn, note = _subset_per_group(where)  # each ion's mean over all its points
    width, height = 9.0, 0.55 * len(ions) + 1.1
    left = max(_text_in(i, FONT + 1) for i in ions) + 0.35
    fig, ((ax,),) = _figure(
        plot_id,
        width,
        height,
        left=left / width,
        right=1 - 1.7 / width,
        bottom=0.7 / height,
        top=1 - 0.2 / height,
    )
    at_right = blended_transform_factory(ax.transAxes, ax.transData)
    for k, ion in enumerate(ions):
        rows = drawn[ion]
        d, v, look = delta[rows], valid[rows], style.ion_style(ion)
        y = k + _row_jitter(len(rows))
        _points(ax, d[v], y[v], size=40, marker=look.marker, color=look.colour)
        if (~v).any():
            _points(ax, d[~v], y[~v], size=50, marker="x", color=look.colour)
        mean = float(delta[where[ion]].mean())
        ax.plot([mean, mean], [k - 0.32, k + 0.32], color=look.colour, lw=2.4)
        ax.text(
            1.02,
            k,
            f"{fmt_mV(mean, signed=True)} mV",
            transform=at_right,
            fontsize=FONT,
            va="center",
            color=look.colour,
        )
    ax.axvline(0.0, color="#888", lw=0.8)
    # the range of every point drawn or not, without copying them
    lo = min(float(np.min(delta, where=drawable, initial=np.inf)), 0.0)
    hi = max(float(np.max(delta, where=drawable, initial=-np.inf)), 0.0)
    pad = 0.08 * (hi - lo) + 0.2
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(len(ions) - 0.5, -0.5)  # the first ion on top
    ax.set_yticks(range(len(ions)), ions, fontsize=FONT + 1)
    ax.tick_params(axis="x", labelsize=FONT)
    ax.set_xlabel("E (activity) − E (conc.) [mV]", fontsize=FONT)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def donnan_plot(
    donnan: pd.DataFrame | None,
    *,
    rows: np.ndarray | None = None,
    plot_id="plot-donnan",
) -> Plot:
    """Donnan-predicted against measured intracellular concentration (log-log).

    ``rows`` (a boolean per row, every row when None) picks the rows drawn."""
    title = "Donnan-predicted versus measured intracellular concentration"
    caption = (
        "Each marker is one sample and permeant ion: x = measured c_in, y = c_in at "
        "Donnan equilibrium with the bath, [mM], logarithmic axes; points off the "
        "dashed y = x line are held away from Donnan equilibrium (pumps, "
        "metabolism). Samples whose Donnan solution is not ok are left out."
    )
    if donnan is None:
        return Plot(plot_id, title, caption, note="donnan.parquet is missing.")
    need = {"c_in_mM", "c_in_donnan_mM", "ion"}
    if not need <= set(donnan.columns):
        lacking = ", ".join(sorted(need - set(donnan.columns)))
        return Plot(plot_id, title, caption, note=f"donnan.parquet lacks {lacking}.")
    # the columns drawn as arrays, the rows drawn picked: no frame is copied
    c_in = donnan["c_in_mM"].to_numpy(dtype=float, na_value=np.nan)
    c_donnan = donnan["c_in_donnan_mM"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):  # NaN is not positive
        positive = (c_in > 0) & (c_donnan > 0) & (c_in < np.inf) & (c_donnan < np.inf)
    if rows is not None:
        positive &= rows
    at = np.flatnonzero(positive)
    if not len(at):
        return Plot(plot_id, title, caption, note="No positive concentrations to plot.")
    drawn, note = _subset_per_group(_rows_by_text(donnan["ion"], at))
    width, height = 8.0, 5.6
    fig, ((ax,),) = _figure(
        plot_id, width, height, left=1.0 / width, right=1 - 1.5 / width, log=True
    )
    for ion in style.ion_order(drawn):
        rows, look = drawn[ion], style.ion_style(ion)
        _points(
            ax,
            c_in[rows],
            c_donnan[rows],
            size=40,
            marker=look.marker,
            color=look.colour,
            label=ion,
        )
    # the range of every point drawn or not, without copying them
    lo = min(np.min(c, where=positive, initial=np.inf) for c in (c_in, c_donnan))
    hi = max(np.max(c, where=positive, initial=-np.inf) for c in (c_in, c_donnan))
    lo, hi = float(lo) / 1.5, float(hi) * 1.5
    _identity(ax, lo, hi)
    ax.tick_params(labelsize=FONT)
    ax.set_xlabel("Measured intracellular concentration [mM]", fontsize=FONT)
    ax.set_ylabel("Donnan-predicted intracellular [mM]", fontsize=FONT)
    _axes_legend(ax)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


#: The rows of :func:`vm_predictions_plot` per group: (column, look).
_PREDICTION_ROWS = (
    ("vm_mV", style.VM),
    ("vm_ghk_mV", style.GHK),
    ("donnan_potential_mV", style.DONNAN),
)


def vm_predictions_plot(samples: pd.DataFrame | None, *, plot_id="plot-ghk") -> Plot:
    """Vm (corrected for the LJP where known) against the GHK and Donnan
    predictions, per cell type and temperature: one row each, samples as small
    markers, mean ± SD as a bar.

    ``samples`` is samples.parquet with the predictions of samples that must not be
    used (status not ok) already set to NaN by the caller.
    """
    title = "Vm against GHK and Donnan predictions"
    caption = (
        "For each cell type and temperature: the measured resting Vm (corrected "
        "for the liquid junction potential where known), the "
        "Goldman-Hodgkin-Katz steady state V_GHK (from the permeabilities in force) "
        "and the Donnan potential V_Donnan (equilibrium with the bath), [mV]. Small "
        "markers are samples; the large marker and bar are the mean ± SD, also "
        "given at the right."
    )
    if samples is None:
        return Plot(plot_id, title, caption, note="samples.parquet is missing.")
    # only the columns drawn: samples.parquet has sixty, a big table a million rows
    drawn = [*(c for c, _ in _PREDICTION_ROWS), "cell_type", "temperature_K"]
    data = samples[[c for c in drawn if c in samples]].copy()
    for col, _ in _PREDICTION_ROWS:
        if col not in data:
            data[col] = np.nan
    if "cell_type" not in data:
        data["cell_type"] = "all samples"
    values = data[[c for c, _ in _PREDICTION_ROWS]].to_numpy(dtype=float)
    if not np.isfinite(values).any():
        return Plot(plot_id, title, caption, note="No Vm, V_GHK or V_Donnan to plot.")
    keys = [k for k in ("cell_type", "temperature_K") if k in data]
    groups = list(data.groupby(keys, sort=True, dropna=False))
    note = ""
    if len(groups) > MAX_FACETS * 2:
        note = f"First {MAX_FACETS * 2} of {len(groups)} groups shown."
        groups = groups[: MAX_FACETS * 2]
    names = [_group_name(key, keys) for key, _ in groups]
    width, height = 10.0, 1.25 * len(groups) + 0.9
    left = max(_text_in(s.label) for _, s in _PREDICTION_ROWS) + 0.35
    fig, ((ax,),) = _figure(
        plot_id,
        width,
        height,
        left=left / width,
        right=1 - 2.1 / width,
        bottom=0.7 / height,
        top=1 - 0.15 / height,
    )
    # each row's samples drawn up to an equal share of MAX_PLOT_POINTS; the means
    # and SDs are over every sample
    share = max(20, MAX_PLOT_POINTS // (3 * len(groups)))
    largest = 0  # the most samples a row had when a subset of them was drawn
    for g, ((_, part), name) in enumerate(zip(groups, names, strict=True)):
        largest = max(largest, _prediction_group(ax, part, 4 * g, name, share))
    if largest:
        note = (note + " " if note else "") + (
            f"At most {share:,} samples per row drawn (of up to {largest:,}; random "
            "subset, seed 0); means and SDs over all."
        )
    ticks = [4 * g + 1 + r for g in range(len(groups)) for r in range(3)]
    ax.set_yticks(ticks, [s.label for _ in groups for _, s in _PREDICTION_ROWS])
    ax.set_ylim(4 * len(groups) - 0.4, -0.4)
    ax.tick_params(labelsize=FONT)
    ax.set_xlabel("Membrane potential [mV]", fontsize=FONT)
    return Plot(plot_id, title, caption, svg=_svg(fig, plot_id), note=note)


def _group_name(key, keys: list[str]) -> str:
    """``cell type, 37.0 °C`` for a (cell_type, temperature_K) group key."""
    key = key if isinstance(key, tuple) else (key,)
    parts = dict(zip(keys, key, strict=True))
    name = short_label(parts.get("cell_type", ""), 48)
    if "temperature_K" in parts:
        t = fmt_temp_C(float(parts["temperature_K"]) - ZERO_CELSIUS_K, unit=True)
        name = f"{name}, {t}"
    return name


def _prediction_group(ax, part: pd.DataFrame, y0: int, name: str, share: int):
    """One group of :func:`vm_predictions_plot`: its name at ``y0``, then one row
    per potential with samples (at most ``share`` drawn), mean ± SD and the figures
    at the right. Returns the most samples a row had when it drew only a subset of
    them (0 when every row drew all)."""
    # x in axes fractions (0 = left edge, 1 = right edge), y in data
    at_right = blended_transform_factory(ax.transAxes, ax.transData)
    thinned = 0
    ax.text(
        0.0,
        y0 + 0.25,
        name,
        transform=at_right,
        fontsize=FONT + 1,
        fontweight="bold",
        va="center",
        ha="left",
    )
    for r, (col, look) in enumerate(_PREDICTION_ROWS):
        y = y0 + 1 + r
        v = part[col].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if not len(v):
            text = "no Vm measured" if col == "vm_mV" else "not available"
            ax.text(
                1.02,
                y,
                text,
                transform=at_right,
                fontsize=FONT - 1,
                va="center",
                color="#666",
            )
            continue
        shown = v
        if len(v) > share:
            shown = np.random.default_rng(0).choice(v, share, replace=False)
            thinned = max(thinned, len(v))
        _points(
            ax,
            shown,
            y + _row_jitter(len(shown), 0.12),
            size=22,
            marker=look.marker,
            color=look.colour,
            alpha=0.55,
        )
        mean, sd = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
        ax.plot([mean - sd, mean + sd], [y, y], color=look.colour, lw=2.0)
        _points(ax, [mean], [y], size=140, marker=look.marker, color=look.colour)
        ax.text(
            1.02,
            y,
            f"{fmt_pm(mean, sd if len(v) > 1 else np.nan)} mV (n = {len(v)})",
            transform=at_right,
            fontsize=FONT - 1,
            va="center",
            color=look.colour,
        )
    return thinned
