"""The read-only sweep: search PMO and Reservnummersystemet by birth date and name the anomalies.

Only searches are sent (no create, no save, no form but the two search forms), through the
Runner's own pages: both systems are searched at once (RNS's search starts loading, then PMO's
is made and read, then RNS's is read: the waits overlap as in a registration), and the pages
stay logged in from date to date. The judging is pure (``flows.rules.sweep``).

Not a false alarm during work:

- **The birth date's lease.** Each date is read under the same lease a registration holds
  (``flows.coordination``), so no registration of the robot is between its two systems while
  the sweep reads; and several robot machines on one store never sweep one date at once. A
  date whose lease another holds is not waited for long: it is **looked at again later**, after
  every other date (with the full ``lease_wait_s``), and the result says so.
- **The grace time.** A number with no patient (or a Patient-ID RNS does not know) may be a
  registration a person is doing by hand right now. Such a finding counts only when a second
  reading at least ``grace_s`` after the first still shows it; a finding seen only once is
  left out and said to be too young.

A date that could not be read (the lease stayed held, a system kept failing) is reported as not
covered, by its date, never silently dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from flows.coordination import Coordination
from flows.rules.matching import MatchConfig
from flows.rules.region import RegionProfile
from flows.rules.screens import PmoHit, RnsHit
from flows.rules.sweep import Finding, FindingKind, judge_date
from flows.runner import Runner
from robot.errors import RobotError
from robot.leases import LeaseHeld, holder_name
from robot.logs import Pseudonymizer, get_logger
from robot.retry import RetriesExhausted

_log = get_logger(__name__)

ROLE = "svepet"
# The findings a registration in progress could cause: they must be seen twice.
YOUNG_KINDS = frozenset({FindingKind.ORPHAN_NUMBER, FindingKind.UNKNOWN_NUMBER})


class LeaseWay(StrEnum):
    """How a date's reads were protected from a registration in progress."""

    HELD = "held"  # read under the birth date's lease at once
    LOOKED_AGAIN = "looked_again"  # its lease was held by another: read later, under the lease


@dataclass(frozen=True)
class DateResult:
    """One birth date of the sweep: its findings, or why it was not covered."""

    birth_date: date
    covered: bool
    findings: tuple[Finding, ...] = ()
    lease: LeaseWay = LeaseWay.HELD
    # Findings left out because a second reading after the grace time did not show them.
    too_young: int = 0
    # Read a second time after the grace time (a number with no patient was seen).
    reread: bool = False
    pmo_hits: int = 0
    rns_hits: int = 0
    reason_code: str = ""
    reason_sv: str = ""


@dataclass
class SweepResult:
    """Every date of one sweep, in the order asked for."""

    dates: list[DateResult] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float = 0.0

    @property
    def findings(self) -> list[Finding]:
        return [f for d in self.dates for f in d.findings]

    @property
    def not_covered(self) -> list[DateResult]:
        return [d for d in self.dates if not d.covered]

    @property
    def anomalies(self) -> list[Finding]:
        return [f for f in self.findings if f.kind.counted]

    def count(self, kind: FindingKind) -> int:
        return sum(1 for f in self.findings if f.kind is kind)


@dataclass(frozen=True)
class _Reading:
    findings: tuple[Finding, ...]
    pmo_hits: int
    rns_hits: int


class Sweeper:
    """Reads birth dates through a started ``Runner``'s pages, each under its lease."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.settings = runner.settings
        ctx = runner.context
        self.profile: RegionProfile = ctx.profile
        self.config: MatchConfig = ctx.match_config
        self._pseudonym = Pseudonymizer(self.settings.pseudonym_key)
        self._coordination = Coordination(self.settings, self._pseudonym, role=ROLE)

    def close(self) -> None:
        self._coordination.close()

    def read(self, birth_date: date, *, wait_s: float) -> _Reading:
        """Search both systems for ``birth_date`` under its lease; ``LeaseHeld`` after
        ``wait_s`` when another holds it. Application errors are retried (RetryPolicy)."""
        coordination = self._coordination
        key = coordination.lease_key(birth_date.isoformat())
        with coordination.leases.hold(
            key,
            holder=holder_name(ROLE),
            ttl_s=self.settings.lease_ttl_s,
            wait_s=wait_s,
            subject="samma födelsedatum",
        ):
            pmo, rns = self._search(birth_date)
        findings = judge_date(birth_date, pmo, rns, profile=self.profile, config=self.config)
        return _Reading(tuple(findings), len(pmo), len(rns))

    def _search(self, birth_date: date) -> tuple[list[PmoHit], list[RnsHit]]:
        ctx = self.runner.context

        def both() -> tuple[list[PmoHit], list[RnsHit]]:
            # Only waiting overlaps: RNS's results load while PMO's are answered and read.
            ctx.rns.reach()
            ctx.rns.search.start_search(birth_date)
            pmo = ctx.pmo.search.search_by_birth_date(birth_date)
            rns = ctx.rns.search.search_by_birth_date(birth_date)
            return pmo, rns

        return ctx.retry(both, step="sweep_search")

    def ref(self, birth_date: date) -> str:
        """The date as logs name it: a keyed hash (a birth date narrows a person down)."""
        return self._pseudonym("sweep:" + birth_date.isoformat())


def sweep(
    dates: Sequence[date],
    *,
    runner: Runner,
    grace_s: float,
    first_wait_s: float = 2.0,
    on_date: Callable[[DateResult, int, int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SweepResult:
    """Read every date once; then the dates whose lease was held and those with a young
    finding again (module docstring). ``on_date(result, done, total)`` after each final date."""
    result = SweepResult()
    sweeper = Sweeper(runner)
    final: dict[date, DateResult] = {}
    held: list[date] = []
    young: dict[date, tuple[float, _Reading]] = {}
    total = len(dates)

    def settle(item: DateResult) -> None:
        final[item.birth_date] = item
        _log.event(
            "sweep_date",
            ref=sweeper.ref(item.birth_date),
            covered=item.covered,
            lease=item.lease.value,
            findings=len(item.findings),
            reason=item.reason_code or None,
        )
        if on_date is not None:
            on_date(item, len(final), total)

    try:
        runner.warm_up()
        for day in dates:
            try:
                reading = sweeper.read(day, wait_s=first_wait_s)
            except LeaseHeld:
                held.append(day)
                continue
            except Exception as exc:
                settle(_not_covered(day, exc))
                continue
            if grace_s > 0 and any(f.kind in YOUNG_KINDS for f in reading.findings):
                young[day] = (clock(), reading)
                continue
            settle(_covered(day, reading))
        # Looked at again later: the dates another holder had, with the full wait.
        for day in held:
            try:
                reading = sweeper.read(day, wait_s=runner.settings.lease_wait_s)
            except Exception as exc:
                settle(_not_covered(day, exc))
                continue
            if grace_s > 0 and any(f.kind in YOUNG_KINDS for f in reading.findings):
                young[day] = (clock(), reading)
                continue
            settle(_covered(day, reading, lease=LeaseWay.LOOKED_AGAIN))
        for day, (seen_at, first) in young.items():
            wait = seen_at + grace_s - clock()
            if wait > 0:
                sleep(wait)
            try:
                second = sweeper.read(day, wait_s=runner.settings.lease_wait_s)
            except Exception as exc:
                settle(_not_covered(day, exc))
                continue
            lease = LeaseWay.LOOKED_AGAIN if day in held else LeaseWay.HELD
            settle(_confirmed(day, first, second, lease=lease))
    finally:
        sweeper.close()
    result.dates = [final[d] for d in dates if d in final]
    result.finished = time.time()
    _log.event(
        "sweep_done",
        dates=len(result.dates),
        not_covered=len(result.not_covered),
        anomalies=len(result.anomalies),
        checks=result.count(FindingKind.CHECK),
        looked_again=len(held),
        reread=len(young),
        duration_s=round(result.finished - result.started, 1),
    )
    return result


def _covered(day: date, reading: _Reading, *, lease: LeaseWay = LeaseWay.HELD) -> DateResult:
    return DateResult(
        day,
        covered=True,
        findings=reading.findings,
        lease=lease,
        pmo_hits=reading.pmo_hits,
        rns_hits=reading.rns_hits,
    )


def _confirmed(day: date, first: _Reading, second: _Reading, *, lease: LeaseWay) -> DateResult:
    """The second reading, without the young kinds of finding the first reading lacked."""
    before = {f.identity for f in first.findings}
    kept = tuple(f for f in second.findings if f.kind not in YOUNG_KINDS or f.identity in before)
    return DateResult(
        day,
        covered=True,
        findings=kept,
        lease=lease,
        too_young=len(second.findings) - len(kept),
        reread=True,
        pmo_hits=second.pmo_hits,
        rns_hits=second.rns_hits,
    )


def _not_covered(day: date, exc: BaseException) -> DateResult:
    root = exc.last_error if isinstance(exc, RetriesExhausted) else exc
    if isinstance(root, RobotError):
        code, text = root.code, root.message
    else:
        code, text = "unexpected_error", "Ett oväntat tekniskt fel."
    _log.event("sweep_date_failed", code=code, error=type(root).__name__)
    return DateResult(day, covered=False, reason_code=code, reason_sv=text)
