"""Logs: JSON lines, pseudonymised fields, identity numbers and secrets never in clear text."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from pydantic import SecretStr

from robot.errors import SiteError
from robot.logs import (
    Pseudonymizer,
    configure_logging,
    contains_identity,
    get_logger,
    log_file_path,
    pseudonymize,
    unconfigure_logging,
)
from robot.retry import RetryPolicy, call_with_retries
from robot.settings import Settings

# Test-shaped numbers only: Skatteverket's classic test personnummer, a samordningsnummer with
# a 98x serial, and the routine's printed reservnummer example.
PERSONNUMMER = "19121212-1212"
SAMORDNINGSNUMMER = "199001719982"
RESERVNUMMER = "19612121201M7"
ALL_FORMS = [
    PERSONNUMMER,
    PERSONNUMMER.replace("-", ""),
    "121212-1212",
    "1212121212",
    SAMORDNINGSNUMMER,
    "900171-9982",
    RESERVNUMMER,
    # Every region profile's published shape (config/regions/*.toml examples).
    "19612121-01M7",
    "991981000010",
    "98240301AA06",
    "22950606-FH20",
    "810829DA1B",
    "19850314EA0Z",
]
PASSWORD = "hemligt-lösenord-42"
KEY = "nyckel-för-pseudonymer"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        pmo_password=SecretStr(PASSWORD),
        pseudonym_key=SecretStr(KEY),
    )


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    unconfigure_logging()
    root.setLevel(level)


def _json_lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def _log_every_way(value: str) -> None:
    log = get_logger("robot.test")
    log.info("hittade %s i PMO", value)
    log.info(f"sökte på {value}")  # the mistake this safety net is for
    log.event("step_done", step="search_pmo", note=f"id {value}", nested={"ids": [value]})
    log.event("step_done", step="verify", personnummer=value)
    try:
        raise SiteError(f"Sidan visade {value}")
    except SiteError:
        log.exception("misslyckades")
    logging.getLogger("some.library").warning("library says %r", value)


def test_identity_numbers_logged_by_mistake_never_appear_in_json_output(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings)
    for value in ALL_FORMS:
        _log_every_way(value)
    log = get_logger("robot.test")
    log.event("ids_as_numbers", count=int(SAMORDNINGSNUMMER), other=191212121212)
    err = capsys.readouterr().err
    for value in ALL_FORMS:
        assert value not in err
    assert "199001719982" not in err and "191212121212" not in err
    lines = _json_lines(err)
    assert len(lines) == len(ALL_FORMS) * 6 + 1  # every record is one JSON line
    assert "[redacted]" in lines[0]["msg"]  # type: ignore[operator]
    assert lines[-1]["count"] == "[redacted]"


def test_identity_numbers_never_appear_in_text_output(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings, json=False)
    for value in ALL_FORMS:
        _log_every_way(value)
    err = capsys.readouterr().err
    assert "step_done" in err and "Traceback" in err
    for value in ALL_FORMS:
        assert value not in err


def test_sensitive_fields_become_keyed_pseudonyms(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings)
    get_logger("robot.test").event(
        "step_done", family_name="Testsson", given_names="Tolvan", patient_id=RESERVNUMMER
    )
    (line,) = _json_lines(capsys.readouterr().err)
    expected = Pseudonymizer(SecretStr(KEY))
    assert line["family_name"] == expected("Testsson")
    assert line["given_names"] == expected("Tolvan")
    assert line["patient_id"] == expected(RESERVNUMMER) == pseudonymize(RESERVNUMMER)
    assert "Testsson" not in json.dumps(line)


def test_ordinary_values_are_kept_as_they_are(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings)
    get_logger("robot.test").event(
        "step_done", step="register_pmo", duration_ms=412, day="2026-05-20", attempt=2, ok=True
    )
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "step_done" and line["level"] == "info"
    assert line["logger"] == "robot.test"
    assert (line["step"], line["duration_ms"], line["day"]) == ("register_pmo", 412, "2026-05-20")
    assert (line["attempt"], line["ok"]) == (2, True)


def test_plain_logging_extras_are_fields_and_redacted_too(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings)
    logging.getLogger("apps.ui").warning(
        "ui_job_crashed", extra={"job_kind": "register", "personnummer": PERSONNUMMER}
    )
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["msg"] == "ui_job_crashed" and line["job_kind"] == "register"
    assert line["personnummer"] == Pseudonymizer(SecretStr(KEY))(PERSONNUMMER)


def test_secrets_are_never_rendered(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings)
    log = get_logger("robot.test")
    log.event("login", password=settings.pmo.password, user="demo")
    log.info("settings: %s", settings)
    log.info("masked: %s", settings.masked())
    log.info("oops %s", settings.pmo.password.get_secret_value())  # the mistake
    log.info("key %s", settings.pseudonym_key.get_secret_value())
    err = capsys.readouterr().err
    assert PASSWORD not in err and KEY not in err
    lines = _json_lines(err)
    assert lines[0]["password"] == "**********"
    assert lines[3]["msg"] == "oops **********"


def test_pseudonymizer_is_stable_keyed_and_short() -> None:
    first = Pseudonymizer(SecretStr("a"))
    assert first(RESERVNUMMER) == first(f" {RESERVNUMMER} ")
    assert first(RESERVNUMMER) != Pseudonymizer(SecretStr("b"))(RESERVNUMMER)
    ref = first(RESERVNUMMER)
    assert ref.startswith("p_") and len(ref) == 14 and int(ref[2:], 16) >= 0
    assert not contains_identity(ref)


def test_identity_shape_detection_ignores_longer_numbers_and_words() -> None:
    assert contains_identity(f"id={RESERVNUMMER}.")
    assert not contains_identity("order 12345678901234")  # 14 digits: not an identity
    assert not contains_identity("2026-05-20T09:30:00")
    assert not contains_identity("p_191212121212")  # a pseudonym made of digits


def test_log_file_is_private_json_lines(settings: Settings) -> None:
    old = os.umask(0)
    try:
        configure_logging(settings, to_file=True)
        get_logger("robot.test").event("step_done", step="verify", personnummer=PERSONNUMMER)
    finally:
        os.umask(old)
    unconfigure_logging()  # closes and flushes the file
    path = settings.data_dir / "logs" / "reservrobot.jsonl"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert PERSONNUMMER not in text
    assert json.loads(text.splitlines()[-1])["step"] == "verify"


def test_retry_attempts_are_logged_as_events_without_the_error_text(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings)
    calls: list[int] = []

    def step() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise SiteError(f"PMO visade {PERSONNUMMER}")
        return "ok"

    call_with_retries(step, policy=RetryPolicy(2, 0, 0), step="search_pmo")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "step_attempt_failed"
    assert (line["step"], line["attempt"], line["code"]) == ("search_pmo", 1, "site_error")
    assert PERSONNUMMER not in json.dumps(line)


def test_a_console_shows_only_the_callers_words_one_line_each_and_the_file_keeps_every_event(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    given: list[tuple[str, dict[str, object], int]] = []

    def wording(event: str, fields: Mapping[str, object], level: int) -> str | None:
        given.append((event, dict(fields), level))
        if event == "step_done":
            return f"steg {fields['step']}\nklart"  # a line break is never a second line
        return "ett problem" if level >= logging.WARNING else None

    configure_logging(settings, to_file=True, console=wording)
    for value in ALL_FORMS:
        _log_every_way(value)
    unconfigure_logging()  # closes and flushes the file

    shown = capsys.readouterr().err.splitlines()
    # Per value: two worded steps, the exception and the library's warning; no plain info line.
    assert len(shown) == len(ALL_FORMS) * 4
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d  (steg (search_pmo|verify) klart|ett problem)", line)
               for line in shown), shown  # fmt: skip
    text = "\n".join(shown)
    assert "Traceback" not in text and "{" not in text
    for value in ALL_FORMS:
        assert value not in text
    # The words are chosen from pseudonymised fields, the event's name (or a plain call's
    # message template) and its level.
    steps = [
        fields for event, fields, _ in given if event == "step_done" and "personnummer" in fields
    ]
    assert steps and all(str(f["personnummer"]).startswith("p_") for f in steps)
    assert ("misslyckades", logging.ERROR) in {(event, level) for event, _, level in given}
    lines = log_file_path(settings.data_dir).read_text().splitlines()
    assert len(lines) == len(ALL_FORMS) * 6  # every record, as JSON
    assert all(value not in "\n".join(lines) for value in ALL_FORMS)
