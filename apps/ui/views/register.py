"""Registrera ny patient: the form, the live group suggestion and the start of a robot job."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from apps.ui import forms
from apps.ui.context import UiContext, ui_of
from apps.ui.jobs import Job, JobKind
from apps.ui.work import audit_hook, clipboard_hook, registration_work
from flows.rules.request import RequestInvalid, parse_request
from flows.rules.vocabulary import PROTECTED_HELP_SV, PROTECTED_SV


def _page(
    ui: UiContext,
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    choice = forms.suggest(values, groups=ui.groups, countries=ui.countries)
    errors = errors or {}
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "error_list": forms.error_list(errors),
        "countries": ui.country_options,
        "citizenship_options": forms.citizenship_options(ui.country_options),
        "auto_label": choice.auto_label,
        "address_country_name": _country_name(ui, forms.address_country(values, choice)),
        "shows_options": forms.SHOWS_OPTIONS,
        "group_list": list(ui.groups.values()),
        "suggested_group": choice.suggested,
        "suggestion_reason": choice.reason_sv,
        "effective_group": choice.effective,
        "address_mode": choice.address_mode,
        "group_json": forms.group_json(ui.groups),
        "protected_sv": PROTECTED_SV,
        "protected_help_sv": PROTECTED_HELP_SV,
    }
    return ui.render(request, "register.html", context, status_code=status_code, nav="register")


def _country_name(ui: UiContext, code: str) -> str:
    if not code:
        return "välj boendeland ovan"
    return dict(ui.country_options).get(code, code)


async def register_form(request: Request) -> Response:
    ui = ui_of(request)
    return _page(ui, request, forms.default_register_values())


async def register_submit(request: Request) -> Response:
    ui = ui_of(request)
    form = await ui.csrf.form(request)
    values = forms.form_values(form, forms.REGISTER_FIELDS)
    values["protected"] = "1" if values.get("protected") else ""
    if form.get("action") == "suggest":
        return _page(ui, request, values)
    choice = forms.suggest(values, groups=ui.groups, countries=ui.countries)
    errors = forms.form_checks(values, choice)
    try:
        registration = parse_request(
            forms.request_data(values, choice),
            groups=ui.groups,
            rules=ui.profile.field_rules,
            countries=ui.countries,
        )
    except RequestInvalid as exc:
        for err in exc.errors:
            errors.setdefault(forms.map_domain_field(err.field), err.message_sv)
        registration = None
    if errors or registration is None:
        return _page(ui, request, values, errors, status_code=400)
    if ui.login_block_sv():
        # The button is disabled; a form sent anyway (an old tab) starts nothing either.
        return _page(ui, request, values, status_code=409)
    job = Job(
        kind=JobKind.REGISTER,
        work=registration_work(registration, []),
        after=[clipboard_hook(ui.jobs), audit_hook(ui.audit, actor=ui.actor, accounts=ui.accounts)],
        request=registration,
        ref=registration.external_ref or registration.fingerprint(),
    )
    ui.jobs.submit(job)
    return RedirectResponse(f"/jobb/{job.id}", status_code=303)


async def suggestion_api(request: Request) -> Response:
    """GET /api/forslag: the suggested group for the facts entered so far (no state change)."""
    ui = ui_of(request)
    values = forms.form_values(request.query_params, ("citizenship", "residence_country", "shows"))
    choice = forms.suggest(values, groups=ui.groups, countries=ui.countries)
    suggestion = choice.suggestion
    return JSONResponse(
        {
            "group_key": suggestion.group_key if suggestion else None,
            "auto_label": choice.auto_label,
            "reason_sv": choice.reason_sv,
            "needs_person": suggestion.needs_person if suggestion else False,
        },
        headers={"Cache-Control": "no-store"},
    )
