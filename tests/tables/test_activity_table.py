"""activity_table: the per-row activity columns the workflow's potentials table uses."""

import numpy as np
import pandas as pd
import pytest

from iongrad.physics.activity import MODELS, activity_coefficients
from iongrad.physics.ionic_strength import molar_to_molal
from iongrad.physics.nernst import nernst_potential
from iongrad.tables.activity import activity_table

COLUMNS = [
    "gamma_in_model",
    "gamma_out_model",
    "gamma_in_used",
    "gamma_out_used",
    "gamma_source",
    "ionic_strength_in_molal",
    "ionic_strength_out_molal",
    "activity_model",
    "activity_convention",
    "activity_valid",
    "concentration_scale_used",
]


def neuron(**extra):
    """One mammalian neuron sample (mM, 37 degC) including an impermeant anion."""
    df = pd.DataFrame(
        {
            "dataset": "demo",
            "sample_id": "n1",
            "cell_type": "neuron",
            "temperature_K": 310.15,
            "ion": ["K+", "Na+", "Cl-", "Ca2+", "A-"],
            "valence": [1, 1, -1, 2, -1],
            "c_in_mM": [140.0, 10.0, 10.0, 0.0001, 140.0],
            "c_out_mM": [5.0, 145.0, 110.0, 2.0, 0.0],
            "concentration_scale": "molar",
            "permeant": [True, True, True, True, False],
        },
        index=[10, 11, 12, 13, 14],
    )
    for key, value in extra.items():
        df[key] = value
    return df


def test_columns_and_alignment():
    df = neuron()
    out = activity_table(df)
    assert out.index.equals(df.index)
    for col in COLUMNS:
        assert col in out.columns
    assert set(out["activity_model"]) == {"truesdell-jones"}
    assert set(out["activity_convention"]) == {"macinnes"}
    assert set(out["gamma_source"]) == {"model"}


def test_ionic_strength_counts_impermeant_species():
    """I_in = 1/2 sum m z^2 over all rows, A- included (molar -> molal at 37 degC)."""
    df = neuron()
    out = activity_table(df)
    c_in = np.array([140.0, 10.0, 10.0, 0.0001, 140.0])
    z = np.array([1, 1, -1, 2, -1])
    expected = 0.5 * np.sum(molar_to_molal(c_in, 310.15) * z**2)
    assert out["ionic_strength_in_molal"].iloc[0] == pytest.approx(expected, rel=1e-12)
    without = activity_table(df[df.ion != "A-"])
    assert without["ionic_strength_in_molal"].iloc[0] < expected - 0.06


def test_model_gamma_matches_arrays_api():
    """Each row's gamma is the arrays API's gamma for that sample's composition."""
    df = neuron()
    out = activity_table(df, model="pitzer")
    m_out = molar_to_molal(df["c_out_mM"].to_numpy(), 310.15)
    res = activity_coefficients(m_out[None, :], list(df.ion), 310.15, model="pitzer")
    np.testing.assert_allclose(out["gamma_out_model"].to_numpy()[:4], res.gamma[0, :4])
    assert np.isnan(out["gamma_out_model"].iloc[4])  # A- has no Pitzer parameters
    assert "A-" in out["activity_reason"].iloc[4]
    assert not out["activity_valid"].iloc[4]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_names_itself_and_flags_range(model):
    out = activity_table(neuron(), model=model)
    assert set(out["activity_model"]) == {model}
    permeant = out.iloc[:4]
    expected_valid = model not in ("ideal", "debye-huckel", "extended-debye-huckel")
    assert bool(permeant["activity_valid"].all()) is expected_valid


def test_measured_gammas_override_per_row_and_say_so():
    df = neuron(gamma_in=[0.85, np.nan, np.nan, np.nan, np.nan])
    df["gamma_out"] = [0.70, np.nan, 0.75, np.nan, np.nan]
    out = activity_table(df)
    model = activity_table(neuron())
    assert out["gamma_in_used"].iloc[0] == 0.85
    assert out["gamma_out_used"].iloc[0] == 0.70
    assert out["gamma_out_used"].iloc[2] == 0.75
    assert out["gamma_in_used"].iloc[2] == model["gamma_in_model"].iloc[2]
    # The model's own values stay visible next to the measured ones.
    for col in ("gamma_in_model", "gamma_out_model"):
        np.testing.assert_array_equal(out[col], model[col])
    assert out["gamma_source"].tolist()[:3] == ["measured", "model", "mixed"]
    assert "measured" in out["activity_reason"].iloc[0]


def test_seed_activity_example_gives_minus_100_2_mV():
    """Seed: K+ 140 mM in, 4 mM out, gamma_in 0.85, gamma_out 0.70, 310 K -> -100.2."""
    df = pd.DataFrame(
        {
            "dataset": "seed",
            "sample_id": "k",
            "temperature_K": 310.0,
            "ion": ["K+"],
            "valence": [1],
            "c_in_mM": [140.0],
            "c_out_mM": [4.0],
            "gamma_in": [0.85],
            "gamma_out": [0.70],
        }
    )
    out = activity_table(df)
    E = nernst_potential(
        c_in=df.c_in_mM,
        c_out=df.c_out_mM,
        valence=df.valence,
        temperature_K=df.temperature_K,
        gamma_in=out.gamma_in_used,
        gamma_out=out.gamma_out_used,
    ).E_mV
    assert E[0] == pytest.approx(-100.2, abs=0.05)


def test_model_activity_correction_of_seed_k_example_is_a_few_mV():
    """With modelled gammas the K+ example moves by a few mV, not 0 and not 20."""
    out = activity_table(neuron(), model="pitzer")
    df = neuron()
    kw = dict(
        c_in=df.c_in_mM, c_out=df.c_out_mM, valence=df.valence, temperature_K=310.15
    )
    e_conc = nernst_potential(**kw).E_mV[0]
    e_act = nernst_potential(
        **kw, gamma_in=out.gamma_in_model, gamma_out=out.gamma_out_model
    ).E_mV[0]
    assert 0.1 < abs(e_act - e_conc) < 5.0


def test_samples_are_independent():
    """Two samples in one table get the ionic strength of their own rows only."""
    a = neuron()
    b = neuron()
    b["sample_id"] = "n2"
    b["c_out_mM"] = b["c_out_mM"] * 2
    both = pd.concat([a, b], ignore_index=True)
    out = activity_table(both)
    solo = activity_table(b.reset_index(drop=True))
    np.testing.assert_allclose(
        out["gamma_out_model"].to_numpy()[5:], solo["gamma_out_model"].to_numpy()
    )
    assert out["ionic_strength_out_molal"].iloc[0] != pytest.approx(
        out["ionic_strength_out_molal"].iloc[5]
    )


def test_molal_input_is_taken_directly():
    df = neuron(concentration_scale="molal")
    out = activity_table(df)
    expected = 0.5 * np.sum(df.c_out_mM.to_numpy() / 1000 * df.valence.to_numpy() ** 2)
    assert out["ionic_strength_out_molal"].iloc[0] == pytest.approx(expected)
    assert set(out["concentration_scale_used"]) == {"molal (given)"}
    molar = activity_table(neuron())
    assert "dilute" in molar["concentration_scale_used"].iloc[0]


def test_unmeasured_species_and_negative_values_are_flagged():
    df = neuron()
    df.loc[12, "c_out_mM"] = np.nan
    df.loc[13, "c_in_mM"] = -1.0
    out = activity_table(df)
    assert "unmeasured" in out["activity_reason"].iloc[0]
    assert np.isnan(out["gamma_in_model"]).all()
    assert "negative" in out["activity_reason"].iloc[0]
    assert not out["activity_valid"].any()


def test_bad_input_names_row_and_rule():
    df = neuron(source_file="lab.csv", source_row=[2, 3, 4, 5, 6])
    df.loc[11, "concentration_scale"] = "osmolal"
    with pytest.raises(ValueError, match=r"lab.csv row 3.*'molar' or 'molal'"):
        activity_table(df)
    df = neuron(source_file="lab.csv", source_row=[2, 3, 4, 5, 6])
    df.loc[12, "ion"] = "Xx-"
    with pytest.raises(ValueError, match=r"'Xx-' at lab.csv row 4"):
        activity_table(df)
    with pytest.raises(ValueError, match="unknown activity model"):
        activity_table(neuron(), model="pitzerr")
    with pytest.raises(ValueError, match="takes no parameter"):
        activity_table(neuron(), model="pitzer", davies_coefficient=0.2)
    with pytest.raises(ValueError, match="missing column"):
        activity_table(neuron().drop(columns="valence"))


def test_davies_coefficient_is_a_parameter():
    a = activity_table(neuron(), model="davies")
    b = activity_table(neuron(), model="davies", davies_coefficient=0.2)
    assert (b["gamma_out_model"].iloc[:4] < a["gamma_out_model"].iloc[:4]).all()


def test_empty_table():
    out = activity_table(neuron().iloc[:0])
    assert len(out) == 0
    assert list(out.columns)[: len(COLUMNS)] == COLUMNS


@pytest.mark.parametrize("model", ["truesdell-jones", "davies", "pitzer"])
def test_unbalanced_fluid_never_leaves_an_ion_at_gamma_one(model):
    """A slightly unbalanced ECF (+5 mM unpaired Na+): every ion keeps a real gamma.

    The peer failure in issue 4 pairs ions into salts and gives the unpaired ones
    gamma = 1 (about 10 mV on E_K). Here K+ moves by less than 0.5 % between the
    balanced and the unbalanced fluid.
    """
    df = neuron()
    balanced = activity_table(df, model=model)
    df.loc[11, "c_out_mM"] += 5.0
    unbalanced = activity_table(df, model=model)
    g = unbalanced["gamma_out_model"].iloc[:4].to_numpy()
    assert np.all(g < 0.9)
    k_bal, k_unb = balanced["gamma_out_model"].iloc[0], g[0]
    assert k_unb == pytest.approx(k_bal, rel=5e-3)


def test_pitzer_notes_name_constant_parameters_off_25C():
    out = activity_table(neuron(), model="pitzer")
    assert "25 degC Pitzer parameters used for: Ca2+/Cl-" in out["activity_reason"][10]
    at25 = neuron()
    at25["temperature_K"] = 298.15
    out25 = activity_table(at25, model="pitzer")
    assert "25 degC" not in out25["activity_reason"][10]


def test_temperature_outside_model_range_is_flagged():
    """Pitzer's stated range is 0-50 degC; 60 degC is computed but flagged invalid."""
    hot = neuron()
    hot["temperature_K"] = 333.15
    out = activity_table(hot, model="pitzer")
    assert not out["activity_valid"].any()
    assert np.isfinite(out["gamma_out_model"].iloc[:4]).all()
    assert activity_table(hot, model="truesdell-jones")["activity_valid"].iloc[0]


def test_missing_parameters_give_nan_for_that_ion_only():
    """Gluconate has no Kielland size: NaN with reason; no other model steps in."""
    df = neuron()
    df.loc[14, "ion"] = "gluconate-"
    out = activity_table(df, model="extended-debye-huckel")
    assert np.isnan(out["gamma_in_model"][14])
    assert "no Kielland" in out["activity_reason"][14]
    assert np.isfinite(out["gamma_in_model"].iloc[:4]).all()
    ref = activity_table(neuron(), model="extended-debye-huckel")
    np.testing.assert_allclose(
        out["gamma_in_model"].iloc[:4], ref["gamma_in_model"][:4]
    )


@pytest.mark.parametrize("model", MODELS)
def test_a_neutral_solute_has_gamma_one_and_leaves_the_ions_alone(model):
    """Glucose (z = 0) needs no ion size: gamma 1, and I is that of the ions."""
    df = neuron()
    df.loc[15] = df.loc[14]  # same sample
    df.loc[15, ["ion", "valence", "c_in_mM", "c_out_mM"]] = ["glucose", 0, 5.0, 5.0]
    out = activity_table(df, model=model)
    ref = activity_table(neuron(), model=model)
    assert out.loc[15, "gamma_in_model"] == out.loc[15, "gamma_out_model"] == 1.0
    np.testing.assert_array_equal(out["gamma_in_model"].iloc[:5], ref["gamma_in_model"])


@pytest.mark.parametrize("model", ["extended-debye-huckel", "truesdell-jones"])
def test_macinnes_is_identity_for_dh_family_with_equal_k_cl_parameters(model):
    """K+ and Cl- share a (and b) in the registry, so MacInnes changes nothing."""
    a = activity_table(neuron(), model=model, convention="macinnes")
    b = activity_table(neuron(), model=model, convention="unscaled")
    np.testing.assert_allclose(a["gamma_in_model"], b["gamma_in_model"], rtol=1e-14)
