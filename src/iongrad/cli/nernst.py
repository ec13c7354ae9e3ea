"""``iongrad nernst``: one Nernst potential, with driving force and directions."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from iongrad.cli.common import (
    CLIError,
    concentration_arg,
    emit_json,
    ion_arg,
    plausible,
    temperature_arg,
    vm_warnings,
)
from iongrad.constants import kelvin_to_celsius
from iongrad.physics.nernst import (
    CURRENT_LABELS,
    FLUX_LABELS,
    STATUS_REASONS,
    directions,
    driving_force_mV,
    nernst_potential,
)


def register(sub) -> None:
    """Add the ``nernst`` subcommand."""
    p = sub.add_parser(
        "nernst",
        help="Nernst potential of one ion (and driving force with --vm)",
        description="E = RT/(zF) ln(a_out/a_in) with exact SI 2019 R and F. "
        "Concentrations are mM unless a unit is given (140mM, 0.14M, 140000uM).",
    )
    p.add_argument("--ion", required=True, help="ion, e.g. K+, Na, Ca2+, chloride")
    p.add_argument("--c-in", required=True, help="intracellular concentration")
    p.add_argument("--c-out", required=True, help="extracellular concentration")
    p.add_argument(
        "--temperature", required=True, help="temperature with unit: 37C or 310.15K"
    )
    p.add_argument(
        "--vm", type=str, help="membrane potential Vm = phi_in - phi_out, mV"
    )
    p.add_argument("--gamma-in", type=str, help="intracellular activity coefficient")
    p.add_argument("--gamma-out", type=str, help="extracellular activity coefficient")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _float_arg(option: str, text: str | None, positive: bool = False) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise CLIError(f"{option}: {text!r} is not a number") from None
    if not np.isfinite(value) or (positive and value <= 0):
        rule = "finite and > 0" if positive else "finite"
        raise CLIError(f"{option}: {text!r} must be {rule}")
    return value


def run(args: argparse.Namespace) -> int:
    """Compute and print; raise CLIError on bad arguments."""
    ion = ion_arg("--ion", args.ion)
    c_in = concentration_arg("--c-in", args.c_in)
    c_out = concentration_arg("--c-out", args.c_out, column="c_out_mM")
    if c_in.scale != c_out.scale:
        raise CLIError("--c-in/--c-out: one is molar (M) and one molal (mol/kg)")
    T = temperature_arg("--temperature", args.temperature)
    vm = _float_arg("--vm", args.vm)
    if vm is not None:
        plausible("--vm", "vm_mV", vm, args.vm)
    g_in = _float_arg("--gamma-in", args.gamma_in, positive=True)
    g_out = _float_arg("--gamma-out", args.gamma_out, positive=True)
    if (g_in is None) != (g_out is None):
        raise CLIError("--gamma-in/--gamma-out: give both or neither")

    res = nernst_potential(
        c_in=c_in.value,
        c_out=c_out.value,
        valence=ion.valence,
        temperature_K=T,
        gamma_in=g_in,
        gamma_out=g_out,
    )
    E = float(res.E_mV)
    status = str(res.status_labels)
    out = {
        "ion": ion.symbol,
        "valence": ion.valence,
        "temperature_K": T,
        "c_in_mM": c_in.value,
        "c_out_mM": c_out.value,
        "concentration_scale": c_in.scale,
        "gamma_in": g_in,
        "gamma_out": g_out,
        "basis": "activity" if g_in is not None else "concentration",
        "E_mV": E,
        "status": status,
        "reason": STATUS_REASONS[status],
        "vm_mV": vm,
        "driving_force_mV": None,
        "flux_direction": None,
        "current_direction": None,
    }
    warnings = vm_warnings(vm)
    if warnings:
        out["warnings"] = warnings
    if vm is not None:
        df = driving_force_mV(vm_mV=vm, E_mV=E)
        flux, current = directions(df, ion.valence)
        out["driving_force_mV"] = float(df)
        out["flux_direction"] = str(FLUX_LABELS[flux])
        out["current_direction"] = str(CURRENT_LABELS[current])
    if args.json:
        emit_json(out)
        return 0
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    unit = "mM" if c_in.scale == "molar" else "mmol/kg"
    t_c = float(kelvin_to_celsius(T))
    print(
        f"E_{ion.symbol} = {E:.2f} mV  ({out['basis']}-based; z = {ion.valence:+d}; "
        f"in {c_in.value:g} {unit}, out {c_out.value:g} {unit}; "
        f"T = {T:.2f} K = {t_c:.2f} degC)"
    )
    if status != "ok":
        print(f"status: {status}: {out['reason']}")
    if vm is not None:
        print(
            f"driving force Vm - E = {out['driving_force_mV']:+.2f} mV"
            f" at Vm = {vm:g} mV: net {out['flux_direction']},"
            f" {out['current_direction']} current"
        )
    return 0
