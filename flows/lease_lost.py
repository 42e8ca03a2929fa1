"""After the birth date's lease was lost mid-request: look in PMO before saying anything.

A request whose lease was lost (``robot.leases.LeaseLost``: taken over, not renewed in time,
the store out of reach at a fence) has stopped before its next create or save. Another run may
have registered the person meanwhile, perhaps under another number. So before the clerk is told
anything, PMO is searched again (a read, safe without the lease) and judged like any hit:

- the person is there: "already registered" with that Patient-ID ("lease_lost_registered");
- nobody is there: failed ("lease_lost"), and the number this request journaled, if any, may be
  shown for a rerun (no other patient exists to clash with);
- a possible match, or PMO could not be searched: failed ("lease_lost_unchecked"), with no
  number to register by hand, since another patient may exist.
"""

from __future__ import annotations

from flows.context import RoutineContext
from flows.journaled import number_of
from flows.register import JOURNAL_NUMBER, journal_key
from flows.rules.judge import Verdicts, judge_pmo, person_key
from flows.rules.outcome import Outcome, OutcomeKind, reason_sv
from flows.rules.request import RegistrationRequest
from robot.leases import LeaseLost
from robot.logs import get_logger

_log = get_logger(__name__)


def after_lease_lost(
    request: RegistrationRequest,
    lost: LeaseLost,
    *,
    ctx: RoutineContext,
    verdicts: Verdicts,
) -> Outcome:
    """The outcome of a request that lost its lease, from what PMO shows now (never raises)."""
    try:
        known = ctx.journal.steps(journal_key(request)).get(JOURNAL_NUMBER)
    except Exception:  # the store may be what failed: judge without the journaled number
        known = None
    try:
        hits = ctx.retry(
            lambda: ctx.pmo.search.search_by_birth_date(request.birth_date), step="search_pmo"
        )
        # A protected person's number is journaled keyed: the one PMO lists, if it does.
        number = number_of(known, [h.patient_id for h in hits], journal=ctx.journal)
        person = person_key(request, reservnummer=number)
        found = judge_pmo(
            person,
            hits,
            verdicts,
            config=ctx.match_config,
            estimated_birth_date=ctx.profile.is_estimated_birth_date(request.birth_date),
        )
    except Exception as exc:  # whatever failed, the clerk must search PMO first
        _log.event("lease_lost_unchecked", reason=lost.reason, error=type(exc).__name__)
        return _failed("lease_lost_unchecked")
    if isinstance(found, Outcome):
        _log.event("lease_lost_unchecked", reason=lost.reason, error="possible_match")
        return _failed("lease_lost_unchecked")
    if found is not None:
        _log.event("lease_lost_registered", reason=lost.reason)
        return Outcome(
            kind=OutcomeKind.ALREADY_REGISTERED,
            patient_id=found.patient_id,
            reason_code="lease_lost_registered",
            reason_sv=reason_sv("lease_lost_registered"),
        )
    _log.event("lease_lost_not_registered", reason=lost.reason)
    return _failed("lease_lost")


def _failed(code: str) -> Outcome:
    return Outcome(kind=OutcomeKind.FAILED, reason_code=code, reason_sv=reason_sv(code))
