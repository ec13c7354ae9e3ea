"""The ``iongrad`` command line: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)`` (adds its parser and sets
``func``) and keeps its own logic small: parse text, call :mod:`iongrad`, print.
Exit status: 0 success, 1 the input was read but found invalid (``validate``,
``inspect``),
2 unusable arguments (with one line naming the argument and the problem).
"""

from __future__ import annotations

import argparse
import sys

from iongrad.cli import activity, donnan, ghk, inspect, ljp, nernst, validate
from iongrad.cli.common import CLIError, emit_error_json

__all__ = ["main"]

#: Subcommand modules, in the order ``iongrad --help`` lists them.
SUBCOMMANDS = (nernst, validate, inspect, activity, donnan, ghk, ljp)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    from iongrad import __version__

    parser = argparse.ArgumentParser(
        prog="iongrad",
        description="Electrophysiology numbers from ion-concentration tables.",
    )
    parser.add_argument("--version", action="version", version=f"iongrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CLIError as err:
        print(f"iongrad {args.command}: error: {err}", file=sys.stderr)
        if getattr(args, "json", False):
            emit_error_json(args.command, str(err), 2)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
