"""``iongrad validate``: check measurement tables against the contract.

Exit status: 0 every file passed (warnings allowed), 1 errors were found, 2 an
argument was unusable or a file could not be read (the message names it).
"""

from __future__ import annotations

import argparse
import re
import sys

from iongrad.cli.common import CLIError, emit_json
from iongrad.gate.ingest import IngestError
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
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV or parquet file")
    p.add_argument(
        "--lenient",
        action="store_true",
        help="quarantine rows with errors and accept the rest (default: strict)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--dataset", help="dataset name (default: column or file stem)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate each file; print summaries or JSON; return the exit status."""
    if args.dataset is not None and not _DATASET.match(args.dataset):
        raise CLIError(
            f"--dataset: {args.dataset!r} may only contain letters, digits, _ and -"
        )
    mode = "lenient" if args.lenient else "strict"
    reports, unreadable, failed = [], [], False
    for path in args.files:
        try:
            result = validate_file(path, dataset=args.dataset, mode=mode)
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
