"""A dataset's read options in config (#18): schema-checked, resolved, and carried
to the validation job (per dataset and batched)."""

from __future__ import annotations

import pytest
from smk_helpers import validate_cells

from iongrad.pipeline import config as cfgmod

TABLE = (
    "sample_id;cell_type;temperature_C;ion;c_in_uM;c_out_mM\n"
    "s1;neuron;37;K+;140.000;5\n"
)
STATED = {"decimal": ",", "thousands": "."}


def _read_keys(cfg, name):
    """The dataset's own read keys (read_settings also carries the config's
    solution names to every dataset)."""
    out = cfgmod.read_settings(cfg, name)
    out.pop("solution_names", None)
    return out


def _resolve(**entry):
    return cfgmod.resolve({"datasets": {"cells": {"path": "cells.xlsx", **entry}}})


def test_read_keys_are_resolved_and_carried():
    cfg = _resolve(sheet="Run 1", header_row=3, units_row=4, skip_rows=[30])
    assert _read_keys(cfg, "cells") == {
        "header_row": 3, "sheet": "Run 1", "skip_rows": [30], "units_row": 4
    }  # fmt: skip
    assert _read_keys(_resolve(), "cells") == {}
    # the dataset's provenance and report see them too
    assert cfgmod.dataset_settings(cfg, "cells")["dataset"]["sheet"] == "Run 1"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"header_row": 0}, "datasets/cells/header_row"),
        ({"header_row": "two"}, "datasets/cells/header_row"),
        ({"units_row": 1}, "datasets/cells/units_row"),
        ({"skip_rows": [3, 3]}, "datasets/cells/skip_rows"),
        ({"skip_rows": 3}, "datasets/cells/skip_rows"),
        ({"sheet": ""}, "datasets/cells/sheet"),
        ({"sheets": "every"}, "datasets/cells/sheets"),
        ({"sheets": []}, "datasets/cells/sheets"),
        ({"sheetname": "A"}, "sheetname"),
        ({"header_row": 5, "units_row": 4}, "units_row 4 must be below header_row 5"),
    ],
)
def test_bad_read_keys_are_refused_naming_the_key(entry, words):
    with pytest.raises(cfgmod.ConfigError, match=words):
        _resolve(**entry)


@pytest.mark.parametrize("batched", [False, True])
def test_read_options_reach_the_gate(tmp_path, batched):
    raw = tmp_path / "cells.csv"
    raw.write_text(TABLE)
    options = {"number_format": STATED}
    report = validate_cells(raw, tmp_path, options, batched)
    assert report["ok"], report["failures"]


def _workbook(path, sheets):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return str(path)


DATA = [["sample_id", "cell_type", "temperature_C", "K_in_mM", "K_out_mM"],
        ["s1", "neuron", 37, 140, 5]]  # fmt: skip


def test_sheets_all_makes_one_dataset_per_sheet_with_data(tmp_path):
    sheets = {"Run 1": DATA, "Run-2": DATA, "Empty": [], "notes": [["x"]]}
    path = _workbook(tmp_path / "runs.xlsx", sheets)
    entry = {"path": path, "sheets": "all", "validation_mode": "lenient"}
    cfg = cfgmod.resolve({"datasets": {"runs": entry}})
    assert sorted(cfg["datasets"]) == ["runs__Run-2", "runs__Run_1", "runs__notes"]
    assert cfg["datasets"]["runs__Run_1"] == {
        "path": path, "sheet": "Run 1", "validation_mode": "lenient"
    }  # fmt: skip
    assert _read_keys(cfg, "runs__Run_1") == {"sheet": "Run 1"}
    listed = cfgmod.resolve({"datasets": {"runs": {"path": path,
                                                   "sheets": ["Run-2"]}}})  # fmt: skip
    assert list(listed["datasets"]) == ["runs__Run-2"]


@pytest.mark.parametrize(
    ("sheets", "entry", "words"),
    [
        ({"Run 1": DATA, "Run_1": DATA}, {"sheets": "all"},
         "sheets 'Run 1' and 'Run_1' both give the dataset name 'runs__Run_1'"),
        ({"Run 1": DATA}, {"sheets": ["Run 9"]}, "no sheet 'Run 9'"),
        ({"Run 1": DATA}, {"sheets": "all", "sheet": "Run 1"}, "not both"),
    ],
)  # fmt: skip
def test_sheet_datasets_that_cannot_be_made_are_refused(tmp_path, sheets, entry, words):
    path = _workbook(tmp_path / "runs.xlsx", sheets)
    with pytest.raises(cfgmod.ConfigError, match=words):
        cfgmod.resolve({"datasets": {"runs": {"path": path, **entry}}})


def test_sheets_of_a_missing_workbook_are_refused(tmp_path):
    with pytest.raises(cfgmod.ConfigError, match=r"datasets/runs/sheets.*no such file"):
        cfgmod.resolve({"datasets": {"runs": {"path": str(tmp_path / "x.xlsx"),
                                              "sheets": "all"}}})  # fmt: skip
