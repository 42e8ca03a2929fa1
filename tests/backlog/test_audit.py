"""The audit log (``robot.audit``): typed entries, append-only, pseudonymised, searchable by
reference and Patient-ID, and a chain written before the log moved to the runtime verifies."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import sqlite3
import stat
from pathlib import Path

import pytest

from flows.rules.outcome import OutcomeKind, StepEvent
from robot.audit import AuditLog
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


def test_typed_entries_write_one_shape_for_every_entry_point(settings: Settings) -> None:
    done = StepEvent(step="create_rns", label_sv="Skapar", status="done", elapsed_s=0.414)
    odd = StepEvent(step="wait_lease", label_sv="Väntar", status="skipped", elapsed_s=0)
    with AuditLog(settings) as audit:
        audit.step("robot:w1", "R-1", done)
        audit.step("robot:w1", "R-1", odd)
        audit.outcome(
            "robot:w1",
            "R-1",
            OutcomeKind.REGISTERED,
            reason=None,
            patient_id="20190412201K3",
            via="queue",
            status="done",
            attempts=1,
        )
        audit.decision(
            "person:anna",
            "R-1",
            system="pmo",
            choice="same",
            reason="close_match",
            patient_id="20190412201K3",
            via="jobs",
            id_type="reservnummer",
        )
        trail = audit.for_ref("R-1")
        subject = audit.pseudonym("20190412201K3")
    assert [(e.system, e.step, e.result, e.detail) for e in trail] == [
        ("rns", "create_rns", "done", "0.41 s"),
        ("robot", "wait_lease", "skipped", "0.00 s"),
        ("robot", "outcome", "registered", "reason=-; via=queue; status=done; attempts=1"),
        (
            "pmo",
            "person_decision",
            "same",
            "reason=close_match; via=jobs; id_type=reservnummer",
        ),
    ]
    assert [e.subject for e in trail] == [None, None, subject, subject]


def test_a_fact_shaped_like_an_identity_number_is_masked(settings: Settings) -> None:
    with AuditLog(settings) as audit:
        audit.outcome("r", "A", "failed", reason="site_error", note="19900101-1234")
        [entry] = audit.for_ref("A")
    assert entry.detail == "reason=site_error; note=[redacted]"
    assert b"19900101-1234" not in (settings.data_dir / "audit.sqlite3").read_bytes()


def test_a_chain_written_before_the_move_still_verifies(settings: Settings) -> None:
    """The entry hash is SHA-256 over the JSON list of the previous hash and the fields, as
    ``apps/audit/log.py`` wrote it: a chain of that release verifies, and grows, unchanged."""
    with AuditLog(settings) as audit:
        pass  # the table, as every release creates it
    prev = "0" * 64
    db = sqlite3.connect(settings.data_dir / "audit.sqlite3")
    for i, step in enumerate(("search_pmo", "outcome"), start=1):
        fields = [f"2026-01-0{i}T10:00:00.000000+00:00", "robot:old", "p_0123456789ab", None]
        fields += ["pmo", step, "done", "0.50 s"]
        payload = json.dumps([prev, *fields], ensure_ascii=False).encode("utf-8")
        digest = hashlib.sha256(payload).hexdigest()
        db.execute(
            "INSERT INTO audit (at, actor, ref, subject, system, step, result, detail,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, prev, digest),
        )
        prev = digest
    db.commit()
    db.close()
    with AuditLog(settings) as audit:
        assert audit.verify() is None
        audit.outcome("robot:new", "B", "registered", via="cli", job="register")
        assert audit.verify() is None and audit.count() == 3


def test_audit_show_is_swedish_with_decimal_commas_and_uncut_lines(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, point 15: words, not codes; decimal commas; nothing cut at 80 columns."""
    from typer.testing import CliRunner

    from apps.cli.main import app
    from flows.rules.outcome import StepEvent
    from tests.fixtures.settings import environment_of

    with AuditLog(settings) as audit:
        audit.step(
            "cli:kanslist",
            "MOTT-7",
            StepEvent(step="search_pmo", label_sv="", status="done", elapsed_s=1.25),
        )
        audit.outcome("cli:kanslist", "MOTT-7", "registered", via="cli", job="register")
        audit.decision("ui:kanslist", "MOTT-7", system="pmo", choice="different")
    result = CliRunner().invoke(
        app, ["audit", "show", "--ref", "MOTT-7"], env=environment_of(settings)
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    for words in (
        "Söker i PMO",
        "Klar",
        "1,25 s",
        "Utfall",
        "Registrerad i PMO",
        "via: kommandoraden",
        "Beslut av en person",
        "Annan person",
        "Roboten",
    ):
        assert words in text, (words, text)
    for code in ("search_pmo", "registered", "person_decision", "1.25"):
        assert code not in text, (code, text)
    assert "…" not in text  # no cell cut short
