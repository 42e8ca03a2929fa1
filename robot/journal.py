"""A durable record of which steps of a registration are done, and what they produced.

The robot writes here the moment something irreversible happens (a reservnummer was created,
a patient was saved), so a rerun after a crash continues instead of repeating it. The journal
lives in the store (``robot.db``): a private SQLite file in WAL mode with ``synchronous=FULL``
on one machine (a row is on disk when ``record`` returns), or the shared PostgreSQL database
for several machines (committed when ``record`` returns). Several processes and threads may
read and write at once, and a journal survives ``fork``.

``StepJournal(path)`` still opens the SQLite file at ``path`` (``data_dir/journal.sqlite3``,
the component ``journal``), so ``StepJournal(settings.data_dir / "journal.sqlite3")`` and
``StepJournal(open_database(settings, "journal"))`` are the same journal on one machine. Files
written before the store kept versions (a bare ``steps`` table) are migrated in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from robot.db import Database, Migration, open_sqlite

COMPONENT = "journal"
FILE_NAME = "journal.sqlite3"

MIGRATIONS = [
    Migration(
        1,
        # The table as journals created before versioning have it (kept, then renamed).
        sqlite=[
            "CREATE TABLE IF NOT EXISTS steps ("
            " key TEXT NOT NULL, step TEXT NOT NULL, data TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, PRIMARY KEY (key, step))"
        ],
        postgresql=[
            "CREATE TABLE journal_steps ("
            " seq BIGINT GENERATED ALWAYS AS IDENTITY,"
            " key TEXT NOT NULL, step TEXT NOT NULL, data TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, PRIMARY KEY (key, step))"
        ],
    ),
    # One table name on both backends (every component shares one PostgreSQL database).
    Migration(2, sqlite=["ALTER TABLE steps RENAME TO journal_steps"], postgresql=[]),
]

# The order steps were first recorded: SQLite's rowid survives an upsert, as does ``seq``.
_ORDER = {"sqlite": "rowid", "postgresql": "seq"}


class StepJournal:
    """Durable, process-safe ``(key, step) -> data`` store.

    ``key`` must be pseudonymous (a request fingerprint), never an identity number or a name:
    the journal outlives the run.
    """

    def __init__(
        self, store: Database | Path, *, keyed: Callable[[str], str] | None = None
    ) -> None:
        """``keyed``: the keyed hash (the pseudonym HMAC) the rows are stored under, so the
        shared store holds no key anyone could recompute from a name and a birth date (an
        unkeyed SHA-256 of them can be tried name by name). Rows an earlier version wrote
        under the plain key are still read, and cleared with the key's other rows."""
        self._owned = not isinstance(store, Database)
        self.db = store if isinstance(store, Database) else open_sqlite(Path(store))
        self.db.migrate(COMPONENT, MIGRATIONS)
        self._keyed = keyed

    def _keys(self, key: str) -> tuple[str, ...]:
        """The row key to write first, then a legacy one to read and clear too."""
        return (self._keyed(key), key) if self._keyed is not None else (key,)

    def keyed_value(self, value: str) -> str:
        """The keyed hash (the row keys' HMAC) to store in place of a value that must never be
        in the store in clear, a protected person's number: a rerun that sees the number again
        recognises it by the hash. A journal without a key refuses (``ValueError``)."""
        if self._keyed is None:
            raise ValueError("this journal has no key to hash a value with")
        return self._keyed(value)

    def record(self, key: str, step: str, data: Mapping[str, Any]) -> None:
        """Store (or replace) a step's data; committed (and on SQLite synced) before returning."""
        payload = json.dumps(dict(data), ensure_ascii=False, sort_keys=True)
        now = datetime.now(UTC).isoformat()
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO journal_steps (key, step, data, recorded_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key, step) DO UPDATE"
                " SET data = excluded.data, recorded_at = excluded.recorded_at",
                (self._keys(key)[0], step, payload, now),
            )

    def steps(self, key: str) -> dict[str, dict[str, Any]]:
        """Every recorded step of ``key`` with its data, in the order first recorded (a step
        written under the keyed hash wins over one an earlier version left)."""
        found: dict[str, dict[str, Any]] = {}
        with self.db.read() as tx:
            for row_key in reversed(self._keys(key)):
                rows = tx.all(
                    "SELECT step, data FROM journal_steps WHERE key = ?"  # noqa: S608
                    f" ORDER BY {_ORDER[self.db.kind]}",
                    (row_key,),
                )
                found.update({row["step"]: json.loads(row["data"]) for row in rows})
        return found

    def get(self, key: str, step: str) -> dict[str, Any] | None:
        """One step's data, or None when that step was not recorded."""
        return self.steps(key).get(step)

    def recorded_since(self, step: str, since: datetime) -> list[dict[str, Any]]:
        """The data of every ``step`` recorded (or replaced) at or after ``since``: what is still
        open then, since finished keys are cleared (the sweep's dates come from here)."""
        with self.db.read() as tx:
            rows = tx.all(
                "SELECT data FROM journal_steps WHERE step = ? AND recorded_at >= ?",
                (step, since.astimezone(UTC).isoformat()),
            )
        return [json.loads(row["data"]) for row in rows]

    def clear(self, key: str) -> None:
        """Forget every step of ``key`` (after the registration is finished and verified)."""
        with self.db.transaction() as tx:
            for row_key in self._keys(key):
                tx.execute("DELETE FROM journal_steps WHERE key = ?", (row_key,))
        # The number was personal data (perhaps a protected person's): no old copy may stay.
        self.db.drop_deleted_copies()

    def close(self) -> None:
        """Close the database if the journal opened it from a path (a given one is the caller's)."""
        if self._owned:
            self.db.close()
