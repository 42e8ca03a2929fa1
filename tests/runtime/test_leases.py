"""Leases contract, on SQLite and on a real PostgreSQL server: one holder per key, always."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psutil
import pytest

from robot.db import open_database
from robot.leases import (
    COMPONENT,
    MIGRATIONS,
    Lease,
    LeaseHeld,
    LeaseInfo,
    LeaseLost,
    Leases,
    holder_name,
)
from robot.processes import HolderProcess, this_machine
from robot.settings import Settings
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.tcp_proxy import TcpProxy

RACERS = 4
ROUNDS = 8
PROGRESS_DEADLINE_S = 60  # only a guard against hanging; never what a test asserts


@pytest.fixture
def leases(settings: Settings) -> Leases:
    return Leases(open_database(settings, "leases"))


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds (progress, not a fixed sleep)."""
    deadline = time.monotonic() + PROGRESS_DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no progress: {what}")
        time.sleep(0.02)


def _expired(leases: Leases, key: str) -> bool:
    info = leases.holder_of(key)
    return info is not None and info.expired


def _race(
    data_dir: str,
    dsn: str,
    racer: int,
    barrier: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[tuple[int, int, bool, bool]],
) -> None:
    """Child process: its own connections; at each barrier, one attempt on that round's key.

    Reports ``(round, racer, won, took it from a gone holder)``.
    """
    leases = Leases(open_database(Settings(data_dir=Path(data_dir), store_dsn=dsn), "leases"))
    for round_ in range(ROUNDS):
        barrier.wait(timeout=PROGRESS_DEADLINE_S)
        lease = leases.try_acquire(f"k{round_}", holder=f"racer {racer}", ttl_s=600)
        results.put((round_, racer, lease is not None, lease is not None and lease.holder_gone))


def _run_race(settings: Settings) -> list[tuple[int, int, bool, bool]]:
    """``RACERS`` processes, ``ROUNDS`` rounds: every outcome, once every racer is done."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(RACERS)
    results: multiprocessing.Queue[tuple[int, int, bool, bool]] = ctx.Queue()
    procs = [
        ctx.Process(
            target=_race,
            args=(str(settings.data_dir), settings.store_dsn, r, barrier, results),
        )
        for r in range(RACERS)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=PROGRESS_DEADLINE_S) for _ in range(RACERS * ROUNDS)]
    for proc in procs:
        proc.join(timeout=PROGRESS_DEADLINE_S)
        assert proc.exitcode == 0
    return outcomes


def test_processes_racing_for_one_key_have_exactly_one_winner(
    settings: Settings, leases: Leases
) -> None:
    outcomes = _run_race(settings)
    for round_ in range(ROUNDS):
        winners = [racer for r, racer, won, _ in outcomes if r == round_ and won]
        assert len(winners) == 1, (round_, winners)
        info = leases.holder_of(f"k{round_}")
        assert info is not None and info.holder == f"racer {winners[0]}"


def _hold_forever(
    data_dir: str, dsn: str, keys: list[str], ready: multiprocessing.Queue[str]
) -> None:
    """Child process: hold leases (ttl 600 s) with their heartbeats running until killed."""
    leases = Leases(open_database(Settings(data_dir=Path(data_dir), store_dsn=dsn), "leases"))
    with ExitStack() as stack:
        for key in keys:
            holder = f"machine-a (process {os.getpid()})"
            stack.enter_context(leases.hold(key, holder=holder, ttl_s=600, wait_s=0))
        ready.put("held")
        while True:
            time.sleep(1)


@contextmanager
def _holder(settings: Settings, *keys: str) -> Iterator[multiprocessing.process.BaseProcess]:
    """A child process holding ``keys`` (ttl 600 s), killed at the end if still running."""
    ctx = multiprocessing.get_context("spawn")
    ready: multiprocessing.Queue[str] = ctx.Queue()
    child = ctx.Process(
        target=_hold_forever,
        args=(str(settings.data_dir), settings.store_dsn, list(keys), ready),
    )
    child.start()
    try:
        assert ready.get(timeout=PROGRESS_DEADLINE_S) == "held"
        yield child
    finally:
        if child.exitcode is None:
            os.kill(child.pid or 0, signal.SIGKILL)
        child.join(timeout=PROGRESS_DEADLINE_S)


def _kill(child: multiprocessing.process.BaseProcess) -> None:
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join(timeout=PROGRESS_DEADLINE_S)
    assert child.exitcode == -signal.SIGKILL


def _dead_holder(settings: Settings, *keys: str) -> int:
    """Leave ``keys`` held (ttl 600 s) by a process that was SIGKILLed; its pid."""
    with _holder(settings, *keys) as child:
        _kill(child)
    assert child.pid is not None
    return child.pid


def test_a_killed_holders_lease_is_taken_over_at_once_on_its_machine(
    settings: Settings, leases: Leases
) -> None:
    with _holder(settings, "p_1") as child:
        info = leases.holder_of("p_1")
        assert info is not None and info.process is not None
        assert (info.process.host, info.process.pid) == (this_machine(), child.pid)
        with pytest.raises(LeaseHeld, match=f"machine-a \\(process {child.pid}\\)"):
            leases.acquire("p_1", holder="machine-b", ttl_s=60, wait_s=0)
        _kill(child)
    # The dead holder's lease runs for 600 s; waiting it out would end in LeaseHeld.
    lease = leases.acquire("p_1", holder="machine-b", ttl_s=60, wait_s=PROGRESS_DEADLINE_S)
    assert lease.took_over_expired and lease.holder_gone
    assert lease.previous_holder == f"machine-a (process {child.pid})"
    info = leases.holder_of("p_1")
    assert info is not None and info.holder == "machine-b"
    assert info.process == HolderProcess.current()


def test_a_killed_holder_not_yet_reaped_is_gone_too(settings: Settings, leases: Leases) -> None:
    with _holder(settings, "p_1") as child:
        os.kill(child.pid or 0, signal.SIGKILL)
        zombie = psutil.Process(child.pid)
        _wait_for(lambda: zombie.status() == psutil.STATUS_ZOMBIE, "the holder is a zombie")
        # Its threads may still be going for a moment: acquire looks again until they are.
        lease = leases.acquire("p_1", holder="machine-b", ttl_s=60, wait_s=PROGRESS_DEADLINE_S)
        assert lease.holder_gone
        assert zombie.status() == psutil.STATUS_ZOMBIE  # taken before the zombie was reaped


def test_a_frozen_holder_is_alive_and_keeps_its_lease(settings: Settings, leases: Leases) -> None:
    with _holder(settings, "p_1") as child:
        os.kill(child.pid or 0, signal.SIGSTOP)
        frozen = psutil.Process(child.pid)
        _wait_for(lambda: frozen.status() == psutil.STATUS_STOPPED, "the holder is stopped")
        with pytest.raises(LeaseHeld):
            leases.acquire("p_1", holder="machine-b", ttl_s=60, wait_s=0.5)
        info = leases.holder_of("p_1")
        assert info is not None and info.holder == f"machine-a (process {child.pid})"


def _set(leases: Leases, key: str, assignments: str) -> None:
    with leases.db.transaction() as tx:
        assert tx.execute(f"UPDATE leases SET {assignments} WHERE key = ?", (key,)) == 1  # noqa: S608


@pytest.mark.parametrize(
    ("case", "assignments"),
    [
        ("another machine", "holder_host = 'another-machine'"),
        # A container of the same name on this machine: same host name and boot, its own pids.
        (
            "another pid namespace",
            f"holder_host = '{socket.gethostname()} pid:[1]'",
        ),
        ("another boot, or the clock was set", "holder_booted = holder_booted - 3600"),
        (
            "written before holders were recorded",
            "holder_host = NULL, holder_pid = NULL, holder_started = NULL, holder_booted = NULL",
        ),
    ],
)
def test_a_dead_holder_that_cannot_be_proven_dead_here_keeps_its_lease_until_expiry(
    settings: Settings, leases: Leases, case: str, assignments: str
) -> None:
    _dead_holder(settings, "p_1", "p_2")
    _set(leases, "p_1", assignments)
    assert leases.try_acquire("p_1", holder="machine-b", ttl_s=60) is None, case
    with pytest.raises(LeaseHeld):
        leases.acquire("p_1", holder="machine-b", ttl_s=60, wait_s=0)
    # The same dead holder's other lease, unchanged, is taken at once ...
    other = leases.try_acquire("p_2", holder="machine-b", ttl_s=60)
    assert other is not None and other.holder_gone
    # ... and this one only once it has expired, as a plain expiry.
    _set(leases, "p_1", "expires_at = 0")
    lease = leases.try_acquire("p_1", holder="machine-b", ttl_s=60)
    assert lease is not None and lease.took_over_expired and not lease.holder_gone


_IN_OWN_PID_NAMESPACE = """
import sys
from pathlib import Path
from robot.db import open_database
from robot.leases import Leases
from robot.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), store_dsn=sys.argv[2])
leases = Leases(open_database(settings, "leases"))
with leases.hold(sys.argv[3], holder="container-b", ttl_s=600, wait_s=0):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes it
"""


def test_a_live_holder_in_another_pid_namespace_keeps_its_lease(
    settings: Settings, leases: Leases
) -> None:
    # A container of this machine (same host name, same boot) sees other pids: the holder is
    # pid 1 in its namespace, and pid 1 here is another process started earlier, so by pid and
    # start time alone it would look like a reused pid, i.e. gone.
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs util-linux's unshare")
    holder = subprocess.Popen(
        [
            unshare,
            "--pid",
            "--fork",
            "--mount-proc",
            sys.executable,
            "-c",
            _IN_OWN_PID_NAMESPACE,
            str(settings.data_dir),
            settings.store_dsn,
            "c_1",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        line = holder.stdout.readline() if holder.stdout else ""
        if line.strip() != "held":
            _, err = holder.communicate(timeout=PROGRESS_DEADLINE_S)
            if "Operation not permitted" in err:
                pytest.skip("this user may not create pid namespaces")
            pytest.fail(f"the holder did not start: {err[-2000:]}")
        info = leases.holder_of("c_1")
        assert info is not None and info.process is not None
        assert info.process.pid != holder.pid  # its pid as its own namespace numbers it
        assert leases.try_acquire("c_1", holder="machine-b", ttl_s=60) is None
    finally:
        if holder.stdin:
            holder.stdin.close()
        holder.wait(timeout=PROGRESS_DEADLINE_S)


def test_a_pid_now_used_by_another_process_is_taken_over(
    settings: Settings, leases: Leases
) -> None:
    with _holder(settings, "p_1") as child:
        assert leases.try_acquire("p_1", holder="machine-b", ttl_s=60) is None
        # As if the holder had died and its pid now belonged to this child, started later.
        _set(leases, "p_1", "holder_started = holder_started - 1000")
        lease = leases.try_acquire("p_1", holder="machine-b", ttl_s=60)
        assert lease is not None and lease.took_over_expired and lease.holder_gone
        assert lease.previous_holder == f"machine-a (process {child.pid})"
        assert child.is_alive()


def test_processes_racing_for_a_dead_holders_keys_have_exactly_one_winner(
    settings: Settings, leases: Leases
) -> None:
    _dead_holder(settings, *(f"k{round_}" for round_ in range(ROUNDS)))
    outcomes = _run_race(settings)
    for round_ in range(ROUNDS):
        winners = [(racer, gone) for r, racer, won, gone in outcomes if r == round_ and won]
        assert len(winners) == 1, (round_, winners)
        ((winner, gone),) = winners
        assert gone, "the winner took the lease from the dead holder"
        info = leases.holder_of(f"k{round_}")
        assert info is not None and info.holder == f"racer {winner}"


def test_a_lease_written_before_migration_2_keeps_waiting_for_its_expiry(
    settings: Settings,
) -> None:
    db = open_database(settings, "leases")
    assert db.migrate(COMPONENT, MIGRATIONS[:1]) == 1
    with db.transaction() as tx:  # a robot of version 1 holds the key; its pid is unknown
        tx.execute(
            "INSERT INTO leases (key, holder, token, since, heartbeat_at, expires_at)"
            " VALUES ('p_1', 'old robot', 't', 0, 0, 4e9)"
        )
    leases = Leases(db)
    assert db.version(COMPONENT) == len(MIGRATIONS) == 2
    info = leases.holder_of("p_1")
    assert info is not None and info.holder == "old robot" and info.process is None
    assert leases.try_acquire("p_1", holder="robot-2", ttl_s=60) is None


def test_this_process_is_not_gone() -> None:
    me = HolderProcess.current()
    assert me is not None and me.pid == os.getpid() and me.host == this_machine()
    assert not me.is_gone()


def test_a_live_lease_is_not_taken_and_the_waiter_is_told_who_holds_it(leases: Leases) -> None:
    leases.acquire("p_1", holder="robot-1 (kön, process 7)", ttl_s=600, wait_s=0)
    seen: list[LeaseInfo] = []
    with pytest.raises(LeaseHeld) as caught:
        leases.acquire(
            "p_1",
            holder="robot-2",
            ttl_s=60,
            wait_s=0.5,
            on_wait=seen.append,
            subject="samma födelsedatum",
        )
    assert caught.value.code == "lease_held"
    assert caught.value.message == (
        "Ett annat ärende med samma födelsedatum pågår på robot-1 (kön, process 7); "
        "försök igen om en stund."
    )
    assert seen and {info.holder for info in seen} == {"robot-1 (kön, process 7)"}
    assert not seen[0].expired


def test_an_expired_lease_is_taken_over_and_says_so(leases: Leases) -> None:
    first = leases.acquire("p_1", holder="dead robot", ttl_s=0.2, wait_s=0)
    assert not first.took_over_expired
    # Whether or not the expiry has passed yet, acquire waits for it and then takes over.
    second = leases.acquire("p_1", holder="robot-2", ttl_s=60, wait_s=PROGRESS_DEADLINE_S)
    assert second.took_over_expired
    assert second.previous_holder == "dead robot"
    info = leases.holder_of("p_1")
    assert info is not None and info.holder == "robot-2" and not info.expired


def test_a_lease_released_properly_is_not_a_takeover(leases: Leases) -> None:
    first = leases.acquire("p_1", holder="robot-1", ttl_s=60, wait_s=0)
    assert leases.release(first)
    second = leases.acquire("p_1", holder="robot-2", ttl_s=60, wait_s=0)
    assert not second.took_over_expired
    assert second.previous_holder is None


def test_renewing_a_lease_someone_else_took_raises_lease_lost(leases: Leases) -> None:
    mine = leases.acquire("p_1", holder="slow robot", ttl_s=0.2, wait_s=0)
    _wait_for(lambda: _expired(leases, "p_1"), "the lease expires")
    theirs = leases.acquire("p_1", holder="robot-2", ttl_s=60, wait_s=0)
    assert theirs.took_over_expired
    with pytest.raises(LeaseLost) as caught:
        leases.renew(mine)
    assert caught.value.code == "lease_lost"
    assert "robot-2" in caught.value.message
    assert mine.lost
    with pytest.raises(LeaseLost):
        mine.check()
    # Releasing the lost lease must not release the new holder's.
    assert not leases.release(mine)
    info = leases.holder_of("p_1")
    assert info is not None and info.holder == "robot-2"


def test_an_expired_lease_is_lost_even_when_nobody_took_it(leases: Leases) -> None:
    # Fail closed: while it was expired anyone could have taken it and let go again.
    mine = leases.acquire("p_1", holder="robot-1", ttl_s=0.2, wait_s=0)
    _wait_for(lambda: _expired(leases, "p_1"), "the lease expires")
    with pytest.raises(LeaseLost) as caught:
        leases.renew(mine)
    assert caught.value.reason == "stalled"
    assert mine.lost
    with pytest.raises(LeaseLost):
        leases.fence(mine)


def test_the_fence_renews_a_lease_that_is_ours_with_the_actions_time_left(
    leases: Leases,
) -> None:
    lease = leases.acquire("p_1", holder="robot-1", ttl_s=60, margin_s=20, wait_s=0)
    before = leases.holder_of("p_1")
    assert before is not None
    leases.fence(lease)
    after = leases.holder_of("p_1")
    assert after is not None and after.expires_at >= before.expires_at
    assert not lease.lost


def test_the_fence_refuses_a_lease_with_less_than_the_actions_time_left(
    leases: Leases,
) -> None:
    lease = leases.acquire("p_1", holder="robot-1", ttl_s=60, wait_s=0)
    # Ours, but an action of 120 s would outlive it: refused in the same statement.
    with pytest.raises(LeaseLost) as caught:
        leases.fence(lease, need_s=120)
    assert caught.value.reason == "stalled"
    assert lease.lost


def test_the_fence_refuses_a_lease_another_holder_took(leases: Leases) -> None:
    mine = leases.acquire("p_1", holder="slow robot", ttl_s=60, wait_s=0)
    with leases.db.transaction() as tx:
        tx.execute("UPDATE leases SET expires_at = 0 WHERE key = 'p_1'")
    theirs = leases.try_acquire("p_1", holder="robot-2", ttl_s=60)
    assert theirs is not None
    with pytest.raises(LeaseLost) as caught:
        leases.fence(mine)
    assert (caught.value.reason, caught.value.other) == ("taken", "robot-2")


def test_a_lease_not_renewed_for_ttl_minus_margin_is_lost_without_asking_the_store(
    leases: Leases,
) -> None:
    # A process that stood still (frozen, starved) past ttl - margin: its own clock says lost,
    # even though the row is untouched in the store.
    lease = leases.acquire("p_1", holder="robot-1", ttl_s=0.6, margin_s=0.3, wait_s=0)
    _wait_for(lambda: lease.stale, "ttl - margin passes without a renewal")
    with pytest.raises(LeaseLost) as caught:
        leases.fence(lease)
    assert caught.value.reason == "stalled"


def test_release_only_removes_the_callers_own_lease(leases: Leases) -> None:
    real = leases.acquire("p_1", holder="robot-1", ttl_s=60, wait_s=0)
    forged = Lease(key="p_1", holder="robot-2", token="not-the-token", ttl_s=60)
    assert not leases.release(forged)
    assert [info.holder for info in leases.holders()] == ["robot-1"]
    assert leases.release(real)
    assert leases.holders() == []


def test_the_heartbeat_keeps_a_held_lease_alive_past_its_ttl(leases: Leases) -> None:
    ttl = 3.0  # generous: a starved heartbeat thread on a busy machine must not flake
    with leases.hold("p_1", holder="robot-1", ttl_s=ttl, wait_s=0) as lease:
        first = leases.holder_of("p_1")
        assert first is not None

        def renewed_past_first_expiry() -> bool:
            info = leases.holder_of("p_1")
            return info is not None and info.heartbeat_at > first.expires_at

        _wait_for(renewed_past_first_expiry, "a heartbeat after the first expiry time")
        # Past its original expiry, the lease is still live and nobody else can take it.
        assert leases.try_acquire("p_1", holder="robot-2", ttl_s=60) is None
        assert not lease.lost
        lease.check()
    assert leases.holders() == []


def test_hold_releases_on_error_and_notices_a_takeover(leases: Leases) -> None:
    with pytest.raises(RuntimeError), leases.hold("p_1", holder="r1", ttl_s=60, wait_s=0):
        raise RuntimeError("the body failed")
    assert leases.holders() == []

    with leases.hold("p_2", holder="robot-1", ttl_s=0.6, wait_s=0) as lease:
        # Another machine takes it over (as if this one had stalled past the expiry).
        with leases.db.transaction() as tx:
            tx.execute("UPDATE leases SET expires_at = 0 WHERE key = 'p_2'")
        taker = leases.try_acquire("p_2", holder="robot-2", ttl_s=600)
        assert taker is not None and taker.took_over_expired
        _wait_for(lambda: lease.lost, "the heartbeat notices the takeover")
        with pytest.raises(LeaseLost):
            lease.check()
    # Leaving the block did not release robot-2's lease.
    assert [info.holder for info in leases.holders()] == ["robot-2"]


def test_holders_lists_every_lease_with_times(leases: Leases) -> None:
    leases.acquire("p_a", holder="robot-1", ttl_s=600, wait_s=0)
    leases.acquire("p_b", holder="robot-2", ttl_s=600, wait_s=0)
    listed = leases.holders()
    assert [(i.key, i.holder) for i in listed] == [("p_a", "robot-1"), ("p_b", "robot-2")]
    for info in listed:
        assert info.since <= info.heartbeat_at < info.expires_at
        assert not info.expired


def test_holder_name_names_the_machine_role_and_process() -> None:
    name = holder_name("kön")
    assert "(kön, process " in name


@pytest.fixture
def cut_off_leases(
    postgres_server: PostgresServer, postgres_dsn: str
) -> Iterator[tuple[Leases, TcpProxy]]:
    """Leases on PostgreSQL through a proxy this test can cut (a real network outage)."""
    with TcpProxy((postgres_server.host, postgres_server.port)) as proxy:
        dsn = postgres_dsn.replace(f":{postgres_server.port}/", f":{proxy.port}/")
        db = open_database(Settings(store_dsn=dsn), "leases")
        try:
            yield Leases(db), proxy
        finally:
            db.close()


def test_a_store_error_at_the_fence_means_lost(
    cut_off_leases: tuple[Leases, TcpProxy],
) -> None:
    leases, proxy = cut_off_leases
    lease = leases.acquire("p_1", holder="robot-1", ttl_s=60, margin_s=20, wait_s=0)
    proxy.down()
    with pytest.raises(LeaseLost) as caught:
        leases.fence(lease)
    assert caught.value.reason == "store"
    proxy.up()
    # Lost stays lost: the store answering again does not make the lease ours to act on.
    with pytest.raises(LeaseLost):
        leases.fence(lease)


def test_the_heartbeat_fails_closed_when_the_store_is_out_of_reach(
    cut_off_leases: tuple[Leases, TcpProxy],
) -> None:
    leases, proxy = cut_off_leases
    with leases.hold("p_1", holder="robot-1", ttl_s=3, margin_s=2, wait_s=0) as lease:
        proxy.down()
        _wait_for(lambda: lease.lost, "the heartbeat gives the lease up")
        assert lease.lost_reason == "stalled"
        proxy.up()
        with pytest.raises(LeaseLost):
            leases.fence(lease)
    # On the way out the lease was let go of (by its token): nobody waits out its expiry.
    assert leases.holder_of("p_1") is None
