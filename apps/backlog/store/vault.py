"""A protected person's values in the queue: sealed at rest; every person known by a keyed hash.

The queue may be the region's shared PostgreSQL database, whose tables, write-ahead log and
backups keep whatever was written. So for an item whose request is ``protected`` the columns
that hold the person or their numbers (``SEALED_COLUMNS``: the request with names and birth date,
the outcome with the Patient-ID and candidates, a person's decisions, the Patient-ID and the
reason text, which may name a number) are sealed (``robot.sealed``: AES-256-GCM under a key
derived from the pseudonym key with HKDF, ``PURPOSE``). Every process of the region has that key
(``robot.store_key`` refuses one with another), so every reader gets the clear values back
through ``rows.item``, unchanged; a value without the ``sealed:`` prefix is read as it is (items
written before, and every item of a person who is not protected). What stays in clear for every
item is what the queue itself needs: the status, the counters and times, and the birth date
column (the rule "one birth date at a time" compares it in SQL).

The person's key (``person_key``), by which the same person queued twice is recognised, and the
reference of a row that has none of its own, is the pseudonym HMAC of the request's fingerprint:
an unkeyed hash of birth date, sex and names can be reversed by trying common names on every
birth date. The birth date column, which the rule "one birth date at a time" compares for
equality only, holds the pseudonym HMAC of the date (``birth_date_key``), for every item alike,
so that a protected person's item still excludes everybody else's of the same date.

Rows an earlier version wrote (unkeyed, a protected person's in clear) are keyed and sealed by
``upgrade`` when a store is opened, in one transaction, before the store is used: SQL cannot
compute an HMAC, so a numbered migration cannot do it, and the request each row needs is in the
row itself. Queue version 6 only marks that an earlier version must no longer write here (it
would write in clear); ``Database.migrate`` refuses it the store (``store_too_new``). What an
earlier version wrote stays in the database's free pages, write-ahead log and backups until
those are reused or expire.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import SecretStr, ValidationError

from apps.backlog.store.model import QueueItem
from flows.rules.request import RegistrationRequest
from robot.db import Database
from robot.logs import Pseudonymizer
from robot.sealed import Sealer, Unsealable

PURPOSE = b"reservrobot queue protected v1"
SEALED_COLUMNS = frozenset({"request", "outcome", "decisions", "patient_id", "reason_sv"})


def person_key(pseudonym: Pseudonymizer, request: RegistrationRequest) -> str:
    """The keyed key of ``request``'s person (``"k_"`` + 64 hex digits)."""
    return pseudonym.full("person:" + request.fingerprint())


def protects(item: QueueItem) -> bool:
    """True when what is written to ``item`` must be sealed: its person is protected, or its
    request could not be read (it may be a protected person's)."""
    return item.request_unreadable or (item.request is not None and item.request.protected)


class Vault:
    """Seals and opens a protected person's columns, and keys persons, with one key."""

    def __init__(self, key: SecretStr) -> None:
        self._sealer = Sealer(key, purpose=PURPOSE)
        self._pseudonym = Pseudonymizer(key)

    def person_key(self, request: RegistrationRequest) -> str:
        return person_key(self._pseudonym, request)

    def birth_date_key(self, day: date) -> str:
        return self._pseudonym.full("birth_date:" + day.isoformat())

    def seal(self, fields: Mapping[str, object], *, protected: bool) -> dict[str, object]:
        """``fields`` as written: for a protected person, the sealed columns' text sealed."""
        if not protected:
            return dict(fields)
        return {
            column: self._sealer.seal(value, label=column)
            if column in SEALED_COLUMNS and isinstance(value, str)
            else value
            for column, value in fields.items()
        }

    def open(self, row: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """The row with its sealed columns opened, and whether any would not open (another
        key, or altered: such a column reads as empty)."""
        out = dict(row)
        unopened = False
        for column in SEALED_COLUMNS.intersection(out):
            value = out[column]
            if isinstance(value, str):
                try:
                    out[column] = self._sealer.open(value, label=column)
                except Unsealable:
                    out[column], unopened = None, True
        return out, unopened

    def upgrade(self, db: Database) -> int:
        """Key (and for a protected person seal) the rows an earlier version wrote; how many.

        Idempotent, and cheap when there is nothing to do (one read). A row whose
        request cannot be read keeps its columns, under a key of its own so it is not looked
        at again."""
        with db.read() as tx:
            if tx.one(f"SELECT id FROM queue_items WHERE {_UNKEYED} LIMIT 1") is None:  # noqa: S608
                return 0
        changed = 0
        with db.transaction() as tx:
            for row in tx.all(f"SELECT * FROM queue_items WHERE {_UNKEYED}"):  # noqa: S608
                fields = self._upgraded(row)
                marks = ", ".join(f"{column} = ?" for column in fields)
                changed += tx.execute(
                    f"UPDATE queue_items SET {marks} WHERE id = ?",  # noqa: S608
                    (*fields.values(), row["id"]),
                )
        return changed

    def _upgraded(self, row: Mapping[str, Any]) -> dict[str, object]:
        try:
            request = RegistrationRequest.model_validate_json(row["request"])
        except ValidationError:
            return {"person_key": self._pseudonym.full("unreadable:" + str(row["id"]))}
        fields: dict[str, object] = {
            "person_key": self.person_key(request),
            "birth_date": self.birth_date_key(request.birth_date),
        }
        if row["ref"] == request.fingerprint():  # a reference derived from the person
            fields["ref"] = fields["person_key"]
        if request.protected:
            fields |= self.seal({c: row[c] for c in SEALED_COLUMNS}, protected=True)
        return fields


# Rows an earlier version wrote: a request, and a person key that is not the keyed one.
_UNKEYED = (
    "request IS NOT NULL AND (person_key IS NULL OR substr(person_key, 1, 2) <> 'k_')"
    " AND substr(request, 1, 7) <> 'sealed:'"
)
