"""What a dataset report writes beside its page, bounded for any table size.

A person reads the page and a few files beside it; a program reads the results'
parquet files. So a per-row companion (``_potentials.csv``, ``_samples.csv``, the
failures) holds every row only up to :data:`ROW_LIMIT` rows and its byte budget
(:data:`BYTE_LIMITS`); beyond, it holds summaries, and the page says which file under
``results/<dataset>/`` has the rows and how many. 10,000 rows: what a spreadsheet
opens at once and a person can still scroll and filter (about 1,700 samples of six
ions); a potentials row takes about 470 bytes as CSV and a sample row about 620, so
the two per-row files are 5-6 MB each at the limit and, with the summaries, the
failures and the figures, the companions stay under 20 MB together. A longer table is
read by a program, for which the parquet file is the better input (typed columns,
about a tenth of the size, read in a fraction of the time).

Copies of the results' ``validation.json`` and ``rejected.csv`` are carried (so that
``reports/`` can be shared on its own) only up to :data:`COPY_LIMIT_BYTES`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iongrad import files

__all__ = [
    "BYTE_LIMITS",
    "COPY_LIMIT_BYTES",
    "FAILURE_EXAMPLES",
    "ROW_LIMIT",
    "Written",
    "head_csv",
    "sample_status_counts",
    "validation_excerpt",
    "where",
    "write_rows_or_summary",
    "write_summary",
]

#: Rows a per-row companion CSV holds in full; longer tables get a summary instead.
ROW_LIMIT = 10_000
#: Byte budget of each CSV companion (rows as wide as a lab's names make them may
#: pass it below ROW_LIMIT rows: then the summary is written). With the figures
#: (about 1.5 MB: scatter plots draw at most 2,000 points) and the copies below, the
#: companions of one report stay under 20 MB.
BYTE_LIMITS = {
    "_potentials.csv": 5_500_000,
    "_samples.csv": 6_500_000,
    "_summary.csv": 1_500_000,
    "_failures.csv": 2_000_000,
}
#: Largest results file (validation.json, rejected.csv) copied beside the page.
COPY_LIMIT_BYTES = 1_000_000
#: Failures listed per (severity, rule, column) when the failures are summarised.
FAILURE_EXAMPLES = 20
#: Failures the excerpt of a big validation.json keeps (the first ones).
EXCERPT_FAILURES = 100


@dataclass
class Written:
    """What a companion CSV holds: every row (``full``) or a summary of ``rows``
    rows that are in ``elsewhere`` (a results file)."""

    path: Path
    rows: int
    full: bool
    elsewhere: str = ""


def where(path: str | os.PathLike) -> str:
    """``path`` as the page names it: relative to the working directory when below
    it (``results/<dataset>/potentials.parquet`` in a workflow run), else as given."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _fits(frame: pd.DataFrame, max_rows: int, max_bytes: float) -> str | None:
    """``frame`` as CSV text when it has at most ``max_rows`` rows and
    ``max_bytes`` bytes, else None (the text of a long table is never made)."""
    if len(frame) > max_rows:
        return None
    text = files.csv_text(frame)
    return text if len(text.encode("utf-8")) <= max_bytes else None


def head_csv(frame: pd.DataFrame, max_rows: int, max_bytes: float) -> tuple[str, int]:
    """CSV text of the first rows of ``frame`` that fit ``max_rows`` rows and
    ``max_bytes`` bytes, and how many rows that is."""
    n = min(len(frame), max_rows)
    while True:
        text = files.csv_text(frame.iloc[:n])
        size = len(text.encode("utf-8"))
        if size <= max_bytes or n == 0:
            return text, n
        n = int(n * max_bytes / size * 0.95)


def write_rows_or_summary(
    path: Path, frame: pd.DataFrame, summary, source: str | os.PathLike
) -> Written:
    """Write every row of ``frame`` to ``path`` when they fit the limits, else the
    table ``summary()`` returns (first rows that fit, when even it is too long).

    ``source`` is the results file holding every row (named by the page).
    """
    text = _fits(frame, ROW_LIMIT, BYTE_LIMITS[_suffix(path)])
    if text is not None:
        files.write_text(path, text)
        return Written(path, len(frame), True)
    return write_summary(path, summary(), len(frame), source)


def write_summary(
    path: Path, summary: pd.DataFrame, rows: int, source: str | os.PathLike
) -> Written:
    """Write the first rows of ``summary`` that fit the limits to ``path``: the
    summary of ``rows`` rows that are in ``source`` (named by the page)."""
    text, _ = head_csv(summary, ROW_LIMIT, BYTE_LIMITS[_suffix(path)])
    files.write_text(path, text)
    return Written(path, rows, False, where(source))


def _suffix(path: Path) -> str:
    """The companion suffix of ``path`` (``_potentials.csv``)."""
    for suffix in BYTE_LIMITS:
        if path.name.endswith(suffix):
            return suffix
    raise ValueError(f"{path}: no byte budget for this companion")


#: Columns whose values sort samples into what counts and what does not.
_CHECKS = ("sample_complete", "use_sample")


def sample_status_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Per cell type x temperature and per status column of the samples (and
    ``sample_complete``, ``use_sample``: counted in the means), how many samples
    have each value: columns cell_type, temperature_K, temperature_C, check, status,
    samples."""
    keys = [k for k in ("cell_type", "temperature_K") if k in frame]
    checks = [c for c in frame.columns if str(c).endswith("_status")]
    checks += [c for c in _CHECKS if c in frame]
    parts = []
    for check in checks:
        counts = (
            frame.groupby([*keys, frame[check].astype(str)], sort=True, dropna=False)
            .size()
            .rename("samples")
            .reset_index()
            .rename(columns={check: "status"})
        )
        counts.insert(len(keys), "check", check)
        parts.append(counts)
    if not parts:
        return pd.DataFrame(columns=[*keys, "check", "status", "samples"])
    out = pd.concat(parts, ignore_index=True)
    if "temperature_K" in out:
        at = out.columns.get_loc("temperature_K") + 1
        out.insert(at, "temperature_C", out["temperature_K"].astype(float) - 273.15)
    return out


def validation_excerpt(report: dict, failures: int | None = None) -> dict:
    """validation.json with only its first ``failures`` failures (default
    :data:`EXCERPT_FAILURES`): every other key as it is, plus ``failures_total``
    (how many the file has) and ``failures_shown``."""
    n = EXCERPT_FAILURES if failures is None else failures
    out = dict(report)
    for key in ("failures", "warnings"):
        if isinstance(report.get(key), list):
            out[key] = report[key][:n]
            # a bounded validation.json says how many failures there are in all
            out[f"{key}_total"] = report.get(f"{key}_total", len(report[key]))
            out[f"{key}_shown"] = len(out[key])
    return out
