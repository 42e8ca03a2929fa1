"""A person's decisions on search hits, kept durably so a number is never asked about twice.

"Same" or "different person" is a decision about the person holding a Patient-ID, whichever
system showed it (PMO or Reservnummersystemet), for one request's person. It is stored in the
coordination store (``robot.db``, component "coordination", so every entry point of every
machine sees it) under keyed hashes of the request's person (its fingerprint) and of the
number: no identity number or name is stored in clear. A later decision on the same number
for the same person replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable

from flows.rules.judge import Verdicts, canonical_number
from flows.rules.outcome import Decision
from flows.rules.request import RegistrationRequest
from robot.db import Database, Migration
from robot.logs import Pseudonymizer

SCHEMA = "coordination_decisions"

_MIGRATIONS = [
    Migration(
        1,
        sqlite=[
            "CREATE TABLE IF NOT EXISTS coordination_decisions ("
            " person TEXT NOT NULL, number TEXT NOT NULL, system TEXT NOT NULL,"
            " verdict TEXT NOT NULL, decided_by TEXT NOT NULL,"
            " decided_at REAL NOT NULL, PRIMARY KEY (person, number))"
        ],
        postgresql=[
            "CREATE TABLE IF NOT EXISTS coordination_decisions ("
            " person TEXT NOT NULL, number TEXT NOT NULL, system TEXT NOT NULL,"
            " verdict TEXT NOT NULL, decided_by TEXT NOT NULL,"
            " decided_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (person, number))"
        ],
    )
]


_UPSERT = (
    "INSERT INTO coordination_decisions (person, number, system, verdict, decided_by,"
    " decided_at) VALUES (?, ?, ?, ?, ?, NOW()) ON CONFLICT (person, number) DO UPDATE"
    " SET system = excluded.system, verdict = excluded.verdict,"
    " decided_by = excluded.decided_by, decided_at = excluded.decided_at"
    # The same verdict given again (a queue item passes its decisions on every attempt) keeps
    # its time, so it never overtakes a later, different decision made elsewhere.
    " WHERE coordination_decisions.verdict <> excluded.verdict"
)


class DecisionStore:
    """Decisions by (person, number) in the coordination store."""

    def __init__(self, db: Database, pseudonym: Pseudonymizer) -> None:
        self._db = db
        self._pseudonym = pseudonym
        db.migrate(SCHEMA, _MIGRATIONS)

    def _person(self, request: RegistrationRequest) -> str:
        return str(self._pseudonym("person:" + request.fingerprint()))

    def _number(self, id_value: str) -> str:
        return str(self._pseudonym("number:" + canonical_number(id_value)))

    def record(self, request: RegistrationRequest, decisions: Iterable[Decision]) -> None:
        """Store the decisions (in order; the last on a number wins)."""
        rows = [
            (
                self._person(request),
                self._number(d.id_value),
                d.system,
                d.verdict,
                d.decided_by[:200],
            )
            for d in decisions
        ]
        if not rows:
            return
        with self._db.transaction() as tx:
            for row in rows:
                tx.execute(
                    _UPSERT.replace("NOW()", self._db.now_sql),
                    row,
                )

    def verdicts(self, request: RegistrationRequest) -> Verdicts:
        """Every stored decision of this person, keyed by the numbers' hashes."""
        with self._db.read() as tx:
            rows = tx.all(
                "SELECT number, verdict FROM coordination_decisions WHERE person = ?"
                " ORDER BY decided_at",
                (self._person(request),),
            )
        return Verdicts({row["number"]: row["verdict"] for row in rows}, key=self._number)
