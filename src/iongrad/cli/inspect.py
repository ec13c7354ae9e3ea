"""``iongrad inspect``: how a table would be read, before any value is judged.

For one file it shows the format and dialect (separator, decimal mark, encoding and
byte order mark), the sheet and the header and units rows, then every column: its
header as written, what it is read as (a contract column, an ion's concentration
on one side, ignored, or ambiguous), its ion, side and unit, and why (the header
form that matched, or the ``columns`` mapping given with ``--columns``). No value
is parsed, so a mapping can be fixed before the workflow runs.

Exit status: 0 every header is read, 1 the headers have errors (an ambiguous
header, a required column missing, a mapped header the file lacks), 2 an unusable
argument or a file that cannot be read at all.
"""

from __future__ import annotations

import argparse
from typing import Any

from iongrad.cli.common import CLIError, add_read_options, emit_json, read_options_arg
from iongrad.gate.build import Findings, plan_columns
from iongrad.gate.failures import IngestError
from iongrad.gate.headers import HeaderRole, column_position, read_columns, role_record
from iongrad.gate.readers import read_source

#: What each role is called in the table a person reads.
_ROLE_WORDS = {
    "field": "contract column",
    "wide": "ion concentration",
    "ignored": "ignored",
    "ambiguous": "AMBIGUOUS",
    "unreadable": "unreadable",
}


def register(sub) -> None:
    """Add the ``inspect`` subcommand."""
    p = sub.add_parser(
        "inspect",
        help="show how a table would be read: dialect, header rows, every column",
        description="Show how FILE would be read, without validating its values: "
        "format and dialect, sheet, header rows, and for every column its header, "
        "role, ion, side, unit and why. Exit 0 every header is read, 1 the headers "
        "have errors, 2 unusable arguments or unreadable file.",
    )
    p.add_argument("file", metavar="FILE", help="CSV, parquet or workbook file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_read_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the file's header; print the reading; return the exit status."""
    options = read_options_arg(args)
    mapped = read_columns(options.columns)  # usable: read_options_arg checked it
    try:
        source = read_source(args.file, options)
    except IngestError as err:  # several sheets: the message names --sheet
        raise CLIError(str(err)) from None
    found = Findings(source.failures)
    found.file.extend(source.file_failures)
    plan = plan_columns(source, found, mapped)
    report = _report(args.file, source, plan, found)
    if args.json:
        emit_json(report)
    else:
        print(_text(report))
    return report["exit_status"]


def _report(path: str, source, plan, found: Findings) -> dict[str, Any]:
    """The reading as one JSON-able object."""
    written = source.info.get("headers", list(source.cells.columns))
    # a header read as one column (a wrong separator) is planned as nothing
    roles = plan.columns or [HeaderRole(h, "unreadable") for h in written]
    columns = []
    for i, (header, role) in enumerate(zip(written, roles, strict=True)):
        record = {"position": column_position(i), "header": header}
        columns.append({**record, **role_record(role), "why": _why(role)})
    problems = [
        {k: f.to_dict()[k] for k in ("severity", "rule", "column", "message")}
        for f in found.file
        if f.rule != "ignored_column"  # the ignored columns are listed
    ]
    errors = sum(1 for p in problems if p["severity"] == "error")
    return {
        "file": path,
        "ok": errors == 0,
        "exit_status": 1 if errors else 0,
        "reading": source.info.get("reading", {"format": source.fmt}),
        "layout": plan.layout,
        "data_rows": source.n,
        "columns": columns,
        "ignored": [c["header"] for c in columns if c["role"] == "ignored"],
        "mapping": found.info.get("columns", {}),
        "problems": problems,
    }


def _why(role) -> str:
    """Why a column is read as it is, in words."""
    if role.role == "ambiguous":
        return "; ".join(role.readings)
    if role.form == "config columns":
        return "the --columns mapping"
    if role.form:
        return f"form {role.form!r}" if role.role == "wide" else role.form
    if role.role == "unreadable":
        return "a repeated header, a control character or a wrong separator"
    return "no field name or ion form matches"


def _dialect(reading: dict) -> str:
    """The reading block in one line."""
    parts = [str(reading.get("format", "?")).upper()]
    dialect = reading.get("dialect", {})
    if "encoding" in dialect:
        bom = " with BOM" if dialect["encoding"] == "utf-8-sig" else ""
        parts.append(f"encoding utf-8{bom}")
    if "separator" in dialect:
        parts.append(f"separator {dialect['separator']!r}")
    if "decimal" in dialect:
        parts.append(f"decimal mark {dialect['decimal']!r}")
    if dialect.get("thousands"):
        parts.append(f"thousands {dialect['thousands']!r}")
    for key in ("sheet", "header_row", "units_row"):
        if reading.get(key) is not None:
            parts.append(f"{key.replace('_', ' ')} {reading[key]}")
    return ", ".join(parts)


def _text(report: dict[str, Any]) -> str:
    """The reading as a person reads it: a few lines and a table of columns."""
    lines = [
        report["file"],
        f"  read as: {_dialect(report['reading'])}",
        f"  layout: {report['layout']}, {report['data_rows']} data row(s)",
    ]
    skipped = report["reading"].get("skipped") or []
    if skipped:
        rows = "; ".join(f"{s['rows']} ({s['reason']})" for s in skipped)
        lines.append(f"  rows left out: {rows}")
    lines.append("")
    head = ("column", "header", "read as", "ion", "side", "unit", "why")
    rows = [head]
    for c in report["columns"]:
        role = _ROLE_WORDS.get(c["role"], c["role"])
        if c["role"] == "field":
            role = c["column"]
        rows.append(
            (c["position"], c["header"], role, c.get("ion") or "-",
             c.get("side") or "-", c["unit"] or "-", c["why"])
        )  # fmt: skip
    widths = [max(len(str(r[k])) for r in rows) for k in range(len(head) - 1)]
    for r in rows:
        cells = [str(v).ljust(w) for v, w in zip(r, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, str(r[-1])]).rstrip())
    if report["ignored"]:
        lines += ["", "  ignored: " + ", ".join(repr(h) for h in report["ignored"])]
    if report["problems"]:
        lines += ["", "  problems:"]
        lines += [
            f"    {p['severity']} {p['rule']}: {p['message']}"
            for p in report["problems"]
        ]
    return "\n".join(lines)
