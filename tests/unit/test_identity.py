"""PatientId parsing, formatting, masking and completion (no external data needed)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from flows.identity import (
    BirthDateMismatch,
    IdKind,
    InvalidIdentity,
    complete_personnummer,
    parse_patient_id,
    parse_personnummer,
)
from flows.model import Sex
from flows.region import RegionProfile, load_region_profile
from robot.errors import BusinessError, ConfigError

TODAY = date(2026, 11, 27)


def pnr(yyyymmdd: str, serial: str) -> str:
    """A 12-digit number with a valid check digit (serials 98x/99x: never a real person)."""
    return yyyymmdd + serial + luhn.calc_check_digit(yyyymmdd[2:] + serial)


def test_printed_gavleborg_example_should_be_a_reservnummer_without_calendar_date(
    profile: RegionProfile,
) -> None:
    pid = parse_patient_id("19612121201M7", profile=profile)
    assert pid.kind is IdKind.RESERVNUMMER
    assert pid.pmo_format() == "19612121201M7"
    assert pid.date_part == "19612121"
    assert pid.reserve_part == "201M7"
    assert pid.birth_date is None
    assert pid.sex is None  # the Gävleborg profile does not say the letter is the sex


def test_reservnummer_with_real_date_should_carry_its_birth_date(profile: RegionProfile) -> None:
    pid = parse_patient_id(" 19900101123k4 ", profile=profile)
    assert pid.value == "19900101123K4"  # trimmed and upper-cased as PMO wants it
    assert pid.birth_date == date(1990, 1, 1)


@pytest.mark.parametrize(
    "text",
    [
        "1961212120117",  # 13 characters but no letter in the reserve part
        "19612121201M",  # too short
        "19612121201M77",  # too long
        "1961212-201M7",  # separator inside the date part
        "19612121 201M7",
        "",
        "<script>",
        "19900101-9801",  # personnummer with wrong check digit
    ],
)
def test_malformed_patient_id_should_be_refused(profile: RegionProfile, text: str) -> None:
    with pytest.raises(InvalidIdentity) as err:
        parse_patient_id(text, profile=profile)
    assert err.value.code == "invalid_identity"
    assert isinstance(err.value, BusinessError)


def test_invalid_identity_message_should_not_echo_the_number(profile: RegionProfile) -> None:
    with pytest.raises(InvalidIdentity) as err:
        parse_patient_id("19900101-9801", profile=profile)
    assert "9801" not in str(err.value)


def test_personnummer_should_normalise_to_twelve_digits_for_pmo(profile: RegionProfile) -> None:
    number = pnr("19900101", "981")
    for text in (number, number[2:], f"{number[2:8]}-{number[8:]}", f"{number[:8]}-{number[8:]}"):
        pid = parse_patient_id(text, profile=profile)
        assert pid.kind is IdKind.PERSONNUMMER
        assert pid.pmo_format() == number
        assert pid.birth_date == date(1990, 1, 1)
        assert pid.sex is Sex.MAN


def test_samordningsnummer_should_add_sixty_to_the_day(profile: RegionProfile) -> None:
    number = pnr("19900161", "982")
    pid = parse_patient_id(number, profile=profile)
    assert pid.kind is IdKind.SAMORDNINGSNUMMER
    assert pid.birth_date == date(1990, 1, 1)
    assert pid.date_part == "19900161"
    assert pid.sex is Sex.KVINNA


def test_samordningsnummer_with_impossible_day_should_be_refused() -> None:
    with pytest.raises(InvalidIdentity):
        parse_personnummer(pnr("19900195", "982"))  # day 35


def test_serial_000_should_be_refused() -> None:
    with pytest.raises(InvalidIdentity):
        parse_personnummer(pnr("19900101", "000"))


def test_masked_and_repr_should_show_only_the_birth_year(profile: RegionProfile) -> None:
    number = pnr("19900101", "981")
    pid = parse_patient_id(number, profile=profile)
    assert pid.masked() == "1990****-****"
    assert number not in repr(pid)
    assert number[8:] not in repr(pid)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("261127-9802", 2026),  # today: not in the future
        ("261128-9801", 1926),  # tomorrow would be in the future: previous century
        ("261128+9801", 1926),  # '+' for the whole year the person turns 100
        ("270101+9801", 1827),  # '+': born in or before 1926, so 1827
        ("260101+9803", 1926),  # turns 100 this year: '+' already
        ("990101-9809", 1999),
        ("990101+9809", 1899),
    ],
)
def test_century_should_be_inferred_from_today_and_the_plus_sign(text: str, year: int) -> None:
    yymmdd, tail = text[:6], text[7:]
    # Make the check digit valid for the century-independent 10 digits.
    text = f"{yymmdd}{text[6]}{tail[:3]}{luhn.calc_check_digit(yymmdd + tail[:3])}"
    assert parse_personnummer(text, today=TODAY).date_part[:4] == str(year)


def test_explicit_century_should_win_over_inference() -> None:
    number = pnr("18990101", "980")
    assert parse_personnummer(number, today=TODAY).birth_date == date(1899, 1, 1)


# --- completion -------------------------------------------------------------------------


def test_completion_should_replace_the_reserve_part_with_the_personnummer(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101123M4", profile=profile)
    number = pnr("19900101", "983")
    for given_text in (number, f"{number[2:8]}-{number[8:]}", number[2:], number[8:]):
        new = complete_personnummer(reserv, given_text, profile=profile)
        assert new.kind is IdKind.PERSONNUMMER
        assert new.pmo_format() == number
        assert new.date_part == reserv.date_part


def test_completion_with_other_birth_date_should_raise_birth_date_mismatch(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101123M4", profile=profile)
    with pytest.raises(BirthDateMismatch) as err:
        complete_personnummer(reserv, pnr("19900102", "983"), profile=profile)
    assert err.value.code == "birth_date_mismatch"


def test_completion_of_printed_example_should_refuse_any_personnummer(
    profile: RegionProfile,
) -> None:
    # 1961-21-21 is no date, so no valid personnummer can share it.
    reserv = parse_patient_id("19612121201M7", profile=profile)
    with pytest.raises(InvalidIdentity):
        complete_personnummer(reserv, "9801", profile=profile)


def test_completion_with_bad_check_digit_should_raise_invalid_identity(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101123M4", profile=profile)
    good = pnr("19900101", "983")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidIdentity):
        complete_personnummer(reserv, bad, profile=profile)


def test_completion_should_refuse_samordningsnummer_and_non_reservnummer(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101123M4", profile=profile)
    with pytest.raises(InvalidIdentity):
        complete_personnummer(reserv, pnr("19900161", "983"), profile=profile)
    already = parse_patient_id(pnr("19900101", "983"), profile=profile)
    with pytest.raises(InvalidIdentity):
        complete_personnummer(already, pnr("19900101", "985"), profile=profile)


# --- region profiles --------------------------------------------------------------------


def _write_profile(tmp_path: Path, pattern: str, example: str) -> Path:
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "test.toml").write_text(
        f"[region]\nkey = 'test'\nname = 'Test'\n[reservnummer]\npattern = '{pattern}'\n"
        f"example = '{example}'\ndate_length = 8\n",
        encoding="utf-8",
    )
    return tmp_path


def test_profile_with_sex_group_should_read_the_sex_letter(tmp_path: Path) -> None:
    config = _write_profile(
        tmp_path, "^(?P<date>[0-9]{8})(?P<reserve>[0-9]{3}(?P<sex>[MK])[0-9])$", "19900101123K4"
    )
    profile = load_region_profile(config, "test")
    assert parse_patient_id("19900101123K4", profile=profile).sex is Sex.KVINNA
    assert parse_patient_id("19900101123M4", profile=profile).sex is Sex.MAN


def test_profile_that_refuses_its_own_example_should_be_a_config_error(tmp_path: Path) -> None:
    config = _write_profile(tmp_path, "^(?P<date>[0-9]{8})(?P<reserve>[A-Z]{5})$", "19900101123K4")
    with pytest.raises(ConfigError):
        load_region_profile(config, "test")


def test_missing_profile_should_be_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_region_profile(tmp_path, "nowhere")


# --- property tests: formatting round trips ---------------------------------------------

_dates = st.dates(min_value=date(1890, 1, 1), max_value=TODAY)
_serials = st.integers(min_value=980, max_value=999).map(str)


@settings(deadline=None)
@given(day=_dates, serial=_serials, samordning=st.booleans())
def test_every_written_form_should_round_trip_to_the_same_pmo_value(
    day: date, serial: str, samordning: bool
) -> None:
    dd = day.day + (60 if samordning else 0)
    number = pnr(f"{day:%Y%m}{dd:02d}", serial)
    sep = "+" if day.year <= TODAY.year - 100 else "-"
    forms = [number, f"{number[:8]}-{number[8:]}", f"{number[2:8]}{sep}{number[8:]}"]
    if sep == "-":
        forms.append(number[2:])
    for text in forms:
        pid = parse_personnummer(text, today=TODAY)
        assert pid.pmo_format() == number
        assert pid.birth_date == day
        assert pid.sex is (Sex.MAN if int(serial[2]) % 2 else Sex.KVINNA)
        assert parse_personnummer(pid.pmo_format(), today=TODAY) == pid


@settings(deadline=None)
@given(day=_dates, serial=_serials)
def test_a_wrong_check_digit_should_always_be_refused(day: date, serial: str) -> None:
    number = pnr(f"{day:%Y%m%d}", serial)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidIdentity):
        parse_personnummer(wrong, today=TODAY)


_digits = st.integers(min_value=0, max_value=9).map(str)
_reserve = st.tuples(_digits, _digits, _digits, st.sampled_from("MK"), _digits).map("".join)
_date_parts = st.integers(min_value=19_000_000, max_value=20_999_999).map(str)


@settings(deadline=None)
@given(date_part=_date_parts, reserve=_reserve)
def test_reservnummer_should_round_trip_through_pmo_format(
    profile: RegionProfile, date_part: str, reserve: str
) -> None:
    pid = parse_patient_id(date_part + reserve.lower(), profile=profile)
    assert pid.kind is IdKind.RESERVNUMMER
    assert pid.pmo_format() == date_part + reserve
    assert parse_patient_id(pid.pmo_format(), profile=profile) == pid
    assert pid.date_part == date_part
    assert (pid.birth_date is None) or pid.birth_date.strftime("%Y%m%d") == date_part


@settings(deadline=None)
@given(day=st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2099, 12, 31)))
def test_twelve_digit_number_should_keep_its_explicit_century(day: date) -> None:
    # The explicit century is kept even for a future date (the request model, not the
    # identity parser, refuses future birth dates).
    number = pnr(f"{day:%Y%m%d}", "990")
    assert parse_personnummer(number, today=TODAY).birth_date == day
