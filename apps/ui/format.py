"""Swedish display formats for the templates: seconds, times, sexes, systems, statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2

STEP_STATUS_SV = {
    "pending": "Väntar",
    "started": "Pågår",
    "done": "Klar",
    "skipped": "Behövdes inte",
    "failed": "Misslyckades",
    "not_run": "Utfördes inte",
}

SYSTEM_SV = {"pmo": "PMO", "rns": "Reservnummersystemet"}

SEX_SV = {"M": "Man", "K": "Kvinna", "Man": "Man", "Kvinna": "Kvinna"}


def seconds_sv(value: float | None) -> str:
    """``1.234`` -> ``"1,2 s"`` (Swedish decimal comma)."""
    if value is None:
        return ""
    return f"{value:.1f} s".replace(".", ",")


def datetime_sv(value: datetime | str | None) -> str:
    """A timestamp in local time as ``2026-03-01 14:05``."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value.tzinfo is not None:
        value = value.astimezone()
    return value.strftime("%Y-%m-%d %H:%M")


def sex_sv(value: Any) -> str:
    if value is None or value == "":
        return "Okänt"
    return SEX_SV.get(str(value), str(value))


def system_sv(value: Any) -> str:
    return SYSTEM_SV.get(str(value), str(value))


def register_filters(env: jinja2.Environment) -> None:
    env.filters["seconds_sv"] = seconds_sv
    env.filters["datetime_sv"] = datetime_sv
    env.filters["sex_sv"] = sex_sv
    env.filters["system_sv"] = system_sv
    env.globals["STEP_STATUS_SV"] = STEP_STATUS_SV
