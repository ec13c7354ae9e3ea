"""Comparison reports: per-dataset and cross-dataset HTML, self-contained.

:func:`render_dataset_report` turns one ``results/<dataset>/`` directory into
``reports/<dataset>.html``; :func:`render_index` turns the list of datasets into
``reports/index.html``. Templates live in ``iongrad/templates/`` (Jinja2, autoescaped).
"""

from iongrad.report.dataset import render_dataset_report
from iongrad.report.index import render_index
from iongrad.report.results import ResultsError

__all__ = ["ResultsError", "render_dataset_report", "render_index"]
