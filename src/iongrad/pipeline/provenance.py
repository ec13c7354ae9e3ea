"""Provenance records: what produced a dataset's numbers.

:func:`build_provenance` collects, for one dataset: the SHA-256 of the input table
(and of every result file it describes), the versions of iongrad, Python and the
packages the numbers depend on, the configuration in force for that dataset, the git
commit of the working tree (if any), the ``columns`` mapping its headers were read
with, the constants R, F and 0 degC used
(:func:`iongrad.constants.constants_record`), the activity model and convention, the
host, the SLURM job id when run on a cluster, and a UTC timestamp. The provenance
job writes it as ``results/<dataset>/provenance.json``
(:func:`iongrad.files.write_json`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from iongrad.constants import constants_record

__all__ = [
    "DEPENDENCIES",
    "build_provenance",
    "git_commit",
    "package_versions",
    "sha256_file",
]

#: Distributions whose versions are recorded (those the numbers and files depend on).
DEPENDENCIES = (
    "iongrad",
    "numpy",
    "scipy",
    "pandas",
    "pandera",
    "pyarrow",
    "snakemake",
    "jinja2",
    "matplotlib",
    "pyyaml",
    "jsonschema",
)

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_versions(names=DEPENDENCIES) -> dict[str, str | None]:
    """Installed version of each distribution (None when not installed).

    Asked once per process and name: reading the metadata of the 12 recorded
    distributions costs about 8 ms, as much as the rest of a small dataset's
    provenance, and a worker process writes the provenance of thousands of datasets.
    """
    return {name: _package_version(name) for name in names}


@functools.lru_cache(maxsize=64)
def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_commit(directory: str | os.PathLike = ".") -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the git work tree, or None outside one.

    Asked once per process and directory (a workflow run records one commit; two git
    calls per dataset would cost ~40 ms each of thousands of small jobs).
    """
    info = _git_commit(os.path.abspath(directory))
    return dict(info) if info is not None else None


@functools.lru_cache(maxsize=16)
def _git_commit(directory: str) -> dict[str, Any] | None:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": sha, "dirty": bool(status.strip())}


def build_provenance(
    *,
    dataset: str,
    inputs: Mapping[str, str | os.PathLike],
    outputs: Mapping[str, str | os.PathLike] | None = None,
    settings: Mapping[str, Any] | None = None,
    workdir: str | os.PathLike = ".",
    timestamp: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Provenance record of one dataset's results.

    Parameters
    ----------
    dataset : str
        Dataset name.
    inputs : mapping
        Role -> path of each input file (e.g. ``{"table": "data/raw/x.csv"}``).
    outputs : mapping, optional
        Role -> path of result files to fingerprint as well.
    settings : mapping, optional
        The configuration in force for this dataset
        (:func:`iongrad.pipeline.config.dataset_settings`); its ``activity`` block
        gives the
        model and convention.
    workdir : path
        Working directory of the run (its git commit is recorded).
    timestamp : datetime, optional
        Defaults to now (UTC).

    Returns
    -------
    dict
        JSON-serializable record.
    """
    settings = dict(settings or {})
    activity = settings.get("activity", {})
    when = timestamp or _dt.datetime.now(_dt.UTC)

    def files(mapping):
        return {
            role: {
                "path": Path(p).as_posix(),
                "sha256": sha256_file(p),
                "bytes": Path(p).stat().st_size,
            }
            for role, p in sorted((mapping or {}).items())
        }

    return {
        "dataset": dataset,
        "inputs": files(inputs),
        "outputs": files(outputs),
        "iongrad_version": package_versions(["iongrad"])["iongrad"],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git": git_commit(workdir),
        "constants": constants_record(),
        "models": {
            "activity_model": activity.get("model"),
            "activity_convention": activity.get("convention"),
            "donnan_activity_model": settings.get("donnan", {}).get("activity_model"),
            "ghk_default_permeability": settings.get("ghk", {}).get(
                "default_permeability"
            ),
        },
        "config": settings,
        # how the table's headers were read: the dataset's columns mapping, the
        # top-level one merged under it (empty when headers speak for themselves)
        "columns": settings.get("dataset", {}).get("columns", {}),
        "execution": {
            "host": socket.gethostname(),
            "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
            "working_directory": os.path.abspath(workdir),
        },
        "timestamp_utc": when.isoformat(timespec="seconds"),
    }
