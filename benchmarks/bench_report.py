"""Report rendering for a 10,000-sample dataset: wall time and HTML size.

Writes a synthetic results directory in the pipeline's contract format (10,000
samples x 5 ions = 50,000 rows, 4 cell types x 2 temperatures, with samples,
Donnan and temperature-scan-free inputs) and times
:func:`iongrad.report.render_dataset_report` on it. Baselines measured in the same
run: the same call on a 100-sample dataset (fixed cost: plots, template) and the bare
I/O floor (read the three parquet files: 50,000 rows are more than the companion
CSVs hold in full, iongrad.report.companions.ROW_LIMIT, so the report writes
summaries, not the rows).
Targets (issue 7): under 10 s and under 5 MB.

Then a dataset of ``--big-rows`` rows (default 1,000,000: 200,000 samples x 5 ions,
made by repeating a 2,000-sample synthetic table under new sample names, with one
validation warning per 10 rows), rendered once with a ``previous/`` folder: its wall
time, and the bounds a report keeps for any table size: the HTML under 5 MB, the
files beside it under 20 MB together, and the ``previous/`` snapshot (its size does
not grow with the rows). ``--big-rows 0`` skips it.

``--small N`` times instead N reports of small datasets in one warm process (imports
paid, one warm-up report first), as the workflow renders them: 20 samples x 6 ions,
one cell type, one temperature, written by the pipeline itself from
``bench_workflow``'s generated tables, each with its ``previous/`` snapshot (compared
and kept, as in the workflow). Baseline measured in the same run: reading
each dataset's result files (parquet tables and JSON). Target (issue 6's 1,000
datasets in 10 minutes on 2 cores): at most 0.35 s per report.

Run: ``.venv/bin/python benchmarks/bench_report.py [--samples N] [--repeat K]
[--big-rows N]``
or ``.venv/bin/python benchmarks/bench_report.py --small 10 [--repeat K]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "report"))
from synthetic import potentials_frame, write_results
from timing import best

from iongrad.report import render_dataset_report

TARGET_S = 10.0
TARGET_MB = 5.0
TARGET_COMPANIONS_MB = 20.0
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
                    previous_dir=Path("baseline") / name / "previous",
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


def big_table(root: Path, rows: int) -> Path:
    """Results of about ``rows`` rows: a 2,000-sample synthetic table repeated under
    new sample names, one warning per 10 rows in validation.json."""
    base = potentials_frame("huge", groups(2000), invalid_every=97)
    copies = max(1, round(rows / len(base)))
    parts = []
    for j in range(copies):
        part = base.copy()
        part["sample_id"] = part["sample_id"] + f"/{j}"
        part["source_row"] = part["source_row"] + j * len(base)
        parts.append(part)
    pot = pd.concat(parts, ignore_index=True)
    warnings = [
        {
            "file": "data/raw/huge.csv",
            "row": int(r),
            "column": "c_out_mM",
            "value": "1",
            "rule": "bath_electroneutral",
            "severity": "warning",
            "message": f"data/raw/huge.csv, row {int(r)}, column 'c_out_mM': value "
            "1: rule bath_electroneutral: The measured bath ions of a sample should "
            "be near electroneutral (sample 'x': sum z c_out = +29 mM of 287 mM)",
        }
        for r in pot["source_row"].iloc[::10]
    ]
    return write_results(
        root / "results", "huge", [], potentials=pot, failures=warnings
    )


def big_report(rows: int) -> None:
    """Render a ``rows``-row dataset once; print its time and the size bounds."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        res = big_table(root, rows)
        made = time.perf_counter() - t0
        out = root / "reports" / "huge.html"
        prev = res / "previous"
        for _ in range(2):  # the second rendering compares with the first
            t0, c0 = time.perf_counter(), time.process_time()
            render_dataset_report(
                dataset="huge",
                results_dir=res,
                output=out,
                config={"temperatures_C": [20, 25, 37]},
                temperatures_C=[20, 25, 37],
                previous_dir=prev,
            )
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = len(pd.read_parquet(res / "potentials.parquet", columns=["ion"]))
        html = out.stat().st_size / 1e6
        beside = [p for p in out.parent.glob("huge_*") if p.is_file()]
        side = sum(p.stat().st_size for p in beside) / 1e6
        kept = sum(p.stat().st_size for p in prev.iterdir()) / 1e6
        val = (res / "validation.json").stat().st_size / 1e6
        print(f"\nbig dataset: {n:,} rows (sample x ion), validation.json {val:.1f} MB")
        print(
            f"  made in {made:.1f} s; second rendering (compares with the first) "
            f"{wall:.1f} s wall, {cpu:.1f} s CPU"
        )
        print(f"  HTML: {html:.2f} MB (bound {TARGET_MB:g} MB)")
        print(
            f"  {len(beside)} files beside it: {side:.2f} MB "
            f"(bound {TARGET_COMPANIONS_MB:g} MB)"
        )
        for p in sorted(beside, key=lambda p: -p.stat().st_size):
            print(f"    {p.name:28s}{p.stat().st_size / 1e6:8.2f} MB")
        print(f"  previous/ snapshot: {kept:.2f} MB")
        ok_h, ok_s = html < TARGET_MB, side < TARGET_COMPANIONS_MB
        print(
            f"  bounds: HTML < {TARGET_MB:g} MB {'met' if ok_h else 'MISSED'}; "
            f"companions < {TARGET_COMPANIONS_MB:g} MB {'met' if ok_s else 'MISSED'}"
        )


def main() -> None:
    """Generate, render, print figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big-rows", type=int, default=1_000_000)
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
            pd.read_parquet(big / "potentials.parquet")
            pd.read_parquet(big / "samples.parquet")
            pd.read_parquet(big / "donnan.parquet")

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
        print(f"baseline I/O floor (read the parquet files): {t_io:.2f} s")
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
    if args.big_rows:
        big_report(args.big_rows)


if __name__ == "__main__":
    main()
