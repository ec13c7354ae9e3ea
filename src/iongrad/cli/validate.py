"""``iongrad validate``: check measurement tables against the contract.

A directory stands for every table in it (``.csv``, ``.tsv``, ``.txt``,
``.parquet``, ``.pq`` and the workbooks ``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``);
hidden and lock files there (``._x.csv``, ``.~lock.x.csv#``, ``~$x.csv``) are
skipped and named on standard error.

A dataset's read options are flags, the same as ``iongrad inspect`` takes
(``--sheet``, ``--columns MAPPING.yaml``, ``--header-row``, ``--units-row``,
``--skip-rows``, ``--decimal``/``--thousands``), so a file is checked as the
workflow reads it with those keys in its config.

Exit status: 0 every file passed (warnings allowed), 1 errors were found, 2 an
argument was unusable, a file could not be read or the contract is missing (the
message names it).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from iongrad.cli.common import CLIError, add_read_options, emit_json, read_options_arg
from iongrad.gate.contract import SchemaDefinitionError, load_contract
from iongrad.gate.ingest import IngestError
from iongrad.gate.readers import TABLE_SUFFIXES, table_files
from iongrad.gate.validation import validate_file

_DATASET = re.compile(r"^[A-Za-z0-9_-]+$")


def register(sub) -> None:
    """Add the ``validate`` subcommand."""
    p = sub.add_parser(
        "validate",
        help="check CSV/parquet tables against schemas/measurements.yaml",
        description="Validate measurement tables and report every failure at once "
        "(file, row, column, value, rule). Exit 0 valid, 1 errors found, "
        "2 unusable arguments or unreadable file.",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="CSV or parquet file, or a directory (every table in it)",
    )
    p.add_argument(
        "--lenient",
        action="store_true",
        help="quarantine rows with errors and accept the rest (default: strict)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--dataset", help="dataset name (default: column or file stem)")
    add_read_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate each file; print summaries or JSON; return the exit status."""
    if args.dataset is not None and not _DATASET.match(args.dataset):
        raise CLIError(
            f"--dataset: {args.dataset!r} may only contain letters, digits, _ and -"
        )
    mode = "lenient" if args.lenient else "strict"
    options = read_options_arg(args)
    try:
        load_contract()
    except SchemaDefinitionError as err:
        raise CLIError(str(err)) from None
    reports, unreadable, failed = [], [], False
    for path in _tables(args.files):
        try:
            result = validate_file(
                path, dataset=args.dataset, mode=mode, options=options
            )
        except IngestError as err:
            unreadable.append({"file": path, "rule": err.rule, "message": str(err)})
            if not args.json:
                print(f"iongrad validate: error: {err}", file=sys.stderr)
            continue
        reports.append(result.report)
        failed |= not result.ok
        if not args.json:
            print(result.summary())
    status = 2 if unreadable else (1 if failed else 0)
    if args.json:
        emit_json(
            {"ok": status == 0, "exit_status": status, "mode": mode,
             "files": reports, "unreadable": unreadable}
        )  # fmt: skip
    return status


def _tables(paths: list[str]) -> list[str]:
    """The files to validate: each path, a directory replaced by its tables.

    Skipped hidden and lock files are named on standard error; a directory without
    any table is an unusable argument.
    """
    out = []
    for path in paths:
        if not Path(path).is_dir():
            out.append(path)
            continue
        tables, skipped = table_files(path)
        if skipped:
            names = ", ".join(p.name for p in skipped)
            print(
                f"iongrad validate: {path}: skipped {len(skipped)} hidden or lock "
                f"file(s) (names starting with '.' or '~$'): {names}",
                file=sys.stderr,
            )
        if not tables:
            suffixes = ", ".join(sorted(TABLE_SUFFIXES))
            raise CLIError(f"{path} is a directory without any table ({suffixes})")
        out += [str(p) for p in tables]
    return out
