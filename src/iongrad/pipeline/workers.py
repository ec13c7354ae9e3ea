"""Warm worker processes for the job functions.

Snakemake's local executor with ``force-use-threads`` runs the rules' ``run:`` blocks
as threads of its own process, where Python's global interpreter lock lets one job
compute at a time and slows Snakemake's scheduler too. A function decorated with
:func:`in_worker_process` runs, after :func:`use_worker_processes`, in one of ``n``
warm worker processes instead; the calling thread only waits.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["in_worker_process", "use_worker_processes"]

_WORKERS: dict[str, Any] = {"n": 0, "pool": None}
_WORKERS_LOCK = threading.Lock()


def use_worker_processes(n: int) -> None:
    """Run the job functions in ``n`` warm worker processes (0: in the caller).

    The workers are started lazily, on the first job, with ``forkserver`` (imports
    paid once per worker), and ``n`` jobs compute in parallel. Errors, and the job's
    log file, are exactly those of a direct call. ``n = 0`` shuts the workers down.
    """
    with _WORKERS_LOCK:
        _WORKERS["n"] = max(int(n), 0)
        pool = _WORKERS["pool"]
        if pool is not None and _WORKERS["n"] == 0:
            _WORKERS["pool"] = None
            pool.shutdown(wait=True)


def _pool() -> ProcessPoolExecutor | None:
    with _WORKERS_LOCK:
        if _WORKERS["pool"] is None and _WORKERS["n"] > 0:
            import multiprocessing

            _WORKERS["pool"] = ProcessPoolExecutor(
                max_workers=_WORKERS["n"],
                mp_context=multiprocessing.get_context("forkserver"),
            )
        return _WORKERS["pool"]


def _plain(value: Any) -> Any:
    """Plain builtins (Snakemake's str subclasses and namedlists do not pickle well)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def in_worker_process(func: Callable[..., Any]) -> Callable[..., Any]:
    """Make a keyword-only job function run in a worker process when enabled.

    The wrapper itself is what the pool runs: pickled by its module and name, it
    finds no pool in the worker and calls ``func`` there.
    """

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        pool = _pool()
        if pool is None:
            return func(**kwargs)
        return pool.submit(wrapper, **_plain(kwargs)).result()

    return wrapper
