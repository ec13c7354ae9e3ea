"""Hypothesis settings for the whole suite, loaded as a pytest plugin (pyproject).

No per-example deadline: the suite runs on shared, loaded machines (CI, laptops,
cluster login nodes), where a deadline measures the load, not the code. Each test
still bounds its work with ``max_examples``.
"""

from hypothesis import settings

settings.register_profile("iongrad", deadline=None)
settings.load_profile("iongrad")
