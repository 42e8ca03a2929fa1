"""Riding out a store outage (``robot.store_outage``): bounded backoff, only for outages.

The rules on a fake clock (no waiting), then once on a real PostgreSQL server cut off and
restored by a TCP proxy (the mechanism of tests/e2e/test_frozen_holder.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from robot.db import open_postgresql
from robot.errors import ConstraintViolation, StoreError
from robot.store_key import StoreKeyMismatch
from robot.store_outage import StoreLost, StoreOutage, is_outage
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.tcp_proxy import TcpProxy

UNAVAILABLE = StoreError("Databasen db på värd:5432 går inte att nå.", code="store_unavailable")


class FakeTime:
    """A clock that moves only when the helper waits; records the waits."""

    def __init__(self, *, stop_after: int | None = None) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        self.stop_after = stop_after

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return self.stop_after is not None and len(self.waits) >= self.stop_after


def failing(times: int, error: StoreError = UNAVAILABLE) -> tuple[Callable[[], str], list[int]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "svar"

    return call, calls


def outage(time: FakeTime, limit_s: float = 120.0) -> StoreOutage:
    return StoreOutage(limit_s=limit_s, wait=time.wait, clock=time.clock)


def test_an_outage_is_waited_out_with_growing_pauses_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = FakeTime()
    call, calls = failing(7)
    back: list[float] = []
    watch = StoreOutage(limit_s=120, wait=time.wait, clock=time.clock, on_back=back.append)
    with caplog.at_level(logging.INFO):
        assert watch.call(call) == "svar"
    assert len(calls) == 8 and len(time.waits) == 7
    # 0.5 s doubling to the 8 s cap, each drawn from [d/2, d] (equal jitter).
    for n, pause in enumerate(time.waits, start=1):
        ceiling = min(8.0, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= pause <= ceiling
    events = [r.message for r in caplog.records if r.name == "robot.store_outage"]
    assert events == ["store_outage", "store_back"]
    assert back == [pytest.approx(sum(time.waits))] and not watch.down


def test_an_outage_longer_than_the_limit_ends_in_store_lost_without_waiting_past_it() -> None:
    time = FakeTime()
    call, _ = failing(10_000)
    with pytest.raises(StoreLost) as lost:
        outage(time, limit_s=20).call(call)
    assert lost.value.cause is UNAVAILABLE and lost.value.code == "store_lost"
    assert lost.value.waited_s == pytest.approx(20.0) and not lost.value.stopped
    assert sum(time.waits) == pytest.approx(20.0)  # the last pause is cut to the limit
    assert "värd:5432" in lost.value.message and "20 s" in lost.value.message


def test_a_stop_ends_the_wait_at_once() -> None:
    time = FakeTime(stop_after=2)
    call, calls = failing(10_000)
    with pytest.raises(StoreLost) as lost:
        outage(time).call(call)
    assert lost.value.stopped and len(calls) == 2 and len(time.waits) == 2


@pytest.mark.parametrize(
    "error",
    [
        StoreError("Behörighet saknas.", code="store_forbidden"),
        StoreError("Filen är skadad.", code="store_corrupt"),
        StoreError("Nyare version.", code="store_too_new"),
        StoreKeyMismatch("Annan nyckel."),
        ConstraintViolation("En regel bröts."),
    ],
    ids=lambda e: e.code,
)
def test_errors_that_waiting_cannot_heal_pass_straight_through(error: StoreError) -> None:
    time = FakeTime()
    call, calls = failing(1, error)
    with pytest.raises(StoreError) as raised:
        outage(time).call(call)
    assert raised.value is error and not is_outage(error)
    assert len(calls) == 1 and time.waits == []


def test_a_busy_store_is_an_outage_and_the_next_outage_gets_the_full_limit_again() -> None:
    time = FakeTime()
    watch = outage(time, limit_s=10)
    busy = StoreError("Upptagen.", code="store_busy")
    call, _ = failing(3, busy)
    assert watch.call(call) == "svar"
    first = sum(time.waits)
    call, _ = failing(3, busy)
    assert watch.call(call) == "svar"  # a new outage: its own 10 s, not what is left
    assert sum(time.waits) > first and not watch.down


def test_a_real_postgresql_cut_off_and_restored_is_ridden_out(
    postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    with TcpProxy((postgres_server.host, postgres_server.port)) as proxy:
        db = open_postgresql(postgres_dsn.replace(f":{postgres_server.port}/", f":{proxy.port}/"))
        try:
            proxy.down()
            watch = StoreOutage(limit_s=60)
            restored = threading.Timer(0, proxy.up)

            def query() -> int:
                with db.read() as tx:
                    row = tx.one("SELECT 1 AS one")
                assert row is not None
                return int(row["one"])

            def call() -> int:
                try:
                    return query()
                except StoreError:
                    # The store is seen to be away: bring it back (not on a guessed delay).
                    if not restored.is_alive() and not restored.finished.is_set():
                        restored.start()
                    raise

            assert watch.call(call) == 1
            assert restored.finished.is_set() and not watch.down
        finally:
            db.close()


def test_a_refused_database_login_is_not_an_outage_and_is_never_waited_for(
    postgres_server: PostgresServer,
) -> None:
    """A wrong role or password in RESERVROBOT_STORE_DSN: waiting cannot heal it, so the run
    says so at once instead of waiting out the outage limit."""
    dsn = f"postgresql://ingen_sadan_roll@{postgres_server.host}:{postgres_server.port}/postgres"
    time = FakeTime()
    with pytest.raises(StoreError) as raised:
        outage(time).call(lambda: open_postgresql(dsn))
    assert raised.value.code == "store_login_refused"
    assert "nekades" in raised.value.message
    assert time.waits == []
