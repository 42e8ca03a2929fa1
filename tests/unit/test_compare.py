"""The person beside a system's record, field by field (flows/rules/compare.py), and how
``register`` prints a patient found in PMO (issue 24, point 2)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.cli import output
from flows.rules.compare import compare, differing
from flows.rules.groups import PatientGroup
from flows.rules.outcome import Candidate, Outcome, OutcomeKind
from flows.rules.request import RegistrationRequest, parse_request


def _request(groups: dict[str, PatientGroup], **over: Any) -> RegistrationRequest:
    data: dict[str, Any] = {
        "birth_date": "1990-01-01",
        "sex": "K",
        "family_name": "Hasan",
        "given_names": "Zeynep",
        "group": "asylsokande",
        "street": "Norra Kungsgatan 3",
        "postal_code": "803 20",
        "city": "Gävle",
        "country": "SE",
    }
    data.update(over)
    return parse_request(data, groups=groups)


RECORD = Candidate(
    system="pmo",
    id_value="19900101-01K3",
    id_type="reservnummer",
    name="al Hassan, Zejnep",
    sex="Kvinna",
    match="same",
    score=100,
    match_reason="name_variant",
    match_reason_sv="Samma namn med annan stavning.",
    address="Norra Kungsgatan 3, 803 20 Gävle, Sverige",
    kommun="80",
    lan="21",
)


def test_other_spelling_and_codes_are_marked_and_an_equal_address_is_not(
    groups: dict[str, PatientGroup],
) -> None:
    rows = compare(_request(groups), RECORD, group=groups["asylsokande"])
    assert differing(rows) == ["name", "kommun", "lan"]
    by_key = {r.key: r for r in rows}
    assert by_key["name"].differs_sv == "annan stavning"
    assert by_key["address"].mine == "Norra Kungsgatan 3, 803 20 Gävle, Sverige"
    assert by_key["kommun"].mine == "01" and by_key["kommun"].theirs == "80"


def test_another_address_is_marked_whatever_its_case_and_spacing(
    groups: dict[str, PatientGroup],
) -> None:
    same = _request(groups, street="NORRA  KUNGSGATAN 3", postal_code="80320")
    assert "address" not in differing(compare(same, RECORD))
    other = _request(groups, street="Södra Kungsgatan 12")
    assert "address" in differing(compare(other, RECORD))


def test_register_prints_the_record_the_basis_and_the_differences(
    groups: dict[str, PatientGroup], capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = Outcome(
        kind=OutcomeKind.ALREADY_REGISTERED, patient_id=RECORD.id_value, pmo_record=RECORD
    )
    output.print_outcome(outcome, as_json=False, request=_request(groups))
    text = capsys.readouterr().out
    assert "Så står patienten i PMO:" in text
    assert "al Hassan, Zejnep  <- annan stavning (du registrerar: Hasan, Zeynep)" in text
    assert "Därför samma person: Samma namn med annan stavning." in text
