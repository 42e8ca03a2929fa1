"""PatientId parsing, formatting, masking and completion (no external data needed)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from flows.rules.identity import (
    BirthDateMismatch,
    IdKind,
    InvalidIdentity,
    complete_personnummer,
    parse_patient_id,
    parse_personnummer,
)
from flows.rules.model import Sex
from flows.rules.region import RegionProfile, load_region_profile
from robot.errors import BusinessError, ConfigError

TODAY = date(2026, 11, 27)


def pnr(yyyymmdd: str, serial: str) -> str:
    """A 12-digit number with a valid check digit (serials 98x/99x: never a real person)."""
    return yyyymmdd + serial + luhn.calc_check_digit(yyyymmdd[2:] + serial)


def test_printed_gavleborg_example_should_read_as_the_published_shape(
    profile: RegionProfile,
) -> None:
    # The routine's 19612121201M7 is 19612121-01M7 with the hyphen printed as a "2".
    pid = parse_patient_id("19612121201M7", profile=profile)
    assert pid.kind is IdKind.RESERVNUMMER
    assert pid.value == "19612121-01M7"
    assert pid.date_part == "19612121"
    assert pid.birth_date is None  # 1961-21-21 is no calendar date, and need not be
    assert pid.sex is Sex.MAN


def test_reservnummer_with_real_date_should_carry_its_birth_date(profile: RegionProfile) -> None:
    for text in (" 19900101-12k4 ", "1990010112K4"):
        pid = parse_patient_id(text, profile=profile)
        assert pid.value == "19900101-12K4"  # one canonical form: trimmed, capitals, hyphen
        assert pid.birth_date == date(1990, 1, 1)
        assert pid.sex is Sex.KVINNA


def test_x_reservnummer_should_have_no_sex(profile: RegionProfile) -> None:
    pid = parse_patient_id("19900101-12X4", profile=profile)
    assert (pid.kind, pid.sex) == (IdKind.RESERVNUMMER, None)


@pytest.mark.parametrize(
    "text",
    [
        "19612121-0117",  # no sex letter
        "19612121-01M",  # too short
        "19612121-01M77",  # too long
        "19612121301M7",  # only a "2" stands for the printed hyphen
        "19612121-201M7",  # the old five-character reading
        "1961212-201M7",  # separator inside the date part
        "19612121 01M7",
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
        assert pid.value == number
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


def test_completion_should_replace_the_last_four_with_the_personnummer(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101-12M4", profile=profile)
    number = pnr("19900101", "983")
    for given_text in (number, f"{number[2:8]}-{number[8:]}", number[2:], number[8:]):
        new = complete_personnummer(reserv, given_text, profile=profile)
        assert new.kind is IdKind.PERSONNUMMER
        assert new.value == number
        assert new.date_part == reserv.date_part


def test_completion_with_other_birth_date_should_raise_birth_date_mismatch(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101-12M4", profile=profile)
    with pytest.raises(BirthDateMismatch) as err:
        complete_personnummer(reserv, pnr("19900102", "983"), profile=profile)
    assert err.value.code == "birth_date_mismatch"


def test_completion_of_printed_example_should_refuse_any_personnummer(
    profile: RegionProfile,
) -> None:
    # 1961-21-21 is no date, so no valid personnummer (checked by stdnum) can share it.
    reserv = parse_patient_id("19612121201M7", profile=profile)
    with pytest.raises(InvalidIdentity):
        complete_personnummer(reserv, "9801", profile=profile)


def test_completion_with_bad_check_digit_should_raise_invalid_identity(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101-12M4", profile=profile)
    good = pnr("19900101", "983")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    for text in (bad, bad[-4:]):
        with pytest.raises(InvalidIdentity):
            complete_personnummer(reserv, text, profile=profile)


def test_completion_should_refuse_samordningsnummer_and_non_reservnummer(
    profile: RegionProfile,
) -> None:
    reserv = parse_patient_id("19900101-12M4", profile=profile)
    with pytest.raises(InvalidIdentity):
        complete_personnummer(reserv, pnr("19900161", "983"), profile=profile)
    already = parse_patient_id(pnr("19900101", "983"), profile=profile)
    with pytest.raises(InvalidIdentity):
        complete_personnummer(already, pnr("19900101", "985"), profile=profile)


# --- region profiles --------------------------------------------------------------------


def _profile_text(pattern: str, example: str) -> str:
    return (
        "[region]\nkey = 'test'\nname = 'Test'\n[reservnummer]\nformat = 'gavleborg'\n"
        f"published = 'x'\nsource = 'y'\npattern = '{pattern}'\nexample = '{example}'\n"
    )


def _write_profile(tmp_path: Path, pattern: str, example: str) -> Path:
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "test.toml").write_text(
        _profile_text(pattern, example), encoding="utf-8"
    )
    return tmp_path


def test_profile_that_refuses_its_own_example_should_be_a_config_error(tmp_path: Path) -> None:
    config = _write_profile(
        tmp_path, "^(?P<date>[0-9]{8})-(?P<reserve>[0-9]{2}(?P<sex>[MK])[0-9])$", "1990010112K4"
    )
    with pytest.raises(ConfigError):
        load_region_profile(config, "test")


def test_profile_without_its_formats_groups_should_be_a_config_error(tmp_path: Path) -> None:
    config = _write_profile(tmp_path, "^(?P<date>[0-9]{8})(?P<reserve>[A-Z]{4})$", "19900101ABCD")
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
        assert pid.value == number
        assert pid.birth_date == day
        assert pid.sex is (Sex.MAN if int(serial[2]) % 2 else Sex.KVINNA)
        assert parse_personnummer(pid.value, today=TODAY) == pid


@settings(deadline=None)
@given(day=_dates, serial=_serials)
def test_a_wrong_check_digit_should_always_be_refused(day: date, serial: str) -> None:
    number = pnr(f"{day:%Y%m%d}", serial)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidIdentity):
        parse_personnummer(wrong, today=TODAY)


_digits = st.integers(min_value=0, max_value=9).map(str)
_reserve = st.tuples(_digits, _digits, st.sampled_from("MKX"), _digits).map("".join)
_date_parts = st.integers(min_value=19_000_000, max_value=20_999_999).map(str)


@settings(deadline=None)
@given(date_part=_date_parts, reserve=_reserve, hyphen=st.booleans())
def test_reservnummer_should_round_trip_to_one_canonical_form(
    profile: RegionProfile, date_part: str, reserve: str, hyphen: bool
) -> None:
    text = date_part + ("-" if hyphen else "") + reserve.lower()
    pid = parse_patient_id(text, profile=profile)
    assert pid.kind is IdKind.RESERVNUMMER
    assert pid.value == f"{date_part}-{reserve}"
    assert parse_patient_id(pid.value, profile=profile) == pid
    assert pid.date_part == date_part
    assert (pid.birth_date is None) or pid.birth_date.strftime("%Y%m%d") == date_part


@settings(deadline=None)
@given(day=st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2099, 12, 31)))
def test_twelve_digit_number_should_keep_its_explicit_century(day: date) -> None:
    # The explicit century is kept even for a future date (the request model, not the
    # identity parser, refuses future birth dates).
    number = pnr(f"{day:%Y%m%d}", "990")
    assert parse_personnummer(number, today=TODAY).birth_date == day


CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


def test_stockholm_profile_should_hand_over_protected_identities() -> None:
    stockholm = load_region_profile(CONFIG_DIR, "stockholm")
    assert (stockholm.format, stockholm.check) == ("sll", "none")
    assert stockholm.hands_over_protected
    assert not stockholm.confirmed  # an example profile says so
    gavleborg = load_region_profile(CONFIG_DIR, "gavleborg")
    assert gavleborg.format == "gavleborg" and not gavleborg.hands_over_protected
    assert gavleborg.groups_file == stockholm.groups_file == "groups.toml"


def test_completion_of_other_formats_should_need_the_whole_personnummer() -> None:
    nrid = load_region_profile(CONFIG_DIR, "nrid")
    reserv = parse_patient_id("22950606FH20", profile=nrid)  # a woman born 1995-06-06
    number = pnr("19950606", "982")
    assert complete_personnummer(reserv, number, profile=nrid).value == number
    with pytest.raises(InvalidIdentity):
        complete_personnummer(reserv, number[-4:], profile=nrid)  # no "last four" routine
    with pytest.raises(BirthDateMismatch):
        complete_personnummer(reserv, pnr("19950607", "982"), profile=nrid)
    sll = load_region_profile(CONFIG_DIR, "stockholm")
    reserv = parse_patient_id("991981000010", profile=sll)  # carries no birth date
    assert complete_personnummer(reserv, number, profile=sll).value == number


def _profile_file(tmp_path: Path, extra: str) -> Path:
    text = (CONFIG_DIR / "regions" / "gavleborg.toml").read_text("utf-8")
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "test.toml").write_text(text + "\n" + extra, "utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "extra",
    [
        "[protected_identity]\naction = 'skip'\n",
        "[groups]\nfile = '../groups.toml'\n",
        "[groups]\nfile = 'groups.txt'\n",
    ],
)
def test_profile_with_a_bad_choice_should_be_a_config_error(tmp_path: Path, extra: str) -> None:
    with pytest.raises(ConfigError):
        load_region_profile(_profile_file(tmp_path, extra), "test")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('unknown_in_pmo = "hand_over"', 'unknown_in_pmo = "okänt"'),
        ('pmo_form = "as_shown"', 'pmo_form = "hyphen"'),
        ('check = "none"', 'check = "nrid"'),  # Inera's check digit on another format
        ('format = "gavleborg"', 'format = "printed"'),  # the retired invented family
    ],
)
def test_profile_with_a_bad_reservnummer_setting_should_be_a_config_error(
    tmp_path: Path, old: str, new: str
) -> None:
    text = (CONFIG_DIR / "regions" / "gavleborg.toml").read_text("utf-8")
    assert old in text
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "test.toml").write_text(text.replace(old, new), "utf-8")
    with pytest.raises(ConfigError):
        load_region_profile(tmp_path, "test")


def test_nrid_profile_should_demand_the_check_digit_of_its_own_example(tmp_path: Path) -> None:
    text = (CONFIG_DIR / "regions" / "nrid.toml").read_text("utf-8")
    (tmp_path / "regions").mkdir()
    (tmp_path / "regions" / "test.toml").write_text(text.replace("98240301AA06", "98240301AA07"))
    with pytest.raises(ConfigError):
        load_region_profile(tmp_path, "test")


def test_profile_should_name_its_own_group_table(tmp_path: Path) -> None:
    from flows.rules.groups import load_groups

    config = _profile_file(tmp_path, "[groups]\nfile = 'groups_test.toml'\n")
    (config / "groups_test.toml").write_text(
        "[groups.asylum]\nlabel_sv = 'Asylsökande'\nkommun = '11'\nlan = '99'\n"
        "address = 'swedish'\n",
        "utf-8",
    )
    profile = load_region_profile(config, "test")
    groups = load_groups(config, profile.groups_file)
    assert list(groups) == ["asylum"] and groups["asylum"].kommun == "11"
