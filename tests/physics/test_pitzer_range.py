"""Pitzer's per-salt validated molality (pitzer_binary.csv max_molality) is enforced."""

import json

import pandas as pd
import pytest

from iongrad.cli import main
from iongrad.physics.activity import activity_coefficients, activity_coefficients_long
from iongrad.tables.activity import activity_table


@pytest.mark.parametrize(
    ("ions", "m", "pair", "limit"),
    [
        (["Na+", "HCO3-"], [3.0, 3.0], "Na+/HCO3-", "1 mol/kg"),
        (["Ca2+", "SO4 2-"], [0.5, 0.5], "Ca2+/SO4 2-", "0.02 mol/kg"),
    ],
)
def test_a_salt_beyond_its_fitted_molality_is_not_valid(ions, m, pair, limit):
    r = activity_coefficients([m], ions, 298.15, model="pitzer")
    assert not r.valid[0]
    assert pair in r.notes[0]
    assert f"{m[0]:g} mol/kg" in r.notes[0]
    assert limit in r.notes[0]
    long = activity_coefficients_long(
        molality=m, ion=[0, 1], ions=ions, valence=[1, -1] if m[0] == 3.0 else [2, -2],
        solution=[0, 0], temperature_K=[298.15], model="pitzer",
    )  # fmt: skip
    assert not long.valid[0]
    assert pair in long.notes[0]


def test_salts_inside_their_range_stay_valid():
    r = activity_coefficients([[1.0, 1.0], [0.01, 0.01]], ["Na+", "Cl-"], 298.15,
                              model="pitzer")  # fmt: skip
    assert r.valid.tolist() == [True, True]
    assert r.notes.tolist() == ["", ""]
    # In a mixture a salt's molality is the most of it the ions can form:
    # 0.15 Na+, 0.005 K+, 0.155 Cl-: KCl at 0.005 (limit 4.5), NaCl at 0.15 (6).
    mix = activity_coefficients([[0.15, 0.005, 0.155]], ["Na+", "K+", "Cl-"], 310.15,
                                model="pitzer")  # fmt: skip
    assert mix.valid[0]


def test_the_activity_table_says_which_salt_is_out_of_range():
    df = pd.DataFrame({"dataset": "d", "sample_id": "s", "temperature_K": 298.15,
                       "ion": ["Na+", "HCO3-"], "valence": [1, -1],
                       "c_in_mM": [10.0, 10.0], "c_out_mM": [3000.0, 3000.0],
                       "concentration_scale": "molal"})  # fmt: skip
    out = activity_table(df, model="pitzer")
    assert not out["activity_valid"].any()
    assert out["activity_reason"].str.contains("Na+/HCO3-", regex=False).all()
    assert out["activity_reason"].str.contains("1 mol/kg", regex=False).all()


def test_cli_activity_pitzer_says_the_salt_is_out_of_range(capsys):
    argv = ["activity", "--model", "pitzer", "--solution",
            "Na+=3mol/kg, HCO3-=3mol/kg", "--temperature", "25C"]  # fmt: skip
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert "Na+/HCO3-" in data["notes"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "OUTSIDE" in text
    assert "Na+/HCO3-" in text
    assert "1 mol/kg" in text
