"""The data gate: read a lab's table, map its headers, build the canonical table,
and validate it against the YAML contract (pandera), locating every failure.

The gate never computes physics: it decides which rows may reach :mod:`iongrad.tables`.
"""
