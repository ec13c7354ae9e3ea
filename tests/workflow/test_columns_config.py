"""A columns mapping in config (#18 item 4): schema-checked with the closest name
for a misspelling, the top-level mapping under each dataset's own, carried to the
validation job and recorded in provenance and validation.json."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml
from smk_helpers import copy_workflow, snakemake, validate_cells

from iongrad.gate.headers import _FIELD_ALIASES, SIDE_WORDS
from iongrad.pipeline import config as cfgmod
from iongrad.pipeline.provenance import build_provenance

TABLE = (
    "Probe,Zelltyp,Temperatur,Kalium innen,Kalium aussen,Notiz\ns1,neuron,37,140,5,ok\n"
)
OWN = {
    "Probe": {"column": "sample_id"},
    "Zelltyp": {"column": "cell_type"},
    "Temperatur": {"column": "temperature", "unit": "degC"},
    "Kalium innen": {"ion": "K+", "side": "in", "unit": "mM"},
    "Kalium aussen": {"ion": "K+", "side": "out", "unit": "mM"},
}


def _resolve(columns=None, default=None, path="cells.csv"):
    entry = {"path": path}
    if columns is not None:
        entry["columns"] = columns
    config = {"datasets": {"cells": entry}}
    if default is not None:
        config["columns"] = default
    return cfgmod.resolve(config)


def test_a_datasets_mapping_is_resolved_and_carried():
    cfg = _resolve(OWN)
    assert cfgmod.read_settings(cfg, "cells")["columns"] == cfgmod._sorted(OWN)


def test_the_top_level_mapping_goes_under_each_datasets_own():
    default = {"Notiz": "ignore", "Probe": {"column": "dataset"}, "Cell": {
        "column": "cell_type"}}  # fmt: skip
    cfg = _resolve({"Probe": {"column": "sample_id"}}, default)
    assert cfg["datasets"]["cells"]["columns"] == {
        "Cell": {"column": "cell_type", "required": False},
        "Notiz": "ignore",
        "Probe": {"column": "sample_id"},  # the dataset's own wins
    }
    assert cfg["columns"] == cfgmod._sorted(default)


@pytest.mark.parametrize("batched", [False, True])
def test_the_mapping_reaches_the_gate_and_validation_json(tmp_path, batched):
    raw = tmp_path / "cells.csv"
    raw.write_text(TABLE, encoding="utf-8")
    # Notiz and an absent header come from the top-level mapping: no error
    default = {"Notiz": "ignore", "Vm (mV)": {"column": "vm"}}
    cfg = _resolve(OWN, default, str(raw))
    options = cfgmod.read_settings(cfg, "cells")
    report = validate_cells(raw, tmp_path, options, batched)
    assert report["ok"], report["failures"]
    assert report["warnings"] == 0
    record = report["input"]["columns"]
    assert record["Kalium aussen"]["side"] == "out"
    assert record["Vm (mV)"]["in_file"] is False


def test_provenance_records_the_mapping_used(tmp_path):
    raw = tmp_path / "cells.csv"
    raw.write_text(TABLE, encoding="utf-8")
    cfg = _resolve(OWN, {"Notiz": "ignore"}, str(raw))
    settings = cfgmod.dataset_settings(cfg, "cells")
    record = build_provenance(dataset="cells", inputs={"table": raw}, settings=settings)
    assert record["columns"]["Kalium innen"] == {
        "ion": "K+",
        "side": "in",
        "unit": "mM",
    }
    assert record["columns"]["Notiz"] == "ignore"
    assert build_provenance(
        dataset="cells", inputs={"table": raw},
        settings=cfgmod.dataset_settings(_resolve(path=str(raw)), "cells"),
    )["columns"] == {}  # fmt: skip


@pytest.mark.parametrize(
    ("columns", "words"),
    [
        ({"Cell": {"column": "cel_type"}},
         r"config key datasets/cells/columns/Cell/column: 'cel_type' is not one of "
         r".*; did you mean cell_type\?"),
        ({"[K+]i": {"ion": "K+", "side": "insde"}},
         r"datasets/cells/columns/\[K\+\]i/side: .*did you mean inside"),
        ({"Cell": {"colum": "cell_type"}},
         r"datasets/cells/columns/Cell: .*'colum' was unexpected.*did you mean "
         r"column\?"),
        ({"Cell": "ignor"}, r"datasets/cells/columns/Cell: 'ignor' does not match"),
        ({"[K+]i": {"ion": "Pottasium", "side": "in"}},
         r"config key datasets/cells/columns/\[K\+\]i: unknown ion 'Pottasium'; "
         r"did you mean K\+"),
        ({"[K+]i": {"ion": "K+"}}, r"datasets/cells/columns/\[K\+\]i: K\+ on which "
         r"side\?"),
        ({"T": {"column": "temperature", "unit": "F"}},
         r"datasets/cells/columns/T: unknown temperature unit 'F'"),
    ],
)  # fmt: skip
def test_an_unusable_mapping_is_refused_naming_key_and_closest(columns, words):
    with pytest.raises(cfgmod.ConfigError, match=words):
        _resolve(columns)


def test_an_unusable_top_level_mapping_names_its_key():
    with pytest.raises(cfgmod.ConfigError, match=r"config key columns/Cell/column"):
        _resolve(default={"Cell": {"column": "celltype"}})
    with pytest.raises(cfgmod.ConfigError, match=r"config key columns/X: unknown ion"):
        _resolve(default={"X": {"ion": "Xq", "side": "in"}})


def test_the_schema_lists_the_gates_columns_and_sides():
    entry = cfgmod.schema()["$defs"]["columns"]["additionalProperties"]
    assert entry["properties"]["column"]["enum"] == list(_FIELD_ALIASES)
    sides = [word for words in SIDE_WORDS.values() for word in words]
    assert entry["properties"]["side"]["enum"] == sides


@pytest.mark.slow
def test_a_workflow_run_reads_the_headers_as_mapped(tmp_path):
    work = copy_workflow(tmp_path / "repo")
    raw = work / "data" / "mine" / "cells.csv"
    raw.parent.mkdir()
    raw.write_text(TABLE, encoding="utf-8")
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    config["columns"] = {"Notiz": "ignore"}
    config["datasets"] = {"cells": {"path": "data/mine/cells.csv", "columns": OWN}}
    config["reports"] = {"enabled": False}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(work)
    assert run.returncode == 0, run.output
    results = work / "results" / "cells"
    pot = pd.read_parquet(results / "potentials.parquet")
    # 140 mM inside, 5 mM outside at 37 degC: RT/F ln(5/140) = -89.0 mV
    e_k = pot.set_index("ion").E_conc_mV["K+"]
    assert math.isclose(e_k, 26.7257 * math.log(5 / 140), rel_tol=1e-3)
    provenance = json.loads((results / "provenance.json").read_text())
    assert provenance["columns"]["Notiz"] == "ignore"
    assert provenance["columns"]["Kalium innen"]["ion"] == "K+"
    report = json.loads((results / "validation.json").read_text())
    assert report["warnings"] == 0
