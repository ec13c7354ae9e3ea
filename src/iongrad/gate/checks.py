"""Named checks for the measurement contract (``schemas/measurements.yaml``).

The YAML contract refers to checks by name; this module is the registry that maps the
names to vectorized functions. Column checks take a :class:`pandas.Series` and return a
boolean Series (True = passes); table checks take the whole DataFrame and return a
boolean Series aligned to its rows. NaN cells pass column checks (nullability is a
separate rule), so a missing value is never reported twice.

Cross-row (per-sample) checks mark *every* row of a failing sample, so lenient mode
quarantines the whole sample rather than an arbitrary one of its rows.

Examples
--------
>>> import pandas as pd
>>> get_check("in_range")(pd.Series([1.0, 5.0, float("nan")]), min=0, max=2).tolist()
[True, False, True]
>>> get_check("in_range")(pd.Series([0.0, 1e-30, 1.0]), min=1e-9, max=2,
...                       allow_zero=True).tolist()
[True, False, True]
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iongrad.canonical import SAMPLE_KEYS, sample_index
from iongrad.gate.text import may_have_edge_space
from iongrad.ions import all_ions

__all__ = [
    "BIG_TABLE",
    "EXPLAIN",
    "CheckSpec",
    "bath_imbalance",
    "distinct_cells",
    "get_check",
    "ion_factorized",
    "is_elementwise",
    "is_per_sample",
    "is_per_value",
    "map_distinct",
    "register",
    "registered",
    "sample_codes",
    "table_reads",
]

CheckSpec = Callable[..., pd.Series]

_REGISTRY: dict[str, tuple[str, CheckSpec]] = {}
_ELEMENTWISE: dict[str, bool] = {}  # elementwise check -> per_value
_READS: dict[str, tuple[str, ...]] = {}  # table check -> columns it reads itself
#: table check -> whether its verdicts (and explanations) are its sample's alone
_PER_SAMPLE: dict[str, bool | Callable[[dict], bool]] = {}


def register(
    name: str,
    kind: str,
    *,
    elementwise: bool = False,
    per_value: bool = False,
    reads: tuple[str, ...] = (),
    per_sample: bool | Callable[[dict], bool] = False,
) -> Callable[[CheckSpec], CheckSpec]:
    """Register ``func`` under ``name``; ``kind`` is ``"column"`` or ``"table"``.

    A table check declares the columns it ``reads`` beside those its parameters
    name (``column``, ``columns``) and :func:`sample_codes`' (:func:`table_reads`):
    the table rules of a table with errors run on a copy of its clean rows that
    holds those columns only. ``per_sample=True`` (or a function of the rule's
    parameters saying so) declares a table check whose verdict on a row, and its
    explanation, depend on the rows of that row's sample alone
    (:func:`is_per_sample`).

    ``elementwise=True`` declares a column check whose verdict on a cell depends on
    that cell's value alone, so it may see each distinct value once instead of every
    cell; leave it False for anything that looks at other rows. ``per_value=True``
    (implies elementwise) says the check hashes the column to judge each distinct
    value (:func:`map_distinct`), so handing it fewer cells saves that hashing.
    """
    if kind not in {"column", "table"}:  # pragma: no cover - programming error
        raise ValueError(f"check kind must be 'column' or 'table', not {kind!r}")
    elementwise = elementwise or per_value
    if elementwise and kind != "column":  # pragma: no cover - programming error
        raise ValueError("only column checks can be elementwise")

    def decorate(func: CheckSpec) -> CheckSpec:
        if name in _REGISTRY:  # pragma: no cover - programming error
            raise ValueError(f"check {name!r} registered twice")
        _REGISTRY[name] = (kind, func)
        if elementwise:
            _ELEMENTWISE[name] = per_value
        if kind == "table":
            _READS[name] = tuple(reads)
            _PER_SAMPLE[name] = per_sample
        return func

    return decorate


def is_elementwise(name: str) -> bool:
    """True when check ``name`` judges each cell by its value alone (see register)."""
    return name in _ELEMENTWISE


def is_per_value(name: str) -> bool:
    """True when check ``name`` hashes its column to judge each value once."""
    return _ELEMENTWISE.get(name, False)


def get_check(name: str, kind: str | None = None) -> CheckSpec:
    """Return the check function registered as ``name`` (optionally of ``kind``)."""
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown check {name!r}; registered checks: {known}")
    found_kind, func = _REGISTRY[name]
    if kind is not None and found_kind != kind:
        raise KeyError(f"check {name!r} is a {found_kind} check, not a {kind} check")
    return func


def is_per_sample(check: str, params: dict) -> bool:
    """True when table check ``check`` with ``params`` judges each row by the rows
    of its sample alone (:func:`sample_codes`): removing or changing another
    sample's rows changes none of its verdicts."""
    rule = _PER_SAMPLE[check]
    return rule(params) if callable(rule) else rule


def table_reads(check: str, params: dict) -> list[str]:
    """The columns table check ``check`` reads with ``params``: those it declares
    (:func:`register`), those its parameters name and the sample keys and ion,
    which the table rules' runner reads for every check."""
    named = [params["column"]] if "column" in params else []
    return [*SAMPLE_KEYS, "ion", *_READS[check], *named, *params.get("columns", [])]


def registered() -> dict[str, str]:
    """Return ``{name: kind}`` for every registered check."""
    return {name: kind for name, (kind, _) in _REGISTRY.items()}


def map_distinct(values, func: Callable, missing, dtype=object, *, factorized=None):
    """Apply ``func`` once per distinct non-missing value; missing -> ``missing``.

    A million-row column of a few dozen ions costs a few dozen calls. With
    ``dtype="str"`` the result is a ``str`` Series built by one arrow ``take``, or
    ``values`` itself (a ``str`` Series mapped onto itself: nothing to build).
    ``factorized`` is ``pd.factorize(values)`` when the caller has it already.

    Examples
    --------
    >>> map_distinct(pd.Series(["a", None, "a"]), str.upper, "-").tolist()
    ['A', '-', 'A']
    """
    if factorized is None:
        factorized = pd.factorize(pd.Series(values), use_na_sentinel=True)
    codes, uniques = factorized
    mapped = [func(u) for u in uniques] + [missing]
    if isinstance(dtype, str) and dtype == "str":
        if (
            isinstance(values, pd.Series)
            and values.dtype == _STR
            and all(
                type(m) is str and m == u
                for m, u in zip(mapped[:-1], uniques, strict=True)
            )
            and (missing is None or not (codes < 0).any())
        ):
            return pd.Series(values.array)  # identity: same cells, RangeIndex
        codes = np.where(codes < 0, len(mapped) - 1, codes)
        return pd.Series(pd.array(mapped, dtype="str").take(codes))
    table = np.array(mapped, dtype=dtype)
    return table[codes]  # code -1 (missing) picks the last entry


#: pandas' default string dtype (what ``dtype="str"`` gives).
_STR = pd.array([], dtype="str").dtype


# --------------------------------------------------------------------- column checks
@register("in_range", "column", elementwise=True)
def in_range(
    s: pd.Series,
    *,
    min: float,
    max: float,
    include_min: bool = True,
    include_max: bool = True,
    allow_zero: bool = False,
) -> pd.Series:
    """Value within ``[min, max]`` (open ends with ``include_min/max=False``).

    ``allow_zero=True`` lets exactly 0 pass whatever the range: a concentration
    range starts above 0 (a smaller non-zero value is a unit mistake) while 0 means
    the ion is absent.
    """
    v = s.to_numpy(dtype=float, na_value=np.nan)
    lo = v >= min if include_min else v > min
    hi = v <= max if include_max else v < max
    ok = (lo & hi) | np.isnan(v)
    if allow_zero:
        ok |= v == 0
    return pd.Series(ok, index=s.index)


@register("nonnegative_finite", "column", elementwise=True)
def nonnegative_finite(s: pd.Series) -> pd.Series:
    """Value finite and >= 0 (NaN passes: it means not measured)."""
    v = s.to_numpy(dtype=float, na_value=np.nan)
    return pd.Series((np.isfinite(v) & (v >= 0)) | np.isnan(v), index=s.index)


@register("isin", "column", elementwise=True)
def isin(s: pd.Series, *, values: list) -> pd.Series:
    """Value is one of ``values``."""
    return s.isin(values) | s.isna()


@register("matches", "column", per_value=True)
def matches(s: pd.Series, *, pattern: str) -> pd.Series:
    """Text fully matches the regular expression ``pattern``."""
    regex = re.compile(pattern)
    ok = map_distinct(s, lambda u: bool(regex.fullmatch(str(u))), True, bool)
    return pd.Series(ok, index=s.index)


@register("not_blank", "column", elementwise=True)
def not_blank(s: pd.Series) -> pd.Series:
    """Text is not empty or whitespace (checked once per distinct value)."""
    if s.dtype == _STR and len(s) >= BIG_TABLE:
        # arrow text: blank = empty or whitespace only (arrow's Unicode whitespace,
        # which its trim, ``str.strip`` below, removes), without stripped copies;
        # a whitespace-only cell starts with whitespace, so without such cells
        # (the usual case) the empty ones are the blank ones
        cells = pa.array(s.array)
        blank = pc.equal(pc.binary_length(cells), 0)
        if may_have_edge_space(s):
            blank = pc.or_(blank, pc.utf8_is_space(cells))
        ok = pc.invert(blank).fill_null(True)  # missing passes
        return pd.Series(ok.to_numpy(zero_copy_only=False), index=s.index)
    if pd.api.types.is_string_dtype(s.dtype):
        return (s.str.strip() != "").fillna(True).astype(bool)
    ok = map_distinct(s, lambda u: bool(str(u).strip()), True, bool)
    return pd.Series(ok, index=s.index)


@register("known_ion", "column", elementwise=True)
def known_ion(s: pd.Series) -> pd.Series:
    """Value is a canonical symbol of the ion registry."""
    return s.isin([ion.symbol for ion in all_ions()]) | s.isna()


# ---------------------------------------------------------------------- table checks
@register("valence_matches_registry", "table", reads=("valence",), per_sample=True)
def valence_matches_registry(df: pd.DataFrame) -> pd.Series:
    """``valence`` equals the registry valence of ``ion`` (unknown ions pass here)."""
    registry = {ion.symbol: ion.valence for ion in all_ions()}
    expected = map_distinct(
        df["ion"],
        lambda u: registry.get(u, np.nan),
        np.nan,
        float,
        factorized=ion_factorized(df),
    )
    ok = np.isnan(expected) | (df["valence"].to_numpy() == expected)
    return pd.Series(ok, index=df.index)


@register("any_present", "table", per_sample=True)
def any_present(df: pd.DataFrame, *, columns: list[str]) -> pd.Series:
    """At least one of ``columns`` is not NaN."""
    return df[columns].notna().any(axis=1)


@register(  # within a sample when the sample keys are among the columns
    "unique_rows", "table", per_sample=lambda p: set(SAMPLE_KEYS) <= set(p["columns"])
)
def unique_rows(df: pd.DataFrame, *, columns: list[str]) -> pd.Series:
    """No other row has the same values in ``columns`` (all duplicates fail)."""
    if list(columns[:2]) == SAMPLE_KEYS and len(columns) == 3:
        # fast path on integer codes: (sample, third column)
        if columns[2] == "ion":
            codes, uniques = ion_factorized(df)
            third = np.where(codes < 0, len(uniques), codes)  # missing: a value
        else:
            third, _ = pd.factorize(df[columns[2]], use_na_sentinel=False)
        key = sample_codes(df).astype(np.int64) * (int(third.max(initial=0)) + 1)
        key += third
        if len(key) and int(key.max()) < 4 * len(key) + 1024:
            # dense keys: count them (O(n), no hashing)
            dup = np.bincount(key)[key] > 1
        else:
            dup = pd.Series(key).duplicated(keep=False).to_numpy()
        return pd.Series(~dup, index=df.index)
    return ~df.duplicated(subset=columns, keep=False)


def ion_factorized(df: pd.DataFrame) -> tuple[np.ndarray, object]:
    """``pd.factorize(df["ion"])`` (code -1 = missing), computed once per table.

    :func:`iongrad.gate.validation.validate_file` stores the ion column once more as a
    categorical ``_ion`` column (the same cells), whose codes and categories every
    per-ion check reuses instead of hashing a million strings again.
    """
    if "_ion" in df:
        cat = df["_ion"].array
        return np.asarray(cat.codes, dtype=np.intp), cat.categories
    return pd.factorize(df["ion"], use_na_sentinel=True)


def sample_codes(df: pd.DataFrame) -> np.ndarray:
    """Integer code of each row's sample (:data:`~iongrad.canonical.SAMPLE_KEYS`).

    The numbering is :func:`iongrad.canonical.sample_index`'s (order of first
    appearance, a missing key is a value of its own); a small table is numbered in
    plain Python and a big one by its runs of equal keys, which give the same codes
    faster. :func:`iongrad.gate.validation.validate_file` stores the codes in a
    ``_sample`` column so that every per-sample check reuses them.
    """
    if "_sample" in df:
        return df["_sample"].to_numpy()
    n = len(df)
    if n <= _SMALL:
        return _codes_by_dict(df)
    if n < _RUNS_FROM:
        return _codes_by_grouping(df)
    return _codes_by_runs(df)


def _codes_by_grouping(df: pd.DataFrame) -> np.ndarray:
    """The plain definition: :func:`iongrad.canonical.sample_index`'s codes."""
    return sample_index(df[SAMPLE_KEYS].reset_index(drop=True)).key


def _codes_by_dict(df: pd.DataFrame) -> np.ndarray:
    """Sample codes from one dict in Python (beats pandas' grouping set-up for a
    small table)."""
    columns = []
    for key in SAMPLE_KEYS:
        missing = df[key].isna().to_numpy()
        values = df[key].to_numpy(dtype=object)
        columns.append(
            [_MISSING if m else v for v, m in zip(values, missing, strict=True)]
        )
    seen: dict = {}
    return np.fromiter(
        (seen.setdefault(k, len(seen)) for k in zip(*columns, strict=True)),
        dtype=np.int64,
        count=len(df),
    )


def _codes_by_runs(df: pd.DataFrame) -> np.ndarray:
    """Sample codes from the first row of each run of equal keys.

    Rows of a sample usually come together: number the first row of each run of
    equal keys only, and give every row its run's code. Same numbering (order of
    first appearance) as grouping all rows; a missing key starts a run of its own.
    """
    n = len(df)
    new = np.zeros(n, dtype=bool)
    new[0] = True
    # ``ordered``: each row's keys >= the previous row's, in lexicographic order
    # (built from the last key to the first; a missing value compares False)
    ordered = np.ones(n - 1, dtype=bool)
    for key in reversed(SAMPLE_KEYS):
        col = df[key].reset_index(drop=True)
        if col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype):
            # objects (None beside texts) and categories have no order of their
            # own: their codes do (a total order agreeing with equality is all
            # the runs need; a missing key is code -1)
            col = pd.Series(pd.factorize(col)[0])
        if _constant(col):  # e.g. one dataset: no runs, no order
            continue
        a, b = col.iloc[1:], col.iloc[:-1]
        equal = _pairwise(a, b, "eq")
        new[1:] |= ~equal
        ordered = _pairwise(a, b, "gt") | (equal & ordered)
    run = np.cumsum(new) - 1
    if ordered.all():
        # sorted by sample: runs of equal keys strictly increase, so every run
        # is a sample of its own
        return run
    heads = np.flatnonzero(new)
    return _codes_by_grouping(df[SAMPLE_KEYS].iloc[heads])[run]


def distinct_cells(s: pd.Series) -> pd.Series:
    """Cells of ``s`` that hold each of its distinct values at least once.

    For a long text column, its first cell when all are equal, else the first cell
    of each run of equal neighbours (a column sorted or grouped by sample has few
    runs), kept when that halves the column at least; otherwise ``s`` itself. An
    elementwise check (:func:`is_elementwise`) passes on the result exactly when it
    passes on ``s``.

    Examples
    --------
    >>> cells = pd.Series(["a"] * 3000 + ["b"] * 3000 + ["a"], dtype="str")
    >>> distinct_cells(cells).tolist()
    ['a', 'b', 'a']
    """
    n = len(s)
    if n < BIG_TABLE or s.dtype != _STR:
        return s
    if _constant(s):  # one value (a file's dataset name, say)
        return s.iloc[:1]
    head = np.ones(n, dtype=bool)
    head[1:] = ~_pairwise(s.iloc[1:], s.iloc[:-1], "eq")
    return s[head] if np.count_nonzero(head) <= n // 2 else s


def _constant(col: pd.Series) -> bool:
    """Every cell holds the first cell's value (and that is not missing)."""
    first = col.iloc[0]
    if pd.isna(first):
        return False
    if col.dtype == _STR:  # arrow's kernel, without pandas' scalar comparison
        cells = pa.array(col.array)
        same = pc.equal(cells, pa.scalar(first, cells.type))
        return cells.null_count == 0 and bool(pc.all(same).as_py())
    return bool(col.eq(first).all())


def _pairwise(a: pd.Series, b: pd.Series, op: str) -> np.ndarray:
    """Element-wise ``a <op> b`` by position; a missing value compares False."""
    out = getattr(a.reset_index(drop=True), op)(b.reset_index(drop=True))
    return out.to_numpy(dtype=bool, na_value=False)


#: Table size from which :func:`sample_codes` numbers runs rather than all rows.
_RUNS_FROM = 5_000
#: Rows from which the fast paths for big tables (scans of arrow's buffers, runs of
#: equal cells, the reader's factors) are taken; below, their set-up costs more
#: than they save, and the plain paths run.
BIG_TABLE = 5_000
#: Table size up to which :func:`sample_codes` numbers samples in plain Python.
_SMALL = 2_000
#: Stands for a missing key in :func:`_codes_by_dict` (all missing values are one).
_MISSING = object()


def _per_sample_sum(codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum ``weights`` over each sample and broadcast back to its rows."""
    return np.bincount(codes, weights=weights)[codes]


@register("one_value_per_sample", "table", per_sample=True)
def one_value_per_sample(
    df: pd.DataFrame, *, column: str, ignore_missing: bool = False
) -> pd.Series:
    """Every row of a sample has the same ``column`` value.

    A missing value counts as a value of its own unless ``ignore_missing``: a sample
    fails when its present values differ, or (not ignoring) when it mixes present
    and missing values.
    """
    codes = rows = sample_codes(df)  # ``codes`` may lose missing rows below
    n = len(codes)
    groups = int(codes.max(initial=-1)) + 1
    col = df[column].reset_index(drop=True)
    is_float = pd.api.types.is_float_dtype(col.dtype)
    if is_float:
        values = col.to_numpy(dtype=float)
        missing = np.isnan(values)
    else:
        missing = col.isna().to_numpy()
    inner = codes[1:] == codes[:-1]  # row i + 1 belongs to row i's sample
    bad = np.zeros(groups, dtype=bool)
    if n > 1 and n - int(np.count_nonzero(inner)) == groups:
        # Every sample is one block of rows: compare each row with the previous
        # one (no hashing of text). Ignoring missing values, drop them first: the
        # blocks stay blocks.
        if ignore_missing and missing.any():
            kept = ~missing
            codes, col = codes[kept], col[kept].reset_index(drop=True)
            values = values[kept] if is_float else None
            inner = codes[1:] == codes[:-1]
            missing = np.zeros(len(codes), dtype=bool)
        if is_float:
            same = values[1:] == values[:-1]
        else:
            same = _pairwise(col.iloc[1:], col.iloc[:-1], "eq")
        same = same | (missing[1:] & missing[:-1])
        bad[codes[1:][inner & ~same]] = True
        return pd.Series(~bad[rows], index=df.index)
    # General order: per sample the extremes of the present values, plus whether
    # it has present and missing ones.
    if not is_float:
        values, _ = pd.factorize(col, use_na_sentinel=True)  # missing: -1
    low = np.where(missing, np.inf, values.astype(float))
    high = np.where(missing, -np.inf, low)
    mins = np.full(groups, np.inf)
    maxs = np.full(groups, -np.inf)
    np.minimum.at(mins, codes, low)
    np.maximum.at(maxs, codes, high)
    bad = maxs > mins
    if not ignore_missing:
        has_missing = np.bincount(codes[missing], minlength=groups) > 0
        has_present = np.bincount(codes[~missing], minlength=groups) > 0
        bad |= has_missing & has_present
    return pd.Series(~bad[codes], index=df.index)


@register(
    "bath_electroneutral", "table", reads=("c_out_mM", "valence"), per_sample=True
)
def bath_electroneutral(df: pd.DataFrame, *, tolerance: float) -> pd.Series:
    r"""Bath charge balance of each sample within ``tolerance`` (a fraction).

    .. math:: \left|\sum_i z_i c_{out,i}\right| \le t \sum_i |z_i|\, c_{out,i}

    summed over the sample's rows with a measured ``c_out_mM``; samples without at
    least one measured cation and one measured anion outside are not judged.
    """
    codes, z, c = _bath_terms(df)
    groups = int(codes.max(initial=-1)) + 1

    def per_sample(weights):  # one sum per sample (bath_imbalance's sums)
        return np.bincount(codes, weights=weights, minlength=groups)

    charge, total = per_sample(z * c), per_sample(np.abs(z) * c)
    cations = per_sample(((z > 0) & (c > 0)).astype(float))
    anions = per_sample(((z < 0) & (c > 0)).astype(float))
    judged = (cations > 0) & (anions > 0)
    ok = ~judged | (np.abs(charge) <= tolerance * total)
    return pd.Series(ok[codes], index=df.index)


def bath_imbalance(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the sample's bath charge sum z c_out and sum |z| c_out, [mM]."""
    codes, z, c = _bath_terms(df)
    return _per_sample_sum(codes, z * c), _per_sample_sum(codes, np.abs(z) * c)


def _bath_terms(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample codes, valences z and bath concentrations c_out [mM] (non-finite: 0)."""
    c = df["c_out_mM"].to_numpy(dtype=float)
    return (
        sample_codes(df),
        df["valence"].to_numpy(dtype=float),
        np.where(np.isfinite(c), c, 0.0),
    )


def _explain_bath(df: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
    """Per failing row, its sample's bath sums in words: one text per sample,
    shared by the sample's rows (a big table fails at a million rows)."""
    charge, total = bath_imbalance(df)
    _, first, per_row = np.unique(
        sample_codes(df)[idx], return_index=True, return_inverse=True
    )
    at = idx[first]  # a failing row of each failing sample
    sample = df["sample_id"].take(at).to_numpy(dtype=object)
    texts = [
        f"sample {s!r}: sum z c_out = {q:+.3g} mM "
        f"of {t:.3g} mM ({100 * abs(q) / t:.1f} %)"
        for s, q, t in zip(sample, charge[at], total[at], strict=True)
    ]
    return np.asarray(texts, dtype=object)[per_row.ravel()]


#: Optional per-failure detail for table checks: name -> f(df, failing indices),
#: the texts as an object array (one per index).
EXPLAIN: dict[str, Callable[[pd.DataFrame, np.ndarray], np.ndarray]] = {
    "bath_electroneutral": _explain_bath,
}


@register("compartment_limits", "table", per_sample=True)
def compartment_limits(
    df: pd.DataFrame, *, column: str, limits: dict[str, float]
) -> pd.Series:
    """``column`` at or below a per-ion upper limit.

    ``limits`` maps ion symbols to limits, plus ``"default"`` for the other ions.
    Non-finite values pass (the finiteness rule reports them).
    """
    per_ion = {k: float(v) for k, v in limits.items() if k != "default"}
    default = float(limits.get("default", np.inf))
    limit = map_distinct(
        df["ion"],
        lambda u: per_ion.get(u, default),
        default,
        float,
        factorized=ion_factorized(df),
    )
    v = df[column].to_numpy(dtype=float)
    return pd.Series(~(np.isfinite(v) & (v > limit)), index=df.index)
