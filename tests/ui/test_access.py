"""The app refuses anyone without the token, cross-site form posts and foreign Host headers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from apps.ui.security import Access, TokenGuard, cookie_name, peer_uid
from apps.ui.server import serve_in_thread
from mock_sites.testing import MockSites
from tests.ui.conftest import UiServer
from tests.ui.helpers import Screens


def _client() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=10.0, follow_redirects=False)


def _login(client: httpx.Client, server: UiServer) -> str:
    """Open the token URL; return the page's CSRF token."""
    first = client.get(server.url_with_token)
    assert first.status_code == 303
    page = client.get(server.base_url)
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_request_without_token_is_refused_with_403_in_swedish(ui_server: UiServer) -> None:
    with _client() as client:
        for path in ("", "komplettera", "att-hantera", "static/ui.css", "api/forslag"):
            response = client.get(ui_server.base_url + path)
            assert response.status_code == 403, path
            assert "Åtkomst nekad" in response.text
            assert "hemliga länken" in response.text
        wrong = client.get(ui_server.base_url + "?token=" + "x" * len(ui_server.token))
        assert wrong.status_code == 403


def test_token_in_url_becomes_httponly_strict_cookie_and_leaves_the_url(
    ui_server: UiServer,
) -> None:
    with _client() as client:
        first = client.get(ui_server.url_with_token)
        assert first.status_code == 303
        assert first.headers["location"] == "/"
        cookie = first.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert ui_server.token.lower() not in first.headers["location"].lower()
        again = client.get(ui_server.base_url)
        assert again.status_code == 200
        assert "Registrera ny patient" in again.text


def test_post_needs_csrf_token_and_same_origin(ui_server: UiServer) -> None:
    origin = ui_server.base_url.rstrip("/")
    with _client() as client:
        csrf = _login(client, ui_server)
        url = ui_server.base_url + "registrera"
        no_csrf = client.post(url, data={"action": "register"}, headers={"Origin": origin})
        assert no_csrf.status_code == 403
        assert "säkerhetskod" in no_csrf.text
        evil = client.post(
            url,
            data={"csrf": csrf, "action": "register"},
            headers={"Origin": "http://evil.example"},
        )
        assert evil.status_code == 403
        no_origin = client.post(url, data={"csrf": csrf, "action": "register"})
        assert no_origin.status_code == 403
        # The same post from the app's own page passes the checks (and fails validation).
        ok = client.post(url, data={"csrf": csrf, "action": "register"}, headers={"Origin": origin})
        assert ok.status_code == 400
        assert "Rätta uppgifterna" in ok.text


def test_foreign_host_header_is_refused_even_with_the_cookie(ui_server: UiServer) -> None:
    with _client() as client:
        _login(client, ui_server)
        response = client.get(
            ui_server.base_url, headers={"Host": f"evil.example:{ui_server.running.port}"}
        )
        assert response.status_code == 403


def test_browser_without_token_sees_swedish_refusal(
    page: Page, ui_server: UiServer, screens: Screens
) -> None:
    response = page.goto(ui_server.base_url)
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Åtkomst nekad")).to_be_visible()
    screens.shot(page, "90-atkomst-nekad", "Utan den hemliga länken: åtkomst nekad (403).")


def test_a_page_that_does_not_exist_says_so_in_swedish_and_passes_axe(
    app_page: Page, ui_server: UiServer, screens: Screens
) -> None:
    response = app_page.goto(ui_server.base_url + "finns-inte")
    assert response is not None and response.status == 404
    expect(app_page.locator("main")).to_contain_text("finns inte")
    screens.shot(app_page, "91-sidan-finns-inte", "En adress som inte finns (404).")


# -- The session: a random id, one-time codes, port-blind cookies, framing, caching ----------


class _Listener:
    """A plain HTTP server on another local port that records the Cookie headers it gets."""

    def __init__(self, body: str) -> None:
        self.cookies: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                listener.cookies.append(self.headers.get("Cookie") or "")
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _session_cookie(response: httpx.Response) -> tuple[str, str]:
    name, _, rest = response.headers["set-cookie"].partition("=")
    return name, rest.split(";", 1)[0]


def test_the_cookie_holds_a_fresh_random_session_id_never_the_token(ui_server: UiServer) -> None:
    with _client() as first_client, _client() as second_client:
        first = first_client.get(ui_server.url_with_token)
        second = second_client.get(ui_server.url_with_token)
    name, value = _session_cookie(first)
    assert name == f"reservrobot_ui_{ui_server.running.port}"
    assert value != ui_server.token and ui_server.token not in first.headers["set-cookie"]
    assert len(value) >= 40 and value != _session_cookie(second)[1]
    with _client() as client:
        client.cookies.set(name, ui_server.token)  # the token itself is no session
        assert client.get(ui_server.base_url).status_code == 403


def test_a_one_time_code_opens_the_app_once_and_leaves_the_address(ui_server: UiServer) -> None:
    url = ui_server.running.url_with_code()
    assert ui_server.token not in url and "?kod=" in url
    with _client() as client:
        first = client.get(url)
        assert first.status_code == 303 and first.headers["location"] == "/"
        assert client.get(ui_server.base_url).status_code == 200
    with _client() as stranger:
        again = stranger.get(url)
        assert again.status_code == 403
        assert "redan använts" in again.text


def test_every_answer_forbids_framing_and_patient_pages_are_never_cached(
    ui_server: UiServer,
) -> None:
    with _client() as client:
        refused = client.get(ui_server.base_url)
        redirect = client.get(ui_server.url_with_token)
        page = client.get(ui_server.base_url + "komplettera")
        static = client.get(ui_server.base_url + "static/ui.css")
    for response in (refused, redirect, page, static):
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"
    for response in (refused, redirect, page):
        assert response.headers["cache-control"] == "no-store"
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"


def test_a_page_on_another_local_port_gets_no_use_of_the_session(
    app_page: Page, ui_server: UiServer
) -> None:
    app = ui_server.base_url
    body = (
        f'<!doctype html><title>Annan</title><a href="{app}komplettera">Öppna</a>'
        f'<iframe name="app" src="{app}" width="600" height="300"></iframe>'
    )
    with _Listener(body) as listener:
        app_page.goto(listener.url)
        # Cookies ignore ports: the other port does receive the app's cookie ...
        sent = [c for c in listener.cookies if f"reservrobot_ui_{ui_server.running.port}=" in c]
        assert sent, listener.cookies
        assert all(ui_server.token not in c for c in listener.cookies)  # ... never the token
        # ... but the browser will not show the app in its frame ...
        frame = app_page.frame(name="app")
        assert frame is not None
        assert "Registrera ny patient" not in (frame.content() if frame.url.startswith(app) else "")
        # ... and going there from the other port's page opens nothing.
        with app_page.expect_navigation():
            app_page.get_by_role("link", name="Öppna").click()
        expect(app_page.get_by_role("heading", name="Åtkomst nekad")).to_be_visible()
        assert "egen sida" in app_page.content()
    # The app itself, opened by the user again, still works with the same session.
    app_page.goto(app)
    expect(app_page.get_by_role("heading", name="Registrera ny patient")).to_be_visible()


def test_a_session_id_replayed_by_another_os_user_is_refused() -> None:
    access = Access("the-token")

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hej")

    other_user = os.getuid() + 1  # the app runs as someone else than this test's connection
    app = Starlette(
        routes=[Route("/", hello)],
        middleware=[Middleware(TokenGuard, access=access, own_uid=other_user)],
    )
    same_user = Starlette(
        routes=[Route("/", hello)],
        middleware=[Middleware(TokenGuard, access=access)],
    )
    session = access.new_session()
    for target, expected in ((app, 403), (same_user, 200)):
        with serve_in_thread(target, token="the-token") as running, _client() as client:
            client.cookies.set(cookie_name(running.port), session)
            response = client.get(running.base_url)
            assert response.status_code == expected, response.text
    assert peer_uid(None, None) is None


def test_ps_never_shows_the_token_while_the_app_runs(mock_sites: MockSites, tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    fake_browser = tmp_path / "browser.sh"
    # webbrowser honours $BROWSER: a "browser" that records its command line and stays open.
    # Like xdg-open it returns at once, leaving a process whose command line holds the URL.
    fake_browser.write_text(
        f'#!/bin/sh\nsh -c \'sleep 60\' fake-browser "$1" &\necho "$1" > {opened}\n'
    )
    fake_browser.chmod(0o700)
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "BROWSER": f"{fake_browser} %s",
        "RESERVROBOT_PMO_URL": mock_sites.pmo_url,
        "RESERVROBOT_RNS_URL": mock_sites.rns_url,
        "RESERVROBOT_PLEXUS_URL": mock_sites.plexus_url,
        "RESERVROBOT_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "apps", "ui", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        token_url = None
        while token_url is None:
            line = proc.stdout.readline()
            assert line, "reservrobot ui ended before printing its address"
            match = re.search(r"(http://127\.0\.0\.1:[0-9]+/\?token=[\w-]+)", line)
            token_url = match.group(1) if match else None
        token = token_url.rsplit("=", 1)[1]
        deadline = time.monotonic() + 30
        while not opened.exists() or not opened.read_text().strip():
            assert time.monotonic() < deadline, "the browser was never opened"
            threading.Event().wait(0.05)  # the browser starts right after the address is printed
        ps = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
        assert "kod=" in ps  # the fake browser's command line is visible to everyone ...
        assert token not in ps  # ... and holds no token
        browser_url = opened.read_text().strip()
        assert token not in browser_url
        with _client() as client:
            assert client.get(browser_url).status_code == 303  # the code works once
            assert client.get(token_url.split("?")[0]).status_code == 200
        with _client() as late:
            assert late.get(browser_url).status_code == 403  # read from ps later: useless
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the fake browser left in the process group
