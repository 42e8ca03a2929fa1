"""Fault settings of a mock site (latency, HTTP 500s, session idle timeout, seed) and the
middleware that applies them.

The settings can be changed while the site runs (``POST /_mock/faults``), so one running site
can serve a test that needs a slow or failing system and then the next test that does not.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

# Paths that faults never touch: the QA endpoints and static files.
EXEMPT_PREFIXES = ("/_mock/", "/static/")


class FaultSettingsError(ValueError):
    """A fault setting has a wrong name, type or range."""


@dataclass(frozen=True)
class FaultSettings:
    """What goes wrong on purpose. All zero means a healthy site.

    latency_ms: added to every page response.
    error_rate: share of page requests (0..1) answered with HTTP 500 "Tekniskt fel".
    session_timeout_s: idle time after which a session is dropped (0 = never).
    seed: seed of the randomness behind ``error_rate``, for repeatable runs (None = random).
    login_password_as_text: the login page drifted: its password field is a plain text field
    (a robot must then type no password into it).
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    session_timeout_s: float = 0.0
    seed: int | None = None
    login_password_as_text: bool = False

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.latency_ms > 60_000:
            raise FaultSettingsError("latency_ms must be between 0 and 60000")
        if not 0.0 <= self.error_rate <= 1.0:
            raise FaultSettingsError("error_rate must be between 0 and 1")
        if self.session_timeout_s < 0:
            raise FaultSettingsError("session_timeout_s must be 0 or more")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> FaultSettings:
        """A copy with ``changes`` applied (FaultSettingsError on unknown names, wrong types)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise FaultSettingsError(f"unknown fault settings: {', '.join(unknown)}")
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "login_password_as_text":
                if not isinstance(value, bool):
                    raise FaultSettingsError(f"{name} must be true or false")
                clean[name] = value
            elif isinstance(value, bool):
                raise FaultSettingsError(f"{name} must be a number")
            if name == "seed":
                if value is not None and not isinstance(value, int):
                    raise FaultSettingsError("seed must be an integer or null")
                clean[name] = value
            elif name == "latency_ms":
                if not isinstance(value, int):
                    raise FaultSettingsError("latency_ms must be an integer")
                clean[name] = value
            else:
                if not isinstance(value, int | float):
                    raise FaultSettingsError(f"{name} must be a number")
                clean[name] = float(value)
        return replace(self, **clean)


@dataclass
class FaultState:
    """The site's current fault settings and the random source they draw from."""

    initial: FaultSettings
    current: FaultSettings = field(init=False)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.set(self.initial)

    def set(self, settings: FaultSettings) -> None:
        self.current = settings
        self.rng = random.Random(settings.seed)

    def restore(self) -> None:
        self.set(self.initial)

    def should_fail(self) -> bool:
        rate = self.current.error_rate
        return rate > 0 and self.rng.random() < rate


ERROR_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Tekniskt fel</title></head>
<body><main><h1>Tekniskt fel</h1>
<p role="alert">Tekniskt fel. Tjänsten kunde inte svara just nu. Försök igen om en stund.</p>
</main></body></html>
""".encode()


class FaultsMiddleware:
    """Adds latency and answers a share of requests with HTTP 500, per the site's FaultState."""

    def __init__(self, app: ASGIApp, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        settings = self.state.current
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        if self.state.should_fail():
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(ERROR_PAGE)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": ERROR_PAGE})
            return
        await self.app(scope, receive, send)
