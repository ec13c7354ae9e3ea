"""Report rendering for a 10,000-sample dataset: wall time and HTML size.

Writes a synthetic results directory in the pipeline's contract format (10,000
samples x 5 ions = 50,000 rows, 4 cell types x 2 temperatures, with samples,
Donnan and temperature-scan-free inputs) and times
:func:`iongrad.report.render_dataset_report` on it. Baselines measured in the same
run: the same call on a 100-sample dataset (fixed cost: plots, template) and the bare
I/O floor (read the parquet files and write the full CSVs the report also writes).
Targets (issue 7): under 10 s and under 5 MB.

``--small N`` times instead N reports of small datasets in one warm process (imports
paid, one warm-up report first), as the workflow renders them: 20 samples x 6 ions,
one cell type, one temperature, written by the pipeline itself from
``bench_workflow``'s generated tables. Baseline measured in the same run: reading
each dataset's result files (parquet tables and JSON). Target (issue 6's 1,000
datasets in 10 minutes on 2 cores): at most 0.35 s per report.

Run: ``.venv/bin/python benchmarks/bench_report.py [--samples N] [--repeat K]``
or ``.venv/bin/python benchmarks/bench_report.py --small 10 [--repeat K]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "report"))
from synthetic import write_results
from timing import best

from iongrad.report import render_dataset_report

TARGET_S = 10.0
TARGET_MB = 5.0
TARGET_SMALL_S = 0.35
CELLS = ("squid axon", "frog muscle", "cardiac myocyte", "neuron")
TEMPS_K = (293.15, 310.15)


def groups(n: int) -> list[tuple[str, float, int]]:
    """Split ``n`` samples over the cell types x temperatures."""
    keys = [(c, t) for c in CELLS for t in TEMPS_K]
    per, extra = divmod(n, len(keys))
    return [(c, t, per + (i < extra)) for i, (c, t) in enumerate(keys)]


def small_reports(n: int, repeat: int) -> None:
    """Time ``n`` small-dataset reports in this process; print per-report figures."""
    import bench_workflow

    from iongrad.pipeline import config as cfgmod

    with tempfile.TemporaryDirectory() as tmp:
        work = bench_workflow.setup(Path(tmp), n + 1, True)
        bench_workflow.direct_baseline(work, n + 1, False)  # results, no reports
        old = Path.cwd()
        os.chdir(work)
        try:
            cfg = cfgmod.resolve(cfgmod.load("config/config.yaml"))
            names = sorted(cfg["datasets"])[: n + 1]
            settings = {d: cfgmod.dataset_settings(cfg, d) for d in names}

            def report(name: str) -> None:
                render_dataset_report(
                    dataset=name,
                    results_dir=Path("baseline") / name,
                    output=Path("reports") / f"{name}.html",
                    config=settings[name],
                    temperatures_C=settings[name]["temperatures_C"],
                )

            def reports() -> None:
                for name in names[1:]:
                    report(name)

            def read() -> None:
                for name in names[1:]:
                    results = Path("baseline") / name
                    for table in results.glob("*.parquet"):
                        pd.read_parquet(table)
                    for doc in results.glob("*.json"):
                        json.loads(doc.read_text(encoding="utf-8"))

            report(names[0])  # warm-up: imports, font cache, templates, figures
            wall, cpu = best(reports, repeat)
            r_wall, _ = best(read, repeat)
        finally:
            os.chdir(old)
    per, per_cpu, base = wall / n, cpu / n, r_wall / n
    print(f"small datasets: {n} reports of 20 samples x 6 ions (one process, warm)")
    print(
        f"report per dataset: {per:.3f} s wall, {per_cpu:.3f} s CPU "
        f"(best of {repeat} runs over the {n})"
    )
    print(f"baseline read result files per dataset: {base:.4f} s wall")
    print(f"ratio report / read: {per / base:.1f}")
    ok = per_cpu <= TARGET_SMALL_S
    print(
        f"target CPU per report <= {TARGET_SMALL_S:g} s: {'met' if ok else 'MISSED'} "
        f"(1,000 reports: {per_cpu * 1000 / 60:.1f} CPU-minutes)"
    )


def main() -> None:
    """Generate, render, print figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--small",
        type=int,
        default=0,
        metavar="N",
        help="time N small-dataset reports instead of one large one",
    )
    args = ap.parse_args()
    if args.small:
        small_reports(args.small, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        big = write_results(
            root / "results", "big", groups(args.samples), invalid_every=97
        )
        small = write_results(root / "results", "small", groups(100), seed=1)
        out_big = root / "reports" / "big.html"
        out_small = root / "reports" / "small.html"
        cfg = {"temperatures_C": [20, 25, 37]}

        def render_big():
            render_dataset_report(
                dataset="big",
                results_dir=big,
                output=out_big,
                config=cfg,
                temperatures_C=cfg["temperatures_C"],
            )

        def render_small():
            render_dataset_report(
                dataset="small",
                results_dir=small,
                output=out_small,
                config=cfg,
                temperatures_C=cfg["temperatures_C"],
            )

        def io_floor():
            pot = pd.read_parquet(big / "potentials.parquet")
            smp = pd.read_parquet(big / "samples.parquet")
            pd.read_parquet(big / "donnan.parquet")
            pot.to_csv(root / "floor_potentials.csv", index=False)
            smp.to_csv(root / "floor_samples.csv", index=False)

        render_small()  # warm-up: imports, font cache
        t_big = best(render_big, args.repeat)[0]
        t_small = best(render_small, args.repeat)[0]
        t_io = best(io_floor, args.repeat)[0]
        n_rows = len(pd.read_parquet(big / "potentials.parquet"))
        size_mb = out_big.stat().st_size / 1e6
        beside = sum(
            p.stat().st_size for p in out_big.parent.glob("big_*") if p.is_file()
        )
        print(f"dataset: {args.samples:,} samples, {n_rows:,} rows (sample x ion)")
        print(f"render {args.samples:,} samples: {t_big:.2f} s (best of {args.repeat})")
        print(f"baseline render 100 samples:  {t_small:.2f} s")
        print(f"baseline I/O floor (read parquet + write CSVs): {t_io:.2f} s")
        print(f"ratio big / 100-sample render: {t_big / t_small:.2f}")
        print(f"ratio big render / I/O floor:  {t_big / t_io:.2f}")
        print(
            f"HTML size: {size_mb:.2f} MB; CSV + SVG beside it: {beside / 1e6:.2f} MB"
        )
        ok_t, ok_s = t_big < TARGET_S, size_mb < TARGET_MB
        print(
            f"targets: time < {TARGET_S:g} s {'met' if ok_t else 'MISSED'}; "
            f"size < {TARGET_MB:g} MB {'met' if ok_s else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
