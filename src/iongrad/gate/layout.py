"""Where the table is among a file's rows: its header, units row, data and the rest.

Lab tables often carry more than a header and data: a title and notes above the
header, the units in a row below the column names, blank separator rows, and a
totals or summary row at the end. :func:`locate_table` finds each of them, or takes
them from the dataset's config (``header_row``, ``units_row``, ``skip_rows``), and
says what it skipped and why, so that validation.json shows how the file was read.
Rows are numbered as the file shows them (first row = 1), blank rows included.

Found, never guessed:

* **Header.** The first non-blank row, unless no cell of it names a column the
  measurement contract knows (:func:`iongrad.gate.headers.classify`) while a later
  row among the first :data:`HEADER_SEARCH` names at least two: the rows above that
  one are a title or notes.
* **Units row.** The non-blank row right below the header, when every non-empty cell
  of it is a unit (``mM``, ``(mM)``, ``[uM]``, ``°C``, ``K``, ``mV``) or a dash and at
  least one is. Each unit is its column's, as if written in the header.
* **Summary rows.** Data rows at the end whose first non-empty cell is a summary word
  (``Total``, ``Mean``, ``SD``, ``Sum``, ``Average``...): excluded and reported as a
  warning (``summary_row``) at the word's cell. A word that also names samples
  (``n``, ``SE``, ``Max``) makes a summary only in a row that leaves a named column
  blank; in a row that fills every column, as a sample does, it is an error (a
  summary or a sample named ``n``? the file does not say; ``skip_rows`` settles it).
  A sure summary is no error, even in strict mode: the row is no measurement, so
  leaving it out loses nothing, and refusing the file would push the user to edit
  it by hand; the warning names the row and its text.

Examples
--------
>>> rows = [["Potassium, 2024"], ["sample_id", "K_in", "K_out"],
...         ["", "mM", "(mM)"], ["s1", "140", "5"], ["Mean", "140", "5"]]
>>> found = locate_table(rows, [1, 3, 4, 5, 6])  # row 2 is blank
>>> found.header, found.units, found.data
(1, 2, [3])
>>> [(s.rows, s.reason) for s in found.skipped]
[('1', 'title or notes above the header'), ('6', "summary row ('Mean')")]
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from iongrad.gate.failures import Failure, IngestError
from iongrad.gate.headers import classify, split_header, unit_text
from iongrad.gate.numbers import temperature_offset
from iongrad.units import UnitError, unit_factor

__all__ = [
    "HEADER_SEARCH",
    "SUMMARY_WORDS",
    "Located",
    "Skipped",
    "header_units",
    "known_roles",
    "locate_table",
    "row_spans",
    "unit_cell",
]

#: How many non-blank rows from the top may hold the header when it is found.
HEADER_SEARCH = 30
#: First cells that make a row at the end of the data a summary, not a sample.
SUMMARY_WORDS = frozenset(
    {
        "total", "totals", "sum", "mean", "means", "average", "avg", "median",
        "sd", "s.d.", "std", "stdev", "std dev", "sem", "s.e.m.", "se", "n",
        "count", "min", "max", "minimum", "maximum",
    }
)  # fmt: skip
#: Summary words that also name samples (a cell ``n``, ``SE``, a sample called Max):
#: a summary only when the row leaves a named column blank, as summaries do.
SAMPLE_LIKE_WORDS = frozenset({"se", "n", "count", "min", "max", "minimum", "maximum"})
_DASHES = {"-", "--", "\u2013", "\u2014"}


@dataclass(frozen=True)
class Skipped:
    """Rows left out of the data, as the file numbers them (``"7"``, ``"9-12"``)."""

    rows: str
    reason: str


@dataclass
class Located:
    """The table within a file's rows (indices into the rows given).

    ``header`` and ``units`` index the header and units rows (``units`` None when
    there is none); ``data`` the data rows, in file order; ``skipped`` says which
    other non-blank rows were left out and why; ``failures`` holds what the reader
    reports about them (a summary row is a warning; a units row that contradicts
    its header is an error).
    """

    header: int
    units: int | None
    data: list[int]
    skipped: list[Skipped] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    how: dict = field(default_factory=dict)


def _text(cell) -> str:
    return "" if cell is None else str(cell).strip()


def _blank(row: Sequence) -> bool:
    return all(not _text(c) for c in row)


def unit_cell(text: str) -> str | None:
    """The unit a units-row cell states (``"(mM)"`` -> ``"mM"``), else None.

    >>> [unit_cell(t) for t in ("mM", "(mM)", "[uM]", "°C", "K", "mV", "n", "")]
    ['mM', 'mM', 'uM', '°C', 'K', 'mV', None, None]
    """
    t = text.strip()
    if len(t) >= 2 and t[0] + t[-1] in ("()", "[]"):
        t = t[1:-1].strip()
    if not t:
        return None
    if t == "mV" or temperature_offset(t) is not None:
        return t
    try:
        unit_factor(unit_text(t))
    except UnitError:
        return None
    return t


def known_roles(row: Sequence, mapped: Collection[str] = ()) -> int:
    """How many cells of ``row`` name a column the contract knows, read one way
    (a field, or an ion on one side; an ambiguous header does not count), or
    one the dataset's ``columns`` mapping names (``mapped``)."""
    return sum(
        1
        for cell in row
        if _text(cell)
        and (
            _text(cell) in mapped
            or classify(_text(cell), None)[0].role in ("field", "wide")
        )
    )


def _is_units_row(row: Sequence) -> bool:
    cells = [_text(c) for c in row]
    given = [c for c in cells if c and c not in _DASHES]
    return bool(given) and all(unit_cell(c) is not None for c in given)


def _summary_word(row: Sequence, header: Sequence) -> tuple[str, int, bool] | None:
    """(word, column index, sure) of a row starting with a summary word, or None.

    ``sure`` is False for a word that also names samples (``n``, ``Max``) in a row
    that fills every named column, as a sample does: a summary or a sample, the
    file does not say.
    """
    texts = [_text(c) for c in row]
    at = next((i for i, t in enumerate(texts) if t), None)
    if at is None:
        return None
    word = re.sub(r"[:\s]+$", "", texts[at]).lower()
    if word not in SUMMARY_WORDS:
        return None
    named = [i for i, h in enumerate(header) if _text(h)]
    filled = all(i < len(texts) and texts[i] for i in named)
    return texts[at], at, not (filled and word in SAMPLE_LIKE_WORDS)


def _summary_failure(word, line, header, col, sure: bool) -> Failure:
    """The summary_row warning, or its error when the row may be a sample."""
    column = _text(header[col]) if col < len(header) else None
    if sure:
        text = (f"row {line} starts with {word!r}: a summary of the rows above, not "
                "a measurement; it was left out (list it in skip_rows to say so, "
                "or delete it)")  # fmt: skip
    else:
        text = (f"row {line} starts with {word!r} and fills every column: a summary "
                f"of the rows above or a sample named {word!r}? It was left out; "
                "list the row in skip_rows if it is a summary, or rename the "
                "sample")  # fmt: skip
    return Failure(rule="summary_row", message=text, column=column, value=word,
                   severity="warning" if sure else "error", row=line)  # fmt: skip


def row_spans(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``"3-5, 9"``."""
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)


def _row_at(number: int, lines: Sequence[int], key: str, name: str) -> int:
    """The index of the row the file numbers ``number`` (a config key names it)."""
    for i, line in enumerate(lines):
        if line == number:
            return i
        if line > number:
            break
    raise IngestError(
        name,
        f"{key} {number}: that row is blank or past the end of the file "
        f"(its rows with text are {row_spans(list(lines[:5]))}...)"
        if lines
        else f"{key} {number}: the file has no rows with text",
        rule="read_options",
        row=number,
    )


def locate_table(
    rows: Sequence[Sequence],
    lines: Sequence[int],
    options=None,
    *,
    name: str = "",
    header: int | None = None,
) -> Located:
    """Find the header, units row and data rows among ``rows`` (non-blank rows).

    ``lines`` numbers each row as the file shows it; ``options`` is a
    :class:`~iongrad.gate.readers.ReadOptions` (its ``header_row``, ``units_row``
    and ``skip_rows``) or None; ``name`` names the file in errors. ``header``, when
    given, is the header row found by the caller: the lower row of a workbook's
    two-row header, whose upper row of group names is the row above it.

    Raises
    ------
    IngestError
        When a stated row is blank or past the end, or no row has text.
    """
    if not rows:
        raise IngestError(name, "the file has no header: every line is blank",
                          rule="empty_file")  # fmt: skip
    group = header is not None  # the caller found a two-row header
    header_row = getattr(options, "header_row", None)
    units_row = getattr(options, "units_row", None)
    skip = set(getattr(options, "skip_rows", ()) or ())
    how = {"header_row_by": "config" if header_row else "found"}
    if header_row:
        header = _row_at(header_row, lines, "header_row", name)
    elif header is None:
        header = _find_header(rows, getattr(options, "columns", None) or {})
    if group:
        how["group_row"] = lines[header - 1]
    skipped = []
    above = header - 1 if group else header
    if above:
        reason = (
            "above the header (header_row)" if header_row
            else "title or notes above the header"
        )  # fmt: skip
        skipped.append(Skipped(row_spans(list(lines[:above])), reason))
    units = None
    if units_row:
        units = _row_at(units_row, lines, "units_row", name)
        how["units_row_by"] = "config"
    elif header + 1 < len(rows) and _is_units_row(rows[header + 1]):
        units = header + 1
        how["units_row_by"] = "found"
    first = header + 1 if units is None else units + 1
    stated = [i for i in range(first, len(rows)) if lines[i] in skip]
    if units is not None and units > header + 1:
        between = list(range(header + 1, units))
        skipped.append(Skipped(row_spans([lines[i] for i in between]),
                               "between the header and the units row"))  # fmt: skip
    if stated:
        skipped.append(Skipped(row_spans([lines[i] for i in stated]),
                               "skip_rows in the dataset's config"))  # fmt: skip
    data = [i for i in range(first, len(rows)) if lines[i] not in skip]
    failures = []
    while data and (found := _summary_word(rows[data[-1]], rows[header])):
        word, col, sure = found
        at = data.pop()
        skipped.append(Skipped(str(lines[at]), f"summary row ({word!r})"))
        failures.append(_summary_failure(word, lines[at], rows[header], col, sure))
    found = Located(header, units, data, skipped, failures[::-1], how)
    return found


def _find_header(rows: Sequence[Sequence], mapped: Collection[str] = ()) -> int:
    """The index of the header row among the first :data:`HEADER_SEARCH` rows
    (``mapped``: the headers a ``columns`` mapping names, known as well)."""
    if known_roles(rows[0], mapped) >= 1:
        return 0
    for i, row in enumerate(rows[1:HEADER_SEARCH], start=1):
        if known_roles(row, mapped) >= 2:
            return i
    return 0


def header_units(
    headers: Sequence[str], units: Sequence | None
) -> tuple[dict[int, str], list[tuple[int, str, str]]]:
    """The unit of each column from a units row, and the columns whose header
    states another unit: ``({column: unit}, [(column, header unit, row unit)])``.

    >>> header_units(["K_in_mM", "K_out", "T"], ["mM", "uM", "°C"])
    ({1: 'uM', 2: '°C'}, [])
    >>> header_units(["K_in_mM"], ["uM"])
    ({}, [(0, 'mM', 'uM')])
    """
    out: dict[int, str] = {}
    conflicts = []
    for i, header in enumerate(headers):
        if units is None or i >= len(units):
            break
        unit = unit_cell(_text(units[i]))
        if unit is None:
            continue
        own = split_header(str(header))[1]
        if own is None:
            out[i] = unit
        elif unit_text(own) != unit_text(unit):
            conflicts.append((i, own, unit))
    return out, conflicts
