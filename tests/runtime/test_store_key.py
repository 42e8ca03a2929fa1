"""One key per store: a process whose pseudonym key differs from the store's is refused.

Two machines with their own keys compute different lease keys for one person and register
them twice (issue 25, point 2). On SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from pydantic import SecretStr

from flows.coordination import COMPONENT, Coordination
from robot.db import open_database
from robot.logs import Pseudonymizer
from robot.settings import Settings
from robot.store_key import StoreKeyMismatch, key_check_value, verify_store_key


def _settings(tmp_path: Path, store_dsn: str, key: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", store_dsn=store_dsn, pseudonym_key=SecretStr(key))


def test_the_check_value_is_the_hmac_of_the_agreed_constant() -> None:
    expected = hmac.new(b"k", b"reservrobot-key-check", hashlib.sha256).hexdigest()
    assert key_check_value(SecretStr("k")) == expected


def test_the_first_process_writes_the_check_value_and_the_same_key_passes(
    tmp_path: Path, store_dsn: str
) -> None:
    settings = _settings(tmp_path, store_dsn, "region-key")
    with open_database(settings, COMPONENT) as db:
        verify_store_key(db, settings.pseudonym_key)
        verify_store_key(db, SecretStr("region-key"))
        with db.read() as tx:
            row = tx.one("SELECT check_value FROM store_key")
    assert row == {"check_value": key_check_value(SecretStr("region-key"))}


def test_a_process_with_another_key_is_refused_in_swedish(tmp_path: Path, store_dsn: str) -> None:
    first = _settings(tmp_path, store_dsn, "region-key")
    Coordination(first, Pseudonymizer(first.pseudonym_key), role="kön").close()

    other = _settings(tmp_path, store_dsn, "a-key-of-its-own")
    with pytest.raises(StoreKeyMismatch) as caught:
        Coordination(other, Pseudonymizer(other.pseudonym_key), role="kommandoraden")
    assert caught.value.code == "store_key_mismatch"
    assert "Nyckeln för pseudonymisering" in caught.value.message
    assert "a-key-of-its-own" not in caught.value.message
    # The store still holds the first key's value: the refused process changed nothing.
    with open_database(first, COMPONENT) as db:
        verify_store_key(db, first.pseudonym_key)


def test_doctor_fails_a_store_first_used_with_another_key(tmp_path: Path, store_dsn: str) -> None:
    from apps.cli.doctor import store_check

    first = _settings(tmp_path, store_dsn, "region-key")
    assert store_check(first).ok
    check = store_check(_settings(tmp_path, store_dsn, "a-key-of-its-own"))
    assert not check.ok and "Nyckeln för pseudonymisering" in check.detail
