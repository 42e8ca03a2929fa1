"""A protected identity needs no address: it is secret, and the robot does not register it."""

from __future__ import annotations

from datetime import date

import pytest

from flows.rules.groups import load_groups
from flows.rules.request import RequestInvalid, parse_request
from robot.settings import DEFAULT_CONFIG_DIR

GROUPS = load_groups(DEFAULT_CONFIG_DIR)
PERSON = {
    "birth_date": "1990-04-17",
    "sex": "K",
    "family_name": "Skyddad",
    "given_names": "Anna",
    "group": "asylsokande",
}


def test_protected_request_without_address_is_valid() -> None:
    request = parse_request({**PERSON, "protected": "ja"}, groups=GROUPS)
    assert request.protected and request.address is None
    assert request.birth_date == date(1990, 4, 17)


def test_request_without_address_is_refused_unless_protected() -> None:
    with pytest.raises(RequestInvalid) as raised:
        parse_request({**PERSON, "family_name": ""}, groups=GROUPS)
    fields = {e.field: e.code for e in raised.value.errors}
    assert fields["address"] == "address_required"
    assert "family_name" in fields  # reported together, in one go


def test_protected_request_with_address_still_checks_it() -> None:
    address = {"street": "Gatan 1", "postal_code": "", "city": "Gävle", "country": "SE"}
    with pytest.raises(RequestInvalid) as raised:
        parse_request({**PERSON, "protected": True, "address": address}, groups=GROUPS)
    assert [e.field for e in raised.value.errors] == ["address.postal_code"]


def test_protected_import_row_with_empty_address_cells_is_valid() -> None:
    row = {
        **PERSON,
        "protected": "ja",
        "street": "",
        "postal_code": "",
        "city": "",
        "country": "SE",
    }
    request = parse_request(row, groups=GROUPS)
    assert request.address is None
