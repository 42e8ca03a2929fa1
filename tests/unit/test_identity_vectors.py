"""Identity parsing against the external test vectors in ../shared/data/personnummer/.

list.json and structured.json are the personnummer libraries' shared vectors; allPins.json and
allCoords.json are Skatteverket's official test personnummer and samordningsnummer.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from flows.rules.identity import IdKind, InvalidIdentity, PatientId, parse_personnummer
from flows.rules.model import Sex

_KIND = {"ssn": IdKind.PERSONNUMMER, "con": IdKind.SAMORDNINGSNUMMER}
_FORMATS = ("long_format", "short_format", "separated_format", "separated_long")


def _load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _parse_or_none(text: str) -> PatientId | None:
    try:
        return parse_personnummer(text)
    except InvalidIdentity:
        return None


def test_list_vectors_should_agree_on_validity_kind_sex_and_pmo_form(pnr_vectors: Path) -> None:
    items = _load(pnr_vectors, "list.json")
    assert len(items) >= 10
    checked = 0
    for item in items:
        texts = [item[f] for f in _FORMATS]
        if item["integer"]:
            texts.append(str(item["integer"]))
        for text in texts:
            parsed = _parse_or_none(text)
            assert (parsed is not None) == item["valid"], text
            if parsed is None:
                continue
            checked += 1
            assert parsed.kind is _KIND[item["type"]], text
            assert parsed.sex is (Sex.MAN if item["isMale"] else Sex.KVINNA), text
            # A 10-digit form without '+' cannot say that the person is over 100.
            if text != item["short_format"] or "+" not in item["separated_format"]:
                assert parsed.value == item["long_format"], text
    assert checked >= 30


def test_structured_vectors_should_accept_valid_and_refuse_invalid(pnr_vectors: Path) -> None:
    data = _load(pnr_vectors, "structured.json")
    for type_key, kind in _KIND.items():
        for form in ("string", "integer"):
            for value in data[type_key][form]["valid"]:
                parsed = parse_personnummer(str(value))
                assert parsed.kind is kind, value
            for value in data[type_key][form]["invalid"]:
                with pytest.raises(InvalidIdentity):
                    parse_personnummer(str(value))


def test_every_official_test_personnummer_should_parse_as_personnummer(pnr_vectors: Path) -> None:
    pins: list[str] = _load(pnr_vectors, "allPins.json")
    assert len(pins) > 40_000
    for pin in pins:
        parsed = parse_personnummer(pin)
        assert parsed.kind is IdKind.PERSONNUMMER
        assert parsed.value == pin
        assert parsed.birth_date is not None
        assert parsed.sex is (Sex.MAN if int(pin[10]) % 2 else Sex.KVINNA)
    # Every one of them also in the 10-digit form with separator (century from '-' or '+').
    today = date(2026, 11, 27)
    for pin in pins[:: max(1, len(pins) // 2000)]:
        # '+' from the year the person turns 100.
        sep = "+" if int(pin[:4]) <= today.year - 100 else "-"
        short = f"{pin[2:8]}{sep}{pin[8:]}"
        assert parse_personnummer(short, today=today).value == pin, short


def test_every_official_test_samordningsnummer_should_parse_including_month_00_and_day_60(
    pnr_vectors: Path,
) -> None:
    coords: list[str] = _load(pnr_vectors, "allCoords.json")
    assert len(coords) > 2_000
    without_date = 0
    for coord in coords:
        parsed = parse_personnummer(coord)
        assert parsed.kind is IdKind.SAMORDNINGSNUMMER
        assert parsed.value == coord
        assert parsed.birth_date is None or parsed.birth_date.day == int(coord[6:8]) - 60
        without_date += parsed.birth_date is None
    # 194 official test numbers have no calendar date: month 00, day 60 (day "00"), or a day
    # such as 31 April. A validator that demands a real date refuses all of them.
    assert without_date == 194


def test_interim_numbers_should_be_refused_as_they_are_no_patient_id(pnr_vectors: Path) -> None:
    for item in _load(pnr_vectors, "interim.json"):
        with pytest.raises(InvalidIdentity):
            parse_personnummer(item["long_format"])
