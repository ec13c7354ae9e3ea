"""Sample-level predictions need a complete sample: else a non-ok status naming why."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.tables.donnan import donnan_tables
from iongrad.tables.ghk import ghk_table
from iongrad.tables.potentials import compute_potentials
from iongrad.tables.samples import MEASUREMENT_COLUMNS, compute_samples

NAN = float("nan")
VALENCE = {"K+": 1, "Na+": 1, "Cl-": -1, "Ca2+": 2, "HCO3-": -1, "A-": -1}
DONNAN = {"enabled": True, "activity_model": "ideal"}
GHK = {"enabled": True, "default_permeability": {"K+": 1.0, "Na+": 0.05, "Cl-": 0.45}}
#: The sample-level numbers and the status that vouches for each.
NUMBERS = {
    "ghk_status": ["vm_ghk_mV"],
    "donnan_status": ["donnan_ratio", "donnan_potential_mV", "impermeant_charge_mM",
                      "bath_charge_mM"],
    "pump_status": ["pump_na_out_rel", "pump_k_in_rel", "pump_na_k_ratio",
                    "pump_ratio_over_3to2", "vm_mullins_noda_mV"],
    "osmotic_status": ["osmotic_imbalance_mOsm_kg", "osmotic_imbalance_kPa"],
}  # fmt: skip


def canonical(rows, **extra):
    """rows: (sample_id, ion, c_in, c_out[, permeant])."""
    rows = [r if len(r) == 5 else (*r, True) for r in rows]
    df = pd.DataFrame(rows, columns=["sample_id", "ion", "c_in_mM", "c_out_mM",
                                     "permeant"])  # fmt: skip
    df.insert(0, "dataset", "demo")
    df["valence"] = df["ion"].map(VALENCE)
    df["temperature_K"] = 310.15
    df["source_file"] = "demo.csv"
    df["source_row"] = np.arange(2, len(df) + 2)
    for k, v in extra.items():
        df[k] = v
    return df


def rbc(sample_id="textbook"):
    return [(sample_id, "K+", 140.0, 4.5), (sample_id, "Na+", 11.0, 142.0),
            (sample_id, "Cl-", 75.0, 108.0)]  # fmt: skip


def samples_of(df):
    return compute_samples(compute_potentials(df), donnan=DONNAN, ghk=GHK)[0]


def test_missing_na_row_makes_ghk_and_pump_not_ok_naming_na():
    rows = [*rbc(), ("no_na", "K+", 140.0, 4.5), ("no_na", "Cl-", 75.0, 108.0)]
    out = samples_of(canonical(rows)).set_index("sample_id")
    s = out.loc["no_na"]
    assert s.ghk_status == "missing_ions"
    assert "no Na+ row" in s.ghk_reason
    assert np.isnan(s.vm_ghk_mV)
    assert s.pump_status == "missing_ions"
    assert "Na+" in s.pump_reason
    assert np.isnan(s.pump_na_k_ratio)
    assert np.isnan(s.vm_mullins_noda_mV)
    # K+ and Cl- make a Donnan problem (a permeant cation and anion in the bath).
    assert s.donnan_status == "ok"
    full = out.loc["textbook"]
    assert (full.ghk_status, full.pump_status, full.donnan_status,
            full.osmotic_status) == ("ok", "ok", "ok", "ok")  # fmt: skip


def test_a_lone_chloride_row_gets_no_sample_level_number():
    # data/raw/human_red_blood_cell.csv, sample transcription_errors, after its K+
    # and Na+ rows were rejected: GHK Vm was E_Cl, the Donnan ratio 1.44 and the
    # anion gap +75 mM, all "ok".
    out = samples_of(canonical([("transcription_errors", "Cl-", 75.0, 108.0)]))
    s = out.iloc[0]
    assert s.ghk_status == "missing_ions"
    assert "no K+, Na+ row" in s.ghk_reason
    assert s.donnan_status == "missing_ions"
    assert "cation" in s.donnan_reason
    assert s.pump_status == "missing_ions"
    assert s.osmotic_status != "ok"
    for numbers in NUMBERS.values():
        assert np.isnan(s[numbers].to_numpy(dtype=float)).all(), numbers


REJECTED = ("row 9 K+ (number_format: c_in_mM '14O'); row 10 Na+ "
            "(c_out_nonnegative_finite: c_out_mM -142)")  # fmt: skip


def test_an_incomplete_sample_gets_incomplete_sample_everywhere():
    rows = rbc() + rbc("illustrative_a")
    df = canonical(rows, sample_complete=[True] * 3 + [False] * 3,
                   sample_rejected=[""] * 3 + [REJECTED] * 3)  # fmt: skip
    out = samples_of(df).set_index("sample_id")
    s = out.loc["illustrative_a"]
    assert not s.sample_complete
    assert s.sample_rejected == REJECTED
    for status, numbers in NUMBERS.items():
        assert s[status] == "incomplete_sample", status
        reason = s[status.replace("_status", "_reason")]
        assert REJECTED in reason, status
        assert np.isnan(s[numbers].to_numpy(dtype=float)).all(), numbers
    assert out.loc["textbook", "sample_complete"]
    assert out.loc["textbook", "ghk_status"] == "ok"


def test_incomplete_sample_per_ion_donnan_rows_say_so():
    df = canonical(rbc(), sample_complete=False, sample_rejected=REJECTED)
    _, ions = donnan_tables(df)
    assert (ions["donnan_status"] == "incomplete_sample").all()
    assert ions["c_in_donnan_mM"].isna().all()


def test_completeness_columns_are_measurement_columns():
    assert {"sample_complete", "sample_rejected"} <= set(MEASUREMENT_COLUMNS)


def test_complete_samples_are_unchanged_by_the_completeness_columns():
    rows = (
        rbc()
        + rbc("b")
        + [
            ("c", "K+", 150.0, 5.0),
            ("c", "Na+", 10.0, 145.0),
            ("c", "Cl-", 10.0, 110.0),
            ("c", "Ca2+", 1e-4, 2.0),
        ]
    )
    plain = samples_of(canonical(rows))
    flagged = samples_of(canonical(rows, sample_complete=True, sample_rejected=""))
    shared = [c for c in plain.columns if c in flagged.columns]
    pd.testing.assert_frame_equal(plain[shared], flagged[shared])
    assert (plain[list(NUMBERS)] == "ok").all().all()


def test_measured_permeabilities_define_the_ions_ghk_needs():
    # Every carrier has a measured P: those ions are the ones in use (no Na+ needed);
    # a sample that takes any default needs the whole default set.
    rows = [
        ("measured", "K+", 140.0, 5.0),
        ("measured", "Cl-", 10.0, 110.0),
        ("mixed", "K+", 140.0, 5.0),
        ("mixed", "Cl-", 10.0, 110.0),
    ]
    df = canonical(rows, permeability=[1.0, 0.3, 1.0, NAN])
    out = ghk_table(df).set_index("sample_id")
    assert out.loc["measured", "ghk_status"] == "ok"
    assert out.loc["mixed", "ghk_status"] == "missing_ions"
    assert "no Na+ row" in out.loc["mixed", "ghk_reason"]


def test_donnan_anion_gap_needs_every_inside_concentration():
    rows = [("gap", "K+", 140.0, 5.0), ("gap", "Na+", NAN, 145.0),
            ("gap", "Cl-", 10.0, 110.0)]  # fmt: skip
    dn, _ = donnan_tables(canonical(rows))
    s = dn.iloc[0]
    assert s.donnan_status != "ok"
    assert "Na+" in s.donnan_reason
    assert np.isnan(s.impermeant_charge_mM)


# ---------------------------------------------------------------- property
conc = st.one_of(
    st.floats(min_value=0.0, max_value=500.0),
    st.sampled_from([NAN, 0.0, 1e-320, 1e300, np.inf]),
)
row = st.tuples(st.sampled_from(["K+", "Na+", "Cl-", "Ca2+", "HCO3-", "A-"]), conc,
                conc)  # fmt: skip


@st.composite
def tables(draw):
    parts = []
    for i in range(draw(st.integers(1, 4))):
        rows = draw(st.lists(row, min_size=1, max_size=5, unique_by=lambda r: r[0]))
        complete = draw(st.booleans())
        parts.append(canonical(
            [(f"s{i}", ion, ci, co, ion != "A-") for ion, ci, co in rows],
            sample_complete=complete,
            sample_rejected="" if complete else f"row 99 K+ (rule: sample s{i})",
        ))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _has(group, ion, side=("c_in_mM", "c_out_mM")):
    rows = group[group["ion"] == ion]
    return len(rows) == 1 and np.isfinite(rows[list(side)].to_numpy(float)).all()


@settings(max_examples=80, deadline=None)
@given(df=tables(), model=st.sampled_from(["ideal", "truesdell-jones"]))
def test_no_sample_level_status_is_ok_without_its_required_ions(df, model):
    pot = compute_potentials(df)
    out = compute_samples(pot, donnan={"enabled": True, "activity_model": model},
                          ghk=GHK)[0].set_index("sample_id")  # fmt: skip
    for sid, group in df.groupby("sample_id"):
        s = out.loc[sid]
        complete = bool(group["sample_complete"].all())
        for status, numbers in NUMBERS.items():
            if s[status] == "ok":
                assert complete, (sid, status)
                assert np.isfinite(s[numbers].to_numpy(dtype=float)).all(), numbers
            else:
                assert s[status.replace("_status", "_reason")], (sid, status)
        if s.ghk_status == "ok":
            assert all(_has(group, ion) for ion in ("K+", "Na+", "Cl-"))
        if s.pump_status == "ok":
            assert all(_has(group, ion) for ion in ("K+", "Na+"))
        if s.donnan_status == "ok" or s.osmotic_status == "ok":
            assert s.donnan_status == "ok"
            perm = group[group["permeant"]]
            assert (perm["valence"] > 0).any()
            assert (perm["valence"] < 0).any()
            assert np.isfinite(perm["c_out_mM"]).all()
            if s.impermeant_charge_source == "anion gap":
                assert np.isfinite(perm["c_in_mM"]).all()


@pytest.mark.parametrize("column", ["sample_complete", "sample_rejected"])
def test_completeness_columns_reach_the_samples_only_when_given(column):
    assert column not in samples_of(canonical(rbc())).columns


@pytest.mark.parametrize("model", ["truesdell-jones", "pitzer"])
def test_a_sample_without_permeant_ions_under_an_activity_model(model):
    # Found by the property above: no permeant ion left nothing for the activity
    # model to work on, and the Donnan solve raised instead of saying so.
    alone = canonical([("imp_only", "A-", 100.0, 0.0, False)])
    for df in (alone, pd.concat([alone, canonical(rbc())], ignore_index=True)):
        dn, _ = donnan_tables(df, activity_model=model)
        s = dn.set_index("sample_id").loc["imp_only"]
        assert s.donnan_status == "missing_ions"
        assert "no permeant cation or anion row" in s.donnan_reason
    assert dn.set_index("sample_id").loc["textbook", "donnan_status"] == "ok"
