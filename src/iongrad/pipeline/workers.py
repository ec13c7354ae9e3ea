"""Warm worker processes for the job functions.

Snakemake's local executor with ``force-use-threads`` runs the rules' ``run:`` blocks
as threads of its own process, where Python's global interpreter lock lets one job
compute at a time and slows Snakemake's scheduler too. A function decorated with
:func:`in_worker_process` runs, after :func:`use_worker_processes`, in one of ``n``
warm worker processes instead; the calling thread only waits.

Workers die with the process that owns the pool (Snakemake), even when it is killed
with ``kill -9``, and never write after it died. Each worker watches, in a thread, a
pipe whose only writing end the owner holds: the owner's death closes it, the read
returns end-of-file at once, and the worker ends itself on the spot
(:func:`_watch_owner`). Neither ``prctl(PR_SET_PDEATHSIG)`` nor a watch on
``os.getppid()`` would do: a worker's parent is the forkserver, not the owner, and
the forkserver lives on as long as any worker holds its "alive" pipe, so the
workers' parent never dies. The pipe is also event-driven (no polling delay) and
works wherever multiprocessing does, not only on Linux.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

__all__ = [
    "each",
    "give_back_memory",
    "in_worker_process",
    "process_pool",
    "use_worker_processes",
]

_WORKERS: dict[str, Any] = {"n": 0, "pool": None, "lifeline": None}
#: Modules holding functions decorated with :func:`in_worker_process`: the
#: forkserver imports them once, before it forks any worker, so that a worker
#: starts with them (and pandas, pyarrow, ...) imported instead of paying about
#: a second of imports itself (the report modules and matplotlib are imported by
#: a worker's first report job).
_PRELOAD: set[str] = set()
_WORKERS_LOCK = threading.Lock()


def use_worker_processes(n: int) -> None:
    """Run the job functions in ``n`` warm worker processes (0: in the caller).

    The workers are started lazily, on the first job, with ``forkserver`` (the
    modules of the decorated functions imported once, in the forkserver, before it
    forks the workers), and ``n`` jobs compute in parallel. Errors, and the job's
    log file, are exactly those of a direct call. ``n = 0`` shuts the workers down.
    """
    with _WORKERS_LOCK:
        _WORKERS["n"] = max(int(n), 0)
        pool = _WORKERS["pool"]
        if pool is not None and _WORKERS["n"] == 0:
            _WORKERS["pool"] = None
            pool.shutdown(wait=True)
            for end in _WORKERS["lifeline"]:
                end.close()
            _WORKERS["lifeline"] = None


def _pool() -> ProcessPoolExecutor | None:
    with _WORKERS_LOCK:
        if _WORKERS["pool"] is None and _WORKERS["n"] > 0:
            _WORKERS["pool"], _WORKERS["lifeline"] = _owned_pool(_WORKERS["n"])
        return _WORKERS["pool"]


def _owned_pool(
    n: int, method: str = "forkserver"
) -> tuple[ProcessPoolExecutor, tuple[Connection, Connection]]:
    """A pool of ``n`` processes that die with this one, and its lifeline (both
    ends of the pipe each worker watches; close them after the pool's shutdown)."""
    import multiprocessing

    context = multiprocessing.get_context(method)
    if method == "forkserver":  # effective when this call starts the forkserver
        context.set_forkserver_preload(sorted(_PRELOAD))
    # The owner keeps both ends: the reading end is handed to every worker it
    # starts (also later ones), the writing end to no one.
    reader, writer = context.Pipe(duplex=False)
    pool = ProcessPoolExecutor(
        max_workers=n, mp_context=context, initializer=_watch_owner, initargs=(reader,)
    )
    return pool, (reader, writer)


@contextlib.contextmanager
def process_pool(n: int) -> Iterator[ProcessPoolExecutor]:
    """``n`` processes for the parts of one job (a big table's chunks), for the
    block's duration.

    Like the warm workers they end the moment the process that owns the pool dies,
    so no part outlives its job. They are spawned (each imports what it runs, about
    2 s, side by side) rather than forked from a forkserver, which would live on in
    a warm worker, holding its imports (0.2 GB), for the rest of the run. On leaving
    the block, parts not yet started are cancelled and running ones awaited.
    """
    pool, lifeline = _owned_pool(n, "spawn")
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for end in lifeline:
            end.close()


def _watch_owner(lifeline: Connection) -> None:
    """Pool initializer: end this worker the moment the pool's owner dies.

    ``lifeline`` is the reading end of a pipe whose writing end only the owner
    holds; nothing is ever sent, so the read returns only when the owner's end is
    closed, which the kernel does when the owner dies. The worker then exits at
    once (``os._exit``: no cleanup, no further write), whatever its job was doing.
    """

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()
        os._exit(1)

    threading.Thread(target=watch, name="iongrad-owner-watch", daemon=True).start()


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

    _PRELOAD.add(func.__module__)

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        pool = _pool()
        if pool is None:
            try:
                return func(**kwargs)
            finally:
                give_back_memory()
        return pool.submit(wrapper, **_plain(kwargs)).result()

    return wrapper


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back_memory() -> None:
    """Return to the system the memory a finished job freed but its process holds.

    arrow's memory pool keeps freed blocks for reuse and glibc's malloc keeps freed
    heap pages, so a warm worker that ran a big table's job held its peak while the
    next job ran in the other worker, and the run's memory was the sum of both
    (a 4,000,000-row report: 1.88 GB held after the job, 0.32 GB after this). Costs
    microseconds on a small heap.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)


def each(func: Callable[[Any], Any], items: Iterable[Any]) -> list[Future]:
    """``func(item)`` for every item; the outcomes (done futures) in item order.

    With worker processes enabled the calls run from one thread per worker, so a
    batch's datasets keep every worker busy (``func`` itself hands its job functions
    to the workers and waits); otherwise one after the other, here. Every item is
    attempted either way: an exception is kept in its item's future, for the caller
    to raise or record.
    """
    items = list(items)
    n = _WORKERS["n"]
    if n > 1 and len(items) > 1:
        with ThreadPoolExecutor(max_workers=min(n, len(items))) as threads:
            return [threads.submit(func, item) for item in items]
    outcomes: list[Future] = []
    for item in items:
        outcome: Future = Future()
        try:
            outcome.set_result(func(item))
        except Exception as exc:  # kept for the caller, as a thread's would be
            outcome.set_exception(exc)
        outcomes.append(outcome)
    return outcomes
