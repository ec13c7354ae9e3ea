"""Invariants of the Nernst engine (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iongrad.physics import nernst
from iongrad.physics.nernst import (
    CURRENT_LABELS,
    FLUX_LABELS,
    directions,
    driving_force_mV,
    electrochemical_state,
    nernst_potential,
)

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


@given(
    st.lists(
        st.tuples(
            st.one_of(conc, st.just(0.0), st.just(float("nan")), st.just(-1.0)),
            st.one_of(conc, st.just(0.0)),
            st.sampled_from([-2, -1, 0, 1, 2]),
            st.one_of(temperature, st.just(0.0)),
            st.one_of(st.floats(-150, 150), st.just(float("nan"))),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_fused_path_equals_separate_calls(rows):
    c_in, c_out, z, T, vm = (np.array(col) for col in zip(*rows, strict=True))
    fused = electrochemical_state(
        c_in=c_in, c_out=c_out, valence=z, temperature_K=T, vm_mV=vm
    )
    sep = nernst_potential(c_in=c_in, c_out=c_out, valence=z, temperature_K=T)
    df = driving_force_mV(vm_mV=vm, E_mV=sep.E_mV)
    flux, current = directions(df, z)
    np.testing.assert_array_equal(fused.E_mV, sep.E_mV)
    np.testing.assert_array_equal(fused.status, sep.status)
    np.testing.assert_array_equal(fused.driving_force_mV, df)
    np.testing.assert_array_equal(fused.flux, flux)
    np.testing.assert_array_equal(fused.current, current)


def test_blocks_boundaries_do_not_matter():
    # More rows than one kernel block, with undefined rows scattered across blocks.
    n = 3 * 2**15 + 17
    rng = np.random.default_rng(1)
    c_in = rng.uniform(0.1, 200, n)
    c_in[::5000] = 0.0
    r = nernst_potential(c_in=c_in, c_out=10.0, valence=1, temperature_K=300.0)
    ok = c_in > 0
    expected = np.log(10.0 / c_in[ok]) * 300.0 * (8.31446261815324 / 96.48533212331001)
    np.testing.assert_allclose(r.E_mV[ok], expected, rtol=1e-13)
    assert (r.status_labels[~ok] == "zero_inside").all()
    assert np.isposinf(r.E_mV[~ok]).all()


@given(
    st.lists(
        st.tuples(
            st.one_of(conc, st.sampled_from([0.0, -0.0, -1.0, float("nan")])),
            st.one_of(conc, st.sampled_from([0.0, -2.0, float("nan")])),
            st.sampled_from([-2, -1, 0, 1, 2]),
            st.one_of(temperature, st.sampled_from([0.0, -5.0, float("nan")])),
            st.one_of(st.floats(-150, 150), st.just(float("nan"))),
            st.one_of(st.floats(0.5, 1.0), st.sampled_from([0.0, float("nan")])),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([1, 2, 3, 8]),
    st.sampled_from([0.0, 0.5]),
    st.booleans(),
)
def test_results_do_not_depend_on_the_kernel_block_size(rows, block, atol, gammas):
    # The kernels work in blocks of rows, with per-block shortcuts (pre-checks, a
    # clean-block proof); tiny blocks put every kind of row at block boundaries and
    # alone in a block, and must give exactly the one-block results.
    c_in, c_out, z, T, vm, g = (np.array(col) for col in zip(*rows, strict=True))
    kw = dict(c_in=c_in, c_out=c_out, valence=z, temperature_K=T)
    if gammas:
        kw.update(gamma_in=g, gamma_out=g[::-1].copy())
    one = electrochemical_state(**kw, vm_mV=vm, atol_mV=atol)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nernst, "_BLOCK", block)
        many = electrochemical_state(**kw, vm_mV=vm, atol_mV=atol)
        sep = nernst_potential(**kw)
        df = driving_force_mV(vm_mV=vm, E_mV=sep.E_mV)
        flux, current = directions(df, z, atol)
    for r in (many, sep):
        np.testing.assert_array_equal(r.E_mV, one.E_mV)
        np.testing.assert_array_equal(r.status, one.status)
    for got in (many.driving_force_mV, df):
        np.testing.assert_array_equal(got, one.driving_force_mV)
    for got in (many.flux, flux):
        np.testing.assert_array_equal(got, one.flux)
    for got in (many.current, current):
        np.testing.assert_array_equal(got, one.current)


@given(
    st.lists(
        st.tuples(
            st.one_of(conc, st.sampled_from([0.0, -1.0, float("nan")])),
            st.one_of(conc, st.sampled_from([0.0, float("nan")])),
            st.sampled_from([-2, -1, 0, 1, 2]),
            st.one_of(temperature, st.sampled_from([0.0, float("nan")])),
            st.one_of(
                st.floats(-150, 150), st.sampled_from([0.0, 0.5, -0.5, float("nan")])
            ),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([0.0, 0.5, float("nan")]),
    st.sampled_from([1, 3, 2**15]),
)
def test_fast_directions_equal_the_general_path(rows, atol, block):
    # With a scalar atol >= 0 the directions take the fast mask arithmetic
    # (_directions_fast, scratch buffers, z < 0 taken while E is computed); forcing
    # the general path (_directions_block) must give the same codes, fused or not.
    c_in, c_out, z, T, vm = (np.array(col) for col in zip(*rows, strict=True))
    kw = dict(c_in=c_in, c_out=c_out, valence=z, temperature_K=T)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nernst, "_BLOCK", block)
        fast = electrochemical_state(**kw, vm_mV=vm, atol_mV=atol)
        fast_dirs = directions(vm, z, atol)
        mp.setattr(nernst, "_exclusive", lambda a: False)
        plain = electrochemical_state(**kw, vm_mV=vm, atol_mV=atol)
        plain_dirs = directions(vm, z, atol)
    np.testing.assert_array_equal(fast.flux, plain.flux)
    np.testing.assert_array_equal(fast.current, plain.current)
    np.testing.assert_array_equal(fast.driving_force_mV, plain.driving_force_mV)
    for got, want in zip(fast_dirs, plain_dirs, strict=True):
        np.testing.assert_array_equal(got, want)
