"""Per-row potentials of the canonical table: Nernst, activity-corrected, driving force.

:func:`compute_potentials` turns the canonical measurement table into the potentials
table (one row per sample x ion); :func:`temperature_scan` repeats it at the
configured temperatures. The formulas are :mod:`iongrad.physics.nernst` and
:mod:`iongrad.physics.activity`; this module only feeds them whole columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from iongrad.constants import celsius_to_kelvin
from iongrad.physics.nernst import (
    CURRENT_LABELS,
    FLUX_LABELS,
    NOT_FINITE,
    OK,
    STATUS_LABELS,
    STATUS_REASONS,
    electrochemical_state,
    nernst_potential,
)
from iongrad.tables.activity import activity_table
from iongrad.tables.ljp import ljp_columns

__all__ = ["DRIVING_FORCE_REASONS", "compute_potentials", "temperature_scan"]

#: Status of the driving force Vm - E_act per row, and its reason.
DRIVING_FORCE_REASONS = {
    "ok": "",
    "no_vm": "no measured membrane potential (vm_mV) for this sample",
    "no_potential": "E_act is not defined (see status)",
    "not_finite": "Vm - E_act is not a finite number",
    # computed from a Vm whose liquid junction potential is in doubt (the reason is
    # the sample's ljp_reason; see iongrad.tables.ljp)
    "vm_ljp_uncorrected": "Vm is not corrected for the liquid junction potential",
    "vm_ljp_disagrees": "the file's and the computed LJP disagree",
}


def compute_potentials(
    df: pd.DataFrame,
    *,
    activity_model: str = "truesdell-jones",
    activity_convention: str = "macinnes",
    activity_params: Mapping[str, Any] | None = None,
    atol_mV: float = 0.0,
    solutions: Mapping[str, str] | None = None,
    recording: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Nernst, activity-corrected potentials and driving forces per row.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical measurement table (one row per sample x ion).
    activity_model, activity_convention : str
        Passed to :func:`iongrad.tables.activity.activity_table`.
    activity_params : mapping, optional
        Extra model parameters for :func:`iongrad.tables.activity.activity_table`.
    atol_mV : float
        Driving forces with :math:`|DF| \\le` ``atol_mV`` [mV] count as no flux.
    solutions, recording : mapping, optional
        The recording solutions and the dataset's recording (config ``solutions``
        and ``recording``) for the liquid junction potential of each sample
        (:mod:`iongrad.tables.ljp`).

    Returns
    -------
    pandas.DataFrame
        The measurement columns plus ``E_conc_mV`` (gamma = 1), the activity columns
        of :func:`iongrad.tables.activity.activity_table`, ``gamma_in_used`` and
        ``gamma_out_used`` (measured where given, else the model's), ``E_act_mV``,
        ``delta_act_mV`` (``E_act_mV - E_conc_mV``), the LJP columns of
        :func:`iongrad.tables.ljp.sample_ljp` (``vm_corrected_mV`` = ``vm_mV -
        ljp_applied_mV``; ``vm_mV`` stays as measured), ``driving_force_mV``
        (``vm_corrected_mV - E_act_mV``), ``flux_direction``, ``current_direction``,
        ``status`` and ``status_reason`` (of ``E_act_mV``, ``E_conc_mV`` and
        ``delta_act_mV``: ``"ok"`` means all three are finite; an undefined activity
        coefficient is explained with the model's reason), ``driving_force_status``
        and ``driving_force_reason`` (of ``driving_force_mV``: ``"ok"``, ``"no_vm"``,
        ``"no_potential"``, ``"not_finite"``, or, for a number computed from a Vm
        whose junction potential is in doubt, the sample's ``ljp_status``
        ``"vm_ljp_uncorrected"`` or ``"vm_ljp_disagrees"`` with its
        ``ljp_reason``). Optional columns of ``df`` (e.g.
        ``sample_complete``, ``sample_rejected``) are carried through.
    """
    out = df.reset_index(drop=True)
    n = len(out)

    def column(name: str, fill: Any) -> np.ndarray:
        if name in out.columns:
            return out[name].to_numpy()
        return np.full(n, fill)

    base = {
        "c_in": out["c_in_mM"].to_numpy(dtype=float),
        "c_out": out["c_out_mM"].to_numpy(dtype=float),
        "valence": out["valence"].to_numpy(),
        "temperature_K": out["temperature_K"].to_numpy(dtype=float),
        "permeant": column("permeant", True).astype(bool),
    }
    conc = nernst_potential(**base)
    act = activity_table(
        out,
        model=activity_model,
        convention=activity_convention,
        **dict(activity_params or {}),
    )
    new: dict[str, Any] = {c: act[c].to_numpy() for c in act.columns}
    # Measured coefficients override the model row by row (activity_table says
    # which were measured in gamma_source).
    measured_in = column("gamma_in", np.nan).astype(float)
    measured_out = column("gamma_out", np.nan).astype(float)
    gamma_in = np.where(
        np.isnan(measured_in), new["gamma_in_model"].astype(float), measured_in
    )
    gamma_out = np.where(
        np.isnan(measured_out), new["gamma_out_model"].astype(float), measured_out
    )
    # E_act, DF = Vm - E_act and both directions in one cache-blocked pass.
    ljp = ljp_columns(out, solutions, recording)
    # Every comparison with a prediction uses the corrected Vm (per row, as given).
    vm = column("vm_mV", np.nan).astype(float) - ljp["ljp_applied_mV"]
    ljp["vm_corrected_mV"] = vm
    actr = electrochemical_state(
        **base,
        gamma_in=gamma_in,
        gamma_out=gamma_out,
        vm_mV=vm,
        atol_mV=atol_mV,
    )
    df_mV, flux, current = actr.driving_force_mV, actr.flux, actr.current
    with np.errstate(invalid="ignore", over="ignore"):
        delta = actr.E_mV - conc.E_mV
    status = actr.status
    # "ok" vouches for every number of the row: E_conc can overflow where E_act
    # does not (and delta with them).
    unfinished = (status == OK) & ~(
        np.isfinite(conc.E_mV) & np.isfinite(actr.E_mV) & np.isfinite(delta)
    )
    if unfinished.any():
        status = np.where(unfinished, NOT_FINITE, status).astype(np.int8)
    new.update(
        gamma_in_used=gamma_in,
        gamma_out_used=gamma_out,
        E_conc_mV=conc.E_mV,
        E_act_mV=actr.E_mV,
        delta_act_mV=delta,
        driving_force_mV=df_mV,
        flux_direction=FLUX_LABELS[flux],
        current_direction=CURRENT_LABELS[current],
        status=STATUS_LABELS[status],
        status_reason=_status_reasons(status, new["activity_reason"]),
        **ljp,
        **_driving_force_status(vm, status, df_mV, ljp),
    )
    # One concat instead of a column-by-column insert (much faster for small tables).
    kept = out.drop(columns=[c for c in new if c in out.columns])
    return pd.concat([kept, pd.DataFrame(new, index=kept.index)], axis=1)


def _status_reasons(status: np.ndarray, activity_reason: np.ndarray) -> np.ndarray:
    """Reason per row; an undefined gamma says why, in the activity model's words."""
    reasons = np.array([STATUS_REASONS[s] for s in STATUS_LABELS], dtype=object)
    out = reasons[status]
    why = (STATUS_LABELS[status] == "invalid_gamma") & (activity_reason != "")
    if why.any():
        out = np.where(why, out + " (" + activity_reason.astype(object) + ")", out)
    return out


def _driving_force_status(vm, status, df_mV, ljp) -> dict[str, np.ndarray]:
    """``driving_force_status`` and ``driving_force_reason`` per row; a number from
    a Vm whose junction potential is in doubt carries the sample's LJP status."""
    labels = np.array(list(DRIVING_FORCE_REASONS), dtype=object)
    code = np.where(
        np.isnan(vm), 1, np.where(status != OK, 2, np.where(np.isfinite(df_mV), 0, 3))
    )
    texts = np.array(list(DRIVING_FORCE_REASONS.values()), dtype=object)
    label, reason = labels[code], texts[code]
    doubt = (code == 0) & np.isin(ljp["ljp_status"], labels[4:])
    if doubt.any():
        label = np.where(doubt, ljp["ljp_status"], label)
        reason = np.where(doubt, ljp["ljp_reason"], reason)
    return {"driving_force_status": label, "driving_force_reason": reason}


def temperature_scan(
    df: pd.DataFrame,
    temperatures_C: Sequence[float],
    **settings: Any,
) -> pd.DataFrame:
    """Potentials of every row at each sample's measured temperature and at others.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical measurement table.
    temperatures_C : sequence of float
        Extra temperatures, [degC].
    **settings
        Keyword arguments of :func:`compute_potentials`.

    Returns
    -------
    pandas.DataFrame
        Long table: ``dataset, sample_id, ion, temperature_source`` ("measured" or
        "config"), ``temperature_K``, ``E_conc_mV``, ``E_act_mV``, ``status``,
        ``activity_valid`` (activity recomputed at each temperature).
    """
    keep = [
        "dataset",
        "sample_id",
        "cell_type",
        "ion",
        "valence",
        "temperature_K",
        "temperature_source",
        "E_conc_mV",
        "E_act_mV",
        "status",
        "activity_valid",
    ]
    base = df.reset_index(drop=True)
    n = len(base)
    copies = [base.assign(temperature_source="measured")]
    for t_C in temperatures_C:
        copies.append(
            base.assign(
                temperature_K=float(celsius_to_kelvin(t_C)),
                temperature_source="config",
            )
        )
    stacked = pd.concat(copies, ignore_index=True)
    # One vectorized call for all temperatures: each copy is its own sample for the
    # per-sample ionic strength, then gets its sample_id back.
    sample_ids = stacked["sample_id"].astype(str).to_numpy()
    copy_no = np.repeat(np.arange(len(copies)), n).astype(str)
    stacked["sample_id"] = sample_ids + "\x1f" + copy_no
    out = compute_potentials(stacked, **settings)
    out["sample_id"] = sample_ids
    return out[[c for c in keep if c in out.columns]]
