"""A big table computed in chunks of whole samples gives the files of one piece.

potentials_job and samples_job read a table of more than CHUNK_ROWS rows in chunks
of whole samples and stream their results; here CHUNK_ROWS is made small so that a
table of 2,400 rows goes in 5 chunks, and every results file must equal the one
computation of the whole table (values, statuses, reasons; row order). Given more
than one process, the jobs compute the chunks in parallel processes: the same files.
"""

from __future__ import annotations

import re
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smk_helpers import copy_workflow, snakemake

from iongrad import files
from iongrad.gate import checks
from iongrad.pipeline import chunks, jobs

IONS = [("K+", 140.0, 5.0), ("Na+", 10.0, 145.0), ("Cl-", 8.0, 120.0),
        ("Ca2+", 1e-4, 2.0)]  # fmt: skip
TEMPERATURES_C = [20.0, 37.0]


def _table(samples: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = len(IONS)
    pick = np.tile(np.arange(k), samples)
    return pd.DataFrame(
        {
            "dataset": "d",
            "sample_id": np.repeat([f"s{i:05d}" for i in range(samples)], k),
            "cell_type": np.repeat(rng.choice(["neuron", "axon"], samples), k),
            "temperature_K": np.repeat(rng.choice([293.15, 310.15], samples), k),
            "ion": np.array([i[0] for i in IONS])[pick],
            "c_in_mM": np.array([i[1] for i in IONS])[pick]
            * rng.uniform(0.8, 1.2, samples * k),
            "c_out_mM": np.array([i[2] for i in IONS])[pick]
            * rng.uniform(0.9, 1.1, samples * k),
            "vm_mV": np.repeat(rng.uniform(-90, -60, samples), k),
        }
    )


def _run(raw, out, monkeypatch, chunk_rows, processes=1):
    monkeypatch.setattr(chunks, "CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(chunks, "MIN_PARALLEL_ROWS", 0)
    out.mkdir()
    jobs.validate_job(
        raw=str(raw), dataset="d", mode="strict",
        validation_json=str(out / "validation.json"),
        rejected_csv=str(out / "rejected.csv"),
        measurements=str(out / "measurements.parquet"),
    )  # fmt: skip
    _potentials(out, processes)
    jobs.samples_job(
        potentials=str(out / "potentials.parquet"),
        samples=str(out / "samples.parquet"),
        donnan_path=str(out / "donnan.parquet"),
        donnan={"enabled": True, "activity_model": "ideal"},
        ghk={"enabled": True, "default_permeability": {"K+": 1.0, "Na+": 0.05,
                                                       "Cl-": 0.45}},
        processes=processes,
    )  # fmt: skip


def _potentials(out, processes, model="truesdell-jones"):
    jobs.potentials_job(
        measurements=str(out / "measurements.parquet"),
        validation_json=str(out / "validation.json"),
        potentials=str(out / "potentials.parquet"),
        temperature_scan_path=str(out / "temperature_scan.parquet"),
        activity={"model": model, "convention": "macinnes"},
        driving_force={}, temperatures_C=TEMPERATURES_C, processes=processes,
    )  # fmt: skip


def _values(path) -> pd.DataFrame:
    df = pd.read_parquet(path)
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object)
    return df


@pytest.mark.parametrize(("shuffled", "late_cell", "processes"),
                         [(False, False, 1), (True, False, 1), (False, True, 1),
                          (True, True, 2)])  # fmt: skip
def test_chunked_run_writes_the_files_of_one_piece(
    tmp_path, monkeypatch, shuffled, late_cell, processes
):
    table = _table(600)
    if late_cell:  # a cell type first met in the last chunk: a new category there
        table.loc[2000:, "cell_type"] = "glia"
    if shuffled:  # samples in blocks, not in name order: samples.parquet is sorted
        order = np.argsort(np.repeat(np.arange(600)[::-1], 4), kind="stable")
        table = table.iloc[order].reset_index(drop=True)
    raw = tmp_path / "d.parquet"
    table.to_parquet(raw)
    _run(raw, tmp_path / "whole", monkeypatch, 10**9)
    _run(raw, tmp_path / "chunked", monkeypatch, 500 * processes, processes)
    assert chunks.sample_cuts(tmp_path / "chunked" / "measurements.parquet", 500) == [
        0,
        500,
        1000,
        1500,
        2000,
        2400,
    ]
    for name in ("potentials", "temperature_scan", "samples", "donnan"):
        whole = _values(tmp_path / "whole" / f"{name}.parquet")
        chunked = _values(tmp_path / "chunked" / f"{name}.parquet")
        pd.testing.assert_frame_equal(chunked, whole, check_exact=True, obj=name)
    leftovers = [p.name for p in (tmp_path / "chunked").iterdir()]
    assert not [n for n in leftovers if n.startswith(".")], leftovers


def test_chunks_computed_in_parallel_processes_write_the_same_bytes(
    tmp_path, monkeypatch
):
    # the fast path behind the plain one: two processes, each chunk half the size
    # (chunk_rows), against one process with chunks of that size, file for file
    table = _table(600)
    table.loc[2000:, "cell_type"] = "glia"
    raw = tmp_path / "d.parquet"
    table.to_parquet(raw)
    _run(raw, tmp_path / "plain", monkeypatch, 500)
    _run(raw, tmp_path / "parallel", monkeypatch, 1000, processes=2)
    assert chunks.chunk_rows(2) == 500
    for name in ("potentials", "temperature_scan", "samples", "donnan"):
        plain = (tmp_path / "plain" / f"{name}.parquet").read_bytes()
        parallel = (tmp_path / "parallel" / f"{name}.parquet").read_bytes()
        assert parallel == plain, name
    leftovers = [p.name for p in (tmp_path / "parallel").iterdir()]
    assert not [n for n in leftovers if n.startswith(".")], leftovers


def _first_row(chunk):
    if chunk["sample_id"].iloc[0] == "s00002":
        raise ValueError("third chunk")
    return len(chunk), files.arrow_table(chunk.head(1)), [files.arrow_table(chunk)]


def test_an_error_in_a_parallel_chunk_is_raised_by_the_job(tmp_path):
    path = tmp_path / "t.parquet"
    table = _table(6)
    table.to_parquet(path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    cuts = [0, 4, 8, 24]
    plain = list(chunks.map_chunks(_first_row, path, [0, 4, 8]))
    parallel = chunks.map_chunks(_first_row, path, cuts, processes=2, scratch=scratch)
    n, head, [whole] = next(parallel)  # the tables parked, taken here
    assert n == 4
    assert sorted(p.name for p in scratch.glob("chunk000000.*")) == [
        "chunk000000.1",
        "chunk000000.2.0",
    ]
    assert files.unparked(head).equals(plain[0][1])
    assert files.unparked(whole).equals(plain[0][2][0])
    n, head, [whole] = next(parallel)
    assert (
        files.unparked(whole).to_pandas().equals(table.iloc[4:8].reset_index(drop=True))
    )
    with pytest.raises(ValueError, match="third chunk"):
        next(parallel)
    with pytest.raises(ValueError, match="scratch"):
        list(chunks.map_chunks(_first_row, path, cuts, processes=2))


@settings(max_examples=60, deadline=None)
@given(
    group=st.integers(1, 40),
    span=st.tuples(st.integers(0, 99), st.integers(1, 100)),
    columns=st.sampled_from([None, ["ion", "nothing"], ["c_in_mM", "sample_id"]]),
)
def test_read_rows_reads_any_span_of_any_row_groups(tmp_path_factory, group, span,
                                                     columns):  # fmt: skip
    path = tmp_path_factory.mktemp("rows") / "t.parquet"
    table = _table(25)  # 100 rows
    table.to_parquet(path, row_group_size=group)
    start, stop = min(span), max(span[0] + 1, span[1])
    got = chunks.read_rows(path, start, stop, columns)
    want = pd.read_parquet(path, columns=[c for c in columns or table.columns
                                          if c in table.columns])  # fmt: skip
    pd.testing.assert_frame_equal(got, want.iloc[start:stop].reset_index(drop=True))


def _cuts_by_pandas(keys: pd.DataFrame, rows: int) -> list[int]:
    """The cuts as pandas' groupby finds the samples (the first implementation)."""
    n = len(keys)
    if n <= rows:
        return [0, n]
    code = keys.groupby(["dataset", "sample_id"], sort=False, dropna=False).ngroup()
    code = code.to_numpy()
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    if len(starts) != int(code.max()) + 1:
        return [0, n]
    at = np.searchsorted(starts, np.arange(rows, n, rows))
    return sorted({0, *starts[at[at < len(starts)]].tolist(), n})


@settings(max_examples=80, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.sampled_from(["d", "e", None]),
                  st.sampled_from(["a", "b", "c", "", None, "a\x00"]),
                  st.integers(1, 4)),
        min_size=1, max_size=25,
    ),
    rows=st.integers(1, 12),
    categorical=st.booleans(),
    by_runs=st.booleans(),
)  # fmt: skip
def test_sample_cuts_find_the_samples_pandas_finds(tmp_path_factory, runs, rows,
                                                    categorical, by_runs):  # fmt: skip
    keys = pd.DataFrame(
        [(d, s) for d, s, k in runs for _ in range(k)], columns=["dataset", "sample_id"]
    )
    if categorical:
        keys = keys.astype("category")
    path = tmp_path_factory.mktemp("cuts") / "t.parquet"
    keys.to_parquet(path, row_group_size=3)
    # the samples numbered as a big table's are (by runs), or as a small one's
    small, runs_from = (0, 0) if by_runs else (checks._SMALL, checks._RUNS_FROM)
    with (
        mock.patch.object(checks, "_SMALL", small),
        mock.patch.object(checks, "_RUNS_FROM", runs_from),
    ):
        assert chunks.sample_cuts(path, rows) == _cuts_by_pandas(keys, rows)


def test_processes_for_gives_big_files_every_core(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("x\n" * 100)
    monkeypatch.setattr(chunks, "BIG_TABLE_BYTES", 150)
    assert chunks.processes_for(path, 2) == 2
    assert chunks.processes_for(path, 64) == chunks.MAX_PROCESSES
    assert chunks.processes_for(path, None) == 1
    monkeypatch.setattr(chunks, "BIG_TABLE_BYTES", 250)
    assert chunks.processes_for(path, 2) == 1
    assert chunks.processes_for(tmp_path / "missing.csv", 2) == 1


def test_samples_spread_through_the_file_are_one_chunk(tmp_path):
    table = _table(50)
    interleaved = table.iloc[np.argsort(np.tile(np.arange(4), 50), kind="stable")]
    path = tmp_path / "t.parquet"
    interleaved.to_parquet(path)
    assert chunks.sample_cuts(path, 30) == [0, 200]
    table.to_parquet(path)
    cuts = chunks.sample_cuts(path, 30)
    assert cuts == [0, 32, 60, 92, 120, 152, 180, 200]  # first sample at k * 30
    parts = list(chunks.read_chunks(path, cuts, columns=["sample_id", "nothing"]))
    assert [len(p) for p in parts] == np.diff(cuts).tolist()
    joined = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(joined, pd.read_parquet(path, columns=["sample_id"]))


def test_a_chunked_table_without_configured_temperatures_keeps_its_scan(
    tmp_path, monkeypatch
):
    # temperatures_C: [] leaves one block (the measured temperature); chunked, that
    # block is a temporary file and must still become temperature_scan.parquet
    raw = tmp_path / "d.parquet"
    _table(600).to_parquet(raw)
    monkeypatch.setattr(f"{__name__}.TEMPERATURES_C", [])
    _run(raw, tmp_path / "whole", monkeypatch, 10**9)
    _run(raw, tmp_path / "chunked", monkeypatch, 500)
    whole = _values(tmp_path / "whole" / "temperature_scan.parquet")
    chunked = _values(tmp_path / "chunked" / "temperature_scan.parquet")
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    assert set(whole["temperature_source"]) == {"measured"}


def _planned_threads(output: str) -> dict[tuple[str, str], int]:
    """(rule, dataset) -> threads of each job a dry run lists (1 when not said)."""
    planned, key = {}, None
    for line in output.splitlines():
        line = line.strip()
        if m := re.match(r"^(?:local)?rule (\w+):$", line):
            key = [m.group(1), None]
        elif key and (m := re.match(r"^wildcards: dataset=([\w-]+)", line)):
            key[1] = m.group(1)
            planned[tuple(key)] = 1
        elif key and key[1] and (m := re.match(r"^threads: (\d+)$", line)):
            planned[tuple(key)] = int(m.group(1))
    return planned


def test_the_workflow_gives_a_big_tables_compute_jobs_both_cores(tmp_path):
    workdir = copy_workflow(tmp_path / "repo")
    raw = workdir / "data" / "raw"
    rows = "".join(
        f"s{i},neuron,37,K+,140,5,-70\n" for i in range(chunks.BIG_TABLE_BYTES // 25)
    )
    header = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,vm_mV\n"
    (raw / "huge.csv").write_text(header + rows)
    assert (raw / "huge.csv").stat().st_size > chunks.BIG_TABLE_BYTES
    plan = snakemake(workdir, "--dry-run")
    assert plan.returncode == 0, plan.output
    threads = _planned_threads(plan.output)
    small = sorted(d for r, d in threads if r == "compute_potentials" and d != "huge")
    assert small, plan.output
    for rule in ("compute_potentials", "compute_samples"):
        assert threads[(rule, "huge")] == 2, plan.output
        assert {threads[(rule, d)] for d in small} == {1}
    assert threads[("validate_dataset", "huge")] == 1
    capped = snakemake(workdir, "--dry-run", "--max-threads", "1")  # the README's cap
    assert capped.returncode == 0, capped.output
    assert _planned_threads(capped.output)[("compute_potentials", "huge")] == 1


def test_a_failed_parallel_job_leaves_no_file_and_no_scratch(tmp_path, monkeypatch):
    raw = tmp_path / "d.parquet"
    _table(600).to_parquet(raw)
    _run(raw, tmp_path / "ok", monkeypatch, 1000, processes=2)
    out = tmp_path / "ok"
    before = sorted(p.name for p in out.iterdir())
    for name in ("potentials.parquet", "temperature_scan.parquet"):
        (out / name).unlink()
    with pytest.raises(ValueError, match="nonsense") as raised:
        _potentials(out, 2, model="nonsense")
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(set(before) - {"potentials.parquet",
                                         "temperature_scan.parquet"})  # fmt: skip
    # raised in a chunk's process (the remote traceback is its cause)
    assert "_RemoteTraceback" in repr(raised.value.__cause__)
