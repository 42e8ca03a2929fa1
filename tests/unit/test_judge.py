"""Judging search hits (``flows.rules.judge``): decisions per number, RNS sex from PMO."""

from __future__ import annotations

import pytest

from flows.rules.groups import load_groups
from flows.rules.judge import RnsJudge, Verdicts, is_exactly, judge_pmo, person_key
from flows.rules.matching import MatchConfig, PersonKey, load_match_config
from flows.rules.model import Sex
from flows.rules.outcome import Decision, Outcome
from flows.rules.region import RegionProfile, load_region_profile
from flows.rules.request import parse_request
from flows.rules.screens import PmoHit, RnsHit
from robot.settings import DEFAULT_CONFIG_DIR

MAN_ID = "19911205-01M8"  # Region Gävleborg's published shape
WOMAN = PersonKey(family_name="Ahmadi", given_names="Sara", sex=Sex.KVINNA)


@pytest.fixture(scope="module")
def config() -> MatchConfig:
    return load_match_config(DEFAULT_CONFIG_DIR)


@pytest.fixture(scope="module")
def profile() -> RegionProfile:
    return load_region_profile(DEFAULT_CONFIG_DIR, "gavleborg")


def _pmo(patient_id: str, sex: Sex | None, given: str = "Sara") -> PmoHit:
    return PmoHit(
        patient_id=patient_id,
        name=f"Ahmadi, {given}",
        family_name="Ahmadi",
        given_names=given,
        sex=sex,
    )


def _rns(id_value: str, given: str = "Sara") -> RnsHit:
    return RnsHit(
        personnummer=None,
        name=f"Ahmadi, {given}",
        family_name="Ahmadi",
        given_names=given,
        id_type="reservnummer",
        id_value=id_value,
    )


def _decision(system: str, verdict: str, id_value: str = MAN_ID) -> Decision:
    return Decision.model_validate(
        {"system": system, "id_value": id_value, "verdict": verdict, "decided_by": "test"}
    )


def test_a_decision_applies_to_the_number_in_both_systems_and_the_last_one_wins() -> None:
    verdicts = Verdicts.of([_decision("pmo", "same"), _decision("rns", "different")])

    assert verdicts.get(MAN_ID) == "different"
    assert verdicts.get(" 19911205-01m8 ") == "different"
    assert verdicts.get("1991120501M8") == "different"  # PMO's compact form: the same number
    assert verdicts.get("19911205-02K5") is None


def test_a_stored_verdict_is_found_through_its_key_function() -> None:
    verdicts = Verdicts({"h:" + MAN_ID: "same"}, key=lambda v: "h:" + v.strip().upper())

    assert verdicts.get(MAN_ID.lower()) == "same"


def test_rns_hit_takes_the_sex_of_the_pmo_patient_with_the_same_number(
    config: MatchConfig, profile: RegionProfile
) -> None:
    judge = RnsJudge.build(
        WOMAN, Verdicts(), pmo_hits=[_pmo(MAN_ID, Sex.MAN)], config=config, profile=profile
    )

    assert judge.sex(_rns(MAN_ID)) is Sex.MAN
    assert judge.sex(_rns("19911205002K5")) is None  # Gävleborg's format encodes no sex
    # Same name, other sex: never "same" (without PMO's sex the woman got the man's number).
    judged = judge.judge([_rns(MAN_ID)])
    assert isinstance(judged, Outcome) and judged.reason_code == "uncertain_match_rns"
    assert [c.sex for c in judged.candidates] == ["Man"]


def test_a_different_decision_on_pmo_rules_out_the_rns_row_with_that_number(
    config: MatchConfig, profile: RegionProfile
) -> None:
    verdicts = Verdicts.of([_decision("pmo", "different")])
    pmo_hits = [_pmo(MAN_ID, Sex.MAN)]

    assert judge_pmo(WOMAN, pmo_hits, verdicts, config=config) is None
    judge = RnsJudge.build(WOMAN, verdicts, pmo_hits=pmo_hits, config=config, profile=profile)
    assert judge.judge([_rns(MAN_ID)]) is None
    assert judge.new_number([_rns(MAN_ID)], before=set()) is None


def test_a_same_decision_picks_the_hit_and_an_open_variant_is_judged_by_the_matcher(
    config: MatchConfig,
) -> None:
    man = _pmo(MAN_ID, Sex.MAN)
    variant = _pmo("19911205002K5", Sex.KVINNA, given="Sarah")

    assert judge_pmo(WOMAN, [man], Verdicts.of([_decision("rns", "same")]), config=config) is man
    assert judge_pmo(WOMAN, [variant], Verdicts(), config=config) is variant


def test_is_exactly_tells_our_own_spelling_from_a_variant() -> None:
    request = parse_request(
        {
            "birth_date": "1991-12-05",
            "sex": "K",
            "family_name": "Ahmadi",
            "given_names": "Sara",
            "group": "asylsokande",
            "street": "Norra Kungsgatan 5",
            "postal_code": "803 20",
            "city": "Gävle",
            "country": "SE",
        },
        groups=load_groups(DEFAULT_CONFIG_DIR),
    )

    key = person_key(request)
    assert (key.family_name, key.given_names, key.sex) == ("Ahmadi", "Sara", Sex.KVINNA)
    assert is_exactly(request, _pmo("19911205002K5", Sex.KVINNA))
    assert not is_exactly(request, _pmo("19911205002K5", Sex.KVINNA, given="Sarah"))
    assert not is_exactly(request, _pmo("19911205002K5", Sex.MAN))


X_ID = "19911205-02X8"  # sex unknown: PMO's Kön beside it is the profile's stand-in


def test_a_number_that_says_sex_unknown_is_matched_with_the_sex_unknown(
    config: MatchConfig, profile: RegionProfile
) -> None:
    man = PersonKey(family_name="Ahmadi", given_names="Sara", sex=Sex.MAN)
    stand_in = _pmo(X_ID, Sex.KVINNA)  # registered with unknown_in_pmo = "kvinna"

    assert judge_pmo(man, [stand_in], Verdicts(), config=config, profile=profile) == stand_in
    # Without the profile, PMO's stand-in sex would make it a case for a person.
    assert isinstance(judge_pmo(man, [stand_in], Verdicts(), config=config), Outcome)
    rns = RnsJudge.build(man, Verdicts(), pmo_hits=[stand_in], config=config, profile=profile)
    assert rns.sex(_rns(X_ID)) is None
    assert rns.judge([_rns(X_ID)]) == _rns(X_ID)  # reused, not judged another person
