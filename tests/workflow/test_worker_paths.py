"""The worker-process path writes what the in-process path writes.

The default profile runs the jobs inside Snakemake's process, which hands each job
function to warm worker processes (:mod:`iongrad.pipeline.workers`); cluster jobs
and the CLI call the same functions where they are. Both paths must give the same
files: here the batched job (:func:`iongrad.pipeline.batch.process_batch`, every
stage and the reports) runs on two example datasets once in this process and once
through two workers (forked from a forkserver that imported the job modules once),
and every file the two runs wrote is compared byte for byte,
except what records when and where it ran (provenance's timestamp and working
directory, which the HTML shows too, the time a report was rendered) and the logs'
time stamps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path

from smk_helpers import REPO

from iongrad.pipeline import config as cfgmod
from iongrad.pipeline import workers
from iongrad.pipeline.batch import process_batch

DATASETS = ("human_red_blood_cell.csv", "mammalian_neuron.parquet")
_STAMP = re.compile(r"^\S+ \S+ ")  # a log line's date and time


def _batch(root: Path) -> None:
    """The batched rule's call for every table in ``root/data/raw`` (cwd: root)."""
    cfg = cfgmod.resolve(cfgmod.load(REPO / "config" / "config.yaml"))
    names = sorted(cfg["datasets"])

    def each(pattern: str) -> list[str]:
        return [pattern.format(dataset=d) for d in names]

    process_batch(
        datasets=names,
        table=[cfg["datasets"][d]["path"] for d in names],
        html=each("reports/{dataset}.html"),
        provenance=each("results/{dataset}/provenance.json"),
        validation=each("results/{dataset}/validation.json"),
        measurements=each("results/{dataset}/measurements.parquet"),
        rejected=each("results/{dataset}/rejected.csv"),
        potentials=each("results/{dataset}/potentials.parquet"),
        temperature_scan=each("results/{dataset}/temperature_scan.parquet"),
        samples=each("results/{dataset}/samples.parquet"),
        donnan_table=each("results/{dataset}/donnan.parquet"),
        validate_logs=each("logs/validate_dataset/{dataset}.log"),
        potentials_logs=each("logs/compute_potentials/{dataset}.log"),
        samples_logs=each("logs/compute_samples/{dataset}.log"),
        provenance_logs=each("logs/write_provenance/{dataset}.log"),
        report_logs=each("logs/render_dataset_report/{dataset}.log"),
        modes={d: cfg["datasets"][d]["validation_mode"] for d in names},
        number_formats={d: cfg["datasets"][d].get("number_format") for d in names},
        settings={d: cfgmod.dataset_settings(cfg, d) for d in names},
        activity=cfg["activity"],
        driving_force=cfg["driving_force"],
        temperatures_C=cfg["temperatures_C"],
        donnan=cfg["donnan"],
        ghk=cfg["ghk"],
    )


def _run(root: Path, monkeypatch, worker_processes: int) -> tuple[int, int] | None:
    """Run the batch in ``root``; return a worker's process id and its parent's
    (None: in-process)."""
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    for name in DATASETS:
        shutil.copy2(REPO / "data" / "raw" / name, raw / name)
    monkeypatch.chdir(root)
    workers.use_worker_processes(worker_processes)
    try:
        _batch(root)
        pool = workers._WORKERS["pool"]
        if pool is None:
            return None
        return pool.submit(os.getpid).result(), pool.submit(os.getppid).result()
    finally:
        workers.use_worker_processes(0)


def _comparable(path: Path, root: Path) -> bytes:
    """The file's bytes without what says when and where its run was."""
    data = path.read_bytes()
    if path.name == "provenance.json":
        record = json.loads(data)
        record.pop("timestamp_utc")
        record["execution"].pop("working_directory")
        return json.dumps(record, sort_keys=True).encode()
    if path.name == "snapshot.json":  # what the next report compares with
        record = json.loads(data)
        record.pop("rendered_at")
        return json.dumps(record, sort_keys=True).encode()
    if path.suffix == ".log":
        lines = data.decode().splitlines()
        return "\n".join(_STAMP.sub("", line) for line in lines).encode()
    if path.suffix == ".html":
        text = data.decode().replace(str(root), "<root>")
        text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "<when>", text)
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "<when>", text).encode()
    return data


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): _comparable(p, root)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_worker_processes_write_the_files_the_in_process_path_writes(
    tmp_path, monkeypatch
):
    assert _run(tmp_path / "direct", monkeypatch, 0) is None
    worker, forkserver = _run(tmp_path / "workers", monkeypatch, 2)
    assert worker != os.getpid()
    if sys.platform.startswith("linux"):  # workers fork with the job modules loaded
        preload = Path(f"/proc/{forkserver}/cmdline").read_bytes().decode()
        assert "forkserver" in preload
        assert "iongrad.pipeline.jobs" in preload
    direct = _files(tmp_path / "direct")
    via_workers = _files(tmp_path / "workers")
    assert sorted(direct) == sorted(via_workers)
    # every stage wrote its files, the reports their companions
    assert len([f for f in direct if f.startswith("results/")]) >= 2 * 8
    assert len([f for f in direct if f.endswith(".svg")]) == 2 * 5
    differing = [f for f in direct if direct[f] != via_workers[f]]
    assert not differing


def test_each_tries_every_item_and_keeps_each_error_in_its_place():
    def job(item):
        tried.append(item)
        if item == 1:
            raise ValueError("item 1")
        return item * 10

    tried: list[int] = []
    outcomes = workers.each(job, [0, 1, 2])  # no workers: one after the other
    assert tried == [0, 1, 2]
    assert [o.result() for o in (outcomes[0], outcomes[2])] == [0, 20]
    assert "item 1" in str(outcomes[1].exception())


def test_each_runs_a_batch_concurrently_when_workers_are_enabled():
    both_in_flight = threading.Barrier(2, timeout=30)  # broken unless concurrent

    def job(item):
        both_in_flight.wait()
        return item

    workers.use_worker_processes(2)
    try:
        outcomes = workers.each(job, ["a", "b"])
    finally:
        workers.use_worker_processes(0)
    assert [o.result() for o in outcomes] == ["a", "b"]
