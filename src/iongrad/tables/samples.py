"""Per-sample predictions: Donnan equilibrium and GHK resting potential per sample.

:func:`compute_samples` takes the potentials table and returns one row per sample
(plus the per-ion Donnan table), calling the table adapters of
:mod:`iongrad.tables.donnan` and :mod:`iongrad.tables.ghk`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from iongrad.canonical import CANONICAL_COLUMNS
from iongrad.tables.donnan import donnan_tables
from iongrad.tables.ghk import ghk_table

__all__ = ["compute_samples"]

#: Columns of the canonical measurement table that the per-sample solvers read.
MEASUREMENT_COLUMNS = tuple(CANONICAL_COLUMNS)


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
        ionic strengths, then the columns of
        :func:`iongrad.tables.donnan.donnan_table` and
        :func:`iongrad.tables.ghk.ghk_table`; and one row per sample x permeant ion
        from :func:`iongrad.tables.donnan.donnan_ions`.
    """
    keys = ["dataset", "sample_id"]
    per_sample = [
        c
        for c in (
            "cell_type",
            "temperature_K",
            "vm_mV",
            "ionic_strength_in_molal",
            "ionic_strength_out_molal",
            "activity_model",
            "activity_convention",
        )
        if c in potentials.columns
    ]
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


def _per_sample(table: pd.DataFrame) -> pd.DataFrame:
    """A per-sample result with ``dataset``/``sample_id`` as columns."""
    keys = ["dataset", "sample_id"]
    if not set(keys) <= set(table.columns):
        table = table.reset_index()
    drop = [c for c in ("cell_type", "temperature_K", "vm_mV") if c in table.columns]
    return table.drop(columns=drop)
