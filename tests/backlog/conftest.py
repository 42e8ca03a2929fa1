"""Fixtures of the backlog tests: settings on a private data folder, a queue, the importer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.backlog.importer import Importer
from apps.backlog.store import DatabaseQueueStore, open_store
from robot.settings import Settings

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "config" / "templates"


@pytest.fixture
def store(settings: Settings) -> Iterator[DatabaseQueueStore]:
    with open_store(settings) as s:
        yield s


@pytest.fixture
def importer(settings: Settings, store: DatabaseQueueStore) -> Importer:
    return Importer(settings, store, actor="test")
