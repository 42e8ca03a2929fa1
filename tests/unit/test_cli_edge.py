"""The edge of ``reservrobot``: every command ends the same way on a broken setting.

The commands are enumerated from the Typer app itself, so a new command is covered without
touching this file: each gets its required arguments filled with placeholders, and a broken
setting must stop it before it does anything, with one Swedish line and exit code 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from apps.backlog.lock import RunLockHeld
from apps.cli.edge import exit_for
from apps.cli.main import app
from apps.exitcodes import ExitCode
from robot.errors import (
    ConfigError,
    RobotError,
    SelectorMissing,
    SiteError,
    StoreError,
)
from robot.settings import Settings, load_settings


def leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command below ``command`` (nested groups walked), with its path of names."""
    children = getattr(command, "commands", None)
    if children is None:
        yield path, command
        return
    for name, child in sorted(children.items()):
        yield from leaves(child, (*path, name))


def _placeholder_args(command: Any) -> list[str]:
    """A value for each required parameter ("1" reads as a number, a text and a file name alike;
    the settings fail before any of them is used)."""
    args: list[str] = []
    for param in command.params:
        if param.required:
            args += ["1"] if param.param_type_name == "argument" else [param.opts[0], "1"]
    return args


COMMANDS = {
    " ".join(path): [*path, *_placeholder_args(command)]
    for path, command in leaves(typer.main.get_command(app))
}

BROKEN_SETTINGS = {
    "store_dsn": ("RESERVROBOT_STORE_DSN", "postgresql://robot:hemligt@db:fem/reservrobot"),
    "store_dsn_text": ("RESERVROBOT_STORE_DSN", "hemligt"),
    "region": ("RESERVROBOT_REGION", "atlantis"),
    "port": ("RESERVROBOT_PMO_URL", "http://127.0.0.1:åtta"),
    "number": ("RESERVROBOT_TIMEOUT_MS", "snabbt"),
}


def test_every_command_is_enumerated() -> None:
    # The walk finds the nested groups' commands too (a walk that found none would pass below).
    assert {"register", "doctor", "ui", "backlog status", "audit verify", "config show"} <= set(
        COMMANDS
    )
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("broken", sorted(BROKEN_SETTINGS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_should_stop_on_a_broken_setting_with_one_swedish_line_and_exit_3(
    command: str, broken: str, clean_environment: Path
) -> None:
    variable, value = BROKEN_SETTINGS[broken]

    result = CliRunner().invoke(app, COMMANDS[command], env={variable: value})

    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Inställningarna är felaktiga: ")
    assert variable in lines[0]
    assert "hemligt" not in lines[0]  # a value may hold a password: it is never echoed
    assert result.stdout == ""
    assert not (clean_environment / "data").exists()  # nothing was started or written


def test_help_needs_no_valid_settings(clean_environment: Path) -> None:
    result = CliRunner().invoke(
        app, ["backlog", "status", "--help"], env={"RESERVROBOT_REGION": "atlantis"}
    )
    assert result.exit_code == 0, result.output
    assert "Användning" in result.stdout


def test_a_broken_settings_file_is_one_line_and_exit_3(clean_environment: Path) -> None:
    (clean_environment / "reservrobot.toml").write_text("timeout_ms = = 3\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["backlog", "status"])

    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Inställningarna är felaktiga: ") and "reservrobot.toml" in line


def test_a_wrong_option_is_invalid_input_not_needs_a_person(clean_environment: Path) -> None:
    result = CliRunner().invoke(app, ["backlog", "run", "--workers", "0"])
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output


@pytest.mark.parametrize(
    ("args", "damaged"),
    [(["audit", "verify"], "audit.sqlite3"), (["backlog", "status"], "queue.sqlite3")],
)
def test_a_damaged_store_is_one_swedish_line_and_exit_4(
    args: list[str], damaged: str, clean_environment: Path
) -> None:
    data = clean_environment / "data"
    data.mkdir(mode=0o700)
    (data / damaged).write_bytes(b"inte en databas " * 512)

    result = CliRunner().invoke(app, args)

    assert result.exit_code == ExitCode.STORE_BROKEN, result.output
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Robotens lagring") and damaged in line
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("Regionprofilen går inte att läsa."), ExitCode.INVALID_INPUT),
        (StoreError("Filen är skadad.", code="store_corrupt"), ExitCode.STORE_BROKEN),
        (RunLockHeld(Path("kö.lock"), None), ExitCode.LOCKED),
        (SiteError("PMO svarar inte."), ExitCode.SOME_FAILED),
        (SelectorMissing("Knappen saknas."), ExitCode.SOME_FAILED),
        (RobotError("Något gick fel."), ExitCode.SOME_FAILED),
    ],
)
def test_each_error_class_has_its_exit_code_and_a_swedish_line(
    error: Exception, code: ExitCode
) -> None:
    mapped = exit_for(error)
    assert mapped is not None
    assert mapped[0] == code
    assert "\n" not in mapped[1] and mapped[1]


def test_an_unknown_error_is_not_mapped() -> None:
    # A defect keeps its traceback (without locals): support needs it.
    assert exit_for(KeyError("x")) is None


def test_load_settings_keeps_the_constructor_winning_over_the_environment(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESERVROBOT_TIMEOUT_MS", "5000")
    assert load_settings(timeout_ms=3000, headless=None).timeout_ms == 3000
    assert Settings().timeout_ms == 5000
