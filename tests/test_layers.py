"""The house rules, read from the source: layers, who may import the sandbox, no import circles, module sizes.

Layers, top to bottom (a module imports its own layer or lower ones):
cli → components → providers (resource folders, base, helpers) → providers.clients → the bottom layer
(`providers.types`, `providers.config`, `providers.clients.errors`, `providers.dmarc`, `providers.log`), which
anyone may import. Nothing in cli / components / providers imports `sandbox`, except the CLI importing
`sandbox.daemon` (for `coldfleet sandbox start|stop|status`).

Every import statement counts, function-local and `TYPE_CHECKING` ones included: an import moved into a function
to dodge a circle is still the same dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("cli", "components", "providers")
PACKAGES = (*PRODUCT, "sandbox")
MAX_LINES = 300
BOTTOM = ("providers.types", "providers.config", "providers.clients.errors", "providers.dmarc", "providers.log")
LAYERS = ("bottom", "providers.clients", "providers", "components", "cli")
SANDBOX_FOR_CLI = "sandbox.daemon"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported project module (the longest one the name resolves to)
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported_names(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
    # `from a import b`: b is a submodule (a.b) or a name in a; the longest module it resolves to counts.
    return [f"{base}.{alias.name}" for alias in node.names]


def imports() -> Iterator[Import]:
    for module, path in MODULES.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for name in _imported_names(node, package):
                found = _resolve(name)
                if found is not None and found != module:
                    where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                    yield Import(module, found, where)


def layer(module: str) -> str | None:
    """The layer a product module belongs to (None: not product code)."""
    if any(module == b or module.startswith(f"{b}.") for b in BOTTOM):
        return "bottom"
    for name in ("providers.clients", "providers", "components", "cli"):
        if module == name or module.startswith(f"{name}."):
            return name
    return None


def _rank(module: str) -> int | None:
    found = layer(module)
    return None if found is None else LAYERS.index(found)


def test_every_import_goes_down_the_layers() -> None:
    wrong = []
    for edge in imports():
        source, target = _rank(edge.source), _rank(edge.target)
        if source is not None and target is not None and target > source:
            wrong.append(f"{edge}: layer {layer(edge.source)} may not import layer {layer(edge.target)}")
    assert not wrong, "imports against the layers (cli → components → providers → clients → bottom):\n" + "\n".join(
        wrong
    )


def test_the_product_never_imports_the_sandbox() -> None:
    wrong = []
    for edge in imports():
        if layer(edge.source) is None or not edge.target.startswith("sandbox"):
            continue
        if layer(edge.source) == "cli" and edge.target == SANDBOX_FOR_CLI:
            continue
        wrong.append(str(edge))
    assert not wrong, f"product code imports the sandbox (only cli → {SANDBOX_FOR_CLI} is allowed):\n" + "\n".join(
        wrong
    )


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return seen


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that each reach all the others (the graph's strongly connected parts of size > 1)."""
    reach = {module: _reachable(graph, module) for module in graph}
    circles: list[list[str]] = []
    placed: set[str] = set()
    for module in sorted(graph):
        if module in placed or module not in reach[module]:
            continue
        circle = sorted(m for m in reach[module] if module in reach[m])
        placed.update(circle)
        circles.append(circle)
    return circles


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    where: dict[tuple[str, str], str] = {}
    for edge in imports():
        graph[edge.source].add(edge.target)
        where.setdefault((edge.source, edge.target), edge.where)
    circles = _circles(graph)
    lines = []
    for circle in circles:
        members = set(circle)
        lines.append("circle: " + " <-> ".join(circle))
        lines += [f"  {where[(a, b)]}: {a} imports {b}" for a in circle for b in sorted(graph[a] & members)]
    assert not circles, f"{len(circles)} import circle(s) in {', '.join(PACKAGES)}:\n" + "\n".join(lines)


def test_circle_finder_sees_a_circle_through_three_modules() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_product_module_over_300_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for module, path in MODULES.items()
        if layer(module) is not None and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    listed = ", ".join(f"{path} ({n})" for path, n in sorted(long.items()))
    assert not long, f"product modules over {MAX_LINES} lines: {listed}"
