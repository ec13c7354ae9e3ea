"""What changed: compare a dataset's potentials with the previous results.

When the pipeline keeps the previous ``results/<dataset>/`` beside the new one, the
report lists every potential that moved by more than :data:`CHANGE_ATOL_MV`, by how
much, and the rows that appeared or disappeared. Rows are matched on
(sample_id, ion); potentials compared are :data:`COMPARED_COLUMNS`, plus the
per-sample Donnan and GHK potentials (:data:`SAMPLE_COMPARED_COLUMNS`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CHANGE_ATOL_MV",
    "COMPARED_COLUMNS",
    "SAMPLE_COMPARED_COLUMNS",
    "Changes",
    "compare_potentials",
]

#: A potential that moved by more than this counts as changed, [mV].
CHANGE_ATOL_MV = 1e-6
#: Potential columns compared between the previous and the current results.
COMPARED_COLUMNS = ("E_conc_mV", "E_act_mV", "driving_force_mV", "vm_mV")
#: Per-sample potentials compared (from samples.parquet), [mV].
SAMPLE_COMPARED_COLUMNS = ("donnan_potential_mV", "vm_ghk_mV")
_KEYS = ["sample_id", "ion"]


@dataclass
class Changes:
    """Result of :func:`compare_potentials`.

    ``moved`` has one row per (sample_id, ion, quantity) that moved, with
    ``previous``, ``current`` and ``delta`` [mV] (current - previous), sorted by
    ``|delta|`` descending; ``added`` and ``removed`` list (sample_id, ion) keys.
    """

    available: bool
    message: str
    moved: pd.DataFrame = field(default_factory=pd.DataFrame)
    added: pd.DataFrame = field(default_factory=pd.DataFrame)
    removed: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_compared: int = 0


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal within CHANGE_ATOL_MV, with NaN == NaN and inf == inf of the same sign."""
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= CHANGE_ATOL_MV
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    return close | both_nan | same_inf


def _diff(cur: pd.DataFrame, prv: pd.DataFrame, keys: list[str], cols: list[str]):
    """Rows that moved, were added or removed, matching ``cur`` and ``prv`` on keys."""
    cur = cur[keys + cols].copy()
    prv = prv[[c for c in keys + cols if c in prv]].copy()
    for frame in (cur, prv):
        for k in keys:
            frame[k] = frame[k].astype(str)
    dup = cur.duplicated(keys).any() or prv.duplicated(keys).any()
    if dup:
        # Several rows per key: number them so the match stays one-to-one.
        cur["_k"] = cur.groupby(keys).cumcount()
        prv["_k"] = prv.groupby(keys).cumcount()
    on = [*keys, "_k"] if dup else keys
    merged = cur.merge(prv, on=on, how="outer", suffixes=("", "_prev"), indicator=True)
    added = merged.loc[merged["_merge"] == "left_only", keys].reset_index(drop=True)
    removed = merged.loc[merged["_merge"] == "right_only", keys].reset_index(drop=True)
    both = merged[merged["_merge"] == "both"]
    parts = []
    for c in cols:
        a = both[c].to_numpy(dtype=float)
        b = both[c + "_prev"].to_numpy(dtype=float)
        moved = ~_same(a, b)
        if moved.any():
            with np.errstate(invalid="ignore"):
                delta = a[moved] - b[moved]
            parts.append(
                pd.DataFrame(
                    {
                        "sample_id": both["sample_id"].to_numpy()[moved],
                        "ion": both["ion"].to_numpy()[moved]
                        if "ion" in keys
                        else "(per sample)",
                        "quantity": c,
                        "previous": b[moved],
                        "current": a[moved],
                        "delta": delta,
                    }
                )
            )
    return parts, added, removed, len(both)


def compare_potentials(
    current: pd.DataFrame,
    previous_dir: str | os.PathLike | None,
    samples: pd.DataFrame | None = None,
) -> Changes:
    """Compare ``current`` potentials with ``previous_dir/potentials.parquet``.

    Parameters
    ----------
    current : pandas.DataFrame
        The new potentials table.
    previous_dir : path or None
        Directory holding the previous results; None or absent means nothing to
        compare (said so in the page).
    samples : pandas.DataFrame, optional
        The new per-sample table; its :data:`SAMPLE_COMPARED_COLUMNS` (Donnan and
        GHK potentials) are compared with ``previous_dir/samples.parquet`` when both
        exist, matched on sample_id (``ion`` reads "(per sample)").

    Returns
    -------
    Changes
    """
    if previous_dir is None:
        return Changes(False, "No previous results were given for comparison.")
    prev_path = Path(previous_dir) / "potentials.parquet"
    if not prev_path.is_file():
        return Changes(
            False, f"No previous results at {prev_path}: this is the first rendering."
        )
    previous = pd.read_parquet(prev_path)
    cols = [c for c in COMPARED_COLUMNS if c in current and c in previous]
    parts, added, removed, n = _diff(current, previous, _KEYS, cols)
    prev_samples = Path(previous_dir) / "samples.parquet"
    if samples is not None and prev_samples.is_file() and "sample_id" in samples:
        old = pd.read_parquet(prev_samples)
        scols = [c for c in SAMPLE_COMPARED_COLUMNS if c in samples and c in old]
        if scols and "sample_id" in old:
            parts += _diff(samples, old, ["sample_id"], scols)[0]
    moved = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            columns=["sample_id", "ion", "quantity", "previous", "current", "delta"]
        )
    )
    if len(moved):
        order = np.argsort(
            -np.nan_to_num(np.abs(moved["delta"].to_numpy(float)), nan=np.inf),
            kind="stable",
        )
        moved = moved.iloc[order].reset_index(drop=True)
    if moved.empty and added.empty and removed.empty:
        msg = (
            f"No potential moved by more than {CHANGE_ATOL_MV:g} mV across {n:,} "
            f"matched rows compared with {prev_path}."
        )
    else:
        msg = (
            f"Compared with {prev_path}: {len(moved):,} value(s) moved by more than "
            f"{CHANGE_ATOL_MV:g} mV in {n:,} matched rows; {len(added):,} row(s) "
            f"added, {len(removed):,} removed."
        )
    return Changes(True, msg, moved, added, removed, n)
