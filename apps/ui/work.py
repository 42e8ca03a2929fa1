"""What the worker thread does for each kind of job, and what happens after it.

``*_work`` build the call on the Runner; hooks run in the worker thread once the outcome is
known: the Patient-ID goes to the OS clipboard, a backlog item gets its result written back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, cast

from starlette.concurrency import run_in_threadpool

from apps.backlog.store import StoreError
from apps.ui.jobs import (
    AfterHook,
    ClipboardState,
    Job,
    JobManager,
    RunnerLike,
    StepCallback,
    StopCheck,
    Work,
)
from flows.rules.outcome import Decision, Outcome
from robot.clipboard import read_system, system_clipboard_available, write_system

if TYPE_CHECKING:
    from apps.backlog.store import QueueStore, RetryPlan
    from apps.backlog.store.decision_claims import Claimed
    from apps.ui.context import UiContext
    from flows.rules.request import RegistrationRequest
    from robot.audit import AuditLog

log = logging.getLogger(__name__)


def registration_work(request: RegistrationRequest, decisions: Sequence[Decision]) -> Work:
    """Register ``request`` with the person's ``decisions`` so far."""
    frozen = list(decisions)

    def work(runner: RunnerLike, on_step: StepCallback, should_stop: StopCheck) -> Outcome:
        return runner.register(request, decisions=frozen, on_step=on_step, should_stop=should_stop)

    return work


def rerun(job: Job, decisions: Sequence[Decision]) -> Job:
    """A new registration job for the same person with the person's decisions applied."""
    if job.request is None:
        raise ValueError("only registration jobs can be run again")
    return Job(
        kind=job.kind,
        work=registration_work(job.request, decisions),
        after=job.after,
        request=job.request,
        decisions=list(decisions),
        backlog_item_id=job.backlog_item_id,
        ref=job.ref,
    )


def complete_work(
    patient_id: str, personnummer: str, *, identity_checked: bool, protected: bool = False
) -> Work:
    """Replace the reservnummer part of ``patient_id`` with the personnummer's digits.

    ``protected``: the patient has protected personal data, so no evidence is kept.
    """

    def work(runner: RunnerLike, on_step: StepCallback, should_stop: StopCheck) -> Outcome:
        return runner.complete_pnr(
            patient_id,
            personnummer,
            identity_checked=identity_checked,
            protected=protected,
            on_step=on_step,
            should_stop=should_stop,
        )

    return work


def clipboard_hook(jobs: JobManager) -> AfterHook:
    """Put a finished registration's Patient-ID on the OS clipboard, when there is one.

    Not for protected identities: clipboard managers keep a history, and such a case must leave
    no trace. For them the robot empties the clipboard instead, so that one habitual Ctrl+V
    cannot put the previous patient's ID into a protected person's papers; the clerk can still
    press "Kopiera" in the page.
    """

    def hook(job: Job, outcome: Outcome) -> None:
        if not outcome.patient_id:
            return
        if job.request is not None and job.request.protected:
            _clear_for_protected(jobs, job)
            return
        if not outcome.ok:
            return
        if not system_clipboard_available():
            jobs.set_clipboard(job, ClipboardState.UNAVAILABLE)
            return
        try:
            write_system(outcome.patient_id)
        except Exception:
            log.warning("ui_clipboard_write_failed")
            jobs.set_clipboard(job, ClipboardState.FAILED)
            return
        jobs.set_clipboard(job, ClipboardState.COPIED)

    return hook


def _clear_for_protected(jobs: JobManager, job: Job) -> None:
    if not system_clipboard_available():
        jobs.set_clipboard(job, ClipboardState.WITHHELD)
        return
    try:
        write_system("")
    except Exception:
        log.warning("ui_clipboard_clear_failed")
        jobs.set_clipboard(job, ClipboardState.FAILED)
        return
    jobs.set_clipboard(job, ClipboardState.CLEARED)


ClipboardTruth = Literal[
    "copied", "overwritten", "unverified", "cleared", "withheld", "unavailable", "failed", "none"
]


def clipboard_truth(job: Job) -> ClipboardTruth:
    """What the OS clipboard holds now, as far as this job's page is concerned.

    A Patient-ID the robot copied may have been overwritten since (another registration, a
    second result page, anything the clerk copied): the clipboard is read and compared, never
    kept or logged. "unverified" when it cannot be read.
    """
    state = job.clipboard
    if state is None:
        return "none"
    if state is not ClipboardState.COPIED:
        return cast(ClipboardTruth, state.value)
    patient_id = job.outcome.patient_id if job.outcome else None
    try:
        held = read_system()
    except Exception:
        return "unverified"
    return "copied" if patient_id and held == patient_id else "overwritten"


def writeback_hook(
    store: QueueStore, *, item_id: int, actor: str, plan: RetryPlan | None = None
) -> AfterHook:
    """Write a backlog item's new outcome back to the queue, by the queue's one rule.

    ``policy.next_status`` decides, as for the backlog worker: done, needs a person again, or a
    technical failure retried by the backlog robot after its backoff (failed once the attempts
    are used up). The person's decisions so far are stored with the item, so the next attempt
    (and the next person) sees them applied.
    """

    def hook(job: Job, outcome: Outcome) -> None:
        from apps.backlog.store import IllegalTransition, RetryPlan, next_status, utcnow

        item = store.get(item_id)
        nxt = next_status(
            outcome.kind,
            attempts=item.attempts if item else 0,
            plan=plan or RetryPlan(),
            now=utcnow(),
        )
        try:
            written = store.finish(
                item_id,
                outcome,
                status=nxt.status,
                attempts=nxt.attempts,
                not_before=nxt.not_before,
                decisions=job.decisions,
                actor=actor,
            )
        except (IllegalTransition, StoreError):
            written = False
        if written:
            return
        # Refused (the case changed meanwhile, or the store failed): the clerk is told, and
        # the item's history says so, with what the robot's outcome was.
        job.notice_sv = WRITEBACK_REFUSED_SV
        with contextlib.suppress(StoreError):
            store.note_refused_writeback(item_id, outcome, actor=actor)

    return hook


def audit_hook(
    audit: AuditLog | None,
    *,
    actor: str,
    accounts: Callable[[], Mapping[str, str]] | None = None,
) -> AfterHook:
    """Record what the robot did for a job: each step's result, then the outcome.

    ``accounts`` (attended work): the clerk's accounts in the systems as the systems showed
    them; each is named next to the OS user, as a keyed hash (``pmo=p_…``).
    """

    def hook(job: Job, outcome: Outcome) -> None:
        if audit is None or not job.ref:
            return
        shown = accounts() if accounts is not None else {}
        if shown:
            named = ",".join(f"{s}={audit.pseudonym(f'{s}:{a}')}" for s, a in sorted(shown.items()))
            actor_now = f"{actor} konto:{named}"
        else:
            actor_now = actor
        for step in outcome.steps:
            audit.step(actor_now, job.ref, step)
        audit.outcome(
            actor_now,
            job.ref,
            outcome.kind,
            reason=outcome.reason_code,
            patient_id=outcome.patient_id,
            via="ui",
            job=job.kind.value,
        )

    return hook


WRITEBACK_REFUSED_SV = (
    "Resultatet kunde inte skrivas tillbaka till ärendekön: ärendet har ändrats av någon annan "
    "under tiden, eller så gick kön inte att nå. Det som står här gäller ändå; kontrollera "
    "ärendet i Att hantera innan något mer görs."
)


async def claim_case(ui: UiContext, item_id: int) -> tuple[Claimed | None, str | None]:
    """Claim the case in the shared store before acting on it: ``(claim, None)``, or
    ``(None, holder)`` when another clerk holds it now (``(None, None)``: no shared store)."""
    claims = ui.claims
    if claims is None:
        return None, None
    got = await run_in_threadpool(lambda: claims.claim(item_id, actor=ui.actor))
    return (None, got) if isinstance(got, str) else (got, None)


def claim_release_hook(claim: Claimed | None) -> AfterHook:
    """Let go of the case's claim in the store once its result is written back."""

    def hook(job: Job, outcome: Outcome) -> None:
        if claim is not None:
            claim.release()

    return hook


def release_hook(busy: set[int], item_id: int) -> AfterHook:
    """Let the backlog item be decided on again once its job has written its result back."""

    def hook(job: Job, outcome: Outcome) -> None:
        busy.discard(item_id)

    return hook
