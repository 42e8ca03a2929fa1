"""A protected person's data in the queue store is sealed at rest, on SQLite and PostgreSQL.

Every raw byte the store wrote (the SQLite file and its write-ahead log; every column of every
table of the PostgreSQL database, as text) is searched for the person's names, birth date and
numbers; the typed reads give them back in clear; a person who is not protected is stored as
before; another key opens nothing. Persons are known by a keyed key, and rows an earlier version
wrote are keyed and sealed when the store is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr

from apps.audit.cli import earlier_refs
from apps.backlog.store import (
    Added,
    DatabaseQueueStore,
    ItemStatus,
    RetryPlan,
    WorkerIdentity,
    open_store,
)
from flows.rules.outcome import Candidate, Decision, Outcome, OutcomeKind
from robot.audit import AuditLog
from robot.db import open_database
from robot.settings import Settings
from robot.store_key import StoreKeyMismatch

from .helpers import make_request

PROTECTED = make_request("1931-03-02", "Hemligsson", "Greta Maj", protected="ja")
OPEN = make_request("1944-05-06", "Oppensson", "Eva")
NUMBER, OTHER_NUMBER = "19310302001K5", "19310302002K3"
SECRETS = ("Hemligsson", "Greta Maj", "1931-03-02", "19310302", "Grankvist")
EVERY_COLUMN = sql.SQL("SELECT t::text FROM {} AS t")
PLAN = RetryPlan(max_attempts=3, base_s=30, max_s=100)


@pytest.fixture
def settings_values(settings_values: dict[str, Any], store_dsn: str) -> dict[str, Any]:
    return {**settings_values, "store_dsn": store_dsn}


@pytest.fixture
def store(settings: Settings) -> Iterator[DatabaseQueueStore]:
    with open_store(settings) as s:
        yield s


def raw_text(settings: Settings) -> str:
    """Everything the store holds, as it is stored: file bytes, or every column as text."""
    if not settings.store_dsn:
        files = sorted(Path(settings.data_dir).glob("queue.sqlite3*"))
        assert any(f.name.endswith("-wal") for f in files)
        return "".join(f.read_bytes().decode("utf-8", "replace") for f in files)
    with psycopg.connect(settings.store_dsn) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        assert "queue_items" in tables
        return "\n".join(
            str(row[0])
            for t in tables
            for row in conn.execute(EVERY_COLUMN.format(sql.Identifier(t)))
        )


def handle_protected(store: DatabaseQueueStore) -> int:
    """A protected person's case through the queue: added, a number made, a person's choice."""
    item, how = store.add("skyddad-1", PROTECTED, source="rad 2")
    assert how is Added.ADDED
    other = Candidate(
        system="pmo",
        id_value=OTHER_NUMBER,
        id_type="reservnummer",
        name="Grankvist, Greta Maj",
        match="possible",
        score=0.8,
    )
    with store.claim(WorkerIdentity.current("w1", machine="m"), plan=PLAN, actor="t") as claim:
        assert claim.item.id == item.id and claim.request == PROTECTED
        claim.settle(
            Outcome(
                kind=OutcomeKind.NEEDS_PERSON,
                patient_id=NUMBER,
                reservnummer=NUMBER,
                reason_code="protected_identity",
                reason_sv=f"Reservnummer {NUMBER} skapat; skapa inget nytt.",
                candidates=[other],
            )
        )
    choice = Decision(system="pmo", id_value=OTHER_NUMBER, verdict="different", decided_by="k")
    store.requeue(item.id, reason="decided", actor="k", decisions=[choice])
    return item.id


def test_a_protected_persons_item_is_sealed_at_rest_and_read_back_in_clear(
    settings: Settings, store: DatabaseQueueStore
) -> None:
    item_id = handle_protected(store)
    plain, _ = store.add("oppen-1", OPEN)

    raw = raw_text(settings)
    assert [s for s in SECRETS if s in raw] == []
    assert PROTECTED.fingerprint() not in raw  # the unkeyed key is nowhere either
    assert "sealed:v1:" in raw
    assert "Oppensson" in raw  # a person who is not protected: as before

    item = store.get(item_id)
    assert item is not None and item.request == PROTECTED and item.patient_id == NUMBER
    assert item.outcome is not None and item.outcome.reason_sv is not None
    assert NUMBER in item.outcome.reason_sv and item.reason_sv == item.outcome.reason_sv
    assert [c.name for c in item.outcome.candidates] == ["Grankvist, Greta Maj"]
    assert [d.id_value for d in item.decisions] == [OTHER_NUMBER]
    assert store.get(plain.id) == plain and store.items()[-1] == plain

    with store.db.read() as tx:
        row = tx.one("SELECT * FROM queue_items WHERE id = ?", (item_id,))
        open_row = tx.one("SELECT * FROM queue_items WHERE id = ?", (plain.id,))
    assert row is not None and open_row is not None
    for column in ("request", "outcome", "decisions", "patient_id", "reason_sv"):
        assert str(row[column]).startswith("sealed:v1:"), column
    assert open_row["request"] == OPEN.model_dump_json()
    assert str(row["person_key"]).startswith("k_") and row["person_key"] != PROTECTED.fingerprint()
    assert str(row["birth_date"]).startswith("k_")


def test_a_store_opened_with_another_key_opens_nothing(
    settings: Settings, store: DatabaseQueueStore
) -> None:
    item_id = handle_protected(store)
    other_key = settings.model_copy(update={"pseudonym_key": SecretStr("another-region-key")})
    with pytest.raises(StoreKeyMismatch):
        open_store(other_key)
    with DatabaseQueueStore(open_database(settings, "queue"), key=other_key.pseudonym_key) as s:
        item = s.get(item_id)
    assert item is not None and item.request is None and item.request_unreadable
    assert item.outcome is None and item.patient_id is None and item.decisions == ()


def test_one_person_spelled_two_ways_is_one_item_under_a_keyed_key(
    store: DatabaseQueueStore,
) -> None:
    first, _ = store.add("a", make_request("1931-03-02", "Hemligsson", "Greta Maj"))
    again, how = store.add("b", make_request("1931-03-02", "HEMLIGSSON ", "greta  maj"))
    assert how is Added.DUPLICATE and again.id == first.id
    secret, how = store.add("c", PROTECTED)  # the same person, now marked protected
    assert how is Added.DUPLICATE and secret.id == first.id


def test_rows_an_earlier_version_wrote_are_keyed_and_sealed_when_the_store_is_opened(
    settings: Settings, store: DatabaseQueueStore
) -> None:
    item_id = handle_protected(store)
    plain, _ = store.add(OPEN.fingerprint(), OPEN)
    legacy = store.get(item_id)
    assert legacy is not None and legacy.outcome is not None
    with store.db.transaction() as tx:  # as the previous version wrote them
        tx.execute(
            "UPDATE queue_items SET request = ?, outcome = ?, patient_id = ?, decisions = NULL,"
            " reason_sv = ?, person_key = ?, birth_date = ? WHERE id = ?",
            (
                PROTECTED.model_dump_json(),
                legacy.outcome.model_dump_json(),
                NUMBER,
                legacy.reason_sv,
                PROTECTED.fingerprint(),
                "1931-03-02",
                item_id,
            ),
        )
        tx.execute(
            "UPDATE queue_items SET person_key = ?, birth_date = ? WHERE id = ?",
            (OPEN.fingerprint(), "1944-05-06", plain.id),
        )
    store.close()
    with AuditLog(settings) as audit:  # its trail, under the reference it had then
        audit.append(
            actor="import", ref=OPEN.fingerprint(), system="queue", step="import", result="queued"
        )

    with open_store(settings) as again:
        with again.db.read() as tx:
            row = tx.one("SELECT * FROM queue_items WHERE id = ?", (item_id,))
            open_row = tx.one("SELECT * FROM queue_items WHERE id = ?", (plain.id,))
        item = again.get(item_id)
        moved = again.get(plain.id)
        twin, how = again.add("oppen-2", OPEN)
    assert row is not None and open_row is not None
    assert str(row["request"]).startswith("sealed:v1:") and row["patient_id"] != NUMBER
    assert str(row["person_key"]).startswith("k_") and str(row["birth_date"]).startswith("k_")
    assert item is not None and item.request == PROTECTED and item.patient_id == NUMBER
    assert item.outcome == legacy.outcome and item.status is ItemStatus.PENDING
    # A reference derived from the person becomes the keyed key; the request stays in clear.
    assert moved is not None and moved.ref == open_row["person_key"] != OPEN.fingerprint()
    assert open_row["request"] == OPEN.model_dump_json()
    assert how is Added.DUPLICATE and twin.id == plain.id
    # `audit show/export --item` still find what was logged under the earlier reference.
    with AuditLog(settings) as audit:
        assert audit.for_ref(moved.ref) == []
        trail = audit.for_ref(moved.ref, *earlier_refs(moved))
    assert [e.step for e in trail] == ["import"]
