"""Changing items from outside a worker: a person's decisions, retries, recovery, purging."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from apps.backlog.store.items import (
    HOLDER_CLEARED,
    INTERRUPTED_SV,
    log_history,
    reload,
    write_status,
)
from apps.backlog.store.rows import dump_decisions, ts, utcnow
from apps.backlog.store.status import IllegalTransition, ItemStatus
from apps.backlog.store.vault import Vault, protects
from flows.rules.outcome import Decision, Outcome
from robot.db import Database
from robot.processes import HolderProcess


class ItemMaintenance:
    """Putting items back, closing them, recovering and purging (see ``QueueStore``)."""

    db: Database
    vault: Vault

    # -- a person's decisions --------------------------------------------------------------

    def requeue(
        self,
        item_id: int,
        *,
        reason: str,
        actor: str,
        decisions: Sequence[Decision] | None = None,
    ) -> None:
        """Put an item back to pending now (a person's decision), keeping its attempts count.

        ``decisions`` (a person's verdicts on candidates) are stored with the item and passed
        to the robot on its next attempt.
        """
        with self.db.transaction() as tx:
            current = reload(tx, item_id, self.vault)
            if current.status not in (ItemStatus.NEEDS_PERSON, ItemStatus.FAILED):
                # A person puts back only what waits for a person (or failed for good).
                raise IllegalTransition(item_id, current.status, ItemStatus.PENDING)
            fields: dict[str, object] = {"not_before": None}
            if decisions is not None:
                fields["decisions"] = dump_decisions(list(decisions))
            write_status(
                tx,
                item_id,
                current.status,
                ItemStatus.PENDING,
                actor=actor,
                reason=reason,
                fields=self.vault.seal(fields, protected=protects(current)),
            )

    def close_by_person(
        self,
        item_id: int,
        *,
        reason_code: str,
        reason_sv: str,
        actor: str,
        only_from: ItemStatus | None = None,
    ) -> bool:
        """A person closed or handled the case by hand: ``closed``, terminal, never reopened.

        ``only_from``: close only an item still in that status (False otherwise), so a page
        seen before another clerk sent the item back to the robot cannot close it under it."""
        with self.db.transaction() as tx:
            current = reload(tx, item_id, self.vault)
            if only_from is not None and current.status is not only_from:
                return False
            return write_status(
                tx,
                item_id,
                current.status,
                ItemStatus.CLOSED,
                actor=actor,
                reason=reason_code,
                fields=self.vault.seal(
                    {"reason_code": reason_code, "reason_sv": reason_sv, "not_before": None},
                    protected=protects(current),
                ),
            )

    def record_import_row(self, file: str, row: int, item_id: int, outcome: str) -> None:
        """Remember that row ``row`` of ``file`` ended as ``outcome`` on item ``item_id``
        (a file imported again replaces its rows' lines)."""
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO queue_import_rows (file, row_number, item_id, outcome, imported_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (file, row_number) DO UPDATE SET"
                " item_id = excluded.item_id, outcome = excluded.outcome,"
                " imported_at = excluded.imported_at",
                (file, row, item_id, outcome, ts(utcnow())),
            )

    def note_refused_writeback(self, item_id: int, outcome: Outcome, *, actor: str) -> None:
        """Record in the item's history that a person's result could not be written back
        (the status stays; the outcome's kind and reason are the detail)."""
        with self.db.transaction() as tx:
            current = reload(tx, item_id, self.vault)
            log_history(
                tx,
                item_id,
                current.status,
                current.status,
                actor=actor,
                reason="writeback_refused",
                detail={
                    "kind": outcome.kind.value,
                    "outcome_reason": outcome.reason_code or "",
                    "patient_id_given": bool(outcome.patient_id),
                },
            )

    def retry_failed(self, *, actor: str, item_ids: Sequence[int] | None = None) -> list[int]:
        """Put failed items (all, or the given ones) back to pending with a fresh attempts count."""
        with self.db.transaction() as tx:
            sql = "SELECT id FROM queue_items WHERE status = 'failed'"
            params: list[object] = []
            if item_ids is not None:
                sql += f" AND id IN ({','.join('?' * len(item_ids))})"
                params.extend(item_ids)
            ids = [int(r["id"]) for r in tx.all(sql + " ORDER BY id", params)]
            for item_id in ids:
                write_status(
                    tx,
                    item_id,
                    ItemStatus.FAILED,
                    ItemStatus.PENDING,
                    actor=actor,
                    reason="retry",
                    fields={"attempts": 0, "claims": 0, "not_before": None},
                )
            return ids

    # -- maintenance -----------------------------------------------------------------------

    def recover_interrupted(
        self, *, stale_after: timedelta, actor: str, max_claims: int | None = None
    ) -> list[int]:
        """Return in-progress items whose worker is gone to pending; report their ids.

        A worker is gone when its process provably no longer runs (the runtime's one rule,
        ``HolderProcess.is_gone``: only on its own machine, pid namespace and boot; a row
        written before the rule's facts were recorded never is), or when its heartbeat (in the
        store's clock) is older than ``stale_after`` (the only test possible elsewhere). An
        item taken ``max_claims`` times without finishing (it keeps killing the worker) is
        failed instead, so it cannot loop forever.
        """
        recovered: list[int] = []
        with self.db.transaction() as tx:
            now = tx.now()
            for row in tx.all("SELECT * FROM queue_items WHERE status = 'in_progress'"):
                beat = row["heartbeat"]
                stale = beat is None or now - float(beat) > stale_after.total_seconds()
                holder = HolderProcess.recorded(
                    row["worker_host"],
                    row["worker_pid"],
                    row["worker_started"],
                    row["worker_booted"],
                )
                dead = holder is not None and holder.is_gone()
                if not (stale or dead):
                    continue
                give_up = max_claims is not None and int(row["claims"]) >= max_claims
                target = ItemStatus.FAILED if give_up else ItemStatus.PENDING
                fields: dict[str, object] = dict(HOLDER_CLEARED)
                if give_up:
                    fields |= {"reason_code": "interrupted_repeatedly", "reason_sv": INTERRUPTED_SV}
                if write_status(
                    tx,
                    int(row["id"]),
                    ItemStatus.IN_PROGRESS,
                    target,
                    actor=actor,
                    fields=fields,
                    run_id=row["run_id"],
                    reason="worker_dead" if dead else "heartbeat_stale",
                    detail={"worker": row["worker"], "claims": row["claims"]},
                    where=" AND worker IS ?"
                    if self.db.kind == "sqlite"
                    else " AND worker IS NOT DISTINCT FROM ?",
                    params=(row["worker"],),
                ):
                    recovered.append(int(row["id"]))
        return recovered

    def purge(
        self,
        *,
        before: datetime,
        statuses: Sequence[ItemStatus] = (ItemStatus.DONE, ItemStatus.REJECTED, ItemStatus.CLOSED),
    ) -> int:
        """Delete finished items (and their history) last changed before ``before``.

        The queue holds names and birth dates; finished items need not stay for ever (the
        audit log, which holds no personal data, keeps what was done). A purged person
        imported again is queued again, and the robot then finds them already registered.
        """
        if not statuses or ItemStatus.IN_PROGRESS in statuses or ItemStatus.PENDING in statuses:
            raise ValueError("only finished items can be purged")
        marks = ",".join("?" * len(statuses))
        params = [*(str(s) for s in statuses), ts(before)]
        where = f"status IN ({marks}) AND updated_at < ?"
        with self.db.transaction() as tx:
            for table in ("queue_history", "queue_import_rows"):
                tx.execute(
                    f"DELETE FROM {table} WHERE item_id IN"  # noqa: S608
                    f" (SELECT id FROM queue_items WHERE {where})",
                    params,
                )
            return tx.execute(f"DELETE FROM queue_items WHERE {where}", params)  # noqa: S608
