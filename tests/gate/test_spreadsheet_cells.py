"""Where a workbook's bad cell is: ``Sheet1!D17``, as a spreadsheet shows it (#18).

Every failure of a workbook names its sheet and cell in validation.json (``cell``)
and in its message; the rows above the header count, as the sheet numbers them. The
``reading`` block says how the workbook was read.
"""

from __future__ import annotations

import datetime as dt

import pytest
from spreadsheet_corpus import DATA, HEADER, LAYOUTS, _xlsx

from iongrad.gate.validation import validate_file


def _failures(result):
    return [(f["rule"], f.get("cell"), f["value"]) for f in result.report["failures"]
            if f["severity"] == "error"]  # fmt: skip


def _bad(tmp_path, row: int, column: int, value, preamble=()):
    """The plain table with DATA[row][column] replaced by ``value``."""
    rows = [list(r) for r in DATA]
    rows[row][column] = value
    return _xlsx(tmp_path / "bad.xlsx", [*preamble, HEADER, *rows])


@pytest.mark.parametrize(
    ("value", "rule", "shown"),
    [
        ("#DIV/0!", "spreadsheet_error", "#DIV/0!"),
        ("#N/A", "spreadsheet_error", "#N/A"),
        ("#VALUE!", "spreadsheet_error", "#VALUE!"),
        ("#REF!", "spreadsheet_error", "#REF!"),
        ("#NAME?", "spreadsheet_error", "#NAME?"),
        ("#NUM!", "spreadsheet_error", "#NUM!"),
        ("#NULL!", "spreadsheet_error", "#NULL!"),
        ("=E2/0", "spreadsheet_error", "formula without a cached value"),
        ("14O", "number_format", "14O"),
        (dt.datetime(2024, 5, 1), "number_format", "2024-05-01"),
        (True, "number_format", "TRUE"),
        (-140, "c_in_nonnegative_finite", -140),
    ],
)
def test_a_bad_cell_is_an_error_at_its_cell(tmp_path, value, rule, shown):
    # K_in_mM (column D) of s2 (sheet row 3)
    path = _bad(tmp_path, 1, 3, value)
    result = validate_file(path, dataset="cells")
    assert not result.ok
    assert _failures(result) == [(rule, "Sheet1!D3", shown)]
    errors = [f for f in result.report["failures"] if f["severity"] == "error"]
    message = errors[0]["message"]
    assert message.startswith(f"{path}, Sheet1!D3, column 'K_in_mM'")
    assert "s2" in set(result.rejected.get("sample_id", result.rejected.iloc[:, 3]))


def test_the_cell_counts_the_rows_above_the_header(tmp_path):
    preamble = [["Ion concentrations"], ["operator: A.B."], None]
    path = _bad(tmp_path, 2, 5, "#DIV/0!", preamble)  # Na_in_mM of s3: F7
    result = validate_file(path, dataset="cells")
    assert _failures(result) == [("spreadsheet_error", "Sheet1!F7", "#DIV/0!")]
    assert result.report["reading"]["header_row"] == 4


def test_an_error_in_a_column_the_gate_does_not_read_is_a_warning(tmp_path):
    rows = [[*HEADER, "notes"], *[[*r, "ok"] for r in DATA]]
    rows[2][-1] = "#N/A"
    path = _xlsx(tmp_path / "notes.xlsx", rows)
    result = validate_file(path, dataset="cells")
    assert result.ok, result.summary()
    hits = [f for f in result.report["failures"] if f["rule"] == "spreadsheet_error"]
    assert [(f["severity"], f["cell"]) for f in hits] == [("warning", "Sheet1!J3")]


def test_the_reading_block_says_how_the_workbook_was_read(tmp_path):
    path, options = LAYOUTS["chosen_sheet"](tmp_path)
    reading = validate_file(path, options=options).report["reading"]
    assert reading["format"] == "xlsx"
    assert reading["sheet"] == "Run 1"
    assert reading["sheets"] == ["Notes", "Run 1"]
    assert reading["header_row"] == 1


def _ods_with_errors(path):
    """An .ods as LibreOffice saves error results: #DIV/0! as the number 0 and #N/A
    as empty text, each marked calcext:value-type="error"."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    calcext = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
    doc = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    for i, row in enumerate([HEADER, *DATA]):
        tr = TableRow()
        for j, cell in enumerate(row):
            if (i, j) == (2, 4):  # K_out of s2: =1/0
                tc = TableCell(formula="of:=1/0", valuetype="float", value=0)
                tc.setAttrNS(calcext, "value-type", "error")
                tc.addElement(P(text="#DIV/0!"))
            elif isinstance(cell, str):
                tc = TableCell(valuetype="string")
                tc.addElement(P(text=cell))
            else:
                tc = TableCell(valuetype="float", value=cell)
            tr.addElement(tc)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def test_an_ods_error_value_is_an_error_not_zero(tmp_path):
    path = _ods_with_errors(tmp_path / "errors.ods")
    result = validate_file(path, dataset="cells")
    assert _failures(result) == [("spreadsheet_error", "Sheet1!E3", "#DIV/0!")]


def test_a_header_failure_names_its_header_cell(tmp_path):
    rows = [[*HEADER, "notes"], *[[*r, "ok"] for r in DATA]]
    result = validate_file(_xlsx(tmp_path / "notes.xlsx", rows), dataset="cells")
    failures = result.report["failures"]
    assert [f["cell"] for f in failures if f["rule"] == "ignored_column"] == [
        "Sheet1!J1"
    ]


def test_hidden_rows_and_columns_with_data_are_read_and_said(tmp_path):
    """A row or column hidden in the workbook is still data (nothing is dropped
    unseen), and a warning says it is hidden, at its cell."""
    import openpyxl

    path = _xlsx(
        tmp_path / "hidden.xlsx", [[*HEADER, "notes"], *[[*r, "x"] for r in DATA]]
    )
    book = openpyxl.load_workbook(path)
    sheet = book.active
    sheet.row_dimensions[3].hidden = True  # s2
    sheet.column_dimensions["J"].hidden = True  # notes
    book.save(path)
    result = validate_file(path, dataset="cells")
    assert result.ok, result.summary()
    assert result.report["rows_accepted"] == 9
    hits = [(f["rule"], f["cell"], f["severity"]) for f in result.report["failures"]
            if f["rule"].startswith("hidden_")]  # fmt: skip
    assert hits == [("hidden_column", "Sheet1!J1", "warning"),
                    ("hidden_row", "Sheet1!3:3", "warning")]  # fmt: skip
    assert result.report["reading"]["hidden_rows"] == "3"
