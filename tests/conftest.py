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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep tests that share an expensive fixture in one pytest-xdist worker.

    ``tryfirst``: pytest-xdist's worker reads the groups in its own hook of the same name,
    which pluggy would otherwise call before this one (the group would then be ignored, and a
    module's expensive fixture set up once per worker).

    ``./run test`` runs pytest-xdist with ``--dist loadgroup``: tests of one ``xdist_group``
    run in the same worker, everything else is spread test by test. The attended app (started
    once per worker with its robot and browser) is one group, and so is each module with a
    module-scoped fixture (an end-to-end module's warm ``Runner``), so each starts once. New
    tests need nothing: a test joins a group by the fixtures it asks for.
    """
    for item in items:
        group = _shared_fixture_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_fixture_group(item: pytest.Item) -> str | None:
    names = getattr(item, "fixturenames", ())
    if "ui_server" in names or "screens" in names:  # one app, one screenshot folder
        return "ui"
    # pytest has no public API for a test's fixture definitions; without them: no group.
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(d.scope == "module" for defs in definitions for d in defs):
        return item.nodeid.split("::", 1)[0]
    return None
