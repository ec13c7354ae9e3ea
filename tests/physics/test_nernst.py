"""Nernst engine: the seed's worked examples, closed forms and undefined cases."""

import math

import numpy as np
import pytest

from iongrad.physics.nernst import (
    CURRENT_LABELS,
    FLUX_LABELS,
    STATUS_LABELS,
    directions,
    driving_force_mV,
    electrochemical_state,
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


BLOCK = (
    2**15
)  # rows per kernel block in iongrad.physics.nernst (tests span several blocks)


def _reference_directions(df, z, atol):
    """Flux and current labels by their definitions, row-wise via numpy.

    DF = Vm - E; DF > 0 is an outward current; a cation effluxes and an anion
    influxes when DF > 0.
    """
    cases = [np.isnan(df), df > atol, df < -atol]
    current = np.select(cases, ["undefined", "outward", "inward"], "none")
    cation_flux = np.select(cases, ["undefined", "efflux", "influx"], "none")
    anion_flux = np.select(cases, ["undefined", "influx", "efflux"], "none")
    return np.where(z < 0, anion_flux, cation_flux), current


@pytest.mark.parametrize("atol", [0.0, 0.5])
def test_fused_matches_closed_form_on_random_rows(atol):
    # Random physiological rows over several kernel blocks, per-row z, T and gammas:
    # E agrees with the closed form (exact SI 2019 R, F) to 1e-12 relative (1e-12 mV
    # absolute), and the directions follow the sign of the returned driving force.
    n = 3 * BLOCK + 123
    rng = np.random.default_rng(3)
    c_in = rng.uniform(1e-3, 500.0, n)
    c_out = rng.uniform(1e-3, 500.0, n)
    z = rng.choice(np.array([-3, -2, -1, 1, 2, 3]), n)
    T = rng.uniform(273.15, 313.15, n)
    g_in = rng.uniform(0.3, 1.0, n)
    g_out = rng.uniform(0.3, 1.0, n)
    vm = rng.uniform(-120.0, 60.0, n)
    vm[::97] = np.nan  # not measured
    r = electrochemical_state(
        c_in=c_in,
        c_out=c_out,
        valence=z,
        temperature_K=T,
        vm_mV=vm,
        gamma_in=g_in,
        gamma_out=g_out,
        atol_mV=atol,
    )
    expected = (
        R_EXACT * T / (z * F_EXACT) * 1000.0 * np.log(g_out * c_out / (g_in * c_in))
    )
    assert (r.status == 0).all()
    # atol: near c_out = c_in the log cancels and only absolute error is meaningful.
    np.testing.assert_allclose(r.E_mV, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.driving_force_mV, vm - expected, rtol=0, atol=1e-9)
    flux, current = _reference_directions(r.driving_force_mV, z, atol)
    np.testing.assert_array_equal(FLUX_LABELS[r.flux], flux)
    np.testing.assert_array_equal(CURRENT_LABELS[r.current], current)


def test_lone_undefined_rows_deep_in_a_table_are_marked():
    # Rows whose E would come out finite but meaningless: both concentrations
    # negative (positive ratio), T = 0 (E = 0) and T < 0 (E of the wrong sign), each
    # alone in a different kernel block of an otherwise valid table.
    n = 5 * BLOCK + 11
    rng = np.random.default_rng(7)
    c_in = rng.uniform(1.0, 200.0, n)
    c_out = rng.uniform(1.0, 200.0, n)
    z = rng.choice(np.array([-2, -1, 1, 2]), n)
    T = rng.uniform(280.0, 310.0, n)
    vm = rng.uniform(-90.0, -40.0, n)
    neg, t0, tneg = 3 * BLOCK + 5, BLOCK + 1, 5 * BLOCK + 2
    c_in[neg], c_out[neg] = -3.0, -2.0
    T[t0], T[tneg] = 0.0, -10.0
    kw = dict(c_in=c_in, c_out=c_out, valence=z, temperature_K=T)
    for r in (nernst_potential(**kw), electrochemical_state(**kw, vm_mV=vm)):
        bad = [neg, t0, tneg]
        assert r.status_labels[bad].tolist() == [
            "negative_concentration",
            "invalid_temperature",
            "invalid_temperature",
        ]
        assert np.isnan(r.E_mV[bad]).all()
        assert np.count_nonzero(r.status) == 3
        assert np.isfinite(np.delete(r.E_mV, bad)).all()
    assert FLUX_LABELS[r.flux[bad]].tolist() == ["undefined"] * 3
    assert CURRENT_LABELS[r.current[bad]].tolist() == ["undefined"] * 3


def test_results_beyond_float_range_are_not_ok():
    # 5 / 1e-320 overflows to inf and 1e-300 / 1e300 underflows to 0: E is not a
    # finite number and must not be labelled "ok" (it was, with E = NaN).
    kw = dict(c_in=[1e-320, 1e300, 140.0], c_out=[5.0, 1e-300, 5.0], valence=1,
              temperature_K=310.15)  # fmt: skip
    for r in (nernst_potential(**kw), electrochemical_state(**kw, vm_mV=-65.0)):
        assert r.status_labels.tolist() == ["not_finite", "not_finite", "ok"]
        assert np.isnan(r.E_mV[:2]).all()
        assert "finite" in r.reasons[0]
    assert FLUX_LABELS[r.flux[:2]].tolist() == ["undefined"] * 2


def test_an_infinite_activity_coefficient_is_invalid_gamma():
    # An activity model that overflows (ionic strength far beyond its range) gives
    # gamma = inf: E = NaN, which was labelled "ok".
    r = nernst_potential(c_in=140.0, c_out=5.0, valence=1, temperature_K=310.15,
                         gamma_in=[np.inf, 0.8], gamma_out=[0.7, np.inf])  # fmt: skip
    assert r.status_labels.tolist() == ["invalid_gamma", "invalid_gamma"]
    assert np.isnan(r.E_mV).all()
    assert "finite" in r.reasons[0]


def test_cli_nernst_never_says_ok_with_a_number_that_is_not_one(capsys):
    import json

    from iongrad.cli import main

    # Issue #6: this printed "E_mV": "nan" with status ok. The CLI now refuses the
    # value by the contract's c_in_range (exit 2); should it ever pass, the physics
    # says not_finite.
    status = main(["nernst", "--c-in", "1e-320", "--c-out", "5", "--ion", "K+",
                   "--temperature", "37C", "--json"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    if status == 0:
        assert data["status"] == "not_finite"
        assert "finite" in data["reason"]
    else:
        assert status == 2
        assert "c_in" in data["error"]
