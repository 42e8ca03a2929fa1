"""``--help`` of ``reservrobot`` and ``reservrobot-qa`` is Swedish, for every command.

The commands are enumerated from the click command tree Typer builds, so a command added
later is checked without touching this file. English is recognised by tell-tale words: the
library's own (``Usage``, ``Options``, ``Show this message and exit``, type names such as
``str``) and the ones command texts start with or are built from (``Print``, ``Check``,
``the``...). Option names (``--from``), command names (``show``) and the values a person
types (``browser``, ``same``) are left out before the check: they are what one types, not
words one reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from apps.cli.main import app as main_app
from qa.cli import app as qa_app

APPS = {"reservrobot": main_app, "reservrobot-qa": qa_app}

# Whole words, case as written. None of them is Swedish, a product name or a value to type.
ENGLISH = {
    # Typer's and Click's own words
    "Usage", "Options", "Commands", "Arguments", "Show", "message", "exit", "Install",
    "completion", "default", "required", "env", "str", "int", "bool", "float", "path",
    "range", "list", "Error", "Try",
    # words English help texts are made of
    "Print", "Check", "Start", "Read", "Write", "Register", "Replace", "Measure", "Delete",
    "Let", "Put", "Which", "Counts", "One", "Also", "List", "Search", "Walk", "Seed",
    "Added", "Share", "Login", "Password", "Name", "Folder", "Address", "Transfer", "Request",
    "the", "The", "and", "of", "with", "this", "that", "for", "when", "only", "every", "each",
    "not", "into", "without", "queue", "item", "items", "worker", "workers", "durable",
    "pseudonymised", "sweep", "duplicates", "orphans", "settings", "effective",
}  # fmt: skip

_OPTION = re.compile(r"(?<![\w])--?[\w-]+")
_WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé]+")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, child in getattr(command, "commands", {}).items():
        yield from _commands(child, (*path, name))


HELP_PAGES = [
    (prog, path) for prog, app in APPS.items() for path, _ in _commands(typer.main.get_command(app))
]
COMMAND_NAMES = {
    name for _, path in HELP_PAGES for name in path
}  # typed by the user: "show", "run", "import"...
TYPED_VALUES = {"auto", "system", "browser", "fill", "same", "different", "text", "json", "fhir"}


def _help(prog: str, args: list[str]) -> str:
    result = CliRunner().invoke(APPS[prog], args, env={"COLUMNS": "200"}, prog_name=prog)
    assert result.exit_code == 0, result.output
    return result.output


def english_words(text: str) -> set[str]:
    """The tell-tale English words of a help page (option and command names left out)."""
    words = set(_WORD.findall(_OPTION.sub(" ", text)))
    return (words - COMMAND_NAMES - TYPED_VALUES) & ENGLISH


def test_every_command_is_enumerated() -> None:
    pages = {f"{prog} {' '.join(path)}".strip() for prog, path in HELP_PAGES}
    assert {"reservrobot", "reservrobot backlog run", "reservrobot-qa mock serve"} <= pages
    assert len(pages) >= 30


def test_the_word_list_catches_typers_english() -> None:
    # Guards the check itself: today's English help would be caught.
    typer_english = (
        "Usage: reservrobot [OPTIONS] COMMAND\n╭─ Options ─╮\n --help  <bool>  Show this"
    )
    assert english_words(typer_english) == {"Usage", "Options", "bool", "Show", "this"}
    assert not english_words("Visa ärendets historik för PMO, FHIR och Patient-ID som JSON.")


@pytest.mark.parametrize(
    ("prog", "path"), HELP_PAGES, ids=[" ".join([p, *c]) for p, c in HELP_PAGES]
)
def test_every_help_page_is_swedish(prog: str, path: tuple[str, ...]) -> None:
    text = _help(prog, [*path, "--help"])

    assert english_words(text) == set(), text
    assert f"Användning: {prog}" in text
    assert "Visa den här hjälpen." in text


def test_h_is_help_too_and_needs_no_valid_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RESERVROBOT_REGION", "atlantis")  # a broken setting: help needs none

    assert "Användning: reservrobot backlog status" in _help(
        "reservrobot", ["backlog", "status", "-h"]
    )
