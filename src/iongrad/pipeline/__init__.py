"""Workflow glue: job functions (files in, files out), batching, config, provenance.

Snakemake rules call these functions and nothing else; the package itself never
imports Snakemake.
"""
