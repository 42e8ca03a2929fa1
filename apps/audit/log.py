"""The audit log: what the robot (or a person) did in PMO and Reservnummersystemet, and when.

It answers "what did the robot do to this person's record, and when" (``reservrobot audit show
--ref REF``) without holding personal data: the item reference and any Patient-ID are stored
only as keyed hashes (``robot.logs.Pseudonymizer``), and callers pass step keys, results and
reason codes, never names. The table is append-only: SQLite triggers refuse every UPDATE and
DELETE, and each entry carries a hash over its predecessor, so a row removed or edited behind
the triggers' back is detected by ``verify()``.

Lookups hash the given reference with the same key; after a change of ``pseudonym_key`` older
entries can no longer be found by reference (they stay in the file).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from robot.files import private_file
from robot.logs import Pseudonymizer
from robot.settings import Settings

AUDIT_FILE = "audit.sqlite3"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        ref TEXT NOT NULL,
        subject TEXT,
        system TEXT NOT NULL,
        step TEXT NOT NULL,
        result TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS audit_by_ref ON audit (ref, id)",
    "CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject, id)",
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)

GENESIS = "0" * 64
SYSTEMS = ("pmo", "rns", "queue", "robot")


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry. ``ref`` and ``subject`` are keyed hashes, never clear text."""

    id: int
    at: datetime
    actor: str
    ref: str
    subject: str | None
    system: str
    step: str
    result: str
    detail: str


def _entry_hash(
    prev: str,
    at: str,
    actor: str,
    ref: str,
    subject: str | None,
    system: str,
    step: str,
    result: str,
    detail: str,
) -> str:
    payload = json.dumps(
        [prev, at, actor, ref, subject, system, step, result, detail], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditLog:
    """Append-only, pseudonymised audit log in ``settings.data_dir / "audit.sqlite3"``.

    Safe to use from several processes at once (WAL, busy timeout, one write transaction per
    entry) and from several threads of one process.
    """

    def __init__(self, settings: Settings, *, path: Path | None = None) -> None:
        self.path = path or Path(settings.data_dir) / AUDIT_FILE
        self._pseudonym = Pseudonymizer(settings.pseudonym_key)
        private_file(self.path, sqlite_sidecars=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA:
                    self._db.execute(statement)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        private_file(self.path, sqlite_sidecars=True)

    def pseudonym(self, value: str) -> str:
        """The keyed hash stored for ``value`` (a reference or a Patient-ID)."""
        return str(self._pseudonym(value))

    def append(
        self,
        *,
        actor: str,
        ref: str,
        system: str,
        step: str,
        result: str,
        detail: str = "",
        patient_id: str | None = None,
    ) -> None:
        """Write one entry; committed before returning.

        ``ref`` (the queue reference, or a request fingerprint) and ``patient_id`` are hashed
        here; ``detail`` must hold codes and short facts, never names or identity numbers.
        """
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        ref_h = self._pseudonym(ref)
        subject = self._pseudonym(patient_id) if patient_id else None
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
                prev = row["hash"] if row else GENESIS
                digest = _entry_hash(prev, at, actor, ref_h, subject, system, step, result, detail)
                self._db.execute(
                    "INSERT INTO audit (at, actor, ref, subject, system, step, result, detail,"
                    " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (at, actor, ref_h, subject, system, step, result, detail, prev, digest),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _entries(self, sql: str, params: tuple[object, ...]) -> list[AuditEntry]:
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            AuditEntry(
                id=r["id"],
                at=datetime.fromisoformat(r["at"]),
                actor=r["actor"],
                ref=r["ref"],
                subject=r["subject"],
                system=r["system"],
                step=r["step"],
                result=r["result"],
                detail=r["detail"],
            )
            for r in rows
        ]

    def for_ref(self, ref: str) -> list[AuditEntry]:
        """Every entry about ``ref`` (given in clear; hashed for the lookup), oldest first."""
        return self._entries(
            "SELECT * FROM audit WHERE ref = ? ORDER BY id", (self._pseudonym(ref),)
        )

    def for_patient_id(self, patient_id: str) -> list[AuditEntry]:
        """Every entry that touched the record with this Patient-ID, and its item's history."""
        subject = self._pseudonym(patient_id)
        return self._entries(
            "SELECT * FROM audit WHERE subject = ? OR ref IN"
            " (SELECT ref FROM audit WHERE subject = ?) ORDER BY id",
            (subject, subject),
        )

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        entries = self._entries("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return entries[::-1]

    def verify(self) -> int | None:
        """Check the hash chain; the id of the first broken entry, or None when intact."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM audit ORDER BY id").fetchall()
        prev = GENESIS
        for r in rows:
            expected = _entry_hash(
                prev,
                r["at"],
                r["actor"],
                r["ref"],
                r["subject"],
                r["system"],
                r["step"],
                r["result"],
                r["detail"],
            )
            if r["prev_hash"] != prev or r["hash"] != expected:
                return int(r["id"])
            prev = r["hash"]
        return None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
