"""Cluster-test helpers: the cluster handle, Snakemake runs, workflow copies."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
SLURM_DIR = Path(os.environ.get("IONGRAD_SLURM_DIR", "/tmp/iongrad-slurm"))
PARTITION = "debug"
LOCK_FILE = Path("/tmp/iongrad-slurm.lock")
LOCK_WAIT_S = 900


def cluster_lock(wait_s: float = LOCK_WAIT_S) -> int:
    """Take the machine-wide lock for the one-node cluster; returns its descriptor.

    SLURM's config (/etc/slurm) and ports are global, so only one test session or
    benchmark may own the cluster at a time; others wait (TimeoutError after wait_s).
    Released when the descriptor is closed (or the process ends).
    """
    fd = os.open(LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise TimeoutError(
                    f"another session held {LOCK_FILE} for {wait_s:.0f} s"
                ) from None
            time.sleep(2)


@dataclass(frozen=True)
class SlurmCluster:
    """What the tests need to know about the running cluster."""

    partition: str
    slurm_dir: Path

    def job_peak_mem_mb(self, job_id: str) -> float | None:
        """Peak memory [MB] of a finished job (cgroup, written by the task epilog)."""
        path = self.slurm_dir / "peak_mem" / job_id
        if not path.is_file():
            return None
        return int(path.read_text().split()[0]) / 1e6

    def jobs(self) -> list[dict[str, str]]:
        """Jobs slurmctld still knows (finished ones stay for MinJobAge = 300 s)."""
        out = subprocess.run(
            ["squeue", "-h", "-t", "all", "-o", "%i|%T|%k|%M"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        rows = []
        for line in out.splitlines():
            job_id, state, comment, elapsed = line.split("|")
            rows.append(
                {"id": job_id, "state": state, "comment": comment, "time": elapsed}
            )
        return rows


@dataclass(frozen=True)
class Run:
    """One Snakemake invocation: exit status, combined output and wall time."""

    returncode: int
    output: str
    seconds: float


def run_snakemake(workdir: Path, *args: str, timeout_s: int, name: str) -> Run:
    """Run Snakemake in ``workdir`` under ``timeout -k 15 timeout_s``.

    A hung scheduler therefore fails the test (exit status 124 or 137) instead of
    hanging CI. The output is also written to ``workdir/<name>.log``.
    """
    cmd = ["timeout", "-k", "15", str(timeout_s), str(SNAKEMAKE), *args]
    start = time.monotonic()
    # Own session: if the test is interrupted, the whole tree (timeout, Snakemake and
    # its children) is killed, so no Snakemake outlives the cluster and hangs.
    proc = subprocess.Popen(
        cmd,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate()
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    seconds = time.monotonic() - start
    (workdir / f"{name}.log").write_text(" ".join(cmd) + "\n" + output)
    return Run(returncode=proc.returncode, output=output, seconds=seconds)


def copy_workflow(dest: Path, *, datasets: list[str] | None = None) -> Path:
    """Copy the workflow, config and example data (or some of it) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "Snakefile", dest / "Snakefile")
    for folder in ("workflow", "config", "schemas"):
        if (REPO / folder).is_dir():
            shutil.copytree(
                REPO / folder,
                dest / folder,
                ignore=shutil.ignore_patterns("__pycache__", ".snakemake"),
            )
    raw = dest / "data" / "raw"
    raw.mkdir(parents=True)
    for table in sorted((REPO / "data" / "raw").iterdir()):
        if table.name.startswith("."):
            continue
        if datasets is None or table.stem in datasets:
            shutil.copy2(table, raw / table.name)
    if datasets is not None:
        # The config may name example datasets (lenient mode) that were not copied.
        config = dest / "config" / "config.yaml"
        cfg = yaml.safe_load(config.read_text()) or {}
        lenient = cfg.get("validation", {}).get("lenient_datasets")
        if lenient:
            kept = [d for d in lenient if d in datasets]
            cfg["validation"]["lenient_datasets"] = kept
            config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return dest


def slurm_profile(workdir: Path, partition: str) -> Path:
    """The shipped SLURM profile with only the local partition name filled in."""
    profile = workdir / "workflow" / "profiles" / "slurm" / "config.yaml"
    text = profile.read_text()
    placeholder = "  # slurm_partition: <partition>\n"
    assert placeholder in text, "the profile lost its partition placeholder"
    profile.write_text(
        text.replace(placeholder, f"  slurm_partition: {partition}\n", 1)
    )
    return profile.parent


def set_batch_size(workdir: Path, size: int) -> None:
    """Set ``batch_size`` (datasets per job) in a workflow copy's config/config.yaml."""
    config = workdir / "config" / "config.yaml"
    text = config.read_text()
    new, n = re.subn(r"(?m)^batch_size: \d+$", f"batch_size: {int(size)}", text)
    assert n == 1, "config/config.yaml has no top-level batch_size: key"
    config.write_text(new)


def set_reports(workdir: Path, enabled: bool) -> None:
    """Switch the HTML reports on or off in a workflow copy's config/config.yaml."""
    config = workdir / "config" / "config.yaml"
    text = config.read_text()
    new, n = re.subn(
        r"(reports:\n(?:  #.*\n)*  enabled:) (true|false)",
        rf"\1 {'true' if enabled else 'false'}",
        text,
    )
    assert n == 1, "config/config.yaml has no reports: enabled: key"
    config.write_text(new)
