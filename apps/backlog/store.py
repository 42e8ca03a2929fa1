"""The durable work queue: a storage interface and its SQLite implementation.

Every registration waiting in the backlog is a ``QueueItem`` with a stable reference (the
input's own reference, or a fingerprint of the person), the validated request, a status, the
number of failed attempts and the outcome. Every change of status is written to a history
table, and every ``backlog run`` to a runs table, so staff can see what happened to each row.

``QueueStore`` is the interface the worker, the CLI and the web UI use. ``SqliteQueueStore`` is
the embedded default (a file, nothing to install). Everything the interface needs can be done
in one SQL statement inside one transaction, so a PostgreSQL implementation (for several robot
machines sharing one queue) can follow it; the atomic claim becomes
``... FOR UPDATE SKIP LOCKED`` there. See docs/operations.md.

Concurrency: several processes (the worker processes of one run, and a second run started by
an overlapping schedule) may use the same file at once. SQLite is in WAL mode with a busy
timeout, and a claim is a single ``UPDATE ... WHERE id = (SELECT ...) RETURNING *`` inside
``BEGIN IMMEDIATE``, so two workers can never take the same item.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import psutil

from robot.files import private_file
from robot.settings import Settings

SCHEMA_VERSION = 1
QUEUE_FILE = "queue.sqlite3"


class ItemStatus(StrEnum):
    """Where an item stands. ``rejected`` rows were invalid at import and are never run."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NEEDS_PERSON = "needs_person"
    FAILED = "failed"
    REJECTED = "rejected"

    @property
    def label_sv(self) -> str:
        """The status as staff read it."""
        return _STATUS_LABELS_SV[self]


_STATUS_LABELS_SV = {
    ItemStatus.PENDING: "Väntar",
    ItemStatus.IN_PROGRESS: "Pågår",
    ItemStatus.DONE: "Klar",
    ItemStatus.NEEDS_PERSON: "Behöver en person",
    ItemStatus.FAILED: "Misslyckades",
    ItemStatus.REJECTED: "Ogiltig rad",
}


@dataclass(frozen=True)
class QueueItem:
    """One row of the backlog, as stored."""

    id: int
    ref: str
    status: ItemStatus
    attempts: int
    request: dict[str, Any] | None
    outcome: dict[str, Any] | None
    patient_id: str | None
    reason_code: str | None
    reason_sv: str | None
    source: str | None
    created_at: datetime
    updated_at: datetime
    # Beyond the shared contract: how often the item was taken (crashes included), when it may
    # be taken again after a failure, who holds it, the run that touched it last, and the
    # decisions a person made about candidates (passed to the robot on the next attempt).
    claims: int = 0
    not_before: datetime | None = None
    worker: str | None = None
    worker_pid: int | None = None
    worker_host: str | None = None
    heartbeat_at: datetime | None = None
    run_id: int | None = None
    decisions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class WorkerIdentity:
    """Who holds an in-progress item: enough to tell later whether that process still lives.

    ``started`` is the process's creation time, so a reused pid is not mistaken for the worker.
    """

    name: str
    pid: int
    host: str
    started: float

    @classmethod
    def current(cls, name: str) -> WorkerIdentity:
        pid = os.getpid()
        return cls(
            name=name, pid=pid, host=socket.gethostname(), started=psutil.Process(pid).create_time()
        )

    def is_alive(self) -> bool:
        """True when this process still runs (only answerable on the same host)."""
        return process_alive(self.pid, self.started)


def process_alive(pid: int, started: float | None) -> bool:
    """True when ``pid`` runs and (when known) was started at ``started``."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 0.01
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


class QueueStore(Protocol):
    """The queue's storage interface. Implementations must make ``claim`` atomic."""

    def add(
        self,
        ref: str,
        request: Mapping[str, Any] | None,
        *,
        status: ItemStatus = ItemStatus.PENDING,
        source: str | None = None,
        reason_code: str | None = None,
        reason_sv: str | None = None,
        outcome: Mapping[str, Any] | None = None,
        person_key: str | None = None,
        actor: str = "import",
    ) -> tuple[QueueItem, bool]: ...
    def claim(
        self, worker: str | WorkerIdentity, *, run_id: int | None = None
    ) -> QueueItem | None: ...
    def heartbeat(self, item_id: int) -> None: ...
    def finish(
        self,
        item_id: int,
        outcome: Mapping[str, Any],
        *,
        status: ItemStatus,
        attempts: int | None = None,
        not_before: datetime | None = None,
        worker: str | None = None,
        actor: str = "robot",
    ) -> bool: ...
    def get(self, item_id: int) -> QueueItem | None: ...
    def find(self, ref: str) -> QueueItem | None: ...
    def items(
        self,
        *,
        status: ItemStatus | None = None,
        limit: int | None = None,
        run_id: int | None = None,
    ) -> list[QueueItem]: ...
    def counts(self) -> dict[ItemStatus, int]: ...
    def oldest_pending(self) -> QueueItem | None: ...
    def next_due(self) -> datetime | None: ...
    def requeue(
        self,
        item_id: int,
        *,
        reason: str,
        actor: str,
        decisions: Sequence[Mapping[str, Any]] | None = None,
    ) -> None: ...
    def retry_failed(self, *, actor: str, item_ids: Sequence[int] | None = None) -> list[int]: ...
    def recover_interrupted(
        self, *, stale_after: timedelta, actor: str, max_claims: int | None = None
    ) -> list[int]: ...
    def history(self, item_id: int) -> list[dict[str, Any]]: ...
    def purge(
        self,
        *,
        before: datetime,
        statuses: Sequence[ItemStatus] = (ItemStatus.DONE, ItemStatus.REJECTED),
    ) -> int: ...
    def start_run(self, *, workers: int, limit: int | None) -> int: ...
    def end_run(self, run_id: int, *, exit_code: int, summary: Mapping[str, Any]) -> None: ...
    def runs(self, *, limit: int | None = None) -> list[dict[str, Any]]: ...
    def run_items(self, run_id: int) -> list[dict[str, Any]]: ...
    def last_run(self) -> dict[str, Any] | None: ...
    def close(self) -> None: ...


def open_store(settings: Settings) -> SqliteQueueStore:
    """The queue of these settings: SQLite at ``settings.data_dir / "queue.sqlite3"``."""
    return SqliteQueueStore(queue_path(settings))


def queue_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / QUEUE_FILE


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(value: datetime) -> str:
    # Fixed-width UTC text, so that comparing strings in SQL compares instants.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _json(value: Mapping[str, Any] | Sequence[Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ref TEXT NOT NULL UNIQUE,
    person_key TEXT,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'in_progress', 'done', 'needs_person', 'failed', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    claims INTEGER NOT NULL DEFAULT 0,
    request TEXT,
    outcome TEXT,
    decisions TEXT,
    patient_id TEXT,
    reason_code TEXT,
    reason_sv TEXT,
    source TEXT,
    not_before TEXT,
    worker TEXT,
    worker_pid INTEGER,
    worker_host TEXT,
    worker_started REAL,
    heartbeat_at TEXT,
    run_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_status ON items (status, id);
CREATE INDEX IF NOT EXISTS items_by_person ON items (person_key, status);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES items (id),
    at TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    run_id INTEGER,
    reason TEXT,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS history_by_item ON history (item_id, id);
CREATE INDEX IF NOT EXISTS history_by_run ON history (run_id, item_id);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    user TEXT NOT NULL,
    workers INTEGER NOT NULL,
    item_limit INTEGER,
    exit_code INTEGER,
    summary TEXT
);
"""


def _os_user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no user name on some service accounts
        return "okänd"


class SqliteQueueStore:
    """``QueueStore`` in one SQLite file. One instance per process; thread-safe within it."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        private_file(self.path, sqlite_sidecars=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute("PRAGMA foreign_keys = ON")
        with self._tx():
            statements = [st for st in _SCHEMA.split(";") if st.strip()]
            for statement in statements:
                if "CREATE INDEX" not in statement:
                    self._db.execute(statement)
            columns = {r["name"] for r in self._db.execute("PRAGMA table_info(items)")}
            if "person_key" not in columns:  # files made before person_key existed
                self._db.execute("ALTER TABLE items ADD COLUMN person_key TEXT")
            for statement in statements:
                if "CREATE INDEX" in statement:
                    self._db.execute(statement)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )
        private_file(self.path, sqlite_sidecars=True)

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with the write lock up front (no upgrade deadlocks)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
            return row

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    @staticmethod
    def _item(row: sqlite3.Row) -> QueueItem:
        return QueueItem(
            id=row["id"],
            ref=row["ref"],
            status=ItemStatus(row["status"]),
            attempts=row["attempts"],
            request=json.loads(row["request"]) if row["request"] else None,
            outcome=json.loads(row["outcome"]) if row["outcome"] else None,
            patient_id=row["patient_id"],
            reason_code=row["reason_code"],
            reason_sv=row["reason_sv"],
            source=row["source"],
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
            claims=row["claims"],
            not_before=_dt(row["not_before"]),
            worker=row["worker"],
            worker_pid=row["worker_pid"],
            worker_host=row["worker_host"],
            heartbeat_at=_dt(row["heartbeat_at"]),
            run_id=row["run_id"],
            decisions=tuple(json.loads(row["decisions"])) if row["decisions"] else (),
        )

    @staticmethod
    def _log(
        db: sqlite3.Connection,
        item_id: int,
        from_status: str | None,
        to_status: str,
        *,
        actor: str,
        run_id: int | None = None,
        reason: str | None = None,
        detail: Mapping[str, Any] | None = None,
        at: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO history (item_id, at, from_status, to_status, actor, run_id, reason,"
            " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                at or _ts(utcnow()),
                from_status,
                to_status,
                actor,
                run_id,
                reason,
                _json(detail),
            ),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteQueueStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- adding ---------------------------------------------------------------------------

    def add(
        self,
        ref: str,
        request: Mapping[str, Any] | None,
        *,
        status: ItemStatus = ItemStatus.PENDING,
        source: str | None = None,
        reason_code: str | None = None,
        reason_sv: str | None = None,
        outcome: Mapping[str, Any] | None = None,
        person_key: str | None = None,
        actor: str = "import",
    ) -> tuple[QueueItem, bool]:
        """Add an item unless its ``ref`` is already queued; returns (item, newly added).

        ``person_key`` (the person's fingerprint) keeps two items about the same person (two
        rows with different references) from being worked on at the same time: the second is
        taken only when the first is finished, so the robot's search finds the first one's
        registration instead of racing it.

        The same reference is never queued twice. One exception: a ``rejected`` item (an invalid
        row) is replaced when a valid request with the same ref arrives, so that a corrected
        file can be imported again.
        """
        if status not in (ItemStatus.PENDING, ItemStatus.REJECTED):
            raise ValueError(f"items are added as pending or rejected, not {status}")
        now = _ts(utcnow())
        with self._tx() as db:
            existing = db.execute("SELECT * FROM items WHERE ref = ?", (ref,)).fetchone()
            if existing is not None:
                if existing["status"] == ItemStatus.REJECTED and status == ItemStatus.PENDING:
                    db.execute(
                        "UPDATE items SET status = 'pending', request = ?, outcome = NULL,"
                        " reason_code = NULL, reason_sv = NULL, source = ?, attempts = 0,"
                        " not_before = NULL, person_key = ?, updated_at = ? WHERE id = ?",
                        (_json(request), source, person_key, now, existing["id"]),
                    )
                    self._log(
                        db,
                        existing["id"],
                        ItemStatus.REJECTED,
                        ItemStatus.PENDING,
                        actor=actor,
                        reason="corrected_row",
                        at=now,
                    )
                    row = db.execute(
                        "SELECT * FROM items WHERE id = ?", (existing["id"],)
                    ).fetchone()
                    return self._item(row), True
                return self._item(existing), False
            row = db.execute(
                "INSERT INTO items (ref, person_key, status, request, outcome, reason_code,"
                " reason_sv, source, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    ref,
                    person_key,
                    str(status),
                    _json(request),
                    _json(outcome),
                    reason_code,
                    reason_sv,
                    source,
                    now,
                    now,
                ),
            ).fetchone()
            self._log(db, row["id"], None, status, actor=actor, reason=reason_code, at=now)
            return self._item(row), True

    # -- working --------------------------------------------------------------------------

    def claim(self, worker: str | WorkerIdentity, *, run_id: int | None = None) -> QueueItem | None:
        """Take the oldest due pending item for ``worker``, atomically; None when none is due.

        An item whose person is being worked on under another reference waits its turn.
        """
        ident = worker if isinstance(worker, WorkerIdentity) else WorkerIdentity.current(worker)
        now = _ts(utcnow())
        with self._tx() as db:
            row = db.execute(
                "UPDATE items SET status = 'in_progress', claims = claims + 1, worker = ?,"
                " worker_pid = ?, worker_host = ?, worker_started = ?, heartbeat_at = ?,"
                " run_id = COALESCE(?, run_id), updated_at = ?"
                " WHERE id = (SELECT id FROM items AS i WHERE status = 'pending'"
                "   AND (not_before IS NULL OR not_before <= ?)"
                "   AND (person_key IS NULL OR NOT EXISTS (SELECT 1 FROM items AS busy"
                "     WHERE busy.status = 'in_progress' AND busy.person_key = i.person_key))"
                "   ORDER BY id LIMIT 1)"
                " RETURNING *",
                (ident.name, ident.pid, ident.host, ident.started, now, run_id, now, now),
            ).fetchone()
            if row is None:
                return None
            self._log(
                db,
                row["id"],
                ItemStatus.PENDING,
                ItemStatus.IN_PROGRESS,
                actor=f"robot:{ident.name}",
                run_id=run_id,
                at=now,
            )
            return self._item(row)

    def heartbeat(self, item_id: int) -> None:
        """Tell other runs that the holder of ``item_id`` is still working on it."""
        with self._tx() as db:
            db.execute(
                "UPDATE items SET heartbeat_at = ? WHERE id = ? AND status = 'in_progress'",
                (_ts(utcnow()), item_id),
            )

    def finish(
        self,
        item_id: int,
        outcome: Mapping[str, Any],
        *,
        status: ItemStatus,
        attempts: int | None = None,
        not_before: datetime | None = None,
        worker: str | None = None,
        actor: str = "robot",
    ) -> bool:
        """Record an outcome and the item's next status.

        With ``worker`` given, the item must still be in progress under that worker, or nothing
        is written and False is returned (another run took it over after declaring this
        worker dead). ``status=PENDING`` with ``not_before`` schedules a retry.
        """
        now = _ts(utcnow())
        with self._tx() as db:
            current = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if current is None:
                raise KeyError(item_id)
            if worker is not None and (
                current["status"] != ItemStatus.IN_PROGRESS or current["worker"] != worker
            ):
                return False
            held = status == ItemStatus.IN_PROGRESS
            db.execute(
                "UPDATE items SET status = ?, outcome = ?, attempts = COALESCE(?, attempts),"
                " patient_id = COALESCE(?, patient_id), reason_code = ?, reason_sv = ?,"
                " not_before = ?, updated_at = ?,"
                " worker = CASE WHEN ? THEN worker END,"
                " worker_pid = CASE WHEN ? THEN worker_pid END,"
                " worker_host = CASE WHEN ? THEN worker_host END,"
                " worker_started = CASE WHEN ? THEN worker_started END,"
                " heartbeat_at = CASE WHEN ? THEN heartbeat_at END"
                " WHERE id = ?",
                (
                    str(status),
                    _json(outcome),
                    attempts,
                    outcome.get("patient_id"),
                    outcome.get("reason_code"),
                    outcome.get("reason_sv"),
                    _ts(not_before) if not_before else None,
                    now,
                    held,
                    held,
                    held,
                    held,
                    held,
                    item_id,
                ),
            )
            from_worker = current["status"] == ItemStatus.IN_PROGRESS
            self._log(
                db,
                item_id,
                current["status"],
                status,
                actor=actor,
                run_id=current["run_id"] if from_worker else None,
                reason=outcome.get("reason_code"),
                detail={
                    "kind": outcome.get("kind"),
                    "duration_s": outcome.get("duration_s"),
                    "attempts": attempts if attempts is not None else current["attempts"],
                },
                at=now,
            )
            return True

    # -- reading --------------------------------------------------------------------------

    def get(self, item_id: int) -> QueueItem | None:
        row = self._row("SELECT * FROM items WHERE id = ?", (item_id,))
        return self._item(row) if row else None

    def find(self, ref: str) -> QueueItem | None:
        row = self._row("SELECT * FROM items WHERE ref = ?", (ref,))
        return self._item(row) if row else None

    def items(
        self,
        *,
        status: ItemStatus | None = None,
        limit: int | None = None,
        run_id: int | None = None,
    ) -> list[QueueItem]:
        sql = "SELECT * FROM items WHERE 1 = 1"
        params: list[Any] = []
        if status is not None:
            sql += " AND status = ?"
            params.append(str(status))
        if run_id is not None:
            sql += " AND id IN (SELECT item_id FROM history WHERE run_id = ?)"
            params.append(run_id)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._item(r) for r in self._rows(sql, params)]

    def counts(self) -> dict[ItemStatus, int]:
        out = {s: 0 for s in ItemStatus}
        for row in self._rows("SELECT status, COUNT(*) AS n FROM items GROUP BY status"):
            out[ItemStatus(row["status"])] = row["n"]
        return out

    def oldest_pending(self) -> QueueItem | None:
        row = self._row(
            "SELECT * FROM items WHERE status = 'pending' ORDER BY created_at, id LIMIT 1"
        )
        return self._item(row) if row else None

    def next_due(self) -> datetime | None:
        """When the next pending item may be taken (now or later); None when nothing waits."""
        row = self._row(
            "SELECT MIN(COALESCE(not_before, '')) AS due FROM items WHERE status = 'pending'"
        )
        if row is None or row["due"] is None:
            return None
        return _dt(row["due"]) or utcnow()

    def history(self, item_id: int) -> list[dict[str, Any]]:
        return [
            {
                **dict(r),
                "at": datetime.fromisoformat(r["at"]),
                "detail": json.loads(r["detail"]) if r["detail"] else None,
            }
            for r in self._rows("SELECT * FROM history WHERE item_id = ? ORDER BY id", (item_id,))
        ]

    # -- putting back ---------------------------------------------------------------------

    def requeue(
        self,
        item_id: int,
        *,
        reason: str,
        actor: str,
        decisions: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Put an item back to pending now (a person's decision), keeping its attempts count.

        ``decisions`` (a person's verdicts on candidates) are stored with the item and passed
        to the robot on its next attempt.
        """
        now = _ts(utcnow())
        with self._tx() as db:
            current = db.execute("SELECT status FROM items WHERE id = ?", (item_id,)).fetchone()
            if current is None:
                raise KeyError(item_id)
            if current["status"] in (ItemStatus.IN_PROGRESS, ItemStatus.REJECTED):
                raise ValueError(f"an item that is {current['status']} cannot be requeued")
            db.execute(
                "UPDATE items SET status = 'pending', not_before = NULL, updated_at = ?,"
                " decisions = COALESCE(?, decisions) WHERE id = ?",
                (now, _json(list(decisions)) if decisions is not None else None, item_id),
            )
            self._log(
                db,
                item_id,
                current["status"],
                ItemStatus.PENDING,
                actor=actor,
                reason=reason,
                at=now,
            )

    def retry_failed(self, *, actor: str, item_ids: Sequence[int] | None = None) -> list[int]:
        """Put failed items (all, or the given ones) back to pending with a fresh attempts count."""
        now = _ts(utcnow())
        with self._tx() as db:
            sql = "SELECT id FROM items WHERE status = 'failed'"
            params: list[Any] = []
            if item_ids is not None:
                sql += f" AND id IN ({','.join('?' * len(item_ids))})"
                params.extend(item_ids)
            ids = [r["id"] for r in db.execute(sql, params).fetchall()]
            for item_id in ids:
                db.execute(
                    "UPDATE items SET status = 'pending', attempts = 0, claims = 0,"
                    " not_before = NULL, updated_at = ? WHERE id = ?",
                    (now, item_id),
                )
                self._log(
                    db,
                    item_id,
                    ItemStatus.FAILED,
                    ItemStatus.PENDING,
                    actor=actor,
                    reason="retry",
                    at=now,
                )
            return ids

    def recover_interrupted(
        self, *, stale_after: timedelta, actor: str, max_claims: int | None = None
    ) -> list[int]:
        """Return in-progress items whose worker is gone to pending; report their ids.

        A worker is gone when it ran on this host and its process no longer lives, or when its
        heartbeat is older than ``stale_after`` (the only test possible across hosts). An item
        taken ``max_claims`` times without finishing (it keeps killing the worker) is failed
        instead, so it cannot loop forever.
        """
        host = socket.gethostname()
        now_dt = utcnow()
        now = _ts(now_dt)
        recovered: list[int] = []
        with self._tx() as db:
            rows = db.execute("SELECT * FROM items WHERE status = 'in_progress'").fetchall()
            for row in rows:
                beat = _dt(row["heartbeat_at"])
                stale = beat is None or now_dt - beat > stale_after
                dead = (
                    row["worker_host"] == host
                    and row["worker_pid"] is not None
                    and not process_alive(row["worker_pid"], row["worker_started"])
                )
                if not (stale or dead):
                    continue
                why = "worker_dead" if dead else "heartbeat_stale"
                give_up = max_claims is not None and row["claims"] >= max_claims
                target = ItemStatus.FAILED if give_up else ItemStatus.PENDING
                db.execute(
                    "UPDATE items SET status = ?, worker = NULL, worker_pid = NULL,"
                    " worker_host = NULL, worker_started = NULL, heartbeat_at = NULL,"
                    " reason_code = CASE WHEN ? THEN 'interrupted_repeatedly' ELSE reason_code"
                    " END, reason_sv = CASE WHEN ? THEN"
                    " 'Avbröts upprepade gånger under körning; kontrollera raden.' ELSE reason_sv"
                    " END, updated_at = ? WHERE id = ?",
                    (str(target), give_up, give_up, now, row["id"]),
                )
                self._log(
                    db,
                    row["id"],
                    ItemStatus.IN_PROGRESS,
                    target,
                    actor=actor,
                    run_id=row["run_id"],
                    reason=why,
                    detail={"worker": row["worker"], "claims": row["claims"]},
                    at=now,
                )
                recovered.append(row["id"])
        return recovered

    def purge(
        self,
        *,
        before: datetime,
        statuses: Sequence[ItemStatus] = (ItemStatus.DONE, ItemStatus.REJECTED),
    ) -> int:
        """Delete finished items (and their history) last changed before ``before``.

        The queue holds names and birth dates; finished items need not stay for ever (the
        audit log, which holds no personal data, keeps what was done). A purged person
        imported again is queued again, and the robot then finds them already registered.
        """
        if not statuses or ItemStatus.IN_PROGRESS in statuses or ItemStatus.PENDING in statuses:
            raise ValueError("only finished items can be purged")
        marks = ",".join("?" * len(statuses))
        params = [*(str(s) for s in statuses), _ts(before)]
        with self._tx() as db:
            where = f"status IN ({marks}) AND updated_at < ?"
            db.execute(
                f"DELETE FROM history WHERE item_id IN (SELECT id FROM items WHERE {where})",  # noqa: S608
                params,
            )
            return db.execute(f"DELETE FROM items WHERE {where}", params).rowcount  # noqa: S608

    # -- runs -----------------------------------------------------------------------------

    def start_run(self, *, workers: int, limit: int | None) -> int:
        with self._tx() as db:
            row = db.execute(
                "INSERT INTO runs (started_at, host, pid, user, workers, item_limit)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (_ts(utcnow()), socket.gethostname(), os.getpid(), _os_user(), workers, limit),
            ).fetchone()
            return int(row["id"])

    def end_run(self, run_id: int, *, exit_code: int, summary: Mapping[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? WHERE id = ?",
                (_ts(utcnow()), exit_code, _json(summary), run_id),
            )

    @staticmethod
    def _run(row: sqlite3.Row) -> dict[str, Any]:
        out = dict(row)
        out["started_at"] = datetime.fromisoformat(row["started_at"])
        out["finished_at"] = _dt(row["finished_at"])
        out["summary"] = json.loads(row["summary"]) if row["summary"] else None
        return out

    def runs(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM runs ORDER BY id DESC"
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._run(r) for r in self._rows(sql, params)]

    def last_run(self) -> dict[str, Any] | None:
        runs = self.runs(limit=1)
        return runs[0] if runs else None

    def run_items(self, run_id: int) -> list[dict[str, Any]]:
        """What a run did to each item it touched: the last status it left the item in."""
        rows = self._rows(
            "SELECT h.item_id, h.to_status, h.reason, h.detail, h.at FROM history h"
            " WHERE h.id IN (SELECT MAX(id) FROM history WHERE run_id = ? GROUP BY item_id)"
            " ORDER BY h.item_id",
            (run_id,),
        )
        return [
            {
                "item_id": r["item_id"],
                "status": ItemStatus(r["to_status"]),
                "reason": r["reason"],
                "detail": json.loads(r["detail"]) if r["detail"] else None,
                "at": datetime.fromisoformat(r["at"]),
            }
            for r in rows
        ]
