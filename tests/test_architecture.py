"""The house by stages: one folder per stage, each a layer; no import cycle; imports at the top.

import-linter checks the layers in CI (``lint-imports``, contract in pyproject.toml); this test
checks the same from grimp's graph, which counts every import (in functions and under
``TYPE_CHECKING`` too), and what import-linter does not: no cycle even inside a stage, imports at
the top of modules, and a test importing every module.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import grimp
import networkx as nx
import pytest

from tests.paths import REPO

ROOT = REPO
PACKAGE = ROOT / "access30"
#: Third-party packages that a function may import itself: optional and heavy to load.
LOCAL_IMPORTS_ALLOWED = {"osmnx", "gtfs_kit", "distributed", "dask"}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("access30", include_external_packages=False)


def layers() -> list[list[str]]:
    """The stages from the top down, as the import-linter contract of pyproject.toml gives them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    return [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else None


def test_no_import_cycle(graph):
    directed = nx.DiGraph()
    directed.add_nodes_from(graph.modules)
    for module in graph.modules:
        directed.add_edges_from((module, other) for other in graph.find_modules_directly_imported_by(module))
    cycles = [sorted(c) for c in nx.strongly_connected_components(directed) if len(c) > 1]
    assert cycles == []


def test_every_module_lives_in_a_stage(graph):
    stages = {name for layer in layers() for name in layer}
    for module in graph.modules - {"access30"}:
        assert stage_of(module) in stages, f"{module} is in no stage folder"


def test_no_import_runs_up_a_layer(graph):
    rank = {name: i for i, layer in enumerate(layers()) for name in layer}  # 0 = top
    upward = []
    for module in graph.modules - {"access30"}:
        for other in graph.find_modules_directly_imported_by(module):
            if other == "access30":
                upward.append((module, other))  # the public face is for users, not for the stages
            elif stage_of(other) != stage_of(module) and rank[stage_of(other)] <= rank[stage_of(module)]:
                upward.append((module, other))
    assert upward == []


def _function_imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    yield from ((alias.name, node.lineno) for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    yield ("." * node.level + (node.module or "")), node.lineno


def test_imports_at_the_top_of_modules():
    found = [f"{path.relative_to(ROOT)}:{line} {name}" for path in sorted(PACKAGE.rglob("*.py"))
             if "static" not in path.parts for name, line in _function_imports(path)
             if name.split(".")[0] not in LOCAL_IMPORTS_ALLOWED]
    assert found == []


def test_every_module_is_imported_by_a_test(graph):
    imported = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("access30"):
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names if alias.name.startswith("access30"))
    # Private plumbing (``_``-prefixed modules) is tested through the module that uses it.
    missing = sorted(m for m in graph.modules if m not in imported and not m.endswith("__main__")
                     and not m.rsplit(".", 1)[-1].startswith("_"))
    assert missing == []
