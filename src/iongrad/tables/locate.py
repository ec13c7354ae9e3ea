"""Text about rows of a table: where rows came from, labels joined per sample, and
text columns stored once per distinct text.

Error messages of the table adapters name the offending rows by source file and line
when the table carries provenance (``source_file``, ``source_row``), else by table
index; per-sample results list ions as one comma-separated cell per sample.

Text columns of few distinct values (statuses, reasons, labels) are categoricals:
a code per row and each text once (a 10-million-row table of reasons is 10 MB, not
gigabytes). Their categories are the texts used, sorted, so one table computed whole
or in parts and gathered with :func:`concat_tables` has the same dtypes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

__all__ = [
    "as_text",
    "categorical",
    "combinations",
    "concat_tables",
    "first_text",
    "join_by_sample",
    "text_codes",
    "text_in",
    "text_is",
    "where",
]

#: Rows named in one message at most (the rest are left out).
MAX_NAMED_ROWS = 5


def where(df: pd.DataFrame, rows) -> str:
    """Name rows (positions in ``df``) for an error message.

    Examples
    --------
    >>> t = pd.DataFrame({"source_file": "lab.csv", "source_row": [2, 3]})
    >>> where(t, [1])
    'lab.csv row 3'
    >>> where(t.drop(columns="source_file"), [0, 1])
    'table rows 0, 1'
    """
    sub = df.iloc[np.asarray(rows, dtype=np.int64)[:MAX_NAMED_ROWS]]
    if {"source_file", "source_row"} <= set(df.columns):
        return ", ".join(
            f"{f} row {r}" for f, r in zip(sub["source_file"], sub["source_row"],
                                           strict=True)
        )  # fmt: skip
    return "table rows " + ", ".join(map(str, sub.index))


def join_by_sample(keys: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Comma-joined labels per sample code (0 .. n-1); empty string where none.

    Labels keep their order within a sample. A table has few distinct sequences of
    labels (the same ions in every sample), so each sequence is joined once: the
    samples' sequences are numbered position by position on integer codes, and one
    sample of each number gives the text.

    Examples
    --------
    >>> join_by_sample(np.array([1, 0, 1]), np.array(["K+", "Na+", "Cl-"]), 3)
    array(['Na+', 'K+, Cl-', ''], dtype=object)
    """
    out = np.full(n, "", dtype=object)
    if not len(keys):
        return out
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object)[order])
    sample = keys[order]
    starts = np.flatnonzero(np.r_[True, sample[1:] != sample[:-1]])
    sizes = np.diff(np.r_[starts, len(sample)])
    seq = _sequence_numbers(codes, starts, sizes, len(uniques))
    numbers, first, inverse = np.unique(seq, return_index=True, return_inverse=True)
    names = [str(u) for u in uniques]
    texts = np.empty(len(numbers), dtype=object)
    texts[:] = [
        ", ".join(names[c] for c in codes[starts[g] : starts[g] + sizes[g]])
        for g in first
    ]
    out[sample[starts]] = texts[inverse.reshape(-1)]
    return out


def first_text(
    values: pd.Series, key: np.ndarray, n: int, *, skip_empty: bool = False
) -> np.ndarray:
    """Per sample, the first text of ``values`` in row order (None where none).

    ``key`` gives each row's sample, 0 .. n-1; missing values, and with
    ``skip_empty`` empty texts, are passed over, as a groupby's ``first`` does. A
    categorical is read by its codes and any other column by its factorized codes,
    so no text is made per row.

    >>> first_text(pd.Series([None, "b", "a"]), np.array([0, 0, 1]), 3).tolist()
    ['b', 'a', None]
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        labels = np.asarray(values.cat.categories, dtype=object)
    else:
        codes, labels = pd.factorize(values.to_numpy(dtype=object))
        labels = np.asarray(labels, dtype=object)
    valid = codes >= 0
    if skip_empty and len(labels):
        valid &= ~(labels == "")[np.where(valid, codes, 0)]
    rows = np.flatnonzero(valid)
    samples, first = np.unique(np.asarray(key)[rows], return_index=True)
    out = np.full(n, None, dtype=object)
    out[samples] = labels[codes[rows[first]]]
    return out


def _sequence_numbers(codes, starts, sizes, n_labels: int) -> np.ndarray:
    """A number per group of ``codes`` (group g: ``starts[g]``, ``sizes[g]`` long),
    equal for two groups exactly when their code sequences are equal.

    Position p renumbers the groups longer than p from (number, code at p), with
    numbers above every earlier one, so a group that ended keeps a number no longer
    group can reach.
    """
    seq = np.zeros(len(starts), dtype=np.int64)
    top = 1
    for p in range(int(sizes.max())):
        longer = np.flatnonzero(sizes > p)
        pair = seq[longer] * (n_labels + 1) + codes[starts[longer] + p]
        renumbered, uniq = pd.factorize(pair)
        seq[longer] = top + renumbered
        top += len(uniq)
    return seq


def categorical(codes: np.ndarray, labels) -> pd.Categorical:
    """``labels[codes]`` as a categorical (code -1 or a missing label: missing).

    The categories are the labels used, sorted: the same values give the same
    dtype whatever the labels' order or the rows' split.

    Examples
    --------
    >>> categorical(np.array([2, 0, 2, -1]), ["ok", "unused", "no_vm"]).tolist()
    ['no_vm', 'ok', 'no_vm', nan]
    >>> list(categorical(np.array([2, 0]), ["ok", "unused", "no_vm"]).categories)
    ['no_vm', 'ok']
    """
    codes = np.asarray(codes, dtype=np.int64)
    labels = list(labels)
    used = np.bincount(codes[codes >= 0], minlength=len(labels)) > 0
    texts = sorted({labels[i] for i in np.flatnonzero(used) if not pd.isna(labels[i])})
    position = {text: k for k, text in enumerate(texts)}
    remap = np.array(
        [-1 if pd.isna(x) else position.get(x, -1) for x in labels] + [-1],
        dtype=np.int64,
    )
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(texts))


def as_text(values: pd.Series) -> pd.Series:
    """``values.astype(str)``, each distinct text converted once when ``values`` is
    categorical (a big table's cell types, ions and statuses: converting row by row
    made millions of strings of a handful of texts). Missing values come out as
    ``astype(str)`` makes them on the installed pandas.

    Examples
    --------
    >>> texts = as_text(pd.Series(categorical(np.array([1, 0, 1]), ["a", "b"])))
    >>> texts.tolist() == pd.Series(["b", "a", "b"]).astype(str).tolist()
    True
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(str)
    # the texts of the categories and of a missing value, taken by code (-1: last)
    labels = pd.Series([*values.cat.categories, np.nan], dtype=object).astype(str)
    codes = values.cat.codes.to_numpy()
    return pd.Series(labels.array.take(codes), index=values.index, name=values.name)


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A code per row and the texts the codes stand for: ``texts[codes]`` is
    ``as_text(values)``, each distinct text once (a missing value, which pandas 3
    leaves missing, is one of them). A categorical's codes are its own: no text
    per row is made (counting, comparing or hashing a big table's labels).

    Examples
    --------
    >>> codes, texts = text_codes(pd.Series(categorical(np.array([1, 0, 1]), "ab")))
    >>> texts[codes].tolist()
    ['b', 'a', 'b']
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = pd.Series([*values.cat.categories, np.nan], dtype=object)
        codes = values.cat.codes.to_numpy().astype(np.intp)  # missing (-1): last
        return codes, as_text(labels).to_numpy(dtype=object)
    codes, texts = pd.factorize(as_text(values), use_na_sentinel=False)
    return codes, np.asarray(texts, dtype=object)


def combinations(parts) -> tuple[np.ndarray, list[tuple]]:
    """Per row, a code of its combination of values, and the values of each
    combination: ``parts`` are ``(codes, values)`` pairs (a code per row into its
    ``values``); a text made of several per-row parts is then made once per
    combination present, not once per row.

    Examples
    --------
    >>> code, found = combinations([(np.array([0, 1, 0]), ["a", "b"]),
    ...                             (np.array([1, 1, 1]), ["x", "y"])])
    >>> code.tolist(), found
    ([0, 1, 0], [('a', 'y'), ('b', 'y')])
    """
    codes = [np.asarray(c, dtype=np.int64) for c, _ in parts]
    n = len(codes[0]) if codes else 0
    key = np.zeros(n, dtype=np.int64)
    for c, (_, values) in zip(codes, parts, strict=True):
        key = key * len(values) + c
    code, keys = pd.factorize(key)
    found = []
    for k in keys.tolist():
        values = []
        for _, options in reversed(parts):
            k, c = divmod(k, len(options))
            values.append(options[c])
        found.append(tuple(reversed(values)))
    return code, found


def text_is(values: pd.Series, text: str) -> np.ndarray:
    """Per row, whether ``as_text(values)`` is ``text``, each distinct text compared
    once (:func:`text_codes`).

    Examples
    --------
    >>> text_is(pd.Series(categorical(np.array([1, 0, -1]), ["ok", "no_vm"])), "ok")
    array([False,  True, False])
    """
    codes, texts = text_codes(values)
    # Python's == on the few texts: numpy's would compare "\x00" as "" (it drops a
    # text's trailing null characters)
    same = np.fromiter((t == text for t in texts), dtype=bool, count=len(texts))
    return same[codes]


def text_in(values: pd.Series, texts) -> np.ndarray:
    """Per row, whether ``as_text(values)`` is one of ``texts``: by arrow's hash
    set over the rows (pandas' ``isin`` of a text column walked the texts sought
    in Python: 8 s for a table's 1.7 million sample ids), each distinct text
    asked once for a categorical.

    Examples
    --------
    >>> text_in(pd.Series(["s1", "s2", None]), {"s2", "s9"})
    array([False,  True, False])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    sought = set(texts)
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, labels = text_codes(values)
        found = np.fromiter(
            (t in sought for t in labels), dtype=bool, count=len(labels)
        )
        return found[codes]
    text = as_text(values)
    if isinstance(text.array, pd.arrays.ArrowStringArray):  # no object per row
        cells = pa.array(text.array)
    else:
        cells = pa.array(text.to_numpy(dtype=object), pa.string(), from_pandas=True)
    value_set = pa.array([t for t in sought if isinstance(t, str)], pa.string())
    found = pc.is_in(cells, value_set=value_set, skip_nulls=True)
    return found.to_numpy(zero_copy_only=False)  # a missing cell: False


def concat_tables(frames) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)``, a column categorical in every frame
    staying categorical (categories united, sorted, as :func:`categorical` makes
    them); pandas would turn categoricals of different categories into text."""
    frames = list(frames)
    joined = pd.concat(frames, ignore_index=True)
    for col in joined.columns:
        parts = [f[col].array for f in frames if col in f.columns]
        if len(parts) < len(frames) or isinstance(
            joined[col].dtype, pd.CategoricalDtype
        ):
            continue
        if all(isinstance(p, pd.Categorical) for p in parts):
            joined[col] = union_categoricals(parts, sort_categories=True)
    return joined
