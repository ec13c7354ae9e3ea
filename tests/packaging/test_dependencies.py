"""The package's runtime dependencies are exactly the third-party packages it imports.

An import missing from ``[project] dependencies`` works in the development venv (the
dev and workflow extras bring it in) and breaks a plain ``pip install iongrad``; a
dependency nothing imports is weight on every install. Snakemake belongs to the
``workflow`` extra: the workflow calls iongrad, never the other way round.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "iongrad"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normal(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))


def _imported_modules() -> dict[str, set[str]]:
    """Top-level third-party module -> the files under src/iongrad importing it."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "iongrad" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def _imported_distributions() -> dict[str, set[str]]:
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for module, files in _imported_modules().items():
        assert module in owners, f"{module} (imported by {sorted(files)}) not installed"
        for dist in owners[module]:
            found.setdefault(_normal(dist), set()).update(files)
    return found


def test_every_import_is_a_declared_dependency():
    declared = {_requirement_name(r) for r in PROJECT["dependencies"]}
    undeclared = {
        dist: sorted(files)
        for dist, files in _imported_distributions().items()
        if dist not in declared
    }
    assert undeclared == {}


def test_every_declared_dependency_is_imported():
    imported = set(_imported_distributions())
    declared = {_requirement_name(r) for r in PROJECT["dependencies"]}
    assert declared - imported == set()


def test_snakemake_is_an_extra_not_a_dependency():
    assert "snakemake" not in _imported_modules()
    assert "snakemake" not in {_requirement_name(r) for r in PROJECT["dependencies"]}
    workflow = {
        _requirement_name(r) for r in PROJECT["optional-dependencies"]["workflow"]
    }
    assert {"snakemake", "snakemake-executor-plugin-slurm"} <= workflow


def test_workflow_extra_agrees_with_the_snakefile_min_version():
    (minimum,) = re.findall(
        r'^min_version\("([\d.]+)"\)', (REPO / "Snakefile").read_text(), re.MULTILINE
    )
    (snakemake,) = [
        r
        for r in PROJECT["optional-dependencies"]["workflow"]
        if _requirement_name(r) == "snakemake"
    ]
    assert snakemake.replace(" ", "") == f"snakemake>={minimum}"


def test_dev_extra_brings_the_workflow_extra():
    assert "iongrad[workflow]" in PROJECT["optional-dependencies"]["dev"]
