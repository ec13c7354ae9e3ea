"""``iongrad inspect``: how a file would be read, every column with its reason (#18).

Nothing is validated: a text cell in a number column is no problem here, while a
header that cannot be read (ambiguous, a mapped header the file lacks, a required
column missing) is exit status 1, and an unusable argument or file 2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

BRACKETS = (
    "Sample,Cell type,Temp (°C),[K+]i (mM),[K+]o (mM),[Na+]i (mM),[Na+]o (mM),"
    "[Cl-]i (mM),[Cl-]o (mM)"
)
ROW = "s1,neuron,37,140,5,12,145,7,150"


def _write(tmp_path: Path, text: str, name: str = "t.csv", **kw) -> str:
    path = tmp_path / name
    path.write_text(text, **{"encoding": "utf-8", **kw})
    return str(path)


def _json(cli, *argv):
    code, out, err = cli("inspect", *argv, "--json")
    return code, json.loads(out), err


def test_the_bracket_notation_file_is_read_column_by_column(tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS}\n{ROW}\n")
    code, report, _ = _json(cli, path)
    assert code == 0
    assert (report["ok"], report["layout"], report["data_rows"]) == (True, "wide", 1)
    assert report["reading"]["dialect"]["separator"] == ","
    first, temp, k_in = report["columns"][0], report["columns"][2], report["columns"][3]
    assert (first["header"], first["role"], first["column"]) == (
        "Sample", "field", "sample_id",
    )  # fmt: skip
    assert (temp["column"], temp["unit"]) == ("temperature", "°C")
    assert k_in == {
        "position": "4 (D)", "header": "[K+]i (mM)", "role": "wide", "ion": "K+",
        "side": "in", "unit": "mM", "form": "[ion]side", "why": "form '[ion]side'",
    }  # fmt: skip
    sides = [(c["ion"], c["side"]) for c in report["columns"][3:]]
    assert sides == [(i, s) for i in ("K+", "Na+", "Cl-") for s in ("in", "out")]
    assert report["ignored"] == []
    assert report["problems"] == []


def test_an_ambiguous_header_is_exit_1_and_lists_its_readings(tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS},Cl (mM),Notes\n{ROW},3,x\n")
    code, report, _ = _json(cli, path)
    assert code == 1
    assert report["exit_status"] == 1
    cl = report["columns"][9]
    assert (cl["header"], cl["role"], cl["position"]) == (
        "Cl (mM)",
        "ambiguous",
        "10 (J)",
    )
    assert [r.split(" (")[0] for r in cl["readings"]] == ["Cl- inside", "Cl- outside"]
    assert report["ignored"] == ["Notes"]
    (problem,) = report["problems"]
    assert (problem["rule"], problem["column"]) == ("ambiguous_header", "Cl (mM)")


def test_the_human_table_names_every_column_and_why(tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS},Cl,Notes\n{ROW},3,x\n")
    code, out, _ = cli("inspect", path)
    assert code == 1
    assert "read as: CSV, encoding utf-8, separator ',', decimal mark '.'" in out
    lines = out.splitlines()
    (k_in,) = [line for line in lines if "[K+]i (mM)" in line]
    assert k_in.split() == [
        "4", "(D)", "[K+]i", "(mM)", "ion", "concentration", "K+", "in", "mM", "form",
        "'[ion]side'",
    ]  # fmt: skip
    (cl,) = [line for line in lines if line.split()[:3] == ["10", "(J)", "Cl"]]
    assert "AMBIGUOUS" in cl
    assert "Cl- inside" in cl
    assert "ignored: 'Notes'" in out
    assert "error ambiguous_header: column 10 (J): the header 'Cl'" in out


def test_a_columns_mapping_settles_the_ambiguous_header(tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS},Cl,Notes\n{ROW},3,x\n")
    mapping = _write(
        tmp_path, "columns:\n  Cl: {ion: Cl-, side: in, unit: mM}\n  Notes: ignore\n",
        "map.yaml",
    )  # fmt: skip
    code, report, _ = _json(cli, path, "--columns", mapping)
    # [Cl-]i (mM) gives Cl- inside as well: said, naming both headers
    assert code == 1
    (problem,) = report["problems"]
    assert problem["rule"] == "duplicate_column"
    assert "'[Cl-]i (mM)' and 'Cl'" in problem["message"]
    cl = report["columns"][9]
    assert (cl["ion"], cl["side"], cl["why"]) == ("Cl-", "in", "the --columns mapping")
    assert report["mapping"]["Notes"]["role"] == "ignored"


def test_a_mapping_of_the_bare_kind_reads_a_file_no_grammar_knows(tmp_path, cli):
    path = _write(tmp_path, "Probe,Zelltyp,Temperatur,Kalium innen,Kalium aussen\n"
                  "s1,n,37,140,5\n")  # fmt: skip
    mapping = _write(
        tmp_path,
        "Probe: {column: sample_id}\nZelltyp: {column: cell_type}\n"
        "Temperatur: {column: temperature, unit: degC}\n"
        "Kalium innen: {ion: K+, side: in, unit: mM}\n"
        "Kalium aussen: {ion: K+, side: out, unit: mM}\n",
        "map.yaml",
    )
    code, report, _ = _json(cli, path, "--columns", mapping)
    assert code == 0, report["problems"]
    assert {c["why"] for c in report["columns"]} == {"the --columns mapping"}


def test_a_mapped_header_the_file_lacks_is_exit_1_naming_the_headers(tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS}\n{ROW}\n")
    mapping = _write(tmp_path, "'Celltype': {column: cell_type}\n", "map.yaml")
    code, report, _ = _json(cli, path, "--columns", mapping)
    assert code == 1
    (problem,) = report["problems"]
    assert problem["rule"] == "mapped_header_absent"
    assert "closest first: 'Cell type'," in problem["message"]


def test_a_misspelt_mapping_is_exit_2_with_suggestions(tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS}\n{ROW}\n")
    mapping = _write(
        tmp_path, "Cell type: {column: cel_type}\n'[K+]i (mM)': {ion: Kk, side: inn}\n",
        "map.yaml",
    )  # fmt: skip
    code, out, err = cli("inspect", path, "--columns", mapping)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1  # one line
    assert (
        "'Cell type': unknown contract column 'cel_type'; did you mean cell_type?"
        in err
    )
    assert "'[K+]i (mM)': unknown ion 'Kk'" in err
    code, report, _ = _json(cli, path, "--columns", mapping)
    assert (code, report["command"], report["exit_status"]) == (2, "inspect", 2)


@pytest.mark.parametrize(
    ("text", "said"),
    [("- a\n- b\n", "must map headers"), ("a: [\n", "cannot read it")],
)
def test_a_mapping_file_that_is_no_mapping_is_exit_2(text, said, tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS}\n{ROW}\n")
    code, _, err = cli("inspect", path, "--columns", _write(tmp_path, text, "m.yaml"))
    assert code == 2
    assert said in err


def test_values_are_not_judged(tmp_path, cli):
    path = _write(tmp_path, f"{BRACKETS}\ns1,neuron,hot,lots,5,12,145,7,150\n")
    assert cli("inspect", path)[0] == 0


def test_a_missing_file_is_exit_2(tmp_path, cli):
    code, out, err = cli("inspect", str(tmp_path / "nope.csv"))
    assert (code, out) == (2, "")
    assert "no such file" in err


def test_bom_semicolon_and_decimal_comma_are_shown(tmp_path, cli):
    text = BRACKETS.replace(",", ";") + "\n" + ROW.replace(",", ";") + "\n"
    path = _write(tmp_path, text, encoding="utf-8-sig")
    code, out, _ = cli("inspect", path)
    assert code == 0
    assert "encoding utf-8 with BOM, separator ';', decimal mark ','" in out


def test_parquet_field_units_are_the_columns_units(tmp_path, cli):
    fields = [
        pa.field("sample", pa.string()),
        pa.field("cell", pa.string()),
        pa.field("T", pa.float64(), metadata={"unit": "K"}),
        pa.field("Ki", pa.float64(), metadata={"unit": "mM"}),
        pa.field("Ko", pa.float64(), metadata={"unit": "uM"}),
    ]
    table = pa.table([["s"], ["n"], [310.0], [140.0], [5000.0]], pa.schema(fields))
    pq.write_table(table, tmp_path / "t.parquet")
    code, report, _ = _json(cli, str(tmp_path / "t.parquet"))
    assert code == 0
    assert report["reading"]["format"] == "parquet"
    units = [(c["header"], c["unit"]) for c in report["columns"]]
    assert units == [("sample", None), ("cell", None), ("T", "K"), ("Ki", "mM"),
                     ("Ko", "uM")]  # fmt: skip


def test_a_workbook_sheet_is_chosen_with_sheet(tmp_path, cli):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Run 1"
    book.active.append(BRACKETS.split(","))
    book.active.append(ROW.split(","))
    other = book.create_sheet("Run 2")
    other.append(["Sample", "Cell type", "T [K]", "Ki (mM)", "Ko (mM)"])
    other.append(["s2", "n", 310, 140, 5])
    book.save(tmp_path / "book.xlsx")
    path = str(tmp_path / "book.xlsx")
    code, _, err = cli("inspect", path)
    assert code == 2
    assert "'Run 1', 'Run 2'" in err
    assert "--sheet NAME" in err
    code, out, _ = cli("inspect", path, "--sheet", "Run 2")
    assert code == 0
    assert "read as: XLSX, sheet Run 2, header row 1" in out
    assert re.search(r"4 \(D\)\s+Ki \(mM\)\s+ion concentration\s+K\+\s+in\s+mM", out)


README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Reading your own tables"


def _readme_block(opening: str) -> str:
    """The text of the README's first code block (in SECTION) opening ``opening``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(opening, text.index(SECTION)) + len(opening)
    return text[start : text.index("```", start)]


def test_the_readme_example_prints_what_the_readme_shows(tmp_path, cli, monkeypatch):
    # the README shows a file, a mapping and `iongrad inspect`'s output: all true
    monkeypatch.chdir(tmp_path)
    Path("my_export.csv").write_text(_readme_block("```text\n"), encoding="utf-8")
    Path("columns.yaml").write_text(_readme_block("```yaml\n"), encoding="utf-8")
    command, _, printed = _readme_block("```text\n$ ").partition("\n")
    assert command == "iongrad inspect my_export.csv --columns columns.yaml"
    code, out, _ = cli(*command.split()[1:])
    assert code == 0
    assert out == printed
    # "Without the mapping ... ignored and Cl ambiguous, and exits 1"
    code, report, _ = _json(cli, "my_export.csv")
    assert code == 1
    assert report["ignored"] == ["Probe", "Zelltyp", "Na innen", "Na aussen", "Notiz"]
    assert [c["header"] for c in report["columns"] if c["role"] == "ambiguous"] == [
        "Cl"
    ]


def test_the_readme_inspects_an_example_table(cli):
    # the README's command list runs inspect on an example table
    text = README.read_text(encoding="utf-8")
    assert "iongrad inspect data/raw/squid_giant_axon.csv" in text
    table = README.parents[0] / "data" / "raw" / "squid_giant_axon.csv"
    assert cli("inspect", str(table))[0] == 0


def test_title_units_row_and_summary_row_are_shown(tmp_path, cli):
    text = "Lab export\nSample,Cell type,Temp,Ki,Ko\n,,°C,mM,mM\ns1,n,37,140,5\n"
    path = _write(tmp_path, text + "Mean,,37,140,5\n")
    code, out, _ = cli("inspect", path)
    assert code == 0
    assert "header row 2, units row 3" in out
    assert "rows left out: 1 (title or notes above the header); 5 (summary row" in out
    assert re.search(r"3 \(C\)\s+Temp\s+temperature\s+-\s+-\s+°C", out)
    assert re.search(r"5 \(E\)\s+Ko\s+ion concentration\s+K\+\s+out\s+mM", out)


def test_header_row_and_units_row_are_taken_from_the_arguments(tmp_path, cli):
    text = "Run 7\nSample,Cell type,Temp,Ki,Ko\n,,°C,mM,mM\ns1,n,37,140,5\n"
    path = _write(tmp_path, text)
    code, report, _ = _json(cli, path, "--header-row", "2", "--units-row", "3")
    assert code == 0
    reading = report["reading"]
    assert (reading["header_row"], reading["header_row_by"]) == (2, "config")
    assert reading["units_row"] == 3
    code, _, err = cli("inspect", path, "--header-row", "3", "--units-row", "2")
    assert code == 2
    assert "units_row 2 must be below header_row 3" in err
