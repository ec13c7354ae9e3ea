"""Invariants of the Nernst engine (hypothesis)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from iongrad.nernst import CURRENT_LABELS, FLUX_LABELS, directions, nernst_potential

conc = st.floats(min_value=1e-6, max_value=1e4, allow_nan=False, allow_infinity=False)
valence = st.sampled_from([-3, -2, -1, 1, 2, 3])
temperature = st.floats(min_value=250.0, max_value=400.0)
scale = st.floats(min_value=1e-3, max_value=1e3)


def E(c_in, c_out, z, T):
    return nernst_potential(
        c_in=c_in, c_out=c_out, valence=z, temperature_K=T
    ).E_mV.item()


@given(conc, conc, valence, temperature)
def test_swapping_sides_negates(c_in, c_out, z, T):
    assert np.isclose(
        E(c_in, c_out, z, T), -E(c_out, c_in, z, T), rtol=1e-12, atol=1e-9
    )


@given(conc, conc, valence, temperature)
def test_flipping_valence_negates(c_in, c_out, z, T):
    assert np.isclose(
        E(c_in, c_out, z, T), -E(c_in, c_out, -z, T), rtol=1e-12, atol=1e-9
    )


@given(conc, conc, valence, temperature, scale)
def test_scaling_both_sides_leaves_E(c_in, c_out, z, T, k):
    assert np.isclose(E(c_in, c_out, z, T), E(k * c_in, k * c_out, z, T), atol=1e-7)


@given(conc, conc, valence, temperature, st.floats(min_value=0.1, max_value=3.0))
def test_E_proportional_to_T(c_in, c_out, z, T, k):
    assert np.isclose(E(c_in, c_out, z, k * T), k * E(c_in, c_out, z, T), atol=1e-9)


@given(
    st.floats(min_value=-200, max_value=200, allow_nan=False),
    st.floats(min_value=-200, max_value=200, allow_nan=False),
    valence,
)
def test_direction_labels_follow_sign_of_driving_force(vm, e, z):
    df = vm - e
    flux, current = directions(df, z)
    flux, current = FLUX_LABELS[flux].item(), CURRENT_LABELS[current].item()
    if df > 0:
        assert current == "outward"
        assert flux == ("efflux" if z > 0 else "influx")
    elif df < 0:
        assert current == "inward"
        assert flux == ("influx" if z > 0 else "efflux")
    else:
        assert (flux, current) == ("none", "none")
