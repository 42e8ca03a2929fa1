"""Runs: one row per ``backlog run`` (who, where, how many workers, how it ended)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from apps.backlog.store import rows
from apps.backlog.store.identity import host_name
from apps.backlog.store.model import RunItem, RunRecord
from apps.backlog.store.rows import ts, utcnow
from robot.actor import os_user
from robot.db import Database


class Runs:
    """The runs table (see ``QueueStore``)."""

    db: Database

    def start_run(self, *, workers: int, limit: int | None, machine: str | None = None) -> int:
        host = host_name()
        with self.db.transaction() as tx:
            row = tx.one(
                'INSERT INTO queue_runs (started_at, host, pid, "user", machine, workers,'
                " item_limit) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (ts(utcnow()), host, os.getpid(), os_user(), machine or host, workers, limit),
            )
        assert row is not None
        return int(row["id"])

    def end_run(self, run_id: int, *, exit_code: int, summary: Mapping[str, object]) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE queue_runs SET finished_at = ?, exit_code = ?, summary = ? WHERE id = ?",
                (ts(utcnow()), exit_code, json.dumps(dict(summary), default=str), run_id),
            )

    def runs(self, *, limit: int | None = None) -> list[RunRecord]:
        sql = "SELECT * FROM queue_runs ORDER BY id DESC"
        params: list[object] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.db.read() as tx:
            return [rows.run(r) for r in tx.all(sql, params)]

    def last_run(self) -> RunRecord | None:
        found = self.runs(limit=1)
        return found[0] if found else None

    def run_items(self, run_id: int) -> list[RunItem]:
        """What a run did to each item it touched: the last status it left the item in."""
        with self.db.read() as tx:
            found = tx.all(
                "SELECT h.item_id, h.to_status, h.reason, h.detail, h.at FROM queue_history h"
                " WHERE h.id IN (SELECT MAX(id) FROM queue_history WHERE run_id = ?"
                " GROUP BY item_id) ORDER BY h.item_id",
                (run_id,),
            )
        return [rows.run_item(r) for r in found]
