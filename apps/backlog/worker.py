"""One worker process: claims items one at a time and runs each through its own ``Runner``.

A worker is started by ``apps.backlog.run`` (multiprocessing, spawn) and owns one browser
(one ``flows.runner.Runner``), started when it takes its first item. It stops when nothing is
due (or nothing becomes due within the run's wait horizon), when the run asks it to stop
(Ctrl+C in the terminal, SIGTERM from a service manager) or when its run process is gone.

Signals: on POSIX a worker moves to its own session, so a Ctrl+C in the terminal reaches only
the run process, which then lets each worker finish its current item. SIGTERM to a worker
itself also means "stop after the current item".

Every step event of the robot becomes an audit entry, and refreshes the item's heartbeat.
"""

from __future__ import annotations

import contextlib
import getpass
import importlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from apps.backlog.policy import RetryPlan, next_status
from apps.backlog.store import QueueItem, SqliteQueueStore, WorkerIdentity, utcnow
from robot.logs import get_logger
from robot.settings import Settings

if TYPE_CHECKING:
    from apps.audit.log import AuditLog

log = get_logger(__name__)

# Which system each of the robot's steps acts in (for the audit log).
STEP_SYSTEM = {
    "search_pmo": "pmo",
    "register_pmo": "pmo",
    "verify": "pmo",
    "open_patient": "pmo",
    "change_pmo": "pmo",
    "search_rns": "rns",
    "create_rns": "rns",
}

EXIT_RUNNER_FAILED = 3  # the worker could not start its browser / log in


class Budget(Protocol):
    """A shared item counter (multiprocessing ``Value('i')``); -1 means no limit."""

    value: int

    def get_lock(self) -> Any: ...


class StopFlag(Protocol):
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs, picklable for spawn."""

    settings: Settings
    queue_file: Path
    run_id: int
    name: str
    parent_pid: int
    retry: RetryPlan
    wait_for_retries_s: float
    runner_factory: str = "flows.runner:Runner"


def actor_name(worker: str) -> str:
    """How the robot appears in the audit log: ``robot:<os user>@<host>/<worker>``."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name on some service accounts
        user = "okänd"
    return f"robot:{user}@{socket.gethostname()}/{worker}"


def _load_factory(path: str) -> Callable[[Settings], Any]:
    module, _, attr = path.partition(":")
    factory: Callable[[Settings], Any] = getattr(importlib.import_module(module), attr)
    return factory


def _failed_outcome(code: str, text: str) -> dict[str, Any]:
    from flows.outcome import Outcome, OutcomeKind

    return Outcome(kind=OutcomeKind.FAILED, reason_code=code, reason_sv=text).model_dump(
        mode="json"
    )


class Worker:
    """The loop of one worker process (also usable in-process, e.g. for a single worker)."""

    def __init__(self, config: WorkerConfig, *, stop: StopFlag, budget: Budget) -> None:
        self.config = config
        self.stop = stop
        self.budget = budget
        self.terminating = False
        self.identity = WorkerIdentity.current(config.name)
        self.actor = actor_name(config.name)
        self._runner_cm: Any = None
        self._runner: Any = None

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> int:
        from apps.audit.log import AuditLog

        store = SqliteQueueStore(self.config.queue_file)
        audit = AuditLog(self.config.settings)
        try:
            return self._loop(store, audit)
        finally:
            self._close_runner()
            store.close()
            audit.close()

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

    def _loop(self, store: SqliteQueueStore, audit: AuditLog) -> int:
        while not self._should_stop():
            if not self._take_budget():
                return 0
            item = store.claim(self.identity, run_id=self.config.run_id)
            if item is None:
                self._give_back_budget()
                due = store.next_due()
                if due is None:
                    return 0
                wait = (due - utcnow()).total_seconds()
                if wait > self.config.wait_for_retries_s:
                    return 0
                self.stop.wait(min(max(wait, 0.05), 1.0))
                continue
            if self._runner is None:
                try:
                    self._start_runner()
                except Exception as exc:
                    log.exception("runner_start_failed", worker=self.config.name)
                    self._record(
                        store,
                        audit,
                        item,
                        _failed_outcome(
                            getattr(exc, "code", "runner_start_failed"),
                            "Roboten kunde inte starta webbläsaren eller logga in.",
                        ),
                    )
                    return EXIT_RUNNER_FAILED
            self._process(store, audit, item)
        return 0

    # -- the browser ----------------------------------------------------------------------

    def _start_runner(self) -> None:
        factory = _load_factory(self.config.runner_factory)
        cm = factory(self.config.settings)
        self._runner = cm.__enter__()
        self._runner_cm = cm

    def _close_runner(self) -> None:
        cm, self._runner_cm, self._runner = self._runner_cm, None, None
        if cm is not None:
            try:
                cm.__exit__(None, None, None)
            except Exception:
                log.event("runner_close_failed", level=logging.WARNING, worker=self.config.name)

    # -- one item -------------------------------------------------------------------------

    def _process(self, store: SqliteQueueStore, audit: AuditLog, item: QueueItem) -> None:
        from flows.outcome import Decision
        from flows.request import RegistrationRequest

        started = time.monotonic()
        try:
            request = RegistrationRequest.model_validate(item.request)
            decisions = [Decision.model_validate(d) for d in item.decisions]
        except ValidationError:
            from flows.outcome import Outcome, OutcomeKind, reason_sv

            outcome = Outcome(
                kind=OutcomeKind.NEEDS_PERSON,
                reason_code="request_invalid",
                reason_sv=reason_sv("request_invalid"),
            ).model_dump(mode="json")
            self._record(store, audit, item, outcome)
            return

        def on_step(event: Any) -> None:
            try:
                audit.append(
                    actor=self.actor,
                    ref=item.ref,
                    system=STEP_SYSTEM.get(event.step, "robot"),
                    step=event.step,
                    result=event.status,
                    detail=f"{event.elapsed_s:.2f} s",
                )
                store.heartbeat(item.id)
            except Exception:  # bookkeeping must never break a registration
                log.event("audit_step_failed", level=logging.WARNING, item=item.id)

        try:
            result = self._runner.register(request, decisions=decisions, on_step=on_step)
            outcome = result.model_dump(mode="json")
        except Exception as exc:
            # Runner promises not to raise; if it does, the browser may be broken: start anew.
            log.exception("runner_raised", item=item.id)
            outcome = _failed_outcome(
                getattr(exc, "code", "unexpected_error"), "Oväntat tekniskt fel i roboten."
            )
            outcome["duration_s"] = round(time.monotonic() - started, 3)
            self._close_runner()
        self._record(store, audit, item, outcome)

    def _record(
        self, store: SqliteQueueStore, audit: AuditLog, item: QueueItem, outcome: dict[str, Any]
    ) -> None:
        nxt = next_status(
            str(outcome.get("kind")), attempts=item.attempts, plan=self.config.retry, now=utcnow()
        )
        kept = store.finish(
            item.id,
            outcome,
            status=nxt.status,
            attempts=nxt.attempts,
            not_before=nxt.not_before,
            worker=self.config.name,
            actor=self.actor,
        )
        if not kept:
            log.event(
                "item_taken_over", level=logging.WARNING, item=item.id, worker=self.config.name
            )
        retry = f"; nytt försök efter {nxt.not_before:%H:%M:%S}" if nxt.not_before else ""
        try:
            audit.append(
                actor=self.actor,
                ref=item.ref,
                system="queue",
                step="outcome",
                result=str(outcome.get("kind")),
                detail=(
                    f"status={nxt.status}; reason={outcome.get('reason_code') or '-'}"
                    f"; attempts={nxt.attempts}{retry}"
                ),
                patient_id=outcome.get("patient_id"),
            )
        except Exception:
            log.event("audit_outcome_failed", level=logging.WARNING, item=item.id)
        log.event(
            "item_finished",
            item=item.id,
            status=str(nxt.status),
            reason=outcome.get("reason_code"),
            attempts=nxt.attempts,
            duration_s=outcome.get("duration_s"),
        )


def worker_main(config: WorkerConfig, stop: StopFlag, budget: Budget) -> None:
    """Entry point of a spawned worker process (exit code: 0, or ``EXIT_RUNNER_FAILED``)."""
    if hasattr(os, "setsid"):
        with contextlib.suppress(OSError):
            os.setsid()  # leave the terminal's process group: Ctrl+C goes to the run only
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = Worker(config, stop=stop, budget=budget)

    def _terminate(signum: int, frame: object) -> None:
        worker.terminating = True

    signal.signal(signal.SIGTERM, _terminate)
    _configure_logging(config.settings)
    raise SystemExit(worker.run())


def _configure_logging(settings: Settings) -> None:
    from robot.logs import configure_logging

    configure_logging(settings, json=True)
