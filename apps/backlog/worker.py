"""One worker process: claims items one at a time and runs each through its own ``Runner``.

A worker is started by ``apps.backlog.run`` (multiprocessing, spawn) and owns one browser
(one ``flows.runner.Runner``), started when it takes its first item. It stops when nothing is
due (or nothing becomes due within the run's wait horizon), when its machine is drained, when
the run asks it to stop (Ctrl+C in the terminal, SIGTERM from a service manager) or when its
run process is gone.

Signals and process tree: a worker moves to its own session, so a Ctrl+C in the terminal
reaches only the run process, which then lets each worker finish its current item. It also
asks the kernel to kill it when the run process dies (Linux ``PR_SET_PDEATHSIG``; elsewhere a
watchdog thread does the same), so killing the run's process group, even with SIGKILL, takes
the workers with it, and each worker's browser exits when its Playwright pipe closes. SIGTERM
to a worker itself means "stop after the current item".

Every step event of the robot becomes an audit entry and refreshes the item's heartbeat; a
background thread of the claim keeps it fresh during long steps as well.

A store outage (``robot.store_outage``) is waited out at every store call of the loop, the
write-back of a finished item's outcome included, for up to ``Settings.store_outage_wait_s``;
past that (or when the run asks it to stop meanwhile) the worker leaves the item as the store
has it and exits with ``EXIT_STORE_LOST``, never with a traceback. Each item whose outcome was
written counts in the run's ``finished`` counter, so the run can say what was finished before
the store went away (it cannot read the store then).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar

from apps.backlog.store import (
    Claim,
    DatabaseQueueStore,
    ItemStatus,
    MachineMode,
    QueueWorker,
    RetryPlan,
    WorkerIdentity,
    failed_outcome,
    open_store,
    utcnow,
)
from flows.rules.outcome import Outcome, OutcomeKind, StepEvent, reason_sv
from flows.runner import Runner
from robot.actor import os_user
from robot.audit import AuditLog
from robot.logs import get_logger
from robot.settings import Settings
from robot.store_outage import StoreLost, StoreOutage

log = get_logger(__name__)

T = TypeVar("T")

EXIT_RUNNER_FAILED = 3  # the worker could not start its browser / log in
EXIT_STORE_LOST = 4  # the store stayed away longer than store_outage_wait_s
RUNNER_FAILED_SV = "Roboten kunde inte starta webbläsaren eller logga in."


class _Lock(Protocol):
    def __enter__(self) -> object: ...
    def __exit__(self, *exc: object) -> object: ...


class Budget(Protocol):
    """A shared item counter (multiprocessing ``Value('i')``); -1 means no limit."""

    value: int

    def get_lock(self) -> _Lock: ...


class _Counter:
    """A counter of this worker alone (a worker used in-process, without a run)."""

    value = 0

    def get_lock(self) -> _Lock:
        return contextlib.nullcontext()


class StopFlag(Protocol):
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs, picklable for spawn."""

    settings: Settings
    run_id: int
    name: str
    machine: str
    parent_pid: int
    retry: RetryPlan
    wait_for_retries_s: float
    stale_after_s: float = 900.0
    beat_s: float = 10.0
    max_claims: int | None = None


def actor_name(worker: str) -> str:
    """How the robot appears in the audit log: ``robot:<os user>@<host>/<worker>``."""
    return f"robot:{os_user()}@{socket.gethostname()}/{worker}"


class Worker:
    """The loop of one worker process (also usable in-process, e.g. for a single worker)."""

    def __init__(
        self,
        config: WorkerConfig,
        *,
        stop: StopFlag,
        budget: Budget,
        finished: Budget | None = None,
    ) -> None:
        """``finished`` counts the items whose outcome this worker wrote (shared with the run)."""
        self.config = config
        self.stop = stop
        self.budget = budget
        self.finished: Budget = finished if finished is not None else _Counter()
        self.terminating = False
        self.identity = WorkerIdentity.current(config.name, machine=config.machine)
        self.actor = actor_name(config.name)
        self._runner: Runner | None = None
        self.outage = StoreOutage(
            limit_s=config.settings.store_outage_wait_s,
            wait=lambda seconds: self.stop.wait(seconds) or self._should_stop(),
        )

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> int:
        """Work until nothing is due or a stop; 0, ``EXIT_RUNNER_FAILED`` or ``EXIT_STORE_LOST``."""
        store: DatabaseQueueStore | None = None
        audit: AuditLog | None = None
        try:
            opened = self._store(lambda: open_store(self.config.settings))
            store = opened
            audit = self._store(lambda: AuditLog(self.config.settings))
            self._store(lambda: opened.register_worker(self.identity, run_id=self.config.run_id))
            return self._loop(opened, audit)
        except StoreLost as lost:
            # What it held stays as the store has it: the next run recovers it (this process
            # is gone by then), and the robot searches first, so nothing is registered twice.
            log.event(
                "worker_store_lost",
                level=logging.WARNING,
                worker=self.config.name,
                code=lost.cause.code,
                waited_s=round(lost.waited_s, 1),
                stopped=lost.stopped,
            )
            return EXIT_STORE_LOST
        finally:
            self._close_runner()
            if store is not None:
                # One try only: a worker that could not sign off is recognised as gone.
                with contextlib.suppress(Exception):
                    store.stop_worker(self.identity.name)
                store.close()
            if audit is not None:
                audit.close()

    def _store(self, call: Callable[[], T]) -> T:
        """A store call, waited out through an outage (``StoreLost`` past the limit)."""
        return self.outage.call(call)

    def _should_stop(self) -> bool:
        if self.stop.is_set() or self.terminating:
            return True
        return os.getppid() != self.config.parent_pid  # the run process is gone

    def _take_budget(self) -> bool:
        with self.budget.get_lock():
            if self.budget.value == 0:
                return False
            if self.budget.value > 0:
                self.budget.value -= 1
            return True

    def _give_back_budget(self) -> None:
        with self.budget.get_lock():
            if self.budget.value >= 0:
                self.budget.value += 1

    def _loop(self, store: QueueWorker, audit: AuditLog) -> int:
        stale_after = timedelta(seconds=self.config.stale_after_s)
        me = self.identity.name
        while not self._should_stop():
            mode = self._store(lambda: store.machine_mode(self.config.machine))
            if mode is MachineMode.DRAINING:
                log.event("worker_drained", worker=self.config.name)
                return 0
            if mode is MachineMode.PAUSED:
                self._store(lambda: store.beat_worker(me, item_id=None))
                self.stop.wait(1.0)
                continue
            if not self._take_budget():
                return 0
            try:
                claim = store.claim(
                    self.identity,
                    plan=self.config.retry,
                    actor=self.actor,
                    run_id=self.config.run_id,
                    beat_s=self.config.beat_s,
                    ride_out=self.outage.call,
                )
            except StoreLost:
                self._give_back_budget()
                raise
            if claim is None:
                self._give_back_budget()
                if self._store(
                    lambda: store.recover_interrupted(
                        stale_after=stale_after, actor=self.actor, max_claims=self.config.max_claims
                    )
                ):
                    continue
                if not self._wait_for_work(store, stale_after):
                    return 0
                continue
            self._store(functools.partial(store.beat_worker, me, item_id=claim.item.id))
            if self._runner is None:
                try:
                    self._start_runner()
                except Exception as exc:
                    log.exception("runner_start_failed", worker=self.config.name)
                    with claim:
                        claim.settle(
                            failed_outcome(
                                str(getattr(exc, "code", None) or "runner_start_failed"),
                                RUNNER_FAILED_SV,
                            )
                        )
                    self._audit_outcome(audit, claim)
                    return EXIT_RUNNER_FAILED
            self._process(store, audit, claim)
            self._store(lambda: store.beat_worker(me, item_id=None, finished_one=True))
        return 0

    def _wait_for_work(self, store: QueueWorker, stale_after: timedelta) -> bool:
        """Wait a little when a retry, or a takeover of a silent worker's item, is near."""
        moments = [
            self._store(store.next_due),
            self._store(
                lambda: store.next_takeover(stale_after=stale_after, quiet_s=3 * self.config.beat_s)
            ),
        ]
        due = min((m for m in moments if m is not None), default=None)
        if due is None:
            return False
        wait = (due - utcnow()).total_seconds()
        if wait > self.config.wait_for_retries_s:
            return False
        self._store(lambda: store.beat_worker(self.identity.name, item_id=None))
        self.stop.wait(min(max(wait, 0.05), 1.0))
        return True

    # -- the browser ----------------------------------------------------------------------

    def _start_runner(self) -> None:
        runner = Runner(self.config.settings, role="ärendekön")
        runner.__enter__()
        self._runner = runner

    def _close_runner(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            try:
                runner.__exit__(None, None, None)
            except Exception:
                log.event("runner_close_failed", level=logging.WARNING, worker=self.config.name)

    # -- one item -------------------------------------------------------------------------

    def _process(self, store: QueueWorker, audit: AuditLog, claim: Claim) -> None:
        item = claim.item
        runner = self._runner
        assert runner is not None

        def on_step(event: StepEvent) -> None:
            try:
                audit.step(self.actor, item.ref, event)
                store.heartbeat(item.id, self.identity.name)
            except Exception:  # bookkeeping must never break a registration
                log.event("audit_step_failed", level=logging.WARNING, item=item.id)

        with claim:
            if claim.request is None:
                claim.settle(
                    Outcome(
                        kind=OutcomeKind.NEEDS_PERSON,
                        reason_code="request_invalid",
                        reason_sv=reason_sv("request_invalid"),
                    )
                )
            else:
                claim.settle(
                    runner.register(claim.request, decisions=list(item.decisions), on_step=on_step)
                )
        if claim.error is not None:
            # Runner promises not to raise; it did, so the browser may be broken: start anew.
            self._close_runner()
        self._count_finished(claim)
        self._audit_outcome(audit, claim)

    def _count_finished(self, claim: Claim) -> None:
        """Count an item whose outcome was written and that is finished for this run (not
        waiting for a retry) in the run's ``finished`` counter."""
        if claim.kept and claim.next is not None and claim.next.status is not ItemStatus.PENDING:
            with self.finished.get_lock():
                self.finished.value += 1

    def _audit_outcome(self, audit: AuditLog, claim: Claim) -> None:
        outcome, nxt = claim.outcome, claim.next
        if outcome is None or nxt is None:
            return
        retry = {"retry_at": nxt.not_before.isoformat(timespec="seconds")} if nxt.not_before else {}
        try:
            self._store(
                lambda: audit.outcome(
                    self.actor,
                    claim.item.ref,
                    outcome.kind,
                    reason=outcome.reason_code,
                    patient_id=outcome.patient_id,
                    via="queue",
                    status=str(nxt.status),
                    attempts=nxt.attempts,
                    **retry,
                )
            )
        except StoreLost:
            raise
        except Exception:
            log.event("audit_outcome_failed", level=logging.WARNING, item=claim.item.id)
        log.event(
            "item_finished",
            item=claim.item.id,
            status=str(nxt.status),
            reason=outcome.reason_code,
            attempts=nxt.attempts,
            duration_s=outcome.duration_s,
        )


def die_with_parent(parent_pid: int) -> None:
    """Make the kernel kill this process when ``parent_pid`` (the run) dies, however it dies.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``. Elsewhere a watchdog thread polls the parent.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    else:

        def watch() -> None:
            while os.getppid() == parent_pid:
                threading.Event().wait(0.5)
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
    if os.getppid() != parent_pid:  # the run died before we could ask
        os._exit(1)


def worker_main(
    config: WorkerConfig, stop: StopFlag, budget: Budget, finished: Budget | None = None
) -> None:
    """Entry point of a spawned worker process (exit code: 0, ``EXIT_RUNNER_FAILED`` or
    ``EXIT_STORE_LOST``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "setsid"):
        with contextlib.suppress(OSError):
            os.setsid()  # leave the terminal's process group: Ctrl+C goes to the run only
    die_with_parent(config.parent_pid)
    worker = Worker(config, stop=stop, budget=budget, finished=finished)

    def _terminate(signum: int, frame: object) -> None:
        worker.terminating = True

    signal.signal(signal.SIGTERM, _terminate)
    _configure_logging(config.settings)
    raise SystemExit(worker.run())


def _configure_logging(settings: Settings) -> None:
    from robot.logs import configure_logging

    # On a terminal the events go to the log file only: JSON lines would break the run's
    # progress bar (the run itself shows warnings). Under a scheduler: JSON on stderr.
    if sys.stderr.isatty():
        configure_logging(settings, json=True, to_file=True, stderr_level=logging.CRITICAL + 1)
    else:
        configure_logging(settings, json=True)
