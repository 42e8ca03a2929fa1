"""The queue's schema as numbered migrations (``robot.db.Database.migrate`` applies them).

Version 1 is the schema the queue had as a single SQLite file (tables ``items``, ``history``,
``runs``); it is kept word for word so that a queue file of that release is recognised and
carried forward. Version 2 moves everything to prefixed tables (``queue_*``: PostgreSQL holds
every component in one database), adds the birth date (two items of one birth date are never
in progress at once: a partial unique index says so in the database itself), the closed-by-a-
person state, typed rejections of import rows, the worker registry and per-machine modes. On
PostgreSQL, where no version-1 queue ever existed, version 1 creates the current tables and
version 2 has nothing to do. Version 3 records the holder's boot time, version 4 every import
row, version 5 each registered worker's process, version 6 keyed persons and a protected person's
columns sealed (``vault``; see ``MIGRATIONS``).

Timestamps are fixed-width UTC ISO text (comparing the text compares the instants), except
heartbeats, which are seconds in the store's own clock (``Database.now_sql``), so that machines
with slightly different clocks agree on whether a holder is late.
"""

from __future__ import annotations

from robot.db import Migration

COMPONENT = "queue"

_STATUSES = "('pending', 'in_progress', 'done', 'needs_person', 'failed', 'rejected', 'closed')"

_V1_SQLITE = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ref TEXT NOT NULL UNIQUE,
        person_key TEXT,
        status TEXT NOT NULL CHECK (status IN
            ('pending', 'in_progress', 'done', 'needs_person', 'failed', 'rejected')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claims INTEGER NOT NULL DEFAULT 0,
        request TEXT, outcome TEXT, decisions TEXT, patient_id TEXT, reason_code TEXT,
        reason_sv TEXT, source TEXT, not_before TEXT, worker TEXT, worker_pid INTEGER,
        worker_host TEXT, worker_started REAL, heartbeat_at TEXT, run_id INTEGER,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id INTEGER NOT NULL REFERENCES items (id),
        at TEXT NOT NULL, from_status TEXT, to_status TEXT NOT NULL, actor TEXT NOT NULL,
        run_id INTEGER, reason TEXT, detail TEXT)""",
    """CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL, finished_at TEXT, host TEXT NOT NULL, pid INTEGER NOT NULL,
        user TEXT NOT NULL, workers INTEGER NOT NULL, item_limit INTEGER, exit_code INTEGER,
        summary TEXT)""",
]


def _tables(*, serial: str, real: str) -> list[str]:
    """The version-2 tables, with the backend's words for an id column and a float."""
    return [
        f"""CREATE TABLE queue_items (
            id {serial},
            ref TEXT NOT NULL UNIQUE,
            person_key TEXT,
            birth_date TEXT,
            status TEXT NOT NULL CHECK (status IN {_STATUSES}),
            attempts INTEGER NOT NULL DEFAULT 0,
            claims INTEGER NOT NULL DEFAULT 0,
            request TEXT,
            outcome TEXT,
            rejection TEXT,
            decisions TEXT,
            patient_id TEXT,
            reason_code TEXT,
            reason_sv TEXT,
            source TEXT,
            not_before TEXT,
            worker TEXT,
            worker_pid INTEGER,
            worker_host TEXT,
            worker_started {real},
            machine TEXT,
            heartbeat {real},
            run_id INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        f"""CREATE TABLE queue_history (
            id {serial},
            item_id INTEGER NOT NULL REFERENCES queue_items (id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            actor TEXT NOT NULL,
            run_id INTEGER,
            reason TEXT,
            detail TEXT)""",
        f"""CREATE TABLE queue_runs (
            id {serial},
            started_at TEXT NOT NULL,
            finished_at TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            "user" TEXT NOT NULL,
            machine TEXT,
            workers INTEGER NOT NULL,
            item_limit INTEGER,
            exit_code INTEGER,
            summary TEXT)""",
        f"""CREATE TABLE queue_workers (
            name TEXT PRIMARY KEY,
            machine TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            run_id INTEGER,
            started_at TEXT NOT NULL,
            heartbeat {real} NOT NULL,
            stopped_at TEXT,
            item_id INTEGER,
            items_done INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE queue_machines (
            machine TEXT PRIMARY KEY,
            mode TEXT NOT NULL CHECK (mode IN ('run', 'paused', 'draining')),
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL)""",
    ]


_INDEXES = [
    "CREATE INDEX queue_items_by_status ON queue_items (status, id)",
    "CREATE INDEX queue_items_by_person ON queue_items (person_key, status)",
    # The database itself refuses a second item of one birth date in progress.
    "CREATE UNIQUE INDEX queue_items_one_birth_date_at_a_time ON queue_items (birth_date)"
    " WHERE status = 'in_progress'",
    "CREATE INDEX queue_history_by_item ON queue_history (item_id, id)",
    "CREATE INDEX queue_history_by_run ON queue_history (run_id, item_id)",
    "CREATE INDEX queue_workers_by_machine ON queue_workers (machine, heartbeat)",
]

_V2_SQLITE = [
    *_tables(serial="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"),
    # Version-1 rows, carried over. A version-1 "rejected" item with a request was a case a
    # person closed in the attended app (invalid rows never had one): it becomes "closed".
    """INSERT INTO queue_items (id, ref, person_key, birth_date, status, attempts, claims,
        request, outcome, rejection, decisions, patient_id, reason_code, reason_sv, source,
        not_before, worker, worker_pid, worker_host, worker_started, machine, heartbeat, run_id,
        created_at, updated_at)
       SELECT id, ref, person_key, json_extract(request, '$.birth_date'),
        CASE WHEN status = 'rejected' AND request IS NOT NULL THEN 'closed' ELSE status END,
        attempts, claims, request,
        CASE WHEN status = 'rejected' AND request IS NULL THEN NULL ELSE outcome END,
        CASE WHEN status = 'rejected' AND request IS NULL AND outcome IS NOT NULL THEN
          json_object('row', COALESCE(json_extract(outcome, '$.row'), 0),
                      'errors', json(COALESCE(json_extract(outcome, '$.errors'), '[]')),
                      'columns_filled',
                      json(COALESCE(json_extract(outcome, '$.columns_filled'), '[]')))
        END,
        decisions, patient_id, reason_code, reason_sv, source, not_before, worker, worker_pid,
        worker_host, worker_started, NULL,
        CASE WHEN heartbeat_at IS NULL THEN NULL
             ELSE (julianday(heartbeat_at) - 2440587.5) * 86400.0 END,
        run_id, created_at, updated_at
       FROM items""",
    """INSERT INTO queue_history (id, item_id, at, from_status, to_status, actor, run_id,
        reason, detail)
       SELECT id, item_id, at, from_status, to_status, actor, run_id, reason, detail
       FROM history""",
    """INSERT INTO queue_runs (id, started_at, finished_at, host, pid, "user", machine, workers,
        item_limit, exit_code, summary)
       SELECT id, started_at, finished_at, host, pid, user, host, workers, item_limit,
        exit_code, summary
       FROM runs""",
    "DROP TABLE history",
    "DROP TABLE items",
    "DROP TABLE runs",
    "DROP TABLE meta",
    *_INDEXES,
]

_V1_POSTGRESQL = [
    *_tables(serial="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", real="DOUBLE PRECISION"),
    *_INDEXES,
]

# Every imported row, keyed by file and row: several rows may name one item (the same person
# twice, a file imported again), and each still gets its own line in resultat.csv.
_V4 = [
    """CREATE TABLE queue_import_rows (
        file TEXT NOT NULL, row_number INTEGER NOT NULL, item_id INTEGER NOT NULL,
        outcome TEXT NOT NULL, imported_at TEXT NOT NULL, PRIMARY KEY (file, row_number))""",
    "CREATE INDEX queue_import_rows_by_item ON queue_import_rows (item_id)",
]

MIGRATIONS = [
    Migration(1, sqlite=_V1_SQLITE, postgresql=_V1_POSTGRESQL),
    Migration(2, sqlite=_V2_SQLITE, postgresql=[]),
    # The holder's boot time, the last fact the process rule (``robot.processes``) needs;
    # ``worker_host`` then holds its machine (host name and pid namespace). Rows claimed
    # before stay NULL: their holder is judged by its heartbeat alone.
    Migration(
        3,
        sqlite=["ALTER TABLE queue_items ADD COLUMN worker_booted REAL"],
        postgresql=["ALTER TABLE queue_items ADD COLUMN worker_booted DOUBLE PRECISION"],
    ),
    Migration(4, sqlite=_V4, postgresql=_V4),
    # The worker's process as the process rule needs it (its machine, start and boot time), so
    # that the registry can tell a worker that died without signing off: it then stops counting
    # as silent. Rows registered before stay NULL and are judged by their heartbeat alone.
    Migration(
        5,
        sqlite=[
            "ALTER TABLE queue_workers ADD COLUMN process_host TEXT",
            "ALTER TABLE queue_workers ADD COLUMN process_started REAL",
            "ALTER TABLE queue_workers ADD COLUMN process_booted REAL",
        ],
        postgresql=[
            "ALTER TABLE queue_workers ADD COLUMN process_host TEXT,"
            " ADD COLUMN process_started DOUBLE PRECISION,"
            " ADD COLUMN process_booted DOUBLE PRECISION"
        ],
    ),
    # Persons and birth dates keyed, a protected person's columns sealed (``vault``): nothing
    # in SQL, since only Python has the key (``Vault.upgrade`` re-keys old rows at open). The
    # version keeps an earlier robot, which would write them in clear, off this store.
    Migration(6, sqlite=[], postgresql=[]),
]

SCHEMA_VERSION = len(MIGRATIONS)
