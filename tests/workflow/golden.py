"""Recorded outputs of the workflow on the example data, and their comparison.

The snapshot holds every value a user reads from a run on ``data/raw``: each results
parquet (as CSV), ``validation.json`` (without the input checksum block, which names
the machine's paths) and ``rejected.csv`` per dataset, and every report CSV. A change
of behaviour must show up as a change of these files, made on purpose with::

    .venv/bin/python tests/workflow/golden.py WORKDIR   # WORKDIR: a finished run

and reviewed in the diff.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
RESULT_TABLES = (
    "measurements.parquet",
    "potentials.parquet",
    "temperature_scan.parquet",
    "samples.parquet",
    "donnan.parquet",
)
#: validation.json keys that depend on the machine, not on the data (and the
#: contract's path, which depends on where the package is installed).
VOLATILE_KEYS = ("input",)
#: Relative tolerance for floats: refactoring may reorder a sum, never change a value.
RTOL = 1e-9


def datasets(workdir: Path) -> list[str]:
    """The example datasets (the tables in data/raw of the repository)."""
    raw = Path(__file__).resolve().parents[2] / "data" / "raw"
    return sorted(p.stem for p in raw.iterdir() if not p.name.startswith("."))


def snapshot(workdir: Path) -> dict[str, str]:
    """Snapshot file name -> text, for a finished run in ``workdir``."""
    out: dict[str, str] = {}
    for ds in datasets(workdir):
        res = workdir / "results" / ds
        for name in RESULT_TABLES:
            if (res / name).is_file():
                df = pd.read_parquet(res / name)
                out[f"{ds}__{name}.csv"] = df.to_csv(index=False, float_format="%.17g")
        report = json.loads((res / "validation.json").read_text())
        for key in VOLATILE_KEYS:
            report.pop(key, None)
        report.get("contract", {}).pop("path", None)
        out[f"{ds}__validation.json"] = json.dumps(report, indent=1, sort_keys=True)
        if (res / "rejected.csv").is_file():
            out[f"{ds}__rejected.csv"] = (res / "rejected.csv").read_text()
    for csv in sorted((workdir / "reports").glob("*.csv")):
        out[f"reports__{csv.name}"] = csv.read_text()
    return out


def _approx(expected):
    if isinstance(expected, float):
        return pytest.approx(expected, rel=RTOL, nan_ok=True)
    if isinstance(expected, dict):
        return {k: _approx(v) for k, v in expected.items()}
    if isinstance(expected, list):
        return [_approx(v) for v in expected]
    return expected


def assert_reproduced(workdir: Path) -> None:
    """The finished run in ``workdir`` gives every recorded output, value for value."""
    actual = snapshot(workdir)
    recorded = {p.name: p.read_text() for p in GOLDEN.iterdir()}
    assert sorted(actual) == sorted(recorded)
    for name, text in recorded.items():
        if name.endswith(".json"):
            assert json.loads(actual[name]) == _approx(json.loads(text)), name
        else:
            exp = pd.read_csv(io.StringIO(text), keep_default_na=False)
            got = pd.read_csv(io.StringIO(actual[name]), keep_default_na=False)
            pd.testing.assert_frame_equal(got, exp, rtol=RTOL, obj=name)


def write(workdir: Path) -> None:
    """Replace the recorded snapshot by the outputs of the run in ``workdir``."""
    for old in GOLDEN.glob("*"):
        old.unlink()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, text in snapshot(workdir).items():
        (GOLDEN / name).write_text(text)


if __name__ == "__main__":
    write(Path(sys.argv[1]))
