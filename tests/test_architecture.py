"""The layout stays as drawn (STYLE.md): imports point one way, views → services → models, features →
the shared core, never back; no route module imports another feature's; no new cycle between feature
packages. grimp reads the import graph (tools/arch_figures.py prints its figures); import-linter checks
the contracts in pyproject.toml.

Each allow-list below names imports that break a rule today, with the reason. A line that allows
nothing any more fails the test, which says to delete it."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application import use_cases

from tools.arch_figures import FACTORY, Import, Layout, shortest_cycle, strongly_connected

ROOT = Path(__file__).resolve().parents[1]

ROUTE_IMPORTS_ALLOWED: list[Import] = []

FACTORY_TAKES_FROM_ROUTES_ALLOWED: list[tuple[str, str]] = []  # (route module, name)

COMPOSITION = {FACTORY, "portal.cli", "portal.models", "portal.recurring", "portal.cron_config"}
"""The core modules that put the features together (the app, its commands, every table, the recurring
jobs): they may import any feature, and no feature imports them."""

ABOVE_FEATURES = {"portal.readiness"}
"""Core modules that answer a question reading several features, so they sit above them (the readiness
rules): they may import features, and features' views may import them."""

CORE_IMPORTS_ALLOWED = [
    # the 403 page names the colleagues who may do what was refused (auth.permissions knows the roles)
    Import("portal.errors", "portal.auth.permissions"),
    # a job carries the id of the request that enqueued it (monitoring.logs keeps that id)
    Import("portal.jobs", "portal.monitoring.logs"),
    # the account limit keys on a keyed hash of the typed address, made as the sign-in links' hashes are
    Import("portal.limits", "portal.auth.tokens"),
]

FEATURE_IMPORTS_OF_COMPOSITION_ALLOWED = [
    # the development server builds the app (devtools run it, they are no part of the product)
    Import("portal.devtools.run", FACTORY),
    # /metrics counts the recurring jobs' runs under recurring's Redis keys
    Import("portal.monitoring.metrics", "portal.recurring"),
]

DEVTOOLS_IMPORTS_ALLOWED: list[Import] = []

CYCLE_EDGES_ALLOWED = [
    # The imports between features that close a cycle today, each pointing the wrong way. Without
    # them the features form no cycle; a new import that closes one fails the test.
    #
    # the schedule's course page shows the course's calendar section
    ("schedule", "calendars"),
]


@pytest.fixture(scope="module")
def layout() -> Layout:
    return Layout.read()


def _listed(layout: Layout, edges) -> str:
    return "\n".join(line for edge in sorted(edges) for line in layout.lines(edge))


def _only_allowed(found: set, allowed: list, problem: str, listed) -> None:
    """``found`` holds nothing but what ``allowed`` lists (else ``problem`` and the ``listed`` lines
    of the rest), and ``allowed`` nothing that is no longer found."""
    assert found <= set(allowed), f"{problem}:\n{listed(found - set(allowed))}"
    assert found >= set(allowed), "allow-list lines that allow nothing any more (delete them): " + ", ".join(
        map(str, sorted(set(allowed) - found)))


def test_no_route_module_imports_another_features_route_module(layout):
    _only_allowed(set(layout.route_to_route_imports()), ROUTE_IMPORTS_ALLOWED,
                  "A route module imports another feature's route module; move what both need into a service "
                  "or into portal/ itself", lambda rest: _listed(layout, rest))


def test_no_core_module_imports_a_route_module_and_the_factory_takes_only_blueprints(layout):
    found = layout.core_to_route_imports()
    assert not found, "A core module of portal/ imports a route module:\n" + _listed(layout, found)
    _only_allowed({(edge.imported, name) for edge, name in layout.factory_takes_from_routes()},
                  FACTORY_TAKES_FROM_ROUTES_ALLOWED,
                  "The app factory takes more than a blueprint from a route module (move it into a service)",
                  lambda rest: "\n".join(f"{name} from {module}" for module, name in sorted(rest)))


def test_the_shared_core_imports_no_feature(layout):
    found = {edge for edge in layout.imports() if layout.feature_of(edge.importer) is None
             and edge.importer not in COMPOSITION | ABOVE_FEATURES and layout.feature_of(edge.imported) is not None}
    _only_allowed(found, CORE_IMPORTS_ALLOWED,
                  "A module of portal/'s shared core imports a feature (features import the core, never back)",
                  lambda rest: _listed(layout, rest))


def test_no_feature_imports_the_modules_that_compose_the_app(layout):
    found = {edge for edge in layout.imports() if layout.feature_of(edge.importer) is not None
             and edge.imported in COMPOSITION}
    _only_allowed(found, FEATURE_IMPORTS_OF_COMPOSITION_ALLOWED,
                  "A feature imports a module that puts the features together (it would import them all)",
                  lambda rest: _listed(layout, rest))


def test_only_the_app_factory_imports_the_development_tools(layout):
    """The factory wires them in (the mail viewer only in development); nothing else of the product
    depends on them."""
    found = {edge for edge in layout.imports() if layout.feature_of(edge.imported) == "devtools"
             and layout.feature_of(edge.importer) != "devtools" and edge.importer != FACTORY}
    _only_allowed(found, DEVTOOLS_IMPORTS_ALLOWED, "The product imports portal/devtools/",
                  lambda rest: _listed(layout, rest))


def test_no_import_cycle_between_feature_packages(layout):
    edges = layout.feature_edges()
    kept = set(edges) - set(CYCLE_EDGES_ALLOWED)
    cycles = [shortest_cycle(kept, tangle) for tangle in strongly_connected(kept)]
    assert not cycles, "Feature packages import each other in a cycle (make one of these imports point the " \
        "other way, or announce with a signal):\n" + "\n".join(
            " -> ".join(cycle) + ":\n" + _listed(layout, [edge for pair in zip(cycle, cycle[1:], strict=False)
                                                          for edge in edges[pair]])
            for cycle in cycles)
    closing = {edge for edge in set(CYCLE_EDGES_ALLOWED) & set(edges)
               if any(set(edge) <= set(tangle) for tangle in strongly_connected(kept | {edge}))}
    assert closing == set(CYCLE_EDGES_ALLOWED), (
        "allow-list lines that close no cycle any more (delete them): "
        + ", ".join(f"{a} -> {b}" for a, b in sorted(set(CYCLE_EDGES_ALLOWED) - closing)))


def test_the_import_contracts_of_pyproject_hold(capsys):
    configuration.configure()  # what lint-imports does first
    kept = use_cases.lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    assert kept, "import-linter (contracts in pyproject.toml):\n" + capsys.readouterr().out
