"""The example data gives the recorded outputs (tests/data/golden), value for value."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from golden import GOLDEN, snapshot
from smk_helpers import copy_workflow, snakemake

pytestmark = pytest.mark.slow

#: Relative tolerance for floats: refactoring may reorder a sum, never change a value.
RTOL = 1e-9


def _approx(expected):
    if isinstance(expected, float):
        return pytest.approx(expected, rel=RTOL, nan_ok=True)
    if isinstance(expected, dict):
        return {k: _approx(v) for k, v in expected.items()}
    if isinstance(expected, list):
        return [_approx(v) for v in expected]
    return expected


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """A run on exactly the example data (the shared run adds a failing dataset)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("golden") / "repo")
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    return workdir


def test_every_recorded_output_is_reproduced(example_run):
    actual = snapshot(example_run)
    recorded = {p.name: p.read_text() for p in GOLDEN.iterdir()}
    assert sorted(actual) == sorted(recorded)
    for name, text in recorded.items():
        if name.endswith(".json"):
            assert json.loads(actual[name]) == _approx(json.loads(text)), name
        else:
            exp = pd.read_csv(io.StringIO(text), keep_default_na=False)
            got = pd.read_csv(io.StringIO(actual[name]), keep_default_na=False)
            pd.testing.assert_frame_equal(got, exp, rtol=RTOL, obj=name)
