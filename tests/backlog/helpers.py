"""Shared helpers of the backlog tests that drive the robot against the mock sites."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from apps.backlog.importer import Importer
from apps.backlog.store import DatabaseQueueStore, ItemStatus, open_store
from flows.rules.groups import load_groups
from flows.rules.request import RegistrationRequest, parse_request
from mock_sites.testing import MockSites
from qa.people import generate_rows, taken_birth_dates, write_rows_csv
from robot.settings import Settings
from tests.fixtures.settings import environment_of, settings_for


def robot_settings(tmp_path: Path, sites: MockSites, **extra: Any) -> Settings:
    values: dict[str, Any] = {"pseudonym_key": "backlog-reliability", "rns_access": "direct"}
    return settings_for(sites, tmp_path / "data", **(values | extra))


def queue_generated(
    settings: Settings,
    sites: MockSites,
    count: int,
    *,
    seed: int,
    rows: list[dict[str, str]] | None = None,
) -> list[dict[str, str]]:
    """Import ``count`` generated people (or ``rows``) into the settings' queue."""
    if rows is None:
        records = {"pmo": sites.records("pmo"), "rns": sites.records("rns")}
        rows = generate_rows(count, seed=seed, taken=taken_birth_dates(records))
    path = write_rows_csv(rows, Path(settings.data_dir).parent / f"backlog-{seed}.csv")
    with open_store(settings) as store:
        report = Importer(settings, store, actor="test").import_file(path)
    assert report.rejected == 0, report.as_dict()
    return rows


def start_cli_run(
    settings: Settings, log: IO[bytes], *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``reservrobot backlog run ARGS`` in a subprocess (its own process group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "apps", "backlog", "run", *args],
        env=env if env is not None else environment_of(settings),
        cwd=Path(settings.data_dir).parent,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until true (a condition, not a guessed delay); fail after timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def sql(path: Path, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """A read-only query on one of the robot's SQLite files (as another process would)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return list(db.execute(query, params).fetchall())
    finally:
        db.close()


def assert_each_person_registered_once(sites: MockSites, rows: Sequence[dict[str, str]]) -> None:
    """Exactly one PMO patient and one reservnummer per person, and they are the same number."""
    patients = sites.records("pmo")["patients"]
    persons = sites.records("rns")["persons"]
    for row in rows:
        digits = row["birth_date"].replace("-", "")
        in_pmo = [p for p in patients if p["patient_id"].startswith(digits)]
        in_rns = [p for p in persons if p["birth_date"] == row["birth_date"]]
        assert len(in_rns) == 1, f"{row['external_ref']}: {len(in_rns)} reservnummer"
        assert len(in_pmo) == 1, f"{row['external_ref']}: {len(in_pmo)} PMO patients"
        assert in_pmo[0]["patient_id"] == in_rns[0]["id_value"]


def assert_each_item_done_exactly_once(store: DatabaseQueueStore, count: int) -> None:
    items = store.items()
    assert len(items) == count
    assert Counter(i.status for i in items) == {ItemStatus.DONE: count}, Counter(
        (i.status, i.reason_code) for i in items
    )
    for item in items:
        done = [h for h in store.history(item.id) if h.to_status == ItemStatus.DONE]
        assert len(done) == 1, f"item {item.id} done {len(done)} times"


def make_request(birth_date: str, family: str, given: str, **extra: str) -> RegistrationRequest:
    """A valid request for an invented person (an asylum seeker in Gävle by default)."""
    data = {
        "birth_date": birth_date,
        "sex": "K",
        "family_name": family,
        "given_names": given,
        "group": "asylsokande",
        "street": "Testgatan 1",
        "postal_code": "803 20",
        "city": "Gävle",
        "country": "SE",
        **extra,
    }
    return parse_request(data, groups=load_groups(Settings().config_dir))
