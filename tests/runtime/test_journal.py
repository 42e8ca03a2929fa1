"""StepJournal: durable, private, and safe when several processes write at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from robot.journal import StepJournal

WORKERS = 4
STEPS_PER_WORKER = 25


def _write_many(path: str, worker: int) -> None:
    """Child process: each worker writes its own key and the shared key, interleaved."""
    journal = StepJournal(Path(path))
    for i in range(STEPS_PER_WORKER):
        journal.record(f"p_worker{worker}", f"step{i}", {"worker": worker, "i": i})
        journal.record("p_shared", f"w{worker}-s{i}", {"worker": worker, "i": i})


def _record_then_die(path: str) -> None:
    """Child process: record a created reservnummer, then die without any cleanup."""
    StepJournal(Path(path)).record("p_crash", "create_rns", {"patient_id": "19612121201M7"})
    os.kill(os.getpid(), signal.SIGKILL)


def test_record_and_read_back_steps_in_order_with_replace_and_clear(tmp_path: Path) -> None:
    journal = StepJournal(tmp_path / "journal.sqlite3")
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


def test_several_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    StepJournal(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(path), w)) for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0

    journal = StepJournal(path)
    shared = journal.steps("p_shared")
    assert len(shared) == WORKERS * STEPS_PER_WORKER
    for w in range(WORKERS):
        own = journal.steps(f"p_worker{w}")
        assert own == {f"step{i}": {"worker": w, "i": i} for i in range(STEPS_PER_WORKER)}


def test_a_recorded_step_survives_the_process_being_killed(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    proc = multiprocessing.get_context("spawn").Process(target=_record_then_die, args=(str(path),))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL
    assert StepJournal(path).steps("p_crash") == {"create_rns": {"patient_id": "19612121201M7"}}


def test_a_failed_write_leaves_no_partial_row(tmp_path: Path) -> None:
    journal = StepJournal(tmp_path / "journal.sqlite3")
    with pytest.raises(TypeError):
        journal.record("p_abc", "create_rns", {"not json": object()})
    assert journal.steps("p_abc") == {}
