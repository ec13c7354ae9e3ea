"""Regenerate the parquet files of the test corpus (run from the repository root).

The CSV files of ``tests/data/{good,bad}`` are written by hand; parquet is binary, so
this script documents exactly how each parquet file was made.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).resolve().parents[1] / "data"


def _table(columns: dict, units: dict) -> pa.Table:
    fields = []
    arrays = []
    for name, values in columns.items():
        array = pa.array(values)
        meta = {b"unit": units[name].encode()} if name in units else None
        fields.append(pa.field(name, array.type, metadata=meta))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def main() -> None:
    base = {
        "dataset": ["frog", "frog", "frog"],
        "sample_id": ["f1", "f1", "f1"],
        "cell_type": ["frog_skeletal_muscle"] * 3,
        "temperature": [20.0, 20.0, 20.0],
        "ion": ["K+", "Na+", "Cl-"],
        "c_in": [124000.0, 10400.0, 1500.0],
        "c_out": [2.25, 109.0, 77.5],
    }
    good = _table(base, {"temperature": "degC", "c_in": "uM", "c_out": "mM"})
    pq.write_table(good, DATA / "good" / "units_metadata.parquet")

    bad_types = dict(base, c_in=["124", "10.4", "1.5"])
    bad = _table(bad_types, {"temperature": "degC", "c_in": "mM", "c_out": "mM"})
    pq.write_table(bad, DATA / "bad" / "wrong_types.parquet")

    conflict = dict(base)
    conflict["c_in_mM"] = conflict.pop("c_in")
    table = _table(conflict, {"temperature": "degC", "c_in_mM": "uM", "c_out": "mM"})
    pq.write_table(table, DATA / "bad" / "unit_conflict.parquet")

    whole = (DATA / "good" / "units_metadata.parquet").read_bytes()
    (DATA / "bad" / "truncated.parquet").write_bytes(whole[: len(whole) // 2])


if __name__ == "__main__":
    main()
