"""A full workflow run on the example data: values, accounting, failure, provenance.

Closed forms are written out here independently of iongrad, with the exact SI 2019
constants: E = (RT / zF) ln(c_out / c_in), T = t + 273.15. The expected numbers also
match, to 3 decimals, the computed Nernst potentials of the reference table of cell
types the example data come from (data/README.md names its sources).
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest

BAD_DATASET = "bad_strict"  # added to the run by conftest.workflow_run

N_A, K_B, E_CHARGE = 6.02214076e23, 1.380649e-23, 1.602176634e-19  # exact, SI 2019
R = N_A * K_B  # 8.31446261815324 J/(mol K)
F = N_A * E_CHARGE  # 96485.33212331 C/mol

EXAMPLES = [
    "cardiac_ventricular_myocyte",
    "frog_skeletal_muscle",
    "human_red_blood_cell",
    "mammalian_neuron",
    "mammalian_skeletal_muscle",
    "mouse_cortical_neuron_wholecell",
    "plant_nitella_translucens",
    "squid_giant_axon",
]

# dataset, sample, ion, z, c_in, c_out [mM], t [degC], reference E [mV] (3 decimals)
NERNST_ROWS = [
    ("squid_giant_axon", "hodgkin1964", "K+", 1, 400, 20, 20, -75.677),
    ("squid_giant_axon", "hodgkin1964", "Cl-", -1, 40, 560, 20, -66.667),
    ("frog_skeletal_muscle", "conway1957", "K+", 1, 124, 2.25, 20, -101.283),
    ("frog_skeletal_muscle", "conway1957", "Ca2+", 2, 1e-4, 2.1, 20, 125.706),
    ("mammalian_neuron", "johnston_wu_1995", "K+", 1, 140, 5, 37, -89.059),
    ("mammalian_neuron", "johnston_wu_1995", "Mg2+", 2, 0.5, 0.8, 37, 6.281),
    ("mammalian_skeletal_muscle", "hille2001", "Cl-", -1, 4.2, 123, 37, -90.259),
    ("cardiac_ventricular_myocyte", "klabunde", "K+", 1, 150, 4, 37, -96.867),
    ("human_red_blood_cell", "textbook", "Na+", 1, 11, 142, 37, 68.365),
    ("plant_nitella_translucens", "spanswick1964", "Cl-", -1, 65, 1.3, 20, 98.824),
]


def nernst_mV(z, c_in, c_out, t_C):
    return 1000 * R * (t_C + 273.15) / (z * F) * math.log(c_out / c_in)


def results(workdir, dataset, name):
    path = workdir / "results" / dataset / name
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if name.endswith(".json"):
        return json.loads(path.read_text())
    return pd.read_csv(path)


def test_run_completes_every_good_dataset_and_fails_the_bad_one(workflow_run):
    run = workflow_run.run
    assert run.returncode != 0, "the strict-mode failure must fail the run"
    for name in EXAMPLES:
        for f in ("potentials.parquet", "samples.parquet", "provenance.json"):
            assert (workflow_run.workdir / "results" / name / f).is_file(), (
                name,
                f,
                run.output[-3000:],
            )
        assert (workflow_run.workdir / "reports" / f"{name}.html").is_file()


@pytest.mark.parametrize(
    ("dataset", "sample", "ion", "z", "c_in", "c_out", "t_C", "ref_mV"), NERNST_ROWS
)
def test_concentration_nernst_matches_closed_form(
    workflow_run, dataset, sample, ion, z, c_in, c_out, t_C, ref_mV
):
    pot = results(workflow_run.workdir, dataset, "potentials.parquet")
    row = pot[(pot.sample_id == sample) & (pot.ion == ion)]
    assert len(row) == 1
    row = row.iloc[0]
    expected = nernst_mV(z, c_in, c_out, t_C)
    assert row.E_conc_mV == pytest.approx(expected, rel=1e-12)
    assert row.E_conc_mV == pytest.approx(ref_mV, abs=5e-4)  # table: 3 decimals
    assert row.temperature_K == pytest.approx(t_C + 273.15, abs=1e-9)
    assert row.status == "ok"


def test_squid_potassium_is_minus_75_7_mV(workflow_run):
    pot = results(workflow_run.workdir, "squid_giant_axon", "potentials.parquet")
    k = pot[(pot.sample_id == "hodgkin1964") & (pot.ion == "K+")].iloc[0]
    assert round(k.E_conc_mV, 1) == -75.7


@pytest.mark.parametrize("dataset", EXAMPLES)
def test_activity_corrected_potential_and_driving_force_are_consistent(
    workflow_run, dataset
):
    pot = results(workflow_run.workdir, dataset, "potentials.parquet")
    ok = pot[pot.status == "ok"]
    assert len(ok) > 0
    expected = (
        1000
        * R
        * ok.temperature_K
        / (ok.valence * F)
        * np.log(ok.gamma_out_used * ok.c_out_mM / (ok.gamma_in_used * ok.c_in_mM))
    )
    np.testing.assert_allclose(ok.E_act_mV, expected, rtol=1e-12)
    np.testing.assert_allclose(ok.delta_act_mV, ok.E_act_mV - ok.E_conc_mV, atol=1e-9)
    assert (ok.activity_model == "truesdell-jones").all()
    assert (ok.activity_convention == "macinnes").all()
    # A physiological solution has gamma < 1 for every ion in both compartments.
    assert ((ok.gamma_in_used < 1) & (ok.gamma_out_used < 1)).all()
    # the Vm corrected for the liquid junction potential (= vm_mV when none is
    # applied)
    np.testing.assert_allclose(
        pot.driving_force_mV, pot.vm_corrected_mV - pot.E_act_mV, equal_nan=True
    )
    np.testing.assert_allclose(
        pot.vm_corrected_mV, pot.vm_mV - pot.ljp_applied_mV, equal_nan=True
    )


def test_cardiac_driving_forces_and_directions(workflow_run):
    pot = results(
        workflow_run.workdir, "cardiac_ventricular_myocyte", "potentials.parquet"
    )
    k = pot[pot.sample_id == "klabunde"].set_index("ion")
    # Vm = -90 mV above E_K ~ -97 mV: outward K+ current, K+ efflux.
    assert k.loc["K+", "driving_force_mV"] > 0
    assert k.loc["K+", "current_direction"] == "outward"
    assert k.loc["K+", "flux_direction"] == "efflux"
    # Far below E_Na ~ +71 mV: inward Na+ current, Na+ influx.
    assert k.loc["Na+", "current_direction"] == "inward"
    assert k.loc["Na+", "flux_direction"] == "influx"
    # Below E_Cl ~ -37 mV: DF < 0, inward current carried by Cl- leaving the cell.
    assert k.loc["Cl-", "current_direction"] == "inward"
    assert k.loc["Cl-", "flux_direction"] == "efflux"


def test_a_whole_cell_dataset_is_corrected_for_its_junction_potential(workflow_run):
    # K-gluconate pipette against an ACSF-like bath (config solutions, named in
    # the table's pipette_solution/bath_solution columns): LJP about +16 mV, so
    # the corrected Vm is about 16 mV more negative than the reading.
    name = "mouse_cortical_neuron_wholecell"
    smp = results(workflow_run.workdir, name, "samples.parquet").set_index("sample_id")
    assert (smp.ljp_status == "ok").all()
    assert (smp.pipette_solution == "K_gluconate").all()
    c1 = smp.loc["cell01"]
    assert 15.0 < c1.ljp_computed_mV < 17.0
    assert c1.ljp_source == "computed"
    assert c1.vm_mV == -62.0  # as the file says
    assert c1.vm_corrected_mV == pytest.approx(-62.0 - c1.ljp_computed_mV)
    c3 = smp.loc["cell03"]  # the lab's own ljp_mV wins, and is compared
    assert (c3.ljp_source, c3.ljp_applied_mV) == ("file", 15.5)
    assert c3.ljp_difference_mV == pytest.approx(15.5 - c3.ljp_computed_mV)
    assert smp.loc["cell04"].ljp_computed_mV > c1.ljp_computed_mV  # 32 vs 22 degC
    pot = results(workflow_run.workdir, name, "potentials.parquet")
    assert (pot.driving_force_status == "ok").all()
    cardiac = results(
        workflow_run.workdir, "cardiac_ventricular_myocyte", "potentials.parquet"
    )
    assert (cardiac.driving_force_status == "vm_ljp_uncorrected").all()
    html = (workflow_run.workdir / "reports" / f"{name}.html").read_text()
    assert 'id="ljp-section"' in html
    assert "K_gluconate" in html
    assert "HEPES_ACSF" in html
    assert "Vm corrected" in html


def test_without_measured_vm_directions_are_undefined(workflow_run):
    pot = results(workflow_run.workdir, "squid_giant_axon", "potentials.parquet")
    assert pot.vm_mV.isna().all()
    assert (pot.flux_direction == "undefined").all()
    assert pot.driving_force_mV.isna().all()


@pytest.mark.parametrize("dataset", EXAMPLES)
def test_every_input_row_is_accounted_for(workflow_run, dataset):
    report = results(workflow_run.workdir, dataset, "validation.json")
    pot = results(workflow_run.workdir, dataset, "potentials.parquet")
    rejected = results(workflow_run.workdir, dataset, "rejected.csv")
    assert report["rows_read"] == report["rows_accepted"] + report["rows_rejected"]
    assert len(pot) == report["rows_accepted"]
    assert len(rejected) == report["rows_rejected"]
    assert (pot.dataset == dataset).all()


def test_lenient_dataset_quarantines_exactly_the_bad_rows(workflow_run):
    report = results(workflow_run.workdir, "human_red_blood_cell", "validation.json")
    rejected = results(workflow_run.workdir, "human_red_blood_cell", "rejected.csv")
    assert report["mode"] == "lenient"
    assert report["rows_rejected"] == 3
    assert sorted(rejected.source_row) == [8, 9, 10]
    assert rejected.reason.notna().all()
    pot = results(workflow_run.workdir, "human_red_blood_cell", "potentials.parquet")
    assert sorted(set(pot.source_row)) == [2, 3, 4, 5, 6, 7, 11]


def test_samples_carry_donnan_and_ghk_per_sample(workflow_run):
    for dataset in EXAMPLES:
        pot = results(workflow_run.workdir, dataset, "potentials.parquet")
        samples = results(workflow_run.workdir, dataset, "samples.parquet")
        assert sorted(samples.sample_id) == sorted(set(pot.sample_id))
        # Samples that lost rows to quarantine get no sample-level number (and say
        # why); every complete sample of the examples gets both predictions.
        complete = samples.sample_complete.to_numpy(dtype=bool)
        assert (samples.donnan_status[~complete] == "incomplete_sample").all()
        assert (samples.ghk_status[~complete] == "incomplete_sample").all()
        assert samples.donnan_potential_mV[~complete].isna().all()
        assert samples.vm_ghk_mV[~complete].isna().all()
        whole = samples[complete]
        for col in ("donnan_potential_mV", "vm_ghk_mV", "temperature_K"):
            assert whole[col].notna().all(), (dataset, col)
        assert whole.donnan_converged.all()
        assert whole.ghk_converged.all()
        donnan = results(workflow_run.workdir, dataset, "donnan.parquet")
        assert set(donnan.sample_id) == set(samples.sample_id)
        partial = donnan.sample_id.isin(samples.sample_id[~complete])
        assert donnan.c_in_donnan_mM[partial].isna().all()
        assert (donnan.donnan_status[partial] == "incomplete_sample").all()


def test_ghk_matches_the_closed_form_for_monovalent_ions(workflow_run):
    # Nitella: only K+, Na+, Cl-; default P_K : P_Na : P_Cl = 1 : 0.05 : 0.45.
    samples = results(
        workflow_run.workdir, "plant_nitella_translucens", "samples.parquet"
    )
    row = samples[samples.sample_id == "spanswick1964"].iloc[0]
    num = 1.0 * 0.1 + 0.05 * 1.0 + 0.45 * 65
    den = 1.0 * 119 + 0.05 * 14 + 0.45 * 1.3
    expected = 1000 * R * 293.15 / F * math.log(num / den)
    assert row.vm_ghk_mV == pytest.approx(expected, abs=1e-6)


def test_temperature_scan_covers_measured_and_configured_temperatures(workflow_run):
    scan = results(workflow_run.workdir, "squid_giant_axon", "temperature_scan.parquet")
    kelvin = sorted(set(scan.temperature_K.round(2)))
    assert kelvin == [293.15, 298.15, 310.15]
    k37 = scan[
        (scan.sample_id == "hodgkin1964")
        & (scan.ion == "K+")
        & (scan.temperature_source == "config")
        & (scan.temperature_K.round(2) == 310.15)
    ]
    assert k37.E_conc_mV.iloc[0] == pytest.approx(nernst_mV(1, 400, 20, 37), rel=1e-12)


def test_provenance_records_inputs_versions_constants_and_models(workflow_run):
    wd = workflow_run.workdir
    prov = results(wd, "squid_giant_axon", "provenance.json")
    raw = wd / "data" / "raw" / "squid_giant_axon.csv"
    assert (
        prov["inputs"]["table"]["sha256"]
        == hashlib.sha256(raw.read_bytes()).hexdigest()
    )
    pot = wd / "results" / "squid_giant_axon" / "potentials.parquet"
    assert prov["outputs"]["potentials"]["sha256"] == (
        hashlib.sha256(pot.read_bytes()).hexdigest()
    )
    assert prov["constants"]["R_J_per_mol_K"] == R
    assert prov["constants"]["F_C_per_mol"] == F
    assert prov["constants"]["zero_celsius_K"] == 273.15
    assert prov["models"]["activity_model"] == "truesdell-jones"
    assert prov["models"]["activity_convention"] == "macinnes"
    assert prov["config"]["dataset"]["validation_mode"] == "strict"
    for pkg in ("iongrad", "numpy", "pandas", "snakemake"):
        assert prov["packages"][pkg]
    assert prov["timestamp_utc"].endswith("+00:00")


def test_resolved_config_is_written(workflow_run):
    import yaml

    cfg = yaml.safe_load(
        (workflow_run.workdir / "results" / "config.resolved.yaml").read_text()
    )
    assert cfg["activity"]["model"] == "truesdell-jones"
    assert cfg["datasets"]["human_red_blood_cell"]["validation_mode"] == "lenient"


# ------------------------------------------------------------- strict-mode failure
def test_strict_failure_fails_its_own_job_with_the_summary(workflow_run):
    assert workflow_run.bad_dataset == BAD_DATASET
    wd, out = workflow_run.workdir, workflow_run.run.output
    assert "Error in rule compute_potentials" in out
    assert f"dataset={BAD_DATASET}" in out
    assert f"dataset '{BAD_DATASET}' failed validation in strict mode" in out
    log = (wd / "logs" / "compute_potentials" / f"{BAD_DATASET}.log").read_text()
    assert "failed validation in strict mode" in log
    assert "14O" in log  # the offending value, named in the summary
    report = results(wd, BAD_DATASET, "validation.json")
    assert report["ok"] is False
    assert report["mode"] == "strict"


def test_no_partial_result_survives_the_failed_dataset(workflow_run):
    folder = workflow_run.workdir / "results" / BAD_DATASET
    left = sorted(p.name for p in folder.iterdir())
    assert left == [
        "failures.parquet",
        "measurements.parquet",
        "rejected.csv",
        "validation.json",
    ]
    assert not (workflow_run.workdir / "reports" / f"{BAD_DATASET}.html").exists()


def test_index_marks_the_failed_dataset(workflow_run):
    status = {e["dataset"]: e["status"] for e in workflow_run.entries}
    assert status[BAD_DATASET] == "failed"
    assert status["human_red_blood_cell"] == "warnings"
    # squid's table has an empty vm_mV column: a warning (every cell empty).
    assert status["squid_giant_axon"] == "warnings"
    assert status["mammalian_neuron"] == "ok"
    html = workflow_run.index_html
    assert html is not None, "onerror must render reports/index.html"
    assert BAD_DATASET in html
    assert "failed" in html
