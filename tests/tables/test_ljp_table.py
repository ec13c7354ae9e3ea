"""Per-sample liquid junction potentials (tables/ljp.py) and their use for Vm.

Sign: ljp_mV = phi_bath - phi_pipette; whole-cell Vm = Vm_measured - ljp_mV. A
K-gluconate pipette against an ACSF bath gives about +16 mV (Nernst-Planck), so a
corrected Vm is about 16 mV more negative than the reading.
"""

import numpy as np
import pandas as pd
import pytest

from iongrad.physics import ljp as physics_ljp
from iongrad.tables import ljp as ljp_mod
from iongrad.tables.ljp import (
    DISAGREEMENT_MV,
    SolutionError,
    ljp_columns,
    parse_solutions,
    sample_ljp,
)
from iongrad.tables.potentials import compute_potentials
from iongrad.tables.samples import compute_samples

NAN = float("nan")
KGLU = "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1, HEPES=5"
ACSF = "Na+=145, K+=2.8, Cl-=148.8, Mg2+=2, Ca2+=1, HEPES=5"
CSMES = "Cs+=130, methanesulfonate=130, Na+=10, Cl-=10"
SOLUTIONS = {"KGluconate": KGLU, "ACSF": ACSF, "CsMeSO3": CSMES}
RECORDING = {"pipette": "KGluconate", "bath": "ACSF"}


def table(samples, vm=-60.0, temperature_K=295.15, ljp_corrected="no", **extra):
    """Rows K+, Na+, Cl- for each sample id; per-sample values may be lists."""
    n = len(samples)

    def per(value):
        return list(value) if isinstance(value, list | tuple) else [value] * n

    rows = []
    for s, v, t, c, *more in zip(
        samples, per(vm), per(temperature_K), per(ljp_corrected),
        *(per(x) for x in extra.values()), strict=True,
    ):  # fmt: skip
        for ion, z, cin, cout in (
            ("K+", 1, 145.0, 2.8),
            ("Na+", 1, 13.0, 145.0),
            ("Cl-", -1, 10.0, 148.8),
        ):
            row = {
                "dataset": "d", "sample_id": s, "cell_type": "neuron",
                "temperature_K": t, "ion": ion, "valence": z, "c_in_mM": cin,
                "c_out_mM": cout, "vm_mV": v, "ljp_mV": NAN, "ljp_corrected": c,
                "source_file": "data/raw/d.csv", "source_row": len(rows) + 2,
            }  # fmt: skip
            row.update(dict(zip(extra, more, strict=True)))
            rows.append(row)
    return pd.DataFrame(rows)


def direct(pipette=KGLU, bath=ACSF, temperature_K=295.15, method=None):
    """The physics module's LJP for one junction, [mV]."""
    parsed = parse_solutions({"p": pipette, "b": bath})
    kwargs = {} if method is None else {"method": method}
    res = physics_ljp.liquid_junction_potential(
        parsed["p"], parsed["b"], temperature_K, **kwargs
    )
    return float(res.ljp_mV[0])


def one(out, sample="a"):
    return out.set_index("sample_id").loc[sample]


# ------------------------------------------------------------------ the sign
def test_kgluconate_pipette_against_acsf_is_positive_and_vm_moves_negative():
    out = sample_ljp(table(["a"]), solutions=SOLUTIONS, recording=RECORDING)
    a = one(out)
    assert a.ljp_computed_mV == pytest.approx(direct(), abs=1e-9)
    assert 14.0 < a.ljp_computed_mV < 17.0  # JPCalc gives +15.6 (Henderson, 20 C)
    assert a.ljp_applied_mV == pytest.approx(a.ljp_computed_mV)
    assert a.vm_corrected_mV == pytest.approx(-60.0 - a.ljp_computed_mV)
    assert a.vm_corrected_mV < -74.0  # more negative than the reading
    assert a.vm_mV == -60.0  # what the file says, unchanged
    assert (a.ljp_source, a.ljp_status) == ("computed", "ok")
    assert (a.pipette_solution, a.bath_solution) == ("KGluconate", "ACSF")
    assert a.ljp_method == physics_ljp.DEFAULT_METHOD


def test_the_method_comes_from_the_recording():
    rec = {**RECORDING, "method": "henderson"}
    a = one(sample_ljp(table(["a"]), solutions=SOLUTIONS, recording=rec))
    assert a.ljp_method == "henderson"
    assert a.ljp_computed_mV == pytest.approx(direct(method="henderson"), abs=1e-9)
    assert a.ljp_computed_mV == pytest.approx(15.72, abs=0.01)


def test_each_sample_at_its_own_temperature():
    df = table(["a", "b"], temperature_K=[293.15, 310.15])
    out = sample_ljp(df, solutions=SOLUTIONS, recording=RECORDING)
    assert one(out, "a").ljp_computed_mV == pytest.approx(direct(temperature_K=293.15))
    assert one(out, "b").ljp_computed_mV == pytest.approx(direct(temperature_K=310.15))


# ------------------------------------------------------------- the three rules
def test_ljp_corrected_yes_applies_nothing():
    a = one(sample_ljp(table(["a"], ljp_corrected="yes"), SOLUTIONS, RECORDING))
    assert a.ljp_applied_mV == 0.0
    assert a.vm_corrected_mV == -60.0
    assert a.ljp_status == "ok"
    assert a.ljp_source == "none"
    assert a.ljp_computed_mV == pytest.approx(direct())  # still reported


def test_file_ljp_wins_over_the_computed_one_and_a_disagreement_is_flagged():
    df = table(["a", "b"], ljp_mV=[12.0, 15.9])
    out = sample_ljp(df, solutions=SOLUTIONS, recording=RECORDING)
    a, b = one(out, "a"), one(out, "b")
    assert a.ljp_applied_mV == 12.0
    assert a.ljp_source == "file"
    assert a.vm_corrected_mV == pytest.approx(-72.0)
    assert a.ljp_file_mV == 12.0
    assert a.ljp_difference_mV == pytest.approx(12.0 - direct())
    assert a.ljp_status == "vm_ljp_disagrees"
    assert f"{DISAGREEMENT_MV:g} mV" in a.ljp_reason
    # within the tolerance: the file's value is applied, no flag
    assert b.ljp_applied_mV == 15.9
    assert b.ljp_status == "ok"
    assert abs(b.ljp_difference_mV) < DISAGREEMENT_MV


def test_a_file_ljp_without_solutions_is_applied():
    a = one(sample_ljp(table(["a"], ljp_mV=10.0), solutions=None, recording=None))
    assert (a.ljp_source, a.ljp_applied_mV, a.ljp_status) == ("file", 10.0, "ok")
    assert np.isnan(a.ljp_computed_mV)
    assert np.isnan(a.ljp_difference_mV)
    assert a.vm_corrected_mV == -70.0


def test_no_ljp_known_leaves_vm_and_flags_it():
    a = one(sample_ljp(table(["a"]), solutions=None, recording=None))
    assert a.vm_corrected_mV == -60.0
    assert a.ljp_applied_mV == 0.0
    assert a.ljp_source == "none"
    assert a.ljp_status == "vm_ljp_uncorrected"
    assert "no liquid junction potential" in a.ljp_reason


def test_unreported_is_flagged_even_when_the_ljp_can_be_computed():
    df = table(["a"], ljp_corrected="unreported")
    a = one(sample_ljp(df, solutions=SOLUTIONS, recording=RECORDING))
    assert a.ljp_computed_mV == pytest.approx(direct())
    assert a.ljp_applied_mV == 0.0
    assert a.vm_corrected_mV == -60.0
    assert a.ljp_status == "vm_ljp_uncorrected"
    assert "LJP correction unreported" in a.ljp_reason


def test_no_vm_is_its_own_status():
    a = one(sample_ljp(table(["a"], vm=NAN), SOLUTIONS, RECORDING))
    assert a.ljp_status == "no_vm"
    assert np.isnan(a.vm_corrected_mV)
    assert a.ljp_computed_mV == pytest.approx(direct())


# ------------------------------------------------------ solutions by column
def test_solution_columns_override_the_recording_per_sample():
    df = table(
        ["a", "b"],
        pipette_solution=["CsMeSO3", None],
        bath_solution=["ACSF", None],
    )
    out = sample_ljp(df, solutions=SOLUTIONS, recording=RECORDING)
    assert one(out, "a").pipette_solution == "CsMeSO3"
    assert one(out, "a").ljp_computed_mV == pytest.approx(direct(pipette=CSMES))
    assert one(out, "b").pipette_solution == "KGluconate"  # the recording's
    assert one(out, "b").ljp_computed_mV == pytest.approx(direct())


def test_an_unknown_solution_name_is_located_with_close_matches():
    df = table(["a", "b"], pipette_solution=["KGluconate", "KGluconat"])
    with pytest.raises(SolutionError) as err:
        sample_ljp(df, solutions=SOLUTIONS, recording=RECORDING)
    text = str(err.value)
    assert "data/raw/d.csv" in text
    assert "row 5" in text
    assert "pipette_solution" in text
    assert "'KGluconat'" in text
    assert "KGluconate" in text.split("'KGluconat'")[1]  # the close match


def test_a_solution_column_without_configured_solutions_is_an_error():
    df = table(["a"], pipette_solution="KGluconate", bath_solution="ACSF")
    with pytest.raises(SolutionError, match="solutions"):
        sample_ljp(df, solutions={}, recording=None)
    # None: not asked to compute (the temperature scan): names kept, no LJP
    a = one(sample_ljp(df, solutions=None, recording=None))
    assert a.pipette_solution == "KGluconate"
    assert np.isnan(a.ljp_computed_mV)
    assert a.ljp_status == "vm_ljp_uncorrected"


def test_a_bad_ion_in_a_solution_names_the_solution_and_close_matches():
    with pytest.raises(SolutionError) as err:
        parse_solutions({"KGluconate": "Potasium=145, gluconate=145"})
    assert "KGluconate" in str(err.value)
    assert "K+" in str(err.value)


def test_three_solutions_cost_one_solve_per_pair_for_many_samples(monkeypatch):
    calls = []
    real = physics_ljp.liquid_junction_potential

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ljp_mod, "liquid_junction_potential", counting)
    ids = [f"s{i}" for i in range(600)]
    pip = ["KGluconate" if i % 2 else "CsMeSO3" for i in range(600)]
    temps = [295.15 if i % 3 else 308.15 for i in range(600)]
    df = table(ids, pipette_solution=pip, bath_solution="ACSF", temperature_K=temps)
    out = sample_ljp(df, solutions=SOLUTIONS, recording=None)
    assert len(calls) == 2  # two (pipette, bath) pairs, all temperatures at once
    assert out["ljp_computed_mV"].notna().all()
    assert one(out, "s1").ljp_computed_mV == pytest.approx(direct(temperature_K=295.15))
    assert one(out, "s0").ljp_computed_mV == pytest.approx(
        direct(pipette=CSMES, temperature_K=308.15)
    )


def test_per_row_columns_are_constant_within_each_sample():
    df = table(["a", "b"], ljp_mV=[12.0, NAN], ljp_corrected=["no", "yes"])
    cols = ljp_columns(df, solutions=SOLUTIONS, recording=RECORDING)
    rows = pd.DataFrame(cols).assign(sample_id=df["sample_id"])
    for name in cols:
        assert (rows.groupby("sample_id")[name].nunique(dropna=False) == 1).all(), name
    assert len(rows) == len(df)


# ------------------------------------------ every comparison uses corrected Vm
def test_driving_force_uses_the_corrected_vm():
    df = table(["a", "b"], ljp_corrected=["no", "unreported"])
    out = compute_potentials(df, solutions=SOLUTIONS, recording=RECORDING)
    a = out[out.sample_id == "a"]
    assert (a["vm_mV"] == -60.0).all()
    np.testing.assert_allclose(
        a["driving_force_mV"], a["vm_corrected_mV"] - a["E_act_mV"]
    )
    assert (a["vm_corrected_mV"] < -74.0).all()
    assert (a["driving_force_status"] == "ok").all()
    b = out[out.sample_id == "b"]
    np.testing.assert_allclose(b["driving_force_mV"], -60.0 - b["E_act_mV"])
    assert (b["driving_force_status"] == "vm_ljp_uncorrected").all()
    assert b["driving_force_reason"].str.contains("unreported").all()


def test_without_ljp_information_the_driving_force_is_not_plain_ok():
    out = compute_potentials(table(["a"], ljp_corrected="no"))
    assert (out["driving_force_status"] == "vm_ljp_uncorrected").all()
    out = compute_potentials(table(["a"], ljp_corrected="yes"))
    assert (out["driving_force_status"] == "ok").all()


def test_samples_carry_the_corrected_vm_and_the_pump_uses_it():
    df = table(["a"], ljp_corrected="no")
    pot = compute_potentials(df, solutions=SOLUTIONS, recording=RECORDING)
    smp, _ = compute_samples(
        pot, donnan={"enabled": True}, ghk={"enabled": True,
        "default_permeability": {"K+": 1.0, "Na+": 0.05, "Cl-": 0.45}},
    )  # fmt: skip
    a = smp.iloc[0]
    assert a.vm_mV == -60.0
    assert a.vm_corrected_mV == pytest.approx(-60.0 - direct())
    assert a.ljp_status == "ok"
    assert a.ljp_source == "computed"
    assert a.pump_vm_mV == pytest.approx(a.vm_corrected_mV)


def test_a_pump_leak_balance_at_a_vm_in_doubt_is_not_plain_ok():
    ghk = {"enabled": True, "default_permeability": {"K+": 1.0, "Na+": 0.05}}
    pot = compute_potentials(
        table(["a", "b"], ljp_corrected=["unreported", "no"]),
        solutions=SOLUTIONS,
        recording=RECORDING,
    )
    smp, _ = compute_samples(pot, donnan={"enabled": False}, ghk=ghk)
    a, b = smp.set_index("sample_id").loc["a"], smp.set_index("sample_id").loc["b"]
    assert a.pump_vm_source == "measured"
    assert a.pump_status == "vm_ljp_uncorrected"  # its numbers kept, flagged
    assert "unreported" in a.pump_reason
    assert np.isfinite(a.pump_na_k_ratio)
    assert b.pump_status == "ok"  # corrected here


def test_an_electroneutrality_adjustment_is_reported_never_silent():
    charged = {
        **SOLUTIONS,
        "KGluNoHEPES": "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1",
    }
    rec = {"pipette": "KGluNoHEPES", "bath": "ACSF", "adjust": "Cl-"}
    a = one(sample_ljp(table(["a"]), solutions=charged, recording=rec))
    assert "Cl-" in a.ljp_adjustment
    assert "+5 mM" in a.ljp_adjustment
    assert "KGluNoHEPES" in a.ljp_adjustment
    assert "ACSF" not in a.ljp_adjustment  # the bath needed none
    b = one(sample_ljp(table(["a"]), solutions=SOLUTIONS, recording=RECORDING))
    assert b.ljp_adjustment == ""
    with pytest.raises(SolutionError, match="not electroneutral"):
        sample_ljp(table(["a"]), solutions=charged, recording={**rec, "adjust": None})


def test_an_ljp_that_cannot_be_computed_says_why():
    # -5 degC: the contract accepts it, the mobilities' water viscosity does not
    df = table(["a"], temperature_K=268.15)
    a = one(sample_ljp(df, solutions=SOLUTIONS, recording=RECORDING))
    assert np.isnan(a.ljp_computed_mV)
    assert a.ljp_status == "vm_ljp_uncorrected"
    assert a.vm_corrected_mV == -60.0
    assert "could not be computed" in a.ljp_reason
    assert "0-100 degC" in a.ljp_reason


def test_solutions_on_molar_and_molal_scales_are_refused_naming_them():
    # a junction between a molar and a molal solution would compare mM with mmol/kg
    with pytest.raises(SolutionError) as err:
        parse_solutions(
            {
                "KGlu": "K+=145, gluconate=145",
                "ACSF": "Na+=150 mmol/kg, Cl-=150 mmol/kg",
            }
        )
    assert "'ACSF'" in str(err.value)
    assert "molal" in str(err.value)
    assert "'KGlu'" in str(err.value)
    both = parse_solutions(
        {"a": "K+=1 mmol/kg, Cl-=1 mmol/kg", "b": "Na+=2 mmol/kg, Cl-=2 mmol/kg"}
    )
    assert set(both) == {"a", "b"}
