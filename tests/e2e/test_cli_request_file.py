"""``reservrobot register --file`` as a user runs it: strict reading, Swedish answers, audit.

Today's reproductions (issue 25, point 9): a file saved by Notepad (byte-order mark) was refused,
a deeply nested file ended in a RecursionError traceback, a key given twice silently took the
last value, and a registration ran with the audit log out of reach.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app
from apps.exitcodes import ExitCode
from mock_sites.testing import MockSites
from tests.e2e.people import People, patients_born, persons_born

pytestmark = pytest.mark.e2e


def test_register_reads_a_file_with_a_byte_order_mark(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    request = People(mock_sites).request()
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8-sig")  # as Notepad saves

    result = CliRunner().invoke(app, ["register", "--file", str(path), "--json"], env=env)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "registered"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[" * 50_000 + b"]" * 50_000, "ett ärende (rad 1, kolumn 17)"),
        (b'{"birth_date": "1990-01-01",\n "birth_date": "1991-02-02"}', "två gånger"),
        (b'{"birth_date": "1990-01-01",,}', "(rad 1, kolumn 29)"),
    ],
    ids=["nested", "duplicate_key", "malformed"],
)
def test_register_refuses_a_bad_file_in_swedish_with_exit_3(
    env: dict[str, str], tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "request.json"
    path.write_bytes(content)

    result = CliRunner().invoke(app, ["register", "--file", str(path)], env=env)

    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert expected in said
    assert "Traceback" not in said and "Expecting" not in said
    assert not isinstance(result.exception, RecursionError)


def test_register_refuses_to_change_anything_without_a_working_audit_log(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    request = People(mock_sites).request()
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")
    (tmp_path / "audit.sqlite3").mkdir()  # the audit log's file cannot be opened

    result = CliRunner().invoke(app, ["register", "--file", str(path)], env=env)

    assert result.exit_code == ExitCode.STORE_BROKEN, result.output
    assert "granskningsloggen går inte att öppna" in " ".join(result.output.split())
    assert persons_born(mock_sites, request.birth_date) == []
    assert patients_born(mock_sites, request.birth_date) == []
