"""The science: one module per model, arrays in, arrays or frozen dataclasses out.

No pandas and no files here: every formula of iongrad lives once in this package, with
its equation, units and literature reference in the docstring.
"""
