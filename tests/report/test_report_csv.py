"""CSV files written for people neutralise spreadsheet formulas (files.csv_text).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a line break is run as a
formula by spreadsheet programs (OWASP "CSV injection"); unless it is a number, it
gets a leading apostrophe. Numbers, ion symbols and everything else are written
exactly as pandas writes them.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad import files

HOSTILE = ["=1+2", "+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(1,2)", "\t=1", "\n=1"]
HARMLESS = ["K+", "Cl-", "HCO3-", "-5.25", "+3", "1e-3", "-1.5E+02", "-inf", "", "ok"]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_formula_cells_get_an_apostrophe_numbers_do_not():
    df = pd.DataFrame({"cell": HOSTILE + HARMLESS})
    got = [row[0] for row in _cells(files.csv_text(df))[1:]]
    assert got == ["'" + h for h in HOSTILE] + HARMLESS


def test_categorical_text_is_neutralised_like_text():
    # the report reads repeated texts (cell types, sample names' files) as
    # categoricals: their categories are the cells a spreadsheet would run
    cells = ["neuron", "=HYPERLINK(1)", "neuron", None, "-5"]
    as_text = files.csv_text(
        pd.DataFrame({"cell_type": pd.Series(cells, dtype=object)})
    )
    as_codes = files.csv_text(pd.DataFrame({"cell_type": pd.Categorical(cells)}))
    assert as_codes == as_text
    assert "'=HYPERLINK(1)" in as_codes
    # a category that is already the neutralised text of another: no clash
    clash = pd.Categorical(["=1+A", "'=1+A"])
    assert files.csv_text(pd.DataFrame({"c": clash})) == "c\n'=1+A\n'=1+A\n"


def test_carriage_return_cannot_start_a_row():
    df = pd.DataFrame({"cell": ["\r=1+2", "a\r=cmd()", "b\r\nc"], "n": [1, 2, 3]})
    rows = _cells(files.csv_text(df))
    assert rows == [["cell", "n"], ["'\n=1+2", "1"], ["a\n=cmd()", "2"], ["b\nc", "3"]]


def test_numeric_columns_and_missing_values_round_trip_exactly():
    df = pd.DataFrame(
        {
            "E_mV": [-94.13712345678901, 0.1, -np.inf, np.nan],
            "n": [1, -2, 3, 4],
            "label": ["K+", None, '=HYPERLINK("x")', "-x"],
            "ok": [True, False, True, False],
        }
    )
    text = files.csv_text(df)
    back = pd.read_csv(io.StringIO(text))
    np.testing.assert_array_equal(back["E_mV"].to_numpy(), df["E_mV"].to_numpy())
    assert back["n"].tolist() == [1, -2, 3, 4]
    assert back["label"].tolist()[0] == "K+"
    assert pd.isna(back["label"][1])
    assert back["label"].tolist()[2:] == ['\'=HYPERLINK("x")', "'-x"]
    assert back["ok"].tolist() == [True, False, True, False]


def test_hostile_header_is_neutralised_too():
    df = pd.DataFrame({"=cmd": [1], "-lab": ["a"], "K+": ["b"]})
    assert _cells(files.csv_text(df))[0] == ["'=cmd", "'-lab", "K+"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(
                alphabet=st.characters(
                    blacklist_categories=["Cs"], blacklist_characters="\r"
                ),
                max_size=6,
            ),
            st.floats(allow_nan=True, allow_infinity=True),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_only_formula_like_text_changes(values):
    df = pd.DataFrame({"x": pd.Series(values, dtype=object)})
    plain = _cells(df.to_csv(index=False))
    safe = _cells(files.csv_text(df))
    assert len(plain) == len(safe)
    for p, s in zip(plain[1:], safe[1:], strict=True):
        before, after = (p or [""])[0], (s or [""])[0]  # an empty cell: empty line
        risky = before[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")
        if risky and not files.is_csv_number(before):
            assert after == "'" + before
        else:
            assert after == before


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("-5", True),
        ("+5.", True),
        ("-.5e-3", True),
        ("-inf", True),
        ("-", False),
        ("-5 mV", False),
        ("--5", False),
        ("-e5", False),
    ],
)
def test_what_counts_as_a_number(text, number):
    assert files.is_csv_number(text) is number


def test_report_csvs_neutralise_user_strings(tmp_path):
    """A hostile cell type and sample name reach every report CSV as text."""
    from synthetic import potentials_frame, write_results

    from iongrad.report import render_dataset_report, render_index

    pot = potentials_frame("demo", [('=HYPERLINK("http://x")', 300.0, 2)])
    pot.loc[pot["sample_id"] == "s1", "sample_id"] = "@SUM(1+1)"
    res = write_results(tmp_path / "results", "demo", [], potentials=pot)
    out = tmp_path / "reports" / "demo.html"
    render_dataset_report(dataset="demo", results_dir=res, output=out)
    render_index(
        entries=[
            {
                "dataset": "demo",
                "status": "ok",
                "results_dir": str(res),
                "report_href": "demo.html",
            }
        ],
        output=tmp_path / "reports" / "index.html",
    )
    written = sorted((tmp_path / "reports").glob("*.csv"))
    assert len(written) >= 6
    seen = 0
    for path in written:
        for row in _cells(path.read_text(encoding="utf-8")):
            for cell in row:
                assert not cell.startswith(("=", "@")), (path.name, cell)
                seen += cell.startswith(("'=HYPERLINK", "'@SUM"))
    assert seen >= 4


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(st.sampled_from([*HOSTILE, *HARMLESS, None]), max_size=12),
    part=st.integers(1, 5),
    fast=st.sampled_from([1, 10**9]),
)
def test_a_csv_written_in_parts_is_the_text_of_the_whole(
    tmp_path_factory, cells, part, fast
):
    """write_csv makes a few rows into text at a time (a strict run's rejected.csv
    of ten million rows was one text of 2 GB): the file is csv_text of the whole,
    byte for byte, whatever falls at a part's edge, with the parts made by arrow
    (csv_rows) or by pandas."""
    df = pd.DataFrame(
        {
            "=name": cells,
            "kind": pd.Categorical(cells),
            "value": np.arange(len(cells)) / 3.0,
        }
    )
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(files, "CSV_PART_ROWS", part)
    monkeypatch.setattr(files, "FAST_CSV_ROWS", fast)
    try:
        files.write_csv(path, df)
    finally:
        monkeypatch.undo()
    assert path.read_bytes() == files.csv_text(df).encode("utf-8")


#: Floats where numpy's text and arrow's differ in form: whole numbers (``140.0``),
#: below 1e-4 (``1e-05``), large (``1e+16``, ``123456789012345.6``), signed zero.
AWKWARD_FLOATS = [140.0, 1e-05, 9.99e-05, 1e-4, 1e15, 1e16, 123456789012345.6]
AWKWARD_FLOATS += [-0.0, 5e-324, 0.1 + 0.2, -2.5, np.inf, -np.inf, np.nan]
#: Texts a CSV quotes, and numbers in digits other than ASCII ones (Arabic-Indic,
#: full width): Python's regular expressions take them as digits, arrow's do not.
QUOTED = ["a,b", 'q"r', "x\r\ny"]
UNICODE_NUMBERS = ["-\u0661\u0662", "+\u0663.5", "-\uff11e3"]
TEXTS = st.one_of(
    st.sampled_from([*HOSTILE, *HARMLESS, *QUOTED, *UNICODE_NUMBERS]), st.text()
)


def _column(kind: str, cells: list, floats: list, flags: list) -> pd.Series:
    if kind == "object":
        return pd.Series(cells, dtype=object)
    if kind == "arrow":  # in two chunks, as a concatenated table holds it
        half = len(cells) // 2
        parts = [
            pd.Series(c, dtype="string[pyarrow]") for c in (cells[:half], cells[half:])
        ]
        return pd.concat(parts, ignore_index=True)
    if kind == "python":  # texts in Python's own strings, missing as pd.NA
        return pd.Series(cells, dtype="string[python]")
    if kind == "category":
        return pd.Series(pd.Categorical(cells))
    if kind == "float":
        return pd.Series(floats, dtype=float)
    if kind == "int":
        return pd.Series(np.arange(len(cells), dtype=np.int64) * -7)
    return pd.Series(flags, dtype=bool)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 30),
    kinds=st.lists(
        st.sampled_from(
            ["object", "arrow", "python", "category", "float", "int", "bool"]
        ),
        min_size=2,
        max_size=5,
    ),
)
def test_arrow_made_rows_are_the_rows_pandas_writes(data, n, kinds):
    """csv_rows (arrow's kernels, for big files) writes the bytes csv_text writes,
    for every kind of column it takes: texts (neutralised, quoted), categoricals,
    floats in every form numpy gives them, integers and booleans."""
    columns = {}
    for i, kind in enumerate(kinds):
        cells = data.draw(st.lists(st.one_of(TEXTS, st.none()), min_size=n, max_size=n))
        floats = data.draw(
            st.lists(
                st.one_of(st.sampled_from(AWKWARD_FLOATS), st.floats()),
                min_size=n,
                max_size=n,
            )
        )
        flags = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
        columns[f"c{i}"] = _column(kind, cells, floats, flags)
    df = pd.DataFrame(columns)
    fast = files.csv_rows(df)
    assert fast is not None
    assert fast == files.csv_text(df, header=False).encode("utf-8")


def test_columns_arrow_does_not_write_are_left_to_pandas(tmp_path):
    """A column of other objects (numbers among texts), one column alone: no arrow
    rows, and write_csv still writes what csv_text writes."""
    mixed = pd.DataFrame({"a": ["x", 3, 2.5] * 1000, "b": np.arange(3000)})
    alone = pd.DataFrame({"a": ["", "=1", "x"] * 1000})
    for df in (mixed, alone):
        assert files.csv_rows(df) is None
        path = tmp_path / "t.csv"
        files.write_csv(path, df)
        assert path.read_bytes() == files.csv_text(df).encode("utf-8")
