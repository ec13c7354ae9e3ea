"""validation.json stays small at any size; every failure is in failures.parquet.

validation.json counts the failures per rule and column and keeps the first
``EXAMPLES`` of each; failures.parquet holds every one. A big table's failures are
built column-wise (FailureBlock), a small one's one object each: both give the same
records.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iongrad.gate import checks, records, validation
from iongrad.gate.records import EXAMPLES
from iongrad.gate.validation import validate_file, write_outputs


def _unbalanced_baths(samples: int) -> pd.DataFrame:
    """``samples`` samples x 3 ions; every third sample's bath is off neutrality
    (a bath_electroneutral warning on each of its rows)."""
    ions = np.tile(["K+", "Na+", "Cl-"], samples)
    c_out = np.tile([5.0, 145.0, 150.0], samples)
    off = np.repeat(np.arange(samples) % 3 == 0, 3) & (ions == "Cl-")
    c_out[off] = 100.0
    return pd.DataFrame(
        {
            "dataset": "d",
            "sample_id": np.repeat([f"s{i:05d}" for i in range(samples)], 3),
            "cell_type": "neuron",
            "temperature_C": 37.0,
            "ion": ions,
            "c_in_mM": np.tile([140.0, 10.0, 10.0], samples),
            "c_out_mM": c_out,
        }
    )


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "big.csv"
    df = _unbalanced_baths(600)
    df.loc[4, "c_in_mM"] = -1.0  # one error
    df.to_csv(path, index=False)
    return path


def _paths(monkeypatch, fast: bool) -> None:
    big = 0 if fast else 10**12
    for module in (checks, validation):
        monkeypatch.setattr(module, "BIG_TABLE", big)


def test_validation_json_keeps_examples_and_counts(big_file):
    result = validate_file(big_file, mode="lenient")
    report = result.report
    counts = {(c["rule"], c["column"]): c["count"] for c in report["failure_counts"]}
    # 200 samples x 3 rows, and the 2 rows left of s00001 after its error row
    assert counts[("bath_electroneutral", "c_out_mM")] == 602
    assert counts[("c_in_nonnegative_finite", "c_in_mM")] == 1
    assert report["failures_total"] == len(result.failures) == sum(counts.values())
    shown = [f for f in report["failures"] if f["rule"] == "bath_electroneutral"]
    assert len(shown) == EXAMPLES == report["examples_per_rule_and_column"]
    assert report["failures_shown"] == len(report["failures"]) == EXAMPLES + 1
    assert report["warnings"] + report["errors"] == report["failures_total"]
    # the examples are the first records, in row order
    first = result.failures[result.failures["rule"] == "bath_electroneutral"]
    assert [f["row"] for f in shown] == first["row"].tolist()[:EXAMPLES]


def test_failures_parquet_holds_every_failure(big_file, tmp_path):
    result = validate_file(big_file, mode="lenient")
    out = tmp_path / "out"
    write_outputs(
        result,
        validation_json=out / "validation.json",
        rejected_csv=out / "rejected.csv",
        failures_parquet=out / "failures.parquet",
    )
    table = pd.read_parquet(out / "failures.parquet")
    assert len(table) == result.report["failures_total"]
    assert list(table.columns) == list(records.RECORD_KEYS)
    assert table["row"].tolist() == result.failures["row"].tolist()
    assert table["message"].tolist() == result.failures["message"].tolist()
    written = json.loads((out / "validation.json").read_text())
    assert written["failures"] == result.report["failures"]
    # a value is the cell as text, a number as JSON writes it
    error = table[table["rule"] == "c_in_nonnegative_finite"].iloc[0]
    assert error["value"] == "-1.0"
    assert error["row"] == 6


def test_failures_parquet_is_written_in_row_groups_messages_unencoded(
    big_file, tmp_path, monkeypatch
):
    """The writer holds one row group's pages at a time, and does not try a
    dictionary of a million distinct messages (each was the validation's peak)."""
    import pyarrow.parquet as pq

    monkeypatch.setattr(records, "_FAILURE_GROUP_ROWS", 100)
    result = validate_file(big_file, mode="lenient")
    path = tmp_path / "failures.parquet"
    records.write_failures(path, result.failures)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == -(-len(result.failures) // 100) > 1
    names = meta.schema.names
    for g in range(meta.num_row_groups):
        for k, name in enumerate(names):
            encoded = "RLE_DICTIONARY" in meta.row_group(g).column(k).encodings
            assert encoded == (name in ("file", "column", "ion", "rule", "severity"))
    table = pd.read_parquet(path)
    assert table["message"].tolist() == result.failures["message"].tolist()
    assert table["row"].tolist() == result.failures["row"].tolist()


def test_failures_parquet_of_a_clean_file_has_no_row(tmp_path):
    path = tmp_path / "clean.csv"
    _unbalanced_baths(2).iloc[3:].to_csv(path, index=False)
    result = validate_file(path)
    assert result.report["failure_counts"] == []
    assert result.ok
    write_outputs(
        result,
        validation_json=tmp_path / "v.json",
        rejected_csv=tmp_path / "r.csv",
        failures_parquet=tmp_path / "f.parquet",
    )
    assert len(pd.read_parquet(tmp_path / "f.parquet")) == 0


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_column_wise_failures_equal_one_object_each(big_file, monkeypatch, mode):
    _paths(monkeypatch, fast=False)
    plain = validate_file(big_file, mode=mode)
    _paths(monkeypatch, fast=True)
    fast = validate_file(big_file, mode=mode)
    pd.testing.assert_frame_equal(fast.failures, plain.failures)
    assert fast.report == plain.report
    pd.testing.assert_frame_equal(fast.rejected, plain.rejected)
    pd.testing.assert_frame_equal(fast.accepted, plain.accepted)


def test_failures_parquet_names_a_workbooks_cells(tmp_path):
    from spreadsheet_corpus import DATA, HEADER, _xlsx

    rows = [[*HEADER, "notes"], *[[*r, "ok"] for r in DATA]]
    rows[2][-1] = "#N/A"  # a spreadsheet error in a column the gate does not read
    result = validate_file(_xlsx(tmp_path / "notes.xlsx", rows), dataset="cells")
    write_outputs(
        result,
        validation_json=tmp_path / "v.json",
        rejected_csv=tmp_path / "r.csv",
        failures_parquet=tmp_path / "f.parquet",
    )
    table = pd.read_parquet(tmp_path / "f.parquet")
    hits = table[table["rule"] == "spreadsheet_error"]
    assert hits["cell"].tolist() == ["Sheet1!J3"]


def test_explained_failures_share_their_rule_text(big_file, monkeypatch):
    """A table rule's failures hold its text once and each its own detail (a text
    per failure of a million-row table was a copy of the rule text each); their
    messages are the rule text with the detail."""
    from iongrad.gate.contract import load_contract
    from iongrad.gate.ingest import ingest

    table = ingest(big_file).table[validation.CANONICAL_COLUMNS]
    spec = load_contract()
    blocks = validation._table_failures(table, spec)
    (bath,) = [b for b in blocks if b.rule == "bath_electroneutral"]
    rule = next(r for r in spec.table_rules if r.name == "bath_electroneutral")
    assert len({id(m) for m in bath.message}) == 1
    assert bath.message[0] is rule.description
    assert bath.detail[0] == "sample 's00000': sum z c_out = +50 mM of 250 mM (20.0 %)"
    first = bath.failures()[0]
    assert first.message == f"{rule.description} ({bath.detail[0]})"
    _paths(monkeypatch, fast=True)
    records = validate_file(big_file, mode="lenient").failures
    told = records[records["rule"] == "bath_electroneutral"]["message"].iloc[0]
    assert told.endswith(f": rule bath_electroneutral: {first.message}")


@pytest.mark.parametrize("fast", [False, True])
def test_records_hold_messages_in_parts_made_when_written(
    big_file, tmp_path, monkeypatch, fast
):
    """A result holds each failure's message in parts (a rule's text once, shared)
    and failures.parquet, written a row group at a time, has the messages of
    ``result.failures``: a million 400-character messages were held at once."""
    _paths(monkeypatch, fast=fast)
    monkeypatch.setattr(records, "_FAILURE_GROUP_ROWS", 64)
    result = validate_file(big_file, mode="lenient")
    assert "message" not in result.records
    assert list(result.records.columns) == list(records.PART_KEYS)
    bath = result.records[result.records["rule"] == "bath_electroneutral"]
    if fast:
        assert len({id(t) for t in bath["text"]}) == 1
    records.write_failures(tmp_path / "parts.parquet", result.records)
    records.write_failures(tmp_path / "whole.parquet", result.failures)
    parts = pd.read_parquet(tmp_path / "parts.parquet")
    whole = pd.read_parquet(tmp_path / "whole.parquet")
    pd.testing.assert_frame_equal(parts, whole)
    assert parts["message"].tolist() == result.failures["message"].tolist()
    assert parts["message"].str.contains(": rule bath_electroneutral: ").sum() == 602


def test_table_rules_of_a_table_with_errors_read_only_their_columns(tmp_path):
    """The table rules run on the clean rows holding only the columns the rules
    read (checks.table_reads): their failures are those of a copy of every
    column; a check reading an undeclared column would raise here."""
    from iongrad.gate.contract import load_contract
    from iongrad.gate.ingest import ingest

    df = _unbalanced_baths(30)
    df.loc[4, "c_in_mM"] = -1.0  # an error: the table rules skip its row
    df.loc[6, "ion"] = "Na+"  # a duplicate ion
    df.loc[10, "temperature_C"] = 20.0  # two temperatures in a sample
    df.loc[13, "cell_type"] = "glia"  # two cell types
    df.loc[16, "c_out_mM"] = 5000.0  # implausible
    df["vm_mV"] = -70.0
    df.loc[19, "vm_mV"] = -60.0  # two Vm
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    table = ingest(path).table[validation.CANONICAL_COLUMNS]
    spec = load_contract()
    names = {r.name for r in spec.table_rules}
    found = validation._expanded(validation._contract_failures(table, spec))
    found = [f for f in found if f.rule not in names]  # the column rules'
    clean = validation._clean_table_failures(table, spec, None, found)
    bad = np.zeros(len(table), dtype=bool)
    bad[[f.index for f in found if f.is_error and f.index is not None]] = True
    keep = np.flatnonzero(~bad)
    whole = table.take(keep).reset_index(drop=True)  # every column
    expected = [b.at(keep) for b in validation._table_failures(whole, spec)]
    got = validation._expanded(clean)
    assert got == validation._expanded(expected)
    assert any(f.is_error for f in found)
    assert {f.rule for f in got} >= {
        "unique_sample_ion", "one_temperature_per_sample", "one_cell_type_per_sample",
        "one_vm_per_sample", "bath_electroneutral", "plausible_c_out",
    }  # fmt: skip


def test_each_table_rule_reads_only_the_columns_it_declares(tmp_path):
    """Each table rule, on a table holding only checks.table_reads' columns of its
    check, finds what it finds on the whole table."""
    from dataclasses import replace

    from iongrad.gate.contract import load_contract
    from iongrad.gate.ingest import ingest

    df = _unbalanced_baths(12)
    df["vm_mV"] = -70.0
    df.loc[6, "ion"] = "Na+"
    df.loc[7, "vm_mV"] = -60.0
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    table = ingest(path).table[validation.CANONICAL_COLUMNS]
    spec = load_contract()
    for rule in spec.table_rules:
        alone = replace(spec, table_rules=(rule,))
        columns = list(dict.fromkeys(checks.table_reads(rule.check, rule.params)))
        got = validation._table_failures(table[columns], alone)
        expected = validation._table_failures(table, alone)
        assert validation._expanded(got) == validation._expanded(expected), rule.name


def test_accepted_rows_are_taken_out_of_the_table_column_by_column(big_file):
    """A lenient run's accepted rows are the table's rows without errors, each
    column let go from the table once taken (a big table's accepted rows were
    held beside all of it), rows scattered or in a few runs."""
    from iongrad.gate.ingest import ingest

    for gone in (7, 997):  # a row in 7 goes, or a row in 997
        ing = ingest(big_file)
        keep = np.flatnonzero(np.arange(len(ing.table)) % gone != 3)
        columns = validation.CANONICAL_COLUMNS
        expected = ing.table.loc[keep, columns].reset_index(drop=True)
        got = validation._taken_out(ing, keep)
        pd.testing.assert_frame_equal(got, expected)
        assert not set(validation.CANONICAL_COLUMNS) & set(ing.table.columns)
        assert len(ing.raw) == 0
    result = validate_file(big_file, mode="lenient")
    assert len(result.accepted) == result.report["rows_accepted"] > 0


#: Edits that break a rule at one row: (column, value); a negative c_in_mM is an
#: error of a column rule (its row is rejected), the others break table rules.
EDITS = [
    ("c_in_mM", -1.0),  # error: the row leaves the table rules
    ("ion", "Na+"),  # a duplicate ion in its sample
    ("temperature_C", 20.0),  # two temperatures in a sample
    ("cell_type", "glia"),  # two cell types
    ("c_out_mM", 5000.0),  # implausible (warning)
    ("c_out_mM", 60.0),  # the bath off neutrality (warning)
    ("vm_mV", -60.0),  # two Vm
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    samples=st.integers(1, 12),
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(range(len(EDITS)))),
        max_size=10,
    ),
)
def test_samples_with_errors_alone_are_judged_again(tmp_path, samples, edits):
    """With errors in some rows, the table rules judge the clean rows of the
    samples with an error again and keep the whole table's verdicts for the
    others (every table rule is per sample): the failures are those of judging
    every clean row again, with or without the whole table's run at hand."""
    from iongrad.gate.contract import load_contract
    from iongrad.gate.ingest import ingest

    df = _unbalanced_baths(samples)
    df["vm_mV"] = -70.0
    for row, edit in edits:
        column, value = EDITS[edit]
        df.loc[row % len(df), column] = value
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    table = ingest(path).table[validation.CANONICAL_COLUMNS]
    spec = load_contract()
    assert all(checks.is_per_sample(r.check, r.params) for r in spec.table_rules)
    names = {r.name for r in spec.table_rules}
    found = validation._expanded(validation._contract_failures(table, spec))
    found = [f for f in found if f.rule not in names]  # the column rules'
    bad = np.zeros(len(table), dtype=bool)
    bad[[f.index for f in found if f.is_error and f.index is not None]] = True
    every = validation._rows_table_failures(table, spec, None, np.flatnonzero(~bad))
    expected = validation._expanded(every if bad.any() else [])
    whole = validation._table_failures(table, spec)
    for given_whole in (None, whole):
        got = validation._clean_table_failures(
            table, spec, None, found, table=given_whole
        )
        if bad.any():
            assert validation._expanded(got) == expected
        else:
            assert validation._expanded(got) == validation._expanded(whole)


def test_a_rule_across_samples_has_every_clean_row_judged_again():
    """unique_rows over columns without the sample keys compares rows of different
    samples: it is not per sample, and a table with errors has all its clean rows
    judged again."""
    keys = {"columns": ["dataset", "sample_id", "ion"]}
    assert checks.is_per_sample("unique_rows", keys)
    assert not checks.is_per_sample("unique_rows", {"columns": ["ion", "c_in_mM"]})


def test_bath_details_are_each_rows_own_sample_shared_per_sample(tmp_path):
    """Each failing row's detail names its own sample's bath sums, with the rows
    of the samples interleaved; a sample's rows share one text (a million failing
    rows are a sixth as many texts)."""
    from iongrad.gate.contract import load_contract
    from iongrad.gate.ingest import ingest

    df = _unbalanced_baths(9)
    df = df.iloc[np.argsort(np.tile(np.arange(3), 9), kind="stable")]  # interleaved
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    table = ingest(path).table[validation.CANONICAL_COLUMNS]
    blocks = validation._table_failures(table, load_contract())
    (bath,) = [b for b in blocks if b.rule == "bath_electroneutral"]
    charge, total = checks.bath_imbalance(
        table.assign(_sample=checks.sample_codes(table))
    )
    expected = [
        f"sample {s!r}: sum z c_out = {q:+.3g} mM of {t:.3g} mM "
        f"({100 * abs(q) / t:.1f} %)"
        for s, q, t in zip(
            table["sample_id"].take(bath.index),
            charge[bath.index],
            total[bath.index],
            strict=True,
        )
    ]
    assert list(bath.detail) == expected
    assert len(bath) == 9
    assert len({id(d) for d in bath.detail}) == 3
