"""The temperature figure reads the scan in batches and keeps its means only.

The scan has a row per sample, ion and temperature (four times the potentials with
three configured temperatures): the report's memory must not grow with it.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from synthetic import IONS, write_results

from iongrad.report import render_dataset_report
from iongrad.report.results import SCAN_BATCH_ROWS, load_results, scan_means

GROUPS = [("neuron", 300.0, 12), ("axon", 310.0, 8)]
TEMPERATURES_K = (293.15, 300.0, 310.0, 310.15)


def _scan(samples: int, seed: int = 0) -> pd.DataFrame:
    """``samples`` x ions x TEMPERATURES_K rows, some E not finite."""
    rng = np.random.default_rng(seed)
    ions = list(IONS)
    n = samples * len(ions) * len(TEMPERATURES_K)
    sample = np.repeat(np.arange(samples), len(ions) * len(TEMPERATURES_K))
    e_act = rng.normal(-50.0, 30.0, n)
    e_act[rng.random(n) < 0.01] = np.inf
    e_conc = rng.normal(-45.0, 30.0, n)
    e_conc[rng.random(n) < 0.01] = np.nan
    return pd.DataFrame(
        {
            "sample_id": np.array([f"s{i}" for i in range(samples)])[sample],
            "cell_type": np.where(sample % 2, "neuron", "axon"),
            "ion": np.tile(np.repeat(ions, len(TEMPERATURES_K)), samples),
            "temperature_K": np.tile(TEMPERATURES_K, samples * len(ions)),
            "E_act_mV": e_act,
            "E_conc_mV": e_conc,
        }
    )


def _results(root, samples: int):
    res = write_results(root / "results", "d", GROUPS)
    table = pa.Table.from_pandas(_scan(samples), preserve_index=False)
    pq.write_table(table, res / "temperature_scan.parquet")
    return res


def test_scan_means_are_the_means_of_every_row_read_in_batches(tmp_path):
    samples = 4_000  # 80,000 rows: more than one batch
    assert samples * len(IONS) * len(TEMPERATURES_K) > SCAN_BATCH_ROWS
    res = _results(tmp_path, samples)
    excluded = {"s1", "s2", "s3999"}
    means = scan_means(res / "temperature_scan.parquet", excluded)
    full = _scan(samples)
    full = full[~full["sample_id"].isin(excluded)]
    for col in ("E_act_mV", "E_conc_mV"):
        full[col] = full[col].where(np.isfinite(full[col]))
    expected = full.groupby(["cell_type", "ion", "temperature_K"])[
        ["E_act_mV", "E_conc_mV"]
    ].mean()
    got = means.set_index(["cell_type", "ion", "temperature_K"]).sort_index()
    assert len(got) == 2 * len(IONS) * len(TEMPERATURES_K) == len(expected)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12, check_names=False)


def test_scan_means_of_coded_texts_with_a_dictionary_per_row_group(tmp_path):
    """Cell types and ions read as codes: a file whose row groups each have their
    own dictionary (a cell type first met in a later group, written as categories)
    gives the means of the texts."""
    full = _scan(3_000)
    full.loc[full.index >= 50_000, "cell_type"] = "glia"
    parts = [full.iloc[:50_000], full.iloc[50_000:]]
    path, coded = tmp_path / "scan.parquet", tmp_path / "coded.parquet"
    for file, kind in ((path, "str"), (coded, "category")):
        # texts (large_string, a dictionary page per row group), or categories:
        # dictionary-typed columns whose categories differ between row groups
        tables = [
            pa.Table.from_pandas(
                p.astype({"cell_type": kind, "ion": kind}), preserve_index=False
            )
            for p in parts
        ]
        with pq.ParquetWriter(file, tables[0].schema) as writer:
            for table in tables:
                writer.write_table(table)
    for col in ("E_act_mV", "E_conc_mV"):
        full[col] = full[col].where(np.isfinite(full[col]))
    expected = full.groupby(["cell_type", "ion", "temperature_K"])[
        ["E_act_mV", "E_conc_mV"]
    ].mean()
    for file in (path, coded):
        got = scan_means(file).set_index(["cell_type", "ion", "temperature_K"])
        assert got.index.get_level_values("cell_type").map(type).unique().tolist() == [
            str
        ]
        pd.testing.assert_frame_equal(
            got.sort_index(), expected, rtol=1e-12, check_names=False
        )


def test_load_results_does_not_read_the_scan(tmp_path):
    res = _results(tmp_path, 10)
    assert load_results(res).temperature_scan == res / "temperature_scan.parquet"


def _peak_MB(res, out) -> float:
    tracemalloc.start()
    try:
        render_dataset_report(dataset="d", results_dir=res, output=out)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_report_memory_does_not_grow_with_the_scan(tmp_path):
    small = _results(tmp_path / "small", 10)
    big = _results(tmp_path / "big", 40_000)  # 800,000 scan rows
    _peak_MB(small, tmp_path / "warm.html")  # imports and caches
    base = _peak_MB(small, tmp_path / "small.html")
    peak = _peak_MB(big, tmp_path / "big.html")
    # holding the scan's rows added 44 MB here (800,000 rows; 9 MB at 200,000);
    # a batch of SCAN_BATCH_ROWS rows and the means add 8 MB at any scan size
    assert peak - base < 20.0, (base, peak)
