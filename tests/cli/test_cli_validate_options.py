"""``iongrad validate`` reads a file with the options the workflow reads it with.

The flags are a dataset's read options (``sheet``, ``columns``, ``header_row``,
``units_row``, ``skip_rows``, ``number_format``), the same for ``validate`` and
``inspect``: a file passes ``iongrad validate`` with them exactly when the
workflow, given the same keys in the config, accepts it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GERMAN = "Probe,Zelltyp,Temperatur,Kalium innen,Kalium aussen\ns1,n,37,140,5\n"
MAPPING = (
    "Probe: {column: sample_id}\nZelltyp: {column: cell_type}\n"
    "Temperatur: {column: temperature, unit: degC}\n"
    "Kalium innen: {ion: K+, side: in, unit: mM}\n"
    "Kalium aussen: {ion: K+, side: out, unit: mM}\n"
)
HEADER = "Sample,Cell type,Temp (°C),Ki (mM),Ko (mM)"


def _write(tmp_path: Path, text: str, name: str = "t.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _json(cli, *argv):
    code, out, err = cli("validate", *argv, "--json")
    return code, json.loads(out), err


def test_a_mapping_reads_headers_no_grammar_knows(tmp_path, cli):
    path = _write(tmp_path, GERMAN)
    code, out, _ = cli("validate", path)
    assert code == 1
    assert "rule required_column: no sample_id column; columns seen: 'Probe'" in out
    mapping = _write(tmp_path, MAPPING, "columns.yaml")
    code, report, _ = _json(cli, path, "--columns", mapping)
    assert code == 0, report["files"][0]["failures"]
    assert report["files"][0]["rows_accepted"] == 1
    assert report["files"][0]["input"]["columns"]["Probe"]["column"] == "sample_id"


def test_a_mapping_under_a_columns_key_is_read_too(tmp_path, cli):
    path = _write(tmp_path, GERMAN)
    nested = "columns:\n" + "".join(f"  {line}\n" for line in MAPPING.splitlines())
    mapping = _write(tmp_path, nested, "columns.yaml")
    assert cli("validate", path, "--columns", mapping)[0] == 0


def test_a_misspelt_mapping_key_is_exit_2_naming_it_and_the_closest(tmp_path, cli):
    path = _write(tmp_path, GERMAN)
    mapping = _write(
        tmp_path, MAPPING.replace("side: in,", "sied: in,"), "columns.yaml"
    )
    code, out, err = cli("validate", path, "--columns", mapping)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1  # one line
    assert err.startswith(f"iongrad validate: error: --columns {mapping}: ")
    assert "'Kalium innen': unknown key 'sied'; did you mean side" in err
    code, report, _ = _json(cli, path, "--columns", mapping)
    assert (code, report["command"], report["exit_status"]) == (2, "validate", 2)
    assert "unknown key 'sied'" in report["error"]


def test_a_misspelt_mapping_value_is_exit_2_with_the_suggestion(tmp_path, cli):
    path = _write(tmp_path, GERMAN)
    mapping = _write(tmp_path, "Zelltyp: {column: cel_type}\n", "columns.yaml")
    code, _, err = cli("validate", path, "--columns", mapping)
    assert code == 2
    said = "'Zelltyp': unknown contract column 'cel_type'; did you mean cell_type?"
    assert said in err


@pytest.mark.parametrize(
    ("text", "said"),
    [("- a\n- b\n", "must map headers"), ("a: [\n", "cannot read it")],
)
def test_a_mapping_file_that_is_no_mapping_is_exit_2(text, said, tmp_path, cli):
    path = _write(tmp_path, GERMAN)
    mapping = _write(tmp_path, text, "m.yaml")
    code, _, err = cli("validate", path, "--columns", mapping)
    assert code == 2
    assert f"--columns {mapping}: " in err
    assert said in err


def _two_sheets(tmp_path: Path) -> str:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Run 1"
    book.active.append(HEADER.split(","))
    book.active.append(["s1", "n", 37, 140, 5])
    other = book.create_sheet("Run 2")
    other.append(["Sample", "Cell type", "T [K]", "Ki (mM)", "Ko (mM)"])
    other.append(["s2", "n", 310, 139, 5])
    book.save(tmp_path / "book.xlsx")
    return str(tmp_path / "book.xlsx")


def test_a_workbook_sheet_is_chosen_with_sheet(tmp_path, cli):
    path = _two_sheets(tmp_path)
    code, out, err = cli("validate", path)
    assert (code, out) == (2, "")  # cannot be read until a sheet is chosen
    assert "'Run 1', 'Run 2'" in err
    assert "--sheet NAME" in err
    code, report, _ = _json(cli, path, "--sheet", "Run 2")
    assert code == 0, report["files"][0]["failures"]
    (result,) = report["files"]
    assert result["reading"]["sheet"] == "Run 2"
    assert result["rows_accepted"] == 1


def test_a_sheet_the_workbook_lacks_is_named(tmp_path, cli):
    path = _two_sheets(tmp_path)
    code, _, err = cli("validate", path, "--sheet", "Run 3")
    assert code == 2
    assert "'Run 3'" in err


TITLED = f"Sample sheet,Cell type notes,Temp log,Ki,Ko\n{HEADER}\ns1,n,37,140,5\n"


def test_header_row_reads_a_file_below_a_title_line_that_looks_like_one(tmp_path, cli):
    path = _write(tmp_path, TITLED)
    assert cli("validate", path)[0] == 1  # the title line is taken for the header
    code, report, _ = _json(cli, path, "--header-row", "2")
    assert code == 0, report["files"][0]["failures"]
    reading = report["files"][0]["reading"]
    assert (reading["header_row"], reading["header_row_by"]) == (2, "config")
    assert reading["skipped"][0]["rows"] == "1"


def test_units_row_gives_the_columns_their_units(tmp_path, cli):
    text = "Sample,Cell type,Temp,Ki,Ko\n,,°C,mM,uM\ns1,n,37,140,5000\n"
    path = _write(tmp_path, text)
    code, report, _ = _json(cli, path, "--header-row", "1", "--units-row", "2")
    assert code == 0, report["files"][0]["failures"]
    assert report["files"][0]["reading"]["units_row"] == 2


def test_skip_rows_leaves_out_a_line_that_is_no_data(tmp_path, cli):
    text = f"{HEADER}\ns1,n,37,140,5\nrig changed here,,,,\ns2,n,37,139,5\n"
    path = _write(tmp_path, text)
    code, out, _ = cli("validate", path)
    assert code == 1
    assert "row 3, column 'Cell type': rule not_nullable" in out
    code, report, _ = _json(cli, path, "--skip-rows", "3")
    assert code == 0, report["files"][0]["failures"]
    assert report["files"][0]["rows_accepted"] == 2


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--header-row", "0"], "--header-row: header_row must be a row number >= 1"),
        (["--header-row", "3", "--units-row", "2"],
         "--header-row/--units-row: units_row 2 must be below header_row 3"),
        (["--skip-rows", "0,4"], "--skip-rows: skip_rows must be row numbers >= 1"),
        (["--thousands", "."], "--thousands needs --decimal"),
        (["--decimal", ",", "--thousands", ","], "--decimal/--thousands: "),
    ],
)  # fmt: skip
def test_an_unusable_read_option_is_exit_2_naming_its_flag(argv, said, tmp_path, cli):
    path = _write(tmp_path, f"{HEADER}\ns1,n,37,140,5\n")
    code, out, err = cli("validate", path, *argv)
    assert (code, out) == (2, "")
    assert said in err


def test_skip_rows_that_are_no_numbers_are_refused_naming_the_flag(
    tmp_path, cli, capsys
):
    path = _write(tmp_path, f"{HEADER}\ns1,n,37,140,5\n")
    with pytest.raises(SystemExit) as stop:
        cli("validate", path, "--skip-rows", "3,x")
    assert stop.value.code == 2
    assert "argument --skip-rows: '3,x'" in capsys.readouterr().err


def test_the_options_apply_to_every_file_of_a_directory(tmp_path, cli):
    folder = tmp_path / "raw"
    folder.mkdir()
    _write(folder, GERMAN, "a.csv")
    _write(folder, GERMAN.replace("s1,", "s2,"), "b.csv")
    mapping = _write(tmp_path, MAPPING, "columns.yaml")
    code, report, _ = _json(cli, str(folder), "--columns", mapping)
    assert code == 0
    assert [f["rows_accepted"] for f in report["files"]] == [1, 1]


def test_inspect_takes_the_same_read_options(tmp_path, cli):
    # one parser for both commands: inspect shows the reading validate judges
    text = f"{HEADER}\ns1,n,37,140,5\nrig changed here,,,,\n"
    path = _write(tmp_path, text.replace(",", ";").replace("140", "140,5"))
    code, out, _ = cli("inspect", path, "--skip-rows", "3", "--decimal", ",")
    assert code == 0
    assert "separator ';', decimal mark ','" in out
    assert "rows left out: 3" in out
    assert cli("validate", path, "--skip-rows", "3", "--decimal", ",")[0] == 0


def test_a_directory_stands_for_its_workbooks_too(tmp_path, cli):
    folder = tmp_path / "raw"
    folder.mkdir()
    _two_sheets(folder)
    code, report, _ = _json(cli, str(folder), "--sheet", "Run 1")
    assert code == 0
    assert [Path(f["file"]).name for f in report["files"]] == ["book.xlsx"]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli("validate", str(empty))
    assert code == 2
    assert ".xlsx" in err
    assert ".parquet" in err
