"""A worker honours its machine's mode (no browser is started: nothing is claimed)."""

from __future__ import annotations

import os
from pathlib import Path

from apps.backlog.store import ItemStatus, MachineMode, RetryPlan, open_store
from apps.backlog.worker import Worker, WorkerConfig
from robot.settings import Settings

from .helpers import make_request


class _Flag:
    """A stop flag that sets itself after ``after`` waits (stands in for the run's Event)."""

    def __init__(self, after: int) -> None:
        self.waits = 0
        self.after = after

    def is_set(self) -> bool:
        return self.waits >= self.after

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return self.is_set()


class _Budget:
    value = -1

    def get_lock(self) -> _Lock:
        return _Lock()


class _Lock:
    def __enter__(self) -> object:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _worker(settings: Settings, stop: _Flag) -> Worker:
    config = WorkerConfig(
        settings=settings,
        run_id=1,
        name="m1/run1-w1",
        machine="m1",
        parent_pid=os.getppid(),
        retry=RetryPlan(),
        wait_for_retries_s=0,
    )
    return Worker(config, stop=stop, budget=_Budget())


def test_a_drained_machines_worker_takes_nothing_and_signs_off(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", pseudonym_key="k")
    with open_store(settings) as store:
        store.add("a", make_request("2019-04-12", "Ek", "Eva"))
        store.set_machine_mode("m1", MachineMode.DRAINING, actor="person:anna")
    assert _worker(settings, _Flag(after=100)).run() == 0
    with open_store(settings) as store:
        assert store.counts()[ItemStatus.PENDING] == 1
        [record] = store.workers()
        assert record.name == "m1/run1-w1" and not record.running


def test_a_paused_machines_worker_waits_and_takes_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", pseudonym_key="k")
    with open_store(settings) as store:
        store.add("a", make_request("2019-04-12", "Ek", "Eva"))
        store.set_machine_mode("m1", MachineMode.PAUSED, actor="person:anna")
    stop = _Flag(after=3)
    assert _worker(settings, stop).run() == 0
    assert stop.waits == 3  # it stayed, waiting, until told to stop
    with open_store(settings) as store:
        assert store.counts()[ItemStatus.PENDING] == 1
        assert [h.to_status for h in store.history(1)] == ["pending"]
