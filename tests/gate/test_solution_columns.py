"""pipette_solution / bath_solution: sample-level text fields naming the recording
solutions of the config (the gate reads them; tables/ljp.py resolves the names)."""

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.gate.validation import validate_file

HEADER = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,vm_mV,"
HEADER += "ljp_corrected,pipette_solution,bath_solution\n"


def write(tmp_path, rows):
    path = tmp_path / "cells.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_solution_columns_are_canonical_sample_fields(tmp_path):
    path = write(tmp_path, [
        "a,neuron,22,K+,145,2.8,-60,no,KGluconate,ACSF",
        "a,neuron,22,Na+,13,145,-60,no,KGluconate,ACSF",
        "b,neuron,22,K+,130,2.8,-55,no,CsMeSO3,ACSF",
        "b,neuron,22,Na+,10,145,-55,no,CsMeSO3,ACSF",
    ])  # fmt: skip
    result = validate_file(path, dataset="cells")
    assert result.ok, result.summary()
    assert {"pipette_solution", "bath_solution"} <= set(CANONICAL_COLUMNS)
    t = result.accepted
    assert t["pipette_solution"].tolist() == ["KGluconate"] * 2 + ["CsMeSO3"] * 2
    assert t["bath_solution"].eq("ACSF").all()
    rules = {f["rule"] for f in result.report["failures"]}
    assert "ignored_column" not in rules


def test_solutions_absent_are_missing_not_text(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(
        "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM\n"
        "a,neuron,22,K+,145,2.8\n",
        encoding="utf-8",
    )
    t = validate_file(path, dataset="plain").accepted
    assert t["pipette_solution"].isna().all()
    assert t["bath_solution"].isna().all()


def test_one_pipette_solution_per_sample(tmp_path):
    path = write(tmp_path, [
        "a,neuron,22,K+,145,2.8,-60,no,KGluconate,ACSF",
        "a,neuron,22,Na+,13,145,-60,no,CsMeSO3,ACSF",
    ])  # fmt: skip
    result = validate_file(path, dataset="cells")
    assert not result.ok
    bad = [
        f
        for f in result.report["failures"]
        if f["rule"] == "one_pipette_solution_per_sample"
    ]
    assert bad
    assert bad[0]["column"] == "pipette_solution"


def test_an_unknown_solution_name_is_an_error_at_its_cell(tmp_path):
    # the config's solution names reach the gate as data (a read option)
    path = write(tmp_path, [
        "a,neuron,22,K+,145,2.8,-60,no,KGluconat,ACSF",
        "a,neuron,22,Na+,13,145,-60,no,KGluconat,ACSF",
        "b,neuron,22,K+,145,2.8,-60,no,KGluconate,ACSF",
    ])  # fmt: skip
    known = {"solution_names": ["ACSF", "KGluconate"]}
    result = validate_file(path, dataset="cells", mode="lenient", options=known)
    bad = [f for f in result.report["failures"] if f["rule"] == "unknown_solution"]
    assert sorted(f["row"] for f in bad) == [2, 3]
    assert {f["column"] for f in bad} == {"pipette_solution"}
    assert {f["value"] for f in bad} == {"KGluconat"}
    assert "close matches: KGluconate" in bad[0]["message"]
    assert result.accepted["sample_id"].tolist() == ["b"]  # sample a quarantined


def test_solution_names_are_checked_only_when_given(tmp_path):
    path = write(tmp_path, ["a,neuron,22,K+,145,2.8,-60,no,Whatever,ACSF"])
    assert validate_file(path, dataset="cells").ok  # no config: not checked
    none = {"solution_names": []}
    result = validate_file(path, dataset="cells", options=none)
    bad = [f for f in result.report["failures"] if f["rule"] == "unknown_solution"]
    assert len(bad) == 2  # pipette and bath
    assert "names no solutions" in bad[0]["message"]
