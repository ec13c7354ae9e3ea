"""``iongrad ghk``: GHK resting potential, ionic currents and pump-leak balance."""

from __future__ import annotations

import argparse

import numpy as np

from iongrad.cli.common import (
    CLIError,
    composition_arg,
    emit_json,
    plausible,
    temperature_arg,
)
from iongrad.constants import F, kelvin_to_celsius
from iongrad.ions import UnknownIonError, lookup
from iongrad.physics.ghk import GHK_REASONS, GHK_STATUS, ghk_current, ghk_voltage
from iongrad.physics.nernst import nernst_potential
from iongrad.physics.pumpleak import (
    NA_K_STOICHIOMETRY,
    mullins_noda_potential,
    pump_leak,
)
from iongrad.units import UnitError, parse_ion_assignments

#: Permeability units accepted by --perm-unit -> factor to m/s (None: relative).
PERM_UNITS = {"relative": None, "cm/s": 0.01, "m/s": 1.0}


def register(sub) -> None:
    """Add the ``ghk`` subcommand."""
    p = sub.add_parser(
        "ghk",
        help="Goldman-Hodgkin-Katz resting potential (any valences) and currents",
        description="Zero-current potential of the GHK current equation (closed form "
        "for monovalent ions, solved numerically with divalent ones), the GHK "
        "current of each ion, and the pump-leak Na+/K+ ratio. Vm = phi_in - "
        "phi_out; outward current positive. Concentrations are mM unless a unit "
        "is given.",
    )
    p.add_argument("--c-in", required=True, help='inside: "K+=400, Na+=50, Cl-=40"')
    p.add_argument("--c-out", required=True, help='outside: "K+=20, Na+=440, ..."')
    p.add_argument(
        "--perm", required=True, help='permeabilities: "K+=1, Na+=0.04, Cl-=0.45"'
    )
    p.add_argument(
        "--perm-unit",
        default="relative",
        help="relative (to P_K = 1; default), cm/s or m/s",
    )
    p.add_argument(
        "--temperature", required=True, help="temperature with unit: 20C or 293.15K"
    )
    p.add_argument(
        "--vm",
        help="membrane potential (mV) for currents and pump-leak; default: the GHK "
        "potential",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _permeabilities(text: str) -> dict[str, float]:
    try:
        entries = parse_ion_assignments(text, what="permeability list")
    except (UnitError, UnknownIonError) as err:
        raise CLIError(f"--perm: {err}") from None
    out: dict[str, float] = {}
    for symbol, value in entries.items():
        try:
            p = float(value)
        except ValueError:
            raise CLIError(f"--perm: {symbol}: {value!r} is not a number") from None
        if not (np.isfinite(p) and p >= 0):
            raise CLIError(
                f"--perm: {symbol}: permeability {p:g} must be finite and >= 0"
            )
        out[symbol] = p
    return out


def run(args: argparse.Namespace) -> int:
    """Compute and print; raise CLIError on bad arguments."""
    c_in_d = composition_arg("--c-in", args.c_in, column="c_in_mM")
    c_out_d = composition_arg("--c-out", args.c_out, column="c_out_mM")
    perm = _permeabilities(args.perm)
    T = temperature_arg("--temperature", args.temperature)
    if args.perm_unit not in PERM_UNITS:
        raise CLIError(
            f"--perm-unit: {args.perm_unit!r}; choose one of {', '.join(PERM_UNITS)}"
        )
    scales = {c.scale for c in (*c_in_d.values(), *c_out_d.values())}
    if len(scales) > 1:
        raise CLIError("--c-in/--c-out: one is molar (M) and one molal (mol/kg)")
    only_in = [s for s in c_in_d if s not in c_out_d]
    only_out = [s for s in c_out_d if s not in c_in_d]
    if only_in or only_out:
        missing = ", ".join(
            [f"{s} (no --c-out)" for s in only_in]
            + [f"{s} (no --c-in)" for s in only_out]
        )
        raise CLIError(
            f"--c-in/--c-out: give both concentrations of every ion: {missing}"
        )
    ions = list(c_in_d)
    no_perm = [s for s in ions if s not in perm]
    if no_perm:
        raise CLIError(
            f"--perm: missing permeability for {', '.join(no_perm)} (write 0 for an "
            "ion that does not permeate)"
        )
    extra = [s for s in perm if s not in c_in_d]
    if extra:
        raise CLIError(f"--perm: {', '.join(extra)} has no concentrations in --c-in")
    neutral = [s for s in ions if lookup(s).valence == 0 and perm[s] > 0]
    if neutral:
        raise CLIError(
            f"--perm: {', '.join(neutral)} is neutral and carries no current"
        )
    vm_given = None
    if args.vm is not None:
        try:
            vm_given = float(args.vm)
        except ValueError:
            raise CLIError(f"--vm: {args.vm!r} is not a number") from None
        if not np.isfinite(vm_given):
            raise CLIError(f"--vm: {args.vm!r} must be finite")
        plausible("--vm", "vm_mV", vm_given, args.vm)

    z = np.array([lookup(s).valence for s in ions], dtype=np.int64)
    ci = np.array([c_in_d[s].value for s in ions])
    co = np.array([c_out_d[s].value for s in ions])
    factor = PERM_UNITS[args.perm_unit]
    P = np.array([perm[s] for s in ions])
    note = ""
    if factor is None and "K+" in perm and perm["K+"] not in (0.0, 1.0):
        note = f"permeabilities divided by P_K = {perm['K+']:g} (relative to P_K = 1)"
        P = P / perm["K+"]
    P_calc = P if factor is None else P * factor  # m/s
    res = ghk_voltage(
        c_in=ci, c_out=co, valence=z, permeability=P_calc, temperature_K=T
    )
    status = str(GHK_STATUS[res.status[0]])
    if status != "ok":
        raise CLIError(f"no GHK resting potential: {GHK_REASONS[status]}")
    vm_ghk = float(res.vm_mV[0])
    vm = vm_ghk if vm_given is None else vm_given
    E = nernst_potential(c_in=ci, c_out=co, valence=z, temperature_K=T)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        current = ghk_current(
            c_in=ci, c_out=co, valence=z, permeability=P_calc, vm_mV=vm, temperature_K=T
        )
    if factor is None:  # relative permeabilities: report z J in units of P_K x mM
        current = current / F
        current_unit = "F x P_K x mM (relative permeabilities)"
    else:
        current_unit = "A/m^2"
    pump = pump_leak(
        c_in=ci[None], c_out=co[None], valence=z, permeability=P_calc, vm_mV=vm,
        temperature_K=T, ions=ions,
    )  # fmt: skip
    has_pump = {"Na+", "K+"} <= set(ions) and perm["Na+"] > 0 and perm["K+"] > 0
    mn = mullins_noda_potential(
        c_in=ci[None], c_out=co[None], permeability=P_calc, ions=ions, temperature_K=T
    )
    out = {
        "temperature_K": T,
        "concentration_scale": scales.pop(),
        "permeability_unit": args.perm_unit,
        "permeability_note": note,
        "vm_ghk_mV": vm_ghk,
        "ghk_method": str(res.method[0]),
        "ghk_converged": bool(res.converged[0]),
        "ghk_residual": float(res.residual[0]),
        "vm_used_mV": vm,
        "vm_source": "ghk" if vm_given is None else "--vm",
        "ions": {
            s: {
                "valence": int(z[j]),
                "c_in_mM": float(ci[j]),
                "c_out_mM": float(co[j]),
                "permeability": float(P[j]),
                "E_nernst_mV": float(E.E_mV[j]),
                "ghk_current": float(current[j]),
                "passive_flux": float(pump.passive_flux[0, j]),
                "active_flux_needed": float(pump.active_flux[0, j]),
            }
            for j, s in enumerate(ions)
        },
        "current_unit": current_unit,
        "pump_na_k_ratio": float(pump.na_k_ratio[0]) if has_pump else None,
        "pump_ratio_over_3to2": (
            float(pump.na_k_ratio[0]) / NA_K_STOICHIOMETRY if has_pump else None
        ),
        "vm_mullins_noda_mV": float(mn[0]) if has_pump else None,
    }
    if args.json:
        emit_json(out)
        return 0
    t_c = float(kelvin_to_celsius(T))
    print(
        f"GHK resting potential Vm = {vm_ghk:.2f} mV (phi_in - phi_out; "
        f"{out['ghk_method']}; T = {T:.2f} K = {t_c:.2f} degC)"
    )
    if note:
        print(f"  note: {note}")
    print(
        f"  {'ion':<7}{'z':>3}{'c_in':>9}{'c_out':>9}{'P':>9}{'E_ion mV':>10}"
        f"{'I at Vm':>12}"
    )
    for s, d in out["ions"].items():
        print(
            f"  {s:<7}{d['valence']:>+3d}{d['c_in_mM']:>9.4g}{d['c_out_mM']:>9.4g}"
            f"{d['permeability']:>9.4g}{d['E_nernst_mV']:>10.2f}"
            f"{d['ghk_current']:>+12.4g}"
        )
    print(
        f"  currents at Vm = {vm:.2f} mV ({out['vm_source']}), outward positive, "
        f"in {current_unit}"
    )
    if has_pump:
        print(
            f"  pump-leak: Na+ out / K+ in needed = {out['pump_na_k_ratio']:.3f} "
            f"(Na+/K+-ATPase: 3:2 = 1.5; ratio/1.5 = "
            f"{out['pump_ratio_over_3to2']:.3f}); Mullins-Noda Vm with a 3:2 pump = "
            f"{out['vm_mullins_noda_mV']:.2f} mV"
        )
    return 0
