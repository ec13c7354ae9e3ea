"""Pump-leak steady state: fluxes, the Na+/K+ ratio and the Mullins-Noda potential."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.constants import thermal_voltage_mV
from iongrad.physics.ghk import ghk_voltage
from iongrad.physics.pumpleak import mullins_noda_potential, pump_leak

IONS = ["K+", "Na+", "Cl-"]
CI, CO = np.array([[400.0, 50.0, 40.0]]), np.array([[20.0, 440.0, 560.0]])
Z, P = np.array([1, 1, -1]), np.array([1.0, 0.04, 0.45])
T20 = 293.15


def textbook_flux(P, z, ci, co, vm, T):
    """J = P z u (c_in - c_out e^{-z u}) / (1 - e^{-z u}), u = FV/RT (Hille eq 14-6)."""
    u = vm / thermal_voltage_mV(T)
    return P * z * u * (ci - co * np.exp(-z * u)) / (1 - np.exp(-z * u))


def test_fluxes_and_ratio_match_the_textbook_ghk_flux():
    vm = -70.0
    res = pump_leak(c_in=CI, c_out=CO, valence=Z, permeability=P, vm_mV=vm,
                    temperature_K=T20, ions=IONS)  # fmt: skip
    expected = textbook_flux(P, Z, CI[0], CO[0], vm, T20)
    np.testing.assert_allclose(res.passive_flux[0], expected, rtol=1e-12)
    np.testing.assert_allclose(res.active_flux, -res.passive_flux)
    # K+ leaks out, Na+ leaks in: the pump must move Na+ out and K+ in.
    assert res.passive_flux[0, 0] > 0
    assert res.passive_flux[0, 1] < 0
    assert res.na_k_ratio[0] == pytest.approx(-expected[1] / expected[0], rel=1e-12)


def test_at_the_na_k_ghk_potential_the_leaks_cancel_one_to_one():
    # Only Na+ and K+ permeant and Vm = their GHK potential: no net passive current,
    # so Na+ influx equals K+ efflux and the balancing pump ratio is exactly 1.
    vm = ghk_voltage(c_in=CI[:, :2], c_out=CO[:, :2], valence=Z[:2],
                     permeability=P[:2], temperature_K=T20).vm_mV  # fmt: skip
    res = pump_leak(c_in=CI[:, :2], c_out=CO[:, :2], valence=Z[:2],
                    permeability=P[:2], vm_mV=vm, temperature_K=T20,
                    ions=IONS[:2])  # fmt: skip
    assert res.na_k_ratio[0] == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(50.0, 500.0), st.floats(1.0, 40.0), st.floats(5.0, 80.0),
    st.floats(100.0, 500.0), st.floats(0.005, 0.5), st.floats(1.05, 3.0),
)  # fmt: skip
def test_mullins_noda_potential_is_where_the_pump_runs_at_its_ratio(
    Ki, Ko, Nai, Nao, pna, r
):
    # Mullins & Noda 1963: at Vm_MN the leaks are balanced by active fluxes in the
    # ratio r (Na+ out : K+ in); r = 1 is the Na/K GHK equation.
    ci, co = np.array([[Ki, Nai]]), np.array([[Ko, Nao]])
    Pk = np.array([1.0, pna])
    vm = mullins_noda_potential(c_in=ci, c_out=co, permeability=Pk, ions=IONS[:2],
                                temperature_K=310.15, pump_ratio=r)  # fmt: skip
    res = pump_leak(c_in=ci, c_out=co, valence=[1, 1], permeability=Pk, vm_mV=vm,
                    temperature_K=310.15, ions=IONS[:2])  # fmt: skip
    assert res.na_k_ratio[0] == pytest.approx(r, rel=1e-9)
    ghk = ghk_voltage(c_in=ci, c_out=co, valence=[1, 1], permeability=Pk,
                      temperature_K=310.15).vm_mV  # fmt: skip
    one = mullins_noda_potential(c_in=ci, c_out=co, permeability=Pk, ions=IONS[:2],
                                 temperature_K=310.15, pump_ratio=1.0)  # fmt: skip
    assert one[0] == pytest.approx(ghk[0], abs=1e-9)
    assert vm[0] < ghk[0]  # an electrogenic 3:2 pump hyperpolarizes


def test_regression_squid_pump_ratio():
    # Regression (iongrad's own value, checked by hand from the GHK flux): squid
    # axon at its GHK potential, P 1 : 0.04 : 0.45, 20 degC.
    vm = ghk_voltage(c_in=CI, c_out=CO, valence=Z, permeability=P,
                     temperature_K=T20).vm_mV  # fmt: skip
    res = pump_leak(c_in=CI, c_out=CO, valence=Z, permeability=P, vm_mV=vm,
                    temperature_K=T20, ions=IONS)  # fmt: skip
    assert res.na_k_ratio[0] == pytest.approx(1.2444, abs=5e-4)


def test_missing_na_or_k_gives_nan_ratio():
    res = pump_leak(c_in=CI[:, [0, 2]], c_out=CO[:, [0, 2]], valence=[1, -1],
                    permeability=[1.0, 0.45], vm_mV=-60.0, temperature_K=T20,
                    ions=["K+", "Cl-"])  # fmt: skip
    assert np.isnan(res.na_k_ratio[0])
    assert np.isnan(
        mullins_noda_potential(c_in=CI[:, [0, 2]], c_out=CO[:, [0, 2]],
                               permeability=[1.0, 0.45], ions=["K+", "Cl-"],
                               temperature_K=T20)[0]
    )  # fmt: skip
