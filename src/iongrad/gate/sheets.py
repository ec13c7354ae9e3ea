"""Read one sheet of a workbook (.xlsx, .xlsm, .xls, .ods) into rows of cells.

The cells are read by python-calamine (Rust's calamine): numbers, text, booleans and
dates as the workbook stores them, a formula as its cached value. Which sheet:

* the dataset's ``sheet`` (by the name its tab shows);
* else the only sheet that holds data; a workbook with several is refused with
  the list of its sheets and the config keys that choose (``sheet``, ``sheets``),
  never read as its first sheet while the others' data is dropped.

What a cell cannot give is an error at that cell (rule ``spreadsheet_error``),
never an empty cell or NaN: an error value (``#DIV/0!``, ``#N/A``, ``#VALUE!``,
``#REF!``, ``#NAME?``, ``#NUM!``, ``#NULL!``) and, in .xlsx/.xlsm, a formula without a
cached value (the workbook was written by a program that does not compute
formulas, and never opened and saved in a spreadsheet). calamine reads both as empty
cells (and an .ods error value as 0), so the sheet's XML is scanned for them in
.xlsx/.xlsm and .ods files; in .xls files an error value that calamine reads as an
empty cell cannot be told from one.

A merged cell's value fills every cell of its range (a name merged over two header
columns names both; the header reader then reports them as a repeated header). Rows
and columns hidden in an .xlsx/.xlsm are read like the others (hiding is no way to
leave data out: it would be dropped unseen), and said (``hidden_row``,
``hidden_column`` warnings).
Cells are located as a spreadsheet shows them: ``Sheet1!D17`` (:func:`cell_name`).

Examples
--------
>>> column_letters(0), column_letters(27), cell_name("Run 1", 3, 17)
('A', 'AB', "'Run 1'!D17")
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from iongrad.gate.failures import IngestError
from iongrad.gate.layout import known_roles

__all__ = [
    "ERROR_VALUES",
    "NO_CACHED_VALUE",
    "Sheet",
    "cell_name",
    "column_letters",
    "group_header",
    "read_sheet",
    "sheet_columns",
    "sheet_names",
    "sheet_text",
]

#: The error values a spreadsheet cell can show.
ERROR_VALUES = frozenset(
    {"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
     "#SPILL!", "#CALC!", "#GETTING_DATA"}
)  # fmt: skip
#: The value a formula without a cached value is reported with.
NO_CACHED_VALUE = "formula without a cached value"
#: Integral numbers up to this size are written without a decimal point, as a
#: spreadsheet shows them (sample ids 1, 2, 3 stay "1", "2", "3").
_EXACT = 2**53


def column_letters(index: int) -> str:
    """Column ``index`` (0-based) as a spreadsheet names it (0: A, 27: AB)."""
    letters, k = "", index + 1
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_name(sheet: str, column: int | None, row: int | None) -> str:
    """``Sheet1!D17`` for column 3 (0-based) of row 17; the sheet quoted as a
    spreadsheet quotes it when its name holds other than letters, digits or ``_``;
    a whole row without a column is ``Sheet1!17:17``."""
    quoted = sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else (
        "'" + sheet.replace("'", "''") + "'"
    )  # fmt: skip
    if column is None:
        return f"{quoted}!{row}:{row}"
    return f"{quoted}!{column_letters(column)}{row}"


@dataclass
class Sheet:
    """One sheet's non-blank rows, as its cells are stored.

    ``rows[i]`` is the sheet's row ``lines[i]`` (first row = 1), its cells from
    column A (``first_column`` is 0; blank columns before the data are kept so
    that a cell's index is its column); ``errors`` maps ``(row number, column
    index)`` to the error value or :data:`NO_CACHED_VALUE` of a cell read as
    empty; ``blank_rows`` counts the blank rows between the first and last rows
    with text; ``spans`` are the merged ranges (0-based ``((row, column), (row,
    column))``; :attr:`merged` names them as a spreadsheet does); ``hidden_rows``
    (numbers) and ``hidden_columns`` (indices) are hidden in the workbook
    (.xlsx/.xlsm), and read all the same.
    """

    name: str
    names: list[str]
    rows: list[list]
    lines: list[int]
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    blank_rows: int = 0
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)

    @property
    def merged(self) -> list[str]:
        """The merged ranges as a spreadsheet names them (``I1:J1``)."""
        return [
            f"{column_letters(c0)}{r0 + 1}:{column_letters(c1)}{r1 + 1}"
            for (r0, c0), (r1, c1) in self.spans
        ]


def _workbook(path: Path, name: str):
    import python_calamine

    if not path.is_file():
        raise IngestError(name, "no such file", rule="file_not_found")
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as err:  # calamine raises its own types for each format
        raise IngestError(
            name,
            f"cannot read the workbook ({type(err).__name__}: {err}); save it "
            "again from the spreadsheet program, or export the sheet as CSV UTF-8",
            rule="spreadsheet",
        ) from None


def sheet_names(path: str | Path, *, with_data: bool = False) -> list[str]:
    """The workbook's sheet names in tab order (with ``with_data``, only those
    holding a cell with text or a number)."""
    book = _workbook(Path(path), str(path))
    names = list(book.sheet_names)
    if not with_data:
        return names
    return [n for n in names if _has_data(book.get_sheet_by_name(n))]


def _has_data(sheet) -> bool:
    if sheet.height == 0:
        return False
    return any(any(c != "" and c is not None for c in row) for row in sheet.iter_rows())


def _choose(book, name: str, wanted: str | None):
    """The sheet to read (its name and the loaded sheet)."""
    names = list(book.sheet_names)
    if wanted is not None:
        if wanted in names:
            return wanted, book.get_sheet_by_name(wanted)
        close = difflib.get_close_matches(wanted, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise IngestError(
            name,
            f"the workbook has no sheet {wanted!r}{hint}; its sheets are "
            f"{_listed(names)}",
            rule="sheet",
            value=wanted,
        )
    if len(names) == 1:
        return names[0], book.get_sheet_by_name(names[0])
    loaded = {n: book.get_sheet_by_name(n) for n in names}
    full = [n for n in names if _has_data(loaded[n])]
    if len(full) == 1:
        return full[0], loaded[full[0]]
    if not full:
        raise IngestError(name, "the workbook is empty: no sheet holds data",
                          rule="empty_file")  # fmt: skip
    raise IngestError(
        name,
        f"the workbook has {len(full)} sheets with data ({_listed(full)}) and no "
        "sheet was chosen: name one in the dataset's config (sheet: NAME), or "
        "make one dataset of each (sheets: all); on the command line, `iongrad "
        "validate` and `iongrad inspect` take --sheet NAME",
        rule="several_sheets",
        value=", ".join(full),
    )


def _listed(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def read_sheet(path: Path, name: str, wanted: str | None = None) -> Sheet:
    """Read sheet ``wanted`` (default: the only one with data) of a workbook."""
    book = _workbook(path, name)
    chosen, sheet = _choose(book, name, wanted)
    grid = sheet.to_python(skip_empty_area=False)
    spans = sheet.merged_cell_ranges or []
    for (r0, c0), (r1, c1) in spans:
        value = grid[r0][c0] if r0 < len(grid) and c0 < len(grid[r0]) else ""
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            for c in range(c0, min(c1, len(grid[r]) - 1) + 1):
                grid[r][c] = value
    errors, hidden_rows, hidden_columns = {}, [], []
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        errors, hidden_rows, hidden_columns = _xml_errors(path, chosen)
    elif path.suffix.lower() == ".ods":
        errors = _ods_errors(path, chosen)
    for r, c in errors:  # what calamine read there is no value (an .ods: 0)
        if r <= len(grid) and c < len(grid[r - 1]):
            grid[r - 1][c] = ""
    rows, lines, blank = [], [], 0
    for i, row in enumerate(grid):
        if all(c == "" or c is None for c in row):
            blank += 1
            continue
        rows.append(row)
        lines.append(i + 1)
    if rows:  # blank rows before the first and after the last are no separators
        blank = (lines[-1] - lines[0] + 1) - len(rows)
    width = max([len(grid[0]) if grid else 0, *(c + 1 for _, c in errors)])
    if grid and width > len(grid[0]):  # an error cell beyond calamine's range
        rows = [[*row, *[""] * (width - len(row))] for row in rows]
    for r, _ in errors:  # an error cell in an otherwise blank row is a row
        if r not in lines:
            at = int(np.searchsorted(lines, r))
            rows.insert(at, [""] * width)
            lines.insert(at, r)
    return Sheet(
        chosen, list(book.sheet_names), rows, lines, errors=errors, blank_rows=blank,
        spans=list(spans), hidden_rows=hidden_rows, hidden_columns=hidden_columns,
    )  # fmt: skip


def group_header(sheet: Sheet, at: int) -> list[str] | None:
    """The names of a two-row header whose upper row, ``sheet.rows[at]``, has group
    names merged over several columns (``K+ (mM)`` over ``in`` and ``out``): each
    column's group name, then its own from the row below (a name merged over both
    rows, or with nothing below, stays as it is). None when the row has no such
    merge, the row below is not the next one, or the joined names do not name more
    known columns than the upper row (a merged title above a header).
    """
    line = sheet.lines[at]
    if at + 1 >= len(sheet.rows) or sheet.lines[at + 1] != line + 1:
        return None
    across = [(c0, c1) for (r0, c0), (r1, c1) in sheet.spans if r0 == r1 == line - 1]
    if not any(c1 > c0 for c0, c1 in across):
        return None
    top = [sheet_text(c).strip() for c in sheet.rows[at]]
    below = [sheet_text(c).strip() for c in sheet.rows[at + 1]]
    names = [
        t if not b or b == t else f"{t} {b}".strip()
        for t, b in zip(top, below, strict=False)
    ]
    return names if known_roles(names) > known_roles(top) else None


# --------------------------------------------------------------- .xlsx XML scan
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
#: An error value or a formula (substring search: a regex alternation scans slower)
_MARKS = (b't="e"', b"<f")


def _xml_errors(
    path: Path, sheet: str
) -> tuple[dict[tuple[int, int], str], list[int], list[int]]:
    """``(row number, column index)`` -> error value or :data:`NO_CACHED_VALUE`
    for the cells of ``sheet`` that calamine reads as empty but are not; and the
    sheet's hidden rows (numbers) and columns (indices), which calamine reads as
    any other."""
    try:
        with zipfile.ZipFile(path) as z:
            data = z.read(_sheet_part(z, sheet))
    except (KeyError, zipfile.BadZipFile):  # calamine read it: nothing to add
        return {}, [], []
    hidden_rows, hidden_columns = _hidden(data)
    if not any(mark in data for mark in _MARKS):
        return {}, hidden_rows, hidden_columns  # no error value, no formula
    out = {}
    for match in _CELL.finditer(data):
        attrs, inner = match.group(1), match.group(2) or b""
        kind = _TYPE.search(attrs)
        kind = kind.group(1) if kind else b"n"
        value = _VALUE.search(inner)
        text = value.group(1).decode("utf-8", "replace") if value else ""
        if kind == b"e":
            problem = text or "#N/A"
        elif b"<f" in inner and not text and kind != b"str":
            problem = NO_CACHED_VALUE
        else:
            continue
        ref = _REF.search(attrs)
        if ref is None:
            continue
        out[(int(ref.group(2)), _column_index(ref.group(1).decode()))] = problem
    return out, hidden_rows, hidden_columns


_ROW = re.compile(rb"<row\b([^>]*)>")
_COL = re.compile(rb"<col\b([^>]*)/?>")
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_SPAN = re.compile(rb'\bmin="(\d+)"[^>]*?\bmax="(\d+)"')


def _hidden(data: bytes) -> tuple[list[int], list[int]]:
    """The hidden rows (numbers) and columns (0-based indices) of a sheet's XML."""
    if b'hidden="1"' not in data and b'hidden="true"' not in data:
        return [], []
    rows = [
        int(number.group(1))
        for match in _ROW.finditer(data)
        if _HIDDEN.search(match.group(1))
        and (number := _ROW_NUMBER.search(match.group(1)))
    ]
    columns = []
    for match in _COL.finditer(data[: data.find(b"<sheetData")]):
        span = _SPAN.search(match.group(1))
        if span and _HIDDEN.search(match.group(1)):
            columns += range(int(span.group(1)) - 1, int(span.group(2)))
    return rows, columns


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_errors(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """:func:`_xml_errors` for an .ods sheet: the cells LibreOffice marks with
    ``calcext:value-type="error"`` (it stores ``#DIV/0!`` as the number 0 with that
    mark, which calamine reads as 0)."""
    import xml.etree.ElementTree as ET

    try:
        with zipfile.ZipFile(path) as z:
            data = z.read("content.xml")
    except (KeyError, zipfile.BadZipFile):
        return {}
    if b'value-type="error"' not in data:
        return {}
    out: dict[tuple[int, int], str] = {}
    inside, row = False, 0
    for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        if el.tag == f"{_TABLE}table":
            inside, row = event == "start" and el.get(f"{_TABLE}name") == sheet, 0
        elif event == "end" and el.tag == f"{_TABLE}table-row" and inside:
            repeat = int(el.get(f"{_TABLE}number-rows-repeated", "1"))
            column = 0
            for cell in el:
                n = int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
                if _ods_error(cell):
                    shown = "".join(cell.itertext()).strip() or "#N/A"
                    for r in range(repeat):
                        for c in range(n):
                            out[(row + r + 1, column + c)] = shown
                column += n
            row += repeat
            el.clear()
    return out


def _ods_error(cell) -> bool:
    """An .ods cell marked as an error (by LibreOffice's own value-type)."""
    return any(
        key.endswith("}value-type") and not key.startswith(_OFFICE) and value == "error"
        for key, value in cell.attrib.items()
    )


def _column_index(letters: str) -> int:
    k = 0
    for ch in letters:
        k = k * 26 + (ord(ch) - ord("A") + 1)
    return k - 1


def _sheet_part(z: zipfile.ZipFile, sheet: str) -> str:
    """The zip member holding ``sheet``'s cells (workbook.xml and its rels)."""
    book = z.read("xl/workbook.xml").decode("utf-8")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = None
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        name = re.search(r'\bname="([^"]*)"', tag)
        if name and _unescape(name.group(1)) == sheet:
            rid = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', tag)
            rid = rid and (rid.group(1) or rid.group(2))
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        if rid and re.search(rf'\bId="{re.escape(rid)}"', tag):
            target = re.search(r'\bTarget="([^"]*)"', tag).group(1)
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    raise KeyError(sheet)


def _unescape(text: str) -> str:
    for code, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'),
                     ("&apos;", "'"), ("&amp;", "&")):  # fmt: skip
        text = text.replace(code, ch)
    return text


# ------------------------------------------------------------------ cells as columns
def sheet_text(cell) -> str:
    """A cell as the gate reads text: numbers as a spreadsheet shows them in full
    (``140``, ``0.1``), booleans ``TRUE``/``FALSE``, dates ISO 8601."""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        if cell.is_integer() and abs(cell) < _EXACT:
            return str(int(cell))
        return repr(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, dt.datetime) and cell.time() == dt.time():
        return cell.date().isoformat()
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    if isinstance(cell, dt.timedelta):
        return str(cell)
    return "" if cell is None else str(cell)


def sheet_columns(column: list) -> pd.Series:
    """One column's cells: typed when every cell is a number or empty (int64 when
    all are integral, else float64, NaN for empty), else text as a CSV holds it."""
    kinds = set(map(type, column))
    if kinds <= {float, int, str} and (float in kinds or int in kinds):
        if str in kinds and any(c != "" for c in column if type(c) is str):
            return pd.Series([sheet_text(c) for c in column], dtype=object)
        if str in kinds:
            column = [np.nan if type(c) is str else c for c in column]
        values = np.array(column, dtype=float)
        whole = np.isfinite(values) & (np.abs(values) < _EXACT)
        if whole.all() and (values == np.floor(values)).all():
            return pd.Series(values.astype(np.int64))
        return pd.Series(values)
    if kinds <= {str}:
        return pd.Series(column, dtype=object)
    return pd.Series([sheet_text(c) for c in column], dtype=object)
