"""Fuzzing the gate: whatever a file holds, no traceback, every failure located.

Random bytes, random headers and cells, and the good corpus with random mutations
go through the readers and :func:`validate_file`. The gate either refuses the file
as unreadable (:class:`IngestError`) or returns a result in which

* every row read is accepted or rejected (``rows_read = accepted + rejected``);
* every failure names the file, and a row (CSV: the header line for a failure of
  the whole file); a failure below the header names a column too, unless it
  concerns the whole line (``field_count``);
* the accepted rows have the canonical columns.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.gate.ingest import IngestError, read_table
from iongrad.gate.readers import read_source
from iongrad.gate.validation import validate_file

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"
CORPUS = sorted(p for p in GOOD.iterdir() if p.suffix in {".csv", ".tsv"})
PARQUET = sorted(GOOD.glob("*.parquet"))
#: Failures that concern a whole line, not one cell.
LINE_RULES = {"field_count"}

#: Examples per test (IONGRAD_FUZZ_EXAMPLES=2000 for a longer hunt).
EXAMPLES = int(os.environ.get("IONGRAD_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: A table with errors costs pandera's lazy report (about 0.1 s): fewer examples.
FUZZ_TYPED = settings(FUZZ, max_examples=max(EXAMPLES * 2 // 5, 1))

HEADERS = [
    "dataset", "sample_id", "sample", "cell_type", "temperature_C", "temperature_K",
    "temperature", "temperature_unit", "ion", "c_in_mM", "c_out_mM", "c_in [uM]",
    "c_out", "unit", "valence", "gamma_in", "gamma_out", "permeant", "vm_mV",
    "erev_mV", "permeability", "ljp_mV", "ljp_corrected", "K_in_mM", "K_out_mM",
    "Na+ [mM] in", "Ca_in [nM]", "Cl- (uM) out", "Xq_in_mM", "", "c_in_mM.1",
]  # fmt: skip
CELLS = [
    "", " ", "NaN", "nan", "NA", "-", "K+", "Na+", "Ca2+", "Cl-", "Potasium", "A-",
    "140", "-142", "14O", "0", "1e-30", "1e30", "inf", "-inf", "1,5", "1.5",
    "140.000", "1.000,5", "140,000", "37", "98.6", "mM", "uM", "mol/kg", "degC",
    "K", "true", "no", "=HYPERLINK(\"x\")", "\x00", "\u00a0", "é", '"', "s1", "d1",
]  # fmt: skip
SEPARATORS = [",", ";", "\t"]
MODES = st.sampled_from(["strict", "lenient"])
#: Numbers for typed (parquet) cells: plausible ones, and every kind of extreme.
NUMBERS = st.one_of(
    st.none(),
    st.floats(0.01, 1000),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), -1.0, 0.0, 1e-30]),
    st.floats(allow_nan=True, allow_infinity=True),
)
TEMPERATURES = st.one_of(
    st.sampled_from([293.15, 310.15, 37.0, -5.0, float("nan"), float("inf")]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A folder for the fuzzed files (one name per example, overwritten)."""
    return tmp_path_factory.mktemp("fuzz")


def _check(path: Path, mode: str) -> None:
    """Validate ``path`` and hold the gate to its invariants."""
    unreadable = _refusal(read_source, path)
    if unreadable is not None:
        assert str(path) in str(unreadable)
        with pytest.raises(IngestError):
            validate_file(path)
        return
    _invariants(path, validate_file(path, mode=mode))
    refused = _refusal(read_table, path)
    if refused is not None:
        assert refused.failures, "read_table refused the file naming no failure"


def _refusal(read, path: Path) -> IngestError | None:
    """The IngestError ``read(path)`` raises, or None (any other error escapes)."""
    try:
        read(path)
    except IngestError as err:
        return err
    return None


def _invariants(path: Path, result) -> None:
    r = result.report
    assert r["rows_read"] == r["rows_accepted"] + r["rows_rejected"]
    assert len(result.accepted) == r["rows_accepted"]
    assert len(result.rejected) == r["rows_rejected"]
    assert list(result.accepted.columns) == CANONICAL_COLUMNS
    header_row = r["input"].get("header_row")
    for f in r["failures"]:
        assert f["file"] == str(path)
        assert str(path) in f["message"]
        assert f["severity"] in {"error", "warning"}
        if r["input"]["format"] == "csv":
            assert f["row"] is not None, f
        if f["row"] is not None and f["row"] != header_row:
            assert f["column"] is not None or f["rule"] in LINE_RULES, f
    json.dumps(r, allow_nan=False, default=str)  # validation.json can hold it
    if r["rows_accepted"]:
        assert result.accepted["sample_complete"].dtype == bool


# ------------------------------------------------------------------ random bytes
@FUZZ
@given(
    data=st.binary(max_size=600),
    suffix=st.sampled_from([".csv", ".parquet"]),
    mode=MODES,
)
def test_random_bytes(scratch, data, suffix, mode):
    path = scratch / f"bytes{suffix}"
    path.write_bytes(data)
    _check(path, mode)


# ------------------------------------------------------------ headers and cells
def _field(cell: str, sep: str) -> str:
    if any(c in cell for c in (sep, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def tables(draw):
    """A CSV table from real and random headers and cells."""
    sep = draw(st.sampled_from(SEPARATORS))
    text = st.text(max_size=8)
    headers = draw(
        st.lists(st.one_of(st.sampled_from(HEADERS), text), min_size=1, max_size=9)
    )
    rows = draw(
        st.lists(
            st.lists(
                st.one_of(st.sampled_from(CELLS), text),
                min_size=len(headers),
                max_size=len(headers),
            ),
            max_size=8,
        )
    )
    ragged = draw(st.booleans()) and rows
    if ragged:  # one line with a field too many
        rows[0] = [*rows[0], "extra"]
    lines = [sep.join(_field(c, sep) for c in row) for row in [headers, *rows]]
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=tables(), mode=MODES)
def test_random_headers_and_cells(scratch, text, mode):
    path = scratch / "cells.csv"
    path.write_text(text, encoding="utf-8")
    _check(path, mode)


@FUZZ_TYPED
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["s1", "s2", ""]),
            st.sampled_from(["K+", "Na+", "Cl-", "Ca2+", "Qq", None]),
            NUMBERS,
            NUMBERS,
        ),
        min_size=1,
        max_size=8,
    ),
    temperature=TEMPERATURES,
    mode=MODES,
)
def test_random_parquet_values(scratch, rows, temperature, mode):
    frame = pd.DataFrame(rows, columns=["sample_id", "ion", "c_in_mM", "c_out_mM"])
    frame.insert(1, "cell_type", "x")
    frame.insert(2, "temperature_K", temperature)
    path = scratch / "values.parquet"
    frame.to_parquet(path)
    _check(path, mode)


# ------------------------------------------------------------- mutated corpus
@st.composite
def mutated(draw):
    """A good corpus file with a few random byte-level or cell-level mutations."""
    source = draw(st.sampled_from(CORPUS + PARQUET))
    data = bytearray(source.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cell", "line"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=6))
        elif kind == "delete" and data:
            data[at : at + draw(st.integers(1, 6))] = b""
        elif kind == "cell" and source.suffix != ".parquet":
            cell = draw(st.sampled_from(CELLS)).encode("utf-8")
            data[at:at] = cell
        elif kind == "line" and source.suffix != ".parquet":
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])  # a repeated line (the header, maybe)
            data = bytearray(b"\n".join(lines))
    return source.suffix, bytes(data)


@FUZZ
@given(case=mutated(), mode=MODES)
def test_mutated_good_corpus(scratch, case, mode):
    suffix, data = case
    path = scratch / f"mutated{suffix}"
    path.write_bytes(data)
    _check(path, mode)


def test_the_corpus_itself_passes_the_invariants(scratch):
    for path in itertools.chain(CORPUS, PARQUET):
        for mode in ("strict", "lenient"):
            _check(path, mode)


def test_parquet_text_that_is_not_utf8_is_unreadable(scratch):
    """Found by the mutated corpus: bytes that are not UTF-8 in a text column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    offsets = pa.py_buffer(b"\x00\x00\x00\x00\x02\x00\x00\x00")
    data = pa.py_buffer(b"\xff\x80")
    text = pa.Array.from_buffers(pa.string(), 1, [None, offsets, data])
    path = scratch / "not_utf8.parquet"
    pq.write_table(pa.table({"sample_id": text}), path)
    with pytest.raises(IngestError, match="UTF8"):
        validate_file(path)
