"""Failures speak the file's language: its header, its cell text, once per cell (#11).

The canonical table is the program's; a failure found there (a temperature in
kelvin, a concentration in mM, a wide cell melted into an ion's record) is reported
at the source cell it came from, with the header and the text the user typed, and a
wide cell's failure concerns its own ion's record only.
"""

from pathlib import Path

from iongrad.gate.validation import validate_file

LONG = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM\n"
WIDE = "sample_id,cell_type,temperature_C,K_in_mM,K_out_mM,Ca_in [nM],Ca_out_mM\n"


def _write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _failures(result, rule):
    return [f for f in result.report["failures"] if f["rule"] == rule]


def test_temperature_range_names_the_users_header_and_cell(tmp_path):
    path = _write(tmp_path, LONG + "s1,x,98.6,K+,140,5\ns1,x,98.6,Cl-,10,5\n")
    result = validate_file(path)
    hits = _failures(result, "temperature_range")
    assert [(f["row"], f["column"], f["value"]) for f in hits] == [
        (2, "temperature_C", "98.6"),
        (3, "temperature_C", "98.6"),
    ]
    assert "371.75" not in hits[0]["message"]
    assert "'temperature_C'" in hits[0]["message"]
    assert "temperature_K" not in hits[0]["message"].split(": rule")[0]


def test_wide_cell_failure_names_its_header_cell_and_ion(tmp_path):
    path = _write(tmp_path, WIDE + "s1,x,20,140,5,-100,2\n")
    result = validate_file(path, mode="lenient")
    hits = _failures(result, "c_in_nonnegative_finite")
    assert len(hits) == 1
    hit = hits[0]
    assert (hit["row"], hit["column"], hit["value"], hit["ion"]) == (
        2,
        "Ca_in [nM]",
        "-100",
        "Ca2+",
    )
    assert "Ca2+" in hit["message"]
    assert "-0.0001" not in hit["message"]
    # only the Ca2+ record of the row is rejected
    assert result.accepted["ion"].tolist() == ["K+"]
    assert result.rejected["ion"].tolist() == ["Ca2+"]


def test_wide_per_row_failure_is_reported_once_per_cell(tmp_path):
    path = _write(tmp_path, WIDE + "s1,x,98.6,140,5,100,2\n")
    result = validate_file(path, mode="lenient")
    hits = _failures(result, "temperature_range")
    assert [(f["row"], f["column"], f["value"]) for f in hits] == [
        (2, "temperature_C", "98.6")
    ]
    assert hits[0]["ion"] is None
    # the cell belongs to every record of its row: all are rejected
    assert sorted(result.rejected["ion"]) == ["Ca2+", "K+"]
    assert result.accepted.empty


def test_wide_unparsable_cell_rejects_its_own_ion_only(tmp_path):
    path = _write(tmp_path, WIDE + "s1,x,20,abc,5,100,2\ns2,x,20,140,5,100,2\n")
    result = validate_file(path, mode="lenient")
    hits = _failures(result, "number_format")
    assert [(f["row"], f["column"], f["value"], f["ion"]) for f in hits] == [
        (2, "K_in_mM", "abc", "K+")
    ]
    rejected = list(
        zip(result.rejected["source_row"], result.rejected["ion"], strict=True)
    )
    assert rejected == [(2, "K+")]
    assert result.report["rows_read"] == 4
    assert result.report["rows_accepted"] == 3


def test_table_rule_on_a_per_row_cell_quotes_the_cell_once_per_row(tmp_path):
    path = _write(tmp_path, WIDE + "s1,x,20,140,5,100,2\ns1,x,25,140,5,100,2\n")
    result = validate_file(path)
    hits = _failures(result, "one_temperature_per_sample")
    assert [(f["row"], f["column"], f["value"]) for f in hits] == [
        (2, "temperature_C", "20"),
        (3, "temperature_C", "25"),
    ]
