"""Render the per-dataset and cross-dataset HTML reports with Jinja2.

Pages are self-contained (inline CSS, a small inline sort script, inline SVG plots, no
network), autoescaped (every user string is text, never markup) and written
atomically. Full tables are written as CSV beside the HTML.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from jinja2 import Environment, PackageLoader, StrictUndefined

from iongrad import __version__, files
from iongrad.constants import celsius_to_kelvin, kelvin_to_celsius
from iongrad.report import plots
from iongrad.report.changes import compare_potentials
from iongrad.report.results import load_results
from iongrad.report.tables import (
    MAX_TABLE_ROWS,
    Cell,
    Column,
    Table,
    fmt_number,
    frame_table,
    summary_by_group,
)
from iongrad.units import UnitError, parse_temperature

__all__ = [
    "INDEX_STATUSES",
    "MAX_GROUP_TABLES",
    "MAX_SIDE_BY_SIDE",
    "config_temperatures_K",
    "keep_previous",
    "render_dataset_report",
    "render_index",
]

#: Per cell type x temperature summary tables shown; the rest are in the summary CSV.
MAX_GROUP_TABLES = 24
#: Datasets shown as side-by-side columns in the index; beyond that, statistics only.
MAX_SIDE_BY_SIDE = 8
#: Allowed ``status`` values of an index entry.
INDEX_STATUSES = ("ok", "warnings", "failed")
#: Config keys searched (in order) for the temperatures to predict at.
_TEMPERATURE_KEYS = (
    "temperatures",
    "prediction_temperatures",
    "predict_temperatures",
    "temperatures_C",
    "temperatures_K",
)


@functools.cache
def _env() -> Environment:
    """The Jinja2 environment, built once per process (compiled templates are kept).

    Autoescaping is on and undefined names raise: every user string is text.
    """
    env = Environment(
        loader=PackageLoader("iongrad", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_pretty"] = lambda v: json.dumps(
        v, indent=2, sort_keys=True, default=files.jsonable
    )
    return env


_GC_LOCK = threading.Lock()


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector while a report is built.

    A report allocates many short-lived objects in reference cycles (matplotlib
    artists); the collections they trigger mid-report traverse every live object of
    the process and cost about a quarter of a small report's time. Paused, the
    report's cyclic garbage is freed by the first young-generation collection after
    it. Only a report that finds the collector enabled pauses it, and it enables it
    again when it ends (also on error): with reports in several threads the
    collector is never off for longer than one report, and a caller who disabled
    it keeps it disabled.
    """
    with _GC_LOCK:
        owner = gc.isenabled()
        if owner:
            gc.disable()
    try:
        yield
    finally:
        if owner:
            gc.enable()


def _gc_paused_call(fn):
    """Decorator: run ``fn`` inside :func:`_gc_paused`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _gc_paused():
            return fn(*args, **kwargs)

    return wrapper


def _write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Write a DataFrame as CSV (no index) atomically."""
    files.write_text(path, frame.to_csv(index=False))


def _href(target: Path, output: Path) -> str:
    """Relative link from the page at ``output`` to ``target`` (posix separators)."""
    rel = os.path.relpath(Path(target).resolve(), Path(output).resolve().parent)
    return Path(rel).as_posix()


def _find(config: Any, keys: Sequence[str]):
    """Depth-first search of nested mappings for the first of ``keys``."""
    if isinstance(config, Mapping):
        for k in keys:
            if k in config:
                return k, config[k]
        for v in config.values():
            hit = _find(v, keys)
            if hit is not None:
                return hit
    return None


def config_temperatures_K(config: Mapping | None) -> list[float]:
    """Temperatures to predict at, from the config, in kelvin.

    Accepts a list of strings with units (``"37C"``, ``"310.15K"``, parsed by
    :func:`iongrad.units.parse_temperature`), or numbers under a key whose name says
    the unit (``temperatures_C``, ``temperatures_K``). Bare numbers under an
    ambiguous key are an error, as in the rest of iongrad.

    >>> config_temperatures_K({"temperatures": ["20C", "310.15 K"]})
    [293.15, 310.15]
    """
    hit = _find(config or {}, _TEMPERATURE_KEYS)
    if hit is None:
        return []
    key, values = hit
    if isinstance(values, Mapping):  # e.g. {"predict": [...]} or {"C": [...]}
        nested = _find(values, (*_TEMPERATURE_KEYS, "predict", "values", "C", "K"))
        if nested is None:
            return []
        key, values = nested
    if not isinstance(values, (list, tuple)):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(parse_temperature(v))
        elif key.endswith("_C") or key == "C":
            out.append(float(celsius_to_kelvin(float(v))))
        elif key.endswith("_K") or key == "K":
            out.append(float(v))
        else:
            raise UnitError(
                f"config {key}: temperature {v!r} needs a unit (write '37C' or "
                f"'310.15K')"
            )
    return out


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


def _warnings(validation: dict | None) -> tuple[int, list[dict]]:
    """Number of warnings and the warning records from validation.json."""
    if not validation:
        return 0, []
    failures = validation.get("failures") or []
    warn_failures = [
        f for f in failures if isinstance(f, dict) and f.get("severity") == "warning"
    ]
    w = validation.get("warnings")
    if isinstance(w, list):
        records = [x if isinstance(x, dict) else {"message": str(x)} for x in w]
        # warnings may also be repeated in failures; keep both views, count the list
        return len(records), records or warn_failures
    if isinstance(w, (int, float)) and not isinstance(w, bool):
        return int(w), warn_failures
    return len(warn_failures), warn_failures


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
        The resolved workflow config: shown in the provenance section; its
        prediction temperatures set the range of the E-versus-temperature plot.
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

    csv_pot = files.companion(output, "_potentials.csv")
    _write_csv(csv_pot, pot.drop(columns=["temperature_C"]))
    summary = summary_by_group(pot)
    csv_summary = files.companion(output, "_summary.csv")
    _write_csv(csv_summary, summary)

    # ---- per cell type x temperature summaries
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
    groups_left_out = max(0, len(groups) - MAX_GROUP_TABLES)

    detail = frame_table(
        pot,
        _potential_columns(pot),
        id="potentials",
        caption="Potentials per sample and ion",
        csv_href=_href(csv_pot, output),
        flags=_flag_potentials,
        extra=_FLAG_KEYS,
    )

    # ---- samples (Donnan, GHK)
    samples_table = None
    if res.samples is None:  # keep the set of files fixed: an empty table, said so
        _write_csv(
            files.companion(output, "_samples.csv"),
            pd.DataFrame(columns=[c.key for c in _SAMPLE_COLUMNS]),
        )
    else:
        smp = res.samples.copy()
        if "temperature_K" in smp:
            smp["temperature_C"] = kelvin_to_celsius(
                smp["temperature_K"].to_numpy(float)
            )
        if {"vm_mV", "vm_ghk_mV"} <= set(smp.columns):
            smp["vm_minus_ghk_mV"] = smp["vm_mV"].astype(float) - smp[
                "vm_ghk_mV"
            ].astype(float)
        csv_smp = files.companion(output, "_samples.csv")
        _write_csv(csv_smp, res.samples)
        samples_table = frame_table(
            smp,
            [c for c in _SAMPLE_COLUMNS if c.key in smp.columns],
            id="samples",
            caption="Per sample: ionic strength, Donnan and GHK predictions",
            csv_href=_href(csv_smp, output),
        )

    # ---- validation
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

    # ---- plots
    temps = config_temperatures_K(config)
    plot_list = [
        plots.ladder_plot(summary),
        plots.e_vs_temperature_plot(pot, temps, scan=res.temperature_scan),
        plots.conc_vs_activity_plot(pot),
        plots.donnan_plot(_donnan_with_measured(res.donnan, pot)),
        plots.ghk_plot(res.samples),
    ]
    for p in plot_list:  # the same figures as files, for Snakemake's own report
        name = p.id.removeprefix("plot-")
        files.write_text(
            files.companion(output, f"_{name}.svg"), p.svg or plots.note_svg(p)
        )

    changes = compare_potentials(pot, previous_dir, samples=res.samples)
    changes_table = None
    if changes.available and len(changes.moved):
        changes_table = frame_table(
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

    n_invalid = (
        int((~pot["activity_valid"].fillna(False).astype(bool)).sum())
        if "activity_valid" in pot
        else 0
    )
    n_undefined = int((pot["status"].astype(str) != "ok").sum())
    context = {
        "dataset": dataset,
        "version": __version__,
        "cell_types": _unique(pot["cell_type"]),
        "temperatures": [
            (float(kelvin_to_celsius(t)), float(t))
            for t in sorted(set(pot["temperature_K"].round(6).dropna()))
        ],
        "n_samples": int(pot["sample_id"].astype(str).nunique()),
        "n_rows": len(pot),
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
        "activity_models": _unique(pot.get("activity_model")),
        "activity_conventions": _unique(pot.get("activity_convention")),
        "n_activity_invalid": n_invalid,
        "n_undefined": n_undefined,
        "missing": res.missing,
        "group_tables": group_tables,
        "groups_left_out": groups_left_out,
        "summary_href": _href(csv_summary, output),
        "detail": detail,
        "samples_table": samples_table,
        "failures_table": failures_table,
        "warnings_table": warnings_table,
        "plots": plot_list,
        "changes": changes,
        "changes_table": changes_table,
        "provenance": res.provenance,
        "config": dict(config) if config is not None else None,
        "max_rows": MAX_TABLE_ROWS,
    }
    html = _env().get_template("dataset.html.j2").render(**context)
    files.write_text(output, html)
    if previous_dir is not None:
        keep_previous(res.results_dir, previous_dir)


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


# --------------------------------------------------------------------------- index

#: Columns the index reads from each potentials.parquet, with the types it casts to.
_INDEX_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("sample_id", pa.string()),
        ("cell_type", pa.string()),
        ("temperature_K", pa.float64()),
        ("ion", pa.string()),
        ("E_act_mV", pa.float64()),
        ("E_conc_mV", pa.float64()),
        ("vm_mV", pa.float64()),
    ]
)


def _read_index_table(path: Path, dataset: str) -> pa.Table:
    """The index columns of one potentials.parquet as an Arrow table (cast, filled)."""
    pf = pq.ParquetFile(path)
    names = set(pf.schema_arrow.names)
    want = [f.name for f in _INDEX_SCHEMA if f.name in names and f.name != "dataset"]
    table = pf.read(columns=want)
    n = table.num_rows
    cols = []
    for field in _INDEX_SCHEMA:
        if field.name == "dataset":
            cols.append(pa.array([dataset] * n, type=pa.string()))
        elif field.name in names:
            cols.append(table.column(field.name).cast(field.type))
        elif field.name == "vm_mV":
            cols.append(pa.nulls(n, type=pa.float64()))
        else:
            raise KeyError(f"{path}: missing column {field.name}")
    return pa.Table.from_arrays(cols, schema=_INDEX_SCHEMA)


def _read_entry(entry: Mapping, output: Path) -> dict:
    """Gather what the index shows about one dataset (never raises on bad results)."""
    name = str(entry["dataset"])
    status = str(entry.get("status", ""))
    if status not in INDEX_STATUSES:
        raise ValueError(
            f"index entry {name!r}: status {status!r} is not one of "
            f"{', '.join(INDEX_STATUSES)}"
        )
    root = Path(entry["results_dir"])
    href = entry.get("report_href")
    info: dict[str, Any] = {
        "dataset": name,
        "status": status,
        "report_href": href,
        "report_exists": bool(href) and (output.parent / str(href)).is_file(),
        "problem": "",
        "table": None,
        "validation": {},
    }
    vpath = root / "validation.json"
    if vpath.is_file():
        try:
            info["validation"] = json.loads(vpath.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            info["problem"] = f"validation.json unreadable: {err}"
    ppath = root / "potentials.parquet"
    if ppath.is_file() and status != "failed":
        try:
            info["table"] = _read_index_table(ppath, name)
        except (OSError, ValueError, KeyError, pa.ArrowException) as err:
            info["problem"] = f"potentials.parquet unreadable: {err}"  # shown
    elif status != "failed":
        info["problem"] = "potentials.parquet is missing"
    if status == "failed" and not info["problem"]:
        fails = info["validation"].get("failures") or []
        errors = [
            f
            for f in fails
            if isinstance(f, dict) and f.get("severity", "error") == "error"
        ]
        info["problem"] = (
            f"{len(errors)} validation error(s); first: {errors[0].get('message', '')}"
            if errors
            else "the dataset's jobs failed; see the workflow log"
        )
    return info


@_gc_paused_call
def render_index(*, entries: Sequence[Mapping], output: str | os.PathLike) -> None:
    """Write the cross-dataset report ``reports/index.html``.

    Parameters
    ----------
    entries : sequence of mapping
        One per dataset: ``{"dataset", "status" ("ok"|"failed"|"warnings"),
        "results_dir", "report_href"}`` (``report_href`` relative to ``output``).
        Failed datasets are listed with their status and what went wrong; their
        results, if any, are not used in the comparisons.
    output : path
        The HTML file to write. The comparison tables go beside it as CSV
        (``<stem>_datasets.csv``, ``<stem>_cell_types.csv``,
        ``<stem>_across_datasets.csv``).
    """
    output = Path(output)
    infos = [_read_entry(e, output) for e in entries]

    tables = [i["table"] for i in infos if i["table"] is not None]
    combined = (
        pa.concat_tables(tables).to_pandas()
        if tables
        else _INDEX_SCHEMA.empty_table().to_pandas()
    )
    combined["temperature_K"] = combined["temperature_K"].round(6)
    by_ds = combined.groupby("dataset", sort=False)
    pairs = combined[["dataset", "cell_type"]].drop_duplicates().dropna()
    cells = {d: ", ".join(g.tolist()) for d, g in pairs.groupby("dataset")["cell_type"]}
    tpairs = combined[["dataset", "temperature_K"]].drop_duplicates().dropna()
    tpairs = tpairs.sort_values(["dataset", "temperature_K"])
    tpairs["t"] = [f"{t:.1f}" for t in kelvin_to_celsius(tpairs["temperature_K"])]
    temps = {d: ", ".join(g.tolist()) for d, g in tpairs.groupby("dataset")["t"]}
    n_samples = by_ds["sample_id"].nunique()
    rows = []
    for info in infos:
        val, name = info["validation"], info["dataset"]
        n_warn, _ = _warnings(val)
        has = info["table"] is not None and name in n_samples.index
        rows.append(
            {
                "dataset": name,
                "status": info["status"],
                "cell_types": cells.get(name, "") if has else "",
                "temperatures_C": temps.get(name, "") if has else "",
                "n_samples": int(n_samples[name]) if has else None,
                "rows_accepted": val.get("rows_accepted"),
                "rows_rejected": val.get("rows_rejected"),
                "warnings": n_warn if val else None,
                "problem": info["problem"],
            }
        )
    ds_frame = pd.DataFrame(
        rows,
        columns=[
            "dataset",
            "status",
            "cell_types",
            "temperatures_C",
            "n_samples",
            "rows_accepted",
            "rows_rejected",
            "warnings",
            "problem",
        ],
    )
    csv_ds = files.companion(output, "_datasets.csv")
    _write_csv(csv_ds, ds_frame)
    ds_table = frame_table(
        ds_frame,
        [
            Column("dataset", "Dataset"),
            Column("status", "Status"),
            Column("cell_types", "Cell types"),
            Column("temperatures_C", "Temperatures", "°C"),
            Column("n_samples", "Samples", "", 0),
            Column("rows_accepted", "Rows accepted", "", 0),
            Column("rows_rejected", "Rows rejected", "", 0),
            Column("warnings", "Warnings", "", 0),
            Column("problem", "Problem"),
        ],
        id="datasets",
        caption="Datasets",
        csv_href=_href(csv_ds, output),
    )
    links = {i["dataset"]: i["report_href"] for i in infos if i["report_exists"]}
    for row in ds_table.rows:
        row[0].href = links.get(row[0].text)
        row[1].cls = f"status-{row[1].text}"

    cell_table, across_table, ladder = _comparisons(combined, output)
    context = {
        "version": __version__,
        "datasets_table": ds_table,
        "n_datasets": len(infos),
        "n_failed": sum(i["status"] == "failed" for i in infos),
        "n_warnings": sum(i["status"] == "warnings" for i in infos),
        "cell_table": cell_table,
        "across_table": across_table,
        "plots": [ladder],
        "max_rows": MAX_TABLE_ROWS,
    }
    html = _env().get_template("index.html.j2").render(**context)
    files.write_text(output, html)


def _comparisons(combined: pd.DataFrame, output: Path):
    """Cross cell-type/temperature table, across-dataset table and ladder plot."""
    if combined.empty:
        empty = pd.DataFrame()
        note = "No dataset produced results to compare."
        t1 = Table("cell-types", "Cell types and temperatures", [], [], 0, notes=[note])
        t2 = Table(
            "across-datasets", "Same cell type across datasets", [], [], 0, notes=[note]
        )
        return (
            t1,
            t2,
            plots.index_ladder_plot(
                empty.assign(
                    dataset=[],
                    cell_type=[],
                    temperature_C=[],
                    ion=[],
                    E_act_mV=[],
                    vm_mV=[],
                )
            ),
        )
    c = combined.copy()
    c["temperature_K"] = c["temperature_K"].round(6)
    c["E_act_f"] = c["E_act_mV"].where(np.isfinite(c["E_act_mV"].astype(float)))
    c["vm_f"] = c["vm_mV"].where(np.isfinite(c["vm_mV"].astype(float)))
    # per dataset x cell type x temperature x ion means
    per = (
        c.groupby(["dataset", "cell_type", "temperature_K", "ion"], sort=True)
        .agg(E_act_mV=("E_act_f", "mean"), vm_mV=("vm_f", "mean"))
        .reset_index()
    )
    per["temperature_C"] = kelvin_to_celsius(per["temperature_K"].to_numpy(float))
    ladder = plots.index_ladder_plot(per)

    # (1) cell types x temperatures, one column per ion (mean over datasets)
    ions = sorted(per["ion"].astype(str).unique())
    wide = per.pivot_table(
        index=["cell_type", "temperature_C"],
        columns="ion",
        values="E_act_mV",
        aggfunc="mean",
    )
    vm = per.groupby(["cell_type", "temperature_C"])["vm_mV"].mean()
    nds = per.groupby(["cell_type", "temperature_C"])["dataset"].nunique()
    wide = wide.reindex(columns=ions)
    wide.columns = [f"E_{ion}" for ion in ions]
    wide["vm_mV"] = vm
    wide["n_datasets"] = nds
    wide = wide.reset_index()
    csv1 = files.companion(output, "_cell_types.csv")
    _write_csv(csv1, wide)
    t1 = frame_table(
        wide,
        [
            Column("cell_type", "Cell type"),
            Column("temperature_C", "T", "°C", 2),
            *[Column(f"E_{ion}", f"E({ion})", "mV", 2) for ion in ions],
            Column("vm_mV", "Vm measured", "mV", 2),
            Column("n_datasets", "Datasets", "", 0),
        ],
        id="cell-types",
        caption="Cell types and temperatures: mean activity-corrected E per ion",
        csv_href=_href(csv1, output),
    )

    # (2) same cell type across datasets, with the spread of each potential
    vm_rows = (
        per.groupby(["dataset", "cell_type", "temperature_K", "temperature_C"])["vm_mV"]
        .mean()
        .reset_index()
    )
    vm_rows["ion"] = "Vm (measured)"
    vm_rows = vm_rows.rename(columns={"vm_mV": "E_act_mV"})
    long = pd.concat([per.drop(columns=["vm_mV"]), vm_rows], ignore_index=True)
    long = long[np.isfinite(long["E_act_mV"].astype(float))]
    keys = ["cell_type", "temperature_C", "ion"]
    g = long.groupby(keys, sort=True)["E_act_mV"]
    stats = g.agg(
        n_datasets="count", mean_mV="mean", sd_mV="std", min_mV="min", max_mV="max"
    ).reset_index()
    stats["spread_mV"] = stats["max_mV"] - stats["min_mV"]
    datasets = sorted(long["dataset"].astype(str).unique())
    side = len(datasets) <= MAX_SIDE_BY_SIDE
    byds = long.pivot_table(
        index=keys, columns="dataset", values="E_act_mV", aggfunc="mean"
    ).reset_index()
    across = stats.merge(byds, on=keys, how="left")
    across = across.sort_values(
        ["n_datasets", "spread_mV"], ascending=[False, False], kind="stable"
    )
    csv2 = files.companion(output, "_across_datasets.csv")
    _write_csv(csv2, across)
    cols = [
        Column("cell_type", "Cell type"),
        Column("temperature_C", "T", "°C", 2),
        Column("ion", "Potential of"),
    ]
    if side:
        cols += [Column(d, d, "mV", 2) for d in datasets]
    cols += [
        Column("n_datasets", "Datasets", "", 0),
        Column("mean_mV", "Mean", "mV", 2),
        Column("sd_mV", "SD", "mV", 2),
        Column("spread_mV", "Spread max−min", "mV", 2),
    ]
    t2 = frame_table(
        across,
        cols,
        id="across-datasets",
        caption="Same cell type and temperature across datasets: activity-corrected E "
        "per ion and measured Vm",
        csv_href=_href(csv2, output),
    )
    if not side:
        t2.notes.append(
            f"{len(datasets)} datasets: per-dataset columns are in the CSV only."
        )
    return t1, t2, ladder
