"""The cross-dataset HTML report: every dataset's status, then comparisons.

:func:`render_index` lists every dataset with its status and what went wrong, then
compares the datasets that succeeded: a figure with one row per dataset, cell type
and temperature; cell types x temperatures (mean activity-corrected E per ion in
physiological order, measured Vm, V_GHK and the directions of net flux the data
support); and the cell types and temperatures that more than one dataset measured,
with the spread between datasets. Samples whose status is not ``ok`` are left out
(:mod:`iongrad.report.samples`). The tables are also written as CSV beside the page
(:data:`iongrad.files.INDEX_COMPANIONS`).

A dataset's potentials are read :data:`INDEX_BATCH_ROWS` rows at a time and kept only
as aggregates (:class:`_Summary`): per cell type, temperature and ion the count, mean
and sum of squared deviations of each potential, so the index of ten million rows
holds one batch of them, and that of thousands of datasets none of their rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
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
from iongrad.report.render import _env, _gc_paused_call, _href, _warnings
from iongrad.report.samples import sample_use
from iongrad.report.tables import MAX_TABLE_ROWS, Column, Table, frame_table

__all__ = ["INDEX_BATCH_ROWS", "INDEX_STATUSES", "MAX_SIDE_BY_SIDE", "render_index"]

#: Datasets shown as side-by-side columns in the index; beyond that, statistics only.
MAX_SIDE_BY_SIDE = 8
#: Allowed ``status`` values of an index entry.
INDEX_STATUSES = ("ok", "warnings", "failed")
#: Rows of a potentials.parquet read at a time: the index holds one batch of them and
#: the aggregates, never all rows. A batch of a million rows and what is computed from
#: it peak at about 250 MB; batches of a quarter million, at 90 MB, take 15 % longer.
INDEX_BATCH_ROWS = 1_000_000

#: Columns the index reads from each potentials.parquet, with the types it casts to.
_INDEX_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("cell_type", pa.string()),
        ("temperature_K", pa.float64()),
        ("ion", pa.string()),
        ("valence", pa.int64()),
        ("E_act_mV", pa.float64()),
        ("vm_mV", pa.float64()),
        ("vm_corrected_mV", pa.float64()),
        ("driving_force_mV", pa.float64()),
    ]
)
#: A dataset's rows are aggregated per cell type, temperature (rounded to 1e-6 K,
#: as numpy rounds) and ion.
_KEYS = ["cell_type", "temperature_K", "ion"]
#: The potentials [mV] whose count, mean and sum of squared deviations each group
#: keeps (``<column>_n``, ``<column>_mean``, ``<column>_m2``), of finite values only.
_MOMENTS = ("E_act_mV", "vm_mV", "vm_corrected_mV", "driving_force_mV")
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


def _index_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """The index columns of one potentials.parquet (:data:`_INDEX_SCHEMA`, cast),
    :data:`INDEX_BATCH_ROWS` rows at a time."""
    source = pq.ParquetFile(path)
    names = set(source.schema_arrow.names)
    optional = ("vm_mV", "vm_corrected_mV", "driving_force_mV")
    for field in _INDEX_SCHEMA:
        if field.name not in names and field.name not in optional:
            raise KeyError(f"{path}: missing column {field.name}")
    want = [f.name for f in _INDEX_SCHEMA if f.name in names]
    for batch in source.iter_batches(batch_size=INDEX_BATCH_ROWS, columns=want):
        n = batch.num_rows
        cols = []
        for field in _INDEX_SCHEMA:
            if field.name in names:
                cols.append(batch.column(field.name).cast(field.type))
            elif field.name == "vm_corrected_mV" and "vm_mV" in names:
                # results without LJP columns: nothing was corrected
                cols.append(batch.column("vm_mV").cast(field.type))
            else:
                cols.append(pa.nulls(n, type=pa.float64()))
        yield pa.RecordBatch.from_arrays(cols, schema=_INDEX_SCHEMA)


@dataclass
class _Summary:
    """What the index keeps of one dataset's rows that count: nothing of a size
    that grows with the rows.

    ``rows``: their number. ``cell_types``: the distinct cell types in order of first
    appearance. ``temperatures_K``: the distinct temperatures [K] rounded to 1e-6 K,
    ascending. ``n_samples``: the number of distinct sample ids. ``groups``: one row
    per cell type, temperature and ion (:data:`_KEYS`, sorted) with the count, mean
    and sum of squared deviations of the finite values of each of :data:`_MOMENTS`,
    the first valence and the dataset's driving-force tolerance ``atol_mV``.
    """

    rows: int
    cell_types: list[str]
    temperatures_K: list[float]
    n_samples: int
    groups: pd.DataFrame


def _summarise(path: Path, excluded: set, atol_mV: float) -> _Summary:
    """Read one potentials.parquet batch by batch into its :class:`_Summary`,
    leaving out the rows of the ``excluded`` samples.

    Besides a batch, only sample ids are held while reading, to count the distinct
    ones exactly: each batch's distinct ids, merged into those of the batches before
    once they outnumber them. So at most about twice the dataset's distinct ids (tens
    of MB for a million samples) are held, however many rows and in whatever order,
    and merging costs at most twice hashing every row's id (a few times hashing the
    distinct ids when, as usual, a sample's rows are together).
    """
    left_out = pa.array(sorted(excluded), pa.string()) if excluded else None
    rows, cells, temps = 0, {}, set()
    ids, batch_ids = pa.array([], pa.string()), []
    # the groups of no rows, into which those of each batch are pooled
    groups = _batch_groups(pa.RecordBatch.from_pylist([], _INDEX_SCHEMA), atol_mV)[2]
    for batch in _index_batches(path):
        batch = _without(batch, left_out)
        rows += batch.num_rows
        batch_ids.append(pc.unique(batch.column("sample_id")))
        if sum(map(len, batch_ids)) > len(ids):
            ids, batch_ids = pc.unique(pa.concat_arrays([ids, *batch_ids])), []
        batch_cells, batch_temps, batch_groups = _batch_groups(batch, atol_mV)
        cells.update(dict.fromkeys(batch_cells))
        temps.update(batch_temps)
        groups = _pooled(pd.concat([groups, batch_groups], ignore_index=True), _KEYS)
    ids = pc.unique(pa.concat_arrays([ids, *batch_ids]))
    n_samples = len(ids) - ids.null_count
    return _Summary(rows, list(cells), sorted(temps), n_samples, groups)


def _batch_groups(
    batch: pa.RecordBatch, atol_mV: float
) -> tuple[list[str], list[float], pd.DataFrame]:
    """The cell types (in order of first appearance) and the temperatures [K] of one
    batch, and its :class:`_Summary` groups.

    The groups are found on integer codes of the keys (a row's cell type, rounded
    temperature and ion) rather than on the texts of each row.
    """
    cell, cells = _codes(batch.column("cell_type"))
    ion, ions = _codes(batch.column("ion"))
    temp, temps = pd.factorize(np.round(_floats(batch.column("temperature_K")), 6))
    valid = (cell >= 0) & (temp >= 0) & (ion >= 0)  # groupby leaves out missing keys
    n_temps, n_ions = len(temps), len(ions)
    group, keys = pd.factorize(
        (cell[valid] * n_temps + temp[valid]) * n_ions + ion[valid]
    )
    size = len(keys)
    valence = _floats(batch.column("valence"))[valid]
    out = pd.DataFrame(
        {
            "cell_type": cells[keys // (n_temps * n_ions)],
            "temperature_K": temps[keys // n_ions % n_temps],
            "ion": ions[keys % n_ions],
            # each group's first valence that is not missing, groups 0 .. size-1
            "valence": pd.Series(valence).groupby(group).first().to_numpy(),
            "atol_mV": np.full(size, atol_mV),
        }
    )
    for col in _MOMENTS:
        value = _floats(batch.column(col))[valid]
        value[~np.isfinite(value)] = np.nan  # counts nowhere
        by_group = pd.Series(value).groupby(group)
        # the mean as pandas takes it (a compensated sum in row order): a dataset
        # read in one batch gets the very means the index took of all its rows
        mean = by_group.mean().to_numpy()
        dev = value - mean[group]
        has = ~np.isnan(dev)
        out[f"{col}_n"] = by_group.count().to_numpy()
        out[f"{col}_mean"] = mean
        out[f"{col}_m2"] = np.bincount(group[has], dev[has] ** 2, size)
    first_cells = cells[pd.unique(cell[cell >= 0])].tolist()
    return first_cells, temps.tolist(), out


def _codes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """An integer code per text of ``values`` (-1 where missing) and the texts."""
    encoded = pc.dictionary_encode(values)
    codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
    return codes, np.asarray(encoded.dictionary.to_pylist(), dtype=object)


def _floats(values: pa.Array) -> np.ndarray:
    """``values`` as float64, NaN where missing."""
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=float)


def _moments(
    group: np.ndarray, n: np.ndarray, mean: np.ndarray, m2: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and sum of squared deviations of each of ``size`` groups from
    those of its parts (``group`` gives each part's group; a part of no values has
    ``n`` 0), combined as Chan, Golub and LeVeque do: the pooled mean, then each
    part's deviation from it. A group of no values has mean NaN.

    The parts' deviations weighted by their counts sum to the pooled mean's rounding
    error; adding their mean back (the corrected two-pass algorithm) gives a group
    of one part its part's mean exactly, and any group its mean to about a unit in
    the last place. (The squared deviations are from the uncorrected mean: they
    exceed those from the corrected one by a rounding error squared.)
    """
    mean = np.where(n > 0, mean, 0.0)
    total = np.bincount(group, n, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.bincount(group, n * mean, size) / total
        dev = np.where(n > 0, mean - pooled[group], 0.0)
        pooled += np.bincount(group, n * dev, size) / total
    return total, pooled, np.bincount(group, m2 + n * dev * dev, size)


def _pooled(parts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:class:`_Summary` groups of several parts (batches of a dataset, datasets)
    pooled per ``keys`` (sorted): the moments combined (:func:`_moments`), the
    first valence of the parts in order, the largest tolerance."""
    keyed = parts.groupby(keys, sort=True)
    group = keyed.ngroup().to_numpy()
    out = keyed.agg(
        valence=("valence", "first"), atol_mV=("atol_mV", "max")
    ).reset_index()
    for col in _MOMENTS:
        out[f"{col}_n"], out[f"{col}_mean"], out[f"{col}_m2"] = _moments(
            group,
            parts[f"{col}_n"].to_numpy(),
            parts[f"{col}_mean"].to_numpy(),
            parts[f"{col}_m2"].to_numpy(),
            len(out),
        )
    return out


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
        "summary": None,
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
        info["atol_mV"] = _read_tolerance(root / "provenance.json")
        try:
            info["ghk"], excluded = _read_samples(root / "samples.parquet", name)
            info["summary"] = _summarise(ppath, excluded, info["atol_mV"])
        except (OSError, ValueError, KeyError, pa.ArrowException) as err:
            info["problem"] = f"results unreadable: {err}"  # shown
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


def _without(batch: pa.RecordBatch, left_out: pa.Array | None) -> pa.RecordBatch:
    """``batch`` without the rows of the samples ``left_out`` (ids; None: none)."""
    if left_out is None:
        return batch
    return batch.filter(pc.invert(pc.is_in(batch.column("sample_id"), left_out)))


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
    ds_table = _datasets_table(infos, output)
    read = [i for i in infos if i["summary"] is not None]
    ghk = [i["ghk"] for i in read if i["ghk"] is not None]
    cell_table, across_table, figure = _comparisons(
        read, pd.concat(ghk, ignore_index=True) if ghk else None, output
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


def _datasets_frame(infos: list[dict[str, Any]]):
    """One row per dataset: status, cell types, temperatures, counts, problem (cell
    types, temperatures and samples blank where no row of the dataset counts)."""
    rows = []
    for info in infos:
        val, summary = info["validation"], info["summary"]
        n_warn, _ = _warnings(val)
        has = summary is not None and summary.rows > 0
        temps = kelvin_to_celsius(np.asarray(summary.temperatures_K)) if has else []
        rows.append(
            {
                "dataset": info["dataset"],
                "status": info["status"],
                "cell_types": ", ".join(summary.cell_types) if has else "",
                "temperatures_C": ", ".join(f"{t:.1f}" for t in temps),
                "n_samples": summary.n_samples if has else None,
                "rows_accepted": val.get("rows_accepted"),
                "rows_rejected": val.get("rows_rejected"),
                "warnings": n_warn if val else None,
                "problem": info["problem"],
            }
        )
    return pd.DataFrame(rows, columns=[c.key for c in _DATASET_COLUMNS])


def _datasets_table(infos: list[dict[str, Any]], output: Path) -> Table:
    """The datasets table and its CSV; a dataset's name links to its report."""
    ds_frame = _datasets_frame(infos)
    csv_ds = files.companion(output, "_datasets.csv")
    files.write_csv(csv_ds, ds_frame)
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


def _comparisons(read: list[dict[str, Any]], ghk: pd.DataFrame | None, output: Path):
    """Cross cell-type/temperature table, across-dataset table and figure from the
    :class:`_Summary` of each dataset read."""
    if not any(i["summary"].rows for i in read):
        return _no_comparisons()
    parts = pd.concat(
        [i["summary"].groups.assign(dataset=i["dataset"]) for i in read],
        ignore_index=True,
    )
    # per dataset x cell type x temperature x ion: means over samples
    means = _pooled(parts, ["dataset", *_KEYS])
    per = means[["dataset", *_KEYS]].assign(
        E_act_mV=means["E_act_mV_mean"],
        vm_mV=means["vm_mV_mean"],
        vm_corrected_mV=means["vm_corrected_mV_mean"],
    )
    per["temperature_C"] = kelvin_to_celsius(per["temperature_K"].to_numpy(float))
    # the figure sets Vm against the E's: the Vm corrected for the junction potential
    figure = ladder.index_plot(per.assign(vm_mV=per["vm_corrected_mV"]))
    return (
        _cell_type_table(per, _pooled(parts, _KEYS), ghk, output),
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


def _directions(pooled: pd.DataFrame) -> pd.Series:
    """Per (cell type, temperature): the direction of net flux of each ion, as far
    as the pooled samples' driving force ± SD is clear of the tolerance.

    ``pooled``: the :class:`_Summary` groups of all datasets pooled per cell type,
    temperature and ion (the SD is the samples', ddof 1: NaN for fewer than two).
    """
    keys = ["cell_type", "temperature_K"]
    n = pooled["driving_force_mV_n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(pooled["driving_force_mV_m2"].to_numpy() / (n - 1))
    stats = pd.DataFrame(
        {
            **{k: pooled[k] for k in _KEYS},
            "df": pooled["driving_force_mV_mean"],
            "sd": np.where(n > 1, sd, np.nan),
            "z": pooled["valence"],
            "atol": pooled["atol_mV"],
            "vm": pooled["vm_mV_n"],
        }
    )
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
    per: pd.DataFrame, pooled: pd.DataFrame, ghk: pd.DataFrame | None, output: Path
) -> Table:
    """Cell types x temperatures: mean E per ion (mean over datasets, ions in
    physiological order), measured Vm, V_GHK, directions (of ``pooled``, see
    :func:`_directions`); and its CSV."""
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
    wide["net_flux"] = _directions(pooled)
    wide["n_datasets"] = per.groupby(keys)["dataset"].nunique()
    wide = wide.reset_index()
    wide.insert(2, "temperature_C", kelvin_to_celsius(wide["temperature_K"]))
    wide = wide.drop(columns=["temperature_K"])
    csv1 = files.companion(output, "_cell_types.csv")
    files.write_csv(csv1, wide)
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
    files.write_csv(csv2, across)
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
