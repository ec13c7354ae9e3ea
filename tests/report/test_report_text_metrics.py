"""Text extents remembered across figures give the SVG that measuring them gives.

Saving a figure as SVG measures every text (tick labels, titles, legends) with
FreeType; matplotlib remembers the extents per renderer only, and every save makes
a new renderer. :mod:`iongrad.report.plots` remembers them across saves
(``_remembered_metrics``); here every report figure is drawn with and without it.
"""

from __future__ import annotations

import contextlib

import matplotlib
from matplotlib.backends.backend_svg import RendererSVG
from synthetic import donnan_frame, potentials_frame, samples_frame

from iongrad.constants import kelvin_to_celsius
from iongrad.report import ladder, plots
from iongrad.report.tables import summary_by_group


def _figures(seed: int = 0) -> list[str]:
    pot = potentials_frame(
        "d",
        [("squid axon", 291.15, 6), ("frog", 310.15, 6)],
        seed=seed,
        invalid_every=7,
    )
    pot["temperature_C"] = kelvin_to_celsius(pot["temperature_K"].to_numpy(float))
    summary = summary_by_group(pot)
    per = summary.assign(dataset="d")[
        ["dataset", "cell_type", "temperature_C", "ion", "E_act_mV", "vm_mV"]
    ]
    figures = [
        ladder.ladder_plot(summary),
        plots.e_vs_temperature_plot(pot, [293.15, 310.15]),
        plots.activity_effect_plot(pot),
        plots.donnan_plot(donnan_frame(pot, seed=seed)),
        plots.vm_predictions_plot(samples_frame(pot, seed=seed)),
        ladder.index_plot(per),
    ]
    return [p.svg for p in figures]


def test_remembered_text_extents_draw_the_svg_that_measuring_draws(monkeypatch):
    with monkeypatch.context() as m:  # every text measured, as matplotlib does
        m.setattr(plots, "_measured_once", contextlib.nullcontext)
        measured = _figures()
    plots._TEXT_METRICS.clear()
    cold, warm = _figures(), _figures()
    assert all(svg and "<text" in svg for svg in measured)
    assert cold == measured
    assert warm == measured
    assert plots._TEXT_METRICS  # the second drawing measured nothing new
    # the renderer's own method is back once a figure is saved
    assert RendererSVG.get_text_width_height_descent is plots._measure_text


def test_text_extents_are_remembered_per_font_setting_and_bounded(monkeypatch):
    plots._TEXT_METRICS.clear()
    _figures()
    known = len(plots._TEXT_METRICS)
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        _figures()
    assert len(plots._TEXT_METRICS) > known  # a setting that moves glyphs: new keys
    monkeypatch.setattr(plots, "MAX_TEXT_METRICS", 5)
    _figures(seed=1)
    assert len(plots._TEXT_METRICS) <= 5
