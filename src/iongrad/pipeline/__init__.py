"""Workflow glue: job functions (files in, files out), batching, config, provenance,
worker processes, and checks of results files damaged after they were written.

Snakemake rules call these functions and nothing else; the package itself never
imports Snakemake.
"""
