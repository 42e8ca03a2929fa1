"""A wrong ``reservrobot`` command line is said in Swedish, for every command (issue 24, 15).

The commands are enumerated from the Typer app (``tests.unit.test_cli_edge.leaves``), so a
command added later is checked without touching this file: an unknown option for each, a
missing value for each required argument, and a value of the wrong type for each command's
first typed option (a number or a choice; a flag given a value where it has none).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from typer._click.exceptions import UsageError
from typer.testing import CliRunner

from apps.cli.main import app
from apps.cli.usage_sv import GENERIC_SV, usage_error_sv
from apps.exitcodes import ExitCode
from tests.unit.test_cli_edge import leaves

REPO = Path(__file__).resolve().parents[2]
# What Click and Typer say in English (and the start of their rich error panel).
ENGLISH = (
    "Missing", "No such", "Usage:", "Error", "Try", "is not a valid", "Invalid value",
    "Got unexpected", "Input should", "Option", "requires", "Did you mean", "Possible",
    "does not", "╭",
)  # fmt: skip
HINT = "för hjälp."

LEAVES = {" ".join(path): (path, command) for path, command in leaves(typer.main.get_command(app))}


def _name(param: Any) -> str:
    return str(param.opts[0]) if param.param_type_name == "option" else str(param.metavar)


def _required_args(command: Any) -> list[Any]:
    return [p for p in command.params if p.required and p.param_type_name == "argument"]


def _placeholders(command: Any) -> list[str]:
    return ["1" for _ in _required_args(command)]  # a number, a text and a file name alike


def _typed_value(param: Any) -> bool:
    annotation = param.type_descriptor.annotation
    element = get_args(annotation)[0] if param.type_descriptor.is_list else annotation
    return param.param_type_name == "option" and (
        element in (int, float) or param.type_descriptor.choices is not None
    )


def _bad_value(command: Any) -> tuple[list[str], str] | None:
    """A wrong value for the command's first typed option, or a value for a flag."""
    typed = [p for p in command.params if _typed_value(p)]
    if typed:
        return [typed[0].opts[0], "abc"], typed[0].opts[0]
    flags = [p for p in command.params if getattr(p, "is_flag", False)]
    if flags:
        return [f"{flags[0].opts[0]}=ja"], flags[0].opts[0]
    return None


UNKNOWN_OPTION = {
    name: [*path, *_placeholders(command), "--okant-val"]
    for name, (path, command) in LEAVES.items()
}
MISSING = {
    f"{name} {_name(param)}": ([*path, *_placeholders(command)[:i]], _name(param))
    for name, (path, command) in LEAVES.items()
    for i, param in enumerate(_required_args(command))
}
BAD_VALUE = {
    name: ([*path, *_placeholders(command), *bad[0]], bad[1])
    for name, (path, command) in LEAVES.items()
    if (bad := _bad_value(command)) is not None
}


def _assert_swedish(result: Any, *, names: str, command: str) -> list[str]:
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert names in lines[0]
    assert lines[1] == f"Skriv 'reservrobot {command} --help' {HINT}"
    for word in ENGLISH:
        assert word not in result.stderr, result.stderr
    return lines


def test_the_cases_cover_every_command_and_every_kind_of_parameter() -> None:
    assert set(UNKNOWN_OPTION) == set(LEAVES) and len(LEAVES) >= 20
    assert {"backlog show ÄRENDE", "complete-pnr PATIENT-ID", "complete-pnr PERSONNUMMER"} <= set(
        MISSING
    )
    # A number with a range, a decimal number, a choice and a flag given a value.
    assert BAD_VALUE["backlog run"][1] == "--workers"
    assert BAD_VALUE["complete-pnr"][1] == "--format"
    assert BAD_VALUE["audit export"][1] == "--item"
    assert BAD_VALUE["backlog status"][0][-1] == "--json=ja"


@pytest.mark.parametrize("command", sorted(UNKNOWN_OPTION))
def test_an_unknown_option_is_said_in_swedish(command: str, clean_environment: Path) -> None:
    result = CliRunner().invoke(app, UNKNOWN_OPTION[command])

    [line, _] = _assert_swedish(result, names="--okant-val", command=command)
    assert line.startswith("Det finns inget val --okant-val.")


@pytest.mark.parametrize("case", sorted(MISSING))
def test_a_missing_argument_is_said_in_swedish(case: str, clean_environment: Path) -> None:
    args, name = MISSING[case]

    result = CliRunner().invoke(app, args)

    [line, _] = _assert_swedish(result, names=name, command=case.removesuffix(f" {name}"))
    assert line.startswith(f"Det saknas ett värde: {name}")


@pytest.mark.parametrize("command", sorted(BAD_VALUE))
def test_a_wrong_value_is_said_in_swedish_with_what_is_expected(
    command: str, clean_environment: Path
) -> None:
    args, name = BAD_VALUE[command]

    result = CliRunner().invoke(app, args)

    [line, _] = _assert_swedish(result, names=name, command=command)
    if args[-1] == "abc":
        assert line.startswith(f"Fel värde för {name}: 'abc' – ange ")
    else:
        assert line == f"{name} tar inget värde: skriv bara {name}."


@pytest.mark.parametrize(
    ("args", "command", "line"),
    [
        (
            ["register", "--dry-ru"],
            "register",
            "Det finns inget val --dry-ru. Menade du --dry-run?",
        ),
        (
            ["backlog", "statu"],
            "backlog",
            "Det finns inget kommando 'statu'. Menade du status?",
        ),
        (["registrera"], "", "Det finns inget kommando 'registrera'. Menade du register?"),
        (["backlog", "status", "extra"], "backlog status", "För många argument: extra."),
        (
            ["backlog", "run", "--workers"],
            "backlog run",
            "Det saknas ett värde efter --workers (ett heltal, 1–16).",
        ),
        (
            ["backlog", "run", "--workers", "17"],
            "backlog run",
            "Fel värde för --workers: '17' – ange ett heltal, 1–16.",
        ),
        (
            ["backlog", "run", "--retry-delay", "0,5,5"],
            "backlog run",
            "Fel värde för --retry-delay: '0,5,5' – ange ett tal, minst 0 (t.ex. 2,5).",
        ),
        (
            ["backlog", "run", "--heartbeat", "0,05"],
            "backlog run",
            "Fel värde för --heartbeat: '0,05' – ange ett tal, minst 0,1 (t.ex. 2,5).",
        ),
        (
            ["backlog", "retry", "4", "fyra"],
            "backlog retry",
            "Fel värde för ÄRENDE: 'fyra' – ange ett heltal.",
        ),
        (
            ["register", "--format", "xml"],
            "register",
            "Fel värde för --format: 'xml' – ange ett av: text, json, fhir.",
        ),
        # The project's own (Swedish) message of a value it checks itself is kept.
        (
            ["backlog", "run", "--slot", "kö 1"],
            "backlog run",
            "Fel värde för --slot: 'kö 1' – ange högst 40 bokstäver (a–z), siffror, - och _.",
        ),
        # An identity number typed where it does not belong is never echoed.
        (
            ["backlog", "show", "19900101-1234"],
            "backlog show",
            "Fel värde för ÄRENDE: (ett id-nummer, visas inte) – ange ett heltal.",
        ),
    ],
)
def test_each_kind_of_usage_error_has_its_own_swedish_words(
    args: list[str], command: str, line: str, clean_environment: Path
) -> None:
    result = CliRunner().invoke(app, args)

    path = f"reservrobot {command}".rstrip()
    assert result.stderr.splitlines() == [line, f"Skriv '{path} --help' {HINT}"]
    assert result.exit_code == ExitCode.INVALID_INPUT


def test_an_unknown_plain_usage_error_is_one_generic_swedish_line() -> None:
    assert usage_error_sv(UsageError("Something the library says.")) == [GENERIC_SV]
    assert usage_error_sv(ValueError("not a usage error")) is None


def test_the_installed_command_says_it_in_swedish_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVROBOT_")}
    env["RESERVROBOT_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = str(REPO)

    done = subprocess.run(
        [sys.executable, "-m", "apps", "backlog", "run", "--workers", "många"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == ExitCode.INVALID_INPUT, done.stderr
    assert done.stderr.splitlines() == [
        "Fel värde för --workers: 'många' – ange ett heltal, 1–16.",
        f"Skriv 'reservrobot backlog run --help' {HINT}",
    ]


@pytest.mark.parametrize("given", ["0,5", "0.5", " 0,5"])
def test_a_decimal_comma_is_read_as_staff_write_it(given: str) -> None:
    """Help says "minst 0,1": so the command line takes 0,5 (and 0.5) for a number too."""
    from typer.main import get_command

    command = get_command(app)
    ctx = command.make_context("reservrobot", ["backlog", "run", "--heartbeat", given, "-h"])
    with ctx:
        sub = command.get_command(ctx, "backlog")
        assert sub is not None
        run_ctx = sub.make_context("backlog", ["run", "--heartbeat", given], parent=ctx)
        run = sub.get_command(run_ctx, "run")
        assert run is not None
        values = run.make_context("run", ["--heartbeat", given], parent=run_ctx).params
    assert values["heartbeat"] == 0.5
