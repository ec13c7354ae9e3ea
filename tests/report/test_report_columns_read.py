"""A big table's report reads some columns over every row: it must say the same.

Above the companions' row limit the report reads potentials.parquet's every row
only in the columns its summaries, figures, checks, validation section and snapshot
read (and the first rows in every column). Each example dataset, through the
pipeline's jobs and rendered with a row limit that makes it "big", gives the same
files as when every column is read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from iongrad.pipeline import config as cfgmod
from iongrad.pipeline import jobs
from iongrad.report import companions, dataset, render_dataset_report

REPO = Path(__file__).resolve().parents[2]
CONFIG = cfgmod.resolve(cfgmod.load(REPO / "config" / "config.yaml"))


def _results(name: str, out: Path) -> Path:
    """The example dataset ``name`` through validation, potentials and samples."""
    res = out / name
    jobs.validate_job(
        raw=CONFIG["datasets"][name]["path"],
        dataset=name,
        mode="lenient",
        validation_json=str(res / "validation.json"),
        rejected_csv=str(res / "rejected.csv"),
        measurements=str(res / "measurements.parquet"),
    )
    jobs.potentials_job(
        measurements=str(res / "measurements.parquet"),
        validation_json=str(res / "validation.json"),
        potentials=str(res / "potentials.parquet"),
        temperature_scan_path=str(res / "temperature_scan.parquet"),
        activity=CONFIG["activity"],
        driving_force=CONFIG["driving_force"],
        temperatures_C=CONFIG["temperatures_C"],
        ljp=cfgmod.ljp_settings(CONFIG, name),
    )
    jobs.samples_job(
        potentials=str(res / "potentials.parquet"),
        samples=str(res / "samples.parquet"),
        donnan_path=str(res / "donnan.parquet"),
        donnan=CONFIG["donnan"],
        ghk=CONFIG["ghk"],
    )
    return res


def _render(name: str, res: Path, tmp_path: Path, kept: str) -> dict[str, bytes]:
    """The report's files (path under the reports folder: bytes), moved aside to
    ``tmp_path / kept`` after; the same paths each time (the page names them)."""
    settings = cfgmod.dataset_settings(CONFIG, name)
    folder = tmp_path / "reports"
    render_dataset_report(
        dataset=name,
        results_dir=res,
        output=folder / f"{name}.html",
        config=settings,
        temperatures_C=settings["temperatures_C"],
        previous_dir=folder / "previous",
    )
    written = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    folder.rename(tmp_path / kept)
    # the snapshot says when it was rendered
    snapshot = written["previous/snapshot.json"]
    written["previous/snapshot.json"] = re.sub(
        rb'"rendered_at": "[^"]*"', b"", snapshot
    )
    return written


@pytest.mark.parametrize("name", sorted(CONFIG["datasets"]))
def test_a_big_tables_report_reading_some_columns_equals_reading_all(
    tmp_path, monkeypatch, name
):
    monkeypatch.chdir(REPO)
    res = _results(name, tmp_path / "results")
    monkeypatch.setattr(companions, "ROW_LIMIT", 5)

    some = _render(name, res, tmp_path, "some")
    read = dataset.load_results
    seen = []

    def every_column(*args, **kwargs):
        found = read(*args, **{**kwargs, "columns": None})
        seen.append(len(found.potentials.columns))
        return found

    monkeypatch.setattr(dataset, "load_results", every_column)
    every = _render(name, res, tmp_path, "every")
    projected = read(res, columns=dataset._WHOLE_TABLE_COLUMNS, above=5)
    assert len(projected.potentials.columns) < seen[0]  # some columns were left out
    assert some.keys() == every.keys()
    assert "previous/snapshot.json" in some
    for file in some:
        assert some[file] == every[file], file


@pytest.mark.parametrize("name", sorted(CONFIG["datasets"]))
def test_samples_read_as_categoricals_give_the_report_of_their_texts(
    tmp_path, monkeypatch, name
):
    monkeypatch.chdir(REPO)
    res = _results(name, tmp_path / "results")
    read = dataset.load_results
    coded = read(res).samples
    plain = pd.read_parquet(res / "samples.parquet")
    schema = pq.read_schema(res / "samples.parquet")
    texts = [f.name for f in schema if pa.types.is_large_string(f.type)]
    texts += [f.name for f in schema if pa.types.is_string(f.type)]
    assert texts, "the samples have text columns"
    for c in texts:
        want = "str" if c == "sample_id" else "category"
        assert coded[c].dtype == want, c
        assert coded[c].astype(object).tolist() == plain[c].astype(object).tolist()

    as_categories = _render(name, res, tmp_path, "categories")

    def as_read(*args, **kwargs):
        found = read(*args, **kwargs)
        found.samples = pd.read_parquet(res / "samples.parquet")
        return found

    monkeypatch.setattr(dataset, "load_results", as_read)
    assert _render(name, res, tmp_path, "texts") == as_categories


@pytest.mark.parametrize(
    ("valence", "source_row", "held"),
    [
        ([1, -1, 2], [2, 3, 4], ("int8", "int32")),
        ([1, -1, 300], [2, 3, 2**40], ("int64", "int64")),  # too big: kept as read
    ],
)
def test_small_integers_are_held_small_only_when_they_fit(
    tmp_path, valence, source_row, held
):
    """A big table's valences and source rows are held in one and four bytes
    (the report's peak), never narrowed past their values."""
    from iongrad.report.results import _read_potentials

    path = tmp_path / "potentials.parquet"
    table = {"sample_id": ["a", "b", "c"], "valence": valence}
    pq.write_table(pa.table({**table, "source_row": source_row}), path)
    pot = _read_potentials(path)
    assert (str(pot["valence"].dtype), str(pot["source_row"].dtype)) == held
    assert pot["valence"].tolist() == valence
    assert pot["source_row"].tolist() == source_row
