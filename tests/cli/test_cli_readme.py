"""The README's single-calculation commands print the recorded JSON, byte for byte."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from iongrad.cli import main

RECORDED = Path(__file__).resolve().parents[1] / "data" / "cli_json"
COMMANDS = {
    "nernst1": "nernst --ion K+ --c-in 140 --c-out 5 --temperature 37C --vm -65",
    "nernst2": "nernst --ion Ca2+ --c-in 100nM --c-out 2mM --temperature 310.15K",
    "act": "activity --model pitzer --solution 'Na+=0.1mol/kg, Cl-=0.1mol/kg' "
    "--temperature 25C",
    "don": "donnan --bath 'K+=100, Cl-=100' --impermeant 100 "
    "--impermeant-valence -1 --temperature 25C",
    "ghk": "ghk --c-in 'K+=400, Na+=50, Cl-=40' --c-out 'K+=20, Na+=440, Cl-=560' "
    "--perm 'K+=1, Na+=0.04, Cl-=0.45' --temperature 20C",
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_readme_command_json_is_unchanged(name, capsys):
    assert main([*shlex.split(COMMANDS[name]), "--json"]) == 0
    assert capsys.readouterr().out == (RECORDED / f"{name}.json").read_text()
