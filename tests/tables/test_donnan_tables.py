"""donnan_table / donnan_ions / ghk_table on canonical long tables."""

import numpy as np
import pandas as pd
import pytest

from iongrad.physics.donnan import donnan_equilibrium
from iongrad.tables.donnan import donnan_ions, donnan_table, donnan_tables
from iongrad.tables.ghk import ghk_table

NAN = float("nan")


def canonical(rows, **extra):
    cols = ["sample_id", "ion", "valence", "c_in_mM", "c_out_mM", "permeant"]
    df = pd.DataFrame(rows, columns=cols)
    df.insert(0, "dataset", "demo")
    df["temperature_K"] = 298.15
    df["source_file"] = "demo.csv"
    df["source_row"] = np.arange(2, len(df) + 2)
    for k, v in extra.items():
        df[k] = v
    return df


TABLE = canonical(
    [
        ("kcl", "K+", 1, NAN, 100.0, True),
        ("kcl", "Cl-", -1, NAN, 100.0, True),
        ("kcl", "A-", -1, 100.0, 0.0, False),
        ("gap", "K+", 1, 140.0, 5.0, True),
        ("gap", "Na+", 1, 10.0, 145.0, True),
        ("gap", "Cl-", -1, 10.0, 150.0, True),
        ("gap", "glucose", 0, 5.0, 5.0, True),
        ("ca", "Ca2+", 2, NAN, 50.0, True),
        ("ca", "Cl-", -1, NAN, 100.0, True),
        ("ca", "A-", -1, 100.0, NAN, False),
        ("bad", "K+", 1, 140.0, 5.0, True),
        ("bad", "Cl-", -1, 10.0, NAN, True),
    ]
)


def test_one_row_per_sample_with_the_contract_columns():
    out = donnan_table(TABLE)
    assert out.sample_id.tolist() == ["kcl", "gap", "ca", "bad"]
    for col in ("donnan_ratio", "donnan_potential_mV", "donnan_residual",
                "donnan_converged", "impermeant_charge_mM", "impermeant_charge_source",
                "osmotic_imbalance_mOsm_kg", "osmotic_imbalance_kPa"):  # fmt: skip
        assert col in out.columns
    kcl = out.iloc[0]
    assert kcl.donnan_potential_mV == pytest.approx(-12.36, abs=5e-3)
    assert kcl.impermeant_charge_source == "impermeant rows"
    assert kcl.impermeant_charge_mM == -100.0
    # inside 161.80 + 61.80 + 100 impermeant, outside 200 -> +123.61 mOsm/kg
    assert kcl.osmotic_imbalance_mOsm_kg == pytest.approx(123.6068, abs=1e-4)
    assert kcl.osmotic_imbalance_kPa == pytest.approx(
        8.314462618 * 298.15 * 0.1236068, rel=1e-6
    )
    ca = out.iloc[2]
    assert ca.donnan_ratio == pytest.approx(1.324717957244746, rel=1e-12)


def test_anion_gap_is_used_and_said_when_no_impermeant_rows():
    out = donnan_table(TABLE).set_index("sample_id")
    gap = out.loc["gap"]
    assert gap.impermeant_charge_source == "anion gap"
    assert gap.impermeant_charge_mM == -140.0  # -(140 + 10 - 10)
    direct = donnan_equilibrium(c_out=[5.0, 145.0, 150.0], valence=[1, 1, -1],
                                impermeant_charge_mM=-140.0,
                                temperature_K=298.15)  # fmt: skip
    assert gap.donnan_potential_mV == pytest.approx(direct.potential_mV[0], rel=1e-14)
    assert "glucose" not in gap.donnan_ions


def test_missing_bath_concentration_keeps_the_row_and_names_the_ion():
    out = donnan_table(TABLE).set_index("sample_id")
    bad = out.loc["bad"]
    assert not bad.donnan_converged
    assert bad.donnan_status == "invalid_input"
    assert "Cl-" in bad.donnan_reason
    assert np.isnan(bad.donnan_potential_mV)


def test_per_ion_frame():
    _samples, ions = donnan_tables(TABLE)
    assert len(ions) == 9  # permeant charged rows only (no A-, no glucose)
    kcl = ions[ions.sample_id == "kcl"].set_index("ion")
    assert kcl.loc["K+", "c_in_donnan_mM"] == pytest.approx(
        100 * (1 + 5**0.5) / 2, rel=1e-12
    )
    assert kcl.loc["Cl-", "c_in_donnan_mM"] == pytest.approx(
        100 * (5**0.5 - 1) / 2, rel=1e-12
    )
    assert kcl.loc["K+", "source_row"] == 2
    gap = ions[ions.sample_id == "gap"].set_index("ion")
    assert gap.loc["K+", "c_in_measured_over_donnan"] == pytest.approx(
        140.0 / gap.loc["K+", "c_in_donnan_mM"]
    )
    pd.testing.assert_frame_equal(ions, donnan_ions(TABLE))


def test_temperature_override_and_mixed_temperatures():
    hot = donnan_table(TABLE, temperature_K=310.15)
    assert (hot.temperature_K == 310.15).all()
    assert hot.donnan_potential_mV[0] == pytest.approx(-12.36 * 310.15 / 298.15,
                                                       rel=1e-3)  # fmt: skip
    mixed = TABLE.copy()
    mixed.loc[1, "temperature_K"] = 300.0
    out = donnan_table(mixed)
    assert out.donnan_status[0] == "invalid_input"
    assert "temperature" in out.donnan_reason[0]


def test_duplicate_ion_in_a_sample_is_a_caller_error_naming_rows():
    dup = pd.concat([TABLE, TABLE.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"demo\.csv row 2"):
        donnan_table(dup)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="c_out_mM"):
        donnan_table(TABLE.drop(columns="c_out_mM"))


def test_activity_model_through_iongrad_activity():
    ideal = donnan_table(TABLE.iloc[:7])
    dav = donnan_table(TABLE.iloc[:7], activity_model="davies")
    assert dav.donnan_converged.all()
    assert (dav.donnan_activity_model == "davies").all()
    assert (dav.donnan_potential_mV != ideal.donnan_potential_mV).all()
    assert (np.abs(dav.donnan_potential_mV - ideal.donnan_potential_mV) < 1.5).all()
    ions = donnan_ions(TABLE.iloc[:7], activity_model="ideal")
    assert (ions.gamma_in_donnan == 1.0).all()
    np.testing.assert_allclose(
        donnan_table(TABLE.iloc[:7], activity_model="ideal").donnan_ratio,
        ideal.donnan_ratio, rtol=1e-12,
    )  # fmt: skip


# ---------------------------------------------------------------------- GHK
SQUID = canonical(
    [
        ("axon", "K+", 1, 400.0, 20.0, True),
        ("axon", "Na+", 1, 50.0, 440.0, True),
        ("axon", "Cl-", -1, 40.0, 560.0, True),
        ("axon", "A-", -1, 385.0, 0.0, False),
        ("cell", "K+", 1, 140.0, 5.0, True),
        ("cell", "Na+", 1, 10.0, 145.0, True),
        ("cell", "Cl-", -1, 10.0, 110.0, True),
        ("cell", "HCO3-", -1, 10.0, 25.0, True),
        ("konly", "K+", 1, 140.0, 5.0, True),
    ],
    temperature_K=293.15,
)


def test_ghk_table_squid_and_sources():
    table = SQUID.copy()
    table["permeability"] = [1.0, 0.04, 0.45, NAN, NAN, NAN, NAN, NAN, NAN]
    table["vm_mV"] = [NAN] * 4 + [-70.0] * 4 + [NAN]
    out = ghk_table(table).set_index("sample_id")
    axon = out.loc["axon"]
    assert axon.vm_ghk_mV == pytest.approx(-62.3, abs=0.1)
    assert axon.permeability_source == "table"
    assert axon.ghk_converged
    assert axon.pump_vm_source == "ghk"
    assert axon.pump_na_k_ratio == pytest.approx(1.2444, abs=5e-4)
    cell = out.loc["cell"]
    assert cell.permeability_source == "default"
    assert "HCO3-" in cell.ghk_reason  # no permeability: left out and said so
    assert "HCO3-" not in cell.ghk_ions
    assert cell.pump_vm_source == "measured"
    assert cell.pump_vm_mV == -70.0
    konly = out.loc["konly"]
    # K+ alone under the default permeabilities: Na+ and Cl- are missing, so there is
    # no GHK potential (it was E_K, labelled ok) and no pump-leak balance.
    assert konly.ghk_status == "missing_ions"
    assert "no Na+, Cl- row" in konly.ghk_reason
    assert np.isnan(konly.vm_ghk_mV)
    assert np.isnan(konly.pump_na_k_ratio)
    assert konly.pump_status == "missing_ions"


def test_ghk_table_single_measured_carrier_is_its_nernst_potential():
    table = SQUID[SQUID.sample_id == "konly"].assign(permeability=1.0)
    konly = ghk_table(table).iloc[0]
    # one carrier: its Nernst potential, E_K = (RT/F) ln(5/140) = -84.18 mV at 20 degC
    assert konly.vm_ghk_mV == pytest.approx(-84.18, abs=5e-3)
    assert str(konly.ghk_method) == "nernst"
    assert konly.ghk_status == "ok"
    assert np.isnan(konly.pump_na_k_ratio)


def test_ghk_table_mixed_sources_and_missing_concentration():
    table = SQUID.copy()
    table["permeability"] = [1.0, NAN, 0.45, NAN, NAN, NAN, NAN, NAN, NAN]
    table.loc[5, "c_in_mM"] = NAN  # Na+ of "cell" not measured
    out = ghk_table(table, default_permeability={"Na+": 0.04}).set_index("sample_id")
    assert out.loc["axon"].permeability_source == "table+default"
    assert out.loc["axon"].vm_ghk_mV == pytest.approx(-62.3, abs=0.1)
    assert out.loc["cell"].ghk_status == "invalid_input"
    assert "Na+" in out.loc["cell"].ghk_reason
    assert np.isnan(out.loc["cell"].vm_ghk_mV)


def test_ghk_duplicate_ion_names_rows():
    dup = pd.concat([SQUID, SQUID.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"demo\.csv row 2"):
        ghk_table(dup)


def test_activity_model_without_parameters_names_the_ion():
    table = canonical(
        [
            ("s", "K+", 1, NAN, 100.0, True),
            ("s", "gluconate-", -1, NAN, 100.0, True),
            ("s", "A-", -1, 100.0, 0.0, False),
            ("t", "K+", 1, NAN, 100.0, True),
            ("t", "Cl-", -1, NAN, 100.0, True),
        ]
    )
    out = donnan_table(table, activity_model="truesdell-jones").set_index("sample_id")
    # Truesdell-Jones has no a, b for gluconate: said, not a silent number
    assert out.loc["s", "donnan_status"] == "invalid_input"
    assert "gluconate-" in out.loc["s", "donnan_reason"]
    # no impermeant rows and no c_in: the anion gap is unknown, and that is the reason
    assert "impermeant charge unknown" in out.loc["t", "donnan_reason"]


def test_activity_model_names_an_unknown_impermeant_species_by_row():
    table = canonical(
        [
            ("s", "K+", 1, NAN, 100.0, True),
            ("s", "Cl-", -1, NAN, 100.0, True),
            ("s", "albumin", -1, 100.0, 0.0, False),
        ]
    )
    assert donnan_table(table).donnan_status[0] == "ok"  # ideal: names do not matter
    with pytest.raises(ValueError, match=r"'albumin' at demo\.csv row 4"):
        donnan_table(table, activity_model="davies")
