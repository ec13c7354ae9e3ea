"""``iongrad ljp``: liquid junction potential between a pipette and a bath solution."""

from __future__ import annotations

import argparse
import re

from iongrad.cli.common import CLIError, composition_arg, emit_json, temperature_arg
from iongrad.constants import kelvin_to_celsius
from iongrad.ions import UnknownIonError
from iongrad.physics.ljp import (
    DEFAULT_METHOD,
    METHODS,
    SIGN_CONVENTION,
    ElectroneutralityError,
    MobilityError,
    liquid_junction_potential,
)
from iongrad.physics.ljp_activity import ACTIVITY_MODELS, ActivityModelError


def register(sub) -> None:
    """Add the ``ljp`` subcommand."""
    p = sub.add_parser(
        "ljp",
        help="liquid junction potential between pipette and bath (whole-cell Vm "
        "correction)",
        description="Liquid junction potential V_L = phi_bath - phi_pipette (the "
        "JPCalc/LJPcalc sign); correct whole-cell readings as Vm = Vm_measured - "
        "V_L. Concentrations are mM unless a unit is given; enter free ion "
        "concentrations (e.g. HEPES- is about half the total HEPES near pH 7.4). "
        "Default method nernst-planck: the exact stationary Nernst-Planck solution "
        "(the model of JLJP and LJPcalc); henderson is the generalised Henderson "
        "equation that JPCalc and pClamp report, an approximation of it (they "
        "agree for a single salt and differ by 0-0.5 mV for common pipette "
        "solutions, 0.45 mV for K-gluconate). Ideal solutions unless --activity "
        "names a model: the Nernst-Planck fluxes then follow activity gradients.",
    )
    p.add_argument(
        "--pipette",
        required=True,
        help='pipette solution: "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1, '
        'HEPES=5"',
    )
    p.add_argument(
        "--bath",
        required=True,
        help='bath solution: "Na+=145, K+=2.8, Cl-=148.8, Mg2+=2, Ca2+=1, HEPES=5"',
    )
    p.add_argument(
        "--temperature", required=True, help="temperature with unit: 20C or 293.15K"
    )
    p.add_argument(
        "--method",
        default=DEFAULT_METHOD,
        help=f"{' or '.join(METHODS)} (default {DEFAULT_METHOD}: exact; henderson "
        "reproduces JPCalc)",
    )
    p.add_argument(
        "--adjust",
        metavar="ION",
        help="make each solution electroneutral by changing this ion's "
        "concentration (the change is reported); without it a solution with net "
        "charge is an error",
    )
    p.add_argument(
        "--activity",
        metavar="MODEL",
        choices=ACTIVITY_MODELS,
        help="with nernst-planck: drive each ion by its activity gradient, gamma "
        f"from this model at the local ionic strength ({', '.join(ACTIVITY_MODELS)}; "
        "davies needs no ion parameters)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _other(method: str) -> str:
    return METHODS[1] if method == METHODS[0] else METHODS[0]


def run(args: argparse.Namespace) -> int:
    """Compute and print; raise CLIError on bad arguments."""
    pipette = composition_arg("--pipette", args.pipette, column="c_in_mM")
    bath = composition_arg("--bath", args.bath, column="c_out_mM")
    T = temperature_arg("--temperature", args.temperature)
    if args.method not in METHODS:
        raise CLIError(f"--method: {args.method!r}; choose one of {', '.join(METHODS)}")
    if args.activity and args.method != "nernst-planck":
        raise CLIError("--activity: corrects --method nernst-planck only")
    scales = {c.scale for c in (*pipette.values(), *bath.values())}
    if len(scales) > 1:
        raise CLIError("--pipette/--bath: one is molar (M) and one molal (mol/kg)")
    unit = "mM" if scales.pop() == "molar" else "mmol/kg"
    comp_p = {s: c.value for s, c in pipette.items()}
    comp_b = {s: c.value for s, c in bath.items()}
    results = {}
    try:
        for method in (args.method, _other(args.method)):
            activity = args.activity if method == "nernst-planck" else None
            results[method] = liquid_junction_potential(
                comp_p, comp_b, T, method=method, adjust=args.adjust,
                activity_model=activity,
            )  # fmt: skip
    except ElectroneutralityError as err:
        option = "--pipette" if err.solution == "pipette" else "--bath"
        raise CLIError(
            f"{option}: {err}".replace(
                "name an ion to adjust", "name an ion to adjust with --adjust ION"
            ).replace(" mM", f" {unit}")
        ) from None
    except (UnknownIonError, MobilityError) as err:
        option = (
            "--adjust"
            if args.adjust and _names(err, args.adjust)
            else ("--pipette/--bath")
        )
        raise CLIError(f"{option}: {err}") from None
    except ActivityModelError as err:
        raise CLIError(f"--activity: {err}") from None
    except ValueError as err:
        raise CLIError(f"--pipette/--bath: {err}") from None
    res = results[args.method]
    other = results[_other(args.method)]
    ljp = float(res.ljp_mV[0])
    if not bool(res.converged[0]):
        raise CLIError(
            f"the Nernst-Planck solution did not converge (residual "
            f"{float(res.residual[0]):.1e}); --method henderson gives "
            f"{float(other.ljp_mV[0]):+.2f} mV"
        )
    adjustment = None
    if res.adjusted_ion is not None:
        adjustment = {
            "ion": res.adjusted_ion,
            "pipette_change": float(res.pipette_adjustment_mM[0]),
            "bath_change": float(res.bath_adjustment_mM[0]),
            "unit": unit,
        }
    ions = {}
    for j, s in enumerate(res.ions):
        ions[s] = {
            "valence": int(res.valence[j]),
            "pipette": float(res.pipette_mM[0, j]),
            "bath": float(res.bath_mM[0, j]),
            "mobility_rel_K": float(res.mobility_rel_K[j]),
            "diffusion_m2_per_s": float(res.diffusion_m2_per_s[0, j]),
            "source": res.mobility_sources[s],
        }
    out = {
        "ljp_mV": ljp,
        "method": args.method,
        "activity_model": res.activity_model,
        "temperature_K": T,
        "sign_convention": SIGN_CONVENTION,
        "vm_correction": f"Vm = Vm_measured - ({ljp:+.4f} mV)",
        "concentration_unit": unit,
        "ions": ions,
        "adjustment": adjustment,
        "ignored_neutral": list(res.ignored),
        "converged": bool(res.converged[0]),
        "iterations": int(res.iterations[0]),
        "residual": float(res.residual[0]),
        "other_method": {
            "method": _other(args.method),
            "ljp_mV": float(other.ljp_mV[0]),
        },
    }
    if args.json:
        emit_json(out)
        return 0
    t_c = float(kelvin_to_celsius(T))
    model = f", activities: {res.activity_model}" if res.activity_model else ""
    print(
        f"LJP = {ljp:+.2f} mV (bath - pipette; {args.method}{model}; T = {T:.2f} K "
        f"= {t_c:.2f} degC)"
    )
    print(f"  whole-cell correction: Vm = Vm_measured - ({ljp:+.2f} mV)")
    print(f"  {_other(args.method)} gives {float(other.ljp_mV[0]):+.2f} mV")
    if adjustment:
        print(
            f"  adjusted {adjustment['ion']} for electroneutrality: pipette "
            f"{adjustment['pipette_change']:+.6g} {unit}, bath "
            f"{adjustment['bath_change']:+.6g} {unit}"
        )
    if res.ignored:
        print(f"  neutral, no effect: {', '.join(res.ignored)}")
    print(f"  {'ion':<12}{'z':>3}{'pipette':>10}{'bath':>10}{'u/u_K':>8}  source")
    for s, d in ions.items():
        print(
            f"  {s:<12}{d['valence']:>+3d}{d['pipette']:>10.4g}{d['bath']:>10.4g}"
            f"{d['mobility_rel_K']:>8.3f}  {_short(d['source'])}"
        )
    return 0


def _names(err, text: str) -> bool:
    """Whether an ion-name error is about the --adjust argument."""
    return getattr(err, "name", None) in {text, text.strip()} or text in str(err)


def _short(source: str) -> str:
    """First clause of a source, for the text table (--json has it whole)."""
    return re.split(r",| \(", source, maxsplit=1)[0]
