"""A wall clock that QA can move forward: session idle timeouts testable without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SiteClock:
    """``time.time()`` plus an offset that only ``/_mock/clock`` changes."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def now(self) -> float:
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        self.offset_s += seconds

    def iso_now(self) -> str:
        return datetime.fromtimestamp(self.now(), UTC).isoformat(timespec="seconds")
