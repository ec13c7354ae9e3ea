r"""GHK resting potential and pump-leak balance per sample of the canonical table.

:func:`ghk_table` gathers each sample's current carriers (permeant charged ions with
a permeability) from the canonical long table, solves the GHK zero-current potential
of every sample at once (:func:`iongrad.physics.ghk.ghk_voltage`) and adds the
pump-leak balance of :mod:`iongrad.physics.pumpleak`.

What a sample must contain (otherwise the prediction is NaN with a non-ok status
that names what is missing; see :mod:`iongrad.tables.samples` for all predictions):

* GHK potential: every ion of the permeabilities in use with finite c_in and c_out.
  A sample whose current carriers all give a measured ``permeability`` uses those;
  a sample that takes any permeability from the defaults (or gives none) uses the
  default set, and each default ion with P > 0 (K+, Na+, Cl- by default) needs a row
  (``missing_ions``, "no Na+ row: ..."). A carrier row without c_in or c_out gives
  ``invalid_input`` naming the ion.
* Pump-leak balance (``pump_status``): Na+ and K+, each with a row, a permeability
  > 0 and finite c_in and c_out (``missing_ions``), and a membrane potential, the
  measured one or else the GHK one (``no_potential``).
* Both: a complete sample (``incomplete_sample`` when validation rejected any of its
  rows, the rejected rows named).

Every number of the result is finite where its status is ``"ok"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from iongrad.canonical import bool_column, sample_index
from iongrad.physics.ghk import (
    DEFAULT_PERMEABILITY,
    GHK_REASONS,
    GHK_STATUS,
    GHKResult,
    ghk_voltage,
)
from iongrad.physics.pumpleak import (
    NA_K_STOICHIOMETRY,
    mullins_noda_potential,
    pump_leak,
)
from iongrad.tables.ljp import LJP_DOUBT
from iongrad.tables.locate import first_text, join_by_sample, where
from iongrad.tables.requirements import (
    Completeness,
    apply_requirements,
    completeness,
    join_problems,
    missing_names,
    rows_of,
)

__all__ = ["ghk_table"]

_REQUIRED = ("dataset", "sample_id", "ion", "valence", "c_in_mM", "c_out_mM")


@dataclass(frozen=True)
class _Carriers:
    """Samples x ions matrices of the current carriers, and where each row went.

    ``rows`` are the permeant charged table rows, ``use`` those with a permeability
    (``codes``: their ion column of ``names``), ``P_row`` the permeability of every
    table row (table value, else default) and ``from_table`` which came from the
    table.
    """

    key: np.ndarray
    ns: int
    ions_row: np.ndarray
    P_row: np.ndarray
    from_table: np.ndarray
    rows: np.ndarray
    use: np.ndarray
    codes: np.ndarray
    names: list[str]
    C_in: np.ndarray
    C_out: np.ndarray
    P: np.ndarray
    Z: np.ndarray


def ghk_table(
    df: pd.DataFrame,
    *,
    default_permeability=None,
    temperature_K=None,
    pump_ratio: float = 1.5,
) -> pd.DataFrame:
    r"""GHK resting potential and pump-leak balance per sample of a canonical table.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical long table: ``dataset``, ``sample_id``, ``ion``, ``valence``,
        ``c_in_mM``, ``c_out_mM``, ``temperature_K``; optional ``permeant``
        (default True), ``permeability`` (relative to P_K = 1), ``vm_mV``,
        ``cell_type``.
    default_permeability : dict, optional
        Relative permeability by canonical ion symbol for permeant ions whose
        ``permeability`` is missing; default
        :data:`iongrad.physics.ghk.DEFAULT_PERMEABILITY`
        (``{"K+": 1.0, "Na+": 0.05, "Cl-": 0.45}``). Pass ``{}`` to use table
        values only.
    temperature_K : float, optional
        Override the table's temperature for every sample, [K].
    pump_ratio : float
        Na+/K+ stoichiometry for the Mullins-Noda potential, [-] (3:2 = 1.5).

    Returns
    -------
    pandas.DataFrame
        One row per (``dataset``, ``sample_id``): ``temperature_K``, ``vm_ghk_mV``
        [mV], ``ghk_converged``, ``ghk_status`` (the labels of
        :data:`iongrad.physics.ghk.GHK_STATUS`, ``missing_ions`` or
        ``incomplete_sample``; see the module docstring), ``ghk_reason``,
        ``ghk_residual`` [-], ``ghk_method``, ``ghk_ions`` (ions that carried
        current, with their P), ``permeability_source`` (``"table"``, ``"default"``, or
        ``"table+default"`` when mixed), ``vm_measured_mV`` (first measured vm_mV of
        the sample, NaN if none), and the pump-leak columns of
        :func:`iongrad.physics.pumpleak.pump_leak`: ``pump_vm_mV`` and
        ``pump_vm_source`` (``"measured"``: ``vm_corrected_mV`` when ``df`` has it,
        the measured Vm corrected for the liquid junction potential; or ``"ghk"``),
        ``pump_na_out_rel`` and
        ``pump_k_in_rel`` (active Na+ extrusion and K+ uptake needed to balance the
        passive GHK leaks, in units of P_K x mM, i.e. mol m^-2 s^-1 per m s^-1 of
        P_K), ``pump_na_k_ratio`` [-], ``pump_ratio_over_3to2`` [-],
        ``vm_mullins_noda_mV`` [mV], and ``pump_status`` (``ok``, ``missing_ions``,
        ``no_potential``, ``not_finite``, ``incomplete_sample``, or the sample's
        ``ljp_status`` ``vm_ljp_uncorrected``/``vm_ljp_disagrees`` for a balance
        at a measured Vm whose junction potential is in doubt, its numbers kept)
        with ``pump_reason``, which vouch for every pump-leak number.

    Notes
    -----
    Ions carry current when they are permeant (``permeant`` true), charged and have
    a permeability (table value, else the default for their symbol); a permeant ion
    with neither is left out and named in ``ghk_reason``. Equations as
    :func:`iongrad.physics.ghk.ghk_voltage` and
    :func:`iongrad.physics.pumpleak.pump_leak`; natural log,
    :math:`V_m = \phi_{in} - \phi_{out}`, outward current positive.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "dataset": "squid", "sample_id": "axon", "temperature_K": 293.15,
    ...     "ion": ["K+", "Na+", "Cl-"], "valence": [1, 1, -1],
    ...     "c_in_mM": [400.0, 50.0, 40.0], "c_out_mM": [20.0, 440.0, 560.0],
    ...     "permeability": [1.0, 0.04, 0.45]})
    >>> out = ghk_table(table)
    >>> round(float(out.vm_ghk_mV[0]), 1), out.permeability_source[0]
    (-62.3, 'table')
    """
    if default_permeability is None:
        default_permeability = DEFAULT_PERMEABILITY
    need = list(_REQUIRED) + (["temperature_K"] if temperature_K is None else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"ghk: the table lacks required column(s) {missing}")
    df = df.reset_index(drop=True)
    idx = sample_index(df)
    if temperature_K is None:
        T = pd.Series(df["temperature_K"].to_numpy(float)).groupby(idx.key).first()
        T = T.to_numpy()
    else:
        T = np.full(idx.n, float(temperature_K))
    car = _carriers(df, idx.key, idx.n, default_permeability)
    res = ghk_voltage(c_in=car.C_in, c_out=car.C_out, valence=car.Z,
                      permeability=car.P, temperature_K=T)  # fmt: skip
    comp = completeness(df, idx)
    lacking = _missing_carriers(df, idx, car, default_permeability)
    status, reason, failed = apply_requirements(
        GHK_STATUS[res.status], _reasons(car, res), lacking != "",
        "no " + lacking + " row: the GHK potential needs every ion of the "
        "permeabilities in use (" + _in_use(default_permeability) + "), each with "
        "c_in and c_out", comp,
    )  # fmt: skip
    out = idx.frame
    out["temperature_K"] = T
    out["vm_ghk_mV"] = np.where(failed, np.nan, res.vm_mV)
    out["ghk_converged"] = res.converged & ~failed
    out["ghk_status"] = status
    out["ghk_reason"] = reason
    out["ghk_residual"] = np.where(failed, np.nan, res.residual)
    out["ghk_method"] = np.where(failed, "", res.method)
    _add_carried(out, car)
    _add_pump_leak(out, df, idx, car, T, pump_ratio, comp)
    return out


def _in_use(default_permeability) -> str:
    """The default permeabilities as text: 'default K+:1.0, Na+:0.05, Cl-:0.45'."""
    pairs = ", ".join(
        f"{s}:{p}" for s, p in default_permeability.items() if float(p) > 0
    )
    return f"default {pairs}"


def _missing_carriers(df, idx, car: _Carriers, default_permeability) -> np.ndarray:
    """Per sample: the default ions (P > 0) it uses and has no row of ('' if none).

    A sample uses the default set unless every one of its current carriers gives a
    measured permeability (a sample with no measured permeability uses it too).
    """
    key, rows, ns = car.key, car.rows, car.ns
    table_rows = rows[car.from_table[rows]]
    default_rows = rows[~car.from_table[rows] & (car.P_row[rows] > 0)]
    measured = np.bincount(key[table_rows], minlength=ns) > 0
    uses_default = (np.bincount(key[default_rows], minlength=ns) > 0) | ~measured
    needed = [s for s, p in default_permeability.items() if float(p) > 0]
    return missing_names(rows_of(df, idx, needed), ns, uses_default)


def _carriers(df, key, ns, default_permeability) -> _Carriers:
    """Gather the current carriers into samples x ions matrices; duplicates raise."""
    nrow = len(df)
    z_row = df["valence"].to_numpy()
    permeant = bool_column(df, "permeant", True)
    # each distinct ion name is looked at once: its text and default permeability
    ion_codes, ion_names = pd.factorize(df["ion"], use_na_sentinel=False)
    texts = np.array([str(x) for x in ion_names] + [""], dtype=object)
    ions_row = texts[ion_codes]
    P_table = (
        df["permeability"].to_numpy(dtype=float)
        if "permeability" in df.columns
        else np.full(nrow, np.nan)
    )
    defaults = [default_permeability.get(x, np.nan) for x in texts[:-1]]
    P_default = np.asarray(defaults, dtype=float).reshape(-1)[ion_codes]
    from_table = np.isfinite(P_table)
    P_row = np.where(from_table, P_table, P_default)
    rows = np.flatnonzero(permeant & (z_row != 0))
    use = rows[np.isfinite(P_row[rows])]
    codes, names = pd.factorize(ions_row[use])
    ni = len(names)
    dup = pd.Series(key[use] * max(ni, 1) + codes).duplicated(keep=False).to_numpy()
    if dup.any():
        raise ValueError(
            f"ghk: an ion appears twice in one sample at {where(df, use[dup])}; "
            "merge or remove the duplicate rows"
        )
    shape = (ns, ni)
    C_in, C_out, P = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    Z = np.zeros(ni, dtype=np.int64)
    Z[codes] = z_row[use]
    C_in[key[use], codes] = df["c_in_mM"].to_numpy(float)[use]
    C_out[key[use], codes] = df["c_out_mM"].to_numpy(float)[use]
    P[key[use], codes] = P_row[use]
    return _Carriers(
        key=key, ns=ns, ions_row=ions_row, P_row=P_row, from_table=from_table,
        rows=rows, use=use, codes=codes, names=list(names), C_in=C_in, C_out=C_out,
        P=P, Z=Z,
    )  # fmt: skip


def _reasons(car: _Carriers, res: GHKResult) -> np.ndarray:
    """Why a sample has no potential, and which permeant ions were left out."""
    key, use, ns = car.key, car.use, car.ns
    reason = np.array([GHK_REASONS[s] for s in GHK_STATUS], dtype=object)[res.status]
    c_bad = ~(
        np.isfinite(car.C_in[key[use], car.codes])
        & np.isfinite(car.C_out[key[use], car.codes])
    )
    named = join_by_sample(key[use][c_bad], car.ions_row[use][c_bad], ns)
    reason = np.where(
        named != "", "c_in or c_out missing (not measured) for " + named, reason
    ).astype(object)
    no_P = car.rows[~np.isfinite(car.P_row[car.rows])]
    left_out = join_by_sample(key[no_P], car.ions_row[no_P], ns)
    note = np.where(
        left_out != "", "no permeability for " + left_out + " (left out)", ""
    ).astype(object)
    return np.where((reason != "") & (note != ""), reason + "; " + note, reason + note)


def _add_carried(out: pd.DataFrame, car: _Carriers) -> None:
    """Columns ``ghk_ions`` (carriers with their P) and ``permeability_source``."""
    key, use, ns = car.key, car.use, car.ns
    used = car.P[key[use], car.codes] > 0
    src_t = np.bincount(key[use][used & car.from_table[use]], minlength=ns) > 0
    src_d = np.bincount(key[use][used & ~car.from_table[use]], minlength=ns) > 0
    labels = np.array(["", "table", "default", "table+default"], dtype=object)
    out["ghk_ions"] = join_by_sample(
        key[use][used], _ion_and_P(car.ions_row[use][used], car.P_row[use][used]), ns
    )
    out["permeability_source"] = labels[src_t.astype(int) + 2 * src_d.astype(int)]


def _ion_and_P(ions: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``"K+:1.0"`` per row, written once per distinct (ion, P) pair."""
    if not len(ions):
        return np.array([], dtype=object)
    ion_codes, ion_names = pd.factorize(ions)
    P_codes, P_values = pd.factorize(P)
    pair, pairs = pd.factorize(ion_codes * len(P_values) + P_codes)
    texts = [
        f"{ion_names[k // len(P_values)]}:{np.float64(P_values[k % len(P_values)])}"
        for k in pairs.tolist()
    ]
    return np.asarray(texts, dtype=object)[pair]


def _add_pump_leak(out, df, idx, car: _Carriers, T, pump_ratio,
                   comp: Completeness) -> None:  # fmt: skip
    """Measured Vm and the pump-leak columns, with ``pump_status``/``pump_reason``.

    ``out`` already holds the GHK columns (``vm_ghk_mV`` NaN where not ok).
    """
    ns, names = car.ns, car.names
    vm_meas = np.full(ns, np.nan)
    if "vm_mV" in df.columns:
        vm_rows = df["vm_mV"].to_numpy(float)
        vm_meas = pd.Series(vm_rows).groupby(car.key).first().to_numpy()  # skips NaN
    vm_used = vm_meas  # the pump balances the membrane's Vm: LJP-corrected if known
    if "vm_corrected_mV" in df.columns:
        vm_rows = df["vm_corrected_mV"].to_numpy(float)
        vm_used = pd.Series(vm_rows).groupby(car.key).first().to_numpy()
    vm_ghk = out["vm_ghk_mV"].to_numpy(dtype=float)
    vm_pump = np.where(np.isfinite(vm_used), vm_used, vm_ghk)
    pump = pump_leak(
        c_in=car.C_in, c_out=car.C_out, valence=car.Z, permeability=car.P,
        vm_mV=vm_pump, temperature_K=T, ions=names,
    )  # fmt: skip
    mn = mullins_noda_potential(
        c_in=car.C_in, c_out=car.C_out, permeability=car.P, ions=names,
        temperature_K=T, pump_ratio=pump_ratio,
    )  # fmt: skip
    out["vm_measured_mV"] = vm_meas
    out["pump_vm_mV"] = vm_pump
    out["pump_vm_source"] = np.where(np.isfinite(vm_meas), "measured", "ghk")
    values = {
        "pump_na_out_rel": pump.na_out,
        "pump_k_in_rel": pump.k_in,
        "pump_na_k_ratio": pump.na_k_ratio,
        "pump_ratio_over_3to2": pump.na_k_ratio / NA_K_STOICHIOMETRY,
        "vm_mullins_noda_mV": mn,
    }
    with np.errstate(invalid="ignore"):
        finite = np.all([np.isfinite(v) for v in values.values()], axis=0)
    no_vm = ~np.isfinite(vm_pump)
    status = np.where(no_vm, "no_potential", np.where(finite, "ok", "not_finite"))
    reason = np.where(
        no_vm,
        "no membrane potential: vm_mV not measured and no GHK potential (ghk_status "
        + out["ghk_status"].to_numpy(dtype=object) + ")",
        np.where(finite, "", "a pump-leak number is not finite (Vm at E_K, or "
                 "concentrations beyond floating-point range)"),
    )  # fmt: skip
    lacking = _pump_inputs(df, idx, car)
    status, reason, _ = apply_requirements(status, reason, lacking != "",
                                           lacking, comp)  # fmt: skip
    ok = status == "ok"
    for col, v in values.items():
        out[col] = np.where(ok, v, np.nan)
    measured = np.isfinite(vm_used)
    out["pump_status"], out["pump_reason"] = _ljp_doubt(df, car, measured, status,
                                                        reason)  # fmt: skip


def _ljp_doubt(df, car: _Carriers, measured, status, reason):
    """A balance at a measured Vm whose liquid junction potential is in doubt
    (:mod:`iongrad.tables.ljp`) keeps its numbers, not the status ``ok``: it takes
    the sample's ``ljp_status`` and ``ljp_reason``."""
    if "ljp_status" not in df.columns or not len(status):
        return status, reason

    def first(column):
        return first_text(df[column].reset_index(drop=True), car.key, len(status))

    ljp = first("ljp_status")
    doubt = (status == "ok") & measured
    doubt &= np.isin(ljp, LJP_DOUBT)
    if not doubt.any():
        return status, reason
    return np.where(doubt, ljp, status), np.where(doubt, first("ljp_reason"), reason)


def _pump_inputs(df, idx, car: _Carriers) -> np.ndarray:
    """Per sample: what the pump-leak balance lacks of Na+ and K+ ('' if nothing)."""
    ns, names = car.ns, car.names
    has = rows_of(df, idx, ("Na+", "K+"))
    problems = []
    for symbol in ("Na+", "K+"):
        if symbol in names:
            j = names.index(symbol)
            carrier = car.P[:, j] > 0
            measured = np.isfinite(car.C_in[:, j]) & np.isfinite(car.C_out[:, j])
        else:
            carrier = measured = np.zeros(ns, dtype=bool)
        problems += [
            (~has[symbol], f"no {symbol} row"),
            (
                has[symbol] & ~carrier,
                f"{symbol} carries no current (impermeant, or no permeability)",
            ),
            (carrier & ~measured, f"c_in or c_out missing for {symbol}"),
        ]
    lacking = join_problems(ns, problems)
    tail = ": the pump-leak balance needs Na+ and K+, each with c_in, c_out and a "
    return np.where(lacking != "", lacking + tail + "permeability", "").astype(object)
