"""The gate seen from the command line and from its output files.

``iongrad validate`` on a directory, a missing bundled contract, the lower end of
the concentration range on single calculations, and rejected.csv as people open it.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from iongrad.cli import main
from iongrad.gate import contract as contract_module
from iongrad.gate.validation import validate_file, write_outputs

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"
HEADER = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM\n"


def _run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# ------------------------------------------------------------ 6: concentration range
@pytest.mark.parametrize("c_in", ["1e-30", "1e-10"])
def test_nernst_refuses_a_concentration_below_one_picomolar(capsys, c_in):
    status, out, err = _run(
        capsys, "nernst", "--ion", "K+", "--c-in", c_in, "--c-out", "5",
        "--temperature", "37C",
    )  # fmt: skip
    assert status == 2
    assert "c_in_range" in err
    assert c_in in err
    assert out == ""


def test_nernst_still_takes_a_nanomolar_concentration(capsys):
    status, out, _ = _run(
        capsys, "nernst", "--ion", "Ca2+", "--c-in", "100 nM", "--c-out", "2",
        "--temperature", "37C",
    )  # fmt: skip
    assert status == 0
    assert "E_Ca2+" in out


@pytest.mark.parametrize(
    ("cell", "rule"),
    [("1e-30", "c_in_range"), ("1e30", "c_in_range"), ("0.000000001", None),
     ("0", None)],
)  # fmt: skip
def test_table_concentration_range_has_a_lower_end_and_allows_zero(
    tmp_path, cell, rule
):
    path = tmp_path / "t.csv"
    path.write_text(
        HEADER + f"s1,x,20,K+,{cell},5\ns1,x,20,Cl-,10,5\n", encoding="utf-8"
    )
    result = validate_file(path)
    rules = [f["rule"] for f in result.report["failures"] if f["severity"] == "error"]
    assert rules == ([rule] if rule else [])


# ------------------------------------------------------------ 13/19: directories
def test_validate_a_directory_validates_every_table_in_it(capsys, tmp_path):
    good = (GOOD / "long_mM.csv").read_text(encoding="utf-8")
    (tmp_path / "a.csv").write_text(good, encoding="utf-8")
    (tmp_path / "b.csv").write_text(good, encoding="utf-8")
    (tmp_path / "._a.csv").write_bytes(b"\x00\x05\x16\x07")  # macOS metadata
    (tmp_path / ".~lock.a.csv#").write_text("lock", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not a table", encoding="utf-8")
    status, out, err = _run(capsys, "validate", str(tmp_path), "--json")
    assert status == 0, err
    files = [Path(r["file"]).name for r in json.loads(out)["files"]]
    assert files == ["a.csv", "b.csv"]
    assert "._a.csv" in err
    assert ".~lock.a.csv#" in err
    assert "skipped" in err


def test_validate_a_directory_without_tables_says_so(capsys, tmp_path):
    (tmp_path / "notes.md").write_text("not a table", encoding="utf-8")
    status, _, err = _run(capsys, "validate", str(tmp_path))
    assert status == 2
    assert "directory" in err
    assert str(tmp_path) in err
    assert "no such file" not in err


def test_reading_a_directory_says_it_is_one(tmp_path):
    from iongrad.gate.ingest import IngestError, read_table

    with pytest.raises(IngestError) as caught:
        read_table(tmp_path)
    assert "directory" in str(caught.value)
    assert caught.value.rule == "is_directory"


def test_missing_bundled_contract_is_exit_2_with_a_message(
    capsys, tmp_path, monkeypatch
):
    missing = tmp_path / "gone" / "measurements.yaml"
    monkeypatch.setattr(contract_module, "DEFAULT_CONTRACT", missing)
    status, _, err = _run(capsys, "validate", str(GOOD / "long_mM.csv"))
    assert status == 2
    assert str(missing) in err
    assert "Traceback" not in err


# ------------------------------------------------------------ 14: rejected.csv
def test_rejected_csv_neutralises_spreadsheet_formulas(tmp_path):
    path = tmp_path / "t.csv"
    formula = '=HYPERLINK("http://example.invalid","x")'
    path.write_text(
        HEADER + f'"{formula.replace(chr(34), chr(34) * 2)}",x,20,K+,-1,5\n',
        encoding="utf-8",
    )
    result = validate_file(path, mode="lenient")
    assert result.rejected["sample_id"].tolist() == [formula]
    out = tmp_path / "rejected.csv"
    write_outputs(result, validation_json=tmp_path / "v.json", rejected_csv=out)
    back = pd.read_csv(out, dtype=str)
    assert back["sample_id"].tolist() == ["'" + formula]
    assert "\n=HYPERLINK" not in out.read_text(encoding="utf-8")
