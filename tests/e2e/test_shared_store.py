"""Two clerks' PCs on the region's one PostgreSQL store, each with its own database role.

The deployment (docs/operations.md, "One store for the region") gives every clerk a login role
of their own (authenticated by SSPI/GSSAPI or a client certificate, never a shared password)
that is a member of one group role owning the tables, entered at login (``ALTER ROLE ... SET
role``). Here the roles log in by trust on the test server; what is tested is that two
``reservrobot register`` processes, one per role and each with its own data folder (its own
PC), racing for one person make one reservnummer and one patient.
"""

from __future__ import annotations

import itertools
import os
import queue
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from flows.coordination import COMPONENT as COORDINATION
from flows.coordination import birth_date_lease_key
from mock_sites.testing import MockSites
from robot.db import open_database
from robot.leases import Leases
from robot.logs import Pseudonymizer
from robot.settings import Settings
from tests.e2e.conftest import cli_env
from tests.e2e.people import People, patients_born, persons_born
from tests.e2e.test_concurrency import WAIT_FOR_PROCESSES_S, _Robot
from tests.fixtures.postgres import PostgresServer

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


def test_two_clerks_with_their_own_roles_on_one_store_make_one_registration(
    mock_sites: MockSites, postgres_server: PostgresServer, postgres_dsn: str, tmp_path: Path
) -> None:
    sites = mock_sites
    sites.reset()
    group, roles = _clerk_roles(postgres_server, postgres_dsn, ["anna", "bertil", "pytest"])
    request = People(sites).request()
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")
    key = birth_date_lease_key(Pseudonymizer(SecretStr(KEY)), request.birth_date.isoformat())

    events: queue.Queue[int] = queue.Queue()
    robots: list[_Robot] = []
    admin = Settings(store_dsn=roles["pytest"], pseudonym_key=SecretStr(KEY))
    with open_database(admin, COORDINATION) as db:
        # Hold the birth date until both clerks wait for it: then they race for it at once.
        with Leases(db).hold(key, holder="pytest", ttl_s=120, wait_s=0):
            for clerk in ("anna", "bertil"):
                pc = tmp_path / clerk
                pc.mkdir()
                env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVROBOT_")}
                env.update(cli_env(sites, pc))
                env.update(
                    {
                        "RESERVROBOT_STORE_DSN": roles[clerk],
                        "RESERVROBOT_PSEUDONYM_KEY": KEY,
                        "RESERVROBOT_BACKOFF_BASE_S": "0.05",
                    }
                )
                args = ["register", "--file", str(path), "--json"]
                robots.append(_Robot(args, env=env, cwd=pc, events=events))
            waiting: set[int] = set()
            while len(waiting) < len(robots):
                try:
                    waiting.add(events.get(timeout=WAIT_FOR_PROCESSES_S))
                except queue.Empty:
                    logs = "\n".join("".join(r.stderr)[-1500:] for r in robots)
                    pytest.fail(f"not every clerk waited for the lease:\n{logs}")
        outcomes = [robot.outcome() for robot in robots]

    assert sorted(o["kind"] for o in outcomes) == ["already_registered", "registered"], outcomes
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
