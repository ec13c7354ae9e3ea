"""`iongrad donnan` and `iongrad ghk`: output contracts and bad input (exit 2)."""

import json

import pytest


def test_donnan_json_contract(capsys, cli):
    status, out, _ = cli("donnan", "--bath", "K+=100, Cl-=100", "--impermeant", "100",
        "--impermeant-valence", "-1", "--temperature", "25C", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["donnan_potential_mV"] == pytest.approx(-12.36, abs=5e-3)
    assert data["c_in_donnan_mM"]["K+"] == pytest.approx(161.803, abs=5e-4)
    assert data["c_in_donnan_mM"]["Cl-"] == pytest.approx(61.803, abs=5e-4)
    assert data["impermeant_charge_mM"] == -100.0
    assert data["donnan_converged"] is True
    assert data["activity_model"] == "ideal"
    assert data["osmotic_imbalance_mOsm_kg"] == pytest.approx(123.6068, abs=1e-4)


def test_donnan_text_and_activity_model(capsys, cli):
    status, out, _ = cli(
        "donnan", "--bath", "Na+=140, K+=5, Cl-=145", "--impermeant", "100",
        "--impermeant-valence", "-1", "--temperature", "37C",
        "--activity-model", "davies",
    )  # fmt: skip
    assert status == 0
    assert "V_D =" in out
    assert "davies" in out
    assert "converged" in out


def test_donnan_divalent_bath(capsys, cli):
    status, out, _ = cli("donnan", "--bath", "Ca2+=50, Cl-=100", "--impermeant", "100",
        "--temperature", "25C", "--json",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out)["donnan_ratio"] == pytest.approx(1.324717957244746)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--bath", "K+=100, Cl-=90", "--impermeant", "10"], "not electroneutral"),
        (["--bath", "K+=100, Cl-=100", "--impermeant", "-5"], ">= 0"),
        (["--bath", "Kx=100, Cl-=100", "--impermeant", "5"], "unknown ion"),
        (["--bath", "K+=100, Cl-=100", "--impermeant", "5mol/kg"], "molal"),
        (["--bath", "K+=100, Cl-=100, glucose=5", "--impermeant", "5"], "no charge"),
        (
            [
                "--bath",
                "K+=100, Cl-=100",
                "--impermeant",
                "5",
                "--activity-model",
                "nonsense",
            ],
            "unknown model",
        ),
        (
            # cations only and a positive impermeant charge: nothing can balance it
            [
                "--bath",
                "K+=100",
                "--impermeant",
                "5",
                "--impermeant-valence",
                "1",
                "--neutrality-tolerance",
                "10",
            ],
            "no Donnan equilibrium",
        ),
        (
            [
                "--bath",
                "K+=100, Cl-=100",
                "--impermeant",
                "5",
                "--impermeant-valence",
                "minus one",
            ],
            "not a number",
        ),
    ],
)
def test_donnan_bad_input_exits_2_with_one_line(capsys, argv, needle, cli):
    status, out, err = cli("donnan", *argv, "--temperature", "25C")
    assert status == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1


SQUID = ["--c-in", "K+=400, Na+=50, Cl-=40", "--c-out", "K+=20, Na+=440, Cl-=560"]


def test_ghk_squid_json(capsys, cli):
    status, out, _ = cli("ghk", *SQUID, "--perm", "K+=1, Na+=0.04, Cl-=0.45",
        "--temperature", "20C", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["vm_ghk_mV"] == pytest.approx(-62.3, abs=0.1)
    assert data["ghk_method"] == "closed_form"
    assert data["ions"]["K+"]["E_nernst_mV"] == pytest.approx(-75.68, abs=0.01)
    currents = [d["ghk_current"] for d in data["ions"].values()]
    assert abs(sum(currents)) < 1e-9 * sum(abs(c) for c in currents)
    assert data["pump_na_k_ratio"] == pytest.approx(1.2444, abs=5e-4)


def test_ghk_divalent_and_absolute_units(capsys, cli):
    status, out, _ = cli(
        "ghk", "--c-in", "K+=140, Ca2+=0.0001", "--c-out", "K+=5, Ca2+=2",
        "--perm", "K+=1e-6, Ca2+=2e-7", "--perm-unit", "cm/s",
        "--temperature", "37C", "--vm", "-60", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["ghk_method"] == "numeric"
    assert data["current_unit"] == "A/m^2"
    assert data["vm_used_mV"] == -60.0
    assert data["ions"]["Ca2+"]["ghk_current"] < 0  # Ca2+ influx: inward current
    assert data["pump_na_k_ratio"] is None


def test_ghk_text(capsys, cli):
    status, out, _ = cli("ghk", *SQUID, "--perm", "K+=1, Na+=0.04, Cl-=0.45",
        "--temperature", "20C",
    )  # fmt: skip
    assert status == 0
    assert "Vm = -62.27 mV" in out
    assert "3:2" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([*SQUID, "--perm", "K+=1, Na+=0.04"], "missing permeability for Cl-"),
        (
            ["--c-in", "K+=400, Na+=50", "--c-out", "K+=20", "--perm", "K+=1, Na+=1"],
            "Na+ (no --c-out)",
        ),
        ([*SQUID, "--perm", "K+=1, Na+=-0.04, Cl-=0.45"], "must be finite and >= 0"),
        ([*SQUID, "--perm", "K+=1, Na+=0.04, Cl-=0.45, Ca2+=1"], "no concentrations"),
        (
            [*SQUID, "--perm", "K+=1, Na+=0.04, Cl-=0.45", "--perm-unit", "furlongs"],
            "--perm-unit",
        ),
        (["--c-in", "K+=0", "--c-out", "K+=5", "--perm", "K+=1"], "no GHK resting"),
        ([*SQUID, "--perm", "K+=0, Na+=0, Cl-=0"], "no charged ion"),
        ([*SQUID, "--perm", "K+=1, Na+=0.04, Cl-=0.45", "--vm", "x"], "not a number"),
    ],
)
def test_ghk_bad_input_exits_2_with_one_line(capsys, argv, needle, cli):
    status, out, err = cli("ghk", *argv, "--temperature", "20C")
    assert status == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_donnan_closed_system_textbook_experiment(capsys, cli):
    # side 1: 100 mM K+A-, side 2: 100 mM KCl, equal volumes, 25 degC -> r = 2 and
    # -17.81 mV (issue 5; Boron & Boulpaep fig. 5-8 type experiment)
    status, out, _ = cli("donnan", "--bath", "K+=100, Cl-=100", "--inside", "K+=100",
        "--impermeant", "100", "--temperature", "25C", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["system"] == "closed"
    assert data["donnan_ratio"] == pytest.approx(2.0, rel=1e-12)
    assert data["donnan_potential_mV"] == pytest.approx(-17.81, abs=5e-3)
    assert data["c_in_final_mM"]["Cl-"] == pytest.approx(100 / 3, rel=1e-12)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--inside", "K+=50"], "not electroneutral"),
        (["--inside", "K+=100", "--volumes", "1:0"], "must be > 0"),
        (["--inside", "K+=100", "--volumes", "one"], "V_in:V_bath"),
        (["--inside", "K+=100", "--activity-model", "davies"], "ideally only"),
    ],
)
def test_donnan_closed_bad_input(capsys, argv, needle, cli):
    status, out, err = cli("donnan", "--bath", "K+=100, Cl-=100", "--impermeant", "100",
        "--temperature", "25C", *argv,
    )  # fmt: skip
    assert status == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1
