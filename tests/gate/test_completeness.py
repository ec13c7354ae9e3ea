"""Incomplete samples are marked, and rejected values enter no sum (#1, gate part).

In lenient mode a rejected row leaves its sample incomplete: every accepted row of
the sample says so (``sample_complete`` False) and names the rejected rows in the
user's words (``sample_rejected``), so that no number is computed as if the sample
were whole. The contract's table rules (sums over a sample) run on the rows
without errors only.
"""

import re
from pathlib import Path

import pytest

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.gate.ingest import read_table
from iongrad.gate.validation import validate_file

ROOT = Path(__file__).resolve().parents[2]
RBC = ROOT / "data" / "raw" / "human_red_blood_cell.csv"
GOOD = ROOT / "tests" / "data" / "good"
BAD = ROOT / "tests" / "data" / "bad"
LONG = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM\n"


def _by_sample(accepted, column):
    return {
        sid: sorted(set(group[column]))
        for sid, group in accepted.groupby("sample_id", sort=True)
    }


def test_canonical_table_has_the_completeness_columns():
    assert CANONICAL_COLUMNS[-4:-2] == ["sample_complete", "sample_rejected"]
    table = read_table(GOOD / "long_mM.csv")
    assert table["sample_complete"].dtype == bool
    assert table["sample_complete"].all()
    assert (table["sample_rejected"] == "").all()


def test_red_blood_cell_example_marks_the_incomplete_samples():
    result = validate_file(RBC, mode="lenient")
    accepted = result.accepted
    assert list(accepted.columns) == CANONICAL_COLUMNS
    assert _by_sample(accepted, "sample_complete") == {
        "illustrative_a": [False],
        "textbook": [True],
        "transcription_errors": [False],
    }
    assert _by_sample(accepted, "sample_rejected") == {
        "illustrative_a": ["row 8 Potasium (known_ion: ion 'Potasium')"],
        "textbook": [""],
        "transcription_errors": [
            "row 9 K+ (number_format: c_in_mM '14O'); "
            "row 10 Na+ (c_out_nonnegative_finite: c_out_mM -142)"
        ],
    }


def test_strict_mode_accepts_only_complete_samples(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(LONG + "s1,x,20,K+,140,5\ns1,x,20,Cl-,10,110\n", encoding="utf-8")
    result = validate_file(path)
    assert result.ok
    assert result.accepted["sample_complete"].tolist() == [True, True]
    assert result.accepted["sample_rejected"].tolist() == ["", ""]


def test_wide_file_names_the_rejected_ion_of_a_row(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(
        "sample_id,cell_type,temperature_C,K_in_mM,K_out_mM,Cl_in_mM,Cl_out_mM\n"
        "s1,x,20,abc,5,10,110\n",
        encoding="utf-8",
    )
    result = validate_file(path, mode="lenient")
    assert result.accepted["ion"].tolist() == ["Cl-"]
    assert result.accepted["sample_complete"].tolist() == [False]
    assert result.accepted["sample_rejected"].tolist() == [
        "row 2 K+ (number_format: K_in_mM 'abc')"
    ]


def test_a_rejected_value_enters_no_bath_sum(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        LONG + "s1,x,20,K+,140,5\ns1,x,20,Na+,11,-142\ns1,x,20,Cl-,75,108\n",
        encoding="utf-8",
    )
    result = validate_file(path, mode="lenient")
    hits = [f for f in result.report["failures"] if f["rule"] == "bath_electroneutral"]
    assert len(hits) == 2  # K+ and Cl- (the Na+ row is rejected)
    message = hits[0]["message"]
    # 5 - 108 = -103 of 113 mM: the rejected -142 is not summed
    assert "sum z c_out = -103 mM of 113 mM (91.2 %)" in message
    assert "(|" not in message
    assert "| %" not in message


def test_bath_imbalance_prints_a_plain_percentage():
    result = validate_file(BAD / "warn_bath_not_neutral.csv")
    hits = [f for f in result.report["failures"] if f["rule"] == "bath_electroneutral"]
    assert hits
    for hit in hits:
        assert re.search(r" mM of [0-9.e+]+ mM \([0-9.]+ %\)\)$", hit["message"])


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_rows_read_are_accepted_plus_rejected(mode):
    r = validate_file(RBC, mode=mode).report
    assert r["rows_read"] == r["rows_accepted"] + r["rows_rejected"]
