"""Fixtures: synthetic results directories in the pipeline's contract format."""

from __future__ import annotations

import pytest
from pagedata import parse_page
from synthetic import write_results

from iongrad.report import render_dataset_report

XSS_CELL = "<script>alert(1)</script>"
XSS_SAMPLE = '"><img src=x onerror=alert(2)>'

#: A rejected row (its sample and ion are in rejected.csv) and a warning on an
#: accepted row (row 9: the second sample's Ca2+).
FAILURES = [
    {
        "file": "data/raw/demo.csv",
        "row": 99,
        "column": "K_in_mM",
        "value": "-3",
        "rule": "c_in_mM >= 0",
        "severity": "error",
        "message": "concentration must not be negative",
    },
    {
        "file": "data/raw/demo.csv",
        "row": 9,
        "column": "temperature",
        "value": "45C",
        "rule": "temperature_K within 273.15..318.15",
        "severity": "warning",
        "message": "temperature unusually high",
    },
]


#: rejected.csv of the demo: the row of the error in FAILURES.
REJECTED = [
    {
        "source_file": "data/raw/demo.csv",
        "source_row": 99,
        "sample_id": "squid ax-9",
        "ion": "K+",
        "reason": "c_in_mM >= 0 (K_in_mM='-3')",
    }
]


def _demo(root):
    return write_results(
        root / "results",
        "demo",
        [("squid axon", 291.15, 3), (XSS_CELL, 310.15, 2)],
        failures=FAILURES,
        rejected=REJECTED,
        invalid_every=7,
        seed=3,
    )


@pytest.fixture
def demo_results(tmp_path):
    """Two cell types at two temperatures, flagged rows, one error and one warning."""
    return _demo(tmp_path)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    """The demo results rendered once per module: (results_dir, html_path, page)."""
    root = tmp_path_factory.mktemp("demo")
    results = _demo(root)
    out = root / "reports" / "demo.html"
    render_dataset_report(
        dataset="demo",
        results_dir=results,
        output=out,
        config={"temperatures_C": [20, 37], "activity": {"model": "truesdell-jones"}},
        temperatures_C=[20, 37],
    )
    return results, out, parse_page(out)
