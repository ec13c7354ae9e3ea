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
    previous = root.level
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield root
    except BaseException:
        root.exception("job failed")
        raise
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()
