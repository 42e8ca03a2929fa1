"""A durable record of which steps of a registration are done, and what they produced.

The robot writes here the moment something irreversible happens (a reservnummer was created,
a patient was saved), so a rerun after a crash continues instead of repeating it. SQLite in
WAL mode with ``synchronous=FULL``: a row is on disk when ``record`` returns, and several
processes (CLI, queue workers, the UI) may read and write the same file at once. Each call
opens its own short-lived connection, so a journal object can be shared between threads and
survives ``fork``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from robot.files import private_file

BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS steps (
    key TEXT NOT NULL,
    step TEXT NOT NULL,
    data TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (key, step)
)
"""


class StepJournal:
    """Durable, process-safe ``(key, step) -> data`` store. The file is private (0600).

    ``key`` must be pseudonymous (a request fingerprint), never an identity number or a name:
    the journal outlives the run.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        private_file(self.path, sqlite_sidecars=True)
        with closing(self._open()) as conn:
            # The journal mode is persistent in the file; it cannot change inside a transaction.
            conn.execute("PRAGMA journal_mode=WAL")
        with self._transaction() as conn:
            conn.execute(_SCHEMA)

    def record(self, key: str, step: str, data: Mapping[str, Any]) -> None:
        """Store (or replace) a step's data; committed and synced before returning."""
        payload = json.dumps(dict(data), ensure_ascii=False, sort_keys=True)
        now = datetime.now(UTC).isoformat()
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO steps (key, step, data, recorded_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key, step) DO UPDATE"
                " SET data = excluded.data, recorded_at = excluded.recorded_at",
                (key, step, payload, now),
            )

    def steps(self, key: str) -> dict[str, dict[str, Any]]:
        """Every recorded step of ``key`` with its data, in the order first recorded."""
        with closing(self._open()) as conn:
            rows = conn.execute(
                "SELECT step, data FROM steps WHERE key = ? ORDER BY rowid", (key,)
            ).fetchall()
        return {step: json.loads(data) for step, data in rows}

    def get(self, key: str, step: str) -> dict[str, Any] | None:
        """One step's data, or None when that step was not recorded."""
        return self.steps(key).get(step)

    def clear(self, key: str) -> None:
        """Forget every step of ``key`` (after the registration is finished and verified)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM steps WHERE key = ?", (key,))

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed (and synced) on success, rolled back on error."""
        with closing(self._open()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
