"""Att hantera: backlog items that need a person, the queue at a glance, failure evidence.

An item waiting for a person is resolved with the same side-by-side view as a live
registration. "Samma person" / "Annan person" run the robot here, with the decision, and the
result is written back to the queue; "Avbryt" takes the item out of the queue (closed by a
person, with the reason) so no robot registers that person. A failed item (its attempts used
up: it never runs again by itself) gets "Försök igen" (back to pending with a fresh count, as
``reservrobot backlog retry``) or "Klar – registrerad för hand" (closed by a person). Every
choice goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from apps.backlog.store import ItemStatus, QueueItem, QueueStore
from apps.backlog.store.decision_claims import Claimed
from apps.exitcodes import exit_label_sv
from apps.ui import decisions as dec
from apps.ui import present
from apps.ui.context import UiContext, ui_of
from apps.ui.jobs import Job, JobKind, JobState
from apps.ui.work import (
    audit_hook,
    claim_case,
    claim_release_hook,
    clipboard_hook,
    registration_work,
    release_hook,
    writeback_hook,
)
from flows.rules.outcome import Decision, Outcome
from flows.rules.vocabulary import MATCH_SV

STATUS_ORDER = (
    ItemStatus.PENDING,
    ItemStatus.IN_PROGRESS,
    ItemStatus.NEEDS_PERSON,
    ItemStatus.FAILED,
    ItemStatus.DONE,
    ItemStatus.CLOSED,
    ItemStatus.REJECTED,
)


def _store(ui: UiContext) -> QueueStore:
    if ui.store is None:
        raise HTTPException(status_code=404, detail="Ingen kö är inställd.")
    return ui.store


def _item_summary(item: QueueItem) -> dict[str, Any]:
    # A list at a reception may be seen by others: never the name of a protected person.
    person = present.request_person(item.request, hide_protected=True)
    outcome = item.outcome
    return {
        "id": item.id,
        "name": person["name"],
        "birth_date": person["birth_date"],
        "sex": person["sex"],
        "source": item.source,
        "reason_code": item.reason_code,
        "reason_sv": item.reason_sv or (outcome.reason_sv if outcome else None),
        "attempts": item.attempts,
        "updated_at": item.updated_at,
        "evidence_url": f"/bevis/ko/{item.id}" if outcome and outcome.evidence_dir else None,
    }


# What the page says after an action on a failed item (``?gjort=``).
DONE_SV = {
    "igen": "Ärendet ligger i kön igen med nya försök. Roboten tar det vid nästa körning.",
    "klar": "Ärendet är stängt som registrerat för hand. Roboten gör ingenting mer med det.",
    "andrat": "Ärendet har redan ändrats av någon annan. Listan nedan visar hur det är nu.",
    "upptaget": "En annan handläggare hanterar ärendet just nu, så ingenting ändrades. Vänta en "
    "stund och se efter i listan nedan hur det gick.",
    "resten": "Ärendet är stängt: roboten registrerade det den fick, resten är gjort för hand.",
}
HANDLED_CODE = "handled_by_person"
HANDLED_SV = "Registrerad för hand av en person."
REST_HANDLED_SV = "Registrerad av roboten; resten gjort för hand av en person."


def rest_by_hand(outcome: Outcome | None) -> bool:
    """Registered by the robot except for what a person must do (a protected identity)."""
    return (
        outcome is not None
        and outcome.reason_code == "protected_identity"
        and outcome.patient_id is not None
    )


async def backlog_page(request: Request) -> Response:
    ui = ui_of(request)
    if ui.store is None:
        return ui.render(request, "backlog.html", {}, nav="backlog")
    store = ui.store
    done_sv = DONE_SV.get(request.query_params.get("gjort", ""))

    def load() -> dict[str, Any]:
        counts = store.counts()
        return {
            "needs": [_item_summary(i) for i in store.items(status=ItemStatus.NEEDS_PERSON)],
            "failed": [_item_summary(i) for i in store.items(status=ItemStatus.FAILED)],
            "counts": [(s.label_sv, counts.get(s, 0), s.value) for s in STATUS_ORDER],
            "last_run": store.last_run(),
            "exit_label_sv": exit_label_sv,
            "done_sv": done_sv,
        }

    context = await run_in_threadpool(load)
    return ui.render(request, "backlog.html", context, nav="backlog")


def _item_outcome(item: QueueItem) -> Outcome | None:
    return item.outcome


def _item_decisions(item: QueueItem) -> list[Decision]:
    return list(item.decisions)


def item_or_404(ui: UiContext, item_id: int) -> QueueItem:
    item = _store(ui).get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Ärendet finns inte i kön.")
    return item


async def backlog_item_page(request: Request) -> Response:
    ui = ui_of(request)
    item_id = int(request.path_params["item_id"])
    running = _running_job(ui, item_id)
    if running is not None:
        return RedirectResponse(f"/jobb/{running.id}", status_code=303)
    claims = ui.claims
    holder = await run_in_threadpool(claims.holder, item_id) if claims is not None else None
    return await _item_page(ui, request, item_id, claimed_by=holder)


async def _item_page(
    ui: UiContext, request: Request, item_id: int, *, claimed_by: str | None
) -> Response:
    """The case, side by side; read-only while another clerk holds its claim."""
    item = await run_in_threadpool(item_or_404, ui, item_id)
    outcome = _item_outcome(item)
    decidable = (
        claimed_by is None
        and item.status is ItemStatus.NEEDS_PERSON
        and outcome is not None
        and outcome.reason_code in present.DECIDABLE_REASONS
        and item.request is not None
    )
    person = present.request_person(item.request, groups=ui.groups)
    context = {
        "title_name": present.request_person(item.request, hide_protected=True)["name"],
        "item_id": item.id,
        "status_sv": item.status.label_sv,
        "source": item.source,
        "outcome": outcome if item.status is ItemStatus.NEEDS_PERSON else None,
        "request_person": person,
        "differs": present.differences(person, outcome.candidates if outcome else []),
        "hit_rows": present.hit_rows(
            item.request,
            outcome.candidates if outcome else [],
            group=ui.groups.get(item.request.group) if item.request else None,
            countries=ui.countries,
        ),
        "match_sv": MATCH_SV,
        "decidable": decidable,
        "decide_url": f"/att-hantera/{item.id}/beslut",
        "resolved_by": None,
        "cancelled": False,
        "claimed_by": _clerk(claimed_by) if claimed_by else None,
        "rest_by_hand": item.status is ItemStatus.NEEDS_PERSON and rest_by_hand(outcome),
        "rest_url": f"/att-hantera/{item.id}/klart",
    }
    status = 409 if claimed_by and request.method == "POST" else 200
    response = ui.render(request, "backlog_item.html", context, nav="backlog")
    response.status_code = status
    return response


def _clerk(holder: str) -> str:
    """A claim's holder as a clerk reads it (``ui:anna`` -> ``anna``)."""
    return holder.removeprefix("ui:")


def _running_job(ui: UiContext, item_id: int) -> Job | None:
    job_id = ui.backlog_jobs.get(item_id)
    job = ui.jobs.get(job_id) if job_id else None
    if job is not None and job.state is not JobState.DONE:
        return job
    return None


async def backlog_decide(request: Request) -> Response:
    """POST /att-hantera/{id}/beslut: resolve an item that needs a person."""
    ui = ui_of(request)
    form = await ui.csrf.form(request)
    item_id = int(request.path_params["item_id"])
    # Claim the item before anything else (no await in between): a double click or a second
    # clerk must not resolve the same item twice.
    if item_id in ui.backlog_busy:
        running = _running_job(ui, item_id)
        target = f"/jobb/{running.id}" if running else f"/att-hantera/{item_id}"
        return RedirectResponse(target, status_code=303)
    ui.backlog_busy.add(item_id)
    started = False
    claim: Claimed | None = None
    try:
        # Then in the shared store, atomically: a clerk at another PC may be choosing now.
        claim, holder = await claim_case(ui, item_id)
        if holder is not None:
            return await _item_page(ui, request, item_id, claimed_by=holder)
        response, started = await _decide(ui, request, form, item_id, claim)
        return response
    finally:
        if not started:
            ui.backlog_busy.discard(item_id)
            if claim is not None:
                await run_in_threadpool(claim.release)


async def _claimed_action(
    ui: UiContext, item_id: int, act: Callable[[], bool], *, done: str
) -> Response:
    """Run ``act`` (a change of one case's status) while holding the case's claim; the page
    says ``done``, or that the case changed meanwhile, or that another clerk holds it."""
    if item_id in ui.backlog_busy:
        return RedirectResponse("/att-hantera?gjort=andrat", status_code=303)
    ui.backlog_busy.add(item_id)
    try:
        claim, holder = await claim_case(ui, item_id)
        if holder is not None:
            return RedirectResponse("/att-hantera?gjort=upptaget", status_code=303)
        try:
            changed = await run_in_threadpool(act)
        finally:
            if claim is not None:
                await run_in_threadpool(claim.release)
    finally:
        ui.backlog_busy.discard(item_id)
    return RedirectResponse(f"/att-hantera?gjort={done if changed else 'andrat'}", status_code=303)


async def _decide(
    ui: UiContext, request: Request, form: Any, item_id: int, claim: Claimed | None
) -> tuple[Response, bool]:
    store = _store(ui)
    item = await run_in_threadpool(item_or_404, ui, item_id)
    if item.status is not ItemStatus.NEEDS_PERSON:
        return RedirectResponse(f"/att-hantera/{item.id}", status_code=303), False
    outcome = _item_outcome(item)
    candidates = outcome.candidates if outcome else []
    reason_code = outcome.reason_code if outcome else item.reason_code
    try:
        choice, index = dec.parse_choice(form, candidates)
    except dec.BadChoice as exc:
        raise HTTPException(status_code=400, detail="Ogiltigt val. Ladda om sidan.") from exc
    await run_in_threadpool(
        dec.audit_choice,
        ui.audit,
        actor=ui.actor,
        ref=item.ref,
        choice=choice,
        index=index,
        candidates=candidates,
        reason_code=reason_code,
        source="ui-backlog",
    )
    if dec.ends_with_person(choice, reason_code):
        code, text = dec.QUEUE_ENDINGS[choice]
        await run_in_threadpool(
            lambda: store.close_by_person(item.id, reason_code=code, reason_sv=text, actor=ui.actor)
        )
        context = {
            **dec.ending_text(
                choice, candidates[index] if index is not None and index < len(candidates) else None
            ),
            "back_url": "/att-hantera",
            "back_text": "Tillbaka till Att hantera",
            "note": "Ärendet är taget ur kön och körs inte av roboten.",
        }
        return ui.render(request, "cancelled.html", context, nav="backlog"), False
    registration = item.request
    if registration is None:
        raise HTTPException(status_code=400, detail="Ärendet saknar uppgifter att registrera.")
    decisions = dec.merge(
        _item_decisions(item), dec.new_decisions(choice, index, candidates, actor=ui.actor)
    )
    job = Job(
        kind=JobKind.BACKLOG,
        work=registration_work(registration, decisions),
        after=[
            writeback_hook(store, item_id=item.id, actor=ui.actor),
            audit_hook(ui.audit, actor=ui.actor, accounts=ui.accounts),
            clipboard_hook(ui.jobs),
            release_hook(ui.backlog_busy, item.id),
            claim_release_hook(claim),
        ],
        request=registration,
        decisions=decisions,
        backlog_item_id=item.id,
        ref=item.ref,
    )
    ui.backlog_jobs[item.id] = job.id
    ui.jobs.submit(job)
    return RedirectResponse(f"/jobb/{job.id}", status_code=303), True


async def backlog_failed_action(request: Request) -> Response:
    """POST /att-hantera/{id}/misslyckat: a failed item back to the robot ("igen") or closed
    as registered by hand ("klar"); only while it is still failed, in the audit log."""
    ui = ui_of(request)
    form = await ui.csrf.form(request)
    item_id = int(request.path_params["item_id"])
    action = str(form.get("action", ""))
    if action not in ("igen", "klar"):
        raise HTTPException(status_code=400, detail="Ogiltigt val. Ladda om sidan.")
    store = _store(ui)
    return await _claimed_action(
        ui, item_id, lambda: _failed_action(ui, store, item_id, action), done=action
    )


def _failed_action(ui: UiContext, store: QueueStore, item_id: int, action: str) -> bool:
    item = item_or_404(ui, item_id)
    if action == "igen":
        done = item_id in store.retry_failed(actor=ui.actor, item_ids=[item_id])
        if done and ui.audit is not None:
            ui.audit.append(
                actor=ui.actor, ref=item.ref, system="queue", step="retry", result="requeued"
            )
        return done
    return _close_by_hand(
        ui, store, item, reason_sv=HANDLED_SV, only_from=ItemStatus.FAILED, reason=item.reason_code
    )


async def backlog_rest_done(request: Request) -> Response:
    """POST /att-hantera/{id}/klart: a protected identity the robot registered, whose rest a
    person has done by hand: closed (only while it still waits for a person), audited."""
    ui = ui_of(request)
    await ui.csrf.form(request)
    item_id = int(request.path_params["item_id"])
    store = _store(ui)
    return await _claimed_action(
        ui, item_id, lambda: _close_rest(ui, store, item_id), done="resten"
    )


def _close_rest(ui: UiContext, store: QueueStore, item_id: int) -> bool:
    item = item_or_404(ui, item_id)
    if item.status is not ItemStatus.NEEDS_PERSON or not rest_by_hand(item.outcome):
        return False
    return _close_by_hand(
        ui,
        store,
        item,
        reason_sv=REST_HANDLED_SV,
        only_from=ItemStatus.NEEDS_PERSON,
        reason="protected_identity",
    )


def _close_by_hand(
    ui: UiContext,
    store: QueueStore,
    item: QueueItem,
    *,
    reason_sv: str,
    only_from: ItemStatus,
    reason: str | None,
) -> bool:
    """Close ``item`` as handled by the clerk (only from ``only_from``: a page loaded before
    another clerk acted closes nothing) and record the clerk's decision in the audit log."""
    done = store.close_by_person(
        item.id,
        reason_code=HANDLED_CODE,
        reason_sv=reason_sv,
        actor=ui.actor,
        only_from=only_from,
    )
    if done and ui.audit is not None:
        ui.audit.decision(
            ui.actor, item.ref, system="robot", choice=HANDLED_CODE, reason=reason, via="ui-backlog"
        )
    return done
