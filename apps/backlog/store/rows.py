"""Turning stored rows into typed records, and the text forms of timestamps and JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from apps.backlog.store.model import (
    HistoryEntry,
    QueueItem,
    RowRejection,
    RunItem,
    RunRecord,
    Scalar,
    WorkerRecord,
)
from apps.backlog.store.status import ItemStatus
from apps.backlog.store.vault import Vault
from flows.rules.outcome import Decision, Outcome
from flows.rules.request import RegistrationRequest

Row = Mapping[str, Any]


def utcnow() -> datetime:
    return datetime.now(UTC)


def ts(value: datetime) -> str:
    """Fixed-width UTC text, so that comparing strings in SQL compares instants."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def epoch(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


def dump(model: BaseModel | None) -> str | None:
    return None if model is None else model.model_dump_json()


def dump_decisions(decisions: tuple[Decision, ...] | list[Decision] | None) -> str | None:
    if decisions is None:
        return None
    return json.dumps([d.model_dump(mode="json") for d in decisions], ensure_ascii=False)


def dump_detail(detail: Mapping[str, Scalar] | None) -> str | None:
    return None if detail is None else json.dumps(dict(detail), ensure_ascii=False)


def _detail(text: str | None) -> dict[str, Scalar]:
    if not text:
        return {}
    data = json.loads(text)
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def _decisions(text: str | None) -> tuple[Decision, ...]:
    out: list[Decision] = []
    for entry in json.loads(text) if text else []:
        try:
            out.append(Decision.model_validate(entry))
        except ValidationError:
            continue  # a malformed decision is dropped: the person is asked again
    return tuple(out)


def item(row: Row, vault: Vault) -> QueueItem:
    """The item of a ``queue_items`` row, a protected person's sealed columns opened."""
    row, unopened = vault.open(row)
    request: RegistrationRequest | None = None
    unreadable = unopened and not row["request"]
    if row["request"]:
        try:
            request = RegistrationRequest.model_validate_json(row["request"])
        except ValidationError:
            unreadable = True
    outcome: Outcome | None = None
    if row["outcome"]:
        try:
            outcome = Outcome.model_validate_json(row["outcome"])
        except ValidationError:
            outcome = None
    rejection: RowRejection | None = None
    if row["rejection"]:
        try:
            rejection = RowRejection.model_validate_json(row["rejection"])
        except ValidationError:
            rejection = RowRejection(row=0)
    return QueueItem(
        id=int(row["id"]),
        ref=row["ref"],
        status=ItemStatus(row["status"]),
        attempts=int(row["attempts"]),
        request=request,
        outcome=outcome,
        patient_id=row["patient_id"],
        reason_code=row["reason_code"],
        reason_sv=row["reason_sv"],
        source=row["source"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        claims=int(row["claims"]),
        not_before=dt(row["not_before"]),
        worker=row["worker"],
        worker_pid=row["worker_pid"],
        worker_host=row["worker_host"],
        machine=row["machine"],
        heartbeat_at=epoch(row["heartbeat"]),
        run_id=row["run_id"],
        decisions=_decisions(row["decisions"]),
        rejection=rejection,
        request_unreadable=unreadable,
    )


def history(row: Row) -> HistoryEntry:
    return HistoryEntry(
        id=int(row["id"]),
        item_id=int(row["item_id"]),
        at=datetime.fromisoformat(row["at"]),
        from_status=ItemStatus(row["from_status"]) if row["from_status"] else None,
        to_status=ItemStatus(row["to_status"]),
        actor=row["actor"],
        run_id=row["run_id"],
        reason=row["reason"],
        detail=_detail(row["detail"]),
    )


def run(row: Row) -> RunRecord:
    summary = json.loads(row["summary"]) if row["summary"] else None
    return RunRecord(
        id=int(row["id"]),
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=dt(row["finished_at"]),
        host=row["host"],
        pid=int(row["pid"]),
        user=row["user"],
        workers=int(row["workers"]),
        item_limit=row["item_limit"],
        exit_code=row["exit_code"],
        summary=summary if isinstance(summary, dict) else None,
        machine=row["machine"],
    )


def run_item(row: Row) -> RunItem:
    return RunItem(
        item_id=int(row["item_id"]),
        status=ItemStatus(row["to_status"]),
        reason=row["reason"],
        detail=_detail(row["detail"]),
        at=datetime.fromisoformat(row["at"]),
    )


def worker(row: Row, *, now: float, gone: bool = False) -> WorkerRecord:
    beat = epoch(row["heartbeat"])
    assert beat is not None
    return WorkerRecord(
        name=row["name"],
        machine=row["machine"],
        host=row["host"],
        pid=int(row["pid"]),
        run_id=row["run_id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        heartbeat_at=beat,
        stopped_at=dt(row["stopped_at"]),
        item_id=row["item_id"],
        items_done=int(row["items_done"]),
        age_s=max(0.0, now - float(row["heartbeat"])),
        gone=gone,
    )
