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
def pytest_configure(config: pytest.Config) -> None:
    """Once per run, in pytest's main process (not in each pytest-xdist worker): clear the
    last run's UI screenshots, which every worker then adds to."""
    if not hasattr(config, "workerinput"):
        from tests.ui.helpers import clear_screens

        clear_screens()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep tests that share an expensive fixture in one pytest-xdist worker.

    ``tryfirst``: pytest-xdist's worker reads the groups in its own hook of the same name,
    which pluggy would otherwise call before this one (the group would then be ignored, and a
    module's expensive fixture set up once per worker).

    ``./run test`` runs pytest-xdist with ``--dist loadgroup``: tests of one ``xdist_group``
    run in the same worker, everything else is spread test by test. Each module with a
    module-scoped fixture (an end-to-end module's warm ``Runner``) is one group, so it starts
    once. New tests need nothing: a test joins a group by the fixtures it asks for.
    """
    for item in items:
        group = _shared_fixture_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_fixture_group(item: pytest.Item) -> str | None:
    # The attended app (``ui_server``, session-scoped) starts once per worker: its tests spread
    # over the workers like any others (one group would run them all in one worker, the
    # longest chain of the run).
    # pytest has no public API for a test's fixture definitions; without them: no group.
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(d.scope == "module" for defs in definitions for d in defs):
        return item.nodeid.split("::", 1)[0]
    return None
