"""Two spellings of one person, queued under two references, run by two workers at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.backlog.run import RunOptions, run_backlog
from apps.backlog.store import ItemStatus, open_store
from mock_sites.testing import MockSites

from .helpers import queue_generated, robot_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()


@pytest.mark.parametrize("seed", [3, 4])
def test_two_workers_never_register_two_spellings_of_one_person_twice(
    sites: MockSites, tmp_path: Path, seed: int
) -> None:
    settings = robot_settings(tmp_path, sites)
    [person] = queue_generated(settings, sites, 1, seed=seed)
    first_given = person["given_names"].split()[0]
    variant = {
        **person,
        "external_ref": f"{person['external_ref']}-B",
        "family_name": person["family_name"].upper(),
        "given_names": first_given if first_given != person["given_names"] else first_given + "a",
    }
    queue_generated(settings, sites, 0, seed=seed + 100, rows=[variant])
    with open_store(settings) as store:
        assert len(store.items(status=ItemStatus.PENDING)) == 2  # two references, two items
    run_backlog(settings, RunOptions(workers=2, wait_for_retries_s=0))
    digits = person["birth_date"].replace("-", "")
    patients = [p for p in sites.records("pmo")["patients"] if p["patient_id"].startswith(digits)]
    numbers = [
        p for p in sites.records("rns")["persons"] if p["birth_date"] == person["birth_date"]
    ]
    assert len(patients) == 1 and len(numbers) == 1, (patients, numbers)
    with open_store(settings) as store:
        statuses = Counter(i.status for i in store.items())
        claims = [
            h for i in store.items() for h in store.history(i.id) if h.to_status == "in_progress"
        ]
    assert statuses[ItemStatus.PENDING] == statuses[ItemStatus.IN_PROGRESS] == 0
    assert statuses[ItemStatus.DONE] >= 1
    assert len(claims) == 2
