"""What changed: compare a dataset's results with a snapshot of the previous ones.

After each rendering the report keeps, in ``previous_dir``
(``results/<dataset>/previous/``), a snapshot whose size does not grow with the table
(:func:`build_snapshot`, :func:`keep_snapshot`; the file names are
:data:`iongrad.files.PREVIOUS_SNAPSHOT`):

* ``values.parquet``: the compared values (:data:`COMPARED_COLUMNS` per sample and
  ion, :data:`SAMPLE_COMPARED_COLUMNS` per sample) of at most :data:`TRACKED_ROWS`
  potentials rows: every row of a dataset up to that size, else the rows of a fixed
  subset of its samples, those with the smallest hash of their id (so the same
  samples are tracked from one run to the next);
* ``snapshot.json``: the SHA-256 of each result file; per (cell type, temperature,
  ion) the number of rows and the mean of each compared potential; the count of each
  status; and, when not every row is tracked, the fingerprints of :data:`N_BUCKETS`
  groups of samples (a sample falls in a group by the hash of its id; a group's
  fingerprint adds up hashes of its samples' compared values rounded to
  :data:`CHANGE_ATOL_MV`), from which the number of changed samples has a lower
  bound.

:func:`compare` lists every tracked value that moved by more than CHANGE_ATOL_MV and
by how much, and the tracked rows (sample_id, ion) that appeared or disappeared; for
a dataset with more rows than are tracked, it also counts the sample groups whose
fingerprint differs and lists the (cell type, temperature, ion) whose mean moved.
Full copies kept by earlier versions (``potentials.parquet`` and ``samples.parquet``
in ``previous_dir``) are read as the previous results once, and removed when the new
snapshot is kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iongrad import files
from iongrad.report.tables import finite
from iongrad.tables.locate import as_text, text_codes

__all__ = [
    "CHANGE_ATOL_MV",
    "COMPARED_COLUMNS",
    "N_BUCKETS",
    "SAMPLE_COMPARED_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "TRACKED_ROWS",
    "Changes",
    "Snapshot",
    "build_snapshot",
    "compare",
    "compare_potentials",
    "keep_snapshot",
    "load_snapshot",
]

#: A potential that moved by more than this counts as changed, [mV].
CHANGE_ATOL_MV = 1e-6
#: Potential columns compared between the previous and the current results.
COMPARED_COLUMNS = ("E_conc_mV", "E_act_mV", "driving_force_mV", "vm_mV")
#: Per-sample potentials compared (from samples.parquet), [mV].
SAMPLE_COMPARED_COLUMNS = ("donnan_potential_mV", "vm_ghk_mV")
#: Potentials rows whose values the snapshot keeps one by one (as many as the
#: companion CSVs hold in full: what a person reads row by row).
TRACKED_ROWS = 10_000
#: Sample groups fingerprinted when not every row is tracked: 16,384 x 8 bytes.
N_BUCKETS = 1 << 14
#: Cell types x temperatures x ions whose means the snapshot keeps.
MAX_GROUPS = 2_000
#: The ``ion`` of a per-sample value.
PER_SAMPLE = "(per sample)"
#: Result files whose SHA-256 the snapshot keeps.
CHECKED_FILES = (
    "potentials.parquet",
    "samples.parquet",
    "donnan.parquet",
    "temperature_scan.parquet",
    "validation.json",
)
#: Full copies kept by earlier versions, read once as the previous results.
LEGACY_FILES = ("potentials.parquet", "samples.parquet")
_FORMAT = 1
_KEYS = ["sample_id", "ion", "quantity", "k"]
_GROUP_KEYS = ["cell_type", "temperature_K", "ion"]
#: Columns of the potentials table a snapshot reads (and every ``*_status``).
SNAPSHOT_COLUMNS = ("sample_id", *_GROUP_KEYS, *COMPARED_COLUMNS)
#: A fixed text whose hash is kept: when the hash function changes, fingerprints and
#: the tracked subset are not compared (they would all differ).
_PROBE = "iongrad what-changed probe"


@dataclass
class Snapshot:
    """What is kept of one rendering: ``meta`` (JSON) and the tracked ``values``
    (sample_id, ion, quantity, k, value; k numbers repeated (sample_id, ion))."""

    meta: dict[str, Any]
    values: pd.DataFrame


@dataclass
class Changes:
    """Result of :func:`compare`.

    ``moved`` has one row per tracked (sample_id, ion, quantity) that moved, with
    ``previous``, ``current`` and ``delta`` [mV] (current - previous), sorted by
    ``|delta|`` descending; ``added`` and ``removed`` list (sample_id, ion) keys;
    ``groups`` the (cell type, temperature, ion) means that moved (datasets with
    more rows than are tracked); ``files_changed`` / ``files_unchanged`` the result
    files by checksum; ``notes`` further sentences (status counts, fingerprints).
    """

    available: bool
    message: str
    moved: pd.DataFrame = field(default_factory=pd.DataFrame)
    added: pd.DataFrame = field(default_factory=pd.DataFrame)
    removed: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_compared: int = 0
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    files_changed: list[str] = field(default_factory=list)
    files_unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- hashing
def _hash_text(values) -> np.ndarray:
    """A 64-bit hash of each text (pandas' fixed-key SipHash: the same in every
    process), computed once per distinct text (a categorical's: once per category)."""
    codes, texts = text_codes(pd.Series(values))
    return pd.util.hash_array(texts, categorize=False)[codes]


def _mix(h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Hash of the pair (h, x) for arrays of uint64."""
    with np.errstate(over="ignore"):
        return pd.util.hash_array(h * np.uint64(0x9E3779B97F4A7C15) + x)


def _quantized(values: np.ndarray) -> np.ndarray:
    """Values rounded to CHANGE_ATOL_MV as uint64 (NaN and infinities get codes)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        q = np.clip(np.round(v / CHANGE_ATOL_MV), -(2.0**62), 2.0**62)
    q = np.where(np.isfinite(v), q, 0).astype(np.int64)
    q[np.isnan(v)] = -(2**63)
    q[v == np.inf] = 2**62 + 1
    q[v == -np.inf] = -(2**62) - 1
    return q.view(np.uint64)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checksums(results_dir: Path | None, provenance: dict | None) -> dict[str, str]:
    """SHA-256 of each of CHECKED_FILES in ``results_dir``: the one provenance.json
    recorded when it is newer than the file and of the file's size, else computed."""
    if results_dir is None:
        return {}
    prov = Path(results_dir) / "provenance.json"
    known = {}
    for rec in ((provenance or {}).get("outputs") or {}).values():
        if isinstance(rec, dict) and rec.get("path") and rec.get("sha256"):
            known[Path(str(rec["path"])).name] = rec
    out = {}
    for name in CHECKED_FILES:
        path = Path(results_dir) / name
        if not path.is_file():
            continue
        stat, rec = path.stat(), known.get(name)
        fresh = (
            rec is not None
            and rec.get("bytes") == stat.st_size
            and prov.is_file()
            and prov.stat().st_mtime >= stat.st_mtime
        )
        out[name] = str(rec["sha256"]) if fresh else _sha256(path)
    return out


# -------------------------------------------------------------------------- snapshot
def _tracked(unique_hashes: np.ndarray, n_rows: int) -> int | None:
    """The largest sample hash tracked, for about TRACKED_ROWS rows of the samples
    with the smallest hashes (None: every row is tracked)."""
    if n_rows <= TRACKED_ROWS:
        return None
    per_sample = n_rows / max(1, len(unique_hashes))
    k = int(min(len(unique_hashes), max(1, TRACKED_ROWS // per_sample)))
    return int(np.partition(unique_hashes, k - 1)[k - 1])


def _long(frame: pd.DataFrame, ion, cols: list[str], keys: list[str]) -> pd.DataFrame:
    """One row per (row of ``frame``, column of ``cols``): the values frame."""
    k = frame.groupby(keys, sort=False).cumcount().to_numpy() if len(frame) else []
    sample = frame["sample_id"].astype(str).to_numpy(dtype=object)
    ions = frame["ion"].astype(str).to_numpy(dtype=object) if ion is None else ion
    parts = [
        pd.DataFrame(
            {
                "sample_id": sample,
                "ion": ions,
                "quantity": c,
                "k": k,
                "value": frame[c].to_numpy(dtype=float),
            }
        )
        for c in cols
    ]
    empty = pd.DataFrame(columns=[*_KEYS, "value"])
    return pd.concat(parts, ignore_index=True) if parts else empty


def _groups(pot: pd.DataFrame, cols: list[str]) -> list[dict]:
    """Per (cell type, temperature, ion): rows and the mean of each finite column.

    The columns are grouped in place (not copied into a new frame), a categorical
    key by its codes, its categories its sorted texts: the groups, their order and
    their means are those of grouping every row by its texts."""
    df = pd.DataFrame(
        {
            "cell_type": _text_key(pot["cell_type"]),
            "temperature_K": pot["temperature_K"].astype(float).round(6),
            "ion": _text_key(pot["ion"]),
            **{c: finite(pot[c]) for c in cols},
        },
        index=pot.index,
        copy=False,
    )
    g = df.groupby(_GROUP_KEYS, sort=True, observed=True)
    out = pd.DataFrame({f"{c}_mean": g[c].mean() for c in cols}, index=g.size().index)
    out.insert(0, "rows", g.size())
    out = out.reset_index().iloc[:MAX_GROUPS]
    for key in ("cell_type", "ion"):  # texts, as the snapshot stores them
        out[key] = out[key].astype(object)
    return out.to_dict("records")


def _text_key(values: pd.Series) -> pd.Series:
    """``as_text(values)`` to group by: a categorical stays one (its categories
    their texts, sorted, so that it groups and sorts as the texts do)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return as_text(values)
    codes, texts = text_codes(values)
    per_code, labels = pd.factorize(texts, sort=True)  # a missing text: missing
    labels = pd.Index(labels, dtype=object)
    return pd.Series(
        pd.Categorical.from_codes(per_code[codes], labels), index=values.index
    )


def _statuses(*frames: pd.DataFrame | None) -> dict[str, dict[str, int]]:
    """Count of each value of every status column."""
    out = {}
    for frame in frames:
        if frame is None:
            continue
        for col in frame.columns:
            if str(col) == "status" or str(col).endswith("_status"):
                counts = _text_key(frame[col]).value_counts(sort=False)
                out[str(col)] = {str(k): int(v) for k, v in counts.items() if v}
    return out


def _fingerprints(
    pot: pd.DataFrame,
    cols: list[str],
    samples: pd.DataFrame | None,
    scols: list[str],
    pot_hash: np.ndarray,
    s_hash: np.ndarray | None = None,
) -> np.ndarray:
    """Per sample group, the sum of the hashes of its rows' compared values
    (``pot_hash``, ``s_hash``: the hashes of the potentials' and the samples'
    sample ids)."""
    buckets = np.zeros(N_BUCKETS, dtype=np.uint64)
    h = _mix(pot_hash, _hash_text(pot["ion"]))
    for c in cols:
        h = _mix(h, _quantized(pot[c].to_numpy(dtype=float)))
    np.add.at(buckets, pot_hash >> np.uint64(50), h)
    if samples is not None and scols and "sample_id" in samples:
        if s_hash is None:
            s_hash = _hash_text(samples["sample_id"])
        h = _mix(s_hash, np.full(len(samples), 1, dtype=np.uint64))
        for c in scols:
            h = _mix(h, _quantized(samples[c].to_numpy(dtype=float)))
        np.add.at(buckets, s_hash >> np.uint64(50), h)
    return buckets


def build_snapshot(
    pot: pd.DataFrame,
    samples: pd.DataFrame | None = None,
    *,
    results_dir: str | os.PathLike | None = None,
    provenance: dict | None = None,
) -> Snapshot:
    """The snapshot of one rendering (see the module docstring)."""
    cols = [c for c in COMPARED_COLUMNS if c in pot]
    if samples is not None and "sample_id" not in samples:
        samples = None
    scols = [c for c in SAMPLE_COMPARED_COLUMNS if samples is not None and c in samples]
    pot_hash = _hash_text(pot["sample_id"])
    unique = pd.unique(pot_hash)
    threshold = _tracked(unique, len(pot))
    keep = slice(None) if threshold is None else pot_hash <= np.uint64(threshold)
    values = [_long(pot.loc[keep], None, cols, ["sample_id", "ion"])]
    s_hash = None
    if samples is not None and scols:
        s_keep = slice(None)
        if threshold is not None:
            s_hash = _hash_text(samples["sample_id"])
            s_keep = s_hash <= np.uint64(threshold)
        values.append(_long(samples.loc[s_keep], PER_SAMPLE, scols, ["sample_id"]))
    meta = {
        "format": _FORMAT,
        "rendered_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": len(pot),
        "samples": len(unique),
        "quantities": cols + scols,
        "probe": str(_hash_text([_PROBE])[0]),
        "tracked_below": None if threshold is None else str(threshold),
        "files": _checksums(
            Path(results_dir) if results_dir is not None else None, provenance
        ),
        "groups": _groups(pot, cols),
        "statuses": _statuses(pot, samples),
    }
    if threshold is not None:
        prints = _fingerprints(pot, cols, samples, scols, pot_hash, s_hash)
        meta["fingerprints"] = base64.b64encode(prints.astype("<u8").tobytes()).decode()
    frame = pd.concat(values, ignore_index=True)
    return Snapshot(meta, frame.astype({"k": np.int64, "value": float}))


def keep_snapshot(snapshot: Snapshot, previous_dir: str | os.PathLike) -> None:
    """Write ``snapshot`` into ``previous_dir`` (each file atomically) and remove
    the full copies earlier versions kept there."""
    folder = Path(previous_dir)
    folder.mkdir(parents=True, exist_ok=True)
    json_name, values_name = files.PREVIOUS_SNAPSHOT
    files.write_parquet(folder / values_name, snapshot.values)
    files.write_json(folder / json_name, snapshot.meta)
    for name in LEGACY_FILES:
        (folder / name).unlink(missing_ok=True)


def load_snapshot(previous_dir: str | os.PathLike) -> Snapshot | None:
    """The snapshot kept in ``previous_dir`` (or built from the full copies of an
    earlier version); None when there is none."""
    folder = Path(previous_dir)
    json_name, values_name = files.PREVIOUS_SNAPSHOT
    if (folder / json_name).is_file() and (folder / values_name).is_file():
        try:
            meta = json.loads((folder / json_name).read_text(encoding="utf-8"))
            values = pd.read_parquet(folder / values_name)
        except (OSError, ValueError):
            return None  # unreadable: compared as a first rendering, then replaced
        if meta.get("format") == _FORMAT:
            return Snapshot(meta, values)
    legacy_pot, legacy_samples = (folder / name for name in LEGACY_FILES)
    if legacy_pot.is_file():
        old = pd.read_parquet(legacy_pot)
        old_samples = (
            pd.read_parquet(legacy_samples) if legacy_samples.is_file() else None
        )
        return build_snapshot(old, old_samples)
    return None


# ------------------------------------------------------------------------ comparing
def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal within CHANGE_ATOL_MV, with NaN == NaN and inf == inf of the same sign."""
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= CHANGE_ATOL_MV
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    return close | both_nan | same_inf


def _common(cur: Snapshot, prev: Snapshot) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The values of both snapshots that can be compared: quantities both have, of
    the samples both track."""
    quantities = set(cur.meta["quantities"]) & set(prev.meta["quantities"])
    limits = [s.meta.get("tracked_below") for s in (cur, prev)]
    limits = [int(x) for x in limits if x is not None]
    out = []
    for snap in (cur, prev):
        v = snap.values
        v = v[v["quantity"].isin(quantities)]
        if limits:
            v = v[_hash_text(v["sample_id"]) <= np.uint64(min(limits))]
        out.append(v.astype({"sample_id": str, "ion": str, "quantity": str}))
    return out[0], out[1]


def _value_changes(cur: Snapshot, prev: Snapshot):
    """(moved, added, removed, matched rows) of the tracked values."""
    a, b = _common(cur, prev)
    merged = a.merge(b, on=_KEYS, how="outer", suffixes=("", "_prev"), indicator=True)
    rows = ["sample_id", "ion", "k"]
    per_row = merged[merged["ion"] != PER_SAMPLE].drop_duplicates(rows)
    added = per_row.loc[per_row["_merge"] == "left_only", ["sample_id", "ion"]]
    removed = per_row.loc[per_row["_merge"] == "right_only", ["sample_id", "ion"]]
    n = int((per_row["_merge"] == "both").sum())
    both = merged[merged["_merge"] == "both"]
    now, then = both["value"].to_numpy(float), both["value_prev"].to_numpy(float)
    moved = ~_same(now, then)
    with np.errstate(invalid="ignore"):
        delta = now[moved] - then[moved]
    table = pd.DataFrame(
        {
            "sample_id": both["sample_id"].to_numpy()[moved],
            "ion": both["ion"].to_numpy()[moved],
            "quantity": both["quantity"].to_numpy()[moved],
            "previous": then[moved],
            "current": now[moved],
            "delta": delta,
        }
    )
    order = {q: i for i, q in enumerate(COMPARED_COLUMNS + SAMPLE_COMPARED_COLUMNS)}
    table = table.sort_values(
        "quantity", key=lambda q: q.map(order), kind="stable"
    ).reset_index(drop=True)
    if len(table):
        size = np.nan_to_num(np.abs(table["delta"].to_numpy(float)), nan=np.inf)
        table = table.iloc[np.argsort(-size, kind="stable")].reset_index(drop=True)
    return (
        table,
        added.reset_index(drop=True),
        removed.reset_index(drop=True),
        n,
    )


def _group_changes(cur: Snapshot, prev: Snapshot) -> pd.DataFrame:
    """The (cell type, temperature, ion) whose row count or mean moved."""
    a, b = pd.DataFrame(cur.meta["groups"]), pd.DataFrame(prev.meta["groups"])
    if a.empty or b.empty:
        return pd.DataFrame()
    m = a.merge(b, on=_GROUP_KEYS, suffixes=("", "_prev"))
    parts = []
    for q in COMPARED_COLUMNS:
        col = f"{q}_mean"
        if col not in m or f"{col}_prev" not in m:
            continue
        now, then = m[col].to_numpy(float), m[f"{col}_prev"].to_numpy(float)
        hit = ~_same(now, then) | (m["rows"] != m["rows_prev"]).to_numpy()
        part = m.loc[hit, [*_GROUP_KEYS, "rows_prev", "rows"]].copy()
        part["quantity"], part["previous"], part["current"] = q, then[hit], now[hit]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(out):
        out["delta"] = out["current"] - out["previous"]
        out["temperature_C"] = out["temperature_K"] - 273.15
    return out


def _fingerprint_note(cur: Snapshot, prev: Snapshot) -> str:
    """How many sample groups' fingerprints differ, in words ("" when every row is
    tracked on both sides)."""
    if cur.meta.get("tracked_below") is None and prev.meta.get("tracked_below") is None:
        return ""
    total = f"{cur.meta['samples']:,}"
    comparable = (
        "fingerprints" in cur.meta
        and "fingerprints" in prev.meta
        and cur.meta["quantities"] == prev.meta["quantities"]
        and cur.meta["probe"] == prev.meta["probe"]
    )
    if not comparable:
        return (
            f"The samples beyond the tracked ones ({total} samples in all) cannot be "
            "compared one by one: the previous snapshot recorded them differently."
        )
    a, b = (
        np.frombuffer(base64.b64decode(s.meta["fingerprints"]), dtype="<u8")
        for s in (cur, prev)
    )
    differ = int((a != b).sum())
    if not differ:
        return (
            f"Over all {total} samples, the fingerprints of the {N_BUCKETS:,} sample "
            "groups are unchanged: no sample changed, appeared or disappeared."
        )
    return (
        f"Over all {total} samples, the fingerprints of {differ:,} of {N_BUCKETS:,} "
        f"sample groups differ: at least {differ:,} sample(s) changed, appeared or "
        "disappeared (each group holds about "
        f"{max(1, round(cur.meta['samples'] / N_BUCKETS)):,} samples)."
    )


def _status_notes(cur: Snapshot, prev: Snapshot) -> list[str]:
    """Status counts that changed, one sentence per status column."""
    notes = []
    for col, now in cur.meta["statuses"].items():
        then = prev.meta["statuses"].get(col)
        if then is None or then == now:
            continue
        moved = [
            f"{label} {then.get(label, 0):,} → {now.get(label, 0):,}"
            for label in dict.fromkeys([*then, *now])
            if then.get(label, 0) != now.get(label, 0)
        ]
        notes.append(f"{col}: {', '.join(moved)}.")
    return notes


def compare(
    current: Snapshot | None, previous_dir: str | os.PathLike | None
) -> Changes:
    """Compare the snapshot of this rendering with the one kept in
    ``previous_dir``; None or nothing kept means nothing to compare (said so)."""
    if previous_dir is None or current is None:
        return Changes(False, "No previous results were given for comparison.")
    where = Path(previous_dir) / files.PREVIOUS_SNAPSHOT[0]
    prev = load_snapshot(previous_dir)
    if prev is None:
        return Changes(
            False, f"No previous results at {where}: this is the first rendering."
        )
    if prev.meta.get("probe") != current.meta["probe"]:
        return Changes(
            False,
            f"The previous results at {where} were recorded with another hash "
            "function: nothing is compared this time.",
        )
    moved, added, removed, n = _value_changes(current, prev)
    subset = current.meta.get("tracked_below") or prev.meta.get("tracked_below")
    if moved.empty and added.empty and removed.empty:
        msg = (
            f"No {'tracked ' if subset else ''}potential moved by more than "
            f"{CHANGE_ATOL_MV:g} mV across {n:,} matched rows compared with {where}."
        )
    else:
        msg = (
            f"Compared with {where}: {len(moved):,} {'tracked ' if subset else ''}"
            f"value(s) moved by more than {CHANGE_ATOL_MV:g} mV in {n:,} matched "
            f"rows; {len(added):,} row(s) added, {len(removed):,} removed."
        )
    if subset:
        msg += (
            f" Rows tracked value by value: those of a fixed subset of samples, at "
            f"most {TRACKED_ROWS:,} of the {current.meta['rows']:,}."
        )
    before, now = prev.meta.get("files") or {}, current.meta.get("files") or {}
    both = [name for name in now if name in before]
    notes = [_fingerprint_note(current, prev), *_status_notes(current, prev)]
    return Changes(
        True,
        msg,
        moved,
        added,
        removed,
        n,
        groups=_group_changes(current, prev) if subset else pd.DataFrame(),
        files_changed=[f for f in both if before[f] != now[f]],
        files_unchanged=[f for f in both if before[f] == now[f]],
        notes=[note for note in notes if note],
    )


def compare_potentials(
    current: pd.DataFrame,
    previous_dir: str | os.PathLike | None,
    samples: pd.DataFrame | None = None,
) -> Changes:
    """:func:`compare` for a potentials table (and its samples table) as they are."""
    return compare(build_snapshot(current, samples), previous_dir)
