"""A robot job's page: live steps, then the outcome; and a person's decision on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from apps.ui import decisions as dec
from apps.ui import present
from apps.ui.context import UiContext, ui_of
from apps.ui.jobs import CANCELLED, HANDLED, Job, JobKind, JobState, is_open
from apps.ui.work import claim_case, claim_release_hook, clipboard_truth, rerun
from flows.rules.compare import compare
from flows.rules.outcome import Candidate, OutcomeKind
from flows.rules.vocabulary import MATCH_SV, PROTECTED_SV

if TYPE_CHECKING:
    from apps.backlog.store.decision_claims import Claimed

STOPPING_SV = "Du har avbrutit. Roboten gör klart steget den håller på med och stannar sedan …"

TITLES_SV = {
    JobKind.REGISTER: "Registrerar patient",
    JobKind.COMPLETE: "Kompletterar personnummer",
    JobKind.BACKLOG: "Hanterar ärende från ärendekön",
}


def _job_or_404(ui: UiContext, job_id: str) -> Job:
    job = ui.jobs.get(job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="Jobbet finns inte (appen kan ha startats om).")
    return job


def job_context(ui: UiContext, job: Job) -> dict[str, Any]:
    """Everything job.html and _outcome.html need, from a consistent snapshot."""
    snap = ui.jobs.snapshot(job.id) or {}
    done = job.state is JobState.DONE and job.outcome is not None
    person = present.request_person(job.request, groups=ui.groups)
    context: dict[str, Any] = {
        "title": TITLES_SV[job.kind],
        "job_id": job.id,
        "state": job.state.value,
        "done": done,
        "queued_ahead": snap.get("queued_ahead", 0),
        "stop_requested": job.stop_requested,
        "STOPPING_SV": STOPPING_SV,
        "steps": present.step_rows(
            job.kind,
            ui.jobs.steps(job),
            done=done,
            outcome_kind=job.outcome.kind if done and job.outcome else None,
        ),
        "person": lead_line(job, person),
        "request_person": person,
        "match_sv": MATCH_SV,
        "compare_level": 2,
    }
    outcome = job.outcome
    if not done or outcome is None:
        return context
    resolved_by = None
    if job.follow_up == CANCELLED:
        resolved_by = None
    elif job.follow_up:
        resolved_by = f"/jobb/{job.follow_up}"
    failure = present.failure(outcome) if outcome.kind is OutcomeKind.FAILED else None
    headline = present.headline(job.kind, outcome)
    context.update(
        {
            "title": headline,
            "outcome": outcome,
            "headline": headline,
            "summary": present.summary(job.kind, outcome),
            "failure": failure,
            "differs": present.differences(person, outcome.candidates),
            "hit_rows": present.hit_rows(
                job.request,
                outcome.candidates,
                group=ui.groups.get(job.request.group) if job.request else None,
                countries=ui.countries,
            ),
            "record_rows": (
                rows := compare(
                    job.request,
                    outcome.pmo_record,
                    group=ui.groups.get(job.request.group),
                    countries=ui.countries,
                )
                if outcome.pmo_record is not None and job.request is not None
                else []
            ),
            "record_differs": any(r.differs_sv for r in rows),
            "clipboard": (clipboard := clipboard_truth(job)),
            "clipboard_note": present.clipboard_note(clipboard, job.clipboard_at),
            "clipboard_url": f"/jobb/{job.id}/urklipp",
            "duration": outcome.duration_s or None,
            "decidable": job.request is not None
            and outcome.reason_code in present.DECIDABLE_REASONS,
            "decide_url": f"/jobb/{job.id}/beslut",
            "resolved_by": resolved_by,
            "cancelled": job.follow_up == CANCELLED,
            "notice_sv": job.notice_sv,
            "evidence_url": f"/bevis/jobb/{job.id}" if outcome.evidence_dir else None,
            "retry_form": f"/jobb/{job.id}/igen"
            if failure is not None
            and failure.can_retry
            and job.kind is not JobKind.COMPLETE
            and job.request is not None
            else None,
        }
    )
    context.update(_hand_close(job))
    context["protected_rest"] = _protected_rest(ui, job)
    if job.kind is JobKind.BACKLOG:
        context["back_url"], context["back_text"] = "/att-hantera", "Tillbaka till Att hantera"
        if outcome.kind is OutcomeKind.FAILED:
            context["queue_note"] = _queue_note(ui, job)
            context["retry_form"] = None
    elif job.kind is JobKind.COMPLETE:
        context["back_url"], context["back_text"] = "/komplettera", "Komplettera ett till"
    else:
        context["back_url"], context["back_text"] = "/", "Registrera en till"
    return context


def _queue_note(ui: UiContext, job: Job) -> str | None:
    """What happens now to a backlog item whose robot run here failed, by its status in the
    queue (``writeback_hook``: retried later while attempts remain, else failed for good)."""
    from apps.backlog.store import ItemStatus

    if ui.store is None or job.backlog_item_id is None:
        return None
    item = ui.store.get(job.backlog_item_id)
    if item is None:
        return None
    if item.status is ItemStatus.PENDING:
        return (
            "Ärendet ligger kvar i ärendekön med ditt beslut. Roboten försöker igen vid nästa "
            "körning."
        )
    if item.status is ItemStatus.FAILED:
        return (
            "Ärendet har gjort alla sina försök och körs inte igen av sig självt. När felet är "
            "åtgärdat: välj Försök igen under Misslyckade i Att hantera. Brådskar det: registrera "
            "patienten för hand och välj Klar – registrerad för hand där."
        )
    return None


def _protected_rest(ui: UiContext, job: Job) -> dict[str, str] | None:
    """A protected identity registered up to what a person must do: the group the clerk chose,
    whose Kommun/Län the robot left empty in PMO (the protected routine decides them)."""
    outcome = job.outcome
    if outcome is None or job.request is None:
        return None
    if outcome.reason_code != "protected_identity" or not outcome.patient_id:
        return None
    group = ui.groups.get(job.request.group)
    if group is None:
        return None
    return {"label": group.label_sv, "kommun": group.kommun, "lan": group.lan}


HANDLED_NOTE_SV = "Stängt: en person har gjort det som var kvar för hand."


def hand_close_label(job: Job) -> str | None:
    """The button that closes an open case as done by hand, or None where none fits.

    A failure: the clerk registered the person by hand. Protected identity registered up to
    what a person must do: the clerk did the rest. Cases waiting for a choice between
    candidates are closed by that choice (or Avbryt ärendet), not here."""
    if not is_open(job) or job.state is not JobState.DONE or job.outcome is None:
        return None
    if job.outcome.kind is OutcomeKind.FAILED:
        return (
            "Klar – gjort för hand"
            if job.kind is JobKind.COMPLETE
            else "Klar – registrerad för hand"
        )
    if job.outcome.reason_code == "protected_identity" and job.outcome.patient_id:
        return "Klart – resten är gjort för hand"
    return None


def _hand_close(job: Job) -> dict[str, Any]:
    label = hand_close_label(job)
    return {
        "hand_close_label": label,
        "hand_close_url": f"/jobb/{job.id}/klar" if label else None,
        "handled_note": HANDLED_NOTE_SV if job.follow_up == HANDLED else None,
    }


def lead_line(job: Job, person: dict[str, str]) -> str | None:
    """The line under the heading: who the job is for (never the name of a protected person)."""
    if job.request is None:
        return None
    if job.request.protected:
        return f"{PROTECTED_SV} – namnet visas inte här."
    return f"{person['name']}, född {person['birth_date']}"


async def job_page(request: Request) -> Response:
    ui = ui_of(request)
    job = _job_or_404(ui, request.path_params["job_id"])
    # Reads the OS clipboard (a subprocess with a timeout): off the event loop.
    context = await run_in_threadpool(job_context, ui, job)
    nav = {"register": "register", "complete": "complete", "backlog": "backlog"}[job.kind.value]
    return ui.render(request, "job.html", context, nav=nav)


async def job_status(request: Request) -> Response:
    """GET /jobb/{id}/status: the job's progress as JSON, polled by the page."""
    ui = ui_of(request)
    snap = ui.jobs.snapshot(request.path_params["job_id"])
    if snap is None:
        return JSONResponse({"error": "okänt jobb"}, status_code=404)
    # The page only needs progress here; the outcome (with personal data) is rendered server-side.
    snap.pop("outcome", None)
    snap["sign_in_notice"] = ui.sign_in_notice()
    return JSONResponse(snap, headers={"Cache-Control": "no-store"})


async def job_clipboard(request: Request) -> Response:
    """GET /jobb/{id}/urklipp: what the clipboard line says now (the page asks when it is shown
    again, and now and then: another page or program may have copied something since)."""
    ui = ui_of(request)
    job = _job_or_404(ui, request.path_params["job_id"])
    truth = await run_in_threadpool(clipboard_truth, job)
    return JSONResponse(
        {"state": truth, "note": present.clipboard_note(truth, job.clipboard_at)},
        headers={"Cache-Control": "no-store"},
    )


async def sign_in_status(request: Request) -> Response:
    """GET /api/inloggning: what the clerk must do for the robot to go on ("" when nothing)."""
    ui = ui_of(request)
    return JSONResponse({"notice": ui.sign_in_notice()}, headers={"Cache-Control": "no-store"})


async def job_decide(request: Request) -> Response:
    """POST /jobb/{id}/beslut: same person / different person / cancel."""
    ui = ui_of(request)
    form = await ui.csrf.form(request)
    job = _job_or_404(ui, request.path_params["job_id"])
    outcome = job.outcome
    if (
        job.state is not JobState.DONE
        or outcome is None
        or outcome.kind is not OutcomeKind.NEEDS_PERSON
        or job.request is None
    ):
        return RedirectResponse(f"/jobb/{job.id}", status_code=303)
    if job.follow_up == CANCELLED:
        return RedirectResponse(f"/jobb/{job.id}", status_code=303)
    if job.follow_up:
        return RedirectResponse(f"/jobb/{job.follow_up}", status_code=303)
    try:
        choice, index = dec.parse_choice(form, outcome.candidates)
    except dec.BadChoice as exc:
        raise HTTPException(status_code=400, detail="Ogiltigt val. Ladda om sidan.") from exc
    manual = dec.ends_with_person(choice, outcome.reason_code)
    follow = (
        None
        if manual
        else rerun(
            job,
            dec.merge(
                job.decisions, dec.new_decisions(choice, index, outcome.candidates, actor=ui.actor)
            ),
        )
    )
    # A queue item's case is claimed in the shared store first: a clerk at another PC may be
    # deciding it in Att hantera now (and sees it read-only while this clerk holds it).
    claim: Claimed | None = None
    if job.backlog_item_id is not None:
        claim, holder = await claim_case(ui, job.backlog_item_id)
        if holder is not None:
            return RedirectResponse(f"/att-hantera/{job.backlog_item_id}", status_code=303)
    # Claim the decision first: a double click must neither start nor record anything twice.
    if not ui.jobs.link_follow_up(job, follow.id if follow else CANCELLED):
        if claim is not None:
            await run_in_threadpool(claim.release)
        return RedirectResponse(f"/jobb/{job.follow_up or job.id}", status_code=303)
    if follow is not None and claim is not None:
        follow.after = [*follow.after, claim_release_hook(claim)]
    await run_in_threadpool(
        dec.audit_choice,
        ui.audit,
        actor=ui.actor,
        ref=job.ref or job.request.fingerprint(),
        choice=choice,
        index=index,
        candidates=outcome.candidates,
        reason_code=outcome.reason_code,
        source="ui",
    )
    if follow is None:
        try:
            if job.backlog_item_id is not None and ui.store is not None:
                await run_in_threadpool(_end_queue_item, ui, job, choice)
        finally:
            if claim is not None:
                await run_in_threadpool(claim.release)
        return ui.render(
            request,
            "cancelled.html",
            {
                **dec.ending_text(choice, _chosen(outcome.candidates, index)),
                "back_url": "/",
                "back_text": "Registrera en annan patient",
            },
            nav="register",
        )
    submit_follow_up(ui, follow)
    return RedirectResponse(f"/jobb/{follow.id}", status_code=303)


def _chosen(candidates: list[Candidate], index: int | None) -> Candidate | None:
    return candidates[index] if index is not None and 0 <= index < len(candidates) else None


def _end_queue_item(ui: UiContext, job: Job, choice: dec.Choice) -> None:
    """A person ended the robot's work on a backlog item: closed by a person, never reopened."""
    assert ui.store is not None and job.backlog_item_id is not None and job.outcome is not None
    code, text = dec.QUEUE_ENDINGS[choice]
    ui.store.close_by_person(job.backlog_item_id, reason_code=code, reason_sv=text, actor=ui.actor)


def submit_follow_up(ui: UiContext, follow: Job) -> None:
    if follow.backlog_item_id is not None:
        ui.backlog_busy.add(follow.backlog_item_id)
        ui.backlog_jobs[follow.backlog_item_id] = follow.id
    ui.jobs.submit(follow)


async def job_stop(request: Request) -> Response:
    """POST /jobb/{id}/avbryt: stop the job after its current step (nothing half done)."""
    ui = ui_of(request)
    await ui.csrf.form(request)
    job = _job_or_404(ui, request.path_params["job_id"])
    ui.jobs.request_stop(job)
    return RedirectResponse(f"/jobb/{job.id}", status_code=303)


async def job_hand_close(request: Request) -> Response:
    """POST /jobb/{id}/klar: a person did the (rest of the) work by hand; the case is closed
    on Dagens ärenden and the audit log says who closed it."""
    ui = ui_of(request)
    await ui.csrf.form(request)
    job = _job_or_404(ui, request.path_params["job_id"])
    if hand_close_label(job) is None or not ui.jobs.link_follow_up(job, HANDLED):
        return RedirectResponse(f"/jobb/{job.follow_up or job.id}", status_code=303)
    assert job.outcome is not None
    if ui.audit is not None:
        ref = job.ref or (job.request.fingerprint() if job.request else job.id)
        await run_in_threadpool(
            ui.audit.decision,
            ui.actor,
            ref,
            system="robot",
            choice="handled_by_person",
            reason=job.outcome.reason_code,
            via="ui",
        )
    return RedirectResponse(f"/jobb/{job.id}", status_code=303)


async def job_retry(request: Request) -> Response:
    """POST /jobb/{id}/igen: run a failed registration again with the same input."""
    ui = ui_of(request)
    await ui.csrf.form(request)
    job = _job_or_404(ui, request.path_params["job_id"])
    if job.state is not JobState.DONE or job.request is None or job.kind is JobKind.COMPLETE:
        return RedirectResponse(f"/jobb/{job.id}", status_code=303)
    follow = rerun(job, list(job.decisions))
    if not ui.jobs.link_follow_up(job, follow.id):
        return RedirectResponse(f"/jobb/{job.follow_up}", status_code=303)
    submit_follow_up(ui, follow)
    return RedirectResponse(f"/jobb/{follow.id}", status_code=303)
