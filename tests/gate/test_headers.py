"""Headers and whole columns that say nothing, or say it twice (#7).

A header repeated exactly, a header with a control character, a table without one
of the two compartments, a column without any value and cells spelled as missing
values: each is said, naming the header as written and where it is.
"""

import json
from pathlib import Path

from iongrad.gate.validation import validate_file

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
LONG = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM\n"


def _failures(result, rule):
    return [f for f in result.report["failures"] if f["rule"] == rule]


def test_repeated_header_names_both_positions_and_no_invented_name():
    result = validate_file(BAD / "repeated_header.csv", mode="lenient")
    assert not result.ok
    hits = _failures(result, "duplicate_header")
    assert len(hits) == 1
    assert hits[0]["severity"] == "error"
    assert "columns 6 (F) and 7 (G)" in hits[0]["message"]
    assert "c_in_mM.1" not in json.dumps(result.report)


def test_header_repeated_three_times_names_every_position(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,x,x,x\n"
        "s1,a,20,K+,140,5,1,2,3\n",
        encoding="utf-8",
    )
    hits = _failures(validate_file(path), "duplicate_header")
    assert [h["column"] for h in hits] == ["x"]
    assert "columns 7 (G), 8 (H) and 9 (I)" in hits[0]["message"]


def test_blank_headers_repeated_are_ignored_columns_not_duplicates(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(LONG.rstrip("\n") + ",,\ns1,a,20,K+,140,5,,\n", encoding="utf-8")
    result = validate_file(path)
    assert result.ok
    assert _failures(result, "duplicate_header") == []


def test_control_character_in_a_header_is_an_error_naming_it():
    result = validate_file(BAD / "nul_in_header.csv")
    hits = _failures(result, "header_character")
    assert len(hits) == 1
    assert "column 7 (G)" in hits[0]["message"]
    assert "\\x00" in hits[0]["message"]
    assert result.report["rows_accepted"] == 0


def test_table_without_bath_concentrations_is_an_error():
    result = validate_file(BAD / "no_c_out_column.csv", mode="lenient")
    hits = _failures(result, "required_column")
    assert [h["column"] for h in hits] == ["c_out"]
    assert "no potential" in hits[0]["message"]
    assert result.report["rows_accepted"] == 0


def test_wide_table_without_any_inside_column_is_an_error():
    result = validate_file(BAD / "wide_no_in_column.csv", mode="lenient")
    assert [h["column"] for h in _failures(result, "required_column")] == ["c_in"]


def test_wide_ion_measured_on_one_side_only_is_fine(tmp_path):
    # an impermeant anion measured inside only: the other ions give both sides
    path = tmp_path / "w.csv"
    path.write_text(
        "sample_id,cell_type,temperature_C,K_in_mM,K_out_mM,Cl_in_mM,Cl_out_mM,"
        "A_in_mM\ns1,a,20,140,5,10,5,130\n",
        encoding="utf-8",
    )
    assert _failures(validate_file(path), "required_column") == []


def test_empty_column_is_a_warning_naming_it():
    result = validate_file(BAD / "warn_empty_column.csv")
    assert result.ok
    hits = _failures(result, "empty_column")
    assert [(h["column"], h["severity"]) for h in hits] == [("vm_mV", "warning")]


def test_missing_value_spellings_are_reported_with_their_rows():
    result = validate_file(BAD / "warn_na_text.csv")
    assert result.ok
    hits = _failures(result, "na_text")
    assert len(hits) == 1
    message = hits[0]["message"]
    assert "3 cell(s)" in message
    assert "rows 3, 4, 5" in message
    for token in ("'NaN'", "'NA'", "'nan'"):
        assert token in message


def test_missing_value_rows_are_bounded(tmp_path):
    rows = "".join(f"s{i},a,20,K+,NaN,5\n" for i in range(30))
    path = tmp_path / "t.csv"
    path.write_text(LONG + "s,a,20,K+,140,5\n" + rows, encoding="utf-8")
    (hit,) = _failures(validate_file(path), "na_text")
    assert "30 cell(s)" in hit["message"]
    assert "rows 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 20 more" in hit["message"]
