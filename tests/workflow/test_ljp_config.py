"""Config keys `solutions` and `recording` (liquid junction potentials, #16)."""

from __future__ import annotations

import pytest

from iongrad.pipeline import config as cfgmod

KGLU = "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1, HEPES=5"
ACSF = "Na+=145, K+=2.8, Cl-=148.8, Mg2+=2, Ca2+=1, HEPES=5"
DATASETS = {"a": {"path": "a.csv"}, "b": {"path": "b.csv"}}


def resolve(**keys):
    return cfgmod.resolve({"datasets": DATASETS, **keys})


def test_solutions_and_recording_resolve_with_the_default_method():
    cfg = resolve(
        solutions={"KGluconate": KGLU, "ACSF": ACSF},
        recording={"pipette": "KGluconate", "bath": "ACSF"},
    )
    assert cfg["recording"]["method"] == "nernst-planck"
    settings = cfgmod.ljp_settings(cfg, "a")
    assert settings["recording"] == {
        "bath": "ACSF",
        "method": "nernst-planck",
        "pipette": "KGluconate",
    }
    assert settings["solutions"]["ACSF"] == ACSF


def test_defaults_without_any_recording():
    cfg = resolve()
    assert cfg["solutions"] == {}
    assert cfgmod.ljp_settings(cfg, "a") == {
        "recording": {"method": "nernst-planck"},
        "solutions": {},
    }


def test_a_dataset_recording_overrides_the_default_key_by_key():
    datasets = {**DATASETS, "b": {"path": "b.csv", "recording": {"bath": "HiK"}}}
    cfg = cfgmod.resolve({
        "datasets": datasets,
        "solutions": {"KGluconate": KGLU, "ACSF": ACSF,
                      "HiK": "K+=50, Na+=97.8, Cl-=148.8, Mg2+=2, Ca2+=1, HEPES=5"},
        "recording": {"pipette": "KGluconate", "bath": "ACSF", "method": "henderson"},
    })  # fmt: skip
    a, b = (cfgmod.ljp_settings(cfg, d)["recording"] for d in ("a", "b"))
    assert a["bath"] == "ACSF"
    assert b == {"pipette": "KGluconate", "bath": "HiK", "method": "henderson"}
    assert cfgmod.dataset_settings(cfg, "b")["recording"]["bath"] == "HiK"


def test_a_bad_ion_names_the_solution_and_close_matches():
    with pytest.raises(cfgmod.ConfigError) as err:
        resolve(solutions={"KGluconate": "Potasium=145, gluconate=145"})
    text = str(err.value)
    assert "config key solutions/KGluconate" in text
    assert "'Potasium'" in text
    assert "K+" in text  # the registry's close match


def test_an_ion_without_a_mobility_names_the_solution():
    with pytest.raises(cfgmod.ConfigError) as err:
        resolve(solutions={"X": "K+=10, Cl-=10, SO4 2-=0, citrate=1"})
    assert "config key solutions/X" in str(err.value)


def test_a_recording_naming_an_unknown_solution_gives_close_matches():
    with pytest.raises(cfgmod.ConfigError) as err:
        resolve(
            solutions={"KGluconate": KGLU, "ACSF": ACSF},
            recording={"pipette": "KGluconat", "bath": "ACSF"},
        )
    text = str(err.value)
    assert "config key recording/pipette" in text
    assert "'KGluconat'" in text
    assert "close matches: KGluconate" in text


def test_a_dataset_recording_is_checked_under_its_own_key():
    datasets = {**DATASETS, "b": {"path": "b.csv", "recording": {"bath": "ASCF"}}}
    with pytest.raises(cfgmod.ConfigError, match="datasets/b/recording/bath"):
        cfgmod.resolve(
            {
                "datasets": datasets,
                "solutions": {"KGluconate": KGLU, "ACSF": ACSF},
                "recording": {"pipette": "KGluconate"},
            }
        )


def test_a_charged_pair_without_adjust_is_refused_and_adjust_accepts_it():
    charged = {"KGluconate": "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1",
               "ACSF": ACSF}  # fmt: skip
    rec = {"pipette": "KGluconate", "bath": "ACSF"}
    with pytest.raises(cfgmod.ConfigError, match="not electroneutral") as err:
        resolve(solutions=charged, recording=rec)
    assert "adjust" in str(err.value)
    resolve(solutions=charged, recording={**rec, "adjust": "Cl-"})


@pytest.mark.parametrize(
    ("keys", "where", "fragment"),
    [
        ({"recording": {"method": "goldman"}}, "recording/method", "is not one of"),
        ({"recording": {"pipete": "x"}}, "recording", "'pipete' was unexpected"),
        ({"solutions": {"A": 5}}, "solutions/A", "is not of type 'string'"),
    ],
)
def test_schema_errors_name_the_key(keys, where, fragment):
    with pytest.raises(cfgmod.ConfigError) as err:
        resolve(**keys)
    assert f"config key {where}:" in str(err.value)
    assert fragment in str(err.value)


def test_the_solution_names_reach_the_gate_as_a_read_option():
    cfg = resolve(solutions={"KGluconate": KGLU, "ACSF": ACSF})
    assert cfgmod.read_settings(cfg, "a")["solution_names"] == ["ACSF", "KGluconate"]
    assert cfgmod.read_settings(resolve(), "a")["solution_names"] == []


def test_a_dataset_recording_reaches_the_potentials_job(tmp_path):
    """Config -> job, as the rules call them: a table without solution columns is
    corrected with its dataset's `recording`; another dataset's is not."""
    import pandas as pd

    from iongrad.pipeline import jobs

    raw = tmp_path / "cells.csv"
    raw.write_text(
        "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,vm_mV,ljp_corrected\n"
        "a,neuron,20,K+,145,2.8,-60,no\n"
        "a,neuron,20,Na+,13,145,-60,no\n"
        "a,neuron,20,Cl-,10,148.8,-60,no\n",
        encoding="utf-8",
    )
    datasets = {
        "cells": {"path": str(raw), "recording": {"bath": "ACSF"}},
        "other": {"path": str(raw)},
    }
    cfg = cfgmod.resolve({
        "datasets": datasets,
        "solutions": {"KGluconate": KGLU, "ACSF": ACSF},
        "recording": {"pipette": "KGluconate"},
    })  # fmt: skip
    out = {}
    for name in ("cells", "other"):
        res = tmp_path / name
        jobs.validate_job(
            raw=str(raw), dataset=name, mode="strict",
            validation_json=str(res / "validation.json"),
            rejected_csv=str(res / "rejected.csv"),
            measurements=str(res / "measurements.parquet"),
            read_options=cfgmod.read_settings(cfg, name),
        )  # fmt: skip
        jobs.potentials_job(
            measurements=str(res / "measurements.parquet"),
            validation_json=str(res / "validation.json"),
            potentials=str(res / "potentials.parquet"),
            temperature_scan_path=str(res / "scan.parquet"),
            activity={"model": "ideal", "convention": "macinnes"},
            driving_force={"atol_mV": 0.0},
            temperatures_C=[],
            ljp=cfgmod.ljp_settings(cfg, name),
        )
        out[name] = pd.read_parquet(res / "potentials.parquet")
    cells = out["cells"].iloc[0]
    assert cells.ljp_computed_mV == pytest.approx(16.05, abs=0.01)  # 20 degC, NP
    assert cells.vm_corrected_mV == pytest.approx(-60.0 - cells.ljp_computed_mV)
    assert (out["cells"].driving_force_status == "ok").all()
    other = out["other"].iloc[0]  # pipette known, no bath: no LJP, flagged
    assert other.ljp_source == "none"
    assert other.vm_corrected_mV == -60.0
    assert (out["other"].driving_force_status == "vm_ljp_uncorrected").all()
