"""Batches: the job functions for every dataset of a batch, in one call.

With config ``batch_size`` > 1 the workflow runs one job per batch of datasets (one
SLURM submission instead of one per dataset and stage). These functions take the
batched rule's named lists of paths, aligned with its ``datasets``, and call the same
job functions of :mod:`iongrad.pipeline.jobs` for each dataset, so a batch writes the
same files and per-dataset logs as the per-dataset rules.

Stage by stage (every validation, then every computation, then every report), the
datasets of a batch run concurrently, one per worker process, when the workflow
hands the job functions to workers (:func:`iongrad.pipeline.workers.each`): a batch
alone keeps every core busy. Each dataset is attempted; the first error is raised
after the others are done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from iongrad import files
from iongrad.pipeline.jobs import (
    DamagedResultError,
    DatasetFailedError,
    potentials_job,
    provenance_job,
    report_job,
    samples_job,
    validate_job,
)
from iongrad.pipeline.workers import each

__all__ = [
    "call_named",
    "compute_batch",
    "process_batch",
    "report_batch",
    "validate_batch",
]


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
    number_formats: Mapping[str, Any] | None = None,
    read_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """:func:`validate_job` for each dataset of a batch (lists aligned with datasets).

    Like the per-dataset job it never fails on data; a file that cannot be read is
    recorded in its ``validation.json``.
    """

    def validate(m: dict[str, str]) -> None:
        name = m["dataset"]
        validate_job(
            **m,
            mode=modes[name],
            number_format=(number_formats or {}).get(name),
            read_options=(read_options or {}).get(name),
        )

    members = _members(
        datasets,
        raw=raw,
        validation_json=validation_json,
        rejected_csv=rejected_csv,
        measurements=measurements,
        log=logs,
    )
    for outcome in each(validate, members):
        outcome.result()  # the first error, if any, after every dataset was tried


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
    failed (strict validation, no accepted row, a damaged input file)
    :class:`DatasetFailedError` names each one after the others are done, and the
    batch's job fails.
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

    def compute(m: dict[str, str]) -> None:
        potentials_job(
            measurements=m["measurements"],
            validation_json=m["validation"],
            potentials=m["potentials"],
            temperature_scan_path=m["temperature_scan"],
            activity=activity,
            driving_force=driving_force,
            temperatures_C=temperatures_C,
            log=m["potentials_log"],
            ljp={  # dataset_settings holds the dataset's ljp_settings
                k: settings[m["dataset"]].get(k) for k in ("solutions", "recording")
            },
        )
        _samples_and_provenance(m, donnan, ghk, settings[m["dataset"]])

    for m, outcome in zip(members, each(compute, members), strict=True):
        exc = outcome.exception()
        if isinstance(exc, DatasetFailedError | DamagedResultError):
            failures[m["dataset"]] = str(exc)
        elif exc is not None:
            raise exc
    if failures:
        detail = "\n".join(f"- {name}: {msg}" for name, msg in failures.items())
        raise DatasetFailedError(
            f"{len(failures)} of {len(members)} datasets of this batch failed (a "
            f"failed batch keeps none of its results; batch_size 1 isolates "
            f"datasets):\n{detail}"
        )


def _samples_and_provenance(
    m: Mapping[str, str],
    donnan: Mapping[str, Any],
    ghk: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> None:
    """The stages after the potentials for one dataset ``m`` of a batch."""
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
        settings=settings,
        provenance=m["provenance"],
        log=m["provenance_log"],
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
    number_formats: Mapping[str, Any] | None = None,
    read_options: Mapping[str, Mapping[str, Any]] | None = None,
    failures: Sequence[str] = (),
    **compute: Any,
) -> None:
    """Every stage for a batch of datasets: what the batched workflow rule runs.

    ``failures`` are the failures.parquet paths the rule declares; the validation
    writes each beside its validation.json.

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
        number_formats=number_formats,
        read_options=read_options,
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
    dataset's companion files (:data:`iongrad.files.REPORT_COMPANIONS`) are removed
    here before the error goes on, so no partial report survives (Snakemake removes
    the HTML).
    """

    def report(m: dict[str, str]) -> None:
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
            for suffix in files.REPORT_COMPANIONS:
                files.companion(m["html"], suffix).unlink(missing_ok=True)
            raise

    for outcome in each(report, _members(datasets, html=html, log=logs)):
        outcome.result()  # the first error, if any, after every dataset was tried
