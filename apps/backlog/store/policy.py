"""The one rule from an outcome to a queue status: done, needs a person, retry later, failed.

Business problems go straight to a person (retrying cannot help). Technical failures are
retried with exponential backoff between attempts (the robot already retried each step within
the attempt), up to ``max_attempts`` attempts; then the item is failed and waits for
``reservrobot backlog retry``. The backlog worker and the attended app both use this rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.backlog.store.status import ItemStatus
from flows.rules.outcome import OutcomeKind


@dataclass(frozen=True)
class RetryPlan:
    max_attempts: int = 3
    base_s: float = 30.0
    max_s: float = 600.0

    def delay(self, attempts: int) -> timedelta:
        """Wait before attempt ``attempts + 1`` (attempts >= 1): base, 2*base, 4*base, ..."""
        return timedelta(seconds=min(self.max_s, self.base_s * 2 ** max(attempts - 1, 0)))


@dataclass(frozen=True)
class Next:
    status: ItemStatus
    attempts: int
    not_before: datetime | None = None


def next_status(kind: OutcomeKind, *, attempts: int, plan: RetryPlan, now: datetime) -> Next:
    """The item's next state after an attempt that ended in ``kind``.

    ``attempts`` counts the failed attempts before this one.
    """
    if kind in (OutcomeKind.REGISTERED, OutcomeKind.ALREADY_REGISTERED):
        return Next(ItemStatus.DONE, attempts)
    if kind is OutcomeKind.NEEDS_PERSON:
        return Next(ItemStatus.NEEDS_PERSON, attempts)
    failed = attempts + 1
    if failed >= plan.max_attempts:
        return Next(ItemStatus.FAILED, failed)
    return Next(ItemStatus.PENDING, failed, now + plan.delay(failed))
