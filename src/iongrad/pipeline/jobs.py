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

Execution: the job functions run where they are called, or, after
:func:`iongrad.pipeline.workers.use_worker_processes` (the workflow enables it for
jobs that Snakemake runs inside its own process), in warm worker processes, one per
core.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from iongrad import files
from iongrad.gate.ingest import IngestError
from iongrad.gate.validation import validate_file, write_outputs
from iongrad.pipeline.logs import job_log
from iongrad.pipeline.provenance import build_provenance
from iongrad.pipeline.workers import in_worker_process
from iongrad.report import render_dataset_report, render_index
from iongrad.tables.potentials import compute_potentials, temperature_scan
from iongrad.tables.samples import compute_samples

__all__ = [
    "DatasetFailedError",
    "dataset_status",
    "index_entries",
    "index_job",
    "potentials_job",
    "provenance_job",
    "report_job",
    "samples_job",
    "validate_job",
]


class DatasetFailedError(RuntimeError):
    """A dataset that failed validation in strict mode (or could not be read)."""


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
        # Both files or neither: each is renamed into place only when both are written.
        with (
            files.atomic_path(validation_json) as vj,
            files.atomic_path(rejected_csv) as rc,
        ):
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
    files.write_json(validation_json, report)
    files.write_text(rejected_csv, "source_file,source_row,reason\n")


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
    with job_log(log) as log_:
        record = build_provenance(
            dataset=dataset, inputs=inputs, outputs=outputs, settings=settings
        )
        log_.info(
            "input sha256 %s", {k: v["sha256"] for k, v in record["inputs"].items()}
        )
        files.write_json(provenance, record)


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
    for name in files.RESULT_FILES:
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
        html = files.report_file(name, reports_dir=reports_dir)
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
