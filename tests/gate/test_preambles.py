"""Tables below a title, with units in a second header row, blank rows and a summary
row at the end, in CSV files and workbooks (#18 item 2); or as the dataset's config
states them (header_row, units_row, skip_rows). validation.json's ``reading`` block
says how the file was read, and data rows keep the file's own row numbers.
"""

from __future__ import annotations

import pytest
from spreadsheet_corpus import DATA, HEADER, NAMES, PLAIN, UNITS, _xlsx

from iongrad.gate.failures import IngestError
from iongrad.gate.ingest import read_table
from iongrad.gate.validation import validate_file


def _csv(tmp_path, lines, name="cells.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(cells, sep=","):
    return sep.join(str(c) for c in cells)


def _rows_of(path, **options):
    return sorted(set(read_table(path, dataset="c", options=options).source_row))


def test_a_title_and_notes_above_the_header_are_skipped_and_said(tmp_path):
    path = _csv(tmp_path, ["Potassium and sodium, cortical neurons",
                           "Notes: ISE, 2 repeats", "", _row(HEADER),
                           *[_row(r) for r in DATA]])  # fmt: skip
    result = validate_file(path, dataset="c")
    assert result.report["errors"] == 0, result.summary()
    reading = result.report["reading"]
    assert reading["header_row"] == 4
    assert reading["header_row_by"] == "found"
    assert reading["skipped"] == [
        {"rows": "1-2", "reason": "title or notes above the header"}
    ]
    assert _rows_of(path) == [5, 6, 7]


def test_a_units_row_gives_each_column_its_unit(tmp_path):
    path = _csv(tmp_path, [_row(NAMES), _row(UNITS), *[_row(r) for r in DATA]])
    plain = _csv(tmp_path, PLAIN.splitlines(), "plain.csv")
    table = read_table(path, dataset="c")
    assert table.c_in_mM.tolist() == read_table(plain, dataset="c").c_in_mM.tolist()
    assert table.temperature_K.iloc[0] == pytest.approx(310.15)
    reading = validate_file(path, dataset="c").report["reading"]
    assert (reading["units_row"], reading["units_row_by"]) == (2, "found")
    assert _rows_of(path) == [3, 4, 5]


def test_a_micromolar_units_row_scales_its_column(tmp_path):
    units = ["", "", "°C", "uM", "mM", "mM", "mM", "mM", "mM"]
    path = _csv(tmp_path, [_row(NAMES), _row(units), *[_row(r) for r in DATA]])
    assert read_table(path, dataset="c").query("ion == 'K+'").c_in_mM.iloc[0] == (
        pytest.approx(0.140)
    )


def test_a_units_row_contradicting_its_header_is_an_error(tmp_path):
    names = ["sample_id", "cell_type", "temperature_C", "K_in_mM", *NAMES[4:]]
    path = _csv(tmp_path, [_row(names), _row(["", "", "", "uM", *UNITS[4:]]),
                           *[_row(r) for r in DATA]])  # fmt: skip
    result = validate_file(path, dataset="c")
    hits = [(f["rule"], f["column"], f["value"]) for f in result.report["failures"]
            if f["severity"] == "error"]  # fmt: skip
    assert hits == [("unit_conflict", "K_in_mM", "header 'mM', units row 'uM'")]


def test_a_summary_row_is_left_out_with_a_warning_naming_it(tmp_path):
    lines = [_row(HEADER), *[_row(r) for r in DATA], "",
             _row(["Mean", "", "", 125, 4, 15, 145, 15, 115]),
             _row(["SD:", "", "", 20, 1, 4, 5, 12, 5])]  # fmt: skip
    path = _csv(tmp_path, lines)
    result = validate_file(path, dataset="c")
    assert result.ok, result.summary()  # a warning, also in strict mode
    assert result.report["rows_read"] == 3 * 3
    hits = [
        (f["rule"], f["row"], f["value"], f["severity"])
        for f in result.report["failures"]
        if f["rule"] == "summary_row"
    ]
    assert hits == [("summary_row", 6, "Mean", "warning"),
                    ("summary_row", 7, "SD:", "warning")]  # fmt: skip
    skipped = result.report["reading"]["skipped"]
    assert {"rows": "6", "reason": "summary row ('Mean')"} in skipped


def test_a_summary_row_in_a_workbook_is_located_at_its_row(tmp_path):
    rows = [HEADER, *DATA, ["Total", "", "", 375, 12.5, 47, 435, 45.5, 345.25]]
    result = validate_file(_xlsx(tmp_path / "t.xlsx", rows), dataset="c")
    hits = [f for f in result.report["failures"] if f["rule"] == "summary_row"]
    assert [(f["row"], f["cell"]) for f in hits] == [(5, "Sheet1!A5")]  # its word


def test_a_sample_named_like_a_summary_word_inside_the_data_is_kept(tmp_path):
    rows = [list(r) for r in DATA]
    rows[0][0] = "n"  # only rows at the end are summaries
    path = _csv(tmp_path, [_row(HEADER), *[_row(r) for r in rows]])
    assert "n" in set(read_table(path, dataset="c").sample_id)


def test_config_rows_are_used_as_stated(tmp_path):
    # a notes line naming two fields would be taken for the header: header_row says
    drift = "electrode drift, repeated below"
    lines = ["sample,temp", _row(NAMES), _row(UNITS), _row(DATA[0]), drift,
             *[_row(r) for r in DATA[1:]]]  # fmt: skip
    path = _csv(tmp_path, lines)
    options = {"header_row": 2, "units_row": 3, "skip_rows": [5]}
    result = validate_file(path, dataset="c", options=options)
    assert result.report["errors"] == 0, result.summary()
    reading = result.report["reading"]
    assert (reading["header_row"], reading["header_row_by"]) == (2, "config")
    assert (reading["units_row"], reading["units_row_by"]) == (3, "config")
    assert reading["skipped"] == [
        {"rows": "1", "reason": "above the header (header_row)"},
        {"rows": "5", "reason": "skip_rows in the dataset's config"},
    ]
    assert _rows_of(path, **options) == [4, 6, 7]


def test_a_stated_row_that_is_blank_is_refused_naming_the_key(tmp_path):
    path = _csv(tmp_path, ["", _row(HEADER), _row(DATA[0])])
    with pytest.raises(IngestError, match="header_row 1: that row is blank") as err:
        validate_file(path, options={"header_row": 1})
    assert err.value.rule == "read_options"
    with pytest.raises(IngestError, match="units_row 9"):
        validate_file(path, options={"units_row": 9})


def test_a_plain_file_reads_as_before(tmp_path):
    """The first row is the header whenever it names a column the contract knows."""
    path = _csv(tmp_path, PLAIN.splitlines())
    reading = validate_file(path, dataset="c").report["reading"]
    assert reading == {
        "format": "csv", "header_row": 1, "header_row_by": "found",
        "dialect": {"encoding": "utf-8", "separator": ",", "decimal": ".",
                    "thousands": None, "number_format": "from the separator"},
    }  # fmt: skip


def test_a_file_whose_header_is_never_found_reports_its_first_row(tmp_path):
    path = _csv(tmp_path, ["a,b,c", "1,2,3"])
    result = validate_file(path, dataset="c")
    assert result.report["reading"]["header_row"] == 1
    assert "required_column" in {f["rule"] for f in result.report["failures"]}


def test_a_header_the_columns_mapping_names_is_found_below_a_title(tmp_path):
    """Headers no grammar reads, given their meaning in config, still make the
    header row: the title above is skipped."""
    names = ["Probe", "Zelltyp", "Temperatur", "Kalium innen", "Kalium aussen"]
    rows = [["s1", "neuron", 37, 140, 5], ["s2", "glia", 22, 100, 3]]
    path = _csv(tmp_path, ["Messung 2024", _row(names), *[_row(r) for r in rows]])
    columns = {
        "Probe": {"column": "sample_id"},
        "Zelltyp": {"column": "cell_type"},
        "Temperatur": {"column": "temperature", "unit": "degC"},
        "Kalium innen": {"ion": "K+", "side": "in", "unit": "mM"},
        "Kalium aussen": {"ion": "K+", "side": "out", "unit": "mM"},
    }
    result = validate_file(path, dataset="c", options={"columns": columns})
    assert result.report["errors"] == 0, result.summary()
    assert result.report["reading"]["header_row"] == 2


def test_a_last_row_that_may_be_a_summary_or_a_sample_is_an_error(tmp_path):
    rows = [list(r) for r in DATA]
    for word in ("n", "Max", "SE"):
        rows[-1][0] = word  # every cell filled: a sample named n, or a count?
        path = _csv(tmp_path, [_row(HEADER), *[_row(r) for r in rows]])
        result = validate_file(path, dataset="c")
        assert not result.ok, word  # never a silent guess either way
        (hit,) = [f for f in result.report["failures"] if f["rule"] == "summary_row"]
        assert (hit["severity"], hit["row"], hit["value"]) == ("error", 4, word)
        assert f"a sample named {word!r}?" in hit["message"]
        assert "skip_rows" in hit["message"]
        stated = validate_file(path, dataset="c", options={"skip_rows": [4]})
        assert stated.ok, stated.summary()  # said to be a summary: left out


def test_a_mean_row_is_a_summary_even_when_it_fills_every_column(tmp_path):
    rows = [list(r) for r in DATA] + [["Mean", "n", 37, 140, 5, 12, 145, 8, 120]]
    path = _csv(tmp_path, [_row(HEADER), *[_row(r) for r in rows]])
    result = validate_file(path, dataset="c")
    assert result.ok, result.summary()
    assert "Mean" not in set(result.accepted.sample_id)


def test_a_summary_row_names_the_column_of_its_word(tmp_path):
    lines = [_row(HEADER), *[_row(r) for r in DATA],
             _row(["n", "", "", 3, 3, 3, 3, 3, 3])]  # fmt: skip
    result = validate_file(_csv(tmp_path, lines), dataset="c")
    (hit,) = [f for f in result.report["failures"] if f["rule"] == "summary_row"]
    assert (hit["row"], hit["column"], hit["value"]) == (5, HEADER[0], "n")
