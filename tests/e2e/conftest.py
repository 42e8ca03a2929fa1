"""Fixtures of the end-to-end tests: the robot (real Chromium) against the real mock sites.

``layout`` parametrises a module over PMO layout a and b: the only difference is the selector
file named in Settings (``pmo_selectors``). One ``Runner`` per module and layout keeps the
browser warm; ``sites`` restores the seed data and faults before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from flows.runner import Runner
from mock_sites.testing import MockSites
from robot.logs import unconfigure_logging
from robot.settings import Settings
from tests.e2e.people import People, SiteWriter
from tests.fixtures.settings import environment_of, settings_for

pytestmark = pytest.mark.e2e


def make_settings(sites: MockSites, data_dir: Path, **overrides: object) -> Settings:
    """Settings for the robot against ``sites``: fast retries, short timeouts, browser clipboard."""
    values: dict[str, object] = {
        "transfer_mode": "browser",
        "timeout_ms": 5_000,
        "navigation_timeout_ms": 10_000,
        "backoff_base_s": 0.05,
        "backoff_max_s": 0.2,
        "pseudonym_key": SecretStr("e2e-test-key"),
    }
    values.update(overrides)
    return settings_for(sites, data_dir, **values)


def cli_env(sites: MockSites, data_dir: Path, **overrides: Any) -> dict[str, str]:
    """Environment for a ``reservrobot`` command against ``sites``: the caller's environment
    with ``environment_of`` the CLI's settings (browser clipboard, ``overrides`` on top) and no
    stray config file."""
    settings = settings_for(sites, data_dir, **({"transfer_mode": "browser"} | overrides))
    return environment_of(settings, RESERVROBOT_CONFIG_FILE=str(data_dir / "absent.toml"))


@pytest.fixture
def env(
    module_sites: MockSites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """``cli_env`` of the module's sites for in-process commands, run from ``tmp_path``."""
    values = cli_env(module_sites, tmp_path)
    monkeypatch.chdir(tmp_path)  # no stray .env or reservrobot.toml
    yield values
    unconfigure_logging()


@pytest.fixture(scope="module")
def module_sites(request: pytest.FixtureRequest) -> MockSites:
    """The session's mock sites in the layout the module is parametrised with (default a)."""
    layout = getattr(request, "param", "a")
    return request.getfixturevalue("mock_sites_b" if layout == "b" else "mock_sites")


@pytest.fixture(scope="module")
def robot_settings(module_sites: MockSites, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(module_sites, tmp_path_factory.mktemp("robot-data"))


@pytest.fixture(scope="module")
def runner(robot_settings: Settings) -> Iterator[Runner]:
    with Runner(robot_settings) as warm:
        yield warm


@pytest.fixture
def sites(module_sites: MockSites) -> MockSites:
    """The module's sites with seed data and fault settings restored."""
    module_sites.reset()
    return module_sites


@pytest.fixture
def people(sites: MockSites) -> People:
    return People(sites)


@pytest.fixture
def writer(sites: MockSites) -> SiteWriter:
    return SiteWriter(sites)
