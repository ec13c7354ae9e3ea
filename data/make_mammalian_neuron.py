"""Write data/raw/mammalian_neuron.parquet (the parquet example with unit metadata).

The values are Johnston & Wu (1995) Table 2.1 "typical mammalian cell" (K+, Na+, Cl-)
plus textbook estimates for Ca2+, HCO3- and Mg2+ (see data/README.md for sources and
their verified/unverified status). Samples other than ``johnston_wu_1995`` are
illustrative variations, not published rows. Units live in the parquet field metadata
(``unit``), not in the column names, so the example exercises that path of ingestion.
Run from the repository root: ``.venv/bin/python data/make_mammalian_neuron.py``.
"""

import pyarrow as pa
import pyarrow.parquet as pq

PUBLISHED = {  # ion: (c_in, c_out) [mM]
    "K+": (140.0, 5.0),
    "Na+": (15.0, 145.0),
    "Cl-": (4.0, 110.0),
    "Ca2+": (0.0001, 2.5),
    "HCO3-": (12.0, 24.0),
    "Mg2+": (0.5, 0.8),
}
ILLUSTRATIVE = {
    "illustrative_a": {"K+": (135.0, 4.0), "Na+": (10.0, 145.0), "Cl-": (7.0, 110.0)},
    "illustrative_b": {"K+": (145.0, 5.5), "Na+": (12.0, 140.0), "Cl-": (5.0, 115.0)},
}

rows = []
for sample, changes in {"johnston_wu_1995": {}, **ILLUSTRATIVE}.items():
    for ion, (c_in, c_out) in {**PUBLISHED, **changes}.items():
        rows.append((sample, "mammalian_neuron", 310.15, ion, c_in, c_out))
cols = list(zip(*rows, strict=True))
fields = [
    pa.field("sample_id", pa.string()),
    pa.field("cell_type", pa.string()),
    pa.field("temperature", pa.float64(), metadata={"unit": "K"}),
    pa.field("ion", pa.string()),
    pa.field("c_in", pa.float64(), metadata={"unit": "mM"}),
    pa.field("c_out", pa.float64(), metadata={"unit": "mM"}),
]
table = pa.Table.from_arrays(
    [pa.array(c, type=f.type) for c, f in zip(cols, fields, strict=True)],
    schema=pa.schema(fields),
)
pq.write_table(table, "data/raw/mammalian_neuron.parquet")
