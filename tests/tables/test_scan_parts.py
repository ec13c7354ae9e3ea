"""The temperature scan one temperature at a time, streamed into one parquet file.

temperature_scan_parts gives the scan's rows per temperature (the measured one from
the potentials already computed); written part by part with
iongrad.files.ParquetParts (as potentials_job writes it), the file holds what
temperature_scan returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iongrad import files
from iongrad.tables.potentials import (
    SCAN_COLUMNS,
    compute_potentials,
    temperature_scan,
    temperature_scan_parts,
)

TEMPERATURES_C = [20.0, 37.0]


@pytest.fixture
def table():
    rng = np.random.default_rng(3)
    ions = [("K+", 1, 140.0, 5.0), ("Na+", 1, 10.0, 145.0), ("Cl-", -1, 8.0, 120.0)]
    samples = 40
    pick = np.tile(np.arange(3), samples)
    return pd.DataFrame(
        {
            "dataset": "d",
            "sample_id": np.repeat([f"s{i}" for i in range(samples)], 3),
            "cell_type": "neuron",
            "temperature_K": np.repeat(rng.choice([293.15, 310.15], samples), 3),
            "ion": np.array([i[0] for i in ions])[pick],
            "valence": np.array([i[1] for i in ions])[pick],
            "c_in_mM": np.array([i[2] for i in ions])[pick] * rng.uniform(0.9, 1.1),
            "c_out_mM": np.array([i[3] for i in ions])[pick],
            "vm_mV": -70.0,
        }
    )


def test_parts_are_the_scan_one_temperature_at_a_time(table):
    scan = temperature_scan(table, TEMPERATURES_C)
    parts = list(temperature_scan_parts(table, TEMPERATURES_C))
    assert [len(p) for p in parts] == [len(table)] * 3
    assert list(scan.columns) == list(SCAN_COLUMNS)
    for k, part in enumerate(parts):
        rows = scan.iloc[k * len(table) : (k + 1) * len(table)]
        pd.testing.assert_frame_equal(
            part.astype(object), rows.reset_index(drop=True).astype(object)
        )
    assert set(scan["temperature_source"]) == {"measured", "config"}


def test_the_measured_part_may_come_from_the_potentials(table):
    pot = compute_potentials(table)
    given = next(temperature_scan_parts(table, TEMPERATURES_C, potentials=pot))
    computed = next(temperature_scan_parts(table, TEMPERATURES_C))
    pd.testing.assert_frame_equal(given, computed)


def test_parts_streamed_to_parquet_read_back_as_the_scan(table, tmp_path):
    path = tmp_path / "scan.parquet"
    parts = temperature_scan_parts(table, TEMPERATURES_C)
    with files.ParquetParts(path, units={"E_act_mV": "mV"}) as writer:
        for part in parts:
            writer.write(part)
    rows = writer.rows
    back = pd.read_parquet(path)
    scan = temperature_scan(table, TEMPERATURES_C)
    assert rows == len(scan) == len(back)
    pd.testing.assert_frame_equal(back.astype(object), scan.astype(object))
    import pyarrow.parquet as pq

    assert pq.read_schema(path).field("E_act_mV").metadata == {b"unit": b"mV"}


def test_nothing_to_write_leaves_no_file(tmp_path):
    with (
        pytest.raises(ValueError, match="no table"),
        files.ParquetParts(tmp_path / "x.parquet"),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_parts_parked_in_a_spill_file_read_back_as_written(table, tmp_path):
    """A chunked table's scan blocks wait in Arrow IPC files: each part comes back
    whole, with its units, as the one table it was written as, and its file goes."""
    import pyarrow as pa

    parts = list(temperature_scan_parts(table, TEMPERATURES_C))
    split = pa.concat_tables(  # a part of several chunks comes back as one
        [files.arrow_table(parts[1].iloc[:3]), files.arrow_table(parts[1].iloc[3:])]
    )
    tables = [files.arrow_table(p, {"E_act_mV": "mV"}) for p in parts]
    tables[1] = split
    parked = [files.parked(t, tmp_path / f"part{k}") for k, t in enumerate(tables)]
    assert files.parked(parked[0], tmp_path / "again") is parked[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"part{k}" for k in range(len(parts))
    ]
    back = [files.unparked(p) for p in parked]
    assert not list(tmp_path.iterdir())
    assert [t.num_rows for t in back] == [len(p) for p in parts]
    assert [t.column(0).num_chunks for t in back] == [1] * len(parts)
    for k, (t, part) in enumerate(zip(back, parts, strict=True)):
        unit = t.schema.field("E_act_mV").metadata
        assert unit == (None if k == 1 else {b"unit": b"mV"})
        pd.testing.assert_frame_equal(t.to_pandas(), part.reset_index(drop=True))
    assert files.unparked(back[0]) is back[0]
