"""Per-row potentials of the canonical table: Nernst, activity-corrected, driving force.

:func:`compute_potentials` turns the canonical measurement table into the potentials
table (one row per sample x ion); :func:`temperature_scan` repeats it at the
configured temperatures. The formulas are :mod:`iongrad.physics.nernst` and
:mod:`iongrad.physics.activity`; this module only feeds them whole columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from iongrad.constants import celsius_to_kelvin
from iongrad.physics.activity import DEFAULT_CONVENTION, DEFAULT_MODEL
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
from iongrad.tables.ljp import LJP_DOUBT, ljp_columns
from iongrad.tables.locate import categorical, concat_tables

__all__ = [
    "DRIVING_FORCE_REASONS",
    "SCAN_COLUMNS",
    "compute_potentials",
    "temperature_scan",
    "temperature_scan_parts",
]

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
    activity_model: str = DEFAULT_MODEL,
    activity_convention: str = DEFAULT_CONVENTION,
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
    # Every comparison with a prediction uses the corrected Vm (per row, as given).
    ljp = ljp_columns(out, solutions, recording)
    vm = _column(out, "vm_mV", np.nan).astype(float) - ljp["ljp_applied_mV"]
    ljp["vm_corrected_mV"] = vm
    st = _state(
        out,
        vm,
        activity_model=activity_model,
        activity_convention=activity_convention,
        activity_params=activity_params,
        atol_mV=atol_mV,
    )
    new: dict[str, Any] = {c: st.act[c].array for c in st.act.columns}
    new.update(
        gamma_in_used=st.gamma_in,
        gamma_out_used=st.gamma_out,
        E_conc_mV=st.E_conc,
        E_act_mV=st.actr.E_mV,
        delta_act_mV=st.delta,
        driving_force_mV=st.actr.driving_force_mV,
        flux_direction=categorical(st.actr.flux, FLUX_LABELS),
        current_direction=categorical(st.actr.current, CURRENT_LABELS),
        status=categorical(st.status, STATUS_LABELS),
        status_reason=_status_reasons(st.status, st.act["activity_reason"].array),
        **ljp,
        **_driving_force_status(vm, st.status, st.actr.driving_force_mV, ljp),
    )
    # One concat instead of a column-by-column insert (much faster for small tables).
    kept = out.drop(columns=[c for c in new if c in out.columns])
    # copy=False: each new column its own block, not stacked into a new array
    return pd.concat([kept, pd.DataFrame(new, index=kept.index, copy=False)], axis=1)


def _column(out: pd.DataFrame, name: str, fill: Any) -> np.ndarray:
    """A column as a numpy array, or ``fill`` in every row when it is absent."""
    if name in out.columns:
        return out[name].to_numpy()
    return np.full(len(out), fill)


class _State(NamedTuple):
    """The activity table and the potentials of every row (status: codes)."""

    act: pd.DataFrame
    gamma_in: np.ndarray
    gamma_out: np.ndarray
    E_conc: np.ndarray
    actr: Any
    delta: np.ndarray
    status: np.ndarray


def _state(
    out: pd.DataFrame,
    vm: np.ndarray,
    *,
    activity_model: str = DEFAULT_MODEL,
    activity_convention: str = DEFAULT_CONVENTION,
    activity_params: Mapping[str, Any] | None = None,
    atol_mV: float = 0.0,
) -> _State:
    """Nernst and activity-corrected potentials, the driving force against ``vm``
    and the status of every row of ``out`` (a table with a RangeIndex)."""
    base = {
        "c_in": out["c_in_mM"].to_numpy(dtype=float),
        "c_out": out["c_out_mM"].to_numpy(dtype=float),
        "valence": out["valence"].to_numpy(),
        "temperature_K": out["temperature_K"].to_numpy(dtype=float),
        "permeant": _column(out, "permeant", True).astype(bool),
    }
    conc = nernst_potential(**base)
    act = activity_table(
        out,
        model=activity_model,
        convention=activity_convention,
        **dict(activity_params or {}),
    )
    # Measured coefficients override the model row by row (activity_table says
    # which were measured in gamma_source).
    measured_in = _column(out, "gamma_in", np.nan).astype(float)
    measured_out = _column(out, "gamma_out", np.nan).astype(float)
    model_in = act["gamma_in_model"].to_numpy(dtype=float)
    model_out = act["gamma_out_model"].to_numpy(dtype=float)
    gamma_in = np.where(np.isnan(measured_in), model_in, measured_in)
    gamma_out = np.where(np.isnan(measured_out), model_out, measured_out)
    # E_act, DF = Vm - E_act and both directions in one cache-blocked pass.
    actr = electrochemical_state(
        **base, gamma_in=gamma_in, gamma_out=gamma_out, vm_mV=vm, atol_mV=atol_mV
    )
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
    return _State(act, gamma_in, gamma_out, conc.E_mV, actr, delta, status)


def _status_reasons(status: np.ndarray, activity_reason) -> pd.Categorical:
    """Reason per row; an undefined gamma says why, in the activity model's words.

    Written once per distinct (status, activity reason) pair.
    """
    reason = pd.Categorical(activity_reason)
    n_reasons = max(len(reason.categories), 1)
    pair = status.astype(np.int64) * (n_reasons + 1) + (reason.codes + 1)
    combo, pairs = pd.factorize(pair)
    texts = []
    for p in pairs.tolist():
        code, r = divmod(p, n_reasons + 1)
        text = STATUS_REASONS[STATUS_LABELS[code]]
        why = "" if r == 0 else str(reason.categories[r - 1])
        if STATUS_LABELS[code] == "invalid_gamma" and why:
            text = f"{text} ({why})"
        texts.append(text)
    codes, uniques = pd.factorize(np.asarray(texts, dtype=object))
    return categorical(codes[combo], uniques)


def _driving_force_status(vm, status, df_mV, ljp) -> dict[str, pd.Categorical]:
    """``driving_force_status`` and ``driving_force_reason`` per row; a number from
    a Vm whose junction potential is in doubt carries the sample's LJP status.

    Worked on codes (the labels and the LJP columns' distinct texts), never on a
    text per row."""
    labels = np.array(list(DRIVING_FORCE_REASONS), dtype=object)
    texts = np.array(list(DRIVING_FORCE_REASONS.values()), dtype=object)
    code = np.where(
        np.isnan(vm), 1, np.where(status != OK, 2, np.where(np.isfinite(df_mV), 0, 3))
    )
    ljp_code, ljp_labels = pd.factorize(ljp["ljp_status"])
    in_doubt = np.isin(np.asarray(ljp_labels, dtype=object), LJP_DOUBT)
    doubt = (code == 0) & (ljp_code >= 0) & in_doubt[np.maximum(ljp_code, 0)]
    label = np.where(doubt, len(labels) + ljp_code, code)
    why_code, why = pd.factorize(ljp["ljp_reason"])
    reason = np.where(doubt, np.where(why_code < 0, -1, len(texts) + why_code), code)
    return {
        "driving_force_status": categorical(
            label, [*labels, *np.asarray(ljp_labels, dtype=object)]
        ),
        "driving_force_reason": categorical(
            reason, [*texts, *np.asarray(why, dtype=object)]
        ),
    }


#: Columns of the temperature scan, in order.
SCAN_COLUMNS = (
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
)
#: What the potentials at another temperature read of the measurement table.
_SCAN_INPUTS = (
    "dataset",
    "sample_id",
    "cell_type",
    "ion",
    "valence",
    "c_in_mM",
    "c_out_mM",
    "concentration_scale",
    "gamma_in",
    "gamma_out",
    "permeant",
    "source_file",
    "source_row",
)


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
        ``activity_valid`` (activity recomputed at each temperature): the parts of
        :func:`temperature_scan_parts` one after the other.
    """
    return concat_tables(temperature_scan_parts(df, temperatures_C, **settings))


def temperature_scan_parts(
    df: pd.DataFrame,
    temperatures_C: Sequence[float],
    *,
    potentials: pd.DataFrame | None = None,
    **settings: Any,
) -> Iterator[pd.DataFrame]:
    """The rows of :func:`temperature_scan`, one temperature at a time.

    First every row at its measured temperature (taken from ``potentials``, the
    :func:`compute_potentials` of ``df`` with these ``settings``, when given), then
    every row at each of ``temperatures_C``: a writer can stream them, holding one
    temperature's rows at a time. Each temperature is computed on its own (a
    solution is a sample at one temperature); the driving force is not part of the
    scan, so the LJP settings are not needed.
    """
    core = {k: settings[k] for k in _STATE_SETTINGS if k in settings}
    base = df.reset_index(drop=True)
    measured = potentials
    if measured is None:
        measured = compute_potentials(base, **core)
    yield _scan_part(measured, measured["temperature_K"].to_numpy(float), "measured")
    inputs = base[[c for c in _SCAN_INPUTS if c in base.columns]]
    nan_vm = np.full(len(base), np.nan)
    for t_C in temperatures_C:
        T = np.full(len(base), float(celsius_to_kelvin(t_C)))
        st = _state(inputs.assign(temperature_K=T), nan_vm, **core)
        part = {
            "E_conc_mV": st.E_conc,
            "E_act_mV": st.actr.E_mV,
            "status": categorical(st.status, STATUS_LABELS),
            "activity_valid": st.act["activity_valid"].to_numpy(dtype=bool),
        }
        yield _scan_part(base.assign(**part), T, "config")


#: The settings of :func:`_state` (compute_potentials' defaults are its own).
_STATE_SETTINGS = (
    "activity_model",
    "activity_convention",
    "activity_params",
    "atol_mV",
)


def _scan_part(pot: pd.DataFrame, T: np.ndarray, source: str) -> pd.DataFrame:
    """The scan's columns of ``pot`` at temperatures ``T`` [K]."""
    out = {}
    for c in SCAN_COLUMNS:
        if c == "temperature_K":
            out[c] = T
        elif c == "temperature_source":
            out[c] = categorical(np.zeros(len(pot), dtype=np.int8), [source])
        elif c in pot.columns:
            out[c] = pot[c].array
    return pd.DataFrame(out, copy=False)
