"""The index keeps aggregates per dataset, not rows: its tables equal those computed
from every row at once, whatever the read batches, in memory that does not grow with
the rows."""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pagedata import parse_page

from iongrad.constants import kelvin_to_celsius
from iongrad.report import index, render_index, style
from iongrad.report.directions import NO_VM, stated_directions

#: ion -> (valence, a typical activity-corrected E [mV]); A- is impermeant (no E)
IONS = {"K+": (1, -90.0), "Na+": (1, 60.0), "Cl-": (-1, -65.0), "Ca2+": (2, 125.0)}
IONS["A-"] = (-1, np.nan)
#: cell types; the samples of the last have no measured Vm in any dataset
CELLS = ["squid axon", "frog muscle", "rat neuron", "dogfish"]
#: the last equals the first once rounded to 1e-6 K
TEMPERATURES_K = [291.15, 293.15, 310.15, 291.1500000004]
#: the columns whose non-finite values do not count
VALUES = ["E_act_mV", "vm_mV", "vm_corrected_mV", "driving_force_mV"]
#: the CSVs beside the page
CSVS = ("_datasets.csv", "_cell_types.csv", "_across_datasets.csv")


def _potentials(rng, n_samples: int, cells: list[str], *, no_vm: str = "", ions=IONS):
    """Rows of ``n_samples`` samples (a row per ion of ``ions``, some left out),
    shuffled so a sample's rows are not together, with NaN and infinite values
    sprinkled in; the samples of cell type ``no_vm`` have no measured Vm."""
    sample = np.repeat(np.arange(n_samples), len(ions))
    ion = np.tile(list(ions), n_samples)
    cell = np.asarray(cells, dtype=object)[rng.integers(len(cells), size=n_samples)]
    temp = np.asarray(TEMPERATURES_K)[rng.integers(len(TEMPERATURES_K), size=n_samples)]
    vm = np.where(cell == no_vm, np.nan, rng.normal(-70.0, 8.0, n_samples))
    vm[rng.random(n_samples) < 0.1] = np.nan
    n = len(sample)
    e_act = np.array([ions[i][1] for i in ion]) + rng.normal(0.0, 5.0, n)
    e_act[rng.random(n) < 0.05] = np.inf
    vm_corrected = vm[sample] + rng.normal(0.0, 3.0, n_samples)[sample]
    driving = vm_corrected - e_act
    driving[rng.random(n) < 0.03] = -np.inf
    frame = pd.DataFrame(
        {
            "dataset": "x",  # the index names a dataset by its entry
            "sample_id": [f"s{s}" for s in sample],
            "cell_type": cell[sample],
            "temperature_K": temp[sample],
            "ion": ion,
            "valence": [ions[i][0] for i in ion],
            "E_act_mV": e_act,
            "E_conc_mV": e_act + 1.0,
            "vm_mV": vm[sample],
            "vm_corrected_mV": vm_corrected,
            "driving_force_mV": driving,
        }
    )
    keep = rng.random(n) < 0.9  # not every sample has every ion
    return frame[keep].sample(frac=1.0, random_state=rng).reset_index(drop=True)


def _write(root, name, pot, rng, *, excluded_share=0.2, atol=2.0, row_group=97):
    """``root/name``: potentials.parquet (row groups of ``row_group`` rows; None:
    pyarrow's default), samples.parquet with ``excluded_share`` of the samples not
    ok, validation.json, provenance.json."""
    out = root / name
    out.mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pandas(pot, preserve_index=False),
        out / "potentials.parquet",
        row_group_size=row_group,
    )
    samples = pot.groupby("sample_id", sort=False, as_index=False).agg(
        cell_type=("cell_type", "first"), temperature_K=("temperature_K", "first")
    )
    samples["vm_ghk_mV"] = rng.normal(-65.0, 5.0, len(samples))
    not_ok = rng.random(len(samples)) < excluded_share
    samples["sample_status"] = np.where(not_ok, "failed", "ok")
    samples.to_parquet(out / "samples.parquet", index=False)
    validation = {"rows_accepted": len(pot), "rows_rejected": 0, "warnings": 0}
    (out / "validation.json").write_text(json.dumps(validation))
    provenance = {"config": {"driving_force": {"atol_mV": atol}}}
    (out / "provenance.json").write_text(json.dumps(provenance))
    return out


def _datasets(root, seed: int) -> list[dict]:
    """Index entries of six datasets: some with several cell types, one with rows
    that miss a key or a sample id, one without vm_corrected_mV, one without
    driving_force_mV, one whose samples all fail, one failed (not read)."""
    rng = np.random.default_rng(seed)
    pots = {
        "lab_a": _potentials(rng, 60, CELLS[:3]),
        "lab_b": _potentials(rng, 40, [CELLS[0], CELLS[3]], no_vm=CELLS[3]),
        "lab_c": _potentials(rng, 30, CELLS[1:3]).drop(columns="vm_corrected_mV"),
        "lab_d": _potentials(rng, 25, CELLS[:1]).drop(columns="driving_force_mV"),
        "lab_e": _potentials(rng, 10, CELLS[:3]),
        "lab_f": _potentials(rng, 10, CELLS[:3]),
    }
    for col, every in (("cell_type", 53), ("temperature_K", 61), ("ion", 67)):
        pots["lab_a"].loc[::every, col] = None
    pots["lab_a"].loc[::71, "sample_id"] = None
    entries = []
    for name, pot in pots.items():
        share = 1.0 if name == "lab_e" else 0.2
        atol = float(rng.uniform(0.0, 5.0))
        res = _write(root, name, pot, rng, excluded_share=share, atol=atol)
        status = "failed" if name == "lab_f" else "ok"
        entries.append({"dataset": name, "status": status, "results_dir": str(res)})
    return entries


# --- the reference: every row of every dataset in one frame, as the index was -----


def _rows(entries: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The index columns of every row that counts (with its dataset and the
    dataset's tolerance), and the V_GHK of the samples that count."""
    rows, ghk = [], []
    for e in entries:
        if e["status"] == "failed":
            continue
        res = Path(e["results_dir"])
        pot = pd.read_parquet(res / "potentials.parquet")
        if "vm_corrected_mV" not in pot:
            pot["vm_corrected_mV"] = pot["vm_mV"]
        if "driving_force_mV" not in pot:
            pot["driving_force_mV"] = np.nan
        samples = pd.read_parquet(res / "samples.parquet")
        ok = samples["sample_status"] == "ok"
        excluded = set(samples.loc[~ok, "sample_id"])
        atol = json.loads((res / "provenance.json").read_text())
        rows.append(
            pot[~pot["sample_id"].isin(excluded)].assign(
                dataset=e["dataset"],
                atol_mV=atol["config"]["driving_force"]["atol_mV"],
            )
        )
        ghk.append(samples.assign(vm_ghk_mV=samples["vm_ghk_mV"].where(ok)))
    rows = pd.concat(rows, ignore_index=True)
    rows["temperature_K"] = rows["temperature_K"].round(6)
    for col in VALUES:
        rows[col] = rows[col].where(np.isfinite(rows[col]))
    ghk = pd.concat(ghk, ignore_index=True)
    ghk["temperature_K"] = ghk["temperature_K"].round(6)
    return rows, ghk


def _expected_datasets(entries: list[dict], rows: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: cell types (in order of first appearance), temperatures [°C],
    number of samples; blank where no row counts."""
    out = []
    for e in entries:
        mine = rows[rows["dataset"] == e["dataset"]]
        temps = kelvin_to_celsius(np.unique(mine["temperature_K"].dropna()))
        out.append(
            {
                "dataset": e["dataset"],
                "cell_types": ", ".join(mine["cell_type"].dropna().unique()),
                "temperatures_C": ", ".join(f"{t:.1f}" for t in temps),
                "n_samples": mine["sample_id"].nunique() if len(mine) else None,
            }
        )
    return pd.DataFrame(out)


def _expected_directions(rows: pd.DataFrame) -> pd.Series:
    """Per (cell type, temperature): the flux directions of the pooled samples."""
    keys = ["cell_type", "temperature_K"]
    stats = (
        rows.groupby([*keys, "ion"])
        .agg(
            df=("driving_force_mV", "mean"),
            sd=("driving_force_mV", "std"),
            z=("valence", "first"),
            atol=("atol_mV", "max"),
            vm=("vm_mV", "count"),
        )
        .reset_index()
    )
    stats["flux"] = stated_directions(
        stats["df"], stats["sd"], stats["z"], stats["atol"]
    )[0]
    texts = {}
    for key, part in stats.groupby(keys):
        pairs = sorted(
            zip(part["ion"], part["flux"], strict=True),
            key=lambda p: style.ion_sort_key(p[0]),
        )
        defined = ", ".join(f"{i} {f}" for i, f in pairs if f != "undefined")
        texts[key] = defined if part["vm"].any() else NO_VM
    return pd.Series(texts, dtype=object)


def _expected_cell_types(per, rows, ghk) -> pd.DataFrame:
    """Cell types x temperatures: the mean over datasets of each ion's mean E, Vm
    (measured, corrected), V_GHK, directions, number of datasets."""
    keys = ["cell_type", "temperature_K"]
    ions = style.ion_order(per.loc[np.isfinite(per["E_act_mV"]), "ion"])
    wide = per.pivot_table(index=keys, columns="ion", values="E_act_mV")
    wide = wide.reindex(columns=ions).set_axis([f"E_{i}" for i in ions], axis=1)
    g = per.groupby(keys)
    wide["vm_mV"] = g["vm_mV"].mean()
    wide["vm_corrected_mV"] = g["vm_corrected_mV"].mean()
    wide["vm_ghk_mV"] = ghk.groupby(keys)["vm_ghk_mV"].mean()
    wide["net_flux"] = _expected_directions(rows)
    wide["n_datasets"] = g["dataset"].nunique()
    wide = wide.reset_index()
    wide.insert(1, "temperature_C", kelvin_to_celsius(wide.pop("temperature_K")))
    return wide


def _expected_across(per: pd.DataFrame) -> pd.DataFrame:
    """Per cell type, temperature and potential: the datasets' means and their
    count, mean, SD, min, max, spread (SD and spread from two datasets on)."""
    keys = ["dataset", "cell_type", "temperature_C"]
    vm = per.groupby(keys)["vm_mV"].mean().rename("E_act_mV").reset_index()
    long = pd.concat([per[[*keys, "ion", "E_act_mV"]], vm.assign(ion="Vm (measured)")])
    long = long[np.isfinite(long["E_act_mV"])]
    stats = ["cell_type", "temperature_C", "ion", "n_datasets", "mean_mV", "sd_mV"]
    stats += ["min_mV", "max_mV", "spread_mV"]
    out = []
    for (cell, t, ion), part in long.groupby(["cell_type", "temperature_C", "ion"]):
        e = part["E_act_mV"]
        many = len(e) > 1
        out.append(
            {
                "cell_type": cell,
                "temperature_C": t,
                "ion": ion,
                "n_datasets": len(e),
                "mean_mV": e.mean(),
                "sd_mV": e.std() if many else np.nan,
                "min_mV": e.min(),
                "max_mV": e.max(),
                "spread_mV": e.max() - e.min() if many else np.nan,
                **dict(zip(part["dataset"], e, strict=True)),
            }
        )
    out.sort(
        key=lambda r: (
            r["cell_type"],
            r["temperature_C"],
            r["ion"] == "Vm (measured)",
            style.ion_sort_key(r["ion"]),
        )
    )
    datasets = sorted(long["dataset"].unique())
    return pd.DataFrame(out, columns=stats + datasets)


def _expected(entries: list[dict]) -> dict[str, pd.DataFrame]:
    """The index's three CSVs computed from every row that counts at once."""
    rows, ghk = _rows(entries)
    per = (
        rows.groupby(["dataset", "cell_type", "temperature_K", "ion"])[VALUES[:3]]
        .mean()
        .reset_index()
    )
    per["temperature_C"] = kelvin_to_celsius(per["temperature_K"])
    return {
        "_datasets.csv": _expected_datasets(entries, rows),
        "_cell_types.csv": _expected_cell_types(per, rows, ghk),
        "_across_datasets.csv": _expected_across(per),
    }


# --- the tests ------------------------------------------------------------------


def _render(entries, out) -> dict[str, pd.DataFrame]:
    render_index(entries=entries, output=out)
    return {s: pd.read_csv(out.parent / f"{out.stem}{s}") for s in CSVS}


def _as_csv(frame: pd.DataFrame, tmp_path) -> pd.DataFrame:
    """``frame`` as a CSV reads back (the types the written CSVs read as)."""
    path = tmp_path / "expected.csv"
    frame.to_csv(path, index=False)
    return pd.read_csv(path)


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal texts and counts; numbers equal but for the order of summation."""
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("batch_rows", [1_000_000, 50])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_index_csvs_equal_those_from_every_row(tmp_path, monkeypatch, seed, batch_rows):
    monkeypatch.setattr(index, "INDEX_BATCH_ROWS", batch_rows)
    entries = _datasets(tmp_path / "results", seed)
    got = _render(entries, tmp_path / "reports" / "index.html")
    expected = _expected(entries)
    shown = ["dataset", "cell_types", "temperatures_C", "n_samples"]
    _assert_same(
        got["_datasets.csv"][shown], _as_csv(expected["_datasets.csv"], tmp_path)
    )
    for suffix in CSVS[1:]:
        _assert_same(got[suffix], _as_csv(expected[suffix], tmp_path))
    # the cases the data are meant to hold
    cells = got["_cell_types.csv"]
    assert (cells["net_flux"] == NO_VM).any()
    assert cells["net_flux"].str.contains("within noise", na=False).any()
    assert got["_datasets.csv"]["n_samples"].isna().sum() == 2  # lab_e, lab_f


def test_a_dataset_read_in_many_batches_gives_what_one_batch_gives(
    tmp_path, monkeypatch
):
    entries = _datasets(tmp_path / "results", seed=5)
    pages = {}
    for batch_rows in (1_000_000, 7):
        monkeypatch.setattr(index, "INDEX_BATCH_ROWS", batch_rows)
        out = tmp_path / f"reports_{batch_rows}" / "index.html"
        pages[batch_rows] = _render(entries, out), parse_page(out)
    (one, one_page), (many, many_page) = pages[1_000_000], pages[7]
    for suffix in CSVS:
        _assert_same(many[suffix], one[suffix])
    for table in ("datasets", "cell-types", "across-datasets"):
        shown = [
            [{k: (r[k]["v"], r[k]["title"]) for k in r} for r in p.records(table)]
            for p in (many_page, one_page)
        ]
        assert shown[0] == shown[1]


def test_moments_pooled_in_two_levels_are_those_of_all_values():
    # rows -> parts -> groups, as the index pools rows into batches and batches
    # (or datasets) into groups; values far from 0 test the numerical stability
    rng = np.random.default_rng(11)
    size, n_rows = 5, 20_000
    group = rng.integers(size, size=n_rows)
    values = 1e6 + rng.normal(0.0, 1e-3, n_rows) * (1 + group)
    part = rng.integers(7, size=n_rows) * size + group  # part p holds group p % size
    ones, zeros = np.ones(n_rows), np.zeros(n_rows)
    n, mean, m2 = index._moments(part, ones, values, zeros, 7 * size)
    n, mean, m2 = index._moments(np.arange(7 * size) % size, n, mean, m2, size)
    for g in range(size):
        mine = values[group == g]
        assert n[g] == len(mine)
        assert mean[g] == pytest.approx(mine.mean(), rel=1e-15)
        assert m2[g] / (n[g] - 1) == pytest.approx(mine.var(ddof=1), rel=1e-9)
    # a group of no values: count 0, mean NaN, no spread
    n, mean, m2 = index._moments(
        np.array([0]), np.zeros(1), np.full(1, np.nan), zeros[:1], 2
    )
    assert n.tolist() == [0, 0]
    assert np.isnan(mean).all()
    assert m2.tolist() == [0, 0]


def _peak_MB(entries, out) -> float:
    """The peak of Python's (tracemalloc) plus Arrow's (a pool of its own) memory
    while the index is rendered, [MB]."""
    default = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(default)
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        render_index(entries=entries, output=out)
        return (tracemalloc.get_traced_memory()[1] + pool.max_memory()) / 1e6
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(default)
        gc.collect()
        # nothing rendered holds Arrow memory (nor could outlive its pool)
        assert pool.bytes_allocated() == 0


def test_index_memory_is_a_batch_not_the_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(index, "INDEX_BATCH_ROWS", 10_000)
    rng = np.random.default_rng(3)
    # many ions, so the rows far outnumber the samples (whose own table, and ids,
    # the index holds whole)
    ions = {f"X{k}+": (1, -60.0 + k) for k in range(40)}
    pot = _potentials(rng, 11_200, CELLS, ions=ions)
    big = _write(tmp_path / "big", "d", pot, rng, row_group=None)
    pot = _potentials(rng, 100, CELLS, ions=ions)
    small = _write(tmp_path / "small", "d", pot, rng, row_group=None)
    assert pq.read_metadata(big / "potentials.parquet").num_rows > 400_000
    columns = ["dataset", "sample_id", "cell_type", "temperature_K", "ion", "valence"]
    columns += ["E_act_mV", "E_conc_mV", *VALUES[1:]]  # what the index used to hold
    rows_MB = pq.read_table(big / "potentials.parquet", columns=columns).nbytes / 1e6
    entry = {"dataset": "d", "status": "ok"}
    _peak_MB([{**entry, "results_dir": str(small)}], tmp_path / "warm" / "index.html")
    base = _peak_MB([{**entry, "results_dir": str(small)}], tmp_path / "s" / "a.html")
    peak = _peak_MB([{**entry, "results_dir": str(big)}], tmp_path / "b" / "a.html")
    # 403,271 rows, whose columns hold 44 MB in Arrow. Holding them all, as the
    # index did, peaked at 132 MB (3.4 MB for the 100-sample index); batches of
    # 10,000 rows peak at 9.1 MB (3.5 MB), of 20,000 at 12 MB, of 40,000 at 19 MB,
    # and the whole dataset in one batch at 118 MB.
    assert peak - base < rows_MB / 3, (base, peak, rows_MB)
