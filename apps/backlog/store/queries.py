"""Reading items: one, by reference, by status, counts, what waits, and an item's history."""

from __future__ import annotations

from datetime import datetime, timedelta

from apps.backlog.store import rows
from apps.backlog.store.model import HistoryEntry, QueueItem
from apps.backlog.store.rows import utcnow
from apps.backlog.store.status import ItemStatus
from apps.backlog.store.vault import Vault
from robot.db import Database


class ItemReads:
    """The reading half of the queue (see ``QueueStore``)."""

    db: Database
    vault: Vault

    def get(self, item_id: int) -> QueueItem | None:
        with self.db.read() as tx:
            row = tx.one("SELECT * FROM queue_items WHERE id = ?", (item_id,))
        return rows.item(row, self.vault) if row else None

    def import_rows(self) -> list[tuple[str, int, int, str]]:
        """Every imported row: ``(file, row, item id, outcome)``, by file and row."""
        with self.db.read() as tx:
            found = tx.all(
                "SELECT file, row_number, item_id, outcome FROM queue_import_rows"
                " ORDER BY file, row_number"
            )
        return [
            (str(r["file"]), int(r["row_number"]), int(r["item_id"]), str(r["outcome"]))
            for r in found
        ]

    def find(self, ref: str) -> QueueItem | None:
        with self.db.read() as tx:
            row = tx.one("SELECT * FROM queue_items WHERE ref = ?", (ref,))
        return rows.item(row, self.vault) if row else None

    def items(
        self,
        *,
        status: ItemStatus | None = None,
        limit: int | None = None,
        run_id: int | None = None,
    ) -> list[QueueItem]:
        sql = "SELECT * FROM queue_items WHERE 1 = 1"
        params: list[object] = []
        if status is not None:
            sql += " AND status = ?"
            params.append(str(status))
        if run_id is not None:
            sql += " AND id IN (SELECT item_id FROM queue_history WHERE run_id = ?)"
            params.append(run_id)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.db.read() as tx:
            return [rows.item(r, self.vault) for r in tx.all(sql, params)]

    def counts(self) -> dict[ItemStatus, int]:
        out = {s: 0 for s in ItemStatus}
        with self.db.read() as tx:
            for row in tx.all("SELECT status, COUNT(*) AS n FROM queue_items GROUP BY status"):
                out[ItemStatus(row["status"])] = int(row["n"])
        return out

    def oldest(self, status: ItemStatus) -> QueueItem | None:
        """The item that has been in ``status`` longest (by its last change)."""
        with self.db.read() as tx:
            row = tx.one(
                "SELECT * FROM queue_items WHERE status = ? ORDER BY updated_at, id LIMIT 1",
                (str(status),),
            )
        return rows.item(row, self.vault) if row else None

    def oldest_pending(self) -> QueueItem | None:
        with self.db.read() as tx:
            row = tx.one(
                "SELECT * FROM queue_items WHERE status = 'pending' ORDER BY created_at, id LIMIT 1"
            )
        return rows.item(row, self.vault) if row else None

    def next_due(self) -> datetime | None:
        """When the next pending item may be taken (now or later); None when nothing waits."""
        with self.db.read() as tx:
            row = tx.one(
                "SELECT COUNT(*) AS n, MIN(COALESCE(not_before, '')) AS due FROM queue_items"
                " WHERE status = 'pending'"
            )
        if row is None or not row["n"]:
            return None
        return rows.dt(row["due"]) or utcnow()

    def next_takeover(self, *, stale_after: timedelta, quiet_s: float) -> datetime | None:
        """When an item held by a silent worker (no heartbeat for ``quiet_s``) may be taken over.

        A worker on another machine that died still holds its item until its heartbeat is
        ``stale_after`` old; the others wait for that moment instead of ending their run.
        """
        with self.db.read() as tx:
            now = tx.now()
            row = tx.one(
                "SELECT MIN(heartbeat) AS beat FROM queue_items"
                " WHERE status = 'in_progress' AND heartbeat < ?",
                (now - quiet_s,),
            )
        if row is None or row["beat"] is None:
            return None
        wait = float(row["beat"]) + stale_after.total_seconds() - now
        return utcnow() + timedelta(seconds=max(wait, 0.0))

    def history(self, item_id: int) -> list[HistoryEntry]:
        with self.db.read() as tx:
            found = tx.all("SELECT * FROM queue_history WHERE item_id = ? ORDER BY id", (item_id,))
        return [rows.history(r) for r in found]

    def failed_attempts_since(self, since: datetime) -> int:
        """Attempts that ended failed (retried or not) or were interrupted, since ``since``."""
        with self.db.read() as tx:
            row = tx.one(
                "SELECT COUNT(*) AS n FROM queue_history WHERE from_status = 'in_progress'"
                " AND to_status IN ('pending', 'failed') AND at >= ?"
                " AND COALESCE(reason, '') <> 'worker_stopped'",
                (rows.ts(since),),
            )
        return int(row["n"]) if row else 0
