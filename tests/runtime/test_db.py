"""robot.db contract: the same behaviour on SQLite files and on a real PostgreSQL server."""

from __future__ import annotations

import multiprocessing
import os
import socket
import sqlite3
import stat
import threading
import traceback
from contextlib import closing
from pathlib import Path

import pytest

from robot.db import ConstraintViolation, Database, Migration, StoreError, open_database
from robot.settings import Settings

V1 = Migration(
    1,
    sqlite=["CREATE TABLE demo_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"],
    postgresql=["CREATE TABLE demo_items (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"],
)
V2 = Migration(
    2,
    sqlite=[
        "CREATE TABLE demo_notes (id INTEGER PRIMARY KEY, note TEXT)",
        "ALTER TABLE demo_items ADD COLUMN size INTEGER NOT NULL DEFAULT 0",
    ],
    postgresql=[
        "CREATE TABLE demo_notes (id BIGINT PRIMARY KEY, note TEXT)",
        "ALTER TABLE demo_items ADD COLUMN size INTEGER NOT NULL DEFAULT 0",
    ],
)


@pytest.fixture
def db(settings: Settings) -> Database:
    database = open_database(settings, "demo")
    database.migrate("demo", [V1])
    return database


def _table_exists(db: Database, name: str) -> bool:
    with db.read() as tx:
        if db.kind == "sqlite":
            row = tx.one(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            )
            return row is not None
        row = tx.one("SELECT to_regclass(?) AS name", (name,))
        return row is not None and row["name"] is not None


def test_migrations_are_applied_once_in_order_and_the_version_is_read_back(
    settings: Settings,
) -> None:
    db = open_database(settings, "demo")
    assert db.version("demo") == 0
    assert db.migrate("demo", [V1]) == 1
    # V1 again would fail (no IF NOT EXISTS): the stored version must be read and respected.
    assert db.migrate("demo", [V1, V2]) == 2
    assert db.migrate("demo", [V1, V2]) == 2
    assert db.version("demo") == 2
    assert _table_exists(db, "demo_notes")
    with db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name, size) VALUES (?, ?, ?)", (1, "a", 3))

    # Another process opening the same store sees the same version.
    again = open_database(settings, "demo")
    assert again.version("demo") == 2
    assert again.version("other") == 0


def test_a_store_newer_than_the_code_is_refused_with_a_swedish_message(
    settings: Settings,
) -> None:
    db = open_database(settings, "demo")
    db.migrate("demo", [V1, V2])
    with pytest.raises(StoreError) as caught:
        open_database(settings, "demo").migrate("demo", [V1])
    assert caught.value.code == "store_too_new"
    assert "nyare version av roboten" in caught.value.message
    assert "version 2" in caught.value.message
    assert db.version("demo") == 2


def test_migrations_must_be_numbered_from_one_without_gaps(db: Database) -> None:
    with pytest.raises(ValueError, match="numbered"):
        db.migrate("demo", [V2])
    with pytest.raises(ValueError, match="numbered"):
        db.migrate("demo", [V1, V1])


def test_a_failing_migration_changes_neither_the_schema_nor_the_version(db: Database) -> None:
    broken = Migration(
        2,
        sqlite=["CREATE TABLE demo_half (id INTEGER)", "THIS IS NOT SQL"],
        postgresql=["CREATE TABLE demo_half (id INTEGER)", "THIS IS NOT SQL"],
    )
    with pytest.raises(Exception, match="syntax"):
        db.migrate("demo", [V1, broken])
    assert db.version("demo") == 1
    assert not _table_exists(db, "demo_half")


def test_a_transaction_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    with db.transaction() as tx:
        assert tx.execute("INSERT INTO demo_items (id, name) VALUES (?, ?)", (1, "kept")) == 1
    with pytest.raises(RuntimeError, match="boom"), db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (?, ?)", (2, "lost"))
        tx.execute("UPDATE demo_items SET name = ? WHERE id = ?", ("changed", 1))
        raise RuntimeError("boom")
    with db.read() as tx:
        assert tx.all("SELECT id, name FROM demo_items ORDER BY id") == [{"id": 1, "name": "kept"}]


def test_rows_are_dicts_and_rowcounts_are_counted(db: Database) -> None:
    with db.transaction() as tx:
        rows = [(i, f"n{i}") for i in range(1, 6)]
        assert tx.execute_many("INSERT INTO demo_items (id, name) VALUES (?, ?)", rows) == 5
        assert tx.execute("UPDATE demo_items SET name = ? WHERE id > ?", ("big", 3)) == 2
        assert tx.one("SELECT name FROM demo_items WHERE id = ?", (99,)) is None
        assert tx.one("SELECT count(*) AS n FROM demo_items") == {"n": 5}
    with db.read() as tx:
        names = [r["name"] for r in tx.all("SELECT name FROM demo_items ORDER BY id")]
    assert names == ["n1", "n2", "n3", "big", "big"]


def test_question_marks_and_percent_signs_survive_as_data_and_as_sql(db: Database) -> None:
    odd = "50% ? 'citat' \"dubbel\" %s %(x)s"
    with db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (?, ?)", (1, odd))
        tx.execute("INSERT INTO demo_items (id, name) VALUES (2, 'literal ? and %')")
    with db.read() as tx:
        assert tx.one("SELECT name FROM demo_items WHERE id = ?", (1,)) == {"name": odd}
        hits = tx.all(
            "SELECT id FROM demo_items WHERE name LIKE '%?%' AND id > ? ORDER BY id", (0,)
        )
        assert [h["id"] for h in hits] == [1, 2]
        assert tx.one("SELECT 'a%b' AS v") == {"v": "a%b"}


def test_a_read_is_a_snapshot_that_a_later_commit_does_not_change(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (1, 'before')")

    def write() -> None:
        with db.transaction() as tx:
            tx.execute("UPDATE demo_items SET name = 'after' WHERE id = 1")

    with db.read() as tx:
        assert tx.one("SELECT name FROM demo_items WHERE id = 1") == {"name": "before"}
        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
        assert tx.one("SELECT name FROM demo_items WHERE id = 1") == {"name": "before"}
    with db.read() as tx:
        assert tx.one("SELECT name FROM demo_items WHERE id = 1") == {"name": "after"}


def test_a_write_inside_a_read_is_refused(db: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)read-?only"), db.read() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (1, 'x')")
    with db.read() as tx:
        assert tx.all("SELECT id FROM demo_items") == []


def test_a_duplicate_key_is_a_constraint_violation(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (1, 'a')")
    with pytest.raises(ConstraintViolation) as caught, db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (1, 'b')")
    assert caught.value.code == "store_constraint"
    # The connection went back to the pool in a usable state.
    with db.read() as tx:
        assert tx.all("SELECT name FROM demo_items") == [{"name": "a"}]


def test_a_transaction_is_not_usable_after_its_block_and_writes_do_not_nest(
    db: Database,
) -> None:
    with db.transaction() as tx:
        pass
    with pytest.raises(RuntimeError, match="outside"):
        tx.execute("SELECT 1")
    with pytest.raises(RuntimeError, match="nested"), db.transaction(), db.transaction():
        pass


def test_lock_serialises_read_modify_write_between_threads(db: Database) -> None:
    db.migrate("demo", [V1, V2])
    with db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name, size) VALUES (1, 'counter', 0)")
    rounds, threads = 15, 3

    def bump() -> None:
        for _ in range(rounds):
            with db.transaction() as tx:
                tx.lock("demo.counter")
                row = tx.one("SELECT size FROM demo_items WHERE id = 1")
                assert row is not None
                tx.execute("UPDATE demo_items SET size = ? WHERE id = 1", (row["size"] + 1,))

    workers = [threading.Thread(target=bump) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    with db.read() as tx:
        assert tx.one("SELECT size FROM demo_items WHERE id = 1") == {"size": rounds * threads}


def _child_writes_and_closes(db: Database) -> None:
    """Forked child: use the inherited Database (new connection), close it, collect garbage."""
    import gc

    with db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (2, 'child')")
    db.close()
    gc.collect()


def test_a_forked_child_leaves_the_parents_connections_working(db: Database) -> None:
    with db.transaction() as tx:  # the parent now has a pooled, open connection
        tx.execute("INSERT INTO demo_items (id, name) VALUES (1, 'parent')")
    child = multiprocessing.get_context("fork").Process(target=_child_writes_and_closes, args=(db,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    with db.transaction() as tx:
        tx.execute("INSERT INTO demo_items (id, name) VALUES (3, 'parent again')")
    with db.read() as tx:
        assert [r["id"] for r in tx.all("SELECT id FROM demo_items ORDER BY id")] == [1, 2, 3]


def test_the_store_clock_is_a_float_of_epoch_seconds(db: Database) -> None:
    with db.read() as tx:
        first = tx.now()
        row = tx.one(f"SELECT {db.now_sql} AS now")
    assert row is not None
    assert first > 1_600_000_000
    assert float(row["now"]) >= first - 1


def _migrate_at_once(data_dir: str, dsn: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    db = open_database(Settings(data_dir=Path(data_dir), store_dsn=dsn), "demo")
    barrier.wait(timeout=60)
    assert db.migrate("demo", [V1, V2]) == 2


def test_processes_migrating_a_fresh_store_at_once_all_succeed(settings: Settings) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    args = (str(settings.data_dir), settings.store_dsn, barrier)
    procs = [ctx.Process(target=_migrate_at_once, args=args) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    assert open_database(settings, "demo").version("demo") == 2


# SQLite only ----------------------------------------------------------------------------------


def test_a_garbage_sqlite_file_is_store_corrupt_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    path.write_bytes(b"this is not a database at all " * 200)
    with pytest.raises(StoreError) as caught:
        open_database(Settings(data_dir=tmp_path), "queue")
    assert caught.value.code == "store_corrupt"
    assert str(path) in caught.value.message
    assert "skadad" in caught.value.message


def test_a_sqlite_file_damaged_inside_is_store_corrupt_when_read(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    db = open_database(settings, "demo")
    db.migrate("demo", [V1])
    with db.transaction() as tx:
        tx.execute_many(
            "INSERT INTO demo_items (id, name) VALUES (?, ?)",
            [(i, "x" * 200) for i in range(2000)],
        )
    db.close()  # the last connection checkpoints the WAL into the main file
    path = tmp_path / "demo.sqlite3"
    size = path.stat().st_size
    with open(path, "r+b") as fh:  # keep the header, trash the pages after the schema
        fh.seek(4096 * 3)
        fh.write(os.urandom(size - 4096 * 3))
    with pytest.raises(StoreError) as caught:
        damaged = open_database(settings, "demo")
        with damaged.read() as tx:
            tx.all("SELECT * FROM demo_items")
    assert caught.value.code == "store_corrupt"
    assert str(path) in caught.value.message


def test_check_finds_damage_that_opening_does_not(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    db = open_database(settings, "demo")
    db.migrate("demo", [V1])
    with db.transaction() as tx:
        tx.execute_many(
            "INSERT INTO demo_items (id, name) VALUES (?, ?)", [(i, "y" * 300) for i in range(500)]
        )
    db.check()
    db.close()
    path = tmp_path / "demo.sqlite3"
    with open(path, "r+b") as fh:  # damage one page near the end, far from the schema
        fh.seek(path.stat().st_size - 4096 * 2)
        fh.write(b"\xff" * 4096)
    damaged = open_database(settings, "demo")  # the header and schema still read fine
    with pytest.raises(StoreError) as caught:
        damaged.check()
    assert caught.value.code == "store_corrupt"
    assert str(path) in caught.value.message


def test_the_sqlite_store_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        db = open_database(Settings(data_dir=tmp_path / "new"), "demo")
        db.migrate("demo", [V1])
        path = tmp_path / "new" / "demo.sqlite3"
        with closing(sqlite3.connect(path)) as reader:
            assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            with db.transaction() as tx:
                tx.execute("INSERT INTO demo_items (id, name) VALUES (1, 'a')")
            modes = {
                p.name: stat.S_IMODE(p.stat().st_mode)
                for p in path.parent.iterdir()
                if p.name.startswith("demo.sqlite3")
            }
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert set(modes) == {"demo.sqlite3", "demo.sqlite3-wal", "demo.sqlite3-shm"}
    assert set(modes.values()) == {0o600}, modes


def test_an_unwritable_data_folder_is_store_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with pytest.raises(StoreError) as caught:
        open_database(Settings(data_dir=blocker / "data"), "queue")
    assert caught.value.code == "store_unavailable"
    assert "queue.sqlite3" in caught.value.message


# PostgreSQL only ------------------------------------------------------------------------------


def test_an_unreachable_postgresql_is_store_unavailable_without_the_password() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket is closed
    dsn = f"postgresql://robot:hemligt-lösen@127.0.0.1:{port}/reservrobot"
    with pytest.raises(StoreError) as caught:
        open_database(Settings(store_dsn=dsn), "queue")
    assert caught.value.code == "store_unavailable"
    assert f"127.0.0.1:{port}" in caught.value.message
    assert "reservrobot" in caught.value.message
    everything = "".join(traceback.format_exception(caught.value))
    assert "hemligt" not in everything


def test_a_key_value_dsn_works_and_is_described_without_its_password(postgres_dsn: str) -> None:
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(postgres_dsn)
    dsn = (
        f"host={parts['host']} port={parts['port']} dbname={parts['dbname']}"
        f" user={parts['user']} password='hemligt lösen'"
    )
    db = open_database(Settings(store_dsn=dsn), "demo")  # trust auth: the password is unused
    assert db.migrate("demo", [V1]) == 1
    assert f"{parts['dbname']} på {parts['host']}:{parts['port']}" in db.where
    assert "hemligt" not in db.where + repr(db)


def test_check_refuses_a_role_that_cannot_create_tables(postgres_dsn: str) -> None:
    db = open_database(Settings(store_dsn=postgres_dsn), "demo")
    db.check()
    with db.transaction() as tx:
        tx.execute("CREATE ROLE demo_reader LOGIN")
        tx.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    reader_dsn = postgres_dsn.replace("://postgres@", "://demo_reader@")
    assert reader_dsn != postgres_dsn
    try:
        with pytest.raises(StoreError) as caught:
            open_database(Settings(store_dsn=reader_dsn), "demo").check()
        assert caught.value.code == "store_forbidden"
    finally:
        with db.transaction() as tx:
            tx.execute("DROP OWNED BY demo_reader")
            tx.execute("DROP ROLE demo_reader")


def test_a_wrong_database_name_is_store_unavailable(postgres_dsn: str) -> None:
    dsn = postgres_dsn.rsplit("/", 1)[0] + "/finns_inte"
    with pytest.raises(StoreError) as caught:
        open_database(Settings(store_dsn=dsn), "queue")
    assert caught.value.code == "store_unavailable"
    assert "finns_inte" in caught.value.message


def test_a_restarted_connection_is_replaced_transparently(postgres_dsn: str) -> None:
    db = open_database(Settings(store_dsn=postgres_dsn), "demo")
    db.migrate("demo", [V1])
    with db.read() as tx:
        pid = tx.one("SELECT pg_backend_pid() AS pid")
    assert pid is not None
    # An administrator (or a server restart) ends the pooled connection's session.
    with open_database(Settings(store_dsn=postgres_dsn), "admin").transaction() as tx:
        tx.execute("SELECT pg_terminate_backend(?)", (pid["pid"],))
    with db.read() as tx:
        again = tx.one("SELECT pg_backend_pid() AS pid")
    assert again is not None and again["pid"] != pid["pid"]


def test_settings_show_the_store_dsn_without_its_password() -> None:
    shown = Settings(store_dsn="postgresql://robot:hemligt@db1:5432/reservrobot").masked()
    assert shown["store_dsn"] == "postgresql://robot:**********@db1:5432/reservrobot"
    assert "hemligt" not in repr(shown)
