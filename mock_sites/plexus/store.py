"""Plexus favourites per user in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from mock_sites.common.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS favourites (
    username TEXT NOT NULL,
    system_key TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (username, system_key)
);
"""
COLUMNS = ("username", "system_key", "added_at")


class FavouriteStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def count(self) -> int:
        return int(self.db.scalar("SELECT COUNT(*) FROM favourites"))

    def replace_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.db.replace_all("favourites", COLUMNS, ([r[c] for c in COLUMNS] for r in rows))

    def all(self) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT username, system_key, added_at FROM favourites ORDER BY username, added_at"
        )

    def keys_for(self, username: str) -> list[str]:
        rows = self.db.query(
            "SELECT system_key FROM favourites WHERE username = ? ORDER BY added_at, system_key",
            (username,),
        )
        return [r["system_key"] for r in rows]

    def add(self, username: str, system_key: str, *, now: str) -> bool:
        """Add a favourite; False when the user already had it."""
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    "INSERT INTO favourites (username, system_key, added_at) VALUES (?, ?, ?)",
                    (username, system_key, now),
                )
        except sqlite3.IntegrityError:
            return False
        return True
