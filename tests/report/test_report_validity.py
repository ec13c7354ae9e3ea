"""What a reader must see before citing a number: the model-validity box, Vm against
GHK and Donnan per cell type and temperature, directions only where the data
support them, samples whose status is not ok left out (and said so), the rejected
rows at the top, and a page whose links all travel with it."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import FAILURES, REJECTED
from pagedata import parse_page
from synthetic import compute_columns, potentials_frame, write_results

from iongrad.report import render_dataset_report


def _render(res, tmp_path, name="demo", **kw):
    out = tmp_path / "reports" / f"{name}.html"
    render_dataset_report(dataset=name, results_dir=res, output=out, **kw)
    return out, parse_page(out)


def test_validity_box_states_each_check(demo_page):
    demo_results, out, page = demo_page
    pot = pd.read_parquet(demo_results / "potentials.parquet")
    activity = page.ids["validity-activity"]
    i_max = max(
        pot["ionic_strength_in_molal"].max(), pot["ionic_strength_out_molal"].max()
    )
    assert "truesdell-jones: I ≤ 2 mol/kg" in activity
    assert f"highest ionic strength here {i_max:.3g} mol/kg" in activity
    n_out = int((~pot["activity_valid"]).sum())
    assert f"{n_out} of {len(pot)} rows are outside" in activity
    assert "⚠" in activity
    perm = page.ids["validity-permeability"]
    assert "Default relative permeabilities" in perm
    assert "P_K+ : P_Na+ : P_Cl- = 1 : 0.05 : 0.45" in perm
    # the gap is taken from the Vm the comparisons use: corrected for the LJP
    assert "Measured Vm" not in perm
    said = "Vm − V_GHK (Vm corrected for the liquid junction potential where known)"
    assert said in perm
    assert "Open system" in page.ids["validity-donnan"]
    assert "LJP" in page.ids["validity-ljp"]
    assert "±5.0 mV" in page.ids["validity-tolerance"]
    html = out.read_text(encoding="utf-8")
    assert html.index('id="validity"') < html.index('id="summary"')  # on top


def test_clean_check_is_told_from_no_check(tmp_path):
    """All rows inside the model's range: "checked, clean"; no validity column in
    the results: "not checked" (the two used to look the same)."""
    pot = potentials_frame("d", [("c", 300.0, 2)])
    res = write_results(tmp_path / "a", "d", [], potentials=pot)
    _, page = _render(res, tmp_path / "a", "d")
    assert "✓ checked, clean" in page.ids["validity-activity"]
    assert {c["v"] for c in page.column("potentials", "activity_check")} == {"inside"}
    res = write_results(
        tmp_path / "b", "d", [], potentials=pot.drop(columns=["activity_valid"])
    )
    _, page = _render(res, tmp_path / "b", "d")
    assert "? not checked" in page.ids["validity-activity"]
    assert {c["v"] for c in page.column("potentials", "activity_check")} == {
        "not checked"
    }


def test_ljp_status_from_the_table(tmp_path):
    pot = potentials_frame("d", [("c", 300.0, 2)])
    pot["ljp_corrected"] = "yes"
    res = write_results(tmp_path, "d", [], potentials=pot)
    _, page = _render(res, tmp_path, "d")
    assert "LJP corrected in 2 samples" in page.ids["validity-ljp"]
    assert "✓" in page.ids["validity-ljp"]
    pot.loc[pot["sample_id"] == "s2", "ljp_corrected"] = "unreported"
    res = write_results(tmp_path, "d", [], potentials=pot)
    _, page = _render(res, tmp_path, "d")
    assert "LJP unreported in 1 sample" in page.ids["validity-ljp"]
    assert "⚠" in page.ids["validity-ljp"]


def test_heading_gives_vm_against_ghk_and_donnan(demo_page):
    demo_results, _, page = demo_page
    smp = pd.read_parquet(demo_results / "samples.parquet")
    part = smp[smp["cell_type"] == "squid axon"]
    k = 0 if page.ids["group-0"].startswith("squid axon") else 1
    d_ghk = part["vm_mV"] - part["vm_ghk_mV"]
    d_don = part["vm_mV"] - part["donnan_potential_mV"]
    ghk = page.ids[f"group-{k}-vm_minus_ghk"]
    don = page.ids[f"group-{k}-vm_minus_donnan"]
    assert ghk == (
        f"Vm − V_GHK {d_ghk.mean():+.1f} ± {d_ghk.std():.1f} mV (n = {len(part)})"
    )
    assert don == (
        f"Vm − V_Donnan {d_don.mean():+.1f} ± {d_don.std():.1f} mV (n = {len(part)})"
    )


def test_direction_only_when_clear_of_noise(tmp_path):
    """+4.1 ± 3.7 mV (the cardiac K+ of the example data) is within noise of a
    5 mV tolerance; a per-row +0.5 mV is not called efflux either."""
    pot = potentials_frame("d", [("c", 300.0, 3)], vm_mV=-90.0)
    e_k = pot[pot["ion"] == "K+"].set_index("sample_id")["E_act_mV"]
    offset = dict(zip(["s1", "s2", "s3"], [7.9, 4.0, 0.5], strict=True))
    pot["vm_mV"] = [e_k[s] + offset[s] for s in pot["sample_id"]]  # one Vm a sample
    res = write_results(tmp_path, "d", [], potentials=compute_columns(pot))
    _, page = _render(res, tmp_path, "d", config={"driving_force": {"atol_mV": 5.0}})
    rec = {r["ion"]["v"]: r for r in page.records("summary-0")}["K+"]
    assert rec["driving_force_mV"]["v"] == "+4.1 ± 3.7"
    assert rec["flux_direction"]["v"] == "within noise"
    assert rec["current_direction"]["v"] == "within noise"
    na = {r["ion"]["v"]: r for r in page.records("summary-0")}["Na+"]
    assert na["flux_direction"]["v"] == "influx"  # far from noise
    _, page = _render(res, tmp_path, "d", config={"driving_force": {"atol_mV": 0.0}})
    rec = {r["ion"]["v"]: r for r in page.records("summary-0")}["K+"]
    assert rec["flux_direction"]["v"] == "efflux"  # 4.1 - 3.7 > 0


def test_samples_not_ok_are_shown_and_left_out(tmp_path):
    pot = potentials_frame("d", [("c", 300.0, 4)])
    res = write_results(tmp_path, "d", [], potentials=pot)
    smp = pd.read_parquet(res / "samples.parquet")
    smp.loc[smp["sample_id"] == "s1", "ghk_status"] = "not_converged"
    smp.loc[smp["sample_id"] == "s1", "ghk_reason"] = "the solver did not converge"
    smp.loc[smp["sample_id"] == "s1", "vm_ghk_mV"] = 500.0  # must not be averaged
    smp["sample_complete"] = smp["sample_id"] != "s2"
    smp.loc[smp["sample_id"] == "s2", "vm_mV"] = 500.0
    smp.to_parquet(res / "samples.parquet", index=False)
    pot.loc[pot["sample_id"] == "s2", "E_act_mV"] = 500.0
    pot.to_parquet(res / "potentials.parquet", index=False)
    _, page = _render(res, tmp_path, "d")
    left = {r["sample_id"]["v"]: r["left_out"]["v"] for r in page.records("samples")}
    assert "GHK not_converged: the solver did not converge" in left["s1"]
    assert "incomplete" in left["s2"]
    assert left["s3"] == left["s4"] == ""
    top = page.ids["top-alert"]
    assert "s1" in top
    assert "s2" in top
    # s2 counts nowhere; s1 only not in the GHK figures
    for rec in page.records("summary-0"):
        if rec["ion"]["v"] != "A-":
            assert rec["n"]["v"] == "3"
            assert float(rec["E_act_mV"]["value"]) < 400
    used = smp[smp["sample_id"].isin(["s3", "s4"])]
    d = used["vm_mV"] - used["vm_ghk_mV"]
    assert page.ids["group-0-vm_minus_ghk"].endswith(
        f"{d.mean():+.1f} ± {d.std():.1f} mV (n = 2)"
    )
    assert page.ids["group-0-vm"].endswith("(n = 3)")
    svg = (tmp_path / "reports" / "d_ghk.svg").read_text()
    assert "500" not in " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_rejected_rows_alert_on_top_with_sample_and_ion(demo_page):
    _, out, page = demo_page
    html = out.read_text(encoding="utf-8")
    assert html.index('id="top-alert"') < html.index('id="validity"')
    assert "1 row(s) were rejected" in page.ids["top-alert"]
    assert "squid ax-9 K+ (row 99)" in page.ids["top-alert"]
    rec = page.records("rejected")[0]
    assert (rec["sample_id"]["v"], rec["ion"]["v"]) == (
        REJECTED[0]["sample_id"],
        REJECTED[0]["ion"],
    )


def test_no_alert_when_nothing_rejected(tmp_path):
    res = write_results(tmp_path, "d", [("c", 300.0, 2)])
    _, page = _render(res, tmp_path, "d")
    assert "top-alert" not in page.ids
    assert "no-rejected" in page.ids


def test_warnings_grouped_by_rule_with_counts_and_samples(tmp_path):
    pot = potentials_frame("d", [("c", 300.0, 4)])
    rows = pot[pot["ion"] != "A-"]
    warnings = [
        {
            "file": r.source_file,
            "row": int(r.source_row),
            "column": "c_out_mM",
            "value": 1.0,
            "rule": "bath_electroneutral",
            "severity": "warning",
            "message": f"f, row {r.source_row}: rule bath_electroneutral: The bath "
            f"should be near electroneutral. (sample '{r.sample_id}': +33 mM)",
        }
        for r in rows.itertuples()
    ] + [
        {
            "file": "data/raw/d.csv",
            "row": 3,
            "column": "temperature",
            "value": "45",
            "rule": "temperature_range",
            "severity": "warning",
            "message": "unusually warm",
        }
    ]
    res = write_results(tmp_path, "d", [], potentials=pot, failures=warnings)
    out, page = _render(res, tmp_path, "d")
    summaries = re.findall(r"<summary>(.*?)</summary>", out.read_text())
    rules = [s for s in summaries if "warning(s)" in s]
    assert len(rules) == 2  # one line per rule, not one per row
    assert (
        "bath_electroneutral</strong>: 16 warning(s), samples s1, s2, s3, s4"
        in (rules[0])
    )
    assert "temperature_range</strong>: 1 warning(s)" in rules[1]
    assert len(page.records("warnings-0")) == 16
    assert '<details class="rule"' in out.read_text()  # collapsed until clicked


def test_provenance_is_collapsed(demo_page):
    _, out, _ = demo_page
    html = out.read_text(encoding="utf-8")
    start = html.index('<details id="provenance-details">')
    assert start < html.index("ab" * 32) < html.index("</details>", start)


def test_numbers_in_readable_formats(demo_page):
    _, _, page = demo_page
    ca = [r for r in page.records("potentials") if r["ion"]["v"] == "Ca2+"]
    assert all(re.fullmatch(r"\d+(\.\d)? nM", r["c_in_mM"]["v"]) for r in ca)
    assert all(r["c_out_mM"]["v"].endswith(" mM") for r in ca)
    temps = {c["v"] for c in page.column("potentials", "temperature_C")}
    assert temps == {"18.0", "37.0"}
    e = [c["v"] for c in page.column("potentials", "E_act_mV") if c["value"]]
    assert all(re.fullmatch(r"-?\d+\.\d", v) for v in e)  # 0.1 mV
    converged = {c["v"] for c in page.column("samples", "ghk_converged")}
    assert converged == {"yes"}


def test_no_vm_in_words(tmp_path):
    res = write_results(tmp_path, "d", [("c", 300.0, 2)], vm_mV=None)
    _, page = _render(res, tmp_path, "d")
    assert page.ids["group-0-vm"] == "no Vm measured"
    keys = page.tables["potentials"]["keys"]
    assert "driving_force_mV" not in keys  # nothing to show without Vm
    assert "flux_direction" not in page.tables["summary-0"]["keys"]
    assert {c["v"] for c in page.column("samples", "vm_mV")} == {"no Vm measured"}
    assert "undefined" not in page.ids["group-0"]


def test_reports_folder_travels_alone(demo_page):
    _, out, page = demo_page
    for href in page.links:
        if href.startswith("#"):
            continue
        assert "/" not in href, href  # beside the page
        assert (out.parent / href).is_file(), href
    copy = pd.read_csv(out.parent / "demo_rejected.csv")
    assert copy["sample_id"].tolist() == [REJECTED[0]["sample_id"]]
    val = json.loads((out.parent / "demo_validation.json").read_text())
    assert val["failures"] == FAILURES


def test_stale_copies_are_removed(tmp_path):
    res = write_results(tmp_path, "d", [("c", 300.0, 1)])
    out, _ = _render(res, tmp_path, "d")
    assert (out.parent / "d_validation.json").is_file()
    (res / "validation.json").unlink()
    (res / "rejected.csv").unlink()
    _render(res, tmp_path, "d")
    assert not (out.parent / "d_validation.json").exists()
    assert not (out.parent / "d_rejected.csv").exists()


@pytest.mark.parametrize("n_rows", [1, 3])
def test_summary_sd_is_missing_for_one_sample(tmp_path, n_rows):
    res = write_results(tmp_path, "d", [("c", 300.0, n_rows)])
    _, page = _render(res, tmp_path, "d")
    rec = {r["ion"]["v"]: r for r in page.records("summary-0")}["K+"]
    assert (" ± " in rec["E_act_mV"]["v"]) is (n_rows > 1)
    assert np.isfinite(float(rec["E_act_mV"]["value"]))


def test_missing_driving_force_says_why(demo_page):
    """Vm measured but no E (the impermeant anion): "E undefined", not "no Vm"."""
    _, _, page = demo_page
    rec = {r["ion"]["v"]: r for r in page.records("summary-0")}["A-"]
    assert rec["driving_force_mV"]["v"] == "E undefined"
    row = next(r for r in page.records("potentials") if r["ion"]["v"] == "A-")
    assert row["driving_force_mV"]["v"] == "E undefined"
