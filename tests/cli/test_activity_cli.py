"""`iongrad activity`: output contract and bad input (exit status 2)."""

import json

import pytest

from iongrad.cli import main


def test_pitzer_nacl_json(capsys, cli):
    status, out, _ = cli("activity", "--model", "pitzer",
        "--solution", "Na+=0.1mol/kg, Cl-=0.1mol/kg", "--temperature", "25C", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["model"] == "pitzer"
    assert data["convention"] == "macinnes"
    assert data["valid"] is True
    assert data["ionic_strength_molal"] == pytest.approx(0.1)
    assert data["salt"] == "Na+ Cl-"
    # Robinson & Stokes 1959 App. 8.10 Table 1: gamma_pm(NaCl, 0.1 m) = 0.778
    assert data["gamma_pm"] == pytest.approx(0.778, abs=0.005)
    assert [i["ion"] for i in data["ions"]] == ["Na+", "Cl-"]
    assert data["concentration_scale_used"] == "molal (given)"


def test_default_model_text_output_and_molar_input(capsys, cli):
    status, out, _ = cli(
        "activity", "--solution", "K=140, Cl=140", "--temperature", "37C"
    )
    assert status == 0
    assert "truesdell-jones" in out
    assert "macinnes" in out
    assert "gamma_pm(K+ Cl-)" in out
    assert "dilute" in out


def test_out_of_range_is_reported(capsys, cli):
    status, out, _ = cli("activity", "--model", "debye-huckel",
        "--solution", "Na+=150, Cl-=150", "--temperature", "37C", "--json",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out)["valid"] is False


def test_mixture_has_no_gamma_pm(capsys, cli):
    status, out, _ = cli("activity", "--model", "pitzer", "--json",
        "--solution", "Na+=140, K+=5, Cl-=145", "--temperature", "37C",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out)["gamma_pm"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "nonsense"], "invalid choice"),
        (["--solution", "Qq+=0.1mol/kg"], "unknown ion"),
        (["--solution", "Na+=-0.1mol/kg, Cl-=0.1mol/kg"], ">= 0"),
        (["--model", "pitzer", "--solution", "H+=0.1mol/kg, HCO3-=0.1mol/kg"],
         "no Pitzer parameters for pair(s) H+/HCO3-"),
        (["--model", "pitzer", "--solution", "Na+=0.1mol/kg, gluconate=0.1mol/kg"],
         "no Pitzer parameters for gluconate-"),
        (["--model", "extended-debye-huckel", "--solution", "Na=10, gluconate=10"],
         "no Kielland"),
        (["--temperature", "25"], "needs a unit"),
        (["--davies-coefficient", "0.2"], "only for --model davies"),
    ],
)  # fmt: skip
def test_bad_input_exits_2(capsys, argv, message, cli):
    base = {"--solution": "Na+=0.1mol/kg, Cl-=0.1mol/kg", "--temperature": "25C"}
    args = list(argv)
    for key, value in base.items():
        if key not in args:
            args += [key, value]
    if "invalid choice" in message:
        with pytest.raises(SystemExit) as exc:
            main(["activity", *args])
        assert exc.value.code == 2
        assert message in capsys.readouterr().err
        return
    status, _, err = cli("activity", *args)
    assert status == 2
    assert message in err


def test_a_neutral_solute_in_the_solution_is_carried_with_gamma_one(capsys, cli):
    # Issue #14 item 2: a neutral solute crashed the Debye-Hueckel family.
    status, out, _ = cli("activity", "--solution", "Na+=100, Cl-=100, glucose=5",
        "--temperature", "25C", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    by_ion = {i["ion"]: i for i in data["ions"]}
    assert by_ion["glucose"]["gamma"] == 1.0
    assert by_ion["glucose"]["valence"] == 0
    assert data["valid"] is True
    # I is that of the ions alone, so gamma_pm is NaCl's.
    assert data["salt"] == "Na+ Cl-"
