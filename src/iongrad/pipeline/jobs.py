"""The job functions: one per workflow stage, files in, iongrad functions, files out.

Each per-dataset Snakemake rule calls exactly one ``*_job`` function of this module
(the batched rule calls them through :mod:`iongrad.pipeline.batch`); each of those
reads its inputs, calls the DataFrame-level functions
(:func:`iongrad.tables.potentials.compute_potentials`,
:func:`iongrad.tables.potentials.temperature_scan`,
:func:`iongrad.tables.samples.compute_samples`, the reading and validation of
:mod:`iongrad.gate.validation`, the reports of :mod:`iongrad.report`) and writes its
outputs atomically (to a temporary name in the same folder, renamed only when
complete), so no partial result file survives a failed job. This module holds no
formula of its own.

Strict-mode gate: :func:`validate_job` never fails on bad data (it always writes
``validation.json`` and ``rejected.csv``, so the index can say what went wrong);
:func:`potentials_job` refuses a dataset whose validation failed in strict mode (or
whose file could not be read at all, or with no accepted row) with the validation
summary in its log and in the error message.

Results files are read through :mod:`iongrad.pipeline.integrity`: a damaged one is
removed (the next run rebuilds it) and named in a one-line error.

Execution: the job functions run where they are called, or, after
:func:`iongrad.pipeline.workers.use_worker_processes` (the workflow enables it for
jobs that Snakemake runs inside its own process), in warm worker processes, one per
core.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from iongrad import files
from iongrad.gate.ingest import IngestError
from iongrad.gate.records import RECORD_KEYS, write_failures
from iongrad.gate.validation import validate_file, write_outputs
from iongrad.pipeline.chunks import chunk_rows, map_chunks, sample_cuts
from iongrad.pipeline.config import write_resolved
from iongrad.pipeline.integrity import DamagedResultError, read_json, read_parquet
from iongrad.pipeline.logs import job_log
from iongrad.pipeline.provenance import build_provenance, sha256_file
from iongrad.pipeline.workers import in_worker_process
from iongrad.tables.locate import concat_tables
from iongrad.tables.potentials import (
    SCAN_COLUMNS,
    compute_potentials,
    temperature_scan_parts,
)
from iongrad.tables.samples import POTENTIALS_COLUMNS, compute_samples

__all__ = [
    "DATASET_RESULTS",
    "REMOVED_REPORTS",
    "DamagedResultError",
    "DatasetFailedError",
    "dataset_status",
    "gate_strict",
    "index_entries",
    "index_job",
    "move_removed_reports",
    "potentials_job",
    "provenance_job",
    "report_job",
    "resolved_config_job",
    "samples_job",
    "validate_job",
    "write_result",
]


class DatasetFailedError(RuntimeError):
    """A dataset that failed validation in strict mode (or could not be read)."""


#: Every file under ``results/<dataset>/`` a user reads, in the order the stages
#: write them (validation, potentials, Donnan and GHK, provenance).
DATASET_RESULTS = (
    "validation.json",
    "rejected.csv",
    "failures.parquet",
    "measurements.parquet",
    "potentials.parquet",
    "temperature_scan.parquet",
    "samples.parquet",
    "donnan.parquet",
    "provenance.json",
)


_UNIT_SUFFIXES = {
    "_mV": "mV",
    "_mM": "mM",
    "_K": "K",
    "_molal": "mol/kg",
    "_mOsm_kg": "mOsm/kg",
    "_kPa": "kPa",
}


def _units(df: pd.DataFrame) -> dict[str, str]:
    """Units of the dimensional columns, read from the column-name suffix.

    Concentration columns (``*_mM``) of a molal table hold mmol/kg (see the
    ``concentration_scale`` column): their metadata says so, so that re-reading the
    file never takes molal values for molar ones.
    """
    scales = (
        set(df["concentration_scale"].dropna().unique())
        if "concentration_scale" in df.columns
        else set()
    )
    if len(scales) > 1:
        raise ValueError(f"one table mixes concentration scales {sorted(scales)}")
    molal = scales == {"molal"}
    out = {}
    for col in df.columns:
        for suffix, unit in _UNIT_SUFFIXES.items():
            if str(col).endswith(suffix):
                out[str(col)] = "mmol/kg" if molal and suffix == "_mM" else unit
    return out


def write_result(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a table atomically, each dimensional column with its ``unit`` metadata.

    Ingestion reads the units back (:func:`_units` says which they are).
    """
    files.write_parquet(path, df.reset_index(drop=True), units=_units(df))


# ------------------------------------------------------------------ job functions
@in_worker_process
def validate_job(
    *,
    raw: str,
    dataset: str,
    mode: str,
    validation_json: str,
    rejected_csv: str,
    measurements: str,
    log: str | None = None,
    number_format: Mapping[str, Any] | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> None:
    """Validate one input table and write its validation outputs (never fails on data).

    Writes ``validation.json`` and ``rejected.csv`` (via
    :func:`iongrad.gate.validation.write_outputs`) and the accepted rows as
    ``measurements.parquet``. A file that cannot be read at all gets a
    ``validation.json`` with ``ok: false`` and the reading error as its failure.
    ``read_options`` are the dataset's config keys that say how its file is read
    (:func:`iongrad.pipeline.config.read_settings`: ``number_format``, ``sheet``,
    ``header_row``, ``units_row``, ``skip_rows``, ``columns``); ``number_format``
    may also be given on its own.
    """
    with job_log(log) as log_:
        log_.info("validating %s as dataset %s (%s mode)", raw, dataset, mode)
        try:
            result = validate_file(
                raw,
                dataset=dataset,
                mode=mode,
                options=dict(read_options or {}),
                number_format=dict(number_format) if number_format else None,
            )
        except IngestError as exc:
            log_.error("cannot read %s: %s", raw, exc)
            _write_unreadable(exc, raw, dataset, mode, validation_json, rejected_csv)
            write_result(
                pd.DataFrame({"dataset": pd.Series([], dtype=str)}), measurements
            )
            return
        log_.info("%s", result.summary())
        # All three files or none: each is renamed into place only when all are
        # written.
        with (
            files.atomic_path(validation_json) as vj,
            files.atomic_path(rejected_csv) as rc,
            files.atomic_path(_failures_path(validation_json)) as fp,
        ):
            write_outputs(
                result, validation_json=vj, rejected_csv=rc, failures_parquet=fp
            )
        write_result(result.accepted, measurements)


def _failures_path(validation_json: str | os.PathLike) -> Path:
    """``failures.parquet`` beside ``validation.json``: every failure, one row each
    (validation.json counts them and keeps the first examples)."""
    return Path(validation_json).with_name(files.FAILURES_FILE)


def _write_unreadable(exc, raw, dataset, mode, validation_json, rejected_csv) -> None:
    failure = {
        "file": getattr(exc, "file", raw),
        "row": getattr(exc, "row", None),
        "column": getattr(exc, "column", None),
        "value": getattr(exc, "value", None),
        "rule": getattr(exc, "rule", "readable_file"),
        "severity": "error",
        "message": str(exc),
    }
    report = {
        "file": raw,
        "dataset": dataset,
        "rows_read": 0,
        "rows_accepted": 0,
        "rows_rejected": 0,
        "warnings": [],
        "failures": [failure],
        "mode": mode,
        "ok": False,
        "unreadable": True,
    }
    files.write_json(validation_json, report)
    files.write_text(rejected_csv, "source_file,source_row,reason\n")
    record = {k: [failure.get(k)] for k in RECORD_KEYS}
    write_failures(_failures_path(validation_json), pd.DataFrame(record, dtype=object))


def _failure_line(failure: Mapping[str, Any]) -> str:
    """One failure of a validation.json: where (the parts it has), rule, message.

    >>> _failure_line({"row": 4, "column": "c_in_mM", "value": "14O",
    ...                "rule": "number_format", "message": "not a number"})
    "row 4, column c_in_mM, value '14O': number_format: not a number"
    >>> _failure_line({"row": None, "rule": "readable_file", "message": "empty"})
    'readable_file: empty'
    """
    where = [
        f"{label} {text}"
        for label, text in (
            ("row", failure.get("row")),
            ("column", failure.get("column")),
            ("value", None if failure.get("value") is None else repr(failure["value"])),
        )
        if text is not None
    ]
    what = f"{failure.get('rule')}: {failure.get('message')}"
    return f"{', '.join(where)}: {what}" if where else what


def _errors(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in report.get("failures", []) if f.get("severity") == "error"]


def _summary_of(report: Mapping[str, Any], limit: int = 20) -> str:
    """A short text summary of a validation.json (for logs and error messages)."""
    lines = [
        f"{report.get('file')}: {report.get('rows_read')} rows read, "
        f"{report.get('rows_accepted')} accepted, {report.get('rows_rejected')} "
        f"rejected ({report.get('mode')} mode)"
    ]
    errors = _errors(report)
    for f in errors[:limit]:
        lines.append(f"  {_failure_line(f)}")
    # validation.json keeps examples of each rule; "errors" counts them all
    more = max(len(errors), int(report.get("errors") or 0)) - min(len(errors), limit)
    if more > 0:
        lines.append(
            f"  ... and {more} more (see validation.json and {files.FAILURES_FILE})"
        )
    return "\n".join(lines)


def gate_strict(report: Mapping[str, Any]) -> None:
    """Raise :class:`DatasetFailedError` when a dataset must not be computed.

    That is: an unreadable file, any error in strict mode, or (in lenient mode too)
    no accepted row at all: an empty result would look like a dataset with nothing
    to say rather than one that failed.
    """
    if report.get("unreadable") or (
        report.get("mode", "strict") == "strict" and not report.get("ok", False)
    ):
        raise DatasetFailedError(
            f"dataset {report.get('dataset')!r} failed validation in "
            f"{report.get('mode')} mode; nothing computed:\n{_summary_of(report)}"
        )
    if not report.get("rows_accepted"):
        raise DatasetFailedError(
            f"dataset {report.get('dataset')!r}: no row passed validation "
            f"({report.get('mode')} mode); nothing computed:\n{_summary_of(report)}"
        )


@in_worker_process
def potentials_job(
    *,
    measurements: str,
    validation_json: str,
    potentials: str,
    temperature_scan_path: str,
    activity: Mapping[str, Any],
    driving_force: Mapping[str, Any],
    temperatures_C: Sequence[float],
    log: str | None = None,
    ljp: Mapping[str, Any] | None = None,
    processes: int = 1,
) -> None:
    """Strict gate, then potentials.parquet and temperature_scan.parquet.

    ``ljp`` is the dataset's ``{"solutions": ..., "recording": ...}``
    (:func:`iongrad.pipeline.config.ljp_settings`): each sample's liquid junction
    potential and LJP-corrected Vm (:mod:`iongrad.tables.ljp`) go into the
    potentials; the temperature scan holds no Vm and does without them. A table of
    more than one chunk is computed in ``processes`` processes
    (:func:`iongrad.pipeline.chunks.map_chunks`); the files are the same.
    """
    with job_log(log) as log_:
        report = read_json(validation_json)
        log_.info("%s", _summary_of(report))
        gate_strict(report)
        read_parquet(measurements, columns=[])  # a damaged file is named here
        settings = {
            "activity_model": activity["model"],
            "activity_convention": activity["convention"],
            "activity_params": activity.get("params", {}),
            "atol_mV": driving_force.get("atol_mV", 0.0),
        }
        junction = dict(ljp or {})
        temps = list(temperatures_C)
        cuts = sample_cuts(measurements, chunk_rows(processes))
        chunked = len(cuts) > 2
        _log_chunks(log_, cuts, processes)
        status, ljp_status = pd.Series(dtype=int), pd.Series(dtype=int)
        with contextlib.ExitStack() as stack:
            # chunks of whole samples (one for a table of up to CHUNK_ROWS rows):
            # the potentials streamed; the scan, written by temperature, one block
            # per temperature, each in table order: the first block streamed, the
            # others' parts parked until every chunk is computed (one chunk: all
            # written as they come)
            scratch = stack.enter_context(files.scratch_dir(potentials))
            pot_parts = stack.enter_context(files.ParquetParts(potentials))
            scan_file = stack.enter_context(files.ParquetParts(temperature_scan_path))
            later: list[list[files.Spilled]] = [[] for _ in temps]
            # closed (its processes ended) before the scratch folder goes
            computed = stack.enter_context(contextlib.closing(map_chunks(
                _potentials_chunk, measurements, cuts, processes=processes,
                scratch=scratch, settings=settings, junction=junction,
                temperatures_C=temps,
            )))  # fmt: skip
            for k, (pot, (first, *scan), counts, ljp_counts) in enumerate(computed):
                status = status.add(counts, fill_value=0)
                ljp_status = ljp_status.add(ljp_counts, fill_value=0)
                pot_parts.write(files.unparked(pot))
                scan_file.write(files.unparked(first))
                for b, (block, part) in enumerate(zip(later, scan, strict=True)):
                    if chunked:
                        block.append(files.parked(part, scratch / f"scan{b}.{k}"))
                    else:
                        scan_file.write(part)
                del pot, first, scan
            for part in itertools.chain.from_iterable(later):
                scan_file.write(part.take())
        log_.info("%d rows: %s", cuts[-1], status.astype(int).to_dict())
        log_.info("LJP per sample: %s", ljp_status.astype(int).to_dict())


def _log_chunks(log_, cuts: Sequence[int], processes: int) -> None:
    """Say how a table is computed: in one piece, or in chunks and processes."""
    if len(cuts) > 2:
        chunks = len(cuts) - 1
        log_.info("%d rows in %d chunks, %d processes", cuts[-1], chunks,
                  min(processes, chunks))  # fmt: skip


def _potentials_chunk(df: pd.DataFrame, *, settings, junction, temperatures_C):
    """One chunk's potentials and temperature scan blocks (arrow tables, with
    their units, as written), its status counts and its samples' LJP status
    counts."""
    pot = compute_potentials(
        df,
        **settings,
        solutions=junction.get("solutions"),
        recording=junction.get("recording"),
    )
    counts = pot["status"].value_counts()
    per_sample = pot.drop_duplicates(["dataset", "sample_id"])
    ljp_counts = per_sample["ljp_status"].value_counts()
    units = _units(pot)
    scan = temperature_scan_parts(df, temperatures_C, potentials=pot, **settings)
    del df
    table = files.arrow_table(pot, units)
    del pot
    units = {c: u for c, u in units.items() if c in SCAN_COLUMNS}
    return table, [files.arrow_table(part, units) for part in scan], counts, ljp_counts


@in_worker_process
def samples_job(
    *,
    potentials: str,
    samples: str,
    donnan_path: str,
    donnan: Mapping[str, Any],
    ghk: Mapping[str, Any],
    log: str | None = None,
    processes: int = 1,
) -> None:
    """samples.parquet (Donnan and GHK per sample) and donnan.parquet (per ion);
    ``processes`` as :func:`potentials_job`."""
    with job_log(log) as log_:
        read_parquet(potentials, columns=[])  # a damaged file is named here
        cuts = sample_cuts(potentials, chunk_rows(processes))
        _log_chunks(log_, cuts, processes)
        found = []  # the per-sample tables (a row per sample, not per row)
        with (
            files.scratch_dir(donnan_path) as scratch,
            files.ParquetParts(donnan_path) as per_ion,
            # closed (its processes ended) before the scratch folder goes
            contextlib.closing(map_chunks(
                _samples_chunk, potentials, cuts, columns=POTENTIALS_COLUMNS,
                processes=processes, scratch=scratch, donnan=donnan, ghk=ghk,
            )) as computed,
        ):  # fmt: skip
            # chunks of whole samples, as in potentials_job; Donnan rows streamed
            for one, ions in computed:
                found.append(one)
                per_ion.write(files.unparked(ions))
                del ions
        per_sample = _in_sample_order(found)
        log_.info("%d samples, %d Donnan ion rows", len(per_sample), per_ion.rows)
        write_result(per_sample, samples)


def _samples_chunk(pot: pd.DataFrame, *, donnan, ghk):
    """One chunk's per-sample table and Donnan rows (an arrow table, with its
    units, as written)."""
    one, ions = compute_samples(pot, donnan=donnan, ghk=ghk)
    del pot
    return one, files.arrow_table(ions, _units(ions))


def _in_sample_order(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' per-sample tables as one, sorted by (dataset, sample_id) as
    :func:`compute_samples` sorts one table (chunks of a sorted table join in
    order)."""
    if len(tables) == 1:
        return tables[0]
    keys = ["dataset", "sample_id"]
    ends = [(t[keys].iloc[0].tolist(), t[keys].iloc[-1].tolist()) for t in tables]
    joined = concat_tables(tables)
    if all(a[1] < b[0] for a, b in itertools.pairwise(ends)):
        return joined
    return joined.sort_values(keys, kind="stable").reset_index(drop=True)


@in_worker_process
def provenance_job(
    *,
    dataset: str,
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    settings: Mapping[str, Any],
    provenance: str,
    log: str | None = None,
) -> None:
    """provenance.json: input and result checksums, versions, config, constants."""
    with job_log(log) as log_:
        record = build_provenance(
            dataset=dataset, inputs=inputs, outputs=outputs, settings=settings
        )
        log_.info(
            "input sha256 %s", {k: v["sha256"] for k, v in record["inputs"].items()}
        )
        files.write_json(provenance, record)


def resolved_config_job(
    *, config: Mapping[str, Any], output: str, log: str | None = None
) -> None:
    """``results/config.resolved.yaml``: the config in force, every default explicit.

    A job rather than a write while the workflow is parsed, so that a dry run (or
    ``--lint``, ``--summary``) writes nothing.
    """
    with job_log(log) as log_:
        written = write_resolved(config, output)
        log_.info("%s %s", output, "written" if written else "unchanged")


# ------------------------------------------------------------------------- reports
@in_worker_process
def report_job(
    *,
    dataset: str,
    results_dir: str,
    output: str,
    settings: Mapping[str, Any] | None = None,
    previous_dir: str | None = None,
    log: str | None = None,
) -> None:
    """Render one dataset report with :func:`iongrad.report.render_dataset_report`.

    ``settings`` (the dataset's resolved config) is shown in the report, and its
    ``temperatures_C`` are the prediction temperatures of the report's figure.
    ``previous_dir`` keeps the potentials of the last rendering, so the next report
    can say what changed (the report module copies them there after rendering).
    """
    # Imported here: the report modules bring matplotlib (0.4 s), which every other
    # job, and every Snakemake process that imports this module, does without.
    from iongrad.report import render_dataset_report

    # The report may write companion files named after ``output``: written in place;
    # Snakemake removes the declared output of a failed job.
    with job_log(log):
        render_dataset_report(
            dataset=dataset,
            results_dir=results_dir,
            output=output,
            config=dict(settings) if settings is not None else None,
            temperatures_C=settings["temperatures_C"] if settings is not None else (),
            previous_dir=previous_dir,
        )


#: What a dataset's status depends on, in the order the stages write it: file ->
#: the stage (the workflow's rule, and its log folder under ``logs/``) writing it.
_STAGE_OF = {
    "potentials.parquet": "compute_potentials",
    "samples.parquet": "compute_samples",
    "donnan.parquet": "compute_samples",
    "provenance.json": "write_provenance",
}
#: What each stage does, for the index's "problem" column.
_STAGE_WORDS = {
    "validate_dataset": "validation",
    "compute_potentials": "computation of the potentials",
    "compute_samples": "computation of Donnan and GHK",
    "write_provenance": "provenance",
    "render_dataset_report": "report",
}
#: Folder of ``reports/`` the reports of datasets no longer configured are moved to.
REMOVED_REPORTS = "removed_datasets"
_GENERATOR = b'<meta name="generator" content="iongrad'


def _logged_error(log: Path) -> str | None:
    """The error a job's log ends with (the traceback's last line), or None."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if " ERROR " not in text:
        return None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else None


def _stage_problem(path: Path, stage: str, dataset: str, logs_root: str) -> str:
    """What the index says when ``path``, written by ``stage``, is missing or old."""
    log = Path(logs_root, stage, f"{dataset}.log")
    error = _logged_error(log)
    if error is not None:
        return f"{_STAGE_WORDS[stage]} failed ({stage}): {error}; see {log.as_posix()}"
    state = "missing" if not path.is_file() else "from an earlier validation"
    return (
        f"{path.as_posix()} is {state}: the run stopped before {stage} finished, or "
        "removed it after a failed job; run the workflow again"
    )


def _validation_problem(report: Mapping[str, Any]) -> str:
    """What the index says of a dataset its validation stops."""
    errors = _errors(report)
    first = f"; first: {_failure_line(errors[0])}" if errors else ""
    if report.get("unreadable"):
        return f"the table could not be read{first}"
    if report.get("mode", "strict") == "strict" and not report.get("ok", False):
        return f"failed validation (strict mode): {len(errors)} error(s){first}"
    return f"no row passed validation ({report.get('mode')} mode){first}"


def _earlier_validation_problem(
    results: Path, vj: Path, name: str, logs_root: str
) -> str:
    """What is wrong when the results come from another ``validation.json``; or "".

    ``provenance.json``, written after every other result, records the checksum of
    the validation.json they were computed from. A mismatch means the table was
    validated again and a later stage did not finish. Content, not modification
    times: a clock stepped back between two stages (a fresh machine's first time
    sync) would make current results look stale, or stale ones current.
    """
    prov = results / "provenance.json"
    try:
        record = json.loads(prov.read_text(encoding="utf-8"))
        recorded = record["outputs"]["validation"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return (
            f"{prov.as_posix()} cannot be read ({type(err).__name__}: {err}); run "
            "the workflow again"
        )
    if recorded == sha256_file(vj):
        return ""
    for stage in ("compute_potentials", "compute_samples", "write_provenance"):
        log = Path(logs_root, stage, f"{name}.log")
        if _logged_error(log) is not None:
            return _stage_problem(results / "provenance.json", stage, name, logs_root)
    return (
        f"{prov.as_posix()} records an earlier validation.json: the results are "
        "from an earlier run and the later stages did not finish after the table "
        "was validated again; run the workflow again"
    )


def _dataset_state(
    results: Path, report_html: str | None, logs_root: str
) -> tuple[str, str]:
    """(status, problem) of one dataset from its files (see :func:`dataset_status`)."""
    name, vj = results.name, results / "validation.json"
    if not vj.is_file():
        return "failed", _stage_problem(vj, "validate_dataset", name, logs_root)
    try:
        report = json.loads(vj.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return "failed", f"{vj.as_posix()} cannot be read ({err}); run the workflow"
    try:
        gate_strict(report)
    except DatasetFailedError:
        return "failed", _validation_problem(report)
    for file, stage in _STAGE_OF.items():
        path = results / file
        if not path.is_file():
            return "failed", _stage_problem(path, stage, name, logs_root)
    earlier = _earlier_validation_problem(results, vj, name, logs_root)
    if earlier:
        return "failed", earlier
    if report_html is not None and not Path(report_html).is_file():
        stage = "render_dataset_report"
        return "failed", _stage_problem(Path(report_html), stage, name, logs_root)
    if report.get("rows_rejected", 0) or report.get("warnings"):
        return "warnings", ""
    return "ok", ""


def dataset_status(
    results_dir: str | os.PathLike,
    report_html: str | None = None,
    logs_root: str = "logs",
) -> str:
    """``"ok"``, ``"warnings"`` or ``"failed"`` from a dataset's result files.

    Failed: no ``validation.json``, a validation that failed in strict mode (or an
    unreadable file), a missing result file, results whose provenance records
    another validation.json (an earlier run's), or a missing report. Warnings: rows were
    rejected (lenient mode) or validation warnings were raised. Reading files rather
    than job states lets the index render after ``--keep-going`` runs and from
    ``onerror``.
    """
    return _dataset_state(Path(results_dir), report_html, logs_root)[0]


def index_entries(
    datasets: Sequence[str],
    *,
    results_root: str = "results",
    reports_dir: str = "reports",
    logs_root: str = "logs",
) -> list[dict[str, str]]:
    """Entries for :func:`iongrad.report.render_index`, one per dataset (sorted).

    Each says the dataset's status and, when it failed, its ``problem``: what
    failed (validation, which computation with its log, or which result is missing).
    """
    entries = []
    for name in sorted(datasets):
        html = files.report_file(name, reports_dir=reports_dir)
        results_dir = f"{results_root}/{name}"
        status, problem = _dataset_state(Path(results_dir), html, logs_root)
        entries.append(
            {
                "dataset": name,
                "status": status,
                "problem": problem,
                "results_dir": results_dir,
                "report_href": f"{name}.html",
            }
        )
    return entries


def _generated_page(page: Path) -> bool:
    """True for an HTML page iongrad rendered (its generator tag), not a user's."""
    try:
        with open(page, "rb") as fh:
            return _GENERATOR in fh.read(4096)
    except OSError:
        return False


def move_removed_reports(datasets: Sequence[str], reports_dir: str) -> list[str]:
    """Move the report files of datasets no longer configured out of ``reports_dir``.

    A dataset report (``<name>.html`` rendered by iongrad, with its companions) whose
    dataset is not in ``datasets`` goes to ``<reports_dir>/removed_datasets/``: the
    reports folder then holds what the index lists, and nothing is deleted. Returns
    the names moved.
    """
    reports, keep = Path(reports_dir), {*datasets, "index"}
    names = [
        page.stem
        for page in sorted(reports.glob("*.html"))
        if page.stem not in keep and _generated_page(page)
    ]
    target = reports / REMOVED_REPORTS
    for name in names:
        page = reports / f"{name}.html"
        for path in (
            page,
            *(files.companion(page, s) for s in files.REPORT_COMPANIONS),
        ):
            if path.is_file():
                target.mkdir(exist_ok=True)
                os.replace(path, target / path.name)
    return names


def index_job(
    *,
    datasets: Sequence[str],
    output: str,
    results_root: str = "results",
    reports_dir: str = "reports",
    logs_root: str = "logs",
    log: str | None = None,
) -> list[dict[str, str]]:
    """Render ``reports/index.html``; also called from the workflow's ``onerror``.

    First moves the reports of datasets no longer configured aside
    (:func:`move_removed_reports`), saying so in the log.
    """
    with job_log(log) as log_:
        moved = move_removed_reports(datasets, reports_dir)
        if moved:
            log_.info(
                "datasets no longer configured: %s; their reports were moved to %s/%s/",
                ", ".join(moved),
                reports_dir,
                REMOVED_REPORTS,
            )
        entries = index_entries(
            datasets,
            results_root=results_root,
            reports_dir=reports_dir,
            logs_root=logs_root,
        )
        for e in entries:
            log_.info("%s: %s %s", e["dataset"], e["status"], e["problem"])
        from iongrad.report import render_index  # see report_job

        render_index(entries=entries, output=output)
        return entries
