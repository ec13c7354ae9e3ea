"""Synthetic results directories in the pipeline's contract format (for tests/bench).

Potentials are computed with :mod:`iongrad.physics.nernst` from made-up but plausible
concentrations; activity coefficients, ionic strengths, Donnan and GHK numbers are
arbitrary test values (this module checks the report, not the physics).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from iongrad.physics.nernst import (
    CURRENT_LABELS,
    FLUX_LABELS,
    STATUS_LABELS,
    STATUS_REASONS,
    directions,
    driving_force_mV,
    nernst_potential,
)

#: ion -> (valence, c_in mM, c_out mM, synthetic gamma, permeant)
IONS = {
    "K+": (1, 140.0, 5.0, 0.75, True),
    "Na+": (1, 12.0, 145.0, 0.76, True),
    "Cl-": (-1, 8.0, 110.0, 0.75, True),
    "Ca2+": (2, 1e-4, 2.0, 0.32, True),
    "A-": (-1, 130.0, 0.0, 0.75, False),
}


def potentials_frame(
    dataset: str,
    groups: list[tuple[str, float, int]],
    *,
    seed: int = 0,
    vm_mV: float | None = -70.0,
    invalid_every: int = 0,
) -> pd.DataFrame:
    """One row per sample x ion for ``groups`` of (cell_type, temperature_K, n)."""
    rng = np.random.default_rng(seed)
    rows = []
    k = 0
    for cell, temp, n in groups:
        for s in range(n):
            sid = f"{cell[:8]}-{s + 1}" if len(groups) > 1 else f"s{s + 1}"
            vm = np.nan if vm_mV is None else vm_mV + rng.normal(0, 2)
            for ion, (z, cin, cout, g, perm) in IONS.items():
                k += 1
                rows.append(
                    {
                        "dataset": dataset,
                        "sample_id": sid,
                        "cell_type": cell,
                        "temperature_K": temp,
                        "ion": ion,
                        "valence": z,
                        "c_in_mM": cin * rng.uniform(0.9, 1.1),
                        "c_out_mM": cout * rng.uniform(0.9, 1.1),
                        "concentration_scale": "molar",
                        "permeant": perm,
                        "vm_mV": vm,
                        "gamma_in_model": g,
                        "gamma_out_model": g,
                        "ionic_strength_in_molal": 0.16,
                        "ionic_strength_out_molal": 0.155,
                        "activity_model": "truesdell-jones",
                        "activity_convention": "macinnes",
                        "activity_valid": not (
                            invalid_every and k % invalid_every == 0
                        ),
                        "source_file": f"data/raw/{dataset}.csv",
                        "source_row": k + 1,
                    }
                )
    return compute_columns(pd.DataFrame(rows))


def compute_columns(df: pd.DataFrame) -> pd.DataFrame:
    """(Re)compute the potential columns from concentrations, gammas, Vm and T."""
    df = df.copy()
    conc = nernst_potential(
        c_in=df["c_in_mM"],
        c_out=df["c_out_mM"],
        valence=df["valence"],
        temperature_K=df["temperature_K"],
        permeant=df["permeant"],
    )
    act = nernst_potential(
        c_in=df["c_in_mM"],
        c_out=df["c_out_mM"],
        valence=df["valence"],
        temperature_K=df["temperature_K"],
        gamma_in=df["gamma_in_model"],
        gamma_out=df["gamma_out_model"],
        permeant=df["permeant"],
    )
    df["E_conc_mV"] = conc.E_mV
    df["E_act_mV"] = act.E_mV
    df["delta_act_mV"] = act.E_mV - conc.E_mV
    df["driving_force_mV"] = driving_force_mV(vm_mV=df["vm_mV"], E_mV=act.E_mV)
    flux, current = directions(df["driving_force_mV"].to_numpy(), df["valence"])
    df["flux_direction"] = FLUX_LABELS[flux]
    df["current_direction"] = CURRENT_LABELS[current]
    df["status"] = STATUS_LABELS[act.status]
    df["status_reason"] = [STATUS_REASONS[s] for s in df["status"]]
    return df


def samples_frame(pot: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Per-sample table with arbitrary Donnan/GHK test numbers."""
    rng = np.random.default_rng(seed)
    s = (
        pot.groupby(["dataset", "sample_id"], sort=False)
        .agg(
            cell_type=("cell_type", "first"),
            temperature_K=("temperature_K", "first"),
            ionic_strength_in_molal=("ionic_strength_in_molal", "first"),
            ionic_strength_out_molal=("ionic_strength_out_molal", "first"),
            vm_mV=("vm_mV", "first"),
        )
        .reset_index()
    )
    n = len(s)
    s["donnan_ratio"] = rng.uniform(0.4, 0.6, n)
    s["donnan_potential_mV"] = rng.uniform(10, 20, n)
    s["donnan_residual"] = 1e-12
    s["donnan_converged"] = True
    s["impermeant_charge_mM"] = -130.0
    s["impermeant_charge_source"] = "impermeant rows"
    s["osmotic_imbalance_mOsm_kg"] = rng.uniform(50, 80, n)
    s["osmotic_imbalance_kPa"] = s["osmotic_imbalance_mOsm_kg"] * 2.5
    s["donnan_status"] = "ok"
    s["donnan_reason"] = ""
    s["donnan_ions"] = "K+, Na+, Cl-, Ca2+"
    s["donnan_activity_model"] = "ideal"
    s["vm_ghk_mV"] = np.where(
        np.isfinite(s["vm_mV"]), s["vm_mV"] + rng.normal(0, 5, n), -60.0
    )
    s["ghk_converged"] = True
    s["ghk_status"] = "ok"
    s["ghk_reason"] = ""
    s["ghk_ions"] = "K+:1.0, Na+:0.05, Cl-:0.45"
    s["permeability_source"] = "default"
    return s


def donnan_frame(pot: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Per sample x permeant ion table with arbitrary Donnan concentrations."""
    rng = np.random.default_rng(seed)
    d = pot.loc[pot["permeant"], ["dataset", "sample_id", "ion", "c_in_mM", "c_out_mM"]]
    d = d.reset_index(drop=True)
    d["c_in_donnan_mM"] = d["c_out_mM"] * rng.uniform(0.3, 3.0, len(d))
    return d


def write_results(
    root: Path,
    dataset: str,
    groups: list[tuple[str, float, int]],
    *,
    seed: int = 0,
    with_samples: bool = True,
    with_donnan: bool = True,
    failures: list[dict] | None = None,
    rejected: list[dict] | None = None,
    potentials: pd.DataFrame | None = None,
    atol_mV: float = 5.0,
    **kwargs,
) -> Path:
    """Write ``root/<dataset>/`` in the results contract; return the directory.

    ``rejected`` are the rows of rejected.csv (source_file, source_row, sample_id,
    ion, reason); ``atol_mV`` is the driving-force tolerance recorded in
    provenance.json's config.
    """
    out = Path(root) / dataset
    out.mkdir(parents=True, exist_ok=True)
    pot = (
        potentials
        if potentials is not None
        else potentials_frame(dataset, groups, seed=seed, **kwargs)
    )
    pot.to_parquet(out / "potentials.parquet", index=False)
    if with_samples:
        samples_frame(pot, seed=seed).to_parquet(out / "samples.parquet", index=False)
    if with_donnan:
        donnan_frame(pot, seed=seed).to_parquet(out / "donnan.parquet", index=False)
    failures = failures or []
    n_rej = len({f["row"] for f in failures if f.get("severity") == "error"})
    validation = {
        "file": f"data/raw/{dataset}.csv",
        "dataset": dataset,
        "rows_read": len(pot) + n_rej,
        "rows_accepted": len(pot),
        "rows_rejected": n_rej,
        "warnings": sum(f.get("severity") == "warning" for f in failures),
        "failures": failures,
        "mode": "lenient",
        "ok": n_rej == 0,
    }
    (out / "validation.json").write_text(json.dumps(validation), encoding="utf-8")
    columns = ["source_file", "source_row", "sample_id", "ion", "reason"]
    pd.DataFrame(rejected or [], columns=columns).to_csv(
        out / "rejected.csv", index=False
    )
    provenance = {
        "inputs": {f"data/raw/{dataset}.csv": {"sha256": "ab" * 32}},
        "versions": {"iongrad": "0.1.0", "numpy": np.__version__},
        "constants": {"R": 8.314462618, "F": 96485.33212},
        "activity": {"model": "truesdell-jones", "convention": "macinnes"},
        "config": {"driving_force": {"atol_mV": atol_mV}},
        "timestamp": "2026-01-01T00:00:00Z",
    }
    (out / "provenance.json").write_text(json.dumps(provenance), encoding="utf-8")
    return out
