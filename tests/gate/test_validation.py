"""validate_file: strict/lenient splitting, nothing lost, outputs, parquet units."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iongrad.files import write_parquet
from iongrad.gate import validation
from iongrad.gate.contract import load_contract
from iongrad.gate.ingest import IngestError, ingest, read_table
from iongrad.gate.validation import validate_file, write_outputs

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"
HEADER = "dataset,sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,gamma_in\n"

# Two samples: s1 has two temperatures (lines 2-3), s2 has a negative value (line 5).
MIXED = HEADER + (
    "d1,s1,squid,20,K+,400,20,\n"
    "d1,s1,squid,25,Na+,50,440,\n"
    "d1,s2,squid,20,K+,400,20,\n"
    "d1,s2,squid,20,Na+,-50,440,\n"
    "d1,s2,squid,20,Cl-,40,560,\n"
)


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lenient_quarantines_error_rows_and_whole_samples(tmp_path):
    path = _write(tmp_path, MIXED)
    result = validate_file(path, dataset="d1", mode="lenient")
    r = result.report
    assert (r["rows_read"], r["rows_accepted"], r["rows_rejected"]) == (5, 2, 3)
    assert result.ok  # lenient: the clean rows go on
    assert result.accepted["source_row"].tolist() == [4, 6]
    assert result.rejected["source_row"].tolist() == [2, 3, 5]
    reasons = dict(
        zip(result.rejected["source_row"], result.rejected["reason"], strict=True)
    )
    assert "one_temperature_per_sample" in reasons[2]
    assert "one_temperature_per_sample" in reasons[3]
    assert "c_in_nonnegative_finite" in reasons[5]
    # rejected rows carry the source cells exactly as written
    row5 = result.rejected.set_index("source_row").loc[5]
    assert row5["c_in_mM"] == "-50"
    assert row5["source_file"] == str(path)


def test_strict_accepts_nothing_when_there_are_errors(tmp_path):
    path = _write(tmp_path, MIXED)
    result = validate_file(path, dataset="d1", mode="strict")
    assert not result.ok
    assert result.accepted.empty
    assert list(result.accepted.columns) == list(read_table(path).columns)
    assert len(result.rejected) == 5
    withheld = result.rejected[result.rejected["reason"].str.startswith("withheld")]
    assert withheld["source_row"].tolist() == [4, 6]
    assert result.report["rows_with_errors"] == 3


def test_one_row_with_several_faults_reports_all(tmp_path):
    path = _write(
        tmp_path,
        HEADER + "d1,s1,squid,200,Kx,-1,abc,1.7\n",
    )
    result = validate_file(path, mode="lenient")
    rules = {f["rule"] for f in result.report["failures"] if f["row"] == 2}
    assert {
        "temperature_range",
        "known_ion",
        "c_in_nonnegative_finite",
        "number_format",
        "gamma_in_range",
    } <= rules
    assert result.rejected["reason"].iloc[0].count(";") >= 4


def test_warnings_keep_rows(tmp_path):
    bad = Path(__file__).resolve().parents[1] / "data" / "bad"
    result = validate_file(bad / "warn_intracellular_calcium.csv", mode="strict")
    assert result.ok
    assert result.report["warnings"] == 1
    assert len(result.accepted) == 2
    assert result.rejected.empty


def test_write_outputs(tmp_path):
    path = _write(tmp_path, MIXED)
    result = validate_file(path, dataset="d1", mode="lenient")
    vj, rc = tmp_path / "out" / "validation.json", tmp_path / "out" / "rejected.csv"
    write_outputs(result, validation_json=vj, rejected_csv=rc)
    data = json.loads(vj.read_text(encoding="utf-8"))
    for key in ("file", "dataset", "rows_read", "rows_accepted", "rows_rejected"):
        assert key in data
    assert {"file", "row", "column", "value", "rule", "severity", "message"} <= set(
        data["failures"][0]
    )
    rejected = pd.read_csv(rc)
    assert rejected["source_row"].tolist() == [2, 3, 5]
    assert "reason" in rejected.columns
    # a clean file still gets a header-only rejected.csv
    clean = validate_file(GOOD / "long_mM.csv")
    write_outputs(clean, validation_json=vj, rejected_csv=rc)
    assert rc.read_text(encoding="utf-8").strip().startswith("source_file,source_row")
    assert len(pd.read_csv(rc)) == 0
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def test_summary_is_one_screen(tmp_path):
    rows = "".join(f"d1,s{i},squid,20,K+,-1,20,\n" for i in range(40))
    result = validate_file(_write(tmp_path, HEADER + rows))
    lines = result.summary().splitlines()
    assert len(lines) <= 15
    assert "and 29 more" in lines[-1]  # 40 errors + the empty gamma_in column


def test_unknown_mode(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        validate_file(GOOD / "long_mM.csv", mode="fast")


def test_read_table_raises_with_location(tmp_path):
    path = _write(tmp_path, HEADER + "d1,s1,squid,20,K+,400,x20,\n")
    with pytest.raises(IngestError) as info:
        read_table(path)
    err = info.value
    assert (err.row, err.column, err.value, err.rule) == (
        2,
        "c_out_mM",
        "x20",
        "number_format",
    )
    assert str(path) in str(err)
    assert not err.unreadable


def test_parquet_units_written_and_honored(tmp_path):
    table = read_table(GOOD / "long_mM.csv")
    out = tmp_path / "canon.parquet"
    units = load_contract().units
    write_parquet(out, table, units)
    schema = pq.read_schema(out)
    assert schema.field("c_in_mM").metadata[b"unit"] == b"mM"
    assert schema.field("temperature_K").metadata[b"unit"] == b"K"
    assert schema.field("ion").metadata is None
    back = read_table(out, dataset="squid")
    cols = ["sample_id", "ion", "valence", "c_in_mM", "c_out_mM", "temperature_K"]
    pd.testing.assert_frame_equal(back[cols], table[cols])
    assert back["source_row"].tolist() == [1, 2, 3, 4]  # parquet: record number

    # A non-canonical column name takes its unit from the field metadata alone.
    micro = pd.DataFrame(
        {
            "sample_id": ["a"],
            "cell_type": ["x"],
            "temperature": [37.0],
            "ion": ["Ca2+"],
            "c_in": [0.1],
            "c_out": [2.0],
        }
    )
    path = tmp_path / "micro.parquet"
    write_parquet(path, micro, {"c_in": "uM", "c_out": "mM", "temperature": "degC"})
    got = read_table(path)
    assert got["c_in_mM"].iloc[0] == pytest.approx(1e-4, rel=1e-12)
    assert got["temperature_K"].iloc[0] == pytest.approx(310.15, rel=1e-12)

    # Molal values keep the canonical name and say so in the metadata.
    molal = read_table(GOOD / "molal.csv")
    path = tmp_path / "molal.parquet"
    write_parquet(path, molal, dict(units, c_in_mM="mmol/kg", c_out_mM="mmol/kg"))
    assert (read_table(path)["concentration_scale"] == "molal").all()


# ---------------------------------------------------------------- property test
CORRUPTIONS = ["", "abc", "-5", "Xx", "1e400", "NaN", "37,5", "  ", "K+", "inf"]
CELL_COLUMNS = 7


def _base_rows(n_samples: int) -> list[list[str]]:
    rows = []
    for s in range(n_samples):
        for ion, cin, cout in (
            ("K+", "140", "5"),
            ("Na+", "15", "145"),
            ("Cl-", "4", "110"),
        ):
            rows.append(["d1", f"s{s}", "neuron", "37", ion, cin, cout])
    return rows


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    n_samples=st.integers(1, 4),
    edits=st.lists(
        st.tuples(
            st.integers(0, 11),
            st.integers(0, CELL_COLUMNS - 1),
            st.sampled_from(CORRUPTIONS),
        ),
        max_size=6,
    ),
    duplicate=st.booleans(),
    lenient=st.booleans(),
)
def test_nothing_is_lost(n_samples, edits, duplicate, lenient):
    rows = _base_rows(n_samples)
    for r, c, value in edits:
        rows[r % len(rows)][c] = value
    if duplicate:
        rows.append(list(rows[0]))
    text = HEADER.replace(",gamma_in", "") + "".join(
        ",".join(row) + "\n" for row in rows
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.csv"
        path.write_text(text, encoding="utf-8")
        mode = "lenient" if lenient else "strict"
        result = validate_file(path, mode=mode)
    r = result.report
    assert r["rows_read"] == r["rows_accepted"] + r["rows_rejected"]
    assert r["rows_read"] == len(rows)
    lines = sorted(
        result.accepted["source_row"].tolist() + result.rejected["source_row"].tolist()
    )
    assert lines == list(range(2, len(rows) + 2))  # every line exactly once
    error_rows = {f["row"] for f in r["failures"] if f["severity"] == "error"}
    assert not error_rows & set(result.accepted["source_row"])
    assert (result.rejected["reason"].str.len() > 0).all()
    if not lenient and r["errors"]:
        assert result.accepted.empty
    if not r["errors"]:
        assert result.ok
    # An empty concentration means "not measured" (nullable); anything accepted is
    # finite and >= 0 where given, and every accepted row gives at least one.
    conc = result.accepted[["c_in_mM", "c_out_mM"]].to_numpy(dtype=float)
    given = ~np.isnan(conc)
    assert (np.isfinite(conc[given]) & (conc[given] >= 0)).all()
    assert given.any(axis=1).all()


def test_ingest_keeps_raw_cells():
    ing = ingest(GOOD / "semicolon_decimal_comma.csv")
    assert ing.raw.iloc[1]["c_in [mM]"] == "0,0001"
    assert ing.table["c_in_mM"].iloc[1] == 0.0001


def test_crlf_and_quoted_newline_keep_spreadsheet_lines(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes(
        b"dataset,sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM\r\n"
        b'd1,s1,"squid\r\naxon",20,K+,400,20\r\n'
        b'd1,s1,"squid\r\naxon",20,Na+,-50,440\r\n'
    )
    result = validate_file(path, mode="lenient")
    assert result.accepted["source_row"].tolist() == [2]  # record on lines 2-3
    assert result.rejected["source_row"].tolist() == [4]  # record on lines 4-5
    assert result.accepted["cell_type"].iloc[0] == "squid\r\naxon"


def test_cli_lenient_exit_status(tmp_path, capsys):
    from iongrad.cli import main

    path = _write(tmp_path, MIXED)
    assert main(["validate", str(path)]) == 1
    assert main(["validate", "--lenient", str(path)]) == 0  # errors quarantined
    out = capsys.readouterr().out
    assert "OK (lenient)" in out
    assert "3 rejected" in out


def test_infinite_valence_is_not_a_whole_number(tmp_path):
    path = tmp_path / "inf_valence.csv"
    path.write_text(
        "sample_id,cell_type,temperature_C,ion,valence,c_in_mM,c_out_mM\n"
        "s1,neuron,37,K+,1e400,140,5\n"
        "s1,neuron,37,Na+,1,15,145\n",
        encoding="utf-8",
    )
    result = validate_file(path, mode="lenient")
    [failure] = [f for f in result.report["failures"] if f["severity"] == "error"]
    assert (failure["row"], failure["column"], failure["rule"]) == (
        2,
        "valence",
        "integer_format",
    )
    assert failure["value"] == "1e400"
    assert result.accepted["ion"].tolist() == ["Na+"]


def test_validation_json_values_nan_and_infinities(tmp_path):
    """JSON has no NaN or infinity: a missing value is null, an infinity its text."""
    path = _write(
        tmp_path,
        HEADER + "d1,s1,squid,20,K+,inf,-inf,\nd1,s1,squid,20,Na+,,,\n",
    )
    result = validate_file(path, mode="lenient")
    vj, rc = tmp_path / "validation.json", tmp_path / "rejected.csv"
    write_outputs(result, validation_json=vj, rejected_csv=rc)
    data = json.loads(vj.read_text(encoding="utf-8"))
    values = {(f["row"], f["rule"]): f["value"] for f in data["failures"]}
    assert values[(2, "c_in_nonnegative_finite")] == "inf"
    assert values[(2, "c_out_nonnegative_finite")] == "-inf"
    assert values[(3, "concentration_measured")] is None


def test_taking_the_accepted_rows_lets_the_file_go(tmp_path):
    """Once the accepted rows are taken out, the file's raw cells hold no buffer:
    an empty slice of an arrow column is a view that kept the whole file's text
    alive (0.5 GB of a lenient 10M-row run's peak), and the reader's codes go too."""
    n = 3000
    table = pa.table(
        {
            "sample_id": [f"s{i // 3:05d}" for i in range(n)],
            "cell_type": ["neuron"] * n,
            "temperature_C": [37.0] * n,
            "ion": ["K+", "Na+", "Cl-"] * (n // 3),
            "c_in_mM": [140.0, 10.0, 10.0] * (n // 3),
            "c_out_mM": [5.0, 145.0, 150.0] * (n // 3),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    ing = ingest(path)
    dtypes = ing.raw.dtypes.copy()
    accepted = validation._taken_out(ing, np.arange(1, n))
    assert len(accepted) == n - 1
    assert ing.raw.empty
    assert (ing.raw.dtypes == dtypes).all()
    assert ing.factors == {}
    held = 0
    for column in ing.raw.columns:
        cells = ing.raw[column].array
        if hasattr(cells, "__arrow_array__"):
            arrow = pa.array(cells)
            chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
            held += sum(b.size for c in chunks for b in c.buffers() if b is not None)
    assert held < 1024
