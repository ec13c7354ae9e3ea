"""The "what changed" section lists the potentials that moved and by how much."""

from __future__ import annotations

import pandas as pd
import pytest
from pagedata import parse_page
from synthetic import compute_columns, potentials_frame, write_results

from iongrad.report import render_dataset_report
from iongrad.report.changes import CHANGE_ATOL_MV, compare_potentials


def test_first_rendering_says_nothing_to_compare(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    out = tmp_path / "reports" / "d.html"
    prev = res / "previous"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    page = parse_page(out)
    assert "first rendering" in page.ids["changes-message"]
    # the snapshot is kept for the next rendering
    kept = pd.read_parquet(prev / "potentials.parquet")
    pd.testing.assert_frame_equal(kept, pd.read_parquet(res / "potentials.parquet"))


def test_changed_input_lists_moved_potentials(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    out = tmp_path / "reports" / "d.html"
    prev = res / "previous"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    # the input changed: sample s2's external K+ doubled, results recomputed
    pot = pd.read_parquet(res / "potentials.parquet")
    k = (pot["sample_id"] == "s2") & (pot["ion"] == "K+")
    pot.loc[k, "c_out_mM"] *= 2
    new = compute_columns(pot)
    write_results(tmp_path / "results", "d", [], potentials=new)
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    page = parse_page(out)
    moved = {
        (r["sample_id"]["v"], r["ion"]["v"], r["quantity"]["v"]): r
        for r in page.records("changes")
    }
    # E_conc, E_act and the driving force of that one row moved; nothing else did
    assert set(moved) == {
        ("s2", "K+", "E_conc_mV"),
        ("s2", "K+", "E_act_mV"),
        ("s2", "K+", "driving_force_mV"),
    }
    expected = (
        new.loc[k, "E_act_mV"]
        - pd.read_parquet(prev / "potentials.parquet").loc[k, "E_act_mV"]
    )
    assert float(expected.iloc[0]) == 0.0  # the snapshot was refreshed
    # (k/e) T ln 2 at 300 K (exact SI k/e = 8.617333262e-5 V/K): +17.919 mV
    delta = float(moved[("s2", "K+", "E_act_mV")]["delta"]["value"])
    assert delta == pytest.approx(8.617333262e-2 * 300 * 0.6931471805599453, rel=1e-6)
    assert moved[("s2", "K+", "E_act_mV")]["delta"]["v"] == "+17.9"  # 3 digits


def test_compare_potentials_reports_delta(tmp_path):
    old = potentials_frame("d", [("c", 300.0, 3)])
    prev = tmp_path / "prev"
    prev.mkdir()
    old.to_parquet(prev / "potentials.parquet")
    new = old.copy()
    i = new.index[(new["sample_id"] == "s2") & (new["ion"] == "K+")][0]
    new.loc[i, "E_act_mV"] += 1.25
    new.loc[i, "E_conc_mV"] += 0.5
    j = new.index[(new["sample_id"] == "s3") & (new["ion"] == "Na+")][0]
    new.loc[j, "E_act_mV"] += CHANGE_ATOL_MV / 10  # below tolerance: not listed
    new = new.drop(index=new.index[(new["sample_id"] == "s1") & (new["ion"] == "Cl-")])
    ch = compare_potentials(new, prev)
    assert ch.available
    got = {(r.sample_id, r.ion, r.quantity): r.delta for r in ch.moved.itertuples()}
    assert got.keys() == {("s2", "K+", "E_act_mV"), ("s2", "K+", "E_conc_mV")}
    assert got[("s2", "K+", "E_act_mV")] == pytest.approx(1.25, abs=1e-9)
    assert ch.moved.iloc[0]["quantity"] == "E_act_mV"  # largest change first
    assert ch.removed.to_dict("records") == [{"sample_id": "s1", "ion": "Cl-"}]
    assert ch.added.empty


def test_rendered_changes_table(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    prev = tmp_path / "prev"
    prev.mkdir()
    old = pd.read_parquet(res / "potentials.parquet")
    shifted = old.copy()
    shifted.loc[0, "E_act_mV"] -= 3.0  # previous value was 3 mV lower
    shifted.to_parquet(prev / "potentials.parquet")
    out = tmp_path / "reports" / "d.html"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    page = parse_page(out)
    recs = page.records("changes")
    assert len(recs) == 1
    assert recs[0]["sample_id"]["v"] == old.loc[0, "sample_id"]
    assert float(recs[0]["delta"]["value"]) == pytest.approx(3.0, abs=1e-9)
    assert "1 value(s) moved" in page.ids["changes-message"]
    # rendering again compares with the snapshot just taken: nothing moved
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    assert "No potential moved" in parse_page(out).ids["changes-message"]


def test_per_sample_donnan_and_ghk_changes(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    prev = tmp_path / "prev"
    prev.mkdir()
    pd.read_parquet(res / "potentials.parquet").to_parquet(prev / "potentials.parquet")
    old = pd.read_parquet(res / "samples.parquet")
    old.loc[old["sample_id"] == "s2", "vm_ghk_mV"] += 2.0  # previous was 2 mV higher
    old.to_parquet(prev / "samples.parquet")
    ch = compare_potentials(
        pd.read_parquet(res / "potentials.parquet"),
        prev,
        samples=pd.read_parquet(res / "samples.parquet"),
    )
    rows = ch.moved.to_dict("records")
    assert len(rows) == 1
    assert rows[0]["sample_id"] == "s2"
    assert rows[0]["ion"] == "(per sample)"
    assert rows[0]["quantity"] == "vm_ghk_mV"
    assert rows[0]["delta"] == pytest.approx(-2.0, abs=1e-9)
    # the rendering refreshes both snapshots
    out = tmp_path / "reports" / "d.html"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    pd.testing.assert_frame_equal(
        pd.read_parquet(prev / "samples.parquet"),
        pd.read_parquet(res / "samples.parquet"),
    )
