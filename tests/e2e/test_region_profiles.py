"""The region profiles end to end: the mock sites started with each profile the mock can serve
other than the default Region Gävleborg (tested in test_gavleborg_formats.py), and the robot
registering and completing a person in that profile's reservnummer format.

- ``stockholm``: SLL's ``99`` + ten digits; the number carries no birth date, so PMO's form
  asks for one; protected identities are handed over at once.
- ``nrid``: Inera's national ``XXYYMMDDNNGC`` with its published check digit.
- ``skane``: ``YYYYMMDD[DEF][A-Z][01][A-Z]``.
- ``gavleborg-compact``: Region Gävleborg with ``pmo_form = "compact"`` (PMO's Patient-ID
  without Reservnummersystemet's hyphen) and ``unknown_in_pmo = "kvinna"`` (a request whose sex
  is unknown gets an X number), read by the mock sites and the robot from one copied config
  folder.

One set of sites and one warm browser per profile (module-scoped, parametrised); the main case
(register, then complete-pnr) runs on each.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from apps.cli.doctor import region_check
from apps.cli.main import app
from apps.fhir.results import outcome_resource
from flows.rules.identity import IdKind, InvalidIdentity, parse_patient_id
from flows.rules.model import Sex
from flows.rules.outcome import Outcome, OutcomeKind
from flows.rules.region import RegionProfile, load_region_profile
from flows.rules.request import RegistrationRequest
from flows.runner import Runner
from mock_sites.rns.numbers import NumberFormat
from mock_sites.seed import build_world
from mock_sites.testing import MockSites, run_mock_sites
from qa.people import InventedPeople
from robot.logs import unconfigure_logging
from robot.settings import DEFAULT_CONFIG_DIR, Settings
from tests.e2e.conftest import make_settings
from tests.e2e.people import SiteWriter, make_personnummer, patients_with, persons_born
from tests.fhir_checks import check_patient

pytestmark = pytest.mark.e2e

PROFILES = ["stockholm", "nrid", "skane", "gavleborg-compact"]
_ADDRESS = {"street": "Storgatan 1", "postal_code": "803 20", "city": "Gävle"}
_seeds = iter(range(9100, 9400))


@pytest.fixture(scope="module", params=PROFILES)
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def config_dir(variant: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The config folder both the mock sites and the robot read (a changed copy for the
    Gävleborg variant)."""
    if variant != "gavleborg-compact":
        return DEFAULT_CONFIG_DIR
    copy = tmp_path_factory.mktemp("config") / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, copy)
    profile = copy / "regions" / "gavleborg.toml"
    text = profile.read_text("utf-8")
    text = text.replace('pmo_form = "as_shown"', 'pmo_form = "compact"')
    text = text.replace('unknown_in_pmo = "hand_over"', 'unknown_in_pmo = "kvinna"')
    profile.write_text(text, "utf-8")
    return copy


@pytest.fixture(scope="module")
def region(variant: str) -> str:
    return variant.removesuffix("-compact")


@pytest.fixture(scope="module")
def module_sites(
    region: str, config_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MockSites]:
    data = tmp_path_factory.mktemp(f"{region}-sites")
    with run_mock_sites(data, region=region, config_dir=config_dir) as sites:
        yield sites


@pytest.fixture(scope="module")
def robot_settings(
    module_sites: MockSites, region: str, config_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    data = tmp_path_factory.mktemp("robot-data")
    return make_settings(module_sites, data, region=region, config_dir=config_dir)


@pytest.fixture(scope="module")
def profile(region: str, config_dir: Path) -> RegionProfile:
    return load_region_profile(config_dir, region)


def _taken(sites: MockSites, region: str, config_dir: Path) -> set[date]:
    """Birth dates either mock holds: RNS's rows, and the seed's PMO patients (an SLL
    Patient-ID carries no birth date to read back)."""
    taken = {date.fromisoformat(p["birth_date"]) for p in sites.records("rns")["persons"]}
    world = build_world(1, 300, NumberFormat.for_region(region, config_dir))
    for patient in world.patients:
        born = str(patient["birth_date"])
        taken.add(date(int(born[:4]), int(born[4:6]), int(born[6:8])))
    return taken


class _People:
    """Requests for new persons on birth dates neither mock has."""

    def __init__(self, sites: MockSites, region: str, config_dir: Path) -> None:
        taken = _taken(sites, region, config_dir)
        self._people = InventedPeople(seed=next(_seeds), taken=taken)

    def request(self, **overrides: Any) -> RegistrationRequest:
        return self._people.request(**{**_ADDRESS, **overrides})


@pytest.fixture
def people(sites: MockSites, region: str, config_dir: Path) -> _People:
    return _People(sites, region, config_dir)


# The HL7 Sweden invariant each profile's identifier system brings (none without a system).
_INVARIANT = {
    "stockholm": ["RegionStockholm-local-reservnummer-invariant"],
    "nrid": ["nationelltReservnummer-invariant"],
    "skane": ["Skane-local-reservnummer-invariant"],
    "": [],
}


def _fhir(outcome: Outcome, request: RegistrationRequest, profile: RegionProfile) -> dict[str, Any]:
    resource = outcome_resource(outcome, request=request, profile=profile)
    data: dict[str, Any] = json.loads(resource.model_dump_json())
    return data


def _published(profile: RegionProfile) -> re.Pattern[str]:
    text = profile.published.replace("[A-Z&&[^IOQVW]]", "[ABCDEFGHJKLMNPRSTUXYZ]")
    return re.compile(text.replace(r"\d", "[0-9]"))


def test_seeded_mocks_should_hold_numbers_of_the_published_format(
    sites: MockSites, profile: RegionProfile
) -> None:
    numbers = [
        p["id_value"] for p in sites.records("rns")["persons"] if p["id_type"] == "Reservnummer"
    ]
    assert numbers
    for person in sites.records("rns")["persons"]:
        if person["id_type"] == "Reservnummer":
            number = person["id_value"]
            assert _published(profile).fullmatch(number), number
            pid = parse_patient_id(number, profile=profile)  # NRID: the check digit too
            assert pid.value == number
            if profile.number_has_birth_date:
                assert pid.birth_date == date.fromisoformat(person["birth_date"])


def test_register_and_complete_should_work_in_the_profiles_format(
    runner: Runner, sites: MockSites, people: _People, profile: RegionProfile
) -> None:
    request = people.request(sex="K")

    registered = runner.register(request)

    assert registered.kind is OutcomeKind.REGISTERED, registered
    [person] = persons_born(sites, request.birth_date)
    number = person["id_value"]
    assert _published(profile).fullmatch(number), number
    in_pmo = profile.pmo_text(number)
    assert registered.patient_id == in_pmo
    [patient] = patients_with(sites, patient_id=in_pmo)
    assert (patient["sex"], patient["family_name"]) == ("K", request.family_name)
    if profile.pmo_form == "compact":
        assert "-" in number and "-" not in in_pmo  # RNS shows the hyphen, PMO keeps none

    # The standard output meets HL7 Sweden's published invariant of the profile's system.
    checked = check_patient(
        _fhir(registered, request, profile),
        region=profile.key,
        region_system=profile.identifier_system,
    )
    assert checked == _INVARIANT[profile.key if profile.identifier_system else ""]

    pnr = make_personnummer(request.birth_date, sex="K")
    completed = runner.complete_pnr(in_pmo, pnr, identity_checked=True)

    assert completed.kind is OutcomeKind.REGISTERED, completed
    assert completed.patient_id == pnr
    assert patients_with(sites, patient_id=in_pmo) == []
    [after] = patients_with(sites, patient_id=pnr)
    kept = ("sex", "family_name", "given_names", "street", "postal_code", "kommun", "lan")
    assert {k: after[k] for k in kept} == {k: patient[k] for k in kept}


def test_pmo_should_mark_a_number_outside_the_profiles_pmo_form(
    sites: MockSites, profile: RegionProfile
) -> None:
    """The mock PMO takes the profile's PMO form only; another region's (or the other hyphen
    form of this region's) gets the red marker and is not saved."""
    # Region Gävleborg's number as Reservnummersystemet shows it: another region's shape, and
    # for the compact variant the form with the hyphen PMO does not keep.
    with pytest.raises(AssertionError):
        SiteWriter(sites).pmo_register("19850314-02K3", sex="K", family="Test", given="Anna")


def test_unknown_sex_should_follow_the_profile(
    runner: Runner, sites: MockSites, people: _People, profile: RegionProfile
) -> None:
    request = people.request(sex="X")
    before = sites.records("pmo"), sites.records("rns")

    outcome = runner.register(request)

    if not profile.registers_unknown_sex:
        assert (outcome.kind, outcome.reason_code) == (OutcomeKind.NEEDS_PERSON, "sex_unknown")
        assert outcome.reason_sv and "Könet är okänt" in outcome.reason_sv
        assert (sites.records("pmo"), sites.records("rns")) == before
        return
    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    [person] = persons_born(sites, request.birth_date)
    assert person["sex"] == "X" and re.fullmatch(r"[0-9]{8}-[0-9]{2}X[0-9]", person["id_value"])
    [patient] = patients_with(sites, patient_id=profile.pmo_text(person["id_value"]))
    assert patient["sex"] == Sex.KVINNA.value  # the profile's choice for PMO's Kön
    assert parse_patient_id(patient["patient_id"], profile=profile).sex is None


def test_protected_identity_should_be_handed_over_where_the_profile_says_so(
    runner: Runner, sites: MockSites, people: _People, profile: RegionProfile
) -> None:
    if not profile.hands_over_protected:
        pytest.skip("this profile registers protected identities (tested in test_register)")
    request = people.request(protected=True)
    before = sites.records("pmo"), sites.records("rns")

    outcome = runner.register(request)

    assert (outcome.kind, outcome.reason_code) == (
        OutcomeKind.NEEDS_PERSON,
        "protected_hand_over",
    )
    assert outcome.steps == []  # not even searched
    assert (sites.records("pmo"), sites.records("rns")) == before


def test_config_show_and_doctor_should_show_the_format_and_its_source(
    module_sites: MockSites,
    region: str,
    config_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "RESERVROBOT_REGION": region,
        "RESERVROBOT_CONFIG_DIR": str(config_dir),
        "RESERVROBOT_DATA_DIR": str(tmp_path),
        "RESERVROBOT_CONFIG_FILE": str(tmp_path / "absent.toml"),
    }
    monkeypatch.chdir(tmp_path)
    try:
        text = CliRunner().invoke(app, ["config", "show", "--region", region], env=env)
        as_json = CliRunner().invoke(app, ["config", "show", "--json"], env=env)
    finally:
        unconfigure_logging()

    profile = load_region_profile(config_dir, region)
    assert text.exit_code == 0, text.output
    assert f"({region})" in text.stdout
    assert profile.published in text.stdout and "HL7 Sweden" in text.stdout
    shown = json.loads(as_json.stdout)["region_profile"]
    assert shown["reservnummer_format"] == profile.format
    assert shown["reservnummer_published"] == profile.published
    assert shown["identifier_system"] == profile.identifier_system

    check = region_check(Settings(region=region, config_dir=config_dir, data_dir=tmp_path))
    assert check.ok and profile.example in check.detail
    if not profile.confirmed:
        assert "exempelprofil" in check.detail
    with pytest.raises(ValidationError, match="RESERVROBOT_REGION 'nowhere' finns inte"):
        Settings(region="nowhere", data_dir=tmp_path)  # an unknown region: no settings at all


def test_completion_should_accept_the_printed_example_only_in_gavleborg(
    profile: RegionProfile,
) -> None:
    if profile.format == "gavleborg":
        pid = parse_patient_id("19612121201M7", profile=profile)
        assert (pid.kind, pid.value) == (IdKind.RESERVNUMMER, "19612121-01M7")
    else:
        with pytest.raises(InvalidIdentity, match="format"):
            parse_patient_id("19612121201M7", profile=profile)
