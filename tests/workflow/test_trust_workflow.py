"""What a user can do to a run, and what the workflow must then do.

Each test is one thing a user did (numbers are those of the issue):

- 3: a results file deleted, or removed by Snakemake after its job failed, is made
  again by the next run (every file a user reads is a target of the default run);
- 8: ``kill -9`` of Snakemake takes its worker processes with it, nothing is written
  after it died, and ``--unlock`` + a run give the results of an uninterrupted run;
- 9: a truncated results parquet is named, then rebuilt;
- 10: under umask 022 results, provenance and reports are 0644;
- 12: a folder of one's own tables runs with the shipped config (example names in
  ``lenient_datasets`` are a note, not an error);
- 13: hidden and lock files in the data folder are skipped, and named;
- 15: dataset names starting with '-' are refused, naming the file and the rule;
- 17: a dry run writes nothing, also with ``results/`` read-only, and a run that
  cannot write the resolved config names that file;
- 19: file-level failures are printed without ``None`` parts; reports of datasets no
  longer configured leave ``reports/`` and the index; the index says what failed.

Most tests copy one finished run on three example datasets (with the Snakemake
metadata) and run Snakemake again on the copy.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from golden import assert_reproduced
from smk_helpers import (
    copy_workflow,
    local_env,
    snakemake,
    snakemake_command,
)

from iongrad.pipeline import config as cfgmod

#: The datasets of the shared finished run: a lenient one with rejected rows, a
#: wide table and a long one.
SUBSET = ("human_red_blood_cell", "plant_nitella_translucens", "squid_giant_axon")
#: Every results file of a dataset.
RESULTS = (
    "validation.json",
    "rejected.csv",
    "measurements.parquet",
    "potentials.parquet",
    "temperature_scan.parquet",
    "samples.parquet",
    "donnan.parquet",
    "provenance.json",
)


def _umask_022() -> None:
    os.umask(0o022)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished run (umask 022) on SUBSET, to copy from; never changed."""
    workdir = copy_workflow(tmp_path_factory.mktemp("trust") / "repo")
    for table in (workdir / "data" / "raw").iterdir():
        if table.stem not in SUBSET:
            table.unlink()
    run = snakemake(workdir, preexec_fn=_umask_022)
    assert run.returncode == 0, run.output
    return workdir


def _copy(finished: Path, tmp_path: Path) -> Path:
    """A copy of the finished tree (modification times and metadata kept)."""
    return Path(shutil.copytree(finished, tmp_path / "repo", symlinks=True))


def _state(workdir: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file a run writes, by path."""
    out = {}
    for folder in ("results", "reports", "logs"):
        for p in (workdir / folder).rglob("*"):
            if p.is_file():
                st = p.stat()
                out[str(p.relative_to(workdir))] = (st.st_mtime_ns, st.st_size)
    return out


def _write_config(workdir: Path, name: str, **changes) -> str:
    """config/<name> = config/config.yaml with ``changes`` ("a.b": value)."""
    cfg = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    for key, value in changes.items():
        node = cfg
        *parents, last = key.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    (workdir / "config" / name).write_text(yaml.safe_dump(cfg))
    return f"config/{name}"


def _index_rows(workdir: Path) -> dict[str, dict]:
    csv = workdir / "reports" / "index_datasets.csv"
    table = pd.read_csv(csv, keep_default_na=False)
    return {row["dataset"]: row for row in table.to_dict("records")}


# ------------------------------------------------- 3: missing results are rebuilt


# ------------------------------------------------ 8: workers die with Snakemake
def _processes_in(folder: Path) -> dict[int, str]:
    """pid -> command line of every live process whose working directory is folder."""
    folder_s, found = os.path.realpath(folder), {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "cwd") == folder_s:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(proc.name)] = cmd.decode(errors="replace")[:200]
        except OSError:  # gone, or a zombie
            continue
    return found


def _kill_leftovers(folder: Path) -> dict[int, str]:
    """SIGKILL what a failed test left running in ``folder``; return what it was."""
    left = _processes_in(folder)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    return left


def _wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


SLOW_JOB = """
import pathlib, time
from iongrad.pipeline.workers import in_worker_process


@in_worker_process
def slow_write(*, path, delay):
    pathlib.Path("started.txt").write_text("the job runs")
    time.sleep(delay)
    pathlib.Path(path).write_text("written after a sleep")
"""

OWNER = """
import sys
sys.path.insert(0, ".")
import slow_job
from iongrad.pipeline.workers import use_worker_processes

if __name__ == "__main__":
    use_worker_processes(2)
    slow_job.slow_write(path="late.txt", delay=3.0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_processes_die_with_their_owner_before_writing(tmp_path):
    (tmp_path / "slow_job.py").write_text(SLOW_JOB)
    (tmp_path / "owner.py").write_text(OWNER)
    owner = subprocess.Popen([sys.executable, "owner.py"], cwd=tmp_path)
    try:
        assert _wait_until((tmp_path / "started.txt").is_file, 60)
        # the owner, the forkserver, the resource tracker and the busy worker
        assert len(_processes_in(tmp_path)) >= 4, _processes_in(tmp_path)
    finally:
        owner.kill()
        owner.wait()
    gone = _wait_until(lambda: not _processes_in(tmp_path), 5)
    time.sleep(0 if not gone else 3.5)  # past the job's end
    assert gone, f"orphans: {_kill_leftovers(tmp_path)}"
    assert not (tmp_path / "late.txt").exists(), "a worker wrote after its owner died"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_mid_run_leaves_no_worker_and_recovers_to_the_same_results(tmp_path):
    workdir = copy_workflow(tmp_path / "repo")
    log = (tmp_path / "killed_run.log").open("w")
    run = subprocess.Popen(
        snakemake_command(),
        cwd=workdir,
        env=local_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = _wait_until(
            lambda: len(list(workdir.glob("results/*/potentials.parquet"))) >= 2,
            180,
        )
        assert started, (tmp_path / "killed_run.log").read_text()
        assert run.poll() is None, "the run finished before it could be killed"
        assert len(_processes_in(workdir)) > 1, "no worker process to test"
    finally:
        killed_at = time.time()
        run.send_signal(signal.SIGKILL)
        run.wait()
        log.close()
    gone = _wait_until(lambda: not _processes_in(workdir), 10)
    assert gone, f"orphans after kill -9: {_kill_leftovers(workdir)}"
    assert not (workdir / "reports" / "index.html").exists(), "killed too late"
    late = {
        str(p.relative_to(workdir))
        for p in workdir.rglob("*")
        if p.is_file()
        and ".snakemake" not in p.parts
        and p.stat().st_mtime > killed_at + 0.25
    }
    assert not late, f"written after Snakemake died: {sorted(late)}"
    # The README's recovery: unlock, then run again.
    unlock = snakemake(workdir, "--unlock")
    assert unlock.returncode == 0, unlock.output
    rerun = snakemake(workdir)
    assert rerun.returncode == 0, rerun.output
    assert_reproduced(workdir)
    assert not _kill_leftovers(workdir)


# --------------------------------------------- 9: a truncated parquet is rebuilt


# ---------------------------------------------------- 10: permissions from umask


# ------------------------------------- 12, 13: one's own folder, hidden files
def test_unknown_lenient_names_are_a_note_and_leave_datasets_strict(tmp_path):
    (tmp_path / "a.csv").write_text("x\n")
    notes: list[str] = []
    cfg = cfgmod.resolve(
        {
            "raw_dir": str(tmp_path),
            "validation": {"lenient_datasets": ["a", "human_red_blood_cell"]},
        },
        notes=notes,
    )
    assert cfg["datasets"]["a"]["validation_mode"] == "lenient"
    assert len(notes) == 1
    assert "human_red_blood_cell" in notes[0]
    assert "lenient_datasets" in notes[0]
    cfg = cfgmod.resolve(
        {"raw_dir": str(tmp_path), "validation": {"lenient_datasets": ["zz"]}}
    )
    assert cfg["datasets"]["a"]["validation_mode"] == "strict"


HIDDEN = ("._axon.csv", ".~lock.axon.csv#", "~$axon.csv", ".DS_Store", ".axon.csv")


def test_hidden_and_lock_files_are_skipped_and_named(tmp_path):
    (tmp_path / "axon.csv").write_text("x\n")
    for name in HIDDEN:
        (tmp_path / name).write_bytes(b"\x00\x05binary")
    notes: list[str] = []
    assert list(cfgmod.discover_datasets(tmp_path, notes=notes)) == ["axon"]
    assert len(notes) == 1
    for name in ("._axon.csv", ".~lock.axon.csv#", "~$axon.csv", ".axon.csv"):
        assert name in notes[0]


# ------------------------------------------------------ 15: names starting with -
@pytest.mark.parametrize("stem", ["--help", "-x"])
def test_a_file_name_starting_with_a_dash_is_refused(tmp_path, stem):
    (tmp_path / f"{stem}.csv").write_text("x\n")
    with pytest.raises(cfgmod.ConfigError) as info:
        cfgmod.discover_datasets(tmp_path)
    message = str(info.value)
    assert str(tmp_path / f"{stem}.csv") in message
    assert "must start with a letter, a digit or '_'" in message


def test_a_listed_dataset_starting_with_a_dash_is_refused():
    with pytest.raises(cfgmod.ConfigError) as info:
        cfgmod.resolve({"datasets": {"--help": {"path": "x.csv"}}})
    message = str(info.value)
    assert "'--help'" in message
    assert "must start with a letter, a digit or '_'" in message


# --------------------------------------------- 17: a dry run writes nothing
def _no_root_override() -> None:
    """Let file modes bind this (root) child too: drop CAP_DAC_OVERRIDE."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


# ------------------------------------- 19: file-level failures, stale reports


def _validation(mode: str, ok: bool, rejected: int = 0) -> dict:
    failure = {
        "row": 3,
        "column": "c_in_mM",
        "value": "14O",
        "rule": "number_format",
        "severity": "error",
        "message": "not a number",
    }
    return {
        "file": "data/raw/x.csv",
        "dataset": "x",
        "rows_read": 10,
        "rows_accepted": 10 - rejected,
        "rows_rejected": rejected,
        "warnings": [],
        "failures": [failure] if rejected else [],
        "mode": mode,
        "ok": ok,
    }
