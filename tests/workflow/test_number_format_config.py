"""A dataset's number format stated in config reaches the gate (#14 item 4).

The gate refuses ``140.000`` in a decimal-comma file as ambiguous and tells the user
to state ``number_format`` for its dataset; these tests show that the config key it
names exists, is validated, and changes how the file is read, in the per-dataset
job, the batched job and a real workflow run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from smk_helpers import copy_workflow, snakemake

from iongrad.pipeline import config as cfgmod
from iongrad.pipeline.batch import validate_batch
from iongrad.pipeline.jobs import validate_job

TABLE = (
    "sample_id;cell_type;temperature_C;ion;c_in_uM;c_out_mM\n"
    "s1;neuron;37;K+;140.000;5\n"
    "s1;neuron;37;Na+;12.000;145\n"
    "s1;neuron;37;Cl-;7.000;150\n"
)
STATED = {"decimal": ",", "thousands": "."}


def _paths(tmp_path, name):
    out = tmp_path / "results" / name
    return {
        "validation_json": str(out / "validation.json"),
        "rejected_csv": str(out / "rejected.csv"),
        "measurements": str(out / "measurements.parquet"),
    }


def test_without_a_stated_format_the_cell_is_ambiguous(tmp_path):
    raw = tmp_path / "cells.csv"
    raw.write_text(TABLE)
    paths = _paths(tmp_path, "cells")
    validate_job(raw=str(raw), dataset="cells", mode="strict", **paths)
    report = json.loads(Path(paths["validation_json"]).read_text())
    assert not report["ok"]
    assert {f["rule"] for f in report["failures"]} == {"ambiguous_number"}


@pytest.mark.parametrize("batched", [False, True])
def test_a_stated_format_is_applied_to_the_whole_file(tmp_path, batched):
    raw = tmp_path / "cells.csv"
    raw.write_text(TABLE)
    paths = _paths(tmp_path, "cells")
    if batched:
        validate_batch(
            datasets=["cells"],
            raw=[str(raw)],
            modes={"cells": "strict"},
            logs=[str(tmp_path / "v.log")],
            number_formats={"cells": STATED},
            **{k: [v] for k, v in paths.items()},
        )
    else:
        validate_job(
            raw=str(raw), dataset="cells", mode="strict", number_format=STATED, **paths
        )
    report = json.loads(Path(paths["validation_json"]).read_text())
    assert report["ok"], report["failures"]
    accepted = pd.read_parquet(paths["measurements"])
    assert accepted.set_index("ion").c_in_mM.to_dict() == {
        "K+": 140.0,
        "Na+": 12.0,
        "Cl-": 7.0,
    }


def test_the_config_key_is_validated(tmp_path):
    raw = tmp_path / "cells.csv"
    raw.write_text(TABLE)
    cfg = cfgmod.resolve(
        {"datasets": {"cells": {"path": str(raw), "number_format": STATED}}}
    )
    assert cfg["datasets"]["cells"]["number_format"] == STATED
    with pytest.raises(cfgmod.ConfigError):
        cfgmod.resolve(
            {"datasets": {"cells": {"path": str(raw), "number_format": {"sep": ","}}}}
        )


@pytest.mark.slow
def test_a_workflow_run_reads_the_file_as_stated(tmp_path):
    work = copy_workflow(tmp_path / "repo")
    raw = work / "data" / "mine" / "cells.csv"
    raw.parent.mkdir()
    raw.write_text(TABLE)
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    config["datasets"] = {
        "cells": {"path": "data/mine/cells.csv", "number_format": STATED}
    }
    config["reports"] = {"enabled": False}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(work)
    assert run.returncode == 0, run.output
    pot = pd.read_parquet(work / "results" / "cells" / "potentials.parquet")
    e_k = pot.set_index("ion").E_conc_mV["K+"]
    # 140 mM inside, 5 mM outside at 37 degC: RT/F ln(5/140) = -89.0 mV
    assert math.isclose(e_k, 26.7257 * math.log(5 / 140), rel_tol=1e-3)
