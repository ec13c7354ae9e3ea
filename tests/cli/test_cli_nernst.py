"""`iongrad nernst`: output contract and bad-input handling (exit status 2)."""

import json

import pytest


def test_json_contract(capsys, cli):
    status, out, _ = cli("nernst", "--ion", "K+", "--c-in", "140", "--c-out", "5",
        "--temperature", "37C", "--vm", "-65", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    for key in ("E_mV", "driving_force_mV", "flux_direction", "current_direction"):
        assert key in data
    assert data["temperature_K"] == pytest.approx(310.15)
    assert data["valence"] == 1
    assert data["E_mV"] == pytest.approx(-89.06, abs=0.01)
    assert data["driving_force_mV"] == pytest.approx(24.06, abs=0.01)
    assert (data["flux_direction"], data["current_direction"]) == ("efflux", "outward")


@pytest.mark.parametrize(
    ("c_in", "c_out", "temperature"),
    [
        ("140mM", "5mM", "37 degC"),
        ("0.14M", "0.005M", "310.15K"),
        ("140000uM", "5000µM", "310.15 K"),
    ],
)
def test_units_are_equivalent(capsys, c_in, c_out, temperature, cli):
    status, out, _ = cli(
        "nernst", "--ion", "potassium", "--c-in", c_in, "--c-out", c_out,
        "--temperature", temperature, "--json",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out)["E_mV"] == pytest.approx(-89.0585, abs=1e-3)


def test_activity_text_output(capsys, cli):
    status, out, _ = cli("nernst", "--ion", "K", "--c-in", "140", "--c-out", "4",
        "--temperature", "310K", "--gamma-in", "0.85", "--gamma-out", "0.70",
    )  # fmt: skip
    assert status == 0
    assert "E_K+ = -100.16 mV" in out
    assert "activity-based" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--ion", "K+", "--c-in", "-140", "--c-out", "5"], "--c-in"),
        (["--ion", "K+", "--c-in", "abc", "--c-out", "5"], "--c-in"),
        (["--ion", "K+", "--c-in", "140", "--c-out", "5 furlongs"], "--c-out"),
        (["--ion", "Kalium+", "--c-in", "140", "--c-out", "5"], "--ion"),
        (["--ion", "K+", "--c-in", "140", "--c-out", "0.005mol/kg"], "molal"),
    ],
)
def test_bad_input_exit_2(capsys, args, needle, cli):
    status, _, err = cli("nernst", *args, "--temperature", "37C")
    assert status == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("temperature", ["-300C", "-1K", "37", "37F"])
def test_bad_temperature_exit_2(capsys, temperature, cli):
    status, _, err = cli("nernst", "--ion", "K+", "--c-in", "140", "--c-out", "5",
        f"--temperature={temperature}",
    )  # fmt: skip
    assert status == 2
    assert "--temperature" in err


def test_unknown_ion_suggests(capsys, cli):
    status, _, err = cli("nernst", "--ion", "Na++", "--c-in", "1", "--c-out", "2",
        "--temperature", "20C",
    )  # fmt: skip
    assert status == 2
    assert "did you mean" in err
    assert "Na+" in err
