"""One pseudonym key per store: every process that shares a store must use the same key.

The coordination lease of a birth date, the stored decisions and the journal's references are
keyed hashes (``robot.logs.Pseudonymizer``). Two machines with different keys on one store
compute different lease keys for the same person, so neither waits for the other: one person,
two registrations. So the first process to open a store writes a check value of its key,
``HMAC-SHA256(key, "reservrobot-key-check")``, and every process after compares its own: a
different value is refused with ``StoreKeyMismatch`` (``store_key_mismatch``) before anything
is searched or created. The value reveals nothing of the key (one HMAC of a constant).
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

from robot.db import Database, Migration
from robot.errors import StoreError

COMPONENT = "store_key"
CHECK_MESSAGE = b"reservrobot-key-check"

MIGRATIONS = [
    Migration(
        1,
        sqlite=[
            "CREATE TABLE store_key (id INTEGER PRIMARY KEY CHECK (id = 1),"
            " check_value TEXT NOT NULL, written_at REAL NOT NULL)"
        ],
        postgresql=[
            "CREATE TABLE store_key (id INTEGER PRIMARY KEY CHECK (id = 1),"
            " check_value TEXT NOT NULL, written_at DOUBLE PRECISION NOT NULL)"
        ],
    )
]


class StoreKeyMismatch(StoreError):
    """This process's pseudonym key is not the one the store was first used with."""

    default_code = "store_key_mismatch"


def key_check_value(key: SecretStr) -> str:
    """``HMAC-SHA256(key, "reservrobot-key-check")`` in hex."""
    secret = key.get_secret_value().encode("utf-8")
    return hmac.new(secret, CHECK_MESSAGE, hashlib.sha256).hexdigest()


def verify_store_key(db: Database, key: SecretStr) -> None:
    """Write the key's check value if the store has none; raise ``StoreKeyMismatch`` if it
    holds another. One transaction: of two first processes racing, one writes, the other
    compares against it."""
    db.migrate(COMPONENT, MIGRATIONS)
    mine = key_check_value(key)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO store_key (id, check_value, written_at)"  # noqa: S608 (now_sql)
            f" VALUES (1, ?, {db.now_sql}) ON CONFLICT (id) DO NOTHING",
            (mine,),
        )
        row = tx.one("SELECT check_value FROM store_key WHERE id = 1")
    if row is None or not hmac.compare_digest(str(row["check_value"]), mine):
        raise StoreKeyMismatch(
            f"Nyckeln för pseudonymisering (RESERVROBOT_PSEUDONYM_KEY) på den här datorn är "
            f"inte densamma som används mot databasen {db.where}. Med olika nycklar känner "
            "datorerna inte igen samma person och kan registrera den två gånger, så roboten "
            "startar inte. Använd regionens gemensamma nyckel (docs/operations.md).",
            code="store_key_mismatch",
        )
