"""Benchmark: read and validate a generated 100,000-row x 12-column .xlsx (#18).

Part 1, choosing the reader: the bare read of the same sheet by each candidate that
is installed (python-calamine ``to_python``, fastexcel to Arrow, openpyxl read-only;
``--no-openpyxl`` skips the slow one). The gate needs each cell with its own type (a
date or boolean where a number belongs is an error at its cell); fastexcel gives one
type per column, so calamine is the reader, and fastexcel's time is the floor a
columnar reader reaches.

Part 2, the target: ``iongrad.gate.validation.validate_file`` on the file (read with
:mod:`iongrad.gate.sheets`, located, parsed and checked against the full contract)
against the bare calamine read of the same file, interleaved round by round in the
same run; each figure is the best round, in wall and in CPU time (on a shared
machine wall time includes waiting for a core). Target: at most 2x.

The table is long (one row per sample and ion: 100,000 canonical rows), electroneutral
(K+ 5 + Na+ 145 - Cl- 150 mM outside), with the columns a lab's export has:
sample_id, cell_type, temperature_C, ion, c_in_mM, c_out_mM, vm_mV, ljp_mV,
permeability, gamma_in, gamma_out, valence. Written with xlsxwriter (constant memory).

Run:  .venv/bin/python benchmarks/bench_spreadsheet.py [--rows 100000] [--repeat 3]
      [--no-openpyxl]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
from pathlib import Path

from timing import best

from iongrad.gate.validation import validate_file

HEADER = [
    "sample_id", "cell_type", "temperature_C", "ion", "c_in_mM", "c_out_mM",
    "vm_mV", "ljp_mV", "permeability", "gamma_in", "gamma_out", "valence",
]  # fmt: skip
IONS = [("K+", 140.0, 5.0, 1.0, 1), ("Na+", 12.0, 145.0, 0.05, 1),
        ("Cl-", 7.0, 150.0, 0.45, -1)]  # fmt: skip


def make_workbook(path: Path, rows: int) -> None:
    """Write the benchmark sheet (``rows`` data rows below the header)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, HEADER)
    for i in range(rows):
        ion, c_in, c_out, perm, z = IONS[i % 3]
        sample = f"s{i // 3}"
        sheet.write_row(i + 1, 0, [sample, "neuron", 37.0, ion, c_in + (i % 7) * 0.1,
                                   c_out, -70.0, 0.0, perm, 0.75, 0.75, z])  # fmt: skip
    book.close()


def bare_calamine(path: Path):
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_index(0).to_python()


def bare_fastexcel(path: Path):
    import fastexcel

    return fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()


def bare_openpyxl(path: Path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-openpyxl", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        make_workbook(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"{args.rows} rows x {len(HEADER)} columns, {size:.1f} MB .xlsx")
        candidates = {"python-calamine": bare_calamine, "fastexcel": bare_fastexcel}
        if not args.no_openpyxl:
            candidates["openpyxl (read-only)"] = bare_openpyxl
        print("bare read of the sheet, best of", args.repeat, "[wall s / cpu s]:")
        for name, func in candidates.items():
            module = name.split(" ")[0].replace("-", "_")
            if importlib.util.find_spec(module) is None:
                print(f"  {name:22s} not installed")
                continue
            repeat = 1 if name.startswith("openpyxl") else args.repeat
            wall, cpu = best(lambda f=func: f(path), repeat)
            print(f"  {name:22s} {wall:6.2f} / {cpu:6.2f}")
        result = validate_file(path, dataset="bench")
        assert result.ok, result.summary()
        assert result.report["rows_read"] == args.rows
        times = {"bare": [], "iongrad": []}
        for _ in range(args.repeat):  # interleaved: both see the same machine load
            times["bare"].append(best(lambda: bare_calamine(path), 1))
            times["iongrad"].append(
                best(lambda: validate_file(path, dataset="bench"), 1)
            )
        (bare, bare_cpu), (ours, ours_cpu) = (
            tuple(min(t[k] for t in times[side]) for k in (0, 1))
            for side in ("bare", "iongrad")
        )
        print(f"iongrad read + validate: {ours:.2f} s wall / {ours_cpu:.2f} s cpu; "
              f"bare calamine read: {bare:.2f} / {bare_cpu:.2f}; ratio "
              f"{ours / bare:.2f}x wall, {ours_cpu / bare_cpu:.2f}x cpu "
              "(target <= 2x)")  # fmt: skip


if __name__ == "__main__":
    main()
