"""iongrad on a real one-node SLURM cluster (issue 8), with the shipped profile.

Every Snakemake run is wrapped in ``timeout -k 15 N`` (see ``conftest.run_snakemake``):
a scheduler problem fails the test instead of hanging CI.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from slurm_harness import (
    REPO,
    copy_workflow,
    run_snakemake,
    set_batch_size,
    set_reports,
    slurm_profile,
)

pytestmark = pytest.mark.slow

SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+)")
# Keys of provenance.json that legitimately differ between two runs of the same data:
# when, where (working directory, host) and under which SLURM job it ran.
VOLATILE_KEYS = {"timestamp_utc", "execution"}


def _submissions(output: str) -> list[str]:
    return SUBMITTED.findall(output)


def _strip_volatile(obj):
    if isinstance(obj, dict):
        return {k: _strip_volatile(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [_strip_volatile(v) for v in obj]
    return obj


def _tail(text: str, n: int = 60) -> str:
    return "\n".join(text.splitlines()[-n:])


TOY_SNAKEFILE = """
DATASETS = ["a", "b", "c"]

rule all:
    input:
        expand("results/{d}/job.txt", d=DATASETS),
        "results/oom.txt",

rule first:
    output: "results/{d}/first.txt"
    log: "logs/first/{d}.log"
    group: "dataset"
    shell: "echo $SLURM_JOB_ID > {output}"

rule second:
    input: "results/{d}/first.txt"
    output: "results/{d}/job.txt"
    log: "logs/second/{d}.log"
    group: "dataset"
    shell: "cat {input} > {output}; echo $SLURM_JOB_ID >> {output}"

# Allocates 600 MB with 300 MB granted: SLURM must kill it (cgroup memory limit).
rule oom:
    output: "results/oom.txt"
    log: "logs/oom.log"
    resources: mem_mb=300, runtime=2
    shell:
        "python3 -c 'b = bytearray(600 * 2**20); b[::4096] = b\\"x\\" * len(b[::4096])'"
        " && touch {output}"
"""


def test_toy_batch_is_one_slurm_job_and_memory_overrun_fails_clearly(
    slurm_cluster, tmp_path
):
    """Harness + profile on a tiny workflow: batching and memory enforcement."""
    work = tmp_path / "toy"
    (work / "workflow" / "profiles").mkdir(parents=True)
    (work / "Snakefile").write_text(TOY_SNAKEFILE)
    shutil.copytree(
        REPO / "workflow" / "profiles" / "slurm",
        work / "workflow" / "profiles" / "slurm",
    )
    profile = slurm_profile(work, slurm_cluster.partition)
    run = run_snakemake(
        work,
        "--workflow-profile",
        str(profile),
        "--retries",
        "0",
        timeout_s=240,
        name="toy",
    )
    assert run.returncode == 1, _tail(run.output)
    # The overrun is reported: Snakemake names the failed SLURM job and its log, and
    # the log says that the cgroup's OOM killer struck. (SLURM 22.05 reports the job
    # as OUT_OF_MEMORY when the job step itself is killed, FAILED when a child is.)
    oom = re.search(
        r"Error in rule oom:\n\s+message: SLURM-job '(\d+)' failed, "
        r"SLURM status is: '(OUT_OF_MEMORY|FAILED)'",
        run.output,
    )
    assert oom, _tail(run.output)
    oom_log = work / ".snakemake" / "slurm_logs" / "rule_oom" / f"{oom[1]}.log"
    assert str(oom_log) in run.output
    assert "oom-kill event" in oom_log.read_text()
    assert not (work / "results" / "oom.txt").exists()
    # keep-going (profile): the three datasets completed, all inside one SLURM job
    # (6 rule jobs in 1 submission), which really ran under SLURM.
    job_ids = set()
    for d in ("a", "b", "c"):
        lines = (work / "results" / d / "job.txt").read_text().split()
        assert len(lines) == 2
        assert lines[0] == lines[1]
        assert lines[0].isdigit()
        job_ids.add(lines[0])
    assert len(job_ids) == 1, job_ids
    submitted = _submissions(run.output)
    assert len(submitted) == 2, submitted  # the batch + the oom job
    assert job_ids < set(submitted)
    states = {j["id"]: j["state"] for j in slurm_cluster.jobs()}
    assert states[job_ids.pop()] == "COMPLETED"
    assert states[oom[1]] in {"OUT_OF_MEMORY", "FAILED"}


def _result_files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in (root / "results").rglob("*")
        if p.is_file() and not p.name.endswith(".tmp")
    }


def _assert_same_results(
    local: Path, slurm: Path, config_differs_in: tuple[str, ...] = ()
) -> list[str]:
    """Every result file of the SLURM run equals the local one; returns notes.

    ``config_differs_in``: top-level keys of the resolved config set differently in
    the two runs on purpose (every other key must be equal).
    """
    files = _result_files(local)
    assert files == _result_files(slurm)
    notes = []
    for rel in sorted(files):
        a, b = local / rel, slurm / rel
        if rel.endswith("config.resolved.yaml") and config_differs_in:
            ca, cb = yaml.safe_load(a.read_text()), yaml.safe_load(b.read_text())
            for key in config_differs_in:
                assert ca.pop(key) != cb.pop(key), key
            assert ca == cb, rel
        elif rel.endswith(".parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(a), pd.read_parquet(b), check_exact=True
            )
            if a.read_bytes() != b.read_bytes():
                notes.append(f"{rel}: same table, different bytes")
        elif rel.endswith(".json"):
            ja, jb = json.loads(a.read_text()), json.loads(b.read_text())
            assert _strip_volatile(ja) == _strip_volatile(jb), rel
        else:
            assert a.read_bytes() == b.read_bytes(), rel
    return notes


@pytest.mark.parametrize("batching", ["group", "config"])
def test_example_data_on_slurm_equals_local_run(slurm_cluster, tmp_path, batching):
    """The workflow on the example data through SLURM == a local --cores 2 run.

    Batching of 4 datasets per SLURM job either way: ``group`` packs the per-dataset
    rules with ``--group-components dataset=4``; ``config`` sets ``batch_size: 4`` (one
    validate, compute and report job per batch, in one group), and is compared with
    the local run of the per-dataset rules.
    """
    local = copy_workflow(tmp_path / "local")
    slurm = copy_workflow(tmp_path / "slurm")
    datasets = sorted(p.stem for p in (local / "data" / "raw").iterdir())
    assert len(datasets) >= 5
    # HTML reports off in both runs (test budget: rendering is most of a dataset's
    # time; reports are tested in tests/workflow); every results/ file is compared.
    set_reports(local, enabled=False)
    set_reports(slurm, enabled=False)

    loc = run_snakemake(
        local,
        "--cores", "2",
        "--workflow-profile", "workflow/profiles/default",
        timeout_s=300, name="local",
    )  # fmt: skip
    assert loc.returncode == 0, _tail(loc.output)

    batch = 4
    grouping = ["--group-components", f"dataset={batch}"]
    if batching == "config":
        set_batch_size(slurm, batch)
        grouping = []
    profile = slurm_profile(slurm, slurm_cluster.partition)
    run = run_snakemake(
        slurm,
        "--workflow-profile", str(profile), *grouping,
        timeout_s=600, name="slurm",
    )  # fmt: skip
    assert run.returncode == 0, _tail(run.output)

    # Batching: one SLURM job per `batch` datasets.
    submitted = _submissions(run.output)
    assert len(submitted) == math.ceil(len(datasets) / batch), submitted
    states = {j["id"]: j["state"] for j in slurm_cluster.jobs()}
    assert all(states[j] == "COMPLETED" for j in submitted), states

    # Every dataset's compute jobs ran inside one of those SLURM jobs.
    for ds in datasets:
        prov = json.loads((slurm / "results" / ds / "provenance.json").read_text())
        assert prov["execution"]["slurm_job_id"] in submitted, (ds, prov["execution"])
        local_prov = json.loads(
            (local / "results" / ds / "provenance.json").read_text()
        )
        assert local_prov["execution"]["slurm_job_id"] is None

    # Same numbers, same validation reports, same resolved config.
    differs = ("batch_size",) if batching == "config" else ()
    notes = _assert_same_results(local, slurm, config_differs_in=differs)
    assert not notes, notes

    # Memory hygiene: every job stayed below what it asked for (else OUT_OF_MEMORY).
    peaks = {j: slurm_cluster.job_peak_mem_mb(j) for j in submitted}
    print("SLURM job peaks [MB]:", peaks, f"wall {run.seconds:.0f} s")


def test_strict_failure_fails_its_slurm_job_and_others_complete(
    slurm_cluster, tmp_path
):
    """A table failing strict validation fails its SLURM job; the others finish."""
    work = copy_workflow(tmp_path / "fail", datasets=["squid_giant_axon"])
    raw = work / "data" / "raw"
    good = (raw / "squid_giant_axon.csv").read_text().splitlines()
    # Line 3 (spreadsheet numbering) gets a negative concentration.
    bad = list(good)
    bad[2] = bad[2].replace(",50,440,", ",-50,440,")
    assert bad[2] != good[2]
    (raw / "bad_squid.csv").write_text("\n".join(bad) + "\n")
    set_reports(work, enabled=False)

    profile = slurm_profile(work, slurm_cluster.partition)
    run = run_snakemake(
        work,
        "--workflow-profile", str(profile),
        "--group-components", "dataset=1",
        "--keep-going",
        timeout_s=300, name="fail",
    )  # fmt: skip
    assert run.returncode == 1, _tail(run.output)
    # Snakemake names the failed batch and its SLURM log; SLURM says FAILED; the
    # profile's `retries: 1` resubmitted it once.
    failed = re.findall(
        r"message: Error in group dataset\n\s+log: (\S+/(\d+)\.log)", run.output
    )
    assert len(failed) == 2, _tail(run.output)
    states = {j["id"]: j["state"] for j in slurm_cluster.jobs()}
    for log, job_id in failed:
        assert states[job_id] == "FAILED", states
        assert "bad_squid" in Path(log).read_text()
    submitted = _submissions(run.output)
    good = [j for j in submitted if j not in {job_id for _, job_id in failed}]
    assert len(good) == 1
    assert states[good[0]] == "COMPLETED"
    # The validation summary (file, row, column, value, rule) reached the output.
    assert (
        "data/raw/bad_squid.csv, row 3, column 'c_in_mM': value '-50'" in run.output
    ), _tail(run.output)
    # The good dataset completed; the bad one left no results behind.
    for name in ("potentials.parquet", "samples.parquet", "provenance.json"):
        assert (work / "results" / "squid_giant_axon" / name).is_file()
        assert not (work / "results" / "bad_squid" / name).exists()


def _generated_table(path: Path, n_samples: int) -> Path:
    """A long table, rows sorted by ion (every sample's rows interleave)."""
    ions = {"K+": (140, 4), "Na+": (12, 145), "Cl-": (8, 120), "Ca2+": (1e-4, 2)}
    frames = []
    for ion, (c_in, c_out) in ions.items():
        s = pd.RangeIndex(n_samples)
        frames.append(
            pd.DataFrame(
                {
                    "sample_id": [f"s{i:06d}" for i in s],
                    "cell_type": [f"type_{i % 3}" for i in s],
                    "temperature_C": 20 + (s % 3) * 8.5,
                    "ion": ion,
                    "c_in_mM": c_in * (1 + 0.001 * (s % 97)),
                    "c_out_mM": float(c_out),
                    "vm_mV": -60.0 - (s % 23),
                }
            )
        )
    pd.concat(frames, ignore_index=True).to_parquet(path, index=False)
    return path


def test_partitioned_table_on_slurm_equals_one_job(slurm_cluster, tmp_path):
    """One table in 4 partitions, each part its own SLURM job, gathered into the
    results one job writes (the same table as a second, unpartitioned dataset)."""
    work = copy_workflow(tmp_path / "parts", datasets=[])
    table = _generated_table(work / "data" / "big.parquet", 5000)
    config = work / "config" / "config.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg["datasets"] = {
        "whole": {"path": str(table)},
        "split": {"path": str(table), "partitions": 4},
    }
    cfg["reports"]["enabled"] = False
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    profile = slurm_profile(work, slurm_cluster.partition)
    run = run_snakemake(
        work, "--workflow-profile", str(profile), timeout_s=600, name="parts"
    )
    assert run.returncode == 0, _tail(run.output)

    jobs = {j["id"]: j for j in slurm_cluster.jobs()}
    submitted = _submissions(run.output)
    assert all(jobs[j]["state"] == "COMPLETED" for j in submitted), jobs
    comments = [jobs[j]["comment"] for j in submitted]
    print("SLURM jobs:", comments, f"wall {run.seconds:.0f} s")
    # Each part's computations ran as a SLURM job of its own.
    part_jobs = [c for c in comments if "compute_potentials_part" in c]
    assert len(part_jobs) == 4, comments
    assert all("compute_samples_part" in c for c in part_jobs), comments

    for name in ("potentials", "temperature_scan", "samples", "donnan"):
        whole = pd.read_parquet(work / "results" / "whole" / f"{name}.parquet")
        split = pd.read_parquet(work / "results" / "split" / f"{name}.parquet")
        whole["dataset"] = whole["dataset"].replace("whole", "split")
        pd.testing.assert_frame_equal(split, whole, check_exact=True)
