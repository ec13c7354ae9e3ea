"""The cross-dataset index: one row per dataset with its status, comparisons across
cell types, temperatures and datasets with the spread, links to each report."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import XSS_CELL
from pagedata import parse_page
from synthetic import write_results

from iongrad.report import render_index


@pytest.fixture(scope="module")
def index_page(tmp_path_factory):
    root = tmp_path_factory.mktemp("idx")
    res = root / "results"
    reports = root / "reports"
    a = write_results(
        res, "lab_a", [("squid axon", 291.15, 3), ("frog muscle", 293.15, 2)]
    )
    b = write_results(res, "lab_b", [("squid axon", 291.15, 2)], seed=7)
    c = write_results(res, "lab_c", [(XSS_CELL, 310.15, 2)], seed=9)
    # lab_d failed: strict validation rejected it, only validation.json exists
    d = res / "lab_d"
    d.mkdir(parents=True)
    (d / "validation.json").write_text(
        json.dumps(
            {
                "rows_read": 3,
                "rows_accepted": 0,
                "rows_rejected": 3,
                "warnings": 0,
                "ok": False,
                "failures": [
                    {
                        "file": "d.csv",
                        "row": 2,
                        "column": "c_in_mM",
                        "value": "abc",
                        "rule": "number",
                        "severity": "error",
                        "message": "not a number",
                    }
                ],
            }
        )
    )
    reports.mkdir(parents=True)
    for name in ("lab_a", "lab_b", "lab_c"):  # the index links only existing reports
        (reports / f"{name}.html").write_text("<!DOCTYPE html><title>x</title>")
    entries = [
        {
            "dataset": "lab_a",
            "status": "ok",
            "results_dir": str(a),
            "report_href": "lab_a.html",
        },
        {
            "dataset": "lab_b",
            "status": "warnings",
            "results_dir": str(b),
            "report_href": "lab_b.html",
        },
        {
            "dataset": "lab_c",
            "status": "ok",
            "results_dir": str(c),
            "report_href": "lab_c.html",
        },
        {
            "dataset": "lab_d",
            "status": "failed",
            "results_dir": str(d),
            "report_href": "lab_d.html",
        },
    ]
    out = reports / "index.html"
    render_index(entries=entries, output=out)
    return {"a": a, "b": b, "c": c, "out": out, "page": parse_page(out)}


def test_one_row_per_dataset_with_status_and_link(index_page):
    page = index_page["page"]
    recs = {r["dataset"]["v"]: r for r in page.records("datasets")}
    assert list(recs) == ["lab_a", "lab_b", "lab_c", "lab_d"]
    assert recs["lab_a"]["status"]["v"] == "ok"
    assert recs["lab_b"]["status"]["v"] == "warnings"
    assert recs["lab_d"]["status"]["v"] == "failed"
    assert "status-failed" in recs["lab_d"]["status"]["cls"]
    assert "not a number" in recs["lab_d"]["problem"]["v"]
    assert recs["lab_a"]["n_samples"]["value"] == "5"
    assert "lab_a.html" in page.links
    assert "lab_d.html" not in page.links  # no report exists: no dead link


def test_spread_across_datasets_matches_results(index_page):
    page = index_page["page"]
    pa = pd.read_parquet(index_page["a"] / "potentials.parquet")
    pb = pd.read_parquet(index_page["b"] / "potentials.parquet")
    recs = page.records("across-datasets")
    row = next(
        r for r in recs if r["cell_type"]["v"] == "squid axon" and r["ion"]["v"] == "K+"
    )

    def mean(p):
        s = p[(p["cell_type"] == "squid axon") & (p["ion"] == "K+")]["E_act_mV"]
        return s.mean()

    ma, mb = mean(pa), mean(pb)
    assert float(row["lab_a"]["value"]) == pytest.approx(ma, rel=1e-12)
    assert float(row["lab_b"]["value"]) == pytest.approx(mb, rel=1e-12)
    assert float(row["spread_mV"]["value"]) == pytest.approx(abs(ma - mb), rel=1e-9)
    assert float(row["sd_mV"]["value"]) == pytest.approx(np.std([ma, mb], ddof=1))
    assert row["n_datasets"]["value"] == "2"
    # measured Vm compared the same way
    vm = next(
        r
        for r in recs
        if r["cell_type"]["v"] == "squid axon" and r["ion"]["v"] == "Vm (measured)"
    )
    assert vm["n_datasets"]["value"] == "2"


def test_cell_types_and_temperatures_table(index_page):
    page = index_page["page"]
    recs = page.records("cell-types")
    cells = [(r["cell_type"]["v"], r["temperature_C"]["v"]) for r in recs]
    assert ("squid axon", "18.0") in cells
    assert ("frog muscle", "20.0") in cells
    assert (XSS_CELL, "37.0") in cells  # escaped, shown as text
    html = index_page["out"].read_text(encoding="utf-8")
    assert XSS_CELL not in html
    assert page.tags["script"] == 1


def test_failed_dataset_not_in_comparisons(index_page):
    # lab_d has no potentials; the comparison CSV holds only the three others
    out = index_page["out"]
    across = pd.read_csv(out.parent / "index_across_datasets.csv")
    assert "lab_d" not in across.columns
    assert {"lab_a", "lab_b", "lab_c"} <= set(across.columns)


def test_bad_status_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="status 'done'"):
        render_index(
            entries=[
                {
                    "dataset": "x",
                    "status": "done",
                    "results_dir": str(tmp_path),
                    "report_href": "x.html",
                }
            ],
            output=tmp_path / "index.html",
        )


def test_empty_index_renders(tmp_path):
    out = tmp_path / "index.html"
    render_index(entries=[], output=out)
    assert "No dataset produced results to compare" in out.read_text(encoding="utf-8")


def test_ion_columns_in_physiological_order(index_page):
    keys = index_page["page"].tables["cell-types"]["keys"]
    ions = [k.removeprefix("E_") for k in keys if k.startswith("E_")]
    assert ions == ["K+", "Na+", "Cl-", "Ca2+"]
    assert {"vm_mV", "vm_ghk_mV", "net_flux"} <= set(keys)


def test_ghk_and_directions_per_cell_type(index_page):
    page, a = index_page["page"], index_page["a"]
    rec = next(
        r for r in page.records("cell-types") if r["cell_type"]["v"] == "frog muscle"
    )
    smp = pd.read_parquet(a / "samples.parquet")
    ghk = smp.loc[smp["cell_type"] == "frog muscle", "vm_ghk_mV"].mean()
    assert float(rec["vm_ghk_mV"]["value"]) == pytest.approx(ghk, rel=1e-12)
    assert rec["net_flux"]["v"].startswith("K+ ")
    assert "Na+ influx" in rec["net_flux"]["v"]  # -70 mV against E_Na ~ +60 mV


def test_across_datasets_only_where_two_datasets_measured(index_page):
    page = index_page["page"]
    recs = page.records("across-datasets")
    assert recs
    assert all(r["n_datasets"]["v"] == "2" for r in recs)
    assert {r["cell_type"]["v"] for r in recs} == {"squid axon"}
    assert "lab_c" not in page.tables["across-datasets"]["keys"]  # not shared
    across = pd.read_csv(index_page["out"].parent / "index_across_datasets.csv")
    single = across[across["n_datasets"] == 1]
    assert len(single)
    assert single["spread_mV"].isna().all()
    assert single["sd_mV"].isna().all()  # no spread of 0.00 for one dataset
    ions = [r["ion"]["v"] for r in recs]
    assert ions == ["K+", "Na+", "Cl-", "Ca2+", "Vm (measured)"]


def test_cross_dataset_figure_is_horizontal_with_temperatures(index_page):
    html = index_page["out"].read_text(encoding="utf-8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", html)
    assert "lab_a · squid axon · 18.0 °C" in texts
    assert "lab_a · frog muscle · 20.0 °C" in texts
    assert "lab_b · squid axon · 18.0 °C" in texts
    svg = html[html.index('id="plot-index-ladder"') :]
    width = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))
    assert width / 72 >= 11  # the page's width, [in]


def test_index_leaves_out_samples_not_ok(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 3)])
    smp = pd.read_parquet(res / "samples.parquet")
    smp["sample_complete"] = smp["sample_id"] != "s1"
    smp.to_parquet(res / "samples.parquet", index=False)
    pot = pd.read_parquet(res / "potentials.parquet")
    pot.loc[pot["sample_id"] == "s1", "E_act_mV"] = 999.0
    pot.to_parquet(res / "potentials.parquet", index=False)
    out = tmp_path / "reports" / "index.html"
    entry = {"dataset": "d", "status": "ok", "results_dir": str(res)}
    render_index(entries=[{**entry, "report_href": "d.html"}], output=out)
    rec = parse_page(out).records("cell-types")[0]
    kept = pot[(pot["sample_id"] != "s1") & (pot["ion"] == "K+")]["E_act_mV"]
    assert float(rec["E_K+"]["value"]) == pytest.approx(kept.mean(), rel=1e-12)
