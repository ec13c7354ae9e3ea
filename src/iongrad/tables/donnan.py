r"""Donnan predictions for the canonical measurement table, per sample and per ion.

:func:`donnan_tables` turns the canonical long table (one row per sample x ion) into
one open-system Donnan problem per sample, solves them all at once with
:func:`iongrad.physics.donnan.donnan_equilibrium` (or its activity-corrected form)
and returns a per-sample and a per-ion table; :func:`donnan_table` and
:func:`donnan_ions` return one of the two.

What a sample must contain (otherwise the prediction is NaN with a non-ok status
that names what is missing; see :mod:`iongrad.tables.samples` for all predictions):

* the bath composition: a permeant cation and a permeant anion (``missing_ions``
  otherwise), and c_out of every permeant ion it has (``invalid_input`` naming
  the ion);
* the impermeant charge: impermeant rows with c_in, or else (the anion gap) c_in of
  every permeant ion (``invalid_input`` naming the ions);
* a complete sample (``incomplete_sample`` when validation rejected any of its rows,
  the rejected rows named).

``bath_charge_mM`` and an anion-gap ``impermeant_charge_mM`` are NaN where the sample
fails these rules. The osmotic imbalance is computed at the Donnan equilibrium, so it
follows the Donnan status (``osmotic_status``; ``not_finite`` where it overflows).
Every number is finite where its status is ``"ok"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from iongrad.canonical import SampleIndex, bool_column, sample_index
from iongrad.ions import UnknownIonError, lookup
from iongrad.physics.donnan import (
    DONNAN_REASONS,
    DONNAN_STATUS,
    INVALID,
    OK,
    DonnanResult,
    activity_gamma_fn,
    donnan_equilibrium,
    donnan_equilibrium_activity,
)
from iongrad.physics.osmotic import osmotic_imbalance_mOsm_kg, osmotic_pressure_kPa
from iongrad.tables.locate import categorical, join_by_sample, where
from iongrad.tables.requirements import apply_requirements, completeness

__all__ = ["ANION_GAP_VALENCE", "donnan_ions", "donnan_table", "donnan_tables"]

_REQUIRED = ("dataset", "sample_id", "ion", "valence", "c_in_mM", "c_out_mM")
#: Mean valence assumed for the impermeant species when only the anion gap is known
#: (it sets the particle count in the osmotic balance, not the charge), [-].
ANION_GAP_VALENCE: float = -1.0


@dataclass(frozen=True)
class _Problems:
    """The table as Donnan problems: one row per sample, one column per permeant ion.

    ``pr`` are the table rows of permeant charged ions (``codes``: their ion column),
    ``ir`` the impermeant rows; ``C_out`` the bath concentrations (samples x ions),
    ``X`` the impermeant charge per sample (``has_imp``: from impermeant rows, else
    the anion gap).
    """

    key: np.ndarray
    ns: int
    pr: np.ndarray
    ir: np.ndarray
    codes: np.ndarray
    ion_names: np.ndarray
    z_col: np.ndarray
    C_out: np.ndarray
    missing_out: np.ndarray
    missing_in: np.ndarray
    missing_sides: np.ndarray
    X: np.ndarray
    has_imp: np.ndarray

    @property
    def gap_particles(self) -> np.ndarray:
        """Impermeant particles the anion gap stands for (0 with impermeant rows)."""
        return np.where(self.has_imp, 0.0, np.abs(self.X) / abs(ANION_GAP_VALENCE))


def donnan_tables(df: pd.DataFrame, *, temperature_K=None, activity_model=None,
                  **model_params) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    r"""Donnan predictions for a canonical measurement table: per sample and per ion.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical long table (one row per sample x ion): ``dataset``, ``sample_id``,
        ``ion``, ``valence``, ``c_in_mM``, ``c_out_mM``, ``temperature_K``, optional
        ``permeant`` (default True), ``cell_type``, ``concentration_scale``,
        ``source_file``, ``source_row``.
    temperature_K : float, optional
        Use this temperature for every sample instead of the table's, [K].
    activity_model : str, optional
        Activity model name (:mod:`iongrad.physics.activity`); None solves for
        concentrations (ideal).
    **model_params
        Passed to the activity model.

    Returns
    -------
    samples, ions : pandas.DataFrame
        See :func:`donnan_table` and :func:`donnan_ions`.

    Notes
    -----
    Per sample (``dataset``, ``sample_id``), the permeant charged ions (``permeant``
    true, z != 0) with their bath concentrations ``c_out_mM`` define the open
    Donnan problem of :func:`iongrad.physics.donnan.donnan_equilibrium`. The
    impermeant charge concentration is :math:`X = \sum z_j c_{in,j}` over the
    sample's impermeant rows (``permeant`` false) with a measured ``c_in_mM``;
    without such rows it is the anion gap of the measured interior,
    :math:`X = -\sum_i z_i c_{in,i}` over the permeant ions, and
    ``impermeant_charge_source`` says which. A sample whose bath concentration of a
    permeant ion is missing is not solved (status ``invalid_input`` with the ion
    named): absent ions must be written as 0.

    The osmotic imbalance is the ideal particle-count difference
    :math:`\Delta = (\sum_i c^{D}_{in,i} + \sum_j c_{in,j}) - (\sum_i c_{out,i} +
    \sum_j c_{out,j})` (j over impermeant rows, neutral ones included; with the
    anion gap the impermeant species are counted as :math:`|X|` particles of mean
    valence -1), in mOsm/kg (mM taken as mmol/kg in the dilute limit) and as the
    van 't Hoff pressure of :func:`iongrad.physics.osmotic.osmotic_pressure_kPa`.
    Positive means the cell is hyperosmotic (it would swell). Permeant neutral
    solutes are equal on both sides at equilibrium and cancel.

    Raises
    ------
    ValueError
        Missing required columns, one ion twice in a sample, or one ion symbol with
        two valences (caller errors naming the rows).
    """
    need = list(_REQUIRED) + (["temperature_K"] if temperature_K is None else [])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"donnan: the table lacks required column(s) {missing}")
    df = df.reset_index(drop=True)
    idx = sample_index(df)
    T, t_mixed = _sample_temperatures(df, idx, temperature_K)
    scale = _sample_scales(df, idx)
    prob = _problems(df, idx)
    if activity_model is None:
        res = donnan_equilibrium(
            c_out=prob.C_out, valence=prob.z_col, impermeant_charge_mM=prob.X,
            temperature_K=T,
        )  # fmt: skip
        model_name = "ideal"
    else:
        res = _activity_solve(df, prob, T, scale, activity_model, model_params)
        model_name = str(activity_model)
    status = res.status.copy()
    status[t_mixed] = INVALID
    reason = _reasons(prob, res, status, T, t_mixed, activity_model)
    comp = completeness(df, idx)
    labels, reason, failed = apply_requirements(
        DONNAN_STATUS[status], reason, prob.missing_sides != "", prob.missing_sides,
        comp,
    )  # fmt: skip
    samples = _sample_frame(
        idx.frame, df, prob, res, labels, reason, T, t_mixed, scale, model_name
    )
    # The bath charge and an anion gap of a sample that lacks ions are wrong sums.
    samples.loc[failed, "bath_charge_mM"] = np.nan
    samples.loc[(failed & ~prob.has_imp) | ~comp.complete, "impermeant_charge_mM"] = (
        np.nan
    )
    ions = _ion_frame(df, prob, res, labels, model_name)
    return samples, ions


def _sample_temperatures(df, idx: SampleIndex, temperature_K):
    """Temperature per sample [K] and whether the sample's rows disagree on it."""
    if temperature_K is None:
        t_row = df["temperature_K"].to_numpy(dtype=float)
        t_grp = pd.Series(t_row).groupby(idx.key)
        T = t_grp.first().to_numpy()
        t_mixed = (t_grp.max() != t_grp.min()).to_numpy()
    else:
        T = np.full(idx.n, float(temperature_K))
        t_mixed = np.zeros(idx.n, dtype=bool)
    return T, t_mixed


def _sample_scales(df, idx: SampleIndex) -> np.ndarray:
    """``concentration_scale`` of each sample's first row (default "molar")."""
    scale_col = (
        df["concentration_scale"].astype(object).to_numpy()
        if "concentration_scale" in df.columns
        else np.full(len(df), "molar", dtype=object)
    )
    return scale_col[idx.first] if idx.n else np.array([], dtype=object)


def _problems(df, idx: SampleIndex) -> _Problems:
    """Bath matrix, valences and impermeant charge of every sample; caller errors."""
    key, ns = idx.key, idx.n
    z_row = df["valence"].to_numpy()
    c_in_row = df["c_in_mM"].to_numpy(dtype=float)
    c_out_row = df["c_out_mM"].to_numpy(dtype=float)
    permeant = bool_column(df, "permeant", True)
    pr = np.flatnonzero(permeant & (z_row != 0))  # permeant charged rows
    ir = np.flatnonzero(~permeant)  # impermeant rows (charged or neutral)

    codes, ion_names = pd.factorize(df["ion"].to_numpy()[pr])
    ion_names = np.asarray(ion_names, dtype=object)
    ni = ion_names.size
    pair = key[pr] * max(ni, 1) + codes
    dup = pd.Series(pair).duplicated(keep=False).to_numpy()
    if dup.any():
        raise ValueError(
            "donnan: an ion appears twice in one sample at "
            f"{where(df, pr[dup])}; merge or remove the duplicate rows"
        )
    z_col = np.zeros(ni, dtype=np.int64)
    z_col[codes] = z_row[pr]
    clash = z_col[codes] != z_row[pr]
    if clash.any():
        raise ValueError(
            f"donnan: ion {ion_names[codes[clash][0]]} has two valences at "
            f"{where(df, pr[clash])}"
        )
    C_out = np.zeros((ns, ni))
    C_out[key[pr], codes] = c_out_row[pr]
    nan_out = np.isnan(c_out_row[pr])
    missing_out = join_by_sample(key[pr][nan_out], ion_names[codes[nan_out]], ns)
    bad_in = ~np.isfinite(c_in_row[pr])
    missing_in = join_by_sample(key[pr][bad_in], ion_names[codes[bad_in]], ns)

    # Impermeant charge: measured impermeant rows, else the anion gap.
    charged_imp = ir[(z_row[ir] != 0) & ~np.isnan(c_in_row[ir])]
    X_imp = np.bincount(
        key[charged_imp], weights=z_row[charged_imp] * c_in_row[charged_imp],
        minlength=ns,
    )  # fmt: skip
    has_imp = np.bincount(key[charged_imp], minlength=ns) > 0
    gap = -np.bincount(key[pr], weights=z_row[pr] * c_in_row[pr], minlength=ns)
    return _Problems(
        key=key, ns=ns, pr=pr, ir=ir, codes=codes, ion_names=ion_names, z_col=z_col,
        C_out=C_out, missing_out=missing_out, missing_in=missing_in,
        missing_sides=_missing_sides(key, ns, pr, z_row),
        X=np.where(has_imp, X_imp, gap), has_imp=has_imp,
    )  # fmt: skip


def _missing_sides(key, ns, pr, z_row) -> np.ndarray:
    """Per sample: the permeant cation or anion it has no row of ('' if both)."""
    cation = np.bincount(key[pr[z_row[pr] > 0]], minlength=ns) > 0
    anion = np.bincount(key[pr[z_row[pr] < 0]], minlength=ns) > 0
    lacking = np.select(
        [~cation & ~anion, ~cation, ~anion],
        ["no permeant cation or anion row", "no permeant cation row",
         "no permeant anion row"], "",
    ).astype(object)  # fmt: skip
    tail = ": the Donnan equilibrium needs a permeant cation and a permeant anion in "
    text = np.where(lacking != "", lacking + tail + "the bath (c_out)", "")
    return text.astype(object)


def _activity_solve(df, prob: _Problems, T, scale, model, model_params):
    """Activity-aware solve of the valid samples, one call per concentration scale."""
    key, ns, ir, X, C_out = prob.key, prob.ns, prob.ir, prob.X, prob.C_out
    c_in_row = df["c_in_mM"].to_numpy(dtype=float)
    imp_rows = ir[~np.isnan(c_in_row[ir])]
    imp_codes, imp_names = pd.factorize(df["ion"].to_numpy()[imp_rows])
    imp_symbols = _registry_symbols(df, imp_rows, imp_codes, imp_names)
    C_imp = np.zeros((ns, len(imp_names)))
    C_imp[key[imp_rows], imp_codes] = c_in_row[imp_rows]
    gap_A = prob.gap_particles
    valid = np.all(np.isfinite(C_out), axis=1) & np.isfinite(X) & (T > 0)
    # Samples that are not solved keep the (invalid) result of an ideal solve.
    template = donnan_equilibrium(
        c_out=np.where(valid[:, None], C_out, np.nan), valence=prob.z_col,
        impermeant_charge_mM=X, temperature_K=T,
    )  # fmt: skip
    ni = len(prob.ion_names)
    fields = {
        "gamma_in": np.full((ns, ni), np.nan),
        "gamma_out": np.full((ns, ni), np.nan),
        "activity_converged": np.zeros(ns, dtype=bool),
        "activity_iterations": np.zeros(ns, dtype=np.int64),
    }
    arrays = {k: np.array(getattr(template, k)) for k in (
        "ratio", "potential_mV", "c_in_mM", "residual", "residual_mM", "converged",
        "status", "iterations", "closed_form")}  # fmt: skip
    for sc in pd.unique(scale[valid]):
        rows = np.flatnonzero(valid & (scale == sc))
        if rows.size == 0:  # a missing scale (NaN) selects no sample
            continue
        imp: dict[str, np.ndarray] = {}
        for j, s in enumerate(imp_symbols):  # two names of one species add up
            imp[s] = imp[s] + C_imp[rows, j] if s in imp else C_imp[rows, j]
        imp["A-"] = imp.get("A-", 0.0) + gap_A[rows]
        sub = donnan_equilibrium_activity(
            ions=list(prob.ion_names), c_out=C_out[rows], impermeant_charge_mM=X[rows],
            temperature_K=T[rows],
            gamma_fn=activity_gamma_fn(model, scale=str(sc), **model_params),
            impermeant_c_mM_by_ion=imp,
        )  # fmt: skip
        for k in arrays:
            arrays[k][rows] = getattr(sub, k)
        for k in fields:
            fields[k][rows] = getattr(sub, k)
    return DonnanResult(**arrays, **fields)


def _registry_symbols(df, rows, codes, names) -> list[str]:
    """Canonical symbol of each impermeant species name; unknown names raise."""
    symbols = []
    for j, name in enumerate(names):
        try:
            symbols.append(lookup(str(name)).symbol)
        except UnknownIonError as err:
            raise ValueError(
                f"donnan: column 'ion' has value {name!r} at "
                f"{where(df, rows[codes == j])}; rule: must be an ion of the "
                f"registry for an activity model ({err})"
            ) from None
    return symbols


def _reasons(prob: _Problems, res: DonnanResult, status, T, t_mixed, activity_model):
    """Why each sample has no result (empty string when it has one)."""
    X, C_out, ns = prob.X, prob.C_out, prob.ns
    reason = np.array([DONNAN_REASONS[s] for s in DONNAN_STATUS], dtype=object)[status]
    reason[~np.isfinite(X)] = (
        "impermeant charge unknown: no impermeant rows with c_in and the anion gap "
        "needs every permeant ion's c_in"
    )
    gap_lacks = ~np.isfinite(X) & ~prob.has_imp & (prob.missing_in != "")
    reason[gap_lacks] = (
        "impermeant charge unknown: no impermeant rows with c_in, and the anion gap "
        "needs c_in of every permeant ion; not measured for "
        + prob.missing_in[gap_lacks]
    )
    has_missing = prob.missing_out != ""
    reason[has_missing] = (
        "c_out missing (not measured) for " + prob.missing_out[has_missing]
    )
    if res.gamma_out is not None:  # name the ions the activity model cannot handle
        no_gamma = (C_out > 0) & ~(
            np.isfinite(res.gamma_out) & np.isfinite(res.gamma_in)
        )
        attempted = np.isfinite(X) & np.all(np.isfinite(C_out), axis=1) & (T > 0)
        no_gamma &= ((status != OK) & attempted)[:, None]
        rows_g, cols_g = np.nonzero(no_gamma)
        named = join_by_sample(rows_g, prob.ion_names[cols_g], ns)
        has = named != ""
        reason[has] = (
            f"activity model {activity_model!r} gives no activity coefficient for "
            + named[has]
        )
    reason[t_mixed] = "temperature_K differs between rows of this sample"
    return reason


def _osmotic_imbalance(df, prob: _Problems, res: DonnanResult, ok) -> np.ndarray:
    """Ideal particle-count difference inside minus outside per sample, [mOsm/kg]."""
    key, ir, ns = prob.key, prob.ir, prob.ns
    c_in_row = df["c_in_mM"].to_numpy(dtype=float)
    c_out_row = df["c_out_mM"].to_numpy(dtype=float)
    c_in_D = np.where(np.isfinite(res.c_in_mM), res.c_in_mM, 0.0)
    imp_in = np.bincount(key[ir], weights=np.nan_to_num(c_in_row[ir]), minlength=ns)
    imp_out = np.bincount(key[ir], weights=np.nan_to_num(c_out_row[ir]), minlength=ns)
    d_osm = osmotic_imbalance_mOsm_kg(
        c_in=c_in_D, c_out=prob.C_out, impermeant_in=imp_in + prob.gap_particles,
        impermeant_out=imp_out,
    )  # fmt: skip
    return np.where(ok, d_osm, np.nan)


def _sample_frame(samples, df, prob: _Problems, res: DonnanResult, status, reason,
                  T, t_mixed, scale, model_name) -> pd.DataFrame:  # fmt: skip
    """The per-sample table (columns of :func:`donnan_table`); ``status``: labels."""
    ok = status == "ok"
    d_osm = _osmotic_imbalance(df, prob, res, ok)
    kPa = osmotic_pressure_kPa(d_osm, T)
    osm_ok = ok & np.isfinite(d_osm) & np.isfinite(kPa)
    samples["temperature_K"] = T
    samples["donnan_ratio"] = np.where(ok, res.ratio, np.nan)
    samples["donnan_potential_mV"] = np.where(ok, res.potential_mV, np.nan)
    samples["donnan_residual"] = res.residual
    samples["donnan_converged"] = res.converged & ~t_mixed & ok
    samples["donnan_status"] = status
    samples["donnan_reason"] = reason
    samples["donnan_closed_form"] = res.closed_form & ok
    samples["donnan_iterations"] = res.iterations
    samples["impermeant_charge_mM"] = prob.X
    samples["impermeant_charge_source"] = np.where(
        prob.has_imp, "impermeant rows", "anion gap"
    ).astype(object)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN
        samples["bath_charge_mM"] = (prob.C_out * prob.z_col).sum(axis=1)
    samples["donnan_ions"] = join_by_sample(
        prob.key[prob.pr], prob.ion_names[prob.codes], prob.ns
    )
    samples["osmotic_imbalance_mOsm_kg"] = np.where(osm_ok, d_osm, np.nan)
    samples["osmotic_imbalance_kPa"] = np.where(osm_ok, kPa, np.nan)
    samples["osmotic_status"] = np.where(ok & ~osm_ok, "not_finite", status)
    samples["osmotic_reason"] = np.where(
        ok,
        np.where(osm_ok, "", "the osmotic imbalance is not a finite number "
                 "(concentrations beyond floating-point range)"),
        "computed at the Donnan equilibrium, which has none (donnan_status "
        + status + "): " + reason,
    )  # fmt: skip
    samples["concentration_scale"] = scale
    samples["donnan_activity_model"] = model_name
    return samples


def _ion_frame(df, prob: _Problems, res: DonnanResult, status, model_name):
    """The per-ion table (columns of :func:`donnan_ions`); ``status``: labels."""
    pr, codes = prob.pr, prob.codes
    kp = prob.key[pr]
    ok = status == "ok"
    keep = [c for c in ("dataset", "sample_id", "ion", "valence") if c in df.columns]
    ions = df.loc[pr, keep].reset_index(drop=True)
    ions["c_out_mM"] = df["c_out_mM"].to_numpy(dtype=float)[pr]
    ions["c_in_mM"] = df["c_in_mM"].to_numpy(dtype=float)[pr]
    ions["c_in_donnan_mM"] = np.where(ok[kp], res.c_in_mM[kp, codes], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ions["c_in_measured_over_donnan"] = ions["c_in_mM"] / ions["c_in_donnan_mM"]
    ions["donnan_potential_mV"] = np.where(ok, res.potential_mV, np.nan)[kp]
    if res.gamma_in is not None:
        ions["gamma_in_donnan"] = res.gamma_in[kp, codes]
        ions["gamma_out_donnan"] = res.gamma_out[kp, codes]
    # per-sample labels spread over the rows as categoricals: no text per row
    codes, labels = pd.factorize(np.asarray(status, dtype=object))
    ions["donnan_status"] = categorical(codes[kp], labels)
    ions["donnan_activity_model"] = categorical(np.zeros(len(kp)), [model_name])
    for col in ("source_file", "source_row"):
        if col in df.columns:
            ions[col] = df[col].to_numpy()[pr]
    return ions


def donnan_table(df: pd.DataFrame, *, temperature_K=None, activity_model=None,
                 **model_params) -> pd.DataFrame:  # fmt: skip
    r"""Open-system Donnan prediction per sample of a canonical measurement table.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical long table (see :func:`donnan_tables`).
    temperature_K : float, optional
        Override the table's temperature for every sample, [K].
    activity_model : str, optional
        Activity model (:mod:`iongrad.physics.activity`); None means ideal.
    **model_params
        Passed to the activity model.

    Returns
    -------
    pandas.DataFrame
        One row per (``dataset``, ``sample_id``) in order of first appearance:
        ``temperature_K`` [K], ``donnan_ratio`` [-], ``donnan_potential_mV`` [mV],
        ``donnan_residual`` [-] (electroneutrality residual / total charge),
        ``donnan_converged`` (bool), ``donnan_status`` (the labels of
        :data:`iongrad.physics.donnan.DONNAN_STATUS`, ``missing_ions`` or
        ``incomplete_sample``; see the module docstring) and ``donnan_reason``,
        ``donnan_closed_form``, ``donnan_iterations``, ``impermeant_charge_mM``
        [mM of charge], ``impermeant_charge_source`` (``"impermeant rows"`` or
        ``"anion gap"``), ``bath_charge_mM`` (:math:`\sum z c_{out}`, 0 for a
        neutral bath), ``donnan_ions`` (the permeant ions used),
        ``osmotic_imbalance_mOsm_kg`` [mOsm/kg], ``osmotic_imbalance_kPa`` [kPa],
        ``osmotic_status`` and ``osmotic_reason`` (the Donnan status, or
        ``not_finite``), ``concentration_scale``, ``donnan_activity_model``; plus
        ``cell_type`` when present. Failed samples keep their row with NaN values
        and a reason.

    Notes
    -----
    Physics and conventions as :func:`iongrad.physics.donnan.donnan_equilibrium`
    (ideal) or :func:`iongrad.physics.donnan.donnan_equilibrium_activity`
    (``activity_model`` given): :math:`c_{in,i} = c_{out,i} r^{z_i}`,
    :math:`V_D = -(RT/F) \ln r`, natural log.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "dataset": "demo", "sample_id": "s1", "temperature_K": 298.15,
    ...     "ion": ["K+", "Cl-", "A-"], "valence": [1, -1, -1],
    ...     "c_in_mM": [float("nan"), float("nan"), 100.0],
    ...     "c_out_mM": [100.0, 100.0, 0.0], "permeant": [True, True, False]})
    >>> out = donnan_table(table)
    >>> round(float(out.donnan_potential_mV[0]), 2), out.impermeant_charge_source[0]
    (-12.36, 'impermeant rows')
    """
    return donnan_tables(
        df, temperature_K=temperature_K, activity_model=activity_model, **model_params
    )[0]


def donnan_ions(df: pd.DataFrame, *, temperature_K=None, activity_model=None,
                **model_params) -> pd.DataFrame:  # fmt: skip
    r"""Donnan prediction per sample x permeant charged ion of a canonical table.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical long table (see :func:`donnan_tables`).
    temperature_K : float, optional
        Override the table's temperature for every sample, [K].
    activity_model : str, optional
        Activity model (:mod:`iongrad.physics.activity`); None means ideal.
    **model_params
        Passed to the activity model.

    Returns
    -------
    pandas.DataFrame
        One row per permeant charged row of ``df`` (input order): ``dataset``,
        ``sample_id``, ``ion``, ``valence``, ``c_out_mM``, ``c_in_mM`` (measured),
        ``c_in_donnan_mM`` [mM] (:math:`c_{out} r^z`), ``c_in_measured_over_donnan``
        [-], ``donnan_potential_mV`` [mV], ``gamma_in_donnan``/``gamma_out_donnan``
        (with an activity model), ``donnan_status``, ``donnan_activity_model`` and
        the provenance columns ``source_file``/``source_row`` when present.

    Notes
    -----
    Same computation as :func:`donnan_table`; call :func:`donnan_tables` to get
    both frames from one solve.
    """
    return donnan_tables(
        df, temperature_K=temperature_K, activity_model=activity_model, **model_params
    )[1]
