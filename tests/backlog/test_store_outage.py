"""A store outage inside a ``backlog run`` (issue 25, point 6), on a real PostgreSQL server.

The run (``reservrobot backlog run`` in its own process, with its worker and Chromium) reaches
the store through a TCP proxy that the test cuts and restores (``tests.fixtures.tcp_proxy``,
as in tests/e2e/test_frozen_holder.py): every open connection is dropped and new ones are
refused, exactly as a stopped or failed-over server looks to the robot. The test itself reads
the store directly, around the proxy.

- A short outage is waited out: the run says so in Swedish, finishes every item (each exactly
  once, each person registered once) and exits 0, with no traceback.
- An outage longer than ``store_outage_wait_s``: the run ends with exit code 4 and one line
  saying how many items it finished before, and a second run after the store is back
  finishes the rest without a duplicate.

Nothing sleeps for a guessed time: the test waits for items done, for the run's and its
worker's outage events and for the process to end; the timeouts only guard against hanging.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.backlog.store import DatabaseQueueStore, ItemStatus, open_store
from apps.exitcodes import ExitCode
from mock_sites.testing import MockSites
from robot.settings import Settings
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.settings import environment_of
from tests.fixtures.tcp_proxy import TcpProxy

from .helpers import (
    assert_each_item_done_exactly_once,
    assert_each_person_registered_once,
    queue_generated,
    robot_settings,
    start_cli_run,
    wait_until,
)

pytestmark = pytest.mark.slow

GUARD_S = 180  # against hanging only; never what a test asserts
PASSWORD = "hemligt-losen"  # in the address only to show that it is never printed
WAIT_LINE = "går inte att nå just nu. Roboten väntar upp till 120 s"
# Short timeouts allow a short lease (it must outlast one action: 2 + 4 s), so that a lease
# the outage kept the worker from releasing expires soon after the store is back.
FAST = {"timeout_ms": 2_000, "navigation_timeout_ms": 4_000, "lease_ttl_s": 8.0}


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()


@pytest.fixture
def proxy(postgres_server: PostgresServer) -> Iterator[TcpProxy]:
    with TcpProxy((postgres_server.host, postgres_server.port)) as cut:
        yield cut


def _settings(
    tmp_path: Path, sites: MockSites, dsn: str, server: PostgresServer, port: int, **extra: object
) -> tuple[Settings, Settings]:
    """(the run's settings, through the proxy with a password in the address; the test's own,
    straight to the server)."""
    through = dsn.replace(f"{server.superuser}@", f"{server.superuser}:{PASSWORD}@").replace(
        f":{server.port}/", f":{port}/"
    )
    run = robot_settings(tmp_path, sites, store_dsn=through, **FAST, **extra)
    return run, run.model_copy(update={"store_dsn": dsn})


def _run(settings: Settings, log_path: Path, *args: str) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return start_cli_run(
            settings, log, "--workers", "1", "--retry-delay", "0.2", *args,
            env=environment_of(settings),
        )  # fmt: skip


def _finished(store: DatabaseQueueStore) -> int:
    """Items finished (not waiting for a retry): what a run counts as it writes outcomes."""
    counts = store.counts()
    return sum(
        counts.get(s, 0) for s in (ItemStatus.DONE, ItemStatus.NEEDS_PERSON, ItemStatus.FAILED)
    )


def _outage_events(log_path: Path) -> int:
    """``store_outage`` events in the log: the run logs one per outage, each worker its own."""
    return log_path.read_text("utf-8", errors="replace").count('"event": "store_outage"')


def test_a_short_store_outage_mid_run_is_waited_out_and_every_item_finishes_once(
    sites: MockSites,
    tmp_path: Path,
    postgres_server: PostgresServer,
    postgres_dsn: str,
    proxy: TcpProxy,
) -> None:
    settings, direct = _settings(tmp_path, sites, postgres_dsn, postgres_server, proxy.port)
    rows = queue_generated(direct, sites, 3, seed=251)
    log_path = tmp_path / "run.log"
    store = open_store(direct)
    run = _run(settings, log_path)
    try:
        wait_until(lambda: _finished(store) >= 1, timeout=GUARD_S, what="a first item done")
        proxy.down()
        # Until the run has said it waits and its worker has met the outage too.
        wait_until(lambda: _outage_events(log_path) >= 2, timeout=GUARD_S, what="the outage met")
        proxy.up()
        code = run.wait(timeout=GUARD_S)
    finally:
        proxy.up()
        if run.poll() is None:
            run.kill()
            run.wait()
    text = log_path.read_text("utf-8", errors="replace")
    assert code == ExitCode.OK, text[-4000:]
    assert WAIT_LINE in text and "Databasen svarar igen" in text
    assert "Traceback" not in text and PASSWORD not in text
    with store:
        assert_each_item_done_exactly_once(store, 3)
    assert_each_person_registered_once(sites, rows)


def test_a_store_gone_past_the_limit_ends_the_run_with_what_it_finished_and_a_rerun_ends_it(
    sites: MockSites,
    tmp_path: Path,
    postgres_server: PostgresServer,
    postgres_dsn: str,
    proxy: TcpProxy,
) -> None:
    settings, direct = _settings(
        tmp_path, sites, postgres_dsn, postgres_server, proxy.port, store_outage_wait_s=2.0
    )
    rows = queue_generated(direct, sites, 3, seed=252)
    log_path = tmp_path / "run.log"
    store = open_store(direct)
    run = _run(settings, log_path)
    try:
        wait_until(lambda: _finished(store) >= 1, timeout=GUARD_S, what="a first item done")
        proxy.down()
        code = run.wait(timeout=GUARD_S)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    text = log_path.read_text("utf-8", errors="replace")
    assert code == ExitCode.STORE_BROKEN, text[-4000:]
    finished = _finished(store)  # what the store holds as finished: the run's N
    assert 1 <= finished < 3
    noun = "ärende klart" if finished == 1 else "ärenden klara"
    line = f"{finished} {noun}, sedan tappades databasen ("
    assert line in text, text[-4000:]
    assert (
        "Ärendena som pågick körs om vid nästa körning: ingenting registreras två gånger." in text
    )
    assert "Traceback" not in text and PASSWORD not in text
    assert f"127.0.0.1:{proxy.port}" in text  # where the store was, as the run reached it

    proxy.up()
    again = _run(settings, tmp_path / "rerun.log")
    assert again.wait(timeout=GUARD_S) == ExitCode.OK, (tmp_path / "rerun.log").read_text()[-4000:]
    with store:
        assert_each_item_done_exactly_once(store, 3)
    assert_each_person_registered_once(sites, rows)
