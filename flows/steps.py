"""Step progress of one request: live events for the caller, timings for the outcome, logs.

Each step ("search_pmo", "create_rns", ...) reports ``started`` and then ``done``, ``failed`` or
``skipped`` (a step a rerun did not need). ``elapsed_s`` is the step's own duration. The log
line carries the pseudonymous reference of the request, never a name or a number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from flows.rules.outcome import StepEvent
from flows.rules.vocabulary import step_label_sv
from robot.logs import get_logger

_log = get_logger(__name__)

StepStatus = Literal["started", "done", "skipped", "failed"]


class StepTracker:
    """Collects the steps of one request and tells ``on_step`` about each change."""

    def __init__(self, *, ref: str, on_step: Callable[[StepEvent], None] | None = None) -> None:
        self.ref = ref
        self._on_step = on_step
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
        """Time the block as step ``key``: started, then done (or failed on an exception)."""
        start = time.perf_counter()
        self._emit(key, "started", 0.0)
        try:
            yield
        except BaseException as exc:
            self._emit(key, "failed", time.perf_counter() - start, error=exc)
            raise
        self._emit(key, "done", time.perf_counter() - start)

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
        event = StepEvent(
            step=key,
            label_sv=f"{label} ({detail_sv})" if detail_sv else label,
            status=status,
            elapsed_s=round(elapsed, 4),
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
