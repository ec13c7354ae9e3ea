"""One log file per job, also when several jobs run as threads of one process."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["job_log"]


class _ThreadFilter(logging.Filter):
    def __init__(self, ident: int):
        super().__init__()
        self.ident = ident

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.ident


@contextlib.contextmanager
def job_log(path: str | os.PathLike | None) -> Iterator[logging.Logger]:
    """Send the ``iongrad`` log records of this thread to ``path`` for one job.

    Snakemake's local executor may run several jobs as threads of one process, so the
    handler only takes records of the calling thread. An exception leaving the block
    is written to the log with its traceback and re-raised.
    """
    root = logging.getLogger("iongrad")
    if path is None:
        yield root
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_ThreadFilter(threading.get_ident()))
    _lower_level(root)
    root.addHandler(handler)
    try:
        yield root
    except BaseException:
        root.exception("job failed")
        raise
    finally:
        root.removeHandler(handler)
        _restore_level(root)
        handler.close()


# The logger's level is shared by every job thread: it is lowered to INFO while any
# job log is open and restored when the last one closes. Restoring it per job let a
# job that finished first silence the INFO lines of a job still running.
_LEVEL_LOCK = threading.Lock()
_OPEN = {"logs": 0, "previous": logging.NOTSET}


def _lower_level(root: logging.Logger) -> None:
    with _LEVEL_LOCK:
        if _OPEN["logs"] == 0:
            _OPEN["previous"] = root.level
            if root.level == logging.NOTSET or root.level > logging.INFO:
                root.setLevel(logging.INFO)
        _OPEN["logs"] += 1


def _restore_level(root: logging.Logger) -> None:
    with _LEVEL_LOCK:
        _OPEN["logs"] -= 1
        if _OPEN["logs"] == 0:
            root.setLevel(_OPEN["previous"])
