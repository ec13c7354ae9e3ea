"""Workflow throughput: many small datasets through the whole Snakemake workflow.

Generates N small datasets (default 1,000; 20 samples x 6 ions each, long CSV) in a
temporary copy of the workflow and measures, with ``--cores 2`` and the default
profile (in-process ``run:`` jobs):

1. ``snakemake --dry-run``: time to parse the config and build the DAG;
2. the full run;
3. the no-op rerun (nothing to do);

and, as the same-run baseline, the time the pipeline functions themselves take for
a sample of datasets called directly in one Python process (no Snakemake). The
ratio of the two is the price of running through Snakemake. Targets (issue 6): dry
run and no-op rerun under 10 s; 1,000 datasets under 10 minutes on 2 cores.

``--batch-size N`` sets the config's ``batch_size`` (datasets per job; default 14, so
1,000 datasets are 72 jobs, each with at most 126 output files: see config/config.yaml
for why 14); ``--batch-size 1`` measures the per-dataset rules (five jobs per dataset).

Usage::

    .venv/bin/python benchmarks/bench_workflow.py                  # 1,000 datasets
    .venv/bin/python benchmarks/bench_workflow.py --datasets 100 --no-reports
    .venv/bin/python benchmarks/bench_workflow.py --datasets 100 --batch-size 1
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
IONS = [  # ion, c_in, c_out [mM] (mammalian neuron, Johnston & Wu 1995 Table 2.1)
    ("K+", 140.0, 5.0),
    ("Na+", 15.0, 145.0),
    ("Cl-", 4.0, 110.0),
    ("Ca2+", 0.0001, 2.5),
    ("HCO3-", 12.0, 24.0),
    ("Mg2+", 0.5, 0.8),
]


def make_dataset(path: Path, rng: np.random.Generator, samples: int = 20) -> None:
    """Write one long CSV: ``samples`` samples x 6 ions, +-10 % around IONS."""
    lines = ["sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,vm_mV"]
    for s in range(samples):
        vm = -70.0 + rng.normal(0, 3)
        for ion, c_in, c_out in IONS:
            f_in, f_out = rng.uniform(0.9, 1.1, 2)
            lines.append(
                f"s{s:02d},neuron,37,{ion},{c_in * f_in:.6g},{c_out * f_out:.6g},"
                f"{vm:.2f}"
            )
    path.write_text("\n".join(lines) + "\n")


def setup(root: Path, n: int, reports: bool, batch_size: int = 1) -> Path:
    """A copy of the workflow with ``n`` generated datasets as its only input."""
    work = root / "repo"
    work.mkdir()
    shutil.copy2(REPO / "Snakefile", work / "Snakefile")
    for folder in ("workflow", "config", "schemas"):
        shutil.copytree(REPO / folder, work / folder)
    raw = work / "data" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(20240601)
    for i in range(n):
        make_dataset(raw / f"ds{i:04d}.csv", rng)
    cfg = yaml.safe_load((work / "config" / "config.yaml").read_text())
    cfg["validation"]["lenient_datasets"] = []
    cfg["reports"]["enabled"] = reports
    cfg["batch_size"] = batch_size
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(cfg))
    return work


def snakemake(work: Path, *args: str) -> tuple[float, float]:
    """Run Snakemake in ``work``; return (wall, CPU) time [s] (exit on failure).

    CPU time (user + system of the Snakemake process and the children it reaps) is
    printed beside the wall time because the machine may be shared: it does not grow
    with contention. It does not include the worker processes (started through a
    forkserver, they are not reaped into Snakemake's accounting): the direct baseline
    gives their share.
    """
    cmd = [str(BIN / "snakemake"), "--cores", "2"]
    cmd += ["--workflow-profile", "workflow/profiles/default", "--quiet", *args]
    # tests/stubs/scontrol: without it, a machine with SLURM installed but no
    # controller answering adds the SLURM plugin's 10 s `scontrol` timeout to every
    # Snakemake start (see the stub); users without SLURM never pay it.
    stubs = REPO / "tests" / "stubs"
    env = {**os.environ, "PATH": f"{BIN}:{stubs}:{os.environ['PATH']}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def direct_baseline(work: Path, n: int, reports: bool) -> float:
    """(wall, CPU) seconds per dataset of the pipeline functions called directly."""
    from iongrad.pipeline import config as cfgmod
    from iongrad.pipeline import jobs as pipeline

    old = Path.cwd()
    os.chdir(work)
    try:
        cfg = cfgmod.resolve(cfgmod.load("config/config.yaml"))
        names = sorted(cfg["datasets"])[:n]
        # Warm up imports and caches on one dataset (Snakemake's process is warm too).
        t0 = c0 = 0.0
        for i, name in enumerate([names[0], *names]):
            if i == 1:
                t0, c0 = time.perf_counter(), time.process_time()
            out = Path("baseline") / name
            raw = cfg["datasets"][name]["path"]
            pipeline.validate_job(
                raw=raw,
                dataset=name,
                mode="strict",
                validation_json=str(out / "validation.json"),
                rejected_csv=str(out / "rejected.csv"),
                measurements=str(out / "measurements.parquet"),
            )
            pipeline.potentials_job(
                measurements=str(out / "measurements.parquet"),
                validation_json=str(out / "validation.json"),
                potentials=str(out / "potentials.parquet"),
                temperature_scan_path=str(out / "temperature_scan.parquet"),
                activity=cfg["activity"],
                driving_force=cfg["driving_force"],
                temperatures_C=cfg["temperatures_C"],
            )
            pipeline.samples_job(
                potentials=str(out / "potentials.parquet"),
                samples=str(out / "samples.parquet"),
                donnan_path=str(out / "donnan.parquet"),
                donnan=cfg["donnan"],
                ghk=cfg["ghk"],
            )
            pipeline.provenance_job(
                dataset=name,
                inputs={"table": raw},
                outputs={"potentials": str(out / "potentials.parquet")},
                settings=cfgmod.dataset_settings(cfg, name),
                provenance=str(out / "provenance.json"),
            )
            if reports:
                pipeline.report_job(
                    dataset=name,
                    results_dir=str(out),
                    output=str(Path("baseline") / f"{name}.html"),
                    settings=cfgmod.dataset_settings(cfg, name),
                )
        wall = (time.perf_counter() - t0) / len(names)
        return wall, (time.process_time() - c0) / len(names)
    finally:
        os.chdir(old)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--baseline-datasets", type=int, default=10)
    parser.add_argument("--no-reports", action="store_true")
    parser.add_argument("--batch-size", type=int, default=14)
    args = parser.parse_args()
    n, reports, size = args.datasets, not args.no_reports, args.batch_size
    with tempfile.TemporaryDirectory(prefix="iongrad-bench-") as tmp:
        work = setup(Path(tmp), n, reports, size)
        if size > 1:
            jobs = -(-n // size) + (1 if reports else 0)
        else:
            jobs = n * (5 if reports else 4) + (1 if reports else 0)
        print(f"{n} datasets x 20 samples x 6 ions, reports: {reports}")
        print(f"config batch_size: {size}")
        print(f"{jobs} jobs, --cores 2, profile workflow/profiles/default")
        print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores)")
        print(f"{'phase':22s}{'wall [s]':>10s}{'CPU [s]':>10s}")
        dry = snakemake(work, "--dry-run")
        print(f"{'dry run (DAG)':22s}{dry[0]:10.1f}{dry[1]:10.1f}   target < 10 s")
        full = snakemake(work)
        print(f"{'full run':22s}{full[0]:10.1f}{full[1]:10.1f}")
        noop = snakemake(work)
        print(f"{'no-op rerun':22s}{noop[0]:10.1f}{noop[1]:10.1f}   target < 10 s")
        wall, cpu = direct_baseline(work, min(args.baseline_datasets, n), reports)
        print(
            f"per dataset: workflow {full[0] / n * 1000:.0f} ms wall, Snakemake "
            f"process {full[1] / n * 1000:.0f} ms CPU; direct calls (baseline, same "
            f"run, one process) {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU"
        )
        print(
            f"ratio workflow wall / direct wall = {full[0] / (wall * n):.2f} "
            "(2 cores: 0.5 would be a perfect split with no overhead)"
        )
        print(
            f"1,000 datasets extrapolated linearly from wall: "
            f"{full[0] / n * 1000 / 60:.1f} min (target < 10 min; the scheduler's "
            "cost per job grows with the number of ready jobs, so this is a floor)"
        )


if __name__ == "__main__":
    main()
