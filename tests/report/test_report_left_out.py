"""Why a sample is left out of the report's means, in words (report.samples).

Each distinct reason is written once and spread to its samples (a big table has a
million samples); the texts are those of joining each sample's reasons one by one,
the plain path kept here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from iongrad.report import samples


def _plain(frame, complete, sample_ok, ghk_ok, donnan_ok) -> list[str]:
    """The reasons built sample by sample, as text arrays."""
    empty = np.full(len(frame), "", dtype=object)
    parts = []
    if not complete.all():
        parts.append(np.where(complete, "", samples.INCOMPLETE))
    if not sample_ok.all():
        status = frame["sample_status"].astype(str).to_numpy(dtype=object)
        parts.append(np.where(sample_ok, "", "sample status " + status))
    for ok, name, prefix in ((ghk_ok, "GHK", "ghk"), (donnan_ok, "Donnan", "donnan")):
        if ok.all():
            continue
        status = frame[f"{prefix}_status"].astype(str).to_numpy(dtype=object)
        text = f"{name} " + status
        if f"{prefix}_reason" in frame:
            reason = frame[f"{prefix}_reason"].fillna("").astype(str)
            reason = reason.to_numpy(dtype=object)
            text = np.where(reason != "", text + ": " + reason, text)
        parts.append(np.where(ok, "", text))
    out = empty
    for part in parts:
        both = (out != "") & (part != "")
        out = np.where(both, out + "; " + part, out + part)
    return out.tolist()


STATUS = st.sampled_from(["ok", "no_vm", "not_converged", "missing_ion"])
REASON = st.sampled_from(["", "no Vm measured", "K+ missing; Cl- missing", None])


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.booleans(), STATUS, STATUS, STATUS, REASON, REASON), max_size=25
    ),
    categorical=st.booleans(),
    with_reasons=st.booleans(),
)
def test_reasons_are_those_joined_sample_by_sample(rows, categorical, with_reasons):
    complete = np.array([r[0] for r in rows], dtype=bool)
    frame = pd.DataFrame(
        {
            "sample_status": [r[1] for r in rows],
            "ghk_status": [r[2] for r in rows],
            "donnan_status": [r[3] for r in rows],
        }
    )
    if with_reasons:
        frame["ghk_reason"] = [r[4] for r in rows]
        frame["donnan_reason"] = [r[5] for r in rows]
    if categorical:
        frame = frame.astype("category")
        for c in ("ghk_reason", "donnan_reason"):
            if c in frame:  # a categorical's fillna("") needs the category
                frame[c] = (
                    frame[c].cat.add_categories([""])
                    if "" not in frame[c].cat.categories
                    else frame[c]
                )
    oks = [
        samples._status_ok(frame, f"{k}_status") for k in ("sample", "ghk", "donnan")
    ]
    got = samples._reasons(frame, complete, *oks)
    assert str(got.dtype) == "str"
    assert list(got) == _plain(frame, complete, *oks)


def test_the_donnan_figure_leaves_out_the_samples_whose_donnan_does_not_count():
    """A sample whose Donnan solution does not count (use_donnan false) has none
    of its rows in the Donnan figure's table; the other samples keep all theirs,
    whatever the type of their ids."""
    from iongrad.report.dataset import _donnan_used

    frame = pd.DataFrame(
        {"sample_id": ["s1", "s2", "s3"], "use_donnan": [True, False, True]}
    )
    use = samples.SampleUse(frame, excluded=set())
    donnan = pd.DataFrame(
        {
            "sample_id": pd.Series(["s1", "s1", "s2", "s2", "s3"], dtype="str"),
            "ion": ["K+", "Na+", "K+", "Na+", "K+"],
            "c_in_mM": [140.0, 10.0, 141.0, 11.0, 139.0],
        }
    )
    for ids in (donnan["sample_id"], donnan["sample_id"].astype("category")):
        got, counts = _donnan_used(donnan.assign(sample_id=ids), None, use)
        assert counts.tolist() == [True, True, False, False, True]
        assert got["sample_id"].astype(str)[counts].tolist() == ["s1", "s1", "s3"]
        assert got["c_in_mM"][counts].tolist() == [140.0, 10.0, 139.0]
    every = samples.SampleUse(frame.assign(use_donnan=True), excluded=set())
    got, counts = _donnan_used(donnan, None, every)
    assert counts is None
    assert len(got) == len(donnan)


def test_the_donnan_figure_draws_only_the_rows_that_count():
    """The figure's rows are picked by the mask: the same figure as the table
    without the others."""
    from iongrad.report import plots

    rng = np.random.default_rng(3)
    donnan = pd.DataFrame(
        {
            "ion": rng.choice(["K+", "Na+", "Cl-"], 60),
            "c_in_mM": rng.uniform(1, 150, 60),
            "c_in_donnan_mM": rng.uniform(1, 150, 60),
        }
    )
    donnan.loc[::7, "c_in_donnan_mM"] = np.nan  # not drawn, counted or not
    counts = rng.random(60) < 0.6
    kept = donnan[counts].reset_index(drop=True)
    assert plots.donnan_plot(donnan, rows=counts).svg == plots.donnan_plot(kept).svg
