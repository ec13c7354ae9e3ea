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
import json
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
from golden import snapshot
from smk_helpers import (
    copy_workflow,
    local_env,
    planned_jobs,
    snakemake,
    snakemake_command,
)

from iongrad.pipeline import config as cfgmod
from iongrad.pipeline import jobs

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
@pytest.mark.slow
@pytest.mark.parametrize(
    ("deleted", "rule", "dataset"),
    [
        (["samples.parquet"], "compute_samples", "plant_nitella_translucens"),
        (["donnan.parquet"], "compute_samples", "squid_giant_axon"),
        (["measurements.parquet"], "validate_dataset", "squid_giant_axon"),
        (["rejected.csv"], "validate_dataset", "human_red_blood_cell"),
        (["failures.parquet"], "validate_dataset", "human_red_blood_cell"),
        (["temperature_scan.parquet"], "compute_potentials", "squid_giant_axon"),
        # what Snakemake removes when compute_potentials fails
        (
            ["potentials.parquet", "temperature_scan.parquet"],
            "compute_potentials",
            "plant_nitella_translucens",
        ),
        (["provenance.json"], "write_provenance", "squid_giant_axon"),
        (["../../reports/squid_giant_axon_summary.csv"], "render_dataset_report", None),
        (["../config.resolved.yaml"], "write_resolved_config", None),
    ],
)
def test_a_missing_results_file_is_planned_again(
    finished, tmp_path, deleted, rule, dataset
):
    workdir = _copy(finished, tmp_path)
    folder = workdir / "results" / (dataset or "squid_giant_axon")
    for name in deleted:
        (folder / name).unlink()
    run = snakemake(workdir, "--dry-run")
    assert run.returncode == 0, run.output
    planned = planned_jobs(run.output)
    if rule == "render_dataset_report":
        dataset = "squid_giant_axon"
    assert (rule, dataset) in planned, run.output


@pytest.mark.slow
def test_a_missing_results_file_is_rebuilt_with_the_same_values(finished, tmp_path):
    workdir = _copy(finished, tmp_path)
    path = workdir / "results" / "plant_nitella_translucens" / "samples.parquet"
    expected = pd.read_parquet(path)
    path.unlink()
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    pd.testing.assert_frame_equal(pd.read_parquet(path), expected)
    again = snakemake(workdir, "--dry-run")
    assert planned_jobs(again.output) == set(), again.output


@pytest.mark.slow
def test_with_reports_off_a_missing_result_is_rebuilt_too(finished, tmp_path):
    workdir = _copy(finished, tmp_path)
    alt = _write_config(workdir, "no_reports.yaml", **{"reports.enabled": False})
    (workdir / "results" / "squid_giant_axon" / "samples.parquet").unlink()
    run = snakemake(workdir, "--dry-run", "--configfile", alt)
    assert run.returncode == 0, run.output
    assert ("compute_samples", "squid_giant_axon") in planned_jobs(run.output)


@pytest.mark.slow
def test_a_crashed_computation_is_named_in_the_index_then_rebuilt(finished, tmp_path):
    workdir = _copy(finished, tmp_path)
    expected = pd.read_parquet(
        workdir / "results" / "human_red_blood_cell" / "potentials.parquet"
    )
    # The cause: a setting the activity model refuses (compute_potentials fails, and
    # Snakemake removes its outputs, for every dataset).
    crash = _write_config(workdir, "crash.yaml", **{"activity.params": {"bogus": 1}})
    run = snakemake(workdir, "--configfile", crash)
    assert run.returncode != 0, run.output
    rows = _index_rows(workdir)
    lenient = rows["human_red_blood_cell"]  # has rejected rows, as lenient allows
    assert lenient["status"] == "failed"
    assert "compute_potentials" in lenient["problem"], lenient
    assert "logs/compute_potentials/human_red_blood_cell.log" in lenient["problem"]
    assert "bogus" in lenient["problem"]
    assert "validation error" not in lenient["problem"]
    # The cause removed: the next run has every file again, with today's values.
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    for name in SUBSET:
        for f in RESULTS:
            assert (workdir / "results" / name / f).is_file(), (name, f)
    got = pd.read_parquet(
        workdir / "results" / "human_red_blood_cell" / "potentials.parquet"
    )
    pd.testing.assert_frame_equal(got, expected)
    assert {r["status"] for r in _index_rows(workdir).values()} <= {"ok", "warnings"}


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


def _kill_owner_once_started(folder: Path, started: list[Path], processes: int):
    """Run ``owner.py`` in ``folder``, kill -9 it once every ``started`` file is
    there (and at least ``processes`` processes run there), then wait past the
    slow work's end; assert that no process of it is left."""
    owner = subprocess.Popen([sys.executable, "owner.py"], cwd=folder)
    try:
        assert _wait_until(lambda: all(p.is_file() for p in started), 60)
        assert len(_processes_in(folder)) >= processes, _processes_in(folder)
    finally:
        owner.kill()
        owner.wait()
    gone = _wait_until(lambda: not _processes_in(folder), 5)
    time.sleep(0 if not gone else 3.5)  # past the slow work's end
    assert gone, f"orphans: {_kill_leftovers(folder)}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_processes_die_with_their_owner_before_writing(tmp_path):
    (tmp_path / "slow_job.py").write_text(SLOW_JOB)
    (tmp_path / "owner.py").write_text(OWNER)
    # the owner, the forkserver, the resource tracker and the busy worker
    _kill_owner_once_started(tmp_path, [tmp_path / "started.txt"], 4)
    assert not (tmp_path / "late.txt").exists(), "a worker wrote after its owner died"


SLOW_CHUNK = """
import pathlib, time


def slow_chunk(k):
    pathlib.Path(f"started{k}.txt").write_text("the chunk runs")
    time.sleep(3.0)
    pathlib.Path(f"late{k}.txt").write_text("written after a sleep")
"""

CHUNK_OWNER = """
import sys, time
sys.path.insert(0, ".")
import slow_chunk
from iongrad.pipeline.workers import process_pool

if __name__ == "__main__":
    with process_pool(2) as pool:
        futures = [pool.submit(slow_chunk.slow_chunk, k) for k in range(2)]
        time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_jobs_chunk_processes_die_with_the_job_before_writing(tmp_path):
    # a big table's chunks run in processes of the job (pipeline.chunks): a job
    # killed (with its warm worker, when Snakemake dies) takes them with it
    (tmp_path / "slow_chunk.py").write_text(SLOW_CHUNK)
    (tmp_path / "owner.py").write_text(CHUNK_OWNER)
    started = [tmp_path / f"started{k}.txt" for k in range(2)]
    _kill_owner_once_started(tmp_path, started, 3)
    assert not list(tmp_path.glob("late*.txt")), "a chunk wrote after its job died"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_mid_run_leaves_no_worker_and_recovers_to_the_same_results(
    tmp_path, workflow_run
):
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
    # The same files as the uninterrupted shared run (same code, same machine) has
    # for these datasets; its index also lists the dataset it fails on purpose.
    recovered, uninterrupted = snapshot(workdir), snapshot(workflow_run.workdir)
    assert sorted(recovered) == sorted(uninterrupted)
    for name, text in recovered.items():
        if not name.startswith("reports__index_"):
            assert text == uninterrupted[name], name
    assert not _kill_leftovers(workdir)


# --------------------------------------------- 9: a truncated parquet is rebuilt
@pytest.mark.slow
def test_a_truncated_results_parquet_is_named_then_rebuilt(finished, tmp_path):
    workdir = _copy(finished, tmp_path)
    rel = "results/squid_giant_axon/potentials.parquet"
    path = workdir / rel
    expected = pd.read_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    dry = snakemake(workdir, "--dry-run")
    assert dry.returncode == 0, dry.output
    assert rel in dry.output, dry.output
    assert path.stat().st_size == len(data) // 2, "a dry run changed the file"
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    assert "ArrowInvalid" not in run.output
    assert rel in run.output  # the note names the file it rebuilds
    pd.testing.assert_frame_equal(pd.read_parquet(path), expected)


def test_a_job_reading_a_damaged_parquet_names_it_and_the_cure(tmp_path):
    potentials = tmp_path / "results" / "x" / "potentials.parquet"
    potentials.parent.mkdir(parents=True)
    potentials.write_bytes(b"PAR1 this is not a whole parquet file")
    with pytest.raises(jobs.DamagedResultError) as info:
        jobs.samples_job(
            potentials=str(potentials),
            samples=str(tmp_path / "samples.parquet"),
            donnan_path=str(tmp_path / "donnan.parquet"),
            donnan={"enabled": True, "activity_model": "ideal"},
            ghk={"enabled": True, "default_permeability": {"K+": 1.0}},
        )
    message = str(info.value)
    assert "\n" not in message
    assert str(potentials) in message
    assert "run the workflow again" in message
    assert not potentials.exists(), "the damaged file must go, so it is rebuilt"


# ---------------------------------------------------- 10: permissions from umask
@pytest.mark.slow
def test_results_provenance_and_reports_are_0644_under_umask_022(finished):
    files = [
        p
        for folder in ("results", "reports")
        for p in (finished / folder).rglob("*")
        if p.is_file()
    ]
    assert any(p.name == "provenance.json" for p in files)
    assert any(p.suffix == ".html" for p in files)
    modes = {str(p.relative_to(finished)): p.stat().st_mode & 0o7777 for p in files}
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != 0o644}
    assert wrong == {}


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


@pytest.mark.slow
def test_own_folder_with_the_shipped_config_runs_and_notes_once(tmp_path):
    workdir = copy_workflow(tmp_path / "repo")
    lab = tmp_path / "lab tables"
    lab.mkdir()
    shutil.copy2(workdir / "data" / "raw" / "squid_giant_axon.csv", lab / "axon.csv")
    for name in HIDDEN:
        (lab / name).write_bytes(b"\x00\x05binary")
    own = workdir / "config" / "own.yaml"
    own.write_text(yaml.safe_dump({"raw_dir": str(lab)}))
    run = snakemake(workdir, "--dry-run", "--configfile", "config/own.yaml")
    assert run.returncode == 0, run.output
    assert ("validate_dataset", "axon") in planned_jobs(run.output)
    datasets = {d for _, d in planned_jobs(run.output) if d}
    assert datasets == {"axon"}, run.output
    assert run.output.count("human_red_blood_cell") == 1, run.output
    assert run.output.count("._axon.csv") == 1, run.output


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


@pytest.mark.slow
def test_a_dry_run_writes_nothing_even_into_a_read_only_results(finished, tmp_path):
    workdir = _copy(finished, tmp_path)
    alt = _write_config(workdir, "changed.yaml", **{"driving_force.atol_mV": 0.5})
    # Due in any run: the resolved config is missing (when it exists, Snakemake
    # itself fails to remove it first, naming it).
    (workdir / "results" / "config.resolved.yaml").unlink()
    before = _state(workdir)
    (workdir / "results").chmod(0o555)
    try:
        for args in ((), ("--configfile", alt)):
            run = snakemake(workdir, "--dry-run", *args, preexec_fn=_no_root_override)
            assert run.returncode == 0, run.output
            assert _state(workdir) == before, run.output
        assert "results/config.resolved.yaml" in run.output  # due, not written
        run = snakemake(workdir, "--configfile", alt, preexec_fn=_no_root_override)
    finally:
        (workdir / "results").chmod(0o755)
    assert run.returncode != 0, run.output
    lines = [ln for ln in run.output.splitlines() if "Permission denied" in ln]
    assert lines, run.output
    assert any("cannot write results/config.resolved.yaml" in ln for ln in lines)
    assert not [ln for ln in lines if ".tmp" in ln], lines


# ------------------------------------- 19: file-level failures, stale reports
def test_a_file_level_failure_is_printed_without_none_parts():
    report = {
        "file": "data/raw/x.csv",
        "dataset": "x",
        "rows_read": 0,
        "rows_accepted": 0,
        "rows_rejected": 0,
        "mode": "strict",
        "ok": False,
        "unreadable": True,
        "failures": [
            {
                "file": "data/raw/x.csv",
                "row": None,
                "column": None,
                "value": None,
                "rule": "readable_file",
                "severity": "error",
                "message": "not a table",
            },
            {
                "row": 4,
                "column": "c_in_mM",
                "value": "",
                "rule": "required_value",
                "severity": "error",
                "message": "empty cell",
            },
        ],
    }
    with pytest.raises(jobs.DatasetFailedError) as info:
        jobs.gate_strict(report)
    message = str(info.value)
    assert "None" not in message
    assert "readable_file: not a table" in message
    assert "row 4, column c_in_mM, value '': required_value: empty cell" in message


@pytest.mark.slow
def test_reports_of_a_removed_dataset_leave_reports_and_the_index(finished, tmp_path):
    workdir = _copy(finished, tmp_path)
    (workdir / "reports" / "my_notes.html").write_text("<p>mine</p>")
    (workdir / "data" / "raw" / "squid_giant_axon.csv").unlink()
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    assert sorted(_index_rows(workdir)) == [
        "human_red_blood_cell",
        "plant_nitella_translucens",
    ]
    assert not list((workdir / "reports").glob("squid_giant_axon*"))
    moved = workdir / "reports" / "removed_datasets"
    assert (moved / "squid_giant_axon.html").is_file()
    assert (moved / "squid_giant_axon_summary.csv").is_file()
    assert (workdir / "reports" / "my_notes.html").is_file(), "not ours: kept"
    log = (workdir / "logs" / "render_index" / "index.log").read_text()
    assert "squid_giant_axon" in log
    assert "removed_datasets" in log
    assert "squid_giant_axon" not in (workdir / "reports" / "index.html").read_text()


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


def test_the_index_problem_says_what_failed(tmp_path, monkeypatch):
    from iongrad.report import render_index

    monkeypatch.chdir(tmp_path)
    cases = {
        "strict_bad": (_validation("strict", False, 1), (), None),
        "crashed": (
            _validation("lenient", False, 1),
            (),
            "Traceback (most recent call last):\nValueError: boom\n",
        ),
        "interrupted": (_validation("strict", True), ("potentials.parquet",), None),
    }
    for name, (report, present, log) in cases.items():
        results = tmp_path / "results" / name
        results.mkdir(parents=True)
        (results / "validation.json").write_text(json.dumps(report))
        for f in present:
            (results / f).write_text("x")
        if log is not None:
            path = tmp_path / "logs" / "compute_potentials" / f"{name}.log"
            path.parent.mkdir(parents=True)
            path.write_text("2026-01-01 ERROR job failed\n" + log)
    entries = jobs.index_entries([*cases, "never_ran"])
    problem = {e["dataset"]: e["problem"] for e in entries}
    assert problem["strict_bad"].startswith("failed validation (strict mode)")
    assert "row 3, column c_in_mM, value '14O'" in problem["strict_bad"]
    assert "compute_potentials" in problem["crashed"]
    assert "ValueError: boom" in problem["crashed"]
    assert "logs/compute_potentials/crashed.log" in problem["crashed"]
    assert "results/interrupted/samples.parquet" in problem["interrupted"]
    assert "missing" in problem["interrupted"]
    assert "validation.json" in problem["never_ran"]
    render_index(entries=entries, output=tmp_path / "reports" / "index.html")
    rows = _index_rows(tmp_path)
    assert {k: rows[k]["problem"] for k in problem} == problem
