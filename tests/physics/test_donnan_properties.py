"""Invariants of the Donnan solver (hypothesis): electroneutrality, Nernst = V_D."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.physics.donnan import donnan_equilibrium
from iongrad.physics.nernst import nernst_potential

VALENCES = [-3, -2, -1, 1, 2, 3]


@st.composite
def baths(draw, min_ions=2, max_ions=6):
    """Electroneutral baths of 2-6 permeant ions with valences up to 3."""
    k = draw(st.integers(min_ions, max_ions))
    z = draw(st.lists(st.sampled_from(VALENCES), min_size=k, max_size=k))
    if all(v > 0 for v in z) or all(v < 0 for v in z):
        z[0] = -z[0]
    z = np.array(z)
    c = np.array(
        draw(st.lists(st.floats(1e-3, 500.0), min_size=k, max_size=k)), dtype=float
    )
    # scale the anions so the bath is neutral
    pos, neg = (z * c)[z > 0].sum(), -(z * c)[z < 0].sum()
    c = np.where(z < 0, c * pos / neg, c)
    return c, z


charge = st.floats(-1000.0, 1000.0, allow_nan=False)
temperature = st.floats(273.15, 313.15)


@settings(max_examples=150, deadline=None)
@given(baths(), charge, temperature)
def test_electroneutral_inside_and_every_ion_at_the_donnan_potential(bath, X, T):
    c, z = bath
    res = donnan_equilibrium(c_out=c, valence=z, impermeant_charge_mM=X,
                             temperature_K=T)  # fmt: skip
    assert res.converged[0]
    c_in = res.c_in_mM[0]
    total = np.sum(np.abs(z) * c_in) + abs(X)
    assert abs(np.sum(z * c_in) + X) <= 1e-9 * total
    E = nernst_potential(c_in=c_in, c_out=c, valence=z, temperature_K=T).E_mV
    np.testing.assert_allclose(E, res.potential_mV[0], rtol=0, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(baths(), temperature)
def test_no_impermeant_charge_moves_nothing(bath, T):
    c, z = bath
    res = donnan_equilibrium(c_out=c, valence=z, impermeant_charge_mM=0.0,
                             temperature_K=T)  # fmt: skip
    assert abs(res.potential_mV[0]) < 1e-9
    np.testing.assert_allclose(res.c_in_mM[0], c, rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(baths(), charge, st.floats(1.0, 500.0), temperature)
def test_more_negative_impermeant_charge_hyperpolarizes(bath, X, dX, T):
    c, z = bath
    res = donnan_equilibrium(c_out=np.stack([c, c]), valence=z,
                             impermeant_charge_mM=[X, X - dX],
                             temperature_K=T)  # fmt: skip
    assert res.potential_mV[1] < res.potential_mV[0]


@settings(max_examples=50, deadline=None)
@given(baths(min_ions=4), charge, temperature)
def test_reversing_all_charges_reverses_the_potential(bath, X, T):
    c, z = bath
    a = donnan_equilibrium(c_out=c, valence=z, impermeant_charge_mM=X, temperature_K=T)
    b = donnan_equilibrium(c_out=c, valence=-z, impermeant_charge_mM=-X,
                           temperature_K=T)  # fmt: skip
    np.testing.assert_allclose(b.potential_mV, -a.potential_mV, rtol=1e-9, atol=1e-9)
