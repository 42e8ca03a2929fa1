"""Two clerks' PCs on the region's one PostgreSQL store, each with its own database role.

The deployment (docs/operations.md, "One store for the region") gives every clerk a login role
of their own (authenticated by SSPI/GSSAPI or a client certificate, never a shared password)
that is a member of one group role owning the tables, entered at login (``ALTER ROLE ... SET
role``). Here the roles log in by trust on the test server; what is tested is that two clerks'
attended apps and a ``reservrobot register`` process, one role each and each with its own data
folder (its own PC), racing for one person make one reservnummer and one patient.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import secrets
import threading
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from apps.ui.app import create_app
from apps.ui.jobs import Job, JobKind, RunnerLike, StepCallback, StopCheck, Work
from apps.ui.server import serve_in_thread
from apps.ui.work import registration_work
from flows.coordination import COMPONENT as COORDINATION
from flows.coordination import birth_date_lease_key
from flows.rules.outcome import Outcome, StepEvent
from mock_sites.testing import MockSites
from robot.db import open_database
from robot.leases import Leases
from robot.logs import Pseudonymizer
from robot.settings import Settings
from tests.e2e.conftest import cli_env
from tests.e2e.people import People, patients_born, persons_born
from tests.e2e.test_concurrency import WAIT_FOR_PROCESSES_S, _Robot
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.settings import settings_for

pytestmark = pytest.mark.e2e

KEY = "the-regions-shared-key"
_ROLES = itertools.count(1)


def _clerk_roles(server: PostgresServer, dsn: str, names: list[str]) -> tuple[str, dict[str, str]]:
    """Login roles ``names`` in one group role that owns the tables: the group, a DSN each."""
    suffix = f"{os.getpid()}_{next(_ROLES)}"
    group = f"reservrobot_{suffix}"
    dbname = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{group}" NOLOGIN')
        conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{dbname}" TO "{group}"')
        conn.execute(f'GRANT USAGE, CREATE ON SCHEMA public TO "{group}"')
        out = {}
        for name in names:
            role = f"{name}_{suffix}"
            conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE "{group}"')
            conn.execute(f'ALTER ROLE "{role}" SET role = "{group}"')
            out[name] = f"postgresql://{role}@{server.host}:{server.port}/{dbname}"
    return group, out


def _telling_when_it_waits(work: Work, waits: threading.Event) -> Work:
    """``work`` that sets ``waits`` when the robot starts waiting for the birth date's lease."""

    def run(runner: RunnerLike, on_step: StepCallback, should_stop: StopCheck) -> Outcome:
        def step(event: StepEvent) -> None:
            if event.step == "wait_lease":
                waits.set()
            on_step(event)

        return work(runner, step, should_stop)

    return run


def test_two_clerk_apps_and_a_cli_with_their_own_roles_make_one_registration(
    mock_sites: MockSites, postgres_server: PostgresServer, postgres_dsn: str, tmp_path: Path
) -> None:
    """Anna's and Bertil's attended apps (each its own PC: data folder, database role) and
    Cecilia's ``reservrobot register`` race for one person on the region's one store."""
    sites = mock_sites
    sites.reset()
    group, roles = _clerk_roles(
        postgres_server, postgres_dsn, ["anna", "bertil", "cecilia", "pytest"]
    )
    request = People(sites).request()
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")
    key = birth_date_lease_key(Pseudonymizer(SecretStr(KEY)), request.birth_date.isoformat())

    events: queue.Queue[int] = queue.Queue()
    admin = Settings(store_dsn=roles["pytest"], pseudonym_key=SecretStr(KEY))
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(open_database(admin, COORDINATION))
        apps: list[tuple[Starlette, str, threading.Event]] = []
        # Hold the birth date until all three wait for it: then they race for it at once.
        with Leases(db).hold(key, holder="pytest", ttl_s=120, wait_s=0):
            for clerk in ("anna", "bertil"):
                settings = settings_for(
                    sites,
                    tmp_path / clerk,
                    store_dsn=roles[clerk],
                    pseudonym_key=SecretStr(KEY),
                    backoff_base_s=0.05,
                    ui_sign_in="robot_account",
                )
                app = create_app(settings, token=secrets.token_urlsafe(16), user=clerk)
                stack.enter_context(serve_in_thread(app, token="x"))
                waits = threading.Event()
                work = _telling_when_it_waits(registration_work(request, []), waits)
                job = app.state.ui.jobs.submit(Job(kind=JobKind.REGISTER, work=work))
                apps.append((app, job.id, waits))
            pc = tmp_path / "cecilia"
            pc.mkdir()
            env = cli_env(sites, pc)
            env.update(
                {
                    "RESERVROBOT_STORE_DSN": roles["cecilia"],
                    "RESERVROBOT_PSEUDONYM_KEY": KEY,
                    "RESERVROBOT_BACKOFF_BASE_S": "0.05",
                }
            )
            args = ["register", "--file", str(path), "--json"]
            cli = _Robot(args, env=env, cwd=pc, events=events)
            try:
                events.get(timeout=WAIT_FOR_PROCESSES_S)
            except queue.Empty:
                pytest.fail("the CLI never waited for the lease:\n" + "".join(cli.stderr)[-1500:])
            for _, _, waits in apps:
                assert waits.wait(timeout=WAIT_FOR_PROCESSES_S), "an app never waited"
        kinds = [cli.outcome()["kind"]]
        for app, job_id, _ in apps:
            job = app.state.ui.jobs.wait(job_id, timeout=WAIT_FOR_PROCESSES_S)
            assert job is not None and job.outcome is not None
            kinds.append(job.outcome.kind.value)

    assert sorted(kinds) == ["already_registered", "already_registered", "registered"], kinds
    [person] = persons_born(sites, request.birth_date)
    [patient] = patients_born(sites, request.birth_date)
    assert person["id_value"] == patient["patient_id"]
    # The tables belong to the group role, whoever of its members created them.
    with psycopg.connect(postgres_dsn) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relname IN ('leases', 'journal_steps', 'store_key')"
        ).fetchall()
    assert owners == [(group,)]
