"""Idempotency: the robot process is killed (SIGKILL) between steps, then the request is rerun.

The robot runs as the real CLI in a subprocess; ``RESERVROBOT_TEST_CRASH_AFTER=<step>`` makes
it kill itself right after that step (``flows/crashpoint.py``): after the new reservnummer was
read and journaled, or after PMO saved the patient but before the journal knew. Whatever the
point, the rerun must leave exactly one reservnummer in Reservnummersystemet and one patient in
PMO for the person.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from flows.runner import JOURNAL_FILE
from mock_sites.testing import MockSites
from tests.e2e.conftest import cli_env
from tests.e2e.people import People, patients_born, persons_born

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _run_cli(
    args: list[str],
    *,
    sites: MockSites,
    data_dir: Path,
    crash_after: str | None,
    store_dsn: str = "",
) -> subprocess.CompletedProcess[str]:
    env = cli_env(sites, data_dir)
    if store_dsn:
        env["RESERVROBOT_STORE_DSN"] = store_dsn
    env.update(
        {
            "RESERVROBOT_BACKOFF_BASE_S": "0.05",
            # The killed run never releases its birth date's lease: the rerun, on the same
            # machine, sees the holder's process gone and takes it over at once. The long
            # expiry and the shorter wait prove it did not wait the lease out.
            "RESERVROBOT_LEASE_TTL_S": "600",
            "RESERVROBOT_LEASE_WAIT_S": "60",
        }
    )
    if crash_after:
        env["RESERVROBOT_TEST_CRASH_AFTER"] = crash_after
    return subprocess.run(
        [sys.executable, "-m", "apps", *args],
        cwd=data_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("crash_after", ["create_rns", "register_pmo"])
def test_register_should_not_duplicate_after_a_crash_and_rerun(
    mock_sites: MockSites, tmp_path: Path, crash_after: str
) -> None:
    sites = mock_sites
    request = People(sites).request()
    request_file = tmp_path / "request.json"
    request_file.write_text(request.model_dump_json(), encoding="utf-8")
    args = ["register", "--file", str(request_file), "--json"]

    crashed = _run_cli(args, sites=sites, data_dir=tmp_path, crash_after=crash_after)

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    assert len(persons_born(sites, request.birth_date)) == 1
    assert len(patients_born(sites, request.birth_date)) == (crash_after == "register_pmo")

    rerun = _run_cli(args, sites=sites, data_dir=tmp_path, crash_after=None)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-2000:]
    outcome = json.loads(rerun.stdout)
    assert outcome["kind"] == "registered"
    [person] = persons_born(sites, request.birth_date)
    [patient] = patients_born(sites, request.birth_date)
    assert outcome["patient_id"] == person["id_value"] == patient["patient_id"]
    skipped = {s["step"] for s in outcome["steps"] if s["status"] == "skipped"}
    assert "create_rns" in skipped  # the journaled number was used, not a new one
    # The rerun took over the dead run's lease at once and still searched both systems first.
    [taken] = [line for line in rerun.stderr.splitlines() if '"lease_taken_over"' in line]
    assert '"holder_gone": true' in taken, taken
    done = [s["step"] for s in outcome["steps"] if s["status"] == "done"]
    done = [step for step in done if step != "wait_lease"]
    if crash_after == "create_rns":  # RNS searched again: the journaled number is reused
        assert done == ["search_pmo", "search_rns", "register_pmo", "verify"]
    else:  # PMO shows our own save, in our spelling: verified, nothing redone
        assert done == ["search_pmo", "verify"]


def _journal_data(data_dir: Path, store_dsn: str) -> list[str]:
    """What the journal's table holds now, row by row (its ``data`` column)."""
    if store_dsn:
        with psycopg.connect(store_dsn) as conn:
            return [row[0] for row in conn.execute("SELECT data FROM journal_steps")]
    with closing(sqlite3.connect(data_dir / JOURNAL_FILE)) as conn:
        return [row[0] for row in conn.execute("SELECT data FROM journal_steps")]


def _files_holding(folder: Path, needles: list[bytes]) -> list[str]:
    """Files of ``folder`` (the SQLite stores with their write-ahead logs, logs) holding any."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return [str(p) for p in files for n in needles if n in p.read_bytes()]


def test_a_protected_persons_number_is_never_in_the_journal_in_clear_across_a_crash(
    mock_sites: MockSites, tmp_path: Path, store_dsn: str
) -> None:
    sites = mock_sites
    request = People(sites).request(protected=True)
    request_file = tmp_path / "request.json"
    request_file.write_text(request.model_dump_json(), encoding="utf-8")
    args = ["register", "--file", str(request_file), "--json"]
    data_dir = tmp_path / "data"
    data_dir.mkdir()

    crashed = _run_cli(
        args, sites=sites, data_dir=data_dir, crash_after="create_rns", store_dsn=store_dsn
    )

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    [person] = persons_born(sites, request.birth_date)
    number = person["id_value"]
    needles = [number.encode(), number.replace("-", "").encode()]
    # Between the crash and the rerun: the number was journaled, as a keyed hash only.
    [row] = _journal_data(data_dir, store_dsn)
    assert [n for n in needles if n in row.encode()] == []
    assert json.loads(row)["keyed"].startswith("k_")
    assert _files_holding(data_dir, needles) == []

    rerun = _run_cli(args, sites=sites, data_dir=data_dir, crash_after=None, store_dsn=store_dsn)

    assert rerun.stdout, rerun.stderr[-2000:]
    outcome = json.loads(rerun.stdout)
    assert outcome["reason_code"] == "protected_identity", outcome
    # Found again by its hash among RNS's hits and registered: one number, one patient.
    assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [number]
    [patient] = patients_born(sites, request.birth_date)
    assert outcome["patient_id"] == patient["patient_id"] == number
    assert outcome["reservnummer_reused"] is False  # the journal's own number, not a found one
    skipped = {s["step"] for s in outcome["steps"] if s["status"] == "skipped"}
    assert "create_rns" in skipped
    assert _journal_data(data_dir, store_dsn) == []
    assert _files_holding(data_dir, needles) == []
