"""Reliability of the backlog against the real mock sites in real Chromium.

Workers are killed with SIGKILL at random points, the sites answer with 500s, latency and
expiring sessions, two runs start at once, and the same person is queued twice: every person
must still end up with exactly one reservnummer and one PMO patient (``/_mock/records``), and
every queue item done exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from apps.backlog.policy import RetryPlan
from apps.backlog.run import RunOptions, run_backlog
from apps.backlog.store import ItemStatus, open_store
from apps.exitcodes import ExitCode
from mock_sites.testing import MockSites

from .helpers import (
    assert_each_item_done_exactly_once,
    assert_each_person_registered_once,
    queue_generated,
    robot_settings,
    sql,
    start_cli_run,
    wait_until,
)

pytestmark = pytest.mark.slow

FAST_RETRIES = ("--retry-delay", "0.2", "--wait-for-retries", "30")


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()  # leave no faults behind for tests that use the session sites


def _in_progress_workers(queue: Path, run_pid: int) -> list[psutil.Process]:
    """Worker processes of the run ``run_pid`` that hold an item right now."""
    workers = []
    for (pid,) in sql(queue, "SELECT worker_pid FROM items WHERE status = 'in_progress'"):
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue  # killed already, not yet reaped by its run
            if proc.ppid() == run_pid:  # never touch anything but our own run's workers
                workers.append(proc)
        except psutil.NoSuchProcess:
            continue
    return workers


def _kill(proc: psutil.Process) -> list[psutil.Process]:
    """SIGKILL ``proc``; return its descendants (its browser) as they were."""
    try:
        family = proc.children(recursive=True)
        proc.send_signal(signal.SIGKILL)
    except psutil.NoSuchProcess:
        return []
    return family


def test_sigkilled_workers_at_random_points_resume_without_duplicates(
    sites: MockSites, tmp_path: Path
) -> None:
    settings = robot_settings(tmp_path, sites)
    rows = queue_generated(settings, sites, 50, seed=50)
    queue, audit = settings.data_dir / "queue.sqlite3", settings.data_dir / "audit.sqlite3"
    rng = random.Random(2024)

    def audit_count() -> int:
        try:
            return int(sql(audit, "SELECT COUNT(*) FROM audit")[0][0])
        except sqlite3.OperationalError:  # the worker has not created the log yet
            return 0

    orphans: list[psutil.Process] = []
    with (tmp_path / "run1.log").open("wb") as log:
        run = start_cli_run(settings, log, "--workers", "1", *FAST_RETRIES)
        try:
            kills = 0
            # Four kills of the worker alone (the run replaces it), then the whole run at once.
            while kills < 5 and run.poll() is None:
                target = audit_count() + rng.randint(1, 14)  # ~11 audit entries per item
                wait_until(
                    lambda t=target: audit_count() >= t or run.poll() is not None,
                    timeout=180,
                    what="the robot to make progress",
                )
                victims = _in_progress_workers(queue, run.pid)
                if not victims:
                    continue  # between two items: pick another point
                if kills == 4:
                    run.send_signal(signal.SIGKILL)
                for victim in victims:
                    orphans += _kill(victim)
                kills += 1
            assert kills == 5, "the run ended before all kills were made"
        finally:
            if run.poll() is None:
                run.kill()
            run.wait(timeout=60)
    # A killed worker's browser goes with it (Playwright's driver exits when its pipe closes).
    _, alive = psutil.wait_procs(orphans, timeout=20)
    for proc in alive:
        proc.kill()
    assert not alive, f"browser processes outlived their worker: {alive}"

    with open_store(settings) as store:
        interrupted = [i for i in store.items() if i.status != ItemStatus.DONE]
        assert interrupted, "the last kill should have left work behind"
    with (tmp_path / "run2.log").open("wb") as log:
        rerun = start_cli_run(settings, log, "--workers", "2", *FAST_RETRIES)
        assert rerun.wait(timeout=240) == ExitCode.OK, (tmp_path / "run2.log").read_text()[-3000:]

    with open_store(settings) as store:
        assert_each_item_done_exactly_once(store, 50)
        recovered = [
            h for i in store.items() for h in store.history(i.id) if h["reason"] == "worker_dead"
        ]
        assert len(recovered) >= 5  # every kill left an item that came back to pending
    assert_each_person_registered_once(sites, rows)


def test_backlog_of_100_with_500s_latency_and_expiring_sessions_completes_without_duplicates(
    sites: MockSites, tmp_path: Path
) -> None:
    for site in ("pmo", "rns"):
        sites.set_faults(site, error_rate=0.05, latency_ms=10, session_timeout_s=3.0, seed=11)
    # Short step backoffs keep the test fast; the retries themselves are what is tested.
    settings = robot_settings(tmp_path, sites, backoff_base_s=0.05, backoff_max_s=0.5)
    rows = queue_generated(settings, sites, 100, seed=100)
    summary = run_backlog(
        settings,
        RunOptions(
            workers=2, retry=RetryPlan(max_attempts=3, base_s=0.2, max_s=1.0), wait_for_retries_s=30
        ),
    )
    for site in ("pmo", "rns"):
        sites.set_faults(site, error_rate=0.0, latency_ms=0, session_timeout_s=0.0)

    with open_store(settings) as store:
        items = store.items()
        statuses = Counter(i.status for i in items)
    # Every item reached a final status: nothing left pending or in progress.
    assert set(statuses) <= {ItemStatus.DONE, ItemStatus.NEEDS_PERSON, ItemStatus.FAILED}
    assert statuses[ItemStatus.DONE] >= 95, Counter((i.status, i.reason_code) for i in items)
    expected = (
        ExitCode.SOME_FAILED
        if statuses[ItemStatus.FAILED]
        else ExitCode.NEEDS_PERSON
        if statuses[ItemStatus.NEEDS_PERSON]
        else ExitCode.OK
    )
    assert summary.exit_code == expected
    done_rows = [
        row for row, item in zip(rows, items, strict=True) if item.status == ItemStatus.DONE
    ]
    assert_each_person_registered_once(sites, done_rows)
    # Zero duplicates overall, also for items that did not finish.
    patients = Counter(p["patient_id"][:8] for p in sites.records("pmo")["patients"])
    persons = Counter(p["birth_date"] for p in sites.records("rns")["persons"])
    for row in rows:
        assert patients[row["birth_date"].replace("-", "")] <= 1
        assert persons[row["birth_date"]] <= 1


def test_two_runs_started_at_once_never_process_the_same_item(
    sites: MockSites, tmp_path: Path
) -> None:
    settings = robot_settings(tmp_path, sites)
    rows = queue_generated(settings, sites, 6, seed=6)
    # Same lock (an overlapping schedule): exactly one of them runs, the other exits 75.
    logs = [(tmp_path / f"same{i}.log").open("wb") for i in range(2)]
    runs = [start_cli_run(settings, log, "--workers", "1") for log in logs]
    codes = sorted(run.wait(timeout=180) for run in runs)
    for log in logs:
        log.close()
    assert codes == [ExitCode.OK, ExitCode.LOCKED]

    # Different lock slots (overlap on purpose): both work, and the atomic claim still gives
    # every item to exactly one of them.
    more = queue_generated(settings, sites, 16, seed=16)
    logs = [(tmp_path / f"slot{i}.log").open("wb") for i in range(2)]
    runs = [
        start_cli_run(settings, log, "--workers", "1", "--slot", f"s{i}")
        for i, log in enumerate(logs)
    ]
    codes = [run.wait(timeout=240) for run in runs]
    for log in logs:
        log.close()
    assert codes == [ExitCode.OK, ExitCode.OK]
    with open_store(settings) as store:
        assert_each_item_done_exactly_once(store, 22)
        claims = Counter(
            h["item_id"]
            for i in store.items()
            for h in store.history(i.id)
            if h["to_status"] == ItemStatus.IN_PROGRESS
        )
        assert set(claims.values()) == {1}, "an item was claimed twice"
        runs_taking_part = {store.get(i.id).run_id for i in store.items()[6:]}  # type: ignore[union-attr]
        assert len(runs_taking_part) == 2, "both overlapping runs should have taken items"
    assert_each_person_registered_once(sites, rows + more)


def test_the_same_person_queued_twice_is_registered_once(sites: MockSites, tmp_path: Path) -> None:
    settings = robot_settings(tmp_path, sites)
    [person] = queue_generated(settings, sites, 1, seed=1)
    shouting = {
        **person,
        "family_name": person["family_name"].upper(),
        "external_ref": "DUP-2",
        "street": "Annan väg 3",
    }
    no_ref = {**person, "external_ref": ""}
    # Three more rows of the same person: another reference, and twice without one (the
    # second of those is a duplicate at import).
    queue_generated(settings, sites, 0, seed=2, rows=[shouting, no_ref, no_ref])
    with open_store(settings) as store:
        assert len(store.items()) == 3
    summary = run_backlog(settings, RunOptions(workers=2))
    assert summary.exit_code == ExitCode.OK
    with open_store(settings) as store:
        kinds = Counter((i.outcome or {}).get("kind") for i in store.items())
        assert_each_item_done_exactly_once(store, 3)
    assert kinds == {"registered": 1, "already_registered": 2}
    assert_each_person_registered_once(sites, [person])


def test_ctrl_c_stops_after_the_current_item_and_leaves_the_rest_pending(
    sites: MockSites, tmp_path: Path
) -> None:
    settings = robot_settings(tmp_path, sites)
    queue_generated(settings, sites, 8, seed=8)
    queue = settings.data_dir / "queue.sqlite3"
    with (tmp_path / "ctrlc.log").open("wb") as log:
        run = start_cli_run(settings, log, "--workers", "1")
        wait_until(
            lambda: bool(sql(queue, "SELECT 1 FROM items WHERE status = 'done'")),
            timeout=120,
            what="a first item done",
        )
        os.killpg(run.pid, signal.SIGINT)  # what a terminal's Ctrl+C does
        code = run.wait(timeout=120)
    with open_store(settings) as store:
        statuses = Counter(i.status for i in store.items())
    assert code == ExitCode.OK
    assert statuses[ItemStatus.IN_PROGRESS] == 0 and statuses[ItemStatus.PENDING] >= 1
    assert statuses[ItemStatus.DONE] >= 1
    assert "Stoppar efter pågående ärenden" in (tmp_path / "ctrlc.log").read_text()
