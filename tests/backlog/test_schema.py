"""The queue's numbered migrations: a queue file of the first release is carried forward."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from apps.backlog.store import SCHEMA_VERSION, ItemStatus, StoreError, open_store
from apps.backlog.store.schema import MIGRATIONS
from robot.settings import Settings

from .helpers import make_request

NOW = "2024-05-01T12:00:00.000000+00:00"


def _version_1_file(path: Path) -> None:
    """A queue file as version 1 wrote it (its own statements, then rows as it stored them)."""
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0].sqlite:
        db.execute(statement)
    db.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')")
    request = make_request("2019-04-12", "Ek", "Eva").model_dump_json()
    closed = make_request("2018-01-02", "Berg", "Per").model_dump_json()
    rows = [
        (1, "MOTT-1", "pending", request, None),
        (
            2,
            "ogiltig-abc",
            "rejected",
            None,
            json.dumps(
                {
                    "kind": "rejected",
                    "row": 3,
                    "errors": [{"column": "kön", "code": "sex_invalid", "message_sv": "Fel."}],
                    "columns_filled": ["sex"],
                }
            ),
        ),
        # A case a clerk closed in the attended app: version 1 called it "rejected" too.
        (3, "MOTT-3", "rejected", closed, json.dumps({"kind": "needs_person"})),
    ]
    for item_id, ref, status, req, outcome in rows:
        db.execute(
            "INSERT INTO items (id, ref, status, request, outcome, reason_code, created_at,"
            " updated_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                ref,
                status,
                req,
                outcome,
                "cancelled_by_person" if item_id == 3 else None,
                NOW,
                NOW,
                NOW,
            ),
        )
        db.execute(
            "INSERT INTO history (item_id, at, from_status, to_status, actor) VALUES"
            " (?, ?, NULL, ?, 'import')",
            (item_id, NOW, status),
        )
    db.execute(
        "INSERT INTO runs (started_at, host, pid, user, workers) VALUES (?, 'h', 1, 'u', 2)",
        (NOW,),
    )
    db.commit()
    db.close()


def test_a_version_1_queue_file_is_migrated_and_reads_back_typed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    _version_1_file(tmp_path / "data" / "queue.sqlite3")
    with open_store(settings) as store:
        assert store.version == SCHEMA_VERSION == store.db.version("queue")
        pending, invalid, closed = store.items()
        assert pending.status is ItemStatus.PENDING and pending.request is not None
        assert pending.request.family_name == "Ek" and pending.heartbeat_at is not None
        assert invalid.status is ItemStatus.REJECTED and invalid.outcome is None
        assert invalid.rejection is not None and invalid.rejection.row == 3
        assert invalid.rejection.errors[0].code == "sex_invalid"
        assert closed.status is ItemStatus.CLOSED and closed.kind == "closed"
        assert [h.to_status for h in store.history(1)] == ["pending"]
        [run] = store.runs()
        assert run.workers == 2 and run.machine == "h"
        # The birth date came along, so the one-birth-date-at-a-time rule holds for old rows.
        store.add("MOTT-9", make_request("2019-04-12", "Eek", "Eva"))
    tables = {
        r[0]
        for r in sqlite3.connect(tmp_path / "data" / "queue.sqlite3").execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert {"items", "history", "runs", "meta"}.isdisjoint(tables)


def test_a_queue_written_by_a_newer_robot_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with open_store(settings) as store, store.db.transaction() as tx:
        tx.execute("UPDATE schema_versions SET version = 99 WHERE component = 'queue'")
    with pytest.raises(StoreError) as raised:
        open_store(settings)
    assert raised.value.code == "store_too_new" and "nyare version" in raised.value.message
