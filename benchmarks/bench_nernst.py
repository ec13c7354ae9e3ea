"""Nernst + driving force + directions over 10 million rows versus bare numpy.

Baseline, measured in the same run on the same arrays: ``np.log(c_out / c_in)``.
Prints rows/s for both and the ratio (target: iongrad >= 0.5 x bare numpy).

Run: ``.venv/bin/python benchmarks/bench_nernst.py [--rows N] [--repeat K]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from iongrad.nernst import directions, driving_force_mV, nernst_potential


def best_of(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls, [s] (the least disturbed by noise)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    """Generate physiological rows, time both, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.rows
    c_in = rng.uniform(1e-4, 400.0, n)
    c_out = rng.uniform(1e-4, 600.0, n)
    z = rng.choice(np.array([-2, -1, 1, 2], dtype=np.int8), n)
    T = rng.uniform(273.15, 313.15, n)
    vm = rng.uniform(-100.0, 0.0, n)

    def bare():
        return np.log(c_out / c_in)

    def iongrad():
        r = nernst_potential(c_in=c_in, c_out=c_out, valence=z, temperature_K=T)
        df = driving_force_mV(vm_mV=vm, E_mV=r.E_mV)
        return directions(df, z), r.status

    t_bare = best_of(bare, args.repeat)
    t_ion = best_of(iongrad, args.repeat)
    print(f"rows: {n:,}  (best of {args.repeat})")
    print(f"bare numpy log(c_out/c_in):       {n / t_bare:14,.0f} rows/s")
    print(f"iongrad nernst+DF+directions:     {n / t_ion:14,.0f} rows/s")
    print(f"ratio iongrad/bare: {t_bare / t_ion:.2f}  (target >= 0.5)")


if __name__ == "__main__":
    main()
