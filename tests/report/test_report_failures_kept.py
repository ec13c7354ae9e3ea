"""A report over many failures locates only those it shows, and says the same.

Above the companions' row limit, :func:`iongrad.report.findings.locate_failures`
keeps the failures the page and the digest show (a big table has a million
warnings, each with a long message); everything the report writes must equal what
it writes from every failure located, and every count stays over all of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import potentials_frame, write_results

from iongrad.gate.records import RECORD_KEYS, write_failures
from iongrad.report import companions, dataset, render_dataset_report
from iongrad.report.findings import failure_digest, locate_failures, rule_groups

GROUPS = [("neuron", 300.0, 12), ("axon", 310.0, 8)]  # 20 samples x 5 ions: rows 1-100
RULES = ["rule_a", "rule_b", "rule_c", "rule_d"]


def _failure(i: int, rng: np.random.Generator) -> dict:
    """A failure of a row the potentials own (1-100), of a rejected row (200-209),
    of a row nobody owns (named or not in its message), or of no row."""
    kind = rng.integers(0, 5)
    row = {0: int(rng.integers(1, 101)), 1: int(rng.integers(200, 210))}.get(
        int(kind), None if kind == 4 else int(rng.integers(500, 520))
    )
    rule = RULES[int(rng.integers(0, len(RULES)))]
    severity = ["error", "warning", "warning", None][int(rng.integers(0, 4))]
    tail = f" (sample 'm{row}': too far)" if kind == 2 else " (too far)"
    message = None if rng.random() < 0.05 else f"f, row {row}: rule {rule}: odd{tail}"
    return {
        "file": "data/raw/d.csv" if rng.random() < 0.9 else "other.csv",
        "row": row,
        "column": f"col{int(rng.integers(0, 3))}",
        "value": str(i),
        "ion": None,
        "rule": rule,
        "severity": severity,
        "message": message,
    }


def _failures(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [_failure(i, rng) for i in range(n)]


def _write_parquet(path, records: list[dict]) -> None:
    """failures.parquet as the gate writes it (object columns, None kept)."""
    write_failures(path, pd.DataFrame(records, columns=RECORD_KEYS, dtype=object))


def _rejected(path):
    rows = [
        {"source_file": "data/raw/d.csv", "source_row": r, "sample_id": f"r{r}"}
        for r in range(200, 210)
    ]
    pd.DataFrame([{**r, "ion": "K+", "reason": "x"} for r in rows]).to_csv(
        path, index=False
    )
    return path


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    n=st.integers(0, 400),
    seed=st.integers(0, 10_000),
    limit=st.integers(0, 60),
    first=st.integers(1, 12),
    examples=st.integers(1, 6),
    parquet=st.booleans(),
)
def test_the_failures_kept_say_what_all_of_them_say(
    tmp_path, n, seed, limit, first, examples, parquet
):
    pot = potentials_frame("d", GROUPS)
    rejected = _rejected(tmp_path / "rejected.csv")
    records = _failures(n, seed)
    source = records
    if parquet:
        source = tmp_path / "failures.parquet"
        _write_parquet(source, records)
    every = locate_failures(source, pot, rejected)
    kept = locate_failures(
        source, pot, rejected, limit=limit, first=first, examples=examples
    )
    assert every.complete
    assert len(every.frame) == n
    assert kept.complete or n > limit
    assert (kept.total, kept.warnings, kept.error_rows) == (
        every.total,
        every.warnings,
        every.error_rows,
    )
    assert kept.rules == every.rules
    assert kept.samples == every.samples
    for a, b in zip(
        rule_groups(every, shown=first), rule_groups(kept, shown=first), strict=True
    ):
        assert (a.rule, a.count, a.samples, a.message) == (
            b.rule,
            b.count,
            b.samples,
            b.message,
        )
        pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(
        failure_digest(kept, examples), failure_digest(every, examples)
    )

    def errors(f):
        return f.frame[f.frame["severity"].astype(str) != "warning"]

    pd.testing.assert_frame_equal(
        errors(kept).iloc[:first].reset_index(drop=True),
        errors(every).iloc[:first].reset_index(drop=True),
    )
    firsts = [
        errors(f).drop_duplicates(["file", "row"]).iloc[:8] for f in (every, kept)
    ]
    pd.testing.assert_frame_equal(*(f.reset_index(drop=True) for f in firsts))


def test_a_failure_of_a_row_nobody_owns_is_given_the_sample_its_message_names(
    tmp_path,
):
    records = [
        {
            "file": "f.csv",
            "row": 900,
            "column": "c",
            "value": "1",
            "ion": None,
            "rule": "r",
            "severity": "warning",
            "message": "f.csv, row 900: rule r: odd (sample 'cell 7': too far)",
        }
    ]
    path = tmp_path / "failures.parquet"
    _write_parquet(path, records)
    for source in (records, path):
        found = locate_failures(source, potentials_frame("d", GROUPS), limit=0)
        assert found.frame["sample_id"].tolist() == ["cell 7"]
        assert found.frame["message"].tolist() == ["odd (sample 'cell 7': too far)"]
        assert found.samples == {("warning", "r"): ["cell 7"]}


@pytest.mark.parametrize("parquet", [False, True])
def test_a_page_over_many_failures_equals_the_page_from_all_of_them(
    tmp_path, monkeypatch, parquet
):
    monkeypatch.setattr(companions, "ROW_LIMIT", 60)
    monkeypatch.setattr(companions, "FAILURE_EXAMPLES", 3)
    records = _failures(700, seed=3)
    res = write_results(tmp_path / "results", "d", GROUPS, failures=records)
    _rejected(res / "rejected.csv")
    if parquet:
        _write_parquet(res / "failures.parquet", records)

    def render(name):
        out = tmp_path / name / "d.html"
        render_dataset_report(dataset="d", results_dir=res, output=out)
        return {p.name: p.read_bytes() for p in sorted(out.parent.iterdir())}

    some = render("some")
    every_one = locate_failures

    def locate_all(*args, **kwargs):
        return every_one(*args, **{**kwargs, "limit": None})

    monkeypatch.setattr(dataset, "locate_failures", locate_all)
    every = render("every")
    assert b"d_failures.csv" in some["d.html"]
    assert some.keys() == every.keys()
    for name in some:
        assert some[name] == every[name], name


def test_a_failure_without_rule_or_severity_is_counted_not_dropped():
    # pandas 3 leaves None missing under astype(str), and a grouping drops it
    records = [
        {"file": "f.csv", "row": 2, "column": "c", "rule": None, "severity": "warning"},
        {"file": "f.csv", "row": 3, "column": "c", "rule": None, "severity": "warning"},
        {"file": "f.csv", "row": 4, "column": None, "rule": "r", "severity": None},
    ]
    found = locate_failures(records, potentials_frame("d", GROUPS))
    (group,) = rule_groups(found)
    assert (group.rule, group.count, len(group.frame)) == ("", 2, 2)
    digest = failure_digest(found, 5)
    assert digest["count"].tolist() == [2, 2, 1]  # the unknown severity last
    assert found.errors == 1


def _owners_by_merge(pot, rejected, files, rows):
    """The owners as a pandas merge finds them (the plain path): the potentials'
    rows, then rejected.csv's, the first owner of a (file, row) winning."""
    frames = [pot[["source_file", "source_row", "sample_id", "ion"]]]
    rej = pd.read_csv(rejected, dtype=str, keep_default_na=False)
    frames.append(rej[["source_file", "source_row", "sample_id", "ion"]])
    owners = pd.concat(frames, ignore_index=True)
    owners["source_row"] = pd.to_numeric(owners["source_row"], errors="coerce")
    owners = owners[np.isfinite(owners["source_row"].to_numpy(float))]
    owners = owners.astype({"source_file": str, "source_row": float})
    owners = owners.astype({"sample_id": str, "ion": str})
    owners = owners.drop_duplicates(["source_file", "source_row"], keep="first")
    keys = pd.DataFrame({"source_file": files, "source_row": rows})
    found = keys.merge(owners, on=["source_file", "source_row"], how="left")
    known = found["sample_id"].notna().to_numpy()
    sample = np.where(known, found["sample_id"].to_numpy(object), None)
    return sample, np.where(known, found["ion"].to_numpy(object), None)


@settings(max_examples=60, deadline=None)
@given(
    pot_rows=st.lists(
        st.tuples(st.sampled_from(["a.csv", "b.csv"]), st.integers(1, 6)),
        max_size=20,
    ),
    rejected_rows=st.lists(
        st.tuples(st.sampled_from(["a.csv", "c.csv"]), st.integers(1, 8)),
        max_size=8,
    ),
    failures=st.lists(
        st.tuples(
            st.sampled_from(["a.csv", "b.csv", "c.csv", "d.csv"]),
            st.one_of(st.none(), st.integers(0, 9)),
        ),
        max_size=30,
    ),
    categorical_pot=st.booleans(),
)
def test_owners_found_on_codes_are_those_a_merge_finds(
    tmp_path_factory, pot_rows, rejected_rows, failures, categorical_pot
):
    from iongrad.report.findings import _owners

    pot = pd.DataFrame(
        {
            "source_file": [f for f, _ in pot_rows],
            "source_row": [r for _, r in pot_rows],
            "sample_id": [f"s{k}" for k in range(len(pot_rows))],
            "ion": [["K+", "Na+"][k % 2] for k in range(len(pot_rows))],
        }
    )
    if categorical_pot:
        pot = pot.astype({"source_file": "category", "ion": "category"})
    rejected = tmp_path_factory.mktemp("r") / "rejected.csv"
    pd.DataFrame(
        {
            "source_file": [f for f, _ in rejected_rows],
            "source_row": [str(r) for _, r in rejected_rows],
            "sample_id": [f"r{k}" for k in range(len(rejected_rows))],
            "ion": "Cl-",
        }
    ).to_csv(rejected, index=False)
    files = np.array([f for f, _ in failures], dtype=object)
    rows = np.array([np.nan if r is None else r for _, r in failures], dtype=float)
    got = _owners(pot, rejected, files, rows)
    expected = _owners_by_merge(pot, rejected, files, rows)
    assert got[0].tolist() == expected[0].tolist()
    assert got[1].tolist() == expected[1].tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["warning", "error", "bath_electroneutral", "", None, float("nan")]
        ),
        max_size=30,
    )
)
def test_failure_keys_are_texts_made_once_per_distinct_value(values):
    """Each distinct key is made a text once: the texts are those of the cells one
    by one, a missing cell the empty text."""
    from iongrad.report.findings import _text

    one_by_one = [
        "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        for v in values
    ]
    got = _text(np.array(values, dtype=object))
    assert got.dtype == object
    assert got.tolist() == one_by_one
