"""Fixtures for the domain core's unit tests: the project's own config and the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows.rules.countries import CountryLists, load_country_lists
from flows.rules.groups import PatientGroup, load_groups
from flows.rules.matching import MatchConfig, load_match_config
from flows.rules.region import RegionProfile, load_region_profile

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "config"
# The shared test data lives beside the repository (../shared), never inside it.
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def config_dir() -> Path:
    return CONFIG_DIR


@pytest.fixture(scope="session")
def profile() -> RegionProfile:
    return load_region_profile(CONFIG_DIR, "gavleborg")


@pytest.fixture(scope="session")
def groups() -> dict[str, PatientGroup]:
    return load_groups(CONFIG_DIR)


@pytest.fixture(scope="session")
def countries() -> CountryLists:
    return load_country_lists(CONFIG_DIR)


@pytest.fixture(scope="session")
def match_config() -> MatchConfig:
    return load_match_config(CONFIG_DIR)


@pytest.fixture(scope="session")
def pnr_vectors() -> Path:
    folder = SHARED_DATA / "personnummer"
    if not folder.is_dir():
        pytest.skip(f"shared personnummer vectors not found at {folder} (../shared is absent)")
    return folder


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For a command line run in-process: no RESERVROBOT_ variable of the caller's, no .env or
    reservrobot.toml in the folder, and the data folder in ``tmp_path``."""
    for name in list(os.environ):
        if name.startswith("RESERVROBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RESERVROBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path
