"""Region Gävleborg's published reservnummer end to end, on the default mock sites.

The number is ``YYYYMMDD-NNSC`` as Reservnummersystemet shows it, and PMO keeps it so by
default (``pmo_form = "as_shown"``). ``X`` says the sex is unknown: a number read from
Reservnummersystemet with it is matched with the sex unknown and can be reused, registered and
completed; a request whose sex is unknown goes to a person (the default profile says nothing
about what PMO's Kön gets). The compact PMO form and registering an X number are in
test_region_profiles.py.
"""

from __future__ import annotations

import re

import pytest

from flows.rules.outcome import OutcomeKind
from flows.runner import Runner
from mock_sites.testing import MockSites
from tests.e2e.people import People, SiteWriter, make_personnummer, patients_with, persons_born

pytestmark = pytest.mark.e2e

PUBLISHED = re.compile(r"[0-9]{8}-[0-9]{2}[MKX][0-9]")


def test_register_should_paste_the_number_with_its_hyphen_as_rns_shows_it(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request(sex="M")

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    [person] = persons_born(sites, request.birth_date)
    assert PUBLISHED.fullmatch(person["id_value"]) and person["id_value"][11] == "M"
    assert outcome.patient_id == person["id_value"]
    assert len(patients_with(sites, patient_id=person["id_value"])) == 1


def test_request_with_unknown_sex_should_go_to_a_person_and_create_nothing(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request(sex="X")
    before = sites.records("pmo"), sites.records("rns")

    outcome = runner.register(request)

    assert (outcome.kind, outcome.reason_code) == (OutcomeKind.NEEDS_PERSON, "sex_unknown")
    assert outcome.steps == []  # nothing searched, nothing created
    assert (sites.records("pmo"), sites.records("rns")) == before


def test_x_number_in_rns_should_be_reused_registered_and_completed(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request(sex="K")
    x_number = SiteWriter(sites).rns_create(
        request.birth_date, sex="X", family=request.family_name, given=request.given_names
    )
    assert PUBLISHED.fullmatch(x_number) and x_number[11] == "X"

    registered = runner.register(request)

    assert (registered.kind, registered.patient_id, registered.reservnummer_reused) == (
        OutcomeKind.REGISTERED,
        x_number,
        True,
    )
    assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [x_number]
    [patient] = patients_with(sites, patient_id=x_number)
    assert patient["sex"] == "K"  # the request's sex; the number says unknown

    pnr = make_personnummer(request.birth_date, sex="K")
    # Typed without the hyphen, as staff may: read as the same number.
    completed = runner.complete_pnr(x_number.replace("-", ""), pnr[-4:], identity_checked=True)

    assert (completed.kind, completed.patient_id) == (OutcomeKind.REGISTERED, pnr), completed
    assert patients_with(sites, patient_id=x_number) == []
    [after] = patients_with(sites, patient_id=pnr)
    assert (after["sex"], after["family_name"]) == ("K", request.family_name)
