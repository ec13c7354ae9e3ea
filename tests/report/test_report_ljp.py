"""The report's liquid junction potential: the LJP per sample, Vm before and after the
correction against GHK and Donnan, the validity box's counts, flags where the LJP is
in doubt; the results come from the real tables functions (tables/ljp.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pagedata import parse_page

from iongrad.report import render_dataset_report
from iongrad.report.tables import MAX_TABLE_ROWS
from iongrad.tables.potentials import compute_potentials
from iongrad.tables.samples import compute_samples

SOLUTIONS = {
    "KGlu": "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1, HEPES=5",
    "ACSF": "Na+=145, K+=2.8, Cl-=148.8, Mg2+=2, Ca2+=1, HEPES=5",
}
GHK = {"enabled": True, "default_permeability": {"K+": 1.0, "Na+": 0.05, "Cl-": 0.45}}


def measurements(flags, vms=None):
    """K+, Na+, Cl- rows of one sample per entry of ``flags`` (ljp_corrected)."""
    rows = []
    for i, flag in enumerate(flags):
        vm = -60.0 - i if vms is None else vms[i]
        for ion, z, cin, cout in (
            ("K+", 1, 145.0, 2.8),
            ("Na+", 1, 13.0, 145.0),
            ("Cl-", -1, 10.0, 148.8),
        ):
            rows.append({
                "dataset": "wc", "sample_id": f"c{i:04d}", "cell_type": "neuron",
                "temperature_K": 295.15, "ion": ion, "valence": z, "c_in_mM": cin,
                "c_out_mM": cout, "concentration_scale": "molar", "permeant": True,
                "vm_mV": vm, "ljp_mV": np.nan, "ljp_corrected": flag,
                "pipette_solution": "KGlu", "bath_solution": "ACSF",
                "sample_complete": True, "sample_rejected": "",
                "source_file": "data/raw/wc.csv", "source_row": len(rows) + 2,
            })  # fmt: skip
    return pd.DataFrame(rows)


def render(tmp_path, flags, **kw):
    res = tmp_path / "results" / "wc"
    res.mkdir(parents=True)
    pot = compute_potentials(measurements(flags, **kw), solutions=SOLUTIONS)
    smp, ions = compute_samples(pot, donnan={"enabled": True}, ghk=GHK)
    pot.to_parquet(res / "potentials.parquet", index=False)
    smp.to_parquet(res / "samples.parquet", index=False)
    ions.to_parquet(res / "donnan.parquet", index=False)
    n = len(pot)
    (res / "validation.json").write_text(json.dumps({
        "file": "data/raw/wc.csv", "dataset": "wc", "rows_read": n,
        "rows_accepted": n, "rows_rejected": 0, "warnings": 0, "failures": [],
        "mode": "strict", "ok": True,
    }))  # fmt: skip
    out = tmp_path / "reports" / "wc.html"
    render_dataset_report(dataset="wc", results_dir=res, output=out)
    return smp, parse_page(out), out


def test_the_ljp_table_shows_each_sample_with_both_vms(tmp_path):
    smp, page, _ = render(tmp_path, ["no", "no", "yes"])
    rows = {r["sample_id"]["v"]: r for r in page.records("ljp")}
    c0 = rows["c0000"]
    assert c0["pipette_solution"]["text"] == "KGlu"
    assert c0["bath_solution"]["text"] == "ACSF"
    ljp = smp.set_index("sample_id").loc["c0000", "ljp_computed_mV"]
    assert 15.0 < ljp < 17.0
    assert float(c0["ljp_computed_mV"]["v"]) == pytest.approx(ljp, abs=0.005)
    assert float(c0["vm_mV"]["v"]) == -60.0
    assert float(c0["vm_corrected_mV"]["v"]) == pytest.approx(-60.0 - ljp, abs=0.05)
    assert c0["ljp_source"]["text"] == "computed"
    c2 = rows["c0002"]  # corrected in the file: nothing applied
    assert float(c2["ljp_applied_mV"]["v"]) == 0.0
    assert float(c2["vm_corrected_mV"]["v"]) == -62.0
    assert "ljp-section" in page.ids


def test_ghk_and_donnan_against_vm_before_and_after(tmp_path):
    smp, page, _ = render(tmp_path, ["no", "no"])
    text = page.ids["ljp-before-after"]
    before = (smp["vm_mV"] - smp["vm_ghk_mV"]).mean()
    after = (smp["vm_corrected_mV"] - smp["vm_ghk_mV"]).mean()
    assert after == pytest.approx(before - smp["ljp_applied_mV"].mean())
    assert f"{before:+.1f}" in text
    assert f"{after:+.1f}" in text
    assert "Vm − V_Donnan" in text
    # the samples table compares the corrected Vm
    cells = page.column("samples", "vm_minus_ghk_mV")
    expected = (smp["vm_corrected_mV"] - smp["vm_ghk_mV"]).tolist()
    assert [float(c["v"]) for c in cells] == pytest.approx(expected, abs=0.05)


def test_validity_box_counts_how_vm_was_corrected(tmp_path):
    _, page, _ = render(tmp_path / "a", ["no", "no", "yes"])
    box = page.ids["validity-ljp"]
    assert "Measured Vm of 3 samples" in box
    assert "LJP corrected here (Vm − LJP) in 2" in box
    assert "LJP corrected in the file in 1" in box
    assert "✓" in box
    _, page, _ = render(tmp_path / "b", ["no", "unreported"])
    box = page.ids["validity-ljp"]
    assert "LJP correction unreported in 1" in box
    assert "⚠" in box


def test_a_vm_in_doubt_is_flagged_where_it_is_compared(tmp_path):
    _, page, _ = render(tmp_path, ["no", "unreported"])
    rows = {r["sample_id"]["v"]: r for r in page.records("samples")}
    assert "flag" in rows["c0001"]["vm_minus_ghk_mV"]["cls"]
    assert "unreported" in rows["c0001"]["vm_minus_ghk_mV"]["title"]
    assert "flag" not in rows["c0000"]["vm_minus_ghk_mV"]["cls"]
    ljp_rows = {r["sample_id"]["v"]: r for r in page.records("ljp")}
    assert ljp_rows["c0001"]["ljp_state"]["text"].startswith("vm_ljp_uncorrected")
    pot_rows = page.records("potentials")
    flagged = [r for r in pot_rows if r["sample_id"]["v"] == "c0001"]
    assert all("flag" in r["driving_force_mV"]["cls"] for r in flagged)


def test_the_ljp_table_is_bounded_like_the_others(tmp_path):
    n = MAX_TABLE_ROWS + 40
    _, page, out = render(tmp_path, ["no"] * n, vms=[-60.0] * n)
    assert len(page.tables["ljp"]["rows"]) == MAX_TABLE_ROWS
    assert f"first {MAX_TABLE_ROWS} of {n} rows shown" in out.read_text("utf-8")
    assert out.stat().st_size < 5_000_000
    # every sample's LJP is in the samples CSV beside the page
    csv = pd.read_csv(tmp_path / "reports" / "wc_samples.csv")
    assert len(csv) == n
    assert {"ljp_computed_mV", "vm_corrected_mV", "ljp_source"} <= set(csv.columns)


def test_the_index_shows_the_corrected_vm_beside_the_measured(tmp_path):
    from iongrad.report import render_index

    smp, _, _ = render(tmp_path, ["no", "no"])
    out = tmp_path / "reports" / "index.html"
    entries = [{"dataset": "wc", "status": "ok",
                "results_dir": str(tmp_path / "results" / "wc"),
                "report_href": "wc.html"}]  # fmt: skip
    render_index(entries=entries, output=out)
    table = pd.read_csv(tmp_path / "reports" / "index_cell_types.csv")
    row = table.iloc[0]
    assert row["vm_mV"] == pytest.approx(smp["vm_mV"].mean())
    assert row["vm_corrected_mV"] == pytest.approx(smp["vm_corrected_mV"].mean())
    page = parse_page(out)
    cells = page.column("cell-types", "vm_corrected_mV")
    assert float(cells[0]["v"]) == pytest.approx(row["vm_corrected_mV"], abs=0.05)
