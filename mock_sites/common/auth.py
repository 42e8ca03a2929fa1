"""Login, logout and the session guard (with the idle timeout fault) shared by the sites.

Every page except the login page needs a session. A request without one is sent to
``/login?next=<path and query>``, and after a successful login the user lands where they were,
as the real systems do after a session times out.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_sites.common.clock import SiteClock
from mock_sites.common.config import SiteConfig, User
from mock_sites.common.faults import FaultState
from mock_sites.common.validation import MAX_LENGTH

PUBLIC_PATHS = frozenset({"/login", "/logout", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/", "/_mock/")
WRONG_LOGIN = "Fel användarnamn eller lösenord. Försök igen."
EMPTY_LOGIN = "Ange både användarnamn och lösenord."
EXPIRED = "Du har loggats ut eftersom du varit inaktiv för länge. Logga in igen."


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    if parts.path in PUBLIC_PATHS:
        return default
    return target


def login_url(next_target: str, *, expired: bool = False) -> str:
    query = {"next": next_target}
    if expired:
        query["utloggad"] = "1"
    return "/login?" + urlencode(query)


def current_user(request: Request, config: SiteConfig) -> User:
    """The logged-in user; the session guard makes sure there is one."""
    user = config.user(request.session.get("user", ""))
    if user is None:  # pragma: no cover - the guard redirects first
        raise RuntimeError("no logged-in user")
    return user


class SessionGuardMiddleware:
    """Redirects requests without a live session to the login page.

    Runs inside Starlette's SessionMiddleware. A session idle for longer than the fault setting
    ``session_timeout_s`` is cleared first, so the user meets the login page mid-task.
    """

    def __init__(
        self, app: ASGIApp, *, config: SiteConfig, faults: FaultState, clock: SiteClock
    ) -> None:
        self.app = app
        self.config = config
        self.faults = faults
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        now = self.clock.now()
        timeout = self.faults.current.session_timeout_s
        expired = False
        if session.get("user") and timeout and now - float(session.get("seen", now)) > timeout:
            session.clear()
            expired = True
        if self.config.user(session.get("user", "")) is None:
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            response = RedirectResponse(login_url(target, expired=expired), status_code=303)
            await response(scope, receive, send)
            return
        session["seen"] = now
        await self.app(scope, receive, send)


def login_routes(
    *,
    config: SiteConfig,
    templates: Jinja2Templates,
    clock: SiteClock,
    home: str,
    page_context: Callable[[Request], dict[str, object]],
    faults: FaultState | None = None,
) -> list[Route]:
    """``/login`` (GET form, POST check) and ``/logout`` for one site.

    With the fault ``login_password_as_text`` the form's password field is a plain text field
    (a drifted login page)."""

    def drifted() -> bool:
        return faults is not None and faults.current.login_password_as_text

    def render(request: Request, *, error: str | None, username: str, next_target: str) -> Response:
        context = {
            **page_context(request),
            "error": error,
            "username": username,
            "next": next_target,
            "expired": request.query_params.get("utloggad") == "1" and error is None,
            "expired_message": EXPIRED,
            "password_type": "text" if drifted() else "password",
        }
        return templates.TemplateResponse(request, "login.html", context)

    async def login_page(request: Request) -> Response:
        next_target = safe_next(request.query_params.get("next"), home)
        return render(request, error=None, username="", next_target=next_target)

    async def login_submit(request: Request) -> Response:
        form = await request.form()
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        next_target = safe_next(str(form.get("next", "")), home)
        shown_name = username if len(username) <= MAX_LENGTH else ""
        if not username or not password:
            return render(request, error=EMPTY_LOGIN, username=shown_name, next_target=next_target)
        user = config.user(username)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            return render(request, error=WRONG_LOGIN, username=shown_name, next_target=next_target)
        request.session.clear()
        request.session["user"] = user.username
        request.session["seen"] = clock.now()
        return RedirectResponse(next_target, status_code=303)

    async def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["GET", "POST"]),
    ]
