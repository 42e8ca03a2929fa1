"""A business dry run: searches and judging only, nothing created or saved, and a prediction
that the real run then fulfils, row by row.

The backlog test builds a mixed queue of 30 rows (new people, people already in PMO, people
whose reservnummer RNS already has, uncertain matches, personnummer hits, protected
identities), runs ``reservrobot backlog run --dry-run`` against the mock sites, checks that
neither site nor the queue changed, then runs the queue for real and compares every row.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apps.backlog.dry_run import HTML_NAME, REPORT_NAME
from apps.backlog.run import RunOptions, run_backlog
from apps.backlog.store import ItemStatus, open_store
from apps.cli.main import app
from apps.exitcodes import ExitCode
from flows.register import JOURNAL_NUMBER, journal_key
from flows.rules.outcome import OutcomeKind
from flows.runner import Runner
from mock_sites.testing import MockSites
from qa.people import generate_rows, taken_in
from robot.logs import unconfigure_logging
from robot.settings import Settings
from tests.backlog.helpers import queue_generated, robot_settings
from tests.e2e.people import People, SiteWriter, patients_born, persons_born
from tests.fixtures.settings import environment_of

pytestmark = pytest.mark.e2e


def _records(sites: MockSites) -> tuple[Any, Any]:
    return sites.records("pmo"), sites.records("rns")


# -- one request ------------------------------------------------------------------------------


def test_dry_run_should_say_what_it_would_write_and_change_nothing(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request(group="papperslos")
    before = _records(sites)

    planned = runner.register(request, dry_run=True)

    assert planned.dry_run and planned.planned == "register_new", planned
    assert planned.kind is OutcomeKind.REGISTERED and planned.patient_id is None
    assert planned.planned_values == {
        "street": "Norra Kungsgatan 5",
        "postal_code": "803 20",
        "city": "Gävle",
        "country": "Sverige",
        "kommun": "07",
        "lan": "99",
        "info": "Läggs in manuellt.",
    }
    assert [s.step for s in planned.steps] == ["search_pmo", "search_rns"]
    assert _records(sites) == before
    assert runner.context.journal.steps(journal_key(request)) == {}

    real = runner.register(request)

    assert real.kind is OutcomeKind.REGISTERED and real.reservnummer_reused is False
    assert not real.dry_run
    [patient] = patients_born(sites, request.birth_date)
    assert {k: patient[k] for k in planned.planned_values} == planned.planned_values


def test_dry_run_should_name_the_reservnummer_it_would_reuse(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    request = people.request(family_name="Hussein", given_names="Muhammad", sex="M")
    existing = writer.rns_create(request.birth_date, sex="M", family="Husein", given="Mohamed")
    before = _records(sites)

    planned = runner.register(request, dry_run=True)

    assert (planned.planned, planned.patient_id, planned.reservnummer_reused) == (
        "reuse_reservnummer",
        existing,
        True,
    )
    assert _records(sites) == before
    real = runner.register(request)
    assert (real.kind, real.patient_id, real.reservnummer_reused) == (
        OutcomeKind.REGISTERED,
        existing,
        True,
    )


def test_dry_run_after_a_crash_should_plan_with_the_journaled_number(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    """A number journaled by a run that died: the dry run plans to register exactly it (or,
    once PMO has it in our own spelling, to verify it), never a new one."""
    request = people.request(sex="K")
    # The number the dead run created; RNS lists it under a name that is not the request's.
    number = writer.rns_create(request.birth_date, sex="K", family="Zzyzx", given="Qwerty")
    key = journal_key(request)
    journal = runner.context.journal
    journal.record(key, JOURNAL_NUMBER, {"value": number, "reused": False})
    before = _records(sites)

    planned = runner.register(request, dry_run=True)

    assert (planned.planned, planned.patient_id, planned.kind) == (
        "register_journaled",
        number,
        OutcomeKind.REGISTERED,
    )
    assert _records(sites) == before
    assert journal.steps(key)[JOURNAL_NUMBER]["value"] == number  # read, left as it was

    # The dead run had saved too, but PMO shows another address than the request's: the real
    # run's check of that save fails, and the dry run (reading the patient) says so.
    writer.pmo_register(
        number, sex="K", family=request.family_name, given=request.given_names, kommun="01"
    )
    saved = runner.register(request, dry_run=True)
    real = runner.register(request)

    assert (saved.kind, saved.reason_code, saved.dry_run) == (
        OutcomeKind.FAILED,
        "verification_failed",
        True,
    )
    assert (real.kind, real.reason_code) == (saved.kind, saved.reason_code)
    assert len(persons_born(sites, request.birth_date)) == 1
    assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [number]


def test_register_dry_run_on_the_command_line_should_print_the_plan_and_create_nothing(
    mock_sites: MockSites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "RESERVROBOT_PMO_URL": mock_sites.pmo_url,
        "RESERVROBOT_RNS_URL": mock_sites.rns_url,
        "RESERVROBOT_PLEXUS_URL": mock_sites.plexus_url,
        "RESERVROBOT_DATA_DIR": str(tmp_path),
        "RESERVROBOT_HEADLESS": "true",
        "RESERVROBOT_TRANSFER_MODE": "browser",
        "RESERVROBOT_CONFIG_FILE": str(tmp_path / "absent.toml"),
    }
    monkeypatch.chdir(tmp_path)
    request = People(mock_sites).request()
    path = tmp_path / "request.json"
    path.write_text(request.model_dump_json(), encoding="utf-8")
    before = _records(mock_sites)
    try:
        shown = CliRunner().invoke(app, ["register", "--file", str(path), "--dry-run"], env=env)
        as_json = CliRunner().invoke(
            app, ["register", "--file", str(path), "--dry-run", "--json"], env=env
        )
    finally:
        unconfigure_logging()

    assert shown.exit_code == 0, shown.output
    assert "Provkörning: inget skapades och inget sparades" in shown.stdout
    assert "Skulle skapa ett nytt reservnummer och registrera i PMO" in shown.stdout
    assert "Kommun: 01" in shown.stdout and "Län: 99" in shown.stdout
    assert as_json.exit_code == 0, as_json.output
    outcome = json.loads(as_json.stdout)
    assert (outcome["dry_run"], outcome["planned"], outcome["kind"]) == (
        True,
        "register_new",
        "registered",
    )
    assert _records(mock_sites) == before
    assert persons_born(mock_sites, request.birth_date) == []


# -- a mixed backlog of 30 rows ---------------------------------------------------------------


@pytest.fixture
def backlog_settings(fresh_mock_sites: MockSites, tmp_path: Path) -> Iterator[Settings]:
    yield robot_settings(tmp_path, fresh_mock_sites, transfer_mode="browser")
    unconfigure_logging()


def _rns_with_personnummer(sites: MockSites, count: int) -> list[dict[str, Any]]:
    """Seeded RNS people holding a personnummer, alone on a birth date PMO does not know."""
    persons = sites.records("rns")["persons"]
    pmo_dates: set[str] = set()
    for patient in sites.records("pmo")["patients"]:
        pid = str(patient["patient_id"])
        day = int(pid[6:8])
        day = day - 60 if pid.isdigit() and day > 60 else day
        pmo_dates.add(f"{pid[:4]}-{pid[4:6]}-{day:02d}")
    found = []
    for person in persons:
        same_day = [p for p in persons if p["birth_date"] == person["birth_date"]]
        if person["personnummer"] and person["birth_date"] not in pmo_dates and len(same_day) == 1:
            found.append(dict(person))
    if len(found) < count:
        pytest.skip("the seed has too few RNS-only persons with a personnummer")
    return found[:count]


def _mixed_rows(sites: MockSites) -> tuple[list[dict[str, str]], dict[str, str]]:
    """30 rows and, per reference, the situation arranged for it."""
    writer = SiteWriter(sites)
    rows = generate_rows(26, seed=4242, taken=taken_in(sites), foreign_every=6)
    kinds: dict[str, str] = {}
    for n, row in enumerate(rows):
        ref = row["external_ref"]
        birth = date.fromisoformat(row["birth_date"])
        family, given, sex = row["family_name"], row["given_names"], row["sex"]
        if n < 5:  # already in PMO (registered by a clerk with other codes)
            number = writer.rns_create(birth, sex=sex, family=family, given=given)
            writer.pmo_register(number, sex=sex, family=family, given=given)
            kinds[ref] = "already_registered"
        elif n < 10:  # RNS has the reservnummer, PMO does not
            writer.rns_create(birth, sex=sex, family=family, given=given)
            kinds[ref] = "reuse"
        elif n < 13:  # somebody of the other sex with the same name: a person decides
            other = "K" if sex == "M" else "M"
            number = writer.rns_create(birth, sex=other, family=family, given=given)
            writer.pmo_register(number, sex=other, family=family, given=given)
            kinds[ref] = "uncertain"
        elif n < 15:  # protected identity (Gävleborg: registered, then a person)
            row["protected"] = "ja"
            kinds[ref] = "protected"
        else:
            kinds[ref] = "new"
    for n, person in enumerate(_rns_with_personnummer(sites, 4)):
        ref = f"PNR-{n}"
        rows.append(
            {
                **rows[-1],
                "birth_date": person["birth_date"],
                "sex": person["sex"],
                "family_name": person["family_name"],
                "given_names": person["given_names"],
                "protected": "nej",
                "external_ref": ref,
            }
        )
        kinds[ref] = "personnummer"
    return rows, kinds


def _queue(settings: Settings) -> dict[str, tuple[ItemStatus, int]]:
    with open_store(settings) as store:
        return {i.ref: (i.status, i.attempts) for i in store.items()}


@pytest.mark.slow  # 30 rows, dry run then the real run
def test_backlog_dry_run_should_predict_every_row_of_the_real_run_and_change_nothing(
    backlog_settings: Settings, fresh_mock_sites: MockSites, tmp_path: Path
) -> None:
    sites = fresh_mock_sites
    rows, kinds = _mixed_rows(sites)
    assert len(rows) == 30
    queue_generated(backlog_settings, sites, 0, seed=1, rows=rows)
    env = environment_of(backlog_settings) | {"RESERVROBOT_TRANSFER_MODE": "browser"}
    before, queued = _records(sites), _queue(backlog_settings)
    journal = backlog_settings.data_dir / "journal.sqlite3"

    dry = CliRunner().invoke(
        app, ["backlog", "run", "--dry-run", "--out", str(tmp_path / "out")], env=env
    )
    unconfigure_logging()

    assert dry.exit_code == 2, dry.output  # some rows would need a person
    assert "Provkörning: inget skapades och inget sparades" in dry.stdout
    assert _records(sites) == before  # /_mock/records unchanged
    assert _queue(backlog_settings) == queued  # every item still waiting, no attempt counted
    with open_store(backlog_settings) as store:
        assert store.runs() == []  # no run recorded
    with sqlite3.connect(journal) as conn:  # the runner opened it; the dry run wrote nothing
        assert conn.execute("SELECT COUNT(*) FROM journal_steps").fetchone() == (0,)
    report = tmp_path / "out" / REPORT_NAME
    assert report.stat().st_mode & 0o077 == 0
    with report.open(encoding="utf-8-sig") as fh:
        predicted = list(csv.DictReader(fh, delimiter=";"))
    assert len(predicted) == 30 and {r["provkörning"] for r in predicted} == {"ja"}
    html = (tmp_path / "out" / HTML_NAME).read_text("utf-8")
    assert "Provkörning: inget skapades och inget sparades" in html
    assert html.count("<tr><td>") == 30
    for row in rows:  # the page may go to IT support: no names, numbers or addresses
        assert row["family_name"] not in html and row["street"] not in html
    assert all(r["patient_id"] not in html for r in predicted if r["patient_id"])

    summary = run_backlog(backlog_settings, RunOptions(workers=1))
    assert summary.exit_code == ExitCode.NEEDS_PERSON, summary

    with open_store(backlog_settings) as store:
        items = {i.id: i for i in store.items()}
    by_kind: dict[str, int] = {}
    for row in predicted:
        item = items[int(row["id"])]
        assert item.outcome is not None, item
        kind = kinds[item.ref]
        by_kind[kind] = by_kind.get(kind, 0) + 1
        real_outcome = item.outcome
        assert row["utfall"] == _KIND_SV[real_outcome.kind], (kind, row, real_outcome)
        assert row["skulle_göra"] == _EXPECTED_PLAN[kind], (kind, row)
        if kind in ("reuse", "already_registered"):
            assert row["patient_id"] == real_outcome.patient_id
        if kind == "already_registered":
            assert row["kodskillnader"] == "; ".join(real_outcome.code_differences) != ""
        if kind in ("new", "reuse"):
            patient = [
                p
                for p in sites.records("pmo")["patients"]
                if p["patient_id"] == real_outcome.patient_id
            ]
            assert [(p["kommun"], p["lan"]) for p in patient] == [(row["kommun"], row["län"])]
        if real_outcome.kind is OutcomeKind.NEEDS_PERSON:
            assert row["orsak"] == real_outcome.reason_sv
    assert by_kind == {
        "already_registered": 5,
        "reuse": 5,
        "uncertain": 3,
        "protected": 2,
        "new": 11,
        "personnummer": 4,
    }


_KIND_SV = {
    OutcomeKind.REGISTERED: "Registrerad i PMO",
    OutcomeKind.ALREADY_REGISTERED: "Fanns redan i PMO",
    OutcomeKind.NEEDS_PERSON: "Behöver en person",
    OutcomeKind.FAILED: "Misslyckades",
}
_EXPECTED_PLAN = {
    "new": "Skulle skapa ett nytt reservnummer och registrera i PMO",
    "protected": "Skulle skapa ett nytt reservnummer och registrera i PMO",
    "reuse": "Skulle återanvända reservnumret och registrera i PMO",
    "already_registered": "Finns redan i PMO: skulle inte ändra något",
    "uncertain": "Skulle lämnas till en person",
    "personnummer": "Skulle lämnas till en person",
}
