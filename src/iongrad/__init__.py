"""iongrad: trustworthy electrophysiology numbers from ion-concentration tables.

Modules are named for what they compute: :mod:`iongrad.constants` (R, F, 0 degC),
:mod:`iongrad.ions` (the ion registry), :mod:`iongrad.units` (unit parsing),
:mod:`iongrad.physics.nernst` (equilibrium potentials, driving force, directions).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iongrad")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
