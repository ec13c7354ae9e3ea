"""Every file of tests/data/good is accepted and normalized to exact values.

Expected values are written out by hand from the file contents: unit factors are exact
(1 M = 1000 mM, 1 uM = 1e-3 mM, 1 nM = 1e-6 mM), degC + 273.15 = K.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.gate.ingest import read_table
from iongrad.gate.validation import validate_file

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"

# file -> (sample_id, ion, c_in_mM, c_out_mM, temperature_K, source_row) per row
EXPECTED = {
    "long_mM.csv": [
        ("s1", "K+", 400.0, 20.0, 293.15, 2),
        ("s1", "Na+", 50.0, 440.0, 293.15, 3),
        ("s1", "Cl-", 40.0, 560.0, 293.15, 4),
        ("s1", "Ca2+", 0.0001, 10.0, 293.15, 5),
    ],
    "bom.csv": [
        ("b1", "K+", 124.0, 2.25, 293.15, 2),
        ("b1", "Na+", 10.4, 109.0, 293.15, 3),
    ],
    "semicolon_decimal_comma.csv": [
        ("e1", "K+", 400.0, 20.0, 293.15, 2),
        ("e1", "Ca2+", 0.0001, 10.0, 293.15, 3),
        ("e1", "Cl-", 40.0, 560.5, 293.15, 4),
    ],
    "quoted_fields.csv": [
        ("s 1", "K+", 400.0, 20.0, 293.15, 2),
        ("s 1", "Na+", 50.0, 440.0, 293.15, 3),
    ],
    "blank_lines.csv": [  # a blank line 3 keeps Na+ on line 4
        ("s1", "K+", 400.0, 20.0, 293.15, 2),
        ("s1", "Na+", 50.0, 440.0, 293.15, 4),
    ],
    "unit_column.csv": [  # M, mM, nM, uM, µM in one unit column
        ("s1", "K+", 140.0, 5.0, 310.15, 2),
        ("s1", "Na+", 15.0, 145.0, 310.15, 3),
        ("s1", "Ca2+", 0.0001, 0.0025, 310.15, 4),
        ("s1", "Cl-", 4.0, 110.0, 310.15, 5),
        ("s1", "Mg2+", 0.5, 0.8, 310.15, 6),
    ],
    "molal.csv": [  # mmol/kg and mol/kg stay molal (mmol/kg)
        ("s1", "K+", 400.0, 20.0, 293.15, 2),
        ("s1", "Na+", 50.0, 440.0, 293.15, 3),
    ],
    "temperature_unit_column.csv": [
        ("s1", "K+", 400.0, 20.0, 293.15, 2),
        ("s2", "K+", 140.0, 5.0, 310.15, 3),
    ],
    "tab_separated.tsv": [("t1", "K+", 400.0, 20.0, 293.15, 2)],
    "optional_columns.csv": [
        ("o1", "K+", 140.0, 5.0, 310.15, 2),
        ("o1", "Ca2+", 0.0001, 2.5, 310.15, 3),
        ("o1", "Cl-", 4.0, 110.0, 310.15, 4),
        ("o1", "A-", 120.0, np.nan, 310.15, 5),
    ],
    "wide_headers.csv": [  # K_in_mM, 'Na+ [mM] in', 'Cl- (uM) out'
        ("m1", "K+", 140.0, 5.0, 310.15, 2),
        ("m1", "Na+", 15.0, 145.0, 310.15, 2),
        ("m1", "Cl-", 4.0, 110.0, 310.15, 2),
    ],
    "wide_unit_column.csv": [  # empty cells are "not measured"
        ("w1", "K+", 400.0, 20.0, 293.15, 2),
        ("w1", "Na+", 50.0, 440.0, 293.15, 2),
        ("w2", "K+", 400.0, 20.0, 293.15, 3),
        ("w2", "Na+", np.nan, 440.0, 293.15, 3),
        ("w3", "K+", 400.0, 20.0, 293.15, 4),  # Na+ not measured in w3: no record
    ],
    "wide_alias_headers.csv": [  # Ca(2+)_in [uM], 'Cl- (uM) in', temperature [K]
        ("c1", "Ca2+", 0.0001, 2.1, 293.15, 2),
        ("c1", "Cl-", 1.5, 77.5, 293.15, 2),
    ],
    "units_metadata.parquet": [  # field metadata: c_in uM, c_out mM, degC
        ("f1", "K+", 124.0, 2.25, 293.15, 1),
        ("f1", "Na+", 10.4, 109.0, 293.15, 2),
        ("f1", "Cl-", 1.5, 77.5, 293.15, 3),
    ],
}
SCALE = {"molal.csv": "molal"}


def test_every_good_file_has_expectations():
    assert {p.name for p in GOOD.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_good_file_values(name):
    path = GOOD / name
    table = read_table(path)
    assert list(table.columns) == CANONICAL_COLUMNS
    got = list(
        zip(
            table["sample_id"],
            table["ion"],
            table["c_in_mM"],
            table["c_out_mM"],
            table["temperature_K"],
            table["source_row"],
            strict=True,
        )
    )
    want = EXPECTED[name]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g[:2] == w[:2]
        np.testing.assert_allclose(g[2:5], w[2:5], rtol=1e-12, atol=0)
        assert g[5] == w[5]
    assert (table["concentration_scale"] == SCALE.get(name, "molar")).all()
    assert (table["source_file"] == str(path)).all()
    assert table["valence"].dtype == np.int64
    assert table["source_row"].dtype == np.int64
    assert table["temperature_K"].dtype == np.float64
    result = validate_file(path)
    assert result.ok
    assert result.report["errors"] == 0
    assert len(result.accepted) == len(want)
    pd.testing.assert_frame_equal(result.accepted, table)


def test_optional_columns_exact():
    t = read_table(GOOD / "optional_columns.csv")
    assert t["valence"].tolist() == [1, 2, -1, -1]
    assert t["permeant"].tolist() == [True, True, True, False]  # A- defaults False
    assert t["gamma_in"].iloc[0] == 0.75
    assert t["gamma_out"].iloc[0] == 0.76
    assert t["gamma_in"].iloc[1:].isna().all()
    assert t["vm_mV"].tolist() == [-70.0] * 4
    assert t["erev_mV"].iloc[0] == -88.0
    assert t["permeability"].tolist()[:3] == [1.0, 0.0, 0.45]
    assert t["ljp_mV"].tolist() == [-10.0] * 4
    assert t["ljp_corrected"].tolist() == ["yes"] * 4
    assert t["cell_type"].unique().tolist() == ["mammalian_cell_neuron"]
    assert t["dataset"].unique().tolist() == ["opt"]


def test_defaults_without_optional_columns():
    t = read_table(GOOD / "long_mM.csv")
    assert t["permeant"].all()
    assert t["ljp_corrected"].eq("unreported").all()
    for col in ("gamma_in", "gamma_out", "vm_mV", "erev_mV", "permeability", "ljp_mV"):
        assert t[col].isna().all()


def test_dataset_name_from_argument_or_stem():
    path = GOOD / "wide_headers.csv"  # no dataset column
    assert read_table(path)["dataset"].unique().tolist() == ["wide_headers"]
    assert read_table(path, dataset="cortex")["dataset"].unique().tolist() == ["cortex"]


def test_wide_melt_keeps_per_sample_columns():
    t = read_table(GOOD / "wide_unit_column.csv")
    assert t["vm_mV"].tolist() == [-70.0, -70.0, -65.0, -65.0, -60.0]
    result = validate_file(GOOD / "wide_unit_column.csv")
    assert result.report["layout"] == "wide"
    assert result.report["input"]["empty_wide_cells"] == 1


def test_ignored_columns_are_reported():
    result = validate_file(GOOD / "wide_alias_headers.csv")
    assert result.ok
    assert result.report["input"]["ignored_columns"] == ["notes"]
    warning = [f for f in result.report["failures"] if f["rule"] == "ignored_column"]
    assert [(w["row"], w["column"], w["severity"]) for w in warning] == [
        (1, "notes", "warning")
    ]


def test_dialect_is_reported():
    info = validate_file(GOOD / "semicolon_decimal_comma.csv").report["input"]
    assert (info["separator"], info["decimal"]) == (";", ",")
    assert validate_file(GOOD / "bom.csv").report["input"]["encoding"] == "utf-8-sig"
