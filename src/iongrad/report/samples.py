"""Which samples count, and their Vm, GHK and Donnan figures per cell type and
temperature.

Vm is the measured Vm corrected for the liquid junction potential
(``vm_corrected_mV`` of :mod:`iongrad.tables.ljp`) when the results have it: every
comparison with a prediction uses it.

A sample whose status is not ``ok`` is shown, with why, and left out of the means
and plots it would distort: a sample marked incomplete (``sample_complete`` false,
for instance because some of its rows were rejected) or with a ``sample_status``
other than ``ok`` counts nowhere; a sample whose GHK (``ghk_status``) or Donnan
(``donnan_status``) solution is not ``ok`` is left out of that prediction only.
Status columns that a results table does not have are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from iongrad.canonical import bool_column
from iongrad.tables.locate import combinations, text_codes, text_is

__all__ = ["SampleUse", "group_figures", "sample_use"]

#: The figures of one cell type and temperature: (name, column or difference);
#: ``vm_mV`` stands for the LJP-corrected Vm when the results have one.
_FIGURES = (
    ("vm", "vm_mV", None),
    ("ghk", "vm_ghk_mV", None),
    ("donnan", "donnan_potential_mV", None),
    ("vm_minus_ghk", "vm_mV", "vm_ghk_mV"),
    ("vm_minus_donnan", "vm_mV", "donnan_potential_mV"),
)


@dataclass
class SampleUse:
    """samples.parquet with what the report may use of each sample.

    ``frame`` adds ``use_sample``, ``use_ghk``, ``use_donnan`` (booleans) and
    ``left_out`` (why a sample, or one of its predictions, is not used; empty when
    all is used). ``excluded`` are the sample ids left out of every mean and plot.
    """

    frame: pd.DataFrame | None
    excluded: set[str]

    def predictions(self) -> pd.DataFrame | None:
        """The samples with each unusable prediction (and the Vm of an unusable
        sample) set to NaN, for means and plots."""
        if self.frame is None:
            return None
        # columns are replaced, never written into: a shallow copy, not a second
        # copy of a big table's samples
        out = self.frame.copy(deep=False)
        for col, use in (
            ("vm_mV", "use_sample"),
            ("vm_corrected_mV", "use_sample"),
            ("vm_ghk_mV", "use_ghk"),
            ("donnan_potential_mV", "use_donnan"),
        ):
            if col in out:
                out[col] = out[col].astype(float).where(out[use])
        return out


def _status_ok(frame: pd.DataFrame, column: str) -> np.ndarray:
    """True where ``column`` is ``ok`` (or where the table has no such column)."""
    if column not in frame:
        return np.ones(len(frame), dtype=bool)
    return text_is(frame[column], "ok")


#: Why a sample with rejected rows is left out.
INCOMPLETE = "incomplete (rows of this sample were rejected)"


def _reasons(frame: pd.DataFrame, complete, sample_ok, ghk_ok, donnan_ok):
    """Why each sample (or one of its predictions) is left out, in words: a ``str``
    array, each distinct reason written once and spread to its samples (a big table
    has a million samples, and a text object each took 0.8 GB the report kept).

    The reasons of a sample are joined with ``"; "``: that it is incomplete, its
    ``sample_status``, and ``GHK <ghk_status>: <ghk_reason>`` and the same for
    Donnan, each where its check is not ok.
    """
    n = len(frame)
    # (a code per sample, the text of each code; code 0: nothing to say)
    parts = [(np.where(complete, 0, 1), ["", INCOMPLETE])]
    if not sample_ok.all():
        codes, texts = text_codes(frame["sample_status"])
        said = ["", *(f"sample status {t}" for t in texts)]
        parts.append((np.where(sample_ok, 0, codes + 1), said))
    for ok, name, prefix in ((ghk_ok, "GHK", "ghk"), (donnan_ok, "Donnan", "donnan")):
        if ok.all():
            continue
        status = text_codes(frame[f"{prefix}_status"][~ok])
        reason = (np.zeros(len(status[0]), dtype=np.intp), [""])
        if f"{prefix}_reason" in frame:
            reason = text_codes(frame[f"{prefix}_reason"][~ok].fillna(""))
        code, pairs = combinations([status, reason])
        codes = np.zeros(n, dtype=np.int64)
        codes[~ok] = code + 1
        said = [f"{name} {s}: {r}" if r != "" else f"{name} {s}" for s, r in pairs]
        parts.append((codes, ["", *said]))
    row_combo, found = combinations(parts)
    texts = ["; ".join(t for t in said if t) for said in found]
    taken = pa.array(texts, type=pa.large_string()).take(row_combo)
    return pd.array(taken, dtype="str")


def sample_use(samples: pd.DataFrame | None) -> SampleUse:
    """Mark what the report may use of each sample (see the module docstring)."""
    if samples is None:
        return SampleUse(None, set())
    frame = samples.reset_index(drop=True)  # a new frame: columns are only added
    complete = bool_column(frame, "sample_complete", True)
    sample_ok = _status_ok(frame, "sample_status")
    ghk_ok, donnan_ok = (
        _status_ok(frame, "ghk_status"),
        _status_ok(frame, "donnan_status"),
    )
    use = complete & sample_ok
    frame["use_sample"] = use
    frame["use_ghk"] = use & ghk_ok
    frame["use_donnan"] = use & donnan_ok
    frame["left_out"] = _reasons(frame, complete, sample_ok, ghk_ok, donnan_ok)
    excluded = (
        set(frame.loc[~use, "sample_id"].astype(str)) if "sample_id" in frame else set()
    )
    return SampleUse(frame, excluded)


def group_figures(predictions: pd.DataFrame | None) -> pd.DataFrame:
    """Per (cell_type, temperature_K): mean, SD and n of Vm (LJP-corrected), V_GHK,
    V_Donnan and of Vm − V_GHK and Vm − V_Donnan over the samples that count.

    ``predictions`` is :meth:`SampleUse.predictions` (unusable values NaN). Columns
    ``<name>_mean``, ``<name>_sd``, ``<name>_n`` for each name of vm, ghk, donnan,
    vm_minus_ghk, vm_minus_donnan; SD is NaN for n < 2.
    """
    keys = ["cell_type", "temperature_K"]
    if predictions is None or not set(keys) <= set(predictions.columns):
        return pd.DataFrame(columns=keys)
    df = pd.DataFrame(
        {
            "cell_type": predictions["cell_type"].astype(str),
            "temperature_K": predictions["temperature_K"].astype(float).round(6),
        }
    )
    if "vm_corrected_mV" in predictions:  # every comparison uses the corrected Vm
        predictions = predictions.assign(vm_mV=predictions["vm_corrected_mV"])
    for name, a, b in _FIGURES:
        if a not in predictions or (b is not None and b not in predictions):
            df[name] = np.nan
            continue
        v = predictions[a].astype(float)
        df[name] = v - predictions[b].astype(float) if b is not None else v
    g = df.groupby(keys, sort=True)
    names = [name for name, _, _ in _FIGURES]
    stats = {}
    for name in names:
        stats[f"{name}_mean"] = g[name].mean()
        stats[f"{name}_sd"] = g[name].std()
        stats[f"{name}_n"] = g[name].count()
    return pd.DataFrame(stats).reset_index()
