"""Fixtures: one full workflow run on a temporary copy of the repository's workflow.

The run is shared by every test in this folder (workflow test budget: 5 minutes). It
adds one dataset that fails strict validation on purpose (a copy of the red blood cell
table, whose three transcription errors are fatal in strict mode), so the same run
shows the failure behaviour: that dataset fails its own jobs, ``--keep-going`` (set in
the default profile) completes the others, and the index marks it failed.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from smk_helpers import BAD_DATASET, Run, copy_workflow, snakemake


@dataclass
class WorkflowRun:
    """The shared full run, with what it left behind right after it finished."""

    workdir: Path
    run: Run
    index_html: str | None
    entries: list[dict]
    bad_dataset: str = BAD_DATASET


@pytest.fixture(scope="session")
def workflow_run(tmp_path_factory) -> WorkflowRun:
    """A full run on the example data plus one dataset that fails strict validation."""
    from iongrad.pipeline import jobs

    workdir = copy_workflow(tmp_path_factory.mktemp("workflow") / "repo")
    shutil.copy2(
        workdir / "data" / "raw" / "human_red_blood_cell.csv",
        workdir / "data" / "raw" / f"{BAD_DATASET}.csv",
    )
    run = snakemake(workdir)
    index = workdir / "reports" / "index.html"
    names = sorted(p.stem for p in (workdir / "data" / "raw").iterdir())
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        entries = jobs.index_entries(names)
    finally:
        os.chdir(cwd)
    return WorkflowRun(
        workdir, run, index.read_text() if index.is_file() else None, entries
    )


@pytest.fixture(scope="session")
def clean_workdir(workflow_run) -> Path:
    """The same tree after removing the failing dataset and finishing the run.

    The rerun scenarios are dry runs against this state, where every job is done.
    """
    workdir = workflow_run.workdir
    (workdir / "data" / "raw" / f"{BAD_DATASET}.csv").unlink()
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    return workdir
