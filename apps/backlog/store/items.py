"""Writing items: adding, claiming, heartbeats, finishing (``maintenance.py``: the rest).

``write_status`` is the single place where an item's status is written: it checks the change
against the transition table, writes it only if the item still has the status the caller saw
(so two processes racing for one item cannot both win), and records it in the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from apps.backlog.store import rows
from apps.backlog.store.identity import WorkerIdentity
from apps.backlog.store.model import Added, QueueItem, RowRejection, Scalar
from apps.backlog.store.rows import dump, dump_decisions, dump_detail, ts, utcnow
from apps.backlog.store.status import (
    NEVER_REOPENED,
    ItemStatus,
    check_transition,
)
from apps.backlog.store.vault import Vault, protects
from flows.rules.outcome import Decision, Outcome
from flows.rules.request import RegistrationRequest
from robot.db import Database, Tx

INTERRUPTED_SV = "Avbröts upprepade gånger under körning; kontrollera raden."

HOLDER_CLEARED: dict[str, object] = {
    "worker": None,
    "worker_pid": None,
    "worker_host": None,
    "worker_started": None,
    "worker_booted": None,
    "heartbeat": None,
}


def write_status(
    tx: Tx,
    item_id: int,
    old: ItemStatus,
    new: ItemStatus,
    *,
    actor: str,
    fields: Mapping[str, object] | None = None,
    run_id: int | None = None,
    reason: str | None = None,
    detail: Mapping[str, Scalar] | None = None,
    at: str | None = None,
    where: str = "",
    params: Sequence[object] = (),
) -> bool:
    """Move item ``item_id`` from ``old`` to ``new`` (plus ``fields``), with a history row.

    Returns False, writing nothing, when the item is no longer ``old`` (or ``where`` fails).
    Raises ``IllegalTransition`` for a change the lifecycle does not allow.
    """
    check_transition(item_id, old, new)
    at = at or ts(utcnow())
    values = {"status": str(new), "updated_at": at, **(fields or {})}
    assignments = ", ".join(f"{column} = ?" for column in values)
    changed = tx.execute(
        f"UPDATE queue_items SET {assignments} WHERE id = ? AND status = ?{where}",  # noqa: S608
        (*values.values(), item_id, str(old), *params),
    )
    if not changed:
        return False
    log_history(tx, item_id, old, new, actor=actor, run_id=run_id, reason=reason, detail=detail)
    return True


def log_history(
    tx: Tx,
    item_id: int,
    old: ItemStatus | None,
    new: ItemStatus,
    *,
    actor: str,
    run_id: int | None = None,
    reason: str | None = None,
    detail: Mapping[str, Scalar] | None = None,
) -> None:
    tx.execute(
        "INSERT INTO queue_history (item_id, at, from_status, to_status, actor, run_id, reason,"
        " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (item_id, ts(utcnow()), old, str(new), actor, run_id, reason, dump_detail(detail)),
    )


def _insert(
    tx: Tx, vault: Vault, ref: str, status: ItemStatus, *, actor: str, **fields: object
) -> QueueItem:
    check_transition(None, None, status)
    now = ts(utcnow())
    values = {"ref": ref, "status": str(status), "created_at": now, "updated_at": now, **fields}
    row = tx.one(
        f"INSERT INTO queue_items ({', '.join(values)})"  # noqa: S608
        f" VALUES ({', '.join('?' * len(values))}) RETURNING *",
        tuple(values.values()),
    )
    assert row is not None
    log_history(tx, int(row["id"]), None, status, actor=actor, reason=fields.get("reason_code"))  # type: ignore[arg-type]
    return rows.item(row, vault)


def reload(tx: Tx, item_id: int, vault: Vault) -> QueueItem:
    row = tx.one("SELECT * FROM queue_items WHERE id = ?", (item_id,))
    if row is None:
        raise KeyError(item_id)
    return rows.item(row, vault)


class ItemWrites:
    """The writing half of the queue (see ``QueueStore``)."""

    db: Database
    vault: Vault

    # -- adding ----------------------------------------------------------------------------

    def add(
        self,
        ref: str,
        request: RegistrationRequest,
        *,
        source: str | None = None,
        actor: str = "import",
        replace_pending: bool = True,
    ) -> tuple[QueueItem, Added]:
        """Queue ``request`` under ``ref``; says what happened (see ``Added``).

        A reference is queued once. The same reference again: an invalid row is replaced
        (``CORRECTED``), and so is a request still waiting (``REPLACED``, unless
        ``replace_pending`` is False). Otherwise nothing changes: the reference belongs to
        another person's case (``CONFLICT``, the caller reports the row), or it is the same
        person, already done or closed (``HANDLED``: never reopened) or under way
        (``DUPLICATE``). A person is queued once too: a new reference for a person whose case
        still waits or runs under another reference (the same birth date, sex and names, in
        any case or spacing, whatever the address) is that case (``DUPLICATE``).
        """
        body = request.model_dump_json()
        person = self.vault.person_key(request)
        birth = self.vault.birth_date_key(request.birth_date)
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM queue_items WHERE ref = ?", (ref,))
            if row is None:
                twin = tx.one(
                    "SELECT * FROM queue_items WHERE person_key = ?"
                    " AND status IN ('pending', 'in_progress', 'needs_person') ORDER BY id",
                    (person,),
                )
                if twin is not None:
                    return rows.item(twin, self.vault), Added.DUPLICATE
                fields = {"request": body, "person_key": person, "birth_date": birth}
                item = _insert(
                    tx,
                    self.vault,
                    ref,
                    ItemStatus.PENDING,
                    actor=actor,
                    source=source,
                    **self.vault.seal(fields, protected=request.protected),
                )
                return item, Added.ADDED
            existing = rows.item(row, self.vault)
            if existing.status is ItemStatus.REJECTED or (
                replace_pending
                and existing.status is ItemStatus.PENDING
                and existing.request != request
            ):
                how = Added.CORRECTED if existing.status is ItemStatus.REJECTED else Added.REPLACED
                write_status(
                    tx,
                    existing.id,
                    existing.status,
                    ItemStatus.PENDING,
                    actor=actor,
                    reason="corrected_row" if how is Added.CORRECTED else "replaced_row",
                    fields={
                        **self.vault.seal(
                            {"request": body},
                            protected=request.protected or protects(existing),
                        ),
                        "person_key": person,
                        "birth_date": birth,
                        "outcome": None,
                        "rejection": None,
                        "reason_code": None,
                        "reason_sv": None,
                        "source": source,
                        "attempts": 0,
                        "not_before": None,
                    },
                )
                return reload(tx, existing.id, self.vault), how
            same_person = existing.request == request or row["person_key"] == person
            if not same_person:
                return existing, Added.CONFLICT
            if existing.status in NEVER_REOPENED:
                return existing, Added.HANDLED
            return existing, Added.DUPLICATE

    def add_rejected(
        self,
        ref: str,
        rejection: RowRejection,
        *,
        reason_sv: str,
        reason_code: str = "request_invalid",
        source: str | None = None,
        actor: str = "import",
    ) -> tuple[QueueItem, bool]:
        """Record an invalid row as ``rejected`` (never run); (item, newly added)."""
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM queue_items WHERE ref = ?", (ref,))
            if row is not None:
                return rows.item(row, self.vault), False
            item = _insert(
                tx,
                self.vault,
                ref,
                ItemStatus.REJECTED,
                actor=actor,
                rejection=dump(rejection),
                reason_code=reason_code,
                reason_sv=reason_sv,
                source=source,
            )
            return item, True

    # -- working ---------------------------------------------------------------------------

    def claim_next(self, worker: WorkerIdentity, *, run_id: int | None = None) -> QueueItem | None:
        """Take the oldest due pending item for ``worker``, atomically; None when none is due.

        An item whose birth date another worker holds waits: two requests that may be the same
        person (the routine searches by birth date) never run at the same time, anywhere.
        """
        now = ts(utcnow())
        skip_locked = " FOR UPDATE SKIP LOCKED" if self.db.kind == "postgresql" else ""
        with self.db.transaction() as tx:
            # PostgreSQL: claims one after another, so each sees the birth dates the one before
            # took (SQLite's write transaction already excludes every other writer).
            tx.lock("queue.claim")
            row = tx.one(
                "SELECT id FROM queue_items AS i WHERE i.status = 'pending'"  # noqa: S608
                " AND (i.not_before IS NULL OR i.not_before <= ?)"
                " AND (i.birth_date IS NULL OR NOT EXISTS (SELECT 1 FROM queue_items AS busy"
                "   WHERE busy.status = 'in_progress' AND busy.birth_date = i.birth_date))"
                f" ORDER BY i.id LIMIT 1{skip_locked}",
                (now,),
            )
            if row is None:
                return None
            item_id = int(row["id"])
            process = worker.process
            fields: dict[str, object] = {
                "worker": worker.name,
                "worker_pid": worker.pid,
                # The process as the process rule records it (``robot.processes``); without
                # it the item's holder is judged by its heartbeat alone.
                "worker_host": worker.host if process is None else process.host,
                "worker_started": None if process is None else process.started,
                "worker_booted": None if process is None else process.booted,
                "machine": worker.machine,
            }
            if run_id is not None:
                fields["run_id"] = run_id
            write_status(
                tx,
                item_id,
                ItemStatus.PENDING,
                ItemStatus.IN_PROGRESS,
                actor=f"robot:{worker.name}",
                run_id=run_id,
                at=now,
                fields=fields,
            )
            tx.execute(
                f"UPDATE queue_items SET claims = claims + 1, heartbeat = {self.db.now_sql}"  # noqa: S608
                " WHERE id = ?",
                (item_id,),
            )
            return reload(tx, item_id, self.vault)

    def heartbeat(self, item_id: int, worker: str | None = None) -> bool:
        """Tell other runs that the holder of ``item_id`` still works on it; False if lost."""
        sql = f"UPDATE queue_items SET heartbeat = {self.db.now_sql} WHERE id = ?"  # noqa: S608
        sql += " AND status = 'in_progress'"
        params: tuple[object, ...] = (item_id,)
        if worker is not None:
            sql += " AND worker = ?"
            params = (item_id, worker)
        with self.db.transaction() as tx:
            held = tx.execute(sql, params) > 0
            if held and worker is not None:
                tx.execute(
                    f"UPDATE queue_workers SET heartbeat = {self.db.now_sql}, item_id = ?"  # noqa: S608
                    " WHERE name = ?",
                    (item_id, worker),
                )
            return held

    def finish(
        self,
        item_id: int,
        outcome: Outcome,
        *,
        status: ItemStatus,
        attempts: int | None = None,
        not_before: datetime | None = None,
        worker: str | None = None,
        decisions: Sequence[Decision] | None = None,
        actor: str = "robot",
    ) -> bool:
        """Record an outcome and the item's next status (as ``policy.next_status`` says).

        With ``worker`` given, the item must still be in progress under that worker, or nothing
        is written and False is returned (another run took it over after declaring this
        worker dead). ``status=PENDING`` with ``not_before`` schedules a retry.
        """
        with self.db.transaction() as tx:
            current = reload(tx, item_id, self.vault)
            if worker is not None and (
                current.status is not ItemStatus.IN_PROGRESS or current.worker != worker
            ):
                return False
            fields: dict[str, object] = {
                "outcome": outcome.model_dump_json(),
                "attempts": current.attempts if attempts is None else attempts,
                "reason_code": outcome.reason_code,
                "reason_sv": outcome.reason_sv,
                "not_before": ts(not_before) if not_before else None,
                **HOLDER_CLEARED,
            }
            if outcome.patient_id:
                fields["patient_id"] = outcome.patient_id
            if decisions is not None:
                fields["decisions"] = dump_decisions(list(decisions))
            fields = self.vault.seal(fields, protected=protects(current))
            held = current.status is ItemStatus.IN_PROGRESS
            return write_status(
                tx,
                item_id,
                current.status,
                status,
                actor=actor,
                fields=fields,
                run_id=current.run_id if held else None,
                reason=outcome.reason_code,
                detail={
                    "kind": outcome.kind.value,
                    "duration_s": outcome.duration_s,
                    "attempts": fields["attempts"],  # type: ignore[dict-item]
                },
                where=" AND worker = ?" if worker is not None else "",
                params=(worker,) if worker is not None else (),
            )

    def release(self, item_id: int, *, worker: str, reason: str, actor: str) -> bool:
        """Give an item back to pending without counting an attempt (the worker was stopped)."""
        with self.db.transaction() as tx:
            current = reload(tx, item_id, self.vault)
            return write_status(
                tx,
                item_id,
                ItemStatus.IN_PROGRESS,
                ItemStatus.PENDING,
                actor=actor,
                fields=dict(HOLDER_CLEARED),
                run_id=current.run_id,
                reason=reason,
                where=" AND worker = ?",
                params=(worker,),
            )
