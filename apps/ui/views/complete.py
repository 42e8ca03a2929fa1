"""Komplettera personnummer: replace a reservnummer with the full personnummer in PMO.

The server refuses to start unless the clerk ticked "Identiteten och handlingen är
kontrollerade": the routine demands that a person has seen proof of identity and a document
with the full personnummer. Formats and the birth date are checked before anything runs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from apps.ui import forms
from apps.ui.context import UiContext, ui_of
from apps.ui.jobs import Job, JobKind
from apps.ui.work import audit_hook, clipboard_hook, complete_work
from flows.rules.identity import (
    BirthDateMismatch,
    IdKind,
    InvalidIdentity,
    complete_personnummer,
    parse_patient_id,
)

FIELDS = ("patient_id", "personnummer", "identity_checked", "protected")

NOT_CHECKED_SV = (
    "Kryssa i att identiteten och handlingen är kontrollerade. Utan den kontrollen ändrar "
    "roboten ingenting."
)
NOT_RESERV_SV = "Patient-ID är inget reservnummer och kan inte kompletteras."


def _page(
    ui: UiContext,
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    context = {"values": values, "errors": errors, "error_list": forms.error_list(errors)}
    return ui.render(request, "complete.html", context, status_code=status_code, nav="complete")


async def complete_form(request: Request) -> Response:
    return _page(ui_of(request), request, {})


async def complete_submit(request: Request) -> Response:
    ui = ui_of(request)
    form = await ui.csrf.form(request)
    values = forms.form_values(form, FIELDS)
    errors: dict[str, str] = {}
    reserv = None
    if not values["patient_id"]:
        errors["patient_id"] = "Fyll i Patient-ID."
    else:
        try:
            reserv = parse_patient_id(values["patient_id"], profile=ui.profile)
        except InvalidIdentity as exc:
            errors["patient_id"] = exc.message
        else:
            if reserv.kind is not IdKind.RESERVNUMMER:
                errors["patient_id"] = NOT_RESERV_SV
                reserv = None
    new_value = None
    if not values["personnummer"]:
        errors["personnummer"] = "Fyll i personnumret från handlingen."
    elif reserv is not None:
        try:
            new_value = complete_personnummer(
                reserv, values["personnummer"], profile=ui.profile
            ).value
        except (InvalidIdentity, BirthDateMismatch) as exc:
            errors["personnummer"] = exc.message
    if values["identity_checked"] != "1":
        errors["identity_checked"] = NOT_CHECKED_SV
    if errors or reserv is None or new_value is None:
        return _page(ui, request, values, errors, status_code=400)
    if ui.login_block_sv():
        return _page(ui, request, values, status_code=409)
    protected = values["protected"] == "1"
    job = Job(
        kind=JobKind.COMPLETE,
        work=complete_work(reserv.value, new_value, identity_checked=True, protected=protected),
        # Protected: no evidence, and nothing on the OS clipboard (managers keep a history).
        after=[audit_hook(ui.audit, actor=ui.actor, accounts=ui.accounts)]
        if protected
        else [clipboard_hook(ui.jobs), audit_hook(ui.audit, actor=ui.actor, accounts=ui.accounts)],
        ref=reserv.value,
    )
    ui.jobs.submit(job)
    return RedirectResponse(f"/jobb/{job.id}", status_code=303)
