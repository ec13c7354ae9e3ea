"""The cross-dataset HTML report: every dataset's status, then comparisons.

:func:`render_index` lists every dataset with its status and what went wrong, then
compares the datasets that succeeded: a figure with one row per dataset, cell type
and temperature; cell types x temperatures (mean activity-corrected E per ion in
physiological order, measured Vm, V_GHK and the directions of net flux the data
support); and the cell types and temperatures that more than one dataset measured,
with the spread between datasets. Samples whose status is not ``ok`` are left out
(:mod:`iongrad.report.samples`). The tables are also written as CSV beside the page
(:data:`iongrad.files.INDEX_COMPANIONS`).
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
import pyarrow.compute as pc
import pyarrow.parquet as pq

from iongrad import __version__, files
from iongrad.constants import kelvin_to_celsius
from iongrad.report import ladder, style
from iongrad.report.directions import NO_VM, stated_directions
from iongrad.report.render import _env, _gc_paused_call, _href, _warnings, _write_csv
from iongrad.report.samples import sample_use
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
        ("valence", pa.int64()),
        ("E_act_mV", pa.float64()),
        ("E_conc_mV", pa.float64()),
        ("vm_mV", pa.float64()),
        ("vm_corrected_mV", pa.float64()),
        ("driving_force_mV", pa.float64()),
    ]
)
#: Columns the index reads from each samples.parquet (those present).
_SAMPLE_COLUMNS = (
    "sample_id",
    "cell_type",
    "temperature_K",
    "vm_ghk_mV",
    "ghk_status",
    "ghk_reason",
    "donnan_status",
    "sample_status",
    "sample_complete",
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
        elif field.name == "vm_corrected_mV" and "vm_mV" in names:
            # results without LJP columns: nothing was corrected
            cols.append(table.column("vm_mV").cast(field.type))
        elif field.name in ("vm_mV", "vm_corrected_mV", "driving_force_mV"):
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
        "ghk": None,
        "atol_mV": 0.0,
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
            info["ghk"], excluded = _read_samples(root / "samples.parquet", name)
            info["table"] = _without(_read_index_table(ppath, name), excluded)
        except (OSError, ValueError, KeyError, pa.ArrowException) as err:
            info["problem"] = f"results unreadable: {err}"  # shown
        info["atol_mV"] = _read_tolerance(root / "provenance.json")
    elif status != "failed":
        info["problem"] = "potentials.parquet is missing"
    if status == "failed" and entry.get("problem"):
        # What failed, as the pipeline found it: validation, a stage (with its log)
        # or a missing result (iongrad.pipeline.jobs.index_entries).
        info["problem"] = str(entry["problem"])
    elif status == "failed" and not info["problem"]:
        fails = info["validation"].get("failures") or []
        errors = [
            f
            for f in fails
            if isinstance(f, dict) and f.get("severity", "error") == "error"
        ]
        # validation.json keeps examples of each rule; "errors" counts them all
        count = max(len(errors), int(info["validation"].get("errors") or 0))
        info["problem"] = (
            f"{count} validation error(s); first: {errors[0].get('message', '')}"
            if errors
            else "the dataset's jobs failed; see the workflow log"
        )
    return info


def _read_samples(path: Path, dataset: str) -> tuple[pd.DataFrame | None, set]:
    """The V_GHK of the samples whose GHK solution counts, and the ids of the
    samples left out of every mean (:func:`iongrad.report.samples.sample_use`)."""
    if not path.is_file():
        return None, set()
    names = set(pq.ParquetFile(path).schema_arrow.names)
    frame = pd.read_parquet(path, columns=[c for c in _SAMPLE_COLUMNS if c in names])
    use = sample_use(frame)
    preds = use.predictions()
    if preds is None or not {"cell_type", "temperature_K", "vm_ghk_mV"} <= set(
        preds.columns
    ):
        return None, use.excluded
    ghk = preds[["cell_type", "temperature_K", "vm_ghk_mV"]].copy()
    ghk.insert(0, "dataset", dataset)
    return ghk, use.excluded


def _without(table: pa.Table, excluded: set) -> pa.Table:
    """``table`` without the rows of the ``excluded`` samples."""
    if not excluded:
        return table
    keep = pc.invert(pc.is_in(table.column("sample_id"), pa.array(sorted(excluded))))
    return table.filter(keep)


def _read_tolerance(path: Path) -> float:
    """The driving-force tolerance [mV] a dataset was computed with (its
    provenance.json's config), 0 when not recorded."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        value = record["config"]["driving_force"]["atol_mV"]
        return float(value)
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


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
    ghk = [i["ghk"] for i in infos if i["table"] is not None and i["ghk"] is not None]
    atol = {i["dataset"]: i["atol_mV"] for i in infos}
    cell_table, across_table, figure = _comparisons(
        combined, pd.concat(ghk, ignore_index=True) if ghk else None, atol, output
    )
    context = {
        "version": __version__,
        "datasets_table": ds_table,
        "n_datasets": len(infos),
        "n_failed": sum(i["status"] == "failed" for i in infos),
        "n_warnings": sum(i["status"] == "warnings" for i in infos),
        "cell_table": cell_table,
        "across_table": across_table,
        "plots": [figure],
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


def _comparisons(
    combined: pd.DataFrame,
    ghk: pd.DataFrame | None,
    atol: Mapping[str, float],
    output: Path,
):
    """Cross cell-type/temperature table, across-dataset table and figure."""
    if combined.empty:
        return _no_comparisons()
    c = combined.copy()
    c["temperature_K"] = c["temperature_K"].round(6)
    for col in ("E_act_mV", "vm_mV", "vm_corrected_mV", "driving_force_mV"):
        c[col] = c[col].where(np.isfinite(c[col].astype(float)))
    c["atol_mV"] = c["dataset"].map(atol).fillna(0.0)
    # per dataset x cell type x temperature x ion: means over samples
    per = (
        c.groupby(["dataset", "cell_type", "temperature_K", "ion"], sort=True)
        .agg(
            E_act_mV=("E_act_mV", "mean"),
            vm_mV=("vm_mV", "mean"),
            vm_corrected_mV=("vm_corrected_mV", "mean"),
        )
        .reset_index()
    )
    per["temperature_C"] = kelvin_to_celsius(per["temperature_K"].to_numpy(float))
    # the figure sets Vm against the E's: the Vm corrected for the junction potential
    figure = ladder.index_plot(per.assign(vm_mV=per["vm_corrected_mV"]))
    return (
        _cell_type_table(per, c, ghk, output),
        _across_table(per, output),
        figure,
    )


def _no_comparisons():
    """The comparison tables and figure when no dataset produced results."""
    note = "No dataset produced results to compare."
    t1 = Table("cell-types", "Cell types and temperatures", [], [], 0, notes=[note])
    t2 = Table(
        "across-datasets", "Same cell type across datasets", [], [], 0, notes=[note]
    )
    empty = pd.DataFrame(
        columns=["dataset", "cell_type", "temperature_C", "ion", "E_act_mV", "vm_mV"]
    )
    return t1, t2, ladder.index_plot(empty)


def _directions(rows: pd.DataFrame) -> pd.Series:
    """Per (cell type, temperature): the direction of net flux of each ion, as far
    as the pooled samples' driving force ± SD is clear of the tolerance."""
    keys = ["cell_type", "temperature_K"]
    g = rows.groupby([*keys, "ion"], sort=True)
    stats = g.agg(
        df=("driving_force_mV", "mean"),
        sd=("driving_force_mV", "std"),
        z=("valence", "first"),
        atol=("atol_mV", "max"),
        vm=("vm_mV", "count"),
    ).reset_index()
    stats["flux"], _ = stated_directions(
        stats["df"].to_numpy(float),
        stats["sd"].to_numpy(float),
        stats["z"].to_numpy(),
        stats["atol"].to_numpy(float),
    )
    texts = {}
    for key, part in stats.groupby(keys, sort=True):
        if not part["vm"].any():
            texts[key] = NO_VM
            continue
        order = sorted(part.index, key=lambda i: style.ion_sort_key(part.at[i, "ion"]))
        texts[key] = ", ".join(
            f"{part.at[i, 'ion']} {part.at[i, 'flux']}"
            for i in order
            if part.at[i, "flux"] != "undefined"
        )
    return pd.Series(texts, dtype=object)


def _cell_type_table(
    per: pd.DataFrame, rows: pd.DataFrame, ghk: pd.DataFrame | None, output: Path
) -> Table:
    """Cell types x temperatures: mean E per ion (mean over datasets, ions in
    physiological order), measured Vm, V_GHK, directions; and its CSV."""
    finite = np.isfinite(per["E_act_mV"].to_numpy(dtype=float))
    ions = style.ion_order(per.loc[finite, "ion"].astype(str))  # not impermeant
    keys = ["cell_type", "temperature_K"]
    wide = per.pivot_table(index=keys, columns="ion", values="E_act_mV", aggfunc="mean")
    wide = wide.reindex(columns=ions)
    wide.columns = [f"E_{ion}" for ion in ions]
    wide["vm_mV"] = per.groupby(keys)["vm_mV"].mean()
    wide["vm_corrected_mV"] = per.groupby(keys)["vm_corrected_mV"].mean()
    if ghk is not None and len(ghk):
        ghk = ghk.assign(temperature_K=ghk["temperature_K"].astype(float).round(6))
        wide["vm_ghk_mV"] = ghk.groupby(keys)["vm_ghk_mV"].mean()
    else:
        wide["vm_ghk_mV"] = np.nan
    wide["net_flux"] = _directions(rows)
    wide["n_datasets"] = per.groupby(keys)["dataset"].nunique()
    wide = wide.reset_index()
    wide.insert(2, "temperature_C", kelvin_to_celsius(wide["temperature_K"]))
    wide = wide.drop(columns=["temperature_K"])
    csv1 = files.companion(output, "_cell_types.csv")
    _write_csv(csv1, wide)
    return frame_table(
        wide,
        [
            Column("cell_type", "Cell type"),
            Column("temperature_C", "T", "°C", kind="temp"),
            *[Column(f"E_{ion}", f"E({ion})", "mV", kind="mV") for ion in ions],
            Column("vm_mV", "Vm measured", "mV", kind="mV", missing=NO_VM),
            Column(
                "vm_corrected_mV", "Vm corrected (LJP)", "mV", kind="mV", missing=NO_VM
            ),
            Column("vm_ghk_mV", "V_GHK", "mV", kind="mV"),
            Column("net_flux", "Net flux (Vm − E)"),
            Column("n_datasets", "Datasets", "", kind="count"),
        ],
        id="cell-types",
        caption="Cell types and temperatures: mean activity-corrected E per ion, "
        "measured Vm, Vm corrected for the liquid junction potential (where known; "
        "the Vm of the directions), V_GHK and the directions of net flux",
        csv_href=_href(csv1, output),
    )


def _across_frame(per: pd.DataFrame) -> pd.DataFrame:
    """Per (cell type, temperature, potential): each dataset's mean and their
    count, mean, SD and spread (SD and spread only where two or more datasets)."""
    vm_rows = (
        per.groupby(["dataset", "cell_type", "temperature_K", "temperature_C"])["vm_mV"]
        .mean()
        .reset_index()
    )
    vm_rows["ion"] = "Vm (measured)"
    vm_rows = vm_rows.rename(columns={"vm_mV": "E_act_mV"})
    per = per.drop(columns=["vm_mV", "vm_corrected_mV"], errors="ignore")
    long = pd.concat([per, vm_rows], ignore_index=True)
    long = long[np.isfinite(long["E_act_mV"].astype(float))]
    keys = ["cell_type", "temperature_C", "ion"]
    g = long.groupby(keys, sort=True)["E_act_mV"]
    stats = g.agg(
        n_datasets="count", mean_mV="mean", sd_mV="std", min_mV="min", max_mV="max"
    ).reset_index()
    stats["spread_mV"] = stats["max_mV"] - stats["min_mV"]
    single = stats["n_datasets"] < 2
    stats.loc[single, ["sd_mV", "spread_mV"]] = np.nan
    byds = long.pivot_table(
        index=keys, columns="dataset", values="E_act_mV", aggfunc="mean"
    ).reset_index()
    across = stats.merge(byds, on=keys, how="left")
    rank = [
        (ct, t, ion == "Vm (measured)", style.ion_sort_key(ion))
        for ct, t, ion in zip(
            across["cell_type"], across["temperature_C"], across["ion"], strict=True
        )
    ]
    order = sorted(range(len(across)), key=rank.__getitem__)
    return across.iloc[order].reset_index(drop=True)


def _across_table(per: pd.DataFrame, output: Path) -> Table:
    """The cell types and temperatures measured in more than one dataset, with
    each dataset's value and the spread; the CSV holds every combination."""
    across = _across_frame(per)
    csv2 = files.companion(output, "_across_datasets.csv")
    _write_csv(csv2, across)
    shared = across[across["n_datasets"] > 1]
    caption = (
        "Same cell type and temperature in several datasets: activity-corrected E "
        "per ion and measured Vm"
    )
    if shared.empty:
        note = (
            "No cell type and temperature was measured in more than one dataset: "
            "nothing to compare across datasets (each dataset's values are in the "
            "table above and in the CSV)."
        )
        table = Table("across-datasets", caption, [], [], 0, notes=[note])
        table.csv_href = _href(csv2, output)
        return table
    datasets = [
        d
        for d in sorted(per["dataset"].astype(str).unique())
        if shared[d].notna().any()
    ]
    side = len(datasets) <= MAX_SIDE_BY_SIDE
    cols = [
        Column("cell_type", "Cell type"),
        Column("temperature_C", "T", "°C", kind="temp"),
        Column("ion", "Potential of", kind="ion"),
    ]
    if side:
        cols += [
            Column(d, d, "mV", kind="mV", missing="not measured") for d in datasets
        ]
    cols += [
        Column("n_datasets", "Datasets", "", kind="count"),
        Column("mean_mV", "Mean", "mV", kind="mV"),
        Column("sd_mV", "SD", "mV", kind="mV"),
        Column("spread_mV", "Spread max−min", "mV", kind="mV"),
    ]
    table = frame_table(
        shared,
        cols,
        id="across-datasets",
        caption=caption,
        csv_href=_href(csv2, output),
    )
    if not side:
        table.notes.append(
            f"{len(datasets)} datasets: per-dataset columns are in the CSV only."
        )
    n_single = int((across["n_datasets"] < 2).sum())
    if n_single:
        table.notes.append(
            f"{n_single} potential(s) of cell types and temperatures measured in one "
            "dataset only are left out here (they are in the table above)."
        )
    return table
