"""Invariants of the activity models (hypothesis, modest example counts)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.constants import thermal_voltage_mV
from iongrad.ions import lookup
from iongrad.physics.activity import (
    MODELS,
    activity_coefficients,
    activity_coefficients_long,
    log10_gamma_debye_huckel,
    mean_activity_coefficient,
)
from iongrad.physics.ionic_strength import ionic_strength
from iongrad.physics.pitzer import _J0_J1, _J0_J1_P75, pitzer_ln_gamma

IONS = ["Na+", "K+", "Ca2+", "Mg2+", "Cl-", "HCO3-", "SO4 2-", "H+"]
Z = np.array([1, 1, 2, 2, -1, -1, -2, 1])
SETTINGS = settings(max_examples=25, deadline=None)

temperatures = st.floats(min_value=273.15, max_value=323.15)
# Zero or at least 1e-9 mol/kg: subnormal molalities (~1e-313) are no solution, and
# rescaling them to I = 1e-4 below overflows the test's own arithmetic.
molal = st.one_of(st.just(0.0), st.floats(min_value=1e-9, max_value=0.5))
compositions = st.lists(molal, min_size=len(IONS), max_size=len(IONS))


@SETTINGS
@given(comp=compositions, T=temperatures, model=st.sampled_from(MODELS))
def test_gamma_tends_to_one_as_I_tends_to_zero(comp, T, model):
    """Every model: gamma -> 1 as the solution is diluted (I -> 0)."""
    m = np.asarray(comp)
    if m.sum() == 0:
        m[0] = m[4] = 0.1
    scale = np.array([1.0, 1e-4, 1e-8, 1e-12])[:, None]
    res = activity_coefficients(m[None, :] * scale, IONS, T, model=model)
    dev = np.abs(np.log(res.gamma))
    has = np.isfinite(dev).all(axis=0)
    # Ions without parameters in the model are NaN everywhere, with a reason.
    assert set(np.array(IONS)[~has]) == set(res.ion_reasons)
    assert np.all(dev[-1, has] < 1e-4)
    assert np.all(dev[-1, has] <= dev[-2, has] + 1e-12)


@SETTINGS
@given(comp=compositions, T=temperatures, model=st.sampled_from(MODELS[1:]))
def test_all_models_agree_with_limiting_law_below_1e_4(comp, T, model):
    """Below I = 1e-4 every non-ideal model is within 0.5 % of the limiting law.

    At I = 1e-4 the size terms change log10 gamma by about A z^2 B a I ~ 1e-4 z^2
    and the Pitzer virial terms by ~m beta ~ 1e-4; 0.5 % bounds both with margin
    for z = 2.
    """
    m = np.asarray(comp)
    if m.sum() == 0:
        m[0] = m[4] = 0.1
    I = ionic_strength(m, Z)  # noqa: E741
    m = m * (1e-4 / I) * 0.999
    res = activity_coefficients(m[None, :], IONS, T, model=model, convention="unscaled")
    limiting = 10 ** log10_gamma_debye_huckel(Z, res.ionic_strength_molal[0], T)
    assert res.ionic_strength_molal[0] < 1e-4
    has = np.isfinite(res.gamma[0])
    assert set(np.array(IONS)[~has]) == set(res.ion_reasons)
    np.testing.assert_allclose(res.gamma[0, has], limiting[has], rtol=5e-3)


@SETTINGS
@given(comp=compositions, T=temperatures, model=st.sampled_from(MODELS))
def test_convention_preserves_electroneutral_combinations(comp, T, model):
    """MacInnes changes ln gamma_i by -z_i delta only: mean values unchanged."""
    m = np.asarray(comp)[None, :] + 1e-6
    a = activity_coefficients(m, IONS, T, model=model, convention="macinnes")
    b = activity_coefficients(m, IONS, T, model=model, convention="unscaled")
    diff = np.log(a.gamma[0]) - np.log(b.gamma[0])
    delta = (-diff / Z)[np.isfinite(diff)]
    np.testing.assert_allclose(delta, delta[0], atol=1e-10)
    for ic, ia in [(0, 4), (2, 4), (3, 6), (1, 5)]:
        if not np.isfinite(a.gamma[0, [ic, ia]]).all():
            assert {IONS[ic], IONS[ia]} & set(a.ion_reasons)
            continue
        ga = mean_activity_coefficient(a.gamma[0, ic], a.gamma[0, ia], Z[ic], Z[ia])
        gb = mean_activity_coefficient(b.gamma[0, ic], b.gamma[0, ia], Z[ic], Z[ia])
        assert ga == pytest.approx(gb, rel=1e-10)


@SETTINGS
@given(comp_in=compositions, comp_out=compositions, T=temperatures)
def test_convention_shifts_every_nernst_potential_by_the_same_voltage(
    comp_in, comp_out, T
):
    """Changing the convention moves every E_i = RT/(z_i F) ln(...) by one voltage."""
    m = np.asarray([comp_in, comp_out]) + 1e-4
    a = activity_coefficients(m, IONS, T, model="pitzer", convention="macinnes")
    b = activity_coefficients(m, IONS, T, model="pitzer", convention="unscaled")
    vt = float(thermal_voltage_mV(T))
    shift = vt / Z * (np.log(a.gamma[1] / a.gamma[0]) - np.log(b.gamma[1] / b.gamma[0]))
    np.testing.assert_allclose(shift, shift[0], atol=1e-8)


@SETTINGS
@given(comp=compositions, T=temperatures)
def test_macinnes_gives_gamma_cl_equal_to_kcl_mean(comp, T):
    """Under MacInnes, gamma_Cl in any solution equals gamma_pm(KCl) at the same I."""
    m = np.asarray(comp)[None, :] + 1e-6
    res = activity_coefficients(m, IONS, T, model="pitzer", convention="macinnes")
    I = res.ionic_strength_molal  # noqa: E741
    kcl = activity_coefficients(
        np.column_stack([I, I]), ["K+", "Cl-"], T, model="pitzer", convention="unscaled"
    )
    expected = np.sqrt(kcl.gamma[0, 0] * kcl.gamma[0, 1])
    assert res.gamma[0, 4] == pytest.approx(expected, rel=1e-10)


@SETTINGS
@given(
    comp=compositions,
    T=st.lists(temperatures, min_size=3, max_size=3),
    perm=st.permutations(list(range(len(IONS)))),
)
def test_pitzer_is_vectorized_and_order_free(comp, T, perm):
    """Rows are independent and column order does not matter."""
    m = np.asarray(comp) + 1e-3
    mats = np.vstack([m, m * 0.5, m * 2.0])
    full, _ = pitzer_ln_gamma(mats, IONS, T)
    for r in range(3):
        one, _ = pitzer_ln_gamma(mats[r : r + 1], IONS, T[r])
        np.testing.assert_allclose(full[r], one[0], rtol=1e-12, atol=1e-14)
    perm = list(perm)
    shuffled, _ = pitzer_ln_gamma(mats[:, perm], [IONS[p] for p in perm], T)
    np.testing.assert_allclose(shuffled, full[:, perm], rtol=1e-12, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(min_value=1e-3, max_value=50.0), fn=st.sampled_from([0, 1]))
def test_J1_is_the_derivative_of_J0(x, fn):
    """J' (Harvie Chebyshev and Pitzer 1975 fit) matches a central difference of J0."""
    f = (_J0_J1, _J0_J1_P75)[fn]
    # J0 is ~1e-6 near x = 1e-3 while the Chebyshev sum carries O(1) terms: a step
    # of 1e-6 x loses 1e-5 of the difference to rounding, 1e-4 x keeps it below 1e-6
    # and the truncation error too (worst 5e-7 over the range).
    h = 1e-4 * x
    if fn == 0 and abs(x - 1.0) < 2 * h:
        x = 1.0 + 4 * h  # Harvie switches series at x = 1
    num = (f(x + h)[0] - f(x - h)[0]) / (2 * h)
    assert f(x)[1] == pytest.approx(num, rel=1e-5)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(min_value=0.05, max_value=100.0))
def test_harvie_J0_agrees_with_pitzer_1975_fit(x):
    """Two independent J0 evaluations agree to 2 % (the 1975 fit's stated accuracy
    is about 1 %; both appear in Pitzer 1991 ch. 3)."""
    assert float(_J0_J1(x)[0]) == pytest.approx(float(_J0_J1_P75(x)[0]), rel=0.02)


def test_single_salt_matches_pitzer_closed_form():
    """The mixture code reduces to Pitzer's single-salt gamma_pm formula (CaCl2).

    ln g_pm = |zMzX| f + m (2 nuM nuX / nu) B^g + m^2 (2 (nuM nuX)^1.5 / nu) C^g
    (Pitzer 1991 ch. 3, eqs. 24-25), with CaCl2 parameters from pitzer_binary.csv.
    """
    from iongrad.physics.water import debye_huckel_A_phi

    m = np.array([0.01, 0.1, 0.5, 1.0, 2.0])
    b0, b1, cphi, alpha, b = 0.3159, 1.614, -0.00034, 2.0, 1.2
    A = debye_huckel_A_phi(298.15)
    I = 3 * m  # noqa: E741
    s = np.sqrt(I)
    f = -A * (s / (1 + b * s) + 2 / b * np.log(1 + b * s))
    x = alpha * s
    Bg = 2 * b0 + 2 * b1 / x**2 * (1 - (1 + x - x**2 / 2) * np.exp(-x))
    Cg = 1.5 * cphi
    ln_pm = 2 * f + m * (4 / 3) * Bg + m**2 * (2 * 2**1.5 / 3) * Cg
    lg, _ = pitzer_ln_gamma(np.column_stack([m, 2 * m]), ["Ca2+", "Cl-"], 298.15)
    np.testing.assert_allclose((lg[:, 0] + 2 * lg[:, 1]) / 3, ln_pm, rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Na+", "K+", "Cl-", "Ca2+", "Mg2+", "HCO3-"]),
            st.floats(1e-4, 0.2),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.floats(273.15, 318.15), min_size=4, max_size=4),
    st.sampled_from(
        ["debye-huckel", "davies", "extended-debye-huckel", "truesdell-jones"]
    ),
    st.sampled_from(["macinnes", "unscaled"]),
)
def test_long_layout_gives_each_element_its_model_gamma(elements, temps, model, conv):
    """The long layout evaluates A(T) and B(T) once per solution: each element's
    gamma is the model's equation at its solution's I and T, as evaluated alone."""
    elements = list({(e[0], e[2]): e for e in elements}.values())  # once per solution
    ions = sorted({e[0] for e in elements})
    symbol = [e[0] for e in elements]
    z = np.array([lookup(s).valence for s in symbol], dtype=float)
    m = np.array([e[1] for e in elements])
    sol = np.array([e[2] for e in elements])
    T = np.array(temps)
    r = activity_coefficients_long(
        molality=m, ion=[ions.index(s) for s in symbol], ions=ions, valence=z,
        solution=sol, temperature_K=T, model=model, convention=conv,
    )  # fmt: skip
    for e in range(len(symbol)):
        alone = activity_coefficients(
            m[sol == sol[e]][None, :],
            [symbol[k] for k in np.flatnonzero(sol == sol[e])],
            T[sol[e]],
            model=model,
            convention=conv,
        ).gamma[0]
        k = list(np.flatnonzero(sol == sol[e])).index(e)
        np.testing.assert_allclose(r.gamma[e], alone[k], rtol=1e-13)
