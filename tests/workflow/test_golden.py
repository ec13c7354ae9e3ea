"""The example data gives the recorded outputs (tests/data/golden), value for value."""

from __future__ import annotations

import pytest
from golden import assert_reproduced
from smk_helpers import copy_workflow, snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """A run on exactly the example data (the shared run adds a failing dataset)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("golden") / "repo")
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    return workdir


def test_every_recorded_output_is_reproduced(example_run):
    assert_reproduced(example_run)
