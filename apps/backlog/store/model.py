"""What the store hands out: items, their history, runs and workers, as typed records.

An item carries the routine's own types: the ``RegistrationRequest`` to register, the last
``Outcome``, and the person's ``Decision``s so far. An invalid import row has no request; it
carries a ``RowRejection`` (which columns were wrong and why, never the values).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from apps.backlog.store.status import ItemStatus
from flows.rules.outcome import Decision, Outcome
from flows.rules.request import RegistrationRequest

# Scalars only: history details and run summaries are small facts, never personal data.
Scalar = str | int | float | bool | None


class RowProblem(BaseModel):
    """One problem of an invalid import row."""

    column: str
    code: str
    message_sv: str


class RowRejection(BaseModel):
    """Why an import row was refused: its number, its problems, the columns it had filled."""

    row: int
    errors: list[RowProblem] = Field(default_factory=list)
    columns_filled: list[str] = Field(default_factory=list)


class Added(StrEnum):
    """What ``add`` did with a row."""

    ADDED = "added"  # a new item
    DUPLICATE = "duplicate"  # the same request was queued already: nothing changed
    CORRECTED = "corrected"  # replaced an invalid row with the same reference
    REPLACED = "replaced"  # replaced a request still waiting, with the same reference
    CONFLICT = "conflict"  # the reference is taken by another person's item: nothing changed
    HANDLED = "handled"  # the reference is done or closed: never reopened


@dataclass(frozen=True)
class QueueItem:
    """One row of the backlog, as stored."""

    id: int
    ref: str
    status: ItemStatus
    attempts: int
    request: RegistrationRequest | None
    outcome: Outcome | None
    patient_id: str | None
    reason_code: str | None
    reason_sv: str | None
    source: str | None
    created_at: datetime
    updated_at: datetime
    # How often the item was taken (crashes included), when it may be taken again after a
    # failure, who holds it, the run that touched it last, a person's decisions so far.
    claims: int = 0
    not_before: datetime | None = None
    worker: str | None = None
    worker_pid: int | None = None
    worker_host: str | None = None  # where that pid means something (``this_machine``)
    machine: str | None = None
    heartbeat_at: datetime | None = None
    run_id: int | None = None
    decisions: tuple[Decision, ...] = ()
    rejection: RowRejection | None = None
    # True when the stored request could not be read back (it is then None).
    request_unreadable: bool = False

    @property
    def kind(self) -> str | None:
        """The last outcome's kind, ``"rejected"`` for an invalid row, ``"closed"`` if closed."""
        if self.status is ItemStatus.CLOSED:
            return "closed"
        if self.rejection is not None or self.status is ItemStatus.REJECTED:
            return "rejected"
        return self.outcome.kind.value if self.outcome else None


@dataclass(frozen=True)
class HistoryEntry:
    """One status change of one item."""

    id: int
    item_id: int
    at: datetime
    from_status: ItemStatus | None
    to_status: ItemStatus
    actor: str
    run_id: int | None
    reason: str | None
    detail: dict[str, Scalar]


@dataclass(frozen=True)
class RunRecord:
    """One ``backlog run``."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    host: str
    pid: int
    user: str
    workers: int
    item_limit: int | None
    exit_code: int | None
    summary: dict[str, object] | None
    machine: str | None = None


@dataclass(frozen=True)
class RunItem:
    """What a run did to one item: the last status it left the item in."""

    item_id: int
    status: ItemStatus
    reason: str | None
    detail: dict[str, Scalar]
    at: datetime


class MachineMode(StrEnum):
    """What the workers of one machine may do."""

    RUN = "run"  # take items
    PAUSED = "paused"  # take nothing new, stay and wait for ``resume``
    DRAINING = "draining"  # take nothing new, stop when the current item is done


MODE_SV = {
    MachineMode.RUN: "Kör",
    MachineMode.PAUSED: "Pausad",
    MachineMode.DRAINING: "Töms (tar inga nya ärenden)",
}


@dataclass(frozen=True)
class WorkerRecord:
    """A worker as the registry knows it: alive while its heartbeat is fresh."""

    name: str
    machine: str
    host: str
    pid: int
    run_id: int | None
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    item_id: int | None
    items_done: int
    # Seconds since the last heartbeat, in the store's clock, when read.
    age_s: float = 0.0
    # When read: its process provably no longer runs (``HolderProcess.is_gone``: only on its
    # own machine and boot), although it never signed off (killed, or its store was gone).
    gone: bool = False

    @property
    def running(self) -> bool:
        return self.stopped_at is None
