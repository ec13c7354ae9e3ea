"""100,000 liquid junctions by each method versus a per-junction scipy solver.

Each junction has 6-10 ions drawn from a palette of pipette and bath ions (K+, Na+,
Cs+, Li+, NMDG+, TEA+, Ca2+, Mg2+, Cl-, gluconate-, MeSO3-, HEPES-, HCO3-, H2PO4-,
SO4 2-, EGTA 2-), concentrations 0.1-150 mM, made electroneutral with Na+ or Cl-,
at 20-37 degC. iongrad computes all of them in one call of
:func:`iongrad.physics.ljp.liquid_junction_potential` (array input, default
mobility table), by Henderson and by Nernst-Planck.

The baseline, measured in the same run on a random sample of junctions and
extrapolated to junctions/s, is the straightforward per-junction solution of the
stationary Nernst-Planck equations: ``scipy.optimize.root`` (hybr) on the fluxes,
each residual integrating the electroneutral equations across the junction with
``scipy.integrate.solve_ivp`` (LSODA, rtol 1e-10) and comparing the far end with
the bath (shooting). For transparency a second per-junction loop is timed too:
``scipy.optimize.root`` on iongrad's own reduced equations for that junction (one
``scipy.linalg.expm`` per residual), which isolates what the vectorisation buys
from what the reduction buys. Both loops start from the same guess as a plain
shooting code would (fluxes = pipette - bath). Prints junctions/s, the ratios
(target >= 100x for Nernst-Planck, under 1 ms per junction), unconverged counts
and the largest disagreement with each loop on the junctions both solved.

Timed in ``--rounds`` interleaved rounds (default 2); the best round of each is
kept (wall clock, and CPU time, which a busy shared machine disturbs less).

Run: ``.venv/bin/python benchmarks/bench_ljp.py [--junctions N] [--sample M]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp
from scipy.linalg import expm
from scipy.optimize import root

from iongrad.constants import MV_PER_V, F, R
from iongrad.ions import lookup
from iongrad.physics.ljp import liquid_junction_potential, mobility

PALETTE = [
    "K+", "Na+", "Cs+", "Li+", "NMDG+", "TEA+", "Ca2+", "Mg2+", "Cl-", "gluconate-",
    "MeSO3-", "HEPES-", "HCO3-", "H2PO4-", "SO4 2-", "EGTA 2-",
]  # fmt: skip
Z = np.array([lookup(s).valence for s in PALETTE], dtype=float)
U = np.array([mobility(s).mobility_rel_K for s in PALETTE])
NA, CL = PALETTE.index("Na+"), PALETTE.index("Cl-")


def make_junctions(n: int, rng: np.random.Generator):
    """Random electroneutral pipette and bath (n, len(PALETTE)) and T (n,).

    Each junction has 6-10 ions: Na+ and Cl- (the neutralisers, in both solutions)
    and 4-8 others, each in a solution with probability 0.85 and in at least one.
    """
    k = len(PALETTE)
    n_ions = rng.integers(6, 11, size=n)
    others = np.array([j for j in range(k) if j not in (NA, CL)])
    order = others[np.argsort(rng.random((n, others.size)), axis=1)]
    used = np.zeros((n, k), dtype=bool)
    used[:, [NA, CL]] = True
    rank = np.arange(others.size)[None, :] < (n_ions - 2)[:, None]
    np.put_along_axis(used, order, rank, axis=1)
    in_p = used & (rng.random((n, k)) < 0.85)
    in_b = used & (rng.random((n, k)) < 0.85)
    in_p |= used & ~in_p & ~in_b
    in_p[:, [NA, CL]] = in_b[:, [NA, CL]] = True  # no solution without ions
    sides = []
    for present in (in_p, in_b):
        c = rng.uniform(0.1, 150.0, (n, k)) * present
        charge = c @ Z
        c[:, CL] += np.maximum(charge, 0.0)
        c[:, NA] += np.maximum(-charge, 0.0)
        sides.append(c)
    T = rng.uniform(293.15, 310.15, n)
    return sides[0], sides[1], T


def _present(cp_row, cb_row):
    keep = (cp_row > 0) | (cb_row > 0)
    return cp_row[keep], cb_row[keep], Z[keep], U[keep]


def shooting_row(cp_row, cb_row, T):
    """Per-junction Nernst-Planck by shooting: root on fluxes, solve_ivp inside."""
    cp, cb, z, u = _present(cp_row, cb_row)

    def rhs(_x, y, g):
        c = y[:-1]
        dpsi = -(z @ g) / (z * z @ c)
        return np.concatenate([-g - z * c * dpsi, [dpsi]])

    def residual(g):
        sol = solve_ivp(
            rhs, (0.0, 1.0), np.concatenate([cp, [0.0]]), args=(g,), method="LSODA",
            rtol=1e-10, atol=1e-12,
        )  # fmt: skip
        end = sol.y[:, -1]
        return np.concatenate([(end[:-1] - cb)[1:], [(z * u) @ g]])

    def psi_end(g):
        sol = solve_ivp(
            rhs, (0.0, 1.0), np.concatenate([cp, [0.0]]), args=(g,), method="LSODA",
            rtol=1e-10, atol=1e-12,
        )  # fmt: skip
        return sol.y[-1, -1]

    with np.errstate(all="ignore"):
        out = root(residual, cp - cb, method="hybr")
        ok = out.success and np.abs(out.fun).max() < 1e-6 * cp.max()
        return psi_end(out.x) * R * T / F * MV_PER_V, ok


def reduced_row(cp_row, cb_row, T):
    """Per-junction root on the reduced equations (ion level, scipy expm)."""
    cp, cb, z, u = _present(cp_row, cb_row)
    w = z * z

    def residual(a):
        m = -np.diag(z) * (z @ a) + np.outer(a, w)
        return np.concatenate([(expm(m) @ cp - cb)[1:], [(z * u) @ a]])

    with np.errstate(all="ignore"):
        out = root(residual, (cp - cb) / (0.5 * (w @ cp + w @ cb)), method="hybr")
        ok = out.success and np.abs(out.fun).max() < 1e-9 * cp.max()
        return (z @ out.x) * R * T / F * MV_PER_V, ok


def main() -> None:
    """Generate the junctions, time both methods and the loops, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--junctions", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    cp, cb, T = make_junctions(args.junctions, rng)
    idx = rng.choice(
        args.junctions, size=min(args.sample, args.junctions), replace=False
    )
    n_ions = ((cp > 0) | (cb > 0)).sum(axis=1)

    def run(method):
        return liquid_junction_potential(cp, cb, T, ions=PALETTE, method=method)

    best = {key: (np.inf, np.inf) for key in ("np", "henderson", "shoot", "reduced")}
    outputs = {}
    for _ in range(args.rounds):
        for key, func in (
            ("np", lambda: run("nernst-planck")),
            ("henderson", lambda: run("henderson")),
            ("shoot", lambda: [shooting_row(cp[i], cb[i], T[i]) for i in idx]),
            ("reduced", lambda: [reduced_row(cp[i], cb[i], T[i]) for i in idx]),
        ):
            w0, c0 = time.perf_counter(), time.process_time()
            outputs[key] = func()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            best[key] = (min(best[key][0], wall), min(best[key][1], cpu))

    n = args.junctions
    rate = {k: n / best[k][0] for k in ("np", "henderson")}
    rate.update({k: idx.size / best[k][0] for k in ("shoot", "reduced")})
    cpu_rate = {k: n / best[k][1] for k in ("np", "henderson")}
    cpu_rate.update({k: idx.size / best[k][1] for k in ("shoot", "reduced")})
    res = outputs["np"]
    print(
        f"junctions: {n:,} ({n_ions.min()}-{n_ions.max()} ions each, valences "
        "+-1, +-2; 20-37 degC)"
    )
    print(
        f"iongrad nernst-planck: {best['np'][0]:8.2f} s {rate['np']:12,.0f} "
        f"junctions/s ({1e3 / rate['np']:.3f} ms per junction)"
    )
    print(
        f"iongrad henderson    : {best['henderson'][0]:8.2f} s "
        f"{rate['henderson']:12,.0f} junctions/s"
    )
    for key, label in (("shoot", "shooting loop"), ("reduced", "reduced loop ")):
        vals = np.array([v for v, _ in outputs[key]])
        ok = np.array([good for _, good in outputs[key]])
        both = ok & res.converged[idx]
        worst = np.max(np.abs(vals[both] - res.ljp_mV[idx][both]), initial=0.0)
        print(
            f"scipy {label}: {best[key][0]:8.2f} s {rate[key]:12,.1f} junctions/s "
            f"(sample of {idx.size}, extrapolated); unconverged {int((~ok).sum())}; "
            f"max |difference| {worst:.1e} mV"
        )
    print(
        f"ratio nernst-planck / shooting loop: {rate['np'] / rate['shoot']:10.0f} x "
        f"(CPU time {cpu_rate['np'] / cpu_rate['shoot']:.0f} x; target >= 100 x)"
    )
    print(
        f"ratio nernst-planck / reduced loop : {rate['np'] / rate['reduced']:10.0f} x "
        f"(CPU time {cpu_rate['np'] / cpu_rate['reduced']:.0f} x)"
    )
    print(
        f"nernst-planck unconverged: {int((~res.converged).sum())}; Newton "
        f"iterations median {np.median(res.iterations):.0f}, max "
        f"{res.iterations.max()}; largest residual {np.nanmax(res.residual):.1e}"
    )
    hen = outputs["henderson"].ljp_mV
    print(
        f"|nernst-planck - henderson|: median {np.median(np.abs(res.ljp_mV - hen)):.2f}"
        f" mV, max {np.nanmax(np.abs(res.ljp_mV - hen)):.2f} mV; best of "
        f"{args.rounds} interleaved rounds"
    )


if __name__ == "__main__":
    main()
