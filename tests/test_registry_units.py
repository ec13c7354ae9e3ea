"""Ion registry, unit parsing and constants."""

import re

import pytest

from iongrad import constants
from iongrad.ions import UnknownIonError, all_ions, lookup, valences
from iongrad.units import (
    UnitError,
    parse_composition,
    parse_concentration,
    parse_temperature,
)


@pytest.mark.parametrize(
    ("alias", "symbol", "z"),
    [
        ("K", "K+", 1),
        ("K+", "K+", 1),
        ("potassium", "K+", 1),
        ("Ca2+", "Ca2+", 2),
        ("Ca++", "Ca2+", 2),
        ("Ca(2+)", "Ca2+", 2),
        ("calcium", "Ca2+", 2),
        ("Cl-", "Cl-", -1),
        ("chloride", "Cl-", -1),
        ("SO4--", "SO4 2-", -2),
        ("HCO3", "HCO3-", -1),
        ("glucose", "glucose", 0),
    ],
)
def test_aliases(alias, symbol, z):
    ion = lookup(alias)
    assert (ion.symbol, ion.valence) == (symbol, z)


def test_unknown_ion_suggests_close_matches():
    with pytest.raises(UnknownIonError) as info:
        lookup("Chlorid")
    assert "Cl-" in str(info.value)


def test_registry_parameters_have_references():
    for ion in all_ions():
        assert ion.reference
    k = lookup("K+")
    assert k.kielland_a_angstrom == 3.0
    assert (k.truesdell_jones_a_angstrom, k.truesdell_jones_b_kg_per_mol) == (
        3.5,
        0.015,
    )


def test_valences_vectorized():
    assert valences(["K+", "Ca2+", "Cl-", "K+"]).tolist() == [1, 2, -1, 1]


def test_constants_exact():
    assert constants.R == 6.02214076e23 * 1.380649e-23
    assert constants.F == 6.02214076e23 * 1.602176634e-19
    assert constants.ZERO_CELSIUS_K == 273.15
    assert float(constants.kelvin_to_celsius(constants.celsius_to_kelvin(36.6))) == (
        pytest.approx(36.6, abs=1e-12)
    )


@pytest.mark.parametrize(
    ("text", "value", "scale"),
    [
        ("140", 140.0, "molar"),
        ("0.14M", 140.0, "molar"),
        ("140000uM", 140.0, "molar"),
        ("100 nM", 1e-4, "molar"),
        ("0.1 mol/kg", 100.0, "molal"),
        ("5 mmol/kg", 5.0, "molal"),
    ],
)
def test_parse_concentration(text, value, scale):
    c = parse_concentration(text)
    assert (c.value, c.scale) == (pytest.approx(value, rel=1e-15), scale)


@pytest.mark.parametrize(
    "text", ["-1", "nan", "inf", "1e999", "5 MM", "5 kg", "", "1,5mM", "1,000"]
)
def test_parse_concentration_rejects(text):
    with pytest.raises(UnitError):
        parse_concentration(text)


def test_parse_temperature():
    assert parse_temperature("37C") == pytest.approx(310.15)
    assert parse_temperature("37 °C") == pytest.approx(310.15)
    assert parse_temperature("6.3 degC") == pytest.approx(279.45)
    for bad in ["37", "-274C", "0K", "37F"]:
        with pytest.raises(UnitError):
            parse_temperature(bad)


def test_parse_composition():
    comp = parse_composition("Na+=140, K=5mM; Cl-=0.145M")
    assert {k: v.value for k, v in comp.items()} == {"Na+": 140, "K+": 5, "Cl-": 145}
    for bad in ["Na+=1, Na=2", "Na+ 140", "Na+=1, Cl-=1mol/kg", "Xx=1"]:
        with pytest.raises((UnitError, UnknownIonError)):
            parse_composition(bad)


def _charge_spellings(ion):
    """Every charge notation labs use, for one registry ion (base + charge)."""
    z = ion.valence
    sign = "+" if z > 0 else "-"
    n = abs(z)
    charge = f"{n if n > 1 else ''}{sign}"
    base = re.sub(rf"\s*{re.escape(charge)}$", "", ion.symbol)
    forms = {
        f"{base}{sign * n}",
        f"{base}{sign}{n}",
        f"{base}({n}{sign})",
        f"{base}({sign}{n})",
        f"{base}^{n}{sign}",
        f"{base} {n}{sign}",
    }
    if not base[-1].isdigit():  # NH4 1+ may not be glued: NH41+ reads as 41+
        forms.add(f"{base}{n}{sign}")
    return sorted(forms)


@pytest.mark.parametrize(
    "ion", [i for i in all_ions() if i.valence != 0], ids=lambda i: i.symbol
)
def test_one_charge_grammar_for_every_ion(ion):
    """K+1 was refused while Ca+2 was accepted: every notation works for every ion."""
    for spelling in _charge_spellings(ion):
        assert lookup(spelling).symbol == ion.symbol, spelling


@pytest.mark.parametrize("text", ["K+2", "Ca2-", "Cl+", "Na3+"])
def test_a_wrong_charge_is_not_silently_accepted(text):
    with pytest.raises(UnknownIonError):
        lookup(text)
