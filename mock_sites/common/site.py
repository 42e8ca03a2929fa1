"""Assembles one mock site: its routes plus login, QA endpoints, static files and middleware."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from mock_sites.common.auth import SessionGuardMiddleware, login_routes
from mock_sites.common.clock import SiteClock
from mock_sites.common.config import SiteConfig
from mock_sites.common.faults import FaultsMiddleware, FaultState
from mock_sites.common.qa import QaHooks, qa_routes
from mock_sites.common.templating import COMMON_STATIC


def build_site(
    *,
    key: str,
    config: SiteConfig,
    routes: Sequence[BaseRoute],
    faults: FaultState,
    clock: SiteClock,
    templates: Jinja2Templates,
    page_context: Callable[[Request], dict[str, object]],
    home: str,
    hooks: QaHooks,
    store: Any,
    static_dir: Path | None = None,
) -> Starlette:
    """A Starlette app for site ``key`` (cookie ``<key>_session``): ``/login`` and ``/logout``
    (back to ``home`` after login), the QA endpoints of ``hooks``, then the site's ``routes``;
    its ``store`` is ``app.state.store``.

    Middleware, outermost first: faults (latency, HTTP 500s), the signed session cookie, then
    the session guard that sends visitors without a live session to the login page.
    """
    mounts: list[BaseRoute] = [Route("/favicon.ico", _no_favicon)]
    if static_dir is not None:
        mounts.append(
            Mount(f"/static/{key}", StaticFiles(directory=static_dir), name="site_static")
        )
    mounts.append(Mount("/static", StaticFiles(directory=COMMON_STATIC), name="static"))
    login = login_routes(
        config=config,
        templates=templates,
        clock=clock,
        home=home,
        page_context=page_context,
        faults=faults,
    )
    app = Starlette(
        routes=[*login, *qa_routes(hooks=hooks, faults=faults, clock=clock), *routes, *mounts],
        middleware=[
            Middleware(FaultsMiddleware, state=faults),
            Middleware(
                SessionMiddleware,
                secret_key=config.session_secret,
                session_cookie=f"{key}_session",
                max_age=None,
                same_site="lax",
            ),
            Middleware(SessionGuardMiddleware, config=config, faults=faults, clock=clock),
        ],
    )
    app.state.store = store
    return app


async def _no_favicon(request: Request) -> Response:
    """No icon, and no 404 in the browser console."""
    return Response(status_code=204)
