"""The mock Plexus: a start page with "Mina favoriter" and the "IT-system" list.

Built by ``create_app(db_path=..., config=PlexusConfig(...))``; no module-level app. The demo
user starts without Reservnummersystemet among the favourites, so the routine's "add it with
the pen" path is always there to take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mock_sites.common.auth import current_user
from mock_sites.common.clock import SiteClock
from mock_sites.common.db import Database
from mock_sites.common.faults import FaultState
from mock_sites.common.qa import QaHooks
from mock_sites.common.site import build_site
from mock_sites.common.templating import inline_script, make_templates
from mock_sites.common.validation import fold
from mock_sites.plexus.config import PlexusConfig
from mock_sites.plexus.store import SCHEMA, FavouriteStore
from mock_sites.plexus.systems import DEFAULT_FAVOURITES, systems_for

HERE = Path(__file__).parent
SYSTEMS_PATH = "/it-system"
SEED_TIME = "2024-01-08T08:00:00+00:00"


def create_app(*, db_path: Path, config: PlexusConfig) -> Starlette:
    """The Plexus app on the SQLite file ``db_path`` (seeded when empty)."""
    store = FavouriteStore(Database(db_path, SCHEMA))
    systems = systems_for(config)
    by_key = {s.key: s for s in systems}

    def seed_rows() -> list[dict[str, Any]]:
        return [
            {"username": user.username, "system_key": key, "added_at": SEED_TIME}
            for user in config.users
            for key in DEFAULT_FAVOURITES
        ]

    if store.count() == 0:
        store.replace_all(seed_rows())
    templates = make_templates([HERE / "templates"])
    clock = SiteClock()
    faults = FaultState(config.faults)
    toggle_js = inline_script(HERE / "static" / "plexus.js")

    def page_context(request: Request) -> dict[str, Any]:
        path = request.url.path
        nav = [
            {"href": "/", "label": "Start", "current": path == "/"},
            {"href": SYSTEMS_PATH, "label": "IT-system", "current": path == SYSTEMS_PATH},
        ]
        return {
            "site_name": "Plexus",
            "site_key": "plexus",
            "user": config.user(request.session.get("user", "")),
            "nav": nav,
            "extra_css": ["/static/plexus/plexus.css"],
        }

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(
            request, name, {**page_context(request), **context}, status_code=status_code
        )

    async def start(request: Request) -> Response:
        user = current_user(request, config)
        favourites = [by_key[k] for k in store.keys_for(user.username) if k in by_key]
        return render(request, "start.html", favourites=favourites, toggle_js=toggle_js)

    async def system_list(request: Request) -> Response:
        user = current_user(request, config)
        query = request.query_params.get("q", "")[:100]
        wanted = fold(query)
        shown = [s for s in systems if wanted in fold(s.name)] if wanted else list(systems)
        added = set(store.keys_for(user.username))
        just_added = by_key.get(request.query_params.get("tillagd", ""))
        return render(
            request, "it_system.html", systems=shown, added=added, q=query, just_added=just_added
        )

    async def add_favourite(request: Request) -> Response:
        user = current_user(request, config)
        form = await request.form()
        key = form.get("system")
        if not isinstance(key, str) or key not in by_key:
            return render(
                request,
                "error.html",
                status_code=400,
                heading="Okänt system",
                message="Systemet finns inte i listan.",
            )
        store.add(user.username, key, now=clock.iso_now())
        return RedirectResponse(f"{SYSTEMS_PATH}?{urlencode({'tillagd': key})}", 303)

    async def other_system(request: Request) -> Response:
        system = by_key.get(request.path_params["key"])
        if system is None or system.key in ("pmo", "rns"):
            return render(
                request,
                "error.html",
                status_code=404,
                heading="Sidan finns inte",
                message="Sidan finns inte.",
            )
        return render(request, "system.html", system=system)

    def records() -> dict[str, Any]:
        rows = store.all()
        for row in rows:
            system = by_key.get(row["system_key"])
            row["system_name"] = system.name if system else None
            row["url"] = system.url if system else None
        return {"favourites": rows}

    hooks = QaHooks(records=records, reset=lambda: store.replace_all(seed_rows()))
    routes = [
        Route("/", start),
        Route(SYSTEMS_PATH, system_list, methods=["GET"]),
        Route(f"{SYSTEMS_PATH}/lagg-till", add_favourite, methods=["POST"]),
        Route("/system/{key}", other_system),
    ]
    return build_site(
        key="plexus",
        config=config,
        routes=routes,
        faults=faults,
        clock=clock,
        templates=templates,
        page_context=page_context,
        home="/",
        hooks=hooks,
        store=store,
        static_dir=HERE / "static",
    )
