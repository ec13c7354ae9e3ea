"""A workbook in raw_dir runs through the workflow like a CSV (#18).

The sheet has a title above the header, units in a second header row and a computed
cell (a formula with its cached value); the run discovers it, validates it strictly
and computes its potentials; validation.json says how it was read.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml
from smk_helpers import copy_workflow, snakemake


def _workbook(path):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Run 1")
    sheet.write_row(0, 0, ["Cortical neurons, whole-cell, 2024"])
    sheet.write_row(2, 0, ["sample_id", "cell_type", "Temp", "K_in", "K_out",
                           "Na_in", "Na_out", "Cl_in", "Cl_out"])  # fmt: skip
    sheet.write_row(3, 0, ["", "", "°C", "mM", "mM", "mM", "mM", "mM", "mM"])
    sheet.write_row(4, 0, ["n1", "neuron", 37, 140, 5, 12, 145, 7, 150])
    sheet.write_formula(4, 4, "=10/2", None, 5)  # K_out computed: 5 mM
    book.close()


@pytest.mark.slow
def test_a_workbook_in_raw_dir_runs_through_the_workflow(tmp_path):
    work = copy_workflow(tmp_path / "repo")
    raw = work / "data" / "mine"
    raw.mkdir()
    _workbook(raw / "cortex.xlsx")
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    config.update(raw_dir="data/mine", datasets={}, reports={"enabled": False})
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(work)
    assert run.returncode == 0, run.output
    report = json.loads((work / "results" / "cortex" / "validation.json").read_text())
    assert report["ok"], report["failures"]
    reading = report["reading"]
    assert (reading["format"], reading["sheet"]) == ("xlsx", "Run 1")
    assert (reading["header_row"], reading["units_row"]) == (3, 4)
    pot = pd.read_parquet(work / "results" / "cortex" / "potentials.parquet")
    assert pot.source_row.tolist() == [5, 5, 5]
    e_k = pot.set_index("ion").E_conc_mV["K+"]
    # 140 mM inside, 5 mM outside at 37 degC: RT/F ln(5/140) = -89.0 mV
    assert math.isclose(e_k, 26.7257 * math.log(5 / 140), rel_tol=1e-3)
