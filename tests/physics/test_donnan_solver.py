"""Open and closed Donnan equilibria: published values, closed forms, edge cases."""

import numpy as np
import pandas as pd
import pytest

from iongrad.ions import lookup
from iongrad.numerics import solve_monotone
from iongrad.physics.activity import MODELS
from iongrad.physics.donnan import (
    DONNAN_STATUS,
    activity_gamma_fn,
    donnan_closed,
    donnan_equilibrium,
    donnan_equilibrium_activity,
    donnan_ratio_1to1,
)
from iongrad.physics.nernst import nernst_potential
from iongrad.tables.activity import activity_table

T25 = 298.15


def test_open_kcl_with_impermeant_anion_issue5_values():
    # Issue 5 / Hille 2001 ch. 14 worked case: 100 mM KCl bath, 100 mM monovalent
    # impermeant anion inside, 25 degC -> r = golden ratio 1.6180, Cl_in = 61.803,
    # K_in = 161.803 mM, V_D = -12.36 mV (values given to 3 decimals / 0.01 mV).
    res = donnan_equilibrium(
        c_out=[100.0, 100.0], valence=[1, -1], impermeant_charge_mM=-100.0,
        temperature_K=T25,
    )  # fmt: skip
    k_in, cl_in = res.c_in_mM[0]
    assert k_in == pytest.approx(161.803, abs=5e-4)
    assert cl_in == pytest.approx(61.803, abs=5e-4)
    assert res.potential_mV[0] == pytest.approx(-12.36, abs=5e-3)
    assert res.ratio[0] == pytest.approx((1 + 5**0.5) / 2, rel=1e-14)
    assert res.converged[0]
    assert res.closed_form[0]


@pytest.mark.parametrize(
    ("c_out", "valence", "X", "r_exact", "name"),
    [
        # 2:1 bath CaCl2 (Ca 50, Cl 100), X = -100: 100 r^2 - 100/r - 100 = 0, i.e.
        # r^3 = r + 1: r is the plastic number.
        ([50.0, 100.0], [2, -1], -100.0, 1.324717957244746, "CaCl2, plastic number"),
        # 1:2 bath Na2SO4 (Na 100, SO4 50), X = -100: r^3 = r^2 + 1: the supergolden
        # ratio.
        ([100.0, 50.0], [1, -2], -100.0, 1.465571231876768, "Na2SO4, supergolden"),
    ],
)
def test_multivalent_baths_have_closed_form_roots(c_out, valence, X, r_exact, name):
    res = donnan_equilibrium(
        c_out=c_out, valence=valence, impermeant_charge_mM=X, temperature_K=T25
    )
    assert res.ratio[0] == pytest.approx(r_exact, rel=1e-12), name
    assert not res.closed_form[0]
    assert res.converged[0]
    assert abs(res.residual[0]) < 1e-12


def test_closed_form_agrees_with_solver_to_1e_9():
    rng = np.random.default_rng(5)
    n = 2000
    c = rng.uniform(1e-3, 500.0, size=(n, 3))
    X = rng.uniform(-400.0, 400.0, size=n)
    kw = dict(c_out=c, valence=[1, 1, -1], impermeant_charge_mM=X, temperature_K=T25)
    closed = donnan_equilibrium(**kw)
    newton = donnan_equilibrium(**kw, closed_form=False)
    assert closed.closed_form.all()
    assert not newton.closed_form.any()
    assert newton.converged.all()
    np.testing.assert_allclose(newton.ratio, closed.ratio, rtol=1e-9, atol=0)
    np.testing.assert_allclose(newton.c_in_mM, closed.c_in_mM, rtol=1e-9, atol=0)


def test_ratio_1to1_stable_branches():
    # X > 0 branch avoids cancellation: tiny C+ C- relative to X^2.
    r = donnan_ratio_1to1(c_cation=1e-6, c_anion=1e-6, impermeant_charge_mM=1e4)
    # exact: r = 2 C- / (X + sqrt(X^2 + 4 C+ C-)) ~= C-/X
    assert float(r) == pytest.approx(1e-10, rel=1e-9)
    assert np.isnan(
        donnan_ratio_1to1(c_cation=0.0, c_anion=5.0, impermeant_charge_mM=-1.0)
    )


def test_classic_closed_two_compartment_experiment():
    # Issue 5 / Boron & Boulpaep 2017 fig. 5-8 type experiment: side 1 100 mM K+A-,
    # side 2 100 mM KCl, equal volumes, 25 degC: [K]1/[K]2 = 2 and
    # phi1 - phi2 = -(RT/F) ln 2 = -17.81 mV (given to 0.01 mV).
    res = donnan_closed(
        c1_mM=[100.0, 0.0], c2_mM=[100.0, 100.0], valence=[1, -1], volume1_L=1.0,
        volume2_L=1.0, impermeant_charge1_mM=-100.0, temperature_K=T25,
    )  # fmt: skip
    assert res.ratio[0] == pytest.approx(2.0, rel=1e-12)
    assert res.potential_mV[0] == pytest.approx(-17.81, abs=5e-3)
    np.testing.assert_allclose(res.c1_mM[0], [400 / 3, 100 / 3], rtol=1e-12)
    np.testing.assert_allclose(res.c2_mM[0], [200 / 3, 200 / 3], rtol=1e-12)
    assert res.converged[0]


def test_closed_system_conserves_amounts_and_tends_to_open_system():
    c1 = np.array([[20.0, 10.0, 1.0, 9.0], [5.0, 140.0, 2.0, 100.0]])
    c2 = np.array([[140.0, 5.0, 2.0, 149.0], [140.0, 5.0, 1.0, 147.0]])
    z = [1, 1, 2, -1]
    X1 = np.array([-(20 + 10 + 2 - 9), -(5 + 140 + 4 - 100)], dtype=float)
    V1, V2 = np.array([1.0, 0.5]), np.array([1.0, 3.0])
    res = donnan_closed(c1_mM=c1, c2_mM=c2, valence=z, volume1_L=V1, volume2_L=V2,
                        impermeant_charge1_mM=X1, temperature_K=310.15)  # fmt: skip
    assert res.converged.all()
    np.testing.assert_allclose(
        res.c1_mM * V1[:, None] + res.c2_mM * V2[:, None],
        c1 * V1[:, None] + c2 * V2[:, None], rtol=1e-12,
    )  # fmt: skip
    # A huge bath is the open system.
    big = donnan_closed(c1_mM=c1, c2_mM=c2, valence=z, volume1_L=1e-6, volume2_L=1.0,
                        impermeant_charge1_mM=X1, temperature_K=310.15)  # fmt: skip
    open_ = donnan_equilibrium(c_out=c2, valence=z, impermeant_charge_mM=X1,
                               temperature_K=310.15)  # fmt: skip
    np.testing.assert_allclose(big.ratio, open_.ratio, rtol=1e-5)


def test_closed_system_flags_a_non_neutral_start():
    res = donnan_closed(
        c1_mM=[100.0, 0.0], c2_mM=[100.0, 90.0], valence=[1, -1], volume1_L=1.0,
        volume2_L=1.0, impermeant_charge1_mM=-100.0, temperature_K=T25,
    )  # fmt: skip
    assert not res.converged[0]
    assert DONNAN_STATUS[res.status[0]] == "not_converged"


@pytest.mark.parametrize(
    ("c_out", "valence", "X", "status"),
    [
        ([100.0], [1], 0.0, "no_equilibrium"),  # cations only, no impermeant charge
        ([100.0], [1], 50.0, "no_equilibrium"),  # cations only, positive X
        ([100.0, 0.0], [1, -1], 0.0, "no_equilibrium"),
        ([np.nan, 100.0], [1, -1], -10.0, "invalid_input"),
        ([-1.0, 100.0], [1, -1], -10.0, "invalid_input"),
        ([100.0, 100.0], [1, -1], np.nan, "invalid_input"),
    ],
)
def test_undefined_problems_are_marked_not_raised(c_out, valence, X, status):
    res = donnan_equilibrium(
        c_out=c_out, valence=valence, impermeant_charge_mM=X, temperature_K=T25
    )
    assert DONNAN_STATUS[res.status[0]] == status
    assert not res.converged[0]
    assert np.isnan(res.potential_mV[0])
    assert np.isnan(res.c_in_mM).all()


def test_one_sided_baths_with_the_right_impermeant_sign_have_roots():
    # Only Cl- permeant, X = +50 (impermeant cations): Cl_in = 50 -> r = 2.
    res = donnan_equilibrium(c_out=[100.0], valence=[-1], impermeant_charge_mM=50.0,
                             temperature_K=T25)  # fmt: skip
    assert res.c_in_mM[0, 0] == pytest.approx(50.0, rel=1e-12)
    # Only Ca2+ permeant, X = -50: 2 Ca_in = 50 -> Ca_in = 25 -> r = 0.5**0.5... r^2=1/4
    res = donnan_equilibrium(c_out=[100.0], valence=[2], impermeant_charge_mM=-50.0,
                             temperature_K=T25)  # fmt: skip
    assert res.c_in_mM[0, 0] == pytest.approx(25.0, rel=1e-12)
    assert res.ratio[0] == pytest.approx(0.5, rel=1e-12)


def test_batch_rows_are_independent():
    c = np.array([[100.0, 100.0, 2.0], [140.0, 150.0, 0.0], [np.nan, 1.0, 1.0]])
    X = np.array([-100.0, -50.0, -1.0])
    batch = donnan_equilibrium(c_out=c, valence=[1, -1, 2], impermeant_charge_mM=X,
                               temperature_K=[T25, 310.15, T25])  # fmt: skip
    for i in range(2):
        one = donnan_equilibrium(c_out=c[i], valence=[1, -1, 2],
                                 impermeant_charge_mM=X[i],
                                 temperature_K=[T25, 310.15][i])  # fmt: skip
        assert batch.ratio[i] == pytest.approx(one.ratio[0], rel=1e-13)
    assert DONNAN_STATUS[batch.status[2]] == "invalid_input"


def test_solve_monotone_bisects_when_newton_leaves_the_bracket():
    # arctan: Newton diverges from x0 = 3 without the safeguard.
    x, ok, _it = solve_monotone(lambda x, i: (np.arctan(x), 1 / (1 + x * x)),
                               [-10.0], [20.0], x0=[3.0])  # fmt: skip
    assert ok[0]
    assert abs(x[0]) < 1e-12


# ---------------------------------------------------------------- activities
A_DAVIES_25C = 0.5085  # Debye-Hueckel A (log10, kg^1/2 mol^-1/2) at 25 degC,
# Robinson & Stokes 1959 App. 7.1; fixed here, the test only needs a smooth model.


def davies(c_by_ion, temperature_K):
    """Davies (1962) log10 gamma = -A z^2 (sqrt I/(1 + sqrt I) - 0.3 I), c in mM."""
    ionic = sum(0.5 * lookup(s).valence ** 2 * np.asarray(c) / 1000.0
                for s, c in c_by_ion.items())  # fmt: skip
    sq = np.sqrt(ionic)
    return {
        s: 10
        ** (-A_DAVIES_25C * lookup(s).valence ** 2 * (sq / (1 + sq) - 0.3 * ionic))
        for s in c_by_ion
    }


def test_activity_donnan_is_self_consistent():
    ions = ["Na+", "K+", "Ca2+", "Cl-"]
    c_out = np.array([[140.0, 5.0, 2.0, 149.0], [100.0, 10.0, 0.0, 110.0]])
    X = np.array([-120.0, -60.0])
    res = donnan_equilibrium_activity(ions=ions, c_out=c_out, impermeant_charge_mM=X,
                                      temperature_K=T25, gamma_fn=davies)  # fmt: skip
    assert res.converged.all()
    assert res.activity_converged.all()
    z = np.array([lookup(s).valence for s in ions])
    # gamma_in is the model's value at the predicted interior (impermeant included)
    inside = {s: res.c_in_mM[:, j] for j, s in enumerate(ions)}
    inside["A-"] = np.abs(X)
    g_model = np.stack([davies(inside, T25)[s] for s in ions], axis=1)
    np.testing.assert_allclose(res.gamma_in, g_model, rtol=1e-9)
    # Activity-based Nernst potential of every present ion equals V_D.
    E = nernst_potential(
        c_in=res.c_in_mM, c_out=c_out, valence=z, temperature_K=T25,
        gamma_in=res.gamma_in, gamma_out=res.gamma_out,
    ).E_mV  # fmt: skip
    present = c_out > 0
    np.testing.assert_allclose(
        E[present], np.broadcast_to(res.potential_mV[:, None], E.shape)[present],
        atol=1e-9,
    )  # fmt: skip
    # and it differs from the ideal answer (the iteration did something)
    ideal = donnan_equilibrium(c_out=c_out, valence=z, impermeant_charge_mM=X,
                               temperature_K=T25)  # fmt: skip
    assert np.all(np.abs(res.potential_mV - ideal.potential_mV) > 0.05)


def test_activity_donnan_with_unit_gammas_is_the_ideal_answer():
    def ones(c_by_ion, temperature_K):
        return {s: np.ones_like(np.asarray(c, float)) for s, c in c_by_ion.items()}

    res = donnan_equilibrium_activity(ions=["K+", "Cl-"], c_out=[100.0, 100.0],
                                      impermeant_charge_mM=-100.0, temperature_K=T25,
                                      gamma_fn=ones)  # fmt: skip
    assert res.ratio[0] == pytest.approx((1 + 5**0.5) / 2, rel=1e-14)
    assert res.activity_iterations[0] == 1


def test_activity_model_names_go_through_iongrad_activity():
    res = donnan_equilibrium_activity(
        ions=["K+", "Cl-"], c_out=[100.0, 100.0], impermeant_charge_mM=-100.0,
        temperature_K=T25, gamma_fn=activity_gamma_fn("davies", scale="molar"),
    )  # fmt: skip
    assert res.converged[0]
    assert 0.6 < res.gamma_in[0, 0] < 0.9
    # Activity-corrected Donnan is shallower than ideal (higher interior I).
    assert -12.36 < res.potential_mV[0] < -11.0


def _random_problems(n, seed):
    rng = np.random.default_rng(seed)
    z = rng.choice(np.array([-3, -2, -1, 1, 2, 3]), size=(n, 5))
    z[:, 0], z[:, 1] = np.abs(z[:, 0]), -np.abs(z[:, 1])
    c = rng.uniform(0.01, 300.0, size=(n, 5))
    c[rng.random((n, 5)) < 0.2] = 0.0
    c[:, :2] = np.maximum(c[:, :2], 1.0)
    X = rng.uniform(-400.0, 400.0, size=n)
    return c, z, X


def test_blocked_solve_equals_one_block(monkeypatch):
    import iongrad.physics.donnan as donnan_module

    c, z, X = _random_problems(200, 3)
    c[5, 2] = np.nan  # an invalid row inside a block
    one = donnan_equilibrium(c_out=c, valence=z, impermeant_charge_mM=X,
                             temperature_K=T25)  # fmt: skip
    monkeypatch.setattr(donnan_module, "BLOCK_ROWS", 7)
    blocked = donnan_equilibrium(c_out=c, valence=z, impermeant_charge_mM=X,
                                 temperature_K=T25)  # fmt: skip
    np.testing.assert_array_equal(blocked.status, one.status)
    np.testing.assert_allclose(blocked.ratio, one.ratio, rtol=1e-14)
    np.testing.assert_allclose(blocked.c_in_mM, one.c_in_mM, rtol=1e-14)
    assert DONNAN_STATUS[blocked.status[5]] == "invalid_input"
    assert blocked.converged.sum() == 199


def test_a_posteriori_check_polishes_a_loose_iteration(monkeypatch):
    import iongrad.physics.donnan as donnan_module

    c, z, X = _random_problems(300, 4)
    ref = donnan_equilibrium(c_out=c, valence=z, impermeant_charge_mM=X,
                             temperature_K=T25)  # fmt: skip
    # Stop the iteration far too early: the a posteriori Newton polish must still
    # deliver ln r within xtol.
    monkeypatch.setattr(donnan_module, "HALLEY_STEP_TOL", 0.3)
    loose = donnan_equilibrium(c_out=c, valence=z, impermeant_charge_mM=X,
                               temperature_K=T25)  # fmt: skip
    assert loose.converged.all()
    np.testing.assert_allclose(np.log(loose.ratio), np.log(ref.ratio), atol=1e-11)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scale", ["molal", "molar"])
def test_activity_gamma_fn_equals_activity_table(model, scale):
    # The solver's callback runs the model on arrays; it must give what the table
    # interface gives for the same solutions (one sample per solution), including
    # a negative concentration (undefined) and an unmeasured one (left out of I).
    rng = np.random.default_rng(11)
    n = 40
    c = {"K+": rng.uniform(1, 200, n), "Cl-": rng.uniform(1, 200, n),
         "Ca2+": rng.uniform(0, 5, n), "A-": rng.uniform(0, 100, n)}  # fmt: skip
    c["K+"][3], c["Cl-"][4] = -1.0, np.nan
    T = rng.uniform(280.0, 310.0, n)
    got = activity_gamma_fn(model, scale=scale)(c, T)
    k = len(c)
    frame = pd.DataFrame({
        "dataset": "d", "sample_id": np.tile(np.arange(n).astype(str), k),
        "ion": np.repeat(list(c), n),
        "valence": np.repeat([lookup(s).valence for s in c], n),
        "c_in_mM": np.concatenate(list(c.values())), "c_out_mM": 1.0,
        "temperature_K": np.tile(T, k), "concentration_scale": scale,
    })  # fmt: skip
    want = activity_table(frame, model=model)["gamma_in_model"].to_numpy()
    np.testing.assert_allclose(
        np.concatenate([got[s] for s in c]), want, rtol=1e-14, equal_nan=True
    )
