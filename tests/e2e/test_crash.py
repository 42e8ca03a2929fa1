"""Idempotency: the robot process is killed (SIGKILL) between steps, then the request is rerun.

The robot runs as the real CLI in a subprocess; ``RESERVROBOT_TEST_CRASH_AFTER=<step>`` makes
it kill itself right after that step (``flows/crashpoint.py``): after the new reservnummer was
read and journaled, or after PMO saved the patient but before the journal knew. Whatever the
point, the rerun must leave exactly one reservnummer in Reservnummersystemet and one patient in
PMO for the person.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVROBOT_")}
    env.update(cli_env(sites, data_dir))
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
