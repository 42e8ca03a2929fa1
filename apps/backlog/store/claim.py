"""An item held by a worker, as a context manager that settles its own outcome.

Modelled on robocorp workitems' ``Input.__exit__``::

    claim = store.claim(worker, plan=plan, actor=actor)
    with claim:
        claim.settle(runner.register(claim.request, decisions=claim.item.decisions))

Inside the block a background thread keeps the item's heartbeat fresh, so another machine
never takes over an item whose holder is alive but busy in a long step. Leaving the block
without a settled outcome settles one: an exception becomes a failed attempt (retried by the
one rule in ``policy.next_status``) and is swallowed after being logged, so the worker goes on
with the next item; a stop (KeyboardInterrupt, SystemExit) gives the item back to pending
without counting an attempt, and propagates.

Writing the outcome back must not be lost to a short store outage: the store calls of the
claim (the outcome, the release) go through ``ride_out`` (the worker's
``robot.store_outage.StoreOutage.call``), which waits the outage out and raises ``StoreLost``
when it lasts too long; the item then stays as the store has it (in progress, recovered later:
the robot searches first, and its journal and lease fence keep a second number from being made).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol, TypeVar

from apps.backlog.store.identity import WorkerIdentity
from apps.backlog.store.model import QueueItem
from apps.backlog.store.policy import Next, RetryPlan, next_status
from apps.backlog.store.rows import utcnow
from apps.backlog.store.status import ItemStatus
from flows.rules.outcome import Outcome, OutcomeKind
from flows.rules.request import RegistrationRequest
from robot.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")

UNEXPECTED_SV = "Oväntat tekniskt fel i roboten."


class RideOut(Protocol):
    """Calls a store operation through an outage (``StoreOutage.call``)."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


def call_directly(fn: Callable[[], T], /) -> T:
    """No riding out: the call as it is (tools and tests that want the error at once)."""
    return fn()


class _Settles(Protocol):
    def finish(
        self,
        item_id: int,
        outcome: Outcome,
        *,
        status: ItemStatus,
        attempts: int | None = ...,
        not_before: datetime | None = ...,
        worker: str | None = ...,
        actor: str = ...,
    ) -> bool: ...
    def heartbeat(self, item_id: int, worker: str | None = None) -> bool: ...
    def release(self, item_id: int, *, worker: str, reason: str, actor: str) -> bool: ...


def failed_outcome(code: str, text: str = UNEXPECTED_SV, *, duration_s: float = 0) -> Outcome:
    return Outcome(kind=OutcomeKind.FAILED, reason_code=code, reason_sv=text, duration_s=duration_s)


class Claim:
    """One claimed item. Settle it once with ``settle``; ``__exit__`` settles what is left."""

    def __init__(
        self,
        store: _Settles,
        item: QueueItem,
        worker: WorkerIdentity,
        *,
        plan: RetryPlan,
        actor: str,
        beat_s: float | None = None,
        ride_out: RideOut = call_directly,
    ) -> None:
        self.store = store
        self.ride_out = ride_out
        self.item = item
        self.worker = worker
        self.plan = plan
        self.actor = actor
        self.beat_s = beat_s
        self.outcome: Outcome | None = None
        self.next: Next | None = None
        self.kept = False  # True when the outcome was written (the item was still ours)
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._beats: threading.Thread | None = None

    @property
    def request(self) -> RegistrationRequest | None:
        return self.item.request

    @property
    def settled(self) -> bool:
        return self.outcome is not None

    def settle(self, outcome: Outcome) -> Next:
        """Write ``outcome`` and the status the one rule gives it; once per claim."""
        if self.outcome is not None:
            raise RuntimeError(f"item {self.item.id} is settled already")
        nxt = next_status(outcome.kind, attempts=self.item.attempts, plan=self.plan, now=utcnow())
        self.outcome, self.next = outcome, nxt
        self.kept = self.ride_out(
            lambda: self.store.finish(
                self.item.id,
                outcome,
                status=nxt.status,
                attempts=nxt.attempts,
                not_before=nxt.not_before,
                worker=self.worker.name,
                actor=self.actor,
            )
        )
        if not self.kept:
            log.event(
                "item_taken_over", level=logging.WARNING, item=self.item.id, worker=self.worker.name
            )
        return nxt

    # -- the context ------------------------------------------------------------------------

    def __enter__(self) -> Claim:
        if self.beat_s:
            self._beats = threading.Thread(
                target=self._beat, name=f"heartbeat-{self.item.id}", daemon=True
            )
            self._beats.start()
        return self

    def _beat(self) -> None:
        assert self.beat_s
        while not self._stop.wait(self.beat_s):
            try:
                if not self.store.heartbeat(self.item.id, self.worker.name):
                    return  # taken over: nothing more to keep alive
            except Exception:  # a missed beat is not fatal; the next one may get through
                log.event("heartbeat_failed", level=logging.WARNING, item=self.item.id)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._stop.set()
        if self._beats is not None:
            self._beats.join(timeout=5)
        if self.settled:
            return False
        if exc is not None and not isinstance(exc, Exception):
            self.ride_out(
                lambda: self.store.release(
                    self.item.id, worker=self.worker.name, reason="worker_stopped", actor=self.actor
                )
            )
            return False
        if isinstance(exc, Exception):
            self.error = exc
            log.event(
                "claim_raised",
                level=logging.ERROR,
                item=self.item.id,
                error=type(exc).__name__,
                code=getattr(exc, "code", None),
            )
            code = str(getattr(exc, "code", None) or "unexpected_error")
            self.settle(failed_outcome(code))
            return True
        self.settle(failed_outcome("not_settled"))
        return False
