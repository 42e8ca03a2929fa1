"""One small database layer, two backends: SQLite files (one machine) or one PostgreSQL database.

API in three lines (``?`` placeholders on both backends, rows as dicts, StoreError on failure):
  db = open_database(settings, "queue");  db.migrate("queue", [Migration(1, [sql..], [sql..]), ...])
  with db.transaction() as tx: n = tx.execute(sql, params); tx.one(..) -> dict | None; tx.all(..)
  with db.read() as tx: ... (a snapshot); tx.lock(name) serialises writers; db.now_sql: store clock

``Settings.store_dsn`` chooses the backend: empty means a SQLite file per component in
``settings.data_dir`` (``<component>.sqlite3``, private 0600, WAL, ``synchronous=FULL``, a busy
timeout), ``postgresql://...`` means that one database for every component (psycopg 3). Write
transactions on SQLite are ``BEGIN IMMEDIATE`` (writers queue up; no upgrade deadlocks), reads
are snapshots. Tables of all components share one PostgreSQL database: prefix their names with
the component (``queue_items``, ``journal_steps``).

A ``Database`` may be shared by threads (each transaction borrows its own connection from a
small pool) and survives ``fork`` (a child never touches, and never closes, a connection it
inherited; it opens its own). Failures of the store itself (corrupt file, server out of reach,
busy too long, missing rights) raise ``StoreError`` with a Swedish message naming the file or
the host, never the password; a broken constraint raises ``ConstraintViolation``; mistakes in
the SQL stay the driver's own errors (they are bugs, not situations). The backends live in
``robot/db_sqlite.py`` and ``robot/db_postgres.py``; this module is the API and the pool.

Long (about 500 lines) because it holds the API both backends share (transactions, migrations,
the pool, fork safety); the backends themselves are in db_sqlite.py and db_postgres.py.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self

from robot.db_postgres import PostgresBackend
from robot.db_sqlite import SqliteBackend
from robot.errors import ConstraintViolation, StoreError
from robot.files import private_file
from robot.settings import Settings

__all__ = [
    "ConstraintViolation",
    "Database",
    "Migration",
    "StoreError",
    "Tx",
    "open_database",
    "open_postgresql",
    "open_sqlite",
]

_COMPONENT = re.compile(r"[a-z][a-z0-9_]*")

MAX_IDLE_CONNECTIONS = 4

Kind = Literal["sqlite", "postgresql"]

# Connections a forked child inherited: kept referenced so that they are never finalised (and
# so never closed) in the child, which would tear down the parent's session or lock state.
_INHERITED: list[object] = []

_SCHEMA_VERSIONS = {
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS schema_versions ("
        " component TEXT PRIMARY KEY, version INTEGER NOT NULL, migrated_at REAL NOT NULL)"
    ),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS schema_versions ("
        " component TEXT PRIMARY KEY, version INTEGER NOT NULL,"
        " migrated_at DOUBLE PRECISION NOT NULL)"
    ),
}

# "Now" in the store's clock as seconds since the epoch (a float): the machine's clock on
# SQLite (one machine), the server's on PostgreSQL (every machine sees the same clock). Both are
# stable within one statement.
_NOW_SQL = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgresql": "(extract(epoch from statement_timestamp())::double precision)",
}


@dataclass(frozen=True)
class Migration:
    """One numbered schema step, written once per backend (either list may be empty)."""

    version: int
    sqlite: Sequence[str]
    postgresql: Sequence[str]


class _Backend(Protocol):
    """What a backend (``robot.db_sqlite``, ``robot.db_postgres``) gives the ``Database``."""

    @property
    def kind(self) -> Kind: ...
    @property
    def where(self) -> str: ...

    def connect(self) -> Any: ...
    def close(self, conn: Any) -> None: ...
    def begin(self, conn: Any, *, write: bool) -> None: ...
    def end(self, conn: Any, *, commit: bool, write: bool) -> None: ...
    def run(self, conn: Any, sql: str, params: Sequence[Any]) -> Any: ...
    def run_many(self, conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> int: ...
    def lock(self, conn: Any, name: str) -> None: ...
    def translate(self, exc: BaseException) -> StoreError | None: ...
    def is_broken(self, conn: Any) -> bool: ...


class Tx:
    """One open transaction. Valid only inside its ``with`` block."""

    def __init__(self, db: Database, conn: Any, *, write: bool) -> None:
        self._db = db
        self._conn: Any = conn
        self._write = write

    @property
    def kind(self) -> Kind:
        return self._db.kind

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        cur = self._run(sql, params)
        return int(cur.rowcount)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement once per parameter row; the total number of rows changed."""
        conn = self._live()
        try:
            return self._db._backend.run_many(conn, sql, rows)
        except Exception as exc:
            raise self._db._translated(exc) from exc

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a query as a dict, or None."""
        cur = self._run(sql, params)
        try:
            row = cur.fetchone()
        except Exception as exc:
            raise self._db._translated(exc) from exc
        return None if row is None else _as_dict(cur, row)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row of a query as dicts."""
        cur = self._run(sql, params)
        try:
            rows = cur.fetchall()
        except Exception as exc:
            raise self._db._translated(exc) from exc
        return [_as_dict(cur, row) for row in rows]

    def now(self) -> float:
        """The store's clock, in seconds since the epoch (see ``Database.now_sql``)."""
        row = self.one(f"SELECT {self._db.now_sql} AS now")
        assert row is not None
        return float(row["now"])

    def lock(self, name: str) -> None:
        """Serialise this transaction with every other one taking the same ``name``.

        PostgreSQL: a transaction-level advisory lock (held until commit or rollback). SQLite: a
        write transaction already excludes every other writer, so nothing more is needed.
        """
        conn = self._live()
        try:
            self._db._backend.lock(conn, name)
        except Exception as exc:
            raise self._db._translated(exc) from exc

    def _run(self, sql: str, params: Sequence[Any]) -> Any:
        conn = self._live()
        try:
            return self._db._backend.run(conn, sql, params)
        except sqlite3.OperationalError as exc:
            if not self._write and getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY":
                raise  # a write inside read(): a mistake in the code, not a store failure
            raise self._db._translated(exc) from exc
        except Exception as exc:
            raise self._db._translated(exc) from exc

    def _live(self) -> Any:
        if self._conn is None:
            raise RuntimeError("transaction used outside its with-block")
        return self._conn

    def _close(self) -> None:
        self._conn = None


class Database:
    """A store of one or more components; open with ``open_database``. Thread- and fork-safe."""

    def __init__(self, backend: _Backend) -> None:
        self._backend = backend
        self.kind: Kind = backend.kind
        self.where = backend.where
        self.now_sql = _NOW_SQL[backend.kind]
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._pid = os.getpid()
        self._local = threading.local()
        self._closed = False

    # Transactions ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A write transaction: committed on success, rolled back on any error."""
        if getattr(self._local, "writing", False):
            raise RuntimeError("nested write transaction on the same database in one thread")
        self._local.writing = True
        try:
            with self._tx(write=True) as tx:
                yield tx
        finally:
            self._local.writing = False

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only snapshot: every query inside sees the same committed state."""
        with self._tx(write=False) as tx:
            yield tx

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Tx]:
        conn = self._begin(write=write)
        tx = Tx(self, conn, write=write)
        broken = False
        try:
            try:
                yield tx
            except BaseException:
                broken = self._rollback(conn, write=write)
                raise
            try:
                self._backend.end(conn, commit=True, write=write)
            except Exception as exc:
                broken = self._rollback(conn, write=write)
                raise self._translated(exc) from exc
        finally:
            tx._close()
            self._checkin(conn, broken=broken)

    def _begin(self, *, write: bool) -> Any:
        """A pooled connection with a transaction open; one fresh retry if the pooled one died."""
        conn, fresh = self._checkout()
        try:
            self._backend.begin(conn, write=write)
            return conn
        except Exception as exc:
            error = self._translated(exc)
            self._checkin(conn, broken=True)
            if fresh or not isinstance(error, StoreError) or error.code != "store_unavailable":
                raise error from exc
        conn = self._connect()
        try:
            self._backend.begin(conn, write=write)
        except Exception as exc:
            self._checkin(conn, broken=True)
            raise self._translated(exc) from exc
        return conn

    def _rollback(self, conn: Any, *, write: bool) -> bool:
        """Roll back; True when the connection is unusable afterwards."""
        try:
            self._backend.end(conn, commit=False, write=write)
        except Exception:
            return True
        return self._backend.is_broken(conn)

    # Migrations ------------------------------------------------------------------------------

    def migrate(self, component: str, migrations: Sequence[Migration]) -> int:
        """Bring ``component``'s schema to the newest of ``migrations``; its version after.

        Migrations are numbered 1, 2, 3, ... and applied in one transaction, so a component
        is either fully at the new version or untouched. The version is stored per component
        in ``schema_versions`` and read back each time: a store written by a newer robot is
        refused (``store_too_new``) rather than misread.
        """
        versions = [m.version for m in migrations]
        if versions != list(range(1, len(migrations) + 1)):
            raise ValueError(f"migrations of {component} must be numbered 1..n, got {versions}")
        target = len(migrations)
        with self.transaction() as tx:
            # Two processes starting at once must not both create the table or both migrate.
            tx.lock("robot.db.migrate")
            tx.execute(_SCHEMA_VERSIONS[self.kind])
            row = tx.one("SELECT version FROM schema_versions WHERE component = ?", (component,))
            current = 0 if row is None else int(row["version"])
            if current > target:
                raise StoreError(
                    f"Databasen {self.where} är skapad av en nyare version av roboten "
                    f"({component} version {current}; den här versionen känner bara till "
                    f"version {target}). Uppdatera roboten på den här datorn innan den körs "
                    "igen.",
                    code="store_too_new",
                )
            for migration in migrations[current:]:
                for statement in getattr(migration, self.kind):
                    tx.execute(statement)
            if current < target:
                tx.execute(  # now_sql is a constant expression, not input
                    "INSERT INTO schema_versions (component, version, migrated_at)"  # noqa: S608
                    f" VALUES (?, ?, {self.now_sql})"
                    " ON CONFLICT (component) DO UPDATE"
                    " SET version = excluded.version, migrated_at = excluded.migrated_at",
                    (component, target),
                )
            row = tx.one("SELECT version FROM schema_versions WHERE component = ?", (component,))
        version = 0 if row is None else int(row["version"])
        if version != target:
            raise StoreError(
                f"Databasen {self.where} kunde inte uppdateras ({component}).",
                code="store_corrupt",
            )
        return version

    def version(self, component: str) -> int:
        """The stored schema version of ``component`` (0 when never migrated)."""
        with self.read() as tx:
            exists = tx.one(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'"
                if self.kind == "sqlite"
                else "SELECT to_regclass('schema_versions') AS name"
            )
            if exists is None or exists["name"] is None:
                return 0
            row = tx.one("SELECT version FROM schema_versions WHERE component = ?", (component,))
        return 0 if row is None else int(row["version"])

    def check(self) -> None:
        """A health check for ``doctor``: raise ``StoreError`` if the store is not fit to use.

        SQLite: ``PRAGMA quick_check`` reads every page (damage deep in a file shows here, not
        only at open). PostgreSQL: a round trip, and the right to create tables in the schema
        (migrations need it).
        """
        with self.read() as tx:
            if self.kind == "sqlite":
                rows = tx.all("PRAGMA quick_check")
                results = [str(next(iter(r.values()))) for r in rows]
                if results != ["ok"]:
                    raise StoreError(
                        f"Databasfilen {self.where} är skadad ({len(results)} fel). Stoppa "
                        "roboten, flytta undan filen och lägg tillbaka den senaste "
                        "säkerhetskopian (se docs/operations.md).",
                        code="store_corrupt",
                    )
                return
            row = tx.one(
                "SELECT has_schema_privilege(current_user, current_schema(), 'CREATE')"
                " AS can_create"
            )
        if row is None or not row["can_create"]:
            raise StoreError(
                f"Databasanvändaren saknar behörighet i databasen {self.where}: den får inte "
                "skapa tabeller. Ge rollen de rättigheter som docs/operations.md beskriver.",
                code="store_forbidden",
            )

    # Connections -----------------------------------------------------------------------------

    def _checkout(self) -> tuple[Any, bool]:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"database {self.where} is closed")
            if os.getpid() != self._pid:
                _INHERITED.extend(self._idle)
                self._idle = []
                self._pid = os.getpid()
                self._local = threading.local()
            if self._idle:
                return self._idle.pop(), False
        return self._connect(), True

    def _connect(self) -> Any:
        try:
            return self._backend.connect()
        except StoreError:
            raise
        except Exception as exc:
            raise self._translated(exc) from exc

    def _checkin(self, conn: Any, *, broken: bool) -> None:
        with self._lock:
            if os.getpid() != self._pid:
                _INHERITED.append(conn)
                return
            if not broken and not self._closed and len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        with suppress(Exception):
            self._backend.close(conn)

    def _translated(self, exc: BaseException) -> Exception:
        """The store's own error for a driver failure; the driver's error for a SQL mistake."""
        if isinstance(exc, StoreError):
            return exc
        error = self._backend.translate(exc)
        if error is not None:
            return error
        return exc if isinstance(exc, Exception) else RuntimeError(str(exc))

    def drop_deleted_copies(self) -> None:
        """SQLite: checkpoint and truncate the write-ahead log, whose old frames still hold
        rows deleted since (with ``secure_delete`` the main file holds none). PostgreSQL: no-op
        (dead rows go with autovacuum)."""
        if self.kind != "sqlite":
            return
        conn, _ = self._checkout()
        broken = True
        try:
            self._backend.run(conn, "PRAGMA wal_checkpoint(TRUNCATE)", ())
            broken = False
        except Exception as exc:
            raise self._translated(exc) from exc
        finally:
            self._checkin(conn, broken=broken)

    def close(self) -> None:
        """Close every idle connection of this process; the database cannot be used after."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._closed = True
            mine = os.getpid() == self._pid
        for conn in idle:
            if mine:
                with suppress(Exception):
                    self._backend.close(conn)
            else:
                _INHERITED.append(conn)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.kind}: {self.where})"


# Opening --------------------------------------------------------------------------------------


def open_database(settings: Settings, component: str) -> Database:
    """The store of ``component`` as the settings choose it (see the module docstring).

    Checks the store at once: a corrupt file or an unreachable server raises ``StoreError``
    here, not at the first query.
    """
    if not _COMPONENT.fullmatch(component):
        raise ValueError(f"component must be a lower-case identifier, got {component!r}")
    dsn = settings.store_dsn.strip()
    if dsn:
        return open_postgresql(dsn, application_name=f"reservrobot-{component}")
    return open_sqlite(Path(settings.data_dir) / f"{component}.sqlite3")


def open_sqlite(path: Path) -> Database:
    """A SQLite file as a ``Database`` (created private, 0600, in WAL mode)."""
    backend = SqliteBackend(Path(path))
    try:
        private_file(backend.path, sqlite_sidecars=True)
    except OSError as exc:
        raise backend.unavailable() from exc
    db = Database(backend)
    conn, _ = db._checkout()
    broken = True
    try:
        # The journal mode is persistent in the file and cannot change inside a transaction.
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            raise backend.unavailable()
        broken = False
    except sqlite3.Error as exc:
        raise db._translated(exc) from exc
    finally:
        db._checkin(conn, broken=broken)
    return db


def open_postgresql(dsn: str, *, application_name: str = "reservrobot") -> Database:
    """A PostgreSQL database as a ``Database``; connects once to check it can be reached."""
    backend = PostgresBackend(dsn, application_name=application_name)
    db = Database(backend)
    conn, _ = db._checkout()
    db._checkin(conn, broken=False)
    return db


def _as_dict(cur: Any, row: Sequence[Any]) -> dict[str, Any]:
    names = [d[0] for d in cur.description]
    return dict(zip(names, row, strict=True))
