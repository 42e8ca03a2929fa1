"""Several robot machines, simulated on one computer, against the real mock sites.

Each "machine" is a ``backlog run`` with its own data folder, worker identity and (simulated)
host name, and all of them share one real PostgreSQL queue, journal and audit log. A machine
is SIGKILLed with its whole process tree (browser included) while it provably holds an item;
the other machine takes the item over once its heartbeat has expired, and every item ends
terminal exactly once, with no duplicate in the mocks' records and the audit chain intact.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from apps.backlog.store import SIMULATED_HOST_ENV, DatabaseQueueStore, ItemStatus, open_store
from apps.exitcodes import ExitCode
from mock_sites.testing import MockSites
from robot.audit import AuditLog
from tests.fixtures.settings import environment_of

from .helpers import (
    assert_each_person_registered_once,
    queue_generated,
    robot_settings,
    start_cli_run,
)

pytestmark = pytest.mark.slow

# A wait gives up only after this long without progress (on a slow machine: minutes).
STALL_S = 240.0


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()


def wait_with_progress(
    store: DatabaseQueueStore, condition: Callable[[], bool], *, what: str
) -> None:
    """Poll ``condition`` while the queue keeps changing; fail only after a stall."""

    def mark() -> object:
        return sorted(store.counts().items()), _beats(store)

    last, since = mark(), time.monotonic()
    while not condition():
        now = mark()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > STALL_S:
            raise AssertionError(f"no progress for {STALL_S:.0f} s waiting for {what}")
        time.sleep(0.05)


def _beats(store: DatabaseQueueStore) -> list[object]:
    return [(i.id, i.heartbeat_at) for i in store.items(status=ItemStatus.IN_PROGRESS)]


def _family(pid: int) -> list[psutil.Process]:
    try:
        return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _browsers(family: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for proc in family:
        try:
            if "chrom" in proc.name().lower():
                out.append(proc)
        except psutil.NoSuchProcess:
            continue
    return out


def test_killing_the_runs_process_group_leaves_no_worker_or_browser(
    sites: MockSites, tmp_path: Path
) -> None:
    sites.set_faults("pmo", latency_ms=150)
    settings = robot_settings(tmp_path, sites)
    queue_generated(settings, sites, 6, seed=61)
    with open_store(settings) as store, (tmp_path / "run.log").open("wb") as log:
        run = start_cli_run(settings, log, "--workers", "2")
        try:
            wait_with_progress(
                store,
                lambda: (
                    len(_browsers(_family(run.pid))) > 0
                    and len(store.items(status=ItemStatus.IN_PROGRESS)) == 2
                ),
                what="two workers with their browsers at work",
            )
            family = _family(run.pid)
            workers = [p for p in family if p.pid != run.pid and p.ppid() == run.pid]
            assert len(workers) >= 2 and _browsers(family)
            held = [i.id for i in store.items(status=ItemStatus.IN_PROGRESS)]
            os.killpg(run.pid, signal.SIGKILL)  # the run's process group, as a service manager
        finally:
            if run.poll() is None:
                run.kill()
            run.wait(timeout=60)
    _, alive = psutil.wait_procs(family, timeout=30)
    for proc in alive:
        proc.kill()
    assert not alive, f"outlived their run: {[(p.pid, p.name()) for p in alive]}"
    # No worker went on after its run died: what they held is still held, nothing finished.
    with open_store(settings) as store:
        assert [i.id for i in store.items(status=ItemStatus.IN_PROGRESS)] == held


def test_two_machines_share_one_postgresql_queue_and_one_takes_over_from_a_killed_one(
    sites: MockSites, tmp_path: Path, postgres_dsn: str
) -> None:
    # Short step timeouts (the mocks answer at once), so the lease, which must outlast one
    # action (timeout_ms + navigation_timeout_ms), and the takeover it waits for are short too.
    machines = {
        name: robot_settings(
            tmp_path / name,
            sites,
            store_dsn=postgres_dsn,
            timeout_ms=5_000,
            navigation_timeout_ms=8_000,
        )
        for name in "ab"
    }
    for name in machines:
        (tmp_path / name).mkdir()
    rows = queue_generated(machines["a"], sites, 14, seed=77)
    store = open_store(machines["a"])
    rng = random.Random(7)
    args = ("--workers", "1", "--stale-after", "6", "--heartbeat", "1")
    args += ("--retry-delay", "0.2", "--wait-for-retries", "60")
    runs: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in machines}
    try:
        for name, settings in machines.items():
            env = {**environment_of(settings), SIMULATED_HOST_ENV: f"host-{name}"}
            # The killed machine's lease on its person is taken over at once (its process is
            # gone on this host) or after the ttl, which must outlast one action (13 s here).
            env["RESERVROBOT_LEASE_TTL_S"] = "16"
            env["RESERVROBOT_STORE_DSN"] = postgres_dsn
            runs[name] = start_cli_run(settings, logs[name], *args, "--machine", name, env=env)

        def held_by_b() -> list[int]:
            return [i.id for i in store.items(status=ItemStatus.IN_PROGRESS) if i.machine == "b"]

        def done_by_b() -> int:
            return sum(
                1
                for i in store.items(status=ItemStatus.DONE)
                for h in store.history(i.id)
                if h.to_status == ItemStatus.DONE and "/b/run" in h.actor
            )

        # Let machine b finish a random number of items, then kill it while it holds one:
        # its worker is stopped first (SIGSTOP), so what it holds is read while it cannot move.
        done_before = rng.randint(1, 3)
        held: list[int] = []
        while not held:
            wait_with_progress(
                store,
                lambda: done_by_b() >= done_before and bool(held_by_b()),
                what=f"machine b to finish {done_before} items and hold another",
            )
            workers = [p for p in _family(runs["b"].pid)[1:] if p.ppid() == runs["b"].pid]
            for worker in workers:
                worker.send_signal(signal.SIGSTOP)
            held = held_by_b()
            if not held:  # between two items after all: let it go on, try again
                for worker in workers:
                    worker.send_signal(signal.SIGCONT)
        family = _family(runs["b"].pid)
        os.killpg(runs["b"].pid, signal.SIGKILL)  # the whole tree, browser included
        runs["b"].wait(timeout=60)
        _, alive = psutil.wait_procs(family, timeout=30)
        assert not alive, "machine b's tree outlived the kill"
        [interrupted] = held
        item = store.get(interrupted)
        # The kill provably interrupted that item: still held by b's dead worker.
        assert item is not None and item.status is ItemStatus.IN_PROGRESS and item.machine == "b"

        assert runs["a"].wait(timeout=600) == ExitCode.OK, (tmp_path / "a.log").read_text()[-3000:]
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
                run.wait(timeout=60)
        for log in logs.values():
            log.close()

    items = store.items()
    assert Counter(i.status for i in items) == {ItemStatus.DONE: 14}
    for it in items:
        assert sum(1 for h in store.history(it.id) if h.to_status == ItemStatus.DONE) == 1
    takeover = [h for h in store.history(interrupted) if h.reason == "heartbeat_stale"]
    assert len(takeover) == 1, store.history(interrupted)
    final = store.get(interrupted)
    assert final is not None and final.machine == "a"
    silent = [w for w in store.workers(machine="b") if w.running]
    assert silent and silent[0].age_s > 3  # b never signed off: its heartbeat went silent
    store.close()
    assert_each_person_registered_once(sites, rows)
    with AuditLog(machines["a"]) as audit:
        assert audit.verify() is None
