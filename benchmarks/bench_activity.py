"""Pitzer activity coefficients: iongrad vs PHREEQC (phreeqpython) vs pyEQL, one run.

Usage::

    .venv/bin/python benchmarks/bench_activity.py [--n 100000] [--phreeqc 500]
        [--pyeql 3] [--seed 1]

1. Generates ``--n`` physiological solutions of six ions (Na+, K+, Ca2+, Mg2+, Cl-,
   HCO3-), half around extracellular and half around intracellular fluid (log-normal
   scatter, 20 % sd), 20-40 degC; Cl- is set to balance charge so every peer sees an
   electroneutral solution.
2. Times iongrad's vectorized Pitzer model (MacInnes convention) on all of them
   (best of 3) and reports solutions/s.
3. Times PHREEQC (phreeqpython, ``pitzer.dat``, which also uses the MacInnes scaling)
   and pyEQL (native engine) on the first ``--phreeqc`` / ``--pyeql`` solutions, one
   call per solution, and reports solutions/s, the throughput ratios and the largest
   single-ion gamma deviation from PHREEQC (also for the same solutions without
   HCO3-, since PHREEQC speciates carbonate and pitzer.dat refits Na/K-HCO3).
4. Compares gamma_pm of NaCl and KCl solutions (0.001-1 mol/kg, 20-40 degC) with
   PHREEQC; target: within 0.002.

A peer that cannot be imported is skipped with the reason printed. The peers are
optional (``pip install -e '.[bench]'``); the test suite never needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings

import numpy as np

from iongrad.physics.activity import activity_coefficients, mean_activity_coefficient

IONS = ["Na+", "K+", "Ca2+", "Mg2+", "Cl-", "HCO3-"]
Z = np.array([1, 1, 2, 2, -1, -1])
#: Centre compositions, [mmol/kg]: extracellular and intracellular fluid.
ECF = np.array([145.0, 4.0, 2.5, 1.0, 0.0, 25.0])
ICF = np.array([12.0, 140.0, 1e-4, 0.8, 0.0, 12.0])
PHREEQC_NAMES = {
    "Na+": ("Na", "Na+"),
    "K+": ("K", "K+"),
    "Ca2+": ("Ca", "Ca+2"),
    "Mg2+": ("Mg", "Mg+2"),
    "Cl-": ("Cl", "Cl-"),
    "HCO3-": ("C(4)", "HCO3-"),
}
PYEQL_NAMES = {
    "Na+": "Na+",
    "K+": "K+",
    "Ca2+": "Ca+2",
    "Mg2+": "Mg+2",
    "Cl-": "Cl-",
    "HCO3-": "HCO3-",
}


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return molality (n, 6) [mol/kg] and temperature (n,) [K]."""
    rng = np.random.default_rng(seed)
    centre = np.where((np.arange(n) % 2 == 0)[:, None], ECF, ICF)
    mmol = centre * rng.lognormal(0.0, 0.2, size=(n, len(IONS)))
    cl = IONS.index("Cl-")
    mmol[:, cl] = 0.0
    mmol[:, cl] = mmol @ Z  # electroneutral: Cl- balances the rest
    T = 273.15 + rng.uniform(20.0, 40.0, size=n)
    return mmol / 1000.0, T


def bench_iongrad(m, T) -> tuple[float, np.ndarray]:
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        res = activity_coefficients(m, IONS, T, model="pitzer")
        best = min(best, time.perf_counter() - t0)
    return m.shape[0] / best, res.gamma


def phreeqc_session():
    try:
        from phreeqpython import PhreeqPython
    except Exception as err:  # ImportError or a missing IPhreeqc library
        print(f"PHREEQC: skipped ({type(err).__name__}: {err})")
        return None
    return PhreeqPython(database="pitzer.dat")


def phreeqc_gammas(pp, m, T, ions) -> tuple[float, np.ndarray]:
    """One PHREEQC solution per row; gamma = activity / molality of the free ion."""
    out = np.empty((m.shape[0], len(ions)))
    t0 = time.perf_counter()
    for r in range(m.shape[0]):
        spec = {"units": "mol/kgw", "temp": float(T[r] - 273.15)}
        for j, ion in enumerate(ions):
            spec[PHREEQC_NAMES[ion][0]] = float(m[r, j])
        sol = pp.add_solution(spec)
        act, mol = sol.species_activities, sol.species_molalities
        for j, ion in enumerate(ions):
            name = PHREEQC_NAMES[ion][1]
            out[r, j] = act[name] / mol[name]
        sol.forget()
    return m.shape[0] / (time.perf_counter() - t0), out


def pyeql_gammas(m, T) -> tuple[float, np.ndarray] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyEQL import Solution
    except Exception as err:
        print(f"pyEQL: skipped ({type(err).__name__}: {err})")
        return None
    out = np.empty(m.shape)
    t0 = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        for r in range(m.shape[0]):
            comp = {PYEQL_NAMES[i]: f"{m[r, j]} mol/kg" for j, i in enumerate(IONS)}
            sol = Solution(comp, temperature=f"{T[r] - 273.15} degC")
            for j, ion in enumerate(IONS):
                out[r, j] = sol.get_activity_coefficient(PYEQL_NAMES[ion]).magnitude
    return m.shape[0] / (time.perf_counter() - t0), out


def salt_check(pp) -> None:
    """gamma_pm of NaCl and KCl vs PHREEQC pitzer.dat, 0.001-1 mol/kg, 20-40 degC."""
    molal = np.array([0.001, 0.01, 0.1, 0.5, 1.0])
    temps = 273.15 + np.array([20.0, 25.0, 30.0, 37.0, 40.0])
    mm, tt = (a.ravel() for a in np.meshgrid(molal, temps))
    print("gamma_pm vs PHREEQC pitzer.dat (target: |diff| <= 0.002)")
    for cation in ("Na+", "K+"):
        mat = np.column_stack([mm, mm])
        ours = activity_coefficients(mat, [cation, "Cl-"], tt, model="pitzer").gamma
        _, ref = phreeqc_gammas(pp, mat, tt, [cation, "Cl-"])
        g_ours = mean_activity_coefficient(ours[:, 0], ours[:, 1], 1, -1)
        g_ref = mean_activity_coefficient(ref[:, 0], ref[:, 1], 1, -1)
        diff = g_ours - g_ref
        worst = int(np.argmax(np.abs(diff)))
        verdict = "ok" if np.abs(diff).max() <= 0.002 else "ABOVE TARGET"
        print(
            f"  {cation}Cl: max |diff| = {np.abs(diff).max():.4f} at "
            f"{mm[worst]:g} mol/kg, {tt[worst] - 273.15:.0f} degC "
            f"(ours {g_ours[worst]:.4f}, PHREEQC {g_ref[worst]:.4f}) [{verdict}]"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--phreeqc", type=int, default=500)
    ap.add_argument("--pyeql", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    m, T = generate(args.n, args.seed)
    I = 0.5 * (m @ Z**2)  # noqa: E741
    print(
        f"{args.n} solutions, 6 ions, 20-40 degC, I = {I.min():.3f}-{I.max():.3f} "
        "mol/kg"
    )
    rate, gamma = bench_iongrad(m, T)
    print(f"iongrad pitzer (vectorized, MacInnes): {rate:,.0f} solutions/s")

    pp = phreeqc_session()
    if pp is not None:
        k = min(args.phreeqc, args.n)
        p_rate, p_gamma = phreeqc_gammas(pp, m[:k], T[:k], IONS)
        dev = np.abs(gamma[:k] - p_gamma)
        print(
            f"PHREEQC pitzer.dat (phreeqpython, {k} solutions): {p_rate:,.0f} "
            f"solutions/s; iongrad/PHREEQC throughput = {rate / p_rate:,.0f}x "
            "(target >= 100x)"
        )
        for j, ion in enumerate(IONS):
            print(f"  max |gamma - gamma_PHREEQC| {ion:>6}: {dev[:, j].max():.4f}")
        # Same solutions without HCO3- (Cl- rebalanced): PHREEQC speciates carbonate
        # (CO2, CO3-2) and pitzer.dat refits Na/K-HCO3, so this isolates the rest.
        m5 = m[:k, :5].copy()
        m5[:, 4] = 0.0
        m5[:, 4] = m5 @ Z[:5]
        ours5 = activity_coefficients(m5, IONS[:5], T[:k], model="pitzer").gamma
        _, ref5 = phreeqc_gammas(pp, m5, T[:k], IONS[:5])
        dev5 = np.abs(ours5 - ref5).max(axis=0)
        print(
            "  same solutions without HCO3-: max |diff| "
            + ", ".join(f"{i} {d:.4f}" for i, d in zip(IONS[:5], dev5, strict=True))
        )
        salt_check(pp)

    k = min(args.pyeql, args.n)
    if k > 0:
        res = pyeql_gammas(m[:k], T[:k])
        if res is not None:
            q_rate, q_gamma = res
            print(
                f"pyEQL native ({k} solutions): {q_rate:,.2f} solutions/s; "
                f"iongrad/pyEQL throughput = {rate / q_rate:,.0f}x (target >= 10,000x)"
            )
            dev = np.abs(gamma[:k] - q_gamma).max(axis=0)
            print(
                "  max |gamma - gamma_pyEQL| per ion: "
                + ", ".join(f"{i} {d:.3f}" for i, d in zip(IONS, dev, strict=True))
            )


if __name__ == "__main__":
    main()
