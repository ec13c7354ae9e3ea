r"""Liquid junction potential (LJP) per sample, and the Vm corrected for it.

Sign convention (:data:`iongrad.physics.ljp.SIGN_CONVENTION`): ``ljp_mV`` is the
potential of the bath with respect to the pipette, and a whole-cell reading is
corrected as ``Vm = Vm_measured - ljp_mV``. A K-gluconate pipette against ACSF gives
about +16 mV, so the corrected Vm is about 16 mV more negative than the reading.

Where the solutions come from
-----------------------------
Recording solutions are named once in the workflow config (``solutions: {NAME:
"K+=145, Na+=13, ..."}``, the grammar of ``iongrad ljp``, mM unless a unit is given)
and referenced by name: by the config's ``recording: {pipette, bath, method, adjust}``
(top level, or per dataset), or per sample by the table's ``pipette_solution`` /
``bath_solution`` columns, which win over the config. A lab uses a handful of
solutions for thousands of cells; naming them avoids retyping ten concentrations per
row, and the columns let one table mix solutions.

What is applied (one value per sample)
--------------------------------------
``ljp_computed_mV``
    From the two compositions at the sample's temperature, by the recording's
    ``method`` (default :data:`iongrad.physics.ljp.DEFAULT_METHOD`); NaN when a
    solution is not known (or the temperature is outside 0-100 degC).
``ljp_adjustment``
    The change the recording's ``adjust`` made to a solution that was not
    electroneutral (``Cl- +5 mM in pipette 'KGlu'``), '' when none: never silent.
``ljp_file_mV``
    The table's ``ljp_mV`` (first value given in the sample).
``ljp_applied_mV``, ``ljp_source``, ``vm_corrected_mV``
    ``ljp_corrected`` ``yes``: 0 (the file's Vm is already corrected), source
    ``none``. ``no``: the file's LJP when given (source ``file``), else the
    computed one (``computed``), else 0 (``none``). ``unreported``: 0 (``none``):
    whether the reading holds the junction potential is not known.
    ``vm_corrected_mV = vm_mV - ljp_applied_mV``; ``vm_mV`` stays what the file says.
``ljp_status``, ``ljp_reason``
    ``ok``; ``no_vm``; ``vm_ljp_uncorrected`` (``no`` with no LJP known, or
    ``unreported``); ``vm_ljp_disagrees`` (file and computed LJP differ by more than
    :data:`DISAGREEMENT_MV`). Every comparison of Vm with a prediction made from
    ``vm_corrected_mV`` carries the last two as its status instead of ``ok``.

The LJPs are computed once per (pipette, bath) pair, vectorised over the distinct
temperatures of its samples: a million samples recorded with three solutions cost
three calls of :func:`iongrad.physics.ljp.liquid_junction_potential`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from iongrad.canonical import sample_index
from iongrad.ions import UnknownIonError, lookup
from iongrad.physics.ljp import (
    DEFAULT_METHOD,
    TEMPERATURE_RANGE_K,
    ElectroneutralityError,
    MobilityError,
    liquid_junction_potential,
    mobility,
)
from iongrad.tables.locate import categorical
from iongrad.units import UnitError, parse_composition

__all__ = [
    "DISAGREEMENT_MV",
    "LJP_DOUBT",
    "LJP_SAMPLE_COLUMNS",
    "LJP_STATUS_REASONS",
    "SOLUTION_COLUMNS",
    "SolutionError",
    "check_recording",
    "ljp_columns",
    "parse_solutions",
    "sample_ljp",
]

#: A file LJP and the computed one further apart than this [mV] are flagged. JPCalc
#: and LJPcalc reproduce measured junction potentials within about 0.5 mV (Barry &
#: Lynch 1991; Ng & Barry 1995), so 1 mV is twice what the method explains: beyond
#: it the file's solutions, temperature or sign differ from what the config says.
DISAGREEMENT_MV = 1.0
#: Table columns naming each sample's solutions (they win over config ``recording``).
SOLUTION_COLUMNS = {"pipette": "pipette_solution", "bath": "bath_solution"}
#: Per-sample columns added by :func:`sample_ljp` (besides dataset, sample_id, vm_mV).
LJP_SAMPLE_COLUMNS = (
    "pipette_solution",
    "bath_solution",
    "ljp_method",
    "ljp_computed_mV",
    "ljp_adjustment",
    "ljp_file_mV",
    "ljp_difference_mV",
    "ljp_applied_mV",
    "vm_corrected_mV",
    "ljp_source",
    "ljp_status",
    "ljp_reason",
)
#: ``ljp_status`` -> reason (``vm_ljp_uncorrected`` has three, chosen per sample).
LJP_STATUS_REASONS = {
    "ok": "",
    "no_vm": "no measured membrane potential (vm_mV) for this sample",
    "vm_ljp_uncorrected": "Vm is not corrected: ljp_corrected is 'no' and no liquid "
    "junction potential is known (no ljp_mV in the file, no recording solutions)",
    "vm_ljp_not_computed": "Vm is not corrected: ljp_corrected is 'no' and the LJP "
    "of its solutions could not be computed (temperature outside 0-100 degC, the "
    "range of the mobilities' water viscosity, or no Nernst-Planck solution)",
    "vm_ljp_unreported": "LJP correction unreported: whether Vm holds the liquid "
    "junction potential is not known, so Vm is used as measured",
    "vm_ljp_disagrees": f"the file's ljp_mV and the computed LJP differ by more "
    f"than {DISAGREEMENT_MV:g} mV (LJP calculators match measured junctions within "
    "0.5 mV): check the solutions, temperature and sign",
}


#: The ``ljp_status`` values of a Vm whose junction potential is in doubt: a number
#: computed from that Vm keeps its value and takes this status instead of ``ok``.
LJP_DOUBT = ("vm_ljp_uncorrected", "vm_ljp_disagrees")


class SolutionError(ValueError):
    """A recording solution that cannot be used: its name, its text or its charge."""


def parse_solutions(solutions: Mapping[str, str] | None) -> dict[str, dict[str, float]]:
    """Parse the config's ``solutions`` into name -> {ion symbol: concentration}.

    Each text is read by :func:`iongrad.units.parse_composition`, the grammar of
    ``iongrad ljp --pipette``. Raises :class:`SolutionError` naming the solution
    for an unknown ion (with the registry's close matches), a bad unit, or a
    charged ion without a liquid-junction mobility (with close matches).
    """
    out: dict[str, dict[str, float]] = {}
    scales: dict[str, set[str]] = {}
    for name, text in (solutions or {}).items():
        where = f"solution {name!r} ({text!r})"
        try:
            comp = parse_composition(str(text))
        except (UnitError, UnknownIonError) as err:
            raise SolutionError(f"{where}: {err}") from None
        for c in comp.values():
            scales.setdefault(c.scale, set()).add(str(name))
        for symbol in comp:
            if lookup(symbol).valence == 0:
                continue
            try:
                mobility(symbol)
            except MobilityError as err:
                raise SolutionError(f"{where}: {err}") from None
        out[str(name)] = {s: c.value for s, c in comp.items()}
    if len(scales) > 1:
        # Any two may meet in a junction: mM against mmol/kg would be compared as
        # equals (about 1-2 % apart at physiological strengths).
        named = "; ".join(f"{scale}: {sorted(names)}" for scale, names in
                          sorted(scales.items()))  # fmt: skip
        raise SolutionError(
            f"solutions mix molar (M, mM) and molal (mol/kg) concentrations "
            f"({named}): give them all on one scale"
        )
    return out


def check_recording(
    recording: Mapping | None, solutions: Mapping[str, str] | None, where: str
) -> None:
    """Check that a ``recording``'s solutions are named in ``solutions`` and give a
    junction potential (electroneutral, or with ``adjust``); ``where`` names the
    config key in the message."""
    rec = dict(recording or {})
    parsed = parse_solutions(solutions)
    for side in ("pipette", "bath"):
        name = rec.get(side)
        if name is not None and str(name) not in parsed:
            raise SolutionError(
                f"{where}/{side}: {name!r} is not a solution named in config key "
                f"solutions{_close(str(name), parsed)}"
            )
    if rec.get("pipette") is not None and rec.get("bath") is not None:
        pair = (str(rec["pipette"]), str(rec["bath"]))
        _solve(pair, np.array([298.15]), parsed, rec)


def _close(name: str, known) -> str:
    """``; close matches: ...`` (or the names there are) for a message."""
    names = sorted(map(str, known))
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if close:
        return f"; close matches: {', '.join(close)}"
    return f" (named: {', '.join(names)})" if names else " (none is named)"


def _solve(pair, temperatures_K, parsed, rec) -> tuple[np.ndarray, str]:
    """LJP [mV] of one (pipette, bath) pair at each temperature (one solve), and
    the electroneutrality adjustment made, in words ('' when none)."""
    n = len(temperatures_K)
    pip, bath = (
        {ion: np.full(n, c) for ion, c in parsed[name].items()} for name in pair
    )
    try:
        res = liquid_junction_potential(
            pip,
            bath,
            temperatures_K,
            method=rec.get("method") or DEFAULT_METHOD,
            adjust=rec.get("adjust"),
        )
    except ElectroneutralityError as err:
        name = pair[0] if err.solution == "pipette" else pair[1]
        raise SolutionError(
            f"solution {name!r} ({err.solution} of pipette {pair[0]!r} / bath "
            f"{pair[1]!r}): {err}; name it in config recording adjust: ION"
        ) from None
    except (ValueError, UnknownIonError) as err:
        raise SolutionError(f"pipette {pair[0]!r} / bath {pair[1]!r}: {err}") from None
    changes = [
        f"{float(change[0]):+g} mM in {side} {name!r}"
        for side, name, change in (
            ("pipette", pair[0], res.pipette_adjustment_mM),
            ("bath", pair[1], res.bath_adjustment_mM),
        )
        if len(change) and float(change[0]) != 0.0
    ]
    said = f"{res.adjusted_ion} " + ", ".join(changes) if changes else ""
    return res.ljp_mV, said


def _given(df: pd.DataFrame, idx, column: str, numeric: bool) -> np.ndarray:
    """The first value given (not missing) of ``column`` in each sample: the value
    of the sample's first row, unless that is missing and another row has one (a
    per-row group-by only then)."""
    if column not in df.columns:
        return np.full(
            idx.n, np.nan if numeric else None, dtype=float if numeric else object
        )
    col = df[column]
    values = col.to_numpy(dtype=float) if numeric else col.to_numpy(dtype=object)
    missing = pd.isna(values)
    first = values[idx.first]
    if missing[idx.first].any() and not missing.all():
        kept = pd.Series(values).where(~missing)
        first = kept.groupby(idx.key).first().reindex(range(idx.n)).to_numpy()
    if not numeric:
        first = np.where(pd.isna(first), None, first).astype(object)
    return first


def _names(df, idx, side, rec, parsed) -> np.ndarray:
    """Each sample's solution name for ``side`` (column first, then the recording);
    an unknown name is a :class:`SolutionError` at its first cell."""
    column = SOLUTION_COLUMNS[side]
    names = np.full(idx.n, rec.get(side), dtype=object)
    if column in df.columns:
        given = _given(df, idx, column, numeric=False)
        names = np.where(pd.notna(given), given, names)
    names = np.where(pd.isna(names), None, names).astype(object)
    for name in pd.unique(names[pd.notna(names)]):
        if parsed is None or str(name) in parsed:
            continue
        row = _first_row(df, column, name)
        configured = (
            f"a solution named in config key solutions{_close(str(name), parsed)}"
            if parsed
            else "defined: the config has no `solutions`"
        )
        raise SolutionError(f"{row}column {column}, value {name!r}: not {configured}")
    return names


def _first_row(df: pd.DataFrame, column: str, value) -> str:
    """``file row N, `` of the first cell of ``column`` holding ``value``."""
    if column not in df.columns:
        return ""
    hits = np.flatnonzero((df[column].astype(object) == value).to_numpy())
    if not len(hits):
        return ""
    i = int(hits[0])
    file = df["source_file"].iloc[i] if "source_file" in df.columns else None
    row = df["source_row"].iloc[i] if "source_row" in df.columns else i
    return f"{file + ' ' if isinstance(file, str) else ''}row {row}, "


def _computed(pipette, bath, T, parsed, rec) -> tuple[np.ndarray, np.ndarray]:
    """Computed LJP per sample (one solve per (pipette, bath) pair), and the
    adjustment made for electroneutrality, in words."""
    out = np.full(len(T), np.nan)
    said = np.full(len(T), "", dtype=object)
    lo, hi = TEMPERATURE_RANGE_K
    known = pd.notna(pipette) & pd.notna(bath) & (lo <= T) & (hi >= T)
    if not known.any():
        return out, said
    pairs = pd.DataFrame({"p": pipette[known], "b": bath[known], "T": T[known]})
    at = np.flatnonzero(known)
    for (p, b), part in pairs.groupby(["p", "b"], sort=True):
        temps, inverse = np.unique(part["T"].to_numpy(), return_inverse=True)
        ljp, adjustment = _solve((str(p), str(b)), temps, parsed, rec)
        rows = at[part.index.to_numpy()]
        out[rows] = ljp[inverse]
        said[rows] = adjustment
    return out, said


def sample_ljp(
    df: pd.DataFrame,
    solutions: Mapping[str, str] | None = None,
    recording: Mapping | None = None,
) -> pd.DataFrame:
    """One row per (dataset, sample_id): the LJP columns of the module docstring.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical measurement table (``vm_mV``, ``ljp_mV``, ``ljp_corrected``,
        ``temperature_K``; optional ``pipette_solution``, ``bath_solution``,
        ``source_file``, ``source_row``).
    solutions : mapping, optional
        Config ``solutions``: name -> composition text. None: no LJP is computed
        and solution names are not resolved (a Vm then counts as one without a
        known LJP); a mapping, even empty, makes every name in use known or an
        error.
    recording : mapping, optional
        The dataset's ``recording``: ``pipette``, ``bath`` (solution names),
        ``method``, ``adjust``.

    Raises
    ------
    SolutionError
        A solution name that is not configured (located at its first cell, with
        close matches), an unparseable solution, or a pair that is not
        electroneutral without ``adjust``.
    """
    table = df.reset_index(drop=True)
    return _sample_ljp(table, sample_index(table), solutions, recording)


def _sample_ljp(table, idx, solutions, recording) -> pd.DataFrame:
    """:func:`sample_ljp` of a table with a default index and its sample index."""
    rec = dict(recording or {})
    parsed = None if solutions is None else parse_solutions(solutions)
    pipette = _names(table, idx, "pipette", rec, parsed)
    bath = _names(table, idx, "bath", rec, parsed)
    if parsed is None:  # not asked to compute: no name is resolved
        parsed = {}
        known = np.zeros(idx.n, dtype=bool)
    else:
        known = pd.notna(pipette) & pd.notna(bath)

    T = table["temperature_K"].to_numpy(dtype=float)[idx.first]
    computed, adjustment = _computed(
        np.where(known, pipette, None), np.where(known, bath, None), T, parsed, rec
    )
    out = idx.frame[["dataset", "sample_id"]].copy()
    both = known
    out["pipette_solution"] = pipette
    out["bath_solution"] = bath
    out["ljp_method"] = np.where(both, rec.get("method") or DEFAULT_METHOD, "")
    out["ljp_computed_mV"] = computed
    out["ljp_adjustment"] = adjustment
    # ljp_corrected of each sample's first row (the gate fills it in every row)
    corrected = (
        pd.Series(_given(table, idx, "ljp_corrected", numeric=False), dtype=object)
        .fillna("unreported")
        .astype(str)
        .str.lower()
        .to_numpy(dtype=object)
    )
    vm = _given(table, idx, "vm_mV", numeric=True)
    file = _given(table, idx, "ljp_mV", numeric=True)
    for name, values in _apply(vm, file, computed, corrected, known):
        out[name] = values
    return out[["dataset", "sample_id", "vm_mV", *LJP_SAMPLE_COLUMNS]]


def _apply(vm, file, computed, corrected, named):
    """The rules of the module docstring, per sample: (column, values) pairs;
    ``named``: both solutions known (their LJP should have been computed)."""
    no = corrected == "no"
    has_file, has_comp = np.isfinite(file), np.isfinite(computed)
    applied = np.where(no & has_file, file, np.where(no & has_comp, computed, 0.0))
    source = np.where(
        no & has_file, "file", np.where(no & has_comp, "computed", "none")
    ).astype(object)
    diff = file - computed
    status = np.full(len(vm), "ok", dtype=object)
    status[np.abs(np.where(np.isfinite(diff), diff, 0.0)) > DISAGREEMENT_MV] = (
        "vm_ljp_disagrees"
    )
    reason_key = status.copy()
    unknown = no & (source == "none")
    unsure = (corrected != "yes") & ~no
    status[unknown | unsure] = "vm_ljp_uncorrected"
    reason_key[unknown] = "vm_ljp_uncorrected"
    reason_key[unknown & named & ~has_comp] = "vm_ljp_not_computed"
    reason_key[unsure] = "vm_ljp_unreported"
    no_vm = ~np.isfinite(vm)
    status[no_vm] = reason_key[no_vm] = "no_vm"
    reasons = np.array([LJP_STATUS_REASONS[k] for k in reason_key], dtype=object)
    return [
        ("vm_mV", vm),
        ("ljp_file_mV", file),
        ("ljp_difference_mV", diff),
        ("ljp_applied_mV", applied),
        ("vm_corrected_mV", vm - applied),
        ("ljp_source", source),
        ("ljp_status", status),
        ("ljp_reason", reasons),
    ]


def ljp_columns(
    df: pd.DataFrame,
    solutions: Mapping[str, str] | None = None,
    recording: Mapping | None = None,
) -> dict[str, np.ndarray]:
    """:func:`sample_ljp`'s columns for every row of ``df`` (constant within a
    sample), in ``df``'s row order."""
    table = df.reset_index(drop=True)
    idx = sample_index(table)
    per_sample = _sample_ljp(table, idx, solutions, recording)
    out: dict[str, object] = {}
    for c in LJP_SAMPLE_COLUMNS:
        values = per_sample[c].to_numpy()
        if values.dtype == object:  # a few distinct texts: categories, not strings
            # Sorted categories (locate.categorical): the same values give the
            # same dtype whatever the rows' order or split into partitions.
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            out[c] = categorical(codes[idx.key], uniques)
        else:
            out[c] = values[idx.key]
    return out
