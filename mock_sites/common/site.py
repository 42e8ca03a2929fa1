"""Assembles one mock site: its routes plus login, QA endpoints, static files and middleware."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mock_sites.common.auth import SessionGuardMiddleware
from mock_sites.common.clock import SiteClock
from mock_sites.common.config import SiteConfig
from mock_sites.common.faults import FaultsMiddleware, FaultState
from mock_sites.common.templating import COMMON_STATIC


def build_site(
    *,
    key: str,
    config: SiteConfig,
    routes: Sequence[BaseRoute],
    faults: FaultState,
    clock: SiteClock,
    static_dir: Path | None = None,
) -> Starlette:
    """A Starlette app for site ``key`` (cookie ``<key>_session``).

    Middleware, outermost first: faults (latency, HTTP 500s), the signed session cookie, then
    the session guard that sends visitors without a live session to the login page.
    """
    mounts: list[BaseRoute] = [Route("/favicon.ico", _no_favicon)]
    if static_dir is not None:
        mounts.append(
            Mount(f"/static/{key}", StaticFiles(directory=static_dir), name="site_static")
        )
    mounts.append(Mount("/static", StaticFiles(directory=COMMON_STATIC), name="static"))
    return Starlette(
        routes=[*routes, *mounts],
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


async def _no_favicon(request: Request) -> Response:
    """No icon, and no 404 in the browser console."""
    return Response(status_code=204)
