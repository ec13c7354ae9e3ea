"""The workflow's composition layer: files in, iongrad functions, files out.

Each Snakemake rule calls exactly one ``*_job`` function of this module; each of those
reads its inputs, calls the DataFrame-level functions (:func:`compute_potentials`,
:func:`compute_samples`, :func:`temperature_scan`), and writes its outputs atomically
(to a temporary name in the same folder, renamed only when complete), so no partial
result file survives a failed job. Every number comes from the computing modules:
:mod:`iongrad.physics.nernst` (Nernst, driving force, directions),
:mod:`iongrad.physics.activity`
(activity coefficients and ionic strengths), :mod:`iongrad.physics.donnan` and
:mod:`iongrad.physics.ghk`; ingestion and validation come from
:mod:`iongrad.gate.validation`. This
module holds no formula of its own.

Strict-mode gate: :func:`validate_job` never fails on bad data (it always writes
``validation.json`` and ``rejected.csv``, so the index can say what went wrong);
:func:`potentials_job` refuses a dataset whose validation failed in strict mode (or
whose file could not be read at all, or with no accepted row) with the validation
summary in its log and in the error message.

Execution: the job functions run where they are called, or, after
:func:`iongrad.pipeline.workers.use_worker_processes` (the workflow enables it for
jobs that Snakemake runs inside its own process), in warm worker processes, one per
core.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iongrad.gate.ingest import IngestError, write_parquet
from iongrad.gate.validation import validate_file, write_outputs
from iongrad.pipeline.logs import job_log
from iongrad.pipeline.workers import in_worker_process
from iongrad.report import render_dataset_report, render_index
from iongrad.tables.potentials import compute_potentials, temperature_scan
from iongrad.tables.samples import compute_samples

__all__ = [
    "REPORT_COMPANIONS",
    "DatasetFailedError",
    "call_named",
    "compute_batch",
    "compute_potentials",
    "compute_samples",
    "dataset_status",
    "index_entries",
    "index_job",
    "potentials_job",
    "process_batch",
    "provenance_job",
    "report_batch",
    "report_job",
    "samples_job",
    "temperature_scan",
    "validate_batch",
    "validate_job",
]

logger = logging.getLogger(__name__)


class DatasetFailedError(RuntimeError):
    """A dataset that failed validation in strict mode (or could not be read)."""


# ------------------------------------------------------------------- atomic writing
@contextlib.contextmanager
def _atomic(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


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


def _write_parquet(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a table atomically, with a ``unit`` field metadata per dimensional column.

    Uses :func:`iongrad.gate.ingest.write_parquet` (the same unit metadata ingestion
    reads).
    """
    with _atomic(path) as tmp:
        write_parquet(df.reset_index(drop=True), tmp, units=_units(df))


def _write_json(data: Mapping[str, Any], path: str | os.PathLike) -> None:
    with _atomic(path) as tmp:
        tmp.write_text(
            json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n",
            encoding="utf-8",
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return value.as_posix()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


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
) -> None:
    """Validate one input table and write its validation outputs (never fails on data).

    Writes ``validation.json`` and ``rejected.csv`` (via
    :func:`iongrad.gate.validation.write_outputs`) and the accepted rows as
    ``measurements.parquet``. A file that cannot be read at all gets a
    ``validation.json`` with ``ok: false`` and the reading error as its failure.
    """
    with job_log(log) as log_:
        log_.info("validating %s as dataset %s (%s mode)", raw, dataset, mode)
        try:
            result = validate_file(raw, dataset=dataset, mode=mode)
        except IngestError as exc:
            log_.error("cannot read %s: %s", raw, exc)
            _write_unreadable(exc, raw, dataset, mode, validation_json, rejected_csv)
            _write_parquet(
                pd.DataFrame({"dataset": pd.Series([], dtype=str)}), measurements
            )
            return
        log_.info("%s", result.summary())
        with _atomic(validation_json) as vj, _atomic(rejected_csv) as rc:
            write_outputs(result, validation_json=vj, rejected_csv=rc)
        _write_parquet(result.accepted, measurements)


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
    _write_json(report, validation_json)
    with _atomic(rejected_csv) as tmp:
        tmp.write_text("source_file,source_row,reason\n", encoding="utf-8")


def _summary_of(report: Mapping[str, Any], limit: int = 20) -> str:
    """A short text summary of a validation.json (for logs and error messages)."""
    lines = [
        f"{report.get('file')}: {report.get('rows_read')} rows read, "
        f"{report.get('rows_accepted')} accepted, {report.get('rows_rejected')} "
        f"rejected ({report.get('mode')} mode)"
    ]
    errors = [f for f in report.get("failures", []) if f.get("severity") == "error"]
    for f in errors[:limit]:
        lines.append(
            f"  row {f.get('row')}, column {f.get('column')}, value "
            f"{f.get('value')!r}: {f.get('rule')}: {f.get('message')}"
        )
    if len(errors) > limit:
        lines.append(f"  ... and {len(errors) - limit} more (see validation.json)")
    return "\n".join(lines)


def _gate(report: Mapping[str, Any]) -> None:
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
) -> None:
    """Strict gate, then potentials.parquet and temperature_scan.parquet."""
    with job_log(log) as log_:
        report = json.loads(Path(validation_json).read_text(encoding="utf-8"))
        log_.info("%s", _summary_of(report))
        _gate(report)
        df = pd.read_parquet(measurements)
        settings = {
            "activity_model": activity["model"],
            "activity_convention": activity["convention"],
            "activity_params": activity.get("params", {}),
            "atol_mV": driving_force.get("atol_mV", 0.0),
        }
        pot = compute_potentials(df, **settings)
        scan = temperature_scan(df, temperatures_C, **settings)
        log_.info("%d rows: %s", len(pot), pot["status"].value_counts().to_dict())
        _write_parquet(pot, potentials)
        _write_parquet(scan, temperature_scan_path)


@in_worker_process
def samples_job(
    *,
    potentials: str,
    samples: str,
    donnan_path: str,
    donnan: Mapping[str, Any],
    ghk: Mapping[str, Any],
    log: str | None = None,
) -> None:
    """samples.parquet (Donnan and GHK per sample) and donnan.parquet (per ion)."""
    with job_log(log) as log_:
        pot = pd.read_parquet(potentials)
        per_sample, per_ion = compute_samples(pot, donnan=donnan, ghk=ghk)
        log_.info("%d samples, %d Donnan ion rows", len(per_sample), len(per_ion))
        _write_parquet(per_sample, samples)
        _write_parquet(per_ion, donnan_path)


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
    from iongrad.pipeline.provenance import build_provenance, write_provenance

    with job_log(log) as log_:
        record = build_provenance(
            dataset=dataset, inputs=inputs, outputs=outputs, settings=settings
        )
        log_.info(
            "input sha256 %s", {k: v["sha256"] for k, v in record["inputs"].items()}
        )
        write_provenance(record, provenance)


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

    ``previous_dir`` keeps the potentials of the last rendering, so the next report
    can say what changed (the report module copies them there after rendering).
    """
    # The report may write companion files named after ``output``: written in place;
    # Snakemake removes the declared output of a failed job.
    with job_log(log):
        render_dataset_report(
            dataset=dataset,
            results_dir=results_dir,
            output=output,
            config=dict(settings) if settings is not None else None,
            previous_dir=previous_dir,
        )


# ------------------------------------------------------------------- batched jobs
def _members(datasets: Sequence[str], **paths: Sequence[str]) -> list[dict[str, str]]:
    """One dict of paths per dataset from aligned per-batch lists (checked)."""
    for key, values in paths.items():
        if len(values) != len(datasets):
            raise ValueError(
                f"batch of {len(datasets)} datasets got {len(values)} {key} paths"
            )
    return [
        {"dataset": name, **{k: str(v[i]) for k, v in paths.items()}}
        for i, name in enumerate(datasets)
    ]


def call_named(func: Callable[..., Any], *named: Any) -> Any:
    """``func(**kwargs)`` with the keyword arguments taken from ``named`` objects.

    Each object gives its ``items()`` (a rule's named input, output, log and params
    lists); a name given twice is an error rather than a silent overwrite.

    >>> call_named(lambda a, b: a - b, {"a": 3}, {"b": 1})
    2
    """
    kwargs: dict[str, Any] = {}
    for obj in named:
        for key, value in obj.items():
            if key in kwargs:
                raise TypeError(f"{func.__name__}: argument {key!r} given twice")
            kwargs[key] = value
    return func(**kwargs)


def validate_batch(
    *,
    datasets: Sequence[str],
    raw: Sequence[str],
    modes: Mapping[str, str],
    validation_json: Sequence[str],
    rejected_csv: Sequence[str],
    measurements: Sequence[str],
    logs: Sequence[str],
) -> None:
    """:func:`validate_job` for each dataset of a batch (lists aligned with datasets).

    Like the per-dataset job it never fails on data; a file that cannot be read is
    recorded in its ``validation.json``.
    """
    for m in _members(
        datasets,
        raw=raw,
        validation_json=validation_json,
        rejected_csv=rejected_csv,
        measurements=measurements,
        log=logs,
    ):
        validate_job(**m, mode=modes[m["dataset"]])


def compute_batch(
    *,
    datasets: Sequence[str],
    table: Sequence[str],
    validation: Sequence[str],
    measurements: Sequence[str],
    potentials: Sequence[str],
    temperature_scan: Sequence[str],
    samples: Sequence[str],
    donnan_table: Sequence[str],
    provenance: Sequence[str],
    potentials_logs: Sequence[str],
    samples_logs: Sequence[str],
    provenance_logs: Sequence[str],
    activity: Mapping[str, Any],
    driving_force: Mapping[str, Any],
    temperatures_C: Sequence[float],
    donnan: Mapping[str, Any],
    ghk: Mapping[str, Any],
    settings: Mapping[str, Mapping[str, Any]],
) -> None:
    """Potentials, samples and provenance of each dataset of a batch, in that order.

    Every path argument is a list aligned with ``datasets`` (the batched rule's
    named input, output and log lists); the settings are the rule's params. The
    same job functions and files as the per-dataset rules (``compute_potentials``,
    ``compute_samples``, ``write_provenance``). Every dataset is attempted; when any
    failed (strict validation, no accepted row) :class:`DatasetFailedError` names
    each one after the others are done, and the batch's job fails.
    """
    failures: dict[str, str] = {}
    members = _members(
        datasets,
        table=table,
        validation=validation,
        measurements=measurements,
        potentials=potentials,
        temperature_scan=temperature_scan,
        samples=samples,
        donnan_table=donnan_table,
        provenance=provenance,
        potentials_log=potentials_logs,
        samples_log=samples_logs,
        provenance_log=provenance_logs,
    )
    for m in members:
        try:
            potentials_job(
                measurements=m["measurements"],
                validation_json=m["validation"],
                potentials=m["potentials"],
                temperature_scan_path=m["temperature_scan"],
                activity=activity,
                driving_force=driving_force,
                temperatures_C=temperatures_C,
                log=m["potentials_log"],
            )
        except DatasetFailedError as exc:
            failures[m["dataset"]] = str(exc)
            continue
        samples_job(
            potentials=m["potentials"],
            samples=m["samples"],
            donnan_path=m["donnan_table"],
            donnan=donnan,
            ghk=ghk,
            log=m["samples_log"],
        )
        provenance_job(
            dataset=m["dataset"],
            inputs={"table": m["table"]},
            outputs={  # the roles the per-dataset write_provenance rule records
                "table": m["table"],
                "validation": m["validation"],
                "potentials": m["potentials"],
                "temperature_scan": m["temperature_scan"],
                "samples": m["samples"],
                "donnan": m["donnan_table"],
            },
            settings=settings[m["dataset"]],
            provenance=m["provenance"],
            log=m["provenance_log"],
        )
    if failures:
        detail = "\n".join(f"- {name}: {msg}" for name, msg in failures.items())
        raise DatasetFailedError(
            f"{len(failures)} of {len(members)} datasets of this batch failed (a "
            f"failed batch keeps none of its results; batch_size 1 isolates "
            f"datasets):\n{detail}"
        )


def process_batch(
    *,
    datasets: Sequence[str],
    table: Sequence[str],
    html: Sequence[str],
    validation: Sequence[str],
    rejected: Sequence[str],
    measurements: Sequence[str],
    validate_logs: Sequence[str],
    report_logs: Sequence[str],
    modes: Mapping[str, str],
    settings: Mapping[str, Mapping[str, Any]],
    **compute: Any,
) -> None:
    """Every stage for a batch of datasets: what the batched workflow rule runs.

    :func:`validate_batch`, then :func:`compute_batch` (given ``compute``: the
    potentials, samples and provenance paths and logs, and the model settings), then
    :func:`report_batch` when ``html`` paths are given (reports enabled). Path
    arguments are lists aligned with ``datasets``. A dataset failing validation in
    strict mode fails the batch after the others are computed (no report is
    rendered then: the failed job's outputs are removed anyway).
    """
    validate_batch(
        datasets=datasets,
        raw=table,
        modes=modes,
        validation_json=validation,
        rejected_csv=rejected,
        measurements=measurements,
        logs=validate_logs,
    )
    compute_batch(
        datasets=datasets,
        table=table,
        validation=validation,
        measurements=measurements,
        settings=settings,
        **compute,
    )
    if html:
        report_batch(datasets=datasets, html=html, settings=settings, logs=report_logs)


#: Files :func:`iongrad.report.render_dataset_report` writes beside
#: ``reports/<dataset>.html`` (``_failures.csv`` only when the failures overflow).
REPORT_COMPANIONS = (
    "_potentials.csv",
    "_summary.csv",
    "_samples.csv",
    "_ladder.svg",
    "_temperature.svg",
    "_activity.svg",
    "_donnan.svg",
    "_ghk.svg",
    "_failures.csv",
)


def report_batch(
    *,
    datasets: Sequence[str],
    html: Sequence[str],
    settings: Mapping[str, Mapping[str, Any]],
    logs: Sequence[str],
    results_root: str = "results",
) -> None:
    """:func:`report_job` for each dataset of a batch (``reports/<dataset>.html``).

    The batched rule declares only the HTML files; when a rendering fails, that
    dataset's companion files (:data:`REPORT_COMPANIONS`) are removed here before
    the error goes on, so no partial report survives (Snakemake removes the HTML).
    """
    for m in _members(datasets, html=html, log=logs):
        name = m["dataset"]
        try:
            report_job(
                dataset=name,
                results_dir=f"{results_root}/{name}",
                output=m["html"],
                settings=settings[name],
                previous_dir=f"{results_root}/{name}/previous",
                log=m["log"],
            )
        except BaseException:
            out = Path(m["html"])
            for suffix in REPORT_COMPANIONS:
                out.with_name(f"{out.stem}{suffix}").unlink(missing_ok=True)
            raise


#: Files a dataset has when all of its jobs succeeded.
RESULT_FILES = (
    "potentials.parquet",
    "samples.parquet",
    "donnan.parquet",
    "provenance.json",
)


def dataset_status(
    results_dir: str | os.PathLike, report_html: str | None = None
) -> str:
    """``"ok"``, ``"warnings"`` or ``"failed"`` from a dataset's result files.

    Failed: no ``validation.json``, a validation that failed in strict mode (or an
    unreadable file), a missing result file, or a missing report. Warnings: rows were
    rejected (lenient mode) or validation warnings were raised. Reading files rather
    than job states lets the index render after ``--keep-going`` runs and from
    ``onerror``.
    """
    results = Path(results_dir)
    vj = results / "validation.json"
    if not vj.is_file():
        return "failed"
    report = json.loads(vj.read_text(encoding="utf-8"))
    try:
        _gate(report)
    except DatasetFailedError:
        return "failed"
    newest_input = vj.stat().st_mtime
    for name in RESULT_FILES:
        path = results / name
        if not path.is_file() or path.stat().st_mtime < newest_input:
            return "failed"
    if report_html is not None and not Path(report_html).is_file():
        return "failed"
    if report.get("rows_rejected", 0) or report.get("warnings"):
        return "warnings"
    return "ok"


def index_entries(
    datasets: Sequence[str],
    *,
    results_root: str = "results",
    reports_dir: str = "reports",
) -> list[dict[str, str]]:
    """Entries for :func:`iongrad.report.render_index`, one per dataset (sorted)."""
    entries = []
    for name in sorted(datasets):
        html = f"{reports_dir}/{name}.html"
        results_dir = f"{results_root}/{name}"
        entries.append(
            {
                "dataset": name,
                "status": dataset_status(results_dir, html),
                "results_dir": results_dir,
                "report_href": f"{name}.html",
            }
        )
    return entries


def index_job(
    *,
    datasets: Sequence[str],
    output: str,
    results_root: str = "results",
    reports_dir: str = "reports",
    log: str | None = None,
) -> list[dict[str, str]]:
    """Render ``reports/index.html``; also called from the workflow's ``onerror``."""
    with job_log(log) as log_:
        entries = index_entries(
            datasets, results_root=results_root, reports_dir=reports_dir
        )
        for e in entries:
            log_.info("%s: %s", e["dataset"], e["status"])
        render_index(entries=entries, output=output)
        return entries
