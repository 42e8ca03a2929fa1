"""PMO's patients in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from mock_sites.common.db import Database
from mock_sites.pmo.form import FIELDS
from mock_sites.pmo.patient_id import PatientIdRule

SCHEMA = """
CREATE TABLE IF NOT EXISTS patients (
    patient_id TEXT PRIMARY KEY,
    birth_key TEXT NOT NULL,
    sex TEXT NOT NULL,
    family_name TEXT NOT NULL,
    given_names TEXT NOT NULL,
    street TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    kommun TEXT NOT NULL DEFAULT '',
    lan TEXT NOT NULL DEFAULT '',
    info TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    changed_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS patients_by_birth ON patients (birth_key);
"""
# The form's fields plus the timestamps and users the store keeps (PMO's access log: who
# created and who last changed each patient; seed patients have no user).
COLUMNS = (*FIELDS, "created_at", "updated_at", "created_by", "changed_by")
_STAMPS = ("created_at", "updated_at", "created_by", "changed_by")


class PatientIdTaken(Exception):
    """Another patient already has this Patient-ID."""


class PatientStore:
    """Search, read, create and change patients."""

    def __init__(self, db: Database, rule: PatientIdRule) -> None:
        self.db = db
        self.rule = rule
        db.add_missing_columns("patients", dict.fromkeys(_STAMPS[2:], "TEXT NOT NULL DEFAULT ''"))

    def count(self) -> int:
        return int(self.db.scalar("SELECT COUNT(*) FROM patients"))

    def replace_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.db.replace_all(
            "patients",
            ("birth_key", *COLUMNS),
            (
                [
                    self.rule.birth_key(r["patient_id"], r.get("birth_date", "")),
                    *(r.get(c, "") for c in COLUMNS),
                ]
                for r in rows
            ),
        )

    def all(self) -> list[dict[str, Any]]:
        cols = ", ".join(COLUMNS)
        return self.db.query(f"SELECT {cols} FROM patients ORDER BY created_at, patient_id")  # noqa: S608

    def by_birth_date(self, birth_key: str) -> list[dict[str, Any]]:
        cols = ", ".join(COLUMNS)
        return self.db.query(
            f"SELECT {cols} FROM patients WHERE birth_key = ? "  # noqa: S608
            "ORDER BY family_name COLLATE NOCASE, given_names COLLATE NOCASE, patient_id",
            (birth_key,),
        )

    def get(self, patient_id: str) -> dict[str, Any] | None:
        """The patient's fields, and ``birth_key`` (the birth date PMO searches by)."""
        cols = ", ".join(COLUMNS)
        return self.db.query_one(
            f"SELECT birth_key, {cols} FROM patients WHERE patient_id = ?",  # noqa: S608
            (patient_id,),
        )

    def create(self, values: Mapping[str, str], *, now: str, user: str) -> None:
        row = {**values, "created_at": now, "updated_at": now, "created_by": user}
        row["changed_by"] = user
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    f"INSERT INTO patients (birth_key, {', '.join(COLUMNS)}) "  # noqa: S608
                    f"VALUES (?, {', '.join('?' for _ in COLUMNS)})",
                    [
                        self.rule.birth_key(values["patient_id"], values.get("birth_date", "")),
                        *(row[c] for c in COLUMNS),
                    ],
                )
        except sqlite3.IntegrityError as exc:
            raise PatientIdTaken(values["patient_id"]) from exc

    def update(self, patient_id: str, values: Mapping[str, str], *, now: str, user: str) -> bool:
        """Change a patient (its Patient-ID too) as ``user``; False when there is no such
        patient."""
        fields = [c for c in COLUMNS if c not in _STAMPS]
        assignments = ", ".join(f"{c} = ?" for c in fields)
        try:
            with self.db.transaction() as conn:
                cursor = conn.execute(
                    f"UPDATE patients SET birth_key = ?, {assignments}, "  # noqa: S608
                    "updated_at = ?, changed_by = ? WHERE patient_id = ?",
                    [
                        self.rule.birth_key(values["patient_id"], values.get("birth_date", "")),
                        *(values[c] for c in fields),
                        now,
                        user,
                        patient_id,
                    ],
                )
                changed = cursor.rowcount == 1
        except sqlite3.IntegrityError as exc:
            raise PatientIdTaken(values["patient_id"]) from exc
        return changed
