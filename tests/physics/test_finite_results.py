"""Physics results: "ok" only with a finite number, and no RuntimeWarning ever escapes.

pytest runs with ``filterwarnings = error``: an overflow or invalid operation that a
function turns into a status must be silenced where it happens, so any warning from
these extreme inputs fails the test.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from iongrad.physics.activity import (
    MODELS,
    activity_coefficients,
    activity_coefficients_long,
)
from iongrad.physics.donnan import (
    activity_gamma_fn,
    donnan_closed,
    donnan_equilibrium,
    donnan_equilibrium_activity,
)
from iongrad.physics.ghk import ghk_current, ghk_voltage, ghk_voltage_monovalent
from iongrad.physics.nernst import electrochemical_state, nernst_potential
from iongrad.physics.osmotic import osmotic_imbalance_mOsm_kg, osmotic_pressure_kPa
from iongrad.physics.pitzer import pitzer_ln_gamma
from iongrad.physics.pumpleak import mullins_noda_potential, pump_leak

# Anything a float can be: subnormal, huge, zero, negative, NaN, inf.
anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1e-320, 5e-324, 1e-300, 1e30, 1e300, 1.7e308]),
)
positive = st.one_of(
    st.floats(min_value=0.0, max_value=1e308),
    st.sampled_from([1e-320, 1e-300, 1e30, 1e300, np.inf]),
)
temperature = st.one_of(st.floats(min_value=1.0, max_value=1e4),
                        st.sampled_from([310.15, 0.0, -5.0, np.nan]))  # fmt: skip
VALENCES = np.array([1, -1, 2, -2, 1, -1])


def col(elements, n):
    return arrays(np.float64, n, elements=elements)


@settings(max_examples=150, deadline=None)
@given(c_in=col(anything, 8), c_out=col(anything, 8), T=col(temperature, 8),
       g=col(anything, 8), vm=col(anything, 8))  # fmt: skip
def test_nernst_ok_implies_finite(c_in, c_out, T, g, vm):
    z = np.array([1, -1, 2, -2, 3, 1, -1, 1])
    for gam in (None, g):
        r = nernst_potential(c_in=c_in, c_out=c_out, valence=z, temperature_K=T,
                             gamma_in=gam, gamma_out=gam)  # fmt: skip
        assert np.isfinite(r.E_mV[r.status == 0]).all()
        assert all(r.reasons[r.status != 0])
        f = electrochemical_state(c_in=c_in, c_out=c_out, valence=z, temperature_K=T,
                                  vm_mV=vm, gamma_in=gam, gamma_out=gam)  # fmt: skip
        np.testing.assert_array_equal(f.status, r.status)
        assert np.isfinite(f.E_mV[f.status == 0]).all()
        finite_vm = np.isfinite(vm) & (np.abs(vm) < 1e300)
        assert np.isfinite(f.driving_force_mV[(f.status == 0) & finite_vm]).all()


@settings(max_examples=150, deadline=None)
@given(c_in=col(positive, 6), c_out=col(positive, 6),
       P=col(st.floats(min_value=0.0, max_value=1e300), 6),
       T=st.floats(min_value=1.0, max_value=1e4), vm=anything)  # fmt: skip
def test_ghk_ok_implies_finite(c_in, c_out, P, T, vm):
    for kw in ({}, {"method": "numeric"}):
        r = ghk_voltage(c_in=c_in, c_out=c_out, valence=VALENCES, permeability=P,
                        temperature_K=T, **kw)  # fmt: skip
        ok = r.status == 0
        assert np.isfinite(r.vm_mV[ok]).all()
        assert not (r.converged & ~ok).any()
    mono = np.abs(VALENCES) == 1
    ghk_voltage_monovalent(c_in=c_in[mono], c_out=c_out[mono],
                           valence=VALENCES[mono], permeability=P[mono],
                           temperature_K=T)  # fmt: skip
    ghk_current(c_in=c_in, c_out=c_out, valence=VALENCES, permeability=P,
                vm_mV=vm, temperature_K=T)  # fmt: skip
    ions = ["K+", "Cl-", "Ca2+", "SO4 2-", "Na+", "HCO3-"]
    pump_leak(c_in=[c_in], c_out=[c_out], valence=VALENCES, permeability=P,
              vm_mV=[vm], temperature_K=[T], ions=ions)  # fmt: skip
    mullins_noda_potential(c_in=[c_in], c_out=[c_out], permeability=P, ions=ions,
                           temperature_K=[T])  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(c_out=col(positive, 6), X=anything, T=temperature,
       g=col(positive, 6))  # fmt: skip
def test_donnan_ok_implies_finite(c_out, X, T, g):
    for kw in ({}, {"gamma_in": g, "gamma_out": g[::-1]}, {"closed_form": False}):
        r = donnan_equilibrium(c_out=c_out, valence=VALENCES, impermeant_charge_mM=X,
                               temperature_K=T, **kw)  # fmt: skip
        ok = r.status == 0
        assert np.isfinite(r.ratio[ok]).all()
        assert np.isfinite(r.potential_mV[ok]).all()
        assert np.isfinite(r.c_in_mM[ok]).all()
        assert not (r.converged & ~ok).any()
    d = osmotic_imbalance_mOsm_kg(c_in=r.c_in_mM, c_out=c_out, impermeant_in=abs(X))
    osmotic_pressure_kPa(d, T)


@settings(max_examples=40, deadline=None)
@given(c_out=col(st.floats(min_value=0.0, max_value=1e30), 4),
       X=st.floats(min_value=-1e30, max_value=1e30),
       model=st.sampled_from(["truesdell-jones", "davies", "pitzer"]))  # fmt: skip
def test_activity_donnan_ok_implies_finite(c_out, X, model):
    r = donnan_equilibrium_activity(
        ions=["K+", "Na+", "Cl-", "HCO3-"], c_out=c_out, impermeant_charge_mM=X,
        temperature_K=310.15, gamma_fn=activity_gamma_fn(model, scale="molar"),
    )  # fmt: skip
    ok = r.status == 0
    assert np.isfinite(r.ratio[ok]).all()
    assert np.isfinite(r.c_in_mM[ok]).all()


@settings(max_examples=100, deadline=None)
@given(m=col(st.floats(min_value=0.0, max_value=1e300), 4),
       T=st.floats(min_value=1.0, max_value=1e4),
       model=st.sampled_from(MODELS))  # fmt: skip
def test_activity_models_raise_no_warning(m, T, model):
    ions = ["Na+", "Cl-", "Ca2+", "SO4 2-"]
    activity_coefficients([m], ions, T, model=model)
    activity_coefficients_long(molality=m, ion=[0, 1, 2, 3], ions=ions,
                               valence=[1, -1, 2, -2], solution=[0, 0, 0, 0],
                               temperature_K=[T], model=model)  # fmt: skip
    pitzer_ln_gamma([m], ions, T)


@settings(max_examples=100, deadline=None)
@given(c1=col(positive, 6), c2=col(positive, 6), X=anything, T=temperature,
       V=st.sampled_from([1e-300, 1e-3, 1.0, 1e300]))  # fmt: skip
def test_closed_donnan_ok_implies_finite(c1, c2, X, T, V):
    r = donnan_closed(c1_mM=c1, c2_mM=c2, valence=VALENCES, volume1_L=V,
                      volume2_L=1.0, impermeant_charge1_mM=X,
                      temperature_K=T)  # fmt: skip
    ok = np.asarray(r.status) == 0
    for name in ("ratio", "potential_mV"):
        assert np.isfinite(np.asarray(getattr(r, name))[ok]).all(), name
