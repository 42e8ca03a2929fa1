"""The QA endpoints under ``/_mock/`` (loopback clients only).

``GET /_mock/records``  every record of the site as JSON, so a test can see what a run changed.
``POST /_mock/reset``   restore the seed data, the fault settings the site started with, and
                        the clock.
``GET|POST /_mock/faults``  read or change the fault settings (JSON) while the site runs.
``POST /_mock/clock``   move the site's clock forward (``{"advance_s": 60}``), so a session
                        idle timeout can be tested without waiting.
``POST /_mock/anomalies``  add the hand-made anomalies of ``mock_sites/anomalies.py`` on the
                        days from ``{"first_date": "1931-03-02"}`` on; answers the manifest.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_sites.common.clock import SiteClock
from mock_sites.common.faults import FaultSettingsError, FaultState


@dataclass(frozen=True)
class QaHooks:
    """What the site contributes to the QA endpoints."""

    records: Callable[[], dict[str, Any]]
    reset: Callable[[], None]
    # Adds the planted anomalies from a first date on and returns their manifest.
    plant: Callable[[date], dict[str, Any]] | None = None


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _not_found() -> Response:
    return JSONResponse({"error": "not found"}, status_code=404)


async def _json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def qa_routes(*, hooks: QaHooks, faults: FaultState, clock: SiteClock) -> list[Route]:
    """The ``/_mock/*`` routes of one site."""

    async def records(request: Request) -> Response:
        if not is_loopback(request):
            return _not_found()
        return JSONResponse(hooks.records())

    async def reset(request: Request) -> Response:
        if not is_loopback(request):
            return _not_found()
        hooks.reset()
        faults.restore()
        clock.offset_s = 0.0
        return JSONResponse({"reset": True, "faults": faults.current.as_dict()})

    async def get_faults(request: Request) -> Response:
        if not is_loopback(request):
            return _not_found()
        return JSONResponse(faults.current.as_dict())

    async def set_faults(request: Request) -> Response:
        if not is_loopback(request):
            return _not_found()
        body = await _json_body(request)
        if body is None:
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        try:
            faults.set(faults.current.updated(body))
        except FaultSettingsError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(faults.current.as_dict())

    async def advance_clock(request: Request) -> Response:
        if not is_loopback(request):
            return _not_found()
        body = await _json_body(request)
        seconds = (body or {}).get("advance_s")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return JSONResponse({"error": "advance_s must be a number >= 0"}, status_code=400)
        clock.advance(float(seconds))
        return JSONResponse({"offset_s": clock.offset_s})

    async def anomalies(request: Request) -> Response:
        if not is_loopback(request) or hooks.plant is None:
            return _not_found()
        body = await _json_body(request)
        try:
            first = date.fromisoformat(str((body or {}).get("first_date", "1931-03-02")))
        except ValueError:
            return JSONResponse({"error": "first_date must be YYYY-MM-DD"}, status_code=400)
        return JSONResponse(hooks.plant(first))

    return [
        Route("/_mock/records", records, methods=["GET"]),
        Route("/_mock/anomalies", anomalies, methods=["POST"]),
        Route("/_mock/reset", reset, methods=["POST"]),
        Route("/_mock/faults", get_faults, methods=["GET"]),
        Route("/_mock/faults", set_faults, methods=["POST"]),
        Route("/_mock/clock", advance_clock, methods=["POST"]),
    ]
