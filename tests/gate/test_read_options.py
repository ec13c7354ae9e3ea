"""How a file is read, stated per dataset: :class:`iongrad.gate.readers.ReadOptions`.

The options come from a dataset's config entry and reach the reader through
``validate_file``/``ingest``; ``number_format`` keeps working as its own keyword.
"""

from __future__ import annotations

import pytest

from iongrad.gate.ingest import ingest
from iongrad.gate.readers import ReadOptions, read_options
from iongrad.gate.validation import validate_file

TABLE = (
    "sample_id;cell_type;temperature_C;ion;c_in_uM;c_out_mM\n"
    "s1;neuron;37;K+;140.000;5\n"
)
STATED = {"decimal": ",", "thousands": "."}


def test_options_come_from_a_dataset_entry():
    opts = ReadOptions.from_settings(
        {"path": "a.xlsx", "validation_mode": "strict", "sheet": "Run 1",
         "header_row": 3, "units_row": 4, "skip_rows": [20, 9]}
    )  # fmt: skip
    assert (opts.sheet, opts.header_row, opts.units_row) == ("Run 1", 3, 4)
    assert opts.skip_rows == (9, 20)
    assert opts.settings() == {
        "sheet": "Run 1", "header_row": 3, "units_row": 4, "skip_rows": [9, 20]
    }  # fmt: skip


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"header_row": 0}, "header_row must be a row number >= 1"),
        ({"header_row": "3"}, "header_row must be a row number >= 1"),
        ({"units_row": True}, "units_row must be a row number >= 1"),
        ({"header_row": 4, "units_row": 2}, "units_row 2 must be below header_row 4"),
        ({"skip_rows": [0]}, "skip_rows must be row numbers >= 1"),
        ({"number_format": {"sep": ","}}, "number_format"),
    ],
)
def test_unusable_options_are_refused(given, words):
    with pytest.raises(ValueError, match=words):
        ReadOptions.from_settings(given)


def test_number_format_as_option_or_keyword_reads_the_same(tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text(TABLE)
    by_option = validate_file(path, options={"number_format": STATED})
    by_keyword = validate_file(path, number_format=STATED)
    assert by_option.ok, by_option.report["failures"]
    assert by_keyword.ok
    assert by_option.accepted.equals(by_keyword.accepted)
    assert by_option.accepted.c_in_mM.tolist() == [140.0]
    assert not validate_file(path).ok  # unstated: 140.000 is ambiguous


def test_a_number_format_given_twice_must_agree(tmp_path):
    assert read_options({"number_format": STATED}, STATED).number_format == STATED
    with pytest.raises(ValueError, match="given twice"):
        read_options({"number_format": STATED}, {"decimal": "."})
    path = tmp_path / "cells.csv"
    path.write_text(TABLE)
    with pytest.raises(ValueError, match="given twice"):
        ingest(path, options=ReadOptions(number_format=STATED),
               number_format={"decimal": "."})  # fmt: skip
