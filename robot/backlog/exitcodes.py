"""Exit codes of ``reservrobot backlog ...``, for schedulers (cron, systemd, Task Scheduler).

75 is ``EX_TEMPFAIL`` from sysexits.h: "try again later", which is what a scheduler should do
when an earlier run still holds the queue.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0                # every item this run touched is done (or there was nothing to do)
    SOME_FAILED = 1       # some items failed (technical errors) or are waiting for a retry
    NEEDS_PERSON = 2      # some items need a person (and none failed)
    INVALID_INPUT = 3     # the import file could not be read, or options are wrong
    LOCKED = 75           # another run holds the queue's lock: nothing was done
