"""Serving the app with uvicorn on loopback: blocking (the CLI) or in a thread (tests).

The socket is bound before uvicorn starts, so port 0 yields a free port whose number is known
in time to print the URL. Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from apps.ui.security import CODE_QUERY, TOKEN_QUERY, Access

HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0


def bind_loopback(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (``port`` 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def app_url(port: int, token: str | None = None, *, code: str | None = None) -> str:
    """The app's address; with the secret ``token`` or a one-time ``code`` for the browser."""
    base = f"http://{HOST}:{port}/"
    if code:
        return f"{base}?{CODE_QUERY}={code}"
    return f"{base}?{TOKEN_QUERY}={token}" if token else base


def make_server(app: Starlette) -> uvicorn.Server:
    # No access log: the first request's URL holds the token. No logging set-up of uvicorn's
    # own (``log_config=None``): its warnings and errors go through the robot's (redacting)
    # handlers like every other record: the log file, and the console's generic line.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", log_config=None
    )
    return uvicorn.Server(config)


def serve(app: Starlette, sock: socket.socket) -> None:
    """Serve until Ctrl+C (blocking)."""
    make_server(app).run(sockets=[sock])


@dataclass
class RunningApp:
    """An app served in a background thread."""

    port: int
    token: str
    server: uvicorn.Server
    access: Access | None = None

    @property
    def base_url(self) -> str:
        return app_url(self.port)

    @property
    def url_with_token(self) -> str:
        return app_url(self.port, self.token)

    def url_with_code(self) -> str:
        """A fresh one-time URL (what ``reservrobot ui`` opens the browser with)."""
        if self.access is None:
            raise RuntimeError("the app has no Access (not built by create_app)")
        return app_url(self.port, code=self.access.new_code())


@contextmanager
def serve_in_thread(app: Starlette, *, token: str, port: int = 0) -> Iterator[RunningApp]:
    """Serve ``app`` in a daemon thread until the block ends (for tests and embedding)."""
    sock = bind_loopback(port)
    server = make_server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="ui-server", daemon=True
    )
    thread.start()
    try:
        if not _wait_started(server, thread):
            raise RuntimeError("the UI server did not start")
        access = getattr(app.state, "access", None)
        yield RunningApp(port=sock.getsockname()[1], token=token, server=server, access=access)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> bool:
    """Wait (bounded) until uvicorn accepts connections, or its thread has died."""
    deadline = time.monotonic() + START_TIMEOUT_S
    pause = threading.Event()
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        pause.wait(0.01)
    return bool(server.started)
