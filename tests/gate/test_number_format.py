"""Ambiguous numbers are errors, unless the file's number format is stated (#4).

``140.000`` in a decimal-comma (';') file is 140 with a decimal point, or 140,000
with a thousands separator: a 1000-fold difference that no rule may guess. Without
a stated number format such a cell is an error naming file, row, header and text;
with one (``number_format={"decimal": ",", "thousands": "."}``) the whole file is
read that way.
"""

from pathlib import Path

import numpy as np
import pytest

from iongrad.cli import main
from iongrad.gate.contract import load_contract
from iongrad.gate.ingest import ingest
from iongrad.gate.validation import validate_file

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
SEMI = "sample_id;cell_type;temperature_C;ion;c_in_uM;c_out_mM\n"
COMMA = "sample_id,cell_type,temperature_C,ion,c_in_uM,c_out_mM\n"


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _errors(result):
    return [f for f in result.report["failures"] if f["severity"] == "error"]


def test_thousands_dot_in_a_decimal_comma_file_is_an_error_naming_the_cell():
    path = BAD / "ambiguous_thousands.csv"
    result = validate_file(path)
    assert not result.ok
    (hit,) = _errors(result)
    assert (hit["rule"], hit["row"], hit["column"], hit["value"]) == (
        "ambiguous_number",
        2,
        "c_in_uM",
        "140.000",
    )
    assert str(path) in hit["message"]
    assert "number_format" in hit["message"]  # says how to resolve it


@pytest.mark.parametrize(
    ("cell", "ambiguous"),
    [
        ("140.000", True),
        ("1.500", True),
        ("1.000.000", True),
        ("-1.000", True),
        ("1.000,5", True),
        ("1.5", False),  # one or two digits after '.': a decimal point
        ("0.0001", False),  # four digits
        ("0.140", False),  # a leading 0 is no group of thousands
        ("1400", False),
        ("1,4", False),
    ],
)
def test_which_cells_of_a_decimal_comma_file_are_ambiguous(tmp_path, cell, ambiguous):
    path = _write(tmp_path, SEMI + f"s1;a;20;K+;{cell};5\n")
    rules = [f["rule"] for f in _errors(validate_file(path))]
    assert ("ambiguous_number" in rules) == ambiguous


@pytest.mark.parametrize(
    ("cell", "rule"),
    [('"140,000"', "ambiguous_number"), ('"1,500.5"', "ambiguous_number"),
     ('"1,5"', "number_format"), ("140.000", None)],
)  # fmt: skip
def test_which_cells_of_a_decimal_point_file_are_ambiguous(tmp_path, cell, rule):
    path = _write(tmp_path, COMMA + f"s1,a,20,K+,{cell},5\n")
    rules = [f["rule"] for f in _errors(validate_file(path))]
    assert rules == ([rule] if rule else [])


def test_stated_number_format_reads_the_whole_file(tmp_path):
    path = _write(tmp_path, SEMI + "s1;a;20;K+;140.000;5\ns1;a;20;Cl-;1.000,5;110\n")
    fmt = {"decimal": ",", "thousands": "."}
    result = validate_file(path, number_format=fmt)
    assert result.ok, result.summary()
    assert result.accepted["c_in_mM"].tolist() == [140.0, 1.0005]
    info = result.report["input"]
    assert (info["decimal"], info["thousands"]) == (",", ".")
    assert info["number_format"] == "stated"


def test_stated_number_format_refuses_what_does_not_fit_it(tmp_path):
    path = _write(tmp_path, SEMI + "s1;a;20;K+;1.5;5\ns1;a;20;Cl-;10.00;110\n")
    result = validate_file(path, number_format={"decimal": ",", "thousands": "."})
    hits = [(f["row"], f["rule"], f["value"]) for f in _errors(result)]
    assert hits == [(2, "number_format", "1.5"), (3, "number_format", "10.00")]


def test_stated_decimal_point_in_a_semicolon_file(tmp_path):
    path = _write(tmp_path, SEMI + "s1;a;20;K+;140.000;5\ns1;a;20;Cl-;1,5;110\n")
    ing = ingest(path, number_format={"decimal": "."})
    assert ing.table["c_in_mM"].iloc[0] == pytest.approx(0.14)
    assert np.isnan(ing.table["c_in_mM"].iloc[1])
    assert [f.rule for f in ing.failures] == ["number_format"]


def test_stated_thousands_comma_in_a_tab_file(tmp_path):
    path = _write(
        tmp_path,
        COMMA.replace(",", "\t") + "s1\ta\t20\tK+\t140,000\t5\n",
        name="t.tsv",
    )
    ing = ingest(path, number_format={"decimal": ".", "thousands": ","})
    assert ing.table["c_in_mM"].tolist() == [140.0]
    assert ing.failures == []


@pytest.mark.parametrize(
    "fmt",
    [{"decimal": ";"}, {"decimal": ",", "thousands": ","}, {"thousand": "."}, {}],
)
def test_an_unusable_number_format_is_refused(fmt):
    with pytest.raises(ValueError, match="number_format"):
        ingest(BAD / "ambiguous_thousands.csv", number_format=fmt)


def test_cli_states_the_number_format(capsys):
    path = str(BAD / "ambiguous_thousands.csv")
    assert main(["validate", path]) == 1
    status = main(["validate", path, "--decimal", ",", "--thousands", "."])
    out, _ = capsys.readouterr()
    assert status == 0, out


def test_the_contract_states_the_rule():
    text = load_contract().describe("ambiguous_number")
    assert "three digits" in text
    assert "number_format" in text
