"""What an outcome means for a queue item: done, needs a person, retry later, or failed.

Business problems go straight to a person (retrying cannot help). Technical failures are
retried with exponential backoff between runs' attempts (the robot already retried each step
within the attempt), up to ``max_attempts`` attempts; then the item is failed and waits for
``reservrobot backlog retry``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.backlog.store import ItemStatus


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


def next_status(kind: str, *, attempts: int, plan: RetryPlan, now: datetime) -> Next:
    """The item's next state after an attempt that ended in ``kind`` (an ``OutcomeKind``).

    ``attempts`` counts the failed attempts before this one.
    """
    if kind in ("registered", "already_registered"):
        return Next(ItemStatus.DONE, attempts)
    if kind == "needs_person":
        return Next(ItemStatus.NEEDS_PERSON, attempts)
    failed = attempts + 1
    if failed >= plan.max_attempts:
        return Next(ItemStatus.FAILED, failed)
    return Next(ItemStatus.PENDING, failed, now + plan.delay(failed))
