"""The registration routine end to end, in PMO layout a and layout b.

Every test drives the real mock sites with the robot in Chromium and checks what the sites
stored (``/_mock/records``), not only what the robot says. The module runs twice: once with
``pmo_selectors="pmo_a"`` against layout a and once with ``"pmo_b"`` against layout b; nothing
else differs (the adaptability requirement).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from flows.journaled import number_record
from flows.register import JOURNAL_NUMBER, journal_key
from flows.rules.outcome import Decision, OutcomeKind
from flows.runner import Runner
from mock_sites.testing import MockSites
from robot.settings import DEFAULT_CONFIG_DIR, Settings
from tests.e2e.conftest import make_settings
from tests.e2e.people import (
    People,
    SiteWriter,
    birth_of,
    make_personnummer,
    patients_born,
    patients_with,
    persons_born,
    rns_person_with_personnummer_alone,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["a", "b"], ids=["layout_a", "layout_b"])
def module_sites(request: pytest.FixtureRequest) -> MockSites:
    return request.getfixturevalue("mock_sites_b" if request.param == "b" else "mock_sites")


def test_register_should_create_reservnummer_and_patient_when_nobody_is_found(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request()
    steps: list[str] = []

    outcome = runner.register(request, on_step=lambda e: steps.append(f"{e.step}:{e.status}"))

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert outcome.reservnummer_reused is False
    [person] = persons_born(sites, request.birth_date)
    assert person["id_type"] == "Reservnummer"
    assert (person["family_name"], person["given_names"]) == (
        request.family_name,
        request.given_names,
    )
    assert outcome.patient_id == person["id_value"]
    [patient] = patients_born(sites, request.birth_date)
    assert patient == patient | {
        "patient_id": person["id_value"],
        "sex": request.sex.value,
        "family_name": request.family_name,
        "given_names": request.given_names,
        "street": "Norra Kungsgatan 5",
        "postal_code": "803 20",
        "city": "Gävle",
        "country": "Sverige",
        "kommun": "01",  # the group's codes, not the autofill's 80/21
        "lan": "99",
        "info": "Läggs in manuellt.",
    }
    assert [s.step for s in outcome.steps] == [
        "search_pmo",
        "search_rns",
        "create_rns",
        "register_pmo",
        "verify",
    ]
    assert steps[0] == "search_pmo:started" and steps[-1] == "verify:done"


def test_register_twice_should_report_already_registered_and_change_nothing(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request(group="papperslos")
    first = runner.register(request)
    before = sites.records("pmo")["patients"], sites.records("rns")["persons"]

    second = runner.register(request)

    assert first.kind is OutcomeKind.REGISTERED
    assert second.kind is OutcomeKind.ALREADY_REGISTERED
    assert second.patient_id == first.patient_id
    assert second.code_differences == []  # registered with the group's codes 07/99
    assert (sites.records("pmo")["patients"], sites.records("rns")["persons"]) == before


def test_register_should_reuse_reservnummer_of_name_variant_in_rns(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    request = people.request(family_name="Hussein", given_names="Muhammad", sex="M")
    existing = writer.rns_create(request.birth_date, sex="M", family="Husein", given="Mohamed")

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert outcome.reservnummer_reused is True
    assert outcome.patient_id == existing
    assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [existing]
    [patient] = patients_born(sites, request.birth_date)
    assert patient["patient_id"] == existing
    assert [s.status for s in outcome.steps if s.step == "create_rns"] == ["skipped"]


def test_register_should_find_name_variant_in_pmo_and_report_code_differences(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    request = people.request(family_name="Shevchenko", given_names="Olena", sex="K")
    patient_id = writer.rns_create(request.birth_date, sex="K", family="Sjevtjenko", given="Elena")
    writer.pmo_register(
        patient_id, sex="K", family="Sjevtjenko", given="Elena", kommun="80", lan="21"
    )
    before = sites.records("pmo")["patients"], sites.records("rns")["persons"]

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.ALREADY_REGISTERED, outcome
    assert outcome.patient_id == patient_id
    assert outcome.reason_code == "codes_differ"
    assert len(outcome.code_differences) == 2
    assert "80" in outcome.code_differences[0] and "01" in outcome.code_differences[0]
    assert "21" in outcome.code_differences[1] and "99" in outcome.code_differences[1]
    assert (sites.records("pmo")["patients"], sites.records("rns")["persons"]) == before


def test_register_should_hand_over_person_with_personnummer_in_rns(
    runner: Runner, sites: MockSites, people: People
) -> None:
    seeded = rns_person_with_personnummer_alone(sites)
    request = people.request(
        birth_date=date.fromisoformat(seeded["birth_date"]),
        sex=seeded["sex"],
        family_name=seeded["family_name"],
        given_names=seeded["given_names"],
    )
    before = sites.records("pmo")["patients"], sites.records("rns")["persons"]

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.NEEDS_PERSON, outcome
    assert outcome.reason_code == "has_personnummer"
    assert outcome.reason_sv
    assert [c.personnummer for c in outcome.candidates] == [seeded["personnummer"]]
    assert (sites.records("pmo")["patients"], sites.records("rns")["persons"]) == before


def test_register_should_hand_over_uncertain_match_and_follow_the_decision(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    request = people.request(sex="K")
    other_id = writer.rns_create(
        request.birth_date, sex="M", family=request.family_name, given=request.given_names
    )
    writer.pmo_register(other_id, sex="M", family=request.family_name, given=request.given_names)

    asked = runner.register(request)

    assert asked.kind is OutcomeKind.NEEDS_PERSON, asked
    assert asked.reason_code == "uncertain_match_pmo"
    [candidate] = asked.candidates
    assert (candidate.system, candidate.id_value, candidate.match) == ("pmo", other_id, "uncertain")
    assert len(patients_born(sites, request.birth_date)) == 1

    # "Another person" in PMO; in RNS the same man is then judged uncertain too.
    decisions = [
        Decision(system="pmo", id_value=other_id, verdict="different", decided_by="test"),
        Decision(system="rns", id_value=other_id, verdict="different", decided_by="test"),
    ]
    created = runner.register(request, decisions=decisions)

    assert created.kind is OutcomeKind.REGISTERED, created
    assert created.patient_id != other_id
    assert len(persons_born(sites, request.birth_date)) == 2
    assert {p["patient_id"] for p in patients_born(sites, request.birth_date)} == {
        other_id,
        created.patient_id,
    }


def test_register_should_apply_a_pmo_decision_to_the_same_number_in_rns(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    # A man in PMO and RNS with the woman's name and birth date; RNS shows no sex.
    request = people.request(sex="K")
    man = writer.rns_create(
        request.birth_date, sex="M", family=request.family_name, given=request.given_names
    )
    writer.pmo_register(man, sex="M", family=request.family_name, given=request.given_names)
    asked = runner.register(request)
    assert (asked.kind, asked.reason_code) == (OutcomeKind.NEEDS_PERSON, "uncertain_match_pmo")

    # "Annan person" on PMO's patient only: it is a decision about the person holding that
    # number, so RNS's row with the same number is somebody else too.
    different = Decision(system="pmo", id_value=man, verdict="different", decided_by="test")
    created = runner.register(request, decisions=[different])

    assert created.kind is OutcomeKind.REGISTERED, created
    assert created.patient_id != man
    assert created.reservnummer_reused is False
    woman = [p for p in persons_born(sites, request.birth_date) if p["id_value"] != man]
    assert [p["id_value"] for p in woman] == [created.patient_id]
    assert {p["patient_id"]: p["sex"] for p in patients_born(sites, request.birth_date)} == {
        man: "M",
        created.patient_id: "K",
    }

    # The decision is stored: a later run (any entry point) is not asked about the man again.
    again = runner.register(request)

    assert again.kind is OutcomeKind.ALREADY_REGISTERED, again
    assert again.patient_id == created.patient_id


def test_register_should_be_already_registered_when_another_spelling_saved_its_number(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    # The loser of an old race: it journaled the number it meant to reuse, and the winner
    # saved that number in PMO under another spelling of the same person.
    request = people.request(sex="M", given_names="Mohammed")
    number = writer.rns_create(
        request.birth_date, sex="M", family=request.family_name, given="Muhammad"
    )
    writer.pmo_register(number, sex="M", family=request.family_name, given="Muhammad")
    key = journal_key(request)
    runner.context.journal.record(key, JOURNAL_NUMBER, {"value": number, "reused": True})

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.ALREADY_REGISTERED, outcome
    assert outcome.patient_id == number
    assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [number]
    assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [number]
    assert runner.context.journal.steps(key) == {}


def test_register_protected_should_stop_when_its_keyed_journaled_number_is_listed_nowhere(
    runner: Runner, sites: MockSites, people: People
) -> None:
    # A protected person's number is journaled as a keyed hash only (flows/journaled.py): a
    # rerun can name it only by finding it among the hits. Here neither system lists it.
    request = people.request(protected=True)
    journal = runner.context.journal
    key = journal_key(request)
    gone = f"{request.birth_date:%Y%m%d}-99K0"
    journal.record(key, JOURNAL_NUMBER, number_record(request, gone, reused=False, journal=journal))

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.NEEDS_PERSON, outcome
    assert outcome.reason_code == "journaled_number_missing"
    assert "Skapa inget nytt reservnummer" in (outcome.reason_sv or "")
    # Never a second number: nothing created, nothing saved; the record stays for the rerun.
    assert persons_born(sites, request.birth_date) == []
    assert patients_born(sites, request.birth_date) == []
    assert JOURNAL_NUMBER in journal.steps(key)


def test_register_should_take_a_same_person_decision_as_already_registered(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    request = people.request(sex="M")
    existing = writer.rns_create(
        request.birth_date, sex="K", family=request.family_name, given=request.given_names
    )
    writer.pmo_register(existing, sex="K", family=request.family_name, given=request.given_names)

    outcome = runner.register(
        request,
        decisions=[Decision(system="pmo", id_value=existing, verdict="same", decided_by="test")],
    )

    assert outcome.kind is OutcomeKind.ALREADY_REGISTERED
    assert outcome.patient_id == existing
    assert len(persons_born(sites, request.birth_date)) == 1


def test_register_should_keep_foreign_city_and_country_despite_postnummer_autofill(
    runner: Runner, sites: MockSites, people: People
) -> None:
    # 80331 is München; PMO's prefix lookup takes it for Gävle (802-808 -> Gävle, 80, 21).
    request = people.request(
        group="ees_med_kort",
        street="Marienplatz 8",
        postal_code="80331",
        city="München",
        country="DE",
    )

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    [patient] = patients_with(sites, patient_id=outcome.patient_id or "")
    assert (patient["postal_code"], patient["city"], patient["country"]) == (
        "80331",
        "München",
        "Tyskland",
    )
    assert (patient["kommun"], patient["lan"]) == ("02", "99")


def test_register_protected_identity_should_register_id_sex_and_name_only(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request(protected=True)

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.NEEDS_PERSON, outcome
    assert outcome.reason_code == "protected_identity"
    [person] = persons_born(sites, request.birth_date)
    assert outcome.patient_id == person["id_value"]
    [patient] = patients_born(sites, request.birth_date)
    assert patient["patient_id"] == person["id_value"]
    assert (patient["sex"], patient["family_name"], patient["given_names"]) == (
        request.sex.value,
        request.family_name,
        request.given_names,
    )
    assert [
        patient[k] for k in ("street", "postal_code", "city", "country", "kommun", "lan", "info")
    ] == [""] * 7


def test_complete_pnr_should_replace_reservnummer_with_personnummer(
    runner: Runner, sites: MockSites, people: People
) -> None:
    registered = runner.register(
        people.request(
            sex="M",
            group="ees_utan_kort",
            street="Rue de Rivoli 1",
            postal_code="75001",
            city="Paris",
            country="FR",
        )
    )
    assert registered.patient_id
    before = patients_with(sites, patient_id=registered.patient_id)[0]
    birth = date.fromisoformat(
        f"{registered.patient_id[:4]}-{registered.patient_id[4:6]}-{registered.patient_id[6:8]}"
    )
    pnr = make_personnummer(birth, sex="M")

    outcome = runner.complete_pnr(registered.patient_id, pnr, identity_checked=True)

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert outcome.patient_id == pnr
    assert patients_with(sites, patient_id=registered.patient_id) == []
    [after] = patients_with(sites, patient_id=pnr)
    unchanged = (
        "sex",
        "family_name",
        "given_names",
        "street",
        "postal_code",
        "city",
        "country",
        "kommun",
        "lan",
        "info",
    )
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


def test_complete_pnr_should_refuse_other_birth_date_or_unchecked_identity(
    runner: Runner, sites: MockSites, people: People
) -> None:
    registered = runner.register(people.request(sex="K"))
    assert registered.patient_id
    birth = date.fromisoformat(
        f"{registered.patient_id[:4]}-{registered.patient_id[4:6]}-{registered.patient_id[6:8]}"
    )
    before = sites.records("pmo")["patients"]

    mismatch = runner.complete_pnr(
        registered.patient_id,
        make_personnummer(birth.replace(year=birth.year - 1), sex="K"),
        identity_checked=True,
    )
    unchecked = runner.complete_pnr(
        registered.patient_id, make_personnummer(birth, sex="K"), identity_checked=False
    )

    assert (mismatch.kind, mismatch.reason_code) == (
        OutcomeKind.NEEDS_PERSON,
        "birth_date_mismatch",
    )
    assert (unchecked.kind, unchecked.reason_code) == (
        OutcomeKind.NEEDS_PERSON,
        "identity_not_checked",
    )
    assert sites.records("pmo")["patients"] == before


def test_complete_pnr_should_refuse_a_personnummer_of_the_other_sex_before_changing(
    runner: Runner, sites: MockSites, people: People
) -> None:
    registered = runner.register(people.request(sex="K"))
    assert registered.patient_id
    birth = date.fromisoformat(birth_of(registered.patient_id))
    before = sites.records("pmo")["patients"]

    outcome = runner.complete_pnr(
        registered.patient_id, make_personnummer(birth, sex="M"), identity_checked=True
    )

    assert (outcome.kind, outcome.reason_code) == (OutcomeKind.NEEDS_PERSON, "sex_mismatch")
    assert outcome.reason_sv and "kön" in outcome.reason_sv
    assert sites.records("pmo")["patients"] == before


def test_complete_pnr_should_stop_before_changing_when_another_patient_holds_the_personnummer(
    runner: Runner, sites: MockSites, people: People, writer: SiteWriter
) -> None:
    request = people.request(sex="K")
    registered = runner.register(request)
    assert registered.patient_id
    birth = date.fromisoformat(birth_of(registered.patient_id))
    pnr = make_personnummer(birth, sex="K")
    writer.pmo_register(pnr, sex="K", family=request.family_name, given=request.given_names)
    before = sites.records("pmo")["patients"]

    outcome = runner.complete_pnr(registered.patient_id, pnr, identity_checked=True)

    assert (outcome.kind, outcome.reason_code) == (
        OutcomeKind.NEEDS_PERSON,
        "personnummer_taken",
    )
    assert outcome.reason_sv and "Inget har ändrats" in outcome.reason_sv
    assert not any(step.step == "change_pmo" for step in outcome.steps)
    assert sites.records("pmo")["patients"] == before


def test_register_should_name_the_selector_key_when_an_element_is_missing(
    sites: MockSites, people: People, robot_settings: Settings, tmp_path: Path
) -> None:
    # A selector file whose "Månad" field no longer matches the screen (the site changed).
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    selector_file = config / "selectors" / f"{robot_settings.pmo.selectors}.toml"
    text = selector_file.read_text(encoding="utf-8")
    month = 'month = { role = "textbox", name = "Månad" }'
    assert month in text
    selector_file.write_text(
        text.replace(month, 'month = { role = "textbox", name = "Födelsemånad" }'),
        encoding="utf-8",
    )
    settings = make_settings(
        sites,
        tmp_path / "data",
        pmo_selectors=robot_settings.pmo.selectors,
        config_dir=config,
        # The missing element is waited for this long; the login before it must fit in it too,
        # also on a loaded machine (500 ms did not, at load 20).
        timeout_ms=3000,
        max_attempts=1,
    )
    request = people.request()

    with Runner(settings) as broken:
        outcome = broken.register(request)

    assert (outcome.kind, outcome.reason_code) == (OutcomeKind.FAILED, "selector_missing")
    where = f"{robot_settings.pmo.selectors}.search.month (textbox 'Födelsemånad')"
    assert outcome.reason_sv and outcome.reason_sv.startswith(f"PMO: elementet {where} ")
    assert "Timeout" not in outcome.reason_sv
    [failed] = [s for s in outcome.steps if s.status == "failed"]
    assert failed.step == "search_pmo"
    assert persons_born(sites, request.birth_date) == []
