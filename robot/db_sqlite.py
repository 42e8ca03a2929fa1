"""The SQLite backend of ``robot.db``: one file per component, WAL, ``synchronous=FULL``.

Connections run in autocommit mode with transactions written out (``BEGIN IMMEDIATE`` for
writes, so writers queue on the busy timeout instead of failing to upgrade a read lock).
Driver errors that mean the file itself is at fault become ``StoreError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from robot.errors import ConstraintViolation, StoreError

BUSY_TIMEOUT_MS = 10_000

_SQLITE_CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
_SQLITE_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}
_SQLITE_UNAVAILABLE = {
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_PERM",
    "SQLITE_FULL",
    "SQLITE_AUTH",
    "SQLITE_NOLFS",
}


class SqliteBackend:
    kind: Literal["sqlite"] = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten, not just unlinked: a finished registration's
            # journaled number (a protected person's among them) must not stay in the file.
            conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self, conn: sqlite3.Connection) -> None:
        conn.close()

    def begin(self, conn: sqlite3.Connection, *, write: bool) -> None:
        if write:
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute("PRAGMA query_only=ON")
            conn.execute("BEGIN")

    def end(self, conn: sqlite3.Connection, *, commit: bool, write: bool) -> None:
        try:
            if conn.in_transaction:
                conn.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            if not write:
                conn.execute("PRAGMA query_only=OFF")

    def run(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        return conn.execute(sql, tuple(params))

    def run_many(self, conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        return int(conn.executemany(sql, [tuple(r) for r in rows]).rowcount)

    def lock(self, conn: sqlite3.Connection, name: str) -> None:
        if not conn.in_transaction:
            raise RuntimeError("lock() needs an open transaction")

    def is_broken(self, conn: sqlite3.Connection) -> bool:
        return bool(conn.in_transaction)

    def unavailable(self) -> StoreError:
        return StoreError(
            f"Databasfilen {self.path} går inte att öppna eller skriva. Kontrollera att mappen "
            "finns, att roboten får skriva där och att disken inte är full.",
            code="store_unavailable",
        )

    def translate(self, exc: BaseException) -> StoreError | None:
        if not isinstance(exc, sqlite3.Error):
            return None
        name = getattr(exc, "sqlite_errorname", "") or ""
        if isinstance(exc, sqlite3.IntegrityError) or name.startswith("SQLITE_CONSTRAINT"):
            return ConstraintViolation(
                f"Databasfilen {self.path}: en rad bryter mot en regel i databasen.",
            )
        base = "_".join(name.split("_")[:2])  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
        if base in _SQLITE_CORRUPT or "malformed" in str(exc) or "not a database" in str(exc):
            return StoreError(
                f"Databasfilen {self.path} är skadad eller är ingen databas. Stoppa roboten, "
                "flytta undan filen och lägg tillbaka den senaste säkerhetskopian (se "
                "docs/operations.md).",
                code="store_corrupt",
            )
        if base in _SQLITE_BUSY:
            return StoreError(
                f"Databasfilen {self.path} var upptagen av en annan process för länge. Försök "
                "igen om en stund.",
                code="store_busy",
            )
        if base in _SQLITE_UNAVAILABLE:
            return self.unavailable()
        return None
