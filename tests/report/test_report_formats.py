"""Numbers as physiologists read them: E to 0.1 mV, concentrations in nM, uM or mM,
one temperature format, yes/no, words for what is missing; and a direction of net
flux stated only when the driving force is clear of its uncertainty."""

from __future__ import annotations

import math

import numpy as np
import pytest

from iongrad.report import formats
from iongrad.report.directions import WITHIN_NOISE, stated_directions


@pytest.mark.parametrize(
    ("value", "text"),
    [(-94.137, "-94.1"), (71.46, "71.5"), (0.04, "0.0"), (math.nan, "—"),
     (None, "—"), (-math.inf, "-inf"), (130.96, "131.0")],
)  # fmt: skip
def test_potentials_to_a_tenth_of_a_millivolt(value, text):
    assert formats.fmt_mV(value) == text


def test_signed_potentials_and_mean_plus_minus_sd():
    assert formats.fmt_mV(4.14, signed=True) == "+4.1"
    assert formats.fmt_mV(-4.14, signed=True) == "-4.1"
    assert formats.fmt_pm(4.14, 3.66, signed=True) == "+4.1 ± 3.7"
    assert formats.fmt_pm(-90.0, math.nan) == "-90.0"  # one sample: no SD
    assert formats.fmt_pm(math.nan, 1.0) == "—"


@pytest.mark.parametrize(
    ("mM", "text"),
    [(1e-4, "100 nM"), (0.05, "50 µM"), (145.0, "145 mM"), (4.5, "4.5 mM"),
     (0.0, "0 mM"), (1500.0, "1.5 M"), (2.5e-3, "2.5 µM"), (1e-3, "1 µM"),
     (0.000999, "999 nM"), (12.345, "12.3 mM"), (math.nan, "—"), (None, "—")],
)  # fmt: skip
def test_concentrations_in_a_readable_unit(mM, text):
    assert formats.fmt_conc_mM(mM) == text


def test_one_temperature_format():
    assert formats.fmt_temp_C(37) == "37.0"
    assert formats.fmt_temp_C(36.999999) == "37.0"
    assert formats.fmt_temp_C(20.0, unit=True) == "20.0 °C"
    assert formats.fmt_temp_C(math.nan) == "—"


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "yes"), (np.bool_(False), "no"), (1, "yes"), (None, "not recorded"),
     (math.nan, "not recorded")],
)  # fmt: skip
def test_yes_no(value, text):
    assert formats.fmt_bool(value) == text


def test_direction_only_when_clear_of_the_uncertainty():
    mean = np.array([4.1, 8.0, -8.0, 8.0, 0.5, 12.0, math.nan, 7.0])
    sd = np.array([3.7, 1.0, 1.0, 1.0, 0.0, math.nan, 1.0, 1.0])
    z = np.array([1, 1, 1, -1, 1, 2, 1, 0])
    flux, current = stated_directions(mean, sd, z, atol_mV=5.0)
    assert flux.tolist() == [
        WITHIN_NOISE,  # cardiac K+: +4.1 +- 3.7 mV
        "efflux",  # 8 - 1 > 5: a cation leaves
        "influx",
        "influx",  # an anion moves in when DF > 0
        WITHIN_NOISE,  # +0.5 mV is not a flux
        "efflux",  # one sample (no SD): |12| > 5
        "undefined",
        "undefined",  # z = 0
    ]
    assert current.tolist()[:4] == [WITHIN_NOISE, "outward", "inward", "outward"]


def test_direction_boundary_is_exclusive():
    """|mean| - SD must exceed the tolerance: at the edge it is still noise."""
    flux, _ = stated_directions(np.array([6.0, 6.0]), np.array([1.0, 0.999]), 1, 5.0)
    assert flux.tolist() == [WITHIN_NOISE, "efflux"]
    flux, _ = stated_directions(np.array([0.1]), np.array([0.0]), 1, 0.0)
    assert flux.tolist() == ["efflux"]  # no tolerance: any clear sign counts
