"""``backlog run``: take the queue's run lock, start worker processes, follow them, summarise.

The run process itself drives no browser. It recovers items left in progress by dead workers,
starts N worker processes (multiprocessing, spawn; each owns one browser), shows progress from
the queue, replaces a worker that dies (its item goes back to pending and is resumed safely:
the robot searches first and keeps a durable record of a created reservnummer), and stops
cleanly on Ctrl+C or SIGTERM: workers finish their current item, then exit; a second Ctrl+C
terminates them at once (their items are recovered by the next run).

Long (about 400 lines) because a run is one supervisor: the lock, the worker processes, signals,
recovery and the summary share its state; split, each part would need all of it.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import wait as wait_for
from multiprocessing.process import BaseProcess
from typing import Protocol

from apps.backlog.lock import run_lock
from apps.backlog.progress import settled_count
from apps.backlog.store import (
    DatabaseQueueStore,
    ItemStatus,
    MachineMode,
    RetryPlan,
    default_machine,
    open_store,
    queue_path,
    utcnow,
)
from apps.backlog.worker import EXIT_RUNNER_FAILED, WorkerConfig, worker_main
from apps.exitcodes import ExitCode
from robot.logs import get_logger
from robot.settings import Settings

log = get_logger(__name__)

POLL_S = 0.3
# Workers that stopped, or went silent, this long ago leave the registry (``backlog workers``).
WORKERS_KEPT_S = 24 * 3600.0


@dataclass(frozen=True)
class RunOptions:
    """How a run behaves. Defaults suit a scheduled run."""

    workers: int = 1
    limit: int | None = None
    retry: RetryPlan = field(default_factory=RetryPlan)
    # Stay and wait for items whose retry falls due within this many seconds.
    wait_for_retries_s: float = 120.0
    # An in-progress item whose worker's heartbeat is older than this is taken as abandoned
    # (the only test across machines; on the same machine a dead pid is detected at once).
    stale_after_s: float = 900.0
    # How often a worker refreshes the heartbeat of the item it holds (and its own).
    beat_s: float = 10.0
    max_restarts: int | None = None
    slot: str = "run"
    # The machine this run belongs to (``backlog pause/drain --machine``); default: host name.
    machine: str = field(default_factory=default_machine)


@dataclass
class RunSummary:
    """What one run did."""

    run_id: int | None
    by_status: dict[str, int]  # the status this run left each touched item in
    recovered: list[int]
    duration_s: float
    exit_code: ExitCode
    stopped: bool = False
    worker_failures: int = 0
    runner_failed: bool = False
    machine_mode: MachineMode = MachineMode.RUN

    @property
    def finished(self) -> int:
        return sum(n for s, n in self.by_status.items() if s != ItemStatus.IN_PROGRESS)

    @property
    def per_minute(self) -> float:
        done = sum(
            self.by_status.get(s, 0)
            for s in (ItemStatus.DONE, ItemStatus.NEEDS_PERSON, ItemStatus.FAILED)
        )
        return 60.0 * done / self.duration_s if self.duration_s > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "by_status": self.by_status,
            "recovered": len(self.recovered),
            "duration_s": round(self.duration_s, 3),
            "per_minute": round(self.per_minute, 2),
            "exit_code": int(self.exit_code),
            "stopped": self.stopped,
            "worker_failures": self.worker_failures,
        }


class ProgressSink(Protocol):
    """Where a run reports progress (the CLI's rich progress bar, or nothing)."""

    def start(self, total: int) -> None: ...
    def update(self, by_status: Mapping[str, int], finished: int) -> None: ...
    def message(self, text: str) -> None: ...
    def stop(self) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def update(self, by_status: Mapping[str, int], finished: int) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass


class StopRequest:
    """Set from signal handlers (a plain flag: safe there), read by the run's loop."""

    def __init__(self) -> None:
        self.requested = 0
        self.event = threading.Event()

    def request(self) -> None:
        self.requested += 1
        self.event.set()

    def __bool__(self) -> bool:
        return self.requested > 0


@contextmanager
def graceful_signals(
    stop: StopRequest, on_signal: Callable[[int], None] | None = None
) -> Iterator[StopRequest]:
    """SIGINT/SIGTERM ask the run to stop (no-op outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        stop.request()
        if on_signal is not None:
            on_signal(stop.requested)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def exit_code_for(by_status: Mapping[str, int], *, runner_failed: bool = False) -> ExitCode:
    """0 all done; 1 something failed or waits for a retry; 2 something needs a person."""
    if (
        runner_failed
        or by_status.get(ItemStatus.FAILED, 0)
        or by_status.get(ItemStatus.PENDING, 0)
        or by_status.get(ItemStatus.IN_PROGRESS, 0)
    ):
        return ExitCode.SOME_FAILED
    if by_status.get(ItemStatus.NEEDS_PERSON, 0):
        return ExitCode.NEEDS_PERSON
    return ExitCode.OK


def _due_count(
    store: DatabaseQueueStore, horizon_s: float, options: RunOptions | None = None
) -> tuple[int, bool]:
    """Items due now, and whether any falls due (a retry, a takeover) within the horizon."""
    now = utcnow()
    pending = store.items(status=ItemStatus.PENDING)
    due = sum(1 for i in pending if i.not_before is None or i.not_before <= now)
    horizon = timedelta(seconds=horizon_s)
    soon = any(i.not_before is not None and i.not_before - now <= horizon for i in pending)
    if not soon and options is not None:
        takeover = store.next_takeover(
            stale_after=timedelta(seconds=options.stale_after_s), quiet_s=3 * options.beat_s
        )
        soon = takeover is not None and takeover - now <= horizon
    return due, soon


def run_backlog(
    settings: Settings,
    options: RunOptions,
    *,
    progress: ProgressSink | None = None,
    stop: StopRequest | None = None,
) -> RunSummary:
    """One run over the queue under its run lock; raises ``RunLockHeld`` when it is taken."""
    stop = StopRequest() if stop is None else stop
    with run_lock(queue_path(settings), slot=options.slot):
        return run_locked(settings, options, progress=progress or NoProgress(), stop=stop)


def run_locked(
    settings: Settings, options: RunOptions, *, progress: ProgressSink, stop: StopRequest
) -> RunSummary:
    """One run; the caller holds the run lock."""
    started = time.monotonic()
    store = open_store(settings)
    try:
        _purge_evidence(settings)
        mode = store.machine_mode(options.machine)
        if mode is not MachineMode.RUN:
            return RunSummary(
                run_id=None,
                by_status={},
                recovered=[],
                duration_s=time.monotonic() - started,
                exit_code=ExitCode.OK,
                machine_mode=mode,
            )
        recovered = _recover(store, options)
        store.forget_workers(older_than_s=WORKERS_KEPT_S)
        due, soon = _due_count(store, options.wait_for_retries_s, options)
        if due == 0 and not soon:
            return RunSummary(
                run_id=None,
                by_status={},
                recovered=recovered,
                duration_s=time.monotonic() - started,
                exit_code=ExitCode.OK,
            )
        total = min(due, options.limit) if options.limit else due
        run_id = store.start_run(
            workers=options.workers, limit=options.limit, machine=options.machine
        )
        summary = _supervise(settings, options, store, run_id, total, progress, stop)
        summary.recovered = recovered
        summary.duration_s = time.monotonic() - started
        store.end_run(run_id, exit_code=int(summary.exit_code), summary=summary.as_dict())
        return summary
    finally:
        store.close()


def _purge_evidence(settings: Settings) -> None:
    """Delete evidence older than ``evidence_retention_days`` (every run does this first)."""
    try:
        from robot.evidence import EvidenceRecorder

        EvidenceRecorder(settings).purge_expired()
    except Exception:  # retention must not stop the queue; the next run tries again
        log.event("evidence_purge_failed", level=logging.WARNING)


def _recover(store: DatabaseQueueStore, options: RunOptions) -> list[int]:
    return store.recover_interrupted(
        stale_after=timedelta(seconds=options.stale_after_s),
        actor="robot:run",
        max_claims=options.retry.max_attempts + 2,
    )


def _supervise(
    settings: Settings,
    options: RunOptions,
    store: DatabaseQueueStore,
    run_id: int,
    total: int,
    progress: ProgressSink,
    stop: StopRequest,
) -> RunSummary:
    ctx = mp.get_context("spawn")
    stop_event = ctx.Event()
    budget = ctx.Value("i", options.limit if options.limit else -1)
    procs: dict[int, BaseProcess] = {}
    serial = 0
    failures = 0
    runner_failed = False
    max_restarts = (
        options.max_restarts if options.max_restarts is not None else 2 * options.workers + 3
    )

    def spawn() -> None:
        nonlocal serial
        serial += 1
        config = WorkerConfig(
            settings=settings,
            run_id=run_id,
            name=f"{options.machine}/run{run_id}-w{serial}",
            machine=options.machine,
            parent_pid=os.getpid(),
            retry=options.retry,
            wait_for_retries_s=options.wait_for_retries_s,
            stale_after_s=options.stale_after_s,
            beat_s=options.beat_s,
            max_claims=options.retry.max_attempts + 2,
        )
        proc = ctx.Process(
            target=worker_main, args=(config, stop_event, budget), name=config.name, daemon=False
        )
        proc.start()
        procs[serial] = proc

    progress.start(total)
    for _ in range(max(1, min(options.workers, total or 1))):
        spawn()
    by_status: dict[str, int] = {}
    killed = False
    try:
        while procs:
            wait_for([p.sentinel for p in procs.values()], timeout=POLL_S)
            if stop and not stop_event.is_set():
                stop_event.set()
                progress.message("Avslutar efter pågående ärenden (Ctrl+C igen avbryter direkt).")
            if stop.requested > 1 and not killed:
                killed = True
                for proc in procs.values():
                    proc.terminate()
            for key, proc in list(procs.items()):
                if proc.exitcode is None:
                    continue
                proc.join()
                del procs[key]
                if proc.exitcode == 0:
                    continue
                failures += 1
                if proc.exitcode == EXIT_RUNNER_FAILED:
                    runner_failed = True
                    progress.message(
                        "En arbetsprocess kunde inte starta webbläsaren eller logga in."
                    )
                    continue
                _recover(store, options)
                if (
                    not stop
                    and failures <= max_restarts
                    and _due_count(store, options.wait_for_retries_s, options) != (0, False)
                ):
                    progress.message(
                        f"En arbetsprocess avslutades oväntat (kod {proc.exitcode});"
                        " ärendet återupptas."
                    )
                    spawn()
            by_status = _run_counts(store, run_id)
            progress.update(by_status, settled_count(by_status))
    finally:
        stop_event.set()
        for proc in procs.values():
            proc.join(timeout=30)
            if proc.exitcode is None:
                proc.terminate()
                proc.join(timeout=5)
        progress.stop()
    if killed:
        _recover(store, options)
    by_status = _run_counts(store, run_id)
    if failures and not stop and _due_count(store, 0)[0]:
        runner_failed = True  # workers kept dying while work was left: say so
    return RunSummary(
        run_id=run_id,
        by_status=by_status,
        recovered=[],
        duration_s=0.0,
        exit_code=exit_code_for(by_status, runner_failed=runner_failed),
        stopped=bool(stop),
        worker_failures=failures,
        runner_failed=runner_failed,
    )


def _run_counts(store: DatabaseQueueStore, run_id: int) -> dict[str, int]:
    counts = Counter(str(r.status) for r in store.run_items(run_id))
    return dict(counts)


def watch_backlog(
    settings: Settings,
    options: RunOptions,
    *,
    interval_s: float,
    progress_factory: Callable[[], ProgressSink],
    on_summary: Callable[[RunSummary], None],
    stop: StopRequest | None = None,
) -> ExitCode:
    """Run again and again, ``interval_s`` apart, holding the lock throughout, until stopped.

    Returns the exit code of the last run that had anything to do.
    """
    stop = StopRequest() if stop is None else stop
    last = ExitCode.OK
    with run_lock(queue_path(settings), slot=options.slot):
        while not stop:
            summary = run_locked(settings, options, progress=progress_factory(), stop=stop)
            if summary.run_id is not None:
                last = summary.exit_code
                on_summary(summary)
            if stop:
                break
            stop.event.wait(interval_s)
    return last
