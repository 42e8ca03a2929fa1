"""``backlog run``: take the queue's run lock, start worker processes, follow them, summarise.

The run process itself drives no browser. It recovers items left in progress by dead workers,
starts N worker processes (multiprocessing, spawn; each owns one browser), shows progress from
the queue, replaces a worker that dies (its item goes back to pending and is resumed safely:
the robot searches first and keeps a durable record of a created reservnummer), and stops
cleanly on Ctrl+C or SIGTERM: workers finish their current item, then exit; a second Ctrl+C
terminates them at once (their items are recovered by the next run).

A store outage during the run (``robot.store_outage``) is waited out: the workers wait at their
store calls, and the run's own polling says once that it waits and goes on following its
workers. When the store stays away past ``Settings.store_outage_wait_s`` (a worker exits with
``EXIT_STORE_LOST``, or the run's own polling gives up) the run stops its workers and ends with
exit code 4 and ``RunSummary.store_lost``: how many items it finished before (the workers count
them as they write their outcomes; the store cannot be read then) and where the store was.

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
from typing import Protocol, TypeVar

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
from apps.backlog.worker import EXIT_RUNNER_FAILED, EXIT_STORE_LOST, WorkerConfig, worker_main
from apps.exitcodes import ExitCode
from flows.rules.vocabulary import decimal_sv
from robot.errors import StoreError
from robot.logs import get_logger
from robot.settings import Settings
from robot.store_outage import StoreLost, StoreOutage, is_outage

log = get_logger(__name__)

POLL_S = 0.3

T = TypeVar("T")


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
    # The store went away for longer than store_outage_wait_s: where it was (file, or database
    # and host: never a password), and how many items the run had finished before.
    store_lost: str | None = None
    finished_before_loss: int = 0

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
            "store_lost": self.store_lost is not None,
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
        store.expire_workers()  # workers that died without signing off, old rows
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
        try:
            store.end_run(run_id, exit_code=int(summary.exit_code), summary=summary.as_dict())
        except StoreError:
            if summary.store_lost is None:
                raise
            # Still away: the run stays open in the store; its items are recovered next time.
            log.event("run_end_not_written", level=logging.WARNING, run_id=run_id)
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
    finished = ctx.Value("i", 0)  # items whose outcome a worker wrote (see Worker.finished)
    procs: dict[int, BaseProcess] = {}
    serial = 0
    failures = 0
    runner_failed = False
    lost = False
    max_restarts = (
        options.max_restarts if options.max_restarts is not None else 2 * options.workers + 3
    )
    limit = settings.store_outage_wait_s
    outage = StoreOutage(
        limit_s=limit,
        wait=lambda seconds: _wait_unless_killed(stop, seconds),
        on_down=lambda exc: progress.message(
            f"Databasen {store.db.where} går inte att nå just nu. Roboten väntar upp till "
            f"{limit:g} s på att den kommer tillbaka; pågående ärenden fortsätter sedan."
        ),
        on_back=lambda waited: progress.message(
            f"Databasen svarar igen efter {decimal_sv(waited)} s; körningen fortsätter."
        ),
    )

    def lose() -> None:
        nonlocal lost
        if not lost:
            lost = True
            stop_event.set()  # the workers leave what they hold as the store has it

    def poll(call: Callable[[], T]) -> T | None:
        """One store call of the run's loop, which must not block while workers run: None
        while the store is away (said once), and the run is lost past the limit."""
        if lost:
            return None
        try:
            result = call()
        except StoreError as exc:
            if not is_outage(exc):
                raise
            try:
                outage.failed(exc)
            except StoreLost:
                lose()
            return None
        outage.succeeded()
        return result

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
            target=worker_main,
            args=(config, stop_event, budget, finished),
            name=config.name,
            daemon=False,
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
                if proc.exitcode == EXIT_STORE_LOST:
                    lose()  # the store stayed away past the limit for this worker
                    continue
                failures += 1
                if proc.exitcode == EXIT_RUNNER_FAILED:
                    runner_failed = True
                    progress.message(
                        "En arbetsprocess kunde inte starta webbläsaren eller logga in."
                    )
                    continue
                poll(lambda: _recover(store, options))
                if stop or lost or failures > max_restarts:
                    continue
                due = poll(lambda: _due_count(store, options.wait_for_retries_s, options))
                if due is not None and due != (0, False):
                    progress.message(
                        f"En arbetsprocess avslutades oväntat (kod {proc.exitcode});"
                        " ärendet återupptas."
                    )
                    spawn()
            counts = poll(lambda: _run_counts(store, run_id))
            if counts is not None:
                by_status = counts
                progress.update(by_status, settled_count(by_status))
    finally:
        stop_event.set()
        for proc in procs.values():
            proc.join(timeout=30)
            if proc.exitcode is None:
                proc.terminate()
                proc.join(timeout=5)
        progress.stop()
    if not lost:
        try:
            # The last reads ride the outage out (a run ends with its true counts).
            if killed:
                outage.call(lambda: _recover(store, options))
            by_status = outage.call(lambda: _run_counts(store, run_id))
            if failures and not stop and outage.call(lambda: _due_count(store, 0))[0]:
                runner_failed = True  # workers kept dying while work was left: say so
        except StoreLost:
            lost = True
    summary = RunSummary(
        run_id=run_id,
        by_status=by_status,
        recovered=[],
        duration_s=0.0,
        exit_code=exit_code_for(by_status, runner_failed=runner_failed),
        stopped=bool(stop),
        worker_failures=failures,
        runner_failed=runner_failed,
    )
    if lost:
        summary.exit_code = ExitCode.STORE_BROKEN
        summary.store_lost = store.db.where
        summary.finished_before_loss = finished.value
        log.event("run_store_lost", level=logging.WARNING, finished=finished.value)
    return summary


def _wait_unless_killed(stop: StopRequest, seconds: float) -> bool:
    """The run's pause in an outage: a first Ctrl+C lets it finish (and so wait); a second
    ends the wait."""
    if stop.requested > 1:
        return True
    time.sleep(seconds)
    return stop.requested > 1


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
    """Run again and again, ``interval_s`` apart, holding the lock throughout, until stopped
    (or until a run lost its store).

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
            if stop or summary.store_lost is not None:
                break  # store lost: exit 4, and a service manager starts the watch again
            stop.event.wait(interval_s)
    return last
