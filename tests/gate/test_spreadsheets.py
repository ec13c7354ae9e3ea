"""Workbooks (.xlsx, .xlsm, .xls, .ods) through the gate (#18 item 1).

Every layout of :mod:`spreadsheet_corpus` reads as the same canonical table as the
plain CSV it is equivalent to; every bad cell is an error at the cell a spreadsheet
shows (``Sheet1!D17``), never an empty cell or NaN.
"""

from __future__ import annotations

import pandas as pd
import pytest
from spreadsheet_corpus import DATA, HEADER, LAYOUTS, PLAIN, _xlsx

from iongrad.gate.failures import IngestError
from iongrad.gate.ingest import read_table
from iongrad.gate.readers import TABLE_SUFFIXES, read_source, table_files
from iongrad.gate.validation import validate_file

#: Columns that depend on where the file is, not on what it holds.
WHERE = ["source_file", "source_row", "dataset"]


def _canonical(path, **options) -> pd.DataFrame:
    table = read_table(path, dataset="cells", options=options or None)
    return table.drop(columns=WHERE).reset_index(drop=True)


@pytest.fixture
def plain_table(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(PLAIN)
    return _canonical(path)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_reads_as_the_plain_csv(tmp_path, plain_table, layout):
    path, options = LAYOUTS[layout](tmp_path)
    table = _canonical(path, **options)
    pd.testing.assert_frame_equal(table, plain_table)
    result = validate_file(path, dataset="cells", options=options)
    assert result.report["errors"] == 0, result.summary()
    assert len(LAYOUTS) >= 12


def test_rows_keep_the_sheets_own_numbers(tmp_path):
    path, _ = LAYOUTS["title_and_notes"](tmp_path)  # header at row 4
    table = read_table(path, dataset="cells")
    assert sorted(set(table.source_row)) == [5, 6, 7]
    path, _ = LAYOUTS["blank_separators"](tmp_path)
    assert sorted(set(read_table(path, dataset="cells").source_row)) == [2, 4, 7]


def test_workbooks_are_tables_of_a_folder(tmp_path):
    assert {".xlsx", ".xlsm", ".xls", ".ods"} <= TABLE_SUFFIXES
    LAYOUTS["plain"](tmp_path)
    (tmp_path / "~$plain.xlsx").write_bytes(b"lock")
    tables, skipped = table_files(tmp_path)
    assert [p.name for p in tables] == ["plain.xlsx"]
    assert [p.name for p in skipped] == ["~$plain.xlsx"]


def test_an_unknown_suffix_names_what_is_read(tmp_path):
    path = tmp_path / "cells.docx"
    path.write_text("x")
    with pytest.raises(IngestError, match=r"\.xlsx, \.xlsm, \.xls or \.ods") as err:
        read_source(path)
    assert err.value.rule == "file_type"


def test_several_sheets_with_data_are_refused_listing_them(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Run 1"
    book.active.append(HEADER)
    book.create_sheet("Run 2").append(HEADER)
    book.create_sheet("Empty")
    path = tmp_path / "runs.xlsx"
    book.save(path)
    with pytest.raises(IngestError) as err:
        read_source(path)
    assert err.value.rule == "several_sheets"
    assert "'Run 1', 'Run 2'" in str(err.value)
    assert "sheet: NAME" in str(err.value)
    assert "sheets: all" in str(err.value)
    assert read_source(path, {"sheet": "Run 2"}).info["sheet"] == "Run 2"
    with pytest.raises(IngestError, match="did you mean 'Run 2'") as err:
        read_source(path, {"sheet": "run 2"})
    assert err.value.rule == "sheet"


def test_a_merged_header_cell_names_every_column_it_spans(tmp_path):
    """A name merged over two columns names both: a repeated header, said as such,
    never a column read without its name."""
    header = [*HEADER[:-1], "Cl_out_mM", ""]
    rows = [header, *[[*r, r[-1]] for r in DATA]]
    path = _xlsx(tmp_path / "merged.xlsx", rows, merge=["I1:J1"])
    source = read_source(path)
    assert source.info["headers"][-2:] == ["Cl_out_mM", "Cl_out_mM"]
    assert source.info["reading"]["merged_cells"] == ["I1:J1"]
    result = validate_file(path, dataset="cells")
    assert [f["rule"] for f in result.report["failures"]
            if f["severity"] == "error"] == ["duplicate_header"]  # fmt: skip


def test_an_integer_column_reads_as_the_csv_text(tmp_path):
    rows = [HEADER, *[[i + 1, *r[1:]] for i, r in enumerate(DATA)]]
    path = _xlsx(tmp_path / "ids.xlsx", rows)
    assert sorted(set(read_table(path).sample_id)) == ["1", "2", "3"]


def test_an_xls_file_says_its_error_values_cannot_be_seen(tmp_path):
    path, _ = LAYOUTS["xls"](tmp_path)
    reading = validate_file(path, dataset="cells").report["reading"]
    assert reading["format"] == "xls"
    assert "save it as .xlsx" in reading["note"]


def test_a_group_header_merged_over_its_columns_names_them_with_the_row_below(tmp_path):
    """``K+ (mM)`` merged over two columns above ``in`` and ``out``: a two-row header
    read as ``K+ (mM) in`` and ``K+ (mM) out``; a name merged over both rows stays."""
    top = ["sample_id", "cell_type", "temperature_C", "K+ (mM)", "", "Na+ (mM)", "",
           "Cl- (mM)", ""]  # fmt: skip
    below = ["", "", "", "in", "out", "in", "out", "in", "out"]
    merge = ["A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:G2", "H2:I2"]
    path = _xlsx(
        tmp_path / "groups.xlsx", [["Table 1"], top, below, *DATA], merge=merge
    )
    plain = tmp_path / "plain.csv"
    plain.write_text(PLAIN)
    table = read_table(path, dataset="cells").drop(columns=WHERE)
    expected = read_table(plain, dataset="cells").drop(columns=WHERE)
    pd.testing.assert_frame_equal(table, expected)
    reading = validate_file(path, dataset="cells").report["reading"]
    assert (reading["header_row"], reading["group_row"]) == (3, 2)
    assert sorted(set(read_table(path, dataset="cells").source_row)) == [4, 5, 6]


def test_an_xlsm_workbook_reads_as_its_xlsx_twin(tmp_path, plain_table):
    """.xlsm is .xlsx with macros allowed: the same cells, the same error scan."""
    path, _ = LAYOUTS["plain"](tmp_path)
    macro = path.with_suffix(".xlsm")
    macro.write_bytes(path.read_bytes())
    pd.testing.assert_frame_equal(_canonical(macro), plain_table)
    rows = [HEADER, *[list(r) for r in DATA]]
    rows[1][4] = "#DIV/0!"
    bad = _xlsx(tmp_path / "bad.xlsx", rows)
    bad.rename(tmp_path / "bad.xlsm")
    result = validate_file(tmp_path / "bad.xlsm", dataset="cells")
    errors = [f for f in result.report["failures"] if f["severity"] == "error"]
    assert [(f["rule"], f["cell"]) for f in errors] == [
        ("spreadsheet_error", "Sheet1!E2")
    ]
