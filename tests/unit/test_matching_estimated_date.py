"""The estimated-birth-date rule as the routine uses it (flows/rules/judge.py): the address,
case reference and journaled reservnummer go to the matcher, and on a date the region profile
calls estimated (1 January in Gävleborg) the same name alone is not enough."""

from __future__ import annotations

from datetime import date

from flows.rules.groups import PatientGroup
from flows.rules.judge import RnsJudge, Verdicts, judge_pmo, person_key, pmo_key
from flows.rules.matching import MatchConfig, PersonContext
from flows.rules.model import Sex
from flows.rules.outcome import Outcome
from flows.rules.region import RegionProfile
from flows.rules.request import RegistrationRequest, parse_request
from flows.rules.screens import PmoHit, RnsHit

TODAY = date(2026, 11, 27)


def request(groups: dict[str, PatientGroup], born: str = "1990-01-01") -> RegistrationRequest:
    data = {
        "birth_date": born,
        "sex": "Man",
        "family_name": "Hassan",
        "given_names": "Abdi",
        "group": "asylsokande",
        "external_ref": "ÄRENDE-7",
        "address": {
            "street": "Storgatan 1",
            "postal_code": "80267",
            "city": "Gävle",
            "country": "SE",
        },
    }
    return parse_request(data, groups=groups, today=TODAY)


def pmo_hit(patient_id: str) -> PmoHit:
    return PmoHit(
        patient_id=patient_id,
        name="Hassan, Abdi",
        family_name="Hassan",
        given_names="Abdi",
        sex=Sex.MAN,
    )


def rns_hit(id_value: str) -> RnsHit:
    return RnsHit(
        personnummer=None,
        name="Hassan, Abdi",
        family_name="Hassan",
        given_names="Abdi",
        id_type="reservnummer",
        id_value=id_value,
    )


def test_person_key_should_carry_address_reference_and_journaled_number(
    groups: dict[str, PatientGroup],
) -> None:
    key = person_key(request(groups), reservnummer="19900101001M3")
    assert key.context == PersonContext(
        postal_code="802 67",  # as the request normalises it
        street="Storgatan 1",
        reservnummer="19900101001M3",
        reference="ÄRENDE-7",
    )
    assert pmo_key(pmo_hit("19900101002M1")).context == PersonContext(reservnummer="19900101002M1")
    assert pmo_key(pmo_hit("199001012383")).context == PersonContext(reservnummer=None)


def test_pmo_patient_with_another_reservnummer_on_an_estimated_date_should_go_to_a_person(
    groups: dict[str, PatientGroup], match_config: MatchConfig, profile: RegionProfile
) -> None:
    req = request(groups)
    assert profile.is_estimated_birth_date(req.birth_date)
    person = person_key(req, reservnummer="19900101001M3")
    hits = [pmo_hit("19900101002M1")]
    found = judge_pmo(person, hits, Verdicts(), config=match_config, estimated_birth_date=True)
    assert isinstance(found, Outcome) and found.reason_code == "uncertain_match_pmo"
    assert [c.match_reason for c in found.candidates] == ["estimated_birth_date_other_differs"]
    # Our own journaled number agrees: the same person.
    own = [pmo_hit("19900101001M3")]
    assert (
        judge_pmo(person, own, Verdicts(), config=match_config, estimated_birth_date=True) == own[0]
    )
    # Not an estimated date: same name, birth date and sex are one person.
    assert judge_pmo(person, hits, Verdicts(), config=match_config) == hits[0]


def test_rns_row_with_another_reservnummer_on_an_estimated_date_should_go_to_a_person(
    groups: dict[str, PatientGroup], match_config: MatchConfig, profile: RegionProfile
) -> None:
    person = person_key(request(groups), reservnummer="19900101001M3")

    def judge(estimated: bool) -> RnsHit | Outcome | None:
        rns = RnsJudge.build(
            person,
            Verdicts(),
            pmo_hits=[],
            config=match_config,
            profile=profile,
            estimated_birth_date=estimated,
        )
        return rns.judge([rns_hit("19900101002M1")])

    found = judge(True)
    assert isinstance(found, Outcome) and found.reason_code == "uncertain_match_rns"
    assert judge(False) == rns_hit("19900101002M1")
