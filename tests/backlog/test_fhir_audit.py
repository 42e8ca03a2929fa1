"""``audit export --fhir``: AuditEvent per entry, Provenance per create and save, chain kept."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from apps.cli.main import app
from robot.audit import AuditLog
from robot.settings import Settings
from tests.fhir_checks import audit_chain, parse


def _trail(settings: Settings) -> None:
    with AuditLog(settings) as audit:
        for system, step, result in [
            ("pmo", "search_pmo", "done"),
            ("rns", "create_rns", "done"),
            ("pmo", "register_pmo", "failed"),
            ("pmo", "register_pmo", "done"),
        ]:
            audit.append(
                actor="robot:svc@host/w1",
                ref="MOTT-7",
                system=system,
                step=step,
                result=result,
                detail="0.40 s",
            )
        audit.append(
            actor="robot:svc@host/w1",
            ref="MOTT-7",
            system="queue",
            step="outcome",
            result="registered",
            detail="status=done",
            patient_id="20190412201K3",
        )
        audit.append(
            actor="person:clerk", ref="MOTT-8", system="queue", step="retry", result="requeued"
        )


def test_export_should_carry_the_log_chain_and_no_clear_identity(
    settings: Settings, tmp_path: Path
) -> None:
    _trail(settings)
    env = {
        "RESERVROBOT_DATA_DIR": str(settings.data_dir),
        "RESERVROBOT_PSEUDONYM_KEY": settings.pseudonym_key.get_secret_value(),
    }
    out = tmp_path / "granskning.json"

    result = CliRunner().invoke(app, ["audit", "export", "--fhir", "--out", str(out)], env=env)

    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    bundle = json.loads(text)
    parse(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    # Provenance only after the create and the save that were done (not the failed save).
    assert kinds == [
        "AuditEvent",
        "AuditEvent",
        "Provenance",
        "AuditEvent",
        "AuditEvent",
        "Provenance",
        "AuditEvent",
        "AuditEvent",
    ]
    db = sqlite3.connect(settings.data_dir / "audit.sqlite3")
    stored = dict(db.execute("SELECT id, hash FROM audit ORDER BY id").fetchall())
    db.close()
    assert audit_chain(bundle) == stored
    events = [e["resource"] for e in bundle["entry"]]
    create = events[1]
    assert (create["action"], create["subtype"][0]["code"]) == ("C", "create_rns")
    save = events[2]
    assert save["activity"]["coding"][0]["code"] == "CREATE"
    targets = [t["identifier"]["value"] for t in events[5]["target"]]
    outcome = events[6]
    assert targets == [e["what"]["identifier"]["value"] for e in outcome["entity"]]
    assert events[7]["agent"][0]["type"]["coding"][0]["code"] == "humanuser"
    assert create["agent"][0]["type"]["coding"][0]["code"] == "dataprocessor"
    for secret in ("MOTT-7", "MOTT-8", "20190412201K3"):
        assert secret not in text
    assert out.stat().st_mode & 0o077 == 0

    one = CliRunner().invoke(app, ["audit", "export", "--fhir", "--ref", "MOTT-8"], env=env)
    assert one.exit_code == 0, one.output
    [event] = [e["resource"] for e in json.loads(one.stdout)["entry"]]
    assert event["id"] == "audit-6" and audit_chain({"entry": [{"resource": event}]}) == {
        6: stored[6]
    }


def test_export_of_a_broken_chain_should_say_so_and_exit_1(settings: Settings) -> None:
    _trail(settings)
    db = sqlite3.connect(settings.data_dir / "audit.sqlite3")
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE id = 2")
    db.commit()
    db.close()
    env = {
        "RESERVROBOT_DATA_DIR": str(settings.data_dir),
        "RESERVROBOT_PSEUDONYM_KEY": settings.pseudonym_key.get_secret_value(),
    }
    result = CliRunner().invoke(app, ["audit", "export", "--fhir"], env=env)
    assert result.exit_code == 1
    assert "ändrad från post 3" in result.stderr
