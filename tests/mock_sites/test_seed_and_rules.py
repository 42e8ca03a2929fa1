"""Seed data and the pure rules behind the mock sites (no browser)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from mock_sites.common.config import DEFAULT_CONFIG_DIR
from mock_sites.common.luhn import luhn_valid
from mock_sites.common.validation import fold
from mock_sites.pmo.patient_id import PatientIdRule
from mock_sites.pmo.postnummer import POSTNUMMER, lookup
from mock_sites.rns.numbers import personnummer, reservnummer
from mock_sites.seed import build_world

RULE = PatientIdRule.for_region("gavleborg", DEFAULT_CONFIG_DIR)


def test_seed_should_be_the_same_for_the_same_seed_and_differ_for_another() -> None:
    build_world.cache_clear()
    first = build_world(7, 60)
    build_world.cache_clear()
    assert build_world(7, 60) == first
    assert build_world(8, 60) != first


def test_seed_identity_numbers_should_be_valid_and_never_real() -> None:
    world = build_world(1, 300)
    for patient in world.patients:
        pid = patient["patient_id"]
        assert RULE.is_valid(pid), pid
        if len(pid) == 12:
            assert 980 <= int(pid[8:11]) <= 999, pid
            assert (int(pid[10]) % 2 == 1) == (patient["sex"] == "M")
        else:  # Region Gävleborg's YYYYMMDD-NNSC, the mock's own Luhn digit over the digits
            assert pid[8] == "-" and pid[11] == patient["sex"]
            assert luhn_valid(pid[:8] + pid[9:11] + pid[12])
    for person in world.persons:
        for number in (person["personnummer"], person["id_value"]):
            if number and len(number) == 12:
                assert luhn_valid(number[2:]) and 980 <= int(number[8:11]) <= 999


def test_seed_should_hold_the_hard_cases_the_robot_must_meet() -> None:
    world = build_world(1, 300)
    patients = {p["patient_id"]: p for p in world.patients}
    persons = {p["id_value"]: p for p in world.persons}
    birth_dates = Counter(p["birth_date"] for p in world.persons)
    assert sum(1 for n in birth_dates.values() if n >= 3) >= 15  # many share a birth date
    both = set(patients) & set(persons)
    assert len(both) >= 150
    assert len(set(patients) - set(persons)) >= 50  # only in PMO (or completed there)
    assert len(set(persons) - set(patients)) >= 50  # only in RNS
    spelt_differently = [
        k
        for k in both
        if (patients[k]["family_name"], patients[k]["given_names"])
        != (persons[k]["family_name"], persons[k]["given_names"])
    ]
    assert len(spelt_differently) >= 20
    swapped = [
        k for k in spelt_differently if patients[k]["family_name"] == persons[k]["given_names"]
    ]
    assert swapped
    accents = [
        k
        for k in spelt_differently
        if fold(patients[k]["family_name"]) == fold(persons[k]["family_name"])
    ]
    assert accents
    completed = [p for p in world.persons if p["id_type"] == "Reservnummer" and p["personnummer"]]
    assert any(c["personnummer"] in patients for c in completed)  # PMO already completed
    twice = Counter(
        (p["birth_date"], p["family_name"], p["given_names"])
        for p in world.persons
        if p["id_type"] == "Reservnummer"
    )
    assert any(n == 2 for n in twice.values())  # a person with two reservnummer
    assert any(p["country"] == "Tyskland" and p["postal_code"] == "80331" for p in world.patients)


def test_reservnummer_should_have_date_hyphen_serial_sex_and_luhn_digit() -> None:
    number = reservnummer(date(1985, 3, 14), 2, "K")
    assert number == "19850314-02K" + str(number[-1])
    assert luhn_valid("1985031402" + number[-1])
    assert RULE.is_reservnummer(number)
    assert RULE.is_reservnummer(reservnummer(date(1985, 3, 14), 3, "X"))  # sex unknown
    with pytest.raises(ValueError):
        reservnummer(date(1985, 3, 14), 100, "K")


def test_patient_id_rule_should_take_the_form_reservnummersystemet_shows() -> None:
    assert RULE.is_valid("19612121-01M7")  # the routine's example, read with its hyphen
    assert not RULE.is_valid("19612121201M7")  # the printed rendering is no PMO form
    assert not RULE.is_valid("1961212101M7")  # pmo_form = "as_shown": the hyphen stays
    assert RULE.birth_key("19612121-01M7") == "19612121"
    sam = personnummer(date(1990, 5, 3), 981, samordning=True)
    assert sam[6:8] == "63" and RULE.is_valid(sam)
    assert RULE.birth_key(sam) == "19900503"
    assert not RULE.is_valid(sam[:-1] + str((int(sam[-1]) + 1) % 10))
    assert RULE.js_pattern.startswith("^(?<date>")


def test_postnummer_lookup_should_take_german_80331_for_gavle() -> None:
    gavle = lookup("80331")
    assert gavle is not None and (gavle.ort, gavle.kommun, gavle.lan) == ("Gävle", "80", "21")
    assert lookup("829 60") is not None and lookup("829 60").ort == "Bergsjö"  # type: ignore[union-attr]
    assert lookup("SW1A 1AA") is None
    assert lookup("75001") is None


GEODATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "geodata"


def test_postnummer_table_should_agree_with_the_shared_geodata() -> None:
    source = GEODATA / "postal_to_municipality.csv"
    if not source.exists():
        pytest.skip(f"shared geodata not found at {source} (sibling folder 'shared' is absent)")
    codes: dict[str, Counter[str]] = {}
    localities: dict[str, set[str]] = {}
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            prefix = row["postal_code"][:3]
            codes.setdefault(prefix, Counter())[row["municipality_code"]] += 1
            localities.setdefault(prefix, set()).add(row["locality"])
    for prefix, locality in POSTNUMMER.items():
        if prefix not in codes:
            continue  # e.g. 807: no delivery postcodes listed, DOMAIN.md's range kept
        most_common = codes[prefix].most_common(1)[0][0]
        assert locality.lan + locality.kommun == most_common, prefix
        assert locality.ort in localities[prefix], prefix


def test_seed_pmo_reservnummer_should_never_be_handed_out_again_by_rns() -> None:
    # RNS gives the next serial after the highest it holds for a birth date; a PMO patient's
    # reservnummer that RNS does not hold must not be that next number, or a new registration
    # would collide with an unrelated patient.
    world = build_world(1, 300)
    rns_numbers = {p["id_value"] for p in world.persons}
    highest: dict[str, int] = {}
    for person in world.persons:
        if person["id_type"] == "Reservnummer":
            key = person["id_value"][:8]
            highest[key] = max(highest.get(key, 0), int(person["id_value"][9:11]))
    pmo_only = [
        p["patient_id"]
        for p in world.patients
        if len(p["patient_id"]) == 13 and p["patient_id"] not in rns_numbers
    ]
    assert pmo_only  # the seed has such patients
    for pid in pmo_only:
        assert int(pid[9:11]) > highest.get(pid[:8], 0) + 50, pid
