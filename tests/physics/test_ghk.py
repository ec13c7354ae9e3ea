"""GHK voltage and current equations: published values, closed forms, invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.constants import F, thermal_voltage_mV
from iongrad.physics.ghk import (
    GHK_STATUS,
    ghk_current,
    ghk_flux,
    ghk_voltage,
    ghk_voltage_monovalent,
)
from iongrad.physics.nernst import nernst_potential

T20 = 293.15
SQUID = dict(c_in=[400.0, 50.0, 40.0], c_out=[20.0, 440.0, 560.0], valence=[1, 1, -1])


def test_squid_axon_resting_potential():
    # Hodgkin & Katz 1949 (J. Physiol. 108:37) permeability ratios 1 : 0.04 : 0.45,
    # concentrations of Johnston & Wu 1995 Table 2.1 / Hille 2001; issue 5 gives
    # -62.3 mV at 20 degC (to 0.1 mV).
    vm = ghk_voltage_monovalent(permeability=[1.0, 0.04, 0.45], temperature_K=T20,
                                **SQUID)  # fmt: skip
    assert vm[0] == pytest.approx(-62.3, abs=0.1)
    res = ghk_voltage(permeability=[1.0, 0.04, 0.45], temperature_K=T20, **SQUID)
    assert res.vm_mV[0] == vm[0]
    assert str(res.method[0]) == "closed_form"


def test_absolute_and_relative_permeabilities_agree():
    rel = ghk_voltage(permeability=[1.0, 0.04, 0.45], temperature_K=T20, **SQUID)
    absolute = ghk_voltage(permeability=[1e-8, 4e-10, 4.5e-9], temperature_K=T20,
                           **SQUID)  # fmt: skip
    assert absolute.vm_mV[0] == pytest.approx(rel.vm_mV[0], rel=1e-12)


@pytest.mark.parametrize(
    ("c_in", "c_out", "z"),
    [(140.0, 5.0, 1), (1e-4, 2.0, 2), (10.0, 120.0, -1), (3.0, 0.5, -2)],
)
def test_single_permeant_ion_gives_its_nernst_potential_exactly(c_in, c_out, z):
    E = nernst_potential(c_in=c_in, c_out=c_out, valence=z, temperature_K=310.15).E_mV
    res = ghk_voltage(c_in=[c_in, 7.0], c_out=[c_out, 9.0], valence=[z, 1],
                      permeability=[0.3, 0.0], temperature_K=310.15)  # fmt: skip
    assert res.vm_mV[0] == float(E)
    # the numeric path agrees to solver tolerance
    num = ghk_voltage(c_in=[c_in, 7.0], c_out=[c_out, 9.0], valence=[z, 1],
                      permeability=[0.3, 0.0], temperature_K=310.15,
                      method="numeric")  # fmt: skip
    assert num.vm_mV[0] == pytest.approx(float(E), abs=1e-9)


def test_divalent_solver_matches_closed_form_when_divalent_permeability_is_zero():
    args = dict(c_in=[400.0, 50.0, 40.0, 1e-4, 10.0],
                c_out=[20.0, 440.0, 560.0, 10.0, 50.0],
                valence=[1, 1, -1, 2, 2], temperature_K=T20)  # fmt: skip
    P = [1.0, 0.04, 0.45, 0.0, 0.0]
    closed = ghk_voltage_monovalent(permeability=P, **args)
    num = ghk_voltage(permeability=P, method="numeric", **args)
    assert str(num.method[0]) == "numeric"
    assert num.converged[0]
    assert num.vm_mV[0] == pytest.approx(closed[0], abs=1e-9)


def test_k_plus_ca_matches_the_quadratic_closed_form():
    # With K+ and Ca2+ only, zero current is a quadratic in w = exp(FV/RT)
    # (Lewis 1979, J. Physiol. 286:417, eq. A5):
    # (P_K K_i + 4 P_Ca Ca_i) w^2 + P_K (K_i - K_o) w - (P_K K_o + 4 P_Ca Ca_o) = 0
    Ki, Ko, Cai, Cao, PK, PCa = 140.0, 5.0, 1e-4, 2.0, 1.0, 0.2
    a = PK * Ki + 4 * PCa * Cai
    b = PK * (Ki - Ko)
    c = -(PK * Ko + 4 * PCa * Cao)
    w = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    expected = thermal_voltage_mV(310.15) * np.log(w)
    res = ghk_voltage(c_in=[Ki, Cai], c_out=[Ko, Cao], valence=[1, 2],
                      permeability=[PK, PCa], temperature_K=310.15)  # fmt: skip
    assert res.converged[0]
    assert res.vm_mV[0] == pytest.approx(expected, rel=1e-10)


def test_current_is_zero_at_nernst_and_continuous_at_zero_volts():
    E = float(nernst_potential(c_in=2e-4, c_out=2.0, valence=2,
                               temperature_K=310.15).E_mV)  # fmt: skip
    cur = ghk_current(c_in=2e-4, c_out=2.0, valence=2, permeability=1e-8, vm_mV=E,
                      temperature_K=310.15)  # fmt: skip
    scale = 2 * 96485.0 * 1e-8 * 2.0
    assert abs(float(cur)) < 1e-12 * scale
    # Near 0 mV the series branch and the exact branch meet smoothly.
    v = np.array([-1e-3, -1e-6, 0.0, 1e-6, 1e-3])
    J = ghk_flux(c_in=140.0, c_out=5.0, valence=1, permeability=1.0, vm_mV=v,
                 temperature_K=310.15)  # fmt: skip
    assert np.all(np.diff(J) > 0)
    assert J[2] == pytest.approx(135.0, rel=1e-15)


def test_ghk_current_matches_the_textbook_formula():
    # I = P z^2 F^2 V/(RT) (c_in - c_out e^{-zFV/RT}) / (1 - e^{-zFV/RT}), Hille eq 14-6
    P, z, ci, co, vm, T = 1e-8, 2, 1e-4, 2.0, -60.0, 310.15
    u = vm / thermal_voltage_mV(T)
    expected = P * z * z * F * u * (ci - co * np.exp(-z * u)) / (1 - np.exp(-z * u))
    got = ghk_current(c_in=ci, c_out=co, valence=z, permeability=P, vm_mV=vm,
                      temperature_K=T)  # fmt: skip
    assert float(got) == pytest.approx(expected, rel=1e-12)
    assert float(got) < 0  # Ca2+ influx is an inward current


@pytest.mark.parametrize(
    ("c_in", "c_out", "P", "status"),
    [
        ([0.0, 1.0], [5.0, 1.0], [1.0, 0.0], "no_zero_current"),  # K in = 0 only
        ([1.0, 1.0], [1.0, 1.0], [0.0, 0.0], "no_current_carrier"),
        ([np.nan, 1.0], [1.0, 1.0], [1.0, 1.0], "invalid_input"),
        ([1.0, 1.0], [1.0, 1.0], [-1.0, 1.0], "invalid_input"),
    ],
)
def test_undefined_cases_are_marked(c_in, c_out, P, status):
    res = ghk_voltage(c_in=c_in, c_out=c_out, valence=[1, 2], permeability=P,
                      temperature_K=300.0)  # fmt: skip
    assert GHK_STATUS[res.status[0]] == status
    assert np.isnan(res.vm_mV[0])
    assert not res.converged[0]


def test_zero_concentration_with_other_carriers_still_solves():
    # Ca_in = 0 makes E_Ca infinite; the bracket is widened and the root found.
    res = ghk_voltage(c_in=[140.0, 0.0], c_out=[5.0, 2.0], valence=[1, 2],
                      permeability=[1.0, 0.1], temperature_K=310.15)  # fmt: skip
    assert res.converged[0]
    E_K = float(nernst_potential(c_in=140.0, c_out=5.0, valence=1,
                                 temperature_K=310.15).E_mV)  # fmt: skip
    assert res.vm_mV[0] > E_K


conc = st.floats(1e-4, 600.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(conc, conc, st.sampled_from([-2, -1, 1, 2]),
                       st.floats(1e-3, 10.0)), min_size=2, max_size=6),
    st.floats(1e-3, 1e3),
    st.floats(273.15, 313.15),
)  # fmt: skip
def test_zero_current_root_properties(ions, k, T):
    ci, co, z, P = (np.array(v) for v in zip(*ions, strict=True))
    res = ghk_voltage(c_in=ci, c_out=co, valence=z, permeability=P, temperature_K=T)
    assert res.converged[0]
    vm = res.vm_mV[0]
    cur = ghk_current(c_in=ci, c_out=co, valence=z, permeability=P, vm_mV=vm,
                      temperature_K=T)  # fmt: skip
    # scale: one-way charge currents (efflux + influx), which never vanish
    out = ghk_flux(c_in=ci, c_out=0.0, valence=z, permeability=P, vm_mV=vm,
                   temperature_K=T)  # fmt: skip
    inn = -ghk_flux(c_in=0.0, c_out=co, valence=z, permeability=P, vm_mV=vm,
                    temperature_K=T)  # fmt: skip
    gross = F * np.sum(np.abs(z) * (out + inn))
    assert abs(cur.sum()) <= 1e-9 * gross
    E = nernst_potential(c_in=ci, c_out=co, valence=z, temperature_K=T).E_mV
    assert E.min() - 1e-9 <= res.vm_mV[0] <= E.max() + 1e-9
    scaled = ghk_voltage(c_in=ci, c_out=co, valence=z, permeability=k * P,
                         temperature_K=T)  # fmt: skip
    assert scaled.vm_mV[0] == pytest.approx(res.vm_mV[0], abs=1e-8)
    if np.all(np.abs(z) == 1):
        num = ghk_voltage(c_in=ci, c_out=co, valence=z, permeability=P,
                          temperature_K=T, method="numeric")  # fmt: skip
        assert num.vm_mV[0] == pytest.approx(res.vm_mV[0], abs=1e-8)
