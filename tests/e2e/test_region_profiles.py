"""The second region profile end to end: the example Stockholm profile (protected identities
handed over at once, Inera's national reservnummer format) against mock sites started with
that region, so RNS hands out NRID numbers and PMO's format check takes them.

The main cases of the e2e suite run here with ``region="stockholm"`` on both sides: a new
registration, already registered, reuse of an RNS number, a protected identity handed over
without creating anything (nor searching), and a dry run of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from apps.cli.doctor import region_check
from apps.cli.main import app
from flows.rules.identity import IdKind, parse_patient_id
from flows.rules.outcome import OutcomeKind
from flows.rules.region import RegionProfile, load_region_profile
from flows.rules.request import RegistrationRequest
from flows.runner import Runner
from mock_sites.testing import MockSites, run_mock_sites
from qa.people import InventedPeople, birth_date_of
from robot.logs import unconfigure_logging
from robot.settings import DEFAULT_CONFIG_DIR, Settings
from tests.e2e.conftest import make_settings
from tests.e2e.people import SiteWriter, persons_born

pytestmark = pytest.mark.e2e

REGION = "stockholm"
# NRID: prefix, YYMMDD, serial, sex letter, check character (letters without I O Q V W).
NRID = re.compile(r"99[0-9]{6}[0-9]{2}[MK][0-9A-HJ-NPR-UX-Z]")
_ADDRESS = {"street": "Sveavägen 10", "postal_code": "111 57", "city": "Stockholm"}


@pytest.fixture(scope="module")
def module_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockSites]:
    with run_mock_sites(tmp_path_factory.mktemp("stockholm-sites"), region=REGION) as sites:
        yield sites


@pytest.fixture(scope="module")
def robot_settings(module_sites: MockSites, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(module_sites, tmp_path_factory.mktemp("robot-data"), region=REGION)


@pytest.fixture(scope="module")
def profile() -> RegionProfile:
    return load_region_profile(DEFAULT_CONFIG_DIR, REGION)


def _taken(sites: MockSites) -> set[date]:
    taken = {date.fromisoformat(p["birth_date"]) for p in sites.records("rns")["persons"]}
    for patient in sites.records("pmo")["patients"]:
        born = birth_date_of(patient["patient_id"], region=REGION)
        if born is not None:
            taken.add(born)
    return taken


class _People:
    """Requests for new persons on birth dates neither Stockholm mock has."""

    def __init__(self, sites: MockSites, seed: int) -> None:
        self._people = InventedPeople(seed=seed, taken=_taken(sites))

    def request(self, **overrides: Any) -> RegistrationRequest:
        return self._people.request(**{**_ADDRESS, **overrides})


_seeds = iter(range(9100, 9200))


@pytest.fixture
def people(sites: MockSites) -> _People:
    return _People(sites, next(_seeds))


def _patients_born(sites: MockSites, born: date) -> list[dict[str, Any]]:
    return [
        p
        for p in sites.records("pmo")["patients"]
        if birth_date_of(p["patient_id"], region=REGION) == born
    ]


def test_seeded_mocks_should_hold_national_format_numbers(
    sites: MockSites, profile: RegionProfile
) -> None:
    numbers = [
        p["id_value"] for p in sites.records("rns")["persons"] if p["id_type"] == "Reservnummer"
    ]
    assert numbers and all(NRID.fullmatch(n) for n in numbers)
    for person in sites.records("rns")["persons"]:
        if person["id_type"] == "Reservnummer":
            pid = parse_patient_id(person["id_value"], profile=profile)  # check character too
            assert pid.birth_date == date.fromisoformat(person["birth_date"])
            assert pid.sex is not None and pid.sex.value == person["sex"]


def test_register_should_create_a_national_format_reservnummer_and_patient(
    runner: Runner, sites: MockSites, people: _People, profile: RegionProfile
) -> None:
    request = people.request()

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert outcome.reservnummer_reused is False
    [person] = persons_born(sites, request.birth_date)
    assert outcome.patient_id == person["id_value"]
    assert NRID.fullmatch(person["id_value"])
    pid = parse_patient_id(person["id_value"], profile=profile)
    assert (pid.kind, pid.birth_date, pid.sex) == (
        IdKind.RESERVNUMMER,
        request.birth_date,
        request.sex,
    )
    [patient] = _patients_born(sites, request.birth_date)
    assert (patient["patient_id"], patient["kommun"], patient["lan"]) == (
        person["id_value"],
        "01",
        "99",
    )


def test_register_twice_should_be_already_registered_and_change_nothing(
    runner: Runner, sites: MockSites, people: _People
) -> None:
    request = people.request(group="papperslos")
    first = runner.register(request)
    before = sites.records("pmo"), sites.records("rns")

    second = runner.register(request)

    assert first.kind is OutcomeKind.REGISTERED, first
    assert (second.kind, second.patient_id) == (OutcomeKind.ALREADY_REGISTERED, first.patient_id)
    assert second.code_differences == []
    assert (sites.records("pmo"), sites.records("rns")) == before


def test_register_should_reuse_the_national_format_number_rns_has(
    runner: Runner, sites: MockSites, people: _People
) -> None:
    request = people.request(family_name="Hussein", given_names="Muhammad", sex="M")
    existing = SiteWriter(sites).rns_create(
        request.birth_date, sex="M", family="Husein", given="Mohamed"
    )
    assert NRID.fullmatch(existing)

    outcome = runner.register(request)

    assert (outcome.kind, outcome.patient_id, outcome.reservnummer_reused) == (
        OutcomeKind.REGISTERED,
        existing,
        True,
    )
    assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [existing]
    assert [p["patient_id"] for p in _patients_born(sites, request.birth_date)] == [existing]


def test_protected_identity_should_be_handed_over_without_searching_or_creating_anything(
    runner: Runner, sites: MockSites, people: _People, robot_settings: Settings
) -> None:
    request = people.request(protected=True)
    before = sites.records("pmo"), sites.records("rns")

    outcome = runner.register(request)
    planned = runner.register(request, dry_run=True)

    assert outcome.kind is OutcomeKind.NEEDS_PERSON, outcome
    assert outcome.reason_code == "protected_hand_over"
    assert outcome.reason_sv and "folkbokföringen" in outcome.reason_sv
    assert outcome.patient_id is None and outcome.reservnummer is None
    assert outcome.steps == []  # not even searched
    assert outcome.evidence_dir is None
    assert (planned.dry_run, planned.planned, planned.reason_code) == (
        True,
        "needs_person",
        "protected_hand_over",
    )
    assert (sites.records("pmo"), sites.records("rns")) == before
    evidence = Path(robot_settings.data_dir) / "evidence"
    assert not evidence.exists() or not any(p.is_file() for p in evidence.rglob("*"))


def test_pmo_of_the_region_should_refuse_the_other_regions_format(sites: MockSites) -> None:
    """The mock PMO takes the profile's format only (Gävleborg's printed form gets the marker)."""
    with pytest.raises(AssertionError):
        SiteWriter(sites).pmo_register("19850314002K3", sex="K", family="Test", given="Anna")


def test_config_show_and_doctor_should_show_the_active_profile(
    module_sites: MockSites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "RESERVROBOT_REGION": REGION,
        "RESERVROBOT_DATA_DIR": str(tmp_path),
        "RESERVROBOT_CONFIG_FILE": str(tmp_path / "absent.toml"),
    }
    monkeypatch.chdir(tmp_path)
    try:
        text = CliRunner().invoke(app, ["config", "show"], env=env)
        as_json = CliRunner().invoke(app, ["config", "show", "--json"], env=env)
    finally:
        unconfigure_logging()

    assert text.exit_code == 0, text.output
    assert "Regionprofil: Region Stockholm (exempelprofil) (stockholm)" in text.stdout
    assert "Exempelprofil: värdena är inte bekräftade av regionen." in text.stdout
    assert "lämnas direkt till en person" in text.stdout
    shown = json.loads(as_json.stdout)["region_profile"]
    assert shown["reservnummer_format"] == "nrid"
    assert shown["protected_identity"] == "hand_over"
    assert shown["reservnummer_example"] == "9985031401K6"

    check = region_check(Settings(region=REGION, data_dir=tmp_path))
    assert check.ok and "exempelprofil" in check.detail and "9985031401K6" in check.detail
    with pytest.raises(ValidationError, match="RESERVROBOT_REGION 'nowhere' finns inte"):
        Settings(region="nowhere", data_dir=tmp_path)  # an unknown region: no settings at all
