"""Riding out a store outage: wait with bounded backoff until the store answers again.

A store out of reach or busy (a PostgreSQL restart or failover, a network blip, a SQLite file
held by a backup) is usually back within seconds or minutes. A long-running process (a backlog
worker, a run) waits for it instead of failing, or crashing, at its next store call::

    outage = StoreOutage(limit_s=settings.store_outage_wait_s, wait=stop.wait)
    mode = outage.call(lambda: store.machine_mode(machine))  # StoreLost once past the limit

``call`` repeats the call, pausing 0.5 s doubling to ``MAX_PAUSE_S`` in between (with jitter,
``robot.retry.RetryPolicy``), until it succeeds or the outage has lasted ``limit_s``; ``wait``
is the caller's stop flag's wait (``Event.wait``: true when a stop was asked), so a stop ends
the wait early. Either way ``StoreLost`` is raised. A process that must not block (the run's
supervisor, which also watches its workers) reports each failed call with ``failed`` and each
good one with ``succeeded`` instead.

Only errors that mean "out of reach or busy" (``OUTAGE_CODES``) are waited out; a refusal
(missing rights), a damaged or too new store, a key mismatch or a broken constraint will not
heal by waiting and pass straight through. One warning event per outage (``store_outage``, with
the store's own message: file or host, never a password) and one when it is over
(``store_back``, with the seconds it lasted). One instance serves one thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from robot.errors import ConstraintViolation, StoreError
from robot.logs import get_logger
from robot.retry import RetryPolicy

T = TypeVar("T")

_log = get_logger(__name__)

# The codes of a store that is out of reach or busy for now (robot/db_sqlite.py,
# robot/db_postgres.py): worth waiting for. Every other store error is final.
OUTAGE_CODES = frozenset({"store_unavailable", "store_busy"})

FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 8.0


def is_outage(exc: BaseException) -> bool:
    """True for a store error that waiting can heal (out of reach, busy)."""
    return (
        isinstance(exc, StoreError)
        and not isinstance(exc, ConstraintViolation | StoreLost)
        and exc.code in OUTAGE_CODES
    )


class StoreLost(StoreError):
    """The store stayed out of reach for ``store_outage_wait_s`` (or a stop ended the wait).

    ``cause`` is the last error the store gave (its message names the file or host);
    ``waited_s`` how long the outage had lasted; ``stopped`` whether a stop ended the wait.
    """

    default_code = "store_lost"

    def __init__(self, cause: StoreError, *, waited_s: float, stopped: bool = False) -> None:
        why = "väntan avbröts" if stopped else f"ingen kontakt på {waited_s:.0f} s"
        super().__init__(f"{cause.message} ({why})")
        self.cause = cause
        self.waited_s = waited_s
        self.stopped = stopped


class StoreOutage:
    """One process's (one thread's) view of store outages; see the module docstring."""

    def __init__(
        self,
        *,
        limit_s: float,
        wait: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_down: Callable[[StoreError], None] | None = None,
        on_back: Callable[[float], None] | None = None,
        first_pause_s: float = FIRST_PAUSE_S,
        max_pause_s: float = MAX_PAUSE_S,
    ) -> None:
        """``wait(seconds)`` pauses and returns true when a stop was asked (default: sleep,
        never stopped); ``on_down``/``on_back`` are told when an outage begins and ends
        (seconds it lasted), e.g. to show it to a person."""
        self.limit_s = limit_s
        self._wait = wait or _sleep
        self._clock = clock
        self._on_down = on_down
        self._on_back = on_back
        self._backoff = RetryPolicy(base_s=first_pause_s, max_s=max_pause_s)
        self._since: float | None = None

    @property
    def down(self) -> bool:
        """True while an outage is going on (a call failed and none has succeeded since)."""
        return self._since is not None

    @property
    def down_s(self) -> float:
        """How long the current outage has lasted (0 when none)."""
        return 0.0 if self._since is None else self._clock() - self._since

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()``, repeated through an outage; ``StoreLost`` past the limit or on a stop."""
        pause = 0
        while True:
            try:
                result = fn()
            except StoreError as exc:
                if not is_outage(exc):
                    raise
                self.failed(exc)
                pause += 1
                left = self.limit_s - self.down_s
                if self._wait(max(0.0, min(self._backoff.delay(pause), left))):
                    raise StoreLost(exc, waited_s=self.down_s, stopped=True) from exc
                continue
            self.succeeded()
            return result

    def failed(self, exc: StoreError) -> None:
        """A call failed with an outage error: start the outage's clock (and say so once);
        ``StoreLost`` once it has lasted ``limit_s``."""
        if self._since is None:
            self._since = self._clock()
            _log.event(
                "store_outage",
                level=logging.WARNING,
                code=exc.code,
                detail=exc.message,
                limit_s=self.limit_s,
            )
            if self._on_down is not None:
                self._on_down(exc)
        waited = self.down_s
        if waited >= self.limit_s:
            raise StoreLost(exc, waited_s=waited) from exc

    def succeeded(self) -> None:
        """A call went through: an outage going on is over."""
        if self._since is None:
            return
        waited, self._since = self.down_s, None
        _log.event("store_back", level=logging.WARNING, down_s=round(waited, 1))
        if self._on_back is not None:
            self._on_back(waited)


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False
