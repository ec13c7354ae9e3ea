"""Read a lab's file into cells, before any header is interpreted.

CSV: UTF-8 with or without BOM (UTF-16 and other encodings are refused with a hint);
``,``, ``;`` or tab separator sniffed from the header line (the separator that occurs
most often outside quotes); decimal comma when the separator is ``;``, unless the
caller states the file's number format; quoted fields;
blank lines are skipped but still counted, so every record keeps the line number a
spreadsheet shows. Every cell stays text: numbers are parsed later, explicitly.

Parquet: the typed columns as stored, with each field's ``unit``/``units``
metadata; record ``i`` is line ``i + 1``.

Examples
--------
>>> _sniff_separator('dataset;sample_id;"a;b"\\n')
';'
>>> _unique_names(["ion", "ion", "c_in"])
['ion', 'ion.1', 'c_in']
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iongrad.gate.failures import Failure, IngestError, RowFailure
from iongrad.gate.layout import Located, header_units, locate_table, row_spans
from iongrad.gate.numbers import stated_format
from iongrad.gate.sheets import (
    ERROR_VALUES,
    NO_CACHED_VALUE,
    group_header,
    read_sheet,
    sheet_columns,
    sheet_text,
)
from iongrad.gate.text import ascii_only

__all__ = [
    "READ_KEYS",
    "TABLE_SUFFIXES",
    "ReadOptions",
    "Source",
    "hidden_file",
    "read_options",
    "read_source",
    "table_files",
]

#: File name suffixes read as parquet and as CSV.
PARQUET_SUFFIXES = {".parquet", ".pq"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
#: Separators accepted in a CSV file, in order of preference on a tie.
SEPARATORS = (",", ";", "\t")
#: How many lines from the top the separator is sniffed from.
SNIFF_LINES = 30
#: Workbook suffixes (read by :mod:`iongrad.gate.sheets`).
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
#: Every suffix read as a table.
TABLE_SUFFIXES = PARQUET_SUFFIXES | CSV_SUFFIXES | SHEET_SUFFIXES


#: A dataset's config keys that say how its file is read (:class:`ReadOptions`).
READ_KEYS = (
    "number_format",
    "sheet",
    "header_row",
    "units_row",
    "skip_rows",
    "columns",
    "solution_names",
)


@dataclass(frozen=True)
class ReadOptions:
    """How one file is read, as its dataset's config states it (all optional).

    Attributes
    ----------
    number_format : dict, optional
        A CSV file's ``{"decimal": ",", "thousands": "."}``
        (:func:`iongrad.gate.numbers.stated_format`).
    sheet : str, optional
        The workbook sheet to read (a spreadsheet with several sheets that hold
        data needs it).
    header_row : int, optional
        The row of the column names, 1-based as a spreadsheet or editor shows it
        (default: found, after any title or notes lines).
    units_row : int, optional
        A row of units below the names (``mM``, ``(mM)``, ``degC``), each the unit
        of its column as if written in its header.
    skip_rows : tuple of int
        Rows that are no data (a totals line, a comment), 1-based.
    columns : dict, optional
        The user's header -> what it means; carried to the header reader.
    solution_names : tuple of str, optional
        The recording solutions the config names (its ``solutions``): a
        ``pipette_solution`` or ``bath_solution`` cell naming another is an error
        at that cell. None: not checked.

    >>> ReadOptions.from_settings({"path": "a.xlsx", "sheet": "Run 1"}).sheet
    'Run 1'
    >>> ReadOptions(header_row=3, units_row=3)
    Traceback (most recent call last):
    ...
    ValueError: units_row 3 must be below header_row 3
    """

    number_format: Mapping[str, Any] | None = None
    sheet: str | None = None
    header_row: int | None = None
    units_row: int | None = None
    skip_rows: tuple[int, ...] = ()
    columns: Mapping[str, Any] | None = None
    solution_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.solution_names is not None:
            names = tuple(str(n) for n in self.solution_names)
            object.__setattr__(self, "solution_names", names)
        stated_format(self.number_format)  # a ValueError when unusable
        for key in ("header_row", "units_row"):
            value = getattr(self, key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(f"{key} must be a row number >= 1, not {value!r}")
        skip = tuple(self.skip_rows or ())
        if any(isinstance(r, bool) or not isinstance(r, int) or r < 1 for r in skip):
            raise ValueError(f"skip_rows must be row numbers >= 1, not {skip!r}")
        object.__setattr__(self, "skip_rows", tuple(sorted(set(skip))))
        below = self.header_row is not None and self.units_row is not None
        if below and self.units_row <= self.header_row:
            raise ValueError(
                f"units_row {self.units_row} must be below header_row {self.header_row}"
            )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ReadOptions:
        """The read options of a dataset's config entry (other keys ignored)."""
        settings = settings or {}
        given = {k: settings[k] for k in READ_KEYS if settings.get(k) is not None}
        if "skip_rows" in given:
            given["skip_rows"] = tuple(given["skip_rows"])
        return cls(**given)

    def settings(self) -> dict[str, Any]:
        """The options that differ from the defaults, as config spells them."""
        out: dict[str, Any] = {}
        for key in READ_KEYS:
            value = getattr(self, key)
            if value is not None and (value != () or key == "solution_names"):
                listed = key in ("skip_rows", "solution_names")
                out[key] = list(value) if listed else value
        return out


def read_options(
    options: ReadOptions | Mapping[str, Any] | None = None,
    number_format: Mapping[str, Any] | None = None,
) -> ReadOptions:
    """``options`` as :class:`ReadOptions`; a ``number_format`` given on its own
    (the older keyword) fills the one ``options`` lacks."""
    if not isinstance(options, ReadOptions):
        options = ReadOptions.from_settings(options)
    if number_format is not None:
        if options.number_format is not None and dict(options.number_format) != dict(
            number_format
        ):
            raise ValueError("number_format given twice, with different values")
        options = ReadOptions(**{**options.__dict__, "number_format": number_format})
    return options


@dataclass
class Source:
    """One file's cells as read.

    Attributes
    ----------
    path : str
        The file as given.
    cells : pandas.DataFrame
        One row per data record, one column per header (repeated headers get
        ``.1``, ``.2``): text for CSV, typed for parquet.
    lines : numpy.ndarray of int64
        The line of each record (header = line 1; parquet: the record number).
    info : dict
        How the file was read (format, encoding, separator, decimal, header row,
        headers, parquet field units); the builder adds what it finds.
    failures : list of RowFailure
        Records that do not fit the header (CSV lines with the wrong field count).
    file_failures : list of Failure
        What the reader found about the file rather than a data row (a summary row
        left out, a units row that contradicts a header).
    """

    path: str
    cells: pd.DataFrame
    lines: np.ndarray
    info: dict
    failures: list[RowFailure] = field(default_factory=list)
    file_failures: list[Failure] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of data records."""
        return len(self.cells)

    @property
    def fmt(self) -> str:
        """``"csv"`` or ``"parquet"``."""
        return self.info["format"]

    @property
    def decimal(self) -> str:
        """The decimal mark of the number cells."""
        return self.info.get("decimal", ".")

    @property
    def thousands(self) -> str | None:
        """The thousands separator of a stated number format (else None)."""
        return self.info.get("thousands")

    @property
    def stated(self) -> bool:
        """Whether the number format was stated (else it follows the separator)."""
        return self.info.get("number_format") == "stated"


def read_source(
    path: str | os.PathLike,
    options: ReadOptions | Mapping[str, Any] | None = None,
    *,
    number_format: Mapping[str, Any] | None = None,
) -> Source:
    """Read ``path`` (CSV or parquet, by its suffix) into cells.

    ``options`` (:class:`ReadOptions`, or a dataset's config entry) say how:
    its ``number_format`` states a CSV file's decimal mark and thousands separator
    (:func:`iongrad.gate.numbers.stated_format`); without it the decimal mark
    follows from the separator. Parquet numbers are typed: it does not apply.
    ``number_format`` may also be given on its own.

    Raises
    ------
    IngestError
        When the file is missing, of an unknown type, empty, not UTF-8 or not
        readable parquet.
    """
    p = Path(path)
    name = str(path)
    if p.is_dir():
        raise IngestError(
            name,
            "this is a directory, not a table (`iongrad validate DIRECTORY` "
            "validates every table in it)",
            rule="is_directory",
        )
    if not p.is_file():
        raise IngestError(name, "no such file", rule="file_not_found")
    opts = read_options(options, number_format)  # unusable options: ValueError
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(p, name)
    if suffix in CSV_SUFFIXES:
        return _read_csv(p, name, opts)
    if suffix in SHEET_SUFFIXES:
        return _read_sheet(p, name, opts)
    raise IngestError(
        name,
        "unknown file type; use .csv, .tsv, .txt, .parquet, .xlsx, .xlsm, .xls or .ods",
        rule="file_type",
    )


def hidden_file(name: str) -> bool:
    """Hidden or lock file: macOS ``._x``, LibreOffice ``.~lock.x#``, Excel ``~$x``.

    >>> [hidden_file(n) for n in ("._a.csv", ".~lock.a.csv#", "~$a.csv", "a.csv")]
    [True, True, True, False]
    """
    return name.startswith((".", "~$"))


def table_files(directory: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """The tables in ``directory`` (sorted) and the hidden or lock files skipped.

    A table is a file with a suffix :func:`read_source` reads; hidden and lock files
    (:func:`hidden_file`) are skipped whatever their suffix, other files ignored.
    """
    tables, skipped = [], []
    for path in sorted(Path(directory).iterdir()):
        if hidden_file(path.name):
            skipped.append(path)
        elif path.is_file() and path.suffix.lower() in TABLE_SUFFIXES:
            tables.append(path)
    return tables, skipped


def _read_csv(path: Path, name: str, opts: ReadOptions) -> Source:
    """Read a CSV as text cells, the table located among its rows
    (:func:`iongrad.gate.layout.locate_table`)."""
    stated = stated_format(opts.number_format)
    data = path.read_bytes()
    text = _decode(data, name)
    sep = _sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"')
    records: list[list[str]] = []
    lines: list[int] = []
    last = 0
    for record in reader:
        start = last + 1
        last = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        records.append(record)
        lines.append(start)
    info = {
        "format": "csv",
        "encoding": "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8",
        "separator": sep,
        "decimal": stated[0] if stated else "," if sep == ";" else ".",
        "thousands": stated[1] if stated else None,
        "number_format": "stated" if stated else "from the separator",
    }
    found = locate_table(records, lines, opts, name=name)
    header = [cell.strip() for cell in records[found.header]]
    rows: list[list[str]] = []
    failures: list[RowFailure] = []
    for i in found.data:
        record = records[i]
        if len(record) != len(header):
            failure = Failure(
                rule="field_count",
                message=f"line has {len(record)} fields, the header has "
                f"{len(header)} (separator {sep!r})",
                value=sep.join(record),
            )
            failures.append(RowFailure(len(rows), None, failure))
            record = (record + [""] * len(header))[: len(header)]
        rows.append(record)
    names = _unique_names(header)
    cells = pd.DataFrame(rows, columns=names, dtype=object)
    if not rows:
        cells = pd.DataFrame(columns=names, dtype=object)
    data_lines = np.asarray([lines[i] for i in found.data], dtype=np.int64)
    source = Source(name, cells, data_lines, info, failures)
    _add_layout(source, found, records, lines, header)
    return source


def _add_layout(
    source: Source,
    found: Located,
    rows: list[list],
    lines: list[int],
    header: list[str],
) -> None:
    """Record in ``source.info`` how the table was located (the ``reading`` block),
    the units row's units as the columns' own, and the layout's failures."""
    info = source.info
    info["header_row"] = lines[found.header]
    info["headers"] = header
    names = list(source.cells.columns)
    reading = {"format": info["format"]}
    if info["format"] == "csv":
        reading["dialect"] = {
            k: info[k]
            for k in ("encoding", "separator", "decimal", "thousands", "number_format")
        }
    reading.update(header_row=lines[found.header], **found.how)
    if found.units is not None:
        units, conflicts = header_units(header, rows[found.units])
        info["units_row"] = reading["units_row"] = lines[found.units]
        info["field_units"] = {names[i]: unit for i, unit in units.items()}
        for i, own, unit in conflicts:
            source.file_failures.append(
                Failure(
                    rule="unit_conflict",
                    message=f"the header says {own!r} and the units row (row "
                    f"{lines[found.units]}) says {unit!r}",
                    column=header[i],
                    value=f"header {own!r}, units row {unit!r}",
                )
            )
    if found.skipped:
        reading["skipped"] = [
            {"rows": s.rows, "reason": s.reason} for s in found.skipped
        ]
    info["reading"] = reading
    source.file_failures.extend(found.failures)


def _read_sheet(path: Path, name: str, opts: ReadOptions) -> Source:
    """Read one sheet of a workbook (:mod:`iongrad.gate.sheets`): numbers typed,
    other cells as text, the table located among its rows, every error value or
    formula without a cached value a failure at its cell."""
    sheet = read_sheet(path, name, opts.sheet)
    if not sheet.rows:
        raise IngestError(name, f"sheet {sheet.name!r} is empty", rule="empty_file")
    found = locate_table(sheet.rows, sheet.lines, opts, name=name)
    header = [_cell_text(c) for c in sheet.rows[found.header]]
    joined = None if opts.header_row else group_header(sheet, found.header)
    if joined is not None:  # a two-row header: group names above, names below
        at = found.header + 1
        found = locate_table(sheet.rows, sheet.lines, opts, name=name, header=at)
        header = joined
    data = [sheet.rows[i] for i in found.data]
    # the rows are the sheet's width: one tuple of cells per column, in C
    columns_of = list(zip(*data, strict=True)) if data else [()] * len(header)
    width = len(header)
    while width and not header[width - 1] and set(columns_of[width - 1]) <= {""}:
        width -= 1  # trailing columns without header or data (notes beside)
    header = header[:width]
    names = _unique_names(header)
    lines = [sheet.lines[i] for i in found.data]
    at = {line: pos for pos, line in enumerate(lines)}
    problems = {
        (r, c): v for (r, c), v in sheet.errors.items() if r in at and c < width
    }
    columns = {}
    for j, key in enumerate(names):
        cells = list(columns_of[j])
        if not ERROR_VALUES.isdisjoint(cells):  # an error value stored as text
            for pos, cell in enumerate(cells):
                if type(cell) is str and cell in ERROR_VALUES:
                    problems[(lines[pos], j)] = cell
                    cells[pos] = ""
        columns[key] = sheet_columns(cells)
    cells = pd.DataFrame(columns, columns=names)
    failures = [
        RowFailure(at[r], None, _cell_failure(value, names[c]))
        for (r, c), value in sorted(problems.items())
    ]
    info = {
        "format": path.suffix.lower().lstrip("."),
        "sheet": sheet.name,
        "decimal": (stated_format(opts.number_format) or (".", None))[0],
        "thousands": (stated_format(opts.number_format) or (".", None))[1],
        "number_format": "stated" if opts.number_format else "typed",
        "column_index": {**{h: j for j, h in reversed(list(enumerate(header)))},
                         **{k: j for j, k in enumerate(names)}},
    }  # fmt: skip
    source = Source(name, cells, np.asarray(lines, dtype=np.int64), info, failures)
    _add_layout(source, found, sheet.rows, sheet.lines, header)
    reading = info["reading"]
    reading["sheet"] = sheet.name
    if len(sheet.names) > 1:
        reading["sheets"] = sheet.names
    if sheet.merged:
        reading["merged_cells"] = sheet.merged
    if sheet.blank_rows:
        reading["blank_rows"] = sheet.blank_rows
    _hidden_warnings(source, sheet, header, at)
    if info["format"] == "xls":  # calamine reads an .xls error value as empty
        reading["note"] = (
            "in an .xls file a cell showing an error value (#DIV/0!, #N/A) reads "
            "as an empty cell and cannot be told from one; save it as .xlsx to "
            "have such cells reported"
        )
    return source


def _hidden_warnings(source: Source, sheet, header: list, at: dict) -> None:
    """A warning for each hidden data row and each hidden column with a header:
    read as data all the same (hiding is no way to leave data out). ``at`` maps a
    data row's sheet row number to its position among the data rows."""
    hidden = [r for r in sheet.hidden_rows if r in at]
    for r in hidden:
        failure = Failure(
            rule="hidden_row",
            message=f"row {r} is hidden in the workbook and holds data: it was "
            "read (to leave it out, delete it or list it in skip_rows)",
            severity="warning",
        )
        source.failures.append(RowFailure(at[r], None, failure))
    for c in sheet.hidden_columns:
        if c < len(header) and header[c]:
            source.file_failures.append(
                Failure(
                    rule="hidden_column",
                    message="the column is hidden in the workbook: it was read as "
                    "the others",
                    column=header[c],
                    severity="warning",
                )
            )
    if hidden:
        source.info["reading"]["hidden_rows"] = row_spans(hidden)


def _cell_text(cell) -> str:
    return sheet_text(cell).strip()


def _cell_failure(value: str, header: str) -> Failure:
    """The failure of a cell that shows an error value or has no cached value."""
    if value == NO_CACHED_VALUE:
        message = (
            "the cell holds a formula without a computed value (the workbook was "
            "written by a program that does not compute formulas): open and save "
            "it in a spreadsheet program, or write the value"
        )
    else:
        message = (
            f"the cell shows the error value {value} (its formula failed): fix "
            "the formula, or clear the cell if there is no value"
        )
    return Failure(
        rule="spreadsheet_error", message=message, value=value, source_column=header
    )


def _decode(data: bytes, name: str) -> str:
    """The text of a CSV file: UTF-8 with or without BOM, or an IngestError."""
    if not data.strip():
        raise IngestError(name, "the file is empty", rule="empty_file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(
            name,
            "the file is UTF-16 (it starts with a UTF-16 byte order mark); "
            "save it as 'CSV UTF-8'",
            rule="encoding",
            row=1,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        bad = data[err.start : err.start + 1]
        raise IngestError(
            name,
            f"byte 0x{bad.hex()} at offset {err.start} is not UTF-8; save the file "
            "as UTF-8 ('CSV UTF-8' in Excel)",
            rule="encoding",
            row=line,
            value=bad.hex(),
        ) from None


def _sniff_separator(text: str) -> str:
    """The separator found most often outside quotes in one line of the first
    :data:`SNIFF_LINES` (``,`` when none is): the header's, even below a title or
    notes line that holds a comma (``Ion concentrations, cortical cells``)."""
    head = text.split("\n", SNIFF_LINES)[:SNIFF_LINES]
    counts = {
        sep: max(_count_outside_quotes(line, sep) for line in head)
        for sep in SEPARATORS
    }
    return max(counts, key=counts.get) if max(counts.values()) > 0 else ","


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            count += 1
    return count


def _unique_names(header: list[str]) -> list[str]:
    """Headers made unique as pandas does: repeats get ``.1``, ``.2``...

    Internal names only (the cells need unique column names): a repeated header
    is an error of the file, reported under the name it has there
    (:func:`iongrad.gate.headers.plan_headers`). A made-up name never takes one
    the file has (``a``, ``a``, ``a.1`` gives ``a``, ``a.2``, ``a.1``).
    """
    taken = set(header)
    seen: dict[str, int] = {}
    out = []
    for h in header:
        n = seen.get(h, 0)
        name = h
        while n and name in taken:
            name = f"{h}.{n}"
            n += 1
        seen[h] = max(n, 1)
        taken.add(name)
        out.append(name)
    return out


def _check_text(table: pa.Table) -> None:
    """Raise for a text column that is not UTF-8.

    Parquet text is read without a check, and bytes that are not UTF-8 would fail
    on first use, wherever that is; an ASCII column needs no check.
    """
    for column in table.itercolumns():
        kind = column.type
        text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if text and not ascii_only(column):
            column.validate(full=True)


def _read_parquet(path: Path, name: str) -> Source:
    """Read a parquet file's typed columns and their ``unit`` field metadata."""
    try:
        table = pq.read_table(path)
        _check_text(table)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise IngestError(
            name, f"cannot read parquet ({type(err).__name__}: {err})", rule="parquet"
        ) from None
    units = {}
    for f in table.schema:
        meta = f.metadata or {}
        unit = meta.get(b"unit", meta.get(b"units"))
        if unit is not None:
            units[f.name] = unit.decode("utf-8")
    cells = table.to_pandas()
    headers = [str(c) for c in cells.columns]
    cells.columns = _unique_names(headers)
    info = {
        "format": "parquet",
        "field_units": units,
        "headers": headers,
        "header_row": None,
        "reading": {"format": "parquet"},
    }
    lines = np.arange(1, len(cells) + 1, dtype=np.int64)
    return Source(name, cells.reset_index(drop=True), lines, info)
