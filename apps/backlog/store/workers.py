"""The worker registry: which machines and workers are alive, what each holds, and each
machine's mode (run, paused, draining) set by ``backlog pause`` / ``drain`` / ``resume``.

A worker registers when it starts (with its process, as ``robot.processes`` records one), beats
while it lives (in the store's clock, so machines agree), says which item it holds, and signs
off when it stops. A worker that died without signing off (killed, or its store was gone when
it stopped) is recognised by its silent heartbeat, and on its own machine at once by the
process rule: ``expire_workers`` signs such a worker off, so that it stops counting as silent
(the ``ReservrobotWorkerSilent`` alert clears), and drops rows silent or stopped for a day.
"""

from __future__ import annotations

from apps.backlog.store import rows
from apps.backlog.store.identity import WorkerIdentity
from apps.backlog.store.model import MachineMode, WorkerRecord
from apps.backlog.store.rows import ts, utcnow
from robot.db import Database
from robot.processes import HolderProcess

# Workers that stopped, or went silent, this long ago leave the registry.
WORKERS_KEPT_S = 24 * 3600.0


class WorkerRegistry:
    """Workers and machines (see ``QueueStore``)."""

    db: Database

    def register_worker(self, worker: WorkerIdentity, *, run_id: int | None) -> None:
        process = worker.process
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM queue_workers WHERE name = ?", (worker.name,))
            tx.execute(
                "INSERT INTO queue_workers (name, machine, host, pid, run_id, started_at,"  # noqa: S608
                " process_host, process_started, process_booted, heartbeat)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {self.db.now_sql})",
                (
                    worker.name,
                    worker.machine,
                    worker.host,
                    worker.pid,
                    run_id,
                    ts(utcnow()),
                    None if process is None else process.host,
                    None if process is None else process.started,
                    None if process is None else process.booted,
                ),
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
        """Every registered worker (newest first), with its heartbeat's age and whether its
        process is provably gone (``WorkerRecord.gone``)."""
        sql = "SELECT * FROM queue_workers"
        params: tuple[object, ...] = ()
        if machine is not None:
            sql += " WHERE machine = ?"
            params = (machine,)
        with self.db.read() as tx:
            now = tx.now()
            found = tx.all(sql + " ORDER BY started_at DESC, name", params)
        return [rows.worker(r, now=now, gone=_gone(r)) for r in found]

    def expire_workers(self, *, kept_s: float = WORKERS_KEPT_S) -> int:
        """Sign off running workers whose process is provably gone (their last heartbeat stays,
        saying when they were last seen), and drop workers stopped or silent for ``kept_s``.

        Run at the start of every run, by ``backlog workers`` and by ``backlog metrics``. The
        number of workers signed off.
        """
        gone = [w.name for w in self.workers() if w.running and w.gone]
        with self.db.transaction() as tx:
            for name in gone:
                tx.execute(
                    "UPDATE queue_workers SET stopped_at = ?, item_id = NULL"
                    " WHERE name = ? AND stopped_at IS NULL",
                    (ts(utcnow()), name),
                )
        self.forget_workers(older_than_s=kept_s)
        return len(gone)

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


def _gone(row: rows.Row) -> bool:
    """A running worker whose process provably no longer runs (the runtime's one rule)."""
    if row["stopped_at"] is not None:
        return False
    process = HolderProcess.recorded(
        row["process_host"], row["pid"], row["process_started"], row["process_booted"]
    )
    return process is not None and process.is_gone()
