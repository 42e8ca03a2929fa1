"""Coordination of every entry point: one request per birth date at a time, and decisions.

Two requests that could be the same person are exactly those that share a birth date (the
routine's search key), so the ``Runner`` holds the birth date's lease (``robot.leases``) while
it searches, creates and saves, wherever it runs: a CLI process, the attended app, a backlog
worker, another robot machine. A second request waits, shown as the step "wait_lease" with
the holder's name, or after ``Settings.lease_wait_s`` gives up saying who holds it
(``LeaseHeld``). A person's decisions on numbers live beside the leases (``flows.decisions``).
Both sit in the store's "coordination" component: a SQLite file in ``data_dir`` on one
machine, the shared PostgreSQL database with ``store_dsn``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from flows.decisions import DecisionStore
from flows.steps import StepTracker
from robot.db import open_database
from robot.errors import ConfigError
from robot.leases import Lease, LeaseHeld, LeaseInfo, LeaseLost, Leases, holder_name
from robot.logs import Pseudonymizer, get_logger
from robot.settings import Settings
from robot.store_key import verify_store_key

_log = get_logger(__name__)

COMPONENT = "coordination"


def action_margin_s(settings: Settings) -> float:
    """The time one irreversible action (RNS "Skapa", PMO "Spara") may take: the press and
    the wait for the page it leads to, each bounded by its own Playwright timeout. The lease
    must be ours for that long after the fence before it (``robot.leases``)."""
    return (settings.timeout_ms + settings.navigation_timeout_ms) / 1000


def birth_date_lease_key(pseudonym: Pseudonymizer, birth_date: str) -> str:
    """The lease key of a birth date (ISO form): a keyed hash, since operators see the table.

    Two requests that could be the same person share a birth date (the routine's search key),
    so they share this key wherever they run.
    """
    return "birth:" + pseudonym("birth_date:" + birth_date)


class Coordination:
    """The coordination store of one runner: its leases and the stored decisions."""

    def __init__(self, settings: Settings, pseudonym: Pseudonymizer, *, role: str) -> None:
        """``role`` names the entry point in a lease ("kommandoraden", "kön", ...)."""
        self.settings = settings
        self.role = role
        self._pseudonym = pseudonym
        self.margin_s = action_margin_s(settings)
        if settings.lease_ttl_s <= self.margin_s:
            raise ConfigError(
                f"Inställningen lease_ttl_s ({settings.lease_ttl_s:g} s) måste vara längre än "
                f"den tid ett steg får ta i systemen ({self.margin_s:g} s: timeout_ms plus "
                "navigation_timeout_ms). Höj RESERVROBOT_LEASE_TTL_S eller sänk tidsgränserna."
            )
        self.db = open_database(settings, COMPONENT)
        try:
            # Before anything else: a key of its own would give this process lease keys of
            # its own, and nobody would wait for anybody.
            verify_store_key(self.db, settings.pseudonym_key)
            self.leases = Leases(self.db)
            self.decisions = DecisionStore(self.db, pseudonym)
        except BaseException:
            self.db.close()
            raise
        self._held: Lease | None = None

    def close(self) -> None:
        self.db.close()

    def lease_key(self, birth_date: str) -> str:
        return birth_date_lease_key(self._pseudonym, birth_date)

    @contextmanager
    def hold(self, key: str | None, *, ref: str, steps: StepTracker) -> Iterator[Lease | None]:
        """Hold the lease ``key`` for one request (``None``: nothing to hold).

        While another holds it, a "wait_lease" step shows the wait and the holder; after
        ``lease_wait_s`` ``LeaseHeld`` says who holds it. A lease taken over from a holder that
        died is logged (``holder_gone``: its process on this machine was gone, so the lease
        was taken at once, not after its expiry); the flows search both systems again before
        any create or save anyway.
        """
        if key is None:
            yield None
            return
        waiting: list[float] = []

        def on_wait(info: LeaseInfo) -> None:
            if not waiting:
                waiting.append(steps.started("wait_lease", detail_sv=info.holder))
                _log.event("lease_wait", ref=ref, holder=info.holder)

        with ExitStack() as stack:
            try:
                lease = stack.enter_context(
                    self.leases.hold(
                        key,
                        holder=holder_name(self.role),
                        ttl_s=self.settings.lease_ttl_s,
                        margin_s=self.margin_s,
                        wait_s=self.settings.lease_wait_s,
                        on_wait=on_wait,
                        subject="samma födelsedatum",
                    )
                )
            except LeaseHeld as exc:
                if waiting:
                    steps.failed("wait_lease", waiting[0], exc)
                raise
            if waiting:
                steps.done("wait_lease", waiting[0])
            if lease.took_over_expired:
                _log.event("lease_taken_over", ref=ref, holder_gone=lease.holder_gone)
            self._held = lease
            try:
                yield lease
            finally:
                self._held = None

    def fence(self) -> None:
        """Immediately before an irreversible action: ``LeaseLost`` unless the lease is ours
        for at least the action's time (one store round trip; ``Leases.fence``)."""
        if self._held is not None:
            try:
                self.leases.fence(self._held)
            except LeaseLost as lost:
                _log.event("lease_lost", reason=lost.reason)
                raise
