"""`iongrad ljp`: output contracts, the adjustment report and bad input (exit 2)."""

import json

import pytest

PIPETTE = "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1, HEPES=5"
BATH = "Na+=145, K+=2.8, Cl-=148.8, Mg2+=2, Ca2+=1, HEPES=5"
BASE = ["ljp", "--pipette", PIPETTE, "--bath", BATH, "--temperature", "20C"]


def test_text_output(capsys, cli):
    status, out, err = cli(*BASE)
    assert status == 0, err
    assert "LJP = +16.05 mV (bath - pipette; nernst-planck" in out
    assert "Vm = Vm_measured - (+16.05 mV)" in out
    assert "henderson gives +15.61 mV" in out
    assert "gluconate-" in out
    assert "Ng & Barry 1995" in out


def test_json_contract(capsys, cli):
    status, out, _ = cli(*BASE, "--json")
    assert status == 0
    data = json.loads(out)
    assert data["ljp_mV"] == pytest.approx(16.0544, abs=1e-4)
    assert data["method"] == "nernst-planck"
    assert data["temperature_K"] == pytest.approx(293.15)
    assert data["sign_convention"].startswith("ljp_mV = phi_bath - phi_pipette")
    assert data["adjustment"] is None
    assert data["converged"] is True
    assert data["other_method"] == {
        "method": "henderson",
        "ljp_mV": pytest.approx(15.6107, abs=1e-4),
    }
    k = data["ions"]["K+"]
    assert (k["valence"], k["pipette"], k["bath"]) == (1, 145.0, 2.8)
    assert k["mobility_rel_K"] == 1.0
    assert k["source"].startswith("CRC Handbook")
    assert data["ions"]["HEPES-"]["mobility_rel_K"] == 0.3
    assert set(data["ions"]) == {
        "K+", "Na+", "Cl-", "gluconate-", "Mg2+", "HEPES-", "Ca2+"
    }  # fmt: skip


def test_henderson_method(capsys, cli):
    status, out, _ = cli(*BASE, "--method", "henderson", "--json")
    assert status == 0
    data = json.loads(out)
    assert data["method"] == "henderson"
    assert data["ljp_mV"] == pytest.approx(15.6107, abs=1e-4)
    assert data["iterations"] == 0


def test_net_charge_is_exit_2_naming_it(capsys, cli):
    status, out, err = cli(
        "ljp", "--pipette", "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1",
        "--bath", "Na+=145, K+=2.8, Cl-=148.8, Mg2+=2, Ca2+=1", "--temperature", "20C",
    )  # fmt: skip
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "--pipette" in err
    assert "not electroneutral" in err
    assert "+5 mM" in err
    assert "--adjust ION" in err


def test_adjustment_is_reported(capsys, cli):
    status, out, _ = cli(
        "ljp", "--pipette", "K+=145, Na+=13, Cl-=10, gluconate=145, Mg2+=1",
        "--bath", "Na+=145, K+=2.8, Cl-=148.8, Mg2+=2, Ca2+=1", "--temperature", "20C",
        "--adjust", "Cl-", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["adjustment"] == {
        "ion": "Cl-",
        "pipette_change": 5.0,
        "bath_change": 5.0,
        "unit": "mM",
    }
    assert data["ions"]["Cl-"]["pipette"] == 15.0
    status, out, _ = cli(
        "ljp", "--pipette", "K+=140, Cl-=130", "--bath", "Na+=140, Cl-=140",
        "--temperature", "25C", "--adjust", "Cl",
    )  # fmt: skip
    assert status == 0
    assert "adjusted Cl- for electroneutrality: pipette +10 mM, bath +0 mM" in out


def test_units_and_neutral_solutes(capsys, cli):
    status, out, _ = cli("ljp", "--pipette", "K+=0.14M, Cl-=140mM, glucose=10",
        "--bath", "Na+=140000uM, Cl-=140", "--temperature", "298.15K", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["ignored_neutral"] == ["glucose"]
    assert data["ions"]["K+"]["pipette"] == 140.0
    assert data["ljp_mV"] == pytest.approx(4.363, abs=1e-3)  # KCl | NaCl


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--method", "planck"], "--method"),
        (["--adjust", "Chlorid"], "--adjust"),
        (["--pipette", "K+=140, Kx=5"], "unknown ion"),
        (["--pipette", "K+=140, A-=140"], "no liquid-junction mobility"),
        (["--pipette", "K+=0.14mol/kg, Cl-=0.14mol/kg"], "molal"),
        (["--pipette", "K+=-1, Cl-=-1"], "--pipette"),
        (["--temperature", "20"], "--temperature"),
        (["--temperature", "150C"], "temperature"),
        (["--pipette", "glucose=10"], "contains no ions"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, argv, needle, cli):
    args = list(BASE)
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    status, out, err = cli(*args)
    assert status == 2, out
    assert err.count("\n") == 1, err
    assert needle in err


def test_bad_arguments_under_json_print_json(capsys, cli):
    status, out, _ = cli(*BASE[:-1], "20", "--json")
    assert status == 2
    assert json.loads(out)["exit_status"] == 2


def test_activity_corrected_nernst_planck(capsys, cli):
    status, out, _ = cli(*BASE, "--activity", "davies", "--json")
    assert status == 0
    data = json.loads(out)
    assert data["activity_model"] == "davies"
    assert data["method"] == "nernst-planck"
    ideal = json.loads(cli(*BASE, "--json")[1])
    assert ideal["activity_model"] is None
    # both solutions near 0.16 mol/kg: a small correction, but a computed one
    assert data["ljp_mV"] == pytest.approx(ideal["ljp_mV"], abs=0.5)
    assert data["ljp_mV"] != ideal["ljp_mV"]
    status, out, _ = cli(*BASE, "--activity", "davies")
    assert "nernst-planck, activities: davies" in out


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--activity", "truesdell-jones"], "--activity: activity model"),
        (["--activity", "davies", "--method", "henderson"], "nernst-planck only"),
    ],
)
def test_activity_that_cannot_apply_is_exit_2(capsys, cli, extra, said):
    status, _, err = cli(*BASE, *extra)
    assert status == 2
    assert said in err
