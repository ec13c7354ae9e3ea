"""What the report writes is bounded by what a person reads, for any table size.

The per-row companions hold every row up to a row limit (and a byte budget); beyond
it they hold summaries and the page says where the rows are and how many there are.
Failures are counted per rule and column with their first examples; copies of big
results files are not carried, the page says where they are. The limits are lowered
here so small tables cross them.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pagedata import parse_page
from synthetic import write_results

from iongrad.report import companions, render_dataset_report
from iongrad.report.tables import MAX_TABLE_ROWS

GROUPS = [("neuron", 300.0, 12), ("axon", 310.0, 8)]  # 20 samples x 5 ions


def _render(res, out, **kw):
    render_dataset_report(dataset=out.stem, results_dir=res, output=out, **kw)
    return parse_page(out), out.read_text(encoding="utf-8")


@pytest.fixture
def low_limit(monkeypatch):
    """Companions write every row only up to 15 rows (20 samples, 100 rows)."""
    monkeypatch.setattr(companions, "ROW_LIMIT", 15)


def test_rows_beyond_the_limit_are_summarised_and_the_page_says_where(
    tmp_path, low_limit
):
    res = write_results(tmp_path / "results", "d", GROUPS)
    page, html = _render(res, tmp_path / "reports" / "d.html")
    pot = pd.read_parquet(res / "potentials.parquet")
    summary = pd.read_csv(tmp_path / "reports" / "d_potentials.csv")
    # one row per cell type x temperature x ion, with the rows it summarises
    assert len(summary) == 2 * 5
    assert summary["rows"].sum() == len(pot) == 100
    k = summary[(summary["cell_type"] == "neuron") & (summary["ion"] == "K+")]
    part = pot[(pot["cell_type"] == "neuron") & (pot["ion"] == "K+")]
    assert float(k["E_act_mV_mean"].iloc[0]) == pytest.approx(part["E_act_mV"].mean())
    assert int(k["rows_ok"].iloc[0]) == int((part["status"] == "ok").sum())
    # the page names the per-row file and its size, not a CSV of every row
    note = page.ids["potentials-elsewhere"]
    assert f"{(res / 'potentials.parquet').as_posix()}" in note
    assert "100 rows" in note
    assert "full data as CSV" not in html
    # samples: status counts per cell type and temperature
    samples = pd.read_csv(tmp_path / "reports" / "d_samples.csv")
    assert set(samples.columns) >= {"cell_type", "temperature_C", "check", "samples"}
    ghk = samples[samples["check"] == "ghk_status"]
    assert ghk["samples"].sum() == 20
    assert "samples.parquet" in page.ids["samples-elsewhere"]


def test_rows_up_to_the_limit_are_written_in_full(tmp_path):
    res = write_results(tmp_path / "results", "d", GROUPS)
    page, _ = _render(res, tmp_path / "reports" / "d.html")
    full = pd.read_csv(tmp_path / "reports" / "d_potentials.csv")
    assert len(full) == 100
    assert "E_act_mV" in full
    assert len(pd.read_csv(tmp_path / "reports" / "d_samples.csv")) == 20
    assert "potentials-elsewhere" not in page.ids


def test_wide_rows_over_the_byte_budget_are_summarised(tmp_path, monkeypatch):
    # few rows, but each sample name is long: the CSV would pass its byte budget
    monkeypatch.setitem(companions.BYTE_LIMITS, "_potentials.csv", 20_000)
    pot = write_results(tmp_path / "results", "d", GROUPS)
    frame = pd.read_parquet(pot / "potentials.parquet")
    frame["sample_id"] = frame["sample_id"] + "x" * 400
    write_results(tmp_path / "results", "d", [], potentials=frame)
    page, _ = _render(pot, tmp_path / "reports" / "d.html")
    assert "rows" in pd.read_csv(tmp_path / "reports" / "d_potentials.csv")
    assert (tmp_path / "reports" / "d_potentials.csv").stat().st_size < 20_000
    assert "potentials-elsewhere" in page.ids


def _warnings(n: int, rules: int = 3) -> list[dict]:
    return [
        {
            "file": "data/raw/d.csv",
            "row": 2 + i,
            "column": f"col{i % 2}",
            "value": str(i),
            "rule": f"rule_{i % rules}",
            "severity": "warning",
            "message": f"data/raw/d.csv, row {2 + i}: rule rule_{i % rules}: odd",
        }
        for i in range(n)
    ]


def test_many_failures_are_counted_per_rule_and_column_with_examples(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(companions, "ROW_LIMIT", 100)
    monkeypatch.setattr(companions, "FAILURE_EXAMPLES", 4)
    res = write_results(tmp_path / "results", "d", GROUPS, failures=_warnings(600))
    page, _ = _render(res, tmp_path / "reports" / "d.html")
    digest = pd.read_csv(tmp_path / "reports" / "d_failures.csv")
    # 3 rules x 2 columns, at most 4 examples each, every one with its count
    assert len(digest) == 3 * 2 * 4
    counts = digest.drop_duplicates(["rule", "column"])
    assert counts["count"].sum() == 600
    assert set(counts["count"]) == {100}
    assert "d_failures.csv" in page.links
    assert (res / "validation.json").as_posix() in page.ids["failures-elsewhere"]


def test_failures_parquet_is_named_when_the_results_have_one(tmp_path, low_limit):
    res = write_results(tmp_path / "results", "d", GROUPS, failures=_warnings(600))
    pd.DataFrame(_warnings(600)).to_parquet(res / "failures.parquet")
    page, _ = _render(res, tmp_path / "reports" / "d.html")
    assert (res / "failures.parquet").as_posix() in page.ids["failures-elsewhere"]


def test_warning_tables_together_stay_within_the_cap(tmp_path):
    res = write_results(
        tmp_path / "results", "d", GROUPS, failures=_warnings(40 * 400, rules=40)
    )
    page, _ = _render(res, tmp_path / "reports" / "d.html")
    shown = sum(
        len(t["rows"]) for name, t in page.tables.items() if name.startswith("warn")
    )
    assert 40 <= shown <= 2 * MAX_TABLE_ROWS
    # every rule still says how many warnings it has
    assert page.ids["rule-0"].count("400 warning(s)") == 1


def test_big_results_files_are_carried_as_excerpts_the_page_says_where(
    tmp_path, monkeypatch
):
    # the workflow declares the copies as outputs: they are always written, a big
    # one as its beginning, and the page names the complete file
    monkeypatch.setattr(companions, "COPY_LIMIT_BYTES", 1_000)
    res = write_results(
        tmp_path / "results",
        "d",
        GROUPS,
        failures=_warnings(300),
        rejected=[
            {"source_file": "f", "source_row": i, "sample_id": "s", "ion": "K+"}
            for i in range(100)
        ],
    )
    page, html = _render(res, tmp_path / "reports" / "d.html")
    excerpt = json.loads((tmp_path / "reports" / "d_validation.json").read_text())
    full = json.loads((res / "validation.json").read_text())
    assert excerpt["failures"] == full["failures"][: len(excerpt["failures"])]
    assert 0 < len(excerpt["failures"]) < 300
    assert excerpt["failures_total"] == 300
    assert excerpt["rows_read"] == full["rows_read"]
    rejected = pd.read_csv(tmp_path / "reports" / "d_rejected.csv")
    assert 0 < len(rejected) < 100
    assert (tmp_path / "reports" / "d_rejected.csv").stat().st_size <= 1_000
    assert "d_validation.json" in page.links
    assert (res / "validation.json").as_posix() in html
    assert (res / "rejected.csv").as_posix() in html
    # small files are copied whole
    monkeypatch.setattr(companions, "COPY_LIMIT_BYTES", 10**7)
    page, _ = _render(res, tmp_path / "reports" / "d.html")
    copied = json.loads((tmp_path / "reports" / "d_validation.json").read_text())
    assert copied == full
    assert len(pd.read_csv(tmp_path / "reports" / "d_rejected.csv")) == 100
