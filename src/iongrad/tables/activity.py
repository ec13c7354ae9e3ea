r"""Activity coefficients for the canonical measurement table, row by row.

:func:`activity_table` gives every row of the canonical table (one row per sample x
ion) the model's single-ion activity coefficients inside and outside, the measured
ones where the table has them, the ionic strengths and whether the model is valid
there. The models are those of :mod:`iongrad.physics.activity`; this module groups
the rows into solutions and says in words what happened to each row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from iongrad.ions import UnknownIonError, lookup
from iongrad.physics.activity import (
    DEFAULT_CONVENTION,
    DEFAULT_MODEL,
    activity_coefficients_long,
    check_model,
    decode_flags,
)
from iongrad.physics.ionic_strength import molar_to_molal
from iongrad.tables.locate import categorical, combinations, where

__all__ = ["activity_table"]

_REQUIRED = (
    "dataset",
    "sample_id",
    "temperature_K",
    "ion",
    "valence",
    "c_in_mM",
    "c_out_mM",
)
_SCALE_LABEL = {
    "molal": "molal (given)",
    "molar": "molal from molar: m = c / rho_water(T), dilute-solution assumption",
}
#: Per-solution notes of one compartment, by bit of the note flags.
_INPUT_NOTES = [
    "negative or infinite concentration: gamma undefined",
    "unmeasured (NaN) species excluded from ionic strength",
]


def activity_table(
    df: pd.DataFrame,
    *,
    model: str = DEFAULT_MODEL,
    convention: str = DEFAULT_CONVENTION,
    **model_params,
) -> pd.DataFrame:
    r"""Model (or measured) activity coefficients for a canonical measurement table.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical long table (one row per sample x ion): ``dataset, sample_id,
        temperature_K, ion, valence, c_in_mM, c_out_mM``, optional
        ``concentration_scale`` ("molar" = mM, "molal" = mmol/kg; default "molar"),
        ``gamma_in``, ``gamma_out`` (measured coefficients, NaN = not measured).
    model : str
        One of :data:`iongrad.physics.activity.MODELS` (default
        ``"truesdell-jones"``).
    convention : str
        ``"macinnes"`` (default) or ``"unscaled"``.
    **model_params
        ``davies_coefficient`` for ``model="davies"``.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``df.index``: ``gamma_in_model``, ``gamma_out_model`` (the
        model's coefficients, always), ``gamma_in_used``, ``gamma_out_used`` (the
        coefficients to use: measured where given, else the model's),
        ``gamma_source`` ("model", "measured", or "mixed" when only one compartment
        was measured),
        ``ionic_strength_in_molal``, ``ionic_strength_out_molal`` [mol/kg],
        ``activity_model``, ``activity_convention``, ``activity_valid`` (both used
        gammas finite, and each model-derived one inside the model's stated I and T
        range; a measured gamma counts as valid), ``concentration_scale_used``,
        ``activity_reason`` (why a gamma is NaN or what the model assumed; empty
        when nothing to say).

    Raises
    ------
    ValueError
        Missing columns, unknown model/convention/parameter, or an unknown
        ``concentration_scale`` value (message names the rows).

    Notes
    -----
    Solutions are (dataset, sample_id, temperature_K) x compartment; ionic strength
    sums every charged row of the solution, impermeant ones included. Molar inputs
    are converted with :func:`iongrad.physics.ionic_strength.molar_to_molal`. Gammas
    are on the molal scale; the Nernst ratio uses them with the table's
    concentrations. Equations: :func:`iongrad.physics.activity.activity_coefficients`.

    Examples
    --------
    >>> df = pd.DataFrame({"dataset": "d", "sample_id": "s", "temperature_K": 310.15,
    ...     "ion": ["Na+", "Cl-"], "valence": [1, -1],
    ...     "c_in_mM": [10.0, 10.0], "c_out_mM": [150.0, 150.0]})
    >>> out = activity_table(df)
    >>> out["gamma_out_model"].round(3).tolist(), bool(out["activity_valid"].all())
    ([0.754, 0.729], True)
    """
    check_model(model, convention, model_params)
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"activity_table: missing column(s) {missing}")
    scale = _scales(df)
    ion, canon = _ions(df)
    codes, group_T = _solutions(df)
    T = df["temperature_K"].to_numpy(dtype=float)
    z = df["valence"].to_numpy(dtype=float)
    sides = {}
    for side in ("in", "out"):
        c = df[f"c_{side}_mM"].to_numpy(dtype=float)
        m = np.where(scale, c / 1000.0, molar_to_molal(c, T))
        sides[side] = _compartment(
            m, ion, canon, z, codes, group_T, model, convention, model_params
        )
    return _frame(df, sides["in"], sides["out"], scale, model, convention)


def _scales(df: pd.DataFrame) -> np.ndarray:
    """Whether each row is molal (``concentration_scale``, default "molar");
    unknown values raise. Each distinct value is looked at once."""
    if "concentration_scale" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    codes, values = pd.factorize(df["concentration_scale"], use_na_sentinel=True)
    names = ["molar" if pd.isna(v) else str(v) for v in values]
    for i, name in enumerate(names):
        if name not in _SCALE_LABEL:
            rows = np.flatnonzero(codes == i)
            raise ValueError(
                f"activity_table: column 'concentration_scale' has value "
                f"{name!r} at {where(df, rows)}; rule: must be 'molar' or 'molal'"
            )
    molal = np.array([n == "molal" for n in names] + [False])  # NaN: molar
    return molal[codes]


def _ions(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Ion name code per row and the canonical symbol of each name; unknown raise."""
    code, names = pd.factorize(df["ion"], use_na_sentinel=False)
    canon = []
    for i, value in enumerate(names):
        name = str(value)
        try:
            canon.append(lookup(name).symbol)
        except UnknownIonError as err:
            rows = np.flatnonzero(code == i)
            raise ValueError(
                f"activity_table: column 'ion' has value {name!r} at "
                f"{where(df, rows)}; rule: must be an ion of the registry ({err})"
            ) from None
    return np.asarray(code, dtype=np.int64), canon


def _solutions(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Solution code per row, (dataset, sample_id, temperature_K), and its T [K].

    A solution is finer than a sample (:func:`iongrad.canonical.sample_index`): rows
    of one sample at two temperatures are two solutions, each with its own ionic
    strength and A(T).
    """
    codes = (
        df.groupby(["dataset", "sample_id", "temperature_K"], sort=False, dropna=False)
        .ngroup()
        .to_numpy()
    )
    group_T = np.zeros(int(codes.max()) + 1 if len(df) else 0)
    group_T[codes] = df["temperature_K"].to_numpy(dtype=float)
    return codes, group_T


class _Side(NamedTuple):
    """One compartment's results per row (``note`` and ``reason`` as codes into
    their texts)."""

    gamma: np.ndarray
    ionic_strength: np.ndarray
    valid: np.ndarray
    note: pd.Categorical
    reason: pd.Categorical


def _compartment(m, ion, canon, z, codes, group_T, model, convention, model_params):
    """Model gammas, ionic strength, validity, notes and reasons per row."""
    res = activity_coefficients_long(
        molality=m, ion=ion, ions=canon, valence=z, solution=codes,
        temperature_K=group_T, model=model, convention=convention, **model_params,
    )  # fmt: skip
    flags = res.negative.astype(np.int64) | res.unmeasured.astype(np.int64) << 1
    note = decode_flags(flags, _INPUT_NOTES)
    if model == "pitzer":
        note = _join_reasons(note, res.notes)
    reason = np.array([res.ion_reasons.get(s, "") for s in canon], dtype=object)
    return _Side(
        gamma=res.gamma,
        ionic_strength=res.ionic_strength_molal[codes],
        valid=res.valid[codes],
        note=_spread(note, codes),
        reason=_spread(reason, ion),
    )


def _spread(texts: np.ndarray, index: np.ndarray) -> pd.Categorical:
    """``texts[index]`` as a categorical: one copy of each distinct text."""
    codes, uniques = pd.factorize(np.asarray(texts, dtype=object))
    return pd.Categorical.from_codes(codes[index], categories=pd.Index(uniques))


def _frame(df, inside: _Side, outside: _Side, molal, model, convention):
    """The result table: measured gammas override the model, reasons in words.

    The text columns are categoricals; each reason is written once per distinct
    combination of its parts (ion reasons, notes, which gammas were measured).
    """
    n = len(df)
    g_in, g_out = inside.gamma, outside.gamma
    meas_in = np.zeros(n, dtype=bool)
    meas_out = np.zeros(n, dtype=bool)
    if "gamma_in" in df.columns:
        gi = df["gamma_in"].to_numpy(dtype=float)
        meas_in = ~np.isnan(gi)
        g_in = np.where(meas_in, gi, g_in)
    if "gamma_out" in df.columns:
        go = df["gamma_out"].to_numpy(dtype=float)
        meas_out = ~np.isnan(go)
        g_out = np.where(meas_out, go, g_out)
    source = np.where(meas_in & meas_out, 0, np.where(meas_in | meas_out, 1, 2))
    valid = (
        (inside.valid | meas_in)
        & (outside.valid | meas_out)
        & np.isfinite(g_in)
        & np.isfinite(g_out)
    )
    scale_used = [_SCALE_LABEL[s] for s in ("molar", "molal")]
    return pd.DataFrame(
        {
            "gamma_in_model": inside.gamma,
            "gamma_out_model": outside.gamma,
            "gamma_in_used": g_in,
            "gamma_out_used": g_out,
            "gamma_source": categorical(source, ["measured", "mixed", "model"]),
            "ionic_strength_in_molal": inside.ionic_strength,
            "ionic_strength_out_molal": outside.ionic_strength,
            "activity_model": categorical(np.zeros(n, dtype=np.int8), [model]),
            "activity_convention": categorical(
                np.zeros(n, dtype=np.int8), [convention]
            ),
            "activity_valid": valid,
            "concentration_scale_used": categorical(molal.astype(np.int8), scale_used),
            "activity_reason": _row_reasons(inside, outside, meas_in, meas_out),
        },
        index=df.index,
        copy=False,  # each column its own block: not stacked into a new array
    )


def _row_reasons(inside: _Side, outside: _Side, meas_in, meas_out) -> pd.Categorical:
    """``activity_reason`` per row, written once per distinct combination of the
    sides' reasons and notes and of which gammas were measured."""
    parts = [
        (inside.reason.codes, inside.reason.categories),
        (outside.reason.codes, outside.reason.categories),
        (inside.note.codes, inside.note.categories),
        (outside.note.codes, outside.note.categories),
        (meas_in.astype(np.int64), [False, True]),
        (meas_out.astype(np.int64), [False, True]),
    ]
    combo, found = combinations(parts)
    texts = [_reason_text(*values) for values in found]
    codes, uniques = pd.factorize(np.asarray(texts, dtype=object))
    return categorical(codes[combo], uniques)


def _reason_text(reason_in, reason_out, note_in, note_out, m_in, m_out) -> str:
    """One row's ``activity_reason``: the ion reasons, the notes (one text when
    both sides have the same), and that a measured gamma overrides the model."""
    if m_in:
        reason_in = note_in = ""
    if m_out or reason_out == reason_in:
        reason_out = ""
    if m_out:
        note_out = ""
    same = note_in == note_out
    parts = [
        reason_in,
        reason_out,
        _prefixed("in and out: " if same else "in: ", note_in),
        "" if same else _prefixed("out: ", note_out),
        "measured gamma overrides the model" if m_in or m_out else "",
    ]
    return "; ".join(str(p) for p in parts if p)


def _prefixed(prefix: str, note: str) -> str:
    return prefix + note if note else ""


def _join_reasons(*parts) -> np.ndarray:
    """Join arrays of notes elementwise with '; ', dropping empty parts.

    Each distinct combination is joined once (a table has few distinct notes): the
    cost is one factorization per part, not one Python operation per element.
    """
    n = len(parts[0]) if parts else 0
    if n == 0:
        return np.empty(0, dtype=object)
    key = np.zeros(n, dtype=np.int64)
    values = []
    for part in parts:
        codes, uniques = pd.factorize(np.asarray(part, dtype=object))
        key = key * len(uniques) + codes
        values.append([str(u) for u in uniques])
    combo, keys = pd.factorize(key)
    texts = []
    for k in keys.tolist():
        items = []
        for names in reversed(values):
            k, c = divmod(k, len(names))
            items.append(names[c])
        texts.append("; ".join(x for x in reversed(items) if x))
    return np.asarray(texts, dtype=object)[combo]
