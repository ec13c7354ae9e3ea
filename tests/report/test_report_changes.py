"""The "what changed" section lists the potentials that moved and by how much,
from a snapshot of the previous rendering whose size does not grow with the table."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pagedata import parse_page
from synthetic import compute_columns, potentials_frame, write_results

from iongrad import files
from iongrad.report import changes, render_dataset_report
from iongrad.report.changes import CHANGE_ATOL_MV, compare_potentials

REPO = Path(__file__).resolve().parents[2]


def _kept(prev: Path) -> pd.DataFrame:
    """The tracked values of the snapshot in ``prev``, one column per quantity."""
    values = pd.read_parquet(prev / files.PREVIOUS_SNAPSHOT[1])
    return values.pivot_table(
        index=["sample_id", "ion", "k"],
        columns="quantity",
        values="value",
        dropna=False,
    )


def test_first_rendering_says_nothing_to_compare(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    out = tmp_path / "reports" / "d.html"
    prev = res / "previous"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    page = parse_page(out)
    assert "first rendering" in page.ids["changes-message"]
    # the snapshot is kept for the next rendering: every row's compared values
    kept = _kept(prev)
    pot = pd.read_parquet(res / "potentials.parquet").set_index(["sample_id", "ion"])
    for col in changes.COMPARED_COLUMNS:
        got = kept[col].droplevel("k").reindex(pot.index)
        pd.testing.assert_series_equal(got, pot[col], check_names=False)
    assert not (prev / "potentials.parquet").exists()  # no full copy


def test_changed_input_lists_moved_potentials(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    out = tmp_path / "reports" / "d.html"
    prev = res / "previous"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    # the input changed: sample s2's external K+ doubled, results recomputed
    pot = pd.read_parquet(res / "potentials.parquet")
    k = (pot["sample_id"] == "s2") & (pot["ion"] == "K+")
    pot.loc[k, "c_out_mM"] *= 2
    new = compute_columns(pot)
    write_results(tmp_path / "results", "d", [], potentials=new)
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    page = parse_page(out)
    moved = {
        (r["sample_id"]["v"], r["ion"]["v"], r["quantity"]["v"]): r
        for r in page.records("changes")
    }
    # E_conc, E_act and the driving force of that one row moved; nothing else did
    assert set(moved) == {
        ("s2", "K+", "E_conc_mV"),
        ("s2", "K+", "E_act_mV"),
        ("s2", "K+", "driving_force_mV"),
    }
    kept = _kept(prev).loc[("s2", "K+", 0), "E_act_mV"]
    assert kept == float(new.loc[k, "E_act_mV"].iloc[0])  # the snapshot was refreshed
    # (k/e) T ln 2 at 300 K (exact SI k/e = 8.617333262e-5 V/K): +17.919 mV
    delta = float(moved[("s2", "K+", "E_act_mV")]["delta"]["value"])
    assert delta == pytest.approx(8.617333262e-2 * 300 * 0.6931471805599453, rel=1e-6)
    assert moved[("s2", "K+", "E_act_mV")]["delta"]["v"] == "+17.9"  # 3 digits


def test_compare_potentials_reports_delta(tmp_path):
    old = potentials_frame("d", [("c", 300.0, 3)])
    prev = tmp_path / "prev"
    prev.mkdir()
    old.to_parquet(prev / "potentials.parquet")
    new = old.copy()
    i = new.index[(new["sample_id"] == "s2") & (new["ion"] == "K+")][0]
    new.loc[i, "E_act_mV"] += 1.25
    new.loc[i, "E_conc_mV"] += 0.5
    j = new.index[(new["sample_id"] == "s3") & (new["ion"] == "Na+")][0]
    new.loc[j, "E_act_mV"] += CHANGE_ATOL_MV / 10  # below tolerance: not listed
    new = new.drop(index=new.index[(new["sample_id"] == "s1") & (new["ion"] == "Cl-")])
    ch = compare_potentials(new, prev)
    assert ch.available
    got = {(r.sample_id, r.ion, r.quantity): r.delta for r in ch.moved.itertuples()}
    assert got.keys() == {("s2", "K+", "E_act_mV"), ("s2", "K+", "E_conc_mV")}
    assert got[("s2", "K+", "E_act_mV")] == pytest.approx(1.25, abs=1e-9)
    assert ch.moved.iloc[0]["quantity"] == "E_act_mV"  # largest change first
    assert ch.removed.to_dict("records") == [{"sample_id": "s1", "ion": "Cl-"}]
    assert ch.added.empty


def test_rendered_changes_table(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    prev = tmp_path / "prev"
    prev.mkdir()
    old = pd.read_parquet(res / "potentials.parquet")
    shifted = old.copy()
    shifted.loc[0, "E_act_mV"] -= 3.0  # previous value was 3 mV lower
    shifted.to_parquet(prev / "potentials.parquet")
    out = tmp_path / "reports" / "d.html"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    page = parse_page(out)
    recs = page.records("changes")
    assert len(recs) == 1
    assert recs[0]["sample_id"]["v"] == old.loc[0, "sample_id"]
    assert float(recs[0]["delta"]["value"]) == pytest.approx(3.0, abs=1e-9)
    assert "1 value(s) moved" in page.ids["changes-message"]
    # rendering again compares with the snapshot just taken: nothing moved
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    assert "No potential moved" in parse_page(out).ids["changes-message"]


def test_per_sample_donnan_and_ghk_changes(tmp_path):
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 2)])
    prev = tmp_path / "prev"
    prev.mkdir()
    pd.read_parquet(res / "potentials.parquet").to_parquet(prev / "potentials.parquet")
    old = pd.read_parquet(res / "samples.parquet")
    old.loc[old["sample_id"] == "s2", "vm_ghk_mV"] += 2.0  # previous was 2 mV higher
    old.to_parquet(prev / "samples.parquet")
    ch = compare_potentials(
        pd.read_parquet(res / "potentials.parquet"),
        prev,
        samples=pd.read_parquet(res / "samples.parquet"),
    )
    rows = ch.moved.to_dict("records")
    assert len(rows) == 1
    assert rows[0]["sample_id"] == "s2"
    assert rows[0]["ion"] == "(per sample)"
    assert rows[0]["quantity"] == "vm_ghk_mV"
    assert rows[0]["delta"] == pytest.approx(-2.0, abs=1e-9)
    # the rendering replaces the full copies by the snapshot, per-sample values too
    out = tmp_path / "reports" / "d.html"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    assert sorted(p.name for p in prev.iterdir()) == sorted(files.PREVIOUS_SNAPSHOT)
    kept = _kept(prev).xs(changes.PER_SAMPLE, level="ion")["vm_ghk_mV"]
    now = pd.read_parquet(res / "samples.parquet").set_index("sample_id")["vm_ghk_mV"]
    assert kept.droplevel("k").reindex(now.index).tolist() == now.tolist()


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def test_previous_folder_size_does_not_grow_with_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(changes, "TRACKED_ROWS", 200)
    sizes = {}
    for n in (100, 1000):  # samples x 5 ions: 500 and 5,000 rows
        res = write_results(
            tmp_path / f"r{n}", "d", [("c", 300.0, n // 2), ("b", 310.0, n // 2)]
        )
        prev = tmp_path / f"prev{n}"
        out = tmp_path / f"reports{n}" / "d.html"
        render_dataset_report(
            dataset="d", results_dir=res, output=out, previous_dir=prev
        )
        tracked = pd.read_parquet(prev / files.PREVIOUS_SNAPSHOT[1])
        rows = tracked[tracked["ion"] != changes.PER_SAMPLE]
        assert len(rows.drop_duplicates(["sample_id", "ion", "k"])) <= 200
        sizes[n] = _folder_bytes(prev)
    assert sizes[1000] <= 1.2 * sizes[100]
    assert sizes[1000] < 400_000


def _shift(res: Path, sample: str, ion: str, factor: float) -> pd.DataFrame:
    """Multiply c_out of one row by ``factor``, recompute, rewrite the results."""
    pot = pd.read_parquet(res / "potentials.parquet")
    row = (pot["sample_id"] == sample) & (pot["ion"] == ion)
    assert row.sum() == 1
    pot.loc[row, "c_out_mM"] *= factor
    new = compute_columns(pot)
    write_results(res.parent, res.name, [], potentials=new)
    return new


def test_beyond_the_tracked_rows_changes_are_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(changes, "TRACKED_ROWS", 100)
    res = write_results(tmp_path / "results", "d", [("c", 300.0, 300)])
    prev, out = res / "previous", tmp_path / "reports" / "d.html"
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    tracked = set(pd.read_parquet(prev / files.PREVIOUS_SNAPSHOT[1])["sample_id"])
    inside = sorted(tracked)[0]
    outside = sorted(f"s{i}" for i in range(1, 301) if f"s{i}" not in tracked)[0]
    _shift(res, inside, "K+", 2.0)
    _shift(res, outside, "Na+", 2.0)
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    page = parse_page(out)
    # the tracked sample's values are listed one by one
    moved = {(r["sample_id"]["v"], r["ion"]["v"]) for r in page.records("changes")}
    assert moved == {(inside, "K+")}
    # the other one is counted by the fingerprints of its sample group
    notes = out.read_text(encoding="utf-8")
    assert "at least 2 sample(s) changed" in notes
    # and the means of both ions of cell type c moved
    groups = {r["ion"]["v"] for r in page.records("changes-groups")}
    assert groups == {"K+", "Na+"}
    assert "potentials.parquet" in page.ids["changes-files"]
    # rendering again: nothing moved, every fingerprint is the same
    render_dataset_report(dataset="d", results_dir=res, output=out, previous_dir=prev)
    html = out.read_text(encoding="utf-8")
    assert "No tracked potential moved" in html
    assert "no sample changed" in html


def test_example_data_change_is_reported(tmp_path, monkeypatch):
    """The squid axon example through the pipeline's jobs: an edited input value
    shows as moved potentials in the next rendering."""
    from iongrad.pipeline import jobs

    raw = tmp_path / "squid.csv"
    shutil.copy(REPO / "data" / "raw" / "squid_giant_axon.csv", raw)
    res, out = tmp_path / "results" / "squid", tmp_path / "reports" / "squid.html"
    settings = {"temperatures_C": [20]}

    def run():
        jobs.validate_job(
            raw=str(raw),
            dataset="squid",
            mode="strict",
            validation_json=str(res / "validation.json"),
            rejected_csv=str(res / "rejected.csv"),
            measurements=str(res / "measurements.parquet"),
        )
        jobs.potentials_job(
            measurements=str(res / "measurements.parquet"),
            validation_json=str(res / "validation.json"),
            potentials=str(res / "potentials.parquet"),
            temperature_scan_path=str(res / "temperature_scan.parquet"),
            activity={"model": "truesdell-jones", "convention": "macinnes"},
            driving_force={"atol_mV": 5.0},
            temperatures_C=[20],
        )
        jobs.report_job(
            dataset="squid",
            results_dir=str(res),
            output=str(out),
            settings=settings,
            previous_dir=str(res / "previous"),
        )

    run()
    text = raw.read_text()
    assert "hodgkin1964,squid_giant_axon,20,K+,400,20," in text
    raw.write_text(text.replace(",K+,400,20,", ",K+,400,40,", 1))
    run()
    page = parse_page(out)
    moved = {(r["sample_id"]["v"], r["ion"]["v"]) for r in page.records("changes")}
    assert ("hodgkin1964", "K+") in moved
    assert "moved" in page.ids["changes-message"]


def _coded(values: list, order: list[int]) -> pd.Series:
    """``values`` as a categorical whose categories come in the order ``order``
    says (a file's dictionary is in order of appearance, not sorted), with one
    category unused."""
    codes, labels = pd.factorize(pd.Series(values, dtype=object))
    labels = list(labels)
    rank = sorted(range(len(labels)), key=lambda k: order[k % len(order)])
    shuffled = [labels[k] for k in rank]
    position = {x: k for k, x in enumerate(shuffled)}
    remap = np.array([position[x] for x in labels] + [-1], dtype=np.int64)
    # and a category no row has (a label of the file's dictionary left unused)
    return pd.Series(pd.Categorical.from_codes(remap[codes], [*shuffled, "unused"]))


_TEXTS = st.lists(st.sampled_from(["K+", "Na+", "Cl-", "axon", "ok", "no_vm", None]),
                  min_size=1, max_size=40)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(values=_TEXTS, order=st.lists(st.integers(0, 9), min_size=1, max_size=7))
def test_snapshot_hashes_and_counts_categoricals_as_their_texts(values, order):
    """A big table's labels are categoricals: hashed, counted and grouped once per
    category, they give what their texts give."""
    coded = _coded(values, order)
    texts = pd.Series(values, dtype=object)
    assert (changes._hash_text(coded) == changes._hash_text(texts)).all()
    frame = pd.DataFrame({"status": coded})
    assert changes._statuses(frame) == changes._statuses(texts.to_frame("status"))


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.sampled_from(["neuron", "axon", "glia"]), min_size=1, max_size=30
    ),
    order=st.lists(st.integers(0, 9), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_snapshot_groups_of_categoricals_are_those_of_their_texts(cells, order, seed):
    rng = np.random.default_rng(seed)
    n = len(cells)
    ions = rng.choice(["K+", "Na+", "Cl-"], n).tolist()
    values = rng.normal(-50, 30, n)
    values[rng.random(n) < 0.2] = rng.choice([np.inf, -np.inf, np.nan])
    plain = pd.DataFrame(
        {
            "cell_type": cells,
            "temperature_K": rng.choice([293.15, 310.15], n),
            "ion": ions,
            "E_act_mV": values,
            "E_conc_mV": rng.normal(-50, 30, n),
        }
    )
    coded = plain.assign(cell_type=_coded(cells, order), ion=_coded(ions, order[::-1]))
    cols = ["E_act_mV", "E_conc_mV"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(changes._groups(coded, cols)),
        pd.DataFrame(changes._groups(plain, cols)),
        check_exact=True,
    )
