"""Reliability of the backlog against the real mock sites in real Chromium.

Workers are killed with SIGKILL in the middle of an item, the sites answer with 500s, latency
and expiring sessions, two runs start at once, the same person is queued twice, and Ctrl+C
stops a run: every person must still end up with exactly one reservnummer and one PMO patient
(``/_mock/records``), and every queue item done exactly once.

Each test is as small as still reaches its fault path, and waits on the robot's progress, not
on the clock: a wait fails only when nothing at all moved for ``STALL_S`` (a stuck run), so a
slow or busy machine makes the tests slower, never red.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen
from typing import Literal

import psutil
import pytest

from apps.backlog.run import RunOptions, run_backlog
from apps.backlog.store import DatabaseQueueStore, ItemStatus, QueueItem, open_store
from apps.exitcodes import ExitCode
from mock_sites.testing import MockSites
from tests.fixtures.settings import environment_of

from .helpers import (
    assert_each_item_done_exactly_once,
    assert_each_person_registered_once,
    queue_generated,
    robot_settings,
    sql,
    start_cli_run,
)

pytestmark = pytest.mark.slow

FAST_RETRIES = ("--retry-delay", "0.2", "--wait-for-retries", "30")
# A wait gives up only after this long without any progress of the robot (audit entries or
# queue statuses): minutes on a machine that is merely slow, at once when something hangs.
STALL_S = 240.0
KILLS = 4
SESSION_TIMEOUT_S = 60.0
# A killed worker's lease is taken over at once (its process is gone); the ttl only has to
# outlast one action (timeout + navigation timeout, 30 s by default), as the robot demands.
LEASE_TTL_S = 40.0


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()  # leave no faults behind for tests that use the session sites


class Progress:
    """Waits for a condition while the robot keeps moving (its audit log and its queue)."""

    def __init__(self, store: DatabaseQueueStore, data_dir: Path) -> None:
        self.store = store
        self.audit = data_dir / "audit.sqlite3"

    def audit_count(self) -> int:
        try:
            return int(sql(self.audit, "SELECT COUNT(*) FROM audit")[0][0])
        except sqlite3.OperationalError:  # the worker has not created the log yet
            return 0

    def _mark(self) -> tuple[object, ...]:
        return self.audit_count(), sorted(self.store.counts().items())

    def wait(
        self,
        condition: Callable[[], bool],
        *,
        what: str,
        each_poll: Callable[[], None] | None = None,
    ) -> None:
        """Poll ``condition`` (a condition, not a guessed delay) until true; fail on a stall.

        ``each_poll`` runs before every look at the condition (to stir things up meanwhile).
        """
        mark, since = self._mark(), time.monotonic()
        while True:
            if each_poll is not None:
                each_poll()
            if condition():
                return
            now = self._mark()
            if now != mark:
                mark, since = now, time.monotonic()
            elif time.monotonic() - since > STALL_S:
                raise AssertionError(f"no progress for {STALL_S:.0f} s waiting for {what}")
            time.sleep(0.05)

    def wait_exit(
        self, proc: Popen[bytes], *, what: str, each_poll: Callable[[], None] | None = None
    ) -> int:
        """The exit code of ``proc``, once it has ended."""
        self.wait(lambda: proc.poll() is not None, what=what, each_poll=each_poll)
        return proc.wait()


class IdleSessionExpiry:
    """Expires the session of the site the robot is not using at the moment, again and again.

    The one worker is stopped for a moment (SIGSTOP): when its last audited step started on
    one site, the other site is idle, and that site's clock jumps past the session idle
    timeout. Sessions so expire while idle, as in life, however fast or slow the machine (a
    timeout on the wall clock would expire none on a fast one, and one that expired in the
    middle of a login would be no situation a person or a robot ever meets).
    """

    def __init__(self, sites: MockSites, store: DatabaseQueueStore, audit: Path) -> None:
        self.sites, self.store, self.audit = sites, store, audit
        self.expired: Counter[str] = Counter()
        self._seen = 0

    def _last_step(self) -> tuple[int, str, str] | None:
        try:
            rows = sql(self.audit, "SELECT id, system, result FROM audit ORDER BY id DESC LIMIT 1")
        except sqlite3.OperationalError:  # the worker has not created the log yet
            return None
        return (int(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else None

    def __call__(self) -> None:
        last = self._last_step()
        if last is None or last[0] == self._seen:
            return
        for held in self.store.items(status=ItemStatus.IN_PROGRESS):
            try:
                worker = psutil.Process(held.worker_pid or -1)
                worker.suspend()
            except psutil.NoSuchProcess:
                continue
            try:
                last = self._last_step()
                if last is not None and last[2] == "started" and last[1] in ("pmo", "rns"):
                    idle: Literal["pmo", "rns"] = "rns" if last[1] == "pmo" else "pmo"
                    self.sites.advance_clock(idle, 2 * SESSION_TIMEOUT_S)
                    self.expired[idle] += 1
                self._seen = last[0] if last is not None else self._seen
            finally:
                worker.resume()


def _freeze_holder(
    store: DatabaseQueueStore, run_pid: int, *, spare: set[int]
) -> tuple[psutil.Process, QueueItem] | None:
    """Stop (SIGSTOP) the run's worker if it holds an item not in ``spare``; else None.

    Read after the stop, the queue shows what a kill leaves behind: a stopped worker cannot
    finish its item any more, so an item still in progress there is provably interrupted.
    """
    for held in store.items(status=ItemStatus.IN_PROGRESS):
        try:
            proc = psutil.Process(held.worker_pid or -1)
            if proc.ppid() != run_pid or proc.status() == psutil.STATUS_ZOMBIE:
                continue  # never touch anything but our own run's live workers
            proc.suspend()
        except psutil.NoSuchProcess:
            continue
        for item in store.items(status=ItemStatus.IN_PROGRESS):
            if item.worker_pid == proc.pid and item.id not in spare:
                return proc, item
        proc.resume()  # between two items, or on one already killed once: not here
    return None


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
    settings = robot_settings(tmp_path, sites, lease_ttl_s=LEASE_TTL_S)
    env = {**environment_of(settings), "RESERVROBOT_LEASE_TTL_S": str(LEASE_TTL_S)}
    rows = queue_generated(settings, sites, 6, seed=50)
    rng = random.Random(2024)
    # (item, claims) of every kill, each of a worker stopped while it held that item: three
    # kills of the worker alone (the run replaces it), then one of the whole run at once.
    killed: list[tuple[int, int]] = []
    orphans: list[psutil.Process] = []
    with (tmp_path / "run1.log").open("wb") as log, open_store(settings) as store:
        progress = Progress(store, settings.data_dir)
        run = start_cli_run(settings, log, "--workers", "1", *FAST_RETRIES, env=env)
        try:
            while len(killed) < KILLS:
                spare = {item for item, _ in killed}  # each item is killed once at most

                def next_item_started(spare: set[int] = spare) -> bool:
                    busy = {i.id for i in store.items(status=ItemStatus.IN_PROGRESS)}
                    return bool(busy - spare) or run.poll() is not None

                progress.wait(next_item_started, what="the worker to take the next item")
                assert run.poll() is None, "the run ended before every kill was made"
                # A random point inside the item: after 0-6 of its ~11 audited steps.
                target = progress.audit_count() + rng.randint(0, 6)
                progress.wait(
                    lambda t=target: progress.audit_count() >= t or run.poll() is not None,
                    what="the robot to work on the item",
                )
                frozen = _freeze_holder(store, run.pid, spare=spare)
                if frozen is None:
                    continue  # the item was done before the point: try on the next one
                victim, item = frozen
                if len(killed) == KILLS - 1:
                    run.send_signal(signal.SIGKILL)
                orphans += _kill(victim)
                killed.append((item.id, item.claims))
        finally:
            if run.poll() is None:
                run.kill()
            run.wait()
        # A killed worker's browser goes with it (Playwright's driver exits when its pipe
        # closes).
        _, alive = psutil.wait_procs(orphans, timeout=60)
        for proc in alive:
            proc.kill()
        assert not alive, f"browser processes outlived their worker: {alive}"
        [left] = store.items(status=ItemStatus.IN_PROGRESS)
        assert left.id == killed[-1][0], "the last kill should have left its item in progress"

        with (tmp_path / "run2.log").open("wb") as log2:
            rerun = start_cli_run(settings, log2, "--workers", "1", *FAST_RETRIES, env=env)
            code = progress.wait_exit(rerun, what="the second run to finish")
        assert code == ExitCode.OK, (tmp_path / "run2.log").read_text()[-3000:]

        assert_each_item_done_exactly_once(store, 6)
        recovered = Counter(
            h.item_id
            for i in store.items()
            for h in store.history(i.id)
            if h.reason == "worker_dead"
        )
    # Every kill left its item in progress, and it came back to pending exactly once.
    assert recovered == Counter(item for item, _ in killed)
    assert_each_person_registered_once(sites, rows)


def test_backlog_with_500s_latency_and_expiring_sessions_completes_without_duplicates(
    sites: MockSites, tmp_path: Path
) -> None:
    # One page request in twenty fails, and the idle site's session expires at every step: a
    # dozen people meet both faults many times over, on top of some latency.
    for site in ("pmo", "rns"):
        sites.set_faults(
            site, error_rate=0.05, latency_ms=10, session_timeout_s=SESSION_TIMEOUT_S, seed=11
        )
    settings = robot_settings(tmp_path, sites)
    rows = queue_generated(settings, sites, 12, seed=100)
    # Short step backoffs keep the test fast; the retries themselves are what is tested.
    env = {
        **environment_of(settings),
        "RESERVROBOT_BACKOFF_BASE_S": "0.05",
        "RESERVROBOT_BACKOFF_MAX_S": "0.5",
    }
    log_file = tmp_path / "faults.log"
    with log_file.open("wb") as log, open_store(settings) as store:
        run = start_cli_run(
            settings, log, "--workers", "1", "--max-attempts", "3", *FAST_RETRIES, env=env
        )
        progress = Progress(store, settings.data_dir)
        expiry = IdleSessionExpiry(sites, store, progress.audit)
        code = progress.wait_exit(run, what="the run to finish", each_poll=expiry)
        items = store.items()
    for site in ("pmo", "rns"):
        sites.set_faults(site, error_rate=0.0, latency_ms=0, session_timeout_s=0.0)

    assert _failed_step_codes(log_file)["site_error"] >= 3, "too few 500s to prove retries"
    assert min(expiry.expired["pmo"], expiry.expired["rns"]) >= 6, expiry.expired
    statuses = Counter(i.status for i in items)
    # Every item reached a final status: nothing left pending or in progress.
    assert set(statuses) <= {ItemStatus.DONE, ItemStatus.NEEDS_PERSON, ItemStatus.FAILED}
    # Most are done; one whose every attempt met a 500 gives up with a technical reason.
    assert statuses[ItemStatus.DONE] >= 9, Counter((i.status, i.reason_code) for i in items)
    assert {i.reason_code for i in items if i.status == ItemStatus.FAILED} <= {
        "site_error",
        "session_expired",
        "retries_exhausted",
    }
    expected = (
        ExitCode.SOME_FAILED
        if statuses[ItemStatus.FAILED]
        else ExitCode.NEEDS_PERSON
        if statuses[ItemStatus.NEEDS_PERSON]
        else ExitCode.OK
    )
    assert code == expected, log_file.read_text()[-3000:]
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


def _failed_step_codes(log_file: Path) -> Counter[str]:
    """Error codes of the step attempts that failed (and were retried), from a run's JSON log."""
    codes: Counter[str] = Counter()
    for line in log_file.read_text().splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "step_attempt_failed":
                codes[str(event.get("code"))] += 1
    return codes


def test_two_runs_started_at_once_never_process_the_same_item(
    sites: MockSites, tmp_path: Path
) -> None:
    settings = robot_settings(tmp_path, sites)
    rows = queue_generated(settings, sites, 2, seed=6)
    with open_store(settings) as store:
        progress = Progress(store, settings.data_dir)
        # Same lock (an overlapping schedule): while one run works, another exits 75.
        with (tmp_path / "first.log").open("wb") as log:
            first = start_cli_run(settings, log, "--workers", "1")
            progress.wait(
                lambda: (
                    bool(store.items(status=ItemStatus.IN_PROGRESS)) or first.poll() is not None
                ),
                what="the first run to take an item",
            )
            with (tmp_path / "second.log").open("wb") as log2:
                second = start_cli_run(settings, log2, "--workers", "1")
                assert progress.wait_exit(second, what="the second run") == ExitCode.LOCKED
            assert progress.wait_exit(first, what="the first run") == ExitCode.OK

        # Different lock slots (overlap on purpose): both work, and the atomic claim still
        # gives every item to exactly one of them. Each may take half, so both take part
        # however much sooner one of them has its browser up.
        more = queue_generated(settings, sites, 6, seed=16)
        logs = [(tmp_path / f"slot{i}.log").open("wb") for i in range(2)]
        runs = [
            start_cli_run(settings, log, "--workers", "1", "--slot", f"s{i}", "--limit", "3")
            for i, log in enumerate(logs)
        ]
        codes = [progress.wait_exit(run, what="the overlapping runs") for run in runs]
        for log in logs:
            log.close()
        assert codes == [ExitCode.OK, ExitCode.OK]
        assert_each_item_done_exactly_once(store, 8)
        claims = Counter(
            h.item_id
            for i in store.items()
            for h in store.history(i.id)
            if h.to_status == ItemStatus.IN_PROGRESS
        )
        assert set(claims.values()) == {1}, "an item was claimed twice"
        runs_taking_part = Counter(i.run_id for i in store.items()[2:])
        assert sorted(runs_taking_part.values()) == [3, 3], runs_taking_part
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
    # Three more rows of the same person: another reference, and twice without one. A person
    # is queued once (issue 24, point 12): every one of them is a duplicate at import.
    queue_generated(settings, sites, 0, seed=2, rows=[shouting, no_ref, no_ref])
    with open_store(settings) as store:
        assert len(store.items()) == 1
    summary = run_backlog(settings, RunOptions(workers=2))
    assert summary.exit_code == ExitCode.OK
    with open_store(settings) as store:
        kinds = Counter(i.outcome.kind.value if i.outcome else None for i in store.items())
        assert_each_item_done_exactly_once(store, 1)
    assert kinds == {"registered": 1}
    assert_each_person_registered_once(sites, [person])


def test_ctrl_c_stops_after_the_current_item_and_leaves_the_rest_pending(
    sites: MockSites, tmp_path: Path
) -> None:
    settings = robot_settings(tmp_path, sites)
    queue_generated(settings, sites, 4, seed=8)
    with (tmp_path / "ctrlc.log").open("wb") as log, open_store(settings) as store:
        progress = Progress(store, settings.data_dir)
        run = start_cli_run(settings, log, "--workers", "1")
        progress.wait(
            lambda: bool(store.items(status=ItemStatus.DONE)) or run.poll() is not None,
            what="a first item done",
        )
        os.killpg(run.pid, signal.SIGINT)  # what a terminal's Ctrl+C does
        code = progress.wait_exit(run, what="the run to stop")
        statuses = Counter(i.status for i in store.items())
    assert code == ExitCode.OK
    assert statuses[ItemStatus.IN_PROGRESS] == 0 and statuses[ItemStatus.PENDING] >= 1
    assert statuses[ItemStatus.DONE] >= 1
    assert "Stoppar efter pågående ärenden" in (tmp_path / "ctrlc.log").read_text()
