"""Dagens ärenden (``/idag``): today's work in this app, so nothing is lost when a page is left.

Open cases first (running, waiting for a person's choice, failed, registered except for what a
person must do), each until someone decides, retries or closes it; then what was finished.
Each row gives the outcome, the Patient-ID and a link to the job's page. The list lives in
the app's memory (``JobManager``): it covers the app since it started, and the jobs it keeps
never drop an open case. Backlog items are listed in Att hantera, which the queue keeps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from apps.ui import present
from apps.ui.context import ui_of
from apps.ui.jobs import CANCELLED, HANDLED, Job, JobKind, JobState, is_open
from apps.ui.views.jobs import lead_line
from flows.rules.outcome import OutcomeKind

if TYPE_CHECKING:
    from flows.rules.groups import PatientGroup

Groups = Mapping[str, "PatientGroup"]

KIND_SV = {
    JobKind.REGISTER: "Registrering",
    JobKind.COMPLETE: "Komplettering",
    JobKind.BACKLOG: "Från ärendekön",
}


@dataclass(frozen=True)
class TodayRow:
    url: str
    at: str  # "14:05"
    kind: str
    who: str
    result: str
    patient_id: str | None
    open_note: str | None  # what it waits for, on an open case


def _status(job: Job) -> tuple[str, str | None]:
    """The result in words, and for an open case what it waits for."""
    outcome = job.outcome
    if job.state is JobState.QUEUED:
        return "Väntar på roboten", "Roboten har inte börjat"
    if job.state is JobState.RUNNING or outcome is None:
        return "Roboten arbetar", "Pågår"
    result = present.headline(job.kind, outcome)
    if job.follow_up == CANCELLED:
        return f"{result} – avbrutet av en person", None
    if job.follow_up == HANDLED:
        return f"{result} – klart, gjort för hand", None
    if not is_open(job):
        return result, None
    if outcome.kind is OutcomeKind.NEEDS_PERSON:
        if outcome.reason_code == "protected_identity" and outcome.patient_id:
            return result, "Det som ska göras för hand är kvar"
        return result, "Väntar på ditt beslut"
    return result, "Försök igen eller registrera för hand"


def _row(job: Job, groups: Groups) -> TodayRow:
    result, note = _status(job)
    person = present.request_person(job.request, groups=groups)
    outcome = job.outcome
    pid = (outcome.patient_id or outcome.reservnummer) if outcome is not None else None
    return TodayRow(
        url=f"/jobb/{job.id}",
        at=time.strftime("%H:%M", time.localtime(job.created_at)),
        kind=KIND_SV[job.kind],
        who=lead_line(job, person) or "–",
        result=result,
        patient_id=pid,
        open_note=note,
    )


def today_rows(
    jobs: list[Job], groups: Groups, *, now: float | None = None
) -> tuple[list[TodayRow], list[TodayRow]]:
    """(open, finished) rows of today, newest first; an open case of an earlier day stays."""
    today = time.localtime(now if now is not None else time.time())[:3]
    # A job another job took over (a decision, Försök igen) is shown as that job.
    shown = [j for j in jobs if j.follow_up in (None, CANCELLED, HANDLED)]
    open_rows = [_row(j, groups) for j in reversed(shown) if is_open(j)]
    done_rows = [
        _row(j, groups)
        for j in reversed(shown)
        if not is_open(j) and time.localtime(j.created_at)[:3] == today
    ]
    return open_rows, done_rows


async def today_page(request: Request) -> Response:
    ui = ui_of(request)
    open_rows, done_rows = today_rows(ui.jobs.remembered(), ui.groups)
    return ui.render(
        request,
        "today.html",
        {"open_rows": open_rows, "done_rows": done_rows},
        nav="today",
    )
