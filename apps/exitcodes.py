"""The one table of exit codes of every ``reservrobot`` command (people, scripts, schedulers).

75 is ``EX_TEMPFAIL`` from sysexits.h: "try again later", which is what a scheduler should do
when an earlier run still holds the queue, or another entry point holds a person's lease.
"""

from __future__ import annotations

from enum import IntEnum

from flows.rules.outcome import OutcomeKind


class ExitCode(IntEnum):
    OK = 0  # registered / already registered / every touched item done
    SOME_FAILED = 1  # a technical failure (after retries), or a check that failed
    NEEDS_PERSON = 2  # a person must decide or act (and nothing failed)
    INVALID_INPUT = 3  # the input, a file or an option is wrong: nothing was done
    STORE_BROKEN = 4  # the queue / coordination store cannot be read or is damaged
    LOCKED = 75  # another run holds the queue's lock: nothing was done


EXIT_BY_KIND: dict[OutcomeKind, ExitCode] = {
    OutcomeKind.REGISTERED: ExitCode.OK,
    OutcomeKind.ALREADY_REGISTERED: ExitCode.OK,
    OutcomeKind.NEEDS_PERSON: ExitCode.NEEDS_PERSON,
    OutcomeKind.FAILED: ExitCode.SOME_FAILED,
}


def outcome_exit_code(kind: OutcomeKind) -> ExitCode:
    """The exit code of one request's outcome."""
    return EXIT_BY_KIND[kind]
