"""What a sample must contain for a sample-level prediction, and what it lacks.

A sample-level prediction (GHK potential, Donnan equilibrium, pump-leak balance,
osmotic imbalance) computed from part of a sample is a wrong number, not a rough
one: the GHK potential of a sample whose K+ and Na+ rows were rejected is E_Cl. The
rules of each prediction are in :mod:`iongrad.tables.samples`; this module holds the
two checks they share:

* completeness: the optional per-row columns ``sample_complete`` (False when
  validation rejected any row of the sample; absent means complete) and
  ``sample_rejected`` (the rejected rows in words) give :data:`INCOMPLETE`;
* missing ions: a required ion without a row in the sample gives
  :data:`MISSING_IONS`, the ions named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from iongrad.canonical import SampleIndex, bool_column
from iongrad.tables.locate import first_text, join_by_sample

__all__ = [
    "COMPLETENESS_COLUMNS",
    "INCOMPLETE",
    "MISSING_IONS",
    "Completeness",
    "apply_requirements",
    "completeness",
    "join_problems",
    "missing_names",
    "rows_of",
]

#: Status of every sample-level prediction of a sample that lost rows to validation.
INCOMPLETE = "incomplete_sample"
#: Status of a prediction whose sample lacks an ion (or side) it needs.
MISSING_IONS = "missing_ions"
#: Optional per-row columns saying whether validation rejected rows of the sample.
COMPLETENESS_COLUMNS = ("sample_complete", "sample_rejected")


@dataclass(frozen=True)
class Completeness:
    """Per sample: ``complete`` (bool) and ``rejected`` (the rejected rows, text)."""

    complete: np.ndarray
    rejected: np.ndarray

    @property
    def reason(self) -> np.ndarray:
        """Reason text of :data:`INCOMPLETE` per sample ('' for complete samples)."""
        named = np.where(self.rejected != "", ": " + self.rejected, " (not named)")
        text = "validation rejected rows of this sample, so it is incomplete" + named
        return np.where(self.complete, "", text).astype(object)


def completeness(df: pd.DataFrame, idx: SampleIndex) -> Completeness:
    """Whether each sample of ``df`` is complete, and its rejected rows in words.

    A sample is incomplete when any of its rows has ``sample_complete`` False; its
    ``sample_rejected`` text is the first non-empty one among its rows. Without the
    columns every sample is complete.
    """
    row_complete = bool_column(df, "sample_complete", True)
    complete = np.bincount(idx.key, weights=~row_complete, minlength=idx.n) == 0
    rejected = np.full(idx.n, "", dtype=object)
    if "sample_rejected" in df.columns and idx.n:
        first = first_text(df["sample_rejected"], idx.key, idx.n, skip_empty=True)
        rejected = np.where(pd.isna(first), "", first)
    return Completeness(complete=complete, rejected=rejected)


def rows_of(df: pd.DataFrame, idx: SampleIndex, symbols) -> dict[str, np.ndarray]:
    """Per symbol: whether each sample has a row of that ion (any row, any flags)."""
    ions = df["ion"].astype(str).to_numpy()
    return {s: np.bincount(idx.key[ions == s], minlength=idx.n) > 0 for s in symbols}


def missing_names(has: dict[str, np.ndarray], n: int, needed=None) -> np.ndarray:
    """Comma-joined symbols without a row, per sample ('' when none is missing).

    ``has`` as returned by :func:`rows_of`; ``needed`` (bool per sample, default
    all) limits the check to some samples.
    """
    names = list(has)
    if not names:
        return np.full(n, "", dtype=object)
    lacking = np.column_stack([~has[s] for s in names])
    if needed is not None:
        lacking &= needed[:, None]
    rows, cols = np.nonzero(lacking)
    return join_by_sample(rows, np.asarray(names, dtype=object)[cols], n)


def join_problems(n: int, problems) -> np.ndarray:
    """'; '-joined texts per sample from ``(mask, text)`` pairs ('' where none).

    ``text`` is a string or an object array of one text per sample.
    """
    out = np.full(n, "", dtype=object)
    for mask, text in problems:
        text = np.broadcast_to(np.asarray(text, dtype=object), (n,))
        joined = np.where(out != "", out + "; " + text, text)
        out = np.where(mask, joined, out).astype(object)
    return out


def apply_requirements(status, reason, lacking, lacking_reason, comp: Completeness):
    """Statuses and reasons with the requirements applied, and where they failed.

    ``status`` and ``reason`` are the computed labels per sample; ``lacking`` (bool)
    marks samples that miss what the prediction needs (status
    :data:`MISSING_IONS`, reason ``lacking_reason``); incomplete samples get
    :data:`INCOMPLETE` and the rejected rows whatever else they lack. Returns new
    ``(status, reason, failed)`` arrays.
    """
    status = np.where(lacking, MISSING_IONS, status).astype(object)
    reason = np.where(lacking, lacking_reason, reason).astype(object)
    status = np.where(comp.complete, status, INCOMPLETE).astype(object)
    reason = np.where(comp.complete, reason, comp.reason).astype(object)
    return status, reason, lacking | ~comp.complete
