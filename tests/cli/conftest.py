"""The one way the CLI tests run a command: in-process, exit status and output."""

from __future__ import annotations

import pytest

from iongrad.cli import main


@pytest.fixture
def cli(capsys):
    """``cli("nernst", "--ion", "K+", ...) -> (exit status, stdout, stderr)``."""

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run
