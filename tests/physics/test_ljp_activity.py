"""Activity-corrected stationary Nernst-Planck junctions (physics/ljp_activity.py).

No published set of activity-corrected Nernst-Planck junction potentials was found;
the model is held to two exact results instead:

- with every gamma = 1 it is the ideal model, which physics/ljp.py solves exactly
  (a different method: matrix exponentials, no discretisation);
- for one 1:1 salt whose ions share gamma (Davies: gamma depends on |z| only) the
  equations give Planck's closed form with activities for concentrations,
  V_L = (RT/F) (u+ - u-)/(u+ + u-) ln(a_P / a_B).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.physics.ljp import (
    binary_salt_ljp,
    liquid_junction_potential,
    nernst_planck_ljp,
)
from iongrad.physics.ljp_activity import (
    ln_gamma_of_ionic_strength,
    nernst_planck_activity_ljp,
)

PIPETTE = {"K+": 130, "gluconate-": 110, "HEPES-": 5, "EGTA 2-": 1, "Cl-": 24,
           "Mg2+": 2, "Na+": 11, "ATP 2-": 2}  # fmt: skip
BATH = {"K+": 3, "Cl-": 133.8, "Mg2+": 1.5, "Na+": 152.2, "SO4 2-": 1.5,
        "H2PO4-": 1.2, "Ca2+": 2.4, "HCO3-": 25}  # fmt: skip


def _ideal(c_p, c_b, z, u, T):
    return float(
        nernst_planck_ljp(
            c_pipette=c_p, c_bath=c_b, valence=z, mobility=u, temperature_K=T
        ).ljp_mV[0]
    )


@given(
    salt_p=st.floats(1, 300), salt_b=st.floats(1, 300), extra=st.floats(0, 50),
    u=st.tuples(st.floats(0.2, 2), st.floats(0.2, 2), st.floats(0.2, 2)),
)  # fmt: skip
@settings(max_examples=25)
def test_with_gamma_one_it_is_the_exact_ideal_solution(salt_p, salt_b, extra, u):
    # KCl + NaCl on one side, KCl + CaCl2 on the other: three valences at work
    c_p = np.array([salt_p, extra, 0.0, salt_p + extra])
    c_b = np.array([salt_b, 0.0, extra, salt_b + 2 * extra])
    z = np.array([1, 1, 2, -1])
    mob = np.array([1.0, *u])
    ideal = _ideal(c_p, c_b, z, mob, 298.15)
    one = lambda ionic: np.zeros((4, np.size(ionic)))  # noqa: E731
    v, ok = nernst_planck_activity_ljp(
        c_pipette=c_p, c_bath=c_b, valence=z, mobility=mob, temperature_K=298.15,
        ln_gamma=one, ideal_ljp_mV=ideal + 1.0,  # a first guess 1 mV off
    )  # fmt: skip
    assert ok
    assert v == pytest.approx(ideal, abs=1e-4)


@pytest.mark.parametrize(("c_p", "c_b"), [(150.0, 15.0), (15.0, 150.0), (300, 3)])
def test_one_salt_gives_plancks_form_with_activities(c_p, c_b):
    T = 298.15
    ln_gamma = ln_gamma_of_ionic_strength("davies", ["Na+", "Cl-"], T)
    u_na, u_cl = 0.682, 1.0382
    ideal = _ideal([c_p, c_p], [c_b, c_b], [1, -1], [u_na, u_cl], T)
    v, ok = nernst_planck_activity_ljp(
        c_pipette=[c_p, c_p], c_bath=[c_b, c_b], valence=[1, -1],
        mobility=[u_na, u_cl], temperature_K=T, ln_gamma=ln_gamma, ideal_ljp_mV=ideal,
    )  # fmt: skip
    g_p, g_b = np.exp(ln_gamma(np.array([c_p / 1000, c_b / 1000]))[0])
    closed = binary_salt_ljp(
        c_pipette=c_p * g_p, c_bath=c_b * g_b, mobility_cation=u_na,
        mobility_anion=u_cl, temperature_K=T,
    )  # fmt: skip
    assert ok
    assert v == pytest.approx(float(closed), abs=1e-4)
    assert abs(v - ideal) > 0.1  # the correction is there, not a no-op


def test_a_pipette_solution_through_the_full_call():
    ideal = liquid_junction_potential(PIPETTE, BATH, 298.15)
    act = liquid_junction_potential(PIPETTE, BATH, 298.15, activity_model="davies")
    swapped = liquid_junction_potential(BATH, PIPETTE, 298.15, activity_model="davies")
    same = liquid_junction_potential(PIPETTE, PIPETTE, 298.15, activity_model="davies")
    assert act.activity_model == "davies"
    assert ideal.activity_model is None
    assert bool(act.converged[0])
    # both sides near 0.16 mol/kg: the correction is small, but it is computed
    assert float(act.ljp_mV[0]) == pytest.approx(float(ideal.ljp_mV[0]), abs=0.5)
    assert float(act.ljp_mV[0]) != float(ideal.ljp_mV[0])
    assert float(swapped.ljp_mV[0]) == pytest.approx(-float(act.ljp_mV[0]), abs=1e-6)
    assert float(same.ljp_mV[0]) == pytest.approx(0.0, abs=1e-9)


def test_models_that_cannot_correct_a_junction_are_refused():
    with pytest.raises(ValueError, match="ionic strength only"):
        liquid_junction_potential(PIPETTE, BATH, 298.15, activity_model="pitzer")
    with pytest.raises(ValueError, match=r"gluconate-.*choose davies"):
        liquid_junction_potential(
            PIPETTE, BATH, 298.15, activity_model="truesdell-jones"
        )
    with pytest.raises(ValueError, match="nernst-planck method only"):
        liquid_junction_potential(
            PIPETTE, BATH, 298.15, method="henderson", activity_model="davies"
        )
