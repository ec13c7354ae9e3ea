"""Batched mode (config ``batch_size`` > 1): same files, one job per batch.

One run on the example data plus the dataset that fails strict validation, with
``batch_size: 3`` written into the copy's config/config.yaml as a user would:

- the plan is one job per batch, plus the index and the resolved config;
- every result file of a dataset computed in both modes is byte-identical to the
  per-dataset run (the shared ``workflow_run``) and the provenance records the same
  inputs, outputs and settings;
- the failing dataset fails its batch's job (named in the error and its log),
  ``--keep-going`` completes the other batches, no file of the failed batch survives,
  and the index marks those datasets failed;
- reruns: a finished tree has nothing to do; changing one table reruns its batch and
  the index only; an activity setting reruns every batch, saying why.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from smk_helpers import BAD_DATASET, REPO, copy_workflow, snakemake

from iongrad.pipeline.config import batches, discover_datasets

BATCH_SIZE = 3
RESULT_FILES = (
    "measurements.parquet",
    "validation.json",
    "rejected.csv",
    "potentials.parquet",
    "temperature_scan.parquet",
    "samples.parquet",
    "donnan.parquet",
)
REPORT_TABLES = ("potentials.csv", "summary.csv", "samples.csv")


def rules_of(output: str) -> list[str]:
    """Rule names of the jobs a dry run lists (one entry per job)."""
    return [
        line.strip()[len("rule ") : -1]
        for line in output.splitlines()
        if line.strip().startswith(("rule ", "localrule ")) and line.strip()[-1] == ":"
    ]


def set_config(workdir, **changes):
    path = workdir / "config" / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        node = cfg
        *parents, last = key.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    path.write_text(yaml.safe_dump(cfg))


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    """(workdir, plan before the run, the run) of a batched run with a bad dataset."""
    workdir = copy_workflow(tmp_path_factory.mktemp("batched") / "repo")
    raw = workdir / "data" / "raw"
    shutil.copy2(raw / "human_red_blood_cell.csv", raw / f"{BAD_DATASET}.csv")
    set_config(workdir, batch_size=BATCH_SIZE)
    plan = snakemake(workdir, "--dry-run")
    assert plan.returncode == 0, plan.output
    return workdir, plan, snakemake(workdir)


def members(raw=REPO / "data" / "raw", extra=(BAD_DATASET,)):
    """The batches of the tables in ``raw`` plus ``extra`` names, in name order."""
    names = {n: {} for n in [*discover_datasets(raw), *extra]}  # as resolved
    return batches({"batch_size": BATCH_SIZE, "datasets": names})


def test_plan_is_one_job_per_batch_plus_the_index(batched):
    _, plan, _ = batched
    groups = members()
    assert len(groups) == 3  # 8 datasets in batches of 3
    others = ["render_index", "write_resolved_config", "all"]
    expected = sorted([f"process_{b}" for b in groups] + others)
    assert sorted(rules_of(plan.output)) == expected, plan.output


def test_batched_workflow_lints_clean(batched):
    workdir, _, _ = batched
    run = snakemake(workdir, "--lint", "--dry-run")
    assert run.returncode == 0, run.output
    assert "batch_size: 3" in (workdir / "results" / "config.resolved.yaml").read_text()


def test_a_failing_dataset_fails_its_batch_and_the_others_complete(batched):
    workdir, _, run = batched
    assert run.returncode != 0, run.output
    failed_batch, *good_batches = members().items()
    assert BAD_DATASET in failed_batch[1]
    assert f"Error in rule process_{failed_batch[0]}" in run.output
    assert BAD_DATASET in run.output
    assert "failed validation in strict mode" in run.output
    log = workdir / "logs" / "compute_potentials" / f"{BAD_DATASET}.log"
    assert "failed validation in strict mode" in log.read_text()
    for name in failed_batch[1]:
        for f in RESULT_FILES:
            path = workdir / "results" / name / f
            assert not path.exists(), f"{name}/{f} survived a failed job"
        assert not list((workdir / "reports").glob(f"{name}.*"))
        assert not list((workdir / "reports").glob(f"{name}_*"))
    for _, names in good_batches:
        for name in names:
            assert (workdir / "reports" / f"{name}.html").is_file()
            assert (workdir / "results" / name / "provenance.json").is_file()
    from iongrad.pipeline import jobs

    entries = jobs.index_entries(
        [n for _, batch in members().items() for n in batch],
        results_root=str(workdir / "results"),
        reports_dir=str(workdir / "reports"),
        logs_root=str(workdir / "logs"),
    )
    status = {e["dataset"]: e["status"] for e in entries}
    problems = {e["dataset"]: e["problem"] for e in entries}  # said when it fails
    assert {status[n] for n in failed_batch[1]} == {"failed"}, problems
    good = {n: status[n] for _, b in good_batches for n in b}
    assert set(good.values()) <= {"ok", "warnings"}, problems
    assert (workdir / "reports" / "index.html").is_file()


def test_results_are_byte_identical_to_the_per_dataset_run(batched, workflow_run):
    workdir, _, _ = batched
    _, *good_batches = members().items()
    names = [n for _, batch in good_batches for n in batch]
    assert names
    for name in names:
        for f in RESULT_FILES:
            a = workdir / "results" / name / f
            b = workflow_run.workdir / "results" / name / f
            assert a.read_bytes() == b.read_bytes(), f"{name}/{f} differs"
        for f in REPORT_TABLES:
            a = workdir / "reports" / f"{name}_{f}"
            b = workflow_run.workdir / "reports" / f"{name}_{f}"
            assert a.read_bytes() == b.read_bytes(), f"{name}_{f} differs"
        prov = [
            json.loads((root / "results" / name / "provenance.json").read_text())
            for root in (workdir, workflow_run.workdir)
        ]
        for key in ("inputs", "outputs", "config", "models", "constants"):
            assert prov[0][key] == prov[1][key], (name, key)


def test_reruns_follow_batches(batched):
    workdir, _, _ = batched
    (workdir / "data" / "raw" / f"{BAD_DATASET}.csv").unlink()
    run = snakemake(workdir)  # batches shift: bad_strict was first in name order
    assert run.returncode == 0, run.output
    dry = snakemake(workdir, "--dry-run")
    assert dry.returncode == 0, dry.output
    assert rules_of(dry.output) == [], dry.output

    current = members(workdir / "data" / "raw", extra=())
    batch = next(b for b, m in current.items() if "squid_giant_axon" in m)
    raw = workdir / "data" / "raw" / "squid_giant_axon.csv"
    original = raw.read_bytes()
    try:
        raw.write_bytes(original.replace(b"400", b"401", 1))
        dry = snakemake(workdir, "--dry-run")
    finally:
        raw.write_bytes(original)
    assert sorted(rules_of(dry.output)) == sorted(
        [f"process_{batch}", "render_index", "all"]
    ), dry.output

    set_config(workdir, **{"activity.model": "davies"})
    dry = snakemake(workdir, "--dry-run")
    assert dry.returncode == 0, dry.output
    assert "Params have changed since last execution" in dry.output
    planned = rules_of(dry.output)
    assert sorted(planned) == sorted(
        [f"process_{b}" for b in current]
        + ["render_index", "write_resolved_config", "all"]
    ), dry.output
