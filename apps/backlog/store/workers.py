"""The worker registry: which machines and workers are alive, what each holds, and each
machine's mode (run, paused, draining) set by ``backlog pause`` / ``drain`` / ``resume``.

A worker registers when it starts, beats while it lives (in the store's clock, so machines
agree), says which item it holds, and signs off when it stops. A worker that died without
signing off is recognised by its silent heartbeat.
"""

from __future__ import annotations

from apps.backlog.store import rows
from apps.backlog.store.identity import WorkerIdentity
from apps.backlog.store.model import MachineMode, WorkerRecord
from apps.backlog.store.rows import ts, utcnow
from robot.db import Database


class WorkerRegistry:
    """Workers and machines (see ``QueueStore``)."""

    db: Database

    def register_worker(self, worker: WorkerIdentity, *, run_id: int | None) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM queue_workers WHERE name = ?", (worker.name,))
            tx.execute(
                "INSERT INTO queue_workers (name, machine, host, pid, run_id, started_at,"  # noqa: S608
                f" heartbeat) VALUES (?, ?, ?, ?, ?, ?, {self.db.now_sql})",
                (worker.name, worker.machine, worker.host, worker.pid, run_id, ts(utcnow())),
            )

    def beat_worker(self, name: str, *, item_id: int | None, finished_one: bool = False) -> None:
        """The worker lives, holding ``item_id`` (None: idle); count a finished item."""
        with self.db.transaction() as tx:
            tx.execute(
                f"UPDATE queue_workers SET heartbeat = {self.db.now_sql}, item_id = ?,"  # noqa: S608
                " items_done = items_done + ? WHERE name = ?",
                (item_id, 1 if finished_one else 0, name),
            )

    def stop_worker(self, name: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE queue_workers SET stopped_at = ?, item_id = NULL,"  # noqa: S608
                f" heartbeat = {self.db.now_sql} WHERE name = ?",
                (ts(utcnow()), name),
            )

    def workers(self, *, machine: str | None = None) -> list[WorkerRecord]:
        """Every registered worker (newest first), with its heartbeat's age."""
        sql = "SELECT * FROM queue_workers"
        params: tuple[object, ...] = ()
        if machine is not None:
            sql += " WHERE machine = ?"
            params = (machine,)
        with self.db.read() as tx:
            now = tx.now()
            found = tx.all(sql + " ORDER BY started_at DESC, name", params)
        return [rows.worker(r, now=now) for r in found]

    def forget_workers(self, *, older_than_s: float) -> int:
        """Drop stopped or silent workers whose last heartbeat is older than ``older_than_s``."""
        with self.db.transaction() as tx:
            return tx.execute(
                f"DELETE FROM queue_workers WHERE heartbeat < {self.db.now_sql} - ?",  # noqa: S608
                (older_than_s,),
            )

    def set_machine_mode(self, machine: str, mode: MachineMode, *, actor: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO queue_machines (machine, mode, changed_at, changed_by)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (machine) DO UPDATE SET mode = excluded.mode,"
                " changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                (machine, str(mode), ts(utcnow()), actor),
            )

    def machine_mode(self, machine: str) -> MachineMode:
        with self.db.read() as tx:
            row = tx.one("SELECT mode FROM queue_machines WHERE machine = ?", (machine,))
        return MachineMode(row["mode"]) if row else MachineMode.RUN

    def machine_modes(self) -> dict[str, MachineMode]:
        with self.db.read() as tx:
            found = tx.all("SELECT machine, mode FROM queue_machines ORDER BY machine")
        return {r["machine"]: MachineMode(r["mode"]) for r in found}
