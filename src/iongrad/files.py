"""Files iongrad writes: one atomic writer, one JSON encoder, one list of file names.

Every output is written whole or not at all: the bytes go to a temporary name in the
target's folder and are renamed onto the target only when complete, so a reader (or
a crashed job) never leaves a partial file. The temporary file is created with
``open(..., "x")``, so new files get the permissions the user's umask gives (a
colleague on a shared file system can read them), not ``mkstemp``'s private 0600.

The names of the files a run writes per dataset live here too, so the workflow's
rules, the job functions and the report read them from one place.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FAILURES_FILE",
    "INDEX_COMPANIONS",
    "OPTIONAL_COMPANIONS",
    "PREVIOUS_SNAPSHOT",
    "REPORT_COMPANIONS",
    "RESULT_FILES",
    "ROW_GROUP_ROWS",
    "ParquetParts",
    "Spilled",
    "arrow_table",
    "atomic_path",
    "companion",
    "copy_file",
    "csv_rows",
    "csv_text",
    "is_csv_number",
    "json_default",
    "jsonable",
    "parked",
    "report_file",
    "scratch_dir",
    "to_json",
    "unparked",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_text",
]

#: Rows per row group of the parquet files iongrad writes: a job reading a chunk of
#: rows (:func:`iongrad.pipeline.chunks.read_rows`) decodes at most this many rows
#: it does not need at each end.
ROW_GROUP_ROWS = 1 << 17

#: Files a dataset has under ``results/<dataset>/`` when all of its jobs succeeded.
RESULT_FILES = (
    "potentials.parquet",
    "samples.parquet",
    "donnan.parquet",
    "provenance.json",
)

#: Every validation failure of a dataset, one row each, when the gate writes them as
#: a table (``results/<dataset>/failures.parquet``); else they are in validation.json.
FAILURES_FILE = "failures.parquet"

#: What a dataset's report keeps in ``results/<dataset>/previous/`` for the next
#: rendering's "What changed" (:mod:`iongrad.report.changes`): summaries and
#: checksums (JSON), and the values of at most 10,000 tracked rows (parquet).
PREVIOUS_SNAPSHOT = ("snapshot.json", "values.parquet")

#: Files written beside ``reports/<dataset>.html`` (``_failures.csv`` only when the
#: failures overflow the page). ``_validation.json`` and ``_rejected.csv`` are copies
#: of the results' files, so that the page links only to files beside it and
#: ``reports/`` can be shared on its own.
REPORT_COMPANIONS = (
    "_potentials.csv",
    "_summary.csv",
    "_samples.csv",
    "_ladder.svg",
    "_temperature.svg",
    "_activity.svg",
    "_donnan.svg",
    "_ghk.svg",
    "_failures.csv",
    "_validation.json",
    "_rejected.csv",
)

#: Companions a report writes only when needed (failures overflowing the page) or
#: when the results hold the file they copy, so no workflow rule declares them.
OPTIONAL_COMPANIONS = ("_failures.csv", "_validation.json", "_rejected.csv")

#: Files written beside the cross-dataset report ``reports/index.html``.
INDEX_COMPANIONS = (
    "_datasets.csv",
    "_cell_types.csv",
    "_across_datasets.csv",
)


def companion(page: str | os.PathLike, suffix: str) -> Path:
    """The file ``suffix`` names beside the report page ``page``.

    ``suffix`` must be one of :data:`REPORT_COMPANIONS` or :data:`INDEX_COMPANIONS`,
    so a report never writes a file the workflow does not know about.

    >>> companion("reports/squid.html", "_summary.csv").as_posix()
    'reports/squid_summary.csv'
    """
    if suffix not in REPORT_COMPANIONS + INDEX_COMPANIONS:
        raise ValueError(f"{suffix!r} is not a report companion")
    page = Path(page)
    stem = page.name[: -len(".html")] if page.name.endswith(".html") else page.stem
    return page.with_name(f"{stem}{suffix}")


def report_file(
    dataset: str, suffix: str = ".html", reports_dir: str = "reports"
) -> str:
    """``reports/<dataset>.html``, or its companion ``suffix``, as a posix path.

    >>> report_file("squid"), report_file("{dataset}", "_ghk.svg")
    ('reports/squid.html', 'reports/{dataset}_ghk.svg')
    """
    page = f"{reports_dir}/{dataset}.html"
    return page if suffix == ".html" else companion(page, suffix).as_posix()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary path does not exist yet: the caller creates it (so its mode
    follows the umask). On an exception it is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` (``\\n`` line ends) to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def copy_file(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy ``source`` to ``target`` atomically (contents only, umask permissions)."""
    with atomic_path(target) as tmp, open(source, "rb") as src, open(tmp, "xb") as dst:
        shutil.copyfileobj(src, dst)


#: First characters that make a spreadsheet program read a cell as a formula (OWASP's
#: list; a line feed too, since a carriage return is written as one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: A cell that is a number as pandas writes it (infinities and NaN included).
_CSV_NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE
)


def is_csv_number(text: str) -> bool:
    """True when the CSV cell ``text`` is a plain number (``-5.2``, ``1e-3``, ``-inf``).

    >>> is_csv_number("-94.1"), is_csv_number("-cmd"), is_csv_number("K+")
    (True, False, False)
    """
    return _CSV_NUMBER.fullmatch(text) is not None


def _neutralised(values):
    """Text cells of ``values`` (a Series) that a spreadsheet would run as a formula,
    with a leading apostrophe; other cells unchanged (numbers, missing values).

    One pass over the cells in Python: a report writes a few dozen small columns,
    where each vectorised pandas string operation costs more than the loop (and a
    million cells take about 0.1 s)."""
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):  # the texts are its categories
        categories = pd.Series(values.cat.categories)
        safe = _neutralised(categories)
        if safe is categories:
            return values
        if safe.is_unique:
            return values.cat.rename_categories(list(safe))
        return _neutralised(values.astype(object))
    if not (
        pd.api.types.is_object_dtype(values.dtype)
        or pd.api.types.is_string_dtype(values.dtype)
    ):
        return values  # numbers and booleans are written as numbers
    changed: dict[int, str] = {}
    for i, cell in enumerate(values.to_numpy(dtype=object)):
        if not isinstance(cell, str) or not cell:
            continue
        risky, cr = cell[0] in _FORMULA_STARTS, "\r" in cell
        if not (risky or cr):
            continue
        safe = "'" + cell if risky and not is_csv_number(cell) else cell
        if cr:
            # pandas quotes a cell with a line feed but not one with a lone carriage
            # return, which spreadsheets read as a new row (that could start with "=").
            safe = safe.replace("\r\n", "\n").replace("\r", "\n")
        if safe != cell:
            changed[i] = safe
    if not changed:
        return values
    out = values.astype(object)  # a copy
    out.iloc[list(changed)] = list(changed.values())
    return out


def csv_text(df, *, header: bool = True) -> str:
    """``df`` as CSV text (no index) that spreadsheet programs open as data.

    A cell (or column name) that starts with ``=``, ``+``, ``-``, ``@``, a tab, a
    carriage return or a line feed and is not a number gets a leading apostrophe,
    so Excel and LibreOffice show it as text instead of running it as a formula
    (OWASP, "CSV Injection"). Every CSV written for people goes through here: user
    strings (sample names, cell types, rejected cells) reach these files verbatim.
    Numbers, ion symbols (``Cl-``) and empty cells are written exactly as
    ``df.to_csv(index=False)`` writes them; a carriage return inside a cell becomes
    a line feed (the cell is then quoted), so it cannot start a new row. Without
    ``header``, the rows only (a part of a file :func:`write_csv` writes in parts).

    >>> import pandas as pd
    >>> print(csv_text(pd.DataFrame({"ion": ["Cl-", "=1+2"], "E": [-9.5, 1.0]})))
    ion,E
    Cl-,-9.5
    '=1+2,1.0
    <BLANKLINE>
    """
    import pandas as pd

    columns = [df.iloc[:, i] for i in range(df.shape[1])]
    cells = [_neutralised(c) for c in columns]
    names = [
        "'" + c
        if isinstance(c, str) and c[:1] in _FORMULA_STARTS and not is_csv_number(c)
        else c
        for c in df.columns
    ]
    if all(a is b for a, b in zip(cells, columns, strict=True)) and names == list(
        df.columns
    ):
        return df.to_csv(index=False, header=header)  # the common case: as it is
    safe = pd.concat(cells, axis=1, ignore_index=True)
    safe.columns = names
    return safe.to_csv(index=False, header=header)


#: Rows of a CSV file :func:`write_csv` makes into text at a time.
CSV_PART_ROWS = 100_000
#: Parts of at least this many rows are made into text by :func:`csv_rows`.
FAST_CSV_ROWS = 2_000


def write_csv(path: str | os.PathLike, df) -> None:
    """Write ``df`` as :func:`csv_text` to ``path`` atomically, made into text
    :data:`CSV_PART_ROWS` rows at a time: a strict run's ``rejected.csv`` of ten
    million rows was one 2 GB text (and its cells as objects) before it was
    written. Parts of :data:`FAST_CSV_ROWS` rows or more are made into text by
    :func:`csv_rows` where it can (the same bytes; tested)."""
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        fh.write(csv_text(df.iloc[:0]).encode("utf-8"))  # the header
        for start in range(0, len(df), CSV_PART_ROWS):
            part = df.iloc[start : start + CSV_PART_ROWS]
            fast = csv_rows(part) if len(part) >= FAST_CSV_ROWS else None
            if fast is None:
                fast = csv_text(part, header=False).encode("utf-8")
            fh.write(fast)


#: A cell :func:`is_csv_number` surely calls a number, in RE2 (arrow's regular
#: expressions): a cell it misses is asked of :func:`is_csv_number` itself.
_CSV_NUMBER_RE2 = (
    r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[iI][nN][fF]|[iI][nN][fF][iI][nN][iI][tT][yY]|[nN][aA][nN])$"
)
#: Floats whose shortest text arrow writes as Python does (but for a final ``.0``):
#: at least this large in magnitude, and without an exponent (checked per cell).
_ARROW_PLAIN_FLOAT_FROM = 1e-4
#: A cell starting with one of :data:`_FORMULA_STARTS`, in RE2.
_RISKY_RE2 = r"^[=+\-@\t\r\n]"


def csv_rows(df) -> bytes | None:
    """The rows of ``df`` (no header) as :func:`csv_text` writes them, made into
    text by arrow's compute kernels; None when a column is of a kind this does not
    write (then :func:`csv_text` does).

    pandas makes every cell a Python object and a Python string (a strict run's
    ``rejected.csv`` of ten million rows took 80 s, most of it there); arrow makes
    each column's texts at once. What pandas writes is kept exactly: floats as
    numpy's shortest text (``140.0``, ``1e-05``: cells arrow writes another way
    are made by numpy), integers, ``True``/``False``, missing cells empty, texts
    neutralised as :func:`csv_text` does (a leading apostrophe before a formula, a
    carriage return made a line feed) and quoted as Python's ``csv`` module quotes
    them (those with a comma, a quote or a line feed; quotes doubled). A table of
    one column is left to :func:`csv_text` (Python's ``csv`` writes an empty cell
    alone on its row as ``""``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if df.shape[1] < 2 or not len(df):
        return None
    cells = []
    for i in range(df.shape[1]):
        text = _arrow_cells(df.iloc[:, i])
        if text is None:
            return None
        cells.append(pc.fill_null(text, ""))
    lines = pc.binary_join_element_wise(*cells, _scalar(","))
    lines = pc.binary_join_element_wise(lines, _scalar(""), _scalar("\n"))
    lines = pa.concat_arrays([lines]) if lines.offset else lines
    _, offsets, data = lines.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64, count=len(lines) + 1)
    return bytes(memoryview(data)[int(ends[0]) : int(ends[-1])])


def _arrow_cells(values):
    """The CSV texts of one column (a Series) as an arrow string array, missing
    cells null; None for a kind of column :func:`csv_rows` does not write."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = _arrow_cells(pd.Series(dtype.categories))
        if categories is None:
            return None
        codes = pa.array(values.cat.codes.to_numpy(), mask=values.isna().to_numpy())
        return categories.take(codes)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(values.to_numpy()), pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        flags = pa.array(values.to_numpy())
        return pc.if_else(flags, _scalar("True"), _scalar("False"))
    if dtype == np.float64:
        return _float_cells(values.to_numpy())
    if isinstance(values.array, pd.arrays.ArrowStringArray):  # texts in arrow
        text = pa.array(values.array)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        text = text.cast(pa.large_string())
    elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        try:
            text = pa.array(
                values.to_numpy(dtype=object), pa.large_string(), from_pandas=True
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None  # a cell that is not text: pandas writes str() of it
    else:
        return None
    return _quoted(_neutralised_arrow(text))


def _float_cells(values: np.ndarray):
    """numpy's text of each float (``str(np.float64(v))``), NaN null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(pa.array(values, from_pandas=True), pa.large_string())
    size = np.abs(values)
    other = (
        ~np.isfinite(size)
        | ((size < _ARROW_PLAIN_FLOAT_FROM) & (size != 0))
        | _has(text, "e")
    ) & ~np.isnan(values)
    whole = ~_has(text, ".")
    text = pc.if_else(
        pa.array(whole),
        pc.binary_join_element_wise(text, _scalar(".0"), _scalar("")),
        text,
    )
    if other.any():
        at = np.flatnonzero(other)
        text = pc.replace_with_mask(
            text,
            pa.array(other),
            pa.array(values[at].astype(str).tolist(), pa.large_string()),
        )
    return text


def _scalar(text: str):
    """``text`` as an arrow scalar of the type :func:`csv_rows` builds on."""
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())


def _has(text, part: str, *, regex: bool = False) -> np.ndarray:
    """Per cell of an arrow string array, whether it holds ``part`` (an RE2
    pattern with ``regex``); a missing cell does not."""
    import pyarrow.compute as pc

    match = pc.match_substring_regex if regex else pc.match_substring
    return pc.fill_null(match(text, part), False).to_numpy(zero_copy_only=False)


def _neutralised_arrow(text):
    """:func:`_neutralised`'s texts, on an arrow string array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    risky = _has(text, _RISKY_RE2, regex=True)
    if risky.any():
        ask = np.flatnonzero(risky & ~_has(text, _CSV_NUMBER_RE2, regex=True))
        formula = np.zeros(len(text), dtype=bool)
        cells = text.take(pa.array(ask)).to_pylist()
        formula[ask] = [not is_csv_number(c) for c in cells]
        marked = pc.binary_join_element_wise(_scalar("'"), text, _scalar(""))
        text = pc.if_else(pa.array(formula), marked, text)
    if _has(text, "\r").any():
        text = pc.replace_substring(text, "\r\n", "\n")
        text = pc.replace_substring(text, "\r", "\n")
    return text


def _quoted(text):
    """Texts with a comma, a quote or a line feed quoted, quotes doubled (Python's
    ``csv.QUOTE_MINIMAL`` with ``\\n`` line ends)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    needs = _has(text, '[,"\n]', regex=True)
    if not needs.any():
        return text
    doubled = pc.replace_substring(text, '"', '""')
    return pc.if_else(
        pa.array(needs),
        pc.binary_join_element_wise(_scalar('"'), doubled, _scalar('"'), _scalar("")),
        text,
    )


def jsonable(value: Any) -> Any:
    """A cell or scalar as JSON can hold it.

    numpy scalars become Python scalars; NaN and missing values (``None``,
    ``pd.NA``, ``NaT``) become ``null``; infinities become the strings ``"inf"`` and
    ``"-inf"`` (JSON has no infinity, and a user must see it, not ``null``); anything
    else that is not a JSON scalar becomes its text.

    >>> [jsonable(v) for v in (np.float64(1.5), float("nan"), float("-inf"), "K+")]
    [1.5, None, '-inf', 'K+']
    """
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Path):
        return value.as_posix()
    with contextlib.suppress(TypeError, ValueError):
        import pandas as pd

        if pd.isna(value):
            return None
    return str(value)


def json_default(value: Any) -> Any:
    """``default=`` hook for :func:`json.dumps`: numpy scalars, arrays and paths."""
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic | Path):
        return jsonable(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as sorted JSON text with a final newline (numpy values allowed)."""
    return json.dumps(data, indent=indent, sort_keys=True, default=json_default) + "\n"


def write_json(path: str | os.PathLike, data: Mapping[str, Any] | list) -> None:
    """Write ``data`` as sorted, indented JSON atomically."""
    write_text(path, to_json(data))


def write_parquet(
    path: str | os.PathLike, df, units: Mapping[str, str] | None = None
) -> None:
    """Write a DataFrame to parquet atomically, without its index.

    ``units`` maps column -> unit text (``{"c_in_mM": "mM"}``); each named column
    that is in ``df`` gets a ``unit`` entry in its field metadata, which ingestion
    reads back, so a re-read file never takes one unit for another.
    """
    import pyarrow.parquet as pq

    table = arrow_table(df, units)
    with atomic_path(path) as tmp:
        pq.write_table(
            table,
            tmp,
            use_dictionary=_dictionary_columns(table.schema),
            row_group_size=ROW_GROUP_ROWS,
        )


class ParquetParts:
    """Tables written one after the other into one parquet file, atomically.

    ``with ParquetParts(path) as parts: parts.write(df)...``: each DataFrame (index
    dropped, ``units`` as :func:`write_parquet`) or arrow table is written as it
    comes, so only one is in memory; the file appears, whole, when the block ends
    without an error, and not at all otherwise (nor when nothing was written).
    """

    def __init__(self, path: str | os.PathLike, units: Mapping[str, str] | None = None):
        self.path, self.units, self.rows = path, units, 0
        self._atomic = atomic_path(path)
        self._writer = None

    def __enter__(self) -> ParquetParts:
        self._tmp = self._atomic.__enter__()
        return self

    def write(self, part, units: Mapping[str, str] | None = None) -> None:
        """Append a DataFrame or an arrow table (``units`` for this DataFrame)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not isinstance(part, pa.Table):
            part = arrow_table(part, units or self.units)
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self._tmp, part.schema, use_dictionary=_dictionary_columns(part.schema)
            )
        self._writer.write_table(
            part.cast(self._writer.schema), row_group_size=ROW_GROUP_ROWS
        )
        self.rows += part.num_rows

    def __exit__(self, *exc):
        if self._writer is not None:
            self._writer.close()
        elif exc[0] is None:  # nothing written: no file
            error = ValueError(f"{self.path}: no table to write")
            self._atomic.__exit__(ValueError, error, None)  # removes the temporary
            raise error
        return self._atomic.__exit__(*exc)


class Spilled:
    """A table parked in an Arrow IPC file, lz4-compressed, until it is wanted.

    ``Spilled.write(table, path)`` parks it (written and read back at memory speed,
    where a parquet file is encoded and decoded); the object holds only the path,
    so it travels between processes: a chunk computed in one process is parked
    there and taken by the job that writes the results. :meth:`take` reads the
    table back whole and removes the file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @classmethod
    def write(cls, table, path: str | os.PathLike) -> Spilled:
        """Park an arrow table (as one record batch: it comes back as written)."""
        import pyarrow as pa

        options = pa.ipc.IpcWriteOptions(compression="lz4")
        with (
            pa.OSFile(str(path), "wb") as sink,
            pa.ipc.new_file(sink, table.schema, options=options) as writer,
        ):
            writer.write_table(table.combine_chunks())
        return cls(path)

    def take(self):
        """The parked table, read into memory; the file removed."""
        import pyarrow as pa

        with pa.OSFile(str(self.path), "rb") as source:
            table = pa.ipc.open_file(source).read_all()
        self.path.unlink()
        return table


def parked(part, path: str | os.PathLike) -> Spilled:
    """``part`` as a :class:`Spilled`: parked at ``path`` if it is a table, as it
    is if it was parked already."""
    return part if isinstance(part, Spilled) else Spilled.write(part, path)


def unparked(part):
    """The table of ``part``: taken (:meth:`Spilled.take`) if it was parked."""
    return part.take() if isinstance(part, Spilled) else part


@contextlib.contextmanager
def scratch_dir(beside: str | os.PathLike) -> Iterator[Path]:
    """A hidden folder beside ``beside`` (on the same disk as the results), removed
    with all it holds when the block ends, with or without an error."""
    import tempfile

    target = Path(beside)
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _dictionary_columns(schema) -> list[str]:
    """The columns parquet stores with a dictionary: all but the floating-point
    ones, whose values rarely repeat (trying costs a quarter of the write time)."""
    import pyarrow as pa

    return [f.name for f in schema if not pa.types.is_floating(f.type)]


def arrow_table(df, units: Mapping[str, str] | None = None):
    """``df`` (index dropped) as an arrow table, ``units`` in the field metadata."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    if units:
        fields = []
        for f in table.schema:
            if f.name in units:
                meta = dict(f.metadata or {})
                meta[b"unit"] = str(units[f.name]).encode("utf-8")
                f = f.with_metadata(meta)
            fields.append(f)
        table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    return table
