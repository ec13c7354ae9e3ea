"""Where tables meet physics: the sample x ion frame, per-row and per-sample tables.

Functions here take the canonical measurement table (a DataFrame), group it by sample
and ion, call :mod:`iongrad.physics` on whole arrays and return result tables.
"""
