"""Swedish display formats for the templates: seconds, times, and the words of
``flows.rules.vocabulary`` (sexes, systems, id types, step statuses) as Jinja filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2

from flows.rules.vocabulary import ID_TYPE_SV, STEP_STATUS_SV, decimal_sv, sex_sv, system_sv


def seconds_sv(value: float | None) -> str:
    """``1.234`` -> ``"1,2 s"`` (Swedish decimal comma)."""
    if value is None:
        return ""
    return f"{decimal_sv(value)} s"


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


def id_type_sv(value: Any) -> str:
    """``"reservnummer"`` -> ``"Reservnummer"`` (unknown types capitalised as they come)."""
    text = str(value or "")
    return ID_TYPE_SV.get(text.casefold(), text.capitalize())


def number_kind_sv(value: Any) -> str:
    """Personnummer or Samordningsnummer, by the day part (+60 for a samordningsnummer)."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    date_part = digits[-10:-4] if len(digits) >= 10 else ""
    if date_part and int(date_part[4:6]) > 60:
        return ID_TYPE_SV["samordningsnummer"]
    return ID_TYPE_SV["personnummer"]


def register_filters(env: jinja2.Environment) -> None:
    env.filters["seconds_sv"] = seconds_sv
    env.filters["datetime_sv"] = datetime_sv
    env.filters["sex_sv"] = sex_sv
    env.filters["system_sv"] = system_sv
    env.filters["id_type_sv"] = id_type_sv
    env.filters["number_kind_sv"] = number_kind_sv
    env.globals["STEP_STATUS_SV"] = STEP_STATUS_SV
