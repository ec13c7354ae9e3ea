"""The "Model validity" box at the top of a dataset's report.

What a reader must know before citing a number, each with one state: ``ok``
(checked and clean), ``warn`` (checked, something to know), ``unknown`` (could not be
checked, said so) or ``note`` (an assumption, stated). The checks: the activity
model's ionic-strength range against the highest ionic strength seen, the
permeabilities behind V_GHK (measured or default), the assumptions of the Donnan
prediction, the liquid-junction-potential (LJP) status of the measured Vm, and the
tolerance under which a driving force counts as within noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from iongrad.physics.activity import MODEL_MAX_IONIC_STRENGTH
from iongrad.report import style
from iongrad.report.formats import fmt_mV, fmt_pm
from iongrad.report.ljp import ljp_counts
from iongrad.tables.ljp import DISAGREEMENT_MV
from iongrad.tables.locate import text_is

__all__ = ["CHECKED_COLUMNS", "Check", "permeability_ratios", "validity_checks"]

#: How each state reads in the box.
STATE_TEXT = {
    "ok": "✓ checked, clean",
    "warn": "⚠ check",
    "unknown": "? not checked",
    "note": "ℹ assumption",
}


@dataclass
class Check:
    """One line of the validity box: id, title, state, what was found, details."""

    id: str
    title: str
    state: str
    text: str
    details: list[str] = field(default_factory=list)

    @property
    def state_text(self) -> str:
        """The state in words (with its sign)."""
        return STATE_TEXT[self.state]


def _counts(values: pd.Series) -> dict[str, int]:
    """How many times each text of ``values`` occurs, in order of first occurrence
    (as ``collections.Counter`` counts, without a Python loop over the values)."""
    text = values.astype(str)
    counts = text.value_counts(sort=False)
    return {str(v): int(counts[v]) for v in text.unique()}


#: Per-sample LJP columns of the potentials table (:mod:`iongrad.tables.ljp`).
_LJP_KEYS = ("ljp_source", "ljp_status", "ljp_reason")
#: Columns of the potentials table the checks read, over every row.
CHECKED_COLUMNS = (
    "sample_id",
    "vm_mV",
    "ljp_corrected",
    *_LJP_KEYS,
    "activity_model",
    "activity_valid",
    "gamma_source",
    "ionic_strength_in_molal",
    "ionic_strength_out_molal",
)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(values, limit: int = 6) -> str:
    """``a, b, c`` (and how many more)."""
    if isinstance(values, pd.Series):  # first appearance order, without a loop
        values = values.dropna().unique()
    values = [str(v) for v in dict.fromkeys(values)]
    text = ", ".join(values[:limit])
    return text + (f" and {len(values) - limit} more" if len(values) > limit else "")


def permeability_ratios(carriers) -> str:
    """``P_K : P_Na : P_Cl = 1 : 0.05 : 0.45`` from the GHK results' ``ghk_ions``
    text (``"K+:1.0, Na+:0.05, Cl-:0.45"``); the text itself when it is not in
    that form, ``not recorded`` when missing.

    >>> permeability_ratios("K+:1.0, Na+:0.05, Cl-:0.45")
    'P_K+ : P_Na+ : P_Cl- = 1 : 0.05 : 0.45'
    """
    if not isinstance(carriers, str) or not carriers.strip():
        return "not recorded"
    pairs = [part.strip().rpartition(":") for part in carriers.split(",")]
    try:
        values = [float(v) for _, _, v in pairs]
    except ValueError:
        return carriers
    names = " : ".join(f"P_{ion.strip()}" for ion, _, _ in pairs)
    return f"{names} = {' : '.join(f'{v:g}' for v in values)}"


def _activity(pot: pd.DataFrame) -> Check:
    """The activity model's ionic-strength range against the data."""
    models = [str(m) for m in pot.get("activity_model", pd.Series()).dropna().unique()]
    if not models:
        return Check(
            "validity-activity",
            "Activity model",
            "unknown",
            "No activity model is recorded in the results.",
        )
    i_max = float(
        np.nanmax(
            pot[
                [
                    c
                    for c in ("ionic_strength_in_molal", "ionic_strength_out_molal")
                    if c in pot
                ]
            ].to_numpy(dtype=float),
            initial=np.nan,
        )
    )
    limits = [MODEL_MAX_IONIC_STRENGTH.get(m) for m in models]
    ranges = ", ".join(
        f"{m}: I ≤ {lim:g} mol/kg" if lim is not None else f"{m}: range not known"
        for m, lim in zip(models, limits, strict=True)
    )
    seen = (
        f"highest ionic strength here {i_max:.3g} mol/kg"
        if np.isfinite(i_max)
        else "no ionic strength computed"
    )
    if "activity_valid" not in pot:
        return Check(
            "validity-activity",
            "Activity model",
            "unknown",
            f"{ranges}; {seen}. Rows were not checked against the range.",
        )
    invalid = ~pot["activity_valid"].fillna(False).astype(bool)
    measured = int(
        text_is(pot.get("gamma_source", pd.Series(dtype=str)), "measured").sum()
    )
    details = (
        [f"{_plural(measured, 'row')} use measured activity coefficients."]
        if measured
        else []
    )
    if invalid.any():
        where = _names(pot.loc[invalid, "sample_id"])
        return Check(
            "validity-activity",
            "Activity model",
            "warn",
            f"{ranges}; {seen}. {int(invalid.sum())} of {len(pot)} rows are "
            f"outside the model's range (flagged in the tables): samples {where}.",
            details,
        )
    return Check(
        "validity-activity",
        "Activity model",
        "ok",
        f"{ranges}; {seen}: all {len(pot)} rows inside the range.",
        details,
    )


def _permeabilities(use, groups: pd.DataFrame) -> Check:
    """Which permeabilities V_GHK rests on; defaults get a warning."""
    title = "Permeabilities (GHK)"
    smp = use.frame
    if smp is None or "permeability_source" not in smp:
        return Check(
            "validity-permeability",
            title,
            "unknown",
            "No GHK results: permeabilities unknown.",
        )
    sources = _counts(smp["permeability_source"].fillna("none"))
    sets = _counts(smp.get("ghk_ions", pd.Series(dtype=str)).dropna())
    used = permeability_ratios(max(sets, key=sets.get) if sets else None)
    n = len(smp)
    gap = ""
    if (
        len(groups)
        and "vm_minus_ghk_n" in groups
        and (groups["vm_minus_ghk_n"] > 0).any()
    ):
        parts = [
            f"{fmt_pm(r['vm_minus_ghk_mean'], r['vm_minus_ghk_sd'], signed=True)} mV"
            for _, r in groups.iterrows()
            if r["vm_minus_ghk_n"] > 0
        ]
        gap = (
            " Vm − V_GHK (Vm corrected for the liquid junction potential where "
            f"known): {', '.join(parts)}."
        )
    defaults = sources.get("default", 0) + sources.get("table+default", 0)
    if defaults:
        return Check(
            "validity-permeability",
            title,
            "warn",
            f"Default relative permeabilities ({used}) for {defaults} of "
            f"{n} samples: the table gives none for this cell type, so V_GHK is a "
            f"generic estimate, not a prediction for these cells.{gap}",
            [
                "Give measured permeabilities (a permeability column) to predict Vm "
                "for this cell type."
            ],
        )
    return Check(
        "validity-permeability",
        title,
        "ok",
        f"Measured permeabilities from the table for all {n} samples ({used}).{gap}",
    )


def _donnan(use, settings: dict) -> Check:
    """The assumptions behind V_Donnan and the osmotic imbalance."""
    title = "Donnan equilibrium"
    smp = use.frame
    if smp is None or "donnan_potential_mV" not in smp:
        return Check("validity-donnan", title, "unknown", "No Donnan results.")
    source = _names(
        smp.get("impermeant_charge_source", pd.Series(["not recorded"])).dropna()
    )
    listed = smp.get("donnan_ions", pd.Series(dtype=str)).dropna().astype(str)
    listed = listed.unique()  # one text per distinct set of ions, not per sample
    ions = ", ".join(style.ion_order(i.strip() for t in listed for i in t.split(",")))
    model = _names(
        smp.get("donnan_activity_model", pd.Series(dtype=str)).dropna()
    ) or settings.get("activity_model", "not recorded")
    text = (
        f"Open system: the bath is fixed; only the permeant ions ({ions or 'none'}) "
        f"redistribute, passively (no pumps, no metabolism); the impermeant charge X "
        f"comes from the {source}; activity model in the solver: {model}. The "
        f"osmotic imbalance is that at Donnan equilibrium (ideal van 't Hoff)."
    )
    bad = ~smp["use_donnan"].to_numpy(dtype=bool)
    if bad.any():
        return Check(
            "validity-donnan",
            title,
            "warn",
            text
            + f" {int(bad.sum())} of {len(smp)} samples left out: "
            + _names(smp.loc[bad, "sample_id"])
            + ".",
        )
    return Check("validity-donnan", title, "note", text)


def _ljp(pot: pd.DataFrame) -> Check:
    """Whether the measured Vm was corrected for the liquid junction potential: here
    (from the recording solutions or the file's ljp_mV), in the file, not at all, or
    unreported; and whether a file's LJP disagrees with the computed one."""
    title = "Liquid junction potential"
    cols = [c for c in ("sample_id", "vm_mV", "ljp_corrected", *_LJP_KEYS) if c in pot]
    first = pot[cols].drop_duplicates("sample_id")
    vm = first["vm_mV"].astype(float)
    if not np.isfinite(vm.to_numpy()).any():
        return Check(
            "validity-ljp",
            title,
            "note",
            "No Vm measured: the LJP of the Vm measurement does not apply.",
        )
    counts = ljp_counts(first)
    if counts is None:
        return _ljp_flag_only(first[np.isfinite(vm.to_numpy())], title)
    parts = [
        (counts.corrected_here, "LJP corrected here (Vm − LJP)"),
        (counts.corrected_in_file, "LJP corrected in the file"),
        (counts.uncorrected_unknown, "not corrected, no LJP known"),
        (counts.unreported, "LJP correction unreported"),
    ]
    text = f"Measured Vm of {_plural(counts.with_vm, 'sample')}: " + ", ".join(
        f"{words} in {n}" for n, words in parts if n
    )
    if counts.disagree:
        text += (
            f"; in {counts.disagree} the file's LJP and the computed one differ by "
            f"more than {DISAGREEMENT_MV:g} mV"
        )
    doubt = counts.uncorrected_unknown + counts.unreported + counts.disagree
    if not doubt:
        return Check("validity-ljp", title, "ok", text + ".")
    return Check(
        "validity-ljp",
        title,
        "warn",
        text + ". Their driving forces and Vm − V_GHK, Vm − V_Donnan carry the "
        "status vm_ljp_uncorrected or vm_ljp_disagrees: an uncorrected junction "
        "potential shifts Vm by typically 2-16 mV (name the recording solutions in "
        "the config, or give ljp_mV).",
    )


def _ljp_flag_only(with_vm: pd.DataFrame, title: str) -> Check:
    """Results without LJP columns: what the table's ljp_corrected says."""
    if "ljp_corrected" not in with_vm:
        return Check(
            "validity-ljp",
            title,
            "unknown",
            "The table does not say whether Vm was corrected for the LJP.",
        )
    words = {"yes": "corrected", "no": "not corrected", "unreported": "unreported"}
    counts: dict[str, int] = {}
    for value, n in _counts(with_vm["ljp_corrected"].fillna("unreported")).items():
        word = words.get(value, value)
        counts[word] = counts.get(word, 0) + n
    text = "Measured Vm: " + ", ".join(
        f"LJP {k} in {_plural(v, 'sample')}" for k, v in counts.items()
    )
    if set(counts) == {"corrected"}:
        return Check("validity-ljp", title, "ok", text + ".")
    return Check(
        "validity-ljp",
        title,
        "warn",
        text + ". An uncorrected junction potential shifts Vm, and every "
        "driving force, by typically a few mV; these results hold no computed LJP.",
    )


def _tolerance(atol_mV: float | None) -> Check:
    """The tolerance under which a driving force is within noise."""
    title = "Direction of net flux"
    if atol_mV is None:
        return Check(
            "validity-tolerance",
            title,
            "unknown",
            "No tolerance recorded (config driving_force.atol_mV): a "
            "direction is stated whenever mean ± SD excludes 0 mV.",
        )
    return Check(
        "validity-tolerance",
        title,
        "note",
        f"Stated only when the mean driving force ± SD across samples is "
        f"clear of ±{fmt_mV(atol_mV)} mV (config driving_force.atol_mV); "
        f'otherwise "within noise".',
    )


def validity_checks(pot, use, groups, *, settings=None, atol_mV=None) -> list[Check]:
    """The checks of the validity box, in the order shown.

    Parameters
    ----------
    pot : pandas.DataFrame
        The potentials table (every row).
    use : iongrad.report.samples.SampleUse
        The samples and what of them is used.
    groups : pandas.DataFrame
        :func:`iongrad.report.samples.group_figures` output.
    settings : mapping, optional
        The dataset's settings (config); its ``donnan`` entry names the solver's
        activity model when the results do not.
    atol_mV : float, optional
        The driving-force tolerance in force, [mV].
    """
    donnan = dict((settings or {}).get("donnan") or {})
    return [
        _activity(pot),
        _permeabilities(use, groups),
        _donnan(use, donnan),
        _ljp(pot),
        _tolerance(atol_mV),
    ]
