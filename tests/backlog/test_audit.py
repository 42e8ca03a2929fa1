"""The audit log: append-only, pseudonymised, searchable by reference and Patient-ID."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import stat
from pathlib import Path

import pytest

from apps.audit.log import AuditLog
from robot.settings import Settings


def test_entries_hold_keyed_hashes_not_the_reference_or_patient_id(settings: Settings) -> None:
    with AuditLog(settings) as audit:
        audit.append(
            actor="robot:x",
            ref="MOTT-2024-001",
            system="rns",
            step="create_rns",
            result="done",
            detail="0.41 s",
        )
        audit.append(
            actor="robot:x",
            ref="MOTT-2024-001",
            system="queue",
            step="outcome",
            result="registered",
            patient_id="20190412201K3",
        )
        audit.append(actor="robot:x", ref="ANNAN", system="pmo", step="search_pmo", result="done")
        entries = audit.for_ref("MOTT-2024-001")
    assert [(e.system, e.step, e.result) for e in entries] == [
        ("rns", "create_rns", "done"),
        ("queue", "outcome", "registered"),
    ]
    assert entries[0].ref.startswith("p_") and entries[0].ref == entries[1].ref
    raw = Path(settings.data_dir / "audit.sqlite3").read_bytes()
    assert b"MOTT-2024-001" not in raw and b"20190412201K3" not in raw
    assert stat.S_IMODE((settings.data_dir / "audit.sqlite3").stat().st_mode) == 0o600


def test_lookup_by_patient_id_returns_the_whole_trail_of_that_item(settings: Settings) -> None:
    with AuditLog(settings) as audit:
        audit.append(actor="r", ref="A", system="pmo", step="search_pmo", result="started")
        audit.append(
            actor="r",
            ref="A",
            system="queue",
            step="outcome",
            result="registered",
            patient_id="20190412201K3",
        )
        audit.append(actor="r", ref="B", system="pmo", step="search_pmo", result="started")
        trail = audit.for_patient_id("20190412201K3")
    assert [e.step for e in trail] == ["search_pmo", "outcome"]


def test_a_key_change_makes_old_entries_unfindable(settings: Settings, tmp_path: Path) -> None:
    with AuditLog(settings) as audit:
        audit.append(actor="r", ref="A", system="pmo", step="s", result="done")
    other = settings.model_copy(update={"pseudonym_key": settings.pseudonym_key.__class__("x")})
    with AuditLog(other) as audit:
        assert audit.for_ref("A") == []


def test_entries_cannot_be_updated_or_deleted(settings: Settings) -> None:
    with AuditLog(settings) as audit:
        audit.append(actor="r", ref="A", system="pmo", step="s", result="done")
    db = sqlite3.connect(settings.data_dir / "audit.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit SET result = 'failed'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit")
    db.close()


def test_verify_detects_an_entry_removed_behind_the_triggers_back(settings: Settings) -> None:
    with AuditLog(settings) as audit:
        for step in ("a", "b", "c"):
            audit.append(actor="r", ref="A", system="pmo", step=step, result="done")
        assert audit.verify() is None
    db = sqlite3.connect(settings.data_dir / "audit.sqlite3")
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE step = 'b'")
    db.commit()
    db.close()
    with AuditLog(settings) as audit:
        assert audit.verify() == 3


def _append_many(settings: Settings, name: str) -> None:
    with AuditLog(settings) as audit:
        for i in range(50):
            audit.append(actor=name, ref=f"{name}-{i}", system="pmo", step="s", result="done")


def test_appends_from_several_processes_keep_an_intact_chain(
    settings: Settings, store_dsn: str
) -> None:
    settings = settings.model_copy(update={"store_dsn": store_dsn})
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(settings, f"w{i}")) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    with AuditLog(settings) as audit:
        assert audit.verify() is None
        assert len(audit.recent(limit=1000)) == 150 == audit.count()


def test_postgresql_audit_refuses_updates_and_deletes(
    settings: Settings, postgres_dsn: str
) -> None:
    settings = settings.model_copy(update={"store_dsn": postgres_dsn})
    with AuditLog(settings) as audit:
        audit.append(actor="r", ref="A", system="pmo", step="s", result="done")
        for sql in ("UPDATE audit SET result = 'failed'", "DELETE FROM audit"):
            with pytest.raises(Exception, match="append-only"), audit.db.transaction() as tx:
                tx.execute(sql)
        assert audit.verify() is None and audit.count() == 1
