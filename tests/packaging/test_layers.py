"""What the import contracts (``lint-imports``, pyproject.toml) cannot see alone.

The contracts read the ``import`` statements; an ``importlib.import_module`` or
``__import__`` call naming an iongrad module is a dependency they never see, so none is
allowed. The ``acyclic_siblings`` contract finds cycles between the modules and
packages of each package, not a cycle through a package's own ``__init__`` (a module
importing the package it lives in, which imports it back); that one is checked here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "iongrad"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _dynamic_import_target(node: ast.Call) -> ast.expr | None:
    """The name argument of an ``import_module``/``__import__`` call, else None."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in {"import_module", "__import__"}:
        return None
    if node.args:
        return node.args[0]
    # A call without a readable name counts as one naming iongrad.
    return next((k.value for k in node.keywords if k.arg == "name"), node)


def _names_iongrad(target: ast.expr) -> bool:
    """Whether the import may reach iongrad: any name not a plain non-iongrad string."""
    if isinstance(target, ast.Constant) and isinstance(target.value, str):
        return target.value.startswith(("iongrad", "."))
    return True


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_dynamic_import_of_iongrad_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    dynamic = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (target := _dynamic_import_target(node)) is not None
        and _names_iongrad(target)
    ]
    assert dynamic == []


def test_the_dynamic_import_check_sees_both_forms():
    calls = [
        ast.parse(code).body[0].value
        for code in (
            'importlib.import_module(f"{__name__}.{name}")',
            'import_module("iongrad.physics")',
            '__import__("iongrad")',
        )
    ]
    assert all(_names_iongrad(_dynamic_import_target(call)) for call in calls)
    plain = ast.parse('importlib.import_module("json")').body[0].value
    assert not _names_iongrad(_dynamic_import_target(plain))


def test_no_cycle_runs_through_a_package_init():
    graph = grimp.build_graph("iongrad", cache_dir=None)
    packages = sorted(m for m in graph.modules if graph.find_children(m))
    on_a_cycle = {
        package: sorted(
            graph.find_upstream_modules(package)
            & graph.find_downstream_modules(package)
        )
        for package in packages
    }
    assert {p: cycle for p, cycle in on_a_cycle.items() if cycle} == {}
