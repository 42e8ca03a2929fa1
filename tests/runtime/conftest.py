"""Fixtures of the runtime tests: a tiny local site over HTTP and settings pointing at it."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from robot.settings import Settings

# A page with a field, a button and a login wall: enough for sessions, tracing and clipboard.
_LOGIN = """<!doctype html><html lang="sv"><title>Logga in</title>
<form method="post" action="/login"><label>Användarnamn <input name="user"></label>
<button>Logga in</button></form></html>"""
_HOME = """<!doctype html><html lang="sv"><title>Start</title>
<h1>Välkommen</h1><label>Patient-ID <input id="pid" value=""></label>
<button id="go" onclick="document.querySelector('#out').textContent='klar'">Spara</button>
<p id="out"></p></html>"""


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self,
        body: str,
        *,
        status: HTTPStatus = HTTPStatus.OK,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/favicon.ico":
            self._send("", status=HTTPStatus.NOT_FOUND)
        elif path == "/plain":
            self._send(_HOME)
        elif self.path == "/login":
            self._send(_LOGIN)
        elif "session=ok" in (self.headers.get("Cookie") or ""):
            self._send(_HOME)
        else:
            self._send("", status=HTTPStatus.SEE_OTHER, headers={"Location": "/login"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._send(
            "",
            status=HTTPStatus.SEE_OTHER,
            headers={"Location": "/", "Set-Cookie": "session=ok; Path=/; HttpOnly"},
        )


class LocalSiteServer(ThreadingHTTPServer):
    """The local site's server; a browser closing mid-response is not an error here."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def local_site() -> Iterator[str]:
    """Base URL of a tiny site with a login wall, served from a thread on a free port."""
    server = LocalSiteServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def runtime_settings(local_site: str, tmp_path: Path) -> Settings:
    """Settings whose three sites all point at the local site, with private folders in tmp."""
    return Settings(
        pmo_url=local_site,
        rns_url=local_site,
        plexus_url=local_site,
        data_dir=tmp_path / "data",
        timeout_ms=2_000,
        navigation_timeout_ms=5_000,
        headless=True,
    )


@pytest.fixture
def settings_values(settings_values: dict[str, Any], store_dsn: str) -> dict[str, Any]:
    """The runtime's tests of the store run on each store: SQLite files, then PostgreSQL."""
    return {**settings_values, "store_dsn": store_dsn}
