"""Access control for the attended web app: secret token, sessions, origin checks, CSRF.

The app listens on loopback only, but other local programs, other users of the same computer
and any website the clerk visits can still reach 127.0.0.1. So:

- **Getting in.** ``reservrobot ui`` prints a URL with the secret token (``?token=``) on the
  terminal, and opens the browser with a *one-time code* instead (``?kod=``: valid once, for two
  minutes), because a command line (``xdg-open URL``) is visible to every user in ``ps``. Either
  is exchanged for a new random session id, and the answer redirects to the same address
  without it, so neither lingers in the address bar, the history entry or a Referer.
- **The session.** The cookie holds only that random session id (never the token), HttpOnly
  and SameSite=Strict. Cookies are not isolated by port: a listener on another local port
  receives the cookie when the clerk's browser visits it. So the session id alone opens
  nothing from elsewhere:
  - every request must come from this app's own pages or straight from the user (the
    browser's ``Sec-Fetch-Site`` is ``same-origin`` or ``none``; a page on another port is
    ``same-site`` and refused), and must name this app's loopback host *and port* in ``Host``
    (which also defeats DNS rebinding);
  - on Linux the TCP peer must be a process of the same OS user as the app (looked up in
    ``/proc/net/tcp``), so another user who caught the id cannot replay it. A process of the
    clerk's own OS user can read the browser's cookie store anyway: the OS account is the
    boundary, as for every desktop program.
- **Changes.** POSTs need an ``Origin`` (or ``Referer``) naming this very app and the per-app
  CSRF token in the hidden form field ``csrf`` (synchroniser-token pattern).
- **Every answer** forbids framing (``Content-Security-Policy: frame-ancestors 'none'``,
  ``X-Frame-Options: DENY``) and, except the static files, caching (``Cache-Control:
  no-store``): the pages hold patient data.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from apps.ui.handoff import HANDOFF_HEADER, HANDOFF_PATH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
TOKEN_QUERY = "token"  # noqa: S105 - the query parameter's name, not a secret
CODE_QUERY = "kod"
CSRF_FIELD = "csrf"
CODE_TTL_S = 120.0
SESSION_IDLE_S = 12 * 3600.0
# What a page of this app (or the user typing, clicking a terminal link) makes the browser say.
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})
SECURITY_HEADERS = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
STATIC_PREFIX = "/static/"

FORBIDDEN_HTML = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Åtkomst nekad – Reservnummerroboten</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ margin: 0; color: #1b1b1b; font: 1.0625rem/1.5 system-ui, "Segoe UI", Arial, sans-serif; }}
header {{ background: #00507a; color: #fff; }}
.wrap {{ max-width: 62rem; margin: 0 auto; padding: 0.5rem 1rem; }}
.brand {{ font-weight: 700; margin: 0.25rem 0; }}
h1 {{ font-size: 1.75rem; }} h2 {{ font-size: 1.35rem; }}
</style></head>
<body>
<header><div class="wrap"><p class="brand">Reservnummerroboten</p></div></header>
<main id="main" class="wrap">
<h1>Åtkomst nekad</h1>
<p>{message}</p>
<h2>Gör så här</h2>
<ol>
<li>Dubbelklicka på genvägen Reservnummerroboten på skrivbordet. Körs roboten redan öppnas
den i webbläsaren med en ny inloggningslänk.</li>
<li>Hjälper inte det: kontakta den som sköter roboten.</li>
</ol>
</main>
</body></html>"""

NO_TOKEN_SV = (
    "Sidan kräver den hemliga länken som visades när reservnummerroboten startades. "  # noqa: S105
    "Öppna den länken igen, eller starta reservnummerroboten på nytt med genvägen på "
    "skrivbordet."
)
OLD_CODE_SV = (
    "Länken har redan använts eller är för gammal. Öppna den hemliga länken som visades när "
    "reservnummerroboten startades, eller starta reservnummerroboten på nytt med genvägen på "
    "skrivbordet."
)
BAD_HOST_SV = "Sidan får bara öppnas via 127.0.0.1 eller localhost på den här datorn."
BAD_ORIGIN_SV = "Begäran kom inte från reservnummerrobotens egen sida och har stoppats."
OTHER_USER_SV = "Sidan får bara öppnas av den användare som startade reservnummerroboten."
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


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class Access:
    """The app's secrets: the start token, one-time codes and the open sessions (thread-safe)."""

    def __init__(
        self,
        token: str,
        *,
        code_ttl_s: float = CODE_TTL_S,
        session_idle_s: float = SESSION_IDLE_S,
        clock: Callable[[], float] = time.monotonic,
        handoff_secret: str | None = None,
    ) -> None:
        if not token:
            raise ValueError("a token is required")
        self._token = token
        # Lets a second start of the app by the same OS user ask for a one-time code.
        self.handoff_secret = handoff_secret
        self._code_ttl_s = code_ttl_s
        self._session_idle_s = session_idle_s
        self._clock = clock
        self._codes: dict[str, float] = {}
        self._sessions: dict[str, float] = {}
        self._lock = threading.Lock()

    def token_valid(self, candidate: str | None) -> bool:
        return bool(candidate) and _same(str(candidate), self._token)

    def new_code(self) -> str:
        """A one-time code for the browser's first URL (valid once, for ``code_ttl_s``)."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = self._clock() + self._code_ttl_s
        return code

    def redeem_code(self, code: str | None) -> bool:
        """True (once) for a code from ``new_code`` that has not expired."""
        if not code:
            return False
        now = self._clock()
        with self._lock:
            expires = self._codes.pop(code, None)
            self._codes = {c: t for c, t in self._codes.items() if t > now}
        return expires is not None and expires > now

    def new_session(self) -> str:
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session] = self._clock()
        return session

    def session_valid(self, session: str | None) -> bool:
        """True for an open session (used within ``session_idle_s``); renews it."""
        if not session:
            return False
        now = self._clock()
        with self._lock:
            seen = self._sessions.get(session)
            if seen is None or now - seen > self._session_idle_s:
                self._sessions.pop(session, None)
                return False
            self._sessions[session] = now
        return True


def _host_and_port(host_header: str) -> tuple[str, int | None]:
    if host_header.startswith("["):
        name, _, rest = host_header.partition("]")
        name += "]"
        port_text = rest.removeprefix(":")
    elif ":" in host_header:
        name, _, port_text = host_header.rpartition(":")
    else:
        name, port_text = host_header, ""
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        port = -1
    return name.lower(), port


def peer_uid(client: tuple[str, int] | None, server: tuple[str, int] | None) -> int | None:
    """The OS user owning the client end of a loopback TCP connection (Linux), else None."""
    if client is None or server is None or not sys.platform.startswith("linux"):
        return None
    local, remote = f":{client[1]:04X}", f":{server[1]:04X}"
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 7 and fields[1].endswith(local) and fields[2].endswith(remote):
                return int(fields[7])
    return None


class TokenGuard:
    """ASGI middleware: security headers, loopback Host and port, session, same-origin use."""

    def __init__(self, app: ASGIApp, *, access: Access, own_uid: int | None = None) -> None:
        """``own_uid``: the OS user allowed to connect (default: the one running the app)."""
        self.app = app
        self.access = access
        getuid = getattr(os, "getuid", None)
        self._own_uid = own_uid if own_uid is not None else (getuid() if getuid else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = not str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not (no_store and k.lower() == b"cache-control")
                ]
                headers.extend(SECURITY_HEADERS)
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        request = Request(scope)
        response = self._check(request)
        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _check(self, request: Request) -> Response | None:
        server = request.scope.get("server")
        name, port = _host_and_port(request.headers.get("host", ""))
        if name not in LOOPBACK_HOSTS or (server is not None and port != server[1]):
            return forbidden(BAD_HOST_SV)
        if self._own_uid is not None:
            uid = peer_uid(request.scope.get("client"), server)
            if uid is not None and uid != self._own_uid:
                return forbidden(OTHER_USER_SV)
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.lower() not in ALLOWED_FETCH_SITES:
            return forbidden(BAD_ORIGIN_SV)
        if request.url.path == HANDOFF_PATH and request.method == "POST":
            # A second start of the app by the same OS user asks for a one-time code with the
            # secret of the private file this app left (apps/ui/handoff.py); no browser sends
            # that header, so a page cannot ask.
            secret = request.headers.get(HANDOFF_HEADER)
            if secret and self.access.handoff_secret and _same(secret, self.access.handoff_secret):
                return JSONResponse({"kod": self.access.new_code()})
            return forbidden(NO_TOKEN_SV)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request):
            return forbidden(BAD_ORIGIN_SV)
        name_of_cookie = cookie_name(server[1] if server else request.url.port)
        token = request.query_params.get(TOKEN_QUERY)
        code = request.query_params.get(CODE_QUERY)
        if token is not None or code is not None:
            if not (self.access.token_valid(token) or self.access.redeem_code(code)):
                if self.access.session_valid(request.cookies.get(name_of_cookie)):
                    return _without_secrets(request)  # an old link, but already signed in
                return forbidden(OLD_CODE_SV if code is not None else NO_TOKEN_SV)
            redirect = _without_secrets(request)
            redirect.set_cookie(
                name_of_cookie,
                self.access.new_session(),
                httponly=True,
                samesite="strict",
                path="/",
                secure=False,
            )
            return redirect
        if not self.access.session_valid(request.cookies.get(name_of_cookie)):
            return forbidden(NO_TOKEN_SV)
        return None


def _without_secrets(request: Request) -> RedirectResponse:
    """303 to the same address without ``token``/``kod`` (out of the address bar and history)."""
    rest = [(k, v) for k, v in parse_qsl(request.url.query) if k not in (TOKEN_QUERY, CODE_QUERY)]
    target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
    return RedirectResponse(target, status_code=303)


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
