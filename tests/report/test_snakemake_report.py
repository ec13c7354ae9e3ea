"""The workflow's own output: one full run on the example data, then
``snakemake --report report.zip``, which must succeed and contain every output marked
with ``report()`` and its caption; and the real reports must agree with the real
results files."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pagedata import parse_page

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "workflow"))
from smk_helpers import copy_workflow, snakemake  # noqa: E402

pytestmark = pytest.mark.slow

#: Files ``render_dataset_report`` writes for every dataset, marked with report().
PER_DATASET = (
    "{d}.html",
    "{d}_potentials.csv",
    "{d}_summary.csv",
    "{d}_samples.csv",
    "{d}_ladder.svg",
    "{d}_temperature.svg",
    "{d}_activity.svg",
    "{d}_donnan.svg",
    "{d}_ghk.svg",
)
CAPTIONS = REPO / "workflow" / "report"


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("smk") / "repo")
    run = snakemake(workdir)
    assert run.returncode == 0, run.output[-3000:]
    datasets = sorted(p.name for p in (workdir / "results").iterdir() if p.is_dir())
    assert len(datasets) >= 7
    report = snakemake(workdir, "--report", "report.zip")
    assert report.returncode == 0, report.output[-3000:]
    return workdir, datasets


def test_report_zip_holds_every_captioned_output(example_run):
    workdir, datasets = example_run
    with zipfile.ZipFile(workdir / "report.zip") as zf:
        names = zf.namelist()
        main = next(n for n in names if n.endswith("report/report.html"))
        page = zf.read(main).decode("utf-8").replace("\\n", " ")
    base = {Path(n).name for n in names}
    for d in datasets:
        for pattern in PER_DATASET:
            assert pattern.format(d=d) in base
    assert sum(Path(n).name == "rejected.csv" for n in names) == len(datasets)
    assert {"index.html", "index_across_datasets.csv"} <= base
    # every caption is rendered, with its dataset filled in
    per_dataset_captions = 0
    for rst in sorted(CAPTIONS.glob("*.rst")):
        text = " ".join(rst.read_text(encoding="utf-8").split())
        if rst.name == "workflow.rst":
            assert "iongrad turns lab ion-concentration tables" in page
            continue
        if "snakemake.wildcards.dataset" in text:
            prefix = text.split("**{{")[0]
            for d in datasets:
                assert f"{prefix}<strong>{d}</strong>" in page, (rst.name, d)
            per_dataset_captions += 1
        else:
            assert text.split(":")[0] in page, rst.name
    assert per_dataset_captions == len(PER_DATASET) + 1  # + rejected.csv


def test_real_report_matches_real_results(example_run):
    workdir, datasets = example_run
    for d in datasets:
        results = workdir / "results" / d
        page = parse_page(workdir / "reports" / f"{d}.html")
        pot = pd.read_parquet(results / "potentials.parquet")
        recs = page.records("potentials")
        assert len(recs) == min(len(pot), 300)
        # driving forces only where a Vm was measured (said once, not per row)
        has_vm = bool(pot["vm_mV"].notna().any())
        assert ("driving_force_mV" in page.tables["potentials"]["keys"]) is has_vm
        keys = ("E_conc_mV", "E_act_mV") + (("driving_force_mV",) if has_vm else ())
        for rec, (_, row) in zip(recs, pot.iterrows(), strict=False):
            assert rec["sample_id"]["v"] == str(row["sample_id"])
            assert rec["ion"]["v"] == str(row["ion"])
            for key in keys:
                exact = float(row[key])
                if pd.isna(exact):
                    assert rec[key]["value"] == ""
                else:
                    assert float(rec[key]["value"]) == exact
        val = json.loads((results / "validation.json").read_text())
        assert page.ids["rows-accepted"] == str(val["rows_accepted"])
        assert page.ids["rows-rejected"] == str(val["rows_rejected"])
    index = parse_page(workdir / "reports" / "index.html")
    shown = {r["dataset"]["v"]: r["status"]["v"] for r in index.records("datasets")}
    assert sorted(shown) == datasets
    assert set(shown.values()) <= {"ok", "warnings"}
    links = {f"{d}.html" for d in datasets}
    assert links <= set(index.links)
    # the squid K+ potential the workflow tests pin (-75.7 mV, 400/20 mM at 20 degC)
    squid = parse_page(workdir / "reports" / "squid_giant_axon.html")
    e_k = [
        float(r["E_conc_mV"]["value"])
        for r in squid.records("potentials")
        if r["ion"]["v"] == "K+" and r["c_in_mM"]["v"] == "400 mM"
    ]
    assert e_k
    assert e_k[0] == pytest.approx(-75.7, abs=0.05)
