"""Leases: one holder at a time per key, across processes, entry points and machines.

```python
leases = Leases(open_database(settings, "leases"))
with leases.hold(key, holder=holder_name("kön"), ttl_s=60, margin_s=30, wait_s=120) as lease:
    if lease.took_over_expired: ...   # the previous holder died mid-work: reconcile first
    leases.fence(lease)               # right before anything irreversible: raises LeaseLost
```

A lease is a row ``(key, holder, token, since, heartbeat_at, expires_at)`` plus the holder's
process (``HolderProcess``: machine, pid, start time, boot time). Taking one is a single atomic
statement on both backends (``INSERT ... ON CONFLICT DO UPDATE ... WHERE the row has
expired``): it either inserts, takes over an expired row, or changes nothing, and exactly one
of any number of racers gets a row back. Expiry is computed in the store's clock
(``Database.now_sql``): PostgreSQL's own for several machines, the machine's for a SQLite file
on one machine, so robot machines with drifting clocks still agree.

``hold`` renews the lease from a background thread every ``(ttl_s - margin_s) / 3`` and releases
it on exit. A holder that stops (killed, frozen, cut off) stops renewing; after ``ttl_s`` another
may take over, and its lease says ``took_over_expired`` so that it reconciles before acting.

The lease is a fence, not a flag. ``fence`` runs immediately before each irreversible action
(every retry included): one statement that renews the lease only if it is still ours with at
least ``margin_s`` (the action's own timeout) left, ``UPDATE ... WHERE token = ? AND expires_at
> now + margin``; anything else, a store error included, means lost. The holder also keeps its
own clock (``CLOCK_BOOTTIME``, which runs on while the process is frozen or the machine
sleeps): a lease not renewed for ``ttl_s - margin_s`` is lost, whatever the heartbeat thread
managed, so a process resumed after a freeze never acts on a lease it may no longer have. On the
holder's own machine there is no need to wait: when its process is provably gone (no such pid,
or the pid now belongs to a process started at another time), the lease is taken over at once,
by a compare-and-swap on the row's token (one winner), and says ``took_over_expired`` too, with
``holder_gone``. A live or frozen process, another machine, another boot, a row from before the
holder was recorded, or any doubt (no right to look) means waiting for the expiry as before.
Keys must be pseudonymous (a keyed hash), never an identity number: the table is visible to
operators.

Whether a holder's process is gone is the runtime's one rule (``robot.processes``), shared
with the queue.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from robot.db import Database, Migration
from robot.errors import ApplicationError, StoreError
from robot.processes import HolderProcess
from robot.retry import NotRetried

COMPONENT = "leases"

MIGRATIONS = [
    Migration(
        1,
        sqlite=[
            "CREATE TABLE leases ("
            " key TEXT PRIMARY KEY, holder TEXT NOT NULL, token TEXT NOT NULL,"
            " since REAL NOT NULL, heartbeat_at REAL NOT NULL, expires_at REAL NOT NULL,"
            " taken_over_from TEXT)"
        ],
        postgresql=[
            "CREATE TABLE leases ("
            " key TEXT PRIMARY KEY, holder TEXT NOT NULL, token TEXT NOT NULL,"
            " since DOUBLE PRECISION NOT NULL, heartbeat_at DOUBLE PRECISION NOT NULL,"
            " expires_at DOUBLE PRECISION NOT NULL, taken_over_from TEXT)"
        ],
    ),
    # The holder's process (``HolderProcess``); rows written before stay NULL: never taken
    # over before they expire.
    Migration(
        2,
        sqlite=[
            "ALTER TABLE leases ADD COLUMN holder_host TEXT",
            "ALTER TABLE leases ADD COLUMN holder_pid INTEGER",
            "ALTER TABLE leases ADD COLUMN holder_started REAL",
            "ALTER TABLE leases ADD COLUMN holder_booted REAL",
        ],
        postgresql=[
            "ALTER TABLE leases ADD COLUMN holder_host TEXT, ADD COLUMN holder_pid BIGINT,"
            " ADD COLUMN holder_started DOUBLE PRECISION,"
            " ADD COLUMN holder_booted DOUBLE PRECISION"
        ],
    ),
]

# Polling while another holds the key: first wait, growth factor, longest wait (seconds).
POLL_FIRST_S = 0.05
POLL_GROWTH = 1.6
POLL_MAX_S = 2.0


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds a key, since when, last heartbeat and expiry (UTC, in the store's clock)."""

    key: str
    holder: str
    since: datetime
    heartbeat_at: datetime
    expires_at: datetime
    expired: bool
    process: HolderProcess | None = None


def lease_clock() -> float:
    """Seconds on a clock that runs on while this process is frozen or the machine sleeps.

    ``CLOCK_BOOTTIME`` on Linux; elsewhere ``time.monotonic`` (Windows' counts sleep too).
    """
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return time.clock_gettime(boottime)
    return time.monotonic()


LostReason = Literal["taken", "store", "stalled"]


@dataclass(eq=False)
class Lease:
    """A held lease. ``took_over_expired``: the previous holder died without releasing it.

    ``holder_gone``: taken over before the expiry, since the holder's process was gone.
    ``margin_s``: the time an irreversible action needs; ``fence`` demands that much left, and
    the lease counts as lost once it has not been renewed for ``ttl_s - margin_s``.
    """

    key: str
    holder: str
    token: str
    ttl_s: float
    took_over_expired: bool = False
    previous_holder: str | None = None
    holder_gone: bool = False
    margin_s: float = 0.0
    # lease_clock() when the last successful renewal (or the acquisition) was sent.
    renewed_at: float = field(default_factory=lease_clock, repr=False)
    _lost_to: str | None = field(default=None, init=False, repr=False)
    _lost: LostReason | None = field(default=None, init=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def lost(self) -> bool:
        """True once the lease is known lost (taken over, not renewed in time, store error)."""
        return self._lost is not None

    @property
    def lost_reason(self) -> LostReason | None:
        """Why it was lost: "taken" (another holder has it), "store" (the store failed at a
        fence), "stalled" (not renewed for ``ttl_s - margin_s``: frozen, starved or cut off)."""
        return self._lost

    @property
    def stale(self) -> bool:
        """True when this process has not renewed the lease for ``ttl_s - margin_s``."""
        return lease_clock() - self.renewed_at >= self.ttl_s - self.margin_s

    def check(self) -> None:
        """Raise ``LeaseLost`` if the lease is lost or stale (no store round trip: see fence)."""
        if self._lost is None and self.stale:
            self.lose("stalled")
        if self._lost is not None:
            raise LeaseLost(self.key, self._lost_to, reason=self._lost)

    def lose(self, reason: LostReason, other: str | None = None) -> None:
        """Mark the lease lost (the first reason stays)."""
        with self._guard:
            if self._lost is None:
                self._lost = reason
                self._lost_to = other

    def renewed(self, sent_at: float) -> None:
        """Record a successful renewal sent at ``sent_at`` (``lease_clock``)."""
        with self._guard:
            self.renewed_at = max(self.renewed_at, sent_at)


class LeaseHeld(ApplicationError):
    """Someone else holds the key and did not let go within the wait."""

    default_code = "lease_held"

    def __init__(self, key: str, info: LeaseInfo | None, *, subject: str) -> None:
        where = info.holder if info is not None else "en annan dator"
        super().__init__(
            f"Ett annat ärende med {subject} pågår på {where}; försök igen om en stund."
        )
        self.key = key
        self.info = info


class LeaseLost(NotRetried):
    """The lease is no longer surely ours: stop, and reconcile before acting (never retried:
    another attempt would act without the lease).

    ``reason``: "taken" (another holder has it), "store" (the store did not answer at a fence),
    "stalled" (not renewed in time: the process stood still).
    """

    default_code = "lease_lost"

    def __init__(self, key: str, other: str | None, *, reason: LostReason = "taken") -> None:
        if reason == "store":
            why = "databasen svarade inte när roboten skulle gå vidare"
        else:
            why = "arbetet stod still för länge"
        by = f" (nu hos {other})" if other else ""
        super().__init__(
            f"Roboten släppte ärendet{by} eftersom {why}. Inget mer skapas eller sparas här; "
            "kör ärendet igen så kontrollerar roboten först vad som redan är gjort."
        )
        self.key = key
        self.other = other
        self.reason = reason


def holder_name(role: str) -> str:
    """A holder name people can read in a message: ``"<machine> (<role>, process <pid>)"``."""
    return f"{socket.gethostname()} ({role}, process {os.getpid()})"


class Leases:
    """Leases kept in one ``Database`` (any backend); migrates its table on construction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate(COMPONENT, MIGRATIONS)

    def try_acquire(
        self, key: str, *, holder: str, ttl_s: float, margin_s: float = 0.0
    ) -> Lease | None:
        """One attempt: the lease, or None when someone holds it and is not known to be gone.

        One atomic statement inserts, or takes over an expired row. When the key is held by a
        process of this machine that is gone (``HolderProcess.is_gone``), a second statement
        takes it over only if the row still has the token that was read: of several racers
        exactly one wins, the others find the winner holding it.
        """
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        if not 0 <= margin_s < ttl_s:
            raise ValueError("margin_s must be at least 0 and less than ttl_s")
        sent_at = lease_clock()
        now = self.db.now_sql
        me = HolderProcess.current()
        mine = (None,) * 4 if me is None else (me.host, me.pid, me.started, me.booted)
        token = secrets.token_hex(16)
        with self.db.transaction() as tx:
            # One statement: insert, or take over a row whose expiry has passed, or nothing.
            row = tx.one(
                "INSERT INTO leases"  # noqa: S608 (now_sql is a constant expression)
                " (key, holder, token, since, heartbeat_at, expires_at, taken_over_from,"
                " holder_host, holder_pid, holder_started, holder_booted)"
                f" VALUES (?, ?, ?, {now}, {now}, {now} + ?, NULL, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET holder = excluded.holder,"
                " token = excluded.token, since = excluded.since,"
                " heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at,"
                " taken_over_from = leases.holder, holder_host = excluded.holder_host,"
                " holder_pid = excluded.holder_pid, holder_started = excluded.holder_started,"
                " holder_booted = excluded.holder_booted"
                " WHERE leases.expires_at <= excluded.since"
                " RETURNING taken_over_from",
                (key, holder, token, float(ttl_s), *mine),
            )
            held = None if row is not None else tx.one(_SELECT_HELD, (key,))
        if row is not None:
            previous = row["taken_over_from"]
            return Lease(
                key=key,
                holder=holder,
                token=token,
                ttl_s=float(ttl_s),
                took_over_expired=previous is not None,
                previous_holder=previous,
                margin_s=float(margin_s),
                renewed_at=sent_at,
            )
        process = None if held is None else _process(held)
        if held is None or process is None or not process.is_gone():
            return None
        with self.db.transaction() as tx:
            changed = tx.execute(
                f"UPDATE leases SET holder = ?, token = ?, since = {now},"  # noqa: S608
                f" heartbeat_at = {now}, expires_at = {now} + ?, taken_over_from = holder,"
                " holder_host = ?, holder_pid = ?, holder_started = ?, holder_booted = ?"
                " WHERE key = ? AND token = ?",
                (holder, token, float(ttl_s), *mine, key, held["token"]),
            )
        if changed != 1:
            return None  # another racer took it first, or the row was released
        return Lease(
            key=key,
            holder=holder,
            token=token,
            ttl_s=float(ttl_s),
            took_over_expired=True,
            previous_holder=held["holder"],
            holder_gone=True,
            margin_s=float(margin_s),
            renewed_at=sent_at,
        )

    def acquire(
        self,
        key: str,
        *,
        holder: str,
        ttl_s: float,
        wait_s: float,
        margin_s: float = 0.0,
        on_wait: Callable[[LeaseInfo], None] | None = None,
        subject: str = "samma uppgifter",
    ) -> Lease:
        """Take the lease, waiting up to ``wait_s`` (polling with a growing pause).

        ``on_wait`` is called with the current holder before each pause (to show progress).
        After ``wait_s`` raises ``LeaseHeld``, whose Swedish message names the holder and
        ``subject`` ("Ett annat ärende med <subject> pågår på <holder>; ...").
        """
        deadline = time.monotonic() + max(0.0, wait_s)
        pause = POLL_FIRST_S
        while True:
            lease = self.try_acquire(key, holder=holder, ttl_s=ttl_s, margin_s=margin_s)
            if lease is not None:
                return lease
            info = self.holder_of(key)
            if info is None:
                continue  # released between the two statements: try again at once
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LeaseHeld(key, info, subject=subject)
            if on_wait is not None:
                on_wait(info)
            time.sleep(min(pause, remaining))
            pause = min(pause * POLL_GROWTH, POLL_MAX_S)

    def renew(self, lease: Lease) -> None:
        """Push the expiry ``ttl_s`` ahead if the lease is still ours; ``LeaseLost`` if another
        holder has taken it. A store error propagates (the heartbeat tries again)."""
        self._renew(lease, need_s=0.0)

    def fence(self, lease: Lease, *, need_s: float | None = None) -> None:
        """Immediately before an irreversible action: make sure the lease is ours for at least
        ``need_s`` more seconds (default ``lease.margin_s``, the action's own timeout).

        One store round trip renews it only if it is still ours with that much left; any other
        answer, a store error included, marks it lost and raises ``LeaseLost``: the caller
        stops and never acts. A lease this process has not renewed for ``ttl_s - margin_s``
        (frozen, starved, cut off) is lost without asking: it may have been taken meanwhile.
        """
        need = lease.margin_s if need_s is None else need_s
        lease.check()
        try:
            sent_at = self._renew(lease, need_s=need)
        except StoreError as exc:
            lease.lose("store")
            raise LeaseLost(lease.key, None, reason="store") from exc
        # The round trip itself may have stood still: the action needs ``need`` seconds
        # before the expiry the store has just set (sent_at + ttl at the earliest).
        if lease_clock() - sent_at > lease.ttl_s - need:
            lease.lose("stalled")
            raise LeaseLost(lease.key, None, reason="stalled")

    def _renew(self, lease: Lease, *, need_s: float) -> float:
        """One statement: renew if ours with more than ``need_s`` left; when it was sent."""
        now = self.db.now_sql
        sent_at = lease_clock()
        with self.db.transaction() as tx:
            changed = tx.execute(
                f"UPDATE leases SET heartbeat_at = {now}, expires_at = {now} + ?"  # noqa: S608
                f" WHERE key = ? AND token = ? AND expires_at > {now} + ?",
                (lease.ttl_s, lease.key, lease.token, float(need_s)),
            )
        if changed != 1:
            with self.db.read() as tx:
                row = tx.one("SELECT holder, token FROM leases WHERE key = ?", (lease.key,))
            # Still our row, but with too little time left (or expired): we stood still.
            mine = row is not None and row["token"] == lease.token
            other = None if row is None or mine else str(row["holder"])
            reason: LostReason = "stalled" if mine else "taken"
            lease.lose(reason, other)
            raise LeaseLost(lease.key, other, reason=reason)
        lease.renewed(sent_at)
        return sent_at

    def release(self, lease: Lease) -> bool:
        """Let go of the lease; only its own token. False when it was no longer ours."""
        with self.db.transaction() as tx:
            return (
                tx.execute(
                    "DELETE FROM leases WHERE key = ? AND token = ?", (lease.key, lease.token)
                )
                == 1
            )

    @contextmanager
    def hold(
        self,
        key: str,
        *,
        holder: str,
        ttl_s: float,
        wait_s: float,
        margin_s: float = 0.0,
        on_wait: Callable[[LeaseInfo], None] | None = None,
        subject: str = "samma uppgifter",
    ) -> Iterator[Lease]:
        """``acquire``, renew every ``(ttl_s - margin_s) / 3`` from a background thread,
        release on exit.

        The heartbeat fails closed: once the lease has gone unrenewed for ``ttl_s - margin_s``
        (store errors, a frozen process) it is lost for good and the thread stops; ``fence``
        and ``check`` then raise ``LeaseLost``.
        """
        lease = self.acquire(
            key,
            holder=holder,
            ttl_s=ttl_s,
            wait_s=wait_s,
            margin_s=margin_s,
            on_wait=on_wait,
            subject=subject,
        )
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(lease, stop), name="lease-heartbeat", daemon=True
        )
        beat.start()
        try:
            yield lease
        finally:
            stop.set()
            beat.join()
            if lease.lost_reason != "taken":
                # A lease lost to a store error or a stall may still be ours in the store:
                # let go of it (by its token only), so that nobody waits out its expiry. A
                # store failure here is not the body's business: the lease expires anyway.
                with suppress(StoreError):
                    self.release(lease)

    def _heartbeat(self, lease: Lease, stop: threading.Event) -> None:
        interval = (lease.ttl_s - lease.margin_s) / 3
        while not stop.wait(interval):
            if lease.stale:
                lease.lose("stalled")  # fail closed: too long without a renewal
                return
            try:
                self._renew(lease, need_s=0.0)
            except LeaseLost:
                return
            except StoreError:
                continue  # out of reach for now: try again until the lease goes stale

    def holder_of(self, key: str) -> LeaseInfo | None:
        """Who holds ``key`` now (live or expired, until someone takes or releases it)."""
        with self.db.read() as tx:
            row = tx.one(_SELECT.format(now=self.db.now_sql) + " WHERE key = ?", (key,))
        return None if row is None else _info(row)

    def holders(self) -> list[LeaseInfo]:
        """Every lease row, oldest first, with ``expired`` judged in the store's clock."""
        with self.db.read() as tx:
            rows = tx.all(_SELECT.format(now=self.db.now_sql) + " ORDER BY since, key")
        return [_info(row) for row in rows]


_PROCESS = "holder_host, holder_pid, holder_started, holder_booted"
_SELECT = (
    f"SELECT key, holder, since, heartbeat_at, expires_at, {_PROCESS}, {{now}} AS now"  # noqa: S608
    " FROM leases"
)
_SELECT_HELD = f"SELECT holder, token, {_PROCESS} FROM leases WHERE key = ?"  # noqa: S608


def _process(row: dict[str, Any]) -> HolderProcess | None:
    """The holder's process of a row; None for a row written before it was recorded."""
    return HolderProcess.recorded(
        row["holder_host"], row["holder_pid"], row["holder_started"], row["holder_booted"]
    )


def _info(row: dict[str, Any]) -> LeaseInfo:
    def at(value: Any) -> datetime:
        return datetime.fromtimestamp(float(value), UTC)

    return LeaseInfo(
        key=row["key"],
        holder=row["holder"],
        since=at(row["since"]),
        heartbeat_at=at(row["heartbeat_at"]),
        expires_at=at(row["expires_at"]),
        expired=float(row["expires_at"]) <= float(row["now"]),
        process=_process(row),
    )
