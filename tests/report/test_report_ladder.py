"""The ladder's labels: every E labelled with its value, none on top of another."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.report.ladder import ladder_plot, spread_labels


def test_labels_far_apart_do_not_move():
    y = np.array([-94.1, 70.7, -37.1, 130.4])
    np.testing.assert_array_equal(spread_labels(y, 5.0), y)


def test_close_labels_are_pushed_apart_around_their_centre():
    """Frog muscle: E_Cl -98.7 and E_K -102.2 mV used to print over each other."""
    y = np.array([-98.7, -102.2])
    p = spread_labels(y, 6.0)
    assert p[0] - p[1] == pytest.approx(6.0)  # Cl- stays above K+
    assert p.mean() == pytest.approx(y.mean())  # moved as little as possible


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-200, 200), min_size=0, max_size=12),
    st.floats(0.5, 20.0),
)
def test_spread_labels_keeps_order_and_distance(values, step):
    y = np.array(values, dtype=float)
    p = spread_labels(y, step)
    assert p.shape == y.shape
    order = np.argsort(y, kind="stable")
    assert np.all(np.diff(p[order]) >= step * (1 - 1e-9))
    # no label moves further than the whole stack could need
    assert np.all(np.abs(p - y) <= step * len(y) + 1e-9)


def _summary(e: dict[str, float], vm: float, ghk: float):
    summary = pd.DataFrame(
        {
            "cell_type": "frog",
            "temperature_K": 293.15,
            "temperature_C": 20.0,
            "ion": list(e),
            "E_act_mV": list(e.values()),
        }
    )
    lines = pd.DataFrame(
        {"cell_type": ["frog"], "temperature_K": [293.15], "vm_mV": [vm],
         "vm_ghk_mV": [ghk]}
    )  # fmt: skip
    return summary, lines


def test_every_rung_and_line_labelled_with_its_value():
    summary, lines = _summary(
        {"K+": -102.2, "Na+": 58.7, "Cl-": -98.7, "Ca2+": 124.4}, -90.0, -74.4
    )
    svg = ladder_plot(summary, lines).svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for label in ("K+ -102.2", "Na+ 58.7", "Cl- -98.7", "Ca2+ 124.4", "Vm -90.0",
                  "V_GHK -74.4"):  # fmt: skip
        assert label in texts
    ids = re.findall(r'id="(plot-ladder-label-\d+)"', svg)
    assert len(ids) == 6  # each label can be found (and measured) in a browser
