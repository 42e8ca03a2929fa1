"""Root of the test suite: each part's fixtures live in their own plugin module."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.browser",
    "tests.fixtures.mock_servers",
    "tests.fixtures.display",
    "tests.fixtures.postgres",
    "tests.fixtures.settings",
]


def pytest_configure(config: pytest.Config) -> None:
    """Once per run, in pytest's main process (not in each pytest-xdist worker): clear the
    last run's UI screenshots (the screens are then photographed anew)."""
    if not hasattr(config, "workerinput"):
        from tests.ui.helpers import clear_screens

        clear_screens()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep tests that share an expensive fixture in one pytest-xdist worker.

    ``tryfirst``: pytest-xdist's worker reads the groups in its own hook of the same name,
    which pluggy would otherwise call before this one (the group would then be ignored, and a
    module's expensive fixture set up once per worker).

    ``./run test`` runs pytest-xdist with ``--dist loadgroup``: tests of one ``xdist_group``
    run in the same worker, everything else is spread test by test. The attended app (started
    with its robot and browser) is one group, and so is each module with a module-scoped
    fixture (an end-to-end module's warm ``Runner``), so each starts once. New tests need
    nothing: a test joins a group by the fixtures it asks for.
    """
    groups = {}
    for item in items:
        group = _shared_fixture_group(item)
        groups[item.nodeid] = group
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
    # The groups first, the largest (the attended app's) before all: pytest-xdist hands out
    # work in collection order, so a long group collected last would run alone at the end.
    items.sort(key=lambda item: _ORDER.get(groups[item.nodeid], 1 if groups[item.nodeid] else 2))


_ORDER = {"ui": 0}


def _shared_fixture_group(item: pytest.Item) -> str | None:
    names = getattr(item, "fixturenames", ())
    if "ui_server" in names or "screens" in names:  # one attended app, started once
        return "ui"
    # pytest has no public API for a test's fixture definitions; without them: no group.
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(d.scope == "module" for defs in definitions for d in defs):
        return item.nodeid.split("::", 1)[0]
    return None
