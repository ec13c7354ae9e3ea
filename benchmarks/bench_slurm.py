"""SLURM benchmarks on a real one-node cluster (issue 8), against a same-run baseline.

Two modes, both on a throw-away copy of the workflow in a temporary folder:

``throughput`` (default)
    N generated small datasets (2 samples x 4 ions each) through SLURM with the shipped
    profile, and the same data with ``--cores 2`` locally (default profile) as the
    baseline. Batching (``--batching``): ``config`` (default) sets ``batch_size: B`` in
    the config of both runs (one validation, computation and report job per batch of
    B datasets, and one SLURM submission per batch); ``group`` keeps the per-dataset
    rules and packs B datasets per submission with ``--group-components dataset=B``.
    Prints the number of SLURM submissions, both wall times and their ratio, and each
    job's peak memory.

``partitions``
    One generated table of ``--rows`` rows (4 ions per sample, rows sorted by ion so
    every sample's rows interleave) as two datasets: ``split`` with ``partitions:
    --parts`` (each part's computations one SLURM job) and ``whole`` computed in one
    job, each run through SLURM on its own. Prints both wall times, every
    submission's peak memory, and checks that the gathered results equal the
    single job's, file by file.

``memory``
    Peak memory and wall time of every rule, measured as SLURM jobs of one rule each
    (the cgroup peak of the whole job, i.e. the rule plus the two Snakemake processes
    around it: exactly what ``mem_mb`` must cover) on the largest example dataset and
    on a generated 100,000-row dataset. This is how the profile's ``set-resources``
    were sized. Last, both tables as one batch (``batch_size: 2``): the batched
    rule's job (rules/batched.smk).

Needs root on Debian/Ubuntu: the one-node cluster is brought up with
``tests/cluster/slurm_up.sh`` and always torn down with ``slurm_down.sh``. Run::

    .venv/bin/python benchmarks/bench_slurm.py throughput --datasets 200 --batch 10
    .venv/bin/python benchmarks/bench_slurm.py memory --rows 100000
    .venv/bin/python benchmarks/bench_slurm.py partitions --rows 2000000 --parts 4
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "cluster"))

from slurm_harness import (  # noqa: E402
    PARTITION,
    SLURM_DIR,
    SlurmCluster,
    cluster_lock,
    copy_workflow,
    run_snakemake,
    set_batch_size,
    set_reports,
    slurm_profile,
)

SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: ([^)]+)\)")
IONS = [
    ("K+", 140.0, 5.0),
    ("Na+", 12.0, 145.0),
    ("Cl-", 8.0, 120.0),
    ("Ca2+", 1e-4, 2.0),
]
HEADER = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,vm_mV\n"


def generated_table(n_samples: int, seed: int) -> str:
    """A long CSV: n_samples x 4 ions around mammalian values (+-20 %, seeded)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_samples):
        temp = rng.choice([20, 25, 37])
        vm = round(float(rng.uniform(-90, -50)), 2)
        for ion, c_in, c_out in IONS:
            ci = c_in * rng.uniform(0.8, 1.2)
            co = c_out * rng.uniform(0.8, 1.2)
            rows.append(f"s{s:06d},generated,{temp},{ion},{ci:.6g},{co:.6g},{vm}\n")
    return HEADER + "".join(rows)


def _cluster(action: str) -> None:
    script = REPO / "tests" / "cluster" / f"slurm_{action}.sh"
    env = {
        "SLURM_DIR": str(SLURM_DIR),
        "SLURM_PARTITION": PARTITION,
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    }
    proc = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"slurm_{action}.sh failed:\n{proc.stdout}\n{proc.stderr}")


def _jobs_table(cluster: SlurmCluster, output: str) -> pd.DataFrame:
    """One row per SLURM submission of a run: id, rule(s), state, elapsed, peak MB."""
    states = {j["id"]: j for j in cluster.jobs()}
    rows = []
    for job_id, log in SUBMITTED.findall(output):
        folder = Path(log).parent.name
        text = Path(log).read_text() if Path(log).is_file() else ""
        datasets = sorted(set(re.findall(r"dataset=([A-Za-z0-9_-]+)", text)))
        rows.append(
            {
                "job": job_id,
                "rules": folder,
                "datasets": len(datasets),
                "dataset": datasets[0] if len(datasets) == 1 else "",
                "state": states.get(job_id, {}).get("state", "?"),
                "elapsed": states.get(job_id, {}).get("time", "?"),
                "peak_MB": cluster.job_peak_mem_mb(job_id),
            }
        )
    return pd.DataFrame(rows)


def throughput(args: argparse.Namespace, tmp: Path, cluster: SlurmCluster) -> None:
    local = copy_workflow(tmp / "local", datasets=[])
    slurm = copy_workflow(tmp / "slurm", datasets=[])
    for work in (local, slurm):
        for i in range(args.datasets):
            (work / "data" / "raw" / f"gen_{i:04d}.csv").write_text(
                generated_table(2, seed=i)
            )
        set_reports(work, args.reports)
        if args.batching == "config":
            set_batch_size(work, args.batch)

    loc = run_snakemake(
        local, "--cores", "2", "--workflow-profile", "workflow/profiles/default",
        timeout_s=args.timeout, name="local",
    )  # fmt: skip
    if loc.returncode != 0:
        raise SystemExit(f"local run failed, see {local}/local.log")

    profile = slurm_profile(slurm, PARTITION)
    grouping = []
    if args.batching == "group":
        grouping = ["--group-components", f"dataset={args.batch}"]
    run = run_snakemake(
        slurm, "--workflow-profile", str(profile), *grouping,
        "--slurm-keep-successful-logs",
        timeout_s=args.timeout, name="slurm",
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"SLURM run failed ({run.returncode}), see {slurm}/slurm.log")
    jobs = _jobs_table(cluster, run.output)
    expected = math.ceil(args.datasets / args.batch) + (1 if args.reports else 0)
    print(jobs.to_string(index=False))
    print()
    print(f"datasets                     {args.datasets}")
    print(f"batching                     {args.batching}, B = {args.batch}")
    print(f"reports                      {'on' if args.reports else 'off'}")
    print(f"SLURM submissions            {len(jobs)} (expected {expected})")
    print(f"SLURM wall time              {run.seconds:8.1f} s")
    print(f"local --cores 2 wall time    {loc.seconds:8.1f} s  (baseline)")
    print(f"ratio SLURM / local          {run.seconds / loc.seconds:8.2f}x")
    print(f"max job peak memory          {jobs['peak_MB'].max():8.0f} MB")
    print(
        "targets: <= 20 submissions for 200 datasets, SLURM <= 3x local: "
        f"submissions {'met' if len(jobs) <= 20 else 'MISSED'}, "
        f"time {'met' if run.seconds <= 3 * loc.seconds else 'MISSED'}"
    )


def _largest_example() -> Path:
    best, best_rows = None, -1
    for table in sorted((REPO / "data" / "raw").iterdir()):
        if table.suffix == ".parquet":
            rows = len(pd.read_parquet(table))
        elif table.suffix in {".csv", ".tsv", ".txt"}:
            rows = sum(1 for _ in table.open()) - 1
        else:
            continue
        if rows > best_rows:
            best, best_rows = table, rows
    assert best is not None
    return best


STEPS = [
    ("validate_dataset", "results/{d}/validation.json"),
    ("compute_potentials", "results/{d}/potentials.parquet"),
    ("compute_samples", "results/{d}/samples.parquet"),
    ("write_provenance", "results/{d}/provenance.json"),
    ("render_dataset_report", "reports/{d}.html"),
]


def memory(args: argparse.Namespace, tmp: Path, cluster: SlurmCluster) -> None:
    example = _largest_example()
    work = copy_workflow(tmp / "memory", datasets=[example.stem])
    big = f"generated_{args.rows}"
    (work / "data" / "raw" / f"{big}.csv").write_text(
        generated_table(args.rows // len(IONS), seed=1)
    )
    profile = slurm_profile(work, PARTITION)
    datasets = [example.stem, big]
    # Generous limits while measuring, so that nothing is killed (the profile's
    # set-resources are what this measurement sizes).
    generous = []
    for rule, _ in [*STEPS, ("render_index", "")]:
        generous += [f"{rule}:mem_mb=6000", f"{rule}:runtime=60"]
    tables = []
    # One step per rule: each SLURM job then holds exactly one rule of one dataset.
    for rule, pattern in STEPS:
        targets = [pattern.format(d=d) for d in datasets]
        run = run_snakemake(
            work, "--workflow-profile", str(profile),
            "--group-components", "dataset=1", "--slurm-keep-successful-logs",
            "--set-resources", *generous, "--", *targets,
            timeout_s=args.timeout, name=f"mem_{rule}",
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(f"{rule} failed, see {work}/mem_{rule}.log")
        jobs = _jobs_table(cluster, run.output)
        jobs["rule"] = rule
        tables.append(jobs)
    run = run_snakemake(
        work, "--workflow-profile", str(profile), "--slurm-keep-successful-logs",
        "--set-resources", *generous,
        timeout_s=args.timeout, name="mem_render_index",
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"render_index failed, see {work}/mem_render_index.log")
    jobs = _jobs_table(cluster, run.output)
    jobs["rule"] = "render_index"
    tables.append(jobs)
    # batch_size 2: both tables in one batched job (every stage, one after the other),
    # which is what workflow/rules/batched.smk's mem_mb and runtime must cover.
    batched = copy_workflow(tmp / "memory_batched", datasets=[example.stem])
    shutil.copy2(work / "data" / "raw" / f"{big}.csv", batched / "data" / "raw")
    set_batch_size(batched, 2)
    profile = slurm_profile(batched, PARTITION)
    run = run_snakemake(
        batched, "--workflow-profile", str(profile), "--slurm-keep-successful-logs",
        timeout_s=args.timeout, name="mem_batched",
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"batched run failed, see {batched}/mem_batched.log")
    jobs = _jobs_table(cluster, run.output)
    jobs["rule"] = jobs["rules"]
    tables.append(jobs)
    table = pd.concat(tables, ignore_index=True)
    print(f"largest example: {example.name}; generated: {args.rows} rows")
    print(table[["rule", "dataset", "job", "state", "elapsed", "peak_MB"]].to_string())


RESULTS = ("potentials", "temperature_scan", "samples", "donnan")
PART_RULES = (
    "validate_dataset", "validate_partitioned", "split_partition", "compute_potentials",
    "compute_samples", "compute_potentials_part", "compute_samples_part",
    "gather_partitions",
)  # fmt: skip


def _interleaved_table(path: Path, rows: int) -> Path:
    """A long parquet table of ``rows`` rows, 4 ions per sample, sorted by ion."""
    rng = np.random.default_rng(7)
    n = rows // len(IONS)
    ids = pd.Series([f"s{i:08d}" for i in range(n)])
    temp = rng.choice([20.0, 25.0, 37.0], n)
    vm = rng.uniform(-90, -50, n).round(2)
    frames = [
        pd.DataFrame(
            {
                "sample_id": ids,
                "cell_type": "generated",
                "temperature_C": temp,
                "ion": ion,
                "c_in_mM": c_in * rng.uniform(0.8, 1.2, n),
                "c_out_mM": c_out * rng.uniform(0.8, 1.2, n),
                "vm_mV": vm,
            }
        )
        for ion, c_in, c_out in IONS
    ]
    pd.concat(frames, ignore_index=True).to_parquet(path, index=False)
    return path


def partitions(args: argparse.Namespace, tmp: Path, cluster: SlurmCluster) -> None:
    work = copy_workflow(tmp / "partitions", datasets=[])
    table = _interleaved_table(work / "data" / "big.parquet", args.rows)
    config = work / "config" / "config.yaml"
    text = config.read_text().replace("datasets: {}", "datasets:\n" + (
        f"  whole:\n    path: {table}\n"
        f"  split:\n    path: {table}\n    partitions: {args.parts}\n"
    ), 1)  # fmt: skip
    config.write_text(text)
    set_reports(work, False)
    profile = slurm_profile(work, PARTITION)
    # Generous limits while measuring, so that nothing is killed.
    generous = []
    for rule in PART_RULES:
        generous += [f"{rule}:mem_mb=8000", f"{rule}:runtime=120"]
    walls = {}
    for name in ("split", "whole"):
        targets = [f"results/{name}/{r}.parquet" for r in RESULTS]
        run = run_snakemake(
            work, "--workflow-profile", str(profile), "--slurm-keep-successful-logs",
            "--set-resources", *generous, "--", *targets,
            timeout_s=args.timeout, name=f"run_{name}",
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(f"{name} failed, see {work}/run_{name}.log")
        walls[name] = run.seconds
        jobs = _jobs_table(cluster, run.output)
        print(f"{name}: {run.seconds:.0f} s wall, {len(jobs)} SLURM jobs")
        print(jobs[["rules", "job", "state", "elapsed", "peak_MB"]].to_string())
    for key in RESULTS:
        whole = pd.read_parquet(work / "results" / "whole" / f"{key}.parquet")
        split = pd.read_parquet(work / "results" / "split" / f"{key}.parquet")
        whole["dataset"] = whole["dataset"].replace("whole", "split")
        pd.testing.assert_frame_equal(split, whole, check_exact=True)
        print(f"{key}.parquet: {len(split)} rows, partitioned == one job")
    print(
        f"{args.rows} rows: {args.parts} partitions {walls['split']:.0f} s, one job "
        f"{walls['whole']:.0f} s, ratio {walls['split'] / walls['whole']:.2f} "
        "(one node with 2 cores: parts share them)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "mode",
        nargs="?",
        choices=["throughput", "memory", "partitions"],
        default="throughput",
    )
    parser.add_argument("--parts", type=int, default=4, help="partitions mode")
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--batch", type=int, default=10, help="datasets per batch")
    parser.add_argument("--batching", choices=["config", "group"], default="config")
    parser.add_argument(
        "--reports", action=argparse.BooleanOptionalAction, default=False
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--timeout", type=int, default=7200, help="per Snakemake run [s]"
    )
    args = parser.parse_args()
    cluster = SlurmCluster(partition=PARTITION, slurm_dir=SLURM_DIR)
    lock = cluster_lock()  # the cluster tests may own the cluster: wait for them
    tmp = Path(tempfile.mkdtemp(prefix="bench_slurm_"))
    _cluster("up")
    start = time.monotonic()
    try:
        modes = {"throughput": throughput, "memory": memory, "partitions": partitions}
        modes[args.mode](args, tmp, cluster)
    finally:
        _cluster("down")
    print(f"total {time.monotonic() - start:.0f} s")
    shutil.rmtree(tmp)  # kept for inspection when a run failed
    os.close(lock)


if __name__ == "__main__":
    main()
