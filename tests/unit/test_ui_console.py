"""The attended app's console words (``apps.ui.console``): the vocabulary's, for real events.

The whole window (a real ``reservrobot ui`` and a registration) is tested in
``tests/ui/test_cli.py``; here, each event's words and the rule for events without words.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from apps.ui.console import WORDS, console_wording
from flows.rules.vocabulary import retry_note_sv

REPO = Path(__file__).resolve().parents[2]
LOG_FILE = Path("/data/logs/reservrobot.jsonl")
say = console_wording(LOG_FILE)


@pytest.mark.parametrize(
    ("event", "fields", "level", "words"),
    [
        ("ui_job_started", {"job_kind": "register"}, logging.INFO, "Registrering startad"),
        ("step_done", {"step": "search_pmo", "status": "done"}, logging.INFO, "Söker i PMO – klar"),
        (
            "step_skipped",
            {"step": "create_rns", "status": "skipped"},
            logging.INFO,
            "Skapar reservnummer – behövdes inte",
        ),
        (
            "step_failed",
            {"step": "register_pmo", "status": "failed", "code": "site_timeout"},
            logging.INFO,
            "Registrerar i PMO – misslyckades",
        ),
        # The note the app's page shows while the step is tried again.
        (
            "step_attempt_failed",
            {"step": "search_pmo", "attempt": 1, "max_attempts": 3, "error": "SiteTimeout"},
            logging.WARNING,
            retry_note_sv("search_pmo", 2, 3),
        ),
        (
            "step_attempt_failed",
            {"step": "create_rns", "attempt": 3, "max_attempts": 3},
            logging.WARNING,
            "Reservnummersystemet svarar långsamt: försök 3 av 3 misslyckades",
        ),
        ("request_done", {"kind": "registered", "ref": "p_0123456789ab"}, logging.INFO,
         "Resultat: Registrerad i PMO"),
        ("request_done", {"kind": "needs_person"}, logging.INFO,
         "Resultat: Behöver en person – se robotens webbsida"),
        ("clerk_sign_in_waiting", {"site": "rns"}, logging.INFO,
         "Logga in i Reservnummersystemet i robotens fönster"),
        ("ui_runner_start_failed", {}, logging.ERROR,
         f"Problem: Roboten kunde inte starta sin webbläsare. Se loggfilen {LOG_FILE}"),
        # Without words: an error or a warning (uvicorn's, a library's) is one generic line.
        ("Exception in ASGI application", {}, logging.ERROR,
         "Problem: Ett tekniskt fel inträffade (appen fortsätter om den kan). "
         f"Se loggfilen {LOG_FILE}"),
        # Without words, at INFO: not shown (the log file has it).
        ("open_ahead_failed", {"site": "pmo", "code": "site_timeout"}, logging.INFO, None),
        ("HTTP Request: GET http://127.0.0.1/ 200", {}, logging.INFO, None),
    ],
)  # fmt: skip
def test_each_event_has_its_swedish_words_or_none(
    event: str, fields: dict[str, object], level: int, words: str | None
) -> None:
    assert say(event, fields, level) == words


def test_every_worded_event_is_one_the_code_really_logs() -> None:
    """A renamed event would silently leave the window: each name is logged somewhere."""
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("apps", "flows", "robot")
        for path in (REPO / folder).rglob("*.py")
        if path.name != "console.py"
    )
    for event in WORDS:
        if event in ("step_done", "step_skipped", "step_failed"):  # flows.steps: one call
            assert '_log.event(f"step_{status}"' in sources
        else:
            assert f'"{event}"' in sources, event
