"""compute_potentials: no row says "ok" next to a number that is not finite."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.tables.potentials import compute_potentials

NAN = float("nan")


def table(ions, c_in, c_out, vm=NAN, **extra):
    valence = {"K+": 1, "Na+": 1, "Cl-": -1, "Ca2+": 2, "SO4 2-": -2}
    df = pd.DataFrame({
        "dataset": "d", "sample_id": "s", "temperature_K": 310.15, "ion": ions,
        "valence": [valence[i] for i in ions], "c_in_mM": c_in, "c_out_mM": c_out,
        "vm_mV": vm,
    })  # fmt: skip
    for k, v in extra.items():
        df[k] = v
    return df


def test_a_concentration_of_1e30_mM_is_not_an_ok_nan():
    # The activity model overflows (gamma_in = inf): E_act was NaN with status ok.
    out = compute_potentials(
        table(["K+", "Na+", "Cl-"], [1e30, 10.0, 10.0], [5.0, 140.0, 120.0])
    )
    assert (out["status"] != "ok").all()
    assert out["E_act_mV"].isna().all()
    assert out["status_reason"].str.contains("finite").all()


def test_sulfate_without_truesdell_jones_parameters_says_why():
    out = compute_potentials(
        table(["Na+", "Cl-", "SO4 2-"], [10.0, 10.0, 1.0], [140.0, 120.0, 10.0])
    )
    so4 = out.set_index("ion").loc["SO4 2-"]
    assert so4.status == "invalid_gamma"
    assert np.isnan(so4.E_act_mV)
    assert "SO4 2-" in so4.status_reason
    assert "Truesdell-Jones" in so4.status_reason
    assert (out.set_index("ion").loc[["Na+", "Cl-"], "status"] == "ok").all()


def test_driving_force_has_its_own_status():
    # ljp_corrected "yes": a Vm whose junction potential is in doubt has a status
    # of its own (tests/tables/test_ljp_table.py)
    out = compute_potentials(
        pd.concat([
            table(["K+", "Na+"], [140.0, 10.0], [5.0, 140.0], vm=-70.0),
            table(["K+", "Na+"], [140.0, 10.0], [5.0, 140.0]).assign(sample_id="t"),
            table(["K+", "Na+"], [140.0, NAN], [5.0, 140.0], vm=-70.0).assign(
                sample_id="u"),
        ], ignore_index=True).assign(ljp_corrected="yes")
    )  # fmt: skip
    assert out["driving_force_status"].tolist() == [
        "ok",
        "ok",
        "no_vm",
        "no_vm",
        "ok",
        "no_potential",
    ]
    status = out["driving_force_status"]
    assert np.isfinite(out["driving_force_mV"][status == "ok"]).all()
    assert (out["driving_force_reason"][status != "ok"] != "").all()


def test_rejected_rows_columns_are_carried_into_the_potentials():
    df = table(["Cl-"], [75.0], [108.0], sample_complete=False,
               sample_rejected="row 9 K+ (number_format: c_in_mM '14O')")  # fmt: skip
    out = compute_potentials(df)
    assert out["sample_complete"].tolist() == [False]
    assert out["sample_rejected"].str.contains("row 9 K+").all()
    # The accepted row's Nernst potential is a fact about that row: kept.
    assert out["status"].tolist() == ["ok"]
    assert np.isfinite(out["E_act_mV"]).all()


# Concentrations from subnormal to beyond any activity model, zeros, NaN and inf.
extreme = st.one_of(
    st.floats(min_value=0.0, max_value=1e300, allow_nan=False),
    st.sampled_from([0.0, 1e-320, 1e-300, 1e30, 1e300, NAN, np.inf, -1.0]),
)
ION = st.sampled_from(["K+", "Na+", "Cl-", "Ca2+"])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(ION, extreme, extreme), min_size=1, max_size=6),
    T=st.sampled_from([273.15, 310.15, 373.15]),
    vm=st.sampled_from([NAN, -70.0, 0.0, 1e308]),
    model=st.sampled_from(["truesdell-jones", "davies", "ideal", "pitzer"]),
)
def test_ok_always_comes_with_finite_numbers(rows, T, vm, model):
    ions, c_in, c_out = (list(x) for x in zip(*rows, strict=True))
    df = table(ions, c_in, c_out, vm=vm).assign(temperature_K=T)
    out = compute_potentials(df, activity_model=model)
    ok = out["status"] == "ok"
    for col in ("E_conc_mV", "E_act_mV", "delta_act_mV"):
        assert np.isfinite(out.loc[ok, col]).all(), col
    df_ok = out["driving_force_status"] == "ok"
    assert np.isfinite(out.loc[df_ok, "driving_force_mV"]).all()
    assert (out.loc[~ok, "status_reason"] != "").all()


@pytest.mark.parametrize("model", ["truesdell-jones", "pitzer", "davies"])
def test_extreme_inputs_raise_no_runtime_warning(model):
    # pytest turns warnings into errors: an overflow that becomes a status must be
    # silenced where it happens.
    df = table(["K+", "Na+", "Cl-"], [1e300, 1e-320, 1e30], [1e-300, 140.0, np.inf],
               vm=-70.0)  # fmt: skip
    out = compute_potentials(df, activity_model=model)
    assert (out["status"] != "ok").all()


def test_neutral_solutes_are_neutral_rows_and_count_in_the_osmotic_balance():
    from iongrad.tables.samples import compute_samples

    base = table(["K+", "Na+", "Cl-"], [140.0, 10.0, 100.0], [5.0, 140.0, 145.0])
    extra = base.iloc[:2].assign(
        ion=["glucose", "mannitol"], valence=0, c_in_mM=[5.0, 20.0],
        c_out_mM=[5.0, 0.0], permeant=[True, False],
    )  # fmt: skip
    df = pd.concat([base.assign(permeant=True), extra], ignore_index=True)
    out = compute_potentials(df)
    neutral = out.set_index("ion").loc[["glucose", "mannitol"]]
    assert neutral["status"].tolist() == ["neutral", "neutral"]
    assert (neutral["status_reason"] != "").all()
    assert (out.set_index("ion").loc[["K+", "Na+", "Cl-"], "status"] == "ok").all()
    settings = dict(donnan={"enabled": True}, ghk={"enabled": True})
    with_solutes = compute_samples(out, **settings)[0].iloc[0]
    without = compute_samples(compute_potentials(base), **settings)[0].iloc[0]
    # Permeant glucose cancels; 20 mM impermeant mannitol inside adds 20 mOsm/kg.
    assert with_solutes.osmotic_status == "ok"
    assert with_solutes.osmotic_imbalance_mOsm_kg == pytest.approx(
        without.osmotic_imbalance_mOsm_kg + 20.0, abs=1e-9
    )
    assert with_solutes.donnan_ratio == without.donnan_ratio
