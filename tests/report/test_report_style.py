"""One colour and one marker per ion, on every page and in every plot."""

from __future__ import annotations

import re

import pytest
from synthetic import potentials_frame

from iongrad.ions import all_ions
from iongrad.report import ladder, plots, style
from iongrad.report.tables import summary_by_group

#: Okabe & Ito (2008) and Tol (2021) colour-blind-safe palettes.
SAFE = {
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9",
    "#332288", "#117733", "#44AA99", "#88CCEE", "#999933", "#AA4499",
    "#882255", "#CC6677", "#DDCC77",
}  # fmt: skip


def test_physiological_order_then_alphabetical():
    ions = ["Zn2+", "Cl-", "HCO3-", "Na+", "Br-", "Mg2+", "K+", "Ca2+", "A-"]
    assert style.ion_order(ions) == [
        "K+", "Na+", "Cl-", "Ca2+", "Mg2+", "HCO3-", "A-", "Br-", "Zn2+",
    ]  # fmt: skip
    assert style.ion_order([]) == []
    assert style.ion_order(["K+", "K+", "Na+"]) == ["K+", "Na+"]


def test_main_ions_have_fixed_distinct_colours_and_markers():
    main = ["K+", "Na+", "Cl-", "Ca2+", "Mg2+", "HCO3-"]
    looks = [style.ion_style(i) for i in main]
    assert len({s.colour for s in looks}) == len(main)
    assert len({s.marker for s in looks}) == len(main)
    assert style.ion_style("K+").colour == "#0072B2"  # Okabe-Ito blue, fixed


def test_every_registry_ion_has_its_own_safe_look():
    symbols = [ion.symbol for ion in all_ions()]
    looks = {s: style.ion_style(s) for s in symbols}
    pairs = {(s.colour, s.marker) for s in looks.values()}
    assert len(pairs) == len(symbols)  # no two ions look alike
    assert {s.colour for s in looks.values()} <= SAFE
    for s in looks.values():
        assert s.marker
        assert f'fill="{s.colour}"' in s.swatch()  # the table's marker: same look


def test_style_depends_on_the_ion_only():
    """The same ion looks the same whatever else a page holds (the old palette
    coloured ions by their rank among the ions present)."""
    alone = style.ion_style("K+")
    for others in (["Na+"], ["A-", "Br-", "Ca2+"], [f"X{i}+" for i in range(20)]):
        style.ion_order([*others, "K+"])
        assert style.ion_style("K+") == alone
    unknown = style.ion_style("Xyz+")
    assert unknown == style.ion_style("Xyz+")
    assert unknown.colour in SAFE


@pytest.mark.parametrize("drop", [[], ["K+"], ["Na+", "Cl-"]])
def test_plots_draw_each_ion_in_its_colour(drop):
    """Whichever ions a dataset has, each is drawn in its own colour in every
    figure (the old palette handed colours out by rank among the ions present)."""
    pot = potentials_frame("d", [("c", 300.0, 3)])
    pot = pot[~pot["ion"].isin(drop)]
    summary = summary_by_group(pot)
    per = summary.assign(dataset="d")
    svgs = [
        ladder.ladder_plot(summary).svg,
        ladder.index_plot(per).svg,
        plots.activity_effect_plot(pot).svg,
        plots.e_vs_temperature_plot(pot, [293.15, 310.15]).svg,
    ]
    for svg in svgs:
        for ion in set(pot["ion"]) - {"A-"}:
            colour = style.ion_style(ion).colour.lower()
            assert re.search(rf"(stroke|fill): ?{colour}", svg.lower()), ion
        for ion in set(drop):  # no trace of a colour whose ion is absent
            colour = style.ion_style(ion).colour.lower()
            assert not re.search(rf"(stroke|fill): ?{colour}", svg.lower()), ion
