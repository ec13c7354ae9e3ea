"""The YAML contract compiles, and every rule in it fires on a frame breaking it."""

import os
from pathlib import Path

import numpy as np
import pandera.pandas as pa
import pytest

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.gate.contract import SchemaDefinitionError, load_contract
from iongrad.gate.ingest import read_table
from iongrad.gate.validation import _plan_passes, check_table

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"


@pytest.fixture(scope="module")
def valid():
    table = read_table(GOOD / "long_mM.csv")  # squid axon, 4 ions, one sample
    assert check_table(table) == []
    return table


def _set(column, value, rows=None):
    def mutate(df):
        if rows is None:
            df[column] = value
        else:
            df.loc[rows, column] = value
        return df

    return mutate


def _vm_split(df):
    df["vm_mV"] = [-70.0, -60.0, -70.0, -70.0]
    return df


def _no_concentration(df):
    df.loc[0, ["c_in_mM", "c_out_mM"]] = np.nan
    return df


# rule -> (mutation, a table index that must be reported)
BREAKS = {
    "dataset_name": (_set("dataset", "my data"), 0),
    "sample_id_not_blank": (_set("sample_id", "  "), 0),
    "cell_type_not_blank": (_set("cell_type", " "), 1),
    "temperature_range": (_set("temperature_K", 37.0), 2),
    "known_ion": (_set("ion", "Xx", [0]), 0),
    "valence_matches_registry": (_set("valence", 2, [0]), 0),
    "c_in_nonnegative_finite": (_set("c_in_mM", -1.0, [1]), 1),
    "c_out_nonnegative_finite": (_set("c_out_mM", np.inf, [1]), 1),
    "c_in_range": (_set("c_in_mM", 25_000.0, [1]), 1),
    "c_out_range": (_set("c_out_mM", 25_000.0, [2]), 2),
    "concentration_scale_known": (_set("concentration_scale", "molarity"), 0),
    "gamma_in_range": (_set("gamma_in", 0.0, [0]), 0),
    "gamma_out_range": (_set("gamma_out", 1.51, [0]), 0),
    "vm_range": (_set("vm_mV", -300.0), 3),
    "erev_range": (_set("erev_mV", 500.0, [2]), 2),
    "permeability_nonnegative_finite": (_set("permeability", -0.1, [2]), 2),
    "ljp_range": (_set("ljp_mV", 120.0), 0),
    "ljp_corrected_value": (_set("ljp_corrected", "maybe"), 0),
    "source_row_positive": (_set("source_row", 0, [0]), 0),
    "concentration_measured": (_no_concentration, 0),
    "unique_sample_ion": (_set("ion", "K+", [1]), 0),
    "one_temperature_per_sample": (_set("temperature_K", 300.0, [0]), 3),
    "one_cell_type_per_sample": (_set("cell_type", "frog", [0]), 2),
    "one_vm_per_sample": (_vm_split, 1),
    "one_pipette_solution_per_sample": (
        _set("pipette_solution", ["KGlu", "CsMe", "KGlu", "KGlu"]),
        1,
    ),
    "one_bath_solution_per_sample": (
        _set("bath_solution", ["ACSF", None, "aCSF", None]),
        2,
    ),
    "bath_electroneutral": (_set("c_out_mM", 100.0, [2]), 0),
    "plausible_c_in": (_set("c_in_mM", 20.0, [3]), 3),
    "plausible_c_out": (_set("c_out_mM", 2000.0, [0]), 0),
    "not_nullable": (_set("temperature_K", np.nan, [1]), 1),
    "dtype": (_set("valence", 1.0), None),
}


def test_every_contract_rule_has_a_breaking_frame():
    contract = load_contract()
    rules = {n for n, r in contract.rules.items() if r.kind in {"column", "table"}}
    assert rules == set(BREAKS) - {"not_nullable", "dtype"}


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_rule_fires(valid, rule):
    mutate, index = BREAKS[rule]
    broken = mutate(valid.copy())
    failures = check_table(broken)
    hits = [f for f in failures if f.rule == rule]
    assert hits, failures
    if index is not None:
        assert index in {f.index for f in hits}
    contract = load_contract()
    severity = contract.rules[rule].severity if rule in contract.rules else "error"
    assert {f.severity for f in hits} == {severity}


def _pandera_clean(schema, frame) -> bool:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors:
        return False
    return True


@pytest.mark.parametrize("rule", [None, *sorted(BREAKS)])
def test_prescreen_agrees_with_pandera(valid, rule):
    """The vectorized screen that lets a clean table skip pandera says "clean"
    exactly when pandera finds nothing (so skipping pandera loses no failure)."""
    contract = load_contract()
    frame = valid.copy() if rule is None else BREAKS[rule][0](valid.copy())
    frame = frame[CANONICAL_COLUMNS].reset_index(drop=True)
    for schema, plan in (
        (contract.column_error_schema, contract.column_error_plan),
        (contract.column_warning_schema, contract.column_warning_plan),
    ):
        assert _plan_passes(plan, frame) == _pandera_clean(schema, frame), rule
    column_rule = rule in {"not_nullable", "dtype"} or (
        rule is not None and contract.rules[rule].kind == "column"
    )
    assert _plan_passes(contract.column_error_plan, frame) == (not column_rule)


def test_contract_cache_follows_file_edits(tmp_path):
    text = Path(load_contract().path).read_text(encoding="utf-8")
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    first = load_contract(path)
    assert load_contract(path) is first  # cached
    edited = text.replace("version: 1", "version: 2", 1)
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 10**9))
    assert load_contract(path).version == 2


def test_per_sample_checks_mark_every_row_of_the_sample(valid):
    broken = valid.copy()
    broken.loc[0, "temperature_K"] = 300.0
    hits = [f for f in check_table(broken) if f.rule == "one_temperature_per_sample"]
    assert sorted(f.index for f in hits) == [0, 1, 2, 3]


def test_bath_electroneutral_tolerance(valid):
    # squid bath: K 20 + Na 440 + 2*Ca 10 - Cl 560 = -80 of 1040 (7.7 %): passes;
    # Cl 640: -160 of 1120 (14.3 %) > 10 %: every row of the sample is flagged.
    broken = valid.copy()
    broken.loc[2, "c_out_mM"] = 640.0
    hits = [f for f in check_table(broken) if f.rule == "bath_electroneutral"]
    assert sorted(f.index for f in hits) == [0, 1, 2, 3]
    assert "sum z c_out = -160 mM of 1.12e+03 mM (14.3 %)" in hits[0].message
    # One-sided samples (cations only) are not judged.
    cations = valid[valid["valence"] > 0].reset_index(drop=True)
    assert [f for f in check_table(cations) if f.rule == "bath_electroneutral"] == []


def test_contract_columns_and_units():
    contract = load_contract()
    assert contract.units["c_in_mM"] == "mM"
    assert contract.units["temperature_K"] == "K"
    assert contract.units["vm_mV"] == "mV"
    for rule in contract.rules.values():
        assert rule.description, rule.name


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("  - {name: x, check: no_such_check, description: d, column: ion}", "unknown"),
        ("  - {name: x, check: unique_rows, description: d, column: nope}", "nope"),
        (
            "  - {name: x, check: unique_rows, severity: fatal, description: d}",
            "severity",
        ),
    ],
)
def test_malformed_contract_is_rejected(tmp_path, snippet, message):
    text = Path(load_contract().path).read_text(encoding="utf-8")
    text = text.replace("table_checks:\n", f"table_checks:\n{snippet}\n", 1)
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaDefinitionError, match=message):
        load_contract(path)


def test_editing_a_range_needs_no_python(tmp_path, valid):
    text = Path(load_contract().path).read_text(encoding="utf-8")
    text = text.replace(
        "params: {min: 263.15, max: 333.15}", "params: {min: 0, max: 300}"
    )
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    failures = check_table(valid, contract=path)  # 293.15 K is fine here
    assert failures == []
    warm = valid.assign(temperature_K=305.0)
    assert {f.rule for f in check_table(warm, contract=path)} == {"temperature_range"}
    assert check_table(warm) == []  # the shipped contract accepts 305 K
