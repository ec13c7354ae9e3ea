"""Workflow throughput: many small datasets through the whole Snakemake workflow.

Generates N small datasets (default 1,000; 20 samples x 6 ions each, long CSV) in a
temporary copy of the workflow and measures, with ``--cores 2`` and the default
profile (in-process ``run:`` jobs handing their work to warm worker processes):

1. ``snakemake --dry-run``: time to parse the config and build the DAG;
2. the full run;
3. the no-op rerun (nothing to do);

and, as the same-run baseline, the same job functions called directly in one Python
process (no Snakemake, no workers) on a sample of the datasets, once before and once
after the full run (the machine may be shared: the mean of the two is the baseline,
both are printed). It prints the three figures of issue 15 target 3:

* workflow wall / direct wall (target <= 0.6 on 200 datasets with ``--cores 2``:
  both cores busy);
* CPU per small dataset, all stages with its report, per stage (direct calls; target
  <= 60 ms), and the whole workflow's CPU per dataset (Snakemake, the forkserver and
  the workers: on Linux the benchmark adopts and reaps the orphaned workers, so their
  CPU time is counted);
* 10,000 datasets on 2 cores, extrapolated linearly from this run (target < 10 min;
  measure 1,000 at least: the scheduler's cost per job grows with the DAG).

Targets of issue 6 still printed: dry run and no-op rerun under 10 s.

``--batch-size N`` sets the config's ``batch_size`` (datasets per job; default 14, so
1,000 datasets are 72 jobs, each with at most 126 output files: see config/config.yaml
for why 14); ``--batch-size 1`` measures the per-dataset rules (five jobs per dataset).

Usage::

    .venv/bin/python benchmarks/bench_workflow.py                  # 1,000 datasets
    .venv/bin/python benchmarks/bench_workflow.py --datasets 200
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


def _adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux only).

    Snakemake's worker processes hang off a forkserver that Snakemake never waits
    for: when Snakemake exits they become orphans, and their CPU time would be lost
    to this process's accounting. As a "child subreaper" this process adopts them, so
    :func:`_reap_orphans` can add their CPU time. Returns False where unsupported.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        pr_set_child_subreaper = 36
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_orphans(timeout: float = 30.0) -> None:
    """Wait for every adopted descendant to exit (they end with Snakemake)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def snakemake(work: Path, *args: str) -> tuple[float, float, float]:
    """Run Snakemake in ``work``; return (wall, CPU, Snakemake's CPU) [s] (exit on
    failure).

    CPU time is user + system of Snakemake and every process it started (its worker
    processes too where :func:`_adopt_orphans` works), printed beside the wall time
    because the machine may be shared: it grows far less with contention. The third
    figure leaves out the forkserver and the workers: Snakemake's own share.
    """
    cmd = [str(BIN / "snakemake"), "--cores", "2"]
    cmd += ["--workflow-profile", "workflow/profiles/default", "--quiet", *args]
    # tests/stubs/scontrol: without it, a machine with SLURM installed but no
    # controller answering adds the SLURM plugin's 10 s `scontrol` timeout to every
    # Snakemake start (see the stub); users without SLURM never pay it.
    stubs = REPO / "tests" / "stubs"
    env = {**os.environ, "PATH": f"{BIN}:{stubs}:{os.environ['PATH']}"}
    before = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    own = _children_cpu() - before  # Snakemake and the children it waited for
    _reap_orphans()
    if proc.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, _children_cpu() - before, own


#: The stages of one dataset, in order, as the direct baseline times them.
STAGES = ("validation", "potentials", "samples", "provenance", "report")


def _dataset_calls(cfg: dict, name: str, out: Path, reports: bool) -> list:
    """(stage, job function, keyword arguments) of one dataset, in stage order."""
    from iongrad.pipeline import config as cfgmod
    from iongrad.pipeline import jobs

    raw = cfg["datasets"][name]["path"]
    settings = cfgmod.dataset_settings(cfg, name)
    results = {
        "validation": str(out / "validation.json"),
        "potentials": str(out / "potentials.parquet"),
        "temperature_scan": str(out / "temperature_scan.parquet"),
        "samples": str(out / "samples.parquet"),
        "donnan": str(out / "donnan.parquet"),
    }
    calls = [
        (
            "validation",
            jobs.validate_job,
            dict(
                raw=raw,
                dataset=name,
                mode="strict",
                validation_json=results["validation"],
                rejected_csv=str(out / "rejected.csv"),
                measurements=str(out / "measurements.parquet"),
            ),
        ),
        (
            "potentials",
            jobs.potentials_job,
            dict(
                measurements=str(out / "measurements.parquet"),
                validation_json=results["validation"],
                potentials=results["potentials"],
                temperature_scan_path=results["temperature_scan"],
                activity=cfg["activity"],
                driving_force=cfg["driving_force"],
                temperatures_C=cfg["temperatures_C"],
            ),
        ),
        (
            "samples",
            jobs.samples_job,
            dict(
                potentials=results["potentials"],
                samples=results["samples"],
                donnan_path=results["donnan"],
                donnan=cfg["donnan"],
                ghk=cfg["ghk"],
            ),
        ),
        (
            "provenance",
            jobs.provenance_job,
            dict(
                dataset=name,
                inputs={"table": raw},
                outputs={"table": raw, **results},
                settings=settings,
                provenance=str(out / "provenance.json"),
            ),
        ),
    ]
    if reports:  # as the workflow calls it: with the previous results kept
        calls.append(
            (
                "report",
                jobs.report_job,
                dict(
                    dataset=name,
                    results_dir=str(out),
                    output=str(out.parent / f"{name}.html"),
                    settings=settings,
                    previous_dir=str(out / "previous"),
                ),
            )
        )
    return calls


def direct_baseline(
    work: Path, n: int, reports: bool, folder: str = "baseline"
) -> tuple[float, float, dict[str, float]]:
    """(wall, CPU, CPU per stage) seconds per dataset of the job functions called
    directly in this process, on the first ``n`` datasets (after one warm-up)."""
    from iongrad.pipeline import config as cfgmod

    old = Path.cwd()
    os.chdir(work)
    try:
        cfg = cfgmod.resolve(cfgmod.load("config/config.yaml"))
        names = sorted(cfg["datasets"])[:n]
        # Warm up imports and caches on one dataset (the workers are warm too).
        warm = _dataset_calls(cfg, names[0], Path(folder) / "_", reports)
        for _, func, kwargs in warm:
            func(**kwargs)
        stages = dict.fromkeys(STAGES, 0.0)
        t0, c0 = time.perf_counter(), time.process_time()
        for name in names:
            for stage, func, kwargs in _dataset_calls(
                cfg, name, Path(folder) / name, reports
            ):
                c = time.process_time()
                func(**kwargs)
                stages[stage] += time.process_time() - c
        wall = (time.perf_counter() - t0) / len(names)
        cpu = (time.process_time() - c0) / len(names)
        return wall, cpu, {k: v / len(names) for k, v in stages.items()}
    finally:
        os.chdir(old)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def _report(n, dry, full, noop, before, after, reports, tree_cpu) -> None:
    """Print the figures of one run (times in seconds; baselines per dataset)."""
    wall = (before[0] + after[0]) / 2
    cpu = (before[1] + after[1]) / 2
    stages = {k: (before[2][k] + after[2][k]) / 2 for k in STAGES}
    print(f"{'phase':22s}{'wall [s]':>10s}{'CPU [s]':>10s}")
    print(f"{'dry run (DAG)':22s}{dry[0]:10.1f}{dry[1]:10.1f}   target < 10 s")
    print(f"{'full run':22s}{full[0]:10.1f}{full[1]:10.1f}")
    print(f"{'no-op rerun':22s}{noop[0]:10.1f}{noop[1]:10.1f}   target < 10 s")
    print(
        f"direct calls, one process (same-run baseline), per dataset: before the run "
        f"{before[0] * 1000:.0f} ms wall, {before[1] * 1000:.0f} ms CPU; after "
        f"{after[0] * 1000:.0f} ms wall, {after[1] * 1000:.0f} ms CPU"
    )
    print(
        f"1. ratio workflow wall / direct wall = {full[0] / (wall * n):.2f} "
        f"(target <= 0.6; 0.5 = both cores busy with no overhead)"
    )
    parts = ", ".join(
        f"{k} {v * 1000:.0f}" for k, v in stages.items() if reports or k != "report"
    )
    print(
        f"2. CPU per dataset, direct calls: {cpu * 1000:.0f} ms ({parts} ms; "
        f"target <= 60 ms)"
    )
    if tree_cpu:
        print(
            f"   CPU per dataset, workflow: {full[1] / n * 1000:.0f} ms, of which "
            f"Snakemake's process {full[2] / n * 1000:.0f} ms and the workers "
            f"{(full[1] - full[2]) / n * 1000:.0f} ms"
        )
    else:
        print(f"   CPU per dataset, Snakemake's process: {full[2] / n * 1000:.0f} ms")
    per_dataset = full[0] / n
    print(
        f"3. 10,000 datasets, extrapolated linearly from this run's {n:,}: "
        f"{per_dataset * 10_000 / 60:.1f} min on 2 cores (target < 10 min; "
        f"{per_dataset * 1000:.0f} ms wall per dataset; the scheduler's cost per job "
        "grows with the number of jobs, so this is a floor)"
    )
    if tree_cpu:  # what the wall would be if nothing else used the two cores
        print(
            f"   on 2 free cores (this run's CPU / 2, the load taken out; its "
            f"serial parts come on top): {full[1] / n / 2 * 10_000 / 60:.1f} min "
            f"for 10,000, ratio {full[1] / 2 / (cpu * n):.2f} against the direct CPU"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--baseline-datasets", type=int, default=30)
    parser.add_argument("--no-reports", action="store_true")
    parser.add_argument("--batch-size", type=int, default=14)
    args = parser.parse_args()
    n, reports, size = args.datasets, not args.no_reports, args.batch_size
    tree_cpu = _adopt_orphans()
    with tempfile.TemporaryDirectory(prefix="iongrad-bench-") as tmp:
        work = setup(Path(tmp), n, reports, size)
        if size > 1:
            jobs = -(-n // size) + (1 if reports else 0)
        else:
            jobs = n * (5 if reports else 4) + (1 if reports else 0)
        k = min(args.baseline_datasets, n)
        print(f"{n} datasets x 20 samples x 6 ions, reports: {reports}")
        print(f"config batch_size: {size}")
        print(f"{jobs} jobs, --cores 2, profile workflow/profiles/default")
        print(f"{_load()} before (2 cores)")
        before = direct_baseline(work, k, reports, "baseline_before")
        dry = snakemake(work, "--dry-run")
        full = snakemake(work)
        print(f"{_load()} after the full run")
        noop = snakemake(work)
        after = direct_baseline(work, k, reports, "baseline_after")
        print(f"baseline: {k} datasets each time")
        _report(n, dry, full, noop, before, after, reports, tree_cpu)


if __name__ == "__main__":
    main()
