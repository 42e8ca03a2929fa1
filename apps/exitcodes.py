"""The one table of exit codes of every ``reservrobot`` command (people, scripts, schedulers),
each with the Swedish words staff read for it (a run's result in the report and the app).

75 is ``EX_TEMPFAIL`` from sysexits.h: "try again later", which is what a scheduler should do
when an earlier run still holds the queue, or another entry point holds a person's lease.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Self

from flows.rules.outcome import OutcomeKind


class ExitCode(IntEnum):
    """An exit code and ``label_sv``, what it means to staff."""

    label_sv: str

    def __new__(cls, value: int, label_sv: str) -> Self:
        member = int.__new__(cls, value)
        member._value_ = value
        member.label_sv = label_sv
        return member

    # registered / already registered / every touched item done
    OK = 0, "Allt klart"
    # a technical failure (after retries), or a check that failed
    SOME_FAILED = 1, "Några misslyckades"
    # a person must decide or act (and nothing failed)
    NEEDS_PERSON = 2, "Några behöver en person"
    # the input, a file or an option is wrong: nothing was done
    INVALID_INPUT = 3, "Ogiltig indata"
    # the queue / coordination store cannot be read or is damaged
    STORE_BROKEN = 4, "Ärendekön kunde inte läsas"
    # `sweep`: some birth dates could not be read (they are named)
    SWEEP_INCOMPLETE = 5, "Några datum kunde inte kontrolleras"
    # `sweep`: a duplicate, an orphan number or a mismatch was found (an alias of 1)
    ANOMALIES_FOUND = 1, "Avvikelser hittades"
    # another run holds the queue's lock: nothing was done
    LOCKED = 75, "En annan körning pågick"


def exit_label_sv(code: int) -> str:
    """What exit code ``code`` means to staff; a code outside the table by its number."""
    known = _BY_CODE.get(code)
    return known.label_sv if known is not None else f"Slutkod {code}"


_BY_CODE: dict[int, ExitCode] = {int(member): member for member in ExitCode}


EXIT_BY_KIND: dict[OutcomeKind, ExitCode] = {
    OutcomeKind.REGISTERED: ExitCode.OK,
    OutcomeKind.ALREADY_REGISTERED: ExitCode.OK,
    OutcomeKind.NEEDS_PERSON: ExitCode.NEEDS_PERSON,
    OutcomeKind.FAILED: ExitCode.SOME_FAILED,
}


def outcome_exit_code(kind: OutcomeKind) -> ExitCode:
    """The exit code of one request's outcome."""
    return EXIT_BY_KIND[kind]
