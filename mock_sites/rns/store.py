"""Reservnummersystemet's persons in SQLite: one row per identity number handed out or known."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from mock_sites.common.db import Database
from mock_sites.common.validation import fold
from mock_sites.rns.numbers import GAVLEBORG, NumberFormat

SCHEMA = """
CREATE TABLE IF NOT EXISTS persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    family_name TEXT NOT NULL,
    given_names TEXT NOT NULL,
    personnummer TEXT,
    id_type TEXT NOT NULL,
    id_value TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    changed_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS persons_by_birth ON persons (birth_date);
"""
COLUMNS = (
    "birth_date",
    "sex",
    "family_name",
    "given_names",
    "personnummer",
    "id_type",
    "id_value",
    "created_at",
    # Who handed the number out (the system's log; seed persons have no user). Nobody changes
    # a person here, so ``changed_by`` stays the creator.
    "created_by",
    "changed_by",
)


class SerialsExhausted(Exception):
    """All serials of a birth date (or, for SLL, of the format) are used."""


class PersonStore:
    """Search persons and hand out new reservnummer."""

    def __init__(self, db: Database, number_format: NumberFormat = GAVLEBORG) -> None:
        self.db = db
        self.number_format = number_format
        db.add_missing_columns("persons", dict.fromkeys(COLUMNS[-2:], "TEXT NOT NULL DEFAULT ''"))

    def count(self) -> int:
        return int(self.db.scalar("SELECT COUNT(*) FROM persons"))

    def replace_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.db.replace_all("persons", COLUMNS, ([r.get(c, "") for c in COLUMNS] for r in rows))

    def all(self) -> list[dict[str, Any]]:
        cols = ", ".join(COLUMNS)
        return self.db.query(f"SELECT {cols} FROM persons ORDER BY id")  # noqa: S608

    def search(self, birth_date: date, name: str = "") -> list[dict[str, Any]]:
        """Persons born on ``birth_date`` whose name contains ``name`` (ignoring case, accents)."""
        cols = ", ".join(COLUMNS)
        rows = self.db.query(
            f"SELECT {cols} FROM persons WHERE birth_date = ? ORDER BY id",  # noqa: S608
            (birth_date.isoformat(),),
        )
        wanted = fold(name)
        if not wanted:
            return rows
        return [r for r in rows if _matches(r, wanted)]

    def by_number(self, number: str) -> dict[str, Any] | None:
        cols = ", ".join(COLUMNS)
        return self.db.query_one(
            f"SELECT {cols} FROM persons WHERE id_value = ?",  # noqa: S608
            (number,),
        )

    def create_reservnummer(
        self,
        *,
        birth_date: date,
        sex: str,
        family_name: str,
        given_names: str,
        now: str,
        user: str,
    ) -> str:
        """A new reservnummer with the next serial of the birth date; stored before returning."""
        with self.db.transaction() as conn:
            fmt = self.number_format
            if fmt.serial_per_birth_date:
                numbers = conn.execute(
                    "SELECT id_value FROM persons "
                    "WHERE birth_date = ? AND id_type = 'Reservnummer'",
                    (birth_date.isoformat(),),
                ).fetchall()
            else:  # the number has no birth date: one serial over all of them
                numbers = conn.execute(
                    "SELECT id_value FROM persons WHERE id_type = 'Reservnummer'"
                ).fetchall()
            serial = max((fmt.serial(row[0]) or 0 for row in numbers), default=0) + 1
            if serial > fmt.max_serial:
                raise SerialsExhausted(birth_date.isoformat())
            number = fmt.reservnummer(birth_date, serial, sex)
            conn.execute(
                f"INSERT INTO persons ({', '.join(COLUMNS)}) "  # noqa: S608
                f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                (
                    birth_date.isoformat(),
                    sex,
                    family_name,
                    given_names,
                    None,
                    "Reservnummer",
                    number,
                    now,
                    user,
                    user,
                ),
            )
        return number


def _matches(row: Mapping[str, Any], wanted: str) -> bool:
    family, given = row["family_name"], row["given_names"]
    forms = (f"{family} {given}", f"{given} {family}", f"{family}, {given}")
    return any(wanted in fold(text) for text in forms)
