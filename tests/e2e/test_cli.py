"""``reservrobot register | complete-pnr | doctor | config show`` as a user runs them.

The commands run in-process through typer's test runner with settings from the environment
(as a user would configure them), against the real mock sites.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from apps.cli.main import app
from mock_sites.testing import MockSites
from robot.audit import AuditLog
from robot.settings import Settings
from tests.e2e.people import People, patients_born
from tests.fixtures.settings import TEST_KEY

pytestmark = pytest.mark.e2e


def test_register_should_print_the_outcome_and_exit_0(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    request = People(mock_sites).request()
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")

    result = CliRunner().invoke(app, ["register", "--file", str(path), "--json"], env=env)

    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["kind"] == "registered"
    assert [p["patient_id"] for p in patients_born(mock_sites, request.birth_date)] == [
        outcome["patient_id"]
    ]


def test_register_and_complete_pnr_should_write_the_audit_log(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    request = People(mock_sites).request(sex="K", external_ref="cli-audit-1")
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")

    registered = CliRunner().invoke(app, ["register", "--file", str(path), "--json"], env=env)
    refused = CliRunner().invoke(app, ["complete-pnr", "20120101001K3", "201201019824"], env=env)

    assert registered.exit_code == 0, registered.output
    assert refused.exit_code == 2, refused.output
    patient_id = json.loads(registered.stdout)["patient_id"]
    with AuditLog(Settings(data_dir=tmp_path, pseudonym_key=SecretStr(TEST_KEY))) as audit:
        entries = audit.for_ref("cli-audit-1")
        steps = [(e.system, e.step, e.result) for e in entries]
        assert ("rns", "create_rns", "done") in steps
        assert ("pmo", "register_pmo", "done") in steps
        assert steps[-1] == ("robot", "outcome", "registered")
        assert entries[-1].detail == "reason=-; via=cli; job=register"
        assert entries[-1].subject == audit.pseudonym(patient_id)
        assert all(e.actor.startswith("cli:") for e in entries)
        [completion] = audit.for_ref("complete:20120101001K3")
        assert (completion.step, completion.result) == ("outcome", "needs_person")
        assert completion.detail == "reason=identity_not_checked; via=cli; job=complete_pnr"
        assert audit.verify() is None
    # Pseudonymised: neither the number nor the reference is in the file in clear text.
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite3*"))
    assert patient_id.encode() not in raw and b"cli-audit-1" not in raw


def test_register_should_take_options_and_exit_2_when_a_person_must_take_over(
    env: dict[str, str], mock_sites: MockSites
) -> None:
    request = People(mock_sites).request()
    args = [
        "register",
        "--birth-date",
        request.birth_date.isoformat(),
        "--sex",
        "Kvinna",
        "--family-name",
        request.family_name,
        "--given-names",
        request.given_names,
        "--group",
        "asylsokande",
        "--street",
        "Storgatan 1",
        "--postal-code",
        "80320",
        "--city",
        "Gävle",
        "--country",
        "SE",
        "--protected",
    ]

    result = CliRunner().invoke(app, args, env=env)

    assert result.exit_code == 2, result.output
    assert "Behöver en person" in result.stdout
    assert "Skyddade personuppgifter" in result.stdout
    assert "[bold]" not in result.stdout  # a style, never markup printed as text


def test_register_with_a_wrong_password_says_so_in_swedish_with_next_step_and_exits_1(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    request = People(mock_sites).request()
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")
    env = {**env, "RESERVROBOT_PMO_PASSWORD": "fel-lösenord"}

    result = CliRunner().invoke(app, ["register", "--file", str(path)], env=env)

    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())  # the console wraps long lines
    assert "Roboten kom inte in – inloggningen nekades" in text
    assert "Kontakta IT-support" in text
    assert "Kod för IT-support: login_refused" in text
    assert "search_pmo" not in text and "Error" not in text
    assert patients_born(mock_sites, request.birth_date) == []


def test_register_should_list_every_field_error_and_exit_3(env: dict[str, str]) -> None:
    args = [
        "register",
        "--birth-date",
        "2999-01-01",
        "--sex",
        "Q",
        "--family-name",
        "<b>",
        "--given-names",
        "Anna",
        "--group",
        "okand",
        "--street",
        "Gata 1",
        "--postal-code",
        "12",
        "--city",
        "Gävle",
        "--country",
        "SE",
        "--json",
    ]

    result = CliRunner().invoke(app, args, env=env)

    assert result.exit_code == 3, result.output
    errors = {e["field"]: e["code"] for e in json.loads(result.stdout)["errors"]}
    assert errors == errors | {
        "birth_date": "birth_date_future",
        "sex": "sex_invalid",
        "family_name": "name_invalid_chars",
        "group": "group_unknown",
    }


def test_complete_pnr_should_refuse_without_identity_check(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["complete-pnr", "20120101001K3", "201201019824"], env=env)

    assert result.exit_code == 2
    assert "kontrolleras av en person" in result.stdout


def test_doctor_should_pass_every_check_against_the_mock_sites(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["doctor"], env=env)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for name in (
        "Inställningar",
        "Urklipp",
        "PMO svarar",
        "Reservnummersystemet svarar",
        "Webbläsare",
        "PMO inloggning",
        "Reservnummersystemet inloggning",
    ):
        assert any(line.startswith(f"OK   {name}:") for line in lines), (name, lines)


def test_doctor_should_fail_clearly_when_a_site_is_down_or_refuses_the_login(
    env: dict[str, str],
) -> None:
    broken = env | {
        "RESERVROBOT_PMO_URL": "http://127.0.0.1:9",
        "RESERVROBOT_RNS_PASSWORD": "fel-losenord",
    }

    result = CliRunner().invoke(app, ["doctor"], env=broken)

    assert result.exit_code == 1
    assert "FEL  PMO svarar: http://127.0.0.1:9: ingen anslutning" in result.stdout
    assert "FEL  Reservnummersystemet inloggning" in result.stdout
    assert "fel-losenord" not in result.stdout
    assert "OK   Inställningar" in result.stdout  # the other checks still ran
    assert "Error" not in result.stdout  # no developer words (ConnectError)
    # Every FEL line is followed by its next step, naming the address it tried.
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("FEL"):
            assert lines[i + 1].startswith("     Gör så här: "), lines
    assert "RESERVROBOT_PMO_URL (nu http://127.0.0.1:9)" in result.stdout


def test_doctor_should_recognise_each_site_and_name_the_wrong_address(
    env: dict[str, str],
) -> None:
    # PMO's address pointing at Reservnummersystemet: it answers and accepts the login all the
    # same, so only what the page shows can tell (issue 24, point 16).
    swapped = env | {"RESERVROBOT_PMO_URL": env["RESERVROBOT_RNS_URL"]}

    result = CliRunner().invoke(app, ["doctor"], env=swapped)

    assert result.exit_code == 1, result.stdout
    wrong = env["RESERVROBOT_RNS_URL"]
    assert (
        f"FEL  PMO inloggning: adressen {wrong} är fel: den visar Reservnummersystemet"
        in result.stdout
    )
    assert f"Gör så här: rätta RESERVROBOT_PMO_URL (nu {wrong}) till PMO:s adress." in (
        result.stdout
    )
    assert "OK   Reservnummersystemet inloggning" in result.stdout


def test_config_show_should_mask_secrets(env: dict[str, str]) -> None:
    secret = env | {"RESERVROBOT_PMO_PASSWORD": "superhemligt", "RESERVROBOT_PSEUDONYM_KEY": "k3y"}

    result = CliRunner().invoke(app, ["config", "show", "--json"], env=secret)

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["pmo.password"] == "**********"
    assert shown["secret_sources"]["pmo.password"] == {
        "kind": "environment",
        "where": "RESERVROBOT_PMO_PASSWORD",
    }
    assert shown["pmo.url"] == env["RESERVROBOT_PMO_URL"]
    assert "superhemligt" not in result.stdout and "k3y" not in result.stdout
