"""join_by_sample: the labels of each sample joined in table order, at any size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from iongrad.tables.locate import (
    as_text,
    categorical,
    concat_tables,
    first_text,
    join_by_sample,
    text_codes,
    text_in,
    text_is,
)


def _reference(keys, labels, n):
    """One Python join per sample: what join_by_sample must give."""
    out = [[] for _ in range(n)]
    for k, label in zip(keys, labels, strict=True):
        out[int(k)].append(str(label))
    return [", ".join(x) for x in out]


@pytest.mark.parametrize("seed", range(6))
def test_join_by_sample_equals_one_join_per_sample(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    rows = int(rng.integers(0, 400))
    keys = rng.integers(0, n, rows)
    pool = np.array(["K+", "Na+", "Cl-", "Ca2+", "A-", "K+:1.0", "Mg2+"], dtype=object)
    labels = pool[rng.integers(0, len(pool) if seed % 2 else 3, rows)]
    assert join_by_sample(keys, labels, n).tolist() == _reference(keys, labels, n)


def test_a_sample_whose_labels_are_a_prefix_of_anothers_keeps_its_own_text():
    keys = np.array([0, 0, 1, 1, 1, 2])
    labels = np.array(["K+", "Na+", "K+", "Na+", "Cl-", "K+"])
    assert join_by_sample(keys, labels, 4).tolist() == [
        "K+, Na+",
        "K+, Na+, Cl-",
        "K+",
        "",
    ]


def test_join_by_sample_takes_pandas_string_labels():
    labels = pd.array(["Cl-", "K+"], dtype="str")
    assert join_by_sample(np.array([0, 0]), labels, 1).tolist() == ["Cl-, K+"]


def test_categorical_keeps_the_labels_used_sorted():
    cat = categorical(np.array([2, 0, 2, -1]), ["ok", "unused", "no_vm", None])
    assert cat.tolist()[:3] == ["no_vm", "ok", "no_vm"]
    assert pd.isna(cat[3])
    assert list(cat.categories) == ["no_vm", "ok"]


def test_a_table_gathered_from_parts_has_the_whole_tables_dtypes():
    codes = np.array([0, 1, 2, 1, 0, 3])
    labels = ["in: a", "b", "", "out: c"]
    whole = pd.DataFrame({"reason": categorical(codes, labels), "x": np.arange(6)})
    parts = [
        pd.DataFrame({"reason": categorical(c, labels), "x": x})
        for c, x in ((codes[:2], [0, 1]), (codes[2:], [2, 3, 4, 5]))
    ]
    gathered = concat_tables(parts)
    pd.testing.assert_frame_equal(gathered, whole)
    plain = pd.concat(parts, ignore_index=True)  # what concat_tables is for
    assert not isinstance(plain["reason"].dtype, pd.CategoricalDtype)


def _pandas_first(values: pd.Series, key: np.ndarray, n: int, skip_empty: bool):
    """The reference: groupby first over the texts (skips missing, and '' when
    asked), None for a sample without one."""
    text = values.astype(object)
    if skip_empty:
        text = text.where(text != "")
    first = pd.Series(text.to_numpy(dtype=object)).groupby(key).first()
    out = np.full(n, None, dtype=object)
    for k, v in first.items():
        out[k] = None if pd.isna(v) else v
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["object", "str", "category"])
@pytest.mark.parametrize("skip_empty", [False, True])
def test_first_text_is_groupby_first(seed, kind, skip_empty):
    rng = np.random.default_rng(seed)
    rows, n = 300, 40
    key = rng.integers(0, n, rows)  # samples in any order, some without rows
    choices = np.array(["", "a", "b", "=c", None, "vm_ljp_uncorrected"], dtype=object)
    values = pd.Series(choices[rng.integers(0, len(choices), rows)], dtype=object)
    if kind == "str":
        values = values.astype("str")
    elif kind == "category":
        values = values.astype("category")
    got = first_text(values, key, n, skip_empty=skip_empty)
    assert got.tolist() == _pandas_first(values, key, n, skip_empty).tolist()


@settings(max_examples=60, deadline=None)
@given(
    codes=st.lists(st.integers(-1, 3), max_size=40),
    labels=st.lists(st.text(max_size=4), min_size=4, max_size=4, unique=True),
)
def test_as_text_is_astype_str(codes, labels):
    values = pd.Series(categorical(np.array(codes, dtype=np.int64), labels))
    values.index = values.index * 3  # the index is kept
    expected = values.astype(str)
    got = as_text(values)
    pd.testing.assert_series_equal(got, expected)
    plain = values.astype(object)
    pd.testing.assert_series_equal(as_text(plain), plain.astype(str))


@settings(max_examples=60, deadline=None)
@given(
    codes=st.lists(st.integers(-1, 3), max_size=40),
    labels=st.lists(st.text(max_size=4), min_size=4, max_size=4, unique=True),
    kind=st.sampled_from(["category", "object", "str"]),
)
# numpy compares "\x00" with "" as equal (it drops trailing null characters)
@example(codes=[0], labels=["", "0", "\x00", "00"], kind="category")
def test_text_codes_stand_for_as_text_and_compare_as_it(codes, labels, kind):
    values = pd.Series(categorical(np.array(codes, dtype=np.int64), labels))
    if kind != "category":
        values = values.astype(kind)
    got_codes, texts = text_codes(values)
    expected = as_text(values).to_numpy(dtype=object)
    assert len(got_codes) == len(expected)
    got = texts[got_codes]
    assert [x if isinstance(x, str) else None for x in got] == [
        x if isinstance(x, str) else None for x in expected
    ]
    # each distinct text once (a categorical: one per category, and missing)
    assert len(set(map(str, texts))) == len(texts)
    for text in labels:  # and a row's text compared with one, as as_text's is
        want = (as_text(values) == text).to_numpy(dtype=bool, na_value=False)
        assert text_is(values, text).tolist() == want.tolist()


@settings(max_examples=80, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.none(), st.sampled_from(["s1", "s2", "", "=x"]), st.text(max_size=3)
        ),
        max_size=40,
    ),
    sought=st.sets(
        st.one_of(st.sampled_from(["s1", "s2", "", "None", "nan"]), st.text(max_size=3))
    ),
    kind=st.sampled_from(["object", "str", "category"]),
)
def test_text_in_is_isin_of_the_texts(cells, sought, kind):
    """text_in (arrow's hash set) answers what pandas' isin of the texts answers,
    for text, arrow text and categorical columns with missing cells."""
    values = pd.Series(cells, dtype=object)
    if kind != "object":
        values = values.astype(kind)
    expected = as_text(values).isin(sought).to_numpy(dtype=bool)
    np.testing.assert_array_equal(text_in(values, sought), expected)
