"""The suite-wide hypothesis settings are in force (loaded by pyproject's -p)."""

from hypothesis import settings


def test_hypothesis_runs_without_deadlines():
    assert settings.default.deadline is None
