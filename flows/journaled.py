"""What the journal keeps of a request's reservnummer, and how a protected person's is found again.

The number step's data (``flows.register.JOURNAL_NUMBER``) is ``{"value": <number>, "reused":
bool}``: a clerk who finishes a failed registration by hand needs that number. A protected
person's number must never be in the shared store in clear (a PostgreSQL table and its
write-ahead log keep what was written, deleted or not), so for ``request.protected`` the data is
``{"keyed": <hash>, "reused": bool}``: the pseudonym HMAC (``StepJournal.keyed_value``) of the
number without hyphen and in capitals (``canonical_number``), so that one hash names the number
as Reservnummersystemet shows it and as PMO keeps it. The saved step's Patient-ID is kept the
same way.

A rerun finds a keyed number again among what the searches show (``number_of``): the hit whose
keyed number is the recorded one is the number. None of them: the number cannot be found, and a
person takes over ("journaled_number_missing"); a second number is never created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flows.rules.judge import canonical_number
from flows.rules.request import RegistrationRequest
from robot.journal import StepJournal


def number_record(
    request: RegistrationRequest, number: str, *, reused: bool, journal: StepJournal
) -> dict[str, Any]:
    """The number step's data: the number, or for a protected person its keyed hash."""
    if request.protected:
        return {"keyed": keyed_number(number, journal=journal), "reused": reused}
    return {"value": number, "reused": reused}


def saved_record(
    request: RegistrationRequest, patient_id: str, *, journal: StepJournal
) -> dict[str, Any]:
    """The saved step's data: the Patient-ID, or for a protected person its keyed hash."""
    if request.protected:
        return {"keyed": keyed_number(patient_id, journal=journal)}
    return {"patient_id": patient_id}


def keyed_number(number: str, *, journal: StepJournal) -> str:
    """The keyed hash a protected person's number is journaled as (any form of the number)."""
    return journal.keyed_value(canonical_number(number))


def clear_number(record: Mapping[str, Any] | None) -> str | None:
    """The number a record holds in clear (None for a protected person's keyed one)."""
    value = record.get("value") if record is not None else None
    return value if isinstance(value, str) and value else None


def number_of(
    record: Mapping[str, Any] | None, shown: Iterable[str], *, journal: StepJournal
) -> str | None:
    """The number a record names: the one it holds in clear, else the number among ``shown``
    (what the searches list) whose keyed hash is the recorded one; None when it names none."""
    if record is None:
        return None
    value = clear_number(record)
    if value is not None:
        return value
    keyed = record.get("keyed")
    if not isinstance(keyed, str):
        return None
    return next((n for n in shown if keyed_number(n, journal=journal) == keyed), None)
