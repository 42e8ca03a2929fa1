"""The mock Reservnummersystemet: search by birth date, create reservnummer, a manual.

Built by ``create_app(db_path=..., config=RnsConfig(...))``; no module-level app. Like the real
system it never refuses a second reservnummer for the same person: searching first is the
user's (and the robot's) job.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

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
from mock_sites.common.templating import make_templates
from mock_sites.common.validation import (
    FormErrors,
    birth_date_field,
    choice_field,
    load_field_rules,
    name_field,
    text_field,
)
from mock_sites.rns.config import RnsConfig
from mock_sites.rns.numbers import NumberFormat
from mock_sites.rns.store import SCHEMA, PersonStore, SerialsExhausted
from mock_sites.seed import build_world

HERE = Path(__file__).parent
SEARCH_PATH = "/sok"
CREATE_PATH = "/skapa"
DONE_PATH = "/skapa/klart"
MANUAL_PATH = "/manual"
# Okänt (X) is offered always; a format that cannot say it refuses it (mock_sites/README.md).
SEXES = ("M", "K", "X")


def create_app(*, db_path: Path, config: RnsConfig) -> Starlette:
    """The RNS app on the SQLite file ``db_path`` (seeded when empty)."""
    number_format = NumberFormat.for_region(config.region, config.config_dir)
    store = PersonStore(Database(db_path, SCHEMA), number_format)
    field_rules = load_field_rules(config.config_dir, config.region, "rns")

    def seed_rows() -> tuple[dict[str, Any], ...]:
        rows = build_world(config.data_seed, config.seed_size, number_format).persons
        if config.anomalies_from:
            first = date.fromisoformat(config.anomalies_from)
            rows += plant(first, number_format).persons
        return rows

    def add_anomalies(first: date) -> dict[str, Any]:
        planted = plant(first, number_format)
        store.replace_all([*store.all(), *planted.persons])
        return planted.manifest

    if store.count() == 0:
        store.replace_all(seed_rows())
    templates = make_templates([HERE / "templates"])
    clock = SiteClock()
    faults = FaultState(config.faults)

    def page_context(request: Request) -> dict[str, Any]:
        path = request.url.path
        links = ((SEARCH_PATH, "Sök"), (CREATE_PATH, "Skapa reservnummer"), (MANUAL_PATH, "Manual"))
        nav = [{"href": href, "label": label, "current": path == href} for href, label in links]
        return {
            "site_name": "Reservnummersystemet",
            "site_key": "rns",
            "user": config.user(request.session.get("user", "")),
            "nav": nav,
        }

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(
            request, name, {**page_context(request), **context}, status_code=status_code
        )

    def today() -> date:
        return datetime.fromtimestamp(clock.now(), UTC).date()

    async def home(request: Request) -> Response:
        return RedirectResponse(SEARCH_PATH, status_code=303)

    async def search(request: Request) -> Response:
        params = request.query_params
        submitted = "fodelsedatum" in params or "namn" in params
        query = {"fodelsedatum": params.get("fodelsedatum", ""), "namn": params.get("namn", "")}
        errors = FormErrors()
        results = None
        if submitted:
            birth = birth_date_field(
                errors, "fodelsedatum", "Födelsedatum", query["fodelsedatum"], today=today()
            )
            name = text_field(errors, "namn", "Namn", query["namn"])
            if birth is not None and not errors:
                results = store.search(birth, name)
        return render(
            request,
            "sok.html",
            q=query,
            errors=errors,
            results=results,
            status_code=422 if errors else 200,
        )

    def render_create(
        request: Request, values: dict[str, str], errors: FormErrors, status_code: int = 200
    ) -> Response:
        return render(request, "skapa.html", v=values, errors=errors, status_code=status_code)

    async def create_form(request: Request) -> Response:
        empty = {"fodelsedatum": "", "sex": "", "family_name": "", "given_names": ""}
        return render_create(request, empty, FormErrors())

    async def create_submit(request: Request) -> Response:
        form = await request.form()
        raw = {
            k: v if isinstance(v := form.get(k), str) else ""
            for k in ("fodelsedatum", "sex", "family_name", "given_names")
        }
        errors = FormErrors()
        birth = birth_date_field(
            errors, "fodelsedatum", "Födelsedatum", raw["fodelsedatum"], today=today()
        )
        sex = choice_field(errors, "sex", "kön (Man, Kvinna eller Okänt)", raw["sex"], SEXES)
        if sex == "X" and not number_format.takes_unknown_sex:
            errors.add(
                "sex",
                "Det här reservnummerformatet kan inte ange okänt kön: välj Man eller Kvinna.",
                "sex_unknown_not_allowed",
            )
        family = name_field(
            errors, "family_name", "Efternamn", raw["family_name"], field_rules.get("family_name")
        )
        given = name_field(
            errors, "given_names", "Förnamn", raw["given_names"], field_rules.get("given_names")
        )
        if birth is not None and not errors:
            try:
                number = store.create_reservnummer(
                    birth_date=birth,
                    sex=sex,
                    family_name=family,
                    given_names=given,
                    now=clock.iso_now(),
                    user=current_user(request, config).username,
                )
            except SerialsExhausted:
                errors.add(
                    "fodelsedatum",
                    "Det finns inga fler reservnummer för det datumet.",
                    "serials_exhausted",
                )
            else:
                return RedirectResponse(f"{DONE_PATH}?{urlencode({'nummer': number})}", 303)
        values = {**raw, "sex": sex}
        return render_create(request, values, errors, status_code=422)

    async def created(request: Request) -> Response:
        person = store.by_number(request.query_params.get("nummer", "")[:20])
        if person is None or person["id_type"] != "Reservnummer":
            return render(
                request,
                "error.html",
                status_code=404,
                heading="Reservnumret finns inte",
                message="Det finns inget sådant reservnummer.",
            )
        return render(request, "klart.html", p=person)

    async def manual(request: Request) -> Response:
        return render(request, "manual.html")

    hooks = QaHooks(
        records=lambda: {"persons": store.all()},
        reset=lambda: store.replace_all(seed_rows()),
        plant=add_anomalies,
    )
    routes = [
        Route("/", home),
        Route(SEARCH_PATH, search),
        Route(CREATE_PATH, create_form, methods=["GET"]),
        Route(CREATE_PATH, create_submit, methods=["POST"]),
        Route(DONE_PATH, created),
        Route(MANUAL_PATH, manual),
    ]
    return build_site(
        key="rns",
        config=config,
        routes=routes,
        faults=faults,
        clock=clock,
        templates=templates,
        page_context=page_context,
        home=SEARCH_PATH,
        hooks=hooks,
        store=store,
    )
