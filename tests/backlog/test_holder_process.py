"""The queue judges an item's holder by the runtime's one process rule (``robot.processes``).

Real holders, on SQLite and on a real PostgreSQL server: a live worker in its own pid namespace
under this host name (a container replica) keeps its item; a worker of another (simulated)
machine or one recorded before the rule's facts were is judged by its heartbeat alone; a
worker provably dead on this machine gives its item back at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest

from apps.backlog.store import (
    SIMULATED_HOST_ENV,
    DatabaseQueueStore,
    ItemStatus,
    open_store,
)
from apps.backlog.store.schema import COMPONENT, MIGRATIONS
from robot.db import open_database
from robot.settings import Settings

from .helpers import make_request

REPO = Path(__file__).resolve().parents[2]
PROGRESS_DEADLINE_S = 60  # only a guard against hanging; never what a test asserts
STALE_AFTER = timedelta(minutes=10)

# A worker that claims the one pending item, says so, and holds it until stdin closes.
_WORKER = """
import sys
from pathlib import Path
from apps.backlog.store import WorkerIdentity, open_store
from robot.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), store_dsn=sys.argv[2], pseudonym_key="k")
with open_store(settings) as store:
    item = store.claim_next(WorkerIdentity.current(sys.argv[3]))
    print("held" if item is not None else "nothing", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def qsettings(tmp_path: Path, store_dsn: str) -> Settings:
    return Settings(data_dir=tmp_path / "q", store_dsn=store_dsn, pseudonym_key="k")


@pytest.fixture
def store(qsettings: Settings) -> Iterator[DatabaseQueueStore]:
    with open_store(qsettings) as s:
        yield s


def _start_worker(
    settings: Settings, name: str, *prefix: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """A worker process (behind ``prefix``, e.g. ``unshare``) holding the pending item."""
    worker = subprocess.Popen(
        [*prefix, sys.executable, "-c", _WORKER, str(settings.data_dir), settings.store_dsn, name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )
    line = worker.stdout.readline() if worker.stdout else ""
    if line.strip() != "held":
        _, err = worker.communicate(timeout=PROGRESS_DEADLINE_S)
        if "Operation not permitted" in err:
            pytest.skip("this user may not create pid namespaces")
        pytest.fail(f"the worker did not take the item ({line.strip()}): {err[-2000:]}")
    return worker


def _stop(worker: subprocess.Popen[str]) -> None:
    if worker.stdin:
        worker.stdin.close()
    worker.wait(timeout=PROGRESS_DEADLINE_S)


def _age_heartbeats(store: DatabaseQueueStore) -> None:
    with store.db.transaction() as tx:
        tx.execute(f"UPDATE queue_items SET heartbeat = {store.db.now_sql} - 3600")  # noqa: S608


def test_a_live_worker_in_another_pid_namespace_keeps_its_item(
    qsettings: Settings, store: DatabaseQueueStore
) -> None:
    # A container of this machine (same host name, same boot) numbers its pids itself: the
    # worker is pid 1 there, and pid 1 here is another process started earlier, so by host
    # name, pid and start time alone it would look like a dead worker whose pid was reused.
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs util-linux's unshare")
    item, _ = store.add("a", make_request("2019-04-12", "Ek", "Eva"))
    worker = _start_worker(qsettings, "container-b", unshare, "--pid", "--fork", "--mount-proc")
    try:
        held = store.get(item.id)
        assert held is not None and held.status is ItemStatus.IN_PROGRESS
        assert held.worker == "container-b" and held.worker_pid != worker.pid
        assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == []
        still = store.get(item.id)
        assert still is not None and still.status is ItemStatus.IN_PROGRESS
        assert still.worker == "container-b"
    finally:
        _stop(worker)
    # Gone now, but not provably from here (its pid means nothing in this namespace): its
    # item waits for the heartbeat to age, then comes back as from any other machine.
    assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == []
    _age_heartbeats(store)
    assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == [item.id]
    assert store.history(item.id)[-1].reason == "heartbeat_stale"


def test_a_killed_worker_on_this_machine_gives_its_item_back_at_once(
    qsettings: Settings, store: DatabaseQueueStore
) -> None:
    item, _ = store.add("a", make_request("2019-04-12", "Ek", "Eva"))
    worker = _start_worker(qsettings, "w-dead")
    try:
        assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == []
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=PROGRESS_DEADLINE_S)
    # The heartbeat is fresh; the process is provably gone.
    assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == [item.id]
    assert store.history(item.id)[-1].reason == "worker_dead"
    back = store.get(item.id)
    assert back is not None and back.status is ItemStatus.PENDING and back.worker is None


def test_a_dead_worker_of_another_simulated_machine_is_judged_by_its_heartbeat(
    qsettings: Settings, store: DatabaseQueueStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, _ = store.add("a", make_request("2019-04-12", "Ek", "Eva"))
    worker = _start_worker(qsettings, "m2-w1", env={SIMULATED_HOST_ENV: "machine-2"})
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=PROGRESS_DEADLINE_S)
    # From this (real) machine the dead worker of "machine-2" cannot be proven gone ...
    assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == []
    # ... from "machine-2" itself it can.
    monkeypatch.setenv(SIMULATED_HOST_ENV, "machine-2")
    assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == [item.id]
    assert store.history(item.id)[-1].reason == "worker_dead"


def test_an_item_claimed_before_version_3_is_judged_by_its_heartbeat_alone(
    qsettings: Settings,
) -> None:
    # A version-2 robot on this host held the item, then died: its pid is free now.
    dead = subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE)
    started = psutil.Process(dead.pid).create_time()
    dead.communicate(b"\n")
    db = open_database(qsettings, COMPONENT)
    assert db.migrate(COMPONENT, MIGRATIONS[:2]) == 2
    with db.transaction() as tx:  # the row as version 2 wrote it: no boot time, bare host name
        tx.execute(
            "INSERT INTO queue_items (ref, status, worker, worker_pid, worker_host,"  # noqa: S608
            " worker_started, heartbeat, claims, created_at, updated_at)"
            f" VALUES ('a', 'in_progress', 'old-robot', ?, ?, ?, {db.now_sql}, 1, ?, ?)",
            (dead.pid, socket.gethostname(), started, "2026-01-01T00:00:00", "2026-01-01T00:00:00"),
        )
    db.close()
    with open_store(qsettings) as store:
        assert store.version == len(MIGRATIONS) >= 3
        (item,) = store.items()
        assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == []
        _age_heartbeats(store)
        assert store.recover_interrupted(stale_after=STALE_AFTER, actor="t") == [item.id]
        assert store.history(item.id)[-1].reason == "heartbeat_stale"
