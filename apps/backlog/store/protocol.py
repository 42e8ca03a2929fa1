"""The queue's storage interface, sized by role.

``QueueWriter`` is what an import needs, ``QueueWorker`` what a backlog worker needs,
``QueueReader`` what a report, a status page or the metrics need, ``QueueMaintenance`` what a
person or a run does to the queue as a whole. ``QueueStore`` is all of them; its one
implementation (``apps.backlog.store.DatabaseQueueStore``) runs on SQLite and on PostgreSQL
(``robot.db``), and one contract suite (tests/backlog/test_store.py) checks both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from apps.backlog.store.claim import Claim, RideOut
from apps.backlog.store.identity import WorkerIdentity
from apps.backlog.store.model import (
    Added,
    HistoryEntry,
    MachineMode,
    QueueItem,
    RowRejection,
    RunItem,
    RunRecord,
    WorkerRecord,
)
from apps.backlog.store.policy import RetryPlan
from apps.backlog.store.status import ItemStatus
from flows.rules.outcome import Decision, Outcome
from flows.rules.request import RegistrationRequest


class QueueWriter(Protocol):
    def add(
        self,
        ref: str,
        request: RegistrationRequest,
        *,
        source: str | None = ...,
        actor: str = ...,
        replace_pending: bool = ...,
    ) -> tuple[QueueItem, Added]: ...
    def add_rejected(
        self,
        ref: str,
        rejection: RowRejection,
        *,
        reason_sv: str,
        reason_code: str = ...,
        source: str | None = ...,
        actor: str = ...,
    ) -> tuple[QueueItem, bool]: ...
    def find(self, ref: str) -> QueueItem | None: ...
    def record_import_row(self, file: str, row: int, item_id: int, outcome: str) -> None: ...


class QueueReader(Protocol):
    def get(self, item_id: int) -> QueueItem | None: ...
    def import_rows(self) -> list[tuple[str, int, int, str]]: ...
    def find(self, ref: str) -> QueueItem | None: ...
    def items(
        self,
        *,
        status: ItemStatus | None = ...,
        limit: int | None = ...,
        run_id: int | None = ...,
    ) -> list[QueueItem]: ...
    def counts(self) -> dict[ItemStatus, int]: ...
    def oldest(self, status: ItemStatus) -> QueueItem | None: ...
    def oldest_pending(self) -> QueueItem | None: ...
    def next_due(self) -> datetime | None: ...
    def failed_attempts_since(self, since: datetime) -> int: ...
    def history(self, item_id: int) -> list[HistoryEntry]: ...
    def runs(self, *, limit: int | None = ...) -> list[RunRecord]: ...
    def last_run(self) -> RunRecord | None: ...
    def run_items(self, run_id: int) -> list[RunItem]: ...
    def workers(self, *, machine: str | None = ...) -> list[WorkerRecord]: ...
    def machine_modes(self) -> dict[str, MachineMode]: ...


class QueueWorker(Protocol):
    def claim(
        self,
        worker: WorkerIdentity,
        *,
        plan: RetryPlan,
        actor: str,
        run_id: int | None = ...,
        beat_s: float | None = ...,
        ride_out: RideOut | None = ...,
    ) -> Claim | None: ...
    def heartbeat(self, item_id: int, worker: str | None = ...) -> bool: ...
    def finish(
        self,
        item_id: int,
        outcome: Outcome,
        *,
        status: ItemStatus,
        attempts: int | None = ...,
        not_before: datetime | None = ...,
        worker: str | None = ...,
        decisions: Sequence[Decision] | None = ...,
        actor: str = ...,
    ) -> bool: ...
    def release(self, item_id: int, *, worker: str, reason: str, actor: str) -> bool: ...
    def next_due(self) -> datetime | None: ...
    def next_takeover(self, *, stale_after: timedelta, quiet_s: float) -> datetime | None: ...
    def recover_interrupted(
        self, *, stale_after: timedelta, actor: str, max_claims: int | None = ...
    ) -> list[int]: ...
    def register_worker(self, worker: WorkerIdentity, *, run_id: int | None) -> None: ...
    def beat_worker(self, name: str, *, item_id: int | None, finished_one: bool = ...) -> None: ...
    def stop_worker(self, name: str) -> None: ...
    def machine_mode(self, machine: str) -> MachineMode: ...


class QueueMaintenance(Protocol):
    def requeue(
        self,
        item_id: int,
        *,
        reason: str,
        actor: str,
        decisions: Sequence[Decision] | None = ...,
    ) -> None: ...
    def close_by_person(
        self,
        item_id: int,
        *,
        reason_code: str,
        reason_sv: str,
        actor: str,
        only_from: ItemStatus | None = ...,
    ) -> bool: ...
    def note_refused_writeback(self, item_id: int, outcome: Outcome, *, actor: str) -> None: ...
    def retry_failed(self, *, actor: str, item_ids: Sequence[int] | None = ...) -> list[int]: ...
    def recover_interrupted(
        self, *, stale_after: timedelta, actor: str, max_claims: int | None = ...
    ) -> list[int]: ...
    def purge(self, *, before: datetime, statuses: Sequence[ItemStatus] = ...) -> int: ...
    def start_run(self, *, workers: int, limit: int | None, machine: str | None = ...) -> int: ...
    def end_run(self, run_id: int, *, exit_code: int, summary: Mapping[str, object]) -> None: ...
    def set_machine_mode(self, machine: str, mode: MachineMode, *, actor: str) -> None: ...
    def forget_workers(self, *, older_than_s: float) -> int: ...
    def expire_workers(self, *, kept_s: float = ...) -> int: ...


class QueueStore(QueueWriter, QueueReader, QueueWorker, QueueMaintenance, Protocol):
    """Every role at once (what ``open_store`` returns)."""

    def close(self) -> None: ...
