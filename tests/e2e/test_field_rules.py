"""The systems' field rules, end to end: refused before anything is created, and a form's own
refusal is a business error (a person looks), never a retry.

Each rule of ``config/regions/gavleborg.toml`` ``[fields.*]`` that the robot used to find out
about too late gets two tests against the real mock sites:

- through an entry point (``reservrobot register``), the request is refused with a Swedish
  reason before any browser moves: no new reservnummer in Reservnummersystemet, no patient;
- in the flow itself (a request that reached the runner without the edge's check, e.g. a queue
  item imported before a rule changed): needs a person before any search or create;
- with the robot's own checks switched off (the request built without the rules, the profile's
  rules emptied), the form that refuses it (RNS "Skapa" or PMO "Registrera", in real
  Chromium) ends the item as ``needs_person`` with the page's code after exactly one submit,
  not after retries.

A short compact birth date (``1990115``) given to the CLI is refused the same way, not misread.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Request
from typer.testing import CliRunner

from apps.cli.main import app
from apps.exitcodes import ExitCode
from flows.rules.field_rules import FieldRules
from flows.rules.outcome import OutcomeKind
from flows.runner import Runner
from mock_sites.testing import MockSites
from tests.e2e.people import People, patients_born, persons_born

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Rule:
    """A value one system's form refuses, and which form finds out first without our check."""

    name: str
    overrides: dict[str, Any]
    field: str  # the request's field
    code: str
    refused_by: str  # "rns" or "pmo"


RULES = [
    Rule(
        "ampersand_in_street",
        {"street": "Norra Kungsgatan 5 & 7"},
        "address.street",
        "field_chars_refused",
        "pmo",
    ),
    Rule(
        "long_foreign_postcode",
        {
            "group": "ees_utan_kort",
            "street": "Marienplatz 8",
            "postal_code": "D-80331-MUENCHEN",  # 16 characters: PMO takes 12
            "city": "München",
            "country": "DE",
        },
        "address.postal_code",
        "field_too_long",
        "pmo",
    ),
    Rule(
        "ampersand_in_info", {"info": "Tolk & kurator bokade"}, "info", "field_chars_refused", "pmo"
    ),
    Rule(
        "uncomposed_combining_mark",
        {"given_names": "Aq\u0303il"},  # q + combining tilde: no composed letter exists
        "given_names",
        "field_mark_uncomposed",
        "rns",
    ),
]
IDS = [r.name for r in RULES]


def _counts(sites: MockSites) -> tuple[int, int]:
    return len(sites.records("rns")["persons"]), len(sites.records("pmo")["patients"])


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_request_the_systems_would_refuse_should_be_refused_before_anything_is_created(
    rule: Rule, sites: MockSites, people: People, env: dict[str, str], tmp_path: Path
) -> None:
    # Built without the rules (as an external system would send it), then given to the CLI.
    request = people.request(**rule.overrides)
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")
    before = _counts(sites)

    result = CliRunner().invoke(app, ["register", "--file", str(path), "--json"], env=env)

    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    errors = json.loads(result.stdout)["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(rule.field, rule.code)]
    assert all(e["message_sv"] for e in errors)
    assert _counts(sites) == before
    assert persons_born(sites, request.birth_date) == []


@contextmanager
def _posts(runner: Runner) -> Iterator[list[str]]:
    """The form posts (RNS "Skapa", PMO "Registrera") the robot sends inside the block."""
    posts: list[str] = []

    def on_request(sent: Request) -> None:
        if sent.method == "POST" and sent.url.endswith(("/skapa", "/registrera")):
            posts.append(sent.url.rsplit("/", 1)[-1])

    pages = [runner.context.rns.site.page, runner.context.pmo.site.page]
    for page in pages:
        page.on("request", on_request)
    try:
        yield posts
    finally:
        for page in pages:
            page.remove_listener("request", on_request)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_flow_should_refuse_what_the_systems_refuse_before_any_create(
    rule: Rule, sites: MockSites, people: People, runner: Runner
) -> None:
    request = people.request(**rule.overrides)  # built without the edge's check
    before = _counts(sites)
    with _posts(runner) as posts:
        outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.NEEDS_PERSON, outcome
    assert outcome.reason_code == "field_rules"
    assert outcome.reason_sv and "Inget har skapats" in outcome.reason_sv
    assert posts == []
    assert _counts(sites) == before


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_form_refusal_should_need_a_person_after_one_submit_never_retries(
    rule: Rule, sites: MockSites, people: People, runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = people.request(**rule.overrides)  # the robot's own checks switched off:
    profile = runner.context.profile
    monkeypatch.setattr(
        runner.context, "profile", dataclasses.replace(profile, field_rules=FieldRules())
    )
    posts: list[str] = []

    def on_request(sent: Request) -> None:
        if sent.method == "POST" and sent.url.endswith(("/skapa", "/registrera")):
            posts.append(sent.url.rsplit("/", 1)[-1])

    pages = [runner.context.rns.site.page, runner.context.pmo.site.page]
    for page in pages:
        page.on("request", on_request)
    try:
        outcome = runner.register(request)
    finally:
        for page in pages:
            page.remove_listener("request", on_request)

    assert outcome.kind is OutcomeKind.NEEDS_PERSON, outcome
    assert outcome.reason_code == rule.code
    assert outcome.reason_sv and "TimeoutError" not in outcome.reason_sv
    assert "Rätta uppgifterna" in outcome.reason_sv
    assert patients_born(sites, request.birth_date) == []
    if rule.refused_by == "rns":
        assert posts == ["skapa"]
        assert persons_born(sites, request.birth_date) == []
        assert "Reservnummersystemet" in outcome.reason_sv
    else:
        # Found out only in PMO: this is the number the robot's own check prevents.
        assert posts == ["skapa", "registrera"]
        assert len(persons_born(sites, request.birth_date)) == 1
        assert "PMO" in outcome.reason_sv


@pytest.mark.parametrize("birth", ["1990115", "199011"])
def test_short_compact_birth_date_should_be_refused_not_registered(
    birth: str, sites: MockSites, env: dict[str, str]
) -> None:
    # Read as 1990-11-05 and 1990-01-01 before, and registered.
    before = _counts(sites)
    options = ["--birth-date", birth, "--sex", "K", "--family-name", "Ek", "--given-names", "Eva"]
    options += ["--group", "asylsokande", "--street", "Gatan 1", "--postal-code", "80320"]
    options += ["--city", "Gävle", "--country", "SE", "--json"]

    result = CliRunner().invoke(app, ["register", *options], env=env)

    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    errors = json.loads(result.stdout)["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("birth_date", "birth_date_invalid")]
    assert "ÅÅÅÅ-MM-DD" in errors[0]["message_sv"]
    assert _counts(sites) == before
