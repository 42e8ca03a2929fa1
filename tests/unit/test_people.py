"""The one generator of invented people (qa/people.py) keeps the routine's identity rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from flows.rules.groups import PatientGroup
from flows.rules.identity import IdKind, parse_patient_id
from flows.rules.model import Sex
from flows.rules.region import RegionProfile
from flows.rules.request import parse_request
from qa.people import (
    InventedPeople,
    birth_date_of,
    generate_rows,
    personnummer,
    reservnummer,
    taken_birth_dates,
)


def test_same_seed_should_give_the_same_people_and_another_seed_others() -> None:
    assert generate_rows(12, seed=4) == generate_rows(12, seed=4)
    assert generate_rows(12, seed=4) != generate_rows(12, seed=5)
    first = [InventedPeople(seed=9).request() for _ in range(2)]
    assert first[0] == first[1]


def test_people_should_have_distinct_birth_dates_and_names_outside_the_taken_ones() -> None:
    taken = {date(1960, 1, 1) + timedelta(days=2 * n) for n in range(150)}
    people = InventedPeople(seed=2, taken=taken, start=date(1960, 1, 1), end=date(1961, 6, 30))
    drawn = list(people.people(150))
    births = [p.birth_date for p in drawn]
    assert len(set(births)) == 150
    assert not set(births) & taken
    assert len({(p.family_name, p.given_names) for p in drawn}) == 150
    assert {p.sex for p in drawn} == {Sex.MAN, Sex.KVINNA}  # never an unknown sex


def test_rows_should_be_valid_requests_with_addresses_that_fit_the_group(
    groups: dict[str, PatientGroup],
) -> None:
    rows = InventedPeople(seed=3).rows(10)
    assert [r["external_ref"] for r in rows] == [f"GEN-3-{n:04d}" for n in range(1, 11)]
    abroad = [r for r in rows if r["country"] != "SE"]
    assert len(abroad) == 2 and {r["group"] for r in abroad} == {"ees_med_kort"}
    for row in rows:
        request = parse_request({**row, "protected": False}, groups=groups)
        assert request.birth_date.isoformat() == row["birth_date"]


@pytest.mark.parametrize("samordning", [False, True])
@pytest.mark.parametrize("sex", [Sex.MAN, Sex.KVINNA])
def test_invented_personnummer_should_parse_back_with_date_sex_and_kind(
    profile: RegionProfile, sex: Sex, samordning: bool
) -> None:
    birth = date(1988, 2, 29)
    number = personnummer(birth, sex=sex, samordning=samordning)
    parsed = parse_patient_id(number, profile=profile)
    assert parsed.birth_date == birth and parsed.sex is sex
    assert parsed.kind is (IdKind.SAMORDNINGSNUMMER if samordning else IdKind.PERSONNUMMER)
    assert int(number[6:8]) == 29 + (60 if samordning else 0)
    assert 980 <= int(number[8:11]) <= 999  # an invented serial, nobody's number


def test_personnummer_outside_the_invented_serials_should_be_refused() -> None:
    with pytest.raises(ValueError, match="980-999"):
        personnummer(date(1990, 1, 1), sex="K", serial=123)


def test_reservnummer_should_have_the_region_profiles_shape(profile: RegionProfile) -> None:
    number = reservnummer(date(1985, 3, 14), sex="K", serial=2)
    assert number.startswith("19850314-02K")  # Region Gävleborg's published YYYYMMDD-NNSC
    parsed = parse_patient_id(number, profile=profile)
    assert parsed.kind is IdKind.RESERVNUMMER and parsed.birth_date == date(1985, 3, 14)


def test_taken_dates_should_read_samordningsnummer_as_day_minus_sixty() -> None:
    samordning = personnummer(date(1970, 5, 7), sex="M", samordning=True)
    records = {
        "pmo": {
            "patients": [
                {"patient_id": samordning},
                {"patient_id": reservnummer(date(1999, 12, 31), sex="M")},
                {"patient_id": "19612121201M7"},  # the printed example: no calendar date
            ]
        },
        "rns": {"persons": [{"birth_date": "2001-02-03"}]},
    }
    assert birth_date_of(samordning) == date(1970, 5, 7)
    assert taken_birth_dates(records) == {date(1970, 5, 7), date(1999, 12, 31), date(2001, 2, 3)}
