"""The report's liquid junction potential section: the LJP per sample, and the GHK and
Donnan comparisons with Vm before and after the correction.

The numbers come from ``samples.parquet`` (:mod:`iongrad.tables.ljp`): the sign
convention is ``ljp_mV = phi_bath - phi_pipette`` and ``Vm corrected = Vm measured -
LJP applied``. The page shows the first rows of the per-sample table (like every
other table of the page); every sample's LJP columns are in the samples CSV beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from iongrad.report.samples import SampleUse
from iongrad.report.tables import MAX_TABLE_ROWS, Column, Table, frame_table

__all__ = [
    "LJP_COLUMNS",
    "LjpCounts",
    "before_after",
    "corrected_vm",
    "ljp_counts",
    "ljp_section",
]

#: The per-sample LJP table of the page.
LJP_COLUMNS = [
    Column("sample_id", "Sample"),
    Column("pipette_solution", "Pipette"),
    Column("bath_solution", "Bath"),
    Column("ljp_method", "Method"),
    Column("ljp_computed_mV", "LJP computed", "mV", fmt="+.2f"),
    Column("ljp_adjustment", "Adjusted for charge", missing=""),
    Column("ljp_file_mV", "LJP in file", "mV", fmt="+.2f"),
    Column("ljp_difference_mV", "File − computed", "mV", fmt="+.2f"),
    Column("ljp_applied_mV", "LJP applied", "mV", fmt="+.2f"),
    Column("ljp_source", "Applied from"),
    Column("vm_mV", "Vm measured", "mV", kind="mV"),
    Column("vm_corrected_mV", "Vm corrected", "mV", kind="mV"),
    Column("ljp_state", "LJP status"),
]
#: The comparisons shown before and after the correction: (label, prediction, use).
_COMPARED = (
    ("Vm − V_GHK", "vm_ghk_mV", "use_ghk"),
    ("Vm − V_Donnan", "donnan_potential_mV", "use_donnan"),
)


@dataclass(frozen=True)
class LjpCounts:
    """Samples with a measured Vm, by what was done about their junction potential."""

    with_vm: int
    corrected_here: int
    corrected_in_file: int
    uncorrected_unknown: int
    unreported: int
    disagree: int


def corrected_vm(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` with ``vm_mV`` replaced by ``vm_corrected_mV`` (when it has one), for
    the figures that draw Vm against predictions."""
    if frame is None or "vm_corrected_mV" not in frame:
        return frame
    return frame.assign(vm_mV=frame["vm_corrected_mV"])


def ljp_counts(samples: pd.DataFrame | None) -> LjpCounts | None:
    """How many samples with a Vm were corrected here, corrected in the file, left
    uncorrected with no LJP known, or unreported; and how many file LJPs disagree
    with the computed one. None when the results hold no LJP columns."""
    if samples is None or "ljp_status" not in samples:
        return None
    vm = samples["vm_mV"].astype(float).to_numpy()
    s = samples[np.isfinite(vm)]
    source = s["ljp_source"].astype(str)
    corrected = (
        s["ljp_corrected"].astype(str).str.lower()
        if "ljp_corrected" in s
        else pd.Series("unreported", index=s.index)
    )
    return LjpCounts(
        with_vm=len(s),
        corrected_here=int(source.isin(["file", "computed"]).sum()),
        corrected_in_file=int((corrected == "yes").sum()),
        uncorrected_unknown=int(((corrected == "no") & (source == "none")).sum()),
        unreported=int((~corrected.isin(["yes", "no"])).sum()),
        disagree=int((s["ljp_status"].astype(str) == "vm_ljp_disagrees").sum()),
    )


def before_after(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Mean ± SD of Vm − V_GHK and Vm − V_Donnan over the samples that count, with
    the measured Vm (before) and the LJP-corrected Vm (after), and over how many."""
    if frame is None or "vm_corrected_mV" not in frame:
        return []
    out = []
    for label, pred, use in _COMPARED:
        if pred not in frame:
            continue
        keep = frame[use].to_numpy(dtype=bool) if use in frame else True
        p = frame[pred].astype(float)
        before = (frame["vm_mV"].astype(float) - p)[keep]
        after = (frame["vm_corrected_mV"].astype(float) - p)[keep]
        before, after = before[np.isfinite(before)], after[np.isfinite(after)]
        if not len(before):
            continue
        out.append(
            {
                "label": label,
                "n": len(after),
                "before": (float(before.mean()), _sd(before)),
                "after": (float(after.mean()), _sd(after)),
            }
        )
    return out


def _sd(values: pd.Series) -> float:
    return float(values.std()) if len(values) > 1 else float("nan")


def _flag(record: dict, key: str, cell) -> None:
    status = str(record.get("ljp_status") or "")
    if key in ("ljp_state", "vm_corrected_mV") and status not in ("ok", "no_vm"):
        cell.cls = "flag"
        cell.title = str(record.get("ljp_reason") or status)
    if key == "ljp_difference_mV" and status == "vm_ljp_disagrees":
        cell.cls = "flag"


def ljp_section(
    use: SampleUse, csv_href: str | None, samples_table: Table | None = None
) -> dict[str, Any]:
    """The section's context: ``ljp_table`` (first rows, or None without LJP
    columns), ``ljp_counts``, ``ljp_before_after``. The full rows are those of the
    samples table (``samples_table``): its CSV, or the results file it names when
    the CSV holds only a summary."""
    frame = use.frame
    if frame is None or "ljp_status" not in frame:
        return {"ljp_table": None, "ljp_counts": None, "ljp_before_after": []}
    shown = frame.iloc[:MAX_TABLE_ROWS].copy()  # the rows the table shows
    reason = shown["ljp_reason"].fillna("").astype(str)
    status = shown["ljp_status"].astype(str)
    shown["ljp_state"] = np.where(reason != "", status + ": " + reason, status)
    table: Table = frame_table(
        shown,
        [c for c in LJP_COLUMNS if c.key in shown.columns],
        id="ljp",
        caption="Liquid junction potential per sample (LJP = φ_bath − φ_pipette; "
        "Vm corrected = Vm measured − LJP applied)",
        csv_href=csv_href,
        flags=_flag,
        extra=("ljp_status", "ljp_reason"),
    )
    table.total_rows = len(frame)
    if samples_table is not None and samples_table.elsewhere:
        table.elsewhere = samples_table.elsewhere
        table.csv_label = samples_table.csv_label
        table.row_limit = samples_table.row_limit
    return {
        "ljp_table": table,
        "ljp_counts": ljp_counts(frame),
        "ljp_before_after": before_after(use.predictions()),
    }
