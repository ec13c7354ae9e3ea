"""What both HTML reports share: the Jinja2 environment, the paused garbage collector,
relative links, CSV companions and the reading of validation warnings.

Pages are self-contained (inline CSS, a small inline sort script, inline SVG plots, no
network), autoescaped (every user string is text, never markup) and written
atomically (:mod:`iongrad.files`). Tables are written as CSV beside the HTML, every
row up to a limit and summaries beyond it (:mod:`iongrad.report.companions`).
The per-dataset page is :mod:`iongrad.report.dataset`, the cross-dataset index
:mod:`iongrad.report.index`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import threading
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from iongrad import files


@functools.cache
def _env() -> Environment:
    """The Jinja2 environment, built once per process (compiled templates are kept).

    Autoescaping is on and undefined names raise: every user string is text.
    """
    env = Environment(
        loader=PackageLoader("iongrad", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_pretty"] = lambda v: json.dumps(
        v, indent=2, sort_keys=True, default=files.jsonable
    )
    return env


_GC_LOCK = threading.Lock()


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector while a report is built.

    A report allocates many short-lived objects in reference cycles (matplotlib
    artists); the collections they trigger mid-report traverse every live object of
    the process and cost about a quarter of a small report's time. Paused, the
    report's cyclic garbage is freed by the first young-generation collection after
    it. Only a report that finds the collector enabled pauses it, and it enables it
    again when it ends (also on error): with reports in several threads the
    collector is never off for longer than one report, and a caller who disabled
    it keeps it disabled.
    """
    with _GC_LOCK:
        owner = gc.isenabled()
        if owner:
            gc.disable()
    try:
        yield
    finally:
        if owner:
            gc.enable()


def _gc_paused_call(fn):
    """Decorator: run ``fn`` inside :func:`_gc_paused`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _gc_paused():
            return fn(*args, **kwargs)

    return wrapper


def _href(target: Path, output: Path) -> str:
    """Relative link from the page at ``output`` to ``target`` (posix separators)."""
    rel = os.path.relpath(Path(target).resolve(), Path(output).resolve().parent)
    return Path(rel).as_posix()


def _warnings(validation: dict | None) -> tuple[int, list[dict]]:
    """Number of warnings and the warning records from validation.json."""
    if not validation:
        return 0, []
    failures = validation.get("failures") or []
    warn_failures = [
        f for f in failures if isinstance(f, dict) and f.get("severity") == "warning"
    ]
    w = validation.get("warnings")
    if isinstance(w, list):
        records = [x if isinstance(x, dict) else {"message": str(x)} for x in w]
        # warnings may also be repeated in failures; keep both views, count the list
        return len(records), records or warn_failures
    if isinstance(w, (int, float)) and not isinstance(w, bool):
        return int(w), warn_failures
    return len(warn_failures), warn_failures
