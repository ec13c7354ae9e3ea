"""``iongrad activity``: single-ion activity coefficients of one solution."""

from __future__ import annotations

import argparse

import numpy as np

from iongrad.cli.common import CLIError, composition_arg, emit_json, temperature_arg
from iongrad.ions import lookup
from iongrad.physics.activity import (
    CONVENTIONS,
    DAVIES_COEFFICIENT,
    DEFAULT_CONVENTION,
    DEFAULT_MODEL,
    MODEL_MAX_IONIC_STRENGTH,
    MODEL_REFERENCES,
    MODEL_TEMPERATURE_RANGE_K,
    MODELS,
    activity_coefficients,
    mean_activity_coefficient,
)
from iongrad.physics.ionic_strength import DILUTE_ASSUMPTION, molar_to_molal
from iongrad.physics.pitzer import pitzer_coverage


def register(sub) -> None:
    """Add the ``activity`` subcommand."""
    p = sub.add_parser(
        "activity",
        help="activity coefficients of every ion in one solution",
        description="Single-ion activity coefficients (molal scale), ionic strength, "
        "model, convention and validity for one solution; gamma_pm for a single salt. "
        "Amounts are mM unless a unit is given (0.1mol/kg, 150mM, 0.15M); molar "
        "amounts are converted to molal with water's density (dilute assumption).",
    )
    p.add_argument(
        "--solution",
        required=True,
        help='composition, e.g. "Na+=0.1mol/kg, Cl-=0.1mol/kg" or "K=140, Cl=140"',
    )
    p.add_argument(
        "--temperature", required=True, help="temperature with unit: 25C or 298.15K"
    )
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        choices=MODELS,
        help=f"activity model (default {DEFAULT_MODEL})",
    )
    p.add_argument(
        "--convention",
        default=DEFAULT_CONVENTION,
        choices=CONVENTIONS,
        help=f"single-ion convention (default {DEFAULT_CONVENTION})",
    )
    p.add_argument(
        "--davies-coefficient",
        type=float,
        default=None,
        help=f"Davies coefficient c (model davies; default {DAVIES_COEFFICIENT})",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute and print; raise CLIError on bad arguments."""
    comp = composition_arg("--solution", args.solution)
    T = temperature_arg("--temperature", args.temperature)
    params = {}
    if args.davies_coefficient is not None:
        if args.model != "davies":
            raise CLIError("--davies-coefficient: only for --model davies")
        if not np.isfinite(args.davies_coefficient):
            raise CLIError("--davies-coefficient: must be finite")
        params["davies_coefficient"] = args.davies_coefficient
    ions = list(comp)
    scale = next(iter(comp.values())).scale
    amounts = np.array([c.value for c in comp.values()])  # mM or mmol/kg
    if scale == "molal":
        molality = amounts / 1000.0
        scale_used = "molal (given)"
    else:
        molality = molar_to_molal(amounts, T)
        scale_used = f"molal from molar: {DILUTE_ASSUMPTION}"
    charged = [s for s in ions if lookup(s).valence != 0]
    if args.model == "pitzer":
        cov = pitzer_coverage(ions)
        if cov.unknown_ions:
            raise CLIError(
                f"--solution: no Pitzer parameters for {', '.join(cov.unknown_ions)} "
                "(iongrad/data/pitzer_binary.csv); choose another --model"
            )
        if cov.missing_pairs:
            pairs = ", ".join(f"{c}/{a}" for c, a in cov.missing_pairs)
            raise CLIError(f"--solution: no Pitzer parameters for pair(s) {pairs}")
    res = activity_coefficients(
        molality[None, :],
        ions,
        T,
        model=args.model,
        convention=args.convention,
        **params,
    )
    if res.ion_reasons:
        raise CLIError(f"--model {args.model}: " + "; ".join(res.ion_reasons.values()))
    gamma = res.gamma[0]
    I = float(res.ionic_strength_molal[0])  # noqa: E741
    z = np.array([lookup(s).valence for s in ions])
    charge = float(np.sum(z * molality))
    lo, hi = MODEL_TEMPERATURE_RANGE_K[args.model]
    out = {
        "model": args.model,
        "model_reference": MODEL_REFERENCES[args.model],
        "convention": args.convention,
        "temperature_K": T,
        "concentration_scale_used": scale_used,
        "ionic_strength_molal": I,
        "valid": bool(res.valid[0]),
        "valid_max_ionic_strength_molal": MODEL_MAX_IONIC_STRENGTH[args.model],
        "valid_temperature_K": [lo, hi],
        "charge_balance_molal": charge,
        "ions": [
            {
                "ion": s,
                "valence": int(zz),
                "molality_mol_per_kg": float(m),
                "gamma": float(g),
                "activity_mol_per_kg": float(g * m),
            }
            for s, zz, m, g in zip(ions, z, molality, gamma, strict=True)
        ],
        "gamma_pm": None,
        "salt": None,
    }
    notes = str(res.notes[0]) if res.notes is not None else ""
    if notes:  # e.g. a Pitzer salt beyond the molality its parameters were fitted to
        out["notes"] = notes
    if args.davies_coefficient is not None or args.model == "davies":
        out["davies_coefficient"] = params.get("davies_coefficient", DAVIES_COEFFICIENT)
    cations = [s for s in charged if lookup(s).valence > 0]
    anions = [s for s in charged if lookup(s).valence < 0]
    if len(cations) == 1 and len(anions) == 1:
        ic, ia = ions.index(cations[0]), ions.index(anions[0])
        out["gamma_pm"] = float(
            mean_activity_coefficient(gamma[ic], gamma[ia], z[ic], z[ia])
        )
        out["salt"] = f"{cations[0]} {anions[0]}"
    if args.json:
        emit_json(out)
        return 0
    flag = "inside" if out["valid"] else "OUTSIDE"
    print(
        f"model {args.model} (convention {args.convention}) at T = {T:.2f} K: "
        f"I = {I:.6g} mol/kg, {flag} the model's range "
        f"(I <= {MODEL_MAX_IONIC_STRENGTH[args.model]:g} mol/kg, "
        f"{lo:.2f}-{hi:.2f} K)"
    )
    for item in out["ions"]:
        print(
            f"  {item['ion']:>10}  z = {item['valence']:+d}  "
            f"m = {item['molality_mol_per_kg']:.6g} mol/kg  "
            f"gamma = {item['gamma']:.4f}"
        )
    if out["gamma_pm"] is not None:
        print(f"  gamma_pm({out['salt']}) = {out['gamma_pm']:.4f}")
    if notes:
        print(f"  note: {notes}")
    if abs(charge) > 1e-9 * max(I, 1e-12):
        print(
            f"  note: solution is not electroneutral (sum z m = {charge:+.6g} mol/kg)"
        )
    print(f"  concentration scale: {scale_used}")
    return 0
