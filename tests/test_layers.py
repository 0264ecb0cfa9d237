"""The one-way layers of docs/ARCHITECTURE.md, pinned: an import the wrong way fails here.

Layers, top to bottom; a module imports only from its own layer or below, and
lessons, render and orchestrate are siblings that do not import one another::

    cli, _cli_types, __main__
    threadlab (the package's __init__), _api
    lessons, render, orchestrate, scaleout, _catalogue
    analysis
    model
    worker, _errors, _version, _units

Imports are read with ``ast`` (lazy imports inside functions count too);
nothing is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(30)

SOURCE = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "threadlab"
RANK = {
    "cli": 0,
    "_cli_types": 0,
    "__main__": 0,
    "pytest_plugin": 0,
    "": 1,
    "_api": 1,
    "lessons": 2,
    "render": 2,
    "orchestrate": 2,
    "scaleout": 2,
    "_catalogue": 2,
    "analysis": 3,
    "model": 4,
    "worker": 5,
    "_errors": 5,
    "_version": 5,
    "_units": 5,
}
SIBLINGS = {"lessons", "render", "orchestrate"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                name = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            if name.split(".")[0] == PACKAGE:
                found.add(name)
                found |= {f"{name}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module(path): path for path in (SOURCE / PACKAGE).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in _imports(path, module):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_belongs_to_a_layer() -> None:
    unknown = sorted({_layer(m) for m in _graph()} - set(RANK))
    assert unknown == [], f"modules outside every layer: {unknown}; add them to docs/ARCHITECTURE.md and here"


def test_no_import_goes_the_wrong_way() -> None:
    wrong = []
    for module, targets in sorted(_graph().items()):
        mine = _layer(module)
        for target in sorted(targets):
            theirs = _layer(target)
            if mine == theirs:
                continue
            upward = RANK[theirs] < RANK[mine]
            sideways = mine in SIBLINGS and theirs in SIBLINGS
            if upward or sideways:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_the_worker_imports_nothing_of_threadlab_outside_itself() -> None:
    # Its own layer mates (_errors, _version) are below everything, but the worker runs
    # in any CPython 3.9+ with only threadlab/worker on its path: it needs none of them.
    graph = _graph()
    outside = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if _layer(module) == "worker"
        for target in targets
        if _layer(target) != "worker"
    )
    assert outside == []


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []
