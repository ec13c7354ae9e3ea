"""The data gate's speed paths give what the plain paths give.

Each fast path is pinned here against a direct reference: neighbour comparisons
for per-sample checks, duplicate rows found on sample codes, the two quick ways of
numbering samples against the canonical grouping, arrow's blank test, skipping the
strip when no cell has whitespace at an edge, judging each distinct value once
through the reader's factors or the runs of a column, and threads for big tables.
"""

import itertools
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iongrad.canonical import CANONICAL_COLUMNS, sample_index
from iongrad.gate import checks, numbers, parallel, validation
from iongrad.gate.contract import load_contract
from iongrad.gate.ingest import IngestError, ingest
from iongrad.gate.numbers import cell_text
from iongrad.gate.text import blank_cells, may_have_edge_space
from iongrad.gate.validation import validate_file

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = sorted((DATA / "good").iterdir()) + sorted((DATA / "bad").iterdir())

SAMPLES = st.sampled_from(["s1", "s2", "s3", None])
FLOATS = st.sampled_from([1.0, 2.0, 0.0, -0.0, np.nan, np.inf, -np.inf])
TEXTS = st.sampled_from(["a", "b", "", None])


def _frame(rows, grouped: bool) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["sample_id", "value"])
    if grouped:  # every sample in one block of rows
        df = df.sort_values("sample_id", kind="stable", na_position="last")
    df.insert(0, "dataset", "d")
    df["sample_id"] = df["sample_id"].astype("str")
    return df.reset_index(drop=True)


def _one_value_reference(df: pd.DataFrame, ignore_missing: bool) -> list[bool]:
    """Per row: its sample's present values are one, and (unless ignored) the
    sample does not mix present and missing values."""
    key = df["sample_id"].fillna("\0missing")
    verdict = {}
    for sample, values in df.groupby(key, sort=False)["value"]:
        present = {v for v in values if not pd.isna(v)}
        mixed = values.isna().any() and bool(present)
        verdict[sample] = len(present) <= 1 and (ignore_missing or not mixed)
    return [verdict[k] for k in key]


def _paths(monkeypatch, fast: bool) -> None:
    """Every fast path at every size (``fast``), or none (the plain references)."""
    big = 0 if fast else 10**12
    for module in (checks, numbers, validation):
        monkeypatch.setattr(module, "BIG_TABLE", big)
    monkeypatch.setattr(checks, "_SMALL", 0 if fast else big)
    monkeypatch.setattr(checks, "_RUNS_FROM", 0 if fast else big)
    monkeypatch.setattr(parallel, "threads", lambda rows: 2 if fast else 1)


@pytest.fixture
def fast(monkeypatch):
    _paths(monkeypatch, fast=True)


@pytest.fixture(params=["dict", "grouping", "runs"])
def numbering(request, monkeypatch):
    """Force each of sample_codes' three paths (small, plain, run-based)."""
    small, runs = {"dict": (10**9, 10**9), "grouping": (0, 10**9), "runs": (0, 0)}[
        request.param
    ]
    monkeypatch.setattr(checks, "_SMALL", small)
    monkeypatch.setattr(checks, "_RUNS_FROM", runs)
    return request.param


# the fixture only sets thresholds: sharing it between examples is intended
SHARED_FIXTURE = [HealthCheck.function_scoped_fixture]


@settings(max_examples=60, deadline=None, suppress_health_check=SHARED_FIXTURE)
@given(
    rows=st.lists(st.tuples(SAMPLES, FLOATS | TEXTS), min_size=1, max_size=14),
    grouped=st.booleans(),
    ignore_missing=st.booleans(),
    text=st.booleans(),
)
def test_one_value_per_sample_matches_reference(
    numbering, rows, grouped, ignore_missing, text
):
    def cell(v):  # one column type at a time, as in a table
        if text:
            return v if isinstance(v, str) or v is None else repr(v)
        return np.nan if isinstance(v, str) or v is None else v

    df = _frame([(s, cell(v)) for s, v in rows], grouped)
    df["value"] = df["value"].astype("str" if text else float)
    got = checks.one_value_per_sample(df, column="value", ignore_missing=ignore_missing)
    assert got.tolist() == _one_value_reference(df, ignore_missing)


@settings(max_examples=60, deadline=None, suppress_health_check=SHARED_FIXTURE)
@given(
    keys=st.lists(
        st.tuples(st.sampled_from(["d1", "d2", None]), SAMPLES), min_size=1, max_size=20
    ),
    grouped=st.booleans(),
)
def test_sample_numbering_paths_agree(numbering, keys, grouped):
    """Every path of checks.sample_codes numbers the samples as the canonical
    grouping (iongrad.canonical.sample_index) does."""
    df = pd.DataFrame(keys, columns=["dataset", "sample_id"], dtype="str")
    if grouped:
        df = df.sort_values(["dataset", "sample_id"]).reset_index(drop=True)
    df["value"] = 1.0  # other columns are no keys
    assert checks.sample_codes(df).tolist() == sample_index(df).key.tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=SHARED_FIXTURE)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["d1", "d2", None]), SAMPLES, TEXTS),
        min_size=1,
        max_size=16,
    ),
    third=st.sampled_from(["ion", "other"]),
)
def test_unique_rows_on_codes_matches_duplicated(numbering, rows, third):
    """unique_rows numbers (sample, third column) instead of hashing the rows."""
    df = pd.DataFrame(rows, columns=["dataset", "sample_id", third], dtype="str")
    columns = ["dataset", "sample_id", third]
    got = checks.unique_rows(df, columns=columns)
    assert got.tolist() == (~df.duplicated(subset=columns, keep=False)).tolist()


#: Characters arrow's trim treats as whitespace, plus Python's, plus neighbours.
SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\u180e", "\u200b"]
CELLS = st.lists(
    st.lists(st.sampled_from([*SPACES, "a", "é", "K+", "\u2009x"]), max_size=4).map(
        "".join
    )
    | st.none(),
    max_size=12,
)


@settings(max_examples=80, deadline=None, suppress_health_check=SHARED_FIXTURE)
@given(cells=CELLS)
def test_text_strips_exactly_as_arrow_does(fast, cells):
    s = pd.Series(cells, dtype="str")
    assert cell_text(s).equals(s.str.strip())
    if not may_have_edge_space(s):
        assert s.str.strip().equals(s)  # "no edge whitespace" is never wrong


def test_edge_space_test_flags_every_character_arrow_strips():
    """Exhaustive over the basic multilingual plane (no surrogates)."""
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    cells = pa.array([c + "x" for c in chars] + ["x" + c for c in chars])
    stripped = pc.utf8_trim_whitespace(cells).to_pylist()
    changed = [c for c, s in zip(cells.to_pylist(), stripped, strict=True) if c != s]
    assert len(changed) >= 2 * 20  # arrow strips a few dozen characters, both ends
    for cell in changed:
        assert may_have_edge_space(pd.Series([cell], dtype="str")), repr(cell)
    clean = pd.Series(["x", "K+", "aé b", "ab", None, ""], dtype="str")
    assert not may_have_edge_space(clean)
    # a non-ASCII character at an edge is doubted (then stripped, which is exact)
    assert may_have_edge_space(pd.Series(["é"], dtype="str"))


@settings(max_examples=60, deadline=None, suppress_health_check=SHARED_FIXTURE)
@given(cells=CELLS)
def test_blank_and_not_blank_match_the_plain_comparisons(fast, cells):
    s = pd.Series(cells, dtype="str")
    assert blank_cells(s).tolist() == (s.isna() | (s == "")).tolist()
    plain = (s.str.strip() != "").fillna(True).astype(bool)
    assert checks.not_blank(s).tolist() == plain.tolist()


@settings(max_examples=40, deadline=None, suppress_health_check=SHARED_FIXTURE)
@given(runs=st.lists(st.tuples(TEXTS, st.integers(1, 3000)), min_size=1, max_size=8))
def test_distinct_cells_hold_every_value(fast, runs):
    cells = [value for value, length in runs for _ in range(length)]
    s = pd.Series(cells, dtype="str")
    out = checks.distinct_cells(s)
    assert set(out.dropna()) == set(s.dropna())
    assert out.isna().any() == s.isna().any()
    assert len(out) <= len(s)


def _ingestable(path):
    try:
        return ingest(path)
    except IngestError:
        return None


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_factors_reproduce_their_columns(path):
    ing = _ingestable(path)
    if ing is None:
        assert path.parent.name == "bad"  # only unreadable bad files raise
        return
    assert "source_file" in ing.factors
    for name, (codes, values) in ing.factors.items():
        assert len(codes) == len(ing.table), name
        rebuilt = [None if c < 0 else values[c] for c in codes]
        column = [None if pd.isna(v) else v for v in ing.table[name]]
        assert rebuilt == column, name


def _dump(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _report(path, **kwargs):
    try:
        result = validate_file(path, **kwargs)
    except IngestError as err:
        return str(err)
    return _dump(result.report), result


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_fast_paths_change_no_report(path, monkeypatch):
    """Every corpus file, with every fast path and threads forced, or with none."""
    for mode in ("strict", "lenient"):
        _paths(monkeypatch, fast=False)
        plain = _report(path, mode=mode)
        _paths(monkeypatch, fast=True)
        fast = _report(path, mode=mode)
        monkeypatch.undo()
        assert fast[0] == plain[0]
        if not isinstance(plain, str):
            pd.testing.assert_frame_equal(fast[1].accepted, plain[1].accepted)
            pd.testing.assert_frame_equal(fast[1].rejected, plain[1].rejected)
            pd.testing.assert_frame_equal(fast[1].failures, plain[1].failures)
    _paths(monkeypatch, fast=True)
    ing = _ingestable(path)
    if ing is not None and not ing.file_failures:
        spec = load_contract()
        frame = ing.table[CANONICAL_COLUMNS]
        with_factors = validation._contract_failures(frame, spec, ing.factors)
        without = validation._contract_failures(frame, spec)
        # NaN values compare as text
        assert _dump([asdict(f) for f in with_factors]) == _dump(
            [asdict(f) for f in without]
        )


def _big_table(samples: int) -> pd.DataFrame:
    """``samples`` squid-axon samples x 4 ions, sorted by sample, all valid."""
    ions = [("K+", 1, 400.0, 20.0), ("Na+", 1, 50.0, 440.0), ("Cl-", -1, 52.0, 560.0),
            ("Ca2+", 2, 1e-4, 10.0)]  # fmt: skip
    n = samples * len(ions)
    pick = np.tile(np.arange(len(ions)), samples)
    return pd.DataFrame(
        {
            "dataset": "big",
            "sample_id": pd.Series(np.repeat(np.arange(samples), 4)).map(
                "s{:06d}".format
            ),
            "cell_type": "squid_giant_axon",
            "temperature_C": 20.0,
            "ion": np.array([i[0] for i in ions])[pick],
            "c_in_mM": np.array([i[2] for i in ions])[pick],
            "c_out_mM": np.array([i[3] for i in ions])[pick],
            "vm_mV": np.full(n, -65.0),
        }
    )


def test_big_table_reports_the_same_with_and_without_fast_paths(tmp_path, monkeypatch):
    """30,000 rows with one fault of each kind the fast paths handle: the default
    (fast paths on, threads forced) and the plain paths report the same."""
    df = _big_table(7_500)
    df.loc[5, "temperature_C"] = 25.0  # two temperatures in sample 1
    df.loc[9, "ion"] = "K+"  # duplicate K+ in sample 2
    df.loc[13, "cell_type"] = "frog"  # two cell types in sample 3
    df.loc[17, "vm_mV"] = -70.0  # two potentials in sample 4
    df.loc[21, "sample_id"] = "  "  # blank sample id
    df.loc[25, "ion"] = "Xx"  # unknown ion
    df.loc[31, "c_in_mM"] = 20.0  # Ca2+ inside above 10 mM: a warning
    df.loc[29_000:, "dataset"] = "bad name"  # dataset names must match a pattern
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    monkeypatch.setattr(parallel, "threads", lambda rows: 2)
    threaded = _report(path, mode="lenient")
    _paths(monkeypatch, fast=False)
    plain = _report(path, mode="lenient")
    assert threaded[0] == plain[0]
    rules = {f["rule"] for f in plain[1].report["failures"]}
    assert rules >= {
        "one_temperature_per_sample", "unique_sample_ion", "one_cell_type_per_sample",
        "one_vm_per_sample", "not_nullable", "known_ion", "plausible_c_in",
        "dataset_name",
    }  # fmt: skip
    report = plain[1].report
    assert report["rows_read"] == report["rows_accepted"] + report["rows_rejected"]


def test_side_by_side_ingest_sees_file_errors_in_serial_order(tmp_path, monkeypatch):
    """A temperature without a unit is a file-level error of the per-sample step;
    the per-ion step then stays silent about a concentration whose unit cell is
    empty. In threads the per-ion step runs before it knows, so it runs again."""
    path = _write_csv(
        tmp_path,
        "dataset,sample_id,cell_type,temperature,ion,c_in,c_out,unit\n"
        "d1,s1,squid,20,K+,400,20,mM\n"
        "d1,s1,squid,20,Na+,50,440,\n",
    )
    plain = _report(path)
    monkeypatch.setattr(parallel, "threads", lambda rows: 2)
    threaded = _report(path)
    assert threaded[0] == plain[0]
    rules = [f["rule"] for f in plain[1].report["failures"]]
    assert "missing_unit" in rules  # the temperature's
    assert all(f["column"] != "c_in_mM" for f in plain[1].report["failures"])


def test_side_by_side_rerun_reports_unknown_unit_cells(tmp_path, monkeypatch):
    """The per-ion step runs again after a file-level error of the per-sample step;
    the rerun parses the unit column afresh, so an unknown unit cell is still
    reported, as in one thread."""
    path = _write_csv(
        tmp_path,
        "dataset,sample_id,cell_type,temperature,ion,c_in,c_out,unit\n"
        "d1,s1,squid,20,K+,400,20,mM\n"
        "d1,s1,squid,20,Na+,50,440,furlong\n",
    )
    plain = _report(path)
    monkeypatch.setattr(parallel, "threads", lambda rows: 2)
    threaded = _report(path)
    assert threaded[0] == plain[0]
    rules = [f["rule"] for f in plain[1].report["failures"]]
    assert rules == ["missing_unit", "unknown_unit"]


def _write_csv(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_strict_mode_withholds_every_row_with_its_reason(tmp_path):
    """A 20,000-row table with one bad row: strict mode rejects every row; the bad
    row names its rule, every other row says it was withheld."""
    df = _big_table(5_000)
    df.loc[7, "c_in_mM"] = -1.0
    path = _write_csv(tmp_path, df.to_csv(index=False))
    result = validate_file(path, mode="strict")
    rejected = result.rejected
    assert len(rejected) == len(df)
    assert result.accepted.empty
    bad = rejected["source_row"] == 9  # header is line 1, index 7 is line 9
    assert bad.sum() == 1
    assert rejected.loc[bad, "reason"].str.startswith("c_in_nonnegative_finite").all()
    withheld = rejected.loc[~bad, "reason"]
    assert withheld.str.fullmatch(r"withheld: .* \(1 row\(s\) have errors\)").all()
    # texts as a categorical: the withheld text once, not once per row
    assert isinstance(rejected["reason"].dtype, pd.CategoricalDtype)
    assert len(rejected["reason"].cat.categories) == 2


@st.composite
def _text_columns(draw):
    """A ``str`` column held by arrow in one to three chunks, some cells missing."""
    cells = draw(st.lists(TEXTS, min_size=1, max_size=40))
    cuts = sorted(draw(st.sets(st.integers(1, len(cells)), max_size=2)))
    bounds = [0, *cuts, len(cells)]
    chunks = [
        pa.array(cells[a:b], pa.large_string())
        for a, b in itertools.pairwise(bounds)
        if b > a
    ]
    return pd.Series(pd.array(pa.chunked_array(chunks), dtype="str"), name="t")


@settings(max_examples=80, deadline=None)
@given(
    column=_text_columns() | st.lists(FLOATS, min_size=1, max_size=40).map(pd.Series),
    data=st.data(),
    runs=st.sampled_from([1, 2, 1024]),
)
def test_rows_at_is_the_take_of_the_rows(column, data, runs):
    """A text column's rows taken as slices of its buffers (one per run of
    consecutive rows, when there are few runs) equal the rows taken; other
    columns are taken."""
    from iongrad import canonical

    n = len(column)
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1)))), dtype=np.intp)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(canonical, "SLICED_RUNS", runs)
        got = canonical.rows_at(column, rows)
    expected = column.take(rows).reset_index(drop=True)
    pd.testing.assert_series_equal(got, expected)


def test_rows_at_copies_no_text_when_a_few_rows_go():
    """A big text column without a few rows is its own buffers, sliced: arrow
    allocates nothing (taking it copied every text: a lenient 10M-row table's
    accepted rows were held beside it)."""
    from iongrad.canonical import rows_at

    n = 200_000
    column = pd.Series([f"sample-{i:07d}" for i in range(n)], dtype="str")
    rows = np.flatnonzero((np.arange(n) % 50_000) != 7)  # four rows go
    before = pa.total_allocated_bytes()
    got = rows_at(column, rows)
    assert pa.total_allocated_bytes() - before < 4096
    assert len(got) == n - 4
    assert got.iloc[7] == "sample-0000008"
