"""Step progress of one request: live events for the caller, timings for the outcome, logs.

Each step ("search_pmo", "create_rns", ...) reports ``started`` and then ``done``, ``failed`` or
``skipped`` (a step a rerun did not need). ``elapsed_s`` is the step's own duration. A retry
of a running step is reported as another ``started`` event with its attempt and a note
("PMO svarar långsamt, försök 2 av 3"). The log line carries the pseudonymous reference of the
request, never a name or a number.

A caller may ask the robot to stop (``should_stop``): the request then ends before the next
step that would search or change something (``STOPPABLE``), never inside a step, so a created
number is always journaled and a saved patient is always verified before it stops.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from flows.rules.outcome import StepEvent
from flows.rules.vocabulary import STOPPED_CODE, retry_note_sv, step_label_sv
from robot.errors import BusinessError
from robot.logs import get_logger

_log = get_logger(__name__)

StepStatus = Literal["started", "done", "skipped", "failed"]

# Steps a stop request is honoured before: each begins a search or a change. The checks after
# a change ("verify") always run, so a stop never leaves a saved patient unchecked.
STOPPABLE = frozenset({"search_pmo", "search_rns", "create_rns", "register_pmo", "change_pmo"})


class StopRequested(BusinessError):
    """A person asked the robot to stop; raised before the next stoppable step starts."""

    default_code = STOPPED_CODE


class StepTracker:
    """Collects the steps of one request and tells ``on_step`` about each change."""

    def __init__(
        self,
        *,
        ref: str,
        on_step: Callable[[StepEvent], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.ref = ref
        self._on_step = on_step
        self._should_stop = should_stop
        self._attempts: dict[str, tuple[int, int, str]] = {}
        self._current: str | None = None  # the step running now, if any
        self.events: list[StepEvent] = []
        self.started_at = time.perf_counter()

    @property
    def finished(self) -> list[StepEvent]:
        """The final event of every step (done, skipped or failed), in order."""
        return [e for e in self.events if e.status != "started"]

    def elapsed(self) -> float:
        return time.perf_counter() - self.started_at

    @contextmanager
    def step(self, key: str) -> Iterator[None]:
        """Time the block as step ``key``: started, then done (or failed on an exception).

        Raises ``StopRequested`` instead of starting a stoppable step a person asked to stop."""
        if key in STOPPABLE and self._should_stop is not None and self._should_stop():
            _log.event("request_stopped", ref=self.ref, before=key)
            raise StopRequested("Stoppad av en person före steget.")
        self._attempts.pop(key, None)
        start = time.perf_counter()
        self._emit(key, "started", 0.0)
        self._current = key
        try:
            yield
        except BaseException as exc:
            self._current = None
            self._emit(key, "failed", time.perf_counter() - start, error=exc)
            raise
        self._current = None
        self._emit(key, "done", time.perf_counter() - start)

    def retrying(self, key: str, attempt: int, max_attempts: int) -> None:
        """Report that ``key`` is tried again (attempt ``attempt`` of ``max_attempts``), as an
        event of the step running now (a retried read inside a step belongs to that step)."""
        step = self._current or key
        self._attempts[step] = (attempt, max_attempts, retry_note_sv(key, attempt, max_attempts))
        self._emit(step, "started", 0.0)

    def skipped(self, key: str) -> None:
        self._emit(key, "skipped", 0.0)

    def started(self, key: str, *, detail_sv: str | None = None) -> float:
        """Report step ``key`` as started (for a step that is not one block); its start time.

        ``detail_sv`` is added to the label in brackets (what the step waits for, say)."""
        self._emit(key, "started", 0.0, detail_sv=detail_sv)
        return time.perf_counter()

    def done(self, key: str, started_at: float) -> None:
        """Report step ``key``, started at ``started_at``, as done."""
        self._emit(key, "done", time.perf_counter() - started_at)

    def failed(self, key: str, started_at: float, error: BaseException) -> None:
        """Report step ``key``, started at ``started_at``, as failed with ``error``."""
        self._emit(key, "failed", time.perf_counter() - started_at, error=error)

    def _emit(
        self,
        key: str,
        status: StepStatus,
        elapsed: float,
        *,
        error: BaseException | None = None,
        detail_sv: str | None = None,
    ) -> None:
        label = step_label_sv(key)
        attempt, max_attempts, note = self._attempts.get(key, (1, 1, ""))
        event = StepEvent(
            step=key,
            label_sv=f"{label} ({detail_sv})" if detail_sv else label,
            status=status,
            elapsed_s=round(elapsed, 4),
            attempt=attempt,
            max_attempts=max_attempts,
            note_sv=note if note and status == "started" else None,
        )
        self.events.append(event)
        if status != "started":
            fields: dict[str, Any] = {
                "step": key,
                "status": status,
                "ref": self.ref,
                "duration_ms": round(elapsed * 1000, 1),
            }
            if error is not None:
                fields["error"] = type(error).__name__
                fields["code"] = getattr(error, "code", None)
            _log.event(f"step_{status}", **fields)
        if self._on_step is not None:
            self._on_step(event)
