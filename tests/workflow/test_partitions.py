"""A dataset split by sample into parts (config ``partitions: N``) gives the results
of one job: same rows, same values, same order, file by file.

- ``part_rows``: every row in exactly one part, whole samples, no empty part
  (property test over random sample sizes and row orders);
- the gather functions on the table functions' outputs equal the single
  computation, for a long table whose samples are interleaved (rows sorted by ion)
  and for a wide table (one file row gives several ion rows);
- the workflow: a partitioned dataset is planned as split/compute-part/gather jobs
  and its results files equal those of the same table computed in one job.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from smk_helpers import copy_workflow, planned_jobs, snakemake

from iongrad.gate.ingest import read_table
from iongrad.pipeline.config import ConfigError, batches
from iongrad.pipeline.partition import (
    PartitionError,
    gather_donnan,
    gather_potentials,
    gather_samples,
    gather_temperature_scan,
    part_rows,
    split_part,
)
from iongrad.tables.potentials import compute_potentials, temperature_scan
from iongrad.tables.samples import compute_samples

SETTINGS = {
    "activity_model": "truesdell-jones",
    "activity_convention": "macinnes",
    "activity_params": {},
    "atol_mV": 5.0,
}
DONNAN = {"enabled": True, "activity_model": "ideal"}
GHK = {"enabled": True, "default_permeability": {"K+": 1.0, "Na+": 0.05, "Cl-": 0.45}}
IONS = {  # ion: (c_in, c_out) in mM, varied per sample below
    "K+": (140.0, 4.0),
    "Na+": (12.0, 145.0),
    "Cl-": (8.0, 120.0),
    "Ca2+": (0.0001, 2.0),
}


def long_csv(path, n_samples: int, seed: int = 0):
    """A long table whose rows are sorted by ion: every sample's rows interleave."""
    rng = np.random.default_rng(seed)
    vms = [f"{-70 + 10 * v:.2f}" for v in rng.standard_normal(n_samples)]
    rows = []
    for ion, (c_in, c_out) in IONS.items():
        for s in range(n_samples):
            scale = 1 + 0.1 * rng.standard_normal()
            vm = "" if s % 5 == 0 else vms[s]
            temp = 20 if s % 3 else 37
            rows.append(
                f"s{s:03d},neuron_{s % 2},{temp},{ion},{c_in * scale:.5g},"
                f"{c_out:.5g},{vm}"
            )
    header = "sample_id,cell_type,temperature_C,ion,c_in_mM,c_out_mM,vm_mV\n"
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def wide_csv(path, n_samples: int):
    """A wide table: one row per sample, two columns per ion."""
    lines = ["sample_id,cell_type,temperature_C,K_in_mM,K_out_mM,Na_in_mM,Na_out_mM,"
             "Cl_in_mM,Cl_out_mM,vm_mV"]  # fmt: skip
    for s in range(n_samples):
        k = 120 + s % 40
        lines.append(
            f"w{s:03d},muscle,{20 + s % 3},{k},{2 + s % 4},10,110,4,78,-8{s % 9}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def single_and_parts(table: pd.DataFrame, n_parts: int):
    """(single results, gathered results) of the table functions."""
    single_pot = compute_potentials(table, **SETTINGS)
    single_scan = temperature_scan(table, [20, 25, 37], **SETTINGS)
    single_samples, single_donnan = compute_samples(single_pot, donnan=DONNAN, ghk=GHK)
    pots, scans, samples, donnans = [], [], [], []
    for k in range(n_parts):
        part = split_part(table, n_parts, k)
        pots.append(compute_potentials(part, **SETTINGS))
        scans.append(temperature_scan(part, [20, 25, 37], **SETTINGS))
        s, d = compute_samples(pots[-1], donnan=DONNAN, ghk=GHK)
        samples.append(s)
        donnans.append(d)
    single = {
        "potentials": single_pot,
        "temperature_scan": single_scan,
        "samples": single_samples,
        "donnan": single_donnan,
    }
    gathered = {
        "potentials": gather_potentials(table, pots),
        "temperature_scan": gather_temperature_scan(table, scans),
        "samples": gather_samples(samples),
        "donnan": gather_donnan(table, donnans),
    }
    return single, gathered


@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=25),
    shuffle=st.booleans(),
    data=st.data(),
)
def test_parts_hold_whole_samples_and_every_row_once(sizes, shuffle, data):
    sample = np.repeat(np.arange(len(sizes)), sizes).astype(str)
    if shuffle:
        sample = np.random.default_rng(len(sample)).permutation(sample)
    table = pd.DataFrame({"dataset": "d", "sample_id": sample})
    n_parts = data.draw(st.integers(1, len(sizes)))
    parts = part_rows(table, n_parts)
    assert len(parts) == n_parts
    assert all(len(p) > 0 for p in parts)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(table)))
    owners = [set(sample[p]) for p in parts]
    assert sum(len(o) for o in owners) == len(sizes)  # no sample in two parts
    for p in parts:  # rows keep table order within a part
        assert np.all(np.diff(p) > 0)


def test_more_parts_than_samples_is_a_clear_error():
    table = pd.DataFrame({"dataset": "d", "sample_id": ["a", "a", "b"]})
    with pytest.raises(PartitionError, match=r"2 sample.*3 partitions.*at most 2"):
        part_rows(table, 3)


@pytest.mark.parametrize("n_parts", [1, 2, 3, 7])
def test_gathered_long_table_equals_one_computation(tmp_path, n_parts):
    table = read_table(long_csv(tmp_path / "long.csv", 23), dataset="long")
    single, gathered = single_and_parts(table, n_parts)
    for key in single:
        pd.testing.assert_frame_equal(gathered[key], single[key], check_exact=True)


def test_gathered_wide_table_equals_one_computation(tmp_path):
    table = read_table(wide_csv(tmp_path / "wide.csv", 17), dataset="wide")
    single, gathered = single_and_parts(table, 4)
    for key in single:
        pd.testing.assert_frame_equal(gathered[key], single[key], check_exact=True)


def test_parts_from_another_table_are_refused(tmp_path):
    table = read_table(long_csv(tmp_path / "long.csv", 10), dataset="long")
    other = read_table(long_csv(tmp_path / "other.csv", 12, seed=1), dataset="long")
    pots = [compute_potentials(split_part(other, 2, k), **SETTINGS) for k in range(2)]
    with pytest.raises(PartitionError, match="not from this table"):
        gather_potentials(table, pots)


def test_batches_of_datasets_given_as_paths():
    cfg = {"batch_size": 2, "datasets": {"a": "a.csv", "b": "b.csv", "c": "c.csv"}}
    assert batches(cfg) == {"batch001": ["a", "b"], "batch002": ["c"]}


def test_partitions_need_batch_size_one():
    cfg = {"batch_size": 3, "datasets": {"a": {"partitions": 2}, "b": {}}}
    with pytest.raises(ConfigError, match=r"\['a'\] set `partitions`.*batch_size 1"):
        batches(cfg)


RESULTS = ("potentials", "temperature_scan", "samples", "donnan")


@pytest.fixture(scope="module")
def partitioned_run(tmp_path_factory):
    """One run: the same generated table as dataset `whole` and as `split` (3 parts)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("partitions") / "repo")
    table = long_csv(workdir / "data" / "generated.csv", 40)
    path = workdir / "config" / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["datasets"] = {
        "whole": {"path": str(table)},
        "split": {"path": str(table), "partitions": 3},
    }
    cfg["reports"]["enabled"] = True
    path.write_text(yaml.safe_dump(cfg))
    plan = snakemake(workdir, "--dry-run")
    assert plan.returncode == 0, plan.output
    run = snakemake(workdir)
    assert run.returncode == 0, run.output
    return workdir, plan


def test_a_partitioned_dataset_is_planned_as_parts(partitioned_run):
    _, plan = partitioned_run
    jobs = planned_jobs(plan.output)
    assert ("compute_potentials", "whole") in jobs
    assert ("compute_potentials", "split") not in jobs
    assert ("gather_partitions", "split") in jobs
    rules = [
        line.strip().removeprefix("local").removeprefix("rule ").rstrip(":")
        for line in plan.output.splitlines()
        if re.match(r"^(local)?rule \w+:$", line.strip())
    ]
    for rule in ("split_partition", "compute_potentials_part", "compute_samples_part"):
        assert rules.count(rule) == 3, (rule, sorted(jobs))


def test_partitioned_results_equal_one_job(partitioned_run):
    workdir, _ = partitioned_run
    for key in RESULTS:
        whole = pd.read_parquet(workdir / "results" / "whole" / f"{key}.parquet")
        split = pd.read_parquet(workdir / "results" / "split" / f"{key}.parquet")
        assert len(whole) > 0
        whole["dataset"] = whole["dataset"].replace("whole", "split")
        pd.testing.assert_frame_equal(split, whole, check_exact=True)
    assert (workdir / "reports" / "split.html").is_file()
    # The parts are intermediate: removed once gathered.
    assert not list((workdir / "results" / "split").glob("parts/*/*.parquet"))


def test_the_slurm_profile_sizes_only_rules_the_workflow_has(tmp_path):
    workdir = copy_workflow(tmp_path / "repo")
    listed = snakemake(workdir, "--list-rules")
    assert listed.returncode == 0, listed.output
    rules = set(listed.output.split())
    profile = yaml.safe_load(
        (workdir / "workflow" / "profiles" / "slurm" / "config.yaml").read_text()
    )
    sized = set(profile["set-resources"])
    assert sized <= rules, sorted(sized - rules)
    assert {"compute_potentials_part", "gather_partitions"} <= sized
