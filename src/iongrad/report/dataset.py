"""The per-dataset HTML report: ``results/<dataset>/`` -> ``reports/<dataset>.html``.

:func:`render_dataset_report` reads the results (:func:`iongrad.report.results.
load_results`), writes the tables as CSV (every row up to
:data:`iongrad.report.companions.ROW_LIMIT` rows, summaries beyond: the page then
names the results file with every row), the figures as SVG and copies of
``validation.json`` and ``rejected.csv`` (their beginning when big) beside the page
(the names are :data:`iongrad.files.REPORT_COMPANIONS`; the page links only to files
beside it, so ``reports/`` can be shared on its own), then the page itself: an alert
when rows were rejected, the model-validity box, summaries per cell type and
temperature, figures, the first rows, samples (Donnan and GHK), validation, what
changed since the last rendering, provenance. What it writes is bounded for any
table size: the page under 5 MB, the files beside it under 20 MB together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iongrad import __version__, files
from iongrad.constants import celsius_to_kelvin, kelvin_to_celsius
from iongrad.report import companions, ladder, plots, style
from iongrad.report.changes import (
    SNAPSHOT_COLUMNS,
    Changes,
    build_snapshot,
    compare,
    keep_snapshot,
)
from iongrad.report.directions import NO_VM, WITHIN_NOISE
from iongrad.report.findings import (
    OWNER_COLUMNS,
    Failures,
    failure_digest,
    locate_failures,
    rule_groups,
)
from iongrad.report.formats import fmt_pm, fmt_temp_C
from iongrad.report.ljp import corrected_vm, ljp_section
from iongrad.report.render import _env, _gc_paused_call, _href, _warnings
from iongrad.report.results import (
    DatasetResults,
    load_results,
    read_donnan,
    scan_means,
)
from iongrad.report.samples import SampleUse, group_figures, sample_use
from iongrad.report.tables import (
    MAX_TABLE_ROWS,
    POTENTIALS_SUMMARY_COLUMNS,
    SUMMARY_COLUMNS,
    Cell,
    Column,
    Table,
    fmt_number,
    frame_table,
    potentials_summary,
    summary_by_group,
)
from iongrad.report.validity import (
    CHECKED_COLUMNS,
    permeability_ratios,
    validity_checks,
)
from iongrad.tables.locate import as_text, text_in, text_is

__all__ = ["MAX_GROUP_TABLES", "render_dataset_report"]

#: Per cell type x temperature summary tables shown; the rest are in the summary CSV.
MAX_GROUP_TABLES = 24

# --------------------------------------------------------------------------- tables

#: Every row: what identifies it and its status first (always in view), then the
#: potentials, then the model's details (the table scrolls sideways inside its box).
_POT_COLUMNS = [
    Column("sample_id", "Sample"),
    Column("ion", "Ion", kind="ion"),
    Column("status", "Status"),
    Column("status_reason", "Reason", missing=""),
    Column("E_conc_mV", "E (conc.)", "mV", kind="mV"),
    Column("E_act_mV", "E (activity)", "mV", kind="mV"),
    Column("delta_act_mV", "Δ activity", "mV", kind="mV", signed=True),
    Column("vm_mV", "Vm measured", "mV", kind="mV", missing=NO_VM),
    Column("vm_corrected_mV", "Vm corrected", "mV", kind="mV", missing=NO_VM),
    Column(
        "driving_force_mV",
        "Driving force Vm−E",
        "mV",
        kind="mV",
        signed=True,
        missing=NO_VM,
    ),
    Column("flux_direction", "Net flux"),
    Column("current_direction", "Current"),
    Column("activity_check", "Activity model range"),
    Column("c_in_mM", "c_in", kind="conc"),
    Column("c_out_mM", "c_out", kind="conc"),
    Column("valence", "z", "", 0),
    Column("cell_type", "Cell type"),
    Column("temperature_C", "T", "°C", kind="temp"),
    Column("gamma_in_model", "γ_in", "", fmt=".3f"),
    Column("gamma_out_model", "γ_out", "", fmt=".3f"),
    Column("gamma_in_used", "γ_in used", "", fmt=".3f"),
    Column("gamma_out_used", "γ_out used", "", fmt=".3f"),
    Column("gamma_source", "γ from"),
    Column("ionic_strength_in_molal", "I_in", "mol/kg", fmt=".3g"),
    Column("ionic_strength_out_molal", "I_out", "mol/kg", fmt=".3g"),
]

_SUMMARY_COLUMNS = [
    Column("ion", "Ion", kind="ion"),
    Column("n", "Samples", "", kind="count"),
    Column("E_conc_mV", "E (conc.)", "mV", kind="mV"),
    Column("E_act_mV", "E (activity) ± SD", "mV", kind="mV", sd="E_act_sd_mV"),
    Column("delta_act_mV", "Δ activity", "mV", kind="mV", signed=True),
    Column(
        "driving_force_mV",
        "Driving force Vm−E ± SD",
        "mV",
        kind="mV",
        sd="driving_force_sd_mV",
        signed=True,
        missing=NO_VM,
    ),
    Column("flux_direction", "Net flux"),
    Column("current_direction", "Current"),
    Column("n_undefined", "Undefined rows", "", kind="count"),
    Column("n_activity_invalid", "Outside model range", "", kind="count"),
]

#: Per sample: what identifies it and whether it counts first, then the GHK and
#: Donnan figures with their statuses, then the details.
_SAMPLE_COLUMNS = [
    Column("sample_id", "Sample"),
    Column("left_out", "Left out of means", missing=""),
    Column("vm_mV", "Vm measured", "mV", kind="mV", missing=NO_VM),
    Column("vm_corrected_mV", "Vm corrected", "mV", kind="mV", missing=NO_VM),
    Column("vm_ghk_mV", "V_GHK", "mV", kind="mV"),
    Column("vm_minus_ghk_mV", "Vm − V_GHK", "mV", kind="mV", signed=True),
    Column("permeabilities", "Permeabilities"),
    Column("ghk_state", "GHK status"),
    Column("donnan_potential_mV", "V_Donnan", "mV", kind="mV"),
    Column("vm_minus_donnan_mV", "Vm − V_Donnan", "mV", kind="mV", signed=True),
    Column("donnan_state", "Donnan status"),
    Column("donnan_ratio", "Donnan r", "", fmt=".4g"),
    Column("impermeant_charge_mM", "X", "mM", fmt=".4g"),
    Column("impermeant_charge_source", "X from"),
    Column(
        "osmotic_imbalance_mOsm_kg",
        "Osmotic imbalance at Donnan equilibrium",
        "mOsm/kg",
        fmt=".4g",
    ),
    Column("cell_type", "Cell type"),
    Column("temperature_C", "T", "°C", kind="temp"),
    Column("ionic_strength_in_molal", "I_in", "mol/kg", fmt=".3g"),
    Column("ionic_strength_out_molal", "I_out", "mol/kg", fmt=".3g"),
    Column("donnan_converged", "Donnan converged", kind="bool"),
    Column("ghk_converged", "GHK converged", kind="bool"),
]

_FAILURE_COLUMNS = [
    Column("sample_id", "Sample"),
    Column("ion", "Ion", kind="ion"),
    Column("file", "File"),
    Column("row", "Row"),
    Column("column", "Column"),
    Column("value", "Value"),
    Column("rule", "Rule"),
    Column("severity", "Severity"),
    Column("message", "Message"),
]


#: Columns that say nothing without a measured Vm.
_VM_KEYS = (
    "vm_mV",
    "vm_corrected_mV",
    "driving_force_mV",
    "flux_direction",
    "current_direction",
)
_NO_VM_NOTE = "No Vm measured: driving forces and directions are not shown."


def _has_vm(frame: pd.DataFrame) -> bool:
    """True when some row of ``frame`` has a finite measured Vm."""
    return bool(np.isfinite(frame["vm_mV"].to_numpy(dtype=float)).any())


def _potential_columns(pot: pd.DataFrame) -> list[Column]:
    """Detail columns present in ``pot``; the gammas actually used win over the
    model's when both are there (measured gammas override the model); without any
    measured Vm, the columns that need one are left out."""
    cols = [c for c in _POT_COLUMNS if c.key in pot.columns]
    if {"gamma_in_used", "gamma_out_used"} <= set(pot.columns):
        cols = [c for c in cols if c.key not in ("gamma_in_model", "gamma_out_model")]
    if not _has_vm(pot):
        cols = [c for c in cols if c.key not in _VM_KEYS]
    return cols


_FLAG_KEYS = (
    "activity_reason",
    "activity_valid",
    "activity_model",
    "status",
    "status_reason",
    "ionic_strength_in_molal",
    "ionic_strength_out_molal",
    "vm_mV",
    "driving_force_mV",
    "driving_force_status",
    "driving_force_reason",
)

#: How the per-row direction labels read (the label itself stays the sort value).
_DIRECTION_WORDS = {"none": WITHIN_NOISE}


def _flag_potentials(record: dict, key: str, cell: Cell) -> None:
    """Put model-validity and status flags on the cells they concern, and words
    where a value is missing for a known reason."""
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
            i_in = fmt_number(record.get("ionic_strength_in_molal"), fmt=".3g")
            i_out = fmt_number(record.get("ionic_strength_out_molal"), fmt=".3g")
            cell.title = (
                f"ionic strength I_in = {i_in}, I_out = {i_out} mol/kg is outside "
                f"the validity range of {model}"
            )
            reason = record.get("activity_reason")
            if isinstance(reason, str) and reason:
                cell.title += f": {reason}"
    no_vm = pd.isna(record.get("vm_mV"))
    if key in ("flux_direction", "current_direction"):
        cell.text = NO_VM if no_vm else _DIRECTION_WORDS.get(cell.text, cell.text)
    if key == "driving_force_mV" and pd.isna(record.get(key)) and not no_vm:
        cell.text = "E undefined"
    ljp_doubt = str(record.get("driving_force_status") or "").startswith("vm_ljp")
    if key in ("driving_force_mV", "vm_corrected_mV") and ljp_doubt:
        cell.cls = "flag"
        cell.badge = "LJP?"
        cell.title = str(record.get("driving_force_reason") or "")
    if key in ("E_conc_mV", "E_act_mV", "status") and str(record.get("status")) != "ok":
        cell.cls = (cell.cls + " undefined").strip()
        cell.title = str(record.get("status_reason") or record.get("status"))
    if key == "activity_check" and cell.text.startswith("outside"):
        cell.cls = "flag"


def _flag_summary(record: dict, key: str, cell: Cell) -> None:
    if key in ("E_act_mV", "n_activity_invalid") and record.get("n_activity_invalid"):
        cell.cls = "flag"
        if key == "E_act_mV":
            cell.badge = f"{int(record['n_activity_invalid'])} outside model range"
        cell.title = "ionic strength outside the activity model's validity range"
    if key == "n_undefined" and record.get("n_undefined"):
        cell.cls = "undefined"
    if key == "flux_direction" and cell.text == WITHIN_NOISE:
        cell.title = "mean ± SD of the driving force is not clear of the tolerance"
    no_e = key == "driving_force_mV" and pd.isna(record.get(key))
    if no_e and not pd.isna(record.get("vm_mV")):
        cell.text = "E undefined"


def _flag_samples(record: dict, key: str, cell: Cell) -> None:
    if key == "left_out" and cell.text:
        cell.cls = "flag"
    ljp = str(record.get("ljp_status") or "ok")
    vm_keys = ("vm_corrected_mV", "vm_minus_ghk_mV", "vm_minus_donnan_mV")
    if key in vm_keys and ljp not in ("ok", "no_vm") and not pd.isna(record.get(key)):
        cell.cls = "flag"
        cell.badge = "LJP?"
        cell.title = str(record.get("ljp_reason") or ljp)
    if key in ("ghk_state", "donnan_state") and cell.text != "ok":
        cell.cls = "flag"


def _unique(series: pd.Series | None) -> list[str]:
    if series is None:
        return []
    return [str(v) for v in as_text(series.dropna()).unique()]


def _tolerance(config: Mapping | None, provenance: Mapping | None) -> float | None:
    """The driving-force tolerance [mV] the results were computed with: from the
    config given, else from the config recorded in provenance.json."""
    for source in (config, (provenance or {}).get("config")):
        value = ((source or {}).get("driving_force") or {}).get("atol_mV")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


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
        ``<stem>_potentials.csv`` (every row, or above
        :data:`iongrad.report.companions.ROW_LIMIT` rows a summary per cell type,
        temperature and ion: the page then names potentials.parquet),
        ``<stem>_summary.csv`` (per cell type, temperature and ion, over the samples
        that count), ``<stem>_samples.csv`` (Donnan/GHK per sample, or status counts
        above the limit; only a header when samples.parquet is missing) and the
        figures (scatter plots of at most 2,000 points) as
        ``<stem>_{ladder,temperature,activity,donnan,ghk}.svg`` (a figure that cannot
        be drawn says why); copies of the results' ``validation.json`` and
        ``rejected.csv`` as ``<stem>_validation.json`` and ``<stem>_rejected.csv``
        when the results have them and are small (formulas in the rejected cells
        neutralised; a big one is named, not copied); ``<stem>_failures.csv`` when
        the validation failures exceed the table cap (every failure, or above the
        limit their counts per rule and column with the first examples of each).
    config : mapping, optional
        The dataset's resolved workflow config, shown in the provenance section;
        its ``driving_force.atol_mV`` is the tolerance of the stated directions
        (else the one recorded in provenance.json).
    temperatures_C : sequence of float
        The configured prediction temperatures [°C] (config ``temperatures_C``):
        with the measured ones, the range of the E-versus-temperature plot when the
        results hold no temperature scan.
    previous_dir : path, optional
        Where a snapshot of the previous results of this dataset is kept, for the
        "what changed" section (:mod:`iongrad.report.changes`): it is compared with
        the current results and, once the page is written, replaced by a snapshot of
        them (summaries, checksums and at most 10,000 tracked rows: its size does not
        grow with the table), so the next rendering compares against this one (e.g.
        ``results/<dataset>/previous``, a folder Snakemake does not delete when it
        reruns the dataset's jobs).

    Raises
    ------
    iongrad.report.results.ResultsError
        When ``potentials.parquet`` is missing or lacks a contract column.
    """
    output = Path(output)
    res = load_results(
        results_dir,
        columns=_WHOLE_TABLE_COLUMNS,
        above=companions.ROW_LIMIT,
        head=MAX_TABLE_ROWS,
    )
    pot = res.potentials
    for frame in (pot, res.head):
        frame["temperature_C"] = kelvin_to_celsius(
            frame["temperature_K"].to_numpy(float)
        )
    atol = _tolerance(config, res.provenance)
    use = sample_use(res.samples)
    counted = _counted_rows(pot, use)
    groups = group_figures(use.predictions())
    summary, potentials_section = _potentials_section(
        pot, res.head, counted, groups, atol or 0.0, output, res.results_dir
    )
    validation_section = _validation_section(res, output)
    temperatures_K = [float(celsius_to_kelvin(float(t))) for t in temperatures_C]
    samples_table = _samples_table(res, use, output)
    csv_samples = files.companion(output, "_samples.csv")
    context = {
        **_overview(dataset, pot, use),
        **potentials_section,
        **validation_section,
        "checks": validity_checks(pot, use, groups, settings=config, atol_mV=atol),
        "missing": res.missing,
        "samples_table": samples_table,
        **ljp_section(use, _href(csv_samples, output), samples_table),
        "plots": _figures(res, counted, use, summary, groups, temperatures_K, output),
        "provenance": res.provenance,
        "config": dict(config) if config is not None else None,
        "max_rows": MAX_TABLE_ROWS,
    }
    snapshot = None
    if previous_dir is not None:  # nothing to compare, nothing to keep otherwise
        snapshot = build_snapshot(
            pot, res.samples, results_dir=res.results_dir, provenance=res.provenance
        )
    changes = compare(snapshot, previous_dir)
    context.update(
        changes=changes,
        changes_table=_changes_table(changes),
        changes_groups=_changes_groups(changes),
    )
    html = _env().get_template("dataset.html.j2").render(**context)
    files.write_text(output, html)
    if snapshot is not None:
        keep_snapshot(snapshot, previous_dir)


#: Columns of the potentials table the page header reads.
_OVERVIEW_COLUMNS = (
    "sample_id",
    "cell_type",
    "temperature_K",
    "status",
    "activity_valid",
    "activity_model",
    "activity_convention",
)
#: Columns of the potentials table that give the Donnan figure its measured c_in.
_DONNAN_MEASURED = ["sample_id", "ion", "c_in_mM"]

#: Columns of potentials.parquet read over every row of a table whose rows are not
#: written out (more than the companions' row limit): what the summaries, figures,
#: validity checks, validation section (the rows' samples) and the snapshot read.
#: The page's table of the first rows is read apart, with every column.
_WHOLE_TABLE_COLUMNS = tuple(
    dict.fromkeys(
        (
            *SUMMARY_COLUMNS,
            *plots.TEMPERATURE_COLUMNS,
            *plots.ACTIVITY_COLUMNS,
            *POTENTIALS_SUMMARY_COLUMNS,
            *_OVERVIEW_COLUMNS,
            *CHECKED_COLUMNS,
            *OWNER_COLUMNS,
            *SNAPSHOT_COLUMNS,
            *_DONNAN_MEASURED,
        )
    )
)


def _counted_rows(pot: pd.DataFrame, use: SampleUse) -> np.ndarray | None:
    """Per row, whether its sample counts (None: every row counts). The summary and
    the figures take the rows that count by it: a big table is not copied to leave
    a few samples out."""
    if not use.excluded:
        return None
    return ~text_in(pot["sample_id"], use.excluded)


def _overview(dataset: str, pot: pd.DataFrame, use: SampleUse) -> dict[str, Any]:
    """The page header: what the dataset holds and how many rows are flagged."""
    n_invalid = (
        int((~pot["activity_valid"].fillna(False).astype(bool)).sum())
        if "activity_valid" in pot
        else 0
    )
    left_out, n_left_out = [], 0
    if use.frame is not None:
        part = use.frame[use.frame["left_out"] != ""]
        n_left_out = len(part)
        left_out = [
            (str(s), str(w))
            for s, w in zip(
                part["sample_id"].iloc[:8], part["left_out"].iloc[:8], strict=True
            )
        ]
    return {
        "dataset": dataset,
        "version": __version__,
        "cell_types": _unique(pot["cell_type"]),
        "temperatures": [
            (fmt_temp_C(kelvin_to_celsius(t), unit=True), f"{t:.2f} K")
            for t in sorted(set(pot["temperature_K"].round(6).dropna()))
        ],
        "n_samples": int(pot["sample_id"].astype(str).nunique()),
        "n_rows": len(pot),
        "activity_models": _unique(pot.get("activity_model")),
        "activity_conventions": _unique(pot.get("activity_convention")),
        "n_activity_invalid": n_invalid,
        "n_undefined": int((~text_is(pot["status"], "ok")).sum()),
        "left_out": left_out,
        "n_left_out": n_left_out,
    }


def _activity_check(pot: pd.DataFrame) -> pd.Series:
    """Per row, in words: inside or outside the activity model's range, or not
    checked (so a clean check is not mistaken for a missing one)."""
    if "activity_valid" not in pot:
        return pd.Series("not checked", index=pot.index, dtype=object)
    valid = pot["activity_valid"]
    return pd.Series(
        [
            "not checked" if pd.isna(v) else ("inside" if bool(v) else "outside")
            for v in valid
        ],
        index=pot.index,
        dtype=object,
    )


def _potentials_section(
    pot: pd.DataFrame,
    head: pd.DataFrame,
    counted: np.ndarray | None,
    groups: pd.DataFrame,
    atol_mV: float,
    output: Path,
    results_dir: Path,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The potentials CSVs (every row up to the companions' limit, else a summary
    of them), the summary per cell type and temperature (over the samples that
    count), the first rows.

    Returns the summary (the ladder figure draws it) and the section's context.
    """
    csv_pot = files.companion(output, "_potentials.csv")
    small = len(pot) <= companions.ROW_LIMIT  # else the rows are not written
    written = companions.write_rows_or_summary(
        csv_pot,
        pot.drop(columns=["temperature_C"]) if small else pot,
        lambda: potentials_summary(pot),
        results_dir / "potentials.parquet",
    )
    summary = summary_by_group(pot, atol_mV, counted)
    csv_summary = files.companion(output, "_summary.csv")
    text, _ = companions.head_csv(
        summary, companions.ROW_LIMIT, companions.BYTE_LIMITS["_summary.csv"]
    )
    files.write_text(csv_summary, text)
    group_tables, groups_left_out = _group_tables(summary, groups)
    shown = head.iloc[:MAX_TABLE_ROWS].copy()
    shown["activity_check"] = _activity_check(shown)
    detail = frame_table(
        shown,
        _potential_columns(shown),
        id="potentials",
        caption="Potentials per sample and ion",
        csv_href=_href(csv_pot, output),
        flags=_flag_potentials,
        extra=_FLAG_KEYS,
    )
    detail.total_rows = len(pot)
    _name_elsewhere(detail, written, "summary per cell type, temperature and ion")
    if not _has_vm(pot):
        detail.notes.append(_NO_VM_NOTE)
    return summary, {
        "group_tables": group_tables,
        "groups_left_out": groups_left_out,
        "summary_href": _href(csv_summary, output),
        "detail": detail,
        "atol_mV": atol_mV,
    }


def _heading_figures(rec: Mapping | None) -> list[tuple[str, str, str]]:
    """(key, label, text) of a group's heading: measured Vm and how far it is from
    V_GHK and V_Donnan, mean ± SD over the samples that count (n)."""
    rec = rec or {}

    def figure(name: str, signed: bool = True) -> str:
        n = int(rec.get(f"{name}_n", 0) or 0)
        if not n:
            return ""
        text = fmt_pm(rec[f"{name}_mean"], rec[f"{name}_sd"], signed=signed)
        return f"{text} mV (n = {n})"

    vm = figure("vm", signed=False)
    if not vm:
        out = [("vm", "", NO_VM)]
        for name, label in (("ghk", "V_GHK"), ("donnan", "V_Donnan")):
            if figure(name):
                out.append((name, label, figure(name, signed=False)))
        return out
    out = [("vm", "Vm", vm)]
    for name, label in (
        ("vm_minus_ghk", "Vm − V_GHK"),
        ("vm_minus_donnan", "Vm − V_Donnan"),
    ):
        out.append((name, label, figure(name) or "not available"))
    return out


def _group_tables(
    summary: pd.DataFrame, groups: pd.DataFrame
) -> tuple[list[dict[str, Any]], int]:
    """One summary table per cell type x temperature (the first
    :data:`MAX_GROUP_TABLES`) with its heading figures, and how many were left
    out."""
    keyed = {
        (str(r["cell_type"]), round(float(r["temperature_K"]), 6)): r
        for r in groups.to_dict("records")
    }
    group_tables = []
    parts = list(summary.groupby(["cell_type", "temperature_K"], sort=True))
    for k, ((cell, temp_K), part) in enumerate(parts[:MAX_GROUP_TABLES]):
        temp = fmt_temp_C(kelvin_to_celsius(temp_K), unit=True)
        ions = part["ion"].astype(str).tolist()
        order = sorted(range(len(ions)), key=lambda i: style.ion_sort_key(ions[i]))
        group_tables.append(
            {
                "cell_type": str(cell),
                "temperature": temp,
                "figures": _heading_figures(
                    keyed.get((str(cell), round(float(temp_K), 6)))
                ),
                "table": frame_table(
                    part.iloc[order],
                    [
                        c
                        for c in _SUMMARY_COLUMNS
                        if _has_vm(part) or c.key not in _VM_KEYS
                    ],
                    id=f"summary-{k}",
                    caption=f"{cell} at {temp}",
                    flags=_flag_summary,
                    extra=("vm_mV",),
                ),
            }
        )
    return group_tables, max(0, len(parts) - MAX_GROUP_TABLES)


def _name_elsewhere(table: Table, written: companions.Written, label: str) -> None:
    """When the companion CSV holds a summary, the table names the results file
    with every row instead of offering the CSV as the full data."""
    if not written.full:
        table.elsewhere = written.elsewhere
        table.csv_label = label
        table.row_limit = companions.ROW_LIMIT


def _samples_table(res: DatasetResults, use: SampleUse, output: Path) -> Table | None:
    """The per-sample table (Donnan, GHK, what is left out and why) and its CSV
    (every sample up to the companions' limit, else status counts).

    Without samples.parquet the CSV is still written, with the header only, so the
    set of files a report writes stays fixed; the page says why it is empty.
    """
    csv_smp = files.companion(output, "_samples.csv")
    samples = res.samples
    if samples is None or use.frame is None:
        files.write_csv(csv_smp, pd.DataFrame(columns=[c.key for c in _SAMPLE_COLUMNS]))
        return None
    written = companions.write_rows_or_summary(
        csv_smp,
        samples,
        lambda: companions.sample_status_counts(use.frame),
        res.results_dir / "samples.parquet",
    )
    smp = use.frame.iloc[:MAX_TABLE_ROWS].copy()
    if "temperature_K" in smp:
        smp["temperature_C"] = kelvin_to_celsius(smp["temperature_K"].to_numpy(float))
    # every comparison with a prediction uses the LJP-corrected Vm
    vm = "vm_corrected_mV" if "vm_corrected_mV" in smp else "vm_mV"
    for col, pred in (
        ("vm_minus_ghk_mV", "vm_ghk_mV"),
        ("vm_minus_donnan_mV", "donnan_potential_mV"),
    ):
        if {vm, pred} <= set(smp.columns):
            smp[col] = smp[vm].astype(float) - smp[pred].astype(float)
    if "permeability_source" in smp:
        carriers = smp["ghk_ions"] if "ghk_ions" in smp else [None] * len(smp)
        smp["permeabilities"] = [
            f"{s}: {permeability_ratios(c)}"
            for s, c in zip(smp["permeability_source"], carriers, strict=True)
        ]
    for name in ("ghk", "donnan"):
        if f"{name}_status" in smp:
            smp[f"{name}_state"] = [
                str(s)
                if str(s) == "ok" or not isinstance(r, str) or not r
                else f"{s}: {r}"
                for s, r in zip(
                    smp[f"{name}_status"],
                    smp.get(f"{name}_reason", [""] * len(smp)),
                    strict=True,
                )
            ]
    table = frame_table(
        smp,
        [c for c in _SAMPLE_COLUMNS if c.key in smp.columns],
        id="samples",
        caption="Per sample: GHK and Donnan predictions against the measured Vm "
        "(corrected for the liquid junction potential where known)",
        csv_href=_href(csv_smp, output),
        flags=_flag_samples,
        extra=("ljp_status", "ljp_reason"),
    )
    table.total_rows = len(use.frame)
    _name_elsewhere(table, written, "status counts per cell type and temperature")
    return table


def _copy_companions(res: DatasetResults, output: Path) -> dict[str, str | None]:
    """Copy validation.json and rejected.csv beside the page (the rejected cells
    with spreadsheet formulas neutralised) and return the links to the copies. A
    file over the companions' copy limit is carried as its beginning
    (:func:`iongrad.report.companions.validation_excerpt`, the first rejected rows)
    and ``*_elsewhere`` names the complete one; a stale copy of a file the results
    no longer have is removed."""
    links: dict[str, str | None] = {}
    for name, key, suffix in (
        ("validation.json", "validation", "_validation.json"),
        ("rejected.csv", "rejected", "_rejected.csv"),
    ):
        source, target = res.results_dir / name, files.companion(output, suffix)
        links[f"{key}_href"] = links[f"{key}_elsewhere"] = None
        if not source.is_file() or (key == "validation" and res.validation is None):
            target.unlink(missing_ok=True)
            continue
        links[f"{key}_href"] = _href(target, output)
        size = source.stat().st_size
        whole = size <= companions.COPY_LIMIT_BYTES
        if not whole:
            links[f"{key}_elsewhere"] = (
                f"{companions.where(source)} ({size / 1e6:,.1f} MB)"
            )
        if key == "validation":
            if whole:
                files.copy_file(source, target)
            else:
                excerpt = companions.validation_excerpt(res.validation)
                files.write_json(target, excerpt)
            continue
        rows = None if whole else companions.ROW_LIMIT
        try:
            rejected = pd.read_csv(source, dtype=str, keep_default_na=False, nrows=rows)
        except pd.errors.EmptyDataError:
            rejected = pd.DataFrame()
        limit = float("inf") if whole else companions.COPY_LIMIT_BYTES
        text, _ = companions.head_csv(rejected, len(rejected), limit)
        files.write_text(target, text)
    return links


def _failures_companion(
    res: DatasetResults, failures: Failures, output: Path
) -> companions.Written | None:
    """``_failures.csv`` when the failures overflow the page: every failure up to
    the companions' limit, else their counts per rule and column with the first
    examples; the rest are in failures.parquet (when the gate wrote one) or
    validation.json."""
    if failures.total <= MAX_TABLE_ROWS:
        return None
    source = res.failures_parquet or res.results_dir / "validation.json"
    path = files.companion(output, "_failures.csv")

    def digest() -> pd.DataFrame:
        return failure_digest(failures, companions.FAILURE_EXAMPLES)

    if failures.complete:
        return companions.write_rows_or_summary(path, failures.frame, digest, source)
    return companions.write_summary(path, digest(), failures.total, source)


def _failure_source(res: DatasetResults):
    """Every failure: failures.parquet (its path), else validation.json's list (or
    its warnings, when it keeps them apart)."""
    if res.failures_parquet is not None:
        return res.failures_parquet
    val = res.validation or {}
    failures = list(val.get("failures") or [])
    if not failures and isinstance(val.get("warnings"), list):
        failures = _warnings(res.validation)[1]  # warnings kept apart
    return failures


def _validation_section(res: DatasetResults, output: Path) -> dict[str, Any]:
    """Validation counts, the rejected rows (with sample and ion), the warnings
    grouped by rule, and links to the copies of the validation files.

    Above the companions' row limit only the failures the page and the digest
    show are located and kept (:func:`iongrad.report.findings.locate_failures`);
    every count is over all of them."""
    val = res.validation or {}
    failures = locate_failures(
        _failure_source(res),
        res.potentials,
        res.rejected_csv,
        limit=companions.ROW_LIMIT,
        first=MAX_TABLE_ROWS,
        examples=companions.FAILURE_EXAMPLES,
    )
    frame = failures.frame
    written = _failures_companion(res, failures, output)
    href = _href(written.path, output) if written else None
    label = "failures counted per rule and column, with the first examples of each"
    errors = frame[frame["severity"].astype(str) != "warning"].reset_index(drop=True)
    rejected_table = frame_table(
        errors,
        _FAILURE_COLUMNS,
        id="rejected",
        caption="Rejected rows (not in any number of this report)",
        csv_href=href,
    )
    rejected_table.total_rows = failures.errors
    tables = [rejected_table]
    # the warning tables share the page's table cap when the failures overflow it
    rules = max(1, sum(1 for severity, _ in failures.rules if severity == "warning"))
    shown = max(5, MAX_TABLE_ROWS // rules) if written else None
    warning_groups = []
    for k, g in enumerate(rule_groups(failures, shown=shown)):
        table = frame_table(
            g.frame,
            _FAILURE_COLUMNS,
            id=f"warnings-{k}",
            caption=f"Warnings of rule {g.rule}",
            csv_href=href,
        )
        table.total_rows = g.count
        tables.append(table)
        warning_groups.append(
            {
                "rule": g.rule,
                "count": g.count,
                "samples": g.samples,
                "message": g.message,
                "table": table,
            }
        )
    if written is not None:
        for table in tables:
            _name_elsewhere(table, written, label)
    first = errors.drop_duplicates(["file", "row"])
    return {
        **_copy_companions(res, output),
        "validation": val,
        "rows_read": val.get("rows_read"),
        "rows_accepted": val.get("rows_accepted"),
        "rows_rejected": val.get("rows_rejected"),
        "validation_mode": val.get("mode"),
        "validation_ok": val.get("ok"),
        "n_warnings": _warnings(res.validation)[0] or failures.warnings,
        "n_errors": failures.errors,
        "n_failures": failures.total,
        "rejected_table": rejected_table,
        "rejected_rows": [_row_words(r) for r in first.iloc[:8].itertuples()],
        "n_rejected_rows": failures.error_rows,
        "warning_groups": warning_groups,
        "failures_href": href,
        "failures_label": label if written and not written.full else "",
        "failures_elsewhere": written.elsewhere if written else "",
    }


def _row_words(r) -> str:
    """``sample ion (row n)`` of a failure record, or ``row n``."""
    if r.sample_id or r.ion:
        return " ".join(str(v) for v in (r.sample_id, r.ion) if v) + f" (row {r.row})"
    return f"row {r.row}"


def _figures(
    res: DatasetResults,
    counted: np.ndarray | None,
    use: SampleUse,
    summary: pd.DataFrame,
    groups: pd.DataFrame,
    temperatures_K: list[float],
    output: Path,
) -> list[plots.Plot]:
    """The page's figures over the samples that count, also written as SVG files
    for Snakemake's own report."""
    lines = groups.rename(columns={"vm_mean": "vm_mV", "ghk_mean": "vm_ghk_mV"})
    scan = None
    if res.temperature_scan is not None:
        scan = scan_means(res.temperature_scan, use.excluded)
    figures = [
        ladder.ladder_plot(summary, lines),
        plots.e_vs_temperature_plot(
            res.potentials, temperatures_K, scan=scan, rows=counted
        ),
        plots.activity_effect_plot(res.potentials, rows=counted),
    ]
    # donnan.parquet (a row per sample and ion) is read for its figure only, after
    # the others: a big table's is not held while they are drawn
    donnan = None if res.donnan_parquet is None else read_donnan(res.donnan_parquet)
    donnan, counts = _donnan_used(donnan, res.potentials, use)
    figures.append(plots.donnan_plot(donnan, rows=counts))
    del donnan
    figures.append(plots.vm_predictions_plot(corrected_vm(use.predictions())))
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
            Column("previous", "Previous", "mV", kind="mV"),
            Column("current", "Current", "mV", kind="mV"),
            Column("delta", "Change", "mV", fmt="+.3g"),
        ],
        id="changes",
        caption="Potentials that moved (current − previous)",
    )


def _changes_groups(changes: Changes) -> Table | None:
    """The means per cell type, temperature and ion that moved (datasets with more
    rows than the snapshot tracks one by one)."""
    if not (changes.available and len(changes.groups)):
        return None
    return frame_table(
        changes.groups,
        [
            Column("cell_type", "Cell type"),
            Column("temperature_C", "T", "°C", kind="temp"),
            Column("ion", "Ion", kind="ion"),
            Column("quantity", "Quantity"),
            Column("rows_prev", "Rows before", "", kind="count"),
            Column("rows", "Rows now", "", kind="count"),
            Column("previous", "Previous mean", "mV", kind="mV"),
            Column("current", "Current mean", "mV", kind="mV"),
            Column("delta", "Change", "mV", fmt="+.3g"),
        ],
        id="changes-groups",
        caption="Means per cell type, temperature and ion that moved",
    )


def _donnan_used(
    donnan: pd.DataFrame | None, pot: pd.DataFrame, use: SampleUse
) -> tuple[pd.DataFrame | None, np.ndarray | None]:
    """The Donnan table, with the measured ``c_in_mM`` added when it lacks it, and
    per row whether its sample's Donnan solution counts (``use_donnan`` in the
    samples table; None: every row counts)."""
    if donnan is None:
        return None, None
    counts = None
    if use.frame is not None and "sample_id" in donnan:
        unused = use.frame.loc[~use.frame["use_donnan"], "sample_id"]
        if len(unused):  # the few left out are sought, not the million kept
            counts = ~text_in(donnan["sample_id"], unused.astype(str))
    if "c_in_mM" in donnan.columns:
        return donnan, counts
    keys = [k for k in ("sample_id", "ion") if k in donnan.columns]
    if len(keys) < 2:
        return donnan, counts
    measured = pot[_DONNAN_MEASURED].drop_duplicates(["sample_id", "ion"])
    # a left merge keeps the Donnan rows, in their order
    return donnan.merge(measured, on=keys, how="left"), counts
