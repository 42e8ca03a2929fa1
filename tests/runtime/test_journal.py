"""StepJournal: durable, private, and safe when several processes write at once (both stores)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from robot.db import open_database
from robot.journal import StepJournal
from robot.settings import Settings

WORKERS = 4
STEPS_PER_WORKER = 25


def _open(data_dir: str | Path, dsn: str) -> StepJournal:
    """The journal as the runner opens it: the store's ``journal`` component."""
    return StepJournal(open_database(Settings(data_dir=Path(data_dir), store_dsn=dsn), "journal"))


def _write_many(data_dir: str, dsn: str, worker: int) -> None:
    """Child process: each worker writes its own key and the shared key, interleaved."""
    journal = _open(data_dir, dsn)
    for i in range(STEPS_PER_WORKER):
        journal.record(f"p_worker{worker}", f"step{i}", {"worker": worker, "i": i})
        journal.record("p_shared", f"w{worker}-s{i}", {"worker": worker, "i": i})


def _record_then_die(data_dir: str, dsn: str) -> None:
    """Child process: record a created reservnummer, then die without any cleanup."""
    _open(data_dir, dsn).record("p_crash", "create_rns", {"patient_id": "19612121201M7"})
    os.kill(os.getpid(), signal.SIGKILL)


def test_record_and_read_back_steps_in_order_with_replace_and_clear(settings: Settings) -> None:
    journal = _open(settings.data_dir, settings.store_dsn)
    journal.record("p_abc", "create_rns", {"patient_id": "19612121201M7", "reused": False})
    journal.record("p_abc", "register_pmo", {"saved": True})
    journal.record("p_other", "create_rns", {"patient_id": "19700101202K3"})
    journal.record("p_abc", "create_rns", {"patient_id": "19612121201M7", "reused": True})

    steps = journal.steps("p_abc")
    assert list(steps) == ["create_rns", "register_pmo"]
    assert steps["create_rns"] == {"patient_id": "19612121201M7", "reused": True}
    assert journal.get("p_abc", "verify") is None

    journal.clear("p_abc")
    assert journal.steps("p_abc") == {}
    assert journal.steps("p_other") == {"create_rns": {"patient_id": "19700101202K3"}}


def test_journal_is_wal_and_its_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "journal.sqlite3"
    old = os.umask(0)
    try:
        journal = StepJournal(path)
        # SQLite deletes the -wal and -shm files when the last connection closes: keep one open.
        with closing(sqlite3.connect(path)) as reader:
            assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            journal.record("p_abc", "create_rns", {"patient_id": "19612121201M7"})
            files = [p for p in path.parent.iterdir() if p.name.startswith("journal.sqlite3")]
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert set(modes) == {"journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm"}
    assert set(modes.values()) == {0o600}, modes


def test_several_processes_writing_at_once_lose_nothing(settings: Settings) -> None:
    where = (str(settings.data_dir), settings.store_dsn)
    _open(*where)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(*where, w)) for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0

    journal = _open(*where)
    shared = journal.steps("p_shared")
    assert len(shared) == WORKERS * STEPS_PER_WORKER
    for w in range(WORKERS):
        own = journal.steps(f"p_worker{w}")
        assert own == {f"step{i}": {"worker": w, "i": i} for i in range(STEPS_PER_WORKER)}


def test_a_recorded_step_survives_the_process_being_killed(settings: Settings) -> None:
    where = (str(settings.data_dir), settings.store_dsn)
    proc = multiprocessing.get_context("spawn").Process(target=_record_then_die, args=where)
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL
    assert _open(*where).steps("p_crash") == {"create_rns": {"patient_id": "19612121201M7"}}


def test_a_failed_write_leaves_no_partial_row(settings: Settings) -> None:
    journal = _open(settings.data_dir, settings.store_dsn)
    with pytest.raises(TypeError):
        journal.record("p_abc", "create_rns", {"not json": object()})
    assert journal.steps("p_abc") == {}


def test_a_journal_opened_by_path_is_the_stores_journal_component(tmp_path: Path) -> None:
    by_path = StepJournal(tmp_path / "journal.sqlite3")
    by_path.record("p_abc", "create_rns", {"patient_id": "19612121201M7"})
    by_store = _open(tmp_path, "")
    assert by_store.steps("p_abc") == {"create_rns": {"patient_id": "19612121201M7"}}


def test_a_journal_file_from_before_versioning_keeps_its_steps_in_order(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with closing(sqlite3.connect(path)) as old, old:
        # Exactly the table the journal created before the store kept schema versions.
        old.execute(
            "CREATE TABLE IF NOT EXISTS steps (key TEXT NOT NULL, step TEXT NOT NULL,"
            " data TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (key, step))"
        )
        old.executemany(
            "INSERT INTO steps VALUES (?, ?, ?, '2026-01-01T00:00:00+00:00')",
            [
                ("p_old", "create_rns", '{"patient_id": "19612121201M7"}'),
                ("p_old", "register_pmo", '{"saved": true}'),
                ("p_old", "a_step_sorting_first", "{}"),
            ],
        )
    journal = StepJournal(path)
    assert list(journal.steps("p_old")) == ["create_rns", "register_pmo", "a_step_sorting_first"]
    assert journal.get("p_old", "create_rns") == {"patient_id": "19612121201M7"}
    assert journal.db.version("journal") == 2


def test_a_keyed_journal_stores_no_recomputable_key_and_still_reads_an_old_row(
    tmp_path: Path,
) -> None:
    """Issue 25, point 7: rows are keyed with the pseudonym HMAC (the whole of it), not the
    request's unkeyed SHA-256 that can be tried name by name; a row an earlier version wrote
    under the plain key is still found (a number journaled before the upgrade is never made
    twice) and cleared with the rest."""
    from pydantic import SecretStr

    from robot.logs import Pseudonymizer

    path = tmp_path / "journal.sqlite3"
    StepJournal(path).record("fp:abc", "create_rns", {"value": "19900101-01K3"})  # old version
    keyed = StepJournal(path, keyed=Pseudonymizer(SecretStr("hemlig-nyckel")).full)
    assert keyed.steps("fp:abc") == {"create_rns": {"value": "19900101-01K3"}}
    keyed.record("fp:abc", "register_pmo", {"patient_id": "19900101-01K3"})
    with closing(sqlite3.connect(path)) as db:
        row_keys = {k for (k,) in db.execute("SELECT key FROM journal_steps")}
    assert "fp:abc" in row_keys  # the old row, until cleared
    [new_key] = row_keys - {"fp:abc"}
    assert new_key.startswith("k_") and len(new_key) == 2 + 64
    keyed.clear("fp:abc")
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT COUNT(*) FROM journal_steps").fetchone() == (0,)
