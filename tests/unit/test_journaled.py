"""A protected person's reservnummer is journaled as a keyed hash, and found again by it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from pydantic import SecretStr

from flows.journaled import clear_number, number_of, number_record, saved_record
from flows.rules.model import Sex
from flows.rules.request import RegistrationRequest
from robot.journal import StepJournal
from robot.logs import Pseudonymizer

NUMBER = "19900101-01K3"


def _request(*, protected: bool) -> RegistrationRequest:
    request = RegistrationRequest(
        birth_date=date(1990, 1, 1),
        sex=Sex.KVINNA,
        family_name="Skyddadottir",
        given_names="Hemlighild",
        group="asylsokande",
        protected=True,  # needs no address
    )
    return request.model_copy(update={"protected": protected})


def _journal(tmp_path: Path, key: str = "nyckel") -> StepJournal:
    return StepJournal(tmp_path / f"{key}.sqlite3", keyed=Pseudonymizer(SecretStr(key)).full)


def test_a_protected_persons_number_is_kept_as_a_keyed_hash_and_found_in_either_form(
    tmp_path: Path,
) -> None:
    journal = _journal(tmp_path)
    record = number_record(_request(protected=True), NUMBER, reused=False, journal=journal)
    saved = saved_record(_request(protected=True), NUMBER, journal=journal)

    for data in (record, saved):
        text = json.dumps(data)
        assert NUMBER not in text and NUMBER.replace("-", "") not in text
    assert clear_number(record) is None
    others = ["19900101-02M5", "19900101-03K1"]
    # As RNS shows it, or as PMO keeps it without the hyphen and in another case.
    assert number_of(record, [*others, NUMBER], journal=journal) == NUMBER
    assert number_of(record, ["19900101-02m5", "1990010101k3"], journal=journal) == "1990010101k3"
    assert number_of(record, others, journal=journal) is None
    # Another key (another region's store) names nothing by it.
    assert number_of(record, [NUMBER], journal=_journal(tmp_path, "annan")) is None


def test_anyone_elses_number_stays_in_clear_for_the_clerk(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    record = number_record(_request(protected=False), NUMBER, reused=True, journal=journal)
    assert record == {"value": NUMBER, "reused": True}
    assert clear_number(record) == NUMBER
    assert number_of(record, [], journal=journal) == NUMBER
    assert saved_record(_request(protected=False), NUMBER, journal=journal) == {
        "patient_id": NUMBER
    }
