"""Reruns users can explain, checked with ``snakemake --dry-run`` on a finished tree.

- a byte-identical rewrite of an input (new mtime, same content) reruns nothing;
- changing one dataset's file reruns that dataset's jobs and the index only;
- changing an activity setting reruns the computations that use it and what depends on
  them, never validation; a Donnan setting reruns compute_samples onwards only.
"""

from __future__ import annotations

import os
import time

import yaml
from smk_helpers import planned_jobs, snakemake

PER_DATASET = {
    "validate_dataset",
    "compute_potentials",
    "compute_samples",
    "write_provenance",
    "render_dataset_report",
}


def dry_run(workdir, *args):
    run = snakemake(workdir, "--dry-run", *args)
    assert run.returncode == 0, run.output
    return run, planned_jobs(run.output)


def test_finished_tree_has_nothing_to_do(clean_workdir):
    run, jobs = dry_run(clean_workdir)
    assert jobs == set(), run.output
    assert "Nothing to be done" in run.output


def test_byte_identical_rewrite_reruns_nothing(clean_workdir):
    raw = clean_workdir / "data" / "raw" / "squid_giant_axon.csv"
    content = raw.read_bytes()
    time.sleep(1.1)  # a strictly newer mtime than every output
    raw.write_bytes(content)
    later = time.time() + 5
    os.utime(raw, (later, later))
    run, jobs = dry_run(clean_workdir)
    assert jobs == set(), run.output


def test_changing_one_dataset_reruns_only_its_jobs_and_the_index(clean_workdir):
    raw = clean_workdir / "data" / "raw" / "frog_skeletal_muscle.csv"
    original = raw.read_bytes()
    try:
        raw.write_bytes(original.replace(b"124,2.25", b"125,2.25"))
        run, jobs = dry_run(clean_workdir)
    finally:
        raw.write_bytes(original)
    expected = {(rule, "frog_skeletal_muscle") for rule in PER_DATASET}
    expected |= {("render_index", None), ("all", None)}
    assert jobs == expected, run.output


def _dry_run_with(clean_workdir, change):
    cfg_path = clean_workdir / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    change(cfg)
    alt = clean_workdir / "config" / "alternative.yaml"
    alt.write_text(yaml.safe_dump(cfg))
    try:
        return dry_run(clean_workdir, "--configfile", "config/alternative.yaml")
    finally:
        alt.unlink()


def test_changing_the_activity_model_reruns_computations_not_validation(
    clean_workdir,
):
    def change(cfg):
        cfg["activity"]["model"] = "davies"

    run, jobs = _dry_run_with(clean_workdir, change)
    rules = {rule for rule, _ in jobs}
    assert "validate_dataset" not in rules, run.output
    assert "compute_potentials" in rules
    assert "Params have changed since last execution" in run.output
    datasets = {d for rule, d in jobs if rule == "compute_potentials"}
    assert len(datasets) == 8  # the example datasets


def test_changing_a_donnan_setting_reruns_from_compute_samples(clean_workdir):
    def change(cfg):
        cfg["donnan"]["activity_model"] = "davies"

    run, jobs = _dry_run_with(clean_workdir, change)
    rules = {rule for rule, _ in jobs}
    assert "validate_dataset" not in rules, run.output
    assert "compute_potentials" not in rules, run.output
    assert {"compute_samples", "write_provenance", "render_index"} <= rules


def test_params_are_canonical_across_key_order(clean_workdir):
    # The same settings written in another key order change nothing.
    def change(cfg):
        cfg["ghk"]["default_permeability"] = dict(
            reversed(list(cfg["ghk"]["default_permeability"].items()))
        )
        cfg["activity"] = dict(reversed(list(cfg["activity"].items())))

    run, jobs = _dry_run_with(clean_workdir, change)
    assert jobs == set(), run.output


def test_snakemake_lint_is_clean(clean_workdir):
    run = snakemake(clean_workdir, "--lint")
    assert run.returncode == 0, run.output
    assert "Congratulations, your workflow is in a good condition!" in run.output


def test_snakefmt_check_passes():
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    snakefmt = Path(sys.executable).with_name("snakefmt")
    proc = subprocess.run(
        [str(snakefmt), "--check", "Snakefile", "workflow/rules"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
