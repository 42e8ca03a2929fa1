"""Every published reserve-number pattern as a test vector, per region profile.

Valid and invalid examples are generated from the pattern each profile publishes
(``[reservnummer] published``, HL7 Sweden's base profiles), and checked three ways: the
published pattern itself (read with Java's ``[A-Z&&[^IOQVW]]`` class spelled out), the
profile's own pattern and the routine's parser. Nothing the profile accepts may fall outside
what it publishes, apart from what the profile documents: the routine's printed rendering of
Region Gävleborg's hyphen, and the hyphen-less input form of a hyphenated format. Inera's NRID
rules (series, check digit) are stricter than the published pattern: its valid examples are
built to satisfy them, and HL7 Sweden's test vector ``98240301AA06`` passes.
"""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest

from flows.rules.identity import IdKind, InvalidIdentity, parse_patient_id
from flows.rules.model import Sex
from flows.rules.region import RegionProfile, load_region_profile
from flows.rules.reserv_formats import NRID_LETTERS, nrid_check_digit

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
PROFILES = ("gavleborg", "stockholm", "nrid", "skane")
_rng = random.Random(20)
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _profile(key: str) -> RegionProfile:
    return load_region_profile(CONFIG_DIR, key)


def published_regex(profile: RegionProfile) -> re.Pattern[str]:
    """The published pattern in Python syntax (Java's class intersection spelled out; Java's
    ``matches`` is a whole-string match, as ``fullmatch`` is)."""
    text = profile.published.replace("[A-Z&&[^IOQVW]]", f"[{NRID_LETTERS}]")
    return re.compile(text.replace(r"\d", "[0-9]"))


def _digits(n: int) -> str:
    return "".join(_rng.choice("0123456789") for _ in range(n))


def _nrid(series: int, yymmdd: str, nn: str, g: str) -> str:
    body = f"{series:02d}{yymmdd}{nn}{g}"
    return body + str(nrid_check_digit(body))


# Valid numbers per profile, in the published form (the canonical form the robot stores).
VALID: dict[str, list[str]] = {
    "gavleborg": [
        "19612121-01M7",  # the routine's printed example, read with its hyphen
        *(f"{_digits(8)}-{_digits(2)}{sex}{_digits(1)}" for sex in "MKX" for _ in range(5)),
    ],
    "stockholm": ["991981000010", *(f"99{_digits(10)}" for _ in range(10))],
    "nrid": [
        "98240301AA06",  # HL7 Sweden's example: a woman born 2024-03-01
        "22950606FH20",  # HL7 Sweden's SEBasePatient example (shown there with a hyphen)
        *(
            _nrid(22 + 3 * k, f"{y:02d}{m:02d}{d:02d}", nn, g)
            for k, y, m, d, nn, g in [
                (0, 85, 3, 14, "AB", "1"),
                (25, 1, 12, 31, "ZZ", "8"),
                (1, 60, 2, 29, "XY", "K"),  # G a letter: sex unknown
            ]
        ),
        _nrid(23, "240229", "HJ", "5"),  # 20 -> 23: born 2024-02-29
        _nrid(0, "342145", "BZ", "3"),  # unknown date: a serial, MM 20-99, DD 40-59
    ],
    "skane": [
        "810829DA1B",  # HL7 Sweden's SEBasePatient example
        *(
            f"{_digits(n)}{_rng.choice('DEF')}{_rng.choice(_UPPER)}{_rng.choice('01')}"
            f"{_rng.choice(_UPPER)}"
            for n in (8, 8, 8)
        ),
        "19850314EA0Z",
    ],
}

# Published shapes that break one rule each.
INVALID: dict[str, list[str]] = {
    "gavleborg": [
        "19612121-01Q7",  # sex neither M, K nor X
        "19612121-01|7",  # "|" is in the published class, never in a number
        "19612121-1M7",  # one serial digit
        "19612121-01M",  # no check digit
        "1961212-01M7",  # seven date digits
        "19612121--01M7",
        "19612121301M7",  # only a "2" stands for the printed hyphen
        "19612121-201M7",  # the earlier five-character reading
        "",
    ],
    "stockholm": [
        "981981000010",  # not 99
        "99198100001",  # eleven digits
        "9919810000100",  # thirteen
        "99198100001A",
        "9985031401K6",  # the retired invented shape
        "99-1981000010",
    ],
    "nrid": [
        "98240301AA07",  # wrong check digit
        "98240301AI06",  # I is never used
        "98240301AAW6",  # nor W, as sex letter either
        "9824030AA06",  # seven digits
        "19790914AA05",  # 19: a personnummer century, not a series
        "24240301AA06",  # 24 -> century 21: no series of Inera's
        _nrid(23, "791301", "AB", "1"),  # month 13
        _nrid(0, "341245", "BZ", "3"),  # unknown date needs MM 20-99
        "9985031401K6",  # the retired invented shape
        "991981000010",
    ],
    "skane": [
        "810829GA1B",  # group letter outside D-F
        "810829DA2B",  # neither 0 nor 1
        "810829Da1B",  # lower case is no published capital (upper-cased it is valid)
        "8108290DA1B",  # seven digits
        "810829DA1",
        "810829D|1B",
        "9985031401K6",
    ],
}


@pytest.mark.parametrize("key", PROFILES)
def test_profile_should_publish_its_pattern_and_source(key: str) -> None:
    profile = _profile(key)
    assert profile.published and profile.source and "HL7 Sweden" in profile.source
    assert published_regex(profile).fullmatch(
        profile.example.replace("-", "") if key == "nrid" else profile.example
    )


@pytest.mark.parametrize(("key", "number"), [(k, n) for k in PROFILES for n in VALID[k]])
def test_valid_published_number_should_be_accepted_in_one_canonical_form(
    key: str, number: str
) -> None:
    profile = _profile(key)
    assert published_regex(profile).fullmatch(number), "the example is not published"
    pid = parse_patient_id(number, profile=profile)
    assert pid.kind is IdKind.RESERVNUMMER
    assert pid.value == number
    assert parse_patient_id(pid.value, profile=profile) == pid


@pytest.mark.parametrize(("key", "number"), [(k, n) for k in PROFILES for n in INVALID[k]])
def test_invalid_number_should_be_refused(key: str, number: str) -> None:
    profile = _profile(key)
    if key == "skane" and number == "810829Da1B":
        assert not published_regex(profile).fullmatch(number)
        return  # the robot upper-cases what staff paste: checked as 810829DA1B above
    with pytest.raises(InvalidIdentity):
        pid = parse_patient_id(number, profile=profile)
        if pid.kind is not IdKind.RESERVNUMMER:
            raise InvalidIdentity("not a reservnummer")


@pytest.mark.parametrize("key", PROFILES)
def test_profile_should_accept_nothing_it_does_not_publish(key: str) -> None:
    """Random strings near the published shapes: whatever the profile's own pattern accepts,
    the published pattern accepts too (after the documented input forms are undone)."""
    profile = _profile(key)
    published = published_regex(profile)
    alphabet = "0123456789-MKXDEFABZ|2"
    seen = 0
    for number in [*VALID[key], *INVALID[key]]:
        for _ in range(60):
            chars = list(number) or ["9"]
            chars[_rng.randrange(len(chars))] = _rng.choice(alphabet)
            text = "".join(chars)
            if profile.match(text) is None:
                continue
            seen += 1
            canonical = profile.read(text)
            assert canonical is not None
            shown = canonical.value.replace("-", "") if key == "nrid" else canonical.value
            assert published.fullmatch(shown), (text, canonical.value)
    assert seen > 0


def test_gavleborg_hyphen_is_optional_on_input_and_the_printed_example_is_read() -> None:
    profile = _profile("gavleborg")
    for text in ("19612121201M7", "1961212101M7", "19612121-01M7", " 19612121-01m7 "):
        assert parse_patient_id(text, profile=profile).value == "19612121-01M7"
    assert profile.pmo_text("19612121-01M7") == "19612121-01M7"  # as Reservnummersystemet shows


def test_nrid_should_read_century_series_and_sex() -> None:
    profile = _profile("nrid")
    vector = parse_patient_id("98240301AA06", profile=profile)
    assert (vector.birth_date, vector.sex) == (date(2024, 3, 1), Sex.KVINNA)
    assert parse_patient_id("22950606-FH20", profile=profile).value == "22950606FH20"
    unknown = parse_patient_id("25780404KHD5", profile=profile)
    assert (unknown.birth_date, unknown.sex) == (date(1978, 4, 4), None)
    no_date = parse_patient_id("00342145BZ31", profile=profile)
    assert (no_date.birth_date, no_date.sex) == (None, Sex.MAN)


def test_nrid_check_digit_should_follow_ineras_published_rule() -> None:
    # Letters count as their ASCII codes in a Luhn sum: the vectors of the PersonIdentifiers
    # and Billas libraries, which quote Inera's rule, all pass.
    for number in ("98240301AA06", "22790814AA01", "22950606FH20", "25780404KHD5",
                   "00342145BZ31", "00749852BZK0"):  # fmt: skip
        assert nrid_check_digit(number[:11]) == int(number[11])


def test_each_profile_should_name_its_identifier_system() -> None:
    systems = {key: _profile(key).identifier_system for key in PROFILES}
    assert systems == {
        "gavleborg": "",  # not published: ask the region
        "stockholm": "urn:oid:1.2.752.97.3.1.3",
        # SEBasePatient's exact system (OID 1.2.752.74.9.1 in RIV-TA messages).
        "nrid": "http://electronichealth.se/identifier/nationelltReservnummer",
        "skane": "urn:oid:1.2.752.219.1.10.10.1",
    }


def test_mock_rns_should_issue_numbers_each_profile_accepts() -> None:
    from mock_sites.rns.numbers import NumberFormat

    born = date(2001, 12, 31)
    for key in PROFILES:
        profile = _profile(key)
        fmt = NumberFormat.for_region(key, CONFIG_DIR)
        sexes = ("M", "K", "X") if fmt.takes_unknown_sex else ("M", "K")
        for serial in (1, 7, fmt.max_serial):
            for sex in sexes:
                number = fmt.reservnummer(born, serial, sex)
                pid = parse_patient_id(number, profile=profile)
                assert (pid.kind, pid.value) == (IdKind.RESERVNUMMER, number)
                assert fmt.serial(number) == serial
                if profile.number_has_birth_date:
                    assert pid.birth_date == born
                if key in ("gavleborg", "nrid"):
                    assert pid.sex is (None if sex == "X" else Sex(sex))
        if not fmt.takes_unknown_sex:
            with pytest.raises(ValueError):
                fmt.reservnummer(born, 1, "X")
