"""Benchmark: validate a generated 1 M-row parquet table against the full contract.

Baseline measured in the same run: the bare ``pyarrow.parquet.read_table`` of the same
file (and, for reference, ``read_table(...).to_pandas()``), interleaved with the
iongrad steps round by round, so that all of them see the same machine load; each
figure is the best round. Target from issue 3: validation adds no more than 5x the
bare read time. Both sides may use threads: pyarrow reads columns in parallel, and
iongrad ingests and checks a big table in up to :func:`iongrad.gate.parallel.threads`
threads; CPU time adds the threads up.

Second figure: the small table the workflow validates by the thousand (20 samples x 6
ions = 120 rows, long CSV, as ``make_dataset`` in ``bench_workflow.py`` writes it):
the per-call cost of ``validate_file`` next to a bare ``pandas.read_csv`` of the same
file, measured in the same run (best of ``--repeat`` rounds of ``--small-calls``
calls, the two interleaved).

Run:  .venv/bin/python benchmarks/bench_validate.py [--rows 1000000] [--repeat 3]
      [--small-calls 200]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from bench_workflow import make_dataset
from timing import best

from iongrad.files import write_parquet
from iongrad.gate import parallel
from iongrad.gate.ingest import ingest
from iongrad.gate.validation import validate_file

# Bath near electroneutral (5 + 145 + 2*2 - 150 = +4 of 304 mM of charge), so the
# benchmark measures the clean path.
IONS = [
    ("K+", 140.0, 5.0),
    ("Na+", 15.0, 145.0),
    ("Cl-", 10.0, 150.0),
    ("Ca2+", 1e-4, 2.0),
]


def make_table(rows: int, seed: int = 1) -> pd.DataFrame:
    """A valid canonical-layout table: ``rows // 4`` samples x 4 ions."""
    rng = np.random.default_rng(seed)
    samples = rows // len(IONS)
    n = samples * len(IONS)
    sample = np.repeat(np.arange(samples), len(IONS))
    ion_idx = np.tile(np.arange(len(IONS)), samples)
    c_in = np.array([i[1] for i in IONS])[ion_idx] * rng.uniform(0.9, 1.1, n)
    c_out = np.array([i[2] for i in IONS])[ion_idx] * rng.uniform(0.95, 1.05, n)
    temp = np.repeat(rng.choice([293.15, 298.15, 310.15], samples), len(IONS))
    return pd.DataFrame(
        {
            "dataset": "bench",
            "sample_id": pd.Series(sample).map("s{:07d}".format),
            "cell_type": np.repeat(
                np.array(["neuron", "myocyte", "axon"])[sample % 3], 1
            ),
            "temperature_K": temp,
            "ion": np.array([i[0] for i in IONS])[ion_idx],
            "c_in_mM": c_in,
            "c_out_mM": c_out,
            "vm_mV": np.repeat(rng.uniform(-90, -60, samples), len(IONS)),
        }
    )


def small_table(calls: int, repeat: int) -> None:
    """Per-call cost of validating one 120-row long CSV vs a bare read_csv of it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small.csv"
        make_dataset(path, np.random.default_rng(20240601))
        result = validate_file(path, mode="strict")
        if not result.ok:
            raise SystemExit(result.summary())
        rows = result.report["rows_read"]
        read, valid = [], []
        for _ in range(repeat):  # interleaved: both see the same machine load
            read.append(best(lambda: [pd.read_csv(path) for _ in range(calls)], 1))
            valid.append(best(lambda: [validate_file(path) for _ in range(calls)], 1))
    t_read = tuple(min(t[k] for t in read) / calls for k in (0, 1))
    t_valid = tuple(min(t[k] for t in valid) / calls for k in (0, 1))
    print(f"\nsmall table: {rows} rows (long CSV), best of {repeat} x {calls} calls")
    print(f"{'step':40s} {'wall [ms]':>9s} {'cpu [ms]':>9s}")
    for label, (wall, cpu) in (
        ("pandas.read_csv (baseline)", t_read),
        ("iongrad validate_file (full contract)", t_valid),
    ):
        print(f"{label:40s} {wall * 1e3:9.2f} {cpu * 1e3:9.2f}")
    print(
        f"validate_file/read_csv = {t_valid[0] / t_read[0]:.1f}x (wall), "
        f"{t_valid[1] / t_read[1]:.1f}x (cpu); "
        f"{1 / t_valid[0]:,.0f} files/s per core"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--small-calls", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.parquet"
        df = make_table(args.rows)
        write_parquet(
            path,
            df,
            {"temperature_K": "K", "c_in_mM": "mM", "c_out_mM": "mM", "vm_mV": "mV"},
        )
        n = len(df)
        size_mb = path.stat().st_size / 1e6
        result = validate_file(path, mode="strict")
        if not result.ok or result.report["rows_accepted"] != n:
            raise SystemExit(result.summary())
        steps = {
            "read": lambda: pq.read_table(path),
            "pandas": lambda: pq.read_table(path).to_pandas(),
            "ingest": lambda: ingest(path),
            "valid": lambda: validate_file(path, mode="strict"),
        }
        rounds = {name: [] for name in steps}
        for _ in range(args.repeat):  # interleaved: every step sees the same load
            for name, step in steps.items():
                rounds[name].append(best(step, 1))
        t_read, t_pandas, t_ingest, t_valid = (
            tuple(min(r[k] for r in rounds[name]) for k in (0, 1)) for name in steps
        )
    print(
        f"rows: {n:,}  file: {size_mb:.1f} MB  (best of {args.repeat} interleaved "
        f"rounds; iongrad may use {parallel.threads(n)} threads, pyarrow "
        f"{pa.cpu_count()})"
    )
    print(f"{'step':40s} {'wall [s]':>9s} {'cpu [s]':>9s}")
    rows = [
        ("pyarrow.parquet.read_table (baseline)", t_read),
        ("  + to_pandas", t_pandas),
        ("iongrad ingest (read + parse + melt)", t_ingest),
        ("iongrad validate_file (full contract)", t_valid),
    ]
    for label, (wall, cpu) in rows:
        print(f"{label:40s} {wall:9.3f} {cpu:9.3f}")
    print(f"validate_file throughput: {n / t_valid[0]:,.0f} rows/s (wall)")
    for kind, k in (("wall", 0), ("cpu", 1)):
        added = t_valid[k] - t_read[k]
        print(
            f"{kind}: validation adds {added:.3f} s = {added / t_read[k]:.1f}x the "
            f"bare read (target <= 5x); validate_file/read_table = "
            f"{t_valid[k] / t_read[k]:.1f}x"
        )
    small_table(args.small_calls, args.repeat)


if __name__ == "__main__":
    main()
