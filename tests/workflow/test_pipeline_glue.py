"""Pipeline glue: atomic writes, per-thread job logs, strict gate, status."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading

import pandas as pd
import pytest
from smk_helpers import REPO

from iongrad import files
from iongrad.pipeline import batch, jobs, logs, provenance, workers


def test_atomic_write_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "out" / "potentials.parquet"

    def write_then_fail():
        with files.atomic_path(target) as tmp:
            tmp.write_bytes(b"half a file")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_then_fail()
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_atomic_write_replaces_the_target_only_when_complete(tmp_path):
    target = tmp_path / "x.json"
    target.write_text("old")
    with files.atomic_path(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_failed_parquet_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "samples.parquet"
    bad = pd.DataFrame({"x_mV": [1.0, 2.0], "mixed": [object(), 1]})
    with pytest.raises(Exception):  # noqa: B017, PT011 - pyarrow's own error type
        jobs.write_result(bad, target)
    assert list(tmp_path.iterdir()) == []


def test_job_log_captures_only_its_own_thread_and_the_traceback(tmp_path):
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    barrier = threading.Barrier(2)

    def job(path, text, fail):
        with logs.job_log(path) as log:
            barrier.wait()
            log.info(text)
            barrier.wait()
            if fail:
                raise ValueError("bad " + text)

    def run(path, text, fail):
        with contextlib.suppress(ValueError):
            job(path, text, fail)

    threads = [
        threading.Thread(target=run, args=(log_a, "alpha", False)),
        threading.Thread(target=run, args=(log_b, "beta", True)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = log_a.read_text(), log_b.read_text()
    assert "alpha" in a
    assert "beta" not in a
    assert "beta" in b
    assert "alpha" not in b
    assert "Traceback" in b
    assert "ValueError: bad beta" in b
    assert not logging.getLogger("iongrad").handlers


def _report(**over):
    base = {
        "file": "data/raw/x.csv",
        "dataset": "x",
        "rows_read": 3,
        "rows_accepted": 2,
        "rows_rejected": 1,
        "warnings": [],
        "failures": [
            {
                "file": "data/raw/x.csv",
                "row": 4,
                "column": "c_in_mM",
                "value": "14O",
                "rule": "number_format",
                "severity": "error",
                "message": "not a number",
            }
        ],
        "mode": "strict",
        "ok": False,
    }
    return {**base, **over}


def test_strict_gate_names_file_row_column_value_and_rule():
    with pytest.raises(jobs.DatasetFailedError) as info:
        jobs.gate_strict(_report())
    msg = str(info.value)
    for part in ("data/raw/x.csv", "row 4", "c_in_mM", "'14O'", "number_format"):
        assert part in msg
    jobs.gate_strict(_report(mode="lenient"))  # lenient: quarantined, not fatal
    with pytest.raises(jobs.DatasetFailedError):
        jobs.gate_strict(_report(mode="lenient", unreadable=True))


def _results(tmp_path, name, report, names=files.RESULT_FILES, html=True):
    d = tmp_path / "results" / name
    d.mkdir(parents=True)
    (d / "validation.json").write_text(json.dumps(report))
    for f in names:
        (d / f).write_text("x")
    if "provenance.json" in names:  # as write_provenance records the validation
        _provenance(d)
    reports = tmp_path / "reports"
    reports.mkdir(exist_ok=True)
    if html:
        (reports / f"{name}.html").write_text("<html></html>")


def _provenance(results, validation=None):
    """A provenance.json recording ``validation`` (default: the dataset's own)."""
    vj = validation or results / "validation.json"
    record = {"outputs": {"validation": {"sha256": provenance.sha256_file(vj)}}}
    (results / "provenance.json").write_text(json.dumps(record))


def test_status_does_not_trust_the_clock(tmp_path, monkeypatch):
    # A clock stepped back between validation and computation (a fresh machine's
    # first NTP sync) leaves results with older mtimes than validation.json; the
    # provenance, written last, records the validation.json they came from.
    monkeypatch.chdir(tmp_path)
    _results(tmp_path, "good", _report(ok=True, rows_rejected=0, failures=[]))
    d = tmp_path / "results" / "good"
    later = (d / "validation.json").stat().st_mtime + 60
    os.utime(d / "validation.json", (later, later))
    assert jobs.dataset_status(d, "reports/good.html") == "ok"


def test_results_of_an_earlier_validation_are_failed(tmp_path, monkeypatch):
    # validation.json rewritten (the table changed), the later stages never ran:
    # their files are an earlier run's, whatever the clock says.
    monkeypatch.chdir(tmp_path)
    _results(tmp_path, "stale", _report(ok=True, rows_rejected=0, failures=[]))
    d = tmp_path / "results" / "stale"
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps(_report(ok=True, rows_rejected=1, failures=[])))
    _provenance(d, earlier)
    (entry,) = jobs.index_entries(["stale"])
    assert entry["status"] == "failed"
    assert "results/stale/provenance.json" in entry["problem"]
    assert "earlier" in entry["problem"]


def test_dataset_status_and_index_entries(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _results(tmp_path, "good", _report(ok=True, rows_rejected=0, failures=[]))
    _results(tmp_path, "quarantined", _report(mode="lenient"))
    _results(tmp_path, "strict_bad", _report(), names=(), html=False)
    _results(tmp_path, "crashed", _report(ok=True, failures=[]), names=(), html=False)
    names = ["strict_bad", "good", "quarantined", "crashed", "never_ran"]
    entries = jobs.index_entries(names)
    assert [e["dataset"] for e in entries] == sorted(names)
    status = {e["dataset"]: e["status"] for e in entries}
    assert status == {
        "good": "ok",
        "quarantined": "warnings",
        "strict_bad": "failed",
        "crashed": "failed",
        "never_ran": "failed",
    }
    good = next(e for e in entries if e["dataset"] == "good")
    assert good == {
        "dataset": "good",
        "status": "ok",
        "problem": "",
        "results_dir": "results/good",
        "report_href": "good.html",
    }


def test_config_enums_are_the_activity_module_names():
    from iongrad.physics import activity
    from iongrad.pipeline import config as cfgmod

    props = cfgmod.schema()["properties"]["activity"]["properties"]
    assert tuple(props["model"]["enum"]) == tuple(activity.MODELS)
    assert tuple(props["convention"]["enum"]) == tuple(activity.CONVENTIONS)


def test_worker_processes_give_the_same_files_logs_and_errors(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("abc\n")
    report = tmp_path / "validation.json"
    report.write_text(json.dumps(_report()))
    workers.use_worker_processes(1)
    try:
        jobs.provenance_job(
            dataset="x",
            inputs={"table": str(table)},
            outputs={},
            settings={"activity": {"model": "davies", "convention": "macinnes"}},
            provenance=str(tmp_path / "provenance.json"),
            log=str(tmp_path / "provenance.log"),
        )
        with pytest.raises(jobs.DatasetFailedError, match="row 4"):
            jobs.potentials_job(
                measurements=str(tmp_path / "missing.parquet"),
                validation_json=str(report),
                potentials=str(tmp_path / "potentials.parquet"),
                temperature_scan_path=str(tmp_path / "scan.parquet"),
                activity={"model": "ideal", "convention": "macinnes"},
                driving_force={"atol_mV": 0.0},
                temperatures_C=[],
                log=str(tmp_path / "potentials.log"),
            )
        worker_pid = workers._WORKERS["pool"].submit(os.getpid).result()
    finally:
        workers.use_worker_processes(0)
    assert worker_pid != os.getpid()
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["models"]["activity_model"] == "davies"
    assert "input sha256" in (tmp_path / "provenance.log").read_text()
    log = (tmp_path / "potentials.log").read_text()
    assert "failed validation in strict mode" in log
    assert not (tmp_path / "potentials.parquet").exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"PAR1 not a parquet file", "broken.parquet"), (b"a;b\n1;2\n", "alien.csv")],
)
def test_unusable_file_is_recorded_then_fails_even_in_lenient_mode(
    tmp_path, content, name
):
    raw = tmp_path / name
    raw.write_bytes(content)
    out = tmp_path / "results"
    jobs.validate_job(
        raw=str(raw),
        dataset="x",
        mode="lenient",
        validation_json=str(out / "validation.json"),
        rejected_csv=str(out / "rejected.csv"),
        measurements=str(out / "measurements.parquet"),
        log=str(tmp_path / "validate.log"),
    )
    report = json.loads((out / "validation.json").read_text())
    assert report["ok"] is False
    assert report["rows_accepted"] == 0
    assert report["failures"], "the reason must be recorded"
    assert (out / "rejected.csv").is_file()
    with pytest.raises(jobs.DatasetFailedError, match="nothing computed"):
        jobs.potentials_job(
            measurements=str(out / "measurements.parquet"),
            validation_json=str(out / "validation.json"),
            potentials=str(out / "potentials.parquet"),
            temperature_scan_path=str(out / "scan.parquet"),
            activity={"model": "ideal", "convention": "macinnes"},
            driving_force={"atol_mV": 0.0},
            temperatures_C=[],
        )
    assert not (out / "potentials.parquet").exists()
    assert jobs.dataset_status(out) == "failed"


def test_molal_tables_carry_mmol_per_kg_unit_metadata(tmp_path):
    import pyarrow.parquet as pq

    df = pd.DataFrame(
        {
            "ion": ["K+", "Cl-"],
            "c_in_mM": [140.0, 10.0],
            "c_out_mM": [5.0, 120.0],
            "E_conc_mV": [-89.0, -66.0],
            "concentration_scale": ["molal", "molal"],
        }
    )
    jobs.write_result(df, tmp_path / "molal.parquet")
    jobs.write_result(
        df.assign(concentration_scale="molar"), tmp_path / "molar.parquet"
    )

    def unit(name, column):
        field = pq.read_schema(tmp_path / name).field(column)
        return field.metadata[b"unit"].decode()

    assert unit("molal.parquet", "c_in_mM") == "mmol/kg"
    assert unit("molal.parquet", "E_conc_mV") == "mV"
    assert unit("molar.parquet", "c_out_mM") == "mM"
    with pytest.raises(ValueError, match="mixes concentration scales"):
        jobs._units(df.assign(concentration_scale=["molal", "molar"]))


def _one_dataset_results(tmp_path, name="squid_giant_axon"):
    """Validated and computed results of one example dataset under tmp_path."""
    res = tmp_path / "results" / name
    raw = str(REPO / "data" / "raw" / f"{name}.csv")
    jobs.validate_job(
        raw=raw,
        dataset=name,
        mode="strict",
        validation_json=str(res / "validation.json"),
        rejected_csv=str(res / "rejected.csv"),
        measurements=str(res / "measurements.parquet"),
    )
    batch.compute_batch(
        datasets=[name],
        table=[raw],
        validation=[str(res / "validation.json")],
        measurements=[str(res / "measurements.parquet")],
        potentials=[str(res / "potentials.parquet")],
        temperature_scan=[str(res / "temperature_scan.parquet")],
        samples=[str(res / "samples.parquet")],
        donnan_table=[str(res / "donnan.parquet")],
        provenance=[str(res / "provenance.json")],
        potentials_logs=[str(tmp_path / "p.log")],
        samples_logs=[str(tmp_path / "s.log")],
        provenance_logs=[str(tmp_path / "v.log")],
        activity={"model": "truesdell-jones", "convention": "macinnes"},
        driving_force={"atol_mV": 0.0},
        temperatures_C=[20, 37],
        donnan={"enabled": True, "activity_model": "ideal"},
        ghk={"enabled": True, "default_permeability": {"K+": 1.0}},
        settings={name: {}},
    )
    return name


def test_report_companions_are_what_the_report_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = _one_dataset_results(tmp_path)
    batch.report_batch(
        datasets=[name],
        html=[f"reports/{name}.html"],
        settings={name: None},
        logs=["report.log"],
    )
    written = {p.name for p in (tmp_path / "reports").iterdir()}
    expected = {f"{name}.html"} | {
        f"{name}{s}" for s in files.REPORT_COMPANIONS if s != "_failures.csv"
    }
    assert written == expected


def test_failed_batch_report_leaves_no_companion_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = _one_dataset_results(tmp_path)
    (tmp_path / "results" / name / "potentials.parquet").unlink()
    reports = tmp_path / "reports"
    reports.mkdir()
    stale = [reports / f"{name}{s}" for s in files.REPORT_COMPANIONS]
    for path in stale:
        path.write_text("from an earlier rendering")
    (reports / "other_summary.csv").write_text("another dataset's")
    with pytest.raises(Exception, match="potentials"):
        batch.report_batch(
            datasets=[name],
            html=[f"reports/{name}.html"],
            settings={name: None},
            logs=["report.log"],
        )
    assert not [p for p in stale if p.exists()]
    assert (reports / "other_summary.csv").is_file()


def test_compute_batch_names_every_failed_dataset_after_the_others(tmp_path):
    report = tmp_path / "bad.json"
    report.write_text(json.dumps(_report()))
    name = _one_dataset_results(tmp_path)
    res = tmp_path / "results" / name
    out = tmp_path / "out"
    with pytest.raises(jobs.DatasetFailedError, match=r"1 of 2 datasets") as err:
        batch.compute_batch(
            datasets=["bad", name],
            table=["bad.csv", str(REPO / "data" / "raw" / f"{name}.csv")],
            validation=[str(report), str(res / "validation.json")],
            measurements=["missing.parquet", str(res / "measurements.parquet")],
            potentials=[str(out / f"{d}_p.parquet") for d in ("bad", name)],
            temperature_scan=[str(out / f"{d}_t.parquet") for d in ("bad", name)],
            samples=[str(out / f"{d}_s.parquet") for d in ("bad", name)],
            donnan_table=[str(out / f"{d}_d.parquet") for d in ("bad", name)],
            provenance=[str(out / f"{d}_v.json") for d in ("bad", name)],
            potentials_logs=[str(out / f"{d}_p.log") for d in ("bad", name)],
            samples_logs=[str(out / f"{d}_s.log") for d in ("bad", name)],
            provenance_logs=[str(out / f"{d}_v.log") for d in ("bad", name)],
            activity={"model": "ideal", "convention": "macinnes"},
            driving_force={"atol_mV": 0.0},
            temperatures_C=[],
            donnan={"enabled": True, "activity_model": "ideal"},
            ghk={"enabled": True, "default_permeability": {"K+": 1.0}},
            settings={"bad": {}, name: {}},
        )
    assert "- bad:" in str(err.value)
    assert "row 4" in str(err.value)  # the validation summary of the bad one
    assert (out / f"{name}_v.json").is_file()  # the good one was computed after it
    assert not (out / "bad_p.parquet").exists()


def test_batch_lists_must_align_with_the_datasets():
    with pytest.raises(ValueError, match="2 datasets got 1 html paths"):
        batch.report_batch(
            datasets=["a", "b"], html=["a.html"], settings={}, logs=["a", "b"]
        )


def test_a_job_finishing_first_does_not_silence_another_jobs_log(tmp_path):
    """Two job threads: the first to finish used to restore the shared logger level
    while the other still ran, so the other's INFO lines (the index job's note on
    moved reports) were lost and its log came out empty."""
    import threading as _threading

    from iongrad.pipeline.logs import job_log as _job_log

    inside, release = _threading.Event(), _threading.Event()

    def first():
        with _job_log(tmp_path / "first.log"):
            inside.set()
            release.wait(5)

    worker = _threading.Thread(target=first)
    worker.start()
    inside.wait(5)
    with _job_log(tmp_path / "second.log") as log:
        release.set()
        worker.join(5)
        log.info("still heard")
    assert "still heard" in (tmp_path / "second.log").read_text()
