"""Per-sample predictions: Donnan equilibrium and GHK resting potential per sample.

:func:`compute_samples` takes the potentials table and returns one row per sample
(plus the per-ion Donnan table), calling the table adapters of
:mod:`iongrad.tables.donnan` and :mod:`iongrad.tables.ghk`.

What a sample must contain
--------------------------
A sample-level prediction made from part of a sample is a wrong number (the GHK
potential of a sample that lost its K+ and Na+ rows is E_Cl), so each prediction
states what it needs. A sample that lacks it gets NaN for the prediction and a
non-ok status whose reason names the missing or rejected ions:

====================  ============================================================
prediction            needs (status when not met)
====================  ============================================================
every one below       a complete sample: no row of it rejected by validation
                      (``incomplete_sample``, the rejected rows named from
                      ``sample_rejected``)
GHK potential         every ion of the permeabilities in use, each with finite c_in
(``ghk_status``)      and c_out: the measured ``permeability`` values when every
                      current carrier of the sample gives one, else the default
                      permeabilities (config ``ghk.default_permeability``: K+, Na+,
                      Cl-) (``missing_ions`` "no Na+ row: ...", or ``invalid_input``
                      naming an ion without c_in or c_out)
Donnan                a permeant cation and a permeant anion with c_out (the bath;
(``donnan_status``)   ``missing_ions``, or ``invalid_input`` naming a missing c_out),
                      and the impermeant charge: impermeant rows with c_in, or else
                      c_in of every permeant ion, whose anion gap stands for it
                      (``invalid_input`` naming the ions)
pump-leak             Na+ and K+, each with a permeability and finite c_in and c_out
(``pump_status``)     (``missing_ions``), and a membrane potential: measured (and
                      corrected for the liquid junction potential), else the GHK
                      one (``no_potential``); a measured Vm whose LJP is in doubt
                      gives the sample's ``ljp_status`` (numbers kept)
osmotic imbalance     the Donnan equilibrium it is computed at (``osmotic_status``
(``osmotic_status``)  follows ``donnan_status``)
====================  ============================================================

Completeness comes from the optional per-row columns ``sample_complete`` (False when
validation rejected a row of the sample) and ``sample_rejected`` (the rejected rows
in words); without them a sample counts as complete. They are carried into
``samples.parquet`` when present. ``bath_charge_mM`` and an anion-gap
``impermeant_charge_mM`` are NaN when the Donnan needs are not met. Per-row Nernst
potentials of accepted rows are facts about those rows and stay as they are. Any
number that comes out non-finite gets ``not_finite``: a status ``"ok"`` always comes
with finite numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from iongrad.canonical import CANONICAL_COLUMNS, sample_index
from iongrad.tables.donnan import donnan_tables
from iongrad.tables.ghk import ghk_table
from iongrad.tables.ljp import LJP_SAMPLE_COLUMNS
from iongrad.tables.requirements import COMPLETENESS_COLUMNS, completeness

__all__ = ["POTENTIALS_COLUMNS", "compute_samples"]

#: Columns of the canonical measurement table that the per-sample solvers read (the
#: completeness columns when the table has them, and the LJP-corrected Vm).
MEASUREMENT_COLUMNS = (
    *CANONICAL_COLUMNS,
    *(c for c in COMPLETENESS_COLUMNS if c not in CANONICAL_COLUMNS),
    "vm_corrected_mV",
    "ljp_status",
    "ljp_reason",
)

#: Columns of the potentials table constant within a sample, carried per sample.
PER_SAMPLE_COLUMNS = (
    "cell_type",
    "temperature_K",
    "vm_mV",
    "ionic_strength_in_molal",
    "ionic_strength_out_molal",
    "activity_model",
    "activity_convention",
    "ljp_corrected",
    *LJP_SAMPLE_COLUMNS,
)
#: Every column of the potentials table :func:`compute_samples` reads (a job reads
#: only these of potentials.parquet).
POTENTIALS_COLUMNS = tuple(
    dict.fromkeys(
        ("dataset", "sample_id", *PER_SAMPLE_COLUMNS, "activity_valid",
         *MEASUREMENT_COLUMNS)
    )
)  # fmt: skip


def compute_samples(
    potentials: pd.DataFrame,
    *,
    donnan: Mapping[str, Any],
    ghk: Mapping[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-sample Donnan and GHK predictions, and the per-ion Donnan table.

    Parameters
    ----------
    potentials : pandas.DataFrame
        Output of :func:`compute_potentials`.
    donnan : mapping
        ``{"enabled": bool, "activity_model": str}``.
    ghk : mapping
        ``{"enabled": bool, "default_permeability": {ion: P}}``.

    Returns
    -------
    samples, donnan_ions : pandas.DataFrame
        One row per (dataset, sample_id): cell type, temperature, measured vm_mV,
        the LJP columns of :func:`iongrad.tables.ljp.sample_ljp` (``vm_corrected_mV``:
        the Vm every comparison with a prediction uses), ionic strengths,
        ``sample_complete`` and ``sample_rejected`` (when the potentials carry
        them), then the columns of
        :func:`iongrad.tables.donnan.donnan_table` and
        :func:`iongrad.tables.ghk.ghk_table`; and one row per sample x permeant ion
        from :func:`iongrad.tables.donnan.donnan_ions`.
    """
    keys = ["dataset", "sample_id"]
    per_sample = [c for c in PER_SAMPLE_COLUMNS if c in potentials.columns]
    # First row of each sample (these columns are constant within a sample).
    samples = (
        potentials.drop_duplicates(keys)[keys + per_sample]
        .sort_values(keys)
        .reset_index(drop=True)
    )
    if "activity_valid" in potentials.columns:
        valid = potentials.groupby(keys, sort=False)["activity_valid"].all()
        samples["activity_valid"] = valid.reindex(
            pd.MultiIndex.from_frame(samples[keys])
        ).to_numpy()
    measurements = potentials[[c for c in MEASUREMENT_COLUMNS if c in potentials]]
    if set(COMPLETENESS_COLUMNS) & set(potentials.columns):
        samples = samples.merge(_completeness(measurements), on=keys, how="left")
    donnan_ions = pd.DataFrame(columns=[*keys, "ion", "c_in_donnan_mM"])
    if donnan.get("enabled", True):
        model = donnan.get("activity_model", "ideal")
        # donnan_tables = donnan_table + donnan_ions from one solve.
        dn, donnan_ions = donnan_tables(
            measurements, activity_model=None if model == "ideal" else model
        )
        samples = samples.merge(_per_sample(dn), on=keys, how="left")
        donnan_ions = donnan_ions.reset_index(drop=True)
    if ghk.get("enabled", True):
        gk = ghk_table(
            measurements,
            default_permeability=dict(ghk.get("default_permeability", {})),
        )
        samples = samples.merge(_per_sample(gk), on=keys, how="left")
    return samples, donnan_ions


def _completeness(measurements: pd.DataFrame) -> pd.DataFrame:
    """``sample_complete`` and ``sample_rejected`` per (dataset, sample_id)."""
    table = measurements.reset_index(drop=True)
    idx = sample_index(table)
    comp = completeness(table, idx)
    out = idx.frame[["dataset", "sample_id"]].copy()
    out["sample_complete"] = comp.complete
    out["sample_rejected"] = comp.rejected
    return out


def _per_sample(table: pd.DataFrame) -> pd.DataFrame:
    """A per-sample result with ``dataset``/``sample_id`` as columns."""
    keys = ["dataset", "sample_id"]
    if not set(keys) <= set(table.columns):
        table = table.reset_index()
    drop = [c for c in ("cell_type", "temperature_K", "vm_mV") if c in table.columns]
    return table.drop(columns=drop)
