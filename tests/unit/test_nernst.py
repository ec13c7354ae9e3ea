"""Nernst engine: the seed's worked examples, closed forms and undefined cases."""

import math

import numpy as np
import pytest

from iongrad.nernst import (
    CURRENT_LABELS,
    FLUX_LABELS,
    STATUS_LABELS,
    directions,
    driving_force_mV,
    nernst_potential,
)

# Exact SI 2019 values written out independently of scipy (CODATA 2018, Table XXXI).
R_EXACT = 6.02214076e23 * 1.380649e-23
F_EXACT = 6.02214076e23 * 1.602176634e-19

# Seed (shared/seed/000_0108654a58a544bb.txt) worked examples, quoted to 0.1 mV.
SEED_CASES = [
    # id, z, c_out, c_in, T, gamma_in, gamma_out, expected_mV
    ("E_Cl", -1, 120.0, 7.0, 310.0, None, None, -75.9),
    ("E_Ca", 2, 1.5, 1e-4, 310.0, None, None, 128.4),
    ("E_K_5", 1, 5.0, 140.0, 310.0, None, None, -89.0),
    ("E_K_4", 1, 4.0, 140.0, 310.0, None, None, -95.0),
    ("E_K_activity", 1, 4.0, 140.0, 310.0, 0.85, 0.70, -100.2),
]


@pytest.mark.parametrize(
    ("z", "c_out", "c_in", "T", "g_in", "g_out", "expected"),
    [case[1:] for case in SEED_CASES],
    ids=[case[0] for case in SEED_CASES],
)
def test_seed_examples(z, c_out, c_in, T, g_in, g_out, expected):
    r = nernst_potential(
        c_in=c_in,
        c_out=c_out,
        valence=z,
        temperature_K=T,
        gamma_in=g_in,
        gamma_out=g_out,
    )
    assert r.status_labels.item() == "ok"
    assert r.E_mV.item() == pytest.approx(expected, abs=0.1)


def test_seed_driving_force_K():
    E = nernst_potential(c_in=140.0, c_out=5.0, valence=1, temperature_K=310.0).E_mV
    df = driving_force_mV(vm_mV=-65.0, E_mV=E)
    assert df.item() == pytest.approx(24.0, abs=0.1)
    flux, current = directions(df, 1)
    assert FLUX_LABELS[flux].item() == "efflux"
    assert CURRENT_LABELS[current].item() == "outward"


@pytest.mark.parametrize("t_C", [6.3, 20.0, 37.0])
def test_E_K_matches_closed_form_exactly(t_C):
    T = t_C + 273.15
    expected = R_EXACT * T / F_EXACT * 1000.0 * math.log(5.0 / 140.0)
    got = nernst_potential(c_in=140.0, c_out=5.0, valence=1, temperature_K=T).E_mV
    assert got.item() == pytest.approx(expected, abs=1e-9)


def test_vectorized_per_row_temperature_and_valence():
    T = np.array([279.45, 293.15, 310.15])
    z = np.array([1, -1, 2])
    c_in = np.array([140.0, 7.0, 1e-4])
    c_out = np.array([5.0, 120.0, 1.5])
    got = nernst_potential(c_in=c_in, c_out=c_out, valence=z, temperature_K=T).E_mV
    expected = R_EXACT * T / (z * F_EXACT) * 1000.0 * np.log(c_out / c_in)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_undefined_cases_are_marked_not_raised():
    c_in = np.array([140.0, 0.0, 5.0, 0.0, np.nan, -1.0, 10.0, 10.0, 10.0, -3.0])
    c_out = np.array([5.0, 5.0, 0.0, 0.0, 5.0, 5.0, 10.0, 5.0, 5.0, -2.0])
    z = np.array([1, 1, 1, 1, 1, 1, 0, 1, -1, 1])
    T = np.array([310.0] * 7 + [0.0, 310.0, 310.0])
    r = nernst_potential(c_in=c_in, c_out=c_out, valence=z, temperature_K=T)
    assert r.status_labels.tolist() == [
        "ok",
        "zero_inside",
        "zero_outside",
        "zero_both",
        "missing_concentration",
        "negative_concentration",
        "neutral",
        "invalid_temperature",
        "ok",
        "negative_concentration",
    ]
    assert r.E_mV[1] == np.inf  # cation, nothing inside: E -> +inf
    assert r.E_mV[2] == -np.inf
    assert np.isnan(r.E_mV[[3, 4, 5, 6, 7, 9]]).all()
    assert all(r.reasons[1:8])  # every undefined row carries a reason
    assert r.reasons[0] == ""


def test_zero_inside_anion_gives_minus_infinity():
    r = nernst_potential(c_in=0.0, c_out=120.0, valence=-1, temperature_K=310.0)
    assert r.E_mV.item() == -np.inf
    assert r.status_labels.item() == "zero_inside"


def test_impermeant_and_bad_gamma():
    r = nernst_potential(
        c_in=[100.0, 140.0, 140.0],
        c_out=[1.0, 5.0, 5.0],
        valence=[-1, 1, 1],
        temperature_K=310.0,
        gamma_in=[0.8, 0.0, 0.8],
        gamma_out=[0.8, 0.7, 0.7],
        permeant=[False, True, True],
    )
    assert r.status_labels.tolist() == ["impermeant", "invalid_gamma", "ok"]
    assert np.isnan(r.E_mV[:2]).all()
    assert set(STATUS_LABELS) >= set(r.status_labels)


def test_directions_cover_all_cases():
    df = np.array([5.0, -5.0, 0.0, np.nan, 5.0, -5.0, 0.0, 5.0])
    z = np.array([1, 1, 1, 1, -1, -1, -1, 0])
    flux, current = directions(df, z)
    assert FLUX_LABELS[flux].tolist() == [
        "efflux",
        "influx",
        "none",
        "undefined",
        "influx",
        "efflux",
        "none",
        "undefined",
    ]
    assert CURRENT_LABELS[current].tolist() == [
        "outward",
        "inward",
        "none",
        "undefined",
        "outward",
        "inward",
        "none",
        "outward",
    ]


def test_directions_tolerance():
    flux, current = directions([0.05, -0.05, 0.2], [1, 1, 1], atol_mV=0.1)
    assert CURRENT_LABELS[current].tolist() == ["none", "none", "outward"]
    assert FLUX_LABELS[flux].tolist() == ["none", "none", "efflux"]


def test_keyword_only():
    with pytest.raises(TypeError):
        nernst_potential(140.0, 5.0, 1, 310.0)  # type: ignore[misc]
