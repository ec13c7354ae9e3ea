"""Every file of tests/data/bad: exit status, and a message naming file/row/column/rule.

One case per failure mode. ``row`` is the line a spreadsheet shows (header = line 1);
file-level problems of a CSV point at the header line, of a parquet file at no row.
"""

import json
from pathlib import Path

import pytest

from iongrad.cli import main
from iongrad.gate.contract import load_contract

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

# file, exit status, rule, row, column (as reported)
CASES = [
    ("missing_column.csv", 1, "required_column", 1, "cell_type"),
    ("unknown_ion.csv", 1, "known_ion", 3, "ion"),
    ("negative_concentration.csv", 1, "c_in_nonnegative_finite", 2, "c_in_mM"),
    ("nan_concentration.csv", 1, "concentration_measured", 3, "c_in_mM"),
    ("text_in_number.csv", 1, "number_format", 3, "c_out_mM"),
    ("duplicate_rows.csv", 1, "unique_sample_ion", 3, "ion"),
    ("mixed_units.csv", 1, "mixed_scale", 4, "concentration_scale"),
    ("unknown_unit_header.csv", 1, "unknown_unit", 1, "c_in [mg/dl]"),
    ("unknown_unit_cell.csv", 1, "unknown_unit", 3, "unit"),
    ("valence_mismatch.csv", 1, "valence_matches_registry", 3, "valence"),
    ("temperature_impossible.csv", 1, "temperature_range", 2, "temperature_K"),
    ("header_only.csv", 1, "no_data_rows", 1, None),
    ("wrong_separator.csv", 1, "separator", 1, "dataset|sample_id|cell_type|"
     "temperature_C|ion|c_in_mM|c_out_mM"),
    ("wrong_types.parquet", 1, "parquet_dtype", 2, "c_in"),
    ("two_temperatures.csv", 1, "one_temperature_per_sample", 3, "temperature_C"),
    ("two_cell_types.csv", 1, "one_cell_type_per_sample", 2, "cell_type"),
    ("two_vm.csv", 1, "one_vm_per_sample", 3, "vm_mV"),
    ("gamma_out_of_range.csv", 1, "gamma_in_range", 2, "gamma_in"),
    ("gamma_zero.csv", 1, "gamma_out_range", 2, "gamma_out"),
    ("infinite_concentration.csv", 1, "c_out_nonnegative_finite", 2, "c_out_mM"),
    ("temperature_no_unit.csv", 1, "missing_unit", 1, "temperature"),
    ("concentration_no_unit.csv", 1, "missing_unit", 1, "c_out"),
    ("ragged_row.csv", 1, "field_count", 3, None),
    ("bad_dataset_name.csv", 1, "dataset_name", 2, "dataset"),
    ("blank_sample_id.csv", 1, "not_nullable", 2, "sample_id"),
    ("non_integer_valence.csv", 1, "integer_format", 2, "valence"),
    ("bad_permeant.csv", 1, "boolean_format", 2, "permeant"),
    ("duplicate_column.csv", 1, "duplicate_column", 1, "temperature_K"),
    ("wide_unknown_ion.csv", 1, "unknown_ion_column", 1, "Xq_in_mM"),
    ("ambiguous_header.csv", 1, "ambiguous_header", 1, "Cl (mM)"),
    ("mixed_layout.csv", 1, "layout", 1, "ion"),
    ("bad_ljp_flag.csv", 1, "ljp_corrected_value", 2, "ljp_corrected"),
    ("ljp_out_of_range.csv", 1, "ljp_range", 2, "ljp_mV"),
    ("vm_out_of_range.csv", 1, "vm_range", 2, "vm_mV"),
    ("vm_in_volts.csv", 1, "unknown_unit", 1, "vm [V]"),
    ("erev_out_of_range.csv", 1, "erev_range", 2, "erev_mV"),
    ("negative_permeability.csv", 1, "permeability_nonnegative_finite", 2,
     "permeability"),
    ("thousands_separator.csv", 1, "ambiguous_number", 2, "c_in_mM"),
    ("ambiguous_thousands.csv", 1, "ambiguous_number", 2, "c_in_uM"),
    ("wide_mixed_scale.csv", 1, "mixed_scale", 2, "concentration_scale"),
    ("temperature_unit_unknown.csv", 1, "unknown_unit", 2, "temperature_unit"),
    ("unit_conflict.parquet", 1, "unit_conflict", None, "c_in_mM"),
    ("repeated_header.csv", 1, "duplicate_header", 1, "c_in_mM"),
    ("nul_in_header.csv", 1, "header_character", 1, "c_out\x00_mM"),
    ("no_c_out_column.csv", 1, "required_column", 1, "c_out"),
    ("wide_no_in_column.csv", 1, "required_column", 1, "c_in"),
    ("warn_empty_column.csv", 0, "empty_column", 1, "vm_mV"),
    ("warn_na_text.csv", 0, "na_text", 1, "c_in_mM"),
    ("warn_bath_not_neutral.csv", 0, "bath_electroneutral", 4, "c_out_mM"),
    ("warn_intracellular_calcium.csv", 0, "plausible_c_in", 3, "c_in_mM"),
]  # fmt: skip

# Files that cannot be read at all: exit 2, message names file, rule (and line).
UNREADABLE = [
    ("empty.csv", "empty_file", None),
    ("bom_utf16.csv", "encoding", 1),
    ("latin1.csv", "encoding", 2),
    ("truncated.parquet", "parquet", None),
    # .xlsx is read since #18: this one is no workbook (its text is "not a spreadsheet")
    ("unknown_file_type.xlsx", "spreadsheet", None),
]


def _validate(capsys, *argv):
    status = main(["validate", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(("name", "status", "rule", "row", "column"), CASES)
def test_bad_file(capsys, name, status, rule, row, column):
    path = str(BAD / name)
    code, out, _ = _validate(capsys, path, "--json")
    assert code == status
    report = json.loads(out)["files"][0]
    hits = [f for f in report["failures"] if f["rule"] == rule]
    assert hits, f"rule {rule} not reported: {report['failures']}"
    match = [f for f in hits if f["row"] == row and f["column"] == column]
    assert match, f"no {rule} failure at row {row}, column {column}: {hits}"
    failure = match[0]
    assert failure["file"] == path
    message = failure["message"]
    assert path in message
    assert f"rule {rule}" in message
    if row is not None:
        assert f"row {row}" in message
    if column is not None:
        assert repr(column) in message
    expected_severity = "warning" if status == 0 else "error"
    assert failure["severity"] == expected_severity
    assert report["rows_read"] == report["rows_accepted"] + report["rows_rejected"]


@pytest.mark.parametrize(("name", "rule", "row"), UNREADABLE)
def test_unreadable_file(capsys, name, rule, row):
    path = str(BAD / name)
    code, out, err = _validate(capsys, path)
    assert code == 2
    assert path in err
    assert f": {rule}: " in err
    if row is not None:
        assert f"row {row}" in err
    code, out, _ = _validate(capsys, path, "--json")
    assert code == 2
    data = json.loads(out)
    assert data["unreadable"][0]["rule"] == rule


def test_dataset_mismatch(capsys):
    path = str(BAD / "dataset_mismatch.csv")
    assert _validate(capsys, path)[0] == 0  # the file alone is fine
    code, out, _ = _validate(capsys, path, "--dataset", "d1", "--json")
    assert code == 1
    failure = json.loads(out)["files"][0]["failures"][0]
    assert (failure["rule"], failure["row"], failure["column"]) == (
        "dataset_mismatch",
        2,
        "dataset",
    )
    assert failure["value"] == "other"


def test_corpus_covers_every_ingest_rule():
    """Each ingest rule named in the YAML contract has a bad file that triggers it."""
    contract = load_contract()
    ingest_rules = {n for n, r in contract.rules.items() if r.kind == "ingest"}
    covered = {case[2] for case in CASES} | {case[1] for case in UNREADABLE}
    covered |= {"dataset_mismatch", "file_not_found", "ignored_column"}  # elsewhere
    covered |= {"is_directory"}  # test_cli_gate.py
    # test_spreadsheets.py and test_preambles.py (workbooks are made in the tests)
    covered |= {"file_type", "spreadsheet_error", "several_sheets", "sheet"}
    covered |= {"summary_row", "read_options", "hidden_row", "hidden_column"}
    covered |= {"mapped_header_absent"}  # test_header_grammars.py (config mapping)
    covered |= {"unknown_solution"}  # test_solution_columns.py (the config's names)
    assert ingest_rules <= covered, ingest_rules - covered
    assert len(list(BAD.iterdir())) >= 30


def test_many_files_exit_status_is_the_worst(capsys):
    good = str(BAD.parent / "good" / "long_mM.csv")
    assert _validate(capsys, good)[0] == 0
    code, text, _ = _validate(capsys, good, str(BAD / "negative_concentration.csv"))
    assert code == 1
    # The human summary: one header line per file, then the failures.
    assert "long_mM.csv: OK (strict)" in text
    assert "negative_concentration.csv: FAILED (strict)" in text
    assert "row 2, column 'c_in_mM': value '-400': rule c_in_nonnegative_finite" in text
    code, _, err = _validate(
        capsys, good, str(BAD / "negative_concentration.csv"), str(BAD / "empty.csv")
    )
    assert code == 2
    assert "empty.csv" in err


def test_unusable_dataset_argument(capsys):
    code, _, err = _validate(capsys, str(BAD / "empty.csv"), "--dataset", "a b")
    assert code == 2
    assert "--dataset" in err


def test_missing_file(capsys):
    code, _, err = _validate(capsys, str(BAD / "no_such_file.csv"))
    assert code == 2
    assert "no_such_file.csv" in err
    assert ": file_not_found: " in err
