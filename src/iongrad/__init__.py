"""iongrad: trustworthy electrophysiology numbers from ion-concentration tables.

One table's path: file -> gate -> tables -> physics -> pipeline -> report.

- :mod:`iongrad.gate` reads a lab's CSV, parquet or workbook file (``readers``,
  ``sheets``, ``layout``: title lines, units rows, summary rows), maps its headers
  (``headers``: the header grammars and the config's ``columns`` mapping) and units
  onto the canonical long table and checks it against the YAML contract
  ``schemas/measurements.yaml`` (``contract``, ``checks``, ``validation``), locating
  every failure by row and column: strict mode fails the table, lenient mode sets the
  bad rows aside with their reason. It computes nothing.
- :mod:`iongrad.tables` is where DataFrames meet physics: it groups the accepted table
  by sample and ion and returns the per-row potentials (``potentials``) and per-sample
  Donnan and GHK predictions (``samples``), and the liquid junction potential of
  each sample's recording solutions (``ljp``).
- :mod:`iongrad.physics` holds every formula once, arrays in and arrays out, no pandas
  and no files: Nernst, activity (Debye-Hueckel family and Pitzer), ionic strength,
  water, Donnan, GHK, pump-leak, osmotic pressure, liquid junction potentials.
- :mod:`iongrad.pipeline` is the workflow's glue: one job function per Snakemake stage
  (``jobs``, ``batch``, ``partition`` for a table split by sample over several jobs),
  files in and files out, with the config (``config``), the
  provenance record (``provenance``), logs and warm workers. Snakemake calls it; the
  package never imports Snakemake.
- :mod:`iongrad.report` turns a dataset's results into self-contained HTML (Jinja2
  templates in ``templates/``, inline SVG figures) and the cross-dataset index.
- :mod:`iongrad.cli` stands beside the path: the ``iongrad`` command (``nernst``,
  ``activity``, ``donnan``, ``ghk``, ``ljp``, ``validate``, ``inspect``) calls
  physics and gate directly.

The ground floor, which any room may import and which imports no room:
:mod:`iongrad.constants` (R, F, 0 degC; exact SI 2019), :mod:`iongrad.ions` (the ion
registry), :mod:`iongrad.units` (unit parsing), :mod:`iongrad.numerics` (vectorized root
finding), :mod:`iongrad.canonical` (the canonical columns and the sample grouping) and
:mod:`iongrad.files` (atomic writes, JSON, result file names). Package data: ``data/``
(ion and Pitzer parameters), ``schemas/`` (measurement contract, config JSON Schema),
``templates/`` (report HTML).

Imports point down: cli and pipeline, then report, then tables and gate (independent of
each other), then physics, then the ground floor; physics imports only constants, ions,
units and numerics. ``lint-imports`` checks this against the contracts in
pyproject.toml.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iongrad")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
