"""Access control for the attended web app: a secret token, a host check and CSRF protection.

The app listens on loopback only, but other local programs and any website the clerk visits can
still reach 127.0.0.1. So, as Jupyter does, every request must carry a random token: the URL
printed at start holds it as ``?token=``; the first visit moves it into an HttpOnly,
SameSite=Strict cookie and redirects to the same URL without it (so it does not linger in the
address bar or in Referer headers). Requests with neither a valid token nor the cookie get 403.

State-changing requests (POST) additionally need:
- an ``Origin`` (or, failing that, ``Referer``) naming this very app, so a page on another
  origin cannot submit forms here even if the browser attached the cookie, and
- the per-app CSRF token in a hidden form field ``csrf`` (synchroniser-token pattern).

The ``Host`` header must name loopback, which defeats DNS-rebinding attacks.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
TOKEN_QUERY = "token"  # noqa: S105 - the query parameter's name, not a secret
CSRF_FIELD = "csrf"

FORBIDDEN_HTML = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Åtkomst nekad</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem;
 margin: 2rem auto; padding: 0 1rem">
<h1>Åtkomst nekad</h1>
<p>{message}</p>
</body></html>"""

NO_TOKEN_SV = (
    "Sidan kräver den hemliga länken som visades när reservnummerroboten startades. "  # noqa: S105
    "Öppna den länken (med <code>?token=</code>) eller starta om med "
    "<code>reservrobot ui</code>."
)
BAD_HOST_SV = "Sidan får bara öppnas via 127.0.0.1 eller localhost på den här datorn."
BAD_ORIGIN_SV = "Begäran kom inte från reservnummerrobotens egen sida och har stoppats."
BAD_CSRF_SV = (
    "Formuläret saknar giltig säkerhetskod (det kan vara för gammalt). "
    "Ladda om sidan och försök igen."
)


def forbidden(message_sv: str) -> HTMLResponse:
    """A 403 page in Swedish."""
    return HTMLResponse(FORBIDDEN_HTML.format(message=message_sv), status_code=403)


def cookie_name(port: int | None) -> str:
    """Cookie name per port: cookies ignore ports, and two app instances must not collide."""
    return f"reservrobot_ui_{port or 0}"


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if ":" in host_header else host_header


class TokenGuard:
    """ASGI middleware: loopback Host, token (query or cookie), same-origin POSTs."""

    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self._token = token

    def _valid(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(
            str(candidate).encode(), self._token.encode()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = self._check(request)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check(self, request: Request) -> Response | None:
        host = request.headers.get("host", "")
        if _host_name(host).lower() not in LOOPBACK_HOSTS:
            return forbidden(BAD_HOST_SV)
        port = request.url.port
        name = cookie_name(port)
        query_token = request.query_params.get(TOKEN_QUERY)
        if query_token is not None and self._valid(query_token):
            # First visit: move the token into the cookie and drop it from the URL.
            rest = [(k, v) for k, v in parse_qsl(request.url.query) if k != TOKEN_QUERY]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(
                name, self._token, httponly=True, samesite="strict", path="/", secure=False
            )
            return redirect
        if not self._valid(request.cookies.get(name)):
            return forbidden(NO_TOKEN_SV)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request):
            return forbidden(BAD_ORIGIN_SV)
        return None


def same_origin(request: Request) -> bool:
    """True when the request's Origin (or Referer) is this app's own scheme://host:port."""
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.lower() == own
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == own
    return False


class Csrf:
    """The per-app synchroniser token put into every form as a hidden field."""

    def __init__(self, value: str) -> None:
        self.value = value

    def check(self, form: FormData) -> None:
        """Raise 403 unless the form carries this app's CSRF token."""
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), self.value.encode()):
            raise HTTPException(status_code=403, detail=BAD_CSRF_SV)

    async def form(self, request: Request) -> FormData:
        """Read the request's form and check its CSRF token."""
        form = await request.form()
        self.check(form)
        return form
