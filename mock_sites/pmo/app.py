"""The mock PMO: search patients by birth date, view, register and change them.

Built by ``create_app(db_path=..., config=PmoConfig(...))``; no module-level app.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mock_sites.anomalies import plant
from mock_sites.common.auth import current_user
from mock_sites.common.clock import SiteClock
from mock_sites.common.db import Database
from mock_sites.common.faults import FaultState
from mock_sites.common.qa import QaHooks
from mock_sites.common.site import build_site
from mock_sites.common.templating import inline_script, make_templates
from mock_sites.common.validation import FormErrors, load_field_rules
from mock_sites.pmo.config import PmoConfig
from mock_sites.pmo.form import FIELDS, parse_patient_form
from mock_sites.pmo.layouts import LAYOUTS
from mock_sites.pmo.patient_id import PatientIdRule
from mock_sites.pmo.postnummer import table_for_page
from mock_sites.pmo.store import SCHEMA, PatientIdTaken, PatientStore
from mock_sites.rns.numbers import NumberFormat
from mock_sites.seed import build_world

HERE = Path(__file__).parent
SEARCH_PATH = "/sok"
REGISTER_PATH = "/registrera"
DUPLICATE = "Patient-ID finns redan. Sök fram patienten i stället för att registrera den igen."


def _search_date(ar: str, manad: str, dag: str) -> tuple[str | None, str | None]:
    """(ÅÅÅÅMMDD, None) for a real date, else (None, Swedish error)."""
    if not (ar or manad or dag):
        return None, None
    if not (ar and manad and dag):
        return None, "Ange år, månad och dag för att söka."
    if not (
        re.fullmatch(r"[0-9]{4}", ar)
        and re.fullmatch(r"[0-9]{1,2}", manad)
        and re.fullmatch(r"[0-9]{1,2}", dag)
    ):
        return None, "Skriv år med fyra siffror och månad och dag med siffror."
    try:
        found = date(int(ar), int(manad), int(dag))
    except ValueError:
        return None, "Datumet finns inte. Kontrollera år, månad och dag."
    return f"{found:%Y%m%d}", None


def create_app(*, db_path: Path, config: PmoConfig) -> Starlette:
    """The PMO app on the SQLite file ``db_path`` (seeded when empty)."""
    if config.layout not in LAYOUTS:
        raise ValueError(f"unknown PMO layout {config.layout!r}")
    labels = LAYOUTS[config.layout]
    rule = PatientIdRule.for_region(config.region, config.config_dir)
    field_rules = load_field_rules(config.config_dir, config.region, "pmo")
    store = PatientStore(Database(db_path, SCHEMA), rule)

    number_format = NumberFormat.for_region(config.region, config.config_dir)

    def seed_rows() -> tuple[dict[str, Any], ...]:
        rows = build_world(config.data_seed, config.seed_size, number_format).patients
        if config.anomalies_from:
            first = date.fromisoformat(config.anomalies_from)
            rows += plant(first, number_format).patients
        return rows

    def add_anomalies(first: date) -> dict[str, Any]:
        planted = plant(first, number_format)
        store.replace_all([*store.all(), *planted.patients])
        return planted.manifest

    if store.count() == 0:
        store.replace_all(seed_rows())
    templates = make_templates([HERE / "templates" / (labels.templates or config.layout)])
    clock = SiteClock()
    faults = FaultState(config.faults)
    postnummer = table_for_page()
    form_js = inline_script(HERE / "static" / "pmo.js")

    def page_context(request: Request) -> dict[str, Any]:
        user = config.user(request.session.get("user", ""))
        path = request.url.path
        nav = [
            {"href": SEARCH_PATH, "label": labels.nav_search, "current": path == SEARCH_PATH},
            {"href": REGISTER_PATH, "label": labels.nav_register, "current": path == REGISTER_PATH},
        ]
        if config.layout == "b":
            nav.reverse()
        return {
            "site_name": "PMO",
            "site_key": "pmo",
            "user": user,
            "nav": nav,
            "L": labels,
            "extra_css": ["/static/pmo/pmo.css"],
        }

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(
            request, name, {**page_context(request), **context}, status_code=status_code
        )

    def not_found(request: Request) -> Response:
        return render(
            request,
            "error.html",
            status_code=404,
            heading="Patienten finns inte",
            message=f"Det finns ingen patient med det {labels.patient_id}:t.",
        )

    def render_form(
        request: Request,
        *,
        heading: str,
        action: str,
        values: dict[str, str],
        errors: FormErrors,
        status_code: int = 200,
    ) -> Response:
        return render(
            request,
            "form.html",
            status_code=status_code,
            heading=heading,
            action=action,
            v=values,
            errors=errors,
            js_pattern=rule.js_pattern,
            ask_birth_date=not rule.has_birth_date,
            postnummer=postnummer,
            form_js=form_js,
        )

    async def home(request: Request) -> Response:
        return RedirectResponse(SEARCH_PATH, status_code=303)

    async def search(request: Request) -> Response:
        query = {k: request.query_params.get(k, "").strip()[:10] for k in ("ar", "manad", "dag")}
        key, error = _search_date(query["ar"], query["manad"], query["dag"])
        results = store.by_birth_date(key) if key else None
        return render(request, "sok.html", q=query, error=error, results=results)

    async def register_form(request: Request) -> Response:
        empty = dict.fromkeys(FIELDS, "")
        return render_form(
            request,
            heading="Registrera patient",
            action=REGISTER_PATH,
            values=empty,
            errors=FormErrors(),
        )

    async def register_submit(request: Request) -> Response:
        form = await request.form()
        values, errors = parse_patient_form(form, rule=rule, labels=labels, rules=field_rules)
        if not errors:
            try:
                store.create(
                    values, now=clock.iso_now(), user=current_user(request, config).username
                )
            except PatientIdTaken:
                errors.add("patient_id", DUPLICATE, "patient_id_taken")
            else:
                return RedirectResponse(_patient_url(values["patient_id"], saved=True), 303)
        return render_form(
            request,
            heading="Registrera patient",
            action=REGISTER_PATH,
            values=values,
            errors=errors,
            status_code=422,
        )

    async def patient_page(request: Request) -> Response:
        patient = store.get(request.path_params["patient_id"])
        if patient is None:
            return not_found(request)
        saved = request.query_params.get("sparad") == "1"
        return render(
            request,
            "patient.html",
            p=patient,
            saved=saved,
            ask_birth_date=not rule.has_birth_date,
        )

    async def edit_form(request: Request) -> Response:
        patient = store.get(request.path_params["patient_id"])
        if patient is None:
            return not_found(request)
        values = {name: str(patient[name]) for name in FIELDS}
        values["birth_date"] = str(patient["birth_key"])
        return render_form(
            request,
            heading="Ändra patientdata",
            action=_edit_url(patient["patient_id"]),
            values=values,
            errors=FormErrors(),
        )

    async def edit_submit(request: Request) -> Response:
        patient_id = request.path_params["patient_id"]
        if store.get(patient_id) is None:
            return not_found(request)
        form = await request.form()
        values, errors = parse_patient_form(form, rule=rule, labels=labels, rules=field_rules)
        if not errors:
            try:
                store.update(
                    patient_id,
                    values,
                    now=clock.iso_now(),
                    user=current_user(request, config).username,
                )
            except PatientIdTaken:
                errors.add("patient_id", DUPLICATE, "patient_id_taken")
            else:
                return RedirectResponse(_patient_url(values["patient_id"], saved=True), 303)
        return render_form(
            request,
            heading="Ändra patientdata",
            action=_edit_url(patient_id),
            values=values,
            errors=errors,
            status_code=422,
        )

    hooks = QaHooks(
        records=lambda: {"patients": store.all()},
        reset=lambda: store.replace_all(seed_rows()),
        plant=add_anomalies,
    )
    routes = [
        Route("/", home),
        Route(SEARCH_PATH, search),
        Route(REGISTER_PATH, register_form, methods=["GET"]),
        Route(REGISTER_PATH, register_submit, methods=["POST"]),
        Route("/patient/{patient_id}", patient_page),
        Route("/patient/{patient_id}/andra", edit_form, methods=["GET"]),
        Route("/patient/{patient_id}/andra", edit_submit, methods=["POST"]),
    ]
    return build_site(
        key="pmo",
        config=config,
        routes=routes,
        faults=faults,
        clock=clock,
        templates=templates,
        page_context=page_context,
        home=SEARCH_PATH,
        hooks=hooks,
        store=store,
        static_dir=HERE / "static",
    )


def _patient_url(patient_id: str, *, saved: bool = False) -> str:
    url = f"/patient/{quote(patient_id, safe='')}"
    return f"{url}?sparad=1" if saved else url


def _edit_url(patient_id: str) -> str:
    return _patient_url(patient_id) + "/andra"
