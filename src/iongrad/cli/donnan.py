"""``iongrad donnan``: open-system Donnan equilibrium with impermeant charge inside."""

from __future__ import annotations

import argparse

import numpy as np

from iongrad.cli.common import (
    CLIError,
    composition_arg,
    concentration_arg,
    emit_json,
    temperature_arg,
)
from iongrad.constants import kelvin_to_celsius
from iongrad.ions import lookup
from iongrad.physics.donnan import (
    DONNAN_REASONS,
    DONNAN_STATUS,
    activity_gamma_fn,
    donnan_closed,
    donnan_equilibrium,
    donnan_equilibrium_activity,
)
from iongrad.physics.osmotic import osmotic_imbalance_mOsm_kg, osmotic_pressure_kPa

#: Default tolerance on the bath's net charge, as a fraction of its total ionic
#: charge (half the sum of |z| c), [-].
BATH_NEUTRALITY_RTOL = 0.01


def register(sub) -> None:
    """Add the ``donnan`` subcommand."""
    p = sub.add_parser(
        "donnan",
        help="Donnan equilibrium of permeant ions with impermeant charge inside",
        description="Open system (bath fixed): every permeant ion obeys c_in = c_out "
        "r^z with one Donnan ratio r, and the inside is electroneutral with the "
        "impermeant charge X = z_A c_A. V_D = -(RT/F) ln r = phi_in - phi_out. "
        "Concentrations are mM unless a unit is given.",
    )
    p.add_argument(
        "--bath",
        required=True,
        help='bath (outside) permeant ions: "Na+=140, K+=5, Cl-=145"',
    )
    p.add_argument(
        "--impermeant",
        required=True,
        help="concentration of impermeant species inside (particles, not charge)",
    )
    p.add_argument(
        "--impermeant-valence",
        default="-1",
        help="mean valence of the impermeant species (default -1)",
    )
    p.add_argument(
        "--temperature", required=True, help="temperature with unit: 37C or 310.15K"
    )
    p.add_argument(
        "--activity-model",
        help="iterate activity coefficients with this model "
        "(iongrad.physics.activity), "
        "e.g. davies, truesdell-jones, pitzer; default: ideal (concentrations)",
    )
    p.add_argument(
        "--neutrality-tolerance",
        default=str(BATH_NEUTRALITY_RTOL),
        help="largest bath net charge accepted, as a fraction of its total ionic "
        "charge (default 0.01)",
    )
    p.add_argument(
        "--inside",
        help='closed system: initial inside (side 1) permeant ions, e.g. "K+=100"; '
        "the bath becomes side 2 and amounts are conserved (no --activity-model)",
    )
    p.add_argument(
        "--volumes",
        default="1:1",
        help="closed system: volume ratio inside:bath (default 1:1)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _number(option: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CLIError(f"{option}: {text!r} is not a number") from None
    if not np.isfinite(value):
        raise CLIError(f"{option}: {text!r} must be finite")
    return value


def run(args: argparse.Namespace) -> int:
    """Solve and print; raise CLIError on bad arguments."""
    bath = composition_arg("--bath", args.bath)
    ions = list(bath)
    z = np.array([lookup(s).valence for s in ions], dtype=np.int64)
    c_out = np.array([bath[s].value for s in ions])
    scale = next(iter(bath.values())).scale
    imp = concentration_arg("--impermeant", args.impermeant)
    if imp.scale != scale:
        raise CLIError("--impermeant/--bath: one is molar (M) and one molal (mol/kg)")
    z_imp = _number("--impermeant-valence", args.impermeant_valence)
    tol = _number("--neutrality-tolerance", args.neutrality_tolerance)
    T = temperature_arg("--temperature", args.temperature)
    unit = "mM" if scale == "molar" else "mmol/kg"

    neutral = [s for s in ions if lookup(s).valence == 0]
    if neutral:
        raise CLIError(
            f"--bath: {', '.join(neutral)} carries no charge; a permeant neutral "
            "solute has equal concentrations on both sides and plays no part in the "
            "Donnan balance: leave it out"
        )
    charge = float(z @ c_out)
    total = float(np.abs(z) @ c_out) / 2.0
    if abs(charge) > tol * total:
        cations = float(np.where(z > 0, z * c_out, 0).sum())
        anions = float(np.where(z < 0, -z * c_out, 0).sum())
        raise CLIError(
            f"--bath: not electroneutral: sum z*c = {charge:+g} {unit} of charge "
            f"(cations {cations:g}, anions {anions:g}); the tolerance is "
            f"{tol:g} x {total:g} = {tol * total:g}; add the missing ion or raise "
            "--neutrality-tolerance"
        )
    X = z_imp * imp.value
    if args.inside is not None:
        return _run_closed(args, bath, X, z_imp, imp.value, T, tol, unit)
    if args.activity_model:
        from iongrad.physics import activity

        if args.activity_model not in activity.MODELS:
            raise CLIError(
                f"--activity-model: unknown model {args.activity_model!r}; choose "
                f"one of {', '.join(activity.MODELS)}"
            )
        res = donnan_equilibrium_activity(
            ions=ions,
            c_out=c_out,
            impermeant_charge_mM=X,
            temperature_K=T,
            gamma_fn=activity_gamma_fn(args.activity_model, scale=scale),
            impermeant_valence=z_imp,
        )
    else:
        res = donnan_equilibrium(
            c_out=c_out, valence=z, impermeant_charge_mM=X, temperature_K=T
        )
    status = str(DONNAN_STATUS[res.status[0]])
    if status == "no_equilibrium":
        sign = "cation" if X <= 0 else "anion"
        raise CLIError(
            f"no Donnan equilibrium: the bath has no permeant {sign} to balance the "
            f"impermeant charge X = {X:+g} {unit} ({DONNAN_REASONS[status]})"
        )
    if status != "ok":  # pragma: no cover - inputs were checked above
        raise CLIError(f"Donnan solve failed: {DONNAN_REASONS[status]}")
    c_in = res.c_in_mM[0]
    d_osm = float(
        osmotic_imbalance_mOsm_kg(c_in=c_in, c_out=c_out, impermeant_in=imp.value)
    )
    out = {
        "bath_mM": dict(zip(ions, c_out.tolist(), strict=True)),
        "concentration_scale": scale,
        "impermeant_mM": imp.value,
        "impermeant_valence": z_imp,
        "impermeant_charge_mM": X,
        "temperature_K": T,
        "activity_model": args.activity_model or "ideal",
        "donnan_ratio": float(res.ratio[0]),
        "donnan_potential_mV": float(res.potential_mV[0]),
        "c_in_donnan_mM": dict(zip(ions, c_in.tolist(), strict=True)),
        "gamma_in": None,
        "gamma_out": None,
        "donnan_residual": float(res.residual[0]),
        "donnan_converged": bool(res.converged[0]),
        "method": "closed form (1:1)" if res.closed_form[0] else "newton on ln r",
        "iterations": int(res.iterations[0]),
        "osmotic_imbalance_mOsm_kg": d_osm,
        "osmotic_imbalance_kPa": float(osmotic_pressure_kPa(d_osm, T)),
    }
    if res.gamma_in is not None:
        out["gamma_in"] = dict(zip(ions, res.gamma_in[0].tolist(), strict=True))
        out["gamma_out"] = dict(zip(ions, res.gamma_out[0].tolist(), strict=True))
    if args.json:
        emit_json(out)
        return 0
    t_c = float(kelvin_to_celsius(T))
    print(
        f"Donnan equilibrium (open system, bath fixed), T = {T:.2f} K = {t_c:.2f} "
        f"degC, {out['activity_model']}"
    )
    print(
        f"  r = {out['donnan_ratio']:.6g}   V_D = {out['donnan_potential_mV']:.2f} mV "
        "(phi_in - phi_out)"
    )
    print(f"  {'ion':<8}{'z':>3}{'c_out':>12}{'c_in (Donnan)':>16}   [{unit}]")
    for j, s in enumerate(ions):
        print(f"  {s:<8}{z[j]:>+3d}{c_out[j]:>12.4g}{c_in[j]:>16.6g}")
    print(
        f"  impermeant: {imp.value:g} {unit} of valence {z_imp:g} -> "
        f"X = {X:+g} {unit} of charge"
    )
    print(
        f"  electroneutrality residual {out['donnan_residual']:.1e} of the total "
        f"charge; {'converged' if out['donnan_converged'] else 'NOT converged'} "
        f"({out['method']})"
    )
    print(
        f"  osmotic imbalance (in - out, ideal): {d_osm:+.4g} mOsm/kg = "
        f"{out['osmotic_imbalance_kPa']:+.4g} kPa"
    )
    return 0


def _run_closed(args, bath, X, z_imp, c_imp, T, tol, unit) -> int:
    """Two compartments with conserved amounts (the textbook Donnan experiment)."""
    if args.activity_model:
        raise CLIError("--activity-model: the closed system is solved ideally only")
    inside = composition_arg("--inside", args.inside, column="c_in_mM")
    if {c.scale for c in (*inside.values(), *bath.values())} != {
        next(iter(bath.values())).scale
    }:
        raise CLIError("--inside/--bath: one is molar (M) and one molal (mol/kg)")
    try:
        v1, v2 = (float(x) for x in args.volumes.split(":"))
    except ValueError:
        raise CLIError(f"--volumes: {args.volumes!r} is not V_in:V_bath") from None
    if not (v1 > 0 and v2 > 0 and np.isfinite(v1) and np.isfinite(v2)):
        raise CLIError(f"--volumes: {args.volumes!r}: both volumes must be > 0")
    ions = list(dict.fromkeys([*inside, *bath]))
    z = np.array([lookup(s).valence for s in ions], dtype=np.int64)
    c1 = np.array([inside[s].value if s in inside else 0.0 for s in ions])
    c2 = np.array([bath[s].value if s in bath else 0.0 for s in ions])
    charge1 = float(z @ c1) + X
    total1 = (float(np.abs(z) @ c1) + abs(X)) / 2.0
    if abs(charge1) > tol * total1:
        raise CLIError(
            f"--inside: side 1 is not electroneutral with the impermeant charge: "
            f"sum z*c + X = {charge1:+g} {unit} of charge (tolerance {tol * total1:g})"
        )
    res = donnan_closed(
        c1_mM=c1, c2_mM=c2, valence=z, volume1_L=v1, volume2_L=v2,
        impermeant_charge1_mM=X, temperature_K=T,
    )  # fmt: skip
    status = str(DONNAN_STATUS[res.status[0]])
    if status != "ok":
        raise CLIError(f"no closed-system Donnan equilibrium: {DONNAN_REASONS[status]}")
    out = {
        "system": "closed",
        "volumes_in_bath": [v1, v2],
        "temperature_K": T,
        "impermeant_mM": c_imp,
        "impermeant_valence": z_imp,
        "impermeant_charge_mM": X,
        "initial_inside_mM": dict(zip(ions, c1.tolist(), strict=True)),
        "initial_bath_mM": dict(zip(ions, c2.tolist(), strict=True)),
        "donnan_ratio": float(res.ratio[0]),
        "donnan_potential_mV": float(res.potential_mV[0]),
        "c_in_final_mM": dict(zip(ions, res.c1_mM[0].tolist(), strict=True)),
        "c_bath_final_mM": dict(zip(ions, res.c2_mM[0].tolist(), strict=True)),
        "donnan_residual_in": float(res.residual1[0]),
        "donnan_residual_bath": float(res.residual2[0]),
        "donnan_converged": bool(res.converged[0]),
    }
    if args.json:
        emit_json(out)
        return 0
    print(f"Donnan equilibrium (closed system, volumes {v1:g}:{v2:g}), T = {T:.2f} K")
    print(
        f"  r = {out['donnan_ratio']:.6g}   V = {out['donnan_potential_mV']:.2f} mV "
        "(phi_in - phi_bath)"
    )
    print(
        f"  {'ion':<8}{'z':>3}{'in: start':>12}{'end':>12}"
        f"{'bath: start':>13}{'end':>12}"
    )
    for j, s in enumerate(ions):
        print(
            f"  {s:<8}{z[j]:>+3d}{c1[j]:>12.4g}{res.c1_mM[0, j]:>12.6g}"
            f"{c2[j]:>13.4g}{res.c2_mM[0, j]:>12.6g}"
        )
    print(f"  [{unit}]; {'converged' if out['donnan_converged'] else 'NOT converged'}")
    return 0
