"""Workbook and preamble layouts labs export, made here with the writers' own APIs.

Every layout holds the same measurements as :data:`PLAIN` (a plain CSV), laid out
another way: a title and notes above the header, units in a second header row, blank
separator rows, a summary row, several sheets, formulas with cached values, numbers
stored as text, .ods and .xls. ``LAYOUTS`` maps a name to a function
``(folder) -> (path, options)``: the file written and the dataset's read options
(config keys) it needs. Each must read as the canonical table of :data:`PLAIN`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HEADER = ["sample_id", "cell_type", "temperature_C", "K_in_mM", "K_out_mM",
          "Na_in_mM", "Na_out_mM", "Cl_in_mM", "Cl_out_mM"]  # fmt: skip
DATA = [
    ["s1", "neuron", 37, 140, 5, 12, 145, 7, 110],
    ["s2", "neuron", 37, 135, 4.5, 15, 140, 8.5, 115],
    ["s3", "glia", 22, 100, 3, 20, 150, 30, 120.25],
]
#: The plain CSV every layout is equivalent to.
PLAIN = "\n".join(",".join(str(c) for c in row) for row in [HEADER, *DATA]) + "\n"
#: The header without units, and the units row below it.
NAMES = ["sample_id", "cell_type", "Temp", "K_in", "K_out", "Na_in", "Na_out",
         "Cl_in", "Cl_out"]  # fmt: skip
UNITS = ["", "", "°C", "mM", "(mM)", "mM", "mM", "[mM]", "mM"]


def _xlsx(path: Path, rows: list[list], title: str = "Sheet1", merge=()) -> Path:
    """Write ``rows`` (None: a blank row) to one sheet with openpyxl."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for i, row in enumerate(rows, start=1):
        for j, cell in enumerate(row or [], start=1):
            if cell is not None and cell != "":
                sheet.cell(row=i, column=j, value=cell)
    for span in merge:
        sheet.merge_cells(span)
    book.save(path)
    return path


def plain(folder: Path):
    return _xlsx(folder / "plain.xlsx", [HEADER, *DATA]), {}


def title_and_notes(folder: Path):
    rows = [["Ion concentrations, cortical cells"], ["Measured by ISE, 2024-03-01"],
            None, HEADER, *DATA]  # fmt: skip
    return _xlsx(folder / "title.xlsx", rows), {}


def merged_title(folder: Path):
    rows = [["Ion concentrations"], None, HEADER, *DATA]
    return _xlsx(folder / "merged_title.xlsx", rows, merge=["A1:I1"]), {}


def units_row(folder: Path):
    return _xlsx(folder / "units.xlsx", [NAMES, UNITS, *DATA]), {}


def title_and_units(folder: Path):
    rows = [["Table 2: intracellular and bath concentrations"], None, NAMES, UNITS,
            *DATA]  # fmt: skip
    return _xlsx(folder / "title_units.xlsx", rows), {}


def blank_separators(folder: Path):
    rows = [HEADER, DATA[0], None, DATA[1], None, None, DATA[2]]
    return _xlsx(folder / "blanks.xlsx", rows), {}


def summary_rows(folder: Path):
    mean = ["Mean", "", "", 125, 4.17, 15.7, 145, 15.2, 115.1]
    sd = ["SD", "", "", 21.8, 1.04, 4.04, 5, 12.7, 5]
    return _xlsx(folder / "summary.xlsx", [HEADER, *DATA, None, mean, sd]), {}


def chosen_sheet(folder: Path):
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes["A1"] = "Calibration: 3-point, 1-10-100 mM KCl"
    data = book.create_sheet("Run 1")
    for row in [HEADER, *DATA]:
        data.append(row)
    path = folder / "two_sheets.xlsx"
    book.save(path)
    return path, {"sheet": "Run 1"}


def empty_first_sheet(folder: Path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Empty"
    data = book.create_sheet("Data")
    for row in [HEADER, *DATA]:
        data.append(row)
    path = folder / "empty_first.xlsx"
    book.save(path)
    return path, {}


def formulas_cached(folder: Path):
    """Computed cells as a spreadsheet saves them: the formula and its value."""
    import xlsxwriter

    path = folder / "formulas.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for i, row in enumerate(DATA, start=1):
        sheet.write_row(i, 0, row)
        # K_out as =value*1, Cl_out as =value+0: cached results written
        sheet.write_formula(i, 4, f"={row[4]}*1", None, row[4])
        sheet.write_formula(i, 8, f"={row[8]}+0", None, row[8])
    book.close()
    return path, {}


def numbers_as_text(folder: Path):
    rows = [HEADER, *[[str(c) for c in row] for row in DATA]]
    return _xlsx(folder / "text_numbers.xlsx", rows), {}


def stated_header_row(folder: Path):
    """A notes line naming fields ("sample, temp") that the finder would take for
    the header: the config's header_row says where it is."""
    rows = [["sample", "temp", "note: temperatures measured in bath"], HEADER, *DATA]
    return _xlsx(folder / "header_row.xlsx", rows), {"header_row": 2}


def skipped_comment(folder: Path):
    rows = [HEADER, DATA[0], ["repeat of s1 below: electrode drift"], DATA[1], DATA[2]]
    return _xlsx(folder / "comment.xlsx", rows), {"skip_rows": [3]}


def offset_table(folder: Path):
    """The table starting at C3, as pasted into a template."""
    rows = [None, None, *[["", "", *r] for r in [HEADER, *DATA]]]
    return _xlsx(folder / "offset.xlsx", rows), {}


def ods(folder: Path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    for row in [["Ion table"], [], HEADER, *DATA]:
        tr = TableRow()
        for cell in row:
            if isinstance(cell, str):
                tc = TableCell(valuetype="string")
                tc.addElement(P(text=cell))
            else:
                tc = TableCell(valuetype="float", value=cell)
                tc.addElement(P(text=str(cell)))
            tr.addElement(tc)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = folder / "cells.ods"
    doc.save(str(path))
    return path, {}


def xls(folder: Path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for i, row in enumerate([NAMES, UNITS, *DATA]):
        for j, cell in enumerate(row):
            sheet.write(i, j, cell)
    path = folder / "cells.xls"
    book.save(str(path))
    return path, {}


def csv_title_and_units(folder: Path):
    """The same preamble and units row in a CSV file."""
    lines = ["Ion concentrations, cortical cells", "", ",".join(NAMES),
             ",".join(UNITS), *[",".join(str(c) for c in r) for r in DATA]]  # fmt: skip
    path = folder / "preamble.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, {}


def csv_semicolon_title_units_mean(folder: Path):
    """A German-locale export: ';' and decimal comma, a title, units, a mean."""

    def cells(row):
        return ";".join(str(c).replace(".", ",") for c in row)

    mean = ["Mittelwert", "", "", 125, 4.17, 15.7, 145, 15.2, 115.1]
    lines = ["Ionenkonzentrationen", ";".join(NAMES), ";".join(UNITS),
             *[cells(r) for r in DATA], cells(["Mean", *mean[1:]])]  # fmt: skip
    path = folder / "semicolon.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, {}


LAYOUTS = {
    f.__name__: f
    for f in (
        plain, title_and_notes, merged_title, units_row, title_and_units,
        blank_separators, summary_rows, chosen_sheet, empty_first_sheet,
        formulas_cached, numbers_as_text, stated_header_row, skipped_comment,
        offset_table, ods, xls, csv_title_and_units, csv_semicolon_title_units_mean,
    )
}  # fmt: skip

#: A date where a number belongs (Excel turns "1.5" typed into a cell into 1 May).
A_DATE = dt.datetime(2024, 5, 1)
