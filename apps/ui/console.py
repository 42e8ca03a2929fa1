"""The attended app's console window: one short Swedish line per event a clerk can act on.

``reservrobot ui`` runs in a console window on the clerk's PC (the Windows start script opens
one). It shows what the robot is doing in the words of the app itself (the step labels, the
retry note and the outcome labels of ``flows.rules.vocabulary``), for example::

    17:05:12  Registrering startad
    17:05:14  Söker i PMO – klar
    17:05:31  PMO svarar långsamt, försök 2 av 3
    17:05:40  Resultat: Registrerad i PMO

An event without words here is left out of the window (it is in the log file, as JSON, with
every other event). A warning or an error without words is one generic line that names the log
file, never the library's English message or a traceback. No line carries a field of the event
beyond the step, the system, the attempt or the outcome: no reference, no name, no number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flows.rules.vocabulary import (
    OUTCOME_KIND_SV,
    STEP_STATUS_SV,
    retry_note_sv,
    slow_system_sv,
    step_label_sv,
    system_sv,
)
from robot.logs import ConsoleWording

JOB_STARTED_SV = {
    "register": "Registrering startad",
    "complete": "Komplettering med personnummer startad",
    "backlog": "Ärende från Att hantera startat",
}
PROBLEM_GENERIC_SV = "ett tekniskt fel inträffade (appen fortsätter om den kan)"
# The outcomes that leave something for the clerk to do on the app's page.
_SEE_PAGE = frozenset({"needs_person", "failed"})

Words = Callable[[Mapping[str, Any]], str | None]


def _step(fields: Mapping[str, Any]) -> str | None:
    status = STEP_STATUS_SV.get(str(fields.get("status")))
    return f"{step_label_sv(str(fields.get('step')))} – {status.lower()}" if status else None


def _attempt_failed(fields: Mapping[str, Any]) -> str:
    """Before a retry, the note the app's page shows; after the last attempt, that it failed."""
    step, attempt, most = str(fields.get("step")), fields.get("attempt"), fields.get("max_attempts")
    if not isinstance(attempt, int) or not isinstance(most, int):
        return slow_system_sv(step)
    if attempt < most:
        return retry_note_sv(step, attempt + 1, most)
    return f"{slow_system_sv(step)}: försök {attempt} av {most} misslyckades"


def _outcome(fields: Mapping[str, Any]) -> str | None:
    kind = str(fields.get("kind"))
    label = OUTCOME_KIND_SV.get(kind)
    if label is None:
        return None
    return f"Resultat: {label}" + (" – se robotens webbsida" if kind in _SEE_PAGE else "")


def _site(template: str) -> Words:
    return lambda fields: template.format(system=system_sv(fields.get("site")))


# Every event an attended run really logs that a clerk can follow, and its words.
WORDS: dict[str, Words] = {
    "ui_job_started": lambda f: JOB_STARTED_SV.get(str(f.get("job_kind"))),
    "step_done": _step,
    "step_skipped": _step,
    "step_failed": _step,
    "step_attempt_failed": _attempt_failed,
    "request_done": _outcome,
    "request_stopped": lambda f: f"Stoppad före steget ”{step_label_sv(str(f.get('before')))}”",
    "lease_wait": lambda _f: step_label_sv("wait_lease"),
    "clerk_sign_in_waiting": _site("Logga in i {system} i robotens fönster"),
    "clerk_signed_in": _site("Inloggad i {system}"),
    "browser_restart": lambda _f: "Robotens webbläsare startas om",
    "runner_started": lambda _f: "Robotens webbläsare har startat",
    "ui_runner_start_failed": lambda _f: "roboten kunde inte starta sin webbläsare",
    "ui_job_crashed": lambda _f: "ett oväntat tekniskt fel stoppade roboten",
}
# These are errors: said as a problem with the log file, like an error without words.
_PROBLEMS = frozenset({"ui_runner_start_failed", "ui_job_crashed"})


def console_wording(log_file: Path) -> ConsoleWording:
    """The words of the attended app's console (``robot.logs.ConsoleFormatter``)."""

    def wording(event: str, fields: Mapping[str, Any], level: int) -> str | None:
        words = WORDS.get(event)
        text = words(fields) if words is not None else None
        if event in _PROBLEMS or (text is None and level >= logging.WARNING):
            what = text or PROBLEM_GENERIC_SV
            return f"Problem: {what[:1].upper()}{what[1:]}. Se loggfilen {log_file}"
        return text

    return wording
