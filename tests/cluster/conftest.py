"""A real one-node SLURM cluster for the cluster tests, up once per test session.

The ``slurm_cluster`` fixture runs ``tests/cluster/slurm_up.sh`` (installs
``slurm-wlm`` and ``munge`` from apt when missing, starts munged, slurmctld and slurmd
on localhost, waits for the node to be idle) and always runs ``slurm_down.sh`` after
the cluster tests, also when a test failed. SLURM is a machine-wide resource
(``/etc/slurm/slurm.conf``, fixed ports), so a file lock serialises test sessions.

Where the cluster cannot be built (not root, no apt and no SLURM installed, the plugin
missing) or another session owns it for more than ``IONGRAD_SLURM_LOCK_WAIT`` seconds
(default 30 locally), the tests skip with the reason, except under ``CI=true``, where
they fail (after waiting up to 900 s): CI must prove SLURM execution, never skip it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from slurm_harness import (
    HERE,
    PARTITION,
    SLURM_DIR,
    SNAKEMAKE,
    SlurmCluster,
    cluster_lock,
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable_reason() -> str | None:
    if not sys.platform.startswith("linux"):
        return "a local SLURM cluster needs Linux"
    if os.geteuid() != 0:
        return "slurm_up.sh needs root (it installs packages and starts daemons)"
    have_slurm = all(
        shutil.which(b) for b in ("slurmctld", "slurmd", "munged", "sbatch")
    ) or all(Path("/usr/sbin", b).exists() for b in ("slurmctld", "slurmd", "munged"))
    if not have_slurm and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is not available to install it"
    if not SNAKEMAKE.exists():
        return f"snakemake not found next to {sys.executable}"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return (
            "snakemake-executor-plugin-slurm is not installed (pip install -e '.[dev]')"
        )
    return None


def _skip_or_fail(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"cluster tests cannot run in CI: {reason}")
    pytest.skip(reason)


def _script(name: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLURM_DIR": str(SLURM_DIR), "SLURM_PARTITION": PARTITION}
    return subprocess.run(
        ["bash", str(HERE / name)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# Module scope: all cluster tests live in test_slurm.py, so the cluster comes up once
# per test session and goes down (releasing the machine-wide lock) right after them,
# not at the end of a full `make test`.
@pytest.fixture(scope="module")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """A running one-node SLURM cluster; torn down after the cluster tests, always."""
    reason = _unavailable_reason()
    if reason:
        _skip_or_fail(reason)
    # One cluster per machine: a concurrent session (e.g. another `make test` on a
    # shared workstation) owns it. CI waits for it; locally, after a short wait, skip
    # (the other session is running these very tests) unless told to wait longer.
    default_wait = "900" if _in_ci() else "30"
    wait_s = float(os.environ.get("IONGRAD_SLURM_LOCK_WAIT", default_wait))
    try:
        fd = cluster_lock(wait_s)
    except TimeoutError as exc:
        _skip_or_fail(
            f"the one-node SLURM cluster is in use by another session ({exc}); "
            "set IONGRAD_SLURM_LOCK_WAIT=<seconds> to wait longer"
        )
    try:
        up = _script("slurm_up.sh")
        if up.returncode != 0:
            if up.returncode != 4:  # 4: someone else's live cluster, leave it alone
                _script("slurm_down.sh")
            pytest.fail(
                f"slurm_up.sh exited {up.returncode}:\n{up.stdout}\n{up.stderr}"
            )
        try:
            yield SlurmCluster(partition=PARTITION, slurm_dir=SLURM_DIR)
        finally:
            down = _script("slurm_down.sh")
            assert down.returncode == 0, down.stderr
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
