"""Snakemake helpers shared by the workflow tests (run, parse dry runs, copy)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
#: A dataset added to the shared run that fails strict validation on purpose.
BAD_DATASET = "bad_strict"
#: What a workflow run may take at most here (seconds).
RUN_TIMEOUT_S = 240
#: First in PATH for local runs: a `scontrol` that fails at once (see its comment).
STUBS = REPO / "tests" / "stubs"


def local_env() -> dict[str, str]:
    """Environment for a local Snakemake run: the venv's tools, then the stubs."""
    path = f"{Path(sys.executable).parent}:{STUBS}:{os.environ['PATH']}"
    return {**os.environ, "PATH": path}


@dataclass
class Run:
    """A finished Snakemake invocation."""

    returncode: int
    output: str


def snakemake_command(*args: str) -> list[str]:
    """The command line of a local run with the default profile."""
    profile = ["--workflow-profile", "workflow/profiles/default"]
    return [SNAKEMAKE, "--cores", "2", *profile, *args]


def snakemake(
    workdir: Path,
    *args: str,
    timeout: int = RUN_TIMEOUT_S,
    preexec_fn: Callable[[], None] | None = None,
) -> Run:
    """Run Snakemake with the default profile in ``workdir`` (stdout + stderr).

    ``preexec_fn`` runs in the child before Snakemake starts (a umask, dropped
    privileges).
    """
    proc = subprocess.run(
        snakemake_command(*args),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=local_env(),
        check=False,
        preexec_fn=preexec_fn,
    )
    return Run(proc.returncode, proc.stdout + proc.stderr)


def planned_jobs(output: str) -> set[tuple[str, str | None]]:
    """(rule, dataset) of every job a ``--dry-run`` output lists."""
    jobs, rule, dataset = set(), None, None
    for line in output.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m:
            if rule is not None:
                jobs.add((rule, dataset))
            rule, dataset = m.group(1), None
            continue
        m = re.match(r"^wildcards: dataset=([A-Za-z0-9_-]+)$", line.strip())
        if m and rule is not None:
            dataset = m.group(1)
    if rule is not None:
        jobs.add((rule, dataset))
    return jobs


def copy_workflow(dest: Path) -> Path:
    """Copy what a user's checkout needs to run the workflow into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "Snakefile", dest / "Snakefile")
    for folder in ("workflow", "config", "schemas", "data"):
        shutil.copytree(
            REPO / folder,
            dest / folder,
            ignore=shutil.ignore_patterns("__pycache__", ".snakemake"),
        )
    return dest


def validate_cells(raw: Path, tmp_path: Path, options: dict, batched: bool) -> dict:
    """Validate ``raw`` as dataset "cells" with its read ``options``, through the
    per-dataset job or a batch of one; the validation.json written."""
    import json

    from iongrad.pipeline.batch import validate_batch
    from iongrad.pipeline.jobs import validate_job

    out = tmp_path / "results" / "cells"
    paths = {
        "validation_json": str(out / "validation.json"),
        "rejected_csv": str(out / "rejected.csv"),
        "measurements": str(out / "measurements.parquet"),
    }
    if batched:
        validate_batch(
            datasets=["cells"], raw=[str(raw)], modes={"cells": "strict"},
            logs=[str(tmp_path / "v.log")], read_options={"cells": options},
            **{k: [v] for k, v in paths.items()},
        )  # fmt: skip
    else:
        validate_job(raw=str(raw), dataset="cells", mode="strict",
                     read_options=options, **paths)  # fmt: skip
    return json.loads(Path(paths["validation_json"]).read_text())
