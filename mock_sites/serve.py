"""Running an ASGI app with uvicorn in a background thread on a socket bound beforehand.

Binding first lets port 0 pick a free port and lets each site learn the others' addresses
before any app is built (Plexus links to PMO and RNS).
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: a free one), ready for uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and without it every response with a body waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """One uvicorn server in a daemon thread; ``start()`` returns once it accepts connections."""

    def __init__(self, app: ASGIApp, sock: socket.socket, *, name: str) -> None:
        self.sock = sock
        self.name = name
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name=f"mock-{name}", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def start(self, timeout_s: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        # uvicorn exposes no start event; poll its flag (this is start-up, not a test wait).
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"mock site {self.name} failed to start")
            if time.monotonic() > deadline:
                raise TimeoutError(f"mock site {self.name} did not start in {timeout_s} s")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
