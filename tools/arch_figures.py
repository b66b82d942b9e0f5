"""How portal/'s packages import each other, in figures (tests/test_architecture.py reads the same graph).

    .venv/bin/python tools/arch_figures.py [ROOT]
        ROOT: a checkout (default: this one); reads its portal/ without importing or writing anything

A feature is a top-level subpackage of portal/ (portal/codes/, …); the modules directly in portal/ are
its core, among them the app factory (``portal`` itself), which registers every blueprint. A route
module is one named ``routes`` or ``views`` (or inside such a package) or one that makes a Flask
``Blueprint``. Imports inside functions count too: they tie the modules together all the same.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import grimp

PACKAGE = "portal"
FACTORY = PACKAGE
ROUTE_NAMES = {"routes", "views"}


@dataclass(frozen=True, order=True)
class Import:
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported}"


class Layout:
    """portal/'s import graph, read with grimp, seen module by module and feature by feature."""

    def __init__(self, graph: grimp.ImportGraph) -> None:
        self.graph = graph
        self.modules = {m for m in graph.modules if m == PACKAGE or m.startswith(PACKAGE + ".")}
        self.features = sorted({m.split(".")[1] for m in self.modules if m.count(".") >= 2})

    @classmethod
    def read(cls) -> Layout:
        """The graph of the ``portal`` that ``sys.path`` finds, external packages squashed to their names."""
        return cls(grimp.build_graph(PACKAGE, include_external_packages=True, cache_dir=None))

    def feature_of(self, module: str) -> str | None:
        """``codes`` for ``portal.codes.status``; None for a core module."""
        parts = module.split(".")
        return parts[1] if len(parts) > 1 and parts[1] in self.features else None

    def is_route_module(self, module: str) -> bool:
        if ROUTE_NAMES & set(module.split(".")[1:]):
            return True
        return self.graph.direct_import_exists(importer=module, imported="flask") and any(
            "Blueprint" in detail["line_contents"]
            for detail in self.graph.get_import_details(importer=module, imported="flask"))

    def imports(self) -> list[Import]:
        """Every module-level import edge inside portal/."""
        return sorted(Import(m, i) for m in self.modules
                      for i in self.graph.find_modules_directly_imported_by(m) if i in self.modules)

    def lines(self, edge: Import) -> list[str]:
        """Where ``edge`` is written: ``portal/x.py:12: from .y import z``."""
        return [f"{edge.importer}:{d['line_number']}: {d['line_contents']}"
                for d in self.graph.get_import_details(importer=edge.importer, imported=edge.imported)]

    def cross_feature_imports(self) -> list[Import]:
        return [e for e in self.imports() if None not in (self.feature_of(e.importer), self.feature_of(e.imported))
                and self.feature_of(e.importer) != self.feature_of(e.imported)]

    def feature_edges(self) -> dict[tuple[str, str], list[Import]]:
        """(importing feature, imported feature): the module imports behind it."""
        edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
        for edge in self.cross_feature_imports():
            edges[self.feature_of(edge.importer), self.feature_of(edge.imported)].append(edge)
        return dict(edges)

    def route_to_route_imports(self) -> list[Import]:
        """A route module importing another feature's route module."""
        return [e for e in self.imports() if self.is_route_module(e.importer) and self.is_route_module(e.imported)
                and self.feature_of(e.importer) != self.feature_of(e.imported)]

    def core_to_route_imports(self) -> list[Import]:
        """A core module importing a route module, the app factory aside (it registers the blueprints)."""
        return [e for e in self.imports() if self.feature_of(e.importer) is None and e.importer != FACTORY
                and self.is_route_module(e.imported)]

    def factory_takes_from_routes(self) -> list[tuple[Import, str]]:
        """What the app factory takes from route modules other than their blueprint (``bp``): each
        import with the name it takes."""
        taken = []
        for edge in self.imports():
            if edge.importer != FACTORY or not self.is_route_module(edge.imported):
                continue
            for detail in self.graph.get_import_details(importer=edge.importer, imported=edge.imported):
                names = detail["line_contents"].partition(" import ")[2].split(",")
                taken += [(edge, name.split(" as ")[0].strip()) for name in names
                          if name.split(" as ")[0].strip() != "bp"]
        return taken


def strongly_connected(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one node (each one a tangle of
    cycles), every one sorted, the largest first (Tarjan)."""
    successors: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(edges):
        successors[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in successors[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted({n for edge in edges for n in edge}):
        if node not in index:
            visit(node)
    return sorted(found, key=lambda c: (-len(c), c))


def shortest_cycle(edges: set[tuple[str, str]], among: list[str]) -> list[str]:
    """One of the shortest cycles through the nodes ``among`` (a strongly connected component), as
    the nodes in order, the first repeated at the end."""
    best: list[str] = []
    for start in sorted(among):
        paths = {start: [start]}
        queue = [start]
        while queue:
            node = queue.pop(0)
            for a, b in sorted(edges):
                if a != node or b not in among:
                    continue
                if b == start:
                    if not best or len(paths[node]) + 1 < len(best):
                        best = paths[node] + [start]
                    queue = []
                    break
                if b not in paths:
                    paths[b] = paths[node] + [b]
                    queue.append(b)
    return best


def count_cycles(edges: set[tuple[str, str]], limit: int = 1_000_000) -> int:
    """How many elementary cycles the graph has (each node at most once per cycle), counted up to ``limit``."""
    successors: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        successors[a].add(b)
    count = 0
    for start in sorted({n for edge in edges for n in edge}):  # cycles whose smallest node is ``start``
        stack = [(start, iter(sorted(successors[start])))]
        on_path = {start}
        while stack and count < limit:
            node, pending = stack[-1]
            successor = next(pending, None)
            if successor is None:
                stack.pop()
                on_path.discard(node)
            elif successor == start:
                count += 1
            elif successor > start and successor not in on_path:
                on_path.add(successor)
                stack.append((successor, iter(sorted(successors[successor]))))
    return count


def longest_modules(root: Path, pattern: str = "*.py", top: int = 3) -> list[tuple[int, str]]:
    sizes = [(len(path.read_text(encoding="utf-8").splitlines()), str(path.relative_to(root)))
             for path in (root / PACKAGE).rglob(pattern) if "vendor" not in path.parts]
    return sorted(sizes, reverse=True)[:top]


def main(argv: list[str]) -> None:
    root = Path(argv[0] if argv else Path(__file__).resolve().parents[1]).resolve()
    sys.path.insert(0, str(root))
    layout = Layout.read()
    edges = layout.feature_edges()
    mutual = sorted({tuple(sorted(pair)) for pair in edges if pair[::-1] in edges})
    tangles = strongly_connected(set(edges))
    print(f"portal at {root / PACKAGE}")
    print(f"feature packages: {len(layout.features)}")
    print(f"cross-feature imports (module edges): {len(layout.cross_feature_imports())}"
          f" over {len(edges)} feature pairs")
    print(f"mutual feature pairs: {len(mutual)}: " + ", ".join(f"{a}<->{b}" for a, b in mutual))
    print(f"feature-level cycles: {len(tangles)} strongly connected component(s) of "
          + ", ".join(str(len(t)) for t in tangles) + " features; "
          f"{count_cycles(set(edges))} elementary cycles")
    for tangle in tangles:
        print("  " + " ".join(tangle))
    route_imports = layout.route_to_route_imports() + layout.core_to_route_imports()
    print(f"route -> route imports (another feature's, or from a core module but the factory): {len(route_imports)}")
    for edge in route_imports:
        print(f"  {edge}")
    taken = layout.factory_takes_from_routes()
    print(f"the app factory takes from route modules more than their blueprint: {len(taken)}")
    for edge, name in taken:
        print(f"  {edge} ({name})")
    for label, pattern in (("Python", "*.py"), ("JavaScript", "*.js")):
        print(f"longest {label} modules: " + ", ".join(f"{path} ({lines} lines)"
                                                     for lines, path in longest_modules(root, pattern)))


if __name__ == "__main__":
    main(sys.argv[1:])
