"""The cross-dataset HTML report: every dataset's status, then comparisons.

:func:`render_index` lists every dataset with its status and what went wrong, then
compares the datasets that succeeded: cell types x temperatures (mean
activity-corrected E per ion), the same cell type across datasets (with the spread
of each potential) and a ladder figure. The tables are also written as CSV beside
the page (:data:`iongrad.files.INDEX_COMPANIONS`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iongrad import __version__, files
from iongrad.constants import kelvin_to_celsius
from iongrad.report import plots
from iongrad.report.render import _env, _gc_paused_call, _href, _warnings, _write_csv
from iongrad.report.tables import MAX_TABLE_ROWS, Column, Table, frame_table

__all__ = ["INDEX_STATUSES", "MAX_SIDE_BY_SIDE", "render_index"]

#: Datasets shown as side-by-side columns in the index; beyond that, statistics only.
MAX_SIDE_BY_SIDE = 8
#: Allowed ``status`` values of an index entry.
INDEX_STATUSES = ("ok", "warnings", "failed")

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
    ds_table = _datasets_table(infos, combined, output)
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


#: Columns of the datasets table (and of its CSV).
_DATASET_COLUMNS = [
    Column("dataset", "Dataset"),
    Column("status", "Status"),
    Column("cell_types", "Cell types"),
    Column("temperatures_C", "Temperatures", "°C"),
    Column("n_samples", "Samples", "", 0),
    Column("rows_accepted", "Rows accepted", "", 0),
    Column("rows_rejected", "Rows rejected", "", 0),
    Column("warnings", "Warnings", "", 0),
    Column("problem", "Problem"),
]


def _datasets_frame(infos: list[dict[str, Any]], combined: pd.DataFrame):
    """One row per dataset: status, cell types, temperatures, counts, problem."""
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
    return pd.DataFrame(rows, columns=[c.key for c in _DATASET_COLUMNS])


def _datasets_table(
    infos: list[dict[str, Any]], combined: pd.DataFrame, output: Path
) -> Table:
    """The datasets table and its CSV; a dataset's name links to its report."""
    ds_frame = _datasets_frame(infos, combined)
    csv_ds = files.companion(output, "_datasets.csv")
    _write_csv(csv_ds, ds_frame)
    ds_table = frame_table(
        ds_frame,
        _DATASET_COLUMNS,
        id="datasets",
        caption="Datasets",
        csv_href=_href(csv_ds, output),
    )
    links = {i["dataset"]: i["report_href"] for i in infos if i["report_exists"]}
    for row in ds_table.rows:
        row[0].href = links.get(row[0].text)
        row[1].cls = f"status-{row[1].text}"
    return ds_table


def _comparisons(combined: pd.DataFrame, output: Path):
    """Cross cell-type/temperature table, across-dataset table and ladder plot."""
    if combined.empty:
        return _no_comparisons()
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
    return _cell_type_table(per, output), _across_table(per, output), ladder


def _no_comparisons():
    """The comparison tables and figure when no dataset produced results."""
    empty = pd.DataFrame()
    note = "No dataset produced results to compare."
    t1 = Table("cell-types", "Cell types and temperatures", [], [], 0, notes=[note])
    t2 = Table(
        "across-datasets", "Same cell type across datasets", [], [], 0, notes=[note]
    )
    ladder = plots.index_ladder_plot(
        empty.assign(
            dataset=[],
            cell_type=[],
            temperature_C=[],
            ion=[],
            E_act_mV=[],
            vm_mV=[],
        )
    )
    return t1, t2, ladder


def _cell_type_table(per: pd.DataFrame, output: Path) -> Table:
    """Cell types x temperatures, one column per ion (mean over datasets), and CSV."""
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
    return frame_table(
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


def _across_table(per: pd.DataFrame, output: Path) -> Table:
    """The same cell type across datasets, with the spread of each potential."""
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
    table = frame_table(
        across,
        cols,
        id="across-datasets",
        caption="Same cell type and temperature across datasets: activity-corrected E "
        "per ion and measured Vm",
        csv_href=_href(csv2, output),
    )
    if not side:
        table.notes.append(
            f"{len(datasets)} datasets: per-dataset columns are in the CSV only."
        )
    return table
