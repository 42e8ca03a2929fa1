"""One person, one registration, when several ``reservrobot register`` processes run at once.

Three real CLI processes (each its own Chromium) register the same person, or spelling
variants of one person, against slow mock sites, sharing one data folder and so one SQLite
coordination store. To make the race certain rather than likely, the test itself holds the
birth date's lease first, waits until every process reports that it is waiting for it (their
JSON logs), and then lets go: all three contend for the same lease at the same moment.
Whatever the order, exactly one reservnummer and one PMO patient exist afterwards, and the
other processes report ``already_registered``.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from flows.coordination import COMPONENT as COORDINATION
from flows.coordination import birth_date_lease_key
from flows.rules.outcome import OutcomeKind
from flows.runner import Runner
from mock_sites.testing import MockSites
from robot.db import open_database
from robot.leases import Leases
from robot.logs import Pseudonymizer
from robot.settings import Settings
from tests.e2e.conftest import cli_env, make_settings
from tests.e2e.people import People, patients_born, persons_born

pytestmark = pytest.mark.e2e

KEY = "concurrency-test-key"
WAIT_FOR_PROCESSES_S = 120  # an upper bound for three browsers to start, not a timing assert


def _env(sites: MockSites, data_dir: Path) -> dict[str, str]:
    env = cli_env(sites, data_dir)
    env.update({"RESERVROBOT_BACKOFF_BASE_S": "0.05", "RESERVROBOT_PSEUDONYM_KEY": KEY})
    return env


class _Robot:
    """One ``reservrobot register --json`` process; its stderr lines go to a shared queue."""

    def __init__(
        self, args: list[str], *, env: dict[str, str], cwd: Path, events: queue.Queue[int]
    ):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apps", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(events,), daemon=True)
        self._reader.start()

    def _read(self, events: queue.Queue[int]) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            if '"lease_wait"' in line:
                events.put(self.proc.pid)

    def outcome(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        stdout = self.proc.stdout.read()  # the reader thread owns stderr
        self.proc.wait(timeout=WAIT_FOR_PROCESSES_S)
        self._reader.join(timeout=WAIT_FOR_PROCESSES_S)
        assert stdout.strip(), "".join(self.stderr)[-3000:]
        outcome: dict[str, Any] = json.loads(stdout)
        return outcome


@pytest.fixture
def slow_sites(mock_sites: MockSites) -> Iterator[MockSites]:
    mock_sites.reset()
    mock_sites.set_faults("pmo", latency_ms=150)
    mock_sites.set_faults("rns", latency_ms=150)
    yield mock_sites
    mock_sites.reset()


@pytest.mark.parametrize(
    "given_names",
    [
        pytest.param(["Astrid", "Astrid", "Astrid"], id="same-spelling"),
        pytest.param(["Mohammed", "Muhammad", "Mohammed"], id="spelling-variants"),
    ],
)
def test_register_should_make_one_registration_when_three_processes_race(
    slow_sites: MockSites, tmp_path: Path, given_names: list[str]
) -> None:
    sites = slow_sites
    first = People(sites).request(sex="K", given_names=given_names[0])
    birth = first.birth_date
    env = _env(sites, tmp_path)
    settings = Settings(data_dir=tmp_path, pseudonym_key=SecretStr(KEY))
    lease_key = birth_date_lease_key(Pseudonymizer(settings.pseudonym_key), birth.isoformat())

    events: queue.Queue[int] = queue.Queue()
    robots: list[_Robot] = []
    with open_database(settings, COORDINATION) as db:
        leases = Leases(db)
        with leases.hold(lease_key, holder="pytest", ttl_s=120, wait_s=0):
            for n, given in enumerate(given_names):
                request = first.model_copy(update={"given_names": given})
                path = tmp_path / f"request-{n}.json"
                path.write_text(request.model_dump_json(), encoding="utf-8")
                args = ["register", "--file", str(path), "--json"]
                robots.append(_Robot(args, env=env, cwd=tmp_path, events=events))
            waiting: set[int] = set()
            while len(waiting) < len(robots):
                try:
                    waiting.add(events.get(timeout=WAIT_FOR_PROCESSES_S))
                except queue.Empty:
                    logs = "\n".join("".join(r.stderr)[-1500:] for r in robots)
                    pytest.fail(f"not every process waited for the lease:\n{logs}")
        # Released: the three waiting processes now race for the lease.
        outcomes = [robot.outcome() for robot in robots]

    kinds = sorted(str(o["kind"]) for o in outcomes)
    assert kinds == ["already_registered", "already_registered", "registered"], outcomes
    [person] = persons_born(sites, birth)
    [patient] = patients_born(sites, birth)
    assert person["id_value"] == patient["patient_id"]
    assert {o["patient_id"] for o in outcomes} == {patient["patient_id"]}
    for outcome, robot in zip(outcomes, robots, strict=True):
        steps = {s["step"]: s["status"] for s in outcome["steps"]}
        assert steps.get("wait_lease") == "done", robot.stderr[-20:]
    assert all(robot.proc.returncode == 0 for robot in robots)


def test_register_should_say_who_holds_the_birth_date_when_the_wait_runs_out(
    mock_sites: MockSites, tmp_path: Path
) -> None:
    sites = mock_sites
    sites.reset()
    settings = make_settings(sites, tmp_path, lease_wait_s=2)
    request = People(sites).request()
    key = birth_date_lease_key(
        Pseudonymizer(settings.pseudonym_key), request.birth_date.isoformat()
    )
    events: list[tuple[str, str, str]] = []

    with (
        open_database(settings, COORDINATION) as db,
        Leases(db).hold(key, holder="mottagningen (appen, process 7)", ttl_s=60, wait_s=0),
        Runner(settings) as runner,
    ):
        outcome = runner.register(
            request, on_step=lambda e: events.append((e.step, e.status, e.label_sv))
        )

    assert (outcome.kind, outcome.reason_code) == (OutcomeKind.FAILED, "lease_held"), outcome
    assert outcome.reason_sv and "mottagningen (appen, process 7)" in outcome.reason_sv
    assert "samma födelsedatum" in outcome.reason_sv
    assert [(step, status) for step, status, _ in events] == [
        ("wait_lease", "started"),
        ("wait_lease", "failed"),
    ]
    # The clerk sees what the robot waits for, and who holds it, while it waits.
    assert events[0][2] == (
        "Väntar på ett annat ärende med samma födelsedatum (mottagningen (appen, process 7))"
    )
    assert outcome.evidence_dir is None  # nothing was shown, so nothing is kept
    assert persons_born(sites, request.birth_date) == []
    assert patients_born(sites, request.birth_date) == []
