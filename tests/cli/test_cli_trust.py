"""Hostile and careless command lines: no wrong number with exit 0, no traceback.

Each case was found by trying the CLI as a new user would; every one of them printed
a number (or a traceback) before the fix.
"""

from __future__ import annotations

import json

import pytest

NERNST = ["nernst", "--ion", "K+", "--c-out", "5", "--temperature", "37C"]


@pytest.mark.parametrize("text", ["1,000", "0,5", "1.000,5", "1,000.5"])
def test_a_comma_in_a_number_is_an_error_not_a_thousandfold_value(text, capsys, cli):
    code, out, err = cli(*[*NERNST, "--c-in", text])
    assert code == 2, out
    assert text in err
    assert "decimal mark" in err


def test_a_comma_in_a_composition_value_is_an_error(cli):
    code, _, err = cli(
        *["activity", "--solution", "Na+=1,000, Cl-=100", "--temperature", "25C"]
    )
    assert code == 2
    assert "1,000" in err


@pytest.mark.parametrize(
    ("temperature", "needle"),
    [
        ("37K", "temperature_range"),
        ("5000C", "temperature_range"),
        ("1e300K", "temperature_range"),
        ("1e999K", "finite"),
    ],
)
def test_implausible_temperatures_use_the_tables_rule(temperature, needle, capsys, cli):
    argv = ["nernst", "--ion", "K+", "--c-in", "140", "--c-out", "5"]
    code, out, err = cli(*[*argv, "--temperature", temperature])
    assert code == 2, out
    assert needle in err
    assert "mV" not in out


def test_activity_with_an_infinite_temperature_is_a_clean_error(cli):
    code, _, err = cli(
        *["activity", "--solution", "Na+=100, Cl-=100", "--temperature", "1e999K"]
    )
    assert code == 2
    assert "Traceback" not in err


@pytest.mark.parametrize("vm", ["5000", "-300", "nan", "inf"])
def test_implausible_vm_is_an_error(vm, capsys, cli):
    code, _, err = cli(*[*NERNST, "--c-in", "140", "--vm", vm])
    assert code == 2
    assert "--vm" in err


def test_vm_that_looks_like_volts_is_flagged(capsys, cli):
    code, out, _ = cli(*[*NERNST, "--c-in", "140", "--vm", "-0.065", "--json"])
    assert code == 0
    data = json.loads(out)
    assert any("volts" in w for w in data["warnings"])


@pytest.mark.parametrize("c_in", ["1e308M", "1e30", "30M"])
def test_concentrations_beyond_any_solution_are_errors(c_in, capsys, cli):
    code, out, err = cli(*[*NERNST, "--c-in", c_in])
    assert code == 2, out
    assert "c_in_range" in err


def test_minus_zero_is_zero(capsys, cli):
    code_a, out_a, _ = cli(*[*NERNST, "--c-in", "-0", "--json"])
    code_b, out_b, _ = cli(*[*NERNST, "--c-in", "0", "--json"])
    assert code_a == code_b == 0
    a, b = json.loads(out_a), json.loads(out_b)
    assert a["E_mV"] == b["E_mV"]
    assert a["status"] == b["status"] != "ok"


def test_errors_under_json_are_json(capsys, cli):
    code, out, err = cli(*[*NERNST, "--c-in", "abc", "--json"])
    assert code == 2
    data = json.loads(out)
    assert data["exit_status"] == 2
    assert "--c-in" in data["error"]
    assert "--c-in" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["activity", "--solution", "Na+=100, Cl-=100", "--temperature", "25C"],
        [
            "activity",
            "--model",
            "davies",
            "--solution",
            "Na+=5000, Cl-=5000",
            "--temperature",
            "25C",
        ],
    ],
)
def test_no_runtime_warning_lines(argv, capsys, cli):
    code, _, err = cli(*argv)
    assert code == 0
    assert "RuntimeWarning" not in err
