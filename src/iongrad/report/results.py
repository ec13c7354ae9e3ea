"""Read one dataset's results directory for the reports.

What the report reads from ``results/<dataset>/``: ``potentials.parquet``
(required), ``samples.parquet`` and ``donnan.parquet`` (optional: a missing file is
reported in the page, never papered over), ``temperature_scan.parquet`` (optional:
potentials recomputed at the configured temperatures), ``validation.json``,
``rejected.csv``, ``provenance.json`` and, when the gate writes every failure as a
table, ``failures.parquet``. Direction and status columns may arrive
as labels or as the ``int8`` codes of :mod:`iongrad.physics.nernst`; they are turned
into labels here, once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from iongrad import files
from iongrad.physics.nernst import CURRENT_LABELS, FLUX_LABELS, STATUS_LABELS
from iongrad.tables.locate import categorical

__all__ = [
    "DONNAN_COLUMNS",
    "REQUIRED_POTENTIAL_COLUMNS",
    "SCAN_BATCH_ROWS",
    "SCAN_COLUMNS",
    "DatasetResults",
    "ResultsError",
    "load_results",
    "read_donnan",
    "scan_means",
]

#: Columns of ``potentials.parquet`` without which the report would have to guess.
REQUIRED_POTENTIAL_COLUMNS = (
    "dataset",
    "sample_id",
    "cell_type",
    "temperature_K",
    "ion",
    "valence",
    "c_in_mM",
    "c_out_mM",
    "E_conc_mV",
    "E_act_mV",
    "delta_act_mV",
    "driving_force_mV",
    "flux_direction",
    "current_direction",
    "status",
)


#: Columns of ``donnan.parquet`` the report reads (a row per sample and ion: the
#: figure of Donnan-predicted against measured intracellular concentrations).
DONNAN_COLUMNS = ("sample_id", "ion", "c_in_mM", "c_in_donnan_mM")

#: Columns of ``temperature_scan.parquet`` the report reads (the scan has a row per
#: sample, ion and temperature: three times the potentials or more).
SCAN_COLUMNS = (
    "sample_id",
    "cell_type",
    "ion",
    "temperature_K",
    "E_act_mV",
    "E_conc_mV",
)

#: Rows of ``temperature_scan.parquet`` read at a time: the report holds one batch
#: and the means per cell type, ion and temperature, never the whole scan.
SCAN_BATCH_ROWS = 65_536

_SCAN_KEYS = ["cell_type", "ion", "temperature_K"]
_SCAN_VALUES = ["E_act_mV", "E_conc_mV"]


class ResultsError(ValueError):
    """A results file is missing or lacks a contract column (names file and column)."""


@dataclass
class DatasetResults:
    """Everything the dataset report shows, as read from ``results_dir``.

    ``potentials`` may hold only the columns read over every row (see
    :func:`load_results`); ``head`` is its first rows with every column.
    ``missing`` lists the optional files that were absent, with what that means.
    ``temperature_scan`` is the scan's path: it is read by :func:`scan_means`;
    ``donnan_parquet`` (a row per sample and ion) is read by :func:`read_donnan`.
    """

    results_dir: Path
    potentials: pd.DataFrame
    head: pd.DataFrame | None = None
    samples: pd.DataFrame | None = None
    donnan_parquet: Path | None = None
    temperature_scan: Path | None = None
    validation: dict[str, Any] | None = None
    provenance: dict[str, Any] | None = None
    rejected_csv: Path | None = None
    failures_parquet: Path | None = None
    missing: list[str] = field(default_factory=list)


def _labels(series: pd.Series, table: np.ndarray) -> pd.Series:
    """Map integer codes to labels (an unknown code: ``undefined``), as a
    categorical: a code per row, not a string; label columns stay as they are
    read (a categorical, from :func:`_read_potentials`)."""
    if pd.api.types.is_integer_dtype(series.dtype):
        codes = series.to_numpy()
        bad = (codes < 0) | (codes >= len(table))
        labels = [*table, "undefined"]
        codes = np.where(bad, len(table), codes)
        return pd.Series(categorical(codes, labels), index=series.index)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series
    return series.astype(object)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ResultsError(f"{path}: not valid JSON ({err})") from None


def _read_coded(
    path: Path, columns: list[str] | None = None, rows: int | None = None
) -> pd.DataFrame:
    """A results parquet file (its ``columns``, all when None; its first ``rows``
    rows, all when None) with its repeated texts (dataset, cell type, ion, source
    file, statuses, reasons ...) as categoricals: a code per row instead of a
    string, for tables of millions of rows. ``sample_id``, nearly one text per
    sample, is read as text. The categories are sorted (parquet keeps them in order
    of appearance), so that a grouping by them sorts as by the texts."""
    schema = pq.read_schema(path)
    names = [c for c in schema.names if columns is None or c in columns]
    coded = _text_columns(schema, [c for c in names if c != "sample_id"])
    source = pq.ParquetFile(path, read_dictionary=coded)
    if rows is None:
        table = source.read(columns=names)
    else:
        batches = source.iter_batches(batch_size=max(rows, 1), columns=names)
        first = next(batches, None)
        table = (
            pa.Table.from_batches([first])
            if first is not None
            else source.schema_arrow.empty_table().select(names)
        ).slice(0, rows)
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    for c in coded:
        values = frame[c].array
        frame[c] = categorical(values.codes, values.categories)
    return frame.reset_index(drop=True)


def _read_potentials(
    path: Path, columns: list[str] | None = None, rows: int | None = None
) -> pd.DataFrame:
    """potentials.parquet as :func:`_read_coded` reads it; direction and status
    codes become labels, and a table without ``vm_mV`` gets it, empty."""
    pot = _read_coded(path, columns, rows)
    for column, labels in (
        ("flux_direction", FLUX_LABELS),
        ("current_direction", CURRENT_LABELS),
        ("status", STATUS_LABELS),
    ):
        if column in pot:  # the page's first rows show the directions
            pot[column] = _labels(pot[column], labels)
    if "vm_mV" not in pot.columns:
        pot["vm_mV"] = np.nan
    # small integers held small when they fit: a big table's valences in one byte
    # and its source rows in four, not eight each
    for column, small in (("valence", np.int8), ("source_row", np.int32)):
        if column in pot and pot[column].dtype == np.int64 and len(pot):
            values, fits = pot[column].to_numpy(), np.iinfo(small)
            if fits.min <= values.min() and values.max() <= fits.max:
                pot[column] = values.astype(small)
    return pot


def load_results(
    results_dir: str | os.PathLike,
    *,
    columns: Sequence[str] | None = None,
    above: int = 0,
    head: int = 0,
) -> DatasetResults:
    """Read a dataset's results directory.

    Parameters
    ----------
    results_dir : path
        ``results/<dataset>/`` as written by the pipeline.
    columns : sequence of str, optional
        With ``above``: of a potentials table of more than ``above`` rows, read
        only these columns (and every ``*_status`` column) over every row; its
        first ``head`` rows are read with every column (``DatasetResults.head``).
        A table of millions of rows is not held whole.
    head : int
        Rows of ``DatasetResults.head`` (the first rows, every column).

    Returns
    -------
    DatasetResults

    Raises
    ------
    ResultsError
        When ``potentials.parquet`` is missing or lacks a required column.
    """
    root = Path(results_dir)
    pot_path = root / "potentials.parquet"
    if not pot_path.is_file():
        raise ResultsError(
            f"{pot_path}: missing; the report needs the potentials table"
        )
    source = pq.ParquetFile(pot_path)
    names = source.schema_arrow.names
    absent = [c for c in REQUIRED_POTENTIAL_COLUMNS if c not in names]
    if absent:
        raise ResultsError(f"{pot_path}: missing column(s) {', '.join(absent)}")
    if columns is not None and source.metadata.num_rows > above:
        wanted = {*columns, *(c for c in names if c.endswith("_status"))}
        pot = _read_potentials(pot_path, sorted(wanted))
        first = _read_potentials(pot_path, rows=head)
    else:
        pot = _read_potentials(pot_path)
        first = pot.iloc[:head].copy()  # its own frame: the report adds columns
    res = DatasetResults(results_dir=root, potentials=pot, head=first)
    path = root / "samples.parquet"
    if path.is_file():
        res.samples = _read_coded(path)
    else:
        res.missing.append(
            "samples.parquet is missing: Donnan and GHK predictions are not shown."
        )
    path = root / "donnan.parquet"
    if path.is_file():  # a row per sample and ion: read by its figure, then let go
        res.donnan_parquet = path
    else:
        res.missing.append(
            "donnan.parquet is missing: Donnan intracellular concentrations not shown."
        )
    for name, attr, what in (
        ("validation.json", "validation", "validation counts are unknown"),
        ("provenance.json", "provenance", "provenance is unknown"),
    ):
        path = root / name
        if path.is_file():
            setattr(res, attr, _read_json(path))
        else:
            res.missing.append(f"{name} is missing: {what}.")
    scan = root / "temperature_scan.parquet"
    if scan.is_file():
        res.temperature_scan = scan
    if (root / "rejected.csv").is_file():
        res.rejected_csv = root / "rejected.csv"
    if (root / files.FAILURES_FILE).is_file():
        res.failures_parquet = root / files.FAILURES_FILE
    return res


def read_donnan(path: str | os.PathLike) -> pd.DataFrame:
    """The columns of donnan.parquet the report draws (:data:`DONNAN_COLUMNS`),
    read as :func:`_read_coded` reads them (ions as categoricals)."""
    donnan = _read_coded(Path(path), list(DONNAN_COLUMNS))
    return donnan[[c for c in DONNAN_COLUMNS if c in donnan.columns]]


def scan_means(
    path: str | os.PathLike, excluded: set[str] | frozenset[str] = frozenset()
) -> pd.DataFrame | None:
    """Means of the temperature scan's E columns per cell type, ion and temperature.

    The scan is read :data:`SCAN_BATCH_ROWS` rows at a time (it has a row per sample,
    ion and temperature), leaving out the samples in ``excluded``; non-finite E do
    not count. Each batch is reduced to sums and counts per group by arrow's
    hash aggregation (cell types and ions read as codes and grouped by them), and
    those to the means. Returns one row per (``cell_type`` as text, ``ion``,
    ``temperature_K`` rounded to 1e-6 K), in the order arrow's grouping gives them
    (the figure sorts them), with the means ``E_act_mV`` and ``E_conc_mV`` (NaN
    where no finite value), or None when the scan lacks one of these columns.
    """
    schema = pq.read_schema(path)
    names = schema.names
    if not set(_SCAN_KEYS + _SCAN_VALUES) <= set(names):
        return None
    # cell types and ions read as codes into their texts: no text per row
    coded = _text_columns(schema, ["cell_type", "ion"])
    source = pq.ParquetFile(path, read_dictionary=coded)
    # the sample ids (one text per row) only when some are left out
    columns = _SCAN_KEYS + _SCAN_VALUES + (["sample_id"] if excluded else [])
    columns = [c for c in columns if c in names]
    left_out = pa.array(sorted(excluded), pa.string()) if excluded else None
    parts = [
        _scan_sums(batch, left_out)
        for batch in source.iter_batches(batch_size=SCAN_BATCH_ROWS, columns=columns)
    ]
    if not parts:
        parts = [_scan_sums(source.schema_arrow.empty_table(), left_out)]
    sums = _grouped(
        pa.concat_tables(parts),
        [(f"{c}{k}", "sum") for c in _SCAN_VALUES for k in ("", "_n")],
    ).to_pandas()
    means = pd.DataFrame(
        {
            "cell_type": sums["cell_type"],
            "ion": sums["ion"],
            "temperature_K": sums["temperature_K"].to_numpy(float),
        }
    )
    for col in _SCAN_VALUES:
        n = sums[f"{col}_n_sum"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = sums[f"{col}_sum"].to_numpy(dtype=float)
            means[col] = np.where(n > 0, total / n, np.nan)
    return means


def _grouped(table: pa.Table, aggregations: list[tuple[str, str]]) -> pa.Table:
    """``table`` grouped by the scan keys, the aggregated columns named
    ``<column>_<function>``, the keys first."""
    out = table.group_by(_SCAN_KEYS, use_threads=False).aggregate(aggregations)
    return out.select(_SCAN_KEYS + [f"{c}_{f}" for c, f in aggregations])


def _scan_sums(batch, left_out: pa.Array | None) -> pa.Table:
    """Sums and counts of the finite E per cell type, ion and temperature of one
    batch of the scan (the keys of :func:`scan_means`; columns ``E_act_mV``,
    ``E_act_mV_n``, ...)."""
    table = (
        pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    )
    if left_out is not None and "sample_id" in table.column_names:
        keep = pc.invert(pc.is_in(table["sample_id"].cast(pa.string()), left_out))
        table = table.filter(pc.fill_null(keep, True))
    # the figure picks a cell type's rows by its text, and an ion's as is; the
    # temperature rounded as numpy rounds (the key the other tables use). A key
    # read as codes is grouped by its codes, and its groups named by their texts.
    texts = {}
    columns = {}
    for key in ("cell_type", "ion"):
        column = table[key].combine_chunks()
        if pa.types.is_dictionary(column.type):
            columns[key], texts[key] = column.indices, column.dictionary
        else:
            columns[key] = column.cast(pa.string())
    columns["temperature_K"] = pa.array(
        np.round(table["temperature_K"].to_numpy().astype(float), 6)
    )
    for col in _SCAN_VALUES:
        values = table[col].to_numpy().astype(float)
        finite = np.isfinite(values)
        columns[col] = pa.array(np.where(finite, values, 0.0))
        columns[f"{col}_n"] = pa.array(finite.astype(np.int64))
    sums = _grouped(
        pa.table(columns),
        [(c, "sum") for c in columns if c not in _SCAN_KEYS],
    )
    sums = sums.rename_columns(_SCAN_KEYS + list(columns)[len(_SCAN_KEYS) :])
    for key, dictionary in texts.items():
        named = dictionary.cast(pa.string()).take(sums[key])
        sums = sums.set_column(sums.schema.get_field_index(key), key, named)
    return sums


def _text_columns(schema: pa.Schema, columns: list[str]) -> list[str]:
    """The text columns among ``columns``: read as categoricals (a code per row)."""
    return [
        c
        for c in columns
        if pa.types.is_string(schema.field(c).type)
        or pa.types.is_large_string(schema.field(c).type)
    ]
