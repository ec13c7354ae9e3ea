"""The per-dataset HTML report: ``results/<dataset>/`` -> ``reports/<dataset>.html``.

:func:`render_dataset_report` reads the results (:func:`iongrad.report.results.
load_results`), writes the full tables as CSV and the figures as SVG beside the page
(the names are :data:`iongrad.files.REPORT_COMPANIONS`), then the page itself, one
section after the other: potentials (summaries per cell type and temperature, every
row), samples (Donnan and GHK), validation, figures, what changed since the last
rendering, provenance.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iongrad import __version__, files
from iongrad.constants import celsius_to_kelvin, kelvin_to_celsius
from iongrad.report import plots
from iongrad.report.changes import Changes, compare_potentials
from iongrad.report.render import _env, _gc_paused_call, _href, _warnings, _write_csv
from iongrad.report.results import DatasetResults, load_results
from iongrad.report.tables import (
    MAX_TABLE_ROWS,
    Cell,
    Column,
    Table,
    fmt_number,
    frame_table,
    summary_by_group,
)

__all__ = ["MAX_GROUP_TABLES", "keep_previous", "render_dataset_report"]

#: Per cell type x temperature summary tables shown; the rest are in the summary CSV.
MAX_GROUP_TABLES = 24

# --------------------------------------------------------------------------- tables

_POT_COLUMNS = [
    Column("sample_id", "Sample"),
    Column("cell_type", "Cell type"),
    Column("temperature_C", "T", "°C", 2),
    Column("ion", "Ion"),
    Column("valence", "z", "", 0),
    Column("c_in_mM", "c_in", "mM", fmt=".4g"),
    Column("c_out_mM", "c_out", "mM", fmt=".4g"),
    Column("gamma_in_model", "γ_in", "", 4),
    Column("gamma_out_model", "γ_out", "", 4),
    Column("gamma_in_used", "γ_in used", "", 4),
    Column("gamma_out_used", "γ_out used", "", 4),
    Column("gamma_source", "γ from"),
    Column("E_conc_mV", "E (conc.)", "mV", 2),
    Column("E_act_mV", "E (activity)", "mV", 2),
    Column("delta_act_mV", "Δ activity", "mV", 2),
    Column("vm_mV", "Vm measured", "mV", 2),
    Column("driving_force_mV", "Driving force Vm−E", "mV", 2),
    Column("flux_direction", "Net flux"),
    Column("current_direction", "Current"),
    Column("ionic_strength_in_molal", "I_in", "mol/kg", 4),
    Column("ionic_strength_out_molal", "I_out", "mol/kg", 4),
    Column("status", "Status"),
    Column("status_reason", "Reason"),
]

_SUMMARY_COLUMNS = [
    Column("ion", "Ion"),
    Column("valence", "z", "", 0),
    Column("n", "Samples", "", 0),
    Column("E_conc_mV", "E (conc.)", "mV", 2),
    Column("E_act_mV", "E (activity)", "mV", 2),
    Column("E_act_sd_mV", "SD E (activity)", "mV", 2),
    Column("delta_act_mV", "Δ activity", "mV", 2),
    Column("vm_mV", "Vm measured", "mV", 2),
    Column("driving_force_mV", "Driving force Vm−E", "mV", 2),
    Column("flux_direction", "Net flux"),
    Column("current_direction", "Current"),
    Column("n_undefined", "Undefined rows", "", 0),
    Column("n_activity_invalid", "Outside model range", "", 0),
]

_SAMPLE_COLUMNS = [
    Column("sample_id", "Sample"),
    Column("cell_type", "Cell type"),
    Column("temperature_C", "T", "°C", 2),
    Column("ionic_strength_in_molal", "I_in", "mol/kg", 4),
    Column("ionic_strength_out_molal", "I_out", "mol/kg", 4),
    Column("donnan_ratio", "Donnan r", "", 4),
    Column("donnan_potential_mV", "V Donnan", "mV", 2),
    Column("donnan_converged", "Donnan converged"),
    Column("impermeant_charge_mM", "X", "mM", 2),
    Column("impermeant_charge_source", "X from"),
    Column("osmotic_imbalance_mOsm_kg", "Osmotic imbalance", "mOsm/kg", 2),
    Column("vm_ghk_mV", "Vm GHK", "mV", 2),
    Column("vm_mV", "Vm measured", "mV", 2),
    Column("vm_minus_ghk_mV", "Measured − GHK", "mV", 2),
    Column("ghk_converged", "GHK converged"),
    Column("permeability_source", "Permeabilities"),
]

_FAILURE_COLUMNS = [
    Column("file", "File"),
    Column("row", "Row"),
    Column("column", "Column"),
    Column("value", "Value"),
    Column("rule", "Rule"),
    Column("severity", "Severity"),
    Column("message", "Message"),
]


def _potential_columns(pot: pd.DataFrame) -> list[Column]:
    """Detail columns present in ``pot``; the gammas actually used win over the
    model's when both are there (measured gammas override the model)."""
    cols = [c for c in _POT_COLUMNS if c.key in pot.columns]
    if {"gamma_in_used", "gamma_out_used"} <= set(pot.columns):
        cols = [c for c in cols if c.key not in ("gamma_in_model", "gamma_out_model")]
    return cols


_FLAG_KEYS = (
    "activity_reason",
    "activity_valid",
    "activity_model",
    "status",
    "status_reason",
    "ionic_strength_in_molal",
    "ionic_strength_out_molal",
)


def _flag_potentials(record: dict, key: str, cell: Cell) -> None:
    """Put model-validity and status flags on the cells they concern."""
    if key in (
        "E_act_mV",
        "delta_act_mV",
        "gamma_in_model",
        "gamma_out_model",
        "gamma_in_used",
        "gamma_out_used",
    ):
        valid = record.get("activity_valid")
        if valid is not None and valid is not pd.NA and not bool(valid):
            cell.cls = "flag"
            cell.badge = "outside model range"
            model = record.get("activity_model") or "the activity model"
            i_in = fmt_number(record.get("ionic_strength_in_molal"), fmt=".4g")
            i_out = fmt_number(record.get("ionic_strength_out_molal"), fmt=".4g")
            cell.title = (
                f"ionic strength I_in = {i_in}, I_out = {i_out} mol/kg is outside "
                f"the validity range of {model}"
            )
            reason = record.get("activity_reason")
            if isinstance(reason, str) and reason:
                cell.title += f": {reason}"
    if key in ("E_conc_mV", "E_act_mV", "status") and str(record.get("status")) != "ok":
        cell.cls = (cell.cls + " undefined").strip()
        cell.title = str(record.get("status_reason") or record.get("status"))


def _flag_summary(record: dict, key: str, cell: Cell) -> None:
    if key in ("E_act_mV", "n_activity_invalid") and record.get("n_activity_invalid"):
        cell.cls = "flag"
        if key == "E_act_mV":
            cell.badge = f"{int(record['n_activity_invalid'])} outside model range"
        cell.title = "ionic strength outside the activity model's validity range"
    if key == "n_undefined" and record.get("n_undefined"):
        cell.cls = "undefined"


def _failure_frame(records: list) -> pd.DataFrame:
    cols = [c.key for c in _FAILURE_COLUMNS]
    if not records:  # the common case: nothing to sort or clean
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    rows = [r if isinstance(r, dict) else {"message": str(r)} for r in records]
    frame = pd.DataFrame(rows)
    for c in cols:
        if c not in frame:
            frame[c] = None
    frame = frame[cols].astype(object).where(frame[cols].notna(), None)
    # The message often repeats "file, row, column, value, rule: "; keep what follows.
    frame["message"] = [
        m.split(f"rule {r}: ", 1)[1]
        if isinstance(m, str) and r and f"rule {r}: " in m
        else m
        for m, r in zip(frame["message"], frame["rule"], strict=True)
    ]
    # Errors (rejected rows) first, then warnings; each in source-row order.
    rank = frame["severity"].map({"error": 0, "warning": 1}).fillna(2)
    row = pd.to_numeric(frame["row"], errors="coerce")
    order = np.lexsort((row.fillna(np.inf).to_numpy(), rank.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _unique(series: pd.Series | None) -> list[str]:
    if series is None:
        return []
    return [str(v) for v in dict.fromkeys(series.dropna().astype(str))]


@_gc_paused_call
def render_dataset_report(
    *,
    dataset: str,
    results_dir: str | os.PathLike,
    output: str | os.PathLike,
    config: Mapping | None = None,
    temperatures_C: Sequence[float] = (),
    previous_dir: str | os.PathLike | None = None,
) -> None:
    """Write the self-contained HTML report of one dataset.

    Parameters
    ----------
    dataset : str
        Dataset name (shown, escaped).
    results_dir : path
        ``results/<dataset>/`` with ``potentials.parquet`` (required),
        ``samples.parquet``, ``donnan.parquet`` (optional, their absence is stated in
        the page), ``validation.json``, ``rejected.csv``, ``provenance.json``.
    output : path
        The HTML file to write (``reports/<dataset>.html``). Beside it, always:
        ``<stem>_potentials.csv`` (every row), ``<stem>_summary.csv`` (per cell type,
        temperature and ion), ``<stem>_samples.csv`` (Donnan/GHK per sample; only a
        header when samples.parquet is missing) and the figures as
        ``<stem>_{ladder,temperature,activity,donnan,ghk}.svg`` (a figure that cannot
        be drawn says why); ``<stem>_failures.csv`` when the validation failures
        exceed the table cap.
    config : mapping, optional
        The resolved workflow config, shown in the provenance section.
    temperatures_C : sequence of float
        The configured prediction temperatures [°C] (config ``temperatures_C``):
        with the measured ones, the range of the E-versus-temperature plot when the
        results hold no temperature scan.
    previous_dir : path, optional
        Where the previous results of this dataset are kept, for the "what changed"
        section: ``previous_dir/potentials.parquet`` is compared with the current
        potentials and, once the page is written, replaced by a copy of them, so the
        next rendering compares against this one (e.g. ``results/<dataset>/previous``,
        a folder Snakemake does not delete when it reruns the dataset's jobs).

    Raises
    ------
    iongrad.report.results.ResultsError
        When ``potentials.parquet`` is missing or lacks a contract column.
    """
    output = Path(output)
    res = load_results(results_dir)
    pot = res.potentials
    pot["temperature_C"] = kelvin_to_celsius(pot["temperature_K"].to_numpy(float))
    summary, potentials_section = _potentials_section(pot, output)
    samples_table = _samples_table(res.samples, output)
    validation_section = _validation_section(res, output)
    temperatures_K = [float(celsius_to_kelvin(float(t))) for t in temperatures_C]
    figures = _figures(res, summary, temperatures_K, output)
    changes = compare_potentials(pot, previous_dir, samples=res.samples)
    context = {
        **_overview(dataset, pot),
        **potentials_section,
        **validation_section,
        "missing": res.missing,
        "samples_table": samples_table,
        "plots": figures,
        "changes": changes,
        "changes_table": _changes_table(changes),
        "provenance": res.provenance,
        "config": dict(config) if config is not None else None,
        "max_rows": MAX_TABLE_ROWS,
    }
    html = _env().get_template("dataset.html.j2").render(**context)
    files.write_text(output, html)
    if previous_dir is not None:
        keep_previous(res.results_dir, previous_dir)


def _overview(dataset: str, pot: pd.DataFrame) -> dict[str, Any]:
    """The page header: what the dataset holds and how many rows are flagged."""
    n_invalid = (
        int((~pot["activity_valid"].fillna(False).astype(bool)).sum())
        if "activity_valid" in pot
        else 0
    )
    return {
        "dataset": dataset,
        "version": __version__,
        "cell_types": _unique(pot["cell_type"]),
        "temperatures": [
            (float(kelvin_to_celsius(t)), float(t))
            for t in sorted(set(pot["temperature_K"].round(6).dropna()))
        ],
        "n_samples": int(pot["sample_id"].astype(str).nunique()),
        "n_rows": len(pot),
        "activity_models": _unique(pot.get("activity_model")),
        "activity_conventions": _unique(pot.get("activity_convention")),
        "n_activity_invalid": n_invalid,
        "n_undefined": int((pot["status"].astype(str) != "ok").sum()),
    }


def _potentials_section(
    pot: pd.DataFrame, output: Path
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The potentials CSVs, the summary per cell type and temperature, every row.

    Returns the summary (the ladder figure draws it) and the section's context.
    """
    csv_pot = files.companion(output, "_potentials.csv")
    _write_csv(csv_pot, pot.drop(columns=["temperature_C"]))
    summary = summary_by_group(pot)
    csv_summary = files.companion(output, "_summary.csv")
    _write_csv(csv_summary, summary)
    group_tables, groups_left_out = _group_tables(summary)
    detail = frame_table(
        pot,
        _potential_columns(pot),
        id="potentials",
        caption="Potentials per sample and ion",
        csv_href=_href(csv_pot, output),
        flags=_flag_potentials,
        extra=_FLAG_KEYS,
    )
    return summary, {
        "group_tables": group_tables,
        "groups_left_out": groups_left_out,
        "summary_href": _href(csv_summary, output),
        "detail": detail,
    }


def _group_tables(summary: pd.DataFrame) -> tuple[list[dict[str, Any]], int]:
    """One summary table per cell type x temperature (the first
    :data:`MAX_GROUP_TABLES`), and how many were left out."""
    group_tables = []
    groups = list(summary.groupby(["cell_type", "temperature_K"], sort=True))
    for k, ((cell, temp_K), part) in enumerate(groups[:MAX_GROUP_TABLES]):
        vm = part["vm_mV"].dropna()
        group_tables.append(
            {
                "cell_type": str(cell),
                "temperature_K": float(temp_K),
                "temperature_C": float(kelvin_to_celsius(temp_K)),
                "vm_mV": float(vm.mean()) if len(vm) else math.nan,
                "table": frame_table(
                    part.sort_values("E_act_mV", na_position="last"),
                    _SUMMARY_COLUMNS,
                    id=f"summary-{k}",
                    caption=f"{cell} at {kelvin_to_celsius(temp_K):.2f} °C",
                    flags=_flag_summary,
                ),
            }
        )
    return group_tables, max(0, len(groups) - MAX_GROUP_TABLES)


def _samples_table(samples: pd.DataFrame | None, output: Path) -> Table | None:
    """The per-sample table (Donnan, GHK) and its CSV.

    Without samples.parquet the CSV is still written, with the header only, so the
    set of files a report writes stays fixed; the page says why it is empty.
    """
    csv_smp = files.companion(output, "_samples.csv")
    if samples is None:
        _write_csv(csv_smp, pd.DataFrame(columns=[c.key for c in _SAMPLE_COLUMNS]))
        return None
    smp = samples.copy()
    if "temperature_K" in smp:
        smp["temperature_C"] = kelvin_to_celsius(smp["temperature_K"].to_numpy(float))
    if {"vm_mV", "vm_ghk_mV"} <= set(smp.columns):
        smp["vm_minus_ghk_mV"] = smp["vm_mV"].astype(float) - smp["vm_ghk_mV"].astype(
            float
        )
    _write_csv(csv_smp, samples)
    return frame_table(
        smp,
        [c for c in _SAMPLE_COLUMNS if c.key in smp.columns],
        id="samples",
        caption="Per sample: ionic strength, Donnan and GHK predictions",
        csv_href=_href(csv_smp, output),
    )


def _validation_section(res: DatasetResults, output: Path) -> dict[str, Any]:
    """Validation counts, links and tables (failures; warnings kept apart from them)."""
    val = res.validation or {}
    n_warn, warn_records = _warnings(res.validation)
    failures = [f for f in (val.get("failures") or [])]
    failure_frame = _failure_frame(failures)
    csv_fail = None
    if len(failure_frame) > MAX_TABLE_ROWS:
        csv_fail = files.companion(output, "_failures.csv")
        _write_csv(csv_fail, failure_frame)
    failures_table = frame_table(
        failure_frame,
        _FAILURE_COLUMNS,
        id="failures",
        caption="Validation failures (rejected rows and warnings)",
        csv_href=_href(csv_fail, output) if csv_fail else None,
    )
    warnings_table = None
    if warn_records and isinstance(val.get("warnings"), list):  # not in failures
        warnings_table = frame_table(
            _failure_frame(warn_records),
            _FAILURE_COLUMNS,
            id="warnings",
            caption="Validation warnings",
        )
    return {
        "validation": val,
        "rows_read": val.get("rows_read"),
        "rows_accepted": val.get("rows_accepted"),
        "rows_rejected": val.get("rows_rejected"),
        "validation_mode": val.get("mode"),
        "validation_ok": val.get("ok"),
        "n_warnings": n_warn,
        "n_errors": sum(
            1
            for f in failures
            if isinstance(f, dict) and f.get("severity", "error") == "error"
        ),
        "validation_href": _href(res.results_dir / "validation.json", output)
        if res.validation is not None
        else None,
        "rejected_href": _href(res.rejected_csv, output) if res.rejected_csv else None,
        "failures_table": failures_table,
        "warnings_table": warnings_table,
    }


def _figures(
    res: DatasetResults,
    summary: pd.DataFrame,
    temperatures_K: list[float],
    output: Path,
) -> list[plots.Plot]:
    """The page's figures, also written as SVG files for Snakemake's own report."""
    pot = res.potentials
    figures = [
        plots.ladder_plot(summary),
        plots.e_vs_temperature_plot(pot, temperatures_K, scan=res.temperature_scan),
        plots.conc_vs_activity_plot(pot),
        plots.donnan_plot(_donnan_with_measured(res.donnan, pot)),
        plots.ghk_plot(res.samples),
    ]
    for p in figures:
        name = p.id.removeprefix("plot-")
        svg = p.svg or plots.note_svg(p)
        files.write_text(files.companion(output, f"_{name}.svg"), svg)
    return figures


def _changes_table(changes: Changes) -> Table | None:
    """The potentials that moved since the previous rendering, if any."""
    if not (changes.available and len(changes.moved)):
        return None
    return frame_table(
        changes.moved,
        [
            Column("sample_id", "Sample"),
            Column("ion", "Ion"),
            Column("quantity", "Quantity"),
            Column("previous", "Previous", "mV", 3),
            Column("current", "Current", "mV", 3),
            Column("delta", "Change", "mV", 3),
        ],
        id="changes",
        caption="Potentials that moved (current − previous)",
    )


def keep_previous(results_dir: str | os.PathLike, previous_dir: str | os.PathLike):
    """Copy potentials.parquet (and samples.parquet, or drop a stale copy of it)
    from ``results_dir`` into ``previous_dir``, each atomically."""
    Path(previous_dir).mkdir(parents=True, exist_ok=True)
    for name in ("potentials.parquet", "samples.parquet"):
        source, target = Path(results_dir) / name, Path(previous_dir) / name
        if not source.is_file():
            target.unlink(missing_ok=True)
            continue
        files.copy_file(source, target)


def _donnan_with_measured(donnan: pd.DataFrame | None, pot: pd.DataFrame):
    """Add measured ``c_in_mM`` to the Donnan table when it lacks it."""
    if donnan is None or "c_in_mM" in donnan.columns:
        return donnan
    keys = [k for k in ("sample_id", "ion") if k in donnan.columns]
    if len(keys) < 2:
        return donnan
    measured = pot[["sample_id", "ion", "c_in_mM"]].drop_duplicates(
        ["sample_id", "ion"]
    )
    return donnan.merge(measured, on=keys, how="left")
