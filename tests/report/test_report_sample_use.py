"""What the report may use of each sample, without touching samples.parquet's
values: the marks and the NaN-ed predictions are new columns and copies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from iongrad.report.samples import sample_use


def _samples() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample_id": ["s1", "s2", "s3"],
            "cell_type": "neuron",
            "temperature_K": 310.15,
            "vm_mV": [-70.0, -65.0, -60.0],
            "vm_ghk_mV": [-72.0, -66.0, -61.0],
            "donnan_potential_mV": [-80.0, -81.0, -82.0],
            "sample_complete": [True, False, True],
            "ghk_status": ["ok", "ok", "no_permeabilities"],
            "donnan_status": ["ok", "ok", "ok"],
        }
    )


def test_marks_and_predictions_leave_the_samples_as_read():
    samples = _samples()
    before = samples.copy()
    use = sample_use(samples)
    pred = use.predictions()
    # s2 is incomplete: none of its values count; s3's GHK does not
    assert np.isnan(pred["vm_mV"][1])
    assert np.isnan(pred["vm_ghk_mV"][2])
    donnan = pred["donnan_potential_mV"].to_numpy()
    assert np.isnan(donnan[1])
    assert donnan[[0, 2]].tolist() == [-80.0, -82.0]
    assert use.excluded == {"s2"}
    pd.testing.assert_frame_equal(samples, before)  # samples.parquet as read
    assert use.frame["vm_mV"].tolist() == [-70.0, -65.0, -60.0]
    assert use.frame["vm_ghk_mV"].tolist() == [-72.0, -66.0, -61.0]
